// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The machine's limit for the SSE fan-out benchmark (load/sse_fanout.sh):
// the least a server can do to deliver the same bytes as
// load/sse_fanout_server.cpp. One thread, epoll; a subscriber costs a file
// descriptor and a few words. Each event is encoded once, as the HTTP/1.1
// chunk the others send, and handed to every subscriber with one write().
// Nothing is queued: a write that would block drops the event for that
// subscriber (counted, and printed at exit). A short write keeps the rest of
// its one event, so the stream stays well-formed, and drops what follows
// until the rest is out.
//
// Same routes as the others: GET /events, POST /start[?rate=R], POST /stop.
// The publish time is CLOCK_MONOTONIC, as steady_clock and process.hrtime.
//
//   sse_c_writer [--port 8095] [--address 127.0.0.1] [--rate 10] [--size 64]

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum kind { k_request, k_subscriber };

// What a subscriber costs besides its socket: these few words. The request
// buffer is given back once the request is read; the rest of a short write
// is kept only while there is one.
struct conn {
    enum kind kind;
    int index;             // in subscribers[], while a subscriber
    unsigned short in_len; // request bytes read so far
    unsigned short rest_len, rest_off;
    char* in;   // the request, while it is read (in_size bytes)
    char* rest; // the unwritten end of one event after a short write
};
enum { in_size = 2048 };

static struct conn** conns; // by file descriptor
static int* subscribers;
static int subscriber_count;
static int max_fds;
static int epfd, timerfd_, listen_fd;
static uint64_t last_id, drops, short_writes;
static uint64_t owed; // events come due and not yet published
static size_t size = 64;

static const char event_stream_head[] = "HTTP/1.1 200 OK\r\n"
                                        "Content-Type: text/event-stream\r\n"
                                        "Cache-Control: no-store\r\n"
                                        "X-Accel-Buffering: no\r\n"
                                        "Transfer-Encoding: chunked\r\n"
                                        "\r\n"
                                        "3\r\n:\n\n\r\n";

static void die(const char* what)
{
    perror(what);
    exit(1);
}

static void drop_conn(int fd)
{
    struct conn* c = conns[fd];
    if (c->kind == k_subscriber) {
        int last = subscribers[--subscriber_count];
        subscribers[c->index] = last;
        conns[last]->index = c->index;
    }
    free(c->in);
    free(c->rest);
    free(c);
    conns[fd] = NULL;
    close(fd);
}

static void answer_and_close(int fd, const char* text)
{
    ssize_t n = write(fd, text, strlen(text));
    (void)n; // a control client that left gets nothing
    drop_conn(fd);
}

// The rest of a short write, when the socket takes more.
static void flush_rest(int fd)
{
    struct conn* c = conns[fd];
    ssize_t n = write(fd, c->rest + c->rest_off, c->rest_len - c->rest_off);
    if (n < 0 && errno != EAGAIN) {
        drop_conn(fd);
        return;
    }
    if (n > 0)
        c->rest_off += (unsigned short)n;
    if (c->rest_off == c->rest_len) {
        c->rest_len = c->rest_off = 0;
        free(c->rest);
        c->rest = NULL;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data = {.fd = fd}};
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
}

