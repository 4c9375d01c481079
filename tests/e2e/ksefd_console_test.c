/*
 * ksefd_console_test.c - the console (docs/console.md) as a person sees
 * it: the real ksefd with --console, a session sent by the real client
 * (an accepted invoice whose seller's name is hostile markup, and one the
 * schema refuses), a KSeF token whose description is hostile markup, and
 * a fault plan; then each page loaded in headless Chromium, followed from
 * link to link, and what it shows read back as rendered text. Beside the
 * browser, the listener's own promises over plain HTTP: GET and HEAD
 * only, the security headers, downloads that are the stored bytes.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "ksefd_harness.h"
#include "webdriver.h"

#define NIP "5265877635"
#define HOSTILE "<script>alert(1)</script> & \"Q\""
/* The same, as the invoice carries it (XML-escaped). */
#define HOSTILE_XML "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Q&quot;"

static struct ksefd_proc srv;
static char sref[KSEF_REFNUM_BUFSZ], good[KSEF_REFNUM_BUFSZ],
	    bad[KSEF_REFNUM_BUFSZ], ksef_number[KSEF_NUMBER_BUFSZ];
static ksef_buf sent = KSEF_BUF_INIT;    /* the accepted invoice's XML */

/* The console's URL of path, in a static buffer. */
static const char *curl_of(const char *path)
{
	static char u[512];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", srv.console_port,
		 path);
	return u;
}

/* ---- plain HTTP ---- */

struct answer {
	long status;
	ksef_buf body;
	char headers[4096];
	size_t hlen;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;

	if (ksef_buf_append(&a->body, p, size * n, (size_t)64 << 20) != 0)
		return 0;
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (a->hlen + len < sizeof(a->headers)) {
		memcpy(a->headers + a->hlen, p, len);
		a->hlen += len;
		a->headers[a->hlen] = '\0';
	}
	return len;
}

static void fetch(struct answer *a, const char *method, const char *path)
{
	CURL *c = curl_easy_init();

	memset(a, 0, sizeof(*a));
	a->body = (ksef_buf)KSEF_BUF_INIT;
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, curl_of(path));
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"a\": 1}");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(c) != CURLE_OK)
		fail_msg("no answer from the console to %s %s", method, path);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_cleanup(c);
}

/* The value of a header (case-insensitive name), or "" */
static const char *header(const struct answer *a, const char *name)
{
	static char v[1024];
	const char *p = a->headers;
	size_t n = strlen(name);

	v[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *s = p + n + 1, *e = strstr(s, "\r\n");

			while (*s == ' ')
				s++;
			snprintf(v, sizeof(v), "%.*s",
				 (int)(e ? (size_t)(e - s) : strlen(s)), s);
			return v;
		}
		p = strstr(p, "\r\n");
		if (p != NULL)
			p += 2;
	}
	return v;
}

/* ---- the browser: started once, for the tests that load pages ---- */

static struct wd w;
static int have_browser;

static int browser_setup(void)
{
	char why[256];

	have_browser = wd_available(why, sizeof(why));
	if (!have_browser) {
		printf("browser tests skipped: %s\n", why);
		return 0;
	}
	if (wd_start(&w) != 0) {
		fprintf(stderr, "the browser did not start: %s\n", w.err);
		return -1;
	}
	return 0;
}

static void browser_teardown(void)
{
	if (have_browser && wd_stop(&w) != 0)
		fail_msg("the browser did not stop: %s", w.err);
}

/* ---- what the tests look at ---- */

