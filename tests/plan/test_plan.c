/* Planner unit tests (the pure library alone: this executable links clearplan_planner, not
 * the engine, so a GDAL call in the planner would not link). The order against brute force
 * (Smith's rule, Sidney's rule for stage chains); every plan checked against its own written
 * schedule by an independent checker; teams needed verified (N meets, N - 1 misses) on random
 * instances with regions, per-year gaps, budgets, stages and team types; one regression test
 * per defect of issue #13; locks, exclusions and bad inputs. */
#include <math.h>

#include "cp_test.h"

#include <clearplan/plan.h>

#define CHECK_OK(call)                                                 \
    do {                                                               \
        cp_status st_ = (call);                                        \
        if (st_ != CP_OK) print_error("%s: %s\n", #call, cp_errmsg()); \
        assert_int_equal(st_, CP_OK);                                  \
    } while (0)

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
    c.budget_usd = NAN;
    return c;
}

/* The defaults with one clearance productivity for every class (400 m2 a team-day: the class
 * table dropped, as `productivity_m2_per_team_day: 400` does in a scenario). */
static cp_cost cost(void) {
    cp_cost c;
    cp_cost_defaults(&c);
    c.productivity = NULL;
    c.nproductivity = 0;
    return c;
}

/* One stage per hazard: clearance only. */
static cp_cost clearance_only(void) {
    cp_cost c = cost();
    for (int s = 0; s < 2; ++s) c.release[s][0] = c.release[s][1] = 0, c.release[s][2] = 1;
    return c;
}

static int rel_eq(double a, double b, double tol) {
    return fabs(a - b) <= tol * (1 + fabs(a) + fabs(b));
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

static size_t index_of(const cp_plan *p, const char *id) {
    for (size_t i = 0; i < p->nitems; ++i)
        if (!strcmp(p->items[i].h.id, id)) return i;
    return SIZE_MAX;
}

static int64_t day_of(const cp_plan *p, cp_date d) {
    return (int64_t)(d - p->start);
}

/* ---- the independent checker: a plan agrees with its written schedule ---- */

typedef struct {
    int team;
    double t0, t1;
} span;

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->team != y->team) return x->team - y->team;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    return x->t1 < y->t1 ? -1 : x->t1 > y->t1;
}

/* Checks from the packages alone: teams never overlap, every package is worked by a type
 * that does its stage, stages follow each other, each hazard's dates and team are its
 * packages', and completion, the verdict and the remaining area, hazards and work at the
 * deadline are what the packages say (dates in whole days). */
static void check_plan(const cp_plan *p) {
    const int64_t D = day_of(p, p->deadline);
    span *sp = calloc(p->npackages + 1, sizeof *sp);
    int complete = 1;
    cp_date last = p->start;
    double remaining = 0, remaining_td = 0;
    size_t late_items = 0, npk = 0;
    for (size_t i = 0; i < p->nitems; ++i) {
        const cp_plan_item *it = &p->items[i];
        assert_int_equal(it->rank, i + 1);
        double stage_end[CP_NMETHOD] = {0}, stage_start[CP_NMETHOD];
        int stage_pk[CP_NMETHOD] = {0};
        for (int s = 0; s < CP_NMETHOD; ++s) stage_start[s] = INFINITY;
        cp_date first = INT32_MAX, lastd = 0;
        for (size_t k = 0; k < it->npackages; ++k) {
            const cp_plan_package *pk = &p->packages[it->first_package + k];
            assert_int_equal(pk->item, i);
            assert_true(pk->team >= 1 && pk->team <= p->nteams);
            assert_int_equal(pk->type, p->team_list[pk->team - 1].type);
            assert_true(p->types[pk->type].stages[pk->stage]);
            assert_true(it->has_stage[pk->stage]);
            assert_true(pk->team_days <= p->package_team_days * (1 + 1e-9));
            assert_true(pk->t_end >= pk->t_start && pk->end >= pk->start);
            assert_int_equal(pk->redeployed, p->team_list[pk->team - 1].home != pk->region);
            assert_int_equal(pk->region, it->pool);
            if (!p->redeploy) assert_false(pk->redeployed);
            if (k) assert_true(pk->stage >= p->packages[it->first_package + k - 1].stage);
            if (pk->t_end > stage_end[pk->stage]) stage_end[pk->stage] = pk->t_end;
            if (pk->t_start < stage_start[pk->stage]) stage_start[pk->stage] = pk->t_start;
            stage_pk[pk->stage]++;
            if (pk->start < first) first = pk->start;
            if (pk->end > lastd) lastd = pk->end;
            if (day_of(p, pk->end) > D) remaining_td += pk->team_days; /* bounded below */
            sp[npk++] = (span){pk->team, pk->t_start, pk->t_end};
        }
        /* a stage starts when the one before it has ended */
        for (int s = 1; s < CP_NMETHOD; ++s)
            for (int q = 0; q < s; ++q)
                if (stage_pk[s] && stage_pk[q]) assert_true(stage_start[s] >= stage_end[q] - 1e-9);
        assert_int_equal(it->scheduled, it->unscheduled_packages == 0);
        if (it->npackages) {
            assert_int_equal(it->start, first);
            assert_int_equal(it->team, p->packages[it->first_package].team);
            if (it->scheduled) assert_int_equal(it->end, lastd);
        }
        if (!it->scheduled) complete = 0;
        if (it->scheduled && it->end > last) last = it->end;
        int late = !it->scheduled || day_of(p, it->end) > D;
        late_items += (size_t)late;
        for (int s = 0; s < CP_NMETHOD; ++s) /* a stage without an end is not scheduled */
            if (it->has_stage[s] && (!it->stage_end[s] || day_of(p, it->stage_end[s]) > D))
                remaining += it->released_m2[s];
        if (it->scheduled && it->h.cost_team_days > 0)
            assert_true(rel_eq(it->team_days, it->h.cost_team_days, 1e-9) || p->has_types);
    }
    assert_int_equal(npk, p->npackages);
    qsort(sp, npk, sizeof *sp, span_cmp);
    for (size_t k = 1; k < npk; ++k)
        if (sp[k].team == sp[k - 1].team && !(sp[k].t0 >= sp[k - 1].t1 - 1e-9)) {
            print_error("team %d works [%.9g, %.9g) and [%.9g, %.9g)\n", sp[k].team, sp[k - 1].t0,
                        sp[k - 1].t1, sp[k].t0, sp[k].t1);
            fail();
        }
    assert_int_equal(p->complete, complete);
    int met = complete && day_of(p, last) <= D;
    if (p->met != met) {
        char a[11], b[11];
        print_error("verdict %d, schedule says %d (last %s, deadline %s)\n", p->met, met,
                    cp_date_format(last, a), cp_date_format(p->deadline, b));
        fail();
    }
    if (complete) assert_int_equal(p->completion, last);
    assert_int_equal(p->remaining_hazards, late_items);
    assert_true(rel_eq(p->remaining_m2, met ? 0 : remaining, 1e-9));
    assert_true(p->remaining_team_days <= remaining_td * (1 + 1e-9) + 1e-9 || !complete);
    if (!met) assert_true(p->remaining_team_days > 0);
    free(sp);
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
    assert_true(rel_eq(td, p->scheduled_team_days, 1e-9));
    assert_true(rel_eq(usd, p->cost_usd, 1e-9));
    assert_int_equal(done, p->nitems);
    assert_true(ms[n - 1].remaining_m2 == 0);
}

