// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/config.hpp>

#include "endpoint.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <algorithm>

namespace strata::quic::detail {

namespace {

constexpr std::size_t scid_length = 18;
// GSO takes up to 64 KiB in one send; ngtcp2 fills it packet by packet.
constexpr std::size_t send_buffer_bytes = 63 * 1024;
constexpr auto retry_token_lifetime = std::chrono::seconds{10};
constexpr auto regular_token_lifetime = std::chrono::hours{1};
constexpr std::size_t max_resets_per_second = 1000;
// Flush rounds per wake-up before giving others a turn.
constexpr int flush_rounds = 32;

std::string key_of(std::span<const std::uint8_t> cid)
{
    return {reinterpret_cast<const char*>(cid.data()), cid.size()};
}

ngtcp2_duration to_duration(std::chrono::nanoseconds d)
{
    return static_cast<ngtcp2_duration>(d.count());
}

} // namespace

// ---- server ----------------------------------------------------------------

struct server_endpoint::entry final : connection_io {
    entry(server_endpoint& ep) : ep(ep), timer(ep.ex_) {}

    connection& quic() noexcept override { return *conn; }
    const net::any_io_executor& executor() const noexcept override { return ep.ex_; }
    void flush() override
    {
        if (flush_posted)
            return;
        flush_posted = true;
        net::post(ep.ex_, [self = ep.shared_from_this(), e = this] {
            if (!self->entries_.count(e))
                return;
            e->flush_posted = false;
            self->flush(*e);
        });
    }

