// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// HTTP/3 against peers strata did not write: ngtcp2's example client and
// server (gtlsclient, gtlsserver; ngtcp2 and nghttp3 with GnuTLS). gtlsclient
// talks to a strata server's quic:// listener; the strata client talks to
// gtlsserver. Each test checks what crossed the wire: h3 negotiated, statuses,
// bodies byte for byte, how many connections carried the requests, and that a
// Retry (RFC 9000 §8.1.2) was sent and followed where one was asked for.

#include "interop_support.hpp"

#include <strata/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

using namespace strata;
using namespace strata::interop;

namespace {

using clock = std::chrono::steady_clock;

bool contains(std::string_view text, std::string_view what)
{
    return text.find(what) != std::string_view::npos;
}

std::size_t count_of(std::string_view text, std::string_view what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

/// The first part of a long log, for failure messages.
std::string head_of(const std::string& log)
{
    return log.size() > 6000 ? log.substr(0, 6000) + "\n[...]" : log;
}

/// The response fields gtlsclient logs when not --quiet, per stream:
/// "http: stream 0x4 [:status: 200]" gives fields["0x4"][":status"] == "200".
std::map<std::string, std::map<std::string, std::string>> gtlsclient_fields(const std::string& log)
{
    std::map<std::string, std::map<std::string, std::string>> out;
    std::istringstream in{log};
    for (std::string line; std::getline(in, line);) {
        constexpr std::string_view prefix = "http: stream ";
        if (!line.starts_with(prefix))
            continue;
        auto space = line.find(' ', prefix.size());
        if (space == std::string::npos || line.size() < space + 3 || line[space + 1] != '[' ||
            line.back() != ']')
            continue;
        auto field = line.substr(space + 2, line.size() - space - 3);
        // Pseudo-fields start with ':' too: split at the ": " after the name.
        auto sep = field.find(": ", 1);
        if (sep == std::string::npos)
            continue;
        out[line.substr(prefix.size(), space - prefix.size())][field.substr(0, sep)] = field.substr(sep + 2);
    }
    return out;
}

// ---- gtlsclient against the strata server ---------------------------------------------

/// gtlsclient as these tests run it: against 127.0.0.1 (it then sends
/// "localhost" as SNI), each response body saved under downloads/ by the
/// last segment of its path, exiting once every stream has closed.
///
/// gtlsclient does not verify the server's certificate at all (ngtcp2 0.12's
/// GnuTLS client loads the system store but never checks the chain), so the
/// certificate side of this interop is covered by the strata client against
/// gtlsserver (Http3StrataClientAgainstGtlsserver.RejectsAnUntrustedCertificate).
class gtlsclient_runner {
public:
    explicit gtlsclient_runner(std::uint16_t port) : port_(port)
    {
        program_ = require_program("gtlsclient", "ngtcp2-client");
        std::filesystem::create_directories(downloads());
    }

    bool found() const { return !program_.empty(); }
    std::filesystem::path downloads() const { return dir_.path() / "downloads"; }
    std::string downloaded(std::string_view name) const { return read_file(downloads() / name); }
    temp_dir& dir() { return dir_; }

    std::string uri(std::string_view path) const
    {
        return "https://localhost:" + std::to_string(port_) + std::string(path);
    }

    /// verbose: keep gtlsclient's log (response fields, packets) instead of --quiet.
    process_result run(const std::vector<std::string>& options, const std::vector<std::string>& paths,
                       bool verbose, std::chrono::milliseconds timeout = 15s) const
    {
        std::vector<std::string> argv{program_,
                                      "--exit-on-all-streams-close",
                                      "--no-quic-dump",
                                      "--no-http-dump",
                                      "--timeout=5s",
                                      "--handshake-timeout=5s",
                                      "--download=" + downloads().string()};
        if (!verbose)
            argv.emplace_back("--quiet");
        argv.insert(argv.end(), options.begin(), options.end());
        argv.insert(argv.end(), {"127.0.0.1", std::to_string(port_)});
        for (const auto& p : paths)
            argv.push_back(uri(p));
        run_options opt;
        opt.timeout = timeout;
        return run_process(argv, opt);
    }

private:
    std::uint16_t port_;
    std::string program_;
    temp_dir dir_;
};

std::string gen_path(std::size_t size, std::uint32_t seed)
{
    return "/gen/" + std::to_string(size) + "/" + std::to_string(seed);
}

class Http3GtlsclientAgainstStrata : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        strata_peer_options o;
        o.quic = true;
        peer_ = std::make_unique<strata_peer>(o);
    }
    static void TearDownTestSuite() { peer_.reset(); }