/* Plans with T(n) (opts->teams = n) and returns the verdict, after checking the plan. */
static int met_with(const hz_set *s, const cp_capacity *cap, const cp_cost *cs, int n) {
    cp_plan_options o = {0};
    o.teams = n;
    o.no_baselines = 1;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s->h, s->n, cap, cs, NULL, &o, &p));
    check_plan(p);
    int met = p->met;
    assert_int_equal((int)p->teams, n);
    cp_plan_free(p);
    return met;
}

/* teams_needed = N: T(N) meets and T(N - 1) misses, each checked against its schedule. */
static void check_teams_needed(const hz_set *s, const cp_capacity *cap, const cp_cost *cs,
                               const cp_plan *p) {
    if (p->teams_needed < 0) {
        assert_non_null(p->teams_needed_note);
        return;
    }
    int N = p->teams_needed, sum = 0;
    for (size_t r = 0; r < p->npools; ++r) sum += p->pools[r].teams_needed;
    assert_int_equal(sum, N);
    if (N == 0) return;
    if (!met_with(s, cap, cs, N)) {
        print_error("teams_needed %d does not meet the deadline\n", N);
        fail();
    }
    if (N > 1 && met_with(s, cap, cs, N - 1)) {
        print_error("teams_needed %d, but %d meet the deadline too\n", N, N - 1);
        fail();
    }
}

/* ---- the order against brute force ---- */

/* sum of benefit x cumulative effort in a given order (one pool, constant rate) */
static double objective(const double *w, const double *e, const int *perm, size_t n) {
    double t = 0, s = 0;
    for (size_t k = 0; k < n; ++k) {
        t += e[perm[k]];
        s += w[perm[k]] * t;
    }
    return s;
}

static void test_plan_order_matches_brute_force(void **state) {
    (void)state;
    for (int trial = 0; trial < 300; ++trial) {
        size_t n = 1 + (size_t)(trial % 8);
        hz_set s = make_hazards(n, 1000 + (uint64_t)trial, trial % 3 == 0);
        cp_capacity cap = capacity(10); /* 2200 team-days in 2026: all within one year */
        cp_cost cs = clearance_only();  /* one stage per hazard: Smith's rule */
        cp_plan *p = NULL;
        CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, NULL, &p));
        double w[8], e[8];
        for (size_t k = 0; k < n; ++k) w[k] = s.h[k].benefit, e[k] = s.h[k].cost_team_days;
        int perm[8], got[8];
        for (size_t k = 0; k < n; ++k) perm[k] = (int)k;
        double best = INFINITY;
        do {
            double v = objective(w, e, perm, n);
            if (v < best) best = v;
        } while (next_perm(perm, n));
        for (size_t k = 0; k < n; ++k) got[k] = (int)p->items[k].input_index;
        double v = objective(w, e, got, n);
        if (!rel_eq(v, best, 1e-12)) {
            print_error("trial %d: plan objective %.17g, brute force %.17g\n", trial, v, best);
            fail();
        }
        for (int o = 1; o < CP_NORDER; ++o) {
            assert_true(p->orders[o].computed);
            assert_true(p->orders[CP_ORDER_EFFICIENCY].auc >= p->orders[o].auc - 1e-9);
            assert_true(p->orders[CP_ORDER_EFFICIENCY].sum_benefit_completion <=
                        p->orders[o].sum_benefit_completion + 1e-9);
        }
        double rate = 10 * 220 / 365.0; /* sum b x C in days = sum b x E / rate */
        assert_true(rel_eq(p->orders[0].sum_benefit_completion, best / rate, 1e-9));
        check_plan(p);
        cp_plan_free(p);
        free_hazards(&s);
    }
}

/* Chain-respecting orders of the stage jobs: the minimum of sum w x C by enumeration. */
typedef struct {
    int n;         /* jobs */
    int chain[12]; /* hazard of each job */
    int pos[12];   /* position within the chain */
    double w[12], e[12];
    int len[4], nchains;
} chains;

static double brute_chains(const chains *c, int *next, double t, double acc, int left) {
    if (!left) return acc;
    double best = INFINITY;
    for (int h = 0; h < c->nchains; ++h) {
        if (next[h] >= c->len[h]) continue;
        int j = -1;
        for (int k = 0; k < c->n; ++k)
            if (c->chain[k] == h && c->pos[k] == next[h]) j = k;
        next[h]++;
        double v = brute_chains(c, next, t + c->e[j], acc + c->w[j] * (t + c->e[j]), left - 1);
        next[h]--;
        if (v < best) best = v;
    }
    return best;
}

