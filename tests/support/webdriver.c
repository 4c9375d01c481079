/*
 * webdriver.c - a small W3C WebDriver client for end-to-end tests
 * (https://www.w3.org/TR/webdriver2/), over libcurl and jansson. It owns
 * chromedriver's process and everything in it, the one session, and the
 * memory of what it hands out; which pages to load and what to expect of
 * them are the tests' business.
 *
 * chromedriver runs in a process group of its own, led by a shell that
 * waits for it, and the chromium it launches stays in that group, so that
 * one kill(-pgid) at the end reaches every browser process even when
 * chromedriver itself died first; the test program is their subreaper, so
 * that it reaps them too.
 * When the test program is killed before it could call wd_stop(), the
 * group goes with it (spawn_driver()).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include "testsupport.h"
#include "webdriver.h"

/* The key under which WebDriver sends an element reference (the spec's
 * "web element identifier"). */
#define ELEMENT_KEY "element-6066-11e4-a52e-4f735466cecf"

/* An answer bigger than this is refused: a test page's text is a few
 * kilobytes, and a runaway page must not eat the test's memory. */
#define WD_MAX_ANSWER (16u << 20)

/* How long chromedriver and chromium get to go after SIGTERM, and the rest
 * of the group after SIGKILL, before wd_stop() gives up on them. */
#define WD_STOP_MS 5000

static const char *chromium_path(void)
{
	const char *p = getenv("KSEF_CHROMIUM");

	return p && *p ? p : "/usr/bin/chromium";
}

