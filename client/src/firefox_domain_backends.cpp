#include "firefox_domain_backends.hpp"

#include "firefox_tab_internal.hpp"

#include "firefox_css.hpp"
#include "firefox_network.hpp"

#include <memory>
#include <utility>

namespace janus::client::detail {

namespace {

using protocol::json_value;

constexpr const char* firefox_name = "Firefox";

// Each call hands its arguments, the tab or mirror handle included, to a free coroutine by value:
// the task it returns must not point into the backend, which the caller's handle may drop before
// awaiting it.

rt::task<rt::result<void>> tab_alive(firefox_tab tab) { co_return tab.alive(); }

rt::task<rt::result<std::vector<domains::network_request>>> net_requests(firefox_tab tab) {
  co_return co_await tab.network_requests();
}

rt::task<rt::result<std::size_t>> net_in_flight(firefox_tab tab, rt::deadline d) {
  rt::result<domains::network_stats> s = co_await firefox_network_stats(std::move(tab), d);
  if (!s) co_return std::move(s).err();
  co_return s->in_flight;
}

rt::task<rt::result<domains::fetched_body>> net_body(firefox_tab tab, std::string id, rt::deadline d) {
  co_return co_await firefox_network(std::move(tab)).response_body(std::move(id), d);
}

rt::task<rt::result<domains::header_list>> net_headers(firefox_tab tab, std::string id, bool response,
                                                       rt::deadline d) {
  firefox_network net(std::move(tab));
  if (response) co_return co_await net.response_headers(std::move(id), d);
  co_return co_await net.request_headers(std::move(id), d);
}

class network_backend final : public domains::network_backend {
 public:
  explicit network_backend(firefox_tab tab) : domains::network_backend(firefox_name), tab_(std::move(tab)) {}

  // The tab records its network table from the moment it is attached: nothing to switch on.
  rt::task<rt::result<void>> enable(rt::deadline) override { return tab_alive(tab_); }
  rt::task<rt::result<std::vector<domains::network_request>>> requests(rt::deadline) override {
    return net_requests(tab_);
  }
  rt::task<rt::result<domains::network_stats>> stats(rt::deadline d) override { return firefox_network_stats(tab_, d); }
  rt::task<rt::result<std::size_t>> in_flight(rt::deadline d) override { return net_in_flight(tab_, d); }
  rt::task<rt::result<void>> clear(rt::deadline d) override { return firefox_clear_network(tab_, d); }
  rt::task<rt::result<void>> wait_idle_since(std::chrono::milliseconds quiet, std::uint64_t since,
                                             rt::deadline d) override {
    return firefox_wait_network_idle(tab_, quiet, since, d);
  }
  rt::task<rt::result<domains::fetched_body>> response_body(std::string id, rt::deadline d) override {
    return net_body(tab_, std::move(id), d);
  }
  rt::task<rt::result<domains::header_list>> request_headers(std::string id, rt::deadline d) override {
    return net_headers(tab_, std::move(id), false, d);
  }
  rt::task<rt::result<domains::header_list>> response_headers(std::string id, rt::deadline d) override {
    return net_headers(tab_, std::move(id), true, d);
  }

 private:
  firefox_tab tab_;
};

rt::task<rt::result<std::vector<domains::console_entry>>> console_entries(firefox_tab tab) {
  co_return co_await tab.console_entries();
}



rt::task<rt::result<rt::subscription<domains::console_entry>>> console_subscribe(firefox_tab tab,
                                                                                std::size_t capacity,
                                                                                rt::overflow policy) {
  co_return co_await tab.console_subscribe(capacity, policy);
}

class console_backend final : public domains::console_backend {
 public:
  explicit console_backend(firefox_tab tab) : domains::console_backend(firefox_name), tab_(std::move(tab)) {}

  rt::task<rt::result<void>> enable(rt::deadline) override { return tab_alive(tab_); }
  rt::task<rt::result<std::vector<domains::console_entry>>> entries(rt::deadline) override {
    return console_entries(tab_);
  }
  rt::task<rt::result<domains::console_stats>> stats(rt::deadline d) override { return firefox_console_stats(tab_, d); }
  rt::task<rt::result<void>> clear(rt::deadline d) override { return firefox_clear_console(tab_, d); }
  rt::task<rt::result<rt::subscription<domains::console_entry>>> subscribe(std::size_t capacity, rt::overflow policy,
                                                                           rt::deadline) override {
    return console_subscribe(tab_, capacity, policy);
  }

