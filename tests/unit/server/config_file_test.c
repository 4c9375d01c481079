/*
 * config_file_test.c - `ksefd --config FILE` (config_file.c): a file's
 * settings become --name=value words before the command line's, which
 * getopt_long() then reads with the command line winning; every kind of
 * line that is not a setting is refused with its line; the file and line
 * limits hold at the bound and one past it; and --config itself is found
 * only where it is an option.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config_file.h"

/* A table like main.c's: values, a repeatable one, one without a value. */
static const struct option opts[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "listen", required_argument, NULL, 'l' },
	{ "crl", required_argument, NULL, 'R' },
	{ "description", required_argument, NULL, 'D' },
	{ "flag", no_argument, NULL, 'f' },
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct fixture {
	char *dir;
	char path[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = ts_mkdtemp();
	snprintf(f->path, sizeof(f->path), "%s/ksefd.conf", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ts_rmdir(f->dir);
	free(f);
	return 0;
}

/* Load `ksefd --config PATH keys list` over a file of these bytes. */
static int load(struct config_args *a, struct fixture *f, const char *text,
		size_t len, ksef_error *err)
{
	char *argv[] = { "ksefd", "--config", f->path, "keys", "list", NULL };

	ts_write_file(f->path, text, len);
	return config_args_load(a, 5, argv, opts, err);
}

static void without_config_the_arguments_are_the_command_lines(void **state)
{
	char *argv[] = { "ksefd", "--data", "d", "serve", NULL };
	struct config_args a;
	int i;

	(void)state;
	assert_int_equal(config_args_load(&a, 4, argv, opts, NULL), 0);
	assert_null(a.path);
	assert_int_equal(a.count, 0);
	assert_int_equal(a.argc, 4);
	for (i = 0; i < 4; i++)
		assert_ptr_equal(a.argv[i], argv[i]);
	assert_null(a.argv[4]);
	config_args_free(&a);
}

static void settings_come_first_as_name_value_words(void **state)
{
	static const char text[] =
		"# ksefd\n"
		"\n"
		"   \t\n"
		"data = /srv/k  \t\r\n"
		"listen=127.0.0.1:8080\n"
		"  crl = a.pem\n"
		"crl = b # not a comment\n"
		"description = \"  spaced  \"\n"
		"flag\n"
		"  # indented comment\n"
		"data = /srv/$HOME/~";
	static const char *const want[] = { "ksefd", "--data=/srv/k",
		"--listen=127.0.0.1:8080", "--crl=a.pem",
		"--crl=b # not a comment", "--description=  spaced  ",
		"--flag", "--data=/srv/$HOME/~", "--config", NULL, "keys",
		"list" };
	static const int lines[] = { 4, 5, 6, 7, 8, 9, 11 };
	struct fixture *f = *state;
	struct config_args a;
	int i;

	assert_int_equal(load(&a, f, text, sizeof(text) - 1, NULL), 0);
	assert_string_equal(a.path, f->path);
	assert_int_equal(a.count, 7);
	assert_int_equal(a.argc, 12);
	for (i = 0; i < 12; i++)
		assert_string_equal(a.argv[i], want[i] ? want[i] : f->path);
	assert_null(a.argv[12]);
	for (i = 0; i < 7; i++)
		assert_int_equal(config_args_line(&a, 1 + i), lines[i]);
	assert_int_equal(config_args_line(&a, 0), 0);
	assert_int_equal(config_args_line(&a, 8), 0); /* the command line's */
	config_args_free(&a);
}

/* What main.c does with the words: the later of two flags wins, so the
 * command line's, which come after the file's. */
static void getopt_reads_them_and_the_command_line_wins(void **state)
{
	static const char text[] = "listen = 127.0.0.1:1\ndata = /file\n";
	char *argv[] = { "ksefd", "--listen", "127.0.0.1:2", "--config",
			 NULL, "serve", NULL };
	struct fixture *f = *state;
	struct config_args a;
	const char *listen = NULL, *data = NULL;
	int c;

	argv[4] = f->path;
	ts_write_file(f->path, text, sizeof(text) - 1);
	assert_int_equal(config_args_load(&a, 6, argv, opts, NULL), 0);
	optind = 0; /* glibc: start over */
	while ((c = getopt_long(a.argc, a.argv, "", opts, NULL)) != -1) {
		if (c == 'l')
			listen = optarg;
		else if (c == 'd')
			data = optarg;
		else if (c == 'c')
			assert_ptr_equal(optarg, a.path); /* main.c's check */
		else
			fail_msg("unexpected option %d", c);
	}
	assert_string_equal(listen, "127.0.0.1:2");
	assert_string_equal(data, "/file");
	assert_int_equal(optind, a.argc - 1);
	assert_string_equal(a.argv[optind], "serve");
	config_args_free(&a);
}

static void an_empty_file_has_no_settings(void **state)
{
	struct fixture *f = *state;
	struct config_args a;

	assert_int_equal(load(&a, f, "", 0, NULL), 0);
	assert_int_equal(a.count, 0);
	assert_int_equal(a.argc, 5);
	config_args_free(&a);
}

static void lines_that_are_not_settings_are_refused(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		int code, line;
		const char *says;
	} bad[] = {
#define T(s) s, sizeof(s) - 1
		{ T("listn = 127.0.0.1:1\n"), KSEF_EPARSE, 1,
		  ":1: unknown setting 'listn'" },
		{ T("# ok\n\nconfig = other.conf\n"), KSEF_EPARSE, 3,
		  ":3: 'config' belongs on the command line" },
		{ T("help\n"), KSEF_EPARSE, 1, "'help' belongs" },
		{ T("version\n"), KSEF_EPARSE, 1, "'version' belongs" },
		{ T("data\n"), KSEF_EPARSE, 1, "'data' needs a value" },
		{ T("data =  \t\n"), KSEF_EPARSE, 1, "'data' has no value" },
		{ T("flag = true\n"), KSEF_EPARSE, 1, "'flag' takes no value" },
		{ T("--data = /x\n"), KSEF_EPARSE, 1,
		  "without its dashes: 'data'" },
		{ T("= /x\n"), KSEF_EPARSE, 1, "expected 'name = value'" },
		{ T("data: /x\n"), KSEF_EPARSE, 1, "unknown setting" },
		{ T("data = /x\0y\n"), KSEF_EPARSE, 0, "not a text file" },
		{ T("\x1b[2J = x\n"), KSEF_EPARSE, 1, ":1: unknown setting" },
#undef T
	};
	struct fixture *f = *state;
	struct config_args a;
	ksef_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(load(&a, f, bad[i].text, bad[i].len, &err),
				 bad[i].code);
		config_args_free(&a);
		if (strstr(err.message, bad[i].says) == NULL ||
		    strncmp(err.message, f->path, strlen(f->path)) != 0)
			fail_msg("case %zu: %s", i, err.message);
		assert_int_equal(err.line, bad[i].line);
		/* A hostile name is never echoed to the terminal. */
		assert_null(strchr(err.message, '\x1b'));
	}
}

