// Starting a headless Chromium and connecting to it.
//
//   auto browser = co_await launch_chromium(sched);            // pipe mode, fresh profile
//   auto version = co_await (*browser)->connection().browser().send(cdp::browser::get_version{});
//   (*browser)->close();                                       // or let the destructor do it
//
// Each launch gets its own temporary profile directory and its own process group, so that closing
// ends the renderers and helpers too and leaves nothing on disk. The browser's exit is watched on
// the scheduler's io_context through a pidfd: when it dies on its own, every pending request fails
// at once with errc::browser_exited instead of waiting for its deadline.
#pragma once

#include <janus/client/browser_product.hpp>
#include <janus/session/cdp_connection.hpp>
#include <janus/client/firefox_launcher.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/supervision.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace janus::client {

/// @par Thread Safety
/// A plain value.
struct launch_options {
  /// The browser browser::launch starts (launch_chromium ignores it). For Firefox, `executable`
  /// and `extra_args` below apply when set, `firefox` holds the rest, and the Chromium-only
  /// fields (use_pipe, connection, restart) must stay at their defaults: a restart policy is
  /// errc::unsupported, since only Chromium is supervised.
  browser_product product = browser_product::chromium;
  /// Explicit path; else $JANUS_CHROMIUM, else chromium, chromium-browser, google-chrome on PATH
  /// (for Firefox: $JANUS_FIREFOX, else firefox-esr, firefox).
  std::string executable;
  /// --remote-debugging-pipe: no TCP port is opened, so no other local user can drive the browser.
  /// false: --remote-debugging-port=0, and the URL is read from the browser's stderr.
  bool use_pipe = true;
  std::vector<std::string> extra_args;
  /// From spawning until the browser answers (pipe) or its DevTools URL is connected (port).
  std::chrono::milliseconds launch_timeout{20000};
  session::connection_options connection;
  /// Used by browser::launch (launch_chromium ignores it): with a policy, the browser is
  /// supervised — when its process dies, it is relaunched after the policy's backoff (a new
  /// process with a new profile) and the pages are re-attached; more than max_restarts within
  /// the window gives up. Without one (the default), a dead browser stays dead. See browser.hpp.
  std::optional<rt::restart_policy> restart;
  /// Firefox's own settings (prefs, debugger port, launch timeout, close grace), used when
  /// `product` is firefox.
  firefox_launch_options firefox;
};

namespace detail {
struct process_state;
}

class browser_process;

/// Finds, starts and connects to a headless Chromium. Fails with errc::browser_not_found (the
/// message lists the places tried), errc::launch_failed (spawn failed, the browser exited early,
/// or its DevTools endpoint could not be reached), or errc::timeout (not up within
/// launch_timeout); the message ends with the browser's last stderr lines.
rt::task<rt::result<std::unique_ptr<browser_process>>> launch_chromium(rt::scheduler& sched, launch_options options);
inline rt::task<rt::result<std::unique_ptr<browser_process>>> launch_chromium(rt::scheduler& sched) { return launch_chromium(sched, launch_options{}); }

/// A running browser: the connection plus the process behind it.
///
/// @par Thread Safety
/// All members may be called from any thread; close() may race with itself and with the exit
/// watcher. The object must be destroyed before its scheduler (the exit watcher lives on the
/// scheduler's io_context).
class browser_process {
 public:
  browser_process(const browser_process&) = delete;
  browser_process& operator=(const browser_process&) = delete;
  ~browser_process();

  const session::cdp_connection& connection() const noexcept { return connection_; }
  int pid() const noexcept;
  /// False once the process has exited (noticed by the watcher) or was closed.
  bool running() const;
  /// The last lines the browser wrote to stderr (at most ~20), oldest first.
  std::vector<std::string> last_stderr_lines() const;
  /// The temporary profile directory (removed by close()).
  const std::string& profile_dir() const noexcept;

  /// Calls `f` once (on the io thread, after the connection was failed with errc::browser_exited)
  /// when the browser exits while nobody is closing it; at once if it has exited already. Replaces
  /// an earlier handler. `f` must not block: it is how a supervisor learns of the crash.
  void on_exit(std::function<void(std::string why)> f);

  /// Closes the connection, ends the process group (SIGTERM, then SIGKILL after a short grace),
  /// reaps the browser and removes the temporary profile. Idempotent; the destructor calls it.
  ///
  /// Called from inside the runtime (a coroutine, an actor, an io handler, a worker or poll()),
  /// it only starts that and returns at once: the ending runs as short timer-driven steps on the
  /// scheduler (up to grace + ~3 s), so that no worker waits for it (close_finished() says when
  /// it is done). Called from any other thread, it returns once it is done, finishing an ending
  /// started before. An ending still under way when the scheduler is destroyed is finished by its
  /// destruction, and when the process exits, by an atexit handler: nothing is left behind.
  void close();
  /// True once close() has ended the process and removed the profile.
  bool close_finished() const;
  /// Waits until close_finished() (woken by the ending's last step, not by polling) or `d`
  /// passes; returns close_finished(). For a coroutine that started close() from inside the runtime.
  rt::task<bool> wait_close_finished(rt::deadline d) const;

 private:
  friend rt::task<rt::result<std::unique_ptr<browser_process>>> launch_chromium(rt::scheduler&, launch_options);
  browser_process(std::shared_ptr<detail::process_state> state, session::cdp_connection connection);

  std::shared_ptr<detail::process_state> state_;
  session::cdp_connection connection_;
};

}  // namespace janus::client
