#include "firefox_dom.hpp"

#include "firefox_dom_agent.hpp"
#include "firefox_dom_core.hpp"
#include "firefox_rdp_calls.hpp"
#include "firefox_tab_internal.hpp"

#include <janus/rt/sleep.hpp>

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace janus::client {

using domains::dom_node;
using domains::node_ref;
using protocol::json_value;
using namespace std::chrono_literals;


namespace {

using core_ptr = std::shared_ptr<detail::firefox_dom_core>;

// How long the agent holds a wait open without a change (its answer is then "nothing"), and how
// long the worker gives that answer to come: the worker looks at the tab's document at least this
// often while the page is quiet (a long poll: the agent answers at once when the page changes).
constexpr int agent_wait_ms = 1000;
constexpr auto agent_wait_deadline = 3s;
// How long the document's first snapshot and each pull may take (a 200,000-node page's snapshot
// is a few MB read in longString chunks).
constexpr auto transfer_deadline = 60s;

// The agent of the current document, in the page; `none` when it is missing (the document was
// replaced under the same target, or never got one).
const std::string agent_js = "window[Symbol.for('janus.dom.mirror')]";
std::string with_agent(const std::string& body, const std::string& none) {
  return "const a = " + agent_js + ";\nif (!a || a.doc !== document) return " + none + ";\n" + body;
}

constexpr auto& str_of = detail::rdp_str;
constexpr auto& int_of = detail::rdp_int;
constexpr auto& req = detail::rdp_call;

rt::error in_context(rt::error e, const std::string& what) {
  e.message = "firefox dom: " + what + ": " + e.message;
  return e;
}

// --- the worker ---------------------------------------------------------------------------------

// Mirrors the document of `target` from scratch: installs the agent and applies its snapshot.
rt::task<rt::result<void>> build(core_ptr c, firefox_document_actors doc) {
  std::uint64_t gen = 0;
  {
    gen = ++c->generation;
    c->nodes.clear();
    c->document = 0;
    c->ready = false;
    c->failure.reset();
    c->target = doc.target;
    c->inspector = doc.inspector;
    c->walker.clear();
    ++c->stats.refreshes;
  }
  rt::result<std::string> snap = co_await detail::firefox_run_function_text(c->tab, detail::firefox_dom_agent_source,
                                                                            rt::deadline(transfer_deadline));
  if (!snap) co_return in_context(std::move(snap).err(), "reading the document");
  if (c->generation != gen) co_return rt::ok;
  const detail::applied_answer a = detail::apply_agent_answer(*c, *snap);
  if (!a.ok) {
    ++c->stats.malformed;
    co_return rt::error{rt::errc::protocol, "firefox dom: the page's snapshot is malformed"};
  }
  if (c->document == 0) co_return rt::error{rt::errc::protocol, "firefox dom: the page's snapshot has no document"};
  c->ready = true;
  c->last_change = rt::clock::now();
  co_return rt::ok;
}

// One pull of what changed, applied. A pull the mirror cannot place (a child it was never sent)
// means the two disagree: the document is read again.
rt::task<rt::result<void>> pull(core_ptr c) {
  std::uint64_t gen = 0;
  {
    gen = c->generation;
    c->busy = true;
  }
  rt::result<std::string> r = co_await detail::firefox_run_function_text(c->tab, with_agent("return a.pull();", "null"),
                                                                         rt::deadline(transfer_deadline));
  c->busy = false;
  if (!r) co_return in_context(std::move(r).err(), "pulling changes");
  if (c->generation != gen) co_return rt::ok;
  if (*r == "null") {
    c->target.clear();  // the agent is gone (document.open): mirror the document again
    co_return rt::ok;
  }
  const detail::applied_answer a = detail::apply_agent_answer(*c, *r);
  c->stats.events += a.changes;
  c->stats.unknown += a.unknown;
  ++c->stats.child_requests;
  c->last_change = rt::clock::now();
  if (!a.ok || !a.whole) {
    ++c->stats.malformed;
    c->target.clear();
  }
  co_return rt::ok;
}

}  // namespace

// Follows the tab's current document: builds the mirror of each new one, then waits for the
// agent to say something changed and pulls it. Only it writes the mirror's structure. It runs in
// the mirror's actor (so do build() and pull(), which it awaits): visits interleave only at its
// co_awaits, and stopping the actor ends it there.
rt::task<void> detail::firefox_dom_actor::handle(run) {
  const core_ptr c = c_;
  if (!c) co_return;
  const std::string wait_js =
      with_agent("return await a.wait(" + std::to_string(agent_wait_ms) + ") ? 'changed' : 'quiet';", "'gone'");
  auto end_with = [&c](rt::error e) {
    {
        c->failure = std::move(e);
      c->ended = true;
    }
    c->notify_changed();
  };
  for (;;) {
    rt::result<firefox_document_actors> doc = co_await c->tab.document_actors(rt::deadline(agent_wait_deadline));
    if (!doc) {
      if (rt::result<void> alive = c->tab.alive(); !alive) co_return end_with(in_context(std::move(alive).err(), "the tab"));
      continue;  // between documents
    }
    bool fresh = false;
    {
        fresh = doc->target != c->target;
    }
    if (fresh) {
      rt::result<void> built = co_await build(c, *doc);
      if (!built) {
            ++c->stats.request_failures;
        // A navigation during the read: the next turn sees the new document.
        if (built.err().code != rt::errc::target_closed) c->failure = std::move(built).err();
        else c->target.clear();
      }
      c->notify_changed();
      continue;
    }
    rt::result<json_value> said = co_await detail::firefox_run_function(c->tab, wait_js, rt::deadline(agent_wait_deadline));
    if (!said) {
      const rt::errc code = said.err().code;
      if (code == rt::errc::browser_exited || code == rt::errc::disconnected)
        co_return end_with(in_context(std::move(said).err(), "the connection"));
      if (rt::result<void> alive = c->tab.alive(); !alive) co_return end_with(in_context(std::move(alive).err(), "the tab"));
      if (code != rt::errc::target_closed && code != rt::errc::timeout) {
            ++c->stats.request_failures;
        c->target.clear();  // read the document again
      }
      continue;
    }
    const std::string what = str_of(*said);
    if (what == "quiet") continue;
    if (what == "gone") {
        c->target.clear();
      continue;
    }
    {
        c->last_change = rt::clock::now();
    }
    rt::result<void> applied = co_await pull(c);
    if (!applied) {
        ++c->stats.request_failures;
      // A navigation tore the document down: the next turn sees the new one. Anything else
      // leaves the mirror behind the page, so it is read again.
      if (applied.err().code != rt::errc::target_closed) c->target.clear();
    }
    c->notify_changed();
  }
}

namespace {

// --- the callers' side --------------------------------------------------------------------------

// Runs `f` on the mirror in its actor and returns what it returned (the mirror's end once the
// actor is gone).
template <class R>
rt::task<rt::result<R>> visit_mirror(core_ptr c, std::function<R(detail::firefox_dom_core&)> f, rt::deadline d) {
  struct box {
    std::function<R(detail::firefox_dom_core&)> f;
    std::optional<R> out;
  };
  auto b = std::make_shared<box>();
  b->f = std::move(f);
  detail::firefox_dom_actor::visit v{[b](detail::firefox_dom_core& m) { b->out.emplace(b->f(m)); }};
  rt::result<void> asked = co_await c->actor.ask(std::move(v), d);
  if (!asked) {
    if (asked.code() == rt::errc::timeout) co_return rt::error{rt::errc::timeout, "firefox dom: no answer before the deadline"};
    co_return rt::error{asked.code(), "firefox dom: the mirror is gone (" + asked.err().message + ")"};
  }
  co_return std::move(*b->out);
}

// Waits until the mirror is of the tab's current document, then runs `f` on it in its actor.
template <class T>
rt::task<rt::result<T>> with_mirror(core_ptr c, rt::deadline d, std::function<rt::result<T>(detail::firefox_dom_core&)> f) {
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  auto shared_f = std::make_shared<std::function<rt::result<T>(detail::firefox_dom_core&)>>(std::move(f));
  for (;;) {
    rt::result<firefox_document_actors> doc = co_await c->tab.document_actors(d);
    if (!doc) co_return in_context(std::move(doc).err(), "the tab's document");
    const std::string target = doc->target;
    std::function<std::optional<rt::result<T>>(detail::firefox_dom_core&)> look =
        [target, shared_f](detail::firefox_dom_core& m) -> std::optional<rt::result<T>> {
      if (m.ended && m.failure) return rt::result<T>(*m.failure);
      if (m.target == target) {
        if (m.failure) return rt::result<T>(*m.failure);
        if (m.ready) return (*shared_f)(m);
      }
      return std::nullopt;
    };
    rt::result<std::optional<rt::result<T>>> seen = co_await visit_mirror(c, std::move(look), d);
    if (!seen) co_return std::move(seen).err();
    if (*seen) co_return std::move(**seen);
    if (d.expired()) co_return rt::error{rt::errc::timeout, "firefox dom: the document was not mirrored before the deadline"};
    (void)co_await changes.next(d);  // a tick, or the deadline: look again
  }
}

rt::result<const dom_node*> find(const detail::firefox_dom_core& c, node_ref r) {
  if (r.generation != c.generation)
    return rt::error{rt::errc::stale_node, "firefox dom: node " + std::to_string(r.id) + " is of document generation " +
                                               std::to_string(r.generation) + ", the tab shows generation " +
                                               std::to_string(c.generation)};
  auto it = c.nodes.find(r.id);
  if (it == c.nodes.end())
    return rt::error{rt::errc::stale_node, "firefox dom: node " + std::to_string(r.id) + " was removed"};
  return &it->second;
}

std::string serialize(const detail::firefox_dom_core& c, const dom_node& n, bool outer) {
  return domains::serialize_html(n, outer, [&c](std::int64_t id) -> const dom_node* {
    auto it = c.nodes.find(id);
    return it == c.nodes.end() ? nullptr : &it->second;
  });
}

rt::task<rt::result<std::string>> run_serialize(core_ptr c, node_ref n, bool outer, rt::deadline d) {
  std::function<rt::result<std::string>(detail::firefox_dom_core&)> f =
      [n, outer](detail::firefox_dom_core& m) -> rt::result<std::string> {
    rt::result<const dom_node*> node = find(m, n);
    if (!node) return std::move(node).err();
    return serialize(m, **node, outer);
  };
  co_return co_await with_mirror<std::string>(std::move(c), d, std::move(f));
}

// A node of the current mirror (`root`, or the document when empty), checked, for a request about
// it to the page: its id and the generation.
rt::task<rt::result<node_ref>> current_node(core_ptr c, std::optional<node_ref> root, rt::deadline d) {
  std::function<rt::result<node_ref>(detail::firefox_dom_core&)> f =
      [root](detail::firefox_dom_core& m) -> rt::result<node_ref> {
    const node_ref at = root ? *root : node_ref{m.document, m.generation};
    if (rt::result<const dom_node*> n = find(m, at); !n) return std::move(n).err();
    return at;
  };
  co_return co_await with_mirror<node_ref>(std::move(c), d, std::move(f));
}

// The mirror's node for an id a query returned: it may be one inserted just before the query,
// which the worker has yet to pull (a pull brings a node with all that it holds).
rt::task<rt::result<node_ref>> await_node(core_ptr c, std::int64_t id, std::uint64_t gen, rt::deadline d) {
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    std::function<std::optional<rt::result<node_ref>>(detail::firefox_dom_core&)> look =
        [id, gen](detail::firefox_dom_core& m) -> std::optional<rt::result<node_ref>> {
      if (m.generation != gen)
        return rt::result<node_ref>(rt::error{rt::errc::stale_node, "firefox dom: the document was replaced during the query"});
      if (m.nodes.count(id)) return rt::result<node_ref>(node_ref{id, gen});
      if (m.failure) return rt::result<node_ref>(*m.failure);
      return std::nullopt;
    };
    rt::result<std::optional<rt::result<node_ref>>> seen = co_await visit_mirror(c, std::move(look), d);
    if (!seen) co_return std::move(seen).err();
    if (*seen) co_return std::move(**seen);
    if (d.expired())
      co_return rt::error{rt::errc::timeout, "firefox dom: the mirror did not get the queried node " + std::to_string(id) +
                                                 " before the deadline"};
    (void)co_await changes.next(d);
  }
}

// querySelector(All) in the page, under `root`: the ids of the nodes found, in document order.
rt::task<rt::result<std::vector<node_ref>>> run_query(core_ptr c, std::string selector, std::optional<node_ref> root,
                                                      bool all, rt::deadline d) {
  rt::result<node_ref> base = co_await current_node(c, root, d);
  if (!base) co_return std::move(base).err();
  const std::string js = with_agent("return a.query(" + json_value(selector).dump() + ", " +
                                        std::to_string(root ? base->id : 0) + ", " + (all ? "true" : "false") + ");",
                                    "{stale: true}");
  rt::result<json_value> r = co_await detail::firefox_run_function(c->tab, js, d);
  if (!r) {
    // A selector the page refuses is the caller's mistake, named as Firefox names it.
    if (r.err().code == rt::errc::javascript)
      co_return rt::error{rt::errc::protocol, "firefox dom: querySelector '" + selector + "': " + r.err().message};
    co_return in_context(std::move(r).err(), "querySelector '" + selector + "'");
  }
  if ((*r)["stale"].is_bool())
    co_return rt::error{rt::errc::stale_node, "firefox dom: the query's root is no longer in the document"};
  std::vector<node_ref> out;
  if (const json_value::array_type* ids = (*r)["ids"].get_array()) {
    for (const json_value& id : *ids) {
      if (int_of(id) <= 0) continue;  // querySelector found nothing
      rt::result<node_ref> n = co_await await_node(c, int_of(id), base->generation, d);
      if (!n) co_return std::move(n).err();
      out.push_back(*n);
    }
  }
  co_return out;
}

rt::task<rt::result<void>> run_settle(core_ptr c, std::chrono::milliseconds quiet, rt::deadline d) {
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    rt::result<firefox_document_actors> doc = co_await c->tab.document_actors(d);
    if (!doc) co_return in_context(std::move(doc).err(), "the tab's document");
    // Settled once `quiet` has passed since the last change; else the moment it will have.
    struct verdict {
      std::optional<rt::error> failed;
      bool settled = false;
      rt::time_point recheck;
    };
    const std::string target = doc->target;
    const rt::time_point until = d.at();
    std::function<verdict(detail::firefox_dom_core&)> look = [target, quiet, until](detail::firefox_dom_core& m) {
      verdict v;
      v.recheck = until;
      if (m.ended && m.failure) {
        v.failed = *m.failure;
        return v;
      }
      if (m.target == target) {
        if (m.failure) {
          v.failed = *m.failure;
          return v;
        }
        if (m.ready && !m.busy) {
          if (rt::clock::now() - m.last_change >= quiet) v.settled = true;
          else v.recheck = std::min(v.recheck, m.last_change + quiet);
        }
      }
      return v;
    };
    rt::result<verdict> seen = co_await visit_mirror(c, std::move(look), d);
    if (!seen) co_return std::move(seen).err();
    if (seen->failed) co_return *seen->failed;
    if (seen->settled) co_return rt::ok;
    const rt::time_point recheck = seen->recheck;
    if (d.expired())
      co_return rt::error{rt::errc::timeout, "firefox dom: the mirror did not settle before the deadline (the page "
                                             "kept changing, or its document was not mirrored yet)"};
    (void)co_await changes.next(rt::deadline(std::min(recheck, d.at())));
  }
}

}  // namespace

