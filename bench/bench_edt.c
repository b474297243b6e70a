/* bench_edt [N [REPS]]: exact EDT on an N x N grid of sparse sources (default 4000), no
 * maximum distance and a capped one, at 1 and 2 threads. One JSON line per case. */
#include "bench.h"

#include <math.h>

#include "cpk/edt.h"

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 4000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 1 || reps < 1 || reps > 64) return 2;
    float *in = malloc(sizeof(float) * (size_t)(n * n)),
          *out = malloc(sizeof(float) * (size_t)(n * n));
    if (!in || !out) return 1;
    uint64_t s = 42;
    for (int64_t k = 0; k < n * n; ++k) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        in[k] = (s % 10000) < 5 ? 1.0f : 0.0f; /* 0.05% sources */
    }
    cpk_view_f32 v = {in, n, n, (ptrdiff_t)n, 0, 0};
    cpk_out_f32 o = {out, n, n, (ptrdiff_t)n};
    cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    double cells = (double)n * (double)n, t[64];
    bench_memcpy("edt", cells, reps);
    const double maxd[2] = {INFINITY, 2000};
    const char *names[2] = {"edt_unbounded_30m", "edt_max2000m_30m"};
    for (int c = 0; c < 2; ++c)
        for (int th = 1; th <= 2; ++th) {
            for (int r = 0; r < reps; ++r) {
                double t0 = now_s();
                if (cpk_edt_f32(&v, &src, 30, 30, maxd[c], INFINITY, 0, n, &o, th) != CPK_OK)
                    return 1;
                t[r] = now_s() - t0;
            }
            report("edt", names[c], th, cells, t, reps);
        }
    /* The path of `clearplan proximity` without a maximum distance: sources listed strip by
     * strip, indexed by column, then column distances and the row pass strip by strip. */
    {
        int64_t *list = malloc(sizeof(int64_t) * (size_t)(n * n / 500 + 1024));
        int64_t *col_start = malloc(sizeof(int64_t) * (size_t)(n + 1)),
                *st = malloc(sizeof(int64_t) * (3 * (size_t)n + 1));
        int32_t *rows = malloc(sizeof(int32_t) * (size_t)(n * n / 500 + 1024));
        if (!list || !col_start || !st || !rows) return 1;
        const int64_t strip = 512;
        for (int th = 1; th <= 2; ++th) {
            for (int r = 0; r < reps; ++r) {
                double t0 = now_s();
                size_t cnt = 0;
                for (int64_t a = 0; a < n; a += strip) {
                    int64_t b = a + strip < n ? a + strip : n;
                    cpk_view_f32 sv = {in + a * n, n, b - a, (ptrdiff_t)n, 0, 0};
                    if (cpk_edt_list_sources_f32(&sv, &src, a, list, (size_t)(n * n / 500 + 1024),
                                                 &cnt, th) != CPK_OK)
                        return 1;
                }
                if (cpk_edt_index_sources(list, cnt, n, col_start, rows) != CPK_OK) return 1;
                for (int64_t a = 0; a < n; a += strip) {
                    int64_t b = a + strip < n ? a + strip : n;
                    cpk_out_f32 so = {out + a * n, n, b - a, (ptrdiff_t)n};
                    if (cpk_edt_cols_from_sources_f32(list, cnt, col_start, rows, 30, INFINITY, a,
                                                      &so, st, th) != CPK_OK ||
                        cpk_edt_rows_f32(&so, 30, 30, INFINITY, INFINITY, th) != CPK_OK)
                        return 1;
                }
                t[r] = now_s() - t0;
            }
            report("edt", "edt_unbounded_30m_source_list", th, cells, t, reps);
        }
        free(list);
        free(col_start);
        free(st);
        free(rows);
    }
    free(in);
    free(out);
    return 0;
}
