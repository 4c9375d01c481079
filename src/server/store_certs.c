/*
 * store_certs.c - the store's side of KSeF certificates: certificate
 * requests (enrollments) from their arrival to their outcome, and the
 * certificates the CA issued, with their revocation and last use. The
 * limits of a subject are checked in the write that would pass them, so
 * that two requests at once cannot both take the last place. What a
 * request must contain, and what a certificate says, belongs to
 * certs_ca.c; the answers to api_certificates.c.
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

/* ---- enrollments ---- */

static int enroll_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_enrollment *e = dst;

	(void)err;
	COL_TEXT(e->ref, s, 0);
	COL_TEXT(e->subject_type, s, 1);
	COL_TEXT(e->subject_value, s, 2);
	COL_TEXT(e->name, s, 3);
	e->type = sql_col_int(s, 4);
	e->csr_len = sql_col_blob(s, 5, e->csr, sizeof(e->csr));
	e->valid_from_ms = sql_col_int64(s, 6);
	e->requested_ms = sql_col_int64(s, 7);
	e->status = sql_col_int(s, 8);
	COL_TEXT(e->details, s, 9);
	COL_TEXT(e->serial, s, 10);
	return 0;
}

static int count_of(struct conn *c, enum query q, const struct param *p,
		    int64_t *count, ksef_error *err)
{
	int rc;

	*count = 0;
	rc = sql_lookup(c, q, p, sql_int64_row, count, err);
	return rc < 0 ? rc : 0;
}

struct enroll_add_args {
	const store_enrollment *e;
	int max;
};

static int op_enroll_add(struct conn *w, void *arg, ksef_error *err)
{
	struct enroll_add_args *a = arg;
	const store_enrollment *e = a->e;
	int64_t n;
	int error;

	if ((error = count_of(w, Q_ENROLL_COUNT,
			      ARGS(ARG_FIELD(e->subject_type),
				   ARG_FIELD(e->subject_value)), &n,
			      err)) < 0)
		return error;
	if (n >= a->max)
		return sql_fail(err, STORE_FULL, "the subject made %lld "
				"certificate requests of %d allowed",
				(long long)n, a->max);
	return sql_exec(w, Q_ENROLL_ADD, ARGS(ARG_FIELD(e->ref),
			ARG_FIELD(e->subject_type), ARG_FIELD(e->subject_value),
			ARG_FIELD(e->name), ARG_INT(e->type),
			ARG_BLOB(e->csr, e->csr_len),
			ARG_INT(e->valid_from_ms), ARG_INT(e->requested_ms),
			ARG_INT(e->status), ARG_FIELD(e->details),
			ARG_FIELD(e->serial)), err);
}

store_result store_enroll_add(store *st, const store_enrollment *e,
			      int max_enrollments, ksef_error *err)
{
	struct enroll_add_args a = { e, max_enrollments };

	if (e == NULL || e->csr_len == 0 || e->csr_len > sizeof(e->csr))
		return sql_fail(err, STORE_INVALID, "no certificate request "
				"given");
	return sql_submit(st, op_enroll_add, &a, err);
}

store_result store_enroll_get(store *st, const char *ref,
			      store_enrollment *out, ksef_error *err)
{
	return sql_read_one(st, Q_ENROLL_GET, ref, out, enroll_row,
			    "certificate enrollment", err);
}

store_result store_enroll_count(store *st, const char *subject_type,
				const char *subject_value, int64_t *count,
				ksef_error *err)
{
	int rc;

	*count = 0;
	rc = sql_read_row(st, Q_ENROLL_COUNT, ARGS(ARG_TEXT(subject_type),
			  ARG_TEXT(subject_value)), sql_int64_row, count, err);
	return rc < 0 ? rc : STORE_OK;
}

struct enroll_finish_args {
	const char *ref;
	const store_cert *cert;
	int max;
	int64_t now_ms;
	int status;
	const char *details;
};

