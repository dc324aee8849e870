// What the browser launchers share about the process they start: finding the binary, a temporary
// profile, spawning into its own process group, reading its stderr, noticing its exit through a
// pidfd, and ending it (group kill, reap, profile removal). Internal to client/.
#pragma once

#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace janus::client::detail {

/// The browser binary: `explicit_path` (named `option` in errors) if set, else $`env_var`, else
/// the first of `names` found on PATH. errc::browser_not_found lists what was tried.
rt::result<std::string> find_browser(const std::string& explicit_path, std::string_view option, const char* env_var,
                                     std::initializer_list<const char*> names);

/// A fresh private (0700) directory under the temp dir, named `<stem>-XXXXXX`, holding an owner
/// file (this process's pid and start time). Reclaims stale profiles first (profile_dirs.cpp).
rt::result<std::string> make_temp_dir(std::string_view stem);

/// Removes the profile directories in the temp dir that Janus made for an owner that is gone.
void reclaim_stale_profiles();

/// Field 22 of /proc/<pid>/stat (clock ticks since boot); nullopt when unreadable.
std::optional<unsigned long long> process_start_time(long pid);

/// Writes `content` to a new or truncated 0600 file, opened close-on-exec. False on any error.
bool write_file(const std::string& path, std::string_view content);

/// The child's standard descriptors and extra ones to dup onto fds 3, 4, … (may be empty).
///
/// @par Thread Safety
/// A plain value.
struct spawn_fds {
  int stderr_write = -1;
  std::vector<int> extra;  // extra[i] becomes fd 3 + i
  /// Fork on the calling thread rather than on the spawner thread: for a scheduler with no
  /// workers, whose host promises a frame loop no thread of Janus's. PR_SET_PDEATHSIG then
  /// follows the host's polling thread (see browser_spawn.cpp).
  bool on_calling_thread = false;
};

/// Spawns `argv` (argv[0] is the path) in a new process group with default signal dispositions,
/// stdin/stdout on /dev/null, no other descriptor than 0-2 and `fds.extra`, SIGKILL on this
/// process's death, and `env` as its environment (empty: this process's). Fails with
/// errc::launch_failed. See browser_spawn.cpp.
rt::result<pid_t> spawn_in_group(const std::vector<std::string>& argv, const spawn_fds& fds,
                                 const std::vector<std::string>& env = {});

/// The table behind terminate_launched_browsers() (launched_registry.cpp): a slot index, or -1
/// when the table is full (the browser then is not reached by it, but still dies with this process).
int register_launched(pid_t group, const std::string& profile);
/// The group is about to be reaped (its id may then be reused): no longer signal it, but keep the
/// profile listed for close_launched_browsers() until unregister_launched().
void disown_launched_group(int index);
/// Whether a process other than a zombie is in group `pg` (scans /proc with plain system calls:
/// no allocation, ~1 ms for a hundred processes).
bool group_has_live_member(pid_t pg);
void unregister_launched(int index);

/// A close-on-exec pipe with both ends at fd 10 or above, so that the child's dup2 onto 2, 3 and 4
/// cannot overwrite an end it still has to duplicate.
bool high_pipe(int& r, int& w);
void close_fd(int& fd);

/// The running process: its stderr tail, its exit, its end. Shared by the launcher's handle, the
/// launch coroutine and the io handlers (stderr reader, exit watcher, termination steps), which
/// keep it alive until the termination has finished and shut their descriptors.
///
/// Ending it (issue 15) is a sequence of non-blocking steps (advance_termination) driven either by
/// a timer on `strand` (terminate_async: nothing waits on a worker, and a scheduler with no
/// workers gets no thread) or by a thread that may block (terminate, finish_termination). A
/// termination still under way when the io_context is destroyed (its timer's handler, which held
/// this object, goes with it) is finished by the destructor, on the thread destroying the
/// scheduler; one under way when the process exits, by an atexit handler: nothing is left behind.
///
/// @par Thread Safety
/// All members may be called from any thread; the io handlers run on `strand`.
struct process_state : std::enable_shared_from_this<process_state> {
  process_state(rt::scheduler& s, pid_t p, std::string profile, std::string browser_name);
  ~process_state();
  process_state(const process_state&) = delete;
  process_state& operator=(const process_state&) = delete;

  /// Starts reading stderr (`err_read` is owned from now on) and watching the exit.
  void start(int err_read);

