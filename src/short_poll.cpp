// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/short_poll.hpp>

#include <boost/asio/redirect_error.hpp>

#include <algorithm>

namespace strata {

short_poller::short_poller(client& c, std::string url, short_poll_config cfg)
    : client_(c), url_(std::move(url)), cfg_(std::move(cfg)), timer_(c.get_executor())
{}

void short_poller::stop()
{
    stopped_ = true;
    timer_.cancel();
}

net::awaitable<bool> short_poller::sleep(std::chrono::milliseconds d)
{
    timer_.expires_after(d);
    error_code ec;
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
    co_return !stopped_;
}

net::awaitable<poll_update> short_poller::next(error_code& ec)
{
    ec = {};
    auto backoff = cfg_.interval;
    bool first = !delivered_ && requests_ == 0;
    for (;;) {
        if (stopped_ || (!first && !co_await sleep(backoff))) {
            ec = error::shutting_down;
            co_return poll_update{};
        }
        first = false;
        client_request req;
        req.url = url_;
        req.fields = cfg_.fields;
        if (!etag_.empty())
            req.fields.set("If-None-Match", etag_);
        ++requests_;
        error_code rec;
        auto res = co_await client_.request(std::move(req), rec);
        std::string body;
        if (!rec)
            body = co_await res.body(rec);
        last_status_ = rec ? 0 : res.status();
        if (rec || res.status() >= 500) {
            ++errors_;
            last_error_ = rec;
            backoff = std::min(backoff * 2, cfg_.max_backoff);
            continue;
        }
        last_error_ = {};
        backoff = cfg_.interval;
        if (res.status() == 304) {
            ++not_modified_;
            continue;
        }
        std::string etag{res.header("ETag").value_or("")};
        // A server that ignores If-None-Match still answers 200: compare
        // what came back, so only changes are delivered.
        if (delivered_ && etag == etag_ && body == last_body_)
            continue;
        etag_ = etag;
        last_body_ = body;
        delivered_ = true;
        co_return poll_update{res.status(), std::move(body), std::move(etag), res.fields()};
    }
}

net::awaitable<std::pair<error_code, poll_update>> short_poller::next_for_token()
{
    error_code ec;
    auto u = co_await next(ec);
    co_return std::pair{ec, std::move(u)};
}

} // namespace strata
