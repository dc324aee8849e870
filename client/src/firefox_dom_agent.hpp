// The page-side half of the Firefox DOM mirror (firefox_dom.cpp): the JavaScript it installs in
// the page, and what it answers (described at the top of firefox_dom_agent.cpp).
#pragma once

namespace janus::client::detail {

/// The statements of an async function (for firefox_run_function): installs the agent in the
/// current document, replacing an earlier one, and returns its snapshot of the whole document.
extern const char* const firefox_dom_agent_source;

}  // namespace janus::client::detail
