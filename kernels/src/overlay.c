/* Map algebra for criteria and the priority surface (see cpk/overlay.h). */
#include "cpk/overlay.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clones.h"

static int same_size(const cpk_view_f32 *in, const cpk_out_f32 *out) {
    if (!in || !out) return 0;
    if (in->nx < 0 || in->ny < 0 || in->stride < in->nx) return 0;
    if (in->nx && in->ny && !in->data) return 0;
    if (out->nx != in->nx || out->ny < in->ny || out->stride < out->nx) return 0;
    if (out->nx && in->ny && !out->data) return 0;
    return 1;
}

static inline int is_nodata(const cpk_view_f32 *v, float x) {
    return isnan(x) || (v->has_nodata && x == v->nodata);
}

/* Class table: a direct array when the classes span a small range, else a sorted list. */
typedef struct {
    int32_t key;
    float value;
} class_entry;

static int cmp_entry(const void *a, const void *b) {
    int32_t x = ((const class_entry *)a)->key, y = ((const class_entry *)b)->key;
    return (x > y) - (x < y);
}

cpk_status cpk_classes_f32(const cpk_view_f32 *in, const int32_t *classes, const float *values,
                           size_t nclasses, float default_value, float nodata_out,
                           const cpk_out_f32 *out, int nthreads) {
    if (!same_size(in, out)) return CPK_E_ARG;
    if (nclasses && (!classes || !values)) return CPK_E_ARG;
    if (nclasses > ((size_t)1 << 31)) return CPK_E_ARG;
    class_entry *e = malloc(sizeof *e * (nclasses ? nclasses : 1));
    if (!e) return CPK_E_NOMEM;
    for (size_t k = 0; k < nclasses; ++k) e[k] = (class_entry){classes[k], values[k]};
    qsort(e, nclasses, sizeof *e, cmp_entry);
    for (size_t k = 1; k < nclasses; ++k)
        if (e[k].key == e[k - 1].key) {
            free(e);
            return CPK_E_ARG;
        }
    /* Direct table for ranges up to 65536 classes wide. */
    int64_t kmin = nclasses ? e[0].key : 0, kmax = nclasses ? e[nclasses - 1].key : -1;
    float *direct = NULL;
    int64_t span = kmax - kmin + 1;
    if (nclasses && span <= 65536) {
        direct = malloc(sizeof(float) * (size_t)span);
        if (!direct) {
            free(e);
            return CPK_E_NOMEM;
        }
        for (int64_t k = 0; k < span; ++k) direct[k] = default_value;
        for (size_t k = 0; k < nclasses; ++k) direct[e[k].key - kmin] = e[k].value;
    }
    int nt = cpk_threads(nthreads);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4)
#endif
    for (int64_t j = 0; j < in->ny; ++j) {
        const float *s = in->data + j * in->stride;
        float *o = out->data + j * out->stride;
        for (int64_t i = 0; i < in->nx; ++i) {
            float x = s[i];
            if (is_nodata(in, x)) {
                o[i] = nodata_out;
                continue;
            }
            float r = default_value;
            int64_t key = (x >= -2147483648.0f && x < 2147483648.0f && x == floorf(x)) ? (int64_t)x
                                                                                       : INT64_MIN;
            if (key >= kmin && key <= kmax) {
                if (direct) {
                    r = direct[key - kmin];
                } else {
                    size_t lo = 0, hi = nclasses;
                    while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (e[mid].key < key)
                            lo = mid + 1;
                        else
                            hi = mid;
                    }
                    if (lo < nclasses && e[lo].key == key) r = e[lo].value;
                }
            }
            o[i] = r;
        }
    }
    (void)nt;
    free(direct);
    free(e);
    return CPK_OK;
}

cpk_status cpk_linear_f32(const cpk_view_f32 *in, double lo, double hi, int clip, int invert,
                          float nodata_out, const cpk_out_f32 *out, int nthreads) {
    if (!same_size(in, out) || !isfinite(lo) || !isfinite(hi) || lo == hi) return CPK_E_ARG;
    double span = hi - lo;
    if (!isfinite(span)) return CPK_E_ARG;
    int nt = cpk_threads(nthreads);
    (void)nt;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4)
