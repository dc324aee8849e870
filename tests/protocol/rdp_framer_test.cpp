#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "janus/protocol/rdp_framer.hpp"

using namespace janus::protocol;
using janus::rt::errc;

namespace {

// Owned copy of a packet, so packets can be compared after the framer moved on.
struct packet {
  rdp_packet_kind kind;
  std::string json, actor, type, bytes;
  bool operator==(const packet&) const = default;
};

std::ostream& operator<<(std::ostream& os, const packet& p) {
  if (p.kind == rdp_packet_kind::json) return os << "json[" << p.json << "]";
  return os << "bulk[" << p.actor << " " << p.type << " " << p.bytes.size() << " bytes]";
}

// Drains all complete packets; stops at the first error and reports it in `error`.
std::vector<packet> drain(rdp_framer& f, errc* error = nullptr) {
  std::vector<packet> out;
  for (;;) {
    auto r = f.next();
    if (!r) {
      if (error) *error = r.code();
      return out;
    }
    if (!*r) return out;
    const rdp_packet& p = **r;
    out.push_back({p.kind, std::string(p.json), std::string(p.actor), std::string(p.type), std::string(p.bytes)});
  }
}

packet json_packet(std::string j) { return {rdp_packet_kind::json, std::move(j), {}, {}, {}}; }
packet bulk_packet(std::string actor, std::string type, std::string bytes) {
  return {rdp_packet_kind::bulk, {}, std::move(actor), std::move(type), std::move(bytes)};
}

// A real session start (Firefox ESR 153), a bulk heap snapshot and a non-ASCII packet.
const std::string greeting =
    R"({"from":"root","applicationType":"browser","testConnectionPrefix":"server1.conn0.","traits":{"networkMonitor":true,"resources":{"extensions-backgroundscript-status":true},"workerConsoleApiMessagesDispatchedToMainThread":true,"supportsEnableWindowGlobalThreadActors":true,"supportsCommentNodesDisplayControl":true}})";
const std::string attached = R"({"type":"attached","from":"server1.conn1.watcher9.process5//memoryActor6"})";
const std::string unicode = "{\"from\":\"C/consoleActor3\",\"input\":\"h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80\"}";
const std::string snapshot_bytes = std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03:12:bulk \x00\xff", 20);

std::vector<packet> sample_packets() {
  return {json_packet(greeting), json_packet(attached),
          bulk_packet("server1.conn17.heapSnapshotFileActor7", "undefined", snapshot_bytes), json_packet(unicode),
          json_packet("{}")};
}

std::string sample_stream() {
  std::string s;
  for (const packet& p : sample_packets()) {
    if (p.kind == rdp_packet_kind::json) rdp_encode_to(s, p.json);
    else s += rdp_encode_bulk(p.actor, p.type, p.bytes);
  }
  return s;
}

}  // namespace

TEST_CASE("rdp_encode: the length counts bytes, not characters", "[rdp_framer]") {
  CHECK(rdp_encode("{}") == "2:{}");
  CHECK(rdp_encode("") == "0:");
  CHECK(rdp_encode("{\"a\":\"\xC3\xA9\"}") == "10:{\"a\":\"\xC3\xA9\"}");
  std::string out = "x";
  rdp_encode_to(out, "{}");
  CHECK(out == "x2:{}");
  CHECK(rdp_encode_bulk("a1", "undefined", std::string("\0:", 2)) == std::string("bulk a1 undefined 2:\0:", 22));
}

TEST_CASE("rdp_framer: one packet, then several merged in one feed", "[rdp_framer]") {
  rdp_framer f;
  f.feed(rdp_encode(greeting));
  CHECK(drain(f) == std::vector<packet>{json_packet(greeting)});
  CHECK(f.buffered() == 0);

  f.feed(sample_stream());
  CHECK(drain(f) == sample_packets());
  CHECK(f.buffered() == 0);
  CHECK_FALSE(f.failed());
}

