#include "janus/rt/supervisor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "janus/rt/actor_cell.hpp"
#include "janus/rt/scheduler.hpp"

namespace janus::rt {

duration restart_backoff(const restart_policy& p, std::size_t n) noexcept {
  if (n == 0) return duration::zero();
  const double scale = std::pow(p.factor, static_cast<double>(n - 1));
  const double ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(p.initial_backoff).count()) * scale;
  const double cap = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(p.max_backoff).count());
  return std::chrono::duration_cast<duration>(std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(ns, cap))));
}

supervisor::supervisor(scheduler& s, strategy st, std::string name) : sched_(s), strategy_(st), name_(std::move(name)) {}

supervisor::supervisor(supervisor& parent, strategy st, std::string name, child_policy policy_in_parent)
    : sched_(parent.sched_), strategy_(st), name_(std::move(name)), parent_(&parent) {
  parent.adopt_sub(*this, policy_in_parent);
}

supervisor::~supervisor() {
  stop();
  const deadline d(stop_timeout());
  const bool all_stopped =
      sched_.poll_mode() ? sched_.run_until([this] { return stopped(); }, d) : wait_stopped(d);
  if (!all_stopped) abort_stuck_children();
  if (parent_) parent_->sub_stopped(*this);
}

// When the deadline passes, some child has not stopped: typically a handler that blocks its
// worker thread (a synchronous wait with no deadline), so its turn never comes back to apply the
// stop. The choices were:
// - return anyway: every stuck child keeps a pointer to this supervisor and calls child_stopped
//   (or child_failed) on it whenever its turn does run: a use after free, silent corruption;
// - leak it: the supervisor is usually a local or a member, its memory is not ours to keep;
// - wait for ever: a hang at exit, with nothing said about which actor is stuck;
// - say which children are stuck and abort.
// The last is the only one that neither corrupts memory nor hangs, and the message (plus the core
// dump) points at the actor to fix.
void supervisor::abort_stuck_children() const noexcept {
  std::string names;
  std::size_t n = 0;
  {
    std::unique_lock lk(mu_, std::try_to_lock);  // a stuck child might hold it: do not wait
    if (lk.owns_lock()) {
      n = children_.size();
      for (const auto& c : children_) {
        if (names.size() > 200) {
          names += ", ...";
          break;
        }
        if (!names.empty()) names += ", ";
        names += "'" + (c.cell ? c.cell->name() : c.sub->name()) + "'";
      }
    }
  }
  const auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(stop_timeout()).count() / 1000.0;
  std::fprintf(stderr,
               "janus: supervisor '%s': %zu child(ren) still running %.1f s after stop() [%s]; aborting, "
               "since they still refer to the supervisor being destroyed (a handler blocking its worker "
               "thread?)\n",
               name_.c_str(), n, secs, names.c_str());
  std::fflush(stderr);
  std::abort();
}

void supervisor::adopt(actor_cell_base& child, child_policy p) {
  std::lock_guard lk(mu_);
  child.add_ref();
  children_.push_back(entry{&child, nullptr, p, {}});
  stopped_ = false;
}

void supervisor::adopt_sub(supervisor& sub, child_policy p) {
  std::lock_guard lk(mu_);
  children_.push_back(entry{nullptr, &sub, p, {}});
  stopped_ = false;
}

supervisor::entry* supervisor::find(const actor_cell_base* c) {
  for (auto& e : children_)
    if (e.cell == c) return &e;
  return nullptr;
}
supervisor::entry* supervisor::find(const supervisor* s) {
  for (auto& e : children_)
    if (e.sub == s) return &e;
  return nullptr;
}

std::size_t supervisor::child_count() const {
  std::lock_guard lk(mu_);
  return children_.size();
}

std::uint64_t supervisor::escalations() const noexcept {
  std::lock_guard lk(mu_);
  return escalations_;
}

