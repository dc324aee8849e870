// The smallest program built against an installed Janus: it runs one coroutine to completion on a
// scheduler that starts no threads, and parses a CDP reply with the protocol layer's JSON value.
// tests/install builds it through janus.pc, a meson subproject and the CMake package, so it must
// keep using only the public headers and compiled library symbols.
#include <janus/protocol/json_value.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <cstdio>

namespace {

janus::rt::task<int> answer() { co_return 42; }

}  // namespace

int main() {
  janus::rt::scheduler s{janus::rt::scheduler_options{.workers = 0}};
  const int got = s.block_on(answer());
  const auto reply = janus::protocol::json_value::parse(R"({"id":1,"result":{"product":"Chrome"}})");
  const bool parsed = reply && (*reply)["result"]["product"].as_string() == "Chrome";
  std::printf("janus consumer: block_on(answer()) = %d, reply parsed: %s\n", got, parsed ? "yes" : "no");
  return got == 42 && parsed ? 0 : 1;
}
