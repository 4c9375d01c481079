/*
 * webdriver_smoke_test.c - the browser that the HTML tests use works, and
 * tests/support/webdriver.c reads it right: a page's title and URL, the
 * rendered text of a paragraph and none of a display:none one, the cells
 * of a table counted, a link followed by a click, WebDriver's own reasons
 * for a selector that matches nothing or is malformed, and nothing left
 * running or on disk once the browser has stopped.
 *
 * How browser tests run: wd_start() starts /usr/bin/chromedriver on a free
 * 127.0.0.1 port, and it runs headless /usr/bin/chromium (or
 * $KSEF_CHROMEDRIVER, $KSEF_CHROMIUM) with a temporary profile, as root
 * too (--no-sandbox). When either program is missing the test prints
 * "skipped: ..." and exits 77, which CTest counts as skipped;
 * scripts/setup.sh installs both (the chromium and chromium-driver
 * packages), so CI does run them. They carry the "browser" label:
 * `ctest -L browser`. Most pages here are data: URLs; the click is on a
 * page served by a small libmicrohttpd daemon inside the test, because
 * chromium refuses to navigate the top frame to a data: URL from a link.
 */
#include "testsupport.h"
#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "webdriver.h"

static struct wd w;
static struct MHD_Daemon *mhd;
static char site[64]; /* http://127.0.0.1:PORT */

static const char page[] =
	"<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
	"<title>Faktury: zażółć gęślą jaźń</title></head><body>"
	"<h1>Faktury</h1>"
	"<p id=\"shown\">Widoczny   akapit, 100% &amp; #1.</p>"
	"<p id=\"hidden\" style=\"display:none\">Ukryty akapit</p>"
	"<table id=\"t\">"
	"<tr><th>Lp.</th><th>Numer</th><th>Kwota</th></tr>"
	"<tr><td>1</td><td>FA/1/2026</td><td>100,00</td></tr>"
	"<tr><td>2</td><td>FA/2/2026</td><td>200,00</td></tr>"
	"</table></body></html>";

/* data:text/html,<html percent-encoded> into a new string. Every byte but
 * the unreserved ones (RFC 3986) is encoded: '#' would end the URL at a
 * fragment and '%' would start an escape. */
static char *data_url(const char *html)
{
	static const char prefix[] = "data:text/html;charset=utf-8,";
	size_t n = strlen(html);
	char *url = malloc(sizeof(prefix) + 3 * n), *o;

	assert_non_null(url);
	o = url + sprintf(url, "%s", prefix);
	for (const unsigned char *p = (const unsigned char *)html; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return url;
}

/* Two pages linked to each other, for the click. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **ctx)
{
	static const char one[] =
		"<!DOCTYPE html><html><head><title>One</title></head><body>"
		"<p><a id=\"next\" href=\"/two?from=one\">Dalej</a></p>"
		"</body></html>";
	static const char two[] =
		"<!DOCTYPE html><html><head><title>Two</title></head><body>"
		"<p id=\"where\">Strona druga</p></body></html>";
	const char *body = "not found";
	unsigned status = MHD_HTTP_NOT_FOUND;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)version; (void)upload; (void)upload_len; (void)ctx;
	if (strcmp(method, "GET") == 0 && strcmp(url, "/one") == 0) {
		body = one;
		status = MHD_HTTP_OK;
	} else if (strcmp(method, "GET") == 0 && strcmp(url, "/two") == 0) {
		body = two;
		status = MHD_HTTP_OK;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;

	(void)state;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			       on_request, NULL, MHD_OPTION_SOCK_ADDR,
			       (struct sockaddr *)&addr, MHD_OPTION_END);
	if (mhd == NULL) {
		fprintf(stderr, "the page server did not start\n");
		return -1;
	}
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(site, sizeof(site), "http://127.0.0.1:%u",
		 info ? (unsigned)info->port : 0u);
	if (wd_start(&w) != 0) {
		fprintf(stderr, "webdriver: %s\n", w.err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	int rc = wd_stop(&w);

	(void)state;
	if (rc != 0)
		fprintf(stderr, "webdriver: %s\n", w.err);
	if (mhd != NULL)
		MHD_stop_daemon(mhd);
	mhd = NULL;
	return rc;
}

static void goto_page(void)
{
	char *url = data_url(page);

	wd_must_ok(&w, wd_goto(&w, url));
	free(url);
}

static void reads_the_title_url_and_visible_text(void **state)
{
	const char *p;

	(void)state;
	goto_page();
	assert_string_equal(wd_must(&w, wd_title(&w)),
			    "Faktury: zażółć gęślą jaźń");
	assert_true(strncmp(wd_must(&w, wd_url(&w)), "data:text/html", 14) ==
		    0);
	p = wd_must(&w, wd_find(&w, "p#shown"));
	/* Rendered: the runs of spaces collapse, the entity is decoded. */
	assert_string_equal(wd_must(&w, wd_text(&w, p)),
			    "Widoczny akapit, 100% & #1.");
	assert_string_equal(wd_must(&w, wd_attr(&w, p, "id")), "shown");
}

static void an_element_that_is_not_displayed_has_no_text(void **state)
{
	const char *hidden, *all;

	(void)state;
	goto_page();
	/* It is in the document, with its text in the source ... */
	hidden = wd_must(&w, wd_find(&w, "#hidden"));
	assert_string_equal(wd_must(&w, wd_attr(&w, hidden, "style")),
			    "display:none");
	/* ... and a person sees none of it. */
	assert_string_equal(wd_must(&w, wd_text(&w, hidden)), "");
	all = wd_must(&w, wd_page_text(&w));
	assert_non_null(strstr(all, "Faktury\nWidoczny akapit"));
	assert_null(strstr(all, "Ukryty"));
}

