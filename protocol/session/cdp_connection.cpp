#include <janus/session/cdp_connection.hpp>

#include <janus/protocol/message_buffers.hpp>
#include <janus/protocol/pipe_transport.hpp>
#include <janus/protocol/websocket_transport.hpp>
#include <janus/rt/reply_cell.hpp>

#include <utility>

namespace janus::session {

namespace {

// Bridges connect_websocket's callback to a coroutine through a reply cell, so the coroutine is
// resumed on its own executor (an actor's handler stays inside its actor).
class connect_awaiter {
 public:
  using cell = rt::reply_cell<std::shared_ptr<protocol::transport>>;

  connect_awaiter(connection_core& core, std::string url) : core_(core), url_(std::move(url)) {}
  connect_awaiter(const connect_awaiter&) = delete;
  connect_awaiter& operator=(const connect_awaiter&) = delete;
  ~connect_awaiter() {
    if (cell_) {
      cell_->abandon();
      cell_->release();
    }
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    cell* c = cell::create();  // one reference for us, one for the callback
    cell_ = c;
    c->ex = rt::current_executor();
    if (!c->ex) c->ex = &core_.sched();
    c->resume.handle = h;
    protocol::websocket_options o;
    o.limits = core_.options().limits;
    o.connect_timeout = core_.options().connect_timeout;
    o.close_timeout = core_.options().close_timeout;
    protocol::connect_websocket(
        core_.sched().io(), url_, core_.next_handler(),
        [c](rt::result<std::shared_ptr<protocol::transport>> r) {
          if (r) {
            // Abandoned (the waiting frame is gone): the transport is dropped here, which closes it.
            c->complete_value(std::move(*r));
          } else {
            c->complete_error(std::move(r).err());
          }
          c->release();
        },
        o);
  }
  rt::result<std::shared_ptr<protocol::transport>> await_resume() {
    auto r = cell_->take();
    std::exchange(cell_, nullptr)->release();
    return r;
  }

 private:
  connection_core& core_;
  std::string url_;
  cell* cell_ = nullptr;
};

}  // namespace

namespace detail {

rt::result<std::string> encode_command(std::int64_t id, std::string_view method, std::string_view params_json,
                                       std::string_view session_id) {
  // One writer per thread keeps its buffer, and the string handed to the transport is a recycled
  // one (the stream transports give it back once written): encoding allocates nothing after
  // warm-up.
  thread_local protocol::json_writer w;
  w.clear();
  protocol::cdp_encode_command(w, id, method, params_json, session_id);
  if (!w.ok()) return rt::error{rt::errc::invalid_argument, std::string(method) + ": " + std::string(w.error_message())};
  std::string text = protocol::message_buffers::take(w.view().size());
  text.assign(w.view());
  return text;
}

}  // namespace detail

// --- connection actor -------------------------------------------------------------------------------

connection_actor::connection_actor(std::shared_ptr<connection_core> core, std::string url)
    : core_(std::move(core)), url_(std::move(url)) {}

rt::task<void> connection_actor::on_start() {
  if (core_->connected() || core_->closing() || url_.empty()) co_return;
  rt::result<std::shared_ptr<protocol::transport>> t = co_await connect_awaiter(*core_, url_);
  if (t) {
    core_->attach(std::move(*t));
    co_return;
  }
  // Reported as a message so that the failure goes through the supervisor like any other.
  rt::error why = std::move(t).err();
  why.message = "reconnecting to " + url_ + " failed: " + why.message;
  (void)self().try_tell(connect_failed{std::move(why)});
}

rt::result<void> connection_actor::handle(transport_closed m) {
  if (core_->closing()) {
    self().stop();
    return rt::ok;
  }
  return std::move(m.why);
}

rt::result<void> connection_actor::handle(connect_failed m) {
  if (core_->closing()) {
    self().stop();
    return rt::ok;
  }
  return std::move(m.why);
}

void connection_actor::handle(close_request) {
  core_->close("the connection was closed by its user");
  self().stop();
}

// --- cdp_connection ---------------------------------------------------------------------------------

cdp_connection::state::~state() {
  core->set_on_closed(nullptr);  // breaks the core -> actor -> core cycle
  core->close("the connection was closed (its last handle was destroyed)");
  actor.stop();
}

cdp_connection cdp_connection::adopt(std::shared_ptr<connection_core> core, std::string url,
                                     const connect_policy& policy) {
  rt::spawn_options o;
  o.name = core->options().name + ".connection";
  auto factory = [core, url]() { return std::make_unique<connection_actor>(core, url); };
  rt::actor_ref<connection_actor> actor =
      policy.supervisor ? rt::spawn_with<connection_actor>(core->sched(), o, factory, policy.supervisor, policy.policy)
                        : rt::spawn_with<connection_actor>(core->sched(), o, factory);
  core->set_on_closed([actor](rt::error why) { (void)actor.try_tell(connection_actor::transport_closed{std::move(why)}); });
  cdp_connection c;
  c.state_ = std::make_shared<state>();
  c.state_->core = std::move(core);
  c.state_->actor = std::move(actor);
  return c;
}

rt::task<rt::result<cdp_connection>> cdp_connection::connect(rt::scheduler& sched, std::string url,
                                                             connection_options options, connect_policy policy) {
  auto core = std::make_shared<connection_core>(sched, std::move(options));
  rt::result<std::shared_ptr<protocol::transport>> t = co_await connect_awaiter(*core, url);
  if (!t) co_return std::move(t).err();
  core->attach(std::move(*t));
  co_return adopt(std::move(core), std::move(url), policy);
}

rt::result<cdp_connection> cdp_connection::open_pipe(rt::scheduler& sched, int read_fd, int write_fd,
                                                     connection_options options, connect_policy policy) {
  auto core = std::make_shared<connection_core>(sched, std::move(options));
  protocol::pipe_options o;
  o.limits = core->options().limits;
  o.close_timeout = core->options().close_timeout;
  rt::result<std::shared_ptr<protocol::transport>> t =
      protocol::open_pipe_transport(sched.io(), read_fd, write_fd, core->next_handler(), o);
  if (!t) return std::move(t).err();
  core->attach(std::move(*t));
  return adopt(std::move(core), {}, policy);
}

rt::task<rt::result<rt::subscription<cdp_event>>> cdp_connection::subscribe(subscription_spec spec,
                                                                             std::chrono::milliseconds timeout) const {
  event_dispatcher::subscribe msg{std::move(spec)};
  co_return co_await state_->core->dispatcher().ask(std::move(msg), rt::deadline(timeout));
}

rt::result<void> cdp_connection::retain(std::string method, std::size_t count) const {
  return state_->core->dispatcher().try_tell(event_dispatcher::retain{std::move(method), count});
}

void cdp_connection::close() const {
  state_->core->close("the connection was closed by its user");
  (void)state_->actor.try_tell(connection_actor::close_request{});
}

void cdp_connection::set_exit_probe(std::function<bool()> probe) const {
  state_->core->set_exit_probe(std::move(probe));
}

std::function<void(std::string, rt::errc)> cdp_connection::failer() const {
  std::weak_ptr<connection_core> weak = state_->core;
  return [weak](std::string why, rt::errc code) {
    if (auto c = weak.lock()) c->close(std::move(why), code);
  };
}

}  // namespace janus::session
