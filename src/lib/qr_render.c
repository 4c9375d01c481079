/*
 * qr_render.c - owns drawing a QR code: the module matrix from libqrencode,
 * the PNG file through libpng, the SVG text written here, and the label
 * under the code (kody-qr.md "Oznaczenie pod kodem QR": the KSeF number,
 * or OFFLINE). What the code says (the link) is qr_link.c's.
 *
 * The PNG label is drawn with a 5x7 bitmap font of its own, so that no
 * font library or font file is needed: a label is a KSeF number (digits,
 * upper-case hex, '-') or OFFLINE, and the font has 0-9, A-Z and '-'.
 * The SVG label is text, in a monospace font the viewer supplies.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include <qrencode.h>
#include "ksef/qr.h"
#include "internal.h"
#include "options.h"

#define DEFAULT_MODULE_PX 5
#define MAX_MODULE_PX 40
#define DEFAULT_QUIET 4
#define MAX_QUIET 16

/* The font: each glyph 5 columns by 7 rows, a row's bits high to low. */
#define GLYPH_W 5
#define GLYPH_H 7
#define GLYPH_ADVANCE 6 /* a column of space between glyphs */

/* The largest image either format is allowed to describe: version 40
 * (177 modules) with the widest quiet zone at the largest module, plus a
 * label band, stays far below it. */
#define OUT_MAX ((size_t)64 << 20)

static const struct glyph {
	char c;
	unsigned char rows[GLYPH_H];
} font[] = {
	{ '0', { 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e } },
	{ '1', { 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e } },
	{ '2', { 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f } },
	{ '3', { 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e } },
	{ '4', { 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 } },
	{ '5', { 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e } },
	{ '6', { 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e } },
	{ '7', { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 } },
	{ '8', { 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e } },
	{ '9', { 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c } },
	{ 'A', { 0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 } },
	{ 'B', { 0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e } },
	{ 'C', { 0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e } },
	{ 'D', { 0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c } },
	{ 'E', { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f } },
	{ 'F', { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10 } },
	{ 'G', { 0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f } },
	{ 'H', { 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 } },
	{ 'I', { 0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e } },
	{ 'J', { 0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c } },
	{ 'K', { 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11 } },
	{ 'L', { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f } },
	{ 'M', { 0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11 } },
	{ 'N', { 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11 } },
	{ 'O', { 0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e } },
	{ 'P', { 0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10 } },
	{ 'Q', { 0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d } },
	{ 'R', { 0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11 } },
	{ 'S', { 0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e } },
	{ 'T', { 0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 } },
	{ 'U', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e } },
	{ 'V', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04 } },
	{ 'W', { 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a } },
	{ 'X', { 0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11 } },
	{ 'Y', { 0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04 } },
	{ 'Z', { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f } },
	{ '-', { 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00 } },
};

static const struct glyph *glyph_of(char c)
{
	size_t i;

	for (i = 0; i < sizeof(font) / sizeof(font[0]); i++)
		if (font[i].c == c)
			return &font[i];
	return NULL;
}

/* The options in force, read through the version copier. */
static int read_options(ksef_qr_options *o, const ksef_qr_options *given,
			ksef_error *err)
{
	static const size_t sizes[] = {
		KSEF__OPTIONS_END(ksef_qr_options, no_label),
		KSEF__OPTIONS_END(ksef_qr_options, label),
	};
	KSEF__OPTIONS_SIZES(sizes, KSEF_QR_OPTIONS_VERSION);
	const ksef_qr_options dflt = KSEF_QR_OPTIONS_INIT;
	int error;

	*o = dflt;
	if (given != NULL && (error = KSEF__OPTIONS_COPY(o, given, sizes,
			KSEF_QR_OPTIONS_VERSION, "ksef_qr_options", err)) != 0)
		return error;
	if (o->format != KSEF_QR_PNG && o->format != KSEF_QR_SVG)
		return ksef__error_set(err, KSEF_EINVAL, "unknown image "
				       "format %d", (int)o->format);
	if (o->module_px == 0)
		o->module_px = DEFAULT_MODULE_PX;
	if (o->module_px > MAX_MODULE_PX)
		return ksef__error_set(err, KSEF_EINVAL, "module_px %u is over "
				       "%d", o->module_px, MAX_MODULE_PX);
	if (o->quiet_zone < 0)
		o->quiet_zone = DEFAULT_QUIET;
	if (o->quiet_zone > MAX_QUIET)
		return ksef__error_set(err, KSEF_EINVAL, "quiet_zone %d is "
				       "over %d", o->quiet_zone, MAX_QUIET);
	if (o->ksef_number != NULL && o->ksef_number[0] != '\0' &&
	    ksef_number_validate(o->ksef_number,
				 strnlen(o->ksef_number, KSEF_NUMBER_BUFSZ),
				 NULL) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "the label is not a "
				       "KSeF number");
	if (o->label != NULL && o->label[0] != '\0') {
		/* The font's characters only, which the SVG also writes
		 * without escaping. */
		size_t n = strnlen(o->label, KSEF_QR_LABEL_MAX + 1), i;

		if (n > KSEF_QR_LABEL_MAX)
			return ksef__error_set(err, KSEF_EFORMAT, "the label is "
				"over KSEF_QR_LABEL_MAX (%d bytes)",
				KSEF_QR_LABEL_MAX);
		for (i = 0; i < n; i++)
			if (o->label[i] != ' ' && glyph_of(o->label[i]) == NULL)
				return ksef__error_set(err, KSEF_EFORMAT, "the "
					"label may hold A-Z, 0-9, '-' and ' ' "
					"only (byte %zu)", i);
	}
	return 0;
}

