#include "firefox_network.hpp"

#include "firefox_rdp_calls.hpp"
#include "firefox_tab_internal.hpp"

#include <janus/protocol/base64.hpp>

namespace janus::client {

using protocol::json_value;

namespace {

// One netEvent request about a row of the tab's table.
rt::task<rt::result<json_value>> ask_net_event(firefox_tab tab, std::string request_id, std::string type,
                                               rt::deadline d) {
  const std::string what = "firefox network: " + type + " of request " + request_id;
  if (!tab) co_return rt::error{rt::errc::invalid_argument, "firefox network: empty handle"};
  rt::result<std::string> actor = co_await detail::firefox_net_event_actor(tab, request_id, d);
  if (!actor) co_return detail::rdp_in_context(std::move(actor).err(), what);
  if (actor->empty()) co_return rt::error{rt::errc::unsupported, what + ": Firefox named no netEvent actor"};
  rt::result<json_value> r = co_await detail::rdp_call(tab.connection(), *actor, type, json_value::object(), d);
  if (!r) co_return detail::rdp_in_context(std::move(r).err(), what);
  co_return std::move(*r);
}

rt::task<rt::result<domains::header_list>> headers_of(firefox_tab tab, std::string request_id, std::string type,
                                                      rt::deadline d) {
  rt::result<json_value> r = co_await ask_net_event(tab, request_id, type, d);
  if (!r) co_return std::move(r).err();
  domains::header_list out;
  if (const auto* list = (*r)["headers"].get_array()) {
    for (const json_value& h : *list) {
      // A very long header value comes as a longstring.
      rt::result<std::string> value = co_await detail::rdp_long_string(tab.connection(), h["value"], d);
      if (!value) co_return detail::rdp_in_context(std::move(value).err(), "firefox network: " + type);
      out.emplace_back(detail::rdp_str(h["name"]), std::move(*value));
    }
  }
  co_return out;
}

}  // namespace

rt::task<rt::result<domains::fetched_body>> firefox_network::response_body(std::string request_id,
                                                                          rt::deadline d) const {
  const std::string what = "firefox network: response body of request " + request_id;
  rt::result<json_value> r = co_await ask_net_event(tab_, request_id, std::string("getResponseContent"), d);
  if (!r) co_return std::move(r).err();
  const json_value& content = (*r)["content"];
  if (detail::rdp_bool((*r)["contentDiscarded"]))
    co_return rt::error{rt::errc::protocol, what + ": Firefox discarded the body"};
  const json_value* text = content.find("text");
  if (!text) co_return rt::error{rt::errc::protocol, what + ": no body (the response may not be complete)"};
  rt::result<std::string> raw = co_await detail::rdp_long_string(tab_.connection(), *text, d);
  if (!raw) co_return detail::rdp_in_context(std::move(raw).err(), what);
  domains::fetched_body body;
  if (detail::rdp_str(content["encoding"]) == "base64") {
    rt::result<std::string> bytes = protocol::base64_decode(*raw);
    if (!bytes) co_return detail::rdp_in_context(std::move(bytes).err(), what);
    body.bytes = std::move(*bytes);
    body.was_base64 = true;
  } else {
    body.bytes = std::move(*raw);
  }
  co_return body;
}

rt::task<rt::result<domains::header_list>> firefox_network::request_headers(std::string request_id,
                                                                           rt::deadline d) const {
  co_return co_await headers_of(tab_, std::move(request_id), std::string("getRequestHeaders"), d);
}

rt::task<rt::result<domains::header_list>> firefox_network::response_headers(std::string request_id,
                                                                            rt::deadline d) const {
  co_return co_await headers_of(tab_, std::move(request_id), std::string("getResponseHeaders"), d);
}

}  // namespace janus::client
