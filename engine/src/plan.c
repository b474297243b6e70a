/* The planner (DESIGN §9): efficiency order with locks and exclusions, the pooled capacity
 * model (start/end of each hazard, annual and quarterly milestones, the Article 5 verdict,
 * teams needed by binary search, capacity sweeps, baseline orders and their cumulative-
 * benefit curves) and the team schedule of work packages. See plan.h for the model. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/plan.h>

#include "error.h"
#include "plan_internal.h"

/* The calendar covers this many years from the start year: a plan that does not complete
 * within it is an error (and a capacity tried by a search that does not is "missed"). */
enum { MAX_YEARS = 1000 }; /* a plan longer than this is refused as hopeless */

/* ------------------------------------------------------------------ calendar ---------- */

typedef struct {
    int year;
    double t0, t1; /* days from start: [t0, t1) */
    double diy;    /* calendar days in the year */
} segment;

typedef struct {
    cp_date start;
    size_t nseg;
    segment s[MAX_YEARS];
} calendar;

static void calendar_build(calendar *cal, cp_date start) {
    int y0;
    cp_date_split(start, &y0, NULL, NULL);
    cal->start = start;
    cal->nseg = MAX_YEARS;
    for (int k = 0; k < MAX_YEARS; ++k) {
        cp_date a = cp_date_make(y0 + k, 1, 1), b = cp_date_make(y0 + k + 1, 1, 1);
        cal->s[k].year = y0 + k;
        cal->s[k].diy = (double)(b - a);
        cal->s[k].t0 = k == 0 ? 0.0 : (double)(a - start);
        cal->s[k].t1 = (double)(b - start);
    }
}

/* The segment holding time t (clamped to the calendar). */
static size_t calendar_find(const calendar *cal, double t) {
    if (t <= cal->s[0].t1) return 0;
    size_t lo = 0, hi = cal->nseg - 1;
    while (lo < hi) { /* last k with t0 <= t */
        size_t mid = (lo + hi + 1) / 2;
        if (cal->s[mid].t0 <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ------------------------------------------------------------------ pooled capacity --- */

/* The cumulative capacity C(t) of one pool: teams[k] x days_per_year / diy team-days per
 * calendar day in segment k. */
typedef struct {
    const calendar *cal;
    double rate[MAX_YEARS];
    double cb[MAX_YEARS + 1]; /* C at each segment start; cb[nseg] = C at the end */
} pool_cap;

static void pool_cap_init(pool_cap *pc, const calendar *cal, const double *teams, double dpy) {
    pc->cal = cal;
    pc->cb[0] = 0;
    for (size_t k = 0; k < cal->nseg; ++k) {
        pc->rate[k] = teams[k] * dpy / cal->s[k].diy;
        pc->cb[k + 1] = pc->cb[k] + pc->rate[k] * (cal->s[k].t1 - cal->s[k].t0);
    }
}

static void pool_cap_constant(pool_cap *pc, const calendar *cal, double teams, double dpy) {
    double t[MAX_YEARS];
    for (size_t k = 0; k < cal->nseg; ++k) t[k] = teams;
    pool_cap_init(pc, cal, t, dpy);
}

/* Effort the pool has done by time t. */
static double pool_effort_at(const pool_cap *pc, double t) {
    if (t <= 0) return 0;
    const calendar *cal = pc->cal;
    if (t >= cal->s[cal->nseg - 1].t1) return pc->cb[cal->nseg];
    size_t k = calendar_find(cal, t);
    return pc->cb[k] + pc->rate[k] * (t - cal->s[k].t0);
}

/* Earliest time at which the pool has done effort e (INFINITY beyond the calendar). */
static double pool_time_at(const pool_cap *pc, double e) {
    if (e <= 0) return 0;
    size_t n = pc->cal->nseg;
    if (e > pc->cb[n]) return INFINITY;
    size_t lo = 0, hi = n - 1; /* first k with cb[k+1] >= e */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pc->cb[mid + 1] >= e)
            hi = mid;
        else
            lo = mid + 1;
    }
    const segment *s = &pc->cal->s[lo];
    if (pc->rate[lo] <= 0) return s->t0;
    double t = s->t0 + (e - pc->cb[lo]) / pc->rate[lo];
    return t > s->t1 ? s->t1 : t;
}

/* Latest time at which the pool has done no more than effort e: when work beyond e starts
 * (skips years without teams). INFINITY beyond the calendar. */
static double pool_time_after(const pool_cap *pc, double e) {
    size_t n = pc->cal->nseg;
    if (e >= pc->cb[n]) return INFINITY;
    size_t lo = 0, hi = n - 1; /* first k with cb[k+1] > e */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pc->cb[mid + 1] > e)
            hi = mid;
        else
            lo = mid + 1;
    }
    const segment *s = &pc->cal->s[lo];
    double d = e - pc->cb[lo];
    double t = s->t0 + (d > 0 ? d / pc->rate[lo] : 0);
    return t > s->t1 ? s->t1 : t;
}

/* ------------------------------------------------------------------ dates ------------- */

static cp_date start_date(cp_date start, double t) {
    return start + (cp_date)floor(t);
}

/* The last day on which work is done, for work over [ts, te). */
static cp_date end_date(cp_date start, double ts, double te) {
    double d = te > ts ? ceil(te) - 1 : floor(ts);
    if (d < floor(ts)) d = floor(ts);
    return start + (cp_date)d;
}

/* The last day of work for work that ends at t (0 for none: the start date). */
static cp_date completion_date(cp_date start, double t) {
    if (!isfinite(t)) return INT32_MAX;
    return t > 0 ? start + (cp_date)(ceil(t) - 1) : start;
}

const char *cp_plan_date_text(cp_date d, char buf[11]) {
    return cp_date_format(d, buf);
}

/* ------------------------------------------------------------------ helpers ----------- */

static char *xstrdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static int finite_nonneg(double v) {
    return isfinite(v) && v >= 0;
}

void cp_hazard_init(cp_hazard *h) {
    memset(h, 0, sizeof *h);
    h->status = CP_STATUS_SHA;
    h->area_m2 = h->benefit = h->cost_team_days = NAN;
    h->cost_usd = h->priority_mean = h->priority_max = h->people_within_m = NAN;
}

/* ------------------------------------------------------------------ validation -------- */