    void SetUp() override { ASSERT_TRUE(client_.found()); }

    /// What every verbose run must show: one handshake, h3 by ALPN, the
    /// response fields of `streams` streams, and no Retry (this server
    /// validates addresses only under load).
    static void expect_clean_connection(const process_result& r, std::size_t streams)
    {
        EXPECT_EQ(count_of(r.err, "QUIC handshake has completed"), 1u) << head_of(r.err);
        EXPECT_TRUE(contains(r.err, "Negotiated ALPN is h3")) << head_of(r.err);
        EXPECT_FALSE(contains(r.err, "type=Retry")) << head_of(r.err);
        auto fields = gtlsclient_fields(r.err);
        EXPECT_EQ(fields.size(), streams) << head_of(r.err);
        for (auto& [stream, f] : fields) {
            EXPECT_EQ(f[":status"], "200") << "stream " << stream;
            EXPECT_EQ(f["server"], "strata") << "stream " << stream;
        }
    }

    static std::unique_ptr<strata_peer> peer_;
    gtlsclient_runner client_{peer_->quic_port()};
};

std::unique_ptr<strata_peer> Http3GtlsclientAgainstStrata::peer_;

TEST_F(Http3GtlsclientAgainstStrata, GetsASmallBodyOverH3)
{
    auto r = client_.run({}, {"/hello", "/version"}, true);
    ASSERT_TRUE(r.ok()) << r.describe();
    expect_clean_connection(r, 2);
    auto fields = gtlsclient_fields(r.err);
    // Client-initiated bidirectional streams 0 and 4 (RFC 9000 §2.1).
    EXPECT_EQ(fields["0x0"]["content-length"], std::to_string(strata_peer::hello_body.size()));
    EXPECT_EQ(client_.downloaded("hello"), strata_peer::hello_body);
    // The handler saw the request arrive on HTTP/3.
    EXPECT_EQ(client_.downloaded("version"), std::string(http::to_string(http::version::http3)) + "\n");
}

TEST_F(Http3GtlsclientAgainstStrata, LargeBodyIsByteExact)
{
    constexpr std::size_t size = 5 * 1024 * 1024;
    auto r = client_.run({}, {gen_path(size, 5)}, false);
    ASSERT_TRUE(r.ok()) << r.describe();
    auto got = client_.downloaded("5");
    EXPECT_EQ(got.size(), size);
    EXPECT_TRUE(got == strata_peer::generated_body(size, 5)) << "the 5 MiB body arrived altered";
}

TEST_F(Http3GtlsclientAgainstStrata, ManyStreamsShareOneConnection)
{
    // More requests than the 100 bidirectional streams strata grants at
    // first (quic::config::max_streams_bidi): gtlsclient must wait for
    // MAX_STREAMS as the first ones close.
    constexpr int requests = 150;
    std::vector<std::string> paths;
    for (int i = 0; i < requests; ++i)
        paths.push_back(gen_path(1000 + 37 * static_cast<std::size_t>(i), static_cast<std::uint32_t>(i)));
    auto r = client_.run({}, paths, true);
    ASSERT_TRUE(r.ok()) << r.describe();
    expect_clean_connection(r, requests);
    std::vector<int> wrong;
    for (int i = 0; i < requests; ++i) {
        auto seed = static_cast<std::uint32_t>(i);
        if (client_.downloaded(std::to_string(i)) != strata_peer::generated_body(1000 + 37 * seed, seed))
            wrong.push_back(i);
    }
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " of " << requests
                               << " bodies missing or altered, the first "
                               << (wrong.empty() ? -1 : wrong.front());
}

