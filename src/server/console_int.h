/*
 * console_int.h - what the console's two files share: console.c owns the
 * listener, the answer on the wire and the page's frame; console_pages.c
 * makes each page from the store. Nothing outside the console uses it.
 */
#ifndef KSEFD_CONSOLE_INT_H
#define KSEFD_CONSOLE_INT_H

#include <stdint.h>
#include "ksef/ksef.h"
#include "server.h"

#if defined(__GNUC__) || defined(__clang__)
#define CONSOLE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CONSOLE_PRINTF(f, a)
#endif

/* The most bytes one answer holds: a session UPO page of 10,000
 * documents, or an invoice of 1 MB made readable, with room to spare. */
#define CONSOLE_ANSWER_MAX ((size_t)64 * 1024 * 1024)

/* One request to the console and its answer, made by a page without
 * knowing libmicrohttpd (so a test can call a page directly). */
struct console_req {
	struct server *srv;
	const char *path;              /* as decoded by the listener */
	const char *(*arg)(void *cls, const char *name); /* ?name=, or NULL */
	void *arg_cls;
	/* the answer: a page (text/html) unless a download set its type */
	unsigned status;
	ksef_buf body;
	int failed;                    /* memory ran out: 500 */
	char content_type[64];
	char filename[128];            /* a download's name, or "" */
};

/* Answer the request: find its page and make it (console_pages.c). */
void console_route(struct console_req *r);

/* The page being made. Text is escaped for HTML (its attributes too);
 * raw and fmt are the page's own markup and must never carry stored or
 * requested text. */
void console_raw(struct console_req *r, const char *html);
void console_text(struct console_req *r, const char *text);
void console_fmt(struct console_req *r, const char *fmt, ...)
	CONSOLE_PRINTF(2, 3);
/* A time as "2026-12-04 15:31:28 UTC" (UTC, as ksefd's API), or "-" for
 * 0 (not yet). */
void console_time(struct console_req *r, int64_t ms);
/* The page's start (title, navigation, style) and end. */
void console_begin(struct console_req *r, const char *title);
void console_end(struct console_req *r);
/* A whole page saying what was not found or went wrong, with status. */
void console_problem(struct console_req *r, unsigned status,
		     const char *title, const char *detail);
/* A download: the bytes (copied), their type and file name. */
void console_download(struct console_req *r, const char *content_type,
		      const char *filename, const void *data, size_t len);

#endif
