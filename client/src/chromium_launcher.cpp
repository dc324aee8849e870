#include <janus/client/chromium_launcher.hpp>

#include <janus/cdp/browser.hpp>
#include <janus/rt/sleep.hpp>

#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

extern char** environ;

namespace janus::client {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t stderr_ring_lines = 20;
constexpr auto term_grace = 1000ms;
// How long the exit probe waits for an exit that a transport's EOF announced: the kernel closes a
// dying process's fds a moment before it becomes waitable.
constexpr int exit_probe_ms = 250;
constexpr std::string_view listening_prefix = "DevTools listening on ";

bool is_executable(const std::string& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p); }

rt::result<std::string> find_executable(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (is_executable(explicit_path)) return explicit_path;
    return rt::error{rt::errc::browser_not_found, "tried: " + explicit_path + " (launch_options::executable)"};
  }
  std::string tried;
  if (const char* env = std::getenv("JANUS_CHROMIUM"); env && *env) {
    if (is_executable(env)) return std::string(env);
    return rt::error{rt::errc::browser_not_found, std::string("tried: ") + env + " ($JANUS_CHROMIUM)"};
  }
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::size_t start = 0;
    while (start <= path.size()) {
      const std::size_t end = std::min(path.find(':', start), path.size());
      const std::string dir = end > start ? path.substr(start, end - start) : ".";
      const std::string candidate = dir + "/" + name;
      if (is_executable(candidate)) return candidate;
      start = end + 1;
    }
    if (!tried.empty()) tried += ", ";
    tried += name;
  }
  return rt::error{rt::errc::browser_not_found,
                   "tried: $JANUS_CHROMIUM (unset), then " + tried + " on PATH (" + path + ")"};
}

