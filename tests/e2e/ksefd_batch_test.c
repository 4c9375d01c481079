/*
 * ksefd_batch_test.c - batch sessions against the real ksefd: a package of
 * generated FA (3) invoices built with libarchive, encrypted and split
 * with libksef's envelope, opened with a raw call, its parts put to the
 * pre-signed links, closed and polled until every invoice is decided
 * (200, with its UPO, its file name in the listing). Every refusal: too
 * many parts, a part of the wrong hash, a missing part, a package whose
 * hash or kind is wrong, and each hostile archive (a bomb, a path out of
 * the package, a nested archive, a repeated name, a link). Duplicates are
 * found from an online session into a batch and back. Answers are held
 * against open-api.json.
 */
#include "testsupport.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "ksef/ksef.h"
#include "contract.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"

static struct ksefd_proc srv;
static char token_main[256];
static struct login user;
static char today[KSEF_DATE_BUFSZ];

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0 || contract_load() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, NULL);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token_main,
		    sizeof(token_main));
	login(&user, &srv, NIP, token_main);
	date_from_today(today, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	logout(&user);
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	contract_unload();
	return 0;
}

static const char *bearer(void)
{
	return user.tokens->access_token->token;
}

/* A request and its answer, held against the operation `method tpath`
 * of the contract when it has one; the parsed body (NULL for none). */
static json_t *call(const char *method, const char *tpath, const char *path,
		    const char *body, long want, int *code)
{
	struct raw_response r;
	const json_t *schema;
	json_t *doc = NULL;
	char lower[8], why[512] = "";
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(method[i] | 0x20);
	lower[i] = '\0';
	raw_request(&r, method, url(&srv, path), bearer(), NULL, body,
		    body ? strlen(body) : 0);
	if (r.status != want)
		fail_msg("%s %s: %ld, expected %ld: %s", method, path,
			 r.status, want, r.body);
	if (code != NULL)
		*code = raw_error_code(&r);
	if (r.len > 0 && strncmp(r.content_type, "application/json", 16) == 0) {
		doc = raw_json(&r);
		schema = contract_response_schema(tpath, lower, (int)r.status,
						  "application/json");
		if (schema == NULL)
			fail_msg("%s %s: no schema for %ld", method, tpath,
				 r.status);
		if (contract_check(doc, schema, "body", why, sizeof(why)) != 0)
			fail_msg("%s %s (%ld): %s\n%s", method, path, r.status,
				 why, r.body);
	}
	raw_free(&r);
	return doc;
}

/* ---- packages ---- */

struct entry {
	const char *name;
	const void *data;
	size_t len;
	int symlink;
};

static la_ssize_t put_bytes(struct archive *a, void *ctx, const void *buf,
			    size_t n)
{
	(void)a;
	if (ksef_buf_append(ctx, buf, n, (size_t)1 << 30) != 0)
		return -1;
	return (la_ssize_t)n;
}

/* Entries stored, not compressed (a ZIP whose parts are large). */
static int store_only;

