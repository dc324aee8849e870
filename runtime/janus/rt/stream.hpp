// stream<T>: a bounded multi-subscriber channel, the way events fan out to their consumers.
//
// Every subscriber has its own bounded queue and its own overflow policy:
// - block: the producer waits (co_await publish) or is refused (try_publish -> mailbox_full)
//   until this subscriber has room; nothing is lost;
// - drop_oldest: the oldest queued item is discarded to make room;
// - drop_newest: the new item is discarded for this subscriber.
// Lossy policies count what they dropped; subscription::dropped() reads the count, so a loss is
// never silent. A subscriber unsubscribes by destroying its subscription.
//
// Items are copied to each subscriber (moved into the last): use a cheap-to-copy T (a small
// struct, a shared_ptr to a large payload).
//
// @par Thread Safety
// stream and subscription members may be called from any thread; a subscription's next() is
// awaited by one consumer at a time.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "janus/rt/cancellation.hpp"
#include "janus/rt/executor.hpp"
#include "janus/rt/result.hpp"
#include "janus/rt/scheduler.hpp"
#include "janus/rt/time.hpp"
#include "janus/rt/timer_queue.hpp"

namespace janus::rt {

enum class overflow : unsigned char { block, drop_oldest, drop_newest };

template <class T>
class subscription;

namespace detail {

template <class T>
struct stream_state {
  struct next_waiter {
    executor* ex = nullptr;
    resumption resume;
    std::optional<result<T>> outcome;
  };
  struct publish_waiter {
    publish_waiter* next = nullptr;
    T* item = nullptr;
    executor* ex = nullptr;
    resumption resume;
    bool closed = false;
  };
  struct sub {
    std::size_t cap;
    overflow policy;
    std::unique_ptr<std::optional<T>[]> ring;
    std::size_t head = 0, count = 0;
    std::atomic<std::uint64_t> dropped{0};
    next_waiter* waiter = nullptr;
    sub(std::size_t c, overflow p) : cap(c == 0 ? 1 : c), policy(p), ring(std::make_unique<std::optional<T>[]>(cap)) {}
    bool full() const noexcept { return count == cap; }
    void push(T&& v) {
      ring[(head + count) % cap].emplace(std::move(v));
      ++count;
    }
    T pop() {
      T v = std::move(*ring[head]);
      ring[head].reset();
      head = (head + 1) % cap;
      --count;
      return v;
    }
  };

  explicit stream_state(scheduler& s) : sched(s) {}

  bool blocked() const noexcept {
    for (auto* s : subs)
      if (s->policy == overflow::block && s->full() && !s->waiter) return true;
    return false;
  }

  static void settle(next_waiter* w, result<T> r) noexcept {
    w->outcome.emplace(std::move(r));
    w->resume.next = nullptr;
    w->ex->post(w->resume);
  }

  // Under mu. Gives `v` to every subscriber according to its policy.
  void deliver(T& v) {
    for (std::size_t i = 0; i < subs.size(); ++i) {
      sub* s = subs[i];
      const bool last = i + 1 == subs.size();
      auto item = [&]() -> T { return last ? std::move(v) : T(v); };
      if (s->waiter) {
        next_waiter* w = std::exchange(s->waiter, nullptr);
        settle(w, result<T>(item()));
      } else if (!s->full()) {
        s->push(item());
      } else if (s->policy == overflow::drop_oldest) {
        (void)s->pop();
        s->push(item());
        s->dropped.fetch_add(1, std::memory_order_relaxed);
      } else {
        s->dropped.fetch_add(1, std::memory_order_relaxed);  // drop_newest (block never gets here)
      }
    }
    ++published;
  }

  // Under mu. Room was made: let waiting publishers through, in order.
  void release_publishers() {
    while (pub_head && !blocked()) {
      publish_waiter* p = pub_head;
      pub_head = p->next;
      if (!pub_head) pub_tail = nullptr;
      deliver(*p->item);
      p->resume.next = nullptr;
      p->ex->post(p->resume);
    }
  }

  bool remove_publisher(publish_waiter* p) noexcept {
    publish_waiter** link = &pub_head;
    publish_waiter* prev = nullptr;
    while (*link && *link != p) {
      prev = *link;
      link = &(*link)->next;
    }
    if (!*link) return false;
    *link = p->next;
    if (pub_tail == p) pub_tail = prev;
    return true;
  }

