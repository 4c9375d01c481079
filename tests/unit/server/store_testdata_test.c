/*
 * store_testdata_test.c - the store's test data: subjects come with their
 * subunits or not at all, a living NIP cannot be created twice, removal
 * takes a parent's subunits and keeps the creation date a later
 * createdDate must pass; persons are found by NIP or PESEL, a deceased
 * one first, and take their permissions with them when removed; consents
 * and blocks are kept per context.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_fixture.h"

#define GROUP "3755747347"
#define MEMBER_A "4972530874"
#define MEMBER_B "8225900795"
#define OTHER "7762811692"
#define PESEL "30112206276"

struct fixture {
	char *dir;
	store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ksef_error err;

	assert_non_null(f);
	f->dir = ts_mkdtemp();
	if (store_open(&f->st, f->dir, &err) != 0)
		fail_msg("store_open: %s", err.message);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	ts_rmdir(f->dir);
	free(f);
	return 0;
}

static store_entity entity(const char *nip, const char *role,
			   const char *parent, int64_t created_ms)
{
	store_entity e;

	memset(&e, 0, sizeof(e));
	snprintf(e.nip, sizeof(e.nip), "%s", nip);
	snprintf(e.role, sizeof(e.role), "%s", role);
	snprintf(e.parent_nip, sizeof(e.parent_nip), "%s", parent);
	snprintf(e.description, sizeof(e.description), "opis %s", nip);
	e.created_ms = created_ms;
	return e;
}

/* A VAT group of two members, created at `ms`. */
static int add_group(store *st, int64_t ms, int date_given,
		     size_t *conflict, ksef_error *err)
{
	store_entity e[3];

	e[0] = entity(GROUP, "VatGroupUnit", "", ms);
	e[1] = entity(MEMBER_A, "VatGroupSubUnit", GROUP, ms);
	e[2] = entity(MEMBER_B, "VatGroupSubUnit", GROUP, ms);
	return store_entities_add(st, e, 3, date_given, conflict, err);
}

static size_t count_roles(store *st, const char *nip)
{
	store_entity *r = NULL;
	size_t n = 0;
	ksef_error err;

	ok(store_entity_roles(st, nip, 0, 10, &r, &n, &err), &err);
	free(r);
	return n;
}

static void a_group_is_stored_with_its_members_and_their_parent(
	void **state)
{
	struct fixture *f = *state;
	store_entity *r = NULL;
	size_t n = 0;
	ksef_error err;

	ok(add_group(f->st, 1000, 0, NULL, &err), &err);
	ok(store_entity_roles(f->st, GROUP, 0, 10, &r, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].role, "VatGroupUnit");
	assert_string_equal(r[0].parent_nip, "");
	assert_string_equal(r[0].description, "opis " GROUP);
	assert_int_equal(r[0].created_ms, 1000);
	free(r);
	ok(store_entity_roles(f->st, MEMBER_B, 0, 10, &r, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].role, "VatGroupSubUnit");
	assert_string_equal(r[0].parent_nip, GROUP);
	free(r);
	ok(store_entity_subunits(f->st, GROUP, NULL, 0, 10, &r, &n, &err),
	   &err);
	assert_int_equal(n, 2);
	free(r);
	ok(store_entity_subunits(f->st, GROUP, MEMBER_A, 0, 10, &r, &n, &err),
	   &err);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].nip, MEMBER_A);
	free(r);
	/* Paging: the second of two, then nothing. */
	ok(store_entity_subunits(f->st, GROUP, NULL, 1, 10, &r, &n, &err),
	   &err);
	assert_int_equal(n, 1);
	free(r);
	ok(store_entity_subunits(f->st, GROUP, NULL, 2, 10, &r, &n, &err),
	   &err);
	assert_int_equal(n, 0);
	assert_null(r);
}

