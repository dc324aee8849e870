#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "alloc_counter.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/json_value.hpp"
#include "janus/protocol/json_writer.hpp"

using janus::protocol::json_value;
using janus::protocol::json_writer;

namespace {

std::string as_json_string(std::string_view s) {
  json_writer w;
  w.string(s);
  return std::string(w.view());
}

}  // namespace

TEST_CASE("json_writer: objects and arrays get commas in the right places", "[json_writer]") {
  json_writer w;
  w.begin_object();
  w.key("a");
  w.number(std::int64_t{1});
  w.key("b");
  w.begin_array();
  w.boolean(true);
  w.null();
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.string("x");
  w.end_array();
  w.key("c");
  w.begin_object();
  w.key("d");
  w.boolean(false);
  w.end_object();
  w.end_object();
  CHECK(w.ok());
  CHECK(w.view() == R"({"a":1,"b":[true,null,{},[],"x"],"c":{"d":false}})");
}

TEST_CASE("json_writer: a scalar is a valid top-level value", "[json_writer]") {
  json_writer w;
  w.number(std::int64_t{-5});
  CHECK(w.ok());
  CHECK(w.view() == "-5");
}

TEST_CASE("json_writer: escapes quote, backslash and every control character", "[json_writer]") {
  CHECK(as_json_string("\"") == R"("\"")");
  CHECK(as_json_string("\\") == R"("\\")");
  CHECK(as_json_string("/") == R"("/")");
  CHECK(as_json_string("\x7f") == "\"\x7f\"");
  const char* expected[32] = {
      "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
      "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
      "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
      "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
  };
  for (int c = 0; c < 32; ++c) {
    INFO("control character " << c);
    const std::string one(1, static_cast<char>(c));
    CHECK(as_json_string(one) == "\"" + std::string(expected[c]) + "\"");
    CHECK(as_json_string("a" + one + "b") == "\"a" + std::string(expected[c]) + "b\"");
  }
  // Every escape reads back as the original text.
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  const auto back = json_value::parse(as_json_string(all));
  REQUIRE(back);
  CHECK(back->as_string() == all);
}

TEST_CASE("json_writer: valid UTF-8 passes through verbatim", "[json_writer]") {
  for (std::string s : {"h\xC3\xA9llo", "\xE2\x98\x83", "\xF0\x9F\x98\x80", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80",
                        "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",
                        "\xE2\x80\xA8"}) {
    json_writer w;
    w.string(s);
    INFO(s);
    CHECK(w.ok());
    CHECK(w.view() == "\"" + s + "\"");
  }
}

TEST_CASE("json_writer: invalid UTF-8 sets the error flag and keeps the output well-formed", "[json_writer]") {
  const char* bad[] = {
      "\x80",              // lone continuation byte
      "\xBF",              //
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong
      "\xE0\x80\xAF",      // overlong 3-byte
      "\xE0\x9F\xBF",      // overlong 3-byte (U+07FF)
      "\xED\xA0\x80",      // surrogate U+D800
      "\xED\xBF\xBF",      // surrogate U+DFFF
      "\xF0\x80\x80\xAF",  // overlong 4-byte
      "\xF0\x8F\xBF\xBF",  // overlong 4-byte (U+FFFF)
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // beyond Unicode
      "\xFF",              //
      "\xFE",              //
      "\xC3",              // truncated at the end
      "\xC3" "A",          // truncated before ASCII
      "\xE2\x82",          // truncated 3-byte
      "\xF0\x9F\x98",      // truncated 4-byte
      "\xF0\x9F\x98" "A",  //
      "ok\xE2\x82" "ok",   //
  };
  for (const char* s : bad) {
    INFO("bytes: " << s);
    json_writer w;
    w.string(s);
    CHECK_FALSE(w.ok());
    CHECK_FALSE(w.error_message().empty());
    CHECK(json_value::parse(w.view()).has_value());
    w.clear();
    CHECK(w.ok());
    w.begin_object();
    w.key(s);  // keys are checked the same way
    w.null();
    w.end_object();
    CHECK_FALSE(w.ok());
  }
}

TEST_CASE("json_writer: UTF-8 validation agrees with simdjson on every 1-3 byte sequence", "[json_writer]") {
  json_writer w;
  auto agree = [&](const char* p, std::size_t n) {
    w.clear();
    w.string(std::string_view(p, n));
    return w.ok() == simdjson::validate_utf8(p, n);
  };
  std::size_t disagreements = 0;
  char buf[4];
  for (int a = 0; a < 256; ++a) {
    buf[0] = static_cast<char>(a);
    disagreements += !agree(buf, 1);
    for (int b = 0; b < 256; ++b) {
      buf[1] = static_cast<char>(b);
      disagreements += !agree(buf, 2);
      if (a < 0xE0 || a > 0xF4) continue;  // only lead bytes of 3/4-byte sequences need a third
      for (int c = 0; c < 256; ++c) {
        buf[2] = static_cast<char>(c);
        disagreements += !agree(buf, 3);
      }
    }
  }
  CHECK(disagreements == 0);
  // 4-byte sequences around the edges of the valid ranges.
  for (int a : {0xF0, 0xF1, 0xF3, 0xF4, 0xF5})
    for (int b : {0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0})
      for (int c : {0x7F, 0x80, 0xBF, 0xC0})
        for (int d : {0x7F, 0x80, 0xBF, 0xC0}) {
          const char s[4] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
          CHECK(agree(s, 4));
        }
}

