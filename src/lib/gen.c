/*
 * gen.c - owns the invoice generator: synthetic FA (3) and FA (2) VAT
 * invoices for tests and benchmarks. It decides the parties, the lines and
 * the amounts from a seed, adds them up in whole grosze, and writes the
 * XML by hand in the schema's element order. It never parses or validates
 * what it writes; tests run the output through the official schemas
 * (xsd.c, or xmllint) to prove it.
 *
 * Determinism: everything an invoice contains comes from splitmix64
 * streams keyed by the seed and the index (and, for a party, its NIP), so
 * the same options give the same bytes on every platform. Each invoice
 * line has a stream of its own, which lets the size search drop the last
 * line again without replaying anything.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "ksef/gen.h"
#include "ksef/limits.h"
#include "ksef/number.h"
#include "ident.h"
#include "internal.h"
#include "options.h"

/* Every invoice has at least one line; a 2 KB one has room for no more,
 * and from about 3 KB on each shows several VAT rates. */
#define MIN_LINES 1

/* Invoices with a target this big or bigger name the parties' e-mail and
 * phone (DaneKontaktowe, optional in the schema); smaller ones leave them
 * out, which is what lets an invoice fit in KSEF_GEN_MIN_BYTES. */
#define CONTACTS_MIN_BYTES 3000

/* The schema's maxOccurs of FaWiersz; 1 MB needs far fewer. */
#define MAX_LINES 10000

/* Buyers a series spreads over when the caller names none. */
#define BUYER_POOL 8

/* Days between issue and payment due (Platnosc/TerminPlatnosci). */
#define PAYMENT_DAYS 14

/* The accepted issue dates. TData (the due date's type) starts at
 * 2016-07-01; TDataT and TData end at 2050-01-01, and the due date is
 * PAYMENT_DAYS later than P_1, so P_1 stops at 2049-12-01. */
#define FIRST_DATE "2016-07-01"
#define LAST_DATE "2049-12-01"

/* ---- random streams ---------------------------------------------------- */

/* splitmix64's finaliser: a good 64-bit mix, used to key the streams. */
static uint64_t mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	r->s += UINT64_C(0x9e3779b97f4a7c15);
	return mix(r->s);
}

/* A number in [0, n). The modulo bias is below 2^-40 for the small n used
 * here, far under anything a test could notice. */
static uint32_t rng_below(rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

static int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* FNV-1a, to key a stream by a string such as a NIP. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * UINT64_C(0x100000001b3);
	return h;
}

#define PICK(r, table) ((table)[rng_below((r), \
	(uint32_t)(sizeof(table) / sizeof((table)[0])))])

/* ---- what invoices are made of ----------------------------------------- */

/* VAT rates and where each one's totals go (P_13_x, P_14_x). FA (3) spells
 * the domestic 0% rate "0 KR"; FA (2) has only "0". Both go to P_13_6_1. */
enum rate { R23, R8, R5, R0, RZW, RATE_COUNT };

static const struct {
	const char *p12[2]; /* P_12 in FA (2), FA (3) */
	int percent;
	const char *net;    /* P_13_x */
	const char *vat;    /* P_14_x, or NULL when there is no tax */
} rates[RATE_COUNT] = {
	[R23] = { { "23", "23" }, 23, "P_13_1", "P_14_1" },
	[R8] = { { "8", "8" }, 8, "P_13_2", "P_14_2" },
	[R5] = { { "5", "5" }, 5, "P_13_3", "P_14_3" },
	[R0] = { { "0", "0 KR" }, 0, "P_13_6_1", NULL },
	[RZW] = { { "zw", "zw" }, 0, "P_13_7", NULL },
};

/* The legal basis an exempt line needs in Adnotacje/Zwolnienie/P_19A. */
#define EXEMPTION_BASIS "art. 43 ust. 1 ustawy o VAT"

struct product {
	const char *name; /* P_7, already valid XML text */
	const char *unit; /* P_8A */
	int by_weight;    /* quantity with two decimals instead of whole */
	int64_t lo, hi;   /* unit net price range in grosze */
};

static const struct product goods23[] = {
	{ "Papier ksero A4 80 g/m², ryza 500 arkuszy", "ryza", 0, 1899, 3299 },
	{ "Toner do drukarki laserowej, czarny", "szt.", 0, 12900, 45900 },
	{ "Usługa serwisowa – przegląd okresowy urządzeń", "usł.", 0,
	  25000, 180000 },
	{ "Licencja oprogramowania – abonament miesięczny", "szt.", 0,
	  4900, 99900 },
	{ "Krzesło biurowe obrotowe z podłokietnikami", "szt.", 0,
	  39900, 149900 },
	{ "Konsultacje informatyczne", "godz.", 0, 15000, 38000 },
	{ "Kabel zasilający 3×2,5 mm²", "m", 1, 399, 899 },
	{ "Farba akrylowa biała, wiadro 10 l", "szt.", 0, 8900, 21900 },
	{ "Śruby ocynkowane M8 – opakowanie 100 szt.", "opak.", 0, 1450, 4990 },
	{ "Wynajem sali konferencyjnej", "godz.", 0, 12000, 45000 },
	{ "Żarówka LED E27 9 W, barwa ciepła", "szt.", 0, 699, 2499 },
	{ "Łożysko kulkowe 6204-2RS", "szt.", 0, 1290, 5490 },
};

