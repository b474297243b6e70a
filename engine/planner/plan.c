/* cp_plan_compute (DESIGN §9; the model is in plan.h): a table of contents of phases, each a
 * static function over one context with its invariant stated above it. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

/* The schedule covers this many calendar years after the deadline year. */
enum { HORIZON_YEARS = 100 };

/* More packages than this are refused (package_team_days too small for the efforts). */
#define MAX_PACKAGES 50000000.0

typedef struct {
    /* arguments */
    const cp_hazard *hz;
    size_t n;
    const cp_capacity *cap;
    const cp_cost *cost;
    const cp_plan_rules *rules;
    const cp_plan_options *opts;
    cp_plan *plan;
    /* collect_items */
    size_t *lockpos; /* per input hazard: position in rules.locked, SIZE_MAX none */
    size_t *idrank;  /* per input hazard: rank of its id in byte order */
    order_keys keys;
    /* resolve_capacity */
    cal cal;
    cap_model cm;
    int deadline_seg;
    double t_deadline; /* end of the deadline day, days from start */
    /* order_and_jobs */
    job *jobs;
    size_t njobs;
    double *td;
    unsigned char *does;
    double *usd;
    long *item_job; /* [item * CP_NMETHOD + stage]: its job, -1 none */
    double *min_td; /* [item * CP_NMETHOD + stage]: its job's fastest effort (the baselines) */
    problem pb;
    size_t *job_pk; /* pb.job_pk */
    run_ws ws;
    /* planned_capacity */
    double *weight; /* T(N) weights per cell */
    cap_inst own;   /* T(opts->teams) when asked for */
    const cap_inst *planned;
    run_out run;
} ctx;

/* ------------------------------------------------------------------ small helpers ----- */

static int finite_nonneg(double v) {
    return isfinite(v) && v >= 0;
}

void cp_hazard_init(cp_hazard *h) {
    memset(h, 0, sizeof *h);
    h->status = CP_STATUS_SHA;
    h->area_m2 = h->covered_m2 = h->benefit = h->cost_team_days = NAN;
    h->priority_mean = h->priority_max = h->people_within_m = NAN;
}

const char *cp_plan_stage_name(int stage) {
    static const char *const names[CP_NMETHOD] = {"nts", "ts", "clearance"};
    return stage >= 0 && stage < CP_NMETHOD ? names[stage] : "?";
}

/* A date `day` whole days after the start. */
static cp_date day_date(const ctx *c, int64_t day) {
    return c->plan->start + (cp_date)day;
}

/* The last day of work of something ending at t (days from start). */
cp_date cp_plan_end_day(cp_date start, double t) {
    return start + (cp_date)cal_last_day(t);
}

static cp_date end_date(const ctx *c, double t) {
    return day_date(c, cal_last_day(t));
}