static cp_status check_capacity(const cp_capacity *cap) {
    char a[11], b[11];
    if (cap->deadline <= cap->start)
        return cp_fail(CP_E_CONFIG,
                       "capacity: deadline %s is not after start %s: the deadline must come "
                       "after the start date",
                       cp_date_format(cap->deadline, a), cp_date_format(cap->start, b));
    if (!(cap->days_per_year > 0 && cap->days_per_year <= 366))
        return cp_fail(CP_E_CONFIG,
                       "capacity: days_per_year must be in (0, 366] working days per team and "
                       "year (got %g)",
                       cap->days_per_year);
    if (!(cap->package_team_days > 0 && isfinite(cap->package_team_days)))
        return cp_fail(CP_E_CONFIG, "capacity: package_team_days must be positive (got %g)",
                       cap->package_team_days);
    if (cap->nregions > 0) {
        if (cap->nper_year > 0)
            return cp_fail(CP_E_CONFIG,
                           "capacity: per-year team counts cannot be combined with "
                           "capacity.regions (regions have constant teams)");
        for (size_t i = 0; i < cap->nregions; ++i) {
            const cp_region_teams *r = &cap->regions[i];
            if (!r->name || !r->name[0])
                return cp_fail(CP_E_CONFIG, "capacity.regions: a region has no name");
            if (!finite_nonneg(r->teams))
                return cp_fail(CP_E_CONFIG,
                               "capacity.regions: <%s> teams must be zero or more (got %g)",
                               r->name, r->teams);
            for (size_t j = 0; j < i; ++j)
                if (!strcmp(cap->regions[j].name, r->name))
                    return cp_fail(CP_E_CONFIG, "capacity.regions: <%s> is listed twice", r->name);
        }
        return CP_OK;
    }
    if (!finite_nonneg(cap->teams))
        return cp_fail(CP_E_CONFIG, "capacity: teams must be positive (got %g)", cap->teams);
    for (size_t i = 0; i < cap->nper_year; ++i)
        if (!finite_nonneg(cap->per_year[i].teams))
            return cp_fail(CP_E_CONFIG, "capacity: teams in %d must be zero or more (got %g)",
                           cap->per_year[i].year, cap->per_year[i].teams);
    double last = cap->nper_year ? cap->per_year[cap->nper_year - 1].teams : cap->teams;
    if (!(last > 0)) {
        if (cap->nper_year)
            return cp_fail(CP_E_CONFIG,
                           "capacity: zero teams from %d on: the plan could never complete",
                           cap->per_year[cap->nper_year - 1].year);
        return cp_fail(CP_E_CONFIG,
                       "capacity: teams must be positive (got %g): zero teams never complete "
                       "the plan",
                       cap->teams);
    }
    return CP_OK;
}

static cp_status check_cost(const cp_cost *cost) {
    static const char *st[] = {"SHA", "CHA"}, *me[] = {"cancel", "reduce", "clear"};
    if (!finite_nonneg(cost->team_day_usd))
        return cp_fail(CP_E_CONFIG, "cost: team_day_usd must be zero or more (got %g)",
                       cost->team_day_usd);
    for (int s = 0; s < CP_NSTATUS; ++s)
        for (int m = 0; m < CP_NMETHOD; ++m)
            if (!finite_nonneg(cost->release[s][m]))
                return cp_fail(CP_E_CONFIG,
                               "cost: release share %s.%s must be zero or more (got %g)", st[s],
                               me[m], cost->release[s][m]);
    return CP_OK;
}

static cp_status check_hazard(const cp_hazard *h, size_t i) {
    if (!h->id || !h->id[0]) return cp_fail(CP_E_ARG, "hazard %zu: missing id", i + 1);
    if (h->status != CP_STATUS_SHA && h->status != CP_STATUS_CHA)
        return cp_fail(CP_E_ARG, "hazard <%s>: status must be SHA or CHA", h->id);
    struct {
        const char *name;
        double v;
        int optional;
    } f[] = {{"area_m2", h->area_m2, 0},
             {"benefit", h->benefit, 0},
             {"cost_team_days", h->cost_team_days, 0},
             {"cost_usd", h->cost_usd, 1},
             {"people_within_m", h->people_within_m, 1}};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; ++k) {
        if (f[k].optional && isnan(f[k].v)) continue;
        if (!isfinite(f[k].v))
            return cp_fail(CP_E_ARG, "hazard <%s>: %s is %s", h->id, f[k].name,
                           isnan(f[k].v) ? "missing" : "not finite");
        if (f[k].v < 0)
            return cp_fail(CP_E_ARG, "hazard <%s>: %s must be zero or more (got %g)", h->id,
                           f[k].name, f[k].v);
    }
    if (isinf(h->priority_mean) || isinf(h->priority_max))
        return cp_fail(CP_E_ARG, "hazard <%s>: priority is not finite", h->id);
    return CP_OK;
}

/* ------------------------------------------------------------------ ordering ---------- */

typedef struct {
    int group;       /* 0 listed lock, 1 flagged lock, 2 rest */
    size_t lock_idx; /* position in rules.locked */
    double key;      /* ascending */
    const char *id;
    size_t idx; /* index into the item array being sorted */
} sort_rec;

static int sort_rec_cmp(const void *pa, const void *pb) {
    const sort_rec *a = pa, *b = pb;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    if (a->lock_idx != b->lock_idx) return a->lock_idx < b->lock_idx ? -1 : 1;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    int c = strcmp(a->id, b->id);
    if (c) return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

typedef struct {
    const char *id;
    size_t index;
} id_entry;

static int id_entry_cmp(const void *pa, const void *pb) {
    const id_entry *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->index < b->index ? -1 : a->index > b->index);
}

static const id_entry *id_find(const id_entry *ids, size_t n, const char *id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ids[mid].id, id);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !strcmp(ids[lo].id, id) ? &ids[lo] : NULL;
}

/* The sort key of an item for an order (ascending). */
static double order_key(const cp_plan_item *it, int order) {
    switch (order) {
        case CP_ORDER_EFFICIENCY:
            return it->h.cost_team_days > 0 ? -(it->h.benefit / it->h.cost_team_days) : -INFINITY;
        case CP_ORDER_PRIORITY:
            return isnan(it->h.priority_mean) ? INFINITY : -it->h.priority_mean;
        case CP_ORDER_SMALLEST:
            return it->h.area_m2;
        default:
            return (double)it->input_index;
    }
}

/* ------------------------------------------------------------------ pools ------------- */

typedef struct {
    pool_cap cap;
    double teams_seg[MAX_YEARS]; /* teams per calendar segment */
    size_t *items;               /* plan-order indices of its items */
    size_t n;
    double *cum_effort, *cum_area; /* prefix sums in plan order, n + 1 */
} pool_work;

