#include <janus/domains/fetch.hpp>

#include <janus/protocol/base64.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>

#include <exception>
#include <string_view>

namespace janus::domains {

using detail::sooner;

namespace {

using protocol::json_value;
using detail::int_of;
using detail::str_of;

void write_headers(protocol::json_writer& w, const std::vector<std::pair<std::string, std::string>>& headers) {
  w.begin_array();
  for (const auto& [k, v] : headers) {
    w.begin_object();
    w.key("name");
    w.string(k);
    w.key("value");
    w.string(v);
    w.end_object();
  }
  w.end_array();
}

paused_request paused_of(const json_value& p) {
  paused_request r;
  r.fetch_id = str_of(p["requestId"]);
  r.network_id = str_of(p["networkId"]);
  const json_value& req = p["request"];
  r.url = str_of(req["url"]) + str_of(req["urlFragment"]);
  r.method = str_of(req["method"]);
  if (const auto* h = req["headers"].get_object())
    for (const auto& [k, v] : *h) r.headers.emplace_back(k, v.is_string() ? v.as_string() : v.dump());
  r.post_data = str_of(req["postData"]);
  r.resource_type = str_of(p["resourceType"]);
  r.frame_id = str_of(p["frameId"]);
  if (auto status = p["responseStatusCode"].get_int()) r.response_status = static_cast<int>(*status);
  if (const auto* h = p["responseHeaders"].get_array())
    for (const json_value& e : *h) r.response_headers.emplace_back(str_of(e["name"]), str_of(e["value"]));
  return r;
}

// The command that carries a decision, and its params.
std::pair<std::string_view, std::string> answer_for(const std::string& fetch_id, const decision& d) {
  protocol::json_writer w;
  w.begin_object();
  w.key("requestId");
  w.string(fetch_id);
  std::string_view method;
  switch (d.what) {
    case decision::kind::go_on:
      method = "Fetch.continueRequest";
      if (!d.url.empty()) {
        w.key("url");
        w.string(d.url);
      }
      if (!d.method.empty()) {
        w.key("method");
        w.string(d.method);
      }
      if (d.post_data) {
        w.key("postData");
        w.string(protocol::base64_encode(*d.post_data));
      }
      if (d.headers) {
        w.key("headers");
        write_headers(w, *d.headers);
      }
      break;
    case decision::kind::fulfill:
      method = "Fetch.fulfillRequest";
      w.key("responseCode");
      w.number(d.status);
      w.key("responseHeaders");
      write_headers(w, d.response_headers);
      w.key("body");
      w.string(protocol::base64_encode(d.body));
      break;
    case decision::kind::fail:
      method = "Fetch.failRequest";
      w.key("errorReason");
      w.string(d.error_reason.empty() ? std::string("Failed") : d.error_reason);
      break;
  }
  w.end_object();
  return {method, w.take()};
}

// A detached task per answer: the pump goes on with the next paused request meanwhile.
rt::task<void> send_answer(session::cdp_session session, rt::actor_ref<interceptor_actor> me, std::string method,
                           std::string params, decision::kind what, std::chrono::milliseconds timeout) {
  session::call_options co{.deadline = rt::deadline(timeout), .cancel = {}};
  auto reply = co_await session.call(method, params, std::move(co));
  interceptor_actor::answered a{what, reply.has_value()};
  (void)co_await me.tell(std::move(a));
}

rt::task<void> send_disable(session::cdp_session session) {
  session::call_options co{.deadline = rt::deadline(std::chrono::seconds(5)), .cancel = {}};
  (void)co_await session.call("Fetch.disable", "{}", std::move(co));
}

}  // namespace

interceptor_actor::interceptor_actor(rt::scheduler* sched, session::cdp_session session, intercept_options options,
                                     intercept_handler handler)
    : session_(std::move(session)), options_(std::move(options)), handler_(std::move(handler)), enabled_(*sched) {}

rt::task<void> interceptor_actor::handle(pump p) {
  sub_ = &p.sub;
  for (;;) {
    rt::result<session::cdp_event> ev = co_await p.sub.next();
    if (!ev) break;
    rt::result<json_value> parsed = detail::params_of(*ev);
    if (!parsed) {
      ++stats_.malformed;
      continue;
    }
    ++stats_.paused;
    paused_request r = paused_of(*parsed);
    decision d;
    try {
      if (handler_) d = handler_(r);
    } catch (const std::exception&) {
      // A handler that throws must not leave the request paused for ever: it goes on as asked.
      ++stats_.handler_errors;
      d = decision::go_on();
    }
    auto [method, params] = answer_for(r.fetch_id, d);
    sched().spawn(send_answer(session_, self(), std::string(method), std::move(params), d.what,
                              options_.command_timeout));
  }
  stats_.dropped = p.sub.dropped();
  sub_ = nullptr;
}

rt::task<rt::result<void>> interceptor_actor::handle(enable e) {
  if (enabled_.done()) co_return rt::ok;
  if (!enabled_.claim()) co_return co_await enabled_.wait(e.until);
  if (!pump_started_) {
    rt::result<void> started = co_await detail::start_pump(session_, self(), "Fetch.requestPaused", options_.event_queue, nullptr);
    if (!started) {
      enabled_.finish(started);
      co_return started;
    }
    pump_started_ = true;
  }
  protocol::json_writer w;
  w.begin_object();
  w.key("patterns");
  w.begin_array();
  for (const intercept_pattern& pat : options_.patterns) {
    w.begin_object();
    w.key("urlPattern");
    w.string(pat.url_pattern);
    if (!pat.resource_type.empty()) {
      w.key("resourceType");
      w.string(pat.resource_type);
    }
    w.key("requestStage");
    w.string(pat.response_stage ? "Response" : "Request");
    w.end_object();
  }
  w.end_array();
  w.end_object();
  const std::string params = w.take();
  session::call_options co{.deadline = sooner(e.until, options_.command_timeout), .cancel = {}};
  auto reply = co_await session_.call("Fetch.enable", params, std::move(co));
  rt::result<void> outcome = rt::ok;
  if (!reply) outcome = std::move(reply).err();
  else active_ = true;
  enabled_.finish(outcome);
  co_return outcome;
}

rt::task<rt::result<void>> interceptor_actor::handle(disable d) {
  session::call_options co{.deadline = sooner(d.until, options_.command_timeout), .cancel = {}};
  auto reply = co_await session_.call("Fetch.disable", "{}", std::move(co));
  if (!reply) co_return std::move(reply).err();
  active_ = false;
  enabled_.reset();
  co_return rt::ok;
}

void interceptor_actor::handle(answered a) {
  if (!a.ok) {
    ++stats_.answer_errors;
    return;
  }
  switch (a.what) {
    case decision::kind::go_on: ++stats_.continued; break;
    case decision::kind::fulfill: ++stats_.fulfilled; break;
    case decision::kind::fail: ++stats_.failed; break;
  }
}

intercept_stats interceptor_actor::handle(get_stats) const {
  intercept_stats s = stats_;
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

void interceptor_actor::on_stop() {
  // Requests paused after this would wait for ever: tell the browser to stop pausing them.
  if (active_) sched().spawn(send_disable(session_));
}

// --- the handle ---------------------------------------------------------------------------------

interceptor interceptor::start(rt::scheduler& sched, session::cdp_session session, intercept_options options,
                               intercept_handler handler) {
  interceptor i;
  rt::spawn_options so;
  so.name = "interceptor";
  auto ref = rt::spawn<interceptor_actor>(sched, std::move(so), &sched, std::move(session), std::move(options),
                                          std::move(handler));
  i.owner_ = std::make_shared<detail::actor_owner<interceptor_actor>>(std::move(ref));
  return i;
}

namespace {

using ref_t = rt::actor_ref<interceptor_actor>;
using detail::ask_enable;
using detail::enable_then_ask;

rt::task<rt::result<void>> ask_disable(ref_t ref, rt::deadline d) {
  interceptor_actor::disable dis{d};
  co_return co_await ref.ask(std::move(dis), d);
}

rt::task<rt::result<intercept_stats>> ask_stats(ref_t ref, rt::deadline d) {
  co_return co_await ref.ask(interceptor_actor::get_stats{}, d);
}

}  // namespace

rt::task<rt::result<void>> interceptor::enable(rt::deadline d) const { return ask_enable(owner_->ref, d); }
rt::task<rt::result<void>> interceptor::disable(rt::deadline d) const { return ask_disable(owner_->ref, d); }
rt::task<rt::result<intercept_stats>> interceptor::stats(rt::deadline d) const { return ask_stats(owner_->ref, d); }
void interceptor::stop() const {
  if (owner_) owner_->ref.stop();
}

}  // namespace janus::domains
