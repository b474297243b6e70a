/* bench_resample [N [REPS]]: exact sum-preserving resampling of an N x N source grid of
 * 92 m cells, slightly rotated (as 3 arc-second population cells are on a UTM grid), onto a
 * 30 m grid of the same extent, at 1 and 2 threads; cells/s counts source cells. */
#include <math.h>

#include "bench.h"

#include "cpk/resample.h"

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 1000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 1 || reps < 1 || reps > 64) return 2;
    const double cell = 92.0, angle = 0.01, res = 30.0;
    const int64_t g = (int64_t)ceil((double)n * cell * 1.02 / res) + 2;
    double *edges = malloc(sizeof(double) * 2 * (size_t)(n + 1) * (size_t)(n + 1));
    float *vals = malloc(sizeof(float) * (size_t)(n * n)),
          *out = malloc(sizeof(float) * (size_t)(g * g));
    if (!edges || !vals || !out) return 1;
    for (int64_t j = 0; j <= n; ++j)
        for (int64_t i = 0; i <= n; ++i) {
            double x = (double)i * cell, y = -(double)j * cell;
            edges[2 * (j * (n + 1) + i)] = 60.0 + cos(angle) * x - sin(angle) * y;
            edges[2 * (j * (n + 1) + i) + 1] =
                -60.0 - (double)n * cell * sin(angle) + sin(angle) * x + cos(angle) * y;
        }
    uint64_t s = 7;
    for (int64_t k = 0; k < n * n; ++k) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        vals[k] = (float)(s % 1000) * 0.01f;
    }
    cpk_geo geo = {0, 0, res, res, g, g};
    cpk_out_f32 o = {out, g, g, g};
    double t[64];
    for (int th = 1; th <= 2; ++th) {
        for (int r = 0; r < reps; ++r) {
            for (int64_t k = 0; k < g * g; ++k) out[k] = NAN;
            double t0 = now_s();
            for (int64_t j = 0; j < n; j += 64) { /* chunks of 64 source rows, as the engine */
                int64_t m = j + 64 < n ? 64 : n - j;
                if (cpk_sum_resample_rows_f32(edges + 2 * (n + 1) * j, vals + n * j, n, m, &geo, 0,
                                              g, &o, 4096, th) != CPK_OK)
                    return 1;
            }
            t[r] = now_s() - t0;
        }
        report("resample", "sum_92m_onto_30m", th, (double)n * (double)n, t, reps);
    }
    double total = 0, want = 0;
    for (int64_t k = 0; k < g * g; ++k) total += isnan(out[k]) ? 0 : out[k];
    for (int64_t k = 0; k < n * n; ++k) want += vals[k];
    fprintf(stderr, "total kept: %.9g of %.9g\n", total, want);
    free(edges), free(vals), free(out);
    return 0;
}
