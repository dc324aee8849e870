// The error of a call a backend does not override (backend.hpp).
#include <janus/domains/backend.hpp>

namespace janus::domains::detail {

rt::error unsupported_call(const std::string& product, const char* call) {
  if (product.empty())
    return rt::error{rt::errc::invalid_argument, std::string(call) + ": an empty handle (made by neither a page nor start())"};
  return rt::error{rt::errc::unsupported,
                   std::string(call) + ": " + product + "'s debugging protocol has no equivalent"};
}

}  // namespace janus::domains::detail