TEST_F(Http3GtlsclientAgainstStrata, BodiesSurviveTenPercentLossEachWay)
{
    // gtlsclient drops 10 % of what it sends and of what it receives:
    // handshake packets, requests, ACKs and STREAM data alike. Everything
    // still arrives, byte for byte, by loss recovery on both sides.
    std::vector<std::string> paths{"/hello", gen_path(1024 * 1024, 101)};
    for (std::uint32_t i = 0; i < 10; ++i)
        paths.push_back(gen_path(20'000 + i, 200 + i));
    auto r = client_.run({"--tx-loss=0.1", "--rx-loss=0.1"}, paths, true, 18s);
    ASSERT_TRUE(r.ok()) << r.describe();
    // The loss was real: gtlsclient sends some 200 packets (mostly ACKs) and
    // receives over 1000, so a tenth is about 20 and 100 drops; fewer than 3
    // either way would be a broken simulation, not bad luck (p < 1e-4).
    EXPECT_GE(count_of(r.err, "** Simulated outgoing packet loss **"), 3u);
    EXPECT_GE(count_of(r.err, "** Simulated incoming packet loss **"), 3u);
    auto fields = gtlsclient_fields(r.err);
    EXPECT_EQ(fields.size(), paths.size());
    for (auto& [stream, f] : fields)
        EXPECT_EQ(f[":status"], "200") << "stream " << stream;
    EXPECT_EQ(client_.downloaded("hello"), strata_peer::hello_body);
    auto big = client_.downloaded("101");
    EXPECT_EQ(big.size(), 1024u * 1024u);
    EXPECT_TRUE(big == strata_peer::generated_body(1024 * 1024, 101)) << "the 1 MiB body arrived altered";
    for (std::uint32_t i = 0; i < 10; ++i)
        EXPECT_TRUE(client_.downloaded(std::to_string(200 + i)) ==
                    strata_peer::generated_body(20'000 + i, 200 + i))
            << "body " << 200 + i << " differs";
}

TEST_F(Http3GtlsclientAgainstStrata, UploadIsEchoedByteExact)
{
    auto data = random_bytes(1024 * 1024, 31);
    auto file = client_.dir().write("upload.bin", data);
    auto r = client_.run({"--http-method=POST", "--data=" + file}, {"/echo"}, true);
    ASSERT_TRUE(r.ok()) << r.describe();
    expect_clean_connection(r, 1);
    auto echoed = client_.downloaded("echo");
    EXPECT_EQ(echoed.size(), data.size());
    EXPECT_TRUE(echoed == data) << "the echoed bytes differ from the upload";
    // The handler read a body framed by HTTP/3 DATA frames: no chunking.
    auto fields = gtlsclient_fields(r.err);
    EXPECT_EQ(fields["0x0"]["x-seen-transfer-encoding"], "-");
    EXPECT_EQ(fields["0x0"]["content-length"], std::to_string(data.size()));
}

TEST(Http3GtlsclientRetry, StrataRetriesEveryClientAndGtlsclientFollows)
{
    strata_peer_options o;
    o.quic = true;
    o.configure = [](server_config& cfg) { cfg.quic.retry_above_handshakes = 0; };
    strata_peer peer{o};
    gtlsclient_runner client{peer.quic_port()};
    ASSERT_TRUE(client.found());
    auto r = client.run({}, {"/hello", gen_path(300'000, 3)}, true);
    ASSERT_TRUE(r.ok()) << r.describe();
    // ngtcp2 logs the Retry it received, and the server's transport
    // parameters then name the connection ID the Retry chose (RFC 9000 §7.3).
    EXPECT_EQ(count_of(r.err, "type=Retry"), 1u) << head_of(r.err);
    EXPECT_TRUE(contains(r.err, "retry_source_connection_id=")) << head_of(r.err);
    EXPECT_EQ(count_of(r.err, "QUIC handshake has completed"), 1u) << head_of(r.err);
    auto fields = gtlsclient_fields(r.err);
    EXPECT_EQ(fields.size(), 2u) << head_of(r.err);
    for (auto& [stream, f] : fields)
        EXPECT_EQ(f[":status"], "200") << "stream " << stream;
    EXPECT_EQ(client.downloaded("hello"), strata_peer::hello_body);
    EXPECT_TRUE(client.downloaded("3") == strata_peer::generated_body(300'000, 3));
}

// ---- the strata client against gtlsserver ------------------------------------------------

constexpr int many = 20;

std::string numbered_name(int i)
{
    return "/f" + std::to_string(i) + ".txt";
}

std::string numbered_body(int i)
{
    return "file " + std::to_string(i) + " of " + std::to_string(many) + ": " +
           std::string(100 + 997 * static_cast<std::size_t>(i), static_cast<char>('a' + i % 26)) + "\n";
}

/// gtlsserver serving a docroot of files made at run time, with the test
/// CA's certificate, on a fresh UDP port of 127.0.0.1.
class gtlsserver_env {
public:
    static const std::string& file(std::size_t size)
    {
        static std::map<std::size_t, std::string> files;
        auto& f = files[size];
        if (f.size() != size)
            f = random_bytes(size, static_cast<std::uint32_t>(size % 65521));
        return f;
    }
    static constexpr std::size_t kib = 1024;
    static constexpr std::size_t mib = 1024 * 1024;

    /// extra: gtlsserver options (--validate-addr, --max-streams-bidi=N);
    /// verbose: keep its log (packets, Retry) instead of -q.
    explicit gtlsserver_env(const std::vector<std::string>& extra = {}, bool verbose = false)
    {
        auto program = require_program("gtlsserver", "ngtcp2-server");
        if (program.empty()) {
            error_ = "gtlsserver is not installed";
            return;
        }
        for (auto size : {kib, mib, 10 * mib})
            dir_.write("www/" + std::to_string(size) + ".bin", file(size));
        for (int i = 0; i < many; ++i)
            dir_.write("www" + numbered_name(i), numbered_body(i));
        auto cert = write_test_certificate(dir_);
        port_ = free_udp_port();
        std::vector<std::string> argv{program, "--htdocs=" + (dir_.path() / "www").string(), "--timeout=10s"};
        if (!verbose)
            argv.emplace_back("--quiet");
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.insert(argv.end(), {"127.0.0.1", std::to_string(port_), cert.private_key, cert.certificate});
        log_ = (dir_.path() / "gtlsserver.log").string();
        if (!proc_.start(argv, log_, error_))
            return;
        if (!wait_for_udp_port(port_, 10s) || !proc_.running()) {
            error_ = "gtlsserver did not start; its output:\n" + log();
            proc_.stop();
            return;
        }
        ready_ = true;
    }

    bool ready() const noexcept { return ready_; }
    const std::string& error() const noexcept { return error_; }
    std::string log() const { return read_file(log_); }
    std::uint16_t port() const noexcept { return port_; }
    /// 127.0.0.1, not localhost: gtlsserver listens on IPv4 only, and the
    /// certificate names the address too.
    std::string url(std::string_view path) const
    {
        return "https://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

private:
    temp_dir dir_;
    child_process proc_;
    std::string log_;
    std::uint16_t port_ = 0;
    bool ready_ = false;
    std::string error_;
};

client_config h3_config()
{
    client_config c;
    c.http3_only = true;
    c.tls.ca_pem = test_ca().ca.certificate_pem;
    // Failures should surface as errors well before run_coroutine's limit.
    c.http3_handshake_timeout = 5s;
    c.response_timeout = 10s;
    c.body_timeout = 10s;
    return c;
}

/// Starts `count` requests for numbered_name(i) at once and waits for all of them.
net::awaitable<void> fetch_numbered_concurrently(client& cli, const gtlsserver_env& server, int count)
{
    int done = 0;
    auto fetch = [&](int i) -> net::awaitable<void> {
        try {
            auto res = co_await cli.get(server.url(numbered_name(i)));
            EXPECT_EQ(res.version(), http::version::http3) << "file " << i;
            EXPECT_EQ(res.status(), 200u) << "file " << i;
            EXPECT_EQ(co_await res.body(), numbered_body(i)) << "file " << i;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "file " << i << ": " << e.what();
        }
        ++done;
    };
    auto ex = co_await net::this_coro::executor;
    // All are asked for before the connection exists, so the pool sees them at once.
    for (int i = 0; i < count; ++i)
        net::co_spawn(ex, fetch(i), net::detached);
    net::steady_timer tick{ex};
    while (done < count) {
        tick.expires_after(10ms);
        co_await tick.async_wait(net::use_awaitable);
    }
}

TEST(Http3StrataClientAgainstGtlsserver, GetsFilesOfEverySizeByteExact)
{
    gtlsserver_env server;
    ASSERT_TRUE(server.ready()) << server.error();
    run_coroutine(
        [&]() -> net::awaitable<void> {
            client cli{co_await net::this_coro::executor, h3_config()};
            // gtlsserver answers 404 for an empty file (it maps files into
            // memory, and a mapping of 0 bytes fails), so the empty body is
            // its generated one: /N answers N bytes.
            auto empty = co_await cli.get(server.url("/0"));
            EXPECT_EQ(empty.version(), http::version::http3);
            EXPECT_EQ(empty.status(), 200u);
            EXPECT_EQ(empty.header("Content-Length"), "0");
            EXPECT_EQ(co_await empty.body(), "");
            EXPECT_TRUE(empty.body_done());

            for (auto size : {gtlsserver_env::kib, gtlsserver_env::mib, 10 * gtlsserver_env::mib}) {
                auto res = co_await cli.get(server.url("/" + std::to_string(size) + ".bin"));
                EXPECT_EQ(res.version(), http::version::http3);
                EXPECT_EQ(res.status(), 200u) << size;
                EXPECT_EQ(res.header("Content-Length"), std::to_string(size));
                EXPECT_EQ(res.header("Server"), "nghttp3/ngtcp2 server");
                auto body = co_await res.body();
                EXPECT_EQ(body.size(), size);
                EXPECT_TRUE(body == gtlsserver_env::file(size))
                    << "the " << size << "-byte file arrived altered";
            }

            auto missing = co_await cli.get(server.url("/missing.bin"));
            EXPECT_EQ(missing.version(), http::version::http3);
            EXPECT_EQ(missing.status(), 404u);
            EXPECT_TRUE(contains(co_await missing.body(), "404 Not Found"));
            EXPECT_EQ(cli.connections_opened(), 1u);
            EXPECT_TRUE(
                contains(cli.version_reason("https://127.0.0.1:" + std::to_string(server.port())), "HTTP/3"))
                << cli.version_reason("https://127.0.0.1:" + std::to_string(server.port()));
        },
        20s);
}

TEST(Http3StrataClientAgainstGtlsserver, ConcurrentRequestsShareOneConnection)
{
    gtlsserver_env server;
    ASSERT_TRUE(server.ready()) << server.error();
    run_coroutine(
        [&]() -> net::awaitable<void> {
            client cli{co_await net::this_coro::executor, h3_config()};
            co_await fetch_numbered_concurrently(cli, server, many);
            EXPECT_EQ(cli.connections_opened(), 1u);
        },
        20s);
}

TEST(Http3StrataClientAgainstGtlsserver, WaitsForStreamCreditFromAStingyServer)
{
    // Two requests at a time (initial_max_streams_bidi = 2): the other
    // eighteen wait until MAX_STREAMS frames grant more, on the one connection
    // the client may have to this origin.
    gtlsserver_env server{{"--max-streams-bidi=2"}};
    ASSERT_TRUE(server.ready()) << server.error();
    run_coroutine(
        [&]() -> net::awaitable<void> {
            auto cfg = h3_config();
            cfg.max_connections_per_origin = 1;
            client cli{co_await net::this_coro::executor, cfg};
            co_await fetch_numbered_concurrently(cli, server, many);
            EXPECT_EQ(cli.connections_opened(), 1u);
        },
        20s);
}

TEST(Http3StrataClientAgainstGtlsserver, RejectsAnUntrustedCertificate)
{
    gtlsserver_env server;
    ASSERT_TRUE(server.ready()) << server.error();
    run_coroutine(
        [&]() -> net::awaitable<void> {
            // A CA that did not issue gtlsserver's certificate, and no system store.
            auto other = tls::make_test_authority("not the interop CA");
            auto cfg = h3_config();
            cfg.tls.ca_pem = other.ca.certificate_pem;
            cfg.tls.use_system_store = false;
            client cli{co_await net::this_coro::executor, cfg};
            auto start = clock::now();
            error_code ec;
            client_request req;
            req.url = server.url("/1024.bin");
            auto res = co_await cli.request(std::move(req), ec);
            EXPECT_TRUE(ec) << "the request succeeded with status " << (res ? res.status() : 0u);
            EXPECT_LT(clock::now() - start, 4s)
                << "the handshake failed only at its deadline: " << ec.message();

            // The same server with the right CA: the failure was the certificate.
            client good{co_await net::this_coro::executor, h3_config()};
            auto ok = co_await good.get(server.url("/1024.bin"));
            EXPECT_EQ(ok.status(), 200u);
            EXPECT_TRUE(co_await ok.body() == gtlsserver_env::file(gtlsserver_env::kib));
        },
        20s);
}

TEST(Http3StrataClientAgainstGtlsserver, FollowsARetry)
{
    // --validate-addr: gtlsserver answers every first Initial with a Retry
    // and serves only a client that echoes its token.
    gtlsserver_env server{{"--validate-addr"}, true};
    ASSERT_TRUE(server.ready()) << server.error();
    run_coroutine(
        [&]() -> net::awaitable<void> {
            client cli{co_await net::this_coro::executor, h3_config()};
            auto res = co_await cli.get(server.url("/1048576.bin"));
            EXPECT_EQ(res.version(), http::version::http3);
            EXPECT_EQ(res.status(), 200u);
            auto body = co_await res.body();
            EXPECT_TRUE(body == gtlsserver_env::file(gtlsserver_env::mib)) << body.size() << " bytes";
            EXPECT_EQ(cli.connections_opened(), 1u);
        },
        20s);
    auto log = server.log();
    EXPECT_EQ(count_of(log, "Sending Retry packet"), 1u) << head_of(log);
    EXPECT_EQ(count_of(log, "Token was successfully validated"), 1u) << head_of(log);
}

TEST(Http3StrataClientAgainstGtlsserver, NothingListeningFailsFast)
{
    // No QUIC server on this port: the kernel answers the first Initial with
    // ICMP port unreachable, which the client's connected UDP socket reports.
    // The request must end with that error at once, not at the handshake
    // deadline (5 s here) nor the response one.
    auto port = free_udp_port();
    run_coroutine(
        [&]() -> net::awaitable<void> {
            auto cfg = h3_config();
            cfg.http3_handshake_timeout = 5s;
            cfg.response_timeout = 15s;
            client cli{co_await net::this_coro::executor, cfg};
            auto start = clock::now();
            error_code ec;
            client_request req;
            req.url = "https://127.0.0.1:" + std::to_string(port) + "/";
            auto res = co_await cli.request(std::move(req), ec);
            auto elapsed = clock::now() - start;
            EXPECT_TRUE(ec) << "a response with status " << (res ? res.status() : 0u);
            EXPECT_LT(elapsed, 1s) << ec.message();
            EXPECT_EQ(cli.connections_opened(), 0u);
        },
        20s);
}

} // namespace
