// A Chromium browser driven over one CDP connection: its targets, its pages and its isolated
// browser contexts.
//
//   auto b = co_await browser::launch(sched);                       // owns the process
//   auto b = co_await browser::connect(sched, "http://127.0.0.1:9222");   // reads /json/version
//   auto p = co_await b->new_page(url);
//   co_await b->close_page(*p);
//
// The browser actor keeps the target list current from Target.setDiscoverTargets' events
// (targetCreated, targetInfoChanged, targetDestroyed) and routes the target events that concern a
// page (crash, detach, destruction) to that page, which then fails its session's requests (see
// page.hpp). Every page is a flattened session on the same connection.
//
// Pages are made with Target.createTarget + Target.attachToTarget{flatten: true} rather than
// Target.setAutoAttach: the attach reply names the session of exactly the target we created, so
// new_page needs no correlation of attachedToTarget events, and targets opened by pages
// themselves (popups, workers) are not attached and paused behind our back.
//
// Supervision (launch_options::restart). A launched browser with a restart policy is owned by a
// supervisor (the browser's restart actor), which replaces the process, the connection and the
// browser actor as one unit; its limits and backoff are rt::restart_policy's (rt::restart_backoff),
// counted over restarts and failed relaunches alike. When the process dies (a crash, kill -9, OOM),
// the exit watcher fails every pending request at once with errc::browser_exited (26-165 ms after
// kill -9 in tests/client/restart_test.cpp), and the supervisor, after the policy's backoff,
// launches a new process (a new temporary profile; the dead one's process group and profile are
// removed first) and re-attaches every page the user still holds. More than max_restarts restarts
// within the window: it gives up, every page fails with errc::browser_exited, and state() is
// gave_up. Without a policy (and for adopt / attach / connect, whose processes the browser cannot
// relaunch) nothing changes: a dead browser stays dead.
//
// What survives a restart:
// - the browser and page handles (copies keep working; pages() lists the same pages);
// - subscriptions made with page::subscribe (re-registered on the page's new session);
// - each page's place: it is re-opened in a new target and navigated (wait_until::load) to its
//   last committed URL; if that fails the page stays alive on about:blank;
// - the page's domain actors that had been started (network(), console(), dom(), runtime(),
//   css()): the page replaces each by a fresh actor on the new session and enables it. Their
//   caches start empty: the request table and the console buffer hold only what happened since the
//   restart, the DOM mirror starts a new document, runtime contexts are the new ones.
// What cannot survive:
// - requests pending at the crash: they fail with browser_exited and are never re-sent;
// - calls made during the relaunch: they fail at once with errc::browser_exited ("the browser is
//   restarting"); wait_running(deadline) waits for the restart to finish;
// - state held in the dead process: cookies, storage, the history list, JS objects and handles,
//   form contents, scroll positions; isolated contexts (create_context) — pages in one are failed
//   with browser_exited, as they have nowhere to go;
// - handles and subscriptions taken before the restart from page::session(), from a domain actor
//   obtained earlier (`auto net = p.network()` keeps the old actor: ask the page again), or from
//   connection(): they belong to the dead connection and fail or stay silent. Take them again.
//   Such subscriptions are not re-registered: one made on the old session, or from a domain
//   actor started before the restart, receives nothing more. Subscribe through page::subscribe
//   instead: those are re-registered on the new session before its domains are enabled (events
//   of the dead browser and of the relaunch gap are lost). The domain actors' own subscriptions
//   are made again by the fresh actors.
// - page ids: target_id() and session_id() are the new target's.
//
// Firefox (launch_options::product = browser_product::firefox, or connect("rdp://host:port") or
// connect("rdp://unix:/path/to/socket")):
// the same handle over Firefox's Remote Debugging Protocol. new_page opens a tab (firefox_tab)
// and the page and domain handles it returns are the same types as Chromium's (page.hpp);
// targets() lists the tabs (target_id is the tab descriptor actor); version() asks the parent
// process. No isolated contexts (create_context, dispose_context, new_page in a context) and no
// supervision (a restart policy): those are errc::unsupported. state() is running until close(),
// then closed; when Firefox dies, every pending request and every wait of its pages (navigation,
// settle, console subscriptions, page::wait_for) fails with errc::browser_exited and the pages are
// gone with that error. So are a Chromium's without a restart policy (see page.hpp).
//
// @par Thread Safety
// browser is a handle: copies may be used from any threads at once. The browser (with its
// process, if it owns one) shuts down when the last copy is destroyed or close() is called; it
// must be destroyed before its scheduler.
#pragma once

#include <janus/session/cdp_connection.hpp>
#include <janus/client/browser_product.hpp>
#include <janus/client/chromium_launcher.hpp>
#include <janus/client/firefox_launcher.hpp>
#include <janus/session/rdp_connection.hpp>
#include <janus/client/page.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace janus::client {

/// One entry of the target list (Target.TargetInfo, the fields a user acts on).
///
/// @par Thread Safety
/// A plain value.
struct target_info {
  std::string target_id;
  std::string type;  // "page", "iframe", "service_worker", "browser", ...
  std::string title;
  std::string url;
  bool attached = false;
  std::string browser_context_id;
  std::string opener_id;
  bool crashed = false;  // Target.targetCrashed was seen for it
};

/// Browser.getVersion.
///
/// @par Thread Safety
/// A plain value.
struct browser_version {
  std::string protocol_version;
  std::string product;
  std::string revision;
  std::string user_agent;
  std::string js_version;
};

/// Where a browser is in its life (see "Supervision" above).
enum class browser_state : std::uint8_t {
  running,
  restarting,  // the process died; the supervisor is relaunching it and re-attaching the pages
  gave_up,     // the restart policy's limit was reached: every page failed with browser_exited
  closed,      // close() was called (or the last handle is gone)
};

