// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// `strata ws URL`: a WebSocket on the terminal, as websocat does it. Each
// line of stdin goes out as a message; each message that comes in is
// printed on a line of its own. At the end of stdin the close handshake
// runs (1000), and the tool exits once the server has answered it.

#include "client_options.hpp"
#include "commands.hpp"

#include <strata/error.hpp>
#include <strata/url.hpp>
#include <strata/websocket/stream.hpp>
#include <strata/websocket/utf8.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

namespace strata_cli {

namespace net = boost::asio;
namespace websocket = strata::websocket;

namespace {

constexpr std::string_view usage = "strata ws URL [options]";

/// stdin, line by line, without blocking the io_context. A pipe or a
/// terminal is read asynchronously on the io_context itself; a regular file
/// cannot be waited for (epoll refuses it), so a thread reads it and hands
/// the bytes over, a bounded amount at a time.
class stdin_lines {
public:
    explicit stdin_lines(net::any_io_executor ex) : ex_(ex), arrived_(ex)
    {
        struct stat st {};
        if (::fstat(STDIN_FILENO, &st) != 0) {
            eof_ = true; // no stdin at all: nothing to send
            return;
        }
        if (!S_ISREG(st.st_mode)) {
            // Asio puts the descriptor in non-blocking mode, and the open file
            // is shared with the shell when stdin is a terminal: put it back.
            saved_flags_ = ::fcntl(STDIN_FILENO, F_GETFL);
            strata::error_code ec;
            if (int fd = ::dup(STDIN_FILENO); fd >= 0) {
                fd_.emplace(ex);
                fd_->assign(fd, ec);
                if (!ec)
                    return;
                fd_.reset();
            }
        }
        thread_ = std::thread([this] { read_blocking(); });
    }
    stdin_lines(const stdin_lines&) = delete;
    stdin_lines& operator=(const stdin_lines&) = delete;

    ~stdin_lines()
    {
        stop();
        if (thread_.joinable())
            thread_.join();
        fd_.reset();
        if (saved_flags_ >= 0)
            ::fcntl(STDIN_FILENO, F_SETFL, saved_flags_);
    }

    /// The next line, without its line break; the last one may lack it.
    /// nullopt at the end of input, on a read error, or after stop().
    net::awaitable<std::optional<std::string>> next()
    {
        for (;;) {
            if (stopped_)
                co_return std::nullopt;
            if (auto nl = pending_.find('\n', scanned_); nl != std::string::npos) {
                std::string line = pending_.substr(0, nl);
                pending_.erase(0, nl + 1);
                scanned_ = 0;
                co_return line;
            }
            scanned_ = pending_.size();
            if (eof_) {
                if (pending_.empty())
                    co_return std::nullopt;
                std::string last = std::move(pending_);
                pending_.clear();
                scanned_ = 0;
                co_return last;
            }
            co_await fill();
        }
    }

    /// Ends next() now and from now on (the server closed, or Ctrl-C).
    void stop()
    {
        stopped_ = true;
        if (fd_) {
            strata::error_code ignored;
            fd_->cancel(ignored);
        }
        {
            std::lock_guard lock{mu_};
            stop_thread_ = true;
        }
        space_.notify_one();
        arrived_.cancel();
    }

private:
    static constexpr std::size_t chunk = 16 * 1024;
    /// What the reader thread may hold that next() has not taken yet.
    static constexpr std::size_t max_handed_over = 256 * 1024;

    net::awaitable<void> fill()
    {
        if (fd_) {
            char buf[chunk];
            strata::error_code ec;
            auto n =
                co_await fd_->async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            pending_.append(buf, n);
            if (ec)
                eof_ = true; // net::error::eof, or cancelled by stop()
            co_return;
        }
        {
            std::lock_guard lock{mu_};
            if (!handed_over_.empty() || thread_eof_) {
                pending_ += handed_over_;
                handed_over_.clear();
                eof_ = thread_eof_;
                space_.notify_one();
                co_return;
            }
        }
        // The thread posts a cancel of this timer after each hand-over; it
        // runs only once this wait has begun, so no wake-up is lost.
        arrived_.expires_at(net::steady_timer::time_point::max());
        strata::error_code ignored;
        co_await arrived_.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }

    void read_blocking()
    {
        char buf[chunk];
        for (;;) {
            {
                std::unique_lock lock{mu_};
                space_.wait(lock, [&] { return stop_thread_ || handed_over_.size() < max_handed_over; });
                if (stop_thread_)
                    return;
            }
            auto n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            {
                std::lock_guard lock{mu_};
                if (n > 0)
                    handed_over_.append(buf, static_cast<std::size_t>(n));
                else
                    thread_eof_ = true;
            }
            net::post(ex_, [this] { arrived_.cancel(); });
            if (n <= 0)
                return;
        }
    }

    net::any_io_executor ex_;
    std::optional<net::posix::stream_descriptor> fd_;
    int saved_flags_ = -1;
    std::string pending_;
    std::size_t scanned_ = 0; ///< pending_ holds no line break before this
    bool eof_ = false;
    bool stopped_ = false;

