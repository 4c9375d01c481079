/*
 * console.c - the console's listener and the frame of its pages.
 *
 * The console is for people on the machine ksefd runs on: it is off unless
 * --console is given, listens on loopback unless an address is given, has
 * no login, and answers GET and HEAD only. It runs its own small
 * libmicrohttpd daemon, one thread polling at most CONSOLE_CONNECTIONS
 * connections, so nothing a browser does takes a connection, a thread or
 * a rate budget from the API's clients; its reads go through the store's
 * read pool as the API's do, one page at a time.
 *
 * Every page is server-made HTML with a little CSS and no script. The
 * answers say so to the browser too (Content-Security-Policy allows no
 * script, no frame, no form and nothing from elsewhere): text that came
 * from a client (a description, an invoice's content) is escaped when the
 * page is made, and the policy is the second lock on the same door.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "console.h"
#include "console_int.h"

/* Connections at once: a person's browser opens a handful. */
#define CONSOLE_CONNECTIONS 32
/* A connection idle this long is closed. */
#define CONSOLE_IDLE_S 30

#define CONSOLE_CSP "default-src 'none'; style-src 'unsafe-inline'; " \
	"img-src 'none'; form-action 'none'; frame-ancestors 'none'; " \
	"base-uri 'none'"

static const char console_css[] =
	"body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;"
	"background:#f6f7f9}"
	"body>header{background:#1f3b5c;color:#fff;padding:.6em 1.2em}"
	"body>header a{color:#fff;margin-right:1.2em;text-decoration:none}"
	"body>header .brand{font-weight:700}"
	"main{padding:1em 1.2em;max-width:80em}"
	"h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
	"table{border-collapse:collapse;background:#fff;margin:.4em 0}"
	"th,td{border:1px solid #d0d5dc;padding:.3em .6em;text-align:left;"
	"vertical-align:top}"
	"th{background:#e8ecf1}"
	"dl{display:grid;grid-template-columns:max-content auto;"
	"gap:.2em 1em}dt{font-weight:600}dd{margin:0}"
	".ok{color:#17662d}.bad{color:#a3211d}.wait{color:#8a5a00}"
	".num{font-family:ui-monospace,monospace}"
	".empty{color:#5c6670;font-style:italic}"
	"pre{background:#fff;border:1px solid #d0d5dc;padding:.6em;"
	"overflow:auto}"
	".invoice{background:#fff;border:1px solid #d0d5dc;padding:1em;"
	"margin-top:.6em}"
	".invoice table{width:100%}"
	".invoice .amount{text-align:right;font-variant-numeric:tabular-nums}"
	".invoice-parties{display:flex;flex-wrap:wrap;gap:0 3em}"
	".invoice caption{text-align:left;font-weight:600;padding:.3em 0}";

struct console {
	struct MHD_Daemon *mhd;
};

/* ---- the page builder ---- */

void console_raw(struct console_req *r, const char *html)
{
	if (!r->failed &&
	    ksef_buf_append(&r->body, html, strlen(html),
			    CONSOLE_ANSWER_MAX) != 0)
		r->failed = 1;
}

