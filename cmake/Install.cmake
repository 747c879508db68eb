# cmake --install: bin/nnc, lib/libnnrt.a, include/nnrt.h, the CMake package
# (lib/cmake/nnc: nnc::nnrt, nnc::nnc, nnc_add_model) and lib/pkgconfig/nnrt.pc.
# Everything is relocatable: `cmake --install build --prefix P` works for any P.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NNC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nnc)
install(TARGETS nnc EXPORT nncTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS nnrt EXPORT nncTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/runtime/include/nnrt.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT nncTargets NAMESPACE nnc:: DESTINATION ${NNC_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/nncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/nncConfig.cmake INSTALL_DESTINATION ${NNC_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nncConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nncConfig.cmake ${PROJECT_BINARY_DIR}/nncConfigVersion.cmake
        DESTINATION ${NNC_CMAKE_DIR})

# The .pc file finds the prefix from its own place (pkg-config's pcfiledir).
file(RELATIVE_PATH NNRT_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(${PROJECT_SOURCE_DIR}/cmake/nnrt.pc.in ${PROJECT_BINARY_DIR}/nnrt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nnrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
