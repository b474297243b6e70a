/* Slope (cpk/terrain.h): against a naive reference, thread counts, strips with a one-row
 * halo, edge cases, and against GDAL's `gdaldem slope` on a real DEM (the Olinda DEM of the
 * shared data). */
#include "cp_test_gdal.h"

#include <math.h>

#include "cpk/terrain.h"

static uint64_t rng_state;

/* A rough terrain in metres: hills plus noise; some nodata (-9999) and NaN cells. */
static float *terrain(int64_t nx, int64_t ny, double nodata_share, uint64_t seed) {
    rng_state = seed * 2654435761u + 7;
    float *g = malloc(sizeof(float) * (size_t)(nx * ny));
    for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < nx; ++i) {
            double u = cpt_rnd01(&rng_state);
            float v = (float)(200 + 80 * sin(0.11 * (double)i) * cos(0.07 * (double)j) +
                              10 * cpt_rnd01(&rng_state));
            if (u < nodata_share / 2)
                v = -9999.0f;
            else if (u < nodata_share)
                v = NAN;
            g[j * nx + i] = v;
        }
    return g;
}

/* The definition, cell by cell over the whole grid. */
static float naive(const float *g, int64_t nx, int64_t ny, int64_t i, int64_t j, double dx,
                   double dy) {
    if (i < 1 || j < 1 || i + 1 >= nx || j + 1 >= ny) return NAN;
    double z[3][3];
    for (int b = -1; b <= 1; ++b)
        for (int a = -1; a <= 1; ++a) {
            float v = g[(j + b) * nx + (i + a)];
            if (!isfinite(v) || v == -9999.0f) return NAN;
            z[b + 1][a + 1] = v;
        }
    double zx = ((z[0][2] + 2 * z[1][2] + z[2][2]) - (z[0][0] + 2 * z[1][0] + z[2][0])) / (8 * dx);
    double zy = ((z[2][0] + 2 * z[2][1] + z[2][2]) - (z[0][0] + 2 * z[0][1] + z[0][2])) / (8 * dy);
    return (float)(atan(sqrt(zx * zx + zy * zy)) * 180.0 / 3.14159265358979323846);
}

static void same(float a, float b) {
    if (isnan(a) || isnan(b)) {
        assert_true(isnan(a) && isnan(b));
        return;
    }
    assert_memory_equal(&a, &b, sizeof a);
}

static void test_slope_naive_threads_strips(void **state) {
    (void)state;
    const int64_t nx = 97, ny = 61;
    const double dx = 30, dy = 25;
    float *g = terrain(nx, ny, 0.02, 3);
    cpk_view_f32 v = {g, nx, ny, nx, -9999.0f, 1};
    float *whole = malloc(sizeof(float) * (size_t)(nx * ny));
    cpk_out_f32 o = {whole, nx, ny, nx};
    assert_int_equal(cpk_slope_f32(&v, dx, dy, 0, ny, &o, 1), CPK_OK);
    int finite = 0;
    for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < nx; ++i) {
            same(whole[j * nx + i], naive(g, nx, ny, i, j, dx, dy));
            finite += isfinite(whole[j * nx + i]);
        }
    assert_true(finite > nx * ny / 2); /* most cells have a slope */
    /* any thread count: the same bytes */
    float *t = malloc(sizeof(float) * (size_t)(nx * ny));
    cpk_out_f32 ot = {t, nx, ny, nx};
    for (int threads = 2; threads <= 3; ++threads) {
        assert_int_equal(cpk_slope_f32(&v, dx, dy, 0, ny, &ot, threads), CPK_OK);
        assert_memory_equal(t, whole, sizeof(float) * (size_t)(nx * ny));
    }
    /* strips of 7 rows read from views with one row of halo: the whole grid's bytes */
    for (int64_t y0 = 0; y0 < ny; y0 += 7) {
        int64_t h = y0 + 7 <= ny ? 7 : ny - y0;
        int64_t lo = y0 > 0 ? y0 - 1 : 0, hi = y0 + h + 1 < ny ? y0 + h + 1 : ny;
        cpk_view_f32 sv = {g + lo * nx, nx, hi - lo, nx, -9999.0f, 1};
        cpk_out_f32 so = {t, nx, h, nx};
        assert_int_equal(cpk_slope_f32(&sv, dx, dy, y0 - lo, y0 - lo + h, &so, 2), CPK_OK);
        for (int64_t k = 0; k < h * nx; ++k) {
            /* rows at a strip view's edge that are not the grid's edge: the halo supplies them */
            same(t[k], whole[y0 * nx + k]);
        }
    }
    free(t), free(whole), free(g);
}

