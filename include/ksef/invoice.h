/*
 * invoice.h - form codes, the official schema set, and invoice verification
 * as KSeF performs it (faktury/weryfikacja-faktury.md): the XML rules, the
 * XSD of the declared form code, and what the later checks of a server
 * need from the document.
 *
 * Ownership: a ksef_schemas is shared read-only by any number of threads
 * once created; a ksef_verdict belongs to the caller and every string it
 * returns is borrowed until ksef_verdict_free().
 */
#ifndef KSEF_INVOICE_H
#define KSEF_INVOICE_H

#include "common.h"
#include "error.h"

KSEF_BEGIN_DECLS

/** The form codes an interactive session may declare (SPEC 7.6). */
typedef enum ksef_form {
	KSEF_FORM_FA2 = 0,     /**< FA (2), 1-0E, value FA */
	KSEF_FORM_FA3 = 1,     /**< FA (3), 1-0E, value FA */
	KSEF_FORM_PEF3 = 2,    /**< PEF (3), 2-1, value PEF */
	KSEF_FORM_PEF_KOR3 = 3, /**< PEF_KOR (3), 2-1, value PEF */
	KSEF_FORM_FA_RR1 = 4,  /**< FA_RR (1), 1-1E, value FA_RR */
	KSEF_FORM_COUNT = 5
} ksef_form;

/**
 * The three strings of OpenOnlineSessionRequest.formCode.
 *
 * Frozen: returned by value, so it never grows (docs/abi.md).
 */
typedef struct ksef_form_code {
	const char *system_code;    /**< e.g. "FA (3)"; the space matters */
	const char *schema_version; /**< e.g. "1-0E" */
	const char *value;          /**< e.g. "FA" */
} ksef_form_code;

/**
 * Find the form whose formCode is exactly (system_code, schema_version,
 * value). Comparison is exact, as the API's is.
 *
 * @param[out] out  receives the form.
 * @param code      the three strings; none may be NULL.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, or KSEF_ENOTFOUND for an unsupported form code.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_form_from_code(ksef_form *out,
	const ksef_form_code *code, ksef_error *err);

/**
 * The formCode strings of a form.
 *
 * @param form a ksef_form.
 * @return static strings, or all NULL for a value outside the enum.
 */
KSEF_API ksef_form_code ksef_form_code_of(ksef_form form);

/**
 * The namespace URI of a form's root element, e.g.
 * "http://crd.gov.pl/wzor/2025/06/25/13775/" for FA (3).
 *
 * @return a static string, or NULL for a value outside the enum.
 */
KSEF_API const char *ksef_form_namespace(ksef_form form);

/**
 * The schema file of a form, relative to the schema folder (laid out as
 * FA/, FA/bazowe/, PEF/, PEF/bazowe/, RR/), e.g. "FA/schemat_FA(3)_v1-0E.xsd".
 *
 * @return a static string, or NULL for a value outside the enum.
 */
KSEF_API const char *ksef_form_schema_file(ksef_form form);

/**
 * Tell which form a document claims to be, from its root element's name
 * and namespace, so a client can open a session with the right form code.
 * The document is parsed with the same safe parser as verification.
 *
 * @param[out] out  receives the form.
 * @param xml       the document; need not end in a NUL.
 * @param len       its length, at most KSEF_INVOICE_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE (not well-formed XML),
 *         KSEF_ENOTFOUND (a root no form has) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_form_detect(ksef_form *out,
	const unsigned char *xml, size_t len, ksef_error *err);

/** The official schemas, each compiled at most once, shared by threads. */
typedef struct ksef_schemas ksef_schemas;

/**
 * Open a folder of official schemas. Nothing is compiled yet: each form's
 * schema is compiled on first use (or by ksef_schemas_compile()) and kept.
 * Imports by http://crd.gov.pl/... URL resolve to the folder's bazowe/
 * files; nothing is ever fetched from the network.
 *
 * @param[out] out  receives the set; free it with ksef_schemas_free().
 * @param dir       the folder; NULL (or "") means the first of:
 *                  $KSEF_SCHEMA_DIR; the user's data folder
 *                  ($XDG_DATA_HOME/ksef/schemas, else
 *                  ~/.local/share/ksef/schemas) if it exists; the
 *                  installation's <datadir>/ksef/schemas.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ENOTFOUND (no such folder) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_schemas_new(ksef_schemas **out,
	const char *dir, ksef_error *err);

/**
 * Compile one form's schema now, unless it already is. Safe to call from
 * several threads; compilation happens once.
 *
 * @param schemas  from ksef_schemas_new().
 * @param form     the form.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ESCHEMA (missing file or compile error) or
 *         KSEF_ENOMEM. A failure is remembered and returned again.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_schemas_compile(ksef_schemas *schemas,
	ksef_form form, ksef_error *err);

/**
 * The folder the set reads.
 *
 * @return a string borrowed until ksef_schemas_free().
 */
