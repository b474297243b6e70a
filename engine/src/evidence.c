/* The evidence of a run or a re-plan (clearplan/evidence.h): the Monte Carlo and the rank
 * robustness computed from the planner's inputs, their CSV files and their part of the
 * summary JSON, with the development outcomes of the milestones. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/evidence.h>

#include "error.h"
#include "plan_internal.h"
#include "ranks.h"

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

void cp_evidence_free(cp_evidence *ev) {
    if (!ev) return;
    cp_plan_mc_free(ev->mc);
    cp_rank_robustness_free(ev->ranks);
    cp_contamination_free(ev->contamination);
    for (size_t k = 0; ev->criteria && k < ev->ncriteria; ++k) free(ev->criteria[k]);
    free(ev->criteria);
    free(ev);
}

static int weights_uncertain(const cp_uncertainty *u) {
    if (!u) return 0;
    if (u->weight_concentration > 0) return 1;
    for (size_t k = 0; k < u->nweights; ++k)
        if (u->weights[k].range.given && u->weights[k].range.min < u->weights[k].range.max)
            return 1;
    return 0;
}

/* The Monte Carlo over the ranks: each runs its block of the samples (cp_ranks_deal), rank 0
 * assembles the blocks in sample order, which is rank order (the others get NULL): the result
 * of one process, bit for bit. Collective: every rank returns the same status. */
static cp_status montecarlo(const cp_evidence_request *rq, const cp_mc_options *mo,
                            const cp_ranks *r, cp_plan_mc **out) {
    if (!r || r->size < 2)
        return cp_plan_montecarlo(rq->hazards, rq->n, rq->cap, rq->cost, rq->rules, rq->opts, mo,
                                  out);
    int64_t first, end;
    cp_ranks_deal((int64_t)mo->samples, r->size, r->rank, &first, &end);
    void *part = NULL, *all = NULL;
    size_t nb = 0, nall = 0;
    cp_status st = cp_plan_mc_part(rq->hazards, rq->n, rq->cap, rq->cost, rq->rules, rq->opts, mo,
                                   (size_t)first, (size_t)end, &part, &nb);
    if (!(st = cp_ranks_agree(r, st))) st = cp_ranks_gather(r, part, nb, &all, &nall);
    free(part);
    if (!st && r->rank == 0) st = cp_plan_mc_assemble(rq->cap, mo, all, nall, out);
    free(all);
    return cp_ranks_agree(r, st);
}

/* Whether the request asks for the rank robustness: uncertain weights, and components. */
static int ranks_wanted(const cp_evidence_request *rq) {
    return weights_uncertain(rq->u) && rq->components && rq->ncriteria;
}

/* Sums the counts of every rank's samples (exact: whole numbers), after agreeing on how the
 * ranks' blocks went. */
static cp_status combine_counts(void *arg, cp_status st, uint32_t *counts, size_t n) {
    const cp_ranks *r = arg;
    if ((st = cp_ranks_agree(r, st)) != CP_OK) return st;
    return cp_ranks_agree(r, cp_ranks_sum_u32(r, counts, n));
}

/* The rank robustness, its samples dealt to the ranks as blocks in a job of several: every
 * rank gets the whole run's result. Collective then. */
static cp_status rank_robustness(const cp_plan *plan, const cp_evidence_request *rq,
                                 const cp_ranks *r, cp_rank_robustness **out) {
    cp_rank_options ro = {rq->ncriteria,
                          rq->criteria,
                          rq->weights,
                          rq->components,
                          rq->n,
                          rq->u,
                          rq->rules,
                          rq->samples,
                          rq->seed,
                          rq->threads,
                          0,
                          0,
                          0,
                          NULL,
                          NULL};
    if (r && r->size > 1) {
        int64_t first, end;
        cp_ranks_deal((int64_t)rq->samples, r->size, r->rank, &first, &end);
        ro.part = 1, ro.first = (size_t)first, ro.end = (size_t)end;
        ro.combine = combine_counts, ro.combine_arg = (void *)r;
    }
    return cp_rank_robustness_compute(plan, &ro, out);
}