void console_text(struct console_req *r, const char *text)
{
	const char *run = text, *p;

	/* Runs of plain bytes at once, an entity for each special one;
	 * control characters other than tab and newline go (no stored text
	 * has a reason for them, and a browser shows them as garbage). */
	for (p = text; ; p++) {
		const char *e = NULL;
		unsigned char c = (unsigned char)*p;

		if (c == '\0' || c == '&' || c == '<' || c == '>' ||
		    c == '"' || c == '\'' ||
		    (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			if (!r->failed && p > run &&
			    ksef_buf_append(&r->body, run, (size_t)(p - run),
					    CONSOLE_ANSWER_MAX) != 0)
				r->failed = 1;
			switch (c) {
			case '&': e = "&amp;"; break;
			case '<': e = "&lt;"; break;
			case '>': e = "&gt;"; break;
			case '"': e = "&quot;"; break;
			case '\'': e = "&#39;"; break;
			default: break;
			}
			if (e != NULL)
				console_raw(r, e);
			if (c == '\0')
				return;
			run = p + 1;
		}
	}
}

void console_fmt(struct console_req *r, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	/* The page's own markup with numbers in it: never near the size. */
	if (n < 0 || (size_t)n >= sizeof(small)) {
		r->failed = 1;
		return;
	}
	console_raw(r, small);
}

void console_time(struct console_req *r, int64_t ms)
{
	char out[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		console_raw(r, "-");
		return;
	}
	console_raw(r, out);
}

void console_begin(struct console_req *r, const char *title)
{
	console_raw(r, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\"><title>");
	console_text(r, title);
	console_raw(r, " - ksefd console</title><style>");
	console_raw(r, console_css);
	console_raw(r, "</style></head><body><header>"
		    "<a class=\"brand\" href=\"/\">ksefd console</a>"
		    "<a href=\"/\">Contexts</a>"
		    "<a href=\"/faults\">Faults</a></header><main><h1>");
	console_text(r, title);
	console_raw(r, "</h1>\n");
}

void console_end(struct console_req *r)
{
	console_raw(r, "</main></body></html>\n");
}

void console_problem(struct console_req *r, unsigned status,
		     const char *title, const char *detail)
{
	ksef_buf_dispose(&r->body);
	r->body = (ksef_buf)KSEF_BUF_INIT;
	r->failed = 0;
	r->status = status;
	console_begin(r, title);
	console_raw(r, "<p class=\"problem\">");
	console_text(r, detail);
	console_raw(r, "</p>");
	console_end(r);
}

void console_download(struct console_req *r, const char *content_type,
		      const char *filename, const void *data, size_t len)
{
	ksef_buf_dispose(&r->body);
	r->body = (ksef_buf)KSEF_BUF_INIT;
	r->failed = ksef_buf_append(&r->body, data, len,
				    CONSOLE_ANSWER_MAX) != 0;
	r->status = 200;
	snprintf(r->content_type, sizeof(r->content_type), "%s",
		 content_type);
	snprintf(r->filename, sizeof(r->filename), "%s", filename);
}

/* ---- the listener ---- */

static const char *query_arg(void *cls, const char *name)
{
	return MHD_lookup_connection_value(cls, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     const char *type, const void *data, size_t len,
			     const char *filename)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char disposition[160];

	resp = MHD_create_response_from_buffer(len, (void *)data,
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Security-Policy", CONSOLE_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	if (filename != NULL && filename[0] != '\0') {
		/* Names are made of reference and KSeF numbers: nothing to
		 * quote. */
		snprintf(disposition, sizeof(disposition),
			 "attachment; filename=\"%s\"", filename);
		MHD_add_response_header(resp, "Content-Disposition",
					disposition);
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	static const char not_allowed[] = "GET and HEAD only\n";
	struct console_req r;
	enum MHD_Result ret;
	static int seen;

	(void)version;
	(void)upload;
	/* Answered at the headers: a body, if any, is never read (the
	 * connection is closed after the answer). */
	if (*state == NULL) {
		*state = &seen;
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return queue(conn, 405, "text/plain; charset=utf-8",
				     not_allowed, sizeof(not_allowed) - 1,
				     NULL);
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&r, 0, sizeof(r));
	r.srv = cls;
	r.path = url;
	r.arg = query_arg;
	r.arg_cls = conn;
	r.status = 200;
	r.body = (ksef_buf)KSEF_BUF_INIT;
	console_route(&r);
	if (r.failed)
		console_problem(&r, 500, "Out of memory",
				"The page could not be made.");
	if (r.failed) {
		static const char oom[] = "out of memory\n";

		ret = queue(conn, 500, "text/plain; charset=utf-8", oom,
			    sizeof(oom) - 1, NULL);
	} else {
		ret = queue(conn, r.status, r.content_type[0] ?
			    r.content_type : "text/html; charset=utf-8",
			    r.body.ptr, r.body.size, r.filename);
	}
	ksef_buf_dispose(&r.body);
	return ret;
}

int console_start(struct server *srv, int *port, ksef_error *err)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	struct console *c;

	*port = -1;
	if (srv->cfg.console_port < 0)
		return 0;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)srv->cfg.console_port);
	if (inet_pton(AF_INET, srv->cfg.console_host, &addr.sin_addr) != 1)
		return ksef_error_set(err, KSEF_EINVAL,
			"--console: %s is not an IPv4 address",
			srv->cfg.console_host);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	c->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_POLL | MHD_USE_ERROR_LOG, 0,
		NULL, NULL, on_request, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONSOLE_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONSOLE_IDLE_S,
		MHD_OPTION_END);
	if (c->mhd == NULL) {
		free(c);
		return ksef_error_set(err, KSEF_EIO,
			"--console: cannot listen on %s:%d",
			srv->cfg.console_host, srv->cfg.console_port);
	}
	info = MHD_get_daemon_info(c->mhd, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : srv->cfg.console_port;
	srv->console = c;
	return 0;
}

void console_stop(struct server *srv)
{
	if (srv->console == NULL)
		return;
	MHD_stop_daemon(srv->console->mhd);
	free(srv->console);
	srv->console = NULL;
}
