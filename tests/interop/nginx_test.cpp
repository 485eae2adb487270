// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The strata client against nginx, a server strata did not write: static
// files (5 MB included), keep-alive reuse, HEAD, a chunked response, TLS with
// verification against a test CA, 404, redirects, conditional GET, and
// uploads (plain, chunked, 100-continue) that nginx proxies to a strata server.

#include "interop_support.hpp"

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/transport/tls.hpp>

#include <algorithm>
#include <cstring>
#include <sstream>

using namespace strata;
using namespace strata::interop;

namespace {

constexpr std::string_view small_file = "a small static file served by nginx\n";
constexpr std::string_view text_body = "hello from nginx\n";
constexpr std::size_t big_size = 5 * 1024 * 1024;

/// nginx in the foreground, one process, everything it writes in a temp dir,
/// in front of a strata server for the /proxy/ locations.
class nginx_env {
public:
    nginx_env()
    {
        auto nginx = find_program("nginx");
        if (nginx.empty()) {
            error_ =
                "the interop tests need nginx, which is not installed; on Debian: apt install nginx-light";
            return;
        }
        dir_.write("www/small.txt", small_file);
        big_ = random_bytes(big_size, 5);
        dir_.write("www/big.bin", big_);
        auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
        auto cert_file = dir_.write("server.pem", cert.certificate_pem);
        auto key_file = dir_.write("server.key", cert.private_key_pem,
                                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        http_port_ = free_port();
        https_port_ = free_port();
        while (https_port_ == http_port_)
            https_port_ = free_port();

        auto conf = dir_.write("nginx.conf", config(nginx, cert_file, key_file));
        auto log = (dir_.path() / "stderr.log").string();
        if (!proc_.start(
                {nginx, "-p", dir_.path().string(), "-e", (dir_.path() / "error.log").string(), "-c", conf},
                log, error_)) {
            return;
        }
        if (!wait_for_port(http_port_, 10s) || !wait_for_port(https_port_, 10s) || !proc_.running()) {
            error_ = "nginx did not start; its output:\n" + read_file(log) + "\nerror.log:\n" +
                     read_file(dir_.path() / "error.log") + "\nconfig:\n" + read_file(conf);
            proc_.stop();
            return;
        }
        ready_ = true;
    }

    bool ready() const noexcept { return ready_; }
    const std::string& error() const noexcept { return error_; }
    std::uint16_t port(std::string_view scheme) const { return scheme == "https" ? https_port_ : http_port_; }
    const std::string& big() const noexcept { return big_; }
    std::string error_log() const { return read_file(dir_.path() / "error.log"); }

private:
    /// Temp paths for every module that has one, so that nothing is written
    /// outside the temp dir; a module left out of the build has no directive.
    std::string config(const std::string& nginx, const std::string& cert, const std::string& key)
    {
        auto build = run_process({nginx, "-V"}, {.timeout = 10s, .stdin_file = {}});
        auto flags = build.out + build.err;
        auto d = dir_.path().string();
        std::ostringstream c;
        c << "daemon off;\n"
             "master_process off;\n"
             "worker_processes 1;\n"
             "error_log "
          << d << "/error.log warn;\n"
          << "pid " << d << "/nginx.pid;\n"
          << "events { worker_connections 256; }\n"
             "http {\n"
             "    access_log off;\n"
             "    client_body_temp_path "
          << d << "/client_body;\n"
          << "    proxy_temp_path " << d << "/proxy;\n";
        for (std::string module : {"fastcgi", "uwsgi", "scgi"})
            if (flags.find("--without-http_" + module + "_module") == std::string::npos)
                c << "    " << module << "_temp_path " << d << "/" << module << ";\n";
        c << "    default_type application/octet-stream;\n"
             "    types { text/plain txt; }\n"
             "    keepalive_timeout 30s;\n"
             "    keepalive_requests 1000;\n"
             "    upstream strata { server 127.0.0.1:"
          << peer_.http_port() << "; keepalive 4; }\n"
          << "    server {\n"
             "        listen 127.0.0.1:"
          << http_port_ << ";\n"
          << "        listen 127.0.0.1:" << https_port_ << " ssl;\n"
          << "        server_name localhost;\n"
             "        ssl_certificate "
          << cert << ";\n"
          << "        ssl_certificate_key " << key << ";\n"
          << "        root " << d << "/www;\n"
          << "        location / { }\n"
             "        location = /text { default_type text/plain; return 200 \"hello from nginx\\n\"; }\n"
             "        location = /old { return 301 /small.txt; }\n"
             "        location = /loop { return 302 /loop; }\n"
             "        location /proxy/ {\n"
             "            proxy_pass http://strata/;\n"
             "            proxy_http_version 1.1;\n"
             "            proxy_set_header Connection \"\";\n"
             "            proxy_buffering off;\n"
             "            client_max_body_size 16m;\n"
             "        }\n"
             "    }\n"
             "}\n";
        return c.str();
    }

    strata_peer peer_;
    temp_dir dir_;
    child_process proc_;
    std::string big_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
    bool ready_ = false;
    std::string error_;
};

class StrataClientAgainstNginx : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() { env_ = std::make_unique<nginx_env>(); }
    static void TearDownTestSuite() { env_.reset(); }
    void SetUp() override { ASSERT_TRUE(env_->ready()) << env_->error(); }
    void TearDown() override
    {
        if (HasFailure())
            std::cerr << "nginx error.log:\n" << env_->error_log() << "\n";
    }

