/*
 * bench_batch.c - batch throughput: N generated invoices sent as one
 * batch session of P parts through libksef's ksef_batch, against a fresh
 * ksefd this program starts (as scripts/bench-ksefd.sh starts one for
 * bench_ksefd: a new data folder, a free loopback port, --processing-delay
 * 0, a KSeF token from `ksefd token create`). The figure is invoices/s
 * from the start of the send (building the package included, as
 * `ksef batch send` does it) to every invoice's final status, with the
 * phases beside it: building (ZIP, split, encryption), sending (open,
 * parts in parallel, close) and processing (until the session's final
 * status and the invoice listing). The invoice files are written before
 * the clock starts; the part size that gives P parts is found by an
 * untimed build of the same files.
 *
 * A benchmark with a report, never a test: it asserts nothing about speed
 * (docs/benchmarks.md). Exit 0 when every invoice got 200, 1 otherwise,
 * 2 for bad arguments, 3 when it could not run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define NIP "5265877635"

static const char usage_text[] =
"usage: bench_batch [options]\n"
"  --invoices N     invoices in the batch, 1 to 100000 (default 1000)\n"
"  --parts P        parts of the package, 1 to 50 (default 4)\n"
"  --parallel N     parts put at once, 1 to 16 (default 4)\n"
"  --size BYTES     invoice size, 2000 to 1000000 (default 4096)\n"
"  --workers N      ksefd's --workers (default 2)\n"
"  --ksefd PATH     the server (default $KSEF_BUILD_DIR/ksefd, else\n"
"                   ./ksefd)\n"
"  --dir DIR        where the server's data and the invoices go (default\n"
"                   a new folder under $TMPDIR or /tmp, removed after)\n"
"  --timeout S      longest wait for the final status (default 600)\n"
"  --seed N         the invoices' series (default: the time)\n"
"  --json FILE      also write the figures as JSON (- for stdout)\n";

struct options {
	long invoices, parts, parallel, size, workers, timeout;
	unsigned long long seed;
	const char *ksefd, *dir, *json;
};

static int parse_num(long *out, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(struct options *o, int argc, char **argv)
{
	static char ksefd[4096];
	const char *build = getenv("KSEF_BUILD_DIR");
	int i;

	o->invoices = 1000;
	o->parts = 4;
	o->parallel = 4;
	o->size = 4096;
	o->workers = 2;
	o->timeout = 600;
	o->seed = (unsigned long long)time(NULL);
	snprintf(ksefd, sizeof(ksefd), "%s/ksefd", build ? build : ".");
	o->ksefd = ksefd;
	o->dir = NULL;
	o->json = NULL;
	for (i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n;
		int bad = v == NULL;

		if (strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (bad)
			break;
		if (strcmp(a, "--invoices") == 0)
			bad = parse_num(&o->invoices, v, 1,
					KSEF_BATCH_MAX_FILES);
		else if (strcmp(a, "--parts") == 0)
			bad = parse_num(&o->parts, v, 1, KSEF_BATCH_MAX_PARTS);
		else if (strcmp(a, "--parallel") == 0)
			bad = parse_num(&o->parallel, v, 1,
					KSEF_BATCH_PARALLEL_MAX);
		else if (strcmp(a, "--size") == 0)
			bad = parse_num(&o->size, v, KSEF_GEN_MIN_BYTES,
					KSEF_INVOICE_MAX_BYTES_PLAIN);
		else if (strcmp(a, "--workers") == 0)
			bad = parse_num(&o->workers, v, 1, 64);
		else if (strcmp(a, "--timeout") == 0)
			bad = parse_num(&o->timeout, v, 1, 86400);
		else if (strcmp(a, "--seed") == 0) {
			bad = parse_num(&n, v, 0, 0x7fffffffL);
			o->seed = (unsigned long long)n;
		} else if (strcmp(a, "--ksefd") == 0)
			o->ksefd = v;
		else if (strcmp(a, "--dir") == 0)
			o->dir = v;
		else if (strcmp(a, "--json") == 0)
			o->json = v;
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "bench_batch: bad %s\n", a);
			return -1;
		}
	}
	if (i < argc) {
		fprintf(stderr, "bench_batch: %s needs a value\n", argv[i]);
		return -1;
	}
	return 0;
}

/* The server: a child on a free loopback port, its URL read from the
 * line it prints when it listens. */
struct server {
	pid_t pid;
	FILE *out;   /* its standard output, kept open until it stops */
	char base[256];
	char token[512];
};

