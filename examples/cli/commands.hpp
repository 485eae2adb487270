// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The subcommands of `strata`. Each takes the whole argv; its own
// arguments start at argv[2]. A new subcommand (sse, ws, ...) is a function
// here, a row in main.cpp's table, and its own .cpp file.

namespace strata_cli {

int get_main(int argc, char** argv);
int serve_main(int argc, char** argv);
int poll_main(int argc, char** argv);
int sse_main(int argc, char** argv);
int ws_main(int argc, char** argv);

} // namespace strata_cli
