// Vocabulary shared by the generated CDP bindings (<janus/cdp/*.hpp>) and the entry points that
// turn them into JSON and back.
//
// The bindings are generated from Chromium's own protocol description at build time: one namespace
// per domain (janus::cdp::page, janus::cdp::network, ...), snake_case names throughout. For a
// command `Domain.doThing` a domain header declares
//
//   struct do_thing {                                  // the command's parameters
//     static constexpr std::string_view method = "Domain.doThing";
//     using result_type = do_thing_result;             // or cdp::no_result when it returns nothing
//     ...fields...
//   };
//   struct do_thing_result { ...fields... };
//
// and for an event `Domain.thingHappened` a struct `thing_happened` with its `method`. Optional
// fields are std::optional, arrays std::vector, `any` and property-less objects protocol::raw_json,
// "integer" std::int64_t, "number" double, string enumerations cdp::open_enum<E>.
//
// Headers stay cheap to include: they hold plain aggregates and one declaration per type,
// `cdp_describe(const T*)` (or `cdp_describe(E)` for an enumeration), which returns the type's
// descriptor. All JSON work happens in the library, driven by those descriptors, through these
// entry points (found in namespace janus::cdp):
//
//   void encode(protocol::json_writer&, const T&)             any generated struct, as a JSON object
//   void encode_params(protocol::json_writer&, const C&)      a command's parameters
//   rt::result<void> decode(std::string_view json, T&)        any generated struct from object text
//   rt::result<void> decode_result(std::string_view json, typename C::result_type&)
//   rt::result<void> decode_event(std::string_view json, E&)  an event's `params` object
//   rt::result<void> decode_event(protocol::cdp_decoder&, E&) the same, from the decoder's parse of
//                                                             the message it decoded last
//   rt::result<void> decode_result(protocol::cdp_decoder&, R&)
//   std::string_view to_string(E)                             an enumerator's wire string
//
// Decoding ignores members the schema does not know (newer browsers add them), keeps enumeration
// strings it does not know in open_enum::raw, and fails with errc::parse naming the field path
// ("Network.responseReceived: response.status: expected a number") when a value has the wrong
// type or a required member is missing.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/json_value.hpp"
#include "janus/rt/result.hpp"

namespace janus::cdp {

using protocol::raw_json;

namespace detail {
struct type_desc;
}

/// A value of a CDP string enumeration that survives strings the schema does not list.
///
/// Every generated enumeration starts with `unknown` (= 0). A string the schema lists decodes to
/// its enumerator; any other string decodes to `unknown` and is kept in `raw`, so re-encoding sends
/// the browser exactly what it sent. Compare directly with an enumerator: `ev.type == ...::xhr`.
template <class E>
struct open_enum {
  /// The enumerator, or E::unknown when the string is not in the schema.
  E value{};
  /// The wire string when value is E::unknown; empty otherwise.
  std::string raw{};

  open_enum() = default;
  constexpr open_enum(E e) : value(e) {}  // NOLINT(google-explicit-constructor): reads like an enum

  /// Whether the string was one the schema lists.
  constexpr bool known() const noexcept { return value != E{}; }
  /// The wire string: the enumerator's, or the unknown one that was received.
  std::string_view str() const noexcept;

  friend constexpr bool operator==(const open_enum& a, E b) noexcept { return a.value == b; }
  friend bool operator==(const open_enum& a, const open_enum& b) noexcept {
    return a.value == b.value && a.raw == b.raw;
  }
};

/// An optional value kept on the heap, for the members through which CDP types contain
/// themselves (DOM.Node.contentDocument, Runtime.StackTrace.parent, Runtime.ObjectPreview through
/// PropertyPreview.valuePreview): std::optional<T> cannot hold a T that is not yet complete. It has
/// value semantics (copies are deep) and std::optional's reading interface.
///
/// The deleter is recorded when a value is stored, so that destroying an optional_box does not need
/// T complete: compilers instantiate the destructor where a struct's `{}` member initializer
/// names it, which for these types is before T is defined.
template <class T>
class optional_box {
 public:
  using value_type = T;

  constexpr optional_box() noexcept = default;
  constexpr optional_box(std::nullopt_t) noexcept {}
  optional_box(const T& v) : p_(new T(v)), delete_(&destroy) {}
  optional_box(T&& v) : p_(new T(std::move(v))), delete_(&destroy) {}
  optional_box(const optional_box& o) : p_(o.p_ ? new T(*o.p_) : nullptr), delete_(&destroy) {}
  optional_box(optional_box&& o) noexcept : p_(std::exchange(o.p_, nullptr)), delete_(o.delete_) {}
  optional_box& operator=(const optional_box& o) {
    if (this != &o) {
      T* copy = o.p_ ? new T(*o.p_) : nullptr;
      reset();
      p_ = copy;
      delete_ = &destroy;
    }
    return *this;
  }
  optional_box& operator=(optional_box&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
      delete_ = o.delete_;
    }
    return *this;
  }
  ~optional_box() { reset(); }

  bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  T& operator*() noexcept { return *p_; }
  const T& operator*() const noexcept { return *p_; }
  T* operator->() noexcept { return p_; }
  const T* operator->() const noexcept { return p_; }

  template <class... Args>
  T& emplace(Args&&... args) {
    T* fresh = new T(std::forward<Args>(args)...);
    reset();
    p_ = fresh;
    delete_ = &destroy;
    return *p_;
  }
  void reset() noexcept {
    if (p_) delete_(p_);
    p_ = nullptr;
  }

 private:
  static void destroy(T* p) noexcept { delete p; }

  T* p_ = nullptr;
  void (*delete_)(T*) noexcept = nullptr;
};

