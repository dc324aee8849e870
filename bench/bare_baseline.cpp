// The bare baselines of janus-protocol-bench (see bare_baseline.hpp). Built as C++17 in its own
// static library: websocketpp does not compile as C++20 with GCC 12. Standard headers come before
// Asio, and the Asio macros are the project's (asio_public_args), as in protocol/transport.
#include "bare_baseline.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <websocketpp/client.hpp>
#include <websocketpp/config/core_client.hpp>
#include <websocketpp/logger/stub.hpp>
#include <websocketpp/random/none.hpp>
#include <websocketpp/transport/asio/endpoint.hpp>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <asio/io_context.hpp>

#include <simdjson.h>

namespace janus::bench {
namespace {

using bench_clock = std::chrono::steady_clock;

// websocketpp's stock asio client config, minus what a lean client would not pay for: no logging,
// no strands (one thread), no random_device read per frame (the masking key is fixed at 0, which
// the wire format allows; Janus uses a seeded generator). permessage-deflate is off, as in the
// stock config.
struct bare_config : websocketpp::config::core_client {
  typedef bare_config type;
  typedef websocketpp::config::core_client base;
  typedef base::concurrency_type concurrency_type;
  typedef base::request_type request_type;
  typedef base::response_type response_type;
  typedef base::message_type message_type;
  typedef base::con_msg_manager_type con_msg_manager_type;
  typedef base::endpoint_msg_manager_type endpoint_msg_manager_type;
  typedef websocketpp::log::stub alog_type;
  typedef websocketpp::log::stub elog_type;
  typedef websocketpp::random::none::int_generator<uint32_t> rng_type;

  struct transport_config : public base::transport_config {
    typedef bare_config::concurrency_type concurrency_type;
    typedef bare_config::alog_type alog_type;
    typedef bare_config::elog_type elog_type;
    typedef bare_config::request_type request_type;
    typedef bare_config::response_type response_type;
    typedef websocketpp::transport::asio::basic_socket::endpoint socket_type;
    static const bool enable_multithreading = false;
  };
  typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;
};
typedef websocketpp::client<bare_config> client_endpoint;

/// Reads the top-level members of one message: its `id` (-1 if none) and whether it has `method`.
struct json_reader {
  simdjson::ondemand::parser parser;
  std::string buf;

