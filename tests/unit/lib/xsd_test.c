/*
 * xsd_test.c - the schema set (src/lib/xsd.c): opening a folder, a form's
 * file missing or broken, compiling each form once and reusing it, the
 * crd.gov.pl import URLs mapped to local files with nothing fetched, and
 * validation reporting a document the schema refuses.
 *
 * Most tests write small schemas of their own into a temporary folder,
 * under the file names of the official ones, so they run without the
 * fetched schemas; the few that need the real ones skip when those are
 * absent.
 */
#include "testsupport.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ksef/invoice.h"
#include "xml.h"
#include "xsd.h"

#define FA3_FILE "FA/schemat_FA(3)_v1-0E.xsd"
#define FA3_NS "http://crd.gov.pl/wzor/2025/06/25/13775/"
#define CRD_BASE \
	"http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/" \
	"DefinicjeTypy/"

/* An FA (3) stand-in: Faktura holding one Kwota of the type `type`, with
 * `extra` (an import or include) before it. */
#define SCHEMA_HEAD \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"\n" \
	" xmlns:b=\"urn:test:base\" targetNamespace=\"" FA3_NS "\"\n" \
	" elementFormDefault=\"qualified\">\n"
#define SCHEMA_TAIL \
	"<xsd:element name=\"Faktura\"><xsd:complexType><xsd:sequence>\n" \
	"<xsd:element name=\"Kwota\" type=\"%s\"/>\n" \
	"</xsd:sequence></xsd:complexType></xsd:element>\n" \
	"</xsd:schema>\n"

