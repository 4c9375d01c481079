/*
 * cmd_invoices_sync.c - `ksef invoices sync --out DIR`: incremental
 * retrieval as przyrostowe-pobieranie-faktur.md describes it. For each
 * subject type, exports by PermanentStorage with
 * restrictToPermanentStorageHwmDate, each window starting where the last
 * ended (lastPermanentStorageDate when the package was truncated, else
 * permanentStorageHwmDate), invoices deduplicated by KSeF number.
 *
 * What is on the disk, and why a run can be killed at any point:
 * - DIR/<ksefNumber>.xml is an invoice; it appears by rename, so it is
 *   whole, and its presence is what says it was retrieved: a number
 *   already there is never written again (deduplication, and resumption
 *   after a run that stopped between moving files and saving its place).
 *   DIR/<ksefNumber>.json, its metadata, is written just before it.
 * - DIR/.ksef-sync.json holds each subject type's next window start; it
 *   is replaced atomically (written aside, synced, renamed) and only
 *   after the invoices it covers are synced to the disk, so a crash can
 *   only make the next run repeat a window, never skip one.
 * - DIR/.ksef-sync-staging/ is where a package is unpacked; emptied at
 *   each export. DIR/.ksef-sync.lock keeps two runs apart.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"
#include "cmd_invoices.h"

#define STATE_NAME ".ksef-sync.json"
#define STAGING_NAME ".ksef-sync-staging"
#define LOCK_NAME ".ksef-sync.lock"
#define STATE_MAX_BYTES 65536
#define DAY_MS INT64_C(86400000)
/* A window's end when its start is older than this: dateRange may span
 * 3 months at most (21405 past it). */
#define WINDOW_MAX_MS (84 * DAY_MS)

enum { OPT_OUT = INV_OPT_OWN + 20, OPT_SINCE, OPT_MAX_EXPORTS, OPT_WAIT };

struct sync_run {
	ksef_client *c;
	const ksef_pubkey *pub;
	const char *dir;
	char staging[4096];
	int dfd;
	json_t *state;      /* {"version":1,"subjects":{"Subject1":time}} */
	int64_t since_ms;
	int max_exports, exports, wait_s;
	json_t *report;     /* the subjects' outcomes, for --json */
	size_t new_total, dup_total;
};

static int io_fail(const char *what)
{
	return cli_fail(CLI_F_IO, NULL, "%s: %s", what, strerror(errno));
}

/* Write name in the folder whole or not at all: aside, synced, renamed. */
static int put_atomic(int dfd, const char *name, const char *data,
		      size_t len)
{
	char tmp[512];
	int fd;
	size_t off = 0;

	snprintf(tmp, sizeof(tmp), ".tmp-%ld-%s", (long)getpid(), name);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			 0644)) < 0)
		return io_fail(name);
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlinkat(dfd, tmp, 0);
			return io_fail(name);
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 ||
	    renameat(dfd, tmp, dfd, name) != 0) {
		unlinkat(dfd, tmp, 0);
		return io_fail(name);
	}
	return 0;
}

static int state_load(struct sync_run *s)
{
	json_error_t jerr;
	struct stat sb;
	char path[4200];
	json_t *subj;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->dir, STATE_NAME);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			return io_fail(path);
		s->state = json_pack("{s:i,s:{}}", "version", 1, "subjects");
		return s->state == NULL ? cli_fail(CLI_F_INTERNAL, NULL,
						   "out of memory") : 0;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size > STATE_MAX_BYTES) {
		close(fd);
		return cli_fail(CLI_F_STATE, NULL, "%s: not a sync state "
				"(over %d bytes)", path, STATE_MAX_BYTES);
	}
	s->state = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	subj = json_object_get(s->state, "subjects");
	if (s->state == NULL || !json_is_object(subj) ||
	    json_integer_value(json_object_get(s->state, "version")) != 1)
		return cli_fail(CLI_F_STATE, NULL, "%s: not a sync state of "
				"version 1%s%s", path, s->state ? "" : ": ",
				s->state ? "" : jerr.text);
	return 0;
}

