/* The Monte Carlo of the plan (clearplan/evidence.h): every sample draws the uncertain
 * figures, plans the hazards with them, and keeps what its team schedule says; the summaries
 * are made afterwards in sample order. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/evidence.h>

#include "planner.h"
#include "random.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Random streams of a sample, one per uncertain figure (random.h). */
enum {
    STREAM_CLASS = 0x01000000, /* | land-cover code */
    STREAM_OTHER = 0x02000000,
    STREAM_TYPE = 0x03000000, /* | type index */
    STREAM_NTS = 0x04000000,
    STREAM_TS = 0x04000001,
    STREAM_RELEASE = 0x05000000, /* | status * CP_NMETHOD + method */
    STREAM_AVAILABILITY = 0x06000000,
    STREAM_USD = 0x06000001
};

/* The value of a range in a sample: its draw, or `value` when it is not uncertain. */
static double draw(const cp_range *r, int dist, uint64_t seed, size_t sample, uint32_t stream,
                   double value) {
    if (!r->given) return value;
    cp_rng g;
    cp_rng_init(&g, seed, (uint32_t)sample, stream);
    return cp_rng_three_point(&g, (cp_dist_kind)dist, r->min, r->likely, r->max);
}

static double table_value(const cp_class_value *tab, size_t n, int code, double dflt) {
    for (size_t i = 0; i < n; ++i)
        if (tab[i].code == code) return tab[i].value;
    return dflt;
}

/* The figures of one sample: its cost section, capacity and materialised team types (one
 * explicit type "team" when the capacity has none, so that the productivities of the work
 * change while the cost section, which makes the plan order, keeps its figures). */
typedef struct {
    cp_cost cost;
    cp_capacity cap;
    cp_team_type *types;
    cp_class_value *tables; /* ntypes x nclasses */
    size_t ntypes;
    double availability, other, usd;
} world;

static void world_free(world *w) {
    free(w->types);
    free(w->tables);
    memset(w, 0, sizeof *w);
}

