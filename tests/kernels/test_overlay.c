/* Map algebra: class lookup, normalisations, decay and weighted overlay vs naive formulas. */
#include "cp_test.h"

#include <math.h>

#include "cpk/overlay.h"

static uint64_t rng_state;

enum { NX = 97, NY = 61, STRIDE = 101 };

/* Random values in [lo, hi) with ~5% nodata (-9999) and ~3% NaN. */
static float *grid(double lo, double hi, int integers, uint64_t seed) {
    rng_state = seed * 0x9E3779B97F4A7C15ull + 3;
    float *g = malloc(sizeof(float) * STRIDE * NY);
    for (int k = 0; k < STRIDE * NY; ++k) {
        double v = lo + (hi - lo) * cpt_rnd01(&rng_state);
        g[k] = integers ? (float)floor(v) : (float)v;
        double u = cpt_rnd01(&rng_state);
        if (u < 0.05)
            g[k] = -9999.0f;
        else if (u < 0.08)
            g[k] = NAN;
    }
    return g;
}

static cpk_view_f32 view(const float *g) {
    return (cpk_view_f32){g, NX, NY, STRIDE, -9999.0f, 1};
}

static int nodata(float x) {
    return isnan(x) || x == -9999.0f;
}

/* Same bytes for 1, 2 and 3 threads: runs `op` three times and compares. */
#define CHECK_THREADS(call_with_threads_t, outbuf)                          \
    do {                                                                    \
        float *ref_ = malloc(sizeof(float) * NX * NY);                      \
        for (int t = 1; t <= 3; ++t) {                                      \
            call_with_threads_t;                                            \
            if (t == 1)                                                     \
                memcpy(ref_, outbuf, sizeof(float) * NX * NY);              \
            else                                                            \
                assert_memory_equal(ref_, outbuf, sizeof(float) * NX * NY); \
        }                                                                   \
        free(ref_);                                                         \
    } while (0)

static void test_overlay_classes(void **state) {
    (void)state;
    float *g = grid(0, 120, 1, 1);
    g[5] = 40.5f; /* a fraction: default */
    g[6] = 3e9f;  /* out of int32 range: default */
    int32_t cls[] = {40, 50, 30, 20, 10, 60, 90, 80};
    float val[] = {1.0f, 1.0f, 0.6f, 0.4f, 0.3f, 0.2f, 0.2f, 0.0f};
    float o[NX * NY];
    cpk_out_f32 out = {o, NX, NY, NX};
    cpk_view_f32 in = view(g);
    CHECK_THREADS(assert_int_equal(cpk_classes_f32(&in, cls, val, 8, 0.05f, -1, &out, t), CPK_OK),
                  o);
    for (int j = 0; j < NY; ++j)
        for (int i = 0; i < NX; ++i) {
            float x = g[j * STRIDE + i], want = 0.05f;
            if (nodata(x)) want = -1;
            for (int k = 0; k < 8; ++k)
                if (x == (float)cls[k]) want = val[k];
            assert_true(o[j * NX + i] == want);
        }
    /* sparse classes: binary search path */
    int32_t wide[] = {-100000, 7, 100000};
    float wv[] = {1, 2, 3};
    g[0] = -100000;
    g[1] = 100000;
    g[2] = 7;
    g[3] = 8;
    assert_int_equal(cpk_classes_f32(&in, wide, wv, 3, 0, -1, &out, 2), CPK_OK);
    assert_true(o[0] == 1 && o[1] == 3 && o[2] == 2 && o[3] == 0);
    int32_t dup[] = {1, 1};
    assert_int_equal(cpk_classes_f32(&in, dup, wv, 2, 0, -1, &out, 2), CPK_E_ARG);
    assert_int_equal(cpk_classes_f32(&in, NULL, NULL, 0, 0.5f, -1, &out, 2), CPK_OK);
    assert_true(o[7] == 0.5f || o[7] == -1);
    free(g);
}

