/* Exact sum-preserving resampling: each target cell against a naive reference (the source
 * quadrilaterals clipped to the cell with Sutherland-Hodgman), totals conserved, strips equal
 * to the whole grid. */
#include "cp_test.h"

#include <math.h>

#include "cpk/coverage.h"
#include "cpk/resample.h"

/* Area of a convex quad clipped to an axis-aligned box (Sutherland-Hodgman + shoelace). */
static double clip_area(const double *q, int n, double x0, double y0, double x1, double y1) {
    double a[64], b[64];
    int na = n;
    memcpy(a, q, (size_t)n * 2 * sizeof *q);
    for (int e = 0; e < 4; ++e) {
        int nb = 0;
        for (int i = 0; i < na; ++i) {
            const double *p = a + 2 * i, *r = a + 2 * ((i + 1) % na);
            double dp = e == 0 ? p[0] - x0 : e == 1 ? x1 - p[0] : e == 2 ? p[1] - y0 : y1 - p[1];
            double dr = e == 0 ? r[0] - x0 : e == 1 ? x1 - r[0] : e == 2 ? r[1] - y0 : y1 - r[1];
            if (dp >= 0) b[2 * nb] = p[0], b[2 * nb + 1] = p[1], nb++;
            if ((dp >= 0) != (dr >= 0)) {
                double t = dp / (dp - dr);
                b[2 * nb] = p[0] + t * (r[0] - p[0]);
                b[2 * nb + 1] = p[1] + t * (r[1] - p[1]);
                nb++;
            }
        }
        memcpy(a, b, (size_t)nb * 2 * sizeof *b);
        na = nb;
    }
    double s = 0;
    for (int i = 0; i < na; ++i)
        s += a[2 * i] * a[2 * ((i + 1) % na) + 1] - a[2 * ((i + 1) % na)] * a[2 * i + 1];
    return 0.5 * fabs(s);
}

enum { SN = 9, SM = 7 }; /* source cells: SM rows of SN */

/* Source corner (i, j) of a rotated, scaled grid in target coordinates. */
static void corner(int i, int j, double *x, double *y) {
    double a = 0.3, s = 2.4; /* rotation, source cell size in target cells */
    *x = 3.1 + s * (cos(a) * i - sin(a) * -j);
    *y = 21.0 + s * (sin(a) * i + cos(a) * -j);
}

static void run(const cpk_geo *geo, int64_t row0, int64_t row1, float *out, const float *vals) {
    double top[2 * (SN + 1)], bot[2 * (SN + 1)], scratch[4096];
    cpk_out_f32 o = {out, geo->nx, row1 - row0, geo->nx};
    for (int j = 0; j < SM; ++j) {
        for (int i = 0; i <= SN; ++i) {
            corner(i, j, &top[2 * i], &top[2 * i + 1]);
            corner(i, j + 1, &bot[2 * i], &bot[2 * i + 1]);
        }
        assert_int_equal(cpk_sum_resample_row_f32(top, bot, vals + j * SN, SN, geo, row0, row1, &o,
                                                  scratch, 4096),
                         CPK_OK);
    }
}

