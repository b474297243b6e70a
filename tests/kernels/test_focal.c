/* Disk focal sum: against brute force, thread counts, strips, edge cases. */
#include "cp_test.h"

#include <math.h>
#include <omp.h>

#include "cpk/focal.h"

static uint64_t rng_state;

/* A grid of nx*ny cells with stride nx + pad; integers 0..9 when `ints`, else floats in
 * [0, 1000); about `nodata_share` of the cells are nodata (-9999) or NaN. */
static float *make_grid(int64_t nx, int64_t ny, int64_t stride, int ints, double nodata_share,
                        uint64_t seed) {
    rng_state = seed * 2654435761u + 1;
    float *g = malloc(sizeof(float) * (size_t)(stride * (ny ? ny : 1)));
    for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < stride; ++i) {
            double u = cpt_rnd01(&rng_state);
            float v =
                ints ? (float)(cpt_rnd(&rng_state) % 10) : (float)(cpt_rnd01(&rng_state) * 1000.0);
            if (u < nodata_share / 2)
                v = -9999.0f;
            else if (u < nodata_share)
                v = NAN;
            g[j * stride + i] = i < nx ? v : 12345.0f; /* padding must never be read */
        }
    return g;
}

static double brute(const cpk_view_f32 *in, int64_t i, int64_t j, double dx, double dy, double r) {
    double s = 0;
    for (int64_t k = 0; k < in->ny; ++k)
        for (int64_t m = 0; m < in->nx; ++m) {
            double a = (double)(m - i) * dx, b = (double)(k - j) * dy;
            if (!(a * a + b * b <= r * r)) continue;
            float v = in->data[k * in->stride + m];
            if (!isfinite(v) || (in->has_nodata && v == in->nodata)) continue;
            s += v;
        }
    return s;
}

static float *run(const cpk_view_f32 *in, double dx, double dy, double r, int64_t row0,
                  int64_t row1, int threads) {
    int64_t n = (row1 - row0) * in->nx;
    float *o = malloc(sizeof(float) * (size_t)(n ? n : 1));
    cpk_out_f32 out = {o, in->nx, row1 - row0, (ptrdiff_t)in->nx};
    assert_int_equal(cpk_focal_sum_disk_f32(in, dx, dy, r, row0, row1, &out, threads), CPK_OK);
    return o;
}

static void check_brute(int64_t nx, int64_t ny, double dx, double dy, double r, int ints,
                        uint64_t seed) {
    float *g = make_grid(nx, ny, nx + 3, ints, 0.1, seed);
    cpk_view_f32 in = {g, nx, ny, nx + 3, -9999.0f, 1};
    float *o = run(&in, dx, dy, r, 0, ny, 2);
    for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < nx; ++i) {
            double want = brute(&in, i, j, dx, dy, r);
            float got = o[j * nx + i];
            if (ints) {
                if (got != (float)want) {
                    print_error("cell %ld,%ld: got %.9g want %.9g\n", (long)i, (long)j, got, want);
                    fail();
                }
            } else {
                assert_true(fabs(got - want) <= 1e-6 * (fabs(want) + 1000.0));
            }
        }
    free(o);
    free(g);
}

static void test_focal_matches_brute_force_integers(void **state) {
    (void)state;
    check_brute(37, 29, 30, 30, 95, 1, 1);
    check_brute(40, 33, 30, 20, 100, 1, 2); /* anisotropic: ellipse of cells */
    check_brute(25, 41, 10, 35, 90, 1, 3);  /* taller than wide */
    check_brute(31, 23, 30, 30, 30, 1, 4);  /* radius exactly one cell: 5-cell cross */
    check_brute(9, 7, 1, 1, 1000, 1, 5);    /* disk larger than the grid */
    check_brute(17, 19, 30, 30, 0, 1, 6);   /* radius 0: each cell itself */
    check_brute(1, 40, 30, 30, 100, 1, 7);  /* one column */
    check_brute(40, 1, 30, 30, 100, 1, 8);  /* one row */
    check_brute(1100, 9, 30, 30, 95, 1, 9); /* rows wider than the kernel's column tiles */
    check_brute(1300, 3, 1, 1, 600, 1, 10); /* chords longer than a tile, across tiles */
}

