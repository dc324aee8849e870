// `janus inspect [URL]`: load a page and print what the domain actors' caches hold. With no URL it
// serves the built-in demo site from loopback, so it works with no network at all.
#include "browser_choice.hpp"
#include "cli_args.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "demo_site.hpp"

#include <janus/domains/console.hpp>
#include <janus/domains/dom.hpp>
#include <janus/domains/network.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_writer.hpp>
#include <janus/rt.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

namespace janus::cli {
namespace {

using namespace std::chrono_literals;

constexpr const char* usage_head =
    "usage: janus inspect [URL] [--json] [--browser B] [--connect URL] [--wait W] [--timeout MS]\n"
    "\n"
    "Loads URL in a headless browser and prints what Janus's domain caches hold: title and URL, a\n"
    "DOM outline, stylesheets, the network requests (method, status, MIME, bytes, time, URL), the\n"
    "console messages and timings. With no URL, a built-in demo page is served from loopback.\n"
    "\n"
    "  --json           one JSON object instead of the report\n";

/// One element of the outline: depth, and "tag#id.class" with its first text, if short.
struct outline_line {
  int depth = 0;
  std::string text;
};

struct stylesheet_row {
  std::string href;
  std::int64_t rules = 0;
};

struct report {
  std::string browser;
  std::string url;
  std::string title;
  std::size_t element_count = 0;
  std::size_t node_count = 0;
  std::vector<outline_line> outline;
  std::size_t outline_omitted = 0;
  std::vector<stylesheet_row> stylesheets;
  std::vector<domains::network_request> requests;
  std::uint64_t requests_evicted = 0;
  std::vector<domains::console_entry> console;
  std::uint64_t console_evicted = 0;
  std::chrono::milliseconds navigation_time{0};
  double dom_content_loaded_ms = -1;
  double load_ms = -1;
  std::string wait;
};

constexpr std::size_t outline_limit = 60;
constexpr int outline_depth = 8;

std::string describe(const domains::dom_node& n) {
  std::string s = n.local_name;
  for (const auto& [k, v] : n.attributes) {
    if (k == "id") s += "#" + v;
    if (k == "class") {
      std::size_t start = 0;
      while (start < v.size()) {
        const auto end = std::min(v.find(' ', start), v.size());
        if (end > start) s += "." + v.substr(start, end - start);
        start = end + 1;
      }
    }
  }
  return s;
}

/// Walks the mirror (the DOM actor's cache, not a fresh fetch): counts nodes and elements and
/// builds the outline of the first elements.
rt::task<rt::result<void>> walk(const domains::dom& dom, domains::node_ref at, int depth, report& r) {
  auto n = co_await dom.node(at);
  if (!n) co_return std::move(n).err();
  ++r.node_count;
  const bool element = !n->local_name.empty();
  if (element) {
    ++r.element_count;
    if (depth < outline_depth && r.outline.size() < outline_limit) {
      std::string line = describe(*n);
      // A short text child is shown inline: it says what the element is for.
      for (std::int64_t c : n->children) {
        auto child = co_await dom.node(domains::node_ref{c, at.generation});
        if (child && child->name == "#text") {
          std::string t = child->value;
          while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
          while (!t.empty() && (t.front() == '\n' || t.front() == ' ')) t.erase(t.begin());
          if (!t.empty() && t.size() <= 40 && t.find('\n') == std::string::npos) {
            line += " \"" + t + "\"";
            break;
          }
        }
      }
      r.outline.push_back({depth, std::move(line)});
    } else {
      ++r.outline_omitted;
    }
  }
  for (std::int64_t c : n->children) {
    auto w = co_await walk(dom, domains::node_ref{c, at.generation}, element ? depth + 1 : depth, r);
    if (!w) co_return w;
  }
  co_return rt::ok;
}

constexpr const char* page_facts =
    "(() => { const nav = performance.getEntriesByType('navigation')[0];"
    " return { title: document.title, ua: navigator.userAgent,"
    "  sheets: Array.from(document.styleSheets).map(s => { let n = -1; try { n = s.cssRules.length } catch (e) {}"
    "    return { href: s.href || '(inline)', rules: n } }),"
    "  dcl: nav ? nav.domContentLoadedEventEnd : -1, load: nav ? nav.loadEventEnd : -1 } })()";

void read_facts(const protocol::json_value& facts, report& r) {
  if (const auto* t = facts.find("title"); t && t->is_string()) r.title = t->as_string();
  if (const auto* sheets = facts.find("sheets"); sheets && sheets->is_array())
    for (std::size_t i = 0; i < sheets->size(); ++i) {
      const auto& s = (*sheets)[i];
      stylesheet_row row;
      if (const auto* h = s.find("href"); h && h->is_string()) row.href = h->as_string();
      if (const auto* n = s.find("rules"); n && n->is_number()) row.rules = static_cast<std::int64_t>(n->as_double());
      r.stylesheets.push_back(std::move(row));
    }
  if (const auto* x = facts.find("dcl"); x && x->is_number()) r.dom_content_loaded_ms = x->as_double();
  if (const auto* x = facts.find("load"); x && x->is_number()) r.load_ms = x->as_double();
}

// Every step gets the command's one deadline (see browser_choice.hpp); the browser is closed by
// open_page when loading fails, and by the command's budget_watch otherwise.
rt::task<rt::result<report>> gather(rt::scheduler& sched, budget_watch& watch, browser_choice choice, std::string url) {
  report r;
  r.wait = wait_name(choice.wait);
  auto opened = co_await open_page(sched, watch, choice, url);
  if (!opened) co_return std::move(opened).err();
  const client::page& page = opened->page;
  r.navigation_time = opened->navigation_time;
  const rt::deadline d = choice.deadline;
  if (auto v = co_await opened->browser.version(d); v) r.browser = v->product;

  auto info = co_await page.info(d);
  if (!info) co_return std::move(info).err();
  r.url = info->url;

  const domains::dom dom = page.dom();
  if (auto doc = co_await dom.document(d); !doc) {
    co_return std::move(doc).err();
  } else {
    // 300 ms: Firefox's walker reports mutations in batches every 100 ms.
    if (auto settled = co_await dom.settle(300ms, d); !settled) co_return std::move(settled).err();
    auto w = co_await walk(dom, *doc, 0, r);
    if (!w) co_return std::move(w).err();
  }

  // Title, stylesheets and navigation timing are read from the page by the Runtime domain.
  auto facts = co_await page.runtime().evaluate_value(page_facts, d);
  if (!facts) co_return std::move(facts).err();
  read_facts(*facts, r);

  auto reqs = co_await page.network().requests(d);
  if (!reqs) co_return std::move(reqs).err();
  r.requests = std::move(*reqs);
  if (auto st = co_await page.network().stats(d); st) r.requests_evicted = st->evicted;
  auto cons = co_await page.console().entries(d);
  if (!cons) co_return std::move(cons).err();
  r.console = std::move(*cons);
  if (auto st = co_await page.console().stats(d); st) r.console_evicted = st->evicted;
  co_return r;
}

double request_ms(const domains::network_request& q) {
  if (q.start_time <= 0 || q.end_time <= 0) return -1;
  return (q.end_time - q.start_time) * 1000.0;
}

bool failed(const domains::network_request& q) {
  return q.status_state == domains::network_request::state::failed || q.status >= 400;
}

void print_json(const report& r) {
  protocol::json_writer w;
  w.begin_object();
  w.key("browser");
  w.string(r.browser);
  w.key("url");
  w.string(r.url);
  w.key("title");
  w.string(r.title);
  w.key("dom");
  w.begin_object();
  w.key("element_count");
  w.number(static_cast<std::int64_t>(r.element_count));
  w.key("node_count");
  w.number(static_cast<std::int64_t>(r.node_count));
  w.end_object();
  w.key("stylesheets");
  w.begin_array();
  for (const auto& s : r.stylesheets) {
    w.begin_object();
    w.key("href");
    w.string(s.href);
    w.key("rules");
    w.number(s.rules);
    w.end_object();
  }
  w.end_array();
  w.key("requests");
  w.begin_array();
  for (const auto& q : r.requests) {
    w.begin_object();
    w.key("url");
    w.string(q.url);
    w.key("method");
    w.string(q.method);
    w.key("status");
    w.number(static_cast<std::int64_t>(q.status));
    w.key("mime");
    w.string(q.mime_type);
    w.key("bytes");
    w.number(q.encoded_data_length);
    w.key("time_ms");
    w.number(request_ms(q));
    w.key("failed");
    w.boolean(failed(q));
    if (!q.failure.empty()) {
      w.key("failure");
      w.string(q.failure);
    }
    w.key("from_cache");
    w.boolean(q.from_cache);
    w.end_object();
  }
  w.end_array();
  w.key("requests_evicted");
  w.number(static_cast<std::int64_t>(r.requests_evicted));
  w.key("console");
  w.begin_array();
  for (const auto& c : r.console) {
    w.begin_object();
    w.key("level");
    w.string(c.level);
    w.key("type");
    w.string(c.type);
    w.key("text");
    w.string(c.text);
    w.end_object();
  }
  w.end_array();
  w.key("timings");
  w.begin_object();
  w.key("wait");
  w.string(r.wait);
  w.key("navigation_ms");
  w.number(static_cast<std::int64_t>(r.navigation_time.count()));
  w.key("dom_content_loaded_ms");
  w.number(r.dom_content_loaded_ms);
  w.key("load_ms");
  w.number(r.load_ms);
  w.end_object();
  w.end_object();
  std::printf("%s\n", std::string(w.view()).c_str());
}

void print_report(const report& r) {
  std::printf("%s\n", r.title.empty() ? "(untitled)" : r.title.c_str());
  std::printf("  url      %s\n", r.url.c_str());
  std::printf("  browser  %s\n", r.browser.c_str());
  std::printf("\nDOM  %zu elements, %zu nodes\n", r.element_count, r.node_count);
  for (const auto& l : r.outline) std::printf("  %*s%s\n", 2 * l.depth, "", l.text.c_str());
  if (r.outline_omitted) std::printf("  … %zu more elements\n", r.outline_omitted);
  std::printf("\nStylesheets  %zu\n", r.stylesheets.size());
  for (const auto& s : r.stylesheets) std::printf("  %4lld rules  %s\n", static_cast<long long>(s.rules), s.href.c_str());
  std::printf("\nNetwork  %zu requests%s\n", r.requests.size(),
              r.requests_evicted ? fmt::format(" ({} older ones evicted)", r.requests_evicted).c_str() : "");
  std::printf("  %-6s %-6s %-24s %9s %9s  %s\n", "METHOD", "STATUS", "MIME", "BYTES", "TIME", "URL");
  for (const auto& q : r.requests) {
    const std::string status = q.status ? std::to_string(q.status) : (q.failure.empty() ? "-" : "failed");
    const double ms = request_ms(q);
    std::string url = q.url;
    if (!q.failure.empty()) url += "  (" + q.failure + ")";
    if (q.from_cache) url += "  (cache)";
    std::printf("  %-6s %-6s %-24.24s %9lld %9s  %s\n", q.method.c_str(), status.c_str(), q.mime_type.c_str(),
                static_cast<long long>(q.encoded_data_length), ms < 0 ? "-" : fmt::format("{:.0f} ms", ms).c_str(),
                url.c_str());
  }
  std::printf("\nConsole  %zu messages\n", r.console.size());
  // The level says how bad; the type says where from (console.log vs info, a network error).
  for (const auto& c : r.console)
    std::printf("  %-8s %-10s %s\n", c.level.c_str(), ("(" + c.type + ")").c_str(), c.text.c_str());
  std::printf("\nTimings\n");
  if (r.dom_content_loaded_ms >= 0) std::printf("  DOMContentLoaded  %8.0f ms\n", r.dom_content_loaded_ms);
  if (r.load_ms >= 0) std::printf("  load              %8.0f ms\n", r.load_ms);
  std::printf("  wait (%s)%*s%8lld ms\n", r.wait.c_str(), static_cast<int>(11 - std::min<std::size_t>(r.wait.size(), 11)),
              "", static_cast<long long>(r.navigation_time.count()));
}

}  // namespace

int inspect_command(int argc, char** argv) {
  arg_spec spec;
  add_browser_options(spec);
  spec.flags.insert("--json");
  spec.max_positional = 1;
  std::string error;
  auto args = parsed_args::parse(argc, argv, 2, spec, error);
  if (args && args->flag("--help")) {
    std::printf("%s%s", usage_head, browser_options_help);
    return exit_ok;
  }
  if (!args) return report_error("inspect", error + " (see janus inspect --help)", exit_usage);
  auto choice = read_browser_choice(*args, error);
  if (!choice) return report_error("inspect", error, exit_usage);

  std::unique_ptr<protocol::http_server> demo;
  std::string url;
  if (args->positional().empty()) {
    auto server = protocol::http_server::start();
    if (!server) return report_error("inspect", server.err());
    demo = std::move(*server);
    serve_demo_site(*demo);
    url = demo->url("/");
  } else {
    url = args->positional()[0];
    if (std::string why = url_problem(url); !why.empty()) return report_error("inspect", why, exit_usage);
  }

  rt::scheduler_options so;
  so.workers = 1;
  rt::scheduler sched(so);
  progress bar;
  bar.update(choice->connect.empty() ? "launching " + choice->browser + "…" : "connecting…");
  budget_watch watch(choice->deadline);
  auto r = sched.block_on(gather(sched, watch, *choice, url));
  watch.finish();
  bar.done();
  if (!r) return report_error("inspect", over_budget(r.err(), *choice), choice->browser);
  if (args->flag("--json")) print_json(*r);
  else print_report(*r);
  return exit_ok;
}

}  // namespace janus::cli
