/*
 * client_batch_int.h - what the files of the batch client share:
 * client_batch.c (the ksef_batch object and its package: ZIP, split,
 * encryption), client_batch_api.c (the open request's body and answer,
 * the close), client_batch_upload.c (the parts put in parallel) and
 * client_batch_send.c (open, put, close, wait, list, UPOs). The unit tests
 * reach the body builder, to hold it against open-api.json.
 */
#ifndef KSEF_CLIENT_BATCH_INT_H
#define KSEF_CLIENT_BATCH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ksef/client_batch.h"
#include "ksef/envelope.h"
#include "client_int.h"

/* One encrypted part in the batch's temporary file. */
struct ksef__batch_part {
	int64_t offset;     /* where its ciphertext starts in the file */
	int64_t plain_size; /* bytes of the package it holds */
	int64_t enc_size;   /* fileSize: bytes of ciphertext */
	char hash[KSEF_SHA256_B64_LEN + 1]; /* fileHash of the ciphertext */
};

/* The most headers one part's upload may name, and their lengths. */
#define KSEF__BATCH_HEADERS_MAX 16
#define KSEF__BATCH_HEADER_NAME_MAX 128
#define KSEF__BATCH_HEADER_VALUE_MAX 1024
/* The longest pre-signed link taken. */
#define KSEF__BATCH_URL_MAX 8192

/* One item of partUploadRequests. */
struct ksef__batch_upload {
	int ordinal;          /* ordinalNumber, 1 to KSEF_BATCH_MAX_PARTS */
	const char *method;   /* "PUT" */
	const char *url;      /* printable ASCII, a credential: never shown */
	size_t header_count;
	const char *const *names;  /* header_count of each */
	const char *const *values;
};

/* OpenBatchSessionResponse, a result (ksef__result_free()). */
struct ksef__batch_opened {
	const char *reference_number;
	struct ksef__list uploads; /* of struct ksef__batch_upload */
};

/* One file of the batch, and where its name sorts. */
struct ksef__batch_name {
	const char *name; /* the entry name, borrowed from files[i] */
	size_t index;
};

struct ksef_batch {
	ksef_form form;
	ksef_batch_options o;      /* temp_dir points at temp_dir below */
	char *temp_dir;
	int fd;                    /* the unlinked temporary file, or -1 */
	ksef_envelope *env;        /* SECRET; freed once the session closed */
	int64_t package_size;
	char package_hash[KSEF_SHA256_B64_LEN + 1];
	struct ksef__batch_part parts[KSEF_BATCH_MAX_PARTS];
	size_t part_count;
	size_t count;              /* files */
	char **files;              /* the paths, copied */
	struct ksef__batch_name *by_name; /* count, sorted by name */
	ksef_session_invoice *inv; /* count; strings malloc'd */
	/* Sending: set by ksef_batch_send(). */
	ksef_conn *conn;           /* borrowed */
	ksef_client *client;       /* the batch's own */
	unsigned long token_gen;
	int sent;
	char ref[KSEF_REFNUM_BUFSZ];
	int status;
	char *status_description;
	char *status_details;
	char **upo_refs;
	size_t upo_count;
	int page_size;             /* of the invoice list; 0: the largest */
};

/* Tests only: read the session's invoice list in pages of n (10 to
 * 1000) instead of the largest, so that a small batch has several. */
void ksef__batch_set_page_size(ksef_batch *b, int n);

/* The entry name of a path: what follows its last '/'. */
const char *ksef__batch_base_name(const char *path);

/* Name an entry and write its header (client_batch.c): 0 or -1. Apart
 * so that tests/alloc can spare what libarchive allocates in it. */
struct archive;
struct archive_entry;
int ksef__batch_entry_header(struct archive *a, struct archive_entry *ae,
			     const char *name);

/* What POST /sessions/batch declares: the package and its parts. */
struct ksef__batch_decl {
	ksef_form form;
	int64_t package_size;
	const char *package_hash;
	const struct ksef__batch_part *parts;
	size_t part_count;
	int offline_mode;
};

/* OpenBatchSessionRequest: the key wrapped under key, as for an online
 * session. *out is a new reference, or NULL on failure. */
int ksef__client_build_open_batch_body(json_t **out,
	const struct ksef__batch_decl *d, const ksef_envelope *env,
	const ksef_pubkey *key, ksef_error *err);

/* POST /sessions/batch under the client's access token. The answer must
 * give one PUT link per declared part (else KSEF_EPARSE). *out is freed
 * with ksef__result_free(). */
int ksef__client_batch_open(struct ksef__batch_opened **out, ksef_client *c,
	const struct ksef__batch_decl *d, const ksef_envelope *env,
	const ksef_pubkey *key, ksef_error *err);

/* The link of part `ordinal` in an open answer, or NULL. */
const struct ksef__batch_upload *ksef__batch_upload_of(
	const struct ksef__batch_opened *o, int ordinal);

/*
 * Put every part of the file fd to its link, at most `parallel` at once,
 * with the transport settings of c (timeouts, CA, proxy, retries) and no
 * access token. Returns 0, or the first failure: KSEF_EHTTP (a status
 * other than 2xx, after the retries a 5xx allows), KSEF_ENETWORK,
 * KSEF_EIO (reading the file), KSEF_ENOMEM.
 */
int ksef__batch_upload_parts(const ksef_client *c, int fd,
	const struct ksef__batch_part *parts, size_t count,
	const struct ksef__batch_opened *opened, int parallel,
	ksef_error *err);

#endif