static int state_save(struct sync_run *s)
{
	char *text = json_dumps(s->state, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	if (text == NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	/* The invoices first: the state must not get ahead of them. */
	if (syncfs(s->dfd) != 0) {
		free(text);
		return io_fail(s->dir);
	}
	rc = put_atomic(s->dfd, STATE_NAME, text, strlen(text));
	free(text);
	if (rc == 0 && fsync(s->dfd) != 0)
		rc = io_fail(s->dir);
	return rc;
}

/* Where a subject's next window starts: its state, else --since. */
static int64_t subject_from(struct sync_run *s, const char *subject)
{
	const char *t = cli_json_str(json_object_get(s->state, "subjects"),
				     subject);
	int64_t ms;

	if (t != NULL && inv_parse_time(&ms, t) == 0)
		return ms;
	return s->since_ms;
}

static int subject_set_from(struct sync_run *s, const char *subject,
			    int64_t ms)
{
	char t[KSEF_TIME_BUFSZ];
	ksef_time kt = { ms, 0 };

	if (ksef_time_format_ext(t, kt, KSEF_TIME_FMT_Z, NULL) != 0)
		return cli_fail(CLI_F_INTERNAL, NULL, "a time out of range");
	json_object_set_new(json_object_get(s->state, "subjects"), subject,
			    json_string(t));
	return state_save(s);
}

/* Empty the staging folder (names it holds came from packages, so
 * plain), making it first when missing. */
static int staging_clear(struct sync_run *s)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (mkdirat(s->dfd, STAGING_NAME, 0700) != 0 && errno != EEXIST)
		return io_fail(s->staging);
	if ((fd = openat(s->dfd, STAGING_NAME, O_RDONLY | O_DIRECTORY |
			 O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return io_fail(s->staging);
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return 0;
}

/* Move the package's new invoices from staging into DIR. */
static int take_invoices(struct sync_run *s, const ksef_api_export_result *r,
			 json_t *new_list, size_t *dups)
{
	size_t i, n = ksef_api_invoice_metadata_list_count(r->invoices);
	char src[4400], name[64], meta[64];

	for (i = 0; i < n; i++) {
		const ksef_api_invoice_metadata *m =
			ksef_api_invoice_metadata_list_at(r->invoices, i);
		int rc;

		if (ksef_number_validate(m->ksef_number,
					 strlen(m->ksef_number), NULL) != 0)
			return cli_fail(CLI_F_SERVER, NULL, "_metadata.json: "
					"'%s' is not a KSeF number",
					m->ksef_number);
		snprintf(name, sizeof(name), "%s.xml", m->ksef_number);
		snprintf(meta, sizeof(meta), "%s.json", m->ksef_number);
		if (faccessat(s->dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			(*dups)++;
			continue;
		}
		snprintf(src, sizeof(src), "%s/%s", s->staging, name);
		if (access(src, F_OK) != 0)
			return cli_fail(CLI_F_SERVER, NULL, "the package lists "
					"%s but holds no %s", m->ksef_number,
					name);
		if ((rc = put_atomic(s->dfd, meta, m->json,
				     strlen(m->json))) != 0)
			return rc;
		if (renameat(AT_FDCWD, src, s->dfd, name) != 0)
			return io_fail(name);
		json_array_append_new(new_list, json_string(m->ksef_number));
	}
	return 0;
}

/* One window of one subject: export, fetch, take the new invoices, and
 * move the subject's start on. *done is set when the HWM is reached. */
static int sync_window(struct sync_run *s, const char *subject,
		       json_t *new_list, size_t *dups, int *done)
{
	ksef_export_fetch_options fo = KSEF_EXPORT_FETCH_OPTIONS_INIT;
	ksef_invoice_filters f = KSEF_INVOICE_FILTERS_INIT;
	ksef_api_export_status *st = NULL;
	ksef_api_export_result *res = NULL;
	ksef_envelope *env = NULL;
	ksef_error err = { 0, 0, "" };
	char ref[KSEF_REFNUM_BUFSZ];
	int64_t now = ksef_time_now().unix_ms, next;
	int rc;

	*done = 0;
	f.subject = ksef_invoice_subject_of(subject);
	f.date_type = KSEF_DATE_PERMANENT_STORAGE;
	f.from_ms = subject_from(s, subject);
	f.restrict_to_hwm = 1;
	/* A start older than the range allows gets an end of its own;
	 * otherwise the end is left to the server, which packs what it
	 * can up to the HWM (the document's advice). */
	if (now - f.from_ms > WINDOW_MAX_MS)
		f.to_ms = f.from_ms + WINDOW_MAX_MS;
	if ((rc = ksef_envelope_new(&env, &err)) != 0)
		return cli_fail_ksef(rc, NULL, "%s", err.message);
	s->exports++;
	if ((rc = inv_export_wait(&st, ref, s->c, env, s->pub, &f, 0,
				  s->wait_s)) != CLI_OK)
		goto out;
	if (st->status->code == 420) {
		/* dateRange.from after the HWM: nothing new yet. */
		*done = 1;
		goto out;
	}
	if (st->status->code != 200) {
		rc = cli_fail(CLI_F_HTTP, NULL, "%s: export %s: %d %s", subject,
			      ref, st->status->code, st->status->description);
		goto out;
	}
	if ((rc = staging_clear(s)) != 0)
		goto out;
	if ((rc = ksef_client_invoices_export_fetch(&res, s->c, st, env,
						    s->staging, &fo,
						    &err)) != 0) {
		rc = cli_fail_ksef(rc, ksef_client_last_error(s->c), "%s: "
				   "export %s: %s", subject, ref, err.message);
		goto out;
	}
	/* The place moves on only when every invoice of the package is
	 * accounted for: a package without _metadata.json (KSeF before
	 * 27.10.2025 without X-KSeF-Feature) would otherwise be skipped. */
	if ((int64_t)ksef_api_invoice_metadata_list_count(res->invoices) !=
	    st->package->invoice_count) {
		rc = cli_fail(CLI_F_SERVER, NULL, "%s: export %s: "
			      "_metadata.json lists %zu of %lld invoices",
			      subject, ref,
			      ksef_api_invoice_metadata_list_count(
				      res->invoices),
			      (long long)st->package->invoice_count);
		goto out;
	}
	if ((rc = take_invoices(s, res, new_list, dups)) != 0)
		goto out;
	next = ksef_export_next_from(st->package, f.to_ms);
	if (next == KSEF_TIME_UNSET || next < f.from_ms) {
		rc = cli_fail(CLI_F_SERVER, NULL, "%s: export %s gave no "
			      "place to go on from", subject, ref);
		goto out;
	}
	*done = st->package->is_truncated <= 0 && f.to_ms == KSEF_TIME_UNSET;
	rc = subject_set_from(s, subject, next);
out:
	staging_clear(s);
	ksef_api_export_result_free(res);
	ksef_api_export_status_free(st);
	ksef_envelope_free(env);
	return rc;
}

static int sync_subject(struct sync_run *s, const char *subject)
{
	json_t *new_list = json_array();
	size_t dups = 0, i;
	int done = 0, rc = 0, stopped = 0;
	char from[KSEF_TIME_BUFSZ];

	while (!done) {
		if (s->max_exports > 0 && s->exports >= s->max_exports) {
			stopped = 1;
			break;
		}
		if ((rc = sync_window(s, subject, new_list, &dups,
				      &done)) != 0)
			break;
	}
	cli_time_ms_text(from, subject_from(s, subject));
	s->new_total += json_array_size(new_list);
	s->dup_total += dups;
	if (cli_out_json()) {
		json_array_append_new(s->report, json_pack(
			"{s:s,s:o,s:I,s:s,s:b}", "subjectType", subject, "new",
			json_incref(new_list), "alreadyPresent",
			(json_int_t)dups, "nextFrom", from, "complete",
			done && rc == 0));
	} else {
		for (i = 0; i < json_array_size(new_list); i++)
			printf("new: %s %s\n", subject, json_string_value(
				json_array_get(new_list, i)));
		printf("%s: %zu new, %zu already present, next from %s%s\n",
		       subject, json_array_size(new_list), dups, from,
		       stopped ? " (stopped at --max-exports; run again)" :
		       "");
	}
	json_decref(new_list);
	return rc;
}

/* Files a killed run left half-written aside (put_atomic's): under the
 * lock no other run is writing them. */
static void remove_stale(struct sync_run *s)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(s->dfd);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0)
			unlinkat(s->dfd, de->d_name, 0);
	closedir(d);
}

static int lock_dir(struct sync_run *s, int *lfd)
{
	if ((*lfd = openat(s->dfd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC,
			   0600)) < 0)
		return io_fail(LOCK_NAME);
	if (flock(*lfd, LOCK_EX | LOCK_NB) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s: another sync runs in "
				"this folder", s->dir);
	return 0;
}

static int run_sync(struct sync_run *s, const char *const *subjects,
		    size_t nsub)
{
	ksef_error err = { 0, 0, "" };
	ksef_pubkey *pub = NULL;
	size_t i;
	int rc, lfd = -1;

	if (cli_make_dirs(s->dir, 0755, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	if ((s->dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return io_fail(s->dir);
	snprintf(s->staging, sizeof(s->staging), "%s/%s", s->dir,
		 STAGING_NAME);
	if ((rc = lock_dir(s, &lfd)) != 0 || (rc = state_load(s)) != 0 ||
	    (rc = inv_server_key(&pub, s->c)) != 0)
		goto done;
	s->pub = pub;
	remove_stale(s);
	s->report = json_array();
	for (i = 0; i < nsub && rc == 0; i++)
		rc = sync_subject(s, subjects[i]);
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:I,s:I,s:i,s:o}", "out",
			s->dir, "new", (json_int_t)s->new_total,
			"alreadyPresent", (json_int_t)s->dup_total, "exports",
			s->exports, "subjects", s->report));
	else
		json_decref(s->report);
done:
	ksef_pubkey_free(pub);
	json_decref(s->state);
	if (lfd >= 0)
		close(lfd);
	close(s->dfd);
	return rc;
}

int cmd_invoices_sync(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		{ "subject-type", required_argument, NULL, INV_OPT_SUBJECT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "max-exports", required_argument, NULL, OPT_MAX_EXPORTS },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, INV_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *subjects[4], *state = NULL;
	struct cli_login l = CLI_LOGIN_INIT;
	struct sync_run s;
	size_t nsub = 0, i;
	char *end;
	int c, rc;

	memset(&s, 0, sizeof(s));
	s.dfd = -1;
	s.wait_s = 300;
	s.since_ms = ksef_time_now().unix_ms - 30 * DAY_MS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
		case OPT_OUT: s.dir = optarg; break;
		case INV_OPT_SUBJECT:
			if (ksef_invoice_subject_of(optarg) ==
			    KSEF_SUBJECT_NONE)
				return cli_fail(CLI_F_USAGE, NULL,
					"--subject-type: Subject1, Subject2, "
					"Subject3 or SubjectAuthorized");
			for (i = 0; i < nsub; i++)
				if (strcmp(subjects[i], optarg) == 0)
					break;
			if (i == nsub)
				subjects[nsub++] = optarg;
			break;
		case OPT_SINCE:
			if (inv_parse_time(&s.since_ms, optarg) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--since: "
					"'%s' is no time", optarg);
			break;
		case OPT_MAX_EXPORTS:
		case OPT_WAIT:
			errno = 0;
			i = (size_t)strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    i > 86400)
				return cli_fail(CLI_F_USAGE, NULL,
					"%s: a whole number to 86400",
					c == OPT_WAIT ?
					"--wait" : "--max-exports");
			if (c == OPT_WAIT)
				s.wait_s = (int)i;
			else
				s.max_exports = (int)i;
			break;
		case CLI_OPT_STATE: state = optarg; break;
		case INV_OPT_JSON: break;
		case 'h': fputs(cli_usage_invoices, stdout); return CLI_OK;
		default: fputs(cli_usage_invoices, stderr); return CLI_USAGE;
		}
	}
	if (s.dir == NULL || optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "sync needs --out DIR and "
				"no argument");
	if (nsub == 0) {
		subjects[nsub++] = "Subject1";
		subjects[nsub++] = "Subject2";
	}
	if ((rc = cli_login_open(&l, &s.c, state)) == CLI_OK)
		rc = run_sync(&s, subjects, nsub);
	return cli_login_close(&l, s.c, rc);
}
