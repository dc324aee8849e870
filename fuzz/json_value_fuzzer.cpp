// libFuzzer entry point; the checks live in targets/json_value_target.hpp, shared with the replay test.
#include "targets/json_value_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return janus::fuzz::json_value_one_input(data, size);
}