  scheduler& sched;
  std::mutex mu;
  std::vector<sub*> subs;
  publish_waiter* pub_head = nullptr;
  publish_waiter* pub_tail = nullptr;
  bool closed = false;
  /// What a subscriber gets once the stream is closed and its queue is empty (close(error)).
  error close_error{errc::cancelled, "stream closed"};
  std::uint64_t published = 0;
  /// Run (outside mu, on the leaving subscriber's thread) after a subscriber left.
  std::function<void()> on_unsubscribe;
};

}  // namespace detail

template <class T>
class stream {
  using state = detail::stream_state<T>;

 public:
  explicit stream(scheduler& s) : st_(std::make_shared<state>(s)) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream() { close(); }

  /// A new subscriber that sees every item published from now on.
  subscription<T> subscribe(std::size_t capacity, overflow policy = overflow::block) {
    auto s = std::make_unique<typename state::sub>(capacity, policy);
    std::lock_guard lk(st_->mu);
    st_->subs.push_back(s.get());
    return subscription<T>(st_, std::move(s));
  }

  /// From plain code: deliver now, or errc::mailbox_full if a `block` subscriber has no room
  /// (then nobody gets the item), or errc::cancelled once closed.
  result<void> try_publish(T v) {
    std::lock_guard lk(st_->mu);
    if (st_->closed) return error{errc::cancelled, "stream closed"};
    if (st_->blocked() || st_->pub_head) return error{errc::mailbox_full, "a blocking subscriber is full"};
    st_->deliver(v);
    return {};
  }

  class publish_awaiter {
   public:
    publish_awaiter(std::shared_ptr<state> st, T v) : st_(std::move(st)), item_(std::move(v)) {}
    publish_awaiter(const publish_awaiter&) = delete;
    publish_awaiter& operator=(const publish_awaiter&) = delete;
    ~publish_awaiter() {
      if (parked_) {
        std::lock_guard lk(st_->mu);
        st_->remove_publisher(&w_);
      }
    }
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      std::lock_guard lk(st_->mu);
      if (st_->closed) {
        closed_ = true;
        return false;
      }
      if (!st_->blocked() && !st_->pub_head) {
        st_->deliver(item_);
        return false;
      }
      w_.item = &item_;
      w_.ex = current_executor();
      if (!w_.ex) w_.ex = &st_->sched;
      w_.resume.handle = h;
      w_.next = nullptr;
      if (st_->pub_tail) st_->pub_tail->next = &w_;
      else st_->pub_head = &w_;
      st_->pub_tail = &w_;
      parked_ = true;  // written under the lock that settling takes: no race
      return true;
    }
    result<void> await_resume() {
      {
        std::lock_guard lk(st_->mu);
        parked_ = false;
        if (w_.closed) closed_ = true;
      }
      if (closed_) return error{errc::cancelled, "stream closed"};
      return {};
    }

   private:
    std::shared_ptr<state> st_;
    T item_;
    typename state::publish_waiter w_;
    bool parked_ = false;
    bool closed_ = false;
  };

  /// `co_await s.publish(v)`: waits while a `block` subscriber is full.
  publish_awaiter publish(T v) { return publish_awaiter(st_, std::move(v)); }

  /// End the stream: subscribers get what is queued, then errc::cancelled; waiting publishers
  /// fail with errc::cancelled.
  void close() { close(error{errc::cancelled, "stream closed"}); }
  /// close(), but subscribers get `why` after what is queued, so that they learn the cause
  /// (errc::browser_exited, ...) rather than a bare end. The first close wins.
  void close(error why) {
    std::lock_guard lk(st_->mu);
    if (st_->closed) return;
    st_->closed = true;
    st_->close_error = std::move(why);
    for (auto* s : st_->subs)
      if (s->waiter) state::settle(std::exchange(s->waiter, nullptr), result<T>(st_->close_error));
    while (st_->pub_head) {
      auto* p = st_->pub_head;
      st_->pub_head = p->next;
      p->closed = true;
      p->resume.next = nullptr;
      p->ex->post(p->resume);
    }
    st_->pub_tail = nullptr;
  }

  /// Ends every next() waiting now with `why`, without closing: later next() calls wait for
  /// items as before. For a stream that outlives an interruption of its source (a browser that
  /// is being restarted) whose waiters must not sit through it.
  void interrupt(const error& why) {
    std::lock_guard lk(st_->mu);
    for (auto* s : st_->subs)
      if (s->waiter) state::settle(std::exchange(s->waiter, nullptr), result<T>(why));
  }

