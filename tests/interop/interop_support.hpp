// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What the interop tests share: running a real peer as a child process (with
// a deadline, its output captured, always reaped), temporary directories,
// and a strata server on a background thread with a test CA made at run time.

#include <strata/config.hpp>
#include <strata/server.hpp>
#include <strata/transport/tls_certificates.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace strata::interop {

using namespace std::chrono_literals;

// ---- child processes --------------------------------------------------------

/// Where a program lives: searched in PATH, then in the sbin directories a
/// user's PATH often lacks (nginx is /usr/sbin/nginx). Empty when absent.
std::string find_program(std::string_view name);

/// The path of a peer the test needs. When it is missing the current test
/// fails (a missing peer is a broken CI image, not a reason to skip) with the
/// Debian package that provides it; the result is then empty.
std::string require_program(std::string_view name, std::string_view debian_package);

/// tests/interop/ in the source tree, and a script of tests/interop/scripts/.
const std::filesystem::path& interop_dir();
std::string script(std::string_view name);

/// Debian's Python: `python3` on PATH may be another one (pyenv) that lacks
/// Debian's modules.
inline constexpr std::string_view debian_python = "/usr/bin/python3";

/// /usr/bin/python3 with python3-websockets. Missing, it fails the test with
/// how to install it (as require_program does); the result is then empty.
std::string require_python_websockets();

/// node, and the npm packages a script needs (from package.json). Either
/// missing fails the test with how to install it; the result is then empty.
std::string require_node(std::initializer_list<std::string_view> packages);

struct process_result {
    int exit_code = -1; ///< -1 when the process did not exit normally
    int signal = 0;     ///< the signal that ended it, if one did
    bool timed_out = false;
    std::string out;
    std::string err;
    std::chrono::milliseconds elapsed{0};

    bool ok() const noexcept { return exit_code == 0 && !timed_out; }
    /// A summary for failure messages: the command's fate and its stderr.
    std::string describe() const;
};

struct run_options {
    /// Past this the process group is killed and the result says timed_out.
    std::chrono::milliseconds timeout = 20s;
    /// A file fed to the child's stdin; /dev/null when empty.
    std::string stdin_file;
};

/// Runs argv (argv[0] a path or a name looked up like find_program) to its
/// end and captures stdout and stderr.
process_result run_process(const std::vector<std::string>& argv, const run_options& opt = {});

/// A long-running child (a server): started with its output sent to files,
/// stopped and reaped on destruction (SIGTERM, then SIGKILL).
class child_process {
public:
    child_process() = default;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() { stop(); }

    /// Starts argv; `log_file` receives its stdout and stderr.
    bool start(const std::vector<std::string>& argv, const std::string& log_file, std::string& error);
    /// Whether it is still running (reaps it if it has exited).
    bool running();
    void stop();

private:
    pid_t pid_ = -1;
};

// ---- files and ports ----------------------------------------------------------

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class temp_dir {
public:
    temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir();

    const std::filesystem::path& path() const noexcept { return path_; }
    /// Writes `content` to `name` inside the directory; returns its full path.
    std::string write(std::string_view name, std::string_view content,
                      std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                     std::filesystem::perms::owner_write |
                                                     std::filesystem::perms::group_read |
                                                     std::filesystem::perms::others_read);

private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& p);

/// `n` bytes that use every byte value, the same for the same seed.
std::string random_bytes(std::size_t n, std::uint32_t seed);

/// A port nothing listens on now (bound to 127.0.0.1:0 and released).
std::uint16_t free_port();

/// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds limit);

/// A UDP port nothing is bound to now on 127.0.0.1 (bound and released).
std::uint16_t free_udp_port();

/// Waits until a UDP socket is bound to 127.0.0.1:port (or to any address
/// on that port). UDP has no handshake to probe, so this reads the kernel's
/// socket table (/proc/net/udp and udp6) instead.
bool wait_for_udp_port(std::uint16_t port, std::chrono::milliseconds limit);

// ---- HTTP as seen from outside ---------------------------------------------------

/// One response as `curl -i` or a raw socket shows it.
struct raw_response {
    unsigned status = 0;
    std::string status_line;
    std::multimap<std::string, std::string> fields; ///< names lower-cased
    std::string body;

    std::optional<std::string> field(std::string_view name) const;
};

