#include <janus/client/browser.hpp>

#include "firefox_browser.hpp"
#include "page_core.hpp"

#include <janus/rt/actor.hpp>
#include <janus/rt/sleep.hpp>
#include <janus/rt/supervisor.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <utility>

namespace janus::client {

using protocol::json_value;

namespace detail {

namespace {

std::string str(const json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}

rt::error in_context(rt::error e, const std::string& what) {
  e.message = what + ": " + e.message;
  return e;
}

}  // namespace

/// The pages a browser opened and that are not gone yet.
///
/// @par Thread Safety
/// Every member may be called from any thread (one mutex).
struct page_registry {
  std::mutex mu;
  std::vector<std::shared_ptr<page_core>> pages;

  void add(std::shared_ptr<page_core> p) {
    std::lock_guard lk(mu);
    if (std::find(pages.begin(), pages.end(), p) == pages.end()) pages.push_back(std::move(p));
  }
  std::shared_ptr<page_core> find_target(std::string_view id) {
    std::lock_guard lk(mu);
    for (auto& p : pages)
      if (p->target_id() == id) return p;
    return nullptr;
  }
  std::shared_ptr<page_core> find_session(std::string_view id) {
    std::lock_guard lk(mu);
    for (auto& p : pages)
      if (p->session().id() == id) return p;
    return nullptr;
  }
  void remove(const page_core* p) {
    std::lock_guard lk(mu);
    pages.erase(std::remove_if(pages.begin(), pages.end(), [&](const auto& q) { return q.get() == p; }), pages.end());
  }
  std::vector<std::shared_ptr<page_core>> snapshot() {
    std::lock_guard lk(mu);
    return pages;
  }
};

/// Keeps the target list from the browser session's Target events and tells pages when their
/// target crashed, was destroyed, or its session was detached.
///
/// @par Thread Safety
/// Used through its actor_ref from any thread.
class browser_actor : public rt::actor<browser_actor> {
 public:
  struct run {
    std::shared_ptr<rt::subscription<session::cdp_event>> events;
  };
  struct list_targets {};
  using message = std::variant<run, list_targets>;
  static constexpr std::size_t mailbox_capacity = 64;

  explicit browser_actor(std::shared_ptr<page_registry> registry) : registry_(std::move(registry)) {}

  rt::task<void> handle(run r) {
    for (;;) {
      rt::result<session::cdp_event> ev = co_await r.events->next();
      if (!ev) co_return;  // the connection is gone
      rt::result<json_value> params = json_value::parse(ev->params());
      if (params) apply(ev->method(), *params);
    }
  }

  std::vector<target_info> handle(list_targets) const { return targets_; }

 private:
  void apply(std::string_view method, const json_value& p) {
    if (method == "Target.targetCreated" || method == "Target.targetInfoChanged") {
      const json_value& i = p["targetInfo"];
      target_info t;
      t.target_id = str(i["targetId"]);
      t.type = str(i["type"]);
      t.title = str(i["title"]);
      t.url = str(i["url"]);
      t.attached = i["attached"].get_bool().value_or(false);
      t.browser_context_id = str(i["browserContextId"]);
      t.opener_id = str(i["openerId"]);
      if (auto page = registry_->find_target(t.target_id)) page->set_target_info(t.title, t.url);
      auto at = find(t.target_id);
      if (at == targets_.end()) {
        targets_.push_back(std::move(t));
      } else {
        t.crashed = at->crashed;
        *at = std::move(t);
      }
    } else if (method == "Target.targetDestroyed") {
      const std::string id = str(p["targetId"]);
      if (auto at = find(id); at != targets_.end()) targets_.erase(at);
      gone(registry_->find_target(id), rt::errc::target_closed, "the target was destroyed");
    } else if (method == "Target.targetCrashed") {
      const std::string id = str(p["targetId"]);
      if (auto at = find(id); at != targets_.end()) at->crashed = true;
      gone(registry_->find_target(id), rt::errc::target_crashed,
           "the target crashed (" + str(p["status"]) + ", code " + std::to_string(p["errorCode"].get_int().value_or(0)) + ")");
    } else if (method == "Target.detachedFromTarget") {
      gone(registry_->find_session(str(p["sessionId"])), rt::errc::target_closed, "the target's session was detached");
    }
  }

