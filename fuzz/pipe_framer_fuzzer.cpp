// libFuzzer entry point; the checks live in targets/pipe_framer_target.hpp, shared with the replay test.
#include "targets/pipe_framer_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return janus::fuzz::pipe_framer_one_input(data, size);
}
