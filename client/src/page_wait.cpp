// page::wait_for: the page runs on for a while, and the wait ends early, with the page's error,
// when the page goes. Not a sleep: a sleep cannot hear the browser die.
#include "firefox_page.hpp"
#include "page_core.hpp"

#include <janus/client/firefox_tab.hpp>

#include <algorithm>

namespace janus::client {

namespace {

using detail::page_core;
using detail::page_signal;

// Chromium: the page's signal stream ends (or carries a `gone` signal) when the page goes or its
// browser dies; see page_core::mark_gone and page_core::browser_exited.
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

// Firefox: a subscription to events no actor sends. It never yields an item; it only ends, with
// errc::browser_exited and its cause, when the connection fails because Firefox died (see
// rdp_connection's fail_all). The tab's own end (closed by close_page) is looked at every 250 ms.
rt::task<rt::result<void>> firefox_wait(firefox_tab tab, rt::time_point until) {
  if (rt::result<void> a = tab.alive(); !a) co_return std::move(a).err();
  session::rdp_subscription_spec spec;
  spec.actor = "janus:page-wait";
  spec.type = "janus:never";
  spec.capacity = 1;
  spec.policy = rt::overflow::drop_newest;
  rt::result<rt::subscription<session::rdp_event>> sub = tab.connection().subscribe(std::move(spec));
  if (!sub) co_return std::move(sub).err();
  for (;;) {
    const rt::time_point tick = std::min(until, rt::clock::now() + std::chrono::milliseconds(250));
    rt::result<session::rdp_event> r = co_await sub->next(rt::deadline(tick));
    if (r) continue;
    if (rt::result<void> a = tab.alive(); !a) co_return std::move(a).err();
    if (r.code() != rt::errc::timeout) co_return std::move(r).err();
    if (rt::clock::now() >= until) co_return rt::ok;
  }
}

}  // namespace

rt::task<rt::result<void>> page::wait_for(std::chrono::milliseconds how_long) const {
  const rt::time_point until = rt::clock::now() + how_long;
  if (ff_) return firefox_wait(ff_->tab, until);
  return chromium_wait(core_, until);
}

}  // namespace janus::client
