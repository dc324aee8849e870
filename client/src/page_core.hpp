// Private to client/: a Chromium page — the state it shares between its handles, its page actor
// and the browser actor (page_core, the page's backend), and the page actor itself.
#pragma once

#include "page_backend.hpp"

#include <janus/session/cdp_session.hpp>
#include <janus/client/page.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/actor.hpp>
#include <janus/rt/cancellation.hpp>
#include <janus/rt/stream.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <string>
#include <variant>

namespace janus::client::detail {

/// What waiters see of a page: each lifecycle-related event of its session, in order, then one
/// `gone` signal if the target crashes or goes away.
///
/// @par Thread Safety
/// A plain value.
struct page_signal {
  session::cdp_event event;
  rt::errc gone = rt::errc::ok;
  std::string why;
};

class page_actor;

/// One subscription made through page::subscribe: the user reads `out`; a relay task forwards the
/// page's current session's events into it, and a restart's re-attach hands the relay a
/// subscription on the new session (`replacement`) before the page's domains are enabled again.
///
/// @par Thread Safety
/// `method` and `capacity` are immutable; `replacement` is guarded by mu; `out` is a stream
/// (thread-safe).
struct event_relay {
  event_relay(rt::scheduler& s, std::string m, std::size_t cap) : sched(s), method(std::move(m)), capacity(cap), out(s), idle(s) {}
  rt::scheduler& sched;
  const std::string method;
  const std::size_t capacity;
  rt::stream<session::cdp_event> out;
  /// Never published: what the relay reads between a dead session and its replacement, so that
  /// only a poke wakes it there.
  rt::stream<session::cdp_event> idle;
  std::mutex mu;
  std::optional<rt::subscription<session::cdp_event>> replacement;  // guarded by mu
  rt::cancel_source wake;  // guarded by mu; cancelled by poke, renewed by the relay

  /// Wakes the relay to look again: a replacement, the page gone, its reader gone.
  void poke() {
    rt::cancel_source w;
    {
      std::lock_guard lk(mu);
      w = wake;
    }
    w.cancel();
  }
};

/// @par Thread Safety
/// Every member may be used from any thread: the session, target and actor are replaced only by a
/// browser restart and are read through their accessors (guarded by mu); the rest is atomic or
/// guarded by mu.
struct page_core final : page_backend, std::enable_shared_from_this<page_core> {
  page_core(rt::scheduler& s, session::cdp_session sess, std::string target, std::string context)
      : sched(s), context_id(std::move(context)), signals(s), session_(std::move(sess)), target_id_(std::move(target)) {}
  ~page_core() override;
  page_core(const page_core&) = delete;
  page_core& operator=(const page_core&) = delete;

  // --- page_backend (chromium_page.cpp) ---
  browser_product product() const noexcept override { return browser_product::chromium; }
  std::string session_id() const override { return session().id(); }
  rt::result<rdp_target> rdp() const override;
  rt::task<rt::result<navigation>> navigate(std::string url, wait_until until, rt::deadline d) override;
  rt::task<rt::result<navigation>> reload(wait_until until, rt::deadline d) override;
  rt::task<rt::result<navigation>> go_history(int delta, wait_until until, rt::deadline d) override;
  rt::task<rt::result<void>> set_content(std::string html, rt::deadline d) override;
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options options, rt::deadline d) override;
  domains::network network() override;
  domains::console console() override;
  domains::dom dom() override;
  domains::js_runtime runtime() override;
  domains::css css() override;
  domains::debugger debugger() override;
  domains::performance performance() override;
  rt::task<rt::result<rt::subscription<session::cdp_event>>> subscribe(std::string method, std::size_t capacity) override;
  rt::task<rt::result<protocol::json_value>> evaluate(std::string expression, rt::deadline d) override;
  rt::task<rt::result<void>> wait_for(std::chrono::milliseconds how_long) override;
  rt::task<rt::result<page_info>> info(rt::deadline d) override;

  rt::scheduler& sched;
  /// The browser context the page was opened in (empty: the default one); never changes.
  const std::string context_id;
  rt::stream<page_signal> signals;

  /// The current session, target and page actor: a restart of the browser replaces all three.
  session::cdp_session session() const override;
  std::string target_id() const override;
  rt::actor_ref<page_actor> actor() const;
  /// Set before the page is handed out, and by a restart's re-attach (which stops the old actor).
  void set_actor(rt::actor_ref<page_actor> a);
  /// A restart's re-attach: the page now lives in `target` through `sess`.
  void rebind(session::cdp_session sess, std::string target);
  /// The relays of page::subscribe whose user still reads them.
  std::vector<std::shared_ptr<event_relay>> live_relays();

