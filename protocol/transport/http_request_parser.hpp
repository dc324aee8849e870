// The request parsing of http_server (http_server.cpp), apart from its socket code so that it can
// be tested and fuzzed on its own (fuzz/targets/http_request_target.hpp): whatever connects to the
// loopback port sends untrusted bytes. Internal: not installed.
#pragma once

#include <janus/protocol/http_message.hpp>
#include <janus/rt/result.hpp>

#include <cstddef>
#include <string_view>

namespace janus::protocol::detail {

/// The largest request head (request line and headers, with the blank line after them) and body
/// http_server reads.
inline constexpr std::size_t max_request_head_bytes = 64 * 1024;
inline constexpr std::size_t max_request_body_bytes = 16 * 1024 * 1024;

/// Reads a request head (the bytes before the blank line that ends it, "\r\n\r\n" excluded) into
/// `out`'s method, resource and headers (names lowercased, values trimmed; lines without a colon
/// are skipped), and returns the length of the body that follows: its Content-Length, 0 without
/// one. errc::parse when the first line is not "METHOD RESOURCE HTTP/1.x", when Content-Length is
/// not a decimal number of at most max_request_body_bytes, or when there is a Transfer-Encoding
/// but no Content-Length (a chunked upload: no page the server serves sends one). `out` is
/// partly filled after an error.
rt::result<std::size_t> parse_request_head(std::string_view head, http_request& out);

}  // namespace janus::protocol::detail
