// libFuzzer entry point; the checks live in targets/cdp_typed_target.hpp, shared with the replay test.
#include "targets/cdp_typed_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return janus::fuzz::cdp_typed_one_input(data, size);
}