namespace detail {
class browser_backend;
}  // namespace detail

class browser {
 public:
  /// Launches a headless Chromium (see launch_chromium) and owns it; with options.restart, it is
  /// supervised (see above). With options.product = browser_product::firefox, a headless Firefox
  /// instead (see launch_firefox and "Firefox" above).
  static rt::task<rt::result<browser>> launch(rt::scheduler& sched, launch_options options);
  static rt::task<rt::result<browser>> launch(rt::scheduler& sched) { return launch(sched, launch_options{}); }
  /// Takes over a launched browser process.
  static rt::task<rt::result<browser>> adopt(rt::scheduler& sched, std::unique_ptr<browser_process> process);
  /// Uses a connection already open to a browser (the browser's own session, not a page's).
  static rt::task<rt::result<browser>> attach(rt::scheduler& sched, session::cdp_connection connection);
  /// Connects to `url`: "http://host:port" (the WebSocket URL is read from /json/version's
  /// webSocketDebuggerUrl) or a "ws://" URL itself. errc::transport / errc::timeout / errc::parse
  /// when the HTTP endpoint cannot be read. "rdp://host:port" connects to a running Firefox's
  /// debugger server (`--start-debugger-server PORT`), "rdp://unix:/path/to/socket" one listening
  /// on a Unix domain socket (as a Firefox launched by Janus does: firefox_process::socket_path()).
  /// `options.connect_timeout` bounds the whole connect, up to the browser's answer to the first
  /// command.
  static rt::task<rt::result<browser>> connect(rt::scheduler& sched, std::string url, session::connection_options options);
  static rt::task<rt::result<browser>> connect(rt::scheduler& sched, std::string url) { return connect(sched, std::move(url), session::connection_options{}); }

  browser() = default;

  browser_product product() const noexcept;

  rt::task<rt::result<browser_version>> version(rt::deadline d) const;
  rt::task<rt::result<browser_version>> version() const { return version(std::chrono::seconds(10)); }
  /// The target list as the browser actor knows it now.
  rt::task<rt::result<std::vector<target_info>>> targets(rt::deadline d) const;
  rt::task<rt::result<std::vector<target_info>>> targets() const { return targets(std::chrono::seconds(5)); }

  /// Opens a page in `context` (empty: the default context), attaches to it and, unless `url` is
  /// about:blank, navigates there and waits for its load event.
  rt::task<rt::result<page>> new_page(std::string url, std::string context, rt::deadline d) const;
  rt::task<rt::result<page>> new_page() const { return new_page("about:blank", std::string{}, std::chrono::seconds(30)); }
  rt::task<rt::result<page>> new_page(std::string url) const { return new_page(std::move(url), std::string{}, std::chrono::seconds(30)); }
  rt::task<rt::result<page>> new_page(std::string url, std::string context) const { return new_page(std::move(url), std::move(context), std::chrono::seconds(30)); }
  /// Closes the page's target and waits until the browser reports it detached; the page's pending
  /// and later calls fail with errc::target_closed.
  rt::task<rt::result<void>> close_page(page p, rt::deadline d) const;
  rt::task<rt::result<void>> close_page(page p) const { return close_page(std::move(p), std::chrono::seconds(10)); }
  /// Pages opened through this browser that are not gone.
  std::vector<page> pages() const;

  /// An isolated browser context (its own cookies, storage and cache); returns its id.
  rt::task<rt::result<std::string>> create_context(rt::deadline d) const;
  rt::task<rt::result<std::string>> create_context() const { return create_context(std::chrono::seconds(10)); }
  /// Disposes of a context, closing its pages.
  rt::task<rt::result<void>> dispose_context(std::string context_id, rt::deadline d) const;
  rt::task<rt::result<void>> dispose_context(std::string context_id) const { return dispose_context(std::move(context_id), std::chrono::seconds(10)); }

  /// The current connection (a restart replaces it: a copy kept from before belongs to the dead
  /// one). Empty for Firefox: see rdp().
  session::cdp_connection connection() const;
  /// Firefox's RDP connection; empty for Chromium.
  session::rdp_connection rdp() const;
  /// The current process, when this browser launched or adopted one; else nullptr. A process
  /// replaced by a restart is closed but stays valid until the browser is destroyed. nullptr for
  /// Firefox: see firefox_process().
  browser_process* process() const;
  /// The launched Firefox; nullptr for Chromium and for a Firefox connected to by rdp://.
  client::firefox_process* firefox_process() const;

  browser_state state() const noexcept;
  /// Restarts completed so far (a new process is up and the pages were re-attached).
  std::uint64_t restarts() const noexcept;
  /// Returns once the browser is running (at once if it is): after a restart, its pages are
  /// re-attached. Fails with errc::browser_exited if it gave up, errc::cancelled if closed,
  /// errc::timeout at `d`.
  rt::task<rt::result<void>> wait_running(rt::deadline d) const;
  /// Fails every page, closes the connection, and ends the process if owned. Idempotent.
  void close() const;
  explicit operator bool() const noexcept { return backend_ != nullptr; }

 private:
  explicit browser(std::shared_ptr<detail::browser_backend> backend) : backend_(std::move(backend)) {}
  detail::browser_backend& backend() const noexcept;
  std::shared_ptr<detail::browser_backend> backend_;
};

/// GETs `http://host:port/json/version` and returns its webSocketDebuggerUrl.
rt::task<rt::result<std::string>> fetch_websocket_url(rt::scheduler& sched, std::string http_url, rt::deadline d);
inline rt::task<rt::result<std::string>> fetch_websocket_url(rt::scheduler& sched, std::string http_url) { return fetch_websocket_url(sched, std::move(http_url), std::chrono::seconds(10)); }

}  // namespace janus::client
