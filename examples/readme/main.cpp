// The README's twenty-line example, built and run by the test suite so that it stays true.
#include <janus/client/browser.hpp>
#include <janus/rt.hpp>
#include <cstdio>
using namespace janus;

rt::task<int> run(rt::scheduler& s) {
  client::launch_options options;                                  // headless, pipe, fresh profile
  auto browser = co_await client::browser::launch(s, options);
  if (!browser) co_return std::fprintf(stderr, "%s\n", browser.err().message.c_str()), 1;
  auto page = co_await browser->new_page();                           // about:blank, 30 s
  if (!page) co_return 1;
  auto console = co_await page->console().subscribe();             // a live stream of entries
  auto loaded = co_await page->navigate("data:text/html,<title>hi</title><script>console.log('hello')</script>",
                                        client::wait_until::network_idle);
  auto answer = co_await page->evaluate("document.title + ' ' + 6 * 7");   // a JSON value, or an error
  auto first = co_await console->next(std::chrono::seconds(5));
  auto requests = co_await page->network().requests();             // the Network actor's table
  std::printf("%s | console: %s | %zu request(s)\n", answer ? answer->dump().c_str() : answer.err().message.c_str(),
              first ? first->text.c_str() : "-", requests ? requests->size() : 0);
  browser->close();
  co_return loaded && answer && first ? 0 : 1;
}

int main() {
  rt::scheduler s({.workers = 1, .spin = std::chrono::microseconds(50), .name = "janus"});
  return s.block_on(run(s));
}
