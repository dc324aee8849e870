#include "janus/protocol/rdp_framer.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

namespace janus::protocol {

namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Firefox's own header grammar for bulk tokens is `[^: ]+`.
constexpr bool is_bulk_token_char(char c) noexcept { return c != ' ' && c != ':'; }

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", u);
}

}  // namespace

rt::error rdp_framer::fail(rt::error e) {
  failed_ = true;
  error_ = e;
  return e;
}

void rdp_framer::reallocate(std::size_t data_capacity) {
  std::unique_ptr<char[]> fresh(new char[data_capacity]);
  const std::size_t n = end_ - begin_;
  if (n != 0) std::memcpy(fresh.get(), data_.get() + begin_, n);
  data_ = std::move(fresh);
  capacity_ = data_capacity;
  begin_ = 0;
  end_ = n;
}

std::span<char> rdp_framer::prepare(std::size_t n) {
  const std::size_t pending = end_ - begin_;
  // Once a header is parsed the packet's size is known: make room for it in one step, but only up
  // to keep_capacity_bytes, so a peer declaring a huge length cannot make us allocate it up front.
  const std::size_t missing = wanted_ > pending ? wanted_ - pending : 0;
  const std::size_t need = std::max(n, std::min(missing, options_.keep_capacity_bytes));
  if (pending == 0) begin_ = end_ = 0;
  if (pending == 0 && capacity_ > options_.keep_capacity_bytes && need <= options_.keep_capacity_bytes) {
    reallocate(options_.keep_capacity_bytes);
  } else if (capacity_ - end_ < need) {
    if (capacity_ - pending >= need) {
      std::memmove(data_.get(), data_.get() + begin_, pending);
      begin_ = 0;
      end_ = pending;
    } else {
      std::size_t cap = std::max<std::size_t>(capacity_, 4096);
      while (cap - pending < need) cap = cap > SIZE_MAX / 4 ? pending + need : cap * 2;
      reallocate(cap);
    }
  }
  prepared_ = capacity_ - end_;
  return {data_.get() + end_, prepared_};
}

void rdp_framer::commit(std::size_t n) {
  end_ += std::min(n, prepared_);
  prepared_ = 0;
}

void rdp_framer::feed(std::string_view bytes) {
  if (failed_ || bytes.empty()) return;
  const std::span<char> room = prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

// Reads decimal digits at pos up to and including the ':' that ends every header, looking at no
// more than `avail` bytes of the packet.
rdp_framer::header_status rdp_framer::read_length(std::size_t& pos, std::size_t& length, std::size_t avail) {
  const char* p = data_.get() + begin_;
  const std::size_t start = pos;
  length = 0;
  for (; pos < avail && is_digit(p[pos]); ++pos) {
    if (pos - start >= max_length_digits) {
      fail(rt::error(rt::errc::parse, fmt::format("RDP framing: packet length has more than {} digits",
                                                  max_length_digits)));
      return header_status::invalid;
    }
    const auto digit = static_cast<std::size_t>(p[pos] - '0');
    if (digit > options_.max_packet_bytes || length > (options_.max_packet_bytes - digit) / 10) {
      fail(rt::error(rt::errc::message_too_large,
                     fmt::format("RDP framing: packet length {}{}... exceeds the limit of {} bytes",
                                 std::string_view(p + start, pos - start), p[pos], options_.max_packet_bytes)));
      return header_status::invalid;
    }
    length = length * 10 + digit;
  }
  if (pos == avail) return header_status::incomplete;
  if (pos == start) {
    fail(rt::error(rt::errc::parse, fmt::format("RDP framing: expected a packet length, got {}", printable(p[pos]))));
    return header_status::invalid;
  }
  if (p[pos] != ':') {
    fail(rt::error(rt::errc::parse,
                   fmt::format("RDP framing: expected ':' after the packet length, got {}", printable(p[pos]))));
    return header_status::invalid;
  }
  ++pos;
  return header_status::complete;
}

rdp_framer::header_status rdp_framer::parse_json_header(std::size_t& header, std::size_t& length) {
  header = 0;
  return read_length(header, length, end_ - begin_);
}

// `bulk ACTOR TYPE LENGTH:`, checked byte by byte so garbage fails without waiting for more input.
rdp_framer::header_status rdp_framer::parse_bulk_header(rdp_packet& pkt, std::size_t& header,
                                                        std::size_t& length) {
  static constexpr std::string_view magic = "bulk ";
  const char* p = data_.get() + begin_;
  const std::size_t avail = std::min(end_ - begin_, max_bulk_header_bytes);
  const auto bad = [&](std::string_view why) {
    fail(rt::error(rt::errc::parse, fmt::format("RDP framing: malformed bulk header: {}", why)));
    return header_status::invalid;
  };
  const auto incomplete = [&] {
    if (end_ - begin_ >= max_bulk_header_bytes)
      return bad(fmt::format("longer than {} bytes", max_bulk_header_bytes));
    return header_status::incomplete;
  };
  std::size_t pos = 0;
  for (; pos < magic.size(); ++pos) {
    if (pos == avail) return incomplete();
    if (p[pos] != magic[pos]) return bad("expected \"bulk \"");
  }
  std::string_view* tokens[] = {&pkt.actor, &pkt.type};
  for (std::string_view* token : tokens) {
    const std::size_t start = pos;
    while (pos < avail && is_bulk_token_char(p[pos])) ++pos;
    if (pos == avail) return incomplete();
    if (pos == start || p[pos] != ' ') return bad("expected \"bulk ACTOR TYPE LENGTH:\"");
    *token = std::string_view(p + start, pos - start);
    ++pos;
  }
  const header_status s = read_length(pos, length, avail);
  if (s == header_status::incomplete) return incomplete();
  header = pos;
  return s;
}

rt::result<std::optional<rdp_packet>> rdp_framer::next() {
  if (failed_) return error_;
  if (begin_ == end_) return std::optional<rdp_packet>{};
  rdp_packet pkt;
  std::size_t header = 0, length = 0;
  header_status s;
  const char first = data_[begin_];
  if (is_digit(first)) {
    s = parse_json_header(header, length);
  } else if (first == 'b') {
    pkt.kind = rdp_packet_kind::bulk;
    s = parse_bulk_header(pkt, header, length);
  } else {
    return fail(rt::error(rt::errc::parse,
                          fmt::format("RDP framing: expected a packet length or \"bulk\", got {}", printable(first))));
  }
  if (s == header_status::invalid) return error_;
  if (s == header_status::incomplete) return std::optional<rdp_packet>{};
  if (end_ - begin_ - header < length) {
    wanted_ = header + length;
    return std::optional<rdp_packet>{};
  }
  const char* body = data_.get() + begin_ + header;
  if (pkt.kind == rdp_packet_kind::json) {
    pkt.json = std::string_view(body, length);
  } else {
    pkt.bytes = std::string_view(body, length);
  }
  begin_ += header + length;
  wanted_ = 0;
  return std::optional<rdp_packet>{pkt};
}

void rdp_encode_to(std::string& out, std::string_view json) {
  char digits[24];
  const auto r = fmt::format_to_n(digits, sizeof digits, "{}:", json.size());
  out.append(digits, r.out);
  out.append(json);
}

std::string rdp_encode(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 21);
  rdp_encode_to(out, json);
  return out;
}

std::string rdp_encode_bulk(std::string_view actor, std::string_view type, std::string_view bytes) {
  std::string out = fmt::format("bulk {} {} {}:", actor, type, bytes.size());
  out.append(bytes);
  return out;
}

}  // namespace janus::protocol