cp_status cp_evidence_compute(const cp_plan *plan, const cp_evidence_request *rq,
                              cp_evidence **out) {
    return cp_evidence_compute_ranks(plan, rq, NULL, out);
}

cp_status cp_evidence_compute_ranks(const cp_plan *plan, const cp_evidence_request *rq,
                                    const cp_ranks *r, cp_evidence **out) {
    if (!plan || !rq || !out) return cp_fail(CP_E_ARG, "cp_evidence_compute: NULL argument");
    *out = NULL;
    if (r && r->size > 1 && r->rank) { /* a block of the samples; rank 0 does the rest */
        cp_plan_mc *none = NULL;
        cp_mc_options mo = {rq->u, rq->samples, rq->seed, rq->threads};
        cp_status st = rq->samples ? montecarlo(rq, &mo, r, &none) : CP_OK;
        if (st == CP_OK && rq->samples && ranks_wanted(rq)) { /* this rank's block */
            cp_rank_robustness *rr = NULL;
            st = rank_robustness(plan, rq, r, &rr);
            cp_rank_robustness_free(rr);
        }
        cp_contamination_free(rq->contamination); /* after: the capacity may point into it */
        return st;
    }
    if (!rq->samples && !rq->contamination) return CP_OK;
    cp_status st = CP_OK;
    cp_evidence *ev = calloc(1, sizeof *ev);
    if (!ev) st = cp_fail(CP_E_NOMEM, "out of memory");
    if (ev)
        ev->contamination = rq->contamination;
    else
        cp_contamination_free(rq->contamination);
    if (!rq->samples) goto done;
    cp_mc_options mo = {rq->u, rq->samples, rq->seed, rq->threads};
    cp_plan_mc *mc = NULL; /* collective: reached even when ev is not */
    cp_status mst = montecarlo(rq, &mo, r, &mc);
    if (st == CP_OK) st = mst;
    if (ev)
        ev->mc = mc;
    else
        cp_plan_mc_free(mc);
    if (mst == CP_OK && ranks_wanted(rq)) { /* collective: reached even when ev is not */
        cp_rank_robustness *rr = NULL;
        cp_status rst = rank_robustness(plan, rq, r, &rr);
        if (st == CP_OK) st = rst;
        if (ev)
            ev->ranks = rr;
        else
            cp_rank_robustness_free(rr);
        if (st != CP_OK) goto done;
        ev->criteria = calloc(rq->ncriteria, sizeof *ev->criteria);
        if (!ev->criteria) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        ev->ncriteria = rq->ncriteria;
        for (size_t k = 0; k < rq->ncriteria; ++k)
            if (!(ev->criteria[k] = xstrdup(rq->criteria[k]))) {
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
    }
done:
    if (st == CP_OK)
        *out = ev;
    else
        cp_evidence_free(ev);
    return st;
}

/* ------------------------------------------------------------------ files ------------- */

static cp_status write_buf(cp_textbuf *b, const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cp_status st = b->failed ? cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path)
                             : cp_write_file(path, b->data ? b->data : "", b->len);
    cp_textbuf_free(b);
    return st;
}

/* Days from the start as a date ("" when the work does not fit the calendar). */
static void csv_day(cp_textbuf *b, cp_date start, double t) {
    if (isfinite(t) && t < 1e9) cp_textbuf_date(b, cp_plan_end_day(start, t));
}

static cp_status write_samples(const cp_plan_mc *mc, const char *dir) {
    cp_textbuf b = {0};
    cp_textbuf_puts(&b,
                    "sample,deadline_met,complete,completion,remaining_m2_at_deadline,"
                    "teams_needed,cost_usd,availability,productivity_factor,"
                    "team_day_usd_factor\n");
    for (size_t k = 0; k < mc->nsamples; ++k) {
        const cp_mc_sample *s = &mc->samples[k];
        cp_textbuf_printf(&b, "%zu,%d,%d,", k + 1, s->met, s->complete);
        if (s->complete) cp_textbuf_date(&b, s->completion);
        cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_num(&b, s->remaining_m2, "");
        cp_textbuf_putn(&b, ",", 1);
        if (s->teams_needed >= 0) cp_textbuf_int(&b, s->teams_needed);
        cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_num(&b, s->cost_usd, "");
        cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_num(&b, s->availability, "");
        cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_num(&b, s->productivity, "");
        cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_num(&b, s->team_day_usd, "");
        cp_textbuf_putn(&b, "\n", 1);
    }
    return write_buf(&b, dir, "montecarlo.csv");
}