static int setup(void **state)
{
	static const char *const args[] = { "--console", "0",
		"--processing-delay", "0", NULL };
	struct login l;
	ksef_envelope *env = NULL;
	ksef_api_invoice_status *st;
	ksef_buf xml = KSEF_BUF_INIT;
	char token[256], out[512], *p;
	const char *at;
	ksef_error err;

	(void)state;
	if (ksef_global_init() != 0 || curl_global_init(CURL_GLOBAL_ALL) != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, args);
	assert_true(srv.console_port > 0);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token,
		    sizeof(token));
	assert_int_equal(ksefd_command(&srv, "token create --nip " NIP
		" --description '" HOSTILE "'", out, sizeof(out)), 0);
	assert_int_equal(ksefd_command(&srv, "grant --nip " NIP
		" --subject-nip 7010012385 --permissions InvoiceRead", out,
		sizeof(out)), 0);
	login(&l, &srv, NIP, token);
	open_session(&l, KSEF_FORM_FA3, &env, sref);

	/* accepted, its seller named in markup */
	gen(&sent, KSEF_FORM_FA3, NIP, "CONSOLE/", 1, NULL);
	at = strstr((const char *)sent.ptr, "<Nazwa>");
	assert_non_null(at);
	p = strstr(at, "</Nazwa>");
	assert_non_null(p);
	{
		ksef_buf b = KSEF_BUF_INIT;
		const char *open_end = at + strlen("<Nazwa>");

		assert_int_equal(ksef_buf_append(&b, sent.ptr,
			(size_t)(open_end - (const char *)sent.ptr),
			(size_t)1 << 24), 0);
		assert_int_equal(ksef_buf_append(&b, HOSTILE_XML,
			strlen(HOSTILE_XML), (size_t)1 << 24), 0);
		assert_int_equal(ksef_buf_append(&b, p,
			sent.size - (size_t)(p - (const char *)sent.ptr),
			(size_t)1 << 24),
			0);
		ksef_buf_dispose(&sent);
		sent = b;
	}
	send_xml(&l, sref, env, &sent, good);

	/* refused by the schema: a total that is no amount */
	gen(&xml, KSEF_FORM_FA3, NIP, "CONSOLE/", 2, NULL);
	p = strstr((char *)xml.ptr, "<P_15>");
	assert_non_null(p);
	memcpy(p + strlen("<P_15>"), "abc", 3);
	send_xml(&l, sref, env, &xml, bad);

	st = wait_invoice(&l, sref, good);
	assert_int_equal(st->status->code, 200);
	snprintf(ksef_number, sizeof(ksef_number), "%s", st->ksef_number);
	ksef_api_invoice_status_free(st);
	st = wait_invoice(&l, sref, bad);
	assert_int_equal(st->status->code, 450);
	ksef_api_invoice_status_free(st);
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, NULL), 200);
	assert_int_equal(ksefd_faults_set(&srv, "{\"rules\": [{\"id\": "
		"\"slow-status\", \"action\": \"delay\", \"delay_ms\": 1, "
		"\"route\": \"GET /sessions/{ref}\"}]}"), 0);
	/* the rule fires once */
	{
		ksef_api_session_status *ss = NULL;

		assert_int_equal(ksef_client_session_status(&ss, l.c, sref,
							    &err), 0);
		ksef_api_session_status_free(ss);
	}
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
	return browser_setup();
}

static int teardown(void **state)
{
	(void)state;
	browser_teardown();
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	ksef_buf_dispose(&sent);
	curl_global_cleanup();
	return 0;
}

/* ---- the listener over plain HTTP ---- */

static void only_get_and_head_are_answered(void **state)
{
	struct answer a;

	(void)state;
	fetch(&a, "POST", "/");
	assert_int_equal(a.status, 405);
	assert_string_equal(header(&a, "Allow"), "GET, HEAD");
	ksef_buf_dispose(&a.body);
	fetch(&a, "DELETE", "/sessions/x");
	assert_int_equal(a.status, 405);
	ksef_buf_dispose(&a.body);
	fetch(&a, "HEAD", "/");
	assert_int_equal(a.status, 200);
	assert_int_equal(a.body.size, 0);
	ksef_buf_dispose(&a.body);
}

