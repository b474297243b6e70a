/* Evidence behind a plan (clearplan/evidence.h), the pure planner library alone: Philox
 * against its published answers, the distributions against their closed-form moments, the
 * Monte Carlo (bit-identical for any thread count, the plan itself when nothing is uncertain,
 * P(deadline met) rising with the teams, the plan within P10-P90), the rank robustness against
 * brute force (every sample's weights planned by cp_plan_compute), and the development
 * outcomes of the milestones against the hazards they release. */
#include <math.h>

#include "cp_test.h"

#include <clearplan/evidence.h>
#include <clearplan/plan.h>

#include "planner.h"
#include "random.h"

#define CHECK_OK(call)                                                 \
    do {                                                               \
        cp_status st_ = (call);                                        \
        if (st_ != CP_OK) print_error("%s: %s\n", #call, cp_errmsg()); \
        assert_int_equal(st_, CP_OK);                                  \
    } while (0)

static uint64_t lcg;
static double urand(void) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

typedef struct {
    cp_hazard *h;
    char (*ids)[24];
    double *class_m2; /* n x 3 (classes 10, 40, other) */
    double *comp;     /* n x 3 benefit components */
    size_t n;
} hz_set;

static const int classes[2] = {10, 40};
static const double weights[3] = {0.5, 0.3, 0.2};
static const char *const names[3] = {"people", "land_use", "reports"};

/* Hazards in two regions with class areas and benefits made of three components under
 * `weights`. */
static hz_set make_hazards(size_t n, uint64_t seed) {
    hz_set s = {calloc(n, sizeof(cp_hazard)), calloc(n, 24), calloc(n * 3, sizeof(double)),
                calloc(n * 3, sizeof(double)), n};
    lcg = seed;
    for (size_t i = 0; i < n; ++i) {
        cp_hazard *h = &s.h[i];
        cp_hazard_init(h);
        snprintf(s.ids[i], 24, "H%04zu", i);
        h->id = s.ids[i];
        h->status = urand() < 0.6 ? CP_STATUS_SHA : CP_STATUS_CHA;
        h->region = urand() < 0.5 ? "North" : "South";
        h->area_m2 = 2000 + floor(urand() * 40000);
        double f = urand();
        s.class_m2[i * 3 + 0] = h->area_m2 * f;
        s.class_m2[i * 3 + 1] = h->area_m2 * (1 - f) * 0.8;
        s.class_m2[i * 3 + 2] = h->area_m2 * (1 - f) * 0.2;
        h->class_m2 = &s.class_m2[i * 3];
        double b = 0;
        for (int k = 0; k < 3; ++k) {
            s.comp[i * 3 + k] = urand() * h->area_m2 / 1e4;
            b += weights[k] * s.comp[i * 3 + k];
        }
        h->benefit = b; /* the weights sum to 1 */
        h->people_within_m = floor(urand() * 500);
        h->priority_mean = urand();
    }
    return s;
}

static void free_hazards(hz_set *s) {
    free(s->h), free(s->ids), free(s->class_m2), free(s->comp);
}

static cp_region_teams regions[2] = {{"North", 4}, {"South", 3}};

static cp_capacity capacity(void) {
    cp_capacity c;
    cp_capacity_defaults(&c);
    c.start = cp_date_make(2026, 1, 1);
    c.deadline = cp_date_make(2029, 6, 30);
    c.regions = regions;
    c.nregions = 2;
    c.teams = 7;
    return c;
}

static cp_plan_options options(void) {
    cp_plan_options o = {0};
    o.classes = classes;
    o.nclasses = 2;
    return o;
}

/* ---- random numbers ---- */

/* Philox4x32-10's known answers (Random123, kat_vectors). */
static void test_philox_known_answers(void **state) {
    (void)state;
    const uint32_t in[3][6] = {
        {0, 0, 0, 0, 0, 0},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0}};
    const uint32_t want[3][4] = {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                                 {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                                 {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int t = 0; t < 3; ++t) {
        uint32_t out[4];
        cp_philox4x32(in[t], in[t] + 4, out);
        for (int k = 0; k < 4; ++k) assert_int_equal(out[k], want[t][k]);
    }
}

/* Streams are functions of (seed, sample, stream): the same numbers whatever was drawn before
 * or elsewhere, different ones for another sample or stream. */
static void test_rng_streams(void **state) {
    (void)state;
    cp_rng a, b, c;
    cp_rng_init(&a, 42, 7, 3);
    double first = cp_rng_uniform(&a);
    for (int i = 0; i < 1000; ++i) (void)cp_rng_uniform(&a);
    cp_rng_init(&b, 42, 7, 3);
    assert_true(cp_rng_uniform(&b) == first);
    cp_rng_init(&c, 42, 8, 3);
    assert_true(cp_rng_uniform(&c) != first);
    cp_rng_init(&c, 42, 7, 4);
    assert_true(cp_rng_uniform(&c) != first);
    cp_rng_init(&c, 43, 7, 3);
    assert_true(cp_rng_uniform(&c) != first);
}

/* Sample means and bounds against the closed forms: triangular (a + m + b) / 3, PERT
 * (a + 4 m + b) / 6, Gamma(k) mean k, Poisson mean and variance. */
static void test_distributions_moments(void **state) {
    (void)state;
    const int N = 200000;
    const double a = 2, m = 3, b = 7;
    double st = 0, sp = 0, sg = 0, sg2 = 0, spo = 0, spo2 = 0, su = 0;
    cp_rng r;
    for (int i = 0; i < N; ++i) {
        cp_rng_init(&r, 5, (uint32_t)i, 0);
        double u = cp_rng_uniform(&r);
        assert_true(u > 0 && u < 1);
        su += u;
        double t = cp_rng_three_point(&r, CP_DIST_TRIANGULAR, a, m, b);
        double p = cp_rng_three_point(&r, CP_DIST_PERT, a, m, b);
        assert_true(t >= a && t <= b && p >= a && p <= b);
        st += t, sp += p;
        double g = cp_rng_gamma(&r, 0.7);
        sg += g, sg2 += g * g;
        double k = cp_rng_poisson(&r, 12.5);
        assert_true(k == floor(k) && k >= 0);
        spo += k, spo2 += k * k;
    }
    assert_true(fabs(su / N - 0.5) < 0.005);
    assert_true(fabs(st / N - (a + m + b) / 3) < 0.01);
    assert_true(fabs(sp / N - (a + 4 * m + b) / 6) < 0.01);
    assert_true(fabs(sg / N - 0.7) < 0.01);
    assert_true(fabs(sg2 / N - sg * sg / N / N - 0.7) < 0.02); /* variance k */
    assert_true(fabs(spo / N - 12.5) < 0.05);
    assert_true(fabs(spo2 / N - spo * spo / N / N - 12.5) < 0.2);
    assert_true(cp_rng_three_point(&r, CP_DIST_PERT, 4, 4, 4) == 4);
}

/* ---- Monte Carlo ---- */

static cp_uncertainty ranges(void) {
    cp_uncertainty u = {0};
    u.given = 1;
    u.productivity = (cp_range){1, 0.7, 1.0, 1.3};
    u.availability = (cp_range){1, 0.85, 1.0, 1.0};
    u.team_day_usd = (cp_range){1, 0.9, 1.0, 1.2};
    u.nts = (cp_range){1, 0.8, 1.0, 1.2};
    u.release[CP_STATUS_SHA][CP_METHOD_CANCEL] = (cp_range){1, 0.35, 0.45, 0.55};
    return u;
}

static cp_plan_mc *run_mc(const hz_set *s, const cp_capacity *cap, const cp_uncertainty *u,
                          int teams, size_t samples, int threads) {
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan_options o = options();
    o.teams = teams;
    cp_mc_options mo = {u, samples, 11, threads};
    cp_plan_mc *mc = NULL;
    CHECK_OK(cp_plan_montecarlo(s->h, s->n, cap, &cost, NULL, &o, &mo, &mc));
    return mc;
}

static void test_mc_bit_identical_for_any_thread_count(void **state) {
    (void)state;
    hz_set s = make_hazards(120, 3);
    cp_capacity cap = capacity();
    cp_uncertainty u = ranges();
    cp_plan_mc *m1 = run_mc(&s, &cap, &u, 0, 40, 1);
    for (int t = 2; t <= 3; ++t) {
        cp_plan_mc *m = run_mc(&s, &cap, &u, 0, 40, t);
        assert_memory_equal(m->samples, m1->samples, 40 * sizeof *m->samples);
        assert_memory_equal(m->completion_p, m1->completion_p, sizeof m->completion_p);
        assert_int_equal(m->nfan, m1->nfan);
        for (int i = 0; i < 5; ++i)
            assert_memory_equal(m->fan_p[i], m1->fan_p[i], m->nfan * sizeof(double));
        cp_plan_mc_free(m);
    }
    /* the samples differ from one another */
    int differ = 0;
    for (size_t k = 1; k < 40; ++k)
        differ |= m1->samples[k].t_completion != m1->samples[0].t_completion;
    assert_true(differ);
    cp_plan_mc_free(m1);
    free_hazards(&s);
}

/* Samples dealt in parts (the ranks of an MPI job) and assembled in sample order give the
 * whole run bit for bit, empty parts included; bytes that are not the samples are refused. */
static void test_mc_parts_assemble_to_the_whole(void **state) {
    (void)state;
    hz_set s = make_hazards(90, 6);
    cp_capacity cap = capacity();
    cp_uncertainty u = ranges();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan_options o = options();
    const size_t S = 23;
    cp_plan_mc *whole = run_mc(&s, &cap, &u, 0, S, 2);
    cp_mc_options mo = {&u, S, 11, 1};
    static const size_t cuts[] = {0, 7, 7, 16, 23}; /* one empty part */
    unsigned char *all = NULL;
    size_t nall = 0;
    for (size_t i = 0; i + 1 < sizeof cuts / sizeof cuts[0]; ++i) {
        void *part = NULL;
        size_t nb = 0;
        CHECK_OK(cp_plan_mc_part(s.h, s.n, &cap, &cost, NULL, &o, &mo, cuts[i], cuts[i + 1], &part,
                                 &nb));
        assert_true((nb == 0) == (cuts[i] == cuts[i + 1]));
        all = realloc(all, nall + nb + 1);
        assert_non_null(all);
        if (nb) memcpy(all + nall, part, nb);
        nall += nb;
        free(part);
    }
    cp_plan_mc *mc = NULL;
    CHECK_OK(cp_plan_mc_assemble(&cap, &mo, all, nall, &mc));
    assert_memory_equal(mc->samples, whole->samples, S * sizeof *mc->samples);
    assert_true(mc->p_met == whole->p_met);
    assert_memory_equal(mc->completion_p, whole->completion_p, sizeof mc->completion_p);
    assert_memory_equal(mc->remaining_p, whole->remaining_p, sizeof mc->remaining_p);
    assert_memory_equal(mc->cost_p, whole->cost_p, sizeof mc->cost_p);
    assert_int_equal(mc->teams_p80, whole->teams_p80);
    assert_int_equal(mc->nfan, whole->nfan);
    assert_true(mc->nfan > 0);
    for (int i = 0; i < 5; ++i)
        assert_memory_equal(mc->fan_p[i], whole->fan_p[i], mc->nfan * sizeof(double));
    assert_memory_equal(mc->fan_date, whole->fan_date, mc->nfan * sizeof *mc->fan_date);
    assert_int_equal(mc->nregions, whole->nregions);
    assert_memory_equal(mc->regions, whole->regions, mc->nregions * sizeof *mc->regions);
    cp_plan_mc_free(mc);
    /* a sample short, a byte too many, samples out of range */
    mc = NULL;
    assert_int_equal(cp_plan_mc_assemble(&cap, &mo, all, nall - 1, &mc), CP_E_ARG);
    assert_null(mc);
    all = realloc(all, nall + 1);
    all[nall] = 0;
    assert_int_equal(cp_plan_mc_assemble(&cap, &mo, all, nall + 1, &mc), CP_E_ARG);
    void *part = NULL;
    size_t nb = 0;
    assert_int_equal(cp_plan_mc_part(s.h, s.n, &cap, &cost, NULL, &o, &mo, 5, S + 1, &part, &nb),
                     CP_E_ARG);
    assert_null(part);
    free(all);
    cp_plan_mc_free(whole);
    free_hazards(&s);
}

/* Without uncertain figures every sample is the deterministic plan. */
static void test_mc_without_ranges_is_the_plan(void **state) {
    (void)state;
    hz_set s = make_hazards(80, 4);
    cp_capacity cap = capacity();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan_options o = options();
    cp_plan *plan = NULL;
    CHECK_OK(cp_plan_compute(s.h, s.n, &cap, &cost, NULL, &o, &plan));
    cp_uncertainty none = {0};
    cp_plan_mc *mc = run_mc(&s, &cap, &none, 0, 5, 2);
    for (size_t k = 0; k < 5; ++k) {
        assert_true(mc->samples[k].t_completion == plan->t_completion);
        assert_int_equal(mc->samples[k].teams_needed, plan->teams_needed);
        assert_true(mc->samples[k].remaining_m2 == plan->remaining_m2);
        assert_true(mc->samples[k].cost_usd == plan->cost_usd);
    }
    assert_true(mc->p_met == (plan->met ? 1.0 : 0.0));
    assert_int_equal(mc->teams_p80, plan->teams_needed);
    assert_int_equal(mc->nfan, plan->nquarters);
    for (size_t q = 0; q < plan->nquarters; ++q) {
        assert_true(mc->fan_p[2][q] == plan->quarters[q].remaining_m2);
        assert_int_equal(mc->fan_date[q], plan->quarters[q].end);
    }
    cp_plan_mc_free(mc);
    cp_plan_free(plan);
    free_hazards(&s);
}

/* P(deadline met) rises with the teams; the plan's completion lies within P10-P90; the
 * fan's quantiles are ordered and fall to zero. */
static void test_mc_probability_rises_with_teams(void **state) {
    (void)state;
    hz_set s = make_hazards(150, 5);
    cp_capacity cap = capacity();
    cp_uncertainty u = ranges();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan_options o = options();
    cp_plan *plan = NULL;
    CHECK_OK(cp_plan_compute(s.h, s.n, &cap, &cost, NULL, &o, &plan));
    int n0 = plan->teams_needed;
    assert_true(n0 > 3);
    double prev = -1;
    int low = 0, high = 0;
    for (int teams = n0 - 3; teams <= n0 + 4; ++teams) {
        cp_plan_mc *mc = run_mc(&s, &cap, &u, teams, 60, 2);
        assert_true(mc->p_met >= prev);
        prev = mc->p_met;
        low |= mc->p_met < 0.5;
        high |= mc->p_met > 0.9;
        if (teams == n0 + 4) {
            /* teams for 80% and 95% confidence: that many suffice in that share of samples */
            size_t ok80 = 0, ok95 = 0;
            for (size_t k = 0; k < mc->nsamples; ++k) {
                int t = mc->samples[k].teams_needed;
                ok80 += t >= 0 && t <= mc->teams_p80;
                ok95 += t >= 0 && t <= mc->teams_p95;
            }
            assert_true(ok80 >= 48 && ok95 >= 57);
            assert_true(mc->teams_p95 >= mc->teams_p80);
        }
        cp_plan_mc_free(mc);
    }
    assert_true(low && high);
    cp_plan_mc *mc = run_mc(&s, &cap, &u, 0, 200, 2);
    assert_true(mc->completion_p[CP_MC_P10] <= plan->t_completion);
    assert_true(plan->t_completion <= mc->completion_p[CP_MC_P90]);
    assert_true(mc->completion_p[CP_MC_P10] < mc->completion_p[CP_MC_P90]);
    for (size_t q = 0; q < mc->nfan; ++q)
        for (int i = 1; i < 5; ++i) assert_true(mc->fan_p[i - 1][q] <= mc->fan_p[i][q]);
    assert_true(mc->fan_p[4][mc->nfan - 1] == 0);
    assert_int_equal(mc->nregions, 2);
    cp_plan_mc_free(mc);
    cp_plan_free(plan);
    free_hazards(&s);
}

/* ---- rank robustness ---- */

static cp_plan *plan_of(const hz_set *s, const double *w, const cp_plan_rules *rules) {
    cp_hazard *h = malloc(s->n * sizeof *h);
    memcpy(h, s->h, s->n * sizeof *h);
    double sum = w[0] + w[1] + w[2];
    for (size_t i = 0; i < s->n; ++i) {
        h[i].benefit = 0;
        for (int k = 0; k < 3; ++k) h[i].benefit += w[k] * s->comp[i * 3 + k] / sum;
    }
    cp_capacity cap = capacity();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan_options o = options();
    o.no_baselines = 1;
    cp_plan *plan = NULL;
    CHECK_OK(cp_plan_compute(h, s->n, &cap, &cost, rules, &o, &plan));
    free(h);
    return plan;
}

/* The release order's key of a hazard under its benefit: the benefit per team-day of the
 * last of its Sidney modules, by enumerating the leading runs of stages (plan.h, "Order"). */
static double last_module_key(const cp_plan_item *it, double benefit) {
    int st[3], n = 0;
    for (int s = 0; s < 3; ++s)
        if (it->has_stage[s]) st[n++] = s;
    double prev = INFINITY, key = 0;
    for (int i = 0; i < n;) {
        double best = -1;
        int end = i;
        for (int e = i; e < n; ++e) {
            double w = 0, p = 0;
            for (int q = i; q <= e; ++q)
                w += benefit * it->released_m2[st[q]] / it->h.area_m2,
                    p += it->stage_ref_team_days[st[q]];
            double r = p > 0 ? w / p : INFINITY;
            if (r >= best) best = r, end = e;
        }
        key = prev = best < prev ? best : prev;
        i = end + 1;
    }
    return key;
}

static cp_rank_robustness *ranks_of(const cp_plan *plan, const hz_set *s, const cp_uncertainty *u,
                                    const cp_plan_rules *rules, size_t samples, int threads) {
    cp_rank_options ro = {3, names,   weights, s->comp, s->n, u,    rules, samples,
                          9, threads, 0,       0,       0,    NULL, NULL};
    cp_rank_robustness *r = NULL;
    CHECK_OK(cp_rank_robustness_compute(plan, &ro, &r));
    return r;
}

/* Every sample's order is the planner's under that sample's weights (cp_plan_compute with the
 * re-scored benefits, locks included); P5 and P95 are those of the brute-force ranks; the
 * first-year share counts the region's first K hazards in the order of their last modules
 * (locks first), K the region's hazards the plan completes in its first year. */
static void test_ranks_match_brute_force(void **state) {
    (void)state;
    hz_set s = make_hazards(60, 6);
    s.h[7].locked = 1;
    char *locked[] = {"H0031"};
    cp_plan_rules rules = {locked, 1, NULL, 0};
    cp_uncertainty u = {0};
    u.weight_concentration = 8;
    cp_plan *plan = plan_of(&s, weights, &rules);
    const size_t S = 50, n = plan->nitems;
    cp_rank_robustness *r = ranks_of(plan, &s, &u, &rules, S, 2);
    assert_int_equal(r->bin_width, 1);
    /* brute force */
    size_t *ranks = calloc(n * S, sizeof *ranks); /* [input index * S + sample] */
    double *first = calloc(n, sizeof *first);
    size_t quota[2] = {0, 0};
    int y0;
    cp_date_split(plan->start, &y0, NULL, NULL);
    for (size_t i = 0; i < n; ++i) {
        int y;
        cp_date_split(plan->items[i].end, &y, NULL, NULL);
        if (y == y0 && plan->items[i].scheduled) quota[plan->items[i].pool]++;
    }
    cp_rank_options ro = {3, names, weights, s.comp, s.n, &u, &rules, S, 9, 1, 0, 0, 0, NULL, NULL};
    for (size_t k = 0; k < S; ++k) {
        double w[3];
        rank_weights_draw(&ro, k, w);
        cp_plan *p = plan_of(&s, w, &rules);
        /* release order: the two locks, then by the last module's key, ties by id */
        size_t order[60];
        double key[60];
        for (size_t i = 0; i < n; ++i) {
            const cp_plan_item *it = &p->items[i];
            ranks[it->input_index * S + k] = it->rank;
            order[i] = i;
            key[i] = i < 2 ? INFINITY : last_module_key(it, it->h.benefit);
        }
        for (size_t a = 3; a < n; ++a)
            for (size_t b = a;
                 b > 2 && (key[order[b - 1]] < key[order[b]] ||
                           (key[order[b - 1]] == key[order[b]] &&
                            strcmp(p->items[order[b - 1]].h.id, p->items[order[b]].h.id) > 0));
                 --b) {
                size_t t = order[b];
                order[b] = order[b - 1], order[b - 1] = t;
            }
        size_t seen[2] = {0, 0};
        for (size_t j = 0; j < n; ++j) {
            const cp_plan_item *it = &p->items[order[j]];
            first[it->input_index] += seen[it->pool]++ < quota[it->pool];
        }
        cp_plan_free(p);
    }
    int varied = 0;
    for (size_t i = 0; i < n; ++i) {
        const cp_plan_item *it = &plan->items[i];
        size_t *v = ranks + it->input_index * S;
        for (size_t a = 1; a < S; ++a) /* insertion sort */
            for (size_t b = a; b > 0 && v[b - 1] > v[b]; --b) {
                size_t t = v[b];
                v[b] = v[b - 1], v[b - 1] = t;
            }
        const cp_rank_item *ri = &r->items[i];
        assert_int_equal(ri->rank, it->rank);
        assert_int_equal(ri->rank_p5, v[(size_t)ceil(0.05 * S) - 1]);
        assert_int_equal(ri->rank_p95, v[(size_t)ceil(0.95 * S) - 1]);
        assert_true(fabs(ri->p_first_year - first[it->input_index] / S) < 1e-12);
        varied |= ri->rank_p5 != ri->rank_p95;
    }
    assert_true(varied);
    /* the listed lock stays first, the flagged one next */
    assert_int_equal(r->items[0].rank_p5, 1);
    assert_int_equal(r->items[0].rank_p95, 1);
    assert_int_equal(r->items[1].rank_p95, 2);
    free(ranks);
    free(first);
    cp_rank_robustness_free(r);
    cp_plan_free(plan);
    free_hazards(&s);
}

/* Fixed weights: every sample is the plan; bit-identical for any thread count. */
/* The samples dealt in blocks (the ranks of an MPI job) with their counts summed give the
 * whole run bit for bit; the combine callback sees every path; a block outside the samples is
 * refused. */
typedef struct {
    uint32_t *saved;
    size_t n;
    int calls;
} counts_store;

static cp_status keep_counts(void *arg, cp_status st, uint32_t *counts, size_t n) {
    counts_store *c = arg;
    c->calls++;
    if (st != CP_OK) return st;
    c->saved = malloc(n * sizeof *counts);
    if (!c->saved) return CP_E_NOMEM;
    memcpy(c->saved, counts, n * sizeof *counts);
    c->n = n;
    return CP_OK;
}

static cp_status add_counts(void *arg, cp_status st, uint32_t *counts, size_t n) {
    counts_store *c = arg;
    c->calls++;
    if (st != CP_OK || n != c->n) return st != CP_OK ? st : CP_E_INTERNAL;
    for (size_t k = 0; k < n; ++k) counts[k] += c->saved[k];
    return CP_OK;
}

static void test_ranks_in_blocks_sum_to_the_whole(void **state) {
    (void)state;
    hz_set s = make_hazards(250, 8);
    cp_plan *plan = plan_of(&s, weights, NULL);
    cp_uncertainty u = {0};
    u.weight_concentration = 30;
    const size_t S = 97;
    cp_rank_robustness *whole = ranks_of(plan, &s, &u, NULL, S, 2);
    counts_store store = {NULL, 0, 0};
    cp_rank_options a = {3, names, weights, s.comp, s.n, &u,          NULL,  S,
                         9, 2,     1,       0,      40,  keep_counts, &store};
    cp_rank_options b = a;
    b.first = 40, b.end = S, b.combine = add_counts;
    cp_rank_robustness *ra = NULL, *rb = NULL;
    CHECK_OK(cp_rank_robustness_compute(plan, &a, &ra));
    CHECK_OK(cp_rank_robustness_compute(plan, &b, &rb));
    assert_int_equal(store.calls, 2);
    assert_int_equal(rb->nitems, whole->nitems);
    assert_memory_equal(rb->items, whole->items, whole->nitems * sizeof *rb->items);
    assert_int_equal(rb->nrobust, whole->nrobust);
    for (int q = 0; q < 3; ++q)
        assert_memory_equal(rb->weight_p[q], whole->weight_p[q], 3 * sizeof(double));
    /* the first block alone is not the whole */
    int differs = 0;
    for (size_t i = 0; i < whole->nitems; ++i)
        differs |= ra->items[i].p_first_year != whole->items[i].p_first_year;
    assert_true(differs);
    cp_rank_robustness *bad = NULL;
    b.first = 50, b.end = S + 1;
    assert_int_equal(cp_rank_robustness_compute(plan, &b, &bad), CP_E_ARG);
    assert_null(bad);
    free(store.saved);
    cp_rank_robustness_free(ra);
    cp_rank_robustness_free(rb);
    cp_rank_robustness_free(whole);
    cp_plan_free(plan);
    free_hazards(&s);
}

static void test_ranks_fixed_weights_and_threads(void **state) {
    (void)state;
    hz_set s = make_hazards(300, 7);
    cp_plan *plan = plan_of(&s, weights, NULL);
    cp_uncertainty none = {0};
    cp_rank_robustness *r = ranks_of(plan, &s, &none, NULL, 20, 2);
    size_t agree = 0, firsts = 0;
    for (size_t i = 0; i < plan->nitems; ++i) {
        assert_int_equal(r->items[i].rank_p5, plan->items[i].rank);
        assert_int_equal(r->items[i].rank_p95, plan->items[i].rank);
        assert_true(r->items[i].p_first_year == 0 || r->items[i].p_first_year == 1);
        agree += r->items[i].p_first_year == r->items[i].first_year;
        firsts += (size_t)r->items[i].first_year;
    }
    print_message("first year: %zu of %zu hazards; the release order agrees on %zu\n", firsts,
                  plan->nitems, agree);
    assert_true(firsts > 10 && firsts < plan->nitems - 10);
    assert_true(agree >= plan->nitems * 9 / 10);
    assert_int_equal(r->nrobust, plan->nitems);
    cp_rank_robustness_free(r);
    cp_uncertainty u = {0};
    u.weights = (cp_named_range[]){{"people", {1, 0.2, 0.5, 0.7}}, {"reports", {1, 0, 0.2, 0.6}}};
    u.nweights = 2;
    cp_rank_robustness *r1 = ranks_of(plan, &s, &u, NULL, 150, 1);
    for (int t = 2; t <= 3; ++t) {
        cp_rank_robustness *rt = ranks_of(plan, &s, &u, NULL, 150, t);
        assert_memory_equal(rt->items, r1->items, plan->nitems * sizeof *rt->items);
        cp_rank_robustness_free(rt);
    }
    size_t inside = 0;
    for (size_t i = 0; i < plan->nitems; ++i)
        inside +=
            r1->items[i].rank_p5 <= r1->items[i].rank && r1->items[i].rank <= r1->items[i].rank_p95;
    assert_true(inside >= plan->nitems * 95 / 100);
    assert_true(r1->nrobust < plan->nitems);
    /* the weights drawn: P5 <= P50 <= P95 of each share, within the ranges' shares */
    for (size_t k = 0; k < 3; ++k)
        assert_true(r1->weight_p[0][k] <= r1->weight_p[1][k] &&
                    r1->weight_p[1][k] <= r1->weight_p[2][k]);
    cp_rank_robustness_free(r1);
    cp_plan_free(plan);
    free_hazards(&s);
}

/* Histogram bins when n^2 exceeds the counter budget: each widened interval starts and ends
 * on whole bins and holds the exact P5-P95 interval of the brute-force ranks, within a bin. */
static void test_ranks_binned_interval_holds_exact(void **state) {
    (void)state;
    hz_set s = make_hazards(20000, 8); /* bins of 24 ranks: the bucket pass */
    cp_plan *plan = plan_of(&s, weights, NULL);
    cp_uncertainty u = {0};
    u.weight_concentration = 20;
    const size_t S = 20, n = plan->nitems;
    cp_rank_robustness *r = ranks_of(plan, &s, &u, NULL, S, 2);
    const size_t w = r->bin_width;
    assert_int_equal(w, (n + (1u << 24) / n - 1) / ((1u << 24) / n));
    assert_true(w >= 16);
    cp_rank_options ro = {3, names, weights, s.comp, s.n, &u, NULL, S, 9, 1, 0, 0, 0, NULL, NULL};
    size_t *ranks = calloc(n * S, sizeof *ranks);
    for (size_t k = 0; k < S; ++k) {
        double wt[3];
        rank_weights_draw(&ro, k, wt);
        cp_plan *p = plan_of(&s, wt, NULL);
        for (size_t i = 0; i < n; ++i) ranks[p->items[i].input_index * S + k] = p->items[i].rank;
        cp_plan_free(p);
    }
    for (size_t i = 0; i < n; ++i) {
        size_t *v = ranks + plan->items[i].input_index * S;
        size_t lo = n, hi = 0;
        /* exact nearest-rank P5 and P95 of the S ranks */
        for (size_t a = 0; a < S; ++a) {
            size_t le = 0;
            for (size_t b = 0; b < S; ++b) le += v[b] <= v[a];
            if (le >= (size_t)ceil(0.05 * S) && v[a] < lo) lo = v[a];
            if (le >= (size_t)ceil(0.95 * S) && (hi == 0 || v[a] < hi)) hi = v[a];
        }
        const cp_rank_item *ri = &r->items[i];
        assert_int_equal((ri->rank_p5 - 1) % w, 0);
        assert_true(ri->rank_p95 % w == 0 || ri->rank_p95 == n);
        assert_true(ri->rank_p5 <= lo && lo < ri->rank_p5 + w);
        assert_true(ri->rank_p95 >= hi && hi + w > ri->rank_p95);
    }
    free(ranks);
    cp_rank_robustness_free(r);
    cp_plan_free(plan);
    free_hazards(&s);
}

/* ---- development outcomes ---- */

static void test_outcomes_in_milestones(void **state) {
    (void)state;
    hz_set s = make_hazards(90, 9);
    cp_capacity cap = capacity();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan_options o = options();
    cp_plan *plan = NULL;
    CHECK_OK(cp_plan_compute(s.h, s.n, &cap, &cost, NULL, &o, &plan));
    /* by class: each period's classes sum to its released area; each class's total over the
       years is the hazards' released area in that class's share */
    double want[3] = {0, 0, 0}, people = 0;
    for (size_t i = 0; i < plan->nitems; ++i) {
        const cp_plan_item *it = &plan->items[i];
        double tot = it->h.class_m2[0] + it->h.class_m2[1] + it->h.class_m2[2], rel = 0;
        for (int st = 0; st < CP_NMETHOD; ++st) rel += it->released_m2[st];
        for (int k = 0; k < 3; ++k) want[k] += rel * it->h.class_m2[k] / tot;
        if (it->scheduled) people += it->h.people_within_m;
    }
    double got[3] = {0, 0, 0}, gp = 0, qp = 0;
    for (size_t y = 0; y < plan->nyears; ++y) {
        const cp_milestone *m = &plan->years[y];
        double sum = 0;
        for (int k = 0; k < 3; ++k)
            sum += m->class_released_m2[k], got[k] += m->class_released_m2[k];
        assert_true(fabs(sum - m->area_m2) <= 1e-9 * (1 + m->area_m2));
        gp += m->people_near_released;
    }
    for (size_t q = 0; q < plan->nquarters; ++q) qp += plan->quarters[q].people_near_released;
    for (int k = 0; k < 3; ++k) assert_true(fabs(got[k] - want[k]) <= 1e-9 * want[k]);
    assert_true(fabs(gp - people) < 1e-6 && fabs(qp - people) < 1e-6);
    assert_true(people > 0);
    cp_plan_free(plan);
    free_hazards(&s);
    assert_int_equal(cp_landcover_sdg(40), 2);
    assert_int_equal(cp_landcover_sdg(50), 11);
    assert_int_equal(cp_landcover_sdg(10), 15);
    assert_int_equal(cp_landcover_sdg(12345), 0);
    assert_string_equal(cp_landcover_name(40), "cropland");
    assert_non_null(cp_sdg_name(16));
}

/* ---- new contamination ---- */

/* Half of every year's working days set aside is the plan with half the days per year, to
 * the bit; a reserve in one year halves that year's capacity alone. */
static void test_reserve_is_capacity_set_aside(void **state) {
    (void)state;
    hz_set s = make_hazards(80, 10);
    cp_capacity cap = capacity(), half = capacity();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan_options o = options();
    cp_year_share all[200];
    for (int k = 0; k < 200; ++k) all[k] = (cp_year_share){2026 + k, 0.5};
    cap.reserve = all;
    cap.nreserve = 200;
    half.days_per_year = cap.days_per_year * 0.5;
    cp_plan *a = NULL, *b = NULL;
    CHECK_OK(cp_plan_compute(s.h, s.n, &cap, &cost, NULL, &o, &a));
    CHECK_OK(cp_plan_compute(s.h, s.n, &half, &cost, NULL, &o, &b));
    assert_true(a->t_completion == b->t_completion);
    assert_int_equal(a->teams_needed, b->teams_needed);
    assert_true(a->remaining_m2 == b->remaining_m2);
    cp_plan_free(a), cp_plan_free(b);
    cp_year_share one = {2027, 0.25};
    cp_region_teams few[2] = {{"North", 1}, {"South", 1}}; /* work beyond 2027 */
    cap.regions = few;
    cap.teams = 2;
    cap.reserve = &one;
    cap.nreserve = 1;
    cp_plan *c = NULL, *d = NULL;
    CHECK_OK(cp_plan_compute(s.h, s.n, &cap, &cost, NULL, &o, &c));
    cap.nreserve = 0;
    CHECK_OK(cp_plan_compute(s.h, s.n, &cap, &cost, NULL, &o, &d));
    print_message("capacity 2027: %.9g with the reserve, %.9g without\n",
                  c->years[1].capacity_team_days, d->years[1].capacity_team_days);
    assert_true(fabs(c->years[1].capacity_team_days - 0.75 * d->years[1].capacity_team_days) <
                1e-6);
    assert_true(c->years[0].capacity_team_days == d->years[0].capacity_team_days);
    assert_true(c->t_completion > d->t_completion);
    cp_plan_free(c), cp_plan_free(d);
    free_hazards(&s);
}

/* The Poisson regression recovers a known trend: over 300 simulated series the 95% interval
 * of the slope holds the truth in about 95% of them, and the estimates average to it. */
static void test_trend_recovers_truth(void **state) {
    (void)state;
    const double a = log(40), b = 0.15;
    const int n = 6, y0 = 2020;
    int covered = 0;
    double mean_b = 0;
    for (int k = 0; k < 300; ++k) {
        double y[6];
        cp_rng r;
        cp_rng_init(&r, 77, (uint32_t)k, 1);
        for (int i = 0; i < n; ++i) y[i] = cp_rng_poisson(&r, exp(a + b * (i - 2.5)));
        cp_trend t;
        CHECK_OK(cp_trend_fit(y, n, y0, &t));
        assert_false(t.constant);
        assert_true(t.centre == 2022.5);
        covered += fabs(t.b - b) <= 1.96 * sqrt(t.var_b);
        mean_b += t.b / 300;
    }
    print_message("slope interval covers the truth in %d of 300\n", covered);
    assert_true(covered >= 270 && covered <= 299);
    assert_true(fabs(mean_b - b) < 0.02);
    /* no reports at one end: the mean alone; none at all: nothing */
    double z[5] = {0, 0, 0, 4, 9}, none[4] = {0, 0, 0, 0};
    cp_trend t;
    CHECK_OK(cp_trend_fit(z, 5, 2020, &t));
    assert_true(t.constant && t.b == 0 && fabs(cp_trend_mean(&t, 2030) - 13.0 / 5) < 1e-12);
    CHECK_OK(cp_trend_fit(none, 4, 2020, &t));
    assert_true(cp_trend_mean(&t, 2030) == 0);
    assert_int_equal(cp_trend_fit(z, 0, 2020, &t), CP_E_ARG);
}

/* The projection's range widens with the horizon; the country's is the regions' together;
 * the same seed gives the same draws. */
static void test_projection_widens(void **state) {
    (void)state;
    const double counts[2][5] = {{20, 24, 31, 33, 41}, {10, 9, 12, 11, 10}};
    const char *const regs[2] = {"North", "South"};
    cp_contamination_input in = {2, regs, &counts[0][0], 2021, 5, 2026, 8, 15000.0, 2000, 3};
    cp_contamination *c = NULL, *c2 = NULL;
    CHECK_OK(cp_contamination_project(&in, &c));
    CHECK_OK(cp_contamination_project(&in, &c2));
    assert_int_equal(c->nregions, 2);
    for (int y = 1; y < 8; ++y) {
        double w0 = c->total_area_p[2][y - 1] - c->total_area_p[0][y - 1];
        double w1 = c->total_area_p[2][y] - c->total_area_p[0][y];
        assert_true(w1 > w0);
        for (size_t r = 0; r < 2; ++r) {
            double rw0 = c->count_p[2][r * 8 + y - 1] - c->count_p[0][r * 8 + y - 1];
            double rw1 = c->count_p[2][r * 8 + y] - c->count_p[0][r * 8 + y];
            assert_true(rw1 >= rw0);
        }
    }
    for (int y = 0; y < 8; ++y) {
        assert_true(c->total_area_p[0][y] <= c->total_area_p[1][y] &&
                    c->total_area_p[1][y] <= c->total_area_p[2][y]);
        assert_true(c->total_area_p[1][y] == c2->total_area_p[1][y]);
        /* the country's median is near the sum of the regions' means */
        double m = (cp_trend_mean(&c->trend[0], 2026 + y) + cp_trend_mean(&c->trend[1], 2026 + y)) *
                   15000.0;
        assert_true(fabs(c->total_area_p[1][y] - m) < 0.25 * m);
    }
    assert_true(c->trend[0].b > 0.1 && fabs(c->trend[1].b) < 0.1);
    cp_contamination_free(c);
    cp_contamination_free(c2);
}

/* ---- cost calibration ---- */

/* Completion records drawn from known productivities and slowdowns with 15 % noise: the fit's
 * 95 % intervals hold the truth, its estimates are near it, the cross-validated error is the
 * noise's; outliers do not move it (Huber). */
static void test_calibration_recovers_truth(void **state) {
    (void)state;
    static const int codes[5] = {10, 30, 40, 50, 77}; /* 77: a class no cost table lists */
    const double truth_p[5] = {210, 430, 520, 260, 390}, st = 0.4, si = 0.6, nts = 38000, ts = 2600;
    enum { NR = 400 };
    cp_calib_record rec[NR];
    cp_calib_cell *cells = calloc(NR * 60, sizeof *cells);
    size_t nc = 0;
    cp_rng r;
    for (int i = 0; i < NR; ++i) {
        cp_rng_init(&r, 2024, (uint32_t)i, 0);
        int method = i < 320 ? CP_METHOD_CLEAR : i < 360 ? CP_METHOD_CANCEL : CP_METHOD_REDUCE;
        int n = 8 + (int)(cp_rng_uniform(&r) * 50), main = (int)(cp_rng_uniform(&r) * 5);
        int improvised = cp_rng_uniform(&r) < 0.3;
        double pred = 0, area = 0;
        rec[i] = (cp_calib_record){method, 0, nc, (size_t)n};
        for (int c = 0; c < n; ++c) {
            cp_calib_cell *cell = &cells[nc++];
            int k = cp_rng_uniform(&r) < 0.8 ? main : (int)(cp_rng_uniform(&r) * 5);
            cell->cls = k; /* class index into codes (77 is index 4: unlisted) */
            cell->m2 = 900 * (0.2 + 0.8 * cp_rng_uniform(&r));
            cell->treecover =
                (float)(k == 0 ? 20 + 80 * cp_rng_uniform(&r) : 60 * cp_rng_uniform(&r));
            cell->improvised = (unsigned char)improvised;
            double prod = truth_p[k] * (1 - st * cell->treecover / 100) * (improvised ? si : 1);
            pred += cell->m2 / prod;
            area += cell->m2;
        }
        double noise = exp(0.15 * cp_rng_normal(&r));
        if (i % 97 == 5) noise *= 6; /* a few wrong records */
        rec[i].team_days = (method == CP_METHOD_CLEAR    ? pred
                            : method == CP_METHOD_CANCEL ? area / nts
                                                         : area / ts) *
                           noise;
    }
    cp_cost prior;
    cp_cost_defaults(&prior);
    cp_class_value table[] = {{40, 500}, {30, 450}, {20, 350}, {10, 200}, {50, 250}, {60, 450}};
    prior.productivity = table;
    prior.nproductivity = 6;
    cp_calib_input in = {rec, NR, cells, codes, 5, &prior, 5};
    cp_calib_fit *f = NULL;
    CHECK_OK(cp_calib_fit_compute(&in, &f));
    assert_true(f->converged);
    assert_int_equal(f->nclearance, 320);
    int checked = 0;
    for (size_t k = 0; k < f->nparams; ++k) {
        const cp_calib_param *p = &f->params[k];
        double want = NAN;
        for (int c = 0; c < 4; ++c)
            if (p->code == codes[c]) want = truth_p[c];
        if (!strcmp(p->name, "productivity_default")) want = truth_p[4];
        if (!strcmp(p->name, "treecover_slowdown")) want = st;
        if (!strcmp(p->name, "improvised_slowdown")) want = si;
        if (!strcmp(p->name, "nts_m2_per_team_day")) want = nts;
        if (!strcmp(p->name, "ts_m2_per_team_day")) want = ts;
        print_message("%-22s %10.4g  [%10.4g, %10.4g]  truth %g  prior %g\n", p->name, p->estimate,
                      p->lo, p->hi, want, p->prior);
        assert_true(p->fitted);
        assert_true(p->lo <= want && want <= p->hi);
        assert_true(p->lo > 0 && p->hi < 3 * p->lo); /* an interval that says something */
        ++checked;
    }
    assert_int_equal(checked, 9);
    print_message("cv rmse(log) %.3f, median abs error %.3f\n", f->cv_rmse_log, f->cv_median_ape);
    assert_true(f->cv_median_ape > 0.05 && f->cv_median_ape < 0.2);
    assert_true(f->cost.productivity_default_m2 == f->params[4].estimate ||
                fabs(f->cost.productivity_default_m2 / 390 - 1) < 0.1);
    cp_calib_fit_free(f);
    free(cells);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answers),
        cmocka_unit_test(test_rng_streams),
        cmocka_unit_test(test_distributions_moments),
        cmocka_unit_test(test_mc_bit_identical_for_any_thread_count),
        cmocka_unit_test(test_mc_parts_assemble_to_the_whole),
        cmocka_unit_test(test_mc_without_ranges_is_the_plan),
        cmocka_unit_test(test_mc_probability_rises_with_teams),
        cmocka_unit_test(test_ranks_match_brute_force),
        cmocka_unit_test(test_ranks_fixed_weights_and_threads),
        cmocka_unit_test(test_ranks_in_blocks_sum_to_the_whole),
        cmocka_unit_test(test_ranks_binned_interval_holds_exact),
        cmocka_unit_test(test_outcomes_in_milestones),
        cmocka_unit_test(test_reserve_is_capacity_set_aside),
        cmocka_unit_test(test_trend_recovers_truth),
        cmocka_unit_test(test_projection_widens),
        cmocka_unit_test(test_calibration_recovers_truth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
