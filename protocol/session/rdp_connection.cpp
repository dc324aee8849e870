// The public handle of an RDP connection (janus/session/rdp_connection.hpp): connecting (TCP or a
// Unix socket, then the greeting) and the request awaiters. The connection's state is rdp_core
// (rdp_core.hpp, which draws the data path); it pairs replies through rdp_actor_queues and routes
// events through rdp_event_router.
#include <janus/session/rdp_connection.hpp>

#include "rdp_core.hpp"

#include <janus/protocol/json_writer.hpp>
#include <janus/protocol/tcp_transport.hpp>
#include <janus/rt/executor.hpp>
#include <janus/rt/reply_cell.hpp>
#include <janus/rt/timer_queue.hpp>

#include <algorithm>
#include <coroutine>
#include <utility>

namespace janus::session {

namespace {

using detail::rdp_core;
using detail::rdp_pending;
using detail::reply_cell;

/// Waits on a reply cell: `start(cell)` hands the cell (with a reference of its own) to whoever
/// completes it; the cell's own timer bounds the wait. `start` is a plain function pointer plus a
/// shared state, so that nothing it uses lives in the waiting frame: once the timer is armed the
/// frame may be resumed, and destroyed, on another thread before `start` has returned.
///
/// @par Thread Safety
/// Awaited once, by one coroutine.
template <class T, class State>
class cell_awaiter {
 public:
  using cell = rt::reply_cell<T>;
  using start_fn = void (*)(const std::shared_ptr<State>&, cell*);
  cell_awaiter(rt::scheduler& sched, rt::deadline d, std::shared_ptr<State> state, start_fn start)
      : sched_(sched), deadline_(d), state_(std::move(state)), start_(start) {}
  cell_awaiter(const cell_awaiter&) = delete;
  cell_awaiter& operator=(const cell_awaiter&) = delete;
  ~cell_awaiter() {
    if (!cell_) return;
    cell_->abandon();
    finish();
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    cell* c = cell::create();  // one reference for us, one for start
    cell_ = c;
    c->ex = rt::current_executor();
    if (!c->ex) c->ex = &sched_;
    c->resume.handle = h;
    const std::shared_ptr<State> state = state_;
    const start_fn start = start_;
    if (!deadline_.is_never()) {
      c->timer.when = deadline_.at();
      armed_ = true;
      sched_.add_timer(c->timer);
    }
    start(state, c);
  }
  rt::result<T> await_resume() {
    rt::result<T> r = cell_->take();
    finish();
    return r;
  }