static void counts_the_cells_of_a_table(void **state)
{
	const char *const *ids = NULL;

	(void)state;
	goto_page();
	assert_int_equal(wd_must_ok(&w, wd_find_all(&w, "#t td", &ids)), 6);
	assert_non_null(ids);
	assert_null(ids[6]);
	assert_string_equal(wd_must(&w, wd_text(&w, ids[1])), "FA/1/2026");
	assert_string_equal(wd_must(&w, wd_text(&w, ids[5])), "200,00");
	assert_int_equal(wd_find_all(&w, "#t th", NULL), 3);
	/* The first row's text is its cells', tab-separated as laid out. */
	assert_non_null(strstr(wd_must(&w, wd_text(&w,
		wd_must(&w, wd_find(&w, "#t tr:nth-child(2)")))), "FA/1/2026"));
	/* Nothing matched is a count of 0, not an error. */
	assert_int_equal(wd_find_all(&w, "#t caption", &ids), 0);
	assert_non_null(ids);
	assert_null(ids[0]);
}

static void a_bad_selector_fails_with_webdrivers_reason(void **state)
{
	const char *p;

	(void)state;
	goto_page();
	assert_null(wd_find(&w, "#nowhere"));
	assert_string_equal(w.error, "no such element");
	assert_non_null(strstr(w.err, "find '#nowhere': no such element: "));
	/* One line: chromedriver's stack trace and session lines are cut. */
	assert_null(strchr(w.err, '\n'));

	assert_null(wd_find(&w, "td["));
	assert_string_equal(w.error, "invalid selector");
	assert_int_equal(wd_find_all(&w, "td[", NULL), -1);
	assert_string_equal(w.error, "invalid selector");

	/* An absent attribute is not an error of WebDriver's. */
	p = wd_must(&w, wd_find(&w, "#shown"));
	assert_null(wd_attr(&w, p, "href"));
	assert_string_equal(w.error, "");
	assert_non_null(strstr(w.err, "no such attribute"));
	/* A success clears the last failure. */
	assert_non_null(wd_title(&w));
	assert_string_equal(w.err, "");

	/* A reference from a page that has gone. */
	goto_page();
	assert_null(wd_text(&w, p));
	assert_string_equal(w.error, "stale element reference");
}

static void a_click_on_a_link_loads_its_page(void **state)
{
	char url[128];
	const char *a;

	(void)state;
	snprintf(url, sizeof(url), "%s/one", site);
	wd_must_ok(&w, wd_goto(&w, url));
	assert_string_equal(wd_must(&w, wd_title(&w)), "One");
	a = wd_must(&w, wd_find(&w, "a#next"));
	assert_string_equal(wd_must(&w, wd_attr(&w, a, "href")),
			    "/two?from=one");
	assert_string_equal(wd_must(&w, wd_text(&w, a)), "Dalej");
	wd_must_ok(&w, wd_click(&w, a));
	assert_string_equal(wd_must(&w, wd_title(&w)), "Two");
	snprintf(url, sizeof(url), "%s/two?from=one", site);
	assert_string_equal(wd_must(&w, wd_url(&w)), url);
	assert_string_equal(wd_must(&w, wd_text(&w,
		wd_must(&w, wd_find(&w, "#where")))), "Strona druga");
}

/* Whether a running process's command line mentions s (chromium's carry
 * --user-data-dir=<dir>/profile). */
static int a_process_mentions(const char *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], cmd[8192];
		size_t n;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		cmd[n] = '\0';
		found = strstr(cmd, s) != NULL;
	}
	closedir(d);
	return found;
}

static void a_stopped_browser_leaves_nothing_behind(void **state)
{
	struct wd b;
	char dir[sizeof(b.dir)];
	struct stat st;
	pid_t group;

	(void)state;
	if (wd_start(&b) != 0)
		fail_msg("webdriver: %s", b.err);
	group = b.pid;
	snprintf(dir, sizeof(dir), "%s", b.dir);
	wd_must_ok(&b, wd_goto(&b, "about:blank"));
	assert_true(a_process_mentions(dir)); /* chromium is running */
	assert_int_equal(kill(-group, 0), 0);

	assert_int_equal(wd_stop(&b), 0);
	assert_int_equal(kill(-group, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_false(a_process_mentions(dir));
	assert_int_equal(stat(dir, &st), -1);
	/* A stopped browser answers with a reason, and stops again. */
	assert_null(wd_title(&b));
	assert_non_null(strstr(b.err, "no WebDriver session"));
	assert_int_equal(wd_stop(&b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_the_title_url_and_visible_text),
		cmocka_unit_test(an_element_that_is_not_displayed_has_no_text),
		cmocka_unit_test(counts_the_cells_of_a_table),
		cmocka_unit_test(a_bad_selector_fails_with_webdrivers_reason),
		cmocka_unit_test(a_click_on_a_link_loads_its_page),
		cmocka_unit_test(a_stopped_browser_leaves_nothing_behind),
	};
	char why[512];

	if (!wd_available(why, sizeof(why))) {
		printf("skipped: %s\n", why);
		return TS_EXIT_SKIP;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
