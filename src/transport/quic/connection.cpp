// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/config.hpp>

#include "connection.hpp"

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/version.h>

#include <gnutls/crypto.h>

#include <algorithm>
#include <cstring>

#if NGTCP2_VERSION_NUM < 0x000c00 || NGTCP2_VERSION_NUM >= 0x000d00
#error "strata's QUIC transport is written for ngtcp2 0.12 (Debian bookworm's libngtcp2-dev)"
#endif

namespace strata::quic::detail {

std::uint64_t to_tstamp(clock::time_point t) noexcept
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

void random_bytes(std::span<std::uint8_t> out) noexcept
{
    // GNUTLS_RND_RANDOM: unpredictable, for ids, tokens and secrets.
    if (gnutls_rnd(GNUTLS_RND_RANDOM, out.data(), out.size()) != 0)
        std::abort();
}

namespace {

constexpr std::size_t scid_length = 18;

clock::time_point from_tstamp(std::uint64_t ts) noexcept
{
    if (ts == UINT64_MAX)
        return clock::time_point::max();
    return clock::time_point{std::chrono::duration_cast<clock::duration>(std::chrono::nanoseconds{ts})};
}

ngtcp2_addr to_addr(const net::ip::udp::endpoint& ep)
{
    ngtcp2_addr a{};
    a.addr = const_cast<ngtcp2_sockaddr*>(reinterpret_cast<const ngtcp2_sockaddr*>(ep.data()));
    a.addrlen = static_cast<ngtcp2_socklen>(ep.size());
    return a;
}

net::ip::udp::endpoint from_addr(const ngtcp2_addr& a, const net::ip::udp::endpoint& fallback)
{
    if (a.addr == nullptr || a.addrlen == 0)
        return fallback;
    net::ip::udp::endpoint ep;
    if (a.addrlen > ep.capacity())
        return fallback;
    std::memcpy(ep.data(), a.addr, a.addrlen);
    ep.resize(a.addrlen);
    return ep;
}

ngtcp2_path to_path(const path& p)
{
    ngtcp2_path np{};
    np.local = to_addr(p.local);
    np.remote = to_addr(p.remote);
    return np;
}

error_code from_liberr(int rv)
{
    switch (rv) {
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
        return make_error_code(error::handshake_timeout);
    case NGTCP2_ERR_IDLE_CLOSE:
        return make_error_code(error::idle_timeout);
    case NGTCP2_ERR_VERSION_NEGOTIATION_FAILURE:
    case NGTCP2_ERR_RECV_VERSION_NEGOTIATION:
        return make_error_code(error::version_negotiation_failed);
    default:
        return error_code{static_cast<int>(ngtcp2_err_infer_quic_transport_error_code(rv)),
                          error_category_instance()};
    }
}

} // namespace

struct connection::impl {
    ngtcp2_conn* conn = nullptr;
    std::unique_ptr<tls_session> tls;
    ngtcp2_crypto_conn_ref ref{};
    application* app = nullptr;
    cid_registry* registry = nullptr;
    void* route = nullptr;
    std::vector<std::uint8_t> secret;
    std::vector<std::uint8_t> odcid;
    path current;
    bool server = false;
    bool closing = false;  // we sent CONNECTION_CLOSE
    bool draining = false; // the peer did, or the connection timed out
    bool close_written = false;
    std::vector<std::byte> close_packet;
    clock::time_point deadline = clock::time_point::max();
    close_reason reason;
    ngtcp2_connection_close_error ccerr{};
    // client
    std::function<void(resumption)> on_resumption;
    resumption saved;
    bool have_ticket = false;
    bool early_attempted = false;
    clock::time_point last_received{};
    std::vector<ngtcp2_vec> vecs;
    // A packet written for another path than the batch's (the peer's
    // address changed): sent first by the next write().
    std::vector<std::byte> held;
    path held_path;

    ~impl()
    {
        if (conn)
            ngtcp2_conn_del(conn);
    }