static cp_status world_draw(world *w, const cp_capacity *cap, const cp_cost *cost,
                            const int *classes, size_t ncl, const cp_mc_options *mo,
                            size_t sample) {
    static const cp_uncertainty none;
    const cp_uncertainty *u = mo->u ? mo->u : &none;
    const int dist = u->distribution;
    const uint64_t seed = mo->seed;
    memset(w, 0, sizeof *w);
    w->cost = *cost;
    w->cap = *cap;
    w->ntypes = cap->ntypes ? cap->ntypes : 1;
    w->types = calloc(w->ntypes, sizeof *w->types);
    w->tables = calloc(w->ntypes * (ncl + 1), sizeof *w->tables);
    if (!w->types || !w->tables) return cp_fail(CP_E_NOMEM, "out of memory");
    /* release shares, each row scaled to sum to 1 */
    for (int s = 0; s < CP_NSTATUS; ++s) {
        double sum = 0, row[CP_NMETHOD];
        int any = 0;
        for (int m = 0; m < CP_NMETHOD; ++m) {
            const cp_range *r = &u->release[s][m];
            any |= r->given;
            row[m] = draw(r, dist, seed, sample, STREAM_RELEASE | (uint32_t)(s * CP_NMETHOD + m),
                          cost->release[s][m]);
            sum += row[m];
        }
        for (int m = 0; any && sum > 0 && m < CP_NMETHOD; ++m) w->cost.release[s][m] = row[m] / sum;
    }
    w->availability = draw(&u->availability, dist, seed, sample, STREAM_AVAILABILITY, 1);
    w->cap.days_per_year = cap->days_per_year * w->availability;
    w->usd = draw(&u->team_day_usd, dist, seed, sample, STREAM_USD, 1);
    w->cost.team_day_usd = cost->team_day_usd * w->usd;
    w->other = draw(&u->productivity, dist, seed, sample, STREAM_OTHER, 1);
    const double fnts = draw(&u->nts, dist, seed, sample, STREAM_NTS, 1);
    const double fts = draw(&u->ts, dist, seed, sample, STREAM_TS, 1);
    double fclass[256], *fc = ncl <= 256 ? fclass : malloc(ncl * sizeof *fc);
    if (!fc) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t k = 0; k < ncl; ++k) {
        const cp_range *r = &u->productivity;
        for (size_t j = 0; j < u->nclasses; ++j)
            if (u->classes[j].code == classes[k]) r = &u->classes[j].range;
        fc[k] = draw(r, dist, seed, sample, STREAM_CLASS | ((uint32_t)classes[k] & 0xFFFFFFu), 1);
    }
    for (size_t t = 0; t < w->ntypes; ++t) {
        const cp_team_type *tt = cap->ntypes ? &cap->types[t] : NULL;
        cp_team_type *o = &w->types[t];
        double g = 1;
        for (size_t j = 0; tt && j < u->ntypes; ++j)
            if (!strcmp(u->types[j].name, tt->name))
                g = draw(&u->types[j].range, dist, seed, sample, STREAM_TYPE | (uint32_t)t, 1);
        int own = tt && !isnan(tt->productivity_default_m2);
        double dflt = own ? tt->productivity_default_m2 : cost->productivity_default_m2;
        o->name = tt ? tt->name : "team";
        for (int s = 0; s < CP_NMETHOD; ++s) o->stages[s] = tt ? tt->stages[s] : 1;
        o->nts_m2_per_team_day =
            (tt && !isnan(tt->nts_m2_per_team_day) ? tt->nts_m2_per_team_day
                                                   : cost->nts_m2_per_team_day) *
            fnts * g;
        o->ts_m2_per_team_day = (tt && !isnan(tt->ts_m2_per_team_day) ? tt->ts_m2_per_team_day
                                                                      : cost->ts_m2_per_team_day) *
                                fts * g;
        o->team_day_usd =
            (tt && !isnan(tt->team_day_usd) ? tt->team_day_usd : cost->team_day_usd) * w->usd;
        o->productivity_default_m2 = dflt * w->other * g;
        o->productivity = w->tables + t * (ncl + 1);
        o->nproductivity = ncl;
        for (size_t k = 0; k < ncl; ++k) {
            double base =
                own ? table_value(tt->productivity, tt->nproductivity, classes[k], dflt)
                    : table_value(cost->productivity, cost->nproductivity, classes[k], dflt);
            o->productivity[k] = (cp_class_value){classes[k], base * fc[k] * g};
        }
    }
    if (fc != fclass) free(fc);
    w->cap.types = w->types;
    w->cap.ntypes = w->ntypes;
    return CP_OK;
}

/* What a sample keeps of its plan. */
typedef struct {
    cp_status st;
    char msg[256];
    cp_mc_sample s;
    double *quarter_remaining; /* at the end of each quarter */
    size_t nquarters;
    unsigned char *region_met;
    double *region_t;
} sample_out;

static cp_status run_sample(const cp_hazard *hz, size_t n, const cp_capacity *cap,
                            const cp_cost *cost, const cp_plan_rules *rules,
                            const cp_plan_options *opts, const cp_mc_options *mo, size_t k,
                            sample_out *o) {
    cp_plan_options po = {0};
    if (opts) po = *opts;
    if (po.stop && po.stop(po.stop_arg)) return cp_fail(CP_E_INTERRUPTED, "interrupted");
    po.sweep_teams = NULL;
    po.nsweep = 0;
    po.no_baselines = 1;
    world w;
    cp_plan *plan = NULL;
    cp_status st = world_draw(&w, cap, cost, po.classes, po.nclasses, mo, k);
    if (st == CP_OK) st = cp_plan_compute(hz, n, &w.cap, &w.cost, rules, &po, &plan);
    if (st == CP_OK) {
        o->s = (cp_mc_sample){plan->met,
                              plan->complete,
                              plan->t_completion,
                              plan->completion,
                              plan->remaining_m2,
                              plan->teams_needed,
                              plan->cost_usd,
                              w.availability,
                              w.other,
                              w.usd};
        o->nquarters = plan->nquarters;
        o->quarter_remaining = malloc((plan->nquarters + 1) * sizeof *o->quarter_remaining);
        o->region_met = malloc(plan->npools + 1);
        o->region_t = malloc((plan->npools + 1) * sizeof *o->region_t);
        if (!o->quarter_remaining || !o->region_met || !o->region_t)
            st = cp_fail(CP_E_NOMEM, "out of memory");
    }
    for (size_t q = 0; st == CP_OK && q < plan->nquarters; ++q)
        o->quarter_remaining[q] = plan->quarters[q].remaining_m2;
    for (size_t r = 0; st == CP_OK && r < plan->npools; ++r) {
        o->region_met[r] = (unsigned char)plan->pools[r].met;
        o->region_t[r] = plan->pools[r].t_completion;
    }
    cp_plan_free(plan);
    world_free(&w);
    return st;
}

