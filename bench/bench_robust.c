/* bench_robust [N [SAMPLES [THREADS [REPS [DUMP]]]]]: rank robustness under weight uncertainty,
 * cp_rank_robustness_compute on N synthetic hazards (default 100,000) with five criteria and
 * SAMPLES Dirichlet weight samples (default 10,000): every sample re-scores and ranks all
 * hazards. The plan is computed once, outside the timing. "cells" counts hazard-samples.
 * DUMP: a file to write every hazard's P5, P50, P95 rank and first-year probability to (to
 * compare two builds' results). */
#include <math.h>

#include "bench.h"

#include <clearplan/evidence.h>
#include <clearplan/plan.h>

static double cpu_s(void) { /* this process's CPU time: steadier than wall on a shared machine */
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t state = 17;
static double urand(void) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 100000;
    size_t samples = argc > 2 ? (size_t)atoll(argv[2]) : 10000;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    int reps = argc > 4 ? atoi(argv[4]) : 3;
    if (n < 1 || samples < 1 || reps < 1 || reps > 64) return 2;
    enum { NC = 5 };
    static const char *const names[NC] = {"people_nearby", "settlements", "land_use", "open_land",
                                          "improvised_mines"};
    static const double w0[NC] = {0.35, 0.10, 0.25, 0.05, 0.25};
    static const char *const regions[] = {"North", "East", "South", "West"};
    cp_hazard *h = calloc(n, sizeof *h);
    char(*ids)[24] = calloc(n, 24);
    double *comp = malloc(n * NC * sizeof *comp);
    if (!h || !ids || !comp) return 1;
    for (size_t i = 0; i < n; ++i) { /* as bench_planner: lognormal areas, 30% confirmed */
        cp_hazard_init(&h[i]);
        snprintf(ids[i], 24, "HZ-%06zu", i);
        double a = exp(9.0 + 1.1 * sqrt(-2 * log(urand() + 1e-12)) * cos(6.283185307 * urand()));
        int cha = urand() < 0.3;
        h[i].id = ids[i];
        h[i].status = cha ? CP_STATUS_CHA : CP_STATUS_SHA;
        h[i].region = regions[i % 4];
        h[i].area_m2 = a;
        h[i].cost_team_days = a * (cha ? 1.0 : 0.3) / 400 * (0.6 + 0.8 * urand());
        double b = 0;
        for (int k = 0; k < NC; ++k) {
            comp[i * NC + k] = a / 1e4 * urand();
            b += w0[k] * comp[i * NC + k];
        }
        h[i].benefit = b;
    }
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_capacity cap;
    cp_capacity_defaults(&cap);
    cap.start = cp_date_make(2026, 1, 1);
    cap.deadline = cp_date_make(2030, 3, 1);
    cp_region_teams rt[] = {{"North", 500}, {"East", 400}, {"South", 400}, {"West", 300}};
    cap.regions = rt;
    cap.nregions = 4;
    cp_plan_options o = {0};
    o.no_baselines = 1;
    cp_plan *plan = NULL;
    if (cp_plan_compute(h, n, &cap, &cost, NULL, &o, &plan) != CP_OK) {
        fprintf(stderr, "plan: %s\n", cp_errmsg());
        return 1;
    }
    cp_uncertainty u = {0};
    u.weight_concentration = 50;
    cp_rank_options ro = {NC, names,   w0, comp, n, &u,   NULL, samples,
                          1,  threads, 0,  0,    0, NULL, NULL};
    double t[64], cpu[64];
    size_t robust = 0, width = 0;
    for (int r = 0; r < reps; ++r) {
        cp_rank_robustness *res = NULL;
        double t0 = now_s(), c0 = cpu_s();
        if (cp_rank_robustness_compute(plan, &ro, &res) != CP_OK) {
            fprintf(stderr, "robustness: %s\n", cp_errmsg());
            return 1;
        }
        t[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
        robust = res->nrobust;
        width = res->bin_width;
        FILE *f = argc > 5 && r == 0 ? fopen(argv[5], "w") : NULL;
        for (size_t i = 0; f && i < n; ++i) {
            const cp_rank_item *ri = &res->items[i];
            fprintf(f, "%zu %zu %zu %zu %.17g\n", ri->rank, ri->rank_p5, ri->rank_p50, ri->rank_p95,
                    ri->p_first_year);
        }
        if (f) fclose(f);
        cp_rank_robustness_free(res);
    }
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp_double);
    fprintf(stderr, "%zu hazards x %zu samples: %zu robust, rank bins of %zu, CPU median %.3f s\n",
            n, samples, robust, width, cpu[reps / 2]);
    char name[96];
    snprintf(name, sizeof name, "dirichlet_%zu_hazards_%zu_samples", n, samples);
    report("robust", name, threads, (double)n * (double)samples, t, reps);
    cp_plan_free(plan);
    free(h);
    free(ids);
    free(comp);
    return 0;
}
