// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// HTTP/2 against peers strata did not write. nghttp, curl and h2load talk to
// the strata server (h2 by ALPN over TLS, prior knowledge over TCP); the
// strata client talks to nghttpd and nginx. Each test checks what crossed
// the wire: the protocol negotiated, statuses, bodies byte for byte,
// trailers, and how many connections and streams carried the requests.

#include "interop_support.hpp"

#include <strata/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

using namespace strata;
using namespace strata::interop;

namespace {

bool contains(std::string_view text, std::string_view what)
{
    return text.find(what) != std::string_view::npos;
}

// curl 7.88 says "Re-using existing connection"; 8.x says "Reusing existing connection".
bool says_reused(std::string_view verbose)
{
    return contains(verbose, "Re-using existing connection") ||
           contains(verbose, "Reusing existing connection");
}

std::size_t count_of(std::string_view text, std::string_view what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

std::string scheme_name(const ::testing::TestParamInfo<std::string>& info)
{
    return info.param;
}

// ---- reading `nghttp -v` ------------------------------------------------------------

/// One frame as `nghttp -v` logs it: "[  0.008] recv DATA frame <length=18,
/// flags=0x01, stream_id=13>", the indented lines after it, and for HEADERS
/// the fields it logged just before it ("recv (stream_id=13) name: value").
struct nghttp_frame {
    bool sent = false;
    std::string type;
    std::size_t length = 0;
    unsigned flags = 0;
    int stream = -1;
    std::vector<std::string> details;
    std::vector<std::string> fields; ///< "name: value", received HEADERS only

    bool end_stream() const noexcept { return (type == "DATA" || type == "HEADERS") && (flags & 0x1); }
};

std::size_t number_after(std::string_view text, std::string_view key, int base = 10)
{
    auto at = text.find(key);
    if (at == std::string_view::npos)
        return 0;
    return std::strtoull(std::string(text.substr(at + key.size())).c_str(), nullptr, base);
}

/// The frames in nghttp's verbose log. Lines that are neither (response
/// bodies, when not sent to /dev/null with -n) are skipped.
std::vector<nghttp_frame> nghttp_frames(const std::string& log)
{
    std::vector<nghttp_frame> frames;
    std::map<int, std::vector<std::string>> pending; // fields logged before their HEADERS frame
    std::istringstream in{log};
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("          ")) {
            if (!frames.empty())
                frames.back().details.push_back(line.substr(10));
            continue;
        }
        auto close = line.find("] ");
        if (!line.starts_with("[") || close == std::string::npos)
            continue;
        std::string_view rest{line};
        rest.remove_prefix(close + 2);
        bool sent = rest.starts_with("send ");
        if (!sent && !rest.starts_with("recv "))
            continue;
        rest.remove_prefix(5);
        if (rest.starts_with("(stream_id=")) {
            auto end = rest.find(") ");
            if (end != std::string_view::npos)
                pending[static_cast<int>(number_after(rest, "(stream_id="))].emplace_back(
                    rest.substr(end + 2));
            continue;
        }
        auto space = rest.find(" frame <");
        if (space == std::string_view::npos)
            continue;
        nghttp_frame f;
        f.sent = sent;
        f.type = std::string(rest.substr(0, space));
        f.length = number_after(rest, "length=");
        f.flags = static_cast<unsigned>(number_after(rest, "flags=0x", 16));
        f.stream = static_cast<int>(number_after(rest, "stream_id="));
        if (!sent && f.type == "HEADERS") {
            f.fields = std::move(pending[f.stream]);
            pending.erase(f.stream);
        }
        frames.push_back(std::move(f));
    }
    return frames;
}

/// The streams that received a response head, with their :status.
std::map<int, unsigned> response_statuses(const std::vector<nghttp_frame>& frames)
{
    std::map<int, unsigned> out;
    for (const auto& f : frames)
        for (const auto& field : f.fields)
            if (field.starts_with(":status: "))
                out[f.stream] = static_cast<unsigned>(std::atoi(field.c_str() + 9));
    return out;
}

/// The DATA bytes each stream received.
std::map<int, std::size_t> received_data(const std::vector<nghttp_frame>& frames)
{
    std::map<int, std::size_t> out;
    for (const auto& f : frames)
        if (!f.sent && f.type == "DATA")
            out[f.stream] += f.length;
    return out;
}

bool has_field(const nghttp_frame& f, std::string_view field)
{
    return std::find(f.fields.begin(), f.fields.end(), field) != f.fields.end();
}

// ---- nghttp against the strata server -------------------------------------------------