    server_endpoint& ep;
    std::unique_ptr<connection> conn;
    std::shared_ptr<session> app;
    net::steady_timer timer;
    clock::time_point armed = clock::time_point::max();
    std::vector<std::string> keys;
    bool handshaking = true;
    bool handshake_just_completed = false;
    bool flush_posted = false;
    bool blocked = false;
};

server_endpoint::server_endpoint(net::any_io_executor ex, config cfg, std::shared_ptr<tls_server_context> tls,
                                 session_factory factory)
    : ex_(std::move(ex)), cfg_(cfg), tls_(std::move(tls)), factory_(std::move(factory)), socket_(ex_),
      send_buffer_(send_buffer_bytes), secret_(32)
{
    random_bytes(secret_);
}

server_endpoint::~server_endpoint() = default;

void server_endpoint::open(const net::ip::udp::endpoint& local, error_code& ec)
{
    socket_.open(local.protocol(), ec);
    if (ec)
        return;
    if (local.address().is_v6())
        socket_.set_option(net::ip::v6_only{false}, ec);
    ec = {};
    socket_.bind(local, ec);
    if (ec)
        return;
    tune_udp_socket(socket_);
    local_ = socket_.local_endpoint(ec);
}

net::ip::udp::endpoint server_endpoint::local_endpoint() const
{
    return local_;
}

void server_endpoint::start()
{
    wait_readable();
}

void server_endpoint::stop()
{
    if (stopped_)
        return;
    stopped_ = true;
    error_code ignored;
    socket_.close(ignored);
    std::vector<entry*> all;
    for (auto& [p, _] : entries_)
        all.push_back(p);
    for (auto* e : all)
        retire(*e);
}

void server_endpoint::stop_accepting()
{
    accepting_ = false;
    if (entries_.empty())
        stop();
}

void server_endpoint::wait_readable()
{
    if (stopped_)
        return;
    socket_.async_wait(net::ip::udp::socket::wait_read, [self = shared_from_this()](error_code ec) {
        if (ec || self->stopped_)
            return;
        self->on_readable();
    });
}

void server_endpoint::on_readable()
{
    std::vector<entry*> touched;
    auto now = clock::now();
    // Bounded per wake-up so timers and handlers get their turn under load.
    bool drained = false;
    for (int round = 0; round < 8; ++round) {
        error_code ec;
        auto batch = receiver_.receive(socket_, ec);
        if (batch.empty() && !ec)
            continue; // only truncated datagrams: there may be more behind them
        if (batch.empty()) {
            drained = true;
            break;
        }
        for (const auto& d : batch)
            dispatch(d, now, touched);
    }
    for (auto* e : touched) {
        if (!entries_.count(e))
            continue;
        // The client's Finished came, usually with its first requests:
        // posted, so that the answers their handlers write at once leave
        // with our HANDSHAKE_DONE instead of a pacing interval later.
        if (std::exchange(e->handshake_just_completed, false))
            e->flush();
        else
            flush(*e);
    }
    // A readiness wait fires on new datagrams only: what the cap left in
    // the socket is read on the next turn instead.
    if (drained)
        wait_readable();
    else if (!stopped_)
        net::post(socket_.get_executor(), [self = shared_from_this()] {
            if (!self->stopped_)
                self->on_readable();
        });
}

void server_endpoint::dispatch(const received_datagram& d, clock::time_point now,
                               std::vector<entry*>& touched)
{
    const auto* data = reinterpret_cast<const uint8_t*>(d.bytes.data());
    ngtcp2_version_cid vc{};
    int rv = ngtcp2_pkt_decode_version_cid(&vc, data, d.bytes.size(), scid_length);
    if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
        // RFC 9000 §6.1: only for datagrams big enough to be a client's
        // first flight, so version negotiation cannot amplify.
        if (d.bytes.size() < NGTCP2_MAX_UDP_PAYLOAD_SIZE)
            return;
        // Unknown versions may carry ids of up to 255 bytes (RFC 9000 §17.2.1).
        std::array<uint8_t, 1 + 4 + 1 + 255 + 1 + 255 + 4> buf{};
        uint32_t supported[] = {NGTCP2_PROTO_VER_V1};
        std::uint8_t unused = 0;
        random_bytes({&unused, 1});
        auto n = ngtcp2_pkt_write_version_negotiation(buf.data(), buf.size(), unused, vc.scid, vc.scidlen,
                                                      vc.dcid, vc.dcidlen, supported, 1);
        if (n > 0) {
            ++stats_.version_negotiations;
            send_stateless({reinterpret_cast<std::byte*>(buf.data()), static_cast<std::size_t>(n)}, d.remote);
        }
        return;
    }
    if (rv != 0) {
        ++stats_.dropped;
        return;
    }
    if (auto it = routes_.find(key_of({vc.dcid, vc.dcidlen})); it != routes_.end()) {
        entry& e = *it->second;
        e.conn->handle_datagram(path{local_, d.remote}, d.bytes, now);
        if (e.handshaking && e.conn->handshake_completed()) {
            e.handshaking = false;
            e.handshake_just_completed = true;
            --handshaking_;
        }
        if (std::find(touched.begin(), touched.end(), &e) == touched.end())
            touched.push_back(&e);
        return;
    }
    if ((data[0] & 0x80) == 0) {
        // A short-header packet for a connection we do not know (we
        // restarted, or forgot it): a stateless reset (RFC 9000 §10.3) lets
        // the peer stop at once. It must be shorter than what triggered it
        // so that two endpoints cannot loop, and it is rate-limited.
        if (vc.dcidlen != scid_length || d.bytes.size() < 22)
            return;
        if (now - reset_window_ > std::chrono::seconds{1}) {
            reset_window_ = now;
            resets_in_window_ = 0;
        }
        if (++resets_in_window_ > max_resets_per_second)
            return;
        ngtcp2_cid cid;
        ngtcp2_cid_init(&cid, vc.dcid, vc.dcidlen);
        std::array<uint8_t, NGTCP2_STATELESS_RESET_TOKENLEN> token{};
        if (ngtcp2_crypto_generate_stateless_reset_token(token.data(), secret_.data(), secret_.size(),
                                                         &cid) != 0)
            return;
        std::size_t size = std::min<std::size_t>(d.bytes.size() - 1, 43);
        std::array<uint8_t, 64> rand{};
        std::size_t randlen = size - 1 - token.size();
        random_bytes({rand.data(), randlen});
        std::array<uint8_t, 64> buf{};
        auto n = ngtcp2_pkt_write_stateless_reset(buf.data(), size, token.data(), rand.data(), randlen);
        if (n > 0) {
            ++stats_.stateless_resets;
            send_stateless({reinterpret_cast<std::byte*>(buf.data()), static_cast<std::size_t>(n)}, d.remote);
        }
        return;
    }
    accept(d, now, touched);
}

