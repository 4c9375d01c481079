/* xml_test.c - the safe parse entry point refuses what it must. */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/common.h"
#include "ksef/limits.h"
#include "xml.h"

static int parse(const char *doc, ksef_error *err, ksef__xml_facts *facts)
{
	xmlDoc *d = NULL;
	int rc = ksef__xml_parse(&d, facts, (const unsigned char *)doc,
				 strlen(doc), KSEF_INVOICE_MAX_BYTES, err);

	if (rc == 0)
		assert_non_null(d);
	else
		assert_null(d);
	xmlFreeDoc(d);
	return rc;
}

static void refuses_empty_input(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(parse("", &err, NULL), KSEF_EPARSE);
}

static void refuses_a_single_byte(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(parse("<", &err, NULL), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "not well-formed"));
}

static void refuses_oversized_input_by_its_length_alone(void **state)
{
	/* One real byte, a longer claimed length: reading first trips ASan. */
	const unsigned char one = '<';
	xmlDoc *doc = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__xml_parse(&doc, NULL, &one,
		KSEF_INVOICE_MAX_BYTES + 1, KSEF_INVOICE_MAX_BYTES, &err),
		KSEF_ETOOBIG);
	assert_null(doc);
	assert_non_null(strstr(err.message, "limit"));
	/* A caller's lower limit applies too. */
	assert_int_equal(ksef__xml_parse(&doc, NULL, &one, 11, 10, &err),
			 KSEF_ETOOBIG);
}

static void refuses_a_doctype_before_expanding_any_entity(void **state)
{
	/* Each entity is ten of the one before: the classic memory bomb. */
	static const char bomb[] =
		"<!DOCTYPE Faktura [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
		"<Faktura>&c;</Faktura>";
	ksef_error err;

	(void)state;
	assert_int_equal(parse(bomb, &err, NULL), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "DOCTYPE"));
}

static void refuses_an_external_entity(void **state)
{
	static const char xxe[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE Faktura [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		"<Faktura>&x;</Faktura>";
	ksef_error err;

	(void)state;
	assert_int_equal(parse(xxe, &err, NULL), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "DOCTYPE"));
	assert_int_equal(err.line, 2);
}

static void reports_the_line_of_a_syntax_error(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(parse("<a>\n<b>\n</a>\n", &err, NULL), KSEF_EPARSE);
	assert_int_equal(err.line, 3);
}

static void notes_processing_instructions_and_their_line(void **state)
{
	ksef__xml_facts facts = { 0, 0 };
	ksef_error err;

	(void)state;
	assert_int_equal(parse("<a>\n\n<?php echo 1; ?></a>", &err, &facts), 0);
	assert_true(facts.has_pi);
	assert_int_equal(facts.pi_line, 3);
	memset(&facts, 0, sizeof(facts));
	assert_int_equal(parse("<?xml version=\"1.0\"?><a/>", &err, &facts), 0);
	assert_false(facts.has_pi);
}

static void refuses_an_undeclared_entity_reference(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(parse("<a>&x;</a>", &err, NULL), KSEF_EPARSE);
}

static void refuses_nesting_past_the_depth_limit(void **state)
{
	/* libxml2 stops at 256 levels unless XML_PARSE_HUGE, which we never
	 * pass; this pins that behaviour. */
	size_t depth = KSEF_XML_MAX_DEPTH + 10, i;
	char *doc = malloc(depth * 7 + 1), *p = doc;
	ksef_error err;

	(void)state;
	assert_non_null(doc);
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	assert_int_equal(parse(doc, &err, NULL), KSEF_EPARSE);
	free(doc);
}

static void parses_a_plain_document(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
			       "<a x=\"1\">zażółć</a>", &err, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuses_empty_input),
		cmocka_unit_test(refuses_a_single_byte),
		cmocka_unit_test(refuses_oversized_input_by_its_length_alone),
		cmocka_unit_test(refuses_a_doctype_before_expanding_any_entity),
		cmocka_unit_test(refuses_an_external_entity),
		cmocka_unit_test(reports_the_line_of_a_syntax_error),
		cmocka_unit_test(notes_processing_instructions_and_their_line),
		cmocka_unit_test(refuses_an_undeclared_entity_reference),
		cmocka_unit_test(refuses_nesting_past_the_depth_limit),
		cmocka_unit_test(parses_a_plain_document),
	};
	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
