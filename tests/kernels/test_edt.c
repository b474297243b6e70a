/* Exact EDT: against brute force over all sources, thread counts, strips, edge cases. */
#include "cp_test.h"

#include <math.h>

#include "cpk/edt.h"

static uint64_t rng_state;

/* Values: 1 (source) with probability `density`, else 0; ~5% nodata (-1) or NaN. */
static float *make_grid(int64_t nx, int64_t ny, double density, uint64_t seed) {
    rng_state = seed * 0x9E3779B97F4A7C15ull + 7;
    float *g = malloc(sizeof(float) * (size_t)(nx * ny > 0 ? nx * ny : 1));
    for (int64_t k = 0; k < nx * ny; ++k) {
        double u = cpt_rnd01(&rng_state);
        g[k] = u < density ? 1.0f : 0.0f;
        double w = cpt_rnd01(&rng_state);
        if (w < 0.025)
            g[k] = -1.0f;
        else if (w < 0.05)
            g[k] = NAN;
    }
    return g;
}

static float brute(const float *g, int64_t nx, int64_t ny, int64_t i, int64_t j, double dx,
                   double dy, double maxd, float fill) {
    double best = INFINITY;
    for (int64_t k = 0; k < ny; ++k)
        for (int64_t m = 0; m < nx; ++m) {
            float v = g[k * nx + m];
            if (isnan(v) || v == -1.0f || v == 0.0f) continue;
            double a = (double)(i - m) * dx, b = (double)(j - k) * dy;
            double d2 = a * a + b * b;
            if (d2 < best) best = d2;
        }
    return isfinite(best) && best <= maxd * maxd ? (float)sqrt(best) : fill;
}

static float *run(const cpk_view_f32 *in, double dx, double dy, double maxd, float fill,
                  int64_t row0, int64_t row1, int threads) {
    int64_t n = (row1 - row0) * in->nx;
    float *o = malloc(sizeof(float) * (size_t)(n ? n : 1));
    cpk_out_f32 out = {o, in->nx, row1 - row0, (ptrdiff_t)in->nx};
    cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    assert_int_equal(cpk_edt_f32(in, &src, dx, dy, maxd, fill, row0, row1, &out, threads), CPK_OK);
    return o;
}

static void check_brute(int64_t nx, int64_t ny, double density, double dx, double dy, double maxd,
                        uint64_t seed) {
    float *g = make_grid(nx, ny, density, seed);
    cpk_view_f32 in = {g, nx, ny, nx, -1.0f, 1};
    float *o = run(&in, dx, dy, maxd, -7.0f, 0, ny, 2);
    for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < nx; ++i) {
            float want = brute(g, nx, ny, i, j, dx, dy, maxd, -7.0f);
            float got = o[j * nx + i];
            if (!(got == want)) {
                print_error("%ldx%ld seed %lu cell %ld,%ld: got %.9g want %.9g\n", (long)nx,
                            (long)ny, (unsigned long)seed, (long)i, (long)j, got, want);
                fail();
            }
        }
    free(o);
    free(g);
}

static void test_edt_matches_brute_force(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        check_brute(41, 37, 0.01, 1, 1, INFINITY, seed);        /* sparse */
        check_brute(33, 29, 0.3, 1, 1, INFINITY, seed + 10);    /* dense */
        check_brute(38, 31, 0.02, 30, 20, INFINITY, seed + 20); /* anisotropic */
        check_brute(27, 44, 0.02, 7.5, 31, INFINITY, seed + 30);
        check_brute(40, 40, 0.01, 30, 30, 150, seed + 40); /* capped */
        check_brute(35, 30, 0.01, 10, 25, 61, seed + 50);  /* capped, anisotropic */
    }
    check_brute(50, 45, 0.0, 1, 1, INFINITY, 99); /* no source: all fill */
    check_brute(1, 1, 1.0, 1, 1, INFINITY, 3);    /* 1x1 */
    check_brute(1, 30, 0.1, 2, 3, INFINITY, 4);   /* one column */
    check_brute(30, 1, 0.1, 2, 3, INFINITY, 5);   /* one row */
    check_brute(64, 64, 0.001, 0.3, 0.1, INFINITY, 6);
}

