// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The load client of the SSE fan-out benchmark (load/sse_fanout.sh). It must
// cost less than the servers it measures, so it is plain epoll on one
// thread: no Asio, no strata::client, one read() per readiness, a chunk and
// SSE scanner of a few states per connection, one clock read per read().
// While measuring it polls (--poll-us, 500 by default) rather than sleeping
// in epoll_wait, so that the servers' writes do not pay for waking it.
//
// Against a server process (--pid, on --port) that serves GET /events,
// POST /start[?rate=R] and POST /stop (load/sse_fanout_server.cpp,
// load/sse_node_server.js, load/sse_c_writer.c), it
//   1. reads the server's RSS and Pss, opens --subscribers streams (at most
//      --concurrency connecting at once), waits --settle-ms and reads them
//      again: memory per idle subscriber;
//   2. POSTs /start?rate=R, lets --warmup seconds pass, then for --duration
//      seconds counts the events received (deliveries), the latency of each
//      (receipt minus the publish time the event carries, both
//      CLOCK_MONOTONIC), and the server's utime and stime (/proc/PID/stat);
//   3. for --syscall-secs more seconds counts the server's system calls with
//      perf tracepoints (write, writev, sendmsg, sendto, sendmmsg, and all
//      syscalls), per delivered event. Not during 2: an enabled syscall
//      tracepoint slows every system call of the traced process. Without
//      perf (not root, no tracefs) it falls back to /proc/PID/io syscw,
//      which counts write/writev but not sendmsg;
//   4. POSTs /stop, checks every stream got every event up to the last id,
//      and closes them;
//   5. "behind": opens --behind streams with a small receive buffer
//      (--behind-rcvbuf), never reads them while the server publishes
//      --behind-rate events/s for --behind-secs (enough to fill the socket
//      buffers: about 2.8 MB sit in a loopback connection's send buffer),
//      POSTs /stop, measures how many of the events were already in the
//      kernel (the server's send queue from /proc/net/tcp, plus FIONREAD),
//      then reads them all and counts the server's write calls meanwhile.
//      Writes per event still held by the server at resume is the figure:
//      a server that coalesces pending events writes far fewer than one each.
//
// The last line is for sse_fanout.sh: RESULT name=... key=value ...

#include <arpa/inet.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

struct options {
    std::string name = "server";
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    long pid = 0;
    std::size_t subscribers = 10'000;
    double rate = 10;
    double warmup = 3;
    double duration = 10;
    double syscall_secs = 3;
    long settle_ms = 2000;
    std::size_t concurrency = 256;
    unsigned sources = 1; // 127.0.0.1 .. 127.0.0.N as source addresses
    std::size_t behind = 10;
    double behind_rate = 5000;
    double behind_secs = 8;
    int behind_rcvbuf = 4096;
    long poll_us = 500; // 0: block in epoll_wait
};

[[noreturn]] void fail(const char* fmt, const char* detail = "")
{
    std::fprintf(stderr, "strata_sse_load: ");
    std::fprintf(stderr, fmt, detail);
    std::fprintf(stderr, "\n");
    std::exit(1);
}

[[noreturn]] void usage(const char* why)
{
    std::fprintf(
        stderr,
        "strata_sse_load: %s\n"
        "usage: strata_sse_load --port PORT --pid PID [--name NAME] [--host 127.0.0.1]\n"
        "         [--subscribers 10000] [--rate 10] [--warmup 3] [--duration 10] [--syscall-secs 3]\n"
        "         [--settle-ms 2000] [--concurrency 256] [--sources 1]\n"
        "         [--behind 10] [--behind-rate 5000] [--behind-secs 8] [--behind-rcvbuf 4096]\n"
        "         [--poll-us 500]\n",
        why);
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc)
            usage("missing value");
        const char* v = argv[++i];
        if (a == "--name")
            o.name = v;
        else if (a == "--host")
            o.host = v;
        else if (a == "--port")
            o.port = static_cast<unsigned short>(std::atoi(v));
        else if (a == "--pid")
            o.pid = std::atol(v);
        else if (a == "--subscribers")
            o.subscribers = std::strtoul(v, nullptr, 10);
        else if (a == "--rate")
            o.rate = std::atof(v);
        else if (a == "--warmup")
            o.warmup = std::atof(v);
        else if (a == "--duration")
            o.duration = std::atof(v);
        else if (a == "--syscall-secs")
            o.syscall_secs = std::atof(v);
        else if (a == "--settle-ms")
            o.settle_ms = std::atol(v);
        else if (a == "--concurrency")
            o.concurrency = std::max<std::size_t>(1, std::strtoul(v, nullptr, 10));
        else if (a == "--sources")
            o.sources = static_cast<unsigned>(std::clamp(std::atoi(v), 1, 254));
        else if (a == "--behind")
            o.behind = std::strtoul(v, nullptr, 10);
        else if (a == "--behind-rate")
            o.behind_rate = std::atof(v);
        else if (a == "--behind-secs")
            o.behind_secs = std::atof(v);
        else if (a == "--behind-rcvbuf")
            o.behind_rcvbuf = std::atoi(v);
        else if (a == "--poll-us")
            o.poll_us = std::max(0L, std::atol(v));
        else
            usage("unknown option");
    }
    if (o.port == 0 || o.pid <= 0)
        usage("--port and --pid are required");
    if (!(o.rate > 0) || !(o.duration > 0) || o.subscribers == 0)
        usage("--rate, --duration and --subscribers must be positive");
    return o;
}

