#include <janus/client/firefox_tab.hpp>

#include "firefox_rdp_calls.hpp"
#include "firefox_sheet_registry.hpp"
#include "firefox_tab_internal.hpp"

#include <janus/protocol/base64.hpp>

#include <janus/rt/sleep.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace janus::client {

using protocol::json_value;
using namespace std::chrono_literals;

namespace {

// network_idle: nothing in flight for this long (the same quiet period as Chromium's page).
constexpr auto network_quiet = 500ms;
// Evaluation results nobody collected (their caller gave up) are kept at most this many.
constexpr std::size_t max_parked_results = 256;

// The shared RDP helpers (firefox_rdp_calls.hpp), under this file's short names.
constexpr auto& str_of = detail::rdp_str;
constexpr auto& int_of = detail::rdp_int;
constexpr auto& bool_of = detail::rdp_bool;
constexpr auto& key_of = detail::rdp_key;
constexpr auto& in_context = detail::rdp_in_context;
constexpr auto& req = detail::rdp_call;

double num_of(const json_value& v) {
  if (auto d = v.get_double()) return *d;
  return 0;
}

// JS numbers as console.log prints them: integers without a fraction.
std::string js_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  // Shortest form that reads back the same.
  for (int p = 1; p <= 17; ++p) {
    char t[32];
    std::snprintf(t, sizeof t, "%.*g", p, d);
    if (std::strtod(t, nullptr) == d) return t;
  }
  return buf;
}

// One console argument (a grip) as text, the way a console prints it in one line.
std::string grip_text(const json_value& g) {
  switch (g.type()) {
    case json_value::kind::null: return "null";
    case json_value::kind::boolean: return g.as_bool() ? "true" : "false";
    case json_value::kind::integer: return std::to_string(g.as_int());
    case json_value::kind::number: return js_number(g.as_double());
    case json_value::kind::string: return g.as_string();
    case json_value::kind::array: return g.dump();
    case json_value::kind::object: break;
  }
  const std::string type = str_of(g["type"]);
  if (type == "undefined" || type == "null" || type == "NaN" || type == "Infinity" || type == "-Infinity" ||
      type == "-0")
    return type;
  if (type == "BigInt") return str_of(g["text"]) + "n";
  if (type == "symbol") return "Symbol(" + str_of(g["name"]) + ")";
  // Long strings (10000+ characters) come as a grip with the first 1000: printed as far as known.
  if (type == "longString") return str_of(g["initial"]);
  if (type == "object") {
    const std::string cls = str_of(g["class"]);
    const json_value& pv = g["preview"];
    const std::string kind = str_of(pv["kind"]);
    if (kind == "Error") return str_of(pv["name"]) + ": " + str_of(pv["message"]);
    if (kind == "ArrayLike") {
      std::string out = cls + "(" + std::to_string(int_of(pv["length"])) + ") [";
      if (const auto* items = pv["items"].get_array()) {
        for (std::size_t i = 0; i < items->size(); ++i) out += (i ? ", " : "") + grip_text((*items)[i]);
      }
      return out + "]";
    }
    if (kind == "Object" && cls == "Object") {
      std::string out = "{";
      bool first = true;
      if (const auto* props = pv["ownProperties"].get_object()) {
        for (const auto& [name, desc] : *props) {
          out += (first ? " " : ", ") + name + ": " + grip_text(desc["value"]);
          first = false;
        }
      }
      return out + (first ? "}" : " }");
    }
    if (pv.contains("url")) return cls + " " + str_of(pv["url"]);
    return cls.empty() ? "Object" : cls;
  }
  return g.dump();
}

// console.log's arguments joined the way a console shows them: printf-style directives in a
// leading string argument (%s %d %i %f %o %O %c) take the next arguments, the rest are appended.
std::string format_console_args(const json_value::array_type& args) {
  std::string out;
  std::size_t next = 0;
  if (!args.empty() && args[0].is_string()) {
    const std::string& fmt = args[0].as_string();
    next = 1;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
      const char ch = fmt[i];
      if (ch != '%' || i + 1 >= fmt.size()) {
        out += ch;
        continue;
      }
      const char d = fmt[i + 1];
      if (d == '%') {
        out += '%';
        ++i;
      } else if (std::string_view("sdifoOc").find(d) != std::string_view::npos) {
        ++i;
        if (next >= args.size()) {
          out += '%';
          out += d;
          continue;
        }
        const json_value& a = args[next++];
        if (d == 'c') continue;  // CSS styling: no text
        if (d == 'd' || d == 'i') {
          if (a.is_number()) {
            out += js_number(std::trunc(a.as_double()));
            continue;
          }
          if (a.is_string()) {
            try {
              out += std::to_string(std::stoll(a.as_string()));
            } catch (...) {
              out += "NaN";
            }
            continue;
          }
          out += "NaN";
          continue;
        }
        out += grip_text(a);
      } else {
        out += ch;
      }
    }
  }
  for (; next < args.size(); ++next) {
    if (!out.empty() || next > 0) out += ' ';
    out += grip_text(args[next]);
  }
  return out;
}

std::string level_of_console(const std::string& fx_level) {
  if (fx_level == "warn") return "warning";
  if (fx_level == "error" || fx_level == "assert") return "error";
  if (fx_level == "debug") return "verbose";
  return "info";
}

std::string type_of_console(const std::string& fx_level) {
  if (fx_level == "warn") return "warning";
  if (fx_level == "group") return "startGroup";
  if (fx_level == "groupCollapsed") return "startGroupCollapsed";
  if (fx_level == "groupEnd") return "endGroup";
  return fx_level.empty() ? std::string("log") : fx_level;
}

std::string resource_type_of(const json_value& form) {
  if (bool_of(form["isXHR"])) return "XHR";
  const std::string cause = str_of(form["cause"]["type"]);
  if (cause == "document" || cause == "subdocument") return "Document";
  if (cause == "script") return "Script";
  if (cause == "stylesheet") return "Stylesheet";
  if (cause == "img" || cause == "image" || cause == "imageset") return "Image";
  if (cause == "fetch") return "Fetch";
  if (cause == "xhr") return "XHR";
  if (cause == "font") return "Font";
  if (cause == "media") return "Media";
  if (cause == "websocket") return "WebSocket";
  if (cause == "beacon") return "Ping";
  return "Other";
}

// The error code of an about:neterror page ("connectionFailure", "dnsNotFound"...).
std::string neterror_code(const std::string& url) {
  const auto e = url.find("e=");
  if (e == std::string::npos) return "network error";
  const auto end = url.find('&', e);
  return url.substr(e + 2, end == std::string::npos ? std::string::npos : end - e - 2);
}

std::string without_fragment(const std::string& url) { return url.substr(0, url.find('#')); }

}  // namespace

namespace detail {

/// What the pump knows about one tab.
///
/// @par Thread Safety
/// Every member but `stopping` is guarded by `mu`; the pump writes, callers read copies.
struct firefox_tab_state {
  struct top_target {
    std::string actor;
    std::string console;
    std::string screenshot;
    std::string inspector;  // the DOM mirror's way in (firefox_dom)
    std::string url;
    std::string title;
    std::int64_t browsing_context = 0;
    std::int64_t inner_window = 0;
    bool alive = false;
    /// Firefox's own error page (connection refused, DNS...): dom-loading's isErrorPage.
    bool error_page = false;
  };
  struct row {
    domains::network_request req;
    std::uint64_t seq = 0;
    bool navigation = false;  // isNavigationRequest: it belongs to the document it loads
    std::string actor;        // the netEvent actor that answers for its headers and body
    rt::time_point last{};    // its last event
  };

