/*
 * webdriver.h - a real headless browser for end-to-end tests: chromedriver
 * started as a child process on a loopback port, one W3C WebDriver session
 * of Debian's chromium, and the few commands a test of an HTML page needs
 * (go to a URL, find elements by CSS selector, read their rendered text
 * and attributes, click).
 *
 * Errors: a call that fails returns NULL or -1 and leaves the reason in
 * w->err, one line naming what was asked and why it failed (for an error
 * of WebDriver's own, its "error" and "message"); w->error holds the bare
 * WebDriver error code, e.g. "no such element", or "" when the failure was
 * not WebDriver's (no answer, chromedriver gone). Every call clears both
 * first. No call fails the test by itself: wrap a call in wd_must() or
 * wd_must_ok() for that.
 *
 * Ownership: every string and array a wd_ function returns belongs to w
 * and stays valid until wd_stop(w), so results of several calls can be
 * compared. A test that polls in a long loop holds all its answers until
 * then.
 */
#ifndef KSEF_WEBDRIVER_H
#define KSEF_WEBDRIVER_H

#include <stddef.h>
#include <sys/types.h>

/* How long chromedriver may take to say that it is ready, and chromium to
 * start for a new session. A loaded 2-core CI machine has needed a few
 * seconds for either; these bounds only turn a hang into an error. */
#define WD_START_MS 20000
#define WD_SESSION_MS 60000
/* The session's page-load timeout: a navigation or a click that loads a
 * page fails with WebDriver's "timeout" after this long. */
#define WD_PAGE_LOAD_MS 30000
/* Each other command's bound (libcurl's CURLOPT_TIMEOUT_MS). It is longer
 * than the page-load timeout, so that a slow page shows as WebDriver's
 * own "timeout" error rather than as a missing answer. */
#define WD_COMMAND_MS (WD_PAGE_LOAD_MS + 10000)

struct wd {
	pid_t pid;              /* the leader of a process group of its
				   own: a shell that waits for chromedriver
				   (chromium runs in the same group) */
	int port;               /* chromedriver's port on 127.0.0.1 */
	char session_url[192];  /* http://127.0.0.1:PORT/session/ID, or "" */
	char dir[256];          /* temporary: chromium's profile and
				   chromedriver.log; removed by wd_stop() */
	char error[64];         /* the last failure's WebDriver error code */
	char err[1024];         /* the last failure, one line */
	/* Private. */
	void *curl;
	void **held;
	size_t nheld, aheld;
};

/*
 * Whether a browser can run here: the chromium and chromedriver programs
 * exist and are executable ($KSEF_CHROMIUM, default /usr/bin/chromium;
 * $KSEF_CHROMEDRIVER, default /usr/bin/chromedriver). Returns 1, or 0 with
 * the reason in why (size bytes; may be NULL), for a program that then
 * prints "skipped: <why>" and returns TS_EXIT_SKIP.
 */
int wd_available(char *why, size_t size);

/*
 * Start chromedriver on a free 127.0.0.1 port (it picks one and says which;
 * no race with other programs), wait until its /status says ready (at most
 * WD_START_MS), then open a session of headless chromium with a fresh
 * profile and a page-load timeout of WD_PAGE_LOAD_MS. w need not be
 * initialised. Returns 0, or -1 with w->err set and everything started
 * already stopped again (chromedriver's log goes to stderr first).
 */
int wd_start(struct wd *w);

/*
 * End the session (chromium exits), stop chromedriver and whatever is left
 * of its process group (SIGTERM, then SIGKILL), reap chromedriver, remove
 * the temporary folder and free all that w holds. Safe on a zeroed struct,
 * after a failed wd_start() and twice. Returns 0, or -1 with w->err set
 * when a process of the group outlived SIGKILL or the folder stayed.
 */
int wd_stop(struct wd *w);

/* Load url and wait for the page to load. Returns 0 or -1. */
int wd_goto(struct wd *w, const char *url);

/* The current page's title, or NULL. */
const char *wd_title(struct wd *w);

/* The current page's URL, or NULL. */
const char *wd_url(struct wd *w);

/*
 * The first element that the CSS selector css matches, as WebDriver's
 * element reference for the calls below; NULL when none matches (w->error
 * "no such element") or on another failure. A reference is stale once its
 * page has gone.
 */
const char *wd_find(struct wd *w, const char *css);

/*
 * Every element that css matches: returns how many (0 when none), or -1.
 * *ids (ids may be NULL) receives their references in document order,
 * with a NULL after the last.
 */
int wd_find_all(struct wd *w, const char *css, const char *const **ids);

/*
 * An element's rendered text (WebDriver's "Get Element Text"): what a
 * person sees, so "" for an element that is not displayed, and white space
 * as laid out. NULL on failure.
 */
const char *wd_text(struct wd *w, const char *elem);

/* The rendered text of the page's body, as wd_text(); NULL on failure. */
const char *wd_page_text(struct wd *w);

/*
 * An element's attribute as the document has it (href as written, not
 * resolved); NULL when the element has no such attribute (w->err says so,
 * w->error is "") or on failure.
 */
const char *wd_attr(struct wd *w, const char *elem, const char *name);

/*
 * Click an element as a person would, at its centre (it must be visible
 * and not covered: else WebDriver's "element not interactable" or
 * "element click intercepted"). A click that follows a link returns once
 * the new page has loaded. Returns 0 or -1.
 */
int wd_click(struct wd *w, const char *elem);

/* value, or fail the test with w->err when it is NULL:
 * assert_string_equal(wd_must(&w, wd_title(&w)), "ksefd"). */
const char *wd_must(struct wd *w, const char *value);

/* rc, or fail the test with w->err when it is negative. */
int wd_must_ok(struct wd *w, int rc);

#endif
