// The debugger handle: each call forwarded to its backend (backend.hpp), and the calls a backend
// does not override.
#include <janus/domains/debugger.hpp>

namespace janus::domains {

rt::task<rt::result<void>> debugger::enable(rt::deadline d) const {
  return detail::backend_or_empty(backend_).enable(d);
}
rt::task<rt::result<std::vector<script_info>>> debugger::scripts(rt::deadline d) const {
  return detail::backend_or_empty(backend_).scripts(d);
}
rt::task<rt::result<debugger_stats>> debugger::stats(rt::deadline d) const {
  return detail::backend_or_empty(backend_).stats(d);
}
rt::task<rt::result<std::optional<pause_info>>> debugger::pause_state(rt::deadline d) const {
  return detail::backend_or_empty(backend_).pause_state(d);
}
rt::task<rt::result<pause_info>> debugger::wait_paused(rt::deadline d) const {
  return detail::backend_or_empty(backend_).wait_paused(d);
}
rt::task<rt::result<std::string>> debugger::source(std::string script_id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).source(std::move(script_id), d);
}
rt::task<rt::result<breakpoint>> debugger::set_breakpoint(breakpoint_spec spec, rt::deadline d) const {
  return detail::backend_or_empty(backend_).set_breakpoint(std::move(spec), d);
}
rt::task<rt::result<void>> debugger::remove_breakpoint(std::string id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).remove_breakpoint(std::move(id), d);
}
rt::task<rt::result<void>> debugger::pause(rt::deadline d) const {
  return detail::backend_or_empty(backend_).pause(d);
}
rt::task<rt::result<void>> debugger::resume(rt::deadline d) const {
  return detail::backend_or_empty(backend_).resume(d);
}
rt::task<rt::result<void>> debugger::step_over(rt::deadline d) const {
  return detail::backend_or_empty(backend_).step_over(d);
}
rt::task<rt::result<void>> debugger::step_into(rt::deadline d) const {
  return detail::backend_or_empty(backend_).step_into(d);
}
rt::task<rt::result<void>> debugger::step_out(rt::deadline d) const {
  return detail::backend_or_empty(backend_).step_out(d);
}
void debugger::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<std::vector<script_info>>> debugger_backend::scripts(rt::deadline) {
  return detail::unsupported<std::vector<script_info>>(*this, "debugger.scripts");
}
rt::task<rt::result<debugger_stats>> debugger_backend::stats(rt::deadline) {
  return detail::unsupported<debugger_stats>(*this, "debugger.stats");
}
rt::task<rt::result<std::optional<pause_info>>> debugger_backend::pause_state(rt::deadline) {
  return detail::unsupported<std::optional<pause_info>>(*this, "debugger.pause_state");
}
rt::task<rt::result<pause_info>> debugger_backend::wait_paused(rt::deadline) {
  return detail::unsupported<pause_info>(*this, "debugger.wait_paused");
}
rt::task<rt::result<std::string>> debugger_backend::source(std::string, rt::deadline) {
  return detail::unsupported<std::string>(*this, "debugger.source");
}
rt::task<rt::result<breakpoint>> debugger_backend::set_breakpoint(breakpoint_spec, rt::deadline) {
  return detail::unsupported<breakpoint>(*this, "debugger.set_breakpoint");
}
rt::task<rt::result<void>> debugger_backend::remove_breakpoint(std::string, rt::deadline) {
  return detail::unsupported<void>(*this, "debugger.remove_breakpoint");
}
rt::task<rt::result<void>> debugger_backend::step_over(rt::deadline) {
  return detail::unsupported<void>(*this, "debugger.step_over");
}
rt::task<rt::result<void>> debugger_backend::step_into(rt::deadline) {
  return detail::unsupported<void>(*this, "debugger.step_into");
}
rt::task<rt::result<void>> debugger_backend::step_out(rt::deadline) {
  return detail::unsupported<void>(*this, "debugger.step_out");
}
rt::task<rt::result<void>> debugger_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "debugger.enable");
}
rt::task<rt::result<void>> debugger_backend::pause(rt::deadline) {
  return detail::unsupported<void>(*this, "debugger.pause");
}
rt::task<rt::result<void>> debugger_backend::resume(rt::deadline) {
  return detail::unsupported<void>(*this, "debugger.resume");
}
debugger debugger::over(std::shared_ptr<debugger_backend> backend) {
  debugger out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
