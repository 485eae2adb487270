// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The text/event-stream parser of the HTML standard (§9.2.6), sans-I/O:
//   input:  handle_bytes() with whatever the transport delivered, any split;
//           handle_eof() when the stream ends (a partial line and an event
//           not yet ended by its blank line are dropped, as the standard says)
//   events: poll_event() -> sse::event
//   state:  reconnection_time() (the last valid `retry:`), last_event_id()
//
// Line ends may be LF, CR or CRLF, even a CRLF split across two reads; one
// leading BOM is skipped; bytes that are not UTF-8 become U+FFFD, as the
// standard's UTF-8 decode does. Lines and events are bounded
// (parser_config): past a limit the parser fails with sse::error and stays
// failed, so a peer cannot grow its memory without end.

#include <strata/config.hpp>
#include <strata/sse/error.hpp>
#include <strata/sse/event.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata::sse {

struct parser_config {
    /// Longest line (field name, colon and value), in bytes. A line is held
    /// whole until its end arrives.
    std::size_t max_line_bytes = 64 * 1024;
    /// Largest event (its data buffer), in bytes.
    std::size_t max_event_bytes = 1024 * 1024;
    /// Events parsed but not yet polled, past which handle_bytes() stops
    /// consuming (it returns less than it was given; poll, then call again).
    /// 0 is taken as 1.
    std::size_t max_queued_events = 1024;
};

class parser {
public:
    explicit parser(parser_config cfg = {});

    /// Consumes bytes; returns how many (less than given only when
    /// max_queued_events events wait to be polled, or on a failure; once
    /// failed, it consumes nothing).
    std::size_t handle_bytes(std::span<const std::byte> in);
    std::size_t handle_bytes(std::string_view in)
    {
        return handle_bytes(std::as_bytes(std::span<const char>(in.data(), in.size())));
    }
    /// The stream ended (§9.2.6: "any pending data must be discarded"): a
    /// line without its line end is dropped unprocessed, and so is an event
    /// without its blank line. Events already queued stay to be polled.
    void handle_eof();

    std::optional<event> poll_event();

    /// The reconnection time the stream asked for with `retry:`, if any.
    std::optional<std::chrono::milliseconds> reconnection_time() const noexcept { return retry_; }
    /// The last event ID string (set when a block ends, §9.2.6): what an
    /// event_source sends as Last-Event-ID when it reconnects.
    const std::string& last_event_id() const noexcept { return dispatched_id_; }
    /// Starts a new stream (a reconnection) keeping the last event ID and
    /// the reconnection time, as an EventSource does. What the old stream
    /// left pending is dropped as by handle_eof(); queued events stay; a
    /// failure is cleared, since it was the old stream's.
    void reset_stream();

    bool failed() const noexcept { return static_cast<bool>(error_); }
    error_code error() const noexcept { return error_; }

private:
    bool process_line(std::string_view line);
    void dispatch();
    void decode(const unsigned char* p, std::size_t n);
    void decode_byte(unsigned char b);
    void end_utf8_sequence();
    void discard_pending();
    bool fail(sse::error e);

    parser_config cfg_;
    std::string line_;          // the line being read, held only while it is split across reads
    std::string data_;          // the data buffer
    std::string type_;          // the event type buffer
    std::string last_event_id_; // the last event ID buffer
    std::string dispatched_id_; // the last event ID string: the buffer as of the last blank line
    std::optional<std::chrono::milliseconds> retry_;
    std::deque<event> events_;
    error_code error_;
    // The Encoding standard's UTF-8 decoder, between reads: the bytes of an
    // unfinished sequence, how many more it needs, and the range its next
    // byte must fall in (narrower after E0, ED, F0, F4).
    unsigned char utf8_seq_[4] = {};
    unsigned char utf8_have_ = 0, utf8_need_ = 0;
    unsigned char utf8_lower_ = 0x80, utf8_upper_ = 0xbf;
    unsigned char bom_seen_ = 0; // bytes of a leading BOM matched so far
    bool bom_done_ = false;      // past the point where a BOM may be
    bool last_was_cr_ = false;   // a line ended with CR: an LF next is part of that line end
};

} // namespace strata::sse
