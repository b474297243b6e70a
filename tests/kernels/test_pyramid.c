/* Overview pyramids (cpk/pyramid.h): against a naive reference and against GDAL's own COG
 * overviews (AVERAGE and NEAREST), cell for cell. */
#include "cp_test_gdal.h"

#include <math.h>
#include <string.h>

#include <cpl_vsi.h>
#include <gdal_utils.h>

#include "cpk/pyramid.h"

static uint64_t rng_state;

/* n random values with a share `holes` of nodata (-9999) and, with nan, of NaN: magnitudes
 * from 2^-40 to 2^40, so that the sum of a block in double rounds and its order shows */
static float *values(size_t n, double holes, int nan, uint64_t seed) {
    rng_state = seed * 0x9E3779B97F4A7C15ull + 7;
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; ++i) {
        double u = cpt_rnd01(&rng_state);
        v[i] = (float)ldexp(cpt_rnd01(&rng_state), (int)(cpt_rnd01(&rng_state) * 80) - 40);
        if (u < holes)
            v[i] = -9999.0f;
        else if (nan && u < 2 * holes)
            v[i] = NAN;
    }
    return v;
}

static void size_halves_down_never_below_one(void **state) {
    (void)state;
    const int64_t in[] = {1, 2, 3, 4, 5, 1101, 36761}, want[] = {1, 1, 1, 2, 2, 550, 18380};
    for (size_t i = 0; i < sizeof in / sizeof *in; ++i)
        assert_int_equal(cpk_pyramid_size(in[i]), want[i]);
}

/* The mean written out plainly: each row's valid cells summed, then the rows' sums. */
static float naive_mean(const float *a, const float *b, int64_t nx_in, int64_t c, int has_nd,
                        float nd) {
    const float *rows[2] = {a, b};
    double sums[2] = {0, 0};
    int valid = 0;
    for (int r = 0; r < 2; ++r)
        for (int64_t k = 2 * c; rows[r] && k <= 2 * c + 1 && k < nx_in; ++k) {
            float x = rows[r][k];
            if (!isnan(x) && !(has_nd && x == nd)) sums[r] += x, ++valid;
        }
    return valid ? (float)((sums[0] + sums[1]) / valid) : (has_nd ? nd : NAN);
}

static void mean_matches_naive(void **state) {
    (void)state;
    const int64_t widths[] = {1, 2, 3, 7, 64, 65, 1001, 400001};
    for (size_t w = 0; w < sizeof widths / sizeof *widths; ++w) {
        int64_t nx = widths[w], no = cpk_pyramid_size(nx);
        float *a = values((size_t)nx, 0.15, 1, 2 * w + 1),
              *b = values((size_t)nx, 0.15, 1, 2 * w + 2);
        float *out = malloc((size_t)no * sizeof *out);
        for (int has_nd = 0; has_nd < 2; ++has_nd)
            for (int last = 0; last < 2; ++last) { /* last: the level above is a single row */
                const float *bb = last ? NULL : b;
                assert_int_equal(cpk_pyramid_mean_f32(a, bb, nx, has_nd, -9999.0f, out), CPK_OK);
                for (int64_t c = 0; c < no; ++c) {
                    float want = naive_mean(a, bb, nx, c, has_nd, -9999.0f);
                    if (isnan(want))
                        assert_true(isnan(out[c]));
                    else
                        assert_memory_equal(&out[c], &want, sizeof want);
                }
            }
        free(a), free(b), free(out);
    }
    /* a block with no valid cell gives nodata */
    float a[2] = {-9999.0f, NAN}, b[2] = {NAN, -9999.0f}, o = 0;
    assert_int_equal(cpk_pyramid_mean_f32(a, b, 2, 1, -9999.0f, &o), CPK_OK);
    assert_true(o == -9999.0f);
}

static void first_takes_top_left(void **state) {
    (void)state;
    uint8_t a[7] = {1, 2, 3, 4, 5, 6, 7}, o[3] = {0};
    assert_int_equal(cpk_pyramid_first_u8(a, 7, o), CPK_OK);
    assert_int_equal(o[0], 1);
    assert_int_equal(o[1], 3);
    assert_int_equal(o[2], 5);
    assert_int_equal(cpk_pyramid_first_u8(a, 1, o), CPK_OK);
    assert_int_equal(o[0], 1);
}

static void bad_arguments(void **state) {
    (void)state;
    float f[2] = {0};
    uint8_t u[2] = {0};
    assert_int_equal(cpk_pyramid_mean_f32(NULL, f, 2, 0, 0, f), CPK_E_ARG);
    assert_int_equal(cpk_pyramid_mean_f32(f, f, 0, 0, 0, f), CPK_E_ARG);
    assert_int_equal(cpk_pyramid_mean_f32(f, f, 2, 0, 0, NULL), CPK_E_ARG);
    assert_int_equal(cpk_pyramid_first_u8(NULL, 2, u), CPK_E_ARG);
    assert_int_equal(cpk_pyramid_first_u8(u, 0, u), CPK_E_ARG);
}

