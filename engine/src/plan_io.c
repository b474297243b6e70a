/* The planner's files: reading a scored hazards table (OGR: GeoPackage, CSV, ...) and
 * writing plan.csv, milestones.csv, packages.csv, rejected.csv, plan.gpkg and the run.json
 * summary. Every file is written under a temporary name and renamed when complete. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/evidence.h>
#include <clearplan/plan.h>

#include "error.h"
#include "plan_internal.h"

const char *cp_plan_period_label(const cp_milestone *m, char buf[16]) {
    if (m->kind == CP_PERIOD_YEAR)
        snprintf(buf, 16, "%d", m->year);
    else
        snprintf(buf, 16, "%d-Q%d", m->year, m->quarter);
    return buf;
}

static const char *status_name(int s) {
    return s == CP_STATUS_CHA ? "CHA" : "SHA";
}

/* ------------------------------------------------------------------ tables ------------ */

/* The hazards, packages and milestones tables, as column descriptors that the CSV and the
 * GeoPackage writers share: a column is a name, a kind and a way to get a row's value. */
typedef enum { COL_INT, COL_REAL, COL_TEXT, COL_DATE } col_kind;

typedef struct {
    int null;
    long long i;
    double r;
    const char *s;
    cp_date d;
} cell;

typedef struct table table;
struct table {
    const cp_plan *plan;
    size_t nrows, nfixed; /* rows; columns before the class and extra columns */
    const char *const *names;
    const col_kind *kinds;
    void (*get)(const table *t, size_t row, size_t col, cell *out);
    int classes, extras; /* with the class columns (<class_prefix><code>, ..._other) and the
                            hazards' extra columns */
    const char *class_prefix;
};

static void set_i(cell *c, long long v) {
    c->i = v;
}
static void set_r(cell *c, double v) {
    c->r = v;
    c->null = !isfinite(v);
}
static void set_d(cell *c, cp_date d, int valid) {
    c->d = d;
    c->null = !valid;
}

enum {
    H_RANK,
    H_ID,
    H_STATUS,
    H_REGION,
    H_AREA,
    H_COVERED,
    H_CANCEL,
    H_REDUCE,
    H_CLEAR,
    H_BENEFIT,
    H_COST_TD,
    H_NTS_TD,
    H_TS_TD,
    H_CLEAR_TD,
    H_TEAM_DAYS,
    H_COST_USD,
    H_EFFICIENCY,
    H_PMEAN,
    H_PMAX,
    H_PEOPLE,
    H_LOCKED,
    H_START,
    H_NTS_END,
    H_TS_END,
    H_CLEAR_END,
    H_END,
    H_YEAR,
    H_TEAM,
    H_PACKAGES,
    H_UNSCHEDULED,
    H_NCOLS
};
static const char *const hazard_names[H_NCOLS] = {"rank",           "hazard_id",
                                                  "status",         "region",
                                                  "area_m2",        "covered_m2",
                                                  "cancel_m2",      "reduce_m2",
                                                  "clear_m2",       "benefit",
                                                  "cost_team_days", "nts_team_days",
                                                  "ts_team_days",   "clear_team_days",
                                                  "team_days",      "cost_usd",
                                                  "efficiency",     "priority_mean",
                                                  "priority_max",   "people_within_m",
                                                  "locked",         "start",
                                                  "nts_end",        "ts_end",
                                                  "clear_end",      "end",
                                                  "year",           "team",
                                                  "packages",       "unscheduled_packages"};
static const col_kind hazard_kinds[H_NCOLS] = {
    COL_INT,  COL_TEXT, COL_TEXT, COL_TEXT, COL_REAL, COL_REAL, COL_REAL, COL_REAL,
    COL_REAL, COL_REAL, COL_REAL, COL_REAL, COL_REAL, COL_REAL, COL_REAL, COL_REAL,
    COL_REAL, COL_REAL, COL_REAL, COL_REAL, COL_INT,  COL_DATE, COL_DATE, COL_DATE,
    COL_DATE, COL_DATE, COL_INT,  COL_INT,  COL_INT,  COL_INT};