class Http2NghttpAgainstStrata : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() { peer_ = std::make_unique<strata_peer>(); }
    static void TearDownTestSuite() { peer_.reset(); }

    void SetUp() override
    {
        nghttp_ = require_program("nghttp", "nghttp2-client");
        ASSERT_FALSE(nghttp_.empty());
    }

    bool secure() const { return GetParam() == "https"; }
    /// Over TLS the URL names "localhost": nghttp checks the certificate's
    /// DNS names, not its IP addresses.
    std::string url(std::string_view path) const
    {
        return peer_->url(GetParam(), path, secure() ? "localhost" : "127.0.0.1");
    }

    /// nghttp verifies the server's certificate against OpenSSL's default
    /// store, which SSL_CERT_FILE points at the test CA; it only warns when
    /// that fails, so the tests look for the warning.
    process_result nghttp(const std::vector<std::string>& args, const run_options& opt = {}) const
    {
        std::vector<std::string> argv{"env", "SSL_CERT_FILE=" + peer_->ca_file(), nghttp_, "--timeout=15s"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_process(argv, opt);
    }

    /// What every verbose run must show: one connection, h2 chosen by ALPN
    /// over TLS with a certificate that verified, no error from either side.
    void expect_clean_connection(const process_result& r) const
    {
        EXPECT_EQ(count_of(r.out, "] Connected"), 1u) << r.out;
        if (secure()) {
            EXPECT_TRUE(contains(r.out, "The negotiated protocol: h2")) << r.out;
            EXPECT_FALSE(contains(r.out + r.err, "Certificate verification failed")) << r.out << r.err;
        }
        EXPECT_FALSE(contains(r.out, "recv RST_STREAM")) << r.out;
        EXPECT_FALSE(contains(r.out, "recv GOAWAY")) << "strata ended the connection first:\n" << r.out;
    }

    static std::unique_ptr<strata_peer> peer_;
    std::string nghttp_;
    temp_dir dir_;
};

std::unique_ptr<strata_peer> Http2NghttpAgainstStrata::peer_;

INSTANTIATE_TEST_SUITE_P(Http2, Http2NghttpAgainstStrata, ::testing::Values("http", "https"), scheme_name);

TEST_P(Http2NghttpAgainstStrata, ShowsResponseHeadersAndBody)
{
    auto r = nghttp({"-v", url("/hello"), url("/version")});
    ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.out;
    expect_clean_connection(r);
    auto frames = nghttp_frames(r.out);
    auto statuses = response_statuses(frames);
    ASSERT_EQ(statuses.size(), 2u) << r.out;
    for (auto [stream, status] : statuses)
        EXPECT_EQ(status, 200u) << "stream " << stream;
    auto head = std::find_if(frames.begin(), frames.end(), [](const nghttp_frame& f) {
        return !f.sent && f.type == "HEADERS" && has_field(f, "content-length: 18");
    });
    ASSERT_NE(head, frames.end()) << "no response head with /hello's length:\n" << r.out;
    EXPECT_TRUE(has_field(*head, "server: strata")) << r.out;
    EXPECT_TRUE(has_field(*head, "content-type: text/plain; charset=utf-8")) << r.out;
    // nghttp prints each body as it arrives, between the frame lines.
    EXPECT_TRUE(contains(r.out, "\n" + std::string(strata_peer::hello_body))) << r.out;
    // The handler saw the request arrive on HTTP/2.
    EXPECT_TRUE(contains(r.out, "\nHTTP/2\n")) << r.out;
}

TEST_P(Http2NghttpAgainstStrata, SeveralRequestsAreStreamsOfOneConnection)
{
    constexpr std::size_t copies = 10;
    auto r = nghttp({"-v", "-n", "-m", std::to_string(copies), url("/hello"), url("/stream")});
    ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.out;
    expect_clean_connection(r);
    auto frames = nghttp_frames(r.out);
    auto statuses = response_statuses(frames);
    EXPECT_EQ(statuses.size(), 2 * copies) << r.out;
    for (auto [stream, status] : statuses)
        EXPECT_EQ(status, 200u) << "stream " << stream;
    auto data = received_data(frames);
    std::size_t hellos = 0, streams = 0;
    for (auto [stream, bytes] : data) {
        hellos += bytes == strata_peer::hello_body.size();
        streams += bytes == strata_peer::stream_body().size();
    }
    EXPECT_EQ(hellos, copies) << r.out;
    EXPECT_EQ(streams, copies) << r.out;
    std::size_t ended = 0;
    for (const auto& f : frames)
        ended += !f.sent && f.end_stream();
    EXPECT_EQ(ended, 2 * copies) << "every stream ends once";

    // The same client port in every answer: one TCP connection carried them.
    auto ports = nghttp({"-m", "3", url("/port")});
    ASSERT_TRUE(ports.ok()) << ports.describe();
    std::istringstream lines{ports.out};
    std::vector<std::string> seen;
    for (std::string line; std::getline(lines, line);)
        seen.push_back(line);
    ASSERT_EQ(seen.size(), 3u) << ports.out;
    EXPECT_NE(std::atoi(seen[0].c_str()), 0) << ports.out;
    EXPECT_EQ(seen[1], seen[0]);
    EXPECT_EQ(seen[2], seen[0]);
}

