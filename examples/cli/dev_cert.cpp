// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "dev_cert.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace strata_cli {

namespace {

std::string state_directory()
{
    if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run == '/')
        return std::string(run) + "/strata";
    return "/tmp/strata-dev-cert-" + std::to_string(::getuid());
}

/// A directory in a shared place like /tmp could have been made by someone
/// else, ready to swap our key for theirs: it must be ours, a real
/// directory, and closed to others.
bool safe_directory(const std::string& dir, std::string& error)
{
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        error = "cannot create " + dir + ": " + std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() ||
        (st.st_mode & 077) != 0) {
        error = dir + " is not a private directory of this user; remove it or pass --cert and --key";
        return false;
    }
    return true;
}

/// Writes to a fresh file and renames it over the old one, so that a reader
/// never sees half a PEM file.
bool write_file(const std::string& path, const std::string& text, mode_t mode, std::string& error)
{
    const auto tmp = path + ".tmp" + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    bool ok = fd >= 0 && ::fchmod(fd, mode) == 0 &&
              ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0)
        ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        error = "cannot write " + path + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    }
    return true;
}

} // namespace

bool make_dev_certificate(dev_certificate& out, std::string& error)
{
    strata::error_code ec;
    out.pem = strata::tls::make_self_signed("localhost", {"localhost", "127.0.0.1", "::1"},
                                            std::chrono::days{30}, ec);
    if (ec) {
        error = "cannot make a development certificate: " + ec.message();
        return false;
    }
    const auto dir = state_directory();
    if (!safe_directory(dir, error))
        return false;
    out.certificate_file = dir + "/localhost.pem";
    out.key_file = dir + "/localhost-key.pem";
    return write_file(out.key_file, out.pem.private_key_pem, 0600, error) &&
           write_file(out.certificate_file, out.pem.certificate_pem, 0644, error);
}

} // namespace strata_cli