static void test_overlay_linear_log_decay(void **state) {
    (void)state;
    float *g = grid(-50, 150, 0, 2);
    float o[NX * NY];
    cpk_out_f32 out = {o, NX, NY, NX};
    cpk_view_f32 in = view(g);
    CHECK_THREADS(assert_int_equal(cpk_linear_f32(&in, 0, 100, 1, 1, 0, &out, t), CPK_OK), o);
    for (int j = 0; j < NY; ++j)
        for (int i = 0; i < NX; ++i) {
            float x = g[j * STRIDE + i];
            double v = ((double)x - 0) / 100;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            assert_true(o[j * NX + i] == (nodata(x) ? 0.0f : (float)(1 - v)));
        }
    assert_int_equal(cpk_linear_f32(&in, 10, 20, 0, 0, NAN, &out, 2), CPK_OK);
    for (int j = 0; j < NY; ++j)
        for (int i = 0; i < NX; ++i) {
            float x = g[j * STRIDE + i];
            if (nodata(x))
                assert_true(isnan(o[j * NX + i]));
            else
                assert_true(o[j * NX + i] == (float)(((double)x - 10) / 10));
        }
    CHECK_THREADS(assert_int_equal(cpk_log_saturate_f32(&in, 100, 0, &out, t), CPK_OK), o);
    for (int j = 0; j < NY; ++j)
        for (int i = 0; i < NX; ++i) {
            float x = g[j * STRIDE + i];
            double v = nodata(x) ? 0 : fmin(1.0, log1p(fmax(x, 0)) / log1p(100));
            assert_true(o[j * NX + i] == (float)v);
            assert_true(o[j * NX + i] >= 0 && o[j * NX + i] <= 1);
        }
    g[0] = INFINITY;
    CHECK_THREADS(assert_int_equal(cpk_decay_exp_f32(&in, 20, 0, &out, t), CPK_OK), o);
    assert_true(o[0] == 0.0f);
    for (int j = 0; j < NY; ++j)
        for (int i = 0; i < NX; ++i) {
            float x = g[j * STRIDE + i];
            double v = nodata(x) ? 0 : exp(-fmax(x, 0) / 20);
            assert_true(o[j * NX + i] == (float)v);
        }
    assert_int_equal(cpk_linear_f32(&in, 1, 1, 1, 0, 0, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_log_saturate_f32(&in, 0, 0, &out, 1), CPK_E_ARG);
    assert_int_equal(cpk_decay_exp_f32(&in, -1, 0, &out, 1), CPK_E_ARG);
    cpk_out_f32 small = {o, NX - 1, NY, NX};
    assert_int_equal(cpk_decay_exp_f32(&in, 1, 0, &small, 1), CPK_E_ARG);
    free(g);
}

static void test_overlay_weighted(void **state) {
    (void)state;
    float *a = grid(0, 1, 0, 3), *b = grid(0, 1, 0, 4), *c = grid(0, 1, 0, 5);
    float *aoi = grid(0, 2, 1, 6); /* 0 or 1, some nodata */
    cpk_view_f32 layers[3] = {view(a), view(b), view(c)};
    cpk_view_f32 mask = view(aoi);
    double w[3] = {0.35, 0.4, 0.25};
    float o[NX * NY];
    cpk_out_f32 out = {o, NX, NY, NX};
    for (int mode = 0; mode < 3; ++mode) {
        CHECK_THREADS(
            assert_int_equal(cpk_overlay_weighted_f32(layers, w, 3, &mask, (cpk_overlay_nodata)mode,
                                                      -1, &out, t),
                             CPK_OK),
            o);
        for (int j = 0; j < NY; ++j)
            for (int i = 0; i < NX; ++i) {
                int k = j * STRIDE + i;
                float want;
                if (nodata(aoi[k]) || aoi[k] == 0) {
                    want = -1;
                } else {
                    double num = 0, den = 0;
                    int dead = 0;
                    float s[3] = {a[k], b[k], c[k]};
                    for (int l = 0; l < 3; ++l) {
                        if (nodata(s[l])) {
                            if (mode == CPK_OVERLAY_NODATA_ZERO) den += w[l];
                            if (mode == CPK_OVERLAY_NODATA_PROPAGATE) dead = 1;
                            continue;
                        }
                        num += w[l] * s[l];
                        den += w[l];
                    }
                    want = dead || den == 0 ? -1 : (float)(num / den);
                }
                assert_true(o[j * NX + i] == want);
                assert_true(want == -1 || (want >= 0 && want <= 1));
            }
    }
    /* no mask; zero weights allowed when the sum is positive */
    double w0[3] = {0, 1, 0};
    assert_int_equal(
        cpk_overlay_weighted_f32(layers, w0, 3, NULL, CPK_OVERLAY_NODATA_ZERO, -1, &out, 2),
        CPK_OK);
    assert_true(o[7] == (nodata(b[7]) ? 0.0f : b[7]));
    double wz[3] = {0, 0, 0}, wn[3] = {1, -1, 1};
    assert_int_equal(
        cpk_overlay_weighted_f32(layers, wz, 3, NULL, CPK_OVERLAY_NODATA_ZERO, -1, &out, 2),
        CPK_E_ARG);
    assert_int_equal(
        cpk_overlay_weighted_f32(layers, wn, 3, NULL, CPK_OVERLAY_NODATA_ZERO, -1, &out, 2),
        CPK_E_ARG);
    assert_int_equal(
        cpk_overlay_weighted_f32(layers, w, 0, NULL, CPK_OVERLAY_NODATA_ZERO, -1, &out, 2),
        CPK_E_ARG);
    free(a);
    free(b);
    free(c);
    free(aoi);
}

/* The same bits as the cell-by-cell formula where nodata is 0 (so -0 is nodata too), where a
 * layer declares none (NaN only), with infinities (a zero weight times one is NaN) and with
 * the mask's nodata, on a row of several runs of cells (the kernels take 1,024 at a time):
 * compared with memcmp, NaN included. */
static void test_overlay_weighted_bits(void **state) {
    (void)state;
    enum { W = 2600 };
    static const float special[] = {0.0f,   -0.0f, INFINITY, -INFINITY, NAN,
                                    1e-40f, 0.5f,  1.0f,     -3.0f,     7e30f};
    const size_t ns = sizeof special / sizeof special[0];
    float a[W], b[W], c[W], m[W], o[W], want[W];
    uint64_t r = 42;
    for (int i = 0; i < W; ++i) {
        a[i] = special[cpt_rnd(&r) % ns], b[i] = special[cpt_rnd(&r) % ns];
        c[i] = (float)cpt_rnd01(&r), m[i] = special[cpt_rnd(&r) % 8];
    }
    cpk_view_f32 layers[3] = {{a, W, 1, W, 0.0f, 1}, {b, W, 1, W, 0, 0}, {c, W, 1, W, 0, 0}};
    cpk_view_f32 mask = {m, W, 1, W, -INFINITY, 1};
    const double w[3][3] = {{0.35, 0.4, 0.25}, {0, 1, 0}, {0.5, 0, 0}};
    for (int wi = 0; wi < 3; ++wi)
        for (int mode = 0; mode < 3; ++mode)
            for (int with_mask = 0; with_mask < 2; ++with_mask) {
                cpk_out_f32 out = {o, W, 1, W};
                assert_int_equal(
                    cpk_overlay_weighted_f32(layers, w[wi], 3, with_mask ? &mask : NULL,
                                             (cpk_overlay_nodata)mode, -1, &out, 2),
                    CPK_OK);
                for (int i = 0; i < W; ++i) {
                    float x[3] = {a[i], b[i], c[i]};
                    double num = 0, den = 0;
                    int dead = 0;
                    for (int l = 0; l < 3; ++l) {
                        if (isnan(x[l]) || (l == 0 && x[l] == 0.0f)) {
                            if (mode == CPK_OVERLAY_NODATA_ZERO) den += w[wi][l];
                            if (mode == CPK_OVERLAY_NODATA_PROPAGATE) dead = 1;
                            continue;
                        }
                        num += w[wi][l] * (double)x[l];
                        den += w[wi][l];
                    }
                    int outside = with_mask && (isnan(m[i]) || m[i] == -INFINITY || m[i] == 0);
                    want[i] = outside || dead || !(den > 0) ? -1.0f : (float)(num / den);
                }
                assert_memory_equal(o, want, sizeof o);
            }
    /* the log normalisation on the same row: c scaled to 0 .. 3000 around its saturation */
    for (int i = 0; i < W; ++i) c[i] = i % 7 == 0 ? -9999.0f : c[i] * 3000.0f;
    cpk_view_f32 in = {c, W, 1, W, -9999.0f, 1};
    cpk_out_f32 out = {o, W, 1, W};
    assert_int_equal(cpk_log_saturate_f32(&in, 2000, -1, &out, 2), CPK_OK);
    for (int i = 0; i < W; ++i) {
        double x = c[i] > 0 ? c[i] : 0.0, v = x >= 2000 ? 1.0 : log1p(x) / log1p(2000);
        want[i] = c[i] == -9999.0f ? -1.0f : (float)(v > 1 ? 1 : v);
    }
    assert_memory_equal(o, want, sizeof o);
}

static void test_overlay_edge_cases(void **state) {
    (void)state;
    float one = 30, o = -5;
    cpk_view_f32 in = {&one, 1, 1, 1, 0, 0};
    cpk_out_f32 out = {&o, 1, 1, 1};
    int32_t k = 30;
    float v = 0.6f;
    assert_int_equal(cpk_classes_f32(&in, &k, &v, 1, 0, -1, &out, 3), CPK_OK);
    assert_true(o == 0.6f);
    cpk_view_f32 empty = {NULL, 4, 0, 4, 0, 0};
    cpk_out_f32 oe = {NULL, 4, 0, 4};
    assert_int_equal(cpk_linear_f32(&empty, 0, 1, 1, 0, 0, &oe, 2), CPK_OK);
    assert_int_equal(cpk_overlay_weighted_f32(&empty, (double[]){1}, 1, NULL,
                                              CPK_OVERLAY_NODATA_SKIP, 0, &oe, 2),
                     CPK_OK);
    float nd[4] = {NAN, NAN, NAN, NAN}, on[4];
    cpk_view_f32 all = {nd, 2, 2, 2, 0, 0};
    cpk_out_f32 oall = {on, 2, 2, 2};
    assert_int_equal(cpk_overlay_weighted_f32(&all, (double[]){1}, 1, NULL, CPK_OVERLAY_NODATA_SKIP,
                                              -2, &oall, 2),
                     CPK_OK);
    for (int i = 0; i < 4; ++i) assert_true(on[i] == -2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_classes),    cmocka_unit_test(test_overlay_linear_log_decay),
        cmocka_unit_test(test_overlay_weighted),   cmocka_unit_test(test_overlay_weighted_bits),
        cmocka_unit_test(test_overlay_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
