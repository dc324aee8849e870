// The environment for a browser a test spawns itself: this process's, with TMPDIR pointing into
// a directory the test removes. Chromium keeps its singleton socket in
// $TMPDIR/org.chromium.Chromium.XXXXXX and removes it only on a clean exit; a browser a test ends
// with SIGKILL left one in /tmp per run (90 of them on the CI machine before this).
#pragma once

#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace janus::testing {

/// Owns the strings; `pointers()` gives the NULL-terminated array posix_spawn wants.
class private_tmpdir_env {
 public:
  explicit private_tmpdir_env(const std::string& tmpdir) {
    for (char** e = environ; e && *e; ++e)
      if (std::string_view(*e).rfind("TMPDIR=", 0) != 0) vars_.emplace_back(*e);
    vars_.push_back("TMPDIR=" + tmpdir);
    for (auto& v : vars_) pointers_.push_back(v.data());
    pointers_.push_back(nullptr);
  }
  private_tmpdir_env(const private_tmpdir_env&) = delete;
  private_tmpdir_env& operator=(const private_tmpdir_env&) = delete;

  char** pointers() { return pointers_.data(); }

 private:
  std::vector<std::string> vars_;
  std::vector<char*> pointers_;
};

}  // namespace janus::testing
