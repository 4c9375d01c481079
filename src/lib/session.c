/*
 * session.c - owns the ksef_session: one interactive session (SPEC 3 steps
 * 6-11, 4.11-4.21, 5) driven over a ksef_client of its own, with the
 * access token borrowed from its ksef_conn (auth.c) before every call and
 * renewed once after a 401. It keeps what it learns about each invoice it
 * sent, waits for verdicts with bounded backoff, and fetches the UPOs.
 *
 * The one rule it exists for: an invoice is never resent blindly. After a
 * send whose outcome is unknown (no answer, a 5xx, an answer we could not
 * read), the session's invoice list is searched for the invoice's hash
 * before it is sent again, and a 440 naming originalKsefNumber is shown as
 * "already accepted as" that number (SPEC 5.2, 8.3).
 *
 * A session is used by one thread at a time; sessions of one connection
 * are independent, since each has its own client and state.
 *
 * A send refused with 21184 ("Sesja tymczasowo niedostępna", KSeF's
 * maintenance) continues in a new session: the object then spans several
 * KSeF sessions, its parts (session.h), each with its own reference,
 * status and UPO, and each invoice entry names the part it went into.
 * The key is the current part's only: nothing more is sent into the
 * parts left behind.
 *
 * It can be exported and resumed (ksef_session_export/resume) with its key,
 * so that one session spans several runs of a program; state.c checks the
 * text, this file decides what it holds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "auth.h"
#include "session_int.h"
#include "state.h"
#include "ksef/encoding.h"

/* Page size of GET /sessions/{ref}/invoices: the largest the API allows. */
#define LIST_PAGE_SIZE 1000
/* Most pages read in one listing, a bound on a server that never ends. */
#define LIST_MAX_PAGES 1000
/* Longest joined status details kept for one invoice. */
#define DETAILS_MAX 1024
/* A send refused during maintenance, "Sesja tymczasowo niedostępna": a 400,
 * so nothing was taken; the client opens a new session and goes on
 * (announced in the ksef-api tracker; not in open-api.json yet, see
 * docs/faults.md). */
#define CODE_SESSION_UNAVAILABLE 21184

/* One KSeF session the object sends or sent into (session.h, "Parts");
 * all but the last were left after 21184. */
struct session_part {
	char ref[KSEF_REFNUM_BUFSZ];
	int closed;              /* closed through this object */
	int status;              /* as last seen */
	char **upo_refs;
	size_t upo_count;
};

struct ksef_session {
	ksef_conn *conn;         /* borrowed */
	ksef_client *client;     /* this session's own */
	unsigned long token_gen; /* the access token generation client holds */
	ksef_envelope *env;      /* the current part's key */
	ksef_form form;
	int64_t valid_until_ms;  /* the current part's; KSEF_TIME_UNSET */
	struct session_part *parts; /* the current one last; at least one */
	size_t nparts;
	ksef_session_invoice *invoices; /* strings ours: see session_int.h */
	size_t count, cap;
};

static struct session_part *current(const ksef_session *s)
{
	return &s->parts[s->nparts - 1];
}

/* Room for one more part, made before a session is opened so that
 * recording it cannot fail. */
static int part_reserve(ksef_session *s, ksef_error *err)
{
	struct session_part *grown;

	if (s->nparts >= KSEF_SESSION_PARTS_MAX)
		return ksef__error_set(err, KSEF_ETOOBIG, "session %s: %d "
			"sessions opened in turn after 21184 "
			"(KSEF_SESSION_PARTS_MAX); not one more",
			current(s)->ref, KSEF_SESSION_PARTS_MAX);
	grown = realloc(s->parts, (s->nparts + 1) * sizeof(*grown));
	if (grown == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	s->parts = grown;
	return 0;
}

/* Add a part (room reserved; ref shorter than KSEF_REFNUM_BUFSZ). */
static void part_append(ksef_session *s, const char *ref, int status)
{
	struct session_part *p = &s->parts[s->nparts++];

	memset(p, 0, sizeof(*p));
	memcpy(p->ref, ref, strlen(ref) + 1);
	p->status = status;
}

static void part_dispose(struct session_part *p)
{
	size_t i;

	for (i = 0; i < p->upo_count; i++)
		free(p->upo_refs[i]);
	free(p->upo_refs);
	p->upo_refs = NULL;
	p->upo_count = 0;
}

static const struct {
	int code;
	const char *description;
} session_descriptions[] = {
	{ 100, "Sesja interaktywna otwarta" },
	{ 170, "Sesja interaktywna zamknięta" },
	{ 200, "Sesja interaktywna przetworzona pomyślnie" },
	{ 415, "Błąd odszyfrowania dostarczonego klucza" },
	{ 440, "Sesja anulowana" },
	{ 445, "Błąd weryfikacji, brak poprawnych faktur" },
};

const char *ksef_session_status_description(int code)
{
	size_t i;

	for (i = 0; i < sizeof(session_descriptions) /
			    sizeof(session_descriptions[0]); i++)
		if (session_descriptions[i].code == code)
			return session_descriptions[i].description;
	return NULL;
}

int ksef_session_status_is_final(int code)
{
	return code != KSEF_SESSION_CODE_OPEN &&
	       code != KSEF_SESSION_CODE_CLOSED;
}

/*
 * Invoice entries. The public struct's strings are const for readers; each
 * one here is a malloc'd copy that only ksef__session_str_set() replaces
 * and frees (session_int.h: batches hand out the same entries).
 */

int ksef__session_str_set(const char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return KSEF_ENOMEM;
	free((char *)*field);
	*field = copy;
	return 0;
}

void ksef__session_invoice_clear(ksef_session_invoice *e)
{
	free((char *)e->reference_number);
	free((char *)e->invoice_hash);
	free((char *)e->description);
	free((char *)e->details);
	free((char *)e->ksef_number);
	free((char *)e->invoice_number);
	free((char *)e->duplicate_of);
	free((char *)e->duplicate_session);
	free((char *)e->session_reference);
	memset(e, 0, sizeof(*e));
}

static ksef_session_invoice *entry_find(ksef_session *s, const char *ref)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		if (strcmp(s->invoices[i].reference_number, ref) == 0)
			return &s->invoices[i];
	return NULL;
}

