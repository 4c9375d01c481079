/*
 * config_file.c - reads `ksefd --config FILE` into command-line arguments
 * (config_file.h). It owns the file's syntax and limits and nothing else:
 * which names exist and which take a value come from main.c's getopt
 * table, and every value is checked by main.c's option parsing, the same
 * code that checks the command line. The file is the operator's, but it is
 * still bounded and checked: a file or line past its limit, a NUL byte or
 * a name getopt does not know is refused with the file and line, before
 * anything is started.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config_file.h"

/* Names that are not settings: a file that named another file would make
 * an include graph, and a service whose file says `help` would print its
 * usage and exit 0 at every start. */
static const char *const cmdline_only[] = { "config", "help", "version" };

static int set_line(ksef_error *err, int code, int line, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));

static int set_line(ksef_error *err, int code, int line, const char *fmt,
		    ...)
{
	char msg[KSEF_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksef_error_set(err, code, "%s", msg);
	if (err != NULL)
		err->line = line;
	return code;
}

static const struct option *find_option(const struct option *longopts,
					const char *name, size_t len)
{
	for (; longopts->name != NULL; longopts++)
		if (strlen(longopts->name) == len &&
		    memcmp(longopts->name, name, len) == 0)
			return longopts;
	return NULL;
}

/* Whether argv's next word is this option's value (`--name VALUE`). */
static int takes_next(const struct option *longopts, const char *arg)
{
	const struct option *o;

	if (strncmp(arg, "--", 2) != 0 || strchr(arg, '=') != NULL)
		return 0;
	o = find_option(longopts, arg + 2, strlen(arg + 2));
	return o != NULL && o->has_arg == required_argument;
}

/* The --config value, or NULL; KSEF_EINVAL if it is given twice. The
 * words that are other options' values are skipped, so that
 * `--description --config` describes a token. */
static int find_path(const char **out, int argc, char **argv,
		     const struct option *longopts, ksef_error *err)
{
	const char *path = NULL, *val;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 == argc)
				break; /* getopt_long() says it */
			val = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			val = argv[i] + 9;
		} else {
			if (takes_next(longopts, argv[i]))
				i++;
			continue;
		}
		if (path != NULL)
			return ksef_error_set(err, KSEF_EINVAL, "--config "
				"given twice; one file holds the settings");
		path = val;
	}
	*out = path;
	return 0;
}

