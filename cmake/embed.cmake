# embed.cmake - turn a file into a C source holding its bytes, so that a
# program carries a data file in its binary and needs nothing at run time
# (ksefd's invoice stylesheet, src/server/invoice_html.xsl). Plain CMake,
# so the build needs no xxd.
#
#   cmake -DIN=<file> -DOUT=<file.c> -DNAME=<symbol> -P cmake/embed.cmake
#
# The source defines `const unsigned char NAME[]` (the bytes and a NUL
# past them, so text can also be read as a string) and
# `const size_t NAME_len` (the bytes without that NUL).
foreach(var IN ITEMS IN OUT NAME)
	if(NOT DEFINED ${var})
		message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
	endif()
endforeach()

file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
# "0x3c, " for each byte, twelve to a line (CMake's regular expressions
# have no {n}, hence the spelled-out pattern).
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes "${hex}")
string(REPEAT "0x[0-9a-f][0-9a-f], " 12 line)
string(REGEX REPLACE "(${line})" "\\1\n\t" bytes "${bytes}")
string(REPLACE ", \n" ",\n" bytes "${bytes}")
get_filename_component(in_name "${IN}" NAME)

set(text "/* Generated from ${in_name} by cmake/embed.cmake: do not edit. */
#include <stddef.h>

extern const unsigned char ${NAME}[];
extern const size_t ${NAME}_len;

const unsigned char ${NAME}[] = {
	${bytes}0x00
};
const size_t ${NAME}_len = ${len};
")
# Only a changed file is written, so that nothing rebuilds needlessly.
if(EXISTS "${OUT}")
	file(READ "${OUT}" old)
	if(old STREQUAL text)
		return()
	endif()
endif()
file(WRITE "${OUT}" "${text}")