static void test_resample_against_clipping(void **state) {
    (void)state;
    cpk_geo geo = {0, 30, 1, 1, 30, 30};
    float vals[SN * SM];
    for (int k = 0; k < SN * SM; ++k) vals[k] = (float)(1 + (k * 37) % 11);
    vals[5] = NAN; /* nodata adds nothing */
    float *out = malloc(30 * 30 * sizeof *out);
    for (int k = 0; k < 900; ++k) out[k] = NAN;
    run(&geo, 0, 30, out, vals);
    double got = 0;
    for (int r = 0; r < 30; ++r)
        for (int c = 0; c < 30; ++c) {
            double ref = 0;
            int touched = 0;
            for (int j = 0; j < SM; ++j)
                for (int i = 0; i < SN; ++i) {
                    if (isnan(vals[j * SN + i])) continue;
                    double q[8];
                    corner(i, j, &q[0], &q[1]);
                    corner(i + 1, j, &q[2], &q[3]);
                    corner(i + 1, j + 1, &q[4], &q[5]);
                    corner(i, j + 1, &q[6], &q[7]);
                    double qa = clip_area(q, 4, -1e9, -1e9, 1e9, 1e9);
                    double ca = clip_area(q, 4, c, 29 - r, c + 1, 30 - r);
                    if (ca > 1e-12) touched = 1;
                    ref += vals[j * SN + i] * ca / qa;
                }
            float v = out[r * 30 + c];
            if (!touched) {
                assert_true(isnan(v));
                continue;
            }
            assert_false(isnan(v));
            if (fabs(v - ref) > 1e-5 * (1 + fabs(ref))) {
                print_error("cell %d,%d: %.9g vs %.9g\n", r, c, v, ref);
                fail();
            }
            got += v;
        }
    double expect = 0;
    for (int k = 0; k < SN * SM; ++k)
        if (!isnan(vals[k])) expect += vals[k];
    assert_true(fabs(got - expect) < 1e-5 * expect); /* the source lies inside the grid */
    free(out);
}

static void test_resample_strips_equal_whole(void **state) {
    (void)state;
    cpk_geo geo = {0, 30, 1, 1, 30, 30};
    float vals[SN * SM];
    for (int k = 0; k < SN * SM; ++k) vals[k] = (float)(0.5 + (k * 13) % 7);
    float whole[900], strips[900];
    for (int k = 0; k < 900; ++k) whole[k] = strips[k] = NAN;
    run(&geo, 0, 30, whole, vals);
    int cuts[] = {0, 1, 8, 9, 17, 30};
    for (int s = 0; s + 1 < 6; ++s) run(&geo, cuts[s], cuts[s + 1], strips + cuts[s] * 30, vals);
    assert_memory_equal(whole, strips, sizeof whole);
}

static void test_resample_bad_args(void **state) {
    (void)state;
    cpk_geo geo = {0, 10, 1, 1, 10, 10};
    double top[4] = {0}, bot[4] = {0}, scratch[4];
    float v = 1, out[100];
    cpk_out_f32 o = {out, 10, 10, 10};
    assert_int_equal(cpk_sum_resample_row_f32(NULL, bot, &v, 1, &geo, 0, 10, &o, scratch, 4),
                     CPK_E_ARG);
    assert_int_equal(cpk_sum_resample_row_f32(top, bot, &v, 1, &geo, 5, 11, &o, scratch, 4),
                     CPK_E_ARG);
    /* a footprint larger than the scratch is refused, not overrun */
    double t2[4] = {0.5, 9.5, 8.5, 9.5}, b2[4] = {0.5, 0.5, 8.5, 0.5};
    assert_int_equal(cpk_sum_resample_row_f32(t2, b2, &v, 1, &geo, 0, 10, &o, scratch, 4),
                     CPK_E_ARG);
}

/* The multi-row, parallel entry point: bit-identical to one row call per source row, for 1, 2
 * and 3 threads, on the whole grid and on strips (the bands then split each strip). Source
 * cells of a rotated grid with nodata cells and a corner PROJ could not transform (NaN). */
