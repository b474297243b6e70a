/* Planner unit tests: the efficiency order against brute force, milestone sums, the team
 * schedule, minimal team counts, sweeps, locks and exclusions, and bad capacity inputs. */
#include <math.h>

#include "cp_test.h"

#define CHECK_OK(call)                                                 \
    do {                                                               \
        cp_status st_ = (call);                                        \
        if (st_ != CP_OK) print_error("%s: %s\n", #call, cp_errmsg()); \
        assert_int_equal(st_, CP_OK);                                  \
    } while (0)

#include <clearplan/clearplan.h>
#include <clearplan/plan.h>

#include "plan_internal.h"

/* ---- helpers ---- */

static uint64_t rng_state;
static double urand(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

typedef struct {
    cp_hazard *h;
    char (*ids)[24];
    size_t n;
} hz_set;

static hz_set make_hazards(size_t n, uint64_t seed, int integer_costs) {
    hz_set s = {calloc(n, sizeof(cp_hazard)), calloc(n, 24), n};
    rng_state = seed;
    for (size_t i = 0; i < n; ++i) {
        cp_hazard_init(&s.h[i]);
        snprintf(s.ids[i], 24, "H%04zu", i);
        s.h[i].id = s.ids[i];
        s.h[i].status = urand() < 0.5 ? CP_STATUS_SHA : CP_STATUS_CHA;
        s.h[i].area_m2 = 1000 + floor(urand() * 50000);
        s.h[i].benefit = integer_costs ? floor(1 + urand() * 5) : urand() * 10;
        s.h[i].cost_team_days = integer_costs ? floor(1 + urand() * 5) : 1 + urand() * 120;
        s.h[i].priority_mean = urand();
        s.h[i].priority_max = s.h[i].priority_mean;
    }
    return s;
}

static void free_hazards(hz_set *s) {
    free(s->h);
    free(s->ids);
}

static cp_capacity capacity(int teams) {
    cp_capacity c;
    memset(&c, 0, sizeof c);
    c.start = cp_date_make(2026, 1, 1);
    c.deadline = cp_date_make(2028, 3, 1);
    c.teams = teams;
    c.days_per_year = 220;
    c.package_team_days = 20;
    return c;
}

static cp_cost cost(void) {
    cp_cost c;
    cp_cost_defaults(&c);
    return c;
}

static int rel_eq(double a, double b, double tol) {
    return fabs(a - b) <= tol * (1 + fabs(a) + fabs(b));
}

/* sum of benefit x cumulative effort in a given order (one pool, constant rate) */
static double objective(const cp_hazard *h, const int *perm, size_t n) {
    double e = 0, s = 0;
    for (size_t k = 0; k < n; ++k) {
        e += h[perm[k]].cost_team_days;
        s += h[perm[k]].benefit * e;
    }
    return s;
}

static int next_perm(int *a, size_t n) {
    if (n < 2) return 0;
    size_t i = n - 1;
    while (i > 0 && a[i - 1] >= a[i]) --i;
    if (i == 0) return 0;
    size_t j = n - 1;
    while (a[j] <= a[i - 1]) --j;
    int t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (size_t l = i, r = n - 1; l < r; ++l, --r) t = a[l], a[l] = a[r], a[r] = t;
    return 1;
}

static size_t input_index_of(const cp_plan *p, const char *id) {
    for (size_t i = 0; i < p->nitems; ++i)
        if (!strcmp(p->items[i].h.id, id)) return i;
    return SIZE_MAX;
}

/* ---- tests ---- */

static void test_plan_order_matches_brute_force(void **state) {
    (void)state;
    for (int trial = 0; trial < 300; ++trial) {
        size_t n = 1 + (size_t)(trial % 8);
        hz_set s = make_hazards(n, 1000 + (uint64_t)trial, trial % 3 == 0);
        cp_capacity cap = capacity(10); /* 2200 team-days in 2026: all within one year */
        cp_cost cs = cost();
        cp_plan *p = NULL;
        CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, NULL, &p));
        int perm[8], best[8];
        for (size_t k = 0; k < n; ++k) perm[k] = (int)k;
        double bestv = INFINITY;
        do {
            double v = objective(s.h, perm, n);
            if (v < bestv) bestv = v, memcpy(best, perm, sizeof perm);
        } while (next_perm(perm, n));
        int got[8];
        for (size_t k = 0; k < n; ++k) got[k] = (int)p->items[k].input_index;
        double v = objective(s.h, got, n);
        if (!rel_eq(v, bestv, 1e-12)) {
            print_error("trial %d: plan objective %.17g, brute force %.17g\n", trial, v, bestv);
            fail();
        }
        /* the time-domain objective and curve area agree with the optimum too */
        for (int o = 1; o < CP_NORDER; ++o) {
            assert_true(p->orders[o].computed);
            assert_true(p->orders[CP_ORDER_EFFICIENCY].auc >= p->orders[o].auc - 1e-9);
            assert_true(p->orders[CP_ORDER_EFFICIENCY].sum_benefit_completion <=
                        p->orders[o].sum_benefit_completion + 1e-9);
        }
        /* Sum b x C in days = Sum b x E / rate */
        double rate = 10 * 220 / 365.0;
        assert_true(rel_eq(p->orders[0].sum_benefit_completion, bestv / rate, 1e-9));
        cp_plan_free(p);
        free_hazards(&s);
    }
}

