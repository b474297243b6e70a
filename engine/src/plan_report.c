/* report.html (placeholder, replaced below) */
#include <clearplan/plan.h>

#include "error.h"
#include "plan_internal.h"

cp_status cp_plan_write_report(const cp_plan *plan, const cp_report_info *info, const char *path) {
    (void)plan, (void)info, (void)path;
    return CP_OK;
}

cp_status cp_plan_verdict_text(const cp_plan *plan, char **out) {
    (void)plan;
    *out = NULL;
    return CP_OK;
}