static cp_date start_date(const ctx *c, double t) {
    return day_date(c, (int64_t)floor(t + CP_DAY_EPS));
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
        if (strcmp(ids[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !strcmp(ids[lo].id, id) ? &ids[lo] : NULL;
}

/* ------------------------------------------------------------------ check_arguments --- */

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
    for (int s = 0; s < CP_NSTATUS; ++s)
        if (!(cost->release[s][0] + cost->release[s][1] + cost->release[s][2] > 0))
            return cp_fail(CP_E_CONFIG, "cost: the release shares of %s sum to 0", st[s]);
    const double prod[] = {cost->nts_m2_per_team_day, cost->ts_m2_per_team_day,
                           cost->productivity_default_m2};
    for (int k = 0; k < 3; ++k)
        if (!(isfinite(prod[k]) && prod[k] > 0))
            return cp_fail(CP_E_CONFIG, "cost: productivities must be positive (got %g)", prod[k]);
    for (size_t k = 0; k < cost->nproductivity; ++k)
        if (!(isfinite(cost->productivity[k].value) && cost->productivity[k].value > 0))
            return cp_fail(CP_E_CONFIG, "cost: productivity of class %d must be positive",
                           cost->productivity[k].code);
    return CP_OK;
}

static cp_status check_hazard(const cp_hazard *h, size_t i, size_t nclass) {
    if (!h->id || !h->id[0]) return cp_fail(CP_E_ARG, "hazard %zu: missing id", i + 1);
    if (h->status != CP_STATUS_SHA && h->status != CP_STATUS_CHA)
        return cp_fail(CP_E_ARG, "hazard <%s>: status must be SHA or CHA", h->id);
    struct {
        const char *name;
        double v;
        int optional;
    } f[] = {{"area_m2", h->area_m2, 0},
             {"covered_m2", h->covered_m2, 1},
             {"benefit", h->benefit, 0},
             {"cost_team_days", h->cost_team_days, h->class_m2 != NULL},
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
    for (size_t k = 0; h->class_m2 && k <= nclass; ++k)
        if (!finite_nonneg(h->class_m2[k]))
            return cp_fail(CP_E_ARG, "hazard <%s>: class_m2 must be finite and zero or more",
                           h->id);
    if (isinf(h->priority_mean) || isinf(h->priority_max))
        return cp_fail(CP_E_ARG, "hazard <%s>: priority is not finite", h->id);
    return CP_OK;
}

/* Invariant afterwards: cost, hazard records and options are usable as documented. */
static cp_status check_arguments(ctx *c) {
    const cp_plan_options *o = c->opts;
    cp_status st = check_cost(c->cost);
    if (st != CP_OK) return st;
    if (o && o->ncolumns && !o->columns)
        return cp_fail(CP_E_ARG, "cp_plan_compute: columns missing");
    if (o && o->nclasses && !o->classes)
        return cp_fail(CP_E_ARG, "cp_plan_compute: classes missing");
    for (size_t s = 0; o && s < o->nsweep; ++s)
        if (o->sweep_teams[s] <= 0)
            return cp_fail(CP_E_CONFIG, "sweep: team counts must be positive (got %d)",
                           o->sweep_teams[s]);
    if (o && o->teams < 0) return cp_fail(CP_E_CONFIG, "teams must be positive (got %d)", o->teams);
    for (size_t i = 0; i < c->n; ++i)
        if ((st = check_hazard(&c->hz[i], i, o ? o->nclasses : 0)) != CP_OK) return st;
    return CP_OK;
}

/* ------------------------------------------------------------------ collect_items ----- */

static cp_status copy_item(cp_plan_item *it, const cp_hazard *h, size_t idx,
                           const cp_plan_options *opts) {
    it->h = *h;
    it->h.id = it->h.region = NULL;
    it->h.wkb = NULL;
    it->h.wkb_len = 0;
    it->h.extra = NULL;
    it->h.class_m2 = NULL;
    it->input_index = idx;
    it->h.locked = h->locked != 0;
    if (isnan(it->h.covered_m2)) it->h.covered_m2 = h->area_m2;
    if (!(it->h.id = cp_strdup(h->id))) return cp_fail(CP_E_NOMEM, "out of memory");
    if (h->region && h->region[0] && !(it->h.region = cp_strdup(h->region)))
        return cp_fail(CP_E_NOMEM, "out of memory");
    if (h->wkb && h->wkb_len) {
        unsigned char *w = malloc(h->wkb_len);
        if (!w) return cp_fail(CP_E_NOMEM, "out of memory");
        memcpy(w, h->wkb, h->wkb_len);
        it->h.wkb = w;
        it->h.wkb_len = h->wkb_len;
    }
    size_t ncl = opts ? opts->nclasses : 0;
    if (h->class_m2) {
        double *v = malloc((ncl + 1) * sizeof *v);
        if (!v) return cp_fail(CP_E_NOMEM, "out of memory");
        memcpy(v, h->class_m2, (ncl + 1) * sizeof *v);
        it->h.class_m2 = v;
    }
    if (opts && opts->ncolumns) {
        cp_plan_value *v = calloc(opts->ncolumns, sizeof *v);
        if (!v) return cp_fail(CP_E_NOMEM, "out of memory");
        it->h.extra = v;
        for (size_t k = 0; k < opts->ncolumns; ++k) {
            if (!h->extra) {
                v[k].is_null = 1;
                continue;
            }
            v[k] = h->extra[k];
            v[k].text = NULL;
            if (h->extra[k].text && opts->columns[k].type == CP_VALUE_TEXT &&
                !(v[k].text = cp_strdup(h->extra[k].text)))
                return cp_fail(CP_E_NOMEM, "out of memory");
        }
    }
    return CP_OK;
}

/* Invariant afterwards: ids are unique; plan->items holds copies of the hazards not
 * excluded, in input order; plan->excluded the others with their reasons; lockpos is set. */
static cp_status collect_items(ctx *c) {
    cp_plan *plan = c->plan;
    const cp_plan_rules *rules = c->rules;
    const size_t n = c->n;
    const cp_plan_options *opts = c->opts;
    cp_status st = CP_OK;
    id_entry *ids = malloc((n + 1) * sizeof *ids);
    int *excl = calloc(n + 1, sizeof *excl); /* 1 + index into rules.exclude */
    c->lockpos = malloc((n + 1) * sizeof *c->lockpos);
    c->idrank = malloc((n + 1) * sizeof *c->idrank);
    c->keys = (order_keys){c->lockpos, c->idrank, n};
    if (!ids || !excl || !c->lockpos || !c->idrank) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; ++i) {
        ids[i] = (id_entry){c->hz[i].id, i};
        c->lockpos[i] = SIZE_MAX;
    }
    qsort(ids, n, sizeof *ids, id_entry_cmp);
    for (size_t k = 0; k < n; ++k) c->idrank[ids[k].index] = k;
    for (size_t i = 1; i < n; ++i)
        if (!strcmp(ids[i].id, ids[i - 1].id)) {
            st = cp_fail(CP_E_ARG, "duplicate hazard id <%s> (hazards %zu and %zu)", ids[i].id,
                         ids[i - 1].index + 1, ids[i].index + 1);
            goto done;
        }
    for (size_t e = 0; rules && e < rules->nexclude; ++e) {
        /* an id not among the hazards is already out of the plan (a re-plan from plan.gpkg,
           whose hazards layer no longer holds the excluded ones) */
        const char *id = rules->exclude[e].id;
        const id_entry *f = id ? id_find(ids, n, id) : NULL;
        if (f && !excl[f->index]) excl[f->index] = (int)e + 1;
    }
    for (size_t l = 0; rules && l < rules->nlocked; ++l) {
        const char *id = rules->locked[l];
        const id_entry *f = id ? id_find(ids, n, id) : NULL;
        if (!f) {
            st = cp_fail(CP_E_CONFIG,
                         "plan.locked: no hazard has the id <%s> (a hazard rejected on reading "
                         "is not planned either)",
                         id ? id : "");
            goto done;
        }
        if (excl[f->index]) {
            st = cp_fail(CP_E_CONFIG, "plan: hazard <%s> is both locked and excluded", id);
            goto done;
        }
        if (c->lockpos[f->index] == SIZE_MAX) c->lockpos[f->index] = l;
    }
    size_t nex = 0;
    for (size_t i = 0; i < n; ++i) nex += excl[i] != 0;
    plan->items = calloc(n - nex + 1, sizeof *plan->items);
    plan->excluded = calloc(nex + 1, sizeof *plan->excluded);
    if (!plan->items || !plan->excluded) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    if (opts && opts->ncolumns) {
        if (!(plan->columns = calloc(opts->ncolumns, sizeof *plan->columns))) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        plan->ncolumns = opts->ncolumns;
        for (size_t k = 0; k < opts->ncolumns; ++k) {
            plan->columns[k].type = opts->columns[k].type;
            plan->columns[k].name = cp_strdup(opts->columns[k].name ? opts->columns[k].name : "");
            if (!plan->columns[k].name) {
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
        }
    }
    if (opts && opts->nclasses) {
        if (!(plan->classes = malloc(opts->nclasses * sizeof *plan->classes))) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        memcpy(plan->classes, opts->classes, opts->nclasses * sizeof *plan->classes);
        plan->nclasses = opts->nclasses;
    }
    for (size_t i = 0; i < n; ++i) {
        if (excl[i]) {
            cp_plan_excluded *x = &plan->excluded[plan->nexcluded++];
            const cp_exclusion *ex = &rules->exclude[excl[i] - 1];
            x->id = cp_strdup(c->hz[i].id);
            x->reason = cp_strdup(ex->reason && ex->reason[0] ? ex->reason : "excluded");
            x->input_index = i;
            if (!x->id || !x->reason) {
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
            continue;
        }
        if ((st = copy_item(&plan->items[plan->nitems++], &c->hz[i], i, opts)) != CP_OK) goto done;
    }
done:
    free(ids);
    free(excl);
    return st;
}

/* ------------------------------------------------------------------ resolve_capacity -- */

/* Invariant afterwards: the calendar covers the start year to HORIZON_YEARS after the
 * deadline year; the capacity is checked and resolved; every item's region is known. */
static cp_status resolve_capacity(ctx *c) {
    cp_plan *plan = c->plan;
    const cp_capacity *cap = c->cap;
    int y0, yd;
    cp_date_split(cap->start, &y0, NULL, NULL);
    cp_date_split(cap->deadline, &yd, NULL, NULL);
    if (cap->deadline < cap->start || yd - y0 > 5000) {
        char a[11], b[11];
        return cp_fail(CP_E_CONFIG, "capacity: deadline %s is %s start %s",
                       cp_date_format(cap->deadline, a),
                       cap->deadline < cap->start ? "before" : "more than 5000 years after",
                       cp_date_format(cap->start, b));
    }
    c->deadline_seg = yd - y0;
    c->t_deadline = (double)(cap->deadline - cap->start) + 1;
    cp_status st = cal_build(&c->cal, cap->start, yd - y0 + 1 + HORIZON_YEARS, cap->days_per_year,
                             cap->reserve, cap->nreserve);
    if (st == CP_OK)
        st = cap_model_build(&c->cm, cap, c->cost, plan->classes, plan->nclasses, &c->cal,
                             c->deadline_seg);
    if (st != CP_OK) return st;
    for (size_t i = 0; i < plan->nitems; ++i) {
        cp_plan_item *it = &plan->items[i];
        it->pool = 0;
        if (!cap->nregions) continue;
        it->pool = -1;
        for (size_t r = 0; r < cap->nregions && it->h.region; ++r)
            if (!strcmp(cap->regions[r].name, it->h.region)) it->pool = (int)r;
        if (it->pool < 0) {
            if (it->h.region)
                return cp_fail(CP_E_CONFIG, "hazard <%s>: region <%s> is not in capacity.regions",
                               it->h.id, it->h.region);
            return cp_fail(CP_E_CONFIG,
                           "hazard <%s> has no region, but capacity.regions assigns teams by "
                           "region",
                           it->h.id);
        }
    }
    return CP_OK;
}

/* ------------------------------------------------------------------ stage_efforts ----- */

/* Clearance effort of a hazard for a type: with class areas, per class; without, the
 * reference clearance scaled by the default productivities. */
static double clear_effort(const ctx *c, const cp_plan_item *it, const type_model *t,
                           double ref_clear) {
    const double share = c->cost->release[it->h.status][CP_METHOD_CLEAR];
    if (!it->h.class_m2)
        return ref_clear * c->cm.ref.prod[c->cm.nclasses] / t->prod[c->cm.nclasses];
    double e = 0;
    for (size_t k = 0; k <= c->cm.nclasses; ++k) e += it->h.class_m2[k] / t->prod[k];
    return share * e;
}

/* Invariant afterwards: every item has its stages (share > 0), their area, benefit and
 * reference effort (summing to h.cost_team_days), its efficiency; the plan's totals. */
static void stage_efforts(ctx *c) {
    cp_plan *plan = c->plan;
    const type_model *ref = &c->cm.ref;
    for (size_t i = 0; i < plan->nitems; ++i) {
        cp_plan_item *it = &plan->items[i];
        const double *rel = c->cost->release[it->h.status];
        double sum_share = rel[0] + rel[1] + rel[2];
        double nts = it->h.covered_m2 * rel[CP_METHOD_CANCEL] / ref->nts_m2;
        double ts = it->h.covered_m2 * rel[CP_METHOD_REDUCE] / ref->ts_m2;
        double clear;
        if (it->h.class_m2) {
            clear = clear_effort(c, it, ref, 0);
        } else { /* what cost_team_days leaves after the surveys */
            double survey = nts + ts, total = it->h.cost_team_days;
            clear = total - survey;
            if (survey >= total) {
                double f = survey > 0 ? total / survey : 0;
                nts *= f, ts *= f, clear = 0;
            }
        }
        const double e[CP_NMETHOD] = {nts, ts, clear};
        it->h.cost_team_days = 0;
        for (int s = 0; s < CP_NMETHOD; ++s) {
            double sh = sum_share > 0 ? rel[s] / sum_share : 0;
            it->has_stage[s] = rel[s] > 0;
            it->released_m2[s] = it->h.area_m2 * sh;
            it->stage_benefit[s] = it->h.benefit * sh;
            it->stage_ref_team_days[s] = it->has_stage[s] ? e[s] : 0;
            it->h.cost_team_days += it->stage_ref_team_days[s];
            plan->released_m2[s] += it->released_m2[s];
        }
        it->efficiency = it->h.cost_team_days > 0 ? it->h.benefit / it->h.cost_team_days : NAN;
        plan->area_m2 += it->h.area_m2;
        plan->benefit += it->h.benefit;
        plan->team_days += it->h.cost_team_days;
    }
}

/* ------------------------------------------------------------------ order_and_jobs ---- */

/* Invariant afterwards: plan->items are in plan order with their ranks; c->jobs holds the
 * stage jobs in plan order (each after its chain predecessor), with their efforts per type
 * (NAN where the type cannot do the stage) and package counts; item_job maps back. */
static cp_status order_and_jobs(ctx *c) {
    cp_plan *plan = c->plan;
    const size_t ni = plan->nitems;
    const int nt = c->cm.ntypes;
    cp_status st = CP_OK;
    size_t *rank = malloc((ni + 1) * sizeof *rank);
    int *seq = malloc((3 * ni + 1) * 2 * sizeof *seq);
    cp_plan_item *sorted = malloc((ni + 1) * sizeof *sorted);
    if (!rank || !seq || !sorted) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    if ((st = order_plan(plan->items, ni, &c->keys, rank, seq, &c->njobs)) != CP_OK) goto done;
    for (size_t i = 0; i < ni; ++i) {
        sorted[rank[i]] = plan->items[i];
        sorted[rank[i]].rank = rank[i] + 1;
    }
    cp_plan_item *was = plan->items;
    plan->items = sorted;
    sorted = was;
    c->jobs = calloc(c->njobs + 1, sizeof *c->jobs);
    c->td = malloc((c->njobs * (size_t)nt + 1) * sizeof *c->td);
    c->item_job = malloc((ni * CP_NMETHOD + 1) * sizeof *c->item_job);
    c->min_td = calloc(ni * CP_NMETHOD + 1, sizeof *c->min_td);
    c->does = malloc((size_t)nt * CP_NMETHOD);
    c->usd = malloc((size_t)nt * sizeof *c->usd);
    if (!c->jobs || !c->td || !c->item_job || !c->min_td || !c->does || !c->usd) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < ni * CP_NMETHOD; ++k) c->item_job[k] = -1;
    for (int t = 0; t < nt; ++t) {
        memcpy(c->does + (size_t)t * CP_NMETHOD, c->cm.types[t].does, CP_NMETHOD);
        c->usd[t] = c->cm.types[t].usd;
    }
    double npk_total = 0;
    for (size_t j = 0; j < c->njobs; ++j) {
        size_t item = rank[seq[2 * j]];
        int s = seq[2 * j + 1];
        cp_plan_item *it = &plan->items[item];
        job *jb = &c->jobs[j];
        jb->item = item;
        jb->stage = s;
        jb->region = it->pool;
        jb->prev = -1;
        for (int q = s - 1; q >= 0 && jb->prev < 0; --q)
            jb->prev = c->item_job[item * CP_NMETHOD + q];
        c->item_job[item * CP_NMETHOD + s] = (long)j;
        jb->ref_td = it->stage_ref_team_days[s];
        jb->area_m2 = it->released_m2[s];
        jb->benefit = it->stage_benefit[s];
        double emax = 0, emin = INFINITY, ref = jb->ref_td;
        int any = 0;
        for (int t = 0; t < nt; ++t) {
            const type_model *tm = &c->cm.types[t];
            double e = NAN;
            if (tm->does[s]) {
                e = s == CP_METHOD_CANCEL   ? ref * c->cm.ref.nts_m2 / tm->nts_m2
                    : s == CP_METHOD_REDUCE ? ref * c->cm.ref.ts_m2 / tm->ts_m2
                                            : clear_effort(c, it, tm, ref);
                any = 1;
                if (e > emax) emax = e;
                if (e < emin) emin = e;
            }
            c->td[j * (size_t)nt + (size_t)t] = e;
        }
        if (!any) {
            st = cp_fail(CP_E_CONFIG,
                         "capacity.types: no team type does %s, which hazard <%s> needs",
                         cp_plan_stage_name(s), it->h.id);
            goto done;
        }
        jb->min_td = emin;
        c->min_td[item * CP_NMETHOD + (size_t)s] = emin;
        double np = emax > 0 ? ceil(emax / c->cap->package_team_days - 1e-9) : 0;
        if (emax > 0 && np < 1) np = 1;
        npk_total += np;
        if (npk_total > MAX_PACKAGES) {
            st = cp_fail(CP_E_CONFIG,
                         "capacity: more than %.0f work packages (hazard <%s> alone needs %.0f): "
                         "package_team_days is too small",
                         MAX_PACKAGES, it->h.id, np);
            goto done;
        }
        jb->npk = (int)np;
    }
    c->job_pk = malloc((c->njobs + 1) * sizeof *c->job_pk);
    c->ws.jend = malloc((c->njobs + 1) * sizeof *c->ws.jend);
    c->ws.state = malloc(c->njobs + 1);
    c->ws.deferred = malloc((c->njobs + 1) * sizeof *c->ws.deferred);
    if (!c->job_pk || !c->ws.jend || !c->ws.state || !c->ws.deferred) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0, k = 0; j < c->njobs; k += (size_t)c->jobs[j++].npk) c->job_pk[j] = k;
    c->pb = (problem){&c->cal, c->njobs, c->jobs,           c->td,     nt,   c->cm.nregions,
                      c->usd,  c->does,  (size_t)npk_total, c->job_pk, NULL, NULL};
    if (c->opts) c->pb.stop = c->opts->stop, c->pb.stop_arg = c->opts->stop_arg;
done:
    free(rank);
    free(seq);
    free(sorted);
    return st;
}

/* ------------------------------------------------------------------ planned_capacity -- */

/* Invariant afterwards: c->weight holds the T(N) weight of every cell (plan.h, "Teams
 * needed"); c->planned is the capacity the plan is scheduled with (the given counts, or
 * T(opts->teams)). */
static cp_status planned_capacity(ctx *c) {
    const cap_model *m = &c->cm;
    const int nr = m->nregions, nt = m->ntypes;
    cp_status st = CP_OK;
    double *work = calloc((size_t)nr, sizeof *work), *mix = calloc((size_t)nt, sizeof *mix);
    c->weight = malloc((size_t)(nr * nt) * sizeof *c->weight);
    if (!work || !mix || !c->weight) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < c->njobs; ++j) work[c->jobs[j].region] += c->jobs[j].ref_td;
    double W = 0, work_staffed = 0, work_unstaffed = 0;
    for (int r = 0; r < nr; ++r) {
        double wr = 0;
        for (int t = 0; t < nt; ++t) wr += m->weight[r * nt + t];
        for (int t = 0; t < nt; ++t) mix[t] += m->weight[r * nt + t];
        W += wr;
        if (wr > 0)
            work_staffed += work[r];
        else
            work_unstaffed += work[r];
    }
    for (int r = 0; r < nr; ++r) {
        double wr = 0;
        for (int t = 0; t < nt; ++t) wr += m->weight[r * nt + t];
        double ur = 0; /* a region without teams weighs as the staffed ones per team-day */
        if (wr <= 0 && work[r] > 0)
            ur = W * work[r] / (work_staffed > 0 ? work_staffed : work_unstaffed);
        for (int t = 0; t < nt; ++t)
            c->weight[r * nt + t] = wr > 0 ? m->weight[r * nt + t] : W > 0 ? ur * mix[t] / W : 0;
    }
    c->planned = &m->given;
    if (c->opts && c->opts->teams > 0) {
        st = cap_inst_apportion(m, c->weight, c->opts->teams, &c->cal, &c->own, NULL);
        c->planned = &c->own;
    }
done:
    free(work);
    free(mix);
    return st;
}

/* ------------------------------------------------------------------ verdicts ---------- */

/* What a recorded run says at the end of the deadline day, for one region or all (-1). */
typedef struct {
    int complete, met;
    double t_end; /* INFINITY when incomplete */
    double remaining_m2, remaining_td, gap_usd;
    size_t remaining_hazards;
} verdict;

static int job_late(const ctx *c, const run_out *o, size_t j) {
    double end = o->job_end[j];
    return !isfinite(end) || cal_last_day(end) > cal_last_day(c->t_deadline);
}

/* Fills v[r] for every region r from one pass over the jobs, and *all for the plan. */
static void summarize(const ctx *c, const cap_inst *ci, const run_out *o, verdict *v,
                      verdict *all) {
    const size_t nseg = c->cal.nseg, nr = (size_t)c->cm.nregions;
    memset(v, 0, nr * sizeof *v);
    for (size_t r = 0; r < nr; ++r) v[r].complete = 1;
    for (size_t j = 0; j < c->njobs; ++j) {
        const job *jb = &c->jobs[j];
        verdict *a = &v[jb->region];
        if (job_late(c, o, j)) a->remaining_m2 += jb->area_m2;
        if (!isfinite(o->job_end[j]))
            a->complete = 0;
        else if (o->job_end[j] > a->t_end)
            a->t_end = o->job_end[j];
        for (int q = 0; q < jb->npk; ++q) {
            const pk_place *p = &o->pk[c->pb.job_pk[j] + (size_t)q];
            if (p->team < 0) {
                double w = jb->ref_td / jb->npk;
                a->remaining_td += w;
                a->gap_usd += w * c->cm.ref.usd;
            } else if (p->t_end > c->t_deadline + CP_DAY_EPS) {
                const int *count = ci->count + (size_t)o->team_cell[p->team] * nseg;
                double part =
                    p->t_start >= c->t_deadline
                        ? p->td
                        : team_work(&c->cal, count, o->team_k[p->team], c->t_deadline, p->t_end);
                a->remaining_td += part;
                a->gap_usd += p->td > 0 ? part * p->usd / p->td : 0;
            }
        }
    }
    for (size_t i = 0; i < c->plan->nitems; ++i)
        for (int s = 0; s < CP_NMETHOD; ++s) {
            long j = c->item_job[i * CP_NMETHOD + (size_t)s];
            if (j >= 0 && job_late(c, o, (size_t)j)) {
                v[c->plan->items[i].pool].remaining_hazards++;
                break;
            }
        }
    memset(all, 0, sizeof *all);
    all->complete = 1;
    for (size_t r = 0; r <= nr; ++r) {
        verdict *a = r < nr ? &v[r] : all;
        if (r < nr) {
            all->complete &= a->complete;
            if (a->t_end > all->t_end) all->t_end = a->t_end;
            all->remaining_m2 += a->remaining_m2;
            all->remaining_td += a->remaining_td;
            all->gap_usd += a->gap_usd;
            all->remaining_hazards += a->remaining_hazards;
        }
        if (!a->complete) a->t_end = INFINITY;
        a->met = a->complete && cal_last_day(a->t_end) <= cal_last_day(c->t_deadline);
        if (a->met) a->remaining_m2 = a->remaining_td = a->gap_usd = 0;
    }
}

/* ------------------------------------------------------------------ schedule_plan ----- */

/* Invariant afterwards: plan->team_list, the regions' and types' teams, every item's
 * schedule (times, dates, stage ends, first team, packages) and plan->packages (scheduled
 * packages grouped by item in plan order) come from one recorded run on c->planned. */
static cp_status schedule_plan(ctx *c) {
    cp_plan *plan = c->plan;
    const cap_model *m = &c->cm;
    const cap_inst *ci = c->planned;
    const int nt = m->ntypes;
    cp_status st = schedule_run(&c->pb, ci, c->t_deadline, RUN_RECORD, &c->ws, &c->run);
    if (st != CP_OK) return st;
    const run_out *o = &c->run;
    plan->nteams = o->nteams;
    plan->team_list = calloc((size_t)o->nteams + 1, sizeof *plan->team_list);
    plan->packages = calloc(c->pb.npackages + 1, sizeof *plan->packages);
    if (!plan->team_list || !plan->packages) return cp_fail(CP_E_NOMEM, "out of memory");
    for (int t = 0; t < o->nteams; ++t)
        plan->team_list[t] = (cp_plan_team){o->team_cell[t] % nt, o->team_cell[t] / nt};
    int first = 1;
    for (size_t r = 0; r < plan->npools; ++r) {
        cp_plan_pool *pl = &plan->pools[r];
        pl->first_team = first;
        for (int t = 0; t < nt; ++t) {
            size_t cell = r * (size_t)nt + (size_t)t;
            pl->nteams += ci->maxc[cell];
            pl->teams += ci->count[cell * c->cal.nseg];
            plan->types[t].teams += ci->count[cell * c->cal.nseg];
        }
        first += pl->nteams;
    }
    for (size_t i = 0; i < plan->nitems; ++i) {
        cp_plan_item *it = &plan->items[i];
        it->t_start = INFINITY;
        it->t_end = 0;
        it->first_package = plan->npackages;
        it->scheduled = 1;
        int seq = 0;
        for (int s = 0; s < CP_NMETHOD; ++s) {
            long j = c->item_job[i * CP_NMETHOD + (size_t)s];
            if (j < 0) continue;
            const job *jb = &c->jobs[j];
            double js = o->job_start[j], je = o->job_end[j];
            if (js < it->t_start) it->t_start = js;
            if (je > it->t_end) it->t_end = je;
            if (isfinite(je)) it->stage_end[s] = end_date(c, je);
            for (int q = 0; q < jb->npk; ++q) {
                const pk_place *p = &o->pk[c->pb.job_pk[j] + (size_t)q];
                ++seq;
                if (p->team < 0) {
                    it->unscheduled_packages++;
                    plan->unscheduled_packages++;
                    continue;
                }
                cp_plan_package *pk = &plan->packages[plan->npackages++];
                pk->item = i;
                pk->seq = seq;
                pk->stage = s;
                pk->team = p->team + 1;
                pk->type = plan->team_list[p->team].type;
                pk->region = jb->region;
                pk->redeployed = plan->team_list[p->team].home != jb->region;
                pk->team_days = p->td;
                pk->cost_usd = p->usd;
                pk->t_start = p->t_start;
                pk->t_end = p->t_end;
                pk->start = start_date(c, p->t_start);
                pk->end = end_date(c, p->t_end);
                if (pk->end < pk->start) pk->end = pk->start;
                if (!it->team) it->team = pk->team;
                it->team_days += p->td;
                it->cost_usd += p->usd;
                plan->types[pk->type].team_days += p->td;
                plan->types[pk->type].packages++;
                plan->redeployed_packages += (size_t)pk->redeployed;
            }
        }
        it->npackages = plan->npackages - it->first_package;
        if (!isfinite(it->t_start)) it->t_start = 0; /* no stage: released on the start day */
        if (!isfinite(it->t_end)) it->scheduled = 0;
        it->start = start_date(c, it->t_start);
        it->end = it->scheduled ? end_date(c, it->t_end) : 0;
        if (it->scheduled && it->end < it->start) it->end = it->start;
        if (it->scheduled) cp_date_split(it->end, &it->year, NULL, NULL);
        plan->scheduled_team_days += it->team_days;
        plan->cost_usd += it->cost_usd;
        cp_plan_pool *pl = &plan->pools[it->pool];
        pl->nitems++;
        pl->area_m2 += it->h.area_m2;
        pl->benefit += it->h.benefit;
        pl->team_days += it->h.cost_team_days;
    }
    return CP_OK;
}

/* Invariant afterwards: the plan's and each region's completion, verdict and remaining
 * work at the deadline are those of the recorded run. */
static cp_status verdict_plan(ctx *c) {
    cp_plan *plan = c->plan;
    verdict v, *rv = malloc((size_t)c->cm.nregions * sizeof *rv);
    if (!rv) return cp_fail(CP_E_NOMEM, "out of memory");
    summarize(c, c->planned, &c->run, rv, &v);
    plan->complete = v.complete;
    plan->met = v.met;
    plan->t_completion = v.t_end;
    plan->completion = v.complete ? end_date(c, v.t_end) : 0;
    plan->remaining_m2 = v.remaining_m2;
    plan->remaining_team_days = v.remaining_td;
    plan->remaining_hazards = v.remaining_hazards;
    plan->funding_gap_usd = v.gap_usd;
    for (size_t r = 0; r < plan->npools; ++r) {
        cp_plan_pool *pl = &plan->pools[r];
        pl->met = rv[r].met;
        pl->t_completion = rv[r].t_end;
        pl->completion = rv[r].complete ? end_date(c, rv[r].t_end) : 0;
        pl->remaining_m2 = rv[r].remaining_m2;
        pl->remaining_team_days = rv[r].remaining_td;
    }
    free(rv);
    return CP_OK;
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
        p->budget_usd = INFINITY;
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

/* The period holding date d (the last one for later dates). */
static size_t period_of(const period_list *pl, cp_date d) {
    size_t lo = 0, hi = pl->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (pl->m[mid].start <= d)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Remaining area at the end of each period. */
static void periods_remaining(const cp_plan *plan, period_list *pl) {
    double done = 0;
    for (size_t k = 0; k < pl->n; ++k) {
        done += pl->m[k].area_m2;
        pl->m[k].remaining_m2 = plan->area_m2 - done;
        if (pl->m[k].remaining_m2 < 0 || (k + 1 == pl->n && plan->complete))
            pl->m[k].remaining_m2 = 0;
    }
}

/* Adds `area` released from an item to the classes of a period, in the shares of the item's
 * class areas (all to the last, "other", without them). */
static void class_release(const cp_plan *plan, const cp_plan_item *it, double area, double *out) {
    const size_t ncl = plan->nclasses;
    double total = 0;
    for (size_t k = 0; it->h.class_m2 && k <= ncl; ++k) total += it->h.class_m2[k];
    if (!(total > 0)) {
        out[ncl] += area;
        return;
    }
    for (size_t k = 0; k <= ncl; ++k) out[k] += area * it->h.class_m2[k] / total;
}

/* Adds the recorded run to the periods: capacity offered, work and cost split by time,
 * stage releases and completed hazards by their end dates. */
static void periods_fill(const ctx *c, period_list *pl) {
    const cp_plan *plan = c->plan;
    const cap_inst *ci = c->planned;
    const cal *cl = &c->cal;
    const size_t ncell = (size_t)c->cm.nregions * (size_t)c->cm.ntypes;
    for (size_t k = 0; k < pl->n; ++k) {
        cp_milestone *m = &pl->m[k];
        double a = (double)(m->start - plan->start), b = (double)(m->end + 1 - plan->start);
        for (size_t s = cal_find(cl, a); s < cl->nseg && cl->s[s].t0 < b; ++s) {
            double lo = a > cl->s[s].t0 ? a : cl->s[s].t0, hi = b < cl->s[s].t1 ? b : cl->s[s].t1;
            double teams = 0;
            for (size_t cell = 0; cell < ncell; ++cell) teams += ci->count[cell * cl->nseg + s];
            if (hi > lo) m->capacity_team_days += teams * (hi - lo) * cl->s[s].rate;
        }
    }
    for (size_t q = 0; q < plan->npackages; ++q) {
        const cp_plan_package *p = &plan->packages[q];
        const int *count = ci->count + (size_t)c->run.team_cell[p->team - 1] * cl->nseg;
        int k = c->run.team_k[p->team - 1];
        double rate = p->team_days > 0 ? p->cost_usd / p->team_days : 0;
        for (size_t i = period_of(pl, p->start); i < pl->n; ++i) {
            cp_milestone *m = &pl->m[i];
            double a = (double)(m->start - plan->start), b = (double)(m->end + 1 - plan->start);
            if (a >= p->t_end) break;
            double hi = i + 1 == pl->n || b > p->t_end ? p->t_end : b; /* the last takes all */
            double w = team_work(cl, count, k, a > p->t_start ? a : p->t_start, hi);
            m->team_days += w;
            m->cost_usd += w * rate;
        }
        if (p->redeployed) pl->m[period_of(pl, p->start)].redeployed++;
    }
    for (size_t i = 0; i < plan->nitems; ++i) {
        const cp_plan_item *it = &plan->items[i];
        for (int s = 0; s < CP_NMETHOD; ++s) {
            long j = c->item_job[i * CP_NMETHOD + (size_t)s];
            if (j < 0 || !isfinite(c->run.job_end[j])) continue;
            cp_milestone *m = &pl->m[period_of(pl, end_date(c, c->run.job_end[j]))];
            m->released_m2[s] += it->released_m2[s];
            m->area_m2 += it->released_m2[s];
            m->benefit += it->stage_benefit[s];
            class_release(plan, it, it->released_m2[s], m->class_released_m2);
        }
        if (it->scheduled) {
            cp_milestone *m = &pl->m[period_of(pl, it->end)];
            m->hazards_completed++;
            if (isfinite(it->h.people_within_m)) m->people_near_released += it->h.people_within_m;
        }
    }
    periods_remaining(plan, pl);
}

/* The years as the sums of their quarters (both start on the start date and end on the same
 * last day). */
static void years_from_quarters(const cp_plan *plan, const period_list *ql, period_list *yl) {
    for (size_t q = 0; q < ql->n; ++q) {
        const cp_milestone *a = &ql->m[q];
        cp_milestone *y = &yl->m[a->year - yl->m[0].year];
        y->capacity_team_days += a->capacity_team_days;
        for (int s = 0; s < CP_NMETHOD; ++s) y->released_m2[s] += a->released_m2[s];
        y->area_m2 += a->area_m2;
        y->hazards_completed += a->hazards_completed;
        y->benefit += a->benefit;
        y->team_days += a->team_days;
        y->cost_usd += a->cost_usd;
        y->redeployed += a->redeployed;
        for (size_t k = 0; k <= plan->nclasses; ++k)
            y->class_released_m2[k] += a->class_released_m2[k];
        y->people_near_released += a->people_near_released;
    }
    periods_remaining(plan, yl);
}

/* Invariant afterwards: yearly and quarterly milestones from the start to the last day of
 * work (the deadline when the schedule is incomplete) hold the recorded run, the years
 * also its budget use. */
static cp_status milestones(ctx *c) {
    cp_plan *plan = c->plan;
    cp_date last = plan->start;
    for (size_t q = 0; q < plan->npackages; ++q)
        if (plan->packages[q].end > last) last = plan->packages[q].end;
    if (!plan->complete && plan->deadline > last) last = plan->deadline;
    period_list yl = {0}, ql = {0};
    cp_status st = periods_build(plan->start, last, CP_PERIOD_YEAR, &yl);
    if (st == CP_OK) st = periods_build(plan->start, last, CP_PERIOD_QUARTER, &ql);
    const size_t ncl = plan->nclasses + 1;
    if (st == CP_OK &&
        !(plan->milestone_class_m2 = calloc((yl.n + ql.n) * ncl, sizeof *plan->milestone_class_m2)))
        st = cp_fail(CP_E_NOMEM, "out of memory");
    if (st != CP_OK) {
        free(yl.m);
        free(ql.m);
        return st;
    }
    for (size_t k = 0; k < yl.n; ++k)
        yl.m[k].class_released_m2 = plan->milestone_class_m2 + k * ncl;
    for (size_t k = 0; k < ql.n; ++k)
        ql.m[k].class_released_m2 = plan->milestone_class_m2 + (yl.n + k) * ncl;
    periods_fill(c, &ql);
    years_from_quarters(plan, &ql, &yl);
    for (size_t k = 0; k < yl.n; ++k) {
        size_t s = cal_year_seg(&c->cal, yl.m[k].year);
        if (s == SIZE_MAX) continue;
        if (c->planned->budget) yl.m[k].budget_usd = c->planned->budget[s];
        yl.m[k].budget_binding = c->run.budget_binding[s];
        yl.m[k].postponed = c->run.postponed[s];
        plan->budget_binding_years += c->run.budget_binding[s];
    }
    plan->years = yl.m;
    plan->nyears = yl.n;
    plan->quarters = ql.m;
    plan->nquarters = ql.n;
    return CP_OK;
}

/* ------------------------------------------------------------------ ideal_and_curves -- */

/* All teams of each year on one queue of divisible work: effort done by time t is the
 * integral of their rate; past the calendar the last year's teams continue. */
typedef struct {
    const cal *cal;
    double *rate, *cb; /* per segment; cb[s] = effort done at the segment's start */
    double rate_after;
} pool;

static cp_status pool_build(const ctx *c, const cap_inst *ci, pool *p) {
    const cal *cl = &c->cal;
    const size_t ncell = (size_t)c->cm.nregions * (size_t)c->cm.ntypes;
    p->cal = cl;
    p->rate = malloc(cl->nseg * sizeof *p->rate);
    p->cb = malloc((cl->nseg + 1) * sizeof *p->cb);
    if (!p->rate || !p->cb) return cp_fail(CP_E_NOMEM, "out of memory");
    p->cb[0] = 0;
    double teams = 0;
    for (size_t s = 0; s < cl->nseg; ++s) {
        teams = 0;
        for (size_t cell = 0; cell < ncell; ++cell) teams += ci->count[cell * cl->nseg + s];
        p->rate[s] = teams * cl->s[s].rate;
        p->cb[s + 1] = p->cb[s] + p->rate[s] * (cl->s[s].t1 - cl->s[s].t0);
    }
    p->rate_after = teams * cl->dpy / 365.2425;
    return CP_OK;
}

static void pool_free(pool *p) {
    free(p->rate);
    free(p->cb);
}

/* The time within segment k (cb[k] <= e <= cb[k + 1]) at which the pool has done effort e. */
static double pool_time_in(const pool *p, size_t k, double e) {
    if (!(p->rate[k] > 0)) return p->cal->s[k].t0; /* e == cb[k]: reached before the gap */
    double t = p->cal->s[k].t0 + (e - p->cb[k]) / p->rate[k];
    return t < p->cal->s[k].t1 ? t : p->cal->s[k].t1;
}

/* The earliest time at which the pool has done effort e. */
static double pool_time_at(const pool *p, double e) {
    const size_t n = p->cal->nseg;
    if (e <= 0) return 0;
    if (e > p->cb[n])
        return p->rate_after > 0 ? p->cal->s[n - 1].t1 + (e - p->cb[n]) / p->rate_after : INFINITY;
    size_t lo = 0, hi = n - 1; /* first s with cb[s + 1] >= e */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->cb[mid + 1] >= e)
            hi = mid;
        else
            lo = mid + 1;
    }
    return pool_time_in(p, lo, e);
}

/* Samples a release sequence (times nondecreasing) into cumulative benefit and remaining
 * area at the curve times; returns the curve's area over [0, horizon] in benefit x days. */
typedef struct {
    double t, benefit, area;
} release;

static double sample(const cp_plan *plan, const release *r, size_t n, double *benefit,
                     double *remaining) {
    double cb = 0, ca = 0, auc = 0;
    size_t k = 0;
    for (size_t i = 0; i <= n; ++i) {
        double t = i < n ? r[i].t : INFINITY;
        for (; k < CP_PLAN_CURVE_POINTS && plan->curve_t[k] < t; ++k) {
            benefit[k] = cb;
            remaining[k] = plan->area_m2 - ca > 0 ? plan->area_m2 - ca : 0;
        }
        if (i == n) break;
        cb += r[i].benefit;
        ca += r[i].area;
        if (r[i].t < plan->horizon_days) auc += r[i].benefit * (plan->horizon_days - r[i].t);
    }
    return auc;
}

/* The schedule's cumulative benefit and remaining area at the curve times: each stage's
 * release added at the first curve time at or after its end. */
static void schedule_curves(const ctx *c) {
    cp_plan *plan = c->plan;
    const double H = plan->horizon_days, n = CP_PLAN_CURVE_POINTS - 1;
    double b[CP_PLAN_CURVE_POINTS] = {0}, a[CP_PLAN_CURVE_POINTS] = {0};
    for (size_t j = 0; j < c->njobs; ++j) {
        double t = c->run.job_end[j];
        if (!(t <= H)) continue;
        size_t k = (size_t)ceil(t / H * n);
        while (k > 0 && plan->curve_t[k - 1] >= t) --k; /* the first curve time >= t */
        while (k < CP_PLAN_CURVE_POINTS && plan->curve_t[k] < t) ++k;
        if (k >= CP_PLAN_CURVE_POINTS) continue;
        b[k] += c->jobs[j].benefit;
        a[k] += c->jobs[j].area_m2;
    }
    double cb = 0, ca = 0;
    for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k) {
        cb += b[k], ca += a[k];
        plan->schedule_benefit[k] = cb;
        plan->schedule_remaining_m2[k] = plan->area_m2 - ca > 0 ? plan->area_m2 - ca : 0;
    }
}

