/*
 * client_invoices.h - invoice retrieval (pobieranie-faktur.md, hwm.md,
 * przyrostowe-pobieranie-faktur.md; the open-api tag "Pobieranie
 * faktur"): the metadata query with every filter of InvoiceQueryFilters,
 * and exports: a package of invoices built by KSeF, encrypted under the
 * caller's own AES key, downloaded part by part from pre-signed links,
 * decrypted, joined and unpacked into a folder.
 *
 * The rules of client.h hold here too: calls use the access token set with
 * ksef_client_set_access_token(), results are ksef_api_* structs handed
 * out by pointer only and freed with their _free, lists are opaque and
 * read with _count() and _at(), and the caller's inputs are versioned
 * structs started from their KSEF_..._INIT.
 */
#ifndef KSEF_CLIENT_INVOICES_H
#define KSEF_CLIENT_INVOICES_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "envelope.h"
#include "number.h"
#include "client.h"

KSEF_BEGIN_DECLS

/*
 * Limits of what an export package may unpack to. The server's package
 * is at most 10 000 invoices and 1 GB before encryption (hwm.md); these
 * bound what a hostile or broken server could make the client write.
 */

/** Most entries in a package: 10 000 invoices and _metadata.json. */
#define KSEF_EXPORT_MAX_ENTRIES 10001
/** Most bytes the entries of a package unpack to, in all. */
#define KSEF_EXPORT_MAX_UNPACKED_BYTES (UINT64_C(2) << 30)
/** Most bytes of one encrypted part (50 MB of ZIP, padded). */
#define KSEF_EXPORT_PART_MAX_BYTES (100u * 1000u * 1000u)
/** Most bytes of _metadata.json that are read into memory. */
#define KSEF_EXPORT_METADATA_MAX_BYTES (64u * 1024u * 1024u)
/** Longest name of an entry in a package. */
#define KSEF_EXPORT_NAME_MAX 128
/** Most currency codes and invoice types in one filter. */
#define KSEF_INVOICE_FILTER_LIST_MAX 64

/** subjectType: whose invoices. */
typedef enum ksef_invoice_subject {
	KSEF_SUBJECT_NONE = 0,       /**< unset: refused */
	KSEF_SUBJECT_1 = 1,          /**< "Subject1": the seller */
	KSEF_SUBJECT_2 = 2,          /**< "Subject2": the buyer */
	KSEF_SUBJECT_3 = 3,          /**< "Subject3": a Podmiot3 */
	KSEF_SUBJECT_AUTHORIZED = 4  /**< "SubjectAuthorized" */
} ksef_invoice_subject;

/** dateRange.dateType. */
typedef enum ksef_invoice_date_type {
	KSEF_DATE_NONE = 0,              /**< unset: refused */
	KSEF_DATE_ISSUE = 1,             /**< "Issue" */
	KSEF_DATE_INVOICING = 2,         /**< "Invoicing" */
	KSEF_DATE_PERMANENT_STORAGE = 3  /**< "PermanentStorage" */
} ksef_invoice_date_type;

/** amount.type. */
typedef enum ksef_invoice_amount_type {
	KSEF_AMOUNT_ANY = 0,     /**< no amount filter */
	KSEF_AMOUNT_BRUTTO = 1,  /**< "Brutto" */
	KSEF_AMOUNT_NETTO = 2,   /**< "Netto" */
	KSEF_AMOUNT_VAT = 3      /**< "Vat" */
} ksef_invoice_amount_type;

/** buyerIdentifier.type. */
typedef enum ksef_invoice_buyer_type {
	KSEF_BUYER_ANY = 0,      /**< no buyer filter */
	KSEF_BUYER_NIP = 1,      /**< "Nip" with a value */
	KSEF_BUYER_VAT_UE = 2,   /**< "VatUe" with a value */
	KSEF_BUYER_OTHER = 3,    /**< "Other" with a value */
	KSEF_BUYER_NONE = 4      /**< "None": invoices without a buyer id */
} ksef_invoice_buyer_type;

