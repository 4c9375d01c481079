/*
 * testsupport.h - what the cmocka programs share: where the shared samples
 * and fetched schemas are (and skipping when the schemas are not there),
 * reading files, and running a shell command.
 * Include after <cmocka.h>'s prerequisites.
 */
#ifndef KSEF_TESTSUPPORT_H
#define KSEF_TESTSUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "ksef/buf.h"

/*
 * Path of a file under the shared/ folder (KSEF_SHARED_DIR), e.g.
 * "ksef-samples/invoices/csharp-invoice-template-fa-3.xml". Returns a
 * static buffer overwritten by the next call.
 */
const char *ts_shared_path(const char *rel);

/* The fetched schema folder (KSEF_SCHEMA_DIR). */
const char *ts_schema_dir(void);

/*
 * What a program returns from main() when it skipped because something it
 * needs is absent; tests/CMakeLists.txt gives CTest the same number as
 * SKIP_RETURN_CODE for the programs and scripts that do so.
 */
#define TS_EXIT_SKIP 77

/*
 * Whether the official schemas are absent: KSEF_SCHEMA_DIR unset, or a
 * folder lacking a form's schema file. When they are, prints "skipped:
 * the official schemas are not in <dir>; run scripts/fetch-schemas.sh".
 * For a group set-up or main(), which cannot skip(): a program all of
 * whose tests need the schemas returns TS_EXIT_SKIP.
 */
int ts_schemas_missing(void);

/*
 * The fetched schema folder, for a test that needs the official schemas.
 * When they are absent, prints the message above and skips the test
 * (cmocka's skip()); call it first, before the test allocates anything.
 */
const char *ts_schema_dir_or_skip(void);

/* Read a whole file into out (NUL-terminated); fails the test if it can't. */
void ts_read_file(ksef_buf *out, const char *path);

/* Write bytes to a file; fails the test if it can't. */
void ts_write_file(const char *path, const void *data, size_t len);

/* A fresh private temporary folder, removed by ts_rmdir(). */
char *ts_mkdtemp(void);
void ts_rmdir(char *dir);

/* Run a shell command; returns its exit status (or -1). */
int ts_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Replace every occurrence of `from` with `to` in buf (a NUL-terminated
 * document), as the sample templates' placeholders need.
 */
void ts_replace(ksef_buf *buf, const char *from, const char *to);

#endif
