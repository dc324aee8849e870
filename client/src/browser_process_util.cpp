#include "browser_process_util.hpp"

#include <asio/post.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>


namespace janus::client::detail {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Whether a process of group `pgid` is still running. kill(-pgid, 0) is no answer: a member that
// died stays in its group as a zombie until init reaps it, which took 1.3-1.6 s here (strace,
// 2026-12-07) after Chromium's processes had all exited, and close() waited for that.
bool group_has_running_member(pid_t pgid) {
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(it->path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;  // gone since the listing
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) continue;
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%c %ld %ld", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') return true;
  }
  return false;
}

constexpr std::size_t stderr_ring_lines = 20;
// How long the exit probe waits for an exit that a transport's EOF announced: the kernel closes a
// dying process's fds a moment before it becomes waitable.
constexpr int exit_probe_ms = 250;

bool is_executable(const std::string& p) {
  std::error_code ec;
  return !p.empty() && ::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p, ec);
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

rt::result<std::string> find_browser(const std::string& explicit_path, std::string_view option, const char* env_var,
                                     std::initializer_list<const char*> names) {
  if (!explicit_path.empty()) {
    if (is_executable(explicit_path)) return explicit_path;
    return rt::error{rt::errc::browser_not_found, "tried: " + explicit_path + " (" + std::string(option) + ")"};
  }
  if (const char* env = std::getenv(env_var); env && *env) {
    if (is_executable(env)) return std::string(env);
    return rt::error{rt::errc::browser_not_found, std::string("tried: ") + env + " ($" + env_var + ")"};
  }
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::string tried;
  for (const char* name : names) {
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
                   std::string("tried: $") + env_var + " (unset), then " + tried + " on PATH (" + path + ")"};
}

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
    r = w = -1;
    return false;
  }
  return true;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// --- process_state -----------------------------------------------------------------------------------

process_state::process_state(rt::scheduler& s, pid_t p, std::string profile, std::string name)
    : sched(s), strand(asio::make_strand(s.io())), pid(p), profile_dir(std::move(profile)), browser_name(std::move(name)) {
  registry_slot = register_launched(pid, profile_dir);
}

void process_state::start(int err_read) {
  err_pipe = std::make_unique<asio::posix::stream_descriptor>(strand, err_read);
  pidfd = pidfd_open(pid);
  if (pidfd >= 0)
    exit_watch = std::make_unique<asio::posix::stream_descriptor>(strand, pidfd);
  else
    exit_poll = std::make_unique<asio::steady_timer>(strand);
  asio::post(strand, [self = shared_from_this()] {
    self->read_stderr();
    self->watch_exit();
  });
}

void process_state::read_stderr() {
  err_pipe->async_read_some(asio::buffer(err_buf), [self = shared_from_this()](std::error_code ec, std::size_t n) {
    if (n > 0) self->on_stderr(std::string_view(self->err_buf.data(), n));
    // The reader must keep draining while the browser lives, or its writes to a full pipe block.
    if (!ec) self->read_stderr();
  });
}

void process_state::on_stderr(std::string_view data) {
  std::lock_guard lk(mu);
  partial.append(data);
  std::size_t at;
  while ((at = partial.find('\n')) != std::string::npos) {
    std::string line = partial.substr(0, at);
    partial.erase(0, at + 1);
    if (marked.empty() && !stderr_marker.empty()) {
      if (const auto p = line.find(stderr_marker); p != std::string::npos) {
        marked = line.substr(p + stderr_marker.size());
        while (!marked.empty() && (marked.back() == '\r' || marked.back() == ' ')) marked.pop_back();
      }
    }
    lines.push_back(std::move(line));
    if (lines.size() > stderr_ring_lines) lines.pop_front();
  }
}

std::string process_state::stderr_tail() const {
  std::lock_guard lk(mu);
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  if (!partial.empty()) out += "\n  " + partial;
  return out.empty() ? std::string(" (no stderr output)") : "; last stderr lines:" + out;
}

std::vector<std::string> process_state::last_lines() const {
  std::lock_guard lk(mu);
  return {lines.begin(), lines.end()};
}

std::string process_state::marked_text() const {
  std::lock_guard lk(mu);
  return marked;
}

bool process_state::has_exited() const {
  {
    std::lock_guard lk(mu);
    if (reaped) return true;
  }
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
  return info.si_pid == pid;
}

bool process_state::wait_exited(int ms) const {
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

std::function<bool()> process_state::exit_probe() {
  std::weak_ptr<process_state> weak = shared_from_this();
  return [weak] {
    auto s = weak.lock();
    return s && !s->closed.load(std::memory_order_acquire) && s->wait_exited(exit_probe_ms);
  };
}

// The leader is reaped only after the group kill, so its pid (the group id) cannot have been
// reused when the signal is sent.
void process_state::reap_once() {
  std::lock_guard lk(mu);
  if (reaped) return;
  ::kill(-pid, SIGKILL);
  // Out of the table before the reap frees the pid (the group id) for reuse.
  unregister_launched(std::exchange(registry_slot, -1));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  exit_status = status;
  reaped = true;
}

void process_state::watch_exit() {
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

// The browser exited while nobody was closing it: its connection must fail as browser_exited now,
// rather than when each request's deadline passes.
void process_state::on_exit() {
  if (closed.load(std::memory_order_acquire)) return;
  reap_once();
  std::function<void(std::string)> notify;
  std::string why;
  {
    std::lock_guard lk(mu);
    notify = on_unexpected_exit;
    const std::string who = "the browser (" + browser_name + ", pid " + std::to_string(pid) + ")";
    if (WIFSIGNALED(exit_status))
      why = who + " was killed by signal " + std::to_string(WTERMSIG(exit_status));
    else
      why = who + " exited with status " + std::to_string(WEXITSTATUS(exit_status));
  }
  if (notify) notify(std::move(why));
}

void process_state::recheck_exit() {
  if (has_exited()) on_exit();
}

void process_state::terminate(std::chrono::milliseconds grace) {
  bool need_kill;
  {
    std::lock_guard lk(mu);
    need_kill = !reaped;
  }
  if (need_kill && !has_exited()) {
    ::kill(-pid, SIGTERM);
    (void)wait_exited(static_cast<int>(grace.count()));
  }
  reap_once();
  // The helpers got their SIGKILL with the leader's, but die a moment later; wait until none of
  // the group runs so that close() leaves no process behind (zombies left for init to reap run
  // nothing and hold nothing). The group id cannot be reused while any member exists, zombies
  // included, so signalling it again stays safe.
  const auto until = std::chrono::steady_clock::now() + std::max<std::chrono::milliseconds>(grace, 2000ms);
  while (::kill(-pid, SIGKILL) == 0 && group_has_running_member(pid) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  // A process that left the group (Firefox's) may still write into the profile for a moment after
  // its parent died, so one remove_all can leave it behind: try again for up to a second.
  std::error_code ignored;
  fs::remove_all(profile_dir, ignored);
  for (int i = 0; i < 20 && !profile_dir.empty() && fs::exists(profile_dir, ignored); ++i) {
    std::this_thread::sleep_for(50ms);
    fs::remove_all(profile_dir, ignored);
  }
  asio::post(strand, [self = shared_from_this()] {
    std::error_code e;
    if (self->exit_watch) self->exit_watch->close(e);
    if (self->exit_poll) self->exit_poll->cancel();
    if (self->err_pipe) self->err_pipe->close(e);
  });
}

}  // namespace janus::client::detail