static void hazard_get(const table *t, size_t row, size_t col, cell *c) {
    const cp_plan *p = t->plan;
    const cp_plan_item *it = &p->items[row];
    memset(c, 0, sizeof *c);
    if (col >= H_NCOLS) { /* class areas, then extra columns */
        size_t k = col - H_NCOLS;
        if (t->classes && k <= p->nclasses) {
            set_r(c, it->h.class_m2 ? it->h.class_m2[k] : NAN);
            return;
        }
        if (t->classes) k -= p->nclasses + 1;
        const cp_plan_value *v = it->h.extra ? &it->h.extra[k] : NULL;
        cp_value_type vt = p->columns[k].type;
        c->null = !v || v->is_null || (vt == CP_VALUE_TEXT && !v->text) ||
                  (vt == CP_VALUE_REAL && !isfinite(v->real));
        if (c->null) return;
        c->r = v->real;
        c->i = (long long)v->integer;
        c->s = v->text;
        return;
    }
    switch (col) {
        case H_RANK:
            set_i(c, (long long)it->rank);
            break;
        case H_ID:
            c->s = it->h.id;
            break;
        case H_STATUS:
            c->s = status_name(it->h.status);
            break;
        case H_REGION:
            c->s = it->h.region;
            c->null = !it->h.region;
            break;
        case H_AREA:
            set_r(c, it->h.area_m2);
            break;
        case H_COVERED:
            set_r(c, it->h.covered_m2);
            break;
        case H_CANCEL:
        case H_REDUCE:
        case H_CLEAR:
            set_r(c, it->released_m2[col - H_CANCEL]);
            break;
        case H_BENEFIT:
            set_r(c, it->h.benefit);
            break;
        case H_COST_TD:
            set_r(c, it->h.cost_team_days);
            break;
        case H_NTS_TD:
        case H_TS_TD:
        case H_CLEAR_TD:
            set_r(c, it->stage_ref_team_days[col - H_NTS_TD]);
            break;
        case H_TEAM_DAYS:
            set_r(c, it->team_days);
            break;
        case H_COST_USD:
            set_r(c, it->cost_usd);
            break;
        case H_EFFICIENCY:
            set_r(c, it->efficiency);
            break;
        case H_PMEAN:
            set_r(c, it->h.priority_mean);
            break;
        case H_PMAX:
            set_r(c, it->h.priority_max);
            break;
        case H_PEOPLE:
            set_r(c, it->h.people_within_m);
            break;
        case H_LOCKED:
            set_i(c, it->h.locked);
            break;
        case H_START:
            set_d(c, it->start, 1);
            break;
        case H_NTS_END:
        case H_TS_END:
        case H_CLEAR_END: {
            int s = (int)(col - H_NTS_END);
            set_d(c, it->stage_end[s], it->has_stage[s] && it->stage_end[s]);
            break;
        }
        case H_END:
            set_d(c, it->end, it->scheduled);
            break;
        case H_YEAR:
            set_i(c, it->year);
            c->null = !it->scheduled;
            break;
        case H_TEAM:
            set_i(c, it->team);
            c->null = !it->team;
            break;
        case H_PACKAGES:
            set_i(c, (long long)it->npackages);
            break;
        default:
            set_i(c, (long long)it->unscheduled_packages);
            break;
    }
}

enum {
    P_ID,
    P_HAZARD,
    P_SEQ,
    P_STAGE,
    P_REGION,
    P_TEAM,
    P_TYPE,
    P_HOME,
    P_REDEPLOYED,
    P_TEAM_DAYS,
    P_COST_USD,
    P_START,
    P_END,
    P_NCOLS
};
static const char *const package_names[P_NCOLS] = {
    "package_id",  "hazard_id",  "seq",       "stage",    "region", "team", "type",
    "home_region", "redeployed", "team_days", "cost_usd", "start",  "end"};
static const col_kind package_kinds[P_NCOLS] = {COL_TEXT, COL_TEXT, COL_INT,  COL_TEXT, COL_TEXT,
                                                COL_INT,  COL_TEXT, COL_TEXT, COL_INT,  COL_REAL,
                                                COL_REAL, COL_DATE, COL_DATE};

static void package_get(const table *t, size_t row, size_t col, cell *c) {
    const cp_plan *p = t->plan;
    const cp_plan_package *pk = &p->packages[row];
    static _Thread_local char id[512];
    memset(c, 0, sizeof *c);
    switch (col) {
        case P_ID: { /* "<hazard id>#<seq>" */
            const char *h = p->items[pk->item].h.id;
            size_t n = strlen(h);
            if (n > sizeof id - 16) n = sizeof id - 16;
            memcpy(id, h, n);
            id[n++] = '#';
            char d[12];
            int nd = 0;
            for (unsigned v = (unsigned)pk->seq; v || !nd; v /= 10) d[nd++] = (char)('0' + v % 10);
            while (nd) id[n++] = d[--nd];
            id[n] = '\0';
            c->s = id;
            break;
        }
        case P_HAZARD:
            c->s = p->items[pk->item].h.id;
            break;
        case P_SEQ:
            set_i(c, pk->seq);
            break;
        case P_STAGE:
            c->s = cp_plan_stage_name(pk->stage);
            break;
        case P_REGION:
            c->s = p->pools[pk->region].name;
            break;
        case P_TEAM:
            set_i(c, pk->team);
            break;
        case P_TYPE:
            c->s = p->types[pk->type].name;
            break;
        case P_HOME:
            c->s = p->pools[p->team_list[pk->team - 1].home].name;
            break;
        case P_REDEPLOYED:
            set_i(c, pk->redeployed);
            break;
        case P_TEAM_DAYS:
            set_r(c, pk->team_days);
            break;
        case P_COST_USD:
            set_r(c, pk->cost_usd);
            break;
        case P_START:
            set_d(c, pk->start, 1);
            break;
        default:
            set_d(c, pk->end, 1);
            break;
    }
}