static void a_living_nip_is_not_created_again_and_nothing_is_written(
	void **state)
{
	struct fixture *f = *state;
	store_entity e[2];
	size_t conflict = 99;
	ksef_error err;

	ok(add_group(f->st, 1000, 0, NULL, &err), &err);
	/* A new subject whose subunit is already a member elsewhere. */
	e[0] = entity(OTHER, "LocalGovernmentUnit", "", 2000);
	e[1] = entity(MEMBER_B, "LocalGovernmentSubUnit", OTHER, 2000);
	assert_int_equal(store_entities_add(f->st, e, 2, 0, &conflict, &err),
			 STORE_EXISTS);
	assert_int_equal(conflict, 1);
	assert_int_equal(count_roles(f->st, OTHER), 0);
	assert_int_equal(add_group(f->st, 3000, 0, &conflict, &err),
			 STORE_EXISTS);
	assert_int_equal(conflict, 0);
}

static void removing_a_parent_removes_its_subunits_only(void **state)
{
	struct fixture *f = *state;
	store_entity e = entity(OTHER, "EnforcementAuthority", "", 500);
	ksef_error err;

	ok(add_group(f->st, 1000, 0, NULL, &err), &err);
	ok(store_entities_add(f->st, &e, 1, 0, NULL, &err), &err);
	ok(store_entity_remove(f->st, GROUP, &err), &err);
	assert_int_equal(count_roles(f->st, GROUP), 0);
	assert_int_equal(count_roles(f->st, MEMBER_A), 0);
	assert_int_equal(count_roles(f->st, MEMBER_B), 0);
	assert_int_equal(count_roles(f->st, OTHER), 1);
	assert_int_equal(store_entity_remove(f->st, GROUP, &err),
			 STORE_NOT_FOUND);
	/* A member alone. */
	ok(add_group(f->st, 2000, 1, NULL, &err), &err);
	ok(store_entity_remove(f->st, MEMBER_A, &err), &err);
	assert_int_equal(count_roles(f->st, MEMBER_A), 0);
	assert_int_equal(count_roles(f->st, GROUP), 1);
	assert_int_equal(count_roles(f->st, MEMBER_B), 1);
}

static void a_createddate_must_pass_the_last_creation(void **state)
{
	struct fixture *f = *state;
	size_t conflict = 99;
	ksef_error err;

	ok(add_group(f->st, 1000, 1, NULL, &err), &err);
	ok(store_entity_remove(f->st, GROUP, &err), &err);
	assert_int_equal(add_group(f->st, 1000, 1, &conflict, &err),
			 STORE_WRONG_STATE);
	assert_int_equal(conflict, 0);
	assert_int_equal(add_group(f->st, 999, 1, NULL, &err),
			 STORE_WRONG_STATE);
	/* Without a date of its own the request's time is taken as it
	 * is. */
	ok(add_group(f->st, 1000, 0, NULL, &err), &err);
	ok(store_entity_remove(f->st, GROUP, &err), &err);
	ok(add_group(f->st, 1001, 1, NULL, &err), &err);
}

static void the_subunit_bound_is_kept(void **state)
{
	struct fixture *f = *state;
	size_t n = STORE_TESTDATA_SUBUNITS_MAX + 2, i;
	store_entity *e = calloc(n, sizeof(*e));
	ksef_error err;

	assert_non_null(e);
	for (i = 0; i < n; i++) {
		e[i] = entity(OTHER, "VatGroupSubUnit", GROUP, 1);
		snprintf(e[i].nip, sizeof(e[i].nip), "%u",
			 1000000000u + (unsigned)i);
	}
	e[0] = entity(GROUP, "VatGroupUnit", "", 1);
	assert_int_equal(store_entities_add(f->st, e, n, 0, NULL, &err),
			 STORE_INVALID);
	ok(store_entities_add(f->st, e, n - 1, 0, NULL, &err), &err);
	free(e);
	assert_int_equal(store_entities_add(f->st, NULL, 0, 0, NULL, &err),
			 STORE_INVALID);
}