/** invoicingMode. */
typedef enum ksef_invoicing_mode {
	KSEF_INVOICING_ANY = 0,      /**< no filter */
	KSEF_INVOICING_ONLINE = 1,   /**< "Online" */
	KSEF_INVOICING_OFFLINE = 2   /**< "Offline" */
} ksef_invoicing_mode;

/**
 * The version of ksef_invoice_filters this header describes. The library
 * takes a struct of any version from 1 to its own, reading only the fields
 * that version has and leaving later ones at their defaults.
 */
#define KSEF_INVOICE_FILTERS_VERSION 1

/**
 * InvoiceQueryFilters: what ksef_client_invoices_query() and
 * ksef_client_invoices_export() select. Start from
 * KSEF_INVOICE_FILTERS_INIT; subject, date_type and from_ms are required,
 * everything else is left out of the request while NULL, 0, -1 or
 * KSEF_TIME_UNSET. Values the contract would refuse are KSEF_EINVAL
 * before anything is sent, the message naming the field.
 */
typedef struct ksef_invoice_filters {
	int version;                     /**< KSEF_INVOICE_FILTERS_VERSION */
	ksef_invoice_subject subject;    /**< subjectType */
	ksef_invoice_date_type date_type;/**< dateRange.dateType */
	int64_t from_ms;                 /**< dateRange.from, required */
	/** dateRange.to, or KSEF_TIME_UNSET (the server takes now). */
	int64_t to_ms;
	/** dateRange.restrictToPermanentStorageHwmDate: 1, 0, or -1 to
	 *  leave it out; only with KSEF_DATE_PERMANENT_STORAGE. */
	int restrict_to_hwm;
	const char *ksef_number;         /**< ksefNumber (exact) */
	const char *invoice_number;      /**< invoiceNumber, <= 256 chars */
	ksef_invoice_amount_type amount_type; /**< amount.type */
	/** amount.from and amount.to as decimal text ("100.50"), or NULL;
	 *  only with an amount_type. */
	const char *amount_from;
	const char *amount_to;           /**< see amount_from */
	const char *seller_nip;          /**< sellerNip */
	ksef_invoice_buyer_type buyer_type;   /**< buyerIdentifier.type */
	const char *buyer_value;   /**< its value, <= 50 chars; NULL for None */
	/** currencyCodes: three capital letters each (CurrencyCode). */
	const char *const *currency_codes;
	size_t currency_code_count;      /**< how many; 0 leaves it out */
	ksef_invoicing_mode invoicing_mode;   /**< invoicingMode */
	int is_self_invoicing;           /**< 1, 0, or -1 to leave it out */
	/** formType: "FA", "PEF" or "FA_RR", or NULL. */
	const char *form_type;
	/** invoiceTypes: "Vat", "Zal", "Kor"... (InvoiceType). */
	const char *const *invoice_types;
	size_t invoice_type_count;       /**< how many; 0 leaves it out */
	int has_attachment;              /**< 1, 0, or -1 to leave it out */
} ksef_invoice_filters;

/** Filters with nothing chosen yet (subject, date type and from are
 *  still to be set). */
#define KSEF_INVOICE_FILTERS_INIT                                           \
	{ KSEF_INVOICE_FILTERS_VERSION, KSEF_SUBJECT_NONE, KSEF_DATE_NONE,  \
	  KSEF_TIME_UNSET, KSEF_TIME_UNSET, -1, NULL, NULL,                 \
	  KSEF_AMOUNT_ANY, NULL, NULL, NULL, KSEF_BUYER_ANY, NULL, NULL,    \
	  0, KSEF_INVOICING_ANY, -1, NULL, NULL, 0, -1 }

/*
 * Names: the contract's spelling of each value, and back.
 */

/** "Subject1"...; NULL for an unknown value. */
KSEF_API const char *ksef_invoice_subject_name(ksef_invoice_subject s);
/** The subject of a name, compared exactly; KSEF_SUBJECT_NONE if none. */
KSEF_API ksef_invoice_subject ksef_invoice_subject_of(const char *name);
/** "Issue"...; NULL for an unknown value. */
KSEF_API const char *ksef_invoice_date_type_name(ksef_invoice_date_type t);
/** The date type of a name; KSEF_DATE_NONE if none. */
KSEF_API ksef_invoice_date_type ksef_invoice_date_type_of(const char *name);

