// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// TLS transport: handshakes between an in-process server and client on
// loopback, with a CA and certificates made at test time (no key is committed).
#include <strata/config.hpp>
#include <strata/error.hpp>
#include <strata/transport/tls.hpp>
#include <strata/transport/tls_certificates.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <unistd.h>

namespace {

using namespace strata;
using namespace std::chrono_literals;
using tcp = net::ip::tcp;
using tls_stream = net::ssl::stream<tcp::socket>;

const tls::test_authority& authority()
{
    static const auto ca = tls::make_test_authority();
    return ca;
}

tls::server_config server_for(const std::vector<std::string>& names,
                              tls::validity valid = tls::validity::from_now(std::chrono::days{1}))
{
    const auto leaf = authority().issue("strata test server", names, valid);
    tls::server_config cfg;
    cfg.certificate_chain_pem = leaf.certificate_pem;
    cfg.private_key_pem = leaf.private_key_pem;
    return cfg;
}

/// A client that trusts the test CA and nothing else.
tls::client_config trusting_test_ca()
{
    tls::client_config cfg;
    cfg.use_system_store = false;
    cfg.ca_pem = authority().ca.certificate_pem;
    return cfg;
}

struct outcome {
    error_code server_ec, client_ec, read_ec;
    std::string server_alpn, client_alpn, sni, greeting;
    int version = 0;
    bool reused = false;
};

/// One listening server; connect() runs one client connection to it: both
/// handshakes, then the server sends "hi" and the client reads it (which is
/// also when a TLS 1.3 client receives its session tickets).
class loopback {
public:
    explicit loopback(const tls::server_config& cfg)
        : server_ctx_{tls::make_server_context(cfg)}, acceptor_{io_, {net::ip::address_v4::loopback(), 0}}
    {}

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    outcome connect(net::ssl::context& client_ctx, std::string_view host, tls::session_cache* cache = nullptr)
    {
        outcome out;
        tls_stream server{io_, server_ctx_};
        tls_stream client{io_, client_ctx};
        std::array<char, 2> buf{};
        bool server_done = false, client_done = false;

        acceptor_.async_accept(server.next_layer(), [&](error_code ec) {
            if (ec) {
                out.server_ec = ec;
                server_done = true;
                return;
            }
            tls::async_handshake(server, net::ssl::stream_base::server, [&](error_code ec) {
                out.server_ec = ec;
                out.server_alpn = tls::negotiated_alpn(server.native_handle());
                out.sni = tls::server_name(server.native_handle());
                if (ec) {
                    server.next_layer().close();
                    server_done = true;
                    return;
                }
                net::async_write(server, net::buffer("hi", 2), [&](error_code ec, std::size_t) {
                    if (ec)
                        out.server_ec = ec;
                    server_done = true;
                });
            });
        });
        client.next_layer().async_connect(acceptor_.local_endpoint(), [&](error_code ec) {
            if (!ec)
                tls::prepare_client(client, host, port(), cache, ec);
            if (ec) {
                out.client_ec = ec;
                client_done = true;
                return;
            }
            tls::async_handshake(client, net::ssl::stream_base::client, [&](error_code ec) {
                out.client_ec = ec;
                out.client_alpn = tls::negotiated_alpn(client.native_handle());
                out.version = SSL_version(client.native_handle());
                out.reused = tls::session_reused(client.native_handle());
                if (ec) {
                    client.next_layer().close();
                    client_done = true;
                    return;
                }
                net::async_read(client, net::buffer(buf), [&](error_code ec, std::size_t n) {
                    out.read_ec = ec;
                    out.greeting.assign(buf.data(), n);
                    client_done = true;
                });
            });
        });
        io_.restart();
        io_.run_for(10s);
        EXPECT_TRUE(server_done && client_done) << "the exchange did not finish";
        return out;
    }

private:
    net::io_context io_;
    net::ssl::context server_ctx_;
    tcp::acceptor acceptor_;
};

bool connected(const outcome& o)
{
    return !o.server_ec && !o.client_ec && o.greeting == "hi";
}

// ---- handshakes and versions ------------------------------------------------

TEST(TlsHandshake, NegotiatesTls13ByDefault)
{
    loopback server{server_for({"localhost"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    const auto o = server.connect(client_ctx, "localhost");
    ASSERT_TRUE(connected(o)) << o.server_ec.message() << " / " << o.client_ec.message();
    EXPECT_EQ(o.version, TLS1_3_VERSION);
    EXPECT_FALSE(o.reused);
}

TEST(TlsHandshake, NegotiatesTls12WhenTheClientStopsThere)
{
    loopback server{server_for({"localhost"})};
    auto cfg = trusting_test_ca();
    cfg.max_version = tls::version::tls1_2;
    auto client_ctx = tls::make_client_context(cfg);
    const auto o = server.connect(client_ctx, "localhost");
    ASSERT_TRUE(connected(o)) << o.server_ec.message() << " / " << o.client_ec.message();
    EXPECT_EQ(o.version, TLS1_2_VERSION);
}

TEST(TlsHandshake, ServerRequiringTls13RefusesATls12Client)
{
    auto scfg = server_for({"localhost"});
    scfg.min_version = tls::version::tls1_3;
    loopback server{scfg};
    auto cfg = trusting_test_ca();
    cfg.max_version = tls::version::tls1_2;
    auto client_ctx = tls::make_client_context(cfg);
    const auto o = server.connect(client_ctx, "localhost");
    EXPECT_TRUE(o.server_ec);
    EXPECT_TRUE(o.client_ec);
    EXPECT_EQ(o.server_ec.category(), net::error::get_ssl_category());
    EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(o.server_ec.value())), SSL_R_UNSUPPORTED_PROTOCOL)
        << o.server_ec.message();
}

TEST(TlsHandshake, DefaultsAreTls12MinimumAndVerification)
{
    const tls::client_config cfg;
    EXPECT_TRUE(cfg.verify_peer);
    EXPECT_TRUE(cfg.use_system_store);
    EXPECT_EQ(cfg.min_version, tls::version::tls1_2);
    auto ctx = tls::make_client_context(cfg);
    EXPECT_NE(SSL_CTX_get_verify_mode(ctx.native_handle()) & SSL_VERIFY_PEER, 0);
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.native_handle()), TLS1_2_VERSION);
    EXPECT_EQ(tls::server_config{}.min_version, tls::version::tls1_2);
}