    const std::string& scheme() const { return GetParam(); }
    /// Over TLS the URL names "localhost" so the certificate's DNS name is checked.
    std::string url(std::string_view path) const
    {
        auto host = scheme() == "https" ? "localhost" : "127.0.0.1";
        return scheme() + "://" + host + ":" + std::to_string(env_->port(scheme())) + std::string(path);
    }
    static client_config config()
    {
        client_config c;
        c.tls.ca_pem = test_ca().ca.certificate_pem;
        // Failures should surface as errors well before run_coroutine's limit.
        c.connect_timeout = 5s;
        c.handshake_timeout = 5s;
        c.response_timeout = 10s;
        c.body_timeout = 10s;
        return c;
    }

    static std::unique_ptr<nginx_env> env_;
};

std::unique_ptr<nginx_env> StrataClientAgainstNginx::env_;

INSTANTIATE_TEST_SUITE_P(Schemes, StrataClientAgainstNginx, ::testing::Values("http", "https"),
                         [](const auto& info) { return info.param; });

TEST_P(StrataClientAgainstNginx, GetsSmallAndFiveMegabyteFiles)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        auto small = co_await cli.get(url("/small.txt"));
        EXPECT_EQ(small.status(), 200u);
        EXPECT_EQ(small.header("Content-Type"), "text/plain");
        EXPECT_EQ(co_await small.body(), small_file);

        auto big = co_await cli.get(url("/big.bin"));
        EXPECT_EQ(big.status(), 200u);
        EXPECT_EQ(big.header("Content-Length"), std::to_string(big_size));
        auto bytes = co_await big.body();
        EXPECT_EQ(bytes.size(), big_size);
        EXPECT_TRUE(bytes == env_->big()) << "the 5 MB file arrived altered";

        auto text = co_await cli.get(url("/text"));
        EXPECT_EQ(co_await text.body(), text_body);
        EXPECT_TRUE(text.reused_connection());
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(StrataClientAgainstNginx, KeepAliveReusesOneConnection)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        for (int i = 0; i < 10; ++i) {
            auto res = co_await cli.get(url("/text"));
            EXPECT_EQ(res.status(), 200u);
            EXPECT_EQ(co_await res.body(), text_body);
            EXPECT_EQ(res.reused_connection(), i > 0) << "request " << i;
        }
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(StrataClientAgainstNginx, HeadHasLengthAndNoBody)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        client_request head;
        head.method = "HEAD";
        head.url = url("/big.bin");
        auto start = std::chrono::steady_clock::now();
        auto res = co_await cli.async_request(head);
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("Content-Length"), std::to_string(big_size));
        EXPECT_EQ(co_await res.body(), "");
        EXPECT_LT(std::chrono::steady_clock::now() - start, 5s)
            << "the client waited for a body HEAD never has";
        // The connection is still in step: the next answer is read correctly on it.
        auto next = co_await cli.get(url("/small.txt"));
        EXPECT_EQ(co_await next.body(), small_file);
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(StrataClientAgainstNginx, ReadsAChunkedResponse)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        auto res = co_await cli.get(url("/proxy/stream"));
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("Transfer-Encoding"), "chunked");
        EXPECT_FALSE(res.header("Content-Length"));
        EXPECT_EQ(co_await res.body(), strata_peer::stream_body());
        // Read to the last chunk, the connection goes back to the pool.
        auto again = co_await cli.get(url("/text"));
        EXPECT_EQ(co_await again.body(), text_body);
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(StrataClientAgainstNginx, NotFoundIsAnAnswerNotAnError)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        error_code ec;
        client_request req;
        req.url = url("/missing.txt");
        auto res = co_await cli.request(req, ec);
        EXPECT_FALSE(ec) << ec.message();
        if (ec)
            co_return;
        EXPECT_EQ(res.status(), 404u);
        auto page = co_await res.body();
        EXPECT_NE(page.find("404"), std::string::npos) << page;
    });
}

TEST_P(StrataClientAgainstNginx, FollowsRedirectsOnlyWhenAsked)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client plain{co_await net::this_coro::executor, config()};
        auto moved = co_await plain.get(url("/old"));
        EXPECT_EQ(moved.status(), 301u);
        auto location = moved.header("Location");
        EXPECT_TRUE(location && location->ends_with("/small.txt")) << location.value_or("(no Location)");
        co_await moved.body();

        auto cfg = config();
        cfg.follow_redirects = true;
        cfg.max_redirects = 3;
        client following{co_await net::this_coro::executor, cfg};
        auto res = co_await following.get(url("/old"));
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.url().target, "/small.txt");
        EXPECT_EQ(co_await res.body(), small_file);

        error_code ec;
        client_request loop;
        loop.url = url("/loop");
        co_await following.request(loop, ec);
        EXPECT_EQ(ec, error::too_many_redirects) << ec.message();
    });
}

