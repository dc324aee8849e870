#include "demo_site.hpp"

#include <chrono>

namespace janus::cli {

namespace {

constexpr const char* index_html = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Janus demo page</title>
<link rel="stylesheet" href="/style.css">
<script src="/app.js" defer></script>
</head>
<body>
<header><h1>Janus demo</h1><img src="/logo.svg" alt="logo" width="32" height="32"></header>
<main>
<section id="status" class="card">loading…</section>
<ul id="items"></ul>
</main>
<footer><p>Served from loopback by <code>janus inspect</code>.</p></footer>
</body>
</html>
)";

constexpr const char* style_css = R"(body { font-family: sans-serif; margin: 2em; color: #222; }
header { display: flex; align-items: center; gap: 1em; }
.card { border: 1px solid #ccc; border-radius: 4px; padding: 1em; }
.ready { background: #e8f5e9; }
#items li { margin: 0.2em 0; }
footer { color: #777; font-size: small; }
)";

constexpr const char* app_js = R"(console.log('demo: script running');
console.info('demo: user agent', navigator.userAgent.includes('Headless') ? 'headless' : 'headed');
async function main() {
  const status = document.getElementById('status');
  const items = document.getElementById('items');
  const data = await (await fetch('/api/items.json')).json();
  for (const name of data.items) {
    const li = document.createElement('li');
    li.textContent = name;
    items.appendChild(li);
  }
  console.log('demo: loaded', data.items.length, 'items');
  const missing = await fetch('/api/missing');
  console.warn('demo: /api/missing answered', missing.status, (await missing.json()).error);
  const late = await (await fetch('/api/slow')).text();
  status.textContent = 'ready: ' + late;
  status.classList.add('ready');
  console.error('demo: an error message, on purpose');
  window.__janusDemoDone = true;
}
main();
)";

constexpr const char* items_json = R"({"items":["actor runtime","CDP over WebSocket and pipe","RDP over TCP","DOM mirror","network table"]})";

constexpr const char* logo_svg =
    R"(<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><circle cx="16" cy="16" r="14" fill="#3f51b5"/></svg>)";

}  // namespace

void serve_demo_site(protocol::http_server& server) {
  server.route("/", protocol::http_response(200, index_html, "text/html; charset=utf-8"));
  server.route("/style.css", protocol::http_response(200, style_css, "text/css; charset=utf-8"));
  server.route("/app.js", protocol::http_response(200, app_js, "text/javascript; charset=utf-8"));
  server.route("/logo.svg", protocol::http_response(200, logo_svg, "image/svg+xml"));
  server.route("/api/items.json", protocol::http_response(200, items_json, "application/json"));
  server.route("/api/missing", protocol::http_response(404, R"({"error":"no such thing"})", "application/json"));
  // Late: it lands after the load event, so only a network-idle wait sees the final page.
  server.route("/api/slow", protocol::http_response(200, "slow data", "text/plain"), std::chrono::milliseconds(300));
  // Browsers ask for it on their own; answering keeps the request table free of a stray 404.
  server.route("/favicon.ico", protocol::http_response(204, "", "image/x-icon"));
}

}  // namespace janus::cli