KSEF_API const char *ksef_schemas_dir(const ksef_schemas *schemas);

/**
 * Free a schema set. No verification may be running on it.
 *
 * @param schemas the set; NULL does nothing.
 */
KSEF_API void ksef_schemas_free(ksef_schemas *schemas);

/** Invoice status codes (SPEC 5.2) that verification can produce. */
#define KSEF_INVOICE_STATUS_ACCEPTED 100  /**< received, not verified yet */
#define KSEF_INVOICE_STATUS_PROCESSING 150
#define KSEF_INVOICE_STATUS_OK 200        /**< passed every check */
#define KSEF_INVOICE_STATUS_SESSION_ERROR 405
#define KSEF_INVOICE_STATUS_PERMISSION 410
#define KSEF_INVOICE_STATUS_ATTACHMENT 415
#define KSEF_INVOICE_STATUS_FILE 430      /**< not an acceptable XML file */
#define KSEF_INVOICE_STATUS_DECRYPT 435
#define KSEF_INVOICE_STATUS_DUPLICATE 440
#define KSEF_INVOICE_STATUS_SEMANTIC 450  /**< schema or business rule */
#define KSEF_INVOICE_STATUS_UNKNOWN 500
#define KSEF_INVOICE_STATUS_CANCELLED 550

/**
 * The official description of an invoice status code (SPEC 5.2), verbatim
 * in Polish as the API returns it.
 *
 * @return a static string; NULL for a code the API does not define.
 */
KSEF_API const char *ksef_invoice_status_description(int status);

/** What verification may check beyond the XML rules and the schema. */
typedef struct ksef_verify_options {
	int version; /**< KSEF_VERIFY_OPTIONS_VERSION */
	/** Largest invoice accepted, in bytes; 0 means
	 *  KSEF_INVOICE_MAX_BYTES_PLAIN. Never above KSEF_INVOICE_MAX_BYTES. */
	size_t max_bytes;
	/** Non-zero: an attachment (Zalacznik) makes the status 415, as in an
	 *  interactive session. */
	int reject_attachments;
	/** "YYYY-MM-DD" acceptance date; P_1 after it makes the status 450.
	 *  NULL skips the check. */
	const char *acceptance_date;
	/** Non-zero: check the NIP checksums of Podmiot1/2/3 and
	 *  PodmiotUpowazniony and of Podmiot3's IDWew, as production KSeF
	 *  does (status 450). */
	int check_nip_checksums;
	/** Since version 2: the milliseconds of the calling thread's CPU time
	 *  verification may spend, the form's schema compilation excluded;
	 *  past it the status is 450 and the detail says so. Parsing stops as
	 *  soon as the budget is spent; schema validation is judged at its
	 *  end. 0 means no budget. */
	unsigned cpu_budget_ms;
} ksef_verify_options;

/**
 * The version of ksef_verify_options this header describes. The library
 * takes a struct of any version from 1 to its own, reading only the fields
 * that version has and leaving later ones at their defaults.
 */
#define KSEF_VERIFY_OPTIONS_VERSION 2
#define KSEF_VERIFY_OPTIONS_INIT \
	{ KSEF_VERIFY_OPTIONS_VERSION, 0, 0, NULL, 0, 0 }

/** The outcome of verifying one invoice. */
typedef struct ksef_verdict ksef_verdict;

/**
 * Verify one invoice against the rules of faktury/weryfikacja-faktury.md
 * and the schema of `form`, and extract the fields later checks need.
 *
 * The document is parsed once, with no DTD (any DOCTYPE is refused),
 * no entity expansion and no network, and only if it is within the size
 * limit. A rejected invoice is not an error of this function: it returns
 * 0 and the verdict's status says why.
 *
 * @param[out] out  receives the verdict; free it with ksef_verdict_free().
 * @param schemas   from ksef_schemas_new(); the form's schema is compiled
 *                  on first use.
 * @param form      the form code declared for the session.
 * @param xml       the invoice bytes; need not end in a NUL.
 * @param len       their length.
 * @param opts      options, or NULL for KSEF_VERIFY_OPTIONS_INIT.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0 (see ksef_verdict_status()), KSEF_EINVAL, KSEF_ESCHEMA (the
 *         form's schema cannot be compiled) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_invoice_verify(ksef_verdict **out,
	ksef_schemas *schemas, ksef_form form, const unsigned char *xml,
	size_t len, const ksef_verify_options *opts, ksef_error *err);

/**
 * The invoice status code the server reports: KSEF_INVOICE_STATUS_OK (200)
 * when every check passed, else 430, 415 or 450.
 */
KSEF_API int ksef_verdict_status(const ksef_verdict *v);

