/* Internal helpers shared by plan.c, plan_io.c and plan_report.c. Not part of the API. */
#ifndef CP_PLAN_INTERNAL_H
#define CP_PLAN_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <clearplan/plan.h>

#include "error.h"
#include "textbuf.h"

/* Appends the development outcomes of the plan and the evidence (may be NULL) as members of
 * the summary object: `, "outcomes": {...}, "uncertainty": {...}, ...` (evidence.c). */
struct cp_evidence;
void cp_evidence_json_put(cp_textbuf *b, const cp_plan *plan, const struct cp_evidence *ev);

/* Sums of a milestone period, for the writers. */
const char *cp_plan_period_label(const cp_milestone *m, char buf[16]);

#endif
