/*
 * cmd_generate.c - `ksef generate`: the library's test-invoice generator
 * on the command line, so a person (or a script, or a benchmark) can make
 * valid, distinct invoices to send to ksefd or the TEST environment.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "output.h"

const char cli_usage_generate[] =
"usage: ksef generate --nip NIP [options]\n"
"\n"
"Write valid, distinct FA (3) or FA (2) test invoices for one seller.\n"
"One invoice goes to standard output; with --out, COUNT files named\n"
"invoice-<index>.xml go into that folder.\n"
"\n"
"options:\n"
"  --nip NIP          the seller's NIP (Podmiot1), 10 digits (required)\n"
"  --buyer NIP        the buyer's NIP (default: a few derived buyers)\n"
"  --form CODE        'FA (3)' (default) or 'FA (2)'\n"
"  --count N          how many invoices (default 1)\n"
"  --first N          index of the first invoice (default 1)\n"
"  --size BYTES       approximate size of each, 2000 to 1000000 (default 4096)\n"
"  --date YYYY-MM-DD  issue date P_1 (default: today, UTC)\n"
"  --prefix TEXT      middle part of the invoice number FV/<prefix>/<index>\n"
"                     (default: derived from the seed)\n"
"  --seed N           chooses content; same seed and index, same bytes\n"
"                     (default: from the clock, so runs differ)\n"
"  --out DIR          write files into DIR instead of standard output\n";

static int parse_u64(uint64_t *out, const char *s)
{
	char *end;

	errno = 0;
	if (*s == '\0' || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	return errno || *end != '\0' ? -1 : 0;
}

int cmd_generate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nip", required_argument, NULL, 'n' },
		{ "buyer", required_argument, NULL, 'b' },
		{ "form", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "first", required_argument, NULL, 'F' },
		{ "size", required_argument, NULL, 's' },
		{ "date", required_argument, NULL, 'd' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 'S' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ksef_gen_options opts = KSEF_GEN_OPTIONS_INIT;
	uint64_t count = 1, first = 1, size = 0, i;
	const char *outdir = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err;
	struct timespec ts;
	int c;

	clock_gettime(CLOCK_REALTIME, &ts);
	opts.seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': opts.seller_nip = optarg; break;
		case 'b': opts.buyer_nip = optarg; break;
		case 'f':
			if (cli_parse_form(&opts.form, optarg) < 0) {
				return cli_fail(CLI_F_USAGE, NULL, "unknown form code '%s'",   optarg);
			}
			break;
		case 'c':
			if (parse_u64(&count, optarg) < 0 || count == 0 ||
			    count > 10000000) {
				return cli_fail(CLI_F_USAGE, NULL, "--count must be 1 to 10000000");
			}
			break;
		case 'F':
			if (parse_u64(&first, optarg) < 0) {
				return cli_fail(CLI_F_USAGE, NULL, "--first must be a number");
			}
			break;
		case 's':
			if (parse_u64(&size, optarg) < 0) {
				return cli_fail(CLI_F_USAGE, NULL, "--size must be a number");
			}
			opts.target_bytes = (size_t)size;
			break;
		case 'd': opts.issue_date = optarg; break;
		case 'p': opts.number_prefix = optarg; break;
		case 'S':
			if (parse_u64(&opts.seed, optarg) < 0) {
				return cli_fail(CLI_F_USAGE, NULL, "--seed must be a number");
			}
			break;
		case 'o': outdir = optarg; break;
		case 'h': fputs(cli_usage_generate, stdout); return CLI_OK;
		default: fputs(cli_usage_generate, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc || opts.seller_nip == NULL) {
		return cli_fail(CLI_F_USAGE, NULL, optind < argc ? "unexpected argument '%s'" :   "--nip is required%s", optind < argc ? argv[optind] : "");
	}
	if (outdir == NULL && count != 1) {
		return cli_fail(CLI_F_USAGE, NULL, "--count above 1 needs --out DIR");
	}
	if (outdir != NULL && cli_make_dirs(outdir, 0755, &err) != 0) {
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	}
	for (i = 0; i < count; i++) {
		char path[4096];
		FILE *f;

		if (ksef_gen_invoice(&doc, &opts, first + i, &err) < 0) {
			ksef_buf_dispose(&doc);
			return cli_fail(err.code == KSEF_EINVAL ? CLI_F_USAGE :
					CLI_F_INTERNAL, NULL, "%s", err.message);
		}
		if (outdir == NULL) {
			fwrite(doc.ptr, 1, doc.size, stdout);
			continue;
		}
		snprintf(path, sizeof(path), "%s/invoice-%" PRIu64 ".xml",
			 outdir, first + i);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(doc.ptr, 1, doc.size, f) != doc.size ||
		    fclose(f) != 0) {
			ksef_buf_dispose(&doc);
			return cli_fail(CLI_F_IO, NULL, "%s: %s", path,
					strerror(errno));
		}
	}
	ksef_buf_dispose(&doc);
	return CLI_OK;
}
