// libFuzzer entry point; the checks live in targets/base64_target.hpp, shared with the replay test.
#include "targets/base64_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return janus::fuzz::base64_one_input(data, size);
}
