// What the Firefox tab records for its domain handles: the console buffer and its live
// subscription, the network table, and the accessors firefox_css / firefox_network and the
// domain backends read them through (firefox_tab_internal.hpp).
#include "firefox_tab_state.hpp"

namespace janus::client {

using detail::firefox_tab_core;
using detail::firefox_tab_state;
using namespace detail;
using namespace std::chrono_literals;

rt::task<rt::result<std::vector<domains::console_entry>>> firefox_tab::console_entries() const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  auto look1 = [](firefox_tab_state& s) { return std::vector<domains::console_entry>(s.console.begin(), s.console.end()); };
  co_return co_await visit_state(c, std::move(look1), rt::deadline(std::chrono::seconds(10)));
}

rt::task<rt::result<rt::subscription<domains::console_entry>>> firefox_tab::console_subscribe(
    std::size_t capacity, rt::overflow policy) const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  if (capacity == 0) co_return rt::error{rt::errc::invalid_argument, "console_subscribe: capacity must be at least 1"};
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  co_return c->console_live->subscribe(capacity, policy);
}

rt::task<rt::result<std::vector<domains::network_request>>> firefox_tab::network_requests() const {
  std::shared_ptr<firefox_tab_core> c = core_;
  if (!c) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  auto look2 = [](firefox_tab_state& s) {
        std::vector<domains::network_request> out;
        out.reserve(s.net.size());
        for (const auto& r : s.net)
          if (r.seq >= s.net_cleared_below) out.push_back(r.req);
        return out;
      };
  co_return co_await visit_state(c, std::move(look2), rt::deadline(std::chrono::seconds(10)));
}


// --- for firefox_css and firefox_network (firefox_tab_internal.hpp) ------------------------------

rt::task<rt::result<void>> detail::firefox_visit_sheets(firefox_tab tab, std::function<void(firefox_sheet_registry&)> fn,
                                                       rt::deadline d) {
  if (!tab) co_return rt::error{rt::errc::invalid_argument, "firefox css: empty handle"};
  auto look = [fn = std::move(fn)](firefox_tab_state& s) {
    fn(s.sheets);
    return true;
  };
  rt::result<bool> done = co_await visit_state(tab.core(), std::move(look), d);
  if (!done) co_return std::move(done).err();
  co_return rt::ok;
}

rt::task<rt::result<std::string>> detail::firefox_current_target(firefox_tab tab, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  co_return top->actor;
}

rt::task<rt::result<std::string>> detail::firefox_net_event_actor(firefox_tab tab, std::string request_id, rt::deadline d) {
  if (!tab) co_return rt::error{rt::errc::invalid_argument, "firefox tab: empty handle"};
  auto look3 = [request_id](firefox_tab_state& s) -> rt::result<std::string> {
        for (const auto& r : s.net)
          if (r.req.request_id == request_id) return r.actor;
        return rt::error{rt::errc::not_found, "no request " + request_id + " in the network table"};
      };
  rt::result<rt::result<std::string>> found = co_await visit_state(tab.core(), std::move(look3), d);
  if (!found) co_return std::move(found).err();
  co_return std::move(*found);
}

namespace {

domains::network_stats network_stats_of(const firefox_tab_state& s) {
  domains::network_stats out;
  for (const auto& r : s.net)
    if (r.seq >= s.net_cleared_below) ++out.rows;
  out.in_flight = s.in_flight_since(0);
  out.requests = s.net_total;
  out.evicted = s.net_evicted;
  out.events = s.net_events;
  out.unknown = s.net_unknown;
  out.next_seq = s.net_total;
  return out;
}

domains::console_stats console_stats_of(const firefox_tab_state& s) {
  domains::console_stats out;
  out.buffered = s.console.size();
  out.total = s.console_total;
  out.evicted = s.console_total - s.console.size() - s.console_cleared;
  return out;
}

}  // namespace

rt::task<rt::result<domains::network_stats>> detail::firefox_network_stats(firefox_tab tab, rt::deadline d) {
  if (rt::result<void> a = tab.alive(); !a) co_return std::move(a).err();
  auto look4 = [](firefox_tab_state& s) { return network_stats_of(s); };
  co_return co_await visit_state(tab.core(), std::move(look4), d);
}

rt::task<rt::result<void>> detail::firefox_clear_network(firefox_tab tab, rt::deadline d) {
  if (rt::result<void> a = tab.alive(); !a) co_return std::move(a).err();
  auto look5 = [](firefox_tab_state& s) {
        s.net_cleared_below = s.net_total;
        return true;
      };
  rt::result<bool> done = co_await visit_state(tab.core(), std::move(look5), d);
  if (!done) co_return std::move(done).err();
  co_return rt::ok;
}

rt::task<rt::result<void>> detail::firefox_wait_network_idle(firefox_tab tab, std::chrono::milliseconds quiet,
                                                             std::uint64_t since, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  state_check<bool> check = [quiet, since](firefox_tab_state& s,
                                           rt::time_point& recheck) -> std::optional<rt::result<bool>> {
    if (s.gone != rt::errc::ok) return rt::result<bool>(s.gone_error());
    if (s.network_idle(since, quiet, rt::time_point{}, recheck)) return rt::result<bool>(true);
    return std::nullopt;
  };
  rt::result<bool> idle = co_await wait_state<bool>(c, d, std::move(check),
                                                    "network: requests still in flight at the deadline");
  if (!idle) co_return std::move(idle).err();
  co_return rt::ok;
}

rt::task<rt::result<void>> detail::firefox_wait_while_alive(firefox_tab tab, rt::time_point until) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  // Subscribed before the look below, so an end between the two leaves a tick.
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
    rt::result<char> tick = co_await changes.next(rt::deadline(until));
    if (!tick) {
      if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
      if (tick.code() == rt::errc::timeout) co_return rt::ok;
      co_return std::move(tick).err();
    }
  }
}

rt::task<rt::result<domains::console_stats>> detail::firefox_console_stats(firefox_tab tab, rt::deadline d) {
  if (rt::result<void> a = tab.alive(); !a) co_return std::move(a).err();
  auto look6 = [](firefox_tab_state& s) { return console_stats_of(s); };
  co_return co_await visit_state(tab.core(), std::move(look6), d);
}

rt::task<rt::result<void>> detail::firefox_clear_console(firefox_tab tab, rt::deadline d) {
  if (rt::result<void> a = tab.alive(); !a) co_return std::move(a).err();
  auto look7 = [](firefox_tab_state& s) {
        s.console_cleared += s.console.size();
        s.console.clear();
        return true;
      };
  rt::result<bool> done = co_await visit_state(tab.core(), std::move(look7), d);
  if (!done) co_return std::move(done).err();
  co_return rt::ok;
}

}  // namespace janus::client