static const char *chromedriver_path(void)
{
	const char *p = getenv("KSEF_CHROMEDRIVER");

	return p && *p ? p : "/usr/bin/chromedriver";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int set_err(struct wd *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int set_err(struct wd *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void clear_err(struct wd *w)
{
	w->err[0] = '\0';
	w->error[0] = '\0';
}

int wd_available(char *why, size_t size)
{
	const char *progs[2] = { chromium_path(), chromedriver_path() };
	const char *pkgs[2] = { "chromium", "chromium-driver" };

	for (int i = 0; i < 2; i++) {
		if (access(progs[i], X_OK) == 0)
			continue;
		if (why != NULL)
			snprintf(why, size, "%s is not there (%s); install the "
				 "%s package, as scripts/setup.sh does",
				 progs[i], strerror(errno), pkgs[i]);
		return 0;
	}
	return 1;
}

/* Keep p until wd_stop(); returns it, or NULL (p freed) when out of
 * memory. */
static void *hold(struct wd *w, void *p)
{
	if (p == NULL) {
		set_err(w, "out of memory");
		return NULL;
	}
	if (w->nheld == w->aheld) {
		size_t n = w->aheld ? 2 * w->aheld : 16;
		void **h = realloc(w->held, n * sizeof(*h));

		if (h == NULL) {
			free(p);
			set_err(w, "out of memory");
			return NULL;
		}
		w->held = h;
		w->aheld = n;
	}
	w->held[w->nheld++] = p;
	return p;
}

static const char *hold_string(struct wd *w, const char *s)
{
	return hold(w, strdup(s));
}

/* Whether chromedriver is still running; reaps it if not. */
static int driver_alive(struct wd *w, int *status)
{
	int st;

	if (w->pid <= 0)
		return 0;
	if (waitpid(w->pid, &st, WNOHANG) != w->pid)
		return 1;
	if (status != NULL)
		*status = st;
	w->pid = -w->pid; /* reaped; the group id is kept for wd_stop() */
	return 0;
}

struct answer {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct answer *a = ud;
	size_t add = size * n;
	char *d;

	if (add > WD_MAX_ANSWER - a->len)
		return 0; /* libcurl fails the transfer: CURLE_WRITE_ERROR */
	d = realloc(a->data, a->len + add + 1);
	if (d == NULL)
		return 0;
	memcpy(d + a->len, p, add);
	a->len += add;
	d[a->len] = '\0';
	a->data = d;
	return add;
}

/* WebDriver's message up to its first line end: chromedriver appends the
 * browser's version and a native stack trace on the lines after. */
static void failure_from(struct wd *w, const char *what, json_t *value)
{
	const char *error = json_string_value(json_object_get(value, "error"));
	const char *msg = json_string_value(json_object_get(value, "message"));
	size_t n;

	snprintf(w->error, sizeof(w->error), "%s", error ? error : "");
	msg = msg ? msg : "";
	n = strcspn(msg, "\n");
	set_err(w, "%s: %s: %.*s", what, error ? error : "unknown error",
		(int)n, msg);
}

/*
 * One HTTP request to chromedriver: method, a path under base (the
 * session's URL, or chromedriver's own for NULL), an optional JSON body
 * (stolen). Returns the answer's "value" (a new reference; json_null() for
 * a command without one), or NULL with w->err beginning with what.
 */
static json_t *request(struct wd *w, const char *what, const char *method,
		       const char *base, const char *path, json_t *body,
		       long timeout_ms)
{
	struct answer a = { NULL, 0 };
	struct curl_slist *h = NULL;
	char url[1024], errbuf[CURL_ERROR_SIZE] = "";
	char *text = NULL;
	json_t *doc = NULL, *value = NULL;
	json_error_t jerr;
	CURLcode rc;
	long status = 0;
	int st = 0;

	if (w->curl == NULL) {
		json_decref(body);
		set_err(w, "%s: no WebDriver session (wd_start() first)", what);
		return NULL;
	}
	if (base == NULL)
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", w->port,
			 path);
	else
		snprintf(url, sizeof(url), "%s%s", base, path);
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (text == NULL) {
			set_err(w, "%s: out of memory", what);
			return NULL;
		}
		h = curl_slist_append(h, "Content-Type: application/json");
	}
	curl_easy_reset(w->curl);
	curl_easy_setopt(w->curl, CURLOPT_URL, url);
	curl_easy_setopt(w->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(w->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, &a);
	if (text != NULL) {
		curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
	}
	rc = curl_easy_perform(w->curl);
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(w->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(h);
	free(text);
	if (rc != CURLE_OK) {
		if (w->pid <= 0)
			set_err(w, "%s: chromedriver is not running", what);
		else if (!driver_alive(w, &st))
			set_err(w, "%s: chromedriver has exited (%s %d)", what,
				WIFEXITED(st) ? "status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		else if (rc == CURLE_WRITE_ERROR)
			set_err(w, "%s: chromedriver's answer is over %u bytes",
				what, WD_MAX_ANSWER);
		else
			set_err(w, "%s: no answer from chromedriver within "
				"%ld ms: %s", what, timeout_ms,
				*errbuf ? errbuf : curl_easy_strerror(rc));
		goto done;
	}
	doc = json_loadb(a.data ? a.data : "", a.len, 0, &jerr);
	if (doc == NULL || !json_is_object(doc) ||
	    json_object_get(doc, "value") == NULL) {
		set_err(w, "%s: HTTP %ld from chromedriver without a WebDriver "
			"answer: %.100s", what, status, a.data ? a.data : "");
		goto done;
	}
	value = json_object_get(doc, "value");
	if (status != 200) {
		failure_from(w, what, value);
		value = NULL;
		goto done;
	}
	json_incref(value);
done:
	json_decref(doc);
	free(a.data);
	return value;
}

/* A command of the session. */
static json_t *command(struct wd *w, const char *what, const char *method,
		       const char *path, json_t *body)
{
	if (w->session_url[0] == '\0') {
		json_decref(body);
		set_err(w, "%s: no WebDriver session (wd_start() first)", what);
		return NULL;
	}
	return request(w, what, method, w->session_url, path, body,
		       WD_COMMAND_MS);
}

/* A command whose value is a string: that string, held by w. */
static const char *string_command(struct wd *w, const char *what,
				  const char *method, const char *path)
{
	json_t *v = command(w, what, method, path, NULL);
	const char *s = NULL;

	if (v == NULL)
		return NULL;
	if (!json_is_string(v))
		set_err(w, "%s: chromedriver's value is not a string", what);
	else
		s = hold_string(w, json_string_value(v));
	json_decref(v);
	return s;
}

/* "/element/<id><rest>", the id escaped: a reference is chromedriver's
 * text, and a wrong one must give WebDriver's error, not a wrong path. */
static int element_path(struct wd *w, char *out, size_t size,
			const char *what, const char *elem, const char *rest)
{
	char *e;
	int n;

	if (w->curl == NULL)
		return set_err(w, "%s: no WebDriver session (wd_start() "
			       "first)", what);
	if (elem == NULL)
		return set_err(w, "%s: no element (NULL)", what);
	e = curl_easy_escape(w->curl, elem, 0);
	if (e == NULL)
		return set_err(w, "%s: out of memory", what);
	n = snprintf(out, size, "/element/%s%s", e, rest);
	curl_free(e);
	if (n < 0 || (size_t)n >= size)
		return set_err(w, "%s: element reference too long", what);
	return 0;
}

/* Wait until chromedriver's log (its stdout) says which port it took. */
static int wait_for_port(struct wd *w, const char *log, long long until)
{
	static const char said[] = "started successfully on port ";
	char buf[4096];
	int st = 0;

	while (now_ms() < until) {
		FILE *f = fopen(log, "r");
		size_t n = 0;
		const char *p;

		if (f != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if ((p = strstr(buf, said)) != NULL) {
			w->port = atoi(p + sizeof(said) - 1);
			if (w->port > 0 && w->port < 65536)
				return 0;
		}
		if (!driver_alive(w, &st))
			return set_err(w, "chromedriver exited (%s %d) before "
				       "it listened",
				       WIFEXITED(st) ? "status" : "signal",
				       WIFEXITED(st) ? WEXITSTATUS(st)
						     : WTERMSIG(st));
		sleep_ms(20);
	}
	return set_err(w, "chromedriver did not say its port within %d ms",
		       WD_START_MS);
}

/* GET /status until "ready" is true. */
static int wait_for_ready(struct wd *w, long long until)
{
	while (now_ms() < until) {
		json_t *v = request(w, "status", "GET", NULL, "/status", NULL,
				    1000);
		int ready = json_is_true(json_object_get(v, "ready"));

		json_decref(v);
		if (ready) {
			clear_err(w);
			return 0;
		}
		if (w->pid <= 0)
			return -1; /* exited: request() said so */
		sleep_ms(50);
	}
	return set_err(w, "chromedriver not ready within %d ms%s%s",
		       WD_START_MS, *w->err ? "; last: " : "", w->err);
}

/*
 * The environment of chromedriver and so of chromium: the test's own, with
 * HOME and the XDG folders moved into w->dir, where chromium keeps what it
 * writes outside its profile (dconf's cache, and the crash database if a
 * crash reporter ran). A test must not write to the home folder of whoever
 * runs it. NULL when out of memory; free() the array, then each string
 * from index 0 to 2 (the rest are borrowed from environ).
 */
extern char **environ;
static char **driver_env(const struct wd *w)
{
	static const char *const moved[] = { "HOME", "XDG_CONFIG_HOME",
					     "XDG_CACHE_HOME" };
	static const char *const under[] = { "", "/.config", "/.cache" };
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (k = 0; k < 3; k++) {
		size_t len = strlen(moved[k]) + strlen(w->dir) +
			     strlen(under[k]) + 2;

		if ((env[k] = malloc(len)) == NULL) {
			while (k > 0)
				free(env[--k]);
			free(env);
			return NULL;
		}
		snprintf(env[k], len, "%s=%s%s", moved[k], w->dir, under[k]);
	}
	for (size_t i = 0; i < n; i++) {
		int keep = 1;

		for (size_t m = 0; m < 3; m++) {
			size_t len = strlen(moved[m]);

			if (strncmp(environ[i], moved[m], len) == 0 &&
			    environ[i][len] == '=')
				keep = 0;
		}
		if (keep)
			env[k++] = environ[i];
	}
	return env;
}

/*
 * chromedriver writes its port, and with --enable-chrome-logs chromium's
 * own stderr (why a browser did not start), to log. It runs under a shell
 * that leads the process group and gets SIGTERM when the test program
 * dies (PR_SET_PDEATHSIG, which exec keeps): the shell then kills the
 * whole group, chromium too, which would otherwise outlive a test killed
 * by CTest's timeout. wd_stop()'s own SIGTERM takes the same path.
 */
static int spawn_driver(struct wd *w, const char *log)
{
	char sh[] = "/bin/sh", c[] = "-c",
	     script[] = "trap 'kill -KILL 0' TERM; \"$0\" \"$@\" & wait $!",
	     port_arg[] = "--port=0", logs_arg[] = "--enable-chrome-logs";
	char *const argv[] = { sh, c, script, (char *)chromedriver_path(),
			       port_arg, logs_arg, NULL };
	char **env = driver_env(w);
	pid_t parent = getpid();
	pid_t pid;

	if (env == NULL)
		return set_err(w, "out of memory");
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int nul = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127); /* the test died before the line above */
		if (fd < 0 || nul < 0)
			_exit(126);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execve(argv[0], argv, env);
		_exit(127);
	}
	for (int k = 0; k < 3; k++)
		free(env[k]);
	free(env);
	if (pid < 0)
		return set_err(w, "fork: %s", strerror(errno));
	/* Both sides set the group, so that it exists whichever runs
	 * first; the child's call may fail once it has exec'd. */
	setpgid(pid, pid);
	w->pid = pid;
	return 0;
}

static int new_session(struct wd *w)
{
	json_t *caps, *v;
	const char *id;
	char profile[300];

	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile",
		 w->dir);
	/* --no-sandbox: chromium's sandbox refuses to run as root, which CI
	 * containers are. --disable-dev-shm-usage: a container's /dev/shm is
	 * often 64 MB, too small for the renderer. A fixed window size keeps
	 * layout, and so what is displayed, the same everywhere. (Chromium
	 * also starts two crash handlers outside the process group:
	 * --disable-crashpad-for-testing would spare them, but with it
	 * chromium 156 loads no page, so stop_strays() ends them.) */
	caps = json_pack("{s:{s:{s:s, s:s, s:{s:i, s:i, s:i}, "
			 "s:{s:s, s:[sssssss]}}}}",
		"capabilities", "alwaysMatch",
		"browserName", "chrome",
		"pageLoadStrategy", "normal",
		"timeouts", "pageLoad", WD_PAGE_LOAD_MS, "script", 10000,
			"implicit", 0,
		"goog:chromeOptions", "binary", chromium_path(),
		"args", "--headless=new", "--no-sandbox", "--disable-gpu",
			"--disable-dev-shm-usage", "--window-size=1280,1024",
			"--no-first-run", profile);
	if (caps == NULL)
		return set_err(w, "new session: out of memory");
	v = request(w, "new session", "POST", NULL, "/session", caps,
		    WD_SESSION_MS);
	if (v == NULL)
		return -1;
	id = json_string_value(json_object_get(v, "sessionId"));
	if (id == NULL || strspn(id, "0123456789abcdefABCDEF-") != strlen(id)) {
		json_decref(v);
		return set_err(w, "new session: no usable sessionId in "
			       "chromedriver's answer");
	}
	snprintf(w->session_url, sizeof(w->session_url),
		 "http://127.0.0.1:%d/session/%s", w->port, id);
	json_decref(v);
	return 0;
}

int wd_start(struct wd *w)
{
	char *dir, log[300];
	long long until = now_ms() + WD_START_MS;
	int rc;

	memset(w, 0, sizeof(*w));
	if (!wd_available(w->err, sizeof(w->err)))
		return -1;
	/* The browser processes that chromedriver leaves behind when it
	 * dies first become our children, not init's, so that wd_stop()
	 * reaps them: in a container, init may be a program that never
	 * reaps, and its zombies would count as a group still alive. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	dir = ts_mkdtemp();
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	free(dir);
	snprintf(log, sizeof(log), "%s/chromedriver.log", w->dir);
	w->curl = curl_easy_init();
	if (w->curl == NULL)
		rc = set_err(w, "curl_easy_init failed");
	else
		rc = spawn_driver(w, log);
	if (rc == 0)
		rc = wait_for_port(w, log, until);
	if (rc == 0)
		rc = wait_for_ready(w, until);
	if (rc == 0)
		rc = new_session(w);
	if (rc != 0) {
		char err[sizeof(w->err)], error[sizeof(w->error)];

		/* Why chromedriver or chromium failed is in its log, which
		 * the clean-up removes: show its end. */
		fprintf(stderr, "wd_start: %s; chromedriver's log:\n", w->err);
		ts_system("tail -n 40 '%s' >&2", log);
		memcpy(err, w->err, sizeof(err));
		memcpy(error, w->error, sizeof(error));
		wd_stop(w);
		memcpy(w->err, err, sizeof(err));
		memcpy(w->error, error, sizeof(error));
		return -1;
	}
	return 0;
}

/* SIGTERM to the group, then SIGKILL to what remains after WD_STOP_MS;
 * its members that are our children are reaped as they go. Returns
 * whether the whole group is gone. */
static int stop_group(struct wd *w)
{
	pid_t pgid = w->pid > 0 ? w->pid : -w->pid, r;
	long long until = now_ms() + WD_STOP_MS;
	int killed = 0;

	if (pgid <= 0)
		return 1;
	kill(-pgid, SIGTERM);
	for (;;) {
		/* A zombie still counts for kill(): reap first. */
		while ((r = waitpid(-pgid, NULL, WNOHANG)) > 0)
			if (r == w->pid)
				w->pid = -w->pid;
		if (kill(-pgid, 0) != 0 && errno == ESRCH)
			break;
		if (now_ms() >= until) {
			if (killed)
				break;
			kill(-pgid, SIGKILL);
			killed = 1;
			until = now_ms() + WD_STOP_MS;
		}
		sleep_ms(20);
	}
	w->pid = 0;
	return kill(-pgid, 0) != 0 && errno == ESRCH;
}

/* Whether /proc/<pid>/cmdline mentions s. */
static int cmdline_mentions(const char *pid, const char *s)
{
	char path[300], cmd[8192];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, s) != NULL;
}

