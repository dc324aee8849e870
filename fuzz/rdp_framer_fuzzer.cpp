// libFuzzer entry point; the checks live in targets/rdp_framer_target.hpp, shared with the replay test.
#include "targets/rdp_framer_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return janus::fuzz::rdp_framer_one_input(data, size);
}
