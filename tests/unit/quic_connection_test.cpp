// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The QUIC connection with no socket: a client and a server connection hand
// each other their datagrams in memory, one flight at a time, so the tests
// can count round trips (RFC 9001: the handshake takes one; with 0-RTT the
// request leaves in the first flight) and see streams carry bytes.

#include <strata/config.hpp>

#include "../../src/transport/quic/connection.hpp"

#include <strata/transport/tls.hpp>
#include <strata/transport/tls_certificates.hpp>

#include <ngtcp2/ngtcp2.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace strata::quic::detail {
namespace {

using clock = std::chrono::steady_clock;

/// An application that records what its streams received and offers one
/// queued chunk of bytes per stream.
class recorder final : public application {
public:
    std::map<stream_id, std::string> received;
    std::map<stream_id, bool> finished;
    std::map<stream_id, bool> early;
    bool handshake = false;
    bool rejected = false;

    void send(stream_id s, std::string bytes)
    {
        out_[s] = std::move(bytes);
        buffers_[s] = net::buffer(out_[s]);
    }

    void on_handshake_completed() override { handshake = true; }
    void on_stream_data(stream_id s, std::span<const std::byte> b, bool fin, bool e) override
    {
        received[s].append(reinterpret_cast<const char*>(b.data()), b.size());
        finished[s] = finished[s] || fin;
        early[s] = early[s] || e;
        if (conn)
            conn->extend_credit(s, b.size());
    }
    void on_stream_reset(stream_id, std::uint64_t) override {}
    void on_stream_close(stream_id, std::uint64_t) override {}
    void on_acked(stream_id, std::uint64_t) override {}
    void on_stream_writable(stream_id) override {}
    void on_streams_available() override {}
    void on_early_data_rejected() override { rejected = true; }
    stream_chunk next_output() override
    {
        for (auto& [s, b] : buffers_) {
            if (!sent_fin_[s])
                return {s, {&b, 1}, true};
        }
        return {};
    }
    void on_written(stream_id s, std::size_t n) override
    {
        buffers_[s] += n;
        if (buffers_[s].size() == 0)
            sent_fin_[s] = true;
    }
    void on_blocked(stream_id) override {}
    void on_write_shutdown(stream_id s) override { sent_fin_[s] = true; }

    connection* conn = nullptr;

private:
    std::map<stream_id, std::string> out_;
    std::map<stream_id, net::const_buffer> buffers_;
    std::map<stream_id, bool> sent_fin_;
};

struct pair_fixture : ::testing::Test {
    pair_fixture()
    {
        auto cert = ca.issue("localhost", {"localhost", "127.0.0.1"});
        tls::server_config scfg;
        scfg.certificate_chain_pem = cert.certificate_pem;
        scfg.private_key_pem = cert.private_key_pem;
        error_code ec;
        server_tls = make_tls_server_context(scfg, {"h3"}, true, ec);
        EXPECT_FALSE(ec);
        tls::client_config ccfg;
        ccfg.use_system_store = false;
        ccfg.ca_pem = ca.ca.certificate_pem;
        client_tls = make_tls_client_context(ccfg, {"h3"}, true, ec);
        EXPECT_FALSE(ec);
        secret.assign(32, 7);
    }

    /// Datagrams one side wrote, as separate packets: everything it sends
    /// before it needs to hear back. Pacing spreads a flight over a few
    /// milliseconds, so the clock moves to each pacing deadline; a loss
    /// timer (hundreds of milliseconds away) ends the flight.
    static std::vector<std::vector<std::byte>> flight(connection& c, clock::time_point now)
    {
        std::vector<std::vector<std::byte>> out;
        for (;;) {
            std::vector<std::byte> buf(64 * 1024);
            std::size_t segment = 0;
            auto n = c.write(buf, segment, now);
            if (n == 0) {
                auto next = c.expiry();
                if (c.closed() || next - now > std::chrono::milliseconds{10})
                    break;
                now = std::max(now, next);
                c.handle_timeout(now);
                continue;
            }
            for (std::size_t off = 0; off < n; off += segment)
                out.emplace_back(buf.begin() + static_cast<std::ptrdiff_t>(off),
                                 buf.begin() + static_cast<std::ptrdiff_t>(std::min(n, off + segment)));
        }
        return out;
    }

