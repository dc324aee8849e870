// `janus bench`: protocol throughput as a user of the library sees it, against a real headless
// Chromium (over its pipe), or against a target the program adds (janus-bench, built with the
// benchmarks, adds the mock browser: in its process, on a thread of its own, over a loopback
// WebSocket; the installed `janus` carries no test code). Each figure is the median of --runs runs.
//
//   sequential round trips/s   one command at a time; latency p50/p99 from these
//   pipelined requests/s       --inflight commands in flight, --requests in all
//   events/s                   --events events through the dispatcher to one subscriber
//   client CPU per message     this process's CPU time per request or event, the mock's thread excluded
//
// Commands: the mock echoes an unknown method's params back ("Bench.echo"); Chromium answers
// Browser.getVersion. Events: Mock.emitEvents from the mock; from Chromium, a page that calls
// console.log in a loop, read as Runtime.consoleAPICalled.
#include "bench_command.hpp"
#include "cli_args.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

#include <janus/session/cdp_connection.hpp>
#include <janus/client/chromium_launcher.hpp>
#include <janus/rt.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace janus::cli {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using session::call_options;
using session::cdp_connection;
using session::cdp_session;
using protocol::json_value;

std::string usage_text(std::string_view program, std::span<const bench_target_kind> kinds) {
  std::string names, targets, events;
  for (const auto& k : kinds) {
    names += (names.empty() ? "" : "|") + std::string(k.name);
    targets += fmt::format("                 {}{}: {}\n", k.name, &k == kinds.data() ? " (default)" : "", k.help);
    events += fmt::format("{}{} for {}", events.empty() ? "" : ", ", k.default_events, k.name);
  }
  return fmt::format(
      "usage: {} [--target {}] [--requests N] [--inflight K] [--events N]\n"
      "                   [--runs R] [--json]\n"
      "\n"
      "Measures protocol throughput through the Janus client: sequential round trips/s with their\n"
      "latency p50/p99, pipelined requests/s with K in flight, events/s to one subscriber, and this\n"
      "process's CPU time per message. Each figure is the median of R runs.\n"
      "\n"
      "  --target T     the far end:\n{}"
      "  --requests N   commands per run, sequential and pipelined alike (default 20000)\n"
      "  --inflight K   commands in flight for the pipelined figure (default 64)\n"
      "  --events N     events per run (default {})\n"
      "  --runs R       runs per figure (default 3)\n"
      "  --json         one JSON object on stdout instead of the table\n",
      program, names, targets, events);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

class chromium_target final : public bench_target {
 public:
  static rt::result<std::unique_ptr<chromium_target>> start(rt::scheduler& s) {
    auto t = std::unique_ptr<chromium_target>(new chromium_target());
    auto b = s.block_on(client::launch_chromium(s));
    if (!b) return std::move(b).err();
    t->browser_ = std::move(*b);
    auto page = s.block_on(t->open_page());
    if (!page) return std::move(page).err();
    t->page_ = std::move(*page);
    return t;
  }
  ~chromium_target() override {
    if (browser_) browser_->close();
  }
  session::cdp_connection connection() const override { return browser_->connection(); }
  std::string_view method() const override { return "Browser.getVersion"; }
  std::string params(std::uint64_t) const override { return {}; }
  rt::task<rt::result<void>> emit(std::uint64_t count) override {
    const std::string expr = "for (let i = 0; i < " + std::to_string(count) + "; ++i) console.log(i)";
    protocol::json_writer w;
    w.begin_object();
    w.key("expression");
    w.string(expr);
    w.end_object();
    session::call_options call_opts{.deadline = rt::deadline(120s), .cancel = {}};
    auto r = co_await page_.call("Runtime.evaluate", w.view(), std::move(call_opts));
    if (!r) co_return std::move(r).err();
    co_return rt::ok;
  }
  session::cdp_session events_session() const override { return page_; }
  std::string_view event_method() const override { return "Runtime.consoleAPICalled"; }
  std::string name() const override { return "chromium"; }

 private:
  chromium_target() = default;
  rt::task<rt::result<session::cdp_session>> open_page() {
    const session::cdp_session b = browser_->connection().browser();
    auto created = co_await b.call("Target.createTarget", R"({"url":"about:blank"})");
    if (!created) co_return std::move(created).err();
    auto id = protocol::json_value::parse(created->payload());
    const json_value* target_id = id ? id->find("targetId") : nullptr;
    if (!target_id || !target_id->is_string()) co_return rt::error{rt::errc::parse, "Target.createTarget: no targetId"};
    protocol::json_writer w;
    w.begin_object();
    w.key("targetId");
    w.string(target_id->as_string());
    w.key("flatten");
    w.boolean(true);
    w.end_object();
    const std::string params(w.view());
    auto attached = co_await b.call("Target.attachToTarget", params);
    if (!attached) co_return std::move(attached).err();
    auto sid = protocol::json_value::parse(attached->payload());
    const json_value* session_id = sid ? sid->find("sessionId") : nullptr;
    if (!session_id || !session_id->is_string()) co_return rt::error{rt::errc::parse, "Target.attachToTarget: no sessionId"};
    session::cdp_session page = browser_->connection().session(session_id->as_string());
    auto enabled = co_await page.call("Runtime.enable");
    if (!enabled) co_return std::move(enabled).err();
    co_return page;
  }
  std::unique_ptr<client::browser_process> browser_;
  session::cdp_session page_;
};

struct run_figures {
  double sequential_per_s = 0;
  std::vector<double> latencies_us;
  double pipelined_per_s = 0;
  double events_per_s = 0;
  double cpu_us_per_request = 0;
  double cpu_us_per_event = 0;
};

rt::task<rt::result<void>> sequential(const bench_target& t, std::uint64_t n, std::vector<double>& latencies) {
  const session::cdp_session s = t.connection().browser();
  latencies.clear();
  latencies.reserve(n);
  for (std::uint64_t i = 1; i <= n; ++i) {
    const std::string p = t.params(i);
    const auto t0 = clock_type::now();
    session::call_options call_opts{.deadline = rt::deadline(10s), .cancel = {}};
    auto r = co_await s.call(t.method(), p, std::move(call_opts));
    if (!r) co_return std::move(r).err();
    latencies.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  co_return rt::ok;
}

struct pipeline_state {
  std::uint64_t total = 0;
  std::atomic<std::uint64_t> next{1};
  std::atomic<unsigned> live{0};
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<rt::error> first_error;
};

rt::task<void> pipeline_worker(const bench_target& t, std::shared_ptr<pipeline_state> st) {
  const session::cdp_session s = t.connection().browser();
  for (;;) {
    const std::uint64_t i = st->next.fetch_add(1, std::memory_order_relaxed);
    if (i > st->total) break;
    const std::string p = t.params(i);
    session::call_options call_opts{.deadline = rt::deadline(30s), .cancel = {}};
    auto r = co_await s.call(t.method(), p, std::move(call_opts));
    if (!r) {
      std::lock_guard lk(st->mu);
      if (!st->first_error) st->first_error = std::move(r).err();
      st->next.store(st->total + 1);  // the others stop too
      break;
    }
  }
  if (st->live.fetch_sub(1) == 1) {
    std::lock_guard lk(st->mu);
    st->done = true;
    st->cv.notify_all();
  }
}

rt::result<double> pipelined(rt::scheduler& s, const bench_target& t, std::uint64_t n, unsigned inflight) {
  auto st = std::make_shared<pipeline_state>();
  st->total = n;
  st->live = inflight;
  const auto t0 = clock_type::now();
  for (unsigned w = 0; w < inflight; ++w) s.spawn(pipeline_worker(t, st));
  std::unique_lock lk(st->mu);
  // Each call has its own 30 s deadline, so the workers end by themselves; this is the outer guard.
  if (!st->cv.wait_for(lk, 300s, [&] { return st->done; }))
    return rt::error{rt::errc::timeout, "pipelined run did not finish within 300 s"};
  if (st->first_error) return *st->first_error;
  return static_cast<double>(n) / std::chrono::duration<double>(clock_type::now() - t0).count();
}

rt::task<void> collect(rt::task<rt::result<void>> emitter, std::shared_ptr<std::optional<rt::result<void>>> out) {
  *out = co_await std::move(emitter);
}

rt::task<rt::result<double>> events(rt::scheduler& s, bench_target& t, std::uint64_t n) {
  session::event_options event_opts{
      .capacity = 4096, .policy = rt::overflow::block, .replay_last = 0, .filter = {}, .timeout = 5000ms};
  auto sub = co_await t.events_session().subscribe(std::string(t.event_method()), std::move(event_opts));
  if (!sub) co_return std::move(sub).err();
  const auto t0 = clock_type::now();
  // The emitter's reply may come only after every event was taken (the mock is paced by
  // backpressure), so it runs beside this loop.
  auto emitted = std::make_shared<std::optional<rt::result<void>>>();
  s.spawn(collect(t.emit(n), emitted));
  for (std::uint64_t got = 0; got < n; ++got) {
    auto ev = co_await sub->next(rt::deadline(30s));
    if (!ev) {
      rt::error e = std::move(ev).err();
      e.message = fmt::format("event {} of {}: {}", got + 1, n, e.message);
      co_return e;
    }
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  for (int i = 0; i < 30000 && !*emitted; ++i) co_await rt::sleep_for(s, 1ms);
  if (!*emitted) co_return rt::error{rt::errc::timeout, "the event source did not finish within 30 s"};
  if (!**emitted) co_return (**emitted).err();
  co_return static_cast<double>(n) / secs;
}

}  // namespace

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bench_target_kind chromium_bench_target() {
  return {.name = "chromium",
          .help = "a headless Chromium launched for the run (pipe)",
          .description = "headless Chromium, pipe",
          .transport = "pipe",
          .default_events = 20000,
          .start = [](rt::scheduler& s) -> rt::result<std::unique_ptr<bench_target>> {
            auto t = chromium_target::start(s);
            if (!t) return std::move(t).err();
            return std::unique_ptr<bench_target>(std::move(*t));
          }};
}

int bench_command(int argc, char** argv) {
  const bench_target_kind kinds[] = {chromium_bench_target()};
  return run_bench(argc, argv, 2, kinds, "janus bench");
}

int run_bench(int argc, char** argv, int first_arg, std::span<const bench_target_kind> kinds, std::string_view program) {
  arg_spec spec;
  spec.valued = {"--target", "--requests", "--inflight", "--events", "--runs"};
  spec.flags = {"--json", "--help"};
  std::string error;
  auto args = parsed_args::parse(argc, argv, first_arg, spec, error);
  if (args && args->flag("--help")) {
    std::fputs(usage_text(program, kinds).c_str(), stdout);
    return exit_ok;
  }
  if (!args) return report_error("bench", error + " (see " + std::string(program) + " --help)", exit_usage);
  const std::string target_name = args->value_or("--target", std::string(kinds.front().name));
  const auto kind = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == target_name; });
  if (kind == kinds.end()) {
    std::string names;
    for (const auto& k : kinds) names += (names.empty() ? "" : " or ") + std::string(k.name);
    // The mock is test code: the installed command does not carry it.
    const std::string where = target_name == "mock" ? " (the mock browser is in janus-bench, built with the benchmarks)" : "";
    return report_error("bench", "--target is " + names + ", not '" + target_name + "'" + where, exit_usage);
  }
  auto requests = args->number("--requests", 20000, error);
  auto inflight = args->number("--inflight", 64, error);
  auto event_count = args->number("--events", kind->default_events, error);
  auto runs = args->number("--runs", 3, error);
  if (!requests || !inflight || !event_count || !runs) return report_error("bench", error, exit_usage);
  if (*requests == 0 || *inflight == 0 || *runs == 0 || *inflight > 100000)
    return report_error("bench", "--requests, --inflight and --runs must be at least 1 (--inflight at most 100000)",
                        exit_usage);

  rt::scheduler_options so;
  so.workers = 1;
  rt::scheduler sched(so);
  progress bar;
  bar.update("starting " + target_name + "...");
  auto started = kind->start(sched);
  if (!started) return report_error("bench", started.err());
  const std::unique_ptr<bench_target> target = std::move(*started);

  std::vector<double> seq, pipe, evs, cpu_req, cpu_ev, p50, p99;
  for (unsigned long long r = 1; r <= *runs; ++r) {
    const std::string run = fmt::format("run {}/{}: ", r, *runs);
    bar.update(run + "sequential round trips");
    std::vector<double> lat;
    double cpu0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - target->in_process_cpu();
    auto t0 = clock_type::now();
    if (auto ok = sched.block_on(sequential(*target, *requests, lat)); !ok) return report_error("bench", ok.err());
    seq.push_back(static_cast<double>(*requests) / std::chrono::duration<double>(clock_type::now() - t0).count());
    std::sort(lat.begin(), lat.end());
    p50.push_back(percentile(lat, 0.50));
    p99.push_back(percentile(lat, 0.99));

    bar.update(run + "pipelined requests");
    auto piped = pipelined(sched, *target, *requests, static_cast<unsigned>(*inflight));
    if (!piped) return report_error("bench", piped.err());
    pipe.push_back(*piped);
    double cpu1 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - target->in_process_cpu();
    cpu_req.push_back((cpu1 - cpu0) * 1e6 / static_cast<double>(2 * *requests));

    if (*event_count > 0) {
      bar.update(run + "events");
      auto ev = sched.block_on(events(sched, *target, *event_count));
      if (!ev) return report_error("bench", ev.err());
      evs.push_back(*ev);
      const double cpu2 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - target->in_process_cpu();
      cpu_ev.push_back((cpu2 - cpu1) * 1e6 / static_cast<double>(*event_count));
    }
  }
  bar.done();

  if (args->flag("--json")) {
    protocol::json_writer w;
    w.begin_object();
    w.key("target");
    w.string(target->name());
    w.key("transport");
    w.string(kind->transport);
    w.key("runs");
    w.number(static_cast<std::int64_t>(*runs));
    w.key("requests");
    w.number(static_cast<std::int64_t>(*requests));
    w.key("inflight");
    w.number(static_cast<std::int64_t>(*inflight));
    w.key("events");
    w.number(static_cast<std::int64_t>(*event_count));
    w.key("sequential_per_s");
    w.number(median(seq));
    w.key("latency_p50_us");
    w.number(median(p50));
    w.key("latency_p99_us");
    w.number(median(p99));
    w.key("pipelined_per_s");
    w.number(median(pipe));
    w.key("events_per_s");
    w.number(median(evs));
    w.key("cpu_us_per_request");
    w.number(median(cpu_req));
    w.key("cpu_us_per_event");
    w.number(median(cpu_ev));
    w.end_object();
    std::printf("%s\n", std::string(w.view()).c_str());
  } else {
    std::printf("%s: target %s (%s), median of %llu runs\n", std::string(program).c_str(), target->name().c_str(),
                std::string(kind->description).c_str(), *runs);
    std::printf("  sequential round trips   %12.0f /s   (%llu requests, one at a time)\n", median(seq), *requests);
    std::printf("  latency                  p50 %.1f us   p99 %.1f us\n", median(p50), median(p99));
    std::printf("  pipelined requests       %12.0f /s   (%llu in flight)\n", median(pipe), *inflight);
    if (*event_count > 0)
      std::printf("  events                   %12.0f /s   (%llu per run, %s)\n", median(evs), *event_count,
                  std::string(target->event_method()).c_str());
    std::printf("  client CPU               %.2f us per request", median(cpu_req));
    if (*event_count > 0) std::printf(", %.2f us per event", median(cpu_ev));
    std::printf("%s\n", kind->in_process ? "   (the target's own thread excluded)" : "");
  }
  return exit_ok;
}

}  // namespace janus::cli
