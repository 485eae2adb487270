// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http1/connection.hpp>
#include <strata/http1/parser.hpp>
#include <strata/http1/serializer.hpp>

#include <algorithm>
#include <cstring>

namespace strata::http1 {
namespace {

constexpr char lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// Calls f(element) for each comma-separated list element, OWS trimmed, empty
/// elements skipped (RFC 9110 §5.6.1). Stops early when f returns false.
template <class F>
bool for_each_element(std::string_view v, F&& f)
{
    while (true) {
        const std::size_t comma = v.find(',');
        const std::string_view e = trim(v.substr(0, comma));
        if (!e.empty() && !f(e))
            return false;
        if (comma == std::string_view::npos)
            return true;
        v.remove_prefix(comma + 1);
    }
}

/// Content-Length = 1*DIGIT; "5, 5" (a list of identical values, as some
/// proxies merge duplicates) is accepted as one (RFC 9110 §8.6).
error parse_content_length(std::string_view v, std::int64_t& out) noexcept
{
    std::int64_t found = -1;
    bool empty_element = false;
    error err{};
    for_each_element(v, [&](std::string_view e) {
        std::int64_t n = 0;
        for (char c : e) {
            if (c < '0' || c > '9' || n > (INT64_MAX - 9) / 10) {
                err = error::bad_content_length;
                return false;
            }
            n = n * 10 + (c - '0');
        }
        if (found >= 0 && found != n) {
            err = error::conflicting_content_length;
            return false;
        }
        found = n;
        return true;
    });
    empty_element = found < 0;
    if (err != error{})
        return err;
    if (empty_element)
        return error::bad_content_length;
    out = found;
    return {};
}

struct te_info {
    bool chunked_last = false;
    bool chunked_twice_or_early = false;
    bool unknown = false;
    bool empty = true;
};

te_info parse_transfer_encoding(std::string_view v, te_info t) noexcept
{
    for_each_element(v, [&](std::string_view e) {
        const std::string_view coding = trim(e.substr(0, e.find(';'))); // transfer-parameters ignored
        t.empty = false;
        if (iequals(coding, "chunked")) {
            if (t.chunked_last)
                t.chunked_twice_or_early = true; // RFC 9112 §6.1: chunked at most once
            t.chunked_last = true;
            return true;
        }
        if (t.chunked_last)
            t.chunked_twice_or_early = true; // chunked must be the final coding
        t.chunked_last = false;
        if (!(iequals(coding, "gzip") || iequals(coding, "x-gzip") || iequals(coding, "deflate") ||
              iequals(coding, "compress") || iequals(coding, "x-compress")))
            t.unknown = true;
        return true;
    });
    return t;
}

struct connection_tokens {
    bool close = false;
    bool keep_alive = false;
    bool upgrade = false;
};

void parse_connection(std::string_view v, connection_tokens& t) noexcept
{
    for_each_element(v, [&](std::string_view e) {
        if (iequals(e, "close"))
            t.close = true;
        else if (iequals(e, "keep-alive"))
            t.keep_alive = true;
        else if (iequals(e, "upgrade"))
            t.upgrade = true;
        return true;
    });
}

constexpr bool is_alpha(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

/// Which request-target forms the method allows (RFC 9112 §3.2).
error classify_target(std::string_view method, std::string_view target, std::string_view& scheme,
                      std::string_view& authority) noexcept
{
    const bool connect = method == "CONNECT";
    if (target.front() == '/')
        return connect ? error::bad_target : error{};
    if (target == "*")
        return method == "OPTIONS" ? error{} : error::bad_target;
    if (connect) {
        // authority-form: host ":" port, nothing else.
        const std::size_t colon = target.rfind(':');
        if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size() ||
            target.find_first_of("/?#@") != std::string_view::npos)
            return error::bad_target;
        for (std::size_t i = colon + 1; i < target.size(); ++i)
            if (!is_digit(target[i]))
                return error::bad_target;
        authority = target;
        return {};
    }
    // absolute-form: scheme ":" hier-part (RFC 3986 §3).
    std::size_t i = 0;
    if (!is_alpha(target[0]))
        return error::bad_target;
    while (i < target.size() && (is_alpha(target[i]) || is_digit(target[i]) || target[i] == '+' ||
                                 target[i] == '-' || target[i] == '.'))
        ++i;
    if (i == target.size() || target[i] != ':')
        return error::bad_target;
    scheme = target.substr(0, i);
    std::string_view rest = target.substr(i + 1);
    if (rest.substr(0, 2) == "//") {
        rest.remove_prefix(2);
        authority = rest.substr(0, rest.find_first_of("/?#"));
        if (authority.empty())
            return error::bad_target;
    }
    return {};
}

bool method_expects_content(std::string_view m) noexcept
{
    return m == "POST" || m == "PUT" || m == "PATCH";
}

} // namespace

struct connection::impl {
    // Reading side: where the parser is in the message it reads.
    enum class rx : unsigned char {
        head,       ///< waiting for a start line + fields
        length,     ///< Content-Length body, rx_remaining left
        chunk_size, ///< waiting for a chunk-size line
        chunk_data, ///< in a chunk, rx_remaining left
        chunk_crlf, ///< the CRLF after chunk data
        trailers,   ///< trailer section after the last chunk
        until_eof,  ///< close-delimited response body
        done,       ///< message read; server waits for its response to finish
        upgrade,    ///< the upgrade event is next
        upgraded,   ///< handed over: the codec is done
        closed,
    };
    // Writing side, for the message being sent.
    enum class tx : unsigned char { none, body, done };
    enum class framing : unsigned char { none, length, chunked, until_close };

