/*
 * e2e.h - helpers of the end-to-end programs (tests/e2e/): a client of a
 * running ksefd, login with a KSeF token or by XAdES with a test
 * certificate, sessions, invoices, waits. Each fails the test on an
 * unexpected error.
 */
#ifndef KSEF_E2E_H
#define KSEF_E2E_H

#include "ksef/ksef.h"
#include "ksefd_harness.h"

struct login {
	ksef_client *c;
	ksef_api_tokens *tokens;
	char auth_ref[KSEF_REFNUM_BUFSZ];
	char auth_token[4096];
};

int e2e_sleep_us(unsigned us);
ksef_client *client_for(const struct ksefd_proc *p);
/* Options of a ksef_conn to p for context NIP nip, polling fast; *client
 * receives the client options that o points to, so it must outlive o. */
void conn_options_for(ksef_conn_options *o, ksef_client_options *client,
		      const struct ksefd_proc *p, const char *nip);
/* The server's current key for a usage (KSEF_KEY_USAGE_*). */
ksef_pubkey *server_key(ksef_client *c, unsigned usage);
/* Poll an authentication operation until it leaves 100; its final code. */
int auth_wait(ksef_client *c, const char *ref, const char *auth_token);
/* Authenticate with a KSeF token (challenge timestamp moved by ts_skew
 * ms); returns the final authentication status code. */
int authenticate(struct login *l, const struct ksefd_proc *p,
		 const char *nip, const char *token, int64_t ts_skew);
/* Authenticate, redeem, and set the access token. */
void login(struct login *l, const struct ksefd_proc *p, const char *nip,
	   const char *token);
/* The same with a XAdES signature of a fresh self-signed company seal of
 * subject_nip: the context's owner when it is nip, else a subject with
 * the permissions `ksefd grant` gave it; policy (may be NULL) goes in the
 * signed document's AuthorizationPolicy. */
void login_xades(struct login *l, const struct ksefd_proc *p, const char *nip,
		 const char *subject_nip, const ksef_client_ip_policy *policy);
void logout(struct login *l);

/*
 * XAdES logins with test certificates: a fresh self-signed certificate
 * and its key, made once so that its fingerprint stays the same across
 * logins (KSEF_XADES_KEY_EC_P256).
 */
enum who_kind {
	WHO_SEAL,        /* a company seal: organizationIdentifier VATPL-id */
	WHO_PESEL,       /* a person: serialNumber PNOPL-id */
	WHO_PERSON_NIP,  /* a person: serialNumber TINPL-id */
	/* a person KSeF knows by the certificate's fingerprint only
	 * (IDCDE-id): logs in with certificateFingerprint */
	WHO_FINGERPRINT
};

struct who {
	enum who_kind kind;
	ksef_buf key, cert;
	char fp[KSEF_XADES_FINGERPRINT_LEN + 1];
};

void who_make(struct who *w, enum who_kind kind, const char *id);
void who_free(struct who *w);
/* Log w in by XAdES to the context; returns the authentication's final
 * status. On 200 with redeem set, l holds the tokens with the access
 * token set; otherwise only the authentication (auth_ref, auth_token).
 * detail (may be NULL) receives the final status's first detail, or "". */
int xlogin_ex(struct login *l, const struct ksefd_proc *p,
	      ksef_context_type ctx, const char *ctx_value,
	      const struct who *w, int redeem, char *detail,
	      size_t detail_size);
/* xlogin_ex() redeeming a 200, without the detail. */
int xlogin(struct login *l, const struct ksefd_proc *p,
	   ksef_context_type ctx, const char *ctx_value, const struct who *w);
/* Redeem l's authentication and set its access token. */
void xlogin_redeem(struct login *l);
void open_session(struct login *l, ksef_form form, ksef_envelope **env,
		  char ref[KSEF_REFNUM_BUFSZ]);
/* Invoice `index` of a generated series (seed 1). */
void gen(ksef_buf *out, ksef_form form, const char *nip, const char *prefix,
	 uint64_t index, const char *date);
void send_xml(struct login *l, const char *sref, ksef_envelope *env,
	      const ksef_buf *xml, char iref[KSEF_REFNUM_BUFSZ]);
ksef_api_invoice_status *wait_invoice(struct login *l, const char *sref,
				      const char *iref);
/* Poll until the session leaves 100/170; returns its code. */
int wait_session(struct login *l, const char *sref,
		 ksef_api_session_status **out);
/* p's base URL + path, in a static buffer. */
const char *url(const struct ksefd_proc *p, const char *path);
/* Today's Polish date moved by `days`. */
void date_from_today(char out[KSEF_DATE_BUFSZ], int days);

#endif