TEST(TlsHandshake, MinimumAboveMaximumIsRefused)
{
    auto cfg = trusting_test_ca();
    cfg.min_version = tls::version::tls1_3;
    cfg.max_version = tls::version::tls1_2;
    error_code ec;
    (void)tls::make_client_context(cfg, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument);
}

// ---- ALPN (RFC 7301) --------------------------------------------------------

struct alpn_case {
    std::vector<std::string> server, client;
    std::string expected;
};

class TlsAlpn : public ::testing::TestWithParam<alpn_case> {};

TEST_P(TlsAlpn, ServerChoosesByItsOwnPreference)
{
    auto scfg = server_for({"localhost"});
    scfg.alpn = GetParam().server;
    loopback server{scfg};
    auto ccfg = trusting_test_ca();
    ccfg.alpn = GetParam().client;
    auto client_ctx = tls::make_client_context(ccfg);
    const auto o = server.connect(client_ctx, "localhost");
    ASSERT_TRUE(connected(o)) << o.server_ec.message() << " / " << o.client_ec.message();
    EXPECT_EQ(o.server_alpn, GetParam().expected);
    EXPECT_EQ(o.client_alpn, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    TlsOffers, TlsAlpn,
    ::testing::Values(alpn_case{{"h2", "http/1.1"}, {"http/1.1", "h2"}, "h2"}, // the server's order wins
                      alpn_case{{"http/1.1", "h2"}, {"h2", "http/1.1"}, "http/1.1"},
                      alpn_case{{"h2", "http/1.1"}, {"http/1.1"}, "http/1.1"}, // fallback
                      alpn_case{{"h2", "http/1.1"}, {"spdy/3", "h2"}, "h2"},   // unknown names skipped
                      alpn_case{{"h2", "http/1.1"}, {}, ""},                   // no offer, no ALPN
                      alpn_case{{}, {"h2", "http/1.1"}, ""},                   // server without ALPN
                      alpn_case{{"h2", "http/1.1"}, {"http/1.0"}, "http/1.0"}, // HTTP/1.1 serves 1.0
                      alpn_case{{"h2"}, {"http/1.0", "h2"}, "h2"}));

TEST(TlsAlpnFailure, NoProtocolInCommonIsAFatalAlert)
{
    // RFC 7301 §3.2: the server answers no_application_protocol and both
    // handshakes fail; handshake_error names it strata::error::no_alpn_match.
    auto scfg = server_for({"localhost"});
    scfg.alpn = {"h2"};
    loopback server{scfg};
    auto ccfg = trusting_test_ca();
    ccfg.alpn = {"http/1.1", "http/1.0"}; // no 1.0 fallback without http/1.1 on the server
    auto client_ctx = tls::make_client_context(ccfg);
    const auto o = server.connect(client_ctx, "localhost");
    EXPECT_EQ(o.server_ec, strata::error::no_alpn_match) << o.server_ec.message();
    EXPECT_EQ(o.client_ec, strata::error::no_alpn_match) << o.client_ec.message();
}

TEST(TlsAlpnFailure, MalformedProtocolNamesAreRefused)
{
    auto ccfg = trusting_test_ca();
    ccfg.alpn = {"h2", ""};
    error_code ec;
    (void)tls::make_client_context(ccfg, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument);

    auto scfg = server_for({"localhost"});
    scfg.alpn = {std::string(256, 'x')};
    (void)tls::make_server_context(scfg, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument);
}

// ---- SNI (RFC 6066 §3) ------------------------------------------------------

TEST(TlsSni, ServerSeesTheNameTheClientAskedFor)
{
    loopback server{server_for({"localhost", "api.test"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    auto o = server.connect(client_ctx, "api.test");
    ASSERT_TRUE(connected(o)) << o.client_ec.message();
    EXPECT_EQ(o.sni, "api.test");
    // A trailing dot names the same host and is not sent.
    o = server.connect(client_ctx, "localhost.");
    ASSERT_TRUE(connected(o)) << o.client_ec.message();
    EXPECT_EQ(o.sni, "localhost");
}

TEST(TlsSni, NoneIsSentForAnIpLiteral)
{
    loopback server{server_for({"127.0.0.1"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    const auto o = server.connect(client_ctx, "127.0.0.1");
    ASSERT_TRUE(connected(o)) << o.client_ec.message();
    EXPECT_EQ(o.sni, "");
}

// ---- certificate verification -----------------------------------------------

TEST(TlsVerify, TestCaAndMatchingNameSucceed)
{
    loopback server{server_for({"localhost"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    const auto o = server.connect(client_ctx, "localhost");
    ASSERT_TRUE(connected(o)) << o.client_ec.message();
}

TEST(TlsVerify, UnknownCaFailsSayingSo)
{
    loopback server{server_for({"localhost"})};
    tls::client_config cfg; // the system store only: it has never heard of the test CA
    auto client_ctx = tls::make_client_context(cfg);
    const auto o = server.connect(client_ctx, "localhost");
    EXPECT_EQ(o.client_ec, tls::verify_error::unable_to_get_issuer_cert_locally) << o.client_ec.message();
    EXPECT_EQ(o.client_ec.message(), "certificate verify failed: unable to get local issuer certificate");
    EXPECT_TRUE(o.server_ec); // the client's alert ends the server's handshake too
}

TEST(TlsVerify, WrongHostNameFailsSayingSo)
{
    loopback server{server_for({"localhost"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    const auto o = server.connect(client_ctx, "example.com");
    EXPECT_EQ(o.client_ec, tls::verify_error::hostname_mismatch);
    EXPECT_EQ(o.client_ec.message(), "certificate verify failed: hostname mismatch");
    EXPECT_EQ(std::string{o.client_ec.category().name()}, "strata.tls");
}

TEST(TlsVerify, WildcardCoversOneLabelOnly)
{
    loopback server{server_for({"*.example.test"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    EXPECT_TRUE(connected(server.connect(client_ctx, "www.example.test")));
    EXPECT_EQ(server.connect(client_ctx, "a.b.example.test").client_ec, tls::verify_error::hostname_mismatch);
    EXPECT_EQ(server.connect(client_ctx, "example.test").client_ec, tls::verify_error::hostname_mismatch);
}

TEST(TlsVerify, ExpiredCertificateFailsSayingSo)
{
    const auto now = std::chrono::system_clock::now();
    loopback server{server_for({"localhost"}, {now - std::chrono::days{10}, now - std::chrono::days{1}})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    const auto o = server.connect(client_ctx, "localhost");
    EXPECT_EQ(o.client_ec, tls::verify_error::cert_has_expired);
    EXPECT_EQ(o.client_ec.message(), "certificate verify failed: certificate has expired");
}

TEST(TlsVerify, NotYetValidCertificateFails)
{
    const auto now = std::chrono::system_clock::now();
    loopback server{server_for({"localhost"}, {now + std::chrono::days{1}, now + std::chrono::days{10}})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    EXPECT_EQ(server.connect(client_ctx, "localhost").client_ec, tls::verify_error::cert_not_yet_valid);
}

TEST(TlsVerify, IpAddressIsCheckedAgainstIpSans)
{
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    {
        loopback server{server_for({"localhost", "127.0.0.1"})};
        EXPECT_TRUE(connected(server.connect(client_ctx, "127.0.0.1")));
    }
    {
        // A DNS name that spells the address does not count (RFC 6125 §3.1.3.2 wants an iPAddress SAN).
        loopback server{server_for({"localhost"})};
        const auto o = server.connect(client_ctx, "127.0.0.1");
        EXPECT_EQ(o.client_ec, tls::verify_error::ip_address_mismatch);
        EXPECT_EQ(o.client_ec.message(), "certificate verify failed: IP address mismatch");
    }
    {
        // The name checked is the one given, brackets and all; the route to it is the caller's business.
        loopback server{server_for({"::1"})};
        EXPECT_TRUE(connected(server.connect(client_ctx, "[::1]")));
        EXPECT_EQ(server.connect(client_ctx, "[::2]").client_ec, tls::verify_error::ip_address_mismatch);
    }
}

TEST(TlsVerify, SelfSignedCertificateIsRefusedUnlessTrusted)
{
    const auto self = tls::make_self_signed("dev", {"localhost", "127.0.0.1"});
    tls::server_config scfg;
    scfg.certificate_chain_pem = self.certificate_pem;
    scfg.private_key_pem = self.private_key_pem;
    loopback server{scfg};

    auto refusing = tls::make_client_context(trusting_test_ca());
    const auto o = server.connect(refusing, "localhost");
    EXPECT_EQ(o.client_ec, tls::verify_error::depth_zero_self_signed_cert);
    EXPECT_EQ(o.client_ec.message(), "certificate verify failed: self-signed certificate");

    tls::client_config cfg;
    cfg.use_system_store = false;
    cfg.ca_pem = self.certificate_pem; // the dev certificate is its own trust anchor
    auto trusting = tls::make_client_context(cfg);
    EXPECT_TRUE(connected(server.connect(trusting, "localhost")));
}

TEST(TlsVerify, TurningVerificationOffIsExplicit)
{
    loopback server{server_for({"localhost"})};
    tls::client_config cfg;
    cfg.verify_peer = false;
    cfg.use_system_store = false;
    auto client_ctx = tls::make_client_context(cfg);
    const auto o = server.connect(client_ctx, "wrong.name");
    EXPECT_TRUE(connected(o)) << o.client_ec.message();
}

TEST(TlsVerify, HandshakeErrorLeavesOtherErrorsAlone)
{
    auto ctx = tls::make_client_context(trusting_test_ca());
    SSL* ssl = SSL_new(ctx.native_handle());
    ASSERT_NE(ssl, nullptr);
    EXPECT_FALSE(tls::handshake_error(ssl, {}));
    const error_code eof = net::error::eof;
    EXPECT_EQ(tls::handshake_error(ssl, eof), eof);
    EXPECT_FALSE(tls::verify_result(ssl));
    SSL_free(ssl);
}

// ---- session resumption -----------------------------------------------------

class TlsResumption : public ::testing::TestWithParam<tls::version> {};

TEST_P(TlsResumption, SecondConnectionToTheSameOriginResumes)
{
    loopback server{server_for({"localhost"})};
    auto cfg = trusting_test_ca();
    cfg.max_version = GetParam();
    auto client_ctx = tls::make_client_context(cfg);
    tls::session_cache cache;

    auto o = server.connect(client_ctx, "localhost", &cache);
    ASSERT_TRUE(connected(o)) << o.client_ec.message();
    EXPECT_FALSE(o.reused);
    EXPECT_EQ(cache.size(), 1u);

    o = server.connect(client_ctx, "localhost", &cache);
    ASSERT_TRUE(connected(o)) << o.client_ec.message();
    EXPECT_TRUE(o.reused);
    o = server.connect(client_ctx, "localhost", &cache);
    ASSERT_TRUE(connected(o)) << o.client_ec.message();
    EXPECT_TRUE(o.reused) << "a resumed connection must leave a session for the next one";

    cache.erase("localhost:" + std::to_string(server.port()));
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_FALSE(server.connect(client_ctx, "localhost", &cache).reused);
}

INSTANTIATE_TEST_SUITE_P(TlsVersions, TlsResumption,
                         ::testing::Values(tls::version::tls1_3, tls::version::tls1_2));

TEST(TlsResumptionKeys, AnotherOriginDoesNotResume)
{
    loopback server{server_for({"localhost", "127.0.0.1"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    tls::session_cache cache;
    ASSERT_TRUE(connected(server.connect(client_ctx, "localhost", &cache)));
    const auto o = server.connect(client_ctx, "127.0.0.1", &cache);
    ASSERT_TRUE(connected(o));
    EXPECT_FALSE(o.reused);
    EXPECT_EQ(cache.size(), 2u);
}

TEST(TlsResumptionKeys, CacheIsBoundedByOrigins)
{
    loopback server{server_for({"localhost", "127.0.0.1"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    tls::session_cache cache{1};
    ASSERT_TRUE(connected(server.connect(client_ctx, "localhost", &cache)));
    ASSERT_TRUE(connected(server.connect(client_ctx, "127.0.0.1", &cache)));
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_FALSE(server.connect(client_ctx, "localhost", &cache).reused); // evicted
    cache.clear();
    EXPECT_EQ(cache.size(), 0u);
}

TEST(TlsResumptionKeys, NothingIsKeptWhenResumptionIsOffOrUnverified)
{
    loopback server{server_for({"localhost"})};
    tls::session_cache cache;

    auto off = trusting_test_ca();
    off.session_resumption = false;
    auto off_ctx = tls::make_client_context(off);
    ASSERT_TRUE(connected(server.connect(off_ctx, "localhost", &cache)));
    EXPECT_FALSE(server.connect(off_ctx, "localhost", &cache).reused);
    EXPECT_EQ(cache.size(), 0u);

    // A session nobody verified must not let a verifying client skip the check.
    tls::client_config unverified;
    unverified.verify_peer = false;
    auto unverified_ctx = tls::make_client_context(unverified);
    ASSERT_TRUE(connected(server.connect(unverified_ctx, "localhost", &cache)));
    EXPECT_EQ(cache.size(), 0u);
}

TEST(TlsResumptionKeys, CacheMayGoBeforeItsConnections)
{
    loopback server{server_for({"localhost"})};
    auto client_ctx = tls::make_client_context(trusting_test_ca());
    net::io_context io;
    tls_stream client{io, client_ctx};
    {
        tls::session_cache cache;
        error_code ec;
        tls::prepare_client(client, "localhost", 443, &cache, ec);
        ASSERT_FALSE(ec);
        // A second call replaces the origin (the first is freed, ASan checks).
        tls::prepare_client(client, "[::1]", 8443, &cache, ec);
        ASSERT_FALSE(ec);
    }
    // The SSL still holds the cache's state; freeing it later must be clean (ASan checks).
    EXPECT_EQ(tls::server_name(client.native_handle()), "") << "an IP literal sets no SNI";
    error_code ec;
    tls::prepare_client(client, "", 443, nullptr, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument);
}

// ---- contexts from files, bad input -----------------------------------------

class temp_dir {
public:
    temp_dir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "strata-tls-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error{"mkdtemp failed"};
        path_ = tmpl;
    }
    ~temp_dir() { std::filesystem::remove_all(path_); }
    std::string write(const std::string& name, const std::string& text) const
    {
        const auto p = path_ / name;
        std::ofstream{p} << text;
        return p.string();
    }

private:
    std::filesystem::path path_;
};

TEST(TlsContext, LoadsCertificatesAndTrustAnchorsFromFiles)
{
    const temp_dir dir;
    const auto leaf = authority().issue("file server", {"localhost"});
    tls::server_config scfg;
    scfg.certificate_chain_file = dir.write("chain.pem", leaf.certificate_pem);
    scfg.private_key_file = dir.write("key.pem", leaf.private_key_pem);
    loopback server{scfg};

    tls::client_config ccfg;
    ccfg.use_system_store = false;
    ccfg.ca_file = dir.write("ca.pem", authority().ca.certificate_pem);
    auto client_ctx = tls::make_client_context(ccfg);
    EXPECT_TRUE(connected(server.connect(client_ctx, "localhost")));
}

TEST(TlsContext, TrustsEveryCertificateInACaBundle)
{
    const auto other = tls::make_test_authority("another CA");
    tls::client_config ccfg;
    ccfg.use_system_store = false;
    ccfg.ca_pem = other.ca.certificate_pem + authority().ca.certificate_pem;
    auto client_ctx = tls::make_client_context(ccfg);
    loopback server{server_for({"localhost"})};
    EXPECT_TRUE(connected(server.connect(client_ctx, "localhost")));
}

TEST(TlsContext, BadConfigurationsSayWhatIsWrong)
{
    error_code ec;
    (void)tls::make_server_context(tls::server_config{}, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument) << "no certificate";

    const auto a = authority().issue("a", {"localhost"});
    const auto b = authority().issue("b", {"localhost"});
    tls::server_config mismatched;
    mismatched.certificate_chain_pem = a.certificate_pem;
    mismatched.private_key_pem = b.private_key_pem;
    (void)tls::make_server_context(mismatched, ec);
    EXPECT_NE(ec.message().find("key values mismatch"), std::string::npos) << ec.message();
    EXPECT_THROW((void)tls::make_server_context(mismatched), boost::system::system_error);

    tls::server_config missing;
    missing.certificate_chain_file = "/nonexistent/chain.pem";
    missing.private_key_file = "/nonexistent/key.pem";
    (void)tls::make_server_context(missing, ec);
    EXPECT_TRUE(ec);

    tls::client_config garbage;
    garbage.ca_pem = "not a certificate";
    (void)tls::make_client_context(garbage, ec);
    EXPECT_TRUE(ec);
    EXPECT_THROW((void)tls::make_client_context(garbage), boost::system::system_error);
}

// ---- certificates made at run time ------------------------------------------

struct parsed {
    std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
    std::set<std::string> dns, ip;
};

parsed parse(const std::string& pem)
{
    parsed p;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                  BIO_free};
    p.cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!p.cert)
        return p;
    auto* names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(p.cert.get(), NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        if (n->type == GEN_DNS)
            p.dns.emplace(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                          static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName)));
        if (n->type == GEN_IPADD) {
            const unsigned char* b = ASN1_STRING_get0_data(n->d.iPAddress);
            const int len = ASN1_STRING_length(n->d.iPAddress);
            if (len == 4) {
                net::ip::address_v4::bytes_type v4;
                std::copy(b, b + 4, v4.begin());
                p.ip.emplace(net::ip::address_v4{v4}.to_string());
            } else if (len == 16) {
                net::ip::address_v6::bytes_type v6;
                std::copy(b, b + 16, v6.begin());
                p.ip.emplace(net::ip::address_v6{v6}.to_string());
            } else {
                p.ip.emplace("bad length " + std::to_string(len));
            }
        }
    }
    GENERAL_NAMES_free(names);
    return p;
}

TEST(TlsCertificates, SelfSignedHasTheRequestedNames)
{
    const auto c = tls::make_self_signed("strata dev", {"localhost", "dev.test", "127.0.0.1", "[::1]"},
                                         std::chrono::days{7});
    EXPECT_NE(c.private_key_pem.find(
                  "-----BEGIN "
                  "PRIVATE KEY-----" /* split: no key is committed, and scanners should not think one is */),
              std::string::npos);
    const auto p = parse(c.certificate_pem);
    ASSERT_TRUE(p.cert);
    EXPECT_EQ(p.dns, (std::set<std::string>{"localhost", "dev.test"}));
    EXPECT_EQ(p.ip, (std::set<std::string>{"127.0.0.1", "::1"}));
    // Self-signed: issuer is subject, and the certificate's own key verifies it.
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(p.cert.get()), X509_get_subject_name(p.cert.get())), 0);
    EXPECT_EQ(X509_verify(p.cert.get(), X509_get0_pubkey(p.cert.get())), 1);
    // An EC P-256 key, valid for the seven days asked (give or take the hour of skew allowance).
    EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(p.cert.get())), EVP_PKEY_EC);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(p.cert.get())), 256);
    int days = 0, seconds = 0;
    ASSERT_EQ(
        ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(p.cert.get()), X509_get0_notAfter(p.cert.get())),
        1);
    EXPECT_EQ(days, 7);
    EXPECT_EQ(X509_check_host(p.cert.get(), "dev.test", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ca(p.cert.get()), 0); // a server certificate, not a CA
}

TEST(TlsCertificates, IssuedCertificateChainsToTheAuthority)
{
    const auto leaf = authority().issue("leaf", {"localhost"});
    const auto ca = parse(authority().ca.certificate_pem);
    const auto p = parse(leaf.certificate_pem);
    ASSERT_TRUE(ca.cert && p.cert);
    EXPECT_NE(X509_check_ca(ca.cert.get()), 0);
    EXPECT_EQ(X509_check_issued(ca.cert.get(), p.cert.get()), X509_V_OK);
    EXPECT_EQ(X509_verify(p.cert.get(), X509_get0_pubkey(ca.cert.get())), 1);
    // Every certificate gets a fresh key.
    EXPECT_NE(leaf.private_key_pem, authority().issue("leaf", {"localhost"}).private_key_pem);
}

TEST(TlsCertificates, MalformedNamesAreRefused)
{
    error_code ec;
    (void)tls::make_self_signed("x", {"bad name"}, std::chrono::days{1}, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument);
    (void)tls::make_self_signed("x", {""}, std::chrono::days{1}, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument);
    (void)tls::make_self_signed("x", {"ok.test", "bad..name"}, std::chrono::days{1}, ec);
    EXPECT_EQ(ec, boost::system::errc::invalid_argument);
    (void)tls::make_self_signed("x", {"*.ok.test", "under_score.test", "xn--bcher-kva.test"},
                                std::chrono::days{1}, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_THROW((void)authority().issue("x", {"a,DNS:b"}), boost::system::system_error);
}

} // namespace
