// End-to-end benchmark against the mock browser (issue 3, benchmarks 2 and 3): every figure is the
// median of several runs, printed beside a bare loop measured in the same process run against the
// same mock.
//
//   pipelined requests/s  W requests in flight, `{"n":i}` params echoed back     WebSocket, pipe
//   sequential round trips/s  one request at a time                               WebSocket, pipe
//   events/s  a Mock.emitEvents burst through the dispatcher to one subscriber   WebSocket, pipe
//
// The mock runs in this process, on its own asio::io_context thread. Janus runs on an
// rt::scheduler with 1 and with 2 workers (plus the scheduler's I/O thread); the figure reported
// against the goal is the better of those two. As an experiment it also runs in poll mode
// (workers = 0: the main thread drives the scheduler, I/O and coroutines on one thread, as the bare
// loops do), which shows what the thread hops between the I/O thread and the workers cost. The bare loops
// (bare_baseline.cpp) run on the main thread: a websocketpp client + simdjson on-demand reading
// each reply's id, and poll + read/write of NUL-framed JSON on the same kind of pipes.
//
// Runs of Janus and of the bare loops alternate, so load from elsewhere falls on both alike. Every
// wait has a deadline; a run that fails is reported and left out of the medians.
//
// Usage: janus-protocol-bench [--runs N] [--requests N] [--window W] [--sequential N]
//                             [--events N] [--payload B] [--workers 0|1|2|both|all]
//                             (0: poll mode, the main thread drives the scheduler through block_on)
//                             [--spin-us US]  idle workers' spin before parking (default: the scheduler's)
//                             [--diag]        CPU time and context switches per operation, on stderr
#include "bare_baseline.hpp"

#include "janus/testing/mock_browser.hpp"

#include <janus/session/cdp_connection.hpp>
#include <janus/rt.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

using namespace janus;
using namespace janus::session;
using namespace std::chrono_literals;
using bench_clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "janus-protocol-bench: %s\n", what.c_str());
  std::fflush(stdout);
  std::_Exit(2);  // no hang in teardown after a failure: threads may still hold state
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct options {
  int runs = 5;
  std::uint64_t requests = 100000;
  unsigned window = 256;
  std::uint64_t sequential = 20000;
  std::uint64_t events = 200000;
  unsigned payload = 100;
  std::vector<unsigned> workers{0, 1, 2};
  long spin_us = -1;  // -1: the scheduler's default
};

const std::string event_method = "Bench.event";

// --diag: CPU time and context switches of the whole process (Janus or bare loop, plus the mock)
// per operation, printed to stderr after each measurement.
bool g_diag = false;

std::string worker_label_text;
const char* worker_label(const char* what, const rt::scheduler& s) {
  worker_label_text = std::string(what) + ", " + std::to_string(s.worker_count()) + " worker" + (s.worker_count() == 1 ? "" : "s");
  return worker_label_text.c_str();
}

class usage_probe {
 public:
  usage_probe() { ::getrusage(RUSAGE_SELF, &start_); }
  void report(const char* what, const char* transport, std::uint64_t ops) const {
    if (!g_diag) return;
    rusage end{};
    ::getrusage(RUSAGE_SELF, &end);
    auto us = [](const timeval& a, const timeval& b) { return (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_usec - a.tv_usec); };
    const double user = us(start_.ru_utime, end.ru_utime), sys = us(start_.ru_stime, end.ru_stime);
    const double vcsw = static_cast<double>(end.ru_nvcsw - start_.ru_nvcsw);
    const double icsw = static_cast<double>(end.ru_nivcsw - start_.ru_nivcsw);
    const double n = static_cast<double>(ops);
    std::fprintf(stderr, "  diag %-28s %-9s cpu/op %.2f us (user %.2f, sys %.2f)  csw/op voluntary %.3f involuntary %.3f\n",
                 what, transport, (user + sys) / n, user / n, sys / n, vcsw / n, icsw / n);
  }

 private:
  rusage start_{};
};

// ---- the mock, on its own thread -----------------------------------------------------------------

