#include "browser_process_util.hpp"

#include <janus/rt/executor.hpp>

#include <asio/post.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>


namespace janus::client::detail {

// See finish_pending_at_exit. Not static and not in an unnamed namespace on purpose.
std::vector<std::shared_ptr<process_state>>* finished_at_exit = nullptr;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Removes what it can of the tree at `p` (not following symlinks, depth first) until `until`.
// True when it went through the whole tree (whatever it could not remove stays), false when the
// time ran out first: the caller goes on later, so that one call never holds a worker for long
// (a profile of a few hundred files took 150-300 ms to remove in one go on a loaded machine).
bool remove_tree_within(const fs::path& p, std::chrono::steady_clock::time_point until) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(p, ec);
  if (ec || !fs::exists(st)) return true;
  if (fs::is_directory(st)) {
    // Entries already returned may be unlinked while the directory is read.
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
      if (!remove_tree_within(it->path(), until)) return false;
      if (std::chrono::steady_clock::now() >= until) return false;
    }
  }
  fs::remove(p, ec);
  return true;
}

// How long one removal step may take before it yields to the worker's other work.
constexpr auto remove_slice = std::chrono::milliseconds(5);
constexpr auto remove_gap = std::chrono::milliseconds(2);

constexpr std::size_t stderr_ring_lines = 20;
// How long the exit probe waits for an exit that a transport's EOF announced: the kernel closes a
// dying process's fds a moment before it becomes waitable.
constexpr int exit_probe_ms = 250;

// The terminations under way, finished by an atexit handler if the process exits first: the
// scheduler that drives them may still be running, or be a static destroyed after that handler.
// Leaked on purpose, like what it finishes (see finish_pending_at_exit).
struct pending_terminations {
  std::mutex mu;
  std::vector<std::weak_ptr<process_state>> list;
};

pending_terminations& pending() {
  static auto* p = new pending_terminations;
  return *p;
}

void finish_pending_at_exit();

void add_pending(const std::shared_ptr<process_state>& s) {
  static std::once_flag registered;
  std::call_once(registered, [] { std::atexit(finish_pending_at_exit); });
  std::lock_guard lk(pending().mu);
  auto& l = pending().list;
  std::erase_if(l, [](const std::weak_ptr<process_state>& w) { return w.expired(); });
  l.push_back(s);
}

void remove_pending(const process_state* s) {
  std::lock_guard lk(pending().mu);
  std::erase_if(pending().list, [s](const std::weak_ptr<process_state>& w) {
    auto p = w.lock();
    return !p || p.get() == s;
  });
}

void finish_pending_at_exit() {
  // Kept alive past this handler: destroying one here could reach an io_context that static
  // destruction has torn down already. The process is ending; the memory goes with it, held by
  // finished_at_exit (external linkage, so the store is not optimized away as a write nobody
  // reads) so that a leak checker sees it reachable. Nothing is allocated when nothing is pending.
  std::vector<std::shared_ptr<process_state>> live;
  {
    std::lock_guard lk(pending().mu);
    for (auto& w : pending().list)
      if (auto p = w.lock()) live.push_back(std::move(p));
    pending().list.clear();
  }
  if (live.empty()) return;
  for (auto& p : live) p->terminate();
  finished_at_exit = new std::vector<std::shared_ptr<process_state>>(std::move(live));
}

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
    : sched(s),
      strand(asio::make_strand(s.io())),
      pid(p),
      profile_dir(std::move(profile)),
      browser_name(std::move(name)),
      changes(s) {
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
    if (!ec) {
      self->read_stderr();
      return;
    }
    {
      std::lock_guard lk(self->mu);
      self->stderr_ended = true;
    }
    self->tick();
  });
}

void process_state::on_stderr(std::string_view data) {
  std::unique_lock lk(mu);
  const bool had_mark = !marked.empty();
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
  const bool marked_now = !had_mark && !marked.empty();
  lk.unlock();
  if (marked_now) tick();
}

