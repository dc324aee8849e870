// Descriptors of the generated CDP types: what the generic encoder walks, and where each struct's
// decoder is.
//
// Each generated struct gets a small constant table (wire name, field type, required flag per
// member) and an accessor switch, which one hand-written walker in the library uses to encode all
// of them, and which code that knows a type only by its descriptor (tests, registries) uses to
// create and inspect values. Decoding is generated per struct instead (`decode`, built from
// protocol/cdp/decode_support.hpp): decoding is the hot direction (every event), and a walker over
// these tables paid indirect calls and a type switch per member, 3-5x simdjson's own walk.
// The generated descriptor sources, the library and those tests include this header; users of the
// typed API do not need it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "janus/protocol/cdp/common.hpp"

namespace janus::cdp::detail {

enum class kind : std::uint8_t {
  boolean,
  integer,
  number,
  string,
  json,         // protocol::raw_json: any JSON value, kept as text
  enumeration,  // open_enum<E>
  object,       // a generated struct
  optional,     // std::optional<T> or optional_box<T>
  array,        // std::vector<T>
};

using type_fn = const type_desc& (*)() noexcept;

/// One member of a generated struct.
struct field_desc {
  std::string_view name;  ///< the wire name ("frameId")
  type_fn type;
  bool required;
};

/// How to read and build one C++ type without knowing it. Which members are set depends on `what`.
struct type_desc {
  kind what;
  /// kind::object: "Page.Frame", "Page.navigate" (parameters), "Page.navigate result", or the
  /// event's method. kind::enumeration: "Network.ResourceType".
  std::string_view name{};

  // kind::object
  const field_desc* fields = nullptr;
  std::size_t field_count = 0;
  /// The address of member `index` of the struct at `object` (index < field_count).
  void* (*field)(void* object, std::size_t index) noexcept = nullptr;
  /// A default-constructed struct on the heap, and its deletion: what lets code that knows a type
  /// only by its descriptor (a method-name registry, the generated tests) hold values of it.
  void* (*create)() = nullptr;
  void (*destroy)(void* object) noexcept = nullptr;
  /// Decodes a simdjson::ondemand::value (`value`) into the struct at `object`, filling the
  /// detail::decode_failure at `failure` when it fails: the struct's generated decoder (see
  /// protocol/cdp/decode_support.hpp). Erased so that this header needs no simdjson.
  bool (*decode)(void* value, void* object, void* failure) = nullptr;

  // kind::enumeration: values[i] is the wire string of enumerator i + 1 (0 is `unknown`).
  const std::string_view* values = nullptr;
  std::size_t value_count = 0;
  std::size_t (*get_enum)(const void* e, std::string_view& raw) noexcept = nullptr;
  void (*set_enum)(void* e, std::size_t index, std::string_view raw) = nullptr;

  // kind::optional and kind::array: elements are `stride` bytes apart (see container_traits)
  type_fn element = nullptr;
  std::size_t stride = 0;
  std::size_t (*view)(const void* c, const void*& first) noexcept = nullptr;
};

extern const type_desc boolean_type;
extern const type_desc integer_type;
extern const type_desc number_type;
extern const type_desc string_type;
extern const type_desc json_type;

template <class T>
const type_desc& type_of() noexcept;

/// Type-erased reading of std::optional<T>, optional_box<T> and std::vector<T>, for the encoder.
///
/// The member is defined out of line, so not inline: each generated bundle instantiates it only
/// for the containers of its own domains' types and declares the others `extern template`.
template <class C>
struct container_traits {
  using element = typename C::value_type;
  static constexpr bool is_array = std::is_same_v<C, std::vector<element>>;
  /// The element count (an optional has 0 or 1) and, when not 0, the address of the first.
  static std::size_t view(const void* c, const void*& first) noexcept;
};

template <class C>
std::size_t container_traits<C>::view(const void* c, const void*& first) noexcept {
  const C& container = *static_cast<const C*>(c);
  if constexpr (is_array) {
    first = container.data();
    return container.size();
  } else {
    if (!container.has_value()) return 0;
    first = &*container;
    return 1;
  }
}

template <class C>
inline constexpr type_desc container_type{
    .what = container_traits<C>::is_array ? kind::array : kind::optional,
    .element = &type_of<typename container_traits<C>::element>,
    .stride = sizeof(typename container_traits<C>::element),
    .view = &container_traits<C>::view,
};

template <class T>
inline constexpr bool is_container = false;
template <class T>
inline constexpr bool is_container<std::optional<T>> = true;
template <class T>
inline constexpr bool is_container<optional_box<T>> = true;
template <class T>
inline constexpr bool is_container<std::vector<T>> = true;

template <class E>
const type_desc& enum_type_of(const open_enum<E>*) noexcept {
  return cdp_describe(E{});
}

template <class T>
const type_desc& type_of() noexcept {
  if constexpr (std::is_same_v<T, bool>) return boolean_type;
  else if constexpr (std::is_same_v<T, std::int64_t>) return integer_type;
  else if constexpr (std::is_same_v<T, double>) return number_type;
  else if constexpr (std::is_same_v<T, std::string>) return string_type;
  else if constexpr (std::is_same_v<T, raw_json>) return json_type;
  else if constexpr (is_container<T>) return container_type<T>;
  else if constexpr (requires(const T* p) { enum_type_of(p); }) return enum_type_of(static_cast<const T*>(nullptr));
  else return cdp_describe(static_cast<const T*>(nullptr));
}

template <class T>
struct object_traits {
  static void* create() { return new T(); }
  static void destroy(void* object) noexcept { delete static_cast<T*>(object); }
};

/// The descriptor of generated struct T, whose member i is fields[i], reached through `field`.
template <class T, std::size_t N>
constexpr type_desc object_type(std::string_view name, const field_desc (&fields)[N],
                                void* (*field)(void*, std::size_t) noexcept,
                                bool (*decode)(void*, void*, void*)) noexcept {
  return {.what = kind::object,
          .name = name,
          .fields = fields,
          .field_count = N,
          .field = field,
          .create = &object_traits<T>::create,
          .destroy = &object_traits<T>::destroy,
          .decode = decode};
}

/// The descriptor of generated struct T without members.
template <class T>
constexpr type_desc object_type(std::string_view name, bool (*decode)(void*, void*, void*)) noexcept {
  return {.what = kind::object,
          .name = name,
          .create = &object_traits<T>::create,
          .destroy = &object_traits<T>::destroy,
          .decode = decode};
}

template <class E>
struct enum_traits {
  static std::size_t get(const void* e, std::string_view& raw) noexcept {
    const auto& v = *static_cast<const open_enum<E>*>(e);
    raw = v.raw;
    return static_cast<std::size_t>(v.value);
  }
  static void set(void* e, std::size_t index, std::string_view raw) {
    auto& v = *static_cast<open_enum<E>*>(e);
    v.value = static_cast<E>(index);
    if (index == 0) v.raw.assign(raw);
    else v.raw.clear();
  }
};

/// The descriptor of open_enum<E>, whose enumerator i + 1 is spelled values[i] on the wire.
template <class E, std::size_t N>
constexpr type_desc enum_type(std::string_view name, const std::string_view (&values)[N]) noexcept {
  return {.what = kind::enumeration,
          .name = name,
          .values = values,
          .value_count = N,
          .get_enum = &enum_traits<E>::get,
          .set_enum = &enum_traits<E>::set};
}

}  // namespace janus::cdp::detail