firefox_dom firefox_dom::start(rt::scheduler& sched, firefox_tab tab) {
  auto core = std::make_shared<detail::firefox_dom_core>();
  core->sched = &sched;
  core->changed = std::make_unique<rt::stream<char>>(sched);
  rt::spawn_options so;
  so.name = "firefox.dom";
  // The factory stays in the actor's cell while the cell lives, and the core holds the cell: a
  // weak reference, or the two would keep each other alive after the actor stops.
  std::weak_ptr<detail::firefox_dom_core> weak = core;
  core->actor = rt::spawn_with<detail::firefox_dom_actor>(
      sched, std::move(so), [weak] { return std::make_unique<detail::firefox_dom_actor>(weak.lock()); });
  core->conn = tab.connection();
  core->tab = std::move(tab);
  firefox_dom out;
  out.owner_ = std::make_shared<detail::firefox_dom_owner>();
  out.owner_->core = core;
  // The mailbox is empty and open: the worker starts at once (a failure is the actor's end).
  (void)core->actor.try_tell(detail::firefox_dom_actor::run{});
  return out;
}

rt::task<rt::result<node_ref>> firefox_dom::document(rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  std::function<rt::result<node_ref>(detail::firefox_dom_core&)> f =
      [](detail::firefox_dom_core& m) -> rt::result<node_ref> { return node_ref{m.document, m.generation}; };
  co_return co_await with_mirror<node_ref>(owner_->core, d, std::move(f));
}

