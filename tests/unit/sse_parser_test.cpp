// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// The text/event-stream parser against the HTML standard §9.2.5-§9.2.6.
#include <strata/sse/parser.hpp>

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace strata;
using namespace std::string_literals;
using std::chrono::milliseconds;

struct ev {
    std::string type, data, id;
    bool operator==(const ev&) const = default;
};

void PrintTo(const ev& e, std::ostream* os)
{
    *os << "{type " << testing::PrintToString(e.type) << ", data " << testing::PrintToString(e.data)
        << ", id " << testing::PrintToString(e.id) << "}";
}

ev msg(std::string data, std::string id = {})
{
    return {"message", std::move(data), std::move(id)};
}

void drain(sse::parser& p, std::vector<ev>& out)
{
    while (auto e = p.poll_event())
        out.push_back({std::move(e->type), std::move(e->data), std::move(e->last_event_id)});
}

/// Feeds one read, polling whenever the parser pauses on its queue limit, as
/// a driver does.
void feed(sse::parser& p, std::string_view s, std::vector<ev>& out)
{
    while (!s.empty()) {
        const std::size_t n = p.handle_bytes(s);
        ASSERT_LE(n, s.size());
        s.remove_prefix(n);
        const std::size_t before = out.size();
        drain(p, out);
        if (n == 0 && out.size() == before)
            return; // failed
    }
    drain(p, out);
}

std::vector<ev> parse_pieces(const std::vector<std::string_view>& pieces, sse::parser_config cfg = {})
{
    sse::parser p(cfg);
    std::vector<ev> out;
    for (auto s : pieces)
        feed(p, s, out);
    p.handle_eof();
    drain(p, out);
    return out;
}

std::vector<ev> parse(std::string_view s, sse::parser_config cfg = {})
{
    return parse_pieces({s}, cfg);
}

/// The data of the only event `s` gives.
std::string data_of(std::string_view s)
{
    const auto events = parse(s);
    EXPECT_EQ(events.size(), 1u) << testing::PrintToString(std::string(s));
    return events.empty() ? "<none>" : events.front().data;
}

const std::string fffd = "\xef\xbf\xbd";

// --- The standard's own examples (§9.2.1, §9.2.6) -----------------------------

TEST(SseParser, SpecStockQuoteDataLinesJoinWithLf)
{
    // §9.2.6: "would cause an event message ... The event's data attribute
    // would contain the string "YHOO\n+2\n10"".
    EXPECT_EQ(parse("data: YHOO\n"
                    "data: +2\n"
                    "data: 10\n"
                    "\n"),
              std::vector<ev>{msg("YHOO\n+2\n10")});
}

TEST(SseParser, SpecIntroductionMessages)
{
    // §9.2.1: three messages, the second of two lines.
    EXPECT_EQ(parse("data: This is the first message.\n"
                    "\n"
                    "data: This is the second message, it\n"
                    "data: has two lines.\n"
                    "\n"
                    "data: This is the third message.\n"
                    "\n"),
              (std::vector<ev>{msg("This is the first message."),
                               msg("This is the second message, it\nhas two lines."),
                               msg("This is the third message.")}));
}

TEST(SseParser, SpecEventTypesAddAndRemove)
{
    // §9.2.1: "a stream that has two event types, "add" and "remove"".
    EXPECT_EQ(parse("event: add\n"
                    "data: 73857293\n"
                    "\n"
                    "event: remove\n"
                    "data: 2153\n"
                    "\n"
                    "event: add\n"
                    "data: 113411\n"
                    "\n"),
              (std::vector<ev>{{"add", "73857293", ""}, {"remove", "2153", ""}, {"add", "113411", ""}}));
}