/*
 * Results
 */

/**
 * One InvoiceMetadata, as the query and _metadata.json give it. The
 * members ksef needs are read out; `json` holds the whole object as
 * received, for what is not.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_invoice_metadata {
	const char *ksef_number;          /**< ksefNumber */
	const char *invoice_number;       /**< invoiceNumber */
	const char *issue_date;           /**< issueDate, YYYY-MM-DD */
	int64_t invoicing_date_ms;        /**< invoicingDate */
	int64_t acquisition_date_ms;      /**< acquisitionDate */
	int64_t permanent_storage_date_ms;/**< permanentStorageDate */
	const char *seller_nip;           /**< seller.nip */
	const char *seller_name;          /**< seller.name, or NULL */
	const char *buyer_id_type;        /**< buyer.identifier.type */
	const char *buyer_id_value;       /**< its value, or NULL */
	const char *buyer_name;           /**< buyer.name, or NULL */
	double net_amount;                /**< netAmount */
	double gross_amount;              /**< grossAmount */
	double vat_amount;                /**< vatAmount */
	const char *currency;             /**< currency */
	const char *invoicing_mode;       /**< invoicingMode */
	const char *invoice_type;         /**< invoiceType */
	const char *form_code;            /**< formCode.value, e.g. "FA" */
	int is_self_invoicing;            /**< isSelfInvoicing: 1 or 0 */
	int has_attachment;               /**< hasAttachment: 1 or 0 */
	const char *invoice_hash;         /**< invoiceHash */
	/** The object as received, compact JSON text. */
	const char *json;
} ksef_api_invoice_metadata;

/** A list of invoice metadata; read with its _count() and _at(). */
typedef struct ksef_api_invoice_metadata_list ksef_api_invoice_metadata_list;

/** How many items l holds; 0 for NULL. */
KSEF_API size_t ksef_api_invoice_metadata_list_count(
	const ksef_api_invoice_metadata_list *l);

/** Item i of l, borrowed from the result l belongs to; NULL past the
 *  end. */
KSEF_API const ksef_api_invoice_metadata *ksef_api_invoice_metadata_list_at(
	const ksef_api_invoice_metadata_list *l, size_t i);

/**
 * The answer of POST /invoices/query/metadata
 * (QueryInvoicesMetadataResponse).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_invoice_query {
	int has_more;       /**< hasMore: another page follows */
	/** isTruncated: the 10 000-record limit was reached; narrow the
	 *  range (start from the last date) and reset the page offset. */
	int is_truncated;
	/** permanentStorageHwmDate, or KSEF_TIME_UNSET (other date
	 *  types). */
	int64_t permanent_storage_hwm_ms;
	/** invoices; never NULL. */
	const ksef_api_invoice_metadata_list *invoices;
} ksef_api_invoice_query;

/**
 * POST /invoices/query/metadata: one page of the invoices the filters
 * select. Retried as a read.
 *
 * @param[out] out     receives the page; free it with
 *                     ksef_api_invoice_query_free(). NULL on failure.
 * @param c            the client.
 * @param filters      the filters; read, not kept.
 * @param descending   non-zero for sortOrder=Desc (default Asc).
 * @param page_offset  pageOffset: the page's number, from 0.
 * @param page_size    pageSize, 10 to 250, or 0 for the server's 10.
 * @param err          receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for filters the contract refuses (the message
 *         names the field), or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_invoices_query(
	ksef_api_invoice_query **out, ksef_client *c,
	const ksef_invoice_filters *filters, int descending, int page_offset,
	int page_size, ksef_error *err);

/**
 * Free a query page.
 *
 * @param q the page; NULL does nothing.
 */
KSEF_API void ksef_api_invoice_query_free(ksef_api_invoice_query *q);

/*
 * Exports
 */