TEST_CASE("rdp_framer: a stream split at every point yields the same packets", "[rdp_framer]") {
  const std::string stream = sample_stream();
  const std::vector<packet> expected = sample_packets();
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    rdp_framer f;
    f.feed(std::string_view(stream).substr(0, i));
    std::vector<packet> got = drain(f);
    f.feed(std::string_view(stream).substr(i));
    for (packet& p : drain(f)) got.push_back(std::move(p));
    INFO("split at " << i);
    CHECK(got == expected);
    CHECK(f.buffered() == 0);
  }
}

TEST_CASE("rdp_framer: every pair of split points over a short stream", "[rdp_framer]") {
  const std::string stream = rdp_encode(attached) + rdp_encode_bulk("a7", "undefined", "xy:z") + rdp_encode("[]");
  const std::vector<packet> expected = {json_packet(attached), bulk_packet("a7", "undefined", "xy:z"), json_packet("[]")};
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i <= stream.size(); ++i)
    for (std::size_t j = i; j <= stream.size(); ++j) {
      rdp_framer f;
      std::vector<packet> got;
      for (auto part : {std::string_view(stream).substr(0, i), std::string_view(stream).substr(i, j - i),
                        std::string_view(stream).substr(j)}) {
        f.feed(part);
        for (packet& p : drain(f)) got.push_back(std::move(p));
      }
      mismatches += got != expected;
    }
  CHECK(mismatches == 0);
}

TEST_CASE("rdp_framer: byte by byte through prepare/commit", "[rdp_framer]") {
  const std::string stream = sample_stream();
  rdp_framer f;
  std::vector<packet> got;
  for (char c : stream) {
    auto room = f.prepare(1);
    REQUIRE(room.size() >= 1);
    room[0] = c;
    f.commit(1);
    for (packet& p : drain(f)) got.push_back(std::move(p));
  }
  CHECK(got == sample_packets());
}

TEST_CASE("rdp_framer: reading straight into the buffer in large chunks", "[rdp_framer]") {
  std::string stream;
  for (int i = 0; i < 200; ++i) stream += rdp_encode(unicode);
  rdp_framer f;
  std::size_t count = 0, pos = 0;
  while (pos < stream.size()) {
    auto room = f.prepare(4096);
    const std::size_t n = std::min(room.size(), stream.size() - pos);
    std::memcpy(room.data(), stream.data() + pos, n);
    f.commit(n);
    pos += n;
    for (const packet& p : drain(f)) count += p.json == unicode;
  }
  CHECK(count == 200);
}

TEST_CASE("rdp_framer: packets stay valid until the next feed", "[rdp_framer]") {
  rdp_framer f;
  f.feed(rdp_encode("[1]") + rdp_encode("[2]"));
  auto a = f.next();
  auto b = f.next();
  REQUIRE((a && *a && b && *b));
  CHECK((*a)->json == "[1]");
  CHECK((*b)->json == "[2]");
}

TEST_CASE("rdp_framer: incomplete input waits for more", "[rdp_framer]") {
  for (std::string partial : {"1", "12", "12:", "12:{\"a\"", "b", "bul", "bulk", "bulk ", "bulk a", "bulk a b",
                              "bulk a b 1", "bulk a b 10:", "bulk a b 10:12345"}) {
    rdp_framer f;
    f.feed(partial);
    auto r = f.next();
    INFO(partial);
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
    CHECK_FALSE(f.failed());
    CHECK(f.buffered() == partial.size());
  }
}

TEST_CASE("rdp_framer: malformed headers fail and the framer stays failed", "[rdp_framer]") {
  const std::string bad[] = {
      "x",           "{\"a\":1}",     ":",           " 2:{}",       "-1:x",        "+1:x",
      "1x:",         "12 :{}",        "1.0:x",       "\n2:{}",      "bulx",        "Bulk a b 1:x",
      "bulk  b 1:x", "bulk a  1:x",   "bulk a b :x", "bulk a b x:", "bulk a:b c 1:x",
      "bulk a b 1 :x", "bulk\ta b 1:x", "bulk a b -1:x",
      "2:{}x",  // the byte after a packet must start the next header
  };
  for (const std::string& input : bad) {
    INFO("input: " << input);
    rdp_framer f;
    f.feed(input);
    errc error = errc::ok;
    drain(f, &error);
    CHECK(error == errc::parse);
    CHECK(f.failed());
    // The failure sticks, and later input is ignored.
    f.feed(rdp_encode("{}"));
    auto again = f.next();
    REQUIRE_FALSE(again);
    CHECK(again.code() == errc::parse);
    CHECK_FALSE(again.err().message.empty());
  }
}