/*
 * One process, if it is a child of ours (self): reaped when it is a
 * zombie named chrom..., sent sig when it mentions w->dir. Returns 1 for
 * a live process of this browser, 0 otherwise.
 */
static int stray(struct wd *w, const char *pid, pid_t self, int sig)
{
	char path[300], line[512], state;
	const char *comm_end;
	long ppid;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and
	 * parentheses, so it ends at the last ')'. */
	comm_end = strrchr(line, ')');
	if (comm_end == NULL ||
	    sscanf(comm_end + 1, " %c %ld", &state, &ppid) != 2 ||
	    ppid != (long)self)
		return 0;
	if (state == 'Z') {
		if (strstr(line, " (chrom") != NULL)
			waitpid((pid_t)atol(pid), NULL, WNOHANG);
		return 0;
	}
	if (!cmdline_mentions(pid, w->dir))
		return 0;
	kill((pid_t)atol(pid), sig);
	return 1;
}

/*
 * chromium's crash handlers (chrome_crashpad_handler) leave the process
 * group: they are started through a double fork and setsid(). As the
 * subreaper we are their parent, and they stop a moment after the
 * browser does. Here the live ones that belong to this browser (their
 * --database is in w->dir, where HOME was moved) are stopped, and every
 * zombie child of ours named chrom... is reaped: nothing else would reap
 * it, and no other part of a test starts one. Returns whether none of
 * this browser's is left.
 */
