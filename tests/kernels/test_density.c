/* Quartic kernel density: brute force, integral, thread counts, strips, edge cases. */
#include "cp_test.h"

#include <math.h>

#include "cpk/density.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static uint64_t rng_state;

typedef struct {
    double *x, *y, *w;
    size_t n;
} points;

/* n points spread over [xa, xb] x [ya, yb] with weights in [0.1, 2); a few clustered on one
 * spot and a few with NaN coordinates. */
static points make_points(size_t n, double xa, double xb, double ya, double yb, uint64_t seed) {
    rng_state = seed * 0x9E3779B97F4A7C15ull + 11;
    points p = {malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(double)),
                n};
    for (size_t k = 0; k < n; ++k) {
        p.x[k] = xa + (xb - xa) * cpt_rnd01(&rng_state);
        p.y[k] = ya + (yb - ya) * cpt_rnd01(&rng_state);
        p.w[k] = 0.1 + 1.9 * cpt_rnd01(&rng_state);
        if (k % 17 == 3) p.x[k] = xa + 0.37 * (xb - xa), p.y[k] = ya + 0.61 * (yb - ya);
        if (k % 101 == 50) p.y[k] = NAN;
    }
    return p;
}

static void free_points(points *p) {
    free(p->x);
    free(p->y);
    free(p->w);
}

static float *run(const points *p, const cpk_geo *geo, double h, int64_t row0, int64_t row1,
                  int threads) {
    int64_t n = (row1 - row0) * geo->nx;
    float *o = malloc(sizeof(float) * (size_t)(n ? n : 1));
    cpk_out_f32 out = {o, geo->nx, row1 - row0, (ptrdiff_t)geo->nx};
    cpk_points pts = {p->x, p->y, p->w, p->n};
    assert_int_equal(cpk_density_quartic_f32(&pts, geo, h, row0, row1, &out, threads), CPK_OK);
    return o;
}

static void test_density_matches_brute_force(void **state) {
    (void)state;
    cpk_geo geo = {500000, 4000000, 30, 20, 83, 71};
    /* points spill beyond the grid on every side */
    points p =
        make_points(300, 499000, 500000 + 83 * 30 + 1000, 4000000 - 71 * 20 - 800, 4000800, 1);
    double h = 310;
    float *o = run(&p, &geo, h, 0, geo.ny, 2);
    double h2 = h * h, inv_h2 = 1.0 / h2, scale = 1e6 * 3.0 / (M_PI * h2);
    for (int64_t j = 0; j < geo.ny; ++j)
        for (int64_t i = 0; i < geo.nx; ++i) {
            double cx = geo.x0 + ((double)i + 0.5) * geo.dx;
            double cy = geo.y0 - ((double)j + 0.5) * geo.dy;
            double s = 0;
            for (size_t k = 0; k < p.n; ++k) {
                if (!isfinite(p.x[k]) || !isfinite(p.y[k])) continue;
                double ddy = cy - p.y[k], dy2 = ddy * ddy, ddx = cx - p.x[k];
                double d2 = ddx * ddx + dy2;
                if (d2 < h2) {
                    double u = 1.0 - d2 * inv_h2;
                    s += p.w[k] * (u * u);
                }
            }
            assert_true(o[j * geo.nx + i] == (float)(s * scale));
        }
    free(o);
    free_points(&p);
}

static void test_density_integrates_to_total_weight(void **state) {
    (void)state;
    /* 1 km bandwidth on a 10 m grid; points at least h inside the grid */
    cpk_geo geo = {0, 20000, 10, 10, 2000, 2000};
    points p = make_points(200, 1500, 18500, 1500, 18500, 2);
    double total = 0;
    for (size_t k = 0; k < p.n; ++k)
        if (isfinite(p.x[k]) && isfinite(p.y[k])) total += p.w[k];
    float *o = run(&p, &geo, 1000, 0, geo.ny, 2);
    double sum = 0;
    for (int64_t k = 0; k < geo.nx * geo.ny; ++k) sum += o[k];
    double integral = sum * geo.dx * geo.dy / 1e6;
    assert_true(fabs(integral - total) <= 1e-3 * total);
    free(o);
    /* anisotropic cells */
    cpk_geo geo2 = {0, 20000, 8, 12.5, 2500, 1600};
    float *o2 = run(&p, &geo2, 1000, 0, geo2.ny, 2);
    sum = 0;
    for (int64_t k = 0; k < geo2.nx * geo2.ny; ++k) sum += o2[k];
    assert_true(fabs(sum * 8 * 12.5 / 1e6 - total) <= 1e-3 * total);
    free(o2);
    free_points(&p);
}