static store_person person(const char *nip, const char *pesel, int bailiff,
			   int deceased, int64_t ms)
{
	store_person p;

	memset(&p, 0, sizeof(p));
	snprintf(p.nip, sizeof(p.nip), "%s", nip);
	snprintf(p.pesel, sizeof(p.pesel), "%s", pesel);
	snprintf(p.description, sizeof(p.description), "Komornik");
	p.is_bailiff = bailiff;
	p.is_deceased = deceased;
	p.created_ms = ms;
	return p;
}

static void a_bailiff_person_is_found_and_holds_its_role(void **state)
{
	struct fixture *f = *state;
	store_person p = person(OTHER, PESEL, 1, 0, 100), q;
	store_entity *r = NULL;
	size_t n = 0;
	ksef_error err;

	ok(store_person_add(f->st, &p, 0, &err), &err);
	assert_int_equal(store_person_add(f->st, &p, 0, &err), STORE_EXISTS);
	ok(store_person_get(f->st, OTHER, &q, &err), &err);
	assert_string_equal(q.pesel, PESEL);
	assert_int_equal(q.is_bailiff, 1);
	ok(store_person_find(f->st, "Pesel", PESEL, &q, &err), &err);
	assert_string_equal(q.nip, OTHER);
	ok(store_person_find(f->st, "Nip", OTHER, &q, &err), &err);
	assert_int_equal(store_person_find(f->st, "Nip", PESEL, &q, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_person_find(f->st, "Fingerprint", PESEL, &q,
					   &err), STORE_NOT_FOUND);
	ok(store_entity_roles(f->st, OTHER, 0, 10, &r, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].role, "CourtBailiff");
	free(r);
}

static void a_deceased_person_is_found_first(void **state)
{
	struct fixture *f = *state;
	store_person alive = person(OTHER, PESEL, 0, 0, 100),
		     dead = person(GROUP, PESEL, 0, 1, 50), q;
	ksef_error err;

	ok(store_person_add(f->st, &alive, 0, &err), &err);
	ok(store_person_add(f->st, &dead, 0, &err), &err);
	ok(store_person_find(f->st, "Pesel", PESEL, &q, &err), &err);
	assert_int_equal(q.is_deceased, 1);
	assert_string_equal(q.nip, GROUP);
}

static void removing_a_person_revokes_what_it_was_granted(void **state)
{
	struct fixture *f = *state;
	store_person p = person(OTHER, PESEL, 0, 0, 100), q;
	char perms[STORE_PERMS_SZ];
	ksef_error err;

	ok(store_person_add(f->st, &p, 1, &err), &err);
	ok(store_grant_set(f->st, "Nip", GROUP, "Pesel", PESEL, "InvoiceRead",
			   &err), &err);
	ok(store_grant_set(f->st, "Nip", MEMBER_A, "Nip", OTHER,
			   "InvoiceWrite", &err), &err);
	ok(store_grant_set(f->st, "Nip", MEMBER_A, "Pesel", "15062788702",
			   "InvoiceWrite", &err), &err);
	ok(store_person_remove(f->st, OTHER, &err), &err);
	assert_int_equal(store_person_get(f->st, OTHER, &q, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_person_find(f->st, "Pesel", PESEL, &q, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_grant_get(f->st, "Nip", GROUP, "Pesel", PESEL,
					 perms, &err), STORE_NOT_FOUND);
	assert_int_equal(store_grant_get(f->st, "Nip", MEMBER_A, "Nip", OTHER,
					 perms, &err), STORE_NOT_FOUND);
	/* Another person's grant stays. */
	ok(store_grant_get(f->st, "Nip", MEMBER_A, "Pesel", "15062788702",
			   perms, &err), &err);
	assert_int_equal(store_person_remove(f->st, OTHER, &err),
			 STORE_NOT_FOUND);
	/* Created again: only after its last creation. */
	assert_int_equal(store_person_add(f->st, &p, 1, &err),
			 STORE_WRONG_STATE);
	p.created_ms = 101;
	ok(store_person_add(f->st, &p, 1, &err), &err);
}

static void a_consent_is_given_revoked_and_given_again(void **state)
{
	struct fixture *f = *state;
	int64_t allowed = -1, revoked = -1;
	ksef_error err;

	assert_int_equal(store_attachment_get(f->st, "Nip", OTHER, &allowed,
					      &revoked, &err), STORE_NOT_FOUND);
	assert_int_equal(store_attachment_revoke(f->st, "Nip", OTHER, 5, &err),
			 STORE_NOT_FOUND);
	ok(store_attachment_allow(f->st, "Nip", OTHER, 10, &err), &err);
	ok(store_attachment_get(f->st, "Nip", OTHER, &allowed, &revoked, &err),
	   &err);
	assert_int_equal(allowed, 10);
	assert_int_equal(revoked, 0);
	ok(store_attachment_revoke(f->st, "Nip", OTHER, 20, &err), &err);
	ok(store_attachment_get(f->st, "Nip", OTHER, &allowed, &revoked, &err),
	   &err);
	assert_int_equal(revoked, 20);
	/* Another context is another consent. */
	assert_int_equal(store_attachment_get(f->st, "InternalId",
					      OTHER "-00001", &allowed,
					      &revoked, &err), STORE_NOT_FOUND);
	ok(store_attachment_allow(f->st, "Nip", OTHER, 30, &err), &err);
	ok(store_attachment_get(f->st, "Nip", OTHER, &allowed, &revoked, &err),
	   &err);
	assert_int_equal(allowed, 30);
	assert_int_equal(revoked, 0);
}

static void a_block_is_kept_until_unblocked(void **state)
{
	struct fixture *f = *state;
	int64_t ms = 0;
	ksef_error err;

	assert_int_equal(store_context_blocked(f->st, "Nip", OTHER, &ms, &err),
			 STORE_NOT_FOUND);
	ok(store_context_block(f->st, "Nip", OTHER, 40, &err), &err);
	ok(store_context_block(f->st, "Nip", OTHER, 50, &err), &err);
	ok(store_context_blocked(f->st, "Nip", OTHER, &ms, &err), &err);
	assert_int_equal(ms, 40);
	assert_int_equal(store_context_blocked(f->st, "InternalId",
					       OTHER "-00001", NULL, &err),
			 STORE_NOT_FOUND);
	ok(store_context_unblock(f->st, "Nip", OTHER, &err), &err);
	assert_int_equal(store_context_blocked(f->st, "Nip", OTHER, NULL,
					       &err), STORE_NOT_FOUND);
	assert_int_equal(store_context_unblock(f->st, "Nip", OTHER, &err),
			 STORE_NOT_FOUND);
}

static void overlong_keys_are_refused_before_any_sql(void **state)
{
	struct fixture *f = *state;
	char longer[STORE_CTX_VALUE_SZ + 8];
	store_entity e = entity(OTHER, "VatGroupUnit", "", 1);
	ksef_error err;

	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(store_context_block(f->st, "Nip", longer, 1, &err),
			 STORE_INVALID);
	assert_int_equal(store_attachment_allow(f->st, "Nip", longer, 1, &err),
			 STORE_INVALID);
	assert_int_equal(store_entity_remove(f->st, longer, &err),
			 STORE_INVALID);
	assert_int_equal(store_person_find(f->st, "Pesel", longer, NULL, &err),
			 STORE_INVALID);
	/* A NIP that filled its field to the end has no NUL. */
	memset(e.nip, '1', sizeof(e.nip));
	assert_int_equal(store_entities_add(f->st, &e, 1, 0, NULL, &err),
			 STORE_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(a_group_is_stored_with_its_members_and_their_parent),
		T(a_living_nip_is_not_created_again_and_nothing_is_written),
		T(removing_a_parent_removes_its_subunits_only),
		T(a_createddate_must_pass_the_last_creation),
		T(the_subunit_bound_is_kept),
		T(a_bailiff_person_is_found_and_holds_its_role),
		T(a_deceased_person_is_found_first),
		T(removing_a_person_revokes_what_it_was_granted),
		T(a_consent_is_given_revoked_and_given_again),
		T(a_block_is_kept_until_unblocked),
		T(overlong_keys_are_refused_before_any_sql),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