static void test_plan_order_ties_by_id(void **state) {
    (void)state;
    hz_set s = make_hazards(4, 1, 0);
    for (size_t i = 0; i < 4; ++i) s.h[i].benefit = 2, s.h[i].cost_team_days = 4;
    strcpy(s.ids[0], "d");
    strcpy(s.ids[1], "b");
    strcpy(s.ids[2], "c");
    strcpy(s.ids[3], "a");
    s.h[2].cost_team_days = 0; /* zero cost first */
    cp_capacity cap = capacity(5);
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 4, &cap, &cs, NULL, NULL, &p));
    assert_string_equal(p->items[0].h.id, "c");
    assert_string_equal(p->items[1].h.id, "a");
    assert_string_equal(p->items[2].h.id, "b");
    assert_string_equal(p->items[3].h.id, "d");
    assert_int_equal(p->items[0].npackages, 0);
    assert_true(isnan(p->items[0].efficiency));
    cp_plan_free(p);
    free_hazards(&s);
}

static void test_plan_dates_one_team(void **state) {
    (void)state;
    cp_hazard h[2];
    cp_hazard_init(&h[0]);
    cp_hazard_init(&h[1]);
    h[0].id = "A", h[0].area_m2 = 100, h[0].benefit = 10, h[0].cost_team_days = 10;
    h[1].id = "B", h[1].area_m2 = 100, h[1].benefit = 4, h[1].cost_team_days = 5;
    cp_capacity cap = capacity(1);
    cap.days_per_year = 365; /* 2026 has 365 days: one team-day per calendar day */
    cap.package_team_days = 4;
    cap.deadline = cp_date_make(2026, 1, 15);
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(h, 2, &cap, &cs, NULL, NULL, &p));
    char d[11];
    assert_string_equal(p->items[0].h.id, "A");
    assert_string_equal(cp_date_format(p->items[0].start, d), "2026-01-01");
    assert_string_equal(cp_date_format(p->items[0].end, d), "2026-01-10");
    assert_string_equal(cp_date_format(p->items[1].start, d), "2026-01-11");
    assert_string_equal(cp_date_format(p->items[1].end, d), "2026-01-15");
    assert_string_equal(cp_date_format(p->completion, d), "2026-01-15");
    assert_true(p->met); /* finishing on the deadline day meets it */
    assert_int_equal(p->min_teams, 1);
    assert_int_equal(p->items[0].npackages, 3); /* 10 team-days in packages <= 4 */
    assert_int_equal(p->npackages, 5);
    assert_true(rel_eq(p->packages[0].team_days, 10.0 / 3, 1e-12));
    assert_string_equal(p->packages[0].id, "A#1");
    assert_string_equal(cp_date_format(p->packages[4].end, d), "2026-01-15");
    /* released by method: SHA shares */
    assert_true(rel_eq(p->items[0].released_m2[CP_METHOD_CANCEL], 45, 1e-12));
    assert_true(rel_eq(p->items[0].cost_usd, 10 * cs.team_day_usd, 1e-12));
    cp_plan_free(p);
    cap.deadline = cp_date_make(2026, 1, 14);
    CHECK_OK(cp_plan_compute(h, 2, &cap, &cs, NULL, NULL, &p));
    assert_false(p->met);
    assert_int_equal(p->min_teams, 2);
    assert_true(rel_eq(p->remaining_team_days, 1, 1e-9));
    assert_true(rel_eq(p->remaining_m2, 20, 1e-9)); /* 1 of B's 5 team-days: 100 m2 / 5 */
    assert_true(rel_eq(p->funding_gap_usd, cs.team_day_usd, 1e-9));
    assert_int_equal(p->remaining_hazards, 1);
    cp_plan_free(p);
}

