# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Install rules: headers, the library, an exported CMake package
# (find_package(strata CONFIG) -> strata::strata) and a pkg-config file.
# Both package descriptions are relocatable: they locate the prefix from
# their own install path, so `cmake --install build --prefix <dir>` works
# whatever CMAKE_INSTALL_PREFIX was at configure time.

include(CMakePackageConfigHelpers)

set(strata_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/strata)

install(TARGETS strata EXPORT strataTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/strata
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp" PATTERN "*.ipp" PATTERN "*.h")

install(EXPORT strataTargets
  NAMESPACE strata::
  FILE strataTargets.cmake
  DESTINATION ${strata_cmake_dir})

# pkg-config modules found with strata_require_pkg (StrataDependencies.cmake)
# that the library itself links; test-only ones stay out of the package.
get_property(strata_pkg_deps GLOBAL PROPERTY STRATA_PKG_DEPENDENCIES)
get_target_property(strata_link_private strata LINK_LIBRARIES)
get_target_property(strata_link_interface strata INTERFACE_LINK_LIBRARIES)
set(strata_links "${strata_link_private};${strata_link_interface}")
set(STRATA_PKG_DEPENDENCIES "")  # prefix=module pairs, re-found by strataConfig.cmake
set(STRATA_PKG_REQUIRES "")      # modules as pkg-config's Requires field spells them
foreach(dep IN LISTS strata_pkg_deps)
  string(FIND "${dep}" "=" eq)
  string(SUBSTRING "${dep}" 0 ${eq} prefix)
  math(EXPR eq "${eq} + 1")
  string(SUBSTRING "${dep}" ${eq} -1 module)
  if(NOT strata_links MATCHES "PkgConfig::${prefix}([^A-Za-z0-9_]|$)")
    continue()
  endif()
  list(APPEND STRATA_PKG_DEPENDENCIES "${dep}")
  # "libnghttp2>=1.52" -> "libnghttp2 >= 1.52"
  string(REGEX REPLACE "[ ]*([<>=!]+)[ ]*" " \\1 " module "${module}")
  list(APPEND STRATA_PKG_REQUIRES "${module}")
endforeach()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/strataConfig.cmake.in
  ${PROJECT_BINARY_DIR}/strataConfig.cmake
  INSTALL_DESTINATION ${strata_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/strataConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/strataConfig.cmake ${PROJECT_BINARY_DIR}/strataConfigVersion.cmake
  DESTINATION ${strata_cmake_dir})

# pkg-config. A static libstrata needs its dependencies' libraries on the
# consumer's link line even without --static, so they go to Requires then.
get_target_property(strata_type strata TYPE)
list(JOIN STRATA_PKG_REQUIRES ", " strata_pc_modules)
if(strata_type STREQUAL "STATIC_LIBRARY")
  set(STRATA_PC_REQUIRES "${strata_pc_modules}")
  set(STRATA_PC_REQUIRES_PRIVATE "")
else()
  set(STRATA_PC_REQUIRES "")
  set(STRATA_PC_REQUIRES_PRIVATE "${strata_pc_modules}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(STRATA_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  # ${pcfiledir} is <prefix>/<libdir>/pkgconfig: climb back to <prefix>.
  file(RELATIVE_PATH strata_pc_up /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
  string(REGEX REPLACE "/$" "" strata_pc_up "${strata_pc_up}")
  set(STRATA_PC_PREFIX "\${pcfiledir}/${strata_pc_up}")
endif()
foreach(dir INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(STRATA_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(STRATA_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
# The compile definitions strata::strata exports, read from the target at
# generate time so the .pc cannot drift from the CMake package.
set(strata_defs "$<TARGET_PROPERTY:strata,INTERFACE_COMPILE_DEFINITIONS>")
set(STRATA_PC_DEFINES "$<$<BOOL:${strata_defs}>:-D$<JOIN:${strata_defs}, -D>>")
configure_file(${PROJECT_SOURCE_DIR}/cmake/strata.pc.in ${PROJECT_BINARY_DIR}/strata.pc.genex @ONLY)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/strata.pc INPUT ${PROJECT_BINARY_DIR}/strata.pc.genex)
install(FILES ${PROJECT_BINARY_DIR}/strata.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