TEST_CASE("rdp_framer: lengths above the limit fail before the body arrives", "[rdp_framer]") {
  rdp_framer f({.max_packet_bytes = 1000});
  f.feed("1001");  // no ':' yet: the digits alone already exceed the limit
  auto r = f.next();
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::message_too_large);
  CHECK(r.err().message.find("1000") != std::string::npos);

  rdp_framer exact({.max_packet_bytes = 3});
  exact.feed("3:[1]");
  CHECK(drain(exact) == std::vector<packet>{json_packet("[1]")});

  rdp_framer bulk({.max_packet_bytes = 3});
  bulk.feed("bulk a b 4:");
  CHECK(bulk.next().code() == errc::message_too_large);

  rdp_framer tiny({.max_packet_bytes = 5});
  tiny.feed("9");  // a single digit above a limit below 10
  CHECK(tiny.next().code() == errc::message_too_large);

  rdp_framer huge;
  huge.feed("99999999999999999999999:");  // would overflow 64 bits
  CHECK(huge.next().code() == errc::message_too_large);
}

TEST_CASE("rdp_framer: the number of length digits is capped", "[rdp_framer]") {
  rdp_framer f;
  f.feed(std::string(rdp_framer::max_length_digits, '0') + "2:{}");  // only zeros: the value is fine
  auto r = f.next();
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::parse);

  rdp_framer ok;
  ok.feed(std::string(rdp_framer::max_length_digits - 1, '0') + "2:{}");
  CHECK(drain(ok) == std::vector<packet>{json_packet("{}")});
}

TEST_CASE("rdp_framer: a bulk header without end fails at its size cap", "[rdp_framer]") {
  rdp_framer f;
  f.feed("bulk " + std::string(rdp_framer::max_bulk_header_bytes, 'a'));
  auto r = f.next();
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::parse);

  rdp_framer g;
  g.feed("bulk a b " + std::string(rdp_framer::max_bulk_header_bytes, '0'));
  CHECK(g.next().code() == errc::parse);
}

TEST_CASE("rdp_framer: a zero-length JSON packet is framed (its decoding fails later)", "[rdp_framer]") {
  rdp_framer f;
  f.feed("0:2:{}");
  CHECK(drain(f) == std::vector<packet>{json_packet(""), json_packet("{}")});
}

TEST_CASE("rdp_framer: a large packet grows the buffer, which shrinks afterwards", "[rdp_framer]") {
  const std::string big = "{\"from\":\"root\",\"data\":\"" + std::string(3 << 20, 'x') + "\"}";
  rdp_framer f({.keep_capacity_bytes = 64 << 10});
  const std::string stream = rdp_encode(big) + rdp_encode(attached);
  for (std::size_t pos = 0; pos < stream.size(); pos += 65536) f.feed(std::string_view(stream).substr(pos, 65536));
  CHECK(drain(f) == std::vector<packet>{json_packet(big), json_packet(attached)});
  // Small traffic after the big packet works as before (the buffer is reallocated smaller).
  for (int i = 0; i < 3; ++i) {
    f.feed(rdp_encode(attached));
    CHECK(drain(f) == std::vector<packet>{json_packet(attached)});
  }
}

TEST_CASE("rdp_framer: a huge declared length does not allocate it up front", "[rdp_framer]") {
  rdp_framer f({.max_packet_bytes = std::size_t{1} << 30, .keep_capacity_bytes = 1 << 16});
  f.feed("1000000000:{");
  auto r = f.next();
  REQUIRE(r);
  CHECK_FALSE(r->has_value());
  // The hint for the pending packet is capped by keep_capacity_bytes.
  CHECK(f.prepare(1).size() < (std::size_t{1} << 20));
}