/* ------------------------------------------------------------------ summaries --------- */

int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double nearest_rank(double *v, size_t n, double q) {
    qsort(v, n, sizeof *v, cmp_double);
    size_t r = (size_t)ceil(q * (double)n - 1e-9);
    return v[r > 0 ? r - 1 : 0];
}

/* The last day of the quarter holding date d. */
static cp_date quarter_end(cp_date d) {
    int y, m;
    cp_date_split(d, &y, &m, NULL);
    int q = (m - 1) / 3 + 1;
    return (q == 4 ? cp_date_make(y + 1, 1, 1) : cp_date_make(y, 3 * q + 1, 1)) - 1;
}

static cp_status summarise(cp_plan_mc *mc, sample_out *so, size_t S) {
    double *v = malloc((S + 1) * sizeof *v);
    if (!v) return cp_fail(CP_E_NOMEM, "out of memory");
    static const double q3[3] = {0.10, 0.50, 0.90}, q5[5] = {0.05, 0.10, 0.50, 0.90, 0.95};
    size_t met = 0, nq = 0;
    for (size_t k = 0; k < S; ++k) {
        met += (size_t)so[k].s.met;
        if (so[k].nquarters > nq) nq = so[k].nquarters;
    }
    mc->p_met = (double)met / (double)S;
    for (int i = 0; i < 3; ++i) {
        for (size_t k = 0; k < S; ++k) v[k] = so[k].s.t_completion;
        mc->completion_p[i] = nearest_rank(v, S, q3[i]);
        for (size_t k = 0; k < S; ++k) v[k] = so[k].s.remaining_m2;
        mc->remaining_p[i] = nearest_rank(v, S, q3[i]);
        for (size_t k = 0; k < S; ++k) v[k] = so[k].s.cost_usd;
        mc->cost_p[i] = nearest_rank(v, S, q3[i]);
    }
    int *teams[2] = {&mc->teams_p80, &mc->teams_p95};
    for (int i = 0; i < 2; ++i) {
        for (size_t k = 0; k < S; ++k)
            v[k] = so[k].s.teams_needed >= 0 ? so[k].s.teams_needed : INFINITY;
        double t = nearest_rank(v, S, i ? 0.95 : 0.80);
        *teams[i] = isfinite(t) ? (int)t : -1;
    }
    mc->nfan = nq;
    mc->fan_date = malloc((nq + 1) * sizeof *mc->fan_date);
    for (int i = 0; i < 5; ++i) mc->fan_p[i] = malloc((nq + 1) * sizeof *mc->fan_p[i]);
    cp_status st = CP_OK;
    for (int i = 0; i < 5; ++i)
        if (!mc->fan_p[i]) st = cp_fail(CP_E_NOMEM, "out of memory");
    if (!mc->fan_date) st = cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t q = 0; st == CP_OK && q < nq; ++q) {
        mc->fan_date[q] = quarter_end(q ? mc->fan_date[q - 1] + 1 : mc->start);
        for (int i = 0; i < 5; ++i) {
            for (size_t k = 0; k < S; ++k) {
                const sample_out *o = &so[k];
                v[k] = q < o->nquarters                 ? o->quarter_remaining[q]
                       : o->s.complete || !o->nquarters ? 0
                                                        : o->quarter_remaining[o->nquarters - 1];
            }
            mc->fan_p[i][q] = nearest_rank(v, S, q5[i]);
        }
    }
    for (size_t r = 0; st == CP_OK && r < mc->nregions; ++r) {
        size_t rm = 0;
        for (size_t k = 0; k < S; ++k) rm += so[k].region_met[r];
        mc->regions[r].p_met = (double)rm / (double)S;
        for (int i = 0; i < 3; ++i) {
            for (size_t k = 0; k < S; ++k) v[k] = so[k].region_t[r];
            mc->regions[r].completion_p[i] = nearest_rank(v, S, q3[i]);
        }
    }
    free(v);
    return st;
}