static void make_archive(ksef_buf *out, int targz, const struct entry *e,
			 size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	size_t i;

	if (targz) {
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		assert_int_equal(archive_write_set_format_pax_restricted(a),
				 ARCHIVE_OK);
	} else {
		assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
		if (store_only)
			assert_int_equal(archive_write_set_options(a,
				"zip:compression=store"), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_open(a, out, NULL, put_bytes, NULL),
			 ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_perm(ae, 0644);
		if (e[i].symlink) {
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, "/etc/passwd");
			archive_entry_set_size(ae, 0);
		} else {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)e[i].len);
		}
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (!e[i].symlink && e[i].len > 0)
			assert_int_equal(archive_write_data(a, e[i].data,
				e[i].len), (la_ssize_t)e[i].len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* n generated invoices, named inv-<i>.xml, into a package. */
static void invoices_package(ksef_buf *out, int targz, const char *prefix,
			     size_t n)
{
	struct entry *e = calloc(n, sizeof(*e));
	ksef_buf *xml = calloc(n, sizeof(*xml));
	char (*names)[32] = calloc(n, sizeof(*names));
	size_t i;

	for (i = 0; i < n; i++) {
		gen(&xml[i], KSEF_FORM_FA3, NIP, prefix, i + 1, today);
		snprintf(names[i], sizeof(names[i]), "inv-%zu.xml", i + 1);
		e[i].name = names[i];
		e[i].data = xml[i].ptr;
		e[i].len = xml[i].size;
	}
	make_archive(out, targz, e, n);
	for (i = 0; i < n; i++)
		ksef_buf_dispose(&xml[i]);
	free(xml);
	free(e);
	free(names);
}

/* ---- a batch session ---- */

struct batch {
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_envelope *env;
	size_t nparts;
	ksef_buf ct[64];
	json_t *uploads;          /* partUploadRequests */
};

static char *b64(const void *p, size_t n)
{
	ksef_buf b = KSEF_BUF_INIT;
	char *s;

	assert_int_equal(ksef_base64_encode(&b, p, n, NULL), 0);
	s = strndup((const char *)b.ptr, b.size);
	ksef_buf_dispose(&b);
	return s;
}

static char *hash_of(const void *p, size_t n)
{
	char h[KSEF_SHA256_B64_LEN + 1];

	assert_int_equal(ksef_sha256_base64(h, p, n, NULL), 0);
	return strdup(h);
}

/* A part encrypted as a stream, in pieces of 64 KiB, as a client would
 * a part of 100 MB. */
static void encrypt_part(ksef_buf *out, const ksef_envelope *env,
			 const unsigned char *p, size_t n)
{
	ksef_envelope_stream *s = NULL;
	size_t off, k;

	assert_int_equal(ksef_envelope_stream_new(&s, env, 1, NULL), 0);
	for (off = 0; off < n; off += k) {
		k = n - off < 65536 ? n - off : 65536;
		assert_int_equal(ksef_envelope_stream_update(s, out, p + off, k,
			(size_t)1 << 30, NULL), 0);
	}
	assert_int_equal(ksef_envelope_stream_final(s, out, (size_t)1 << 30,
						    NULL), 0);
	ksef_envelope_stream_free(s);
}

/*
 * Split pkg into nparts as sesja-wsadowa.md's example does, encrypt each
 * and open the session declaring them: declared_parts overrides the
 * number of parts declared (for the limit), file_hash the package's hash,
 * compression the compressionType (NULL: none). The answer's status is
 * `want`; on 201 b holds the session and its links, otherwise *code the
 * exception code.
 */
static void open_batch(struct batch *b, const ksef_buf *pkg, size_t nparts,
		       size_t declared_parts, const char *file_hash,
		       const char *compression, long want, int *code)
{
	ksef_pubkey *key = server_key(user.c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	ksef_buf wrapped = KSEF_BUF_INIT;
	size_t part = (pkg->size + nparts - 1) / nparts, i;
	json_t *body, *parts, *fc, *bf, *ans;
	char *text, *h, *k, *iv;

	memset(b, 0, sizeof(*b));
	assert_int_equal(ksef_envelope_new(&b->env, NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&wrapped, b->env, key, NULL),
			 0);
	b->nparts = nparts;
	parts = json_array();
	for (i = 0; i < declared_parts; i++) {
		size_t off = (i % nparts) * part,
		       len = off + part > pkg->size ? pkg->size - off : part;

		if (i < nparts)
			encrypt_part(&b->ct[i], b->env, pkg->ptr + off, len);
		h = hash_of(b->ct[i % nparts].ptr, b->ct[i % nparts].size);
		json_array_append_new(parts, json_pack("{s:i,s:I,s:s}",
			"ordinalNumber", (int)(i + 1), "fileSize",
			(json_int_t)b->ct[i % nparts].size, "fileHash", h));
		free(h);
	}
	h = file_hash ? strdup(file_hash) : hash_of(pkg->ptr, pkg->size);
	k = b64(wrapped.ptr, wrapped.size);
	iv = b64(ksef_envelope_iv(b->env), KSEF_AES_IV_LEN);
	fc = json_pack("{s:s,s:s,s:s}", "systemCode", "FA (3)",
		       "schemaVersion", "1-0E", "value", "FA");
	bf = json_pack("{s:I,s:s,s:o}", "fileSize", (json_int_t)pkg->size,
		       "fileHash", h, "fileParts", parts);
	if (compression != NULL)
		json_object_set_new(bf, "compressionType",
				    json_string(compression));
	body = json_pack("{s:o,s:o,s:{s:s,s:s}}", "formCode", fc,
		"batchFile", bf, "encryption", "encryptedSymmetricKey", k,
		"initializationVector", iv);
	text = json_dumps(body, JSON_COMPACT);
	ans = call("POST", "/sessions/batch", "/sessions/batch", text, want,
		   code);
	if (want == 201) {
		snprintf(b->ref, sizeof(b->ref), "%s", json_string_value(
			json_object_get(ans, "referenceNumber")));
		b->uploads = json_incref(json_object_get(ans,
			"partUploadRequests"));
		assert_int_equal(json_array_size(b->uploads), nparts);
	}
	json_decref(ans);
	json_decref(body);
	free(text);
	free(h);
	free(k);
	free(iv);
	ksef_buf_dispose(&wrapped);
	ksef_pubkey_free(key);
}

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nparts; i++)
		ksef_buf_dispose(&b->ct[i]);
	ksef_envelope_free(b->env);
	json_decref(b->uploads);
}