  std::mutex mu;
  std::atomic<bool> stopping{false};
  std::string tab_actor;
  std::string watcher;
  firefox_tab_options options;

  rt::errc gone = rt::errc::ok;
  std::string gone_why;

  // Actors of this tab whose events the pump files (targets and their console actors).
  std::unordered_set<std::string> known;
  std::unordered_map<std::string, std::string> console_of;  // target actor -> its console actor
  top_target top;
  std::uint64_t generation = 0;  // top-level targets seen
  bool interactive = false;      // of the current top-level document
  bool complete = false;
  rt::time_point complete_at{};

  std::deque<domains::console_entry> console;
  std::uint64_t console_total = 0;
  // Live console subscribers (console_subscribe). Entries filed under `mu` wait in
  // console_outbox until the pump publishes them outside the lock, where it may wait for a
  // `block` subscriber, as Chromium's console actor does.
  std::unique_ptr<rt::stream<domains::console_entry>> console_live;
  std::vector<domains::console_entry> console_outbox;

  std::deque<row> net;
  std::unordered_map<std::string, std::uint64_t> net_by_resource;  // resourceId -> row seq
  std::uint64_t net_total = 0;
  // The network handle's clear() hides rows below this sequence number: they stay in `net` so
  // that one still in flight keeps counting for the idle waits, as Chromium's table does.
  std::uint64_t net_cleared_below = 0;
  std::uint64_t net_evicted = 0;
  std::uint64_t net_events = 0;   // network-event resources and updates filed
  std::uint64_t net_unknown = 0;  // updates of a request the table does not have
  std::uint64_t console_cleared = 0;
  rt::time_point last_net_activity{};

  // Style sheets and frame actors for firefox_css; it has its own mutex.
  std::shared_ptr<firefox_sheet_registry> sheets = std::make_shared<firefox_sheet_registry>();

  std::unordered_map<std::string, json_value> results;  // resultID -> evaluationResult packet
  std::deque<std::string> result_order;

  // "Look again", for the waits on this state (wait_state): a tick after every change they may be
  // waiting for (the pump's events, the tab's end). A waiter subscribes before its first look, so
  // a change between a look and its wait leaves a tick. Capacity 1, drop_oldest: a tick carries
  // nothing, so one dropped behind another (counted by the stream) loses nothing.
  std::unique_ptr<rt::stream<char>> changed;
  void notify_changed() {
    if (changed) (void)changed->try_publish(0);
  }

  void mark_gone(rt::errc code, std::string why) {
    if (gone != rt::errc::ok) return;
    // Live console subscribers get what is queued, then errc::cancelled (or browser_exited, when
    // Firefox died): nothing more will come.
    if (console_live) {
      if (code == rt::errc::browser_exited) console_live->close(rt::error{code, "firefox tab: " + why});
      else console_live->close();
    }
    gone = code;
    gone_why = std::move(why);
    top.alive = false;
  }

  rt::error gone_error() const { return rt::error{gone, "firefox tab: " + gone_why}; }

  row* row_record(const std::string& resource) {
    auto it = net_by_resource.find(resource);
    if (it == net_by_resource.end() || net.empty() || it->second < net.front().seq) return nullptr;
    return &net[static_cast<std::size_t>(it->second - net.front().seq)];
  }
  domains::network_request* row_of(const std::string& resource) {
    row* r = row_record(resource);
    return r ? &r->req : nullptr;
  }

  std::size_t in_flight_since(std::uint64_t seq) const {
    std::size_t n = 0;
    for (const row& r : net)
      if (r.seq >= seq && r.req.in_flight()) ++n;
    return n;
  }

  // Idleness, by network.hpp's rule (the same as Chromium's): a request started at or after `seq`
  // keeps the network busy until it finishes or fails, or its response came and nothing more came
  // for it for `quiet` (a body the page never reads: Firefox does finish those, but a stream may
  // not), or no response came and nothing happened to it for long_lived_after (a long-poll).
  // The moment the last such request stops counting; time_point{} when none counts any more.
  rt::time_point busy_until(std::uint64_t seq, std::chrono::milliseconds quiet) const {
    rt::time_point until{};
    for (const row& r : net) {
      if (r.seq < seq || !r.req.in_flight()) continue;
      const bool responded = r.req.status_state == domains::network_request::state::responded;
      until = std::max(until, r.last + (responded ? quiet : options.long_lived_after));
    }
    return until;
  }

  // Whether the network is idle now for requests from `seq` on, quiet for `quiet` since its last
  // event (and since `not_before`); otherwise, when to look again.
  bool network_idle(std::uint64_t seq, std::chrono::milliseconds quiet, rt::time_point not_before,
                    rt::time_point& recheck) const {
    const rt::time_point now = rt::clock::now();
    const rt::time_point at = std::max({busy_until(seq, quiet), last_net_activity + quiet, not_before + quiet});
    if (now >= at) return true;
    recheck = std::min(recheck, at);
    return false;
  }

  void push_console(domains::console_entry e) {
    e.seq = console_total++;
    if (console_live && console_live->subscriber_count() > 0) console_outbox.push_back(e);
    console.push_back(std::move(e));
    while (console.size() > options.console_capacity) console.pop_front();
  }

  void on_console_message(const json_value& res) {
    // Older servers nest the message under "message"; this one sends it flat.
    const json_value& m = res["message"].is_object() ? res["message"] : res;
    domains::console_entry e;
    e.from = domains::console_entry::origin::console_api;
    const std::string lvl = str_of(m["level"]);
    e.level = level_of_console(lvl);
    e.type = type_of_console(lvl);
    if (const auto* args = m["arguments"].get_array()) e.text = format_console_args(*args);
    e.timestamp = num_of(m["timeStamp"]);
    e.url = str_of(m["filename"]);
    e.line = static_cast<int>(int_of(m["lineNumber"]));
    e.column = static_cast<int>(int_of(m["columnNumber"]));
    e.execution_context_id = int_of(m["innerWindowID"]);
    push_console(std::move(e));
  }

  void on_error_message(const json_value& res) {
    const json_value& pe = res["pageError"];
    domains::console_entry e;
    const bool warning = bool_of(pe["warning"]);
    e.from = warning ? domains::console_entry::origin::log : domains::console_entry::origin::exception;
    e.level = warning ? "warning" : "error";
    e.type = warning ? str_of(pe["category"]) : std::string("exception");
    e.text = grip_text(pe["errorMessage"]);
    if (const auto* frames = pe["stacktrace"].get_array()) {
      for (const json_value& f : *frames) {
        if (!e.stack.empty()) e.stack += '\n';
        const std::string fn = str_of(f["functionName"]);
        const std::string where = str_of(f["filename"]) + ":" + std::to_string(int_of(f["lineNumber"])) + ":" +
                                  std::to_string(int_of(f["columnNumber"]));
        e.stack += fn.empty() ? "    at " + where : "    at " + fn + " (" + where + ")";
      }
    }
    e.timestamp = num_of(pe["timeStamp"]);
    e.url = str_of(pe["sourceName"]);
    e.line = static_cast<int>(int_of(pe["lineNumber"]));
    e.column = static_cast<int>(int_of(pe["columnNumber"]));
    e.execution_context_id = int_of(pe["innerWindowID"]);
    push_console(std::move(e));
  }

