// Clock and deadlines used throughout the runtime.
#pragma once

#include <chrono>

namespace janus::rt {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = clock::duration;
using namespace std::chrono_literals;

/// An absolute point in time by which something must happen. Built from a relative timeout
/// ("30 s from now") or an absolute time point; `never()` disables the deadline.
class deadline {
 public:
  constexpr deadline() noexcept : at_(time_point::max()) {}
  template <class Rep, class Period>
  deadline(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT: implicit by design
      : at_(d >= std::chrono::duration<Rep, Period>::max() / 2
                ? time_point::max()
                : clock::now() + std::chrono::duration_cast<duration>(d)) {}
  constexpr deadline(time_point at) noexcept : at_(at) {}  // NOLINT: implicit by design

  static constexpr deadline never() noexcept { return deadline{}; }
  constexpr time_point at() const noexcept { return at_; }
  constexpr bool is_never() const noexcept { return at_ == time_point::max(); }
  bool expired() const noexcept { return !is_never() && clock::now() >= at_; }

 private:
  time_point at_;
};

}  // namespace janus::rt