/* A line of `data = /xxx...` exactly n bytes long, then a newline. */
static char *line_of(size_t n)
{
	char *s = malloc(n + 2);

	assert_non_null(s);
	memset(s, 'x', n);
	memcpy(s, "data = /", 8);
	s[n] = '\n';
	s[n + 1] = '\0';
	return s;
}

static void a_line_is_read_up_to_its_limit(void **state)
{
	struct fixture *f = *state;
	struct config_args a;
	ksef_error err;
	char *s = line_of(CONFIG_FILE_MAX_LINE);

	assert_int_equal(load(&a, f, s, strlen(s), &err), 0);
	assert_int_equal(a.count, 1);
	assert_int_equal(strlen(a.argv[1]), CONFIG_FILE_MAX_LINE);
	config_args_free(&a);
	free(s);

	s = line_of(CONFIG_FILE_MAX_LINE + 1);
	assert_int_equal(load(&a, f, s, strlen(s), &err), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, ":1: over 4200 bytes"));
	config_args_free(&a);
	free(s);
}

/* `data = /d` and comment lines: n bytes in all. */
static char *file_of(size_t n)
{
	char *s = malloc(n + 1);
	size_t i;

	assert_non_null(s);
	memset(s, '#', n);
	memcpy(s, "data = /d\n", 10);
	for (i = 100; i < n; i += 100)
		s[i] = '\n';
	s[n] = '\0';
	return s;
}

