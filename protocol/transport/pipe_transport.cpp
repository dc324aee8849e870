#include <janus/protocol/pipe_transport.hpp>

#include "owning_transport.hpp"
#include "stream_session.hpp"

#include <asio/posix/stream_descriptor.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <limits.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

namespace janus::protocol {
namespace {

// write() to a pipe with no reader raises SIGPIPE, which kills the process by default. Ignoring it
// process-wide would change the host application's behaviour (and every child it spawns), so the
// signal is blocked on this thread for the duration of the write and, if the write raised it,
// consumed before unblocking. An EPIPE error is all that remains.
ssize_t writev_without_sigpipe(int fd, const iovec* iov, int count) {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  const ssize_t n = ::writev(fd, iov, count);
  const int saved = errno;
  if (n < 0 && saved == EPIPE && !already_pending) {
    const timespec zero{};
    while (sigtimedwait(&pipe_only, nullptr, &zero) == -1 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

/// The streams policy of stream_session for a pair of descriptors.
class pipe_streams {
 public:
  pipe_streams(asio::posix::stream_descriptor in, asio::posix::stream_descriptor out)
      : in_(std::move(in)), out_(std::move(out)) {}

  asio::posix::stream_descriptor& reader() { return in_; }
  void after_read() {}

  // asio's own descriptor writes would raise SIGPIPE, so writing is done here: writev on the
  // non-blocking descriptor, waiting for writability whenever the pipe is full.
  template <class Handler>
  void async_write(std::span<const asio::const_buffer> buffers, Handler&& handler) {
    iov_.clear();
    for (const asio::const_buffer& b : buffers) iov_.push_back({const_cast<void*>(b.data()), b.size()});
    next_ = 0;
    write_loop(std::forward<Handler>(handler), true);
  }

  void close() {
    asio::error_code ignored;
    out_.close(ignored);  // first, so the browser sees EOF on its input
    in_.close(ignored);
  }

 private:
  template <class Handler>
  void write_loop(Handler handler, bool initiating) {
    while (next_ < iov_.size()) {
      const int count = static_cast<int>(std::min<std::size_t>(iov_.size() - next_, IOV_MAX));
      const ssize_t n = writev_without_sigpipe(out_.native_handle(), iov_.data() + next_, count);
      if (n >= 0) {
        advance(static_cast<std::size_t>(n));
        continue;
      }
      const int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        out_.async_wait(asio::posix::stream_descriptor::wait_write,
                        [this, h = std::move(handler)](const asio::error_code& ec) mutable {
                          if (ec) h(ec);
                          else write_loop(std::move(h), false);
                        });
        return;
      }
      complete(std::move(handler), asio::error_code(e, asio::system_category()), initiating);
      return;
    }
    complete(std::move(handler), asio::error_code(), initiating);
  }

  // Completing inside async_write itself would re-enter the session's write path; defer it then.
  template <class Handler>
  void complete(Handler handler, asio::error_code ec, bool initiating) {
    if (initiating) asio::post(out_.get_executor(), [h = std::move(handler), ec]() mutable { h(ec); });
    else handler(ec);
  }

  void advance(std::size_t n) {
    while (n > 0) {
      iovec& v = iov_[next_];
      if (n < v.iov_len) {
        v.iov_base = static_cast<char*>(v.iov_base) + n;
        v.iov_len -= n;
        return;
      }
      n -= v.iov_len;
      ++next_;
    }
    while (next_ < iov_.size() && iov_[next_].iov_len == 0) ++next_;
  }

  asio::posix::stream_descriptor in_;
  asio::posix::stream_descriptor out_;
  std::vector<iovec> iov_;
  std::size_t next_ = 0;
};

}  // namespace

rt::result<std::shared_ptr<transport>> open_pipe_transport(asio::io_context& io, int read_fd, int write_fd,
                                                           std::shared_ptr<transport_handler> handler,
                                                           const pipe_options& options) {
  asio::posix::stream_descriptor in(io);
  asio::posix::stream_descriptor out(io);
  asio::error_code ec;
  if (in.assign(read_fd, ec); ec) {
    ::close(read_fd);
    ::close(write_fd);
    return rt::error{rt::errc::invalid_argument, "pipe transport: cannot use read fd " + std::to_string(read_fd) +
                                                     ": " + ec.message()};
  }
  if (out.assign(write_fd, ec); ec) {
    ::close(write_fd);
    return rt::error{rt::errc::invalid_argument, "pipe transport: cannot use write fd " +
                                                     std::to_string(write_fd) + ": " + ec.message()};
  }
  if (out.non_blocking(true, ec); ec) {
    return rt::error{rt::errc::invalid_argument, "pipe transport: cannot make write fd " +
                                                     std::to_string(write_fd) + " non-blocking: " + ec.message()};
  }
  auto session = std::make_shared<detail::stream_session<pipe_streams>>(
      io, pipe_streams(std::move(in), std::move(out)), make_nul_framer(), options.limits, options.close_timeout,
      "the pipe peer");
  session->start(std::move(handler));
  return detail::make_owning(std::move(session));
}

}  // namespace janus::protocol
