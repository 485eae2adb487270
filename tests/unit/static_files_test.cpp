// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The decisions of the static file handler that need no socket: which
// request paths stay inside the root, which Content-Type an extension gets,
// and the validators.

#include <strata/http/date.hpp>
#include <strata/static_files.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

using namespace strata;
namespace fs = std::filesystem;
using verdict = static_path::verdict;

TEST(StaticPath, MapsPlainPathsRelativeToTheRoot)
{
    auto p = map_static_path("/css/site.css");
    EXPECT_EQ(p.result, verdict::ok);
    EXPECT_EQ(p.relative, fs::path("css/site.css"));
    EXPECT_FALSE(p.directory);

    auto root = map_static_path("/");
    EXPECT_EQ(root.result, verdict::ok);
    EXPECT_TRUE(root.relative.empty());
    EXPECT_TRUE(root.directory);

    auto dir = map_static_path("/docs/");
    EXPECT_EQ(dir.relative, fs::path("docs"));
    EXPECT_TRUE(dir.directory);
}

TEST(StaticPath, DecodesEscapesAndDropsEmptyAndDotSegments)
{
    auto p = map_static_path("/a%20b//./c%2Fd.txt");
    EXPECT_EQ(p.result, verdict::ok);
    EXPECT_EQ(p.relative, fs::path("a b/c/d.txt"));
}

TEST(StaticPath, RefusesEveryFormOfDotDot)
{
    for (const char* path : {"/..", "/../etc/passwd", "/a/../../etc/passwd", "/a/..", "/%2e%2e/etc/passwd",
                             "/%2E%2E%2Fetc%2Fpasswd", "/.%2e/x", "/a/..%2f..%2fb", "/..\\etc", "/a\\b"}) {
        auto p = map_static_path(path);
        EXPECT_EQ(p.result, verdict::not_found) << path;
        EXPECT_TRUE(p.relative.empty()) << path;
    }
}

TEST(StaticPath, NulAndMalformedEscapesAreBadRequests)
{
    for (const char* path : {"/a%00.txt", "/%", "/%4", "/%zz", "/a%0"})
        EXPECT_EQ(map_static_path(path).result, verdict::bad_request) << path;
}

TEST(StaticPath, HiddenNamesOnlyWhenAllowed)
{
    EXPECT_EQ(map_static_path("/.git/config").result, verdict::not_found);
    EXPECT_EQ(map_static_path("/a/%2eenv").result, verdict::not_found);
    auto p = map_static_path("/.well-known/x", true);
    EXPECT_EQ(p.result, verdict::ok);
    EXPECT_EQ(p.relative, fs::path(".well-known/x"));
    EXPECT_EQ(map_static_path("/../x", true).result, verdict::not_found);
}

class ResolveUnder : public ::testing::Test {
protected:
    void SetUp() override
    {
        base = fs::temp_directory_path() / ("strata-static-unit-" + std::to_string(::getpid()));
        fs::remove_all(base);
        fs::create_directories(base / "root/sub");
        fs::create_directories(base / "root2");
        std::ofstream(base / "root/sub/a.txt") << "a";
        std::ofstream(base / "secret.txt") << "secret";
        std::ofstream(base / "root2/b.txt") << "b";
        fs::create_symlink(base / "secret.txt", base / "root/out");
        fs::create_symlink(base / "root2", base / "root/sibling");
        fs::create_symlink("sub/a.txt", base / "root/in");
    }
    void TearDown() override { fs::remove_all(base); }
    fs::path base;
};

TEST_F(ResolveUnder, FindsFilesAndLinksThatStayInside)
{
    auto root = base / "root";
    EXPECT_EQ(resolve_under(root, "sub/a.txt"), fs::canonical(root / "sub/a.txt"));
    EXPECT_EQ(resolve_under(root, "in"), fs::canonical(root / "sub/a.txt"));
    EXPECT_EQ(resolve_under(root, ""), fs::canonical(root));
}

TEST_F(ResolveUnder, RefusesLinksOutOfTheRootAndMissingFiles)
{
    auto root = base / "root";
    EXPECT_TRUE(resolve_under(root, "out").empty());
    // "root2" shares "root" as a string prefix: the check is by component.
    EXPECT_TRUE(resolve_under(root, "sibling/b.txt").empty());
    EXPECT_TRUE(resolve_under(root, "missing.txt").empty());
    EXPECT_TRUE(resolve_under(base / "no-such-root", "a.txt").empty());
}

TEST(ContentType, KnownExtensionsIgnoringCase)
{
    EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("INDEX.HTM"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("a/site.css"), "text/css; charset=utf-8");
    EXPECT_EQ(content_type_for("README.md"), "text/markdown; charset=utf-8");
    EXPECT_EQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(content_type_for("data.json"), "application/json");
    EXPECT_EQ(content_type_for("notes.txt"), "text/plain; charset=utf-8");
    EXPECT_EQ(content_type_for("logo.svg"), "image/svg+xml");
    EXPECT_EQ(content_type_for("logo.PNG"), "image/png");
    EXPECT_EQ(content_type_for("photo.jpg"), "image/jpeg");
    EXPECT_EQ(content_type_for("photo.jpeg"), "image/jpeg");
    EXPECT_EQ(content_type_for("anim.gif"), "image/gif");
    EXPECT_EQ(content_type_for("favicon.ico"), "image/vnd.microsoft.icon");
    EXPECT_EQ(content_type_for("mod.wasm"), "application/wasm");
    EXPECT_EQ(content_type_for("paper.pdf"), "application/pdf");
    EXPECT_EQ(content_type_for("clip.mp4"), "video/mp4");
}

TEST(ContentType, UnknownOrMissingExtensionIsOctetStream)
{
    EXPECT_EQ(content_type_for("archive.tar.zst"), "application/octet-stream");
    EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
    EXPECT_EQ(content_type_for("trailing."), "application/octet-stream");
    EXPECT_EQ(content_type_for(".html"),
              "application/octet-stream"); // a hidden file named "html", no extension
}

TEST(Validators, EtagChangesWithSizeAndTimeAndIsStrong)
{
    auto tag = file_etag(10, 1'700'000'000'000'000'000);
    EXPECT_EQ(tag.front(), '"');
    EXPECT_EQ(tag.back(), '"');
    EXPECT_NE(tag, file_etag(11, 1'700'000'000'000'000'000));
    EXPECT_NE(tag, file_etag(10, 1'700'000'000'000'000'001));
    EXPECT_EQ(tag, file_etag(10, 1'700'000'000'000'000'000));
}

TEST(Validators, HttpDateIsImfFixdate)
{
    EXPECT_EQ(http::format_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"); // RFC 9110 §5.6.7's example
    EXPECT_EQ(http::format_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}
