// SIGINT, SIGTERM and SIGHUP in the `janus` command: end the browser, remove its profile, exit.
#pragma once

namespace janus::cli {

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, and so in every thread started after
/// it (call it first in main, before any thread exists), and starts a thread that sigwait()s for
/// them. On one, that thread ends every browser this process launched, waits for their process
/// groups to be gone and removes their profiles (client::close_launched_browsers, at most ~2 s),
/// prints one line on stderr and exits with 128 + the signal's number.
///
/// Why a sigwait() thread rather than a handler: the cleanup waits and removes directories, which
/// a handler may not do (not async-signal-safe), and a handler would have to hand the work to a
/// thread anyway (self-pipe). With the signals blocked everywhere, none can interrupt a system
/// call elsewhere or run code on a thread that holds a lock the cleanup needs.
void install_signal_handling();

/// Once a signal has arrived, the signal thread owns the ending (closing the browser, one line, exit
/// 128+signal): a job that fails meanwhile because its browser was closed under it must neither
/// print its own error nor exit first. Returns at once when no signal came; otherwise never.
void yield_to_signal_if_any();

}  // namespace janus::cli