static const struct product goods8[] = {
	{ "Usługa gastronomiczna – catering na spotkanie", "usł.", 0,
	  45000, 480000 },
	{ "Nocleg w hotelu, pokój dwuosobowy", "doba", 0, 21000, 69000 },
	{ "Przewóz osób autokarem – trasa krajowa", "usł.", 0, 90000, 650000 },
	{ "Bilet wstępu na koncert", "szt.", 0, 8900, 34900 },
	{ "Remont łazienki w lokalu mieszkalnym", "usł.", 0, 350000, 2400000 },
};

static const struct product goods5[] = {
	{ "Chleb żytni na zakwasie 800 g", "szt.", 0, 749, 1399 },
	{ "Książka drukowana „Podstawy rachunkowości”", "szt.", 0,
	  3990, 12990 },
	{ "Jabłka deserowe, odmiana Szampion", "kg", 1, 249, 699 },
	{ "Ser żółty gouda, blok", "kg", 1, 2390, 3990 },
	{ "Kasza gryczana prażona 1 kg", "opak.", 0, 899, 1599 },
	{ "Mleko spożywcze 3,2% 1 l", "szt.", 0, 329, 549 },
};

static const struct product goods0[] = {
	{ "Transport międzynarodowy towarów – fracht morski", "usł.", 0,
	  250000, 2500000 },
	{ "Część zamienna do statku morskiego – pompa zęzowa", "szt.", 0,
	  180000, 950000 },
};

static const struct product goods_zw[] = {
	{ "Szkolenie zawodowe z zakresu BHP", "os.", 0, 15000, 60000 },
	{ "Badanie lekarskie z zakresu medycyny pracy", "usł.", 0,
	  9000, 30000 },
	{ "Usługa ubezpieczeniowa – pakiet grupowy", "usł.", 0,
	  20000, 150000 },
};

static const struct {
	const struct product *p;
	uint32_t n;
} goods[RATE_COUNT] = {
#define GOODS(t) { t, (uint32_t)(sizeof(t) / sizeof((t)[0])) }
	[R23] = GOODS(goods23), [R8] = GOODS(goods8), [R5] = GOODS(goods5),
	[R0] = GOODS(goods0), [RZW] = GOODS(goods_zw),
#undef GOODS
};

/* Surnames with an ASCII spelling for e-mail addresses. */
static const struct {
	const char *name, *ascii;
} surnames[] = {
	{ "Kowalski", "kowalski" },     { "Wiśniewski", "wisniewski" },
	{ "Wójcik", "wojcik" },         { "Kamiński", "kaminski" },
	{ "Lewandowski", "lewandowski" }, { "Zieliński", "zielinski" },
	{ "Szymański", "szymanski" },   { "Woźniak", "wozniak" },
	{ "Dąbrowski", "dabrowski" },   { "Kozłowski", "kozlowski" },
	{ "Mazur", "mazur" },           { "Krawczyk", "krawczyk" },
	{ "Pawłowski", "pawlowski" },   { "Król", "krol" },
	{ "Jabłoński", "jablonski" },   { "Żak", "zak" },
	{ "Łuczak", "luczak" },         { "Ślusarczyk", "slusarczyk" },
	{ "Grzegorczyk", "grzegorczyk" }, { "Nowicki", "nowicki" },
};

static const char *const trades[] = {
	"Przedsiębiorstwo Handlowe", "Zakład Usługowy", "Hurtownia",
	"Pracownia Projektowa", "Firma Transportowa", "Drukarnia",
	"Piekarnia", "Biuro Rachunkowe", "Zakład Ślusarski",
	"Agencja Reklamowa", "Spółdzielnia Mleczarska", "Serwis Komputerowy",
};

static const char *const legal_forms[] = {
	"sp. z o.o.", "S.A.", "sp.j.", "s.c.", "sp.k.",
};

/* Cities with the first two digits of their postal codes. */
static const struct {
	const char *name, *zip;
} cities[] = {
	{ "Warszawa", "00" },      { "Kraków", "30" },
	{ "Łódź", "90" },          { "Wrocław", "50" },
	{ "Poznań", "60" },        { "Gdańsk", "80" },
	{ "Szczecin", "70" },      { "Bydgoszcz", "85" },
	{ "Lublin", "20" },        { "Białystok", "15" },
	{ "Katowice", "40" },      { "Częstochowa", "42" },
	{ "Toruń", "87" },         { "Rzeszów", "35" },
	{ "Zielona Góra", "65" },  { "Bielsko-Biała", "43" },
	{ "Świnoujście", "72" },   { "Żyrardów", "96" },
	{ "Ełk", "19" },           { "Gorzów Wielkopolski", "66" },
};