static void a_file_is_read_up_to_its_limit(void **state)
{
	struct fixture *f = *state;
	struct config_args a;
	ksef_error err;
	char *s = file_of(CONFIG_FILE_MAX_BYTES);

	assert_int_equal(load(&a, f, s, CONFIG_FILE_MAX_BYTES, &err), 0);
	assert_int_equal(a.count, 1);
	assert_string_equal(a.argv[1], "--data=/d");
	config_args_free(&a);
	free(s);

	s = file_of(CONFIG_FILE_MAX_BYTES + 1);
	assert_int_equal(load(&a, f, s, CONFIG_FILE_MAX_BYTES + 1, &err),
			 KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "over 65536 bytes"));
	config_args_free(&a);
	free(s);
}

static void a_file_that_cannot_be_read_is_refused(void **state)
{
	struct fixture *f = *state;
	char missing[600];
	char *argv[] = { "ksefd", "--config", missing, NULL };
	char *dir_argv[] = { "ksefd", "--config", f->dir, NULL };
	struct config_args a;
	ksef_error err;

	snprintf(missing, sizeof(missing), "%s/none.conf", f->dir);
	assert_int_equal(config_args_load(&a, 3, argv, opts, &err), KSEF_EIO);
	assert_non_null(strstr(err.message, "none.conf: No such file"));
	config_args_free(&a);
	assert_int_equal(config_args_load(&a, 3, dir_argv, opts, &err),
			 KSEF_EIO);
	assert_non_null(strstr(err.message, "not a regular file"));
	config_args_free(&a);
}

static void config_is_found_only_where_it_is_an_option(void **state)
{
	char *twice[] = { "ksefd", "--config", "a", "--config=b", NULL };
	char *value[] = { "ksefd", "--description", "--config", "token",
			  "create", NULL };
	char *after[] = { "ksefd", "--", "--config", "a", NULL };
	char *last[] = { "ksefd", "--config", NULL };
	struct config_args a;
	ksef_error err;

	(void)state;
	assert_int_equal(config_args_load(&a, 4, twice, opts, &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "given twice"));
	config_args_free(&a);
	/* --description's value, not an option. */
	assert_int_equal(config_args_load(&a, 5, value, opts, NULL), 0);
	assert_null(a.path);
	config_args_free(&a);
	assert_int_equal(config_args_load(&a, 4, after, opts, NULL), 0);
	assert_null(a.path);
	config_args_free(&a);
	/* Without its value, getopt_long() says so. */
	assert_int_equal(config_args_load(&a, 2, last, opts, NULL), 0);
	assert_null(a.path);
	assert_int_equal(a.argc, 2);
	config_args_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_config_the_arguments_are_the_command_lines),
		cmocka_unit_test_setup_teardown(
			settings_come_first_as_name_value_words, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			getopt_reads_them_and_the_command_line_wins, setup,
			teardown),
		cmocka_unit_test_setup_teardown(an_empty_file_has_no_settings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			lines_that_are_not_settings_are_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_line_is_read_up_to_its_limit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_file_is_read_up_to_its_limit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_file_that_cannot_be_read_is_refused, setup,
			teardown),
		cmocka_unit_test(config_is_found_only_where_it_is_an_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