/** How many readable details the verdict holds (at most
 *  KSEF_VERIFY_MAX_DETAILS; the first is the main reason). */
KSEF_API size_t ksef_verdict_detail_count(const ksef_verdict *v);

/**
 * One detail, e.g. "line 12: Element 'P_2': [facet 'maxLength'] ...".
 *
 * @return a string borrowed until ksef_verdict_free(), or NULL past the end.
 */
KSEF_API const char *ksef_verdict_detail(const ksef_verdict *v, size_t i);

/** The input line of the first problem, or 0 if unknown or none. */
KSEF_API int ksef_verdict_line(const ksef_verdict *v);

/** Fields taken from an invoice (NULL when absent or not reached). */
typedef enum ksef_field {
	KSEF_FIELD_SELLER_NIP = 0,   /**< Podmiot1/DaneIdentyfikacyjne/NIP */
	KSEF_FIELD_INVOICE_KIND = 1, /**< Fa/RodzajFaktury */
	KSEF_FIELD_INVOICE_NUMBER = 2, /**< Fa/P_2 */
	KSEF_FIELD_ISSUE_DATE = 3,   /**< Fa/P_1 */
	KSEF_FIELD_BUYER_NIP = 4,    /**< Podmiot2/DaneIdentyfikacyjne/NIP */
	KSEF_FIELD_BUYER_EU_VAT = 5, /**< Podmiot2 KodUE + NrVatUE */
	KSEF_FIELD_BUYER_OTHER_ID = 6, /**< Podmiot2 KodKraju:NrID */
	KSEF_FIELD_COUNT = 7
} ksef_field;

/**
 * A field of the verified invoice. Fields are extracted whenever the
 * document is well-formed, even when a later check rejects it, so a server
 * can still tell which invoice failed.
 *
 * @return a string borrowed until ksef_verdict_free(), or NULL.
 */
KSEF_API const char *ksef_verdict_field(const ksef_verdict *v,
	ksef_field field);

/** Whether the invoice carries an attachment (Faktura/Zalacznik). */
KSEF_API int ksef_verdict_has_attachment(const ksef_verdict *v);

/** How many Podmiot3 (third parties) the invoice names. */
KSEF_API size_t ksef_verdict_third_party_count(const ksef_verdict *v);

/**
 * The identifier of the i-th Podmiot3, as "NIP:<nip>", "IDWew:<id>",
 * "UE:<code><number>", "ID:<country>:<number>" or "BrakID".
 *
 * @return a string borrowed until ksef_verdict_free(), or NULL past the end.
 */
KSEF_API const char *ksef_verdict_third_party(const ksef_verdict *v,
	size_t i);

/** What an invoice's metadata needs besides its fields (FA forms; NULL
 *  for PEF and FA_RR, and when absent). */
typedef enum ksef_summary {
	KSEF_SUMMARY_SELLER_NAME = 0, /**< Podmiot1/DaneIdentyfikacyjne/Nazwa */
	KSEF_SUMMARY_BUYER_NAME = 1,  /**< Podmiot2/DaneIdentyfikacyjne/Nazwa */
	KSEF_SUMMARY_CURRENCY = 2,    /**< Fa/KodWaluty */
	KSEF_SUMMARY_NET = 3,   /**< the sum of Fa/P_13_*, e.g. "100.00" */
	KSEF_SUMMARY_VAT = 4,   /**< the sum of Fa/P_14_1..5 (not ..W) */
	KSEF_SUMMARY_GROSS = 5, /**< Fa/P_15 as a decimal, e.g. "123.00" */
	KSEF_SUMMARY_SELF_INVOICING = 6, /**< Fa/Adnotacje/P_17: "1" or "2" */
	KSEF_SUMMARY_AUTHORIZED_NIP = 7, /**< PodmiotUpowazniony NIP */
	KSEF_SUMMARY_AUTHORIZED_ROLE = 8, /**< PodmiotUpowazniony/RolaPU */
	KSEF_SUMMARY_COUNT = 9
} ksef_summary;

/**
 * A summary value of the verified invoice, extracted whenever the document
 * is well-formed. Amounts are decimals with two places, summed in grosze;
 * an amount that is not a decimal with at most two places gives NULL.
 *
 * @return a string borrowed until ksef_verdict_free(), or NULL.
 */
KSEF_API const char *ksef_verdict_summary(const ksef_verdict *v,
	ksef_summary which);

/**
 * The role (Podmiot3/Rola) of the i-th third party, or 0 when absent or
 * past the end.
 */
KSEF_API int ksef_verdict_third_party_role(const ksef_verdict *v, size_t i);

/**
 * Free a verdict.
 *
 * @param v the verdict; NULL does nothing.
 */
KSEF_API void ksef_verdict_free(ksef_verdict *v);

KSEF_END_DECLS

#endif
