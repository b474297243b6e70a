/* Timing harness shared by the bench_*.c programs: repeat a case, print one JSON line. */
#ifndef CP_BENCH_H
#define CP_BENCH_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Prints {"bench":..., "case":..., "threads":..., "cells":..., "median_s":..., "min_s":...,
 * "cells_per_s":...} from `reps` timings. */
static inline void report(const char *bench, const char *name, int threads, double cells, double *t,
                          int reps) {
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    printf(
        "{\"bench\":\"%s\",\"case\":\"%s\",\"threads\":%d,\"cells\":%.0f,\"median_s\":%.6f,"
        "\"min_s\":%.6f,\"cells_per_s\":%.4g,\"reps\":%d}\n",
        bench, name, threads, cells, med, t[0], cells / med, reps);
    fflush(stdout);
}

/* Memory bandwidth floor: one read + one write pass over a Float32 grid of `cells` (memcpy),
 * reported as cells/s so kernel figures can be compared with it. */
static inline void bench_memcpy(const char *bench, double cells, int reps) {
    size_t n = (size_t)cells * sizeof(float);
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) return;
    memset(a, 1, n);
    memset(b, 2, n);
    double t[64];
    for (int r = 0; r < reps; ++r) {
        double t0 = now_s();
        memcpy(b, a, n);
        t[r] = now_s() - t0;
    }
    report(bench, "memcpy_f32_floor", 1, cells, t, reps);
    free(a);
    free(b);
}

#endif