TEST_CASE("json_writer: integers", "[json_writer]") {
  json_writer w;
  w.begin_array();
  w.number(std::int64_t{0});
  w.number(std::numeric_limits<std::int64_t>::min());
  w.number(std::numeric_limits<std::int64_t>::max());
  w.number(42);                                         // int goes through the integral overload
  w.number(std::numeric_limits<std::uint64_t>::max());  // unsigned keeps its full range
  w.number(static_cast<unsigned char>(7));
  w.end_array();
  CHECK(w.ok());
  CHECK(w.view() == "[0,-9223372036854775808,9223372036854775807,42,18446744073709551615,7]");
}

TEST_CASE("json_writer: doubles use the shortest text that round-trips", "[json_writer]") {
  const double values[] = {0.0,  -0.0,   0.1,    1.0 / 3, 1e300, -1e-300, 5e-324, std::numeric_limits<double>::max(),
                           1.5,  -2.25,  1e21,   1e-7,    123456789.125, 9007199254740993.0};
  for (double v : values) {
    json_writer w;
    w.number(v);
    INFO(w.view());
    REQUIRE(w.ok());
    const std::string text(w.view());
    CHECK(std::strtod(text.c_str(), nullptr) == v);
    CHECK(std::signbit(std::strtod(text.c_str(), nullptr)) == std::signbit(v));
    CHECK(json_value::parse(text).has_value());
  }
  json_writer w;
  w.number(0.1);
  CHECK(w.view() == "0.1");
  w.clear();
  w.number(1.5);
  CHECK(w.view() == "1.5");
}

TEST_CASE("json_writer: non-finite doubles set the error flag", "[json_writer]") {
  for (double v : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    json_writer w;
    w.begin_array();
    w.number(v);
    w.end_array();
    CHECK_FALSE(w.ok());
    CHECK(w.view() == "[null]");
  }
}

TEST_CASE("json_writer: raw JSON is spliced in as a value", "[json_writer]") {
  json_writer w;
  w.begin_object();
  w.key("params");
  w.raw(R"({"url":"about:blank"})");
  w.key("list");
  w.begin_array();
  w.raw("1");
  w.raw("[2]");
  w.end_array();
  w.end_object();
  CHECK(w.ok());
  CHECK(w.view() == R"({"params":{"url":"about:blank"},"list":[1,[2]]})");

  w.clear();
  w.raw("");
  CHECK_FALSE(w.ok());
}

TEST_CASE("json_writer: misuse is reported, not ignored", "[json_writer]") {
  SECTION("end_object without begin") {
    json_writer w;
    w.end_object();
    CHECK_FALSE(w.ok());
  }
  SECTION("mismatched close") {
    json_writer w;
    w.begin_array();
    w.end_object();
    CHECK_FALSE(w.ok());
  }
  SECTION("key in an array") {
    json_writer w;
    w.begin_array();
    w.key("k");
    CHECK_FALSE(w.ok());
  }
  SECTION("value in an object without a key") {
    json_writer w;
    w.begin_object();
    w.number(std::int64_t{1});
    CHECK_FALSE(w.ok());
  }
  SECTION("key without a value") {
    json_writer w;
    w.begin_object();
    w.key("k");
    w.end_object();
    CHECK_FALSE(w.ok());
  }
  SECTION("two keys in a row") {
    json_writer w;
    w.begin_object();
    w.key("a");
    w.key("b");
    CHECK_FALSE(w.ok());
  }
  SECTION("two top-level values") {
    json_writer w;
    w.null();
    w.null();
    CHECK_FALSE(w.ok());
  }
  SECTION("the first error is the one reported") {
    json_writer w;
    w.number(std::numeric_limits<double>::quiet_NaN());
    w.null();
    CHECK(w.error_message().find("NaN") != std::string_view::npos);
  }
}

TEST_CASE("json_writer: clear() keeps capacity and take() moves the text out", "[json_writer]") {
  json_writer w;
  w.string(std::string(1000, 'x'));
  const std::string taken = w.take();
  CHECK(taken.size() == 1002);
  CHECK(w.view().empty());
  CHECK(w.ok());
  w.null();  // usable again after take(), as a fresh writer
  CHECK(w.view() == "null");
  CHECK(w.ok());
}

TEST_CASE("json_writer: steady-state writing allocates nothing", "[json_writer]") {
  json_writer w;
  auto write_command = [&] {
    w.clear();
    janus::protocol::cdp_encode_command(w, 12345, "Runtime.evaluate",
                                        R"({"expression":"document.title","returnByValue":true})", "SESSION-1");
  };
  write_command();  // warm-up: the buffer reaches its size
  const std::size_t n = janus::test::count_allocations([&] {
    for (int i = 0; i < 100; ++i) {
      write_command();
      w.clear();
      w.begin_object();
      for (int d = 0; d < 20; ++d) {
        w.key("nested");
        w.begin_object();
      }
      for (int d = 0; d < 20; ++d) w.end_object();
      w.end_object();
    }
  });
  CHECK(n == 0);
}

TEST_CASE("cdp_encode_command: the CDP command envelope", "[json_writer][cdp]") {
  json_writer w;
  janus::protocol::cdp_encode_command(w, 7, "Page.navigate", R"({"url":"https://example.com/"})", "ABC");
  CHECK(w.ok());
  CHECK(w.view() == R"({"id":7,"method":"Page.navigate","params":{"url":"https://example.com/"},"sessionId":"ABC"})");

  w.clear();
  janus::protocol::cdp_encode_command(w, 1, "Browser.getVersion", "", "");
  CHECK(w.view() == R"({"id":1,"method":"Browser.getVersion"})");

  w.clear();
  janus::protocol::cdp_encode_command(w, 2, "A.\"b\"", "", "");
  CHECK(w.view() == R"({"id":2,"method":"A.\"b\""})");

  w.clear();
  janus::protocol::cdp_encode_command(w, 3, "A.b", "", "\xFF");
  CHECK_FALSE(w.ok());
}
