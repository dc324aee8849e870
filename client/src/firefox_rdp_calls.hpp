// Requests shared by the Firefox tab's CSS and network parts: one request with a deadline, and a
// longString (or plain string) read in full.
//
// @par Thread Safety
// Free functions over an rdp_connection handle: callable from any thread at once.
#pragma once

#include <janus/session/rdp_connection.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <cstdint>
#include <string>

namespace janus::client::detail {

std::string rdp_str(const protocol::json_value& v);
std::int64_t rdp_int(const protocol::json_value& v);
bool rdp_bool(const protocol::json_value& v);
/// A resource id as a string key, whatever JSON type Firefox used for it.
std::string rdp_key(const protocol::json_value& v);

rt::error rdp_in_context(rt::error e, const std::string& what);
/// As rdp_in_context, and a request to an actor of a document that was replaced meanwhile
/// (noSuchActor) becomes errc::target_closed.
rt::error rdp_target_error(rt::error e, const std::string& what);

rt::task<rt::result<protocol::json_value>> rdp_call(session::rdp_connection conn, std::string actor, std::string type,
                                                    protocol::json_value params, rt::deadline d);

/// The text of a value Firefox declared as a longstring: a plain string when short, otherwise a
/// `{"type":"longString","actor","length","initial"}` grip read in full with `substring`.
rt::task<rt::result<std::string>> rdp_long_string(session::rdp_connection conn, protocol::json_value v, rt::deadline d);

}  // namespace janus::client::detail