static int op_enroll_finish(struct conn *w, void *arg, ksef_error *err)
{
	struct enroll_finish_args *a = arg;
	const store_cert *c = a->cert;
	int64_t n;
	int rc;

	if (c == NULL)
		return sql_update(w, Q_ENROLL_FINISH, ARGS(ARG_TEXT(a->ref),
				  ARG_INT(a->status), ARG_TEXT(a->details),
				  ARG_TEXT("")), "open certificate enrollment",
				  err);
	rc = sql_lookup(w, Q_CERT_KEY_OTHER, ARGS(ARG_FIELD(c->key_hash),
			ARG_FIELD(c->subject_type),
			ARG_FIELD(c->subject_value)), NULL, NULL, err);
	if (rc < 0)
		return rc;
	if (rc == SQL_ROW)
		return sql_fail(err, STORE_EXISTS, "the public key is "
				"certified for another subject");
	if ((rc = count_of(w, Q_CERT_COUNT_ACTIVE,
			   ARGS(ARG_FIELD(c->subject_type),
				ARG_FIELD(c->subject_value),
				ARG_INT(a->now_ms)), &n, err)) < 0)
		return rc;
	if (n >= a->max)
		return sql_fail(err, STORE_FULL, "the subject holds %lld "
				"active certificates of %d allowed",
				(long long)n, a->max);
	if ((rc = sql_update(w, Q_ENROLL_FINISH, ARGS(ARG_TEXT(a->ref),
			     ARG_INT(200), ARG_TEXT(""),
			     ARG_FIELD(c->serial)),
			     "open certificate enrollment", err)) < 0)
		return rc;
	return sql_exec(w, Q_CERT_ADD, ARGS(ARG_FIELD(c->serial),
			ARG_FIELD(c->enrollment_ref), ARG_FIELD(c->subject_type),
			ARG_FIELD(c->subject_value), ARG_FIELD(c->name),
			ARG_INT(c->type), ARG_FIELD(c->common_name),
			ARG_BLOB(c->der, c->der_len), ARG_FIELD(c->fingerprint),
			ARG_FIELD(c->key_hash), ARG_INT(c->valid_from_ms),
			ARG_INT(c->valid_to_ms), ARG_INT(c->requested_ms),
			ARG_INT(c->revoked_ms),
			ARG_FIELD(c->revocation_reason),
			ARG_INT(c->last_use_ms)), err);
}

store_result store_enroll_finish(store *st, const char *ref,
				 const store_cert *cert, int max_certificates,
				 int64_t now_ms, int status,
				 const char *details, ksef_error *err)
{
	struct enroll_finish_args a = { ref, cert, max_certificates, now_ms,
					status, details ? details : "" };
	int error;

	if ((error = sql_check_len(ref, STORE_REF_SZ, "reference", err)) < 0 ||
	    (error = sql_check_len(a.details, STORE_DETAILS_SZ, "details",
				   err)) < 0)
		return error;
	if (cert != NULL && (cert->der_len == 0 ||
			     cert->der_len > sizeof(cert->der)))
		return sql_fail(err, STORE_INVALID, "no certificate given");
	if (cert == NULL && status < 300)
		return sql_fail(err, STORE_INVALID, "status %d is no refusal",
				status);
	/* The store's "not found" for a request no longer in 100. */
	error = sql_submit(st, op_enroll_finish, &a, err);
	if (error == STORE_NOT_FOUND) {
		store_enrollment e;

		if (store_enroll_get(st, ref, &e, NULL) == 0)
			return sql_fail(err, STORE_WRONG_STATE, "certificate "
					"enrollment %s is already %d", ref,
					e.status);
	}
	return error;
}

/* ---- certificates ---- */

