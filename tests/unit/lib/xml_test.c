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

/* "<a" + n attributes a0="" a1="" ... + "/>", on line `line`. */
static char *many_attributes(size_t n, int line, const char *prefix)
{
	char *doc = malloc(n * 24 + 64), *p = doc;
	size_t i;

	assert_non_null(doc);
	p += sprintf(p, "<r>");
	for (i = 1; i < (size_t)line; i++)
		*p++ = '\n';
	p += sprintf(p, "<a");
	for (i = 0; i < n; i++)
		p += sprintf(p, " %s%zu=\"\"", prefix, i);
	sprintf(p, "/></r>");
	return doc;
}

static void takes_the_most_attributes_on_one_element(void **state)
{
	char *doc = many_attributes(KSEF_XML_MAX_ATTRIBUTES, 1, "a");
	ksef_error err;

	(void)state;
	assert_int_equal(parse(doc, &err, NULL), 0);
	free(doc);
}

static void refuses_one_attribute_more_before_parsing(void **state)
{
	char *doc = many_attributes(KSEF_XML_MAX_ATTRIBUTES + 1, 3, "a");
	ksef_error err;

	(void)state;
	assert_int_equal(parse(doc, &err, NULL), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_XML_MAX_ATTRIBUTES"));
	assert_int_equal(err.line, 3);
	free(doc);
}

static void refuses_ninety_nine_thousand_attributes(void **state)
{
	/* The attack: 16.5 s of libxml2's CPU, refused by one pass. */
	char *doc = many_attributes(99000, 1, "a");
	ksef_error err;

	(void)state;
	assert_int_equal(parse(doc, &err, NULL), KSEF_ETOOBIG);
	free(doc);
}

static void counts_namespace_declarations_across_the_document(void **state)
{
	size_t n = KSEF_XML_MAX_NAMESPACES, i;
	char *doc = malloc(n * 48 + 64), *p = doc;
	ksef_error err;

	(void)state;
	assert_non_null(doc);
	/* Two per element, each element within the attribute limit: only
	 * the document's total can refuse it. */
	p += sprintf(p, "<r>");
	for (i = 0; i < n; i += 2)
		p += sprintf(p, "<e xmlns:p%zu=\"u\" xmlns=\"v\"/>", i);
	sprintf(p, "</r>");
	assert_int_equal(parse(doc, &err, NULL), 0);
	sprintf(p, "<e xmlns:q=\"u\"/></r>");
	assert_int_equal(parse(doc, &err, NULL), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_XML_MAX_NAMESPACES"));
	/* xmlnsfoo is an attribute like any other, not a declaration. */
	free(doc);
	doc = many_attributes(KSEF_XML_MAX_NAMESPACES + 1, 1, "xmlnsfoo");
	assert_int_equal(parse(doc, &err, NULL), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_XML_MAX_ATTRIBUTES"));
	free(doc);
}

static void markup_inside_values_comments_and_cdata_is_not_counted(
	void **state)
{
	char *inner = many_attributes(KSEF_XML_MAX_ATTRIBUTES * 2, 1, "a");
	size_t n = strlen(inner) * 4 + 128;
	char *doc = malloc(n);
	ksef_error err;

	(void)state;
	assert_non_null(doc);
	/* The same text in a comment, CDATA and a processing instruction,
	 * and quotes of the other kind inside a value: none of it is a start
	 * tag or an attribute. */
	snprintf(doc, n, "<r><!-- %s --><![CDATA[%s]]><?pi %s?>"
		 "<x v=\"&lt;a b='1' c='2'&gt;\" w='\"d=\"'/></r>", inner,
		 inner, inner);
	assert_int_equal(parse(doc, &err, NULL), 0);
	free(inner);
	free(doc);
}

static void a_long_name_is_refused(void **state)
{
	char doc[2 * KSEF_XML_MAX_NAME + 64], name[KSEF_XML_MAX_NAME + 2];
	ksef_error err;

	(void)state;
	memset(name, 'n', KSEF_XML_MAX_NAME);
	name[KSEF_XML_MAX_NAME] = '\0';
	snprintf(doc, sizeof(doc), "<%s/>", name);
	assert_int_equal(parse(doc, &err, NULL), 0);
	snprintf(doc, sizeof(doc), "<r %s=\"1\"/>", name);
	assert_int_equal(parse(doc, &err, NULL), 0);
	name[KSEF_XML_MAX_NAME] = 'n';
	name[KSEF_XML_MAX_NAME + 1] = '\0';
	snprintf(doc, sizeof(doc), "<%s/>", name);
	assert_int_equal(parse(doc, &err, NULL), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_XML_MAX_NAME"));
	snprintf(doc, sizeof(doc), "<r %s=\"1\"/>", name);
	assert_int_equal(parse(doc, &err, NULL), KSEF_ETOOBIG);
}

static void a_declared_encoding_cannot_hide_markup(void **state)
{
	ksef_error err;

	(void)state;
	/* Read as UTF-8 whatever the prolog says, as the pre-scan reads it:
	 * an EBCDIC declaration does not make these bytes EBCDIC. */
	assert_int_equal(parse("<?xml version=\"1.0\" encoding=\"IBM037\"?>"
			       "<a x=\"1\">ok</a>", &err, NULL), 0);
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
		cmocka_unit_test(takes_the_most_attributes_on_one_element),
		cmocka_unit_test(refuses_one_attribute_more_before_parsing),
		cmocka_unit_test(refuses_ninety_nine_thousand_attributes),
		cmocka_unit_test(
			counts_namespace_declarations_across_the_document),
		cmocka_unit_test(
			markup_inside_values_comments_and_cdata_is_not_counted),
		cmocka_unit_test(a_long_name_is_refused),
		cmocka_unit_test(a_declared_encoding_cannot_hide_markup),
	};
	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