  void on_network_available(const json_value& form) {
    ++net_events;
    domains::network_request r;
    r.request_id = key_of(form["resourceId"]);
    r.url = str_of(form["url"]);
    r.method = str_of(form["method"]);
    r.resource_type = resource_type_of(form);
    r.frame_id = std::to_string(int_of(form["browsingContextID"]));
    r.loader_id = std::to_string(int_of(form["innerWindowId"]));
    r.wall_time = num_of(form["timeStamp"]) / 1000.0;
    r.start_time = r.wall_time;
    r.from_cache = bool_of(form["fromCache"]);
    r.from_service_worker = bool_of(form["fromServiceWorker"]);
    const json_value& blocked = form["blockedReason"];
    if ((blocked.is_string() && !blocked.as_string().empty()) || (blocked.is_number() && int_of(blocked) != 0)) {
      r.status_state = domains::network_request::state::failed;
      r.blocked_reason = key_of(blocked);
      r.failure = "blocked: " + r.blocked_reason;
    }
    const std::uint64_t seq = net_total++;
    net_by_resource[r.request_id] = seq;
    net.push_back(row{std::move(r), seq, bool_of(form["isNavigationRequest"]), str_of(form["actor"]), rt::clock::now()});
    while (net.size() > options.network_capacity) {
      net_by_resource.erase(net.front().req.request_id);
      net.pop_front();
      ++net_evicted;
    }
    last_net_activity = rt::clock::now();
  }

  void on_network_updated(const json_value& upd) {
    row* whole = row_record(key_of(upd["resourceId"]));
    last_net_activity = rt::clock::now();
    if (whole) whole->last = last_net_activity;
    domains::network_request* r = whole ? &whole->req : nullptr;
    ++net_events;
    if (!r) {
      ++net_unknown;
      return;
    }
    const json_value& u = upd["resourceUpdates"];
    using st = domains::network_request::state;
    if (const json_value* s = u.find("status")) {
      r->status = static_cast<int>(int_of(*s));
      if (r->status_state == st::pending) r->status_state = st::responded;
    }
    if (const json_value* v = u.find("statusText")) r->status_text = str_of(*v);
    // Without parameters, as Chromium reports it ("text/html", not "text/html; charset=utf-8").
    if (const json_value* v = u.find("mimeType")) r->mime_type = str_of(*v).substr(0, str_of(*v).find(';'));
    if (const json_value* v = u.find("httpVersion")) r->protocol = str_of(*v);
    if (const json_value* v = u.find("remoteAddress")) r->remote_address = str_of(*v);
    if (const json_value* v = u.find("fromCache")) r->from_cache = r->from_cache || bool_of(*v);
    if (const json_value* v = u.find("contentSize")) r->data_length = int_of(*v);
    if (const json_value* v = u.find("transferredSize")) r->encoded_data_length = int_of(*v);
    if (const json_value* v = u.find("totalTime")) r->end_time = r->start_time + num_of(*v) / 1000.0;
    if (const json_value* v = u.find("blockedReason")) {
      if ((v->is_number() && int_of(*v) != 0) || (v->is_string() && !v->as_string().empty())) {
        r->blocked_reason = key_of(*v);
        r->failure = "blocked: " + r->blocked_reason;
        r->status_state = st::failed;
      }
    }
    if (bool_of(u["responseEndAvailable"]) && r->in_flight()) {
      // The channel ended. With no response at all it failed (refused, aborted, cancelled).
      if (r->status == 0) {
        r->status_state = st::failed;
        if (r->failure.empty()) r->failure = "no response";
        r->canceled = true;
      } else {
        r->status_state = st::finished;
      }
    }
  }

  void on_target_available(const json_value& form) {
    const std::string actor = str_of(form["actor"]);
    const std::string console_actor = str_of(form["consoleActor"]);
    sheets->on_target(form);
    known.insert(actor);
    if (!console_actor.empty()) {
      known.insert(console_actor);
      console_of[actor] = console_actor;
    }
    if (!bool_of(form["isTopLevelTarget"])) return;
    top.actor = actor;
    top.console = console_actor;
    top.screenshot = str_of(form["screenshotContentActor"]);
    top.inspector = str_of(form["inspectorActor"]);
    top.url = str_of(form["url"]);
    top.title = str_of(form["title"]);
    top.browsing_context = int_of(form["browsingContextID"]);
    top.inner_window = int_of(form["innerWindowId"]);
    top.alive = gone == rt::errc::ok;
    top.error_page = false;
    ++generation;
    interactive = false;
    complete = false;
  }

  void forget_target(const std::string& actor) {
    sheets->on_target_gone(actor);
    if (actor == top.actor) {
      top.alive = false;
      // Firefox sends nothing more about the requests of a document it tears down; they were
      // cancelled with it (Chromium reports them as net::ERR_ABORTED).
      const std::string loader = std::to_string(top.inner_window);
      for (row& r : net) {
        if (r.navigation || r.req.loader_id != loader || !r.req.in_flight()) continue;
        r.req.status_state = domains::network_request::state::failed;
        r.req.canceled = true;
        r.req.failure = "aborted: the document was replaced";
      }
    }
    known.erase(actor);
    auto it = console_of.find(actor);
    if (it != console_of.end()) {
      known.erase(it->second);
      console_of.erase(it);
    }
  }

  void on_resources(std::string_view kind, std::string_view from, const json_value& array) {
    const auto* groups = array.get_array();
    if (!groups) return;
    for (const json_value& g : *groups) {
      const std::string type = str_of(g[0]);
      const auto* list = g[1].get_array();
      if (!list) continue;
      for (const json_value& res : *list) {
        if (type == "stylesheet") {
          sheets->on_resource(kind, from, res);
          continue;
        }
        if (kind == "resources-available-array") {
          if (type == "document-event") {
            // dom-* events come from the document's own target; a stale one from a replaced
            // target must not count for the new document.
            if (from != top.actor) continue;
            const std::string name = str_of(res["name"]);
            if (name == "dom-loading" && bool_of(res["isErrorPage"])) top.error_page = true;
            if (name == "dom-interactive") interactive = true;
            if (name == "dom-complete" && !complete) {
              interactive = complete = true;
              complete_at = rt::clock::now();
            }
            if (res.contains("title")) top.title = str_of(res["title"]);
            if (res.contains("url") && res["url"].is_string()) top.url = str_of(res["url"]);
          } else if (type == "console-message") {
            on_console_message(res);
          } else if (type == "error-message") {
            on_error_message(res);
          } else if (type == "network-event") {
            on_network_available(res);
          }
        } else if (kind == "resources-updated-array") {
          if (type == "network-event") on_network_updated(res);
        }
      }
    }
  }

  void on_event(const session::rdp_event& ev) {
    const std::string_view from = ev.from();
    const std::string_view type = ev.type();
    {
      std::lock_guard lk(mu);
      const bool mine = from == watcher || from == tab_actor || known.count(std::string(from)) != 0 ||
                        (from == "root" && type == "forwardingCancelled");
      if (!mine) return;
    }
    rt::result<json_value> parsed = ev.parse();
    if (!parsed) return;
    const json_value& j = *parsed;
    std::lock_guard lk(mu);
    if (type == "target-available-form") {
      on_target_available(j["target"]);
    } else if (type == "target-destroyed-form") {
      forget_target(str_of(j["target"]["actor"]));
    } else if (type == "forwardingCancelled") {
      const std::string prefix = str_of(j["prefix"]);
      if (!prefix.empty() && top.actor.rfind(prefix, 0) == 0) top.alive = false;
    } else if (type == "descriptor-destroyed") {
      mark_gone(rt::errc::target_closed, "the tab was closed");
    } else if (type == "evaluationResult") {
      const std::string id = str_of(j["resultID"]);
      results[id] = std::move(*parsed);
      result_order.push_back(id);
      while (result_order.size() > max_parked_results) {
        results.erase(result_order.front());
        result_order.pop_front();
      }
    } else if (type == "resources-available-array" || type == "resources-updated-array" ||
               type == "resources-destroyed-array") {
      on_resources(type, from, j["array"]);
    }
  }
};

/// @par Thread Safety
/// Immutable after attach, but for the state behind its own mutex.
struct firefox_tab_core {
  rt::scheduler* sched = nullptr;
  session::rdp_connection conn;
  std::int64_t browser_id = 0;
  std::string tab_actor;
  std::string watcher;
  std::shared_ptr<firefox_tab_state> st;

