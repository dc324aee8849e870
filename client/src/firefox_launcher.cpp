#include <janus/client/firefox_launcher.hpp>

#include "browser_process_util.hpp"


#include <algorithm>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace janus::client {

namespace {

using namespace std::chrono_literals;

// A greeting comes the moment a connection is accepted; one that has not come within this came
// from something that is not our Firefox's debugger server (the port was taken).
constexpr auto greeting_wait = 3000ms;
// Between connection attempts that were refused: a TCP port announces nothing when it starts to
// listen, and a Unix socket is refused in the moment between its bind and its listen. The pause
// ends at once when Firefox exits.
constexpr auto retry_pause = 20ms;
// Between two listTabs while Firefox has no tab yet, unless tabListChanged comes first.
constexpr auto tab_list_pause = 100ms;

// What keeps a fresh profile quiet and offline, and lets a client attach without a prompt. The
// values follow what Firefox's own test harnesses (Marionette, geckodriver) set for automation.
constexpr std::pair<const char*, const char*> base_prefs[] = {
    // The debugger server, without the "allow incoming connection?" prompt; chrome-context eval
    // (needed to open tabs, see the notes' §2).
    {"devtools.debugger.remote-enabled", "true"},
    {"devtools.chrome.enabled", "true"},
    {"devtools.debugger.prompt-connection", "false"},
    // First run, welcome and default-browser pages.
    {"browser.shell.checkDefaultBrowser", "false"},
    {"browser.startup.homepage_override.mstone", "\"ignore\""},
    {"browser.startup.page", "0"},
    {"browser.startup.homepage", "\"about:blank\""},
    {"startup.homepage_welcome_url", "\"about:blank\""},
    {"startup.homepage_welcome_url.additional", "\"\""},
    {"browser.aboutwelcome.enabled", "false"},
    {"trailhead.firstrun.didSeeAboutWelcome", "true"},
    {"browser.newtabpage.enabled", "false"},
    {"browser.newtab.preload", "false"},
    {"browser.tabs.warnOnClose", "false"},
    {"browser.warnOnQuit", "false"},
    {"browser.uitour.enabled", "false"},
    {"browser.sessionstore.resume_from_crash", "false"},
    {"toolkit.startup.max_resumed_crashes", "-1"},
    // Updates of the application, add-ons, search engines and remote settings.
    {"app.update.disabledForTesting", "true"},
    {"app.update.auto", "false"},
    {"app.update.checkInstallTime", "false"},
    {"extensions.update.enabled", "false"},
    {"extensions.update.autoUpdateDefault", "false"},
    {"extensions.getAddons.cache.enabled", "false"},
    {"extensions.blocklist.enabled", "false"},
    {"browser.search.update", "false"},
    {"services.settings.server", "\"data:,#remote-settings-dummy/v1\""},
    {"media.gmp-manager.updateEnabled", "false"},
    {"media.gmp-manager.url", "\"data:text/plain,\""},
    {"browser.region.network.url", "\"\""},
    {"browser.region.update.enabled", "false"},
    // Telemetry, studies, health report.
    {"datareporting.policy.dataSubmissionEnabled", "false"},
    {"datareporting.policy.dataSubmissionPolicyBypassNotification", "true"},
    {"datareporting.healthreport.uploadEnabled", "false"},
    {"toolkit.telemetry.enabled", "false"},
    {"toolkit.telemetry.unified", "false"},
    {"toolkit.telemetry.archive.enabled", "false"},
    {"toolkit.telemetry.reportingpolicy.firstRun", "false"},
    {"toolkit.telemetry.server", "\"\""},
    {"app.normandy.enabled", "false"},
    {"app.shield.optoutstudies.enabled", "false"},
    {"browser.ping-centre.telemetry", "false"},
    {"browser.discovery.enabled", "false"},
    // Background network traffic: safe browsing lists, captive portal and connectivity checks,
    // speculative connections.
    {"browser.safebrowsing.malware.enabled", "false"},
    {"browser.safebrowsing.phishing.enabled", "false"},
    {"browser.safebrowsing.downloads.enabled", "false"},
    {"browser.safebrowsing.blockedURIs.enabled", "false"},
    {"browser.safebrowsing.update.enabled", "false"},
    {"network.captive-portal-service.enabled", "false"},
    {"network.connectivity-service.enabled", "false"},
    {"network.dns.disablePrefetch", "true"},
    {"network.prefetch-next", "false"},
    {"network.http.speculative-parallel-limit", "0"},
    {"browser.topsites.contile.enabled", "false"},
    {"browser.newtabpage.activity-stream.feeds.topsites", "false"},
    {"browser.newtabpage.activity-stream.feeds.system.topstories", "false"},
};

rt::result<void> write_user_js(const std::string& profile, const firefox_launch_options& options) {
  std::string text;
  for (const auto& [name, value] : base_prefs) text += std::string("user_pref(\"") + name + "\", " + value + ");\n";
  for (const auto& [name, value] : options.prefs) text += "user_pref(\"" + name + "\", " + value + ");\n";
  if (!detail::write_file(profile + "/user.js", text))
    return rt::error{rt::errc::launch_failed, "writing " + profile + "/user.js failed"};
  return rt::ok;
}

std::vector<std::string> child_environment(const std::string& profile) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view v(*e);
    // A crash reporter dialog or upload has no place in automation.
    if (v.starts_with("MOZ_CRASHREPORTER_DISABLE=") || v.starts_with("TMPDIR=")) continue;
    env.emplace_back(v);
  }
  env.emplace_back("MOZ_CRASHREPORTER_DISABLE=1");
  // Firefox's temporary files (TmpD) go inside the profile, so removing the profile removes them
  // too: as for Chromium, nothing of a killed browser stays in the shared temp directory.
  env.emplace_back("TMPDIR=" + profile);
  return env;
}

