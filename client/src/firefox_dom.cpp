#include <janus/client/firefox_dom.hpp>

#include "firefox_rdp_calls.hpp"

#include <janus/rt/sleep.hpp>

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

namespace detail {

/// The mirror and the worker's bookkeeping.
///
/// @par Thread Safety
/// Every member but the constants and `stopping` is guarded by `mu`.
struct firefox_dom_core {
  rt::scheduler* sched = nullptr;
  firefox_tab tab;
  session::rdp_connection conn;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::unordered_map<std::int64_t, dom_node> nodes;
  std::unordered_map<std::string, std::int64_t> by_actor;
  std::unordered_map<std::int64_t, std::string> actor_of;
  std::int64_t next_id = 1;
  std::int64_t document = 0;
  std::uint64_t generation = 0;
  std::string target;  // the document target mirrored (or being mirrored)
  std::string walker;
  bool ready = false;
  bool busy = false;  // a batch is being applied
  std::optional<rt::error> failure;  // mirroring `target` failed
  bool ended = false;                // the worker stopped (the connection ended)
  rt::time_point last_change{};
  // Nodes the batch being applied reports removed: if they are back, what they hold may have
  // changed while they were out, unreported, so they are read again.
  std::unordered_set<std::string> reread;
  // Actors of nodes the mirror dropped (a removal's top), to release once the batch is applied.
  std::vector<std::string> dropped_actors;
  domains::dom_stats stats;
  // "Look again", for the callers' waits (with_mirror, await_node, run_settle): a tick after the
  // worker changed the mirror (a document built, a batch applied, a failure). A waiter subscribes
  // before its first look; capacity 1, drop_oldest, as a tick carries nothing.
  std::unique_ptr<rt::stream<char>> changed;
  void notify_changed() {
    if (changed) (void)changed->try_publish(0);
  }
};

/// Stops the worker when the last handle goes (the worker holds the core, not this).
struct firefox_dom_owner {
  std::shared_ptr<firefox_dom_core> core;
  ~firefox_dom_owner() {
    if (core) core->stopping.store(true, std::memory_order_release);
  }
};

}  // namespace detail

namespace {

using core_ptr = std::shared_ptr<detail::firefox_dom_core>;

// How long the worker waits for an event before it looks at the tab's current document again.
constexpr auto worker_tick = 100ms;

// The shared RDP helpers (firefox_rdp_calls.hpp), under this file's short names.
constexpr auto& str_of = detail::rdp_str;
constexpr auto& int_of = detail::rdp_int;
constexpr auto& bool_of = detail::rdp_bool;
constexpr auto& req = detail::rdp_call;

rt::error in_context(rt::error e, const std::string& what) {
  e.message = "firefox dom: " + what + ": " + e.message;
  return e;
}

// Nodes the walker shows that are no part of the document's tree as outerHTML writes it.
bool outside_tree(const json_value& form) {
  return bool_of(form["isPseudoElement"]) || bool_of(form["isShadowRoot"]) || bool_of(form["isNativeAnonymous"]) ||
         str_of(form["nodeName"]).rfind("_moz_generated_content", 0) == 0;
}

std::vector<std::pair<std::string, std::string>> attributes_of(const json_value& form) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const json_value::array_type* a = form["attrs"].get_array()) {
    out.reserve(a->size());
    for (const json_value& at : *a) out.emplace_back(str_of(at["name"]), str_of(at["value"]));
  }
  return out;
}

// Whether the worker should read the children of a node made from `form`: an iframe's document
// belongs to another target.
bool wants_children(const json_value& form) {
  return int_of(form["numChildren"]) > 0 && !bool_of(form["useChildTargetToFetchChildren"]);
}

// --- the mirror (callers hold core.mu) ----------------------------------------------------------