static cp_status write_fan(const cp_plan *plan, const cp_plan_mc *mc, const char *dir) {
    cp_textbuf b = {0};
    cp_textbuf_puts(&b,
                    "quarter_end,remaining_m2_p5,remaining_m2_p10,remaining_m2_p50,"
                    "remaining_m2_p90,remaining_m2_p95,remaining_m2_plan\n");
    for (size_t q = 0; q < mc->nfan; ++q) {
        cp_textbuf_date(&b, mc->fan_date[q]);
        for (int i = 0; i < 5; ++i) {
            cp_textbuf_putn(&b, ",", 1);
            cp_textbuf_num(&b, mc->fan_p[i][q], "");
        }
        cp_textbuf_putn(&b, ",", 1);
        double det = plan->complete ? 0 : plan->remaining_m2;
        for (size_t k = 0; k < plan->nquarters; ++k)
            if (plan->quarters[k].end == mc->fan_date[q]) det = plan->quarters[k].remaining_m2;
        if (plan->nquarters && mc->fan_date[q] < plan->quarters[0].end) det = plan->area_m2;
        cp_textbuf_num(&b, det, "");
        cp_textbuf_putn(&b, "\n", 1);
    }
    return write_buf(&b, dir, "burndown_fan.csv");
}

static cp_status write_ranks(const cp_plan *plan, const cp_rank_robustness *r, const char *dir) {
    cp_textbuf b = {0};
    cp_textbuf_puts(&b,
                    "rank,hazard_id,region,rank_p5,rank_p50,rank_p95,p_first_year,"
                    "first_year,robust\n");
    for (size_t i = 0; i < r->nitems; ++i) {
        const cp_rank_item *ri = &r->items[i];
        const cp_plan_item *it = &plan->items[i];
        cp_textbuf_int(&b, (long long)ri->rank);
        cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_csv(&b, it->h.id);
        cp_textbuf_putn(&b, ",", 1);
        cp_textbuf_csv(&b, plan->pools[it->pool].name);
        cp_textbuf_printf(&b, ",%zu,%zu,%zu,", ri->rank_p5, ri->rank_p50, ri->rank_p95);
        cp_textbuf_num(&b, ri->p_first_year, "");
        cp_textbuf_printf(&b, ",%d,%d\n", ri->first_year, ri->robust);
    }
    return write_buf(&b, dir, "rank_robustness.csv");
}

static cp_status write_contamination(const cp_contamination *c, const char *dir) {
    cp_textbuf b = {0};
    cp_textbuf_puts(&b,
                    "region,year,new_reports_p10,new_reports_p50,new_reports_p90,"
                    "new_area_m2_p10,new_area_m2_p50,new_area_m2_p90,reserved_share,"
                    "reserved_team_days\n");
    for (size_t r = 0; r <= c->nregions; ++r)
        for (int y = 0; y < c->nyears; ++y) {
            cp_textbuf_csv(&b, r < c->nregions ? c->region_names[r] : "(country)");
            cp_textbuf_printf(&b, ",%d", c->year0 + y);
            for (int i = 0; i < 3; ++i) {
                cp_textbuf_putn(&b, ",", 1);
                if (r < c->nregions)
                    cp_textbuf_num(&b, c->count_p[i][r * (size_t)c->nyears + (size_t)y], "");
            }
            for (int i = 0; i < 3; ++i) {
                cp_textbuf_putn(&b, ",", 1);
                cp_textbuf_num(&b,
                               r < c->nregions ? c->area_p[i][r * (size_t)c->nyears + (size_t)y]
                                               : c->total_area_p[i][y],
                               "");
            }
            cp_textbuf_putn(&b, ",", 1);
            if (r == c->nregions && c->reserve) cp_textbuf_num(&b, c->reserve[y].share, "");
            cp_textbuf_putn(&b, ",", 1);
            if (r == c->nregions && c->reserve_team_days)
                cp_textbuf_num(&b, c->reserve_team_days[y], "");
            cp_textbuf_putn(&b, "\n", 1);
        }
    return write_buf(&b, dir, "contamination.csv");
}

