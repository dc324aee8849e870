// What the CDP far ends of `janus bench` share (Chromium here, the mock in janus-bench): one
// command on a session, and an events workload read from one subscription.
#pragma once

#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>
#include <janus/session/cdp_session.hpp>

#include <cstdint>
#include <string>

namespace janus::cli {

/// Sends `method` with `params` (a JSON object or empty) on `on` and waits for its reply (10 s).
rt::task<rt::result<void>> cdp_round_trip(session::cdp_session on, std::string_view method, std::string params);

/// Subscribes to `method` on `on`, then runs `emitter` beside a loop that takes `n` such events;
/// the seconds from subscribing to the last event. The emitter's own reply may come only after
/// every event was taken (the mock is paced by backpressure), so it runs beside the loop.
rt::task<rt::result<double>> receive_cdp_events(rt::scheduler& s, session::cdp_session on, std::string method,
                                                rt::task<rt::result<void>> emitter, std::uint64_t n);

}  // namespace janus::cli
