/*
 * config.c - the ksef tool's settings and saved state. It owns the config
 * file's syntax (key = value lines), the order in which flags, environment
 * and file are consulted, the refusal of production without an explicit
 * flag, and the state file: where it lives, that no one but its owner may
 * read it, and that it is replaced atomically. Talking to KSeF is left to
 * libksef; each cmd_<verb>.c decides what to ask.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "cli.h"
#include "config.h"
#include "util/util.h"

int cli_settings_option(struct cli_settings *s, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_CONFIG: s->config_file = arg; return 1;
	case CLI_OPT_ENV: s->env = arg; return 1;
	case CLI_OPT_BASE_URL: s->base_url = arg; return 1;
	case CLI_OPT_ALLOW_PRD: s->allow_production = 1; return 1;
	case CLI_OPT_NIP: s->nip = arg; return 1;
	case CLI_OPT_TOKEN: s->token = arg; return 1;
	case CLI_OPT_CERT: s->cert = arg; return 1;
	case CLI_OPT_KEY: s->key = arg; return 1;
	default: return 0;
	}
}

/* One setting as the config file names it. */
enum { SET_ENV, SET_BASE_URL, SET_NIP, SET_TOKEN, SET_CERT, SET_KEY,
       SET_COUNT };
static const char *const set_names[SET_COUNT] = { "env", "base_url", "nip",
						  "token", "cert", "key" };
static const char *const set_vars[SET_COUNT] = { "KSEF_ENV", "KSEF_BASE_URL",
	"KSEF_NIP", "KSEF_TOKEN", "KSEF_CERT", "KSEF_KEY" };

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Parse the config file into vals[] (owned copies). Lines are "key =
 * value", blank, or comments starting with '#'; a value may be put in
 * double quotes to keep spaces at its ends. Unknown and repeated keys are
 * errors, so a misspelt setting is not silently ignored.
 */
static int parse_config(char *vals[SET_COUNT], const char *path,
			char *text, ksef_error *err)
{
	char *line = text, *next;
	int lineno = 0, i;

	for (; line != NULL && *line != '\0'; line = next) {
		char *eq, *key, *val;
		size_t n;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			ksef_error_set(err, KSEF_EPARSE, "%s:%d: expected "
				       "'key = value'", path, lineno);
			return CLI_USAGE;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		n = strlen(val);
		if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
			val[n - 1] = '\0';
			val++;
		}
		for (i = 0; i < SET_COUNT; i++)
			if (strcmp(key, set_names[i]) == 0)
				break;
		if (i == SET_COUNT) {
			ksef_error_set(err, KSEF_EPARSE, "%s:%d: unknown key "
				       "'%.40s' (known: env, base_url, nip, "
				       "token, cert, key)", path, lineno, key);
			return CLI_USAGE;
		}
		if (vals[i] != NULL) {
			ksef_error_set(err, KSEF_EPARSE, "%s:%d: '%s' is set "
				       "twice", path, lineno, key);
			return CLI_USAGE;
		}
		if ((vals[i] = strdup(val)) == NULL) {
			ksef_error_set(err, KSEF_ENOMEM, "out of memory");
			return CLI_FAILED;
		}
	}
	return CLI_OK;
}

/* The config file to read: *required says whether its absence is an
 * error (it was named) or normal (the default place). */
static char *config_path(const struct cli_settings *flags, int *required)
{
	const char *p = flags->config_file, *base;
	char buf[4096];

	*required = 1;
	if (p == NULL)
		p = getenv("KSEF_CONFIG");
	if (p != NULL && *p != '\0')
		return strdup(p);
	*required = 0;
	if ((base = getenv("XDG_CONFIG_HOME")) != NULL && base[0] == '/')
		snprintf(buf, sizeof(buf), "%s/ksef/config", base);
	else if ((base = getenv("HOME")) != NULL && *base != '\0')
		snprintf(buf, sizeof(buf), "%s/.config/ksef/config", base);
	else
		return NULL;
	return strdup(buf);
}

