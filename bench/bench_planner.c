/* bench_planner [N [REPS]]: cp_plan_compute on N synthetic scored hazards (default 100,000),
 * in memory (no file I/O): land release in stages, the team schedule, teams needed, a
 * three-value sweep and the baselines. Cases: one pool; four regions (one without teams) with
 * redeployment; survey and clearance team types with a yearly budget. "cells" counts hazards. */
#include <math.h>

#include "bench.h"

#include <clearplan/plan.h>

static double cpu_s(void) { /* this process's CPU time: steadier than wall on a shared machine */
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t state = 11;
static double urand(void) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 100000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 1 || reps < 1 || reps > 64) return 2;
    cp_hazard *h = calloc(n, sizeof *h);
    char(*ids)[24] = calloc(n, 24);
    if (!h || !ids) return 1;
    static const char *const regions[] = {"North", "East", "South", "West"};
    for (size_t i = 0; i < n; ++i) { /* as bench_plan.sh: lognormal areas, 30% confirmed */
        cp_hazard_init(&h[i]);
        snprintf(ids[i], sizeof ids[i], "HZ-%06zu", i);
        double a = exp(9.0 + 1.1 * sqrt(-2 * log(urand() + 1e-12)) * cos(6.283185307 * urand()));
        int cha = urand() < 0.3;
        double pr = urand();
        h[i].id = ids[i];
        h[i].status = cha ? CP_STATUS_CHA : CP_STATUS_SHA;
        h[i].region = regions[i % 4];
        h[i].area_m2 = a;
        h[i].benefit = a / 1e4 * pr;
        h[i].cost_team_days = a * (cha ? 1.0 : 0.3) / 400 * (0.6 + 0.8 * urand());
        h[i].priority_mean = pr;
    }
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_capacity base;
    cp_capacity_defaults(&base);
    base.start = cp_date_make(2026, 1, 1);
    base.deadline = cp_date_make(2030, 3, 1);
    cp_region_teams rt[] = {{"North", 160}, {"East", 120}, {"South", 120}, {"West", 0}};
    cp_team_type types[] = {{"survey", {1, 1, 0}, NAN, NAN, NAN, NULL, 0, 900},
                            {"manual", {0, 0, 1}, NAN, NAN, NAN, NULL, 0, NAN}};
    cp_team_count counts[] = {{-1, 0, 60, NULL, 0}, {-1, 1, 340, NULL, 0}};
    int sweep[] = {400, 600, 800};
    for (int k = 0; k < 3; ++k) {
        cp_capacity cap = base;
        const char *name = "one_pool";
        cap.teams = 400;
        if (k == 1) {
            name = "four_regions_redeploy";
            cap.regions = rt;
            cap.nregions = 4;
        } else if (k == 2) {
            name = "types_and_budget";
            cap.types = types;
            cap.ntypes = 2;
            cap.counts = counts;
            cap.ncounts = 2;
            cap.budget_usd = 1.2e8;
        }
        cp_plan_options o = {0};
        o.teams = 400;
        o.sweep_teams = sweep;
        o.nsweep = 3;
        double t[64], cpu[64];
        size_t npk = 0;
        int needed = 0;
        for (int r = 0; r < reps; ++r) {
            cp_plan *p = NULL;
            double t0 = now_s(), c0 = cpu_s();
            if (cp_plan_compute(h, n, &cap, &cost, NULL, &o, &p) != CP_OK) {
                fprintf(stderr, "%s: %s\n", name, cp_errmsg());
                return 1;
            }
            t[r] = now_s() - t0;
            cpu[r] = cpu_s() - c0;
            npk = p->npackages;
            needed = p->teams_needed;
            cp_plan_free(p);
        }
        qsort(cpu, (size_t)reps, sizeof *cpu, cmp_double);
        fprintf(stderr, "%s: %zu packages, teams needed %d, CPU median %.3f s\n", name, npk, needed,
                cpu[reps / 2]);
        report("planner", name, 1, (double)n, t, reps);
    }
    free(h);
    free(ids);
    return 0;
}
