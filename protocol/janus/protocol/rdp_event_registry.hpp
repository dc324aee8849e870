// Which RDP packets are events.
//
// RDP packets carry no ids: a reply is the next non-event packet from the actor a request went to.
// A `type` member does not make a packet an event (memory.attach replies `{"type":"attached"}`);
// a packet is an event when its type is one of the events its actor's spec declares, which is also
// how Firefox's own Front tells them apart. This registry holds those declarations, and the replies
// that carry a `type`, so that a packet declared as neither (an event added after the specs this
// registry was taken from) is not paired with a request.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace janus::protocol {

/// Actor type name → declared event types, plus aliases for other names of a type.
///
/// Type names are the spec `typeName`s ("root", "watcher", "windowGlobalTarget", "domwalker",
/// "console", "tabDescriptor", "pagestyle", …). Aliases map the stems of actor ids that differ from
/// the typeName ("consoleActor" for console, "inspectorActor" for inspector, …) and short names
/// ("walker", "target", "tab") onto them.
///
/// @par Thread Safety
/// Const member functions may be called concurrently; add()/add_alias() need exclusive access.
/// firefox() is immutable and safe to share between threads.
class rdp_event_registry {
 public:
  /// An empty registry.
  rdp_event_registry() = default;

  /// The events declared by the actor specs of Firefox ESR 153 (devtools/shared/specs), plus the
  /// connection-level `forwardingCancelled` from root.
  static const rdp_event_registry& firefox();

  /// Declares `event_type` an event of `actor_type` (a type name, not an alias).
  void add(std::string_view actor_type, std::string_view event_type);
  /// Makes `alias` another name for `actor_type`.
  void add_alias(std::string_view alias, std::string_view actor_type);

  /// The type name `actor_type` stands for (itself when it is no alias).
  std::string_view canonical(std::string_view actor_type) const;
  /// Whether a packet of type `packet_type` from an actor of type `actor_type` (or alias) is one of
  /// its events. Unknown actor types declare no events.
  bool is_event(std::string_view actor_type, std::string_view packet_type) const;
  /// Whether any event is declared for `actor_type` (or alias).
  bool has_events(std::string_view actor_type) const;

  /// Declares `reply_type` the `type` member of a reply of `actor_type` (memory.attach answers
  /// `{"type":"attached"}`). A packet whose `type` its actor declares neither as an event nor as
  /// a typed reply is taken for an event newer than the registry (session::rdp_connection).
  void add_typed_reply(std::string_view actor_type, std::string_view reply_type);
  bool is_typed_reply(std::string_view actor_type, std::string_view packet_type) const;

 private:
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> events_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> typed_replies_;
  std::map<std::string, std::string, std::less<>> aliases_;
};

/// rdp_event_registry::firefox().is_event(actor_type, packet_type).
bool is_event(std::string_view actor_type, std::string_view packet_type);

/// The actor type stem of an actor id: the part after the last '/' or '.', without the trailing
/// counter. "server1.conn0.watcher2.process7//windowGlobalTarget2" → "windowGlobalTarget",
/// "server1.conn3.consoleActor7" → "consoleActor", "root" → "root". The connection can use it for
/// actors whose type it has not learnt from a form; rdp_event_registry resolves the stems that are
/// aliases.
std::string_view rdp_actor_type_from_id(std::string_view actor_id) noexcept;

}  // namespace janus::protocol
