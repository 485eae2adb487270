// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// curl, a client strata did not write, against the strata server over TCP
// and TLS: keep-alive reuse, chunked uploads, HEAD, 100-continue, HTTP/1.0,
// malformed requests, TLS versions, ALPN and certificate verification.

#include "interop_support.hpp"

#include <string>
#include <vector>

using namespace strata;
using namespace strata::interop;

namespace {

// curl 7.88 says "Re-using existing connection"; 8.x says "Reusing existing connection".
bool says_reused(const std::string& verbose)
{
    return verbose.find("Re-using existing connection") != std::string::npos ||
           verbose.find("Reusing existing connection") != std::string::npos;
}

bool contains(const std::string& text, std::string_view what)
{
    return text.find(what) != std::string::npos;
}

class CurlAgainstStrata : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() { peer_ = std::make_unique<strata_peer>(); }
    static void TearDownTestSuite() { peer_.reset(); }

    void SetUp() override
    {
        curl_ = require_program("curl", "curl");
        ASSERT_FALSE(curl_.empty());
    }

    const std::string& scheme() const { return GetParam(); }
    bool secure() const { return scheme() == "https"; }

    /// Over TLS the URL names "localhost", pinned to 127.0.0.1, so that the
    /// certificate's DNS name and SNI are what curl checks.
    std::string url(std::string_view path) const
    {
        return peer_->url(scheme(), path, secure() ? "localhost" : "127.0.0.1");
    }

    /// The options every curl run gets: no ~/.curlrc, no proxy, errors shown,
    /// a time limit, and the test CA for https.
    std::vector<std::string> base_options() const
    {
        // HTTP/1.1 throughout: over TLS curl would otherwise take the h2 the
        // server offers by ALPN (http2_interop_test.cpp covers that).
        std::vector<std::string> a{"--silent",   "--show-error", "--noproxy", "*",
                                   "--max-time", "20",           "--http1.1"};
        if (secure()) {
            a.insert(a.end(), {"--cacert", peer_->ca_file(), "--resolve",
                               "localhost:" + std::to_string(peer_->https_port()) + ":127.0.0.1"});
        }
        return a;
    }

    process_result curl(const std::vector<std::string>& args, const run_options& opt = {}) const
    {
        std::vector<std::string> argv{curl_, "-q"};
        auto base = base_options();
        argv.insert(argv.end(), base.begin(), base.end());
        argv.insert(argv.end(), args.begin(), args.end());
        return run_process(argv, opt);
    }

    static std::unique_ptr<strata_peer> peer_;
    std::string curl_;
    temp_dir dir_;
};

std::unique_ptr<strata_peer> CurlAgainstStrata::peer_;

INSTANTIATE_TEST_SUITE_P(Schemes, CurlAgainstStrata, ::testing::Values("http", "https"),
                         [](const auto& info) { return info.param; });

TEST_P(CurlAgainstStrata, GetReturnsStatusAndBody)
{
    auto r = curl({"--include", url("/hello")});
    ASSERT_TRUE(r.ok()) << r.describe();
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_EQ(responses[0].status_line, "HTTP/1.1 200 OK");
    EXPECT_EQ(responses[0].body, strata_peer::hello_body);
    EXPECT_EQ(responses[0].field("Content-Length"), std::to_string(strata_peer::hello_body.size()));
}

TEST_P(CurlAgainstStrata, KeepAliveReusesOneConnection)
{
    // Two URLs in one invocation: curl keeps the connection and the server
    // sees both requests come from the same client port.
    auto r = curl({"--verbose", url("/port"), url("/port")});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(says_reused(r.err)) << r.err;
    auto newline = r.out.find('\n');
    ASSERT_NE(newline, std::string::npos) << r.out;
    auto first = r.out.substr(0, newline);
    auto second = r.out.substr(newline + 1);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first + "\n", second) << "the second request came on another connection";

    // The route does tell connections apart: a second curl gets another port.
    auto again = curl({url("/port")});
    ASSERT_TRUE(again.ok()) << again.describe();
    EXPECT_NE(again.out, second);
}

TEST_P(CurlAgainstStrata, ChunkedUploadIsEchoedExactly)
{
    // From stdin curl knows no length, so it sends the body chunked.
    auto data = random_bytes(1024 * 1024, 7);
    auto file = dir_.write("upload.bin", data);
    run_options opt;
    opt.stdin_file = file;
    auto r = curl({"--include", "--upload-file", "-", url("/echo")}, opt);
    ASSERT_TRUE(r.ok()) << r.describe();
    auto responses = parse_responses(r.out);
    ASSERT_FALSE(responses.empty());
    const auto& last = responses.back();
    EXPECT_EQ(last.status, 200u) << last.status_line;
    EXPECT_EQ(last.field("X-Seen-Transfer-Encoding"), "chunked");
    ASSERT_EQ(last.body.size(), data.size());
    EXPECT_TRUE(last.body == data) << "the echoed bytes differ from the upload";
}