static void pages_forbid_scripts_and_caching(void **state)
{
	struct answer a;

	(void)state;
	fetch(&a, "GET", "/");
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(header(&a, "Content-Type"), "text/html"));
	assert_non_null(strstr(header(&a, "Content-Security-Policy"),
			       "default-src 'none'"));
	assert_null(strstr(header(&a, "Content-Security-Policy"), "script"));
	assert_string_equal(header(&a, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(header(&a, "Cache-Control"), "no-store");
	assert_null(strstr((const char *)a.body.ptr, "<script"));
	ksef_buf_dispose(&a.body);
}

static void unknown_and_malformed_paths_are_404_or_400(void **state)
{
	static const char *const not_found[] = {
		"/nope", "/sessions/20261204-SO-0000000000-0000000000-00",
		"/sessions/../../etc/passwd", "/invoices/%0aforged",
		"/contexts/Nip/123", "/contexts/Evil/5265877635",
		"/sessions/a/b/c/d/e", "//",
	};
	struct answer a;
	char path[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(not_found) / sizeof(*not_found); i++) {
		fetch(&a, "GET", not_found[i]);
		if (a.status != 404)
			fail_msg("%s: %ld, not 404", not_found[i], a.status);
		assert_non_null(strstr((const char *)a.body.ptr, "Not found"));
		ksef_buf_dispose(&a.body);
	}
	fetch(&a, "GET", "/?offset=-1");
	assert_int_equal(a.status, 400);
	ksef_buf_dispose(&a.body);
	snprintf(path, sizeof(path), "/sessions/%s?after=x", sref);
	fetch(&a, "GET", path);
	assert_int_equal(a.status, 400);
	ksef_buf_dispose(&a.body);
	fetch(&a, "GET", "/contexts/Nip/" NIP "?after=1.nope");
	assert_int_equal(a.status, 400);
	ksef_buf_dispose(&a.body);
	/* a refused invoice has no XML or UPO to download */
	snprintf(path, sizeof(path), "/invoices/%s/invoice.xml", bad);
	fetch(&a, "GET", path);
	assert_int_equal(a.status, 404);
	ksef_buf_dispose(&a.body);
}

static void downloads_are_the_stored_documents(void **state)
{
	struct answer a;
	char path[256], name[160];

	(void)state;
	snprintf(path, sizeof(path), "/invoices/%s/invoice.xml", good);
	fetch(&a, "GET", path);
	assert_int_equal(a.status, 200);
	assert_string_equal(header(&a, "Content-Type"), "application/xml");
	snprintf(name, sizeof(name), "attachment; filename=\"%s.xml\"",
		 ksef_number);
	assert_string_equal(header(&a, "Content-Disposition"), name);
	assert_int_equal(a.body.size, sent.size);
	assert_memory_equal(a.body.ptr, sent.ptr, sent.size);
	ksef_buf_dispose(&a.body);

	snprintf(path, sizeof(path), "/invoices/%s/upo.xml", good);
	fetch(&a, "GET", path);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr((const char *)a.body.ptr, ksef_number));
	assert_non_null(strstr((const char *)a.body.ptr, "Potwierdzenie"));
	ksef_buf_dispose(&a.body);

	snprintf(path, sizeof(path), "/sessions/%s/upo/1", sref);
	fetch(&a, "GET", path);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr((const char *)a.body.ptr, sref));
	assert_non_null(strstr((const char *)a.body.ptr, ksef_number));
	ksef_buf_dispose(&a.body);
	snprintf(path, sizeof(path), "/sessions/%s/upo/2", sref);
	fetch(&a, "GET", path);
	assert_int_equal(a.status, 404);
	ksef_buf_dispose(&a.body);
}

/* The rendered text of the first element css matches. */
static const char *text_of(const char *css)
{
	const char *e = wd_find(&w, css);

	if (e == NULL)
		fail_msg("%s: %s", css, w.err);
	return wd_must(&w, wd_text(&w, e));
}

static void click(const char *css)
{
	const char *e = wd_find(&w, css);

	if (e == NULL)
		fail_msg("%s: %s", css, w.err);
	wd_must_ok(&w, wd_click(&w, e));
}

static int rows(const char *css)
{
	return wd_must_ok(&w, wd_find_all(&w, css, NULL));
}

static void a_person_follows_a_context_to_its_session(void **state)
{
	const char *t;

	(void)state;
	if (!have_browser)
		skip();
	wd_must_ok(&w, wd_goto(&w, curl_of("/")));
	assert_string_equal(wd_must(&w, wd_title(&w)),
			    "Contexts - ksefd console");
	assert_int_equal(rows("#contexts tbody tr"), 1);
	t = text_of("#contexts tbody tr");
	assert_non_null(strstr(t, "Nip " NIP));
	click("#contexts tbody a");
	assert_string_equal(wd_must(&w, wd_title(&w)),
			    "Context Nip " NIP " - ksefd console");
	/* two tokens: the hostile description is text, not markup */
	assert_int_equal(rows("#tokens tbody tr"), 2);
	assert_non_null(strstr(wd_must(&w, wd_page_text(&w)), HOSTILE));
	assert_int_equal(rows("script"), 0);
	/* the grant made with `ksefd grant` */
	assert_int_equal(rows("#permissions tbody tr"), 1);
	t = text_of("#permissions tbody tr");
	assert_non_null(strstr(t, "Nip 7010012385"));
	assert_non_null(strstr(t, "InvoiceRead"));
	assert_int_equal(rows("#sessions tbody tr"), 1);
	t = text_of("#sessions tbody tr");
	assert_non_null(strstr(t, sref));
	assert_non_null(strstr(t, "200 Sesja interaktywna przetworzona "
			       "pomyślnie"));
	click("#sessions tbody a");
	assert_non_null(strstr(wd_must(&w, wd_url(&w)), sref));
}

