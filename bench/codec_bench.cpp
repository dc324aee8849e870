// The CDP codec's benchmark: every figure is the median of several runs, printed beside a baseline
// measured in the same run, on one thread, on the same machine. Runs of a measurement and of its
// baseline alternate, so that load from other processes falls on both alike.
//
// 1. decode + demux of a recorded message mix (issue 3, benchmark 1)
//      janus:    cdp_decoder::decode of each wire message, then the demux: a reply through the
//                connection's pending-request table into its waiter's reply cell, an event by
//                method in a routing table
//      baseline: simdjson on-demand (one parser reused, input padded ahead of time) iterating each
//                message's top-level members and reading its `id` or `method`: the least any
//                client must do
// 2. typed decode vs bare codec (issue 4), per event type
//      baseline: cdp_decoder::decode of the full message
//      typed:    janus::cdp::decode_event(decoder, text, ev): the same decode, which reads the
//                event's `params` into the generated struct as it meets them instead of skipping
//                them, once into a struct reused across events and once into a fresh struct per
//                event
//      two passes: the baseline + janus::cdp::decode_event(decoder, ev), which rewinds the
//                decoder's parse to `params` and reads them (one stage 1, two walks)
//      typed from text: the baseline + janus::cdp::decode_event(msg.payload, ev), which parses
//                the payload text again (what a typed subscription does with an owned event)
//      for reference: the baseline + json_value::parse of the payload, the untyped way to the
//                values
// 3. allocations per message after warm-up (global operator new is counted)
//
// The messages are built from tests/cdp/captures/session.jsonl (real Chromium 156 traffic) as the
// browser sends them: each recorded command becomes its reply `{"id":N,"result":…}` with N
// assigned in order, each event `{"method":…,"params":…}`, and everything outside the Target and
// Browser domains carries the `"sessionId"` of the flattened page session the capture attached to
// (Chromium appends it last). Two large replies of real shape are added, since the capture's
// largest message is 22 KB: a `DOM.getDocument` reply (~100 KB node tree whose URLs and texts come
// from the capture) and a `Network.getResponseBody` reply (~100 KB body: capture lines as one JSON
// string, so full of escapes). Both are checked to decode into their typed result structs.
//
// Usage: janus-codec-bench [--runs N] [--seconds S] [--capture FILE] [--part 1|2]
//   --seconds: the least time of one run of one measurement; --part: only benchmark 1 or 2
#include <janus/cdp/dom.hpp>
#include <janus/cdp/network.hpp>
#include <janus/cdp/page.hpp>
#include <janus/cdp/runtime.hpp>
#include <janus/protocol/cdp_codec.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/session/pending_requests.hpp>
#include <janus/rt/executor.hpp>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#ifndef JANUS_SOURCE_ROOT
#define JANUS_SOURCE_ROOT "."
#endif

// ---- allocation counting -------------------------------------------------------------------------
// GCC 12 pairs the replaced operator delete with the library's operator new at inlined call sites
// and warns about free(); both are ours here, and they do match.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
}
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace cdp = janus::cdp;
namespace od = simdjson::ondemand;
using janus::protocol::cdp_decoder;
using janus::protocol::cdp_kind;
using janus::protocol::cdp_message;
using bench_clock = std::chrono::steady_clock;

#include "codec_bench_messages.hpp"

using namespace codec_bench;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Keeps results observable so the compiler cannot drop the work.
std::uint64_t g_sink = 0;

// ---- the demux ---------------------------------------------------------------------------------
// Replies go through the connection's real pending-request table (janus/session/pending_requests.hpp):
// each is registered as the send side would (add), then completed from the decoded message —
// which copies it into the waiter's owned reply — and taken, as the resumed caller would. The
// executor only counts the resumptions it is handed. Events are looked up by method in an
// std::unordered_map with a transparent hash: the real dispatcher is an actor on another thread,
// which a one-core loop cannot measure; this is what its routing table costs at least.

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct counting_executor final : janus::rt::executor {
  void post(janus::rt::resumption&) noexcept override { ++posted; }
  std::uint64_t posted = 0;
};

