// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/config.hpp>

#include "quic_glue.hpp"

namespace strata::detail {

bool bind_http3_streams(http3::connection& codec, quic::detail::connection& quic)
{
    if (quic.uni_streams_left() < 3)
        return false;
    error_code ec;
    auto control = quic.open_uni_stream(ec);
    auto encoder = ec ? -1 : quic.open_uni_stream(ec);
    auto decoder = ec ? -1 : quic.open_uni_stream(ec);
    if (!ec)
        codec.bind_local_streams(control, encoder, decoder, ec);
    if (ec) {
        quic.close(static_cast<std::uint64_t>(http3::error::internal_error));
        return false;
    }
    return true;
}

void apply_http3_actions(http3::connection& codec, quic::detail::connection& quic)
{
    while (auto c = codec.poll_credit())
        quic.extend_credit(c->stream, c->bytes);
    while (auto a = codec.poll_stream_action()) {
        if (a->kind == http3::stream_action::reset_stream)
            quic.reset_stream(a->stream, a->code);
        else
            quic.stop_sending(a->stream, a->code);
    }
    if (auto err = codec.error(); err && !quic.closed())
        quic.close(static_cast<std::uint64_t>(err.value()));
}

} // namespace strata::detail