static void test_focal_matches_brute_force_floats(void **state) {
    (void)state;
    check_brute(45, 38, 30, 30, 130, 0, 11);
    check_brute(33, 30, 12.5, 30, 77, 0, 12);
}

static void test_focal_threads_identical(void **state) {
    (void)state;
    int64_t nx = 203, ny = 157;
    float *g = make_grid(nx, ny, nx, 0, 0.05, 21);
    cpk_view_f32 in = {g, nx, ny, nx, -9999.0f, 1};
    float *o1 = run(&in, 30, 25, 260, 0, ny, 1);
    for (int t = 2; t <= 5; ++t) {
        float *ot = run(&in, 30, 25, 260, 0, ny, t);
        assert_memory_equal(o1, ot, sizeof(float) * (size_t)(nx * ny));
        free(ot);
    }
    free(o1);
    free(g);
}

/* A team smaller than the threads asked for (the kernel called inside another parallel
 * region, nested regions off): its one thread runs its own share of the row blocks, then
 * steals the other three's half by half, starting its ring of prefix rows afresh at each
 * stolen run. The same bits as one thread. */
static void test_focal_stolen_blocks_same_bits(void **state) {
    (void)state;
    int64_t nx = 97, ny = 301;
    float *g = make_grid(nx, ny, nx, 0, 0.05, 23);
    cpk_view_f32 in = {g, nx, ny, nx, -9999.0f, 1};
    float *o1 = run(&in, 30, 25, 260, 0, ny, 1);
    int levels = omp_get_max_active_levels();
    omp_set_max_active_levels(1);
    float *o4 = NULL;
    int inner = 0;
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        {
#pragma omp parallel num_threads(4)
#pragma omp single
            inner = omp_get_num_threads();
            o4 = run(&in, 30, 25, 260, 0, ny, 4);
        }
    }
    omp_set_max_active_levels(levels);
    assert_int_equal(inner, 1); /* the kernel's team was one thread */
    assert_memory_equal(o1, o4, sizeof(float) * (size_t)(nx * ny));
    free(o1);
    free(o4);
    free(g);
}

static void test_focal_strips_equal_whole_grid(void **state) {
    (void)state;
    int64_t nx = 120, ny = 200;
    double dx = 30, dy = 20, r = 170;
    float *g = make_grid(nx, ny, nx, 0, 0.05, 31);
    cpk_view_f32 whole = {g, nx, ny, nx, -9999.0f, 1};
    float *ow = run(&whole, dx, dy, r, 0, ny, 2);
    int64_t halo = cpk_focal_disk_halo(dy, r);
    assert_int_equal(halo, 8);
    int64_t strips[] = {1, 7, 33, 64, 200};
    for (size_t s = 0; s < sizeof strips / sizeof strips[0]; ++s) {
        int64_t h = strips[s];
        for (int64_t a = 0; a < ny; a += h) {
            int64_t b = a + h < ny ? a + h : ny;
            int64_t v0 = a - halo < 0 ? 0 : a - halo, v1 = b + halo > ny ? ny : b + halo;
            cpk_view_f32 sv = {g + v0 * nx, nx, v1 - v0, nx, -9999.0f, 1};
            float *os = run(&sv, dx, dy, r, a - v0, b - v0, 3);
            assert_memory_equal(os, ow + a * nx, sizeof(float) * (size_t)((b - a) * nx));
            free(os);
        }
    }
    free(ow);
    free(g);
}

/* One workspace kept over strips of different heights and radii (it grows, and its old
 * contents are garbage for the next call): every strip the same bits as the call that
 * allocates its own scratch. */
