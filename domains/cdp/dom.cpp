// The DOM mirror's readers (documents, nodes, serializations, settling), and Chromium's dom
// backend over them.
#include "dom_actor.hpp"

#include <janus/protocol/json_writer.hpp>

#include <algorithm>
#include <string_view>

namespace janus::domains {

using detail::int_of;
using detail::str_of;
using protocol::json_value;

// --- readers -------------------------------------------------------------------------------------

rt::result<const dom_actor::node*> dom_actor::find(node_ref r) const {
  if (r.generation != generation_)
    return rt::error{rt::errc::stale_node, "node " + std::to_string(r.id) + " is from document generation " +
                                               std::to_string(r.generation) + "; the page is at " +
                                               std::to_string(generation_)};
  auto it = nodes_.find(r.id);
  if (it == nodes_.end())
    return rt::error{rt::errc::stale_node, "node " + std::to_string(r.id) + " is no longer in the document"};
  return &it->second;
}

rt::task<rt::result<node_ref>> dom_actor::handle(get_document g) {
  rt::result<void> on = co_await enable_domain(g.until);
  if (!on) co_return std::move(on).err();
  rt::subscription<int> wake = changed_.subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    // Children the mirror has asked for are part of the document: a reader that serializes it
    // right after a load must not see the template or subtree whose children are on their way.
    if (ready_ && !fetching_ && children_pending_.empty()) co_return node_ref{document_, generation_};
    if (pump_ended_) {
      if (pump_error_) co_return *pump_error_;
      co_return rt::error{rt::errc::disconnected, "the page's event stream ended"};
    }
    if (!ready_ && !fetching_) {
      co_await handle(refresh{});
      // No document yet (mid-navigation): documentUpdated or the next try will bring one.
      if (!ready_) (void)co_await wake.next(std::min(g.until.at(), rt::clock::now() + std::chrono::milliseconds(100)));
    } else {
      (void)co_await wake.next(g.until);
    }
    if (g.until.expired())
      co_return rt::error{rt::errc::timeout, ready_ ? "the mirror's child requests did not come back" : "no document to mirror"};
  }
}

rt::result<dom_node> dom_actor::handle(get_node g) const {
  rt::result<const node*> n = find(g.ref);
  if (!n) return std::move(n).err();
  return (*n)->data;
}

rt::result<void> dom_actor::handle(check_ref c) const {
  rt::result<const node*> n = find(c.ref);
  if (!n) return std::move(n).err();
  return rt::ok;
}

rt::result<std::string> dom_actor::handle(serialize s) const {
  rt::result<const node*> start = find(s.ref);
  if (!start) return std::move(start).err();
  return serialize_html((*start)->data, s.outer, [this](std::int64_t id) -> const dom_node* {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second.data;
  });
}

dom_stats dom_actor::handle(get_stats) const {
  dom_stats s = stats_;
  s.generation = generation_;
  s.nodes = nodes_.size();
  s.ready = ready_ && !fetching_;
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

rt::task<rt::result<void>> dom_actor::handle(settle s) {
  rt::result<void> on = co_await enable_domain(s.until);
  if (!on) co_return std::move(on).err();
  rt::subscription<int> wake = changed_.subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    if (pump_ended_) {
      if (pump_error_) co_return *pump_error_;
      co_return rt::error{rt::errc::disconnected, "the page's event stream ended"};
    }
    const bool busy = fetching_ || !ready_ || !children_pending_.empty() || !attributes_pending_.empty() ||
                      !values_pending_.empty() || (sub_ && sub_->queued() > 0);
    rt::time_point until = s.until.at();
    if (!busy) {
      const rt::time_point quiet_end = last_change_ + s.quiet;
      if (rt::clock::now() >= quiet_end) co_return rt::ok;
      until = std::min(until, quiet_end);
    }
    if (s.until.expired())
      co_return rt::error{rt::errc::timeout,
                          "the DOM mirror did not settle: " + std::to_string(children_pending_.size()) +
                              " child request(s) and " + std::to_string(attributes_pending_.size()) +
                              " attribute read(s) and " + std::to_string(values_pending_.size()) +
                              " value read(s) outstanding" + (fetching_ ? ", document being fetched" : "")};
    // Busy with queued events: the pump's next change wakes us. Idle: wake at the quiet end.
    const rt::deadline wake_at(busy ? std::min(until, rt::clock::now() + std::chrono::milliseconds(50)) : until);
    (void)co_await wake.next(wake_at);
  }
}