void cp_plan_mc_free(cp_plan_mc *mc) {
    if (!mc) return;
    free(mc->samples);
    free(mc->fan_date);
    for (int i = 0; i < 5; ++i) free(mc->fan_p[i]);
    free(mc->regions);
    for (size_t r = 0; mc->region_names && r < mc->nregions; ++r) free(mc->region_names[r]);
    free(mc->region_names);
    free(mc);
}

/* A new result for S samples: its header and the regions' names (the samples and summaries
 * to fill). */
static cp_status mc_new(const cp_capacity *cap, const cp_mc_options *mo, cp_plan_mc **out) {
    const size_t S = mo->samples;
    cp_plan_mc *mc = calloc(1, sizeof *mc);
    if (!mc) return cp_fail(CP_E_NOMEM, "out of memory");
    mc->nsamples = S;
    mc->seed = mo->seed;
    mc->distribution = mo->u ? mo->u->distribution : 0;
    mc->start = cap->start;
    mc->deadline = cap->deadline;
    mc->nregions = cap->nregions ? cap->nregions : 1;
    mc->regions = calloc(mc->nregions, sizeof *mc->regions);
    mc->region_names = calloc(mc->nregions, sizeof *mc->region_names);
    mc->samples = calloc(S, sizeof *mc->samples);
    cp_status st = CP_OK;
    if (!mc->regions || !mc->region_names || !mc->samples)
        st = cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t r = 0; st == CP_OK && r < mc->nregions; ++r) {
        const char *name = cap->nregions ? cap->regions[r].name : "all";
        size_t len = strlen(name) + 1;
        if (!(mc->region_names[r] = malloc(len))) st = cp_fail(CP_E_NOMEM, "out of memory");
        if (mc->region_names[r]) memcpy(mc->region_names[r], name, len);
    }
    if (st == CP_OK)
        *out = mc;
    else
        cp_plan_mc_free(mc);
    return st;
}

static void outs_free(sample_out *so, size_t n) {
    for (size_t k = 0; so && k < n; ++k) {
        free(so[k].quarter_remaining);
        free(so[k].region_met);
        free(so[k].region_t);
    }
    free(so);
}

static cp_status check_options(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                               const cp_cost *cost, const cp_mc_options *mo) {
    if (!cap || !cost || !mo || (n && !hazards))
        return cp_fail(CP_E_ARG, "cp_plan_montecarlo: NULL argument");
    if (mo->samples < 1 || mo->samples > 10000000)
        return cp_fail(CP_E_ARG, "monte carlo: samples must be from 1 to 10000000 (got %zu)",
                       mo->samples);
    return CP_OK;
}

/* Samples [first, end) into so[0 .. end - first) (in parallel); the first failing sample's
 * error in sample order. */