static int read_config(char *vals[SET_COUNT], char **file_out,
		       const struct cli_settings *flags, ksef_error *err)
{
	ksef_buf text = KSEF_BUF_INIT;
	struct stat sb;
	int required, rc;
	char *path = config_path(flags, &required);

	if (path == NULL)
		return CLI_OK;
	if (!required && stat(path, &sb) != 0 && errno == ENOENT) {
		free(path);
		return CLI_OK;
	}
	if (cli_read_file(&text, path, CLI_CONFIG_MAX_BYTES, err) != 0) {
		char m[KSEF_ERROR_MESSAGE_MAX];

		snprintf(m, sizeof(m), "%s", err->message);
		ksef_error_set(err, KSEF_EIO, "config file %s: %s", path, m);
		free(path);
		return CLI_FAILED;
	}
	if (memchr(text.ptr, '\0', text.size) != NULL) {
		ksef_error_set(err, KSEF_EPARSE, "%s: not a text file", path);
		rc = CLI_USAGE;
	} else {
		rc = parse_config(vals, path, (char *)text.ptr, err);
	}
	/* A token in a file others can read is no longer a secret. */
	if (rc == CLI_OK && vals[SET_TOKEN] != NULL &&
	    stat(path, &sb) == 0 && (sb.st_mode & 077) != 0) {
		ksef_error_set(err, KSEF_EINVAL, "%s holds a token but others "
			       "may read it (mode %03o); chmod 600 it", path,
			       (unsigned)(sb.st_mode & 0777));
		rc = CLI_USAGE;
	}
	ksef_buf_dispose_secure(&text);
	*file_out = path;
	return rc;
}

static const char *env_url(const char *env)
{
	if (strcmp(env, "test") == 0)
		return CLI_URL_TEST;
	if (strcmp(env, "demo") == 0)
		return CLI_URL_DEMO;
	if (strcmp(env, "prd") == 0)
		return CLI_URL_PRD;
	return NULL;
}

/* Whether a base URL is production's, however it was written. */
static int is_production(const char *url)
{
	static const char host[] = "https://api.ksef.mf.gov.pl";
	size_t n = sizeof(host) - 1;

	return strncasecmp(url, host, n) == 0 &&
	       (url[n] == '\0' || url[n] == '/' || url[n] == ':');
}

