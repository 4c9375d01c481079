/*
 * cli_files_fuzz.c - the ksef tool's own files, which it reads from the
 * user's folders: the config file (config.c's "key = value" lines) and the
 * state file (config.c reads it, login.c resumes the connection and each
 * session it holds through libksef). The first byte chooses:
 *   even  the rest is the config file, named by $KSEF_CONFIG;
 *   odd   the rest is the state file (mode 0600, as ksef writes it); every
 *         session it lists is resumed.
 * Both files live in the scratch folder. Nothing is sent: no call here
 * talks to a server. The tool's messages go to standard error, so
 * scripts/fuzz.sh runs this target with -close_fd_mask=3.
 *
 * main.c, which cannot be linked beside libFuzzer's main(), holds two
 * helpers config.c calls; this file has its own: cli_read_file() reads
 * the whole file within the limit, as main.c's does, and cli_make_dirs()
 * is never reached (nothing is saved).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "cli.h"
#include "config.h"
#include "fuzz_support.h"
#include "output.h"

int cli_read_file(ksef_buf *out, const char *path, size_t max,
		  ksef_error *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	size_t n = 0, cap = max + 1;

	if (f == NULL)
		return ksef_error_set(err, KSEF_EIO, "%s", strerror(errno));
	p = malloc(cap + 1);
	if (p == NULL)
		abort();
	n = fread(p, 1, cap, f);
	fclose(f);
	if (n > max) {
		free(p);
		return ksef_error_set(err, KSEF_ETOOBIG, "file is over the "
				      "limit of %zu bytes", max);
	}
	p[n] = '\0';
	ksef_buf_dispose(out);
	out->ptr = p;
	out->size = n;
	out->asize = cap + 1;
	return 0;
}

int cli_make_dirs(const char *dir, unsigned mode, ksef_error *err)
{
	(void)dir;
	(void)mode;
	return ksef_error_set(err, KSEF_EIO, "not in the fuzz target");
}

static char config_path[4200], state_path[4200];

static void setup(void)
{
	static const char *const vars[] = { "KSEF_ENV", "KSEF_BASE_URL",
		"KSEF_NIP", "KSEF_TOKEN", "KSEF_CERT", "KSEF_KEY",
		"KSEF_STATE", "XDG_CONFIG_HOME", "XDG_STATE_HOME" };
	size_t i;

	fuzz_global_init();
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	snprintf(config_path, sizeof(config_path), "%s/config",
		 fuzz_scratch_dir());
	snprintf(state_path, sizeof(state_path), "%s/auth.json",
		 fuzz_scratch_dir());
	setenv("KSEF_CONFIG", config_path, 1);
	cli_out_begin("fuzz", 0);
}

static void config_file(const uint8_t *p, size_t n)
{
	struct cli_settings flags;
	struct cli_config cfg;
	ksef_error err = { 0, 0, "" };

	fuzz_write_file(config_path, p, n, 0600);
	memset(&flags, 0, sizeof(flags));
	(void)cli_config_resolve(&cfg, &flags, 1, &err);
	cli_config_dispose(&cfg);
}

static void state_file(const uint8_t *p, size_t n)
{
	struct cli_login l = CLI_LOGIN_INIT;
	const char *key;
	json_t *v;

	fuzz_write_file(state_path, p, n, 0600);
	if (cli_login_load(&l, state_path) == CLI_OK) {
		(void)cli_login_session_ref(&l, NULL);
		json_object_foreach(json_object_get(l.st.root, "sessions"),
				    key, v) {
			ksef_session *s = NULL;

			(void)v;
			if (cli_login_session(&s, &l, key) == CLI_OK)
				(void)strlen(ksef_session_reference(s));
			ksef_session_free(s);
		}
	}
	cli_login_dispose(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	if (config_path[0] == '\0')
		setup();
	if ((fuzz_byte(&in) & 1) == 0)
		config_file(in.p, in.n);
	else
		state_file(in.p, in.n);
	return 0;
}
