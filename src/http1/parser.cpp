// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http1/parser.hpp>

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace strata::http1::parser {
namespace {

constexpr std::array<bool, 256> make_tchar_table() noexcept
{
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (char c : std::string_view{"!#$%&'*+-.^_`|~"})
        t[static_cast<unsigned char>(c)] = true;
    return t;
}
constexpr std::array<bool, 256> tchar_table = make_tchar_table();

constexpr bool tchar(char c) noexcept
{
    return tchar_table[static_cast<unsigned char>(c)];
}

/// Field-value / reason-phrase stop bytes: CTLs other than HTAB, and DEL.
constexpr bool value_stop(unsigned char c) noexcept
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}
/// Request-target stop bytes: CTLs, SP and DEL.
constexpr bool target_stop(unsigned char c) noexcept
{
    return c <= 0x20 || c == 0x7f;
}

inline unsigned lowest_bit(unsigned m) noexcept
{
    return static_cast<unsigned>(__builtin_ctz(m));
}

#if !defined(__SSE2__)
constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;
inline std::uint64_t load64(const char* p) noexcept
{
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    return x;
}
/// Non-zero when some byte of x is below n (n <= 128). Exact as a yes/no; the
/// bytes are then checked one by one, so byte order does not matter.
constexpr std::uint64_t has_less(std::uint64_t x, unsigned n) noexcept
{
    return (x - ones * n) & ~x & highs;
}
constexpr std::uint64_t has_byte(std::uint64_t x, unsigned char b) noexcept
{
    return has_less(x ^ (ones * b), 1);
}
#endif

/// First index in [i, n) whose byte is a value stop, or n.
std::size_t find_value_stop(const char* p, std::size_t i, std::size_t n) noexcept
{
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i minus1 = _mm_set1_epi8(-1);
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i del = _mm_set1_epi8(0x7f);
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        // Signed compares: bytes 0x80-0xff (obs-text) are negative and pass.
        __m128i ctl = _mm_and_si128(_mm_cmplt_epi8(v, space), _mm_cmpgt_epi8(v, minus1));
        ctl = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab), ctl);
        ctl = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, del));
        if (const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(ctl)))
            return i + lowest_bit(m);
    }
#else
    for (; i + 8 <= n; i += 8) {
        const std::uint64_t x = load64(p + i);
        if ((has_less(x, 0x20) | has_byte(x, 0x7f)) == 0)
            continue;
        for (std::size_t k = 0; k < 8; ++k)
            if (value_stop(static_cast<unsigned char>(p[i + k])))
                return i + k;
    }
#endif
    for (; i < n; ++i)
        if (value_stop(static_cast<unsigned char>(p[i])))
            return i;
    return n;
}

/// First index in [i, n) whose byte is a target stop, or n.
std::size_t find_target_stop(const char* p, std::size_t i, std::size_t n) noexcept
{
#if defined(__SSE2__)
    const __m128i bang = _mm_set1_epi8(0x21);
    const __m128i minus1 = _mm_set1_epi8(-1);
    const __m128i del = _mm_set1_epi8(0x7f);
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        __m128i stop = _mm_and_si128(_mm_cmplt_epi8(v, bang), _mm_cmpgt_epi8(v, minus1));
        stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, del));
        if (const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(stop)))
            return i + lowest_bit(m);
    }
#else
    for (; i + 8 <= n; i += 8) {
        const std::uint64_t x = load64(p + i);
        if ((has_less(x, 0x21) | has_byte(x, 0x7f)) == 0)
            continue;
        for (std::size_t k = 0; k < 8; ++k)
            if (target_stop(static_cast<unsigned char>(p[i + k])))
                return i + k;
    }
#endif
    for (; i < n; ++i)
        if (target_stop(static_cast<unsigned char>(p[i])))
            return i;
    return n;
}

/// First index in [i, n) holding ':', a CTL, SP, DEL or obs-text: where a
/// field name must end. Names are then checked against tchar without a branch
/// per byte, so a name costs one block compare and one pass.
std::size_t find_name_stop(const char* p, std::size_t i, std::size_t n) noexcept
{
#if defined(__SSE2__)
    const __m128i bang = _mm_set1_epi8(0x21);
    const __m128i colon = _mm_set1_epi8(':');
    const __m128i del = _mm_set1_epi8(0x7f);
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        // Signed compare: CTL, SP and every byte >= 0x80 are below 0x21.
        __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, bang), _mm_cmpeq_epi8(v, colon));
        stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, del));
        if (const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(stop)))
            return i + lowest_bit(m);
    }
#endif
    for (; i < n; ++i) {
        const auto c = static_cast<unsigned char>(p[i]);
        if (c == ':' || c <= 0x20 || c >= 0x7f)
            return i;
    }
    return n;
}

