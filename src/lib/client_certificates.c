/*
 * client_certificates.c - the endpoints of the open-api tag "Certyfikaty"
 * (certyfikaty-KSeF.md) and GET /peppol/query: the certificate limits,
 * the enrolment data, a request and its status, retrieval, listing and
 * revocation. Every body is built by a builder of
 * client_certificates_int.h and checked against the request schema's
 * bounds first; every answer is read field by field, its serial numbers
 * held to their pattern since they go back into paths. The key, the
 * PKCS#10 request and the whole enrolment are
 * client_certificates_csr.c's.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "ksef/encoding.h"
#include "ksef/number.h"
#include "internal.h"
#include "client_certificates_int.h"
#include "client_admin.h"

/* Every count of CertificateLimit is an int32. */
#define INT32_LIMIT INT64_C(2147483647)

/* CertificateListItem.name maxLength, and EnrollCertificateRequest's
 * certificateName bounds, in characters. */
#define NAME_MIN_CHARS 5
#define NAME_MAX_CHARS 100
/* A string the contract leaves unbounded (commonName, a query's name):
 * what we read or send at most, in bytes. */
#define TEXT_MAX_BYTES 1024
/* PeppolProvider.name maxLength, in characters: 4 bytes each at most. */
#define PEPPOL_NAME_MAX_BYTES (256 * 4)
/* The longest Peppol id read: PeppolId is 9 characters; room for more. */
#define PEPPOL_ID_MAX_BYTES 64
/* pageSize maximum of POST /certificates/query and GET /peppol/query. */
#define QUERY_PAGE_MAX 50
#define PEPPOL_PAGE_MAX 100

struct ksef_api_retrieved_certificates { struct ksef__list l; };

struct ksef_api_certificate_list {
	struct ksef__list l;
	int has_more;
};

struct ksef_api_peppol_list {
	struct ksef__list l;
	int has_more;
};

static const char *const cert_types[] = { "Authentication", "Offline" };
static const char *const cert_statuses[] = { "Active", "Blocked", "Revoked",
					     "Expired" };
static const char *const revocation_reasons[] = { "Unspecified",
	"Superseded", "KeyCompromise" };