/* PUT part i (0-based) of b, or other bytes: the HTTP status. */
static long put_part(struct batch *b, size_t i, const ksef_buf *other)
{
	json_t *u = json_array_get(b->uploads, i);
	const ksef_buf *body = other ? other : &b->ct[i];
	struct raw_response r;
	long st;

	assert_string_equal(json_string_value(json_object_get(u, "method")),
			    "PUT");
	raw_request(&r, "PUT", json_string_value(json_object_get(u, "url")),
		    NULL, "x-ms-blob-type: BlockBlob", (const char *)body->ptr,
		    body->size);
	st = r.status;
	raw_free(&r);
	return st;
}

static void close_batch(struct batch *b, long want, int want_code)
{
	char path[128];
	int code = 0;
	json_t *ans;

	snprintf(path, sizeof(path), "/sessions/batch/%s/close", b->ref);
	ans = call("POST", "/sessions/batch/{referenceNumber}/close", path,
		   NULL, want, &code);
	if (want_code)
		assert_int_equal(code, want_code);
	json_decref(ans);
}

/* Poll the session until it leaves 100/150; its status code. */
static int wait_batch(struct batch *b, json_t **out)
{
	char path[128];
	json_t *ans = NULL;
	int code = 0, i;

	snprintf(path, sizeof(path), "/sessions/%s", b->ref);
	for (i = 0; i < 1200; i++) {
		ans = call("GET", "/sessions/{referenceNumber}", path, NULL,
			   200, NULL);
		code = (int)json_integer_value(json_object_get(
			json_object_get(ans, "status"), "code"));
		if (code != 100 && code != 150)
			break;
		json_decref(ans);
		ans = NULL;
		e2e_sleep_us(50000);
	}
	if (out != NULL)
		*out = ans;
	else
		json_decref(ans);
	return code;
}

/* The whole of it for a good package: open, put, close, wait. */
static int send_package(struct batch *b, const ksef_buf *pkg, size_t nparts,
			const char *compression, json_t **status)
{
	size_t i;

	open_batch(b, pkg, nparts, nparts, NULL, compression, 201, NULL);
	for (i = 0; i < nparts; i++)
		assert_int_equal(put_part(b, i, NULL), 201);
	close_batch(b, 204, 0);
	return wait_batch(b, status);
}

/* The session's invoices (all, pageSize 1000). */
static json_t *invoices(struct batch *b)
{
	char path[160];

	snprintf(path, sizeof(path), "/sessions/%s/invoices?pageSize=1000",
		 b->ref);
	return call("GET", "/sessions/{referenceNumber}/invoices", path, NULL,
		    200, NULL);
}

