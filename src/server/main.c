/*
 * main.c - the ksefd command: `ksefd serve` (the default) runs the server;
 * `ksefd keys rotate|retire|list`, `ksefd token create` and `ksefd grant`
 * work on the same data folder, also while a server runs on it; `ksefd
 * --version` names the version. It wires the server together: the store,
 * keys, workers, and http.c started with router_dispatch as its
 * dispatcher. Shutdown on SIGTERM or SIGINT is graceful: stop accepting,
 * finish requests in flight and the invoices being verified, commit,
 * close. docs/ksefd.8 documents every option and command here.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "config_file.h"
#include "console.h"
#include "ctx_limits.h"
#include "faults.h"
#include "http.h"
#include "invoice_html.h"
#include "notify.h"
#include "peppol.h"
#include "metrics.h"
#include "router.h"
#include "server.h"
#include "session_keys.h"
#include "tokens.h"
#include "processing.h"
#include "reads.h"
#include "trust.h"
#include "upo_service.h"
#include "util/util.h"
#include "worker.h"

static const char usage_text[] =
"usage: ksefd [serve] (--data DIR | --store URL) [options]\n"
"       ksefd --config FILE [command] [options]\n"
"       ksefd migrate (--data DIR | --store URL)\n"
"       ksefd keys list|rotate [--usage USAGE]|retire ID --data DIR\n"
"       ksefd token create --data DIR --nip NIP [--permissions P,P...]\n"
"                          [--description TEXT]\n"
"       ksefd grant [revoke] --data DIR --nip NIP (--subject-nip N |\n"
"                   --subject-pesel P | --subject-fingerprint F)\n"
"                   [--permissions P,P...]\n"
"       ksefd faults set FILE|clear|show --data DIR\n"
"       ksefd --version | --help\n"
"\n"
"A local KSeF 2.0 interactive-session server: the API under /v2.\n"
"\n"
"--config FILE: the options in a file, one 'name = value' a line (the long\n"
"option's name without its dashes; an option given here too wins)\n"
"\n"
"serve options:\n"
"  --data DIR            data folder (SQLite store, keys); created if missing\n"
"  --store URL           a PostgreSQL database instead (postgresql://... or\n"
"                        key=value); several ksefd may share it. --data then\n"
"                        only holds batch parts and export packages\n"
"  --listen HOST:PORT    address (default 127.0.0.1:0; port 0 picks one and\n"
"                        prints it)\n"
"  --tls-cert FILE, --tls-key FILE   serve HTTPS with this PEM pair\n"
"  --rate-limits off|production      API rate limits (default off; a\n"
"                        context's test-data limits apply either way)\n"
"  --profile test|production         production also checks NIP checksums\n"
"                                    and has no /testdata operations\n"
"  --workers N           verification threads (default 2)\n"
"  --session-ttl SECONDS interactive session lifetime (default 43200)\n"
"  --challenge-ttl SECONDS  authentication challenge lifetime (default 600)\n"
"  --upo-page-size N     documents per session UPO page (default 10000)\n"
"  --download-url-ttl SECONDS  pre-signed UPO links' lifetime (default\n"
"                        259200, three days)\n"
"  --schemas DIR         the official schemas (default: as libksef finds them)\n"
"  --trust-store FILE    PEM CA bundle: XAdES certificates must chain to it\n"
"                        (default: any certificate, as on TEST)\n"
"  --crl FILE            CRLs of the trust store's CAs (PEM, several a file,\n"
"                        or one DER); repeatable. Each CA of a chain then\n"
"                        needs a current CRL, or the login is refused\n"
"  --max-connections N   connections in all (default 512); over it, and\n"
"  --max-connections-per-ip N  over this per client address (default 64),\n"
"                        a new connection is closed at once\n"
"  --trusted-proxy LIST  balancers whose X-Forwarded-For names the client\n"
"                        (addresses or networks, comma-separated;\n"
"                        repeatable): its address then counts for the\n"
"                        rate limits, AllowedIps and the log\n"
"  --idle-timeout S      a connection idle this long is closed (default 60)\n"
"  --header-timeout S    a request's line and headers, in all (default 10)\n"
"  --body-timeout S      a request's body, in all (default 60)\n"
"  --io-threads N        event loops reading and writing sockets (default 2)\n"
"  --handlers N          threads for requests that write or sign (default 16)\n"
"  --max-reads N         downloads and listings read from the store at once\n"
"                        (default 4); the rest wait for a slot\n"
"  --read-wait-ms MS     how long one waits before its 429 (default 5000)\n"
"  --invoice-cpu-ms MS   CPU one invoice's verification may use; past it the\n"
"                        invoice gets 450 (default 1000)\n"
"  --processing-delay MS how long authentications show 100 and invoices 150\n"
"                        before their final status (default 500; 0: none)\n"
"  --export-part-bytes N an invoice export's parts, before encryption, are\n"
"                        at most N bytes (default 50000000)\n"
"  --export-max-invoices N an export package holds at most N invoices and\n"
"                        is truncated past them (default 10000)\n"
"  --peppol-providers FILE the Peppol providers GET /peppol/query lists: a\n"
"                        JSON array of {id, name, dateCreated}\n"
"  --faults FILE         inject the faults of this plan (docs/faults.md);\n"
"                        without it ksefd starts with none\n"
"  --metrics on|off      serve Prometheus metrics at /metrics, beside the API\n"
"                        (default on); /health/live and /health/ready always\n"
"  --log-format text|json  one line a request on stderr: text (default) or\n"
"                        a JSON object\n"
"  --console [HOST:]PORT serve the read-only web console (docs/console.md)\n"
"                        on HOST (default 127.0.0.1) and PORT (0: any free\n"
"                        one, printed); it has no login. Off by default\n"
"\n"
"keys: USAGE is SymmetricKeyEncryption, KsefTokenEncryption, UpoSigning or\n"
"CertificateIssuing (the CA of KSeF certificates)\n"
"(rotate adds a key for one usage, or the two API usages when none is\n"
"given); ID is a key's id or publicKeyId (its publicKeyId then gets\n"
"400/21470).\n"
"token create: prints a KSeF token for the NIP context (permissions\n"
"default to InvoiceWrite,InvoiceRead).\n"
"grant: lets a subject other than the owner authenticate with XAdES to the\n"
"NIP context with these permissions (its direct grants become exactly\n"
"these, made by the system); revoke withdraws them.\n"
"faults: set checks a fault plan and puts it in force in place of the one\n"
"there (a running ksefd takes it within 100 ms); a plan with an error is\n"
"refused and the old one stays; clear removes it; show prints the plan in\n"
"force and how often each of its rules fired.\n"
"--version prints the version of ksefd (that of its libksef) and exits.\n";

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* getopt values of the numeric connection flags (past any character). */
#define NUM_FLAG 256
/* --config's getopt value, past the numeric flags. */
#define CONFIG_FLAG (NUM_FLAG + 256)

