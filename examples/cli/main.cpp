// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// strata: a curl-like client and a demo server built on the library.
// `strata <command> [options]`; each command lives in its own file.

#include "commands.hpp"

#include <openssl/crypto.h>

#include <cstdio>
#include <string_view>
#include <vector>

#ifndef STRATA_CLI_VERSION
#define STRATA_CLI_VERSION "unknown"
#endif

namespace {

struct command {
    std::string_view name;
    std::string_view summary;
    int (*run)(int argc, char** argv);
};

// New subcommands (sse, ws, ...) add a row here and a .cpp file.
constexpr command commands[] = {
    {"get", "send a request and print the response (like curl)", strata_cli::get_main},
    {"serve", "serve files, demo routes, push demos (SSE, long polling) and WebSockets, on h1, h2, h3",
     strata_cli::serve_main},
    {"poll", "short-poll a URL and print each change; --long: long-poll and print each event",
     strata_cli::poll_main},
    {"sse", "print a Server-Sent Events stream, event by event (reconnects, resumes)", strata_cli::sse_main},
    {"ws", "a WebSocket on the terminal: stdin lines out as messages, messages in printed (like websocat)",
     strata_cli::ws_main},
};

// The HTTP versions this build speaks (ALPN ids).
constexpr std::string_view protocols = "http/1.1 h2 h3";

void print_usage(std::FILE* out)
{
    std::fprintf(out, "usage: strata <command> [options]\n       strata URL [options]   (same as strata get; "
                      "strata ws for ws://, wss://)\n\ncommands:\n");
    for (const auto& c : commands)
        std::fprintf(out, "  %-8.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                     static_cast<int>(c.summary.size()), c.summary.data());
    std::fprintf(out,
                 "\n`strata <command> --help` shows a command's options; `strata --version` the build.\n");
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    std::string_view first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        if (argc > 2)
            for (const auto& c : commands)
                if (c.name == argv[2]) {
                    char help[] = "--help";
                    char* sub[] = {argv[0], argv[2], help, nullptr};
                    return c.run(3, sub);
                }
        print_usage(stdout);
        return 0;
    }
    if (first == "--version" || first == "-V") {
        std::printf("strata %s\nprotocols: %.*s\ntls: %s\n", STRATA_CLI_VERSION,
                    static_cast<int>(protocols.size()), protocols.data(), OpenSSL_version(OPENSSL_VERSION));
        return 0;
    }
    for (const auto& c : commands)
        if (c.name == first)
            return c.run(argc, argv);
    if (first.starts_with("http://") || first.starts_with("https://")) {
        // `strata URL ...` reads as `strata get URL ...`: shift the URL to after "get".
        std::vector<char*> shifted{argv[0], const_cast<char*>("get")};
        shifted.insert(shifted.end(), argv + 1, argv + argc);
        shifted.push_back(nullptr);
        return strata_cli::get_main(argc + 1, shifted.data());
    }
    if (first.starts_with("ws://") || first.starts_with("wss://")) {
        std::vector<char*> shifted{argv[0], const_cast<char*>("ws")};
        shifted.insert(shifted.end(), argv + 1, argv + argc);
        shifted.push_back(nullptr);
        return strata_cli::ws_main(argc + 1, shifted.data());
    }
    std::fprintf(stderr, "strata: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