cp_status cp_evidence_write(const cp_plan *plan, const cp_evidence *ev, const char *dir) {
    if (!plan || !dir) return cp_fail(CP_E_ARG, "cp_evidence_write: NULL argument");
    cp_status st = CP_OK;
    if (ev && ev->mc) st = write_samples(ev->mc, dir);
    if (st == CP_OK && ev && ev->mc) st = write_fan(plan, ev->mc, dir);
    if (st == CP_OK && ev && ev->ranks) st = write_ranks(plan, ev->ranks, dir);
    if (st == CP_OK && ev && ev->contamination) st = write_contamination(ev->contamination, dir);
    return st;
}

/* ------------------------------------------------------------------ JSON -------------- */

static void json_day(cp_textbuf *b, cp_date start, double t) {
    if (!(isfinite(t) && t < 1e9)) {
        cp_textbuf_puts(b, "null");
        return;
    }
    cp_textbuf_putn(b, "\"", 1);
    csv_day(b, start, t);
    cp_textbuf_putn(b, "\"", 1);
}

static void json_teams(cp_textbuf *b, int n) {
    if (n >= 0)
        cp_textbuf_int(b, n);
    else
        cp_textbuf_puts(b, "null");
}

/* "outcomes": per year, the area released by land-cover class and by the goal it serves, and
 * the people near the hazards completed. */
static void outcomes_json(cp_textbuf *b, const cp_plan *p) {
    cp_textbuf_puts(b, ", \"outcomes\": {\"classes\": [");
    for (size_t k = 0; k <= p->nclasses; ++k) {
        int code = k < p->nclasses ? p->classes[k] : -1;
        const char *name = code >= 0 ? cp_landcover_name(code) : "other";
        cp_textbuf_printf(b, "%s{\"code\": ", k ? ", " : "");
        if (code >= 0)
            cp_textbuf_int(b, code);
        else
            cp_textbuf_puts(b, "null");
        cp_textbuf_puts(b, ", \"name\": ");
        if (name)
            cp_textbuf_json(b, name);
        else
            cp_textbuf_puts(b, "null");
        cp_textbuf_printf(b, ", \"sdg\": %d}", code >= 0 ? cp_landcover_sdg(code) : 0);
    }
    cp_textbuf_puts(b, "], \"years\": [");
    for (size_t y = 0; y < p->nyears; ++y) {
        const cp_milestone *m = &p->years[y];
        cp_textbuf_printf(b, "%s{\"year\": %d, \"released_m2_by_class\": [", y ? ", " : "",
                          m->year);
        for (size_t k = 0; k <= p->nclasses; ++k) {
            if (k) cp_textbuf_puts(b, ", ");
            cp_textbuf_num(b, m->class_released_m2[k], "null");
        }
        cp_textbuf_puts(b, "], \"released_m2_by_sdg\": {");
        int first = 1;
        for (int g = 1; g <= 17; ++g) {
            double a = 0;
            int any = 0;
            for (size_t k = 0; k < p->nclasses; ++k)
                if (cp_landcover_sdg(p->classes[k]) == g) a += m->class_released_m2[k], any = 1;
            if (!any) continue;
            cp_textbuf_printf(b, "%s\"%d\": ", first ? "" : ", ", g);
            cp_textbuf_num(b, a, "null");
            first = 0;
        }
        cp_textbuf_puts(b, "}, \"people_near_released\": ");
        cp_textbuf_num(b, m->people_near_released, "null");
        cp_textbuf_puts(b, "}");
    }
    cp_textbuf_puts(b, "]}");
}