    std::thread thread_;
    std::mutex mu_;
    std::condition_variable space_;
    std::string handed_over_; ///< guarded by mu_, as are the two below
    bool thread_eof_ = false;
    bool stop_thread_ = false;
    net::steady_timer arrived_;
};

struct session {
    std::string url;
    websocket::connect_config cfg;
    bool binary = false;
    bool verbose = false;
    stdin_lines& input;
    websocket::stream ws;
    unsigned last_status = 0; ///< of the answer to the opening request; 0: none came
    std::string last_reason;
    bool connected = false;
    bool reader_done = false;
    bool sender_done = false;
    strata::error_code close_error; ///< of our close(), at the end of stdin
    net::steady_timer sender_exit;
};

void note(const session& s, const std::string& message)
{
    std::fprintf(stderr, "strata ws: %s: %s\n", s.url.c_str(), message.c_str());
}

std::string_view way_opened(strata::http::version v)
{
    switch (v) {
    case strata::http::version::http2:
        return "extended CONNECT, RFC 8441";
    case strata::http::version::http3:
        return "extended CONNECT, RFC 9220";
    default:
        return "Upgrade";
    }
}

net::awaitable<void> send_lines(session& s)
{
    unsigned long line_number = 0;
    while (auto line = co_await s.input.next()) {
        ++line_number;
        const std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(line->data()),
                                               line->size()};
        if (!s.binary && !websocket::is_valid_utf8(bytes)) {
            // A text message must be UTF-8 (RFC 6455 §5.6): the server would close with 1007.
            note(s, "line " + std::to_string(line_number) +
                        " is not UTF-8, not sent (--binary sends lines as bytes)");
            continue;
        }
        strata::error_code ec;
        co_await s.ws.write(s.binary ? websocket::message_type::binary : websocket::message_type::text, bytes,
                            ec);
        if (ec)
            co_return; // the reader says why
    }
    if (s.reader_done)
        co_return; // the server closed first
    co_await s.ws.close(static_cast<std::uint16_t>(websocket::close_code::normal), {}, s.close_error);
}

/// Prints messages until the connection ends; why it ended.
net::awaitable<strata::error_code> print_messages(session& s)
{
    for (;;) {
        strata::error_code ec;
        auto m = co_await s.ws.read(ec);
        if (ec)
            co_return ec;
        std::fwrite(m.data.data(), 1, m.data.size(), stdout);
        std::fputc('\n', stdout);
        // A pipe reader (grep, a script) sees each message as it arrives.
        std::fflush(stdout);
    }
}

/// The exit status for the way the WebSocket ended, said on stderr.
int report_end(const session& s, const strata::error_code& ec)
{
    if (ec == websocket::error::closed) {
        const auto code = s.ws.close_code();
        const std::string reason{s.ws.close_reason()};
        if (s.verbose)
            std::fprintf(stderr, "* closed: %u%s%s\n", code, reason.empty() ? "" : " ", reason.c_str());
        // 1005: a close frame without a code, which is how many peers say "done".
        if (code == 1000 || code == 1001 || code == 1005)
            return 0;
        if (!s.verbose)
            note(s, "closed by the server: " + std::to_string(code) + (reason.empty() ? "" : " " + reason));
        return 1;
    }
    if (s.close_error == strata::error::timeout)
        note(s, "the server did not answer the close handshake in time");
    else if (ec.category() == websocket::websocket_category())
        note(s, "the server broke the WebSocket protocol: " + ec.message() + " (closed with " +
                    std::to_string(static_cast<unsigned>(websocket::close_code_for(ec))) + ")");
    else
        note(s, "connection lost: " + ec.message());
    return 1;
}

net::awaitable<int> run(session& s)
{
    strata::error_code ec;
    s.cfg.on_response = [&s](const strata::client_response& res) {
        s.last_status = res.status();
        s.last_reason = std::string(res.reason());
        if (s.verbose)
            std::fprintf(stderr, "* Response: %u%s%s\n", s.last_status, s.last_reason.empty() ? "" : " ",
                         s.last_reason.c_str());
    };
    s.ws = co_await websocket::connect(co_await net::this_coro::executor, s.url, s.cfg, ec);
    if (ec) {
        std::string why = ec.message();
        if (s.last_status != 0) // the answer says more than the error: 404, 403, a 200 from a plain page
            why += " (the server answered " + std::to_string(s.last_status) +
                   (s.last_reason.empty() ? "" : " " + s.last_reason) + ")";
        note(s, why);
        co_return 1;
    }
    s.connected = true;
    if (s.verbose) {
        std::fprintf(stderr, "* Using %s (%s)\n",
                     std::string(strata::http::to_string(s.ws.version())).c_str(),
                     std::string(way_opened(s.ws.version())).c_str());
        std::fprintf(stderr, "* Subprotocol: %s\n",
                     s.ws.subprotocol().empty() ? "(none)" : std::string(s.ws.subprotocol()).c_str());
        std::fprintf(stderr, "* permessage-deflate: %s\n", s.ws.deflate() ? "negotiated" : "not negotiated");
    }
    net::co_spawn(co_await net::this_coro::executor, send_lines(s), [&s](std::exception_ptr) {
        s.sender_done = true;
        s.sender_exit.cancel();
    });
    auto ended = co_await print_messages(s);
    s.reader_done = true;
    s.input.stop();
    while (!s.sender_done) {
        s.sender_exit.expires_at(net::steady_timer::time_point::max());
        strata::error_code ignored;
        co_await s.sender_exit.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
    const int rc = report_end(s, ended);
    s.ws = websocket::stream{}; // its keep-alive timer and its connection would keep run() going
    co_return rc;
}

} // namespace

int ws_main(int argc, char** argv)
{
    const auto options = with_client_options({
        {"binary", 'b', {}, "send each line as a binary message (default: text, which must be UTF-8)"},
        {"deflate", 0, {}, "offer permessage-deflate (RFC 7692)"},
        {"subprotocol", 0, "P", "offer subprotocol P (Sec-WebSocket-Protocol; repeatable, preferred first)"},
        {"origin", 0, "ORIGIN", "send Origin: ORIGIN, as a browser does"},
        {"verbose", 'v', {}, "show the HTTP version, subprotocol, deflate and the close on stderr"},
    });
    args a;
    std::string error;
    if (!a.parse(argc, argv, 2, options, error) || (!a.has("help") && a.positional().size() != 1)) {
        std::fprintf(stderr, "strata ws: %s\nusage: %s (see strata ws --help)\n",
                     error.empty() ? "expected one URL" : error.c_str(), usage.data());
        return 2;
    }
    if (a.has("help")) {
        print_help(usage,
                   "A WebSocket on the terminal: each line of stdin is sent as a message, each\n"
                   "message received is printed on a line of its own (binary ones as raw bytes).\n"
                   "At the end of stdin it closes (1000) and waits for the server's close.\n"
                   "URLs are ws://, wss://, http:// or https://. --http2 and --http3 open the\n"
                   "WebSocket with an extended CONNECT (RFC 8441, RFC 9220), --http3 on wss:// only;\n"
                   "the default is HTTP/1.1's Upgrade. Exits 0 when the WebSocket closes with 1000,\n"
                   "1001 or no code, 1 when it closes otherwise, is lost or cannot be opened.",
                   options);
        return 0;
    }
    websocket::connect_config cfg;
    if (!apply_client_options(a, cfg.client, cfg.fields, error)) {
        std::fprintf(stderr, "strata ws: %s\n", error.c_str());
        return 2;
    }
    const std::string url = a.positional().front();
    const bool secure = url.starts_with("wss://") || url.starts_with("https://");
    if (!secure && !url.starts_with("ws://") && !url.starts_with("http://")) {
        std::fprintf(stderr, "strata ws: %s: expected a ws://, wss://, http:// or https:// URL\n",
                     url.c_str());
        return 2;
    }
    if (a.has("http3"))
        cfg.version = strata::http::version::http3;
    else if (a.has("http2") || a.has("http2-prior-knowledge"))
        cfg.version = strata::http::version::http2;
    if (cfg.version == strata::http::version::http3 && !secure) {
        std::fprintf(stderr, "strata ws: --http3 needs a wss:// URL: QUIC always runs TLS\n");
        return 2;
    }
    cfg.deflate.enable = a.has("deflate");
    cfg.subprotocols = a.values("subprotocol");
    if (auto origin = a.value("origin"))
        cfg.fields.set("Origin", *origin);
    const bool verbose = a.has("verbose");
    if (verbose)
        std::fprintf(stderr, "* Opening %s with %s\n", url.c_str(),
                     cfg.version == strata::http::version::http1_1 ? "an HTTP/1.1 Upgrade"
                     : cfg.version == strata::http::version::http2 ? "an HTTP/2 extended CONNECT"
                                                                   : "an HTTP/3 extended CONNECT");

    net::io_context io;
    stdin_lines input{io.get_executor()};
    session s{url, std::move(cfg),       a.has("binary"), verbose, input, {}, 0, {}, false, false, false,
              {},  net::steady_timer{io}};
    // Ctrl-C ends the input, as the end of stdin does: the close handshake
    // runs. Again, or before the WebSocket is open, quits at once.
    net::signal_set signals{io, SIGINT, SIGTERM};
    bool interrupted = false;
    std::function<void(strata::error_code, int)> on_signal = [&](strata::error_code e, int) {
        if (e)
            return;
        if (!s.connected || s.reader_done || interrupted)
            std::_Exit(130);
        interrupted = true;
        input.stop();
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    int rc = 1;
    net::co_spawn(io, run(s), [&](std::exception_ptr e, int r) {
        rc = e ? 1 : r;
        // Not only cancelled: the default action is back, should anything still hold run().
        signals.cancel();
        signals.clear();
    });
    io.run();
    return rc;
}

} // namespace strata_cli
