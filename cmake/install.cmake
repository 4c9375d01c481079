# install.cmake - what `cmake --install` puts in place, by component:
#   lib     the shared libksef (runtime)
#   dev     headers, the static library, libksef.pc, the CMake package
#   tools   ksef, ksef.1, the schemas' digest list for `ksef schemas fetch`
#   server  ksefd, ksefd.8, the systemd unit, its user and example settings
# CPack (package.cmake) makes one Debian package of each.
include(CMakePackageConfigHelpers)

set(KSEF_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ksef)

# Installed programs find an installed libksef outside the system folders
# (a --prefix of one's own) through a relative RUNPATH; in the system
# folders none is set, as Debian wants.
list(FIND CMAKE_C_IMPLICIT_LINK_DIRECTORIES
	"${CMAKE_INSTALL_FULL_LIBDIR}" ksef_libdir_is_system)
if(ksef_libdir_is_system EQUAL -1)
	file(RELATIVE_PATH ksef_bin_to_lib "${CMAKE_INSTALL_FULL_BINDIR}"
		"${CMAKE_INSTALL_FULL_LIBDIR}")
	set(KSEF_PROGRAM_RPATH "$ORIGIN/${ksef_bin_to_lib}")
else()
	set(KSEF_PROGRAM_RPATH "")
endif()

install(TARGETS ksef EXPORT ksefTargets
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib
		NAMELINK_COMPONENT dev)
install(TARGETS ksef_static EXPORT ksefStaticTargets
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY include/ksef DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
	COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_BINARY_DIR}/include/ksef/version.h
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ksef COMPONENT dev)

# pkg-config: the shared library needs nothing else; a static link takes
# the dependencies from Requires.private (pkg-config --static).
configure_file(cmake/libksef.pc.in ${CMAKE_BINARY_DIR}/libksef.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/libksef.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# CMake: find_package(ksef) gives ksef::ksef, and ksef::ksef_static when
# the static library's dependencies are found too.
install(EXPORT ksefTargets NAMESPACE ksef:: DESTINATION ${KSEF_CMAKE_DIR}
	COMPONENT dev)
install(EXPORT ksefStaticTargets NAMESPACE ksef::
	DESTINATION ${KSEF_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(cmake/ksefConfig.cmake.in
	${CMAKE_BINARY_DIR}/ksefConfig.cmake INSTALL_DESTINATION ${KSEF_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor matches.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/ksefConfigVersion.cmake
	COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/ksefConfig.cmake
	${CMAKE_BINARY_DIR}/ksefConfigVersion.cmake
	DESTINATION ${KSEF_CMAKE_DIR} COMPONENT dev)

if(TARGET ksef_cli)
	set_target_properties(ksef_cli PROPERTIES
		INSTALL_RPATH "${KSEF_PROGRAM_RPATH}")
	install(TARGETS ksef_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
		COMPONENT tools)
	install(FILES docs/ksef.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
		COMPONENT tools)
	# The published digests `ksef schemas fetch` checks the schemas
	# against (shared/SCHEMAS.md), when the shared folder is beside us.
	if(EXISTS ${KSEF_SHARED_DIR}/schemas.sha256)
		install(FILES ${KSEF_SHARED_DIR}/schemas.sha256
			DESTINATION ${CMAKE_INSTALL_DATADIR}/ksef COMPONENT tools)
	endif()
endif()
if(TARGET ksefd)
	set_target_properties(ksefd PROPERTIES
		INSTALL_RPATH "${KSEF_PROGRAM_RPATH}")
	install(TARGETS ksefd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
		COMPONENT server)
	if(EXISTS ${CMAKE_SOURCE_DIR}/docs/ksefd.8)
		install(FILES docs/ksefd.8
			DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT server)
	endif()
	# systemd (docs/deploy.md): the unit and the user it runs as, in
	# <prefix>/lib, where systemd looks for both under /usr and
	# /usr/local; the example settings beside the schemas' digests.
	# Nothing goes into /etc, which `cmake --install --prefix` could not
	# move: the Debian package's postinst puts the settings file there.
	set(KSEFD_CONF "${CMAKE_INSTALL_FULL_SYSCONFDIR}/ksefd/ksefd.conf")
	configure_file(dist/ksefd.service.in
		${CMAKE_BINARY_DIR}/ksefd.service @ONLY)
	install(FILES ${CMAKE_BINARY_DIR}/ksefd.service
		DESTINATION lib/systemd/system COMPONENT server)
	install(FILES dist/ksefd.sysusers DESTINATION lib/sysusers.d
		RENAME ksefd.conf COMPONENT server)
	install(FILES dist/ksefd.conf DESTINATION ${CMAKE_INSTALL_DATADIR}/ksef
		RENAME ksefd.conf.example COMPONENT server)
endif()
if(KSEF_INSTALL_SCHEMAS)
	install(DIRECTORY ${KSEF_SCHEMA_DIR}/
		DESTINATION ${CMAKE_INSTALL_DATADIR}/ksef/schemas COMPONENT tools)
endif()
install(FILES LICENSE README.md CHANGELOG.md
	DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT lib)