/* One order of the stage jobs on the ideal bound: r holds the jobs in that order with
 * their efforts in .t, which become their release times. */
static void order_eval(const ctx *c, const pool *p, release *r, cp_plan_order *out) {
    const cp_plan *plan = c->plan;
    const size_t nseg = p->cal->nseg;
    double e = 0;
    size_t k = 0; /* the segment of e: efforts only grow along the order */
    out->sum_benefit_completion = 0;
    for (size_t q = 0; q < c->njobs; ++q) {
        e += r[q].t;
        while (k < nseg && p->cb[k + 1] < e) ++k;
        r[q].t = k < nseg && e > 0 ? pool_time_in(p, k, e) : pool_time_at(p, e);
        out->sum_benefit_completion += r[q].benefit * r[q].t;
    }
    out->auc = sample(plan, r, c->njobs, out->benefit, out->remaining_m2) / 365.25;
    double ideal = plan->benefit * plan->horizon_days / 365.25;
    out->auc_share = ideal > 0 ? out->auc / ideal : 1;
    out->computed = 1;
}

/* Invariant afterwards: the ideal bound's completion; the curve horizon; the schedule's
 * curves; each order's curves and areas on the ideal bound ([0]: the plan's order). */
static cp_status ideal_and_curves(ctx *c) {
    cp_plan *plan = c->plan;
    pool p = {0};
    release *r = malloc((c->njobs + 1) * sizeof *r);
    size_t *items = malloc((plan->nitems + 1) * sizeof *items);
    cp_status st =
        r && items ? pool_build(c, c->planned, &p) : cp_fail(CP_E_NOMEM, "out of memory");
    if (st != CP_OK) goto done;
    double total = 0, last = 0;
    for (size_t j = 0; j < c->njobs; ++j) {
        total += c->jobs[j].min_td;
        if (isfinite(c->run.job_end[j]) && c->run.job_end[j] > last) last = c->run.job_end[j];
    }
    plan->t_ideal = pool_time_at(&p, total);
    plan->ideal_met =
        isfinite(plan->t_ideal) && cal_last_day(plan->t_ideal) <= cal_last_day(c->t_deadline);
    plan->ideal_completion =
        isfinite(plan->t_ideal) && plan->t_ideal < 1e9 ? end_date(c, plan->t_ideal) : 0;
    plan->horizon_days = c->t_deadline;
    if (last > plan->horizon_days) plan->horizon_days = last;
    if (isfinite(plan->t_ideal) && plan->t_ideal > plan->horizon_days)
        plan->horizon_days = plan->t_ideal;
    for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k)
        plan->curve_t[k] = plan->horizon_days * (double)k / (CP_PLAN_CURVE_POINTS - 1);
    schedule_curves(c);
    /* the orders on the ideal bound */
    static const char *const names[CP_NORDER] = {"efficiency", "priority", "smallest", "input"};
    for (int o = 0; o < CP_NORDER; ++o) {
        plan->orders[o].name = names[o];
        if (o != CP_ORDER_EFFICIENCY && c->opts && c->opts->no_baselines) continue;
        size_t n = 0;
        if (o == CP_ORDER_EFFICIENCY) {
            for (size_t j = 0; j < c->njobs; ++j)
                r[n++] = (release){c->jobs[j].min_td, c->jobs[j].benefit, c->jobs[j].area_m2};
        } else {
            if ((st = order_baseline(plan->items, plan->nitems, &c->keys, o, items)) != CP_OK)
                goto done;
            for (size_t i = 0; i < plan->nitems; ++i) {
                const cp_plan_item *it = &plan->items[items[i]];
                for (int s = 0; s < CP_NMETHOD; ++s)
                    if (it->has_stage[s])
                        r[n++] = (release){c->min_td[items[i] * CP_NMETHOD + (size_t)s],
                                           it->stage_benefit[s], it->released_m2[s]};
            }
        }
        order_eval(c, &p, r, &plan->orders[o]);
    }