    static impl& of(void* user_data) { return *static_cast<impl*>(user_data); }

    void fail(int liberr)
    {
        if (closing || draining)
            return;
        if (liberr == NGTCP2_ERR_CRYPTO)
            ngtcp2_connection_close_error_set_transport_error_tls_alert(
                &ccerr, ngtcp2_conn_get_tls_alert(conn), nullptr, 0);
        else
            ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
        reason.application = false;
        reason.code = ccerr.error_code;
        if (!reason.local) {
            if (liberr == NGTCP2_ERR_CRYPTO && tls && !server) {
                if (auto v = tls->verify_result())
                    reason.local = v;
            }
            if (!reason.local)
                reason.local = from_liberr(liberr);
        }
        closing = true;
    }

    void drain(clock::time_point now)
    {
        if (draining)
            return;
        draining = true;
        closing = false;
        ngtcp2_connection_close_error peer{};
        ngtcp2_conn_get_connection_close_error(conn, &peer);
        if (!reason.local) {
            reason.application = peer.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION;
            reason.code = peer.error_code;
            if (!reason.application && peer.error_code != NGTCP2_NO_ERROR)
                reason.local = error_code{static_cast<int>(peer.error_code), error_category_instance()};
        }
        deadline = now + std::chrono::nanoseconds{3 * ngtcp2_conn_get_pto(conn)};
    }

    void notify_resumption()
    {
        if (!on_resumption || !have_ticket)
            return;
        on_resumption(saved);
    }

    // ---- ngtcp2 callbacks ---------------------------------------------------

