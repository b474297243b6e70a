/* Zonal statistics: hand-computed values, a naive reference on seeded random polygons and
 * rasters, identical bytes for 1, 2 and 3 threads and for any strip decomposition. */
#include "cp_test.h"

#include <math.h>

#include "cpk/zonal.h"

#define CP_PI 3.14159265358979323846

static uint64_t rng_state;
static double urand(void) { /* splitmix64 -> [0, 1) */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* A set of polygons, one star-shaped shell (+ optional hole) each. */
enum { MAXP = 400, MAXV = 64 };
typedef struct {
    double xy[MAXP][2 * 2 * MAXV];
    int64_t ro[MAXP][3];
    cpk_polygon poly[MAXP];
    int n;
} poly_set;

static void make_polys(poly_set *s, int n, const cpk_geo *g, double rmax_cells) {
    s->n = n;
    for (int p = 0; p < n; ++p) {
        double cx = g->x0 + g->dx * (double)g->nx * (-0.1 + 1.2 * urand());
        double cy = g->y0 - g->dy * (double)g->ny * (-0.1 + 1.2 * urand());
        double r = g->dx * (0.2 + rmax_cells * urand());
        int nv = 5 + (int)(urand() * (MAXV - 5)), nh = p % 3 == 0 ? 3 + (int)(urand() * 8) : 0;
        int k = 0;
        for (int v = 0; v < nv; ++v, ++k) {
            double a = 2 * CP_PI * (v + 0.8 * urand()) / nv, rr = r * (0.5 + 0.5 * urand());
            s->xy[p][2 * k] = cx + rr * cos(a), s->xy[p][2 * k + 1] = cy + rr * sin(a);
        }
        for (int v = 0; v < nh; ++v, ++k) {
            double a = -2 * CP_PI * (v + 0.8 * urand()) / nh, rr = r * (0.05 + 0.15 * urand());
            s->xy[p][2 * k] = cx + rr * cos(a), s->xy[p][2 * k + 1] = cy + rr * sin(a);
        }
        s->ro[p][0] = 0, s->ro[p][1] = nv, s->ro[p][2] = nv + nh;
        cpk_polygon q = {s->xy[p], s->ro[p], nh ? 2 : 1, NULL, 0};
        s->poly[p] = q;
    }
}

static float *make_raster(const cpk_geo *g, int kind, float nodata) {
    float *r = malloc(sizeof(float) * (size_t)(g->nx * g->ny));
    for (int64_t k = 0; k < g->nx * g->ny; ++k) {
        double u = urand();
        if (kind == 0)
            r[k] = (float)(1000.0 * urand() - 200.0); /* continuous */
        else
            r[k] = (float)(10 * (1 + (int)(urand() * 6))); /* classes 10..60 */
        if (u < 0.05) r[k] = nodata;
        if (u > 0.98) r[k] = NAN;
    }
    return r;
}

/* Naive reference: whole window coverage, every cell in turn. */
static void reference(const cpk_polygon *poly, const cpk_geo *g, const float *r, float nodata,
                      cpk_zonal_acc *a, const float *cls, int ncls, double *cw) {
    cpk_window w;
    assert_int_equal(cpk_coverage_window(poly, g, &w), CPK_OK);
    double *f = malloc(sizeof(double) * (size_t)(w.nx * w.ny + 1));
    assert_int_equal(cpk_coverage_polygon(poly, g, &w, f), CPK_OK);
    cpk_zonal_acc_init(a, 1);
    for (int k = 0; k <= ncls; ++k) cw[k] = 0.0;
    for (int64_t j = 0; j < w.ny; ++j)
        for (int64_t i = 0; i < w.nx; ++i) {
            double fr = f[j * w.nx + i];
            if (fr <= 0.0) continue;
            float v = r[(w.row0 + j) * g->nx + w.col0 + i];
            if (isnan(v) || v == nodata) {
                a->nodata_weight += fr;
                a->nodata_count++;
                continue;
            }
            a->sum += fr * v;
            a->weight += fr;
            a->count++;
            a->min = fmin(a->min, v);
            a->max = fmax(a->max, v);
            int k = 0;
            while (k < ncls && cls[k] != v) ++k;
            cw[k] += fr;
        }
    free(f);
}

static void assert_close(double a, double b, double scale) {
    if (!(fabs(a - b) <= 1e-12 * (1.0 + fabs(scale)))) {
        print_error("%.17g != %.17g\n", a, b);
        fail();
    }
}

static void test_zonal_hand_computed(void **state) {
    (void)state;
    /* 4 x 3 grid of 10 m cells, values 1..12 row by row; cell (1, 0) is nodata. */
    cpk_geo g = {0.0, 30.0, 10.0, 10.0, 4, 3};
    float r[12];
    for (int k = 0; k < 12; ++k) r[k] = (float)(k + 1);
    r[1] = -9999.0f;
    /* Rectangle x 5..25, y 15..30: half of cells 0, 2 in row 0 and row 1 (upper half), full
     * cell 1 in row 0 (nodata) and upper half of cell 1 in row 1. */
    double xy[] = {5, 15, 25, 15, 25, 30, 5, 30};
    int64_t ro[] = {0, 4};
    cpk_polygon p = {xy, ro, 1, NULL, 0};
    cpk_zonal_band b = {{r, 4, 3, 4, -9999.0f, 1}, NULL, 0, NULL};
    cpk_zonal_acc a;
    cpk_zonal_acc_init(&a, 1);
    assert_int_equal(cpk_zonal_f32(&p, NULL, 1, &g, 0, &b, 1, 1, &a), CPK_OK);
    /* row 0: cells 0 (f .5, v 1), 1 (f 1, nodata), 2 (f .5, v 3)
     * row 1: cells 0 (f .25, v 5), 1 (f .5, v 6), 2 (f .25, v 7) */
    assert_close(a.sum, 0.5 * 1 + 0.5 * 3 + 0.25 * 5 + 0.5 * 6 + 0.25 * 7, 10);
    assert_close(a.weight, 0.5 + 0.5 + 0.25 + 0.5 + 0.25, 1);
    assert_close(a.nodata_weight, 1.0, 1);
    assert_int_equal(a.count, 5);
    assert_int_equal(a.nodata_count, 1);
    assert_true(a.min == 1.0 && a.max == 7.0);
    /* classes: 1 and 6 listed, the rest is "other" */
    float cls[] = {1.0f, 6.0f};
    double cw[3] = {0, 0, 0};
    cpk_zonal_band bc = {{r, 4, 3, 4, -9999.0f, 1}, cls, 2, cw};
    cpk_zonal_acc_init(&a, 1);
    assert_int_equal(cpk_zonal_f32(&p, NULL, 1, &g, 0, &bc, 1, 1, &a), CPK_OK);
    assert_close(cw[0], 0.5, 1);
    assert_close(cw[1], 0.5, 1);
    assert_close(cw[2], 1.0, 1);
}

static void test_zonal_random_against_reference(void **state) {
    (void)state;
    rng_state = 42;
    static poly_set S;
    cpk_geo g = {500000.0, 4200000.0, 30.0, 30.0, 160, 120};
    make_polys(&S, 200, &g, 15.0);
    float *r0 = make_raster(&g, 0, -1.0f), *r1 = make_raster(&g, 1, 0.0f);
    float cls[] = {10, 20, 30, 40, 50};
    double *cw = calloc(200 * 6, sizeof(double));
    cpk_zonal_band b[2] = {{{r0, g.nx, g.ny, g.nx, -1.0f, 1}, NULL, 0, NULL},
                           {{r1, g.nx, g.ny, g.nx, 0.0f, 1}, cls, 5, cw}};
    cpk_zonal_acc acc[400];
    cpk_zonal_acc_init(acc, 400);
    assert_int_equal(cpk_zonal_f32(S.poly, NULL, 200, &g, 0, b, 2, 2, acc), CPK_OK);
    for (int p = 0; p < 200; ++p) {
        cpk_zonal_acc ref;
        double rcw[6];
        reference(&S.poly[p], &g, r0, -1.0f, &ref, cls, 0, rcw);
        const cpk_zonal_acc *a = &acc[2 * p];
        assert_close(a->sum, ref.sum, 1e3 * ref.weight);
        assert_close(a->weight, ref.weight, ref.weight);
        assert_close(a->nodata_weight, ref.nodata_weight, ref.weight);
        assert_int_equal(a->count, ref.count);
        assert_int_equal(a->nodata_count, ref.nodata_count);
        assert_true(a->min == ref.min && a->max == ref.max);
        reference(&S.poly[p], &g, r1, 0.0f, &ref, cls, 5, rcw);
        a = &acc[2 * p + 1];
        assert_close(a->sum, ref.sum, 60 * ref.weight);
        assert_int_equal(a->count, ref.count);
        double tot = 0.0;
        for (int k = 0; k < 6; ++k) {
            assert_close(cw[p * 6 + k], rcw[k], ref.weight);
            tot += cw[p * 6 + k];
        }
        assert_close(tot, a->weight, a->weight);
    }
    free(cw);
    free(r0);
    free(r1);
}

/* Runs all polygons over the grid cut into strips of `strip` rows with `threads` threads. */
static void run_strips(const poly_set *S, const cpk_geo *g, const float *r0, const float *r1,
                       int64_t strip, int threads, cpk_zonal_acc *acc, double *cw, int use_wins) {
    static const float cls[] = {10, 20, 30, 40, 50};
    cpk_window wins[MAXP];
    for (int p = 0; p < S->n; ++p)
        assert_int_equal(cpk_coverage_window(&S->poly[p], g, &wins[p]), CPK_OK);
    cpk_zonal_acc_init(acc, 2 * S->n);
    memset(cw, 0, sizeof(double) * 6 * (size_t)S->n);
    for (int64_t row0 = 0; row0 < g->ny; row0 += strip) {
        int64_t ny = row0 + strip <= g->ny ? strip : g->ny - row0;
        cpk_zonal_band b[2] = {{{r0 + row0 * g->nx, g->nx, ny, g->nx, -1.0f, 1}, NULL, 0, NULL},
                               {{r1 + row0 * g->nx, g->nx, ny, g->nx, 0.0f, 1}, cls, 5, cw}};
        assert_int_equal(
            cpk_zonal_f32(S->poly, use_wins ? wins : NULL, S->n, g, row0, b, 2, threads, acc),
            CPK_OK);
    }
}

static void test_zonal_threads_and_strips_identical(void **state) {
    (void)state;
    rng_state = 4242;
    static poly_set S;
    cpk_geo g = {612345.6, 3456789.1, 29.7, 31.3, 211, 173};
    make_polys(&S, 300, &g, 40.0);
    float *r0 = make_raster(&g, 0, -1.0f), *r1 = make_raster(&g, 1, 0.0f);
    static cpk_zonal_acc ref[2 * MAXP], got[2 * MAXP];
    static double rcw[6 * MAXP], gcw[6 * MAXP];
    run_strips(&S, &g, r0, r1, g.ny, 1, ref, rcw, 0);
    const int64_t strips[] = {1, 7, 64, 100, 173};
    for (int t = 1; t <= 3; ++t)
        for (int s = 0; s < 5; ++s) {
            run_strips(&S, &g, r0, r1, strips[s], t, got, gcw, s & 1);
            assert_memory_equal(got, ref, sizeof(cpk_zonal_acc) * 2 * (size_t)S.n);
            assert_memory_equal(gcw, rcw, sizeof(double) * 6 * (size_t)S.n);
        }
    free(r0);
    free(r1);
}

static void test_zonal_edges(void **state) {
    (void)state;
    cpk_geo g = {0.0, 1.0, 1.0, 1.0, 1, 1};
    float v = 5.0f;
    double xy[] = {0.25, 0.25, 0.75, 0.25, 0.75, 0.75, 0.25, 0.75};
    double out_xy[] = {3, 3, 4, 3, 4, 4};
    int64_t ro4[] = {0, 4}, ro3[] = {0, 3};
    cpk_polygon p[3] = {{xy, ro4, 1, NULL, 0}, {out_xy, ro3, 1, NULL, 0}, {NULL, NULL, 0, NULL, 0}};
    cpk_zonal_band b = {{&v, 1, 1, 1, 0.0f, 0}, NULL, 0, NULL};
    cpk_zonal_acc a[3];
    cpk_zonal_acc_init(a, 3);
    assert_int_equal(cpk_zonal_f32(p, NULL, 3, &g, 0, &b, 1, 0, a), CPK_OK);
    assert_true(a[0].sum == 0.25 * 5.0 && a[0].weight == 0.25 && a[0].count == 1);
    assert_true(a[0].min == 5.0 && a[0].max == 5.0);
    for (int k = 1; k < 3; ++k) {
        assert_true(a[k].sum == 0.0 && a[k].weight == 0.0 && a[k].count == 0);
        assert_true(isinf(a[k].min) && a[k].min > 0 && isinf(a[k].max) && a[k].max < 0);
    }
    /* all nodata */
    float nd = NAN;
    cpk_zonal_band bn = {{&nd, 1, 1, 1, 0.0f, 0}, NULL, 0, NULL};
    cpk_zonal_acc_init(a, 1);
    assert_int_equal(cpk_zonal_f32(p, NULL, 1, &g, 0, &bn, 1, 1, a), CPK_OK);
    assert_true(a[0].weight == 0.0 && a[0].nodata_weight == 0.25 && a[0].nodata_count == 1);
    /* nothing to do */
    assert_int_equal(cpk_zonal_f32(p, NULL, 0, &g, 0, &b, 1, 1, a), CPK_OK);
    /* bad arguments */
    assert_int_equal(cpk_zonal_f32(p, NULL, 1, NULL, 0, &b, 1, 1, a), CPK_E_ARG);
    assert_int_equal(cpk_zonal_f32(p, NULL, 1, &g, 1, &b, 1, 1, a), CPK_E_ARG);
    cpk_zonal_band bw = b;
    bw.view.nx = 2;
    assert_int_equal(cpk_zonal_f32(p, NULL, 1, &g, 0, &bw, 1, 1, a), CPK_E_ARG);
    float unsorted[] = {2.0f, 1.0f};
    double cw[3];
    cpk_zonal_band bu = {{&v, 1, 1, 1, 0.0f, 0}, unsorted, 2, cw};
    assert_int_equal(cpk_zonal_f32(p, NULL, 1, &g, 0, &bu, 1, 1, a), CPK_E_ARG);
    int64_t bad_ro[] = {0, 9};
    cpk_polygon bp = {xy, bad_ro, 1, NULL, 0};
    bad_ro[1] = -1;
    assert_int_equal(cpk_zonal_f32(&bp, NULL, 1, &g, 0, &b, 1, 1, a), CPK_E_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zonal_hand_computed),
        cmocka_unit_test(test_zonal_random_against_reference),
        cmocka_unit_test(test_zonal_threads_and_strips_identical),
        cmocka_unit_test(test_zonal_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