/// The result of a command whose schema declares no return values. Decoding it accepts (and
/// ignores) whatever the browser puts in `result`.
struct no_result {};
const detail::type_desc& cdp_describe(const no_result*) noexcept;

/// A generated struct (type, command parameters, command result or event).
template <class T>
concept typed_object = std::is_class_v<T> && requires(const T* p) {
  { cdp_describe(p) } -> std::same_as<const detail::type_desc&>;
};

/// A generated enumeration.
template <class E>
concept typed_enum = std::is_enum_v<E> && requires(E e) {
  { cdp_describe(e) } -> std::same_as<const detail::type_desc&>;
};

/// A command's parameter struct: knows its method name and the struct its reply decodes into.
template <class C>
concept command = typed_object<C> && typed_object<typename C::result_type> && requires {
  { C::method } -> std::convertible_to<std::string_view>;
};

/// An event's struct: knows its method name and has no result.
template <class E>
concept event = typed_object<E> && !requires { typename E::result_type; } && requires {
  { E::method } -> std::convertible_to<std::string_view>;
};

namespace detail {
void encode(protocol::json_writer& w, const type_desc& type, const void* value);
rt::result<void> decode(std::string_view json, const type_desc& type, void* out);
/// The payload of `decoder`'s last message, from its own parse: an event's `params` when `method`
/// is its method, a reply's `result` when `method` is empty.
rt::result<protocol::cdp_message> decode_message(protocol::cdp_decoder& decoder, std::string_view text,
                                                 std::string_view method, const type_desc& type, void* out);
rt::result<void> decode_payload(protocol::cdp_decoder& decoder, std::string_view method, const type_desc& type,
                                void* out);
std::string_view enum_name(const type_desc& type, std::size_t index) noexcept;
}  // namespace detail

/// Writes `value` as a JSON object into `w` (check w.ok() once the message is complete).
template <typed_object T>
void encode(protocol::json_writer& w, const T& value) {
  detail::encode(w, cdp_describe(&value), &value);
}

/// Reads `out` from the text of a JSON object. Members absent from the text are reset (empty,
/// zero), whatever `out` held before; after an error `out` is valid but partly filled.
template <typed_object T>
rt::result<void> decode(std::string_view json, T& out) {
  return detail::decode(json, cdp_describe(&out), &out);
}

/// Writes a command's `params` object.
template <command C>
void encode_params(protocol::json_writer& w, const C& params) {
  encode(w, params);
}

/// Reads a command's reply (the text of the `result` object) into its result_type.
template <typed_object R>
rt::result<void> decode_result(std::string_view json, R& result) {
  return decode(json, result);
}

/// Reads an event (the text of its `params` object, `{}` when absent).
template <event E>
rt::result<void> decode_event(std::string_view json, E& ev) {
  return decode(json, ev);
}

/// Reads the event that `decoder` decoded last into `ev`, from the decoder's own parse of the
/// message: the same outcome as decode_event(message.payload, ev), without parsing the payload text
/// a second time (simdjson's stage 1, the padded copy). Use it where the wire message is decoded:
///
///   auto m = decoder.decode(text);
///   if (m && m->kind == protocol::cdp_kind::event && m->method == E::method) decode_event(decoder, ev);
///
/// errc::invalid_argument when the decoder's last decode failed or was not an event of E's method;
/// errc::parse as for the text. The views of the decoded cdp_message stay valid.
///
/// @par Thread Safety
/// Uses `decoder` as its decode() does: one thread at a time.
template <event E>
rt::result<void> decode_event(protocol::cdp_decoder& decoder, E& ev) {
  return detail::decode_payload(decoder, E::method, cdp_describe(&ev), &ev);
}

/// Decodes the wire message `text` with `decoder` and, when it is event E, reads its `params` into
/// `ev` in the same pass: the payload is walked once, where decode() followed by
/// decode_event(decoder, ev) skips over it and then walks it again. This is the fastest way from
/// wire bytes to a typed event.
///
///   auto m = decode_event(decoder, text, ev);
///   if (m && m->kind == protocol::cdp_kind::event && m->method == E::method) use(ev);
///
/// `ev` has been read exactly when the returned message is an event of E's method; any other
/// message is returned as decode() returns it, and `ev` is left alone. errc::parse when the message
/// or (for E) its `params` do not decode, naming the member path as decode_event(text, ev) does.
/// Afterwards the decoder holds this message as after decode().
///
/// @par Thread Safety
/// Uses `decoder` as its decode() does: one thread at a time.
template <event E>
rt::result<protocol::cdp_message> decode_event(protocol::cdp_decoder& decoder, std::string_view text, E& ev) {
  return detail::decode_message(decoder, text, E::method, cdp_describe(&ev), &ev);
}

/// Reads the `result` of the reply that `decoder` decoded last, from the decoder's own parse; see
/// decode_event(protocol::cdp_decoder&, E&). errc::invalid_argument when the last message is not a
/// reply (nothing checks that it answers the command R belongs to).
///
/// @par Thread Safety
/// Uses `decoder` as its decode() does: one thread at a time.
template <typed_object R>
rt::result<void> decode_result(protocol::cdp_decoder& decoder, R& result) {
  return detail::decode_payload(decoder, {}, cdp_describe(&result), &result);
}

/// The wire string of an enumerator ("" for E::unknown).
template <typed_enum E>
std::string_view to_string(E e) noexcept {
  return detail::enum_name(cdp_describe(e), static_cast<std::size_t>(e));
}

template <class E>
std::string_view open_enum<E>::str() const noexcept {
  return known() ? to_string(value) : std::string_view(raw);
}

}  // namespace janus::cdp
