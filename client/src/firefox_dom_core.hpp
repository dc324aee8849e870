// The Firefox DOM mirror's state (firefox_dom.cpp) and how an answer of the page agent
// (firefox_dom_agent.cpp) is applied to it (firefox_dom_apply.cpp). Not installed.
#pragma once

#include "firefox_dom.hpp"
#include "firefox_tab.hpp"
#include <janus/domains/dom.hpp>
#include <janus/rt/actor.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/time.hpp>
#include <janus/session/rdp_connection.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace janus::client {

namespace detail {

class firefox_dom_actor;

/// The mirror and the worker's bookkeeping.
///
/// @par Thread Safety
/// The constants (sched, tab, conn, actor, changed) are set before the mirror is handed out and
/// usable from any thread. Everything else belongs to the mirror's actor (firefox_dom_actor):
/// only its worker and the visits callers send it touch it, one at a time, so it needs no lock.
struct firefox_dom_core {
  rt::scheduler* sched = nullptr;
  firefox_tab tab;
  session::rdp_connection conn;
  rt::actor_ref<firefox_dom_actor> actor;
  // Node ids are the page agent's (firefox_dom_agent.cpp), per generation.
  std::unordered_map<std::int64_t, domains::dom_node> nodes;
  std::int64_t document = 0;
  std::uint64_t generation = 0;
  std::string target;     // the document target mirrored (or being mirrored)
  std::string inspector;  // its inspector, for node_actor's walker
  std::string walker;     // asked for on the first node_actor of this generation
  bool ready = false;
  bool busy = false;  // a pull is under way or being applied
  std::optional<rt::error> failure;  // mirroring `target` failed
  bool ended = false;                // the worker stopped (the tab or the connection ended)
  rt::time_point last_change{};
  domains::dom_stats stats;
  // "Look again", for the callers' waits (with_mirror, await_node, run_settle): a tick after the
  // worker changed the mirror (a document built, a pull applied, a failure). A waiter subscribes
  // before its first look; capacity 1, drop_oldest, as a tick carries nothing.
  std::unique_ptr<rt::stream<char>> changed;
  void notify_changed() {
    if (changed) (void)changed->try_publish(0);
  }
};

/// The mirror's actor: its worker (the `run` handler) follows the tab's document and applies the
/// page agent's answers; callers' reads are visits. Actors are reentrant at suspension points, so
/// visits run while the worker waits for the page.
///
/// @par Thread Safety
/// Used through its actor_ref from any thread.
class firefox_dom_actor : public rt::actor<firefox_dom_actor> {
 public:
  struct run {};
  /// Runs `fn` on the mirror, in the actor. `fn` must own what it refers to: an ask that times
  /// out leaves the visit in the mailbox, to run after its caller has gone.
  struct visit {
    std::function<void(firefox_dom_core&)> fn;
  };
  using message = std::variant<run, visit>;
  static constexpr std::size_t mailbox_capacity = 256;

  explicit firefox_dom_actor(std::shared_ptr<firefox_dom_core> c) : c_(std::move(c)) {}

  rt::task<void> handle(run);  // firefox_dom.cpp
  void handle(visit v) {
    if (c_) v.fn(*c_);
  }
  /// Stopped with the mirror's last handle: waits still running see the end at once.
  void on_stop() {
    if (!c_) return;
    c_->ended = true;
    if (!c_->failure) c_->failure = rt::error{rt::errc::cancelled, "firefox dom: the mirror was stopped"};
    c_->notify_changed();
  }

 private:
  // Null only if the mirror's last handle went before the actor's first turn (its factory holds
  // the core weakly): then it has nothing to do.
  std::shared_ptr<firefox_dom_core> c_;
};

/// Stops the mirror's actor when the last handle goes.
struct firefox_dom_owner {
  std::shared_ptr<firefox_dom_core> core;
  ~firefox_dom_owner() {
    if (core && core->actor) core->actor.stop();
  }
};

}  // namespace detail

namespace detail {

/// What applying an answer found.
struct applied_answer {
  bool ok = true;     // well-formed JSON of the expected shape
  bool whole = true;  // every child list could be placed
  std::size_t changes = 0;
  std::size_t unknown = 0;
};

/// Applies the text of a snapshot ({"n": [...]}) or of a pull ({"n", "c", "a", "v"}) to the
/// mirror; called in the mirror's actor. A snapshot sets `c.document` (the mirror was emptied first).
applied_answer apply_agent_answer(firefox_dom_core& c, const std::string& text);

}  // namespace detail

}  // namespace janus::client