TEST(SseParser, SpecFourBlocksCommentIdAndLeadingSpace)
{
    // §9.2.6: the comment block fires nothing; "id: 1" sets the last event
    // ID for the event of its own block; a bare "id" resets it to empty; of
    // "data:  third event" one space is removed, the other kept.
    sse::parser p;
    std::vector<ev> out;
    feed(p,
         ": test stream\n"
         "\n"
         "data: first event\n"
         "id: 1\n"
         "\n"
         "data:second event\n"
         "id\n"
         "\n"
         "data:  third event\n"
         "\n",
         out);
    EXPECT_EQ(out,
              (std::vector<ev>{msg("first event", "1"), msg("second event", ""), msg(" third event", "")}));
    EXPECT_EQ(p.last_event_id(), "");
}

TEST(SseParser, SpecEmptyDataAndUnterminatedLastBlock)
{
    // §9.2.6: the first block fires "", the middle one "\n"; the last is
    // discarded because no blank line follows it.
    EXPECT_EQ(parse("data\n"
                    "\n"
                    "data\n"
                    "data\n"
                    "\n"
                    "data:"),
              (std::vector<ev>{msg(""), msg("\n")}));
}

TEST(SseParser, SpecSpaceAfterColonIsOptional)
{
    // §9.2.6: "fires two identical events".
    EXPECT_EQ(parse("data:test\n"
                    "\n"
                    "data: test\n"
                    "\n"),
              (std::vector<ev>{msg("test"), msg("test")}));
}

// --- Splits: the parser's output does not depend on how reads are cut ----------

const std::vector<std::string> split_streams = {
    "\xef\xbb\xbf: comment\r\n"
    "id: 7\r\n"
    "event: t\xc3\xa9st\r\n"
    "data: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\r\n"
    "data:\r\n"
    "retry: 2500\r\n"
    "\r\n"
    "data: bad \xe2\x82 \xff \xf0\x9f\x98\r"
    "\r"
    "data: x\n"
    "id: 8\x00x\n"s
    "\n"
    "data: unterminated",
    "data:a\rdata:b\r\ndata:c\n\r\n\r\r\ndata:  d\n\n:\n\nfield\ndata\n\nretry: 1a\nretry:9\n\n",
};

std::vector<ev> events_of(const std::string& s, sse::parser& p)
{
    std::vector<ev> out;
    feed(p, s, out);
    p.handle_eof();
    drain(p, out);
    return out;
}

TEST(SseParser, EverySplitGivesTheSameEvents)
{
    for (const auto& s : split_streams) {
        sse::parser whole_parser;
        const auto whole = events_of(s, whole_parser);
        ASSERT_FALSE(whole.empty());

        // Byte by byte.
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < s.size(); ++i)
            bytes.push_back(std::string_view(s).substr(i, 1));
        EXPECT_EQ(parse_pieces(bytes), whole);

        // Every two-way and three-way cut, with the state left behind.
        const std::string_view v = s;
        for (std::size_t a = 0; a <= v.size(); ++a) {
            for (std::size_t b = a; b <= v.size(); b += (a % 7 == 0 ? 1 : 13)) {
                sse::parser p;
                std::vector<ev> out;
                feed(p, v.substr(0, a), out);
                feed(p, v.substr(a, b - a), out);
                feed(p, v.substr(b), out);
                EXPECT_EQ(p.last_event_id(), whole_parser.last_event_id()) << a << "/" << b;
                EXPECT_EQ(p.reconnection_time(), whole_parser.reconnection_time()) << a << "/" << b;
                p.handle_eof();
                drain(p, out);
                ASSERT_EQ(out, whole) << "cut at " << a << " and " << b;
            }
        }
    }
}

