// The command line of one `janus` subcommand: positional arguments and --options, checked
// against what the subcommand declares, so a typo is a usage error rather than silently ignored.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace janus::cli {

/// What a subcommand accepts: options that take a value, and flags that do not.
struct arg_spec {
  std::set<std::string> valued;  // "--timeout"
  std::set<std::string> flags;   // "--json"
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;
};

class parsed_args {
 public:
  /// Parses argv[first..]; on a usage error returns nothing and sets `error`.
  static std::optional<parsed_args> parse(int argc, char** argv, int first, const arg_spec& spec, std::string& error);

  const std::vector<std::string>& positional() const noexcept { return positional_; }
  bool flag(const std::string& name) const { return flags_.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, std::string fallback) const;
  /// The option as a non-negative integer; `error` set when present but not one.
  std::optional<unsigned long long> number(const std::string& name, unsigned long long fallback, std::string& error) const;

 private:
  std::vector<std::string> positional_;
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
};

}  // namespace janus::cli
