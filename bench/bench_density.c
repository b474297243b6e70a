/* bench_density [N [POINTS [REPS]]]: quartic kernel density of POINTS points (default 10000)
 * on an N x N grid of 30 m cells (default 4000), bandwidth 500 m and 2000 m, 1 and 2 threads. */
#include "bench.h"

#include "cpk/density.h"

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 4000;
    size_t np = argc > 2 ? (size_t)atoll(argv[2]) : 10000;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    if (n < 1 || reps < 1 || reps > 64) return 2;
    float *out = malloc(sizeof(float) * (size_t)(n * n));
    double *x = malloc(sizeof(double) * np), *y = malloc(sizeof(double) * np),
           *w = malloc(sizeof(double) * np);
    if (!out || !x || !y || !w) return 1;
    uint64_t s = 99;
    for (size_t k = 0; k < np; ++k) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[k] = (double)(s % 1000000) * 1e-6 * (double)n * 30;
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        y[k] = (double)(s % 1000000) * 1e-6 * (double)n * 30;
        w[k] = 0.5 + (double)(s % 100) * 0.01;
    }
    cpk_geo geo = {0, (double)n * 30, 30, 30, n, n};
    cpk_points pts = {x, y, w, np};
    cpk_out_f32 o = {out, n, n, (ptrdiff_t)n};
    double cells = (double)n * (double)n, t[64];
    bench_memcpy("density", cells, reps);
    const double bw[2] = {500, 2000};
    const char *names[2] = {"quartic_h500m_30m", "quartic_h2000m_30m"};
    for (int c = 0; c < 2; ++c)
        for (int th = 1; th <= 2; ++th) {
            for (int r = 0; r < reps; ++r) {
                double t0 = now_s();
                if (cpk_density_quartic_f32(&pts, &geo, bw[c], 0, n, &o, th) != CPK_OK) return 1;
                t[r] = now_s() - t0;
            }
            report("density", names[c], th, cells, t, reps);
        }
    free(out);
    free(x);
    free(y);
    free(w);
    return 0;
}