/* ---- tests ---- */

static void a_package_of_200_invoices_in_3_parts_is_processed(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT, upo = KSEF_BUF_INIT;
	struct batch b;
	json_t *st, *doc, *list, *inv, *pages;
	char *t;
	struct raw_response r;
	char path[200];
	size_t i;
	int seen[201] = { 0 };

	(void)state;
	invoices_package(&pkg, 0, "BATCH-A/", 200);
	assert_int_equal(send_package(&b, &pkg, 3, NULL, &st), 200);
	assert_int_equal(json_integer_value(json_object_get(st,
		"invoiceCount")), 200);
	assert_int_equal(json_integer_value(json_object_get(st,
		"successfulInvoiceCount")), 200);
	pages = json_object_get(json_object_get(st, "upo"), "pages");
	assert_true(json_array_size(pages) >= 1);
	/* The session's UPO page, by its pre-signed link. */
	raw_request(&r, "GET", json_string_value(json_object_get(
		json_array_get(pages, 0), "downloadUrl")), NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, b.ref));
	raw_free(&r);
	json_decref(st);

	doc = invoices(&b);
	list = json_object_get(doc, "invoices");
	assert_int_equal(json_array_size(list), 200);
	for (i = 0; i < 200; i++) {
		const char *name;
		unsigned k = 0;

		inv = json_array_get(list, i);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(inv, "status"), "code")), 200);
		assert_non_null(json_string_value(json_object_get(inv,
			"ksefNumber")));
		assert_non_null(json_string_value(json_object_get(inv,
			"upoDownloadUrl")));
		name = json_string_value(json_object_get(inv,
			"invoiceFileName"));
		assert_non_null(name);
		assert_int_equal(sscanf(name, "inv-%u.xml", &k), 1);
		assert_true(k >= 1 && k <= 200 && !seen[k]);
		seen[k] = 1;
	}
	/* An invoice's UPO through the API. */
	snprintf(path, sizeof(path), "/sessions/%s/invoices/%s/upo", b.ref,
		 json_string_value(json_object_get(json_array_get(list, 0),
						   "referenceNumber")));
	raw_request(&r, "GET", url(&srv, path), bearer(), NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	raw_free(&r);
	json_decref(doc);
	/* The session is listed among batch sessions, not online ones. */
	st = call("GET", "/sessions",
		  "/sessions?sessionType=Batch&pageSize=100", NULL, 200, NULL);
	t = json_dumps(st, 0);
	assert_non_null(strstr(t, b.ref));
	free(t);
	json_decref(st);
	st = call("GET", "/sessions",
		  "/sessions?sessionType=Online&pageSize=100", NULL, 200, NULL);
	t = json_dumps(st, 0);
	assert_null(strstr(t, b.ref));
	free(t);
	json_decref(st);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
	ksef_buf_dispose(&upo);
}

static void a_targz_package_is_processed_like_a_zip(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT;
	struct batch b;

	(void)state;
	invoices_package(&pkg, 1, "BATCH-T/", 3);
	assert_int_equal(send_package(&b, &pkg, 1, "TarGz", NULL), 200);
	batch_free(&b);
	/* ... and a ZIP declared TarGz is not one. */
	ksef_buf_dispose(&pkg);
	invoices_package(&pkg, 0, "BATCH-T2/", 2);
	assert_int_equal(send_package(&b, &pkg, 1, "TarGz", NULL), 405);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
}

static void declarations_over_the_limits_are_refused(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT;
	struct batch b;
	int code = 0;

	(void)state;
	invoices_package(&pkg, 0, "BATCH-L/", 2);
	open_batch(&b, &pkg, 1, 51, NULL, NULL, 400, &code);
	assert_int_equal(code, 21161);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
}

