/* Exact Euclidean distance transform (Felzenszwalb-Huttenlocher), see cpk/edt.h. */
#include "cpk/edt.h"

#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int64_t cpk_edt_halo(double dy, double max_dist) {
    if (!(dy > 0) || !isfinite(dy) || !(max_dist >= 0) || !isfinite(max_dist)) return -1;
    double q = floor(max_dist / dy);
    if (q > 1e15) return -1;
    int64_t h = (int64_t)q;
    double m2 = max_dist * max_dist;
    while (h > 0 && !((double)h * dy * ((double)h * dy) <= m2)) --h;
    while ((double)(h + 1) * dy * ((double)(h + 1) * dy) <= m2) ++h;
    return h;
}

static inline int is_source(const cpk_view_f32 *in, const cpk_sources *src, float v) {
    if (isnan(v) || (in->has_nodata && v == in->nodata)) return 0;
    switch (src->kind) {
        case CPK_SOURCE_NONZERO:
            return v != 0.0f;
        case CPK_SOURCE_AT_LEAST:
            return v >= src->min;
        case CPK_SOURCE_VALUES:
            for (size_t k = 0; k < src->nvalues; ++k)
                if (v == src->values[k]) return 1;
            return 0;
    }
    return 0;
}

cpk_status cpk_edt_f32(const cpk_view_f32 *in, const cpk_sources *src, double dx, double dy,
                       double max_dist, float fill, int64_t row0, int64_t row1,
                       const cpk_out_f32 *out, int nthreads) {
    if (!in || !src || !out) return CPK_E_ARG;
    if (in->nx < 0 || in->ny < 0 || in->stride < in->nx || in->ny > CPK_EDT_MAX_ROWS)
        return CPK_E_ARG;
    if (in->nx > 0 && in->ny > 0 && !in->data) return CPK_E_ARG;
    if (src->kind != CPK_SOURCE_NONZERO && src->kind != CPK_SOURCE_AT_LEAST &&
        src->kind != CPK_SOURCE_VALUES)
        return CPK_E_ARG;
    if (src->kind == CPK_SOURCE_VALUES && src->nvalues && !src->values) return CPK_E_ARG;
    if (!(dx > 0) || !isfinite(dx) || !(dy > 0) || !isfinite(dy) || !(max_dist >= 0))
        return CPK_E_ARG;
    if (row0 < 0 || row1 < row0 || row1 > in->ny) return CPK_E_ARG;
    int64_t nrows = row1 - row0, nx = in->nx, ny = in->ny;
    if (out->nx != nx || out->ny < nrows || out->stride < nx || (nrows && nx && !out->data))
        return CPK_E_ARG;
    if (nrows == 0 || nx == 0) return CPK_OK;

    /* Column distances beyond gcap rows can never give d <= max_dist. */
    int64_t gcap = isfinite(max_dist) ? cpk_edt_halo(dy, max_dist) : ny;
    if (gcap < 0 || gcap > ny) gcap = ny;
    double max2 = max_dist * max_dist;

    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    /* Scratch: per column the last/next source row (phase 1); per thread the envelope
     * (phase 2): positions v, boundaries z (m + 1), column distances squared f. */
    size_t per_thread = (size_t)nx * 3 + 1;
    if ((size_t)nx > SIZE_MAX / 64 / (size_t)nt) return CPK_E_NOMEM;
    int64_t *mark = malloc(sizeof(int64_t) * (size_t)nx);
    int64_t *vbuf = malloc(sizeof(int64_t) * (size_t)nx * (size_t)nt);
    double *dbuf = malloc(sizeof(double) * per_thread * (size_t)nt);
    if (!mark || !vbuf || !dbuf) {
        free(mark);
        free(vbuf);
        free(dbuf);
        return CPK_E_NOMEM;
    }
    const float finf = INFINITY;

    /* Phase 1: vertical distances, stored as floats (exact below 2^24) in `out`. Each thread
     * sweeps its own block of columns over all rows, so memory is read row-major. */
    int64_t k_first = row0 - gcap > 0 ? row0 - gcap : 0;
    int64_t k_last = row1 - 1 + gcap < ny - 1 ? row1 - 1 + gcap : ny - 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid = 0, tn = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        tn = omp_get_num_threads();
#endif
        int64_t c0 = nx * tid / tn, c1 = nx * (tid + 1) / tn;
        for (int64_t i = c0; i < c1; ++i) mark[i] = -1;
        for (int64_t k = k_first; k < row1; ++k) {
            const float *s = in->data + k * in->stride;
            float *o = k >= row0 ? out->data + (k - row0) * out->stride : NULL;
            for (int64_t i = c0; i < c1; ++i) {
                if (is_source(in, src, s[i])) mark[i] = k;
                if (o) {
                    int64_t g = mark[i] >= 0 ? k - mark[i] : gcap + 1;
                    o[i] = g <= gcap ? (float)g : finf;
                }
            }
        }
        for (int64_t i = c0; i < c1; ++i) mark[i] = -1;
        for (int64_t k = k_last; k >= row0; --k) {
            const float *s = in->data + k * in->stride;
            float *o = k < row1 ? out->data + (k - row0) * out->stride : NULL;
            for (int64_t i = c0; i < c1; ++i) {
                if (is_source(in, src, s[i])) mark[i] = k;
                if (o && mark[i] >= 0) {
                    int64_t g = mark[i] - k;
                    if (g <= gcap && (float)g < o[i]) o[i] = (float)g;
                }
            }
        }
    }

    /* Phase 2: per row, the lower envelope of the parabolas of the finite columns. */
    double dx2 = dx * dx;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int64_t j = 0; j < nrows; ++j) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        int64_t *v = vbuf + (size_t)nx * (size_t)tid;
        double *f = dbuf + per_thread * (size_t)tid; /* f[q] = (g_q * dy)^2 */
        double *z = f + nx;                          /* m + 1 boundaries */
        float *o = out->data + j * out->stride;
        int64_t m = 0;
        for (int64_t q = 0; q < nx; ++q) {
            if (!isfinite(o[q])) continue;
            double b = (double)o[q] * dy;
            f[q] = b * b;
            if (m == 0) {
                v[0] = q;
                z[0] = -INFINITY;
                z[1] = INFINITY;
                m = 1;
                continue;
            }
            double s;
            for (;;) {
                int64_t p = v[m - 1];
                s = ((f[q] - f[p]) / dx2 + ((double)q * (double)q - (double)p * (double)p)) /
                    (2.0 * (double)(q - p));
                if (s <= z[m - 1] && m > 1)
                    --m;
                else
                    break;
            }
            if (m == 1 && s <= z[0]) {
                v[0] = q; /* cannot happen with z[0] = -inf, kept for safety */
                continue;
            }
            v[m] = q;
            z[m] = s;
            z[m + 1] = INFINITY;
            ++m;
        }
        if (m == 0) {
            for (int64_t i = 0; i < nx; ++i) o[i] = fill;
            continue;
        }
        int64_t k = 0;
        for (int64_t i = 0; i < nx; ++i) {
            while (k + 1 < m && z[k + 1] < (double)i) ++k;
            double a = (double)(i - v[k]) * dx;
            double d2 = a * a + f[v[k]];
            if (k + 1 < m) { /* near a boundary, rounding may favour the wrong parabola */
                double a1 = (double)(i - v[k + 1]) * dx;
                double d21 = a1 * a1 + f[v[k + 1]];
                if (d21 < d2) d2 = d21;
            }
            o[i] = d2 <= max2 ? (float)sqrt(d2) : fill;
        }
    }
    free(mark);
    free(vbuf);
    free(dbuf);
    return CPK_OK;
}
