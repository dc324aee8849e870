// How `janus bench` times a workload (bench_command.hpp): one request at a time, K in flight, and
// the statistics it reports. Knows nothing of browsers.
#pragma once

#include "bench_command.hpp"

#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <cstdint>
#include <vector>

namespace janus::cli {

/// `n` requests of round-trip workload `w`, one after the other; each one's latency in µs goes
/// to `latencies` (cleared first).
rt::task<rt::result<void>> run_sequential(bench_target& t, std::size_t w, std::uint64_t n, std::vector<double>& latencies);

/// `n` requests of round-trip workload `w` from `inflight` workers at once; requests per second.
/// Blocks the calling thread (not a worker of `s`) until every worker ended.
rt::result<double> run_pipelined(rt::scheduler& s, bench_target& t, std::size_t w, std::uint64_t n, unsigned inflight);

double median(std::vector<double> v);
/// The p-quantile (0..1) of an ascending vector.
double percentile(const std::vector<double>& sorted, double p);

}  // namespace janus::cli
