// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What a service sees and what it may do, the same whether it runs inside
// the gateway's process (gateway::hub) or in a process of its own
// (gateway::service_link): a service written once runs either way.

#include <strata/config.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace strata::gateway {

/// A client connection to the gateway, unique for the gateway's lifetime.
using session_id = std::uint64_t;

/// A client's envelope as a service gets it, stamped with who sent it.
struct incoming {
    std::string type;
    std::string data; ///< JSON text, as the client wrote it
    std::string id;   ///< JSON token of the envelope's id; empty when it had none
    std::string user; ///< the identity the authentication hook gave the connection
    session_id session = 0;
};

/// Every action is a message, in order, to the gateway: none waits and none
/// fails here. What cannot be done (a session gone, a topic refused) is
/// dropped and counted by the gateway.
class outbox {
public:
    virtual ~outbox() = default;
    /// To one connection; `id` correlates it with a request.
    virtual void send(session_id to, std::string_view type, std::string_view data,
                      std::string_view id = {}) = 0;
    /// To every connection of `user`, through the user's mailbox topic: a
    /// connection that drops and resumes with after=N misses none of them.
    virtual void push(std::string_view user, std::string_view type, std::string_view data) = 0;
    /// To the subscribers of `topic`.
    virtual void publish(std::string_view topic, std::string_view type, std::string_view data) = 0;
    /// Subscribes a connection to a topic (no authorization hook: the service decides).
    virtual void subscribe(session_id s, std::string_view topic, std::optional<std::uint64_t> after = {}) = 0;
    virtual void unsubscribe(session_id s, std::string_view topic) = 0;
    /// An error envelope to one connection.
    virtual void fail(session_id to, std::string_view code, std::string_view reason,
                      std::string_view for_type = {}, std::string_view id = {}) = 0;

    /// The answer to `m`, with its id.
    void reply(const incoming& m, std::string_view type, std::string_view data)
    {
        send(m.session, type, data, m.id);
    }
    void reply_error(const incoming& m, std::string_view code, std::string_view reason)
    {
        fail(m.session, code, reason, m.type, m.id);
    }
};

/// A service's handler for one message. Messages of a service are handled
/// one at a time, in arrival order: a service that wants concurrency spawns.
using service_handler = std::function<net::awaitable<void>(outbox& out, const incoming& m)>;

} // namespace strata::gateway
