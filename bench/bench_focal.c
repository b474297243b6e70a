/* bench_focal [N [REPS]]: disk focal sum on an N x N grid (default 4000) for radii of 3, 10
 * and 33 cells (30 m cells: 100 m, 300 m, 1000 m), at 1 and 2 threads. */
#include "bench.h"

#include "cpk/focal.h"

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 4000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 1 || reps < 1 || reps > 64) return 2;
    float *in = malloc(sizeof(float) * (size_t)(n * n)),
          *out = malloc(sizeof(float) * (size_t)(n * n));
    if (!in || !out) return 1;
    uint64_t s = 7;
    for (int64_t k = 0; k < n * n; ++k) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        in[k] = (float)(s % 1000) * 0.1f;
    }
    cpk_view_f32 v = {in, n, n, (ptrdiff_t)n, -9999.0f, 1};
    cpk_out_f32 o = {out, n, n, (ptrdiff_t)n};
    double cells = (double)n * (double)n, t[64];
    bench_memcpy("focal", cells, reps);
    const double radii[3] = {100, 300, 1000};
    const char *names[3] = {"disk_sum_r100m_30m", "disk_sum_r300m_30m", "disk_sum_r1000m_30m"};
    for (int c = 0; c < 3; ++c)
        for (int th = 1; th <= 2; ++th) {
            for (int r = 0; r < reps; ++r) {
                double t0 = now_s();
                if (cpk_focal_sum_disk_f32(&v, 30, 30, radii[c], 0, n, &o, th) != CPK_OK) return 1;
                t[r] = now_s() - t0;
            }
            report("focal", names[c], th, cells, t, reps);
        }
    free(in);
    free(out);
    return 0;
}