TEST_P(Http2NghttpAgainstStrata, TrailersFollowTheBody)
{
    auto r = nghttp({"-v", "-n", url("/trailers")});
    ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.out;
    expect_clean_connection(r);
    auto frames = nghttp_frames(r.out);
    auto statuses = response_statuses(frames);
    ASSERT_EQ(statuses.size(), 1u) << r.out;
    auto stream = statuses.begin()->first;
    EXPECT_EQ(statuses.begin()->second, 200u);
    // Received on the stream, in order: the head, DATA without END_STREAM,
    // then a second HEADERS frame with the trailer and END_STREAM.
    std::vector<const nghttp_frame*> on_stream;
    for (const auto& f : frames)
        if (!f.sent && f.stream == stream)
            on_stream.push_back(&f);
    ASSERT_GE(on_stream.size(), 3u) << r.out;
    EXPECT_EQ(on_stream.front()->type, "HEADERS");
    EXPECT_FALSE(on_stream.front()->end_stream());
    const auto& last = *on_stream.back();
    EXPECT_EQ(last.type, "HEADERS") << r.out;
    EXPECT_TRUE(last.end_stream()) << r.out;
    auto trailer = std::string(strata_peer::trailer_name) + ": " + std::string(strata_peer::trailer_value);
    EXPECT_TRUE(has_field(last, trailer)) << r.out;
    std::size_t body = 0;
    for (auto it = on_stream.begin() + 1; it + 1 != on_stream.end(); ++it) {
        EXPECT_EQ((*it)->type, "DATA") << r.out;
        EXPECT_FALSE((*it)->end_stream()) << "END_STREAM before the trailers:\n" << r.out;
        body += (*it)->length;
    }
    EXPECT_EQ(body, strata_peer::trailers_body.size());
}