/* The arguments getopt reads: a --config file's settings, then the
 * command line's (config_file.h). Freed at exit, whichever return ends
 * main(); cfg's strings point into them until then. */
static struct config_args args;
/* "FILE:LINE: " while main() parses an option that came from the config
 * file, so that a bad value there is found as quickly as on the command
 * line. */
static char die_where[PATH_MAX + 16];

/* ksefd is built and released with libksef, so its version is the
 * library's; this is the one place that asks for it. */
static void print_version(void)
{
	printf("ksefd %s\n", ksef_version_string());
}

static int die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ksefd: %s", die_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/*
 * One server per data folder: two would each run a writer, a housekeeper
 * and verification over the same invoices. An flock on <data>/ksefd.lock,
 * held for the process's life, keeps a second ksefd out; the kernel drops
 * it however the first one ends, kill -9 included, so a restart after a
 * crash is never refused. The admin commands (token, keys, grant) take no
 * lock: they are meant to run beside a serving ksefd. Returns the open
 * descriptor, or -1 with err set.
 */
static int lock_data_dir(const char *dir, ksef_error *err)
{
	char path[sizeof(((struct config *)0)->data_dir) + 16], pid[32] = "";
	int fd, n;

	snprintf(path, sizeof(path), "%s/ksefd.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ksef_error_set(err, KSEF_EIO, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strspn(pid, "0123456789")] = '\0'; /* digits only */
		if (pid[0] != '\0')
			ksef_error_set(err, KSEF_EIO, "another ksefd (pid %s) "
				"serves %s; one data folder has one server",
				pid, dir);
		else
			ksef_error_set(err, KSEF_EIO, "another ksefd serves %s; "
				"one data folder has one server", dir);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n)
		fprintf(stderr, "ksefd: %s: cannot record the pid\n", path);
	return fd;
}

/* Make sure each usage has a current key; generate what is missing. */
static int ensure_keys(store *st, unsigned usages, int force, ksef_error *err)
{
	static const unsigned each[] = { KEY_USAGE_SYMMETRIC, KEY_USAGE_TOKEN,
					 KEY_USAGE_UPO_SIGNING, KEY_USAGE_CA };
	store_key *rows = NULL;
	size_t n = 0, i;
	unsigned have = 0, u;
	int64_t now = server_now_ms();
	int error;

	if ((error = store_keys_list(st, &rows, &n, err)) != 0)
		return store_result_code(error);
	for (i = 0; i < n; i++)
		if (!rows[i].retired && rows[i].valid_to_ms > now)
			have |= rows[i].usage;
	store_keys_free(rows, n);
	for (i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		server_key *k = NULL;
		int64_t id = 0;

		u = each[i];
		if (!(usages & u) || (!force && (have & u)))
			continue;
		if ((error = keys_generate(&k, u, 2048, now,
					   (u & KEY_USAGE_ALONE) ? 3650 : 730,
					   err)) != 0)
			return error;
		error = store_result_code(keyring_store_key(st, k, &id, err));
		if (error == 0 && force)
			printf("%lld %s %s\n", (long long)id,
			       keys_usage_name(u), k->public_key_id);
		keys_free(k);
		if (error != 0)
			return error;
	}
	return 0;
}