struct demux {
  std::unique_ptr<janus::session::pending_requests> real = std::make_unique<janus::session::pending_requests>(1024);
  std::unique_ptr<counting_executor> ex = std::make_unique<counting_executor>();
  std::unordered_map<std::string, int, string_hash, std::equal_to<>> handlers;
  std::vector<std::uint64_t> delivered;  // per handler
  std::uint64_t replies = 0;
  std::uint64_t unrouted = 0;

  void route(const cdp_message& m) {
    if (m.kind == cdp_kind::reply || m.kind == cdp_kind::error_reply) {
      // The recorded ids are fixed while the table's keep increasing pass after pass: route
      // under the id the table handed out.
      auto* slot = janus::session::reply_slot::create();
      slot->release();  // created with two references; the table takes its own
      slot->ex = ex.get();
      auto id = real->add(slot, "Bench.method");
      if (!id) die("pending table refused a request");
      cdp_message routed = m;
      routed.id = *id;
      if (!real->complete(routed)) die("pending table lost a request");
      auto r = slot->take();
      replies += r ? r->payload().size() : 0;
      slot->release();
      return;
    } else if (m.kind == cdp_kind::event) {
      if (auto it = handlers.find(m.method); it != handlers.end()) {
        delivered[static_cast<std::size_t>(it->second)] += m.payload.size();
        return;
      }
    }
    ++unrouted;
  }
};

demux make_demux(const std::vector<recorded>& capture) {
  demux d;
  for (const recorded& r : capture) {
    if (r.result.empty() && !d.handlers.contains(r.method)) d.handlers.emplace(r.method, static_cast<int>(d.handlers.size()));
  }
  d.delivered.assign(d.handlers.size(), 0);
  return d;
}

// ---- measurements ----------------------------------------------------------------------------------

// Runs `pass` (one pass over a set of `items` messages) for at least `seconds`; returns items/s.
template <class F>
double timed(double seconds, std::size_t items, F&& pass) {
  std::uint64_t passes = 0;
  const auto t0 = bench_clock::now();
  double elapsed = 0;
  do {
    pass();
    ++passes;
    elapsed = std::chrono::duration<double>(bench_clock::now() - t0).count();
  } while (elapsed < seconds);
  return static_cast<double>(passes * items) / elapsed;
}

void baseline_pass(od::parser& parser, const message_set& set) {
  std::uint64_t acc = 0;
  for (const simdjson::padded_string& p : set.padded) {
    od::document doc;
    if (parser.iterate(p).get(doc)) die("baseline: iterate failed");
    od::object obj;
    if (doc.get_object().get(obj)) die("baseline: not an object");
    for (auto member : obj) {
      od::field f;
      if (std::move(member).get(f)) die("baseline: bad member");
      if (f.key() == "id") {
        std::int64_t id = 0;
        if (f.value().get_int64().get(id)) die("baseline: bad id");
        acc += static_cast<std::uint64_t>(id);
      } else if (f.key() == "method") {
        std::string_view method;
        if (f.value().get_string().get(method)) die("baseline: bad method");
        acc += method.size();
      }
    }
  }
  g_sink += acc;
}

void janus_pass(cdp_decoder& decoder, demux& d, const message_set& set) {
  for (const std::string& s : set.wire) {
    auto m = decoder.decode(s);
    if (!m) die("decode failed: " + m.err().what());
    d.route(*m);
  }
}

template <class E>
void decode_only_pass(cdp_decoder& decoder, const std::vector<std::string>& wire) {
  std::uint64_t acc = 0;
  for (const std::string& s : wire) {
    auto m = decoder.decode(s);
    if (!m) die("decode failed: " + m.err().what());
    acc += m->payload.size();
  }
  g_sink += acc;
}