static const char *const streets[] = {
	"ul. Marszałkowska", "ul. Piłsudskiego", "al. Jerozolimskie",
	"ul. Żeromskiego", "ul. Kościuszki", "ul. Słowackiego",
	"ul. Mickiewicza", "ul. Długa", "ul. Ogrodowa", "ul. Łąkowa",
	"ul. Źródlana", "al. Niepodległości", "ul. Świętokrzyska",
	"pl. Wolności", "ul. Księżycowa", "ul. Wrzosowa",
};

/* Bank sort codes with the bank's name, for RachunekBankowy. */
static const struct {
	const char *sort, *name;
} banks[] = {
	{ "10201026", "PKO Bank Polski S.A." },
	{ "11402004", "mBank S.A." },
	{ "10501038", "ING Bank Śląski S.A." },
	{ "12401037", "Bank Polska Kasa Opieki S.A." },
	{ "10901014", "Santander Bank Polska S.A." },
};

/* Sentences for the remark that pads an invoice to its target size. */
static const char *const remarks[] = {
	"Dziękujemy za zakup i zapraszamy ponownie.",
	"Towar odebrano bez zastrzeżeń.",
	"Reklamacje prosimy zgłaszać w ciągu 14 dni od dostawy.",
	"Zamówienie zrealizowano zgodnie z umową ramową.",
	"Płatność przelewem na rachunek wskazany poniżej.",
	"W tytule przelewu prosimy podać numer faktury.",
	"Za opóźnienie w zapłacie naliczane są odsetki ustawowe.",
	"Gwarancja na towar wynosi 24 miesiące od daty sprzedaży.",
};

/* ---- the invoice being built -------------------------------------------- */

struct party {
	char nip[11];
	char name[160];
	char addr1[80];
	char addr2[64];
	char city[40];
	char email[64];
	char phone[20];
};

/* Per-rate sums of the lines' P_11 in grosze, and how many lines. */
struct totals {
	int64_t net[RATE_COUNT];
	unsigned count[RATE_COUNT];
};

struct invoice {
	int fa3;            /* FA (3) rather than FA (2) */
	const char *ns;     /* the root element's namespace */
	int contacts;       /* write the parties' DaneKontaktowe */
	uint64_t index;
	uint64_t line_key;  /* keys each line's stream */
	unsigned first_rate; /* the rate of line 1; lines 2.. follow on */
	char prefix[KSEF_GEN_PREFIX_MAX * 5 + 1]; /* XML-escaped */
	char p1[11], due[11], created[24];
	struct party seller, buyer;
	char nrb[27];
	const char *bank;
	struct totals t;
};

/* Appends that remember the first failure, so the writers below stay
 * readable; the caller checks g->error once at the end. */
struct gen {
	int error;
	ksef_error *err;
};

static void emit(struct gen *g, ksef_buf *b, const char *fmt, ...)
	KSEF__PRINTF(3, 4);

static void emit(struct gen *g, ksef_buf *b, const char *fmt, ...)
{
	/* Every piece written at once is one element or a few; the longest
	 * holds the escaped prefix (320 bytes). */
	char tmp[1024];
	va_list ap;
	int n;

	if (g->error < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		g->error = ksef__error_set(g->err, KSEF_EINVAL,
			"generator: an element outgrew its buffer");
		return;
	}
	g->error = ksef__buf_put(b, tmp, (size_t)n,
				 KSEF_INVOICE_MAX_BYTES_PLAIN);
	if (g->error < 0)
		ksef__error_set(g->err, g->error,
			"generator: out of memory or over %d bytes",
			KSEF_INVOICE_MAX_BYTES_PLAIN);
}

/* An amount in grosze as the schema's TKwotowy: "1234.05". */
static const char *amount(char out[32], int64_t grosze)
{
	snprintf(out, 32, "%" PRId64 ".%02" PRId64, grosze / 100,
		 grosze % 100);
	return out;
}

/* Round half up to whole grosze: a / 100 for a >= 0. */
static int64_t div100(int64_t a)
{
	return (a + 50) / 100;
}

/* ---- checking the options ---------------------------------------------- */

/* TNrNIP (bazowe/ElementarneTypyDanych): ten digits, the first not 0, and
 * not both the second and the third 0. Anything else would make the
 * document fail the schema, so it is refused here with a clearer word. */
