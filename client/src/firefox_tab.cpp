// firefox_tab: attaching to a tab and following it (the pump), navigation and its waits,
// content, screenshots, info and closing. Evaluation is in firefox_tab_evaluate.cpp, the console
// and network tables in firefox_tab_tables.cpp, the state in firefox_tab_state.hpp.
#include "firefox_tab_state.hpp"

#include <janus/protocol/base64.hpp>

#include <cstdio>
#include <cstdlib>

namespace janus::client {

using detail::firefox_tab_core;
using detail::firefox_tab_state;
using namespace detail;
using namespace std::chrono_literals;

namespace detail {

rt::result<void> check_alive(const std::shared_ptr<firefox_tab_core>& c) {
  if (!c) return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  const rt::errc code = c->end->code.load(std::memory_order_acquire);
  if (code != rt::errc::ok) return rt::error{code, c->end->why};
  return {};
}

// The current top-level target's actors, once there is one.
rt::task<rt::result<firefox_tab_state::top_target>> current_target(std::shared_ptr<firefox_tab_core> c,
                                                                   rt::deadline d) {
  state_check<firefox_tab_state::top_target> check =
      [](firefox_tab_state& s, rt::time_point&) -> std::optional<rt::result<firefox_tab_state::top_target>> {
    if (s.gone != rt::errc::ok) return rt::result<firefox_tab_state::top_target>(s.gone_error());
    if (!s.top.alive || s.top.console.empty()) return std::nullopt;
    return rt::result<firefox_tab_state::top_target>(s.top);
  };
  co_return co_await wait_state<firefox_tab_state::top_target>(c, d, std::move(check),
                                                               "firefox tab: no live document before the deadline");
}

// A request to one of the current document's actors: if the document was replaced meanwhile, the
// failure is reported as what it is, target_closed.
rt::error target_error(rt::error e, const std::string& what) {
  if (e.code == rt::errc::protocol && e.message.rfind("noSuchActor", 0) == 0) e.code = rt::errc::target_closed;
  return in_context(std::move(e), what);
}


}  // namespace detail

namespace {

}  // namespace

// Files every event of the connection that concerns this tab. The stream ends with the
// connection (browser_exited and its cause when Firefox died): every wait on the tab ends then.
rt::task<void> detail::firefox_tab_actor::handle(pump p) {
  firefox_tab_state& st = *st_;
  for (;;) {
    rt::result<session::rdp_event> ev = co_await p.events->next();
    if (!ev) {
      if (ev.err().code == rt::errc::browser_exited) st.mark_gone(rt::errc::browser_exited, ev.err().message);
      else st.mark_gone(rt::errc::disconnected, "the connection to Firefox ended");
      st.notify_changed();
      co_return;
    }
    st.on_event(*ev);
    st.notify_changed();
    // Published here, where the pump may wait for a `block` subscriber (as Chromium's console
    // actor does); visits run meanwhile, and later events wait in the subscription.
    std::vector<domains::console_entry> out;
    out.swap(st.console_outbox);
    for (domains::console_entry& e : out) (void)co_await st.console_live->publish(std::move(e));
  }
}

namespace {

// A wait's verdict on the state (under its mutex): a result, or none yet. A verdict that time
// alone can change (a quiet period ending) lowers `recheck` to the moment it does.
template <class T>
using state_check = std::function<std::optional<rt::result<T>>(firefox_tab_state&, rt::time_point& recheck)>;


std::string stage_name(wait_until u) {
  switch (u) {
    case wait_until::commit: return "commit";
    case wait_until::domcontentloaded: return "domcontentloaded";
    case wait_until::load: return "load";
    case wait_until::network_idle: return "network idle";
  }
  return "?";
}

// Waits for a new top-level target (one more than `gen0`) to reach `until`, from the pump's state.
rt::task<rt::result<navigation>> wait_state_navigation(std::shared_ptr<firefox_tab_core> c, std::uint64_t gen0,
                                                 std::string old_actor, std::uint64_t net_mark, wait_until until,
                                                 rt::deadline d, std::string what) {
  state_check<navigation> check = [gen0, old_actor, net_mark, until, what](
                                      firefox_tab_state& s, rt::time_point& recheck) -> std::optional<rt::result<navigation>> {
    if (s.gone != rt::errc::ok) return rt::result<navigation>(s.gone_error());
    // A document announced since the request, not the one it was sent from.
    if (s.generation <= gen0 || s.top.actor == old_actor) return std::nullopt;
    if (s.top.error_page)
      return rt::result<navigation>(rt::error{rt::errc::protocol, what + ": Firefox showed its error page"});
    bool done = false;
    switch (until) {
      case wait_until::commit: done = true; break;
      case wait_until::domcontentloaded: done = s.interactive; break;
      case wait_until::load: done = s.complete; break;
      case wait_until::network_idle:
        // Quiet counts from the load event at the earliest: requests the page starts from its
        // load handler are announced a little later (resources are batched every 100 ms).
        if (s.complete) done = s.network_idle(net_mark, network_quiet, s.complete_at, recheck);
        break;
    }
    if (!done) return std::nullopt;
    navigation n;
    n.url = s.top.url;
    n.frame_id = std::to_string(s.top.browsing_context);
    n.loader_id = std::to_string(s.top.inner_window);
    return rt::result<navigation>(std::move(n));
  };
  co_return co_await wait_state<navigation>(c, d, std::move(check),
                                            what + ": " + stage_name(until) + " not reached before the deadline");
}

// As wait_state_navigation, but domcontentloaded is asked of the page itself: Firefox sends the
// dom-interactive resource late, only once the document's pending loads (a slow image) are done,
// so it marks `load` rather than DOMContentLoaded. Once the new document is committed, a script
// in it resolves at DOMContentLoaded; if that document is replaced meanwhile (a redirect, another
// navigation) the wait moves on to the next one.
rt::task<rt::result<navigation>> wait_navigation(std::shared_ptr<firefox_tab_core> c, std::uint64_t gen0,
                                                 std::string old_actor, std::uint64_t net_mark, wait_until until,
                                                 rt::deadline d, std::string what) {
  if (until != wait_until::domcontentloaded)
    co_return co_await wait_state_navigation(c, gen0, std::move(old_actor), net_mark, until, d, std::move(what));
  for (;;) {
    rt::result<navigation> committed =
        co_await wait_state_navigation(c, gen0, old_actor, net_mark, wait_until::commit, d, what);
    if (!committed) co_return committed;
    struct seen {
      bool interactive;
      std::string actor;
      std::uint64_t gen;
    };
    auto look1 = [](firefox_tab_state& s) { return seen{s.interactive, s.top.actor, s.generation}; };
    rt::result<seen> now = co_await visit_state(c, std::move(look1), d);
    if (!now) co_return std::move(now).err();
    if (now->interactive) co_return committed;
    const std::string actor = now->actor;
    const std::uint64_t gen = now->gen;
    rt::result<json_value> ready = co_await firefox_tab(c).evaluate(
        std::string("document.readyState !== 'loading' || new Promise((r) => "
                    "document.addEventListener('DOMContentLoaded', () => r(true), {once: true}))"),
        d);
    if (ready) {
      // Marked in the state only if the same document is still current.
      auto look2 = [actor](firefox_tab_state& s) -> std::optional<std::string> {
            if (s.top.actor != actor) return std::nullopt;
            s.interactive = true;
            s.notify_changed();
            return s.top.url;
          };
      rt::result<std::optional<std::string>> marked = co_await visit_state(c, std::move(look2), d);
      if (!marked) co_return std::move(marked).err();
      if (*marked) {
        committed->url = **marked;
        co_return committed;
      }
    } else if (ready.err().code != rt::errc::target_closed) {
      co_return in_context(std::move(ready).err(), what);
    }
    // Replaced by a later document: wait for that one.
    gen0 = gen;
    old_actor = actor;
  }
}


}  // namespace

// --- free functions -----------------------------------------------------------------------------

rt::task<rt::result<std::vector<firefox_tab_info>>> list_firefox_tabs(session::rdp_connection conn, rt::deadline d) {
  rt::result<json_value> r = co_await req(conn, "root", "listTabs", json_value::object(), d);
  if (!r) co_return in_context(std::move(r).err(), "listTabs");
  std::vector<firefox_tab_info> out;
  if (const auto* tabs = (*r)["tabs"].get_array()) {
    for (const json_value& t : *tabs) {
      firefox_tab_info i;
      i.actor = str_of(t["actor"]);
      i.browser_id = int_of(t["browserId"]);
      i.url = str_of(t["url"]);
      i.title = str_of(t["title"]);
      i.selected = bool_of(t["selected"]);
      out.push_back(std::move(i));
    }
  }
  co_return out;
}

rt::task<rt::result<json_value>> firefox_chrome_eval(session::rdp_connection conn, std::string js, rt::deadline d) {
  json_value gp = json_value::object();
  gp.set("id", 0);
  rt::result<json_value> proc = co_await req(conn, "root", "getProcess", std::move(gp), d);
  if (!proc) co_return in_context(std::move(proc).err(), "chrome eval: getProcess");
  const std::string descriptor = str_of((*proc)["processDescriptor"]["actor"]);
  rt::result<json_value> target = co_await req(conn, descriptor, "getTarget", json_value::object(), d);
  if (!target) co_return in_context(std::move(target).err(), "chrome eval: getTarget");
  const std::string console_actor = str_of((*target)["process"]["consoleActor"]);
  if (console_actor.empty()) co_return rt::error{rt::errc::protocol, "chrome eval: no parent-process console actor"};

  // Subscribed before sending: the result event may come right behind the reply.
  session::rdp_subscription_spec spec;
  spec.actor = console_actor;
  spec.type = "evaluationResult";
  spec.capacity = 256;
  rt::result<rt::subscription<session::rdp_event>> sub = conn.subscribe(std::move(spec));
  if (!sub) co_return std::move(sub).err();
  json_value ep = json_value::object();
  ep.set("text", js);
  rt::result<json_value> sent = co_await req(conn, console_actor, "evaluateJSAsync", std::move(ep), d);
  if (!sent) co_return in_context(std::move(sent).err(), "chrome eval");
  const std::string id = str_of((*sent)["resultID"]);
  for (;;) {
    rt::result<session::rdp_event> ev = co_await sub->next(d);
    if (!ev) co_return in_context(std::move(ev).err(), "chrome eval: waiting for the result");
    rt::result<json_value> j = ev->parse();
    if (!j || str_of((*j)["resultID"]) != id) continue;
    if (bool_of((*j)["hasException"]))
      co_return rt::error{rt::errc::javascript, "chrome eval: " + str_of((*j)["exceptionMessage"])};
    co_return (*j)["result"];
  }
}

// --- firefox_tab --------------------------------------------------------------------------------

rt::task<rt::result<firefox_tab>> firefox_tab::attach(rt::scheduler& sched, session::rdp_connection conn,
                                                      std::int64_t browser_id, rt::deadline d) {
  co_return co_await attach(sched, std::move(conn), browser_id, d, firefox_tab_options{});
}

rt::task<rt::result<firefox_tab>> firefox_tab::attach(rt::scheduler& sched, session::rdp_connection conn,
                                                      std::int64_t browser_id, rt::deadline d,
                                                      firefox_tab_options options) {
  json_value tp = json_value::object();
  tp.set("browserId", browser_id);
  rt::result<json_value> tab = co_await req(conn, "root", "getTab", std::move(tp), d);
  if (!tab) co_return in_context(std::move(tab).err(), "getTab " + std::to_string(browser_id));
  auto core = std::make_shared<firefox_tab_core>();
  core->sched = &sched;
  core->conn = conn;
  core->browser_id = browser_id;
  core->tab_actor = str_of((*tab)["tab"]["actor"]);
  json_value wp = json_value::object();
  wp.set("isServerTargetSwitchingEnabled", true);
  rt::result<json_value> watcher = co_await req(conn, core->tab_actor, "getWatcher", std::move(wp), d);
  if (!watcher) co_return in_context(std::move(watcher).err(), "getWatcher");
  core->watcher = str_of((*watcher)["actor"]);

  core->console_live = std::make_shared<rt::stream<domains::console_entry>>(sched);
  core->changed = std::make_shared<rt::stream<char>>(sched);
  core->end = std::make_shared<firefox_tab_end>();
  auto st = std::make_shared<firefox_tab_state>();
  st->console_live = core->console_live;
  st->changed = core->changed;
  st->end = core->end;
  st->tab_actor = core->tab_actor;
  st->watcher = core->watcher;
  st->options = options;
  rt::spawn_options so;
  so.name = "firefox.tab";
  core->actor = rt::spawn_with<firefox_tab_actor>(sched, std::move(so),
                                                  [st] { return std::make_unique<firefox_tab_actor>(st); });
  // Every event of the connection: this tab's target actors are only known as they are announced,
  // and the pump must see an announcement before that target's first resources.
  session::rdp_subscription_spec spec;
  spec.type = "*";
  spec.capacity = options.event_queue;
  rt::result<rt::subscription<session::rdp_event>> sub = conn.subscribe(std::move(spec));
  if (!sub) co_return std::move(sub).err();
  firefox_tab_actor::pump pump{std::make_shared<rt::subscription<session::rdp_event>>(std::move(*sub))};
  if (rt::result<void> told = co_await core->actor.tell(std::move(pump)); !told) co_return std::move(told).err();

  json_value wt = json_value::object();
  wt.set("targetType", "frame");
  rt::result<json_value> targets = co_await req(conn, core->watcher, "watchTargets", std::move(wt), d);
  if (!targets) co_return in_context(std::move(targets).err(), "watchTargets");
  json_value wr = json_value::object();
  wr.set("resourceTypes", json_value::array({"console-message", "error-message", "document-event", "network-event",
                                             "stylesheet"}));
  rt::result<json_value> resources = co_await req(conn, core->watcher, "watchResources", std::move(wr), d);
  if (!resources) co_return in_context(std::move(resources).err(), "watchResources");
  rt::result<firefox_tab_state::top_target> top = co_await current_target(core, d);
  if (!top) co_return std::move(top).err();
  co_return firefox_tab(std::move(core));
}

rt::task<rt::result<firefox_tab>> firefox_tab::open(rt::scheduler& sched, session::rdp_connection conn, std::string url,
                                                    rt::deadline d) {
  co_return co_await open(sched, std::move(conn), std::move(url), d, firefox_tab_options{});
}

rt::task<rt::result<firefox_tab>> firefox_tab::open(rt::scheduler& sched, session::rdp_connection conn, std::string url,
                                                    rt::deadline d, firefox_tab_options options) {
  // Selected, as Chromium's new targets are: a background tab's timers are throttled to one per
  // second, which stretches every page's scripts (and network_idle waits).
  // A blank tab first: attaching to a tab still loading its first URL could catch the initial
  // about:blank target just before it is replaced.
  rt::result<json_value> id = co_await firefox_chrome_eval(
      conn,
      "(() => { const t = gBrowser.addTab('about:blank', {triggeringPrincipal: "
      "Services.scriptSecurityManager.getSystemPrincipal()}); gBrowser.selectedTab = t; "
      "return t.linkedBrowser.browserId; })()",
      d);
  if (!id) co_return in_context(std::move(id).err(), "open a tab");
  if (!id->is_number()) co_return rt::error{rt::errc::protocol, "open a tab: no browserId in " + id->dump()};
  rt::result<firefox_tab> tab = co_await attach(sched, conn, int_of(*id), d, options);
  if (!tab) co_return std::move(tab).err();
  if (!url.empty() && url != "about:blank") {
    rt::result<navigation> nav = co_await tab->navigate(url, wait_until::load, d);
    if (!nav) co_return std::move(nav).err();
  }
  co_return std::move(*tab);
}

std::int64_t firefox_tab::browser_id() const noexcept { return core_ ? core_->browser_id : 0; }
const std::string& firefox_tab::descriptor() const noexcept { return core_->tab_actor; }
const session::rdp_connection& firefox_tab::connection() const noexcept { return core_->conn; }

rt::result<void> firefox_tab::alive() const { return check_alive(core_); }

rt::task<rt::result<navigation>> firefox_tab::navigate(std::string url, wait_until until, rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  auto look3 = [](firefox_tab_state& s) { return std::pair<std::uint64_t, std::uint64_t>(s.generation, s.net_total); };
  rt::result<std::pair<std::uint64_t, std::uint64_t>> marks = co_await visit_state(c, std::move(look3), d);
  if (!marks) co_return std::move(marks).err();
  const std::uint64_t gen0 = marks->first;
  const std::uint64_t net_mark = marks->second;
  const std::string what = "navigate to " + url;
  // A fragment change keeps the document: no new target and no load events. navigateTo to a
  // fragment never replies (notes §1 rule 4) and would block the actor, so the page moves itself.
  if (url.find('#') != std::string::npos && without_fragment(url) == without_fragment(top->url)) {
    rt::result<json_value> moved = co_await evaluate("location.href = " + json_value(url).dump() + "; undefined", d);
    if (!moved) co_return in_context(std::move(moved).err(), what);
    navigation n;
    n.url = url;
    n.frame_id = std::to_string(top->browsing_context);
    n.loader_id = std::to_string(top->inner_window);
    n.same_document = true;
    const std::string moved_from = top->actor;
    auto look4 = [moved_from, url](firefox_tab_state& s) {
          if (s.top.actor == moved_from) s.top.url = url;
          return true;
        };
    (void)co_await visit_state(c, std::move(look4), d);
    co_return n;
  }
  // Sent to the document being left rather than the tab descriptor: it answers at once, and if it
  // ever does not, only that dying actor is held up, not every later navigation of the tab.
  json_value p = json_value::object();
  p.set("url", url);
  rt::result<json_value> r = co_await req(c->conn, top->actor, "navigateTo", std::move(p), d);
  if (!r) {
    // Torn down before it answered: that is the navigation going ahead.
    rt::error e = target_error(std::move(r).err(), what);
    if (e.code != rt::errc::target_closed) co_return e;
  }
  rt::result<navigation> nav = co_await wait_navigation(c, gen0, top->actor, net_mark, until, d, what);
  if (!nav && nav.err().code == rt::errc::protocol) {
    // Firefox's error page: its address names the error (about:neterror?e=connectionFailure&...).
    rt::deadline quick(std::min(d.at(), rt::clock::now() + std::chrono::duration_cast<rt::duration>(3s)));
    rt::result<json_value> uri = co_await evaluate(std::string("document.documentURI"), quick);
    if (uri && uri->is_string() && uri->as_string().rfind("about:", 0) == 0)
      co_return rt::error{rt::errc::protocol, what + ": " + neterror_code(uri->as_string()) + " (" + uri->as_string() + ")"};
  }
  co_return nav;
}

rt::task<rt::result<navigation>> firefox_tab::reload(wait_until until, rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  auto look5 = [](firefox_tab_state& s) { return std::pair<std::uint64_t, std::uint64_t>(s.generation, s.net_total); };
  rt::result<std::pair<std::uint64_t, std::uint64_t>> marks = co_await visit_state(c, std::move(look5), d);
  if (!marks) co_return std::move(marks).err();
  const std::uint64_t gen0 = marks->first;
  const std::uint64_t net_mark = marks->second;
  json_value options = json_value::object();
  options.set("force", false);
  json_value p = json_value::object();
  p.set("options", std::move(options));
  rt::result<json_value> r = co_await req(c->conn, top->actor, "reload", std::move(p), d);
  if (!r) {
    rt::error e = target_error(std::move(r).err(), "reload");
    if (e.code != rt::errc::target_closed) co_return e;
  }
  co_return co_await wait_navigation(c, gen0, top->actor, net_mark, until, d, std::string("reload"));
}

namespace {

// One step through the session history. The page moves itself: tabDescriptor.goBack may hold its
// reply like navigateTo does (notes §1 rule 4), and the page knows whether there is an entry.
rt::task<rt::result<navigation>> history_step(std::shared_ptr<firefox_tab_core> c, bool back, wait_until until,
                                              rt::deadline d) {
  const std::string what = back ? "go back" : "go forward";
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  auto look6 = [](firefox_tab_state& s) { return std::pair<std::uint64_t, std::uint64_t>(s.generation, s.net_total); };
  rt::result<std::pair<std::uint64_t, std::uint64_t>> marks = co_await visit_state(c, std::move(look6), d);
  if (!marks) co_return std::move(marks).err();
  const std::uint64_t gen0 = marks->first;
  const std::uint64_t net_mark = marks->second;
  rt::result<json_value> can = co_await firefox_tab(c).evaluate(
      std::string(back ? "navigation.canGoBack" : "navigation.canGoForward"), d);
  if (!can) co_return in_context(std::move(can).err(), what);
  if (!bool_of(*can)) co_return rt::error{rt::errc::invalid_argument, what + ": no history entry in that direction"};
  rt::result<json_value> moved =
      co_await firefox_tab(c).evaluate(std::string(back ? "history.back(); undefined" : "history.forward(); undefined"), d);
  if (!moved && moved.err().code != rt::errc::target_closed) co_return in_context(std::move(moved).err(), what);
  co_return co_await wait_navigation(c, gen0, top->actor, net_mark, until, d, what);
}

}  // namespace

rt::task<rt::result<navigation>> firefox_tab::go_back(wait_until until, rt::deadline d) const {
  co_return co_await history_step(core_, true, until, d);
}

rt::task<rt::result<navigation>> firefox_tab::go_forward(wait_until until, rt::deadline d) const {
  co_return co_await history_step(core_, false, until, d);
}


rt::task<rt::result<void>> firefox_tab::set_content(std::string html, rt::deadline d) const {
  const std::string src = json_value(html).dump();
  rt::result<json_value> r =
      co_await evaluate("document.open(); document.write(" + src + "); document.close(); undefined", d);
  if (!r) co_return std::move(r).err();
  co_return rt::ok;
}

rt::task<rt::result<std::vector<std::uint8_t>>> firefox_tab::screenshot(screenshot_options options,
                                                                         rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  if (top->screenshot.empty()) co_return rt::error{rt::errc::unsupported, "screenshot: no screenshotContentActor"};
  json_value args = json_value::object();
  if (!options.selector.empty()) args.set("selector", options.selector);
  if (options.full_page) args.set("fullpage", true);
  json_value pp = json_value::object();
  pp.set("args", std::move(args));
  rt::result<json_value> prep = co_await req(c->conn, top->screenshot, "prepareCapture", std::move(pp), d);
  if (!prep) co_return target_error(std::move(prep).err(), "screenshot: prepareCapture");
  const json_value& rect = (*prep)["value"]["rect"];
  if (!options.selector.empty() && !rect.is_object())
    co_return rt::error{rt::errc::not_found, "screenshot: no element matches " + options.selector};
  rt::result<json_value> root = co_await req(c->conn, "root", "getRoot", json_value::object(), d);
  if (!root) co_return in_context(std::move(root).err(), "screenshot: getRoot");
  const std::string shooter = str_of((*root)["screenshotActor"]);
  if (shooter.empty()) co_return rt::error{rt::errc::unsupported, "screenshot: no screenshotActor"};
  json_value cargs = json_value::object();
  cargs.set("browsingContextID", top->browsing_context);
  if (rect.is_object()) cargs.set("rect", rect);
  cargs.set("fullpage", options.full_page);
  cargs.set("snapshotScale", 1);
  cargs.set("disableFlash", true);
  json_value cp = json_value::object();
  cp.set("args", std::move(cargs));
  rt::result<json_value> shot = co_await req(c->conn, shooter, "capture", std::move(cp), d);
  if (!shot) co_return in_context(std::move(shot).err(), "screenshot: capture");
  const std::string data = str_of((*shot)["value"]["data"]);
  const std::string prefix = "data:image/png;base64,";
  if (data.rfind(prefix, 0) != 0) co_return rt::error{rt::errc::protocol, "screenshot: no PNG data URL in the reply"};
  rt::result<std::string> png = protocol::base64_decode(std::string_view(data).substr(prefix.size()));
  if (!png) co_return in_context(std::move(png).err(), "screenshot");
  co_return std::vector<std::uint8_t>(png->begin(), png->end());
}


rt::task<rt::result<page_info>> firefox_tab::info(rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  auto look7 = [](firefox_tab_state& s) { return info_of(s); };
  co_return co_await visit_state(c, std::move(look7), d);
}

namespace detail {

page_info info_of(const firefox_tab_state& s) {
  page_info i;
  i.target_id = s.top.actor;
  i.session_id = s.watcher;
  i.frame_id = std::to_string(s.top.browsing_context);
  i.loader_id = std::to_string(s.top.inner_window);
  i.url = s.top.url;
  i.title = s.top.title;
  i.dom_content_loaded = s.interactive;
  i.loaded = s.complete;
  i.gone = s.gone;
  i.gone_reason = s.gone_why;
  return i;
}

}  // namespace detail

rt::task<rt::result<firefox_document_actors>> firefox_tab::document_actors(rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  firefox_document_actors a;
  a.target = top->actor;
  a.inspector = top->inspector;
  a.url = top->url;
  co_return a;
}

rt::task<rt::result<void>> firefox_tab::close(rt::deadline d) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  const std::string id = std::to_string(c->browser_id);
  rt::result<json_value> r = co_await firefox_chrome_eval(
      c->conn,
      "(() => { const b = gBrowser.browsers.find((x) => x.browserId == " + id +
          "); if (!b) return false; gBrowser.removeTab(gBrowser.getTabForBrowser(b)); return true; })()",
      d);
  if (!r) co_return in_context(std::move(r).err(), "close tab");
  firefox_tab_actor::visit closed{[](firefox_tab_state& s) {
    s.mark_gone(rt::errc::target_closed, "the tab was closed");
    s.notify_changed();
  }};
  (void)co_await c->actor.ask(std::move(closed), d);
  if (!bool_of(*r)) co_return rt::error{rt::errc::not_found, "close tab: no tab with browserId " + id};
  co_return rt::ok;
}

}  // namespace janus::client
