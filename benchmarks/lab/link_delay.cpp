// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// strata_lab_delay: the one-way delay of the protocol lab's emulated path
// (benchmarks/lab/path.sh). This kernel has no netem, so the router
// namespace sends every forwarded packet to an NFQUEUE and this program
// gives each its NF_ACCEPT verdict at receive time + the queue's delay.
//
//   strata_lab_delay --queue NUM:DELAY_US [--queue NUM:DELAY_US ...]
//                    [--stats FILE] [--spin-us MAX] [--sched-fifo PRIO]
//                    [--cpu N] [--maxlen N] [--rcvbuf BYTES]
//
// Design, and why:
// - Copy mode NFQNL_COPY_META: the kernel still sends the packet header
//   (NFQA_PACKET_HDR, with the packet id), which is all a verdict needs; no
//   payload is copied, so a held packet costs the socket a few hundred bytes.
// - No NFQA_CFG_F_FAIL_OPEN: a full queue must drop (and count) rather than
//   let packets pass undelayed. No NFQA_CFG_F_GSO: the kernel then segments
//   a GSO super-packet before queueing, so each segment gets its own verdict
//   (path.sh also turns the offloads off so loss sees real packets).
// - One netlink socket per queue, each with a receive buffer of --rcvbuf
//   (8 MiB, SO_RCVBUFFORCE) and a kernel queue of --maxlen packets (16384):
//   a 1 MB burst at 100 ms RTT is about 800 packets per direction. A recv()
//   that fails with ENOBUFS means the kernel could not deliver a packet to
//   us and dropped it; it is counted, as are the kernel's own counters
//   (/proc/net/netfilter/nfnetlink_queue: queue_dropped, user_dropped), and
//   all must stay 0 or the path's loss is not the configured one.
// - The delay is constant per queue, so each queue's held packets are a FIFO
//   whose due times only grow: releasing is popping a prefix, with one batch
//   verdict (every id <= the last due one) per queue.
// - Timing: CLOCK_MONOTONIC in ns; a timerfd armed at an absolute time
//   (timer slack 1 ns), but early by a lead, and from the wake-up to the due
//   time a loop of zero-timeout polls, so a release is late by the cost of a
//   system call, not by a wake-up. In a VM an idle vCPU wakes tens of us
//   after its timer (measured here: 50-80 us), so the lead is learnt: a
//   smoothed wake-up latency plus twice its mean deviation (as TCP's RTO is
//   from SRTT and RTTVAR), at most --spin-us (300). A fixed lead either
//   misses (too short) or spins for nothing (too long). --sched-fifo runs the
//   thread real-time, so other work on a shared machine does not delay it.
// - A verdict does, inside our system call, everything the released packet
//   causes on a veth path: forwarding, the receiver's TCP (and the packets
//   it sends back, up to our queue again). Under a bulk transfer without a
//   rate limit that made releases late by 0.5-1 ms on average. --cpu pins us
//   to one CPU, and path.sh points the endpoints' receive processing (RPS)
//   at the others, so a verdict only hands packets over: 10 us late.
// - Single thread: poll() on the queue sockets, the timerfd and a signalfd.
//   "ready" on stdout once every queue is bound. SIGTERM/SIGINT/SIGHUP:
//   accept everything held, write the statistics, exit 0. SIGUSR1: write the
//   statistics and carry on.
//
// Statistics (--stats FILE, JSON), per queue: packets, the hold error of the
// releases (how late: max, mean, count over 100 us), the most held at once,
// ENOBUFS count, verdict errors, the kernel's drop counters.

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

// After glibc's <netinet/in.h> (through <arpa/inet.h>): <linux/in.h> then
// leaves out the definitions glibc already made.
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>

namespace {

std::int64_t now_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void fail(const std::string& what)
{
    std::fprintf(stderr, "strata_lab_delay: %s\n", what.c_str());
    std::exit(1);
}

[[noreturn]] void fail_errno(const std::string& what)
{
    fail(what + ": " + std::strerror(errno));
}

struct held_packet {
    std::uint32_t id;
    std::int64_t due_ns;
};

struct queue_state {
    std::uint16_t num = 0;
    std::int64_t delay_ns = 0;
    nfq_handle* handle = nullptr;
    nfq_q_handle* qh = nullptr;
    int fd = -1;
    int rcvbuf = 0;
    std::deque<held_packet> held;
    // Receive time of the message being handled, set before nfq_handle_packet.
    std::int64_t received_ns = 0;
    bool callback_failed = false;