static int dup_into(char **dst, const char *src, ksef_error *err)
{
	if (src == NULL || *dst != NULL)
		return 0;
	if ((*dst = strdup(src)) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

int cli_config_resolve(struct cli_config *out, const struct cli_settings *flags,
		       int need_url, ksef_error *err)
{
	const char *fl[SET_COUNT] = { flags->env, flags->base_url, flags->nip,
				      flags->token, flags->cert, flags->key };
	char *file[SET_COUNT] = { NULL };
	const char *src[3][SET_COUNT];
	const char *url = NULL, *env = NULL;
	int rc, i, lvl;

	memset(out, 0, sizeof(*out));
	rc = read_config(file, &out->file, flags, err);
	for (i = 0; i < SET_COUNT; i++) {
		const char *e = getenv(set_vars[i]);

		src[0][i] = fl[i];
		src[1][i] = e != NULL && *e != '\0' ? e : NULL;
		src[2][i] = file[i];
	}
	if (rc != CLI_OK)
		goto out;
	/* The target is one setting written two ways: take it from the
	 * first source that has either, so that a --env flag is not beaten
	 * by a base_url in the config file. */
	for (lvl = 0; lvl < 3 && url == NULL && env == NULL; lvl++) {
		url = src[lvl][SET_BASE_URL];
		env = src[lvl][SET_ENV];
		if (env != NULL && env_url(env) == NULL) {
			ksef_error_set(err, KSEF_EINVAL, "%s%s must be test, "
				       "demo or prd, not '%.20s'",
				       lvl == 0 ? "--env" : lvl == 1 ?
				       "KSEF_ENV" : "env in ",
				       lvl == 2 ? out->file : "", env);
			rc = CLI_USAGE;
			goto out;
		}
	}
	if (url == NULL && env != NULL)
		url = env_url(env);
	for (i = 0; i < SET_COUNT; i++) {
		const char *v = src[0][i] ? src[0][i] :
				src[1][i] ? src[1][i] : src[2][i];
		char **dst[SET_COUNT] = { &out->env, &out->base_url, &out->nip,
					  &out->token, &out->cert, &out->key };

		if (i == SET_ENV)
			v = env;
		else if (i == SET_BASE_URL)
			v = url;
		if (dup_into(dst[i], v, err) != 0) {
			rc = CLI_FAILED;
			goto out;
		}
	}
	if (need_url && out->base_url == NULL) {
		ksef_error_set(err, KSEF_EINVAL, "no server: give --base-url "
			       "or --env (or KSEF_BASE_URL, KSEF_ENV, or "
			       "base_url in the config file)");
		rc = CLI_USAGE;
	} else if (out->base_url != NULL && is_production(out->base_url) &&
		   !flags->allow_production) {
		ksef_error_set(err, KSEF_EINVAL, "refusing to use production "
			       "(%s) without --allow-production", CLI_URL_PRD);
		rc = CLI_USAGE;
	}
out:
	for (i = 0; i < SET_COUNT; i++) {
		if (file[i] != NULL)
			OPENSSL_cleanse(file[i], strlen(file[i]));
		free(file[i]);
	}
	return rc;
}

void cli_config_dispose(struct cli_config *cfg)
{
	if (cfg->token != NULL)
		OPENSSL_cleanse(cfg->token, strlen(cfg->token));
	free(cfg->env);
	free(cfg->base_url);
	free(cfg->nip);
	free(cfg->token);
	free(cfg->cert);
	free(cfg->key);
	free(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * jansson keeps strings in its own buffers and frees them without wiping.
 * Its allocator cannot be replaced here, since libksef shares jansson and
 * frees some of its blocks with plain free(), so the tool overwrites the
 * strings of a document in place before letting it go.
 */
void cli_json_wipe(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		OPENSSL_cleanse((char *)json_string_value(v),
				json_string_length(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item)
			cli_json_wipe(item);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			cli_json_wipe(item);
	}
}

/*
 * The state file
 */

int cli_state_path(char **out, const char *flag, ksef_error *err)
{
	const char *base;
	char buf[4096];

	*out = NULL;
	if (flag == NULL)
		flag = getenv("KSEF_STATE");
	if (flag != NULL && *flag != '\0')
		snprintf(buf, sizeof(buf), "%s", flag);
	else if ((base = getenv("XDG_STATE_HOME")) != NULL && base[0] == '/')
		snprintf(buf, sizeof(buf), "%s/ksef/auth.json", base);
	else if ((base = getenv("HOME")) != NULL && *base != '\0')
		snprintf(buf, sizeof(buf), "%s/.local/state/ksef/auth.json",
			 base);
	else {
		ksef_error_set(err, KSEF_EINVAL, "no HOME to keep the state "
			       "file in; give --state FILE");
		return CLI_FAILED;
	}
	if ((*out = strdup(buf)) == NULL) {
		ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		return CLI_FAILED;
	}
	return CLI_OK;
}

int cli_state_load(struct cli_state *st, const char *flag, ksef_error *err)
{
	ksef_buf text = KSEF_BUF_INIT;
	json_error_t jerr;
	struct stat sb;
	int fd, rc = CLI_FAILED;

	st->root = NULL;
	if ((rc = cli_state_path(&st->path, flag, err)) != CLI_OK)
		return rc;
	rc = CLI_FAILED;
	/* O_NOFOLLOW: a link planted in our place must not redirect us. */
	fd = open(st->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			ksef_error_set(err, KSEF_ENOTFOUND, "not logged in (no "
				       "%s); run 'ksef auth login'", st->path);
			return CLI_REJECTED;
		}
		ksef_error_set(err, KSEF_EIO, "%s: %s", st->path,
			       strerror(errno));
		return CLI_FAILED;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		ksef_error_set(err, KSEF_EIO, "%s: not a regular file",
			       st->path);
		goto out;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 077) != 0) {
		ksef_error_set(err, KSEF_EINVAL, "%s is not private (mode "
			       "%03o%s); it holds tokens, so it is not used: "
			       "remove it and log in again", st->path,
			       (unsigned)(sb.st_mode & 0777),
			       sb.st_uid != geteuid() ? ", another owner" : "");
		goto out;
	}
	if (sb.st_size > CLI_STATE_MAX_BYTES) {
		ksef_error_set(err, KSEF_ETOOBIG, "%s: over %d bytes",
			       st->path, CLI_STATE_MAX_BYTES);
		goto out;
	}
	for (;;) {
		unsigned char chunk[4096];
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ksef_error_set(err, KSEF_EIO, "%s: %s", st->path,
				       strerror(errno));
			OPENSSL_cleanse(chunk, sizeof(chunk));
			goto out;
		}
		if (got == 0)
			break;
		if (ksef_buf_append(&text, chunk, (size_t)got,
				 CLI_STATE_MAX_BYTES) != 0) {
			ksef_error_set(err, KSEF_ETOOBIG, "%s: over %d bytes",
				       st->path, CLI_STATE_MAX_BYTES);
			OPENSSL_cleanse(chunk, sizeof(chunk));
			goto out;
		}
		OPENSSL_cleanse(chunk, sizeof(chunk));
	}
	st->root = json_loadb((const char *)text.ptr, text.size,
			      JSON_REJECT_DUPLICATES, &jerr);
	if (st->root == NULL || !json_is_object(st->root)) {
		ksef_error_set(err, KSEF_EPARSE, "%s is damaged (line %d); "
			       "remove it and log in again", st->path,
			       st->root == NULL ? jerr.line : 0);
		json_decref(st->root);
		st->root = NULL;
		goto out;
	}
	rc = CLI_OK;
out:
	close(fd);
	ksef_buf_dispose_secure(&text);
	return rc;
}

/* mkdir -p of path's parent, new folders private. */
static int make_parents(const char *path, ksef_error *err)
{
	char dir[4096];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return ksef_error_set(err, KSEF_EINVAL, "path too long");
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	return cli_make_dirs(dir, 0700, err);
}

/* Two passes: count, then write into one allocation of that size. */
struct dump_ctx {
	ksef_buf *buf;
	size_t count;
};

static int count_cb(const char *p, size_t n, void *data)
{
	struct dump_ctx *d = data;

	(void)p;
	return __builtin_add_overflow(d->count, n, &d->count) ? -1 : 0;
}

static int write_cb(const char *p, size_t n, void *data)
{
	struct dump_ctx *d = data;

	if (n > d->buf->asize - 1 - d->buf->size)
		return -1;
	memcpy(d->buf->ptr + d->buf->size, p, n);
	d->buf->size += n;
	d->buf->ptr[d->buf->size] = '\0';
	return 0;
}

int cli_json_dump_secret(ksef_buf *out, const json_t *v, size_t flags)
{
	struct dump_ctx d = { out, 0 };

	ksef_buf_dispose_secure(out);
	if (json_dump_callback(v, count_cb, &d, flags) != 0 ||
	    d.count == SIZE_MAX ||
	    (out->ptr = malloc(d.count + 1)) == NULL)
		return KSEF_ENOMEM;
	out->asize = d.count + 1;
	out->ptr[0] = '\0';
	if (json_dump_callback(v, write_cb, &d, flags) != 0 ||
	    out->size != d.count) {
		ksef_buf_dispose_secure(out);
		return KSEF_ENOMEM;
	}
	return 0;
}

int cli_state_save(struct cli_state *st, ksef_error *err)
{
	ksef_buf text = KSEF_BUF_INIT;
	char *tmp = NULL;
	size_t n, off = 0;
	int fd = -1, rc = CLI_FAILED;

	if (make_parents(st->path, err) != 0)
		return CLI_FAILED;
	if (cli_json_dump_secret(&text, st->root, JSON_INDENT(2) |
				 JSON_SORT_KEYS) != 0 ||
	    (tmp = malloc(strlen(st->path) + sizeof(".XXXXXX"))) == NULL) {
		ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto out;
	}
	strcpy(tmp, st->path);
	strcat(tmp, ".XXXXXX");
	/* mkstemp opens with O_CREAT|O_EXCL and mode 0600, whatever the
	 * umask; fchmod makes sure of the mode on odd libcs. */
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0600) != 0) {
		ksef_error_set(err, KSEF_EIO, "%s: %s", st->path,
			       strerror(errno));
		goto out;
	}
	n = text.size;
	while (off < n) {
		ssize_t w = write(fd, text.ptr + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ksef_error_set(err, KSEF_EIO, "%s: %s", tmp,
				       strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		ksef_error_set(err, KSEF_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, st->path) != 0) {
		ksef_error_set(err, KSEF_EIO, "%s: %s", st->path,
			       strerror(errno));
		goto out;
	}
	rc = CLI_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc != CLI_OK && tmp != NULL)
		unlink(tmp);
	free(tmp);
	ksef_buf_dispose_secure(&text);
	return rc;
}

