// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/sse/event_source.hpp>

#include <boost/asio/redirect_error.hpp>

#include <algorithm>
#include <cctype>

namespace strata::sse {

namespace {

constexpr std::size_t read_chunk = 16 * 1024;

// The media type without parameters, compared case-insensitively (RFC 9110 §8.3.1).
bool is_event_stream(std::string_view content_type) noexcept
{
    auto semi = content_type.find(';');
    auto type = content_type.substr(0, semi);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    constexpr std::string_view want = "text/event-stream";
    return type.size() == want.size() &&
           std::equal(type.begin(), type.end(), want.begin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

} // namespace

event_source::event_source(client& c, std::string url, source_config cfg)
    : client_(c), url_(std::move(url)), cfg_(std::move(cfg)), parser_(cfg_.parser), timer_(c.get_executor())
{
    if (!cfg_.last_event_id.empty()) {
        // Seed the parser's last event ID as if the stream had said it.
        std::string seed = "id:" + cfg_.last_event_id + "\n\n";
        parser_.handle_bytes(seed);
    }
}

event_source::~event_source()
{
    close();
}

std::chrono::milliseconds event_source::reconnection_time() const noexcept
{
    return parser_.reconnection_time().value_or(cfg_.reconnect_delay);
}

void event_source::close()
{
    if (state_ == ready_state::closed && !canceller_)
        return;
    state_ = ready_state::closed;
    if (canceller_)
        canceller_->cancel();
    timer_.cancel();
    // The stream must go back to its pool (an HTTP/2 or HTTP/3 connection
    // stays busy while it is held); a read in progress lets go of it itself.
    if (!reading_)
        res_ = client_response{};
}

net::awaitable<bool> event_source::sleep(std::chrono::milliseconds d)
{
    timer_.expires_after(d);
    error_code ignored;
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ignored));
    co_return state_ != ready_state::closed;
}

// One connection attempt. False with `fatal` set: the source is closed.
net::awaitable<bool> event_source::connect(error_code& fatal)
{
    client_request req;
    req.url = url_;
    req.fields = cfg_.fields;
    req.fields.set("Accept", "text/event-stream");
    req.fields.set("Cache-Control", "no-cache");
    if (!parser_.last_event_id().empty())
        req.fields.set("Last-Event-ID", parser_.last_event_id());
    if (cfg_.idle_timeout.count() > 0)
        req.body_timeout = cfg_.idle_timeout;
    canceller_ = std::make_shared<request_canceller>();
    req.canceller = canceller_;
    error_code ec;
    auto res = co_await client_.request(std::move(req), ec);
    if (state_ == ready_state::closed)
        co_return false;
    if (ec) {
        last_error_ = ec;
        co_return false;
    }
    last_status_ = res.status();
    version_ = res.version();
    // HTML §9.2.3: anything but 200 text/event-stream fails the connection
    // for good (a 204 is how a server says "stop").
    if (res.status() != 200) {
        fatal = error::bad_status;
        co_return false;
    }
    if (!is_event_stream(res.header("Content-Type").value_or(""))) {
        fatal = error::bad_content_type;
        co_return false;
    }
    res_ = std::move(res);
    parser_.reset_stream();
    buffered_ = offset_ = 0;
    state_ = ready_state::open;
    ++connections_;
    failures_ = 0;
    co_return true;
}

net::awaitable<event> event_source::next(error_code& ec)
{
    ec = {};
    for (;;) {
        if (fatal_) {
            ec = fatal_;
            co_return event{};
        }
        if (state_ == ready_state::closed) {
            res_ = client_response{};
            ec = strata::error::shutting_down;
            co_return event{};
        }
        if (auto ev = parser_.poll_event())
            co_return std::move(*ev);
        if (offset_ < buffered_) {
            // The parser paused with events queued: feed the rest now that they are taken.
            offset_ += parser_.handle_bytes(
                std::span<const std::byte>{buffer_.data() + offset_, buffered_ - offset_});
            continue;
        }
        if (!res_) {
            if (attempts_++ > 0) {
                // The reconnection time; doubled for each attempt in a row
                // that failed before the stream opened.
                auto wait = reconnection_time();
                for (unsigned i = 0; i < std::min(failures_, 16u); ++i)
                    wait = std::min(wait * 2, std::max(cfg_.max_reconnect_delay, reconnection_time()));
                state_ = ready_state::connecting;
                if (!co_await sleep(wait))
                    continue;
            }
            error_code fatal;
            if (!co_await connect(fatal)) {
                if (fatal) {
                    fatal_ = fatal;
                    last_error_ = fatal;
                    state_ = ready_state::closed;
                }
                ++failures_;
                continue;
            }
        }
        if (buffer_.empty())
            buffer_.resize(read_chunk);
        error_code rec;
        reading_ = true;
        auto n = co_await res_.read_some(net::buffer(buffer_.data(), buffer_.size()), rec);
        reading_ = false;
        if (state_ == ready_state::closed)
            continue;
        if (rec || n == 0) {
            // The stream ended or broke: what was not dispatched is dropped
            // (HTML §9.2.6), and the source reconnects.
            parser_.handle_eof();
            last_error_ = rec ? rec : error_code{strata::error::stream_closed};
            res_ = client_response{};
            canceller_.reset();
            state_ = ready_state::connecting;
            continue;
        }
        buffered_ = n;
        offset_ = parser_.handle_bytes(std::span<const std::byte>{buffer_.data(), n});
        if (parser_.failed()) {
            // A line or event over the limits: drop this connection, try again.
            last_error_ = parser_.error();
            res_ = client_response{};
            canceller_.reset();
            buffered_ = offset_ = 0;
            ++failures_;
            state_ = ready_state::connecting;
        }
    }
}

net::awaitable<event> event_source::next()
{
    error_code ec;
    auto ev = co_await next(ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::sse::event_source::next");
    co_return ev;
}

net::awaitable<std::pair<error_code, event>> event_source::next_for_token()
{
    error_code ec;
    auto ev = co_await next(ec);
    co_return std::pair{ec, std::move(ev)};
}

} // namespace strata::sse