TEST(SseParser, SplitStreamsGiveWhatTheStandardSays)
{
    sse::parser p;
    EXPECT_EQ(events_of(split_streams[0], p),
              (std::vector<ev>{{"t\xc3\xa9st", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", "7"},
                               msg("bad " + fffd + " " + fffd + " " + fffd, "7"),
                               msg("x", "7")}));
    EXPECT_EQ(p.reconnection_time(), milliseconds(2500));

    sse::parser q;
    EXPECT_EQ(events_of(split_streams[1], q), (std::vector<ev>{msg("a\nb\nc"), msg(" d"), msg("")}));
    EXPECT_EQ(q.reconnection_time(), milliseconds(9));
}

// --- Line ends ----------------------------------------------------------------

TEST(SseParser, LfCrAndCrlfAreEachOneLineEnd)
{
    const auto expected = std::vector<ev>{msg("a\nb"), msg("c")};
    EXPECT_EQ(parse("data: a\ndata: b\n\ndata: c\n\n"), expected);
    EXPECT_EQ(parse("data: a\rdata: b\r\rdata: c\r\r"), expected);
    EXPECT_EQ(parse("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"), expected);
    EXPECT_EQ(parse("data: a\rdata: b\n\r\ndata: c\r\n\r"), expected);
    // LF CR is two line ends, hence a blank line; CR LF is one.
    EXPECT_EQ(parse("data: a\n\rdata: b\r\n"), std::vector<ev>{msg("a")});
}

TEST(SseParser, CrlfSplitAcrossReadsIsOneLineEnd)
{
    // Were the LF taken as a second line end, "data: a" would dispatch alone.
    EXPECT_EQ(parse_pieces({"data: a\r", "\ndata: b\r", "\n\r", "\n"}), std::vector<ev>{msg("a\nb")});
    // The CR of the blank line ends a read; the LF after it is not a new blank line.
    EXPECT_EQ(parse_pieces({"data: a\r\n\r", "\n", "data: b\r\n\r\n"}),
              (std::vector<ev>{msg("a"), msg("b")}));
    // A CR followed by anything but LF ends its line alone; an empty read
    // in between changes nothing.
    EXPECT_EQ(parse_pieces({"data: a\r", "data: b\r", "", "\r"}), std::vector<ev>{msg("a\nb")});
}

TEST(SseParser, ConsumesEverythingWithoutALineEnd)
{
    sse::parser p;
    EXPECT_EQ(p.handle_bytes("data: no end yet"), 16u);
    EXPECT_EQ(p.handle_bytes(" still"), 6u);
    EXPECT_EQ(p.handle_bytes("\n\n"), 2u);
    auto e = p.poll_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, "no end yet still");
    EXPECT_FALSE(p.poll_event());
}

// --- Byte order mark and UTF-8 --------------------------------------------------

TEST(SseParser, OneLeadingBomIsSkipped)
{
    EXPECT_EQ(parse("\xef\xbb\xbf"
                    "data: x\n\n"),
              std::vector<ev>{msg("x")});
    EXPECT_EQ(parse_pieces({"\xef", "\xbb", "\xbf", "data: x\n\n"}), std::vector<ev>{msg("x")});
    EXPECT_EQ(parse_pieces({"\xef\xbb",
                            "\xbf"
                            "da",
                            "ta: x\n\n"}),
              std::vector<ev>{msg("x")});
}

TEST(SseParser, OnlyTheFirstBomIsSkipped)
{
    // A second BOM is U+FEFF in the field name "\uFEFFdata", an unknown field.
    EXPECT_EQ(parse("\xef\xbb\xbf\xef\xbb\xbf"
                    "data: x\n\n"),
              std::vector<ev>{});
    // Elsewhere it is ordinary text.
    EXPECT_EQ(data_of("data: \xef\xbb\xbfx\n\n"), "\xef\xbb\xbfx");
    EXPECT_EQ(data_of("data: x\n\n\xef\xbb\xbf"), "x");
}

TEST(SseParser, BytesThatOnlyBeginLikeABomAreDecoded)
{
    // EF BB then 'd' is a truncated sequence: U+FFFD, then "data" follows,
    // so the field is "\uFFFDdata" and is ignored.
    EXPECT_EQ(parse("\xef\xbb"
                    "data: x\n\n"),
              std::vector<ev>{});
    EXPECT_EQ(parse("\xef\xbb\n"
                    "data: x\n\n"),
              std::vector<ev>{msg("x")});
    // A lone EF before a comment colon: the line is "\uFFFD:", a field named
    // U+FFFD, ignored; and the BOM check is over.
    EXPECT_EQ(parse_pieces({"\xef", ":\n\xef\xbb\xbf"
                                    "data: x\n\n"}),
              std::vector<ev>{});
}

