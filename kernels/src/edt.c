/* Exact Euclidean distance transform (Felzenszwalb-Huttenlocher), see cpk/edt.h. */
#include "cpk/edt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Marks the sources of one row segment: m[i] = 1 for a source, 0 otherwise. The kind is
 * dispatched once per segment so that the loops vectorise. */
static void source_row(const cpk_view_f32 *in, const cpk_sources *src, const float *s, int64_t n,
                       unsigned char *m) {
    const float nd = in->nodata;
    const int hn = in->has_nodata != 0;
    switch (src->kind) {
        case CPK_SOURCE_NONZERO:
            for (int64_t i = 0; i < n; ++i) {
                float v = s[i];
                m[i] = (unsigned char)((v != 0.0f) & (v == v) & !(hn & (v == nd)));
            }
            return;
        case CPK_SOURCE_AT_LEAST: {
            const float lo = src->min;
            for (int64_t i = 0; i < n; ++i) {
                float v = s[i];
                m[i] = (unsigned char)((v >= lo) & !(hn & (v == nd)));
            }
            return;
        }
        case CPK_SOURCE_VALUES:
            for (int64_t i = 0; i < n; ++i) {
                float v = s[i];
                unsigned char hit = 0;
                for (size_t k = 0; k < src->nvalues; ++k)
                    hit |= (unsigned char)(v == src->values[k]);
                m[i] = (unsigned char)(hit & (v == v) & !(hn & (v == nd)));
            }
            return;
    }
}

