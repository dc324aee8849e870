// The Firefox DOM mirror's state (firefox_dom.cpp) and how an answer of the page agent
// (firefox_dom_agent.cpp) is applied to it (firefox_dom_apply.cpp). Not installed.
#pragma once

#include <janus/client/firefox_dom.hpp>
#include <janus/client/firefox_tab.hpp>
#include <janus/domains/dom.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/time.hpp>
#include <janus/session/rdp_connection.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace janus::client {

namespace detail {

/// The mirror and the worker's bookkeeping.
///
/// @par Thread Safety
/// Every member but the constants and `stopping` is guarded by `mu`.
struct firefox_dom_core {
  rt::scheduler* sched = nullptr;
  firefox_tab tab;
  session::rdp_connection conn;
  std::atomic<bool> stopping{false};

  std::mutex mu;
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

/// Stops the worker when the last handle goes (the worker holds the core, not this).
struct firefox_dom_owner {
  std::shared_ptr<firefox_dom_core> core;
  ~firefox_dom_owner() {
    if (core) core->stopping.store(true, std::memory_order_release);
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
/// mirror; the caller holds `c.mu`. A snapshot sets `c.document` (the mirror was emptied first).
applied_answer apply_agent_answer(firefox_dom_core& c, const std::string& text);

}  // namespace detail

}  // namespace janus::client