enum {
    M_PERIOD,
    M_KIND,
    M_YEAR,
    M_QUARTER,
    M_START,
    M_END,
    M_CAPACITY,
    M_CANCELLED,
    M_REDUCED,
    M_CLEARED,
    M_RELEASED,
    M_DONE,
    M_BENEFIT,
    M_TEAM_DAYS,
    M_COST_USD,
    M_REMAINING,
    M_BUDGET,
    M_BINDING,
    M_POSTPONED,
    M_REDEPLOYED,
    M_PEOPLE,
    M_NCOLS
};
static const char *const milestone_names[M_NCOLS] = {"period",
                                                     "kind",
                                                     "year",
                                                     "quarter",
                                                     "start",
                                                     "end",
                                                     "capacity_team_days",
                                                     "cancelled_m2",
                                                     "reduced_m2",
                                                     "cleared_m2",
                                                     "released_m2",
                                                     "hazards_completed",
                                                     "benefit",
                                                     "team_days",
                                                     "cost_usd",
                                                     "remaining_m2",
                                                     "budget_usd",
                                                     "budget_binding",
                                                     "postponed_packages",
                                                     "redeployed_packages",
                                                     "people_near_released"};
static const col_kind milestone_kinds[M_NCOLS] = {
    COL_TEXT, COL_TEXT, COL_INT,  COL_INT,  COL_DATE, COL_DATE, COL_REAL,
    COL_REAL, COL_REAL, COL_REAL, COL_REAL, COL_INT,  COL_REAL, COL_REAL,
    COL_REAL, COL_REAL, COL_REAL, COL_INT,  COL_INT,  COL_INT,  COL_REAL};

static void milestone_get(const table *t, size_t row, size_t col, cell *c) {
    const cp_plan *p = t->plan;
    const cp_milestone *m = row < p->nyears ? &p->years[row] : &p->quarters[row - p->nyears];
    static _Thread_local char label[16];
    memset(c, 0, sizeof *c);
    if (col >= M_NCOLS) { /* area released by land-cover class */
        set_r(c, m->class_released_m2[col - M_NCOLS]);
        return;
    }
    int year_only = col >= M_BUDGET && col <= M_REDEPLOYED;
    c->null = year_only && m->kind != CP_PERIOD_YEAR;
    switch (col) {
        case M_PERIOD:
            c->s = cp_plan_period_label(m, label);
            break;
        case M_KIND:
            c->s = m->kind == CP_PERIOD_YEAR ? "year" : "quarter";
            break;
        case M_YEAR:
            set_i(c, m->year);
            break;
        case M_QUARTER:
            set_i(c, m->quarter);
            break;
        case M_START:
            set_d(c, m->start, 1);
            break;
        case M_END:
            set_d(c, m->end, 1);
            break;
        case M_CAPACITY:
            set_r(c, m->capacity_team_days);
            break;
        case M_CANCELLED:
        case M_REDUCED:
        case M_CLEARED:
            set_r(c, m->released_m2[col - M_CANCELLED]);
            break;
        case M_RELEASED:
            set_r(c, m->area_m2);
            break;
        case M_DONE:
            set_i(c, (long long)m->hazards_completed);
            break;
        case M_BENEFIT:
            set_r(c, m->benefit);
            break;
        case M_TEAM_DAYS:
            set_r(c, m->team_days);
            break;
        case M_COST_USD:
            set_r(c, m->cost_usd);
            break;
        case M_REMAINING:
            set_r(c, m->remaining_m2);
            break;
        case M_BUDGET:
            if (!c->null) set_r(c, m->budget_usd);
            break;
        case M_BINDING:
            set_i(c, m->budget_binding);
            break;
        case M_POSTPONED:
            set_i(c, (long long)m->postponed);
            break;
        case M_REDEPLOYED:
            set_i(c, (long long)m->redeployed);
            break;
        default:
            set_r(c, m->people_near_released);
            break;
    }
}

/* The hazards; the class_m2 columns only when some hazard has class areas. */
static table hazard_table(const cp_plan *p) {
    int classes = 0;
    for (size_t i = 0; i < p->nitems && !classes; ++i) classes = p->items[i].h.class_m2 != NULL;
    return (table){p,          p->nitems, H_NCOLS, hazard_names, hazard_kinds,
                   hazard_get, classes,   1,       "class_m2_"};
}
static table package_table(const cp_plan *p) {
    return (table){p, p->npackages, P_NCOLS, package_names, package_kinds, package_get, 0, 0, ""};
}
static table milestone_table(const cp_plan *p) {
    return (table){
        p, p->nyears + p->nquarters, M_NCOLS, milestone_names, milestone_kinds, milestone_get, 1,
        0, "released_m2_class_"};
}

static size_t table_ncols(const table *t) {
    return t->nfixed + (t->classes ? t->plan->nclasses + 1 : 0) +
           (t->extras ? t->plan->ncolumns : 0);
}