// --- the asks the backend makes ------------------------------------------------------------------

namespace {

using ref_t = rt::actor_ref<dom_actor>;

rt::deadline a_bit_later(rt::deadline d) {
  return d.is_never() ? d : rt::deadline(d.at() + std::chrono::milliseconds(500));
}

rt::task<rt::result<void>> ask_enable(ref_t ref, rt::deadline d) {
  dom_actor::enable en{d};
  co_return co_await ref.ask(std::move(en), a_bit_later(d));
}

rt::task<rt::result<node_ref>> ask_document(ref_t ref, rt::deadline d) {
  dom_actor::get_document g{d};
  co_return co_await ref.ask(std::move(g), a_bit_later(d));
}

rt::task<rt::result<dom_node>> ask_node(ref_t ref, node_ref n, rt::deadline d) {
  dom_actor::get_node g{n};
  co_return co_await ref.ask(std::move(g), d);
}

rt::task<rt::result<std::string>> ask_serialize(ref_t ref, node_ref n, bool outer, rt::deadline d) {
  dom_actor::serialize s{n, outer};
  co_return co_await ref.ask(std::move(s), d);
}

rt::task<rt::result<std::string>> ask_html(ref_t ref, rt::deadline d) {
  rt::result<node_ref> doc = co_await ask_document(ref, d);
  if (!doc) co_return std::move(doc).err();
  rt::result<dom_node> n = co_await ask_node(ref, *doc, d);
  if (!n) co_return std::move(n).err();
  for (std::int64_t c : n->children) {
    rt::result<dom_node> child = co_await ask_node(ref, node_ref{c, doc->generation}, d);
    if (!child) co_return std::move(child).err();
    if (child->type == 1) co_return co_await ask_serialize(ref, node_ref{c, doc->generation}, true, d);
  }
  co_return rt::error{rt::errc::not_found, "the document has no element"};
}

rt::task<rt::result<json_value>> node_command(session::cdp_session session, ref_t ref, std::string method,
                                              node_ref n, std::string extra_json, rt::deadline d) {
  dom_actor::check_ref c{n};
  rt::result<void> live = co_await ref.ask(std::move(c), d);
  if (!live) co_return std::move(live).err();
  std::string params = "{\"nodeId\":" + std::to_string(n.id) + extra_json + "}";
  session::call_options co{.deadline = d, .cancel = {}};
  auto reply = co_await session.call(method, params, std::move(co));
  // The node may have gone (or the document changed) while the command was out: say so in the
  // same terms as the mirror would.
  dom_actor::check_ref again{n};
  rt::result<void> still = co_await ref.ask(std::move(again), d);
  if (!still) co_return std::move(still).err();
  if (!reply) co_return std::move(reply).err();
  co_return json_value::parse(reply->payload());
}

rt::task<rt::result<std::string>> run_browser_outer_html(session::cdp_session session, ref_t ref, node_ref n,
                                                         rt::deadline d) {
  rt::result<json_value> v = co_await node_command(std::move(session), ref, "DOM.getOuterHTML", n, "", d);
  if (!v) co_return std::move(v).err();
  co_return str_of((*v)["outerHTML"]);
}

std::string selector_param(const std::string& selector) {
  protocol::json_writer w;
  w.string(selector);
  return ",\"selector\":" + w.take();
}

rt::task<rt::result<std::optional<node_ref>>> run_query(session::cdp_session session, ref_t ref, std::string selector,
                                                         std::optional<node_ref> root, rt::deadline d) {
  if (!root) {
    rt::result<node_ref> doc = co_await ask_document(ref, d);
    if (!doc) co_return std::move(doc).err();
    root = *doc;
  }
  rt::result<json_value> v =
      co_await node_command(std::move(session), ref, "DOM.querySelector", *root, selector_param(selector), d);
  if (!v) co_return std::move(v).err();
  const std::int64_t id = int_of((*v)["nodeId"]);
  if (id == 0) co_return std::optional<node_ref>();
  co_return std::optional<node_ref>(node_ref{id, root->generation});
}

rt::task<rt::result<std::vector<node_ref>>> run_query_all(session::cdp_session session, ref_t ref,
                                                          std::string selector, std::optional<node_ref> root,
                                                          rt::deadline d) {
  if (!root) {
    rt::result<node_ref> doc = co_await ask_document(ref, d);
    if (!doc) co_return std::move(doc).err();
    root = *doc;
  }
  rt::result<json_value> v =
      co_await node_command(std::move(session), ref, "DOM.querySelectorAll", *root, selector_param(selector), d);
  if (!v) co_return std::move(v).err();
  std::vector<node_ref> out;
  if (const json_value::array_type* ids = (*v)["nodeIds"].get_array())
    for (const json_value& id : *ids) out.push_back(node_ref{int_of(id), root->generation});
  co_return out;
}

rt::task<rt::result<void>> ask_settle(ref_t ref, std::chrono::milliseconds quiet, rt::deadline d) {
  dom_actor::settle s{quiet, d};
  co_return co_await ref.ask(std::move(s), a_bit_later(d));
}

rt::task<rt::result<dom_stats>> ask_stats(ref_t ref, rt::deadline d) {
  co_return co_await ref.ask(dom_actor::get_stats{}, d);
}

}  // namespace

