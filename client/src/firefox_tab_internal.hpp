// What the Firefox tab's CSS and network parts (firefox_css.cpp, firefox_network.cpp) and the
// domain backends read from the tab's state, without seeing that state's definition.
//
// @par Thread Safety
// Callable from any thread: each asks the tab's actor, which owns the state.
#pragma once

#include "firefox_tab.hpp"
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>

namespace janus::client::detail {

class firefox_sheet_registry;

/// Runs `fn` on the tab's style sheet registry, in the tab's actor, which owns it. `fn` must own
/// what it refers to (an ask that times out leaves it queued).
rt::task<rt::result<void>> firefox_visit_sheets(firefox_tab tab, std::function<void(firefox_sheet_registry&)> fn,
                                                rt::deadline d);

/// Runs `body`, the statements of an async function whose value is JSON-serializable, in the page
/// of the tab's current document and returns that value (as firefox_tab::evaluate does for an
/// expression, but without eval: a page whose policy forbids eval runs it too). A document
/// replaced before the answer is errc::target_closed; a JS error errc::javascript.
rt::task<rt::result<protocol::json_value>> firefox_run_function(firefox_tab tab, std::string body, rt::deadline d);

/// As firefox_run_function, but the value's JSON text as the page wrote it (ASCII, non-ASCII
/// escaped), for answers too large to hold as a json_value tree.
rt::task<rt::result<std::string>> firefox_run_function_text(firefox_tab tab, std::string body, rt::deadline d);

/// Evaluates `expression` as the console does and returns Firefox's grip of its value (for a DOM
/// node, an object actor that the walker's getNodeFromActor turns into a node actor).
rt::task<rt::result<protocol::json_value>> firefox_evaluate_grip(firefox_tab tab, std::string expression, rt::deadline d);

/// The current top-level target actor, once there is a live one (errc::timeout at `d`).
rt::task<rt::result<std::string>> firefox_current_target(firefox_tab tab, rt::deadline d);

/// The network event actor of a row of the tab's network table; errc::not_found when the table
/// has no such row (never seen, or pushed out).
rt::task<rt::result<std::string>> firefox_net_event_actor(firefox_tab tab, std::string request_id, rt::deadline d);

/// For the network handle's Firefox backend (the tab must not be empty): the table's counters;
/// hiding the rows there are now (requests() leaves them out; those in flight still count for
/// the idle waits); and waiting until no request started at or after `since` (a
/// network_stats::next_seq) is in flight and nothing happened on the network for `quiet`.
rt::task<rt::result<domains::network_stats>> firefox_network_stats(firefox_tab tab, rt::deadline d);
rt::task<rt::result<void>> firefox_clear_network(firefox_tab tab, rt::deadline d);
rt::task<rt::result<void>> firefox_wait_network_idle(firefox_tab tab, std::chrono::milliseconds quiet,
                                                     std::uint64_t since, rt::deadline d);

/// page::wait_for on Firefox: ok at `until`, or the tab's error as soon as it ends (closed, its
/// connection dropped, Firefox died: each ticks the tab's change stream, so this never polls).
rt::task<rt::result<void>> firefox_wait_while_alive(firefox_tab tab, rt::time_point until);

/// For the console handle's Firefox backend: the buffer's counters, and emptying it.
rt::task<rt::result<domains::console_stats>> firefox_console_stats(firefox_tab tab, rt::deadline d);
rt::task<rt::result<void>> firefox_clear_console(firefox_tab tab, rt::deadline d);

}  // namespace janus::client::detail