std::int64_t mono_ns()
{
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// ---- the server process, from /proc ------------------------------------------

struct cpu_times {
    double user = 0, system = 0; // seconds
};

cpu_times read_cpu(long pid)
{
    std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
    std::string all{std::istreambuf_iterator<char>{in}, {}};
    auto close = all.rfind(')');
    if (close == std::string::npos)
        fail("cannot read /proc/%s/stat", std::to_string(pid).c_str());
    std::istringstream fields{all.substr(close + 2)};
    std::string f;
    cpu_times t;
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    // After the name: state is field 3; utime and stime are 14 and 15.
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14)
            t.user = std::stod(f) / hz;
        if (i == 15)
            t.system = std::stod(f) / hz;
    }
    return t;
}

long read_kib(const std::string& path, std::string_view key)
{
    std::ifstream in{path};
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(key))
            return std::atol(line.c_str() + key.size());
    return -1;
}

struct memory {
    long rss_kib = -1, pss_kib = -1;
};

memory read_memory(long pid)
{
    const auto base = "/proc/" + std::to_string(pid);
    return {read_kib(base + "/status", "VmRSS:"), read_kib(base + "/smaps_rollup", "Pss:")};
}

long read_syscw(long pid)
{
    std::ifstream in{"/proc/" + std::to_string(pid) + "/io"};
    std::string key;
    long value = 0;
    while (in >> key >> value)
        if (key == "syscw:")
            return value;
    return -1;
}

// The server's system calls, counted by perf tracepoints on each of its
// threads. Enabled only while a figure is taken.
class syscall_counter {
public:
    explicit syscall_counter(long pid)
    {
        static const char* write_family[] = {"sys_enter_write", "sys_enter_writev", "sys_enter_sendmsg",
                                             "sys_enter_sendto", "sys_enter_sendmmsg"};
        std::vector<long> ids;
        for (auto* name : write_family) {
            long id = tracepoint_id(std::string("syscalls/") + name);
            if (id < 0)
                return;
            ids.push_back(id);
        }
        const long all = tracepoint_id("raw_syscalls/sys_enter");
        DIR* d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
        if (!d)
            return;
        while (auto* e = readdir(d)) {
            const long tid = std::atol(e->d_name);
            if (tid <= 0)
                continue;
            bool opened = true;
            for (auto id : ids)
                opened = opened && open_one(id, tid, writes_);
            if (opened && all >= 0)
                opened = open_one(all, tid, all_);
            if (!opened) {
                closedir(d);
                return;
            }
        }
        closedir(d);
        ok_ = !writes_.empty();
    }
    ~syscall_counter()
    {
        for (int fd : writes_)
            ::close(fd);
        for (int fd : all_)
            ::close(fd);
    }
    syscall_counter(const syscall_counter&) = delete;
    syscall_counter& operator=(const syscall_counter&) = delete;

    bool ok() const noexcept { return ok_; }
    bool counts_all() const noexcept { return !all_.empty(); }
    void start()
    {
        for (auto* v : {&writes_, &all_})
            for (int fd : *v) {
                ioctl(fd, PERF_EVENT_IOC_RESET, 0);
                ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
            }
    }
    void stop()
    {
        for (auto* v : {&writes_, &all_})
            for (int fd : *v)
                ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    }
    std::uint64_t writes() const { return sum(writes_); }
    std::uint64_t all() const { return sum(all_); }

private:
    static long tracepoint_id(const std::string& event)
    {
        for (const char* root : {"/sys/kernel/tracing/events/", "/sys/kernel/debug/tracing/events/"}) {
            std::ifstream in{std::string(root) + event + "/id"};
            long id = -1;
            if (in >> id)
                return id;
        }
        return -1;
    }
    static bool open_one(long id, long tid, std::vector<int>& into)
    {
        perf_event_attr attr{};
        attr.type = PERF_TYPE_TRACEPOINT;
        attr.size = sizeof attr;
        attr.config = static_cast<std::uint64_t>(id);
        attr.disabled = 1;
        attr.sample_period = 0;
        long fd = syscall(SYS_perf_event_open, &attr, tid, -1, -1, 0UL);
        if (fd < 0)
            return false;
        into.push_back(static_cast<int>(fd));
        return true;
    }
    static std::uint64_t sum(const std::vector<int>& fds)
    {
        std::uint64_t total = 0;
        for (int fd : fds) {
            std::uint64_t v = 0;
            if (read(fd, &v, sizeof v) == sizeof v)
                total += v;
        }
        return total;
    }