static void test_edt_single_source(void **state) {
    (void)state;
    int64_t nx = 50, ny = 40;
    float *g = calloc((size_t)(nx * ny), sizeof(float));
    g[17 * nx + 23] = 5;
    cpk_view_f32 in = {g, nx, ny, nx, 0, 0};
    float *o = run(&in, 30, 20, INFINITY, -1, 0, ny, 3);
    for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < nx; ++i) {
            double a = (double)(i - 23) * 30, b = (double)(j - 17) * 20;
            assert_true(o[j * nx + i] == (float)sqrt(a * a + b * b));
        }
    free(o);
    free(g);
}

static void test_edt_source_kinds(void **state) {
    (void)state;
    float g[6] = {1, 2, 3, 4, 5, 0};
    cpk_view_f32 in = {g, 6, 1, 6, 4, 1}; /* 4 is nodata: never a source */
    float o[6];
    cpk_out_f32 out = {o, 6, 1, 6};
    cpk_sources at = {CPK_SOURCE_AT_LEAST, 3.5f, NULL, 0};
    assert_int_equal(cpk_edt_f32(&in, &at, 1, 1, INFINITY, -1, 0, 1, &out, 1), CPK_OK);
    float want1[6] = {4, 3, 2, 1, 0, 1};
    assert_memory_equal(o, want1, sizeof o);
    float vals[2] = {2, 4};
    cpk_sources vs = {CPK_SOURCE_VALUES, 0, vals, 2};
    assert_int_equal(cpk_edt_f32(&in, &vs, 1, 1, 2, -1, 0, 1, &out, 1), CPK_OK);
    float want2[6] = {1, 0, 1, 2, -1, -1};
    assert_memory_equal(o, want2, sizeof o);
    cpk_sources none = {CPK_SOURCE_VALUES, 0, NULL, 0};
    assert_int_equal(cpk_edt_f32(&in, &none, 1, 1, INFINITY, INFINITY, 0, 1, &out, 1), CPK_OK);
    for (int i = 0; i < 6; ++i) assert_true(isinf(o[i]));
}

static void test_edt_threads_identical(void **state) {
    (void)state;
    int64_t nx = 301, ny = 257;
    float *g = make_grid(nx, ny, 0.002, 77);
    cpk_view_f32 in = {g, nx, ny, nx, -1.0f, 1};
    float *o1 = run(&in, 30, 25, INFINITY, -1, 0, ny, 1);
    for (int t = 2; t <= 5; ++t) {
        float *ot = run(&in, 30, 25, INFINITY, -1, 0, ny, t);
        assert_memory_equal(o1, ot, sizeof(float) * (size_t)(nx * ny));
        free(ot);
    }
    free(o1);
    free(g);
}

static void test_edt_strips_equal_whole_grid(void **state) {
    (void)state;
    int64_t nx = 150, ny = 211;
    double dx = 30, dy = 20, maxd = 333;
    float *g = make_grid(nx, ny, 0.001, 5);
    cpk_view_f32 whole = {g, nx, ny, nx, -1.0f, 1};
    float *ow = run(&whole, dx, dy, maxd, -9, 0, ny, 2);
    int64_t halo = cpk_edt_halo(dy, maxd);
    assert_int_equal(halo, 16);
    int64_t strips[] = {1, 5, 40, 100, 211};
    for (size_t s = 0; s < sizeof strips / sizeof strips[0]; ++s) {
        int64_t h = strips[s];
        for (int64_t a = 0; a < ny; a += h) {
            int64_t b = a + h < ny ? a + h : ny;
            int64_t v0 = a - halo < 0 ? 0 : a - halo, v1 = b + halo > ny ? ny : b + halo;
            cpk_view_f32 sv = {g + v0 * nx, nx, v1 - v0, nx, -1.0f, 1};
            float *os = run(&sv, dx, dy, maxd, -9, a - v0, b - v0, 3);
            assert_memory_equal(os, ow + a * nx, sizeof(float) * (size_t)((b - a) * nx));
            free(os);
        }
    }
    free(ow);
    free(g);
}