static int check_nip(const char *nip, const char *what, ksef_error *err)
{
	if (nip == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is missing", what);
	if (strspn(nip, "0123456789") != KSEF_NIP_LEN ||
	    nip[KSEF_NIP_LEN] != '\0')
		return ksef__error_set(err, KSEF_EINVAL,
			"%s must be exactly 10 digits", what);
	if (!ksef__nip_pattern_ok(nip))
		return ksef__error_set(err, KSEF_EINVAL,
			"%s does not match the schema's TNrNIP pattern", what);
	return 0;
}

/* Days since 1970-01-01 of a strict "YYYY-MM-DD" of a real calendar day,
 * so date arithmetic needs no time zone. */
static int parse_date(int64_t *out, const char *s)
{
	ksef_date d;

	if (ksef_date_parse(&d, s, strnlen(s, KSEF_DATE_BUFSZ), NULL) < 0)
		return -1;
	*out = ksef__time_days_from_civil(d.year, d.month, d.day);
	return 0;
}

/* Write the day `days` after 1970-01-01 as "YYYY-MM-DD". */
static int format_date(char out[KSEF_DATE_BUFSZ], int64_t days,
		       ksef_error *err)
{
	return ksef_date_format(out, ksef__time_civil_from_days(days), err);
}

/*
 * Escape the prefix for element content, refusing what XML 1.0 cannot
 * carry: control characters, malformed or overlong UTF-8, surrogates,
 * U+FFFE and U+FFFF. The prefix ends up inside P_2, so a '<' in it must
 * not open an element.
 */
static int escape_prefix(char *out, const char *s, ksef_error *err)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strnlen(s, KSEF_GEN_PREFIX_MAX + 1), i = 0;
	char *o = out;

	if (len == 0 || len > KSEF_GEN_PREFIX_MAX)
		return ksef__error_set(err, KSEF_EINVAL,
			"number_prefix must be 1 to %d bytes",
			KSEF_GEN_PREFIX_MAX);
	while (i < len) {
		unsigned c = p[i], n, k;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				goto bad;
			if (c == '&')
				o += sprintf(o, "&amp;");
			else if (c == '<')
				o += sprintf(o, "&lt;");
			else if (c == '>')
				o += sprintf(o, "&gt;");
			else
				*o++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			goto bad;
		if (i + n >= len)
			goto bad; /* cut short by the end */
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp == 0xfffe || cp == 0xffff)
			goto bad;
		memcpy(o, p + i, n + 1);
		o += n + 1;
		i += n + 1;
	}
	*o = '\0';
	return 0;
bad:
	return ksef__error_set(err, KSEF_EINVAL,
		"number_prefix byte %zu: not printable UTF-8 text", i);
}

/* ---- deciding the content ----------------------------------------------- */

/* A NIP with a correct check digit that also matches TNrNIP. */
static void make_nip(char out[11], rng *r, const char *avoid)
{
	for (;;) {
		int i, check;

		out[0] = (char)('1' + rng_below(r, 9));
		out[1] = (char)('1' + rng_below(r, 9));
		for (i = 2; i < 9; i++)
			out[i] = (char)('0' + rng_below(r, 10));
		check = ksef__nip_check_digit(out);
		if (check == 10)
			continue; /* no check digit fits this one */
		out[9] = (char)('0' + check);
		out[10] = '\0';
		if (avoid == NULL || strcmp(out, avoid) != 0)
			return;
	}
}

/* A company, its address and contacts, all from one stream. */
static void make_party(struct party *p, uint64_t key)
{
	rng r = { key };
	unsigned sn = rng_below(&r, sizeof(surnames) / sizeof(surnames[0]));
	unsigned ci = rng_below(&r, sizeof(cities) / sizeof(cities[0]));
	const char *trade = PICK(&r, trades);
	const char *form = PICK(&r, legal_forms);
	const char *street = PICK(&r, streets);
	unsigned house = 1 + rng_below(&r, 180);

	/* „…” are the Polish quotation marks; names are plain text, so only
	 * the characters the tables hold can appear. */
	snprintf(p->name, sizeof(p->name), "%s „%s” %s", trade,
		 surnames[sn].name, form);
	if (rng_below(&r, 3) == 0)
		snprintf(p->addr1, sizeof(p->addr1), "%s %u lok. %u", street,
			 house, 1 + rng_below(&r, 40));
	else
		snprintf(p->addr1, sizeof(p->addr1), "%s %u", street, house);
	snprintf(p->addr2, sizeof(p->addr2), "%s-%03u %s", cities[ci].zip,
		 rng_below(&r, 1000), cities[ci].name);
	snprintf(p->city, sizeof(p->city), "%s", cities[ci].name);
	snprintf(p->email, sizeof(p->email), "biuro@%s-%u.example.pl",
		 surnames[sn].ascii, rng_below(&r, 100));
	snprintf(p->phone, sizeof(p->phone), "%02u %03u %02u %02u",
		 12 + rng_below(&r, 80), rng_below(&r, 1000),
		 rng_below(&r, 100), rng_below(&r, 100));
}