static void test_plan_stage_order_matches_brute_force(void **state) {
    (void)state;
    for (int trial = 0; trial < 200; ++trial) {
        size_t n = 1 + (size_t)(trial % 4);
        hz_set s = make_hazards(n, 7000 + (uint64_t)trial, 0);
        cp_cost cs = cost();
        rng_state = 99 + (uint64_t)trial;
        for (int st = 0; st < 2; ++st) { /* random shares, some stages skipped */
            double a = urand() < 0.2 ? 0 : urand(), b = urand() < 0.2 ? 0 : urand(), c = urand();
            double sum = a + b + c;
            cs.release[st][0] = a / sum, cs.release[st][1] = b / sum, cs.release[st][2] = c / sum;
        }
        cs.nts_m2_per_team_day = 200 + urand() * 40000;
        cs.ts_m2_per_team_day = 100 + urand() * 2500;
        for (size_t i = 0; i < n; ++i) s.h[i].benefit = urand() < 0.1 ? 0 : urand() * 10;
        cp_capacity cap = capacity(10);
        cp_plan *p = NULL;
        CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, NULL, &p));
        chains c = {0};
        c.nchains = (int)n;
        for (size_t i = 0; i < n; ++i) {
            const cp_plan_item *it = &p->items[i];
            for (int st = 0; st < CP_NMETHOD; ++st) {
                if (!it->has_stage[st]) continue;
                c.chain[c.n] = (int)i;
                c.pos[c.n] = c.len[i]++;
                c.w[c.n] = it->stage_benefit[st];
                c.e[c.n] = it->stage_ref_team_days[st];
                c.n++;
            }
            /* the stage efforts follow the cost model */
            const double *rel = cs.release[it->h.status];
            double nts = it->h.area_m2 * rel[0] / cs.nts_m2_per_team_day;
            double ts = it->h.area_m2 * rel[1] / cs.ts_m2_per_team_day;
            double sv = nts + ts, total = s.h[it->input_index].cost_team_days;
            double f = sv > total ? total / sv : 1;
            assert_true(rel_eq(it->stage_ref_team_days[0], rel[0] > 0 ? nts * f : 0, 1e-12));
            assert_true(rel_eq(it->stage_ref_team_days[1], rel[1] > 0 ? ts * f : 0, 1e-12));
            assert_true(rel_eq(it->h.cost_team_days, total, 1e-12));
        }
        int next[4] = {0};
        double best = brute_chains(&c, next, 0, 0, c.n);
        double rate = 10 * 220 / 365.0;
        double got = p->orders[0].sum_benefit_completion * rate;
        if (!rel_eq(got, best, 1e-9)) {
            print_error("trial %d: plan %.17g, brute force %.17g\n", trial, got, best);
            fail();
        }
        for (int o = 1; o < CP_NORDER; ++o)
            assert_true(p->orders[0].sum_benefit_completion <=
                        p->orders[o].sum_benefit_completion * (1 + 1e-12) + 1e-9);
        check_plan(p);
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
    s.h[2].area_m2 = 0; /* zero cost: no work at all, first */
    s.h[2].cost_team_days = 0;
    cp_capacity cap = capacity(5);
    cp_cost cs = clearance_only();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 4, &cap, &cs, NULL, NULL, &p));
    assert_string_equal(p->items[0].h.id, "c");
    assert_string_equal(p->items[1].h.id, "a");
    assert_string_equal(p->items[2].h.id, "b");
    assert_string_equal(p->items[3].h.id, "d");
    assert_int_equal(p->items[0].npackages, 0);
    assert_true(isnan(p->items[0].efficiency));
    check_plan(p);
    cp_plan_free(p);
    free_hazards(&s);
}

/* ---- the time model ---- */

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
    cp_cost cs = clearance_only();
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
    assert_int_equal(p->teams_needed, 1);
    assert_int_equal(p->items[0].npackages, 3); /* 10 team-days in packages <= 4 */
    assert_int_equal(p->npackages, 5);
    assert_true(rel_eq(p->packages[0].team_days, 10.0 / 3, 1e-12));
    assert_int_equal(p->packages[0].seq, 1);
    assert_int_equal(p->packages[0].item, 0);
    assert_string_equal(cp_date_format(p->packages[4].end, d), "2026-01-15");
    assert_true(rel_eq(p->items[0].released_m2[CP_METHOD_CLEAR], 100, 1e-12));
    assert_true(rel_eq(p->items[0].cost_usd, 10 * cs.team_day_usd, 1e-12));
    check_plan(p);
    cp_plan_free(p);
    cap.deadline = cp_date_make(2026, 1, 14);
    CHECK_OK(cp_plan_compute(h, 2, &cap, &cs, NULL, NULL, &p));
    assert_false(p->met);
    assert_int_equal(p->teams_needed, 2);
    assert_true(rel_eq(p->remaining_team_days, 1, 1e-9)); /* B's last day */
    assert_true(rel_eq(p->remaining_m2, 100, 1e-9));      /* B is released when it ends */
    assert_true(rel_eq(p->funding_gap_usd, cs.team_day_usd, 1e-9));
    assert_int_equal(p->remaining_hazards, 1);
    check_plan(p);
    check_teams_needed(&(hz_set){h, NULL, 2}, &cap, &cs, p);
    cp_plan_free(p);
}

static void test_plan_stages_survey_first(void **state) {
    (void)state;
    cp_hazard h;
    cp_hazard_init(&h);
    h.id = "S", h.area_m2 = 40000, h.benefit = 10, h.cost_team_days = 0.45 + 4 + 30;
    cp_capacity cap = capacity(1);
    cap.days_per_year = 365;
    cap.package_team_days = 100;
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(&h, 1, &cap, &cs, NULL, NULL, &p));
    const cp_plan_item *it = &p->items[0];
    /* NTS 40000 x 0.45 / 40000, TS 40000 x 0.25 / 2500, clearance the rest */
    assert_true(rel_eq(it->stage_ref_team_days[0], 0.45, 1e-12));
    assert_true(rel_eq(it->stage_ref_team_days[1], 4, 1e-12));
    assert_true(rel_eq(it->stage_ref_team_days[2], 30, 1e-12));
    assert_int_equal(it->npackages, 3);
    for (int s = 0; s < 3; ++s) assert_int_equal(p->packages[s].stage, s);
    char d[11];
    assert_string_equal(cp_date_format(it->stage_end[0], d), "2026-01-01");
    assert_string_equal(cp_date_format(it->stage_end[1], d), "2026-01-05");
    assert_string_equal(cp_date_format(it->stage_end[2], d), "2026-02-04");
    /* the cancelled area is released when NTS ends, in the first quarter */
    assert_true(rel_eq(p->quarters[0].released_m2[0], 18000, 1e-12));
    assert_true(rel_eq(p->schedule_remaining_m2[CP_PLAN_CURVE_POINTS - 1], 0, 1e-12));
    check_plan(p);
    cp_plan_free(p);
    /* a confirmed hazard skips NTS (share 0) */
    h.status = CP_STATUS_CHA;
    CHECK_OK(cp_plan_compute(&h, 1, &cap, &cs, NULL, NULL, &p));
    assert_false(p->items[0].has_stage[0]);
    assert_int_equal(p->items[0].npackages, 2);
    assert_int_equal(p->packages[0].stage, CP_METHOD_REDUCE);
    check_plan(p);
    cp_plan_free(p);
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
    check_plan(p);
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
    for (size_t k = 0; k < p->npackages; ++k) {
        int y0, y1;
        cp_date_split(p->packages[k].start, &y0, NULL, NULL);
        cp_date_split(p->packages[k].end, &y1, NULL, NULL);
        assert_true(y0 != 2027);
    }
    assert_int_equal(p->ninput, 500);
    cp_plan_free(p);
    free_hazards(&s);
}