done:
    pool_free(&p);
    free(r);
    free(items);
    return st;
}

/* ------------------------------------------------------------------ teams_needed ------ */

/* Team-days one always-active team has done by time t. */
static double one_team_effort(const cal *cl, double t) {
    const cal_seg *g = &cl->s[cal_find(cl, t)];
    return g->c1 + (t - g->t0) * g->rate;
}

/* Is the planned capacity T(n) itself (constant whole teams apportioned as T)? */
static cp_status is_family(const ctx *c, int n, int *yes) {
    cap_inst ci;
    const size_t ncell = (size_t)c->cm.nregions * (size_t)c->cm.ntypes, nseg = c->cal.nseg;
    cp_status st = cap_inst_apportion(&c->cm, c->weight, n, &c->cal, &ci, NULL);
    *yes = st == CP_OK && !memcmp(ci.count, c->planned->count, ncell * nseg * sizeof *ci.count);
    cap_inst_free(&ci);
    return st;
}

/* Does T(n) meet the deadline? With `t_end`, the run goes on to the end and gives it. */
static cp_status meets(const ctx *c, int n, int *met, double *t_end) {
    cap_inst ci;
    run_out o;
    memset(&o, 0, sizeof o);
    cp_status st = cap_inst_apportion(&c->cm, c->weight, n, &c->cal, &ci, NULL);
    if (st == CP_OK)
        st = schedule_run(&c->pb, &ci, c->t_deadline, t_end ? RUN_END : RUN_MET, &c->ws, &o);
    if (st == CP_OK) *met = o.met;
    if (st == CP_OK && t_end) *t_end = o.t_end;
    run_out_free(&o);
    cap_inst_free(&ci);
    return st;
}