/* Released area and effort of a pool at effort e done, with prefix arrays (n + 1). */
static double prefix_at(const double *cum_effort, const double *cum_val, const double *val,
                        const double *eff, size_t n, double e) {
    if (n == 0 || e <= 0) return 0;
    if (e >= cum_effort[n]) return cum_val[n];
    size_t lo = 0, hi = n; /* first j with cum_effort[j+1] > e */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum_effort[mid + 1] > e)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo >= n) return cum_val[n];
    double f = eff[lo] > 0 ? (e - cum_effort[lo]) / eff[lo] : 1;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return cum_val[lo] + f * val[lo];
}

/* ------------------------------------------------------------------ orders ------------ */

/* Evaluates one order of the items over the pools: cumulative-benefit curve and remaining
 * area at the sample times, its exact area (trapezoids between the breakpoints of effort
 * and calendar) and sum of benefit x end time. `seq` lists item indices in the order. */
static cp_status order_eval(const cp_plan *plan, const pool_work *pools, size_t npools,
                            const size_t *seq, cp_plan_order *out) {
    cp_status st = CP_OK;
    size_t n = plan->nitems;
    size_t *pseq = malloc((n + 1) * sizeof *pseq);
    double *ce = malloc((n + 1) * sizeof *ce), *cbn = malloc((n + 1) * sizeof *cbn);
    double *ca = malloc((n + 1) * sizeof *ca), *ef = malloc((n + 1) * sizeof *ef);
    double *bn = malloc((n + 1) * sizeof *bn), *ar = malloc((n + 1) * sizeof *ar);
    if (!pseq || !ce || !cbn || !ca || !ef || !bn || !ar) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    const double H = plan->horizon_days;
    out->auc = 0;
    out->sum_benefit_completion = 0;
    for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k) {
        out->benefit[k] = 0;
        out->remaining_m2[k] = plan->area_m2;
    }
    for (size_t p = 0; p < npools; ++p) {
        const pool_cap *pc = &pools[p].cap;
        size_t m = 0;
        for (size_t i = 0; i < n; ++i)
            if (plan->items[seq[i]].pool == (int)p) pseq[m++] = seq[i];
        ce[0] = cbn[0] = ca[0] = 0;
        for (size_t j = 0; j < m; ++j) {
            const cp_plan_item *it = &plan->items[pseq[j]];
            ef[j] = it->h.cost_team_days;
            bn[j] = it->h.benefit;
            ar[j] = it->h.area_m2;
            ce[j + 1] = ce[j] + ef[j];
            cbn[j + 1] = cbn[j] + bn[j];
            ca[j + 1] = ca[j] + ar[j];
            out->sum_benefit_completion += bn[j] * pool_time_at(pc, ce[j + 1]);
        }
        /* exact area under B(t) over [0, H]: B is linear in effort between hazard
         * boundaries and effort is linear in time within a calendar segment */
        const calendar *cal = pc->cal;
        size_t j = 0;
        double bdone = 0;
        for (size_t k = 0; k < cal->nseg && cal->s[k].t0 < H; ++k) {
            double t = cal->s[k].t0, t1 = cal->s[k].t1 < H ? cal->s[k].t1 : H;
            double r = pc->rate[k], e = pc->cb[k];
            while (t < t1) {
                while (j < m && ce[j + 1] <= e) bdone += bn[j++];
                if (j >= m || r <= 0) {
                    double bcur = j < m ? bdone + bn[j] * (e - ce[j]) / ef[j] : bdone;
                    out->auc += bcur * (t1 - t);
                    break;
                }
                double eend = e + r * (t1 - t);
                double enext = ce[j + 1] < eend ? ce[j + 1] : eend;
                double ba = bdone + bn[j] * (e - ce[j]) / ef[j];
                double bb = bdone + bn[j] * (enext - ce[j]) / ef[j];
                double dt = enext < eend ? (enext - e) / r : t1 - t;
                out->auc += 0.5 * (ba + bb) * dt;
                t += dt;
                e = enext;
                if (enext >= eend) break;
            }
        }
        /* samples */
        for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k) {
            double ek = pool_effort_at(pc, plan->curve_t[k]);
            out->benefit[k] += prefix_at(ce, cbn, bn, ef, m, ek);
            out->remaining_m2[k] -= prefix_at(ce, ca, ar, ef, m, ek);
        }
    }
    for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k)
        if (out->remaining_m2[k] < 0) out->remaining_m2[k] = 0;
    out->auc /= 365.25;
    double ideal = plan->benefit * H / 365.25;
    out->auc_share = ideal > 0 ? out->auc / ideal : 1;
    out->computed = 1;
done:
    free(pseq);
    free(ce);
    free(cbn);
    free(ca);
    free(ef);
    free(bn);
    free(ar);
    return st;
}

/* ------------------------------------------------------------------ milestones -------- */

typedef struct {
    cp_milestone *m;
    size_t n;
} period_list;

static cp_status periods_build(cp_date start, cp_date last, cp_period_kind kind, period_list *out) {
    int y0, m0, y1, m1;
    cp_date_split(start, &y0, &m0, NULL);
    cp_date_split(last, &y1, &m1, NULL);
    size_t n = kind == CP_PERIOD_YEAR ? (size_t)(y1 - y0 + 1)
                                      : (size_t)((y1 - y0) * 4 + (m1 - 1) / 3 - (m0 - 1) / 3 + 1);
    out->m = calloc(n, sizeof *out->m);
    if (!out->m) return cp_fail(CP_E_NOMEM, "out of memory");
    out->n = n;
    int y = y0, q = (m0 - 1) / 3 + 1;
    for (size_t i = 0; i < n; ++i) {
        cp_milestone *p = &out->m[i];
        p->kind = kind;
        p->year = y;
        if (kind == CP_PERIOD_YEAR) {
            p->start = cp_date_make(y, 1, 1);
            p->end = cp_date_make(y + 1, 1, 1) - 1;
            ++y;
        } else {
            p->quarter = q;
            p->start = cp_date_make(y, 3 * (q - 1) + 1, 1);
            p->end = (q == 4 ? cp_date_make(y + 1, 1, 1) : cp_date_make(y, 3 * q + 1, 1)) - 1;
            if (++q > 4) q = 1, ++y;
        }
        if (p->start < start) p->start = start;
    }
    return CP_OK;
}

/* Adds a pool's work to the periods: shares of each hazard by effort, completions by end
 * date, capacity offered. */
