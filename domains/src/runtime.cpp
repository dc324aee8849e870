// The js_runtime handle: each call forwarded to its backend (backend.hpp), and the calls a backend
// does not override.
#include <janus/domains/runtime.hpp>

namespace janus::domains {

using protocol::json_value;

rt::task<rt::result<void>> js_runtime::enable(rt::deadline d) const {
  return detail::backend_or_empty(backend_).enable(d);
}
rt::task<rt::result<std::vector<execution_context>>> js_runtime::contexts(rt::deadline d) const {
  return detail::backend_or_empty(backend_).contexts(d);
}
rt::task<rt::result<runtime_stats>> js_runtime::stats(rt::deadline d) const {
  return detail::backend_or_empty(backend_).stats(d);
}
rt::task<rt::result<execution_context>> js_runtime::default_context(std::string frame_id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).default_context(std::move(frame_id), d);
}
rt::task<rt::result<js_value>> js_runtime::evaluate(std::string expression, evaluate_options options) const {
  return detail::backend_or_empty(backend_).evaluate(std::move(expression), std::move(options));
}
rt::task<rt::result<json_value>> js_runtime::evaluate_value(std::string expression, rt::deadline d) const {
  return detail::backend_or_empty(backend_).evaluate_value(std::move(expression), d);
}
rt::task<rt::result<void>> js_runtime::release(std::string object_id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).release(std::move(object_id), d);
}
void js_runtime::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<std::vector<execution_context>>> js_runtime_backend::contexts(rt::deadline) {
  return detail::unsupported<std::vector<execution_context>>(*this, "js_runtime.contexts");
}
rt::task<rt::result<runtime_stats>> js_runtime_backend::stats(rt::deadline) {
  return detail::unsupported<runtime_stats>(*this, "js_runtime.stats");
}
rt::task<rt::result<execution_context>> js_runtime_backend::default_context(std::string, rt::deadline) {
  return detail::unsupported<execution_context>(*this, "js_runtime.default_context");
}
rt::task<rt::result<js_value>> js_runtime_backend::evaluate(std::string, evaluate_options) {
  return detail::unsupported<js_value>(*this, "js_runtime.evaluate");
}
rt::task<rt::result<json_value>> js_runtime_backend::evaluate_value(std::string, rt::deadline) {
  return detail::unsupported<json_value>(*this, "js_runtime.evaluate_value");
}
rt::task<rt::result<void>> js_runtime_backend::release(std::string, rt::deadline) {
  return detail::unsupported<void>(*this, "js_runtime.release");
}
rt::task<rt::result<void>> js_runtime_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "js_runtime.enable");
}
js_runtime js_runtime::over(std::shared_ptr<js_runtime_backend> backend) {
  js_runtime out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