void erase_subtree(detail::firefox_dom_core& c, std::int64_t id) {
  auto it = c.nodes.find(id);
  if (it == c.nodes.end()) return;
  std::vector<std::int64_t> kids = std::move(it->second.children);
  const std::int64_t tpl = it->second.template_content;
  c.nodes.erase(it);
  if (auto a = c.actor_of.find(id); a != c.actor_of.end()) {
    c.by_actor.erase(a->second);
    c.actor_of.erase(a);
  }
  for (std::int64_t k : kids) erase_subtree(c, k);
  if (tpl) erase_subtree(c, tpl);
}

// Also takes it out of its parent's list (erase_subtree leaves the parent to the caller).
void detach_and_erase(detail::firefox_dom_core& c, std::int64_t id) {
  auto it = c.nodes.find(id);
  if (it == c.nodes.end()) return;
  if (auto p = c.nodes.find(it->second.parent); p != c.nodes.end()) {
    auto& kids = p->second.children;
    kids.erase(std::remove(kids.begin(), kids.end(), id), kids.end());
  }
  erase_subtree(c, id);
}

void fill(dom_node& n, const json_value& form) {
  n.type = static_cast<int>(int_of(form["nodeType"]));
  n.name = str_of(form["nodeName"]);
  n.local_name = n.type == 1 ? str_of(form["displayName"]) : std::string();
  n.value = (n.type == 3 || n.type == 4 || n.type == 7 || n.type == 8) ? str_of(form["nodeValue"]) : std::string();
  n.attributes = attributes_of(form);
  n.child_count = int_of(form["numChildren"]);
  if (n.type == 10) {
    n.name = str_of(form["name"]);
    n.public_id = str_of(form["publicId"]);
    n.system_id = str_of(form["systemId"]);
  }
}

std::int64_t create(detail::firefox_dom_core& c, const json_value& form, std::int64_t parent) {
  const std::int64_t id = c.next_id++;
  dom_node& n = c.nodes[id];
  n.id = id;
  n.parent = parent;
  fill(n, form);
  const std::string actor = str_of(form["actor"]);
  c.by_actor[actor] = id;
  c.actor_of[id] = actor;
  return id;
}

// Makes `parent`'s children what a `children` reply says; returns the new nodes whose own
// children are to be read.
std::vector<std::int64_t> reconcile(detail::firefox_dom_core& c, std::int64_t parent, const json_value& reply) {
  std::vector<std::int64_t> to_read;
  auto p = c.nodes.find(parent);
  if (p == c.nodes.end()) return to_read;
  const bool is_template = p->second.type == 1 && p->second.local_name == "template";
  std::vector<std::int64_t> kids;
  std::int64_t tpl = 0;
  std::unordered_set<std::int64_t> kept;
  if (const json_value::array_type* forms = reply["nodes"].get_array()) {
    for (const json_value& form : *forms) {
      if (outside_tree(form)) continue;
      const int type = static_cast<int>(int_of(form["nodeType"]));
      if (type == 9) continue;  // an iframe's document
      const std::string actor = str_of(form["actor"]);
      std::int64_t id = 0;
      if (auto known = c.by_actor.find(actor); known != c.by_actor.end()) {
        auto n = c.nodes.find(known->second);
        if (n != c.nodes.end() && n->second.parent == parent && !c.reread.count(actor)) {
          // Still here: its own subtree is kept current by its own mutations.
          id = known->second;
          std::vector<std::int64_t> own = std::move(n->second.children);
          const bool own_known = n->second.children_known;
          fill(n->second, form);
          n->second.children = std::move(own);
          n->second.children_known = own_known;
        } else {
          // Moved here from elsewhere, or taken out and put back: what it holds may have changed
          // while it was detached, when no mutation is reported, so it is read again.
          detach_and_erase(c, known->second);
        }
      }
      if (id == 0) {
        c.reread.erase(actor);  // read now, once
        id = create(c, form, parent);
        if (wants_children(form)) to_read.push_back(id);
        else c.nodes[id].children_known = true;
      }
      kept.insert(id);
      if (type == 11 && is_template) tpl = id;
      else kids.push_back(id);
    }
  }
  p = c.nodes.find(parent);  // erase_subtree may have rehashed
  if (p == c.nodes.end()) return to_read;
  for (std::int64_t old : p->second.children) {
    if (kept.count(old)) continue;
    if (auto a = c.actor_of.find(old); a != c.actor_of.end()) c.dropped_actors.push_back(a->second);
    erase_subtree(c, old);
  }
  if (p->second.template_content && !kept.count(p->second.template_content))
    erase_subtree(c, p->second.template_content);
  p = c.nodes.find(parent);
  p->second.children = std::move(kids);
  p->second.template_content = tpl;
  p->second.children_known = true;
  return to_read;
}

