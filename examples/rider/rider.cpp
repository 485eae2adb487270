// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "rider.hpp"

#include <strata/websocket/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <memory>

namespace rider {

using json = nlohmann::json;
namespace gateway = strata::gateway;

const std::vector<std::pair<double, double>>& demo_route()
{
    // Clockwise around a few blocks south of Market Street.
    static const std::vector<std::pair<double, double>> route = {
        {37.7793, -122.4193}, {37.7810, -122.4172}, {37.7826, -122.4151}, {37.7843, -122.4130},
        {37.7822, -122.4104}, {37.7801, -122.4078}, {37.7780, -122.4052}, {37.7763, -122.4073},
        {37.7746, -122.4094}, {37.7729, -122.4115}, {37.7750, -122.4141}, {37.7771, -122.4167},
    };
    return route;
}

std::string route_json()
{
    json points = json::array();
    for (auto& [lat, lng] : demo_route())
        points.push_back(json::array({lat, lng}));
    json j;
    j["driver"] = demo_driver;
    j["points"] = std::move(points);
    return j.dump();
}

gateway::service_handler location_service()
{
    return [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
        if (m.type == "location_update") {
            // Only a driver's own connection speaks for its position, and the
            // data goes on as the driver sent it.
            out.publish("driver/" + m.user + "/location", "driver_location", m.data);
        } else if (m.type == "route") {
            out.reply(m, "route", route_json());
        }
        co_return;
    };
}

gateway::service_handler messaging_service()
{
    return [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
        auto in = json::parse(m.data, nullptr, false);
        if (in.is_discarded() || !in.is_object() || !in.contains("to") || !in["to"].is_string() ||
            !in.contains("text") || !in["text"].is_string()) {
            out.reply_error(m, "bad_message", "rider_message needs data {\"to\": user, \"text\": string}");
            co_return;
        }
        auto to = in["to"].get<std::string>();
        auto text = in["text"].get<std::string>();
        if (text.empty() || text.size() > 2000) {
            out.reply_error(m, "bad_message", "text must be 1 to 2000 bytes");
            co_return;
        }
        json msg;
        msg["from"] = m.user; // the sender is who the gateway says, never what data claims
        msg["to"] = to;
        msg["text"] = text;
        auto body = msg.dump();
        out.push(to, "rider_message", body);
        if (to != m.user)
            out.push(m.user, "rider_message", body);
        co_return;
    };
}

gateway::service_handler chat_service()
{
    return [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
        auto in = json::parse(m.data, nullptr, false);
        if (in.is_discarded() || !in.is_object() || !in.contains("text") || !in["text"].is_string() ||
            in["text"].get<std::string>().empty()) {
            out.reply_error(m, "bad_message", "chat needs data {\"text\": string}");
            co_return;
        }
        json msg;
        msg["from"] = m.user;
        msg["text"] = in["text"];
        out.publish("chat/lobby", "chat", msg.dump());
        co_return;
    };
}

gateway::auth_result demo_authenticate(const strata::request& req)
{
    auto token = gateway::bearer_token(req);
    if (!token)
        return gateway::auth_result::refuse(401, "pass ?access_token=NAME (the demo's identities are names)");
    if (token->empty() || token->size() > 32)
        return gateway::auth_result::refuse(403, "a name is 1 to 32 characters");
    for (char c : *token)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            return gateway::auth_result::refuse(403, "a name is letters, digits, '-' and '_'");
    return gateway::auth_result::accept(*token);
}

bool demo_authorize_subscribe(std::string_view, std::string_view topic)
{
    constexpr std::string_view prefix = "driver/", suffix = "/location";
    if (topic == "chat/lobby")
        return true;
    return topic.size() > prefix.size() + suffix.size() && topic.substr(0, prefix.size()) == prefix &&
           topic.substr(topic.size() - suffix.size()) == suffix;
}

gateway::config demo_gateway_config()
{
    gateway::config cfg;
    cfg.authenticate = demo_authenticate;
    cfg.authorize_subscribe = demo_authorize_subscribe;
    return cfg;
}

// ---- the simulated driver --------------------------------------------------------

namespace {

constexpr int steps_per_leg = 4;

struct position {
    double lat, lng, heading;
};

position where(std::size_t step)
{
    auto& r = demo_route();
    auto leg = (step / steps_per_leg) % r.size();
    auto next = (leg + 1) % r.size();
    double f = static_cast<double>(step % steps_per_leg) / steps_per_leg;
    double lat = r[leg].first + (r[next].first - r[leg].first) * f;
    double lng = r[leg].second + (r[next].second - r[leg].second) * f;
    // Compass heading, flat-earth: fine over a few blocks.
    double dy = r[next].first - r[leg].first;
    double dx = (r[next].second - r[leg].second) * std::cos(lat * M_PI / 180);
    double heading = std::fmod(std::atan2(dx, dy) * 180 / M_PI + 360, 360);
    return {lat, lng, heading};
}

net::awaitable<void> pause(std::chrono::milliseconds d)
{
    net::steady_timer t{co_await net::this_coro::executor, d};
    strata::error_code ignored;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ignored));
}

} // namespace

