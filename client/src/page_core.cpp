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

namespace detail {


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
  for (const std::shared_ptr<event_relay>& r : live_relays()) {
    r->out.close(err);
    r->poke();
  }
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

}  // namespace janus::client