  ~firefox_tab_core() {
    // The pump holds the state, not the core: it notices this at its next tick and ends.
    if (st) st->stopping.store(true, std::memory_order_release);
  }
};

}  // namespace detail

namespace {

using detail::firefox_tab_core;
using detail::firefox_tab_state;

// Reads every event of the connection and files this tab's. It wakes at least every 250 ms to
// notice that the tab handle is gone.
rt::task<void> pump(std::shared_ptr<firefox_tab_state> st, rt::subscription<session::rdp_event> sub) {
  for (;;) {
    if (st->stopping.load(std::memory_order_acquire)) co_return;
    rt::result<session::rdp_event> ev = co_await sub.next(rt::deadline(250ms));
    if (!ev) {
      if (ev.err().code == rt::errc::timeout) continue;
      std::lock_guard lk(st->mu);
      // The connection ended the stream: with browser_exited and its cause when Firefox died,
      // and every wait on this tab's state ends with that.
      if (ev.err().code == rt::errc::browser_exited) st->mark_gone(rt::errc::browser_exited, ev.err().message);
      else st->mark_gone(rt::errc::disconnected, "the connection to Firefox ended");
      st->notify_changed();
      co_return;
    }
    st->on_event(*ev);
    st->notify_changed();
    std::vector<domains::console_entry> out;
    {
      std::lock_guard lk(st->mu);
      out.swap(st->console_outbox);
    }
    for (domains::console_entry& e : out) (void)co_await st->console_live->publish(std::move(e));
  }
}

// A wait's verdict on the state (under its mutex): a result, or none yet. A verdict that time
// alone can change (a quiet period ending) lowers `recheck` to the moment it does.
template <class T>
using state_check = std::function<std::optional<rt::result<T>>(firefox_tab_state&, rt::time_point& recheck)>;

// Waits until `check` gives a verdict or `d` passes. It looks again at every change the pump
// announces (firefox_tab_state::changed) and at the time a check asked for, and never polls.
template <class T>
rt::task<rt::result<T>> wait_state(std::shared_ptr<firefox_tab_state> st, rt::deadline d, state_check<T> check,
                                   std::string what) {
  rt::subscription<char> changes = st->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    rt::time_point recheck = d.at();
    {
      std::lock_guard lk(st->mu);
      if (std::optional<rt::result<T>> v = check(*st, recheck)) co_return std::move(*v);
    }
    if (d.expired()) co_return rt::error{rt::errc::timeout, what};
    rt::result<char> tick = co_await changes.next(rt::deadline(std::min(recheck, d.at())));
    if (!tick && tick.err().code != rt::errc::timeout)
      co_return rt::error{rt::errc::cancelled, what + ": the tab's state ended"};
  }
}

constexpr auto& read_long_string = detail::rdp_long_string;

// The page-side wrapper: see the top of firefox_tab.hpp. Its answer is pure ASCII (non-ASCII
// escaped as \uXXXX) so that a longString can be read in chunks without splitting a character.
// `value_js` is the JavaScript whose (awaited) value is answered.
std::string wrap_value(const std::string& value_js) {
  return "(async () => {\n"
         "  const __janusAscii = (s) => s.replace(/[\\u007f-\\uffff]/g,\n"
         "    (c) => '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));\n"
         "  let __janusValue;\n"
         "  try {\n"
         "    __janusValue = await " + value_js + ";\n"
         "  } catch (e) {\n"
         "    let m, s = '';\n"
         "    try {\n"
         "      m = (e !== null && typeof e === 'object' && 'message' in e)\n"
         "        ? (e.name ? e.name + ': ' : '') + String(e.message) : 'Uncaught ' + String(e);\n"
         "      s = (e !== null && typeof e === 'object' && e.stack) ? String(e.stack) : '';\n"
         "    } catch (_) { m = 'Uncaught exception'; }\n"
         "    return __janusAscii(JSON.stringify({ok: false, m, s}));\n"
         "  }\n"
         "  try {\n"
         "    const j = JSON.stringify(__janusValue, (k, x) => typeof x === 'bigint' ? x.toString() : x);\n"
         "    return __janusAscii('{\"ok\":true,\"v\":' + (j === undefined ? 'null' : j) + '}');\n"
         "  } catch (e) {\n"
         "    return __janusAscii(JSON.stringify({ok: false, m: 'the value is not serializable: ' + String(e), s: ''}));\n"
         "  }\n"
         "})()";
}

std::string wrap_expression(const std::string& expression) {
  return wrap_value("(0, eval)(" + json_value(expression).dump() + ")");
}

// The statements of an async function, embedded as code: no eval, so a page whose policy forbids
// eval runs them too (evaluation by the debugger is not subject to the page's policy).
std::string wrap_function_body(const std::string& body) { return wrap_value("(async () => {\n" + body + "\n})()"); }

// The wrapper's answer (its JSON text) from an evaluationResult packet, or the JS error.
rt::task<rt::result<std::string>> evaluation_text(session::rdp_connection conn, json_value packet, rt::deadline d) {
  if (bool_of(packet["hasException"])) {
    std::string msg = str_of(packet["exceptionMessage"]);
    if (msg.empty()) msg = grip_text(packet["exception"]);
    co_return rt::error{rt::errc::javascript, std::move(msg)};
  }
  if (bool_of(packet["topLevelAwaitRejected"])) co_return rt::error{rt::errc::javascript, "the promise was rejected"};
  const json_value& result = packet["result"];
  if (result.is_string()) co_return result.as_string();
  if (str_of(result["type"]) == "longString") co_return co_await read_long_string(conn, result, d);
  co_return rt::error{rt::errc::protocol, "evaluate: unexpected result " + result.dump()};
}

// The wrapper's answer as the expression's value or its JS error.
rt::result<json_value> decode_answer(const std::string& text) {
  rt::result<json_value> env = json_value::parse(text);
  if (!env) return in_context(std::move(env).err(), "evaluate: the page's answer");
  if (bool_of((*env)["ok"])) {
    const json_value* v = env->find("v");
    return v ? *v : json_value();
  }
  std::string msg = str_of((*env)["m"]);
  const std::string stack = str_of((*env)["s"]);
  if (!stack.empty()) msg += "\n" + stack;
  return rt::error{rt::errc::javascript, std::move(msg)};
}

// An evaluationResult packet of the wrapper as the expression's value or its JS error.
rt::task<rt::result<json_value>> decode_evaluation(session::rdp_connection conn, json_value packet, rt::deadline d) {
  rt::result<std::string> text = co_await evaluation_text(std::move(conn), std::move(packet), d);
  if (!text) co_return std::move(text).err();
  co_return decode_answer(*text);
}

