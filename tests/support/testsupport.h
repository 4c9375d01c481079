/*
 * testsupport.h - what the cmocka programs share: where the shared samples
 * and fetched schemas are, reading files, and running a shell command.
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