/* The keys a first start makes, made once: nodes starting together on a
 * new shared store take turns (a claim), and the second finds the first's
 * keys. */
static int first_keys(store *st, ksef_error *err)
{
	store_claim *claim = NULL;
	int i, error;

	for (i = 0; i < 300; i++) {
		error = store_claim_take(st, "ksefd first keys", &claim, err);
		if (error != STORE_EXISTS)
			break;
		nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
	if (error != 0)
		return store_result_code(error);
	error = ensure_keys(st, KEY_USAGE_VALID, 0, err);
	store_unclaim(claim);
	return error;
}

static int cmd_keys(int argc, char **argv, const char *data_dir,
		    const char *usage_name)
{
	store *st = NULL;
	store_key *rows = NULL;
	size_t n = 0, i;
	ksef_error err;
	unsigned usage = KEY_USAGE_SYMMETRIC | KEY_USAGE_TOKEN;
	const char *name;
	int rc = 0;

	if (argc < 1)
		return die("%s", "keys: list, rotate or retire?");
	if (usage_name != NULL &&
	    (usage = keys_usage_from_name(usage_name, strlen(usage_name))) == 0)
		return die("keys: unknown usage %s", usage_name);
	if (store_open(&st, data_dir, &err) != 0)
		return die("%s", err.message);
	if (strcmp(argv[0], "rotate") == 0) {
		if (ensure_keys(st, usage, 1, &err) != 0)
			rc = die("keys rotate: %s", err.message);
	} else if (strcmp(argv[0], "retire") == 0 && argc == 2) {
		if (store_key_retire(st, argv[1], &err) != 0)
			rc = die("keys retire: %s", err.message);
	} else if (strcmp(argv[0], "list") == 0) {
		if (store_keys_list(st, &rows, &n, &err) != 0) {
			rc = die("keys list: %s", err.message);
		} else {
			for (i = 0; i < n; i++) {
				name = keys_usage_name(rows[i].usage);
				printf("%lld %s %s%s\n", (long long)rows[i].id,
				       name ? name : "?", rows[i].public_key_id,
				       rows[i].retired ? " retired" : "");
			}
			store_keys_free(rows, n);
		}
	} else {
		rc = die("%s", "keys: list, rotate [--usage U] or retire ID");
	}
	store_close(st);
	return rc;
}

static int cmd_token(int argc, char **argv, const char *data_dir,
		     const char *nip, const char *perms, const char *desc)
{
	char token[TOKENS_MAX + 1], bad[64];
	store_token rec;
	store *st = NULL;
	ksef_error err;
	int rc = 0;

	if (argc < 1 || strcmp(argv[0], "create") != 0)
		return die("%s", "token: only 'token create' exists");
	if (nip == NULL || ksef_nip_validate_pattern(nip, strlen(nip), &err))
		return die("%s", "token create: --nip needs a 10-digit NIP");
	if (tokens_check_permissions(perms, bad, sizeof(bad)) != 0)
		return die("token create: unknown permission %s", bad);
	if (store_open(&st, data_dir, &err) != 0)
		return die("%s", err.message);
	if (tokens_create(st, "Nip", nip, perms, desc, "Nip", nip,
			  server_now_ms(), token, &rec, &err) != 0)
		rc = die("token create: %s", err.message);
	else
		printf("%s\n", token);
	store_close(st);
	return rc;
}

/* ksefd grant [revoke] --nip CTX --subject-nip|--subject-pesel|
 * --subject-fingerprint VALUE [--permissions P,...]: who else may act for a
 * context (the owner, whose NIP is the context's, needs no grant). */
static int cmd_grant(int argc, char **argv, const char *data_dir,
		     const char *nip, const char *subject_type,
		     const char *subject_value, const char *perms)
{
	store *st = NULL;
	ksef_error err;
	char bad[64], subject[STORE_CTX_VALUE_SZ];
	int revoke = argc >= 1 && strcmp(argv[0], "revoke") == 0, rc = 0;
	size_t i;

	if (argc > (revoke ? 1 : 0))
		return die("grant: unexpected argument %s", argv[revoke]);
	if (nip == NULL || ksef_nip_validate_pattern(nip, strlen(nip), NULL))
		return die("%s", "grant: --nip needs the context's 10-digit NIP");
	if (subject_type == NULL)
		return die("%s", "grant: --subject-nip, --subject-pesel or "
			   "--subject-fingerprint is required");
	if (!revoke && tokens_check_permissions(perms, bad, sizeof(bad)) != 0)
		return die("grant: unknown permission %s", bad);
	/* permissions: a login names a certificate by its fingerprint in
	 * upper-case hex, so a grant is kept the same way. */
	if (strlen(subject_value) >= sizeof(subject))
		return die("%s", "grant: subject too long");
	for (i = 0; subject_value[i] != '\0'; i++)
		subject[i] = strcmp(subject_type, "Fingerprint") == 0 ?
			(char)toupper((unsigned char)subject_value[i]) :
			subject_value[i];
	subject[i] = '\0';
	subject_value = subject;
	if (store_open(&st, data_dir, &err) != 0)
		return die("%s", err.message);
	if (revoke ? store_grant_revoke(st, "Nip", nip, subject_type,
					subject_value, &err) :
		     store_grant_set(st, "Nip", nip, subject_type,
				     subject_value, perms, &err))
		rc = die("grant: %s", err.message);
	store_close(st);
	return rc;
}

/* One rule's count, for `faults show`. */
static void show_count(void *arg, const char *rule, int64_t fired)
{
	(void)arg;
	printf("rule %s fired %lld\n", rule, (long long)fired);
}

/* With --store and no --data, the files (batch parts, export packages)
 * go to a private folder of their own, which outlives no restart: a
 * batch session or an export is then finished by the node that began
 * it. Several nodes give --data a folder they share. */
static int make_files_dir(struct config *cfg)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s/ksefd-XXXXXX",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(cfg->data_dir) == NULL)
		return -1;
	fprintf(stderr, "ksefd: batch parts and export packages go to %s "
		"(--data names a lasting one)\n", cfg->data_dir);
	return 0;
}