  bool read(std::string_view text, std::int64_t& id, bool& is_event) {
    if (buf.capacity() < text.size() + simdjson::SIMDJSON_PADDING) buf.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    buf.assign(text.data(), text.size());
    id = -1;
    is_event = false;
    simdjson::ondemand::document doc;
    if (parser.iterate(simdjson::padded_string_view(buf.data(), buf.size(), buf.capacity())).get(doc)) return false;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return false;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (key == "id") {
        if (field.value().get_int64().get(id)) return false;
      } else if (key == "method") {
        is_event = true;
      }
    }
    return true;
  }
};

std::string request_text(std::uint64_t id) {
  return "{\"id\":" + std::to_string(id) + ",\"method\":\"Bench.echo\",\"params\":{\"n\":" + std::to_string(id) + "}}";
}

std::string emit_text(std::uint64_t count, unsigned payload, const std::string& method) {
  return "{\"id\":1,\"method\":\"Mock.emitEvents\",\"params\":{\"count\":" + std::to_string(count) + ",\"method\":\"" +
         method + "\",\"payloadBytes\":" + std::to_string(payload) + "}}";
}

/// One WebSocket client run: `start(con)` on open, `on_message(text)` per message returns true when
/// the run is complete.
template <class Start, class OnMessage>
bare_result run_ws(const std::string& url, std::chrono::milliseconds timeout, Start start, OnMessage on_message) {
  bare_result out;
  asio::io_context io(1);
  client_endpoint ep;
  ep.init_asio(&io);
  bench_clock::time_point t0{}, t1{};
  bool done = false;
  client_endpoint::connection_ptr con;
  ep.set_open_handler([&](websocketpp::connection_hdl) {
    t0 = bench_clock::now();
    start(con);
  });
  ep.set_message_handler([&](websocketpp::connection_hdl, client_endpoint::message_ptr msg) {
    if (done) return;
    if (on_message(con, std::string_view(msg->get_payload()))) {
      t1 = bench_clock::now();
      done = true;
      websocketpp::lib::error_code ignored;
      con->close(websocketpp::close::status::normal, "", ignored);
    }
  });
  ep.set_fail_handler([&](websocketpp::connection_hdl) { out.error = "connection failed: " + con->get_ec().message(); });
  websocketpp::lib::error_code ec;
  con = ep.get_connection(url, ec);
  if (ec) {
    out.error = "bad url: " + ec.message();
    return out;
  }
  ep.connect(con);
  const auto deadline = bench_clock::now() + timeout;
  while (!done && out.error.empty() && bench_clock::now() < deadline && !io.stopped())
    io.run_for(std::chrono::milliseconds(100));
  if (!done) {
    if (out.error.empty()) out.error = "timed out or the connection ended early";
    asio::error_code ignored;
    con->get_socket().close(ignored);
  }
  // Let the close handshake (or the cut socket) finish, within a bound.
  const auto drain_until = bench_clock::now() + std::chrono::seconds(2);
  while (!io.stopped() && bench_clock::now() < drain_until) io.run_for(std::chrono::milliseconds(50));
  if (!io.stopped()) {
    asio::error_code ignored;
    con->get_socket().close(ignored);
    io.run_for(std::chrono::milliseconds(100));
  }
  out.ok = done;
  out.seconds = std::chrono::duration<double>(t1 - t0).count();
  return out;
}

// ---- pipes ---------------------------------------------------------------------------------------

bool set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/// One pipe client run: `out` holds what to write first; `on_message(text, out)` per message may
/// append to `out` and returns true when the run is complete.
template <class OnMessage>
bare_result run_pipe(int read_fd, int write_fd, std::string out, std::chrono::milliseconds timeout,
                     OnMessage on_message) {
  bare_result res;
  if (!set_nonblocking(read_fd) || !set_nonblocking(write_fd)) {
    res.error = "fcntl failed";
    return res;
  }
  std::string in;
  in.reserve(1 << 20);
  std::size_t out_at = 0;
  std::vector<char> chunk(1 << 16);
  const auto t0 = bench_clock::now();
  const auto deadline = t0 + timeout;
  bool done = false;
  auto flush = [&]() -> bool {
    while (out_at < out.size()) {
      const ssize_t n = ::write(write_fd, out.data() + out_at, out.size() - out_at);
      if (n > 0) {
        out_at += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return true;
      } else {
        res.error = std::string("write: ") + std::strerror(errno);
        return false;
      }
    }
    out.clear();
    out_at = 0;
    return true;
  };
  if (!flush()) return res;
  while (!done) {
    if (bench_clock::now() >= deadline) {
      res.error = "timed out";
      return res;
    }
    pollfd fds[2] = {{read_fd, POLLIN, 0}, {write_fd, POLLOUT, 0}};
    const int nfds = out.size() > out_at ? 2 : 1;
    const int r = ::poll(fds, nfds, 100);
    if (r < 0 && errno != EINTR) {
      res.error = std::string("poll: ") + std::strerror(errno);
      return res;
    }
    if (r <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::read(read_fd, chunk.data(), chunk.size());
      if (n == 0) {
        res.error = "the mock closed the pipe";
        return res;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        res.error = std::string("read: ") + std::strerror(errno);
        return res;
      }
      if (n > 0) {
        in.append(chunk.data(), static_cast<std::size_t>(n));
        std::size_t at = 0;
        for (;;) {
          const std::size_t nul = in.find('\0', at);
          if (nul == std::string::npos) break;
          if (on_message(std::string_view(in).substr(at, nul - at), out)) {
            done = true;
            break;
          }
          at = nul + 1;
        }
        in.erase(0, at);
      }
    }
    if (!done && !flush()) return res;
  }
  res.ok = true;
  res.seconds = std::chrono::duration<double>(bench_clock::now() - t0).count();
  return res;
}

}  // namespace