    std::vector<int> writes_, all_;
    bool ok_ = false;
};

// ---- the streams ----------------------------------------------------------------

enum class phase : std::uint8_t { connecting, head, body, closed };
enum class chunk_state : std::uint8_t { size, ext, data, cr, lf, done };

struct subscriber {
    int fd = -1;
    phase ph = phase::connecting;
    bool chunked = false;
    bool paused = false;
    chunk_state cs = chunk_state::size;
    std::uint16_t line_len = 0;
    std::uint32_t chunk_left = 0;
    std::uint64_t id = 0;      // of the event being read
    std::int64_t sent_ns = -1; // its publish time
    std::uint64_t last_id = 0; // of the last event received
    std::uint64_t events = 0;
    std::uint64_t gaps = 0; // ids skipped (events a server dropped)
    std::uint64_t bytes = 0;
    std::string head; // until the response head is complete
    char line[120];
};

struct totals {
    std::uint64_t events = 0;
    std::uint64_t window_events = 0;
    bool recording = false;
    std::int64_t window_end = 0;
    std::vector<std::int64_t> latencies;
    std::uint64_t negative = 0; // a publish time after the receipt: the clocks differ
    std::uint64_t ended = 0;    // streams the server ended
    std::uint64_t errors = 0;
};

class load {
public:
    explicit load(const options& o) : opt_(o)
    {
        ep_ = epoll_create1(0);
        if (ep_ < 0)
            fail("epoll_create1: %s", std::strerror(errno));
        server_.sin_family = AF_INET;
        server_.sin_port = htons(o.port);
        if (inet_pton(AF_INET, o.host.c_str(), &server_.sin_addr) != 1)
            fail("--host must be an IPv4 address: %s", o.host.c_str());
        buf_.resize(256 * 1024);
    }

    totals t;
    std::vector<subscriber> subs;

    /// Opens `n` streams (appended to subs); returns when all have their
    /// response head, or fails.
    void open(std::size_t n, int rcvbuf)
    {
        const std::size_t first = subs.size();
        subs.resize(first + n);
        std::size_t next = first, established = 0, in_flight = 0;
        const auto deadline = mono_ns() + 120'000'000'000LL;
        while (established < n) {
            while (next < first + n && in_flight < opt_.concurrency) {
                start_connect(next++, rcvbuf);
                ++in_flight;
            }
            std::size_t before = count_established(first);
            pump(100);
            std::size_t now_established = count_established(first);
            in_flight -= now_established - before;
            established = now_established;
            for (std::size_t i = first; i < next; ++i)
                if (subs[i].ph == phase::closed)
                    fail("a stream closed while it was being opened (server at its connection limit?)");
            if (mono_ns() > deadline)
                fail("timed out opening streams");
        }
    }

    void pause(subscriber& s, bool on)
    {
        s.paused = on;
        epoll_event ev{};
        ev.events = on ? 0u : static_cast<std::uint32_t>(EPOLLIN);
        ev.data.u64 = static_cast<std::uint64_t>(&s - subs.data());
        epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
    }

    void close_all()
    {
        for (auto& s : subs)
            if (s.fd >= 0) {
                ::close(s.fd);
                s.fd = -1;
            }
        subs.clear();
    }

    /// One epoll_wait and the reads it reports ready; returns how many.
    int pump(int timeout_ms)
    {
        epoll_event evs[max_events];
        int n = epoll_wait(ep_, evs, max_events, timeout_ms);
        for (int i = 0; i < n; ++i) {
            auto& s = subs[evs[i].data.u64];
            if (s.ph == phase::connecting)
                on_connected(s);
            else if (s.ph != phase::closed && !s.paused)
                on_readable(s);
        }
        return std::max(n, 0);
    }