static void check_milestones(const cp_plan *p, const cp_milestone *ms, size_t n) {
    double rel[CP_NMETHOD] = {0}, area = 0, benefit = 0, td = 0, usd = 0;
    size_t done = 0;
    double prev = p->area_m2;
    for (size_t k = 0; k < n; ++k) {
        for (int m = 0; m < CP_NMETHOD; ++m) rel[m] += ms[k].released_m2[m];
        area += ms[k].area_m2;
        benefit += ms[k].benefit;
        td += ms[k].team_days;
        usd += ms[k].cost_usd;
        done += ms[k].hazards_completed;
        assert_true(ms[k].remaining_m2 <= prev + 1e-6);
        assert_true(ms[k].team_days <= ms[k].capacity_team_days * (1 + 1e-9) + 1e-9);
        prev = ms[k].remaining_m2;
    }
    for (int m = 0; m < CP_NMETHOD; ++m) assert_true(rel_eq(rel[m], p->released_m2[m], 1e-9));
    assert_true(rel_eq(area, p->area_m2, 1e-9));
    assert_true(rel_eq(benefit, p->benefit, 1e-9));
    assert_true(rel_eq(td, p->team_days, 1e-9));
    assert_true(rel_eq(usd, p->cost_usd, 1e-9));
    assert_int_equal(done, p->nitems);
    assert_true(ms[n - 1].remaining_m2 == 0);
}

static void test_plan_milestone_sums(void **state) {
    (void)state;
    hz_set s = make_hazards(500, 7, 0);
    for (size_t i = 0; i < 500; ++i) s.h[i].cost_team_days *= 3;
    s.h[3].cost_team_days = 0;
    cp_capacity cap = capacity(20);
    cap.start = cp_date_make(2026, 5, 17);
    cp_year_teams py[] = {{2026, 10}, {2027, 0}, {2028, 25}};
    cap.per_year = py;
    cap.nper_year = 3;
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 500, &cap, &cs, NULL, NULL, &p));
    check_milestones(p, p->years, p->nyears);
    check_milestones(p, p->quarters, p->nquarters);
    assert_int_equal(p->years[0].year, 2026);
    assert_int_equal(p->quarters[0].quarter, 2);
    char d[11];
    assert_string_equal(cp_date_format(p->years[0].start, d), "2026-05-17");
    /* no work in 2027: zero teams */
    assert_true(p->years[1].capacity_team_days == 0);
    assert_true(p->years[1].team_days == 0);
    assert_true(rel_eq(p->years[2].capacity_team_days, 25 * 220, 1e-9));
    for (size_t i = 0; i < p->nitems; ++i) {
        int y;
        cp_date_split(p->items[i].start, &y, NULL, NULL);
        assert_true(y != 2027 || p->items[i].h.cost_team_days == 0);
        assert_true(p->items[i].end >= p->items[i].start);
        if (i) assert_true(p->items[i].t_end >= p->items[i - 1].t_end);
    }
    assert_int_equal(p->ninput, 500);
    cp_plan_free(p);
    free_hazards(&s);
}

typedef struct {
    int team;
    double t0, t1;
} span;

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->team != y->team) return x->team - y->team;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