// --- the worker ---------------------------------------------------------------------------------

// Reads the children of `start` and of every new node under them, down to the leaves.
rt::task<rt::result<void>> read_down(core_ptr c, std::vector<std::int64_t> start, std::uint64_t gen, rt::deadline d) {
  std::deque<std::int64_t> queue(start.begin(), start.end());
  while (!queue.empty()) {
    if (c->stopping.load(std::memory_order_acquire)) co_return rt::ok;
    const std::int64_t id = queue.front();
    queue.pop_front();
    std::string walker;
    std::string actor;
    {
      std::lock_guard lk(c->mu);
      if (c->generation != gen) co_return rt::ok;
      auto a = c->actor_of.find(id);
      if (a == c->actor_of.end()) continue;  // removed meanwhile
      actor = a->second;
      walker = c->walker;
      ++c->stats.child_requests;
    }
    json_value p = json_value::object();
    p.set("node", actor);
    rt::result<json_value> r = co_await req(c->conn, walker, "children", std::move(p), d);
    std::lock_guard lk(c->mu);
    if (c->generation != gen) co_return rt::ok;
    if (!r) {
      // A node released or gone with its document: its parent's mutation says what became of it.
      ++c->stats.request_failures;
      if (r.err().code == rt::errc::protocol) continue;
      co_return std::move(r).err();
    }
    for (std::int64_t k : reconcile(*c, id, *r)) queue.push_back(k);
  }
  co_return rt::ok;
}

// Mirrors the document of `target` from scratch.
rt::task<rt::result<void>> build(core_ptr c, firefox_document_actors doc) {
  const rt::deadline d(20s);
  std::uint64_t gen = 0;
  {
    std::lock_guard lk(c->mu);
    gen = ++c->generation;
    c->nodes.clear();
    c->by_actor.clear();
    c->actor_of.clear();
    c->document = 0;
    c->ready = false;
    c->failure.reset();
    c->target = doc.target;
    c->walker.clear();
    c->reread.clear();
    c->dropped_actors.clear();
    ++c->stats.refreshes;
  }
  if (doc.inspector.empty()) co_return rt::error{rt::errc::protocol, "the document's target has no inspector actor"};
  json_value opts = json_value::object();
  opts.set("showComments", true);
  json_value p = json_value::object();
  p.set("options", std::move(opts));
  rt::result<json_value> w = co_await req(c->conn, doc.inspector, "getWalker", std::move(p), d);
  if (!w) co_return in_context(std::move(w).err(), "getWalker");
  const json_value& root = (*w)["walker"]["root"];
  const std::string walker = str_of((*w)["walker"]["actor"]);
  if (walker.empty() || str_of(root["actor"]).empty())
    co_return rt::error{rt::errc::protocol, "firefox dom: getWalker answered without a walker: " + w->dump()};
  std::int64_t doc_id = 0;
  {
    std::lock_guard lk(c->mu);
    if (c->generation != gen) co_return rt::ok;
    c->walker = walker;
    doc_id = create(*c, root, 0);
    c->document = doc_id;
  }
  // A named vector: GCC 12 rejects a braced temporary (an initializer_list) in a coroutine.
  std::vector<std::int64_t> from_root(1, doc_id);
  rt::result<void> down = co_await read_down(c, std::move(from_root), gen, d);
  if (!down) co_return in_context(std::move(down).err(), "reading the document");
  std::lock_guard lk(c->mu);
  if (c->generation == gen) {
    c->ready = true;
    c->last_change = rt::clock::now();
  }
  co_return rt::ok;
}

