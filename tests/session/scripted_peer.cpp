#include "scripted_peer.hpp"

#include <stdexcept>

namespace janus::session::test {

namespace {

std::string field(const std::string& text, const std::string& name, bool object) {
  const std::string key = "\"" + name + "\":";
  const auto at = text.find(key);
  if (at == std::string::npos) return {};
  std::size_t i = at + key.size();
  if (object) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t j = i; j < text.size(); ++j) {
      const char c = text[j];
      if (in_string) {
        if (c == '\\') ++j;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      else if (c == '{' || c == '[') ++depth;
      else if ((c == '}' || c == ']') && --depth == 0) return text.substr(i, j - i + 1);
    }
    return {};
  }
  if (text[i] == '"') {
    const auto end = text.find('"', i + 1);
    return text.substr(i + 1, end - i - 1);
  }
  std::size_t end = i;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '-')) ++end;
  return text.substr(i, end - i);
}

}  // namespace

command parse_command(const std::string& text) {
  command c;
  c.id = std::stoll(field(text, "id", false));
  c.method = field(text, "method", false);
  c.params = field(text, "params", true);
  c.session_id = field(text, "sessionId", false);
  return c;
}

std::string reply_for(const command& c, const std::string& result_json) {
  std::string out = "{\"id\":" + std::to_string(c.id) + ",\"result\":" + result_json;
  if (!c.session_id.empty()) out += ",\"sessionId\":\"" + c.session_id + "\"";
  out += '}';
  return out;
}

class scripted_peer::handler final : public protocol::transport_handler {
 public:
  handler(scripted_peer& peer, std::weak_ptr<protocol::websocket_connection> conn) : peer_(peer), conn_(std::move(conn)) {}
  void on_message(std::string&& message) override {
    if (auto c = conn_.lock()) peer_.f_(c, parse_command(message));
  }
  void on_closed(rt::error) override {}

 private:
  scripted_peer& peer_;
  std::weak_ptr<protocol::websocket_connection> conn_;
};

scripted_peer::scripted_peer(on_command f) : f_(std::move(f)) {
  protocol::websocket_server_options o;
  // Tests send bursts from the peer's io thread, which cannot wait for its own queue to drain.
  o.limits.max_queued_messages = std::size_t{1} << 22;
  o.limits.max_queued_bytes = std::size_t{1} << 30;
  o.on_accept = [this](const std::shared_ptr<protocol::websocket_connection>& c) {
    {
      std::lock_guard lk(mu_);
      conns_.push_back(c);
    }
    accepted_.fetch_add(1);
    return std::make_shared<handler>(*this, c);
  };
  auto s = protocol::websocket_server::listen(io_.io, std::move(o));
  if (!s) throw std::runtime_error(s.err().what());
  server_ = std::move(*s);
}

scripted_peer::~scripted_peer() {
  server_->stop();
  io_.run([] { return 0; });  // let the stop run before the io thread goes
}

std::vector<std::shared_ptr<protocol::websocket_connection>> scripted_peer::connections() const {
  std::lock_guard lk(mu_);
  return conns_;
}

}  // namespace janus::session::test