/* The whole file, NUL-terminated, in *out (the caller frees it). */
static int read_file(char **out, size_t *len_out, const char *path,
		     ksef_error *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, error = 0;

	/* O_NONBLOCK: a FIFO named by mistake must not hang the start. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ksef_error_set(err, KSEF_EIO, "%s: %s", path,
				      strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		error = ksef_error_set(err, KSEF_EIO, "%s: not a regular file",
				       path);
		goto done;
	}
	if (sb.st_size > CONFIG_FILE_MAX_BYTES)
		goto too_big;
	/* One byte more than the limit: a file that grew since fstat() is
	 * still caught. */
	if ((buf = malloc(CONFIG_FILE_MAX_BYTES + 2)) == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	while (len <= CONFIG_FILE_MAX_BYTES) {
		n = read(fd, buf + len, CONFIG_FILE_MAX_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = ksef_error_set(err, KSEF_EIO, "%s: %s", path,
					       strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_FILE_MAX_BYTES)
		goto too_big;
	buf[len] = '\0';
	*out = buf;
	*len_out = len;
	buf = NULL;
	goto done;
too_big:
	error = ksef_error_set(err, KSEF_ETOOBIG, "%s: over %d bytes "
			       "(CONFIG_FILE_MAX_BYTES); not a config file",
			       path, CONFIG_FILE_MAX_BYTES);
done:
	free(buf);
	close(fd);
	return error;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* [*s, *e) without the blanks at its ends. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/* A name fit to be echoed in a message: short, printable ASCII. */
static int printable(const char *s, size_t len)
{
	size_t i;

	if (len > 40)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* One line, [s, e), into "--name[=value]" in *out, or NULL for a blank or
 * comment line. */
static int parse_line(char **out, const char *s, const char *e,
		      const struct option *longopts, const char *path,
		      int line, ksef_error *err)
{
	const char *eq, *name_end, *val = NULL, *val_end = NULL;
	const struct option *o;
	size_t name_len, val_len = 0, i;
	char *arg;

	*out = NULL;
	trim(&s, &e);
	if (s == e || *s == '#')
		return 0;
	eq = memchr(s, '=', (size_t)(e - s));
	name_end = eq != NULL ? eq : e;
	trim(&s, &name_end);
	name_len = (size_t)(name_end - s);
	if (name_len == 0)
		return set_line(err, KSEF_EPARSE, line, "%s:%d: expected "
				"'name = value'", path, line);
	if (name_len > 2 && s[0] == '-' && s[1] == '-' &&
	    find_option(longopts, s + 2, name_len - 2) != NULL)
		return set_line(err, KSEF_EPARSE, line, "%s:%d: write the "
				"name without its dashes: '%.*s'", path, line,
				(int)(name_len - 2), s + 2);
	if ((o = find_option(longopts, s, name_len)) == NULL) {
		if (printable(s, name_len))
			return set_line(err, KSEF_EPARSE, line, "%s:%d: "
				"unknown setting '%.*s' (the names are "
				"ksefd's long options: ksefd --help)", path,
				line, (int)name_len, s);
		return set_line(err, KSEF_EPARSE, line, "%s:%d: unknown "
				"setting", path, line);
	}
	for (i = 0; i < sizeof(cmdline_only) / sizeof(cmdline_only[0]); i++)
		if (strcmp(o->name, cmdline_only[i]) == 0)
			return set_line(err, KSEF_EPARSE, line, "%s:%d: '%s' "
				"belongs on the command line, not in a config "
				"file", path, line, o->name);
	if (eq != NULL) {
		val = eq + 1;
		val_end = e;
		trim(&val, &val_end);
		if (val == val_end)
			return set_line(err, KSEF_EPARSE, line, "%s:%d: '%s' "
				"has no value (an empty one is \"\")", path,
				line, o->name);
		/* Quotes keep the blanks at a value's ends (ksef's own config
		 * file reads them the same way). */
		if (val_end - val >= 2 && *val == '"' && val_end[-1] == '"') {
			val++;
			val_end--;
		}
		val_len = (size_t)(val_end - val);
	}
	if (o->has_arg == no_argument && val != NULL)
		return set_line(err, KSEF_EPARSE, line, "%s:%d: '%s' takes no "
				"value: write the name alone", path, line,
				o->name);
	if (o->has_arg == required_argument && val == NULL)
		return set_line(err, KSEF_EPARSE, line, "%s:%d: '%s' needs a "
				"value: '%s = ...'", path, line, o->name,
				o->name);
	/* "--" name "=" value NUL: both lengths are within the file's. */
	if ((arg = malloc(name_len + val_len + 4)) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	memcpy(arg, "--", 2);
	memcpy(arg + 2, o->name, name_len);
	arg[2 + name_len] = '\0';
	if (val != NULL) {
		arg[2 + name_len] = '=';
		memcpy(arg + 3 + name_len, val, val_len);
		arg[3 + name_len + val_len] = '\0';
	}
	*out = arg;
	return 0;
}

/* The file's settings into a's argv from a->first on. */
static int parse_file(struct config_args *a, const char *text, size_t len,
		      const struct option *longopts, ksef_error *err)
{
	const char *s = text, *end = text + len, *nl;
	int line = 0, error;
	char *arg;

	if (memchr(text, '\0', len) != NULL)
		return ksef_error_set(err, KSEF_EPARSE, "%s: not a text file "
				      "(it holds a NUL byte)", a->path);
	for (; s < end; s = nl + 1) {
		line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if (nl - s > CONFIG_FILE_MAX_LINE)
			return set_line(err, KSEF_ETOOBIG, line, "%s:%d: over "
				"%d bytes (CONFIG_FILE_MAX_LINE)", a->path,
				line, CONFIG_FILE_MAX_LINE);
		if ((error = parse_line(&arg, s, nl, longopts, a->path, line,
					err)) != 0)
			return error;
		if (arg == NULL)
			continue;
		a->argv[a->first + a->count] = arg;
		a->lines[a->count++] = line;
	}
	return 0;
}

int config_args_load(struct config_args *out, int argc, char **argv,
		     const struct option *longopts, ksef_error *err)
{
	char *text = NULL;
	size_t len = 0, lines = 0, i;
	int error, k;

	memset(out, 0, sizeof(*out));
	out->first = 1;
	if ((error = find_path(&out->path, argc, argv, longopts, err)) != 0)
		return error;
	if (out->path != NULL &&
	    (error = read_file(&text, &len, out->path, err)) != 0)
		return error;
	/* Each line gives at most one argument. */
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	lines++;
	out->argv = calloc((size_t)argc + lines + 1, sizeof(*out->argv));
	out->lines = calloc(lines, sizeof(*out->lines));
	if (out->argv == NULL || out->lines == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	out->argv[0] = argv[0];
	if (text != NULL &&
	    (error = parse_file(out, text, len, longopts, err)) != 0)
		goto done;
	for (k = 1; k < argc; k++)
		out->argv[out->first + out->count + k - 1] = argv[k];
	out->argc = argc + out->count;
done:
	free(text);
	return error;
}

int config_args_line(const struct config_args *a, int i)
{
	if (i < a->first || i >= a->first + a->count)
		return 0;
	return a->lines[i - a->first];
}

void config_args_free(struct config_args *a)
{
	int i;

	if (a->argv != NULL)
		for (i = 0; i < a->count; i++)
			free(a->argv[a->first + i]);
	free(a->argv);
	free(a->lines);
	memset(a, 0, sizeof(*a));
}
