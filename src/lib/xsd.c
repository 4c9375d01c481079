/*
 * xsd.c - owns the official schema set: where the files are, compiling
 * each form's schema at most once per process, and validating documents
 * against it.
 *
 * Threads: a compiled xmlSchema is read-only and libxml2 allows any number
 * of threads to validate against it at once, each with its own validation
 * context. Compilation is serialised by the set's mutex; the compiled
 * pointer is published under that mutex, so readers take it too (an
 * uncontended lock costs nanoseconds next to a validation).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libxml/xmlschemas.h>
#include "ksef/invoice.h"
#include "alloc.h"
#include "internal.h"
#include "xml.h"
#include "xsd.h"

/* <datadir>/ksef/schemas of the installation, from CMake. No build
 * folder is ever compiled in: a build tree's programs are pointed at
 * its schemas through $KSEF_SCHEMA_DIR. */
#ifndef KSEF_INSTALLED_SCHEMA_DIR
#define KSEF_INSTALLED_SCHEMA_DIR "/usr/share/ksef/schemas"
#endif

enum { FORM_NEW = 0, FORM_READY, FORM_FAILED };

struct form_schema {
	int state;
	xmlSchemaPtr schema;
	int code;                 /* the error a failed compile returns */
	char message[KSEF_ERROR_MESSAGE_MAX];
};

struct ksef_schemas {
	char *dir;
	pthread_mutex_t lock;
	struct form_schema forms[KSEF_FORM_COUNT];
};

static const struct form_info {
	ksef_form_code code;
	const char *ns;
	const char *file;
} form_info[KSEF_FORM_COUNT] = {
	[KSEF_FORM_FA2] = { { "FA (2)", "1-0E", "FA" },
		"http://crd.gov.pl/wzor/2023/06/29/12648/",
		"FA/schemat_FA(2)_v1-0E.xsd" },
	[KSEF_FORM_FA3] = { { "FA (3)", "1-0E", "FA" },
		"http://crd.gov.pl/wzor/2025/06/25/13775/",
		"FA/schemat_FA(3)_v1-0E.xsd" },
	[KSEF_FORM_PEF3] = { { "PEF (3)", "2-1", "PEF" },
		"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
		"PEF/Schemat_PEF(3)_v2-1.xsd" },
	[KSEF_FORM_PEF_KOR3] = { { "PEF_KOR (3)", "2-1", "PEF" },
		"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
		"PEF/Schemat_PEF_KOR(3)_v2-1.xsd" },
	[KSEF_FORM_FA_RR1] = { { "FA_RR (1)", "1-1E", "FA_RR" },
		"http://crd.gov.pl/wzor/2026/03/06/14189/",
		"RR/schemat_FA_RR(1)_v1-1E.xsd" },
};

static int form_valid(ksef_form form)
{
	return (int)form >= 0 && form < KSEF_FORM_COUNT;
}

int ksef_form_from_code(ksef_form *out, const ksef_form_code *code,
			ksef_error *err)
{
	int i;

	if (out == NULL || code == NULL || code->system_code == NULL ||
	    code->schema_version == NULL || code->value == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "form code is incomplete");
	for (i = 0; i < KSEF_FORM_COUNT; i++) {
		const ksef_form_code *c = &form_info[i].code;

		if (strcmp(c->system_code, code->system_code) == 0 &&
		    strcmp(c->schema_version, code->schema_version) == 0 &&
		    strcmp(c->value, code->value) == 0) {
			*out = (ksef_form)i;
			return 0;
		}
	}
	return ksef__error_set(err, KSEF_ENOTFOUND,
		"form code is not supported");
}

ksef_form_code ksef_form_code_of(ksef_form form)
{
	ksef_form_code none = { NULL, NULL, NULL };

	return form_valid(form) ? form_info[form].code : none;
}

const char *ksef_form_namespace(ksef_form form)
{
	return form_valid(form) ? form_info[form].ns : NULL;
}