static void test_plan_schedule_regions(void **state) {
    (void)state;
    hz_set s = make_hazards(400, 11, 0);
    const char *regions[] = {"North", "East", "South"};
    for (size_t i = 0; i < 400; ++i) s.h[i].region = regions[i % 3];
    cp_cost cs = cost();
    cp_capacity cap = capacity(0);
    cp_region_teams rt[] = {{"North", 3}, {"East", 1}, {"South", 2}};
    cap.regions = rt;
    cap.nregions = 3;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 400, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    assert_int_equal(p->npools, 3);
    assert_int_equal(p->nteams, 6);
    assert_int_equal(p->pools[1].first_team, 4);
    for (size_t i = 0; i < p->nitems; ++i)
        assert_string_equal(p->items[i].h.region, p->pools[p->items[i].pool].name);
    check_milestones(p, p->years, p->nyears);
    check_milestones(p, p->quarters, p->nquarters);
    check_teams_needed(&s, &cap, &cs, p);
    cp_plan_free(p);
    free_hazards(&s);
}

/* ---- the one truth on random instances ---- */

typedef struct {
    cp_capacity cap;
    cp_year_teams py[4];
    cp_region_teams rt[3];
    cp_team_type types[3];
    cp_team_count counts[9];
    cp_year_teams cpy[9][2];
    cp_year_usd budget[2];
    cp_class_value mech[2];
} random_capacity;

/* Capacities of every kind: one pool, per-year counts with gaps, regions (one without
 * teams), team types (survey / manual / mechanical), budgets, redeployment on or off. */
static void random_capacity_make(random_capacity *rc, int kind, hz_set *s, int *classes) {
    memset(rc, 0, sizeof *rc);
    cp_capacity *c = &rc->cap;
    *c = capacity(1 + (int)(urand() * 6));
    c->deadline =
        cp_date_make(2026 + (int)(urand() * 3), 1 + (int)(urand() * 12), 1 + (int)(urand() * 28));
    c->package_team_days = 5 + urand() * 30;
    c->redeploy = urand() < 0.5;
    c->mobilisation_days = floor(urand() * 60);
    static const char *names[] = {"North", "East", "South"};
    switch (kind % 5) {
        case 0: /* one pool */
            break;
        case 1: /* per year, with a gap */
            rc->py[0] = (cp_year_teams){2026, 1 + floor(urand() * 4)};
            rc->py[1] = (cp_year_teams){2027, floor(urand() * 2)};
            rc->py[2] = (cp_year_teams){2028, 0};
            rc->py[3] = (cp_year_teams){2029, 1 + floor(urand() * 5)};
            c->per_year = rc->py;
            c->nper_year = 4;
            break;
        case 2: /* regions, one of them possibly without teams */
        case 3:
            for (int r = 0; r < 3; ++r)
                rc->rt[r] = (cp_region_teams){(char *)names[r], floor(urand() * 4)};
            if (rc->rt[0].teams == 0) rc->rt[0].teams = 1;
            c->regions = rc->rt;
            c->nregions = 3;
            for (size_t i = 0; i < s->n; ++i) s->h[i].region = names[i % 3];
            break;
        default: /* team types per region and year */
            rc->types[0] = (cp_team_type){"survey", {1, 1, 0}, NAN, NAN, NAN, NULL, 0, 900};
            rc->types[1] = (cp_team_type){"manual", {0, 0, 1}, NAN, NAN, NAN, NULL, 0, NAN};
            rc->mech[0] = (cp_class_value){classes[0], 1500};
            rc->mech[1] = (cp_class_value){classes[1], 300};
            rc->types[2] =
                (cp_team_type){"mechanical", {0, 1, 1}, NAN, 6000, 900, rc->mech, 2, 4000};
            c->types = rc->types;
            c->ntypes = 3;
            for (int r = 0; r < 2; ++r) rc->rt[r] = (cp_region_teams){(char *)names[r], 0};
            c->regions = rc->rt;
            c->nregions = 2;
            for (int r = 0, k = 0; r < 2; ++r)
                for (int t = 0; t < 3; ++t, ++k) {
                    rc->cpy[k][0] = (cp_year_teams){2026, floor(urand() * 3)};
                    rc->cpy[k][1] = (cp_year_teams){2027, floor(urand() * 4)};
                    rc->counts[k] = (cp_team_count){r, t, 0, rc->cpy[k], 2};
                }
            rc->cpy[1][1].teams = 2; /* some clearance */
            rc->cpy[0][1].teams = 1; /* some survey */
            c->counts = rc->counts;
            c->ncounts = 6;
            for (size_t i = 0; i < s->n; ++i) s->h[i].region = names[i % 2];
    }
    if (urand() < 0.3) { /* a yearly budget */
        rc->budget[0] = (cp_year_usd){2026, 2e5 + urand() * 2e6};
        rc->budget[1] = (cp_year_usd){2027, 5e5 + urand() * 5e6};
        c->budget_per_year = rc->budget;
        c->nbudget_per_year = 2;
    }
}