/* A Polish account number (NRB): two check digits, the bank's sort code and
 * sixteen digits, the check digits computed as IBAN's mod 97. */
static void make_nrb(char out[27], rng *r, const char *sort)
{
	unsigned rem = 0;
	int i;

	memcpy(out + 2, sort, 8);
	for (i = 10; i < 26; i++)
		out[i] = (char)('0' + rng_below(r, 10));
	out[26] = '\0';
	/* BBAN, then "PL" as 25 21, then "00". */
	for (i = 2; i < 26; i++)
		rem = (rem * 10 + (unsigned)(out[i] - '0')) % 97;
	rem = (rem * 100 + 25) % 97;
	rem = (rem * 100 + 21) % 97;
	rem = (rem * 100) % 97;
	rem = 98 - rem;
	out[0] = (char)('0' + rem / 10);
	out[1] = (char)('0' + rem % 10);
}

/* A run tag from the seed: eight letters and digits, without the ones that
 * are easy to misread (0/O, 1/I). */
static void make_tag(char out[9], uint64_t seed)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	uint64_t x = mix(seed ^ UINT64_C(0x7461677461677461));
	int i;

	for (i = 0; i < 8; i++, x >>= 5)
		out[i] = alphabet[x & 31];
	out[8] = '\0';
}

