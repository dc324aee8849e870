// Private to client/: a Chromium browser — browser_core, client::browser's backend over one CDP
// connection; the page registry; the browser actor that keeps the target list and routes target
// events to the pages; the restart actor that supervises a launched process (chromium_restart.cpp).
#pragma once

#include "browser_backend.hpp"
#include "page_core.hpp"

#include <janus/rt/actor.hpp>
#include <janus/rt/supervisor.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace janus::client::detail {

inline std::string str(const protocol::json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}

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
      rt::result<protocol::json_value> params = protocol::json_value::parse(ev->params());
      if (params) apply(ev->method(), *params);
    }
  }

  std::vector<target_info> handle(list_targets) const { return targets_; }

 private:
  void apply(std::string_view method, const protocol::json_value& p) {
    if (method == "Target.targetCreated" || method == "Target.targetInfoChanged") {
      const protocol::json_value& i = p["targetInfo"];
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
struct browser_core final : browser_backend, std::enable_shared_from_this<browser_core> {
  browser_core(rt::scheduler& s, std::optional<rt::restart_policy> p, launch_options relaunch_with)
      : sched(s), registry(std::make_shared<page_registry>()), policy(std::move(p)), relaunch(std::move(relaunch_with)) {}
  ~browser_core() override { close(); }
  browser_core(const browser_core&) = delete;
  browser_core& operator=(const browser_core&) = delete;

  // --- browser_backend ---
  browser_product product() const noexcept override { return browser_product::chromium; }
  rt::task<rt::result<browser_version>> version(rt::deadline d) override;
  rt::task<rt::result<std::vector<target_info>>> targets(rt::deadline d) override;
  rt::task<rt::result<page>> new_page(std::string url, std::string context, rt::deadline d) override;
  rt::task<rt::result<void>> close_page(page p, rt::deadline d) override;
  rt::task<rt::result<std::string>> create_context(rt::deadline d) override;
  rt::task<rt::result<void>> dispose_context(std::string context_id, rt::deadline d) override;
  std::vector<page> pages() override;
  session::rdp_connection rdp() const override { return {}; }
  client::firefox_process* firefox_process() const override { return nullptr; }
  browser_state state() const noexcept override { return state_.load(); }
  std::uint64_t restarts() const noexcept override { return restart_count.load(); }
  rt::task<rt::result<void>> wait_running(rt::deadline d) override;
  void close() override;

  session::cdp_connection connection() const override {
    std::lock_guard lk(mu);
    return conn_;
  }
  browser_process* process() const override {
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
  std::atomic<browser_state> state_{browser_state::running};
  /// A tick at every change of state_, for wait_running (capacity 1, drop_oldest: "look again").
  rt::stream<char> state_changed{sched};
  void set_state(browser_state s) {
    state_.store(s);
    (void)state_changed.try_publish(0);
  }
  std::atomic<std::uint64_t> restart_count{0};

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


/// Opens a page target (Target.createTarget in `context`): its target and session ids.
rt::task<rt::result<std::pair<std::string, std::string>>> open_target(session::cdp_session b, std::string context, rt::deadline d);
/// Closes a target, ignoring the answer (cleanup after a failed open).
rt::task<void> close_target(session::cdp_session b, std::string target_id);
/// Attaches `pc` to its target's session and starts its page actor.
rt::task<rt::result<void>> bind_page(std::shared_ptr<browser_core> bc, std::shared_ptr<page_core> pc, session::cdp_connection conn,
                                     std::string target_id, std::string session_id, rt::deadline d);
/// Makes `conn` (and `proc`) the browser's, with a new browser actor (see chromium_browser.cpp).
rt::task<rt::result<void>> bring_up(std::shared_ptr<browser_core> bc, session::cdp_connection conn,
                                    std::unique_ptr<browser_process> proc, rt::deadline d);
/// Closes `proc` without blocking a worker (chromium_restart.cpp).
rt::task<void> close_off_worker(std::shared_ptr<browser_core> bc, browser_process* proc);

}  // namespace janus::client::detail