/// A close-on-exec pipe with both ends at fd 10 or above, so that the child's dup2 onto 2, 3 and 4
/// cannot overwrite an end it still has to duplicate.
bool high_pipe(int& r, int& w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  r = ::fcntl(p[0], F_DUPFD_CLOEXEC, 10);
  w = ::fcntl(p[1], F_DUPFD_CLOEXEC, 10);
  ::close(p[0]);
  ::close(p[1]);
  if (r < 0 || w < 0) {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
    return false;
  }
  return true;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

namespace detail {

// Shared by the browser_process, the launch coroutine and the io handlers (stderr reader, exit
// watcher); the handlers keep it alive until close() shuts their descriptors.
struct process_state : std::enable_shared_from_this<process_state> {
  process_state(rt::scheduler& s, pid_t p, std::string profile)
      : sched(s), strand(asio::make_strand(s.io())), pid(p), profile_dir(std::move(profile)) {}

  rt::scheduler& sched;
  asio::strand<asio::io_context::executor_type> strand;  // the handlers and their shutdown
  const pid_t pid;
  const std::string profile_dir;
  int pidfd = -1;  // owned by exit_watch when set; read by the exit probe
  std::unique_ptr<asio::posix::stream_descriptor> exit_watch;
  std::unique_ptr<asio::steady_timer> exit_poll;  // when pidfd_open is unavailable
  std::unique_ptr<asio::posix::stream_descriptor> err_pipe;
  std::array<char, 4096> err_buf{};

  mutable std::mutex mu;  // everything below
  std::deque<std::string> lines;
  std::string partial;
  std::string devtools_url;
  bool reaped = false;
  int exit_status = 0;
  std::weak_ptr<connection_core> core;
  std::atomic<bool> closed{false};

  // --- stderr --------------------------------------------------------------------------------------
  void read_stderr() {
    err_pipe->async_read_some(asio::buffer(err_buf), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (n > 0) self->on_stderr(std::string_view(self->err_buf.data(), n));
      // The reader must keep draining while the browser lives, or its writes to a full pipe block.
      if (!ec) self->read_stderr();
    });
  }

  void on_stderr(std::string_view data) {
    std::lock_guard lk(mu);
    partial.append(data);
    std::size_t at;
    while ((at = partial.find('\n')) != std::string::npos) {
      std::string line = partial.substr(0, at);
      partial.erase(0, at + 1);
      if (devtools_url.empty()) {
        if (const auto p = line.find(listening_prefix); p != std::string::npos) {
          devtools_url = line.substr(p + listening_prefix.size());
          while (!devtools_url.empty() && (devtools_url.back() == '\r' || devtools_url.back() == ' ')) devtools_url.pop_back();
        }
      }
      lines.push_back(std::move(line));
      if (lines.size() > stderr_ring_lines) lines.pop_front();
    }
  }

  std::string stderr_tail() const {
    std::lock_guard lk(mu);
    std::string out;
    for (const auto& l : lines) out += "\n  " + l;
    if (!partial.empty()) out += "\n  " + partial;
    return out.empty() ? std::string(" (no stderr output)") : "; last stderr lines:" + out;
  }

  std::string url() const {
    std::lock_guard lk(mu);
    return devtools_url;
  }

  // --- exit ----------------------------------------------------------------------------------------
  /// Exited (possibly not yet reaped)? Does not consume the exit status.
  bool has_exited() const {
    {
      std::lock_guard lk(mu);
      if (reaped) return true;
    }
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
    return info.si_pid == pid;
  }

  /// Waits up to `ms` for the exit without consuming it.
  bool wait_exited(int ms) const {
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      return ::poll(&p, 1, ms) > 0 || has_exited();
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      if (has_exited()) return true;
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(5ms);
    }
  }

  /// Kills what is left of the group and reaps the browser, once. The leader is reaped only after
  /// the group kill, so its pid (the group id) cannot have been reused when the signal is sent.
  void reap_once() {
    std::lock_guard lk(mu);
    if (reaped) return;
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    exit_status = status;
    reaped = true;
  }

  void watch_exit() {
    if (exit_watch) {
      exit_watch->async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](std::error_code ec) {
        if (ec != asio::error::operation_aborted) self->on_exit();
      });
    } else {
      exit_poll->expires_after(100ms);
      exit_poll->async_wait([self = shared_from_this()](std::error_code ec) {
        if (ec == asio::error::operation_aborted) return;
        if (self->has_exited())
          self->on_exit();
        else
          self->watch_exit();
      });
    }
  }

  /// The browser exited while nobody was closing it: fail the connection as browser_exited now,
  /// rather than when each request's deadline passes.
  void on_exit() {
    if (closed.load(std::memory_order_acquire)) return;
    reap_once();
    std::shared_ptr<connection_core> c;
    std::string why;
    {
      std::lock_guard lk(mu);
      c = core.lock();
      if (WIFSIGNALED(exit_status))
        why = "the browser (pid " + std::to_string(pid) + ") was killed by signal " + std::to_string(WTERMSIG(exit_status));
      else
        why = "the browser (pid " + std::to_string(pid) + ") exited with status " + std::to_string(WEXITSTATUS(exit_status));
    }
    if (c) c->close(std::move(why), rt::errc::browser_exited);
  }

  /// Ends the process (gracefully first), removes the profile and stops the io handlers.
  void terminate() {
    bool need_kill;
    {
      std::lock_guard lk(mu);
      need_kill = !reaped;
    }
    if (need_kill && !has_exited()) {
      ::kill(-pid, SIGTERM);
      (void)wait_exited(static_cast<int>(term_grace.count()));
    }
    reap_once();
    std::error_code ignored;
    fs::remove_all(profile_dir, ignored);
    asio::post(strand, [self = shared_from_this()] {
      std::error_code e;
      if (self->exit_watch) self->exit_watch->close(e);
      if (self->exit_poll) self->exit_poll->cancel();
      if (self->err_pipe) self->err_pipe->close(e);
    });
  }
};

}  // namespace detail

// --- browser_process --------------------------------------------------------------------------------

browser_process::browser_process(std::shared_ptr<detail::process_state> state, cdp_connection connection)
    : state_(std::move(state)), connection_(std::move(connection)) {
  std::weak_ptr<detail::process_state> weak = state_;
  connection_.state_->core->set_exit_probe([weak] {
    auto s = weak.lock();
    return s && !s->closed.load(std::memory_order_acquire) && s->wait_exited(exit_probe_ms);
  });
  {
    std::lock_guard lk(state_->mu);
    state_->core = connection_.state_->core;
  }
  // An exit noticed before the core was known above did not reach the connection.
  if (state_->has_exited()) state_->on_exit();
}

browser_process::~browser_process() { close(); }

int browser_process::pid() const noexcept { return state_->pid; }

bool browser_process::running() const { return !state_->closed.load(std::memory_order_acquire) && !state_->has_exited(); }

std::vector<std::string> browser_process::last_stderr_lines() const {
  std::lock_guard lk(state_->mu);
  return {state_->lines.begin(), state_->lines.end()};
}

void browser_process::close() {
  if (state_->closed.exchange(true, std::memory_order_acq_rel)) return;
  if (connection_) connection_.close();
  state_->terminate();
}

// --- launch -----------------------------------------------------------------------------------------