static void test_resample_rows_parallel_identical(void **state) {
    (void)state;
    enum { N = 23, M = 19, G = 64 };
    cpk_geo geo = {0, G, 1, 1, G, G};
    double *edges = malloc(sizeof *edges * 2 * (N + 1) * (M + 1));
    float vals[N * M];
    for (int j = 0; j <= M; ++j)
        for (int i = 0; i <= N; ++i) {
            double a = 0.4, sc = 2.7;
            edges[2 * (j * (N + 1) + i)] = 1.3 + sc * (cos(a) * i + sin(a) * j);
            edges[2 * (j * (N + 1) + i) + 1] = 62.0 + sc * (sin(a) * i - cos(a) * j);
        }
    edges[2 * (5 * (N + 1) + 7) + 1] = NAN; /* an untransformable corner */
    for (int k = 0; k < N * M; ++k) vals[k] = k % 17 == 3 ? NAN : (float)(0.25 + (k * 29) % 13);
    float *want = malloc(sizeof(float) * G * G), *got = malloc(sizeof(float) * G * G);
    double scratch[4096];
    for (int k = 0; k < G * G; ++k) want[k] = NAN;
    cpk_out_f32 ow = {want, G, G, G};
    for (int j = 0; j < M; ++j)
        assert_int_equal(
            cpk_sum_resample_row_f32(edges + 2 * (N + 1) * j, edges + 2 * (N + 1) * (j + 1),
                                     vals + N * j, N, &geo, 0, G, &ow, scratch, 4096),
            CPK_OK);
    double total = 0;
    for (int k = 0; k < G * G; ++k) total += isnan(want[k]) ? 0 : want[k];
    assert_true(total > 100); /* the source lies on the grid */
    int cuts[] = {0, 5, 6, 30, 31, 64};
    for (int t = 1; t <= 3; ++t) {
        for (int k = 0; k < G * G; ++k) got[k] = NAN;
        cpk_out_f32 og = {got, G, G, G};
        /* whole grid, in two calls of 11 and 8 source rows (edges shared at the cut) */
        assert_int_equal(cpk_sum_resample_rows_f32(edges, vals, N, 11, &geo, 0, G, &og, 4096, t),
                         CPK_OK);
        assert_int_equal(cpk_sum_resample_rows_f32(edges + 2 * (N + 1) * 11, vals + N * 11, N,
                                                   M - 11, &geo, 0, G, &og, 4096, t),
                         CPK_OK);
        assert_memory_equal(got, want, sizeof(float) * G * G);
        /* strips */
        for (int k = 0; k < G * G; ++k) got[k] = NAN;
        for (int c = 0; c + 1 < 6; ++c) {
            cpk_out_f32 os = {got + cuts[c] * G, G, cuts[c + 1] - cuts[c], G};
            assert_int_equal(cpk_sum_resample_rows_f32(edges, vals, N, M, &geo, cuts[c],
                                                       cuts[c + 1], &os, 4096, t),
                             CPK_OK);
        }
        assert_memory_equal(got, want, sizeof(float) * G * G);
    }
    /* bad arguments; a footprint larger than the scratch is refused, not overrun */
    cpk_out_f32 og = {got, G, G, G};
    assert_int_equal(cpk_sum_resample_rows_f32(NULL, vals, N, M, &geo, 0, G, &og, 4096, 2),
                     CPK_E_ARG);
    assert_int_equal(cpk_sum_resample_rows_f32(edges, vals, N, M, &geo, 0, G + 1, &og, 4096, 2),
                     CPK_E_ARG);
    assert_int_equal(cpk_sum_resample_rows_f32(edges, vals, N, M, &geo, 0, G, &og, 4, 2),
                     CPK_E_ARG);
    assert_int_equal(cpk_sum_resample_rows_f32(edges, vals, N, 0, &geo, 0, G, &og, 4096, 2),
                     CPK_OK);
    free(edges);
    free(want);
    free(got);
}

/* The kernel converts each corner to grid coordinates once and walks the cells' rings itself:
 * every target cell must get the bits it gets when each source cell is covered as a polygon
 * in world coordinates by the public coverage functions (the kernel's old way). Corners are
 * jittered far from the origin (UTM-like coordinates, irregular digits), some cells are
 * triangles (a repeated corner), some have zero area, some are mirrored (clockwise). */
