#include "janus/protocol/rdp_event_registry.hpp"

#include <initializer_list>

namespace janus::protocol {

namespace {

struct actor_events {
  std::string_view type;
  std::initializer_list<std::string_view> events;
};

// Resource batches: the watcher, every target type and root may send them.
#define JANUS_RDP_RESOURCE_EVENTS "resources-available-array", "resources-updated-array", "resources-destroyed-array"

// Extracted from the `events` of each generateActorSpec() in Firefox ESR 153.7's
// devtools/shared/specs (the wire name is an event's `type` when it has one, else its key).
// Actors without events are absent.
const actor_events firefox_events[] = {
    {"root",
     {"tabListChanged", "workerListChanged", "addonListChanged", "serviceWorkerRegistrationListChanged",
      "processListChanged", "resources-available-array", "resources-destroyed-array",
      // Not in root's spec: the connection sends it when a content process' actors go away.
      "forwardingCancelled"}},
    {"watcher", {"target-available-form", "target-destroyed-form", JANUS_RDP_RESOURCE_EVENTS}},
    {"windowGlobalTarget",
     {"tabNavigated", "frameUpdate", "workerListChanged", "contentScrolled", JANUS_RDP_RESOURCE_EVENTS}},
    {"parentProcessTarget",
     {"tabNavigated", "frameUpdate", "workerListChanged", "contentScrolled", JANUS_RDP_RESOURCE_EVENTS}},
    {"contentProcessTarget", {"workerListChanged", JANUS_RDP_RESOURCE_EVENTS}},
    {"contentScriptTarget", {JANUS_RDP_RESOURCE_EVENTS}},
    {"workerTarget", {JANUS_RDP_RESOURCE_EVENTS}},
    {"tabDescriptor", {"descriptor-destroyed"}},
    {"processDescriptor", {"descriptor-destroyed"}},
    {"workerDescriptor", {"descriptor-destroyed"}},
    {"webExtensionDescriptor", {"descriptor-destroyed"}},
    {"console",
     {"evaluationResult", "fileActivity", "pageError", "logMessage", "consoleAPICall", "reflowActivity",
      "networkEvent", "inspectObject", "documentEvent"}},
    {"domwalker",
     {"newMutations", "root-available", "root-destroyed", "pickerNodePicked", "pickerNodePreviewed",
      "pickerNodeHovered", "pickerNodeCanceled", "display-change", "scrollable-change", "overflow-change",
      "container-type-change", "anchor-name-change", "resize"}},
    {"inspector", {"colorPicked", "colorPickCanceled"}},
    {"pagestyle", {"styleSheetUpdated"}},
    {"domstylerule", {"locationChanged", "ruleUpdated"}},
    {"netEvent", {"networkEventUpdate"}},
    {"thread", {"paused", "resumed", "newSource"}},
    {"memory", {"garbage-collection", "allocations"}},
    {"perf", {"profiler-started", "profiler-stopped"}},
    {"reflow", {"reflows"}},
    {"animations", {"mutations"}},
    {"animationplayer", {"changed"}},
    {"accessibility", {"init", "shutdown"}},
    {"parentaccessibility", {"canBeDisabledChange", "canBeEnabledChange"}},
    {"accessible",
     {"actionsChange", "nameChange", "valueChange", "descriptionChange", "statesChange", "attributesChange",
      "shortcutChange", "reorder", "textChange", "indexInParentChange", "audited"}},
    {"accessiblewalker",
     {"documentReady", "pickerAccessiblePicked", "pickerAccessiblePreviewed", "pickerAccessibleHovered",
      "pickerAccessibleCanceled", "highlighter-event", "audit-event"}},
    {"customhighlighter", {"highlighter-event"}},
    {"cookies", {"storesUpdate", "storesCleared"}},
    {"localStorage", {"storesUpdate", "storesCleared"}},
    {"sessionStorage", {"storesUpdate", "storesCleared"}},
    {"extensionStorage", {"storesUpdate", "storesCleared"}},
    {"indexedDB", {"storesUpdate", "storesCleared"}},
    {"Cache", {"storesUpdate", "storesCleared"}},
    {"serviceWorkerRegistration", {"push-subscription-modified", "registration-changed"}},
};

#undef JANUS_RDP_RESOURCE_EVENTS

// Target-scoped actors are registered as `<prefix>Actor` (devtools/server/actors/utils/
// actor-registry.js), so their ids do not start with their typeName.
const std::pair<std::string_view, std::string_view> firefox_aliases[] = {
    {"consoleActor", "console"},
    {"inspectorActor", "inspector"},
    {"memoryActor", "memory"},
    {"reflowActor", "reflow"},
    {"animationsActor", "animations"},
    {"accessibilityActor", "accessibility"},
    {"parentAccessibilityActor", "parentaccessibility"},
    {"perfActor", "perf"},
    {"walker", "domwalker"},
    {"target", "windowGlobalTarget"},
    {"tab", "tabDescriptor"},
};

// Replies whose response template in the same specs has a top-level `type` member: without these,
// such a reply would be taken for an undeclared event (see rdp_event_registry::is_typed_reply).
const actor_events firefox_typed_replies[] = {
    {"memory", {"attached", "detached"}},
};

rdp_event_registry make_firefox_registry() {
  rdp_event_registry r;
  for (const actor_events& a : firefox_events)
    for (std::string_view e : a.events) r.add(a.type, e);
  for (const actor_events& a : firefox_typed_replies)
    for (std::string_view t : a.events) r.add_typed_reply(a.type, t);
  for (const auto& [alias, type] : firefox_aliases) r.add_alias(alias, type);
  return r;
}

}  // namespace

const rdp_event_registry& rdp_event_registry::firefox() {
  static const rdp_event_registry registry = make_firefox_registry();
  return registry;
}

void rdp_event_registry::add(std::string_view actor_type, std::string_view event_type) {
  auto it = events_.find(actor_type);
  if (it == events_.end()) it = events_.emplace(std::string(actor_type), std::set<std::string, std::less<>>{}).first;
  it->second.emplace(event_type);
}

void rdp_event_registry::add_typed_reply(std::string_view actor_type, std::string_view reply_type) {
  auto it = typed_replies_.find(actor_type);
  if (it == typed_replies_.end())
    it = typed_replies_.emplace(std::string(actor_type), std::set<std::string, std::less<>>{}).first;
  it->second.emplace(reply_type);
}

bool rdp_event_registry::is_typed_reply(std::string_view actor_type, std::string_view packet_type) const {
  if (packet_type.empty()) return false;
  const auto it = typed_replies_.find(canonical(actor_type));
  return it != typed_replies_.end() && it->second.contains(packet_type);
}

void rdp_event_registry::add_alias(std::string_view alias, std::string_view actor_type) {
  aliases_.insert_or_assign(std::string(alias), std::string(actor_type));
}

std::string_view rdp_event_registry::canonical(std::string_view actor_type) const {
  const auto it = aliases_.find(actor_type);
  return it == aliases_.end() ? actor_type : std::string_view(it->second);
}

bool rdp_event_registry::is_event(std::string_view actor_type, std::string_view packet_type) const {
  if (packet_type.empty()) return false;
  const auto it = events_.find(canonical(actor_type));
  return it != events_.end() && it->second.contains(packet_type);
}

bool rdp_event_registry::has_events(std::string_view actor_type) const {
  return events_.find(canonical(actor_type)) != events_.end();
}

bool is_event(std::string_view actor_type, std::string_view packet_type) {
  return rdp_event_registry::firefox().is_event(actor_type, packet_type);
}

std::string_view rdp_actor_type_from_id(std::string_view actor_id) noexcept {
  const std::size_t sep = actor_id.find_last_of("/.");
  std::string_view stem = sep == std::string_view::npos ? actor_id : actor_id.substr(sep + 1);
  while (!stem.empty() && stem.back() >= '0' && stem.back() <= '9') stem.remove_suffix(1);
  return stem;
}

}  // namespace janus::protocol