    /// Reads until `end_ns`. With --poll-us, it looks at most that often and
    /// never sleeps in epoll_wait: a client woken for each event would cost
    /// a wake-up per delivery in the server's write (the receiver side of
    /// loopback runs in the sender's system call), which no remote client
    /// costs a real server. Receipt times are then late by up to --poll-us.
    void pump_until(std::int64_t end_ns)
    {
        for (std::int64_t now = mono_ns(); now < end_ns; now = mono_ns()) {
            if (opt_.poll_us == 0) {
                pump(static_cast<int>(std::min<std::int64_t>((end_ns - now) / 1'000'000 + 1, 100)));
                continue;
            }
            if (pump(0) == max_events)
                continue;
            const std::int64_t wake = std::min(end_ns, now + opt_.poll_us * 1000);
            timespec ts{static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
        }
    }

    /// A control request on a connection of its own; returns the body. Any
    /// failure ends the run: the figures would mean nothing.
    std::string control(const std::string& target)
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{30, 0}; // a server behind schedule answers between two events
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, reinterpret_cast<sockaddr*>(&server_), sizeof server_) != 0)
            fail("control connection: %s", std::strerror(errno));
        std::string req = "POST " + target + " HTTP/1.1\r\nHost: " + opt_.host +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size()))
            fail("control request: %s", std::strerror(errno));
        std::string resp;
        char b[4096];
        for (;;) {
            ssize_t n = read(fd, b, sizeof b);
            if (n <= 0)
                break;
            resp.append(b, static_cast<std::size_t>(n));
            // Enough once the head and Content-Length bytes are in.
            auto end = resp.find("\r\n\r\n");
            if (end != std::string::npos) {
                auto cl = resp.find("ontent-Length:");
                if (cl == std::string::npos || cl > end)
                    cl = resp.find("ontent-length:");
                if (cl != std::string::npos && cl < end &&
                    resp.size() >= end + 4 + std::strtoul(resp.c_str() + cl + 14, nullptr, 10))
                    break;
                if (resp.compare(9, 3, "204") == 0)
                    break;
            }
        }
        ::close(fd);
        int status = resp.size() > 12 ? std::atoi(resp.c_str() + 9) : 0;
        if (status / 100 != 2)
            fail("control request %s failed", target.c_str());
        auto end = resp.find("\r\n\r\n");
        return end == std::string::npos ? std::string{} : resp.substr(end + 4);
    }

