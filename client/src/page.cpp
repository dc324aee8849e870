#include "firefox_page.hpp"
#include "page_core.hpp"

#include <janus/client/firefox_tab.hpp>
#include <janus/domains/backend.hpp>

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

namespace detail {

namespace {

rt::error in_context(rt::error e, const std::string& what) {
  e.message = what + ": " + e.message;
  return e;
}

std::string string_of(const json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}

}  // namespace

rt::task<rt::result<json_value>> call_json(session::cdp_session s, std::string method, std::string params, rt::deadline d) {
  session::call_options o;
  o.deadline = d;
  rt::result<protocol::cdp_owned_message> r = co_await s.call(method, params, std::move(o));
  if (!r) co_return std::move(r).err();
  rt::result<json_value> v = json_value::parse(r->payload());
  if (!v) co_return in_context(std::move(v).err(), method + " reply");
  co_return std::move(*v);
}

// --- page_core ----------------------------------------------------------------------------------

page_core::~page_core() {
  // The actor only holds a weak reference: with the last handle gone nobody can ask it anything.
  if (actor_) actor_.stop();
}

session::cdp_session page_core::session() const {
  std::lock_guard lk(mu);
  return session_;
}

std::string page_core::target_id() const {
  std::lock_guard lk(mu);
  return target_id_;
}

rt::actor_ref<page_actor> page_core::actor() const {
  std::lock_guard lk(mu);
  return actor_;
}

void page_core::set_actor(rt::actor_ref<page_actor> a) {
  rt::actor_ref<page_actor> old;
  {
    std::lock_guard lk(mu);
    old = std::exchange(actor_, std::move(a));
  }
  if (old) old.stop();
}

void page_core::rebind(session::cdp_session sess, std::string target) {
  std::lock_guard lk(mu);
  session_ = std::move(sess);
  target_id_ = std::move(target);
}

std::vector<std::shared_ptr<event_relay>> page_core::live_relays() {
  std::lock_guard lk(mu);
  std::vector<std::shared_ptr<event_relay>> out;
  std::vector<std::weak_ptr<event_relay>> kept;
  for (auto& w : relays_) {
    if (std::shared_ptr<event_relay> r = w.lock()) {
      out.push_back(std::move(r));
      kept.push_back(std::move(w));
    }
  }
  relays_ = std::move(kept);
  return out;
}

rt::result<void> page_core::alive() const {
  const rt::errc code = gone.load(std::memory_order_acquire);
  if (code == rt::errc::ok) {
    if (!restarting_.load(std::memory_order_acquire)) return {};
    std::lock_guard lk(mu);
    return rt::error{rt::errc::browser_exited, "page " + target_id_ + ": the browser is restarting (" + restart_why + ")"};
  }
  std::lock_guard lk(mu);
  return rt::error{code, "page " + target_id_ + ": " + gone_why};
}

void page_core::set_restarting(std::string why) {
  std::lock_guard lk(mu);
  restart_why = std::move(why);
  restarting_.store(true, std::memory_order_release);
}

void page_core::clear_restarting() { restarting_.store(false, std::memory_order_release); }

bool page_core::mark_gone(rt::errc code, std::string why) {
  {
    // The reason is written before the code is published, so alive() never sees a code without it.
    std::lock_guard lk(mu);
    if (gone.load(std::memory_order_relaxed) != rt::errc::ok) return false;
    gone_why = why;
    gone.store(code, std::memory_order_release);
  }
  // Requests first: a caller blocked on a reply learns at once, not at its deadline.
  const session::cdp_session sess = session();
  sess.core()->fail_session(sess.id(), code, why);
  const rt::error err{code, "page " + target_id() + ": " + why};
  page_signal s;
  s.gone = code;
  s.why = std::move(why);
  (void)signals.try_publish(std::move(s));  // waiters are drop_oldest: never refused
  signals.close(err);
  for (const std::shared_ptr<event_relay>& r : live_relays()) r->out.close(err);
  return true;
}

void page_core::browser_exited(const rt::error& why) {
  if (!supervised.load(std::memory_order_acquire)) {
    mark_gone(rt::errc::browser_exited, why.message);
    return;
  }
  if (gone.load(std::memory_order_acquire) != rt::errc::ok) return;
  // Only the waits of this moment: the page and its subscriptions go on after the restart.
  page_signal s;
  s.gone = rt::errc::browser_exited;
  s.why = why.message;
  (void)signals.try_publish(std::move(s));
  const rt::error err{rt::errc::browser_exited, "page " + target_id() + ": " + why.message};
  for (const std::shared_ptr<event_relay>& r : live_relays()) r->out.interrupt(err);
}

void page_core::set_target_info(std::string t, std::string url) {
  std::lock_guard lk(mu);
  title = std::move(t);
  target_url = std::move(url);
}

std::pair<std::string, std::string> page_core::title_and_url() const {
  std::lock_guard lk(mu);
  return {title, target_url};
}

// --- page_actor ---------------------------------------------------------------------------------

rt::task<void> page_actor::handle(run r) {
  for (;;) {
    {
      // Not held across the wait: the page's handles decide how long it lives.
      std::shared_ptr<page_core> core = core_.lock();
      if (!core || core->gone.load(std::memory_order_acquire) != rt::errc::ok) co_return;
    }
    // A bounded wait, so that a page made gone by the browser actor (a detach seen on the browser
    // session) ends this loop too instead of waiting for events that will never come.
    rt::result<session::cdp_event> ev = co_await r.events->next(rt::deadline(std::chrono::milliseconds(250)));
    if (!ev) {
      if (ev.code() == rt::errc::timeout) continue;
      // The dispatcher ended the stream: with browser_exited when the browser died (else the
      // connection was closed or dropped).
      if (ev.code() == rt::errc::browser_exited) {
        if (std::shared_ptr<page_core> core = core_.lock()) core->browser_exited(ev.err());
      }
      co_return;
    }
    rt::result<json_value> params = json_value::parse(ev->params());
    if (!params) continue;
    apply(*ev, *params);
  }
}

void page_actor::apply(const session::cdp_event& ev, const json_value& p) {
  std::shared_ptr<page_core> core = core_.lock();
  if (!core) return;
  const std::string_view m = ev.method();
  if (m == "Inspector.targetCrashed") {
    core->mark_gone(rt::errc::target_crashed, "the target crashed (Inspector.targetCrashed)");
    return;
  }
  if (m == "Inspector.detached") {
    core->mark_gone(rt::errc::target_closed, "the session was detached (" + string_of(p["reason"]) + ")");
    return;
  }
  if (m == "Page.frameNavigated") {
    const json_value& f = p["frame"];
    if (f["parentId"].is_null()) {
      seen_navigation_ = true;
      frame_id_ = string_of(f["id"]);
      loader_id_ = string_of(f["loaderId"]);
      url_ = string_of(f["url"]);
      // A document restored from the back-forward cache has loaded long ago; no load event follows.
      const bool restored = string_of(p["type"]) == "BackForwardCacheRestore";
      dom_content_loaded_ = restored;
      loaded_ = restored;
    }
  } else if (m == "Page.navigatedWithinDocument") {
    if (string_of(p["frameId"]) == frame_id_) url_ = string_of(p["url"]);
  } else if (m == "Page.lifecycleEvent") {
    const std::string frame = string_of(p["frameId"]);
    const std::string loader = string_of(p["loaderId"]);
    const std::string name = string_of(p["name"]);
    if (frame == frame_id_ || frame_id_.empty()) {
      if (name == "init" && loader != loader_id_) {
        // A new document in the main frame: what we knew was about the old one.
        seen_navigation_ = true;
        frame_id_ = frame;
        loader_id_ = loader;
        dom_content_loaded_ = loaded_ = false;
      }
      if (loader == loader_id_) {
        if (name == "DOMContentLoaded") dom_content_loaded_ = true;
        if (name == "load") loaded_ = dom_content_loaded_ = true;
      }
    }
  }
  page_signal s;
  s.event = ev;
  (void)core->signals.try_publish(std::move(s));
}

void page_actor::handle(seed s) {
  if (seen_navigation_) return;
  frame_id_ = std::move(s.frame_id);
  loader_id_ = std::move(s.loader_id);
  url_ = std::move(s.url);
  loaded_ = dom_content_loaded_ = s.loaded;
}

page_info page_actor::handle(get_info) const {
  page_info out;
  out.frame_id = frame_id_;
  out.loader_id = loader_id_;
  out.url = url_;
  out.dom_content_loaded = dom_content_loaded_;
  out.loaded = loaded_;
  if (std::shared_ptr<page_core> core = core_.lock()) {
    out.target_id = core->target_id();
    out.session_id = core->session().id();
    auto [title, url] = core->title_and_url();
    out.title = std::move(title);
    if (out.url.empty()) out.url = std::move(url);
    if (rt::result<void> a = core->alive(); !a) {
      out.gone = a.code();
      out.gone_reason = a.err().message;
    }
  }
  return out;
}

}  // namespace detail

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

}  // namespace

