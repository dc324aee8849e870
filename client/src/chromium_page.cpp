// The Chromium page (page_core as a page_backend): navigation and its waits, content,
// screenshots, the domain handles, page::subscribe's relays, and page::wait_for, over the page's
// CDP session and the signals its page actor republishes.
#include "page_core.hpp"

#include <janus/protocol/base64.hpp>
#include <janus/rt/sleep.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace janus::client {

using protocol::json_value;

// --- waiting for a document -------------------------------------------------------------------------

namespace {

using detail::call_json;
using detail::in_context;
using detail::page_core;
using detail::page_signal;
using detail::string_of;

std::string_view name_of(wait_until u) {
  switch (u) {
    case wait_until::commit: return "commit";
    case wait_until::domcontentloaded: return "DOMContentLoaded";
    case wait_until::load: return "load";
    case wait_until::network_idle: return "network idle";
  }
  return "load";
}

// Reads the page's signals until the main frame's document `nav.loader_id` reaches `until`. With
// no loader yet (reload, history), the next main-frame document to commit is the one; a history
// step that stays in the document (navigatedWithinDocument) ends the wait at once.
//
// network_idle waits for `load` here; wait_settled() goes on from there with the Network actor.
rt::task<rt::result<navigation>> wait_for_document(std::shared_ptr<page_core> pc, rt::subscription<page_signal>& sub,
                                                   navigation nav, wait_until until, rt::deadline d, std::string what) {
  std::map<std::string, std::set<std::string>, std::less<>> seen;  // loader -> lifecycle events
  bool committed = false;
  auto reached = [&]() {
    if (nav.loader_id.empty()) return false;
    const std::set<std::string>& names = seen[nav.loader_id];
    const bool load = names.count("load") > 0;
    const bool dcl = load || names.count("DOMContentLoaded") > 0;
    switch (until) {
      case wait_until::commit: return committed || dcl || names.count("init") > 0 || names.count("commit") > 0;
      case wait_until::domcontentloaded: return dcl;
      case wait_until::load:
      case wait_until::network_idle: return load;
    }
    return load;
  };
  for (;;) {
    if (reached()) co_return nav;
    rt::result<page_signal> sig = co_await sub.next(d);
    if (!sig) {
      if (rt::result<void> a = pc->alive(); !a) co_return in_context(std::move(a).err(), what);
      if (sig.code() == rt::errc::timeout)
        co_return rt::error{rt::errc::timeout, what + ": no " + std::string(name_of(until)) + " before the deadline"};
      co_return rt::error{rt::errc::cancelled, what + ": the page's events ended"};
    }
    if (sig->gone != rt::errc::ok) co_return rt::error{sig->gone, what + ": " + sig->why};
    const std::string_view m = sig->event.method();
    if (m != "Page.frameNavigated" && m != "Page.lifecycleEvent" && m != "Page.navigatedWithinDocument") continue;
    rt::result<json_value> parsed = json_value::parse(sig->event.params());
    if (!parsed) continue;
    const json_value& p = *parsed;
    if (m == "Page.frameNavigated") {
      const json_value& f = p["frame"];
      if (!f["parentId"].is_null()) continue;
      const std::string loader = string_of(f["loaderId"]);
      if (nav.loader_id.empty()) nav.loader_id = loader;
      if (loader != nav.loader_id) continue;
      committed = true;
      nav.url = string_of(f["url"]);
      nav.frame_id = string_of(f["id"]);
      if (string_of(p["type"]) == "BackForwardCacheRestore") co_return nav;  // loaded long ago
    } else if (m == "Page.navigatedWithinDocument") {
      if (!nav.loader_id.empty() || string_of(p["frameId"]) != nav.frame_id) continue;
      nav.same_document = true;
      nav.url = string_of(p["url"]);
      co_return nav;
    } else {
      const std::string frame = string_of(p["frameId"]);
      if (!nav.frame_id.empty() && frame != nav.frame_id) continue;
      seen[string_of(p["loaderId"])].insert(string_of(p["name"]));
    }
  }
}

rt::task<rt::result<std::string>> main_frame_id(std::shared_ptr<page_core> pc, rt::deadline d) {
  rt::result<json_value> tree = co_await call_json(pc->session(), "Page.getFrameTree", "{}", d);
  if (!tree) co_return std::move(tree).err();
  std::string id = string_of((*tree)["frameTree"]["frame"]["id"]);
  if (id.empty()) co_return rt::error{rt::errc::parse, "Page.getFrameTree reply has no main frame id"};
  co_return id;
}

rt::task<rt::result<navigation>> do_navigate(std::shared_ptr<page_core> pc, std::string url, wait_until until,
                                             rt::deadline d) {
  const std::string what = "navigate to " + url;
  if (rt::result<void> a = pc->alive(); !a) co_return in_context(std::move(a).err(), what);
  rt::subscription<page_signal> sub = pc->watch();  // armed before the command
  json_value params = json_value::object();
  params.set("url", url);
  rt::result<json_value> r = co_await call_json(pc->session(), "Page.navigate", params.dump(), d);
  if (!r) co_return in_context(std::move(r).err(), what);
  if (const std::string error_text = string_of((*r)["errorText"]); !error_text.empty())
    co_return rt::error{rt::errc::protocol, what + " failed: " + error_text};
  navigation nav;
  nav.url = url;
  nav.frame_id = string_of((*r)["frameId"]);
  nav.loader_id = string_of((*r)["loaderId"]);
  if (nav.loader_id.empty()) {
    nav.same_document = true;  // a fragment: the document stays, nothing to wait for
    co_return nav;
  }
  co_return co_await wait_for_document(pc, sub, std::move(nav), until, d, what);
}

rt::task<rt::result<navigation>> do_reload(std::shared_ptr<page_core> pc, wait_until until, rt::deadline d) {
  const std::string what = "reload";
  if (rt::result<void> a = pc->alive(); !a) co_return in_context(std::move(a).err(), what);
  rt::result<std::string> frame = co_await main_frame_id(pc, d);
  if (!frame) co_return in_context(std::move(frame).err(), what);
  rt::subscription<page_signal> sub = pc->watch();
  rt::result<json_value> r = co_await call_json(pc->session(), "Page.reload", "{}", d);
  if (!r) co_return in_context(std::move(r).err(), what);
  navigation nav;
  nav.frame_id = std::move(*frame);
  co_return co_await wait_for_document(pc, sub, std::move(nav), until, d, what);
}

rt::task<rt::result<navigation>> do_history(std::shared_ptr<page_core> pc, int delta, wait_until until, rt::deadline d) {
  const std::string what = delta < 0 ? "go back" : "go forward";
  if (rt::result<void> a = pc->alive(); !a) co_return in_context(std::move(a).err(), what);
  rt::result<json_value> history = co_await call_json(pc->session(), "Page.getNavigationHistory", "{}", d);
  if (!history) co_return in_context(std::move(history).err(), what);
  const std::int64_t current = (*history)["currentIndex"].get_int().value_or(-1);
  const json_value& entries = (*history)["entries"];
  const std::int64_t target = current + delta;
  if (current < 0 || target < 0 || static_cast<std::size_t>(target) >= entries.size())
    co_return rt::error{rt::errc::invalid_argument, what + ": no history entry in that direction"};
  const std::optional<std::int64_t> entry_id = entries[static_cast<std::size_t>(target)]["id"].get_int();
  if (!entry_id) co_return rt::error{rt::errc::parse, what + ": history entry without an id"};
  rt::result<std::string> frame = co_await main_frame_id(pc, d);
  if (!frame) co_return in_context(std::move(frame).err(), what);
  rt::subscription<page_signal> sub = pc->watch();
  json_value params = json_value::object();
  params.set("entryId", *entry_id);
  rt::result<json_value> r = co_await call_json(pc->session(), "Page.navigateToHistoryEntry", params.dump(), d);
  if (!r) co_return in_context(std::move(r).err(), what);
  navigation nav;
  nav.frame_id = std::move(*frame);
  co_return co_await wait_for_document(pc, sub, std::move(nav), until, d, what);
}

rt::task<rt::result<void>> do_set_content(std::shared_ptr<page_core> pc, std::string html, rt::deadline d) {
  const std::string what = "set_content";
  if (rt::result<void> a = pc->alive(); !a) co_return in_context(std::move(a).err(), what);
  rt::result<std::string> frame = co_await main_frame_id(pc, d);
  if (!frame) co_return in_context(std::move(frame).err(), what);
  json_value params = json_value::object();
  params.set("frameId", *frame);
  params.set("html", std::move(html));
  rt::result<json_value> r = co_await call_json(pc->session(), "Page.setDocumentContent", params.dump(), d);
  if (!r) co_return in_context(std::move(r).err(), what);
  co_return rt::ok;
}

json_value clip_of(double x, double y, double w, double h) {
  json_value c = json_value::object();
  c.set("x", x);
  c.set("y", y);
  c.set("width", w);
  c.set("height", h);
  c.set("scale", 1.0);
  return c;
}

// The element's border box in document coordinates (a clip for captureScreenshot).
rt::task<rt::result<json_value>> element_clip(std::shared_ptr<page_core> pc, std::string selector, rt::deadline d) {
  // The element is found through Runtime and measured through its object id: DOM.getDocument
  // would renumber the session's DOM nodes under the DOM domain actor's feet.
  json_value selector_json(selector);
  json_value eval = json_value::object();
  eval.set("expression", "document.querySelector(" + selector_json.dump() + ")");
  eval.set("returnByValue", false);
  rt::result<json_value> found = co_await call_json(pc->session(), "Runtime.evaluate", eval.dump(), d);
  if (!found) co_return std::move(found).err();
  if (!(*found)["exceptionDetails"].is_null())
    co_return rt::error{rt::errc::invalid_argument,
                        "selector " + selector + ": " + string_of((*found)["exceptionDetails"]["exception"]["description"])};
  const std::string object_id = string_of((*found)["result"]["objectId"]);
  if (object_id.empty()) co_return rt::error{rt::errc::not_found, "no element matches " + selector};
  json_value by_object = json_value::object();
  by_object.set("objectId", object_id);
  rt::result<json_value> box = co_await call_json(pc->session(), "DOM.getBoxModel", by_object.dump(), d);
  (void)co_await call_json(pc->session(), "Runtime.releaseObject", by_object.dump(), d);
  if (!box) {
    rt::error e = std::move(box).err();
    if (e.code == rt::errc::protocol) e.code = rt::errc::invalid_argument;  // e.g. display:none
    co_return in_context(std::move(e), "element " + selector + " has no box");
  }
  const json_value& quad = (*box)["model"]["border"];
  if (quad.size() != 8) co_return rt::error{rt::errc::parse, "DOM.getBoxModel: border is not a quad"};
  double x0 = quad[0].as_double(), x1 = x0, y0 = quad[1].as_double(), y1 = y0;
  for (std::size_t i = 0; i < 8; i += 2) {
    x0 = std::min(x0, quad[i].as_double());
    x1 = std::max(x1, quad[i].as_double());
    y0 = std::min(y0, quad[i + 1].as_double());
    y1 = std::max(y1, quad[i + 1].as_double());
  }
  if (x1 - x0 <= 0 || y1 - y0 <= 0) co_return rt::error{rt::errc::invalid_argument, "element " + selector + " has an empty box"};
  // The box is in viewport coordinates; a clip is in document coordinates.
  rt::result<json_value> metrics = co_await call_json(pc->session(), "Page.getLayoutMetrics", "{}", d);
  if (!metrics) co_return std::move(metrics).err();
  const double page_x = (*metrics)["cssVisualViewport"]["pageX"].get_double().value_or(0);
  const double page_y = (*metrics)["cssVisualViewport"]["pageY"].get_double().value_or(0);
  co_return clip_of(x0 + page_x, y0 + page_y, x1 - x0, y1 - y0);
}

rt::task<rt::result<std::vector<std::uint8_t>>> do_screenshot(std::shared_ptr<page_core> pc, screenshot_options o,
                                                              rt::deadline d) {
  const std::string what = "screenshot";
  if (rt::result<void> a = pc->alive(); !a) co_return in_context(std::move(a).err(), what);
  json_value params = json_value::object();
  params.set("format", "png");
  if (!o.selector.empty()) {
    rt::result<json_value> clip = co_await element_clip(pc, o.selector, d);
    if (!clip) co_return in_context(std::move(clip).err(), what);
    params.set("clip", std::move(*clip));
    params.set("captureBeyondViewport", true);
  } else if (o.full_page) {
    rt::result<json_value> metrics = co_await call_json(pc->session(), "Page.getLayoutMetrics", "{}", d);
    if (!metrics) co_return in_context(std::move(metrics).err(), what);
    const json_value& size = (*metrics)["cssContentSize"];
    const double w = std::ceil(size["width"].get_double().value_or(0));
    const double h = std::ceil(size["height"].get_double().value_or(0));
    if (w <= 0 || h <= 0) co_return rt::error{rt::errc::invalid_argument, what + ": the page has no content size"};
    params.set("clip", clip_of(0, 0, w, h));
    params.set("captureBeyondViewport", true);
  }
  rt::result<json_value> shot = co_await call_json(pc->session(), "Page.captureScreenshot", params.dump(), d);
  if (!shot) co_return in_context(std::move(shot).err(), what);
  const std::string* data = (*shot)["data"].get_string();
  if (!data) co_return rt::error{rt::errc::parse, what + ": Page.captureScreenshot reply has no data"};
  rt::result<std::string> bytes = protocol::base64_decode(*data);
  if (!bytes) co_return in_context(std::move(bytes).err(), what);
  co_return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
}

rt::task<rt::result<page_info>> do_info(std::shared_ptr<page_core> pc, rt::deadline d) {
  detail::page_actor::get_info m;
  rt::result<page_info> r = co_await pc->actor().ask(m, d);
  if (!r || r->gone != rt::errc::ok) co_return r;
  // Chromium does not announce every title change in Target.targetInfoChanged (it stops at the
  // URL-like title of a document still being parsed), so the document is asked directly.
  rt::result<json_value> title = co_await call_json(pc->session(), "Runtime.evaluate",
                                                    R"({"expression":"document.title","returnByValue":true})", d);
  if (title) {
    if (const std::string* t = (*title)["result"]["value"].get_string()) r->title = *t;
  }
  co_return r;
}



template <class Domain>
Domain domain_of(page_core& pc, Domain page_core::started_domains::*member) {
  std::lock_guard lk(pc.mu);
  Domain& d = pc.started.*member;
  if (!d) d = Domain::start(pc.sched, pc.session_);
  return d;
}

constexpr auto network_quiet = std::chrono::milliseconds(500);

/// Runs a navigation; for network_idle, with the Network actor enabled before it starts and its
/// idle wait after `load`.
rt::task<rt::result<navigation>> settled(std::shared_ptr<page_core> pc, wait_until until, rt::deadline d,
                                         rt::task<rt::result<navigation>> (*start)(std::shared_ptr<page_core>, std::string,
                                                                                 int, wait_until, rt::deadline),
                                         std::string url, int delta) {
  if (until != wait_until::network_idle) co_return co_await start(pc, std::move(url), delta, until, d);
  const domains::network net = domain_of(*pc, &page_core::started_domains::network);
  if (auto e = co_await net.enable(d); !e) co_return in_context(std::move(e).err(), "network-idle wait");
  // Only what this navigation starts counts (as on Firefox): Chromium does not always report the
  // end of a request whose document was replaced while it loaded, and such a request must not
  // hold up this page's wait.
  rt::result<domains::network_stats> before = co_await net.stats(d);
  if (!before) co_return in_context(std::move(before).err(), "network-idle wait");
  rt::result<navigation> nav = co_await start(pc, std::move(url), delta, until, d);
  if (!nav) co_return nav;
  if (auto idle = co_await net.wait_idle_since(network_quiet, before->next_seq, d); !idle) {
    if (rt::result<void> a = pc->alive(); !a) co_return std::move(a).err();
    co_return in_context(std::move(idle).err(), "waiting for network idle after " + nav->url);
  }
  co_return nav;
}

rt::task<rt::result<navigation>> start_navigate(std::shared_ptr<page_core> pc, std::string url, int, wait_until until,
                                                rt::deadline d) {
  return do_navigate(std::move(pc), std::move(url), until, d);
}
rt::task<rt::result<navigation>> start_reload(std::shared_ptr<page_core> pc, std::string, int, wait_until until,
                                              rt::deadline d) {
  return do_reload(std::move(pc), until, d);
}
rt::task<rt::result<navigation>> start_history(std::shared_ptr<page_core> pc, std::string, int delta, wait_until until,
                                               rt::deadline d) {
  return do_history(std::move(pc), delta, until, d);
}



// Forwards a page::subscribe subscription's events until its user drops it or the page is gone;
// after a restart it reads the subscription the re-attach made on the new session. Never blocks
// on the user: the user's side drops its oldest events when full, so a reader that stalls cannot
// hold back the connection (the session subscription has the block policy). Waits only for an
// event or a poke (a replacement, the page gone, the user gone): nothing polls.
rt::task<void> run_relay(std::weak_ptr<page_core> weak, std::shared_ptr<detail::event_relay> r,
                         rt::subscription<session::cdp_event> in) {
  for (;;) {
    rt::cancel_token woken;
    {
      std::lock_guard lk(r->mu);
      if (r->wake.cancelled()) r->wake = rt::cancel_source{};
      woken = r->wake.token();
      if (r->replacement) {
        in = std::move(*r->replacement);
        r->replacement.reset();
      }
    }
    {
      std::shared_ptr<page_core> pc = weak.lock();
      if (!pc || pc->gone.load(std::memory_order_acquire) != rt::errc::ok) break;
    }
    if (r->out.subscriber_count() == 0) break;
    rt::result<session::cdp_event> ev = co_await in.next(rt::deadline::never(), woken);
    if (!ev) {
      // The old session's stream ends when its browser dies: wait for a poke (the replacement).
      if (ev.code() != rt::errc::cancelled || !woken.cancelled()) in = r->idle.subscribe(1);
      continue;
    }
    (void)r->out.try_publish(std::move(*ev));
  }
  r->out.close();
}

rt::task<rt::result<rt::subscription<session::cdp_event>>> do_subscribe(std::shared_ptr<page_core> pc, std::string method,
                                                               std::size_t capacity) {
  const std::string what = "subscribe " + method;
  if (rt::result<void> a = pc->alive(); !a) co_return in_context(std::move(a).err(), what);
  auto r = std::make_shared<detail::event_relay>(pc->sched, method, capacity);
  session::event_options eo;
  eo.capacity = capacity;
  rt::result<rt::subscription<session::cdp_event>> in = co_await pc->session().subscribe(method, std::move(eo));
  if (!in) co_return in_context(std::move(in).err(), what);
  rt::subscription<session::cdp_event> out = r->out.subscribe(capacity, rt::overflow::drop_oldest);
  std::weak_ptr<detail::event_relay> weak_relay = r;
  r->out.on_unsubscribe([weak_relay] {
    if (std::shared_ptr<detail::event_relay> alive = weak_relay.lock()) alive->poke();
  });
  {
    std::lock_guard lk(pc->mu);
    pc->relays_.push_back(r);
  }
  pc->sched.spawn(run_relay(pc, r, std::move(*in)));
  co_return out;
}


// page::wait_for: the page's signal stream ends (or carries a `gone` signal) when the page goes or
// its browser dies (page_core::mark_gone, page_core::browser_exited). Not a sleep: a sleep cannot
// hear the browser die.
rt::task<rt::result<void>> chromium_wait(std::shared_ptr<page_core> pc, rt::time_point until) {
  if (rt::result<void> a = pc->alive(); !a) co_return std::move(a).err();
  rt::subscription<page_signal> sub = pc->watch();
  for (;;) {
    rt::result<page_signal> sig = co_await sub.next(rt::deadline(until));
    if (!sig) {
      if (sig.code() == rt::errc::timeout) co_return rt::ok;
      if (rt::result<void> a = pc->alive(); !a) co_return std::move(a).err();
      co_return std::move(sig).err();
    }
    if (sig->gone != rt::errc::ok) co_return rt::error{sig->gone, "page " + pc->target_id() + ": " + sig->why};
  }
}

rt::task<rt::result<json_value>> chromium_evaluate(std::shared_ptr<page_core> pc, std::string expression, rt::deadline d) {
  if (rt::result<void> a = pc->alive(); !a) co_return std::move(a).err();
  co_return co_await pc->runtime().evaluate_value(std::move(expression), d);
}

}  // namespace

