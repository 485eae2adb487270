// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// What the hand-written WebSocket load clients share (load/ws_load.cpp for
// the echo benchmark, load/gateway_load.cpp for the gateway one): the
// server's CPU and memory from /proc, the opening handshake with a fixed key,
// masked client frames, and a parser for the server's frames. No WebSocket
// library, so the clients favour none of the servers they drive.

#ifndef STRATA_BENCHMARKS_LOAD_WS_CLIENT_HPP
#define STRATA_BENCHMARKS_LOAD_WS_CLIENT_HPP

#include <utility> // Boost 1.74's Asio headers miss it under GCC 12

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace strata_bench {

// ---- the server process, from /proc -------------------------------------------

// utime + stime in seconds: fields 14 and 15 of /proc/PID/stat, counted after
// the ')' that ends the command name (which may hold spaces).
inline std::optional<double> process_cpu_seconds(long pid)
{
    std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
    std::string text{std::istreambuf_iterator<char>{in}, {}};
    const auto close = text.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields{text.substr(close + 2)};
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14)
            utime = std::strtoull(field.c_str(), nullptr, 10);
        else if (i == 15)
            stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline std::optional<long> rss_kib(long pid)
{
    std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("VmRSS:"))
            return std::atol(line.c_str() + 6);
    return std::nullopt;
}

inline double own_cpu_seconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// Each connection is a descriptor: raises the soft limit to the hard one and
// says so (false) when that is still below `connections` plus a margin.
inline bool raise_open_file_limit(std::size_t connections, const char* program)
{
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < connections + 16) {
        std::fprintf(stderr, "%s: the open-file limit (%llu) is below %zu connections; raise ulimit -Hn\n",
                     program, static_cast<unsigned long long>(rl.rlim_cur), connections);
        return false;
    }
    return true;
}

// Whether the server kept a connection open, without reading from it: a
// non-blocking peek; EAGAIN means open and quiet, 0 means the server closed it.
inline bool peer_still_open(int fd)
{
    char c;
    const auto r = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return r > 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

// ---- the opening handshake ------------------------------------------------------

// RFC 6455 §1.3's example: this key's accept value is printed in the RFC, so
// the 101 is checked without SHA-1.
constexpr std::string_view handshake_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view handshake_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

inline std::string handshake_request(std::string_view host, unsigned short port, std::string_view target)
{
    std::string r;
    r.reserve(160 + target.size());
    r.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append(":");
    r.append(std::to_string(port));
    r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    r.append(handshake_key).append("\r\nSec-WebSocket-Version: 13\r\n\r\n");
    return r;
}

inline bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// The opening handshake's answer (up to and including the CRLF of its last
// field line): a 101 with our key's Sec-WebSocket-Accept. An empty result
// means it is good.
inline std::string check_handshake(std::string_view head)
{
    if (!head.starts_with("HTTP/1.1 101"))
        return "no 101: " + std::string(head.substr(0, head.find('\r')));
    for (std::size_t pos = head.find("\r\n"); pos != std::string_view::npos && pos + 2 < head.size();) {
        const auto start = pos + 2;
        const auto end = head.find("\r\n", start);
        const auto line = head.substr(start, end - start);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos && iequals(line.substr(0, colon), "sec-websocket-accept")) {
            auto value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                value.remove_suffix(1);
            return value == handshake_accept ? std::string{}
                                             : "wrong Sec-WebSocket-Accept: " + std::string(value);
        }
        pos = end;
    }
    return "101 without Sec-WebSocket-Accept";
}

// ---- frames ----------------------------------------------------------------------

namespace opcode {
constexpr std::uint8_t continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xa;
} // namespace opcode

// RFC 6455 §5.7's example masking key. §5.3 asks clients for an
// unpredictable key per frame to protect intermediaries from forged
// requests, which means nothing on loopback, and every server unmasks at the
// same cost whatever the key.
constexpr std::array<std::uint8_t, 4> masking_key = {0x37, 0xfa, 0x21, 0x3d};

// Appends one masked frame, FIN set, to `out`.
inline void append_frame(std::vector<std::uint8_t>& out, std::uint8_t op, const void* payload,
                         std::size_t size)
{
    const auto header = size < 126 ? 6 : size <= 0xffff ? 8 : 14;
    const auto at = out.size();
    out.resize(at + header + size);
    auto* f = out.data() + at;
    *f++ = static_cast<std::uint8_t>(0x80 | op);
    if (size < 126) {
        *f++ = static_cast<std::uint8_t>(0x80 | size);
    } else if (size <= 0xffff) {
        *f++ = 0x80 | 126;
        *f++ = static_cast<std::uint8_t>(size >> 8);
        *f++ = static_cast<std::uint8_t>(size);
    } else {
        *f++ = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            *f++ = static_cast<std::uint8_t>(static_cast<std::uint64_t>(size) >> shift);
    }
    f = std::copy(masking_key.begin(), masking_key.end(), f);
    const auto* p = static_cast<const std::uint8_t*>(payload);
    for (std::size_t i = 0; i < size; ++i)
        f[i] = p[i] ^ masking_key[i % 4];
}

