// Chromium's network: the actor keeping the request table from Network events
// (network_actor.hpp), and its backend.
#include "network_actor.hpp"

#include <janus/protocol/base64.hpp>
#include <janus/protocol/json_writer.hpp>

#include <algorithm>
#include <string_view>

namespace janus::domains {

namespace {

using protocol::json_value;
using detail::bool_of;
using detail::int_of;
using detail::num_of;
using detail::str_of;

header_list headers_of(const json_value& v) {
  header_list out;
  if (const auto* o = v.get_object()) {
    out.reserve(o->size());
    for (const auto& [k, val] : *o) {
      if (const std::string* s = val.get_string()) out.emplace_back(k, *s);
      else out.emplace_back(k, val.dump());
    }
  }
  return out;
}

void take_response(network_request& row, const json_value& r) {
  row.status = static_cast<int>(int_of(r["status"]));
  row.status_text = str_of(r["statusText"]);
  row.response_headers = headers_of(r["headers"]);
  row.mime_type = str_of(r["mimeType"]);
  row.protocol = str_of(r["protocol"]);
  if (const std::string* ip = r["remoteIPAddress"].get_string()) {
    row.remote_address = *ip;
    if (auto port = r["remotePort"].get_int()) row.remote_address += ":" + std::to_string(*port);
  }
  // A 304 revalidation arrives with fromDiskCache false: only what the browser took from its
  // caches counts as cached here.
  if (bool_of(r["fromDiskCache"]) || bool_of(r["fromPrefetchCache"])) row.from_cache = true;
  if (bool_of(r["fromServiceWorker"])) row.from_service_worker = true;
}

}  // namespace

network_actor::network_actor(rt::scheduler* sched, session::cdp_session session, network_options options)
    : domain_actor(*sched, std::move(session), detail::event_feed{"Network.*", nullptr, options.event_queue},
                   options.command_timeout),
      options_(options),
      last_activity_(rt::clock::now()),
      activity_(*sched) {
  if (options_.capacity == 0) options_.capacity = 1;
}

rt::task<void> network_actor::handle(pump p) {
  sub_ = &p.sub;
  for (;;) {
    rt::result<session::cdp_event> ev = co_await p.sub.next();
    if (!ev) {
      if (ev.code() == rt::errc::browser_exited) pump_error_ = ev.err();
      break;  // the connection is gone: nothing more will come
    }
    apply(*ev);
  }
  stats_.dropped = p.sub.dropped();
  sub_ = nullptr;
  pump_ended_ = true;
  (void)activity_.try_publish(0);
}

rt::task<rt::result<void>> network_actor::send_enable(rt::deadline until) {
  static constexpr detail::enable_command commands[] = {{"Network.enable", "{}"}};
  rt::result<void> outcome = co_await send_all(commands, until);
  if (outcome) last_activity_ = rt::clock::now();
  co_return outcome;
}

std::vector<network_request> network_actor::handle(get_requests) const {
  return std::vector<network_request>(rows_.begin(), rows_.end());
}

network_stats network_actor::handle(get_stats) const {
  network_stats s = stats_;
  s.rows = rows_.size();
  s.in_flight = in_flight_.size();
  s.next_seq = first_seq_ + rows_.size();
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

void network_actor::handle(clear) {
  first_seq_ += rows_.size();
  rows_.clear();
  latest_seq_.clear();
}

rt::task<rt::result<void>> network_actor::handle(wait_idle w) {
  rt::result<void> on = co_await enable_domain(w.until);
  if (!on) co_return on;
  // Subscribed before the first look at the state: an event applied while this handler is
  // suspended always leaves a wake-up behind.
  rt::subscription<int> wake = activity_.subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    if (pump_ended_) {
      if (pump_error_) co_return *pump_error_;
      co_return rt::error{rt::errc::disconnected, "the page's event stream ended while waiting for network idle"};
    }
    rt::time_point until = w.until.at();
    // Events already queued for the pump count as activity not yet seen.
    const bool queued = sub_ && sub_->queued() > 0;
    const rt::time_point now = rt::clock::now();
    rt::time_point next_change = rt::time_point::max();
    const std::size_t busy = busy_since(w.since, w.quiet, now, next_change);
    if (queued) until = std::min(until, now + std::chrono::milliseconds(20));
    else if (busy == 0) {
      const rt::time_point quiet_end = last_activity_ + w.quiet;
      if (now >= quiet_end) {
        if (in_flight_since(w.since) > 0) ++stats_.idle_unfinished;
        co_return rt::ok;
      }
      until = std::min(until, quiet_end);
    } else {
      until = std::min(until, next_change);  // a request stops counting then: look again
    }
    if (w.until.expired()) {
      std::string msg = "network not idle: " + std::to_string(busy) + " request(s) in flight";
      std::size_t shown = 0;
      for (const auto& [id, f] : in_flight_) {
        if (f.seq < w.since) continue;
        if (f.last + (f.responded ? w.quiet : options_.long_lived_after) <= now) continue;
        if (shown++ == 3) break;
        const network_request* row = latest(id);
        msg += shown == 1 ? ": " : ", ";
        msg += row ? row->url : id;
      }
      co_return rt::error{rt::errc::timeout, std::move(msg)};
    }
    (void)co_await wake.next(rt::deadline(until));
  }
}

std::size_t network_actor::in_flight_since(std::uint64_t since) const {
  std::size_t n = 0;
  for (const auto& [id, f] : in_flight_) n += f.seq >= since;
  return n;
}

std::size_t network_actor::busy_since(std::uint64_t since, std::chrono::milliseconds quiet, rt::time_point now,
                                      rt::time_point& next_change) const {
  std::size_t n = 0;
  for (const auto& [id, f] : in_flight_) {
    if (f.seq < since) continue;
    const rt::time_point stops = f.last + (f.responded ? quiet : options_.long_lived_after);
    if (stops <= now) continue;
    ++n;
    next_change = std::min(next_change, stops);
  }
  return n;
}

network_request* network_actor::latest(const std::string& request_id) {
  auto it = latest_seq_.find(request_id);
  if (it == latest_seq_.end() || it->second < first_seq_) return nullptr;
  return &rows_[static_cast<std::size_t>(it->second - first_seq_)];
}

network_request& network_actor::add_row(network_request row) {
  if (rows_.size() == options_.capacity) {
    auto it = latest_seq_.find(rows_.front().request_id);
    if (it != latest_seq_.end() && it->second == first_seq_) latest_seq_.erase(it);
    rows_.pop_front();
    ++first_seq_;
    ++stats_.evicted;
  }
  latest_seq_[row.request_id] = first_seq_ + rows_.size();
  rows_.push_back(std::move(row));
  ++stats_.requests;
  return rows_.back();
}

void network_actor::ended(const std::string& request_id, double) {
  if (in_flight_.erase(request_id)) touch();
}

void network_actor::touch() {
  last_activity_ = rt::clock::now();
  (void)activity_.try_publish(0);
}

void network_actor::apply(const session::cdp_event& ev) {
  rt::result<json_value> parsed = detail::params_of(ev);
  if (!parsed) {
    ++stats_.malformed;
    return;
  }
  const json_value& p = *parsed;
  const std::string_view m = ev.method();
  const std::string id = str_of(p["requestId"]);
  ++stats_.events;

  if (m == "Network.requestWillBeSent") {
    std::uint32_t hop = 0;
    const json_value& redirect = p["redirectResponse"];
    if (network_request* prev = latest(id); prev && redirect.is_object()) {
      take_response(*prev, redirect);
      prev->status_state = network_request::state::redirected;
      prev->end_time = num_of(p["timestamp"]);
      if (prev->response_time == 0) prev->response_time = prev->end_time;
      hop = prev->redirect_index + 1;
    } else if (redirect.is_object()) {
      // The first hop was pushed out (or cleared): keep counting hops from the table's view.
      hop = 1;
    }
    network_request row;
    row.request_id = id;
    row.redirect_index = hop;
    const json_value& req = p["request"];
    row.url = str_of(req["url"]);
    if (const std::string* frag = req["urlFragment"].get_string()) row.url += *frag;
    row.method = str_of(req["method"]);
    row.request_headers = headers_of(req["headers"]);
    row.resource_type = str_of(p["type"]);
    row.frame_id = str_of(p["frameId"]);
    row.loader_id = str_of(p["loaderId"]);
    row.start_time = num_of(p["timestamp"]);
    row.wall_time = num_of(p["wallTime"]);
    add_row(std::move(row));
    // A redirect hop keeps the sequence number its request started with.
    auto [f, fresh] = in_flight_.try_emplace(id, flight{first_seq_ + rows_.size() - 1, rt::clock::now(), false});
    if (!fresh) {
      f->second.last = rt::clock::now();
      f->second.responded = false;
    }
    touch();
    return;
  }

  network_request* row = latest(id);
  if (m == "Network.loadingFinished" || m == "Network.loadingFailed") {
    // Ending is tracked whether or not the row is still in the table: wait_idle depends on it.
    const bool was_in_flight = in_flight_.count(id) != 0;
    if (row) {
      row->end_time = num_of(p["timestamp"]);
      if (m == "Network.loadingFinished") {
        row->status_state = network_request::state::finished;
        row->encoded_data_length = int_of(p["encodedDataLength"], row->encoded_data_length);
      } else {
        row->status_state = network_request::state::failed;
        row->failure = str_of(p["errorText"]);
        row->canceled = bool_of(p["canceled"]);
        row->blocked_reason = str_of(p["blockedReason"]);
        if (row->resource_type.empty()) row->resource_type = str_of(p["type"]);
      }
    } else if (!was_in_flight) {
      ++stats_.unknown;
    }
    ended(id, num_of(p["timestamp"]));
    return;
  }
  if (!row) {
    if (m == "Network.responseReceived" || m == "Network.dataReceived" || m == "Network.requestServedFromCache")
      ++stats_.unknown;
    return;
  }
  if (m == "Network.responseReceived") {
    take_response(*row, p["response"]);
    row->response_time = num_of(p["timestamp"]);
    // The event's own timestamp is when the renderer got round to it, which can be after
    // loadingFinished's; the response's timing says when the headers actually arrived.
    const json_value& timing = p["response"]["timing"];
    if (timing.is_object() && num_of(timing["requestTime"]) > 0 && num_of(timing["receiveHeadersEnd"], -1) >= 0)
      row->response_time = num_of(timing["requestTime"]) + num_of(timing["receiveHeadersEnd"]) / 1000.0;
    if (const std::string* t = p["type"].get_string(); t && row->resource_type.empty()) row->resource_type = *t;
    if (row->status_state == network_request::state::pending) row->status_state = network_request::state::responded;
    if (auto f = in_flight_.find(id); f != in_flight_.end()) {
      f->second.responded = true;
      f->second.last = rt::clock::now();
    }
    touch();
  } else if (m == "Network.dataReceived") {
    row->data_length += int_of(p["dataLength"]);
    row->encoded_data_length += int_of(p["encodedDataLength"]);
    if (auto f = in_flight_.find(id); f != in_flight_.end()) f->second.last = rt::clock::now();
    touch();
  } else if (m == "Network.requestServedFromCache") {
    row->from_cache = true;
  }
}

// --- the CDP backend -----------------------------------------------------------------------------

network network::start(rt::scheduler& sched, session::cdp_session session, network_options options) {
  return over(detail::spawn_backend<cdp_network_backend, network_actor>(sched, "network", std::move(session), options));
}

namespace {

rt::task<rt::result<void>> enable_then(rt::actor_ref<network_actor> ref, rt::deadline d) {
  network_actor::enable en{d};
  co_return co_await ref.ask(std::move(en), d);
}

rt::task<rt::result<std::vector<network_request>>> ask_requests(rt::actor_ref<network_actor> ref, rt::deadline d) {
  network_actor::enable en{d};
  rt::result<void> on = co_await ref.ask(std::move(en), d);
  if (!on) co_return std::move(on).err();
  co_return co_await ref.ask(network_actor::get_requests{}, d);
}

rt::task<rt::result<network_stats>> ask_stats(rt::actor_ref<network_actor> ref, rt::deadline d) {
  network_actor::enable en{d};
  rt::result<void> on = co_await ref.ask(std::move(en), d);
  if (!on) co_return std::move(on).err();
  co_return co_await ref.ask(network_actor::get_stats{}, d);
}

rt::task<rt::result<std::size_t>> ask_in_flight(rt::actor_ref<network_actor> ref, rt::deadline d) {
  rt::result<network_stats> s = co_await ask_stats(std::move(ref), d);
  if (!s) co_return std::move(s).err();
  co_return s->in_flight;
}

rt::task<rt::result<void>> ask_clear(rt::actor_ref<network_actor> ref, rt::deadline d) {
  co_return co_await ref.ask(network_actor::clear{}, d);
}

rt::task<rt::result<void>> ask_wait_idle(rt::actor_ref<network_actor> ref, std::chrono::milliseconds quiet,
                                         std::uint64_t since, rt::deadline d) {
  network_actor::wait_idle w{quiet, d, since};
  // The handler answers timeout itself at `d`, with the requests still in flight in its message;
  // the ask's own deadline is a little later so that answer is the one the caller sees.
  const rt::deadline ask_until = d.is_never() ? d : rt::deadline(d.at() + std::chrono::milliseconds(500));
  co_return co_await ref.ask(std::move(w), ask_until);
}

rt::task<rt::result<fetched_body>> fetch_body(session::cdp_session session, std::string request_id,
                                               rt::deadline d) {
  protocol::json_writer w;
  w.begin_object();
  w.key("requestId");
  w.string(request_id);
  w.end_object();
  const std::string params = w.take();
  session::call_options co{.deadline = d, .cancel = {}};
  auto reply = co_await session.call("Network.getResponseBody", params, std::move(co));
  if (!reply) co_return std::move(reply).err();
  rt::result<json_value> v = json_value::parse(reply->payload());
  if (!v) co_return std::move(v).err();
  fetched_body out;
  out.was_base64 = bool_of((*v)["base64Encoded"]);
  if (out.was_base64) {
    rt::result<std::string> bytes = protocol::base64_decode(str_of((*v)["body"]));
    if (!bytes) co_return std::move(bytes).err();
    out.bytes = std::move(*bytes);
  } else {
    out.bytes = str_of((*v)["body"]);
  }
  co_return out;
}

// The latest hop of `request_id` in the table, for its headers.
rt::task<rt::result<header_list>> headers_from_table(rt::actor_ref<network_actor> ref, std::string request_id,
                                                     bool response, rt::deadline d) {
  rt::result<std::vector<network_request>> rows = co_await ask_requests(ref, d);
  if (!rows) co_return std::move(rows).err();
  for (auto it = rows->rbegin(); it != rows->rend(); ++it)
    if (it->request_id == request_id) co_return response ? std::move(it->response_headers) : std::move(it->request_headers);
  co_return rt::error{rt::errc::not_found, "network: no request " + request_id + " in the table"};
}

}  // namespace

rt::task<rt::result<void>> cdp_network_backend::enable(rt::deadline d) { return enable_then(ref_, d); }
rt::task<rt::result<std::vector<network_request>>> cdp_network_backend::requests(rt::deadline d) {
  return ask_requests(ref_, d);
}
rt::task<rt::result<network_stats>> cdp_network_backend::stats(rt::deadline d) { return ask_stats(ref_, d); }
rt::task<rt::result<std::size_t>> cdp_network_backend::in_flight(rt::deadline d) { return ask_in_flight(ref_, d); }
rt::task<rt::result<void>> cdp_network_backend::clear(rt::deadline d) { return ask_clear(ref_, d); }
rt::task<rt::result<void>> cdp_network_backend::wait_idle_since(std::chrono::milliseconds quiet, std::uint64_t since,
                                                                rt::deadline d) {
  return ask_wait_idle(ref_, quiet, since, d);
}
rt::task<rt::result<fetched_body>> cdp_network_backend::response_body(std::string request_id, rt::deadline d) {
  return fetch_body(session_, std::move(request_id), d);
}
rt::task<rt::result<header_list>> cdp_network_backend::request_headers(std::string request_id, rt::deadline d) {
  return headers_from_table(ref_, std::move(request_id), false, d);
}
rt::task<rt::result<header_list>> cdp_network_backend::response_headers(std::string request_id, rt::deadline d) {
  return headers_from_table(ref_, std::move(request_id), true, d);
}

}  // namespace janus::domains
