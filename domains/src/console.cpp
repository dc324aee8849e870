#include <janus/domains/console.hpp>

#include <cmath>
#include <string_view>

namespace janus::domains {

using detail::sooner;

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
    : session_(std::move(session)), options_(options), enabled_(*sched), live_(*sched) {
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

rt::task<rt::result<void>> console_actor::handle(enable e) {
  if (enabled_.done()) co_return rt::ok;
  if (!enabled_.claim()) co_return co_await enabled_.wait(e.until);
  if (!pump_started_) {
    // One subscription for the three events keeps their relative order; it is made before the
    // enables so that the replay they trigger is seen.
    rt::result<void> started =
        co_await detail::start_pump(session_, self(), "*", options_.event_queue, &wanted);
    if (!started) {
      enabled_.finish(started);
      co_return started;
    }
    pump_started_ = true;
  }
  rt::result<void> outcome = rt::ok;
  static constexpr std::string_view methods[] = {"Runtime.enable", "Log.enable"};
  for (std::string_view method : methods) {
    session::call_options co{.deadline = sooner(e.until, options_.command_timeout), .cancel = {}};
    auto reply = co_await session_.call(method, "{}", std::move(co));
    if (!reply) {
      outcome = std::move(reply).err();
      break;
    }
  }
  enabled_.finish(outcome);
  co_return outcome;
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

// --- the handle ---------------------------------------------------------------------------------

console console::start(rt::scheduler& sched, session::cdp_session session, console_options options) {
  console c;
  rt::spawn_options so;
  so.name = "console";
  auto ref = rt::spawn<console_actor>(sched, std::move(so), &sched, std::move(session), options);
  c.owner_ = std::make_shared<detail::actor_owner<console_actor>>(std::move(ref));
  return c;
}

namespace {

using ref_t = rt::actor_ref<console_actor>;
using detail::ask_enable;
using detail::enable_then_ask;

}  // namespace

rt::task<rt::result<void>> console::enable(rt::deadline d) const {
  if (backend_) return backend_->enable(d);
  return ask_enable(owner_->ref, d);
}
rt::task<rt::result<std::vector<console_entry>>> console::entries(rt::deadline d) const {
  if (backend_) return backend_->entries(d);
  return enable_then_ask(owner_->ref, console_actor::get_entries{}, d);
}
rt::task<rt::result<console_stats>> console::stats(rt::deadline d) const {
  if (backend_) return backend_->stats(d);
  return enable_then_ask(owner_->ref, console_actor::get_stats{}, d);
}
rt::task<rt::result<void>> console::clear(rt::deadline d) const {
  if (backend_) return backend_->clear(d);
  return enable_then_ask(owner_->ref, console_actor::clear{}, d);
}
rt::task<rt::result<rt::subscription<console_entry>>> console::subscribe(std::size_t capacity, rt::overflow policy,
                                                                         rt::deadline d) const {
  if (backend_) return backend_->subscribe(capacity, policy, d);
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
  }(owner_->ref, capacity, policy, d);
}
void console::stop() const {
  if (owner_) owner_->ref.stop();
}


// A backend's calls it does not override.
rt::task<rt::result<std::vector<console_entry>>> console_backend::entries(rt::deadline) {
  return detail::unsupported<std::vector<console_entry>>(*this, "console.entries");
}
rt::task<rt::result<console_stats>> console_backend::stats(rt::deadline) {
  return detail::unsupported<console_stats>(*this, "console.stats");
}
rt::task<rt::result<void>> console_backend::clear(rt::deadline) {
  return detail::unsupported<void>(*this, "console.clear");
}
rt::task<rt::result<rt::subscription<console_entry>>> console_backend::subscribe(std::size_t, rt::overflow, rt::deadline) {
  return detail::unsupported<rt::subscription<console_entry>>(*this, "console.subscribe");
}
rt::task<rt::result<void>> console_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "console.enable");
}
console console::over(std::shared_ptr<console_backend> backend) {
  console out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
