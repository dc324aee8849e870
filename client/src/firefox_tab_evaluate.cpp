// firefox_tab::evaluate and the tab's page-side calls (firefox_tab_internal.hpp): the expression
// or function body runs in the current document through a wrapper that answers one ASCII JSON
// string (see the top of firefox_tab.hpp), sent to the document's console actor as
// evaluateJSAsync; the value arrives as an evaluationResult event the pump files.
#include "firefox_tab_state.hpp"

namespace janus::client {

using detail::firefox_tab_core;
using detail::firefox_tab_state;
using namespace detail;
using namespace std::chrono_literals;

namespace {

constexpr auto& read_long_string = detail::rdp_long_string;

// The page-side wrapper: see the top of firefox_tab.hpp. Its answer is pure ASCII (non-ASCII
// escaped as \uXXXX) so that a longString can be read in chunks without splitting a character.
// `value_js` is the JavaScript whose (awaited) value is answered.
std::string wrap_value(const std::string& value_js) {
  return "(async () => {\n"
         "  const __janusAscii = (s) => s.replace(/[\\u007f-\\uffff]/g,\n"
         "    (c) => '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));\n"
         "  let __janusValue;\n"
         "  try {\n"
         "    __janusValue = await " + value_js + ";\n"
         "  } catch (e) {\n"
         "    let m, s = '';\n"
         "    try {\n"
         "      m = (e !== null && typeof e === 'object' && 'message' in e)\n"
         "        ? (e.name ? e.name + ': ' : '') + String(e.message) : 'Uncaught ' + String(e);\n"
         "      s = (e !== null && typeof e === 'object' && e.stack) ? String(e.stack) : '';\n"
         "    } catch (_) { m = 'Uncaught exception'; }\n"
         "    return __janusAscii(JSON.stringify({ok: false, m, s}));\n"
         "  }\n"
         "  try {\n"
         "    const j = JSON.stringify(__janusValue, (k, x) => typeof x === 'bigint' ? x.toString() : x);\n"
         "    return __janusAscii('{\"ok\":true,\"v\":' + (j === undefined ? 'null' : j) + '}');\n"
         "  } catch (e) {\n"
         "    return __janusAscii(JSON.stringify({ok: false, m: 'the value is not serializable: ' + String(e), s: ''}));\n"
         "  }\n"
         "})()";
}

std::string wrap_expression(const std::string& expression) {
  return wrap_value("(0, eval)(" + json_value(expression).dump() + ")");
}

// The statements of an async function, embedded as code: no eval, so a page whose policy forbids
// eval runs them too (evaluation by the debugger is not subject to the page's policy).
std::string wrap_function_body(const std::string& body) { return wrap_value("(async () => {\n" + body + "\n})()"); }

// The wrapper's answer (its JSON text) from an evaluationResult packet, or the JS error.
rt::task<rt::result<std::string>> evaluation_text(session::rdp_connection conn, json_value packet, rt::deadline d) {
  if (bool_of(packet["hasException"])) {
    std::string msg = str_of(packet["exceptionMessage"]);
    if (msg.empty()) msg = grip_text(packet["exception"]);
    co_return rt::error{rt::errc::javascript, std::move(msg)};
  }
  if (bool_of(packet["topLevelAwaitRejected"])) co_return rt::error{rt::errc::javascript, "the promise was rejected"};
  const json_value& result = packet["result"];
  if (result.is_string()) co_return result.as_string();
  if (str_of(result["type"]) == "longString") co_return co_await read_long_string(conn, result, d);
  co_return rt::error{rt::errc::protocol, "evaluate: unexpected result " + result.dump()};
}

// The wrapper's answer as the expression's value or its JS error.
rt::result<json_value> decode_answer(const std::string& text) {
  rt::result<json_value> env = json_value::parse(text);
  if (!env) return in_context(std::move(env).err(), "evaluate: the page's answer");
  if (bool_of((*env)["ok"])) {
    const json_value* v = env->find("v");
    return v ? *v : json_value();
  }
  std::string msg = str_of((*env)["m"]);
  const std::string stack = str_of((*env)["s"]);
  if (!stack.empty()) msg += "\n" + stack;
  return rt::error{rt::errc::javascript, std::move(msg)};
}

// An evaluationResult packet of the wrapper as the expression's value or its JS error.
rt::task<rt::result<json_value>> decode_evaluation(session::rdp_connection conn, json_value packet, rt::deadline d) {
  rt::result<std::string> text = co_await evaluation_text(std::move(conn), std::move(packet), d);
  if (!text) co_return std::move(text).err();
  co_return decode_answer(*text);
}


// Sends `text` to the current document's console and waits for its evaluationResult packet.
rt::task<rt::result<json_value>> evaluation_packet(std::shared_ptr<firefox_tab_core> c, std::string text, rt::deadline d) {
  if (rt::result<void> a = check_alive(c); !a) co_return std::move(a).err();
  rt::result<firefox_tab_state::top_target> top = co_await current_target(c, d);
  if (!top) co_return std::move(top).err();
  const std::string console_actor = top->console;
  json_value p = json_value::object();
  p.set("text", std::move(text));
  json_value mapped = json_value::object();
  mapped.set("await", true);
  p.set("mapped", std::move(mapped));
  rt::result<json_value> sent = co_await req(c->conn, console_actor, "evaluateJSAsync", std::move(p), d);
  if (!sent) co_return target_error(std::move(sent).err(), "evaluate");
  const std::string id = str_of((*sent)["resultID"]);
  state_check<json_value> check = [id, console_actor](firefox_tab_state& s,
                                                      rt::time_point&) -> std::optional<rt::result<json_value>> {
    auto it = s.results.find(id);
    if (it != s.results.end()) {
      json_value v = std::move(it->second);
      s.results.erase(it);
      return rt::result<json_value>(std::move(v));
    }
    if (s.gone != rt::errc::ok) return rt::result<json_value>(s.gone_error());
    // The document went away (navigation): its console actor will never answer.
    if (!s.top.alive || s.top.console != console_actor)
      return rt::result<json_value>(
          rt::error{rt::errc::target_closed, "evaluate: the document was replaced before the result came"});
    return std::nullopt;
  };
  co_return co_await wait_state<json_value>(c, d, std::move(check), "evaluate: no result before the deadline");
}

}  // namespace

rt::task<rt::result<json_value>> firefox_tab::evaluate(std::string expression, rt::deadline d) const {
  rt::result<json_value> packet = co_await evaluation_packet(core_, wrap_expression(expression), d);
  if (!packet) co_return std::move(packet).err();
  co_return co_await decode_evaluation(core_->conn, std::move(*packet), d);
}

rt::task<rt::result<json_value>> detail::firefox_run_function(firefox_tab tab, std::string body, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  rt::result<json_value> packet = co_await evaluation_packet(c, wrap_function_body(body), d);
  if (!packet) co_return std::move(packet).err();
  co_return co_await decode_evaluation(c->conn, std::move(*packet), d);
}

rt::task<rt::result<std::string>> detail::firefox_run_function_text(firefox_tab tab, std::string body, rt::deadline d) {
  std::shared_ptr<firefox_tab_core> c = tab.core();
  rt::result<json_value> packet = co_await evaluation_packet(c, wrap_function_body(body), d);
  if (!packet) co_return std::move(packet).err();
  rt::result<std::string> text = co_await evaluation_text(c->conn, std::move(*packet), d);
  if (!text) co_return std::move(text).err();
  // The wrapper answers {"ok":true,"v":VALUE} or {"ok":false,...}: VALUE's text is cut out as is.
  constexpr std::string_view head = "{\"ok\":true,\"v\":";
  if (text->size() > head.size() && std::string_view(*text).substr(0, head.size()) == head && text->back() == '}') {
    text->pop_back();
    text->erase(0, head.size());
    co_return std::move(*text);
  }
  rt::result<json_value> value = decode_answer(*text);  // an error, or a value written otherwise
  if (!value) co_return std::move(value).err();
  co_return value->dump();
}

rt::task<rt::result<json_value>> detail::firefox_evaluate_grip(firefox_tab tab, std::string expression, rt::deadline d) {
  rt::result<json_value> packet = co_await evaluation_packet(tab.core(), std::move(expression), d);
  if (!packet) co_return std::move(packet).err();
  if (bool_of((*packet)["hasException"]))
    co_return rt::error{rt::errc::javascript, str_of((*packet)["exceptionMessage"])};
  co_return std::move((*packet)["result"]);
}

}  // namespace janus::client