    std::uint64_t packets = 0;
    std::uint64_t released_at_exit = 0;
    std::uint64_t released = 0;
    std::int64_t max_late_ns = 0;
    long double sum_late_ns = 0;
    std::uint64_t late_over_100us = 0;
    std::size_t max_held = 0;
    std::uint64_t enobufs = 0;
    std::uint64_t verdict_errors = 0;
};

// The timerfd's wake-up latency, learnt, and the lead it sets.
struct timer_lead {
    std::int64_t max_ns = 300'000;
    double latency_ns = 50'000;
    double deviation_ns = 10'000;
    std::uint64_t wakes = 0;
    std::int64_t max_latency_ns = 0;
    long double sum_latency_ns = 0;

    std::int64_t lead_ns() const
    {
        const auto lead = static_cast<std::int64_t>(latency_ns + 2 * deviation_ns) + 5'000;
        return lead < max_ns ? lead : max_ns;
    }

    void sample(std::int64_t latency)
    {
        ++wakes;
        sum_latency_ns += static_cast<long double>(latency);
        if (latency > max_latency_ns)
            max_latency_ns = latency;
        const double error = static_cast<double>(latency) - latency_ns;
        latency_ns += error / 8;
        deviation_ns += ((error < 0 ? -error : error) - deviation_ns) / 4;
    }
};

struct kernel_counters {
    long long queue_total = -1;
    long long queue_dropped = -1;
    long long user_dropped = -1;
};

// /proc/net/netfilter/nfnetlink_queue, one line per bound queue of this
// network namespace: queue_number peer_portid queue_total copy_mode
// copy_range queue_dropped user_dropped id_sequence 1.
std::map<unsigned, kernel_counters> read_kernel_counters()
{
    std::map<unsigned, kernel_counters> result;
    std::ifstream in("/proc/net/netfilter/nfnetlink_queue");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        unsigned num = 0;
        long long portid = 0, total = 0, mode = 0, range = 0, dropped = 0, user_dropped = 0;
        if (fields >> num >> portid >> total >> mode >> range >> dropped >> user_dropped)
            result[num] = kernel_counters{total, dropped, user_dropped};
    }
    return result;
}

int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* context)
{
    auto& q = *static_cast<queue_state*>(context);
    const nfqnl_msg_packet_hdr* header = nfq_get_msg_packet_hdr(data);
    if (header == nullptr) {
        q.callback_failed = true;
        return 0;
    }
    // No exception may cross the library's C frames.
    try {
        q.held.push_back(held_packet{ntohl(header->packet_id), q.received_ns + q.delay_ns});
    } catch (...) {
        q.callback_failed = true;
        return 0;
    }
    ++q.packets;
    if (q.held.size() > q.max_held)
        q.max_held = q.held.size();
    return 0;
}