#endif
    for (int64_t j = 0; j < in->ny; ++j) {
        const float *s = in->data + j * in->stride;
        float *o = out->data + j * out->stride;
        for (int64_t i = 0; i < in->nx; ++i) {
            if (is_nodata(in, s[i])) {
                o[i] = nodata_out;
                continue;
            }
            double v = ((double)s[i] - lo) / span;
            if (clip) v = v < 0 ? 0 : v > 1 ? 1 : v;
            if (invert) v = 1.0 - v;
            o[i] = (float)v;
        }
    }
    return CPK_OK;
}

enum { OVERLAY_RUN = 1024 }; /* cells of a row at a time: their sums stay in L1 */

/* Cells i0 .. i0 + n of row j of cpk_log_saturate_f32 (n <= OVERLAY_RUN), in two passes: the
 * logarithms (calls to log1p) into l, then the divisions, clamps and nodata, free of the
 * calls' waits; the same operations on each cell as one pass, so the same bits. */
static CPK_ALSO_AVX2 void log_saturate_run(const cpk_view_f32 *in, double saturate, double den,
                                           float nodata_out, const cpk_out_f32 *out, int64_t j,
                                           int64_t i0, int64_t n, double *l) {
    const float *s = in->data + j * in->stride + i0;
    float *o = out->data + j * out->stride + i0;
    for (int64_t i = 0; i < n; ++i) {
        double x = s[i] > 0 ? (double)s[i] : 0.0;
        l[i] = x < saturate ? log1p(x) : 0.0;
    }
    for (int64_t i = 0; i < n; ++i) {
        double x = s[i] > 0 ? (double)s[i] : 0.0;
        double v = x >= saturate ? 1.0 : l[i] / den;
        float f = (float)(v > 1 ? 1 : v);
        o[i] = is_nodata(in, s[i]) ? nodata_out : f;
    }
}

cpk_status cpk_log_saturate_f32(const cpk_view_f32 *in, double saturate, float nodata_out,
                                const cpk_out_f32 *out, int nthreads) {
    if (!same_size(in, out) || !(saturate > 0) || !isfinite(saturate)) return CPK_E_ARG;
    double den = log1p(saturate);
    int nt = cpk_threads(nthreads);
    (void)nt;
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(| : failed)
#endif
    {
        double *l = malloc(sizeof *l * OVERLAY_RUN);
        failed = !l;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
        for (int64_t j = 0; j < in->ny; ++j)
            for (int64_t i0 = 0; i0 < in->nx && !failed; i0 += OVERLAY_RUN)
                log_saturate_run(in, saturate, den, nodata_out, out, j, i0,
                                 in->nx - i0 < OVERLAY_RUN ? in->nx - i0 : OVERLAY_RUN, l);
        free(l);
    }
    return failed ? CPK_E_NOMEM : CPK_OK;
}

cpk_status cpk_decay_exp_f32(const cpk_view_f32 *in, double decay, float nodata_out,
                             const cpk_out_f32 *out, int nthreads) {
    if (!same_size(in, out) || !(decay > 0) || isnan(decay)) return CPK_E_ARG;
    int nt = cpk_threads(nthreads);
    (void)nt;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4)
#endif
    for (int64_t j = 0; j < in->ny; ++j) {
        const float *s = in->data + j * in->stride;
        float *o = out->data + j * out->stride;
        for (int64_t i = 0; i < in->nx; ++i) {
            if (is_nodata(in, s[i])) {
                o[i] = nodata_out;
                continue;
            }
            double x = s[i] > 0 ? (double)s[i] : 0.0;
            o[i] = (float)exp(-x / decay);
        }
    }
    return CPK_OK;
}

/* Cells i0 .. i0 + nx of row j of the weighted overlay (nx <= OVERLAY_RUN), a layer at a time
 * over them (so that the compiler can vectorise it): the same sums as cell by cell, each
 * cell's layers added in order. A nodata layer adds w * 0 = +0 to the cell's sum instead of
 * nothing, which leaves it unchanged to the bit (the sum starts at +0 and is never -0: x + y is
 * -0 only when both are). */
