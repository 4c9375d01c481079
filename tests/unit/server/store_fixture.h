/*
 * store_fixture.h - what the store's unit tests (store_*_test.c) share:
 * opening a store that must open, and a call that must succeed, each
 * failing the test with the store's message.
 */
#ifndef KSEF_TEST_STORE_FIXTURE_H
#define KSEF_TEST_STORE_FIXTURE_H

#include "testsupport.h"
#include "store.h"

static inline store *open_store(const char *dir)
{
	store *st = NULL;
	ksef_error err;

	if (store_open(&st, dir, &err) != 0)
		fail_msg("store_open: %s", err.message);
	return st;
}

static inline void ok(int rc, const ksef_error *err)
{
	if (rc != 0)
		fail_msg("expected success, got %d: %s", rc, err->message);
}

#endif