TEST(SseParser, InvalidUtf8BecomesReplacementCharacters)
{
    struct row {
        std::string in, out;
    };
    // Encoding standard §8.1.1: one U+FFFD per maximal invalid subpart.
    const std::vector<row> table = {
        {"\xe2\x82\xac", "\xe2\x82\xac"},                // valid: EURO SIGN
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},        // valid: four bytes
        {"\x80", fffd},                                  // a lone continuation byte
        {"\xff", fffd},                                  // never valid
        {"\xc3", fffd},                                  // truncated by the line end
        {"\xc3(", fffd + "("},                           // the breaking byte is read afresh
        {"\xe2\x82x", fffd + "x"},                       // one U+FFFD for the two-byte prefix
        {"\xf0\x9f\x98", fffd},                          // truncated four-byte sequence
        {"\xc0\xaf", fffd + fffd},                       // overlong: C0 is never a lead
        {"\xe0\x80\x80", fffd + fffd + fffd},            // overlong: E0 needs A0-BF next
        {"\xed\xa0\x80", fffd + fffd + fffd},            // a surrogate
        {"\xf4\x90\x80\x80", fffd + fffd + fffd + fffd}, // past U+10FFFF
        {"a\xe2\x82\xac\x80z", "a\xe2\x82\xac" + fffd + "z"},
    };
    for (const auto& r : table)
        EXPECT_EQ(data_of("data: " + r.in + "\n\n"), r.out) << testing::PrintToString(r.in);
}

TEST(SseParser, Utf8SequenceSplitAcrossReads)
{
    EXPECT_EQ(parse_pieces({"data: \xf0", "\x9f", "\x98", "\x80\n\n"}),
              std::vector<ev>{msg("\xf0\x9f\x98\x80")});
    // Cut short at the end of a read and then by a line end in the next.
    EXPECT_EQ(parse_pieces({"data: \xf0\x9f", "\n\n"}), std::vector<ev>{msg(fffd)});
    // An invalid byte in the next read ends the sequence; then it is read afresh.
    EXPECT_EQ(parse_pieces({"data: \xe2", "\xffz\n\n"}), std::vector<ev>{msg(fffd + fffd + "z")});
}

// --- Fields -----------------------------------------------------------------

TEST(SseParser, FieldNameEndsAtTheFirstColonAndOneSpaceIsRemoved)
{
    EXPECT_EQ(data_of("data: a: b\n\n"), "a: b");
    EXPECT_EQ(data_of("data::x\n\n"), ":x");
    EXPECT_EQ(data_of("data:   x \n\n"), "  x ");
    EXPECT_EQ(data_of("data:\tx\n\n"), "\tx"); // only a space is removed
    EXPECT_EQ(data_of("data: \n\n"), "");
}

TEST(SseParser, FieldWithoutColonHasEmptyValue)
{
    EXPECT_EQ(parse("event: t\nevent\ndata\n\n"), std::vector<ev>{msg("")});
    sse::parser p;
    std::vector<ev> out;
    feed(p, "id: 3\n\nid\n", out);
    EXPECT_EQ(p.last_event_id(), "3"); // the empty id counts once its block ends
    feed(p, "\n", out);
    EXPECT_EQ(p.last_event_id(), "");
    EXPECT_TRUE(out.empty());
}

TEST(SseParser, UnknownFieldsAndCommentsAreIgnored)
{
    // Field names are compared exactly: "Data" and "data " are not "data".
    EXPECT_EQ(parse(": comment\n"
                    ":\n"
                    "foo: bar\n"
                    "Data: no\n"
                    "data : no\n"
                    " data: no\n"
                    "data: yes\n"
                    ": another\n"
                    "\n"),
              std::vector<ev>{msg("yes")});
}