static int stop_strays(struct wd *w)
{
	long long until = now_ms() + WD_STOP_MS;
	int alive = 1, sig = SIGTERM;

	while (alive) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (d == NULL)
			return 1;
		alive = 0;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
				alive |= stray(w, e->d_name, getpid(), sig);
		closedir(d);
		if (!alive)
			break;
		if (now_ms() >= until) {
			if (sig == SIGKILL)
				return 0;
			sig = SIGKILL;
			until = now_ms() + WD_STOP_MS;
		}
		sleep_ms(20);
	}
	return 1;
}

int wd_stop(struct wd *w)
{
	pid_t pgid = w->pid > 0 ? w->pid : -w->pid;
	int rc = 0;

	clear_err(w);
	/* Deleting the session makes chromedriver quit chromium, which
	 * then removes its own files; the signals below are for what is
	 * left when that fails. */
	if (w->session_url[0] != '\0' && w->pid > 0) {
		json_t *v = request(w, "delete session", "DELETE",
				    w->session_url, "", NULL, WD_SESSION_MS);

		json_decref(v);
	}
	w->session_url[0] = '\0';
	if (!stop_group(w))
		rc = set_err(w, "processes of chromedriver's group %d outlived "
			     "SIGKILL", (int)pgid);
	if (w->dir[0] != '\0' && !stop_strays(w) && rc == 0)
		rc = set_err(w, "chromium's crash handlers outlived SIGKILL");
	if (w->dir[0] != '\0') {
		struct stat st;

		ts_system("rm -rf '%s'", w->dir);
		if (stat(w->dir, &st) == 0 && rc == 0)
			rc = set_err(w, "could not remove %s", w->dir);
		w->dir[0] = '\0';
	}
	if (w->curl != NULL)
		curl_easy_cleanup(w->curl);
	w->curl = NULL;
	for (size_t i = 0; i < w->nheld; i++)
		free(w->held[i]);
	free(w->held);
	w->held = NULL;
	w->nheld = w->aheld = 0;
	w->port = 0;
	return rc;
}