std::chrono::milliseconds left(rt::time_point deadline) {
  return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - rt::clock::now()));
}

struct attempt_failure {
  rt::error why;
  bool port_taken = false;  // the explicit port is held by another process
};

}  // namespace

// --- firefox_process ------------------------------------------------------------------------------

firefox_process::firefox_process(std::shared_ptr<detail::process_state> state, session::rdp_connection connection,
                                 std::uint16_t port, std::string socket_path, std::chrono::milliseconds grace)
    : state_(std::move(state)),
      connection_(std::move(connection)),
      port_(port),
      socket_path_(std::move(socket_path)),
      grace_(grace) {
  connection_.set_exit_probe(state_->exit_probe());
  {
    auto fail = connection_.failer();
    std::lock_guard lk(state_->mu);
    state_->on_unexpected_exit = [fail](std::string why) { fail(std::move(why), rt::errc::browser_exited); };
  }
  // An exit noticed before the reporter was set above did not reach the connection.
  state_->recheck_exit();
}

firefox_process::~firefox_process() { close(); }

int firefox_process::pid() const noexcept { return state_->pid; }
const std::string& firefox_process::profile_dir() const noexcept { return state_->profile_dir; }

bool firefox_process::running() const {
  return !state_->closed.load(std::memory_order_acquire) && !state_->has_exited();
}

std::vector<std::string> firefox_process::last_stderr_lines() const { return state_->last_lines(); }

void firefox_process::close() {
  if (!state_->closed.exchange(true, std::memory_order_acq_rel) && connection_) connection_.close();
  // Also when closing already: from outside the runtime, close() returns once the process is gone.
  state_->close_process(grace_);
}

bool firefox_process::close_finished() const { return state_->terminated(); }

rt::task<bool> firefox_process::wait_close_finished(rt::deadline d) const {
  std::shared_ptr<detail::process_state> st = state_;
  std::function<bool()> done = [st] { return st->terminated(); };
  co_return co_await detail::wait_change(st, std::move(done), d);
}

// --- launch ----------------------------------------------------------------------------------------

rt::task<rt::result<session::rdp_connection>> connect_firefox(rt::scheduler& sched, std::string host, std::uint16_t port,
                                                     session::rdp_connection_options options) {
  return session::rdp_connection::connect(sched, std::move(host), port, std::move(options));
}

