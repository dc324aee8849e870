// The CDP side of `css` (css.hpp): the actor keeping the style sheet registry from CSS events,
// and the backend a handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/css.hpp>

#include <map>
#include <optional>
#include <variant>

namespace janus::domains {

class css_actor : public detail::domain_actor<css_actor> {
 public:
  using domain_actor::handle;
  struct get_sheets {};
  struct get_text {
    std::string id;
    rt::deadline until;
  };
  struct get_stats {};
  using message = std::variant<pump, enable, get_sheets, get_text, get_stats>;
  static constexpr std::size_t mailbox_capacity = 256;

  css_actor(rt::scheduler* sched, session::cdp_session session, css_options options);

  rt::task<void> handle(pump p);
  std::vector<style_sheet> handle(get_sheets) const;
  rt::task<rt::result<std::string>> handle(get_text g);
  css_stats handle(get_stats) const;

  /// The domain's enable commands (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  struct entry {
    style_sheet sheet;
    std::optional<std::string> text;
  };

  css_options options_;
  std::map<std::string, entry> sheets_;
  css_stats stats_;
  const rt::subscription<session::cdp_event>* sub_ = nullptr;
};

/// `css` over CDP: each call an ask of the actor or a command on the session.
class cdp_css_backend final : public detail::cdp_backend<css_backend, css_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<std::string>> text(std::string sheet_id, rt::deadline d) override;
  rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed(node_ref node, rt::deadline d) override;
  rt::task<rt::result<std::vector<matched_rule>>> matched(node_ref node, rt::deadline d) override;
  rt::task<rt::result<void>> enable(rt::deadline d) override;
  rt::task<rt::result<std::vector<style_sheet>>> sheets(rt::deadline d) override;
  rt::task<rt::result<css_stats>> stats(rt::deadline d) override;
};

}  // namespace janus::domains
