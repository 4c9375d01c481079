/*
 * config_file.h - `ksefd --config FILE`: the settings of a file turned into
 * command-line arguments. The file names ksefd's long options, one
 * `name = value` a line; each becomes `--name=value`, and the list goes
 * before the command line's own arguments, so that getopt_long() checks
 * every value exactly as it would on the command line, and a flag given
 * there too wins, as the later of two flags always does. No option is
 * known here: the caller's getopt table says which names exist and which
 * take a value, so an option added to ksefd is a setting at once.
 */
#ifndef KSEFD_CONFIG_FILE_H
#define KSEFD_CONFIG_FILE_H

#include <getopt.h>
#include "ksef/ksef.h"

/* The largest config file read. Every ksefd option with a long path is
 * about 4 KB; sixteen times that leaves room for comments, and a file
 * past it is not a config file (a log, a database named by mistake). */
#define CONFIG_FILE_MAX_BYTES (64 * 1024)
/* The longest line, without its newline: a PATH_MAX path and its name. */
#define CONFIG_FILE_MAX_LINE 4200

/* The arguments getopt_long() reads: argv[0], the file's settings as
 * `--name=value` (or `--name`), then the command line's other arguments.
 * The strings of the file's settings are owned here; the others are the
 * caller's argv. */
struct config_args {
	int argc;
	char **argv;          /* argc entries and a NULL */
	const char *path;     /* the --config value (borrowed), or NULL */
	int first, count;     /* argv[first .. first+count) came from the file */
	int *lines;           /* the file's line of each of them */
};

/*
 * Find `--config FILE` (or `--config=FILE`) in argv, spelt in full and at
 * most once, and read FILE's settings into out. Without --config, out
 * holds argv as it is.
 *
 * A line is blank, a comment (its first non-blank is `#`), `name = value`
 * or `name` alone. name is a long option of longopts without its dashes;
 * `name` alone is for an option that takes no value. The value is the
 * rest of the line with the blanks at its ends removed; a value in double
 * quotes keeps blanks at its ends. Nothing is expanded: no variables, no
 * `~`, no escapes. `config`, `help` and `version` are command-line only.
 *
 * @param[out] out  the arguments; release with config_args_free(), also
 *                  after a failure.
 * @param argc, argv  main()'s, borrowed: out points into them.
 * @param longopts  the table getopt_long() will read, ending in a zeroed
 *                  entry.
 * @param err       receives `FILE:LINE: reason` on failure; may be NULL.
 * @return 0; KSEF_EIO if the file cannot be read; KSEF_ETOOBIG for a
 *         file or line over its limit; KSEF_EPARSE for a line that is not
 *         a setting (an unknown name, a value missing or not allowed);
 *         KSEF_EINVAL for --config given twice; KSEF_ENOMEM.
 */
int config_args_load(struct config_args *out, int argc, char **argv,
		     const struct option *longopts, ksef_error *err);

/* The file's line that argv[i] came from, or 0 for the command line's. */
int config_args_line(const struct config_args *a, int i);

/* Release what config_args_load() made; a zeroed struct is fine. */
void config_args_free(struct config_args *a);

#endif
