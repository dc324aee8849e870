// `janus eval`, `janus dom` and `janus screenshot`: one page, one answer.
#include "browser_choice.hpp"
#include "cli_args.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

#include <janus/domains/dom.hpp>
#include <janus/domains/runtime.hpp>
#include <janus/rt.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace janus::cli {
namespace {

using namespace std::chrono_literals;

/// Parses the common part; returns the exit code to stop with, or -1 to go on.
int parse_page_command(const char* name, const char* usage, int argc, char** argv, arg_spec spec,
                       std::optional<parsed_args>& args, std::optional<browser_choice>& choice) {
  add_browser_options(spec);
  std::string error;
  args = parsed_args::parse(argc, argv, 2, spec, error);
  if (args && args->flag("--help")) {
    std::printf("%s%s", usage, browser_options_help);
    return exit_ok;
  }
  if (!args) return report_error(name, error + " (see janus " + name + " --help)", exit_usage);
  if (std::string why = url_problem(args->positional()[0]); !why.empty()) return report_error(name, why, exit_usage);
  choice = read_browser_choice(*args, error);
  if (!choice) return report_error(name, error, exit_usage);
  return -1;
}

/// Why `file` cannot be written, or "" when it looks writable: its directory must exist and be
/// one, and the file must not be a directory (as root, access() grants everything else).
std::string unwritable(const std::string& file) {
  const auto slash = file.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : file.substr(0, slash));
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
  if (::access(dir.c_str(), W_OK) != 0) return std::strerror(errno);
  if (::stat(file.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return "it is a directory";
    if (::access(file.c_str(), W_OK) != 0) return std::strerror(errno);
  }
  return {};
}

rt::scheduler_options one_worker() {
  rt::scheduler_options so;
  so.workers = 1;
  return so;
}

// Each job's steps get the command's one deadline (see browser_choice.hpp); the browser is closed
// by open_page when loading fails, and by the command's budget_watch otherwise.
rt::task<rt::result<protocol::json_value>> eval_job(rt::scheduler& sched, budget_watch& watch, browser_choice choice,
                                                    std::string url, std::string expr) {
  auto opened = co_await open_page(sched, watch, choice, std::move(url));
  if (!opened) co_return std::move(opened).err();
  co_return co_await opened->page.runtime().evaluate_value(std::move(expr), choice.deadline);
}

rt::task<rt::result<std::string>> dom_job(rt::scheduler& sched, budget_watch& watch, browser_choice choice,
                                          std::string url, std::string selector, std::chrono::milliseconds after) {
  auto opened = co_await open_page(sched, watch, choice, std::move(url));
  if (!opened) co_return std::move(opened).err();
  const domains::dom dom = opened->page.dom();
  const rt::deadline d = choice.deadline;
  // The mirror is built before the page runs on, so what is printed is what it kept in sync.
  if (auto e = co_await dom.enable(d); !e) co_return std::move(e).err();
  if (after.count() > 0) {
    // Not a sleep: a browser that dies meanwhile ends the wait at once (errc::browser_exited),
    // rather than leaving the command to print the mirror of a dead page.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(d.at() - rt::clock::now());
    const std::chrono::milliseconds run_for = std::max(std::min(after, left), std::chrono::milliseconds(0));
    if (auto waited = co_await opened->page.wait_for(run_for); !waited) co_return std::move(waited).err();
  }
  // Firefox's walker reports mutations in batches every 100 ms: quiet for longer means caught up.
  if (auto s = co_await dom.settle(300ms, d); !s) co_return std::move(s).err();
  if (selector.empty()) co_return co_await dom.html(d);
  auto n = co_await dom.query_selector(selector, std::nullopt, d);
  if (!n) co_return std::move(n).err();
  if (!*n) co_return rt::error{rt::errc::not_found, "no element matches '" + selector + "'"};
  co_return co_await dom.outer_html(**n, d);
}

rt::task<rt::result<std::vector<std::uint8_t>>> screenshot_job(rt::scheduler& sched, budget_watch& watch,
                                                               browser_choice choice, std::string url,
                                                               client::screenshot_options so) {
  auto opened = co_await open_page(sched, watch, choice, std::move(url));
  if (!opened) co_return std::move(opened).err();
  co_return co_await opened->page.screenshot(std::move(so), choice.deadline);
}

}  // namespace