TEST(SseParser, EventTypeAppliesToOneEvent)
{
    EXPECT_EQ(parse("event: a\ndata: 1\n\ndata: 2\n\n"), (std::vector<ev>{{"a", "1", ""}, msg("2")}));
    // A blank line with no data dispatches nothing but still clears the type.
    EXPECT_EQ(parse("event: a\n\ndata: 2\n\n"), std::vector<ev>{msg("2")});
    // The last event field wins; an empty one means "message".
    EXPECT_EQ(parse("event: a\nevent: b\ndata: 1\n\n"), (std::vector<ev>{{"b", "1", ""}}));
    EXPECT_EQ(parse("event: a\nevent:\ndata: 1\n\n"), std::vector<ev>{msg("1")});
}

TEST(SseParser, LastEventIdPersistsAcrossEvents)
{
    sse::parser p;
    std::vector<ev> out;
    feed(p, "id: 1\ndata: a\n\ndata: b\n\nid: 2\n\n", out);
    EXPECT_EQ(out, (std::vector<ev>{msg("a", "1"), msg("b", "1")}));
    // An id with no data dispatches nothing but is kept.
    EXPECT_EQ(p.last_event_id(), "2");
}

TEST(SseParser, IdContainingNulIsIgnored)
{
    sse::parser p;
    std::vector<ev> out;
    feed(p, "id: 1\ndata: a\n\nid: 2\0003\ndata: b\n\n"s, out);
    EXPECT_EQ(out, (std::vector<ev>{msg("a", "1"), msg("b", "1")}));
    EXPECT_EQ(p.last_event_id(), "1");
    // NUL is fine in data and in the event type.
    EXPECT_EQ(parse("event: x\0y\ndata: a\0b\n\n"s), (std::vector<ev>{{"x\0y"s, "a\0b"s, ""}}));
}

TEST(SseParser, RetryTakesOnlyAsciiDigits)
{
    auto retry_of = [](std::string_view s) {
        sse::parser p;
        std::vector<ev> out;
        feed(p, s, out);
        EXPECT_TRUE(out.empty());
        return p.reconnection_time();
    };
    EXPECT_EQ(retry_of("retry: 1500\n"), milliseconds(1500));
    EXPECT_EQ(retry_of("retry:0\n"), milliseconds(0));
    EXPECT_EQ(retry_of("retry: 007\n"), milliseconds(7));
    EXPECT_EQ(retry_of("retry: 10\nretry: 20\n"), milliseconds(20));
    // "Otherwise, ignore the field": the earlier value stays.
    EXPECT_EQ(retry_of("retry: 10\nretry: 1a\n"), milliseconds(10));
    EXPECT_EQ(retry_of("retry: 10\nretry:\n"), milliseconds(10)); // empty is not "only ASCII digits"
    EXPECT_EQ(retry_of("retry: 10\nretry\n"), milliseconds(10));
    EXPECT_EQ(retry_of("retry: -5\n"), std::nullopt);
    EXPECT_EQ(retry_of("retry: +5\n"), std::nullopt);
    EXPECT_EQ(retry_of("retry: 1.5\n"), std::nullopt);
    EXPECT_EQ(retry_of("retry:  15\n"), std::nullopt); // the second space stays in the value
    EXPECT_EQ(retry_of("retry: 15 \n"), std::nullopt);
    EXPECT_EQ(retry_of("retry: \xd9\xa3\n"), std::nullopt); // ARABIC-INDIC DIGIT THREE
    // Too large for milliseconds: ignored, not wrapped.
    EXPECT_EQ(retry_of("retry: 9223372036854775807\n"), milliseconds(9223372036854775807));
    EXPECT_EQ(retry_of("retry: 9223372036854775808\n"), std::nullopt);
    EXPECT_EQ(retry_of("retry: 99999999999999999999999\n"), std::nullopt);
    // A retry field does not dispatch, nor end, an event.
    EXPECT_EQ(parse("data: a\nretry: 5\ndata: b\n\n"), std::vector<ev>{msg("a\nb")});
}