/* ksefd migrate: bring the store's schema to this ksefd's version and
 * stop. A serving ksefd migrates at start too; this is for upgrading a
 * shared database before the nodes of the new version start. */
static int cmd_migrate(const char *where)
{
	store *st = NULL;
	ksef_error err;

	if (store_open(&st, where, &err) != 0)
		return die("%s", err.message);
	store_close(st);
	printf("ksefd: the store's schema is up to date\n");
	return 0;
}

/* ksefd faults set FILE | clear | show: the plan lives in the store, as
 * keys do, so a running ksefd takes it at its next look. */
static int cmd_faults(int argc, char **argv, const char *data_dir)
{
	store *st = NULL;
	ksef_error err;
	int64_t version;
	char *plan = NULL;
	int rc = 0;

	if (argc < 1 || (strcmp(argv[0], "set") == 0 ? argc != 2 :
			 argc != 1))
		return die("%s", "faults: set FILE, clear or show");
	if (strcmp(argv[0], "set") != 0 && strcmp(argv[0], "clear") != 0 &&
	    strcmp(argv[0], "show") != 0)
		return die("faults: unknown command %s (set FILE, clear or "
			   "show)", argv[0]);
	if (store_open(&st, data_dir, &err) != 0)
		return die("%s", err.message);
	if (strcmp(argv[0], "show") == 0) {
		if (store_faults_get(st, &version, &plan, &err) != STORE_OK) {
			rc = die("faults show: %s", err.message);
		} else {
			printf("plan %lld%s\n", (long long)version,
			       plan ? "" : " (none)");
			if (plan != NULL)
				printf("%s\n", plan);
			if (store_faults_counts(st, version, show_count, NULL,
						&err) != STORE_OK)
				rc = die("faults show: %s", err.message);
			free(plan);
		}
	} else if (faults_install(st, strcmp(argv[0], "set") == 0 ?
				  argv[1] : NULL, &err) != 0) {
		rc = die("faults %s: %s", argv[0], err.message);
	}
	store_close(st);
	return rc;
}

/* --console PORT or HOST:PORT: an address of its own, given in full, or
 * loopback. */
static int parse_console(struct config *cfg, const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *num = colon ? colon + 1 : s;
	int64_t port;

	if (util_parse_i64(&port, num, 0, 65535) != 0)
		return -1;
	if (colon != NULL) {
		if (colon == s ||
		    (size_t)(colon - s) >= sizeof(cfg->console_host))
			return -1;
		memcpy(cfg->console_host, s, (size_t)(colon - s));
		cfg->console_host[colon - s] = '\0';
	}
	cfg->console_port = (int)port;
	return 0;
}

