/*
 * ksef.h - the whole public API of libksef.
 */
#ifndef KSEF_KSEF_H
#define KSEF_KSEF_H

#include "common.h"
#include "error.h"
#include "buf.h"
#include "limits.h"
#include "encoding.h"
#include "envelope.h"
#include "number.h"
#include "qr.h"
#include "qr_cert.h"
#include "offline.h"
#include "invoice.h"
#include "gen.h"
#include "session.h"
#include "client.h"
#include "client_limits.h"
#include "client_testdata.h"
#include "client_permissions.h"
#include "client_batch.h"
#include "client_invoices.h"
#include "client_certificates.h"
#include "upo.h"
#include "xades.h"

#endif