static const char *const subject_types[] = { "Nip", "Pesel", "Fingerprint" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int one_of(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return 1;
	return 0;
}

int ksef__cert_serial_ok(const char *s)
{
	return s != NULL && strlen(s) == KSEF_CERTIFICATE_SERIAL_LEN &&
	       strspn(s, "0123456789ABCDEF") == KSEF_CERTIFICATE_SERIAL_LEN;
}

int ksef__cert_type_ok(const char *s)
{
	return one_of(s, cert_types, COUNT(cert_types));
}

/*
 * Reading answers
 */

/* A serial number of the answer: it goes back into a revocation's path,
 * so it is held to the contract's pattern. */
static int rd_serial(struct ksef__rd *r, const json_t *o, const char *key,
		     int required, const char **out)
{
	int error = ksef__rd_string(r, o, key, required,
				    KSEF_CERTIFICATE_SERIAL_LEN,
				    KSEF_CERTIFICATE_SERIAL_LEN, out);

	if (error == 0 && *out != NULL && !ksef__cert_serial_ok(*out)) {
		*out = NULL;
		return ksef__rd_fail(r, key, "is not 16 upper-case hex digits");
	}
	return error;
}

/* A required string that must be one of names. */
static int rd_enum(struct ksef__rd *r, const json_t *o, const char *key,
		   const char *const *names, size_t n, const char **out)
{
	int error = ksef__rd_string(r, o, key, 1, 1, 32, out);

	if (error == 0 && !one_of(*out, names, n)) {
		*out = NULL;
		return ksef__rd_fail(r, key, "is not a known value");
	}
	return error;
}

/* A required boolean. */
static int rd_bool(struct ksef__rd *r, const json_t *o, const char *key,
		   int *out)
{
	int error = ksef__rd_opt_bool(r, o, key, out);

	if (error == 0 && *out < 0)
		return ksef__rd_fail(r, key, "is missing");
	return error;
}

/* CertificateLimit under key: {limit, remaining}. */
static int rd_limit(struct ksef__rd *r, const json_t *root, const char *key,
		    int64_t *limit, int64_t *remaining)
{
	const json_t *o;
	size_t old;
	int error;

	if ((error = ksef__rd_object(r, root, key, 1, &o)) < 0)
		return error;
	old = ksef__rd_push(r, key);
	if ((error = ksef__rd_int(r, o, "limit", 1, 0, INT32_LIMIT,
				  limit)) == 0)
		error = ksef__rd_int(r, o, "remaining", 1, -INT32_LIMIT - 1,
				     INT32_LIMIT, remaining);
	ksef__rd_pop(r, old);
	return error;
}

/* CertificateLimitsResponse. */
static int parse_limits(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_certificate_limits *l = res;
	int error;

	if ((error = rd_bool(r, root, "canRequest", &l->can_request)) < 0 ||
	    (error = rd_limit(r, root, "enrollment", &l->enrollment_limit,
			      &l->enrollment_remaining)) < 0)
		return error;
	return rd_limit(r, root, "certificate", &l->certificate_limit,
			&l->certificate_remaining);
}

int ksef_client_certificates_limits(ksef_api_certificate_limits **out,
				    ksef_client *c, ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_one(&res, c, "/certificates/limits",
				       sizeof(ksef_api_certificate_limits),
				       parse_limits, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_certificate_limits_free(ksef_api_certificate_limits *l)
{
	ksef__result_free(l);
}

/* CertificateEnrollmentDataResponse: commonName and countryName are
 * required, the rest nullable. */
static int parse_enrollment_data(struct ksef__rd *r, const json_t *root,
				 void *res)
{
	ksef_api_enrollment_data *d = res;
	const struct {
		const char *key;
		int required;
		const char **out;
	} f[] = {
		{ "commonName", 1, &d->common_name },
		{ "countryName", 1, &d->country_name },
		{ "givenName", 0, &d->given_name },
		{ "surname", 0, &d->surname },
		{ "serialNumber", 0, &d->serial_number },
		{ "uniqueIdentifier", 0, &d->unique_identifier },
		{ "organizationName", 0, &d->organization_name },
		{ "organizationIdentifier", 0, &d->organization_identifier },
	};
	size_t i;
	int error = 0;

	for (i = 0; i < COUNT(f) && error == 0; i++)
		error = ksef__rd_string(r, root, f[i].key, f[i].required, 1,
					KSEF__CERT_ATTR_MAX_BYTES, f[i].out);
	/* ISO 3166 alpha-2: it becomes a PrintableString of two letters. */
	if (error == 0 && (strlen(d->country_name) != 2 ||
			   strspn(d->country_name,
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2))
		return ksef__rd_fail(r, "countryName", "is not an ISO 3166 "
				     "code of two letters");
	return error;
}

int ksef_client_certificates_enrollment_data(ksef_api_enrollment_data **out,
					     ksef_client *c, ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_one(&res, c,
				       "/certificates/enrollments/data",
				       sizeof(ksef_api_enrollment_data),
				       parse_enrollment_data, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_enrollment_data_free(ksef_api_enrollment_data *d)
{
	ksef__result_free(d);
}

/*
 * Requests
 */

static const size_t enrollment_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_enrollment, valid_from_ms),
};
KSEF__OPTIONS_SIZES(enrollment_sizes, KSEF_CLIENT_ENROLLMENT_VERSION);

/* certificateName's pattern, ^[a-zA-Z0-9_\-\ ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$,
 * and its length of 5 to 100 characters. */
static int check_name(const char *s, ksef_error *err)
{
	static const unsigned long polish[] = { 0x104, 0x105, 0x106, 0x107,
		0x118, 0x119, 0x141, 0x142, 0x143, 0x144, 0xD3, 0xF3, 0x15A,
		0x15B, 0x179, 0x17A, 0x17B, 0x17C };
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), off = 0, chars = 0, n, i;
	unsigned long cp;

	while (off < len) {
		if ((n = ksef__utf8_next(p + off, len - off, &cp)) == 0)
			return ksef__error_set(err, KSEF_EINVAL,
				"certificateName is not UTF-8");
		if (!(cp < 0x80 && (strchr("_- ", (int)cp) != NULL ||
				    (cp >= '0' && cp <= '9') ||
				    (cp >= 'a' && cp <= 'z') ||
				    (cp >= 'A' && cp <= 'Z')))) {
			for (i = 0; i < COUNT(polish) && polish[i] != cp; i++)
				;
			if (cp == 0 || i == COUNT(polish))
				return ksef__error_set(err, KSEF_EINVAL,
					"certificateName may hold only "
					"letters, digits, space, '_' and '-'");
		}
		off += n;
		chars++;
	}
	if (chars < NAME_MIN_CHARS || chars > NAME_MAX_CHARS)
		return ksef__error_set(err, KSEF_EINVAL, "certificateName has "
			"%zu characters, not %d to %d", chars, NAME_MIN_CHARS,
			NAME_MAX_CHARS);
	return 0;
}

/* A date-time member in Polish local time, as KSeF writes its own. */
static int put_time(json_t *body, const char *key, int64_t ms,
		    ksef_error *err)
{
	char text[KSEF_TIME_BUFSZ];
	int error;

	if (ms == KSEF_TIME_UNSET)
		return 0;
	if ((error = ksef_time_format(text, ksef_time_warsaw(ms), err)) < 0)
		return error;
	if (ksef__req_json_set(body, key, json_string(text)) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

int ksef__client_build_enroll_body(json_t **out,
	const ksef_client_enrollment *req, ksef_error *err)
{
	ksef_client_enrollment copy = KSEF_CLIENT_ENROLLMENT_INIT;
	ksef_buf b64 = KSEF_BUF_INIT;
	json_t *body;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, req, enrollment_sizes,
					KSEF_CLIENT_ENROLLMENT_VERSION,
					"ksef_client_enrollment", err)) < 0)
		return error;
	if (copy.certificate_name == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "certificateName is required");
	if ((error = check_name(copy.certificate_name, err)) < 0)
		return error;
	if (!ksef__cert_type_ok(copy.certificate_type))
		return ksef__error_set(err, KSEF_EINVAL, "certificateType must "
				       "be Authentication or Offline");
	if (copy.csr_der == NULL || copy.csr_len == 0 ||
	    copy.csr_len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_EINVAL, "csr must be 1 to %d "
				       "bytes", KSEF_CERT_MAX_BYTES);
	if ((error = ksef_base64_encode(&b64, copy.csr_der, copy.csr_len,
					err)) < 0)
		return error;
	body = json_pack("{s:s,s:s,s:s#}", "certificateName",
			 copy.certificate_name, "certificateType",
			 copy.certificate_type, "csr", (const char *)b64.ptr,
			 b64.size);
	ksef_buf_dispose(&b64);
	if (body == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = put_time(body, "validFrom", copy.valid_from_ms,
			      err)) < 0) {
		json_decref(body);
		return error;
	}
	*out = body;
	return 0;
}

/* EnrollCertificateResponse. */
static int parse_enrollment(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_enrollment *e = res;
	int error = ksef__rd_ref(r, root, "referenceNumber", 1,
				 &e->reference_number);

	return error < 0 ? error : ksef__rd_time(r, root, "timestamp",
						 &e->timestamp_ms);
}

int ksef_client_certificates_enroll(ksef_api_enrollment **out, ksef_client *c,
				    const ksef_client_enrollment *req,
				    ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && req != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_enroll_body(&body, req, err)) < 0)
		return error;
	rq.path = "/certificates/enrollments";
	/* Each request counts against the limit: never sent twice. */
	rq.retry_safe = 0;
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(ksef_api_enrollment),
					   parse_enrollment, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_enrollment_free(ksef_api_enrollment *e)
{
	ksef__result_free(e);
}

