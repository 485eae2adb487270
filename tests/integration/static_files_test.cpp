// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// A directory served through strata::server and fetched with strata::client:
// files with validators, 304 on revalidation, nothing outside the root,
// large files streamed in pieces, HEAD, directories and their index.

#include "test_support.hpp"
#include "transports.hpp"

#include <strata/client.hpp>
#include <strata/server.hpp>
#include <strata/static_files.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace strata;
using test::run;
namespace fs = std::filesystem;

namespace {

std::string pattern(std::size_t n)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
    return s;
}

class StaticFiles : public ::testing::TestWithParam<test::transport> {
protected:
    void SetUp() override
    {
        base = fs::temp_directory_path() / ("strata-static-" + std::to_string(::getpid()));
        fs::remove_all(base);
        root = base / "www";
        fs::create_directories(root / "sub");
        std::ofstream(root / "a.txt") << "hello, file\n";
        std::ofstream(root / "index.html") << "<h1>home</h1>\n";
        std::ofstream(root / "sub/index.html") << "<h1>sub</h1>\n";
        std::ofstream(root / ".env") << "TOKEN=1\n";
        std::ofstream(base / "secret.txt") << "top secret\n";
        std::ofstream(root / "big.bin", std::ios::binary) << big;
        fs::create_symlink(base / "secret.txt", root / "out.txt");

        static_files_config prefixed;
        prefixed.prefix = "/static";
        srv.route("GET", "/static/{rest...}", static_files(root, prefixed));
        srv.fallback(static_files(root));
        port = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0").port();
    }
    void TearDown() override { fs::remove_all(base); }

    std::string url(std::string_view path) const
    {
        return GetParam().scheme() + "://127.0.0.1:" + std::to_string(port) + std::string(path);
    }
    /// The status and body a target gets, sent as given (no dot-segment removal).
    net::awaitable<std::pair<unsigned, std::string>> fetch(std::string_view target)
    {
        error_code ec;
        client_request req;
        req.url = url(target);
        auto res = co_await cli.request(req, ec);
        EXPECT_FALSE(ec) << target << ": " << ec.message();
        auto body = co_await res.body(ec);
        co_return std::pair{res.status(), body};
    }

    const std::string big = pattern(3 * 1024 * 1024 + 123);
    fs::path base, root;
    net::io_context io;
    server srv{io.get_executor(), test::server_config_for(GetParam())};
    client cli{io.get_executor(), test::client_config_for(GetParam())};
    std::uint16_t port = 0;
};

TEST_P(StaticFiles, ServesAFileWithTypeLengthAndValidators)
{
    run(io, [&]() -> net::awaitable<void> {
        auto res = co_await cli.get(url("/a.txt"));
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(co_await res.body(), "hello, file\n");
        EXPECT_EQ(res.header("Content-Type").value_or(""), "text/plain; charset=utf-8");
        EXPECT_EQ(res.header("Content-Length").value_or(""), "12");
        auto etag = std::string(res.header("ETag").value_or(""));
        EXPECT_TRUE(etag.size() > 2 && etag.front() == '"' && etag.back() == '"') << etag;
        EXPECT_TRUE(res.header("Last-Modified").value_or("").ends_with(" GMT"));

        client_request again;
        again.url = url("/a.txt");
        again.fields.set("If-None-Match", etag);
        auto cached = co_await cli.async_request(again);
        EXPECT_EQ(cached.status(), 304u);
        EXPECT_EQ(co_await cached.body(), "");
        EXPECT_EQ(cached.header("ETag").value_or(""), etag);

        again.fields.set("If-None-Match", "\"something-else\"");
        auto changed = co_await cli.async_request(again);
        EXPECT_EQ(changed.status(), 200u);
        EXPECT_EQ(co_await changed.body(), "hello, file\n");
    });
}

TEST_P(StaticFiles, NothingOutsideTheRootIsServed)
{
    run(io, [&]() -> net::awaitable<void> {
        for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/sub/..%2f..%2fsecret.txt",
                                   "/out.txt", "/.env", "/static/../../secret.txt"}) {
            auto [status, body] = co_await fetch(target);
            EXPECT_EQ(status, 404u) << target << "\n" << body;
            EXPECT_EQ(body.find("secret"), std::string::npos) << target;
            EXPECT_EQ(body.find("TOKEN"), std::string::npos) << target;
        }
        EXPECT_EQ((co_await fetch("/a%00.txt")).first, 400u);
        EXPECT_EQ((co_await fetch("/missing.txt")).first, 404u);
    });
}

TEST_P(StaticFiles, StreamsABigFileWhole)
{
    run(io, [&]() -> net::awaitable<void> {
        auto res = co_await cli.get(url("/big.bin"));
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("Content-Type").value_or(""), "application/octet-stream");
        EXPECT_EQ(res.header("Content-Length").value_or(""), std::to_string(big.size()));
        std::string got;
        std::size_t reads = 0;
        std::vector<char> buf(16 * 1024);
        for (;;) {
            auto n = co_await res.read_some(net::buffer(buf));
            if (n == 0)
                break;
            got.append(buf.data(), n);
            ++reads;
        }
        EXPECT_EQ(got.size(), big.size());
        EXPECT_TRUE(got == big);
        EXPECT_GT(reads, 1u);
        // The connection is still good for the next request.
        auto next = co_await cli.get(url("/a.txt"));
        EXPECT_EQ(co_await next.body(), "hello, file\n");
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(StaticFiles, HeadSendsTheFieldsWithoutTheBody)
{
    run(io, [&]() -> net::awaitable<void> {
        client_request head;
        head.method = "HEAD";
        head.url = url("/big.bin");
        auto res = co_await cli.async_request(head);
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("Content-Length").value_or(""), std::to_string(big.size()));
        EXPECT_TRUE(res.header("ETag").has_value());
        EXPECT_EQ(co_await res.body(), "");
    });
}

TEST_P(StaticFiles, DirectoriesRedirectToTheirSlashAndServeTheirIndex)
{
    run(io, [&]() -> net::awaitable<void> {
        auto moved = co_await cli.get(url("/sub?x=1"));
        EXPECT_EQ(moved.status(), 301u);
        EXPECT_EQ(moved.header("Location").value_or(""), "/sub/?x=1");
        co_await moved.body();
        auto sub = co_await cli.get(url("/sub/"));
        EXPECT_EQ(sub.status(), 200u);
        EXPECT_EQ(sub.header("Content-Type").value_or(""), "text/html; charset=utf-8");
        EXPECT_EQ(co_await sub.body(), "<h1>sub</h1>\n");
        auto home = co_await cli.get(url("/"));
        EXPECT_EQ(co_await home.body(), "<h1>home</h1>\n");
        auto not_dir = co_await cli.get(url("/a.txt/"));
        EXPECT_EQ(not_dir.status(), 404u);
        co_await not_dir.body();
    });
}

TEST_P(StaticFiles, PrefixMountAndMethods)
{
    run(io, [&]() -> net::awaitable<void> {
        auto res = co_await cli.get(url("/static/sub/index.html"));
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(co_await res.body(), "<h1>sub</h1>\n");
        auto post = co_await cli.post(url("/a.txt"), "x", "text/plain");
        EXPECT_EQ(post.status(), 405u);
        EXPECT_EQ(post.header("Allow").value_or(""), "GET, HEAD");
        co_await post.body();
    });
}

INSTANTIATE_TEST_SUITE_P(Versions, StaticFiles, test::all_transports(), test::transport_name);

} // namespace
