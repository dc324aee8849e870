// The frame-loop job for code that cannot use coroutines: each step is started with
// rt::start_then and continues in its callback; the last one is awaited as a std::future.
// Janus runs on one worker thread here, so the callbacks run there and must not block (closing
// the browser, which waits for it to exit, is left to main()).
#include <janus/client/browser.hpp>
#include <janus/domains/console.hpp>
#include <janus/domains/runtime.hpp>
#include <janus/rt.hpp>
#include <janus/rt/callbacks.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>

using namespace janus;
using namespace std::chrono_literals;

namespace {

/// Carries the browser and page from one callback to the next, and the outcome to main().
struct job {
  rt::scheduler& sched;
  std::promise<std::string> outcome;
  client::browser browser;
  client::page page;
};

void fail(const std::shared_ptr<job>& j, const std::string& step, const rt::error& e) {
  j->outcome.set_value("error: " + step + ": " + e.message);
}

void evaluate(std::shared_ptr<job> j) {
  rt::start_then(j->sched, j->page.runtime().evaluate_value("document.title + ' ' + (6 * 7)"),
                 [j](rt::result<protocol::json_value> v) {
                   if (!v) return fail(j, "evaluate", v.err());
                   j->outcome.set_value(v->is_string() ? v->as_string() : v->dump());
                 });
}

void navigate(std::shared_ptr<job> j) {
  rt::start_then(j->sched, j->page.navigate("data:text/html,<title>callbacks</title>"),
                 [j](rt::result<client::navigation> n) {
                   if (!n) return fail(j, "navigate", n.err());
                   evaluate(j);
                 });
}

void open_page(std::shared_ptr<job> j) {
  rt::start_then(j->sched, j->browser.new_page(), [j](rt::result<client::page> p) {
    if (!p) return fail(j, "new_page", p.err());
    j->page = std::move(*p);
    navigate(j);
  });
}

}  // namespace

int main() {
  rt::scheduler_options options;
  options.workers = 1;
  rt::scheduler sched(options);
  auto j = std::make_shared<job>(job{sched, {}, {}, {}});
  std::future<std::string> outcome = j->outcome.get_future();
  rt::start_then(sched, client::browser::launch(sched), [j](rt::result<client::browser> b) {
    if (!b) return fail(j, "launch", b.err());
    j->browser = std::move(*b);
    open_page(j);
  });
  // A future-style wait with a deadline, as a synchronous caller would write it.
  if (outcome.wait_for(60s) != std::future_status::ready) {
    std::printf("callbacks: no outcome within 60 s\n");
    return 1;
  }
  const std::string result = outcome.get();
  // Closing waits for the browser to exit: done here, not in a callback, which must not block.
  if (j->browser) j->browser.close();
  std::printf("callbacks: %s\n", result.c_str());
  return result == "callbacks 42" ? 0 : 1;
}
