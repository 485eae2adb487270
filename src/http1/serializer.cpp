// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http1/serializer.hpp>

namespace strata::http1 {

std::string_view reason_phrase(unsigned status) noexcept
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 102:
        return "Processing";
    case 103:
        return "Early Hints";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 203:
        return "Non-Authoritative Information";
    case 204:
        return "No Content";
    case 205:
        return "Reset Content";
    case 206:
        return "Partial Content";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 407:
        return "Proxy Authentication Required";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 421:
        return "Misdirected Request";
    case 422:
        return "Unprocessable Content";
    case 425:
        return "Too Early";
    case 426:
        return "Upgrade Required";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 451:
        return "Unavailable For Legal Reasons";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "";
    }
}

namespace serializer {

void append(std::vector<char>& out, std::string_view s)
{
    out.insert(out.end(), s.begin(), s.end());
}

void status_line(std::vector<char>& out, unsigned status, std::string_view reason)
{
    const char code[] = {'H',
                         'T',
                         'T',
                         'P',
                         '/',
                         '1',
                         '.',
                         '1',
                         ' ',
                         static_cast<char>('0' + status / 100 % 10),
                         static_cast<char>('0' + status / 10 % 10),
                         static_cast<char>('0' + status % 10),
                         ' '};
    append(out, {code, sizeof code});
    append(out, reason.empty() ? reason_phrase(status) : reason);
    append(out, "\r\n");
}

void request_line(std::vector<char>& out, std::string_view method, std::string_view target, http::version ver)
{
    append(out, method);
    out.push_back(' ');
    append(out, target);
    append(out, ver == http::version::http1_0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
}

void field(std::vector<char>& out, std::string_view name, std::string_view value)
{
    append(out, name);
    append(out, ": ");
    append(out, value);
    append(out, "\r\n");
}

void chunk_size(std::vector<char>& out, std::uint64_t size)
{
    char tmp[18];
    char* p = tmp + 16;
    do {
        *--p = "0123456789abcdef"[size & 0xf];
        size >>= 4;
    } while (size != 0);
    tmp[16] = '\r';
    tmp[17] = '\n';
    append(out, {p, static_cast<std::size_t>(tmp + 18 - p)});
}

} // namespace serializer
} // namespace strata::http1
