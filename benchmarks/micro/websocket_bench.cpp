// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The WebSocket codec's hot loops, each in bytes per second:
//
//   mask/apply_mask       websocket::apply_mask (16 bytes a step) on 64 B, 16 KiB, 1 MiB
//   mask/byte_loop        the obvious loop, one byte and one key lookup at a time
//   utf8/ascii, utf8/mixed  utf8_validator over 1 MiB of ASCII, and of text
//                         mixing 1- to 4-byte characters
//   read/64, read/16384   connection::read() in server role over 1 MiB of
//                         masked frames: header checks, unmasking in place,
//                         UTF-8 checks (text); items are messages
//
// After the benchmarks a line gives apply_mask's speed-up over the byte loop.

#include <strata/config.hpp>
#include <strata/websocket/connection.hpp>
#include <strata/websocket/frame.hpp>
#include <strata/websocket/utf8.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

namespace ws = strata::websocket;

const ws::mask_key key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};

// ---- masking -----------------------------------------------------------------------

void byte_loop_mask(std::span<std::byte> data, ws::mask_key k, std::size_t offset)
{
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] ^= k[(offset + i) & 3];
}

template <void (*Mask)(std::span<std::byte>, ws::mask_key, std::size_t)>
void mask_bench(benchmark::State& state)
{
    std::vector<std::byte> buf(static_cast<std::size_t>(state.range(0)), std::byte{0x55});
    for (auto _ : state) {
        Mask(buf, key, 1);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void mask_apply_mask(benchmark::State& s)
{
    mask_bench<ws::apply_mask>(s);
}
void mask_byte_loop(benchmark::State& s)
{
    mask_bench<byte_loop_mask>(s);
}
BENCHMARK(mask_apply_mask)->Name("mask/apply_mask")->Arg(64)->Arg(16 << 10)->Arg(1 << 20);
BENCHMARK(mask_byte_loop)->Name("mask/byte_loop")->Arg(64)->Arg(16 << 10)->Arg(1 << 20);

// ---- UTF-8 ---------------------------------------------------------------------------

std::string mixed_text(std::size_t n)
{
    // Latin with accents, Greek, CJK, emoji: roughly a third of the bytes ASCII.
    static const char* const words[] = {"caf\xc3\xa9 ",
                                        "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 ",
                                        "\xe6\x97\xa5\xe6\x9c\xac ",
                                        "\xf0\x9f\x98\x80 ",
                                        "plain words ",
                                        "\xe2\x82\xac ",
                                        "100 "};
    constexpr std::size_t count = sizeof words / sizeof words[0];
    std::string s;
    for (std::size_t i = 0; s.size() < n; ++i)
        s += words[(i * 5) % count];
    while (!ws::is_valid_utf8(std::as_bytes(std::span<const char>(s.data(), s.size()))))
        s.pop_back();
    return s;
}

void utf8_bench(benchmark::State& state, const std::string& text)
{
    const auto bytes = std::as_bytes(std::span<const char>(text.data(), text.size()));
    for (auto _ : state) {
        ws::utf8_validator v;
        const bool ok = v.feed(bytes) && v.finish();
        benchmark::DoNotOptimize(ok);
        if (!ok)
            state.SkipWithError("text not valid");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void utf8_ascii(benchmark::State& s)
{
    static const std::string text(1 << 20, 'a');
    utf8_bench(s, text);
}
void utf8_mixed(benchmark::State& s)
{
    static const std::string text = mixed_text(1 << 20);
    utf8_bench(s, text);
}
BENCHMARK(utf8_ascii)->Name("utf8/ascii");
BENCHMARK(utf8_mixed)->Name("utf8/mixed");

// ---- parsing ---------------------------------------------------------------------------

/// About 1 MiB of masked text frames of `size` bytes each, as a client sends them.
std::vector<std::byte> client_frames(std::size_t size, std::size_t& count)
{
    ws::config cfg;
    cfg.mask_key_source = [] { return key; };
    ws::connection client{ws::role::client, cfg};
    const std::string payload(size, 'x');
    strata::error_code ec;
    std::vector<std::byte> wire;
    count = 0;
    while (wire.size() < (1u << 20)) {
        client.write_message(ws::message_type::text, std::as_bytes(std::span<const char>(payload)), true, ec);
        for (const auto& b : client.output()) {
            const auto* p = static_cast<const std::byte*>(b.data());
            wire.insert(wire.end(), p, p + b.size());
        }
        client.output_written();
        ++count;
    }
    return wire;
}

void read_bench(benchmark::State& state)
{
    std::size_t count = 0;
    const auto pristine = client_frames(static_cast<std::size_t>(state.range(0)), count);
    auto buf = pristine;
    ws::connection server{ws::role::server, {}};
    for (auto _ : state) {
        // Unmasking is in place: put the masked bytes back, untimed.
        state.PauseTiming();
        std::memcpy(buf.data(), pristine.data(), buf.size());
        state.ResumeTiming();
        std::size_t pos = 0, messages = 0;
        while (pos < buf.size()) {
            auto r = server.read(std::span<std::byte>(buf.data() + pos, buf.size() - pos));
            pos += r.consumed;
            if (r.ev && std::get<ws::connection::message_data>(*r.ev).last)
                ++messages;
            if (r.ec || (!r.ev && r.consumed == 0))
                break;
        }
        if (messages != count)
            state.SkipWithError("messages lost");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * pristine.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
}
BENCHMARK(read_bench)->Name("read")->Arg(64)->Arg(16 << 10);

// ---- the ratio line ------------------------------------------------------------------

class ratio_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.error_occurred || (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median"))
                continue;
            const auto it = r.counters.find("bytes_per_second");
            if (it != r.counters.end())
                rates_[r.run_name.str()] = it->second.value;
        }
    }

    void print_ratios() const
    {
        std::printf("\napply_mask / byte loop, GB/s (10^9 bytes/s):\n");
        for (const char* size : {"64", "16384", "1048576"}) {
            const auto a = rates_.find(std::string("mask/apply_mask/") + size);
            const auto b = rates_.find(std::string("mask/byte_loop/") + size);
            if (a == rates_.end() || b == rates_.end() || b->second <= 0)
                continue;
            std::printf("  %8s B  %6.2f vs %6.2f  (%.1fx)\n", size, a->second / 1e9, b->second / 1e9,
                        a->second / b->second);
        }
    }

private:
    std::map<std::string, double> rates_;
};

} // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.print_ratios();
    benchmark::Shutdown();
    return 0;
}