rt::task<rt::result<dom_node>> firefox_dom::node(node_ref n, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  std::function<rt::result<dom_node>(detail::firefox_dom_core&)> f =
      [n](detail::firefox_dom_core& m) -> rt::result<dom_node> {
    rt::result<const dom_node*> node = find(m, n);
    if (!node) return std::move(node).err();
    return **node;
  };
  co_return co_await with_mirror<dom_node>(owner_->core, d, std::move(f));
}

rt::task<rt::result<std::string>> firefox_dom::outer_html(node_ref n, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  co_return co_await run_serialize(owner_->core, n, true, d);
}

rt::task<rt::result<std::string>> firefox_dom::inner_html(node_ref n, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  co_return co_await run_serialize(owner_->core, n, false, d);
}

rt::task<rt::result<std::string>> firefox_dom::html(rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  std::function<rt::result<std::string>(detail::firefox_dom_core&)> f =
      [](detail::firefox_dom_core& m) -> rt::result<std::string> {
    auto doc = m.nodes.find(m.document);
    if (doc == m.nodes.end()) return rt::error{rt::errc::not_found, "firefox dom: no document"};
    for (std::int64_t k : doc->second.children) {
      auto it = m.nodes.find(k);
      if (it != m.nodes.end() && it->second.type == 1) return serialize(m, it->second, true);
    }
    return rt::error{rt::errc::not_found, "firefox dom: the document has no element"};
  };
  co_return co_await with_mirror<std::string>(owner_->core, d, std::move(f));
}

