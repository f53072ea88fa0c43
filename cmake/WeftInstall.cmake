# `cmake --install BUILD --prefix P` (or `make install PREFIX=P`): what an
# embedder needs, and the CLI.
#   P/include/weft/       weft.h, result.h, wasi.h (the WASI host), component.h
#                         and component_value.h (the Component Model),
#                         wasi_p2.h (WASI 0.2); they include only each other
#                         and the standard library
#   P/lib/libweft.a       engine, WASI hosts, Component Model (weft_embed)
#   P/lib/cmake/weft/     weftConfig.cmake: find_package(weft) → weft::weft
#   P/lib/pkgconfig/      weft.pc
#   P/bin/weft            the CLI
include(CMakePackageConfigHelpers)

install(FILES ${PROJECT_SOURCE_DIR}/include/weft/weft.h ${PROJECT_SOURCE_DIR}/include/weft/result.h
              ${PROJECT_SOURCE_DIR}/include/weft/wasi.h ${PROJECT_SOURCE_DIR}/include/weft/component.h
              ${PROJECT_SOURCE_DIR}/include/weft/component_value.h
              ${PROJECT_SOURCE_DIR}/include/weft/wasi_p2.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/weft)

install(TARGETS weft_embed EXPORT weftTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS weft RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(WEFT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
install(EXPORT weftTargets NAMESPACE weft:: DESTINATION ${WEFT_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/weftConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/weftConfig.cmake
                              INSTALL_DESTINATION ${WEFT_CMAKE_DIR})
# 0.x: a minor release may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/weftConfig.cmake ${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
        DESTINATION ${WEFT_CMAKE_DIR})

# weft.pc finds its prefix from its own location (${pcfiledir}), so it is
# right for whatever --prefix or DESTDIR the install gets, not only for the
# CMAKE_INSTALL_PREFIX known at configure time.
file(RELATIVE_PATH WEFT_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" WEFT_PC_TO_PREFIX "${WEFT_PC_TO_PREFIX}")
set(WEFT_PC_LIBS_EXTRA "")
if(WEFT_SANITIZE)
  set(WEFT_PC_LIBS_EXTRA " -fsanitize=address,undefined")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/weft.pc.in ${PROJECT_BINARY_DIR}/weft.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/weft.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
