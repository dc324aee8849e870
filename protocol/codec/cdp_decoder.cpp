#include <fmt/format.h>

#include <cstring>
#include <string>

#include "cdp_decoder_impl.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "ondemand_support.hpp"

namespace janus::protocol {

namespace {

namespace od = simdjson::ondemand;
using detail::parse_error;

// Used as the payload of an event that has no `params`, so consumers always get an object's text.
constexpr std::string_view empty_object = "{}";

// The routing fields of a CDP message, as seen while walking its members once in any order.
struct seen_fields {
  bool id = false;
  bool result = false;
  bool error = false;
  bool method = false;
  bool params = false;
  bool session = false;
};

rt::error duplicate(std::string_view key) {
  return parse_error(fmt::format("CDP message has a duplicate \"{}\" member", key));
}

// `{"code":-32601,"message":"…","data":…}`; anything else in it is ignored.
rt::result<void> read_error_object(od::value v, cdp_message& m) {
  od::object obj;
  if (auto e = v.get_object().get(obj)) return parse_error("CDP message: \"error\" is not an object", e);
  bool have_code = false, have_message = false, have_data = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return parse_error("CDP message: malformed \"error\" object", e);
    od::value fv;
    if (auto e = field.value().get(fv)) return parse_error("CDP message: malformed \"error\" object", e);
    if (key == "code") {
      if (have_code) return duplicate("error.code");
      have_code = true;
      if (auto e = fv.get_int64().get(m.error_code)) return parse_error("CDP message: \"error.code\" is not an integer", e);
    } else if (key == "message") {
      if (have_message) return duplicate("error.message");
      have_message = true;
      if (auto e = fv.get_string().get(m.error_message))
        return parse_error("CDP message: \"error.message\" is not a string", e);
    } else if (key == "data") {
      if (have_data) return duplicate("error.data");
      have_data = true;
      od::json_type type;
      if (auto e = fv.type().get(type)) return parse_error("CDP message: malformed \"error.data\"", e);
      const auto e = type == od::json_type::string ? fv.get_string().get(m.error_data)
                                                   : detail::value_text(fv, m.error_data);
      if (e) return parse_error("CDP message: malformed \"error.data\"", e);
    }
  }
  if (!have_code) return parse_error("CDP message: \"error\" has no \"code\"");
  return rt::ok;
}

// The raw text of an object-valued member (`result`, `params`).
rt::result<void> read_object_text(od::value v, std::string_view name, std::string_view& out) {
  od::json_type type;
  if (auto e = v.type().get(type)) return parse_error(fmt::format("CDP message: malformed \"{}\"", name), e);
  if (type != od::json_type::object) return parse_error(fmt::format("CDP message: \"{}\" is not an object", name));
  if (auto e = detail::value_text(v, out)) return parse_error(fmt::format("CDP message: malformed \"{}\"", name), e);
  return rt::ok;
}

// A routing string (method, sessionId), viewed in place in the input when it has no escapes, else
// unescaped into `store`: never left in the parser's string buffer, which a typed decode of the
// payload from the same parse reuses (see cdp_decoder_impl.hpp).
simdjson::error_code routing_string(od::value& v, std::string& store, std::string_view& out) noexcept {
  bool in_place = false;
  if (auto e = detail::string_in_place(v, out, in_place)) return e;
  if (in_place) return simdjson::SUCCESS;
  try {
    store.assign(out);
  } catch (...) {
    return simdjson::MEMALLOC;
  }
  out = store;
  return simdjson::SUCCESS;
}

// The payload read by `reader` where it stands, and its text from where it started to where the
// reader left the document.
rt::result<void> read_payload(od::value& v, std::string_view name, od::document& doc, payload_reader& reader,
                              std::string_view& text) {
  od::json_type type;
  if (auto e = v.type().get(type)) return parse_error(fmt::format("CDP message: malformed \"{}\"", name), e);
  if (type != od::json_type::object) return parse_error(fmt::format("CDP message: \"{}\" is not an object", name));
  const char* start = v.raw_json_token().data();
  reader.done = true;
  if (!reader.read(reader.context, v)) {
    reader.failed = true;
    return parse_error(fmt::format("CDP message: \"{}\" does not decode", name));
  }
  const char* end = nullptr;
  if (auto e = doc.current_location().get(end)) return parse_error("CDP message is not valid JSON", e);
  text = detail::trim_trailing_space(std::string_view(start, static_cast<std::size_t>(end - start)));
  if (text.empty() || text.back() != '}') return parse_error(fmt::format("CDP message: malformed \"{}\"", name));
  return rt::ok;
}

rt::result<void> read_member(std::string_view key, od::value v, seen_fields& seen, cdp_message& m,
                             std::string& method_store, std::string& session_store, od::document& doc,
                             payload_reader* reader) {
  // Members are dispatched on their name once; unknown ones are skipped by the object iterator.
  if (key == "id") {
    if (seen.id) return duplicate(key);
    seen.id = true;
    if (auto e = v.get_int64().get(m.id)) return parse_error("CDP message: \"id\" is not a 64-bit integer", e);
  } else if (key == "method") {
    if (seen.method) return duplicate(key);
    seen.method = true;
    if (auto e = routing_string(v, method_store, m.method))
      return parse_error("CDP message: \"method\" is not a string", e);
  } else if (key == "sessionId") {
    if (seen.session) return duplicate(key);
    seen.session = true;
    if (auto e = routing_string(v, session_store, m.session_id))
      return parse_error("CDP message: \"sessionId\" is not a string", e);
  } else if (key == "result" || key == "params") {
    bool& flag = key == "result" ? seen.result : seen.params;
    if (flag) return duplicate(key);
    flag = true;
    if (reader && !reader->done && key == "params" && seen.method && m.method == reader->method) {
      return read_payload(v, key, doc, *reader, m.payload);
    }
    return read_object_text(v, key, m.payload);
  } else if (key == "error") {
    if (seen.error) return duplicate(key);
    seen.error = true;
    return read_error_object(v, m);
  }
  return rt::ok;
}

rt::result<void> classify(const seen_fields& seen, cdp_message& m) {
  if (seen.id) {
    if (seen.method) return parse_error(fmt::format("CDP message with id {} has a \"method\": the browser sent a command", m.id));
    if (seen.result && seen.error) return parse_error(fmt::format("CDP reply {} has both \"result\" and \"error\"", m.id));
    // Only the member of the message's kind may set the payload view (found by fuzz_cdp_typed:
    // {"id":6,"result":{},"params":{...}} had the params as its payload).
    if (seen.params) return parse_error(fmt::format("CDP reply {} has \"params\"", m.id));
    if (seen.result) m.kind = cdp_kind::reply;
    else if (seen.error) m.kind = cdp_kind::error_reply;
    else return parse_error(fmt::format("CDP reply {} has neither \"result\" nor \"error\"", m.id));
    return rt::ok;
  }
  if (seen.method) {
    if (seen.result || seen.error) return parse_error("CDP event has a \"result\" or \"error\"");
    m.kind = cdp_kind::event;
    if (!seen.params) m.payload = empty_object;
    return rt::ok;
  }
  if (seen.error) {
    if (seen.result || seen.params) return parse_error("CDP error without an id has a \"result\" or \"params\"");
    m.kind = cdp_kind::protocol_error;
    return rt::ok;
  }
  return parse_error("CDP message has neither \"id\" nor \"method\"");
}

}  // namespace

