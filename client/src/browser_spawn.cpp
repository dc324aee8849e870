// Starting a browser process so that it cannot outlive this one and inherits nothing it should not.
//
// Why fork()+exec rather than posix_spawn: the child must set PR_SET_PDEATHSIG and close every
// descriptor above its own, which posix_spawn cannot express. Everything the child touches (argv,
// envp, descriptor numbers) is prepared before fork(); between fork() and exec the child calls
// only async-signal-safe functions, as it must in a multi-threaded process.
//
// Why a dedicated spawner thread: PR_SET_PDEATHSIG fires when the *thread* that forked exits, not
// the process. A launch runs on whichever scheduler worker resumed the coroutine (or a
// supervisor's io thread), and a host may run a scheduler per job and destroy it, or the runtime
// may retire threads; a browser forked there would be SIGKILLed although its host lives on. One
// thread started on the first launch and never ended (it lives in a leaked object, so static
// destruction at exit cannot pull its mutex from under it) forks every browser, so the signal
// means what it should: the host process is gone (any exit, SIGKILL included). A watchdog helper
// per browser would survive that too, but costs a process per browser for the same guarantee.
// A scheduler with no workers is the exception: its host drives it from a frame loop and is
// promised no thread of Janus's, so its browsers are forked on the polling thread, whose end then
// ends them (spawn_fds::on_calling_thread).
#include "browser_process_util.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

extern char** environ;

namespace janus::client::detail {

namespace {

// Everything the child needs, ready before fork(): it must not allocate.
struct spawn_job {
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  int stderr_write = -1;
  const int* extra = nullptr;
  int extra_count = 0;
  int report_fd = -1;  // the write end of a close-on-exec pipe: exec's errno if it fails
  pid_t parent = 0;
  int max_fd = 1024;  // where the close loop stops when close_range is missing
  // Filled in by the spawner thread.
  pid_t pid = -1;
  int fork_errno = 0;
  bool done = false;
};

[[noreturn]] void child_fail(int report_fd, const char* step) {
  const int e = errno;
  // A fixed-size record: errno, then the step's name (best effort, async-signal-safe).
  char buf[64] = {};
  std::memcpy(buf, &e, sizeof e);
  for (std::size_t i = 0; step[i] && sizeof e + i < sizeof buf - 1; ++i) buf[sizeof e + i] = step[i];
  (void)!::write(report_fd, buf, sizeof buf);
  ::_exit(127);
}

// Runs in the child, between fork() and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(const spawn_job& j) {
  // Ask for SIGKILL when the forking thread (the spawner, which lives as long as this process)
  // dies; if the parent died before that, nobody would send it: check and leave.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(j.report_fd, "prctl");
  if (::getppid() != j.parent) ::_exit(127);
  // Its own group, so that closing (and terminate_launched_browsers) reaches every helper process.
  if (::setpgid(0, 0) != 0) child_fail(j.report_fd, "setpgid");
  // Default dispositions (an ignored signal stays ignored across exec) and nothing blocked.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) child_fail(j.report_fd, "open /dev/null");
  if (::dup2(null_fd, 0) < 0 || ::dup2(null_fd, 1) < 0) child_fail(j.report_fd, "dup2");
  if (j.stderr_write >= 0 && ::dup2(j.stderr_write, 2) < 0) child_fail(j.report_fd, "dup2");
  // The sources are at fd 10 or above (high_pipe), so no dup2 here overwrites one still needed.
  for (int i = 0; i < j.extra_count; ++i)
    if (::dup2(j.extra[i], 3 + i) < 0) child_fail(j.report_fd, "dup2");
  // Nothing else crosses exec: not the host's sockets and files, not other browsers' pipes. The
  // report pipe is close-on-exec, so it is kept open until then.
  const unsigned first = static_cast<unsigned>(3 + j.extra_count);
  bool closed = false;
#ifdef SYS_close_range
  if (j.report_fd >= static_cast<int>(first)) {
    closed = ::syscall(SYS_close_range, first, static_cast<unsigned>(j.report_fd) - 1, 0) == 0 &&
             ::syscall(SYS_close_range, static_cast<unsigned>(j.report_fd) + 1, ~0U, 0) == 0;
  }
#endif
  if (!closed) {
    for (int fd = static_cast<int>(first); fd < j.max_fd; ++fd)
      if (fd != j.report_fd) ::close(fd);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(j.path, j.argv, j.envp);
  child_fail(j.report_fd, "exec");
}

// The one thread that forks browsers (see the top of this file).
class spawner {
 public:
  spawner() { std::thread([this] { run(); }).detach(); }