rt::result<void> check_alive(const std::shared_ptr<firefox_tab_core>& c) {
  if (!c) return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  std::lock_guard lk(c->st->mu);
  if (c->st->gone != rt::errc::ok) return c->st->gone_error();
  return {};
}

std::string stage_name(wait_until u) {
  switch (u) {
    case wait_until::commit: return "commit";
    case wait_until::domcontentloaded: return "domcontentloaded";
    case wait_until::load: return "load";
    case wait_until::network_idle: return "network idle";
  }
  return "?";
}

// Waits for a new top-level target (one more than `gen0`) to reach `until`, from the pump's state.
rt::task<rt::result<navigation>> wait_state_navigation(std::shared_ptr<firefox_tab_core> c, std::uint64_t gen0,
                                                 std::string old_actor, std::uint64_t net_mark, wait_until until,
                                                 rt::deadline d, std::string what) {
  state_check<navigation> check = [gen0, old_actor, net_mark, until, what](
                                      firefox_tab_state& s, rt::time_point& recheck) -> std::optional<rt::result<navigation>> {
    if (s.gone != rt::errc::ok) return rt::result<navigation>(s.gone_error());
    // A document announced since the request, not the one it was sent from.
    if (s.generation <= gen0 || s.top.actor == old_actor) return std::nullopt;
    if (s.top.error_page)
      return rt::result<navigation>(rt::error{rt::errc::protocol, what + ": Firefox showed its error page"});
    bool done = false;
    switch (until) {
      case wait_until::commit: done = true; break;
      case wait_until::domcontentloaded: done = s.interactive; break;
      case wait_until::load: done = s.complete; break;
      case wait_until::network_idle:
        // Quiet counts from the load event at the earliest: requests the page starts from its
        // load handler are announced a little later (resources are batched every 100 ms).
        if (s.complete) done = s.network_idle(net_mark, network_quiet, s.complete_at, recheck);
        break;
    }
    if (!done) return std::nullopt;
    navigation n;
    n.url = s.top.url;
    n.frame_id = std::to_string(s.top.browsing_context);
    n.loader_id = std::to_string(s.top.inner_window);
    return rt::result<navigation>(std::move(n));
  };
  co_return co_await wait_state<navigation>(c->st, d, std::move(check),
                                            what + ": " + stage_name(until) + " not reached before the deadline");
}

// As wait_state_navigation, but domcontentloaded is asked of the page itself: Firefox sends the
// dom-interactive resource late, only once the document's pending loads (a slow image) are done,
// so it marks `load` rather than DOMContentLoaded. Once the new document is committed, a script
// in it resolves at DOMContentLoaded; if that document is replaced meanwhile (a redirect, another
// navigation) the wait moves on to the next one.
rt::task<rt::result<navigation>> wait_navigation(std::shared_ptr<firefox_tab_core> c, std::uint64_t gen0,
                                                 std::string old_actor, std::uint64_t net_mark, wait_until until,
                                                 rt::deadline d, std::string what) {
  if (until != wait_until::domcontentloaded)
    co_return co_await wait_state_navigation(c, gen0, std::move(old_actor), net_mark, until, d, std::move(what));
  for (;;) {
    rt::result<navigation> committed =
        co_await wait_state_navigation(c, gen0, old_actor, net_mark, wait_until::commit, d, what);
    if (!committed) co_return committed;
    std::string actor;
    std::uint64_t gen = 0;
    {
      std::lock_guard lk(c->st->mu);
      if (c->st->interactive) co_return committed;
      actor = c->st->top.actor;
      gen = c->st->generation;
    }
    rt::result<json_value> ready = co_await firefox_tab(c).evaluate(
        std::string("document.readyState !== 'loading' || new Promise((r) => "
                    "document.addEventListener('DOMContentLoaded', () => r(true), {once: true}))"),
        d);
    if (ready) {
      std::lock_guard lk(c->st->mu);
      if (c->st->top.actor == actor) {
        c->st->interactive = true;
        c->st->notify_changed();
        committed->url = c->st->top.url;
        co_return committed;
      }
    } else if (ready.err().code != rt::errc::target_closed) {
      co_return in_context(std::move(ready).err(), what);
    }
    // Replaced by a later document: wait for that one.
    gen0 = gen;
    old_actor = actor;
  }
}

// The current top-level target's actors, once there is one.
rt::task<rt::result<firefox_tab_state::top_target>> current_target(std::shared_ptr<firefox_tab_core> c,
                                                                   rt::deadline d) {
  state_check<firefox_tab_state::top_target> check =
      [](firefox_tab_state& s, rt::time_point&) -> std::optional<rt::result<firefox_tab_state::top_target>> {
    if (s.gone != rt::errc::ok) return rt::result<firefox_tab_state::top_target>(s.gone_error());
    if (!s.top.alive || s.top.console.empty()) return std::nullopt;
    return rt::result<firefox_tab_state::top_target>(s.top);
  };
  co_return co_await wait_state<firefox_tab_state::top_target>(c->st, d, std::move(check),
                                                               "firefox tab: no live document before the deadline");
}

// A request to one of the current document's actors: if the document was replaced meanwhile, the
// failure is reported as what it is, target_closed.
rt::error target_error(rt::error e, const std::string& what) {
  if (e.code == rt::errc::protocol && e.message.rfind("noSuchActor", 0) == 0) e.code = rt::errc::target_closed;
  return in_context(std::move(e), what);
}

}  // namespace

// --- free functions -----------------------------------------------------------------------------

rt::task<rt::result<std::vector<firefox_tab_info>>> list_firefox_tabs(session::rdp_connection conn, rt::deadline d) {
  rt::result<json_value> r = co_await req(conn, "root", "listTabs", json_value::object(), d);
  if (!r) co_return in_context(std::move(r).err(), "listTabs");
  std::vector<firefox_tab_info> out;
  if (const auto* tabs = (*r)["tabs"].get_array()) {
    for (const json_value& t : *tabs) {
      firefox_tab_info i;
      i.actor = str_of(t["actor"]);
      i.browser_id = int_of(t["browserId"]);
      i.url = str_of(t["url"]);
      i.title = str_of(t["title"]);
      i.selected = bool_of(t["selected"]);
      out.push_back(std::move(i));
    }
  }
  co_return out;
}

rt::task<rt::result<json_value>> firefox_chrome_eval(session::rdp_connection conn, std::string js, rt::deadline d) {
  json_value gp = json_value::object();
  gp.set("id", 0);
  rt::result<json_value> proc = co_await req(conn, "root", "getProcess", std::move(gp), d);
  if (!proc) co_return in_context(std::move(proc).err(), "chrome eval: getProcess");
  const std::string descriptor = str_of((*proc)["processDescriptor"]["actor"]);
  rt::result<json_value> target = co_await req(conn, descriptor, "getTarget", json_value::object(), d);
  if (!target) co_return in_context(std::move(target).err(), "chrome eval: getTarget");
  const std::string console_actor = str_of((*target)["process"]["consoleActor"]);
  if (console_actor.empty()) co_return rt::error{rt::errc::protocol, "chrome eval: no parent-process console actor"};

  // Subscribed before sending: the result event may come right behind the reply.
  session::rdp_subscription_spec spec;
  spec.actor = console_actor;
  spec.type = "evaluationResult";
  spec.capacity = 256;
  rt::result<rt::subscription<session::rdp_event>> sub = conn.subscribe(std::move(spec));
  if (!sub) co_return std::move(sub).err();
  json_value ep = json_value::object();
  ep.set("text", js);
  rt::result<json_value> sent = co_await req(conn, console_actor, "evaluateJSAsync", std::move(ep), d);
  if (!sent) co_return in_context(std::move(sent).err(), "chrome eval");
  const std::string id = str_of((*sent)["resultID"]);
  for (;;) {
    rt::result<session::rdp_event> ev = co_await sub->next(d);
    if (!ev) co_return in_context(std::move(ev).err(), "chrome eval: waiting for the result");
    rt::result<json_value> j = ev->parse();
    if (!j || str_of((*j)["resultID"]) != id) continue;
    if (bool_of((*j)["hasException"]))
      co_return rt::error{rt::errc::javascript, "chrome eval: " + str_of((*j)["exceptionMessage"])};
    co_return (*j)["result"];
  }
}