    struct segment {
        const std::byte* ref; ///< body bytes the caller owns, or null: owned storage at `off`
        std::size_t off;
        std::size_t len;
    };
    struct outstanding { // client role: a request whose response has not been read
        http::stream_id stream;
        bool head;
        bool connect;
        bool upgrade;
    };

    role role_;
    config cfg_;

    // ---- input buffer: [begin_, end_) unread, capacity cap_ -------------
    std::unique_ptr<char[]> buf_;
    std::size_t cap_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t scan_from_ = 0; ///< find_head_end resume point, relative to begin_

    rx rx_ = rx::head;
    std::uint64_t rx_remaining_ = 0;
    std::uint64_t rx_body_ = 0; ///< body bytes of the current message so far
    std::uint64_t body_limit_;
    std::int64_t rx_content_length_ = -1;
    bool rx_eof_ = false;
    http::stream_id rx_stream_ = 0;
    std::vector<http::field_view> fields_;

    // ---- writing side ---------------------------------------------------
    tx tx_ = tx::none;
    framing tx_framing_ = framing::none;
    std::uint64_t tx_remaining_ = 0;
    http::stream_id tx_stream_ = 0;
    std::vector<char> out_pending_; ///< heads and framing not yet handed out
    std::vector<char> out_sent_;    ///< backs the list the last poll_output returned
    std::vector<segment> segs_;
    std::vector<net::const_buffer> out_list_; ///< the list the last poll_output returned

    // ---- exchange -------------------------------------------------------
    http::stream_id next_stream_ = 1;
    bool have_request_ = false; ///< server: a request head was delivered and not yet answered in full
    bool req_head_ = false;
    bool req_connect_ = false;
    bool req_upgrade_ = false;
    bool req_expect_ = false;
    bool continue_sent_ = false;
    bool upgrade_after_ = false; ///< server: the response switched protocols
    std::vector<outstanding> outstanding_;

    bool keep_alive_ = true;
    bool closed_ = false;
    bool failed_ = false;
    error_code ec_;
    unsigned error_status_ = 0;
    http::version peer_version_ = http::version::http1_1;

    impl(role r, const config& c) : role_(r), cfg_(c), body_limit_(c.max_body_bytes) {}

    std::size_t buffer_limit() const noexcept { return cfg_.max_header_bytes + cfg_.read_buffer_bytes; }
    const char* data() const noexcept { return buf_.get() + begin_; }
    std::size_t unread() const noexcept { return end_ - begin_; }

    // ---- input ------------------------------------------------------------

    std::span<std::byte> prepare(std::size_t min_bytes)
    {
        if (begin_ == end_)
            begin_ = end_ = 0;
        const std::size_t have = unread();
        const std::size_t room = buffer_limit() > have ? buffer_limit() - have : 0;
        const std::size_t want = std::min(min_bytes != 0 ? min_bytes : cfg_.read_buffer_bytes, room);
        if (want == 0)
            return {};
        if (cap_ - end_ < want) {
            if (begin_ != 0) {
                std::memmove(buf_.get(), buf_.get() + begin_, have);
                begin_ = 0;
                end_ = have;
            }
            if (cap_ - end_ < want) {
                std::size_t cap =
                    std::max({end_ + want, std::min(cap_ * 2, buffer_limit()), std::size_t{512}});
                auto fresh = std::make_unique_for_overwrite<char[]>(cap);
                if (end_ != 0)
                    std::memcpy(fresh.get(), buf_.get(), end_);
                buf_ = std::move(fresh);
                cap_ = cap;
            }
        }
        return {reinterpret_cast<std::byte*>(buf_.get() + end_), std::min(cap_ - end_, room)};
    }

    void commit(std::size_t n) noexcept { end_ += std::min(n, cap_ - end_); }

    std::size_t handle_bytes(std::span<const std::byte> in)
    {
        if (failed_ || closed_)
            return in.size(); // nobody will read them
        if (rx_ == rx::upgraded)
            return 0; // they belong to the next protocol's owner
        std::size_t taken = 0;
        while (taken < in.size()) {
            const auto region = prepare(in.size() - taken);
            if (region.empty())
                break;
            const std::size_t n = std::min(region.size(), in.size() - taken);
            std::memcpy(region.data(), in.data() + taken, n);
            commit(n);
            taken += n;
        }
        return taken;
    }

    void commit_eof()
    {
        if (rx_eof_ || failed_ || closed_)
            return;
        rx_eof_ = true;
        switch (rx_) {
        case rx::head:
            // Server: the peer stopped inside a request head. Client: the
            // server closed before answering. Either way a message is cut.
            if (unread() != 0 || (role_ == role::client && !outstanding_.empty()))
                fail(http1::error::partial_message);
            else
                close();
            return;
        case rx::until_eof:
            return; // poll_event ends the body
        case rx::done:
        case rx::upgrade:
        case rx::upgraded:
        case rx::closed:
            return; // the exchange finishes; close after it (see finish_exchange)
        default:
            fail(http1::error::partial_message);
            return;
        }
    }

