// Compares the committed schema (protocol/cdp/browser_protocol.json) with what the installed
// browser serves at GET /json/protocol, prints what was added or removed, and fails on any drift:
// the typed bindings are generated from the committed schema, so a browser that moved ahead of it
// is a browser the bindings were not made for. scripts/refresh-cdp-schema.sh brings the schema
// along; a run of this suite without a browser fails too (the 'browser' suite needs one).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "janus/protocol/json_value.hpp"
#include "../support/private_tmpdir_env.hpp"


using janus::protocol::json_value;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A headless browser for the length of the test: started on a free port, stopped (only this one)
// and its profile removed on destruction.
class browser {
 public:
  explicit browser(const std::string& executable) {
    profile_ = std::filesystem::temp_directory_path() / ("janus-drift-" + std::to_string(::getpid()));
    std::filesystem::create_directories(profile_);
    int err_pipe[2];
    REQUIRE(::pipe(err_pipe) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    // Its own process group, so that the destructor reaches its helpers too: they outlived the
    // main process and wrote into the profile after it was removed (empty janus-drift-* were left).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    const std::string profile_arg = "--user-data-dir=" + profile_.string();
    std::vector<std::string> args = {executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                     "--no-first-run", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync", profile_arg,
                                     "--remote-debugging-port=0", "about:blank"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    janus::testing::private_tmpdir_env env(profile_.string());
    const int rc = posix_spawnp(&pid_, executable.c_str(), &actions, &attr, argv.data(), env.pointers());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(err_pipe[1]);
    err_fd_ = err_pipe[0];
    if (rc != 0) pid_ = -1;
  }

  ~browser() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGTERM);
      int status;
      ::waitpid(pid_, &status, 0);
      // The group id stays ours while any member exists, so signalling it again is safe.
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (::kill(-pid_, SIGKILL) == 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (err_fd_ >= 0) ::close(err_fd_);
    std::error_code ec;
    std::filesystem::remove_all(profile_, ec);
  }

  bool started() const { return pid_ > 0; }

  /// The DevTools port the browser printed on stderr, or 0 when it did not within the time limit.
  int port() {
    static constexpr std::string_view listening = "DevTools listening on ws://127.0.0.1:";
    std::string err;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{err_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(err_fd_, buf, sizeof buf);
      if (n <= 0) return 0;
      err.append(buf, static_cast<std::size_t>(n));
      const auto at = err.find(listening);
      if (at != std::string::npos && err.find('/', at + listening.size()) != std::string::npos) {
        return std::atoi(err.c_str() + at + listening.size());
      }
    }
    return 0;
  }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::filesystem::path profile_;
};

// GET over loopback. Chromium's DevTools server answers only HTTP/1.1 and keeps the connection
// open, so the body is read up to its Content-Length.
std::string http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nAccept: */*\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  std::size_t body_start = std::string::npos, body_length = 0;
  char buf[65536];
  while (body_start == std::string::npos || response.size() < body_start + body_length) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
    if (body_start == std::string::npos) {
      const auto end = response.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      body_start = end + 4;
      std::string head = response.substr(0, end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto header = head.find("\r\ncontent-length:");
      if (header == std::string::npos) break;
      body_length = std::strtoul(head.c_str() + header + 17, nullptr, 10);
    }
  }
  ::close(fd);
  if (body_start == std::string::npos || response.size() < body_start + body_length) return {};
  return response.substr(body_start, body_length);
}

// "Domain", "Domain.command", "Domain.command(param)", "Domain.event!", "Domain.Type", ...: one
// name per thing that can be added or removed.
std::set<std::string> inventory(const json_value& schema) {
  std::set<std::string> out;
  auto members = [&](const std::string& owner, const json_value& list, const char* kind) {
    if (const auto* items = list.get_array()) {
      for (const auto& m : *items) out.insert(owner + "(" + kind + " " + m["name"].as_string() + ")");
    }
  };
  for (const auto& d : schema["domains"].as_array()) {
    const std::string domain = d["domain"].as_string();
    out.insert("domain " + domain);
    if (const auto* commands = d["commands"].get_array()) {
      for (const auto& c : *commands) {
        const std::string name = domain + "." + c["name"].as_string();
        out.insert("command " + name);
        members(name, c["parameters"], "param");
        members(name, c["returns"], "return");
      }
    }
    if (const auto* events = d["events"].get_array()) {
      for (const auto& e : *events) {
        const std::string name = domain + "." + e["name"].as_string();
        out.insert("event " + name);
        members(name, e["parameters"], "param");
      }
    }
    if (const auto* types = d["types"].get_array()) {
      for (const auto& t : *types) {
        const std::string name = domain + "." + t["id"].as_string();
        out.insert("type " + name);
        members(name, t["properties"], "property");
        if (const auto* values = t["enum"].get_array()) {
          for (const auto& v : *values) out.insert(name + "(value " + v.as_string() + ")");
        }
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the committed schema matches the installed browser's /json/protocol", "[browser][cdp]") {
  const char* configured = std::getenv("CHROMIUM");
  const std::string executable = configured && *configured ? configured : "chromium";
  browser b(executable);
  if (!b.started()) FAIL("no browser to compare with (" << executable << " could not be started); set CHROMIUM");
  const int port = b.port();
  REQUIRE(port > 0);
  auto live = json_value::parse(http_get(port, "/json/protocol"));
  REQUIRE(live.has_value());
  auto version = json_value::parse(http_get(port, "/json/version"));
  auto committed = json_value::parse(read_file(JANUS_SOURCE_ROOT "/protocol/cdp/browser_protocol.json"));
  REQUIRE(committed.has_value());
  auto recorded = json_value::parse(read_file(JANUS_SOURCE_ROOT "/protocol/cdp/browser_version.json"));

  const auto before = inventory(*committed);
  const auto now = inventory(*live);
  std::vector<std::string> added, removed;
  for (const auto& n : now) {
    if (!before.count(n)) added.push_back(n);
  }
  for (const auto& n : before) {
    if (!now.count(n)) removed.push_back(n);
  }
  const std::string live_browser = version ? (*version)["Browser"].as_string() : "?";
  const std::string committed_browser = recorded ? (*recorded)["Browser"].as_string() : "?";
  std::cout << "CDP schema: committed from " << committed_browser << ", installed " << live_browser << ": "
            << added.size() << " added, " << removed.size() << " removed\n";
  for (const auto& n : added) std::cout << "  + " << n << "\n";
  for (const auto& n : removed) std::cout << "  - " << n << "\n";
  CHECK(now.size() > 1000);
  INFO("the installed browser's protocol differs from the committed schema (" << added.size() << " added, "
       << removed.size() << " removed, listed above): run scripts/refresh-cdp-schema.sh");
  CHECK(added.empty());
  CHECK(removed.empty());
}