static void check_schedule(const cp_plan *p) {
    size_t *seen = calloc(p->nitems + 1, sizeof *seen);
    span *sp = calloc(p->npackages + 1, sizeof *sp);
    size_t expect = 0;
    for (size_t i = 0; i < p->nitems; ++i) {
        const cp_plan_item *it = &p->items[i];
        double sum = 0;
        for (size_t k = 0; k < it->npackages; ++k) {
            const cp_plan_package *pk = &p->packages[it->first_package + k];
            assert_int_equal(pk->item, i);
            assert_int_equal(pk->seq, (int)k + 1);
            assert_true(pk->team_days <= p->package_team_days * (1 + 1e-9));
            assert_true(pk->t_end >= pk->t_start);
            assert_true(pk->end >= pk->start);
            const cp_plan_pool *pool = &p->pools[it->pool];
            assert_true(pk->team >= pool->first_team && pk->team < pool->first_team + pool->nteams);
            sum += pk->team_days;
        }
        assert_true(rel_eq(sum, it->h.cost_team_days, 1e-9));
        expect += it->npackages;
        if (it->h.cost_team_days > 0) assert_true(it->npackages >= 1);
    }
    assert_int_equal(expect, p->npackages);
    for (size_t k = 0; k < p->npackages; ++k) {
        seen[p->packages[k].item]++;
        sp[k] = (span){p->packages[k].team, p->packages[k].t_start, p->packages[k].t_end};
    }
    for (size_t i = 0; i < p->nitems; ++i) assert_int_equal(seen[i], p->items[i].npackages);
    qsort(sp, p->npackages, sizeof *sp, span_cmp);
    for (size_t k = 1; k < p->npackages; ++k)
        if (sp[k].team == sp[k - 1].team) assert_true(sp[k].t0 >= sp[k - 1].t1 - 1e-9);
    free(seen);
    free(sp);
}

static void test_plan_schedule_no_overlap(void **state) {
    (void)state;
    hz_set s = make_hazards(400, 11, 0);
    const char *regions[] = {"North", "East", "South"};
    for (size_t i = 0; i < 400; ++i) s.h[i].region = regions[i % 3];
    cp_cost cs = cost();
    /* one pool with per-year teams */
    cp_capacity cap = capacity(4);
    cp_year_teams py[] = {{2026, 3}, {2027, 6}, {2028, 2}};
    cap.per_year = py;
    cap.nper_year = 3;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 400, &cap, &cs, NULL, NULL, &p));
    check_schedule(p);
    assert_int_equal(p->nteams_scheduled, 6);
    cp_plan_free(p);
    /* regions */
    cap = capacity(0);
    cp_region_teams rt[] = {{"North", 3}, {"East", 1.4}, {"South", 2}};
    cap.regions = rt;
    cap.nregions = 3;
    CHECK_OK(cp_plan_compute(s.h, 400, &cap, &cs, NULL, NULL, &p));
    check_schedule(p);
    assert_int_equal(p->npools, 3);
    assert_int_equal(p->nteams_scheduled, 6);
    assert_int_equal(p->pools[1].first_team, 4);
    for (size_t i = 0; i < p->nitems; ++i)
        assert_string_equal(p->items[i].h.region, p->pools[p->items[i].pool].name);
    /* ranks follow the global order; each region's items follow it too */
    for (size_t i = 0; i < p->nitems; ++i) assert_int_equal(p->items[i].rank, i + 1);
    check_milestones(p, p->years, p->nyears);
    check_milestones(p, p->quarters, p->nquarters);
    cp_plan_free(p);
    free_hazards(&s);
}

static void test_plan_min_teams_is_minimal(void **state) {
    (void)state;
    for (int trial = 0; trial < 20; ++trial) {
        size_t n = 50 + (size_t)trial * 13;
        hz_set s = make_hazards(n, 100 + (uint64_t)trial, 0);
        for (size_t i = 0; i < n; ++i) s.h[i].cost_team_days *= 1 + trial;
        cp_capacity cap = capacity(60);
        cap.start = cp_date_make(2026, 3, 1 + trial);
        cp_cost cs = cost();
        cp_plan *p = NULL;
        CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, NULL, &p));
        int N = p->min_teams;
        assert_true(N >= 1);
        cp_plan *q = NULL;
        cap.teams = N;
        CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, NULL, &q));
        assert_true(q->met);
        assert_true(q->remaining_m2 == 0);
        assert_int_equal(q->min_teams, N);
        cp_plan_free(q);
        if (N > 1) {
            cap.teams = N - 1;
            CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, NULL, &q));
            assert_false(q->met);
            assert_true(q->remaining_m2 > 0);
            assert_true(q->funding_gap_usd > 0);
            cp_plan_free(q);
        }
        cp_plan_free(p);
        free_hazards(&s);
    }
}