    // ---- failure and exchange bookkeeping ---------------------------------

    void fail(http1::error e)
    {
        failed_ = true;
        ec_ = e;
        keep_alive_ = false;
        rx_ = rx::closed;
        if (role_ == role::server) {
            error_status_ = status_for(e);
            if (tx_ == tx::none) {
                // No response started for this request: answer it ourselves.
                const std::size_t off = out_pending_.size();
                serializer::status_line(out_pending_, error_status_, {});
                serializer::append(out_pending_, "Connection: close\r\nContent-Length: 0\r\n\r\n");
                add_owned(off);
                tx_ = tx::done;
            }
        }
    }

    void close() noexcept
    {
        closed_ = true;
        keep_alive_ = false;
        rx_ = rx::closed;
    }

    /// Server: both the request and its response are complete.
    void finish_exchange()
    {
        have_request_ = false;
        if (upgrade_after_) {
            rx_ = rx::upgrade;
            return;
        }
        if (!keep_alive_ || rx_eof_) {
            close();
            return;
        }
        rx_ = rx::head;
        tx_ = tx::none;
        scan_from_ = 0;
    }

    /// The message being read is complete.
    void message_read()
    {
        if (role_ == role::server) {
            rx_ = rx::done;
            if (tx_ == tx::done)
                finish_exchange();
            return;
        }
        outstanding_.erase(outstanding_.begin());
        if (tx_ == tx::body)
            keep_alive_ = false; // answered before the request was sent in full
        if (!keep_alive_ || rx_eof_) {
            close();
            return;
        }
        rx_ = rx::head;
        scan_from_ = 0;
    }

    /// The message being written is complete.
    void message_written()
    {
        tx_ = tx::done;
        if (role_ != role::server)
            return;
        if (rx_ == rx::done) {
            finish_exchange();
        } else if (req_expect_ && !continue_sent_) {
            // RFC 9110 §10.1.1: answered without asking for the body, which
            // the client may never send; close instead of waiting for it.
            close();
        }
    }

    // ---- output storage ---------------------------------------------------

    /// Owned bytes from `off` to the end of out_pending_ become the next
    /// segment (merged with the previous one when that is owned and adjacent).
    void add_owned(std::size_t off)
    {
        const std::size_t len = out_pending_.size() - off;
        if (len == 0)
            return;
        if (!segs_.empty() && segs_.back().ref == nullptr && segs_.back().off + segs_.back().len == off) {
            segs_.back().len += len;
            return;
        }
        segs_.push_back({nullptr, off, len});
    }

    void add_ref(std::span<const std::byte> bytes)
    {
        if (!bytes.empty())
            segs_.push_back({bytes.data(), 0, bytes.size()});
    }

    std::span<const net::const_buffer> poll_output()
    {
        out_sent_.clear();
        std::swap(out_sent_, out_pending_);
        // One list reused for the connection's life: writing a response
        // allocates nothing once the connection is warm.
        out_list_.clear();
        for (const segment& s : segs_)
            out_list_.emplace_back(s.ref != nullptr ? static_cast<const void*>(s.ref)
                                                    : static_cast<const void*>(out_sent_.data() + s.off),
                                   s.len);
        segs_.clear();
        return out_list_;
    }

    // ---- events -----------------------------------------------------------

    std::optional<http::event> fail_event(http1::error e)
    {
        fail(e);
        return std::nullopt;
    }

