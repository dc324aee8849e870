#include "browser_fixture.hpp"

#include <janus/protocol/json_writer.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>

using namespace janus;
using namespace std::chrono_literals;

namespace janus_test {

namespace {

rt::scheduler_options two_workers() {
  rt::scheduler_options o;
  o.workers = 2;
  return o;
}

rt::task<rt::result<protocol::json_value>> call_json(session::cdp_session s, std::string method, std::string params,
                                                     std::chrono::milliseconds timeout) {
  session::call_options co{.deadline = rt::deadline(timeout), .cancel = {}};
  auto reply = co_await s.call(method, params, std::move(co));
  if (!reply) co_return std::move(reply).err();
  co_return protocol::json_value::parse(reply->payload());
}

std::string str_or_empty(const protocol::json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}

std::string quoted(const std::string& s) {
  protocol::json_writer w;
  w.string(s);
  return w.take();
}

rt::task<rt::result<void>> navigate_and_wait(session::cdp_session s, std::string url, std::chrono::milliseconds timeout) {
  const rt::deadline until(timeout);
  auto loads = co_await s.subscribe("Page.loadEventFired");
  if (!loads) co_return std::move(loads).err();
  auto nav = co_await call_json(s, "Page.navigate", "{\"url\":" + quoted(url) + "}", timeout);
  if (!nav) co_return std::move(nav).err();
  if (const std::string* text = (*nav)["errorText"].get_string(); text && !text->empty())
    co_return rt::error{rt::errc::protocol, "Page.navigate: " + *text};
  auto ev = co_await loads->next(until);
  if (!ev) co_return std::move(ev).err();
  co_return rt::ok;
}

}  // namespace

browser_fixture::browser_fixture() : sched(two_workers()) {
  auto server = protocol::http_server::start();
  if (!server) throw std::runtime_error("http_server: " + server.err().what());
  http = std::move(*server);
  // Chromium asks for a favicon after each load; a 404 there would show up as a Log error.
  http->route("/favicon.ico", protocol::http_response(204, "", "image/x-icon"));

  client::launch_options lo;
  auto launched = sched.block_on(client::launch_chromium(sched, lo));
  if (!launched) throw std::runtime_error("launch_chromium: " + launched.err().what());
  browser = std::move(*launched);

  session::cdp_session root = browser->connection().browser();
  auto created = sched.block_on(call_json(root, "Target.createTarget", R"({"url":"about:blank"})", 20s));
  if (!created) throw std::runtime_error("Target.createTarget: " + created.err().what());
  const std::string target = str_or_empty((*created)["targetId"]);
  auto attached = sched.block_on(
      call_json(root, "Target.attachToTarget", "{\"targetId\":" + quoted(target) + ",\"flatten\":true}", 20s));
  if (!attached) throw std::runtime_error("Target.attachToTarget: " + attached.err().what());
  page = browser->connection().session(str_or_empty((*attached)["sessionId"]));
  auto enabled = sched.block_on(call_json(page, "Page.enable", "{}", 20s));
  if (!enabled) throw std::runtime_error("Page.enable: " + enabled.err().what());
}

browser_fixture::~browser_fixture() {
  page = {};
  if (browser) browser->close();
  if (http) http->stop();
}

rt::result<void> browser_fixture::navigate(const std::string& url, std::chrono::milliseconds timeout) {
  return sched.block_on(navigate_and_wait(page, url, timeout));
}

rt::result<protocol::json_value> browser_fixture::eval(const std::string& expression, std::chrono::milliseconds timeout) {
  auto r = sched.block_on(call_json(
      page, "Runtime.evaluate", "{\"expression\":" + quoted(expression) + ",\"returnByValue\":true,\"awaitPromise\":true}",
      timeout));
  if (!r) return std::move(r).err();
  if ((*r).contains("exceptionDetails"))
    return rt::error{rt::errc::javascript, (*r)["exceptionDetails"].dump()};
  return (*r)["result"]["value"];
}

bool browser_fixture::wait_for(const std::string& expression, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto v = eval(expression, 5s);
    if (v && v->get_bool().value_or(false)) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace janus_test
