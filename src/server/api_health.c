/*
 * api_health.c - the service routes outside /v2 (router.c): GET
 * /health/live, GET /health/ready and GET /metrics, what an orchestrator
 * and a monitor ask of ksefd itself. They are no part of the API's
 * contract, take no token, and see no rate limit, fault or read gate
 * (docs/ksefd.md says why). The counters and their text are metrics.c's;
 * this file samples what is not counted (queues, the fault plan's
 * counts) and answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "faults_plan.h"
#include "http.h"
#include "metrics.h"
#include "reads.h"
#include "worker.h"

/*
 * How recent a commit of the writer proves that the store takes writes:
 * a loaded ksefd commits every few milliseconds and is never asked for a
 * write of its own; an idle one makes one (a row rewritten, one fsync)
 * when a probe comes after this long. A second keeps that under one
 * write a second however often the probes come, and a disk that fails
 * shows within a second.
 */
#define HEALTH_WRITE_FRESH_MS 1000

static void reply_status(struct request *req, unsigned status,
			 const char *reason)
{
	json_t *o = json_pack("{s:s}", "status",
			      status == 200 ? "ok" : "unavailable");

	if (o != NULL && reason != NULL)
		json_object_set_new(o, "reason", json_string(reason));
	http_reply_json(req, status, o);
}

/* It answers: the process runs its event loops. Nothing else is looked
 * at, so a slow disk never gets a live ksefd restarted. */
void api_health_live(struct request *req)
{
	reply_status(req, 200, NULL);
}

/*
 * Whether ksefd can take an invoice now: the schemas are compiled and the
 * store takes a write. The store's own message (a path, SQLite's words)
 * goes to the log, not to the answer, as for every 5xx of the API.
 */
void api_health_ready(struct request *req)
{
	struct server *srv = req->srv;
	ksef_error err;

	if (srv->schemas == NULL) {
		reply_status(req, 503, "schemas not loaded");
		return;
	}
	if (srv->store == NULL ||
	    store_check_writable(srv->store, HEALTH_WRITE_FRESH_MS, &err) !=
	    STORE_OK) {
		if (srv->store != NULL)
			fprintf(stderr, "ksefd: not ready: %s\n", err.message);
		reply_status(req, 503, "store not writable");
		return;
	}
	reply_status(req, 200, NULL);
}

struct fault_counts {
	struct metrics_fault f[FAULTS_MAX_RULES];
	char rule[FAULTS_MAX_RULES][FAULTS_ID_SZ];
	size_t n;
};

static void one_fault(void *arg, const char *rule, int64_t fired)
{
	struct fault_counts *c = arg;

	if (c->n == FAULTS_MAX_RULES)
		return;
	snprintf(c->rule[c->n], FAULTS_ID_SZ, "%s", rule);
	c->f[c->n].rule = c->rule[c->n];
	c->f[c->n].fired = fired;
	c->n++;
}

/* The text exposition format 0.0.4, which every Prometheus reads. */
void api_metrics(struct request *req)
{
	struct server *srv = req->srv;
	struct metrics_sample s;
	struct fault_counts *fc;
	ksef_buf text = KSEF_BUF_INIT;
	int64_t version;

	if (srv->metrics == NULL) {
		http_reply_empty(req, 404);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.verification_queue = workers_queued(srv);
	s.nodes = ratelimit_nodes(srv->rl);
	if (srv->store != NULL && store_is_shared(srv->store)) {
		s.shared = 1;
		s.work_notices = store_work_notices(srv->store);
	}
	if (srv->store != NULL)
		s.store_queue = store_queued(srv->store);
	if (srv->reads != NULL)
		reads_counts(srv->reads, &s.reads_waiting, &s.reads_running);
	/* The plan's counts are the store's (faults.c keeps them there for
	 * `ksefd faults show`): the plan in force, read once a scrape. */
	fc = calloc(1, sizeof(*fc));
	if (fc != NULL && srv->store != NULL &&
	    (version = store_faults_version(srv->store)) > 0) {
		s.fault_plan = version;
		if (store_faults_counts(srv->store, version, one_fault, fc,
					NULL) == STORE_OK) {
			s.faults = fc->f;
			s.nfaults = fc->n;
		}
	}
	if (metrics_render(&text, srv->metrics, &s) != 0) {
		ksef_buf_dispose(&text);
		free(fc);
		http_reply_empty(req, 500);
		return;
	}
	http_reply_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8",
			 text.ptr, text.size, NULL);
	ksef_buf_dispose(&text);
	free(fc);
}
