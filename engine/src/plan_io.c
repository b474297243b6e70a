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

#include <clearplan/plan.h>

#include "error.h"
#include "plan_internal.h"

/* ------------------------------------------------------------------ text buffer ------- */

static void buf_reserve(cp_planbuf *b, size_t extra) {
    if (b->failed) return;
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return;
    }
    b->data = d;
    b->cap = cap;
}

void cp_planbuf_putn(cp_planbuf *b, const char *s, size_t n) {
    buf_reserve(b, n);
    if (b->failed) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cp_planbuf_puts(cp_planbuf *b, const char *s) {
    cp_planbuf_putn(b, s, strlen(s));
}

void cp_planbuf_printf(cp_planbuf *b, const char *fmt, ...) {
    buf_reserve(b, 64); /* one pass when it fits, a second one only when it does not */
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        if (b->failed) return;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void cp_planbuf_int(cp_planbuf *b, long long v) {
    char t[24], *e = t + sizeof t, *q = e;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--q = '-';
    cp_planbuf_putn(b, q, (size_t)(e - q));
}

void cp_planbuf_date(cp_planbuf *b, cp_date d) {
    int y, m, dd;
    cp_date_split(d, &y, &m, &dd);
    if (y < 0 || y > 9999) {
        char t[11];
        cp_planbuf_puts(b, cp_date_format(d, t));
        return;
    }
    char t[10] = {(char)('0' + y / 1000),
                  (char)('0' + y / 100 % 10),
                  (char)('0' + y / 10 % 10),
                  (char)('0' + y % 10),
                  '-',
                  (char)('0' + m / 10),
                  (char)('0' + m % 10),
                  '-',
                  (char)('0' + dd / 10),
                  (char)('0' + dd % 10)};
    cp_planbuf_putn(b, t, 10);
}

void cp_planbuf_html(cp_planbuf *b, const char *s) {
    for (const char *p = s ? s : ""; *p; ++p) {
        switch (*p) {
            case '&':
                cp_planbuf_puts(b, "&amp;");
                break;
            case '<':
                cp_planbuf_puts(b, "&lt;");
                break;
            case '>':
                cp_planbuf_puts(b, "&gt;");
                break;
            case '"':
                cp_planbuf_puts(b, "&quot;");
                break;
            case '\'':
                cp_planbuf_puts(b, "&#39;");
                break;
            default:
                cp_planbuf_putn(b, p, 1);
        }
    }
}

void cp_planbuf_json(cp_planbuf *b, const char *s) {
    cp_planbuf_putn(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; ++p) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            cp_planbuf_putn(b, e, 2);
        } else if (*p < 0x20) {
            cp_planbuf_printf(b, "\\u%04x", *p);
        } else {
            cp_planbuf_putn(b, (const char *)p, 1);
        }
    }
    cp_planbuf_putn(b, "\"", 1);
}

void cp_planbuf_csv(cp_planbuf *b, const char *s) {
    s = s ? s : "";
    if (!strpbrk(s, ",\"\r\n")) {
        cp_planbuf_puts(b, s);
        return;
    }
    cp_planbuf_putn(b, "\"", 1);
    for (const char *p = s; *p; ++p) {
        if (*p == '"') cp_planbuf_putn(b, "\"", 1);
        cp_planbuf_putn(b, p, 1);
    }
    cp_planbuf_putn(b, "\"", 1);
}