// --- page_core as the page's backend ---------------------------------------------------------------

namespace detail {

rt::result<rdp_target> page_core::rdp() const {
  return unsupported_on(browser_product::chromium, "page.rdp (Firefox's Remote Debugging Protocol)");
}

rt::task<rt::result<navigation>> page_core::navigate(std::string url, wait_until until, rt::deadline d) {
  return settled(shared_from_this(), until, d, &start_navigate, std::move(url), 0);
}
rt::task<rt::result<navigation>> page_core::reload(wait_until until, rt::deadline d) {
  return settled(shared_from_this(), until, d, &start_reload, {}, 0);
}
rt::task<rt::result<navigation>> page_core::go_history(int delta, wait_until until, rt::deadline d) {
  return settled(shared_from_this(), until, d, &start_history, {}, delta);
}
rt::task<rt::result<void>> page_core::set_content(std::string html, rt::deadline d) {
  return do_set_content(shared_from_this(), std::move(html), d);
}
rt::task<rt::result<std::vector<std::uint8_t>>> page_core::screenshot(screenshot_options options, rt::deadline d) {
  return do_screenshot(shared_from_this(), std::move(options), d);
}

domains::network page_core::network() { return domain_of(*this, &started_domains::network); }
domains::console page_core::console() { return domain_of(*this, &started_domains::console); }
domains::dom page_core::dom() { return domain_of(*this, &started_domains::dom); }
domains::js_runtime page_core::runtime() { return domain_of(*this, &started_domains::runtime); }
domains::css page_core::css() { return domain_of(*this, &started_domains::css); }
domains::debugger page_core::debugger() { return domain_of(*this, &started_domains::debugger); }
domains::performance page_core::performance() { return domain_of(*this, &started_domains::performance); }

rt::task<rt::result<rt::subscription<session::cdp_event>>> page_core::subscribe(std::string method, std::size_t capacity) {
  return do_subscribe(shared_from_this(), std::move(method), capacity);
}
rt::task<rt::result<json_value>> page_core::evaluate(std::string expression, rt::deadline d) {
  return chromium_evaluate(shared_from_this(), std::move(expression), d);
}
rt::task<rt::result<void>> page_core::wait_for(std::chrono::milliseconds how_long) {
  return chromium_wait(shared_from_this(), rt::clock::now() + how_long);
}
rt::task<rt::result<page_info>> page_core::info(rt::deadline d) { return do_info(shared_from_this(), d); }

}  // namespace detail
}  // namespace janus::client
