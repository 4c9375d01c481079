/*
 * load_client.c - bench_ksefd's client side, shared by both loads:
 * logging in once with the KSeF token, making clients that carry the
 * access token, opening and closing sessions, and reading every invoice's
 * final status back through the session's invoice listing, as a client
 * that polls in bulk would. It also keeps the tallies of status codes.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"

void tally_add(struct tally *t, int code, size_t n)
{
	size_t i;

	for (i = 0; i < t->kinds; i++)
		if (t->c[i].code == code) {
			t->c[i].n += n;
			return;
		}
	if (t->kinds == TALLY_CODES) {
		t->other += n;
		return;
	}
	t->c[t->kinds].code = code;
	t->c[t->kinds].n = n;
	t->kinds++;
}

void tally_merge(struct tally *into, const struct tally *from)
{
	size_t i;

	for (i = 0; i < from->kinds; i++)
		tally_add(into, from->c[i].code, from->c[i].n);
	into->other += from->other;
}

size_t tally_total(const struct tally *t)
{
	size_t i, n = t->other;

	for (i = 0; i < t->kinds; i++)
		n += t->c[i].n;
	return n;
}

size_t tally_count(const struct tally *t, int code)
{
	size_t i;

	for (i = 0; i < t->kinds; i++)
		if (t->c[i].code == code)
			return t->c[i].n;
	return 0;
}

ksef_client *load_client_new(const struct target *t)
{
	/* Several nodes (a comma-separated base_url): each new client goes
	 * to the next, as a balancer spreads connections. */
	static atomic_uint next;
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;
	char url[256];
	const char *p = t->base_url, *comma;
	unsigned n = 1, k;
	size_t len;

	for (comma = strchr(p, ','); comma; comma = strchr(comma + 1, ','))
		n++;
	k = atomic_fetch_add(&next, 1) % n;
	while (k-- > 0)
		p = strchr(p, ',') + 1;
	len = (comma = strchr(p, ',')) ? (size_t)(comma - p) : strlen(p);
	if (len >= sizeof(url))
		return NULL;
	memcpy(url, p, len);
	url[len] = '\0';
	o.base_url = url;
	if (ksef_client_new(&c, &o, NULL) != 0)
		return NULL;
	if (t->access_token[0] &&
	    ksef_client_set_access_token(c, t->access_token, NULL) != 0) {
		ksef_client_free(c);
		return NULL;
	}
	return c;
}

ksef_pubkey *load_key(ksef_client *c, unsigned usage)
{
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_pubkey_cert *pick;
	ksef_pubkey *k = NULL;

	if (ksef_client_pubkey_certs(&certs, c, NULL) != 0)
		return NULL;
	pick = ksef_api_pubkey_certs_pick(certs, usage,
					  ksef_time_now().unix_ms);
	if (pick != NULL &&
	    ksef_pubkey_load(&k, (const unsigned char *)pick->certificate,
			     strlen(pick->certificate), NULL) != 0)
		k = NULL;
	ksef_api_pubkey_certs_free(certs);
	return k;
}

int load_login(struct target *t)
{
	ksef_client *c = load_client_new(t);
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_api_auth_status *st = NULL;
	ksef_api_tokens *tok = NULL;
	ksef_pubkey *k = c ? load_key(c, KSEF_KEY_USAGE_KSEF_TOKEN) : NULL;
	ksef_error err = { 0 };
	int rc = -1;

	if (k == NULL || ksef_client_auth_challenge(&ch, c, &err) != 0 ||
	    ksef_client_auth_ksef_token(&init, c, ch, KSEF_CONTEXT_NIP,
					t->nip, t->token, k, NULL, &err) != 0)
		goto out;
	for (;;) {
		if (ksef_client_auth_status(&st, c, init->reference_number,
			init->authentication_token->token, &err) != 0)
			goto out;
		if (st->status->code != 100)
			break;
		ksef_api_auth_status_free(st);
		st = NULL;
		bench_sleep_ms(5);
	}
	if (st->status->code == 200 &&
	    ksef_client_auth_redeem(&tok, c, init->authentication_token->token,
				    &err) == 0) {
		snprintf(t->access_token, sizeof(t->access_token), "%s",
			 tok->access_token->token);
		rc = 0;
	}
out:
	if (rc != 0)
		fprintf(stderr, "bench_ksefd: login: %s\n",
			err.message[0] ? err.message : "no public key");
	ksef_api_tokens_free(tok);
	ksef_api_auth_status_free(st);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_pubkey_free(k);
	ksef_client_free(c);
	return rc;
}

int load_session_open(struct session *s, ksef_client *c,
		      const ksef_pubkey *key)
{
	ksef_api_session_opened *o = NULL;
	ksef_error err;

	memset(s, 0, sizeof(*s));
	if (ksef_envelope_new(&s->env, &err) != 0 ||
	    ksef_client_session_open(&o, c, KSEF_FORM_FA3, s->env, key,
				     &err) != 0) {
		fprintf(stderr, "bench_ksefd: session open: %s\n",
			err.message);
		ksef_envelope_free(s->env);
		s->env = NULL;
		return -1;
	}
	snprintf(s->ref, sizeof(s->ref), "%s", o->reference_number);
	ksef_api_session_opened_free(o);
	return 0;
}

