#include "cli_args.hpp"

#include <cerrno>
#include <cstdlib>

namespace janus::cli {

std::optional<parsed_args> parsed_args::parse(int argc, char** argv, int first, const arg_spec& spec,
                                              std::string& error) {
  parsed_args out;
  bool options_done = false;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (!options_done && a == "--") {
      options_done = true;
      continue;
    }
    if (options_done || a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional_.push_back(std::move(a));
      continue;
    }
    std::string name = a, value;
    bool has_value = false;
    if (const auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    if (spec.flags.count(name)) {
      if (has_value) {
        error = name + " takes no value";
        return std::nullopt;
      }
      out.flags_.insert(name);
    } else if (spec.valued.count(name)) {
      if (!has_value) {
        if (i + 1 >= argc) {
          error = name + " needs a value";
          return std::nullopt;
        }
        value = argv[++i];
      }
      out.values_[name] = value;
    } else {
      error = "unknown option " + name;
      return std::nullopt;
    }
  }
  if (out.positional_.size() < spec.min_positional) {
    error = "missing argument";
    return std::nullopt;
  }
  if (out.positional_.size() > spec.max_positional) {
    error = "unexpected argument '" + out.positional_[spec.max_positional] + "'";
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> parsed_args::value(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  return std::nullopt;
}

std::string parsed_args::value_or(const std::string& name, std::string fallback) const {
  if (auto v = value(name)) return *v;
  return fallback;
}

std::optional<unsigned long long> parsed_args::number(const std::string& name, unsigned long long fallback,
                                                      std::string& error) const {
  auto v = value(name);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v->c_str(), &end, 10);
  // Digits only: strtoull alone would take " 5" and "+5", and wrap "-1" round to a huge number.
  if (v->empty() || (*v)[0] < '0' || (*v)[0] > '9' || *end != '\0' || errno != 0) {
    error = name + " needs a non-negative integer, not '" + *v + "'";
    return std::nullopt;
  }
  return n;
}

}  // namespace janus::cli
