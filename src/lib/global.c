/*
 * global.c - owns process-wide set-up: the version string and the one-time
 * initialisation of libxml2 (whose parser must be initialised before
 * threads use it) with libksef's network-refusing entity loader, and the
 * watch on libxml2's and jansson's allocations (alloc.c).
 */
#include <pthread.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include "internal.h"
#include "ksef/common.h"
#include "ksef/error.h"
#include "alloc.h"
#include "xml.h"
#include "xmldsig.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_error;

/* Everything process-wide happens here, at the one point the caller
 * promises is single-threaded: libxml2's parser, then xmlsec (which
 * replaces the entity loader, so ours goes in after it). */
static void global_init_once(void)
{
	/* Before libxml2 allocates anything of its own. */
	ksef__alloc_watch_install();
	xmlInitParser();
	global_error = ksef__dsig_init(NULL);
	ksef__xml_install_loader();
}

int ksef_version(void)
{
	return KSEF_VERSION_NUMBER;
}

const char *ksef_version_string(void)
{
	return KSEF_VERSION;
}

int ksef_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_error;
}

void ksef_global_cleanup(void)
{
	/* xmlCleanupParser() is unsafe while any other library in the process
	 * may still use libxml2, so the loader is only uninstalled; the
	 * parser's own globals are released at exit. */
	ksef__xml_uninstall_loader();
	/* No thread uses libksef any more (the caller's promise). */
	ksef__algs_free();
	ksef__alloc_watch_uninstall();
}