class mock_host {
 public:
  mock_host() : guard_(asio::make_work_guard(io_)) {
    auto m = testing::mock_browser::start(io_);
    if (!m) die("mock_browser::start: " + m.err().message);
    mock_ = std::move(*m);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~mock_host() {
    mock_->stop();
    std::this_thread::sleep_for(50ms);  // let stop() take effect on the io thread
    mock_.reset();
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  testing::mock_browser& mock() { return *mock_; }

  /// A pipe client of the mock: {read_fd, write_fd} for the client side.
  std::pair<int, int> pipe_client() {
    int commands[2], output[2];
    if (::pipe2(commands, O_CLOEXEC) != 0 || ::pipe2(output, O_CLOEXEC) != 0) die("pipe2 failed");
    if (auto served = mock_->serve_pipe(commands[0], output[1]); !served) die("serve_pipe: " + served.err().message);
    return {output[0], commands[1]};
  }

 private:
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::unique_ptr<testing::mock_browser> mock_;
  std::thread thread_;
};

// ---- Janus ---------------------------------------------------------------------------------------

enum class transport_kind { websocket, pipe };
const char* name_of(transport_kind k) { return k == transport_kind::websocket ? "WebSocket" : "pipe"; }

cdp_connection open_janus(rt::scheduler& s, mock_host& host, transport_kind kind) {
  if (kind == transport_kind::websocket) {
    auto c = s.block_on(cdp_connection::connect(s, host.mock().browser_ws_url()));
    if (!c) die("connect: " + c.err().message);
    return std::move(*c);
  }
  auto [read_fd, write_fd] = host.pipe_client();
  auto c = cdp_connection::open_pipe(s, read_fd, write_fd);
  if (!c) die("open_pipe: " + c.err().message);
  return std::move(*c);
}

struct pipelined_state {
  std::uint64_t total = 0;
  std::atomic<std::uint64_t> next{1};
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<unsigned> live{0};
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bench_clock::time_point t1{};
  std::string first_error;
};

rt::task<void> pipelined_worker(cdp_session session, std::shared_ptr<pipelined_state> st) {
  std::string params;
  for (;;) {
    const std::uint64_t i = st->next.fetch_add(1, std::memory_order_relaxed);
    if (i > st->total) break;
    params = "{\"n\":" + std::to_string(i) + "}";
    call_options call_opts{.deadline = rt::deadline(30s), .cancel = {}};
    rt::result<protocol::cdp_owned_message> r = co_await session.call("Bench.echo", params, std::move(call_opts));
    if (r && r->payload() == params) {
      st->ok.fetch_add(1, std::memory_order_relaxed);
    } else {
      if (st->failed.fetch_add(1) == 0) {
        std::lock_guard lk(st->mu);
        st->first_error = r ? "reply payload differs from params: " + std::string(r->payload()) : r.err().message;
      }
      break;
    }
  }
  if (st->live.fetch_sub(1) == 1) {
    std::lock_guard lk(st->mu);
    st->t1 = bench_clock::now();
    st->done = true;
    st->cv.notify_all();
  }
}

/// Requests/s with `window` requests in flight; nullopt if the run failed.
std::optional<double> janus_pipelined(rt::scheduler& s, mock_host& host, transport_kind kind, const options& o) {
  cdp_connection conn = open_janus(s, host, kind);
  auto st = std::make_shared<pipelined_state>();
  st->total = o.requests;
  st->live = o.window;
  const usage_probe probe;
  const auto t0 = bench_clock::now();
  for (unsigned w = 0; w < o.window; ++w) s.spawn(pipelined_worker(conn.browser(), st));
  if (s.poll_mode()) {
    // workers = 0: nothing runs unless this thread drives the scheduler.
    s.block_on([](rt::scheduler& sched, std::shared_ptr<pipelined_state> st) -> rt::task<void> {
      const auto until = bench_clock::now() + 120s;
      for (;;) {
        {
          std::lock_guard lk(st->mu);
          if (st->done) break;
        }
        if (bench_clock::now() >= until) break;
        co_await rt::sleep_for(sched, 200us);
      }
    }(s, st));
  }
  std::unique_lock lk(st->mu);
  if (!st->cv.wait_for(lk, 120s, [&] { return st->done; })) {
    lk.unlock();
    conn.close();  // fails whatever is pending, so every worker ends
    lk.lock();
    if (s.poll_mode()) {
      lk.unlock();
      s.block_on([](rt::scheduler& sched) -> rt::task<void> { co_await rt::sleep_for(sched, 1s); }(s));
      lk.lock();
    }
    if (!st->cv.wait_for(lk, 10s, [&] { return st->done; })) die("pipelined workers did not end after close()");
    std::fprintf(stderr, "  janus pipelined (%s): timed out\n", name_of(kind));
    return std::nullopt;
  }
  const double secs = std::chrono::duration<double>(st->t1 - t0).count();
  probe.report(worker_label("janus pipelined", s), name_of(kind), o.requests);
  const connection_stats stats = conn.stats();
  lk.unlock();
  conn.close();
  if (st->failed.load() != 0 || st->ok.load() != o.requests) {
    std::fprintf(stderr, "  janus pipelined (%s): %llu failed: %s\n", name_of(kind),
                 static_cast<unsigned long long>(st->failed.load()), st->first_error.c_str());
    return std::nullopt;
  }
  if (stats.commands_parked != 0)
    std::fprintf(stderr, "  note: %llu commands parked (transport queue full)\n",
                 static_cast<unsigned long long>(stats.commands_parked));
  return static_cast<double>(o.requests) / secs;
}

rt::task<std::uint64_t> sequential_loop(cdp_session session, std::uint64_t n, std::string* error) {
  std::string params;
  std::uint64_t ok = 0;
  for (std::uint64_t i = 1; i <= n; ++i) {
    params = "{\"n\":" + std::to_string(i) + "}";
    call_options call_opts{.deadline = rt::deadline(10s), .cancel = {}};
    rt::result<protocol::cdp_owned_message> r = co_await session.call("Bench.echo", params, std::move(call_opts));
    if (!r || r->payload() != params) {
      *error = r ? "reply payload differs from params" : r.err().message;
      break;
    }
    ++ok;
  }
  co_return ok;
}

std::optional<double> janus_sequential(rt::scheduler& s, mock_host& host, transport_kind kind, const options& o) {
  cdp_connection conn = open_janus(s, host, kind);
  std::string error;
  const usage_probe probe;
  const auto t0 = bench_clock::now();
  const std::uint64_t ok = s.block_on(sequential_loop(conn.browser(), o.sequential, &error));
  probe.report(worker_label("janus sequential", s), name_of(kind), o.sequential);
  const double secs = std::chrono::duration<double>(bench_clock::now() - t0).count();
  conn.close();
  if (ok != o.sequential) {
    std::fprintf(stderr, "  janus sequential (%s): failed after %llu: %s\n", name_of(kind),
                 static_cast<unsigned long long>(ok), error.c_str());
    return std::nullopt;
  }
  return static_cast<double>(o.sequential) / secs;
}

// 0: pending, 1: replied as expected, 2: failed.
rt::task<void> emit_events(cdp_session session, std::string params, std::shared_ptr<std::atomic<int>> state) {
  call_options call_opts{.deadline = rt::deadline(120s), .cancel = {}};
  rt::result<protocol::cdp_owned_message> r = co_await session.call("Mock.emitEvents", params, std::move(call_opts));
  state->store(r ? 1 : 2);
}

struct events_outcome {
  std::uint64_t received = 0;
  double seconds = 0;
  std::string error;
};

rt::task<events_outcome> events_run(rt::scheduler& s, cdp_connection conn, std::uint64_t count, unsigned payload) {
  events_outcome out;
  subscription_spec spec;
  spec.method = event_method;
  spec.capacity = 4096;
  spec.policy = rt::overflow::block;
  rt::result<rt::subscription<cdp_event>> sub = co_await conn.subscribe(std::move(spec));
  if (!sub) {
    out.error = "subscribe: " + sub.err().message;
    co_return out;
  }
  const std::string params = "{\"count\":" + std::to_string(count) + ",\"method\":\"" + event_method +
                             "\",\"payloadBytes\":" + std::to_string(payload) + "}";
  auto state = std::make_shared<std::atomic<int>>(0);
  const auto t0 = bench_clock::now();
  s.spawn(emit_events(conn.browser(), params, state));
  while (out.received < count) {
    rt::result<cdp_event> ev = co_await sub->next(rt::deadline(10s));
    if (!ev) {
      out.error = "next: " + ev.err().message;
      co_return out;
    }
    if (ev->method().empty()) {
      out.error = "an event without a method";
      co_return out;
    }
    ++out.received;
  }
  out.seconds = std::chrono::duration<double>(bench_clock::now() - t0).count();
  for (int i = 0; i < 10000 && state->load() == 0; ++i) co_await rt::sleep_for(s, 1ms);
  if (state->load() != 1) out.error = "Mock.emitEvents did not reply";
  co_return out;
}

std::optional<double> janus_events(rt::scheduler& s, mock_host& host, transport_kind kind, const options& o) {
  cdp_connection conn = open_janus(s, host, kind);
  const usage_probe probe;
  const events_outcome r = s.block_on(events_run(s, conn, o.events, o.payload));
  probe.report(worker_label("janus events", s), name_of(kind), o.events);
  const connection_stats stats = conn.stats();
  conn.close();  // also ends the emit task if it is still waiting
  if (!r.error.empty()) {
    std::fprintf(stderr, "  janus events (%s): %s after %llu events\n", name_of(kind), r.error.c_str(),
                 static_cast<unsigned long long>(r.received));
    return std::nullopt;
  }
  (void)stats;
  return static_cast<double>(o.events) / r.seconds;
}

// ---- bare loops ----------------------------------------------------------------------------------

std::optional<double> per_second(const bench::bare_result& r, std::uint64_t n, const char* what, transport_kind kind) {
  if (!r.ok) {
    std::fprintf(stderr, "  bare %s (%s): %s\n", what, name_of(kind), r.error.c_str());
    return std::nullopt;
  }
  return static_cast<double>(n) / r.seconds;
}

std::optional<double> bare_requests(mock_host& host, transport_kind kind, std::uint64_t total, unsigned window) {
  const char* what = window > 1 ? "pipelined" : "sequential";
  const usage_probe probe;
  if (kind == transport_kind::websocket) {
    auto r = per_second(bench::bare_ws_requests(host.mock().browser_ws_url(), total, window, 120s), total, what, kind);
    probe.report(window > 1 ? "bare pipelined" : "bare sequential", name_of(kind), total);
    return r;
  }
  auto [read_fd, write_fd] = host.pipe_client();
  const bench::bare_result r = bench::bare_pipe_requests(read_fd, write_fd, total, window, 120s);
  probe.report(window > 1 ? "bare pipelined" : "bare sequential", name_of(kind), total);
  ::close(read_fd);
  ::close(write_fd);
  return per_second(r, total, what, kind);
}

std::optional<double> bare_events(mock_host& host, transport_kind kind, const options& o) {
  const usage_probe probe;
  if (kind == transport_kind::websocket) {
    auto r = per_second(bench::bare_ws_events(host.mock().browser_ws_url(), o.events, o.payload, event_method, 120s),
                        o.events, "events", kind);
    probe.report("bare events", name_of(kind), o.events);
    return r;
  }
  auto [read_fd, write_fd] = host.pipe_client();
  const bench::bare_result r = bench::bare_pipe_events(read_fd, write_fd, o.events, o.payload, event_method, 120s);
  probe.report("bare events", name_of(kind), o.events);
  ::close(read_fd);
  ::close(write_fd);
  return per_second(r, o.events, "events", kind);
}

// ---- the table -----------------------------------------------------------------------------------

struct row {
  std::string measurement;
  transport_kind kind;
  std::vector<std::vector<double>> janus;  // per worker setting
  std::vector<double> bare;
};

void add(std::vector<double>& v, std::optional<double> x) {
  if (x) v.push_back(*x);
}

unsigned parse_unsigned(const char* s) { return static_cast<unsigned>(std::strtoul(s, nullptr, 10)); }

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--runs" && has_value) o.runs = std::max(1, static_cast<int>(parse_unsigned(argv[++i])));
    else if (a == "--requests" && has_value) o.requests = std::max(1u, parse_unsigned(argv[++i]));
    else if (a == "--window" && has_value) o.window = std::max(1u, parse_unsigned(argv[++i]));
    else if (a == "--sequential" && has_value) o.sequential = std::max(1u, parse_unsigned(argv[++i]));
    else if (a == "--events" && has_value) o.events = std::max(1u, parse_unsigned(argv[++i]));
    else if (a == "--payload" && has_value) o.payload = parse_unsigned(argv[++i]);
    else if (a == "--diag") g_diag = true;
    else if (a == "--spin-us" && has_value) o.spin_us = static_cast<long>(parse_unsigned(argv[++i]));
    else if (a == "--workers" && has_value) {
      const std::string w = argv[++i];
      o.workers = w == "both" ? std::vector<unsigned>{1, 2}
                  : w == "all" ? std::vector<unsigned>{0, 1, 2}
                               : std::vector<unsigned>{parse_unsigned(w.c_str())};
    } else {
      std::fprintf(stderr,
                   "usage: %s [--runs N] [--requests N] [--window W] [--sequential N] [--events N] [--payload B] "
                   "[--workers 0|1|2|both|all] [--spin-us US] [--diag]\n",
                   argv[0]);
      return 2;
    }
  }