static void publish(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    char data[1024];
    int n = snprintf(data, sizeof data, "t=%020lld ", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    while ((size_t)n < size && n < (int)sizeof data - 1)
        data[n++] = 'x';
    data[n] = 0;
    char body[1200];
    int body_len = snprintf(body, sizeof body, "id: %llu\ndata: %s\n\n", (unsigned long long)++last_id, data);
    // Encoded once: the chunk the Node and strata servers send for this event.
    static char chunk[1300];
    int len = snprintf(chunk, sizeof chunk, "%x\r\n%s\r\n", body_len, body);
    for (int i = 0; i < subscriber_count; ++i) {
        int fd = subscribers[i];
        struct conn* c = conns[fd];
        if (c->rest_len) {
            ++drops;
            continue;
        }
        ssize_t w = write(fd, chunk, (size_t)len);
        if (w == len)
            continue;
        if (w < 0) {
            if (errno == EAGAIN)
                ++drops;
            continue; // a dead peer is dropped when epoll reports it
        }
        ++short_writes;
        c->rest_len = (unsigned short)(len - w);
        c->rest_off = 0;
        c->rest = malloc(c->rest_len);
        memcpy(c->rest, chunk + w, c->rest_len);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT, .data = {.fd = fd}};
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
}

static void set_rate(double rate)
{
    struct itimerspec its = {0};
    if (rate > 0) {
        long long period = (long long)(1e9 / rate);
        its.it_interval.tv_sec = period / 1000000000LL;
        its.it_interval.tv_nsec = period % 1000000000LL;
        its.it_value.tv_nsec = 1; // the first event now
    }
    if (timerfd_settime(timerfd_, 0, &its, NULL) != 0)
        die("timerfd_settime");
    owed = 0;
}

static void on_request(int fd, double default_rate)
{
    struct conn* c = conns[fd];
    if (c->in_len >= in_size - 1) {
        drop_conn(fd);
        return;
    }
    ssize_t n = read(fd, c->in + c->in_len, in_size - 1 - c->in_len);
    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            drop_conn(fd);
        return;
    }
    c->in_len += (unsigned short)n;
    c->in[c->in_len] = 0;
    if (!strstr(c->in, "\r\n\r\n"))
        return;
    if (strncmp(c->in, "GET /events ", 12) == 0) {
        ssize_t w = write(fd, event_stream_head, sizeof event_stream_head - 1);
        if (w != (ssize_t)sizeof event_stream_head - 1) {
            drop_conn(fd);
            return;
        }
        free(c->in);
        c->in = NULL;
        c->kind = k_subscriber;
        c->index = subscriber_count;
        subscribers[subscriber_count++] = fd;
    } else if (strncmp(c->in, "POST /start", 11) == 0) {
        double rate = default_rate;
        const char* q = strstr(c->in, "?rate=");
        const char* sp = strchr(c->in + 5, ' ');
        if (q && sp && q < sp)
            rate = strtod(q + 6, NULL);
        if (!(rate > 0)) {
            answer_and_close(fd,
                             "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        set_rate(rate);
        answer_and_close(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    } else if (strncmp(c->in, "POST /stop ", 11) == 0) {
        set_rate(0);
        char id[32], text[160];
        int len = snprintf(id, sizeof id, "%llu\n", (unsigned long long)last_id);
        snprintf(text, sizeof text,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: "
                 "close\r\n\r\n%s",
                 len, id);
        answer_and_close(fd, text);
    } else {
        answer_and_close(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
}

static void on_exit_signal(int sig)
{
    (void)sig;
    char text[160];
    int n =
        snprintf(text, sizeof text, "sse_c_writer: %llu events, %llu drops, %llu short writes\n",
                 (unsigned long long)last_id, (unsigned long long)drops, (unsigned long long)short_writes);
    ssize_t w = write(2, text, (size_t)n);
    (void)w;
    _exit(0);
}

int main(int argc, char** argv)
{
    const char* address = "127.0.0.1";
    int port = 8095;
    double rate = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--address") == 0)
            address = argv[i + 1];
        else if (strcmp(argv[i], "--rate") == 0)
            rate = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--size") == 0)
            size = strtoul(argv[i + 1], NULL, 10);
        else
            argc = 0;
    }
    if (argc % 2 != 1 || !(rate > 0)) {
        fprintf(stderr,
                "usage: sse_c_writer [--port 8095] [--address 127.0.0.1] [--rate EVENTS/S] [--size BYTES]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_exit_signal);
    signal(SIGINT, on_exit_signal);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    max_fds = (int)rl.rlim_cur;
    conns = calloc((size_t)max_fds, sizeof *conns);
    subscribers = calloc((size_t)max_fds, sizeof *subscribers);

    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (inet_pton(AF_INET, address, &sa.sin_addr) != 1)
        die("inet_pton");
    if (bind(listen_fd, (struct sockaddr*)&sa, sizeof sa) != 0)
        die("bind");
    if (listen(listen_fd, 4096) != 0)
        die("listen");
    epfd = epoll_create1(0);
    timerfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = listen_fd}};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
    ev.data.fd = timerfd_;
    epoll_ctl(epfd, EPOLL_CTL_ADD, timerfd_, &ev);
    printf("c listening on http://%s:%d\n", address, port);
    fflush(stdout);

    struct epoll_event events[512];
    for (;;) {
        // Behind schedule, one event per turn of the loop: requests (a
        // /stop) are still answered between two events.
        if (owed > 0) {
            --owed;
            publish();
        }
        int n = epoll_wait(epfd, events, 512, owed > 0 ? 0 : -1);
        if (n < 0 && errno == EINTR)
            continue;
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listen_fd) {
                for (;;) {
                    int s = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
                    if (s < 0)
                        break;
                    if (s >= max_fds) {
                        close(s);
                        continue;
                    }
                    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[s] = calloc(1, sizeof(struct conn));
                    conns[s]->kind = k_request;
                    conns[s]->in = malloc(in_size);
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data = {.fd = s}};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, s, &cev);
                }
            } else if (fd == timerfd_) {
                uint64_t due = 0;
                if (read(timerfd_, &due, sizeof due) == sizeof due)
                    owed += due;
            } else if (conns[fd]) {
                if (conns[fd]->kind == k_request) {
                    on_request(fd, rate);
                } else if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                    char sink[512];
                    ssize_t r = read(fd, sink, sizeof sink);
                    if (r == 0 || (r < 0 && errno != EAGAIN))
                        drop_conn(fd);
                } else if (events[i].events & EPOLLOUT) {
                    flush_rest(fd);
                }
            }
        }
    }
}
