// Performance: the page's runtime metrics (Performance.getMetrics: documents, nodes, layout
// counts and durations, JS heap sizes, task durations), with the last snapshot kept.
//
//   auto m = co_await page.performance().metrics();
//   double heap = m->value("JSHeapUsedSize");
//
// @par Thread Safety
// `performance` is a handle: copies may be used from any threads at once. Its state lives in an
// actor; readers get copies through asks.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace janus::domains {

struct performance_metrics {
  /// In the order the browser lists them.
  std::vector<std::pair<std::string, double>> values;
  /// When they were read (this process's steady clock).
  std::chrono::steady_clock::time_point taken{};

  /// The metric named `name`, if the browser reported it.
  std::optional<double> value(std::string_view name) const {
    for (const auto& [k, v] : values)
      if (k == name) return v;
    return std::nullopt;
  }
};

struct performance_options {
  std::chrono::milliseconds command_timeout{10000};
};

/// The calls of `performance`, over one protocol (see backend.hpp). Calls not overridden
/// fail with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class performance_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<performance_metrics>> metrics(rt::deadline d);
  virtual rt::task<rt::result<std::optional<performance_metrics>>> last(rt::deadline d);
};

class performance {
 public:
  performance() = default;
  static performance start(rt::scheduler& sched, session::cdp_session session, performance_options options = {});
  /// A handle whose calls go to `backend` (another protocol than CDP; see backend.hpp).
  static performance over(std::shared_ptr<performance_backend> backend);
  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Enables the domain on first use, then reads the metrics now.
  rt::task<rt::result<performance_metrics>> metrics(rt::deadline d) const;
  rt::task<rt::result<performance_metrics>> metrics() const { return metrics(std::chrono::seconds(10)); }
  /// The last snapshot metrics() read, without asking the browser.
  rt::task<rt::result<std::optional<performance_metrics>>> last(rt::deadline d) const;
  rt::task<rt::result<std::optional<performance_metrics>>> last() const { return last(std::chrono::seconds(10)); }

  void stop() const;

 private:
  std::shared_ptr<performance_backend> backend_;
};

}  // namespace janus::domains