rt::task<rt::result<std::optional<node_ref>>> firefox_dom::query_selector(std::string selector,
                                                                          std::optional<node_ref> root,
                                                                          rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  rt::result<std::vector<node_ref>> found = co_await run_query(owner_->core, std::move(selector), root, false, d);
  if (!found) co_return std::move(found).err();
  if (found->empty()) co_return std::optional<node_ref>();
  co_return std::optional<node_ref>(found->front());
}

rt::task<rt::result<std::vector<node_ref>>> firefox_dom::query_selector_all(std::string selector,
                                                                            std::optional<node_ref> root,
                                                                            rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  co_return co_await run_query(owner_->core, std::move(selector), root, true, d);
}

rt::task<rt::result<std::optional<node_ref>>> firefox_dom::query_selector(std::string selector, rt::deadline d) const {
  return query_selector(std::move(selector), std::nullopt, d);
}

rt::task<rt::result<std::vector<node_ref>>> firefox_dom::query_selector_all(std::string selector,
                                                                            rt::deadline d) const {
  return query_selector_all(std::move(selector), std::nullopt, d);
}

rt::task<rt::result<std::string>> firefox_dom::node_actor(node_ref n, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  const core_ptr& c = owner_->core;
  rt::result<node_ref> at = co_await current_node(c, n, d);
  if (!at) co_return std::move(at).err();
  std::function<std::pair<std::string, std::string>(detail::firefox_dom_core&)> actors =
      [](detail::firefox_dom_core& m) { return std::pair<std::string, std::string>(m.walker, m.inspector); };
  rt::result<std::pair<std::string, std::string>> known = co_await visit_mirror(c, std::move(actors), d);
  if (!known) co_return std::move(known).err();
  std::string walker = known->first;
  const std::string inspector = known->second;
  if (walker.empty()) {
    // The same walker options as firefox_css's lookups: an inspector has one walker, made with
    // the options of the first getWalker.
    json_value opts = json_value::object();
    opts.set("showComments", true);
    json_value p = json_value::object();
    p.set("options", std::move(opts));
    rt::result<json_value> w = co_await req(c->conn, inspector, "getWalker", std::move(p), d);
    if (!w) co_return in_context(std::move(w).err(), "getWalker");
    walker = str_of((*w)["walker"]["actor"]);
    if (walker.empty()) co_return rt::error{rt::errc::protocol, "firefox dom: getWalker answered without a walker: " + w->dump()};
    const std::uint64_t gen = at->generation;
    std::function<bool(detail::firefox_dom_core&)> keep = [gen, walker](detail::firefox_dom_core& m) {
      if (m.generation == gen) m.walker = walker;
      return true;
    };
    (void)co_await visit_mirror(c, std::move(keep), d);
  }
  // The page's node as a debugger object, which the walker turns into its node actor.
  rt::result<json_value> grip = co_await detail::firefox_evaluate_grip(
      c->tab, agent_js + "?.find(" + std::to_string(at->id) + ")", d);
  if (!grip) co_return in_context(std::move(grip).err(), "finding node " + std::to_string(at->id));
  const std::string object = str_of((*grip)["actor"]);
  if (object.empty())
    co_return rt::error{rt::errc::stale_node, "firefox dom: node " + std::to_string(at->id) + " is no longer in the page"};
  json_value p = json_value::object();
  p.set("actorID", object);
  json_value path = json_value::array();
  path.push_back("rawObj");
  p.set("path", std::move(path));
  rt::result<json_value> r = co_await req(c->conn, walker, "getNodeFromActor", std::move(p), d);
  if (!r) co_return in_context(std::move(r).err(), "getNodeFromActor");
  std::string actor = str_of((*r)["node"]["node"]["actor"]);
  if (actor.empty())
    co_return rt::error{rt::errc::stale_node, "firefox dom: node " + std::to_string(at->id) + " has no walker actor"};
  co_return actor;
}

