/*
 * client_permissions_fuzz.c - a hostile or broken server against the
 * readers of the permission client (client_permissions.c): the 202 of a
 * grant or a revocation (its referenceNumber), an operation's status, the
 * attachment status, a page of each of the six lists of granted
 * permissions and both lists of entity roles. The calls read their answers
 * from the input instead of the network (ksef__client_script(),
 * client_int.h), as in client_fuzz.c.
 *
 * Byte 0 picks one of the 14 calls; the rest is its script: raw HTTP
 * answers separated by "--next-answer--". Every result and error answer is
 * read through the public accessors afterwards (every string, identifier,
 * details and list item, and the lists one past their end), so a member
 * without its NUL or a miscounted list shows under ASan. With
 * KSEF_FUZZ_VERBOSE set, each call's outcome goes to standard error, to
 * check a seed by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "client_int.h"
#include "fuzz_client.h"

#define CALLS 14

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t touch_id(const ksef_api_identifier *id)
{
	return id != NULL ? touch(id->type) + touch(id->value) + 1 : 0;
}

static size_t touch_entity(const ksef_api_entity_details *d)
{
	return d != NULL ? touch(d->subject_details_type) +
			   touch(d->full_name) + touch(d->address) : 0;
}

static size_t touch_permission(const ksef_api_permission *p)
{
	const ksef_api_person_details *pd = p->person_details;
	size_t t;

	t = touch(p->id) + touch(p->scope) + p->scope_bit +
	    touch(p->description) + (size_t)p->start_date_ms +
	    (size_t)p->can_delegate + touch(p->permission_state) +
	    touch_id(p->context) + touch_id(p->authorized) +
	    touch_id(p->authorizing) + touch_id(p->target) +
	    touch_id(p->author) + touch_id(p->subunit) +
	    touch(p->subunit_name) + touch(p->vat_ue_identifier) +
	    touch(p->eu_entity_name) + touch(p->authorized_fingerprint) +
	    touch_entity(p->entity_details) +
	    touch_entity(p->eu_entity_details);
	if (pd != NULL)
		t += touch(pd->subject_details_type) + touch(pd->first_name) +
		     touch(pd->last_name) + touch_id(pd->person_identifier) +
		     touch(pd->birth_date) + touch(pd->id_document_type) +
		     touch(pd->id_document_number) +
		     touch(pd->id_document_country);
	return t;
}

static size_t query(ksef_client *c, ksef_permission_list_kind kind)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_api_permission_list *l = NULL;
	size_t i, n, t = 0;

	q.list = kind;
	q.page_size = 10;
	if (ksef_client_permissions_query(&l, c, &q, NULL) == 0) {
		n = ksef_api_permission_list_count(l);
		for (i = 0; i <= n; i++) {
			const ksef_api_permission *p =
				ksef_api_permission_list_at(l, i);

			if ((p == NULL) != (i == n))
				abort();
			if (p != NULL)
				t += touch_permission(p);
		}
		t += (size_t)ksef_api_permission_list_has_more(l);
	} else if (l != NULL) {
		abort();
	}
	ksef_api_permission_list_free(l);
	return t;
}

static size_t roles(ksef_client *c, int subordinate)
{
	ksef_api_entity_role_list *l = NULL;
	size_t i, n, t = 0;
	int rc;

	rc = subordinate ?
		ksef_client_permissions_subordinate_roles(&l, c, "7762811692",
							  10, 0, NULL) :
		ksef_client_permissions_entity_roles(&l, c, 10, 1, NULL);
	if (rc == 0) {
		n = ksef_api_entity_role_list_count(l);
		for (i = 0; i <= n; i++) {
			const ksef_api_entity_role *r =
				ksef_api_entity_role_list_at(l, i);

			if ((r == NULL) != (i == n))
				abort();
			if (r != NULL)
				t += touch(r->role) + touch(r->description) +
				     (size_t)r->start_date_ms +
				     touch_id(r->parent_entity) +
				     touch_id(r->subordinate_entity);
		}
		t += (size_t)ksef_api_entity_role_list_has_more(l);
	} else if (l != NULL) {
		abort();
	}
	ksef_api_entity_role_list_free(l);
	return t;
}

/* A grant the client sends as it is: one of a person and one of an
 * entity, so that the call reaches the server's answer. */