    static int on_recv_stream_data(ngtcp2_conn*, uint32_t flags, int64_t s, uint64_t, const uint8_t* data,
                                   size_t len, void* ud, void*)
    {
        auto& self = of(ud);
        if (self.app)
            self.app->on_stream_data(s, {reinterpret_cast<const std::byte*>(data), len},
                                     (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0,
                                     (flags & NGTCP2_STREAM_DATA_FLAG_EARLY) != 0);
        return 0;
    }
    static int on_acked(ngtcp2_conn*, int64_t s, uint64_t, uint64_t len, void* ud, void*)
    {
        auto& self = of(ud);
        if (self.app)
            self.app->on_acked(s, len);
        return 0;
    }
    static int on_stream_close(ngtcp2_conn* conn, uint32_t flags, int64_t s, uint64_t code, void* ud, void*)
    {
        auto& self = of(ud);
        // RFC 9000 §4.6: a stream the peer opened is done, so it may open
        // another. ngtcp2 0.12 leaves that credit (MAX_STREAMS) to the
        // application; without it a peer gets max_streams_* streams per
        // connection, ever.
        // Request streams (bidirectional) are granted by the application
        // once their handler finished too (grant_bidi_stream), so a peer
        // that resets its requests at once cannot pile up handlers.
        if (!ngtcp2_conn_is_local_stream(conn, s) && !ngtcp2_is_bidi_stream(s))
            ngtcp2_conn_extend_max_streams_uni(conn, 1);
        if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
            code = 0x100; // H3_NO_ERROR is what HTTP/3 reads as "closed normally"
        if (self.app)
            self.app->on_stream_close(s, code);
        return 0;
    }
    static int on_stream_reset(ngtcp2_conn*, int64_t s, uint64_t, uint64_t code, void* ud, void*)
    {
        auto& self = of(ud);
        if (self.app)
            self.app->on_stream_reset(s, code);
        return 0;
    }
    static int on_extend_max_stream_data(ngtcp2_conn*, int64_t s, uint64_t, void* ud, void*)
    {
        auto& self = of(ud);
        if (self.app)
            self.app->on_stream_writable(s);
        return 0;
    }
    static int on_extend_max_local_streams(ngtcp2_conn*, uint64_t, void* ud)
    {
        auto& self = of(ud);
        if (self.app)
            self.app->on_streams_available();
        return 0;
    }
    static void on_rand(uint8_t* dest, size_t len, const ngtcp2_rand_ctx*) { random_bytes({dest, len}); }
    static int on_new_cid(ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token, size_t len, void* ud)
    {
        auto& self = of(ud);
        random_bytes({cid->data, len});
        cid->datalen = len;
        if (ngtcp2_crypto_generate_stateless_reset_token(token, self.secret.data(), self.secret.size(),
                                                         cid) != 0)
            return NGTCP2_ERR_CALLBACK_FAILURE;
        if (self.registry)
            self.registry->add_cid({cid->data, cid->datalen}, self.route);
        return 0;
    }
    static int on_remove_cid(ngtcp2_conn*, const ngtcp2_cid* cid, void* ud)
    {
        auto& self = of(ud);
        if (self.registry)
            self.registry->remove_cid({cid->data, cid->datalen});
        return 0;
    }
    static int on_handshake_completed(ngtcp2_conn* conn, void* ud)
    {
        auto& self = of(ud);
        if (self.server) {
            // NEW_TOKEN (RFC 9000 §8.1.3): the client's next connection skips
            // address validation.
            std::array<std::uint8_t, NGTCP2_CRYPTO_MAX_REGULAR_TOKENLEN> token{};
            const auto& remote = self.current.remote;
            auto n = ngtcp2_crypto_generate_regular_token(
                token.data(), self.secret.data(), self.secret.size(),
                reinterpret_cast<const ngtcp2_sockaddr*>(remote.data()),
                static_cast<ngtcp2_socklen>(remote.size()), to_tstamp(clock::now()));
            if (n > 0)
                ngtcp2_conn_submit_new_token(conn, token.data(), static_cast<size_t>(n));
        } else {
            // ngtcp2 0.12's GnuTLS helper never reports a refused 0-RTT (its
            // BoringSSL and picotls helpers do): the application must, so
            // that ngtcp2 drops the early streams and limits (RFC 9001 §4.6.2).
            if (self.early_attempted && self.tls && !self.tls->early_data_accepted() &&
                ngtcp2_conn_early_data_rejected(conn) != 0)
                return NGTCP2_ERR_CALLBACK_FAILURE;
            const auto* p = ngtcp2_conn_get_remote_transport_params(conn);
            if (p) {
                self.saved.initial_max_streams_bidi = p->initial_max_streams_bidi;
                self.saved.initial_max_streams_uni = p->initial_max_streams_uni;
                self.saved.initial_max_stream_data_bidi_local = p->initial_max_stream_data_bidi_local;
                self.saved.initial_max_stream_data_bidi_remote = p->initial_max_stream_data_bidi_remote;
                self.saved.initial_max_stream_data_uni = p->initial_max_stream_data_uni;
                self.saved.initial_max_data = p->initial_max_data;
                self.saved.active_connection_id_limit = p->active_connection_id_limit;
            }
        }
        if (self.app)
            self.app->on_handshake_completed();
        return 0;
    }
    static int on_new_token(ngtcp2_conn*, const ngtcp2_vec* token, void* ud)
    {
        auto& self = of(ud);
        self.saved.token.assign(token->base, token->base + token->len);
        self.notify_resumption();
        return 0;
    }
    static int on_early_data_rejected(ngtcp2_conn*, void* ud)
    {
        auto& self = of(ud);
        if (self.app)
            self.app->on_early_data_rejected();
        return 0;
    }
    static ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref)
    {
        return static_cast<impl*>(ref->user_data)->conn;
    }