/* Why no number of teams in the family can meet the deadline, before any search: a stage
 * that no type of the mix does, a hazard whose chain (each package on its own team of the
 * fastest type in the mix) does not fit in the window, or a budget that cannot pay the work
 * by the deadline. Returns 1 and sets the plan's note when so. */
static int hopeless(ctx *c, double *min_total) {
    cp_plan *plan = c->plan;
    const int nt = c->cm.ntypes, nr = c->cm.nregions;
    char note[512] = "";
    int in_mix[CP_MAX_TYPES] = {0};
    for (int t = 0; t < nt; ++t)
        for (int r = 0; r < nr; ++r) in_mix[t] |= c->weight[r * nt + t] > 0;
    double *chain = calloc(plan->nitems + 1, sizeof *chain), cost = 0;
    *min_total = 0;
    for (size_t j = 0; chain && j < c->njobs; ++j) {
        const job *jb = &c->jobs[j];
        if (!jb->npk) continue;
        double w = INFINITY, usd = INFINITY;
        for (int t = 0; t < nt; ++t) {
            double e = c->td[j * (size_t)nt + (size_t)t];
            if (isnan(e) || !in_mix[t]) continue;
            if (e / jb->npk < w) w = e / jb->npk;
            if (e * c->usd[t] < usd) usd = e * c->usd[t];
        }
        const char *id = plan->items[jb->item].h.id;
        if (!isfinite(w)) {
            if (!note[0])
                snprintf(note, sizeof note,
                         "no team of a type in the capacity does %s (hazard <%s>)",
                         cp_plan_stage_name(jb->stage), id);
            continue;
        }
        *min_total += w * jb->npk;
        cost += usd;
        double before = chain[jb->item], t = cal_unint_finish(&c->cal, before, w);
        chain[jb->item] = t;
        if (!(t <= c->t_deadline + CP_DAY_EPS) && before <= c->t_deadline + CP_DAY_EPS) {
            if (!plan->ninfeasible++) plan->infeasible_id = cp_strdup(id); /* once per hazard */
        }
    }
    if (!chain) return -1;
    free(chain);
    if (plan->ninfeasible && !note[0])
        snprintf(note, sizeof note,
                 "hazard <%s>%s cannot be finished by the deadline by any number of teams "
                 "(a work package is done by one team)",
                 plan->infeasible_id ? plan->infeasible_id : "?",
                 plan->ninfeasible > 1 ? " and others" : "");
    if (!note[0] && c->planned->budget) {
        double funds = 0;
        for (int s = 0; s <= c->deadline_seg; ++s) funds += c->planned->budget[s];
        if (funds < cost * (1 - 1e-12))
            snprintf(
                note, sizeof note,
                "the yearly budget pays at most US$ %.0f of the US$ %.0f the work costs by the "
                "deadline",
                funds, cost);
    }
    if (!note[0]) return 0;
    plan->teams_needed_note = cp_strdup(note);
    return 1;
}

