// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// HTTP/1.1 request parsing throughput, strata beside its peers in one run:
//
//   strata_connection     http1::connection in server role, reused: bytes copied
//                         into its buffer, events polled, a tiny response
//                         submitted and polled so it goes back to idle. This is
//                         what a server pays per request in the codec.
//   strata_scanner        the stateless scanner under it (parser.hpp): head end,
//                         request line, fields, Content-Length skip. No copy.
//   http_parser           nodejs/http-parser 2.9 (Debian libhttp-parser-dev),
//                         one parser reused, callbacks record the field views.
//   beast_basic_parser    Boost.Beast's basic_parser with callbacks that record
//                         the field views; constructed per message (it is single-use).
//   beast_request_parser  Beast's request_parser<string_body>: what a Beast
//                         server really runs, fields stored in http::fields.
//
// Every variant must see the same messages and field lines; a run that does
// not is reported as an error, not as a number. After the benchmarks a table
// gives each peer's throughput as a ratio of strata's.

#include <strata/config.hpp>
#include <strata/http1/connection.hpp>
#include <strata/http1/parser.hpp>

#include <benchmark/benchmark.h>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <http_parser.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

namespace beast_http = boost::beast::http;

// ---- inputs ------------------------------------------------------------------

struct sample {
    std::string bytes;
    std::size_t messages; ///< requests in `bytes`
    std::size_t fields;   ///< field lines over all of them
    std::size_t body;     ///< body bytes over all of them
};

// What Chrome sends for an image on a page it is showing (about 460 bytes).
const std::string chrome_get = "GET /assets/img/products/summer/banner-large.webp?v=3 HTTP/1.1\r\n"
                               "Host: shop.example.com\r\n"
                               "Connection: keep-alive\r\n"
                               "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
                               "like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
                               "Accept: image/avif,image/webp,image/apng,image/*,*/*;q=0.8\r\n"
                               "Sec-Fetch-Site: same-origin\r\n"
                               "Referer: https://shop.example.com/summer\r\n"
                               "Accept-Encoding: gzip, deflate, br\r\n"
                               "Accept-Language: en-US,en;q=0.9\r\n"
                               "Cookie: sid=4f2a9c1e7b; theme=dark\r\n"
                               "\r\n";
constexpr std::size_t chrome_fields = 9;

const std::string curl_get = "GET /index.html HTTP/1.1\r\n"
                             "Host: example.com\r\n"
                             "User-Agent: curl/7.88.1\r\n"
                             "Accept: */*\r\n"
                             "\r\n";
constexpr std::size_t curl_fields = 3;

std::string make_post()
{
    std::string body(1024, 'x');
    for (std::size_t i = 0; i < body.size(); ++i)
        body[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];
    return "POST /api/v1/orders HTTP/1.1\r\n"
           "Host: api.example.com\r\n"
           "User-Agent: python-requests/2.28.1\r\n"
           "Accept: application/json\r\n"
           "Content-Type: application/octet-stream\r\n"
           "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl\r\n"
           "Content-Length: 1024\r\n"
           "\r\n" +
           body;
}
constexpr std::size_t post_fields = 6;

std::string make_pipelined()
{
    std::string all;
    for (int i = 0; i < 16; ++i)
        all += chrome_get;
    return all;
}

const std::array<sample, 4> samples = {{
    {chrome_get, 1, chrome_fields, 0},
    {curl_get, 1, curl_fields, 0},
    {make_post(), 1, post_fields, 1024},
    {make_pipelined(), 16, 16 * chrome_fields, 0},
}};

enum sample_id : std::size_t { chrome = 0, curl = 1, post = 2, pipelined16 = 3 };

/// Counts what a parser saw, so a variant that skips work cannot look fast.
struct tally {
    std::size_t messages = 0;
    std::size_t fields = 0;
    std::size_t body = 0;
};