/// Splits bytes holding responses (interim 1xx ones included) into their
/// heads; the last response gets whatever follows its head as body.
std::vector<raw_response> parse_responses(std::string_view bytes);

/// Sends bytes on a fresh TCP connection and reads until the peer closes.
/// Sets `closed` when the peer closed before `limit`.
std::string raw_exchange(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds limit,
                         bool& closed);

// ---- the strata side -----------------------------------------------------------------

/// The CA every test of this binary trusts; made once, at run time.
const tls::test_authority& test_ca();

/// A certificate for "localhost" and 127.0.0.1 issued by test_ca(), written
/// to files in `dir` for peers that read PEM files (gtlsserver, nghttpd).
struct certificate_files {
    std::string certificate; ///< the leaf, PEM
    std::string private_key; ///< PEM, readable by the owner only
    std::string ca;          ///< test_ca()'s certificate, PEM
};
certificate_files write_test_certificate(temp_dir& dir);

/// Runs a coroutine to its end on a fresh io_context; fails the test when it
/// throws or takes longer than `limit`.
void run_coroutine(std::function<net::awaitable<void>()> body, std::chrono::seconds limit = 30s);

/// What a strata_peer adds to its defaults.
struct strata_peer_options {
    /// Also listen on quic://127.0.0.1:0 (HTTP/3); quic_port() is its UDP port.
    bool quic = false;
    /// Changes to the server's configuration (QUIC limits, Retry), applied
    /// after the peer's own settings and before the server starts.
    std::function<void(server_config&)> configure;
};

/// A strata server with http:// and https:// listeners on 127.0.0.1 (and,
/// when asked, a quic:// one), running on its own thread. Routes:
///   GET  /hello    a short text
///   GET  /port     the client's source port (tells connections apart)
///   GET  /version  the HTTP version the request came in
///   GET  /stream   a body written in pieces without a length (chunked)
///   any  /echo     the request body back; X-Seen-* fields report the
///                  request's Transfer-Encoding, Content-Length and Expect
///   GET  /trailers trailers_body, then the trailer field trailer_name
///                  (HTTP/2: a HEADERS frame after the DATA; HTTP/1.1: in
///                  the last chunk)
///   GET  /big      big_body(), with its Content-Length, written in 64 KiB
///                  pieces: many flow-control windows' worth on HTTP/2
///   GET  /gen/{size}/{seed}
///                  generated_body(size, seed), with its Content-Length, in
///                  64 KiB pieces (distinct last segments give clients that
///                  save by file name distinct files)
class strata_peer {
public:
    static constexpr std::string_view hello_body = "hello from strata\n";
    static constexpr int stream_pieces = 50;
    /// The body /stream sends.
    static std::string stream_body();
    static constexpr std::string_view trailers_body = "the trailer fields follow this body\n";
    static constexpr std::string_view trailer_name = "x-body-status";
    static constexpr std::string_view trailer_value = "complete";
    static constexpr std::size_t big_size = 8 * 1024 * 1024;
    /// The body /big sends: big_size bytes of every value, made once.
    static const std::string& big_body();
    /// What /gen/{size}/{seed} answers: random_bytes(size, seed).
    static std::string generated_body(std::size_t size, std::uint32_t seed);
    static constexpr std::size_t generated_limit = 64 * 1024 * 1024;

    strata_peer();
    explicit strata_peer(const strata_peer_options& options);
    strata_peer(const strata_peer&) = delete;
    strata_peer& operator=(const strata_peer&) = delete;
    ~strata_peer();

    std::uint16_t http_port() const noexcept { return http_port_; }
    std::uint16_t https_port() const noexcept { return https_port_; }
    /// The quic:// listener's UDP port; 0 without strata_peer_options::quic.
    std::uint16_t quic_port() const noexcept { return quic_port_; }
    std::string url(std::string_view scheme, std::string_view path,
                    std::string_view host = "127.0.0.1") const;
    /// The test CA's certificate, as a PEM file (curl --cacert).
    const std::string& ca_file() const noexcept { return ca_file_; }
    std::size_t connection_count() const { return server_->connection_count(); }

private:
    temp_dir dir_;
    std::string ca_file_;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::unique_ptr<server> server_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
    std::uint16_t quic_port_ = 0;
    std::thread thread_;
};

} // namespace strata::interop