// --- End of stream and reconnection -----------------------------------------------

TEST(SseParser, EndOfStreamDropsThePendingEventAndLine)
{
    EXPECT_EQ(parse("data: a\n"), std::vector<ev>{});
    EXPECT_EQ(parse("data: a\n\ndata: b\n"), std::vector<ev>{msg("a")});
    EXPECT_EQ(parse("data: a\n\ndata: b"), std::vector<ev>{msg("a")});

    // The unterminated line is not processed at all: its id is not taken.
    sse::parser p;
    std::vector<ev> out;
    feed(p, "id: 1\n\nid: 2", out);
    p.handle_eof();
    EXPECT_EQ(p.last_event_id(), "1");
    EXPECT_TRUE(out.empty());
}

TEST(SseParser, EventsQueuedBeforeTheEndStay)
{
    sse::parser p;
    EXPECT_EQ(p.handle_bytes("data: a\n\ndata: b\n\ndata: c\n"), 26u);
    p.handle_eof();
    ASSERT_EQ(p.poll_event()->data, "a");
    ASSERT_EQ(p.poll_event()->data, "b");
    EXPECT_FALSE(p.poll_event());
}

TEST(SseParser, ResetStreamKeepsLastEventIdAndReconnectionTime)
{
    sse::parser p;
    std::vector<ev> out;
    feed(p, "retry: 3000\nid: 41\ndata: a\n\n", out);
    ASSERT_EQ(out, std::vector<ev>{msg("a", "41")});
    // An event left queued, then a half-read event ending in half a UTF-8 sequence.
    const std::string_view rest = "data: queued\n\nid: 42\ndata: partial\nevent: lost\ndata: \xe2\x82";
    ASSERT_EQ(p.handle_bytes(rest), rest.size());

    p.reset_stream();
    // Event 42 never ended: its id went with it, so a reconnection asks for
    // what follows 41 and gets 42 again.
    EXPECT_EQ(p.last_event_id(), "41");
    EXPECT_EQ(p.reconnection_time(), milliseconds(3000));
    // The new stream may start with its own BOM; the old stream's data, type
    // and unfinished UTF-8 sequence are gone; the queued event is not.
    feed(p,
         "\xef\xbb\xbf"
         "data: b\n\n",
         out);
    EXPECT_EQ(out, (std::vector<ev>{msg("a", "41"), msg("queued", "41"), msg("b", "41")}));
}

// --- Limits ------------------------------------------------------------------

TEST(SseParser, LineLongerThanTheLimitFails)
{
    const sse::parser_config cfg{.max_line_bytes = 10, .max_event_bytes = 1024, .max_queued_events = 16};
    // "data: 1234" is 10 bytes: allowed.
    EXPECT_EQ(parse("data: 1234\n\n", cfg), std::vector<ev>{msg("1234")});

    sse::parser p(cfg);
    std::vector<ev> out;
    feed(p, "data: ok\n\ndata: 12345\n\ndata: never\n\n", out);
    EXPECT_TRUE(p.failed());
    EXPECT_EQ(p.error(), sse::error::line_too_long);
    EXPECT_EQ(out, std::vector<ev>{msg("ok")});

    // A line is refused as soon as it is too long, before its end arrives.
    sse::parser q(cfg);
    EXPECT_EQ(q.handle_bytes("data: 1234"), 10u);
    EXPECT_FALSE(q.failed());
    q.handle_bytes("5");
    EXPECT_EQ(q.error(), sse::error::line_too_long);

    // Replacement characters count as the three bytes they become.
    sse::parser r(cfg);
    r.handle_bytes("data: \xff\xff\n");
    EXPECT_EQ(r.error(), sse::error::line_too_long);
}