/* The base types an import brings: an amount of at most 1000. */
static const char base_xsd[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"\n"
	" targetNamespace=\"urn:test:base\">\n"
	"<xsd:simpleType name=\"Amount\">"
	"<xsd:restriction base=\"xsd:decimal\"><xsd:maxInclusive "
	"value=\"1000\"/></xsd:restriction></xsd:simpleType>\n"
	"</xsd:schema>\n";

static const char valid_doc[] =
	"<Faktura xmlns=\"" FA3_NS "\">\n<Kwota>12.50</Kwota>\n</Faktura>";
static const char invalid_doc[] =
	"<Faktura xmlns=\"" FA3_NS "\">\n<Kwota>12.50</Kwota>\n"
	"<Uwagi>x</Uwagi>\n</Faktura>";

static int setup(void **state)
{
	(void)state;
	return ksef_global_init() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ksef_global_cleanup();
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* Write text (a printf format) to dir/rel, making its folders. */
static void put(const char *dir, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put(const char *dir, const char *rel, const char *fmt, ...)
{
	char path[8192], text[8192];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(ts_system("mkdir -p \"$(dirname '%s')\"", path), 0);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ts_write_file(path, text, strlen(text));
}

/* A folder whose FA (3) schema uses xsd:decimal and imports nothing. */
static char *plain_folder(void)
{
	char *dir = ts_mkdtemp();

	put(dir, FA3_FILE, SCHEMA_HEAD SCHEMA_TAIL, "xsd:decimal");
	return dir;
}

/* A folder whose FA (3) schema imports the base types from `location`,
 * with base_xsd at dir/base_rel (when base_rel is not NULL). */
static char *import_folder(const char *location, const char *base_rel)
{
	char *dir = ts_mkdtemp();

	put(dir, FA3_FILE, SCHEMA_HEAD
	    "<xsd:import namespace=\"urn:test:base\" schemaLocation=\"%s\"/>\n"
	    SCHEMA_TAIL, location, "b:Amount");
	if (base_rel != NULL)
		put(dir, base_rel, "%s", base_xsd);
	return dir;
}

static ksef_schemas *open_set(const char *dir)
{
	ksef_schemas *s = NULL;
	ksef_error err;

	if (ksef_schemas_new(&s, dir, &err) != 0)
		fail_msg("%s: %s", dir ? dir : "(default)", err.message);
	return s;
}

static void assert_has(const ksef_error *err, const char *what)
{
	if (strstr(err->message, what) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err->message, what);
}

/* What validation reported. */
struct reports {
	int count;
	int first_line;
	char first[256];
};

static void note(void *ctx, int line, const char *message)
{
	struct reports *r = ctx;

	if (r->count++ == 0) {
		r->first_line = line;
		snprintf(r->first, sizeof(r->first), "%s", message);
	}
}

/* Validate text against the set's FA (3): 0, 1 or a KSEF_E* code. */
static int validate(ksef_schemas *s, const char *text, struct reports *r,
		    ksef_error *err)
{
	xmlDoc *doc = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (ksef__xml_parse(&doc, NULL, (const unsigned char *)text,
			    strlen(text), 1 << 20, err) != 0)
		fail_msg("test document: %s", err->message);
	rc = ksef__xsd_validate(s, KSEF_FORM_FA3, doc, note, r, err);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- opening a folder ---------------------------------------------------- */

static void new_refuses_no_output_and_a_folder_that_is_not_there(
	void **state)
{
	ksef_schemas *s = (ksef_schemas *)&s;
	char *dir, file[600];
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_schemas_new(NULL, "/tmp", &err), KSEF_EINVAL);
	assert_int_equal(ksef_schemas_new(&s, "/nonexistent/ksef", &err),
			 KSEF_ENOTFOUND);
	assert_null(s);
	assert_has(&err, "/nonexistent/ksef");
	/* A file where the folder should be. */
	dir = ts_mkdtemp();
	snprintf(file, sizeof(file), "%s/file", dir);
	ts_write_file(file, "x", 1);
	assert_int_equal(ksef_schemas_new(&s, file, &err), KSEF_ENOTFOUND);
	assert_null(s);
	ts_rmdir(dir);
	/* NULL err is allowed; freeing nothing is a no-op. */
	assert_int_equal(ksef_schemas_new(&s, "/nonexistent/ksef", NULL),
			 KSEF_ENOTFOUND);
	ksef_schemas_free(NULL);
	assert_null(ksef_schemas_dir(NULL));
}

static void no_folder_named_means_ksef_schema_dir(void **state)
{
	const char *saved = getenv("KSEF_SCHEMA_DIR");
	char *keep = saved ? strdup(saved) : NULL;
	char *dir = ts_mkdtemp();
	ksef_schemas *s;

	(void)state;
	assert_int_equal(setenv("KSEF_SCHEMA_DIR", dir, 1), 0);
	s = open_set(NULL);
	assert_string_equal(ksef_schemas_dir(s), dir);
	ksef_schemas_free(s);
	s = open_set("");
	assert_string_equal(ksef_schemas_dir(s), dir);
	ksef_schemas_free(s);
	if (keep != NULL)
		setenv("KSEF_SCHEMA_DIR", keep, 1);
	else
		unsetenv("KSEF_SCHEMA_DIR");
	free(keep);
	ts_rmdir(dir);
}

/* The environment the default-folder tests change, kept and given back. */
struct saved_env {
	char *value[3];
};

static const char *const env_names[3] = {
	"KSEF_SCHEMA_DIR", "XDG_DATA_HOME", "HOME"
};

static void env_save(struct saved_env *e)
{
	int i;

	for (i = 0; i < 3; i++) {
		const char *v = getenv(env_names[i]);

		e->value[i] = v ? strdup(v) : NULL;
	}
}

static void env_restore(struct saved_env *e)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (e->value[i] != NULL)
			setenv(env_names[i], e->value[i], 1);
		else
			unsetenv(env_names[i]);
		free(e->value[i]);
	}
}

static void without_ksef_schema_dir_the_users_data_folder_is_next(void **state)
{
	struct saved_env e;
	char *home = ts_mkdtemp(), *xdg = ts_mkdtemp();
	char want[4200];
	ksef_schemas *s;

	(void)state;
	env_save(&e);
	unsetenv("KSEF_SCHEMA_DIR");
	setenv("HOME", home, 1);
	/* $XDG_DATA_HOME/ksef/schemas, where `ksef schemas fetch` puts them. */
	setenv("XDG_DATA_HOME", xdg, 1);
	assert_int_equal(ts_system("mkdir -p '%s/ksef/schemas'", xdg), 0);
	snprintf(want, sizeof(want), "%s/ksef/schemas", xdg);
	s = open_set(NULL);
	assert_string_equal(ksef_schemas_dir(s), want);
	ksef_schemas_free(s);
	/* No XDG_DATA_HOME, or a relative one (the XDG spec says to ignore
	 * it): ~/.local/share/ksef/schemas. */
	assert_int_equal(ts_system("mkdir -p '%s/.local/share/ksef/schemas'",
				   home), 0);
	snprintf(want, sizeof(want), "%s/.local/share/ksef/schemas", home);
	unsetenv("XDG_DATA_HOME");
	s = open_set(NULL);
	assert_string_equal(ksef_schemas_dir(s), want);
	ksef_schemas_free(s);
	setenv("XDG_DATA_HOME", "relative/data", 1);
	s = open_set("");
	assert_string_equal(ksef_schemas_dir(s), want);
	ksef_schemas_free(s);
	/* $KSEF_SCHEMA_DIR still comes first. */
	setenv("KSEF_SCHEMA_DIR", xdg, 1);
	s = open_set(NULL);
	assert_string_equal(ksef_schemas_dir(s), xdg);
	ksef_schemas_free(s);
	env_restore(&e);
	ts_rmdir(home);
	ts_rmdir(xdg);
}

static void a_user_folder_that_is_not_there_falls_to_the_installed_one(
	void **state)
{
	struct saved_env e;
	char *home = ts_mkdtemp();
	ksef_schemas *s = NULL;
	ksef_error err;
	int rc;

	(void)state;
	env_save(&e);
	unsetenv("KSEF_SCHEMA_DIR");
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", home, 1);
	/* No build folder is compiled in: the last place is the
	 * installation's <datadir>/ksef/schemas, named when it is missing. */
	rc = ksef_schemas_new(&s, NULL, &err);
	if (rc == 0) {
		assert_non_null(strstr(ksef_schemas_dir(s),
				       "/share/ksef/schemas"));
		ksef_schemas_free(s);
	} else {
		assert_int_equal(rc, KSEF_ENOTFOUND);
		assert_null(s);
		assert_non_null(strstr(err.message, "/share/ksef/schemas"));
		assert_null(strstr(err.message, home));
	}
	env_restore(&e);
	ts_rmdir(home);
}

/* ---- a form's schema ----------------------------------------------------- */

static void compile_and_validate_refuse_what_is_not_a_set_or_form(
	void **state)
{
	char *dir = plain_folder();
	ksef_schemas *s = open_set(dir);
	struct reports r;
	xmlDoc *doc = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_schemas_compile(NULL, KSEF_FORM_FA3, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_schemas_compile(s, (ksef_form)-1, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_COUNT, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef__xsd_validate(s, KSEF_FORM_FA3, NULL, note, &r,
					    &err), KSEF_EINVAL);
	assert_int_equal(ksef__xml_parse(&doc, NULL,
		(const unsigned char *)valid_doc, strlen(valid_doc), 4096,
		&err), 0);
	assert_int_equal(ksef__xsd_validate(NULL, KSEF_FORM_FA3, doc, note,
					    &r, &err), KSEF_EINVAL);
	assert_int_equal(ksef__xsd_validate(s, KSEF_FORM_COUNT, doc, note,
					    &r, &err), KSEF_EINVAL);
	xmlFreeDoc(doc);
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

static void a_missing_file_is_named_and_the_failure_remembered(void **state)
{
	char *dir = ts_mkdtemp();
	ksef_schemas *s = open_set(dir), *fresh;
	struct reports r;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA3, &err),
			 KSEF_ESCHEMA);
	assert_has(&err, FA3_FILE);
	assert_has(&err, "missing");
	/* Each form has its own file. */
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA2, &err),
			 KSEF_ESCHEMA);
	assert_has(&err, "FA/schemat_FA(2)_v1-0E.xsd");
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_PEF3, &err),
			 KSEF_ESCHEMA);
	assert_has(&err, "PEF/Schemat_PEF(3)_v2-1.xsd");

	/* The file arriving later changes nothing for this set: a failed
	 * compile is not retried on every invoice. Validation says so too. */
	put(dir, FA3_FILE, SCHEMA_HEAD SCHEMA_TAIL, "xsd:decimal");
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA3, &err),
			 KSEF_ESCHEMA);
	assert_has(&err, "missing");
	assert_int_equal(validate(s, valid_doc, &r, &err), KSEF_ESCHEMA);
	assert_int_equal(r.count, 0);
	/* A new set sees it. */
	fresh = open_set(dir);
	assert_int_equal(ksef_schemas_compile(fresh, KSEF_FORM_FA3, &err), 0);
	ksef_schemas_free(fresh);
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