/* A column's name (class columns: class_m2_<code>, class_m2_other) and kind. */
static const char *table_col(const table *t, size_t k, char buf[32], col_kind *kind) {
    *kind = COL_REAL;
    if (k < t->nfixed) {
        *kind = t->kinds[k];
        return t->names[k];
    }
    k -= t->nfixed;
    if (t->classes) {
        if (k <= t->plan->nclasses) {
            if (k < t->plan->nclasses)
                snprintf(buf, 32, "%s%d", t->class_prefix, t->plan->classes[k]);
            else
                snprintf(buf, 32, "%sother", t->class_prefix);
            return buf;
        }
        k -= t->plan->nclasses + 1;
    }
    cp_value_type vt = t->plan->columns[k].type;
    *kind = vt == CP_VALUE_REAL ? COL_REAL : vt == CP_VALUE_INTEGER ? COL_INT : COL_TEXT;
    return t->plan->columns[k].name;
}

/* ------------------------------------------------------------------ CSV writers ------- */

static cp_status table_write_csv(const table *t, const char *path) {
    cp_textbuf b = {0};
    const size_t nc = table_ncols(t);
    col_kind *kinds = malloc((nc + 1) * sizeof *kinds);
    if (!kinds) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t k = 0; k < nc; ++k) {
        char buf[32];
        if (k) cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_csv(&b, table_col(t, k, buf, &kinds[k]));
    }
    cp_textbuf_putn(&b, "\n", 1);
    for (size_t r = 0; r < t->nrows && !b.failed; ++r) {
        for (size_t k = 0; k < nc; ++k) {
            cell c;
            if (k) cp_textbuf_putn(&b, ",", 1);
            t->get(t, r, k, &c);
            if (c.null) continue;
            switch (kinds[k]) {
                case COL_INT:
                    cp_textbuf_int(&b, c.i);
                    break;
                case COL_REAL:
                    cp_textbuf_num(&b, c.r, "");
                    break;
                case COL_TEXT:
                    cp_textbuf_csv(&b, c.s);
                    break;
                default:
                    cp_textbuf_date(&b, c.d);
                    break;
            }
        }
        cp_textbuf_putn(&b, "\n", 1);
    }
    free(kinds);
    return cp_textbuf_write(&b, path);
}

cp_status cp_plan_write_csv(const cp_plan *plan, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_csv: NULL argument");
    table t = hazard_table(plan);
    return table_write_csv(&t, path);
}

cp_status cp_plan_write_milestones_csv(const cp_plan *plan, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_milestones_csv: NULL argument");
    table t = milestone_table(plan);
    return table_write_csv(&t, path);
}

cp_status cp_plan_write_packages_csv(const cp_plan *plan, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_packages_csv: NULL argument");
    table t = package_table(plan);
    return table_write_csv(&t, path);
}

cp_status cp_plan_write_rejected_csv(const cp_plan *plan, const cp_plan_rejected *rejected,
                                     size_t nrejected, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_rejected_csv: NULL argument");
    cp_textbuf b = {0};
    cp_textbuf_puts(&b, "hazard_id,stage,reason\n");
    for (size_t k = 0; k < nrejected; ++k) {
        cp_textbuf_csv(&b, rejected[k].id);
        cp_textbuf_puts(&b, ",rejected,");
        cp_textbuf_csv(&b, rejected[k].reason);
        cp_textbuf_putn(&b, "\n", 1);
    }
    for (size_t k = 0; k < plan->nexcluded; ++k) {
        cp_textbuf_csv(&b, plan->excluded[k].id);
        cp_textbuf_puts(&b, ",excluded,");
        cp_textbuf_csv(&b, plan->excluded[k].reason);
        cp_textbuf_putn(&b, "\n", 1);
    }
    return cp_textbuf_write(&b, path);
}

/* ------------------------------------------------------------------ JSON summary ------ */

static void json_date(cp_textbuf *b, cp_date d, int valid) {
    char t[11];
    if (!valid) {
        cp_textbuf_puts(b, "null");
        return;
    }
    cp_textbuf_printf(b, "\"%s\"", cp_date_format(d, t));
}

static void json_num(cp_textbuf *b, double v) {
    cp_textbuf_num(b, v, "null");
}

/* `head` (the separator and the key, e.g. ", \"area_m2\": "), then v. */
static void json_field(cp_textbuf *b, const char *head, double v) {
    cp_textbuf_puts(b, head);
    json_num(b, v);
}

static void json_teams(cp_textbuf *b, int n) {
    if (n >= 0)
        cp_textbuf_int(b, n);
    else
        cp_textbuf_puts(b, "null");
}

cp_status cp_plan_summary_json(const cp_plan *plan, char **out) {
    return cp_plan_summary_json_with(plan, NULL, out);
}

