// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "interop_support.hpp"
#include "integration/test_support.hpp"

#include <strata/request.hpp>
#include <strata/response.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <random>
#include <sstream>

extern char** environ;

namespace strata::interop {

namespace {

using clock = std::chrono::steady_clock;

std::chrono::milliseconds since(clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
}

bool executable(const std::filesystem::path& p)
{
    std::error_code ec;
    return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

/// Everything the child needs, prepared before fork(): after it, in a process
/// with other threads, only async-signal-safe calls are allowed.
struct spawn_plan {
    std::string path;
    std::vector<std::string> args;
    std::vector<char*> argv;
    int max_fd = 1024;

    explicit spawn_plan(const std::vector<std::string>& a) : args(a)
    {
        path = args.empty()                             ? std::string{}
               : args[0].find('/') != std::string::npos ? args[0]
                                                        : find_program(args[0]);
        for (auto& s : args)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        rlimit lim{};
        if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
            max_fd = static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 65536));
    }
};

/// In the child: its own process group (so a timeout kills what it started
/// too), the three standard streams, nothing else inherited (the server's
/// sockets stay ours), then the program.
[[noreturn]] void exec_child(const spawn_plan& plan, int in, int out, int err)
{
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0)
        ::_exit(126);
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
        for (int fd = 3; fd < plan.max_fd; ++fd)
            ::close(fd);
    ::execve(plan.path.c_str(), plan.argv.data(), environ);
    ::_exit(127);
}

void reap(pid_t pid, int& status, std::chrono::milliseconds grace)
{
    auto deadline = clock::now() + grace;
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        if (clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(5ms);
    }
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

} // namespace

// ---- child processes --------------------------------------------------------

std::string find_program(std::string_view name)
{
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss{path};
        for (std::string d; std::getline(ss, d, ':');)
            if (!d.empty())
                dirs.push_back(d);
    }
    for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"})
        dirs.emplace_back(d);
    for (const auto& d : dirs) {
        auto p = std::filesystem::path(d) / name;
        if (executable(p))
            return p.string();
    }
    return {};
}

std::string require_program(std::string_view name, std::string_view debian_package)
{
    auto p = find_program(name);
    if (p.empty())
        ADD_FAILURE() << "the interop tests need `" << name
                      << "`, which is not installed; on Debian: apt install " << debian_package;
    return p;
}

const std::filesystem::path& interop_dir()
{
    static const std::filesystem::path dir{STRATA_INTEROP_SOURCE_DIR};
    return dir;
}

std::string script(std::string_view name)
{
    return (interop_dir() / "scripts" / name).string();
}

std::string require_python_websockets()
{
    std::string python{debian_python};
    if (!std::filesystem::exists(python)) {
        ADD_FAILURE()
            << "the interop tests need " << python
            << ": install the Debian packages python3 and python3-websockets (scripts/install-deps.sh)";
        return {};
    }
    auto r = run_process({python, "-c", "import websockets"},
                         {.timeout = std::chrono::seconds(20), .stdin_file = {}});
    if (!r.ok()) {
        ADD_FAILURE() << "the interop tests need the Debian package python3-websockets for " << python
                      << " (scripts/install-deps.sh): " << r.describe();
        return {};
    }
    return python;
}

std::string require_node(std::initializer_list<std::string_view> packages)
{
    auto node = require_program("node", "nodejs");
    for (auto p : packages) {
        if (!std::filesystem::exists(interop_dir() / "node_modules" / p / "package.json")) {
            ADD_FAILURE() << "the interop tests need the npm package `" << p
                          << "`, which is not installed: run scripts/install-deps.sh (npm ci in "
                             "tests/interop)";
            return {};
        }
    }
    return node;
}

std::string process_result::describe() const
{
    std::ostringstream os;
    if (timed_out)
        os << "timed out after " << elapsed.count() << " ms";
    else if (signal)
        os << "killed by signal " << signal;
    else
        os << "exit code " << exit_code << " after " << elapsed.count() << " ms";
    os << "; stderr:\n" << (err.size() > 4000 ? err.substr(0, 4000) + "\n[...]" : err);
    return os.str();
}

