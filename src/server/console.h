/*
 * console.h - the console: read-only web pages for test teams, on a
 * listener of their own (--console), apart from the API's. They show what
 * the store holds (contexts, tokens, permissions, sessions, invoices,
 * UPOs, the fault plan) and change nothing; docs/console.md.
 */
#ifndef KSEFD_CONSOLE_H
#define KSEFD_CONSOLE_H

#include "server.h"

/* Listen on cfg.console_host:cfg.console_port (port 0: any free one),
 * when cfg.console_port >= 0; *port receives the one bound (-1: off). */
int console_start(struct server *srv, int *port, ksef_error *err);
/* Stop listening and wait for the pages being made; nothing if off. */
void console_stop(struct server *srv);

#endif