/* The plan's settings: dates, teams, days, package size, cost, redeployment, counts. */
static void json_settings(cp_textbuf *b, const cp_plan *plan) {
    cp_textbuf_puts(b, "{\"start\": ");
    json_date(b, plan->start, 1);
    cp_textbuf_puts(b, ", \"deadline\": ");
    json_date(b, plan->deadline, 1);
    json_field(b, ", \"teams\": ", plan->teams);
    cp_textbuf_printf(
        b, ", \"teams_per_year\": %s, \"days_per_year\": ", plan->has_per_year ? "true" : "false");
    json_num(b, plan->days_per_year);
    json_field(b, ", \"package_team_days\": ", plan->package_team_days);
    json_field(b, ", \"team_day_usd\": ", plan->team_day_usd);
    cp_textbuf_printf(
        b, ", \"redeploy\": %s, \"mobilisation_days\": ", plan->redeploy ? "true" : "false");
    json_num(b, plan->mobilisation_days);
    cp_textbuf_printf(b,
                      ", \"hazards_in\": %zu, \"hazards_planned\": %zu, \"hazards_excluded\": %zu",
                      plan->ninput, plan->nitems, plan->nexcluded);
}

/* The totals: area by stage, benefit, team-days, cost (closed by json_verdict). */
static void json_totals(cp_textbuf *b, const cp_plan *plan) {
    json_field(b, ", \"totals\": {\"area_m2\": ", plan->area_m2);
    json_field(b, ", \"cancel_m2\": ", plan->released_m2[0]);
    json_field(b, ", \"reduce_m2\": ", plan->released_m2[1]);
    json_field(b, ", \"clear_m2\": ", plan->released_m2[2]);
    json_field(b, ", \"benefit\": ", plan->benefit);
    json_field(b, ", \"team_days\": ", plan->team_days);
    json_field(b, ", \"scheduled_team_days\": ", plan->scheduled_team_days);
    json_field(b, ", \"cost_usd\": ", plan->cost_usd);
}

/* The verdict from the schedule: completion, the deadline, what remains, teams needed, money. */
static void json_verdict(cp_textbuf *b, const cp_plan *plan) {
    cp_textbuf_printf(
        b, "}, \"schedule_complete\": %s, \"completion\": ", plan->complete ? "true" : "false");
    json_date(b, plan->completion, plan->complete);
    cp_textbuf_printf(
        b, ", \"deadline_met\": %s, \"remaining_m2_at_deadline\": ", plan->met ? "true" : "false");
    json_num(b, plan->remaining_m2);
    json_field(b, ", \"remaining_team_days_at_deadline\": ", plan->remaining_team_days);
    cp_textbuf_printf(b, ", \"remaining_hazards_at_deadline\": %zu", plan->remaining_hazards);
    cp_textbuf_printf(b, ", \"unscheduled_packages\": %zu", plan->unscheduled_packages);
    cp_textbuf_puts(b, ", \"ideal_completion\": ");
    json_date(b, plan->ideal_completion, isfinite(plan->t_ideal) && plan->ideal_completion);
    cp_textbuf_puts(b, ", \"teams_needed\": ");
    json_teams(b, plan->teams_needed);
    cp_textbuf_puts(b, ", \"teams_needed_note\": ");
    if (plan->teams_needed_note)
        cp_textbuf_json(b, plan->teams_needed_note);
    else
        cp_textbuf_puts(b, "null");
    cp_textbuf_printf(b,
                      ", \"infeasible_hazards\": %zu, \"first_infeasible\": ", plan->ninfeasible);
    if (plan->infeasible_id)
        cp_textbuf_json(b, plan->infeasible_id);
    else
        cp_textbuf_puts(b, "null");
    json_field(b, ", \"funding_gap_usd\": ", plan->funding_gap_usd);
    cp_textbuf_printf(b, ", \"redeployed_packages\": %zu, \"budget_binding_years\": %zu",
                      plan->redeployed_packages, plan->budget_binding_years);
}

/* Teams needed by region, then the regions (the array left open for json_types). */
static void json_regions(cp_textbuf *b, const cp_plan *plan) {
    cp_textbuf_puts(b, ", \"teams_needed_by_region\": {");
    for (size_t p = 0; p < plan->npools && plan->has_regions; ++p) {
        if (p) cp_textbuf_puts(b, ", ");
        cp_textbuf_json(b, plan->pools[p].name);
        cp_textbuf_puts(b, ": ");
        json_teams(b, plan->pools[p].teams_needed);
    }
    cp_textbuf_puts(b, "}, \"regions\": [");
    for (size_t p = 0; p < plan->npools; ++p) {
        const cp_plan_pool *r = &plan->pools[p];
        cp_textbuf_puts(b, p ? ", {\"name\": " : "{\"name\": ");
        cp_textbuf_json(b, r->name);
        json_field(b, ", \"teams\": ", r->teams);
        cp_textbuf_printf(b, ", \"hazards\": %zu, \"area_m2\": ", r->nitems);
        json_num(b, r->area_m2);
        json_field(b, ", \"team_days\": ", r->team_days);
        cp_textbuf_puts(b, ", \"completion\": ");
        json_date(b, r->completion, isfinite(r->t_completion));
        cp_textbuf_printf(
            b, ", \"deadline_met\": %s, \"remaining_m2_at_deadline\": ", r->met ? "true" : "false");
        json_num(b, r->remaining_m2);
        cp_textbuf_puts(b, ", \"teams_needed\": ");
        json_teams(b, r->teams_needed);
        cp_textbuf_puts(b, "}");
    }
}

