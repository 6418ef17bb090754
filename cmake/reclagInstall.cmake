# Install rules: headers, exported targets, a relocatable package config, an
# architecture-independent version file and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RECLAG_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/cmake/reclag" CACHE STRING
    "Where reclagConfig.cmake is installed, relative to the prefix")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/reclag" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS reclag EXPORT reclagTargets)
install(EXPORT reclagTargets NAMESPACE reclag:: DESTINATION "${RECLAG_CMAKE_INSTALL_DIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/reclagConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/reclagConfig.cmake"
  INSTALL_DESTINATION "${RECLAG_CMAKE_INSTALL_DIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/reclagConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/reclagConfig.cmake" "${PROJECT_BINARY_DIR}/reclagConfigVersion.cmake"
        DESTINATION "${RECLAG_CMAKE_INSTALL_DIR}")

# Build-tree export, so a consumer can point reclag_DIR at the build directory.
export(EXPORT reclagTargets NAMESPACE reclag:: FILE "${PROJECT_BINARY_DIR}/reclagTargets.cmake")

configure_file("${PROJECT_SOURCE_DIR}/cmake/reclag.pc.in" "${PROJECT_BINARY_DIR}/reclag.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/reclag.pc" DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")
