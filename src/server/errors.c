/*
 * errors.c - owns the API's error bodies and the exception-code table
 * (SPEC 2.3, 2.4, 2.5, 2.7). Handlers say what went wrong; this file says
 * it in the format the client asked for: it builds the body, status and
 * headers and records them with http.c's reply functions, which put them
 * on the wire. It calls nothing above http.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "errors.h"
#include "http.h"

static const struct {
	int code;
	const char *description;
} codes[] = {
	{ 9101, "Nieprawidłowy dokument." },
	{ 9102, "Brak podpisu." },
	{ 9103, "Przekroczona liczba dozwolonych podpisów." },
	{ 9105, "Nieprawidłowy podpis." },
	{ 21001, "Nieczytelna treść." },
	{ 21111, "Nieprawidłowe wyzwanie autoryzacyjne." },
	{ 21115, "Nieprawidłowy certyfikat." },
	{ 21117, "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu." },
	{ 21155, "Przekroczono dozwoloną liczbę faktur w sesji." },
	{ 21157, "Nieprawidłowy rozmiar części pakietu." },
	{ 21161, "Przekroczono dozwoloną liczbę części pakietu." },
	{ 21164, "Faktura o podanym identyfikatorze nie istnieje." },
	{ 21165, "Faktura o podanym numerze KSeF nie jest jeszcze dostępna." },
	{ 21166, "Korekta techniczna niedostępna." },
	{ 21167, "Status faktury nie pozwala na korektę techniczną." },
	{ 21173, "Brak sesji o wskazanym numerze referencyjnym." },
	{ 21175, "Wynik zapytania o podanym identyfikatorze nie istnieje." },
	{ 21178, "Nie znaleziono UPO dla podanych kryteriów." },
	{ 21180, "Status sesji nie pozwala na wykonanie operacji." },
	{ 21181, "Nieprawidłowe żądanie eksportu faktur." },
	{ 21182, "Osiągnięto limit trwających eksportów." },
	{ 21183, "Zakres filtrowania wykracza poza dostępny zakres danych." },
	{ 21205, "Pakiet nie może być pusty." },
	{ 21208, "Czas oczekiwania na requesty upload lub finish został przekroczony." },
	{ 21217, "Nieprawidłowe kodowanie znaków." },
	{ 21301, "Brak autoryzacji." },
	{ 21304, "Brak uwierzytelnienia." },
	{ 21308, "Próba wykorzystania metod autoryzacyjnych osoby zmarłej." },
	{ 21401, "Dokument nie jest zgodny ze schemą (xsd)." },
	{ 21402, "Nieprawidłowy rozmiar pliku." },
	{ 21403, "Nieprawidłowy skrót pliku." },
	{ 21405, "Błąd walidacji danych wejściowych." },
	{ 21406, "Konflikt podpisu i typu uwierzytelnienia." },
	{ 21418, "Przekazany token kontynuacji ma nieprawidłowy format." },
	{ 21470, "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz." },
	{ 25001, "Brak możliwości pobrania danych do CSR dla wykorzystanego sposobu uwierzytelnienia." },
	{ 25002, "Brak możliwości złożenia wniosku certyfikacyjnego dla wykorzystanego sposobu uwierzytelnienia." },
	{ 25003, "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym." },
	{ 25004, "Niepoprawny format CSR lub niepoprawny podpis CSR." },
	{ 25005, "Wniosek certyfikacyjny o podanym numerze referencyjnym nie istnieje." },
	{ 25006, "Osiągnięto limit możliwych do złożenia wniosków certyfikacyjnych." },
	{ 25007, "Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów." },
	{ 25008, "Certyfikat o podanym numerze seryjnym nie istnieje." },
	{ 25009, "Nie można odwołać wskazanego certyfikatu, ponieważ jest już odwołany, zablokowany lub nieważny." },
	{ 25010, "Nieprawidłowy typ lub długość klucza." },
	{ 25011, "Nieprawidłowy algorytm podpisu CSR." },
	{ 26001, "Nie można nadać tokenowi uprawnień których nie posiadasz." },
	{ 26002, "Nie można wygenerować tokena dla obecnego typu kontekstu." },
	{ 30001, "Podmiot lub uprawnienie już istnieje." },
};

const char *errors_description(int code)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].description;
	return NULL;
}

static json_t *timestamp_now(int utc_z)
{
	ksef_time t = ksef_time_now();
	char buf[KSEF_TIME_BUFSZ];

	if (ksef_time_format_ext(buf, t, utc_z ? KSEF_TIME_FMT_Z : 0, NULL) != 0)
		return json_string("1970-01-01T00:00:00Z");
	return json_string(buf);
}

static const char *title_of(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	default: return "Internal Server Error";
	}
}

/* The common Problem Details members (RFC 9457 as the API uses them). */
static json_t *problem(struct request *req, unsigned status,
		       const char *detail)
{
	json_t *o = json_object();

	json_object_set_new(o, "title", json_string(title_of(status)));
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "instance", json_string(req->path));
	json_object_set_new(o, "detail", json_string(detail));
	json_object_set_new(o, "timestamp", timestamp_now(1));
	json_object_set_new(o, "traceId", json_string(req->trace_id));
	return o;
}