static void a_schema_that_does_not_compile_is_reported(void **state)
{
	static const char *const broken[] = {
		"",
		"<",
		"<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
		"<xsd:element name=\"Faktura\" type=\"xsd:nosuchtype\"/>"
		"</xsd:schema>",
		"<notaschema/>",
	};
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		char *dir = ts_mkdtemp();
		ksef_schemas *s;

		put(dir, FA3_FILE, "%s", broken[i]);
		s = open_set(dir);
		if (ksef_schemas_compile(s, KSEF_FORM_FA3, &err) !=
		    KSEF_ESCHEMA)
			fail_msg("schema %zu compiled", i);
		assert_has(&err, "does not compile");
		ksef_schemas_free(s);
		ts_rmdir(dir);
	}
}

/*
 * The folder's path plus "/FA/schemat_FA(3)_v1-0E.xsd" must fit in 4096
 * bytes with its NUL. At 4095 characters the file is looked for (and is
 * missing); one more, and the path is refused before anything is read.
 */
static void a_path_at_the_limit_is_looked_for_and_one_over_refused(
	void **state)
{
	size_t file_len = strlen("/" FA3_FILE);
	char *base = ts_mkdtemp(), deep[4200];
	ksef_schemas *s;
	ksef_error err;

	(void)state;
	for (int over = 0; over <= 1; over++) {
		size_t want = 4095 + (size_t)over - file_len, n, r;

		/* Components of at most 200 characters up to the length. */
		n = (size_t)snprintf(deep, sizeof(deep), "%s/%d", base, over);
		while (want - n > 201) {
			deep[n++] = '/';
			memset(deep + n, 'd', 200);
			n += 200;
		}
		r = want - n;
		if (r >= 2) {
			deep[n++] = '/';
			memset(deep + n, 'd', r - 1);
			n += r - 1;
		} else if (r == 1) {
			deep[n++] = 'd';
		}
		deep[n] = '\0';
		assert_int_equal(strlen(deep), want);
		assert_int_equal(ts_system("mkdir -p '%s'", deep), 0);
		s = open_set(deep);
		assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA3, &err),
				 KSEF_ESCHEMA);
		assert_has(&err, over ? "too long" : "missing");
		ksef_schemas_free(s);
	}
	ts_rmdir(base);
}

