// Ending the browsers this process launched, from the host's signal-handling path.
//
// A browser launched by launch_chromium, launch_firefox or browser::launch cannot outlive the
// process that launched it: it gets SIGKILL when that process dies, however it dies, and the next
// launch removes the profile directories left behind by a host that died (see README.md, "Process
// lifecycle"). What the host still has to do on SIGINT/SIGTERM/SIGHUP, if it wants the browsers
// to end at once and their profiles removed before it exits, is one of these:
//
//   // in a thread that sigwait()s (the `janus` command does this, client/cli/signals.cpp):
//   client::close_launched_browsers();   // kill, wait for the process groups, remove profiles
//   _exit(128 + sig);
//
//   // in a signal handler: only the async-signal-safe part; profiles are reclaimed later
//   client::terminate_launched_browsers();
//
// The browser_process/firefox_process/browser objects still close their browser (gracefully) on
// close() or destruction as before; these calls are for when that path will not run.
#pragma once

namespace janus::client {

/// Sends SIGKILL to the process group of every browser this process launched and has not yet
/// reaped. Async-signal-safe: it reads a fixed lock-free table and calls kill() only, so it may be
/// called from a signal handler or after fork(). Does not wait, and removes nothing.
///
/// @par Thread Safety
/// May be called from any thread or signal handler, concurrently with launches and closes.
void terminate_launched_browsers() noexcept;

/// terminate_launched_browsers(), then waits (up to 2 s in all) until those process groups have no
/// live member left, and removes their profile directories, and those of browsers already reaped
/// whose close() (which, called inside the runtime, ends the browser in the background) has not
/// removed them yet. Not async-signal-safe: call it from a
/// normal thread (a sigwait() thread, or the main thread after a self-pipe woke it). The browser
/// objects stay valid; their close() then finds the process gone.
///
/// @par Thread Safety
/// May be called from any thread.
void close_launched_browsers() noexcept;

}  // namespace janus::client