/*
 * ExceptionInfo.referenceNumber has exactly 36 characters (open-api.json,
 * ReferenceNumber), a UUID in the contract's example: the request's trace
 * id (32 hex digits, a version-4 UUID's bits, http.c) with the dashes put
 * back (request_id), so that the log, which prints it the same way, finds
 * it.
 */
static void reference_of(const struct request *req, char out[37])
{
	request_id(req, out);
}

static void reply_v(struct request *req, unsigned http_status, int code,
		    const char *desc, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static void reply_v(struct request *req, unsigned http_status, int code,
		    const char *desc, const char *fmt, va_list ap)
{
	json_t *details = json_array(), *entry = json_object(), *body;
	char detail[1024], reference[37];

	if (fmt != NULL) {
		vsnprintf(detail, sizeof(detail), fmt, ap);
		json_array_append_new(details, json_string(detail));
	}
	if (req->problem_details) {
		json_object_set_new(entry, "code", json_integer(code));
		json_object_set_new(entry, "description",
				    json_string(desc ? desc : ""));
		json_object_set_new(entry, "details", details);
		body = problem(req, http_status, "Żądanie jest nieprawidłowe.");
		json_object_set_new(body, "errors", json_pack("[o]", entry));
		http_reply_json_type(req, http_status,
			"application/problem+json; charset=utf-8", body);
		return;
	}
	json_object_set_new(entry, "exceptionCode", json_integer(code));
	json_object_set_new(entry, "exceptionDescription",
			    json_string(desc ? desc : ""));
	json_object_set_new(entry, "details", details);
	reference_of(req, reference);
	body = json_pack("{s:{s:[o],s:s,s:s,s:s,s:s,s:o}}", "exception",
		"exceptionDetailList", entry,
		"referenceNumber", reference,
		"serviceCode", req->trace_id,
		"serviceCtx", "ksefd",
		"serviceName", "ksefd",
		"timestamp", timestamp_now(0));
	http_reply_json(req, http_status, body);
}

void errors_reply(struct request *req, unsigned http_status, int code,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_v(req, http_status, code, errors_description(code), fmt, ap);
	va_end(ap);
}

void errors_reply_described(struct request *req, unsigned http_status,
			    int code, const char *description,
			    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_v(req, http_status, code, description, fmt, ap);
	va_end(ap);
}

void errors_internal(struct request *req, const ksef_error *err)
{
	char msg[4 * sizeof(err->message)], reference[37];

	reference_of(req, reference);
	request_log_escape(msg, sizeof(msg), err ? err->message : "unknown");
	fprintf(stderr, "ksefd: %s: internal error: %s\n", reference, msg);
	errors_reply(req, 500, 21405, "Wewnętrzny błąd serwera; podaj "
		     "referenceNumber %s, aby go odnaleźć w dzienniku.",
		     reference);
}

void errors_unauthorized(struct request *req, const char *detail)
{
	http_reply_json_type(req, 401, "application/problem+json; charset=utf-8",
		problem(req, 401, detail ? detail :
			"Wymagane jest uwierzytelnienie."));
}

void errors_forbidden(struct request *req, const char *reason_code,
		      const char *detail, json_t *security)
{
	json_t *o = problem(req, 403, detail);

	json_object_set_new(o, "reasonCode", json_string(reason_code));
	if (security != NULL)
		json_object_set_new(o, "security", security);
	http_reply_json_type(req, 403, "application/problem+json; charset=utf-8",
			     o);
}

void errors_gone(struct request *req, const char *detail)
{
	http_reply_json_type(req, 410, "application/problem+json; charset=utf-8",
			     problem(req, 410, detail));
}

void errors_too_many(struct request *req, int retry_after_s,
		     const char *detail)
{
	char ra[16];
	json_t *body;

	snprintf(ra, sizeof(ra), "%d", retry_after_s);
	if (req->problem_details) {
		body = problem(req, 429, detail);
		http_reply_json_header(req, 429,
			"application/problem+json; charset=utf-8", body,
			"Retry-After", ra);
		return;
	}
	body = json_pack("{s:{s:i,s:s,s:[s]}}", "status", "code", 429,
			 "description", "Too Many Requests", "details", detail);
	http_reply_json_header(req, 429, "application/json; charset=utf-8",
			       body, "Retry-After", ra);
}

void errors_no_route(struct request *req, unsigned http_status)
{
	if (http_status == 405)
		errors_reply(req, 405, 21405,
			"Metoda %s nie jest obsługiwana dla %s.", req->method,
			req->path);
	else
		errors_reply(req, 404, 21405,
			"Nie znaleziono zasobu %s.", req->path);
}