// --- firefox_tab --------------------------------------------------------------------------------

rt::task<rt::result<firefox_tab>> firefox_tab::attach(rt::scheduler& sched, session::rdp_connection conn,
                                                      std::int64_t browser_id, rt::deadline d) {
  co_return co_await attach(sched, std::move(conn), browser_id, d, firefox_tab_options{});
}

rt::task<rt::result<firefox_tab>> firefox_tab::attach(rt::scheduler& sched, session::rdp_connection conn,
                                                      std::int64_t browser_id, rt::deadline d,
                                                      firefox_tab_options options) {
  json_value tp = json_value::object();
  tp.set("browserId", browser_id);
  rt::result<json_value> tab = co_await req(conn, "root", "getTab", std::move(tp), d);
  if (!tab) co_return in_context(std::move(tab).err(), "getTab " + std::to_string(browser_id));
  auto core = std::make_shared<firefox_tab_core>();
  core->sched = &sched;
  core->conn = conn;
  core->browser_id = browser_id;
  core->tab_actor = str_of((*tab)["tab"]["actor"]);
  json_value wp = json_value::object();
  wp.set("isServerTargetSwitchingEnabled", true);
  rt::result<json_value> watcher = co_await req(conn, core->tab_actor, "getWatcher", std::move(wp), d);
  if (!watcher) co_return in_context(std::move(watcher).err(), "getWatcher");
  core->watcher = str_of((*watcher)["actor"]);

  core->st = std::make_shared<firefox_tab_state>();
  core->st->console_live = std::make_unique<rt::stream<domains::console_entry>>(sched);
  core->st->changed = std::make_unique<rt::stream<char>>(sched);
  core->st->tab_actor = core->tab_actor;
  core->st->watcher = core->watcher;
  core->st->options = options;
  // Every event of the connection: this tab's target actors are only known as they are announced,
  // and the pump must see an announcement before that target's first resources.
  session::rdp_subscription_spec spec;
  spec.type = "*";
  spec.capacity = options.event_queue;
  rt::result<rt::subscription<session::rdp_event>> sub = conn.subscribe(std::move(spec));
  if (!sub) co_return std::move(sub).err();
  sched.spawn(pump(core->st, std::move(*sub)));

  json_value wt = json_value::object();
  wt.set("targetType", "frame");
  rt::result<json_value> targets = co_await req(conn, core->watcher, "watchTargets", std::move(wt), d);
  if (!targets) co_return in_context(std::move(targets).err(), "watchTargets");
  json_value wr = json_value::object();
  wr.set("resourceTypes", json_value::array({"console-message", "error-message", "document-event", "network-event",
                                             "stylesheet"}));
  rt::result<json_value> resources = co_await req(conn, core->watcher, "watchResources", std::move(wr), d);
  if (!resources) co_return in_context(std::move(resources).err(), "watchResources");
  rt::result<firefox_tab_state::top_target> top = co_await current_target(core, d);
  if (!top) co_return std::move(top).err();
  co_return firefox_tab(std::move(core));
}

rt::task<rt::result<firefox_tab>> firefox_tab::open(rt::scheduler& sched, session::rdp_connection conn, std::string url,
                                                    rt::deadline d) {
  co_return co_await open(sched, std::move(conn), std::move(url), d, firefox_tab_options{});
}

rt::task<rt::result<firefox_tab>> firefox_tab::open(rt::scheduler& sched, session::rdp_connection conn, std::string url,
                                                    rt::deadline d, firefox_tab_options options) {
  // Selected, as Chromium's new targets are: a background tab's timers are throttled to one per
  // second, which stretches every page's scripts (and network_idle waits).
  // A blank tab first: attaching to a tab still loading its first URL could catch the initial
  // about:blank target just before it is replaced.
  rt::result<json_value> id = co_await firefox_chrome_eval(
      conn,
      "(() => { const t = gBrowser.addTab('about:blank', {triggeringPrincipal: "
      "Services.scriptSecurityManager.getSystemPrincipal()}); gBrowser.selectedTab = t; "
      "return t.linkedBrowser.browserId; })()",
      d);
  if (!id) co_return in_context(std::move(id).err(), "open a tab");
  if (!id->is_number()) co_return rt::error{rt::errc::protocol, "open a tab: no browserId in " + id->dump()};
  rt::result<firefox_tab> tab = co_await attach(sched, conn, int_of(*id), d, options);
  if (!tab) co_return std::move(tab).err();
  if (!url.empty() && url != "about:blank") {
    rt::result<navigation> nav = co_await tab->navigate(url, wait_until::load, d);
    if (!nav) co_return std::move(nav).err();
  }
  co_return std::move(*tab);
}

std::int64_t firefox_tab::browser_id() const noexcept { return core_ ? core_->browser_id : 0; }
const std::string& firefox_tab::descriptor() const noexcept { return core_->tab_actor; }
const session::rdp_connection& firefox_tab::connection() const noexcept { return core_->conn; }

rt::result<void> firefox_tab::alive() const { return check_alive(core_); }

rt::task<rt::result<navigation>> firefox_tab::navigate(std::string url, wait_until until, rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  std::uint64_t gen0 = 0;
  std::uint64_t net_mark = 0;
  {
    std::lock_guard lk(c->st->mu);
    gen0 = c->st->generation;
    net_mark = c->st->net_total;
  }
  const std::string what = "navigate to " + url;
  // A fragment change keeps the document: no new target and no load events. navigateTo to a
  // fragment never replies (notes §1 rule 4) and would block the actor, so the page moves itself.
  if (url.find('#') != std::string::npos && without_fragment(url) == without_fragment(top->url)) {
    rt::result<json_value> moved = co_await evaluate("location.href = " + json_value(url).dump() + "; undefined", d);
    if (!moved) co_return in_context(std::move(moved).err(), what);
    navigation n;
    n.url = url;
    n.frame_id = std::to_string(top->browsing_context);
    n.loader_id = std::to_string(top->inner_window);
    n.same_document = true;
    std::lock_guard lk(c->st->mu);
    if (c->st->top.actor == top->actor) c->st->top.url = url;
    co_return n;
  }
  // Sent to the document being left rather than the tab descriptor: it answers at once, and if it
  // ever does not, only that dying actor is held up, not every later navigation of the tab.
  json_value p = json_value::object();
  p.set("url", url);
  rt::result<json_value> r = co_await req(c->conn, top->actor, "navigateTo", std::move(p), d);
  if (!r) {
    // Torn down before it answered: that is the navigation going ahead.
    rt::error e = target_error(std::move(r).err(), what);
    if (e.code != rt::errc::target_closed) co_return e;
  }
  rt::result<navigation> nav = co_await wait_navigation(c, gen0, top->actor, net_mark, until, d, what);
  if (!nav && nav.err().code == rt::errc::protocol) {
    // Firefox's error page: its address names the error (about:neterror?e=connectionFailure&...).
    rt::deadline quick(std::min(d.at(), rt::clock::now() + std::chrono::duration_cast<rt::duration>(3s)));
    rt::result<json_value> uri = co_await evaluate(std::string("document.documentURI"), quick);
    if (uri && uri->is_string() && uri->as_string().rfind("about:", 0) == 0)
      co_return rt::error{rt::errc::protocol, what + ": " + neterror_code(uri->as_string()) + " (" + uri->as_string() + ")"};
  }
  co_return nav;
}