/// "HTTP/x.y" at p (8 bytes available).
bool parse_version(const char* p, http::version& ver, error& err) noexcept
{
    if (std::memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' ||
        p[7] > '9') {
        err = error::bad_version;
        return false;
    }
    if (p[5] != '1') {
        err = error::unsupported_version;
        return false;
    }
    // RFC 9110 §2.5: a higher minor version is answered as the highest we speak.
    ver = p[7] == '0' ? http::version::http1_0 : http::version::http1_1;
    return true;
}

/// Checks the CRLF at p[i] (n bytes available). Sets err on a bare CR / LF or
/// any other byte (`other`).
bool expect_crlf(const char* p, std::size_t i, std::size_t n, error other, error& err) noexcept
{
    if (i < n && p[i] == '\r') {
        if (i + 1 < n && p[i + 1] == '\n')
            return true;
        err = error::bare_cr;
        return false;
    }
    err = (i < n && p[i] == '\n') ? error::bare_lf : other;
    return false;
}

constexpr bool is_ws(char c) noexcept
{
    return c == ' ' || c == '\t';
}

int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

bool is_tchar(unsigned char c) noexcept
{
    return tchar_table[c];
}

bool is_token(std::string_view s) noexcept
{
    if (s.empty())
        return false;
    for (char c : s)
        if (!tchar(c))
            return false;
    return true;
}

bool is_field_value(std::string_view s) noexcept
{
    return find_value_stop(s.data(), 0, s.size()) == s.size();
}

std::size_t find_head_end(const char* p, std::size_t n, std::size_t& from, error& err) noexcept
{
    // Every LF must follow a CR; the head ends at the first empty line.
    auto at_lf = [&](std::size_t i) -> std::size_t {
        if (i == 0 || p[i - 1] != '\r') {
            err = error::bare_lf;
            return 0;
        }
        if (i == 1 || p[i - 2] == '\n')
            return i + 1;
        return 0;
    };
    std::size_t i = from;
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        for (unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf))); m != 0;
             m &= m - 1) {
            if (const std::size_t end = at_lf(i + lowest_bit(m)); end != 0 || err != error{})
                return end;
        }
    }
#else
    for (; i + 8 <= n; i += 8) {
        if (has_byte(load64(p + i), '\n') == 0)
            continue;
        for (std::size_t k = 0; k < 8; ++k)
            if (p[i + k] == '\n')
                if (const std::size_t end = at_lf(i + k); end != 0 || err != error{})
                    return end;
    }
#endif
    for (; i < n; ++i)
        if (p[i] == '\n')
            if (const std::size_t end = at_lf(i); end != 0 || err != error{})
                return end;
    from = i;
    return 0;
}