private:
    static constexpr int max_events = 1024;

    std::size_t count_established(std::size_t first) const
    {
        std::size_t n = 0;
        for (std::size_t i = first; i < subs.size(); ++i)
            n += subs[i].ph == phase::body;
        return n;
    }

    void start_connect(std::size_t index, int rcvbuf)
    {
        auto& s = subs[index];
        s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (s.fd < 0)
            fail("socket: %s (raise the open-file limit)", std::strerror(errno));
        if (rcvbuf > 0)
            setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        if (opt_.sources > 1) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            local.sin_addr.s_addr = htonl(0x7f000001u + static_cast<std::uint32_t>(index % opt_.sources));
            if (bind(s.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
                fail("bind: %s", std::strerror(errno));
        }
        int r = connect(s.fd, reinterpret_cast<sockaddr*>(&server_), sizeof server_);
        if (r != 0 && errno != EINPROGRESS)
            fail("connect: %s (ephemeral ports exhausted? try --sources 4)", std::strerror(errno));
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u64 = index;
        epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
    }

    void on_connected(subscriber& s)
    {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0)
            fail("connect: %s", std::strerror(err));
        static const std::string req =
            "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
        if (write(s.fd, req.data(), req.size()) != static_cast<ssize_t>(req.size()))
            fail("request: %s", std::strerror(errno));
        s.ph = phase::head;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = static_cast<std::uint64_t>(&s - subs.data());
        epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
    }

    void on_readable(subscriber& s)
    {
        ssize_t n = read(s.fd, buf_.data(), buf_.size());
        if (n <= 0) {
            if (n < 0 && errno == EAGAIN)
                return;
            if (n < 0)
                ++t.errors;
            close_stream(s);
            return;
        }
        const std::int64_t now = mono_ns();
        const char* p = buf_.data();
        std::size_t len = static_cast<std::size_t>(n);
        s.bytes += len;
        if (s.ph == phase::head) {
            s.head.append(p, len);
            auto end_of_head = s.head.find("\r\n\r\n");
            if (end_of_head == std::string::npos) {
                if (s.head.size() > 16384)
                    fail("response head too long");
                return;
            }
            if (s.head.compare(0, 12, "HTTP/1.1 200") != 0)
                fail("GET /events was not answered 200: %s", s.head.substr(0, s.head.find('\r')).c_str());
            std::string lower = s.head.substr(0, end_of_head);
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
            s.chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
            std::string rest = s.head.substr(end_of_head + 4);
            std::string().swap(s.head);
            s.ph = phase::body;
            feed(s, rest.data(), rest.size(), now);
            return;
        }
        feed(s, p, len, now);
    }

    void close_stream(subscriber& s)
    {
        if (s.ph == phase::closed)
            return;
        if (s.ph != phase::connecting)
            ++t.ended;
        s.ph = phase::closed;
        epoll_ctl(ep_, EPOLL_CTL_DEL, s.fd, nullptr);
    }

    void feed(subscriber& s, const char* p, std::size_t n, std::int64_t now)
    {
        if (!s.chunked) {
            sse_bytes(s, p, n, now);
            return;
        }
        const char* end = p + n;
        while (p < end) {
            switch (s.cs) {
            case chunk_state::size: {
                char c = *p++;
                int v = c >= '0' && c <= '9'                 ? c - '0'
                        : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10
                                                             : -1;
                if (v >= 0)
                    s.chunk_left = s.chunk_left * 16 + static_cast<std::uint32_t>(v);
                else if (c == '\n')
                    s.cs = s.chunk_left == 0 ? chunk_state::done : chunk_state::data;
                else
                    s.cs = chunk_state::ext; // ";ext" or the CR
                break;
            }
            case chunk_state::ext:
                if (*p++ == '\n')
                    s.cs = s.chunk_left == 0 ? chunk_state::done : chunk_state::data;
                break;
            case chunk_state::data: {
                auto take = std::min<std::size_t>(s.chunk_left, static_cast<std::size_t>(end - p));
                sse_bytes(s, p, take, now);
                p += take;
                s.chunk_left -= static_cast<std::uint32_t>(take);
                if (s.chunk_left == 0)
                    s.cs = chunk_state::cr;
                break;
            }
            case chunk_state::cr:
                s.cs = *p++ == '\r' ? chunk_state::lf : chunk_state::size; // tolerate a bare LF
                break;
            case chunk_state::lf:
                ++p;
                s.cs = chunk_state::size;
                break;
            case chunk_state::done:
                close_stream(s);
                return;
            }
        }
        if (s.cs == chunk_state::done)
            close_stream(s);
    }

    void sse_bytes(subscriber& s, const char* p, std::size_t n, std::int64_t now)
    {
        for (const char* end = p + n; p < end;) {
            const char* nl =
                static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            const char* stop = nl ? nl : end;
            auto room = sizeof s.line - s.line_len;
            auto take = std::min<std::size_t>(room, static_cast<std::size_t>(stop - p));
            std::memcpy(s.line + s.line_len, p, take);
            s.line_len = static_cast<std::uint16_t>(s.line_len + take);
            if (!nl)
                return;
            sse_line(s, std::string_view{s.line, s.line_len}, now);
            s.line_len = 0;
            p = nl + 1;
        }
    }

    static std::uint64_t digits_after(std::string_view line, std::size_t at)
    {
        while (at < line.size() && line[at] == ' ')
            ++at;
        std::uint64_t v = 0;
        std::from_chars(line.data() + at, line.data() + line.size(), v);
        return v;
    }

    void sse_line(subscriber& s, std::string_view line, std::int64_t now)
    {
        if (line.empty()) {
            if (s.sent_ns >= 0)
                on_event(s, now);
            s.sent_ns = -1;
            return;
        }
        if (line.starts_with("id:"))
            s.id = digits_after(line, 3);
        else if (line.starts_with("data:")) {
            auto t = line.find("t=");
            s.sent_ns =
                t == std::string_view::npos ? 0 : static_cast<std::int64_t>(digits_after(line, t + 2));
        }
    }

    void on_event(subscriber& s, std::int64_t now)
    {
        if (s.last_id != 0 && s.id > s.last_id + 1)
            s.gaps += s.id - s.last_id - 1;
        s.last_id = s.id;
        ++s.events;
        ++t.events;
        if (t.recording && now < t.window_end) {
            ++t.window_events;
            const auto latency = now - s.sent_ns;
            if (latency < 0)
                ++t.negative;
            t.latencies.push_back(latency);
        }
    }

    const options& opt_;
    int ep_ = -1;
    sockaddr_in server_{};
    std::vector<char> buf_;
};

void raise_nofile(std::size_t need)
{
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max < need)
        fail("the open-file hard limit is too low for this many streams (ulimit -Hn: %s)",
             std::to_string(rl.rlim_max).c_str());
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

double percentile_ms(std::vector<std::int64_t>& v, double p)
{
    if (v.empty())
        return NAN;
    auto k = static_cast<std::size_t>(
        std::min<double>(static_cast<double>(v.size()) - 1, std::floor(p * static_cast<double>(v.size()))));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]) / 1e6;
}