  void gone(const std::shared_ptr<page_core>& page, rt::errc code, std::string why) {
    if (!page) return;
    page->mark_gone(code, std::move(why));
    registry_->remove(page.get());
  }

  std::vector<target_info>::iterator find(std::string_view id) {
    return std::find_if(targets_.begin(), targets_.end(), [&](const target_info& t) { return t.target_id == id; });
  }

  std::shared_ptr<page_registry> registry_;
  std::vector<target_info> targets_;  // in the order the browser announced them
};

class restart_actor;

/// @par Thread Safety
/// Every member may be called from any thread; close() is idempotent. The connection, process and
/// browser actor are replaced by a restart: they are read through the accessors (guarded by mu).
struct browser_core {
  browser_core(rt::scheduler& s, std::optional<rt::restart_policy> p, launch_options relaunch_with)
      : sched(s), registry(std::make_shared<page_registry>()), policy(std::move(p)), relaunch(std::move(relaunch_with)) {}
  ~browser_core() { close(); }
  browser_core(const browser_core&) = delete;
  browser_core& operator=(const browser_core&) = delete;

  void close();

  session::cdp_connection connection() const {
    std::lock_guard lk(mu);
    return conn_;
  }
  browser_process* process() const {
    std::lock_guard lk(mu);
    return process_.get();
  }
  rt::actor_ref<browser_actor> actor() const {
    std::lock_guard lk(mu);
    return actor_;
  }

  rt::scheduler& sched;
  const std::shared_ptr<page_registry> registry;
  /// Set: the process is supervised (launch with launch_options::restart).
  const std::optional<rt::restart_policy> policy;
  const launch_options relaunch;
  rt::actor_ref<restart_actor> restarter;  // set before the first process is watched
  std::atomic<bool> closed{false};
  std::atomic<browser_state> state{browser_state::running};
  std::atomic<std::uint64_t> restarts{0};

  mutable std::mutex mu;
  session::cdp_connection conn_;                                      // guarded by mu
  std::unique_ptr<browser_process> process_;                 // guarded by mu
  /// Processes replaced by restarts, closed: kept so that a pointer from process() stays valid.
  std::vector<std::unique_ptr<browser_process>> retired_;    // guarded by mu
  rt::actor_ref<browser_actor> actor_;                       // guarded by mu
};

/// The browser's supervisor: told (from the exit watcher) that the process died, it relaunches
/// the browser under the restart policy and re-attaches the pages. One restart at a time: a crash
/// during a restart queues behind it.
///
/// @par Thread Safety
/// Used through its actor_ref from any thread.
class restart_actor : public rt::actor<restart_actor> {
 public:
  struct crashed {
    std::string why;
  };
  using message = std::variant<crashed>;
  static constexpr std::size_t mailbox_capacity = 16;

  explicit restart_actor(std::weak_ptr<browser_core> core) : core_(std::move(core)) {}

  rt::task<void> handle(crashed m);

 private:
  std::weak_ptr<browser_core> core_;
  std::deque<rt::time_point> window_;  // the restarts within the policy's window
};

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
  if (state.load() != browser_state::gave_up) state.store(browser_state::closed);
  for (const auto& p : registry->snapshot()) {
    p->mark_gone(rt::errc::target_closed, "the browser was closed");
    if (auto pa = p->actor()) pa.stop();
  }
  if (a) a.stop();
  if (restarter) restarter.stop();
  if (proc) proc->close();
  else if (conn) conn.close();
}

}  // namespace detail