static cp_status run_samples(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                             const cp_cost *cost, const cp_plan_rules *rules,
                             const cp_plan_options *opts, const cp_mc_options *mo, size_t first,
                             size_t end, sample_out *so) {
    int threads = mo->threads;
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
    for (long k = (long)first; k < (long)end; ++k) {
        sample_out *o = &so[k - (long)first];
        o->st = run_sample(hazards, n, cap, cost, rules, opts, mo, (size_t)k, o);
        if (o->st != CP_OK) {
            const char *m = cp_errmsg();
            size_t len = strlen(m);
            if (len >= sizeof o->msg) len = sizeof o->msg - 1;
            memcpy(o->msg, m, len);
            o->msg[len] = '\0';
        }
    }
    (void)threads;
    for (size_t k = first; k < end; ++k)
        if (so[k - first].st == CP_E_INTERRUPTED) return cp_fail(CP_E_INTERRUPTED, "interrupted");
    for (size_t k = first; k < end; ++k)
        if (so[k - first].st != CP_OK)
            return cp_fail(so[k - first].st, "monte carlo sample %zu: %s", k + 1,
                           so[k - first].msg);
    return CP_OK;
}

/* The samples' results into mc, then the summaries. */
static cp_status finish(cp_plan_mc *mc, sample_out *so) {
    for (size_t k = 0; k < mc->nsamples; ++k) mc->samples[k] = so[k].s;
    return summarise(mc, so, mc->nsamples);
}

cp_status cp_plan_montecarlo(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                             const cp_cost *cost, const cp_plan_rules *rules,
                             const cp_plan_options *opts, const cp_mc_options *mo,
                             cp_plan_mc **out) {
    if (!out) return cp_fail(CP_E_ARG, "cp_plan_montecarlo: NULL argument");
    *out = NULL;
    cp_status st = check_options(hazards, n, cap, cost, mo);
    if (st != CP_OK) return st;
    cp_plan_mc *mc = NULL;
    sample_out *so = calloc(mo->samples, sizeof *so);
    if (!so) return cp_fail(CP_E_NOMEM, "out of memory");
    if ((st = mc_new(cap, mo, &mc)) == CP_OK &&
        (st = run_samples(hazards, n, cap, cost, rules, opts, mo, 0, mo->samples, so)) == CP_OK &&
        (st = finish(mc, so)) == CP_OK) {
        *out = mc;
        mc = NULL;
    }
    outs_free(so, mo->samples);
    cp_plan_mc_free(mc);
    return st;
}

/* ---- in parts: a sample packed as bytes ---- */

/* A sample's bytes: its cp_mc_sample, its counts of quarters and regions (uint64 each), the
 * remaining area at the end of each quarter, each region's completion time, then each
 * region's deadline flag (a byte). */
static size_t packed_size(const sample_out *o, size_t nregions) {
    return sizeof o->s + 2 * sizeof(uint64_t) + (o->nquarters + nregions) * sizeof(double) +
           nregions;
}

cp_status cp_plan_mc_part(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                          const cp_cost *cost, const cp_plan_rules *rules,
                          const cp_plan_options *opts, const cp_mc_options *mo, size_t first,
                          size_t end, void **bytes, size_t *nbytes) {
    if (!bytes || !nbytes) return cp_fail(CP_E_ARG, "cp_plan_mc_part: NULL argument");
    *bytes = NULL, *nbytes = 0;
    cp_status st = check_options(hazards, n, cap, cost, mo);
    if (st != CP_OK) return st;
    if (first > end || end > mo->samples)
        return cp_fail(CP_E_ARG, "cp_plan_mc_part: samples %zu .. %zu of %zu", first, end,
                       mo->samples);
    const size_t m = end - first, nr = cap->nregions ? cap->nregions : 1;
    sample_out *so = calloc(m ? m : 1, sizeof *so);
    if (!so) return cp_fail(CP_E_NOMEM, "out of memory");
    st = run_samples(hazards, n, cap, cost, rules, opts, mo, first, end, so);
    size_t total = 0;
    for (size_t k = 0; st == CP_OK && k < m; ++k) total += packed_size(&so[k], nr);
    unsigned char *buf = st == CP_OK ? malloc(total ? total : 1) : NULL;
    if (st == CP_OK && !buf) st = cp_fail(CP_E_NOMEM, "out of memory");
    unsigned char *at = buf;
    for (size_t k = 0; st == CP_OK && k < m; ++k) {
        const sample_out *o = &so[k];
        uint64_t counts[2] = {o->nquarters, nr};
        memcpy(at, &o->s, sizeof o->s), at += sizeof o->s;
        memcpy(at, counts, sizeof counts), at += sizeof counts;
        memcpy(at, o->quarter_remaining, o->nquarters * sizeof(double));
        at += o->nquarters * sizeof(double);
        memcpy(at, o->region_t, nr * sizeof(double)), at += nr * sizeof(double);
        memcpy(at, o->region_met, nr), at += nr;
    }
    outs_free(so, m);
    if (st == CP_OK)
        *bytes = buf, *nbytes = total;
    else
        free(buf);
    return st;
}