    void fill_callbacks(ngtcp2_callbacks& cb)
    {
        cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
        cb.encrypt = ngtcp2_crypto_encrypt_cb;
        cb.decrypt = ngtcp2_crypto_decrypt_cb;
        cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
        cb.update_key = ngtcp2_crypto_update_key_cb;
        cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
        cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
        cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
        cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
        cb.recv_stream_data = on_recv_stream_data;
        cb.acked_stream_data_offset = on_acked;
        cb.stream_close = on_stream_close;
        cb.stream_reset = on_stream_reset;
        // No stream_stop_sending: ngtcp2 calls it when *we* stop reading a
        // stream, not when the peer sends STOP_SENDING (ngtcp2 answers that
        // itself with RESET_STREAM; a later write finds the stream shut:
        // on_write_shutdown). Taking ours for the peer's made the HTTP/3
        // codec reset a response it had just completed, after the RFC 9114
        // §4.1.1 STOP_SENDING(H3_NO_ERROR), so its last bytes could be lost.
        cb.extend_max_stream_data = on_extend_max_stream_data;
        cb.extend_max_local_streams_bidi = on_extend_max_local_streams;
        cb.rand = on_rand;
        cb.get_new_connection_id = on_new_cid;
        cb.remove_connection_id = on_remove_cid;
        cb.handshake_completed = on_handshake_completed;
    }
};

namespace {

void fill_settings(ngtcp2_settings& s, const config& cfg, clock::time_point now)
{
    ngtcp2_settings_default(&s);
    s.initial_ts = to_tstamp(now);
    s.cc_algo = NGTCP2_CC_ALGO_CUBIC;
    s.max_tx_udp_payload_size = cfg.max_udp_payload;
    s.max_window = cfg.max_connection_window;
    s.max_stream_window = cfg.max_stream_window;
    s.handshake_timeout = static_cast<ngtcp2_duration>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.handshake_timeout).count());
}

void fill_params(ngtcp2_transport_params& p, const config& cfg)
{
    ngtcp2_transport_params_default(&p);
    p.initial_max_stream_data_bidi_local = cfg.stream_window;
    p.initial_max_stream_data_bidi_remote = cfg.stream_window;
    p.initial_max_stream_data_uni = cfg.stream_window;
    p.initial_max_data = cfg.connection_window;
    p.initial_max_streams_bidi = cfg.max_streams_bidi;
    p.initial_max_streams_uni = cfg.max_streams_uni;
    p.max_idle_timeout = static_cast<ngtcp2_duration>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.idle_timeout).count());
    p.active_connection_id_limit = 7;
}

} // namespace

connection::connection() : impl_{std::make_unique<impl>()} {}
connection::~connection() = default;

std::unique_ptr<connection> connection::make_server(const config& cfg, const path& p, const server_params& sp,
                                                    clock::time_point now, error_code& ec)
{
    std::unique_ptr<connection> c{new connection};
    auto& im = *c->impl_;
    im.server = true;
    im.current = p;
    im.last_received = now;
    im.registry = sp.registry;
    im.route = sp.route;
    im.secret.assign(sp.static_secret.begin(), sp.static_secret.end());
    const auto& hd = *sp.initial;
    im.odcid.assign(hd.dcid.data, hd.dcid.data + hd.dcid.datalen);

    ngtcp2_callbacks cb{};
    im.fill_callbacks(cb);
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
    ngtcp2_settings settings;
    fill_settings(settings, cfg, now);
    if (sp.address_validated)
        settings.token = hd.token; // the address is proven: lift the amplification limit
    ngtcp2_transport_params params;
    fill_params(params, cfg);
    if (sp.original_dcid) {
        // Retried: the original id comes from the token, and the id the
        // client now uses is the one our Retry gave it.
        ngtcp2_cid_init(&params.original_dcid, sp.original_dcid->data(), sp.original_dcid->size());
        params.retry_scid = hd.dcid;
        params.retry_scid_present = 1;
    } else {
        params.original_dcid = hd.dcid;
    }
    ngtcp2_cid scid;
    scid.datalen = scid_length;
    random_bytes({scid.data, scid.datalen});
    if (ngtcp2_crypto_generate_stateless_reset_token(params.stateless_reset_token, im.secret.data(),
                                                     im.secret.size(), &scid) != 0) {
        ec = make_error_code(error::internal_error);
        return nullptr;
    }
    params.stateless_reset_token_present = 1;

    auto np = to_path(p);
    int rv = ngtcp2_conn_server_new(&im.conn, &hd.scid, &scid, &np, hd.version, &cb, &settings, &params,
                                    nullptr, &im);
    if (rv != 0) {
        ec = from_liberr(rv);
        return nullptr;
    }
    im.ref.get_conn = &impl::get_conn;
    im.ref.user_data = &im;
    im.tls = sp.tls->new_session(&im.ref, ec);
    if (ec)
        return nullptr;
    ngtcp2_conn_set_tls_native_handle(im.conn, im.tls->native_handle());
    if (im.registry)
        im.registry->add_cid({scid.data, scid.datalen}, im.route);
    return c;
}

