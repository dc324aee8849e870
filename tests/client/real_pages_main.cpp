// janus-real-pages: the DOM mirror against real web pages (issue: "the DOM mirror is exact on real
// web pages"). For each saved page of a corpus it serves the page from loopback with a
// Content-Security-Policy that blocks the page's own scripts and every request but the document
// itself, so a run is deterministic and needs no network; loads it in a fresh tab of one browser,
// runs the seeded mutation script (tests/support/real_page_mutations.hpp) through evaluate, waits
// until it is done and the mirror settled, and compares the mirror's serialization with the
// browser's own document.documentElement.outerHTML, byte for byte.
//
//   janus-real-pages --browser chromium|firefox --corpus DIR [--sample K/N] [--limit N]
//                    [--changes N] [--ops JS-ARRAY] [--settle-deadline MS] [--verbose]
//
// Pages are DIR's *.html files in name order; --sample K/N takes those whose index is K mod N
// (--sample-from-env: K/N from JANUS_REAL_PAGES_SAMPLE, 0/32 without it; the meson test does so);
// --ops [i,j] makes only those kinds of change (their order in the generator's `ops` table).
// Prints one line per page (exact, or where the first difference is) and a summary; exits 0 when
// every page was exact, 1 when one was not, 2 on a bad command line, 3 when no browser started.
// scripts/fetch-real-pages.py fetches the corpus (npm: htmlparser-benchmark, 258 saved pages; test.sh
// does so into build/real-pages); scripts/real-pages.sh runs this over all of it for both browsers.
#include "../support/mutation_burst.hpp"
#include "../support/real_page_mutations.hpp"

#include <janus/client/browser.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace janus;
using namespace janus::client;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct options {
  browser_product product = browser_product::chromium;
  fs::path corpus;
  unsigned share_k = 0, share_n = 1;
  std::size_t limit = 0;
  int changes = 1500;
  std::string ops;
  std::chrono::milliseconds settle_deadline{60000};
  bool verbose = false;
};

// Nothing but the document: no script of the page runs, no subresource is fetched (there is no
// network here, and a request that waits for DNS would make load times vary). Inline styles stay,
// so style attributes and <style> behave as on the real page. 'unsafe-eval' alone allows no script
// of the page (no source, no inline script); it is there because Janus's Firefox evaluate runs the
// expression through an indirect eval, which a policy without it blocks (EvalError: call to eval()
// blocked by CSP) -- a limitation of page.evaluate on Firefox that real sites with a strict policy
// hit; Chromium's Runtime.evaluate is not subject to the page's policy.
constexpr const char* kPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-eval'";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int usage(const char* why) {
  std::fprintf(stderr, "janus-real-pages: %s\nusage: janus-real-pages --browser chromium|firefox --corpus DIR "
                       "[--sample K/N] [--limit N] [--changes N] [--ops JS-ARRAY] [--settle-deadline MS] [--verbose]\n", why);
  return 2;
}

// --sample-from-env: the sample is JANUS_REAL_PAGES_SAMPLE's K/N (CI rotates it), 0/32 without it.
bool sample_from_env(options& o, std::string& why) {
  const char* v = std::getenv("JANUS_REAL_PAGES_SAMPLE");
  const std::string text = v && *v ? v : "0/32";
  if (std::sscanf(text.c_str(), "%u/%u", &o.share_k, &o.share_n) != 2 || o.share_n == 0 || o.share_k >= o.share_n) {
    why = "JANUS_REAL_PAGES_SAMPLE wants K/N with 0 <= K < N, not '" + text + "'";
    return false;
  }
  return true;
}

bool parse(int argc, char** argv, options& o, std::string& why) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--verbose") { o.verbose = true; continue; }
    if (a == "--sample-from-env") {
      if (!sample_from_env(o, why)) return false;
      continue;
    }
    const char* v = value();
    if (!v) { why = a + " needs a value"; return false; }
    if (a == "--browser") {
      if (std::string(v) == "chromium") o.product = browser_product::chromium;
      else if (std::string(v) == "firefox") o.product = browser_product::firefox;
      else { why = "--browser is chromium or firefox"; return false; }
    } else if (a == "--corpus") {
      o.corpus = v;
    } else if (a == "--sample") {
      if (std::sscanf(v, "%u/%u", &o.share_k, &o.share_n) != 2 || o.share_n == 0 || o.share_k >= o.share_n) {
        why = "--sample wants K/N with 0 <= K < N";
        return false;
      }
    } else if (a == "--limit") {
      o.limit = std::strtoul(v, nullptr, 10);
    } else if (a == "--settle-deadline") {
      o.settle_deadline = std::chrono::milliseconds(std::strtoul(v, nullptr, 10));
    } else if (a == "--ops") {
      o.ops = v;
    } else if (a == "--changes") {
      o.changes = std::atoi(v);
      if (o.changes < 0) { why = "--changes must be >= 0"; return false; }
    } else {
      why = "unknown option " + a;
      return false;
    }
  }
  if (o.corpus.empty()) { why = "--corpus DIR is required"; return false; }
  return true;
}


// The mutation seed of a page: from its name, so that a page gets the same changes in a sample, in
// the whole corpus and alone in a directory of its own (how a failure is looked into).
unsigned seed_of(const std::string& name) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return h % 2147483647u;
}