/* Invariant afterwards: teams_needed = N with T(N) meeting and T(N - 1) missing, both run
 * (or -1 with the reason); the regions' and types' shares of T(N). */
static cp_status teams_needed(ctx *c) {
    cp_plan *plan = c->plan;
    const int ncell = c->cm.nregions * c->cm.ntypes;
    int *alloc = calloc((size_t)ncell + 1, sizeof *alloc);
    cp_status st = alloc ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
    plan->teams_needed = -1;
    for (size_t r = 0; r < plan->npools; ++r) plan->pools[r].teams_needed = -1;
    for (size_t t = 0; t < plan->ntypes; ++t) plan->types[t].teams_needed = -1;
    if (st != CP_OK) goto done;
    if (c->pb.npackages == 0) { /* no work: no team needed */
        plan->teams_needed = 0;
        for (size_t r = 0; r < plan->npools; ++r) plan->pools[r].teams_needed = 0;
        for (size_t t = 0; t < plan->ntypes; ++t) plan->types[t].teams_needed = 0;
        goto done;
    }
    double total = 0;
    int h = hopeless(c, &total);
    if (h < 0) st = cp_fail(CP_E_NOMEM, "out of memory");
    if (h) goto done;
    /* the ideal bound with n teams: n x (effort of one always-active team by the deadline) */
    double one = one_team_effort(&c->cal, c->t_deadline);
    double lb = ceil(total / one - 1e-9);
    const double cap_n = fmin(16.0 * (double)c->pb.npackages + 16, 1 << 21);
    int lo = lb < 1 ? 1 : lb > cap_n ? (int)cap_n : (int)lb;
    /* below the bound T(n) misses; lo - 1 is run at the end if it is the answer's N - 1 */
    int miss = lo - 1, hit = INT_MAX, met = 0, miss_run = miss == 0;
    /* Guesses: a schedule's end in one-team effort is about A / n + B (the work spread over
       n teams, plus a tail); the plan's own run (when it is T(n) itself) and each new run
       refit A and B. */
    double n1 = plan->teams, e1 = INFINITY;
    if (plan->complete) {
        int shaped;
        if ((st = is_family(c, (int)plan->teams, &shaped)) != CP_OK) goto done;
        if (shaped) e1 = one_team_effort(&c->cal, plan->t_completion);
    }
    double guess = isfinite(e1) && n1 > 0 && one - (e1 - total / n1) > 0
                       ? ceil(total / (one - (e1 - total / n1)) - 1e-9)
                       : lo;
    for (int iter = 0; iter < 8; ++iter) {
        int n = guess < lo ? lo : guess > cap_n ? (int)cap_n : (int)guess;
        if (n <= miss || n >= hit) break;
        double t_end = INFINITY;
        if ((st = meets(c, n, &met, &t_end)) != CP_OK) goto done;
        if (met)
            hit = n;
        else
            miss = n, miss_run = 1;
        double e2 = isfinite(t_end) ? one_team_effort(&c->cal, t_end) : INFINITY;
        double A = isfinite(e1) && isfinite(e2) && n != n1 ? (e1 - e2) / (1 / n1 - 1.0 / n) : total;
        double B = isfinite(e2) ? e2 - A / n : INFINITY;
        if (!(A > 0) || !(one - B > 0)) break;
        guess = ceil(A / (one - B) - 1e-9);
        n1 = n, e1 = e2;
    }
    for (int step = 1; hit == INT_MAX; step *= 2) { /* up until a count meets */
        int n = miss + step > cap_n ? (int)cap_n : miss + step;
        if ((st = meets(c, n, &met, NULL)) != CP_OK) goto done;
        if (met) {
            hit = n;
        } else if (n >= cap_n) {
            char note[160];
            snprintf(note, sizeof note, "no number of teams up to %d meets the deadline", n);
            plan->teams_needed_note = cp_strdup(note);
            goto done;
        } else {
            miss = n, miss_run = 1;
        }
    }
    for (;;) {
        for (int step = 1; miss < hit - 1;) { /* down from a count that met until one misses */
            int n = hit - step > miss ? hit - step : miss + 1;
            if ((st = meets(c, n, &met, NULL)) != CP_OK) goto done;
            if (!met) {
                miss = n, miss_run = 1;
                break;
            }
            hit = n;
            step *= 2;
        }
        while (hit - miss > 1) { /* invariant: T(miss) misses (or miss == 0), T(hit) meets */
            int mid = miss + (hit - miss) / 2;
            if ((st = meets(c, mid, &met, NULL)) != CP_OK) goto done;
            if (met)
                hit = mid;
            else
                miss = mid, miss_run = 1;
        }
        if (miss_run) break;
        /* N - 1 is the bound's lo - 1, never run: run it (an anomaly may make it meet) */
        if ((st = meets(c, miss, &met, NULL)) != CP_OK) goto done;
        miss_run = 1;
        if (met) hit = miss, miss = 0, miss_run = 1; /* bisect below it */
    }
    cap_inst ci; /* T(hit)'s cells (it was run above) */
    if ((st = cap_inst_apportion(&c->cm, c->weight, hit, &c->cal, &ci, alloc)) != CP_OK) goto done;
    cap_inst_free(&ci);
    plan->teams_needed = hit;
    for (size_t r = 0; r < plan->npools; ++r) plan->pools[r].teams_needed = 0;
    for (size_t t = 0; t < plan->ntypes; ++t) plan->types[t].teams_needed = 0;
    for (int k = 0; k < ncell; ++k) {
        plan->pools[k / c->cm.ntypes].teams_needed += alloc[k];
        plan->types[k % c->cm.ntypes].teams_needed += alloc[k];
    }
done:
    free(alloc);
    return st;
}