void process_state::watch_directory(const std::string& dir) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return;
  if (::inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
    ::close(fd);
    return;
  }
  // Events that come before the first read wait in the descriptor: none is missed.
  asio::post(strand, [self = shared_from_this(), fd] {
    if (self->io_stopped) {
      ::close(fd);
      return;
    }
    self->dir_watch = std::make_unique<asio::posix::stream_descriptor>(self->strand, fd);
    self->read_dir_watch();
  });
}

void process_state::read_dir_watch() {
  dir_watch->async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    // The names do not matter: the waiter checks what it waits for.
    alignas(inotify_event) std::array<char, 4096> buf;
    while (::read(self->dir_watch->native_handle(), buf.data(), buf.size()) > 0) {
    }
    self->tick();
    self->read_dir_watch();
  });
}

bool process_state::stderr_closed() const {
  std::lock_guard lk(mu);
  return stderr_ended;
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
// reused when the signal is sent. Used once the leader has exited: waitpid returns at once.
void process_state::reap_once() {
  std::lock_guard lk(mu);
  if (reaped) return;
  ::kill(-pid, SIGKILL);
  // No longer signalled through the table before the reap frees the pid (the group id) for reuse;
  // the profile stays listed until the termination has removed it.
  disown_launched_group(registry_slot);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  exit_status = status;
  reaped = true;
}

// reap_once without waiting: false while the leader is not yet waitable.
bool process_state::try_reap() {
  std::lock_guard lk(mu);
  if (reaped) return true;
  ::kill(-pid, SIGKILL);
  disown_launched_group(registry_slot);
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == 0) return false;
  exit_status = r == pid ? status : 0;  // r < 0 (ECHILD): nothing left to reap
  reaped = true;
  return true;
}

void process_state::watch_exit() {
  if (exit_watch) {
    exit_watch->async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](std::error_code ec) {
      if (ec != asio::error::operation_aborted) self->exit_noticed();
    });
  } else {
    exit_poll->expires_after(100ms);
    exit_poll->async_wait([self = shared_from_this()](std::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      if (self->has_exited())
        self->exit_noticed();
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

// On strand. A termination waiting out SIGTERM's grace goes on at once rather than at the end of
// the grace: the exit is what it waits for.
void process_state::exit_noticed() {
  on_exit();
  tick();
  bool waiting;
  {
    std::lock_guard lk(term_mu);
    waiting = phase == term_phase::wait_exit;
  }
  if (waiting && term_timer) {
    term_timer->cancel();
    step_termination();
  }
}

void process_state::recheck_exit() {
  if (has_exited()) on_exit();
}

process_state::~process_state() {
  // A termination whose timer went with a destroyed io_context (the scheduler ended first): finish
  // it here, on the thread destroying the scheduler, not a worker. The io objects go with this.
  finish_termination();
  remove_pending(this);
}

bool process_state::begin_termination(std::chrono::milliseconds grace) {
  std::lock_guard lk(term_mu);
  if (phase != term_phase::idle) return false;
  term_grace = grace;
  phase_until = steady::now() + grace;
  // Not reaped, so the group id is still this group's.
  if (!has_exited()) ::kill(-pid, SIGTERM);
  phase = term_phase::wait_exit;
  term_timer = std::make_unique<asio::steady_timer>(strand);
  return true;
}

std::optional<process_state::steady::time_point> process_state::advance_termination(steady::time_point now) {
  for (;;) {
    switch (phase) {
      case term_phase::idle:
      case term_phase::done:
        return std::nullopt;
      case term_phase::wait_exit:
        // SIGTERM's grace, cut short by the exit: exit_noticed() steps on at once (or, without a
        // pidfd, the 100 ms exit poll does); finish_termination() waits on the pidfd.
        if (!has_exited() && now < phase_until) return phase_until;
        phase = term_phase::reap;
        phase_until = now + 5s;  // a SIGKILLed process dies at once; this bounds a kernel that stalls
        continue;
      case term_phase::reap:
        if (!try_reap() && now < phase_until) return now + 5ms;
        phase = term_phase::group;
        phase_until = now + std::max<std::chrono::milliseconds>(term_grace, 2000ms);
        continue;
      case term_phase::group:
        // The helpers got their SIGKILL with the leader's, but die a moment later; wait until none
        // of the group runs so that nothing is left behind (zombies left for init to reap run
        // nothing and hold nothing). The group id cannot be reused while any member exists,
        // zombies included, so signalling it again stays safe.
        // Zombies are not counted: a member that died stays in its group as a zombie until init
        // reaps it, which took 1.3-1.6 s here (strace, 2026-12-07) after Chromium's processes
        // had all exited.
        if (::kill(-pid, SIGKILL) == 0 && group_has_live_member(pid) && now < phase_until) return now + 10ms;
        phase = term_phase::remove;
        remove_tries = 0;
        return steady::now() + remove_gap;  // the scan took its time: the removal in a step of its own
      case term_phase::remove: {
        // In slices of remove_slice, a remove_gap apart: a timer already due would let the
        // worker's io round run slice after slice before the scheduler's own timers (measured: a
        // 100 ms timer fired after 230 ms, when the profile was gone).
        if (!profile_dir.empty() && !remove_tree_within(profile_dir, steady::now() + remove_slice))
          return steady::now() + remove_gap;
        // A process that left the group (Firefox's) may still write into the profile for a
        // moment after its parent died, so one pass can leave it behind: try again for up to a
        // second.
        std::error_code ignored;
        if (!profile_dir.empty() && fs::exists(profile_dir, ignored) && remove_tries++ < 20) return now + 50ms;
        {
          std::lock_guard lk(mu);
          unregister_launched(std::exchange(registry_slot, -1));
        }
        phase = term_phase::done;
        term_done.store(true, std::memory_order_release);
        tick();
        return std::nullopt;
      }
    }
  }
}

void process_state::step_termination() {
  std::optional<steady::time_point> next;
  {
    std::lock_guard lk(term_mu);
    next = advance_termination(steady::now());
  }
  if (!next) {
    stop_io_handlers();
    remove_pending(this);
    return;
  }
  term_timer->expires_at(*next);
  term_timer->async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec != asio::error::operation_aborted) self->step_termination();
  });
}