static void mc_json(cp_textbuf *b, const cp_plan_mc *mc) {
    static const char *const q[3] = {"p10", "p50", "p90"};
    cp_textbuf_printf(b,
                      ", \"uncertainty\": {\"samples\": %zu, \"seed\": %" PRIu64
                      ", \"distribution\": \"%s\", \"p_deadline_met\": ",
                      mc->nsamples, mc->seed, mc->distribution ? "triangular" : "pert");
    cp_textbuf_num(b, mc->p_met, "null");
    cp_textbuf_puts(b, ", \"completion\": {");
    for (int i = 0; i < 3; ++i) {
        cp_textbuf_printf(b, "%s\"%s\": ", i ? ", " : "", q[i]);
        json_day(b, mc->start, mc->completion_p[i]);
    }
    cp_textbuf_puts(b, "}, \"remaining_m2_at_deadline\": {");
    for (int i = 0; i < 3; ++i) {
        cp_textbuf_printf(b, "%s\"%s\": ", i ? ", " : "", q[i]);
        cp_textbuf_num(b, mc->remaining_p[i], "null");
    }
    cp_textbuf_puts(b, "}, \"cost_usd\": {");
    for (int i = 0; i < 3; ++i) {
        cp_textbuf_printf(b, "%s\"%s\": ", i ? ", " : "", q[i]);
        cp_textbuf_num(b, mc->cost_p[i], "null");
    }
    cp_textbuf_puts(b, "}, \"teams_needed_80\": ");
    json_teams(b, mc->teams_p80);
    cp_textbuf_puts(b, ", \"teams_needed_95\": ");
    json_teams(b, mc->teams_p95);
    cp_textbuf_puts(b, ", \"regions\": [");
    for (size_t r = 0; r < mc->nregions; ++r) {
        cp_textbuf_puts(b, r ? ", {\"name\": " : "{\"name\": ");
        cp_textbuf_json(b, mc->region_names[r]);
        cp_textbuf_puts(b, ", \"p_deadline_met\": ");
        cp_textbuf_num(b, mc->regions[r].p_met, "null");
        cp_textbuf_puts(b, ", \"completion_p50\": ");
        json_day(b, mc->start, mc->regions[r].completion_p[CP_MC_P50]);
        cp_textbuf_puts(b, ", \"completion_p90\": ");
        json_day(b, mc->start, mc->regions[r].completion_p[CP_MC_P90]);
        cp_textbuf_puts(b, "}");
    }
    cp_textbuf_puts(b, "]}");
}

static void ranks_json(cp_textbuf *b, const cp_evidence *ev) {
    const cp_rank_robustness *r = ev->ranks;
    size_t first = 0, robust_first = 0;
    for (size_t i = 0; i < r->nitems; ++i) {
        first += (size_t)r->items[i].first_year;
        robust_first += r->items[i].p_first_year >= 0.9;
    }
    cp_textbuf_printf(b,
                      ", \"rank_robustness\": {\"samples\": %zu, \"seed\": %" PRIu64
                      ", \"rank_bin_width\": %zu, \"hazards\": %zu, \"robust\": %zu, "
                      "\"first_year\": %zu, \"first_year_in_90_percent\": %zu, "
                      "\"weight_shares\": [",
                      r->samples, r->seed, r->bin_width, r->nitems, r->nrobust, first,
                      robust_first);
    for (size_t k = 0; k < ev->ncriteria; ++k) {
        cp_textbuf_puts(b, k ? ", {\"criterion\": " : "{\"criterion\": ");
        cp_textbuf_json(b, ev->criteria[k]);
        static const char *const q[3] = {"p5", "p50", "p95"};
        for (int i = 0; i < 3; ++i) {
            cp_textbuf_printf(b, ", \"%s\": ", q[i]);
            cp_textbuf_num(b, r->weight_p[i][k], "null");
        }
        cp_textbuf_puts(b, "}");
    }
    cp_textbuf_puts(b, "]}");
}