void cp_planbuf_num(cp_planbuf *b, double v, const char *nan_text) {
    if (!isfinite(v)) {
        cp_planbuf_puts(b, nan_text);
        return;
    }
    if (v == 0) {
        cp_planbuf_putn(b, "0", 1); /* no "-0" */
        return;
    }
    /* 15 significant digits, trailing zeros trimmed, like "%.15g" but without printf's
     * cost (it dominates writing 100,000 rows); printf for very small or large values */
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
    double a = fabs(v);
    if (a < 1e-4 || a >= 1e15) {
        char t[40];
        snprintf(t, sizeof t, "%.15g", v);
        cp_planbuf_puts(b, t);
        return;
    }
    int e = (int)floor(log10(a)); /* a in [10^e, 10^(e+1)) */
    if (e >= -4 && e < 15) {
        double lo = e >= 0 ? p10[e] : 1 / p10[-e];
        if (a < lo)
            --e;
        else if (e + 1 < 15 && a >= (e + 1 >= 0 ? p10[e + 1] : 1 / p10[-(e + 1)]))
            ++e;
    }
    int dec = 14 - e; /* decimals that give 15 significant digits */
    if (dec < 0) dec = 0;
    if (dec > 19) dec = 19;
    unsigned long long m = (unsigned long long)llround(a * p10[dec]);
    char digits[32], out[48];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    int k = 0;
    if (v < 0) out[k++] = '-';
    /* digits[] holds the number reversed; the last `dec` of them are decimals */
    int lastnz = 0; /* trim trailing zero decimals */
    while (lastnz < dec && lastnz < nd && digits[lastnz] == '0') ++lastnz;
    if (lastnz < dec && lastnz >= nd) lastnz = dec; /* all zero */
    if (nd <= dec) {
        out[k++] = '0';
        if (lastnz < dec) {
            out[k++] = '.';
            for (int z = 0; z < dec - nd; ++z) out[k++] = '0';
            for (int i = nd - 1; i >= lastnz; --i) out[k++] = digits[i];
        }
    } else {
        for (int i = nd - 1; i >= dec; --i) out[k++] = digits[i];
        if (lastnz < dec) {
            out[k++] = '.';
            for (int i = dec - 1; i >= lastnz; --i) out[k++] = digits[i];
        }
    }
    cp_planbuf_putn(b, out, (size_t)k);
}

void cp_planbuf_free(cp_planbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ files ------------- */

static char *tmp_name(const char *path, const char *suffix) {
    size_t n = strlen(path) + 64;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s.tmp%ld%s", path, (long)getpid(), suffix);
    return t;
}

cp_status cp_plan_write_file(const char *path, const char *data, size_t len) {
    char *tmp = tmp_name(path, "");
    if (!tmp) return cp_fail(CP_E_NOMEM, "out of memory");
    cp_status st = CP_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
        goto done;
    }
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    int bad = put != len;
    bad |= fclose(f) != 0;
    if (bad) {
        st = cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        st = cp_fail(CP_E_IO, "cannot rename <%s> to <%s>: %s", tmp, path, strerror(errno));
        unlink(tmp);
    }
done:
    free(tmp);
    return st;
}

static cp_status buf_write(cp_planbuf *b, const char *path) {
    cp_status st = b->failed ? cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path)
                             : cp_plan_write_file(path, b->data ? b->data : "", b->len);
    cp_planbuf_free(b);
    return st;
}

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

/* ------------------------------------------------------------------ CSV writers ------- */

static void csv_extra(cp_planbuf *b, const cp_plan_column *c, const cp_plan_value *v) {
    if (!v || v->is_null) return;
    switch (c->type) {
        case CP_VALUE_REAL:
            cp_planbuf_num(b, v->real, "");
            break;
        case CP_VALUE_INTEGER:
            cp_planbuf_int(b, (long long)v->integer);
            break;
        default:
            cp_planbuf_csv(b, v->text);
    }
}

cp_status cp_plan_write_csv(const cp_plan *plan, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_csv: NULL argument");
    cp_planbuf b = {0};
    cp_planbuf_puts(&b,
                    "rank,hazard_id,status,region,area_m2,cancel_m2,reduce_m2,clear_m2,benefit,"
                    "cost_team_days,cost_usd,efficiency,priority_mean,priority_max,"
                    "people_within_m,locked,start,end,year,team,packages");
    for (size_t c = 0; c < plan->ncolumns; ++c) {
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_csv(&b, plan->columns[c].name);
    }
    cp_planbuf_putn(&b, "\n", 1);
    for (size_t i = 0; i < plan->nitems && !b.failed; ++i) {
        const cp_plan_item *it = &plan->items[i];
        cp_planbuf_int(&b, (long long)it->rank);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_csv(&b, it->h.id);
        cp_planbuf_puts(&b, it->h.status == CP_STATUS_CHA ? ",CHA," : ",SHA,");
        cp_planbuf_csv(&b, it->h.region);
        const double nums[] = {it->h.area_m2,      it->released_m2[0],   it->released_m2[1],
                               it->released_m2[2], it->h.benefit,        it->h.cost_team_days,
                               it->cost_usd,       it->efficiency,       it->h.priority_mean,
                               it->h.priority_max, it->h.people_within_m};
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; ++k) {
            cp_planbuf_putn(&b, ",", 1);
            cp_planbuf_num(&b, nums[k], "");
        }
        cp_planbuf_puts(&b, it->h.locked ? ",1," : ",0,");
        cp_planbuf_date(&b, it->start);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_date(&b, it->end);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_int(&b, it->year);
        cp_planbuf_putn(&b, ",", 1);
        if (it->team) cp_planbuf_int(&b, it->team);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_int(&b, (long long)it->npackages);
        for (size_t c = 0; c < plan->ncolumns; ++c) {
            cp_planbuf_putn(&b, ",", 1);
            csv_extra(&b, &plan->columns[c], it->h.extra ? &it->h.extra[c] : NULL);
        }
        cp_planbuf_putn(&b, "\n", 1);
    }
    return buf_write(&b, path);
}