rt::task<rt::result<navigation>> firefox_tab::reload(wait_until until, rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  std::uint64_t gen0 = 0;
  std::uint64_t net_mark = 0;
  {
    std::lock_guard lk(c->st->mu);
    gen0 = c->st->generation;
    net_mark = c->st->net_total;
  }
  json_value options = json_value::object();
  options.set("force", false);
  json_value p = json_value::object();
  p.set("options", std::move(options));
  rt::result<json_value> r = co_await req(c->conn, top->actor, "reload", std::move(p), d);
  if (!r) {
    rt::error e = target_error(std::move(r).err(), "reload");
    if (e.code != rt::errc::target_closed) co_return e;
  }
  co_return co_await wait_navigation(c, gen0, top->actor, net_mark, until, d, std::string("reload"));
}

namespace {

// One step through the session history. The page moves itself: tabDescriptor.goBack may hold its
// reply like navigateTo does (notes §1 rule 4), and the page knows whether there is an entry.
rt::task<rt::result<navigation>> history_step(std::shared_ptr<firefox_tab_core> c, bool back, wait_until until,
                                              rt::deadline d) {
  const std::string what = back ? "go back" : "go forward";
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  std::uint64_t gen0 = 0;
  std::uint64_t net_mark = 0;
  {
    std::lock_guard lk(c->st->mu);
    gen0 = c->st->generation;
    net_mark = c->st->net_total;
  }
  rt::result<json_value> can = co_await firefox_tab(c).evaluate(
      std::string(back ? "navigation.canGoBack" : "navigation.canGoForward"), d);
  if (!can) co_return in_context(std::move(can).err(), what);
  if (!bool_of(*can)) co_return rt::error{rt::errc::invalid_argument, what + ": no history entry in that direction"};
  rt::result<json_value> moved =
      co_await firefox_tab(c).evaluate(std::string(back ? "history.back(); undefined" : "history.forward(); undefined"), d);
  if (!moved && moved.err().code != rt::errc::target_closed) co_return in_context(std::move(moved).err(), what);
  co_return co_await wait_navigation(c, gen0, top->actor, net_mark, until, d, what);
}

}  // namespace

rt::task<rt::result<navigation>> firefox_tab::go_back(wait_until until, rt::deadline d) const {
  co_return co_await history_step(core_, true, until, d);
}

rt::task<rt::result<navigation>> firefox_tab::go_forward(wait_until until, rt::deadline d) const {
  co_return co_await history_step(core_, false, until, d);
}

namespace {

// Sends `text` to the current document's console and waits for its evaluationResult packet.
rt::task<rt::result<json_value>> evaluation_packet(std::shared_ptr<firefox_tab_core> c, std::string text, rt::deadline d) {
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  const std::string console_actor = top->console;
  json_value p = json_value::object();
  p.set("text", std::move(text));
  json_value mapped = json_value::object();
  mapped.set("await", true);
  p.set("mapped", std::move(mapped));
  rt::result<json_value> sent = co_await req(c->conn, console_actor, "evaluateJSAsync", std::move(p), d);
  if (!sent) co_return target_error(std::move(sent).err(), "evaluate");
  const std::string id = str_of((*sent)["resultID"]);
  state_check<json_value> check = [id, console_actor](firefox_tab_state& s,
                                                      rt::time_point&) -> std::optional<rt::result<json_value>> {
    auto it = s.results.find(id);
    if (it != s.results.end()) {
      json_value v = std::move(it->second);
      s.results.erase(it);
      return rt::result<json_value>(std::move(v));
    }
    if (s.gone != rt::errc::ok) return rt::result<json_value>(s.gone_error());
    // The document went away (navigation): its console actor will never answer.
    if (!s.top.alive || s.top.console != console_actor)
      return rt::result<json_value>(
          rt::error{rt::errc::target_closed, "evaluate: the document was replaced before the result came"});
    return std::nullopt;
  };
  co_return co_await wait_state<json_value>(c->st, d, std::move(check), "evaluate: no result before the deadline");
}

}  // namespace

rt::task<rt::result<json_value>> firefox_tab::evaluate(std::string expression, rt::deadline d) const {
  rt::result<json_value> packet = co_await evaluation_packet(core_, wrap_expression(expression), d);
  if (!packet) co_return std::move(packet).err();
  co_return co_await decode_evaluation(core_->conn, std::move(*packet), d);
}

rt::task<rt::result<json_value>> detail::firefox_run_function(firefox_tab tab, std::string body, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  rt::result<json_value> packet = co_await evaluation_packet(c, wrap_function_body(body), d);
  if (!packet) co_return std::move(packet).err();
  co_return co_await decode_evaluation(c->conn, std::move(*packet), d);
}

rt::task<rt::result<std::string>> detail::firefox_run_function_text(firefox_tab tab, std::string body, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  rt::result<json_value> packet = co_await evaluation_packet(c, wrap_function_body(body), d);
  if (!packet) co_return std::move(packet).err();
  rt::result<std::string> text = co_await evaluation_text(c->conn, std::move(*packet), d);
  if (!text) co_return std::move(text).err();
  // The wrapper answers {"ok":true,"v":VALUE} or {"ok":false,...}: VALUE's text is cut out as is.
  constexpr std::string_view head = "{\"ok\":true,\"v\":";
  if (text->size() > head.size() && std::string_view(*text).substr(0, head.size()) == head && text->back() == '}') {
    text->pop_back();
    text->erase(0, head.size());
    co_return std::move(*text);
  }
  rt::result<json_value> value = decode_answer(*text);  // an error, or a value written otherwise
  if (!value) co_return std::move(value).err();
  co_return value->dump();
}

rt::task<rt::result<json_value>> detail::firefox_evaluate_grip(firefox_tab tab, std::string expression, rt::deadline d) {
  rt::result<json_value> packet = co_await evaluation_packet(tab.core(), std::move(expression), d);
  if (!packet) co_return std::move(packet).err();
  if (bool_of((*packet)["hasException"]))
    co_return rt::error{rt::errc::javascript, str_of((*packet)["exceptionMessage"])};
  co_return std::move((*packet)["result"]);
}

rt::task<rt::result<void>> firefox_tab::set_content(std::string html, rt::deadline d) const {
  const std::string src = json_value(html).dump();
  rt::result<json_value> r =
      co_await evaluate("document.open(); document.write(" + src + "); document.close(); undefined", d);
  if (!r) co_return std::move(r).err();
  co_return rt::ok;
}