std::unique_ptr<connection> connection::make_client(const config& cfg, const path& p, client_params cp,
                                                    clock::time_point now, error_code& ec)
{
    std::unique_ptr<connection> c{new connection};
    auto& im = *c->impl_;
    im.current = p;
    im.last_received = now;
    im.secret.resize(32);
    random_bytes(im.secret);
    im.on_resumption = std::move(cp.on_resumption);

    ngtcp2_callbacks cb{};
    im.fill_callbacks(cb);
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
    cb.recv_new_token = &impl::on_new_token;
    cb.early_data_rejected = &impl::on_early_data_rejected;
    ngtcp2_settings settings;
    fill_settings(settings, cfg, now);
    if (cp.resume && !cp.resume->token.empty()) {
        settings.token.base = const_cast<uint8_t*>(cp.resume->token.data());
        settings.token.len = cp.resume->token.size();
    }
    ngtcp2_transport_params params;
    fill_params(params, cfg);
    ngtcp2_cid dcid, scid;
    dcid.datalen = scid_length;
    random_bytes({dcid.data, dcid.datalen});
    scid.datalen = scid_length;
    random_bytes({scid.data, scid.datalen});
    auto np = to_path(p);
    int rv = ngtcp2_conn_client_new(&im.conn, &dcid, &scid, &np, NGTCP2_PROTO_VER_V1, &cb, &settings, &params,
                                    nullptr, &im);
    if (rv != 0) {
        ec = from_liberr(rv);
        return nullptr;
    }
    if (cfg.keep_alive.count() > 0)
        ngtcp2_conn_set_keep_alive_timeout(
            im.conn, static_cast<ngtcp2_duration>(
                         std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.keep_alive).count()));
    im.ref.get_conn = &impl::get_conn;
    im.ref.user_data = &im;
    session_ticket ticket;
    if (cp.resume && cfg.enable_early_data)
        ticket = cp.resume->ticket;
    impl* self = &im;
    im.tls = cp.tls->new_session(
        &im.ref, cp.host, ticket,
        [self](session_ticket t) {
            self->saved.ticket = std::move(t);
            self->have_ticket = true;
            self->notify_resumption();
        },
        ec);
    if (ec)
        return nullptr;
    ngtcp2_conn_set_tls_native_handle(im.conn, im.tls->native_handle());
    if (!ticket.empty()) {
        im.early_attempted = true;
        // The limits the server gave last time bound what 0-RTT may send
        // (RFC 9000 §7.4.1).
        ngtcp2_transport_params early;
        ngtcp2_transport_params_default(&early);
        early.initial_max_streams_bidi = cp.resume->initial_max_streams_bidi;
        early.initial_max_streams_uni = cp.resume->initial_max_streams_uni;
        early.initial_max_stream_data_bidi_local = cp.resume->initial_max_stream_data_bidi_local;
        early.initial_max_stream_data_bidi_remote = cp.resume->initial_max_stream_data_bidi_remote;
        early.initial_max_stream_data_uni = cp.resume->initial_max_stream_data_uni;
        early.initial_max_data = cp.resume->initial_max_data;
        early.active_connection_id_limit = cp.resume->active_connection_id_limit;
        ngtcp2_conn_set_early_remote_transport_params(im.conn, &early);
    }
    return c;
}

void connection::set_application(application* app) noexcept
{
    impl_->app = app;
}