static int grant(char ref[KSEF_REFNUM_BUFSZ], ksef_client *c, int entity)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;

	g.description = "Wystawianie faktur";
	if (entity) {
		g.kind = KSEF_GRANT_ENTITY;
		g.subject_type = KSEF_PERM_ID_NIP;
		g.subject_value = "7762811692";
		g.permissions = KSEF_PERM_INVOICE_WRITE |
				KSEF_PERM_INVOICE_READ;
		g.can_delegate = KSEF_PERM_INVOICE_READ;
		g.full_name = "Firma sp. z o.o.";
	} else {
		g.subject_type = KSEF_PERM_ID_PESEL;
		g.subject_value = "15062788702";
		g.permissions = KSEF_PERM_INVOICE_WRITE;
		g.first_name = "Anna";
		g.last_name = "Nowak";
	}
	return ksef_client_permissions_grant(ref, c, &g, NULL);
}

static size_t call(ksef_client *c, unsigned which)
{
	static const char op_ref[] = "20250625-EG-2C3E6C8000-B675CF5D68-07";
	static const char perm_id[] = "0c9a72e8-f344-457f-9c16-7c640eb60242";
	char ref[KSEF_REFNUM_BUFSZ];
	size_t i, t = 0;
	int rc;

	memset(ref, 'x', sizeof(ref));
	switch (which) {
	case 0:
	case 1:
		rc = grant(ref, c, which == 1);
		break;
	case 2:
	case 3:
		rc = ksef_client_permissions_revoke(ref, c, perm_id,
						    which == 3, NULL);
		break;
	case 4: {
		ksef_api_permission_operation *op = NULL;

		if (ksef_client_permissions_operation(&op, c, op_ref,
						      NULL) == 0) {
			const ksef_api_status *st = op->status;

			if (st == NULL || (st->details == NULL &&
					   st->detail_count > 0))
				abort();
			t += (size_t)st->code + touch(st->description);
			for (i = 0; i < st->detail_count; i++)
				t += touch(st->details[i]);
		} else if (op != NULL) {
			abort();
		}
		ksef_api_permission_operation_free(op);
		rc = -1;
		break;
	}
	case 5: {
		ksef_api_attachment_status *st = NULL;

		if (ksef_client_permissions_attachment_status(&st, c,
							      NULL) == 0)
			t += (size_t)st->is_attachment_allowed +
			     (size_t)st->revoked_date_ms;
		else if (st != NULL)
			abort();
		ksef_api_attachment_status_free(st);
		rc = -1;
		break;
	}
	case 12:
	case 13:
		t += roles(c, which == 13);
		rc = -1;
		break;
	default:
		t += query(c, (ksef_permission_list_kind)((which - 6) % 6));
		rc = -1;
		break;
	}
	/* A reference number handed back is a whole one; on failure the
	 * buffer is untouched. */
	if (which < 4 && rc == 0 && (memchr(ref, '\0', sizeof(ref)) == NULL ||
				     strlen(ref) != KSEF_REFNUM_LEN))
		abort();
	for (i = 0; which < 4 && rc != 0 && i < sizeof(ref); i++)
		if (ref[i] != 'x')
			abort();
	if (getenv("KSEF_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "call %u: %d, %zu read, error %s\n", which,
			which < 4 ? rc : 0, t,
			ksef_client_last_error(c) != NULL ? "answer" : "none");
	return t + fuzz_touch_last_error(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	ksef_client *c = NULL;
	unsigned first;
	volatile size_t sink;

	fuzz_global_init();
	first = fuzz_byte(&in);
	c = fuzz_scripted_client(&in);
	sink = call(c, first % CALLS);
	(void)sink;
	ksef_client_free(c);
	return 0;
}
