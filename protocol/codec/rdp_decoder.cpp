#include <fmt/format.h>

#include "janus/protocol/rdp_codec.hpp"
#include "ondemand_support.hpp"

namespace janus::protocol {

namespace {

namespace od = simdjson::ondemand;
using detail::parse_error;

struct seen_fields {
  bool from = false;
  bool type = false;
  bool error = false;
  bool message = false;
  bool prefix = false;
  bool request_types = false;
};

rt::error duplicate(std::string_view key) {
  return parse_error(fmt::format("RDP packet has a duplicate \"{}\" member", key));
}

// A member that only counts when it is a string (reply values may reuse these names).
rt::result<void> optional_string(od::value v, std::string_view key, bool& seen, std::string_view& out) {
  if (seen) return duplicate(key);
  seen = true;
  od::json_type type;
  if (auto e = v.type().get(type)) return parse_error(fmt::format("RDP packet: malformed \"{}\"", key), e);
  if (type != od::json_type::string) return rt::ok;
  if (auto e = v.get_string().get(out)) return parse_error(fmt::format("RDP packet: malformed \"{}\"", key), e);
  return rt::ok;
}

rt::result<void> read_member(std::string_view key, od::value v, seen_fields& seen, rdp_message& m) {
  if (key == "from") {
    if (seen.from) return duplicate(key);
    seen.from = true;
    if (auto e = v.get_string().get(m.from)) return parse_error("RDP packet: \"from\" is not a string", e);
  } else if (key == "type") {
    return optional_string(v, key, seen.type, m.type);
  } else if (key == "error") {
    return optional_string(v, key, seen.error, m.error);
  } else if (key == "message") {
    return optional_string(v, key, seen.message, m.message);
  } else if (key == "prefix") {
    return optional_string(v, key, seen.prefix, m.prefix);
  } else if (key == "requestTypes") {
    if (seen.request_types) return duplicate(key);
    seen.request_types = true;
    od::json_type type;
    if (auto e = v.type().get(type)) return parse_error("RDP packet: malformed \"requestTypes\"", e);
    m.has_request_types = type == od::json_type::array;
  }
  return rt::ok;
}

}  // namespace

struct rdp_decoder::impl {
  explicit impl(rdp_decoder_options o) : options(o) {}

  rt::result<rdp_message> decode(simdjson::padded_string_view in) {
    od::document doc;
    if (auto e = parser.iterate(in).get(doc)) return parse_error("RDP packet is not valid JSON", e);
    od::object root;
    if (auto e = doc.get_object().get(root)) return parse_error("RDP packet is not a JSON object", e);
    rdp_message m;
    seen_fields seen;
    for (auto member : root) {
      od::field field;
      if (auto e = std::move(member).get(field)) return parse_error("RDP packet is not valid JSON", e);
      std::string_view key;
      if (auto e = detail::key_of(field, key)) return parse_error("RDP packet is not valid JSON", e);
      od::value v = field.value();
      if (auto r = read_member(key, v, seen, m); !r) return std::move(r).err();
    }
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
      return parse_error("RDP packet has trailing content after its JSON object");
    if (!seen.from) return parse_error("RDP packet has no \"from\"");
    m.json = std::string_view(in.data(), in.size());
    return m;
  }

  rt::result<void> check_size(std::size_t n) const {
    if (n <= options.max_message_bytes) return rt::ok;
    return rt::error(rt::errc::message_too_large,
                     fmt::format("RDP packet of {} bytes exceeds the limit of {} bytes", n, options.max_message_bytes));
  }

  rdp_decoder_options options;
  od::parser parser;
  detail::padded_buffer buffer;
};

rdp_decoder::rdp_decoder(rdp_decoder_options options) : impl_(std::make_unique<impl>(options)) {}
rdp_decoder::~rdp_decoder() = default;
rdp_decoder::rdp_decoder(rdp_decoder&&) noexcept = default;
rdp_decoder& rdp_decoder::operator=(rdp_decoder&&) noexcept = default;

const rdp_decoder_options& rdp_decoder::options() const noexcept { return impl_->options; }

rt::result<rdp_message> rdp_decoder::decode(std::string_view json) {
  if (auto r = impl_->check_size(json.size()); !r) return std::move(r).err();
  detail::trim_parser(impl_->parser, json.size(), impl_->options.keep_capacity_bytes);
  return impl_->decode(impl_->buffer.assign(json, '}', impl_->options.keep_capacity_bytes));
}

}  // namespace janus::protocol