// --- the CDP backend -----------------------------------------------------------------------------

dom dom::start(rt::scheduler& sched, session::cdp_session session, dom_options options) {
  return over(detail::spawn_backend<cdp_dom_backend, dom_actor>(sched, "dom", std::move(session), std::move(options)));
}

rt::task<rt::result<void>> cdp_dom_backend::enable(rt::deadline d) {
  return ask_enable(ref_, d);
}
rt::task<rt::result<node_ref>> cdp_dom_backend::document(rt::deadline d) {
  return ask_document(ref_, d);
}
rt::task<rt::result<dom_node>> cdp_dom_backend::node(node_ref n, rt::deadline d) {
  return ask_node(ref_, n, d);
}
rt::task<rt::result<std::string>> cdp_dom_backend::outer_html(node_ref n, rt::deadline d) {
  return ask_serialize(ref_, n, true, d);
}
rt::task<rt::result<std::string>> cdp_dom_backend::inner_html(node_ref n, rt::deadline d) {
  return ask_serialize(ref_, n, false, d);
}
rt::task<rt::result<std::string>> cdp_dom_backend::html(rt::deadline d) {
  return ask_html(ref_, d);
}
rt::task<rt::result<std::string>> cdp_dom_backend::browser_outer_html(node_ref n, rt::deadline d) {
  return run_browser_outer_html(session_, ref_, n, d);
}
rt::task<rt::result<std::optional<node_ref>>> cdp_dom_backend::query_selector(std::string selector, std::optional<node_ref> root,
                                                                  rt::deadline d) {
  return run_query(session_, ref_, std::move(selector), root, d);
}
rt::task<rt::result<std::vector<node_ref>>> cdp_dom_backend::query_selector_all(std::string selector,
                                                                    std::optional<node_ref> root,
                                                                    rt::deadline d) {
  return run_query_all(session_, ref_, std::move(selector), root, d);
}
rt::task<rt::result<void>> cdp_dom_backend::settle(std::chrono::milliseconds quiet, rt::deadline d) {
  return ask_settle(ref_, quiet, d);
}
rt::task<rt::result<dom_stats>> cdp_dom_backend::stats(rt::deadline d) {
  return ask_stats(ref_, d);
}

}  // namespace janus::domains