  std::size_t subscriber_count() const {
    std::lock_guard lk(st_->mu);
    return st_->subs.size();
  }
  std::uint64_t published() const {
    std::lock_guard lk(st_->mu);
    return st_->published;
  }

  /// The producer's: `fn` runs each time a subscriber leaves (its subscription destroyed), on the
  /// thread that destroys it, with no lock held; for a forwarder that should stop when its
  /// reader is gone instead of noticing at its next item. Set before subscribers can leave.
  void on_unsubscribe(std::function<void()> fn) {
    std::lock_guard lk(st_->mu);
    st_->on_unsubscribe = std::move(fn);
  }

 private:
  std::shared_ptr<state> st_;
};

template <class T>
class subscription {
  using state = detail::stream_state<T>;

 public:
  subscription() = default;
  subscription(subscription&&) noexcept = default;
  subscription& operator=(subscription&& o) noexcept {
    if (this != &o) {
      reset();
      st_ = std::move(o.st_);
      sub_ = std::move(o.sub_);
    }
    return *this;
  }
  ~subscription() { reset(); }

  explicit operator bool() const noexcept { return static_cast<bool>(sub_); }

  /// Items this subscriber lost to its overflow policy.
  std::uint64_t dropped() const noexcept { return sub_ ? sub_->dropped.load(std::memory_order_relaxed) : 0; }
  std::size_t queued() const {
    std::lock_guard lk(st_->mu);
    return sub_->count;
  }

  /// The next item if one is queued.
  std::optional<T> try_next() {
    std::lock_guard lk(st_->mu);
    if (sub_->count == 0) return std::nullopt;
    T v = sub_->pop();
    st_->release_publishers();
    return v;
  }

  class next_awaiter {
   public:
    next_awaiter(subscription& s, deadline d) : s_(s), deadline_(d) {
      timer_.owner = this;
      timer_.fire = &on_deadline;
    }
    next_awaiter(subscription& s, deadline d, cancel_token c) : s_(s), deadline_(d), cancel_(std::move(c)) {
      timer_.owner = this;
      timer_.fire = &on_deadline;
    }
    next_awaiter(const next_awaiter&) = delete;
    next_awaiter& operator=(const next_awaiter&) = delete;
    ~next_awaiter() {
      cancel_reg_.reset();  // first: a callback running now touches the waiter
      if (waiting_) {
        std::lock_guard lk(s_.st_->mu);
        if (s_.sub_->waiter == &w_) s_.sub_->waiter = nullptr;
      }
      if (timer_armed_) s_.st_->sched.timers().cancel(timer_);
    }

    bool await_ready() {
      std::lock_guard lk(s_.st_->mu);
      auto& sub = *s_.sub_;
      if (sub.count > 0) {
        // A consumer draining a full queue in one go would hold a time-budgeted poll: it yields
        // to the next call and takes the item when it resumes.
        if (detail::time_slice_over()) {
          yielding_ = true;
          return false;
        }
        w_.outcome.emplace(sub.pop());
        s_.st_->release_publishers();
        return true;
      }
      if (s_.st_->closed) {
        w_.outcome.emplace(s_.st_->close_error);
        return true;
      }
      if (deadline_.expired()) {
        w_.outcome.emplace(error{errc::timeout, "no item before the deadline"});
        return true;
      }
      if (cancel_.cancelled()) {
        w_.outcome.emplace(error{errc::cancelled, "the wait for the next item was cancelled"});
        return true;
      }
      return false;
    }
    bool await_suspend(std::coroutine_handle<> h) {
      w_.ex = current_executor();
      if (!w_.ex) w_.ex = &s_.st_->sched;
      w_.resume.handle = h;
      if (yielding_) {
        w_.ex->post(w_.resume);  // behind the jobs already queued: nothing is reordered
        return true;
      }
      if (!deadline_.is_never()) {
        timer_.when = deadline_.at();
        timer_armed_ = true;
        s_.st_->sched.add_timer(timer_);
      }
      // Registered before the waiter is published, and outside the lock (a token cancelled
      // already runs the callback here, and it takes the lock): once the waiter is published
      // another thread may resume this coroutine and end this awaiter, so nothing below may
      // touch it after the lock is released.
      if (cancel_.can_be_cancelled()) cancel_.on_cancel(cancel_reg_, [this] { on_cancel(); });
      std::lock_guard lk(s_.st_->mu);
      auto& sub = *s_.sub_;
      // Re-check under the lock: an item may have arrived since await_ready.
      if (sub.count > 0) {
        w_.outcome.emplace(sub.pop());
        s_.st_->release_publishers();
        return false;
      }
      if (s_.st_->closed) {
        w_.outcome.emplace(s_.st_->close_error);
        return false;
      }
      // A cancel or deadline that came before the waiter was published, told under this lock.
      if (early_) {
        w_.outcome.emplace(std::move(*early_));
        return false;
      }
      sub.waiter = &w_;
      waiting_ = true;  // under the lock that settling takes
      return true;
    }
    result<T> await_resume() {
      cancel_reg_.reset();
      if (yielding_) {
        // Only this consumer takes items: the one seen before yielding is still queued.
        std::lock_guard lk(s_.st_->mu);
        auto& sub = *s_.sub_;
        if (sub.count > 0) {
          w_.outcome.emplace(sub.pop());
          s_.st_->release_publishers();
        } else if (s_.st_->closed) {
          w_.outcome.emplace(s_.st_->close_error);
        } else {
          w_.outcome.emplace(error{errc::cancelled, "the subscription's queue was emptied while its consumer yielded"});
        }
        return std::move(*w_.outcome);
      }
      if (timer_armed_) {
        s_.st_->sched.timers().cancel(timer_);
        timer_armed_ = false;
      }
      if (waiting_) {
        std::lock_guard lk(s_.st_->mu);
        waiting_ = false;
        if (s_.sub_->waiter == &w_) s_.sub_->waiter = nullptr;
      }
      return std::move(*w_.outcome);
    }