rt::result<cdp_message> cdp_decoder::impl::decode(simdjson::padded_string_view in, payload_reader* reader) {
  last_ok = false;
  // The document is kept (not a local) so that a typed decode can rewind it to the payload.
  if (auto e = parser.iterate(in).get(doc)) return parse_error("CDP message is not valid JSON", e);
  od::object root;
  if (auto e = doc.get_object().get(root)) return parse_error("CDP message is not a JSON object", e);
  cdp_message m;
  seen_fields seen;
  for (auto member : root) {
    od::field field;
    if (auto e = std::move(member).get(field)) return parse_error("CDP message is not valid JSON", e);
    std::string_view key;
    if (auto e = detail::key_of(field, key)) return parse_error("CDP message is not valid JSON", e);
    od::value v = field.value();
    if (auto r = read_member(key, v, seen, m, method_store, session_store, doc, reader); !r) return std::move(r).err();
  }
  // Ending anywhere but at the end of the input means bytes follow the object.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return parse_error("CDP message has trailing content after its JSON object");
  if (auto r = classify(seen, m); !r) return std::move(r).err();
  last = m;
  last_ok = true;
  // The buffer is the decoder's own memory; see payload().
  padding_byte = const_cast<char*>(in.data()) + in.size();
  return m;
}

simdjson::error_code cdp_decoder::impl::payload(od::value& out, bool& found) noexcept {
  found = false;
  // The message is known valid, so this walk only skips to the member: Chromium puts `params` and
  // `result` second, and rewind() keeps stage 1's index, so this costs a few tokens.
  // simdjson checks that the whole document's brackets balance, a scan of every structural, each
  // time the root object is started while the first padding byte is `}` — which padded_buffer puts
  // there to make the first pass check it. The message has passed that check, so the byte is
  // blanked for the walks that follow: the scan was most of this function's cost.
  *padding_byte = ' ';
  doc.rewind();
  od::object root;
  if (auto e = doc.get_object().get(root)) return e;
  const std::string_view want = last.kind == cdp_kind::reply ? "result" : "params";
  for (auto member : root) {
    od::field field;
    if (auto e = std::move(member).get(field)) return e;
    std::string_view key;
    if (auto e = detail::key_of(field, key)) return e;
    if (key == want) {
      out = field.value();
      found = true;
      return simdjson::SUCCESS;
    }
  }
  return simdjson::SUCCESS;
}

rt::result<void> cdp_decoder::impl::check_size(std::size_t n) const {
  if (n <= options.max_message_bytes) return rt::ok;
  return rt::error(rt::errc::message_too_large,
                   fmt::format("CDP message of {} bytes exceeds the limit of {} bytes", n, options.max_message_bytes));
}

cdp_decoder::cdp_decoder(cdp_decoder_options options) : impl_(std::make_unique<impl>(options)) {}
cdp_decoder::~cdp_decoder() = default;
cdp_decoder::cdp_decoder(cdp_decoder&&) noexcept = default;
cdp_decoder& cdp_decoder::operator=(cdp_decoder&&) noexcept = default;

const cdp_decoder_options& cdp_decoder::options() const noexcept { return impl_->options; }

rt::result<cdp_message> cdp_decoder::impl::decode_text(std::string_view text, payload_reader* reader) {
  // Whatever happens next, the previous message's parse is gone for typed decoding.
  last_ok = false;
  if (auto r = check_size(text.size()); !r) return std::move(r).err();
  detail::trim_parser(parser, text.size(), options.keep_capacity_bytes);
  return decode(buffer.assign(text, '}', options.keep_capacity_bytes), reader);
}

rt::result<cdp_message> cdp_decoder::decode(std::string_view text) { return impl_->decode_text(text, nullptr); }

}  // namespace janus::protocol