namespace {

using detail::browser_core;
using detail::call_json;
using detail::in_context;
using detail::page_core;
using detail::str;

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
  for (const std::shared_ptr<detail::event_relay>& r : pc->live_relays()) {
    session::event_options ro;
    ro.capacity = r->capacity;
    rt::result<rt::subscription<session::cdp_event>> moved = co_await session.subscribe(r->method, std::move(ro));
    if (!moved) co_return std::move(moved).err();
    std::lock_guard lk(r->mu);
    r->replacement = std::move(*moved);
  }
  session::event_options eo;
  eo.capacity = 1024;
  eo.filter = [](const session::cdp_event& e) { return e.domain() == "Page" || e.domain() == "Inspector"; };
  rt::result<rt::subscription<session::cdp_event>> events = co_await session.subscribe("*", std::move(eo));
  if (!events) co_return std::move(events).err();
  rt::spawn_options so;
  so.name = "page." + target_id.substr(0, 8);
  std::weak_ptr<page_core> weak = pc;
  pc->set_actor(rt::spawn_with<detail::page_actor>(bc->sched, std::move(so),
                                                   [weak] { return std::make_unique<detail::page_actor>(weak); }));
  detail::page_actor::run run{std::make_shared<rt::subscription<session::cdp_event>>(std::move(*events))};
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
    detail::page_actor::seed s;
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

rt::task<rt::result<page>> do_new_page(std::shared_ptr<browser_core> bc, std::string url, std::string context,
                                       rt::deadline d) {
  const std::string what = "new_page";
  if (bc->state.load() == browser_state::restarting)
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
  rt::subscription<detail::page_signal> sub = p.core()->watch();  // closed already if the page is gone
  json_value params = json_value::object();
  params.set("targetId", p.target_id());
  rt::result<json_value> r = co_await call_json(bc->connection().browser(), "Target.closeTarget", params.dump(), d);
  if (!r && p.alive()) co_return in_context(std::move(r).err(), what);
  for (;;) {
    rt::result<detail::page_signal> sig = co_await sub.next(d);
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
  detail::browser_actor::list_targets m;
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
rt::task<rt::result<void>> bring_up(std::shared_ptr<browser_core> bc, session::cdp_connection conn,
                                    std::unique_ptr<browser_process> proc, rt::deadline d) {
  session::event_options eo;
  eo.capacity = 4096;
  rt::result<rt::subscription<session::cdp_event>> events = co_await conn.browser().subscribe("Target.*", std::move(eo));
  if (!events) co_return in_context(std::move(events).err(), "browser: subscribing to Target events");
  rt::spawn_options so;
  so.name = "browser";
  std::shared_ptr<detail::page_registry> registry = bc->registry;
  rt::actor_ref<detail::browser_actor> actor = rt::spawn_with<detail::browser_actor>(
      bc->sched, std::move(so), [registry] { return std::make_unique<detail::browser_actor>(registry); });
  detail::browser_actor::run run{std::make_shared<rt::subscription<session::cdp_event>>(std::move(*events))};
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
  rt::actor_ref<detail::browser_actor> old_actor;
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
        if (!b->closed.load()) b->state.store(browser_state::restarting);
        for (const auto& p : b->registry->snapshot())
          if (p->gone.load() == rt::errc::ok) p->set_restarting(why);
        detail::restart_actor::crashed m{std::move(why)};
        (void)b->restarter.try_tell(std::move(m));
      }
    });
  }
  co_return rt::ok;
}

// Closes `proc` and waits until its group is gone and its profile removed (up to grace + ~3 s),
// without blocking a worker: called here, close() only starts the ending, which runs as timer
// steps on the scheduler, so that the workers go on serving the calls that fail meanwhile. `proc`
// stays valid: bc, held here, keeps it (as process_ or in retired_).
rt::task<void> close_off_worker(std::shared_ptr<browser_core> bc, browser_process* proc) {
  if (!proc) co_return;
  proc->close();
  while (!proc->close_finished()) co_await rt::sleep_for(bc->sched, std::chrono::milliseconds(10));
}