static void test_plan_min_teams_regions(void **state) {
    (void)state;
    hz_set s = make_hazards(300, 5, 0);
    for (size_t i = 0; i < 300; ++i) {
        s.h[i].region = i % 4 == 0 ? "East" : "North";
        s.h[i].cost_team_days *= 10;
    }
    cp_capacity cap = capacity(0);
    cp_region_teams rt[] = {{"North", 4}, {"East", 4}};
    cap.regions = rt;
    cap.nregions = 2;
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 300, &cap, &cs, NULL, NULL, &p));
    int nN = p->pools[0].min_teams, nE = p->pools[1].min_teams;
    assert_true(nN > nE);
    assert_int_equal(p->min_teams, nN + nE);
    cp_region_teams ok[] = {{"North", nN}, {"East", nE}};
    cap.regions = ok;
    cp_plan *q = NULL;
    CHECK_OK(cp_plan_compute(s.h, 300, &cap, &cs, NULL, NULL, &q));
    assert_true(q->met);
    cp_plan_free(q);
    cp_region_teams lessN[] = {{"North", nN - 1}, {"East", nE}};
    cap.regions = lessN;
    CHECK_OK(cp_plan_compute(s.h, 300, &cap, &cs, NULL, NULL, &q));
    assert_false(q->met);
    assert_false(q->pools[0].met);
    assert_true(q->pools[1].met);
    cp_plan_free(q);
    cp_plan_free(p);
    free_hazards(&s);
}

static void test_plan_sweep(void **state) {
    (void)state;
    hz_set s = make_hazards(200, 9, 0);
    for (size_t i = 0; i < 200; ++i) s.h[i].cost_team_days *= 5;
    cp_capacity cap = capacity(5);
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 200, &cap, &cs, NULL, NULL, &p));
    int N = p->min_teams;
    assert_true(N > 2);
    double teams[] = {N - 1, N, 5};
    cp_plan_options o = {0};
    o.sweep_teams = teams;
    o.nsweep = 3;
    cp_plan *q = NULL;
    CHECK_OK(cp_plan_compute(s.h, 200, &cap, &cs, NULL, &o, &q));
    assert_int_equal(q->nsweep, 3);
    assert_false(q->sweep[0].met);
    assert_true(q->sweep[1].met);
    assert_true(q->sweep[0].funding_gap_usd > 0);
    assert_true(q->sweep[1].funding_gap_usd == 0);
    assert_int_equal(q->sweep[2].completion, p->completion);
    assert_true(rel_eq(q->sweep[2].remaining_m2, p->remaining_m2, 1e-9));
    assert_true(rel_eq(q->sweep[2].funding_gap_usd, p->funding_gap_usd, 1e-9));
    cp_plan_free(q);
    cp_plan_free(p);
    free_hazards(&s);
}