struct page_result {
  bool exact = false;
  std::string detail;
};

// One page in its own tab: load, mutate, settle, compare. Any failure is the page's result.
page_result check_page(rt::scheduler& sched, browser& b, protocol::http_server& server, const std::string& path,
                       unsigned seed, int changes, const std::string& ops, std::chrono::milliseconds settle_deadline) {
  auto p = sched.block_on(b.new_page(std::string("about:blank"), std::string(), rt::deadline(30s)));
  if (!p) return {false, "new page: " + p.err().what()};
  page tab = std::move(*p);
  auto finish = [&](page_result r) {
    // A tab that does not close is the next page's problem only if the browser is gone, which
    // the caller sees in the browser's state.
    (void)sched.block_on(b.close_page(tab, rt::deadline(10s)));
    return r;
  };
  domains::dom d = tab.dom();
  if (auto e = sched.block_on(d.enable(rt::deadline(20s))); !e) return finish({false, "dom.enable: " + e.err().what()});
  if (auto n = sched.block_on(tab.navigate(server.url(path), wait_until::load, rt::deadline(30s))); !n)
    return finish({false, "navigate: " + n.err().what()});
  if (changes > 0) {
    auto started = sched.block_on(tab.evaluate(test::real_page_mutations_js(seed, changes, ops), rt::deadline(10s)));
    if (!started) return finish({false, "starting the mutations: " + started.err().what()});
    bool done = false;
    for (const auto until = std::chrono::steady_clock::now() + 120s; !done && std::chrono::steady_clock::now() < until;) {
      auto v = sched.block_on(tab.evaluate(std::string("window.__mutationsDone === true"), rt::deadline(10s)));
      if (!v) return finish({false, "polling the mutations: " + v.err().what()});
      done = *v == protocol::json_value(true);
      if (!done) std::this_thread::sleep_for(100ms);
    }
    if (!done) return finish({false, "the mutations did not finish in 120 s"});
  }
  auto theirs = sched.block_on(tab.evaluate(std::string("document.documentElement.outerHTML"), rt::deadline(30s)));
  if (!theirs || !theirs->is_string()) return finish({false, "outerHTML: " + (theirs ? std::string("not a string") : theirs.err().what())});
  if (auto s = sched.block_on(d.settle(500ms, rt::deadline(settle_deadline))); !s) return finish({false, "settle: " + s.err().what()});
  auto mine = sched.block_on(d.html(rt::deadline(30s)));
  if (!mine) return finish({false, "mirror: " + mine.err().what()});
  // d.html() serializes the whole document (doctype included); outerHTML is the root element's.
  std::string mirror = *mine;
  if (auto at = mirror.find("<html"); at != std::string::npos) mirror.erase(0, at);
  if (mirror == theirs->as_string()) return finish({true, std::to_string(mirror.size()) + " bytes"});
  return finish({false, test::first_difference(mirror, theirs->as_string())});
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::string why;
  if (!parse(argc, argv, o, why)) return usage(why.c_str());
  std::vector<fs::path> pages;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o.corpus, ec))
    if (e.path().extension() == ".html") pages.push_back(e.path());
  if (ec || pages.empty()) return usage(("no *.html pages in " + o.corpus.string()).c_str());
  std::sort(pages.begin(), pages.end());

  rt::scheduler sched{{.workers = 2}};
  auto server = protocol::http_server::start();
  if (!server) {
    std::fprintf(stderr, "janus-real-pages: http server: %s\n", server.err().what().c_str());
    return 1;
  }
  launch_options lo;
  lo.product = o.product;
  auto launched = sched.block_on(browser::launch(sched, std::move(lo)));
  if (!launched) {
    std::fprintf(stderr, "janus-real-pages: launch: %s\n", launched.err().what().c_str());
    return 3;
  }
  browser b = std::move(*launched);
  const char* name = o.product == browser_product::firefox ? "firefox" : "chromium";

  std::size_t tried = 0, exact = 0;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < pages.size(); ++i) {
    if (i % o.share_n != o.share_k) continue;
    if (o.limit && tried == o.limit) break;
    const std::string path = "/corpus/" + std::to_string(i) + ".html";
    protocol::http_response r(200, read_file(pages[i]), "text/html");
    r.headers.emplace_back("Content-Security-Policy", kPolicy);
    (*server)->route(path, std::move(r));
    const auto t0 = std::chrono::steady_clock::now();
    page_result res = check_page(sched, b, **server, path, seed_of(pages[i].filename().string()), o.changes, o.ops,
                                 o.settle_deadline);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    ++tried;
    if (res.exact) ++exact;
    std::string detail = res.detail;
    if (!o.verbose && !res.exact && detail.size() > 600) detail = detail.substr(0, 600) + "...";
    std::printf("%s %-40s %s %6lld ms %s\n", name, pages[i].filename().c_str(), res.exact ? "exact" : "DIFF ",
                static_cast<long long>(ms), res.exact ? detail.c_str() : ("\n    " + detail).c_str());
    std::fflush(stdout);
    if (b.state() == browser_state::closed) break;
  }
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  std::printf("%s: %zu of %zu pages exact (%lld s)\n", name, exact, tried, static_cast<long long>(secs));
  b.close();
  (*server)->stop();
  return exact == tried && tried > 0 ? 0 : 1;
}