/**
 * POST /invoices/exports: ask KSeF to build a package of the invoices the
 * filters select, encrypted with env's key and IV (the key wrapped with
 * pub, the SymmetricKeyEncryption key). Keep env until the package is
 * fetched: only it decrypts the parts. Not retried after a 5xx.
 *
 * @param[out] ref_out       receives the export's reference number and
 *                           a NUL; unchanged on failure.
 * @param c                  the client.
 * @param env                the caller's key and IV (ksef_envelope_new()).
 * @param pub                KSeF's SymmetricKeyEncryption key.
 * @param filters            the filters; read, not kept.
 * @param only_metadata      non-zero: _metadata.json without invoices.
 * @param err                receives the reason on failure; may be NULL.
 * @return as ksef_client_invoices_query().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_invoices_export(
	char ref_out[KSEF_REFNUM_BUFSZ], ksef_client *c,
	const ksef_envelope *env, const ksef_pubkey *pub,
	const ksef_invoice_filters *filters, int only_metadata,
	ksef_error *err);

/**
 * One InvoicePackagePart.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_export_part {
	int ordinal_number;          /**< ordinalNumber, from 1 */
	const char *part_name;       /**< partName */
	const char *method;          /**< method, "GET" */
	const char *url;             /**< url: pre-signed, no token */
	int64_t part_size;           /**< partSize, before encryption */
	const char *part_hash;       /**< partHash, SHA-256 Base64 */
	int64_t encrypted_part_size; /**< encryptedPartSize */
	const char *encrypted_part_hash; /**< encryptedPartHash */
	int64_t expiration_ms;       /**< expirationDate of the link */
} ksef_api_export_part;

/** The parts of a package; read with _count() and _at(). */
typedef struct ksef_api_export_parts ksef_api_export_parts;

/** How many parts l holds; 0 for NULL. */
KSEF_API size_t ksef_api_export_parts_count(const ksef_api_export_parts *l);

/** Part i of l, borrowed; NULL past the end. */
KSEF_API const ksef_api_export_part *ksef_api_export_parts_at(
	const ksef_api_export_parts *l, size_t i);

/**
 * InvoicePackage: a built package.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_export_package {
	int64_t invoice_count;       /**< invoiceCount */
	int64_t size;                /**< size, in bytes */
	/** isTruncated: a limit was reached; the next window starts at the
	 *  last date of the filter's type below. */
	int is_truncated;
	const char *last_issue_date; /**< lastIssueDate, or NULL */
	int64_t last_invoicing_date_ms;         /**< or KSEF_TIME_UNSET */
	int64_t last_permanent_storage_date_ms; /**< or KSEF_TIME_UNSET */
	int64_t permanent_storage_hwm_ms;       /**< or KSEF_TIME_UNSET */
	const ksef_api_export_parts *parts;     /**< never NULL */
} ksef_api_export_package;

/**
 * The answer of GET /invoices/exports/{referenceNumber}
 * (InvoiceExportStatusResponse).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_export_status {
	/** 100 in progress, 200 built, 210 expired, 415, 420, 500, 550.
	 *  Never NULL. */
	const ksef_api_status *status;
	int64_t completed_ms;          /**< completedDate, or UNSET */
	int64_t package_expiration_ms; /**< packageExpirationDate, or UNSET */
	/** package, once built (status 200); NULL before. */
	const ksef_api_export_package *package;
} ksef_api_export_status;

/**
 * GET /invoices/exports/{referenceNumber}: how an export goes. Poll
 * until status.code is no longer 100; the part links are made anew at
 * each call and expire (expirationDate).
 *
 * @param[out] out   receives the status; free it with
 *                   ksef_api_export_status_free(). NULL on failure.
 * @param c          the client.
 * @param reference  the export's reference number.
 * @param err        receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_invoices_export_status(
	ksef_api_export_status **out, ksef_client *c, const char *reference,
	ksef_error *err);

/**
 * Free an export's status.
 *
 * @param st the status; NULL does nothing.
 */
KSEF_API void ksef_api_export_status_free(ksef_api_export_status *st);

/**
 * The version of ksef_export_fetch_options this header describes; the
 * library takes every version from 1 to its own.
 */
