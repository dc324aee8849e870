// What a supervisor does when one of its children fails.
#pragma once

#include <chrono>

#include "janus/rt/time.hpp"

namespace janus::rt {

enum class directive : unsigned char {
  restart,   // replace the child's state by a fresh one (after a backoff); its mailbox is kept
  resume,    // ignore the failure and go on with the next message, state as it is
  stop,      // stop the child: its queued and suspended asks fail with `cancelled`
  escalate,  // the supervisor fails in turn; its own supervisor decides for all its children
};

enum class strategy : unsigned char {
  one_for_one,  // only the failed child is acted on
  one_for_all,  // a restart or stop of one child is applied to all its siblings too
};

/// Restart limits and backoff. More than `max_restarts` restarts within `window` turns the
/// restart into an escalation (or a stop, for a supervisor with no parent).
struct restart_policy {
  unsigned max_restarts = 3;
  duration window = std::chrono::seconds(10);
  duration initial_backoff = std::chrono::milliseconds(10);
  double factor = 2.0;
  duration max_backoff = std::chrono::seconds(1);
};

/// A child's entry in its supervisor: what to do when it fails, and the restart limits.
struct child_policy {
  directive on_failure = directive::restart;
  restart_policy restart{};
};

}  // namespace janus::rt
