// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/long_poll/poller.hpp>

#include "../detail/json.hpp"

#include <boost/asio/redirect_error.hpp>

#include <algorithm>

namespace strata::long_poll {

namespace {

// The handler's answer: {"next":N,"missed":M,"events":[{"id":..,"type":..,"data":..},...]}.
std::optional<batch> parse_batch(std::string_view body)
{
    auto doc = detail::json::parse(body);
    if (!doc || !doc->is_object())
        return std::nullopt;
    batch b;
    auto* next = doc->find("next");
    auto* events = doc->find("events");
    if (!next || !next->uint() || !events || !events->items())
        return std::nullopt;
    b.next = *next->uint();
    if (auto* missed = doc->find("missed"); missed && missed->uint())
        b.missed = *missed->uint();
    for (auto& item : *events->items()) {
        auto* id = item.find("id");
        auto* data = item.find("data");
        if (!id || !id->uint() || !data || !data->string())
            return std::nullopt;
        event e;
        e.id = *id->uint();
        e.data = *data->string();
        if (auto* type = item.find("type"); type && type->string())
            e.type = *type->string();
        b.events.push_back(std::move(e));
    }
    return b;
}

} // namespace

poller::poller(client& c, std::string url, poller_config cfg)
    : client_(c), url_(std::move(url)), cfg_(std::move(cfg)), timer_(c.get_executor()), cursor_(cfg_.since)
{}

poller::~poller()
{
    stop();
}

void poller::stop()
{
    stopped_ = true;
    if (canceller_)
        canceller_->cancel();
    timer_.cancel();
}

net::awaitable<bool> poller::sleep(std::chrono::milliseconds d)
{
    timer_.expires_after(d);
    error_code ignored;
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ignored));
    co_return !stopped_;
}

net::awaitable<batch> poller::next(error_code& ec)
{
    ec = {};
    auto backoff = cfg_.initial_backoff;
    for (;;) {
        if (stopped_) {
            ec = error::shutting_down;
            co_return batch{};
        }
        client_request req;
        req.url = url_;
        if (cursor_) {
            req.url += url_.find('?') == std::string::npos ? '?' : '&';
            req.url += cfg_.cursor_param + '=' + std::to_string(*cursor_);
        }
        req.fields = cfg_.fields;
        req.fields.set("Accept", "application/json");
        req.response_timeout = cfg_.response_timeout;
        canceller_ = std::make_shared<request_canceller>();
        req.canceller = canceller_;
        ++requests_;
        error_code rec;
        auto res = co_await client_.request(std::move(req), rec);
        std::string body;
        if (!rec && !stopped_)
            body = co_await res.body(rec);
        canceller_.reset();
        if (stopped_)
            continue;
        std::optional<batch> b;
        if (!rec && res.status() == 200)
            b = parse_batch(body);
        if (!b) {
            ++errors_;
            last_error_ = rec ? rec : error_code{error::unsupported};
            if (!co_await sleep(backoff))
                continue;
            backoff = std::min(backoff * 2, cfg_.max_backoff);
            continue;
        }
        last_error_ = {};
        backoff = cfg_.initial_backoff;
        // A server whose cursor is behind ours started a new log (it was
        // restarted): its ids begin again, so ours means nothing there.
        if (cursor_ && b->next < *cursor_) {
            cursor_.reset();
            b->reset = true;
        }
        // Exactly once: whatever a server sends again is not delivered again.
        if (cursor_)
            std::erase_if(b->events, [&](const event& e) { return e.id <= *cursor_; });
        if (!b->events.empty())
            cursor_ = b->events.back().id;
        else if (!cursor_ || b->missed > 0)
            cursor_ = b->next; // the first answer, or a gap, sets where we are
        if (b->events.empty() && b->missed == 0 && !b->reset)
            continue; // the hold passed with nothing new: ask again
        b->next = *cursor_;
        co_return std::move(*b);
    }
}

net::awaitable<batch> poller::next()
{
    error_code ec;
    auto b = co_await next(ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::long_poll::poller::next");
    co_return b;
}

net::awaitable<std::pair<error_code, batch>> poller::next_for_token()
{
    error_code ec;
    auto b = co_await next(ec);
    co_return std::pair{ec, std::move(b)};
}

} // namespace strata::long_poll