static int server_start(struct server *s, const struct options *o,
			const char *data)
{
	char workers[16], line[512], cmd[8192], log[4300];
	FILE *out;
	int fds[2], fd;
	size_t n;

	snprintf(workers, sizeof(workers), "%ld", o->workers);
	snprintf(log, sizeof(log), "%s.log", data);
	if (pipe(fds) != 0)
		return -1;
	if ((s->pid = fork()) < 0)
		return -1;
	if (s->pid == 0) {
		dup2(fds[1], 1);
		/* Its log beside its data, as the e2e scripts keep it. */
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0)
			dup2(fd, 2);
		close(fds[0]);
		close(fds[1]);
		execl(o->ksefd, o->ksefd, "--data", data, "--listen",
		      "127.0.0.1:0", "--workers", workers,
		      "--processing-delay", "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if ((out = s->out = fdopen(fds[0], "r")) == NULL)
		return -1;
	s->base[0] = '\0';
	while (fgets(line, sizeof(line), out) != NULL)
		if (sscanf(line, "ksefd: listening on %255s", s->base) == 1)
			break;
	/* The pipe stays open, unread, until the server stops: it writes
	 * nothing more to standard output. */
	if (s->base[0] == '\0')
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s' token create --data '%s' --nip "
		 NIP, o->ksefd, data);
	if ((out = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(s->token, sizeof(s->token), out) == NULL) {
		pclose(out);
		return -1;
	}
	pclose(out);
	n = strcspn(s->token, "\r\n");
	s->token[n] = '\0';
	return n > 0 ? 0 : -1;
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->out != NULL)
		fclose(s->out);
	s->out = NULL;
}

/* The invoices as files <dir>/inv-<i>.xml; their paths in *paths. */
static int write_invoices(char ***paths, const struct options *o,
			  const char *dir, ksef_error *err)
{
	ksef_gen_options g = KSEF_GEN_OPTIONS_INIT;
	ksef_buf doc = KSEF_BUF_INIT;
	char **p = calloc((size_t)o->invoices, sizeof(*p));
	long i;
	FILE *f;

	if (p == NULL)
		return -1;
	*paths = p;
	g.seller_nip = NIP;
	g.target_bytes = (size_t)o->size;
	g.seed = o->seed;
	for (i = 0; i < o->invoices; i++) {
		if (ksef_gen_invoice(&doc, &g, (uint64_t)i + 1, err) != 0)
			return -1;
		if ((p[i] = malloc(strlen(dir) + 32)) == NULL)
			return -1;
		sprintf(p[i], "%s/inv-%ld.xml", dir, i + 1);
		if ((f = fopen(p[i], "wb")) == NULL ||
		    fwrite(doc.ptr, 1, doc.size, f) != doc.size ||
		    fclose(f) != 0)
			return -1;
	}
	ksef_buf_dispose(&doc);
	return 0;
}

struct figures {
	double build_s, send_s, process_s, total_s;
	int64_t package_bytes;
	size_t parts, accepted, other;
	int session_status;
};

static int run(struct figures *fig, const struct options *o,
	       const struct server *srv, char **paths, ksef_error *err)
{
	ksef_batch_options bo = KSEF_BATCH_OPTIONS_INIT;
	ksef_conn_options co = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options cl = KSEF_CLIENT_OPTIONS_INIT;
	ksef_conn *conn = NULL;
	ksef_batch *b = NULL;
	double t0, t1, t2, t3;
	size_t i;
	int rc = -1;

	cl.base_url = srv->base;
	co.client = &cl;
	co.context_value = NIP;
	co.ksef_token = srv->token;
	co.poll_initial_ms = 20;
	co.poll_max_ms = 250;
	if (ksef_conn_new(&conn, &co, err) != 0)
		goto done;
	/* The part size of P parts, from an untimed build. */
	if (ksef_batch_new(&b, KSEF_FORM_FA3, (const char *const *)paths,
			   (size_t)o->invoices, NULL, err) != 0)
		goto done;
	bo.part_size = (ksef_batch_package_size(b) + o->parts - 1) / o->parts;
	bo.parallel = (int)o->parallel;
	ksef_batch_free(b);
	b = NULL;

	t0 = bench_now();
	if (ksef_batch_new(&b, KSEF_FORM_FA3, (const char *const *)paths,
			   (size_t)o->invoices, &bo, err) != 0)
		goto done;
	t1 = bench_now();
	if (ksef_batch_send(b, conn, err) != 0)
		goto done;
	t2 = bench_now();
	if (ksef_batch_wait(b, o->timeout * 1000, err) != 0)
		goto done;
	t3 = bench_now();
	fig->build_s = t1 - t0;
	fig->send_s = t2 - t1;
	fig->process_s = t3 - t2;
	fig->total_s = t3 - t0;
	fig->package_bytes = ksef_batch_package_size(b);
	fig->parts = ksef_batch_part_count(b);
	fig->session_status = ksef_batch_status(b);
	for (i = 0; i < ksef_batch_invoice_count(b); i++) {
		if (ksef_batch_invoice_at(b, i)->status == 200)
			fig->accepted++;
		else
			fig->other++;
	}
	rc = 0;
done:
	ksef_batch_free(b);
	ksef_conn_free(conn);
	return rc;
}

