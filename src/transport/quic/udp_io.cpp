// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/config.hpp>

#include "udp_io.hpp"

#include <boost/asio/error.hpp>

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace strata::quic::detail {

udp_receiver::udp_receiver() : storage_(batch * max_datagram) {}

std::span<const received_datagram> udp_receiver::receive(net::ip::udp::socket& socket, error_code& ec)
{
    ec = {};
    std::array<mmsghdr, batch> msgs{};
    std::array<iovec, batch> iov{};
    for (std::size_t i = 0; i < batch; ++i) {
        iov[i].iov_base = storage_.data() + i * max_datagram;
        iov[i].iov_len = max_datagram;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = addrs_[i].data();
        msgs[i].msg_hdr.msg_namelen = static_cast<socklen_t>(addrs_[i].capacity());
    }
    int n = ::recvmmsg(socket.native_handle(), msgs.data(), batch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            ec = net::error::would_block;
        else
            ec = error_code{errno, boost::system::system_category()};
        return {};
    }
    std::size_t count = 0;
    for (int i = 0; i < n; ++i) {
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            continue; // no QUIC packet of ours is that big: not worth reading
        addrs_[i].resize(msgs[i].msg_hdr.msg_namelen);
        out_[count].bytes = {storage_.data() + i * max_datagram, msgs[i].msg_len};
        out_[count].remote = addrs_[i];
        ++count;
    }
    return {out_.data(), count};
}

void udp_sender::send(net::ip::udp::socket& socket, const net::ip::udp::endpoint* remote,
                      std::span<const std::byte> data, std::size_t segment, error_code& ec)
{
    ec = {};
    if (data.empty())
        return;
    int fd = socket.native_handle();
    auto fail = [&](int err) {
        if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
            ec = net::error::would_block;
        else
            ec = error_code{err, boost::system::system_category()};
    };
    if (segment == 0 || segment > data.size())
        segment = data.size();
    bool many = data.size() > segment;
    if (gso_ || !many) {
        iovec iov{const_cast<std::byte*>(data.data()), data.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (remote) {
            msg.msg_name = const_cast<void*>(static_cast<const void*>(remote->data()));
            msg.msg_namelen = static_cast<socklen_t>(remote->size());
        }
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))]{};
        if (many) {
            msg.msg_control = control;
            msg.msg_controllen = sizeof(control);
            cmsghdr* cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = SOL_UDP;
            cm->cmsg_type = UDP_SEGMENT;
            cm->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
            auto seg = static_cast<std::uint16_t>(segment);
            std::memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
        }
        if (::sendmsg(fd, &msg, 0) >= 0)
            return;
        int err = errno;
        if (!many || (err != EIO && err != EINVAL && err != ENOPROTOOPT && err != EOPNOTSUPP)) {
            fail(err);
            return;
        }
        gso_ = false; // the kernel or device cannot segment: send one by one from now on
    }
    std::size_t count = (data.size() + segment - 1) / segment;
    std::vector<mmsghdr> msgs(count);
    std::vector<iovec> iov(count);
    for (std::size_t i = 0; i < count; ++i) {
        auto off = i * segment;
        iov[i].iov_base = const_cast<std::byte*>(data.data() + off);
        iov[i].iov_len = std::min(segment, data.size() - off);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        if (remote) {
            msgs[i].msg_hdr.msg_name = const_cast<void*>(static_cast<const void*>(remote->data()));
            msgs[i].msg_hdr.msg_namelen = static_cast<socklen_t>(remote->size());
        }
    }
    std::size_t sent = 0;
    while (sent < count) {
        int n = ::sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(count - sent), 0);
        if (n < 0) {
            // Packets already out stay out; QUIC's loss recovery covers the rest.
            if (sent == 0)
                fail(errno);
            return;
        }
        sent += static_cast<std::size_t>(n);
    }
}

void tune_udp_socket(net::ip::udp::socket& socket)
{
    int size = 4 * 1024 * 1024;
    // Capped by net.core.[rw]mem_max unless the process may force it.
    for (int opt : {SO_RCVBUF, SO_SNDBUF})
        ::setsockopt(socket.native_handle(), SOL_SOCKET, opt, &size, sizeof(size));
    error_code ignored;
    socket.non_blocking(true, ignored);
}

} // namespace strata::quic::detail