static int cert_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_cert *c = dst;

	(void)err;
	COL_TEXT(c->serial, s, 0);
	COL_TEXT(c->enrollment_ref, s, 1);
	COL_TEXT(c->subject_type, s, 2);
	COL_TEXT(c->subject_value, s, 3);
	COL_TEXT(c->name, s, 4);
	c->type = sql_col_int(s, 5);
	COL_TEXT(c->common_name, s, 6);
	c->der_len = sql_col_blob(s, 7, c->der, sizeof(c->der));
	COL_TEXT(c->fingerprint, s, 8);
	COL_TEXT(c->key_hash, s, 9);
	c->valid_from_ms = sql_col_int64(s, 10);
	c->valid_to_ms = sql_col_int64(s, 11);
	c->requested_ms = sql_col_int64(s, 12);
	c->revoked_ms = sql_col_int64(s, 13);
	COL_TEXT(c->revocation_reason, s, 14);
	c->last_use_ms = sql_col_int64(s, 15);
	return 0;
}

static const struct row_type cert_rows = { sizeof(store_cert), cert_row,
					   NULL };

store_result store_certs_active(store *st, const char *subject_type,
				const char *subject_value, int64_t now_ms,
				int64_t *count, ksef_error *err)
{
	int rc;

	*count = 0;
	rc = sql_read_row(st, Q_CERT_COUNT_ACTIVE, ARGS(ARG_TEXT(subject_type),
			  ARG_TEXT(subject_value), ARG_INT(now_ms)),
			  sql_int64_row, count, err);
	return rc < 0 ? rc : STORE_OK;
}

store_result store_cert_get(store *st, const char *serial, store_cert *out,
			    ksef_error *err)
{
	return sql_read_one(st, Q_CERT_GET, serial, out, cert_row,
			    "certificate", err);
}

store_result store_cert_by_fingerprint(store *st, const char *fingerprint,
				       store_cert *out, ksef_error *err)
{
	return sql_read_one(st, Q_CERT_BY_FINGERPRINT, fingerprint, out,
			    cert_row, "certificate", err);
}

store_result store_cert_revoke(store *st, const char *serial, int64_t now_ms,
			       const char *reason, ksef_error *err)
{
	struct update_args a = { Q_CERT_REVOKE, ARGS(ARG_TEXT(serial),
		ARG_INT(now_ms), ARG_TEXT(reason)), "active certificate" };
	int error;

	if ((error = sql_check_len(serial, STORE_SERIAL_SZ, "serial number",
				   err)) < 0 ||
	    (error = sql_check_len(reason, 32, "revocation reason",
				   err)) < 0)
		return error;
	return sql_submit(st, sql_op_update, &a, err);
}

store_result store_cert_used(store *st, const char *serial, int64_t now_ms,
			     ksef_error *err)
{
	struct update_args a = { Q_CERT_USED, ARGS(ARG_TEXT(serial),
		ARG_INT(now_ms)), "certificate" };

	return sql_submit(st, sql_op_update, &a, err);
}

store_result store_certs_query(store *st, const char *subject_type,
			       const char *subject_value,
			       const store_cert_filter *f, int64_t now_ms,
			       size_t limit, size_t offset, store_cert **out,
			       size_t *count, ksef_error *err)
{
	store_cert_filter none;
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (f == NULL) {
		memset(&none, 0, sizeof(none));
		f = &none;
	}
	/* Blocked is the passing state of a revocation still under way;
	 * here revocation is immediate, so no certificate is in it. */
	if (f->status == 2)
		return STORE_OK;
	error = sql_read_rows(st, Q_CERTS_QUERY, ARGS(ARG_TEXT(subject_type),
			ARG_TEXT(subject_value), ARG_TEXT(f->serial),
			ARG_TEXT(f->name_part), ARG_INT(f->type),
			ARG_INT(f->status),
			{ f->has_expires_after ? P_INT : P_NULL_INT, NULL, 0,
			  f->expires_after_ms },
			ARG_INT(now_ms), ARG_INT(limit_arg(limit)),
			ARG_INT(limit_arg(offset))), &cert_rows, &rows,
			count, err);
	*out = rows;
	return error;
}
