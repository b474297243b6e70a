/* Text buffers: the text outputs (CSV, JSON, HTML, QML/SLD, the QGIS project, the STAC Item)
 * are built in memory and written in one go. Not part of the API. */
#ifndef CP_TEXTBUF_H
#define CP_TEXTBUF_H

#include <stdarg.h>
#include <stddef.h>

#include <clearplan/scenario.h>
#include <clearplan/status.h>

#include "error.h"

/* A growable text buffer. On allocation failure it turns sticky-failed (`failed` = 1) and
 * further appends do nothing; check once at the end (cp_textbuf_write does). */
typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} cp_textbuf;

void cp_textbuf_puts(cp_textbuf *b, const char *s);
void cp_textbuf_putn(cp_textbuf *b, const char *s, size_t n);
void cp_textbuf_printf(cp_textbuf *b, const char *fmt, ...) CP_PRINTF(2, 3);
/* Appends s escaped for HTML text and attributes. */
void cp_textbuf_html(cp_textbuf *b, const char *s);
/* Appends s as a JSON string literal, quotes included. */
void cp_textbuf_json(cp_textbuf *b, const char *s);
/* Appends s as a CSV field (quoted when it holds a comma, quote or line break). */
void cp_textbuf_csv(cp_textbuf *b, const char *s);
/* Appends a number for CSV/JSON with 15 significant digits ("%.15g"); NAN and
 * infinities as `nan_text`. */
void cp_textbuf_num(cp_textbuf *b, double v, const char *nan_text);
/* Appends an integer; a date as "YYYY-MM-DD" (both without printf). */
void cp_textbuf_int(cp_textbuf *b, long long v);
void cp_textbuf_date(cp_textbuf *b, cp_date d);
void cp_textbuf_free(cp_textbuf *b);

/* A temporary name beside `path` ("<path>.tmp<pid><suffix>", malloc'd): files built inside
 * an output transaction's folder are completed there before they take their names. */
char *cp_tmp_sibling(const char *path, const char *suffix);
/* Writes `len` bytes to `path` through a temporary file beside it and a rename. */
cp_status cp_write_file(const char *path, const char *data, size_t len);
/* Writes the buffer to `path` (out of memory when it failed) and frees it. */
cp_status cp_textbuf_write(cp_textbuf *b, const char *path);

#endif
