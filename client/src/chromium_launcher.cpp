#include <janus/client/chromium_launcher.hpp>

#include "browser_process_util.hpp"

#include <janus/cdp/browser.hpp>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace janus::client {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::string_view listening_prefix = "DevTools listening on ";

// The first line of a small /proc/sys file, or "" when it is missing.
std::string read_sysctl(const char* path) {
  std::string line;
  if (FILE* f = std::fopen(path, "re")) {
    char buf[64];
    if (std::fgets(buf, sizeof buf, f)) line = buf;
    std::fclose(f);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// Why Chromium's sandbox cannot work here, or "" when it can. It needs unprivileged user
// namespaces (Debian's Chromium has no setuid helper), and Chromium refuses to start sandboxed as
// root. Everywhere else the sandbox stays on: a compromised renderer must not reach the host.
std::string sandbox_unavailable() {
  if (::geteuid() == 0) return "running as root";
  if (read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == "0")
    return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)";
  if (read_sysctl("/proc/sys/user/max_user_namespaces") == "0")
    return "user namespaces are disabled (user.max_user_namespaces = 0)";
  return {};
}

}  // namespace

// --- browser_process --------------------------------------------------------------------------------

browser_process::browser_process(std::shared_ptr<detail::process_state> state, session::cdp_connection connection)
    : state_(std::move(state)), connection_(std::move(connection)) {
  connection_.set_exit_probe(state_->exit_probe());
  {
    auto fail = connection_.failer();
    std::lock_guard lk(state_->mu);
    state_->on_unexpected_exit = [fail](std::string why) { fail(std::move(why), rt::errc::browser_exited); };
  }
  // An exit noticed before the reporter was set above did not reach the connection.
  state_->recheck_exit();
}

browser_process::~browser_process() { close(); }

int browser_process::pid() const noexcept { return state_->pid; }

bool browser_process::running() const { return !state_->closed.load(std::memory_order_acquire) && !state_->has_exited(); }

std::vector<std::string> browser_process::last_stderr_lines() const { return state_->last_lines(); }

const std::string& browser_process::profile_dir() const noexcept { return state_->profile_dir; }

void browser_process::on_exit(std::function<void(std::string)> f) {
  {
    auto fail = connection_.failer();
    // The watcher and recheck_exit() below may both see the exit: the handler runs once.
    auto once = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard lk(state_->mu);
    state_->on_unexpected_exit = [fail, once, f = std::move(f)](std::string why) {
      fail(why, rt::errc::browser_exited);
      if (!once->exchange(true)) f(std::move(why));
    };
  }
  state_->recheck_exit();
}

void browser_process::close() {
  if (!state_->closed.exchange(true, std::memory_order_acq_rel) && connection_) connection_.close();
  // Also when closing already: from outside the runtime, close() returns once the process is gone.
  state_->close_process(std::chrono::milliseconds(1000));
}

bool browser_process::close_finished() const { return state_->terminated(); }

rt::task<bool> browser_process::wait_close_finished(rt::deadline d) const {
  std::shared_ptr<detail::process_state> st = state_;
  std::function<bool()> done = [st] { return st->terminated(); };
  co_return co_await detail::wait_change(st, std::move(done), d);
}

// --- launch -----------------------------------------------------------------------------------------

