// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The one event vocabulary every codec emits (DESIGN.md "One codec shape").
// Events are plain structs; views point into the codec's own input buffer and
// stay valid until the next call that feeds or polls the codec.

#include <strata/config.hpp>
#include <strata/http/version.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

namespace strata::http {

/// HTTP/2 and HTTP/3 stream ids; HTTP/1.1 numbers its exchanges 1, 3, 5, ...
/// the way an HTTP/2 client would, so logs read alike.
using stream_id = std::int64_t;

/// A header field as it appeared on the wire: the name keeps the peer's case.
struct field_view {
    std::string_view name;
    std::string_view value;
};

/// A request head (server role) or a final response head (client role).
struct headers {
    stream_id stream = 0;
    version ver = version::http1_1;
    std::string_view method;    ///< requests only
    std::string_view target;    ///< requests only: origin-, absolute-, authority- or asterisk-form
    std::string_view scheme;    ///< requests only; empty on HTTP/1.1 origin-form
    std::string_view authority; ///< requests only; Host on HTTP/1.1, :authority on h2/h3
    std::string_view protocol;  ///< requests only: :protocol of an extended CONNECT (RFC 8441, RFC 9220)
    unsigned status = 0;        ///< responses only
    std::string_view reason;    ///< responses only, HTTP/1.x
    std::span<const field_view> fields;
    bool end_stream = false;          ///< no body follows
    bool expect_continue = false;     ///< request carried `Expect: 100-continue`
    bool keep_alive = true;           ///< the connection may carry another exchange after this one
    bool upgrade = false;             ///< request asks to switch protocols / extended CONNECT
    std::int64_t content_length = -1; ///< -1 when the length is not known in advance
};

/// A piece of a message body.
struct data {
    stream_id stream = 0;
    std::span<const std::byte> bytes;
    bool end_stream = false;
};

/// Trailer fields; they always end the stream.
struct trailers {
    stream_id stream = 0;
    std::span<const field_view> fields;
};

/// A 1xx response other than 101.
struct informational {
    stream_id stream = 0;
    unsigned status = 100;
    std::span<const field_view> fields;
};

/// The peer abandoned one stream (RST_STREAM, HTTP/3 stream reset).
struct reset {
    stream_id stream = 0;
    error_code code;
};

/// The peer will open no stream above `last_stream`.
struct goaway {
    stream_id last_stream = 0;
    error_code code;
};

/// The peer's settings changed (HTTP/2, HTTP/3).
struct settings {
    std::uint32_t max_concurrent_streams = 0;
    bool enable_connect_protocol = false;
};

/// The connection switched protocols (HTTP/1.1 101). `trailing` holds the
/// bytes read after the 101 head: they belong to the next protocol.
struct upgrade {
    stream_id stream = 0;
    std::span<const std::byte> trailing;
};

using event = std::variant<headers, data, trailers, informational, reset, goaway, settings, upgrade>;

} // namespace strata::http