void cli_state_dispose(struct cli_state *st)
{
	if (st->root != NULL && st->root->refcount == 1)
		cli_json_wipe(st->root);
	json_decref(st->root);
	free(st->path);
	st->root = NULL;
	st->path = NULL;
}

const char *cli_json_str(json_t *obj, const char *key)
{
	if (obj == NULL || key == NULL)
		return NULL;
	return json_string_value(json_object_get(obj, key));
}

/*
 * Talking to KSeF with the saved tokens
 */

int cli_client_new(ksef_client **out, const char *base_url, ksef_error *err)
{
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;

	co.base_url = base_url;
	return ksef_client_new(out, &co, err);
}

void cli_time_text(char out[KSEF_TIME_BUFSZ], ksef_time t)
{
	t.offset_minutes = 0;
	if (ksef_time_format_ext(out, t, KSEF_TIME_FMT_Z |
				 KSEF_TIME_FMT_SECONDS, NULL) != 0)
		snprintf(out, KSEF_TIME_BUFSZ, "?");
}

void cli_time_ms_text(char out[KSEF_TIME_BUFSZ], int64_t unix_ms)
{
	ksef_time t = { unix_ms, 0 };

	cli_time_text(out, t);
}

const char *cli_context_name(ksef_context_type type)
{
	static const char *const names[] = { "Nip", "InternalId", "NipVatUe",
					     "PeppolId" };

	return (unsigned)type < sizeof(names) / sizeof(names[0]) ?
	       names[type] : "?";
}