/* CertificateEnrollmentStatusResponse. */
static int parse_enrollment_status(struct ksef__rd *r, const json_t *root,
				   void *res)
{
	ksef_api_enrollment_status *s = res;
	int error;

	if ((error = ksef__rd_time(r, root, "requestDate",
				   &s->request_date_ms)) < 0 ||
	    (error = ksef__rd_status(r, root, "status", &s->status,
				     NULL)) < 0)
		return error;
	return rd_serial(r, root, "certificateSerialNumber", 0,
			 &s->certificate_serial_number);
}

int ksef_client_certificates_enrollment_status(
	ksef_api_enrollment_status **out, ksef_client *c, const char *ref,
	ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && ref != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_on_ref(&res, c,
			"/certificates/enrollments/", "referenceNumber", ref,
			sizeof(ksef_api_enrollment_status),
			parse_enrollment_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_enrollment_status_free(ksef_api_enrollment_status *s)
{
	ksef__result_free(s);
}

/*
 * Retrieval
 */

int ksef__client_build_retrieve_body(json_t **out,
	const char *const *serials, size_t count, ksef_error *err)
{
	json_t *arr;
	size_t i;

	*out = NULL;
	if (serials == NULL || count == 0 ||
	    count > KSEF_CERTIFICATE_RETRIEVE_MAX)
		return ksef__error_set(err, KSEF_EINVAL, "certificateSerial"
			"Numbers must have 1 to %d serial numbers",
			KSEF_CERTIFICATE_RETRIEVE_MAX);
	for (i = 0; i < count; i++)
		if (!ksef__cert_serial_ok(serials[i]))
			return ksef__error_set(err, KSEF_EINVAL, "certificate"
				"SerialNumbers[%zu] is not 16 upper-case hex "
				"digits", i);
	if ((arr = json_array()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < count; i++)
		if (json_array_append_new(arr, json_string(serials[i])) < 0) {
			json_decref(arr);
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		}
	if ((*out = json_pack("{s:o}", "certificateSerialNumbers", arr)) ==
	    NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

/* RetrieveCertificatesListItem. */
static int parse_retrieved(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_retrieved_certificate *c = item;
	ksef_buf der = KSEF_BUF_INIT;
	const char *b64;
	ksef_error e;
	unsigned char *p;
	int error;

	if ((error = ksef__rd_string(r, o, "certificate", 1, 4,
				     (KSEF_CERT_MAX_BYTES / 3 + 1) * 4,
				     &b64)) < 0 ||
	    (error = ksef__rd_string(r, o, "certificateName", 1, 0,
				     TEXT_MAX_BYTES, &c->name)) < 0 ||
	    (error = rd_serial(r, o, "certificateSerialNumber", 1,
			       &c->serial_number)) < 0 ||
	    (error = rd_enum(r, o, "certificateType", cert_types,
			     COUNT(cert_types), &c->type)) < 0)
		return error;
	if ((error = ksef_base64_decode(&der, b64, strlen(b64),
					KSEF_CERT_MAX_BYTES, &e)) < 0)
		return error == KSEF_ENOMEM ? ksef__rd_nomem(r) :
			ksef__rd_fail(r, "certificate", "is not Base64 of at "
				      "most %d bytes", KSEF_CERT_MAX_BYTES);
	if (der.size == 0 ||
	    (p = ksef__result_alloc(r->res, der.size)) == NULL) {
		ksef_buf_dispose(&der);
		return der.size == 0 ? ksef__rd_fail(r, "certificate",
						     "is empty") :
			ksef__rd_nomem(r);
	}
	memcpy(p, der.ptr, der.size);
	c->der = p;
	c->der_len = der.size;
	ksef_buf_dispose(&der);
	return 0;
}

static int parse_retrieved_list(struct ksef__rd *r, const json_t *root,
				void *res)
{
	struct ksef__list *l = res;

	l->item_size = sizeof(ksef_api_retrieved_certificate);
	return ksef__rd_items(r, root, "certificates", l, parse_retrieved);
}

int ksef_client_certificates_retrieve(ksef_api_retrieved_certificates **out,
				      ksef_client *c,
				      const char *const *serials,
				      size_t count, ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_retrieve_body(&body, serials, count,
						      err)) < 0)
		return error;
	rq.path = "/certificates/retrieve";
	rq.retry_safe = 1; /* a read */
	if ((error = ksef__req_post_result(&res, c, &rq, body,
			sizeof(struct ksef_api_retrieved_certificates),
			parse_retrieved_list, err)) == 0)
		*out = res;
	return error;
}

size_t ksef_api_retrieved_certificates_count(
	const ksef_api_retrieved_certificates *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_retrieved_certificate *ksef_api_retrieved_certificates_at(
	const ksef_api_retrieved_certificates *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

void ksef_api_retrieved_certificates_free(ksef_api_retrieved_certificates *l)
{
	ksef__result_free(l);
}

/*
 * Listing
 */

static const size_t query_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_certificate_query, page_offset),
};
KSEF__OPTIONS_SIZES(query_sizes, KSEF_CLIENT_CERTIFICATE_QUERY_VERSION);

/* "?pageSize=N&pageOffset=M" after base, each only when not the
 * default. */
static int page_path(ksef_buf *path, const char *base, int page_size,
		     int max, int page_offset, ksef_error *err)
{
	int error;

	if ((error = ksef__req_check_page_size(page_size, max, err)) < 0)
		return error;
	if (page_offset < 0)
		return ksef__error_set(err, KSEF_EINVAL, "page offset must be "
				       "0 or more");
	if ((error = ksef__buf_printf(path, KSEF__PATH_MAX_BYTES, "%s",
				      base)) < 0 ||
	    (page_size > 0 && (error = ksef__req_put_int_param(path,
				"pageSize", page_size)) < 0) ||
	    (page_offset > 0 && (error = ksef__req_put_int_param(path,
				"pageOffset", page_offset)) < 0))
		return ksef__req_path_fail(error, err);
	return 0;
}

/* Non-zero when s is UTF-8 without control characters. */
static int text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), off = 0, n;
	unsigned long cp;

	while (off < len) {
		if ((n = ksef__utf8_next(p + off, len - off, &cp)) == 0 ||
		    cp < 0x20 || cp == 0x7f)
			return 0;
		off += n;
	}
	return 1;
}

/* A filter string: set when given, after its check. */
static int put_filter(json_t *body, const char *key, const char *v,
		      ksef_error *err)
{
	if (v == NULL)
		return 0;
	if (!text_ok(v))
		return ksef__error_set(err, KSEF_EINVAL, "%s is not UTF-8 "
				       "text", key);
	if (ksef__req_json_set(body, key, json_string(v)) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

int ksef__client_build_certificate_query(json_t **out, ksef_buf *path,
	const ksef_client_certificate_query *q, ksef_error *err)
{
	ksef_client_certificate_query copy = KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
	json_t *body;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, q, query_sizes,
				KSEF_CLIENT_CERTIFICATE_QUERY_VERSION,
				"ksef_client_certificate_query", err)) < 0)
		return error;
	if (copy.serial_number != NULL &&
	    !ksef__cert_serial_ok(copy.serial_number))
		return ksef__error_set(err, KSEF_EINVAL, "certificateSerial"
				       "Number is not 16 upper-case hex "
				       "digits");
	if (copy.name != NULL && (copy.name[0] == '\0' ||
				  strlen(copy.name) > TEXT_MAX_BYTES))
		return ksef__error_set(err, KSEF_EINVAL, "name must be 1 to %d "
				       "bytes", TEXT_MAX_BYTES);
	if (copy.type != NULL && !ksef__cert_type_ok(copy.type))
		return ksef__error_set(err, KSEF_EINVAL, "type must be "
				       "Authentication or Offline");
	if (copy.status != NULL && !one_of(copy.status, cert_statuses,
					   COUNT(cert_statuses)))
		return ksef__error_set(err, KSEF_EINVAL, "status must be "
				       "Active, Blocked, Revoked or Expired");
	if ((error = page_path(path, "/certificates/query", copy.page_size,
			       QUERY_PAGE_MAX, copy.page_offset, err)) < 0)
		return error;
	if ((body = json_object()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = put_filter(body, "certificateSerialNumber",
				copy.serial_number, err)) < 0 ||
	    (error = put_filter(body, "name", copy.name, err)) < 0 ||
	    (error = put_filter(body, "type", copy.type, err)) < 0 ||
	    (error = put_filter(body, "status", copy.status, err)) < 0 ||
	    (error = put_time(body, "expiresAfter", copy.expires_after_ms,
			      err)) < 0) {
		json_decref(body);
		return error;
	}
	*out = body;
	return 0;
}