  // Forks `j` on this thread, with every signal blocked until the child has reset its handlers.
  static void fork_job(spawn_job& j) {
    const pid_t pid = ::fork();
    if (pid == 0) exec_child(j);
    const int e = errno;
    if (pid > 0) ::setpgid(pid, pid);  // also here, so the group exists when fork() returns
    j.pid = pid;
    j.fork_errno = pid < 0 ? e : 0;
  }

  void spawn(spawn_job& j) {
    std::unique_lock lk(mu_);
    queue_.push_back(&j);
    cv_.notify_all();
    cv_.wait(lk, [&] { return j.done; });
  }

 private:
  void run() {
    // The host's signals are for its own threads: none is delivered here (the child unblocks all).
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return !queue_.empty(); });
      spawn_job* j = queue_.front();
      queue_.pop_front();
      lk.unlock();
      spawn_job forked = *j;
      fork_job(forked);
      lk.lock();
      j->pid = forked.pid;
      j->fork_errno = forked.fork_errno;
      j->done = true;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<spawn_job*> queue_;
};

spawner& the_spawner() {
  static spawner* s = new spawner();  // leaked on purpose: its thread runs until the process ends
  return *s;
}

}  // namespace

rt::result<pid_t> spawn_in_group(const std::vector<std::string>& argv, const spawn_fds& fds,
                                 const std::vector<std::string>& env) {
  std::vector<std::string> args_copy(argv);
  std::vector<char*> args;
  for (auto& a : args_copy) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_copy(env);
  std::vector<char*> envp;
  for (auto& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);

  int report_r = -1, report_w = -1;
  if (!high_pipe(report_r, report_w))
    return rt::error{rt::errc::launch_failed, std::string("spawning ") + argv.at(0) + ": pipe: " + std::strerror(errno)};
  rlimit lim{};
  spawn_job j;
  j.path = args_copy.at(0).c_str();
  j.argv = args.data();
  j.envp = env.empty() ? environ : envp.data();
  j.stderr_write = fds.stderr_write;
  j.extra = fds.extra.data();
  j.extra_count = static_cast<int>(fds.extra.size());
  j.report_fd = report_w;
  j.parent = ::getpid();
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    j.max_fd = static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 20));
  if (fds.on_calling_thread) {
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &old);
    spawner::fork_job(j);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  } else {
    the_spawner().spawn(j);
  }
  close_fd(report_w);
  if (j.pid < 0) {
    close_fd(report_r);
    return rt::error{rt::errc::launch_failed, "fork for " + argv.at(0) + ": " + std::strerror(j.fork_errno)};
  }
  // EOF: exec succeeded (the pipe closed with it). A record: the child says which step failed.
  char buf[64] = {};
  ssize_t n;
  while ((n = ::read(report_r, buf, sizeof buf)) < 0 && errno == EINTR) {
  }
  close_fd(report_r);
  if (n == static_cast<ssize_t>(sizeof buf)) {
    int e = 0;
    std::memcpy(&e, buf, sizeof e);
    buf[sizeof buf - 1] = 0;
    int status = 0;
    while (::waitpid(j.pid, &status, 0) < 0 && errno == EINTR) {
    }
    return rt::error{rt::errc::launch_failed,
                     "starting " + argv.at(0) + " failed (" + std::string(buf + sizeof e) + "): " + std::strerror(e)};
  }
  return j.pid;
}

}  // namespace janus::client::detail
