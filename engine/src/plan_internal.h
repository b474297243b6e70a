/* Internal helpers shared by plan.c, plan_io.c and plan_report.c. Not part of the API. */
#ifndef CP_PLAN_INTERNAL_H
#define CP_PLAN_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <clearplan/plan.h>

#include "error.h"

/* A growable text buffer. On allocation failure it turns sticky-failed (`failed` = 1) and
 * further appends do nothing; check once at the end. */
typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} cp_planbuf;

void cp_planbuf_puts(cp_planbuf *b, const char *s);
void cp_planbuf_putn(cp_planbuf *b, const char *s, size_t n);
void cp_planbuf_printf(cp_planbuf *b, const char *fmt, ...) CP_PRINTF(2, 3);
/* Appends s escaped for HTML text and attributes. */
void cp_planbuf_html(cp_planbuf *b, const char *s);
/* Appends s as a JSON string literal, quotes included. */
void cp_planbuf_json(cp_planbuf *b, const char *s);
/* Appends s as a CSV field (quoted when it holds a comma, quote or line break). */
void cp_planbuf_csv(cp_planbuf *b, const char *s);
/* Appends a number for CSV/JSON with 15 significant digits ("%.15g"); NAN and
 * infinities as `nan_text`. */
void cp_planbuf_num(cp_planbuf *b, double v, const char *nan_text);
/* Appends an integer; a date as "YYYY-MM-DD" (both without printf). */
void cp_planbuf_int(cp_planbuf *b, long long v);
void cp_planbuf_date(cp_planbuf *b, cp_date d);
void cp_planbuf_free(cp_planbuf *b);

/* Writes `len` bytes to `path` through a temporary file beside it and a rename. */
cp_status cp_plan_write_file(const char *path, const char *data, size_t len);

/* Appends the development outcomes of the plan and the evidence (may be NULL) as members of
 * the summary object: `, "outcomes": {...}, "uncertainty": {...}, ...` (evidence.c). */
struct cp_evidence;
void cp_evidence_json_put(cp_planbuf *b, const cp_plan *plan, const struct cp_evidence *ev);

/* Sums of a milestone period, for the writers. */
const char *cp_plan_period_label(const cp_milestone *m, char buf[16]);

#endif
