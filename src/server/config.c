/*
 * config.c - ksefd's defaults, each from the document that sets it.
 */
#include <string.h>
#include "server.h"

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->listen_host, "127.0.0.1");
	cfg->port = 0;
	/* The console is off; --console PORT puts it on loopback. */
	strcpy(cfg->console_host, "127.0.0.1");
	cfg->console_port = -1;
	cfg->workers = 2;
	cfg->session_ttl_ms = 12LL * 3600 * 1000;   /* sesja-interaktywna.md */
	cfg->challenge_ttl_ms = 10LL * 60 * 1000;   /* uwierzytelnianie.md */
	cfg->auth_token_ttl_ms = 45LL * 60 * 1000;  /* SPEC 10, example JWT */
	cfg->access_ttl_ms = 15LL * 60 * 1000;      /* SPEC 10, example JWT */
	cfg->refresh_ttl_ms = 7LL * 24 * 3600 * 1000; /* uwierzytelnianie.md */
	cfg->auth_retention_ms = 7LL * 24 * 3600 * 1000; /* changelog 2.4.0 */
	cfg->max_invoices = 10000;                  /* limity/limity.md */
	cfg->max_invoice_bytes = KSEF_INVOICE_MAX_BYTES_PLAIN;
	/* A 1 MB invoice verifies in about 25 ms of CPU; forty times that
	 * leaves room for a slow machine or a debugging build, and still
	 * stops what only an attack costs. */
	cfg->invoice_cpu_ms = 1000;
	/* The live system answers 100/150 for a second or so; half a second
	 * makes a client's polling loop turn without slowing tests much. */
	cfg->processing_delay_ms = 500;
	/* A 1 MB invoice is about 1.34 MB of Base64 inside the JSON; 5 MB
	 * leaves room for attachments' 3 MB if a context allows them. */
	cfg->max_body = 5u * 1000 * 1000;
	cfg->max_connections = 512;
	/* One address may hold an eighth of the connections: a busy
	 * integrator's pool, never the whole server. */
	cfg->max_connections_per_ip = 64;
	cfg->connection_timeout_s = 60;
	/* Headers are a few hundred bytes; a 5 MB body at a slow 1 Mbit/s
	 * takes 40 s. Whatever comes slower is an attack, not a client. */
	cfg->header_timeout_s = 10;
	cfg->body_timeout_s = 60;
	cfg->io_threads = 2;
	cfg->handlers = 16;
	/* Reads of stored rows at once (reads.c): a disk that serves four
	 * random reads ahead of an fsync still commits within milliseconds,
	 * and four reads of rows in the page cache keep two cores busy. */
	cfg->max_reads = 4;
	/* A read waits this long for a slot before its 429: a burst of
	 * downloads is absorbed, and a client hears "not now" long before
	 * its own timeout (libksef's is 120 s, a browser's about 30 s). */
	cfg->read_wait_ms = 5000;
	/* The OpenAPI example's storage link lives about three days. */
	cfg->download_url_ttl_ms = 3LL * 24 * 3600 * 1000;
	cfg->upo_page_size = 10000;                 /* upo-v4-3.xsd */
	/* GET /invoices/exports/{referenceNumber}: parts of at most 50 MB */
	cfg->export_part_bytes = 50 * 1000 * 1000;
	/* ... and of at most 10 000 invoices (pobieranie-faktur.md): lower
	 * only so that tests see a truncated package without sending 10 000
	 * invoices first. */
	cfg->export_max_invoices = 10000;
	/* /metrics is on the API's own listener, by default on loopback
	 * only (docs/ksefd.md): it shows counts, never a secret. */
	cfg->metrics = 1;
}