template <class E>
void typed_reused_pass(cdp_decoder& decoder, E& ev, const std::vector<std::string>& wire) {
  for (const std::string& s : wire) {
    auto m = decoder.decode(s);
    if (!m) die("decode failed: " + m.err().what());
    if (auto r = cdp::decode_event(m->payload, ev); !r) die("typed decode failed: " + r.err().what());
    g_sink += reinterpret_cast<const unsigned char*>(&ev)[0];
  }
}

// The typed path that walks the payload once: the decoder hands `params` to the typed decoder as it
// meets them (cdp::decode_event(decoder, text, ev)).
template <class E>
void one_pass_reused_pass(cdp_decoder& decoder, E& ev, const std::vector<std::string>& wire) {
  for (const std::string& s : wire) {
    auto m = cdp::decode_event(decoder, s, ev);
    if (!m) die("typed decode failed: " + m.err().what());
    if (m->method != E::method) die("not the event: " + std::string(m->method));
    g_sink += reinterpret_cast<const unsigned char*>(&ev)[0];
  }
}

template <class E>
void one_pass_fresh_pass(cdp_decoder& decoder, const std::vector<std::string>& wire) {
  for (const std::string& s : wire) {
    E ev;
    auto m = cdp::decode_event(decoder, s, ev);
    if (!m) die("typed decode failed: " + m.err().what());
    if (m->method != E::method) die("not the event: " + std::string(m->method));
    g_sink += reinterpret_cast<const unsigned char*>(&ev)[0];
  }
}

// Two passes over the payload from one parse: the decoder skips `params`, then the typed decode
// rewinds the decoder's document and walks them (cdp::decode_event(decoder, ev)).
template <class E>
void same_parse_reused_pass(cdp_decoder& decoder, E& ev, const std::vector<std::string>& wire) {
  for (const std::string& s : wire) {
    auto m = decoder.decode(s);
    if (!m) die("decode failed: " + m.err().what());
    if (auto r = cdp::decode_event(decoder, ev); !r) die("typed decode failed: " + r.err().what());
    g_sink += reinterpret_cast<const unsigned char*>(&ev)[0];
  }
}

template <class E>
void same_parse_fresh_pass(cdp_decoder& decoder, const std::vector<std::string>& wire) {
  for (const std::string& s : wire) {
    auto m = decoder.decode(s);
    if (!m) die("decode failed: " + m.err().what());
    E ev;
    if (auto r = cdp::decode_event(decoder, ev); !r) die("typed decode failed: " + r.err().what());
    g_sink += reinterpret_cast<const unsigned char*>(&ev)[0];
  }
}

template <class E>
void typed_fresh_pass(cdp_decoder& decoder, const std::vector<std::string>& wire) {
  for (const std::string& s : wire) {
    auto m = decoder.decode(s);
    if (!m) die("decode failed: " + m.err().what());
    E ev;
    if (auto r = cdp::decode_event(m->payload, ev); !r) die("typed decode failed: " + r.err().what());
    g_sink += reinterpret_cast<const unsigned char*>(&ev)[0];
  }
}

// The untyped way to the same values: the payload parsed into a generic JSON tree.
void tree_pass(cdp_decoder& decoder, const std::vector<std::string>& wire) {
  for (const std::string& s : wire) {
    auto m = decoder.decode(s);
    if (!m) die("decode failed: " + m.err().what());
    auto tree = janus::protocol::json_value::parse(m->payload);
    if (!tree) die("tree parse failed: " + tree.err().what());
    g_sink += tree->is_object() ? 1 : 0;
  }
}

// Allocations per message of `pass` (over `items` messages), after one warm-up pass.
template <class F>
double allocs_per_message(std::size_t items, F&& pass) {
  pass();
  const std::uint64_t before = g_allocs.load(std::memory_order_relaxed);
  constexpr int passes = 10;
  for (int i = 0; i < passes; ++i) pass();
  return static_cast<double>(g_allocs.load(std::memory_order_relaxed) - before) / static_cast<double>(items * passes);
}

