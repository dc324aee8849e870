// The built-in demo page of `janus inspect` with no URL: served from a loopback HTTP server of
// the command's own, so the main job works with no network at all. It exercises what inspect
// reports: a stylesheet, images, scripts that fetch (one late, one failing), log at every
// level, and mutate the DOM after load.
#pragma once

#include <janus/protocol/http_server.hpp>

namespace janus::cli {

/// Adds the demo site's routes to `server`; the page is at "/".
void serve_demo_site(protocol::http_server& server);

/// The number of requests the demo page makes once it has settled (the document included).
inline constexpr int demo_site_request_count = 7;

}  // namespace janus::cli