static void test_focal_workspace_reused(void **state) {
    (void)state;
    int64_t nx = 150, ny = 180;
    float *g = make_grid(nx, ny, nx, 0, 0.05, 41);
    cpk_workspace ws = {NULL, 0};
    const double radii[] = {40, 170, 90, 300, 0};
    const int64_t heights[] = {180, 7, 33, 64, 1};
    size_t grown = 0;
    for (size_t c = 0; c < 5; ++c) {
        int64_t halo = cpk_focal_disk_halo(20, radii[c]), h = heights[c];
        for (int64_t a = 0; a < ny; a += h) {
            int64_t b = a + h < ny ? a + h : ny;
            int64_t v0 = a - halo < 0 ? 0 : a - halo, v1 = b + halo > ny ? ny : b + halo;
            cpk_view_f32 sv = {g + v0 * nx, nx, v1 - v0, nx, -9999.0f, 1};
            float *want = run(&sv, 30, 20, radii[c], a - v0, b - v0, 2);
            float *got = malloc(sizeof(float) * (size_t)((b - a) * nx));
            cpk_out_f32 out = {got, nx, b - a, (ptrdiff_t)nx};
            assert_int_equal(cpk_focal_sum_disk_ws_f32(&sv, 30, 20, radii[c], a - v0, b - v0, &out,
                                                       1 + (int)(a % 3), &ws),
                             CPK_OK);
            assert_memory_equal(got, want, sizeof(float) * (size_t)((b - a) * nx));
            grown = ws.bytes > grown ? ws.bytes : grown;
            free(got);
            free(want);
        }
    }
    assert_true(ws.data && ws.bytes == grown); /* kept, at the largest size asked */
    assert_int_equal(cpk_focal_sum_disk_ws_f32(&(cpk_view_f32){g, nx, ny, nx, 0, 0}, 30, 20, 50, 0,
                                               1, &(cpk_out_f32){g, nx, 1, nx}, 1, NULL),
                     CPK_E_ARG);
    cpk_workspace_free(&ws);
    assert_null(ws.data);
    assert_int_equal(ws.bytes, 0);
    cpk_workspace_free(&ws); /* twice: a no-op */
    free(g);
}

/* The kernel's results are those of the plain chord formula to the bit: each cell adds, for
 * row offsets -halo .. halo in order, the difference of two prefix sums (in double) of its
 * chord's row, whatever the blocking of rows, columns and chords inside the kernel. */
static void check_chords(int64_t nx, int64_t ny, double dx, double dy, double r, int threads,
                         uint64_t seed) {
    float *g = make_grid(nx, ny, nx, 0, 0.08, seed);
    /* Spikes of +2^52 and, two rows below, -2^52: a cell's total then depends on the order
     * in which its chords are added (a chord's small cells are absorbed or not), so a
     * change of that order shows in the floats. */
    for (int64_t k = 0; k + 2 < ny; k += 5)
        for (int64_t i = (k * 37) % 11; i < nx; i += 23) {
            g[k * nx + i] = 0x1p52f;
            g[(k + 2) * nx + i] = -0x1p52f;
        }
    cpk_view_f32 in = {g, nx, ny, nx, -9999.0f, 1};
    int64_t halo = cpk_focal_disk_halo(dy, r);
    double *pre = malloc(sizeof(double) * (size_t)(ny * (nx + 1)));
    for (int64_t k = 0; k < ny; ++k) {
        double s = 0.0, *p = pre + k * (nx + 1);
        p[0] = 0.0;
        for (int64_t i = 0; i < nx; ++i) {
            float v = g[k * nx + i];
            s += isfinite(v) && v != -9999.0f ? (double)v : 0.0;
            p[i + 1] = s;
        }
    }
    float *o = run(&in, dx, dy, r, 0, ny, threads);
    for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < nx; ++i) {
            double t = 0.0;
            for (int64_t dj = -halo; dj <= halo; ++dj) {
                int64_t k = j + dj, h = 0;
                if (k < 0 || k >= ny) continue;
                double b = (double)dj * dy;
                while (h < nx && ((double)(h + 1) * dx) * ((double)(h + 1) * dx) + b * b <= r * r)
                    ++h;
                const double *p = pre + k * (nx + 1);
                t += p[i + h + 1 < nx ? i + h + 1 : nx] - p[i - h > 0 ? i - h : 0];
            }
            if (o[j * nx + i] != (float)t) {
                print_error("cell %ld,%ld: got %.9g want %.9g\n", (long)i, (long)j, o[j * nx + i],
                            (float)t);
                fail();
            }
        }
    free(o);
    free(pre);
    free(g);
}

static void test_focal_same_bits_as_plain_chords(void **state) {
    (void)state;
    check_chords(900, 70, 30, 30, 300, 2, 41);  /* interior column blocks, row blocks */
    check_chords(611, 37, 30, 20, 250, 3, 42);  /* anisotropic, ragged blocks */
    check_chords(300, 50, 30, 30, 1000, 1, 43); /* no block wholly inside the chords */
    check_chords(2000, 18, 10, 10, 95, 2, 44);  /* chords fewer than four a pass */
}