void connection::handle_datagram(const path& p, std::span<const std::byte> bytes, clock::time_point now)
{
    auto& im = *impl_;
    if (im.draining)
        return;
    if (im.closing) {
        // RFC 9000 §10.2.1: answer packets in the closing period with the
        // same CONNECTION_CLOSE, which write() sends again.
        im.close_written = false;
        return;
    }
    auto np = to_path(p);
    ngtcp2_pkt_info pi{};
    int rv = ngtcp2_conn_read_pkt(im.conn, &np, &pi, reinterpret_cast<const uint8_t*>(bytes.data()),
                                  bytes.size(), to_tstamp(now));
    im.last_received = now;
    if (rv == 0)
        return;
    if (rv == NGTCP2_ERR_DRAINING) {
        im.drain(now);
        return;
    }
    if (rv == NGTCP2_ERR_DROP_CONN) {
        im.draining = true;
        im.reason.local = make_error_code(error::stateless_reset);
        im.deadline = now;
        return;
    }
    if (rv == NGTCP2_ERR_RETRY || rv == NGTCP2_ERR_DISCARD_PKT)
        return;
    im.fail(rv);
}

std::size_t connection::write(std::span<std::byte> out, std::size_t& segment, clock::time_point now)
{
    auto& im = *impl_;
    segment = 0;
    if (im.draining)
        return 0;
    auto ts = to_tstamp(now);
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_pkt_info pi{};
    auto* dest = reinterpret_cast<uint8_t*>(out.data());
    std::size_t max_udp = ngtcp2_conn_get_path_max_tx_udp_payload_size(im.conn);

    if (im.closing) {
        if (im.close_packet.empty()) {
            std::array<uint8_t, NGTCP2_MAX_UDP_PAYLOAD_SIZE> buf{};
            auto n = ngtcp2_conn_write_connection_close(im.conn, &ps.path, &pi, buf.data(), buf.size(),
                                                        &im.ccerr, ts);
            if (n <= 0) {
                im.draining = true;
                im.deadline = now;
                return 0;
            }
            im.close_packet.assign(reinterpret_cast<std::byte*>(buf.data()),
                                   reinterpret_cast<std::byte*>(buf.data()) + n);
            im.deadline = now + std::chrono::nanoseconds{3 * ngtcp2_conn_get_pto(im.conn)};
        }
        if (im.close_written || out.size() < im.close_packet.size())
            return 0;
        im.close_written = true;
        std::memcpy(out.data(), im.close_packet.data(), im.close_packet.size());
        segment = im.close_packet.size();
        return segment;
    }

    if (!im.held.empty()) {
        if (out.size() < im.held.size())
            return 0;
        std::memcpy(out.data(), im.held.data(), im.held.size());
        segment = im.held.size();
        im.current = im.held_path;
        im.held.clear();
        return segment;
    }
    std::size_t limit = std::min(out.size(), std::max(ngtcp2_conn_get_send_quantum(im.conn), max_udp));
    std::size_t total = 0;
    while (total + max_udp <= limit) {
        stream_chunk chunk;
        if (im.app && ngtcp2_conn_get_max_data_left(im.conn) > 0)
            chunk = im.app->next_output();
        im.vecs.clear();
        for (const auto& b : chunk.data)
            im.vecs.push_back({const_cast<uint8_t*>(static_cast<const uint8_t*>(b.data())), b.size()});
        uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
        if (chunk.fin)
            flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
        ngtcp2_ssize accepted = -1;
        auto n = ngtcp2_conn_writev_stream(im.conn, &ps.path, &pi, dest + total, max_udp, &accepted, flags,
                                           chunk.stream, im.vecs.data(), im.vecs.size(), ts);
        if (n < 0) {
            switch (n) {
            case NGTCP2_ERR_STREAM_DATA_BLOCKED:
                im.app->on_blocked(chunk.stream);
                continue;
            case NGTCP2_ERR_STREAM_SHUT_WR:
            case NGTCP2_ERR_STREAM_NOT_FOUND:
                im.app->on_write_shutdown(chunk.stream);
                continue;
            case NGTCP2_ERR_WRITE_MORE:
                im.app->on_written(chunk.stream, static_cast<std::size_t>(accepted));
                continue;
            default:
                im.fail(static_cast<int>(n));
                ngtcp2_conn_update_pkt_tx_time(im.conn, ts);
                if (total > 0)
                    return total; // send what is written; the close follows
                return write(out, segment, now);
            }
        }
        if (accepted >= 0 && chunk.stream >= 0)
            im.app->on_written(chunk.stream, static_cast<std::size_t>(accepted));
        if (n == 0)
            break;
        auto size = static_cast<std::size_t>(n);
        // ngtcp2 picks the path per packet: after the peer's address
        // changed (NAT rebinding, RFC 9000 §9.3) packets go to the new one.
        // A batch has one destination, so a packet for another path waits
        // for the next write().
        path written{from_addr(ps.path.local, im.current.local),
                     from_addr(ps.path.remote, im.current.remote)};
        if (segment == 0) {
            im.current = written;
        } else if (written.remote != im.current.remote) {
            im.held.assign(out.begin() + static_cast<std::ptrdiff_t>(total),
                           out.begin() + static_cast<std::ptrdiff_t>(total + size));
            im.held_path = written;
            break;
        }
        if (segment == 0)
            segment = size;
        total += size;
        // GSO cuts the batch into equal segments: only the last packet may
        // be shorter, so a short packet ends it (and a first short one makes
        // a batch of one).
        if (size < segment || size < max_udp)
            break;
    }
    // Pacing starts with the handshake done: before it the rate comes from
    // the 333 ms initial RTT guess (RFC 9002 §6.2.2), and pacing the
    // handshake's few packets by it would hold the client's Finished back
    // by tens of milliseconds on any fast path. They stay within the
    // congestion window either way.
    if (ngtcp2_conn_get_handshake_completed(im.conn))
        ngtcp2_conn_update_pkt_tx_time(im.conn, ts);
    if (segment == 0)
        return 0;
    return total;
}