bare_result bare_ws_requests(const std::string& url, std::uint64_t total, unsigned window,
                             std::chrono::milliseconds timeout) {
  json_reader reader;
  std::uint64_t next_id = 1, replies = 0;
  bool bad = false;
  auto send_next = [&](client_endpoint::connection_ptr& con) {
    (void)con->send(request_text(next_id++), websocketpp::frame::opcode::text);
  };
  bare_result r = run_ws(
      url, timeout,
      [&](client_endpoint::connection_ptr& con) {
        for (unsigned i = 0; i < window && next_id <= total; ++i) send_next(con);
      },
      [&](client_endpoint::connection_ptr& con, std::string_view text) {
        std::int64_t id;
        bool is_event;
        if (!reader.read(text, id, is_event) || id <= 0 || static_cast<std::uint64_t>(id) >= next_id) bad = true;
        if (++replies == total) return true;
        if (next_id <= total) send_next(con);
        return false;
      });
  r.replies = replies;
  if (bad) {
    r.ok = false;
    r.error = "a reply did not carry a valid id";
  }
  return r;
}

bare_result bare_ws_events(const std::string& url, std::uint64_t count, unsigned payload, const std::string& method,
                           std::chrono::milliseconds timeout) {
  json_reader reader;
  std::uint64_t events = 0;
  bool bad = false;
  bare_result r = run_ws(
      url, timeout,
      [&](client_endpoint::connection_ptr& con) {
        (void)con->send(emit_text(count, payload, method), websocketpp::frame::opcode::text);
      },
      [&](client_endpoint::connection_ptr&, std::string_view text) {
        std::int64_t id;
        bool is_event;
        if (!reader.read(text, id, is_event)) bad = true;
        if (is_event) ++events;
        return id == 1;
      });
  r.events = events;
  if (bad || events != count) {
    r.ok = false;
    if (r.error.empty()) r.error = "unreadable message or wrong event count (" + std::to_string(events) + ")";
  }
  return r;
}

bare_result bare_pipe_requests(int read_fd, int write_fd, std::uint64_t total, unsigned window,
                               std::chrono::milliseconds timeout) {
  json_reader reader;
  std::uint64_t next_id = 1, replies = 0;
  bool bad = false;
  std::string first;
  for (unsigned i = 0; i < window && next_id <= total; ++i) {
    first += request_text(next_id++);
    first.push_back('\0');
  }
  bare_result r = run_pipe(read_fd, write_fd, std::move(first), timeout, [&](std::string_view text, std::string& out) {
    std::int64_t id;
    bool is_event;
    if (!reader.read(text, id, is_event) || id <= 0 || static_cast<std::uint64_t>(id) >= next_id) bad = true;
    if (++replies == total) return true;
    if (next_id <= total) {
      out += request_text(next_id++);
      out.push_back('\0');
    }
    return false;
  });
  r.replies = replies;
  if (bad) {
    r.ok = false;
    r.error = "a reply did not carry a valid id";
  }
  return r;
}

bare_result bare_pipe_events(int read_fd, int write_fd, std::uint64_t count, unsigned payload,
                             const std::string& method, std::chrono::milliseconds timeout) {
  json_reader reader;
  std::uint64_t events = 0;
  bool bad = false;
  std::string first = emit_text(count, payload, method);
  first.push_back('\0');
  bare_result r = run_pipe(read_fd, write_fd, std::move(first), timeout, [&](std::string_view text, std::string&) {
    std::int64_t id;
    bool is_event;
    if (!reader.read(text, id, is_event)) bad = true;
    if (is_event) ++events;
    return id == 1;
  });
  r.events = events;
  if (bad || events != count) {
    r.ok = false;
    if (r.error.empty()) r.error = "unreadable message or wrong event count (" + std::to_string(events) + ")";
  }
  return r;
}

}  // namespace janus::bench
