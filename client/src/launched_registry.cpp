// The table behind terminate_launched_browsers(): every browser this process launched whose
// profile directory is not yet removed, with its process group until that is reaped (0 after). A fixed array of slots claimed and
// published with atomics, so that a signal handler can read it without a lock and without
// allocating. See launched_browsers.hpp.
#include <janus/client/launched_browsers.hpp>

#include "browser_process_util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

namespace janus::client {

namespace {

constexpr int slot_count = 256;            // browsers alive at once in one process; more go unlisted
constexpr std::size_t max_profile = 512;  // a longer path is killed but not removed by close_launched_browsers

enum slot_state : int { free_slot = 0, writing = 1, live = 2 };

struct slot {
  std::atomic<int> state{free_slot};
  std::atomic<pid_t> group{0};
  char profile[max_profile] = {};
};

slot table[slot_count];

}  // namespace

namespace detail {

// Whether a process other than a zombie is in group `pg` (members that outlive their leader are
// reparented and reaped by init; the leader stays a zombie until its launcher reaps it).
bool group_has_live_member(pid_t pg) {
  DIR* d = ::opendir("/proc");
  if (!d) return ::kill(-pg, 0) == 0;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300];  // d_name holds up to 255 bytes
    std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) continue;
    buf[n] = 0;
    const char* paren = std::strrchr(buf, ')');
    if (!paren) continue;
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (std::sscanf(paren + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pg && state != 'Z' && state != 'X') {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

int register_launched(pid_t group, const std::string& profile) {
  for (int i = 0; i < slot_count; ++i) {
    int expected = free_slot;
    if (!table[i].state.compare_exchange_strong(expected, writing, std::memory_order_acquire)) continue;
    const std::size_t n = profile.size() < max_profile ? profile.size() : 0;
    std::memcpy(table[i].profile, profile.data(), n);
    table[i].profile[n] = 0;
    table[i].group.store(group, std::memory_order_relaxed);
    table[i].state.store(live, std::memory_order_release);
    return i;
  }
  return -1;
}

void disown_launched_group(int index) {
  if (index < 0 || index >= slot_count) return;
  table[index].group.store(0, std::memory_order_release);
}

void unregister_launched(int index) {
  if (index < 0 || index >= slot_count) return;
  table[index].group.store(0, std::memory_order_relaxed);
  table[index].state.store(free_slot, std::memory_order_release);
}

}  // namespace detail

void terminate_launched_browsers() noexcept {
  for (auto& s : table) {
    if (s.state.load(std::memory_order_acquire) != live) continue;
    const pid_t pg = s.group.load(std::memory_order_relaxed);
    if (pg > 0) ::kill(-pg, SIGKILL);
  }
}

void close_launched_browsers() noexcept {
  struct entry {
    pid_t group;
    std::string profile;
  };
  std::vector<entry> found;
  try {
    for (auto& s : table) {
      if (s.state.load(std::memory_order_acquire) != live) continue;
      entry e{s.group.load(std::memory_order_acquire), s.profile};
      // Freed and reused while copying: skip it (its owner is closing it anyway). A group of 0 is
      // one reaped already (or being reaped) whose profile its termination has yet to remove.
      if (s.state.load(std::memory_order_acquire) != live || e.group < 0) continue;
      found.push_back(std::move(e));
    }
  } catch (...) {
  }
  terminate_launched_browsers();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (const auto& e : found) {
    // The group is gone (or the time is up) before its profile goes: a live member could still
    // write into it.
    while (e.group > 0 && detail::group_has_live_member(e.group) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (e.profile.empty()) continue;
    // A process outside the group (Chromium's crash handler, Firefox's) may still write into the
    // profile for a moment: remove it again while it reappears, for up to a second.
    std::error_code ignored;
    std::filesystem::remove_all(e.profile, ignored);
    for (int i = 0; i < 20 && std::filesystem::exists(e.profile, ignored); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::filesystem::remove_all(e.profile, ignored);
    }
  }
}

}  // namespace janus::client
