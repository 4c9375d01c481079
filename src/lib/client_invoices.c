/*
 * client_invoices.c - the endpoint of the open-api tag "Pobieranie
 * faktur" that the interactive workflow needs: an accepted invoice's XML.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_int.h"

int ksef_client_invoice_download(ksef_buf *out, ksef_client *c,
				 const char *ksef_number, ksef_error *err)
{
	char path[96];
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = ksef__req_check_ksef_number(ksef_number, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/invoices/ksef/%s", ksef_number);
	return ksef__req_download(out, c, path, err);
}