static int setup(struct invoice *inv, const ksef_gen_options *o,
		 uint64_t index, ksef_error *err)
{
	uint64_t series = mix(o->seed);
	rng r = { mix(series ^ mix(index)) };
	int64_t p1, first, last, created;
	char tag[9];
	int error;

	memset(inv, 0, sizeof(*inv));
	inv->fa3 = o->form == KSEF_FORM_FA3;
	inv->ns = ksef_form_namespace(o->form);
	inv->index = index;

	if (o->issue_date != NULL) {
		if (parse_date(&p1, o->issue_date) < 0)
			return ksef__error_set(err, KSEF_EINVAL,
				"issue_date must be a real date as YYYY-MM-DD");
	} else {
		/* Today in Poland, as KSeF dates it: between 22:00 or 23:00
		 * UTC and midnight the UTC date is yesterday there, and an
		 * invoice dated before the day of its sending is classified
		 * Offline. */
		ksef_date d = ksef_time_date(ksef_time_warsaw(
			ksef_time_now().unix_ms));

		p1 = ksef__time_days_from_civil(d.year, d.month, d.day);
	}
	/* Both bounds are constants that parse; checking keeps every path
	 * defined for the compiler too (no "may be used uninitialized"). */
	if (parse_date(&first, FIRST_DATE) < 0 ||
	    parse_date(&last, LAST_DATE) < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"the generator's date bounds do not parse");
	if (p1 < first || p1 > last)
		return ksef__error_set(err, KSEF_EINVAL,
			"issue_date must lie between %s and %s", FIRST_DATE,
			LAST_DATE);
	if ((error = format_date(inv->p1, p1, err)) < 0 ||
	    (error = format_date(inv->due, p1 + PAYMENT_DAYS, err)) < 0)
		return error;

	/* DataWytworzeniaFa: the issue day at an office hour. FA (3) accepts
	 * nothing before 2025-09-01 and FA (2) nothing before 2022-01-01, so
	 * an older P_1 gets a file made on that first day instead. */
	if (parse_date(&first, inv->fa3 ? "2025-09-01" : "2022-01-01") < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"the form's first day does not parse");
	created = p1 < first ? first : p1;
	if ((error = format_date(inv->created, created, err)) < 0)
		return error;
	snprintf(inv->created + 10, sizeof(inv->created) - 10,
		 "T%02u:%02u:%02uZ", 7 + rng_below(&r, 10), rng_below(&r, 60),
		 rng_below(&r, 60));

	if (o->number_prefix != NULL) {
		if ((error = escape_prefix(inv->prefix, o->number_prefix,
					   err)) < 0)
			return error;
	} else {
		make_tag(tag, o->seed);
		memcpy(inv->prefix, tag, sizeof(tag));
	}

	/* The seller stays the same across the series; so does each buyer,
	 * and a series spreads over a few of them. */
	make_party(&inv->seller, mix(series ^ hash_str(o->seller_nip)));
	memcpy(inv->seller.nip, o->seller_nip, 11);
	if (o->buyer_nip != NULL) {
		make_party(&inv->buyer, mix(series ^ hash_str(o->buyer_nip) ^
					    UINT64_C(0xb0b)));
		memcpy(inv->buyer.nip, o->buyer_nip, 11);
	} else {
		uint64_t key = mix(series ^ UINT64_C(0xb0b0) ^
				   rng_below(&r, BUYER_POOL));
		rng nr = { key ^ UINT64_C(0x4e4950) };

		make_party(&inv->buyer, key);
		make_nip(inv->buyer.nip, &nr, o->seller_nip);
	}
	{
		rng br = { mix(series ^ hash_str(o->seller_nip) ^ 0x4e5242) };
		unsigned bi = rng_below(&br, sizeof(banks) / sizeof(banks[0]));

		make_nrb(inv->nrb, &br, banks[bi].sort);
		inv->bank = banks[bi].name;
	}
	inv->line_key = rng_next(&r);
	inv->first_rate = rng_below(&r, RATE_COUNT);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

static void emit_party(struct gen *g, ksef_buf *b, const struct invoice *inv,
		       const struct party *p, const char *tag)
{
	emit(g, b,
	     "<%s>\n"
	     "<DaneIdentyfikacyjne>\n"
	     "<NIP>%s</NIP>\n"
	     "<Nazwa>%s</Nazwa>\n"
	     "</DaneIdentyfikacyjne>\n"
	     "<Adres>\n"
	     "<KodKraju>PL</KodKraju>\n"
	     "<AdresL1>%s</AdresL1>\n"
	     "<AdresL2>%s</AdresL2>\n"
	     "</Adres>\n",
	     tag, p->nip, p->name, p->addr1, p->addr2);
	if (inv->contacts)
		emit(g, b,
		     "<DaneKontaktowe>\n"
		     "<Email>%s</Email>\n"
		     "<Telefon>%s</Telefon>\n"
		     "</DaneKontaktowe>\n",
		     p->email, p->phone);
	/* FA (3) requires Podmiot2 to say whether the buyer is a local
	 * government unit (JST) or a VAT group member (GV); 2 is "no". */
	if (p == &inv->buyer && inv->fa3)
		emit(g, b, "<JST>2</JST>\n<GV>2</GV>\n");
	emit(g, b, "</%s>\n", tag);
}

/* Everything before the first FaWiersz, with the totals of the lines
 * chosen so far. */
static void emit_head(struct gen *g, ksef_buf *b, const struct invoice *inv)
{
	char a[32], v[32];
	int64_t gross = 0;
	int i;

	emit(g, b,
	     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	     "<Faktura xmlns=\"%s\">\n"
	     "<Naglowek>\n"
	     "<KodFormularza kodSystemowy=\"FA (%d)\" "
	     "wersjaSchemy=\"1-0E\">FA</KodFormularza>\n"
	     "<WariantFormularza>%d</WariantFormularza>\n"
	     "<DataWytworzeniaFa>%s</DataWytworzeniaFa>\n"
	     "<SystemInfo>libksef %s</SystemInfo>\n"
	     "</Naglowek>\n",
	     inv->ns, inv->fa3 ? 3 : 2,
	     inv->fa3 ? 3 : 2, inv->created, KSEF_VERSION);
	emit_party(g, b, inv, &inv->seller, "Podmiot1");
	emit_party(g, b, inv, &inv->buyer, "Podmiot2");
	emit(g, b,
	     "<Fa>\n"
	     "<KodWaluty>PLN</KodWaluty>\n"
	     "<P_1>%s</P_1>\n"
	     "<P_1M>%s</P_1M>\n"
	     "<P_2>FV/%s/%" PRIu64 "</P_2>\n"
	     "<P_6>%s</P_6>\n",
	     inv->p1, inv->seller.city, inv->prefix, inv->index, inv->p1);

	/* VAT is computed once per rate on the sum of the net values, not
	 * line by line, as art. 106e ust. 10 of the VAT act allows; the
	 * schema orders the rates' sums as the enum does. */
	for (i = 0; i < RATE_COUNT; i++) {
		int64_t tax = div100(inv->t.net[i] * rates[i].percent);

		if (inv->t.count[i] == 0)
			continue;
		emit(g, b, "<%s>%s</%s>\n", rates[i].net,
		     amount(a, inv->t.net[i]), rates[i].net);
		if (rates[i].vat != NULL)
			emit(g, b, "<%s>%s</%s>\n", rates[i].vat,
			     amount(v, tax), rates[i].vat);
		gross += inv->t.net[i] + tax;
	}
	emit(g, b, "<P_15>%s</P_15>\n", amount(a, gross));

	/* Adnotacje: no cash accounting, no self-billing, no reverse charge,
	 * no split payment, no new vehicles, no triangular deal, no margin
	 * scheme. An exempt line needs its legal basis. */
	emit(g, b,
	     "<Adnotacje>\n"
	     "<P_16>2</P_16>\n"
	     "<P_17>2</P_17>\n"
	     "<P_18>2</P_18>\n"
	     "<P_18A>2</P_18A>\n"
	     "<Zwolnienie>\n");
	if (inv->t.count[RZW] > 0)
		emit(g, b,
		     "<P_19>1</P_19>\n"
		     "<P_19A>" EXEMPTION_BASIS "</P_19A>\n");
	else
		emit(g, b, "<P_19N>1</P_19N>\n");
	emit(g, b,
	     "</Zwolnienie>\n"
	     "<NoweSrodkiTransportu>\n"
	     "<P_22N>1</P_22N>\n"
	     "</NoweSrodkiTransportu>\n"
	     "<P_23>2</P_23>\n"
	     "<PMarzy>\n"
	     "<P_PMarzyN>1</P_PMarzyN>\n"
	     "</PMarzy>\n"
	     "</Adnotacje>\n"
	     "<RodzajFaktury>VAT</RodzajFaktury>\n");
}

/* Everything after the last FaWiersz. */
static void emit_tail(struct gen *g, ksef_buf *b, const struct invoice *inv)
{
	emit(g, b,
	     "<Platnosc>\n"
	     "<TerminPlatnosci>\n"
	     "<Termin>%s</Termin>\n"
	     "</TerminPlatnosci>\n"
	     "<FormaPlatnosci>6</FormaPlatnosci>\n"
	     "<RachunekBankowy>\n"
	     "<NrRB>%s</NrRB>\n"
	     "<NazwaBanku>%s</NazwaBanku>\n"
	     "</RachunekBankowy>\n"
	     "</Platnosc>\n"
	     "</Fa>\n"
	     "</Faktura>\n",
	     inv->due, inv->nrb, inv->bank);
}

/* Line `no` (from 1): its product, quantity and net value, added to the
 * totals. The first lines take consecutive rates, so that every invoice
 * shows several; later ones mostly take 23%, as trade does. */
static void emit_line(struct gen *g, ksef_buf *b, struct invoice *inv,
		      unsigned no)
{
	static const unsigned char weighted[20] = {
		R23, R23, R23, R23, R23, R23, R23, R23, R23, R23, R23, R23,
		R8, R8, R8, R5, R5, R5, R0, RZW,
	};
	rng r = { mix(inv->line_key ^ no) };
	unsigned rate = no <= RATE_COUNT ?
		(inv->first_rate + no - 1) % RATE_COUNT :
		weighted[rng_below(&r, 20)];
	const struct product *p = &goods[rate].p[rng_below(&r,
							   goods[rate].n)];
	int64_t price = rng_range(&r, p->lo, p->hi);
	int64_t qty, net; /* quantity in hundredths */
	char q[32], pr[32], n[32];

	if (p->by_weight) {
		qty = rng_range(&r, 50, 5000);
		amount(q, qty);
	} else {
		/* Few of the dear things, many of the cheap ones. */
		qty = 100 * rng_range(&r, 1, p->hi > 100000 ? 3 :
				      p->hi > 10000 ? 10 : 40);
		snprintf(q, sizeof(q), "%" PRId64, qty / 100);
	}
	net = div100(qty * price);
	emit(g, b,
	     "<FaWiersz>\n"
	     "<NrWierszaFa>%u</NrWierszaFa>\n"
	     "<P_7>%s</P_7>\n"
	     "<P_8A>%s</P_8A>\n"
	     "<P_8B>%s</P_8B>\n"
	     "<P_9A>%s</P_9A>\n"
	     "<P_11>%s</P_11>\n"
	     "<P_12>%s</P_12>\n"
	     "</FaWiersz>\n",
	     no, p->name, p->unit, q, amount(pr, price), amount(n, net),
	     rates[rate].p12[inv->fa3]);
	inv->t.net[rate] += net;
	inv->t.count[rate]++;
}

/* Remarks (DodatkowyOpis) of `gap` bytes in all, to bring the document to
 * its target size. Each Wartosc stays under the schema's 256 characters.
 * A gap too small for one remark is left as it is. */
static void emit_padding(struct gen *g, ksef_buf *b, size_t gap,
			 uint64_t key)
{
	static const char open[] = "<DodatkowyOpis>\n"
				   "<Klucz>Uwagi</Klucz>\n"
				   "<Wartosc>";
	static const char close[] = "</Wartosc>\n</DodatkowyOpis>\n";
	const size_t frame = sizeof(open) - 1 + sizeof(close) - 1;
	rng r = { mix(key) };

	while (g->error == 0 && gap >= frame + 8) {
		char text[256];
		size_t want = gap - frame, len = 0;

		if (want > 200)
			want = 200;
		/* Whole sentences while they fit, then whole words of one
		 * more, then dots for the rest, so that no multi-byte
		 * character is ever cut. */
		for (;;) {
			const char *w = PICK(&r, remarks);
			size_t wl = strlen(w) + (len > 0);

			if (len + wl > want) {
				while (*w != '\0') {
					size_t n = strcspn(w, " ");
					size_t sep = len > 0;

					if (len + sep + n > want)
						break;
					if (sep)
						text[len++] = ' ';
					memcpy(text + len, w, n);
					len += n;
					w += n + (w[n] == ' ');
				}
				break;
			}
			len += (size_t)sprintf(text + len, "%s%s",
					       len > 0 ? " " : "", w);
		}
		while (len < want)
			text[len++] = '.';
		text[len] = '\0';
		emit(g, b, "%s%s%s", open, text, close);
		gap -= frame + len;
	}
}

/* The bytes of each version of ksef_gen_options (options.h). */
static const size_t options_sizes[] = {
	KSEF__OPTIONS_END(ksef_gen_options, seed), /* 1 */
};
KSEF__OPTIONS_SIZES(options_sizes, KSEF_GEN_OPTIONS_VERSION);

static int check_options(const ksef_gen_options *o, ksef_error *err)
{
	int error;

	if (o->form != KSEF_FORM_FA3 && o->form != KSEF_FORM_FA2)
		return ksef__error_set(err, KSEF_EINVAL,
			"the generator makes FA (3) and FA (2) only");
	if ((error = check_nip(o->seller_nip, "seller_nip", err)) < 0)
		return error;
	if (o->buyer_nip != NULL &&
	    (error = check_nip(o->buyer_nip, "buyer_nip", err)) < 0)
		return error;
	if (o->target_bytes != 0 && (o->target_bytes < KSEF_GEN_MIN_BYTES ||
	    o->target_bytes > KSEF_INVOICE_MAX_BYTES_PLAIN))
		return ksef__error_set(err, KSEF_EINVAL,
			"target_bytes %zu is outside %d..%d "
			"(KSEF_INVOICE_MAX_BYTES_PLAIN)", o->target_bytes,
			KSEF_GEN_MIN_BYTES, KSEF_INVOICE_MAX_BYTES_PLAIN);
	return 0;
}

int ksef_gen_invoice(ksef_buf *out, const ksef_gen_options *given,
		     uint64_t index, ksef_error *err)
{
	ksef_gen_options copy = KSEF_GEN_OPTIONS_INIT, *opts = &copy;
	struct gen g = { 0, err };
	struct invoice inv;
	struct totals saved;
	ksef_buf lines = KSEF_BUF_INIT, doc = KSEF_BUF_INIT;
	size_t target, fixed = 0;
	unsigned no;

	if (out == NULL || given == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"out and opts must not be NULL");
	if ((g.error = KSEF__OPTIONS_COPY(&copy, given, options_sizes,
					  KSEF_GEN_OPTIONS_VERSION,
					  "ksef_gen_options", err)) < 0 ||
	    (g.error = check_options(opts, err)) < 0)
		return g.error;
	if ((g.error = setup(&inv, opts, index, err)) < 0)
		return g.error;
	target = opts->target_bytes ? opts->target_bytes :
		KSEF_GEN_DEFAULT_BYTES;
	inv.contacts = target >= CONTACTS_MIN_BYTES;

	/*
	 * Add lines while the whole document stays within the target. The
	 * parts around the lines grow by a hundred bytes or so at most as
	 * lines are added (longer amounts, a new rate's sums, the exemption
	 * basis), so they are measured again only within 512 bytes of the
	 * target, keeping a 1 MB invoice linear to build.
	 */
	for (no = 1; no <= MAX_LINES; no++) {
		size_t mark = lines.size;

		saved = inv.t;
		emit_line(&g, &lines, &inv, no);
		if (g.error < 0)
			break;
		if (no <= MIN_LINES)
			continue;
		if (fixed != 0 && fixed + lines.size + 512 < target)
			continue;
		doc.size = 0;
		emit_head(&g, &doc, &inv);
		emit_tail(&g, &doc, &inv);
		fixed = doc.size;
		if (g.error == 0 && fixed + lines.size > target) {
			lines.size = mark;
			lines.ptr[mark] = '\0';
			inv.t = saved;
			break;
		}
	}

	doc.size = 0;
	emit_head(&g, &doc, &inv);
	emit_tail(&g, &doc, &inv);
	fixed = doc.size;
	doc.size = 0;
	emit_head(&g, &doc, &inv);
	if (g.error == 0 && fixed + lines.size < target)
		emit_padding(&g, &doc, target - fixed - lines.size,
			     inv.line_key);
	if (g.error == 0 && (g.error = ksef__buf_put(&doc, lines.ptr,
			lines.size, KSEF_INVOICE_MAX_BYTES_PLAIN)) < 0)
		ksef__error_set(err, g.error,
			"generator: out of memory or over %d bytes",
			KSEF_INVOICE_MAX_BYTES_PLAIN);
	emit_tail(&g, &doc, &inv);
	ksef_buf_dispose(&lines);
	if (g.error < 0) {
		ksef_buf_dispose(&doc);
		return g.error;
	}
	ksef__buf_swap_in(out, &doc);
	return 0;
}