/* ------------------------------------------------------------------ sweep ------------- */

/* Invariant afterwards: one row per swept N, from a recorded run of T(N). */
static cp_status sweep(ctx *c) {
    cp_plan *plan = c->plan;
    const cp_plan_options *o = c->opts;
    if (!o || !o->nsweep) return CP_OK;
    plan->sweep = calloc(o->nsweep, sizeof *plan->sweep);
    if (!plan->sweep) return cp_fail(CP_E_NOMEM, "out of memory");
    plan->nsweep = o->nsweep;
    for (size_t k = 0; k < o->nsweep; ++k) {
        cp_plan_sweep_row *row = &plan->sweep[k];
        row->teams = o->sweep_teams[k];
        if (o->teams == o->sweep_teams[k]) { /* the plan itself */
            row->complete = plan->complete;
            row->t_completion = plan->t_completion;
            row->completion = plan->completion;
            row->met = plan->met;
            row->remaining_m2 = plan->remaining_m2;
            row->remaining_team_days = plan->remaining_team_days;
            row->funding_gap_usd = plan->funding_gap_usd;
            continue;
        }
        cap_inst ci;
        run_out ro;
        memset(&ro, 0, sizeof ro);
        cp_status st = cap_inst_apportion(&c->cm, c->weight, o->sweep_teams[k], &c->cal, &ci, NULL);
        if (st == CP_OK) st = schedule_run(&c->pb, &ci, c->t_deadline, RUN_RECORD, &c->ws, &ro);
        verdict v, *rv = st == CP_OK ? malloc((size_t)c->cm.nregions * sizeof *rv) : NULL;
        if (st == CP_OK && !rv) st = cp_fail(CP_E_NOMEM, "out of memory");
        if (st == CP_OK) {
            summarize(c, &ci, &ro, rv, &v);
            row->complete = v.complete;
            row->t_completion = v.t_end;
            row->completion = v.complete ? end_date(c, v.t_end) : 0;
            row->met = v.met;
            row->remaining_m2 = v.remaining_m2;
            row->remaining_team_days = v.remaining_td;
            row->funding_gap_usd = v.gap_usd;
        }
        free(rv);
        run_out_free(&ro);
        cap_inst_free(&ci);
        if (st != CP_OK) return st;
    }
    return CP_OK;
}