static void a_form_compiles_once_and_is_reused(void **state)
{
	char *dir = plain_folder(), path[600];
	ksef_schemas *s = open_set(dir);
	struct reports r;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA3, &err), 0);
	/* The file gone or broken no longer matters: the set holds the
	 * compiled schema. */
	snprintf(path, sizeof(path), "%s/%s", dir, FA3_FILE);
	ts_write_file(path, "<", 1);
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA3, &err), 0);
	assert_int_equal(validate(s, valid_doc, &r, &err), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(validate(s, invalid_doc, &r, &err), 1);
	/* The other forms are still compiled on their own first use. */
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA2, &err),
			 KSEF_ESCHEMA);
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

/* ---- imports ------------------------------------------------------------- */

static void crd_gov_pl_imports_are_read_from_fa_bazowe(void **state)
{
	char *dir = import_folder(CRD_BASE "Base.xsd", "FA/bazowe/Base.xsd");
	ksef_schemas *s = open_set(dir);
	struct reports r;
	ksef_error err;

	(void)state;
	if (ksef_schemas_compile(s, KSEF_FORM_FA3, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(validate(s, valid_doc, &r, &err), 0);
	/* The imported type's facet applies. */
	assert_int_equal(validate(s, "<Faktura xmlns=\"" FA3_NS "\">"
				  "<Kwota>1000.01</Kwota></Faktura>", &r,
				  &err), 1);
	assert_true(r.count >= 1);
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

static void a_relative_include_loads_from_the_folder(void **state)
{
	char *dir = ts_mkdtemp();
	ksef_schemas *s;
	struct reports r;
	ksef_error err;

	(void)state;
	put(dir, FA3_FILE, "%s",
	    "<?xml version=\"1.0\"?>\n"
	    "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
	    " xmlns:t=\"" FA3_NS "\" targetNamespace=\"" FA3_NS "\""
	    " elementFormDefault=\"qualified\">"
	    "<xsd:include schemaLocation=\"part.xsd\"/>"
	    "<xsd:element name=\"Faktura\"><xsd:complexType><xsd:sequence>"
	    "<xsd:element name=\"Kwota\" type=\"t:Small\"/>"
	    "</xsd:sequence></xsd:complexType></xsd:element></xsd:schema>");
	put(dir, "FA/part.xsd", "%s",
	    "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
	    " targetNamespace=\"" FA3_NS "\"><xsd:simpleType name=\"Small\">"
	    "<xsd:restriction base=\"xsd:decimal\"><xsd:maxInclusive "
	    "value=\"20\"/></xsd:restriction></xsd:simpleType></xsd:schema>");
	s = open_set(dir);
	if (ksef_schemas_compile(s, KSEF_FORM_FA3, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(validate(s, valid_doc, &r, &err), 0);
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

/*
 * Imports that would leave the folder or reach the network fail to
 * compile, even where a file sits at the place they point to: a crd.gov.pl
 * name with a path in it, a crd.gov.pl file missing from FA/bazowe, and
 * any other http URL.
 */
static void imports_never_leave_the_folder(void **state)
{
	static const struct {
		const char *location, *base_at;
	} cases[] = {
		{ CRD_BASE "../Base.xsd", "FA/Base.xsd" },
		{ CRD_BASE "sub/Base.xsd", "FA/bazowe/sub/Base.xsd" },
		{ CRD_BASE "Base.xsd", NULL },
		{ CRD_BASE, "FA/bazowe/Base.xsd" },
		{ "http://crd.gov.pl/xml/schematy/Base.xsd",
		  "FA/bazowe/Base.xsd" },
		{ "https://example.invalid/Base.xsd", "FA/bazowe/Base.xsd" },
	};
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = import_folder(cases[i].location, cases[i].base_at);
		ksef_schemas *s = open_set(dir);

		if (ksef_schemas_compile(s, KSEF_FORM_FA3, &err) !=
		    KSEF_ESCHEMA)
			fail_msg("%s was loaded", cases[i].location);
		ksef_schemas_free(s);
		ts_rmdir(dir);
	}
}

static void an_http_import_makes_no_connection(void **state)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct pollfd p;
	char url[128], *dir;
	ksef_schemas *s;
	ksef_error err;
	int fd;

	(void)state;
	/* A listener on a loopback port: a fetch would connect to it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/Base.xsd",
		 ntohs(a.sin_port));

	dir = import_folder(url, "FA/bazowe/Base.xsd");
	s = open_set(dir);
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA3, &err),
			 KSEF_ESCHEMA);
	p.fd = fd;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 100), 0);
	close(fd);
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

/* ---- validation ---------------------------------------------------------- */

static void a_schema_invalid_document_is_reported_with_its_line(void **state)
{
	char *dir = plain_folder();
	ksef_schemas *s = open_set(dir);
	struct reports r;
	ksef_error err;

	(void)state;
	assert_int_equal(validate(s, valid_doc, &r, &err), 0);
	assert_int_equal(r.count, 0);
	/* Uwagi, on line 3, is not in the schema. */
	assert_int_equal(validate(s, invalid_doc, &r, &err), 1);
	assert_true(r.count >= 1);
	assert_int_equal(r.first_line, 3);
	assert_non_null(strstr(r.first, "Uwagi"));
	/* Not a decimal, on line 2. */
	assert_int_equal(validate(s, "<Faktura xmlns=\"" FA3_NS "\">\n"
				  "<Kwota>dużo</Kwota></Faktura>", &r, &err),
			 1);
	assert_int_equal(r.first_line, 2);
	/* Another namespace: the root is not the form's. */
	assert_int_equal(validate(s, "<Faktura/>", &r, &err), 1);
	assert_true(r.count >= 1);
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

struct worker {
	ksef_schemas *s;
	int ok;
};

static void *validate_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 20; i++) {
		xmlDoc *doc = NULL;
		const char *text = i % 2 ? invalid_doc : valid_doc;
		struct reports r;

		memset(&r, 0, sizeof(r));
		if (ksef__xml_parse(&doc, NULL, (const unsigned char *)text,
				    strlen(text), 4096, NULL) == 0 &&
		    ksef__xsd_validate(w->s, KSEF_FORM_FA3, doc, note, &r,
				       NULL) == i % 2)
			w->ok++;
		xmlFreeDoc(doc);
	}
	return NULL;
}

static void threads_share_one_compiled_schema(void **state)
{
	char *dir = import_folder(CRD_BASE "Base.xsd", "FA/bazowe/Base.xsd");
	ksef_schemas *s = open_set(dir);
	struct worker w[4];
	pthread_t t[4];

	(void)state;
	/* Nothing compiled yet: the threads race to compile, and the
	 * import's folder is set per thread while one does. */
	for (int i = 0; i < 4; i++) {
		w[i].s = s;
		w[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, validate_many,
						&w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 20);
	}
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

/* ---- forms --------------------------------------------------------------- */

static void form_lookups_refuse_what_is_not_a_form(void **state)
{
	ksef_form_code code = { "FA (3)", "1-0E", "FA" }, none;
	ksef_form f = KSEF_FORM_FA2;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_form_from_code(NULL, &code, &err), KSEF_EINVAL);
	assert_int_equal(ksef_form_from_code(&f, NULL, &err), KSEF_EINVAL);
	code.value = NULL;
	assert_int_equal(ksef_form_from_code(&f, &code, &err), KSEF_EINVAL);
	code.value = "FA";
	code.schema_version = "1-0";
	assert_int_equal(ksef_form_from_code(&f, &code, &err),
			 KSEF_ENOTFOUND);
	assert_int_equal(f, KSEF_FORM_FA2);
	code.schema_version = "1-0E";
	assert_int_equal(ksef_form_from_code(&f, &code, &err), 0);
	assert_int_equal(f, KSEF_FORM_FA3);
	assert_string_equal(ksef_form_schema_file(f), FA3_FILE);
	assert_string_equal(ksef_form_namespace(f), FA3_NS);

	none = ksef_form_code_of(KSEF_FORM_COUNT);
	assert_null(none.system_code);
	assert_null(ksef_form_schema_file((ksef_form)-1));
	assert_null(ksef_form_namespace(KSEF_FORM_COUNT));
}

/* ---- the official schemas ------------------------------------------------ */

static void every_official_schema_compiles_without_the_network(void **state)
{
	const char *dir = ts_schema_dir_or_skip();
	ksef_schemas *s = open_set(dir);
	ksef_error err;

	(void)state;
	for (int f = 0; f < KSEF_FORM_COUNT; f++)
		if (ksef_schemas_compile(s, (ksef_form)f, &err) != 0)
			fail_msg("%s: %s", ksef_form_code_of((ksef_form)f)
				 .system_code, err.message);
	ksef_schemas_free(s);
}

static void the_official_fa3_schema_refuses_an_empty_invoice(void **state)
{
	const char *dir = ts_schema_dir_or_skip();
	ksef_schemas *s = open_set(dir);
	struct reports r;
	ksef_error err;

	(void)state;
	assert_int_equal(validate(s, "<Faktura xmlns=\"" FA3_NS "\">\n"
				  "</Faktura>", &r, &err), 1);
	assert_true(r.count >= 1);
	assert_non_null(strstr(r.first, "Naglowek"));
	ksef_schemas_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			new_refuses_no_output_and_a_folder_that_is_not_there),
		cmocka_unit_test(no_folder_named_means_ksef_schema_dir),
		cmocka_unit_test(
			without_ksef_schema_dir_the_users_data_folder_is_next),
		cmocka_unit_test(
			a_user_folder_that_is_not_there_falls_to_the_installed_one),
		cmocka_unit_test(
			compile_and_validate_refuse_what_is_not_a_set_or_form),
		cmocka_unit_test(
			a_missing_file_is_named_and_the_failure_remembered),
		cmocka_unit_test(a_schema_that_does_not_compile_is_reported),
		cmocka_unit_test(
			a_path_at_the_limit_is_looked_for_and_one_over_refused),
		cmocka_unit_test(a_form_compiles_once_and_is_reused),
		cmocka_unit_test(crd_gov_pl_imports_are_read_from_fa_bazowe),
		cmocka_unit_test(a_relative_include_loads_from_the_folder),
		cmocka_unit_test(imports_never_leave_the_folder),
		cmocka_unit_test(an_http_import_makes_no_connection),
		cmocka_unit_test(
			a_schema_invalid_document_is_reported_with_its_line),
		cmocka_unit_test(threads_share_one_compiled_schema),
		cmocka_unit_test(form_lookups_refuse_what_is_not_a_form),
		cmocka_unit_test(
			every_official_schema_compiles_without_the_network),
		cmocka_unit_test(
			the_official_fa3_schema_refuses_an_empty_invoice),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