// The server's frames, unmasked (RFC 6455 §5.1), fed as they arrive. Data
// messages must have the one opcode the client expects (the echo keeps the
// type; the gateway speaks text), possibly fragmented; pings and pongs may
// come between fragments (§5.4); a close frame ends the run. The handler
// is called with
//   bool on_data(const std::uint8_t*, std::size_t)  payload bytes of the message
//   bool on_message_end()                           its last frame ended
//   bool on_ping(const std::uint8_t*, std::size_t)  a whole ping's payload
//   void on_error(std::string)                      the server broke the protocol
// and any of them returning false stops feed(), which then returns false.
class frame_reader {
public:
    explicit frame_reader(std::uint8_t data_opcode) : data_opcode_(data_opcode) {}

    template <class Handler>
    bool feed(const std::uint8_t* p, std::size_t n, Handler& h)
    {
        for (;;) {
            if (!in_frame_) {
                while (header_have_ < header_size() && n > 0) {
                    header_[header_have_++] = *p++;
                    --n;
                }
                if (header_have_ < header_size())
                    return true;
                if (!start_frame(h))
                    return false;
            }
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, n));
            if (opcode_ >= opcode::close) {
                std::memcpy(control_.data() + control_have_, p, take);
                control_have_ += take;
            } else if (take > 0 && !h.on_data(p, take)) {
                return false;
            }
            payload_left_ -= take;
            p += take;
            n -= take;
            if (payload_left_ > 0)
                return true;
            in_frame_ = false;
            if (opcode_ == opcode::close) {
                h.on_error(close_text());
                return false;
            }
            if (opcode_ == opcode::ping) {
                if (!h.on_ping(control_.data(), control_have_))
                    return false;
                continue;
            }
            if (opcode_ == opcode::pong || !fin_)
                continue;
            in_message_ = false;
            if (!h.on_message_end())
                return false;
        }
    }

private:
    std::size_t header_size() const
    {
        const auto len7 = header_have_ < 2 ? 0 : header_[1] & 0x7f;
        return len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    }

    template <class Handler>
    static bool error(Handler& h, std::string why)
    {
        h.on_error(std::move(why));
        return false;
    }

    template <class Handler>
    bool start_frame(Handler& h)
    {
        if (header_[1] & 0x80)
            return error(h, "masked frame from the server");
        if (header_[0] & 0x70)
            return error(h, "reserved bits set (no extension was negotiated)");
        std::uint64_t len = header_[1] & 0x7f;
        if (len >= 126) {
            len = 0;
            for (std::size_t i = 2; i < header_have_; ++i)
                len = (len << 8) | header_[i];
        }
        opcode_ = header_[0] & 0x0f;
        fin_ = (header_[0] & 0x80) != 0;
        header_have_ = 0;
        if (opcode_ >= opcode::close) {
            if (!fin_ || len > 125 ||
                (opcode_ != opcode::close && opcode_ != opcode::ping && opcode_ != opcode::pong))
                return error(h, "bad control frame (opcode " + std::to_string(opcode_) + ")");
            control_have_ = 0;
        } else if (opcode_ == data_opcode_) {
            if (in_message_)
                return error(h, "a new message before the last one ended");
            in_message_ = true;
        } else if (opcode_ != opcode::continuation || !in_message_) {
            return error(h, "unexpected opcode " + std::to_string(opcode_));
        }
        payload_left_ = len;
        in_frame_ = true;
        return true;
    }

    std::string close_text() const
    {
        if (control_have_ < 2)
            return "close frame from the server (no code)";
        const auto code = (control_[0] << 8) | control_[1];
        return "close frame from the server: " + std::to_string(code) + " " +
               std::string(reinterpret_cast<const char*>(control_.data()) + 2, control_have_ - 2);
    }

    std::uint8_t data_opcode_;
    // The header being gathered, then the payload left of the frame.
    std::array<std::uint8_t, 10> header_{};
    std::size_t header_have_ = 0;
    bool in_frame_ = false;
    std::uint8_t opcode_ = 0;
    bool fin_ = false;
    std::uint64_t payload_left_ = 0;
    bool in_message_ = false;
    // A control frame's payload (at most 125 bytes, §5.5), which may span reads.
    std::array<std::uint8_t, 125> control_{};
    std::size_t control_have_ = 0;
};

// The q-quantile of `v` (reordered), 0 when empty.
template <class T>
double quantile(std::vector<T>& v, double q)
{
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]);
}

} // namespace strata_bench

#endif // STRATA_BENCHMARKS_LOAD_WS_CLIENT_HPP