static void test_plan_verdict_is_the_schedule(void **state) {
    (void)state;
    int classes[2] = {10, 40};
    double class_m2[200][3];
    int met = 0, missed = 0, none = 0;
    for (int trial = 0; trial < 60; ++trial) {
        size_t n = 20 + (size_t)(trial * 7 % 60);
        hz_set s = make_hazards(n, 500 + (uint64_t)trial, 0);
        rng_state = 31 + (uint64_t)trial;
        random_capacity rc;
        random_capacity_make(&rc, trial, &s, classes);
        for (size_t i = 0; i < n; ++i) {
            if (trial % 2) { /* land-cover class areas instead of cost_team_days */
                for (int k = 0; k < 3; ++k) class_m2[i][k] = urand() * s.h[i].area_m2;
                s.h[i].class_m2 = class_m2[i];
                s.h[i].cost_team_days = NAN;
            }
            if (i % 17 == 3) s.h[i].benefit = 0;
            if (i % 23 == 5) s.h[i].cost_team_days = 0, s.h[i].class_m2 = NULL;
        }
        cp_cost cs = cost();
        cp_plan_options o = {0};
        o.classes = classes;
        o.nclasses = 2;
        cp_plan *p = NULL;
        CHECK_OK(cp_plan_compute(s.h, n, &rc.cap, &cs, NULL, &o, &p));
        check_plan(p);
        if (p->complete) check_milestones(p, p->years, p->nyears);
        if (p->complete) check_milestones(p, p->quarters, p->nquarters);
        /* the ideal bound is a bound */
        if (p->complete && isfinite(p->t_ideal)) assert_true(p->t_ideal <= p->t_completion + 1e-6);
        /* teams needed, verified on the schedule */
        int N = p->teams_needed;
        if (N >= 0) {
            cp_plan_options o2 = o;
            o2.teams = N;
            cp_plan *q = NULL;
            CHECK_OK(cp_plan_compute(s.h, n, &rc.cap, &cs, NULL, &o2, &q));
            check_plan(q);
            assert_true(q->met);
            cp_plan_free(q);
            if (N > 1) {
                o2.teams = N - 1;
                CHECK_OK(cp_plan_compute(s.h, n, &rc.cap, &cs, NULL, &o2, &q));
                check_plan(q);
                assert_false(q->met);
                cp_plan_free(q);
            }
        } else {
            assert_non_null(p->teams_needed_note);
            ++none;
        }
        met += p->met;
        missed += !p->met;
        cp_plan_free(p);
        free_hazards(&s);
    }
    /* the instances cover both verdicts */
    assert_true(met > 5 && missed > 5);
    assert_true(none < 30);
}

/* ---- regressions: one per defect of issue #13 ---- */

/* "123 teams, met one day before" while packages ran past the deadline: on random
 * instances teams needed meets on its own schedule and one team fewer misses. */
static void test_plan_teams_needed_meets_its_schedule(void **state) {
    (void)state;
    for (int trial = 0; trial < 40; ++trial) {
        size_t n = 30 + (size_t)trial * 5;
        hz_set s = make_hazards(n, 100 + (uint64_t)trial, 0);
        for (size_t i = 0; i < n; ++i) s.h[i].cost_team_days *= 1 + trial;
        cp_capacity cap = capacity(60);
        cap.start = cp_date_make(2026, 3, 1 + trial % 28);
        cap.package_team_days = 10 + trial;
        cp_cost cs = cost();
        cp_plan *p = NULL;
        CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, NULL, &p));
        check_plan(p);
        assert_true(p->teams_needed >= 1);
        check_teams_needed(&s, &cap, &cs, p);
        cp_plan_free(p);
        free_hazards(&s);
    }
}