rt::task<rt::result<std::unique_ptr<browser_process>>> launch_chromium(rt::scheduler& sched, launch_options options) {
  rt::result<std::string> exe = detail::find_browser(options.executable, "launch_options::executable", "JANUS_CHROMIUM",
                                                     {"chromium", "chromium-browser", "google-chrome"});
  if (!exe) co_return std::move(exe).err();

  rt::result<std::string> made = detail::make_temp_dir("janus-chromium");
  if (!made) co_return std::move(made).err();
  const std::string profile = std::move(*made);

  const std::string no_sandbox_why = sandbox_unavailable();
  const std::string sandbox_note =
      no_sandbox_why.empty() ? " (sandbox: on)" : " (sandbox: off, " + no_sandbox_why + ")";
  std::vector<std::string> argv{*exe,
                                "--headless",
                                "--disable-gpu",
                                "--disable-quic",
                                "--no-first-run",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--user-data-dir=" + profile,
                                options.use_pipe ? "--remote-debugging-pipe" : "--remote-debugging-port=0"};
  if (!no_sandbox_why.empty()) argv.emplace_back("--no-sandbox");
  // Port mode: loopback only (it is Chromium's default, said explicitly so that it stays so).
  if (!options.use_pipe) argv.emplace_back("--remote-debugging-address=127.0.0.1");
  for (auto& a : options.extra_args) argv.push_back(a);
  argv.emplace_back("about:blank");

  int err_r = -1, err_w = -1, to_r = -1, to_w = -1, from_r = -1, from_w = -1;
  auto fail_fds = [&](std::string what) {
    const int saved = errno;
    for (int* fd : {&err_r, &err_w, &to_r, &to_w, &from_r, &from_w}) detail::close_fd(*fd);
    std::error_code ignored;
    fs::remove_all(profile, ignored);
    return rt::error{rt::errc::launch_failed, std::move(what) + ": " + std::strerror(saved)};
  };
  if (!detail::high_pipe(err_r, err_w)) co_return fail_fds("pipe");
  if (options.use_pipe && (!detail::high_pipe(to_r, to_w) || !detail::high_pipe(from_r, from_w))) co_return fail_fds("pipe");

  detail::spawn_fds fds;
  fds.stderr_write = err_w;
  fds.on_calling_thread = sched.worker_count() == 0;
  if (options.use_pipe) fds.extra = {to_r, from_w};  // the browser reads fd 3 and writes fd 4
  // Chromium's own temporary directories (org.chromium.Chromium.*) go inside the profile, so
  // that removing the profile removes them too instead of leaving one in /tmp per launch.
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).rfind("TMPDIR=", 0) != 0) env.emplace_back(*e);
  env.push_back("TMPDIR=" + profile);
  rt::result<pid_t> spawned = detail::spawn_in_group(argv, fds, env);
  if (!spawned) {
    rt::error e = std::move(spawned).err();
    for (int* fd : {&err_r, &err_w, &to_r, &to_w, &from_r, &from_w}) detail::close_fd(*fd);
    std::error_code ignored;
    fs::remove_all(profile, ignored);
    co_return e;
  }
  detail::close_fd(err_w);
  detail::close_fd(to_r);
  detail::close_fd(from_w);

  auto state = std::make_shared<detail::process_state>(sched, *spawned, profile, "Chromium");
  state->stderr_marker = std::string(listening_prefix);
  state->start(err_r);

  // From here on a failure must end the process: terminate() kills, reaps and removes the profile.
  auto fail = [&](rt::errc code, std::string what) -> rt::error {
    state->closed.store(true, std::memory_order_release);
    const bool exited = state->has_exited();
    state->terminate();
    return rt::error{code, (exited ? "the browser exited during launch: " : "") + what + sandbox_note + state->stderr_tail()};
  };
  const auto deadline = rt::clock::now() + options.launch_timeout;
  auto remaining = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - rt::clock::now());
  };

  session::cdp_connection conn;
  if (options.use_pipe) {
    auto opened = session::cdp_connection::open_pipe(sched, from_r, to_w, options.connection);
    if (!opened) co_return fail(rt::errc::launch_failed, "opening the pipe failed: " + opened.err().what());
    conn = std::move(*opened);
    // The pipe is open as soon as the process exists; the first reply says the browser is up.
    session::call_options call_opts{.deadline = rt::deadline(remaining()), .cancel = {}};
    auto version = co_await conn.browser().send(cdp::browser::get_version{}, std::move(call_opts));
    if (!version) {
      conn.close();
      // Let the reader catch the browser's last words before quoting them (their end wakes us).
      std::function<bool()> said_all = [st = state] { return st->stderr_closed(); };
      (void)co_await detail::wait_change(state, std::move(said_all), rt::deadline(50ms));
      co_return fail(version.err().code == rt::errc::timeout ? rt::errc::timeout : rt::errc::launch_failed,
                     "no reply to Browser.getVersion within " + std::to_string(options.launch_timeout.count()) +
                         " ms (" + version.err().what() + ")");
    }
  } else {
    // Woken by the marked line, by stderr's end or by the exit; the browser's last words are
    // all read once stderr has ended.
    std::function<bool()> url_or_end = [st = state] {
      return !st->marked_text().empty() || st->stderr_closed() || st->has_exited();
    };
    (void)co_await detail::wait_change(state, std::move(url_or_end), rt::deadline(remaining()));
    const std::string url = state->marked_text();
    if (url.empty()) {
      if (state->stderr_closed() || state->has_exited()) {
        // A helper that inherited stderr may hold it open a moment longer than the browser.
        std::function<bool()> said_all = [st = state] { return st->stderr_closed(); };
        (void)co_await detail::wait_change(state, std::move(said_all), rt::deadline(50ms));
        co_return fail(rt::errc::launch_failed, "no DevTools URL on stderr");
      }
      co_return fail(rt::errc::timeout, "no DevTools URL on stderr within " + std::to_string(options.launch_timeout.count()) + " ms");
    }
    session::connection_options copts = options.connection;
    copts.connect_timeout = std::max(1ms, std::min(copts.connect_timeout, remaining()));
    auto connected = co_await session::cdp_connection::connect(sched, url, copts);
    if (!connected) co_return fail(rt::errc::launch_failed, "connecting to " + url + " failed: " + connected.err().what());
    conn = std::move(*connected);
  }
  co_return std::unique_ptr<browser_process>(new browser_process(std::move(state), std::move(conn)));
}

}  // namespace janus::client
