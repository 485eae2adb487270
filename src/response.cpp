// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/response.hpp>

#include <boost/system/system_error.hpp>

#include <charconv>

namespace strata {

namespace {

std::span<const std::byte> as_bytes(std::string_view s) noexcept
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

void throw_if(const error_code& ec, const char* what)
{
    if (ec)
        throw boost::system::system_error(ec, what);
}

} // namespace

net::awaitable<void> response::send(http::status s, std::string_view body, std::string_view content_type,
                                    error_code& ec)
{
    if (started_) {
        ec = error::response_started;
        co_return;
    }
    // RFC 9110 §6.4.1, §8.6: 1xx, 204 and 304 have no content; a 304's
    // Content-Length would describe the 200 it stands for, so none is sent.
    auto code = http::to_underlying(s);
    bool no_content = code < 200 || code == 204 || code == 304;
    if (no_content && !body.empty()) {
        ec = error::body_not_allowed;
        co_return;
    }
    started_ = true;
    if (!no_content) {
        char digits[24];
        auto [end, _] = std::to_chars(digits, digits + sizeof digits, body.size());
        fields_.set("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
        if (!content_type.empty() && !fields_.contains("Content-Type"))
            fields_.add("Content-Type", content_type);
    }
    co_await stream_->write_head(http::to_underlying(s), fields_, as_bytes(body), true, ec);
    finished_ = true;
}

net::awaitable<void> response::send(http::status s, std::string_view body, std::string_view content_type)
{
    error_code ec;
    co_await send(s, body, content_type, ec);
    throw_if(ec, "strata::response::send");
}

net::awaitable<void> response::start(http::status s, error_code& ec)
{
    if (started_) {
        ec = error::response_started;
        co_return;
    }
    started_ = true;
    co_await stream_->write_head(http::to_underlying(s), fields_, {}, false, ec);
    if (ec)
        finished_ = true;
}

net::awaitable<void> response::start(http::status s)
{
    error_code ec;
    co_await start(s, ec);
    throw_if(ec, "strata::response::start");
}

// Only for a write that is not a plain next piece of body: the hot path of
// an event stream stays one call.
net::awaitable<void> response::begin_write(error_code& ec)
{
    if (!started_)
        co_await start(http::status::ok, ec);
    if (!ec && finished_)
        ec = error::stream_closed;
}

net::awaitable<void> response::write(std::span<const std::byte> bytes, error_code& ec)
{
    ec = {};
    if (!started_ || finished_) {
        co_await begin_write(ec);
        if (ec)
            co_return;
    }
    co_await stream_->write_body(bytes, false, ec);
}

net::awaitable<void> response::write(std::span<const net::const_buffer> pieces, error_code& ec)
{
    ec = {};
    if (!started_ || finished_) {
        co_await begin_write(ec);
        if (ec)
            co_return;
    }
    co_await stream_->write_body_pieces(pieces, ec);
}

net::awaitable<void> response::write(std::string_view text, error_code& ec)
{
    return write(as_bytes(text), ec);
}

net::awaitable<void> response::write(std::string_view text)
{
    error_code ec;
    co_await write(as_bytes(text), ec);
    throw_if(ec, "strata::response::write");
}

net::awaitable<void> response::finish(error_code& ec)
{
    if (!started_)
        co_await start(http::status::ok, ec);
    if (ec || finished_)
        co_return;
    finished_ = true;
    co_await stream_->write_body({}, true, ec);
}

net::awaitable<void> response::finish(const http::fields& trailers, error_code& ec)
{
    if (!started_)
        co_await start(http::status::ok, ec);
    if (ec || finished_)
        co_return;
    finished_ = true;
    co_await stream_->write_trailers(trailers, ec);
}

net::awaitable<void> response::finish()
{
    error_code ec;
    co_await finish(ec);
    throw_if(ec, "strata::response::finish");
}

} // namespace strata
