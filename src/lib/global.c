/*
 * global.c - owns process-wide set-up: the version string and the one-time
 * initialisation of libxml2 (whose parser must be initialised before
 * threads use it) with libksef's network-refusing entity loader.
 */
#include <pthread.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include "ksef/common.h"
#include "ksef/error.h"
#include "xml.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	xmlInitParser();
	ksef__xml_install_loader();
}

const char *ksef_version(void)
{
	return KSEF_VERSION;
}

int ksef_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return 0;
}

void ksef_global_cleanup(void)
{
	/* xmlCleanupParser() is unsafe while any other library in the process
	 * may still use libxml2, so the loader is only uninstalled; the
	 * parser's own globals are released at exit. */
	ksef__xml_uninstall_loader();
}