// Releases the walker's actors of the nodes the mirror dropped and did not meet again: a node
// dropped from one parent may have gone under another the mirror had yet to read, and come back
// with the same actor. One still in use elsewhere is not released (releaseNode would take its
// mutations away); a node released while it lives on gets a new actor when it is next read.
rt::task<void> release_dropped(core_ptr c, std::string walker, std::uint64_t gen, rt::deadline d) {
  std::vector<std::string> dropped;
  {
    std::lock_guard lk(c->mu);
    if (c->generation != gen) co_return;
    for (std::string& a : c->dropped_actors)
      if (!c->by_actor.count(a)) dropped.push_back(std::move(a));
    c->dropped_actors.clear();
  }
  for (std::string& a : dropped) {
    json_value p = json_value::object();
    p.set("node", std::move(a));
    // A node already released with an ancestor answers with an error: nothing to do.
    (void)co_await req(c->conn, walker, "releaseNode", std::move(p), d);
  }
}

// One getMutations batch, applied.
rt::task<rt::result<void>> apply_mutations(core_ptr c) {
  const rt::deadline d(20s);
  std::string walker;
  std::uint64_t gen = 0;
  {
    std::lock_guard lk(c->mu);
    walker = c->walker;
    gen = c->generation;
    c->busy = true;
  }
  // No cleanup: it releases every node a batch reports removed, even one moved under a parent
  // without an actor (the walker drops that half of the move), which is still in the document;
  // if the mirror read it before the release, its later changes would never be reported. The
  // mirror releases what it dropped itself, after the batch (release_dropped).
  json_value p = json_value::object();
  p.set("cleanup", false);
  rt::result<json_value> r = co_await req(c->conn, walker, "getMutations", std::move(p), d);
  if (!r) {
    std::lock_guard lk(c->mu);
    c->busy = false;
    co_return in_context(std::move(r).err(), "getMutations");
  }
  std::vector<std::int64_t> dirty;
  {
    std::lock_guard lk(c->mu);
    if (c->generation != gen) {
      c->busy = false;
      co_return rt::ok;
    }
    std::unordered_set<std::int64_t> seen;
    auto mark = [&](std::int64_t id) {
      if (id && seen.insert(id).second) dirty.push_back(id);
    };
    const json_value::array_type* list = (*r)["mutations"].get_array();
    // How often each (node, attribute) is reported: once, the value is unambiguous; more, the
    // attribute may have been removed and added again (moving it last), which only the forms show.
    std::unordered_map<std::string, int> attribute_reports;
    if (list)
      for (const json_value& m : *list)
        if (str_of(m["type"]) == "attributes") ++attribute_reports[str_of(m["target"]) + '\n' + str_of(m["attributeName"])];
    if (list) {
      for (const json_value& m : *list) {
        ++c->stats.events;
        const std::string type = str_of(m["type"]);
        auto t = c->by_actor.find(str_of(m["target"]));
        if (t == c->by_actor.end()) {
          ++c->stats.unknown;
          continue;
        }
        auto n = c->nodes.find(t->second);
        if (n == c->nodes.end()) {
          ++c->stats.unknown;
          continue;
        }
        dom_node& node = n->second;
        if (type == "characterData") {
          node.value = str_of(m["newValue"]);
        } else if (type == "attributes") {
          const std::string name = str_of(m["attributeName"]);
          auto& attrs = node.attributes;
          auto at = std::find_if(attrs.begin(), attrs.end(), [&](const auto& kv) { return kv.first == name; });
          if (m["newValue"].is_null()) {
            if (at != attrs.end()) attrs.erase(at);
          } else if (attribute_reports[str_of(m["target"]) + '\n' + name] > 1) {
            mark(node.parent ? node.parent : node.id);
          } else if (at != attrs.end()) {
            at->second = str_of(m["newValue"]);
          } else {
            attrs.emplace_back(name, str_of(m["newValue"]));
          }
        } else if (type == "childList" || type == "inlineTextChild") {
          if (m.contains("numChildren")) node.child_count = int_of(m["numChildren"]);
          if (const json_value::array_type* removed = m["removed"].get_array())
            for (const json_value& a : *removed) c->reread.insert(str_of(a));
          mark(node.id);
        }
        // Other kinds (pseudoClassLock, events, frameLoad...) change nothing outerHTML shows.
      }
    } else {
      ++c->stats.malformed;
    }
    c->last_change = rt::clock::now();
  }
  rt::result<void> down = co_await read_down(c, std::move(dirty), gen, d);
  if (down) co_await release_dropped(c, walker, gen, d);
  std::lock_guard lk(c->mu);
  c->busy = false;
  c->reread.clear();
  c->last_change = rt::clock::now();
  if (!down) co_return in_context(std::move(down).err(), "reading changed children");
  co_return rt::ok;
}

