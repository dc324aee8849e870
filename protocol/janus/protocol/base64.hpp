// Base64 (RFC 4648), as CDP carries binary data in JSON: screenshots, response bodies, Fetch's
// bodies and post data.
#pragma once

#include <janus/rt/result.hpp>

#include <string>
#include <string_view>

namespace janus::protocol {

/// Decodes the standard alphabet, and the URL-safe one; whitespace is skipped, padding optional.
/// errc::parse for any other character or data after padding.
rt::result<std::string> base64_decode(std::string_view in);

/// Encodes with the standard alphabet and padding.
std::string base64_encode(std::string_view in);

}  // namespace janus::protocol