static void test_slope_edges_and_arguments(void **state) {
    (void)state;
    /* a plane rising 1 m per 1 m eastward: 45 degrees everywhere inside */
    float p[5 * 4];
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 5; ++i) p[j * 5 + i] = (float)i;
    cpk_view_f32 v = {p, 5, 4, 5, 0, 0};
    float o[20];
    cpk_out_f32 out = {o, 5, 4, 5};
    assert_int_equal(cpk_slope_f32(&v, 1, 1, 0, 4, &out, 1), CPK_OK);
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 5; ++i)
            if (i == 0 || j == 0 || i == 4 || j == 3)
                assert_true(isnan(o[j * 5 + i]));
            else
                assert_float_equal(o[j * 5 + i], 45.0f, 1e-5);
    /* 1 x 1 and empty */
    float one = 3, r;
    cpk_view_f32 v1 = {&one, 1, 1, 1, 0, 0};
    cpk_out_f32 o1 = {&r, 1, 1, 1};
    assert_int_equal(cpk_slope_f32(&v1, 1, 1, 0, 1, &o1, 1), CPK_OK);
    assert_true(isnan(r));
    assert_int_equal(cpk_slope_f32(&v1, 1, 1, 0, 0, &o1, 1), CPK_OK);
    /* bad arguments */
    assert_int_equal(cpk_slope_f32(&v, 0, 1, 0, 4, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_slope_f32(&v, 1, NAN, 0, 4, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_slope_f32(&v, 1, 1, 2, 5, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_slope_f32(NULL, 1, 1, 0, 4, &out, 1), CPK_E_ARG);
}

/* The peer: `gdaldem slope` (Horn, no -compute_edges) on the real Olinda DEM. */
static void test_slope_matches_gdaldem(void **state) {
    (void)state;
    char dem[4096], dir[1024], out[1200];
    snprintf(dem, sizeof dem, "%s/olinda-dem-utm25s.tif",
             cpt_env("CP_SHARED_DATA", "../shared/data"));
    if (!cpt_exists(dem)) fail_msg("the shared data's DEM is missing: %s", dem);
    cpt_tmpdir("terrain", dir, sizeof dir);
    snprintf(out, sizeof out, "%s/slope.tif", dir);
    assert_int_equal(cpt_sh(NULL, NULL, "gdaldem slope -q '%s' '%s'", dem, out), 0);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(dem, GA_ReadOnly);
    assert_non_null(ds);
    double gt[6];
    assert_int_equal(GDALGetGeoTransform(ds, gt), CE_None);
    int hasnd = 0;
    double nd = GDALGetRasterNoDataValue(GDALGetRasterBand(ds, 1), &hasnd);
    GDALClose(ds);
    int nx, ny, px, py;
    float *z = cpt_read_tif(dem, &nx, &ny);
    float *peer = cpt_read_tif(out, &px, &py);
    assert_int_equal(px, nx);
    assert_int_equal(py, ny);
    float *mine = malloc(sizeof(float) * (size_t)nx * (size_t)ny);
    cpk_view_f32 v = {z, nx, ny, nx, (float)nd, hasnd};
    cpk_out_f32 o = {mine, nx, ny, nx};
    assert_int_equal(cpk_slope_f32(&v, fabs(gt[1]), fabs(gt[5]), 0, ny, &o, 2), CPK_OK);
    double worst = 0;
    long compared = 0;
    for (long k = 0; k < (long)nx * ny; ++k) {
        int peer_nd = peer[k] == -9999.0f || !isfinite(peer[k]);
        assert_int_equal(isnan(mine[k]), peer_nd); /* the same cells have no slope */
        if (peer_nd) continue;
        double d = fabs((double)mine[k] - peer[k]);
        if (d > worst) worst = d;
        ++compared;
    }
    print_message("slope vs gdaldem: %ld cells, largest difference %.2e degrees\n", compared,
                  worst);
    assert_true(compared > (long)nx * ny / 2);
    assert_true(worst < 1e-3); /* GDAL computes in float */
    free(mine), free(peer), free(z);
    cpt_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slope_naive_threads_strips),
        cmocka_unit_test(test_slope_edges_and_arguments),
        cmocka_unit_test(test_slope_matches_gdaldem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