static void a_part_of_the_wrong_hash_or_missing_stops_the_close(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT, other = KSEF_BUF_INIT;
	struct batch b;

	(void)state;
	invoices_package(&pkg, 0, "BATCH-H/", 4);
	open_batch(&b, &pkg, 2, 2, NULL, NULL, 201, NULL);
	assert_int_equal(put_part(&b, 0, NULL), 201);
	/* Part 2 of other bytes of its size: refused. */
	assert_int_equal(ksef_buf_append(&other, b.ct[1].ptr, b.ct[1].size,
					 b.ct[1].size), 0);
	other.ptr[0] ^= 1;
	assert_int_equal(put_part(&b, 1, &other), 400);
	/* A shorter one too. */
	other.size--;
	assert_int_equal(put_part(&b, 1, &other), 400);
	/* So part 2 is missing. */
	close_batch(&b, 400, 21205);
	/* Put right, it closes. */
	assert_int_equal(put_part(&b, 1, NULL), 201);
	close_batch(&b, 204, 0);
	assert_int_equal(wait_batch(&b, NULL), 200);
	/* Closed, it takes no part and no second close. */
	assert_int_equal(put_part(&b, 0, NULL), 403);
	close_batch(&b, 400, 21180);
	batch_free(&b);
	ksef_buf_dispose(&other);
	ksef_buf_dispose(&pkg);
}

static void a_package_not_as_declared_fails_with_405(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT;
	struct batch b;
	size_t i;

	(void)state;
	/* Not a ZIP at all. */
	for (i = 0; i < 3000; i++)
		assert_int_equal(ksef_buf_append(&pkg, "garbage!", 8, 1 << 20),
				 0);
	assert_int_equal(send_package(&b, &pkg, 1, NULL, NULL), 405);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
	/* A ZIP whose declared hash is another's. */
	invoices_package(&pkg, 0, "BATCH-W/", 2);
	open_batch(&b, &pkg, 1, 1,
		   "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", NULL, 201,
		   NULL);
	assert_int_equal(put_part(&b, 0, NULL), 201);
	close_batch(&b, 204, 0);
	assert_int_equal(wait_batch(&b, NULL), 405);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
}

/* A package of one hostile element among good invoices: 405, and none of
 * its invoices is stored. */
static void assert_refused(const struct entry *bad, int first,
			   const char *detail)
{
	ksef_buf xml = KSEF_BUF_INIT, pkg = KSEF_BUF_INIT;
	struct entry e[3];
	struct batch b;
	json_t *st;
	static int series;
	char prefix[32], *text;

	snprintf(prefix, sizeof(prefix), "BATCH-X%d/", ++series);
	gen(&xml, KSEF_FORM_FA3, NIP, prefix, 1, today);
	e[0].name = "good.xml";
	e[0].data = xml.ptr;
	e[0].len = xml.size;
	e[0].symlink = 0;
	e[1] = *bad;
	e[2] = e[0];
	e[2].name = "good2.xml";
	if (first) {
		e[2] = e[0];
		e[0] = *bad;
	}
	make_archive(&pkg, 0, e, 3);
	assert_int_equal(send_package(&b, &pkg, 1, NULL, &st), 405);
	assert_null(json_object_get(st, "invoiceCount"));
	/* The status says why. */
	text = json_dumps(json_object_get(json_object_get(st, "status"),
					  "details"), JSON_COMPACT);
	assert_non_null(text);
	if (strstr(text, detail) == NULL)
		fail_msg("details %s do not name '%s'", text, detail);
	free(text);
	json_decref(st);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
	ksef_buf_dispose(&xml);
}