clock::time_point connection::expiry() const noexcept
{
    if (impl_->closing || impl_->draining)
        return impl_->deadline;
    return from_tstamp(ngtcp2_conn_get_expiry(impl_->conn));
}

void connection::handle_timeout(clock::time_point now)
{
    auto& im = *impl_;
    if (im.closing || im.draining) {
        if (now >= im.deadline) {
            im.draining = true;
            im.closing = false;
        }
        return;
    }
    int rv = ngtcp2_conn_handle_expiry(im.conn, to_tstamp(now));
    if (rv == 0)
        return;
    if (rv == NGTCP2_ERR_IDLE_CLOSE || rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
        // Silent close (RFC 9000 §10.1): the peer already forgot us.
        im.reason.local = from_liberr(rv);
        im.draining = true;
        im.deadline = now;
        return;
    }
    im.fail(rv);
}

stream_id connection::open_bidi_stream(error_code& ec)
{
    int64_t id = -1;
    int rv = ngtcp2_conn_open_bidi_stream(impl_->conn, &id, nullptr);
    if (rv != 0)
        ec =
            rv == NGTCP2_ERR_STREAM_ID_BLOCKED ? make_error_code(error::stream_limit_error) : from_liberr(rv);
    return id;
}

stream_id connection::open_uni_stream(error_code& ec)
{
    int64_t id = -1;
    int rv = ngtcp2_conn_open_uni_stream(impl_->conn, &id, nullptr);
    if (rv != 0)
        ec =
            rv == NGTCP2_ERR_STREAM_ID_BLOCKED ? make_error_code(error::stream_limit_error) : from_liberr(rv);
    return id;
}

void connection::extend_credit(stream_id s, std::size_t n)
{
    if (n == 0 || impl_->closing || impl_->draining)
        return;
    ngtcp2_conn_extend_max_stream_offset(impl_->conn, s, n);
    ngtcp2_conn_extend_max_offset(impl_->conn, n);
}