    std::optional<http::event> poll_event()
    {
        for (;;) {
            if (failed_ || closed_)
                return std::nullopt;
            switch (rx_) {
            case rx::head:
                return parse_head();
            case rx::length: {
                if (rx_body_ == 0 && rx_remaining_ > body_limit_)
                    return fail_event(http1::error::body_too_large);
                const std::size_t n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(rx_remaining_, unread()));
                if (n == 0)
                    return std::nullopt;
                http::data d{rx_stream_, {reinterpret_cast<const std::byte*>(data()), n}, false};
                begin_ += n;
                rx_body_ += n;
                rx_remaining_ -= n;
                if (rx_remaining_ == 0) {
                    d.end_stream = true;
                    message_read();
                }
                return d;
            }
            case rx::chunk_size: {
                http1::error err{};
                std::uint64_t size = 0;
                const std::size_t used =
                    parser::parse_chunk_line(data(), unread(), size, cfg_.max_chunk_ext_bytes, err);
                if (err != http1::error{})
                    return fail_event(err);
                if (used == 0)
                    return std::nullopt;
                begin_ += used;
                if (size == 0) {
                    rx_ = rx::trailers;
                    scan_from_ = 0;
                    continue;
                }
                if (size > body_limit_ || rx_body_ > body_limit_ - size)
                    return fail_event(http1::error::body_too_large);
                rx_remaining_ = size;
                rx_ = rx::chunk_data;
                continue;
            }
            case rx::chunk_data: {
                const std::size_t n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(rx_remaining_, unread()));
                if (n == 0)
                    return std::nullopt;
                http::data d{rx_stream_, {reinterpret_cast<const std::byte*>(data()), n}, false};
                begin_ += n;
                rx_body_ += n;
                rx_remaining_ -= n;
                if (rx_remaining_ == 0)
                    rx_ = rx::chunk_crlf;
                return d;
            }
            case rx::chunk_crlf: {
                const std::size_t have = unread();
                const char* p = data();
                if (have >= 1 && p[0] != '\r')
                    return fail_event(http1::error::bad_chunk_end);
                if (have < 2)
                    return std::nullopt;
                if (p[1] != '\n')
                    return fail_event(http1::error::bad_chunk_end);
                begin_ += 2;
                rx_ = rx::chunk_size;
                continue;
            }
            case rx::trailers: {
                http1::error err{};
                const std::size_t len = parser::find_head_end(data(), unread(), scan_from_, err);
                if (err != http1::error{})
                    return fail_event(err);
                if (len == 0) {
                    if (unread() > cfg_.max_header_bytes)
                        return fail_event(http1::error::header_too_large);
                    return std::nullopt;
                }
                if (len > cfg_.max_header_bytes)
                    return fail_event(http1::error::header_too_large);
                fields_.clear();
                if (parser::parse_fields(data(), len, fields_, cfg_.max_field_count, err) == 0)
                    return fail_event(err);
                begin_ += len;
                const http::stream_id s = rx_stream_;
                message_read();
                if (fields_.empty())
                    return http::data{s, {}, true};
                return http::trailers{s, fields_};
            }
            case rx::until_eof: {
                const std::size_t n = unread();
                if (n != 0) {
                    if (rx_body_ + n > body_limit_)
                        return fail_event(http1::error::body_too_large);
                    http::data d{rx_stream_, {reinterpret_cast<const std::byte*>(data()), n}, false};
                    begin_ += n;
                    rx_body_ += n;
                    return d;
                }
                if (!rx_eof_)
                    return std::nullopt;
                const http::stream_id s = rx_stream_;
                message_read();
                return http::data{s, {}, true};
            }
            case rx::upgrade: {
                http::upgrade u{rx_stream_, {reinterpret_cast<const std::byte*>(data()), unread()}};
                begin_ = end_;
                rx_ = rx::upgraded;
                return u;
            }
            case rx::done:
            case rx::upgraded:
            case rx::closed:
                return std::nullopt;
            }
        }
    }

    /// The http1::error for a head that outgrew max_header_bytes: 414 when it is the
    /// request-target that is too long, 431 otherwise.
    http1::error head_too_large(const char* p, std::size_t n) const noexcept
    {
        if (role_ == role::server) {
            const std::string_view v{p, n};
            const std::size_t sp = v.find(' ');
            if (sp != std::string_view::npos) {
                const std::size_t end = v.find_first_of(" \r\n", sp + 1);
                const std::size_t len = (end == std::string_view::npos ? n : end) - sp - 1;
                if (len > cfg_.max_target_bytes)
                    return http1::error::target_too_long;
            }
        }
        return http1::error::header_too_large;
    }

    std::optional<http::event> parse_head()
    {
        // RFC 9112 §2.2: empty lines (CRLF) before the start line are ignored.
        while (unread() >= 2 && data()[0] == '\r' && data()[1] == '\n') {
            begin_ += 2;
            scan_from_ = scan_from_ > 2 ? scan_from_ - 2 : 0;
        }
        if (role_ == role::client && outstanding_.empty()) {
            if (unread() > 1 || (unread() == 1 && data()[0] != '\r'))
                return fail_event(http1::error::unsolicited_response);
            return std::nullopt;
        }
        const std::size_t have = unread();
        if (have == 0 || (have == 1 && data()[0] == '\r'))
            return std::nullopt;
        const char* p = data();
        http1::error err{};
        const std::size_t len = parser::find_head_end(p, have, scan_from_, err);
        if (err != http1::error{})
            return fail_event(err);
        if (len == 0) {
            if (have > cfg_.max_header_bytes)
                return fail_event(head_too_large(p, have));
            return std::nullopt;
        }
        if (len > cfg_.max_header_bytes)
            return fail_event(head_too_large(p, len));
        fields_.clear();
        scan_from_ = 0;
        return role_ == role::server ? parse_request(p, len) : parse_response(p, len);
    }

    /// Framing and connection fields shared by requests and responses.
    struct head_fields {
        std::int64_t content_length = -1;
        bool has_te = false;
        te_info te;
        connection_tokens conn;
        bool has_upgrade = false;
        bool expect_continue = false;
        std::size_t host_count = 0;
        std::string_view host;
    };

    http1::error scan_fields(head_fields& h) const noexcept
    {
        for (const http::field_view& f : fields_) {
            const std::string_view n = f.name;
            switch (n.size()) {
            case 4:
                if (iequals(n, "host")) {
                    ++h.host_count;
                    h.host = f.value;
                }
                break;
            case 6:
                if (iequals(n, "expect") && iequals(f.value, "100-continue"))
                    h.expect_continue = true;
                break;
            case 7:
                if (iequals(n, "upgrade"))
                    h.has_upgrade = true;
                break;
            case 10:
                if (iequals(n, "connection"))
                    parse_connection(f.value, h.conn);
                break;
            case 14:
                if (iequals(n, "content-length")) {
                    std::int64_t v = -1;
                    if (const http1::error e = parse_content_length(f.value, v); e != http1::error{})
                        return e;
                    if (h.content_length >= 0 && h.content_length != v)
                        return http1::error::conflicting_content_length;
                    h.content_length = v;
                }
                break;
            case 17:
                if (iequals(n, "transfer-encoding")) {
                    h.has_te = true;
                    h.te = parse_transfer_encoding(f.value, h.te);
                }
                break;
            default:
                break;
            }
        }
        // RFC 9112 §6.3 item 3: both is how requests are smuggled; refuse it.
        if (h.has_te && h.content_length >= 0)
            return http1::error::both_content_length_and_transfer_encoding;
        if (h.has_te && (h.te.chunked_twice_or_early || h.te.empty))
            return http1::error::bad_transfer_encoding;
        return {};
    }

    void start_body(std::int64_t content_length, bool chunked)
    {
        rx_body_ = 0;
        rx_content_length_ = content_length;
        if (chunked) {
            rx_ = rx::chunk_size;
        } else if (content_length > 0) {
            rx_ = rx::length;
            rx_remaining_ = static_cast<std::uint64_t>(content_length);
        } else if (content_length < 0) {
            rx_ = rx::until_eof;
        }
    }

    std::optional<http::event> parse_request(const char* p, std::size_t len)
    {
        parser::request_line rl;
        http1::error err{};
        const std::size_t line = parser::parse_request_line(p, len, rl, err);
        if (line == 0)
            return fail_event(err);
        peer_version_ = rl.ver;
        if (rl.target.size() > cfg_.max_target_bytes)
            return fail_event(http1::error::target_too_long);
        if (parser::parse_fields(p + line, len - line, fields_, cfg_.max_field_count, err) == 0)
            return fail_event(err);

        http::headers h;
        h.ver = rl.ver;
        h.method = rl.method;
        h.target = rl.target;
        if (const http1::error e = classify_target(rl.method, rl.target, h.scheme, h.authority);
            e != http1::error{})
            return fail_event(e);
        head_fields f;
        if (const http1::error e = scan_fields(f); e != http1::error{})
            return fail_event(e);
        const bool v10 = rl.ver == http::version::http1_0;
        if (f.has_te) {
            // RFC 9112 §6.1: TE in an HTTP/1.0 message means faulty framing.
            if (v10 || !f.te.chunked_last)
                return fail_event(http1::error::bad_transfer_encoding);
            if (f.te.unknown)
                return fail_event(http1::error::unknown_transfer_coding); // RFC 9112 §6.1: 501
        }
        // RFC 9112 §3.2: exactly one Host on HTTP/1.1.
        if (f.host_count > 1)
            return fail_event(http1::error::duplicate_host);
        if (f.host_count == 0 && !v10)
            return fail_event(http1::error::missing_host);
        if (h.authority.empty())
            h.authority = f.host; // absolute-form wins over Host (RFC 9112 §3.2.2)

        h.stream = rx_stream_ = next_stream_;
        next_stream_ += 2;
        h.keep_alive = v10 ? (f.conn.keep_alive && !f.conn.close) : !f.conn.close;
        req_connect_ = rl.method == "CONNECT";
        h.upgrade = req_connect_ || (f.conn.upgrade && f.has_upgrade);
        // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 is ignored.
        h.expect_continue = f.expect_continue && !v10;
        keep_alive_ = h.keep_alive;
        req_head_ = rl.method == "HEAD";
        req_upgrade_ = h.upgrade;
        req_expect_ = h.expect_continue;
        continue_sent_ = false;
        upgrade_after_ = false;
        have_request_ = true;
        tx_ = tx::none;
        body_limit_ = cfg_.max_body_bytes;
        begin_ += len;
        // A request without Content-Length or chunked has no body (RFC 9112 §6.3 item 7).
        const std::int64_t cl = f.has_te ? -1 : std::max<std::int64_t>(f.content_length, 0);
        h.content_length = cl;
        h.fields = fields_;
        h.end_stream = cl == 0;
        if (h.end_stream) {
            rx_content_length_ = 0;
            rx_ = rx::done;
        } else {
            start_body(cl, f.has_te);
        }
        return h;
    }

    std::optional<http::event> parse_response(const char* p, std::size_t len)
    {
        parser::status_line sl;
        http1::error err{};
        const std::size_t line = parser::parse_status_line(p, len, sl, err);
        if (line == 0)
            return fail_event(err);
        peer_version_ = sl.ver;
        if (parser::parse_fields(p + line, len - line, fields_, cfg_.max_field_count, err) == 0)
            return fail_event(err);
        const outstanding& req = outstanding_.front();
        const http::stream_id s = req.stream;
        if (sl.status >= 100 && sl.status < 200 && sl.status != 101) {
            begin_ += len;
            return http::informational{s, sl.status, fields_};
        }
        head_fields f;
        http::headers h;
        h.stream = rx_stream_ = s;
        h.ver = sl.ver;
        h.status = sl.status;
        h.reason = sl.reason;
        h.fields = fields_;
        const bool tunnel = (sl.status == 101) || (req.connect && sl.status / 100 == 2);
        if (sl.status == 101 && !req.upgrade)
            return fail_event(http1::error::bad_status); // switching to a protocol nobody asked for
        if (tunnel) {
            // RFC 9112 §6.3 items 1-2: no body; the bytes after the head are the new protocol's.
            begin_ += len;
            h.end_stream = true;
            h.content_length = 0;
            h.keep_alive = false;
            keep_alive_ = false;
            outstanding_.clear();
            rx_ = rx::upgrade;
            return h;
        }
        const bool no_body = req.head || sl.status == 204 || sl.status == 304;
        if (!no_body) {
            if (const http1::error e = scan_fields(f); e != http1::error{})
                return fail_event(e);
        } else {
            scan_fields(f); // for Connection only: these carry no body whatever they say
        }
        const bool v10 = sl.ver == http::version::http1_0;
        if (!no_body && f.has_te && v10)
            return fail_event(http1::error::bad_transfer_encoding);
        h.keep_alive = keep_alive_ && (v10 ? (f.conn.keep_alive && !f.conn.close) : !f.conn.close);
        keep_alive_ = h.keep_alive;
        body_limit_ = cfg_.max_body_bytes;
        begin_ += len;
        if (no_body) {
            h.end_stream = true;
            h.content_length = 0;
            message_read();
            return h;
        }
        // RFC 9112 §6.3: chunked last -> chunked; other TE or no length -> until close.
        const bool chunked = f.has_te && f.te.chunked_last;
        const std::int64_t cl = f.has_te ? -1 : f.content_length;
        if (cl < 0 && !chunked) {
            keep_alive_ = false;
            h.keep_alive = false;
        }
        h.content_length = cl;
        if (cl == 0) {
            h.end_stream = true;
            message_read();
            return h;
        }
        if (cl > 0 && static_cast<std::uint64_t>(cl) > body_limit_)
            return fail_event(http1::error::body_too_large);
        start_body(cl, chunked);
        return h;
    }

    // ---- commands ---------------------------------------------------------

    /// Checks caller fields and picks out the framing ones.
    struct out_fields {
        bool has_cl = false;
        std::uint64_t cl = 0;
        bool has_te = false;
        bool has_host = false;
        bool has_upgrade = false;
        connection_tokens conn;
    };

    static bool scan_out_fields(std::span<const field> fields, out_fields& o) noexcept
    {
        for (const field& f : fields) {
            if (!parser::is_token(f.name) || !parser::is_field_value(f.value))
                return false; // would let a CR/LF split the head
            if (iequals(f.name, "content-length")) {
                std::int64_t v = -1;
                if (o.has_cl || parse_content_length(f.value, v) != http1::error{})
                    return false;
                o.has_cl = true;
                o.cl = static_cast<std::uint64_t>(v);
            } else if (iequals(f.name, "transfer-encoding")) {
                const te_info t = parse_transfer_encoding(f.value, {});
                if (o.has_te || !t.chunked_last || t.chunked_twice_or_early)
                    return false; // we frame chunked only, so it must be last
                o.has_te = true;
            } else if (iequals(f.name, "connection")) {
                parse_connection(f.value, o.conn);
            } else if (iequals(f.name, "host")) {
                o.has_host = true;
            } else if (iequals(f.name, "upgrade")) {
                o.has_upgrade = true;
            }
        }
        return !(o.has_cl && o.has_te);
    }

    bool misuse(error_code& ec)
    {
        ec = http1::error::bad_submit;
        return false;
    }

    void write_fields(std::span<const field> fields)
    {
        for (const field& f : fields)
            serializer::field(out_pending_, f.name, f.value);
    }

    bool can_submit() const noexcept
    {
        return !failed_ && !closed_ && rx_ != rx::upgrade && rx_ != rx::upgraded;
    }

    void submit_request(http::stream_id stream, const request_head& head, bool end_stream, error_code& ec)
    {
        ec = {};
        out_fields o;
        const bool v10 = head.ver == http::version::http1_0;
        if (role_ != role::client || !can_submit() || stream != next_stream_ || tx_ == tx::body ||
            !(v10 || head.ver == http::version::http1_1) || !parser::is_token(head.method) ||
            head.target.empty() || !scan_out_fields(head.fields, o) || (!v10 && !o.has_host) ||
            (v10 && o.has_te) || (v10 && !end_stream && !o.has_cl) || (end_stream && o.has_cl && o.cl != 0)) {
            misuse(ec);
            return;
        }
        for (char c : head.target)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
                misuse(ec);
                return;
            }
        const std::size_t off = out_pending_.size();
        serializer::request_line(out_pending_, head.method, head.target, head.ver);
        write_fields(head.fields);
        if (o.has_cl) {
            tx_framing_ = framing::length;
            tx_remaining_ = o.cl;
        } else if (o.has_te) {
            tx_framing_ = framing::chunked;
        } else if (end_stream) {
            tx_framing_ = framing::none;
            // RFC 9110 §8.6: a user agent sends Content-Length when the method
            // expects content, even when there is none.
            if (method_expects_content(head.method))
                serializer::append(out_pending_, "Content-Length: 0\r\n");
        } else {
            tx_framing_ = framing::chunked;
            serializer::append(out_pending_, "Transfer-Encoding: chunked\r\n");
        }
        serializer::append(out_pending_, "\r\n");
        add_owned(off);
        if (o.conn.close || (v10 && !o.conn.keep_alive))
            keep_alive_ = false;
        outstanding_.push_back({stream, head.method == "HEAD", head.method == "CONNECT", o.has_upgrade});
        next_stream_ += 2;
        tx_stream_ = stream;
        tx_ = tx::body;
        if (end_stream)
            message_written();
    }

    bool server_can_answer(http::stream_id stream) const noexcept
    {
        return role_ == role::server && can_submit() && have_request_ && stream == rx_stream_ &&
               tx_ == tx::none;
    }

    void submit_informational(http::stream_id stream, unsigned status, std::span<const field> fields,
                              error_code& ec)
    {
        ec = {};
        out_fields o;
        // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
        if (!server_can_answer(stream) || status < 100 || status > 199 || status == 101 ||
            peer_version_ == http::version::http1_0 || !scan_out_fields(fields, o)) {
            misuse(ec);
            return;
        }
        const std::size_t off = out_pending_.size();
        serializer::status_line(out_pending_, status, {});
        write_fields(fields);
        serializer::append(out_pending_, "\r\n");
        add_owned(off);
        if (status == 100)
            continue_sent_ = true;
    }

    void submit_response(http::stream_id stream, const response_head& head, bool end_stream, error_code& ec)
    {
        ec = {};
        if (head.status >= 100 && head.status < 200 && head.status != 101) {
            submit_informational(stream, head.status, head.fields, ec);
            return;
        }
        out_fields o;
        if (!server_can_answer(stream) || head.status < 100 || head.status > 999 ||
            !parser::is_field_value(head.reason) || !scan_out_fields(head.fields, o)) {
            misuse(ec);
            return;
        }
        const bool v10 = peer_version_ == http::version::http1_0;
        const bool switching = head.status == 101;
        const bool tunnel = req_connect_ && head.status / 100 == 2;
        if (switching || tunnel) {
            // The request must be read in full: what follows belongs to the new protocol.
            if (!req_upgrade_ || (switching && req_connect_) || rx_ != rx::done || o.has_cl || o.has_te) {
                misuse(ec);
                return;
            }
            const std::size_t off = out_pending_.size();
            serializer::status_line(out_pending_, head.status, head.reason);
            write_fields(head.fields);
            serializer::append(out_pending_, "\r\n");
            add_owned(off);
            upgrade_after_ = true;
            keep_alive_ = false;
            tx_ = tx::body;
            message_written();
            return;
        }
        // RFC 9112 §6.3 item 1: HEAD, 204 and 304 responses carry no body.
        const bool no_body = req_head_ || head.status == 204 || head.status == 304;
        if ((head.status == 204 && (o.has_cl || o.has_te)) || (o.has_te && v10) ||
            (end_stream && !no_body && o.has_cl && o.cl != 0)) {
            misuse(ec);
            return;
        }
        const std::size_t off = out_pending_.size();
        serializer::status_line(out_pending_, head.status, head.reason);
        write_fields(head.fields);
        bool keep = keep_alive_ && !o.conn.close;
        if (req_expect_ && !continue_sent_ && rx_ != rx::done)
            keep = false; // the unread body may never come (RFC 9110 §10.1.1)
        if (no_body) {
            tx_framing_ = framing::none;
        } else if (o.has_cl) {
            tx_framing_ = framing::length;
            tx_remaining_ = o.cl;
        } else if (o.has_te) {
            tx_framing_ = framing::chunked;
        } else if (end_stream) {
            tx_framing_ = framing::none;
            serializer::append(out_pending_, "Content-Length: 0\r\n");
        } else if (!v10) {
            tx_framing_ = framing::chunked;
            serializer::append(out_pending_, "Transfer-Encoding: chunked\r\n");
        } else {
            tx_framing_ = framing::until_close; // HTTP/1.0 has no chunked
            keep = false;
        }
        if (!keep && !o.conn.close)
            serializer::append(out_pending_, "Connection: close\r\n");
        else if (keep && v10 && !o.conn.keep_alive)
            serializer::append(out_pending_, "Connection: keep-alive\r\n");
        serializer::append(out_pending_, "\r\n");
        add_owned(off);
        keep_alive_ = keep;
        tx_stream_ = stream;
        tx_ = tx::body;
        if (end_stream)
            message_written();
    }

    bool can_send_body(http::stream_id stream) const noexcept
    {
        return can_submit() && tx_ == tx::body && stream == tx_stream_;
    }

    void submit_data(http::stream_id stream, std::span<const std::byte> bytes, bool end_stream,
                     error_code& ec)
    {
        ec = {};
        if (!can_send_body(stream) || (tx_framing_ == framing::none && !bytes.empty()) ||
            (tx_framing_ == framing::length &&
             (bytes.size() > tx_remaining_ || (end_stream && bytes.size() != tx_remaining_)))) {
            misuse(ec);
            return;
        }
        switch (tx_framing_) {
        case framing::none:
            break;
        case framing::length:
            add_ref(bytes);
            tx_remaining_ -= bytes.size();
            break;
        case framing::until_close:
            add_ref(bytes);
            break;
        case framing::chunked: {
            std::size_t off = out_pending_.size();
            if (!bytes.empty()) {
                serializer::chunk_size(out_pending_, bytes.size());
                add_owned(off);
                add_ref(bytes);
                off = out_pending_.size();
                serializer::append(out_pending_, "\r\n");
            }
            if (end_stream)
                serializer::append(out_pending_, "0\r\n\r\n");
            add_owned(off);
            break;
        }
        }
        if (end_stream)
            message_written();
    }

    void submit_trailers(http::stream_id stream, std::span<const field> fields, error_code& ec)
    {
        ec = {};
        out_fields o;
        if (!can_send_body(stream) || (tx_framing_ == framing::length && tx_remaining_ != 0) ||
            !scan_out_fields(fields, o)) {
            misuse(ec);
            return;
        }
        if (tx_framing_ == framing::chunked) {
            const std::size_t off = out_pending_.size();
            serializer::append(out_pending_, "0\r\n");
            write_fields(fields);
            serializer::append(out_pending_, "\r\n");
            add_owned(off);
        }
        message_written();
    }

    // ---- state ------------------------------------------------------------

    state current_state() const noexcept
    {
        if (failed_)
            return state::failed;
        if (rx_ == rx::upgrade || rx_ == rx::upgraded)
            return state::upgraded;
        if (closed_)
            return state::closed;
        if (role_ == role::server) {
            if (rx_ == rx::done)
                return state::paused;
            if (rx_ == rx::head && tx_ == tx::none && unread() == 0)
                return state::idle;
            return state::busy;
        }
        if (outstanding_.empty() && tx_ != tx::body)
            return state::idle;
        return state::busy;
    }

    template <class V>
    static std::size_t bytes_of(const V& v) noexcept
    {
        return v.capacity() * sizeof(typename V::value_type);
    }

    std::size_t memory_usage() const noexcept
    {
        return cap_ + bytes_of(fields_) + bytes_of(out_pending_) + bytes_of(out_sent_) + bytes_of(segs_) +
               bytes_of(out_list_) + bytes_of(outstanding_);
    }

    template <class V>
    static void release(V& v) noexcept
    {
        if (v.empty())
            V{}.swap(v);
    }

    void release_input() noexcept
    {
        if (begin_ == end_) {
            buf_.reset();
            cap_ = begin_ = end_ = 0;
            scan_from_ = 0;
        }
        fields_.clear();
        release(fields_);
    }

    void shrink_to_fit() noexcept
    {
        release_input();
        release(out_pending_);
        // The caller has written what poll_output returned (see the header).
        if (segs_.empty()) {
            out_sent_.clear();
            out_list_.clear();
        }
        release(out_sent_);
        release(out_list_);
        release(segs_);
        release(outstanding_);
    }
};