// Ends every page with browser_exited and closes the browser: the policy's limit was reached.
rt::task<void> give_up(std::shared_ptr<browser_core> bc, std::string why) {
  for (const auto& p : bc->registry->snapshot()) {
    p->clear_restarting();
    p->mark_gone(rt::errc::browser_exited, why);
    bc->registry->remove(p.get());
  }
  co_await close_off_worker(bc, bc->process());
  bc->state.store(browser_state::gave_up);
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
    if (pc->network) net = pc->network = domains::network::start(pc->sched, s);
    if (pc->console) con = pc->console = domains::console::start(pc->sched, s);
    if (pc->dom) doc = pc->dom = domains::dom::start(pc->sched, s);
    if (pc->runtime) js = pc->runtime = domains::js_runtime::start(pc->sched, s);
    if (pc->css) sheets = pc->css = domains::css::start(pc->sched, s);
    if (pc->debugger) dbg = pc->debugger = domains::debugger::start(pc->sched, s);
    // Performance keeps no event-fed cache: a fresh actor enables itself on its next read.
    if (pc->performance) pc->performance = domains::performance::start(pc->sched, s);
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
  if (rt::actor_ref<detail::page_actor> a = pc->actor()) {
    detail::page_actor::get_info m;
    rt::result<page_info> info = co_await a.ask(m, rt::deadline(std::chrono::seconds(1)));
    if (info && !info->url.empty()) url = info->url;
  }
  co_return url;
}

rt::task<void> restart(std::shared_ptr<browser_core> bc, std::deque<rt::time_point>& window, std::string why) {
  if (bc->closed.load()) co_return;
  bc->state.store(browser_state::restarting);
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
    bc->restarts.fetch_add(1);
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
    if (!bc->closed.load()) bc->state.store(browser_state::running);
    co_return;
  }
}

}  // namespace

rt::task<void> detail::restart_actor::handle(crashed m) {
  std::shared_ptr<browser_core> bc = core_.lock();
  if (!bc || !bc->policy) co_return;
  co_await restart(bc, window_, std::move(m.why));
}

rt::task<rt::result<browser>> browser::start(std::shared_ptr<detail::browser_core> bc, session::cdp_connection connection,
                                             std::unique_ptr<browser_process> process, rt::deadline d) {
  if (bc->policy) {
    rt::spawn_options so;
    so.name = "browser.restart";
    std::weak_ptr<browser_core> weak = bc;
    bc->restarter = rt::spawn_with<detail::restart_actor>(bc->sched, std::move(so),
                                                          [weak] { return std::make_unique<detail::restart_actor>(weak); });
  }
  rt::result<void> up = co_await bring_up(bc, std::move(connection), std::move(process), d);
  if (!up) co_return std::move(up).err();
  co_return browser(std::move(bc));
}

rt::task<rt::result<browser>> browser::launch(rt::scheduler& sched, launch_options options) {
  if (options.product == browser_product::firefox) {
    if (options.restart)
      co_return rt::error{rt::errc::unsupported, "browser::launch: a restart policy supervises Chromium only"};
    firefox_launch_options fo = std::move(options.firefox);
    if (!options.executable.empty()) fo.executable = std::move(options.executable);
    fo.extra_args.insert(fo.extra_args.end(), options.extra_args.begin(), options.extra_args.end());
    rt::result<std::shared_ptr<detail::firefox_browser>> fb = co_await detail::launch_firefox_browser(sched, std::move(fo));
    if (!fb) co_return std::move(fb).err();
    co_return browser(std::move(*fb));
  }
  std::optional<rt::restart_policy> policy = options.restart;
  launch_options relaunch = options;
  rt::result<std::unique_ptr<browser_process>> p = co_await launch_chromium(sched, std::move(options));
  if (!p) co_return std::move(p).err();
  auto bc = std::make_shared<browser_core>(sched, std::move(policy), std::move(relaunch));
  session::cdp_connection c = (*p)->connection();
  co_return co_await start(std::move(bc), std::move(c), std::move(*p), rt::deadline(std::chrono::seconds(10)));
}