// --- page ---------------------------------------------------------------------------------------------

namespace {

// A Firefox page's call, made on a copy of its tab: the task must not point into the page handle,
// which its caller may drop before awaiting it. `call` holds the arguments (the tab's calls are
// overloaded, so a member pointer would not name one).
template <class Call>
auto on_tab(firefox_tab tab, Call call) -> decltype(call(tab)) {
  co_return co_await call(tab);
}

rt::error firefox_unsupported(const char* call) {
  return rt::error{rt::errc::unsupported, std::string(call) + ": Firefox's debugging protocol has no equivalent"};
}

}  // namespace

std::string page::target_id() const { return ff_ ? ff_->tab.descriptor() : core_->target_id(); }
std::string page::session_id() const { return ff_ ? std::string() : core_->session().id(); }
session::cdp_session page::session() const { return ff_ ? session::cdp_session() : core_->session(); }
firefox_tab page::firefox() const { return ff_ ? ff_->tab : firefox_tab(); }
rt::result<void> page::alive() const { return ff_ ? ff_->tab.alive() : core_->alive(); }

namespace {

template <class Domain>
Domain domain_of(page_core& pc, Domain page_core::*member) {
  std::lock_guard lk(pc.mu);
  Domain& d = pc.*member;
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
  const domains::network net = domain_of(*pc, &page_core::network);
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

}  // namespace

rt::task<rt::result<navigation>> page::navigate(std::string url, wait_until until, rt::deadline d) const {
  if (ff_) return on_tab(ff_->tab, [url = std::move(url), until, d](const firefox_tab& t) mutable { return t.navigate(std::move(url), until, d); });
  return settled(core_, until, d, &start_navigate, std::move(url), 0);
}
rt::task<rt::result<navigation>> page::reload(wait_until until, rt::deadline d) const {
  if (ff_) return on_tab(ff_->tab, [until, d](const firefox_tab& t) { return t.reload(until, d); });
  return settled(core_, until, d, &start_reload, {}, 0);
}
rt::task<rt::result<navigation>> page::go_back(wait_until until, rt::deadline d) const {
  if (ff_) return on_tab(ff_->tab, [until, d](const firefox_tab& t) { return t.go_back(until, d); });
  return settled(core_, until, d, &start_history, {}, -1);
}
rt::task<rt::result<navigation>> page::go_forward(wait_until until, rt::deadline d) const {
  if (ff_) return on_tab(ff_->tab, [until, d](const firefox_tab& t) { return t.go_forward(until, d); });
  return settled(core_, until, d, &start_history, {}, +1);
}

domains::network page::network() const { return ff_ ? ff_->network() : domain_of(*core_, &page_core::network); }
domains::console page::console() const { return ff_ ? ff_->console() : domain_of(*core_, &page_core::console); }
domains::dom page::dom() const { return ff_ ? ff_->dom() : domain_of(*core_, &page_core::dom); }
domains::js_runtime page::runtime() const { return ff_ ? ff_->runtime() : domain_of(*core_, &page_core::runtime); }
domains::css page::css() const { return ff_ ? ff_->css() : domain_of(*core_, &page_core::css); }
domains::debugger page::debugger() const { return ff_ ? ff_->debugger() : domain_of(*core_, &page_core::debugger); }
domains::performance page::performance() const {
  return ff_ ? ff_->performance() : domain_of(*core_, &page_core::performance);
}

namespace {

// Forwards a page::subscribe subscription's events until its user drops it or the page is gone;
// after a restart it reads the subscription the re-attach made on the new session. Never blocks
// on the user: the user's side drops its oldest events when full, so a reader that stalls cannot
// hold back the connection (the session subscription has the block policy).
rt::task<void> run_relay(std::weak_ptr<page_core> weak, std::shared_ptr<detail::event_relay> r,
                         rt::subscription<session::cdp_event> in) {
  for (;;) {
    {
      std::lock_guard lk(r->mu);
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
    // Bounded, so that a dropped user, a gone page or a replacement is noticed within 250 ms.
    rt::result<session::cdp_event> ev = co_await in.next(rt::deadline(std::chrono::milliseconds(250)));
    if (!ev) {
      // The old session's stream may end when its browser dies: wait for the replacement.
      if (ev.code() != rt::errc::timeout) co_await rt::sleep_for(r->sched, std::chrono::milliseconds(50));
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
  {
    std::lock_guard lk(pc->mu);
    pc->relays_.push_back(r);
  }
  pc->sched.spawn(run_relay(pc, r, std::move(*in)));
  co_return out;
}

}  // namespace

rt::task<rt::result<rt::subscription<session::cdp_event>>> page::subscribe(std::string method, std::size_t capacity) const {
  if (ff_) return domains::detail::unsupported_task<rt::subscription<session::cdp_event>>(firefox_unsupported("page.subscribe (CDP events)"));
  return do_subscribe(core_, std::move(method), capacity);
}

rt::task<rt::result<protocol::json_value>> page::evaluate(std::string expression, rt::deadline d) const {
  if (ff_) co_return co_await ff_->tab.evaluate(std::move(expression), d);
  if (rt::result<void> a = core_->alive(); !a) co_return std::move(a).err();
  co_return co_await runtime().evaluate_value(std::move(expression), d);
}
rt::task<rt::result<void>> page::set_content(std::string html, rt::deadline d) const {
  if (ff_) return on_tab(ff_->tab, [html = std::move(html), d](const firefox_tab& t) mutable { return t.set_content(std::move(html), d); });
  return do_set_content(core_, std::move(html), d);
}
rt::task<rt::result<std::vector<std::uint8_t>>> page::screenshot(screenshot_options options, rt::deadline d) const {
  if (ff_) return on_tab(ff_->tab, [options = std::move(options), d](const firefox_tab& t) mutable { return t.screenshot(std::move(options), d); });
  return do_screenshot(core_, std::move(options), d);
}
rt::task<rt::result<page_info>> page::info(rt::deadline d) const {
  if (ff_) return on_tab(ff_->tab, [d](const firefox_tab& t) { return t.info(d); });
  return do_info(core_, d);
}

}  // namespace janus::client
