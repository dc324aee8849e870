// The transports against the real browsers: Chromium over --remote-debugging-pipe, Firefox ESR over
// its TCP debugger server. Each test starts its own browser with a fresh profile directory and
// ends only that process (by pid), then removes the directory.
#include "transport_test_support.hpp"
#include "../support/private_tmpdir_env.hpp"

#include <janus/protocol/pipe_transport.hpp>
#include <janus/protocol/tcp_transport.hpp>

#include <asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>


using namespace janus::protocol;
using namespace janus::protocol::test;
using janus::rt::errc;

namespace {

namespace fs = std::filesystem;

/// A fresh directory under the temp dir, removed on destruction.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "janus-transport-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

/// One spawned browser process in a process group of its own; the group is ended (SIGKILL) and the
/// process reaped on destruction. The group, not only the pid: a browser's helper processes outlive
/// a killed parent for a moment and wrote into the profile after the test removed it (an empty
/// janus-transport-* was left in the temp dir per run).
class child_process {
 public:
  /// Starts argv[0] (searched in PATH) with `dups` (from, to) applied in the child, stdout to
  /// /dev/null and stderr to `log`, and TMPDIR set to the log's directory (the browser's profile,
  /// which the test removes).
  child_process(const std::vector<std::string>& argv, const std::vector<std::pair<int, int>>& dups,
                const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (auto [from, to] : dups) posix_spawn_file_actions_adddup2(&actions, from, to);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // The child starts with default signal handling and no blocked signals, whatever this
    // process's threads have set.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    janus::testing::private_tmpdir_env env(log.parent_path().string());
    const int rc = ::posix_spawnp(&pid_, argv[0].c_str(), &actions, &attr, args.data(), env.pointers());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() { kill_and_reap(); }

  /// Waits up to `timeout` for the process to exit by itself.
  bool wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        end_group();
        return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return pid_ <= 0;
  }

  void kill_and_reap() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    end_group();
  }

 private:
  // After the leader was reaped: kills what is left of its group and waits (up to 5 s) until no
  // member exists. The group id stays the leader's while any member exists, so it names no one else.
  void end_group() {
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (::kill(-pid_, SIGKILL) == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    pid_ = -1;
  }

  pid_t pid_ = -1;
};

/// A pipe whose ends are above the fds the child will use (3, 4), close-on-exec.
std::pair<int, int> high_pipe() {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  const int r = ::fcntl(p[0], F_DUPFD_CLOEXEC, 10);
  const int w = ::fcntl(p[1], F_DUPFD_CLOEXEC, 10);
  ::close(p[0]);
  ::close(p[1]);
  REQUIRE(r >= 10);
  REQUIRE(w >= 10);
  return {r, w};
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::address_v4::loopback(), 0});
  return a.local_endpoint().port();
}

}  // namespace

TEST_CASE("pipe transport talks CDP to a real Chromium", "[transport][pipe][browser]") {
  temp_dir profile;
  const auto [to_browser_read, to_browser_write] = high_pipe();
  const auto [from_browser_read, from_browser_write] = high_pipe();
  io_thread io;
  auto rec = std::make_shared<recorder>(io.id());
  {
    child_process chromium({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                            "--no-first-run", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--user-data-dir=" + profile.path.string(), "--remote-debugging-pipe",
                            "about:blank"},
                           {{to_browser_read, 3}, {from_browser_write, 4}}, profile.path / "stderr.log");
    ::close(to_browser_read);
    ::close(from_browser_write);

    auto opened = open_pipe_transport(io.io, from_browser_read, to_browser_write, rec);
    REQUIRE(opened);
    auto t = std::move(opened).value();
    REQUIRE(t->send(R"({"id":1,"method":"Browser.getVersion"})"));
    const bool replied = rec->wait(
        [&] {
          for (const auto& m : rec->messages_)
            if (m.find("\"id\":1,") != std::string::npos || m.find("\"id\":1}") != std::string::npos) return true;
          return rec->closes_ > 0;
        },
        40s);
    INFO("chromium stderr:\n" << read_file(profile.path / "stderr.log"));
    REQUIRE(replied);
    REQUIRE(rec->closes() == 0);
    std::string reply;
    for (const auto& m : rec->messages())
      if (m.find("\"id\":1") != std::string::npos) reply = m;
    CHECK(reply.find("\"product\":\"") != std::string::npos);
    CHECK(reply.find("\"protocolVersion\":\"1.3\"") != std::string::npos);

    // Closing our ends makes Chromium quit on its own; it is killed if it lingers.
    t->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->why().code == errc::disconnected);
    if (!chromium.wait_exit(5s)) chromium.kill_and_reap();
  }
  CHECK_FALSE(rec->misbehaved());
}

TEST_CASE("tcp transport receives the greeting of a real Firefox", "[transport][tcp][browser]") {
  temp_dir profile;
  {
    std::ofstream prefs(profile.path / "user.js");
    prefs << "user_pref(\"devtools.debugger.remote-enabled\", true);\n"
             "user_pref(\"devtools.chrome.enabled\", true);\n"
             "user_pref(\"devtools.debugger.prompt-connection\", false);\n";
  }
  const std::uint16_t port = free_port();
  child_process firefox({"firefox-esr", "--headless", "--profile", profile.path.string(), "--no-remote",
                         "--start-debugger-server", std::to_string(port)},
                        {}, profile.path / "stderr.log");

  io_thread io;
  std::shared_ptr<recorder> rec;
  std::shared_ptr<transport> t;
  // The debugger server comes up a few seconds after launch: retry refused connects, and
  // connections that end before the greeting.
  const auto deadline = std::chrono::steady_clock::now() + 45s;
  bool greeted = false;
  while (!greeted && std::chrono::steady_clock::now() < deadline) {
    rec = std::make_shared<recorder>(io.id());
    connect_waiter w;
    tcp_options options;
    options.connect_timeout = 2s;
    connect_tcp(io.io, "127.0.0.1", port, rec, w.callback(), options, make_rdp_stream_framer());
    auto r = w.get();
    if (!r) {
      REQUIRE(r.code() != errc::invalid_argument);
      std::this_thread::sleep_for(250ms);
      continue;
    }
    t = std::move(r).value();
    greeted = rec->wait([&] { return !rec->messages_.empty() || rec->closes_ > 0; }, 10s) && rec->closes() == 0;
    if (!greeted) t.reset();
  }
  INFO("firefox stderr:\n" << read_file(profile.path / "stderr.log"));
  REQUIRE(greeted);
  // The framer cut the "<length>:" prefix off: the greeting is exactly one JSON object.
  const std::string greeting = rec->messages()[0];
  CHECK(greeting.front() == '{');
  CHECK(greeting.back() == '}');
  CHECK(greeting.find("\"from\":\"root\"") != std::string::npos);

  // A request (framed on the way out) gets its answer over the same connection.
  REQUIRE(t->send(R"({"to":"root","type":"getRoot"})"));
  REQUIRE(rec->wait_messages(2, 10s));
  CHECK(rec->closes() == 0);
  CHECK(rec->messages()[1].find("\"from\":\"root\"") != std::string::npos);

  t->close();
  REQUIRE(rec->wait_closed());
  CHECK_FALSE(rec->misbehaved());
  firefox.kill_and_reap();
}