const char *ksef_form_schema_file(ksef_form form)
{
	return form_valid(form) ? form_info[form].file : NULL;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The folder used when the caller names none, the first that applies:
 * $KSEF_SCHEMA_DIR; the user's data folder ($XDG_DATA_HOME/ksef/schemas,
 * else ~/.local/share/ksef/schemas, as the XDG base directory spec says),
 * where `ksef schemas fetch` puts them, if it exists; then the installed
 * <datadir>/ksef/schemas. A relative XDG_DATA_HOME is ignored, as the
 * spec requires. The answer is malloc'd, or NULL when out of memory.
 */
static char *default_dir(void)
{
	const char *env = getenv("KSEF_SCHEMA_DIR");
	const char *base, *suffix;
	char *user;
	int n;

	if (env != NULL && *env != '\0')
		return strdup(env);
	if ((base = getenv("XDG_DATA_HOME")) != NULL && base[0] == '/')
		suffix = "/ksef/schemas";
	else if ((base = getenv("HOME")) != NULL && base[0] == '/')
		suffix = "/.local/share/ksef/schemas";
	else
		return strdup(KSEF_INSTALLED_SCHEMA_DIR);
	n = snprintf(NULL, 0, "%s%s", base, suffix);
	if (n < 0 || (user = malloc((size_t)n + 1)) == NULL)
		return NULL;
	snprintf(user, (size_t)n + 1, "%s%s", base, suffix);
	if (is_dir(user))
		return user;
	free(user);
	return strdup(KSEF_INSTALLED_SCHEMA_DIR);
}

int ksef_schemas_new(ksef_schemas **out, const char *dir, ksef_error *err)
{
	ksef_schemas *s;
	char *path;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output pointer");
	*out = NULL;
	path = dir != NULL && *dir != '\0' ? strdup(dir) : default_dir();
	if (path == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (!is_dir(path)) {
		ksef__error_set(err, KSEF_ENOTFOUND,
			"schema folder %s does not exist; fetch the official "
			"schemas with `ksef schemas fetch` (in a checkout: "
			"scripts/fetch-schemas.sh)", path);
		free(path);
		return KSEF_ENOTFOUND;
	}
	if (ksef_global_init() < 0) {
		free(path);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		free(path);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	s->dir = path;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s->dir);
		free(s);
		return ksef__error_set(err, KSEF_ENOMEM, "cannot create a mutex");
	}
	*out = s;
	return 0;
}

const char *ksef_schemas_dir(const ksef_schemas *schemas)
{
	return schemas ? schemas->dir : NULL;
}

void ksef_schemas_free(ksef_schemas *schemas)
{
	int i;

	if (schemas == NULL)
		return;
	for (i = 0; i < KSEF_FORM_COUNT; i++)
		xmlSchemaFree(schemas->forms[i].schema);
	pthread_mutex_destroy(&schemas->lock);
	free(schemas->dir);
	free(schemas);
}

/* Keeps the first compile error so it can be repeated to every caller. */
static void compile_error(void *ctx, xmlErrorPtr e)
{
	struct form_schema *f = ctx;
	size_t n;

	if (f->message[0] != '\0' || e == NULL || e->level < XML_ERR_ERROR)
		return;
	snprintf(f->message, sizeof(f->message), "%s:%d: %s",
		 e->file ? e->file : "schema", e->line,
		 e->message ? e->message : "error");
	n = strlen(f->message);
	while (n > 0 && f->message[n - 1] == '\n')
		f->message[--n] = '\0';
}

