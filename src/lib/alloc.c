/*
 * alloc.c - notices when libxml2 or jansson could not allocate. Both hide
 * some of their allocation failures: libxml2 2.9 and xmlsec turn many into
 * "not well-formed", "invalid" or "does not verify", and jansson's lexer
 * drops a byte of a string when its buffer cannot grow, so that a value
 * parses quietly wrong. Their allocators are wrapped (forwarding to what
 * was installed before, so blocks may cross from one to the other) to count
 * failures per thread; the library's parsers and verifiers compare the
 * count before and after (alloc.h).
 *
 * OpenSSL is left alone: it takes another allocator only before its first
 * allocation and never gives it back, so a wrapper could neither be
 * counted on nor removed when libksef is unloaded. Its failures are read
 * from its error queue instead (ksef__error_openssl(),
 * ksef__openssl_nomem()).
 */
#include <stdio.h>
#include <libxml/xmlmemory.h>
#include "alloc.h"
#include "internal.h"

static _Thread_local unsigned long failures;

static xmlFreeFunc xml_free;
static xmlMallocFunc xml_malloc;
static xmlReallocFunc xml_realloc;
static xmlStrdupFunc xml_strdup;
static json_malloc_t json_malloc_prev;
static json_free_t json_free_prev;
static int installed;

static void *xml_malloc_watched(size_t size)
{
	void *p = xml_malloc(size);

	if (p == NULL)
		failures++;
	return p;
}

static void *xml_realloc_watched(void *p, size_t size)
{
	void *q = xml_realloc(p, size);

	if (q == NULL && size > 0)
		failures++;
	return q;
}

static char *xml_strdup_watched(const char *s)
{
	char *p = xml_strdup(s);

	if (p == NULL && s != NULL)
		failures++;
	return p;
}

static void *json_malloc_watched(size_t size)
{
	void *p = json_malloc_prev(size);

	if (p == NULL)
		failures++;
	return p;
}

void ksef__alloc_watch_install(void)
{
	if (installed)
		return;
	if (xmlMemGet(&xml_free, &xml_malloc, &xml_realloc,
		      &xml_strdup) == 0 && xml_free != NULL &&
	    xml_malloc != NULL && xml_realloc != NULL && xml_strdup != NULL)
		xmlMemSetup(xml_free, xml_malloc_watched, xml_realloc_watched,
			    xml_strdup_watched);
	json_get_alloc_funcs(&json_malloc_prev, &json_free_prev);
	if (json_malloc_prev != NULL && json_free_prev != NULL)
		json_set_alloc_funcs(json_malloc_watched, json_free_prev);
	installed = 1;
}

void ksef__alloc_watch_uninstall(void)
{
	xmlFreeFunc f;
	xmlMallocFunc m;
	xmlReallocFunc r;
	xmlStrdupFunc s;
	json_malloc_t jm;
	json_free_t jf;

	if (!installed)
		return;
	if (xmlMemGet(&f, &m, &r, &s) == 0 && m == xml_malloc_watched)
		xmlMemSetup(xml_free, xml_malloc, xml_realloc, xml_strdup);
	json_get_alloc_funcs(&jm, &jf);
	if (jm == json_malloc_watched)
		json_set_alloc_funcs(json_malloc_prev, json_free_prev);
	installed = 0;
}

unsigned long ksef__alloc_failures(void)
{
	return failures;
}

int ksef__alloc_check(int error, unsigned long mark, ksef_error *err)
{
	char was[KSEF_ERROR_MESSAGE_MAX];

	if (error >= 0 || error == KSEF_ENOMEM || failures == mark)
		return error;
	snprintf(was, sizeof(was), "%s", err != NULL && err->message[0] ?
		 err->message : ksef_strerror(error));
	return ksef__error_set(err, KSEF_ENOMEM,
		"out of memory, which showed as: %s", was);
}

json_t *ksef__json_loadb(const char *text, size_t len, size_t flags,
			 json_error_t *jerr, int *nomem)
{
	unsigned long mark = failures;
	json_t *root = json_loadb(text, len, flags, jerr);

	*nomem = failures != mark || (root == NULL &&
		json_error_code(jerr) == json_error_out_of_memory);
	return root;
}
