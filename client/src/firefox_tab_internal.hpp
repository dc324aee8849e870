// What the Firefox tab's CSS and network parts (firefox_css.cpp, firefox_network.cpp) read from the
// tab's pump-filled state, without seeing that state's definition.
//
// @par Thread Safety
// Each function takes the tab state's mutex itself; callable from any thread.
#pragma once

#include <janus/client/firefox_tab.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace janus::client::detail {

class firefox_sheet_registry;

/// The tab's style sheet registry (it lives as long as any handle of the tab).
std::shared_ptr<firefox_sheet_registry> firefox_sheets_of(const firefox_tab& tab);

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
rt::result<std::string> firefox_net_event_actor(const firefox_tab& tab, const std::string& request_id);

/// For the network handle's Firefox backend (the tab must not be empty): the table's counters;
/// hiding the rows there are now (requests() leaves them out; those in flight still count for
/// the idle waits); and waiting until no request started at or after `since` (a
/// network_stats::next_seq) is in flight and nothing happened on the network for `quiet`.
domains::network_stats firefox_network_stats(const firefox_tab& tab);
void firefox_clear_network(const firefox_tab& tab);
rt::task<rt::result<void>> firefox_wait_network_idle(firefox_tab tab, std::chrono::milliseconds quiet,
                                                     std::uint64_t since, rt::deadline d);

/// For the console handle's Firefox backend: the buffer's counters, and emptying it.
domains::console_stats firefox_console_stats(const firefox_tab& tab);
void firefox_clear_console(const firefox_tab& tab);

}  // namespace janus::client::detail
