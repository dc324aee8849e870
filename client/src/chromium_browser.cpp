// A Chromium browser (browser_core as client::browser's backend): its targets and pages over one
// CDP connection, and the browser actor that routes target events to the pages. Supervision (the
// restart actor) is in chromium_restart.cpp.
#include "chromium_browser.hpp"

#include <janus/rt/sleep.hpp>

namespace janus::client::detail {

using protocol::json_value;

void browser_core::close() {
  browser_process* proc = nullptr;
  session::cdp_connection conn;
  rt::actor_ref<browser_actor> a;
  {
    std::lock_guard lk(mu);
    if (closed.exchange(true)) return;
    proc = process_.get();
    conn = conn_;
    a = actor_;
  }
  if (state_.load() != browser_state::gave_up) set_state(browser_state::closed);
  for (const auto& p : registry->snapshot()) {
    p->mark_gone(rt::errc::target_closed, "the browser was closed");
    if (auto pa = p->actor()) pa.stop();
  }
  if (a) a.stop();
  if (restarter) restarter.stop();
  if (proc) proc->close();
  else if (conn) conn.close();
}


rt::task<void> close_target(session::cdp_session b, std::string target_id) {
  json_value p = json_value::object();
  p.set("targetId", std::move(target_id));
  (void)co_await call_json(b, "Target.closeTarget", p.dump(), rt::deadline(std::chrono::seconds(5)));
}

// Binds `pc` to a freshly attached target: its page actor (subscribed before Page.enable, so no
// lifecycle event is missed), the Page/Inspector domains and lifecycle events, and the state of the
// first document. Used by new_page and by a restart's re-attach; on failure the caller closes the
// target.
rt::task<rt::result<void>> bind_page(std::shared_ptr<browser_core> bc, std::shared_ptr<page_core> pc,
                                     session::cdp_connection conn, std::string target_id, std::string session_id, rt::deadline d) {
  pc->rebind(conn.session(session_id), target_id);
  const session::cdp_session session = pc->session();
  // page::subscribe's subscriptions move to the new session before Page.enable (none on a new page).
  for (const std::shared_ptr<event_relay>& r : pc->live_relays()) {
    session::event_options ro;
    ro.capacity = r->capacity;
    rt::result<rt::subscription<session::cdp_event>> moved = co_await session.subscribe(r->method, std::move(ro));
    if (!moved) co_return std::move(moved).err();
    {
      std::lock_guard lk(r->mu);
      r->replacement = std::move(*moved);
    }
    r->poke();
  }
  session::event_options eo;
  eo.capacity = 1024;
  eo.filter = [](const session::cdp_event& e) { return e.domain() == "Page" || e.domain() == "Inspector"; };
  rt::result<rt::subscription<session::cdp_event>> events = co_await session.subscribe("*", std::move(eo));
  if (!events) co_return std::move(events).err();
  rt::spawn_options so;
  so.name = "page." + target_id.substr(0, 8);
  std::weak_ptr<page_core> weak = pc;
  pc->set_actor(rt::spawn_with<page_actor>(bc->sched, std::move(so),
                                                   [weak] { return std::make_unique<page_actor>(weak); }));
  page_actor::run run{std::make_shared<rt::subscription<session::cdp_event>>(std::move(*events))};
  if (rt::result<void> told = co_await pc->actor().tell(std::move(run)); !told) co_return std::move(told).err();
  bc->registry->add(pc);  // no-op for a page re-attached after a restart (it is registered already)
  for (const char* method : {"Page.enable", "Inspector.enable"}) {
    rt::result<json_value> r = co_await call_json(session, method, "{}", d);
    if (!r) co_return std::move(r).err();
  }
  rt::result<json_value> lifecycle = co_await call_json(session, "Page.setLifecycleEventsEnabled", R"({"enabled":true})", d);
  if (!lifecycle) co_return std::move(lifecycle).err();
  // The first document may have finished before anyone listened: start from what it is now.
  rt::result<json_value> tree = co_await call_json(session, "Page.getFrameTree", "{}", d);
  rt::result<json_value> state =
      co_await call_json(session, "Runtime.evaluate", R"({"expression":"document.readyState","returnByValue":true})", d);
  if (tree) {
    const json_value& f = (*tree)["frameTree"]["frame"];
    page_actor::seed s;
    s.frame_id = str(f["id"]);
    s.loader_id = str(f["loaderId"]);
    s.url = str(f["url"]);
    s.loaded = state && str((*state)["result"]["value"]) == "complete";
    (void)co_await pc->actor().tell(std::move(s));
  }
  co_return rt::ok;
}

// Target.createTarget + Target.attachToTarget{flatten}: the target's id and its session's id.
rt::task<rt::result<std::pair<std::string, std::string>>> open_target(session::cdp_session b, std::string context, rt::deadline d) {
  json_value create = json_value::object();
  create.set("url", "about:blank");
  if (!context.empty()) create.set("browserContextId", context);
  rt::result<json_value> created = co_await call_json(b, "Target.createTarget", create.dump(), d);
  if (!created) co_return std::move(created).err();
  const std::string target_id = str((*created)["targetId"]);
  json_value attach = json_value::object();
  attach.set("targetId", target_id);
  attach.set("flatten", true);
  rt::result<json_value> attached = co_await call_json(b, "Target.attachToTarget", attach.dump(), d);
  if (!attached) {
    co_await close_target(b, target_id);
    co_return std::move(attached).err();
  }
  co_return std::pair<std::string, std::string>(target_id, str((*attached)["sessionId"]));
}

namespace {

rt::task<rt::result<page>> do_new_page(std::shared_ptr<browser_core> bc, std::string url, std::string context,
                                       rt::deadline d) {
  const std::string what = "new_page";
  if (bc->state_.load() == browser_state::restarting)
    co_return rt::error{rt::errc::browser_exited, what + ": the browser is restarting"};
  const session::cdp_connection conn = bc->connection();
  const session::cdp_session b = conn.browser();
  rt::result<std::pair<std::string, std::string>> ids = co_await open_target(b, context, d);
  if (!ids) co_return in_context(std::move(ids).err(), what);
  auto pc = std::make_shared<page_core>(bc->sched, conn.session(ids->second), ids->first, context);
  // A supervised browser's death interrupts the page's waits; an unsupervised one's ends the page.
  pc->supervised.store(bc->policy.has_value(), std::memory_order_release);
  rt::result<void> bound = co_await bind_page(bc, pc, conn, ids->first, ids->second, d);
  if (!bound) {
    bc->registry->remove(pc.get());
    co_await close_target(b, ids->first);
    co_return in_context(std::move(bound).err(), what);
  }
  page p(pc);
  if (!url.empty() && url != "about:blank") {
    rt::result<navigation> nav = co_await p.navigate(url, wait_until::load, d);
    if (!nav) {
      bc->registry->remove(pc.get());
      co_await close_target(b, ids->first);
      co_return in_context(std::move(nav).err(), what);
    }
  }
  co_return p;
}

rt::task<rt::result<void>> do_close_page(std::shared_ptr<browser_core> bc, page p, rt::deadline d) {
  const std::string what = "close_page " + p.target_id();
  auto pc = std::dynamic_pointer_cast<page_core>(page_access::backend(p));
  if (!pc) co_return rt::error{rt::errc::invalid_argument, what + ": not a Chromium page"};
  rt::subscription<page_signal> sub = pc->watch();  // closed already if the page is gone
  json_value params = json_value::object();
  params.set("targetId", p.target_id());
  rt::result<json_value> r = co_await call_json(bc->connection().browser(), "Target.closeTarget", params.dump(), d);
  if (!r && p.alive()) co_return in_context(std::move(r).err(), what);
  for (;;) {
    rt::result<page_signal> sig = co_await sub.next(d);
    if (!sig) {
      if (!p.alive()) co_return rt::ok;
      co_return rt::error{sig.code(), what + ": the browser did not report the target detached before the deadline"};
    }
    if (sig->gone != rt::errc::ok) co_return rt::ok;
  }
}

rt::task<rt::result<browser_version>> do_version(std::shared_ptr<browser_core> bc, rt::deadline d) {
  rt::result<json_value> r = co_await call_json(bc->connection().browser(), "Browser.getVersion", "{}", d);
  if (!r) co_return std::move(r).err();
  browser_version v;
  v.protocol_version = str((*r)["protocolVersion"]);
  v.product = str((*r)["product"]);
  v.revision = str((*r)["revision"]);
  v.user_agent = str((*r)["userAgent"]);
  v.js_version = str((*r)["jsVersion"]);
  co_return v;
}

rt::task<rt::result<std::vector<target_info>>> do_targets(std::shared_ptr<browser_core> bc, rt::deadline d) {
  browser_actor::list_targets m;
  co_return co_await bc->actor().ask(m, d);
}

rt::task<rt::result<std::string>> do_create_context(std::shared_ptr<browser_core> bc, rt::deadline d) {
  rt::result<json_value> r = co_await call_json(bc->connection().browser(), "Target.createBrowserContext", "{}", d);
  if (!r) co_return std::move(r).err();
  std::string id = str((*r)["browserContextId"]);
  if (id.empty()) co_return rt::error{rt::errc::parse, "Target.createBrowserContext reply has no browserContextId"};
  co_return id;
}

rt::task<rt::result<void>> do_dispose_context(std::shared_ptr<browser_core> bc, std::string id, rt::deadline d) {
  json_value params = json_value::object();
  params.set("browserContextId", id);
  rt::result<json_value> r = co_await call_json(bc->connection().browser(), "Target.disposeBrowserContext", params.dump(), d);
  if (!r) co_return std::move(r).err();
  co_return rt::ok;
}

// Makes `conn` (and `proc`, when the browser owns one) the browser's: a browser actor fed by the
// Target events (subscribed before Target.setDiscoverTargets, so the targets that exist now are
// announced after it) and, under a restart policy, the exit watcher telling the restart actor.
// On failure nothing is replaced and `proc` is closed with its unique_ptr. The browser must answer
// by `d`: a peer that completed the handshake and then says nothing fails then.

}  // namespace

rt::task<rt::result<void>> bring_up(std::shared_ptr<browser_core> bc, session::cdp_connection conn,
                                    std::unique_ptr<browser_process> proc, rt::deadline d) {
  session::event_options eo;
  eo.capacity = 4096;
  rt::result<rt::subscription<session::cdp_event>> events = co_await conn.browser().subscribe("Target.*", std::move(eo));
  if (!events) co_return in_context(std::move(events).err(), "browser: subscribing to Target events");
  rt::spawn_options so;
  so.name = "browser";
  std::shared_ptr<page_registry> registry = bc->registry;
  rt::actor_ref<browser_actor> actor = rt::spawn_with<browser_actor>(
      bc->sched, std::move(so), [registry] { return std::make_unique<browser_actor>(registry); });
  browser_actor::run run{std::make_shared<rt::subscription<session::cdp_event>>(std::move(*events))};
  if (rt::result<void> told = co_await actor.tell(std::move(run)); !told) {
    actor.stop();
    co_return std::move(told).err();
  }
  rt::result<json_value> discover = co_await call_json(conn.browser(), "Target.setDiscoverTargets",
                                                       R"({"discover":true})", d);
  if (!discover) {
    actor.stop();
    co_return in_context(std::move(discover).err(), "browser: Target.setDiscoverTargets");
  }
  browser_process* watched = proc.get();
  rt::actor_ref<browser_actor> old_actor;
  {
    std::lock_guard lk(bc->mu);
    if (bc->closed.load()) {
      actor.stop();
      co_return rt::error{rt::errc::cancelled, "browser: closed while starting"};
    }
    old_actor = std::exchange(bc->actor_, actor);
    bc->conn_ = std::move(conn);
    if (bc->process_) bc->retired_.push_back(std::move(bc->process_));
    bc->process_ = std::move(proc);
  }
  if (old_actor) old_actor.stop();
  if (bc->policy && watched) {
    // Runs on the io thread: it only queues the crash for the restart actor. A weak reference, so
    // that the watcher does not keep the browser alive.
    std::weak_ptr<browser_core> weak = bc;
    watched->on_exit([weak](std::string why) {
      if (std::shared_ptr<browser_core> b = weak.lock()) {
        // Published here rather than when the restart actor gets to it: from this moment on,
        // calls fail at once as "restarting" and wait_running() waits.
        if (!b->closed.load()) b->set_state(browser_state::restarting);
        for (const auto& p : b->registry->snapshot())
          if (p->gone.load() == rt::errc::ok) p->set_restarting(why);
        restart_actor::crashed m{std::move(why)};
        (void)b->restarter.try_tell(std::move(m));
      }
    });
  }
  co_return rt::ok;
}

namespace {

rt::task<rt::result<std::shared_ptr<browser_backend>>> start(std::shared_ptr<browser_core> bc, session::cdp_connection connection,
                                                             std::unique_ptr<browser_process> process, rt::deadline d) {
  if (bc->policy) {
    rt::spawn_options so;
    so.name = "browser.restart";
    std::weak_ptr<browser_core> weak = bc;
    bc->restarter = rt::spawn_with<restart_actor>(bc->sched, std::move(so),
                                                          [weak] { return std::make_unique<restart_actor>(weak); });
  }
  rt::result<void> up = co_await bring_up(bc, std::move(connection), std::move(process), d);
  if (!up) co_return std::move(up).err();
  co_return std::shared_ptr<browser_backend>(std::move(bc));
}

rt::task<rt::result<void>> do_wait_running(std::shared_ptr<browser_core> bc, rt::deadline d) {
  // Subscribed before the first look, so a change between the look and the wait is not missed.
  rt::subscription<char> changes = bc->state_changed.subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    switch (bc->state_.load()) {
      case browser_state::running: co_return rt::ok;
      case browser_state::gave_up: co_return rt::error{rt::errc::browser_exited, "the browser gave up restarting"};
      case browser_state::closed: co_return rt::error{rt::errc::cancelled, "the browser was closed"};
      case browser_state::restarting: break;
    }
    rt::result<char> tick = co_await changes.next(d);
    if (!tick) {
      if (tick.code() == rt::errc::timeout) co_return rt::error{rt::errc::timeout, "the browser is still restarting"};
      co_return rt::error{rt::errc::cancelled, "wait_running: " + tick.err().message};
    }
  }
}

}  // namespace


