// Supervision of a launched Chromium (launch_options::restart): when the process dies, the
// restart actor relaunches it under the policy's limits and backoff and re-attaches every page
// the user still holds, with fresh domain actors (see browser.hpp, "What survives a restart").
#include "chromium_browser.hpp"

#include <janus/rt/sleep.hpp>

namespace janus::client::detail {

using protocol::json_value;

// Closes `proc` and waits until its group is gone and its profile removed (up to grace + ~3 s),
// without blocking a worker (woken by its last step): called here, close() only starts the ending, which runs as timer
// steps on the scheduler, so that the workers go on serving the calls that fail meanwhile. `proc`
// stays valid: bc, held here, keeps it (as process_ or in retired_).
rt::task<void> close_off_worker([[maybe_unused]] std::shared_ptr<browser_core> bc, browser_process* proc) {
  if (!proc) co_return;
  proc->close();
  // The ending is bounded by itself (grace + ~4 s, see process_state): the deadline only guards it.
  (void)co_await proc->wait_close_finished(rt::deadline(std::chrono::seconds(30)));
}


namespace {

// Ends every page with browser_exited and closes the browser: the policy's limit was reached.
rt::task<void> give_up(std::shared_ptr<browser_core> bc, std::string why) {
  for (const auto& p : bc->registry->snapshot()) {
    p->clear_restarting();
    p->mark_gone(rt::errc::browser_exited, why);
    bc->registry->remove(p.get());
  }
  co_await close_off_worker(bc, bc->process());
  bc->set_state(browser_state::gave_up);
  bc->close();
}

// The domain actors the page had started, replaced by fresh ones on the page's new session (the
// old ones are bound to the dead connection), then enabled so that they follow the new document
// from its first event.
rt::task<void> restart_domains(std::shared_ptr<page_core> pc, rt::deadline d) {
  domains::network net;
  domains::console con;
  domains::dom doc;
  domains::js_runtime js;
  domains::css sheets;
  domains::debugger dbg;
  {
    std::lock_guard lk(pc->mu);
    const session::cdp_session s = pc->session_;
    if (pc->started.network) net = pc->started.network = domains::network::start(pc->sched, s);
    if (pc->started.console) con = pc->started.console = domains::console::start(pc->sched, s);
    if (pc->started.dom) doc = pc->started.dom = domains::dom::start(pc->sched, s);
    if (pc->started.runtime) js = pc->started.runtime = domains::js_runtime::start(pc->sched, s);
    if (pc->started.css) sheets = pc->started.css = domains::css::start(pc->sched, s);
    if (pc->started.debugger) dbg = pc->started.debugger = domains::debugger::start(pc->sched, s);
    // Performance keeps no event-fed cache: a fresh actor enables itself on its next read.
    if (pc->started.performance) pc->started.performance = domains::performance::start(pc->sched, s);
  }
  // A domain that fails to enable here enables itself again on first use.
  if (net) (void)co_await net.enable(d);
  if (con) (void)co_await con.enable(d);
  if (js) (void)co_await js.enable(d);
  if (doc) (void)co_await doc.enable(d);
  if (sheets) (void)co_await sheets.enable(d);
  if (dbg) (void)co_await dbg.enable(d);
}

// Re-attaches one page to the relaunched browser: a new target in the default context, the same
// page_core bound to its session, the domains it had restarted, and its last committed URL loaded
// again. On failure the page is left as it was (the caller decides).
rt::task<rt::result<void>> reattach(std::shared_ptr<browser_core> bc, std::shared_ptr<page_core> pc, std::string url) {
  const rt::deadline d(std::chrono::seconds(30));
  if (!pc->context_id.empty())
    co_return rt::error{rt::errc::browser_exited, "its browser context " + pc->context_id + " did not survive the restart"};
  const session::cdp_connection conn = bc->connection();
  const session::cdp_session b = conn.browser();
  rt::result<std::pair<std::string, std::string>> ids = co_await open_target(b, std::string(), d);
  if (!ids) co_return std::move(ids).err();
  rt::result<void> bound = co_await bind_page(bc, pc, conn, ids->first, ids->second, d);
  if (!bound) {
    co_await close_target(b, ids->first);
    co_return std::move(bound).err();
  }
  co_await restart_domains(pc, d);
  pc->clear_restarting();
  if (!url.empty() && url != "about:blank") {
    page p(pc);
    // A page whose URL does not load again stays attached on about:blank: it is alive, and the
    // user can navigate it.
    (void)co_await p.navigate(url, wait_until::load, d);
  }
  co_return rt::ok;
}

// The URL to bring a page back to: its page actor's last committed URL, else the target's.
rt::task<std::string> last_url(std::shared_ptr<page_core> pc) {
  std::string url = pc->title_and_url().second;
  if (rt::actor_ref<page_actor> a = pc->actor()) {
    page_actor::get_info m;
    rt::result<page_info> info = co_await a.ask(m, rt::deadline(std::chrono::seconds(1)));
    if (info && !info->url.empty()) url = info->url;
  }
  co_return url;
}

rt::task<void> restart(std::shared_ptr<browser_core> bc, std::deque<rt::time_point>& window, std::string why) {
  if (bc->closed.load()) co_return;
  bc->set_state(browser_state::restarting);
  std::vector<std::shared_ptr<page_core>> pages;
  for (auto& p : bc->registry->snapshot()) {
    if (p->gone.load() != rt::errc::ok) continue;
    p->set_restarting(why);
    pages.push_back(std::move(p));
  }
  std::vector<std::string> urls;
  for (const auto& p : pages) urls.push_back(co_await last_url(p));
  // The dead browser's group (its renderers and helpers) and its profile go now, before the new
  // one starts.
  co_await close_off_worker(bc, bc->process());
  const rt::restart_policy& policy = *bc->policy;
  std::string last_error = why;
  for (;;) {
    if (bc->closed.load()) co_return;
    const rt::time_point now = rt::clock::now();
    while (!window.empty() && now - window.front() > policy.window) window.pop_front();
    if (window.size() >= policy.max_restarts) {
      std::string reason = "the browser kept dying: gave up after " + std::to_string(window.size()) +
                           " restarts within " +
                           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(policy.window).count()) +
                           " ms (last: " + last_error + ")";
      co_await give_up(bc, std::move(reason));
      co_return;
    }
    window.push_back(now);
    co_await rt::sleep_for(bc->sched, rt::restart_backoff(policy, window.size()));
    if (bc->closed.load()) co_return;
    launch_options lo = bc->relaunch;
    rt::result<std::unique_ptr<browser_process>> proc = co_await launch_chromium(bc->sched, std::move(lo));
    if (!proc) {
      last_error = proc.err().message;
      continue;
    }
    browser_process* launched = proc->get();
    session::cdp_connection conn = (*proc)->connection();
    rt::result<void> up = co_await bring_up(bc, std::move(conn), std::move(*proc), rt::deadline(std::chrono::seconds(10)));
    if (!up) {
      last_error = up.err().message;
      continue;
    }
    bc->restart_count.fetch_add(1);
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (pages[i]->gone.load() != rt::errc::ok) continue;
      rt::result<void> r = co_await reattach(bc, pages[i], urls[i]);
      // The new browser died too: its own crash is queued behind this restart, which will retry.
      if (!launched->running()) co_return;
      if (!r) {
        pages[i]->clear_restarting();
        pages[i]->mark_gone(rt::errc::browser_exited, "not re-attached after the browser restarted: " + r.err().message);
        bc->registry->remove(pages[i].get());
      }
    }
    if (!bc->closed.load()) bc->set_state(browser_state::running);
    co_return;
  }
}

}  // namespace

rt::task<void> restart_actor::handle(crashed m) {
  std::shared_ptr<browser_core> bc = core_.lock();
  if (!bc || !bc->policy) co_return;
  co_await restart(bc, window_, std::move(m.why));
}

}  // namespace janus::client::detail