static void hostile_archives_are_refused(void **state)
{
	ksef_buf zeros = KSEF_BUF_INIT, inner = KSEF_BUF_INIT,
		 xml = KSEF_BUF_INIT;
	struct entry e;

	(void)state;
	/* A bomb: 8 MB of one byte compresses some thousand times. */
	assert_int_equal(ksef_buf_reserve(&zeros, 8 << 20, 8 << 20), 0);
	memset(zeros.ptr, ' ', 8 << 20);
	zeros.size = 8 << 20;
	e = (struct entry){ "bomb.xml", zeros.ptr, zeros.size, 0 };
	assert_refused(&e, 1, "kompresji");
	/* Out of the package. */
	gen(&xml, KSEF_FORM_FA3, NIP, "BATCH-P/", 1, today);
	e = (struct entry){ "../escape.xml", xml.ptr, xml.size, 0 };
	assert_refused(&e, 0, "Niedozwolona nazwa");
	e = (struct entry){ "/etc/abs.xml", xml.ptr, xml.size, 0 };
	assert_refused(&e, 0, "Niedozwolona nazwa");
	/* An archive within. */
	make_archive(&inner, 0, &(struct entry){ "a.xml", xml.ptr, xml.size,
						 0 }, 1);
	e = (struct entry){ "inner.zip", inner.ptr, inner.size, 0 };
	assert_refused(&e, 0, "archiwum");
	e = (struct entry){ "inner.xml", inner.ptr, inner.size, 0 };
	assert_refused(&e, 0, "archiwum");
	/* A repeated name. */
	e = (struct entry){ "good.xml", xml.ptr, xml.size, 0 };
	assert_refused(&e, 0, "powtarza");
	/* A link. */
	e = (struct entry){ "link.xml", NULL, 0, 1 };
	assert_refused(&e, 0, "zwykłym plikiem");
	ksef_buf_dispose(&zeros);
	ksef_buf_dispose(&inner);
	ksef_buf_dispose(&xml);
}

static void duplicates_are_found_across_online_and_batch(void **state)
{
	ksef_envelope *env = NULL;
	ksef_api_invoice_status *is;
	ksef_buf xml = KSEF_BUF_INIT, pkg = KSEF_BUF_INIT;
	char oref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	struct entry e[2];
	struct batch b;
	json_t *list;
	const json_t *inv;

	(void)state;
	/* Online first: its copy in a batch is a duplicate. */
	gen(&xml, KSEF_FORM_FA3, NIP, "BATCH-D/", 1, today);
	open_session(&user, KSEF_FORM_FA3, &env, oref);
	send_xml(&user, oref, env, &xml, iref);
	is = wait_invoice(&user, oref, iref);
	assert_int_equal(is->status->code, 200);
	ksef_api_invoice_status_free(is);
	e[0] = (struct entry){ "dup.xml", xml.ptr, xml.size, 0 };
	ksef_buf_dispose(&pkg);
	{
		ksef_buf other = KSEF_BUF_INIT;

		gen(&other, KSEF_FORM_FA3, NIP, "BATCH-D/", 2, today);
		e[1] = (struct entry){ "new.xml", other.ptr, other.size, 0 };
		make_archive(&pkg, 0, e, 2);
		assert_int_equal(send_package(&b, &pkg, 1, NULL, NULL), 200);
		list = invoices(&b);
		inv = json_array_get(json_object_get(list, "invoices"), 0);
		assert_string_equal(json_string_value(json_object_get(inv,
			"invoiceFileName")), "dup.xml");
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(inv, "status"), "code")), 440);
		inv = json_array_get(json_object_get(list, "invoices"), 1);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(inv, "status"), "code")), 200);
		json_decref(list);
		batch_free(&b);
		/* Batch first: its online copy is a duplicate. */
		send_xml(&user, oref, env, &other, iref);
		is = wait_invoice(&user, oref, iref);
		assert_int_equal(is->status->code, 440);
		ksef_api_invoice_status_free(is);
		ksef_buf_dispose(&other);
	}
	ksef_envelope_free(env);
	ksef_buf_dispose(&pkg);
	ksef_buf_dispose(&xml);
}

/* The context's batchSession maxInvoices binds a package: one over it
 * ends in 420, with the limit in its details. */
