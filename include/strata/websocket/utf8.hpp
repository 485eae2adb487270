// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// UTF-8 validation for text messages and close reasons (RFC 6455 §8.1,
// RFC 3629): streaming, so a message is checked piece by piece as it arrives,
// and failing at the first byte that no valid text could continue with (the
// "fail fast" behaviour Autobahn's 6.x cases look for).

#include <strata/config.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace strata::websocket {

class utf8_validator {
public:
    /// Checks the next bytes of the text. False as soon as the bytes seen so
    /// far cannot begin valid UTF-8 (overlong forms, surrogates, code points
    /// past U+10FFFF, stray continuation bytes), also when a sequence is split
    /// across feeds; once false, it stays false until reset().
    bool feed(std::span<const std::byte> bytes) noexcept;
    /// The text ended: true when it was valid and no sequence is left
    /// incomplete. Resets for the next text either way.
    bool finish() noexcept;
    void reset() noexcept;

private:
    std::uint8_t need_ = 0;  ///< continuation bytes still expected
    std::uint8_t lower_ = 0; ///< range of the next continuation byte: narrower after
    std::uint8_t upper_ = 0; ///< E0, ED, F0 and F4 (RFC 3629 §4)
    bool failed_ = false;
};

/// Whether `bytes` is, whole, valid UTF-8.
bool is_valid_utf8(std::span<const std::byte> bytes) noexcept;

} // namespace strata::websocket