  rt::scheduler& sched;
  asio::strand<asio::io_context::executor_type> strand;  // the handlers and their shutdown
  const pid_t pid;
  const std::string profile_dir;
  const std::string browser_name;  // "Chromium", "Firefox": for messages
  /// A stderr line containing this marks what follows it on the line (Chromium's "DevTools
  /// listening on "); empty: nothing is looked for. Set before start().
  std::string stderr_marker;
  int registry_slot = -1;  // in the launched-browsers table until reaped
  int pidfd = -1;  // owned by exit_watch when set; read by the exit probe
  std::unique_ptr<asio::posix::stream_descriptor> exit_watch;
  std::unique_ptr<asio::steady_timer> exit_poll;  // when pidfd_open is unavailable
  std::unique_ptr<asio::posix::stream_descriptor> err_pipe;
  std::unique_ptr<asio::posix::stream_descriptor> dir_watch;  // inotify, see watch_directory
  bool io_stopped = false;  // on strand
  std::array<char, 4096> err_buf{};

  mutable std::mutex mu;  // everything below
  std::deque<std::string> lines;
  std::string partial;
  std::string marked;  // what followed stderr_marker
  bool stderr_ended = false;  // the pipe's last writer closed it (or reading failed)
  bool reaped = false;
  int exit_status = 0;
  /// Told (on the io thread) why the browser exited when nobody was closing it.
  std::function<void(std::string)> on_unexpected_exit;
  std::atomic<bool> closed{false};

  /// Ticks when something a waiter may be waiting for happened: the marked text arrived, stderr
  /// ended, the exit was noticed, the termination finished. A waiter subscribes first, then
  /// checks, then waits for the next tick (wait_change), so no change slips between the two.
  rt::stream<char> changes;

  std::string stderr_tail() const;
  bool stderr_closed() const;
  std::vector<std::string> last_lines() const;
  std::string marked_text() const;

  /// Exited (possibly not yet reaped)? Does not consume the exit status.
  bool has_exited() const;
  /// Waits up to `ms` for the exit without consuming it.
  bool wait_exited(int ms) const;
  /// An exit probe for a connection: true when the process exited within a short wait.
  std::function<bool()> exit_probe();
  /// Starts ending the process and returns at once: SIGTERM to the group now; then, on timers on
  /// `strand`, SIGKILL after `grace` (at once if the leader exited), reaping the leader, waiting
  /// (up to max(grace, 2 s)) for the rest of its group to be gone, removing the profile (again
  /// while something outside the group still writes into it, up to 1 s) and stopping the io
  /// handlers. Safe to call more than once and concurrently with terminate().
  void terminate_async(std::chrono::milliseconds grace);
  /// The same, done on the calling thread, which blocks until it is (up to grace + ~4 s); finishes
  /// a termination already under way.
  void terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));
  /// What the handles' close() does: from inside the runtime (a scheduler's worker or poll(), a
  /// coroutine, an actor, an io handler) terminate_async, so that nothing waits there; from any
  /// other thread terminate, so that the process is gone when close() returns, as before.
  void close_process(std::chrono::milliseconds grace);
  /// The termination has finished: process reaped, group gone (or waited for), profile removed.
  bool terminated() const { return term_done.load(std::memory_order_acquire); }
  /// Ticks `changes` whenever an entry is created in (or moved into) `dir`, until the io
  /// handlers stop (inotify; without it, nothing ticks and waiters rely on their deadline).
  void watch_directory(const std::string& dir);
  /// After the handle learnt how to report an exit: report one noticed before.
  void recheck_exit();

 private:
  enum class term_phase { idle, wait_exit, reap, group, remove, done };
  using steady = std::chrono::steady_clock;

  void read_stderr();
  void read_dir_watch();  // on strand
  void on_stderr(std::string_view data);
  void reap_once();
  bool try_reap();
  void watch_exit();
  void on_exit();
  void exit_noticed();  // on strand
  /// Starts the termination if it has not started (SIGTERM, first phase). True when it did.
  bool begin_termination(std::chrono::milliseconds grace);
  /// Does what is due now without waiting; the time of the next step, or nullopt when finished.
  /// Called with term_mu held.
  std::optional<steady::time_point> advance_termination(steady::time_point now);
  void step_termination();  // on strand
  /// Drives the termination to its end on this thread, sleeping between the steps.
  void finish_termination();
  void stop_io_handlers();  // on strand
  void tick() { (void)changes.try_publish('.'); }

  std::mutex term_mu;  // the termination's fields below; never held while sleeping
  term_phase phase = term_phase::idle;
  std::chrono::milliseconds term_grace{1000};
  steady::time_point phase_until{};  // when the current phase stops waiting
  int remove_tries = 0;
  std::unique_ptr<asio::steady_timer> term_timer;  // used on strand only
  std::atomic<bool> term_done{false};
};

/// Waits until `done()` holds (checked at once and after each of `p`'s changes) or `d` passes;
/// returns done() then. Never sleeps to poll: every check follows a tick.
rt::task<bool> wait_change(std::shared_ptr<process_state> p, std::function<bool()> done, rt::deadline d);

}  // namespace janus::client::detail