static void a_package_over_the_invoice_limit_ends_in_420(void **state)
{
	static const char limits[] =
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":10000},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":2}}";
	ksef_buf pkg = KSEF_BUF_INIT;
	struct raw_response r;
	struct batch b;
	json_t *st;
	char *text;

	(void)state;
	raw_request(&r, "POST", url(&srv, "/testdata/limits/context/session"),
		    bearer(), NULL, limits, strlen(limits));
	assert_int_equal(r.status, 200);
	raw_free(&r);
	invoices_package(&pkg, 0, "BATCH-M/", 3);
	assert_int_equal(send_package(&b, &pkg, 1, NULL, &st), 420);
	text = json_dumps(json_object_get(st, "status"), JSON_COMPACT);
	assert_non_null(strstr(text, "limit"));
	free(text);
	json_decref(st);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
	/* Two is within it. */
	invoices_package(&pkg, 0, "BATCH-M2/", 2);
	assert_int_equal(send_package(&b, &pkg, 1, NULL, NULL), 200);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
	raw_request(&r, "DELETE", url(&srv, "/testdata/limits/context/session"),
		    bearer(), NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	raw_free(&r);
}

/* A part larger than one envelope call takes (KSEF_CIPHERTEXT_MAX_BYTES)
 * goes through: put as a stream to disk, decrypted as a stream. */
static void a_part_over_3_mb_is_taken_whole(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT;
	struct batch b;
	json_t *st;

	(void)state;
	store_only = 1;
	invoices_package(&pkg, 0, "BATCH-B/", 900);
	store_only = 0;
	assert_true(pkg.size > KSEF_CIPHERTEXT_MAX_BYTES);
	assert_int_equal(send_package(&b, &pkg, 1, NULL, &st), 200);
	assert_true(b.ct[0].size > KSEF_CIPHERTEXT_MAX_BYTES);
	assert_int_equal(json_integer_value(json_object_get(st,
		"successfulInvoiceCount")), 900);
	json_decref(st);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
}

/* ksefd killed while (or before) it processes a package finishes it at
 * its next start, storing no invoice twice. */
static void a_package_cut_short_by_a_crash_is_finished_at_start(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT;
	struct batch b;
	json_t *st, *doc;
	size_t i;

	(void)state;
	invoices_package(&pkg, 0, "BATCH-K/", 60);
	open_batch(&b, &pkg, 2, 2, NULL, NULL, 201, NULL);
	for (i = 0; i < 2; i++)
		assert_int_equal(put_part(&b, i, NULL), 201);
	close_batch(&b, 204, 0);
	e2e_sleep_us(100000);
	ksefd_kill9(&srv);
	ksefd_start(&srv, srv.data_dir, NULL);
	logout(&user);
	login(&user, &srv, NIP, token_main);
	assert_int_equal(wait_batch(&b, &st), 200);
	assert_int_equal(json_integer_value(json_object_get(st,
		"invoiceCount")), 60);
	assert_int_equal(json_integer_value(json_object_get(st,
		"successfulInvoiceCount")), 60);
	json_decref(st);
	doc = invoices(&b);
	assert_int_equal(json_array_size(json_object_get(doc, "invoices")),
			 60);
	json_decref(doc);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
}

/* Whether ksefd's store is one that several nodes share (PostgreSQL,
 * tests/support/ksefd_pg.sh as $KSEFD). */