void server_endpoint::accept(const received_datagram& d, clock::time_point now, std::vector<entry*>& touched)
{
    const auto* data = reinterpret_cast<const uint8_t*>(d.bytes.data());
    ngtcp2_pkt_hd hd{};
    // Only a client's first Initial (padded to 1200 bytes) may start a connection.
    if (ngtcp2_accept(&hd, data, d.bytes.size()) != 0 || stopped_ || !accepting_) {
        ++stats_.dropped;
        return;
    }
    const auto* remote_sa = reinterpret_cast<const ngtcp2_sockaddr*>(d.remote.data());
    auto remote_len = static_cast<ngtcp2_socklen>(d.remote.size());
    auto ts = to_tstamp(now);
    auto refuse = [&](uint64_t code) {
        std::array<uint8_t, NGTCP2_MAX_UDP_PAYLOAD_SIZE> buf{};
        auto n = ngtcp2_crypto_write_connection_close(buf.data(), buf.size(), hd.version, &hd.scid, &hd.dcid,
                                                      code, nullptr, 0);
        if (n > 0)
            send_stateless({reinterpret_cast<std::byte*>(buf.data()), static_cast<std::size_t>(n)}, d.remote);
    };
    if (entries_.size() >= cfg_.max_connections) {
        ++stats_.refused;
        refuse(NGTCP2_CONNECTION_REFUSED);
        return;
    }
    connection::server_params sp;
    sp.initial = &hd;
    if (hd.token.len > 0) {
        if (hd.token.base[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
            ngtcp2_cid odcid;
            if (ngtcp2_crypto_verify_retry_token(&odcid, hd.token.base, hd.token.len, secret_.data(),
                                                 secret_.size(), hd.version, remote_sa, remote_len, &hd.dcid,
                                                 to_duration(retry_token_lifetime), ts) != 0) {
                // RFC 9000 §8.1.2: a bad Retry token ends the attempt.
                ++stats_.refused;
                refuse(NGTCP2_INVALID_TOKEN);
                return;
            }
            sp.original_dcid.emplace(odcid.data, odcid.data + odcid.datalen);
            sp.address_validated = true;
        } else if (hd.token.base[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_REGULAR) {
            // An expired or foreign NEW_TOKEN is as good as none (§8.1.3).
            sp.address_validated = ngtcp2_crypto_verify_regular_token(
                                       hd.token.base, hd.token.len, secret_.data(), secret_.size(), remote_sa,
                                       remote_len, to_duration(regular_token_lifetime), ts) == 0;
        }
    }
    if (!sp.address_validated && handshaking_ >= cfg_.retry_above_handshakes) {
        // Address validation by Retry (RFC 9000 §8.1.2): the client proves it
        // owns its address by echoing a token, and we keep no state until then.
        ngtcp2_cid retry_scid;
        retry_scid.datalen = scid_length;
        random_bytes({retry_scid.data, retry_scid.datalen});
        std::array<uint8_t, NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN> token{};
        auto tn = ngtcp2_crypto_generate_retry_token(token.data(), secret_.data(), secret_.size(), hd.version,
                                                     remote_sa, remote_len, &retry_scid, &hd.dcid, ts);
        if (tn < 0)
            return;
        std::array<uint8_t, NGTCP2_MAX_UDP_PAYLOAD_SIZE> buf{};
        auto n = ngtcp2_crypto_write_retry(buf.data(), buf.size(), hd.version, &hd.scid, &retry_scid,
                                           &hd.dcid, token.data(), static_cast<size_t>(tn));
        if (n > 0) {
            ++stats_.retries;
            send_stateless({reinterpret_cast<std::byte*>(buf.data()), static_cast<std::size_t>(n)}, d.remote);
        }
        return;
    }

    auto owned = std::make_unique<entry>(*this);
    entry& e = *owned;
    sp.static_secret = secret_;
    sp.tls = tls_.get();
    sp.registry = this;
    sp.route = &e;
    error_code ec;
    entries_.emplace(&e, std::move(owned));
    e.conn = connection::make_server(cfg_, path{local_, d.remote}, sp, now, ec);
    if (ec || !e.conn) {
        for (auto& k : e.keys)
            routes_.erase(k);
        entries_.erase(&e);
        ++stats_.dropped;
        return;
    }
    ++handshaking_;
    // Retransmitted Initials still carry the id the client chose.
    auto odcid = key_of({hd.dcid.data, hd.dcid.datalen});
    if (!routes_.count(odcid)) {
        routes_[odcid] = &e;
        e.keys.push_back(odcid);
    }
    e.app = factory_(e);
    e.conn->set_application(e.app.get());
    e.conn->handle_datagram(path{local_, d.remote}, d.bytes, now);
    touched.push_back(&e);
}

void server_endpoint::add_cid(std::span<const std::uint8_t> cid, void* route)
{
    auto* e = static_cast<entry*>(route);
    auto key = key_of(cid);
    routes_[key] = e;
    e->keys.push_back(std::move(key));
}

void server_endpoint::remove_cid(std::span<const std::uint8_t> cid)
{
    auto it = routes_.find(key_of(cid));
    if (it == routes_.end())
        return;
    // Retired ids leave the entry's list too: a peer retiring ids for the
    // connection's whole life must not grow it.
    std::erase(it->second->keys, it->first);
    routes_.erase(it);
}

void server_endpoint::send_stateless(std::span<const std::byte> packet, const net::ip::udp::endpoint& to)
{
    error_code ignored;
    sender_.send(socket_, &to, packet, packet.size(), ignored);
}

void server_endpoint::flush(entry& e)
{
    if (stopped_)
        return;
    if (waiting_writable_) {
        if (!e.blocked) {
            e.blocked = true;
            blocked_.push_back(&e);
        }
        return;
    }
    auto now = clock::now();
    for (int round = 0; round < flush_rounds; ++round) {
        std::size_t segment = 0;
        auto n = e.conn->write(send_buffer_, segment, now);
        if (n == 0)
            break;
        error_code ec;
        sender_.send(socket_, &e.conn->current_path().remote, {send_buffer_.data(), n}, segment, ec);
        if (ec == net::error::would_block) {
            // The socket buffer is full. What was just written counts as
            // lost; loss recovery sends it again. Wait for room.
            waiting_writable_ = true;
            e.blocked = true;
            blocked_.push_back(&e);
            socket_.async_wait(net::ip::udp::socket::wait_write, [self = shared_from_this()](error_code wec) {
                if (!wec)
                    self->on_writable();
            });
            break;
        }
        if (round + 1 == flush_rounds)
            e.flush(); // more to send: after others had their turn
    }
    if (e.conn->closed() && !e.conn->has_pending_close() && now >= e.conn->closing_deadline()) {
        retire(e);
        return;
    }
    arm(e);
}

void server_endpoint::on_writable()
{
    waiting_writable_ = false;
    auto blocked = std::move(blocked_);
    blocked_.clear();
    for (auto* e : blocked)
        if (entries_.count(e)) {
            e->blocked = false;
            flush(*e);
        }
}

void server_endpoint::arm(entry& e)
{
    auto t = e.conn->expiry();
    if (t == e.armed)
        return;
    e.armed = t;
    e.timer.expires_at(t);
    e.timer.async_wait([self = shared_from_this(), p = &e](error_code ec) {
        if (ec || !self->entries_.count(p))
            return;
        p->armed = clock::time_point::max();
        auto now = clock::now();
        p->conn->handle_timeout(now);
        self->flush(*p);
    });
}

void server_endpoint::retire(entry& e)
{
    for (auto& k : e.keys)
        if (auto it = routes_.find(k); it != routes_.end() && it->second == &e)
            routes_.erase(it);
    if (e.handshaking)
        --handshaking_;
    auto node = entries_.extract(&e);
    auto app = std::move(e.app);
    e.timer.cancel();
    if (app)
        app->on_connection_closed(e.conn->reason());
    // node's entry (and its connection) goes here, after the session let go.
    if (!accepting_ && entries_.empty() && !stopped_)
        stop();
}

// ---- client ----------------------------------------------------------------

client_endpoint::client_endpoint(net::any_io_executor ex, config cfg)
    : ex_(std::move(ex)), cfg_(cfg), socket_(ex_), send_buffer_(send_buffer_bytes), timer_(ex_), linger_(ex_)
{}

client_endpoint::~client_endpoint() = default;

void client_endpoint::connect(const net::ip::udp::endpoint& remote, connection::client_params params,
                              session* app, error_code& ec)
{
    socket_.open(remote.protocol(), ec);
    if (ec)
        return;
    socket_.connect(remote, ec);
    if (ec)
        return;
    tune_udp_socket(socket_);
    auto local = socket_.local_endpoint(ec);
    if (ec)
        return;
    conn_ = connection::make_client(cfg_, path{local, remote}, std::move(params), clock::now(), ec);
    if (ec)
        return;
    app_ = app;
    conn_->set_application(app_);
    wait_readable();
    // Posted, not written now: requests the session submits before it runs
    // (0-RTT on a resumed connection) leave coalesced with the ClientHello
    // instead of a pacing interval later.
    flush();
}

void client_endpoint::abandon()
{
    if (finished_)
        return;
    app_ = nullptr;
    if (conn_) {
        conn_->set_application(nullptr);
        std::size_t segment = 0;
        auto n = conn_->write(send_buffer_, segment, clock::now());
        error_code ignored;
        if (n > 0)
            sender_.send(socket_, nullptr, {send_buffer_.data(), n}, segment, ignored);
    }
    finished_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    linger_.cancel();
}

void client_endpoint::park()
{
    if (finished_ || parked_)
        return;
    // Long enough for a delayed ACK (max_ack_delay is 25 ms) and the
    // server's session ticket to pass.
    linger_.expires_after(std::chrono::milliseconds{100});
    // A handler already queued when unpark() cancelled the timer must not
    // park a connection that is busy again.
    linger_.async_wait([self = shared_from_this(), generation = park_generation_](error_code ec) {
        if (ec || self->finished_ || generation != self->park_generation_)
            return;
        self->parked_ = true;
        self->armed_ = clock::time_point::max();
        self->timer_.cancel();
        error_code ignored;
        self->socket_.cancel(ignored);
        self->reading_ = false;
        ++self->read_generation_;
    });
}

void client_endpoint::unpark()
{
    ++park_generation_;
    linger_.cancel();
    if (!parked_ || finished_)
        return;
    parked_ = false;
    // Packets that arrived while parked, then the timers that passed.
    on_readable();
    if (!finished_) {
        auto now = clock::now();
        if (conn_->expiry() <= now) {
            conn_->handle_timeout(now);
            do_flush();
        }
    }
}

void client_endpoint::flush()
{
    if (flush_posted_ || finished_)
        return;
    flush_posted_ = true;
    net::post(ex_, [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->do_flush();
    });
}

void client_endpoint::wait_readable()
{
    if (reading_ || parked_ || finished_)
        return;
    reading_ = true;
    socket_.async_wait(net::ip::udp::socket::wait_read,
                       [self = shared_from_this(), generation = read_generation_](error_code ec) {
                           if (generation != self->read_generation_)
                               return; // cancelled by park(); a newer wait may be pending
                           self->reading_ = false;
                           if (ec || self->finished_ || self->parked_)
                               return;
                           self->on_readable();
                       });
}

void client_endpoint::on_readable()
{
    auto now = clock::now();
    bool drained = false;
    const bool handshake_was_done = conn_->handshake_completed();
    for (int round = 0; round < 8 && !finished_; ++round) {
        error_code ec;
        auto batch = receiver_.receive(socket_, ec);
        if (batch.empty() && !ec)
            continue; // only truncated datagrams: there may be more behind them
        if (batch.empty()) {
            drained = true;
            // ICMP port unreachable on our connected socket before the
            // handshake: nobody listens there, so say so now rather than at
            // the handshake deadline. Later, ICMP is ignored (RFC 9000
            // §14.2.1 warns it can be forged) and QUIC's own timers decide.
            if (ec && ec != net::error::would_block && !conn_->handshake_completed()) {
                conn_->abort(ec, now);
                finish();
                return;
            }
            break;
        }
        for (const auto& d : batch)
            conn_->handle_datagram(conn_->current_path(), d.bytes, now);
    }
    if (finished_)
        return;
    // The handshake just finished: posted, not written now, so that the
    // requests that waited for it leave with our Finished instead of a
    // pacing interval (srtt / initial window, a tenth of a round trip) later.
    if (!handshake_was_done && conn_->handshake_completed())
        flush();
    else
        do_flush();
    if (drained)
        wait_readable();
    else
        net::post(ex_, [self = shared_from_this()] {
            if (!self->finished_ && !self->parked_)
                self->on_readable();
        });
}

void client_endpoint::do_flush()
{
    if (finished_ || !conn_)
        return;
    if (waiting_writable_)
        return;
    auto now = clock::now();
    for (int round = 0; round < flush_rounds && !finished_; ++round) {
        std::size_t segment = 0;
        auto n = conn_->write(send_buffer_, segment, now);
        if (n == 0)
            break;
        error_code ec;
        sender_.send(socket_, nullptr, {send_buffer_.data(), n}, segment, ec);
        if (ec == net::error::would_block) {
            waiting_writable_ = true;
            socket_.async_wait(net::ip::udp::socket::wait_write, [self = shared_from_this()](error_code wec) {
                self->waiting_writable_ = false;
                if (!wec)
                    self->do_flush();
            });
            return;
        }
        if (round + 1 == flush_rounds)
            flush();
    }
    if (conn_->closed() && !conn_->has_pending_close() && now >= conn_->closing_deadline()) {
        finish();
        return;
    }
    arm();
}

void client_endpoint::arm()
{
    if (parked_)
        return;
    auto t = conn_->expiry();
    if (t == armed_)
        return;
    armed_ = t;
    timer_.expires_at(t);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (ec || self->finished_)
            return;
        self->armed_ = clock::time_point::max();
        self->conn_->handle_timeout(clock::now());
        self->do_flush();
    });
}

void client_endpoint::finish()
{
    if (finished_)
        return;
    finished_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    linger_.cancel();
    if (auto* app = std::exchange(app_, nullptr)) {
        conn_->set_application(nullptr);
        app->on_connection_closed(conn_->reason());
    }
}

} // namespace strata::quic::detail