static int parse_listen(struct config *cfg, const char *s)
{
	const char *colon = strrchr(s, ':');
	int64_t port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(cfg->listen_host) ||
	    util_parse_i64(&port, colon + 1, 0, 65535) != 0)
		return -1;
	memcpy(cfg->listen_host, s, (size_t)(colon - s));
	cfg->listen_host[colon - s] = '\0';
	cfg->port = (int)port;
	return 0;
}

/* A finding of trust_warn(): ksefd starts, and says what it will refuse. */
static void warn_start(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "ksefd: warning: %s\n", msg);
}

static int serve(struct config *cfg)
{
	struct server srv;
	sigset_t sigs;
	ksef_error err;
	int sig = 0, rc = 1, lock_fd = -1, i, console_port = -1;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = *cfg;
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.idle, NULL);
	pthread_rwlock_init(&srv.keyring.lock, NULL);
	/* Every thread created from here on inherits the blocked signals;
	 * only sigwait below receives them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit reached (RLIMIT_FSIZE) is a full disk to the
	 * store: its write fails and is answered 5xx, and ksefd goes on;
	 * the signal's default would kill it. */
	signal(SIGXFSZ, SIG_IGN);

	if (ksef_global_init() != 0)
		return die("%s", "cannot initialise libksef");
	/* The trust store and CRLs first: a file that cannot be used stops
	 * ksefd before it makes or changes anything in the data folder. */
	if (cfg->trust_store != NULL &&
	    trust_load(&srv.trust, cfg->trust_store, &err) != 0) {
		die("%s", err.message);
		goto out;
	}
	for (i = 0; i < cfg->crl_count; i++) {
		if (trust_add_crls(srv.trust, cfg->crl_files[i], &err) != 0) {
			die("%s", err.message);
			goto out;
		}
	}
	if (srv.trust != NULL)
		trust_warn(srv.trust, warn_start, NULL);
	/* With PostgreSQL the database is shared by design (several nodes),
	 * and the data folder holds only files: no lock. */
	if (store_open(&srv.store, cfg->store ? cfg->store : cfg->data_dir,
		       &err) != 0 ||
	    (cfg->store == NULL &&
	     (lock_fd = lock_data_dir(cfg->data_dir, &err)) < 0) ||
	    store_secret(srv.store, "jwt", srv.jwt_secret,
			 sizeof(srv.jwt_secret), &err) != 0 ||
	    store_secret(srv.store, "presign", srv.presign_secret,
			 sizeof(srv.presign_secret), &err) != 0 ||
	    first_keys(srv.store, &err) != 0 ||
	    keyring_refresh(&srv, &err) != 0) {
		die("%s", err.message);
		goto out;
	}
	/* fault injection: the plan of --faults, or none (a plan left by
	 * an earlier run does not outlive it). With a shared store the plan
	 * is every node's: a node starting without --faults leaves it. */
	if (((cfg->faults_file != NULL || !store_is_shared(srv.store)) &&
	     faults_install(srv.store, cfg->faults_file, &err) != 0) ||
	    faults_new(&srv.faults) != 0) {
		die("%s", err.message);
		goto out;
	}
	if (peppol_load(&srv.peppol_providers, cfg->peppol_file,
			&err) != 0) {
		die("--peppol-providers: %s", err.message);
		goto out;
	}
	if (upo_service_init(&srv, &err) != 0) {
		die("%s", err.message);
		goto out;
	}
	if (ksef_schemas_new(&srv.schemas, cfg->schema_dir, &err) != 0 ||
	    ksef_schemas_compile(srv.schemas, KSEF_FORM_FA3, &err) != 0) {
		die("%s", err.message);
		goto out;
	}
	/* limits: what a context set through the test data, or these
	 * defaults (limity/limity.md): both kinds of session alike. */
	{
		store_session_limits dl = {
			cfg->max_invoices,
			(int)(cfg->max_invoice_bytes / 1000000),
			KSEF_INVOICE_MAX_BYTES / 1000000
		};

		if (ctx_limits_new(&srv.ctx_limits, srv.store, &dl, 0) != 0) {
			die("%s", "out of memory");
			goto out;
		}
	}
	/* Counting starts before the first request and the first write:
	 * the store's writer reports each group commit. */
	if (metrics_new(&srv.metrics, router_route_count(),
			router_route_name) != 0) {
		die("%s", "out of memory");
		goto out;
	}
	store_on_batch(srv.store, metrics_commit, srv.metrics);
	if (ratelimit_new(&srv.rl, cfg->rate_limits) != 0 ||
	    jwt_cache_new(&srv.jwt_cache) != 0 ||
	    processing_new(&srv.processing, cfg->processing_delay_ms) != 0) {
		die("%s", "out of memory");
		goto out;
	}
	if (session_keys_new(&srv.session_keys, &srv, &err) != 0 ||
	    workers_start(&srv, cfg->workers, &err) != 0 ||
	    reads_start(&srv.reads, cfg->max_reads, cfg->read_wait_ms,
			&err) != 0 ||
	    http_start(&srv, router_dispatch, router_traits, &err) != 0) {
		die("%s", err.message);
		goto out;
	}
	/* The console renders invoices on its thread: the stylesheet is
	 * compiled once, before it starts. */
	if ((cfg->console_port >= 0 && invoice_html_init(&err) != 0) ||
	    console_start(&srv, &console_port, &err) != 0) {
		die("%s", err.message);
		goto out;
	}
	if (console_port >= 0) {
		printf("ksefd: console on http://%s:%d/\n",
		       cfg->console_host, console_port);
		if (strncmp(cfg->console_host, "127.", 4) != 0)
			fprintf(stderr, "ksefd: the console listens on %s, "
				"beyond this machine, and has no login: "
				"whoever reaches it sees every context\n",
				cfg->console_host);
	}
	printf("ksefd: listening on %s://%s:%d/v2\n",
	       cfg->tls_cert_path ? "https" : "http", cfg->listen_host,
	       srv.port);
	fflush(stdout);
	/* Everything a request needs is in place: the store, keys, schemas,
	 * workers and the listening socket. */
	notify_ready("listening on %s://%s:%d/v2",
		     cfg->tls_cert_path ? "https" : "http", cfg->listen_host,
		     srv.port);
	sigwait(&sigs, &sig);
	fprintf(stderr, "ksefd: %s: shutting down\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	notify_stopping("%s: finishing requests and verifications",
			sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_quiesce(&srv);
	http_stop(&srv, 10000);
	rc = 0;
out:
	console_stop(&srv);
	invoice_html_cleanup();
	/* After http_stop: every read it waited for is answered. */
	reads_stop(srv.reads);
	workers_stop(&srv);
	session_keys_free(srv.session_keys);
	ratelimit_free(srv.rl);
	ctx_limits_free(srv.ctx_limits);
	jwt_cache_free(srv.jwt_cache);
	processing_free(srv.processing);
	faults_free(srv.faults);
	ksef_schemas_free(srv.schemas);
	upo_service_free(&srv);
	trust_free(srv.trust);
	json_decref(srv.peppol_providers);
	keyring_destroy(&srv);
	store_close(srv.store);
	/* After the store: its writer reported to it until closed. */
	metrics_free(srv.metrics);
	if (lock_fd >= 0)
		close(lock_fd); /* the lock goes with it */
	OPENSSL_cleanse(srv.jwt_secret, sizeof(srv.jwt_secret));
	OPENSSL_cleanse(srv.presign_secret, sizeof(srv.presign_secret));
	ksef_global_cleanup();
	return rc;
}