static void compile_locked(ksef_schemas *s, ksef_form form)
{
	struct form_schema *f = &s->forms[form];
	xmlSchemaParserCtxtPtr pctxt;
	char path[4096];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", s->dir,
		     form_info[form].file) >= (int)sizeof(path)) {
		f->code = KSEF_ESCHEMA;
		snprintf(f->message, sizeof(f->message), "schema path too long");
		goto failed;
	}
	if (stat(path, &st) != 0) {
		f->code = KSEF_ESCHEMA;
		snprintf(f->message, sizeof(f->message),
			 "schema %s for %s is missing from %.120s; fetch it "
			 "with `ksef schemas fetch` (scripts/fetch-schemas.sh)",
			 form_info[form].file,
			 form_info[form].code.system_code, s->dir);
		goto failed;
	}
	pctxt = xmlSchemaNewParserCtxt(path);
	if (pctxt == NULL) {
		f->code = KSEF_ENOMEM;
		snprintf(f->message, sizeof(f->message), "out of memory");
		goto failed;
	}
	xmlSchemaSetParserStructuredErrors(pctxt, compile_error, f);
	/* Imports by crd.gov.pl URL resolve under this folder, and only
	 * while this thread compiles. */
	ksef__xml_set_schema_dir(s->dir);
	f->schema = xmlSchemaParse(pctxt);
	ksef__xml_set_schema_dir(NULL);
	xmlSchemaFreeParserCtxt(pctxt);
	if (f->schema == NULL) {
		char why[KSEF_ERROR_MESSAGE_MAX];

		f->code = KSEF_ESCHEMA;
		snprintf(why, sizeof(why), "%s", f->message);
		snprintf(f->message, sizeof(f->message),
			 "schema %s does not compile: %.200s",
			 form_info[form].code.system_code,
			 why[0] ? why : "unknown error");
		goto failed;
	}
	f->state = FORM_READY;
	return;
failed:
	f->state = FORM_FAILED;
}

/* The compiled schema, compiling it on first use; NULL with err set. */
static xmlSchemaPtr schema_get(ksef_schemas *s, ksef_form form,
			       ksef_error *err)
{
	struct form_schema *f = &s->forms[form];
	xmlSchemaPtr schema = NULL;

	pthread_mutex_lock(&s->lock);
	if (f->state == FORM_NEW)
		compile_locked(s, form);
	if (f->state == FORM_READY)
		schema = f->schema;
	else
		ksef__error_set(err, f->code, "%s", f->message);
	pthread_mutex_unlock(&s->lock);
	return schema;
}

int ksef_schemas_compile(ksef_schemas *schemas, ksef_form form,
			 ksef_error *err)
{
	ksef_error local;

	if (schemas == NULL || !form_valid(form))
		return ksef__error_set(err, KSEF_EINVAL, "no schemas or bad form");
	if (schema_get(schemas, form, err ? err : &local) == NULL)
		return err ? err->code : local.code;
	return 0;
}

struct validation {
	ksef__xsd_report report;
	void *ctx;
};

static void validation_error(void *ctx, xmlErrorPtr e)
{
	struct validation *v = ctx;
	char msg[KSEF_ERROR_MESSAGE_MAX];
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "invalid");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	v->report(v->ctx, e->line, msg);
}

int ksef__xsd_validate(ksef_schemas *schemas, ksef_form form, xmlDoc *doc,
		       ksef__xsd_report report, void *ctx, ksef_error *err)
{
	struct validation v = { report, ctx };
	xmlSchemaValidCtxtPtr vctxt;
	xmlSchemaPtr schema;
	unsigned long mark;
	int rc;

	if (schemas == NULL || !form_valid(form) || doc == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no schemas or bad form");
	schema = schema_get(schemas, form, err);
	if (schema == NULL)
		return err ? err->code : KSEF_ESCHEMA;
	mark = ksef__alloc_failures();
	vctxt = xmlSchemaNewValidCtxt(schema);
	/* libxml2 2.9 returns a context whose parts it could not allocate
	 * (its dictionary, its name list) and crashes validating with it. */
	if (vctxt != NULL && ksef__alloc_failures() != mark) {
		xmlSchemaFreeValidCtxt(vctxt);
		vctxt = NULL;
	}
	if (vctxt == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	xmlSchemaSetValidStructuredErrors(vctxt, validation_error, &v);
	rc = xmlSchemaValidateDoc(vctxt, doc);
	xmlSchemaFreeValidCtxt(vctxt);
	if (rc < 0)
		return ksef__error_set(err, KSEF_ESCHEMA,
			"libxml2 could not validate against %s",
			form_info[form].code.system_code);
	return rc == 0 ? 0 : 1;
}