/* The geometry both formats share, in pixels (SVG user units). */
struct layout {
	int modules;     /* of the code, quiet zone excluded */
	int px;          /* per module */
	int code_w;      /* the code with its quiet zone, square */
	int scale;       /* of the label's font */
	int label_w, label_h;
	int width, height;
	int code_x;      /* where the code starts, to centre it */
	int label_x, label_y;
	const char *label; /* NULL: none */
};

static void lay_out(struct layout *l, const QRcode *q,
		    const ksef_qr_options *o)
{
	size_t n;

	memset(l, 0, sizeof(*l));
	l->modules = q->width;
	l->px = (int)o->module_px;
	l->code_w = (q->width + 2 * o->quiet_zone) * l->px;
	l->width = l->code_w;
	l->height = l->code_w;
	if (o->no_label)
		return;
	l->label = o->label && o->label[0] ? o->label :
		   o->ksef_number && o->ksef_number[0] ?
		   o->ksef_number : KSEF_QR_LABEL_OFFLINE;
	n = strlen(l->label);
	/* The largest font scale up to half the module size whose text
	 * fits under the code (the official images have a label of about
	 * the code's width, in small type); at least 1, widening the image
	 * if it must. */
	for (l->scale = l->px / 2 > 1 ? l->px / 2 : 1; l->scale > 1;
	     l->scale--)
		if ((int)n * GLYPH_ADVANCE * l->scale <= l->code_w - 2 * l->px)
			break;
	l->label_w = (int)n * GLYPH_ADVANCE * l->scale - l->scale;
	l->label_h = GLYPH_H * l->scale;
	if (l->label_w + 2 * l->px > l->width)
		l->width = l->label_w + 2 * l->px;
	l->code_x = (l->width - l->code_w) / 2;
	l->label_x = (l->width - l->label_w) / 2;
	/* Tucked into the lower quiet zone as the official images have it,
	 * with a module of white above and below it at least. */
	l->label_y = l->code_w - (o->quiet_zone > 2 ? 2 : 0) * l->px;
	l->height = l->label_y + l->label_h + 2 * l->px;
}

/* ---- PNG ---------------------------------------------------------------- */

struct png_sink {
	ksef_buf *buf;
	int failed;
};

static void png_write(png_structp png, png_bytep data, size_t len)
{
	struct png_sink *s = png_get_io_ptr(png);

	if (!s->failed && ksef_buf_append(s->buf, data, len, OUT_MAX) != 0)
		s->failed = 1;
}

static void png_flush(png_structp png)
{
	(void)png;
}

/* libpng reports through longjmp; the message goes nowhere (no stderr
 * from a library), the failure comes back as KSEF_ENOMEM. */
static void png_error_fn(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void png_warning_fn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void paint(unsigned char *img, const struct layout *l,
		  const QRcode *q, int quiet)
{
	int x, y, i, j, c;
	size_t k;

	memset(img, 0xff, (size_t)l->width * (size_t)l->height);
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++) {
			if (!(q->data[y * q->width + x] & 1))
				continue;
			for (j = 0; j < l->px; j++)
				memset(img + (size_t)((quiet + y) * l->px + j) *
				       (size_t)l->width + (size_t)(l->code_x +
				       (quiet + x) * l->px), 0,
				       (size_t)l->px);
		}
	if (l->label == NULL)
		return;
	for (k = 0; l->label[k] != '\0'; k++) {
		const struct glyph *g = glyph_of(l->label[k]);
		int gx = l->label_x + (int)k * GLYPH_ADVANCE * l->scale;

		if (g == NULL)
			continue;
		for (i = 0; i < GLYPH_H; i++)
			for (c = 0; c < GLYPH_W; c++) {
				if (!(g->rows[i] & (0x10 >> c)))
					continue;
				for (j = 0; j < l->scale; j++)
					memset(img + (size_t)(l->label_y +
					       i * l->scale + j) *
					       (size_t)l->width +
					       (size_t)(gx + c * l->scale), 0,
					       (size_t)l->scale);
			}
	}
}