/* o[i] = sqrt(d2[i]) rounded to float, or fill beyond max2. d2 >= 0, so errno never matters
 * and GCC may vectorise the square roots. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-math-errno")))
#endif
static void
finish_row(const double *d2, int64_t nx, double max2, float fill, float *o) {
    for (int64_t i = 0; i < nx; ++i) o[i] = d2[i] <= max2 ? (float)sqrt(d2[i]) : fill;
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
    /* Per-thread scratch: phase 1 a running row and a source mask of its columns; phase 2
     * the envelope: positions v, squared column distances f, breakpoints z, offsets hk. */
    size_t per_thread = (size_t)nx * 4 + 2;
    if ((size_t)nx > SIZE_MAX / 64 / (size_t)nt) return CPK_E_NOMEM;
    int64_t *vbuf = malloc(sizeof(int64_t) * (size_t)nx * (size_t)nt);
    double *dbuf = malloc(sizeof(double) * per_thread * (size_t)nt);
    if (!vbuf || !dbuf) {
        free(vbuf);
        free(dbuf);
        return CPK_E_NOMEM;
    }
    const float finf = INFINITY;

    /* Phase 1: vertical distances g, stored as floats (exact below 2^24) in `out`. Each
     * thread sweeps its own block of columns over all rows (row-major reads), carrying the
     * running distance per column: g = 0 on a source, else g + 1, and +Inf once g > gcap
     * (it can only grow until the next source, so capping early changes nothing). */
    const float fcap = (float)gcap;
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
        int64_t c0 = nx * tid / tn, c1 = nx * (tid + 1) / tn, w = c1 - c0;
        float *run = (float *)(dbuf + per_thread * (size_t)tid);
        unsigned char *m = (unsigned char *)(run + w);
        for (int64_t i = 0; i < w; ++i) run[i] = finf;
        for (int64_t k = k_first; k < row1; ++k) {
            source_row(in, src, in->data + k * in->stride + c0, w, m);
            for (int64_t i = 0; i < w; ++i) {
                float g = run[i] + 1.0f;
                g = g > fcap ? finf : g;
                run[i] = m[i] ? 0.0f : g;
            }
            if (k >= row0)
                memcpy(out->data + (k - row0) * out->stride + c0, run, sizeof(float) * (size_t)w);
        }
        for (int64_t i = 0; i < w; ++i) run[i] = finf;
        for (int64_t k = k_last; k >= row0; --k) {
            source_row(in, src, in->data + k * in->stride + c0, w, m);
            for (int64_t i = 0; i < w; ++i) {
                float g = run[i] + 1.0f;
                g = g > fcap ? finf : g;
                run[i] = m[i] ? 0.0f : g;
            }
            if (k < row1) {
                float *o = out->data + (k - row0) * out->stride + c0;
                for (int64_t i = 0; i < w; ++i) o[i] = run[i] < o[i] ? run[i] : o[i];
            }
        }
    }

    /* Phase 2: per row, the lower envelope of the parabolas of the finite columns, in cell
     * units: y = (x - q)^2 + f_q / dx^2 = x^2 - 2qx + h_q, h_q = f_q / dx^2 + q^2.
     * The envelope is built with cross-multiplied comparisons (no division on the critical
     * path), then its breakpoints are computed in one pass, each cell's d^2 is evaluated
     * segment by segment with the exact expression of the header; a cell at a breakpoint also
     * tries the neighbouring parabola (rounding may pick the wrong one there). */
    const double inv_dx2 = 1.0 / (dx * dx);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int64_t j = 0; j < nrows; ++j) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        int64_t *v = vbuf + (size_t)nx * (size_t)tid;
        double *f = dbuf + per_thread * (size_t)tid; /* f[k] = (g * dy)^2 of v[k] */
        double *z = f + nx;                          /* m + 1 breakpoints */
        double *hk = z + nx + 1;                     /* f[k] / dx^2 + v[k]^2 */
        double *d2row = hk + nx;                     /* d^2 of each cell */
        float *o = out->data + j * out->stride;
        int64_t m = 0;
        for (int64_t q = 0; q < nx; ++q) {
            float g = o[q];
            if (!(g < INFINITY)) continue;
            double b = (double)g * dy, fq = b * b;
            double hq = fq * inv_dx2 + (double)q * (double)q;
            /* pop v[m-1] while s(v[m-1], q) <= s(v[m-2], v[m-1]) */
            while (m > 1 && (hq - hk[m - 1]) * (double)(v[m - 1] - v[m - 2]) <=
                                (hk[m - 1] - hk[m - 2]) * (double)(q - v[m - 1]))
                --m;
            v[m] = q;
            f[m] = fq;
            hk[m] = hq;
            ++m;
        }
        if (m == 0) {
            for (int64_t i = 0; i < nx; ++i) o[i] = fill;
            continue;
        }
        z[0] = -INFINITY;
        for (int64_t k = 1; k < m; ++k)
            z[k] = (hk[k] - hk[k - 1]) / (2.0 * (double)(v[k] - v[k - 1]));
        for (int64_t k = 1; k < m; ++k)
            if (z[k] < z[k - 1]) z[k] = z[k - 1];
        z[m] = INFINITY;
        /* segment k covers the cells i with z[k] < i <= z[k+1] */
        for (int64_t k = 0; k < m; ++k) {
            double zl = z[k], zh = z[k + 1];
            /* first cell > zl, last cell <= zh (casts truncate: only used on values >= 0) */
            int64_t lo = zl < 0 ? 0 : zl >= (double)nx ? nx : (int64_t)zl + 1;
            int64_t hi = zh >= (double)(nx - 1) ? nx - 1 : zh < 0 ? -1 : (int64_t)zh;
            const double vk = (double)v[k], fk = f[k];
            for (int64_t i = lo; i <= hi; ++i) {
                double a = ((double)i - vk) * dx;
                d2row[i] = a * a + fk;
            }
        }
        /* Rounding can only mislead near a breakpoint: a cell within a small tolerance of
         * one also tries the parabola on the other side. */
        for (int64_t k = 1; k < m; ++k) {
            double zk = z[k];
            if (!(zk > -0.5 && zk < (double)nx - 0.5)) continue;
            double r = (double)(int64_t)(zk + 0.5); /* nearest cell */
            if (!(fabs(zk - r) <= 1e-6 * (1.0 + zk))) continue;
            int64_t i = (int64_t)r;
            for (int64_t c = k - 1; c <= k; ++c) {
                double a = ((double)i - (double)v[c]) * dx;
                double d2 = a * a + f[c];
                if (d2 < d2row[i]) d2row[i] = d2;
            }
        }
        finish_row(d2row, nx, max2, fill, o);
    }
    free(vbuf);
    free(dbuf);
    return CPK_OK;
}