cp_status cp_plan_write_milestones_csv(const cp_plan *plan, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_milestones_csv: NULL argument");
    cp_planbuf b = {0};
    cp_planbuf_puts(&b,
                    "period,kind,year,quarter,start,end,capacity_team_days,cancelled_m2,"
                    "reduced_m2,cleared_m2,released_m2,hazards_completed,benefit,team_days,"
                    "cost_usd,remaining_m2\n");
    for (int pass = 0; pass < 2; ++pass) {
        const cp_milestone *ms = pass ? plan->quarters : plan->years;
        size_t n = pass ? plan->nquarters : plan->nyears;
        for (size_t k = 0; k < n; ++k) {
            const cp_milestone *m = &ms[k];
            char lab[16], d1[11], d2[11];
            cp_planbuf_printf(&b, "%s,%s,%d,%d,%s,%s", cp_plan_period_label(m, lab),
                              pass ? "quarter" : "year", m->year, m->quarter,
                              cp_date_format(m->start, d1), cp_date_format(m->end, d2));
            const double v[] = {m->capacity_team_days, m->released_m2[0], m->released_m2[1],
                                m->released_m2[2], m->area_m2};
            for (size_t i = 0; i < 5; ++i) {
                cp_planbuf_putn(&b, ",", 1);
                cp_planbuf_num(&b, v[i], "");
            }
            cp_planbuf_printf(&b, ",%zu", m->hazards_completed);
            const double w[] = {m->benefit, m->team_days, m->cost_usd, m->remaining_m2};
            for (size_t i = 0; i < 4; ++i) {
                cp_planbuf_putn(&b, ",", 1);
                cp_planbuf_num(&b, w[i], "");
            }
            cp_planbuf_putn(&b, "\n", 1);
        }
    }
    return buf_write(&b, path);
}

cp_status cp_plan_write_packages_csv(const cp_plan *plan, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_packages_csv: NULL argument");
    cp_planbuf b = {0};
    cp_planbuf_puts(&b, "package_id,hazard_id,seq,region,team,team_days,start,end\n");
    for (size_t k = 0; k < plan->npackages && !b.failed; ++k) {
        const cp_plan_package *p = &plan->packages[k];
        const cp_plan_item *it = &plan->items[p->item];
        cp_planbuf_csv(&b, p->id);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_csv(&b, it->h.id);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_int(&b, p->seq);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_csv(&b, it->h.region);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_int(&b, p->team);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_num(&b, p->team_days, "");
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_date(&b, p->start);
        cp_planbuf_putn(&b, ",", 1);
        cp_planbuf_date(&b, p->end);
        cp_planbuf_putn(&b, "\n", 1);
    }
    return buf_write(&b, path);
}

cp_status cp_plan_write_rejected_csv(const cp_plan *plan, const cp_plan_rejected *rejected,
                                     size_t nrejected, const char *path) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_rejected_csv: NULL argument");
    cp_planbuf b = {0};
    cp_planbuf_puts(&b, "hazard_id,stage,reason\n");
    for (size_t k = 0; k < nrejected; ++k) {
        cp_planbuf_csv(&b, rejected[k].id);
        cp_planbuf_puts(&b, ",rejected,");
        cp_planbuf_csv(&b, rejected[k].reason);
        cp_planbuf_putn(&b, "\n", 1);
    }
    for (size_t k = 0; k < plan->nexcluded; ++k) {
        cp_planbuf_csv(&b, plan->excluded[k].id);
        cp_planbuf_puts(&b, ",excluded,");
        cp_planbuf_csv(&b, plan->excluded[k].reason);
        cp_planbuf_putn(&b, "\n", 1);
    }
    return buf_write(&b, path);
}