void cli_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int cli_write_file(const char *path, const void *data, size_t len,
		   unsigned mode, ksef_error *err)
{
	const unsigned char *p = data;
	int fd = strcmp(path, "-") == 0 ? STDOUT_FILENO :
		 open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      (mode_t)mode);

	if (fd < 0)
		return ksef_error_set(err, KSEF_EIO, "%s: %s", path,
				      strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			if (fd != STDOUT_FILENO)
				close(fd);
			return ksef_error_set(err, KSEF_EIO, "%s: %s", path,
					      strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	if (fd != STDOUT_FILENO && close(fd) != 0)
		return ksef_error_set(err, KSEF_EIO, "%s: %s", path,
				      strerror(errno));
	return 0;
}

int cli_parse_seconds(int *out, const char *s, int max)
{
	int64_t v;

	if (util_parse_i64(&v, s, 1, max) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * The environments without test data
 */

/* Whether url is https://<host> followed by its end, a path or a port. */
static int on_host(const char *url, const char *host)
{
	static const char scheme[] = "https://";
	size_t s = sizeof(scheme) - 1, n = strlen(host);

	return strncasecmp(url, scheme, s) == 0 &&
	       strncasecmp(url + s, host, n) == 0 &&
	       (url[s + n] == '\0' || url[s + n] == '/' || url[s + n] == ':');
}

const char *cli_url_not_test(const char *url)
{
	if (url == NULL)
		return NULL;
	if (on_host(url, "api-demo.ksef.mf.gov.pl"))
		return "DEMO";
	if (is_production(url))
		return "PRD";
	return NULL;
}