static void test_focal_edge_cases(void **state) {
    (void)state;
    float one = 4.5f, res = -1;
    cpk_view_f32 in1 = {&one, 1, 1, 1, 0, 0};
    cpk_out_f32 o1 = {&res, 1, 1, 1};
    assert_int_equal(cpk_focal_sum_disk_f32(&in1, 30, 30, 500, 0, 1, &o1, 3), CPK_OK);
    assert_true(res == 4.5f);
    /* empty: no rows to compute, and a view with no rows */
    assert_int_equal(cpk_focal_sum_disk_f32(&in1, 30, 30, 500, 1, 1, &o1, 2), CPK_OK);
    cpk_view_f32 empty = {NULL, 5, 0, 5, 0, 0};
    cpk_out_f32 oempty = {NULL, 5, 0, 5};
    assert_int_equal(cpk_focal_sum_disk_f32(&empty, 30, 30, 50, 0, 0, &oempty, 2), CPK_OK);
    /* all nodata gives zeros */
    float nd[12], o[12];
    for (int i = 0; i < 12; ++i) nd[i] = i % 2 ? NAN : -1.0f;
    cpk_view_f32 inn = {nd, 4, 3, 4, -1.0f, 1};
    cpk_out_f32 on = {o, 4, 3, 4};
    assert_int_equal(cpk_focal_sum_disk_f32(&inn, 1, 1, 2, 0, 3, &on, 2), CPK_OK);
    for (int i = 0; i < 12; ++i) assert_true(o[i] == 0.0f);
    /* infinities count as 0 too (they would poison the prefix sums otherwise) */
    float inf[3] = {1, INFINITY, 2}, oi[3];
    cpk_view_f32 ini = {inf, 3, 1, 3, 0, 0};
    cpk_out_f32 ooi = {oi, 3, 1, 3};
    assert_int_equal(cpk_focal_sum_disk_f32(&ini, 1, 1, 1, 0, 1, &ooi, 1), CPK_OK);
    assert_true(oi[0] == 1 && oi[1] == 3 && oi[2] == 2);
}

static void test_focal_bad_arguments(void **state) {
    (void)state;
    float d[4] = {0}, o[4];
    cpk_view_f32 in = {d, 2, 2, 2, 0, 0};
    cpk_out_f32 out = {o, 2, 2, 2};
    assert_int_equal(cpk_focal_sum_disk_f32(NULL, 1, 1, 1, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 0, 1, 1, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 1, -1, 1, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 1, 1, -1, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 1, 1, NAN, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 1, 1, INFINITY, 0, 2, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 1, 1, 1, 1, 3, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 1, 1, 1, 2, 1, &out, 1), CPK_E_ARG);
    cpk_out_f32 small = {o, 1, 2, 1};
    assert_int_equal(cpk_focal_sum_disk_f32(&in, 1, 1, 1, 0, 2, &small, 1), CPK_E_ARG);
    cpk_view_f32 bad = {d, 3, 1, 2, 0, 0};
    assert_int_equal(cpk_focal_sum_disk_f32(&bad, 1, 1, 1, 0, 1, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_focal_disk_halo(0, 1), -1);
    assert_int_equal(cpk_focal_disk_halo(30, 29.9), 0);
    assert_int_equal(cpk_focal_disk_halo(30, 30), 1);
    assert_int_equal(cpk_focal_disk_halo(0.1, 0.3), 2); /* 3 * 0.1 > 0.3 in double */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_focal_matches_brute_force_integers),
        cmocka_unit_test(test_focal_matches_brute_force_floats),
        cmocka_unit_test(test_focal_threads_identical),
        cmocka_unit_test(test_focal_stolen_blocks_same_bits),
        cmocka_unit_test(test_focal_strips_equal_whole_grid),
        cmocka_unit_test(test_focal_workspace_reused),
        cmocka_unit_test(test_focal_same_bits_as_plain_chords),
        cmocka_unit_test(test_focal_edge_cases),
        cmocka_unit_test(test_focal_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