namespace {

struct started {
  std::shared_ptr<detail::process_state> state;
  session::rdp_connection connection;
  std::uint16_t port = 0;
  std::string socket_path;
};

// One launch: the process, and a connection once the greeting came. The debugger server listens
// on a Unix domain socket inside the 0700 profile (Firefox then opens no TCP port, so no other
// local user can drive it), or on the loopback port the caller asked for.
rt::task<rt::result<started>> launch_once(rt::scheduler& sched, const std::string& exe,
                                          const firefox_launch_options& options, rt::time_point deadline,
                                          attempt_failure& failure) {
  auto fail_early = [&](rt::error e) -> rt::error {
    failure.why = e;
    return e;
  };
  const bool tcp = options.port != 0;
  rt::result<std::string> profile = detail::make_temp_dir("janus-firefox");
  if (!profile) co_return fail_early(std::move(profile).err());
  if (rt::result<void> w = write_user_js(*profile, options); !w) {
    std::error_code ignored;
    std::filesystem::remove_all(*profile, ignored);
    co_return fail_early(std::move(w).err());
  }

  const std::string socket_path = tcp ? std::string() : *profile + "/debugger.sock";
  // A socket address holds 107 bytes: a long $TMPDIR does not fit.
  if (socket_path.size() > 107) {
    std::error_code ignored;
    std::filesystem::remove_all(*profile, ignored);
    co_return fail_early(rt::error{rt::errc::launch_failed, "the debugger socket path " + socket_path +
                                                                " is longer than a Unix socket address allows (107 bytes); "
                                                                "set TMPDIR to a shorter directory"});
  }
  std::vector<std::string> argv{exe,       "--headless",     "--profile",   *profile, "--no-remote",
                                "--new-instance", "--start-debugger-server", tcp ? std::to_string(options.port) : socket_path};
  for (const auto& a : options.extra_args) argv.push_back(a);

  int err_r = -1, err_w = -1;
  if (!detail::high_pipe(err_r, err_w)) {
    std::error_code ignored;
    std::filesystem::remove_all(*profile, ignored);
    co_return fail_early(rt::error{rt::errc::launch_failed, std::string("pipe: ") + std::strerror(errno)});
  }
  detail::spawn_fds fds;
  fds.stderr_write = err_w;
  fds.on_calling_thread = sched.worker_count() == 0;
  rt::result<pid_t> pid = detail::spawn_in_group(argv, fds, child_environment(*profile));
  detail::close_fd(err_w);
  if (!pid) {
    detail::close_fd(err_r);
    std::error_code ignored;
    std::filesystem::remove_all(*profile, ignored);
    co_return fail_early(std::move(pid).err());
  }
  auto state = std::make_shared<detail::process_state>(sched, *pid, *profile, "Firefox");
  state->start(err_r);
  // The socket's creation in the profile is what the first connection waits for.
  if (!tcp) state->watch_directory(*profile);

  // From here on a failure must end the process: terminate() kills, reaps and removes the profile.
  auto fail = [&](rt::errc code, std::string what, bool port_taken) -> rt::error {
    state->closed.store(true, std::memory_order_release);
    const bool exited = state->has_exited();
    state->terminate(options.close_grace);
    rt::error e{code, (exited ? "Firefox exited during launch: " : "") + what + state->stderr_tail()};
    failure.why = e;
    failure.port_taken = port_taken && !exited;
    return e;
  };

  const std::string where = tcp ? "127.0.0.1:" + std::to_string(options.port) : "unix:" + socket_path;
  std::string last;
  std::function<bool()> exited = [st = state] { return st->has_exited(); };
  std::function<bool()> socket_or_exit = [st = state, socket_path] {
    std::error_code ignored;
    return st->has_exited() || std::filesystem::exists(socket_path, ignored);
  };
  std::function<bool()> said_all = [st = state] { return st->stderr_closed(); };
  for (;;) {
    if (state->has_exited()) {
      // Let the reader catch Firefox's last words (their end wakes us).
      (void)co_await detail::wait_change(state, said_all, rt::deadline(50ms));
      co_return fail(rt::errc::launch_failed, "no debugger server at " + where, false);
    }
    const auto remaining = left(deadline);
    if (remaining <= 0ms)
      co_return fail(rt::errc::timeout,
                     "no greeting from the debugger server at " + where + " within " +
                         std::to_string(options.launch_timeout.count()) + " ms (last attempt: " + last + ")",
                     false);
    if (!tcp && !socket_or_exit()) {
      last = "no socket yet";
      (void)co_await detail::wait_change(state, socket_or_exit, rt::deadline(remaining));
      continue;
    }
    session::rdp_connection_options copts = options.connection;
    copts.connect_timeout = std::max(1ms, std::min<std::chrono::milliseconds>(greeting_wait, remaining));
    // Two statements, not a conditional expression: GCC 12 mishandles co_await inside ?:.
    rt::result<session::rdp_connection> conn = rt::error{rt::errc::transport, "not connected"};
    if (tcp)
      conn = co_await session::rdp_connection::connect(sched, "127.0.0.1", options.port, copts);
    else
      conn = co_await session::rdp_connection::connect_unix(sched, socket_path, copts);
    if (conn) {
      // The server is up before the first window: wait for its tab, so that the caller gets a
      // browser it can use at once. The root actor says "tabListChanged" once after a listTabs
      // when the list changes: subscribed before asking, that wakes the next ask early.
      rt::result<rt::subscription<session::rdp_event>> changed =
          conn->subscribe(session::rdp_subscription_spec{.actor = "root", .type = "tabListChanged", .capacity = 4,
                                                         .policy = rt::overflow::drop_oldest});
      for (;;) {
        const auto wait = left(deadline);
        if (wait <= 0ms) break;
        session::rdp_request_options request_opts{.deadline = rt::deadline(wait), .cancel = {}};
        auto tabs = co_await conn->request("root", "listTabs", {},
                                           std::move(request_opts));
        if (!tabs) {
          last = tabs.err().what();
          break;
        }
        if (tabs->json().find("\"actor\"") != std::string_view::npos) co_return started{state, std::move(*conn), options.port, socket_path};
        last = "no tab yet";
        if (!changed) {
          last = changed.err().what();
          break;
        }
        // Bounded: during start-up Firefox did not announce its first tab here (ESR 153,
        // 2026-12-08), so the event only cuts the pause short.
        const auto pause = std::min<std::chrono::milliseconds>(tab_list_pause, left(deadline));
        if (rt::result<session::rdp_event> ev = co_await changed->next(rt::deadline(pause));
            !ev && ev.code() != rt::errc::timeout) {
          last = "no tab yet (" + ev.err().what() + ")";
          break;
        }
      }
      conn->close();
      co_return fail(rt::errc::timeout, "Firefox opened no tab within " + std::to_string(options.launch_timeout.count()) +
                                            " ms (" + last + ")", false);
    }
    last = conn.err().what();
    const rt::errc code = conn.code();
    if ((code == rt::errc::timeout || code == rt::errc::protocol) && !state->has_exited() && left(deadline) > 0ms) {
      // Something accepted the connection but did not greet like our Firefox: the port was taken
      // by another process, and Firefox runs without a server. (The socket lives in a directory
      // only this user can enter: no stranger gets there.)
      co_return fail(rt::errc::launch_failed,
                     (tcp ? "port " + std::to_string(options.port) + " was taken by another process ("
                          : "the debugger server at " + where + " did not greet (") + last + ")",
                     tcp);
    }
    // Refused: Firefox is still starting up.
    (void)co_await detail::wait_change(state, exited, rt::deadline(std::min<std::chrono::milliseconds>(retry_pause, left(deadline))));
  }
}

}  // namespace