TEST_P(CurlAgainstStrata, ChunkedResponseIsDecoded)
{
    auto r = curl({"--include", url("/stream")});
    ASSERT_TRUE(r.ok()) << r.describe();
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_EQ(responses[0].field("Transfer-Encoding"), "chunked");
    EXPECT_FALSE(responses[0].field("Content-Length"));
    EXPECT_EQ(responses[0].body, strata_peer::stream_body());
}

TEST_P(CurlAgainstStrata, HeadHasContentLengthAndNoBody)
{
    // HEAD, then GET on the same connection: a body sent after the HEAD
    // answer would be taken for the start of the next response.
    auto base = base_options();
    std::vector<std::string> args{"--verbose", "--head", url("/hello"), "--next"};
    args.insert(args.end(), base.begin(), base.end());
    args.insert(args.end(), {"--verbose", url("/hello")});
    auto r = curl(args);
    ASSERT_TRUE(r.ok()) << r.describe();
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_EQ(responses[0].status, 200u);
    EXPECT_EQ(responses[0].field("Content-Length"), std::to_string(strata_peer::hello_body.size()));
    // What follows the HEAD answer is only the GET's body.
    EXPECT_EQ(responses[0].body, strata_peer::hello_body);
    EXPECT_TRUE(says_reused(r.err)) << r.err;
    EXPECT_FALSE(contains(r.err, "Excess found")) << r.err;
}

TEST_P(CurlAgainstStrata, ExpectContinueIsAnsweredAtOnce)
{
    // curl would wait --expect100-timeout (10 s here) for a server that
    // stayed silent; the server answers 100 when the handler reads the body.
    auto data = random_bytes(2 * 1024 * 1024, 11);
    auto file = dir_.write("continue.bin", data);
    auto r = curl({"--verbose", "--include", "--expect100-timeout", "10", "--header", "Expect: 100-continue",
                   "--header", "Content-Type: application/octet-stream", "--data-binary", "@" + file,
                   url("/echo")});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(contains(r.err, "< HTTP/1.1 100 Continue")) << r.err;
    EXPECT_LT(r.elapsed, std::chrono::milliseconds(5000))
        << "curl waited for a 100 Continue that did not come";
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 2u) << r.err;
    EXPECT_EQ(responses[0].status, 100u);
    const auto& last = responses.back();
    EXPECT_EQ(last.status, 200u);
    EXPECT_EQ(last.field("X-Seen-Expect"), "100-continue");
    EXPECT_EQ(last.field("X-Seen-Content-Length"), std::to_string(data.size()));
    ASSERT_EQ(last.body.size(), data.size());
    EXPECT_TRUE(last.body == data) << "the echoed bytes differ from the upload";
}

TEST_P(CurlAgainstStrata, Http10RequestIsAnsweredAndClosed)
{
    // An HTTP/1.0 request without Keep-Alive: the answer is delimited by its
    // length or by the close, and the connection ends after it.
    auto r = curl({"--verbose", "--include", "--http1.0", url("/version")});
    ASSERT_TRUE(r.ok()) << r.describe();
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_EQ(responses[0].status, 200u);
    EXPECT_EQ(responses[0].body, "HTTP/1.0\n");
    EXPECT_FALSE(responses[0].field("Transfer-Encoding")) << "HTTP/1.0 has no chunked coding";
    if (auto length = responses[0].field("Content-Length")) {
        EXPECT_EQ(*length, "9");
    }
    EXPECT_FALSE(contains(r.err, "left intact")) << r.err;
    EXPECT_TRUE(contains(r.err, "Closing connection")) << r.err;
}

TEST_P(CurlAgainstStrata, RequestTargetWithASpaceGets400)
{
    auto r = curl({"--include", "--request-target", "/hello world", url("/hello")});
    ASSERT_TRUE(r.ok()) << r.describe();
    auto responses = parse_responses(r.out);
    ASSERT_FALSE(responses.empty()) << r.out;
    EXPECT_EQ(responses.back().status, 400u) << r.out;
}

// ---- TLS only -----------------------------------------------------------------

class CurlAgainstStrataTls : public CurlAgainstStrata {};

INSTANTIATE_TEST_SUITE_P(Tls, CurlAgainstStrataTls, ::testing::Values("https"),
                         [](const auto& info) { return info.param; });

TEST_P(CurlAgainstStrataTls, VerificationFailsWithoutTheTestCa)
{
    std::vector<std::string> argv{
        curl_,        "-q",
        "--silent",   "--show-error",
        "--noproxy",  "*",
        "--max-time", "20",
        "--resolve",  "localhost:" + std::to_string(peer_->https_port()) + ":127.0.0.1",
        url("/hello")};
    auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 60) << r.describe(); // CURLE_PEER_FAILED_VERIFICATION
    EXPECT_TRUE(contains(r.err, "certificate")) << r.err;
    EXPECT_TRUE(r.out.empty());
}

TEST_P(CurlAgainstStrataTls, VerificationFailsForANameTheCertificateLacks)
{
    auto r = curl({"--resolve", "elsewhere.test:" + std::to_string(peer_->https_port()) + ":127.0.0.1",
                   "https://elsewhere.test:" + std::to_string(peer_->https_port()) + "/hello"});
    EXPECT_EQ(r.exit_code, 60) << r.describe();
    EXPECT_TRUE(r.out.empty());
}

