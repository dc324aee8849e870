// Private to the Firefox tab's files (firefox_tab*.cpp): the tab's state as its pump fills it from
// the connection's events, the core every tab handle shares, and the pieces those files share —
// the waits on the state, the current document's target, and the console/grip formatting
// (firefox_grip_text.cpp).
#pragma once

#include "firefox_rdp_calls.hpp"
#include "firefox_sheet_registry.hpp"
#include "firefox_tab_internal.hpp"

#include "firefox_tab.hpp"
#include <janus/protocol/json_value.hpp>
#include <janus/rt/actor.hpp>
#include <janus/rt/stream.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace janus::client::detail {

using protocol::json_value;

// network_idle: nothing in flight for this long (the same quiet period as Chromium's page).
inline constexpr std::chrono::milliseconds network_quiet{500};
// Evaluation results nobody collected (their caller gave up) are kept at most this many.
inline constexpr std::size_t max_parked_results = 256;

// The shared RDP helpers (firefox_rdp_calls.hpp), under the tab files' short names.
inline constexpr auto& str_of = rdp_str;
inline constexpr auto& int_of = rdp_int;
inline constexpr auto& bool_of = rdp_bool;
inline constexpr auto& key_of = rdp_key;
inline constexpr auto& in_context = rdp_in_context;
inline constexpr auto& req = rdp_call;

// firefox_grip_text.cpp
double num_of(const json_value& v);
std::string grip_text(const json_value& g);
std::string format_console_args(const json_value::array_type& args);
std::string level_of_console(const std::string& fx_level);
std::string type_of_console(const std::string& fx_level);
std::string resource_type_of(const json_value& form);
std::string neterror_code(const std::string& url);
std::string without_fragment(const std::string& url);


/// The tab's end, for alive(), which answers at once from any thread without asking the actor:
/// `why` is written once, before `code` is published (release), and never changes after.
struct firefox_tab_end {
  std::atomic<rt::errc> code{rt::errc::ok};
  std::string why;
};

/// What the tab's actor knows about one tab.
///
/// @par Thread Safety
/// Owned by its firefox_tab_actor: only the actor's handlers touch it (its pump filing events, and
/// the visits callers send it), one at a time, so it needs no lock. The streams and the end are
/// shared with the tab's core, and are safe to use from any thread.
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
  std::shared_ptr<rt::stream<domains::console_entry>> console_live;
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

  // Style sheets and frame actors for firefox_css (firefox_visit_sheets).
  firefox_sheet_registry sheets;

  std::unordered_map<std::string, json_value> results;  // resultID -> evaluationResult packet
  std::deque<std::string> result_order;

  // "Look again", for the waits on this state (wait_state): a tick after every change they may be
  // waiting for (the pump's events, the tab's end). A waiter subscribes before its first look, so
  // a change between a look and its wait leaves a tick. Capacity 1, drop_oldest: a tick carries
  // nothing, so one dropped behind another (counted by the stream) loses nothing.
  std::shared_ptr<rt::stream<char>> changed;
  std::shared_ptr<firefox_tab_end> end;
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
    if (end) {
      end->why = "firefox tab: " + gone_why;
      end->code.store(code, std::memory_order_release);
    }
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
    sheets.on_target(form);
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
    sheets.on_target_gone(actor);
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
          sheets.on_resource(kind, from, res);
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
    const bool mine = from == watcher || from == tab_actor || known.count(std::string(from)) != 0 ||
                      (from == "root" && type == "forwardingCancelled");
    if (!mine) return;
    rt::result<json_value> parsed = ev.parse();
    if (!parsed) return;
    const json_value& j = *parsed;
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

/// The tab's actor: it owns the state, files the connection's events into it (its pump handler,
/// which never sends a request: a subscription that stops being read would stall every reply on
/// the connection), and runs the callers' visits on it. Actors are reentrant at suspension points,
/// so visits run while the pump waits for the next event.
///
/// @par Thread Safety
/// Used through its actor_ref from any thread.
class firefox_tab_actor : public rt::actor<firefox_tab_actor> {
 public:
  struct pump {
    std::shared_ptr<rt::subscription<session::rdp_event>> events;
  };
  /// Runs `fn` on the state, in the actor. `fn` must own what it refers to: an ask that times out
  /// leaves the visit in the mailbox, to run after its caller has gone.
  struct visit {
    std::function<void(firefox_tab_state&)> fn;
  };
  using message = std::variant<pump, visit>;
  static constexpr std::size_t mailbox_capacity = 256;

  explicit firefox_tab_actor(std::shared_ptr<firefox_tab_state> st) : st_(std::move(st)) {}

