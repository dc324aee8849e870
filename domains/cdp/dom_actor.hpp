// The CDP side of `dom` (dom.hpp): the actor mirroring the document from the DOM domain's
// events, and the backend a handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/dom.hpp>
#include <janus/rt/stream.hpp>

#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include <variant>

namespace janus::domains {

namespace dom_detail {

/// A getDocument reply nests two JSON levels per DOM level; the default bound (512) would refuse
/// documents only 256 elements deep, which scripts build easily.
inline constexpr std::size_t max_json_depth = 8192;

/// CDP's flat attribute list ["name", "value", ...] as pairs.
inline std::vector<std::pair<std::string, std::string>> attributes_of(const protocol::json_value& flat) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const protocol::json_value::array_type* a = flat.get_array()) {
    out.reserve(a->size() / 2);
    for (std::size_t i = 0; i + 1 < a->size(); i += 2)
      out.emplace_back(detail::str_of((*a)[i]), detail::str_of((*a)[i + 1]));
  }
  return out;
}

}  // namespace dom_detail

/// The actor behind Chromium's `dom`: the mirror, changed by the pump's events (dom_events.cpp),
/// the commands it sends to keep up (dom_requests.cpp), its readers (dom.cpp) and the one-pass
/// reading of getDocument (dom_document_reader.cpp).
class dom_actor : public detail::domain_actor<dom_actor> {
 public:
  using domain_actor::handle;
  struct refresh {};
  struct request_done {
    std::int64_t id;
    bool ok;
  };
  struct attributes_read {
    std::int64_t id;
    std::uint64_t generation;
    std::uint64_t style_version;
    std::optional<std::vector<std::pair<std::string, std::string>>> attributes;
  };
  struct value_read {
    std::int64_t id;
    std::uint64_t generation;
    std::uint64_t value_version;
    std::optional<std::string> value;
  };
  struct get_document {
    rt::deadline until;
  };
  struct get_node {
    node_ref ref;
  };
  struct serialize {
    node_ref ref;
    bool outer;
  };
  struct check_ref {
    node_ref ref;
  };
  struct get_stats {};
  struct settle {
    std::chrono::milliseconds quiet;
    rt::deadline until;
  };
  using message = std::variant<pump, enable, refresh, request_done, attributes_read, value_read, get_document,
                               get_node, serialize, check_ref, get_stats, settle>;
  static constexpr std::size_t mailbox_capacity = 1024;

  dom_actor(rt::scheduler* sched, session::cdp_session session, dom_options options);

  rt::task<void> handle(pump p);
  rt::task<void> handle(refresh);
  void handle(request_done d);
  void handle(attributes_read a);
  void handle(value_read v);
  rt::task<rt::result<node_ref>> handle(get_document g);
  rt::result<dom_node> handle(get_node g) const;
  rt::result<std::string> handle(serialize s) const;
  rt::result<void> handle(check_ref c) const;
  dom_stats handle(get_stats) const;
  rt::task<rt::result<void>> handle(settle s);

  /// The domain's enable commands (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  struct node {
    dom_node data;
    std::uint64_t style_version = 0;
    std::uint64_t value_version = 0;  // characterDataModified since a full read was asked for
  };

  void apply(const session::cdp_event& ev);
  void apply_parsed(std::string_view method, const protocol::json_value& p);
  std::int64_t build(const protocol::json_value& n, std::int64_t parent);
  void erase_subtree(std::int64_t id);
  void detach(std::int64_t id);
  void want_children(std::int64_t id);
  void want_attributes(std::int64_t id);
  void want_value_if_cut(std::int64_t id);
  /// Replaces the mirror with getDocument's result, read from its text once, without a
  /// json_value tree (dom_document_reader.cpp); false when it is not a getDocument result.
  bool install_text(std::string_view result);
  friend struct dom_document_reader;
  void changed();
  rt::result<const node*> find(node_ref r) const;

  dom_options options_;
  std::unordered_map<std::int64_t, node> nodes_;
  std::int64_t document_ = 0;
  std::uint64_t generation_ = 0;
  bool ready_ = false;
  bool fetching_ = false;       // a getDocument is in flight: events wait in held_
  bool refetch_ = false;        // documentUpdated came while fetching
  std::vector<session::cdp_event> held_;
  std::unordered_set<std::int64_t> children_pending_;
  std::unordered_set<std::int64_t> attributes_pending_;
  std::unordered_set<std::int64_t> attributes_again_;  // invalidated again while a read was out
  std::unordered_set<std::int64_t> values_pending_;
  dom_stats stats_;
  const rt::subscription<session::cdp_event>* sub_ = nullptr;
  bool pump_ended_ = false;
  /// Why the pump ended, when its browser died (errc::browser_exited): waits fail with it.
  std::optional<rt::error> pump_error_;
  rt::time_point last_change_;
  rt::stream<int> changed_;
};

/// `dom` over CDP: each call an ask of the actor or a command on the session.
class cdp_dom_backend final : public detail::cdp_backend<dom_backend, dom_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<std::string>> outer_html(node_ref n, rt::deadline d) override;
  rt::task<rt::result<std::string>> inner_html(node_ref n, rt::deadline d) override;
  rt::task<rt::result<std::string>> browser_outer_html(node_ref n, rt::deadline d) override;
  rt::task<rt::result<std::optional<node_ref>>> query_selector(std::string selector, std::optional<node_ref> root, rt::deadline d) override;
  rt::task<rt::result<std::vector<node_ref>>> query_selector_all(std::string selector, std::optional<node_ref> root, rt::deadline d) override;
  rt::task<rt::result<void>> settle(std::chrono::milliseconds quiet, rt::deadline d) override;
  rt::task<rt::result<void>> enable(rt::deadline d) override;
  rt::task<rt::result<node_ref>> document(rt::deadline d) override;
  rt::task<rt::result<dom_node>> node(node_ref n, rt::deadline d) override;
  rt::task<rt::result<std::string>> html(rt::deadline d) override;
  rt::task<rt::result<dom_stats>> stats(rt::deadline d) override;
};

}  // namespace janus::domains
