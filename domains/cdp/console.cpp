// Chromium's console: the actor turning Runtime.consoleAPICalled, Log.entryAdded and
// Runtime.exceptionThrown into console entries (console_actor.hpp), and its backend.
#include "console_actor.hpp"

#include <cmath>
#include <string_view>

namespace janus::domains {

namespace {

using protocol::json_value;
using detail::int_of;
using detail::num_of;
using detail::str_of;

std::string level_of_console_type(std::string_view type) {
  if (type == "error" || type == "assert") return "error";
  if (type == "warning") return "warning";
  if (type == "debug") return "verbose";
  return "info";
}

// What %d / %i print: the integer part of a number argument, NaN for anything else.
std::string integer_text(const json_value& arg) {
  const json_value& v = arg["value"];
  if (v.is_number()) {
    const double d = std::trunc(v.as_double());
    if (std::fabs(d) < 1e15) return std::to_string(static_cast<std::int64_t>(d));
    return detail::remote_object_text(arg);
  }
  return "NaN";
}

std::string float_text(const json_value& arg) {
  if (arg["value"].is_number() || arg.contains("unserializableValue")) return detail::remote_object_text(arg);
  return "NaN";
}

// DevTools applies printf-style substitutions when the first argument is a string; the browser
// sends the arguments unformatted.
std::string args_text(const json_value& args) {
  const json_value::array_type* a = args.get_array();
  if (!a || a->empty()) return {};
  std::string out;
  std::size_t next = 1;
  const json_value& first = (*a)[0];
  if (const std::string* fmt = first["value"].get_string(); fmt && str_of(first["type"]) == "string") {
    for (std::size_t i = 0; i < fmt->size(); ++i) {
      const char c = (*fmt)[i];
      if (c != '%' || i + 1 == fmt->size()) {
        out += c;
        continue;
      }
      const char spec = (*fmt)[i + 1];
      if (spec == '%') {
        out += '%';
        ++i;
        continue;
      }
      if (std::string_view("sdifoOc").find(spec) == std::string_view::npos || next >= a->size()) {
        out += c;
        continue;
      }
      const json_value& arg = (*a)[next++];
      ++i;
      switch (spec) {
        case 'd':
        case 'i': out += integer_text(arg); break;
        case 'f': out += float_text(arg); break;
        case 'c': break;  // CSS for the DevTools console: no text
        default: out += detail::remote_object_text(arg); break;
      }
    }
  } else {
    out = detail::remote_object_text(first);
  }
  for (; next < a->size(); ++next) {
    out += ' ';
    out += detail::remote_object_text((*a)[next]);
  }
  return out;
}

void take_top_frame(console_entry& e, const json_value& trace) {
  const json_value::array_type* frames = trace["callFrames"].get_array();
  if (!frames || frames->empty()) return;
  const json_value& top = frames->front();
  e.url = str_of(top["url"]);
  e.line = static_cast<int>(int_of(top["lineNumber"])) + 1;
  e.column = static_cast<int>(int_of(top["columnNumber"])) + 1;
}

bool wanted(const session::cdp_event& ev) {
  const std::string_view m = ev.method();
  return m == "Runtime.consoleAPICalled" || m == "Runtime.exceptionThrown" || m == "Log.entryAdded";
}

}  // namespace

console_actor::console_actor(rt::scheduler* sched, session::cdp_session session, console_options options)
    : domain_actor(*sched, std::move(session), detail::event_feed{"*", &wanted, options.event_queue},
                   options.command_timeout),
      options_(options),
      live_(*sched) {
  if (options_.capacity == 0) options_.capacity = 1;
}

rt::task<void> console_actor::handle(pump p) {
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
    const json_value& v = *parsed;
    const std::string_view m = ev->method();
    console_entry e;
    if (m == "Runtime.consoleAPICalled") {
      e.from = console_entry::origin::console_api;
      e.type = str_of(v["type"]);
      e.level = level_of_console_type(e.type);
      e.text = args_text(v["args"]);
      e.timestamp = num_of(v["timestamp"]);
      e.execution_context_id = int_of(v["executionContextId"]);
      take_top_frame(e, v["stackTrace"]);
    } else if (m == "Log.entryAdded") {
      const json_value& entry = v["entry"];
      e.from = console_entry::origin::log;
      e.type = str_of(entry["source"]);
      e.level = str_of(entry["level"]);
      e.text = str_of(entry["text"]);
      e.timestamp = num_of(entry["timestamp"]);
      e.url = str_of(entry["url"]);
      if (auto line = entry["lineNumber"].get_int()) e.line = static_cast<int>(*line) + 1;
      if (e.url.empty()) take_top_frame(e, entry["stackTrace"]);
    } else {
      const json_value& details = v["exceptionDetails"];
      detail::exception_text t = detail::describe_exception(details);
      e.from = console_entry::origin::exception;
      e.type = "exception";
      e.level = "error";
      e.text = std::move(t.message);
      e.stack = std::move(t.stack);
      e.timestamp = num_of(v["timestamp"]);
      e.url = str_of(details["url"]);
      e.line = static_cast<int>(int_of(details["lineNumber"])) + 1;
      e.column = static_cast<int>(int_of(details["columnNumber"])) + 1;
      e.execution_context_id = int_of(details["executionContextId"]);
    }
    e.seq = stats_.total++;
    if (buffer_.size() == options_.capacity) {
      buffer_.pop_front();
      ++stats_.evicted;
    }
    buffer_.push_back(e);
    // Waits while a `block` live subscriber is full: that subscriber asked for nothing to be lost.
    (void)co_await live_.publish(std::move(e));
  }
  stats_.dropped = p.sub.dropped();
  sub_ = nullptr;
  // Live subscribers learn why nothing more comes: the browser died, or the stream just ended.
  if (pump_error_) live_.close(*pump_error_);
  else live_.close();
}