void open_queue(queue_state& q, std::uint32_t maxlen, int rcvbuf)
{
    q.handle = nfq_open();
    if (q.handle == nullptr)
        fail_errno("nfq_open");
    q.qh = nfq_create_queue(q.handle, q.num, &on_packet, &q);
    if (q.qh == nullptr)
        fail_errno("cannot bind NFQUEUE " + std::to_string(q.num) + " (is another program bound to it?)");
    // META still carries NFQA_PACKET_HDR with the id; the payload is not needed.
    if (nfq_set_mode(q.qh, NFQNL_COPY_META, 0) < 0)
        fail_errno("nfq_set_mode(NFQNL_COPY_META)");
    if (nfq_set_queue_maxlen(q.qh, maxlen) < 0)
        fail_errno("nfq_set_queue_maxlen");
    // Both flags explicitly off: no fail-open (a full queue must not pass
    // packets undelayed), no GSO (the kernel segments before queueing).
    if (nfq_set_queue_flags(q.qh, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO, 0) < 0)
        fail_errno("nfq_set_queue_flags");
    q.fd = nfq_fd(q.handle);
    if (setsockopt(q.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        fail_errno("setsockopt(SO_RCVBUFFORCE)");
    socklen_t len = sizeof q.rcvbuf;
    getsockopt(q.fd, SOL_SOCKET, SO_RCVBUF, &q.rcvbuf, &len);
}

// Reads at most `budget` messages so that a busy queue cannot hold up the
// releases of the other; poll() reports it again if more are waiting.
void receive(queue_state& q, int budget)
{
    alignas(8) static char buffer[65536];
    for (int i = 0; i < budget; ++i) {
        const ssize_t n = recv(q.fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            if (errno == ENOBUFS) {
                // The kernel dropped at least one message for want of room.
                ++q.enobufs;
                continue;
            }
            fail_errno("recv on NFQUEUE " + std::to_string(q.num));
        }
        q.received_ns = now_ns();
        nfq_handle_packet(q.handle, buffer, static_cast<int>(n));
    }
}

void release_through(queue_state& q, std::size_t count, std::int64_t now)
{
    if (count == 0)
        return;
    const std::uint32_t last = q.held[count - 1].id;
    for (std::size_t i = 0; i < count; ++i) {
        const std::int64_t late = now - q.held[i].due_ns;
        if (late > q.max_late_ns)
            q.max_late_ns = late;
        q.sum_late_ns += static_cast<long double>(late);
        if (late > 100'000)
            ++q.late_over_100us;
    }
    const int rc = count == 1 ? nfq_set_verdict(q.qh, last, NF_ACCEPT, 0, nullptr)
                              : nfq_set_verdict_batch(q.qh, last, NF_ACCEPT);
    if (rc < 0)
        ++q.verdict_errors;
    q.released += count;
    q.held.erase(q.held.begin(), q.held.begin() + static_cast<std::ptrdiff_t>(count));
}

// Releases every packet due at `now`; returns the earliest due time left.
std::int64_t release_due(std::vector<std::unique_ptr<queue_state>>& queues, std::int64_t now)
{
    std::int64_t next = std::numeric_limits<std::int64_t>::max();
    for (auto& q : queues) {
        std::size_t count = 0;
        while (count < q->held.size() && q->held[count].due_ns <= now)
            ++count;
        release_through(*q, count, now);
        if (!q->held.empty() && q->held.front().due_ns < next)
            next = q->held.front().due_ns;
    }
    return next;
}

void write_stats(const std::string& path, const std::vector<std::unique_ptr<queue_state>>& queues,
                 const timer_lead& lead, int fifo_priority, int cpu)
{
    if (path.empty())
        return;
    const auto kernel = read_kernel_counters();
    std::ostringstream out;
    const double mean_wake_us =
        lead.wakes == 0 ? 0.0 : static_cast<double>(lead.sum_latency_ns / lead.wakes / 1000.0L);
    out << "{\"sched_fifo\":" << fifo_priority << ",\"cpu\":" << cpu
        << ",\"timer\":{\"max_lead_us\":" << lead.max_ns / 1000
        << ",\"lead_us\":" << static_cast<double>(lead.lead_ns()) / 1000.0 << ",\"wakes\":" << lead.wakes
        << ",\"mean_wake_latency_us\":" << mean_wake_us
        << ",\"max_wake_latency_us\":" << static_cast<double>(lead.max_latency_ns) / 1000.0
        << "},\"queues\":[";
    bool first = true;
    for (const auto& q : queues) {
        kernel_counters k;
        if (auto it = kernel.find(q->num); it != kernel.end())
            k = it->second;
        const double mean_late_us =
            q->released == 0 ? 0.0 : static_cast<double>(q->sum_late_ns / q->released / 1000.0L);
        out << (first ? "" : ",") << "{\"queue\":" << q->num << ",\"delay_us\":" << q->delay_ns / 1000
            << ",\"packets\":" << q->packets << ",\"released_on_time\":" << q->released
            << ",\"released_at_exit\":" << q->released_at_exit << ",\"held_now\":" << q->held.size()
            << ",\"max_held\":" << q->max_held
            << ",\"max_late_us\":" << static_cast<double>(q->max_late_ns) / 1000.0
            << ",\"mean_late_us\":" << mean_late_us << ",\"late_over_100us\":" << q->late_over_100us
            << ",\"enobufs\":" << q->enobufs << ",\"verdict_errors\":" << q->verdict_errors
            << ",\"rcvbuf\":" << q->rcvbuf << ",\"kernel_queue_total\":" << k.queue_total
            << ",\"kernel_queue_dropped\":" << k.queue_dropped
            << ",\"kernel_user_dropped\":" << k.user_dropped << "}";
        first = false;
    }
    out << "]}\n";
    // Written aside and renamed, so a reader never sees half a file.
    const std::string tmp = path + ".tmp";
    {
        std::ofstream file(tmp, std::ios::trunc);
        file << out.str();
        if (!file)
            fail("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        fail_errno("rename " + tmp);
}

void usage()
{
    std::fputs("usage: strata_lab_delay --queue NUM:DELAY_US [--queue NUM:DELAY_US ...] [--stats FILE]\n"
               "                        [--spin-us MAX_LEAD (300)] [--sched-fifo PRIO (0: off)] [--cpu N]\n"
               "                        [--maxlen PACKETS (16384)] [--rcvbuf BYTES (8388608)]\n",
               stderr);
    std::exit(2);
}

long long parse_number(const std::string& text, long long min, long long max)
{
    std::size_t used = 0;
    long long value = 0;
    try {
        value = std::stoll(text, &used);
    } catch (...) {
        usage();
    }
    if (used != text.size() || value < min || value > max)
        usage();
    return value;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::unique_ptr<queue_state>> queues;
    std::string stats_path;
    timer_lead lead;
    int fifo_priority = 0;
    int cpu = -1;
    std::uint32_t maxlen = 16384;
    int rcvbuf = 8 << 20;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc)
            usage();
        const std::string value = argv[++i];
        if (arg == "--queue") {
            const auto colon = value.find(':');
            if (colon == std::string::npos)
                usage();
            auto q = std::make_unique<queue_state>();
            q->num = static_cast<std::uint16_t>(parse_number(value.substr(0, colon), 0, 65535));
            q->delay_ns = parse_number(value.substr(colon + 1), 0, 60'000'000) * 1000;
            for (const auto& other : queues)
                if (other->num == q->num)
                    usage();
            queues.push_back(std::move(q));
        } else if (arg == "--stats") {
            stats_path = value;
        } else if (arg == "--spin-us") {
            lead.max_ns = parse_number(value, 0, 10'000) * 1000;
        } else if (arg == "--sched-fifo") {
            fifo_priority = static_cast<int>(parse_number(value, 0, 99));
        } else if (arg == "--cpu") {
            cpu = static_cast<int>(parse_number(value, 0, CPU_SETSIZE - 1));
        } else if (arg == "--maxlen") {
            maxlen = static_cast<std::uint32_t>(parse_number(value, 1, 1 << 24));
        } else if (arg == "--rcvbuf") {
            rcvbuf = static_cast<int>(parse_number(value, 65536, 1 << 30));
        } else {
            usage();
        }
    }
    if (queues.empty())
        usage();

    // Signals arrive through a signalfd, in the poll loop, never in a handler.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1})
        sigaddset(&signals, s);
    if (sigprocmask(SIG_BLOCK, &signals, nullptr) < 0)
        fail_errno("sigprocmask");
    const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0)
        fail_errno("signalfd");

    // Precision: no timer slack, no page faults while holding packets.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    mlockall(MCL_CURRENT | MCL_FUTURE);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0)
            fail_errno("sched_setaffinity");
    }
    if (fifo_priority > 0) {
        sched_param param{};
        param.sched_priority = fifo_priority;
        if (sched_setscheduler(0, SCHED_FIFO, &param) < 0)
            fail_errno("sched_setscheduler(SCHED_FIFO)");
    }

    const int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timer_fd < 0)
        fail_errno("timerfd_create");

    for (auto& q : queues)
        open_queue(*q, maxlen, rcvbuf);

    std::vector<pollfd> fds;
    fds.push_back(pollfd{signal_fd, POLLIN, 0});
    fds.push_back(pollfd{timer_fd, POLLIN, 0});
    for (auto& q : queues)
        fds.push_back(pollfd{q->fd, POLLIN, 0});

    std::printf("ready\n");
    std::fflush(stdout);

    std::int64_t armed_for = 0;
    bool stop = false;
    while (!stop) {
        const std::int64_t now = now_ns();
        const std::int64_t next = release_due(queues, now);
        int timeout = -1;
        if (next != std::numeric_limits<std::int64_t>::max()) {
            const std::int64_t spin_ns = lead.lead_ns();
            if (next - now <= spin_ns) {
                // Close to a due time: poll without sleeping, then look again.
                timeout = 0;
            } else if (next - spin_ns != armed_for) {
                const std::int64_t at = next - spin_ns;
                itimerspec spec{};
                spec.it_value.tv_sec = at / 1'000'000'000;
                spec.it_value.tv_nsec = at % 1'000'000'000;
                if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, nullptr) < 0)
                    fail_errno("timerfd_settime");
                armed_for = at;
            }
        }
        if (poll(fds.data(), fds.size(), timeout) < 0) {
            if (errno == EINTR)
                continue;
            fail_errno("poll");
        }
        const std::int64_t woken = now_ns();
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                if (info.ssi_signo == SIGUSR1)
                    write_stats(stats_path, queues, lead, fifo_priority, cpu);
                else
                    stop = true;
            }
        }
        if (fds[1].revents & POLLIN) {
            std::uint64_t expirations = 0;
            [[maybe_unused]] const ssize_t n = read(timer_fd, &expirations, sizeof expirations);
            // Only a sleep that the timer ended measures the wake-up.
            if (timeout == -1 && armed_for != 0)
                lead.sample(woken - armed_for);
            armed_for = 0;
        }
        for (std::size_t i = 0; i < queues.size(); ++i) {
            if (fds[i + 2].revents & (POLLIN | POLLERR))
                receive(*queues[i], 64);
            if (queues[i]->callback_failed)
                fail("a queued packet had no header, or holding it failed");
        }
    }

    // Everything still held goes now: a stopped lab must not strand packets
    // (destroying the queue would drop them).
    for (auto& q : queues) {
        if (!q->held.empty()) {
            if (nfq_set_verdict_batch(q->qh, q->held.back().id, NF_ACCEPT) < 0)
                ++q->verdict_errors;
            q->released_at_exit += q->held.size();
            q->held.clear();
        }
    }
    write_stats(stats_path, queues, lead, fifo_priority, cpu);
    for (auto& q : queues) {
        nfq_destroy_queue(q->qh);
        nfq_close(q->handle);
    }
    return 0;
}