void load_session_close(struct session *s, ksef_client *c)
{
	ksef_error err;

	if (s->ref[0] && c != NULL &&
	    ksef_client_session_close(c, s->ref, &err) != 0)
		fprintf(stderr, "bench_ksefd: session close: %s\n",
			err.message);
	ksef_envelope_free(s->env);
	memset(s, 0, sizeof(*s));
}

ksef_envelope **load_envelopes_copy(const struct session *s, size_t n)
{
	ksef_envelope **env = calloc(n ? n : 1, sizeof(*env));
	size_t k;

	for (k = 0; env != NULL && k < n; k++) {
		const ksef_envelope *e = s[k].env;

		if (ksef_envelope_from_key(&env[k], ksef_envelope_key(e),
				KSEF_AES_KEY_LEN, ksef_envelope_iv(e),
				KSEF_AES_IV_LEN, NULL) != 0) {
			load_envelopes_free(env, k);
			env = NULL;
		}
	}
	return env;
}

void load_envelopes_free(ksef_envelope **env, size_t n)
{
	size_t k;

	for (k = 0; env != NULL && k < n; k++)
		ksef_envelope_free(env[k]);
	free(env);
}

/*
 * Where a session's read-back stands between passes. A final status never
 * changes, so the full pages at the front whose invoices are all final
 * are counted once: the next pass starts from the continuation token
 * after them, as a client keeping its place would.
 */
struct readback {
	char *resume;         /* token of the first page not yet settled */
	size_t settled;       /* invoices on the settled pages */
	struct tally settled_codes;
	size_t pages;         /* pages requested */
};

/* One pass from rb->resume to the last page: 0, or -1 on a failure. */
static int list_pass(struct tally *codes, size_t *listed, size_t *final,
		     struct readback *rb, const struct target *t,
		     ksef_client *c, const char *sref)
{
	ksef_api_invoice_list *page = NULL;
	char *cont = rb->resume ? strdup(rb->resume) : NULL;
	int settling = 1;
	ksef_error err;
	size_t i, n, page_final;

	*codes = rb->settled_codes;
	*listed = *final = rb->settled;
	if (rb->resume != NULL && cont == NULL)
		return -1;
	do {
		const char *next;

		rb->pages++;
		if (ksef_client_session_invoices(&page, c, sref, 0,
				t->page_size, cont, &err) != 0) {
			fprintf(stderr, "bench_ksefd: invoice listing: %s\n",
				err.message);
			free(cont);
			return -1;
		}
		free(cont);
		cont = NULL;
		n = ksef_api_invoice_list_count(page);
		page_final = 0;
		for (i = 0; i < n; i++) {
			int code = ksef_api_invoice_list_at(page, i)->
				status->code;

			tally_add(codes, code, 1);
			page_final += code >= 200;
		}
		*listed += n;
		*final += page_final;
		next = ksef_api_invoice_list_continuation(page);
		if (next != NULL && (cont = strdup(next)) == NULL) {
			ksef_api_invoice_list_free(page);
			return -1;
		}
		/* A page with a next one is full and cannot change once all
		 * of it is final: settle it. */
		settling = settling && next != NULL && page_final == n;
		if (settling) {
			char *keep = strdup(next);

			if (keep != NULL) {
				free(rb->resume);
				rb->resume = keep;
				rb->settled += n;
				rb->settled_codes = *codes;
			}
		}
		ksef_api_invoice_list_free(page);
		page = NULL;
	} while (cont != NULL);
	return 0;
}

int load_session_await(struct tally *statuses, size_t *pages,
		       double *done_at, const struct target *t,
		       ksef_client *c, const char *session_ref,
		       size_t expected)
{
	double deadline = bench_now() + t->await_timeout;
	double prev_at = 0, wait = 0.005;
	struct readback rb;
	struct tally codes;
	size_t listed, final, prev_final = 0;
	int rc = 1;

	memset(&rb, 0, sizeof(rb));
	for (;;) {
		if (list_pass(&codes, &listed, &final, &rb, t, c,
			      session_ref) != 0) {
			rc = -1;
			break;
		}
		*done_at = bench_now();
		if (listed >= expected && final == listed) {
			rc = 0;
			break;
		}
		if (*done_at > deadline)
			break;
		/* Wait about half the time the rest should take at the
		 * rate seen since the last pass: few passes while a
		 * backlog drains (each costs the server a listing), and an
		 * end time late by little. */
		if (prev_at > 0 && final > prev_final)
			wait = 0.5 * (double)((expected > listed ? expected :
					       listed) - final) *
			       (*done_at - prev_at) /
			       (double)(final - prev_final);
		else if (prev_at > 0)
			wait *= 2;
		wait = wait < 0.002 ? 0.002 : wait > 0.2 ? 0.2 : wait;
		prev_at = *done_at;
		prev_final = final;
		bench_sleep_until(*done_at + wait);
	}
	if (rc >= 0)
		tally_merge(statuses, &codes);
	*pages += rb.pages;
	free(rb.resume);
	return rc;
}