int eval_command(int argc, char** argv) {
  arg_spec spec;
  spec.min_positional = spec.max_positional = 2;
  std::optional<parsed_args> args;
  std::optional<browser_choice> choice;
  const char* usage =
      "usage: janus eval URL EXPR [--browser B] [--connect URL] [--wait W] [--timeout MS]\n"
      "\n"
      "Loads URL and prints the value of the JavaScript expression EXPR as JSON (promises are\n"
      "awaited). A JavaScript exception prints its message on stderr and exits with 1.\n\n";
  if (int rc = parse_page_command("eval", usage, argc, argv, spec, args, choice); rc >= 0) return rc;
  rt::scheduler sched(one_worker());
  budget_watch watch(choice->deadline);
  auto v = sched.block_on(eval_job(sched, watch, *choice, args->positional()[0], args->positional()[1]));
  watch.finish();
  if (!v) return report_error("eval", over_budget(v.err(), *choice), choice->browser);
  std::printf("%s\n", v->dump().c_str());
  return exit_ok;
}

int dom_command(int argc, char** argv) {
  arg_spec spec;
  spec.min_positional = spec.max_positional = 1;
  spec.valued = {"--selector", "--after"};
  std::optional<parsed_args> args;
  std::optional<browser_choice> choice;
  const char* usage =
      "usage: janus dom URL [--selector S] [--after MS] [--browser B] [--connect URL] [--wait W]\n"
      "                 [--timeout MS]\n"
      "\n"
      "Loads URL, lets it run for MS milliseconds (default 0), and prints Janus's DOM mirror as\n"
      "HTML: what the mirror kept in sync from DOM events, not a fresh fetch. With --selector, the\n"
      "first matching element's outer HTML. Firefox's mirror comes from its inspector walker, which\n"
      "hides whitespace-only text nodes that take no room on the page.\n\n"
      "  --selector S     a CSS selector\n"
      "  --after MS       how long the page runs after loading before the mirror is printed (part\n"
      "                   of the --timeout budget)\n";
  if (int rc = parse_page_command("dom", usage, argc, argv, spec, args, choice); rc >= 0) return rc;
  std::string error;
  auto after = args->number("--after", 0, error);
  if (!after) return report_error("dom", error, exit_usage);
  // Part of the budget: an --after the budget cannot hold is known to fail before anything starts.
  if (*after >= static_cast<unsigned long long>(choice->timeout.count()))
    return report_error("dom",
                        "--after " + std::to_string(*after) + " ms does not fit in --timeout " +
                            std::to_string(choice->timeout.count()) + " ms, the whole command's budget",
                        exit_usage);
  rt::scheduler sched(one_worker());
  budget_watch watch(choice->deadline);
  auto html = sched.block_on(dom_job(sched, watch, *choice, args->positional()[0],
                                     args->value_or("--selector", ""), std::chrono::milliseconds(*after)));
  watch.finish();
  if (!html) return report_error("dom", over_budget(html.err(), *choice), choice->browser);
  std::printf("%s\n", html->c_str());
  return exit_ok;
}

int screenshot_command(int argc, char** argv) {
  arg_spec spec;
  spec.min_positional = spec.max_positional = 2;
  spec.valued = {"--selector"};
  spec.flags = {"--full-page"};
  std::optional<parsed_args> args;
  std::optional<browser_choice> choice;
  const char* usage =
      "usage: janus screenshot URL FILE.png [--full-page] [--selector S] [--browser B] [--connect URL]\n"
      "                        [--wait W] [--timeout MS]\n"
      "\n"
      "Loads URL and writes a PNG of the viewport, the whole page (--full-page) or one element\n"
      "(--selector S).\n\n";
  if (int rc = parse_page_command("screenshot", usage, argc, argv, spec, args, choice); rc >= 0) return rc;
  client::screenshot_options so;
  so.full_page = args->flag("--full-page");
  so.selector = args->value_or("--selector", "");
  const std::string& file = args->positional()[1];
  // Checked before a browser is started for nothing; the write itself is checked again below.
  if (std::string why = unwritable(file); !why.empty())
    return report_error("screenshot", "cannot write " + file + ": " + why, exit_usage);
  rt::scheduler sched(one_worker());
  budget_watch watch(choice->deadline);
  auto png = sched.block_on(screenshot_job(sched, watch, *choice, args->positional()[0], std::move(so)));
  watch.finish();
  if (!png) return report_error("screenshot", over_budget(png.err(), *choice), choice->browser);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
  out.close();
  if (!out) return report_error("screenshot", "cannot write " + file, exit_failed);
  return exit_ok;
}

}  // namespace janus::cli