supervisor::decision supervisor::decide(entry& e, const error& err, std::unique_lock<std::mutex>& lk) {
  decision d{e.policy.on_failure, duration::zero()};
  if (d.what == directive::restart) {
    const auto now = clock::now();
    while (!e.restarts.empty() && now - e.restarts.front() > e.policy.restart.window) e.restarts.pop_front();
    if (e.restarts.size() >= e.policy.restart.max_restarts) {
      d.what = directive::escalate;
    } else {
      e.restarts.push_back(now);
      d.delay = restart_backoff(e.policy.restart, e.restarts.size());
    }
  }
  if (d.what == directive::escalate) {
    ++escalations_;
    if (!parent_) {
      // Nobody above: give up on every child.
      d = decision{directive::stop, duration::zero()};
    } else {
      lk.unlock();
      d = parent_->failed_as_child(*this, err);
      lk.lock();
      // The parent's decision is about this supervisor as a whole: apply it to every child.
      if (d.what != directive::resume) {
        const actor_cell_base* except = e.cell;
        lk.unlock();
        apply_to_all(d, except);
        lk.lock();
      }
      return d;
    }
  }
  if (strategy_ == strategy::one_for_all && (d.what == directive::restart || d.what == directive::stop)) {
    const actor_cell_base* except = e.cell;
    lk.unlock();
    apply_to_all(d, except);
    lk.lock();
  }
  return d;
}

supervisor::decision supervisor::child_failed(actor_cell_base& child, const error& err) {
  std::unique_lock lk(mu_);
  entry* e = find(&child);
  if (!e) return decision{directive::stop, duration::zero()};
  return decide(*e, err, lk);
}

supervisor::decision supervisor::failed_as_child(supervisor& child_sup, const error& err) {
  std::unique_lock lk(mu_);
  entry* e = find(&child_sup);
  if (!e) return decision{directive::stop, duration::zero()};
  return decide(*e, err, lk);
}

void supervisor::apply_to_all(const decision& d, const actor_cell_base* except) {
  std::vector<actor_cell_base*> cells;
  std::vector<supervisor*> subs;
  {
    std::lock_guard lk(mu_);
    for (auto& c : children_) {
      if (c.cell && c.cell != except) {
        c.cell->add_ref();
        cells.push_back(c.cell);
      } else if (c.sub) {
        subs.push_back(c.sub);
      }
    }
  }
  for (auto* c : cells) {
    switch (d.what) {
      case directive::restart: c->request_restart(d.delay); break;
      case directive::stop:
      case directive::escalate: c->request_stop(); break;
      case directive::resume: c->request_resume(); break;
    }
    c->release();
  }
  for (auto* s : subs) s->apply_to_all(d, nullptr);
}

void supervisor::child_stopped(actor_cell_base& child) {
  std::unique_lock lk(mu_);
  auto it = std::find_if(children_.begin(), children_.end(), [&](const entry& e) { return e.cell == &child; });
  if (it == children_.end()) return;
  children_.erase(it);
  lk.unlock();
  child.release();
  lk.lock();
  maybe_stopped(lk);
}

void supervisor::sub_stopped(supervisor& sub) {
  std::unique_lock lk(mu_);
  auto it = std::find_if(children_.begin(), children_.end(), [&](const entry& e) { return e.sub == &sub; });
  if (it != children_.end()) children_.erase(it);
  maybe_stopped(lk);
}

void supervisor::maybe_stopped(std::unique_lock<std::mutex>&) {
  // Notify under the lock: the waiter in ~supervisor may destroy the supervisor as soon as it
  // can take the lock again.
  if (children_.empty()) {
    stopped_ = true;
    cv_.notify_all();
  }
}

void supervisor::stop() {
  std::vector<actor_cell_base*> cells;
  std::vector<supervisor*> subs;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    if (children_.empty()) stopped_ = true;
    // Newest first: later children tend to depend on earlier ones.
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if (it->cell) {
        it->cell->add_ref();
        cells.push_back(it->cell);
      } else {
        subs.push_back(it->sub);
      }
    }
  }
  for (auto* s : subs) s->stop();
  for (auto* c : cells) {
    c->request_stop();
    c->release();
  }
  cv_.notify_all();
}

bool supervisor::stopped() const {
  std::lock_guard lk(mu_);
  return children_.empty();
}

bool supervisor::wait_stopped(deadline d) {
  std::unique_lock lk(mu_);
  if (d.is_never()) {
    cv_.wait(lk, [&] { return children_.empty(); });
    return true;
  }
  return cv_.wait_until(lk, d.at(), [&] { return children_.empty(); });
}

}  // namespace janus::rt
