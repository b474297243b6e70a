/* Benchmarks of the exact coverage and zonal kernels. One JSON line per case:
 *   {"bench":"coverage","case":...,"threads":N,"median_s":...,"min_s":...,"cells_per_s":...}
 * Cases:
 *   circle_100k     one polygon of 100,000 vertices over a 4,000 x 4,000 window (serial)
 *   zonal_10k       10,000 star polygons (radius 5-40 cells, 12-60 vertices, every third
 *                   with a hole) over a 6,000 x 6,000 Float32 raster, in strips of 1,000
 *                   rows: coverage + sum/mean/min/max/count, 1 and 2 threads
 * cells_per_s counts window cells visited (coverage) or raster cells (zonal).
 * Usage: bench_coverage [repeats (default 5)] */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpk/zonal.h"

#define PI 3.14159265358979323846

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng = 12345;
static double urand(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, int threads, double *t, int n, double cells) {
    qsort(t, (size_t)n, sizeof(double), cmpd);
    printf(
        "{\"bench\":\"coverage\",\"case\":\"%s\",\"threads\":%d,\"median_s\":%.6f,"
        "\"min_s\":%.6f,\"cells_per_s\":%.4g}\n",
        name, threads, t[n / 2], t[0], cells / t[n / 2]);
    fflush(stdout);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1) reps = 1;
    double *times = malloc(sizeof(double) * (size_t)reps);

    /* circle_100k */
    {
        cpk_geo g = {0.0, 120000.0, 30.0, 30.0, 4000, 4000};
        int n = 100000;
        double *xy = malloc(sizeof(double) * 2 * (size_t)n);
        for (int k = 0; k < n; ++k) {
            double a = 2 * PI * k / n;
            xy[2 * k] = 60000.0 + 59000.0 * cos(a), xy[2 * k + 1] = 60000.0 + 59000.0 * sin(a);
        }
        int64_t ro[2] = {0, n};
        cpk_polygon p = {xy, ro, 1, NULL, 0};
        cpk_window w;
        cpk_coverage_window(&p, &g, &w);
        double *f = malloc(sizeof(double) * (size_t)(w.nx * w.ny));
        for (int r = 0; r < reps; ++r) {
            double t0 = now();
            cpk_coverage_polygon(&p, &g, &w, f);
            times[r] = now() - t0;
        }
        report("circle_100k", 1, times, reps, (double)(w.nx * w.ny));
        free(f);
        free(xy);
    }

    /* zonal_10k */
    {
        const int64_t N = 6000, strip = 1000;
        const int npoly = 10000;
        cpk_geo g = {500000.0, 4000000.0, 30.0, 30.0, N, N};
        float *r = malloc(sizeof(float) * (size_t)(N * N));
        for (int64_t k = 0; k < N * N; ++k) r[k] = (float)(k % 997) * 0.25f;
        double *xy = malloc(sizeof(double) * 2 * 80 * (size_t)npoly);
        int64_t *ro = malloc(sizeof(int64_t) * 3 * (size_t)npoly);
        cpk_polygon *polys = malloc(sizeof(cpk_polygon) * (size_t)npoly);
        cpk_window *wins = malloc(sizeof(cpk_window) * (size_t)npoly);
        int64_t np = 0;
        for (int p = 0; p < npoly; ++p) {
            double cx = g.x0 + g.dx * (50 + (N - 100) * urand());
            double cy = g.y0 - g.dy * (50 + (N - 100) * urand());
            double rad = g.dx * (5 + 35 * urand());
            int nv = 12 + (int)(48 * urand()), nh = p % 3 == 0 ? 8 : 0;
            int64_t s = np;
            for (int v = 0; v < nv; ++v, ++np) {
                double a = 2 * PI * (v + 0.8 * urand()) / nv, rr = rad * (0.5 + 0.5 * urand());
                xy[2 * np] = cx + rr * cos(a), xy[2 * np + 1] = cy + rr * sin(a);
            }
            for (int v = 0; v < nh; ++v, ++np) {
                double a = -2 * PI * (v + 0.8 * urand()) / nh, rr = rad * 0.15;
                xy[2 * np] = cx + rr * cos(a), xy[2 * np + 1] = cy + rr * sin(a);
            }
            ro[3 * p] = s, ro[3 * p + 1] = s + nv, ro[3 * p + 2] = np;
            cpk_polygon q = {xy, ro + 3 * p, nh ? 2 : 1, NULL, 0};
            polys[p] = q;
            cpk_coverage_window(&polys[p], &g, &wins[p]);
        }
        cpk_zonal_acc *acc = malloc(sizeof(cpk_zonal_acc) * (size_t)npoly);
        cpk_zonal_acc *ref = malloc(sizeof(cpk_zonal_acc) * (size_t)npoly);
        for (int threads = 1; threads <= 2; ++threads) {
            for (int rep = 0; rep < reps; ++rep) {
                cpk_zonal_acc_init(acc, npoly);
                double t0 = now();
                for (int64_t row0 = 0; row0 < N; row0 += strip) {
                    cpk_zonal_band b = {{r + row0 * N, N, strip, N, 0.0f, 0}, NULL, 0, NULL};
                    cpk_zonal_f32(polys, wins, npoly, &g, row0, &b, 1, threads, acc);
                }
                times[rep] = now() - t0;
            }
            if (threads == 1)
                memcpy(ref, acc, sizeof(cpk_zonal_acc) * (size_t)npoly);
            else if (memcmp(ref, acc, sizeof(cpk_zonal_acc) * (size_t)npoly))
                fprintf(stderr, "bench_coverage: results differ between thread counts\n");
            report("zonal_10k", threads, times, reps, (double)(N * N));
        }
        free(acc);
        free(ref);
        free(wins);
        free(polys);
        free(ro);
        free(xy);
        free(r);
    }
    free(times);
    return 0;
}