struct typed_row {
  std::string method;
  std::size_t recorded = 0;
  double mean_bytes = 0;
  double bare = 0, one_reused = 0, one_fresh = 0, reused = 0, fresh = 0, text_reused = 0, text_fresh = 0, tree = 0;
  double allocs_one_reused = 0, allocs_one_fresh = 0, allocs_reused = 0, allocs_fresh = 0, allocs_text_reused = 0,
         allocs_text_fresh = 0;
};

template <class E>
typed_row typed_case(const std::vector<recorded>& capture, std::string_view session, int runs, double seconds) {
  typed_row row;
  row.method = std::string(E::method);
  std::vector<std::string> wire;
  std::size_t bytes = 0;
  for (const recorded& r : capture) {
    if (r.method == E::method && r.result.empty()) {
      wire.push_back(event(r.method, r.params, browser_level(r.method) ? "" : session));
      bytes += wire.back().size();
    }
  }
  if (wire.empty()) die("the capture has no " + row.method);
  row.recorded = wire.size();
  row.mean_bytes = static_cast<double>(bytes) / static_cast<double>(wire.size());
  // Few recorded events: cycle them, so one pass is at least ~200 messages.
  const std::vector<std::string> one = wire;
  while (wire.size() < 200) wire.insert(wire.end(), one.begin(), one.end());

  cdp_decoder decoder;
  E ev;
  E text_ev;
  E one_ev;
  std::vector<double> bare, one_reused, one_fresh, reused, fresh, text_reused, text_fresh, tree;
  for (int r = 0; r < runs; ++r) {
    tree.push_back(timed(seconds, wire.size(), [&] { tree_pass(decoder, wire); }));
    bare.push_back(timed(seconds, wire.size(), [&] { decode_only_pass<E>(decoder, wire); }));
    one_reused.push_back(timed(seconds, wire.size(), [&] { one_pass_reused_pass(decoder, one_ev, wire); }));
    one_fresh.push_back(timed(seconds, wire.size(), [&] { one_pass_fresh_pass<E>(decoder, wire); }));
    reused.push_back(timed(seconds, wire.size(), [&] { same_parse_reused_pass(decoder, ev, wire); }));
    fresh.push_back(timed(seconds, wire.size(), [&] { same_parse_fresh_pass<E>(decoder, wire); }));
    text_reused.push_back(timed(seconds, wire.size(), [&] { typed_reused_pass(decoder, text_ev, wire); }));
    text_fresh.push_back(timed(seconds, wire.size(), [&] { typed_fresh_pass<E>(decoder, wire); }));
  }
  row.bare = median(bare);
  row.one_reused = median(one_reused);
  row.one_fresh = median(one_fresh);
  row.reused = median(reused);
  row.fresh = median(fresh);
  row.text_reused = median(text_reused);
  row.text_fresh = median(text_fresh);
  row.tree = median(tree);
  row.allocs_one_reused = allocs_per_message(wire.size(), [&] { one_pass_reused_pass(decoder, one_ev, wire); });
  row.allocs_one_fresh = allocs_per_message(wire.size(), [&] { one_pass_fresh_pass<E>(decoder, wire); });
  row.allocs_reused = allocs_per_message(wire.size(), [&] { same_parse_reused_pass(decoder, ev, wire); });
  row.allocs_fresh = allocs_per_message(wire.size(), [&] { same_parse_fresh_pass<E>(decoder, wire); });
  row.allocs_text_reused = allocs_per_message(wire.size(), [&] { typed_reused_pass(decoder, text_ev, wire); });
  row.allocs_text_fresh = allocs_per_message(wire.size(), [&] { typed_fresh_pass<E>(decoder, wire); });
  return row;
}