process_result run_process(const std::vector<std::string>& argv, const run_options& opt)
{
    process_result r;
    auto start = clock::now();
    spawn_plan plan{argv};
    if (plan.path.empty()) {
        r.err = "program not found: " + (argv.empty() ? std::string{"(none)"} : argv[0]);
        return r;
    }
    int in = ::open(opt.stdin_file.empty() ? "/dev/null" : opt.stdin_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        r.err = "cannot open " + opt.stdin_file + ": " + std::strerror(errno);
        return r;
    }
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        ::close(in);
        r.err = std::string{"pipe2: "} + std::strerror(errno);
        return r;
    }
    if (::pipe2(err, O_CLOEXEC) != 0) {
        ::close(in);
        ::close(out[0]);
        ::close(out[1]);
        r.err = std::string{"pipe2: "} + std::strerror(errno);
        return r;
    }
    pid_t pid = ::fork();
    if (pid == 0)
        exec_child(plan, in, out[1], err[1]);
    ::close(in);
    ::close(out[1]);
    ::close(err[1]);
    if (pid < 0) {
        ::close(out[0]);
        ::close(err[0]);
        r.err = std::string{"fork: "} + std::strerror(errno);
        return r;
    }
    ::setpgid(pid, pid); // also here: whichever of the two runs first

    auto deadline = start + opt.timeout;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
            break;
        }
        int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            auto got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0)
            ::close(f.fd);
    int status = 0;
    auto left = std::max<std::chrono::milliseconds>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()), 0ms);
    reap(pid, status, left);
    if (WIFEXITED(status) && !r.timed_out)
        r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r.signal = WTERMSIG(status);
    if (clock::now() >= deadline && !WIFEXITED(status))
        r.timed_out = true;
    r.elapsed = since(start);
    return r;
}

bool child_process::start(const std::vector<std::string>& argv, const std::string& log_file,
                          std::string& error)
{
    stop();
    spawn_plan plan{argv};
    if (plan.path.empty()) {
        error = "program not found: " + (argv.empty() ? std::string{"(none)"} : argv[0]);
        return false;
    }
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (in < 0 || log < 0) {
        error = "cannot open " + log_file + ": " + std::strerror(errno);
        if (in >= 0)
            ::close(in);
        if (log >= 0)
            ::close(log);
        return false;
    }
    pid_t pid = ::fork();
    if (pid == 0)
        exec_child(plan, in, log, log);
    ::close(in);
    ::close(log);
    if (pid < 0) {
        error = std::string{"fork: "} + std::strerror(errno);
        return false;
    }
    ::setpgid(pid, pid);
    pid_ = pid;
    return true;
}