  mock_host host;
  const transport_kind kinds[] = {transport_kind::websocket, transport_kind::pipe};
  std::vector<row> rows;
  for (transport_kind k : kinds) {
    rows.push_back({"pipelined requests/s (W=" + std::to_string(o.window) + ")", k, {}, {}});
    rows.push_back({"sequential round trips/s", k, {}, {}});
    rows.push_back({"events/s (" + std::to_string(o.payload) + " B payload)", k, {}, {}});
  }
  for (row& r : rows) r.janus.resize(o.workers.size());

  // One scheduler per worker setting for the whole process run; runs alternate between them and
  // the bare loops.
  std::vector<std::unique_ptr<rt::scheduler>> scheds;
  for (unsigned w : o.workers) {
    rt::scheduler_options so{.workers = w};
    if (o.spin_us >= 0) so.spin = std::chrono::microseconds(o.spin_us);
    scheds.push_back(std::make_unique<rt::scheduler>(so));
  }

  for (int run = 0; run < o.runs; ++run) {
    std::fprintf(stderr, "run %d/%d\n", run + 1, o.runs);
    std::size_t ri = 0;
    for (transport_kind k : kinds) {
      row& pipelined = rows[ri++];
      row& sequential = rows[ri++];
      row& events = rows[ri++];
      for (std::size_t wi = 0; wi < scheds.size(); ++wi) add(pipelined.janus[wi], janus_pipelined(*scheds[wi], host, k, o));
      add(pipelined.bare, bare_requests(host, k, o.requests, o.window));
      for (std::size_t wi = 0; wi < scheds.size(); ++wi) add(sequential.janus[wi], janus_sequential(*scheds[wi], host, k, o));
      add(sequential.bare, bare_requests(host, k, o.sequential, 1));
      for (std::size_t wi = 0; wi < scheds.size(); ++wi) add(events.janus[wi], janus_events(*scheds[wi], host, k, o));
      add(events.bare, bare_events(host, k, o));
    }
  }