void connection::reset_stream(stream_id s, std::uint64_t code)
{
    ngtcp2_conn_shutdown_stream_write(impl_->conn, s, code);
}

void connection::stop_sending(stream_id s, std::uint64_t code)
{
    ngtcp2_conn_shutdown_stream_read(impl_->conn, s, code);
}

std::uint64_t connection::bidi_streams_left() const noexcept
{
    return ngtcp2_conn_get_streams_bidi_left(impl_->conn);
}

void connection::grant_bidi_stream()
{
    if (!impl_->closing && !impl_->draining)
        ngtcp2_conn_extend_max_streams_bidi(impl_->conn, 1);
}

std::uint64_t connection::uni_streams_left() const noexcept
{
    return ngtcp2_conn_get_streams_uni_left(impl_->conn);
}

void connection::close(std::uint64_t app_code)
{
    auto& im = *impl_;
    if (im.closing || im.draining)
        return;
    ngtcp2_connection_close_error_set_application_error(&im.ccerr, app_code, nullptr, 0);
    im.reason.application = true;
    im.reason.code = app_code;
    im.closing = true;
}

void connection::abort(error_code why, clock::time_point now)
{
    auto& im = *impl_;
    if (im.draining)
        return;
    im.reason.local = why;
    im.draining = true;
    im.closing = false;
    im.deadline = now;
}

bool connection::handshake_completed() const noexcept
{
    return ngtcp2_conn_get_handshake_completed(impl_->conn) != 0;
}
bool connection::closed() const noexcept
{
    return impl_->closing || impl_->draining;
}
bool connection::has_pending_close() const noexcept
{
    return impl_->closing && !impl_->close_written;
}
clock::time_point connection::closing_deadline() const noexcept
{
    return impl_->deadline;
}
const close_reason& connection::reason() const noexcept
{
    return impl_->reason;
}
std::string connection::alpn() const
{
    return impl_->tls ? impl_->tls->alpn() : std::string{};
}
bool connection::resumed() const
{
    return impl_->tls && impl_->tls->resumed();
}
bool connection::early_data_accepted() const
{
    return impl_->tls && impl_->tls->early_data_accepted() &&
           !ngtcp2_conn_get_early_data_rejected(impl_->conn);
}
const path& connection::current_path() const noexcept
{
    return impl_->current;
}

bool connection::idle_expired(clock::time_point now) const noexcept
{
    auto& im = *impl_;
    if (im.closing || im.draining)
        return true;
    // The shorter of the two idle timeouts applies (RFC 9000 §10.1); a
    // margin covers the packets still in flight.
    auto timeout = ngtcp2_conn_get_local_transport_params(im.conn)->max_idle_timeout;
    const auto* peer = ngtcp2_conn_get_remote_transport_params(im.conn);
    if (peer && peer->max_idle_timeout != 0 && (timeout == 0 || peer->max_idle_timeout < timeout))
        timeout = peer->max_idle_timeout;
    if (timeout == 0)
        return false;
    auto margin = std::chrono::nanoseconds{3 * ngtcp2_conn_get_pto(im.conn)};
    return now - im.last_received + margin >= std::chrono::nanoseconds{timeout};
}
std::span<const std::uint8_t> connection::original_dcid() const noexcept
{
    return impl_->odcid;
}

std::vector<std::vector<std::uint8_t>> connection::scids() const
{
    std::vector<ngtcp2_cid> ids(ngtcp2_conn_get_num_scid(impl_->conn));
    ngtcp2_conn_get_scid(impl_->conn, ids.data());
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& id : ids)
        out.emplace_back(id.data, id.data + id.datalen);
    return out;
}

std::chrono::nanoseconds connection::smoothed_rtt() const noexcept
{
    ngtcp2_conn_stat st{};
    ngtcp2_conn_get_conn_stat(impl_->conn, &st);
    return std::chrono::nanoseconds{st.smoothed_rtt};
}

} // namespace strata::quic::detail