static void contamination_json(cp_textbuf *b, const cp_contamination *c) {
    const cp_trend *t0 = &c->trend[0];
    cp_textbuf_printf(b,
                      ", \"contamination\": {\"fit_years\": [%d, %d], \"years\": [%d, %d], "
                      "\"area_per_report_m2\": ",
                      t0->year0, t0->year0 + t0->nyears - 1, c->year0, c->year0 + c->nyears - 1);
    cp_textbuf_num(b, c->area_per_report_m2, "null");
    cp_textbuf_printf(b,
                      ", \"area_fitted\": %s, \"reports_linked\": %zu, \"hazards_linked\": %zu, "
                      "\"team_days_per_m2\": ",
                      c->area_fitted ? "true" : "false", c->reports_linked, c->hazards_linked);
    cp_textbuf_num(b, c->team_days_per_m2, "null");
    cp_textbuf_puts(b, ", \"reserve_quantile\": ");
    cp_textbuf_num(b, c->reserve ? c->reserve_quantile : NAN, "null");
    cp_textbuf_puts(b, ", \"regions\": [");
    for (size_t r = 0; r < c->nregions; ++r) {
        const cp_trend *t = &c->trend[r];
        cp_textbuf_puts(b, r ? ", {\"name\": " : "{\"name\": ");
        cp_textbuf_json(b, c->region_names[r]);
        cp_textbuf_puts(b, ", \"reports_fitted\": ");
        cp_textbuf_num(b, t->total, "null");
        cp_textbuf_puts(b, ", \"growth_per_year\": ");
        cp_textbuf_num(b, t->constant ? NAN : exp(t->b) - 1, "null");
        cp_textbuf_puts(b, ", \"growth_se\": ");
        cp_textbuf_num(b, t->constant ? NAN : sqrt(t->var_b), "null");
        cp_textbuf_puts(b, ", \"dispersion\": ");
        cp_textbuf_num(b, t->dispersion, "null");
        cp_textbuf_printf(b, ", \"trend\": %s}", t->constant ? "false" : "true");
    }
    cp_textbuf_puts(b, "], \"country\": [");
    static const char *const q[3] = {"p10", "p50", "p90"};
    for (int y = 0; y < c->nyears; ++y) {
        cp_textbuf_printf(b, "%s{\"year\": %d", y ? ", " : "", c->year0 + y);
        for (int i = 0; i < 3; ++i) {
            cp_textbuf_printf(b, ", \"new_area_m2_%s\": ", q[i]);
            cp_textbuf_num(b, c->total_area_p[i][y], "null");
        }
        cp_textbuf_puts(b, ", \"reserved_share\": ");
        cp_textbuf_num(b, c->reserve ? c->reserve[y].share : NAN, "null");
        cp_textbuf_puts(b, ", \"reserved_team_days\": ");
        cp_textbuf_num(b, c->reserve_team_days ? c->reserve_team_days[y] : NAN, "null");
        cp_textbuf_puts(b, "}");
    }
    cp_textbuf_puts(b, "]}");
}

void cp_evidence_json_put(cp_textbuf *b, const cp_plan *plan, const cp_evidence *ev) {
    outcomes_json(b, plan);
    if (ev && ev->mc) mc_json(b, ev->mc);
    if (ev && ev->ranks) ranks_json(b, ev);
    if (ev && ev->contamination) contamination_json(b, ev->contamination);
}

/* ------------------------------------------------------------------ names ------------- */

const char *cp_region_slug(const char *name, char buf[64]) {
    uint64_t h = 1469598103934665603ULL;
    size_t k = 0;
    int changed = !name || !*name;
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; ++p) {
        h = (h ^ *p) * 1099511628211ULL;
        unsigned char c = *p;
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a'), changed = 1;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            c = '_', changed = 1;
        if (k < 48)
            buf[k++] = (char)c;
        else
            changed = 1;
    }
    if (k == 0) buf[k++] = '_';
    buf[k] = '\0';
    if (changed) snprintf(buf + k, 64 - k, "-%08x", (unsigned)(h ^ (h >> 32)));
    return buf;
}