static void periods_accumulate(const cp_plan *plan, const pool_work *pw, period_list *pl,
                               double *pe0, double *pe1) {
    const pool_cap *pc = &pw->cap;
    for (size_t k = 0; k < pl->n; ++k) {
        double ta = (double)(pl->m[k].start - plan->start);
        double tb = (double)(pl->m[k].end + 1 - plan->start);
        pe0[k] = pool_effort_at(pc, ta);
        pe1[k] = pool_effort_at(pc, tb);
        pl->m[k].capacity_team_days += pe1[k] - pe0[k];
    }
    pe0[0] = -INFINITY;
    pe1[pl->n - 1] = INFINITY;
    size_t k = 0, kc = 0;
    double e = 0;
    for (size_t jj = 0; jj < pw->n; ++jj) {
        const cp_plan_item *it = &plan->items[pw->items[jj]];
        double p = it->h.cost_team_days, e0 = e, e1 = e + p;
        e = e1;
        while (kc + 1 < pl->n && pl->m[kc].end < it->end) ++kc;
        pl->m[kc].hazards_completed++;
        if (p <= 0) {
            cp_milestone *mm = &pl->m[kc];
            for (int q = 0; q < CP_NMETHOD; ++q) mm->released_m2[q] += it->released_m2[q];
            mm->area_m2 += it->h.area_m2;
            mm->benefit += it->h.benefit;
            mm->cost_usd += it->cost_usd;
            continue;
        }
        while (k + 1 < pl->n && pe1[k] <= e0) ++k;
        for (size_t kk = k; kk < pl->n; ++kk) {
            double lo = e0 > pe0[kk] ? e0 : pe0[kk], hi = e1 < pe1[kk] ? e1 : pe1[kk];
            if (hi > lo) {
                double f = (hi - lo) / p;
                cp_milestone *mm = &pl->m[kk];
                for (int q = 0; q < CP_NMETHOD; ++q) mm->released_m2[q] += f * it->released_m2[q];
                mm->area_m2 += f * it->h.area_m2;
                mm->benefit += f * it->h.benefit;
                mm->team_days += f * p;
                mm->cost_usd += f * it->cost_usd;
            }
            if (pe1[kk] >= e1) break;
        }
    }
}

/* ------------------------------------------------------------------ team schedule ----- */

typedef struct {
    double t;
    int team; /* index within the pool */
} heap_ent;

static int heap_less(const heap_ent *a, const heap_ent *b) {
    return a->t < b->t || (a->t == b->t && a->team < b->team);
}

static void heap_push(heap_ent *h, size_t *n, heap_ent v) {
    size_t i = (*n)++;
    h[i] = v;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&h[i], &h[p])) break;
        heap_ent tmp = h[p];
        h[p] = h[i];
        h[i] = tmp;
        i = p;
    }
}

static heap_ent heap_pop(heap_ent *h, size_t *n) {
    heap_ent top = h[0];
    h[0] = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < *n && heap_less(&h[l], &h[s])) s = l;
        if (r < *n && heap_less(&h[r], &h[s])) s = r;
        if (s == i) break;
        heap_ent tmp = h[s];
        h[s] = h[i];
        h[i] = tmp;
        i = s;
    }
    return top;
}

static int teams_int(double t) {
    if (!(t > 0)) return 0;
    double r = floor(t + 0.5);
    if (r < 1) r = 1;
    if (r > 1e6) r = 1e6;
    return (int)r;
}

/* The first instant >= t at which team k of the pool works; INFINITY when never again. */
static double team_next(const calendar *cal, const int *nteams, int k, double t) {
    size_t s = calendar_find(cal, t);
    if (t >= cal->s[s].t1) ++s;
    for (; s < cal->nseg; ++s) {
        if (k < nteams[s]) return t > cal->s[s].t0 ? t : cal->s[s].t0;
    }
    return INFINITY;
}

/* The time team k finishes w team-days of work started at t (INFINITY beyond the
 * calendar). */
static double team_advance(const calendar *cal, const int *nteams, int k, double t, double w,
                           double dpy) {
    size_t s = calendar_find(cal, t);
    for (; s < cal->nseg; ++s) {
        if (k >= nteams[s]) continue;
        double t0 = t > cal->s[s].t0 ? t : cal->s[s].t0;
        double rate = dpy / cal->s[s].diy;
        double avail = (cal->s[s].t1 - t0) * rate;
        if (avail >= w) return t0 + w / rate;
        w -= avail;
    }
    return INFINITY;
}