net::awaitable<void> drive(driver_options opt)
{
    auto ex = co_await net::this_coro::executor;
    const auto steps = demo_route().size() * steps_per_leg;
    const std::size_t pickup = steps / 2;
    std::size_t step = 0;
    // Shared with the reader, which may outlive this frame by a moment.
    struct mailbox_cursor {
        std::uint64_t seq = 0;
        bool known = false;
    };
    auto cur = std::make_shared<mailbox_cursor>();
    auto delay = std::chrono::milliseconds(250);
    const strata::websocket::connect_config connect_cfg;
    while (!*opt.stop && (opt.laps == 0 || step < static_cast<std::size_t>(opt.laps) * steps)) {
        std::string url = opt.gateway_url + "?access_token=" + opt.user;
        if (cur->known)
            url += "&after=" + std::to_string(cur->seq);
        strata::error_code ec;
        auto ws = std::make_shared<strata::websocket::stream>(
            co_await strata::websocket::connect(ex, url, connect_cfg, ec));
        if (ec) {
            if (opt.verbose)
                std::fprintf(stderr, "driver: %s; retrying\n", ec.message().c_str());
            co_await pause(delay);
            delay = std::min(delay * 2, std::chrono::milliseconds(5000));
            continue;
        }
        delay = std::chrono::milliseconds(250);
        // The reader: the mailbox cursor, and riders' messages to answer.
        auto alive = std::make_shared<bool>(true);
        net::co_spawn(
            ex,
            [ws, alive, cur, opt]() -> net::awaitable<void> {
                for (;;) {
                    strata::error_code rec;
                    auto m = co_await ws->read(rec);
                    if (rec)
                        break;
                    auto j = json::parse(m.data, nullptr, false);
                    if (j.is_discarded() || !j.is_object())
                        continue;
                    auto type = j.value("type", "");
                    if (type == "welcome" && !cur->known) {
                        cur->seq = j["data"].value("seq", 0ull);
                        cur->known = true;
                    }
                    if (j.contains("seq") && !j.contains("topic")) {
                        cur->seq = j["seq"].get<std::uint64_t>();
                        cur->known = true;
                    }
                    if (type == "rider_message" && opt.answer_messages) {
                        auto from = j["data"].value("from", "");
                        if (from.empty() || from == opt.user)
                            continue;
                        if (opt.verbose)
                            std::printf("driver: %s says \"%s\"\n", from.c_str(),
                                        j["data"].value("text", "").c_str());
                        json reply;
                        reply["type"] = "rider_message";
                        reply["data"]["to"] = from;
                        reply["data"]["text"] = "On my way! Got your message: " + j["data"].value("text", "");
                        auto text = reply.dump();
                        co_await pause(std::chrono::milliseconds(800));
                        co_await ws->write(text, rec);
                    }
                }
                *alive = false;
            },
            net::detached);
        while (*alive && !*opt.stop && (opt.laps == 0 || step < static_cast<std::size_t>(opt.laps) * steps)) {
            auto p = where(step);
            json j;
            j["type"] = "location_update";
            j["data"]["lat"] = p.lat;
            j["data"]["lng"] = p.lng;
            j["data"]["heading"] = std::round(p.heading);
            auto to_pickup = (pickup + steps - step % steps) % steps;
            j["data"]["eta_s"] = to_pickup * opt.interval.count() / 1000;
            auto text = j.dump();
            co_await ws->write(text, ec);
            if (ec)
                break;
            ++step;
            co_await pause(opt.interval);
        }
        if (*alive) {
            co_await ws->close(1000, "shift over", ec);
            break;
        }
        if (*opt.stop)
            break;
    }
}

} // namespace rider