connection::connection(role r, config cfg) : impl_(std::make_unique<impl>(r, cfg)) {}
connection::~connection() = default;
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;

std::span<std::byte> connection::prepare(std::size_t min_bytes)
{
    return impl_->prepare(min_bytes);
}
void connection::commit(std::size_t n)
{
    impl_->commit(n);
}
void connection::commit_eof()
{
    impl_->commit_eof();
}
std::size_t connection::handle_bytes(std::span<const std::byte> in)
{
    return impl_->handle_bytes(in);
}
std::optional<http::event> connection::poll_event()
{
    return impl_->poll_event();
}

void connection::submit_headers(http::stream_id stream, const request_head& head, bool end_stream,
                                error_code& ec)
{
    impl_->submit_request(stream, head, end_stream, ec);
}

void connection::submit_headers(http::stream_id stream, const response_head& head, bool end_stream,
                                error_code& ec)
{
    impl_->submit_response(stream, head, end_stream, ec);
}

void connection::submit_data(http::stream_id stream, std::span<const std::byte> bytes, bool end_stream,
                             error_code& ec)
{
    impl_->submit_data(stream, bytes, end_stream, ec);
}

void connection::submit_trailers(http::stream_id stream, std::span<const field> fields, error_code& ec)
{
    impl_->submit_trailers(stream, fields, ec);
}

void connection::submit_informational(http::stream_id stream, unsigned status, error_code& ec)
{
    impl_->submit_informational(stream, status, {}, ec);
}

void connection::set_body_limit(std::uint64_t bytes) noexcept
{
    impl_->body_limit_ = bytes;
}
std::span<const net::const_buffer> connection::poll_output()
{
    return impl_->poll_output();
}
bool connection::has_output() const noexcept
{
    return !impl_->segs_.empty();
}
state connection::current_state() const noexcept
{
    return impl_->current_state();
}
error_code connection::error() const noexcept
{
    return impl_->ec_;
}
unsigned connection::error_status() const noexcept
{
    return impl_->error_status_;
}
bool connection::keep_alive() const noexcept
{
    return impl_->keep_alive_ && !impl_->failed_;
}
http::version connection::peer_version() const noexcept
{
    return impl_->peer_version_;
}
void connection::release_input() noexcept
{
    impl_->release_input();
}

void connection::shrink_to_fit() noexcept
{
    impl_->shrink_to_fit();
}
std::size_t connection::memory_usage() const noexcept
{
    return impl_->memory_usage();
}
http::stream_id connection::next_stream_id() const noexcept
{
    return impl_->next_stream_;
}

} // namespace strata::http1
