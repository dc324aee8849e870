#include "janus/protocol/message_buffers.hpp"

#include <array>
#include <atomic>
#include <algorithm>
#include <bit>
#include <utility>
#include <vector>

namespace janus::protocol::message_buffers {
namespace {

// A test-and-test-and-set lock: the critical sections are a few instructions (a vector push or
// pop), much shorter than what a futex-based mutex costs to enter.
class spinlock {
 public:
  void lock() noexcept {
    for (;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// Buffers are kept by size class: class k holds buffers of capacity at least 2^k, so a take()
// served from class ceil(log2(size)) always fits without growing. Buffers given back from
// anywhere (a string the caller built itself, of any capacity) land in the class below their
// capacity, and can never be handed out too small.
constexpr unsigned min_class = 6;  // 64 B: below that, std::string's growth is cheap and rare
constexpr unsigned max_class = static_cast<unsigned>(std::bit_width(max_kept_capacity) - 1);
constexpr unsigned class_count = max_class - min_class + 1;
// A take() may use a buffer up to this many classes larger than it needs.
constexpr unsigned class_slack = 2;

struct pool {
  spinlock lock;
  std::array<std::vector<std::string>, class_count> kept;
  std::size_t kept_count = 0;
  std::size_t kept_bytes = 0;
  std::atomic<std::uint64_t> reused{0};
  std::atomic<std::uint64_t> allocated{0};
};

// The inline capacity of std::string: such sizes need no buffer at all.
const std::size_t inline_capacity = std::string().capacity();

// Never destroyed: owned messages may die during static destruction (a reply held by a global),
// and they must still find the pool.
pool& the_pool() {
  static pool* p = new pool;
  return *p;
}


// A few buffers per class kept by each thread in front of the shared pool: a thread that gives
// back what it takes (a poll-mode host: encode, write, read, decode, reply, all on one thread)
// never touches the lock, and a thread that takes more than it gives (the reading side in
// worker mode) falls through to the shared pool.
struct thread_cache {
  static constexpr std::size_t per_class = 8;
  std::array<std::array<std::string, per_class>, class_count> slots;
  std::array<std::size_t, class_count> count{};
  bool alive = true;

  ~thread_cache() {
    alive = false;
    for (unsigned c = 0; c < class_count; ++c)
      while (count[c] > 0) give_shared(std::move(slots[c][--count[c]]), c + min_class);
  }

  static void give_shared(std::string&& buffer, unsigned k) noexcept;
};

thread_cache& local_cache() {
  thread_local thread_cache c;
  return c;
}

void thread_cache::give_shared(std::string&& buffer, unsigned k) noexcept {
  const std::size_t cap = buffer.capacity();
  pool& p = the_pool();
  std::string dropped;  // freed outside the lock
  p.lock.lock();
  std::vector<std::string>& v = p.kept[k - min_class];
  // The count is bounded per class: a thread that gives back buffers of a size nobody takes
  // (e.g. strings it built itself) fills its class, not the pool.
  if (v.size() < max_kept_count && p.kept_bytes + cap <= max_kept_bytes) {
    try {
      // Grows only until the class reaches its high-water mark, i.e. during warm-up.
      v.push_back(std::move(buffer));
      ++p.kept_count;
      p.kept_bytes += cap;
    } catch (...) {
      // Out of memory for the slot: the buffer is simply freed.
    }
  } else {
    dropped = std::move(buffer);
  }
  p.lock.unlock();
}

}  // namespace

std::string take(std::size_t size) {
  std::string s;
  if (size <= inline_capacity || size > max_kept_capacity) {
    s.reserve(size);
    return s;
  }
  pool& p = the_pool();
  const unsigned want = std::max(min_class, static_cast<unsigned>(std::bit_width(size - 1)));
  const unsigned last = std::min(max_class, want + class_slack);
  thread_cache& tc = local_cache();
  for (unsigned k = want; k <= last && s.capacity() < size; ++k) {
    std::size_t& n = tc.count[k - min_class];
    if (n > 0) s = std::move(tc.slots[k - min_class][--n]);
  }
  if (s.capacity() < size) {
    p.lock.lock();
    for (unsigned k = want; k <= last; ++k) {
      std::vector<std::string>& v = p.kept[k - min_class];
      if (v.empty()) continue;
      s = std::move(v.back());
      v.pop_back();
      --p.kept_count;
      p.kept_bytes -= s.capacity();
      break;
    }
    p.lock.unlock();
  }
  if (s.capacity() >= size) {
    p.reused.fetch_add(1, std::memory_order_relaxed);
  } else {
    p.allocated.fetch_add(1, std::memory_order_relaxed);
    // The whole class, so that the buffer fits every later message of its class.
    s.reserve(std::size_t{1} << want);
  }
  s.clear();
  return s;
}

void give(std::string&& buffer) noexcept {
  const std::size_t cap = buffer.capacity();
  if (cap < (std::size_t{1} << min_class) || cap > max_kept_capacity) return;
  const unsigned k = static_cast<unsigned>(std::bit_width(cap) - 1);
  thread_cache& tc = local_cache();
  std::size_t& n = tc.count[k - min_class];
  if (tc.alive && n < thread_cache::per_class) {
    tc.slots[k - min_class][n++] = std::move(buffer);
    return;
  }
  thread_cache::give_shared(std::move(buffer), k);
}

stats current_stats() noexcept {
  pool& p = the_pool();
  stats s;
  p.lock.lock();
  s.kept_count = p.kept_count;
  s.kept_bytes = p.kept_bytes;
  p.lock.unlock();
  s.reused = p.reused.load(std::memory_order_relaxed);
  s.allocated = p.allocated.load(std::memory_order_relaxed);
  return s;
}

}  // namespace janus::protocol::message_buffers
