/*
 * context.c - owns context identifiers and IP policies: the forms of Nip,
 * InternalId, NipVatUe and PeppolId values (components/schemas in
 * open-api.json) and the allowedIps lists of an authorizationPolicy.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "context.h"
#include "errors.h"
#include "util/util.h"

static const char *const types[] = { "Nip", "InternalId", "NipVatUe",
				     "PeppolId" };

int context_value_ok(const char *type, const char *value)
{
	size_t n = strlen(value), i;

	if (strcmp(type, "Nip") == 0)
		return n == 10 && ksef_nip_validate_pattern(value, n, NULL) == 0;
	if (strcmp(type, "InternalId") == 0)
		return n == 16 && value[10] == '-' &&
		       util_all_digits(value + 11, 5) &&
		       ksef_nip_validate_pattern(value, 10, NULL) == 0;
	if (strcmp(type, "NipVatUe") == 0) {
		/* NIP, '-', then a country code and 2-12 more characters;
		 * the per-country patterns are the registry's business. */
		if (n < 15 || n > 25 || value[10] != '-' ||
		    ksef_nip_validate_pattern(value, 10, NULL) != 0 ||
		    value[11] < 'A' || value[11] > 'Z' ||
		    value[12] < 'A' || value[12] > 'Z')
			return 0;
		for (i = 13; i < n; i++)
			if (!((value[i] >= 'A' && value[i] <= 'Z') ||
			      (value[i] >= '0' && value[i] <= '9') ||
			      value[i] == '+' || value[i] == '*'))
				return 0;
		return 1;
	}
	if (strcmp(type, "PeppolId") == 0)
		return n == 9 && value[0] == 'P' && value[1] >= 'A' &&
		       value[1] <= 'Z' && value[2] >= 'A' && value[2] <= 'Z' &&
		       util_all_digits(value + 3, 6);
	return 0;
}

int context_from_json(struct request *req, json_t *obj,
		      struct context_id *out)
{
	json_t *t = json_object_get(obj, "type"), *v = json_object_get(obj,
								      "value");
	size_t i;

	if (!json_is_string(t) || !json_is_string(v) ||
	    json_string_length(v) >= sizeof(out->value)) {
		errors_reply(req, 400, 21405, "Pole 'contextIdentifier' musi "
			"mieć tekstowe pola 'type' i 'value'.");
		return -1;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(json_string_value(t), types[i]) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		errors_reply(req, 400, 21405, "Nieznany typ identyfikatora "
			"kontekstu '%.32s'.", json_string_value(t));
		return -1;
	}
	snprintf(out->type, sizeof(out->type), "%s", types[i]);
	snprintf(out->value, sizeof(out->value), "%s", json_string_value(v));
	if (strlen(out->value) != json_string_length(v) ||
	    !context_value_ok(out->type, out->value)) {
		errors_reply(req, 400, 21405, "Nieprawidłowa wartość "
			"identyfikatora kontekstu typu %s.", out->type);
		return -1;
	}
	return 0;
}

static int ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (strlen(s) > 15 || inet_pton(AF_INET, s, &a) != 1)
		return 0;
	if (out != NULL)
		*out = ntohl(a.s_addr);
	return 1;
}

/* Parse one entry of a list kind: 0 address, 1 range, 2 mask. */
static int entry(int kind, const char *s, uint32_t *lo, uint32_t *hi)
{
	char buf[40];
	char *sep;
	uint32_t a, b;
	long bits;

	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	if (kind == 0) {
		if (!ip4(buf, &a))
			return 0;
		*lo = *hi = a;
		return 1;
	}
	sep = strchr(buf, kind == 1 ? '-' : '/');
	if (sep == NULL)
		return 0;
	*sep++ = '\0';
	if (!ip4(buf, &a))
		return 0;
	if (kind == 1) {
		if (!ip4(sep, &b) || b < a)
			return 0;
		*lo = a;
		*hi = b;
		return 1;
	}
	if (*sep == '\0' || strlen(sep) > 2 ||
	    !util_all_digits(sep, strlen(sep)) ||
	    (bits = strtol(sep, NULL, 10)) > 32 ||
	    (strlen(sep) == 2 && sep[0] == '0'))
		return 0;
	b = bits == 0 ? 0 : 0xFFFFFFFFu << (32 - bits);
	*lo = a & b;
	*hi = *lo | ~b;
	return 1;
}