 private:
  firefox_tab tab_;
};

rt::task<rt::result<void>> dom_enable(firefox_dom mirror, rt::deadline d) {
  rt::result<domains::node_ref> doc = co_await mirror.document(d);
  if (!doc) co_return std::move(doc).err();
  co_return rt::ok;
}
rt::task<rt::result<domains::node_ref>> dom_document(firefox_dom mirror, rt::deadline d) {
  co_return co_await mirror.document(d);
}
rt::task<rt::result<domains::dom_node>> dom_node_of(firefox_dom mirror, domains::node_ref n, rt::deadline d) {
  co_return co_await mirror.node(n, d);
}
rt::task<rt::result<std::string>> dom_serialize(firefox_dom mirror, domains::node_ref n, int how, rt::deadline d) {
  switch (how) {
    case 0: co_return co_await mirror.outer_html(n, d);
    case 1: co_return co_await mirror.inner_html(n, d);
    default: co_return co_await mirror.browser_outer_html(n, d);
  }
}
rt::task<rt::result<std::string>> dom_html(firefox_dom mirror, rt::deadline d) { co_return co_await mirror.html(d); }
rt::task<rt::result<std::optional<domains::node_ref>>> dom_query(firefox_dom mirror, std::string selector,
                                                                 std::optional<domains::node_ref> root,
                                                                 rt::deadline d) {
  co_return co_await mirror.query_selector(std::move(selector), root, d);
}
rt::task<rt::result<std::vector<domains::node_ref>>> dom_query_all(firefox_dom mirror, std::string selector,
                                                                   std::optional<domains::node_ref> root,
                                                                   rt::deadline d) {
  co_return co_await mirror.query_selector_all(std::move(selector), root, d);
}
rt::task<rt::result<void>> dom_settle(firefox_dom mirror, std::chrono::milliseconds quiet, rt::deadline d) {
  co_return co_await mirror.settle(quiet, d);
}
rt::task<rt::result<domains::dom_stats>> dom_stats(firefox_dom mirror, rt::deadline d) {
  co_return co_await mirror.stats(d);
}

class dom_backend final : public domains::dom_backend {
 public:
  explicit dom_backend(firefox_dom mirror) : domains::dom_backend(firefox_name), mirror_(std::move(mirror)) {}

  rt::task<rt::result<void>> enable(rt::deadline d) override { return dom_enable(mirror_, d); }
  rt::task<rt::result<domains::node_ref>> document(rt::deadline d) override { return dom_document(mirror_, d); }
  rt::task<rt::result<domains::dom_node>> node(domains::node_ref n, rt::deadline d) override {
    return dom_node_of(mirror_, n, d);
  }
  rt::task<rt::result<std::string>> outer_html(domains::node_ref n, rt::deadline d) override {
    return dom_serialize(mirror_, n, 0, d);
  }
  rt::task<rt::result<std::string>> inner_html(domains::node_ref n, rt::deadline d) override {
    return dom_serialize(mirror_, n, 1, d);
  }
  rt::task<rt::result<std::string>> browser_outer_html(domains::node_ref n, rt::deadline d) override {
    return dom_serialize(mirror_, n, 2, d);
  }
  rt::task<rt::result<std::string>> html(rt::deadline d) override { return dom_html(mirror_, d); }
  rt::task<rt::result<std::optional<domains::node_ref>>> query_selector(std::string selector,
                                                                        std::optional<domains::node_ref> root,
                                                                        rt::deadline d) override {
    return dom_query(mirror_, std::move(selector), root, d);
  }
  rt::task<rt::result<std::vector<domains::node_ref>>> query_selector_all(std::string selector,
                                                                          std::optional<domains::node_ref> root,
                                                                          rt::deadline d) override {
    return dom_query_all(mirror_, std::move(selector), root, d);
  }
  rt::task<rt::result<void>> settle(std::chrono::milliseconds quiet, rt::deadline d) override {
    return dom_settle(mirror_, quiet, d);
  }
  rt::task<rt::result<domains::dom_stats>> stats(rt::deadline d) override { return dom_stats(mirror_, d); }

 private:
  firefox_dom mirror_;
};

rt::task<rt::result<std::vector<domains::style_sheet>>> css_sheets(firefox_tab tab, rt::deadline d) {
  co_return co_await firefox_css(std::move(tab)).sheets(d);
}
rt::task<rt::result<std::string>> css_text(firefox_tab tab, std::string id, rt::deadline d) {
  co_return co_await firefox_css(std::move(tab)).text(std::move(id), d);
}
rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> css_computed(firefox_tab tab,
                                                                                   firefox_dom mirror,
                                                                                   domains::node_ref n,
                                                                                   rt::deadline d) {
  rt::result<std::string> actor = co_await mirror.node_actor(n, d);
  if (!actor) co_return std::move(actor).err();
  co_return co_await firefox_css(std::move(tab)).computed_at(std::move(*actor), d);
}
rt::task<rt::result<std::vector<domains::matched_rule>>> css_matched(firefox_tab tab, firefox_dom mirror,
                                                                     domains::node_ref n, rt::deadline d) {
  rt::result<std::string> actor = co_await mirror.node_actor(n, d);
  if (!actor) co_return std::move(actor).err();
  co_return co_await firefox_css(std::move(tab)).matched_at(std::move(*actor), d);
}
rt::task<rt::result<domains::css_stats>> css_stats(firefox_tab tab) { co_return co_await firefox_css(std::move(tab)).stats(); }

class css_backend final : public domains::css_backend {
 public:
  css_backend(firefox_tab tab, firefox_dom mirror)
      : domains::css_backend(firefox_name), tab_(std::move(tab)), mirror_(std::move(mirror)) {}