rt::task<rt::result<std::vector<std::uint8_t>>> firefox_tab::screenshot(screenshot_options options,
                                                                         rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  if (top->screenshot.empty()) co_return rt::error{rt::errc::unsupported, "screenshot: no screenshotContentActor"};
  json_value args = json_value::object();
  if (!options.selector.empty()) args.set("selector", options.selector);
  if (options.full_page) args.set("fullpage", true);
  json_value pp = json_value::object();
  pp.set("args", std::move(args));
  rt::result<json_value> prep = co_await req(c->conn, top->screenshot, "prepareCapture", std::move(pp), d);
  if (!prep) co_return target_error(std::move(prep).err(), "screenshot: prepareCapture");
  const json_value& rect = (*prep)["value"]["rect"];
  if (!options.selector.empty() && !rect.is_object())
    co_return rt::error{rt::errc::not_found, "screenshot: no element matches " + options.selector};
  rt::result<json_value> root = co_await req(c->conn, "root", "getRoot", json_value::object(), d);
  if (!root) co_return in_context(std::move(root).err(), "screenshot: getRoot");
  const std::string shooter = str_of((*root)["screenshotActor"]);
  if (shooter.empty()) co_return rt::error{rt::errc::unsupported, "screenshot: no screenshotActor"};
  json_value cargs = json_value::object();
  cargs.set("browsingContextID", top->browsing_context);
  if (rect.is_object()) cargs.set("rect", rect);
  cargs.set("fullpage", options.full_page);
  cargs.set("snapshotScale", 1);
  cargs.set("disableFlash", true);
  json_value cp = json_value::object();
  cp.set("args", std::move(cargs));
  rt::result<json_value> shot = co_await req(c->conn, shooter, "capture", std::move(cp), d);
  if (!shot) co_return in_context(std::move(shot).err(), "screenshot: capture");
  const std::string data = str_of((*shot)["value"]["data"]);
  const std::string prefix = "data:image/png;base64,";
  if (data.rfind(prefix, 0) != 0) co_return rt::error{rt::errc::protocol, "screenshot: no PNG data URL in the reply"};
  rt::result<std::string> png = protocol::base64_decode(std::string_view(data).substr(prefix.size()));
  if (!png) co_return in_context(std::move(png).err(), "screenshot");
  co_return std::vector<std::uint8_t>(png->begin(), png->end());
}

rt::task<rt::result<std::vector<domains::console_entry>>> firefox_tab::console_entries() const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  std::lock_guard lk(c->st->mu);
  co_return std::vector<domains::console_entry>(c->st->console.begin(), c->st->console.end());
}

rt::task<rt::result<rt::subscription<domains::console_entry>>> firefox_tab::console_subscribe(
    std::size_t capacity, rt::overflow policy) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  if (capacity == 0) co_return rt::error{rt::errc::invalid_argument, "console_subscribe: capacity must be at least 1"};
  {
    std::lock_guard lk(c->st->mu);
    if (c->st->gone != rt::errc::ok) co_return c->st->gone_error();
  }
  co_return c->st->console_live->subscribe(capacity, policy);
}

rt::task<rt::result<std::vector<domains::network_request>>> firefox_tab::network_requests() const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  std::vector<domains::network_request> out;
  std::lock_guard lk(c->st->mu);
  out.reserve(c->st->net.size());
  for (const auto& r : c->st->net)
    if (r.seq >= c->st->net_cleared_below) out.push_back(r.req);
  co_return out;
}

rt::task<rt::result<page_info>> firefox_tab::info(rt::deadline) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  page_info i;
  std::lock_guard lk(c->st->mu);
  const firefox_tab_state& s = *c->st;
  i.target_id = s.top.actor;
  i.session_id = s.watcher;
  i.frame_id = std::to_string(s.top.browsing_context);
  i.loader_id = std::to_string(s.top.inner_window);
  i.url = s.top.url;
  i.title = s.top.title;
  i.dom_content_loaded = s.interactive;
  i.loaded = s.complete;
  i.gone = s.gone;
  i.gone_reason = s.gone_why;
  co_return i;
}

rt::task<rt::result<firefox_document_actors>> firefox_tab::document_actors(rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  firefox_document_actors a;
  a.target = top->actor;
  a.inspector = top->inspector;
  a.url = top->url;
  co_return a;
}

rt::task<rt::result<void>> firefox_tab::close(rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  const std::string id = std::to_string(c->browser_id);
  rt::result<json_value> r = co_await firefox_chrome_eval(
      c->conn,
      "(() => { const b = gBrowser.browsers.find((x) => x.browserId == " + id +
          "); if (!b) return false; gBrowser.removeTab(gBrowser.getTabForBrowser(b)); return true; })()",
      d);
  if (!r) co_return in_context(std::move(r).err(), "close tab");
  {
    std::lock_guard lk(c->st->mu);
    c->st->mark_gone(rt::errc::target_closed, "the tab was closed");
  }
  c->st->notify_changed();
  if (!bool_of(*r)) co_return rt::error{rt::errc::not_found, "close tab: no tab with browserId " + id};
  co_return rt::ok;
}

// --- for firefox_css and firefox_network (firefox_tab_internal.hpp) ------------------------------

std::shared_ptr<detail::firefox_sheet_registry> detail::firefox_sheets_of(const firefox_tab& tab) {
  return tab.core() ? tab.core()->st->sheets : nullptr;
}

rt::task<rt::result<std::string>> detail::firefox_current_target(firefox_tab tab, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  co_return top->actor;
}

rt::result<std::string> detail::firefox_net_event_actor(const firefox_tab& tab, const std::string& request_id) {
  if (!tab) return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  firefox_tab_state& s = *tab.core()->st;
  std::lock_guard lk(s.mu);
  for (const auto& r : s.net)
    if (r.req.request_id == request_id) return r.actor;
  return rt::error{rt::errc::not_found, "no request " + request_id + " in the network table"};
}

domains::network_stats detail::firefox_network_stats(const firefox_tab& tab) {
  firefox_tab_state& s = *tab.core()->st;
  std::lock_guard lk(s.mu);
  domains::network_stats out;
  for (const auto& r : s.net)
    if (r.seq >= s.net_cleared_below) ++out.rows;
  out.in_flight = s.in_flight_since(0);
  out.requests = s.net_total;
  out.evicted = s.net_evicted;
  out.events = s.net_events;
  out.unknown = s.net_unknown;
  out.next_seq = s.net_total;
  return out;
}

void detail::firefox_clear_network(const firefox_tab& tab) {
  firefox_tab_state& s = *tab.core()->st;
  std::lock_guard lk(s.mu);
  s.net_cleared_below = s.net_total;
}

rt::task<rt::result<void>> detail::firefox_wait_network_idle(firefox_tab tab, std::chrono::milliseconds quiet,
                                                             std::uint64_t since, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  state_check<bool> check = [quiet, since](firefox_tab_state& s,
                                           rt::time_point& recheck) -> std::optional<rt::result<bool>> {
    if (s.gone != rt::errc::ok) return rt::result<bool>(s.gone_error());
    if (s.network_idle(since, quiet, rt::time_point{}, recheck)) return rt::result<bool>(true);
    return std::nullopt;
  };
  rt::result<bool> idle = co_await wait_state<bool>(c->st, d, std::move(check),
                                                    "network: requests still in flight at the deadline");
  if (!idle) co_return std::move(idle).err();
  co_return rt::ok;
}

domains::console_stats detail::firefox_console_stats(const firefox_tab& tab) {
  firefox_tab_state& s = *tab.core()->st;
  std::lock_guard lk(s.mu);
  domains::console_stats out;
  out.buffered = s.console.size();
  out.total = s.console_total;
  out.evicted = s.console_total - s.console.size() - s.console_cleared;
  return out;
}

void detail::firefox_clear_console(const firefox_tab& tab) {
  firefox_tab_state& s = *tab.core()->st;
  std::lock_guard lk(s.mu);
  s.console_cleared += s.console.size();
  s.console.clear();
}

}  // namespace janus::client
