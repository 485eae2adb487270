# Finds what strata needs and, when something is missing, names the Debian
# package that provides it.
include(GNUInstallDirs)
find_package(Threads REQUIRED)

find_package(Boost 1.74 QUIET)
if(NOT Boost_FOUND)
  message(FATAL_ERROR "strata needs Boost 1.74 or newer (Asio, Beast headers). On Debian: apt install libboost-dev")
endif()

find_package(OpenSSL 3.0 QUIET)
if(NOT OpenSSL_FOUND)
  message(FATAL_ERROR "strata needs OpenSSL 3.0 or newer. On Debian: apt install libssl-dev")
endif()

find_package(PkgConfig QUIET)

# strata_require_pkg(<prefix> <pkg-config module> <Debian package>)
# Imports PkgConfig::<prefix> or stops with the name of the package to install.
# The module is remembered: if the strata library links PkgConfig::<prefix>,
# StrataInstall.cmake puts it in strata.pc and strataConfig.cmake finds it again.
# A version goes in the module, pkg-config style: "libnghttp2>=1.52".
function(strata_require_pkg prefix module debian_package)
  if(NOT PKG_CONFIG_FOUND)
    message(FATAL_ERROR "strata needs pkg-config to find ${module}. On Debian: apt install pkg-config")
  endif()
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "strata needs ${module}. On Debian: apt install ${debian_package}")
  endif()
  get_property(known GLOBAL PROPERTY STRATA_PKG_DEPENDENCIES)
  if(NOT "${prefix}=${module}" IN_LIST known)
    set_property(GLOBAL APPEND PROPERTY STRATA_PKG_DEPENDENCIES "${prefix}=${module}")
  endif()
endfunction()

strata_require_pkg(NGHTTP2 "libnghttp2>=1.52" libnghttp2-dev)
# HTTP/3: QUIC from ngtcp2 with its GnuTLS crypto helper (OpenSSL 3.0 has no
# QUIC TLS API), HTTP/3 framing and QPACK from nghttp3. Both libraries changed
# their APIs after these versions; src/ checks at compile time that it has them.
strata_require_pkg(NGTCP2 "libngtcp2>=0.12" libngtcp2-dev)
strata_require_pkg(NGTCP2_GNUTLS "libngtcp2_crypto_gnutls>=0.12" libngtcp2-crypto-gnutls-dev)
strata_require_pkg(GNUTLS "gnutls>=3.7.2" libgnutls28-dev)
strata_require_pkg(NGHTTP3 "libnghttp3>=0.8" libnghttp3-dev)
# permessage-deflate (RFC 7692) for WebSockets.
strata_require_pkg(ZLIB zlib zlib1g-dev)
# The gateway's envelope parsing (simdjson's on-demand parser, in src/ only).
strata_require_pkg(SIMDJSON "simdjson>=3.0" libsimdjson-dev)