const char* met(double ratio, double goal) { return ratio >= goal ? "met" : "not met"; }

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  double seconds = 0.2;
  int part = 0;  // 0: both
  std::string capture_path = JANUS_SOURCE_ROOT "/tests/cdp/captures/session.jsonl";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--capture") && i + 1 < argc) capture_path = argv[++i];
    else if (!std::strcmp(argv[i], "--part") && i + 1 < argc) part = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--seconds S per run] [--capture FILE] [--part 1|2]\n", argv[0]);
      return 2;
    }
  }
  if (runs < 1) runs = 1;

  // ---- the message mix ----
  const std::vector<recorded> capture = load_capture(capture_path);
  std::string session;
  for (const recorded& r : capture) {
    if (r.method == "Target.attachToTarget") {
      simdjson::padded_string p(r.result);
      od::parser parser;
      od::document doc = parser.iterate(p);
      session = std::string(std::string_view(doc["sessionId"].get_string()));
    }
  }
  if (session.empty()) die("the capture has no Target.attachToTarget reply to take a session id from");
  const real_strings real = harvest(capture);

  message_set mix{"whole mix"}, small{"capture, < 1 KB"}, medium{"capture, 1-22 KB"}, large{"large replies, ~100 KB"};
  std::int64_t next_id = 1;
  for (const recorded& r : capture) {
    const std::string_view sid = browser_level(r.method) ? std::string_view() : std::string_view(session);
    std::string s = r.result.empty() ? event(r.method, r.params, sid) : reply(next_id++, r.result, sid);
    (s.size() < 1024 ? small : medium).add(s);
    mix.add(std::move(s));
  }
  {
    const std::string doc = dom_document(real, 100'000);
    cdp::dom::get_document_result typed_doc;
    if (auto r = cdp::decode(doc, typed_doc); !r) die("the DOM.getDocument reply does not decode: " + r.err().what());
    const std::string body = response_body(capture, 100'000);
    cdp::network::get_response_body_result typed_body;
    if (auto r = cdp::decode(body, typed_body); !r) die("the getResponseBody reply does not decode: " + r.err().what());
    for (const std::string* result : {&doc, &body}) {
      std::string s = reply(next_id++, *result, session);
      large.add(s);
      mix.add(std::move(s));
    }
  }
  std::size_t min_size = SIZE_MAX, max_size = 0;
  for (const std::string& s : mix.wire) {
    min_size = std::min(min_size, s.size());
    max_size = std::max(max_size, s.size());
  }

  std::printf("janus codec benchmark: %d runs each, medians, one thread, %.2f s per run\n", runs, seconds);
  std::printf("capture: %s (%zu messages)\n\n", capture_path.c_str(), capture.size());
  std::printf("message mix: %zu messages (%zu replies, %zu events), %zu bytes, %zu B to %zu B\n", mix.wire.size(),
              mix.replies, mix.wire.size() - mix.replies, mix.bytes, min_size, max_size);
  std::printf("  %s: %zu messages, %zu bytes; %s: %zu, %zu bytes; %s: %zu, %zu bytes\n\n", small.name.c_str(),
              small.wire.size(), small.bytes, medium.name.c_str(), medium.wire.size(), medium.bytes,
              large.name.c_str(), large.wire.size(), large.bytes);

  // ---- 1. decode + demux ----
  if (part == 0 || part == 1) {
  od::parser parser;
  cdp_decoder decoder;
  demux d = make_demux(capture);
  std::printf("## decode + demux (issue 3, benchmark 1): replies through the real pending-request table\n\n");
  std::printf("| messages | janus (msg/s) | janus (MB/s) | simdjson baseline (msg/s) | baseline (MB/s) | ratio | goal |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---|\n");
  for (const message_set* set : {&mix, &small, &medium, &large}) {
    std::vector<double> base, ours;
    for (int r = 0; r < runs; ++r) {
      base.push_back(timed(seconds, set->wire.size(), [&] { baseline_pass(parser, *set); }));
      ours.push_back(timed(seconds, set->wire.size(), [&] { janus_pass(decoder, d, *set); }));
    }
    const double b = median(base), o = median(ours);
    const double mb_per_msg = static_cast<double>(set->bytes) / static_cast<double>(set->wire.size()) / 1e6;
    const double ratio = o / b;
    std::printf("| %s | %.3g | %.0f | %.3g | %.0f | %.2fx | %s |\n", set->name.c_str(), o, o * mb_per_msg, b,
                b * mb_per_msg, ratio, set == &mix ? (ratio >= 0.5 ? ">= 0.5x (met)" : ">= 0.5x (not met)") : "");
  }
  if (d.unrouted) die("the demux left " + std::to_string(d.unrouted) + " messages unrouted");
  std::printf("\n| allocations per message after warm-up | count |\n|---|---:|\n");
  std::printf("| decode + demux, whole mix | %.4f |\n", allocs_per_message(mix.wire.size(), [&] { janus_pass(decoder, d, mix); }));
  std::printf("| simdjson baseline, whole mix | %.4f |\n",
              allocs_per_message(mix.wire.size(), [&] { baseline_pass(parser, mix); }));

  }

  // ---- 2. typed decode ----
  if (part == 0 || part == 2) {
  std::vector<typed_row> rows;
  rows.push_back(typed_case<cdp::network::response_received>(capture, session, runs, seconds));
  rows.push_back(typed_case<cdp::network::request_will_be_sent>(capture, session, runs, seconds));
  rows.push_back(typed_case<cdp::page::lifecycle_event>(capture, session, runs, seconds));
  rows.push_back(typed_case<cdp::runtime::console_api_called>(capture, session, runs, seconds));
  std::printf("\n## typed decode vs bare codec (issue 4)\n\n");
  std::printf("bare = cdp_decoder::decode; typed = cdp::decode_event(decoder, text, ev): the same decode, with the\n"
              "event's params read into the struct as the decoder meets them\n\n");
  std::printf("| event (recorded, mean size) | bare decode (ev/s) | typed, struct reused (ev/s) | ratio | typed, fresh struct (ev/s) | ratio | goal >= 0.5x |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---|\n");
  for (const typed_row& r : rows) {
    std::printf("| %s (%zu, %.0f B) | %.3g | %.3g | %.2fx | %.3g | %.2fx | %s / %s |\n", r.method.c_str(), r.recorded,
                r.mean_bytes, r.bare, r.one_reused, r.one_reused / r.bare, r.one_fresh, r.one_fresh / r.bare,
                met(r.one_reused / r.bare, 0.5), met(r.one_fresh / r.bare, 0.5));
  }
  std::printf("\nother typed paths, ratios to the bare decode, struct reused (fresh):\n"
              "two passes = cdp_decoder::decode + cdp::decode_event(decoder, ev): params skipped, then rewound to and read\n"
              "from text = cdp_decoder::decode + cdp::decode_event(msg.payload, ev): the payload parsed again\n"
              "(what typed subscriptions do with an owned event)\n\n");
  std::printf("| event | two passes | from text |\n");
  std::printf("|---|---|---|\n");
  for (const typed_row& r : rows) {
    std::printf("| %s | %.2fx (%.2fx) | %.2fx (%.2fx) |\n", r.method.c_str(), r.reused / r.bare, r.fresh / r.bare,
                r.text_reused / r.bare, r.text_fresh / r.bare);
  }
  std::printf("\nfor reference, the untyped way to the same values = cdp_decoder::decode + json_value::parse(msg.payload)\n"
              "(a generic tree; not the goal's baseline)\n\n");
  std::printf("| event | untyped tree (ev/s) | typed, struct reused / tree | typed, fresh struct / tree |\n");
  std::printf("|---|---:|---:|---:|\n");
  for (const typed_row& r : rows)
    std::printf("| %s | %.3g | %.2fx | %.2fx |\n", r.method.c_str(), r.tree, r.one_reused / r.tree, r.one_fresh / r.tree);
  std::printf("\n| allocations per event after warm-up | typed, reused | typed, fresh | two passes, reused | two passes, fresh | from text, reused | from text, fresh |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const typed_row& r : rows)
    std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", r.method.c_str(), r.allocs_one_reused,
                r.allocs_one_fresh, r.allocs_reused, r.allocs_fresh, r.allocs_text_reused, r.allocs_text_fresh);
  }
  if (g_sink == 42) std::puts("");
  return 0;
}