/* The team types, and the schedule's size. */
static void json_types(cp_textbuf *b, const cp_plan *plan) {
    cp_textbuf_puts(b, "], \"types\": [");
    for (size_t t = 0; t < plan->ntypes; ++t) {
        const cp_plan_type *ty = &plan->types[t];
        cp_textbuf_puts(b, t ? ", {\"name\": " : "{\"name\": ");
        cp_textbuf_json(b, ty->name);
        cp_textbuf_puts(b, ", \"stages\": [");
        for (int s = 0, first = 1; s < CP_NMETHOD; ++s)
            if (ty->stages[s]) {
                cp_textbuf_puts(b, first ? "" : ", ");
                cp_textbuf_json(b, cp_plan_stage_name(s));
                first = 0;
            }
        json_field(b, "], \"teams\": ", ty->teams);
        json_field(b, ", \"team_days\": ", ty->team_days);
        cp_textbuf_puts(b, ", \"teams_needed\": ");
        json_teams(b, ty->teams_needed);
        cp_textbuf_puts(b, "}");
    }
    cp_textbuf_printf(b, "], \"schedule\": {\"teams\": %d, \"packages\": %zu}", plan->nteams,
                      plan->npackages);
}

/* The what-if sweep's rows. */
static void json_sweep(cp_textbuf *b, const cp_plan *plan) {
    cp_textbuf_puts(b, ", \"sweep\": [");
    for (size_t s = 0; s < plan->nsweep; ++s) {
        const cp_plan_sweep_row *r = &plan->sweep[s];
        cp_textbuf_printf(b, "%s{\"teams\": %d, \"completion\": ", s ? ", " : "", r->teams);
        json_date(b, r->completion, r->complete);
        cp_textbuf_printf(
            b, ", \"deadline_met\": %s, \"remaining_m2_at_deadline\": ", r->met ? "true" : "false");
        json_num(b, r->remaining_m2);
        json_field(b, ", \"remaining_team_days_at_deadline\": ", r->remaining_team_days);
        json_field(b, ", \"funding_gap_usd\": ", r->funding_gap_usd);
        cp_textbuf_puts(b, "}");
    }
}

/* The orders on the ideal bound (the array left open). */
static void json_orders(cp_textbuf *b, const cp_plan *plan) {
    cp_textbuf_puts(b, "], \"orders\": [");
    int first = 1;
    for (int o = 0; o < CP_NORDER; ++o) {
        const cp_plan_order *od = &plan->orders[o];
        if (!od->computed) continue;
        cp_textbuf_puts(b, first ? "{\"name\": " : ", {\"name\": ");
        first = 0;
        cp_textbuf_json(b, od->name);
        json_field(b, ", \"benefit_curve_area\": ", od->auc);
        json_field(b, ", \"benefit_curve_share\": ", od->auc_share);
        cp_textbuf_puts(b, "}");
    }
}