/* ------------------------------------------------------------------ JSON summary ------ */

static void json_date(cp_planbuf *b, cp_date d, int valid) {
    char t[11];
    if (!valid) {
        cp_planbuf_puts(b, "null");
        return;
    }
    cp_planbuf_printf(b, "\"%s\"", cp_date_format(d, t));
}

static void json_num(cp_planbuf *b, double v) {
    cp_planbuf_num(b, v, "null");
}

cp_status cp_plan_summary_json(const cp_plan *plan, char **out) {
    if (!plan || !out) return cp_fail(CP_E_ARG, "cp_plan_summary_json: NULL argument");
    *out = NULL;
    cp_planbuf b = {0};
    cp_planbuf_puts(&b, "{\"start\": ");
    json_date(&b, plan->start, 1);
    cp_planbuf_puts(&b, ", \"deadline\": ");
    json_date(&b, plan->deadline, 1);
    cp_planbuf_puts(&b, ", \"teams\": ");
    json_num(&b, plan->teams);
    cp_planbuf_printf(
        &b, ", \"teams_per_year\": %s, \"days_per_year\": ", plan->has_per_year ? "true" : "false");
    json_num(&b, plan->days_per_year);
    cp_planbuf_puts(&b, ", \"package_team_days\": ");
    json_num(&b, plan->package_team_days);
    cp_planbuf_puts(&b, ", \"team_day_usd\": ");
    json_num(&b, plan->team_day_usd);
    cp_planbuf_printf(&b,
                      ", \"hazards_in\": %zu, \"hazards_planned\": %zu, \"hazards_excluded\": %zu",
                      plan->ninput, plan->nitems, plan->nexcluded);
    cp_planbuf_puts(&b, ", \"totals\": {\"area_m2\": ");
    json_num(&b, plan->area_m2);
    cp_planbuf_puts(&b, ", \"cancel_m2\": ");
    json_num(&b, plan->released_m2[0]);
    cp_planbuf_puts(&b, ", \"reduce_m2\": ");
    json_num(&b, plan->released_m2[1]);
    cp_planbuf_puts(&b, ", \"clear_m2\": ");
    json_num(&b, plan->released_m2[2]);
    cp_planbuf_puts(&b, ", \"benefit\": ");
    json_num(&b, plan->benefit);
    cp_planbuf_puts(&b, ", \"team_days\": ");
    json_num(&b, plan->team_days);
    cp_planbuf_puts(&b, ", \"cost_usd\": ");
    json_num(&b, plan->cost_usd);
    cp_planbuf_puts(&b, "}, \"completion\": ");
    json_date(&b, plan->completion, 1);
    cp_planbuf_printf(
        &b, ", \"deadline_met\": %s, \"remaining_m2_at_deadline\": ", plan->met ? "true" : "false");
    json_num(&b, plan->remaining_m2);
    cp_planbuf_puts(&b, ", \"remaining_team_days_at_deadline\": ");
    json_num(&b, plan->remaining_team_days);
    cp_planbuf_printf(&b, ", \"remaining_hazards_at_deadline\": %zu", plan->remaining_hazards);
    if (plan->min_teams >= 0)
        cp_planbuf_printf(&b, ", \"teams_needed\": %d", plan->min_teams);
    else
        cp_planbuf_puts(&b, ", \"teams_needed\": null");
    cp_planbuf_puts(&b, ", \"funding_gap_usd\": ");
    json_num(&b, plan->funding_gap_usd);
    cp_planbuf_puts(&b, ", \"teams_needed_by_region\": {");
    for (size_t p = 0; p < plan->npools && plan->has_regions; ++p) {
        if (p) cp_planbuf_puts(&b, ", ");
        cp_planbuf_json(&b, plan->pools[p].name);
        if (plan->pools[p].min_teams >= 0)
            cp_planbuf_printf(&b, ": %d", plan->pools[p].min_teams);
        else
            cp_planbuf_puts(&b, ": null");
    }
    cp_planbuf_puts(&b, "}, \"regions\": [");
    for (size_t p = 0; p < plan->npools; ++p) {
        const cp_plan_pool *r = &plan->pools[p];
        cp_planbuf_puts(&b, p ? ", {\"name\": " : "{\"name\": ");
        cp_planbuf_json(&b, r->name);
        cp_planbuf_puts(&b, ", \"teams\": ");
        json_num(&b, r->teams);
        cp_planbuf_printf(&b, ", \"hazards\": %zu, \"area_m2\": ", r->nitems);
        json_num(&b, r->area_m2);
        cp_planbuf_puts(&b, ", \"team_days\": ");
        json_num(&b, r->team_days);
        cp_planbuf_puts(&b, ", \"completion\": ");
        json_date(&b, r->completion, 1);
        cp_planbuf_printf(&b, ", \"deadline_met\": %s, \"remaining_m2_at_deadline\": ",
                          r->met ? "true" : "false");
        json_num(&b, r->remaining_m2);
        if (r->min_teams >= 0)
            cp_planbuf_printf(&b, ", \"teams_needed\": %d}", r->min_teams);
        else
            cp_planbuf_puts(&b, ", \"teams_needed\": null}");
    }
    cp_planbuf_puts(&b, "], \"schedule\": {\"end\": ");
    json_date(&b, plan->schedule_end, plan->npackages > 0);
    cp_planbuf_printf(&b, ", \"teams\": %d, \"packages\": %zu}", plan->nteams_scheduled,
                      plan->npackages);
    cp_planbuf_puts(&b, ", \"sweep\": [");
    for (size_t s = 0; s < plan->nsweep; ++s) {
        const cp_plan_sweep_row *r = &plan->sweep[s];
        cp_planbuf_puts(&b, s ? ", {\"teams\": " : "{\"teams\": ");
        json_num(&b, r->teams);
        cp_planbuf_puts(&b, ", \"completion\": ");
        json_date(&b, r->completion, isfinite(r->t_completion));
        cp_planbuf_printf(&b, ", \"deadline_met\": %s, \"remaining_m2_at_deadline\": ",
                          r->met ? "true" : "false");
        json_num(&b, r->remaining_m2);
        cp_planbuf_puts(&b, ", \"remaining_team_days_at_deadline\": ");
        json_num(&b, r->remaining_team_days);
        cp_planbuf_puts(&b, ", \"funding_gap_usd\": ");
        json_num(&b, r->funding_gap_usd);
        cp_planbuf_puts(&b, "}");
    }
    cp_planbuf_puts(&b, "], \"orders\": [");
    int first = 1;
    for (int o = 0; o < CP_NORDER; ++o) {
        const cp_plan_order *od = &plan->orders[o];
        if (!od->computed) continue;
        cp_planbuf_puts(&b, first ? "{\"name\": " : ", {\"name\": ");
        first = 0;
        cp_planbuf_json(&b, od->name);
        cp_planbuf_puts(&b, ", \"benefit_curve_area\": ");
        json_num(&b, od->auc);
        cp_planbuf_puts(&b, ", \"benefit_curve_share\": ");
        json_num(&b, od->auc_share);
        cp_planbuf_puts(&b, "}");
    }
    cp_planbuf_puts(&b, "]}");
    if (b.failed) {
        cp_planbuf_free(&b);
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

static void set_real(OGRFeatureH f, int i, double v) {
    if (isfinite(v))
        OGR_F_SetFieldDouble(f, i, v);
    else
        OGR_F_SetFieldNull(f, i);
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

cp_status cp_plan_write_gpkg(const cp_plan *plan, const char *path, const char *crs_wkt,
                             const cp_plan_rejected *rejected, size_t nrejected) {
    if (!plan || !path) return cp_fail(CP_E_ARG, "cp_plan_write_gpkg: NULL argument");
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) return cp_fail(CP_E_IO, "cannot write <%s>: GDAL has no GPKG driver", path);
    char *tmp = tmp_name(path, ".gpkg");
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
    /* hazards */
    OGRwkbGeometryType gt = wkb_layer_type(plan, NULL, 0, 1);
    OGRLayerH l = gpkg_layer(&g, "hazards", gt);
    static const struct {
        const char *name;
        OGRFieldType t;
    } hf[] = {{"rank", OFTInteger},        {"hazard_id", OFTString},  {"status", OFTString},
              {"region", OFTString},       {"area_m2", OFTReal},      {"cancel_m2", OFTReal},
              {"reduce_m2", OFTReal},      {"clear_m2", OFTReal},     {"benefit", OFTReal},
              {"cost_team_days", OFTReal}, {"cost_usd", OFTReal},     {"efficiency", OFTReal},
              {"priority_mean", OFTReal},  {"priority_max", OFTReal}, {"people_within_m", OFTReal},
              {"locked", OFTInteger},      {"start", OFTDate},        {"end", OFTDate},
              {"year", OFTInteger},        {"team", OFTInteger},      {"packages", OFTInteger}};
    const size_t nhf = sizeof hf / sizeof hf[0];
    int ok = l != NULL;
    for (size_t k = 0; ok && k < nhf; ++k) ok = gpkg_field(l, hf[k].name, hf[k].t);
    for (size_t c = 0; ok && c < plan->ncolumns; ++c) {
        OGRFieldType t = plan->columns[c].type == CP_VALUE_REAL      ? OFTReal
                         : plan->columns[c].type == CP_VALUE_INTEGER ? OFTInteger64
                                                                     : OFTString;
        ok = gpkg_field(l, plan->columns[c].name, t);
    }
    if (!ok) {
        st = cp_fail_gdal(CP_E_IO, "cannot write layer <hazards> of <%s>", path);
        goto done;
    }
    GDALDatasetStartTransaction(g.ds, FALSE);
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(l);
    for (size_t i = 0; ok && i < plan->nitems; ++i) {
        const cp_plan_item *it = &plan->items[i];
        OGRFeatureH f = OGR_F_Create(fd);
        OGR_F_SetFieldInteger(f, 0, (int)it->rank);
        OGR_F_SetFieldString(f, 1, it->h.id);
        OGR_F_SetFieldString(f, 2, status_name(it->h.status));
        set_text(f, 3, it->h.region);
        const double v[] = {it->h.area_m2,      it->released_m2[0],   it->released_m2[1],
                            it->released_m2[2], it->h.benefit,        it->h.cost_team_days,
                            it->cost_usd,       it->efficiency,       it->h.priority_mean,
                            it->h.priority_max, it->h.people_within_m};
        for (int k = 0; k < 11; ++k) set_real(f, 4 + k, v[k]);
        OGR_F_SetFieldInteger(f, 15, it->h.locked);
        set_date(f, 16, it->start);
        set_date(f, 17, it->end);
        OGR_F_SetFieldInteger(f, 18, it->year);
        if (it->team)
            OGR_F_SetFieldInteger(f, 19, it->team);
        else
            OGR_F_SetFieldNull(f, 19);
        OGR_F_SetFieldInteger(f, 20, (int)it->npackages);
        for (size_t c = 0; c < plan->ncolumns; ++c) {
            int fi = (int)(nhf + c);
            const cp_plan_value *x = it->h.extra ? &it->h.extra[c] : NULL;
            if (!x || x->is_null)
                OGR_F_SetFieldNull(f, fi);
            else if (plan->columns[c].type == CP_VALUE_REAL)
                set_real(f, fi, x->real);
            else if (plan->columns[c].type == CP_VALUE_INTEGER)
                OGR_F_SetFieldInteger64(f, fi, x->integer);
            else
                set_text(f, fi, x->text);
        }
        if (gt != wkbNone) {
            OGRGeometryH geom = geom_from_wkb(it->h.wkb, it->h.wkb_len, gt == wkbMultiPolygon);
            if (geom) OGR_F_SetGeometryDirectly(f, geom);
        }
        ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
        OGR_F_Destroy(f);
    }
    /* packages */
    if (ok) {
        l = gpkg_layer(&g, "packages", wkbNone);
        static const struct {
            const char *name;
            OGRFieldType t;
        } pf[] = {{"package_id", OFTString}, {"hazard_id", OFTString}, {"seq", OFTInteger},
                  {"region", OFTString},     {"team", OFTInteger},     {"team_days", OFTReal},
                  {"start", OFTDate},        {"end", OFTDate}};
        ok = l != NULL;
        for (size_t k = 0; ok && k < sizeof pf / sizeof pf[0]; ++k)
            ok = gpkg_field(l, pf[k].name, pf[k].t);
        fd = ok ? OGR_L_GetLayerDefn(l) : NULL;
        for (size_t k = 0; ok && k < plan->npackages; ++k) {
            const cp_plan_package *p = &plan->packages[k];
            const cp_plan_item *it = &plan->items[p->item];
            OGRFeatureH f = OGR_F_Create(fd);
            OGR_F_SetFieldString(f, 0, p->id);
            OGR_F_SetFieldString(f, 1, it->h.id);
            OGR_F_SetFieldInteger(f, 2, p->seq);
            set_text(f, 3, it->h.region);
            OGR_F_SetFieldInteger(f, 4, p->team);
            set_real(f, 5, p->team_days);
            set_date(f, 6, p->start);
            set_date(f, 7, p->end);
            ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
            OGR_F_Destroy(f);
        }
    }
    /* milestones */
    if (ok) {
        l = gpkg_layer(&g, "milestones", wkbNone);
        static const char *mf[] = {"capacity_team_days", "cancelled_m2", "reduced_m2",
                                   "cleared_m2",         "released_m2",  "benefit",
                                   "team_days",          "cost_usd",     "remaining_m2"};
        ok = l && gpkg_field(l, "period", OFTString) && gpkg_field(l, "kind", OFTString) &&
             gpkg_field(l, "year", OFTInteger) && gpkg_field(l, "quarter", OFTInteger) &&
             gpkg_field(l, "start", OFTDate) && gpkg_field(l, "end", OFTDate) &&
             gpkg_field(l, "hazards_completed", OFTInteger64);
        for (size_t k = 0; ok && k < 9; ++k) ok = gpkg_field(l, mf[k], OFTReal);
        fd = ok ? OGR_L_GetLayerDefn(l) : NULL;
        for (int pass = 0; ok && pass < 2; ++pass) {
            const cp_milestone *ms = pass ? plan->quarters : plan->years;
            size_t n = pass ? plan->nquarters : plan->nyears;
            for (size_t k = 0; ok && k < n; ++k) {
                const cp_milestone *m = &ms[k];
                char lab[16];
                OGRFeatureH f = OGR_F_Create(fd);
                OGR_F_SetFieldString(f, 0, cp_plan_period_label(m, lab));
                OGR_F_SetFieldString(f, 1, pass ? "quarter" : "year");
                OGR_F_SetFieldInteger(f, 2, m->year);
                OGR_F_SetFieldInteger(f, 3, m->quarter);
                set_date(f, 4, m->start);
                set_date(f, 5, m->end);
                OGR_F_SetFieldInteger64(f, 6, (GIntBig)m->hazards_completed);
                const double v[] = {m->capacity_team_days, m->released_m2[0], m->released_m2[1],
                                    m->released_m2[2],     m->area_m2,        m->benefit,
                                    m->team_days,          m->cost_usd,       m->remaining_m2};
                for (int q = 0; q < 9; ++q) set_real(f, 7 + q, v[q]);
                ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
                OGR_F_Destroy(f);
            }
        }
    }
    /* rejected: the caller's rows and the plan's exclusions */
    if (ok) {
        OGRwkbGeometryType rt = wkb_layer_type(plan, rejected, nrejected, 0);
        l = gpkg_layer(&g, "rejected", rt);
        ok = l && gpkg_field(l, "hazard_id", OFTString) && gpkg_field(l, "stage", OFTString) &&
             gpkg_field(l, "reason", OFTString);
        fd = ok ? OGR_L_GetLayerDefn(l) : NULL;
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
    if (!ok) {
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
        goto done;
    }
    if (GDALDatasetCommitTransaction(g.ds) != OGRERR_NONE) {
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

cp_status cp_plan_write_all(const cp_plan *plan, const char *dir, const cp_plan_outputs *o) {
    if (!plan || !dir) return cp_fail(CP_E_ARG, "cp_plan_write_all: NULL argument");
    cp_plan_outputs none = {0};
    if (!o) o = &none;
    size_t n = strlen(dir) + 32;
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
    if (st == CP_OK && o->report) {
        snprintf(p, n, "%s/report.html", dir);
        st = cp_plan_write_report(plan, o->report, p);
    }
    free(p);
    return st;
}