  /// The page's error once it is gone or while its browser is restarting, else ok.
  rt::result<void> alive() const override;
  /// While the browser is being relaunched: alive() fails with errc::browser_exited and `why`.
  void set_restarting(std::string why);
  void clear_restarting();
  bool restarting() const { return restarting_.load(std::memory_order_acquire); }
  /// First caller wins: fails the session's pending requests and blocks its later ones, tells the
  /// waiters, and ends the signal stream and page::subscribe's subscriptions with the error.
  /// Returns whether this call made it gone.
  bool mark_gone(rt::errc code, std::string why);
  /// The page's session reported its browser dead (its event stream ended with
  /// errc::browser_exited): the page is gone with it, unless a supervisor is relaunching the
  /// browser (`supervised`); then the waits in progress end with that error (a `gone` signal that
  /// does not close the stream, and page::subscribe's next() interrupted) and the page lives on.
  void browser_exited(const rt::error& why);
  /// A subscription to the signals, made before a command is sent (arm-then-act). Lossy only in
  /// theory: a waiter reads continuously once its command is answered, and the page produces a
  /// few dozen lifecycle events per document.
  rt::subscription<page_signal> watch() { return signals.subscribe(4096, rt::overflow::drop_oldest); }

  // From Target.targetInfoChanged (the browser actor).
  void set_target_info(std::string title, std::string url);
  std::pair<std::string, std::string> title_and_url() const;

  std::atomic<rt::errc> gone{rt::errc::ok};
  mutable std::mutex mu;
  std::string gone_why;  // guarded by mu
  std::string title;     // guarded by mu
  std::string target_url;   // guarded by mu
  std::string restart_why;  // guarded by mu
  std::atomic<bool> restarting_{false};
  /// Its browser has a restart policy (set before the page is handed out).
  std::atomic<bool> supervised{false};
  session::cdp_session session_;                // guarded by mu
  std::string target_id_;              // guarded by mu
  rt::actor_ref<page_actor> actor_;    // guarded by mu
  std::vector<std::weak_ptr<event_relay>> relays_;  // guarded by mu

  // The domain handles, started on first use (guarded by mu); their actors stop with the last
  // handle, which is this core's once the user's copies are gone.
  struct started_domains {
    domains::network network;
    domains::console console;
    domains::dom dom;
    domains::js_runtime runtime;
    domains::css css;
    domains::debugger debugger;
    domains::performance performance;
  } started;
};

/// Follows one page's lifecycle from its session's Page and Inspector events, republishes them to
/// the page's waiters, and notices a crash reported on the session.
///
/// @par Thread Safety
/// Used through its actor_ref from any thread.
class page_actor : public rt::actor<page_actor> {
 public:
  /// Start following: the subscription was made before Page.enable, so nothing is missed.
  struct run {
    std::shared_ptr<rt::subscription<session::cdp_event>> events;
  };
  /// The main frame as Page.getFrameTree reports it when the page is attached (its first document
  /// may have loaded before we were listening).
  struct seed {
    std::string frame_id;
    std::string loader_id;
    std::string url;
    bool loaded = false;
  };
  struct get_info {};
  using message = std::variant<run, seed, get_info>;
  static constexpr std::size_t mailbox_capacity = 64;

  explicit page_actor(std::weak_ptr<page_core> core) : core_(std::move(core)) {}

  rt::task<void> handle(run r);
  void handle(seed s);
  page_info handle(get_info) const;

 private:
  void apply(const session::cdp_event& ev, const protocol::json_value& params);

  std::weak_ptr<page_core> core_;
  std::string frame_id_;
  std::string loader_id_;
  std::string url_;
  bool dom_content_loaded_ = false;
  bool loaded_ = false;
  bool seen_navigation_ = false;  // a seed must not overwrite what events already said
};

inline rt::error in_context(rt::error e, const std::string& what) {
  e.message = what + ": " + e.message;
  return e;
}

inline std::string string_of(const protocol::json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}

/// A raw call whose reply's `result` is parsed; the method names the error.
rt::task<rt::result<protocol::json_value>> call_json(session::cdp_session s, std::string method, std::string params,
                                                      rt::deadline d);

}  // namespace janus::client::detail