    std::unique_ptr<connection> connect_client(const resumption* resume, clock::time_point now)
    {
        connection::client_params p;
        p.tls = client_tls.get();
        p.host = "localhost";
        p.resume = resume;
        p.on_resumption = [this](resumption r) { saved = std::move(r); };
        error_code ec;
        auto c = connection::make_client(config{}, client_path, std::move(p), now, ec);
        EXPECT_FALSE(ec) << ec.message();
        return c;
    }

    std::unique_ptr<connection> accept(const std::vector<std::byte>& first, clock::time_point now)
    {
        ngtcp2_pkt_hd hd{};
        EXPECT_EQ(ngtcp2_accept(&hd, reinterpret_cast<const uint8_t*>(first.data()), first.size()), 0);
        connection::server_params sp;
        sp.initial = &hd;
        sp.static_secret = secret;
        sp.tls = server_tls.get();
        error_code ec;
        auto s = connection::make_server(config{}, server_path, sp, now, ec);
        EXPECT_FALSE(ec) << ec.message();
        return s;
    }

    static void deliver(connection& to, const path& p, const std::vector<std::vector<std::byte>>& packets,
                        clock::time_point now)
    {
        for (const auto& d : packets)
            to.handle_datagram(p, d, now);
    }

    tls::test_authority ca = tls::make_test_authority();
    std::shared_ptr<tls_server_context> server_tls;
    std::shared_ptr<tls_client_context> client_tls;
    std::vector<std::uint8_t> secret;
    path client_path{{net::ip::make_address("127.0.0.1"), 40000}, {net::ip::make_address("127.0.0.1"), 443}};
    path server_path{client_path.remote, client_path.local};
    resumption saved;
};

TEST_F(pair_fixture, HandshakeCompletesForTheClientAfterOneRoundTrip)
{
    auto now = clock::now();
    auto client = connect_client(nullptr, now);
    recorder capp, sapp;
    client->set_application(&capp);
    auto first = flight(*client, now);
    ASSERT_FALSE(first.empty());
    EXPECT_GE(first.front().size(), 1200u); // RFC 9000 §14.1: the client's Initial is padded
    auto server = accept(first.front(), now);
    server->set_application(&sapp);
    sapp.conn = server.get();
    deliver(*server, server_path, first, now);
    EXPECT_FALSE(server->handshake_completed());

    // Round trip 1 ends: the server's Initial and Handshake flight arrives.
    deliver(*client, client_path, flight(*server, now), now);
    EXPECT_TRUE(client->handshake_completed());
    EXPECT_TRUE(capp.handshake);
    EXPECT_EQ(client->alpn(), "h3");

    // The request leaves with the client's Finished: data after one round trip.
    error_code ec;
    auto s = client->open_bidi_stream(ec);
    ASSERT_FALSE(ec);
    capp.send(s, "GET /");
    deliver(*server, server_path, flight(*client, now), now);
    EXPECT_TRUE(server->handshake_completed());
    EXPECT_EQ(sapp.received[s], "GET /");
    EXPECT_TRUE(sapp.finished[s]);
    EXPECT_FALSE(sapp.early[s]);
}

TEST_F(pair_fixture, ResumedClientSendsItsRequestInTheFirstFlight)
{
    auto now = clock::now();
    // A first connection, carried to the end of the handshake and past the
    // server's NewSessionTicket, for a ticket and the server's limits.
    {
        auto client = connect_client(nullptr, now);
        recorder capp, sapp;
        client->set_application(&capp);
        auto first = flight(*client, now);
        auto server = accept(first.front(), now);
        server->set_application(&sapp);
        deliver(*server, server_path, first, now);
        for (int i = 0; i < 4; ++i) {
            deliver(*client, client_path, flight(*server, now), now);
            deliver(*server, server_path, flight(*client, now), now);
        }
        ASSERT_TRUE(client->handshake_completed());
    }
    ASSERT_FALSE(saved.ticket.empty());
    ASSERT_GT(saved.initial_max_streams_bidi, 0u);

    auto resume = saved;
    auto client = connect_client(&resume, now);
    recorder capp, sapp;
    client->set_application(&capp);
    // The server's remembered limits allow a stream before any packet; the
    // first flight carries the ClientHello and, coalesced, the request in
    // 0-RTT packets (pacing would hold a second flight back by a fraction
    // of the initial RTT).
    error_code ec;
    auto s = client->open_bidi_stream(ec);
    ASSERT_FALSE(ec) << ec.message();
    capp.send(s, "GET /early");
    auto hello = flight(*client, now);
    ASSERT_FALSE(hello.empty());
    auto server = accept(hello.front(), now);
    server->set_application(&sapp);
    sapp.conn = server.get();
    deliver(*server, server_path, hello, now);
    // Before any round trip: the server has the request, marked early.
    EXPECT_EQ(sapp.received[s], "GET /early");
    EXPECT_TRUE(sapp.early[s]);
    EXPECT_FALSE(server->handshake_completed());
    deliver(*client, client_path, flight(*server, now), now);
    EXPECT_TRUE(client->handshake_completed());
    EXPECT_TRUE(client->resumed());
    EXPECT_TRUE(client->early_data_accepted());
}

TEST_F(pair_fixture, ApplicationCloseReachesThePeerWithItsCode)
{
    auto now = clock::now();
    auto client = connect_client(nullptr, now);
    recorder capp, sapp;
    client->set_application(&capp);
    auto first = flight(*client, now);
    auto server = accept(first.front(), now);
    server->set_application(&sapp);
    deliver(*server, server_path, first, now);
    deliver(*client, client_path, flight(*server, now), now);
    deliver(*server, server_path, flight(*client, now), now);
    ASSERT_TRUE(server->handshake_completed());

    server->close(0x10c); // H3_REQUEST_CANCELLED, say
    EXPECT_TRUE(server->closed());
    deliver(*client, client_path, flight(*server, now), now);
    EXPECT_TRUE(client->closed());
    EXPECT_TRUE(client->reason().application);
    EXPECT_EQ(client->reason().code, 0x10cu);
    // The closing side answers further packets with its CONNECTION_CLOSE
    // (RFC 9000 §10.2.1) until its closing period ends.
    server->handle_datagram(server_path, first.front(), now);
    EXPECT_FALSE(flight(*server, now).empty());
    server->handle_timeout(server->closing_deadline());
    EXPECT_TRUE(flight(*server, server->closing_deadline()).empty());
}

TEST_F(pair_fixture, UntrustedServerCertificateFailsTheHandshakeWithTheReason)
{
    auto other = tls::make_test_authority();
    tls::client_config ccfg;
    ccfg.use_system_store = false;
    ccfg.ca_pem = other.ca.certificate_pem;
    error_code ec;
    client_tls = make_tls_client_context(ccfg, {"h3"}, false, ec);
    ASSERT_FALSE(ec);
    auto now = clock::now();
    auto client = connect_client(nullptr, now);
    recorder capp, sapp;
    client->set_application(&capp);
    auto first = flight(*client, now);
    auto server = accept(first.front(), now);
    server->set_application(&sapp);
    deliver(*server, server_path, first, now);
    deliver(*client, client_path, flight(*server, now), now);
    EXPECT_FALSE(client->handshake_completed());
    EXPECT_TRUE(client->closed());
    EXPECT_EQ(client->reason().local.category(), tls::verify_category()) << client->reason().local.message();
    // The server hears why: a TLS alert as CRYPTO_ERROR (0x100 + alert).
    deliver(*server, server_path, flight(*client, now), now);
    EXPECT_TRUE(server->closed());
    EXPECT_GE(server->reason().code, 0x100u);
    EXPECT_LT(server->reason().code, 0x200u);
}

} // namespace
} // namespace strata::quic::detail