static void test_resample_same_bits_as_polygon_coverage(void **state) {
    (void)state;
    enum { N = 41, M = 37, G = 160 };
    const double x0 = 612345.678, y0 = 1411234.567, d = 30.0;
    cpk_geo geo = {x0, y0, d, d, G, G};
    double *edges = malloc(sizeof *edges * 2 * (N + 1) * (M + 1));
    float vals[N * M];
    uint64_t r = 12345;
    for (int j = 0; j <= M; ++j)
        for (int i = 0; i <= N; ++i) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            double jx = (double)(r % 1000) / 1000.0 - 0.5,
                   jy = (double)(r / 1000 % 1000) / 1000.0 - 0.5;
            double a = 0.013, sc = 92.3;
            double *e = edges + 2 * (j * (N + 1) + i);
            e[0] = x0 + 47.1 + sc * (cos(a) * i + sin(a) * j) + 9.0 * jx;
            e[1] = y0 - 33.9 + sc * (sin(a) * i - cos(a) * j) + 9.0 * jy;
        }
    /* a triangle (corner repeated), a zero-area cell (collapsed to a point) */
    double *c = edges + 2 * (3 * (N + 1) + 4), *c2 = edges + 2 * (3 * (N + 1) + 5);
    c2[0] = c[0], c2[1] = c[1];
    double *z = edges + 2 * (10 * (N + 1) + 20);
    for (int k = 1; k <= 1; ++k)
        for (int i = 0; i < 2; ++i) {
            double *p = edges + 2 * ((10 + k) * (N + 1) + 20 + i), *q = z + 2 * i;
            p[0] = q[0], p[1] = q[1];
        }
    for (int k = 0; k < N * M; ++k) vals[k] = (float)(0.1 + (k * 37) % 101);
    float *want = malloc(sizeof(float) * G * G), *got = malloc(sizeof(float) * G * G);
    for (int mirror = 0; mirror < 2; ++mirror) {
        if (mirror) /* clockwise cells: the grid mirrored about a vertical line */
            for (int k = 0; k < (N + 1) * (M + 1); ++k)
                edges[2 * k] = 2 * x0 + G * d - edges[2 * k];
        for (int k = 0; k < G * G; ++k) want[k] = got[k] = NAN;
        double frac[4096];
        for (int j = 0; j < M; ++j)
            for (int i = 0; i < N; ++i) {
                const double *t = edges + 2 * (j * (N + 1) + i), *b = t + 2 * (N + 1);
                double q[8] = {t[0], t[1], t[2], t[3], b[2], b[3], b[0], b[1]};
                double area = 0.5 * fabs((q[0] * q[3] - q[2] * q[1]) + (q[2] * q[5] - q[4] * q[3]) +
                                         (q[4] * q[7] - q[6] * q[5]) + (q[6] * q[1] - q[0] * q[7]));
                if (!(area > 0)) continue;
                const int64_t ro[2] = {0, 4};
                cpk_polygon poly = {q, ro, 1, NULL, 1};
                cpk_window w;
                assert_int_equal(cpk_coverage_window(&poly, &geo, &w), CPK_OK);
                if (!w.nx || !w.ny) continue;
                assert_true(w.nx * w.ny <= 4096);
                assert_int_equal(cpk_coverage_polygon(&poly, &geo, &w, frac), CPK_OK);
                double per_cell = (double)vals[j * N + i] * d * d / area;
                for (int64_t y = 0; y < w.ny; ++y)
                    for (int64_t x = 0; x < w.nx; ++x) {
                        double f = frac[y * w.nx + x];
                        float *o = want + (w.row0 + y) * G + w.col0 + x;
                        if (f > 0) *o = (float)((double)(isnan(*o) ? 0.0f : *o) + f * per_cell);
                    }
            }
        cpk_out_f32 og = {got, G, G, G};
        assert_int_equal(cpk_sum_resample_rows_f32(edges, vals, N, M, &geo, 0, G, &og, 4096, 2),
                         CPK_OK);
        assert_memory_equal(got, want, sizeof(float) * G * G);
        double total = 0;
        for (int k = 0; k < G * G; ++k) total += isnan(got[k]) ? 0 : got[k];
        assert_true(total > 1000); /* the cells lie on the grid */
    }
    free(edges), free(want), free(got);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resample_against_clipping),
        cmocka_unit_test(test_resample_strips_equal_whole),
        cmocka_unit_test(test_resample_bad_args),
        cmocka_unit_test(test_resample_rows_parallel_identical),
        cmocka_unit_test(test_resample_same_bits_as_polygon_coverage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