static int write_png(ksef_buf *out, const struct layout *l, const QRcode *q,
		     int quiet, ksef_error *err)
{
	struct png_sink sink = { out, 0 };
	png_structp png;
	png_infop info = NULL;
	unsigned char *img;
	png_bytep *volatile rows = NULL;
	int y;

	img = malloc((size_t)l->width * (size_t)l->height);
	if (img == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	paint(img, l, q, quiet);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
				      png_error_fn, png_warning_fn);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		free(img);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(rows);
		free(img);
		return ksef__error_set(err, KSEF_ENOMEM, "cannot write the "
				       "PNG");
	}
	rows = malloc((size_t)l->height * sizeof(*rows));
	if (rows == NULL)
		png_error(png, "out of memory");
	for (y = 0; y < l->height; y++)
		rows[y] = img + (size_t)y * (size_t)l->width;
	png_set_write_fn(png, &sink, png_write, png_flush);
	png_set_IHDR(png, info, (png_uint_32)l->width,
		     (png_uint_32)l->height, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_set_rows(png, info, rows);
	png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
	png_destroy_write_struct(&png, &info);
	free(rows);
	free(img);
	if (sink.failed)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

/* ---- SVG ---------------------------------------------------------------- */

/* Append formatted text to b; -1 when it cannot grow. */
static int appendf(ksef_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int appendf(ksef_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return ksef_buf_append(b, tmp, (size_t)n, OUT_MAX) == 0 ? 0 : -1;
}

static int write_svg(ksef_buf *out, const struct layout *l, const QRcode *q,
		     int quiet, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	int x, y, run, bad = 0;

	bad |= appendf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
		"<path fill=\"#000\" shape-rendering=\"crispEdges\" d=\"",
		l->width, l->height, l->width, l->height);
	/* One rectangle per horizontal run of dark modules. */
	for (y = 0; y < q->width && !bad; y++)
		for (x = 0; x < q->width; x += run) {
			run = 1;
			if (!(q->data[y * q->width + x] & 1))
				continue;
			while (x + run < q->width &&
			       (q->data[y * q->width + x + run] & 1))
				run++;
			bad |= appendf(&b, "M%d %dh%dv%dh-%dz",
				       l->code_x + (quiet + x) * l->px,
				       (quiet + y) * l->px, run * l->px, l->px,
				       run * l->px);
		}
	bad |= appendf(&b, "\"/>\n");
	/* The label holds only [0-9A-Z -] (a KSeF number, OFFLINE or a
	 * label read_options() checked), so it needs no escaping. */
	if (l->label != NULL)
		bad |= appendf(&b, "<text x=\"%d\" y=\"%d\" "
			"font-family=\"monospace\" font-size=\"%d\" "
			"text-anchor=\"middle\" fill=\"#000\">%s</text>\n",
			l->width / 2, l->label_y + l->label_h,
			l->label_h * 10 / 7, l->label);
	bad |= appendf(&b, "</svg>\n");
	if (bad) {
		ksef_buf_dispose(&b);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	ksef_buf_dispose(out);
	*out = b;
	return 0;
}

int ksef_qr_render(ksef_buf *out, const char *text, size_t len,
		   const ksef_qr_options *opts, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	ksef_qr_options o;
	struct layout l;
	QRcode *q;
	int error;

	if (out == NULL || text == NULL || len == 0)
		return ksef__error_set(err, KSEF_EINVAL, "no output or no "
				       "text given");
	if (len > KSEF_QR_TEXT_MAX)
		return ksef__error_set(err, KSEF_ETOOBIG, "the text is over "
			"KSEF_QR_TEXT_MAX (%d bytes)", KSEF_QR_TEXT_MAX);
	if ((error = read_options(&o, opts, err)) != 0)
		return error;
	/* Byte mode: the link's case matters (its hash is Base64URL). */
	q = QRcode_encodeData((int)len, (const unsigned char *)text, 0,
			      QR_ECLEVEL_M);
	if (q == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "libqrencode cannot "
				       "encode the text");
	lay_out(&l, q, &o);
	if (o.format == KSEF_QR_PNG)
		error = write_png(&b, &l, q, o.quiet_zone, err);
	else
		error = write_svg(&b, &l, q, o.quiet_zone, err);
	QRcode_free(q);
	if (error != 0) {
		ksef_buf_dispose(&b);
		return error;
	}
	ksef_buf_dispose(out);
	*out = b;
	return 0;
}
