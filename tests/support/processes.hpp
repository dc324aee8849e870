// This machine's processes as /proc shows them, for the tests that check what a browser or the
// `janus` command left running (lifecycle, death in every wait).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace janus::testing {

struct proc_info {
  int pid = 0;
  int ppid = 0;
  int pgrp = 0;
  char state = 0;  // 'Z': exited, not reaped
};

/// Every process readable now; one that exits while being read is left out.
inline std::vector<proc_info> all_processes() {
  namespace fs = std::filesystem;
  std::vector<proc_info> out;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(it->path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    proc_info p;
    p.pid = std::stoi(name);
    std::istringstream rest(line.substr(close + 1));
    rest >> p.state >> p.ppid >> p.pgrp;
    out.push_back(p);
  }
  return out;
}

}  // namespace janus::testing
