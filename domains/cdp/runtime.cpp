// Chromium's js_runtime: the actor keeping the execution contexts from Runtime events
// (runtime_actor.hpp), and its backend (evaluate and release are commands on the session).
#include "runtime_actor.hpp"

#include <janus/protocol/json_writer.hpp>

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace janus::domains {

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
    : domain_actor(*sched, std::move(session), detail::event_feed{"Runtime.*", &wanted, options.event_queue},
                   options.command_timeout),
      options_(options),
      changed_(*sched) {}

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

rt::task<rt::result<void>> js_runtime_actor::send_enable(rt::deadline until) {
  static constexpr detail::enable_command commands[] = {{"Runtime.enable", "{}"}};
  co_return co_await send_all(commands, until);
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
  rt::result<void> on = co_await enable_domain(w.until);
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

// --- the asks the backend makes ------------------------------------------------------------------

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

// --- the CDP backend -----------------------------------------------------------------------------

js_runtime js_runtime::start(rt::scheduler& sched, session::cdp_session session, runtime_options options) {
  return over(detail::spawn_backend<cdp_js_runtime_backend, js_runtime_actor>(sched, "js_runtime", std::move(session), std::move(options)));
}

rt::task<rt::result<void>> cdp_js_runtime_backend::enable(rt::deadline d) {
  return ask_enable(ref_, d);
}
rt::task<rt::result<std::vector<execution_context>>> cdp_js_runtime_backend::contexts(rt::deadline d) {
  return enable_then_ask(ref_, js_runtime_actor::get_contexts{}, d);
}
rt::task<rt::result<runtime_stats>> cdp_js_runtime_backend::stats(rt::deadline d) {
  return enable_then_ask(ref_, js_runtime_actor::get_stats{}, d);
}
rt::task<rt::result<execution_context>> cdp_js_runtime_backend::default_context(std::string frame_id, rt::deadline d) {
  return ask_default(ref_, std::move(frame_id), d);
}
rt::task<rt::result<js_value>> cdp_js_runtime_backend::evaluate(std::string expression, evaluate_options options) {
  return run_evaluate(session_, std::move(expression), std::move(options));
}
rt::task<rt::result<json_value>> cdp_js_runtime_backend::evaluate_value(std::string expression, rt::deadline d) {
  return run_evaluate_value(session_, std::move(expression), d);
}
rt::task<rt::result<void>> cdp_js_runtime_backend::release(std::string object_id, rt::deadline d) {
  return run_release(session_, std::move(object_id), d);
}

}  // namespace janus::domains
