/*
 * store_pg.h - what the PostgreSQL engine's files share (store_pg.c, the
 * engine; store_pg_listen.c, its listener).
 */
#ifndef KSEFD_STORE_PG_H
#define KSEFD_STORE_PG_H

#include "store_int.h"

/* Connect and LISTEN for Q_NOTIFY_WORK of st's schema, on a thread of its
 * own that calls sql_work_notice(st) for each; *out receives what
 * pg_listen_stop() takes. 0, or a failure to connect. */
int pg_listen_start(store *st, void **out, ksef_error *err);
/* Stop and free it; NULL does nothing. */
void pg_listen_stop(void *listener);

#endif
