// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/gateway/envelope.hpp>

#include "../detail/json.hpp"

#include <simdjson.h>

#include <charconv>

namespace strata::gateway {

namespace od = simdjson::ondemand;

struct envelope_parser::impl {
    parser_config cfg;
    // On-demand parsing checks only what it reads: a value it skips, or
    // the punctuation between values, may be wrong and still pass. The
    // DOM parser validates the whole text first (and bounds its depth), so
    // every slice handed on is valid JSON.
    simdjson::dom::parser validator;
    od::parser routing;   // the keys that route
    std::string type_buf; // `type` unescaped, alive until the next parse

    bool valid(const std::string& text)
    {
        return validator.parse(text.data(), text.size(), false).error() == simdjson::SUCCESS;
    }

    /// The top-level object of `text`: too_big past the limit, `malformed`
    /// when it is not valid JSON or not an object.
    bool open(std::string& text, od::document& doc, od::object& obj, error malformed, error_code& ec);
};

namespace {

bool is_space(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim_right(std::string_view s) noexcept
{
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

/// Makes room for the bytes simdjson may read past the end.
void pad(std::string& text)
{
    if (text.capacity() - text.size() < envelope_parser::parse_padding)
        text.reserve(text.size() + envelope_parser::parse_padding);
}

/// The JSON text of a value: containers whole, scalars as their token.
bool raw_value(od::value v, std::string_view& out)
{
    od::json_type t;
    if (v.type().get(t))
        return false;
    if (t == od::json_type::object) {
        od::object obj;
        return !v.get_object().get(obj) && !obj.raw_json().get(out);
    }
    if (t == od::json_type::array) {
        od::array arr;
        return !v.get_array().get(arr) && !arr.raw_json().get(out);
    }
    out = trim_right(v.raw_json_token());
    return !out.empty();
}

bool get_string(od::value v, std::string_view& out)
{
    return !v.get_string().get(out);
}

bool get_uint(od::value v, std::optional<std::uint64_t>& out)
{
    std::uint64_t n = 0;
    if (v.get_uint64().get(n))
        return false;
    out = n;
    return true;
}

} // namespace

envelope_parser::envelope_parser(parser_config cfg) : impl_(std::make_unique<impl>())
{
    impl_->cfg = cfg;
    // The parsers' capacity bounds what they allocate: the largest text we accept.
    // Failing here (out of memory) leaves them to allocate at the first parse.
    if (impl_->routing.allocate(cfg.max_bytes + 1, cfg.max_depth + 2) != simdjson::SUCCESS ||
        impl_->validator.allocate(cfg.max_bytes + 1, cfg.max_depth + 2) != simdjson::SUCCESS)
        return;
}

envelope_parser::~envelope_parser() = default;

bool envelope_parser::impl::open(std::string& text, od::document& doc, od::object& obj, error malformed,
                                 error_code& ec)
{
    if (text.size() > cfg.max_bytes) {
        ec = error::too_big;
        return false;
    }
    pad(text);
    if (!valid(text) ||
        routing.iterate(simdjson::padded_string_view(text.data(), text.size(), text.capacity())).get(doc) ||
        doc.get_object().get(obj)) {
        ec = malformed;
        return false;
    }
    return true;
}

envelope envelope_parser::parse(std::string& text, error_code& ec)
{
    ec = {};
    envelope env;
    od::document doc;
    od::object obj;
    if (!impl_->open(text, doc, obj, error::bad_envelope, ec))
        return env;
    bool seen_type = false, seen_data = false, seen_id = false;
    for (auto field : obj) {
        std::string_view key;
        od::value v;
        if (field.unescaped_key().get(key) || field.value().get(v)) {
            ec = error::bad_envelope;
            return env;
        }
        if (key == "type") {
            std::string_view type;
            if (seen_type || !get_string(v, type) || type.empty()) {
                ec = error::bad_envelope;
                return env;
            }
            seen_type = true;
            impl_->type_buf.assign(type);
        } else if (key == "data") {
            if (seen_data || !raw_value(v, env.data)) {
                ec = error::bad_envelope;
                return env;
            }
            seen_data = true;
        } else if (key == "id") {
            od::json_type t;
            if (seen_id || v.type().get(t) || (t != od::json_type::string && t != od::json_type::number)) {
                ec = error::bad_envelope;
                return env;
            }
            seen_id = true;
            env.id = trim_right(v.raw_json_token());
        } else {
            // Unknown keys are ignored: later versions may add some.
            std::string_view raw;
            if (!raw_value(v, raw)) {
                ec = error::bad_envelope;
                return env;
            }
        }
    }
    const char* at = nullptr;
    if (!seen_type || doc.current_location().get(at) == simdjson::SUCCESS) {
        ec = error::bad_envelope;
        return env;
    }
    if (!seen_data)
        env.data = "null";
    env.type = impl_->type_buf;
    return env;
}

link_message envelope_parser::parse_link(std::string& text, error_code& ec)
{
    auto m = parse_fields(text, ec);
    if (!ec && m.op.empty()) {
        ec = error::bad_service_message;
        return {};
    }
    return m;
}

link_message envelope_parser::parse_fields(std::string& text, error_code& ec)
{
    ec = {};
    link_message m;
    auto bad = [&] {
        ec = error::bad_service_message;
        return link_message{};
    };
    od::document doc;
    od::object obj;
    if (!impl_->open(text, doc, obj, error::bad_service_message, ec))
        return m;
    // Strings the parser unescaped live in its buffer until the next parse;
    // ids and data are views into `text`.
    for (auto field : obj) {
        std::string_view key;
        od::value v;
        if (field.unescaped_key().get(key) || field.value().get(v))
            return bad();
        bool ok = true;
        if (key == "op")
            ok = get_string(v, m.op);
        else if (key == "service")
            ok = get_string(v, m.service);
        else if (key == "type")
            ok = get_string(v, m.type) && !m.type.empty();
        else if (key == "user")
            ok = get_string(v, m.user);
        else if (key == "topic")
            ok = get_string(v, m.topic);
        else if (key == "code")
            ok = get_string(v, m.code);
        else if (key == "reason")
            ok = get_string(v, m.reason);
        else if (key == "for")
            ok = get_string(v, m.for_type);
        else if (key == "session")
            ok = get_uint(v, m.session);
        else if (key == "after")
            ok = get_uint(v, m.after);
        else if (key == "data")
            ok = raw_value(v, m.data);
        else if (key == "id") {
            od::json_type t;
            ok = !v.type().get(t) && (t == od::json_type::string || t == od::json_type::number);
            if (ok)
                m.id = trim_right(v.raw_json_token());
        } else if (key == "types") {
            od::array arr;
            ok = !v.get_array().get(arr);
            if (ok)
                for (auto item : arr) {
                    std::string_view s;
                    if (item.get_string().get(s) || s.empty()) {
                        ok = false;
                        break;
                    }
                    m.types.emplace_back(s);
                }
        } else {
            std::string_view raw;
            ok = raw_value(v, raw);
        }
        if (!ok)
            return bad();
    }
    const char* at = nullptr;
    if (doc.current_location().get(at) == simdjson::SUCCESS)
        return bad();
    return m;
}

void append_json_string(std::string& out, std::string_view s)
{
    detail::json::append_string(out, s);
}

void append_envelope(std::string& out, std::string_view type, std::string_view data, std::string_view id,
                     std::string_view topic, std::uint64_t seq)
{
    out += "{\"type\":";
    append_json_string(out, type);
    out += ",\"data\":";
    out += data.empty() ? std::string_view("null") : data;
    if (!id.empty()) {
        out += ",\"id\":";
        out += id;
    }
    if (!topic.empty()) {
        out += ",\"topic\":";
        append_json_string(out, topic);
    }
    if (seq != 0) {
        char digits[24];
        auto r = std::to_chars(digits, digits + sizeof digits, seq);
        out += ",\"seq\":";
        out.append(digits, r.ptr);
    }
    out += '}';
}

std::string error_envelope(std::string_view code, std::string_view reason, std::string_view for_type,
                           std::string_view id)
{
    std::string out = "{\"type\":\"error\",\"data\":{\"code\":";
    append_json_string(out, code);
    out += ",\"reason\":";
    append_json_string(out, reason);
    if (!for_type.empty()) {
        out += ",\"for\":";
        append_json_string(out, for_type);
    }
    out += '}';
    if (!id.empty()) {
        out += ",\"id\":";
        out += id;
    }
    out += '}';
    return out;
}

link_writer::link_writer(std::string_view op)
{
    out_ = "{\"op\":";
    append_json_string(out_, op);
}

void link_writer::key(std::string_view k)
{
    out_ += ",\"";
    out_ += k; // our own keys: plain ASCII
    out_ += "\":";
}

link_writer& link_writer::str(std::string_view k, std::string_view value)
{
    key(k);
    append_json_string(out_, value);
    return *this;
}

link_writer& link_writer::num(std::string_view k, std::uint64_t value)
{
    key(k);
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof digits, value);
    out_.append(digits, r.ptr);
    return *this;
}

link_writer& link_writer::raw(std::string_view k, std::string_view json, bool or_null)
{
    if (json.empty() && !or_null)
        return *this;
    key(k);
    out_ += json.empty() ? std::string_view("null") : json;
    return *this;
}

std::string link_writer::done()
{
    out_ += '}';
    return std::move(out_);
}

} // namespace strata::gateway