rt::task<rt::result<browser>> browser::adopt(rt::scheduler& sched, std::unique_ptr<browser_process> process) {
  if (!process) co_return rt::error{rt::errc::invalid_argument, "browser::adopt: no process"};
  session::cdp_connection c = process->connection();
  auto bc = std::make_shared<browser_core>(sched, std::nullopt, launch_options{});
  co_return co_await start(std::move(bc), std::move(c), std::move(process), rt::deadline(std::chrono::seconds(10)));
}

rt::task<rt::result<browser>> browser::attach(rt::scheduler& sched, session::cdp_connection connection) {
  if (!connection) co_return rt::error{rt::errc::invalid_argument, "browser::attach: no connection"};
  auto bc = std::make_shared<browser_core>(sched, std::nullopt, launch_options{});
  co_return co_await start(std::move(bc), std::move(connection), nullptr, rt::deadline(std::chrono::seconds(10)));
}

rt::task<rt::result<browser>> browser::connect(rt::scheduler& sched, std::string url, session::connection_options options) {
  // connect_timeout bounds the whole connect: the /json/version GET, the WebSocket handshake and
  // the browser's answer to the first command, so that a peer that stalls at any step fails by it.
  const rt::deadline d(options.connect_timeout);
  if (url.rfind("rdp://unix:", 0) == 0) {
    // A Firefox debugger server on a Unix domain socket (what launch_firefox starts).
    session::rdp_connection_options ro;
    ro.connect_timeout = options.connect_timeout;
    std::string path = url.substr(11);  // a local, not a temporary in the co_await (rule 7, actor.hpp)
    rt::result<std::shared_ptr<detail::firefox_browser>> fb =
        co_await detail::connect_firefox_browser_unix(sched, std::move(path), std::move(ro));
    if (!fb) co_return in_context(std::move(fb).err(), "connect to " + url);
    co_return browser(std::move(*fb));
  }
  if (url.rfind("rdp://", 0) == 0) {
    const std::string hostport = url.substr(6);
    const std::size_t colon = hostport.rfind(':');
    int port = 0;
    if (colon != std::string::npos) {
      const std::string digits = hostport.substr(colon + 1);
      if (!digits.empty() && digits.size() <= 5 && digits.find_first_not_of("0123456789") == std::string::npos)
        port = std::stoi(digits);
    }
    if (port <= 0 || port > 65535)
      co_return rt::error{rt::errc::invalid_argument, "browser::connect: expected rdp://host:port, got " + url};
    session::rdp_connection_options ro;
    ro.connect_timeout = options.connect_timeout;
    rt::result<std::shared_ptr<detail::firefox_browser>> fb = co_await detail::connect_firefox_browser(
        sched, hostport.substr(0, colon), static_cast<std::uint16_t>(port), std::move(ro));
    if (!fb) co_return in_context(std::move(fb).err(), "connect to " + url);
    co_return browser(std::move(*fb));
  }
  std::string ws = url;
  if (url.rfind("http://", 0) == 0) {
    rt::result<std::string> found = co_await fetch_websocket_url(sched, url, d);
    if (!found) co_return std::move(found).err();
    ws = std::move(*found);
    // What the GET took is not given again to the handshake (at least 1 ms: 0 would mean none).
    options.connect_timeout = std::max(std::chrono::ceil<std::chrono::milliseconds>(d.at() - rt::clock::now()),
                                       std::chrono::milliseconds(1));
  }
  rt::result<session::cdp_connection> c = co_await session::cdp_connection::connect(sched, ws, std::move(options), session::connect_policy{});
  if (!c) co_return in_context(std::move(c).err(), "connect to " + ws);
  auto bc = std::make_shared<browser_core>(sched, std::nullopt, launch_options{});
  rt::result<browser> started = co_await start(std::move(bc), std::move(*c), nullptr, d);
  if (!started) co_return in_context(std::move(started).err(), "connect to " + ws);
  co_return std::move(*started);
}