static void free_args(void)
{
	config_args_free(&args);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "rate-limits", required_argument, NULL, 'r' },
		{ "profile", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "session-ttl", required_argument, NULL, 't' },
		{ "schemas", required_argument, NULL, 's' },
		{ "challenge-ttl", required_argument, NULL, 'C' },
		{ "upo-page-size", required_argument, NULL, 'U' },
		{ "trust-store", required_argument, NULL, 'T' },
		{ "crl", required_argument, NULL, 'R' },
		{ "download-url-ttl", required_argument, NULL, 'L' },
		{ "usage", required_argument, NULL, 'u' },
		{ "nip", required_argument, NULL, 'n' },
		{ "permissions", required_argument, NULL, 'P' },
		{ "description", required_argument, NULL, 'D' },
		{ "subject-nip", required_argument, NULL, '1' },
		{ "subject-pesel", required_argument, NULL, '2' },
		{ "subject-fingerprint", required_argument, NULL, '3' },
		{ "faults", required_argument, NULL, 'F' },
		{ "store", required_argument, NULL, 'S' },
		{ "peppol-providers", required_argument, NULL, 'Q' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "log-format", required_argument, NULL, 'G' },
		{ "console", required_argument, NULL, 'O' },
		{ "trusted-proxy", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "max-connections", required_argument, NULL, NUM_FLAG + 0 },
		{ "max-connections-per-ip", required_argument, NULL,
		  NUM_FLAG + 1 },
		{ "idle-timeout", required_argument, NULL, NUM_FLAG + 2 },
		{ "header-timeout", required_argument, NULL, NUM_FLAG + 3 },
		{ "body-timeout", required_argument, NULL, NUM_FLAG + 4 },
		{ "io-threads", required_argument, NULL, NUM_FLAG + 5 },
		{ "handlers", required_argument, NULL, NUM_FLAG + 6 },
		{ "invoice-cpu-ms", required_argument, NULL, NUM_FLAG + 7 },
		{ "processing-delay", required_argument, NULL, NUM_FLAG + 8 },
		{ "export-part-bytes", required_argument, NULL,
		  NUM_FLAG + 9 },
		{ "max-reads", required_argument, NULL, NUM_FLAG + 10 },
		{ "read-wait-ms", required_argument, NULL, NUM_FLAG + 11 },
		{ "export-max-invoices", required_argument, NULL,
		  NUM_FLAG + 12 },
		{ "config", required_argument, NULL, CONFIG_FLAG },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg;
	/* The connection settings: numbers with bounds, in longopts' order
	 * from NUM_FLAG on. */
	const struct { int64_t min, max; int *dst; } nums[] = {
		{ 1, 100000, &cfg.max_connections },
		{ 1, 100000, &cfg.max_connections_per_ip },
		{ 1, 3600, &cfg.connection_timeout_s },
		{ 1, 3600, &cfg.header_timeout_s },
		{ 1, 3600, &cfg.body_timeout_s },
		{ 1, 64, &cfg.io_threads },
		{ 1, 256, &cfg.handlers },
		{ 1, 3600000, &cfg.invoice_cpu_ms },
		{ 0, 600000, &cfg.processing_delay_ms },
		{ 1024, 50000000, &cfg.export_part_bytes },
		{ 1, 256, &cfg.max_reads },
		{ 1, 600000, &cfg.read_wait_ms },
		{ 1, 10000, &cfg.export_max_invoices },
	};
	const char *usage_name = NULL, *nip = NULL, *subject_type = NULL,
		   *subject_value = NULL,
		   *perms = "InvoiceWrite,InvoiceRead",
		   *desc = "Token utworzony przez ksefd token create";
	int64_t v;
	const char *where;
	int c, have_data = 0, line;
	ksef_error err;

	config_init(&cfg);
	atexit(free_args);
	if (config_args_load(&args, argc, argv, longopts, &err) != 0) {
		fprintf(stderr, "ksefd: %s\n", err.message);
		return 2;
	}
	argc = args.argc;
	argv = args.argv;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		/* optind is past the option just read, and a setting of the
		 * file is one word, --name=value. */
		die_where[0] = '\0';
		if ((line = config_args_line(&args, optind - 1)) > 0)
			snprintf(die_where, sizeof(die_where), "%s:%d: ",
				 args.path, line);
		if (c >= NUM_FLAG && c < NUM_FLAG + (int)(sizeof(nums) /
							sizeof(nums[0]))) {
			const char *name = "";
			size_t k;

			for (k = 0; longopts[k].name != NULL; k++)
				if (longopts[k].val == c)
					name = longopts[k].name;

			if (util_parse_i64(&v, optarg, nums[c - NUM_FLAG].min,
					   nums[c - NUM_FLAG].max) != 0)
				return die("--%s: %lld to %lld, not %s", name,
					   (long long)nums[c - NUM_FLAG].min,
					   (long long)nums[c - NUM_FLAG].max,
					   optarg);
			*nums[c - NUM_FLAG].dst = (int)v;
			continue;
		}
		switch (c) {
		case 'd':
			if (strlen(optarg) >= sizeof(cfg.data_dir))
				return die("%s", "--data: path too long");
			strcpy(cfg.data_dir, optarg);
			have_data = 1;
			break;
		case 'X':
			if (proxies_add(&cfg.trusted_proxies, optarg) != 0)
				return die("--trusted-proxy: addresses or "
					   "networks (10.0.0.5, 10.89.0.0/24, "
					   "fd00::/8), at most %d in all, not %s",
					   PROXY_MAX, optarg);
			break;
		case 'S':
			if (!store_is_postgresql(optarg))
				return die("--store: a PostgreSQL connection "
					   "string (postgresql://... or "
					   "key=value), not %s", optarg);
			cfg.store = optarg;
			break;
		case 'l':
			if (parse_listen(&cfg, optarg) != 0)
				return die("--listen: expected HOST:PORT, got %s",
					   optarg);
			break;
		case 'c': cfg.tls_cert_path = optarg; break;
		case 'k': cfg.tls_key_path = optarg; break;
		case 'r':
			if (strcmp(optarg, "production") == 0)
				cfg.rate_limits = 1;
			else if (strcmp(optarg, "off") == 0)
				cfg.rate_limits = 0;
			else
				return die("--rate-limits: off or production, "
					   "not %s", optarg);
			break;
		case 'p':
			if (strcmp(optarg, "production") == 0)
				cfg.production = 1;
			else if (strcmp(optarg, "test") == 0)
				cfg.production = 0;
			else
				return die("--profile: test or production, not %s",
					   optarg);
			break;
		case 'w':
			if (util_parse_i64(&v, optarg, 1, 64) != 0)
				return die("--workers: 1 to 64, not %s", optarg);
			cfg.workers = (int)v;
			break;
		case 't':
			if (util_parse_i64(&v, optarg, 1, 7 * 86400) != 0)
				return die("--session-ttl: 1 to 604800 seconds, "
					   "not %s", optarg);
			cfg.session_ttl_ms = v * 1000;
			break;
		case 'C':
			if (util_parse_i64(&v, optarg, 1, 3600) != 0)
				return die("--challenge-ttl: 1 to 3600 seconds, "
					   "not %s", optarg);
			cfg.challenge_ttl_ms = v * 1000;
			break;
		case 'U':
			if (util_parse_i64(&v, optarg, 1, 10000) != 0)
				return die("--upo-page-size: 1 to 10000, not %s",
					   optarg);
			cfg.upo_page_size = (int)v;
			break;
		case 'L':
			if (util_parse_i64(&v, optarg, 1, 30 * 86400) != 0)
				return die("--download-url-ttl: 1 to 2592000 "
					   "seconds, not %s", optarg);
			cfg.download_url_ttl_ms = v * 1000;
			break;
		case 'T': cfg.trust_store = optarg; break;
		case 'R':
			if (cfg.crl_count == CONFIG_MAX_CRL_FILES)
				return die("--crl: at most %d files; one file "
					   "may hold several CRLs",
					   CONFIG_MAX_CRL_FILES);
			cfg.crl_files[cfg.crl_count++] = optarg;
			break;
		case 's': cfg.schema_dir = optarg; break;
		case 'F': cfg.faults_file = optarg; break;
		case 'Q': cfg.peppol_file = optarg; break;
		case 'M':
			if (strcmp(optarg, "on") == 0)
				cfg.metrics = 1;
			else if (strcmp(optarg, "off") == 0)
				cfg.metrics = 0;
			else
				return die("--metrics: on or off, not %s",
					   optarg);
			break;
		case 'G':
			if (strcmp(optarg, "json") == 0)
				cfg.log_json = 1;
			else if (strcmp(optarg, "text") == 0)
				cfg.log_json = 0;
			else
				return die("--log-format: text or json, not %s",
					   optarg);
			break;
		case 'O':
			if (parse_console(&cfg, optarg) != 0)
				return die("--console: expected [HOST:]PORT, "
					   "got %s", optarg);
			break;
		case 'u': usage_name = optarg; break;
		case 'n': nip = optarg; break;
		case 'P': perms = optarg; break;
		case 'D': desc = optarg; break;
		case '1': subject_type = "Nip"; subject_value = optarg; break;
		case '2': subject_type = "Pesel"; subject_value = optarg; break;
		case '3':
			subject_type = "Fingerprint";
			subject_value = optarg;
			break;
		case CONFIG_FLAG:
			/* Read before this loop; getopt also takes `--conf`,
			 * which config_args_load() never saw. */
			if (optarg != args.path) {
				fputs(usage_text, stderr);
				die("%s", "--config: spell it in full, once");
				return 2;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': print_version(); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	die_where[0] = '\0';
	if (!have_data && cfg.store == NULL) {
		fputs(usage_text, stderr);
		return die("%s", "--data DIR or --store URL is required");
	}
	if (!have_data && (optind >= argc ||
			   strcmp(argv[optind], "serve") == 0) &&
	    make_files_dir(&cfg) != 0)
		return die("cannot make a folder for batch parts: %s",
			   strerror(errno));
	where = cfg.store != NULL ? cfg.store : cfg.data_dir;
	if (optind < argc && strcmp(argv[optind], "migrate") == 0)
		return cmd_migrate(where);
	if ((cfg.tls_cert_path == NULL) != (cfg.tls_key_path == NULL))
		return die("%s", "--tls-cert and --tls-key go together");
	if (optind < argc && strcmp(argv[optind], "keys") == 0)
		return cmd_keys(argc - optind - 1, argv + optind + 1,
				where, usage_name);
	if (optind < argc && strcmp(argv[optind], "grant") == 0)
		return cmd_grant(argc - optind - 1, argv + optind + 1,
				 where, nip, subject_type, subject_value,
				 perms);
	if (optind < argc && strcmp(argv[optind], "faults") == 0)
		return cmd_faults(argc - optind - 1, argv + optind + 1,
				  where);
	if (optind < argc && strcmp(argv[optind], "token") == 0)
		return cmd_token(argc - optind - 1, argv + optind + 1,
				 where, nip, perms, desc);
	if (optind < argc && strcmp(argv[optind], "serve") != 0) {
		fputs(usage_text, stderr);
		return die("unknown command %s", argv[optind]);
	}
	/* A CRL is only as good as the CA key that signed it: without a
	 * trust store there is nothing to check it against, and nothing
	 * whose revocation it could decide. */
	if (cfg.crl_count > 0 && cfg.trust_store == NULL)
		return die("%s", "--crl needs --trust-store: a CRL is checked "
			   "against the CA certificates that issued it");
	return serve(&cfg);
}
