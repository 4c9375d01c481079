/*
 * client_batch_send.c - drives a built ksef_batch through KSeF
 * (sesja-wsadowa.md steps 4-6, sesja-sprawdzenie-stanu-i-pobranie-upo.md):
 * open with the wrapped key, put the parts (client_batch_upload.c),
 * close, poll the session's status until final, read its invoices and
 * give each file its verdict, fetch the UPOs. As session.c does for an
 * online session, every call runs on the batch's own ksef_client with the
 * access token borrowed from the ksef_conn (auth.c), renewed once after a
 * 401, and the keys are fetched again once after 21470.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "auth.h"
#include "client_batch_int.h"
#include "session_int.h"

/* Page size of GET /sessions/{ref}/invoices: the largest the API allows. */
#define LIST_PAGE_SIZE 1000
/* Longest joined status details kept. */
#define DETAILS_MAX 1024

static int use_token(ksef_batch *b, ksef_error *err)
{
	return ksef__conn_use(b->conn, b->client, &b->token_gen, err);
}

/* After a call: make it again because the token was refused? Once. */
static int retry_unauthorized(ksef_batch *b, int error, int *tried)
{
	return ksef__conn_retry_unauthorized(b->conn, b->client, b->token_gen,
					     error, tried);
}

struct batch_open {
	ksef_batch *b;
	const struct ksef__batch_decl *d;
	struct ksef__batch_opened **opened;
};

static int open_with_key(void *ctx, const ksef_pubkey *key, ksef_error *err)
{
	struct batch_open *o = ctx;

	return ksef__client_batch_open(o->opened, o->b->client, o->d,
				       o->b->env, key, err);
}

static int open_session(ksef_batch *b, struct ksef__batch_opened **opened,
			ksef_error *err)
{
	struct ksef__batch_decl d;
	struct batch_open o = { b, &d, opened };

	d.form = b->form;
	d.package_size = b->package_size;
	d.package_hash = b->package_hash;
	d.parts = b->parts;
	d.part_count = b->part_count;
	d.offline_mode = b->o.offline_mode;
	return ksef__conn_call_with_key(b->conn, b->client, &b->token_gen,
					KSEF_KEY_USAGE_SYMMETRIC_KEY,
					open_with_key, &o, NULL, err);
}

int ksef_batch_send(ksef_batch *b, ksef_conn *conn, ksef_error *err)
{
	struct ksef__batch_opened *opened = NULL;
	int error, tried = 0;

	if (b == NULL || conn == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "a batch and a connection are required");
	if (b->sent || b->env == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "the batch was sent already");
	b->sent = 1;
	b->conn = conn;
	if ((error = ksef__conn_client_new(&b->client, conn, err)) < 0 ||
	    (error = open_session(b, &opened, err)) < 0)
		return error;
	memcpy(b->ref, opened->reference_number,
	       strlen(opened->reference_number) + 1);
	b->status = KSEF_SESSION_CODE_OPEN;
	error = ksef__batch_upload_parts(b->client, b->fd, b->parts,
					 b->part_count, opened, b->o.parallel,
					 err);
	/* The links are credentials: wiped with the result. */
	ksef__result_free(opened);
	if (error < 0)
		return error;
	do {
		if ((error = use_token(b, err)) < 0)
			return error;
		error = ksef_client_batch_close(b->client, b->ref, err);
	} while (retry_unauthorized(b, error, &tried));
	if (error < 0)
		return error;
	/* Nothing more is encrypted or wrapped under the key. */
	ksef_envelope_free(b->env);
	b->env = NULL;
	return 0;
}

void ksef__batch_set_page_size(ksef_batch *b, int n)
{
	b->page_size = n;
}

const char *ksef_batch_reference(const ksef_batch *b)
{
	return b != NULL && b->ref[0] != '\0' ? b->ref : NULL;
}

int ksef_batch_status(const ksef_batch *b)
{
	return b != NULL ? b->status : 0;
}

const char *ksef_batch_status_description(const char **details,
					  const ksef_batch *b)
{
	if (details != NULL)
		*details = b != NULL ? b->status_details : NULL;
	return b != NULL ? b->status_description : NULL;
}

/*
 * Waiting
 */

static int is_final(int code)
{
	return code != KSEF_SESSION_CODE_OPEN &&
	       code != KSEF_BATCH_CODE_PROCESSING &&
	       code != KSEF_SESSION_CODE_CLOSED;
}

