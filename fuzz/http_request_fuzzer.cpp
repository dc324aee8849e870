// libFuzzer entry point; the checks live in targets/http_request_target.hpp, shared with the replay test.
#include "targets/http_request_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return janus::fuzz::http_request_one_input(data, size);
}