static void test_density_threads_and_strips_identical(void **state) {
    (void)state;
    cpk_geo geo = {1000, 9000, 25, 25, 330, 290};
    points p = make_points(3000, 900, 1000 + 330 * 25 + 100, 9000 - 290 * 25 - 100, 9100, 3);
    for (int hi = 0; hi < 2; ++hi) {
        double h = hi ? 2000 : 180; /* tiles of 64 cells and tiles of 80 cells */
        float *o1 = run(&p, &geo, h, 0, geo.ny, 1);
        for (int t = 2; t <= 4; ++t) {
            float *ot = run(&p, &geo, h, 0, geo.ny, t);
            assert_memory_equal(o1, ot, sizeof(float) * (size_t)(geo.nx * geo.ny));
            free(ot);
        }
        int64_t strips[] = {1, 13, 64, 100, 290};
        for (size_t s = 0; s < sizeof strips / sizeof strips[0]; ++s)
            for (int64_t a = 0; a < geo.ny; a += strips[s]) {
                int64_t b = a + strips[s] < geo.ny ? a + strips[s] : geo.ny;
                float *os = run(&p, &geo, h, a, b, 3);
                assert_memory_equal(os, o1 + a * geo.nx,
                                    sizeof(float) * (size_t)((b - a) * geo.nx));
                free(os);
            }
        free(o1);
    }
    free_points(&p);
}

static void test_density_edge_cases(void **state) {
    (void)state;
    double x = 15, y = 15, w = 2;
    cpk_points one = {&x, &y, &w, 1};
    cpk_geo g1 = {0, 30, 30, 30, 1, 1};
    float o = -1;
    cpk_out_f32 out = {&o, 1, 1, 1};
    assert_int_equal(cpk_density_quartic_f32(&one, &g1, 100, 0, 1, &out, 3), CPK_OK);
    assert_true(o == (float)(2 * 1e6 * 3 / (M_PI * 100 * 100)));
    cpk_points none = {NULL, NULL, NULL, 0};
    assert_int_equal(cpk_density_quartic_f32(&none, &g1, 100, 0, 1, &out, 3), CPK_OK);
    assert_true(o == 0);
    assert_int_equal(cpk_density_quartic_f32(&one, &g1, 100, 1, 1, &out, 3), CPK_OK);
    /* weights NULL: 1 */
    cpk_points unw = {&x, &y, NULL, 1};
    assert_int_equal(cpk_density_quartic_f32(&unw, &g1, 100, 0, 1, &out, 1), CPK_OK);
    assert_true(o == (float)(1e6 * 3 / (M_PI * 100 * 100)));
    /* a point exactly h away contributes nothing */
    double xf = 15 + 100;
    cpk_points far = {&xf, &y, NULL, 1};
    assert_int_equal(cpk_density_quartic_f32(&far, &g1, 100, 0, 1, &out, 1), CPK_OK);
    assert_true(o == 0);
    assert_int_equal(cpk_density_quartic_f32(NULL, &g1, 100, 0, 1, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_density_quartic_f32(&one, &g1, 0, 0, 1, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_density_quartic_f32(&one, &g1, INFINITY, 0, 1, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_density_quartic_f32(&one, &g1, 100, 0, 2, &out, 1), CPK_E_ARG);
    cpk_geo bad = {0, 30, 0, 30, 1, 1};
    assert_int_equal(cpk_density_quartic_f32(&one, &bad, 100, 0, 1, &out, 1), CPK_E_ARG);
    cpk_points nox = {NULL, &y, NULL, 1};
    assert_int_equal(cpk_density_quartic_f32(&nox, &g1, 100, 0, 1, &out, 1), CPK_E_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_density_matches_brute_force),
        cmocka_unit_test(test_density_integrates_to_total_weight),
        cmocka_unit_test(test_density_threads_and_strips_identical),
        cmocka_unit_test(test_density_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