bool child_process::running()
{
    if (pid_ <= 0)
        return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

void child_process::stop()
{
    if (pid_ <= 0)
        return;
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
    int status = 0;
    reap(pid_, status, 3s);
    pid_ = -1;
}

// ---- files and ports ----------------------------------------------------------

temp_dir::temp_dir()
{
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/strata-interop-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
    path_ = tmpl;
}

temp_dir::~temp_dir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::write(std::string_view name, std::string_view content, std::filesystem::perms perms)
{
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    {
        // Created with the final permissions: a private key is never world-readable, even briefly.
        int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(perms));
        if (fd < 0)
            throw std::runtime_error("open " + p.string() + ": " + std::strerror(errno));
        std::size_t done = 0;
        while (done < content.size()) {
            auto n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                ::close(fd);
                throw std::runtime_error("write " + p.string() + ": " + std::strerror(errno));
            }
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
    return p.string();
}

std::string read_file(const std::filesystem::path& p)
{
    std::ifstream in{p, std::ios::binary};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string random_bytes(std::size_t n, std::uint32_t seed)
{
    std::mt19937 gen{seed};
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<char>(i < 256 ? i : gen() & 0xff);
    return out;
}

std::uint16_t free_port()
{
    net::io_context io;
    net::ip::tcp::acceptor a{io, {net::ip::make_address("127.0.0.1"), 0}};
    return a.local_endpoint().port();
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds limit)
{
    auto deadline = clock::now() + limit;
    net::io_context io;
    do {
        net::ip::tcp::socket s{io};
        error_code ec;
        s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
        if (!ec)
            return true;
        std::this_thread::sleep_for(20ms);
    } while (clock::now() < deadline);
    return false;
}

std::uint16_t free_udp_port()
{
    net::io_context io;
    net::ip::udp::socket s{io, {net::ip::make_address("127.0.0.1"), 0}};
    return s.local_endpoint().port();
}

namespace {

/// Whether a socket table in /proc/net/udp's format has a socket bound to
/// `port` on 127.0.0.1 or on the wildcard address.
bool udp_table_has(const char* table, std::uint16_t port)
{
    std::ifstream in{table};
    std::string line;
    std::getline(in, line); // the column names
    while (std::getline(in, line)) {
        // "  sl  local_address rem_address ...": "  12: 0100007F:1F90 00000000:0000 07 ..."
        std::istringstream fields{line};
        std::string slot, local;
        if (!(fields >> slot >> local))
            continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos || std::strtoul(local.c_str() + colon + 1, nullptr, 16) != port)
            continue;
        auto address = local.substr(0, colon);
        bool loopback = address == "0100007F";
        bool any = address.find_first_not_of('0') == std::string::npos;
        if (loopback || any)
            return true;
    }
    return false;
}

} // namespace

bool wait_for_udp_port(std::uint16_t port, std::chrono::milliseconds limit)
{
    auto deadline = clock::now() + limit;
    do {
        if (udp_table_has("/proc/net/udp", port) || udp_table_has("/proc/net/udp6", port))
            return true;
        std::this_thread::sleep_for(20ms);
    } while (clock::now() < deadline);
    return false;
}

// ---- HTTP as seen from outside ---------------------------------------------------

std::optional<std::string> raw_response::field(std::string_view name) const
{
    auto it = fields.find(lower(name));
    if (it == fields.end())
        return std::nullopt;
    return it->second;
}

std::vector<raw_response> parse_responses(std::string_view bytes)
{
    std::vector<raw_response> out;
    while (!bytes.empty()) {
        auto end = bytes.find("\r\n\r\n");
        if (end == std::string_view::npos)
            break;
        auto head = bytes.substr(0, end + 2);
        bytes.remove_prefix(end + 4);
        raw_response r;
        auto eol = head.find("\r\n");
        r.status_line.assign(head.substr(0, eol));
        auto sp = r.status_line.find(' ');
        if (sp != std::string::npos)
            r.status = static_cast<unsigned>(std::atoi(r.status_line.c_str() + sp + 1));
        head.remove_prefix(eol + 2);
        while (!head.empty()) {
            auto line_end = head.find("\r\n");
            auto line = head.substr(0, line_end);
            head.remove_prefix(line_end + 2);
            auto colon = line.find(':');
            if (colon != std::string_view::npos)
                r.fields.emplace(lower(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
        }
        bool interim = r.status >= 100 && r.status < 200;
        if (!interim) {
            r.body.assign(bytes);
            bytes = {};
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::string raw_exchange(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds limit,
                         bool& closed)
{
    closed = false;
    auto deadline = clock::now() + limit;
    net::io_context io;
    net::ip::tcp::socket s{io};
    s.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(s, net::buffer(bytes));
    std::string out;
    char buf[16384];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0)
            break;
        pollfd p{s.native_handle(), POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        error_code ec;
        auto got = s.read_some(net::buffer(buf), ec);
        out.append(buf, got);
        if (ec) {
            closed = ec == net::error::eof || ec == net::error::connection_reset;
            break;
        }
    }
    return out;
}

// ---- the strata side -----------------------------------------------------------------

const tls::test_authority& test_ca()
{
    static const auto ca = tls::make_test_authority("strata interop test CA");
    return ca;
}

certificate_files write_test_certificate(temp_dir& dir)
{
    auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
    certificate_files files;
    files.certificate = dir.write("server.pem", cert.certificate_pem);
    files.private_key = dir.write("server.key", cert.private_key_pem,
                                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    files.ca = dir.write("ca.pem", test_ca().ca.certificate_pem);
    return files;
}

void run_coroutine(std::function<net::awaitable<void>()> body, std::chrono::seconds limit)
{
    net::io_context io;
    try {
        test::run(io, std::move(body), limit);
    } catch (const std::exception& e) {
        FAIL() << "the test coroutine threw: " << e.what();
    }
}

std::string strata_peer::stream_body()
{
    std::string out;
    for (int i = 0; i < stream_pieces; ++i)
        out += "piece " + std::to_string(i) + " of a body with no length\n";
    return out;
}

const std::string& strata_peer::big_body()
{
    static const std::string body = random_bytes(big_size, 8);
    return body;
}

std::string strata_peer::generated_body(std::size_t size, std::uint32_t seed)
{
    return random_bytes(size, seed);
}

strata_peer::strata_peer() : strata_peer(strata_peer_options{}) {}

strata_peer::strata_peer(const strata_peer_options& options) : work_(net::make_work_guard(io_))
{
    auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
    ca_file_ = dir_.write("ca.pem", test_ca().ca.certificate_pem);

    server_config cfg;
    cfg.tls.certificate_chain_pem = cert.certificate_pem;
    cfg.tls.private_key_pem = cert.private_key_pem;
    cfg.shutdown_timeout = 2s;
    if (options.configure)
        options.configure(cfg);
    server_ = std::make_unique<server>(io_.get_executor(), cfg);

    server_->route("GET", "/hello", [](request&, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, hello_body);
    });
    server_->route("GET", "/port", [](request& req, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, std::to_string(req.remote_port()) + "\n");
    });
    server_->route("GET", "/version", [](request& req, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, std::string(http::to_string(req.version())) + "\n");
    });
    server_->route("GET", "/stream", [](request&, response& res) -> net::awaitable<void> {
        res.set_header("Content-Type", "text/plain");
        co_await res.start(status::ok);
        for (int i = 0; i < stream_pieces; ++i)
            co_await res.write("piece " + std::to_string(i) + " of a body with no length\n");
        co_await res.finish();
    });
    server_->route("*", "/echo", [](request& req, response& res) -> net::awaitable<void> {
        constexpr std::size_t limit = 64 * 1024 * 1024;
        res.set_header("X-Seen-Transfer-Encoding", req.header("Transfer-Encoding").value_or("-"));
        res.set_header("X-Seen-Content-Length", req.header("Content-Length").value_or("-"));
        res.set_header("X-Seen-Expect", req.header("Expect").value_or("-"));
        req.set_body_limit(limit);
        auto body = co_await req.read_body(limit);
        co_await res.send(status::ok, body, "application/octet-stream");
    });

    server_->route("GET", "/trailers", [](request&, response& res) -> net::awaitable<void> {
        res.set_header("Content-Type", "text/plain");
        res.set_header("Trailer", trailer_name);
        co_await res.start(status::ok);
        co_await res.write(trailers_body);
        http::fields trailers;
        trailers.set(trailer_name, trailer_value);
        // A client that left before the trailers is no failure of this route.
        error_code ec;
        co_await res.finish(trailers, ec);
    });
    server_->route("GET", "/big", [](request&, response& res) -> net::awaitable<void> {
        constexpr std::size_t piece = 64 * 1024;
        const auto& body = big_body();
        res.set_header("Content-Type", "application/octet-stream");
        res.set_header("Content-Length", std::to_string(body.size()));
        co_await res.start(status::ok);
        for (std::size_t at = 0; at < body.size(); at += piece)
            co_await res.write(std::string_view(body).substr(at, piece));
        co_await res.finish();
    });

    server_->route("GET", "/gen/{size}/{seed}", [](request& req, response& res) -> net::awaitable<void> {
        constexpr std::size_t piece = 64 * 1024;
        auto size = std::strtoull(std::string(req.param("size")).c_str(), nullptr, 10);
        auto seed = std::strtoul(std::string(req.param("seed")).c_str(), nullptr, 10);
        if (size > generated_limit) {
            co_await res.send(status::content_too_large, "at most 64 MiB\n");
            co_return;
        }
        auto body = generated_body(size, static_cast<std::uint32_t>(seed));
        res.set_header("Content-Type", "application/octet-stream");
        res.set_header("Content-Length", std::to_string(body.size()));
        co_await res.start(status::ok);
        for (std::size_t at = 0; at < body.size(); at += piece)
            co_await res.write(std::string_view(body).substr(at, piece));
        co_await res.finish();
    });

    http_port_ = server_->listen("http://127.0.0.1:0").port();
    https_port_ = server_->listen("https://127.0.0.1:0").port();
    if (options.quic)
        quic_port_ = server_->listen("quic://127.0.0.1:0").port();
    thread_ = std::thread([this] { io_.run(); });
}

strata_peer::~strata_peer()
{
    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    net::post(io_, [this, stopped] {
        server_->shutdown();
        server_->async_wait_stopped([stopped](error_code) { stopped->set_value(); });
    });
    // shutdown_timeout is 2 s; past 5 the thread is stopped anyway so a hung
    // connection fails its test instead of hanging the binary.
    done.wait_for(5s);
    work_.reset();
    io_.stop();
    thread_.join();
    server_.reset();
}

std::string strata_peer::url(std::string_view scheme, std::string_view path, std::string_view host) const
{
    auto port = scheme == "https" ? https_port_ : http_port_;
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port) + std::string(path);
}

} // namespace strata::interop