/* One hazard of 20 team-days in one package, a 10-day window: no number of teams. */
static void test_plan_indivisible_package_named(void **state) {
    (void)state;
    cp_hazard h;
    cp_hazard_init(&h);
    h.id = "BIG", h.area_m2 = 8000, h.benefit = 3, h.cost_team_days = 20;
    cp_capacity cap = capacity(2);
    cap.days_per_year = 365;
    cap.deadline = cap.start + 9; /* ten days */
    cp_cost cs = clearance_only();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(&h, 1, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    assert_false(p->met);
    assert_int_equal(p->teams_needed, -1);
    assert_string_equal(p->infeasible_id, "BIG");
    assert_int_equal(p->ninfeasible, 1);
    cpt_assert_contains(p->teams_needed_note, "hazard <BIG> cannot be finished by the deadline");
    cp_plan_free(p);
    /* two packages of 10 team-days each fit with two teams */
    cap.package_team_days = 10;
    CHECK_OK(cp_plan_compute(&h, 1, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    assert_int_equal(p->teams_needed, 2);
    assert_true(p->met);
    cp_plan_free(p);
}

/* --teams 4 over three regions: whole teams (2, 1, 1), and the verdict is their schedule. */
static void test_plan_whole_regional_teams(void **state) {
    (void)state;
    hz_set s = make_hazards(90, 3, 0);
    const char *names[] = {"North", "East", "South"};
    for (size_t i = 0; i < 90; ++i) s.h[i].region = names[i % 3];
    cp_capacity cap = capacity(0);
    cp_region_teams rt[] = {{"North", 1}, {"East", 1}, {"South", 1}};
    cap.regions = rt;
    cap.nregions = 3;
    cap.redeploy = 0;
    cp_cost cs = cost();
    cp_plan_options o = {0};
    o.teams = 4;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 90, &cap, &cs, NULL, &o, &p));
    check_plan(p);
    assert_int_equal(p->nteams, 4);
    assert_true(p->pools[0].teams == 2 && p->pools[1].teams == 1 && p->pools[2].teams == 1);
    check_teams_needed(&s, &cap, &cs, p);
    cp_plan_free(p);
    /* fractional teams are refused */
    rt[1].teams = 1.33;
    assert_int_equal(cp_plan_compute(s.h, 90, &cap, &cs, NULL, NULL, &p), CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "teams are whole: teams of <East> is 1.33");
    free_hazards(&s);
}

/* 7 teams x 250 days x 1 year for 1,750 team-days: met on the last day, 7 needed; and 600
 * other exactly sufficient capacities. */
static void test_plan_exactly_sufficient(void **state) {
    (void)state;
    int cases = 0;
    rng_state = 5;
    for (int trial = 0; trial < 600; ++trial) {
        int teams = trial ? 1 + (int)(urand() * 12) : 7;
        double dpy = trial ? 100 + floor(urand() * 266) : 250;
        int years = trial ? 1 + (int)(urand() * 3) : 1;
        int y0 = 2024 + trial % 7;
        size_t n = (size_t)(teams * years);
        cp_hazard *h = calloc(n, sizeof *h);
        char(*ids)[16] = calloc(n, 16);
        for (size_t i = 0; i < n; ++i) {
            cp_hazard_init(&h[i]);
            snprintf(ids[i], 16, "E%03zu", i);
            h[i].id = ids[i];
            h[i].area_m2 = 1000, h[i].benefit = 1, h[i].cost_team_days = dpy;
        }
        cp_capacity cap = capacity(teams);
        cap.start = cp_date_make(y0, 1, 1);
        cap.deadline = cp_date_make(y0 + years, 1, 1) - 1;
        cap.days_per_year = dpy;
        cap.package_team_days = dpy;
        cp_cost cs = clearance_only();
        cp_plan *p = NULL;
        CHECK_OK(cp_plan_compute(h, n, &cap, &cs, NULL, NULL, &p));
        check_plan(p);
        if (!p->met || p->completion != cap.deadline || p->teams_needed != teams) {
            char d[11];
            print_error("%d teams x %g days x %d years from %d: met %d, completion %s, needed %d\n",
                        teams, dpy, years, y0, p->met, cp_date_format(p->completion, d),
                        p->teams_needed);
            fail();
        }
        ++cases;
        cp_plan_free(p);
        free(h);
        free(ids);
    }
    assert_int_equal(cases, 600);
}

/* Teams {2026: 2, 2027: 1, 2029: 2}: a team counted out of 2027-2028 does not keep a
 * package over the gap while another team could finish it first. */
static void test_plan_retired_team_does_not_keep_work(void **state) {
    (void)state;
    cp_hazard h[3];
    const char *ids[] = {"A", "B", "C"};
    for (int i = 0; i < 3; ++i) {
        cp_hazard_init(&h[i]);
        h[i].id = ids[i], h[i].area_m2 = 1000, h[i].benefit = 3 - i;
    }
    h[0].cost_team_days = 320, h[0].benefit = 3.2; /* team 1 until mid-December 2026 */
    h[1].cost_team_days = 300, h[1].benefit = 2.5; /* team 2 until late November 2026 */
    h[2].cost_team_days = 100, h[2].benefit = 0.5; /* C: team 2 is free first, but would
                                                      pause from 2027 to 2029 */
    cp_capacity cap = capacity(0);
    cp_year_teams py[] = {{2026, 2}, {2027, 1}, {2029, 2}};
    cap.per_year = py;
    cap.nper_year = 3;
    cap.days_per_year = 330;
    cap.package_team_days = 330;
    cap.deadline = cp_date_make(2030, 1, 1);
    cp_cost cs = clearance_only();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(h, 3, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    size_t c = index_of(p, "C");
    const cp_plan_package *pk = &p->packages[p->items[c].first_package];
    int y;
    cp_date_split(pk->end, &y, NULL, NULL);
    /* team 1 is free in early 2027 and finishes C in 2027; team 2 would finish in 2029 */
    assert_int_equal(pk->team, 1);
    assert_int_equal(y, 2027);
    /* no package of a team lasts over a year in which the team is not counted, while the
       other team could have taken it */
    for (size_t k = 0; k < p->npackages; ++k) {
        int y0, y1;
        cp_date_split(p->packages[k].start, &y0, NULL, NULL);
        cp_date_split(p->packages[k].end, &y1, NULL, NULL);
        if (p->packages[k].team == 2) assert_true(y1 <= 2026 || y0 >= 2029);
    }
    cp_plan_free(p);
}

/* A deadline on the start day; a region with work but no teams; work far longer than the
 * calendar; hazards without cost or without benefit: all answered. */
static void test_plan_edge_cases_answered(void **state) {
    (void)state;
    cp_cost cs = clearance_only();
    cp_hazard h[3];
    const char *ids[] = {"tiny", "zero", "nothing"};
    for (int i = 0; i < 3; ++i) {
        cp_hazard_init(&h[i]);
        h[i].id = ids[i], h[i].area_m2 = 100, h[i].benefit = 1, h[i].cost_team_days = 0.5;
    }
    h[1].cost_team_days = 0;            /* zero cost */
    h[2].benefit = 0, h[2].area_m2 = 0; /* zero benefit, no area */
    h[2].cost_team_days = 0;
    cp_capacity cap = capacity(1);
    cap.deadline = cap.start; /* one day */
    cap.days_per_year = 365;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(h, 3, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    assert_true(p->met);
    assert_int_equal(p->completion, cap.start);
    assert_int_equal(p->teams_needed, 1);
    assert_int_equal(p->items[index_of(p, "zero")].npackages, 0);
    assert_true(p->items[index_of(p, "zero")].scheduled);
    cp_plan_free(p);
    h[0].cost_team_days = 3; /* three days of work, one day: 3 teams */
    cap.package_team_days = 1;
    CHECK_OK(cp_plan_compute(h, 3, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    assert_false(p->met);
    assert_int_equal(p->teams_needed, 3);
    check_teams_needed(&(hz_set){h, NULL, 3}, &cap, &cs, p);
    cp_plan_free(p);

    /* a region with hazards but no teams: without redeployment never scheduled, teams
       needed still computed and verified; with redeployment the others' teams go there */
    hz_set s = make_hazards(60, 77, 0);
    for (size_t i = 0; i < 60; ++i) s.h[i].region = i % 3 ? "North" : "East";
    cap = capacity(0);
    cp_region_teams rt[] = {{"North", 4}, {"East", 0}};
    cap.regions = rt;
    cap.nregions = 2;
    cap.deadline = cp_date_make(2031, 1, 1);
    cp_cost c2 = cost();
    CHECK_OK(cp_plan_compute(s.h, 60, &cap, &c2, NULL, NULL, &p));
    check_plan(p);
    assert_false(p->complete);
    assert_false(p->met);
    assert_true(p->pools[0].met);
    assert_false(p->pools[1].met);
    assert_true(p->teams_needed > 0);
    assert_true(p->pools[1].teams_needed > 0);
    check_teams_needed(&s, &cap, &c2, p);
    cp_plan_free(p);
    cap.redeploy = 1;
    cap.mobilisation_days = 45;
    CHECK_OK(cp_plan_compute(s.h, 60, &cap, &c2, NULL, NULL, &p));
    check_plan(p);
    assert_true(p->complete);
    assert_true(p->redeployed_packages > 0);
    for (size_t k = 0; k < p->npackages; ++k)
        if (p->packages[k].redeployed) assert_true(p->packages[k].t_start >= 45 - 1e-9);
    check_teams_needed(&s, &cap, &c2, p);
    cp_plan_free(p);
    free_hazards(&s);

    /* 5,000 years of work for one team: an answer, not a refusal */
    cp_hazard big;
    cp_hazard_init(&big);
    big.id = "huge", big.area_m2 = 1e9, big.benefit = 1e5, big.cost_team_days = 220.0 * 5000;
    cap = capacity(1);
    cap.package_team_days = 200;
    CHECK_OK(cp_plan_compute(&big, 1, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    assert_false(p->met);
    assert_false(p->complete);
    assert_true(p->unscheduled_packages > 0);
    assert_true(p->npackages < 200); /* the schedule stops with the calendar */
    int y;
    cp_date_split(p->ideal_completion, &y, NULL, NULL);
    assert_true(y >= 7020 && y <= 7030); /* the ideal bound, 5,000 years on */
    assert_true(p->teams_needed > 2000);
    check_teams_needed(&(hz_set){&big, NULL, 1}, &cap, &cs, p);
    cp_plan_free(p);
}

/* plan.csv took start and end from the pooled model and team from the schedule: now every
 * hazard's dates and team are its packages' (checked by check_plan), on a busy instance. */
static void test_plan_hazard_dates_are_its_packages(void **state) {
    (void)state;
    hz_set s = make_hazards(300, 21, 0);
    cp_capacity cap = capacity(7);
    cap.package_team_days = 9;
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 300, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    size_t multi = 0;
    for (size_t i = 0; i < p->nitems; ++i) multi += p->items[i].npackages > 1;
    assert_true(multi > 100);
    cp_plan_free(p);
    free_hazards(&s);
}

/* ---- budgets, types, redeployment ---- */

static void test_plan_budget_binds(void **state) {
    (void)state;
    hz_set s = make_hazards(100, 4, 0);
    cp_capacity cap = capacity(20);
    cap.deadline = cp_date_make(2030, 12, 31);
    cp_cost cs = cost();
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 100, &cap, &cs, NULL, NULL, &p));
    double total = p->cost_usd;
    assert_true(p->met);
    assert_int_equal(p->budget_binding_years, 0);
    cp_plan_free(p);
    cap.budget_usd = total / 3.5; /* money for 3.5 years of work */
    CHECK_OK(cp_plan_compute(s.h, 100, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    check_milestones(p, p->years, p->nyears);
    assert_true(p->budget_binding_years >= 3);
    assert_true(p->years[0].budget_binding);
    for (size_t k = 0; k < p->nyears; ++k) /* spending stays within each year's budget */
        assert_true(p->years[k].cost_usd <= cap.budget_usd * (1 + 1e-9));
    assert_true(p->met); /* the deadline is five years away */
    check_teams_needed(&s, &cap, &cs, p);
    cp_plan_free(p);
    cap.deadline = cp_date_make(2027, 12, 31); /* two years of money cannot pay for it */
    CHECK_OK(cp_plan_compute(s.h, 100, &cap, &cs, NULL, NULL, &p));
    check_plan(p);
    assert_false(p->met);
    assert_int_equal(p->teams_needed, -1);
    cpt_assert_contains(p->teams_needed_note, "yearly budget");
    cp_plan_free(p);
    free_hazards(&s);
}

static void test_plan_team_types(void **state) {
    (void)state;
    hz_set s = make_hazards(80, 8, 0);
    int classes[2] = {10, 40};
    double cm[80][3];
    rng_state = 4;
    for (size_t i = 0; i < 80; ++i) {
        cm[i][0] = urand() * 5000, cm[i][1] = urand() * 5000, cm[i][2] = urand() * 100;
        s.h[i].class_m2 = cm[i];
        s.h[i].status = CP_STATUS_SHA;
    }
    cp_class_value mech_classes[] = {{10, 200}, {40, 4000}};
    cp_team_type types[] = {
        {"survey", {1, 1, 0}, 20000, NAN, NAN, NULL, 0, 800},
        {"manual", {0, 0, 1}, NAN, NAN, NAN, NULL, 0, NAN},
        {"mechanical", {0, 0, 1}, NAN, NAN, 1000, mech_classes, 2, 5000},
    };
    cp_team_count counts[] = {{-1, 0, 2, NULL, 0}, {-1, 1, 5, NULL, 0}, {-1, 2, 1, NULL, 0}};
    cp_capacity cap = capacity(0);
    cap.types = types;
    cap.ntypes = 3;
    cap.counts = counts;
    cap.ncounts = 3;
    cap.deadline = cp_date_make(2031, 1, 1);
    cp_cost cs = cost();
    cp_plan_options o = {0};
    o.classes = classes;
    o.nclasses = 2;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, 80, &cap, &cs, NULL, &o, &p));
    check_plan(p);
    assert_int_equal(p->nteams, 8);
    assert_int_equal(p->ntypes, 3);
    size_t by_type[3] = {0};
    for (size_t k = 0; k < p->npackages; ++k) {
        const cp_plan_package *pk = &p->packages[k];
        const cp_plan_item *it = &p->items[pk->item];
        by_type[pk->type]++;
        assert_int_equal(pk->type == 0, pk->stage != CP_METHOD_CLEAR);
        /* the type's productivities: survey at 20000 m2 a day, clearance per class */
        if (pk->stage == CP_METHOD_CANCEL) {
            double e = it->h.area_m2 * cs.release[0][0] / 20000;
            int np = 0;
            for (size_t q = 0; q < it->npackages; ++q)
                np += p->packages[it->first_package + q].stage == CP_METHOD_CANCEL;
            assert_true(rel_eq(pk->team_days * np, e, 1e-9));
            assert_true(rel_eq(pk->cost_usd, pk->team_days * 800, 1e-9));
        }
        if (pk->stage == CP_METHOD_CLEAR && pk->type == 2)
            assert_true(rel_eq(pk->cost_usd, pk->team_days * 5000, 1e-9));
    }
    assert_true(by_type[0] > 0 && by_type[1] > 0 && by_type[2] > 0);
    /* reference clearance effort: class areas at the cost section's productivity */
    const cp_plan_item *it = &p->items[0];
    double ref = 0.30 * (it->h.class_m2[0] + it->h.class_m2[1] + it->h.class_m2[2]) / 400;
    assert_true(rel_eq(it->stage_ref_team_days[CP_METHOD_CLEAR], ref, 1e-12));
    int tn = 0;
    for (size_t t = 0; t < 3; ++t) tn += p->types[t].teams_needed;
    assert_int_equal(tn, p->teams_needed);
    check_teams_needed(&s, &cap, &cs, p);
    cp_plan_free(p);
    /* a stage no type does */
    types[0].stages[1] = 0;
    assert_int_equal(cp_plan_compute(s.h, 80, &cap, &cs, NULL, &o, &p), CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "no team type does ts");
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
    int N = p->teams_needed;
    assert_true(N > 2);
    int teams[] = {N - 1, N, 5};
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
    const cp_plan_item *a = &p->items[2], *b = &p->items[3];
    assert_true(!strcmp(a->h.id, "H0002") || !strcmp(a->h.id, "H0007"));
    assert_true(!strcmp(b->h.id, "H0002") || !strcmp(b->h.id, "H0007"));
    assert_string_equal(p->excluded[0].id, "H0000");
    assert_string_equal(p->excluded[0].reason, "excluded");
    assert_string_equal(p->excluded[1].reason, "handed over to army");
    assert_true(index_of(p, "H0009") == SIZE_MAX);
    check_plan(p);
    cp_plan_free(p);
    char *bad[] = {"nope"};
    cp_plan_rules r2 = {bad, 1, NULL, 0};
    assert_int_equal(cp_plan_compute(s.h, 10, &cap, &cs, &r2, NULL, &p), CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "plan.locked: no hazard has the id <nope>");
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
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "teams must be zero or more");
    cap = capacity(4);
    cap.deadline = cap.start - 10;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "deadline 2025-12-22 is before start");
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
    py[0].teams = 0, py[1].teams = 0;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "no team works in any year");
    cap = capacity(0);
    cp_region_teams rt[] = {{"North", 3}};
    cap.regions = rt;
    cap.nregions = 1;
    s.h[2].region = "North";
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "has no region, but capacity.regions");
    for (size_t i = 0; i < 5; ++i) s.h[i].region = "North";
    s.h[3].region = "Atlantis";
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG,
                 "hazard <H0003>: region <Atlantis> is not in capacity.regions");
    s.h[3].region = "North";
    rt[0].teams = -2;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "teams of <North> must be zero or more");
    for (size_t i = 0; i < 5; ++i) s.h[i].region = NULL;
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
    cap.package_team_days = 1e-6;
    s.h[0].cost_team_days = 1e4;
    expect_error(s.h, 5, &cap, &cs, CP_E_CONFIG, "package_team_days is too small");
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
    assert_int_equal(p->teams_needed, 0);
    assert_int_equal(p->nyears, 1);
    cp_plan_free(p);
    cp_plan_free(NULL);
}