/* Every level of GDAL's COG overviews of a raster whose levels halve exactly (even sizes down
 * the pyramid, where GDAL's AVERAGE and NEAREST are block operations) equals ours. */
static void check_against_gdal(GDALDataType type, const char *resampling) {
    enum { NX = 1088, NY = 1056 }; /* levels 544 x 528, 272 x 264 */
    const int is_byte = type == GDT_Byte;
    float *f = values((size_t)NX * NY, 0.05, 0, is_byte ? 11 : 12);
    uint8_t *u = malloc((size_t)NX * NY);
    for (size_t i = 0; i < (size_t)NX * NY; ++i)
        u[i] = (uint8_t)(f[i] < 0 ? 0 : 1 + (i * 2654435761u) % 250);
    GDALDatasetH src = GDALCreate(GDALGetDriverByName("MEM"), "", NX, NY, 1, type, NULL);
    GDALRasterBandH sb = GDALGetRasterBand(src, 1);
    GDALSetRasterNoDataValue(sb, is_byte ? 0 : -9999.0);
    assert_int_equal(GDALRasterIO(sb, GF_Write, 0, 0, NX, NY, is_byte ? (void *)u : (void *)f, NX,
                                  NY, type, 0, 0),
                     CE_None);
    char res[64];
    snprintf(res, sizeof res, "RESAMPLING=%s", resampling);
    char *argv[] = {"-of", "COG", "-co", res, NULL};
    GDALTranslateOptions *to = GDALTranslateOptionsNew(argv, NULL);
    GDALDatasetH cog = GDALTranslate("/vsimem/pyramid_cog.tif", src, to, NULL);
    GDALTranslateOptionsFree(to);
    assert_non_null(cog);
    GDALRasterBandH cb = GDALGetRasterBand(cog, 1);
    assert_int_equal(GDALGetOverviewCount(cb), 2);
    /* ours, level by level */
    size_t cell = is_byte ? 1 : 4;
    int64_t nx = NX, ny = NY;
    unsigned char *cur = is_byte ? (unsigned char *)u : (unsigned char *)f;
    unsigned char *mine = NULL;
    for (int k = 0; k < 2; ++k) {
        int64_t ox = cpk_pyramid_size(nx), oy = cpk_pyramid_size(ny);
        mine = malloc((size_t)(ox * oy) * cell);
        for (int64_t r = 0; r < oy; ++r) {
            const unsigned char *a = cur + (size_t)(2 * r * nx) * cell;
            unsigned char *o = mine + (size_t)(r * ox) * cell;
            if (is_byte)
                assert_int_equal(cpk_pyramid_first_u8(a, nx, o), CPK_OK);
            else
                assert_int_equal(
                    cpk_pyramid_mean_f32((const float *)a, (const float *)(a + (size_t)nx * cell),
                                         nx, 1, -9999.0f, (float *)o),
                    CPK_OK);
        }
        GDALRasterBandH ob = GDALGetOverview(cb, k);
        assert_int_equal(GDALGetRasterBandXSize(ob), ox);
        assert_int_equal(GDALGetRasterBandYSize(ob), oy);
        unsigned char *theirs = malloc((size_t)(ox * oy) * cell);
        assert_int_equal(
            GDALRasterIO(ob, GF_Read, 0, 0, (int)ox, (int)oy, theirs, (int)ox, (int)oy, type, 0, 0),
            CE_None);
        size_t differ = 0;
        for (size_t i = 0; i < (size_t)(ox * oy); ++i)
            differ += memcmp(theirs + i * cell, mine + i * cell, cell) != 0;
        if (differ)
            print_error("level %d: %zu of %lld cells differ\n", k + 1, differ,
                        (long long)(ox * oy));
        assert_int_equal(differ, 0);
        free(theirs);
        if (k) free(cur);
        cur = mine, nx = ox, ny = oy;
    }
    free(mine);
    GDALClose(cog);
    GDALClose(src);
    VSIUnlink("/vsimem/pyramid_cog.tif");
    free(f), free(u);
}

static void mean_matches_gdal_average(void **state) {
    (void)state;
    check_against_gdal(GDT_Float32, "AVERAGE");
}

static void first_matches_gdal_nearest(void **state) {
    (void)state;
    check_against_gdal(GDT_Byte, "NEAREST");
}

int main(void) {
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(size_halves_down_never_below_one),
        cmocka_unit_test(mean_matches_naive),
        cmocka_unit_test(first_takes_top_left),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(mean_matches_gdal_average),
        cmocka_unit_test(first_matches_gdal_nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