// Follows the tab's current document and applies its walker's mutations. Only it writes the
// mirror's structure; it never blocks the connection (its subscription drops rather than waits).
rt::task<void> worker(core_ptr c, rt::subscription<session::rdp_event> sub) {
  for (;;) {
    if (c->stopping.load(std::memory_order_acquire)) co_return;
    rt::result<firefox_document_actors> doc = co_await c->tab.document_actors(rt::deadline(worker_tick));
    if (!doc) {
      if (rt::result<void> alive = c->tab.alive(); !alive) {
        {
          std::lock_guard lk(c->mu);
          c->failure = in_context(std::move(alive).err(), "the tab");
          c->ended = true;
        }
        c->notify_changed();
        co_return;
      }
      continue;  // between documents
    }
    bool fresh = false;
    {
      std::lock_guard lk(c->mu);
      fresh = doc->target != c->target;
    }
    if (fresh) {
      rt::result<void> built = co_await build(c, *doc);
      if (!built) {
        std::lock_guard lk(c->mu);
        c->failure = std::move(built).err();
      }
      c->notify_changed();
      continue;
    }
    rt::result<session::rdp_event> ev = co_await sub.next(rt::deadline(worker_tick));
    if (!ev) {
      if (ev.err().code == rt::errc::timeout) continue;
      {
        std::lock_guard lk(c->mu);
        if (ev.err().code == rt::errc::browser_exited) c->failure = in_context(ev.err(), "firefox dom");
        else c->failure = rt::error{rt::errc::disconnected, "firefox dom: the connection to Firefox ended"};
        c->ended = true;
      }
      c->notify_changed();
      co_return;
    }
    bool ours = false;
    {
      std::lock_guard lk(c->mu);
      ours = c->ready && ev->from() == c->walker;
      if (ours) c->last_change = rt::clock::now();
    }
    if (!ours) continue;  // an earlier document's walker, or another tab's
    rt::result<void> applied = co_await apply_mutations(c);
    if (!applied) {
      std::lock_guard lk(c->mu);
      ++c->stats.request_failures;
      // A navigation tore the walker down: the next turn sees the new document. Anything else
      // leaves the mirror behind the page, so it is read again.
      if (applied.err().code != rt::errc::target_closed) c->target.clear();
    }
    c->notify_changed();
  }
}

// --- the callers' side --------------------------------------------------------------------------