 private:
  void finish() {
    if (armed_) sched_.timers().cancel(cell_->timer);
    armed_ = false;
    std::exchange(cell_, nullptr)->release();
  }
  rt::scheduler& sched_;
  rt::deadline deadline_;
  std::shared_ptr<State> state_;
  start_fn start_;
  cell* cell_ = nullptr;
  bool armed_ = false;
};

// @par Thread Safety
// Immutable once the connect has started.
struct tcp_connect_args {
  rt::scheduler* sched = nullptr;
  std::string host;
  std::uint16_t port = 0;
  std::string unix_path;  // set: a Unix domain socket instead of host:port
  std::shared_ptr<protocol::transport_handler> handler;
  protocol::tcp_options options;
};

void start_tcp_connect(const std::shared_ptr<tcp_connect_args>& a, rt::reply_cell<std::shared_ptr<protocol::transport>>* c) {
  auto done = [c](rt::result<std::shared_ptr<protocol::transport>> r) {
    // Abandoned (the waiting frame is gone): the transport is dropped here, which closes it.
    if (r) c->complete_value(std::move(*r));
    else c->complete_error(std::move(r).err());
    c->release();
  };
  if (!a->unix_path.empty())
    protocol::connect_unix(a->sched->io(), a->unix_path, a->handler, std::move(done), a->options,
                           protocol::make_rdp_stream_framer());
  else
    protocol::connect_tcp(a->sched->io(), a->host, a->port, a->handler, std::move(done), a->options,
                          protocol::make_rdp_stream_framer());
}

void start_greeting_wait(const std::shared_ptr<rdp_core>& core, reply_cell* c) { core->wait_greeting(c); }

/// One request: registered in its actor's queue, written, then resumed exactly once by its reply,
/// its deadline, its cancellation or the connection's end.
///
/// @par Thread Safety
/// Awaited once, by one coroutine.
class request_awaiter {
 public:
  request_awaiter(std::shared_ptr<rdp_core> core, std::string actor, std::string type, std::string text,
                  rdp_request_options options)
      : core_(std::move(core)),
        actor_(std::move(actor)),
        type_(std::move(type)),
        text_(std::move(text)),
        options_(std::move(options)) {}
  request_awaiter(const request_awaiter&) = delete;
  request_awaiter& operator=(const request_awaiter&) = delete;
  ~request_awaiter() {
    if (!cell_) return;
    // The caller's frame is being destroyed while waiting: nobody may resume it, and its reply
    // must still be consumed when it comes.
    cell_->abandon();
    if (entry_) core_->abandon(entry_, rt::error{rt::errc::cancelled, "the caller went away"});
    cleanup();
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    reply_cell* c = reply_cell::create();  // one reference for us, one for the queue entry
    cell_ = c;
    c->ex = rt::current_executor();
    if (!c->ex) c->ex = &core_->sched();
    c->resume.handle = h;
    entry_ = std::make_shared<rdp_pending>(c, actor_, type_);
    const auto timeout = core_->options().default_timeout;
    const rt::deadline d = options_.deadline ? *options_.deadline : rt::deadline(timeout);
    after_ = options_.deadline ? std::chrono::duration_cast<std::chrono::milliseconds>(d.at() - rt::clock::now())
                               : timeout;
    // Armed before the request is queued: once it is, a reply may resume us on another thread at
    // once, and nothing here may be touched any more. submit() covers a deadline or a cancel that
    // fires first.
    std::shared_ptr<rdp_core> core = core_;
    std::shared_ptr<rdp_pending> entry = entry_;
    std::string text = std::move(text_);
    if (!d.is_never()) {
      timer_.when = d.at();
      timer_.owner = this;
      timer_.fire = &on_deadline;
      armed_ = true;
      core_->sched().add_timer(timer_);
    }
    if (options_.cancel.can_be_cancelled()) {
      options_.cancel.on_cancel(cancel_reg_, [this] {
        core_->abandon(entry_, rt::error{rt::errc::cancelled, actor_ + " " + type_ + ": cancelled by the caller"});
      });
    }
    // The cancellation may already have resumed us on another thread (and destroyed this
    // awaiter): from here on only locals.
    (void)core->submit(entry, std::move(text), d);
    return true;
  }

  rt::result<protocol::rdp_owned_message> await_resume() {
    rt::result<protocol::rdp_owned_message> r = cell_->take();
    cleanup();
    return r;
  }

 private:
  struct deadline_node : rt::timer_queue::node {
    request_awaiter* owner = nullptr;
  };
  static void on_deadline(rt::timer_queue::node* n) noexcept {
    request_awaiter* self = static_cast<deadline_node*>(n)->owner;
    self->core_->expire(self->entry_, std::max(self->after_, std::chrono::milliseconds(0)));
  }
  void cleanup() noexcept {
    if (armed_) {
      core_->sched().timers().cancel(timer_);
      armed_ = false;
    }
    cancel_reg_.reset();
    entry_.reset();
    if (reply_cell* c = std::exchange(cell_, nullptr)) c->release();
  }