TEST_P(StrataClientAgainstNginx, ConditionalGetOfAStaticFile)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        auto first = co_await cli.get(url("/small.txt"));
        auto etag = first.header("ETag");
        EXPECT_TRUE(etag) << "nginx sent no ETag";
        if (!etag)
            co_return;
        std::string tag{*etag};
        co_await first.body();

        client_request same;
        same.url = url("/small.txt");
        same.fields.set("If-None-Match", tag);
        auto unchanged = co_await cli.async_request(same);
        EXPECT_EQ(unchanged.status(), 304u);
        EXPECT_EQ(unchanged.header("ETag"), tag);
        EXPECT_EQ(co_await unchanged.body(), "");

        client_request other;
        other.url = url("/small.txt");
        other.fields.set("If-None-Match", "\"not-the-tag\"");
        auto changed = co_await cli.async_request(other);
        EXPECT_EQ(changed.status(), 200u);
        EXPECT_EQ(co_await changed.body(), small_file);
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(StrataClientAgainstNginx, UploadsThroughNginxAreEchoed)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        auto data = random_bytes(1024 * 1024, 3);
        auto res = co_await cli.post(url("/proxy/echo"), data, "application/octet-stream");
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("X-Seen-Content-Length"), std::to_string(data.size()));
        auto echoed = co_await res.body();
        EXPECT_EQ(echoed.size(), data.size());
        EXPECT_TRUE(echoed == data) << "the echoed bytes differ from the upload";

        // A streamed body goes out chunked; nginx reassembles it before
        // passing it upstream with a length.
        std::size_t sent = 0;
        client_request streamed;
        streamed.method = "PUT";
        streamed.url = url("/proxy/echo");
        streamed.body_source = [&](std::span<std::byte> out) -> net::awaitable<std::size_t> {
            auto n = std::min<std::size_t>({out.size(), data.size() - sent, 10'000});
            std::memcpy(out.data(), data.data() + sent, n);
            sent += n;
            co_return n;
        };
        auto chunked = co_await cli.async_request(std::move(streamed));
        EXPECT_EQ(chunked.status(), 200u);
        auto back = co_await chunked.body();
        EXPECT_EQ(back.size(), data.size());
        EXPECT_TRUE(back == data) << "the echoed bytes differ from the chunked upload";
    });
}

TEST_P(StrataClientAgainstNginx, ExpectContinueGetsItsAnswer)
{
    run_coroutine([&]() -> net::awaitable<void> {
        client cli{co_await net::this_coro::executor, config()};
        // Open the connection first, so the clock below times only the upload.
        auto warm = co_await cli.get(url("/text"));
        co_await warm.body();

        auto data = random_bytes(256 * 1024, 9);
        client_request req;
        req.method = "POST";
        req.url = url("/proxy/echo");
        req.body = data;
        req.fields.set("Content-Type", "application/octet-stream");
        req.expect_continue = true;
        auto start = std::chrono::steady_clock::now();
        auto res = co_await cli.async_request(std::move(req));
        EXPECT_EQ(res.status(), 200u);
        auto echoed = co_await res.body();
        auto elapsed = std::chrono::steady_clock::now() - start;
        EXPECT_TRUE(echoed == data) << "the echoed bytes differ from the upload";
        // Without nginx's 100 Continue the client would have sent the body
        // only after its one-second wait.
        EXPECT_LT(elapsed, 1s) << "the client did not see nginx's 100 Continue";
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

// ---- TLS only -----------------------------------------------------------------

TEST(StrataClientAgainstNginxTls, AnotherCaIsRefusedWithAClearError)
{
    nginx_env env;
    ASSERT_TRUE(env.ready()) << env.error();
    auto stranger = tls::make_test_authority("a CA nobody asked for");
    run_coroutine([&]() -> net::awaitable<void> {
        client_config cfg;
        cfg.tls.ca_pem = stranger.ca.certificate_pem;
        cfg.tls.use_system_store = false;
        client cli{co_await net::this_coro::executor, cfg};
        error_code ec;
        client_request req;
        req.url = "https://localhost:" + std::to_string(env.port("https")) + "/small.txt";
        auto res = co_await cli.request(req, ec);
        EXPECT_FALSE(res);
        EXPECT_EQ(ec.category(), tls::verify_category()) << ec.message();
        EXPECT_NE(ec.message().find("certificate verify failed"), std::string::npos) << ec.message();
        EXPECT_EQ(cli.connections_opened(), 0u);
    });
}

} // namespace