/* The next sample of a part into o (its arrays malloc'd); 0 when the bytes are malformed. */
static int unpack_sample(const unsigned char **at, const unsigned char *end, size_t nr,
                         sample_out *o) {
    uint64_t counts[2];
    if ((size_t)(end - *at) < sizeof o->s + sizeof counts) return 0;
    memcpy(&o->s, *at, sizeof o->s), *at += sizeof o->s;
    memcpy(counts, *at, sizeof counts), *at += sizeof counts;
    if (counts[1] != nr || counts[0] > (uint64_t)(end - *at) / sizeof(double)) return 0;
    o->nquarters = (size_t)counts[0];
    size_t need = (o->nquarters + nr) * sizeof(double) + nr;
    if ((size_t)(end - *at) < need) return 0;
    o->quarter_remaining = malloc((o->nquarters + 1) * sizeof(double));
    o->region_t = malloc(nr * sizeof(double));
    o->region_met = malloc(nr);
    if (!o->quarter_remaining || !o->region_t || !o->region_met) return 0;
    memcpy(o->quarter_remaining, *at, o->nquarters * sizeof(double));
    *at += o->nquarters * sizeof(double);
    memcpy(o->region_t, *at, nr * sizeof(double)), *at += nr * sizeof(double);
    memcpy(o->region_met, *at, nr), *at += nr;
    return 1;
}

cp_status cp_plan_mc_assemble(const cp_capacity *cap, const cp_mc_options *mo, const void *bytes,
                              size_t nbytes, cp_plan_mc **out) {
    if (!out || !cap || !mo || (nbytes && !bytes))
        return cp_fail(CP_E_ARG, "cp_plan_mc_assemble: NULL argument");
    *out = NULL;
    if (mo->samples < 1 || mo->samples > 10000000)
        return cp_fail(CP_E_ARG, "monte carlo: samples must be from 1 to 10000000 (got %zu)",
                       mo->samples);
    const size_t S = mo->samples, nr = cap->nregions ? cap->nregions : 1;
    cp_plan_mc *mc = NULL;
    sample_out *so = calloc(S, sizeof *so);
    if (!so) return cp_fail(CP_E_NOMEM, "out of memory");
    cp_status st = mc_new(cap, mo, &mc);
    const unsigned char *at = bytes, *end = at + nbytes;
    for (size_t k = 0; st == CP_OK && k < S; ++k)
        if (!unpack_sample(&at, end, nr, &so[k]))
            st = cp_fail(CP_E_ARG,
                         "cp_plan_mc_assemble: the parts do not hold %zu samples "
                         "of %zu regions (%zu bytes)",
                         S, nr, nbytes);
    if (st == CP_OK && at != end)
        st = cp_fail(CP_E_ARG, "cp_plan_mc_assemble: %zu bytes after the %zu samples",
                     (size_t)(end - at), S);
    if (st == CP_OK && (st = finish(mc, so)) == CP_OK) {
        *out = mc;
        mc = NULL;
    }
    outs_free(so, S);
    cp_plan_mc_free(mc);
    return st;
}