// Waits until the mirror is of the tab's current document, then runs `f` on it under the lock.
template <class T>
rt::task<rt::result<T>> with_mirror(core_ptr c, rt::deadline d, std::function<rt::result<T>(detail::firefox_dom_core&)> f) {
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    rt::result<firefox_document_actors> doc = co_await c->tab.document_actors(d);
    if (!doc) co_return in_context(std::move(doc).err(), "the tab's document");
    {
      std::lock_guard lk(c->mu);
      if (c->ended && c->failure) co_return *c->failure;
      if (c->target == doc->target) {
        if (c->failure) co_return *c->failure;
        if (c->ready) co_return f(*c);
      }
    }
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

// The walker and the actor of a node of the current mirror: `root`, or the document.
struct query_base {
  std::string walker;
  std::string node;
  std::uint64_t generation = 0;
};

rt::task<rt::result<query_base>> current_base(core_ptr c, std::optional<node_ref> root, rt::deadline d) {
  std::function<rt::result<query_base>(detail::firefox_dom_core&)> f =
      [root](detail::firefox_dom_core& m) -> rt::result<query_base> {
    const node_ref at = root ? *root : node_ref{m.document, m.generation};
    if (rt::result<const dom_node*> n = find(m, at); !n) return std::move(n).err();
    auto a = m.actor_of.find(at.id);
    if (a == m.actor_of.end())
      return rt::error{rt::errc::stale_node, "firefox dom: node " + std::to_string(at.id) + " has no actor"};
    return query_base{m.walker, a->second, m.generation};
  };
  co_return co_await with_mirror<query_base>(std::move(c), d, std::move(f));
}

// Whether the worker has read everything under `id` (a new node's children come after it).
bool subtree_read(const detail::firefox_dom_core& c, std::int64_t id) {
  auto it = c.nodes.find(id);
  if (it == c.nodes.end()) return true;
  if (!it->second.children_known) return false;
  for (std::int64_t k : it->second.children)
    if (!subtree_read(c, k)) return false;
  return it->second.template_content == 0 || subtree_read(c, it->second.template_content);
}

// The mirror's node for a node actor a query returned: it may be one inserted just before the
// query, which the worker has yet to read, with all that it holds.
rt::task<rt::result<node_ref>> await_node(core_ptr c, std::string actor, std::uint64_t gen, rt::deadline d) {
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    {
      std::lock_guard lk(c->mu);
      if (c->generation != gen)
        co_return rt::error{rt::errc::stale_node, "firefox dom: the document was replaced during the query"};
      if (auto it = c->by_actor.find(actor); it != c->by_actor.end() && subtree_read(*c, it->second))
        co_return node_ref{it->second, gen};
      if (c->failure) co_return *c->failure;
    }
    if (d.expired())
      co_return rt::error{rt::errc::timeout, "firefox dom: the mirror did not get the queried node " + actor +
                                                 " before the deadline"};
    (void)co_await changes.next(d);
  }
}

rt::task<rt::result<std::optional<node_ref>>> run_query(core_ptr c, std::string selector,
                                                        std::optional<node_ref> root, rt::deadline d) {
  rt::result<query_base> base = co_await current_base(c, root, d);
  if (!base) co_return std::move(base).err();
  json_value p = json_value::object();
  p.set("node", base->node);
  p.set("selector", selector);
  rt::result<json_value> r = co_await req(c->conn, base->walker, "querySelector", std::move(p), d);
  if (!r) co_return in_context(std::move(r).err(), "querySelector '" + selector + "'");
  const std::string actor = str_of((*r)["node"]["actor"]);
  if (actor.empty()) co_return std::optional<node_ref>();
  rt::result<node_ref> n = co_await await_node(c, actor, base->generation, d);
  if (!n) co_return std::move(n).err();
  co_return std::optional<node_ref>(*n);
}

rt::task<rt::result<std::vector<node_ref>>> run_query_all(core_ptr c, std::string selector,
                                                          std::optional<node_ref> root, rt::deadline d) {
  rt::result<query_base> base = co_await current_base(c, root, d);
  if (!base) co_return std::move(base).err();
  json_value p = json_value::object();
  p.set("node", base->node);
  p.set("selector", selector);
  rt::result<json_value> r = co_await req(c->conn, base->walker, "querySelectorAll", std::move(p), d);
  if (!r) co_return in_context(std::move(r).err(), "querySelectorAll '" + selector + "'");
  const std::string list = str_of((*r)["list"]["actor"]);
  const std::int64_t length = int_of((*r)["list"]["length"]);
  std::vector<node_ref> out;
  if (list.empty() || length == 0) co_return out;
  json_value ip = json_value::object();
  ip.set("start", std::int64_t{0});
  ip.set("end", length);
  rt::result<json_value> items = co_await req(c->conn, list, "items", std::move(ip), d);
  // The list holds its nodes on the server until released; its reply carries nothing.
  (void)co_await req(c->conn, list, "release", json_value::object(), d);
  if (!items) co_return in_context(std::move(items).err(), "querySelectorAll '" + selector + "' items");
  if (const json_value::array_type* nodes = (*items)["nodes"].get_array()) {
    for (const json_value& form : *nodes) {
      rt::result<node_ref> n = co_await await_node(c, str_of(form["actor"]), base->generation, d);
      if (!n) co_return std::move(n).err();
      out.push_back(*n);
    }
  }
  co_return out;
}