cp_status cp_plan_summary_json_with(const cp_plan *plan, const cp_evidence *ev, char **out) {
    if (!plan || !out) return cp_fail(CP_E_ARG, "cp_plan_summary_json: NULL argument");
    *out = NULL;
    cp_textbuf b = {0};
    json_settings(&b, plan);
    json_totals(&b, plan);
    json_verdict(&b, plan);
    json_regions(&b, plan);
    json_types(&b, plan);
    json_sweep(&b, plan);
    json_orders(&b, plan);
    cp_textbuf_puts(&b, "]");
    cp_evidence_json_put(&b, plan, ev);
    cp_textbuf_puts(&b, "}");
    if (b.failed) {
        cp_textbuf_free(&b);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    *out = b.data;
    return CP_OK;
}

/* ------------------------------------------------------------------ GeoPackage -------- */

typedef struct {
    GDALDatasetH ds;
    OGRSpatialReferenceH srs;
} gpkg_ctx;

static OGRLayerH gpkg_layer(gpkg_ctx *g, const char *name, OGRwkbGeometryType gt) {
    char *opts[] = {"FID=fid", "GEOMETRY_NAME=geom", NULL};
    return GDALDatasetCreateLayer(g->ds, name, gt == wkbNone ? NULL : g->srs, gt, opts);
}

static int gpkg_field(OGRLayerH l, const char *name, OGRFieldType t) {
    OGRFieldDefnH f = OGR_Fld_Create(name, t);
    OGRErr e = OGR_L_CreateField(l, f, TRUE);
    OGR_Fld_Destroy(f);
    return e == OGRERR_NONE;
}

static void set_date(OGRFeatureH f, int i, cp_date d) {
    int y, m, dd;
    cp_date_split(d, &y, &m, &dd);
    OGR_F_SetFieldDateTime(f, i, y, m, dd, 0, 0, 0, 0);
}

static void set_text(OGRFeatureH f, int i, const char *s) {
    if (s)
        OGR_F_SetFieldString(f, i, s);
    else
        OGR_F_SetFieldNull(f, i);
}

static OGRGeometryH geom_from_wkb(const unsigned char *wkb, size_t len, int force_multi) {
    if (!wkb || !len) return NULL;
    OGRGeometryH g = NULL;
    if (OGR_G_CreateFromWkb(wkb, NULL, &g, (int)len) != OGRERR_NONE) return NULL;
    if (force_multi) g = OGR_G_ForceToMultiPolygon(g);
    return g;
}

/* The geometry type of a set of WKB geometries: MultiPolygon when all are polygonal,
 * Unknown when mixed, None when there is none. */
static OGRwkbGeometryType wkb_layer_type(const cp_plan *plan, const cp_plan_rejected *rej,
                                         size_t nrej, int use_items) {
    int any = 0, poly = 1;
    size_t n = use_items ? plan->nitems : nrej;
    for (size_t i = 0; i < n; ++i) {
        const unsigned char *w = use_items ? plan->items[i].h.wkb : rej[i].wkb;
        size_t len = use_items ? plan->items[i].h.wkb_len : rej[i].wkb_len;
        if (!w || len < 5) continue;
        any = 1;
        uint32_t t;
        memcpy(&t, w + 1, 4);
        if (w[0] == 0)
            t = ((t & 0xff) << 24) | ((t & 0xff00) << 8) | ((t >> 8) & 0xff00) | (t >> 24);
        uint32_t base = t % 1000;
        if (t & 0x20000000u) base = t & 0xff; /* EWKB flags */
        if (base != 3 && base != 6) poly = 0;
    }
    if (!any) return wkbNone;
    return poly ? wkbMultiPolygon : wkbUnknown;
}

/* Writes a table as a layer (with the hazards' geometries when gt is not wkbNone). */
static int gpkg_table(gpkg_ctx *g, const char *name, const table *t, OGRwkbGeometryType gt) {
    OGRLayerH l = gpkg_layer(g, name, gt);
    const size_t nc = table_ncols(t);
    col_kind *kinds = malloc((nc + 1) * sizeof *kinds);
    int ok = l && kinds;
    for (size_t k = 0; ok && k < nc; ++k) {
        char buf[32];
        const char *cn = table_col(t, k, buf, &kinds[k]);
        OGRFieldType ft = kinds[k] == COL_REAL   ? OFTReal
                          : kinds[k] == COL_TEXT ? OFTString
                          : kinds[k] == COL_DATE ? OFTDate
                          : k >= t->nfixed       ? OFTInteger64
                                                 : OFTInteger;
        ok = gpkg_field(l, cn, ft);
    }
    OGRFeatureDefnH fd = ok ? OGR_L_GetLayerDefn(l) : NULL;
    for (size_t r = 0; ok && r < t->nrows; ++r) {
        OGRFeatureH f = OGR_F_Create(fd);
        for (size_t k = 0; k < nc; ++k) {
            cell c;
            t->get(t, r, k, &c);
            int fi = (int)k;
            if (c.null) {
                OGR_F_SetFieldNull(f, fi);
                continue;
            }
            switch (kinds[k]) {
                case COL_INT:
                    OGR_F_SetFieldInteger64(f, fi, (GIntBig)c.i);
                    break;
                case COL_REAL:
                    OGR_F_SetFieldDouble(f, fi, c.r);
                    break;
                case COL_TEXT:
                    OGR_F_SetFieldString(f, fi, c.s);
                    break;
                default:
                    set_date(f, fi, c.d);
                    break;
            }
        }
        if (gt != wkbNone) {
            const cp_hazard *h = &t->plan->items[r].h;
            OGRGeometryH geom = geom_from_wkb(h->wkb, h->wkb_len, gt == wkbMultiPolygon);
            if (geom) OGR_F_SetGeometryDirectly(f, geom);
        }
        ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
        OGR_F_Destroy(f);
    }
    free(kinds);
    return ok;
}

static cp_status plan_write_gpkg_quietly(const cp_plan *plan, const char *path, const char *crs_wkt,
                                         const cp_plan_rejected *rejected, size_t nrejected) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_gpkg: NULL argument");
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) return cp_fail(CP_E_IO, "cannot write <%s>: GDAL has no GPKG driver", path);
    char *tmp = cp_tmp_sibling(path, ".gpkg");
    if (!tmp) return cp_fail(CP_E_NOMEM, "out of memory");
    cp_status st = CP_OK;
    gpkg_ctx g = {0};
    CPLErrorReset();
    if (crs_wkt && crs_wkt[0]) {
        g.srs = OSRNewSpatialReference(NULL);
        if (!g.srs || OSRSetFromUserInput(g.srs, crs_wkt) != OGRERR_NONE) {
            st = cp_fail_gdal(CP_E_CRS, "cannot write <%s>: unusable CRS", path);
            goto done;
        }
        OSRSetAxisMappingStrategy(g.srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    VSIUnlink(tmp);
    g.ds = GDALCreate(drv, tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!g.ds) {
        st = cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
        goto done;
    }
    GDALDatasetStartTransaction(g.ds, FALSE);
    table ht = hazard_table(plan), pt = package_table(plan), mt = milestone_table(plan);
    int ok = gpkg_table(&g, "hazards", &ht, wkb_layer_type(plan, NULL, 0, 1)) &&
             gpkg_table(&g, "packages", &pt, wkbNone) && gpkg_table(&g, "milestones", &mt, wkbNone);
    /* rejected: the caller's rows and the plan's exclusions */
    if (ok) {
        OGRwkbGeometryType rt = wkb_layer_type(plan, rejected, nrejected, 0);
        OGRLayerH l = gpkg_layer(&g, "rejected", rt);
        ok = l && gpkg_field(l, "hazard_id", OFTString) && gpkg_field(l, "stage", OFTString) &&
             gpkg_field(l, "reason", OFTString);
        OGRFeatureDefnH fd = ok ? OGR_L_GetLayerDefn(l) : NULL;
        for (size_t k = 0; ok && k < nrejected + plan->nexcluded; ++k) {
            OGRFeatureH f = OGR_F_Create(fd);
            if (k < nrejected) {
                set_text(f, 0, rejected[k].id);
                OGR_F_SetFieldString(f, 1, "rejected");
                set_text(f, 2, rejected[k].reason);
                if (rt != wkbNone) {
                    OGRGeometryH geom =
                        geom_from_wkb(rejected[k].wkb, rejected[k].wkb_len, rt == wkbMultiPolygon);
                    if (geom) OGR_F_SetGeometryDirectly(f, geom);
                }
            } else {
                const cp_plan_excluded *x = &plan->excluded[k - nrejected];
                OGR_F_SetFieldString(f, 0, x->id);
                OGR_F_SetFieldString(f, 1, "excluded");
                OGR_F_SetFieldString(f, 2, x->reason);
            }
            ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
            OGR_F_Destroy(f);
        }
    }
    if (!ok || GDALDatasetCommitTransaction(g.ds) != OGRERR_NONE) {
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
        goto done;
    }
    GDALClose(g.ds);
    g.ds = NULL;
    if (CPLGetLastErrorType() >= CE_Failure) {
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
        goto done;
    }
    if (rename(tmp, path) != 0)
        st = cp_fail(CP_E_IO, "cannot rename <%s> to <%s>: %s", tmp, path, strerror(errno));
done:
    if (g.ds) GDALClose(g.ds);
    if (g.srs) OSRDestroySpatialReference(g.srs);
    if (st != CP_OK) VSIUnlink(tmp);
    free(tmp);
    return st;
}

/* ------------------------------------------------------------------ all outputs ------- */

static cp_status plan_write_all_quietly(const cp_plan *plan, const char *dir,
                                        const cp_plan_outputs *o) {
    if (!plan || !dir) return cp_fail(CP_E_ARG, "cp_plan_write_all: NULL argument");
    cp_plan_outputs none = {0};
    if (!o) o = &none;
    size_t n = strlen(dir) + 96;
    char *p = malloc(n);
    if (!p) return cp_fail(CP_E_NOMEM, "out of memory");
    cp_status st;
    snprintf(p, n, "%s/plan.csv", dir);
    st = cp_plan_write_csv(plan, p);
    if (st == CP_OK) {
        snprintf(p, n, "%s/milestones.csv", dir);
        st = cp_plan_write_milestones_csv(plan, p);
    }
    if (st == CP_OK) {
        snprintf(p, n, "%s/packages.csv", dir);
        st = cp_plan_write_packages_csv(plan, p);
    }
    if (st == CP_OK) {
        snprintf(p, n, "%s/rejected.csv", dir);
        st = cp_plan_write_rejected_csv(plan, o->rejected, o->nrejected, p);
    }
    if (st == CP_OK && !o->no_gpkg) {
        snprintf(p, n, "%s/plan.gpkg", dir);
        st = cp_plan_write_gpkg(plan, p, o->crs_wkt, o->rejected, o->nrejected);
    }
    if (st == CP_OK && o->evidence) st = cp_evidence_write(plan, o->evidence, dir);
    cp_report_info info = o->report ? *o->report : (cp_report_info){0};
    if (!info.evidence) info.evidence = o->evidence;
    if (st == CP_OK && o->report) {
        snprintf(p, n, "%s/report.html", dir);
        st = cp_plan_write_report(plan, &info, p);
    }
    for (size_t r = 0; st == CP_OK && o->report && r < o->nregions; ++r) {
        char slug[64];
        snprintf(p, n, "%s/report-%s.html", dir, cp_region_slug(o->regions[r], slug));
        st = cp_plan_write_region_report(plan, &info, o->regions[r], p);
    }
    free(p);
    return st;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_plan_write_all(const cp_plan *plan, const char *dir, const cp_plan_outputs *o) {
    cp_gdal_quiet_begin();
    cp_status s = plan_write_all_quietly(plan, dir, o);
    cp_gdal_quiet_end();
    return s;
}

cp_status cp_plan_write_gpkg(const cp_plan *plan, const char *path, const char *crs_wkt,
                             const cp_plan_rejected *rejected, size_t nrejected) {
    cp_gdal_quiet_begin();
    cp_status s = plan_write_gpkg_quietly(plan, path, crs_wkt, rejected, nrejected);
    cp_gdal_quiet_end();
    return s;
}