static void test_plan_locks_and_exclusions(void **state) {
    (void)state;
    hz_set s = make_hazards(10, 3, 0);
    s.h[7].locked = 1;
    s.h[2].locked = 1;
    char *locked[] = {"H0005", "H0001"};
    cp_exclusion ex[] = {{"H0009", "handed over to army"}, {"H0000", NULL}};
    cp_plan_rules r = {locked, 2, ex, 2};
    cp_capacity cap = capacity(5);
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 10, &cap, &cs, &r, NULL, &p));
    assert_int_equal(p->nitems, 8);
    assert_int_equal(p->nexcluded, 2);
    assert_int_equal(p->ninput, 10);
    assert_string_equal(p->items[0].h.id, "H0005");
    assert_string_equal(p->items[1].h.id, "H0001");
    /* flagged ones next, by efficiency */
    const cp_plan_item *a = &p->items[2], *b = &p->items[3];
    assert_true(!strcmp(a->h.id, "H0002") || !strcmp(a->h.id, "H0007"));
    assert_true(!strcmp(b->h.id, "H0002") || !strcmp(b->h.id, "H0007"));
    assert_true(a->efficiency >= b->efficiency);
    for (size_t i = 5; i < p->nitems; ++i)
        assert_true(p->items[i - 1].efficiency >= p->items[i].efficiency);
    assert_string_equal(p->excluded[0].id, "H0000");
    assert_string_equal(p->excluded[0].reason, "excluded");
    assert_string_equal(p->excluded[1].reason, "handed over to army");
    assert_true(input_index_of(p, "H0009") == SIZE_MAX);
    cp_plan_free(p);
    /* unknown ids and conflicts */
    char *bad[] = {"nope"};
    cp_plan_rules r2 = {bad, 1, NULL, 0};
    assert_int_equal(cp_plan_compute(s.h, 10, &cap, &cs, &r2, NULL, &p), CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "rules.locked: no hazard has the id <nope>");
    char *both[] = {"H0009"};
    cp_plan_rules r3 = {both, 1, ex, 1};
    assert_int_equal(cp_plan_compute(s.h, 10, &cap, &cs, &r3, NULL, &p), CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "both locked and excluded");
    free_hazards(&s);
}

static void expect_error(const cp_hazard *h, size_t n, const cp_capacity *cap, const cp_cost *cs,
                         cp_status want, const char *msg) {
    cp_plan *p = NULL;
    cp_status st = cp_plan_compute(h, n, cap, cs, NULL, NULL, &p);
    if (st != want) {
        print_error("expected status %d, got %d (%s)\n", want, st, cp_errmsg());
        fail();
    }
    assert_null(p);
    cpt_assert_contains(cp_errmsg(), msg);
}

static void test_plan_bad_inputs(void **state) {
    (void)state;
    hz_set s = make_hazards(5, 2, 0);
    cp_cost cs = cost();
    cp_capacity cap = capacity(0);
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "teams must be positive");
    cap = capacity(-3);
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "teams must be positive");
    cap = capacity(4);
    cap.deadline = cap.start - 10;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "deadline 2025-12-22 is not after start");
    cap = capacity(4);
    cap.deadline = cap.start;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "is not after start");
    cap = capacity(4);
    cap.days_per_year = 0;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "days_per_year");
    cap = capacity(4);
    cap.package_team_days = -1;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "package_team_days");
    cap = capacity(4);
    cp_year_teams py[] = {{2026, 4}, {2027, -1}};
    cap.per_year = py;
    cap.nper_year = 2;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "teams in 2027 must be zero or more");
    py[1].teams = 0;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "zero teams from 2027 on");
    /* regions */
    cap = capacity(0);
    cp_region_teams rt[] = {{"North", 3}};
    cap.regions = rt;
    cap.nregions = 1;
    s.h[2].region = "North";
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "has no region, but capacity.regions");
    for (size_t i = 0; i < 5; ++i) s.h[i].region = "North";
    s.h[3].region = "Atlantis";
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG,
                 "hazard <H0003>: region <Atlantis> has no teams in capacity.regions");
    s.h[3].region = "North";
    rt[0].teams = -2;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "<North> teams must be zero or more");
    rt[0].teams = 0;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "<North> has 0 teams but 5 hazards");
    for (size_t i = 0; i < 5; ++i) s.h[i].region = NULL;
    /* hazards */
    cap = capacity(4);
    s.h[1].area_m2 = -5;
    expect_error(s.h, 5, &cap, &cs, CP_E_ARG, "hazard <H0001>: area_m2 must be zero or more");
    s.h[1].area_m2 = 5;
    s.h[1].cost_team_days = NAN;
    expect_error(s.h, 5, &cap, &cs, CP_E_ARG, "hazard <H0001>: cost_team_days is missing");
    s.h[1].cost_team_days = 5;
    s.h[4].id = s.h[2].id;
    expect_error(s.h, 5, &cap, &cs, CP_E_ARG, "duplicate hazard id <H0002>");
    s.h[4].id = s.ids[4];
    s.h[0].status = 7;
    expect_error(s.h, 5, &cap, &cs, CP_E_ARG, "status must be SHA or CHA");
    s.h[0].status = CP_STATUS_CHA;
    cs.team_day_usd = -1;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "team_day_usd");
    cs = cost();
    /* a plan that cannot finish within the calendar */
    cap = capacity(4);
    cap.teams = 1e-6;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "does not complete within 1000 years");
    free_hazards(&s);
}

