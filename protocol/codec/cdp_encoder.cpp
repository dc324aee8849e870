#include "janus/protocol/cdp_codec.hpp"

namespace janus::protocol {

void cdp_encode_command(json_writer& w, std::int64_t id, std::string_view method, std::string_view params_json,
                        std::string_view session_id) {
  w.begin_object();
  w.key("id");
  w.number(id);
  w.key("method");
  w.string(method);
  if (!params_json.empty()) {
    w.key("params");
    w.raw(params_json);
  }
  if (!session_id.empty()) {
    w.key("sessionId");
    w.string(session_id);
  }
  w.end_object();
}

}  // namespace janus::protocol
