// Starting a headless Firefox with its debugger server, and connecting to one.
//
//   auto ff = co_await launch_firefox(sched);                       // fresh profile, free port
//   auto tabs = co_await (*ff)->connection().request_json("root", "listTabs");
//   (*ff)->close();                                                 // or let the destructor do it
//
// Each launch gets its own temporary profile (a user.js that enables the debugger server without
// a prompt and keeps Firefox quiet and offline: no updates, telemetry, first-run pages or
// background services) and its own process group, so that closing ends the content processes too
// and leaves nothing on disk. The debugger server listens on a Unix domain socket inside the
// profile directory (mode 0700), never on TCP: only this user can connect, and Firefox opens no
// port (firefox_process::socket_path(); a second client uses rdp_connection::connect_unix or
// browser::connect("rdp://unix:<path>")). A loopback TCP port is used only when the caller asks
// for one (firefox_launch_options::port). The exit is watched through a pidfd:
// when Firefox dies on its own, every pending request fails at once with errc::browser_exited.
#pragma once

#include <janus/session/rdp_connection.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace janus::client {

/// @par Thread Safety
/// A plain value.
struct firefox_launch_options {
  /// Explicit path; else $JANUS_FIREFOX, else firefox-esr, firefox on PATH.
  std::string executable;
  std::vector<std::string> extra_args;
  /// More user.js prefs, written after Janus's own (so they win): name and JS literal value,
  /// e.g. {"dom.disable_open_during_load", "false"} or {"intl.accept_languages", "\"en\""}.
  std::vector<std::pair<std::string, std::string>> prefs;
  /// From spawning until the debugger server's greeting has been read (Firefox takes seconds).
  std::chrono::milliseconds launch_timeout{30000};
  /// 0 (the default): the debugger server listens on a Unix domain socket in the private profile
  /// directory and Firefox opens no TCP port. Otherwise the loopback TCP port it listens on, which
  /// every local user can connect to: only for a client that cannot use the socket.
  std::uint16_t port = 0;
  /// Unused since the debugger server moved to a private socket (no port is picked any more, so
  /// none can be taken); kept so that code setting it still compiles.
  int port_attempts = 3;
  /// Grace between SIGTERM and SIGKILL when closing.
  std::chrono::milliseconds close_grace{1000};
  session::rdp_connection_options connection;
};

namespace detail {
struct process_state;
}

class firefox_process;

/// Finds, starts and connects to a headless Firefox. Fails with errc::browser_not_found (the
/// message lists the places tried), errc::launch_failed (spawn failed, Firefox exited early, or
/// its debugger server could not be reached), or errc::timeout (no greeting within
/// launch_timeout); the message ends with Firefox's last stderr lines.
rt::task<rt::result<std::unique_ptr<firefox_process>>> launch_firefox(rt::scheduler& sched,
                                                                     firefox_launch_options options);
rt::task<rt::result<std::unique_ptr<firefox_process>>> launch_firefox(rt::scheduler& sched);

/// Connects to the debugger server of a Firefox started elsewhere (`--start-debugger-server
/// PORT`, with devtools.debugger.remote-enabled and no connection prompt); for one on a Unix
/// socket see rdp_connection::connect_unix.
rt::task<rt::result<session::rdp_connection>> connect_firefox(rt::scheduler& sched, std::string host, std::uint16_t port,
                                                     session::rdp_connection_options options);
rt::task<rt::result<session::rdp_connection>> connect_firefox(rt::scheduler& sched, std::string host, std::uint16_t port);

/// A running Firefox: the connection plus the process behind it.
///
/// @par Thread Safety
/// All members may be called from any thread; close() may race with itself and with the exit
/// watcher. Must be destroyed before its scheduler (the exit watcher lives on its io_context).
class firefox_process {
 public:
  firefox_process(const firefox_process&) = delete;
  firefox_process& operator=(const firefox_process&) = delete;
  ~firefox_process();

  const session::rdp_connection& connection() const noexcept { return connection_; }
  int pid() const noexcept;
  /// The debugger server's TCP port: 0 unless firefox_launch_options::port asked for one.
  std::uint16_t port() const noexcept { return port_; }
  /// The debugger server's Unix domain socket (inside profile_dir()); empty in TCP mode.
  const std::string& socket_path() const noexcept { return socket_path_; }
  const std::string& profile_dir() const noexcept;
  /// False once the process has exited (noticed by the watcher) or was closed.
  bool running() const;
  /// The last lines Firefox wrote to stderr (at most ~20), oldest first.
  std::vector<std::string> last_stderr_lines() const;

  /// Closes the connection, ends the process group (SIGTERM, then SIGKILL after close_grace),
  /// reaps Firefox and removes the temporary profile. Idempotent; the destructor calls it. From
  /// inside the runtime it only starts that and returns at once; from any other thread it returns
  /// once done: see browser_process::close().
  void close();
  /// True once close() has ended the process and removed the profile.
  bool close_finished() const;
  /// Waits until close_finished() (woken by the ending's last step, not by polling) or `d`
  /// passes; returns close_finished(). For a coroutine that started close() from inside the runtime.
  rt::task<bool> wait_close_finished(rt::deadline d) const;

 private:
  friend rt::task<rt::result<std::unique_ptr<firefox_process>>> launch_firefox(rt::scheduler&, firefox_launch_options);
  // launch_firefox is a plain function handing its options to this coroutine (see
  // rdp_connection::connect_core for the GCC 12 bug this avoids).
  static rt::task<rt::result<std::unique_ptr<firefox_process>>> launch(rt::scheduler& sched,
                                                                       std::shared_ptr<const firefox_launch_options> options);
  firefox_process(std::shared_ptr<detail::process_state> state, session::rdp_connection connection, std::uint16_t port,
                  std::string socket_path, std::chrono::milliseconds grace);

  std::shared_ptr<detail::process_state> state_;
  session::rdp_connection connection_;
  std::uint16_t port_ = 0;
  std::string socket_path_;
  std::chrono::milliseconds grace_;
};

}  // namespace janus::client