#define KSEF_EXPORT_FETCH_OPTIONS_VERSION 1

/**
 * Called for each file the package unpacked to, after it is complete on
 * the disk: name is the entry's name (a plain file name, checked), path
 * where it was written. Return 0 to go on, non-zero to stop the fetch
 * (it then returns KSEF_EINVAL, with "stopped by the caller").
 */
typedef int (*ksef_export_entry_cb)(void *ud, const char *name,
				    const char *path, uint64_t size);

/**
 * How ksef_client_invoices_export_fetch() works. Start from
 * KSEF_EXPORT_FETCH_OPTIONS_INIT.
 */
typedef struct ksef_export_fetch_options {
	int version;   /**< KSEF_EXPORT_FETCH_OPTIONS_VERSION */
	/** Non-zero: an entry whose file already exists in the folder is
	 *  kept as it is and skipped (deduplication by name, which is the
	 *  KSeF number); 0: such a file is replaced. */
	int keep_existing;
	ksef_export_entry_cb on_entry; /**< or NULL */
	void *ud;                      /**< for on_entry */
} ksef_export_fetch_options;

/** Replace existing files, no callback. */
#define KSEF_EXPORT_FETCH_OPTIONS_INIT \
	{ KSEF_EXPORT_FETCH_OPTIONS_VERSION, 0, NULL, NULL }

/**
 * What a fetched package held.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_export_result {
	size_t files_written;  /**< entries written to the folder */
	size_t files_kept;     /**< entries skipped: the file existed */
	uint64_t bytes;        /**< unpacked bytes of all entries */
	/** The invoices of _metadata.json; never NULL (empty when the
	 *  package had none). */
	const ksef_api_invoice_metadata_list *invoices;
} ksef_api_export_result;

/**
 * Download a built package's parts in order from their links (no token;
 * each checked against encryptedPartSize and encryptedPartHash),
 * decrypt each with env (AES-256-CBC), join them into one ZIP file kept
 * on the disk (memory use does not grow with the package), and unpack it
 * into dir. Each file is written under a temporary name and renamed when
 * complete. Entry names must be plain file names: an absolute name, a
 * folder, "..", a link or any entry that is not a regular file is refused
 * (KSEF_EFORMAT) before anything of it is written. _metadata.json is
 * unpacked too and read into the result.
 *
 * @param[out] out  receives what was unpacked; free it with
 *                  ksef_api_export_result_free(). NULL on failure.
 * @param c         the client (its TLS settings and timeouts).
 * @param st        a status with code 200 and a package.
 * @param env       the envelope the export was started with.
 * @param dir       an existing folder.
 * @param opts      options, or NULL for the defaults.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_EIO, KSEF_ECHECKSUM (a part does not
 *         match its hash), KSEF_ECRYPTO (a part does not decrypt),
 *         KSEF_EFORMAT (not a ZIP, or a hostile entry), KSEF_ETOOBIG
 *         (over a KSEF_EXPORT_* limit), KSEF_EPARSE (_metadata.json),
 *         or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_invoices_export_fetch(
	ksef_api_export_result **out, ksef_client *c,
	const ksef_api_export_status *st, const ksef_envelope *env,
	const char *dir, const ksef_export_fetch_options *opts,
	ksef_error *err);

/**
 * Free a fetch's result.
 *
 * @param r the result; NULL does nothing.
 */
KSEF_API void ksef_api_export_result_free(ksef_api_export_result *r);

/**
 * Where the next window of an incremental retrieval starts
 * (przyrostowe-pobieranie-faktur.md, "Strategia kontynuacji paczek"):
 * the package's lastPermanentStorageDate when it is truncated, else its
 * permanentStorageHwmDate, else the window's end.
 *
 * @param pkg     a built package of an export by PermanentStorage.
 * @param to_ms   the window's dateRange.to, or KSEF_TIME_UNSET.
 * @return the instant, or KSEF_TIME_UNSET when none is known (the window
 *         is to be asked for again).
 */
KSEF_API int64_t ksef_export_next_from(const ksef_api_export_package *pkg,
				       int64_t to_ms);

KSEF_END_DECLS

#endif