  std::printf("janus protocol benchmark: medians of %d runs; mock browser in-process on its own io_context thread\n",
              o.runs);
  std::printf("requests: %llu pipelined (W=%u), %llu sequential, params {\"n\":i} echoed; events: %llu x %u B\n\n",
              static_cast<unsigned long long>(o.requests), o.window, static_cast<unsigned long long>(o.sequential),
              static_cast<unsigned long long>(o.events), o.payload);
  std::printf("| measurement | transport |");
  for (unsigned w : o.workers) {
    if (w == 0) std::printf(" janus, poll mode (0 workers) |");
    else std::printf(" janus, %u worker%s |", w, w == 1 ? "" : "s");
  }
  const bool has_poll = std::find(o.workers.begin(), o.workers.end(), 0u) != o.workers.end();
  std::printf(" bare | best of 1/2 workers / bare |%s goal |\n|---|---|", has_poll ? " poll mode / bare |" : "");
  for (std::size_t i = 0; i < o.workers.size(); ++i) std::printf("---:|");
  std::printf("---:|---:|%s---|\n", has_poll ? "---:|" : "");
  for (const row& r : rows) {
    std::printf("| %s | %s |", r.measurement.c_str(), name_of(r.kind));
    double best = 0;
    unsigned best_w = 0;
    for (std::size_t wi = 0; wi < o.workers.size(); ++wi) {
      const double m = median(r.janus[wi]);
      std::printf(" %.3g (%zu ok) |", m, r.janus[wi].size());
      if (m > best && o.workers[wi] > 0) {  // poll mode is an experiment, not a configuration to report
        best = m;
        best_w = o.workers[wi];
      }
    }
    const double b = median(r.bare);
    const double ratio = b > 0 ? best / b : 0;
    const bool requests = r.measurement.find("events") == std::string::npos;
    std::printf(" %.3g (%zu ok) | %.2fx (%u worker%s) |", b, r.bare.size(), ratio, best_w, best_w == 1 ? "" : "s");
    if (has_poll) {
      const std::size_t pi = static_cast<std::size_t>(std::find(o.workers.begin(), o.workers.end(), 0u) - o.workers.begin());
      std::printf(" %.2fx |", b > 0 ? median(r.janus[pi]) / b : 0);
    }
    std::printf(" %s |\n", requests ? (ratio >= 0.7 ? ">= 0.7x (met)" : ">= 0.7x (not met)") : "reference");
  }
  std::fflush(stdout);
  scheds.clear();
  return 0;
}