int wd_goto(struct wd *w, const char *url)
{
	json_t *v;

	clear_err(w);
	v = command(w, "go to URL", "POST", "/url",
		    json_pack("{s:s}", "url", url ? url : ""));
	if (v == NULL)
		return -1;
	json_decref(v);
	return 0;
}

const char *wd_title(struct wd *w)
{
	clear_err(w);
	return string_command(w, "title", "GET", "/title");
}

const char *wd_url(struct wd *w)
{
	clear_err(w);
	return string_command(w, "current URL", "GET", "/url");
}

static json_t *find_body(const char *css)
{
	return json_pack("{s:s, s:s}", "using", "css selector", "value",
			 css ? css : "");
}

const char *wd_find(struct wd *w, const char *css)
{
	char what[160];
	const char *id;
	json_t *v;

	clear_err(w);
	snprintf(what, sizeof(what), "find '%s'", css ? css : "");
	v = command(w, what, "POST", "/element", find_body(css));
	if (v == NULL)
		return NULL;
	id = json_string_value(json_object_get(v, ELEMENT_KEY));
	if (id == NULL) {
		json_decref(v);
		set_err(w, "%s: no element reference in chromedriver's answer",
			what);
		return NULL;
	}
	id = hold_string(w, id);
	json_decref(v);
	return id;
}