TEST_P(CurlAgainstStrataTls, Tls12AndTls13BothWork)
{
    auto v12 = curl({"--verbose", "--tlsv1.2", "--tls-max", "1.2", url("/hello")});
    ASSERT_TRUE(v12.ok()) << v12.describe();
    EXPECT_EQ(v12.out, strata_peer::hello_body);
    EXPECT_TRUE(contains(v12.err, "SSL connection using TLSv1.2")) << v12.err;

    auto v13 = curl({"--verbose", "--tlsv1.3", url("/hello")});
    ASSERT_TRUE(v13.ok()) << v13.describe();
    EXPECT_EQ(v13.out, strata_peer::hello_body);
    EXPECT_TRUE(contains(v13.err, "SSL connection using TLSv1.3")) << v13.err;
}

TEST_P(CurlAgainstStrataTls, AlpnSettlesOnHttp11)
{
    auto r = curl({"--verbose", "--include", "--http1.1", url("/hello")});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(contains(r.err, "ALPN: server accepted http/1.1")) << r.err;
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_EQ(responses[0].status_line, "HTTP/1.1 200 OK");
    EXPECT_EQ(responses[0].body, strata_peer::hello_body);
}

TEST_P(CurlAgainstStrataTls, AlpnChoiceFromAnOfferOfH2AndHttp11IsHonoured)
{
    // curl offers h2 and http/1.1; whichever the server picks is what it must speak.
    auto r = curl({"--verbose", "--include", "--http2", url("/hello")});
    ASSERT_TRUE(r.ok()) << r.describe();
    constexpr std::string_view accepted = "ALPN: server accepted ";
    auto at = r.err.find(accepted);
    ASSERT_NE(at, std::string::npos) << r.err;
    at += accepted.size();
    auto protocol = r.err.substr(at, r.err.find_first_of(" \r\n", at) - at);
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    std::string expected = protocol == "h2" ? "HTTP/2 200" : "HTTP/1.1 200";
    EXPECT_TRUE(responses[0].status_line.starts_with(expected)) << responses[0].status_line << "\n" << r.err;
    EXPECT_EQ(responses[0].body, strata_peer::hello_body);
}

// ---- raw bytes, where curl will not send what a test needs ------------------------

class RawAgainstStrata : public ::testing::Test {
protected:
    static void SetUpTestSuite() { peer_ = std::make_unique<strata_peer>(); }
    static void TearDownTestSuite() { peer_.reset(); }
    static std::unique_ptr<strata_peer> peer_;
};

std::unique_ptr<strata_peer> RawAgainstStrata::peer_;

TEST_F(RawAgainstStrata, MalformedRequestsGet400AndAClose)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"field line without a colon", "GET /hello HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n"},
        {"HTTP/1.1 without Host (RFC 9112 §3.2)", "GET /hello HTTP/1.1\r\n\r\n"},
        {"whitespace inside a field name", "GET /hello HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n"},
        {"invalid Content-Length (RFC 9112 §6.3)",
         "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"},
        {"two request lines in one", "GET /hello HTTP/1.1 GET\r\nHost: a\r\n\r\n"},
        {"Content-Length and chunked together (RFC 9112 §6.3)",
         "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: "
         "chunked\r\n\r\n0\r\n\r\n"},
    };
    for (const auto& [what, bytes] : cases) {
        bool closed = false;
        auto out = raw_exchange(peer_->http_port(), bytes, 5s, closed);
        EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 400") << what << ":\n" << out;
        EXPECT_TRUE(closed) << what << ": the server kept a connection it cannot parse";
    }
}

TEST_F(RawAgainstStrata, HeadSendsTheLengthOfGetAndNoBody)
{
    bool closed = false;
    auto out = raw_exchange(peer_->http_port(),
                            "HEAD /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 5s, closed);
    EXPECT_TRUE(closed);
    auto responses = parse_responses(out);
    ASSERT_EQ(responses.size(), 1u) << out;
    EXPECT_EQ(responses[0].status, 200u);
    EXPECT_EQ(responses[0].field("Content-Length"), std::to_string(strata_peer::hello_body.size()));
    EXPECT_EQ(responses[0].body, "");
}

TEST_F(RawAgainstStrata, Http10WithoutKeepAliveEndsTheConnection)
{
    bool closed = false;
    auto out = raw_exchange(peer_->http_port(), "GET /hello HTTP/1.0\r\n\r\n", 5s, closed);
    EXPECT_TRUE(closed) << "the server kept an HTTP/1.0 connection without Keep-Alive open";
    auto responses = parse_responses(out);
    ASSERT_EQ(responses.size(), 1u) << out;
    EXPECT_EQ(responses[0].status, 200u);
    EXPECT_EQ(responses[0].body, strata_peer::hello_body);
    EXPECT_FALSE(responses[0].field("Transfer-Encoding"));
}

} // namespace