static cp_status schedule_pool(cp_plan *plan, const calendar *cal, const pool_work *pw,
                               cp_plan_pool *pool, size_t *npk) {
    int nteams[MAX_YEARS], maxt = 0;
    for (size_t s = 0; s < cal->nseg; ++s) {
        nteams[s] = teams_int(pw->teams_seg[s]);
        if (nteams[s] > maxt) maxt = nteams[s];
    }
    pool->nteams = maxt;
    if (pw->n == 0) return CP_OK;
    heap_ent *heap = malloc((size_t)maxt * sizeof *heap);
    if (!heap) return cp_fail(CP_E_NOMEM, "out of memory");
    size_t hn = 0;
    for (int k = 0; k < maxt; ++k) {
        heap_ent v = {team_next(cal, nteams, k, 0), k};
        heap_push(heap, &hn, v);
    }
    cp_status st = CP_OK;
    for (size_t jj = 0; jj < pw->n; ++jj) {
        size_t ii = pw->items[jj];
        cp_plan_item *it = &plan->items[ii];
        double p = it->h.cost_team_days;
        it->first_package = *npk;
        it->npackages = 0;
        if (p <= 0) continue;
        double np = ceil(p / plan->package_team_days - 1e-9);
        if (np < 1) np = 1;
        double w = p / np;
        for (int q = 0; q < (int)np; ++q) {
            heap_ent v = {0, 0};
            double te = INFINITY;
            /* A team that is retired (per-year counts fall) before it could finish the
             * package leaves the schedule; the next free team takes the package. */
            while (hn > 0) {
                v = heap_pop(heap, &hn);
                if (!isfinite(v.t)) {
                    hn = 0;
                    break;
                }
                te = team_advance(cal, nteams, v.team, v.t, w, plan->days_per_year);
                if (isfinite(te)) break;
            }
            if (!isfinite(te)) {
                st = cp_fail(CP_E_CONFIG,
                             "team schedule: no team can finish hazard <%s> within %d years",
                             it->h.id, MAX_YEARS);
                goto done;
            }
            cp_plan_package *pk = &plan->packages[*npk];
            char buf[32];
            snprintf(buf, sizeof buf, "#%d", q + 1);
            size_t il = strlen(it->h.id), bl = strlen(buf);
            pk->id = malloc(il + bl + 1);
            if (!pk->id) {
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
            memcpy(pk->id, it->h.id, il);
            memcpy(pk->id + il, buf, bl + 1);
            pk->item = ii;
            pk->seq = q + 1;
            pk->team = pool->first_team + v.team;
            pk->team_days = w;
            pk->t_start = v.t;
            pk->t_end = te;
            pk->start = start_date(plan->start, v.t);
            pk->end = end_date(plan->start, v.t, te);
            if (q == 0) it->team = pk->team;
            it->npackages++;
            (*npk)++;
            if (pk->end > plan->schedule_end) plan->schedule_end = pk->end;
            heap_ent nv = {team_next(cal, nteams, v.team, te), v.team};
            heap_push(heap, &hn, nv);
        }
    }
done:
    free(heap);
    return st;
}

/* ------------------------------------------------------------------ search ------------ */

/* Does a constant `teams` finish `effort` by time tD1? */
static int meets(const calendar *cal, double teams, double dpy, double effort, double tD1) {
    pool_cap pc;
    pool_cap_constant(&pc, cal, teams, dpy);
    return pool_time_at(&pc, effort) <= tD1;
}

/* Smallest whole constant team count meeting the deadline (0 for no work, -1 none). */
static int min_teams_for(const calendar *cal, double dpy, double effort, double tD1) {
    if (effort <= 0) return 0;
    long hi = 1;
    while (!meets(cal, (double)hi, dpy, effort, tD1)) {
        if (hi > 100000000L) return -1;
        hi *= 2;
    }
    long lo = hi / 2 + 1; /* hi/2 missed (or hi == 1) */
    if (hi == 1) lo = 1;
    while (lo < hi) { /* invariant: hi meets; every count < lo misses */
        long mid = lo + (hi - lo) / 2;
        if (meets(cal, (double)mid, dpy, effort, tD1))
            hi = mid;
        else
            lo = mid + 1;
    }
    return (int)hi;
}

/* ------------------------------------------------------------------ free -------------- */

void cp_plan_free(cp_plan *plan) {
    if (!plan) return;
    for (size_t i = 0; i < plan->nitems; ++i) {
        cp_plan_item *it = &plan->items[i];
        free((char *)it->h.id);
        free((char *)it->h.region);
        free((unsigned char *)it->h.wkb);
        if (it->h.extra) {
            for (size_t c = 0; c < plan->ncolumns; ++c) free((char *)it->h.extra[c].text);
            free((cp_plan_value *)it->h.extra);
        }
    }
    free(plan->items);
    for (size_t i = 0; i < plan->npackages; ++i) free(plan->packages[i].id);
    free(plan->packages);
    for (size_t i = 0; i < plan->nexcluded; ++i) {
        free(plan->excluded[i].id);
        free(plan->excluded[i].reason);
    }
    free(plan->excluded);
    for (size_t c = 0; c < plan->ncolumns; ++c) free((char *)plan->columns[c].name);
    free(plan->columns);
    for (size_t p = 0; p < plan->npools; ++p) free(plan->pools[p].name);
    free(plan->pools);
    free(plan->years);
    free(plan->quarters);
    free(plan->sweep);
    free(plan);
}

/* ------------------------------------------------------------------ compute ----------- */

static cp_status copy_item(cp_plan_item *it, const cp_hazard *h, size_t idx,
                           const cp_plan_options *opts) {
    it->h = *h;
    it->h.id = NULL;
    it->h.region = NULL;
    it->h.wkb = NULL;
    it->h.wkb_len = 0;
    it->h.extra = NULL;
    it->input_index = idx;
    it->h.id = xstrdup(h->id);
    if (!it->h.id) return cp_fail(CP_E_NOMEM, "out of memory");
    if (h->region && h->region[0]) {
        it->h.region = xstrdup(h->region);
        if (!it->h.region) return cp_fail(CP_E_NOMEM, "out of memory");
    }
    if (h->wkb && h->wkb_len) {
        unsigned char *w = malloc(h->wkb_len);
        if (!w) return cp_fail(CP_E_NOMEM, "out of memory");
        memcpy(w, h->wkb, h->wkb_len);
        it->h.wkb = w;
        it->h.wkb_len = h->wkb_len;
    }
    if (opts && opts->ncolumns) {
        cp_plan_value *v = calloc(opts->ncolumns, sizeof *v);
        if (!v) return cp_fail(CP_E_NOMEM, "out of memory");
        it->h.extra = v;
        for (size_t c = 0; c < opts->ncolumns; ++c) {
            if (!h->extra) {
                v[c].is_null = 1;
                continue;
            }
            v[c] = h->extra[c];
            v[c].text = NULL;
            if (h->extra[c].text && opts->columns[c].type == CP_VALUE_TEXT) {
                v[c].text = xstrdup(h->extra[c].text);
                if (!v[c].text) return cp_fail(CP_E_NOMEM, "out of memory");
            }
        }
    }
    return CP_OK;
}

cp_status cp_plan_compute(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                          const cp_cost *cost, const cp_plan_rules *rules,
                          const cp_plan_options *opts, cp_plan **out) {
    if (!out || !cap || !cost || (n && !hazards))
        return cp_fail(CP_E_ARG, "cp_plan_compute: NULL argument");
    *out = NULL;
    cp_status st = check_capacity(cap);
    if (st == CP_OK) st = check_cost(cost);
    if (st != CP_OK) return st;
    for (size_t i = 0; i < n; ++i)
        if ((st = check_hazard(&hazards[i], i)) != CP_OK) return st;
    if (opts && opts->ncolumns && !opts->columns)
        return cp_fail(CP_E_ARG, "cp_plan_compute: columns missing");
    for (size_t s = 0; opts && s < opts->nsweep; ++s)
        if (!(opts->sweep_teams[s] > 0 && isfinite(opts->sweep_teams[s])))
            return cp_fail(CP_E_CONFIG, "sweep: team counts must be positive (got %g)",
                           opts->sweep_teams[s]);

    cp_plan *plan = calloc(1, sizeof *plan);
    id_entry *ids = malloc((n ? n : 1) * sizeof *ids);
    int *excl = calloc(n ? n : 1, sizeof *excl);             /* 1 + index into exclude */
    size_t *lockpos = malloc((n ? n : 1) * sizeof *lockpos); /* position in rules.locked */
    sort_rec *recs = NULL;
    size_t *seq = NULL;
    pool_work *pw = NULL;
    size_t npw = 0;
    calendar *cal = malloc(sizeof *cal);
    period_list yl = {0}, ql = {0};
    double *pe0 = NULL, *pe1 = NULL;
    if (!plan || !ids || !excl || !lockpos || !cal) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto fail;
    }
    plan->start = cap->start;
    plan->deadline = cap->deadline;
    plan->days_per_year = cap->days_per_year;
    plan->package_team_days = cap->package_team_days;
    plan->team_day_usd = cost->team_day_usd;
    plan->has_regions = cap->nregions > 0;
    plan->has_per_year = cap->nper_year > 0;
    plan->ninput = n;
    plan->teams = cap->teams;
    if (plan->has_regions) {
        plan->teams = 0;
        for (size_t r = 0; r < cap->nregions; ++r) plan->teams += cap->regions[r].teams;
    }
    plan->orders[CP_ORDER_EFFICIENCY].name = "efficiency";
    plan->orders[CP_ORDER_PRIORITY].name = "priority";
    plan->orders[CP_ORDER_SMALLEST].name = "smallest";
    plan->orders[CP_ORDER_INPUT].name = "input";

    /* ids: duplicates, rules */
    for (size_t i = 0; i < n; ++i) {
        ids[i].id = hazards[i].id;
        ids[i].index = i;
        lockpos[i] = SIZE_MAX;
    }
    qsort(ids, n, sizeof *ids, id_entry_cmp);
    for (size_t i = 1; i < n; ++i)
        if (!strcmp(ids[i].id, ids[i - 1].id)) {
            st = cp_fail(CP_E_ARG, "duplicate hazard id <%s> (hazards %zu and %zu)", ids[i].id,
                         ids[i - 1].index + 1, ids[i].index + 1);
            goto fail;
        }
    if (rules) {
        for (size_t e = 0; e < rules->nexclude; ++e) {
            const char *id = rules->exclude[e].id;
            /* an id not among the hazards is already out of the plan (a re-plan from
             * plan.gpkg, whose hazards layer no longer holds the excluded ones) */
            const id_entry *f = id ? id_find(ids, n, id) : NULL;
            if (f && !excl[f->index]) excl[f->index] = (int)e + 1;
        }
        for (size_t l = 0; l < rules->nlocked; ++l) {
            const char *id = rules->locked[l];
            const id_entry *f = id ? id_find(ids, n, id) : NULL;
            if (!f) {
                st = cp_fail(CP_E_CONFIG, "rules.locked: no hazard has the id <%s>", id ? id : "");
                goto fail;
            }
            if (excl[f->index]) {
                st = cp_fail(CP_E_CONFIG, "rules: hazard <%s> is both locked and excluded", id);
                goto fail;
            }
            if (lockpos[f->index] == SIZE_MAX) lockpos[f->index] = l;
        }
    }

    /* items (input order for now) and exclusions */
    size_t nex = 0;
    for (size_t i = 0; i < n; ++i) nex += excl[i] != 0;
    plan->items = calloc(n - nex + 1, sizeof *plan->items);
    plan->excluded = calloc(nex + 1, sizeof *plan->excluded);
    if (!plan->items || !plan->excluded) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto fail;
    }
    if (opts && opts->ncolumns) {
        plan->columns = calloc(opts->ncolumns, sizeof *plan->columns);
        if (!plan->columns) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        plan->ncolumns = opts->ncolumns;
        for (size_t c = 0; c < opts->ncolumns; ++c) {
            plan->columns[c].type = opts->columns[c].type;
            plan->columns[c].name = xstrdup(opts->columns[c].name ? opts->columns[c].name : "");
            if (!plan->columns[c].name) {
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < n; ++i) {
        if (excl[i]) {
            cp_plan_excluded *x = &plan->excluded[plan->nexcluded++];
            const cp_exclusion *ex = &rules->exclude[excl[i] - 1];
            x->id = xstrdup(hazards[i].id);
            x->reason = xstrdup(ex->reason && ex->reason[0] ? ex->reason : "excluded");
            x->input_index = i;
            if (!x->id || !x->reason) {
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto fail;
            }
            continue;
        }
        cp_plan_item *it = &plan->items[plan->nitems++];
        if ((st = copy_item(it, &hazards[i], i, opts)) != CP_OK) goto fail;
        const double *rel = cost->release[it->h.status];
        for (int m = 0; m < CP_NMETHOD; ++m) it->released_m2[m] = it->h.area_m2 * rel[m];
        it->cost_usd =
            isnan(it->h.cost_usd) ? it->h.cost_team_days * cost->team_day_usd : it->h.cost_usd;
        it->efficiency = it->h.cost_team_days > 0 ? it->h.benefit / it->h.cost_team_days : NAN;
        it->h.locked = it->h.locked != 0;
    }
    size_t ni = plan->nitems;

    /* sort into plan order */
    recs = malloc((ni + 1) * sizeof *recs);
    seq = malloc((ni + 1) * sizeof *seq);
    if (!recs || !seq) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < ni; ++i) {
        const cp_plan_item *it = &plan->items[i];
        size_t lp = lockpos[it->input_index];
        recs[i].group = lp != SIZE_MAX ? 0 : it->h.locked ? 1 : 2;
        recs[i].lock_idx = lp != SIZE_MAX ? lp : 0;
        recs[i].key = order_key(it, CP_ORDER_EFFICIENCY);
        recs[i].id = it->h.id;
        recs[i].idx = i;
    }
    qsort(recs, ni, sizeof *recs, sort_rec_cmp);
    {
        cp_plan_item *sorted = malloc((ni + 1) * sizeof *sorted);
        if (!sorted) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < ni; ++i) sorted[i] = plan->items[recs[i].idx];
        free(plan->items);
        plan->items = sorted;
    }
    for (size_t i = 0; i < ni; ++i) {
        cp_plan_item *it = &plan->items[i];
        it->rank = i + 1;
        for (int m = 0; m < CP_NMETHOD; ++m) plan->released_m2[m] += it->released_m2[m];
        plan->area_m2 += it->h.area_m2;
        plan->benefit += it->h.benefit;
        plan->team_days += it->h.cost_team_days;
        plan->cost_usd += it->cost_usd;
    }

    /* pools */
    calendar_build(cal, cap->start);
    plan->npools = plan->has_regions ? cap->nregions : 1;
    plan->pools = calloc(plan->npools, sizeof *plan->pools);
    pw = calloc(plan->npools, sizeof *pw);
    npw = pw ? plan->npools : 0;
    if (!plan->pools || !pw) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t p = 0; p < plan->npools; ++p) {
        cp_plan_pool *pool = &plan->pools[p];
        pool->name = xstrdup(plan->has_regions ? cap->regions[p].name : "all");
        pool->teams = plan->has_regions ? cap->regions[p].teams : cap->teams;
        if (!pool->name) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        for (size_t k = 0; k < cal->nseg; ++k)
            pw[p].teams_seg[k] =
                plan->has_regions ? cap->regions[p].teams : cp_capacity_teams(cap, cal->s[k].year);
        pool_cap_init(&pw[p].cap, cal, pw[p].teams_seg, cap->days_per_year);
        pw[p].items = malloc((ni + 1) * sizeof *pw[p].items);
        if (!pw[p].items) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    for (size_t i = 0; i < ni; ++i) {
        cp_plan_item *it = &plan->items[i];
        int p = 0;
        if (plan->has_regions) {
            p = -1;
            for (size_t r = 0; r < cap->nregions && it->h.region; ++r)
                if (!strcmp(cap->regions[r].name, it->h.region)) {
                    p = (int)r;
                    break;
                }
            if (p < 0) {
                if (it->h.region)
                    st = cp_fail(CP_E_CONFIG,
                                 "hazard <%s>: region <%s> has no teams in capacity.regions",
                                 it->h.id, it->h.region);
                else
                    st = cp_fail(CP_E_CONFIG,
                                 "hazard <%s> has no region, but capacity.regions assigns "
                                 "teams by region",
                                 it->h.id);
                goto fail;
            }
        }
        it->pool = p;
        pw[p].items[pw[p].n++] = i;
    }

    for (size_t p = 0; p < plan->npools; ++p)
        if (plan->has_regions && pw[p].n && !(cap->regions[p].teams > 0)) {
            st = cp_fail(CP_E_CONFIG, "capacity.regions: <%s> has 0 teams but %zu hazards",
                         cap->regions[p].name, pw[p].n);
            goto fail;
        }

    /* pooled model: start and end of each hazard, pool verdicts */
    const double tD1 = (double)(cap->deadline - cap->start) + 1; /* end of the deadline day */
    plan->completion = cap->start;
    for (size_t p = 0; p < plan->npools; ++p) {
        cp_plan_pool *pool = &plan->pools[p];
        pool_work *w = &pw[p];
        double e = 0, area_done = 0;
        w->cum_effort = malloc((w->n + 1) * sizeof(double));
        w->cum_area = malloc((w->n + 1) * sizeof(double));
        if (!w->cum_effort || !w->cum_area) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        w->cum_effort[0] = w->cum_area[0] = 0;
        for (size_t jj = 0; jj < w->n; ++jj) {
            cp_plan_item *it = &plan->items[w->items[jj]];
            double p_ = it->h.cost_team_days;
            double ts = p_ > 0 ? pool_time_after(&w->cap, e) : pool_time_at(&w->cap, e);
            e += p_;
            area_done += it->h.area_m2;
            w->cum_effort[jj + 1] = e;
            w->cum_area[jj + 1] = area_done;
            double te = p_ > 0 ? pool_time_at(&w->cap, e) : ts;
            if (!isfinite(ts) || !isfinite(te)) {
                st = cp_fail(CP_E_CONFIG,
                             "capacity: the plan does not complete within %d years%s%s%s; "
                             "give more teams",
                             MAX_YEARS, plan->has_regions ? " in region <" : "",
                             plan->has_regions ? pool->name : "", plan->has_regions ? ">" : "");
                goto fail;
            }
            it->t_start = ts;
            it->t_end = te;
            it->start = start_date(cap->start, ts);
            it->end = end_date(cap->start, ts, te);
            cp_date_split(it->end, &it->year, NULL, NULL);
            pool->area_m2 += it->h.area_m2;
            pool->benefit += it->h.benefit;
        }
        pool->nitems = w->n;
        pool->team_days = e;
        pool->t_completion = w->n ? pool_time_at(&w->cap, e) : 0;
        pool->completion = w->n ? plan->items[w->items[w->n - 1]].end : cap->start;
        pool->met = pool->completion <= cap->deadline;
        double eD = pool_effort_at(&w->cap, tD1);
        pool->remaining_team_days = e > eD ? e - eD : 0;
        double *eff = malloc((w->n + 1) * sizeof *eff), *ar = malloc((w->n + 1) * sizeof *ar);
        if (!eff || !ar) {
            free(eff);
            free(ar);
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        for (size_t jj = 0; jj < w->n; ++jj) {
            eff[jj] = plan->items[w->items[jj]].h.cost_team_days;
            ar[jj] = plan->items[w->items[jj]].h.area_m2;
            if (plan->items[w->items[jj]].end > cap->deadline) plan->remaining_hazards++;
        }
        pool->remaining_m2 =
            pool->area_m2 - prefix_at(w->cum_effort, w->cum_area, ar, eff, w->n, eD);
        if (pool->remaining_m2 < 0 || pool->met) pool->remaining_m2 = 0;
        if (pool->met) pool->remaining_team_days = 0;
        free(eff);
        free(ar);
        pool->min_teams = min_teams_for(cal, cap->days_per_year, e, tD1);
        if (pool->t_completion > plan->t_completion) plan->t_completion = pool->t_completion;
        if (pool->completion > plan->completion) plan->completion = pool->completion;
        plan->remaining_m2 += pool->remaining_m2;
        plan->remaining_team_days += pool->remaining_team_days;
    }
    plan->met = plan->completion <= cap->deadline;
    plan->funding_gap_usd = plan->remaining_team_days * cost->team_day_usd;
    plan->min_teams = 0;
    for (size_t p = 0; p < plan->npools; ++p) {
        if (plan->pools[p].min_teams < 0 || plan->min_teams < 0)
            plan->min_teams = -1;
        else
            plan->min_teams += plan->pools[p].min_teams;
    }

    /* milestones */
    if ((st = periods_build(cap->start, plan->completion, CP_PERIOD_YEAR, &yl)) != CP_OK ||
        (st = periods_build(cap->start, plan->completion, CP_PERIOD_QUARTER, &ql)) != CP_OK)
        goto fail;
    pe0 = malloc((ql.n + 1) * sizeof *pe0);
    pe1 = malloc((ql.n + 1) * sizeof *pe1);
    if (!pe0 || !pe1) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t p = 0; p < plan->npools; ++p) {
        periods_accumulate(plan, &pw[p], &yl, pe0, pe1);
        periods_accumulate(plan, &pw[p], &ql, pe0, pe1);
    }
    for (int pass = 0; pass < 2; ++pass) {
        period_list *pl = pass ? &ql : &yl;
        double done_m2 = 0;
        for (size_t k = 0; k < pl->n; ++k) {
            done_m2 += pl->m[k].area_m2;
            pl->m[k].remaining_m2 = plan->area_m2 - done_m2;
            if (pl->m[k].remaining_m2 < 0 || k + 1 == pl->n) pl->m[k].remaining_m2 = 0;
        }
    }
    plan->years = yl.m;
    plan->nyears = yl.n;
    plan->quarters = ql.m;
    plan->nquarters = ql.n;
    yl.m = ql.m = NULL;

    /* team schedule */
    if (!(opts && opts->no_schedule)) {
        size_t maxpk = 0;
        for (size_t i = 0; i < ni; ++i) {
            double p_ = plan->items[i].h.cost_team_days;
            if (p_ > 0) {
                double np = ceil(p_ / plan->package_team_days - 1e-9);
                if (np > 1e9) {
                    st = cp_fail(CP_E_CONFIG,
                                 "hazard <%s>: %.0f work packages: package_team_days is too "
                                 "small",
                                 plan->items[i].h.id, np);
                    goto fail;
                }
                maxpk += np < 1 ? 1 : (size_t)np;
            }
        }
        plan->packages = calloc(maxpk + 1, sizeof *plan->packages);
        if (!plan->packages) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        int first = 1;
        plan->schedule_end = cap->start;
        for (size_t p = 0; p < plan->npools; ++p) {
            plan->pools[p].first_team = first;
            if ((st = schedule_pool(plan, cal, &pw[p], &plan->pools[p], &plan->npackages)) != CP_OK)
                goto fail;
            first += plan->pools[p].nteams;
        }
        plan->nteams_scheduled = first - 1;
        /* packages grouped by hazard in plan order: pools interleave, so sort by item */
        if (plan->npools > 1) {
            cp_plan_package *sorted = malloc((plan->npackages + 1) * sizeof *sorted);
            size_t *startpos = calloc(ni + 1, sizeof *startpos);
            if (!sorted || !startpos) {
                free(sorted);
                free(startpos);
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto fail;
            }
            size_t pos = 0;
            for (size_t i = 0; i < ni; ++i) {
                startpos[i] = pos;
                pos += plan->items[i].npackages;
            }
            for (size_t i = 0; i < ni; ++i) {
                cp_plan_item *it = &plan->items[i];
                memcpy(&sorted[startpos[i]], &plan->packages[it->first_package],
                       it->npackages * sizeof *sorted);
                it->first_package = startpos[i];
            }
            free(plan->packages);
            plan->packages = sorted;
            free(startpos);
        }
    }

    /* sweep */
    if (opts && opts->nsweep) {
        plan->sweep = calloc(opts->nsweep, sizeof *plan->sweep);
        if (!plan->sweep) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        plan->nsweep = opts->nsweep;
        for (size_t s = 0; s < opts->nsweep; ++s) {
            cp_plan_sweep_row *row = &plan->sweep[s];
            double N = opts->sweep_teams[s];
            row->teams = N;
            for (size_t p = 0; p < plan->npools; ++p) {
                pool_work *w = &pw[p];
                if (!w->n) continue;
                double teams = N;
                if (plan->has_regions)
                    teams = plan->teams > 0 ? cap->regions[p].teams * N / plan->teams
                                            : N / (double)plan->npools;
                pool_cap pc;
                pool_cap_constant(&pc, cal, teams, cap->days_per_year);
                double e = w->cum_effort[w->n];
                double tc = pool_time_at(&pc, e);
                double eD = pool_effort_at(&pc, tD1);
                if (tc > row->t_completion) row->t_completion = tc;
                if (e > eD) {
                    row->remaining_team_days += e - eD;
                    /* remaining area by prefix */
                    size_t lo = 0, hi = w->n;
                    while (lo < hi) {
                        size_t mid = (lo + hi) / 2;
                        if (w->cum_effort[mid + 1] > eD)
                            hi = mid;
                        else
                            lo = mid + 1;
                    }
                    double done = w->cum_area[lo];
                    if (lo < w->n) {
                        double pe = w->cum_effort[lo + 1] - w->cum_effort[lo];
                        double f = pe > 0 ? (eD - w->cum_effort[lo]) / pe : 1;
                        if (f < 0) f = 0;
                        done += f * (w->cum_area[lo + 1] - w->cum_area[lo]);
                    }
                    row->remaining_m2 += w->cum_area[w->n] - done;
                }
            }
            row->completion = completion_date(cap->start, row->t_completion);
            row->met = isfinite(row->t_completion) && row->completion <= cap->deadline;
            if (row->met) row->remaining_m2 = row->remaining_team_days = 0;
            row->funding_gap_usd = row->remaining_team_days * cost->team_day_usd;
        }
    }

    /* orders and curves */
    plan->horizon_days = plan->t_completion > tD1 ? plan->t_completion : tD1;
    for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k)
        plan->curve_t[k] = plan->horizon_days * (double)k / (CP_PLAN_CURVE_POINTS - 1);
    for (int o = 0; o < CP_NORDER; ++o) {
        if (o != CP_ORDER_EFFICIENCY && opts && opts->no_baselines) continue;
        if (o == CP_ORDER_EFFICIENCY) {
            for (size_t i = 0; i < ni; ++i) seq[i] = i;
        } else {
            for (size_t i = 0; i < ni; ++i) {
                const cp_plan_item *it = &plan->items[i];
                size_t lp = lockpos[it->input_index];
                recs[i].group = lp != SIZE_MAX ? 0 : it->h.locked ? 1 : 2;
                recs[i].lock_idx = lp != SIZE_MAX ? lp : 0;
                recs[i].key = order_key(it, o);
                recs[i].id = o == CP_ORDER_INPUT ? "" : it->h.id;
                recs[i].idx = i;
            }
            qsort(recs, ni, sizeof *recs, sort_rec_cmp);
            for (size_t i = 0; i < ni; ++i) seq[i] = recs[i].idx;
        }
        if ((st = order_eval(plan, pw, plan->npools, seq, &plan->orders[o])) != CP_OK) goto fail;
    }

    *out = plan;
    plan = NULL;
fail:
    for (size_t p = 0; p < npw; ++p) {
        free(pw[p].items);
        free(pw[p].cum_effort);
        free(pw[p].cum_area);
    }
    free(pw);
    free(pe0);
    free(pe1);
    free(yl.m);
    free(ql.m);
    free(recs);
    free(seq);
    free(cal);
    free(ids);
    free(excl);
    free(lockpos);
    cp_plan_free(plan);
    return st;
}