static void test_plan_large(void **state) {
    (void)state;
    size_t n = 20000;
    hz_set s = make_hazards(n, 77, 0);
    const char *names[] = {"North", "East", "South", "West"};
    for (size_t i = 0; i < n; ++i) s.h[i].cost_team_days *= 0.1, s.h[i].region = names[i % 4];
    cp_capacity cap = capacity(0);
    cp_region_teams rt[] = {{"North", 30}, {"East", 20}, {"South", 10}, {"West", 0}};
    cap.regions = rt;
    cap.nregions = 4;
    cap.redeploy = 1;
    cap.mobilisation_days = 20;
    cp_cost cs = cost();
    int teams[] = {40, 60, 80};
    cp_plan_options o = {0};
    o.sweep_teams = teams;
    o.nsweep = 3;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(s.h, n, &cap, &cs, NULL, &o, &p));
    assert_int_equal(p->nitems, n);
    check_plan(p);
    check_milestones(p, p->years, p->nyears);
    assert_true(p->redeployed_packages > 0);
    cp_plan_free(p);
    free_hazards(&s);
}

/* The day work ends on: the start day for no work (every hazard excluded gave a completion
 * the day before the start in run.json and the report), then day by day. */
static void test_plan_end_day(void **state) {
    (void)state;
    cp_date s = cp_date_make(2026, 1, 1);
    assert_int_equal(cp_plan_end_day(s, 0), s);
    assert_int_equal(cp_plan_end_day(s, 0.5), s);
    assert_int_equal(cp_plan_end_day(s, 1), s);
    assert_int_equal(cp_plan_end_day(s, 1.25), s + 1);
    assert_int_equal(cp_plan_end_day(s, 365), s + 364);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_end_day),
        cmocka_unit_test(test_plan_order_matches_brute_force),
        cmocka_unit_test(test_plan_stage_order_matches_brute_force),
        cmocka_unit_test(test_plan_order_ties_by_id),
        cmocka_unit_test(test_plan_dates_one_team),
        cmocka_unit_test(test_plan_stages_survey_first),
        cmocka_unit_test(test_plan_milestone_sums),
        cmocka_unit_test(test_plan_schedule_regions),
        cmocka_unit_test(test_plan_verdict_is_the_schedule),
        cmocka_unit_test(test_plan_teams_needed_meets_its_schedule),
        cmocka_unit_test(test_plan_indivisible_package_named),
        cmocka_unit_test(test_plan_whole_regional_teams),
        cmocka_unit_test(test_plan_exactly_sufficient),
        cmocka_unit_test(test_plan_retired_team_does_not_keep_work),
        cmocka_unit_test(test_plan_edge_cases_answered),
        cmocka_unit_test(test_plan_hazard_dates_are_its_packages),
        cmocka_unit_test(test_plan_budget_binds),
        cmocka_unit_test(test_plan_team_types),
        cmocka_unit_test(test_plan_sweep),
        cmocka_unit_test(test_plan_locks_and_exclusions),
        cmocka_unit_test(test_plan_bad_inputs),
        cmocka_unit_test(test_plan_empty),
        cmocka_unit_test(test_plan_large),
    };
    if (getenv("CP_TEST_FILTER")) cmocka_set_test_filter(getenv("CP_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
