// Chromium's debugger: the actor keeping the script registry and the pause state from Debugger
// events (debugger_actor.hpp), and its backend.
#include "debugger_actor.hpp"

#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>

#include <string_view>

namespace janus::domains {

using detail::int_of;
using detail::str_of;
using protocol::json_value;

namespace {

bool wanted(const session::cdp_event& ev) {
  const std::string_view m = ev.method();
  return m.rfind("Debugger.", 0) == 0 || m == "Runtime.executionContextsCleared";
}

script_location location_of(const json_value& v) {
  script_location l;
  l.script_id = str_of(v["scriptId"]);
  l.line = int_of(v["lineNumber"]);
  l.column = int_of(v["columnNumber"]);
  return l;
}

pause_info pause_of(const json_value& v) {
  pause_info p;
  p.reason = str_of(v["reason"]);
  if (const auto* frames = v["callFrames"].get_array())
    for (const json_value& f : *frames) {
      call_frame c;
      c.call_frame_id = str_of(f["callFrameId"]);
      c.function_name = str_of(f["functionName"]);
      c.url = str_of(f["url"]);
      c.location = location_of(f["location"]);
      p.frames.push_back(std::move(c));
    }
  if (const auto* hits = v["hitBreakpoints"].get_array())
    for (const json_value& h : *hits) p.hit_breakpoints.push_back(str_of(h));
  return p;
}

}  // namespace

debugger_actor::debugger_actor(rt::scheduler* sched, session::cdp_session session, debugger_options options)
    : domain_actor(*sched, std::move(session), detail::event_feed{"*", &wanted, options.event_queue},
                   options.command_timeout),
      options_(options),
      pause_changed_(*sched) {
  if (options_.max_scripts == 0) options_.max_scripts = 1;
}

void debugger_actor::add_script(script_info s) {
  ++stats_.parsed;
  const std::string id = s.script_id;
  if (scripts_.insert_or_assign(id, std::move(s)).second) order_.push_back(id);
  while (scripts_.size() > options_.max_scripts && order_head_ < order_.size()) {
    if (scripts_.erase(order_[order_head_++]) > 0) ++stats_.evicted;
  }
  // Keep the eviction queue from growing without bound: compact once half of it is spent.
  if (order_head_ > order_.size() / 2 && order_head_ > 1024) {
    order_.erase(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(order_head_));
    order_head_ = 0;
  }
}

rt::task<void> debugger_actor::handle(pump p) {
  sub_ = &p.sub;
  for (;;) {
    rt::result<session::cdp_event> ev = co_await p.sub.next();
    if (!ev) break;
    rt::result<json_value> parsed = detail::params_of(*ev);
    if (!parsed) {
      ++stats_.malformed;
      continue;
    }
    const json_value& v = *parsed;
    const std::string_view m = ev->method();
    if (m == "Debugger.scriptParsed" || m == "Debugger.scriptFailedToParse") {
      script_info s;
      s.script_id = str_of(v["scriptId"]);
      s.url = str_of(v["url"]);
      s.start_line = int_of(v["startLine"]);
      s.end_line = int_of(v["endLine"]);
      s.length = int_of(v["length"]);
      s.hash = str_of(v["hash"]);
      s.execution_context_id = int_of(v["executionContextId"]);
      s.is_module = detail::bool_of(v["isModule"]);
      s.failed_to_parse = m == "Debugger.scriptFailedToParse";
      add_script(std::move(s));
    } else if (m == "Debugger.paused") {
      paused_ = pause_of(v);
      // CallFrame.url is deprecated (empty in current Chromium): the registry knows the script.
      for (call_frame& f : paused_->frames)
        if (f.url.empty())
          if (auto it = scripts_.find(f.location.script_id); it != scripts_.end()) f.url = it->second.url;
      ++stats_.pauses;
      (void)pause_changed_.try_publish(1);
    } else if (m == "Debugger.resumed") {
      paused_.reset();
      (void)pause_changed_.try_publish(0);
    } else if (m == "Runtime.executionContextsCleared") {
      // A new document: its predecessor's scripts are gone with their contexts.
      scripts_.clear();
      order_.clear();
      order_head_ = 0;
    }
  }
  stats_.dropped = p.sub.dropped();
  sub_ = nullptr;
  pause_changed_.close();
}

rt::task<rt::result<void>> debugger_actor::send_enable(rt::deadline until) {
  // The pump is subscribed before Debugger.enable, which replays every script parsed so far.
  static constexpr detail::enable_command commands[] = {{"Debugger.enable", "{}"}};
  co_return co_await send_all(commands, until);
}

std::vector<script_info> debugger_actor::handle(get_scripts) const {
  std::vector<script_info> out;
  out.reserve(scripts_.size());
  for (std::size_t i = order_head_; i < order_.size(); ++i)
    if (auto it = scripts_.find(order_[i]); it != scripts_.end() && it->second.script_id == order_[i])
      out.push_back(it->second);
  return out;
}

debugger_stats debugger_actor::handle(get_stats) const {
  debugger_stats s = stats_;
  s.scripts = scripts_.size();
  s.paused = paused_.has_value();
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

std::optional<pause_info> debugger_actor::handle(get_pause) const { return paused_; }

rt::task<rt::result<pause_info>> debugger_actor::handle(wait_paused w) {
  // Subscribed before looking, so a pause that lands between the two is not missed.
  rt::subscription<int> sub = pause_changed_.subscribe(16, rt::overflow::drop_oldest);
  while (!paused_) {
    rt::result<int> r = co_await sub.next(w.until);
    if (!r) {
      if (r.code() == rt::errc::timeout) co_return rt::error{rt::errc::timeout, "the page did not pause before the deadline"};
      co_return rt::error{rt::errc::cancelled, "the debugger's events ended (the page is gone)"};
    }
  }
  co_return *paused_;
}

// --- the asks the backend makes ------------------------------------------------------------------

namespace {

using ref_t = rt::actor_ref<debugger_actor>;
using detail::ask_enable;
using detail::enable_then_ask;

/// Enables, then sends a Debugger command and returns its parsed result.
rt::task<rt::result<json_value>> enable_then_call(ref_t ref, session::cdp_session session, std::string method,
                                                  std::string params, rt::deadline d) {
  debugger_actor::enable en{d};
  rt::result<void> on = co_await ref.ask(std::move(en), d);
  if (!on) co_return std::move(on).err();
  session::call_options co{.deadline = d, .cancel = {}};
  auto reply = co_await session.call(method, params, std::move(co));
  if (!reply) {
    rt::error e = std::move(reply).err();
    e.message = method + ": " + e.message;
    co_return e;
  }
  co_return json_value::parse(reply->payload());
}

rt::task<rt::result<void>> command(ref_t ref, session::cdp_session session, std::string method, rt::deadline d) {
  rt::result<json_value> r = co_await enable_then_call(std::move(ref), std::move(session), std::move(method), "{}", d);
  if (!r) co_return std::move(r).err();
  co_return rt::ok;
}

}  // namespace

// --- the CDP backend -----------------------------------------------------------------------------

debugger debugger::start(rt::scheduler& sched, session::cdp_session session, debugger_options options) {
  return over(detail::spawn_backend<cdp_debugger_backend, debugger_actor>(sched, "debugger", std::move(session), std::move(options)));
}

rt::task<rt::result<void>> cdp_debugger_backend::enable(rt::deadline d) {
  return ask_enable(ref_, d);
}
rt::task<rt::result<std::vector<script_info>>> cdp_debugger_backend::scripts(rt::deadline d) {
  return enable_then_ask(ref_, debugger_actor::get_scripts{}, d);
}
rt::task<rt::result<debugger_stats>> cdp_debugger_backend::stats(rt::deadline d) {
  return enable_then_ask(ref_, debugger_actor::get_stats{}, d);
}
rt::task<rt::result<std::optional<pause_info>>> cdp_debugger_backend::pause_state(rt::deadline d) {
  return enable_then_ask(ref_, debugger_actor::get_pause{}, d);
}
rt::task<rt::result<pause_info>> cdp_debugger_backend::wait_paused(rt::deadline d) {
  return enable_then_ask(ref_, debugger_actor::wait_paused{d}, d);
}
rt::task<rt::result<std::string>> cdp_debugger_backend::source(std::string script_id, rt::deadline d) {
  json_value p = json_value::object();
  p.set("scriptId", script_id);
  return [](ref_t ref, session::cdp_session s, std::string params, rt::deadline d) -> rt::task<rt::result<std::string>> {
    rt::result<json_value> r = co_await enable_then_call(std::move(ref), std::move(s), "Debugger.getScriptSource",
                                                         std::move(params), d);
    if (!r) co_return std::move(r).err();
    const std::string* src = (*r)["scriptSource"].get_string();
    if (!src) co_return rt::error{rt::errc::parse, "Debugger.getScriptSource: no scriptSource in the reply"};
    co_return *src;
  }(ref_, session_, p.dump(), d);
}
rt::task<rt::result<breakpoint>> cdp_debugger_backend::set_breakpoint(breakpoint_spec spec, rt::deadline d) {
  json_value p = json_value::object();
  p.set("url", spec.url);
  p.set("lineNumber", spec.line);
  p.set("columnNumber", spec.column);
  if (!spec.condition.empty()) p.set("condition", spec.condition);
  return [](ref_t ref, session::cdp_session s, std::string params, rt::deadline d) -> rt::task<rt::result<breakpoint>> {
    rt::result<json_value> r = co_await enable_then_call(std::move(ref), std::move(s), "Debugger.setBreakpointByUrl",
                                                         std::move(params), d);
    if (!r) co_return std::move(r).err();
    breakpoint b;
    b.id = str_of((*r)["breakpointId"]);
    if (b.id.empty()) co_return rt::error{rt::errc::parse, "Debugger.setBreakpointByUrl: no breakpointId in the reply"};
    if (const auto* locs = (*r)["locations"].get_array())
      for (const json_value& l : *locs) b.locations.push_back(location_of(l));
    co_return b;
  }(ref_, session_, p.dump(), d);
}
rt::task<rt::result<void>> cdp_debugger_backend::remove_breakpoint(std::string id, rt::deadline d) {
  json_value p = json_value::object();
  p.set("breakpointId", id);
  return [](ref_t ref, session::cdp_session s, std::string params, rt::deadline d) -> rt::task<rt::result<void>> {
    rt::result<json_value> r =
        co_await enable_then_call(std::move(ref), std::move(s), "Debugger.removeBreakpoint", std::move(params), d);
    if (!r) co_return std::move(r).err();
    co_return rt::ok;
  }(ref_, session_, p.dump(), d);
}
rt::task<rt::result<void>> cdp_debugger_backend::pause(rt::deadline d) {
  return command(ref_, session_, "Debugger.pause", d);
}
rt::task<rt::result<void>> cdp_debugger_backend::resume(rt::deadline d) {
  return command(ref_, session_, "Debugger.resume", d);
}
rt::task<rt::result<void>> cdp_debugger_backend::step_over(rt::deadline d) {
  return command(ref_, session_, "Debugger.stepOver", d);
}
rt::task<rt::result<void>> cdp_debugger_backend::step_into(rt::deadline d) {
  return command(ref_, session_, "Debugger.stepInto", d);
}
rt::task<rt::result<void>> cdp_debugger_backend::step_out(rt::deadline d) {
  return command(ref_, session_, "Debugger.stepOut", d);
}

}  // namespace janus::domains
