// Per-actor counters, readable from any thread while the actors run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace janus::rt {

struct actor_metrics {
  std::string name;
  std::size_t mailbox_depth = 0;
  std::size_t mailbox_capacity = 0;
  std::size_t mailbox_high_water = 0;
  std::uint64_t processed = 0;  // messages taken from the mailbox and handled
  std::uint64_t failures = 0;   // handlers that threw, or failed a tell with an error result
  std::uint64_t restarts = 0;
  unsigned suspended_handlers = 0;
  bool stopped = false;
  std::string last_failure;     // what() of the most recent failure, empty if none
};

}  // namespace janus::rt