rt::task<rt::result<std::unique_ptr<browser_process>>> launch_chromium(rt::scheduler& sched, launch_options options) {
  rt::result<std::string> exe = find_executable(options.executable);
  if (!exe) co_return std::move(exe).err();

  std::string profile = (fs::temp_directory_path() / "janus-chromium-XXXXXX").string();
  if (::mkdtemp(profile.data()) == nullptr)
    co_return rt::error{rt::errc::launch_failed, "mkdtemp failed: " + std::string(std::strerror(errno))};

  std::vector<std::string> argv{*exe,
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-quic",
                                "--no-first-run",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--user-data-dir=" + profile,
                                options.use_pipe ? "--remote-debugging-pipe" : "--remote-debugging-port=0"};
  for (auto& a : options.extra_args) argv.push_back(a);
  argv.emplace_back("about:blank");

  int err_r = -1, err_w = -1, to_r = -1, to_w = -1, from_r = -1, from_w = -1;
  auto fail_fds = [&](std::string what) {
    for (int* fd : {&err_r, &err_w, &to_r, &to_w, &from_r, &from_w}) close_fd(*fd);
    std::error_code ignored;
    fs::remove_all(profile, ignored);
    return rt::error{rt::errc::launch_failed, std::move(what) + ": " + std::strerror(errno)};
  };
  if (!high_pipe(err_r, err_w)) co_return fail_fds("pipe");
  if (options.use_pipe && (!high_pipe(to_r, to_w) || !high_pipe(from_r, from_w))) co_return fail_fds("pipe");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err_w, 2);
  if (options.use_pipe) {
    posix_spawn_file_actions_adddup2(&actions, to_r, 3);
    posix_spawn_file_actions_adddup2(&actions, from_w, 4);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own group, so that closing reaches the zygote, renderers and helpers it forks.
  posix_spawnattr_setpgroup(&attr, 0);
  // Default dispositions and no blocked signals, whatever this process's threads have set.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe->c_str(), &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    co_return fail_fds("posix_spawn " + *exe);
  }
  close_fd(err_w);
  close_fd(to_r);
  close_fd(from_w);

  auto state = std::make_shared<detail::process_state>(sched, pid, profile);
  state->err_pipe = std::make_unique<asio::posix::stream_descriptor>(state->strand, err_r);
  state->pidfd = pidfd_open(pid);
  if (state->pidfd >= 0)
    state->exit_watch = std::make_unique<asio::posix::stream_descriptor>(state->strand, state->pidfd);
  else
    state->exit_poll = std::make_unique<asio::steady_timer>(state->strand);
  asio::post(state->strand, [state] {
    state->read_stderr();
    state->watch_exit();
  });

  // From here on a failure must end the process: terminate() kills, reaps and removes the profile.
  auto fail = [&](rt::errc code, std::string what) -> rt::error {
    state->closed.store(true, std::memory_order_release);
    const bool exited = state->has_exited();
    state->terminate();
    return rt::error{code, (exited ? "the browser exited during launch: " : "") + what + state->stderr_tail()};
  };
  const auto deadline = rt::clock::now() + options.launch_timeout;
  auto remaining = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - rt::clock::now());
  };

  cdp_connection conn;
  if (options.use_pipe) {
    auto opened = cdp_connection::open_pipe(sched, from_r, to_w, options.connection);
    if (!opened) co_return fail(rt::errc::launch_failed, "opening the pipe failed: " + opened.err().what());
    conn = std::move(*opened);
    // The pipe is open as soon as the process exists; the first reply says the browser is up.
    auto version = co_await conn.browser().send(cdp::browser::get_version{}, call_options{.deadline = rt::deadline(remaining()), .cancel = {}});
    if (!version) {
      conn.close();
      // Let the reader catch the browser's last words before quoting them.
      co_await rt::sleep_for(sched, 50ms);
      co_return fail(version.err().code == rt::errc::timeout ? rt::errc::timeout : rt::errc::launch_failed,
                     "no reply to Browser.getVersion within " + std::to_string(options.launch_timeout.count()) +
                         " ms (" + version.err().what() + ")");
    }
  } else {
    std::string url;
    while ((url = state->url()).empty()) {
      if (state->has_exited()) {
        co_await rt::sleep_for(sched, 50ms);
        co_return fail(rt::errc::launch_failed, "no DevTools URL on stderr");
      }
      if (remaining() <= 0ms)
        co_return fail(rt::errc::timeout, "no DevTools URL on stderr within " + std::to_string(options.launch_timeout.count()) + " ms");
      co_await rt::sleep_for(sched, 10ms);
    }
    connection_options copts = options.connection;
    copts.connect_timeout = std::max(1ms, std::min(copts.connect_timeout, remaining()));
    auto connected = co_await cdp_connection::connect(sched, url, copts);
    if (!connected) co_return fail(rt::errc::launch_failed, "connecting to " + url + " failed: " + connected.err().what());
    conn = std::move(*connected);
  }
  co_return std::unique_ptr<browser_process>(new browser_process(std::move(state), std::move(conn)));
}

}  // namespace janus::client