/* CertificateSubjectIdentifier. */
static int parse_subject(struct ksef__rd *r, const json_t *root,
			 ksef_api_certificate_info *c)
{
	const json_t *o;
	size_t old;
	int error;

	if ((error = ksef__rd_object(r, root, "subjectIdentifier", 1,
				     &o)) < 0)
		return error;
	old = ksef__rd_push(r, "subjectIdentifier");
	if ((error = rd_enum(r, o, "type", subject_types, COUNT(subject_types),
			     &c->subject_identifier_type)) == 0)
		error = ksef__rd_string(r, o, "value", 1, 10, 64,
					&c->subject_identifier_value);
	ksef__rd_pop(r, old);
	return error;
}

/* CertificateListItem. */
static int parse_info(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_certificate_info *c = item;
	int error;

	if ((error = rd_serial(r, o, "certificateSerialNumber", 1,
			       &c->serial_number)) < 0 ||
	    (error = ksef__rd_string(r, o, "name", 1, 0, NAME_MAX_CHARS * 4,
				     &c->name)) < 0 ||
	    (error = rd_enum(r, o, "type", cert_types, COUNT(cert_types),
			     &c->type)) < 0 ||
	    (error = ksef__rd_string(r, o, "commonName", 1, 0,
				     KSEF__CERT_ATTR_MAX_BYTES,
				     &c->common_name)) < 0 ||
	    (error = rd_enum(r, o, "status", cert_statuses,
			     COUNT(cert_statuses), &c->status)) < 0 ||
	    (error = parse_subject(r, o, c)) < 0 ||
	    (error = ksef__rd_time(r, o, "validFrom",
				   &c->valid_from_ms)) < 0 ||
	    (error = ksef__rd_time(r, o, "validTo", &c->valid_to_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "lastUseDate",
				       &c->last_use_date_ms)) < 0)
		return error;
	return ksef__rd_time(r, o, "requestDate", &c->request_date_ms);
}