namespace {

rt::error firefox_has_no(const char* call) {
  return rt::error{rt::errc::unsupported, std::string(call) + ": Firefox's debugging protocol has no isolated browser contexts"};
}

template <class T>
rt::task<rt::result<T>> failed(rt::error e) {
  co_return std::move(e);
}

}  // namespace

rt::task<rt::result<browser_version>> browser::version(rt::deadline d) const {
  if (ff_) return detail::firefox_version(ff_, d);
  return do_version(core_, d);
}
rt::task<rt::result<std::vector<target_info>>> browser::targets(rt::deadline d) const {
  if (ff_) return detail::firefox_targets(ff_, d);
  return do_targets(core_, d);
}
rt::task<rt::result<page>> browser::new_page(std::string url, std::string context, rt::deadline d) const {
  if (ff_) return detail::firefox_new_page(ff_, std::move(url), std::move(context), d);
  return do_new_page(core_, std::move(url), std::move(context), d);
}
rt::task<rt::result<void>> browser::close_page(page p, rt::deadline d) const {
  if (ff_) return detail::firefox_close_page(ff_, std::move(p), d);
  return do_close_page(core_, std::move(p), d);
}
rt::task<rt::result<std::string>> browser::create_context(rt::deadline d) const {
  if (ff_) return failed<std::string>(firefox_has_no("browser.create_context"));
  return do_create_context(core_, d);
}
rt::task<rt::result<void>> browser::dispose_context(std::string context_id, rt::deadline d) const {
  if (ff_) return failed<void>(firefox_has_no("browser.dispose_context"));
  return do_dispose_context(core_, std::move(context_id), d);
}

std::vector<page> browser::pages() const {
  if (ff_) return ff_->pages();
  std::vector<page> out;
  for (auto& p : core_->registry->snapshot())
    if (p->alive()) out.emplace_back(std::move(p));
  return out;
}

session::cdp_connection browser::connection() const { return ff_ ? session::cdp_connection() : core_->connection(); }
session::rdp_connection browser::rdp() const { return ff_ ? ff_->conn : session::rdp_connection(); }
browser_process* browser::process() const { return ff_ ? nullptr : core_->process(); }
client::firefox_process* browser::firefox_process() const { return ff_ ? ff_->process.get() : nullptr; }
void browser::close() const {
  if (ff_) ff_->close();
  else core_->close();
}
browser_state browser::state() const noexcept {
  if (ff_) return ff_->closed() ? browser_state::closed : browser_state::running;
  return core_->state.load();
}
std::uint64_t browser::restarts() const noexcept { return ff_ ? 0 : core_->restarts.load(); }

rt::task<rt::result<void>> browser::wait_running(rt::deadline d) const {
  if (ff_) {
    if (ff_->closed()) co_return rt::error{rt::errc::cancelled, "the browser was closed"};
    co_return rt::ok;
  }
  // Polled: a restart is rare and takes seconds; a 20 ms step costs nothing next to it.
  std::shared_ptr<detail::browser_core> bc = core_;
  for (;;) {
    switch (bc->state.load()) {
      case browser_state::running: co_return rt::ok;
      case browser_state::gave_up: co_return rt::error{rt::errc::browser_exited, "the browser gave up restarting"};
      case browser_state::closed: co_return rt::error{rt::errc::cancelled, "the browser was closed"};
      case browser_state::restarting: break;
    }
    if (d.expired()) co_return rt::error{rt::errc::timeout, "the browser is still restarting"};
    co_await rt::sleep_for(bc->sched, std::chrono::milliseconds(20));
  }
}

}  // namespace janus::client
