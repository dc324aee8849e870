#include "firefox_rdp_calls.hpp"

#include <algorithm>
#include <utility>

namespace janus::client::detail {

using protocol::json_value;

namespace {
// substring indices count UTF-16 units: a chunk boundary could split a surrogate pair, so the
// chunks are large enough (up to ~48 MB of JSON, under the transport's 256 MB frame limit) that
// only texts beyond them are ever split.
constexpr std::int64_t long_string_chunk = std::int64_t{8} << 20;
}  // namespace

std::string rdp_str(const json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}

std::int64_t rdp_int(const json_value& v) {
  if (auto i = v.get_int()) return *i;
  if (auto d = v.get_double()) return static_cast<std::int64_t>(*d);
  if (const std::string* s = v.get_string()) {
    try {
      return std::stoll(*s);
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

bool rdp_bool(const json_value& v) {
  auto b = v.get_bool();
  return b && *b;
}

std::string rdp_key(const json_value& v) { return v.is_string() ? v.as_string() : v.dump(); }

rt::error rdp_in_context(rt::error e, const std::string& what) {
  e.message = what + ": " + e.message;
  return e;
}

rt::error rdp_target_error(rt::error e, const std::string& what) {
  if (e.code == rt::errc::protocol && e.message.rfind("noSuchActor", 0) == 0) e.code = rt::errc::target_closed;
  return rdp_in_context(std::move(e), what);
}

rt::task<rt::result<json_value>> rdp_call(session::rdp_connection conn, std::string actor, std::string type, json_value params,
                                          rt::deadline d) {
  session::rdp_request_options o;
  o.deadline = d;
  co_return co_await conn.request_json(std::move(actor), std::move(type), std::move(params), std::move(o));
}

rt::task<rt::result<std::string>> rdp_long_string(session::rdp_connection conn, json_value v, rt::deadline d) {
  if (v.is_string()) co_return v.as_string();
  if (!v.is_object() || rdp_str(v["type"]) != "longString")
    co_return rt::error{rt::errc::protocol, "expected a string or a longString grip, got " + v.dump()};
  const std::string actor = rdp_str(v["actor"]);
  const std::int64_t length = rdp_int(v["length"]);
  std::string out;
  for (std::int64_t start = 0; start < length; start += long_string_chunk) {
    json_value p = json_value::object();
    p.set("start", start);
    p.set("end", std::min(length, start + long_string_chunk));
    rt::result<json_value> r = co_await rdp_call(conn, actor, "substring", std::move(p), d);
    if (!r) co_return rdp_target_error(std::move(r).err(), "reading a long string");
    out += rdp_str((*r)["substring"]);
  }
  co_return out;
}

}  // namespace janus::client::detail
