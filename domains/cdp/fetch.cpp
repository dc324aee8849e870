// Chromium's interceptor: the actor answering Fetch.requestPaused with the handler's decisions
// (fetch_actor.hpp), and its backend.
#include "fetch_actor.hpp"

#include <janus/protocol/base64.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>

#include <exception>
#include <string_view>

namespace janus::domains {


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
    : domain_actor(*sched, std::move(session), detail::event_feed{"Fetch.requestPaused", nullptr, options.event_queue},
                   options.command_timeout),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

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

rt::task<rt::result<void>> interceptor_actor::send_enable(rt::deadline until) {
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
  const detail::enable_command commands[] = {{"Fetch.enable", params}};
  rt::result<void> outcome = co_await send_all(commands, until);
  if (outcome) active_ = true;
  co_return outcome;
}

rt::task<rt::result<void>> interceptor_actor::handle(disable d) {
  session::call_options co{.deadline = command_deadline(d.until), .cancel = {}};
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

// --- the CDP backend -----------------------------------------------------------------------------

interceptor interceptor::start(rt::scheduler& sched, session::cdp_session session, intercept_options options,
                               intercept_handler handler) {
  return over(detail::spawn_backend<cdp_interceptor_backend, interceptor_actor>(
      sched, "interceptor", std::move(session), std::move(options), std::move(handler)));
}

namespace {

using ref_t = rt::actor_ref<interceptor_actor>;

rt::task<rt::result<void>> ask_disable(ref_t ref, rt::deadline d) {
  interceptor_actor::disable dis{d};
  co_return co_await ref.ask(std::move(dis), d);
}

rt::task<rt::result<intercept_stats>> ask_stats(ref_t ref, rt::deadline d) {
  co_return co_await ref.ask(interceptor_actor::get_stats{}, d);
}

}  // namespace

rt::task<rt::result<void>> cdp_interceptor_backend::enable(rt::deadline d) { return detail::ask_enable(ref_, d); }
rt::task<rt::result<void>> cdp_interceptor_backend::disable(rt::deadline d) { return ask_disable(ref_, d); }
rt::task<rt::result<intercept_stats>> cdp_interceptor_backend::stats(rt::deadline d) { return ask_stats(ref_, d); }

}  // namespace janus::domains