rt::task<rt::result<std::string>> firefox_dom::browser_outer_html(node_ref n, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  const core_ptr& c = owner_->core;
  rt::result<node_ref> at = co_await current_node(c, n, d);
  if (!at) co_return std::move(at).err();
  const std::string js = with_agent("const n = a.find(" + std::to_string(at->id) +
                                        ");\nreturn n ? (n.outerHTML !== undefined ? n.outerHTML : new XMLSerializer().serializeToString(n)) : null;",
                                    "null");
  rt::result<json_value> r = co_await detail::firefox_run_function(c->tab, js, d);
  if (!r) co_return in_context(std::move(r).err(), "outerHTML");
  if (!r->is_string())
    co_return rt::error{rt::errc::stale_node, "firefox dom: node " + std::to_string(at->id) + " is no longer in the page"};
  co_return r->as_string();
}

rt::task<rt::result<void>> firefox_dom::settle(std::chrono::milliseconds quiet, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  co_return co_await run_settle(owner_->core, quiet, d);
}

rt::task<rt::result<domains::dom_stats>> firefox_dom::stats(rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  std::function<domains::dom_stats(detail::firefox_dom_core&)> f = [](detail::firefox_dom_core& m) {
    domains::dom_stats s = m.stats;
    s.generation = m.generation;
    s.nodes = m.nodes.size();
    s.ready = m.ready;
    return s;
  };
  co_return co_await visit_mirror(owner_->core, std::move(f), d);
}

}  // namespace janus::client
