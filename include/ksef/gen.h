/*
 * gen.h - a generator of synthetic but valid FA (3) and FA (2) invoices,
 * for tests and benchmarks: a numbered series of distinct documents for
 * one seller, each of a chosen size, each the same bytes whenever it is
 * generated again with the same options.
 *
 * The invoices pass the official schemas and add up: every line's net
 * value, every per-rate total (P_13_x, P_14_x) and the gross total (P_15)
 * are computed in whole grosze, so a checker that re-adds them agrees.
 * They are not meant to describe real trade.
 */
#ifndef KSEF_GEN_H
#define KSEF_GEN_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "buf.h"
#include "invoice.h"

KSEF_BEGIN_DECLS

/** The smallest target size accepted, in bytes. */
#define KSEF_GEN_MIN_BYTES 2000

/** The target size when the options give 0, in bytes. */
#define KSEF_GEN_DEFAULT_BYTES 4096

/** The longest number_prefix accepted, in bytes. */
#define KSEF_GEN_PREFIX_MAX 64

/** What to generate. Start from KSEF_GEN_OPTIONS_INIT and set fields. */
typedef struct ksef_gen_options {
	int version; /**< KSEF_GEN_OPTIONS_VERSION */
	/** KSEF_FORM_FA3 or KSEF_FORM_FA2; any other form is KSEF_EINVAL. */
	ksef_form form;
	/** The seller's NIP (Podmiot1): 10 digits matching the schema's
	 *  TNrNIP pattern. The check digit is not required, since test
	 *  environments use made-up NIPs. Required. */
	const char *seller_nip;
	/** The buyer's NIP (Podmiot2), as seller_nip. NULL: each invoice
	 *  names one of a few buyers derived from the seed, each with a NIP
	 *  whose check digit is right. */
	const char *buyer_nip;
	/** P_1, the issue date, "YYYY-MM-DD" between 2016-07-01 and
	 *  2049-12-01 (the schema's range, less the payment term). NULL: the
	 *  current date in Poland (Europe/Warsaw), as KSeF dates invoices. */
	const char *issue_date;
	/** The middle part of P_2, "FV/<prefix>/<index>": 1 to
	 *  KSEF_GEN_PREFIX_MAX bytes of UTF-8 with no control characters;
	 *  XML-escaped on output. NULL: a six-letter tag derived from the
	 *  seed, so runs with different seeds never share a number. */
	const char *number_prefix;
	/** Approximate size of each invoice in bytes, from KSEF_GEN_MIN_BYTES
	 *  to KSEF_INVOICE_MAX_BYTES_PLAIN; 0 means KSEF_GEN_DEFAULT_BYTES.
	 *  Invoice lines (FaWiersz) are added, then remarks (DodatkowyOpis)
	 *  pad the rest: the result never exceeds the target and falls short
	 *  by less than 100 bytes. Below 3000 bytes the parties' optional
	 *  contact details are left out. */
	size_t target_bytes;
	/** Chooses the names, lines and amounts. Use a fresh seed (from a
	 *  clock, say) for a run that must not repeat an earlier run's
	 *  numbers, and a fixed one to get the same bytes again. */
	uint64_t seed;
} ksef_gen_options;

/**
 * The version of ksef_gen_options this header describes. The library takes
 * a struct of any version from 1 to its own, reading only the fields that
 * version has and leaving later ones at their defaults.
 */
#define KSEF_GEN_OPTIONS_VERSION 1
#define KSEF_GEN_OPTIONS_INIT \
	{ KSEF_GEN_OPTIONS_VERSION, KSEF_FORM_FA3, NULL, NULL, NULL, NULL, 0, 0 }

/**
 * Generate invoice number `index` of the series that `opts` describes:
 * a VAT invoice (RodzajFaktury VAT) in PLN from the seller to a buyer,
 * with lines at several rates (23, 8, 5, 0 and exempt), its totals, its
 * annotations (Adnotacje) and a bank-transfer payment due in 14 days.
 * P_2 is "FV/<prefix>/<index>", so invoices of one series differ by
 * index. The output is UTF-8 without a BOM and starts with an XML
 * declaration. It depends only on `opts` (and, when issue_date is NULL,
 * the date) and `index`. Thread-safe.
 *
 * @param[out] out  receives the document, replacing what it held; release
 *                  it with ksef_buf_dispose(). Unchanged on failure.
 * @param opts      what to generate; borrowed for the call only.
 * @param index     the invoice's place in the series; any value.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (a bad option: version, form, a NIP, the date,
 *         the prefix or the target size, named in err) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_gen_invoice(ksef_buf *out,
	const ksef_gen_options *opts, uint64_t index, ksef_error *err);

KSEF_END_DECLS

#endif