TEST_P(Http2NghttpAgainstStrata, LargeResponseCrossesManyFlowControlWindows)
{
    const auto& big = strata_peer::big_body();
    auto r = nghttp({url("/big")}, {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.out.size(), big.size());
    EXPECT_TRUE(r.out == big) << "the 8 MiB body arrived altered";

    // nghttp opens each stream (and the connection) with a 64 KiB window, so
    // strata can only have sent 8 MiB by waiting for WINDOW_UPDATEs that add
    // up to nearly all of it.
    auto v = nghttp({"-v", "-n", url("/big")}, {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(v.ok()) << v.describe();
    expect_clean_connection(v);
    auto frames = nghttp_frames(v.out);
    auto statuses = response_statuses(frames);
    ASSERT_EQ(statuses.size(), 1u) << v.out.substr(0, 4000);
    auto stream = statuses.begin()->first;
    EXPECT_EQ(received_data(frames)[stream], big.size());
    std::size_t updates = 0, credit = 0;
    for (const auto& f : frames) {
        if (!f.sent || f.type != "WINDOW_UPDATE" || f.stream != stream)
            continue;
        ++updates;
        for (const auto& d : f.details)
            credit += number_after(d, "window_size_increment=");
    }
    EXPECT_GE(credit, big.size() - 65535) << updates << " WINDOW_UPDATEs";
    EXPECT_GE(updates, big.size() / 65535) << "credit " << credit;
}

TEST_P(Http2NghttpAgainstStrata, HeadResponseIsOneHeadersFrame)
{
    // /big writes 8 MiB even for HEAD: the server must drop it and end the
    // stream with the head (RFC 9110 §9.3.2), sending no DATA at all.
    auto r = nghttp({"-v", "-n", "-H", ":method: HEAD", url("/big"), url("/hello")});
    ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.out;
    expect_clean_connection(r);
    auto frames = nghttp_frames(r.out);
    auto statuses = response_statuses(frames);
    ASSERT_EQ(statuses.size(), 2u) << r.out;
    for (const auto& f : frames) {
        if (f.sent)
            continue;
        EXPECT_NE(f.type, "DATA") << "DATA on stream " << f.stream << " of a HEAD request:\n" << r.out;
        if (f.type == "HEADERS") {
            EXPECT_TRUE(f.end_stream()) << "stream " << f.stream << "\n" << r.out;
            EXPECT_TRUE(has_field(f, "content-length: " + std::to_string(strata_peer::big_size)) ||
                        has_field(f, "content-length: " + std::to_string(strata_peer::hello_body.size())))
                << r.out;
        }
    }
}

TEST_P(Http2NghttpAgainstStrata, UploadIsEchoedByteExact)
{
    auto data = random_bytes(1024 * 1024, 21);
    auto file = dir_.write("upload.bin", data);
    auto r = nghttp({"-d", file, url("/echo")}, {.timeout = 30s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_FALSE(contains(r.err, "Some requests were not processed")) << r.err;
    EXPECT_EQ(r.out.size(), data.size());
    EXPECT_TRUE(r.out == data) << "the echoed bytes differ from the upload";
}

// ---- curl against the strata server ---------------------------------------------------

class Http2CurlAgainstStrata : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() { peer_ = std::make_unique<strata_peer>(); }
    static void TearDownTestSuite() { peer_.reset(); }

    void SetUp() override
    {
        curl_ = require_program("curl", "curl");
        ASSERT_FALSE(curl_.empty());
    }

    bool secure() const { return GetParam() == "https"; }
    /// Over TLS the URL names "localhost", pinned to 127.0.0.1, so that the
    /// certificate's DNS name and SNI are what curl checks.
    std::string url(std::string_view path) const
    {
        return peer_->url(GetParam(), path, secure() ? "localhost" : "127.0.0.1");
    }

    /// No ~/.curlrc, no proxy, errors shown, a time limit, the test CA, and
    /// HTTP/2: offered by ALPN over TLS, spoken from the first byte over TCP.
    std::vector<std::string> options() const
    {
        std::vector<std::string> a{"--silent", "--show-error", "--noproxy", "*", "--max-time", "30"};
        if (secure()) {
            a.insert(a.end(), {"--http2", "--cacert", peer_->ca_file(), "--resolve",
                               "localhost:" + std::to_string(peer_->https_port()) + ":127.0.0.1"});
        } else {
            a.emplace_back("--http2-prior-knowledge");
        }
        return a;
    }

    process_result curl(const std::vector<std::string>& args, const run_options& opt = {}) const
    {
        std::vector<std::string> argv{curl_, "-q"};
        auto base = options();
        argv.insert(argv.end(), base.begin(), base.end());
        argv.insert(argv.end(), args.begin(), args.end());
        return run_process(argv, opt);
    }

    /// The response head curl wrote with --dump-header.
    raw_response head_from(const std::string& file) const
    {
        auto responses = parse_responses(read_file(file));
        return responses.empty() ? raw_response{} : responses.back();
    }

    static std::unique_ptr<strata_peer> peer_;
    std::string curl_;
    temp_dir dir_;
};

std::unique_ptr<strata_peer> Http2CurlAgainstStrata::peer_;

INSTANTIATE_TEST_SUITE_P(Http2, Http2CurlAgainstStrata, ::testing::Values("http", "https"), scheme_name);

TEST_P(Http2CurlAgainstStrata, SpeaksHttp2)
{
    auto r = curl({"--verbose", "--include", url("/version")});
    ASSERT_TRUE(r.ok()) << r.describe();
    if (secure()) {
        EXPECT_TRUE(contains(r.err, "ALPN: server accepted h2")) << r.err;
    }
    EXPECT_TRUE(contains(r.err, "Using Stream ID: 1")) << r.err;
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_TRUE(responses[0].status_line.starts_with("HTTP/2 200")) << responses[0].status_line;
    EXPECT_EQ(responses[0].field("server"), "strata");
    // The handler saw HTTP/2 too, not a downgrade somewhere in between.
    EXPECT_EQ(responses[0].body, "HTTP/2\n");
}

TEST_P(Http2CurlAgainstStrata, UploadOfAMebibyteIsEchoedByteExact)
{
    auto data = random_bytes(1024 * 1024, 17);
    auto in = dir_.write("upload.bin", data);
    auto out = (dir_.path() / "echoed.bin").string();
    auto head = (dir_.path() / "head.txt").string();
    auto r = curl({"--data-binary", "@" + in, "--header", "Content-Type: application/octet-stream",
                   "--dump-header", head, "--output", out, url("/echo")});
    ASSERT_TRUE(r.ok()) << r.describe();
    auto h = head_from(head);
    EXPECT_TRUE(h.status_line.starts_with("HTTP/2 200")) << h.status_line;
    EXPECT_EQ(h.field("x-seen-content-length"), std::to_string(data.size()));
    // HTTP/2 frames the body itself (RFC 9113 §8.2.2: no Transfer-Encoding).
    EXPECT_EQ(h.field("x-seen-transfer-encoding"), "-");
    auto echoed = read_file(out);
    EXPECT_EQ(echoed.size(), data.size());
    EXPECT_TRUE(echoed == data) << "the echoed bytes differ from the upload";
}

TEST_P(Http2CurlAgainstStrata, ResponseWithTrailersEndsCleanly)
{
    // With --include curl writes the trailer fields after the body; with
    // --output the body file has the body alone.
    auto body = (dir_.path() / "body.txt").string();
    auto r = curl({"--include", url("/trailers")});
    ASSERT_TRUE(r.ok()) << r.describe();
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_TRUE(responses[0].status_line.starts_with("HTTP/2 200")) << responses[0].status_line;
    EXPECT_EQ(responses[0].field("trailer"), strata_peer::trailer_name);
    EXPECT_EQ(responses[0].body, std::string(strata_peer::trailers_body) +
                                     std::string(strata_peer::trailer_name) + ": " +
                                     std::string(strata_peer::trailer_value) + "\r\n");

    auto plain = curl({"--output", body, url("/trailers")});
    ASSERT_TRUE(plain.ok()) << plain.describe();
    EXPECT_EQ(read_file(body), strata_peer::trailers_body);
}

TEST_P(Http2CurlAgainstStrata, HeadHasTheLengthAndNoBody)
{
    // /big writes 8 MiB even for HEAD; the server must drop it and end the stream.
    auto r = curl({"--head", url("/big")});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_LT(r.elapsed, 5s) << "curl waited for a body HEAD never has";
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    EXPECT_TRUE(responses[0].status_line.starts_with("HTTP/2 200")) << responses[0].status_line;
    EXPECT_EQ(responses[0].field("content-length"), std::to_string(strata_peer::big_size));
    EXPECT_EQ(responses[0].body, "");

    // The connection then serves the next request undisturbed. Only over
    // TLS: curl 7.88 cannot reuse a prior-knowledge connection at all
    // (curl/curl#10634, fixed in 8.0; it fails with "Error in the HTTP2
    // framing layer" against nghttpd too). Over TCP nghttp's
    // HeadResponseIsOneHeadersFrame checks the same.
    if (!secure())
        return;
    auto head = (dir_.path() / "head.txt").string();
    auto body = (dir_.path() / "body.txt").string();
    std::vector<std::string> args{"--verbose", "--head", "--output", "/dev/null", url("/big"), "--next"};
    auto again = options();
    args.insert(args.end(), again.begin(), again.end());
    args.insert(args.end(), {"--dump-header", head, "--output", body, url("/hello")});
    auto both = curl(args);
    ASSERT_TRUE(both.ok()) << both.describe();
    EXPECT_TRUE(says_reused(both.err)) << both.err;
    EXPECT_TRUE(contains(both.err, "Using Stream ID: 3")) << both.err;
    EXPECT_TRUE(head_from(head).status_line.starts_with("HTTP/2 200")) << read_file(head);
    EXPECT_EQ(read_file(body), strata_peer::hello_body);
}

TEST_P(Http2CurlAgainstStrata, LargeStreamedResponseIsByteExact)
{
    auto out = (dir_.path() / "big.bin").string();
    auto r = curl({"--output", out, "--write-out", "%{http_version} %{size_download}", url("/big")},
                  {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.out, "2 " + std::to_string(strata_peer::big_size));
    auto got = read_file(out);
    EXPECT_EQ(got.size(), strata_peer::big_size);
    EXPECT_TRUE(got == strata_peer::big_body()) << "the 8 MiB body arrived altered";
}

// ---- h2load against the strata server ---------------------------------------------------

class Http2LoadAgainstStrata : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() { peer_ = std::make_unique<strata_peer>(); }
    static void TearDownTestSuite() { peer_.reset(); }
    static std::unique_ptr<strata_peer> peer_;
};

std::unique_ptr<strata_peer> Http2LoadAgainstStrata::peer_;

INSTANTIATE_TEST_SUITE_P(Http2, Http2LoadAgainstStrata, ::testing::Values("http", "https"), scheme_name);

/// The number before `label` on the line of h2load's summary that starts with `line`:
/// ("requests:", "succeeded") in "requests: 2000 total, ..., 2000 succeeded, ...".
long h2load_figure(const std::string& summary, std::string_view line, std::string_view label)
{
    auto start = summary.find("\n" + std::string(line));
    if (start == std::string::npos)
        return -1;
    auto end = summary.find('\n', start + 1);
    auto text = std::string_view(summary).substr(start + 1, end - start - 1);
    auto at = text.find(" " + std::string(label));
    if (at == std::string_view::npos)
        return -1;
    auto begin = text.find_last_of(" (", at - 1);
    return std::atol(std::string(text.substr(begin + 1, at - begin - 1)).c_str());
}

TEST_P(Http2LoadAgainstStrata, TwoThousandRequestsOnFourConnectionsAllSucceed)
{
    auto h2load = require_program("h2load", "nghttp2-client");
    ASSERT_FALSE(h2load.empty());
    constexpr long requests = 2000;
    auto r = run_process(
        {h2load, "-n", std::to_string(requests), "-c", "4", "-m", "10", peer_->url(GetParam(), "/hello")},
        {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.out;
    // h2c: HTTP/2 over TCP, by prior knowledge.
    EXPECT_TRUE(
        contains(r.out, GetParam() == "https" ? "Application protocol: h2\n" : "Application protocol: h2c\n"))
        << r.out;
    EXPECT_EQ(h2load_figure(r.out, "requests:", "total"), requests) << r.out;
    EXPECT_EQ(h2load_figure(r.out, "requests:", "succeeded"), requests) << r.out;
    EXPECT_EQ(h2load_figure(r.out, "requests:", "failed"), 0) << r.out;
    EXPECT_EQ(h2load_figure(r.out, "requests:", "errored"), 0) << r.out;
    EXPECT_EQ(h2load_figure(r.out, "requests:", "timeout"), 0) << r.out;
    EXPECT_EQ(h2load_figure(r.out, "status codes:", "2xx"), requests) << r.out;
    EXPECT_EQ(h2load_figure(r.out, "traffic:", "data"),
              requests * static_cast<long>(strata_peer::hello_body.size()))
        << r.out;
}

// ---- the strata client against nghttpd and nginx ------------------------------------------

constexpr std::string_view small_file = "a small file served over HTTP/2\n";
constexpr std::size_t big_file_size = 8 * 1024 * 1024;
constexpr int many = 20;

std::string numbered_name(int i)
{
    return "/f" + std::to_string(i) + ".txt";
}

std::string numbered_body(int i)
{
    return "file " + std::to_string(i) + " of " + std::to_string(many) + ": " +
           std::string(100 + 37 * i, 'a' + i % 26) + "\n";
}

/// The files both servers serve.
void write_docroot(temp_dir& dir, const std::string& big)
{
    dir.write("www/small.txt", small_file);
    dir.write("www/big.bin", big);
    for (int i = 0; i < many; ++i)
        dir.write("www" + numbered_name(i), numbered_body(i));
}

/// Waits for the port, or explains why the server did not come up.
bool started(child_process& proc, std::uint16_t port, const std::string& log, std::string& error)
{
    if (wait_for_port(port, 10s) && proc.running())
        return true;
    error = "the server did not start; its output:\n" + read_file(log);
    proc.stop();
    return false;
}

/// nghttpd twice (it speaks TLS or cleartext, not both): the docroot,
/// uploads echoed, and a trailer on every response.
class nghttpd_env {
public:
    static constexpr std::string_view trailer = "x-served-by: nghttpd";

    explicit nghttpd_env(const std::string& big)
    {
        auto nghttpd = find_program("nghttpd");
        if (nghttpd.empty()) {
            error_ = "the interop tests need nghttpd, which is not installed; on Debian: apt install "
                     "nghttp2-server";
            return;
        }
        write_docroot(dir_, big);
        auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
        auto cert_file = dir_.write("server.pem", cert.certificate_pem);
        auto key_file = dir_.write("server.key", cert.private_key_pem,
                                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        http_port_ = free_port();
        https_port_ = free_port();
        while (https_port_ == http_port_)
            https_port_ = free_port();
        std::vector<std::string> common{nghttpd, "--address=127.0.0.1",
                                        "--htdocs=" + (dir_.path() / "www").string(), "--echo-upload",
                                        "--trailer=" + std::string(trailer)};
        auto plain = common;
        plain.insert(plain.end(), {"--no-tls", std::to_string(http_port_)});
        auto tls = common;
        tls.insert(tls.end(), {std::to_string(https_port_), key_file, cert_file});
        auto plain_log = (dir_.path() / "plain.log").string();
        auto tls_log = (dir_.path() / "tls.log").string();
        ready_ = plain_.start(plain, plain_log, error_) && started(plain_, http_port_, plain_log, error_) &&
                 tls_.start(tls, tls_log, error_) && started(tls_, https_port_, tls_log, error_);
    }

    bool ready() const noexcept { return ready_; }
    const std::string& error() const noexcept { return error_; }
    std::uint16_t port(std::string_view scheme) const { return scheme == "https" ? https_port_ : http_port_; }

private:
    temp_dir dir_;
    child_process plain_;
    child_process tls_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
    bool ready_ = false;
    std::string error_;
};

/// nginx with HTTP/2 on both listeners: by ALPN over TLS (`listen ... ssl
/// http2`) and by prior knowledge over TCP (`listen ... http2`, which then
/// speaks nothing else). /echo goes to a strata server over HTTP/1.1, so an
/// upload crosses nginx's HTTP/2 side; every file gets a trailer.
class nginx_h2_env {
public:
    static constexpr std::string_view trailer = "x-served-by: nginx";

    /// `max_streams`: nginx's http2_max_concurrent_streams. Below what a
    /// client sends before nginx's SETTINGS reach it, nginx refuses the rest
    /// with REFUSED_STREAM and says so in error.log (at info, then logged).
    explicit nginx_h2_env(const std::string& big, unsigned max_streams = 128) : max_streams_(max_streams)
    {
        auto nginx = find_program("nginx");
        if (nginx.empty()) {
            error_ =
                "the interop tests need nginx, which is not installed; on Debian: apt install nginx-light";
            return;
        }
        auto build = run_process({nginx, "-V"}, {.timeout = 10s, .stdin_file = {}});
        flags_ = build.out + build.err;
        if (!contains(flags_, "--with-http_v2_module")) {
            error_ =
                "this nginx has no HTTP/2 (built without http_v2_module); on Debian: apt install nginx-light";
            return;
        }
        write_docroot(dir_, big);
        auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
        auto cert_file = dir_.write("server.pem", cert.certificate_pem);
        auto key_file = dir_.write("server.key", cert.private_key_pem,
                                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        http_port_ = free_port();
        https_port_ = free_port();
        while (https_port_ == http_port_)
            https_port_ = free_port();
        auto conf = dir_.write("nginx.conf", config(cert_file, key_file));
        auto log = (dir_.path() / "stderr.log").string();
        ready_ = proc_.start({nginx, "-p", dir_.path().string(), "-e", (dir_.path() / "error.log").string(),
                              "-c", conf},
                             log, error_) &&
                 started(proc_, http_port_, log, error_) && started(proc_, https_port_, log, error_);
        if (!ready_)
            error_ += "\nerror.log:\n" + error_log() + "\nconfig:\n" + read_file(conf);
    }

    bool ready() const noexcept { return ready_; }
    const std::string& error() const noexcept { return error_; }
    std::uint16_t port(std::string_view scheme) const { return scheme == "https" ? https_port_ : http_port_; }
    std::string error_log() const { return read_file(dir_.path() / "error.log"); }

private:
    /// Everything nginx writes stays in the temp dir; a module left out of
    /// the build has no temp path directive.
    std::string config(const std::string& cert, const std::string& key) const
    {
        auto d = dir_.path().string();
        auto colon = std::string(trailer).find(':');
        std::ostringstream c;
        c << "daemon off;\n"
             "master_process off;\n"
             "worker_processes 1;\n"
             "error_log "
          << d << "/error.log " << (max_streams_ < 128 ? "info" : "warn") << ";\n"
          << "pid " << d << "/nginx.pid;\n"
          << "events { worker_connections 256; }\n"
             "http {\n"
             "    access_log off;\n"
             "    client_body_temp_path "
          << d << "/client_body;\n"
          << "    proxy_temp_path " << d << "/proxy;\n";
        for (std::string module : {"fastcgi", "uwsgi", "scgi"})
            if (!contains(flags_, "--without-http_" + module + "_module"))
                c << "    " << module << "_temp_path " << d << "/" << module << ";\n";
        c << "    default_type application/octet-stream;\n"
             "    types { text/plain txt; }\n"
             "    http2_max_concurrent_streams "
          << max_streams_
          << ";\n"
             "    server {\n"
             "        listen 127.0.0.1:"
          << http_port_ << " http2;\n"
          << "        listen 127.0.0.1:" << https_port_ << " ssl http2;\n"
          << "        server_name localhost;\n"
             "        ssl_certificate "
          << cert << ";\n"
          << "        ssl_certificate_key " << key << ";\n"
          << "        root " << d << "/www;\n"
          << "        location / { add_trailer " << std::string(trailer).substr(0, colon) << " \""
          << std::string(trailer).substr(colon + 2) << "\" always; }\n"
          << "        location = /echo {\n"
             "            proxy_pass http://127.0.0.1:"
          << peer_.http_port() << ";\n"
          << "            proxy_http_version 1.1;\n"
             "            client_max_body_size 16m;\n"
             "        }\n"
             "    }\n"
             "}\n";
        return c.str();
    }

    unsigned max_streams_;
    strata_peer peer_;
    temp_dir dir_;
    std::string flags_;
    child_process proc_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
    bool ready_ = false;
    std::string error_;
};

struct server_case {
    std::string server; ///< "nghttpd" or "nginx"
    std::string scheme;
};

/// The client for these servers: HTTP/2 both over TLS and over TCP.
client_config h2_client_config()
{
    client_config c;
    c.tls.ca_pem = test_ca().ca.certificate_pem;
    // Over TCP both servers speak only HTTP/2 (nginx's `listen ... http2`
    // refuses HTTP/1.1), so an HTTP/1.1 request would fail loudly.
    c.http2_prior_knowledge = true;
    // Failures should surface as errors well before run_coroutine's limit.
    c.connect_timeout = 5s;
    c.handshake_timeout = 5s;
    c.response_timeout = 10s;
    c.body_timeout = 10s;
    return c;
}

std::size_t count(std::string_view text, std::string_view what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

/// Asks for the `many` numbered files under `base` all at once and checks
/// each came whole over HTTP/2.
net::awaitable<void> get_numbered_files_at_once(client& cli, const std::string& base)
{
    int done = 0;
    auto fetch = [&](int i) -> net::awaitable<void> {
        try {
            auto res = co_await cli.get(base + numbered_name(i));
            EXPECT_EQ(res.version(), http::version::http2) << "file " << i;
            EXPECT_EQ(res.status(), 200u) << "file " << i;
            EXPECT_EQ(co_await res.body(), numbered_body(i)) << "file " << i;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "file " << i << ": " << e.what();
        }
        ++done;
    };
    auto ex = co_await net::this_coro::executor;
    for (int i = 0; i < many; ++i)
        net::co_spawn(ex, fetch(i), net::detached);
    net::steady_timer tick{ex};
    while (done < many) {
        tick.expires_after(10ms);
        co_await tick.async_wait(net::use_awaitable);
    }
}

class Http2StrataClientAgainstServers : public ::testing::TestWithParam<server_case> {
protected:
    static void SetUpTestSuite()
    {
        big_ = random_bytes(big_file_size, 23);
        nghttpd_ = std::make_unique<nghttpd_env>(big_);
        nginx_ = std::make_unique<nginx_h2_env>(big_);
    }
    static void TearDownTestSuite()
    {
        nghttpd_.reset();
        nginx_.reset();
    }
    void SetUp() override
    {
        if (nginx()) {
            ASSERT_TRUE(nginx_->ready()) << nginx_->error();
        } else {
            ASSERT_TRUE(nghttpd_->ready()) << nghttpd_->error();
        }
    }
    void TearDown() override
    {
        if (HasFailure() && nginx())
            std::cerr << "nginx error.log:\n" << nginx_->error_log() << "\n";
    }

    bool nginx() const { return GetParam().server == "nginx"; }
    const std::string& scheme() const { return GetParam().scheme; }
    std::string_view trailer() const { return nginx() ? nginx_h2_env::trailer : nghttpd_env::trailer; }
    /// Over TLS the URL names "localhost" so the certificate's DNS name is checked.
    std::string url(std::string_view path) const
    {
        auto port = nginx() ? nginx_->port(scheme()) : nghttpd_->port(scheme());
        auto host = scheme() == "https" ? "localhost" : "127.0.0.1";
        return scheme() + "://" + host + ":" + std::to_string(port) + std::string(path);
    }
    static client_config config() { return h2_client_config(); }

    static std::string big_;
    static std::unique_ptr<nghttpd_env> nghttpd_;
    static std::unique_ptr<nginx_h2_env> nginx_;
};

std::string Http2StrataClientAgainstServers::big_;
std::unique_ptr<nghttpd_env> Http2StrataClientAgainstServers::nghttpd_;
std::unique_ptr<nginx_h2_env> Http2StrataClientAgainstServers::nginx_;

INSTANTIATE_TEST_SUITE_P(Http2, Http2StrataClientAgainstServers,
                         ::testing::Values(server_case{"nghttpd", "http"}, server_case{"nghttpd", "https"},
                                           server_case{"nginx", "http"}, server_case{"nginx", "https"}),
                         [](const auto& info) { return info.param.server + "_" + info.param.scheme; });

TEST_P(Http2StrataClientAgainstServers, GetsSmallAndLargeFilesOverHttp2)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        auto small = co_await cli.get(url("/small.txt"));
        EXPECT_EQ(small.version(), http::version::http2);
        EXPECT_EQ(small.status(), 200u);
        EXPECT_EQ(small.header("Content-Length"), std::to_string(small_file.size()));
        EXPECT_EQ(co_await small.body(), small_file);

        // 8 MiB: the client has to keep granting the server window as it reads.
        auto big = co_await cli.get(url("/big.bin"));
        EXPECT_EQ(big.version(), http::version::http2);
        EXPECT_EQ(big.status(), 200u);
        auto bytes = co_await big.body();
        EXPECT_EQ(bytes.size(), big_file_size);
        EXPECT_TRUE(bytes == big_) << "the 8 MiB file arrived altered";

        auto missing = co_await cli.get(url("/missing.txt"));
        EXPECT_EQ(missing.version(), http::version::http2);
        EXPECT_EQ(missing.status(), 404u);
        co_await missing.body();
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(Http2StrataClientAgainstServers, TwentyConcurrentRequestsShareOneConnection)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        // All twenty are asked for before the connection exists, so the pool
        // sees them at once; HTTP/2 needs only the one connection for them.
        const auto base = url("");
        co_await get_numbered_files_at_once(cli, base);
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(Http2StrataClientAgainstServers, ReadsTrailersAfterTheBody)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        auto res = co_await cli.get(url("/small.txt"));
        EXPECT_EQ(res.version(), http::version::http2);
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(co_await res.body(), small_file);
        EXPECT_TRUE(res.body_done());
        auto colon = trailer().find(':');
        EXPECT_EQ(res.trailers().get(trailer().substr(0, colon)), trailer().substr(colon + 2));
        // The trailers are not mixed into the head.
        EXPECT_FALSE(res.header(trailer().substr(0, colon)));
    });
}

TEST_P(Http2StrataClientAgainstServers, UploadIsEchoed)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        auto data = random_bytes(1024 * 1024, 29);
        auto res = co_await cli.post(url("/echo"), data, "application/octet-stream");
        EXPECT_EQ(res.version(), http::version::http2);
        EXPECT_EQ(res.status(), 200u);
        auto echoed = co_await res.body();
        EXPECT_EQ(echoed.size(), data.size());
        EXPECT_TRUE(echoed == data) << "the echoed bytes differ from the upload";
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

// ---- a server that allows fewer streams than the client first sends -------------------

/// The client sends its requests before the server's SETTINGS arrive, under
/// the assumed limit of 100 (as browsers do); nginx, allowing two, refuses
/// the rest with REFUSED_STREAM, and the client sends them again within the
/// limit it has learnt by then, on the same connection.
class Http2StrataClientAgainstTwoStreamNginx : public ::testing::TestWithParam<std::string> {
protected:
    /// nginx's two reasons to answer REFUSED_STREAM: more streams open than
    /// allowed, and more than twice that many opened in one read.
    static std::size_t refusals(std::string_view log)
    {
        return count(log, "concurrent streams exceeded") + count(log, "client sent too many streams at once");
    }

    static void SetUpTestSuite() { nginx_ = std::make_unique<nginx_h2_env>("unused", 2); }
    static void TearDownTestSuite() { nginx_.reset(); }
    void SetUp() override { ASSERT_TRUE(nginx_->ready()) << nginx_->error(); }

    std::string url(std::string_view path) const
    {
        auto host = GetParam() == "https" ? "localhost" : "127.0.0.1";
        return GetParam() + "://" + host + ":" + std::to_string(nginx_->port(GetParam())) + std::string(path);
    }

    static std::unique_ptr<nginx_h2_env> nginx_;
};

std::unique_ptr<nginx_h2_env> Http2StrataClientAgainstTwoStreamNginx::nginx_;

INSTANTIATE_TEST_SUITE_P(Http2, Http2StrataClientAgainstTwoStreamNginx, ::testing::Values("http", "https"),
                         [](const auto& info) { return info.param; });

TEST_P(Http2StrataClientAgainstTwoStreamNginx, RefusedStreamsAreSentAgain)
{
    const auto refusals_before = refusals(nginx_->error_log());
    run_coroutine([&]() -> net::awaitable<void> {
        auto cfg = h2_client_config();
        // One connection, so the refused requests must wait their turn on it.
        cfg.max_connections_per_origin = 1;
        client cli{co_await net::this_coro::executor, cfg};
        const auto base = url("");
        co_await get_numbered_files_at_once(cli, base);
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
    // Without refusals the retry was not exercised: nginx must have refused
    // what went past its two streams before its SETTINGS arrived.
    const auto log = nginx_->error_log();
    EXPECT_GT(refusals(log), refusals_before) << "nginx error.log:\n" << log;
}

} // namespace
