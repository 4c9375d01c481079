/*
 * invoice_meta.c - owns InvoiceMetadata (invoice_meta.h): what of an
 * accepted invoice is kept for retrieval, and how it is written. The
 * names of types, identifiers and form codes are those of open-api.json;
 * the mapping from the invoice's own codes (RodzajFaktury, the
 * identifier elements of Podmiot2/Podmiot3) is written down here once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "invoice_meta.h"

static void copy(char *dst, size_t size, const char *s)
{
	if (s != NULL && strlen(s) < size)
		strcpy(dst, s);
	else
		dst[0] = '\0';
}

/* "-12.34" (as libksef writes sums) in grosze; 0 when absent. */
static int64_t grosze(const char *s)
{
	int64_t whole, frac = 0;
	int neg;
	char *end;

	if (s == NULL)
		return 0;
	neg = *s == '-';
	whole = strtoll(neg ? s + 1 : s, &end, 10);
	if (*end == '.')
		frac = strtoll(end + 1, NULL, 10);
	return (whole * 100 + frac) * (neg ? -1 : 1);
}

/* RodzajFaktury (or a PEF form) as InvoiceType. */
static const char *invoice_type(const char *kind, int form)
{
	static const char *const map[][2] = {
		{ "VAT", "Vat" }, { "ZAL", "Zal" }, { "KOR", "Kor" },
		{ "ROZ", "Roz" }, { "UPR", "Upr" }, { "KOR_ZAL", "KorZal" },
		{ "KOR_ROZ", "KorRoz" }, { "VAT_RR", "VatRr" },
		{ "KOR_VAT_RR", "KorVatRr" },
	};
	size_t i;

	if (form == KSEF_FORM_PEF3)
		return "VatPef";
	if (form == KSEF_FORM_PEF_KOR3)
		return "KorPef";
	for (i = 0; kind != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(kind, map[i][0]) == 0)
			return map[i][1];
	return form == KSEF_FORM_FA_RR1 ? "VatRr" : "Vat";
}

static const char *form_type(int form)
{
	switch (form) {
	case KSEF_FORM_PEF3:
	case KSEF_FORM_PEF_KOR3:
		return "PEF";
	case KSEF_FORM_FA_RR1:
		return "FA_RR";
	default:
		return "FA";
	}
}

int64_t invoice_meta_day_key(const char *date)
{
	ksef_date d;
	int64_t y, m, era, yoe, doy, doe;

	if (date == NULL ||
	    ksef_date_parse(&d, date, strlen(date), NULL) != 0)
		return INT64_MIN;
	/* days from civil (H. Hinnant) */
	y = d.year - (d.month <= 2);
	m = d.month;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400000;
}

/* A Podmiot3 identifier as libksef gives it ("NIP:...", "IDWew:...",
 * "UE:...", "ID:<country>:<number>", "BrakID") as {type, value}. */
static json_t *third_identifier(const char *id)
{
	const char *colon;

	if (strncmp(id, "NIP:", 4) == 0)
		return json_pack("{s:s,s:s}", "type", "Nip", "value", id + 4);
	if (strncmp(id, "IDWew:", 6) == 0)
		return json_pack("{s:s,s:s}", "type", "InternalId",
				 "value", id + 6);
	if (strncmp(id, "UE:", 3) == 0)
		return json_pack("{s:s,s:s}", "type", "VatUe",
				 "value", id + 3);
	if (strncmp(id, "ID:", 3) == 0) {
		colon = strchr(id + 3, ':');
		return json_pack("{s:s,s:s}", "type", "Other",
				 "value", colon ? colon + 1 : id + 3);
	}
	return json_pack("{s:s}", "type", "None");
}

static void thirds(store_invoice_meta *m, const ksef_verdict *v)
{
	json_t *a = json_array();
	size_t i, n = ksef_verdict_third_party_count(v), used;
	const char *id;
	char *text;

	strcpy(m->subject3_nips, ",");
	for (i = 0; a != NULL && i < n; i++) {
		id = ksef_verdict_third_party(v, i);
		json_array_append_new(a, json_pack("{s:o,s:i}", "identifier",
			third_identifier(id), "role",
			ksef_verdict_third_party_role(v, i)));
		used = strlen(m->subject3_nips);
		if (strncmp(id, "NIP:", 4) == 0 &&
		    used + strlen(id + 4) + 2 <= sizeof(m->subject3_nips)) {
			strcat(m->subject3_nips, id + 4);
			strcat(m->subject3_nips, ",");
		}
	}
	text = a ? json_dumps(a, JSON_COMPACT) : NULL;
	copy(m->third, sizeof(m->third), text);
	free(text);
	json_decref(a);
}