void finish(benchmark::State& state, const sample& s, const tally& t)
{
    const auto iters = static_cast<std::size_t>(state.iterations());
    if (t.messages != iters * s.messages || t.fields != iters * s.fields || t.body != iters * s.body) {
        state.SkipWithError("parser saw different messages than the input holds");
        return;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(iters * s.bytes.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(iters * s.messages));
    state.counters["bytes_per_msg"] = static_cast<double>(s.bytes.size()) / static_cast<double>(s.messages);
}

bool iequals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// ---- strata: the codec ---------------------------------------------------------

void strata_connection(benchmark::State& state, sample_id id)
{
    const sample& s = samples[id];
    const auto in = std::as_bytes(std::span{s.bytes.data(), s.bytes.size()});
    strata::http1::connection conn{strata::http1::role::server};
    static constexpr std::array<strata::http1::field, 1> reply_fields{{{"Content-Length", "0"}}};
    const strata::http1::response_head reply{200, {}, reply_fields};
    tally t;
    std::size_t out_bytes = 0;
    for (auto _ : state) {
        if (conn.handle_bytes(in) != in.size()) {
            state.SkipWithError("codec refused input");
            break;
        }
        while (auto ev = conn.poll_event()) {
            strata::http::stream_id stream = 0;
            bool end = false;
            if (auto* h = std::get_if<strata::http::headers>(&*ev)) {
                ++t.messages;
                t.fields += h->fields.size();
                benchmark::DoNotOptimize(h->target.data());
                stream = h->stream;
                end = h->end_stream;
            } else if (auto* d = std::get_if<strata::http::data>(&*ev)) {
                t.body += d->bytes.size();
                stream = d->stream;
                end = d->end_stream;
            }
            if (end) {
                strata::error_code ec;
                conn.submit_headers(stream, reply, true, ec);
                for (const auto& b : conn.poll_output())
                    out_bytes += b.size();
                if (ec)
                    state.SkipWithError("submit_headers failed");
            }
        }
        if (conn.current_state() != strata::http1::state::idle) {
            state.SkipWithError("codec did not return to idle");
            break;
        }
    }
    benchmark::DoNotOptimize(out_bytes);
    finish(state, s, t);
}

// ---- strata: the scanner alone ---------------------------------------------------

void strata_scanner(benchmark::State& state, sample_id id)
{
    namespace p = strata::http1::parser;
    const sample& s = samples[id];
    std::vector<strata::http::field_view> fields;
    fields.reserve(100);
    tally t;
    for (auto _ : state) {
        const char* at = s.bytes.data();
        std::size_t left = s.bytes.size();
        while (left != 0) {
            strata::http1::error err{};
            std::size_t from = 0;
            const std::size_t head = p::find_head_end(at, left, from, err);
            p::request_line line;
            const std::size_t first = head != 0 ? p::parse_request_line(at, head, line, err) : 0;
            fields.clear();
            if (first == 0 || p::parse_fields(at + first, head - first, fields, 100, err) == 0) {
                state.SkipWithError("scanner rejected the input");
                return;
            }
            benchmark::DoNotOptimize(line.target.data());
            // Framing, as every peer here does it: Content-Length decides the body.
            std::size_t length = 0;
            for (const auto& f : fields)
                if (iequals(f.name, "content-length"))
                    for (char c : f.value)
                        length = length * 10 + static_cast<std::size_t>(c - '0');
            ++t.messages;
            t.fields += fields.size();
            t.body += length;
            at += head + length;
            left -= head + length;
        }
    }
    finish(state, s, t);
}

// ---- http-parser ------------------------------------------------------------------

struct hp_context {
    tally* t;
    std::array<std::string_view, 2 * 128> views;
    std::size_t n = 0;
};

int hp_on_url(::http_parser* hp, const char* at, std::size_t len)
{
    benchmark::DoNotOptimize(at);
    benchmark::DoNotOptimize(len);
    static_cast<hp_context*>(hp->data)->n = 0;
    return 0;
}
int hp_on_header_field(::http_parser* hp, const char* at, std::size_t len)
{
    auto* c = static_cast<hp_context*>(hp->data);
    ++c->t->fields;
    if (c->n < c->views.size())
        c->views[c->n++] = {at, len};
    return 0;
}
int hp_on_header_value(::http_parser* hp, const char* at, std::size_t len)
{
    auto* c = static_cast<hp_context*>(hp->data);
    if (c->n < c->views.size())
        c->views[c->n++] = {at, len};
    return 0;
}
int hp_on_body(::http_parser* hp, const char*, std::size_t len)
{
    static_cast<hp_context*>(hp->data)->t->body += len;
    return 0;
}
int hp_on_message_complete(::http_parser* hp)
{
    ++static_cast<hp_context*>(hp->data)->t->messages;
    return 0;
}

void http_parser(benchmark::State& state, sample_id id)
{
    const sample& s = samples[id];
    tally t;
    hp_context ctx{&t, {}, 0};
    ::http_parser_settings settings;
    ::http_parser_settings_init(&settings);
    settings.on_url = hp_on_url;
    settings.on_header_field = hp_on_header_field;
    settings.on_header_value = hp_on_header_value;
    settings.on_body = hp_on_body;
    settings.on_message_complete = hp_on_message_complete;
    ::http_parser hp;
    ::http_parser_init(&hp, HTTP_REQUEST);
    hp.data = &ctx;
    for (auto _ : state) {
        // Keep-alive requests: the same parser carries on with the next one.
        const std::size_t n = ::http_parser_execute(&hp, &settings, s.bytes.data(), s.bytes.size());
        if (n != s.bytes.size() || HTTP_PARSER_ERRNO(&hp) != HPE_OK) {
            state.SkipWithError(::http_errno_description(HTTP_PARSER_ERRNO(&hp)));
            return;
        }
        benchmark::DoNotOptimize(ctx.views.data());
    }
    finish(state, s, t);
}

// ---- Boost.Beast ----------------------------------------------------------------

/// basic_parser with the least a user can do: keep views of what it hands out.
class beast_views_parser final : public beast_http::basic_parser<true> {
public:
    explicit beast_views_parser(tally& t) : t_(&t) {}

private:
    using string_view = boost::beast::string_view;
    using error_code = boost::beast::error_code;

    void on_request_impl(beast_http::verb, string_view, string_view target, int, error_code&) override
    {
        target_ = {target.data(), target.size()};
    }
    void on_response_impl(int, string_view, int, error_code&) override {}
    void on_field_impl(beast_http::field, string_view name, string_view value, error_code&) override
    {
        ++t_->fields;
        if (n_ + 2 <= views_.size()) {
            views_[n_++] = {name.data(), name.size()};
            views_[n_++] = {value.data(), value.size()};
        }
    }
    void on_header_impl(error_code&) override { benchmark::DoNotOptimize(target_.data()); }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    std::size_t on_body_impl(string_view body, error_code&) override
    {
        t_->body += body.size();
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override
    {
        t_->body += body.size();
        return body.size();
    }
    void on_finish_impl(error_code&) override { ++t_->messages; }

    tally* t_;
    std::string_view target_;
    std::array<std::string_view, 2 * 128> views_;
    std::size_t n_ = 0;
};

template <class Parser, class Make, class Done>
bool beast_parse_all(benchmark::State& state, const sample& s, Make make, Done done)
{
    const char* at = s.bytes.data();
    std::size_t left = s.bytes.size();
    while (left != 0) {
        Parser parser = make();
        parser.header_limit(16 * 1024); // strata's default max_header_bytes
        parser.eager(true);
        boost::beast::error_code ec;
        while (!parser.is_done()) {
            const std::size_t n = parser.put(boost::asio::const_buffer(at, left), ec);
            if (ec) {
                state.SkipWithError(ec.message().c_str());
                return false;
            }
            at += n;
            left -= n;
        }
        done(parser);
    }
    return true;
}

void beast_basic_parser(benchmark::State& state, sample_id id)
{
    const sample& s = samples[id];
    tally t;
    for (auto _ : state)
        if (!beast_parse_all<beast_views_parser>(
                state, s, [&] { return beast_views_parser{t}; }, [](auto&) {}))
            return;
    finish(state, s, t);
}

void beast_request_parser(benchmark::State& state, sample_id id)
{
    using parser_type = beast_http::request_parser<beast_http::string_body>;
    const sample& s = samples[id];
    tally t;
    for (auto _ : state)
        if (!beast_parse_all<parser_type>(
                state, s, [] { return parser_type{}; },
                [&](parser_type& p) {
                    const auto& req = p.get();
                    ++t.messages;
                    t.fields += static_cast<std::size_t>(std::distance(req.begin(), req.end()));
                    t.body += req.body().size();
                    benchmark::DoNotOptimize(req.target().data());
                }))
            return;
    finish(state, s, t);
}

#define STRATA_PARSER_BENCH(fn)                                                                              \
    BENCHMARK_CAPTURE(fn, chrome_get, chrome);                                                               \
    BENCHMARK_CAPTURE(fn, curl_get, curl);                                                                   \
    BENCHMARK_CAPTURE(fn, post_1k, post);                                                                    \
    BENCHMARK_CAPTURE(fn, pipelined_16, pipelined16)

STRATA_PARSER_BENCH(strata_connection);
STRATA_PARSER_BENCH(strata_scanner);
STRATA_PARSER_BENCH(http_parser);
STRATA_PARSER_BENCH(beast_basic_parser);
STRATA_PARSER_BENCH(beast_request_parser);

// ---- the ratio table --------------------------------------------------------------

/// Prints as the console reporter does and keeps each benchmark's byte rate
/// (the median when --benchmark_repetitions asks for several runs).
class ratio_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.error_occurred)
                continue;
            const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
            if (r.run_type == Run::RT_Aggregate && !median)
                continue;
            const auto it = r.counters.find("bytes_per_second");
            if (it == r.counters.end())
                continue;
            const std::string name = r.run_name.str();
            if (median || !medians_.contains(name))
                rates_[name] = it->second.value;
            if (median)
                medians_[name] = true;
        }
    }

    void print_table() const
    {
        static constexpr std::array<const char*, 4> inputs = {"chrome_get", "curl_get", "post_1k",
                                                              "pipelined_16"};
        static constexpr std::array<const char*, 5> parsers = {"strata_connection", "strata_scanner",
                                                               "http_parser", "beast_basic_parser",
                                                               "beast_request_parser"};
        std::printf("\nThroughput in GB/s (10^9 bytes/s); in brackets: strata_connection / that parser\n");
        std::printf("%-14s", "input");
        for (const char* p : parsers)
            std::printf(" %22s", p);
        std::printf("\n");
        for (const char* in : inputs) {
            std::printf("%-14s", in);
            const double strata = rate("strata_connection", in);
            for (const char* p : parsers) {
                const double r = rate(p, in);
                char cell[64];
                if (r <= 0)
                    std::snprintf(cell, sizeof cell, "-");
                else if (strata > 0)
                    std::snprintf(cell, sizeof cell, "%.2f (%.2fx)", r / 1e9, strata / r);
                else
                    std::snprintf(cell, sizeof cell, "%.2f", r / 1e9);
                std::printf(" %22s", cell);
            }
            std::printf("\n");
        }
        // The goal is stated against Beast's basic_parser; say where we are.
        std::printf("\nstrata / beast_basic_parser throughput (goal: 2x):\n");
        for (const char* in : inputs) {
            const double b = rate("beast_basic_parser", in);
            if (b <= 0)
                continue;
            std::printf("  %-14s codec %.2fx   scanner alone %.2fx\n", in, rate("strata_connection", in) / b,
                        rate("strata_scanner", in) / b);
        }
    }

private:
    /// Bytes per second of parser `p` on input `in`, or 0 when it did not run.
    double rate(const char* p, const char* in) const
    {
        const auto it = rates_.find(std::string(p) + "/" + in);
        return it == rates_.end() ? 0.0 : it->second;
    }

    std::map<std::string, double> rates_;
    std::map<std::string, bool> medians_;
};

} // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.print_table();
    benchmark::Shutdown();
    return 0;
}
