// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The gateway's codec, sans-I/O: envelopes from clients and service link
// messages in, envelopes out (README.md beside this file has the protocol).
// Parsing is simdjson's on-demand parser, kept inside src/: it reads only
// the keys that route (`type`, `id`, the link's `op`...) and hands `data`
// back as the sender's own bytes, which the gateway forwards unchanged. A
// second pass checks that those bytes are valid JSON before anything
// forwards them, so a receiver never gets a broken envelope from a sender.

#include <strata/config.hpp>
#include <strata/gateway/error.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::gateway {

/// A client's envelope: views into the text it was parsed from and into the
/// parser, valid until the parser's next parse.
struct envelope {
    std::string_view type; ///< unescaped, never empty
    std::string_view data; ///< the JSON text of `data` as sent; "null" when absent
    std::string_view id;   ///< the JSON token of `id` as sent, quotes included; empty when absent
};

/// A service link message. Which fields an op needs is in README.md.
struct link_message {
    std::string_view op, service, type, data, id, user, topic, code, reason, for_type;
    std::optional<std::uint64_t> session, after;
    std::vector<std::string> types; ///< hello: the types the service handles
};

struct parser_config {
    /// Larger texts fail with error::too_big before they are parsed.
    std::size_t max_bytes = 64 * 1024;
    /// Nesting deeper than this inside `data` is bad_envelope.
    std::size_t max_depth = 64;
};

/// Reusable: one per connection or per thread, never shared between threads.
class envelope_parser {
public:
    explicit envelope_parser(parser_config cfg = {});
    ~envelope_parser();
    envelope_parser(const envelope_parser&) = delete;
    envelope_parser& operator=(const envelope_parser&) = delete;

    /// Parses one envelope. The parser reads a few bytes past the end of the
    /// text, so `text` may gain capacity (not size); pass a string that
    /// already has parse_padding spare bytes to avoid a copy.
    envelope parse(std::string& text, error_code& ec);
    link_message parse_link(std::string& text, error_code& ec);
    /// The same keys in any JSON object, without an `op` (a built-in's data).
    link_message parse_fields(std::string& text, error_code& ec);

    static constexpr std::size_t parse_padding = 64;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Appends {"type":T,"data":D[,"id":I][,"topic":P][,"seq":N]}: `type` and
/// `topic` are escaped, `data` and `id` are JSON texts inserted as they are
/// (empty `data` is null). seq 0 is left out.
void append_envelope(std::string& out, std::string_view type, std::string_view data, std::string_view id = {},
                     std::string_view topic = {}, std::uint64_t seq = 0);

/// {"type":"error","data":{"code":C,"reason":R[,"for":T]}[,"id":I]}.
std::string error_envelope(std::string_view code, std::string_view reason, std::string_view for_type = {},
                           std::string_view id = {});
inline std::string error_envelope(error e, std::string_view for_type = {}, std::string_view id = {})
{
    return error_envelope(code_name(e), make_error_code(e).message(), for_type, id);
}

/// Appends `s` as a JSON string literal (RFC 8259 §7).
void append_json_string(std::string& out, std::string_view s);

/// Builds one service link message: {"op":OP,"key":value,...}. `raw`
/// inserts a JSON text as it is (empty: left out, or null with `or_null`).
class link_writer {
public:
    explicit link_writer(std::string_view op);
    link_writer& str(std::string_view key, std::string_view value);
    link_writer& num(std::string_view key, std::uint64_t value);
    link_writer& raw(std::string_view key, std::string_view json, bool or_null = false);
    /// The message; the writer is spent.
    std::string done();

private:
    void key(std::string_view k);
    std::string out_;
};

} // namespace strata::gateway