static const char *const lists[] = { "ip4Addresses", "ip4Ranges",
				     "ip4Masks" };

int context_check_policy(struct request *req, json_t *policy)
{
	json_t *ips, *arr, *v;
	uint32_t lo, hi;
	size_t k, i;

	if (!json_is_object(policy))
		goto bad;
	ips = json_object_get(policy, "allowedIps");
	if (ips == NULL || json_is_null(ips))
		return 0;
	if (!json_is_object(ips))
		goto bad;
	for (k = 0; k < 3; k++) {
		arr = json_object_get(ips, lists[k]);
		if (arr == NULL || json_is_null(arr))
			continue;
		if (!json_is_array(arr) || json_array_size(arr) > 10)
			goto bad;
		json_array_foreach(arr, i, v)
			if (!json_is_string(v) ||
			    !entry((int)k, json_string_value(v), &lo, &hi))
				goto bad;
	}
	return 0;
bad:
	errors_reply(req, 400, 21405, "Nieprawidłowe pole "
		"'authorizationPolicy': listy adresów, zakresów i masek IPv4 "
		"mają po najwyżej 10 pozycji w opisanych formatach.");
	return -1;
}

int context_policy_text(char *out, size_t size, json_t *policy)
{
	json_t *ips = json_object_get(policy, "allowedIps"), *lists_out, *doc;
	char *text;
	size_t k, n;

	out[0] = '\0';
	if (!json_is_object(ips))
		return 0;
	if ((lists_out = json_object()) == NULL)
		return -1;
	for (k = 0; k < 3; k++) {
		json_t *arr = json_object_get(ips, lists[k]);

		if (json_is_array(arr) && json_array_size(arr) > 0)
			json_object_set(lists_out, lists[k], arr);
	}
	if (json_object_size(lists_out) == 0) {
		json_decref(lists_out);
		return 0;
	}
	/* "o" steals lists_out, so doc owns everything now. */
	doc = json_pack("{s:o}", "allowedIps", lists_out);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return -1;
	n = strlen(text);
	if (n >= size) {
		free(text);
		return -1;
	}
	memcpy(out, text, n + 1);
	free(text);
	return 0;
}

int context_policy_from_lists(struct request *req,
			      const ksef_client_ip_policy *policy, char *out,
			      size_t size)
{
	const char *const *list[3] = { policy->addresses, policy->ranges,
				       policy->masks };
	size_t count[3] = { policy->address_count, policy->range_count,
			    policy->mask_count };
	json_t *doc = json_object(), *ips = json_object(), *arr;
	size_t k, i;
	int rc = -1;

	if (doc == NULL || ips == NULL ||
	    json_object_set(doc, "allowedIps", ips) != 0)
		goto nomem;
	for (k = 0; k < 3; k++) {
		if (count[k] == 0)
			continue;
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(ips, lists[k], arr) != 0)
			goto nomem;
		for (i = 0; i < count[k]; i++)
			if (json_array_append_new(arr,
					json_string(list[k][i])) != 0)
				goto nomem;
	}
	if (context_check_policy(req, doc) != 0)
		goto out;
	if (context_policy_text(out, size, doc) != 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	errors_reply(req, 500, 21405, "Nie można zapisać pola "
		"'AuthorizationPolicy'.");
out:
	json_decref(ips);
	json_decref(doc);
	return rc;
}

int context_ip_allowed(const char *policy_json, const char *ip)
{
	json_t *policy, *ips, *arr, *v;
	uint32_t addr = 0, lo, hi;
	int any = 0, ok = 0, v4;
	size_t k, i;

	if (policy_json == NULL || *policy_json == '\0')
		return 1;
	policy = json_loads(policy_json, 0, NULL);
	ips = json_object_get(policy, "allowedIps");
	if (!json_is_object(ips)) {
		json_decref(policy);
		return 1;
	}
	/* The lists are IPv4 only: an IPv6 caller (or an address that does
	 * not parse) matches nothing listed, not even 0.0.0.0/0. */
	v4 = ip != NULL && ip4(ip, &addr);
	for (k = 0; k < 3; k++) {
		arr = json_object_get(ips, lists[k]);
		json_array_foreach(arr, i, v) {
			any = 1;
			if (v4 && json_is_string(v) &&
			    entry((int)k, json_string_value(v), &lo, &hi) &&
			    addr >= lo && addr <= hi)
				ok = 1;
		}
	}
	json_decref(policy);
	return !any || ok;
}