static void test_plan_empty(void **state) {
    (void)state;
    cp_capacity cap = capacity(4);
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(NULL, 0, &cap, &cs, NULL, NULL, &p));
    assert_int_equal(p->nitems, 0);
    assert_true(p->met);
    assert_int_equal(p->min_teams, 0);
    assert_int_equal(p->nyears, 1);
    char *json = NULL;
    assert_int_equal(cp_plan_summary_json(p, &json), CP_OK);
    cpt_assert_contains(json, "\"deadline_met\": true");
    free(json);
    cp_plan_free(p);
    cp_plan_free(NULL);
}

static void test_plan_large_is_fast(void **state) {
    (void)state;
    size_t n = 100000;
    hz_set s = make_hazards(n, 77, 0);
    for (size_t i = 0; i < n; ++i) s.h[i].cost_team_days *= 0.1;
    cp_capacity cap = capacity(400);
    cp_cost cs = cost();
    double teams[] = {300, 400, 600};
    cp_plan_options o = {0};
    o.sweep_teams = teams;
    o.nsweep = 3;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, &o, &p));
    assert_int_equal(p->nitems, n);
    check_schedule(p);
    cp_plan_free(p);
    free_hazards(&s);
}

static void test_plan_number_format(void **state) {
    (void)state;
    static const struct {
        double v;
        const char *s;
    } cases[] = {{0, "0"},
                 {-0.0, "0"},
                 {1500, "1500"},
                 {28374.719999999998, "28374.72"},
                 {0.5, "0.5"},
                 {-2.25, "-2.25"},
                 {0.001, "0.001"},
                 {0.000123, "0.000123"},
                 {100, "100"},
                 {99999.99999999999, "100000"},
                 {0.21410098091754237, "0.214100980917542"},
                 {123456789012345.0, "123456789012345"},
                 {1e15, "1e+15"},
                 {1e-5, "1e-05"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        cp_planbuf b = {0};
        cp_planbuf_num(&b, cases[i].v, "");
        assert_string_equal(b.data, cases[i].s);
        cp_planbuf_free(&b);
    }
    rng_state = 42;
    for (int i = 0; i < 200000; ++i) {
        double v = (urand() - 0.3) * pow(10, floor(urand() * 22) - 5);
        cp_planbuf b = {0};
        cp_planbuf_num(&b, v, "");
        double back = strtod(b.data, NULL);
        if (!(fabs(back - v) <= 1e-14 * fabs(v))) {
            print_error("%.17g -> %s\n", v, b.data);
            fail();
        }
        cp_planbuf_free(&b);
    }
    cp_planbuf b = {0};
    cp_planbuf_num(&b, NAN, "null");
    cp_planbuf_int(&b, -1234567);
    cp_planbuf_date(&b, cp_date_make(2028, 3, 1));
    assert_string_equal(b.data, "null-12345672028-03-01");
    cp_planbuf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_order_matches_brute_force),
        cmocka_unit_test(test_plan_order_ties_by_id),
        cmocka_unit_test(test_plan_dates_one_team),
        cmocka_unit_test(test_plan_milestone_sums),
        cmocka_unit_test(test_plan_schedule_no_overlap),
        cmocka_unit_test(test_plan_min_teams_is_minimal),
        cmocka_unit_test(test_plan_min_teams_regions),
        cmocka_unit_test(test_plan_sweep),
        cmocka_unit_test(test_plan_locks_and_exclusions),
        cmocka_unit_test(test_plan_bad_inputs),
        cmocka_unit_test(test_plan_empty),
        cmocka_unit_test(test_plan_large_is_fast),
        cmocka_unit_test(test_plan_number_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