TEST(SseParser, LineLimitHoldsWhateverTheSplit)
{
    const sse::parser_config cfg{.max_line_bytes = 10, .max_event_bytes = 1024, .max_queued_events = 16};
    const std::string s = "data: 12345\n\n";
    for (std::size_t a = 0; a <= s.size(); ++a) {
        sse::parser p(cfg);
        std::vector<ev> out;
        feed(p, std::string_view(s).substr(0, a), out);
        feed(p, std::string_view(s).substr(a), out);
        EXPECT_EQ(p.error(), sse::error::line_too_long) << a;
        EXPECT_TRUE(out.empty());
    }
}

TEST(SseParser, EventLargerThanTheLimitFails)
{
    const sse::parser_config cfg{.max_line_bytes = 1024, .max_event_bytes = 5, .max_queued_events = 16};
    // "12\n34" is 5 bytes: the LF dropped at dispatch does not count.
    EXPECT_EQ(parse("data: 12\ndata: 34\n\n", cfg), std::vector<ev>{msg("12\n34")});

    sse::parser p(cfg);
    std::vector<ev> out;
    feed(p, "data: 12345\n\ndata: 123\ndata: 45\n\n", out);
    EXPECT_EQ(p.error(), sse::error::event_too_large);
    EXPECT_EQ(out, std::vector<ev>{msg("12345")});
}

TEST(SseParser, AfterAFailureNothingIsConsumed)
{
    const sse::parser_config cfg{.max_line_bytes = 8, .max_event_bytes = 1024, .max_queued_events = 16};
    sse::parser p(cfg);
    p.handle_bytes("data: 123456789\n");
    ASSERT_TRUE(p.failed());
    EXPECT_EQ(p.handle_bytes("data: a\n\n"), 0u);
    EXPECT_EQ(p.handle_bytes(""), 0u);
    p.handle_eof();
    EXPECT_TRUE(p.failed());
    EXPECT_FALSE(p.poll_event());

    // A new stream starts clean.
    p.reset_stream();
    EXPECT_FALSE(p.failed());
    EXPECT_EQ(p.handle_bytes("data: a\n\n"), 9u);
    EXPECT_EQ(p.poll_event()->data, "a");
}

TEST(SseParser, QueueLimitPausesUntilPolled)
{
    const sse::parser_config cfg{.max_line_bytes = 64, .max_event_bytes = 64, .max_queued_events = 2};
    const std::string s = "data: 1\n\ndata: 2\r\n\r\ndata: 3\r\rdata: 4\n\ndata: 5\n\n";
    sse::parser p(cfg);
    // Stops right after the blank line that queued the second event.
    const std::size_t first = p.handle_bytes(s);
    EXPECT_EQ(first, std::string("data: 1\n\ndata: 2\r\n\r").size());
    EXPECT_EQ(p.handle_bytes(std::string_view(s).substr(first)), 0u); // still full
    EXPECT_EQ(p.poll_event()->data, "1");

    // One slot free: the LF of the CRLF is skipped, then one more event.
    const std::size_t second = p.handle_bytes(std::string_view(s).substr(first));
    EXPECT_EQ(first + second, std::string("data: 1\n\ndata: 2\r\n\r\ndata: 3\r\r").size());

    std::vector<ev> out;
    drain(p, out);
    feed(p, std::string_view(s).substr(first + second), out);
    EXPECT_EQ(out, (std::vector<ev>{msg("2"), msg("3"), msg("4"), msg("5")}));
    EXPECT_FALSE(p.failed());

    // The same events, whatever the limit.
    for (std::size_t limit : {0, 1, 3, 100})
        EXPECT_EQ(parse(s, {.max_line_bytes = 64, .max_event_bytes = 64, .max_queued_events = limit}),
                  (std::vector<ev>{msg("1"), msg("2"), msg("3"), msg("4"), msg("5")}));
}

TEST(SseParser, ManyEventsInOneRead)
{
    std::string s;
    std::vector<ev> expected;
    for (int i = 0; i < 5000; ++i) {
        s += "id: " + std::to_string(i) + "\ndata: event " + std::to_string(i) + "\n\n";
        expected.push_back(msg("event " + std::to_string(i), std::to_string(i)));
    }
    EXPECT_EQ(parse(s), expected);
}

} // namespace