/* ------------------------------------------------------------------ the plan ---------- */

void cp_plan_free(cp_plan *plan) {
    if (!plan) return;
    for (size_t i = 0; i < plan->nitems; ++i) {
        cp_plan_item *it = &plan->items[i];
        free((char *)it->h.id);
        free((char *)it->h.region);
        free((unsigned char *)it->h.wkb);
        free((double *)it->h.class_m2);
        if (it->h.extra) {
            for (size_t k = 0; k < plan->ncolumns; ++k) free((char *)it->h.extra[k].text);
            free((cp_plan_value *)it->h.extra);
        }
    }
    free(plan->items);
    free(plan->packages);
    for (size_t i = 0; i < plan->nexcluded; ++i) {
        free(plan->excluded[i].id);
        free(plan->excluded[i].reason);
    }
    free(plan->excluded);
    for (size_t k = 0; k < plan->ncolumns; ++k) free((char *)plan->columns[k].name);
    free(plan->columns);
    free(plan->classes);
    for (size_t p = 0; p < plan->npools; ++p) free(plan->pools[p].name);
    free(plan->pools);
    for (size_t t = 0; t < plan->ntypes; ++t) free(plan->types[t].name);
    free(plan->types);
    free(plan->team_list);
    free(plan->years);
    free(plan->quarters);
    free(plan->milestone_class_m2);
    free(plan->sweep);
    free(plan->teams_needed_note);
    free(plan->infeasible_id);
    free(plan);
}

/* The plan's fields that echo the inputs, and its regions and types. */
static cp_status plan_header(ctx *c) {
    cp_plan *plan = c->plan;
    const cp_capacity *cap = c->cap;
    const cap_model *m = &c->cm;
    plan->start = cap->start;
    plan->deadline = cap->deadline;
    plan->days_per_year = cap->days_per_year;
    plan->package_team_days = cap->package_team_days;
    plan->team_day_usd = c->cost->team_day_usd;
    plan->ninput = c->n;
    plan->has_regions = cap->nregions > 0;
    plan->has_types = cap->ntypes > 0;
    plan->has_budget = c->planned->budget != NULL;
    plan->redeploy = c->planned->redeploy;
    plan->mobilisation_days = c->planned->mobilisation_days;
    const size_t ncell = (size_t)m->nregions * (size_t)m->ntypes;
    for (size_t cell = 0; cell < ncell; ++cell) {
        const int *count = c->planned->count + cell * c->cal.nseg;
        plan->teams += count[0];
        for (size_t s = 1; s < c->cal.nseg; ++s) plan->has_per_year |= count[s] != count[0];
    }
    plan->npools = (size_t)m->nregions;
    plan->ntypes = (size_t)m->ntypes;
    plan->pools = calloc(plan->npools, sizeof *plan->pools);
    plan->types = calloc(plan->ntypes, sizeof *plan->types);
    if (!plan->pools || !plan->types) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t r = 0; r < plan->npools; ++r)
        if (!(plan->pools[r].name = cp_strdup(m->region[r])))
            return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t t = 0; t < plan->ntypes; ++t) {
        cp_plan_type *pt = &plan->types[t];
        if (!(pt->name = cp_strdup(m->types[t].name))) return cp_fail(CP_E_NOMEM, "out of memory");
        for (int s = 0; s < CP_NMETHOD; ++s) pt->stages[s] = m->types[t].does[s];
        pt->team_day_usd = m->types[t].usd;
    }
    return CP_OK;
}

cp_status cp_plan_compute(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                          const cp_cost *cost, const cp_plan_rules *rules,
                          const cp_plan_options *opts, cp_plan **out) {
    if (!out || !cap || !cost || (n && !hazards))
        return cp_fail(CP_E_ARG, "cp_plan_compute: NULL argument");
    *out = NULL;
    ctx c;
    memset(&c, 0, sizeof c);
    c.hz = hazards;
    c.n = n;
    c.cap = cap;
    c.cost = cost;
    c.rules = rules;
    c.opts = opts;
    c.plan = calloc(1, sizeof *c.plan);
    cp_status st = c.plan ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
    if (st == CP_OK) st = check_arguments(&c);
    if (st == CP_OK) st = collect_items(&c);
    if (st == CP_OK) st = resolve_capacity(&c);
    if (st == CP_OK) {
        stage_efforts(&c);
        st = order_and_jobs(&c);
    }
    if (st == CP_OK) st = planned_capacity(&c);
    if (st == CP_OK) st = plan_header(&c);
    if (st == CP_OK) st = schedule_plan(&c);
    if (st == CP_OK) st = verdict_plan(&c);
    if (st == CP_OK) st = milestones(&c);
    if (st == CP_OK) st = ideal_and_curves(&c);
    if (st == CP_OK) st = teams_needed(&c);
    if (st == CP_OK) st = sweep(&c);
    if (st == CP_OK) {
        *out = c.plan;
        c.plan = NULL;
    }
    cp_plan_free(c.plan);
    free(c.lockpos);
    free(c.idrank);
    cal_free(&c.cal);
    cap_model_free(&c.cm);
    free(c.jobs);
    free(c.td);
    free(c.does);
    free(c.usd);
    free(c.item_job);
    free(c.min_td);
    free(c.job_pk);
    free(c.ws.jend);
    free(c.ws.state);
    free(c.ws.deferred);
    free(c.weight);
    cap_inst_free(&c.own);
    run_out_free(&c.run);
    return st;
}