   private:
    struct node : timer_queue::node {
      next_awaiter* owner = nullptr;
    };
    static void on_deadline(timer_queue::node* n) noexcept {
      auto* self = static_cast<node*>(n)->owner;
      std::lock_guard lk(self->s_.st_->mu);
      if (!self->waiting_) {  // fired before await_suspend published the waiter
        self->early_.emplace(error{errc::timeout, "no item before the deadline"});
        return;
      }
      if (self->s_.sub_->waiter != &self->w_) return;  // an item or the close got there first
      self->s_.sub_->waiter = nullptr;
      state::settle(&self->w_, result<T>(error{errc::timeout, "no item before the deadline"}));
    }

    void on_cancel() noexcept {
      std::lock_guard lk(s_.st_->mu);
      if (!waiting_) {  // before await_suspend published the waiter
        early_.emplace(error{errc::cancelled, "the wait for the next item was cancelled"});
        return;
      }
      if (s_.sub_->waiter != &w_) return;  // an item, the close or the deadline got there first
      s_.sub_->waiter = nullptr;
      state::settle(&w_, result<T>(error{errc::cancelled, "the wait for the next item was cancelled"}));
    }

    subscription& s_;
    deadline deadline_;
    cancel_token cancel_;
    cancel_registration cancel_reg_;
    typename state::next_waiter w_;
    node timer_;
    bool timer_armed_ = false;
    bool waiting_ = false;  // written under the stream's mu
    std::optional<error> early_;  // guarded by the stream's mu
    bool yielding_ = false;  // gave the rest of a time-budgeted poll back (see await_ready)
  };

  /// `co_await sub.next(deadline)`: the next item, errc::timeout, or errc::cancelled (the error
  /// given to close(error)) once the stream is closed and this subscriber's queue is empty; the
  /// error given to stream::interrupt if that comes while waiting.
  next_awaiter next(deadline d = deadline::never()) { return next_awaiter(*this, d); }
  /// The same, also ended with errc::cancelled when `c` is cancelled (before or while waiting).
  next_awaiter next(deadline d, cancel_token c) { return next_awaiter(*this, d, std::move(c)); }

 private:
  template <class>
  friend class stream;
  subscription(std::shared_ptr<state> st, std::unique_ptr<typename state::sub> s) : st_(std::move(st)), sub_(std::move(s)) {}

  void reset() {
    if (!sub_) return;
    std::function<void()> told;
    {
      std::lock_guard lk(st_->mu);
      auto& v = st_->subs;
      v.erase(std::remove(v.begin(), v.end(), sub_.get()), v.end());
      st_->release_publishers();  // a full blocking subscriber leaving may unblock the producer
      told = st_->on_unsubscribe;
    }
    sub_.reset();
    if (told) told();
  }

  std::shared_ptr<state> st_;
  std::unique_ptr<typename state::sub> sub_;
};

}  // namespace janus::rt