  rt::task<void> handle(pump p);
  void handle(visit v) { v.fn(*st_); }
  /// Stopped with its last tab handle: the tab's waits end (they wait on `changed`), and live
  /// console subscribers get what is queued.
  void on_stop() {
    st_->mark_gone(rt::errc::cancelled, "the tab handle was dropped");
    st_->notify_changed();
  }

 private:
  std::shared_ptr<firefox_tab_state> st_;  // nobody else holds it
};

/// What every handle of one tab shares.
///
/// @par Thread Safety
/// Immutable after attach; the actor, streams and end are safe to use from any thread.
struct firefox_tab_core {
  rt::scheduler* sched = nullptr;
  session::rdp_connection conn;
  std::int64_t browser_id = 0;
  std::string tab_actor;
  std::string watcher;
  rt::actor_ref<firefox_tab_actor> actor;
  std::shared_ptr<rt::stream<char>> changed;
  std::shared_ptr<rt::stream<domains::console_entry>> console_live;
  std::shared_ptr<firefox_tab_end> end;

  ~firefox_tab_core() {
    if (actor) actor.stop();
  }
};

/// Runs `fn` on the tab's state in its actor and returns what it returned; the tab's error once
/// the actor is gone.
template <class F>
auto visit_state(std::shared_ptr<firefox_tab_core> c, F fn, rt::deadline d)
    -> rt::task<rt::result<decltype(fn(std::declval<firefox_tab_state&>()))>> {
  using R = decltype(fn(std::declval<firefox_tab_state&>()));
  struct box {
    F fn;
    std::optional<R> out;
  };
  auto b = std::make_shared<box>(box{std::move(fn), std::nullopt});
  firefox_tab_actor::visit v{[b](firefox_tab_state& s) { b->out.emplace(b->fn(s)); }};
  rt::result<void> asked = co_await c->actor.ask(std::move(v), d);
  if (!asked) {
    if (c->end->code.load(std::memory_order_acquire) != rt::errc::ok)
      co_return rt::error{c->end->code.load(std::memory_order_acquire), c->end->why};
    co_return std::move(asked).err();
  }
  co_return std::move(*b->out);
}

/// A wait's verdict on the state (run in the tab's actor): a result, or none yet. A verdict that time
/// alone can change (a quiet period ending) lowers `recheck` to the moment it does.
template <class T>
using state_check = std::function<std::optional<rt::result<T>>(firefox_tab_state&, rt::time_point& recheck)>;

/// Waits until `check` gives a verdict or `d` passes. It looks again (a visit to the actor) at every
/// change the actor announces (firefox_tab_state::changed) and at the time a check asked for, and
/// never polls.
template <class T>
rt::task<rt::result<T>> wait_state(std::shared_ptr<firefox_tab_core> c, rt::deadline d, state_check<T> check,
                                   std::string what) {
  struct look {
    state_check<T> check;
    rt::time_point recheck;
    std::optional<rt::result<T>> verdict;
  };
  auto l = std::make_shared<look>(look{std::move(check), d.at(), std::nullopt});
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    l->recheck = d.at();
    l->verdict.reset();
    firefox_tab_actor::visit v{[l](firefox_tab_state& s) { l->verdict = l->check(s, l->recheck); }};
    rt::result<void> asked = co_await c->actor.ask(std::move(v), d);
    if (!asked) {
      if (asked.code() == rt::errc::timeout) co_return rt::error{rt::errc::timeout, what};
      if (c->end->code.load(std::memory_order_acquire) != rt::errc::ok)
        co_return rt::error{c->end->code.load(std::memory_order_acquire), c->end->why};
      co_return rt::error{rt::errc::cancelled, what + ": " + asked.err().message};
    }
    if (l->verdict) co_return std::move(*l->verdict);
    if (d.expired()) co_return rt::error{rt::errc::timeout, what};
    rt::result<char> tick = co_await changes.next(rt::deadline(std::min(l->recheck, d.at())));
    if (!tick && tick.err().code != rt::errc::timeout)
      co_return rt::error{rt::errc::cancelled, what + ": the tab's state ended"};
  }
}

/// firefox_tab::info's answer from the state.
page_info info_of(const firefox_tab_state& s);

/// ok while the tab lives, else its error (an empty handle: errc::invalid_argument).
rt::result<void> check_alive(const std::shared_ptr<firefox_tab_core>& c);
/// The current top-level target's actors, once there is one.
rt::task<rt::result<firefox_tab_state::top_target>> current_target(std::shared_ptr<firefox_tab_core> c, rt::deadline d);
/// A request to one of the current document's actors: if the document was replaced meanwhile, the
/// failure is reported as what it is, target_closed.
rt::error target_error(rt::error e, const std::string& what);

}  // namespace janus::client::detail