// Bytes the server has written to each of `subs` that sit in the kernel:
// its send queue (/proc/net/tcp, tx_queue of the server's end) plus the
// client's receive queue (FIONREAD).
std::vector<std::uint64_t> kernel_bytes(const std::vector<subscriber>& subs, const sockaddr_in& server)
{
    std::vector<std::uint64_t> out(subs.size(), 0);
    std::unordered_map<std::uint64_t, std::size_t> by_peer; // (address, port) -> index
    for (std::size_t i = 0; i < subs.size(); ++i) {
        sockaddr_in local{};
        socklen_t len = sizeof local;
        getsockname(subs[i].fd, reinterpret_cast<sockaddr*>(&local), &len);
        by_peer[(std::uint64_t{local.sin_addr.s_addr} << 16) | ntohs(local.sin_port)] = i;
        int queued = 0;
        if (ioctl(subs[i].fd, FIONREAD, &queued) == 0)
            out[i] += static_cast<std::uint64_t>(queued);
    }
    std::ifstream in{"/proc/net/tcp"};
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        // "  sl  local_address rem_address   st tx_queue:rx_queue ..."
        unsigned long la = 0, lp = 0, ra = 0, rp = 0, st = 0, tx = 0, rx = 0;
        auto colon = line.find(':');
        if (colon == std::string::npos ||
            std::sscanf(line.c_str() + colon + 1, " %lx:%lx %lx:%lx %lx %lx:%lx", &la, &lp, &ra, &rp, &st,
                        &tx, &rx) != 7)
            continue;
        if (la != server.sin_addr.s_addr || lp != ntohs(server.sin_port))
            continue;
        auto it = by_peer.find((std::uint64_t{static_cast<std::uint32_t>(ra)} << 16) | rp);
        if (it != by_peer.end())
            out[it->second] += tx;
    }
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    const options opt = parse(argc, argv);
    raise_nofile(opt.subscribers + opt.behind + 64);
    if (kill(static_cast<pid_t>(opt.pid), 0) != 0)
        fail("no process %s", std::to_string(opt.pid).c_str());
    std::printf("== %s: %zu subscribers, %.0f events/s, %.0f s warm-up, %.0f s measured\n", opt.name.c_str(),
                opt.subscribers, opt.rate, opt.warmup, opt.duration);
    std::fflush(stdout);
    load l{opt};

    // 1. Memory per idle subscriber.
    const auto mem0 = read_memory(opt.pid);
    auto t0 = mono_ns();
    l.open(opt.subscribers, 0);
    const double connect_s = static_cast<double>(mono_ns() - t0) / 1e9;
    l.pump_until(mono_ns() + opt.settle_ms * 1'000'000);
    const auto mem1 = read_memory(opt.pid);
    const auto n = static_cast<double>(opt.subscribers);
    const double rss_per = static_cast<double>(mem1.rss_kib - mem0.rss_kib) / n;
    const double pss_per = static_cast<double>(mem1.pss_kib - mem0.pss_kib) / n;
    std::printf("   %zu streams open in %.1f s; server RSS %ld -> %ld KiB (%.2f KiB each), Pss %ld -> %ld "
                "KiB (%.2f each)\n",
                opt.subscribers, connect_s, mem0.rss_kib, mem1.rss_kib, rss_per, mem0.pss_kib, mem1.pss_kib,
                pss_per);
    std::fflush(stdout);

    // 2. Deliveries, latency and CPU.
    char rate_text[64];
    std::snprintf(rate_text, sizeof rate_text, "%g", opt.rate);
    l.control(std::string("/start?rate=") + rate_text);
    l.pump_until(mono_ns() + static_cast<std::int64_t>(opt.warmup * 1e9));
    l.t.latencies.reserve(static_cast<std::size_t>(opt.rate * n * opt.duration * 1.1));
    rusage self0{};
    getrusage(RUSAGE_SELF, &self0);
    const auto cpu0 = read_cpu(opt.pid);
    const auto w0 = mono_ns();
    l.t.window_end = w0 + static_cast<std::int64_t>(opt.duration * 1e9);
    l.t.recording = true;
    l.pump_until(l.t.window_end);
    const auto w1 = mono_ns();
    const auto cpu1 = read_cpu(opt.pid);
    rusage self1{};
    getrusage(RUSAGE_SELF, &self1);
    l.t.recording = false;
    const double window_s = static_cast<double>(w1 - w0) / 1e9;
    const auto deliveries = static_cast<double>(l.t.window_events);
    const double user_s = cpu1.user - cpu0.user, sys_s = cpu1.system - cpu0.system, cpu_s = user_s + sys_s;
    auto tv = [](const timeval& a) {
        return static_cast<double>(a.tv_sec) + static_cast<double>(a.tv_usec) / 1e6;
    };
    const double client_cpu =
        tv(self1.ru_utime) + tv(self1.ru_stime) - tv(self0.ru_utime) - tv(self0.ru_stime);
    const double p50 = percentile_ms(l.t.latencies, 0.50), p99 = percentile_ms(l.t.latencies, 0.99),
                 pmax = percentile_ms(l.t.latencies, 1.0);
    std::printf(
        "   %.0f deliveries/s (%.0f expected); server CPU %.1f%% of a core (user %.1f%%, system %.1f%%), "
        "%.2f us "
        "per delivery, %.0f deliveries per core-second; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
        "client CPU %.1f%%\n",
        deliveries / window_s, opt.rate * n, 100 * cpu_s / window_s, 100 * user_s / window_s,
        100 * sys_s / window_s, cpu_s * 1e6 / std::max(1.0, deliveries), deliveries / std::max(cpu_s, 1e-9),
        p50, p99, pmax, 100 * client_cpu / window_s);
    if (l.t.negative > 0)
        std::printf("   warning: %llu events arrived before their publish time: the server's clock is not "
                    "CLOCK_MONOTONIC\n",
                    static_cast<unsigned long long>(l.t.negative));
    std::fflush(stdout);

    // 3. System calls per delivery, in a window of their own.
    double writes_per_event = NAN, syscalls_per_event = NAN;
    std::string counter_kind = "none";
    if (opt.syscall_secs > 0) {
        syscall_counter counter{opt.pid};
        const auto e0 = l.t.events;
        const auto syscw0 = read_syscw(opt.pid);
        if (counter.ok())
            counter.start();
        l.pump_until(mono_ns() + static_cast<std::int64_t>(opt.syscall_secs * 1e9));
        if (counter.ok())
            counter.stop();
        const auto syscw1 = read_syscw(opt.pid);
        const auto events = static_cast<double>(l.t.events - e0);
        if (counter.ok()) {
            counter_kind = "perf";
            writes_per_event = static_cast<double>(counter.writes()) / std::max(1.0, events);
            if (counter.counts_all())
                syscalls_per_event = static_cast<double>(counter.all()) / std::max(1.0, events);
        } else if (syscw0 >= 0) {
            counter_kind = "syscw";
            writes_per_event = static_cast<double>(syscw1 - syscw0) / std::max(1.0, events);
        }
        std::printf(
            "   system calls (%s, %.0f s): %.3f write calls and %.3f system calls per delivered event\n",
            counter_kind.c_str(), opt.syscall_secs, writes_per_event, syscalls_per_event);
    }

    // 4. Every stream got every event.
    const auto last = std::strtoull(l.control("/stop").c_str(), nullptr, 10);
    {
        const auto deadline = mono_ns() + 10'000'000'000LL;
        auto behind = [&] {
            return std::count_if(l.subs.begin(), l.subs.end(), [&](const subscriber& s) {
                return s.ph == phase::body && s.last_id < last;
            });
        };
        while (behind() > 0 && mono_ns() < deadline)
            l.pump(100);
    }
    std::uint64_t gaps = 0, short_streams = 0;
    for (auto& s : l.subs) {
        gaps += s.gaps;
        short_streams += s.last_id < last;
    }
    std::printf(
        "   after /stop (last id %llu): %llu streams short of it, %llu events missing in the middle, %llu "
        "streams ended by the server, %llu read errors\n",
        static_cast<unsigned long long>(last), static_cast<unsigned long long>(short_streams),
        static_cast<unsigned long long>(gaps), static_cast<unsigned long long>(l.t.ended),
        static_cast<unsigned long long>(l.t.errors));
    l.close_all();
    std::fflush(stdout);

    // 5. Behind: pending events after a stall.
    double behind_writes = NAN, behind_pending = NAN, behind_events = NAN, behind_dropped = NAN;
    double behind_kernel = NAN;
    std::uint64_t behind_ended = 0;
    if (opt.behind > 0) {
        // The server notices closed streams only when it next writes, for some servers.
        l.pump_until(mono_ns() + 500'000'000);
        const auto ended0 = l.t.ended;
        l.open(opt.behind, opt.behind_rcvbuf);
        for (auto& s : l.subs)
            l.pause(s, true);
        std::snprintf(rate_text, sizeof rate_text, "%g", opt.behind_rate);
        l.control(std::string("/start?rate=") + rate_text);
        l.pump_until(mono_ns() + static_cast<std::int64_t>(opt.behind_secs * 1e9));
        const auto stop_id = std::strtoull(l.control("/stop").c_str(), nullptr, 10);
        const auto first_id = std::max<std::uint64_t>(last + 1, 1);
        // Let the server write what its sockets still take.
        l.pump_until(mono_ns() + 500'000'000);
        const auto in_kernel = kernel_bytes(l.subs, [&] {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(opt.port);
            inet_pton(AF_INET, opt.host.c_str(), &a.sin_addr);
            return a;
        }());
        std::vector<std::uint64_t> bytes0, events0;
        for (auto& s : l.subs) {
            bytes0.push_back(s.bytes);
            events0.push_back(s.events);
        }
        syscall_counter counter{opt.pid};
        const auto syscw0 = read_syscw(opt.pid);
        if (counter.ok())
            counter.start();
        for (auto& s : l.subs)
            l.pause(s, false);
        auto progress = l.t.events;
        auto last_progress = mono_ns();
        for (;;) {
            bool done = std::all_of(l.subs.begin(), l.subs.end(), [&](const subscriber& s) {
                return s.ph != phase::body || s.last_id >= stop_id;
            });
            if (done || mono_ns() - last_progress > 3'000'000'000LL)
                break;
            l.pump(100);
            if (l.t.events != progress) {
                progress = l.t.events;
                last_progress = mono_ns();
            }
        }
        if (counter.ok())
            counter.stop();
        const auto syscw1 = read_syscw(opt.pid);
        double events = 0, pending = 0, kernel_events = 0, received_total = 0;
        for (std::size_t i = 0; i < l.subs.size(); ++i) {
            auto& s = l.subs[i];
            const double ev = static_cast<double>(s.events - events0[i]);
            const double bytes = static_cast<double>(s.bytes - bytes0[i]);
            events += ev;
            received_total += static_cast<double>(s.events);
            // What was in the kernel went out before the resume; the rest was
            // still in the server. Events of one stream are one size, to a digit.
            const double in_k =
                bytes > 0 ? static_cast<double>(in_kernel[i]) / (bytes / std::max(ev, 1.0)) : 0;
            kernel_events += std::min(in_k, ev);
            pending += std::max(0.0, ev - in_k);
        }
        behind_ended = l.t.ended - ended0;
        behind_events = events;
        behind_kernel = kernel_events;
        behind_pending = pending;
        behind_dropped =
            static_cast<double>(opt.behind) * static_cast<double>(stop_id - first_id + 1) - received_total;
        const double writes =
            counter.ok() ? static_cast<double>(counter.writes()) : static_cast<double>(syscw1 - syscw0);
        behind_writes = writes;
        std::printf(
            "   behind: %zu streams unread for %.0f s at %.0f events/s (ids %llu-%llu); on resume %.0f "
            "events "
            "came, %.0f of them from the kernel's buffers and %.0f still held by the server; the server "
            "made %.0f write calls for them (%.4f per held event); %.0f events never came; %llu streams "
            "ended by the server\n",
            opt.behind, opt.behind_secs, opt.behind_rate, static_cast<unsigned long long>(first_id),
            static_cast<unsigned long long>(stop_id), events, kernel_events, pending, writes,
            pending > 0 ? writes / pending : NAN, behind_dropped,
            static_cast<unsigned long long>(behind_ended));
        l.close_all();
    }

    std::printf(
        "RESULT name=%s subscribers=%zu rate=%g connect_s=%.2f rss_before_kib=%ld rss_after_kib=%ld "
        "pss_before_kib=%ld pss_after_kib=%ld kib_per_sub=%.3f pss_kib_per_sub=%.3f window_s=%.3f "
        "deliveries=%.0f deliveries_per_s=%.1f expected_per_s=%.1f cpu_s=%.3f user_s=%.3f sys_s=%.3f "
        "cpu_pct=%.2f us_per_delivery=%.3f per_core_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
        "client_cpu_pct=%.1f poll_us=%ld negative=%llu gaps=%llu short_streams=%llu counter=%s "
        "writes_per_event=%.4f "
        "syscalls_per_event=%.4f behind=%zu behind_events=%.0f behind_kernel=%.0f behind_pending=%.0f "
        "behind_writes=%.0f behind_writes_per_pending=%.5f behind_dropped=%.0f behind_ended=%llu\n",
        opt.name.c_str(), opt.subscribers, opt.rate, connect_s, mem0.rss_kib, mem1.rss_kib, mem0.pss_kib,
        mem1.pss_kib, rss_per, pss_per, window_s, deliveries, deliveries / window_s, opt.rate * n, cpu_s,
        user_s, sys_s, 100 * cpu_s / window_s, cpu_s * 1e6 / std::max(1.0, deliveries),
        deliveries / std::max(cpu_s, 1e-9), p50, p99, pmax, 100 * client_cpu / window_s, opt.poll_us,
        static_cast<unsigned long long>(l.t.negative), static_cast<unsigned long long>(gaps),
        static_cast<unsigned long long>(short_streams), counter_kind.c_str(), writes_per_event,
        syscalls_per_event, opt.behind, behind_events, behind_kernel, behind_pending, behind_writes,
        behind_pending > 0 ? behind_writes / behind_pending : NAN, behind_dropped,
        static_cast<unsigned long long>(behind_ended));
}
