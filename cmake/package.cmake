# package.cmake - Debian packages of the install components (install.cmake):
#   cpack -G DEB   (in the build folder) makes
#   libksef1   the shared library
#   libksef-dev  headers, static library, pkg-config and CMake files
#   ksef       the command-line tool
#   ksefd      the server
# Package dependencies on other libraries come from dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME ksef)
set(CPACK_PACKAGE_VENDOR "ksef")
set(CPACK_PACKAGE_CONTACT "ksef maintainers <ksef@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_COMPONENTS_ALL lib dev tools server)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps must see libksef itself, which no installed package
# provides yet, to work out the programs' other dependencies; the
# dependency on libksef1 comes from the component dependencies below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR})
# Our own shared library, for dpkg-shlibdeps to resolve the programs.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libksef${KSEF_ABI_VERSION})
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libksef-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
	"libssl-dev, libxml2-dev, libxmlsec1-dev, libcurl4-openssl-dev | libcurl-dev, libjansson-dev, libqrencode-dev, libpng-dev, libarchive-dev, pkg-config")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ksef)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
# ksef schemas fetch runs npm and tar when no folder is named.
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "npm")
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME ksefd)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "ksef")
# The systemd unit's user and the settings file it starts ksefd with
# (dist/postinst); postrm forgets the unit, and on purge the settings.
# Both run as root, so they are 0755 whatever the checkout's umask.
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
	"${CMAKE_SOURCE_DIR}/dist/postinst;${CMAKE_SOURCE_DIR}/dist/postrm")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_COMPONENT_LIB_DESCRIPTION
	"KSeF 2.0 library: crypto envelope, KSeF numbers, invoice verification, API client")
set(CPACK_COMPONENT_DEV_DESCRIPTION
	"KSeF 2.0 library: headers, static library, pkg-config and CMake files")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
	"ksef: send, validate and fetch KSeF 2.0 invoices from the command line")
set(CPACK_COMPONENT_SERVER_DESCRIPTION
	"ksefd: a KSeF 2.0 server for testing integrations offline")
set(CPACK_COMPONENT_DEV_DEPENDS lib)
set(CPACK_COMPONENT_TOOLS_DEPENDS lib)
set(CPACK_COMPONENT_SERVER_DEPENDS lib)

include(CPack)