rt::task<rt::result<std::unique_ptr<firefox_process>>> launch_firefox(rt::scheduler& sched,
                                                                     firefox_launch_options options) {
  return firefox_process::launch(sched, std::make_shared<const firefox_launch_options>(std::move(options)));
}

rt::task<rt::result<std::unique_ptr<firefox_process>>> launch_firefox(rt::scheduler& sched) {
  return launch_firefox(sched, firefox_launch_options{});
}

rt::task<rt::result<session::rdp_connection>> connect_firefox(rt::scheduler& sched, std::string host, std::uint16_t port) {
  return session::rdp_connection::connect(sched, std::move(host), port, session::rdp_connection_options{});
}

rt::task<rt::result<std::unique_ptr<firefox_process>>> firefox_process::launch(
    rt::scheduler& sched, std::shared_ptr<const firefox_launch_options> shared) {
  const firefox_launch_options& options = *shared;
  rt::result<std::string> exe = detail::find_browser(options.executable, "firefox_launch_options::executable",
                                                     "JANUS_FIREFOX", {"firefox-esr", "firefox"});
  if (!exe) co_return std::move(exe).err();
  const rt::time_point deadline = rt::clock::now() + options.launch_timeout;
  attempt_failure failure;
  rt::result<started> s = co_await launch_once(sched, *exe, options, deadline, failure);
  if (!s) co_return std::move(s).err();
  co_return std::unique_ptr<firefox_process>(new firefox_process(std::move(s->state), std::move(s->connection), s->port,
                                                                 std::move(s->socket_path), options.close_grace));
}

}  // namespace janus::client