static void test_edt_edge_cases_and_arguments(void **state) {
    (void)state;
    float d[4] = {0, 1, 0, 0}, o[4];
    cpk_view_f32 in = {d, 2, 2, 2, 0, 0};
    cpk_out_f32 out = {o, 2, 2, 2};
    cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    assert_int_equal(cpk_edt_f32(&in, &src, 1, 1, INFINITY, -1, 1, 1, &out, 1), CPK_OK);
    cpk_view_f32 empty = {NULL, 3, 0, 3, 0, 0};
    cpk_out_f32 oe = {NULL, 3, 0, 3};
    assert_int_equal(cpk_edt_f32(&empty, &src, 1, 1, INFINITY, -1, 0, 0, &oe, 1), CPK_OK);
    /* all nodata: no source */
    float nd[4] = {NAN, NAN, 2, 2};
    cpk_view_f32 inn = {nd, 2, 2, 2, 2, 1};
    assert_int_equal(cpk_edt_f32(&inn, &src, 1, 1, INFINITY, -5, 0, 2, &out, 2), CPK_OK);
    for (int i = 0; i < 4; ++i) assert_true(o[i] == -5);
    assert_int_equal(cpk_edt_f32(NULL, &src, 1, 1, 1, 0, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_f32(&in, NULL, 1, 1, 1, 0, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_f32(&in, &src, 0, 1, 1, 0, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_f32(&in, &src, 1, NAN, 1, 0, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_f32(&in, &src, 1, 1, -1, 0, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_f32(&in, &src, 1, 1, 1, 0, 0, 3, &out, 1), CPK_E_ARG);
    cpk_sources bad = {(cpk_source_kind)9, 0, NULL, 0};
    assert_int_equal(cpk_edt_f32(&in, &bad, 1, 1, 1, 0, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_halo(30, INFINITY), -1);
    assert_int_equal(cpk_edt_halo(30, 59.99), 1);
    assert_int_equal(cpk_edt_halo(30, 60), 2);
}

/* Square cells take an exact integer row pass; non-integer sizes still match brute force. */
static void test_edt_square_cells_match_brute_force(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
        check_brute(47, 31, 0.02, 0.37, 0.37, INFINITY, seed + 100);
        check_brute(39, 44, 0.05, 27.83, 27.83, INFINITY, seed + 110);
        check_brute(40, 40, 0.01, 27.83, 27.83, 200, seed + 120);
        check_brute(60, 20, 0.002, 1, 1, INFINITY, seed + 130); /* very sparse: few winners */
        check_brute(25, 25, 0.9, 30, 30, INFINITY, seed + 140); /* dense */
    }
}

/* Streaming (sweep bottom-up by strips, then merge + rows top-down) gives the bytes of the
 * whole-grid transform, for any strip height and thread count. */
static void test_edt_streaming_equals_whole_grid(void **state) {
    (void)state;
    const int64_t nx = 203, ny = 47; /* several blocks of columns, the last one partial */
    const double cases[][3] = {
        {30, 30, INFINITY}, {30, 30, 250}, {30, 20, INFINITY}, {0.5, 0.5, 7.3}};
    float *g = make_grid(nx, ny, 0.01, 77);
    cpk_view_f32 whole = {g, nx, ny, (ptrdiff_t)nx, -1.0f, 1};
    cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    float *buf = malloc(sizeof(float) * (size_t)(nx * ny));
    float run_[203];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        double dx = cases[c][0], dy = cases[c][1], maxd = cases[c][2];
        float *want = run(&whole, dx, dy, maxd, -9, 0, ny, 1);
        const int64_t heights[] = {1, 5, 16, 47};
        for (size_t h = 0; h < 4; ++h)
            for (int th = 1; th <= 3; ++th) {
                int64_t rows = heights[h];
                for (int64_t i = 0; i < nx; ++i) run_[i] = INFINITY;
                for (int64_t a = (ny - 1) / rows * rows; a >= 0; a -= rows) {
                    int64_t b = a + rows < ny ? a + rows : ny;
                    cpk_view_f32 v = {g + a * nx, nx, b - a, (ptrdiff_t)nx, -1.0f, 1};
                    cpk_out_f32 o = {buf + a * nx, nx, b - a, (ptrdiff_t)nx};
                    assert_int_equal(cpk_edt_sweep_f32(&v, &src, dy, maxd, 1, run_, &o, th),
                                     CPK_OK);
                }
                for (int64_t i = 0; i < nx; ++i) run_[i] = INFINITY;
                for (int64_t a = 0; a < ny; a += rows) {
                    int64_t b = a + rows < ny ? a + rows : ny;
                    cpk_out_f32 o = {buf + a * nx, nx, b - a, (ptrdiff_t)nx};
                    assert_int_equal(cpk_edt_merge_f32(&o, dy, maxd, 0, run_, th), CPK_OK);
                    assert_int_equal(cpk_edt_rows_f32(&o, dx, dy, maxd, -9, th), CPK_OK);
                }
                assert_memory_equal(buf, want, sizeof(float) * (size_t)(nx * ny));
            }
        free(want);
    }
    cpk_out_f32 bad = {buf, nx, ny, (ptrdiff_t)nx - 1};
    assert_int_equal(cpk_edt_rows_f32(&bad, 1, 1, INFINITY, 0, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_merge_f32(NULL, 1, INFINITY, 0, run_, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_sweep_f32(&whole, &src, 0, INFINITY, 1, run_, &bad, 1), CPK_E_ARG);
    free(buf);
    free(g);
}

/* Carried-state strips (down carried, rows below swept for each strip) give the bytes of the
 * whole-grid transform for any strip height and thread count; a range starting mid-grid
 * warmed from the halo above gives the same rows too. */
static void test_edt_carried_strips_equal_whole_grid(void **state) {
    (void)state;
    const int64_t nx = 157, ny = 61; /* several blocks of columns, the last one partial */
    const double cases[][3] = {{30, 30, 250}, {30, 20, 95}, {0.5, 0.5, 7.3}, {1, 1, 0}};
    const double dens[] = {0.0, 0.01, 0.3};
    float *buf = malloc(sizeof(float) * (size_t)(nx * ny));
    float down[157];
    cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    for (size_t d = 0; d < 3; ++d) {
        float *g = make_grid(nx, ny, dens[d], 500 + d);
        cpk_view_f32 whole = {g, nx, ny, (ptrdiff_t)nx, -1.0f, 1};
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
            double dx = cases[c][0], dy = cases[c][1], maxd = cases[c][2];
            int64_t halo = cpk_edt_halo(dy, maxd);
            float *want = run(&whole, dx, dy, maxd, -9, 0, ny, 1);
            const int64_t heights[] = {1, 4, 13, 61};
            const int64_t starts[] = {0, 20}; /* a range from the top, one from row 20 */
            for (size_t h = 0; h < 4; ++h)
                for (size_t s0 = 0; s0 < 2; ++s0)
                    for (int th = 1; th <= 3; th += 2) {
                        memset(buf, 0, sizeof(float) * (size_t)(nx * ny));
                        for (int64_t a = starts[s0]; a < ny; a += heights[h]) {
                            int64_t b = a + heights[h] < ny ? a + heights[h] : ny;
                            int warm = a == starts[s0];
                            int64_t v0 = warm && a - halo > 0 ? a - halo : warm ? 0 : a;
                            int64_t v1 = b + halo < ny ? b + halo : ny;
                            cpk_view_f32 v = {g + v0 * nx, nx, v1 - v0, (ptrdiff_t)nx, -1.0f, 1};
                            cpk_out_f32 o = {buf + a * nx, nx, b - a, (ptrdiff_t)nx};
                            assert_int_equal(cpk_edt_strip_f32(&v, &src, dx, dy, maxd, -9, a - v0,
                                                               b - v0, warm, down, &o, th),
                                             CPK_OK);
                        }
                        int64_t from = starts[s0] * nx;
                        assert_memory_equal(buf + from, want + from,
                                            sizeof(float) * (size_t)(nx * ny - from));
                    }
            free(want);
        }
        free(g);
    }
    cpk_out_f32 o = {buf, nx, 1, (ptrdiff_t)nx};
    float *g = make_grid(nx, 2, 0.5, 9);
    cpk_view_f32 v = {g, nx, 2, (ptrdiff_t)nx, -1.0f, 1};
    assert_int_equal(cpk_edt_strip_f32(&v, &src, 1, 1, INFINITY, 0, 0, 1, 1, down, &o, 1),
                     CPK_E_ARG); /* needs a finite maximum */
    assert_int_equal(cpk_edt_strip_f32(&v, &src, 1, 1, 5, 0, 0, 2, 1, down, &o, 1),
                     CPK_E_ARG); /* out has 1 row, not 2 */
    free(g);
    free(buf);
}

/* Source-list interface (list by strips, index by column, column distances + row pass by
 * strips) gives the bytes of the whole-grid transform, with a list grown on demand. */
static void test_edt_source_list_equals_whole_grid(void **state) {
    (void)state;
    const int64_t nx = 141, ny = 57; /* several blocks of columns, the last one partial */
    const double cases[][3] = {{30, 30, INFINITY}, {30, 30, 250}, {30, 20, INFINITY}};
    const double dens[] = {0.0, 0.003, 0.05, 0.6};
    float *buf = malloc(sizeof(float) * (size_t)(nx * ny));
    int64_t *cells = malloc(sizeof(int64_t) * (size_t)(nx * ny));
    int64_t col_start[142], st[3 * 141 + 1];
    int32_t *rows = malloc(sizeof(int32_t) * (size_t)(nx * ny));
    cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    for (size_t d = 0; d < 4; ++d) {
        float *g = make_grid(nx, ny, dens[d], 300 + d);
        cpk_view_f32 whole = {g, nx, ny, (ptrdiff_t)nx, -1.0f, 1};
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
            double dx = cases[c][0], dy = cases[c][1], maxd = cases[c][2];
            float *want = run(&whole, dx, dy, maxd, -9, 0, ny, 1);
            const int64_t heights[] = {1, 6, 57};
            for (size_t h = 0; h < 3; ++h)
                for (int th = 1; th <= 3; ++th) {
                    int64_t rh = heights[h];
                    size_t n = 0, cap = (size_t)(th - 1); /* 0-2: forces regrowth */
                    for (int64_t a = 0; a < ny; a += rh) {
                        int64_t b = a + rh < ny ? a + rh : ny;
                        cpk_view_f32 v = {g + a * nx, nx, b - a, (ptrdiff_t)nx, -1.0f, 1};
                        size_t before = n;
                        cpk_status ks = cpk_edt_list_sources_f32(&v, &src, a, cells, cap, &n, th);
                        if (ks == CPK_E_NOMEM) {
                            assert_true(n > cap);
                            cap = (size_t)(nx * ny);
                            n = before;
                            ks = cpk_edt_list_sources_f32(&v, &src, a, cells, cap, &n, th);
                        }
                        assert_int_equal(ks, CPK_OK);
                    }
                    assert_int_equal(cpk_edt_index_sources(cells, n, nx, col_start, rows), CPK_OK);
                    assert_int_equal(col_start[nx], (int64_t)n);
                    for (int64_t a = 0; a < ny; a += rh) {
                        int64_t b = a + rh < ny ? a + rh : ny;
                        cpk_out_f32 o = {buf + a * nx, nx, b - a, (ptrdiff_t)nx};
                        assert_int_equal(cpk_edt_cols_from_sources_f32(cells, n, col_start, rows,
                                                                       dy, maxd, a, &o, st, th),
                                         CPK_OK);
                        assert_int_equal(cpk_edt_rows_f32(&o, dx, dy, maxd, -9, th), CPK_OK);
                    }
                    assert_memory_equal(buf, want, sizeof(float) * (size_t)(nx * ny));
                }
            free(want);
        }
        free(g);
    }
    size_t n = 0;
    cpk_view_f32 v = {buf, nx, ny, (ptrdiff_t)nx, 0, 0};
    assert_int_equal(cpk_edt_list_sources_f32(&v, &src, 0, NULL, 5, &n, 1), CPK_E_ARG);
    assert_int_equal(cpk_edt_index_sources(NULL, 3, nx, col_start, rows), CPK_E_ARG);
    int64_t bad_cell = -1;
    assert_int_equal(cpk_edt_index_sources(&bad_cell, 1, nx, col_start, rows), CPK_E_ARG);
    cpk_out_f32 o = {buf, nx, ny, (ptrdiff_t)nx};
    assert_int_equal(
        cpk_edt_cols_from_sources_f32(cells, 0, col_start, rows, 0, INFINITY, 0, &o, st, 1),
        CPK_E_ARG);
    free(buf);
    free(cells);
    free(rows);
}

/* Early rows (cpk/edt.h): reading a grid strip by strip and trying rows before its end, the
 * rows that cpk_edt_final_rows calls final are those of the whole-grid transform bit for bit;
 * once `need` rows are read a try settles every row it computed before; every row is computed
 * at most twice. Tries are made eagerly (all rows read so far) and with a lag, over sparse,
 * clustered and dense sources, square and oblong cells. */
static void early_rows_case(const float *g, int64_t nx, int64_t ny, double dx, double dy,
                            int64_t rh, int64_t lag, int th, const float *want) {
    cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    int64_t *cells = malloc(sizeof(int64_t) * (size_t)(nx * ny + 1));
    int32_t *wrows = malloc(sizeof(int32_t) * (size_t)(nx * ny + 1));
    int64_t *col_start = malloc(sizeof(int64_t) * (size_t)(nx + 1));
    float *up = malloc(sizeof(float) * (size_t)nx), *rowmax = malloc(sizeof(float) * (size_t)ny);
    float *buf = malloc(sizeof(float) * (size_t)(nx * ny));
    int *computed = calloc((size_t)ny, sizeof(int));
    for (int64_t i = 0; i < nx; ++i) up[i] = -INFINITY;
    size_t n = 0, first = 0;
    int64_t known = 0, done = 0, need = 0, settled_to = 0;
    while (done < ny) {
        if (known < ny) {
            int64_t b = known + rh < ny ? known + rh : ny;
            cpk_view_f32 v = {g + known * nx, nx, b - known, (ptrdiff_t)nx, -1.0f, 1};
            assert_int_equal(
                cpk_edt_list_sources_f32(&v, &src, known, cells, (size_t)(nx * ny), &n, th),
                CPK_OK);
            known = b;
        }
        while (done < ny && (known == ny || known >= need)) {
            int64_t last = known == ny ? ny : known - lag;
            if (last <= done) break;
            int64_t cnt = last - done;
            assert_int_equal(cpk_edt_index_sources(cells + first, n - first, nx, col_start, wrows),
                             CPK_OK);
            cpk_out_f32 o = {buf + done * nx, nx, cnt, (ptrdiff_t)nx};
            assert_int_equal(cpk_edt_cols_window_f32(cells + first, n - first, col_start, wrows, up,
                                                     dy, INFINITY, done, &o, th),
                             CPK_OK);
            for (int64_t r = done; r < last; ++r) computed[r]++;
            int64_t f = cnt, reach = 0;
            if (known < ny) {
                assert_int_equal(cpk_edt_rows_max_f32(&o, dx, dy, INFINITY, INFINITY, rowmax, th),
                                 CPK_OK);
                f = cpk_edt_final_rows(rowmax, cnt, done, known, dy, &need, &reach);
                if (done < settled_to) /* the rows of the try before are settled now */
                    assert_true(done + f >= settled_to);
                settled_to = f < cnt ? done + cnt : 0;
            } else {
                assert_int_equal(cpk_edt_rows_f32(&o, dx, dy, INFINITY, -9, th), CPK_OK);
            }
            for (int64_t r = done; r < done + f; ++r)
                if (memcmp(buf + r * nx, want + r * nx, sizeof(float) * (size_t)nx) != 0) {
                    print_error("row %ld published early (read %ld) differs\n", (long)r,
                                (long)known);
                    fail();
                }
            first += cpk_edt_up_advance(cells + first, n - first, nx, done + f, up);
            done += f;
            if (f < cnt) break;
        }
    }
    for (int64_t r = 0; r < ny; ++r) assert_true(computed[r] >= 1 && computed[r] <= 2);
    free(cells);
    free(wrows);
    free(col_start);
    free(up);
    free(rowmax);
    free(buf);
    free(computed);
}

static void test_edt_early_rows_equal_whole_grid(void **state) {
    (void)state;
    const int64_t nx = 97, ny = 83;
    const double cells[][2] = {{1, 1}, {30, 30}, {30, 20}, {7.5, 31}};
    const double dens[] = {0.0, 0.002, 0.02, 0.3};
    for (size_t d = 0; d < 4; ++d)
        for (int clustered = 0; clustered < 2; ++clustered) {
            float *g = make_grid(nx, ny, dens[d], 500 + d + 10 * (uint64_t)clustered);
            if (clustered) /* sources only in the lower fifth: the rows above wait for them */
                for (int64_t k = 0; k < nx * ny * 4 / 5; ++k) g[k] = g[k] == 1.0f ? 0.0f : g[k];
            cpk_view_f32 whole = {g, nx, ny, (ptrdiff_t)nx, -1.0f, 1};
            for (size_t c = 0; c < 4; ++c) {
                float *want = run(&whole, cells[c][0], cells[c][1], INFINITY, -9, 0, ny, 1);
                const int64_t heights[] = {1, 7, 40};
                const int64_t lags[] = {0, 5};
                for (size_t h = 0; h < 3; ++h)
                    for (size_t l = 0; l < 2; ++l)
                        early_rows_case(g, nx, ny, cells[c][0], cells[c][1], heights[h], lags[l],
                                        1 + (int)((h + l) % 3), want);
                free(want);
            }
            free(g);
        }
    /* rows_max: each row's largest value >= 0, as a scan of the rows finds it, on the
     * integer and the double row pass, with and without a maximum distance */
    {
        float *g = make_grid(nx, ny, 0.01, 777), *o1 = malloc(sizeof(float) * nx * ny);
        float *rm = malloc(sizeof(float) * ny);
        const double cases[][3] = {
            {1, 1, INFINITY}, {30, 30, 200}, {30, 20, INFINITY}, {30, 20, 150}};
        for (size_t c = 0; c < 4; ++c) {
            cpk_view_f32 whole = {g, nx, ny, (ptrdiff_t)nx, -1.0f, 1};
            cpk_sources src = {CPK_SOURCE_NONZERO, 0, NULL, 0};
            int64_t *cl = malloc(sizeof(int64_t) * nx * ny), cs[98];
            int32_t *rw = malloc(sizeof(int32_t) * nx * ny);
            size_t n = 0;
            assert_int_equal(cpk_edt_list_sources_f32(&whole, &src, 0, cl, nx * ny, &n, 1), CPK_OK);
            assert_int_equal(cpk_edt_index_sources(cl, n, nx, cs, rw), CPK_OK);
            int64_t st[3 * 97 + 1];
            cpk_out_f32 o = {o1, nx, ny, (ptrdiff_t)nx};
            assert_int_equal(cpk_edt_cols_from_sources_f32(cl, n, cs, rw, cases[c][1], cases[c][2],
                                                           0, &o, st, 2),
                             CPK_OK);
            assert_int_equal(
                cpk_edt_rows_max_f32(&o, cases[c][0], cases[c][1], cases[c][2], 5.0f, rm, 2),
                CPK_OK);
            for (int64_t j = 0; j < ny; ++j) {
                float m = 0.0f;
                for (int64_t i = 0; i < nx; ++i) m = o1[j * nx + i] > m ? o1[j * nx + i] : m;
                assert_true(rm[j] == m);
            }
            free(cl);
            free(rw);
        }
        free(g);
        free(o1);
        free(rm);
    }
    /* reach: the smallest value k rows away, and the rows a value needs */
    assert_true(cpk_edt_reach_f32(30, 0) == 0.0f);
    assert_true(cpk_edt_reach_f32(30, 3) == 90.0f);
    float mx[3] = {0.0f, 90.0f, 90.5f};
    int64_t need = -1, reach = -1;
    assert_int_equal(cpk_edt_final_rows(mx, 3, 10, 13, 30, &need, &reach), 1);
    assert_int_equal(need, 12 + 4); /* row 12: 90.5 needs 4 rows (120 >= 90.5 > 90) */
    assert_int_equal(reach, 4);
    assert_int_equal(cpk_edt_final_rows(mx, 2, 10, 14, 30, &need, &reach), 2);
    float inf[1] = {INFINITY};
    assert_int_equal(cpk_edt_final_rows(inf, 1, 0, 5, 1, &need, &reach), 0);
    assert_true(need == INT64_MAX && reach == INT64_MAX);
    int64_t list[3] = {2 * 5 + 1, 3 * 5 + 1, 4 * 5 + 2}, cs[6];
    int32_t rws[3];
    float u[5] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    assert_int_equal(cpk_edt_up_advance(list, 3, 5, 4, u), 2);
    assert_true(u[1] == 3.0f && isinf(u[2]));
    assert_int_equal(cpk_edt_index_sources(list, 3, 5, cs, rws), CPK_OK);
    float o1[5];
    cpk_out_f32 o = {o1, 5, 1, 5};
    /* a listed source above row0 is refused */
    assert_int_equal(cpk_edt_cols_window_f32(list, 3, cs, rws, u, 1, INFINITY, 3, &o, 1),
                     CPK_E_ARG);
    assert_int_equal(cpk_edt_cols_window_f32(list, 3, cs, rws, NULL, 1, INFINITY, 0, &o, 1),
                     CPK_E_ARG);
}

/* Byte strips list the same sources as their Float32 conversion, for every source kind and
 * nodata values inside, between and outside the Byte values. */
static void test_edt_list_sources_u8_matches_f32(void **state) {
    (void)state;
    const int64_t nx = 37, ny = 23;
    uint8_t *b = malloc((size_t)(nx * ny));
    float *f = malloc(sizeof(float) * (size_t)(nx * ny));
    int64_t *l8 = malloc(sizeof(int64_t) * (size_t)(nx * ny)),
            *l32 = malloc(sizeof(int64_t) * (size_t)(nx * ny));
    rng_state = 4242;
    for (int64_t k = 0; k < nx * ny; ++k) {
        uint64_t r = cpt_rnd(&rng_state) % 10;
        b[k] = (uint8_t)(r < 6 ? 0 : r < 8 ? 3 : r == 8 ? 7 : 255);
        f[k] = (float)b[k];
    }
    const float vals[] = {7.0f, 255.0f};
    const cpk_sources kinds[] = {{CPK_SOURCE_NONZERO, 0, NULL, 0},
                                 {CPK_SOURCE_AT_LEAST, 3.5f, NULL, 0},
                                 {CPK_SOURCE_VALUES, 0, vals, 2}};
    const float nodatas[] = {3.0f, 2.5f, 300.0f, 255.0f};
    for (size_t k = 0; k < 3; ++k)
        for (size_t d = 0; d < 5; ++d) {
            int hn = d < 4;
            float nd = hn ? nodatas[d] : 0.0f;
            cpk_view_f32 v = {f, nx, ny, (ptrdiff_t)nx, nd, hn};
            size_t n8 = 0, n32 = 0;
            assert_int_equal(cpk_edt_list_sources_u8(b, nx, ny, (ptrdiff_t)nx, hn, nd, &kinds[k], 5,
                                                     l8, (size_t)(nx * ny), &n8, 2),
                             CPK_OK);
            assert_int_equal(
                cpk_edt_list_sources_f32(&v, &kinds[k], 5, l32, (size_t)(nx * ny), &n32, 3),
                CPK_OK);
            assert_int_equal(n8, n32);
            assert_true(n8 > 0 || (k == 1 && d == 3));
            assert_memory_equal(l8, l32, sizeof(int64_t) * n8);
        }
    size_t n = 0;
    assert_int_equal(
        cpk_edt_list_sources_u8(NULL, nx, ny, (ptrdiff_t)nx, 0, 0, &kinds[0], 0, l8, 1, &n, 1),
        CPK_E_ARG);
    free(b);
    free(f);
    free(l8);
    free(l32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edt_matches_brute_force),
        cmocka_unit_test(test_edt_single_source),
        cmocka_unit_test(test_edt_source_kinds),
        cmocka_unit_test(test_edt_threads_identical),
        cmocka_unit_test(test_edt_strips_equal_whole_grid),
        cmocka_unit_test(test_edt_edge_cases_and_arguments),
        cmocka_unit_test(test_edt_square_cells_match_brute_force),
        cmocka_unit_test(test_edt_streaming_equals_whole_grid),
        cmocka_unit_test(test_edt_carried_strips_equal_whole_grid),
        cmocka_unit_test(test_edt_source_list_equals_whole_grid),
        cmocka_unit_test(test_edt_early_rows_equal_whole_grid),
        cmocka_unit_test(test_edt_list_sources_u8_matches_f32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