void invoice_meta_from_verdict(store_invoice_meta *m, const ksef_verdict *v,
			       int form)
{
	const char *s, *colon;

	memset(m, 0, sizeof(*m));
	m->issue_key = invoice_meta_day_key(
		ksef_verdict_field(v, KSEF_FIELD_ISSUE_DATE));
	if (m->issue_key == INT64_MIN)
		m->issue_key = 0;
	copy(m->seller_name, sizeof(m->seller_name),
	     ksef_verdict_summary(v, KSEF_SUMMARY_SELLER_NAME));
	copy(m->buyer_name, sizeof(m->buyer_name),
	     ksef_verdict_summary(v, KSEF_SUMMARY_BUYER_NAME));
	if ((s = ksef_verdict_field(v, KSEF_FIELD_BUYER_NIP)) != NULL) {
		strcpy(m->buyer_id_type, "Nip");
		copy(m->buyer_id, sizeof(m->buyer_id), s);
	} else if ((s = ksef_verdict_field(v, KSEF_FIELD_BUYER_EU_VAT))) {
		strcpy(m->buyer_id_type, "VatUe");
		copy(m->buyer_id, sizeof(m->buyer_id), s);
	} else if ((s = ksef_verdict_field(v, KSEF_FIELD_BUYER_OTHER_ID))) {
		strcpy(m->buyer_id_type, "Other");
		colon = strchr(s, ':');
		copy(m->buyer_id, sizeof(m->buyer_id), colon ? colon + 1 : s);
	} else {
		strcpy(m->buyer_id_type, "None");
	}
	s = ksef_verdict_summary(v, KSEF_SUMMARY_CURRENCY);
	copy(m->currency, sizeof(m->currency), s ? s : "PLN");
	m->net = grosze(ksef_verdict_summary(v, KSEF_SUMMARY_NET));
	m->vat = grosze(ksef_verdict_summary(v, KSEF_SUMMARY_VAT));
	m->gross = grosze(ksef_verdict_summary(v, KSEF_SUMMARY_GROSS));
	s = ksef_verdict_summary(v, KSEF_SUMMARY_SELF_INVOICING);
	m->self_invoicing = s != NULL && strcmp(s, "1") == 0;
	m->has_attachment = ksef_verdict_has_attachment(v) != 0;
	m->form = form;
	strcpy(m->form_type, form_type(form));
	strcpy(m->invoice_type, invoice_type(
		ksef_verdict_field(v, KSEF_FIELD_INVOICE_KIND), form));
	copy(m->authorized_nip, sizeof(m->authorized_nip),
	     ksef_verdict_summary(v, KSEF_SUMMARY_AUTHORIZED_NIP));
	s = ksef_verdict_summary(v, KSEF_SUMMARY_AUTHORIZED_ROLE);
	m->authorized_role = s ? atoi(s) : 0;
	thirds(m, v);
}

static json_t *amount(int64_t g)
{
	return json_real((double)g / 100.0);
}

json_t *invoice_meta_json(const store_meta_row *r)
{
	const store_invoice_meta *m = &r->meta;
	ksef_form_code fc = ksef_form_code_of((ksef_form)m->form);
	json_t *o, *buyer_id, *third;

	buyer_id = m->buyer_id[0] != '\0' ?
		json_pack("{s:s,s:s}", "type", m->buyer_id_type,
			  "value", m->buyer_id) :
		json_pack("{s:s}", "type", m->buyer_id_type);
	o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:{s:s},s:{s:o},s:o,s:o,s:o,"
		      "s:s,s:s,s:s,s:{s:s,s:s,s:s},s:b,s:b,s:s}",
		"ksefNumber", r->inv.ksef_number,
		"invoiceNumber", r->inv.invoice_number,
		"issueDate", r->inv.issue_date,
		"invoicingDate", api_time(r->inv.invoicing_ms),
		"acquisitionDate", api_time(r->inv.acquisition_ms),
		"permanentStorageDate", api_time(r->inv.permanent_storage_ms),
		"seller", "nip", "",
		"buyer", "identifier", buyer_id,
		"netAmount", amount(m->net),
		"grossAmount", amount(m->gross),
		"vatAmount", amount(m->vat),
		"currency", m->currency,
		"invoicingMode", r->inv.invoicing_mode,
		"invoiceType", m->invoice_type,
		"formCode", "systemCode", fc.system_code ? fc.system_code : "",
		"schemaVersion", fc.schema_version ? fc.schema_version : "",
		"value", fc.value ? fc.value : "",
		"isSelfInvoicing", m->self_invoicing,
		"hasAttachment", m->has_attachment,
		"invoiceHash", r->inv.invoice_hash);
	if (o == NULL)
		return NULL;
	json_object_set_new(json_object_get(o, "seller"), "nip",
			    json_string(r->inv.seller_nip));
	if (m->seller_name[0] != '\0')
		json_object_set_new(json_object_get(o, "seller"), "name",
				    json_string(m->seller_name));
	if (m->buyer_name[0] != '\0')
		json_object_set_new(json_object_get(o, "buyer"), "name",
				    json_string(m->buyer_name));
	if (r->inv.hash_of_corrected[0] != '\0')
		json_object_set_new(o, "hashOfCorrectedInvoice",
				    json_string(r->inv.hash_of_corrected));
	third = m->third[0] ? json_loads(m->third, 0, NULL) : NULL;
	json_object_set_new(o, "thirdSubjects", third ? third : json_array());
	if (m->authorized_nip[0] != '\0')
		json_object_set_new(o, "authorizedSubject", json_pack(
			"{s:s,s:i}", "nip", m->authorized_nip, "role",
			m->authorized_role));
	return o;
}