  std::shared_ptr<rdp_core> core_;
  std::string actor_;
  std::string type_;
  std::string text_;
  rdp_request_options options_;
  reply_cell* cell_ = nullptr;
  std::shared_ptr<rdp_pending> entry_;
  std::chrono::milliseconds after_{0};
  deadline_node timer_;
  bool armed_ = false;
  rt::cancel_registration cancel_reg_;
};

rt::result<std::string> encode_request(std::string_view actor, std::string_view type, std::string_view params) {
  // Members of a JSON object, spliced into the packet after "to" and "type".
  std::size_t b = 0, e = params.size();
  while (b < e && (params[b] == ' ' || params[b] == '\n' || params[b] == '\t' || params[b] == '\r')) ++b;
  while (e > b && (params[e - 1] == ' ' || params[e - 1] == '\n' || params[e - 1] == '\t' || params[e - 1] == '\r')) --e;
  std::string_view inner;
  if (b < e) {
    if (params[b] != '{' || params[e - 1] != '}' || e - b < 2)
      return rt::error{rt::errc::invalid_argument, std::string(actor) + " " + std::string(type) +
                                                       ": the params must be a JSON object (the request was not sent)"};
    inner = params.substr(b + 1, e - b - 2);
  }
  protocol::json_writer w;
  w.begin_object();
  w.key("to");
  w.string(actor);
  w.key("type");
  w.string(type);
  w.end_object();
  if (!w.ok())
    return rt::error{rt::errc::invalid_argument, std::string(actor) + " " + std::string(type) + ": " +
                                                     std::string(w.error_message()) + " (the request was not sent)"};
  std::string out = w.take();
  bool blank = true;
  for (char c : inner)
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') blank = false;
  if (!blank) {
    out.pop_back();
    out += ',';
    out += inner;
    out += '}';
  }
  return out;
}

}  // namespace

// --- rdp_connection ------------------------------------------------------------------------------------

struct rdp_connection::owner {
  std::shared_ptr<rdp_core> core;
  ~owner() { core->close("the connection was closed (its last handle was destroyed)", rt::errc::disconnected); }
};

rdp_connection::rdp_connection(std::shared_ptr<detail::rdp_core> core)
    : owner_(std::make_shared<owner>()), core_(std::move(core)) {
  owner_->core = core_;
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect(rt::scheduler& sched, std::string host, std::uint16_t port,
                                                             rdp_connection_options options) {
  return connect_core(std::make_shared<rdp_core>(sched, std::move(options)), std::move(host), port, std::string());
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect_unix(rt::scheduler& sched, std::string path,
                                                                  rdp_connection_options options) {
  return connect_core(std::make_shared<rdp_core>(sched, std::move(options)), std::string(), 0, std::move(path));
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect_unix(rt::scheduler& sched, std::string path) {
  return connect_unix(sched, std::move(path), rdp_connection_options{});
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect(rt::scheduler& sched, std::string host, std::uint16_t port) {
  return connect(sched, std::move(host), port, rdp_connection_options{});
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect_core(std::shared_ptr<detail::rdp_core> core, std::string host,
                                                                  std::uint16_t port, std::string unix_path) {
  rt::scheduler& sched = core->sched();
  const rt::deadline d(core->options().connect_timeout);
  const std::string where = unix_path.empty() ? host + ":" + std::to_string(port) : "unix:" + unix_path;
  auto args = std::make_shared<tcp_connect_args>();
  args->sched = &sched;
  args->host = host;
  args->port = port;
  args->unix_path = unix_path;
  args->handler = std::make_shared<rdp_core::handler>(core);
  args->options.limits = core->options().limits;
  args->options.connect_timeout = core->options().connect_timeout;
  args->options.close_timeout = core->options().close_timeout;
  rt::result<std::shared_ptr<protocol::transport>> t =
      co_await cell_awaiter<std::shared_ptr<protocol::transport>, tcp_connect_args>(sched, rt::deadline::never(), args,
                                                                                     &start_tcp_connect);
  if (!t) {
    core->close("connecting failed", rt::errc::disconnected);
    rt::error e = std::move(t).err();
    e.message = "connecting to the debugger server at " + where + " failed: " + e.message;
    co_return e;
  }
  core->attach(std::move(*t));

  rt::result<protocol::rdp_owned_message> g =
      co_await cell_awaiter<protocol::rdp_owned_message, rdp_core>(sched, d, core, &start_greeting_wait);
  if (!g) {
    core->close("no greeting", rt::errc::disconnected);
    rt::error e = std::move(g).err();
    e.message = "no greeting from the debugger server at " + where + ": " + e.message;
    co_return e;
  }
  if (g->from() != "root" || g->json().find("\"applicationType\"") == std::string_view::npos) {
    core->close("not a debugger server", rt::errc::protocol);
    co_return rt::error{rt::errc::protocol,
                        "the server at " + where + " did not greet like Firefox's debugger server: " + std::string(g->json().substr(0, 200))};
  }
  core->set_greeting(std::move(*g));
  co_return rdp_connection(std::move(core));
}

namespace {

rt::task<rt::result<protocol::rdp_owned_message>> request_impl(std::shared_ptr<rdp_core> core, std::string actor,
                                                               std::string type, std::string params_json,
                                                               rdp_request_options options) {
  rt::result<std::string> text = encode_request(actor, type, params_json);
  if (!text) co_return std::move(text).err();
  co_return co_await request_awaiter(std::move(core), std::move(actor), std::move(type), std::move(*text), std::move(options));
}

rt::task<rt::result<protocol::json_value>> request_json_impl(std::shared_ptr<rdp_core> core, std::string actor,
                                                             std::string type, protocol::json_value params,
                                                             rdp_request_options options) {
  if (!params.is_null() && !params.is_object())
    co_return rt::error{rt::errc::invalid_argument, actor + " " + type + ": the params must be a JSON object (the request was not sent)"};
  std::string p = params.is_null() ? std::string() : params.dump();
  rt::result<protocol::rdp_owned_message> r =
      co_await request_impl(std::move(core), std::move(actor), std::move(type), std::move(p), std::move(options));
  if (!r) co_return std::move(r).err();
  co_return protocol::json_value::parse(r->json());
}

}  // namespace

rt::task<rt::result<protocol::rdp_owned_message>> rdp_connection::request(std::string actor, std::string type,
                                                                          std::string params_json,
                                                                          rdp_request_options options) const {
  return request_impl(core_, std::move(actor), std::move(type), std::move(params_json), std::move(options));
}

rt::task<rt::result<protocol::json_value>> rdp_connection::request_json(std::string actor, std::string type,
                                                                        protocol::json_value params,
                                                                        rdp_request_options options) const {
  return request_json_impl(core_, std::move(actor), std::move(type), std::move(params), std::move(options));
}

rt::task<rt::result<protocol::rdp_owned_message>> rdp_connection::request(std::string actor, std::string type,
                                                                          std::string params_json) const {
  return request(std::move(actor), std::move(type), std::move(params_json), rdp_request_options{});
}

rt::task<rt::result<protocol::rdp_owned_message>> rdp_connection::request(std::string actor, std::string type) const {
  return request(std::move(actor), std::move(type), std::string(), rdp_request_options{});
}

rt::task<rt::result<protocol::json_value>> rdp_connection::request_json(std::string actor, std::string type,
                                                                        protocol::json_value params) const {
  return request_json(std::move(actor), std::move(type), std::move(params), rdp_request_options{});
}

rt::task<rt::result<protocol::json_value>> rdp_connection::request_json(std::string actor, std::string type) const {
  return request_json(std::move(actor), std::move(type), protocol::json_value::object(), rdp_request_options{});
}

rt::result<rt::subscription<rdp_event>> rdp_connection::subscribe(rdp_subscription_spec spec) const {
  return core_->subscribe(std::move(spec));
}

void rdp_connection::set_actor_type(std::string actor_id, std::string type_name) const {
  core_->set_actor_type(std::move(actor_id), std::move(type_name));
}

const protocol::rdp_owned_message& rdp_connection::greeting() const { return core_->greeting(); }
bool rdp_connection::poisoned(std::string_view actor) const { return core_->poisoned(actor); }
void rdp_connection::close() const { core_->close("the connection was closed by its user", rt::errc::disconnected); }
std::function<void(std::string, rt::errc)> rdp_connection::failer() const {
  std::weak_ptr<rdp_core> weak = core_;
  return [weak](std::string why, rt::errc code) {
    if (auto c = weak.lock()) c->close(std::move(why), code);
  };
}

void rdp_connection::set_exit_probe(std::function<bool()> probe) const { core_->set_exit_probe(std::move(probe)); }

bool rdp_connection::connected() const { return core_->connected(); }
rdp_stats rdp_connection::stats() const { return core_->stats(); }

}  // namespace janus::session