void process_state::finish_termination() {
  for (;;) {
    std::optional<steady::time_point> next;
    bool waiting_exit;
    {
      std::lock_guard lk(term_mu);
      next = advance_termination(steady::now());
      waiting_exit = phase == term_phase::wait_exit;
    }
    if (!next) return;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - steady::now());
    if (waiting_exit && pidfd >= 0)
      (void)wait_exited(static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count())));
    else
      std::this_thread::sleep_until(*next);  // the group's and the profile's steps: nothing to wait on
  }
}

void process_state::stop_io_handlers() {
  std::error_code e;
  io_stopped = true;
  if (exit_watch) exit_watch->close(e);
  if (exit_poll) exit_poll->cancel();
  if (err_pipe) err_pipe->close(e);
  if (dir_watch) dir_watch->close(e);
}

void process_state::terminate_async(std::chrono::milliseconds grace) {
  if (!begin_termination(grace)) return;
  add_pending(shared_from_this());
  asio::post(strand, [self = shared_from_this()] { self->step_termination(); });
}

void process_state::terminate(std::chrono::milliseconds grace) {
  terminate_async(grace);
  finish_termination();
  remove_pending(this);
  // The step posted or pending on the strand finds the termination done and stops the handlers.
}

void process_state::close_process(std::chrono::milliseconds grace) {
  if (rt::current_executor() != nullptr || sched.current_worker() >= 0)
    terminate_async(grace);
  else
    terminate(grace);
}

rt::task<bool> wait_change(std::shared_ptr<process_state> p, std::function<bool()> done, rt::deadline d) {
  rt::subscription<char> ticks = p->changes.subscribe(1, rt::overflow::drop_oldest);
  while (!done()) {
    rt::result<char> t = co_await ticks.next(d);
    if (!t) break;  // the deadline, or the state going away
  }
  co_return done();
}

}  // namespace janus::client::detail
