#include "signals.hpp"

#include <janus/client/launched_browsers.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

namespace janus::cli {

namespace {

std::atomic<bool> stopping{false};

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void install_signal_handling() {
  const sigset_t set = handled_signals();
  if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return;
  std::thread([set] {
    int sig = 0;
    while (::sigwait(&set, &sig) != 0) {
    }
    stopping.store(true, std::memory_order_release);
    client::close_launched_browsers();
    std::fprintf(stderr, "janus: stopped by SIG%s; the browser was closed\n", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    std::fflush(stderr);
    // _exit: the other threads are still running the job, and static destructors must not run
    // under them.
    ::_exit(128 + sig);
  }).detach();
}

void yield_to_signal_if_any() {
  if (!stopping.load(std::memory_order_acquire)) return;
  for (;;) ::pause();  // the signal thread calls _exit
}

}  // namespace janus::cli
