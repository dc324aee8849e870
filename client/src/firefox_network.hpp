// Private to client/ (not installed): a facet of the Firefox page; users reach it through
// client::page and its domain handles (page.rdp() is the escape hatch to RDP).
//
// Network details of a Firefox tab on demand, in the Chromium network domain's value types
// (domains/network.hpp): a request's response body and its request and response headers. The
// request table itself is firefox_tab::network_requests(); its request_id is what these take.
//
//   firefox_network net(tab);
//   auto table = co_await tab.network_requests();
//   auto body  = co_await net.response_body(table->back().request_id, rt::deadline(5s));
//
// Each row's `network-event` resource names a netEvent actor (in the parent process) that answers
// `getResponseContent`, `getRequestHeaders` and `getResponseHeaders` (notes §7). Bodies arrive as
// text, or base64 for binary content (decoded here, was_base64 set); long ones as a longstring
// read in full. Firefox keeps a request's actor until its document's requests are cleared: asking
// about a request of a replaced document, or one not finished yet, may fail with errc::protocol,
// like Chromium's Network.getResponseBody once its buffer evicted the body.
//
// @par Thread Safety
// A handle over a firefox_tab handle: copies may be used from any threads at once.
#pragma once

#include "firefox_tab.hpp"
#include <janus/domains/network.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <string>
#include <utility>

namespace janus::client {

/// See the top of this file.
///
/// @par Thread Safety
/// A handle: copies may be used from any threads at once.
class firefox_network {
 public:
  firefox_network() = default;
  explicit firefox_network(firefox_tab tab) : tab_(std::move(tab)) {}
  explicit operator bool() const noexcept { return static_cast<bool>(tab_); }

  /// The response body of a finished request of the table (errc::not_found for an id the table
  /// does not have).
  rt::task<rt::result<domains::fetched_body>> response_body(std::string request_id, rt::deadline d) const;
  /// The headers as sent, in order.
  rt::task<rt::result<domains::header_list>> request_headers(std::string request_id, rt::deadline d) const;
  /// The headers as received, in order (errc::protocol before the response started).
  rt::task<rt::result<domains::header_list>> response_headers(std::string request_id, rt::deadline d) const;

 private:
  firefox_tab tab_;
};

}  // namespace janus::client