static void the_session_page_shows_history_upo_and_invoices(void **state)
{
	char u[256];
	const char *t;

	(void)state;
	if (!have_browser)
		skip();
	snprintf(u, sizeof(u), "/sessions/%s", sref);
	wd_must_ok(&w, wd_goto(&w, curl_of(u)));
	t = text_of("#session");
	assert_non_null(strstr(t, "2 sent, 1 accepted, 1 refused"));
	assert_int_equal(rows("#history tbody tr"), 3);
	assert_non_null(strstr(text_of("#history tbody tr:nth-child(1)"),
			       "100 Sesja interaktywna otwarta"));
	assert_non_null(strstr(text_of("#history tbody tr:nth-child(2)"),
			       "170 Sesja interaktywna zamknięta"));
	assert_non_null(strstr(text_of("#history tbody tr:nth-child(3)"),
			       "200 Sesja interaktywna przetworzona"));
	assert_int_equal(rows("#upo li"), 1);
	assert_non_null(strstr(text_of("#upo li"), "UPO page 1"));
	assert_int_equal(rows("#invoices tbody tr"), 2);
	t = text_of("#invoices tbody tr:nth-child(1)");
	assert_non_null(strstr(t, "CONSOLE/"));
	assert_non_null(strstr(t, "200 Sukces"));
	assert_non_null(strstr(t, ksef_number));
	t = text_of("#invoices tbody tr:nth-child(2)");
	assert_non_null(strstr(t, "450"));
	click("#invoices tbody tr:nth-child(2) a");
	/* the refused one: its status, why, and no content */
	t = text_of("#invoice");
	assert_non_null(strstr(t, "450 Błąd weryfikacji semantyki"));
	assert_non_null(strstr(t, "P_15"));
	assert_int_equal(rows("#downloads"), 0);
	assert_non_null(strstr(wd_must(&w, wd_page_text(&w)),
			       "keeps the content of accepted invoices"));
}

static void the_accepted_invoice_is_shown_readably(void **state)
{
	char u[256];
	const char *t, *link;

	(void)state;
	if (!have_browser)
		skip();
	snprintf(u, sizeof(u), "/invoices/%s", good);
	wd_must_ok(&w, wd_goto(&w, curl_of(u)));
	t = text_of("#invoice");
	assert_non_null(strstr(t, "200 Sukces"));
	assert_non_null(strstr(t, ksef_number));
	assert_non_null(strstr(t, "Seller NIP"));
	assert_non_null(strstr(t, NIP));
	link = wd_find(&w, "#downloads a");
	assert_non_null(link);
	snprintf(u, sizeof(u), "/invoices/%s/invoice.xml", good);
	assert_string_equal(wd_must(&w, wd_attr(&w, link, "href")), u);
	/* the invoice itself: the seller's name as text, no script */
	t = text_of("article.invoice");
	assert_non_null(strstr(t, NIP));
	assert_non_null(strstr(t, HOSTILE));
	assert_non_null(strstr(t, "CONSOLE/"));
	assert_int_equal(rows("script"), 0);
	assert_true(rows("article.invoice table tr") > 2);
}

static void the_faults_page_shows_the_plan_and_its_counts(void **state)
{
	const char *t;

	(void)state;
	if (!have_browser)
		skip();
	wd_must_ok(&w, wd_goto(&w, curl_of("/faults")));
	assert_non_null(strstr(text_of("#plan-state"), "is in force"));
	t = text_of("#fired tbody tr");
	assert_non_null(strstr(t, "slow-status"));
	assert_non_null(strstr(t, "1"));
	assert_non_null(strstr(text_of("#plan"), "\"delay_ms\": 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(only_get_and_head_are_answered),
		cmocka_unit_test(pages_forbid_scripts_and_caching),
		cmocka_unit_test(unknown_and_malformed_paths_are_404_or_400),
		cmocka_unit_test(downloads_are_the_stored_documents),
		cmocka_unit_test(a_person_follows_a_context_to_its_session),
		cmocka_unit_test(
			the_session_page_shows_history_upo_and_invoices),
		cmocka_unit_test(the_accepted_invoice_is_shown_readably),
		cmocka_unit_test(the_faults_page_shows_the_plan_and_its_counts),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