static void join_details(char *out, size_t outsz, const ksef_api_status *st)
{
	size_t i, n = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < st->detail_count && n + 1 < outsz; i++) {
		w = snprintf(out + n, outsz - n, "%s%s", i ? "; " : "",
			     st->details[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (n >= outsz)
		ksef__client_trim_utf8(out);
}

static int str_own(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return KSEF_ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* GET /sessions/{ref}: its code and description, its UPO pages. */
static int update_session(ksef_batch *b, ksef_error *err)
{
	ksef_api_session_status *st = NULL;
	char details[DETAILS_MAX];
	size_t i, pages;
	int error, tried = 0;

	do {
		if ((error = use_token(b, err)) < 0)
			return error;
		error = ksef_client_session_status(&st, b->client, b->ref, err);
	} while (retry_unauthorized(b, error, &tried));
	if (error < 0)
		return error;
	join_details(details, sizeof(details), st->status);
	if (str_own(&b->status_description, st->status->description) != 0 ||
	    str_own(&b->status_details, details[0] ? details : NULL) != 0)
		goto nomem;
	pages = ksef_api_upo_pages_count(st->upo_pages);
	if (pages > 0 && b->upo_count == 0) {
		if ((b->upo_refs = calloc(pages, sizeof(*b->upo_refs))) == NULL)
			goto nomem;
		for (i = 0; i < pages; i++) {
			if ((b->upo_refs[i] = strdup(ksef_api_upo_pages_at(
				st->upo_pages, i)->reference_number)) == NULL)
				goto nomem;
			b->upo_count++;
		}
	}
	b->status = st->status->code;
	ksef_api_session_status_free(st);
	return 0;
nomem:
	ksef_api_session_status_free(st);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

static const char *extension(const ksef_api_invoice_status *st,
			     const char *key)
{
	const ksef_api_pair *p;
	size_t i;

	for (i = 0; (p = ksef_api_pairs_at(st->extensions, i)) != NULL; i++)
		if (strcmp(p->key, key) == 0)
			return p->value;
	return NULL;
}

static int by_name_key(const void *key, const void *item)
{
	return strcmp(key, ((const struct ksef__batch_name *)item)->name);
}

/* The file a listed invoice is: by its entry name, else by its hash
 * among the files not matched yet. */
static ksef_session_invoice *file_of(ksef_batch *b,
				     const ksef_api_invoice_status *st)
{
	const struct ksef__batch_name *n = NULL;
	size_t i;

	if (st->invoice_file_name != NULL)
		n = bsearch(st->invoice_file_name, b->by_name, b->count,
			    sizeof(*b->by_name), by_name_key);
	if (n != NULL)
		return &b->inv[n->index];
	for (i = 0; st->invoice_hash != NULL && i < b->count; i++)
		if (b->inv[i].reference_number == NULL &&
		    b->inv[i].invoice_hash != NULL &&
		    strcmp(b->inv[i].invoice_hash, st->invoice_hash) == 0)
			return &b->inv[i];
	return NULL;
}

static int take_verdict(ksef_batch *b, const ksef_api_invoice_status *st)
{
	ksef_session_invoice *e = file_of(b, st);
	const char *dup_of = NULL, *dup_session = NULL;
	char details[DETAILS_MAX];

	if (e == NULL)
		return 0; /* not one of ours: nothing to report it on */
	join_details(details, sizeof(details), st->status);
	if (st->status->code == KSEF_INVOICE_STATUS_DUPLICATE) {
		dup_of = extension(st, "originalKsefNumber");
		dup_session = extension(st, "originalSessionReferenceNumber");
	}
	if (ksef__session_str_set(&e->reference_number,
				  st->reference_number) != 0 ||
	    ksef__session_str_set(&e->description,
				  st->status->description) != 0 ||
	    ksef__session_str_set(&e->details,
				  details[0] ? details : NULL) != 0 ||
	    ksef__session_str_set(&e->ksef_number, st->ksef_number) != 0 ||
	    ksef__session_str_set(&e->invoice_number,
				  st->invoice_number) != 0 ||
	    ksef__session_str_set(&e->duplicate_of, dup_of) != 0 ||
	    ksef__session_str_set(&e->duplicate_session, dup_session) != 0 ||
	    ksef__session_str_set(&e->session_reference, b->ref) != 0)
		return KSEF_ENOMEM;
	e->status = st->status->code;
	return 0;
}

/* Every page of GET /sessions/{ref}/invoices, at most as many invoices
 * as files: a server that lists more is not describing this batch. */
static int read_invoices(ksef_batch *b, ksef_error *err)
{
	ksef_api_invoice_list *page = NULL;
	const ksef_api_invoice_status *st;
	const char *cont;
	char *next = NULL;
	size_t i, seen = 0;
	int error = 0, tried;

	for (;;) {
		tried = 0;
		do {
			if ((error = use_token(b, err)) < 0)
				goto done;
			error = ksef_client_session_invoices(&page, b->client,
				b->ref, 0, b->page_size ? b->page_size :
				LIST_PAGE_SIZE, next, err);
		} while (retry_unauthorized(b, error, &tried));
		if (error < 0)
			goto done;
		free(next);
		next = NULL;
		for (i = 0; (st = ksef_api_invoice_list_at(page, i)) != NULL;
		     i++) {
			if (++seen > b->count) {
				error = ksef__error_set(err, KSEF_ETOOBIG,
					"session %s lists more invoices than "
					"its %zu files", b->ref, b->count);
				goto done;
			}
			if (take_verdict(b, st) != 0) {
				error = ksef__error_set(err, KSEF_ENOMEM,
							"out of memory");
				goto done;
			}
		}
		cont = ksef_api_invoice_list_continuation(page);
		if (cont == NULL || ksef_api_invoice_list_count(page) == 0)
			break;
		if ((next = strdup(cont)) == NULL) {
			error = ksef__error_set(err, KSEF_ENOMEM,
						"out of memory");
			goto done;
		}
		ksef_api_invoice_list_free(page);
		page = NULL;
	}
done:
	ksef_api_invoice_list_free(page);
	free(next);
	return error;
}

int ksef_batch_wait(ksef_batch *b, long timeout_ms, ksef_error *err)
{
	int64_t deadline, left;
	long delay, max_delay;
	int error;

	if (b == NULL || timeout_ms < 1 || b->ref[0] == '\0' || b->env != NULL)
		return ksef__error_set(err, KSEF_EINVAL, "a batch sent and "
				       "closed and a timeout of at least 1 ms "
				       "are needed");
	ksef__conn_poll(b->conn, &delay, &max_delay);
	deadline = ksef__mono_ms() + timeout_ms;
	for (;;) {
		if ((error = update_session(b, err)) < 0)
			return error;
		if (is_final(b->status))
			break;
		left = deadline - ksef__mono_ms();
		if (left <= 0)
			return ksef__error_set(err, KSEF_ENETWORK, "session %s:"
				" status %d after %ld ms", b->ref, b->status,
				timeout_ms);
		ksef__sleep_ms(delay < left ? delay : (long)left);
		delay = delay > max_delay / 2 ? max_delay : delay * 2;
	}
	return read_invoices(b, err);
}

/*
 * UPO
 */

int ksef_batch_invoice_upo(ksef_buf *out, ksef_batch *b, size_t i,
			   ksef_error *err)
{
	int error, tried = 0;

	if (out == NULL || b == NULL || b->client == NULL || i >= b->count ||
	    b->inv[i].reference_number == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out, a batch waited "
				       "for and a file with an invoice are "
				       "required");
	do {
		if ((error = use_token(b, err)) < 0)
			return error;
		error = ksef_client_upo_by_invoice_ref(out, b->client, b->ref,
			b->inv[i].reference_number, err);
	} while (retry_unauthorized(b, error, &tried));
	return error;
}

size_t ksef_batch_upo_page_count(const ksef_batch *b)
{
	return b != NULL ? b->upo_count : 0;
}

int ksef_batch_upo(ksef_buf *out, ksef_batch *b, size_t page,
		   ksef_error *err)
{
	int error, tried = 0;

	if (out == NULL || b == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "out and batch are required");
	if (page >= b->upo_count)
		return ksef__error_set(err, KSEF_EINVAL, "session %s has %zu "
			"UPO page(s), not %zu", b->ref, b->upo_count, page + 1);
	do {
		if ((error = use_token(b, err)) < 0)
			return error;
		error = ksef_client_upo_session_page(out, b->client, b->ref,
						     b->upo_refs[page], err);
	} while (retry_unauthorized(b, error, &tried));
	return error;
}

const ksef_api_error *ksef_batch_last_error(const ksef_batch *b)
{
	return b != NULL && b->client != NULL ?
	       ksef_client_last_error(b->client) : NULL;
}
