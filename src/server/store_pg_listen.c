/*
 * store_pg_listen.c - owns the PostgreSQL engine's listener: one thread
 * and one connection of its own that LISTEN on channel 'ksefd_work', so
 * that a batch package closed on any node (Q_NOTIFY_WORK, sent with the
 * close's commit) wakes every node's batcher at once, and one of them
 * claims it. The payload is the schema of the store that notified: the
 * stores that share a database (the tests run many) hear each other's
 * notices and drop them.
 *
 * Notices are a wake-up, never the only way work is found: a node that
 * dies sends none, so every batcher still looks each second. So a lost
 * connection costs nothing but speed: the thread connects again after a
 * second, and the batchers' polling covers the gap.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "store_int.h"
#include "store_pg.h"

/* How long one wait on the socket lasts: the longest a stop waits. */
#define LISTEN_POLL_MS 250
/* The pause before connecting again. */
#define LISTEN_RETRY_MS 1000

struct listener {
	store *st;
	pthread_t thread;
	int stopping;             /* atomic */
	PGconn *db;
	char schema[128];         /* current_schema() of the connection */
};

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Connect, learn the schema, LISTEN. 0, or -1 with the connection
 * closed. */
static int attach(struct listener *l, ksef_error *err)
{
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *values[] = { l->st->location, "ksefd-listener", NULL };
	PGresult *res;
	int ok;

	l->db = PQconnectdbParams(keys, values, 1);
	if (l->db == NULL || PQstatus(l->db) != CONNECTION_OK)
		goto fail;
	PQsetNoticeProcessor(l->db, quiet, NULL);
	res = PQexec(l->db, "SELECT current_schema()");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	     !PQgetisnull(res, 0, 0) &&
	     strlen(PQgetvalue(res, 0, 0)) < sizeof(l->schema);
	if (ok)
		strcpy(l->schema, PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!ok)
		goto fail;
	res = PQexec(l->db, "LISTEN ksefd_work");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (ok)
		return 0;
fail:
	ksef_error_set(err, KSEF_EIO, "store: listen for other nodes' work: "
		       "%s", l->db ? PQerrorMessage(l->db) : "out of memory");
	PQfinish(l->db);
	l->db = NULL;
	return -1;
}

/* Every notice that came, for this store's schema only. */
static void drain(struct listener *l)
{
	PGnotify *n;

	while ((n = PQnotifies(l->db)) != NULL) {
		if (strcmp(n->extra, l->schema) == 0)
			sql_work_notice(l->st);
		PQfreemem(n);
	}
}

static int stopping(struct listener *l)
{
	return __atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE);
}

static void *listen_main(void *arg)
{
	struct listener *l = arg;
	struct pollfd pfd;
	ksef_error err;
	int waited, rc;

	while (!stopping(l)) {
		if (l->db == NULL) {
			for (waited = 0; waited < LISTEN_RETRY_MS &&
			     !stopping(l); waited += LISTEN_POLL_MS)
				poll(NULL, 0, LISTEN_POLL_MS);
			if (stopping(l) || attach(l, &err) != 0)
				continue;
		}
		pfd.fd = PQsocket(l->db);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, LISTEN_POLL_MS);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc > 0 && (PQconsumeInput(l->db) == 0 ||
			       PQstatus(l->db) != CONNECTION_OK)) {
			/* Lost: the batchers poll meanwhile. */
			PQfinish(l->db);
			l->db = NULL;
			continue;
		}
		drain(l);
	}
	return NULL;
}

int pg_listen_start(store *st, void **out, ksef_error *err)
{
	struct listener *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (l == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	l->st = st;
	if (attach(l, err) != 0) {
		free(l);
		return KSEF_EIO;
	}
	if (pthread_create(&l->thread, NULL, listen_main, l) != 0) {
		PQfinish(l->db);
		free(l);
		return ksef_error_set(err, KSEF_ENOMEM, "store: cannot start "
				      "the listener");
	}
	*out = l;
	return 0;
}

void pg_listen_stop(void *state)
{
	struct listener *l = state;

	if (l == NULL)
		return;
	__atomic_store_n(&l->stopping, 1, __ATOMIC_RELEASE);
	pthread_join(l->thread, NULL);
	PQfinish(l->db);
	free(l);
}