  // Sheets are filed from the tab's `stylesheet` resources, watched since it was attached.
  rt::task<rt::result<void>> enable(rt::deadline) override { return tab_alive(tab_); }
  rt::task<rt::result<std::vector<domains::style_sheet>>> sheets(rt::deadline d) override {
    return css_sheets(tab_, d);
  }
  rt::task<rt::result<std::string>> text(std::string id, rt::deadline d) override {
    return css_text(tab_, std::move(id), d);
  }
  rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed(domains::node_ref n,
                                                                                  rt::deadline d) override {
    return css_computed(tab_, mirror_, n, d);
  }
  rt::task<rt::result<std::vector<domains::matched_rule>>> matched(domains::node_ref n, rt::deadline d) override {
    return css_matched(tab_, mirror_, n, d);
  }
  rt::task<rt::result<domains::css_stats>> stats(rt::deadline) override { return css_stats(tab_); }

 private:
  firefox_tab tab_;
  firefox_dom mirror_;
};

// JSON's kinds as the types JavaScript's typeof gives them. The tab evaluates by value through
// JSON, so undefined arrives as null and is reported as "object" (typeof null).
std::string js_type_of(const json_value& v) {
  switch (v.type()) {
    case json_value::kind::string: return "string";
    case json_value::kind::integer:
    case json_value::kind::number: return "number";
    case json_value::kind::boolean: return "boolean";
    default: return "object";
  }
}

rt::task<rt::result<domains::js_value>> runtime_evaluate(firefox_tab tab, std::string expression,
                                                         domains::evaluate_options options) {
  // The tab's evaluation is one shape only: the main document, promises awaited, the value as JSON.
  if (!options.return_by_value)
    co_return domains::detail::unsupported_call(firefox_name, "js_runtime.evaluate with return_by_value = false");
  if (!options.await_promise)
    co_return domains::detail::unsupported_call(firefox_name, "js_runtime.evaluate with await_promise = false");
  if (options.context_id)
    co_return domains::detail::unsupported_call(firefox_name, "js_runtime.evaluate in a chosen context");
  rt::result<json_value> v = co_await tab.evaluate(std::move(expression), options.until);
  if (!v) co_return std::move(v).err();
  domains::js_value out;
  out.type = js_type_of(*v);
  out.value = std::move(*v);
  co_return out;
}

rt::task<rt::result<json_value>> runtime_evaluate_value(firefox_tab tab, std::string expression, rt::deadline d) {
  co_return co_await tab.evaluate(std::move(expression), d);
}

class runtime_backend final : public domains::js_runtime_backend {
 public:
  explicit runtime_backend(firefox_tab tab) : domains::js_runtime_backend(firefox_name), tab_(std::move(tab)) {}

  rt::task<rt::result<void>> enable(rt::deadline) override { return tab_alive(tab_); }
  rt::task<rt::result<domains::js_value>> evaluate(std::string expression, domains::evaluate_options options) override {
    return runtime_evaluate(tab_, std::move(expression), std::move(options));
  }
  rt::task<rt::result<json_value>> evaluate_value(std::string expression, rt::deadline d) override {
    return runtime_evaluate_value(tab_, std::move(expression), d);
  }

 private:
  firefox_tab tab_;
};

}  // namespace

domains::network firefox_network_handle(firefox_tab tab) {
  return domains::network::over(std::make_shared<network_backend>(std::move(tab)));
}
domains::console firefox_console_handle(firefox_tab tab) {
  return domains::console::over(std::make_shared<console_backend>(std::move(tab)));
}
domains::dom firefox_dom_handle(firefox_dom mirror) {
  return domains::dom::over(std::make_shared<dom_backend>(std::move(mirror)));
}
domains::css firefox_css_handle(firefox_tab tab, firefox_dom mirror) {
  return domains::css::over(std::make_shared<css_backend>(std::move(tab), std::move(mirror)));
}
domains::js_runtime firefox_runtime_handle(firefox_tab tab) {
  return domains::js_runtime::over(std::make_shared<runtime_backend>(std::move(tab)));
}
domains::debugger firefox_debugger_handle() {
  return domains::debugger::over(std::make_shared<domains::debugger_backend>(firefox_name));
}
domains::performance firefox_performance_handle() {
  return domains::performance::over(std::make_shared<domains::performance_backend>(firefox_name));
}

}  // namespace janus::client::detail
