// The smallest program built against an installed Janus: it runs one coroutine to completion on a
// scheduler that starts no threads. tests/install builds it through janus.pc and through a meson
// subproject, so it must keep using only the public headers and compiled library symbols.
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <cstdio>

namespace {

janus::rt::task<int> answer() { co_return 42; }

}  // namespace

int main() {
  janus::rt::scheduler s{janus::rt::scheduler_options{.workers = 0}};
  const int got = s.block_on(answer());
  std::printf("janus consumer: block_on(answer()) = %d\n", got);
  return got == 42 ? 0 : 1;
}
