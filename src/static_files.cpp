// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/conditional.hpp>
#include <strata/error.hpp>
#include <strata/http/date.hpp>
#include <strata/static_files.hpp>
#include <strata/url.hpp>

#include <boost/system/system_error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <memory>
#include <vector>

namespace strata {

namespace fs = std::filesystem;

namespace {

char lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Closes a POSIX descriptor on every path out of the handler.
struct file_descriptor {
    int fd = -1;
    explicit file_descriptor(int f) noexcept : fd(f) {}
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;
    ~file_descriptor()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

bool inside(const fs::path& root, const fs::path& p)
{
    // Component-wise, so that "/srv/www2" is not taken to be inside "/srv/www".
    auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
    // A canonical root may end with an empty component ("/srv/www/").
    return r == root.end() || (std::next(r) == root.end() && r->empty());
}

struct state {
    fs::path root;
    static_files_config cfg;
};

net::awaitable<void> send_file(const state& s, request& req, response& res)
{
    if (req.method() != "GET" && req.method() != "HEAD") {
        res.set_header("Allow", "GET, HEAD");
        co_await res.send(http::status::method_not_allowed, "method not allowed\n");
        co_return;
    }
    std::string_view path = req.path();
    const std::string_view prefix = s.cfg.prefix;
    if (!path.starts_with(prefix) ||
        (path.size() > prefix.size() && !prefix.ends_with('/') && path[prefix.size()] != '/')) {
        co_await res.send(http::status::not_found, "not found\n");
        co_return;
    }
    auto mapped = map_static_path(path.substr(prefix.size()), s.cfg.serve_hidden);
    if (mapped.result == static_path::verdict::bad_request) {
        co_await res.send(http::status::bad_request, "bad request path\n");
        co_return;
    }
    auto file =
        mapped.result == static_path::verdict::ok ? resolve_under(s.root, mapped.relative) : fs::path{};
    std::error_code ignored;
    if (!file.empty() && fs::is_directory(file, ignored)) {
        if (!mapped.directory) {
            std::string location{path};
            location += '/';
            if (!req.query().empty())
                location.append("?").append(req.query());
            res.set_header("Location", location);
            co_await res.send(http::status::moved_permanently, "moved to " + location + "\n");
            co_return;
        }
        file = resolve_under(s.root, mapped.relative / s.cfg.index_file);
    } else if (mapped.directory) {
        file.clear(); // "file.txt/" names a directory that is not there
    }
    // O_NONBLOCK: a FIFO swapped in after the checks must not hang the
    // server; fstat below refuses anything but a regular file anyway.
    file_descriptor fd{file.empty() ? -1
                                    : ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
    struct stat st {};
    if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        co_await res.send(http::status::not_found, "not found\n");
        co_return;
    }
    const auto size = static_cast<std::uintmax_t>(st.st_size);
    const auto etag =
        file_etag(size, static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
    res.set_header("ETag", etag);
    res.set_header("Last-Modified", http::format_date(st.st_mtim.tv_sec));
    if (!s.cfg.cache_control.empty())
        res.set_header("Cache-Control", s.cfg.cache_control);
    if (not_modified(req, etag)) {
        co_await res.start(http::status::not_modified); // no body, no Content-Length (RFC 9110 §15.4.5)
        co_await res.finish();
        co_return;
    }
    res.set_header("Content-Type", content_type_for(file));
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Length", std::to_string(size));
    co_await res.start(http::status::ok);
    if (req.method() == "HEAD") {
        co_await res.finish();
        co_return;
    }
    // The file is read on the server's thread: local disk reads are short,
    // and Asio 1.74 has no portable asynchronous file I/O.
    std::vector<std::byte> buffer(
        static_cast<std::size_t>(std::min<std::uintmax_t>(s.cfg.chunk_bytes, size)));
    for (std::uintmax_t left = size; left > 0;) {
        const auto want = static_cast<std::size_t>(std::min<std::uintmax_t>(buffer.size(), left));
        const auto n = ::read(fd.fd, buffer.data(), want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            // The file shrank or failed under us: Content-Length promised
            // more, so the connection must be cut, which throwing does.
            throw boost::system::system_error(n < 0 ? error_code(errno, boost::system::system_category())
                                                    : error_code(error::stream_closed),
                                              "strata::static_files: read " + file.string());
        }
        error_code ec;
        co_await res.write(std::span<const std::byte>(buffer.data(), static_cast<std::size_t>(n)), ec);
        if (ec)
            co_return; // the client went away
        left -= static_cast<std::uintmax_t>(n);
    }
    co_await res.finish();
}

} // namespace

handler static_files(fs::path root, static_files_config cfg)
{
    if (cfg.chunk_bytes == 0)
        cfg.chunk_bytes = 64 * 1024;
    auto s = std::make_shared<const state>(state{std::move(root), std::move(cfg)});
    return [s](request& req, response& res) -> net::awaitable<void> { return send_file(*s, req, res); };
}

static_path map_static_path(std::string_view request_path, bool serve_hidden)
{
    static_path out;
    auto decoded = percent_decode(request_path);
    if (!decoded || decoded->find('\0') != std::string::npos) {
        out.result = static_path::verdict::bad_request;
        return out;
    }
    std::string_view rest = *decoded;
    out.directory = rest.empty() || rest.back() == '/';
    // Split after decoding: an encoded '/' separates segments like a plain one,
    // so "..%2f" cannot hide a ".." inside one segment.
    while (!rest.empty()) {
        auto slash = rest.find('/');
        auto segment = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (segment.empty() || segment == ".")
            continue;
        if (segment == ".." || segment.find('\\') != std::string_view::npos ||
            (!serve_hidden && segment.front() == '.'))
            return {static_path::verdict::not_found, {}, false};
        out.relative /= fs::path(segment);
    }
    out.result = static_path::verdict::ok;
    return out;
}

fs::path resolve_under(const fs::path& root, const fs::path& relative)
{
    std::error_code ec;
    auto base = fs::canonical(root, ec);
    if (ec)
        return {};
    // canonical() follows every symbolic link, so a link inside the tree that
    // points out of it resolves to a path outside the root and is refused.
    auto full = fs::canonical(base / relative, ec);
    if (ec || !inside(base, full))
        return {};
    return full;
}

std::string_view content_type_for(const fs::path& file)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> table{{
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"}, // RFC 9239
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"}, // RFC 7763
        {"xml", "application/xml"},
        {"webp", "image/webp"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"ico", "image/vnd.microsoft.icon"},
        {"wasm", "application/wasm"}, // browsers compile it streaming only with this type
        {"pdf", "application/pdf"},
        {"mp4", "video/mp4"},
    }};
    const auto ext = file.extension().string();
    if (ext.size() > 1) {
        std::string key;
        for (char c : std::string_view(ext).substr(1))
            key.push_back(lower(c));
        for (const auto& [e, type] : table)
            if (e == key)
                return type;
    }
    return "application/octet-stream";
}

std::string file_etag(std::uintmax_t size, long long mtime_ns)
{
    char out[48];
    std::snprintf(out, sizeof out, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                  static_cast<unsigned long long>(mtime_ns));
    return out;
}

} // namespace strata
