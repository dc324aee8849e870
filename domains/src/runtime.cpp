#include <janus/domains/runtime.hpp>

#include <janus/protocol/json_writer.hpp>

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace janus::domains {

using detail::sooner;

namespace {

using protocol::json_value;
using detail::bool_of;
using detail::int_of;
using detail::str_of;

bool wanted(const session::cdp_event& ev) {
  const std::string_view m = ev.method();
  return m == "Runtime.executionContextCreated" || m == "Runtime.executionContextDestroyed" ||
         m == "Runtime.executionContextsCleared";
}

execution_context context_of(const json_value& c) {
  execution_context out;
  out.id = int_of(c["id"]);
  out.unique_id = str_of(c["uniqueId"]);
  out.origin = str_of(c["origin"]);
  out.name = str_of(c["name"]);
  const json_value& aux = c["auxData"];
  out.frame_id = str_of(aux["frameId"]);
  out.type = str_of(aux["type"]);
  out.is_default = bool_of(aux["isDefault"]);
  return out;
}

}  // namespace

rt::result<js_value> js_value_from_reply(std::string_view reply_json) {
  rt::result<json_value> parsed = json_value::parse(reply_json);
  if (!parsed) return std::move(parsed).err();
  const json_value& r = *parsed;
  if (const json_value* details = r.find("exceptionDetails")) {
    detail::exception_text t = detail::describe_exception(*details);
    std::string msg = std::move(t.message);
    if (!t.stack.empty()) msg += "\n" + t.stack;
    return rt::error{rt::errc::javascript, std::move(msg)};
  }
  const json_value& o = r["result"];
  js_value out;
  out.type = str_of(o["type"]);
  if (const std::string* u = o["unserializableValue"].get_string()) {
    out.unserializable = *u;
    // The numbers among them have a double; a BigInt stays a string only.
    if (out.type == "number") out.value = std::strtod(u->c_str(), nullptr);
  } else if (const json_value* v = o.find("value")) {
    out.value = *v;
  }
  if (const std::string* id = o["objectId"].get_string()) {
    remote_object ro;
    ro.object_id = *id;
    ro.type = out.type;
    ro.subtype = str_of(o["subtype"]);
    ro.class_name = str_of(o["className"]);
    ro.description = str_of(o["description"]);
    out.object = std::move(ro);
  }
  return out;
}

js_runtime_actor::js_runtime_actor(rt::scheduler* sched, session::cdp_session session, runtime_options options)
    : session_(std::move(session)), options_(options), enabled_(*sched), changed_(*sched) {}

rt::task<void> js_runtime_actor::handle(pump p) {
  sub_ = &p.sub;
  for (;;) {
    rt::result<session::cdp_event> ev = co_await p.sub.next();
    if (!ev) {
      if (ev.code() == rt::errc::browser_exited) pump_error_ = ev.err();
      break;
    }
    rt::result<json_value> parsed = detail::params_of(*ev);
    if (!parsed) {
      ++stats_.malformed;
      continue;
    }
    const std::string_view m = ev->method();
    if (m == "Runtime.executionContextCreated") {
      execution_context c = context_of((*parsed)["context"]);
      contexts_[c.id] = std::move(c);
      ++stats_.created;
    } else if (m == "Runtime.executionContextDestroyed") {
      contexts_.erase(int_of((*parsed)["executionContextId"]));
      ++stats_.destroyed;
    } else {
      contexts_.clear();
      ++stats_.cleared;
    }
    (void)changed_.try_publish(0);
  }
  stats_.dropped = p.sub.dropped();
  sub_ = nullptr;
  pump_ended_ = true;
  (void)changed_.try_publish(0);
}

rt::task<rt::result<void>> js_runtime_actor::handle(enable e) {
  if (enabled_.done()) co_return rt::ok;
  if (!enabled_.claim()) co_return co_await enabled_.wait(e.until);
  if (!pump_started_) {
    rt::result<void> started =
        co_await detail::start_pump(session_, self(), "Runtime.*", options_.event_queue, &wanted);
    if (!started) {
      enabled_.finish(started);
      co_return started;
    }
    pump_started_ = true;
  }
  session::call_options co{.deadline = sooner(e.until, options_.command_timeout), .cancel = {}};
  auto reply = co_await session_.call("Runtime.enable", "{}", std::move(co));
  rt::result<void> outcome = rt::ok;
  if (!reply) outcome = std::move(reply).err();
  enabled_.finish(outcome);
  co_return outcome;
}

std::vector<execution_context> js_runtime_actor::handle(get_contexts) const {
  std::vector<execution_context> out;
  out.reserve(contexts_.size());
  for (const auto& [id, c] : contexts_) out.push_back(c);
  return out;
}

runtime_stats js_runtime_actor::handle(get_stats) const {
  runtime_stats s = stats_;
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

const execution_context* js_runtime_actor::default_for(const std::string& frame_id) const {
  for (const auto& [id, c] : contexts_)
    if (c.is_default && (frame_id.empty() || c.frame_id == frame_id)) return &c;
  return nullptr;
}

rt::task<rt::result<execution_context>> js_runtime_actor::handle(wait_default_context w) {
  enable en{w.until};
  rt::result<void> on = co_await handle(std::move(en));
  if (!on) co_return std::move(on).err();
  rt::subscription<int> wake = changed_.subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    if (const execution_context* c = default_for(w.frame_id)) co_return *c;
    if (pump_ended_) {
      if (pump_error_) co_return *pump_error_;
      co_return rt::error{rt::errc::disconnected, "the page's event stream ended"};
    }
    rt::result<int> r = co_await wake.next(w.until);
    if (!r && r.code() == rt::errc::timeout)
      co_return rt::error{rt::errc::timeout, "no default execution context" +
                                                 (w.frame_id.empty() ? std::string() : " for frame " + w.frame_id)};
  }
}

// --- the handle ---------------------------------------------------------------------------------

js_runtime js_runtime::start(rt::scheduler& sched, session::cdp_session session, runtime_options options) {
  js_runtime j;
  j.session_ = session;
  rt::spawn_options so;
  so.name = "js_runtime";
  auto ref = rt::spawn<js_runtime_actor>(sched, std::move(so), &sched, std::move(session), options);
  j.owner_ = std::make_shared<detail::actor_owner<js_runtime_actor>>(std::move(ref));
  return j;
}

namespace {

using ref_t = rt::actor_ref<js_runtime_actor>;
using detail::ask_enable;
using detail::enable_then_ask;

rt::task<rt::result<execution_context>> ask_default(ref_t ref, std::string frame_id, rt::deadline d) {
  js_runtime_actor::wait_default_context w{std::move(frame_id), d};
  const rt::deadline ask_until = d.is_never() ? d : rt::deadline(d.at() + std::chrono::milliseconds(500));
  co_return co_await ref.ask(std::move(w), ask_until);
}

rt::task<rt::result<js_value>> run_evaluate(session::cdp_session session, std::string expression, evaluate_options o) {
  protocol::json_writer w;
  w.begin_object();
  w.key("expression");
  w.string(expression);
  if (o.context_id) {
    w.key("contextId");
    w.number(*o.context_id);
  }
  w.key("awaitPromise");
  w.boolean(o.await_promise);
  w.key("returnByValue");
  w.boolean(o.return_by_value);
  if (o.user_gesture) {
    w.key("userGesture");
    w.boolean(true);
  }
  w.end_object();
  if (!w.ok()) co_return rt::error{rt::errc::invalid_argument, "expression: " + std::string(w.error_message())};
  const std::string params = w.take();
  session::call_options co{.deadline = o.until, .cancel = {}};
  auto reply = co_await session.call("Runtime.evaluate", params, std::move(co));
  if (!reply) co_return std::move(reply).err();
  co_return js_value_from_reply(reply->payload());
}

rt::task<rt::result<json_value>> run_evaluate_value(session::cdp_session session, std::string expression,
                                                    rt::deadline d) {
  evaluate_options o;
  o.until = d;
  rt::result<js_value> v = co_await run_evaluate(std::move(session), std::move(expression), std::move(o));
  if (!v) co_return std::move(v).err();
  co_return std::move(v->value);
}

rt::task<rt::result<void>> run_release(session::cdp_session session, std::string object_id, rt::deadline d) {
  protocol::json_writer w;
  w.begin_object();
  w.key("objectId");
  w.string(object_id);
  w.end_object();
  const std::string params = w.take();
  session::call_options co{.deadline = d, .cancel = {}};
  auto reply = co_await session.call("Runtime.releaseObject", params, std::move(co));
  if (!reply) co_return std::move(reply).err();
  co_return rt::ok;
}

}  // namespace

rt::task<rt::result<void>> js_runtime::enable(rt::deadline d) const {
  if (backend_) return backend_->enable(d);
  return ask_enable(owner_->ref, d);
}
rt::task<rt::result<std::vector<execution_context>>> js_runtime::contexts(rt::deadline d) const {
  if (backend_) return backend_->contexts(d);
  return enable_then_ask(owner_->ref, js_runtime_actor::get_contexts{}, d);
}
rt::task<rt::result<runtime_stats>> js_runtime::stats(rt::deadline d) const {
  if (backend_) return backend_->stats(d);
  return enable_then_ask(owner_->ref, js_runtime_actor::get_stats{}, d);
}
rt::task<rt::result<execution_context>> js_runtime::default_context(std::string frame_id, rt::deadline d) const {
  if (backend_) return backend_->default_context(std::move(frame_id), d);
  return ask_default(owner_->ref, std::move(frame_id), d);
}
rt::task<rt::result<js_value>> js_runtime::evaluate(std::string expression, evaluate_options options) const {
  if (backend_) return backend_->evaluate(std::move(expression), std::move(options));
  return run_evaluate(session_, std::move(expression), std::move(options));
}
rt::task<rt::result<json_value>> js_runtime::evaluate_value(std::string expression, rt::deadline d) const {
  if (backend_) return backend_->evaluate_value(std::move(expression), d);
  return run_evaluate_value(session_, std::move(expression), d);
}
rt::task<rt::result<void>> js_runtime::release(std::string object_id, rt::deadline d) const {
  if (backend_) return backend_->release(std::move(object_id), d);
  return run_release(session_, std::move(object_id), d);
}
void js_runtime::stop() const {
  if (owner_) owner_->ref.stop();
}


// A backend's calls it does not override.
rt::task<rt::result<std::vector<execution_context>>> js_runtime_backend::contexts(rt::deadline) {
  return detail::unsupported<std::vector<execution_context>>(*this, "js_runtime.contexts");
}
rt::task<rt::result<runtime_stats>> js_runtime_backend::stats(rt::deadline) {
  return detail::unsupported<runtime_stats>(*this, "js_runtime.stats");
}
rt::task<rt::result<execution_context>> js_runtime_backend::default_context(std::string, rt::deadline) {
  return detail::unsupported<execution_context>(*this, "js_runtime.default_context");
}
rt::task<rt::result<js_value>> js_runtime_backend::evaluate(std::string, evaluate_options) {
  return detail::unsupported<js_value>(*this, "js_runtime.evaluate");
}
rt::task<rt::result<json_value>> js_runtime_backend::evaluate_value(std::string, rt::deadline) {
  return detail::unsupported<json_value>(*this, "js_runtime.evaluate_value");
}
rt::task<rt::result<void>> js_runtime_backend::release(std::string, rt::deadline) {
  return detail::unsupported<void>(*this, "js_runtime.release");
}
rt::task<rt::result<void>> js_runtime_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "js_runtime.enable");
}
js_runtime js_runtime::over(std::shared_ptr<js_runtime_backend> backend) {
  js_runtime out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