static int parse_info_page(struct ksef__rd *r, const json_t *root, void *res)
{
	struct ksef_api_certificate_list *l = res;
	int error;

	l->l.item_size = sizeof(ksef_api_certificate_info);
	if ((error = ksef__rd_items(r, root, "certificates", &l->l,
				    parse_info)) < 0)
		return error;
	return rd_bool(r, root, "hasMore", &l->has_more);
}

int ksef_client_certificates_query(ksef_api_certificate_list **out,
				   ksef_client *c,
				   const ksef_client_certificate_query *q,
				   ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_buf path = KSEF_BUF_INIT;
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && q != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_certificate_query(&body, &path, q,
							  err)) < 0)
		goto done;
	rq.path = (const char *)path.ptr;
	rq.retry_safe = 1; /* a query changes nothing */
	if ((error = ksef__req_post_result(&res, c, &rq, body,
			sizeof(struct ksef_api_certificate_list),
			parse_info_page, err)) == 0)
		*out = res;
done:
	ksef_buf_dispose(&path);
	return error;
}

size_t ksef_api_certificate_list_count(const ksef_api_certificate_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_certificate_info *ksef_api_certificate_list_at(
	const ksef_api_certificate_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

int ksef_api_certificate_list_has_more(const ksef_api_certificate_list *l)
{
	return l != NULL && l->has_more > 0;
}

void ksef_api_certificate_list_free(ksef_api_certificate_list *l)
{
	ksef__result_free(l);
}

/*
 * Revocation
 */

int ksef__client_build_revoke_body(json_t **out, const char *reason,
				   ksef_error *err)
{
	*out = NULL;
	if (reason != NULL && !one_of(reason, revocation_reasons,
				      COUNT(revocation_reasons)))
		return ksef__error_set(err, KSEF_EINVAL, "revocationReason "
			"must be Unspecified, Superseded or KeyCompromise");
	*out = reason != NULL ?
		json_pack("{s:s}", "revocationReason", reason) : json_object();
	return *out != NULL ? 0 : ksef__error_set(err, KSEF_ENOMEM,
						  "out of memory");
}

int ksef_client_certificates_revoke(ksef_client *c, const char *serial,
				    const char *reason, ksef_error *err)
{
	char path[64];
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, 1, err)) < 0)
		return error;
	if (!ksef__cert_serial_ok(serial))
		return ksef__error_set(err, KSEF_EINVAL, "certificateSerial"
				       "Number is not 16 upper-case hex "
				       "digits");
	if ((error = ksef__client_build_revoke_body(&body, reason, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/certificates/%s/revoke", serial);
	/* A certificate revoked again stays revoked: retried. */
	return ksef__admin_call(c, "POST", path, body, 1, 1, err);
}

/*
 * Peppol
 */

int ksef__client_peppol_path(ksef_buf *path, int page_size, int page_offset,
			     ksef_error *err)
{
	return page_path(path, "/peppol/query", page_size, PEPPOL_PAGE_MAX,
			 page_offset, err);
}

/* PeppolProvider. PeppolId is ^P[A-Z]{2}[0-9]{6}$, but the contract's own
 * example ("P123456789") breaks that pattern and its length, so the id is
 * only held to what is safe to show and to send back: printable ASCII. */
static int parse_provider(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_peppol_provider *p = item;
	int error;

	if ((error = ksef__rd_header_safe(r, o, "id", 1, PEPPOL_ID_MAX_BYTES,
					  &p->id)) < 0)
		return error;
	if ((error = ksef__rd_string(r, o, "name", 1, 0,
				     PEPPOL_NAME_MAX_BYTES, &p->name)) < 0)
		return error;
	return ksef__rd_time(r, o, "dateCreated", &p->date_created_ms);
}

static int parse_provider_page(struct ksef__rd *r, const json_t *root,
			       void *res)
{
	struct ksef_api_peppol_list *l = res;
	int error;

	l->l.item_size = sizeof(ksef_api_peppol_provider);
	if ((error = ksef__rd_items(r, root, "peppolProviders", &l->l,
				    parse_provider)) < 0)
		return error;
	return rd_bool(r, root, "hasMore", &l->has_more);
}

int ksef_client_peppol_query(ksef_api_peppol_list **out, ksef_client *c,
			     int page_size, int page_offset, ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_buf path = KSEF_BUF_INIT;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__client_peppol_path(&path, page_size, page_offset,
					      err)) < 0)
		goto done;
	/* The contract gives this endpoint no security: no token is sent. */
	rq.method = "GET";
	rq.path = (const char *)path.ptr;
	rq.retry_safe = 1;
	if ((error = ksef__req_call_result(&res, c, &rq, 0,
			sizeof(struct ksef_api_peppol_list),
			parse_provider_page, err)) == 0)
		*out = res;
done:
	ksef_buf_dispose(&path);
	return error;
}

size_t ksef_api_peppol_list_count(const ksef_api_peppol_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_peppol_provider *ksef_api_peppol_list_at(
	const ksef_api_peppol_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

int ksef_api_peppol_list_has_more(const ksef_api_peppol_list *l)
{
	return l != NULL && l->has_more > 0;
}

void ksef_api_peppol_list_free(ksef_api_peppol_list *l)
{
	ksef__result_free(l);
}
