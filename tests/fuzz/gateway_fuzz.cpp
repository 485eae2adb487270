// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// libFuzzer target for the gateway's envelope codec. The first byte picks
// client envelope or service link message and the size limit. Checks no
// correct codec can fail: what it accepts, an independent JSON parser
// (nlohmann-json) accepts too, with the same type and id; the data it hands
// back is a slice of the input and valid JSON on its own; and an envelope
// built from those parts parses back to the same parts.
#include <strata/gateway/envelope.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace strata;
using namespace strata::gateway;
using json = nlohmann::json;

#define check(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "gateway_fuzz.cpp:%d: check failed: %s\n", __LINE__, #cond);                \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)

bool inside(std::string_view part, const std::string& whole)
{
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void client_envelope(envelope_parser& p, std::string text)
{
    const std::string original = text;
    error_code ec;
    auto env = p.parse(text, ec);
    check(text == original); // parsing pads capacity, never content
    if (ec) {
        check(ec == error::bad_envelope || ec == error::too_big);
        return;
    }
    check(!env.type.empty());
    check(inside(env.data, text) || env.data == "null");
    check(env.id.empty() || inside(env.id, text));
    auto doc = json::parse(original, nullptr, false);
    check(!doc.is_discarded() && doc.is_object());
    check(doc.contains("type") && doc["type"].is_string() && doc["type"].get<std::string>() == env.type);
    auto data = json::parse(env.data, nullptr, false);
    check(!data.is_discarded());
    if (doc.contains("data"))
        check(data == doc["data"]);
    if (!env.id.empty()) {
        auto id = json::parse(env.id, nullptr, false);
        check(!id.is_discarded() && (id.is_string() || id.is_number()) && id == doc["id"]);
    }
    // Built back from its parts, it parses to the same parts.
    std::string type(env.type), raw_data(env.data), raw_id(env.id);
    std::string again;
    append_envelope(again, type, raw_data, raw_id);
    envelope_parser q;
    auto back = q.parse(again, ec);
    check(!ec);
    check(back.type == type && back.data == raw_data && back.id == raw_id);
}

void link_message_of(envelope_parser& p, std::string text)
{
    const std::string original = text;
    error_code ec;
    auto m = p.parse_link(text, ec);
    if (ec) {
        check(ec == error::bad_service_message || ec == error::too_big);
        return;
    }
    check(!m.op.empty());
    auto doc = json::parse(original, nullptr, false);
    check(!doc.is_discarded() && doc.is_object());
    if (!m.data.empty()) {
        check(inside(m.data, text));
        check(!json::parse(m.data, nullptr, false).is_discarded());
    }
    if (m.session)
        check(doc.contains("session") && doc["session"].is_number_unsigned());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const std::uint8_t mode = data[0];
    parser_config cfg;
    cfg.max_bytes = (mode & 0x40) ? 64 : 64 * 1024;
    envelope_parser p{cfg};
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (mode & 0x80)
        link_message_of(p, std::move(text));
    else
        client_envelope(p, std::move(text));
    return 0;
}