rt::task<rt::result<std::shared_ptr<browser_backend>>> launch_chromium_browser(rt::scheduler& sched, launch_options options) {
  std::optional<rt::restart_policy> policy = options.restart;
  launch_options relaunch = options;
  rt::result<std::unique_ptr<browser_process>> p = co_await launch_chromium(sched, std::move(options));
  if (!p) co_return std::move(p).err();
  auto bc = std::make_shared<browser_core>(sched, std::move(policy), std::move(relaunch));
  session::cdp_connection c = (*p)->connection();
  co_return co_await start(std::move(bc), std::move(c), std::move(*p), rt::deadline(std::chrono::seconds(10)));
}

rt::task<rt::result<std::shared_ptr<browser_backend>>> adopt_chromium_browser(rt::scheduler& sched,
                                                                             std::unique_ptr<browser_process> process) {
  session::cdp_connection c = process->connection();
  auto bc = std::make_shared<browser_core>(sched, std::nullopt, launch_options{});
  co_return co_await start(std::move(bc), std::move(c), std::move(process), rt::deadline(std::chrono::seconds(10)));
}

rt::task<rt::result<std::shared_ptr<browser_backend>>> attach_chromium_browser(rt::scheduler& sched,
                                                                              session::cdp_connection connection,
                                                                              rt::deadline d) {
  auto bc = std::make_shared<browser_core>(sched, std::nullopt, launch_options{});
  co_return co_await start(std::move(bc), std::move(connection), nullptr, d);
}

rt::task<rt::result<browser_version>> browser_core::version(rt::deadline d) { return do_version(shared_from_this(), d); }
rt::task<rt::result<std::vector<target_info>>> browser_core::targets(rt::deadline d) { return do_targets(shared_from_this(), d); }
rt::task<rt::result<page>> browser_core::new_page(std::string url, std::string context, rt::deadline d) {
  return do_new_page(shared_from_this(), std::move(url), std::move(context), d);
}
rt::task<rt::result<void>> browser_core::close_page(page p, rt::deadline d) {
  return do_close_page(shared_from_this(), std::move(p), d);
}
rt::task<rt::result<std::string>> browser_core::create_context(rt::deadline d) {
  return do_create_context(shared_from_this(), d);
}
rt::task<rt::result<void>> browser_core::dispose_context(std::string context_id, rt::deadline d) {
  return do_dispose_context(shared_from_this(), std::move(context_id), d);
}
std::vector<page> browser_core::pages() {
  std::vector<page> out;
  for (auto& p : registry->snapshot())
    if (p->alive()) out.emplace_back(std::move(p));
  return out;
}
rt::task<rt::result<void>> browser_core::wait_running(rt::deadline d) { return do_wait_running(shared_from_this(), d); }

}  // namespace janus::client::detail