static void report(const struct figures *f, const struct options *o)
{
	FILE *j;

	printf("batch: %ld invoices of about %ld bytes, a package of %lld "
	       "bytes in %zu part(s), %ld put at once\n", o->invoices,
	       o->size, (long long)f->package_bytes, f->parts, o->parallel);
	printf("  build (zip, split, encrypt)  %8.3f s\n", f->build_s);
	printf("  send (open, parts, close)    %8.3f s\n", f->send_s);
	printf("  processing, to final status  %8.3f s\n", f->process_s);
	printf("  total                        %8.3f s  %.1f invoices/s\n",
	       f->total_s, f->total_s > 0 ? o->invoices / f->total_s : 0.0);
	printf("  session status %d; %zu accepted (200), %zu not\n",
	       f->session_status, f->accepted, f->other);
	if (o->json == NULL)
		return;
	j = strcmp(o->json, "-") == 0 ? stdout : fopen(o->json, "w");
	if (j == NULL) {
		perror(o->json);
		return;
	}
	fprintf(j, "{\"invoices\":%ld,\"invoice_bytes\":%ld,\"parts\":%zu,"
		"\"parallel\":%ld,\"package_bytes\":%lld,\"build_s\":%.6f,"
		"\"send_s\":%.6f,\"process_s\":%.6f,\"total_s\":%.6f,"
		"\"invoices_per_s\":%.3f,\"session_status\":%d,"
		"\"accepted\":%zu,\"other\":%zu}\n", o->invoices, o->size,
		f->parts, o->parallel, (long long)f->package_bytes, f->build_s,
		f->send_s, f->process_s, f->total_s,
		f->total_s > 0 ? o->invoices / f->total_s : 0.0,
		f->session_status, f->accepted, f->other);
	if (j != stdout)
		fclose(j);
}

int main(int argc, char **argv)
{
	struct options o;
	struct server srv;
	struct figures fig;
	ksef_error err = { 0, 0, "" };
	char work[4096], data[4200], files[4200], cmd[8400];
	char **paths = NULL;
	int rc = 3, own_dir = 0;
	long i;

	memset(&srv, 0, sizeof(srv));
	memset(&fig, 0, sizeof(fig));
	if (parse_args(&o, argc, argv) != 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (ksef_global_init() != 0)
		return 3;
	if (o.dir != NULL) {
		snprintf(work, sizeof(work), "%s", o.dir);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(work, sizeof(work), "%s/bench-batch.XXXXXX",
			 tmp ? tmp : "/tmp");
		if (mkdtemp(work) == NULL) {
			perror("bench_batch: mkdtemp");
			return 3;
		}
		own_dir = 1;
	}
	snprintf(data, sizeof(data), "%s/data", work);
	snprintf(files, sizeof(files), "%s/invoices", work);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", files);
	if (system(cmd) != 0 || write_invoices(&paths, &o, files, &err) != 0) {
		fprintf(stderr, "bench_batch: writing the invoices: %s\n",
			err.message[0] ? err.message : strerror(errno));
		goto done;
	}
	if (server_start(&srv, &o, data) != 0) {
		fprintf(stderr, "bench_batch: %s did not start\n", o.ksefd);
		goto done;
	}
	if (run(&fig, &o, &srv, paths, &err) != 0) {
		fprintf(stderr, "bench_batch: %s\n", err.message);
		goto done;
	}
	report(&fig, &o);
	rc = fig.accepted == (size_t)o.invoices ? 0 : 1;
done:
	server_stop(&srv);
	if (paths != NULL)
		for (i = 0; i < o.invoices; i++)
			free(paths[i]);
	free(paths);
	if (own_dir) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_batch: cannot remove %s\n",
				work);
	}
	ksef_global_cleanup();
	return rc;
}