static int shared_store(void)
{
	const char *k = getenv("KSEFD");

	return k != NULL && strstr(k, "ksefd_pg.sh") != NULL;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two nodes on one store: the close wakes the other node too (a notice
 * counted in its /metrics), the node that took the package dies (kill
 * -9) with part of it stored, and the other finishes it from there, with
 * no invoice twice. Only on a shared store. */
/* The second node of a_package_whose_node_dies_is_finished_by_another,
 * killed by its teardown if an assertion left it running. */
static struct ksefd_proc other;

static int stop_other(void **state)
{
	(void)state;
	if (other.pid > 0 && other.pid != srv.pid)
		ksefd_kill9(&other);
	return 0;
}

static void a_package_whose_node_dies_is_finished_by_another(void **state)
{
	ksef_buf pkg = KSEF_BUF_INIT;
	struct batch b;
	json_t *st, *doc, *list;
	const char *nums[400];
	size_t i, n;

	(void)state;
	if (!shared_store())
		skip();
	memset(&other, 0, sizeof(other));
	ksefd_start(&other, srv.data_dir, NULL);
	invoices_package(&pkg, 0, "BATCH-N/", 400);
	open_batch(&b, &pkg, 2, 2, NULL, NULL, 201, NULL);
	for (i = 0; i < 2; i++)
		assert_int_equal(put_part(&b, i, NULL), 201);
	close_batch(&b, 204, 0);
	/* The close's commit told every node (LISTEN/NOTIFY): the other's
	 * batcher woke at once, whoever then claims the package. */
	{
		char murl[96];
		int heard = 0;

		snprintf(murl, sizeof(murl), "http://127.0.0.1:%d/metrics",
			 other.port);
		for (i = 0; i < 200 && !heard; i++) {
			struct raw_response r;

			raw_request(&r, "GET", murl, NULL, NULL, NULL, 0);
			heard = r.status == 200 && r.body != NULL &&
				strstr(r.body, "\nksefd_store_work_notices_total"
				       " 0\n") == NULL &&
				strstr(r.body, "\nksefd_store_work_notices_total"
				       " ") != NULL;
			raw_free(&r);
			if (!heard)
				e2e_sleep_us(10000);
		}
		assert_true(heard);
	}
	/* The kill comes once the first node has stored a few of the
	 * package's invoices (or, on a machine too slow to see it, after
	 * 10 s): the other must go on from them. */
	for (i = 0; i < 1000; i++) {
		char path[128];
		json_t *ans;
		json_int_t stored;

		snprintf(path, sizeof(path), "/sessions/%s", b.ref);
		ans = call("GET", "/sessions/{referenceNumber}", path, NULL,
			   200, NULL);
		stored = json_integer_value(json_object_get(ans,
							    "invoiceCount"));
		json_decref(ans);
		if (stored > 0)
			break;
		e2e_sleep_us(10000);
	}
	ksefd_kill9(&srv);
	/* From here on the test's server is the other node. */
	other.own_dir = srv.own_dir;
	srv = other;
	logout(&user);
	login(&user, &srv, NIP, token_main);
	assert_int_equal(wait_batch(&b, &st), 200);
	{
		/* Whether the dead node had begun (the log both share):
		 * shown, not asserted, as it depends on when the kill came. */
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "grep -h 'taken up' '%s' >&2",
			 srv.log_path);
		if (system(cmd) != 0)
			print_message("the package was not begun before "
				      "the kill\n");
	}
	assert_int_equal(json_integer_value(json_object_get(st,
		"invoiceCount")), 400);
	assert_int_equal(json_integer_value(json_object_get(st,
		"successfulInvoiceCount")), 400);
	json_decref(st);
	doc = invoices(&b);
	list = json_object_get(doc, "invoices");
	n = json_array_size(list);
	assert_int_equal(n, 400);
	for (i = 0; i < n; i++) {
		nums[i] = json_string_value(json_object_get(
			json_array_get(list, i), "ksefNumber"));
		assert_non_null(nums[i]);
	}
	qsort(nums, n, sizeof(nums[0]), by_string);
	for (i = 1; i < n; i++)
		assert_string_not_equal(nums[i - 1], nums[i]);
	json_decref(doc);
	batch_free(&b);
	ksef_buf_dispose(&pkg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_package_of_200_invoices_in_3_parts_is_processed),
		cmocka_unit_test(a_targz_package_is_processed_like_a_zip),
		cmocka_unit_test(declarations_over_the_limits_are_refused),
		cmocka_unit_test(a_part_of_the_wrong_hash_or_missing_stops_the_close),
		cmocka_unit_test(a_package_not_as_declared_fails_with_405),
		cmocka_unit_test(hostile_archives_are_refused),
		cmocka_unit_test(duplicates_are_found_across_online_and_batch),
		cmocka_unit_test(a_package_over_the_invoice_limit_ends_in_420),
		cmocka_unit_test(a_part_over_3_mb_is_taken_whole),
		cmocka_unit_test(a_package_cut_short_by_a_crash_is_finished_at_start),
		cmocka_unit_test_teardown(
			a_package_whose_node_dies_is_finished_by_another,
			stop_other),
	};
	/* ksefd compiles the FA (3) schema as it starts. */
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