rt::task<rt::result<void>> console_actor::send_enable(rt::deadline until) {
  // One subscription (domain_actor's pump, "*" filtered by wanted) for the three events keeps
  // their relative order; it is made before the enables so that the replay they trigger is seen.
  static constexpr detail::enable_command commands[] = {{"Runtime.enable", "{}"}, {"Log.enable", "{}"}};
  co_return co_await send_all(commands, until);
}

std::vector<console_entry> console_actor::handle(get_entries) const {
  return std::vector<console_entry>(buffer_.begin(), buffer_.end());
}

console_stats console_actor::handle(get_stats) const {
  console_stats s = stats_;
  s.buffered = buffer_.size();
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

void console_actor::handle(clear) { buffer_.clear(); }

rt::subscription<console_entry> console_actor::handle(subscribe_live s) {
  return live_.subscribe(s.capacity, s.policy);
}

// --- the asks the backend makes ------------------------------------------------------------------

namespace {

using ref_t = rt::actor_ref<console_actor>;
using detail::ask_enable;
using detail::enable_then_ask;

}  // namespace

// --- the CDP backend -----------------------------------------------------------------------------

console console::start(rt::scheduler& sched, session::cdp_session session, console_options options) {
  return over(detail::spawn_backend<cdp_console_backend, console_actor>(sched, "console", std::move(session), std::move(options)));
}

rt::task<rt::result<void>> cdp_console_backend::enable(rt::deadline d) {
  return ask_enable(ref_, d);
}
rt::task<rt::result<std::vector<console_entry>>> cdp_console_backend::entries(rt::deadline d) {
  return enable_then_ask(ref_, console_actor::get_entries{}, d);
}
rt::task<rt::result<console_stats>> cdp_console_backend::stats(rt::deadline d) {
  return enable_then_ask(ref_, console_actor::get_stats{}, d);
}
rt::task<rt::result<void>> cdp_console_backend::clear(rt::deadline d) {
  return enable_then_ask(ref_, console_actor::clear{}, d);
}
rt::task<rt::result<rt::subscription<console_entry>>> cdp_console_backend::subscribe(std::size_t capacity, rt::overflow policy,
                                                                         rt::deadline d) {
  // Subscribed before enabling: the replay that enabling triggers reaches the new subscriber.
  return [](ref_t ref, std::size_t capacity, rt::overflow policy,
            rt::deadline d) -> rt::task<rt::result<rt::subscription<console_entry>>> {
    console_actor::subscribe_live s{capacity, policy};
    rt::result<rt::subscription<console_entry>> sub = co_await ref.ask(std::move(s), d);
    if (!sub) co_return std::move(sub).err();
    console_actor::enable en{d};
    rt::result<void> on = co_await ref.ask(std::move(en), d);
    if (!on) co_return std::move(on).err();
    co_return std::move(*sub);
  }(ref_, capacity, policy, d);
}

}  // namespace janus::domains