/* Room for one more entry, made before sending so that recording a sent
 * invoice cannot fail for want of the array. */
static int entry_reserve(ksef_session *s, ksef_error *err)
{
	ksef_session_invoice *grown;
	size_t cap;

	if (s->count < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 16;
	if (cap > SIZE_MAX / sizeof(*grown) ||
	    (grown = realloc(s->invoices, cap * sizeof(*grown))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	s->invoices = grown;
	s->cap = cap;
	return 0;
}

/* Record an invoice this object sent or found in the current part (room
 * is reserved). */
static int entry_track(ksef_session *s, const char *ref, const char *hash,
		       int reconciled, ksef_error *err)
{
	ksef_session_invoice *e = entry_find(s, ref);

	if (e != NULL) {
		e->reconciled |= reconciled;
		return 0;
	}
	e = &s->invoices[s->count];
	memset(e, 0, sizeof(*e));
	if (ksef__session_str_set(&e->reference_number, ref) != 0 ||
	    ksef__session_str_set(&e->invoice_hash, hash) != 0 ||
	    ksef__session_str_set(&e->session_reference,
				  current(s)->ref) != 0 ||
	    ksef__session_str_set(&e->description,
		    ksef_invoice_status_description(
			    KSEF_INVOICE_STATUS_ACCEPTED)) != 0) {
		ksef__session_invoice_clear(e);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	e->status = KSEF_INVOICE_STATUS_ACCEPTED;
	e->reconciled = reconciled;
	s->count++;
	return 0;
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

/* Copy what the server says about an invoice into its entry. */
static int entry_update(ksef_session_invoice *e,
			const ksef_api_invoice_status *st, ksef_error *err)
{
	char details[DETAILS_MAX] = "";
	const char *dup_of = NULL, *dup_session = NULL;
	size_t i, n = 0;

	for (i = 0; i < st->status->detail_count && n < sizeof(details) - 1;
	     i++) {
		int w = snprintf(details + n, sizeof(details) - n, "%s%s",
				 i ? "; " : "", st->status->details[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	/* "Already accepted as": only a 440 names the original (SPEC 5.2). */
	if (st->status->code == KSEF_INVOICE_STATUS_DUPLICATE) {
		dup_of = extension(st, "originalKsefNumber");
		dup_session = extension(st, "originalSessionReferenceNumber");
	}
	if (ksef__session_str_set(&e->description,
				  st->status->description) != 0 ||
	    ksef__session_str_set(&e->details, n ? details : NULL) != 0 ||
	    ksef__session_str_set(&e->ksef_number, st->ksef_number) != 0 ||
	    ksef__session_str_set(&e->invoice_number,
				  st->invoice_number) != 0 ||
	    ksef__session_str_set(&e->duplicate_of, dup_of) != 0 ||
	    ksef__session_str_set(&e->duplicate_session, dup_session) != 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	e->status = st->status->code;
	return 0;
}

/*
 * Calls with a fresh token
 */

static int use_token(ksef_session *s, ksef_error *err)
{
	return ksef__conn_use(s->conn, s->client, &s->token_gen, err);
}

/* After a call: should it be made again because the token was refused?
 * Once per call; the connection renews the token before the retry. */
static int retry_unauthorized(ksef_session *s, int error, int *tried)
{
	return ksef__conn_retry_unauthorized(s->conn, s->client, s->token_gen,
					     error, tried);
}

/* Could the server have taken an invoice whose send failed like this? */
static int ambiguous(const ksef_session *s, int error)
{
	int st = ksef_client_last_http_status(s->client);

	if (error == KSEF_ENETWORK)
		return 1; /* no answer: a timeout or a dropped connection */
	if (error == KSEF_EHTTP && st >= 500)
		return 1;
	/* A 2xx whose body we could not read still took the invoice. */
	return (error == KSEF_EPARSE || error == KSEF_ETOOBIG) &&
	       st >= 200 && st < 300;
}

static int send_once(char ref[KSEF_REFNUM_BUFSZ], ksef_session *s,
		     const unsigned char *xml, size_t len,
		     const ksef_client_send_options *opts, ksef_error *err)
{
	int error, tried = 0;

	do {
		if ((error = use_token(s, err)) != 0)
			return error;
		error = ksef_client_invoice_send(ref, NULL, s->client,
			current(s)->ref, s->env, xml, len, opts, err);
	} while (retry_unauthorized(s, error, &tried));
	return error;
}

/* One page of a part's invoices, renewing the token after a 401. */
static int list_page(ksef_api_invoice_list **out, ksef_session *s,
		     const char *ref, const char *continuation, ksef_error *err)
{
	int error, tried = 0;

	do {
		if ((error = use_token(s, err)) != 0)
			return error;
		error = ksef_client_session_invoices(out, s->client, ref, 0,
			LIST_PAGE_SIZE, continuation, err);
	} while (retry_unauthorized(s, error, &tried));
	return error;
}

/*
 * Walk every page of GET /sessions/{ref}/invoices of one part. visit()
 * returns 0 to go on, 1 to stop, or a negative code.
 */
static int list_all(ksef_session *s, const char *ref,
		    int (*visit)(void *ctx, const ksef_api_invoice_status *st,
				 ksef_error *err),
		    void *ctx, ksef_error *err)
{
	ksef_api_invoice_list *page = NULL;
	const ksef_api_invoice_status *st;
	const char *cont;
	char *next = NULL;
	size_t i, pages;
	int error = 0;

	for (pages = 0; pages < LIST_MAX_PAGES; pages++) {
		if ((error = list_page(&page, s, ref, next, err)) != 0)
			break;
		free(next);
		next = NULL;
		for (i = 0; error == 0 &&
		     (st = ksef_api_invoice_list_at(page, i)) != NULL; i++)
			error = visit(ctx, st, err);
		cont = ksef_api_invoice_list_continuation(page);
		if (error == 0 && cont != NULL && (next = strdup(cont)) == NULL)
			error = ksef__error_set(err, KSEF_ENOMEM,
						"out of memory");
		ksef_api_invoice_list_free(page);
		page = NULL;
		if (error != 0 || next == NULL)
			break;
	}
	if (error == 0 && next != NULL)
		error = ksef__error_set(err, KSEF_ETOOBIG,
			"session %s lists more than %d pages of invoices",
			ref, LIST_MAX_PAGES);
	free(next);
	return error < 0 ? error : 0;
}

struct hash_search {
	const char *hash;
	char *ref; /* KSEF_REFNUM_BUFSZ */
	int found;
};

static int visit_hash(void *ctx, const ksef_api_invoice_status *st,
		      ksef_error *err)
{
	struct hash_search *hs = ctx;

	(void)err;
	if (st->invoice_hash == NULL || st->reference_number == NULL ||
	    strcmp(st->invoice_hash, hs->hash) != 0 ||
	    strlen(st->reference_number) >= KSEF_REFNUM_BUFSZ)
		return 0;
	memcpy(hs->ref, st->reference_number,
	       strlen(st->reference_number) + 1);
	hs->found = 1;
	return 1;
}

/* Look for the invoice in the current part, and send it only if absent. */
static int find_or_send(char ref[KSEF_REFNUM_BUFSZ], int *found,
			ksef_session *s, const unsigned char *xml, size_t len,
			const char *hash, const ksef_client_send_options *opts,
			ksef_error *err)
{
	struct hash_search hs = { hash, ref, 0 };
	int error;

	*found = 0;
	if ((error = list_all(s, current(s)->ref, visit_hash, &hs, err)) != 0)
		return error;
	if (hs.found) {
		*found = 1;
		return 0;
	}
	return send_once(ref, s, xml, len, opts, err);
}

static int check_send(const ksef_session *s, const void *ref_out,
		      const unsigned char *xml, ksef_error *err)
{
	if (s == NULL || ref_out == NULL || xml == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "session, ref_out and xml are required");
	if (current(s)->closed)
		return ksef__error_set(err, KSEF_EINVAL,
				       "session %s is closed", current(s)->ref);
	return 0;
}

/* Send, and after a failure that leaves it unknown whether the invoice was
 * taken, look before sending again. */
static int send_reconciled(char ref[KSEF_REFNUM_BUFSZ], int *found,
			   ksef_session *s, const unsigned char *xml,
			   size_t len, const char *hash,
			   const ksef_client_send_options *opts,
			   ksef_error *err)
{
	long pause, unused;
	int error;

	*found = 0;
	error = send_once(ref, s, xml, len, opts, err);
	if (error != 0 && ambiguous(s, error)) {
		/* Give a request that is still on its way time to land
		 * before looking for it. */
		ksef__conn_poll(s->conn, &pause, &unused);
		ksef__sleep_ms(pause);
		error = find_or_send(ref, found, s, xml, len, hash, opts, err);
	}
	return error;
}

/* Was the last send refused because the session is unavailable? */
static int unavailable(const ksef_session *s, int error)
{
	return error == KSEF_EHTTP &&
	       ksef_api_error_has_code(ksef_client_last_error(s->client),
				       CODE_SESSION_UNAVAILABLE);
}

static int open_online(ksef_api_session_opened **opened,
		       ksef_envelope **env_out, ksef_session *s,
		       int *from_call, ksef_error *err);
static int close_part(ksef_session *s, struct session_part *p,
		      ksef_error *err);

/*
 * The current part refused a send with 21184: open a new session for the
 * same form with a fresh key and make it the current part, then close the
 * one left behind, so that KSeF verifies what it took and makes its UPO
 * (docs/library.md). Opened first: if that fails the object stays where
 * it was. A refused close is no error here (a session under maintenance
 * may refuse it too): KSeF closes the session at its validUntil, and its
 * part keeps status 100 to say so.
 */
static int continue_in_new_session(ksef_session *s, ksef_error *err)
{
	ksef_api_session_opened *opened = NULL;
	ksef_envelope *env = NULL;
	size_t left = s->nparts - 1;
	int error, from_call;

	if ((error = part_reserve(s, err)) != 0 ||
	    (error = open_online(&opened, &env, s, &from_call, err)) != 0)
		return error;
	part_append(s, opened->reference_number, KSEF_SESSION_CODE_OPEN);
	s->valid_until_ms = opened->valid_until_ms;
	ksef_api_session_opened_free(opened);
	/* The old key is of no more use: nothing more goes there. */
	ksef_envelope_free(s->env);
	s->env = env;
	(void)close_part(s, &s->parts[left], NULL);
	return 0;
}

/*
 * Send into the current part (look_first: find or send); after a 21184,
 * continue in a new session and send there, at most max_session_reopens
 * times in one call. A new session holds nothing yet, so there the
 * invoice is sent without looking.
 */
static int send_continuing(char ref[KSEF_REFNUM_BUFSZ], int *found,
			   ksef_session *s, const unsigned char *xml,
			   size_t len, const char *hash,
			   const ksef_client_send_options *opts, int look_first,
			   ksef_error *err)
{
	int max = ksef__conn_max_session_reopens(s->conn), reopens = 0, error;
	char first[KSEF_REFNUM_BUFSZ];

	memcpy(first, current(s)->ref, sizeof(first));
	for (;;) {
		*found = 0;
		error = look_first ?
			find_or_send(ref, found, s, xml, len, hash, opts,
				     err) :
			send_reconciled(ref, found, s, xml, len, hash, opts,
					err);
		if (error == 0 || !unavailable(s, error) || max == 0)
			return error;
		if (reopens == max)
			return ksef__error_set(err, KSEF_EHTTP, "session %s "
				"unavailable (21184), and so were the %d new "
				"session(s) opened after it, the last %s; the "
				"invoice was not sent", first, reopens,
				current(s)->ref);
		if ((error = continue_in_new_session(s, err)) != 0)
			return error;
		reopens++;
		look_first = 0;
	}
}

/* Both sends: check, send (continuing after 21184; looking first when
 * look_first), and track the invoice. */
static int send_tracked(char ref_out[KSEF_REFNUM_BUFSZ], int *found_out,
			ksef_session *s, const unsigned char *xml, size_t len,
			const ksef_client_send_options *opts, int look_first,
			ksef_error *err)
{
	char hash[KSEF_SHA256_B64_LEN + 1], ref[KSEF_REFNUM_BUFSZ];
	int error, found = 0;

	if ((error = check_send(s, ref_out, xml, err)) != 0 ||
	    (error = entry_reserve(s, err)) != 0 ||
	    (error = ksef_sha256_base64(hash, xml, len, err)) != 0)
		return error;
	if ((error = send_continuing(ref, &found, s, xml, len, hash, opts,
				     look_first, err)) != 0 ||
	    (error = entry_track(s, ref, hash, found, err)) != 0)
		return error;
	memcpy(ref_out, ref, KSEF_REFNUM_BUFSZ);
	if (found_out != NULL)
		*found_out = found;
	return 0;
}

int ksef_session_send(char ref_out[KSEF_REFNUM_BUFSZ], ksef_session *s,
		      const unsigned char *xml, size_t len,
		      const ksef_client_send_options *opts, ksef_error *err)
{
	return send_tracked(ref_out, NULL, s, xml, len, opts, 0, err);
}

int ksef_session_send_or_find(char ref_out[KSEF_REFNUM_BUFSZ], int *found_out,
			      ksef_session *s, const unsigned char *xml,
			      size_t len, const ksef_client_send_options *opts,
			      ksef_error *err)
{
	return send_tracked(ref_out, found_out, s, xml, len, opts, 1, err);
}

/*
 * Open, close, free
 */

struct session_open {
	ksef_client *client;
	ksef_form form;
	ksef_envelope *env;
	ksef_api_session_opened **opened;
};

static int open_with_key(void *ctx, const ksef_pubkey *key, ksef_error *err)
{
	struct session_open *o = ctx;

	return ksef_client_session_open(o->opened, o->client, o->form, o->env,
					key, err);
}

/*
 * POST /sessions/online for s's form with a fresh key and IV (SPEC 3,
 * 6.1), through s's client: *env_out gets the key, *opened the answer,
 * whose reference number fits a part. *from_call says whether a failure
 * was the open's own answer (not the renewal or the keys before it).
 */
static int open_online(ksef_api_session_opened **opened,
		       ksef_envelope **env_out, ksef_session *s,
		       int *from_call, ksef_error *err)
{
	struct session_open o;
	ksef_envelope *env = NULL;
	int error;

	*opened = NULL;
	*env_out = NULL;
	*from_call = 0;
	if ((error = ksef_envelope_new(&env, err)) != 0)
		return error;
	o.client = s->client;
	o.form = s->form;
	o.env = env;
	o.opened = opened;
	error = ksef__conn_call_with_key(s->conn, s->client, &s->token_gen,
					 KSEF_KEY_USAGE_SYMMETRIC_KEY,
					 open_with_key, &o, from_call, err);
	if (error == 0 &&
	    strlen((*opened)->reference_number) >= KSEF_REFNUM_BUFSZ)
		error = ksef__error_set(err, KSEF_EPARSE,
			"the session's reference number is too long");
	if (error != 0) {
		ksef_api_session_opened_free(*opened);
		*opened = NULL;
		ksef_envelope_free(env);
		return error;
	}
	*env_out = env;
	return 0;
}

int ksef_session_open(ksef_session **out, ksef_conn *conn, ksef_form form,
		      ksef_error *err)
{
	ksef_api_session_opened *opened = NULL;
	ksef_session *s;
	int error, from_call = 0;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out is NULL");
	*out = NULL;
	if (conn == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "connection is NULL");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	s->conn = conn;
	s->form = form;
	if ((error = ksef__conn_client_new(&s->client, conn, err)) != 0 ||
	    (error = part_reserve(s, err)) != 0)
		goto fail;
	error = open_online(&opened, &s->env, s, &from_call, err);
	if (error != 0) {
		/* The open itself was answered with an error (not the
		 * renewal or the keys before it, which the connection's own
		 * client answered): keep that answer where the caller can
		 * read it, since s goes. */
		if (from_call &&
		    (error == KSEF_EHTTP || error == KSEF_ERATELIMIT) &&
		    ksef_client_last_error(s->client) != NULL)
			ksef__conn_keep_error(conn, &s->client);
		goto fail;
	}
	part_append(s, opened->reference_number, KSEF_SESSION_CODE_OPEN);
	s->valid_until_ms = opened->valid_until_ms;
	ksef_api_session_opened_free(opened);
	*out = s;
	return 0;
fail:
	ksef_session_free(s);
	return error;
}

void ksef_session_free(ksef_session *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->count; i++)
		ksef__session_invoice_clear(&s->invoices[i]);
	free(s->invoices);
	for (i = 0; i < s->nparts; i++)
		part_dispose(&s->parts[i]);
	free(s->parts);
	ksef_envelope_free(s->env);
	ksef_client_free(s->client);
	free(s);
}

const char *ksef_session_reference(const ksef_session *s)
{
	return s ? current(s)->ref : NULL;
}

ksef_form ksef_session_form(const ksef_session *s)
{
	return s ? s->form : KSEF_FORM_COUNT;
}

int64_t ksef_session_valid_until(const ksef_session *s)
{
	return s != NULL ? s->valid_until_ms : KSEF_TIME_UNSET;
}

/* POST /sessions/online/{ref}/close of one part. */
static int close_part(ksef_session *s, struct session_part *p,
		      ksef_error *err)
{
	int error, tried = 0;

	do {
		if ((error = use_token(s, err)) != 0)
			return error;
		error = ksef_client_session_close(s->client, p->ref, err);
	} while (retry_unauthorized(s, error, &tried));
	if (error != 0)
		return error;
	p->closed = 1;
	p->status = KSEF_SESSION_CODE_CLOSED;
	return 0;
}

int ksef_session_close(ksef_session *s, ksef_error *err)
{
	size_t i;
	int error;

	if (s == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "session is NULL");
	if (current(s)->closed)
		return ksef__error_set(err, KSEF_EINVAL,
				       "session %s is closed already",
				       current(s)->ref);
	if ((error = close_part(s, current(s), err)) != 0)
		return error;
	/* A part left after 21184 whose close KSeF refused then is asked
	 * once more; refused again, KSeF closes it at its validUntil. */
	for (i = 0; i + 1 < s->nparts; i++)
		if (!s->parts[i].closed)
			(void)close_part(s, &s->parts[i], NULL);
	return 0;
}

/*
 * Waiting
 */

/* The invoices not yet final in one part, or in all with p NULL. */
static size_t pending(const ksef_session *s, const struct session_part *p)
{
	size_t i, n = 0;

	for (i = 0; i < s->count; i++)
		if (s->invoices[i].status < 200 &&
		    (p == NULL ||
		     strcmp(s->invoices[i].session_reference, p->ref) == 0))
			n++;
	return n;
}

static int visit_update(void *ctx, const ksef_api_invoice_status *st,
			ksef_error *err)
{
	ksef_session *s = ctx;
	ksef_session_invoice *e;

	if (st->reference_number == NULL ||
	    (e = entry_find(s, st->reference_number)) == NULL)
		return 0;
	return entry_update(e, st, err);
}

/* GET /sessions/{ref}: a part's code, and its UPO pages once 200. */
static int update_session(ksef_session *s, struct session_part *p,
			  ksef_error *err)
{
	ksef_api_session_status *st = NULL;
	char **refs = NULL;
	size_t i, n = 0, pages;
	int error, tried = 0;

	do {
		if ((error = use_token(s, err)) != 0)
			return error;
		error = ksef_client_session_status(&st, s->client, p->ref, err);
	} while (retry_unauthorized(s, error, &tried));
	if (error != 0)
		return error;
	pages = ksef_api_upo_pages_count(st->upo_pages);
	if (pages > 0 && p->upo_count == 0) {
		if ((refs = calloc(pages, sizeof(*refs))) == NULL)
			goto nomem;
		for (n = 0; n < pages; n++)
			if ((refs[n] = strdup(ksef_api_upo_pages_at(
				st->upo_pages, n)->reference_number)) == NULL)
				goto nomem;
		p->upo_refs = refs;
		p->upo_count = n;
	}
	p->status = st->status->code;
	ksef_api_session_status_free(st);
	return 0;
nomem:
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	ksef_api_session_status_free(st);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/* Bring one part up to date: 1 when it is done (its invoices final and,
 * if closed, itself), 0 while not, or a negative code. */
static int wait_part(ksef_session *s, struct session_part *p,
		     ksef_error *err)
{
	int error;

	if (pending(s, p) > 0 &&
	    (error = list_all(s, p->ref, visit_update, s, err)) != 0)
		return error;
	/* The session ends only after its invoices (SPEC 5.1). */
	if (pending(s, p) == 0 && p->closed &&
	    !ksef_session_status_is_final(p->status) &&
	    (error = update_session(s, p, err)) != 0)
		return error;
	return pending(s, p) == 0 &&
	       (!p->closed || ksef_session_status_is_final(p->status));
}

int ksef_session_wait(ksef_session *s, long timeout_ms, ksef_error *err)
{
	const struct session_part *late;
	int64_t deadline, left;
	long delay, max_delay;
	size_t i;
	int done;

	if (s == NULL || timeout_ms < 1)
		return ksef__error_set(err, KSEF_EINVAL,
			"a session and a timeout of at least 1 ms are needed");
	ksef__conn_poll(s->conn, &delay, &max_delay);
	deadline = ksef__mono_ms() + timeout_ms;
	for (;;) {
		late = NULL;
		for (i = 0; i < s->nparts; i++) {
			if ((done = wait_part(s, &s->parts[i], err)) < 0)
				return done;
			if (!done && late == NULL)
				late = &s->parts[i];
		}
		if (late == NULL)
			return 0;
		left = deadline - ksef__mono_ms();
		if (left <= 0)
			return ksef__error_set(err, KSEF_ENETWORK,
				"session %s: %zu invoice(s) still in progress, "
				"session status %d, after %ld ms", late->ref,
				pending(s, late), late->status, timeout_ms);
		ksef__sleep_ms(delay < left ? delay : (long)left);
		delay = delay > max_delay / 2 ? max_delay : delay * 2;
	}
}

size_t ksef_session_invoice_count(const ksef_session *s)
{
	return s ? s->count : 0;
}

const ksef_session_invoice *ksef_session_invoice_at(const ksef_session *s,
						    size_t i)
{
	return s && i < s->count ? &s->invoices[i] : NULL;
}

int ksef_session_status(const ksef_session *s)
{
	return s ? current(s)->status : 0;
}

size_t ksef_session_part_count(const ksef_session *s)
{
	return s ? s->nparts : 0;
}

const char *ksef_session_part_reference(const ksef_session *s, size_t part)
{
	return s && part < s->nparts ? s->parts[part].ref : NULL;
}

int ksef_session_part_status(const ksef_session *s, size_t part)
{
	return s && part < s->nparts ? s->parts[part].status : 0;
}

/*
 * UPO
 */

int ksef_session_invoice_upo(ksef_buf *out, ksef_session *s,
			     const char *invoice_ref, ksef_error *err)
{
	const ksef_session_invoice *e;
	const char *sref;
	int error, tried = 0;

	if (out == NULL || s == NULL || invoice_ref == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"out, session and invoice_ref are required");
	/* Asked of the part it went into, which after 21184 may be an
	 * earlier one. */
	e = entry_find(s, invoice_ref);
	sref = e != NULL ? e->session_reference : current(s)->ref;
	do {
		if ((error = use_token(s, err)) != 0)
			return error;
		error = ksef_client_upo_by_invoice_ref(out, s->client, sref,
						       invoice_ref, err);
	} while (retry_unauthorized(s, error, &tried));
	return error;
}

size_t ksef_session_upo_page_count(const ksef_session *s)
{
	return s ? current(s)->upo_count : 0;
}

size_t ksef_session_part_upo_page_count(const ksef_session *s, size_t part)
{
	return s && part < s->nparts ? s->parts[part].upo_count : 0;
}

int ksef_session_part_upo(ksef_buf *out, ksef_session *s, size_t part,
			  size_t page, ksef_error *err)
{
	const struct session_part *p;
	int error, tried = 0;

	if (out == NULL || s == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "out and session are required");
	if (part >= s->nparts)
		return ksef__error_set(err, KSEF_EINVAL,
			"session %s has %zu part(s), not %zu",
			current(s)->ref, s->nparts, part + 1);
	p = &s->parts[part];
	if (page >= p->upo_count)
		return ksef__error_set(err, KSEF_EINVAL,
			"session %s has %zu UPO page(s), not %zu", p->ref,
			p->upo_count, page + 1);
	do {
		if ((error = use_token(s, err)) != 0)
			return error;
		error = ksef_client_upo_session_page(out, s->client, p->ref,
						     p->upo_refs[page], err);
	} while (retry_unauthorized(s, error, &tried));
	return error;
}

int ksef_session_upo(ksef_buf *out, ksef_session *s, size_t page,
		     ksef_error *err)
{
	if (out == NULL || s == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "out and session are required");
	return ksef_session_part_upo(out, s, s->nparts - 1, page, err);
}

const ksef_api_error *ksef_session_last_error(const ksef_session *s)
{
	return s ? ksef_client_last_error(s->client) : NULL;
}

/*
 * Saving and resuming (session.h: "Saving a session and resuming it")
 */

static const char *const session_members[] = {
	"baseUrl", "contextType", "contextValue", "referenceNumber",
	"formCode", "key", "iv", "validUntil", "closed", "invoices", NULL
};

#define SESSION_STATE "session state"

/* Base64 of the key, a SECRET, as a JSON string; the text is wiped. */
static json_t *secret_b64(const unsigned char *data, size_t len)
{
	ksef_buf b = KSEF_BUF_INIT;
	json_t *v = NULL;

	if (ksef_base64_encode(&b, data, len, NULL) == 0)
		v = json_stringn((const char *)b.ptr, b.size);
	ksef_buf_dispose_secure(&b);
	return v;
}

/* Some members are secrets: ksef__state_set() wipes a value it fails to
 * set. */
static int set_new(json_t *o, const char *key, json_t *v)
{
	return ksef__state_set(o, key, v);
}

int ksef_session_export(ksef_buf *out, ksef_session *s, ksef_error *err)
{
	ksef_context_type ctx_type;
	const struct session_part *cur;
	const char *ctx_value;
	json_t *o, *list = NULL;
	size_t i, n = 0;
	int error;

	if (out == NULL || s == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "out and session are required");
	/* The state is the current part's: the parts left after 21184 take
	 * no more invoices, and their verdicts are read without a key. */
	cur = current(s);
	for (i = 0; i < s->count; i++)
		n += strcmp(s->invoices[i].session_reference, cur->ref) == 0;
	if (n > KSEF_SESSION_STATE_MAX_INVOICES)
		return ksef__error_set(err, KSEF_ETOOBIG, "session %s holds "
			"%zu invoices, over the limit of %d", cur->ref, n,
			KSEF_SESSION_STATE_MAX_INVOICES);
	ctx_value = ksef_conn_context(&ctx_type, s->conn);
	o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}",
		"version", KSEF_SESSION_STATE_VERSION,
		"baseUrl", ksef_conn_base_url(s->conn),
		"contextType", ksef__state_context_name(ctx_type),
		"contextValue", ctx_value, "referenceNumber", cur->ref,
		"formCode", ksef_form_code_of(s->form).system_code);
	if (o == NULL ||
	    set_new(o, "key", secret_b64(ksef_envelope_key(s->env),
					 KSEF_AES_KEY_LEN)) != 0 ||
	    set_new(o, "iv", secret_b64(ksef_envelope_iv(s->env),
					KSEF_AES_IV_LEN)) != 0 ||
	    (s->valid_until_ms != KSEF_TIME_UNSET &&
	     set_new(o, "validUntil",
		     ksef__state_time_json(s->valid_until_ms)) != 0) ||
	    set_new(o, "closed", json_boolean(cur->closed)) != 0 ||
	    set_new(o, "invoices", list = json_array()) != 0)
		goto nomem;
	for (i = 0; i < s->count; i++) {
		const ksef_session_invoice *e = &s->invoices[i];
		json_t *item;

		if (strcmp(e->session_reference, cur->ref) != 0)
			continue;
		item = json_pack("{s:s}", "referenceNumber",
				 e->reference_number);
		if (item == NULL ||
		    (e->invoice_hash != NULL &&
		     set_new(item, "invoiceHash",
			     json_string(e->invoice_hash)) != 0)) {
			json_decref(item); /* not in the list yet */
			goto nomem;
		}
		/* Appended or freed: json_array_append_new() steals. */
		if (json_array_append_new(list, item) != 0)
			goto nomem;
	}
	error = ksef__state_dump(out, o, KSEF_SESSION_STATE_MAX_BYTES,
				 SESSION_STATE, err);
	ksef__state_free(o);
	return error;
nomem:
	ksef__state_free(o);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/* A Base64 member that must decode to exactly n bytes. */
static int state_bytes(ksef_buf *out, const json_t *root, const char *key,
		       size_t n, ksef_error *err)
{
	const char *b64;
	int error;

	if ((error = ksef__state_str(&b64, root, key, 64, 0, SESSION_STATE,
				     err)) != 0)
		return error;
	error = ksef_base64_decode(out, b64, strlen(b64), n, NULL);
	if (error == KSEF_ENOMEM)
		/* Not a broken state: one that must not be given up. */
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (error != 0 || out->size != n) {
		ksef_buf_dispose_secure(out);
		return ksef__error_set(err, KSEF_EFORMAT, "%s: %s must be the "
			"Base64 of %zu bytes", SESSION_STATE, key, n);
	}
	return 0;
}

static int state_form(ksef_form *out, const json_t *root, ksef_error *err)
{
	const char *code;
	int f, error;

	if ((error = ksef__state_str(&code, root, "formCode", 32, 0,
				     SESSION_STATE, err)) != 0)
		return error;
	for (f = 0; f < KSEF_FORM_COUNT; f++) {
		if (strcmp(ksef_form_code_of((ksef_form)f).system_code,
			   code) == 0) {
			*out = (ksef_form)f;
			return 0;
		}
	}
	return ksef__error_set(err, KSEF_EFORMAT,
		"%s: formCode '%.32s' is not a form code", SESSION_STATE, code);
}

/* The invoices sent before: tracked again, with status 100. */
static int state_invoices(ksef_session *s, const json_t *root,
			  ksef_error *err)
{
	const json_t *list = json_object_get(root, "invoices"), *item;
	size_t i, n;
	int error;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: invoices is not an array", SESSION_STATE);
	if ((n = json_array_size(list)) > KSEF_SESSION_STATE_MAX_INVOICES)
		return ksef__error_set(err, KSEF_ETOOBIG, "%s lists %zu "
			"invoices, over the limit of %d", SESSION_STATE, n,
			KSEF_SESSION_STATE_MAX_INVOICES);
	for (i = 0; i < n; i++) {
		const char *ref, *hash = NULL, *key;
		ksef_buf digest = KSEF_BUF_INIT;
		json_t *v;

		item = json_array_get(list, i);
		if (!json_is_object(item))
			return ksef__error_set(err, KSEF_EFORMAT, "%s: invoice "
				"%zu is not an object", SESSION_STATE, i + 1);
		json_object_foreach((json_t *)item, key, v) {
			if (strcmp(key, "referenceNumber") != 0 &&
			    strcmp(key, "invoiceHash") != 0)
				return ksef__error_set(err, KSEF_EFORMAT,
					"%s: invoice %zu has an unknown member "
					"'%.40s'", SESSION_STATE, i + 1, key);
		}
		if ((error = ksef__state_refnum(&ref, item, "referenceNumber",
						SESSION_STATE, err)) != 0 ||
		    (error = ksef__state_str(&hash, item, "invoiceHash",
					     KSEF_SHA256_B64_LEN, 1,
					     SESSION_STATE, err)) != 0)
			return error;
		if (hash != NULL && (error = ksef_base64_decode(&digest, hash,
				strlen(hash), 32, NULL)) == KSEF_ENOMEM)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		if (hash != NULL && (error != 0 || digest.size != 32)) {
			ksef_buf_dispose(&digest);
			return ksef__error_set(err, KSEF_EFORMAT, "%s: invoice "
				"%zu: invoiceHash is not a SHA-256 in Base64",
				SESSION_STATE, i + 1);
		}
		ksef_buf_dispose(&digest);
		if ((error = entry_reserve(s, err)) != 0 ||
		    (error = entry_track(s, ref, hash, 0, err)) != 0)
			return error;
	}
	return 0;
}

int ksef_session_resume(ksef_session **out, ksef_conn *conn,
			const char *state, size_t len, ksef_error *err)
{
	ksef_buf key = KSEF_BUF_INIT, iv = KSEF_BUF_INIT;
	const char *url, *ctx_value, *ref;
	ksef_context_type ctx_type, conn_type;
	json_t *root = NULL;
	const json_t *closed;
	ksef_session *s = NULL;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out is NULL");
	*out = NULL;
	if (conn == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "connection is NULL");
	if ((error = ksef__state_parse(&root, state, len,
				       KSEF_SESSION_STATE_MAX_BYTES,
				       KSEF_SESSION_STATE_VERSION,
				       session_members, SESSION_STATE,
				       err)) != 0)
		return error;
	if ((error = ksef__state_str(&url, root, "baseUrl",
				     KSEF__STATE_URL_MAX, 0, SESSION_STATE,
				     err)) != 0 ||
	    (error = ksef__state_context(&ctx_type, root, "contextType",
					 SESSION_STATE, err)) != 0 ||
	    (error = ksef__state_str(&ctx_value, root, "contextValue",
				     KSEF__STATE_CONTEXT_MAX, 0, SESSION_STATE,
				     err)) != 0 ||
	    (error = ksef__state_refnum(&ref, root, "referenceNumber",
					SESSION_STATE, err)) != 0)
		goto done;
	/* The key is for the server and context that issued the session. */
	if (strcmp(url, ksef_conn_base_url(conn)) != 0 ||
	    strcmp(ctx_value, ksef_conn_context(&conn_type, conn)) != 0 ||
	    ctx_type != conn_type) {
		error = ksef__error_set(err, KSEF_EINVAL, "session %s is of "
			"another server or context than the connection", ref);
		goto done;
	}
	closed = json_object_get(root, "closed");
	if (closed != NULL && !json_is_boolean(closed)) {
		error = ksef__error_set(err, KSEF_EFORMAT,
			"%s: closed is not true or false", SESSION_STATE);
		goto done;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	s->conn = conn;
	if ((error = part_reserve(s, err)) != 0)
		goto done;
	part_append(s, ref, json_is_true(closed) ? KSEF_SESSION_CODE_CLOSED :
						   KSEF_SESSION_CODE_OPEN);
	s->parts[0].closed = json_is_true(closed);
	if ((error = state_form(&s->form, root, err)) != 0 ||
	    (error = ksef__state_time(&s->valid_until_ms, root, "validUntil",
				      1, SESSION_STATE, err)) != 0 ||
	    (error = state_bytes(&key, root, "key", KSEF_AES_KEY_LEN,
				 err)) != 0 ||
	    (error = state_bytes(&iv, root, "iv", KSEF_AES_IV_LEN,
				 err)) != 0 ||
	    (error = ksef_envelope_from_key(&s->env, key.ptr, key.size,
					    iv.ptr, iv.size, err)) != 0 ||
	    (error = state_invoices(s, root, err)) != 0 ||
	    (error = ksef__conn_client_new(&s->client, conn, err)) != 0)
		goto done;
	*out = s;
	s = NULL;
done:
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose_secure(&iv);
	ksef_session_free(s);
	ksef__state_free(root);
	return error;
}