rt::task<rt::result<void>> run_settle(core_ptr c, std::chrono::milliseconds quiet, rt::deadline d) {
  rt::subscription<char> changes = c->changed->subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    rt::time_point recheck = d.at();  // settled once `quiet` has passed since the last change
    rt::result<firefox_document_actors> doc = co_await c->tab.document_actors(d);
    if (!doc) co_return in_context(std::move(doc).err(), "the tab's document");
    {
      std::lock_guard lk(c->mu);
      if (c->ended && c->failure) co_return *c->failure;
      if (c->target == doc->target) {
        if (c->failure) co_return *c->failure;
        if (c->ready && !c->busy) {
          if (rt::clock::now() - c->last_change >= quiet) co_return rt::ok;
          recheck = std::min(recheck, c->last_change + quiet);
        }
      }
    }
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
  core->conn = tab.connection();
  core->tab = std::move(tab);
  firefox_dom out;
  out.owner_ = std::make_shared<detail::firefox_dom_owner>();
  out.owner_->core = core;
  // Lossy on purpose: a walker sends one newMutations until it is asked, so a small queue loses
  // nothing of this tab's, and a mirror that falls behind never stops the connection reading.
  session::rdp_subscription_spec spec;
  spec.type = "newMutations";
  spec.capacity = 256;
  spec.policy = rt::overflow::drop_oldest;
  rt::result<rt::subscription<session::rdp_event>> sub = core->conn.subscribe(std::move(spec));
  if (!sub) {
    core->failure = in_context(std::move(sub).err(), "subscribing to newMutations");
    core->ended = true;
    return out;
  }
  sched.spawn(worker(core, std::move(*sub)));
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
  co_return co_await run_query(owner_->core, std::move(selector), root, d);
}

rt::task<rt::result<std::vector<node_ref>>> firefox_dom::query_selector_all(std::string selector,
                                                                            std::optional<node_ref> root,
                                                                            rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  co_return co_await run_query_all(owner_->core, std::move(selector), root, d);
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
  rt::result<query_base> base = co_await current_base(owner_->core, n, d);
  if (!base) co_return std::move(base).err();
  co_return std::move(base->node);
}

rt::task<rt::result<std::string>> firefox_dom::browser_outer_html(node_ref n, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  rt::result<query_base> base = co_await current_base(owner_->core, n, d);
  if (!base) co_return std::move(base).err();
  json_value p = json_value::object();
  p.set("node", base->node);
  rt::result<json_value> r = co_await req(owner_->core->conn, base->walker, "outerHTML", std::move(p), d);
  if (!r) co_return in_context(std::move(r).err(), "walker outerHTML");
  co_return co_await detail::rdp_long_string(owner_->core->conn, std::move((*r)["value"]), d);
}

rt::task<rt::result<void>> firefox_dom::settle(std::chrono::milliseconds quiet, rt::deadline d) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  co_return co_await run_settle(owner_->core, quiet, d);
}

rt::task<rt::result<domains::dom_stats>> firefox_dom::stats(rt::deadline) const {
  if (!owner_) co_return rt::error{rt::errc::invalid_argument, "firefox dom: empty handle"};
  const core_ptr& c = owner_->core;
  std::lock_guard lk(c->mu);
  domains::dom_stats s = c->stats;
  s.generation = c->generation;
  s.nodes = c->nodes.size();
  s.ready = c->ready;
  co_return s;
}

}  // namespace janus::client