static CPK_ALSO_AVX2 void overlay_run(const cpk_view_f32 *layers, const double *weights, size_t n,
                                      int64_t j, int64_t i0, int64_t nx, const cpk_view_f32 *mask,
                                      cpk_overlay_nodata mode, float nodata_out,
                                      const cpk_out_f32 *out, double *num, double *den,
                                      unsigned char *dead) {
    for (int64_t i = 0; i < nx; ++i) num[i] = 0.0, den[i] = 0.0, dead[i] = 0;
    const uint32_t zero = mode == CPK_OVERLAY_NODATA_ZERO,
                   kill = mode == CPK_OVERLAY_NODATA_PROPAGATE;
    for (size_t k = 0; k < n; ++k) {
        const float *s = layers[k].data + j * layers[k].stride + i0;
        const double w = weights[k];
        /* nodata as bits, without branches: NaN, or equal to the nodata value (either zero for
         * a nodata of zero, as float equality has it) */
        const int hn = layers[k].has_nodata && !isnan(layers[k].nodata);
        uint32_t nd, ndmask = 0xffffffffu;
        memcpy(&nd, &layers[k].nodata, sizeof nd);
        if (hn && layers[k].nodata == 0.0f) nd = 0, ndmask = 0x7fffffffu;
        const uint32_t use_nd = hn;
        for (int64_t i = 0; i < nx; ++i) {
            uint32_t b; /* the cell's bits (memcpy: no aliasing of the floats) */
            memcpy(&b, &s[i], sizeof b);
            uint32_t bad = ((b & 0x7fffffffu) > 0x7f800000u) | (use_nd & ((b & ndmask) == nd));
            uint32_t keep_b = b & (bad - 1u); /* +0 where nodata */
            float v;
            memcpy(&v, &keep_b, sizeof v);
            num[i] += w * (double)v;
            den[i] += w * (double)(1u - (bad & (1u - zero)));
            dead[i] |= (unsigned char)(bad & kill);
        }
    }
    if (mask) { /* cells outside the area of interest: nodata, NaN or 0 in the mask */
        const float *m = mask->data + j * mask->stride + i0;
        for (int64_t i = 0; i < nx; ++i)
            dead[i] |= (unsigned char)(is_nodata(mask, m[i]) || m[i] == 0.0f);
    }
    float *o = out->data + j * out->stride + i0;
    uint32_t ndo;
    memcpy(&ndo, &nodata_out, sizeof ndo);
    for (int64_t i = 0; i < nx; ++i) { /* num / den, or nodata_out: chosen by bits */
        float q = (float)(num[i] / den[i]);
        uint32_t qb, ok = 0u - (uint32_t)((dead[i] == 0) & (den[i] > 0));
        memcpy(&qb, &q, sizeof qb);
        qb = (qb & ok) | (ndo & ~ok);
        memcpy(&o[i], &qb, sizeof qb);
    }
}

cpk_status cpk_overlay_weighted_f32(const cpk_view_f32 *layers, const double *weights, size_t n,
                                    const cpk_view_f32 *mask, cpk_overlay_nodata mode,
                                    float nodata_out, const cpk_out_f32 *out, int nthreads) {
    if (!out || n == 0 || !layers || !weights) return CPK_E_ARG;
    if (mode != CPK_OVERLAY_NODATA_ZERO && mode != CPK_OVERLAY_NODATA_SKIP &&
        mode != CPK_OVERLAY_NODATA_PROPAGATE)
        return CPK_E_ARG;
    int64_t nx = out->nx, ny = layers[0].ny;
    double wsum = 0;
    for (size_t k = 0; k < n; ++k) {
        if (!(weights[k] >= 0) || !isfinite(weights[k])) return CPK_E_ARG;
        wsum += weights[k];
        if (layers[k].nx != nx || layers[k].ny != ny || !same_size(&layers[k], out))
            return CPK_E_ARG;
    }
    if (!(wsum > 0) || !isfinite(wsum)) return CPK_E_ARG;
    if (mask && (mask->nx != nx || mask->ny != ny || !same_size(mask, out))) return CPK_E_ARG;
    int nt = cpk_threads(nthreads);
    (void)nt;
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(| : failed)
#endif
    {
        /* a run's sums (the layers added in order, cell by cell) */
        double *num = malloc(sizeof *num * OVERLAY_RUN), *den = malloc(sizeof *den * OVERLAY_RUN);
        unsigned char *dead = malloc(OVERLAY_RUN);
        failed = !num || !den || !dead;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
        for (int64_t j = 0; j < ny; ++j)
            for (int64_t i0 = 0; i0 < nx && !failed; i0 += OVERLAY_RUN)
                overlay_run(layers, weights, n, j, i0,
                            nx - i0 < OVERLAY_RUN ? nx - i0 : OVERLAY_RUN, mask, mode, nodata_out,
                            out, num, den, dead);
        free(num), free(den), free(dead);
    }
    return failed ? CPK_E_NOMEM : CPK_OK;
}
