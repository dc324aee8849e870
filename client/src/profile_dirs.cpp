// Temporary profile directories, and reclaiming the ones whose owner died without removing them.
//
// A profile is removed by close() or by the CLI's signal handler; when the host is SIGKILLed (or
// crashes) nobody can. So each profile records its owner (this process's pid and start time, the
// pair that identifies a process across pid reuse) in a small file, and every launch first
// removes the profiles in the temp dir whose owner is gone. Only what Janus made is touched: a
// directory named janus-chromium-*/janus-firefox-* (not a symlink), owned by this user, holding
// a well-formed owner file. A directory made a moment ago whose owner file is not written yet
// has none, and is left alone.
#include "browser_process_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace janus::client::detail {

namespace {

namespace fs = std::filesystem;

constexpr const char* owner_file_name = "janus-owner";
constexpr std::string_view profile_stems[] = {"janus-chromium-", "janus-firefox-"};

fs::path temp_base() {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  return ec ? fs::path("/tmp") : base;
}

// "<pid> <start time>", or nullopt when the file is missing or not ours.
std::optional<std::pair<long, unsigned long long>> read_owner(const fs::path& dir) {
  struct stat st {};
  const fs::path f = dir / owner_file_name;
  if (::lstat(f.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || st.st_size > 64)
    return std::nullopt;
  std::ifstream in(f);
  long pid = 0;
  unsigned long long start = 0;
  if (!(in >> pid >> start) || pid <= 0) return std::nullopt;
  return std::pair{pid, start};
}

}  // namespace

bool write_file(const std::string& path, std::string_view content) {
  // Close-on-exec: a process the host forks meanwhile must not inherit it.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return ::close(fd) == 0 && done == content.size();
}

std::optional<unsigned long long> process_start_time(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // Field 2 (the command) is in parentheses and may hold spaces: count from the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  // After the command come field 3 (state) … field 22 (starttime, in clock ticks since boot).
  for (int i = 3; i <= 22; ++i)
    if (!(rest >> field)) return std::nullopt;
  try {
    return std::stoull(field);
  } catch (...) {
    return std::nullopt;
  }
}

bool owner_alive(long pid, unsigned long long start) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  // A live pid with another start time is a different process that reused the number.
  const auto now = process_start_time(pid);
  return now && *now == start;
}

void reclaim_stale_profiles() {
  std::error_code ec;
  for (fs::directory_iterator it(temp_base(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    bool ours = false;
    for (auto stem : profile_stems) ours = ours || name.starts_with(stem);
    if (!ours) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
    const auto owner = read_owner(it->path());
    if (!owner || owner_alive(owner->first, owner->second)) continue;
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

rt::result<std::string> make_temp_dir(std::string_view stem) {
  reclaim_stale_profiles();
  std::string dir = (temp_base() / (std::string(stem) + "-XXXXXX")).string();
  if (::mkdtemp(dir.data()) == nullptr)
    return rt::error{rt::errc::launch_failed, "mkdtemp " + dir + " failed: " + std::strerror(errno)};
  const long self = static_cast<long>(::getpid());
  const auto start = process_start_time(self);
  if (!start || !write_file(dir + "/" + owner_file_name, std::to_string(self) + ' ' + std::to_string(*start) + '\n')) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return rt::error{rt::errc::launch_failed, "writing the owner file in " + dir + " failed"};
  }
  return dir;
}

}  // namespace janus::client::detail