std::size_t parse_request_line(const char* p, std::size_t n, request_line& out, error& err) noexcept
{
    // method SP request-target SP HTTP-version CRLF (RFC 9112 §3), one SP each.
    std::size_t i = 0;
    while (i < n && tchar(p[i]))
        ++i;
    if (i == 0 || i == n || p[i] != ' ') {
        err = (i == 0 || i == n || p[i] != '\r') ? error::bad_method : error::bad_request_line;
        if (i > 0 && i < n && (p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
            err = error::bad_request_line;
        return 0;
    }
    out.method = {p, i};
    const std::size_t t0 = ++i;
    i = find_target_stop(p, i, n);
    if (i == t0) {
        err = (i < n && p[i] == ' ') ? error::bad_request_line : error::bad_target;
        return 0;
    }
    if (i == n || p[i] != ' ') {
        // "GET /\r\n" (HTTP/0.9) or a CTL in the target.
        err = (i < n && (p[i] == '\r' || p[i] == '\n' || p[i] == '\t')) ? error::bad_request_line
                                                                        : error::bad_target;
        return 0;
    }
    out.target = {p + t0, i - t0};
    ++i;
    if (n - i < 10) {
        err = error::bad_version;
        return 0;
    }
    if (!parse_version(p + i, out.ver, err))
        return 0;
    i += 8;
    if (p[i] == ' ' || p[i] == '\t') {
        err = error::bad_request_line;
        return 0;
    }
    if (!expect_crlf(p, i, n, error::bad_version, err))
        return 0;
    return i + 2;
}

std::size_t parse_status_line(const char* p, std::size_t n, status_line& out, error& err) noexcept
{
    // HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 §4).
    if (n < 14) {
        err = error::bad_status;
        return 0;
    }
    if (!parse_version(p, out.ver, err))
        return 0;
    if (p[8] != ' ' || p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9') {
        err = error::bad_status;
        return 0;
    }
    out.status = static_cast<unsigned>((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
    std::size_t i = 12;
    std::size_t r0 = i;
    if (p[i] == ' ') {
        r0 = ++i;
        i = find_value_stop(p, i, n);
    } // else: no SP and no reason; some servers send that, so it is tolerated.
    if (!expect_crlf(p, i, n, error::bad_status, err))
        return 0;
    out.reason = {p + r0, i - r0};
    return i + 2;
}

std::size_t parse_fields(const char* p, std::size_t n, std::vector<http::field_view>& out,
                         std::size_t max_fields, error& err)
{
    std::size_t i = 0;
    for (;;) {
        if (i >= n) {
            err = error::header_too_large; // the caller passed an incomplete head
            return 0;
        }
        const char c = p[i];
        if (c == '\r' || c == '\n') {
            if (!expect_crlf(p, i, n, error::bare_cr, err))
                return 0;
            return i + 2;
        }
        if (is_ws(c)) {
            // A line starting with whitespace continues the previous one (RFC 9112 §5.2)
            // or, right after the start line, hides a field (§2.2): both refused.
            err = error::obs_fold;
            return 0;
        }
        const std::size_t n0 = i;
        i = find_name_stop(p, i, n);
        bool token = true;
        for (std::size_t k = n0; k < i; ++k)
            token &= tchar(p[k]);
        if (i == n || p[i] != ':' || i == n0 || !token) {
            err = (token && i < n && i != n0 && is_ws(p[i])) ? error::whitespace_before_colon
                                                             : error::bad_field_name;
            return 0;
        }
        const std::string_view name{p + n0, i - n0};
        ++i;
        while (i < n && is_ws(p[i]))
            ++i;
        const std::size_t v0 = i;
        i = find_value_stop(p, i, n);
        if (i == n || p[i] != '\r' || i + 1 == n || p[i + 1] != '\n') {
            err = (i < n && p[i] == '\r')   ? error::bare_cr
                  : (i < n && p[i] == '\n') ? error::bare_lf
                                            : error::bad_field_value;
            return 0;
        }
        std::size_t v1 = i;
        while (v1 > v0 && is_ws(p[v1 - 1]))
            --v1;
        if (out.size() >= max_fields) {
            err = error::too_many_fields;
            return 0;
        }
        out.push_back({name, {p + v0, v1 - v0}});
        i += 2;
    }
}

std::size_t parse_chunk_line(const char* p, std::size_t n, std::uint64_t& size, std::size_t max_ext_bytes,
                             error& err) noexcept
{
    // chunk-size [ chunk-ext ] CRLF; chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
    std::size_t i = 0;
    std::uint64_t v = 0;
    for (; i < n; ++i) {
        const int h = hex_value(p[i]);
        if (h < 0)
            break;
        if (i == 16) {
            err = error::chunk_size_overflow;
            return 0;
        }
        v = (v << 4) | static_cast<unsigned>(h);
    }
    if (i == 0 && n > 0) {
        err = error::bad_chunk_size;
        return 0;
    }
    const std::size_t ext0 = i;
    auto over = [&] { return i - ext0 > max_ext_bytes; };
    auto skip_bws = [&] {
        while (i < n && is_ws(p[i]))
            ++i;
    };
    for (;;) {
        const std::size_t before = i;
        skip_bws();
        if (over()) {
            err = error::bad_chunk_extension;
            return 0;
        }
        if (i == n)
            return 0;
        const char c = p[i];
        if (c == '\r' || c == '\n') {
            if (i != before) { // "1a \r\n": BWS only goes before ';'
                err = error::bad_chunk_extension;
                return 0;
            }
            if (c == '\r' && i + 1 == n)
                return 0;
            if (!expect_crlf(p, i, n, error::bad_chunk_size, err))
                return 0;
            size = v;
            return i + 2;
        }
        if (c != ';') {
            err = (i == ext0) ? error::bad_chunk_size : error::bad_chunk_extension;
            return 0;
        }
        ++i;
        skip_bws();
        const std::size_t name0 = i;
        while (i < n && tchar(p[i]))
            ++i;
        if (over()) {
            err = error::bad_chunk_extension;
            return 0;
        }
        if (i == n)
            return 0;
        if (i == name0) {
            err = error::bad_chunk_extension;
            return 0;
        }
        const std::size_t after_name = i;
        skip_bws();
        if (i == n)
            return over() ? (err = error::bad_chunk_extension, 0) : 0;
        if (p[i] != '=') {
            i = after_name; // BWS belongs to the next ';' or is an error before CRLF
            continue;
        }
        ++i;
        skip_bws();
        if (i == n)
            return over() ? (err = error::bad_chunk_extension, 0) : 0;
        if (p[i] == '"') {
            ++i;
            for (;;) {
                if (i == n || over()) {
                    if (over())
                        err = error::bad_chunk_extension;
                    return 0;
                }
                const unsigned char q = static_cast<unsigned char>(p[i]);
                if (q == '"') {
                    ++i;
                    break;
                }
                if (q == '\\') {
                    if (i + 1 == n)
                        return 0;
                    if (value_stop(static_cast<unsigned char>(p[i + 1]))) {
                        err = error::bad_chunk_extension;
                        return 0;
                    }
                    i += 2;
                    continue;
                }
                if (value_stop(q)) {
                    err = error::bad_chunk_extension;
                    return 0;
                }
                ++i;
            }
        } else {
            const std::size_t val0 = i;
            while (i < n && tchar(p[i]))
                ++i;
            if (i == val0) {
                err = error::bad_chunk_extension;
                return 0;
            }
        }
    }
}

} // namespace strata::http1::parser