int wd_find_all(struct wd *w, const char *css, const char *const **ids)
{
	char what[160];
	const char **list;
	json_t *v, *e;
	size_t i, n;

	clear_err(w);
	if (ids != NULL)
		*ids = NULL;
	snprintf(what, sizeof(what), "find all '%s'", css ? css : "");
	v = command(w, what, "POST", "/elements", find_body(css));
	if (v == NULL)
		return -1;
	if (!json_is_array(v)) {
		json_decref(v);
		return set_err(w, "%s: chromedriver's value is not a list",
			       what);
	}
	n = json_array_size(v);
	list = hold(w, calloc(n + 1, sizeof(*list)));
	if (list == NULL) {
		json_decref(v);
		return -1;
	}
	json_array_foreach(v, i, e) {
		const char *id = json_string_value(json_object_get(e,
							ELEMENT_KEY));

		if (id == NULL || (list[i] = hold_string(w, id)) == NULL) {
			json_decref(v);
			if (id == NULL)
				set_err(w, "%s: an entry without an element "
					"reference", what);
			return -1;
		}
	}
	json_decref(v);
	if (ids != NULL)
		*ids = list;
	return (int)n;
}

const char *wd_text(struct wd *w, const char *elem)
{
	char path[512];

	clear_err(w);
	if (element_path(w, path, sizeof(path), "element text", elem,
			 "/text") != 0)
		return NULL;
	return string_command(w, "element text", "GET", path);
}

const char *wd_page_text(struct wd *w)
{
	const char *body = wd_find(w, "body");

	return body ? wd_text(w, body) : NULL;
}

const char *wd_attr(struct wd *w, const char *elem, const char *name)
{
	char path[768], rest[256], what[160], *n;
	const char *s = NULL;
	json_t *v;

	clear_err(w);
	snprintf(what, sizeof(what), "attribute '%s'", name ? name : "");
	if (w->curl == NULL || name == NULL || strlen(name) > 200) {
		set_err(w, "%s: %s", what, w->curl == NULL ?
			"no WebDriver session (wd_start() first)" :
			"no attribute name, or a long one");
		return NULL;
	}
	n = curl_easy_escape(w->curl, name, 0);
	if (n == NULL) {
		set_err(w, "%s: out of memory", what);
		return NULL;
	}
	snprintf(rest, sizeof(rest), "/attribute/%s", n);
	curl_free(n);
	if (element_path(w, path, sizeof(path), what, elem, rest) != 0)
		return NULL;
	v = command(w, what, "GET", path, NULL);
	if (v == NULL)
		return NULL;
	if (json_is_null(v))
		set_err(w, "%s: the element has no such attribute", what);
	else if (!json_is_string(v))
		set_err(w, "%s: chromedriver's value is not a string", what);
	else
		s = hold_string(w, json_string_value(v));
	json_decref(v);
	return s;
}

int wd_click(struct wd *w, const char *elem)
{
	char path[512];
	json_t *v;

	clear_err(w);
	if (element_path(w, path, sizeof(path), "click", elem, "/click") != 0)
		return -1;
	v = command(w, "click", "POST", path, json_object());
	if (v == NULL)
		return -1;
	json_decref(v);
	return 0;
}

const char *wd_must(struct wd *w, const char *value)
{
	if (value == NULL)
		fail_msg("webdriver: %s", w->err);
	return value;
}

int wd_must_ok(struct wd *w, int rc)
{
	if (rc < 0)
		fail_msg("webdriver: %s", w->err);
	return rc;
}
