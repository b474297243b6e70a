/* Exact Euclidean distance transform (Felzenszwalb-Huttenlocher), see cpk/edt.h. */
#include "cpk/edt.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clones.h"
#include "team.h"

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

/* source_row for a Byte row: the same predicates on the value converted to float. */
static void source_row_u8(const uint8_t *s, int64_t n, const cpk_sources *src, int hn, float nd,
                          unsigned char *m) {
    /* a Byte equals the nodata value only when that value is a whole number in 0..255 */
    const int nb = hn && nd >= 0.0f && nd <= 255.0f && nd == (float)(int)nd ? (int)nd : -1;
    switch (src->kind) {
        case CPK_SOURCE_NONZERO:
            if (nb < 0) { /* byte-wide compares only, so that the loops vectorise */
                for (int64_t i = 0; i < n; ++i) m[i] = (unsigned char)(s[i] != 0);
            } else {
                const uint8_t b = (uint8_t)nb;
                for (int64_t i = 0; i < n; ++i) m[i] = (unsigned char)((s[i] != 0) & (s[i] != b));
            }
            return;
        case CPK_SOURCE_AT_LEAST: {
            const float lo = src->min;
            for (int64_t i = 0; i < n; ++i)
                m[i] = (unsigned char)(((float)s[i] >= lo) & (s[i] != nb));
            return;
        }
        case CPK_SOURCE_VALUES:
            for (int64_t i = 0; i < n; ++i) {
                float v = (float)s[i];
                unsigned char hit = 0;
                for (size_t k = 0; k < src->nvalues; ++k)
                    hit |= (unsigned char)(v == src->values[k]);
                m[i] = (unsigned char)(hit & (s[i] != nb));
            }
            return;
    }
}

/* ---- column pass ------------------------------------------------------------------ */

/* One step of a column sweep over view row `s` for columns [c0, c1): run = 0 on a source,
 * else run + 1, +Inf once above fcap (it can only grow until the next source, so capping
 * early changes nothing). */
static void col_step(const cpk_view_f32 *in, const cpk_sources *src, const float *s, int64_t w,
                     float fcap, float *run, unsigned char *m) {
    source_row(in, src, s, w, m);
    const float finf = INFINITY;
    for (int64_t i = 0; i < w; ++i) {
        float g = run[i] + 1.0f;
        g = g > fcap ? finf : g;
        run[i] = m[i] ? 0.0f : g;
    }
}

/* Merge step of the second sweep over a row of g produced by the first (0 marks a source). */
static void merge_step(float *o, int64_t w, float fcap, float *run) {
    const float finf = INFINITY;
    for (int64_t i = 0; i < w; ++i) {
        float g = run[i] + 1.0f;
        g = g > fcap ? finf : g;
        g = o[i] == 0.0f ? 0.0f : g;
        run[i] = g;
        o[i] = g < o[i] ? g : o[i];
    }
}

static float gcap_float(double dy, double max_dist, int64_t limit) {
    int64_t gcap = isfinite(max_dist) ? cpk_edt_halo(dy, max_dist) : limit;
    if (gcap < 0 || gcap > limit) gcap = limit;
    return (float)gcap;
}

/* ---- row pass ----------------------------------------------------------------------- */

/* Per-thread scratch of the row pass, in 8-byte words per column. */
#define ROW_SCRATCH 5

/* The column passes hand out blocks of columns (each column's pass is independent of the
 * others'), several per thread, so that a thread slowed by something outside the team (the
 * writer thread, another process) leaves its later blocks to the others. A multiple of 64
 * columns (a cache line of masks) but for the last, at most nx; the same bits for any width. */
static int64_t col_block(int64_t nx, int nt) {
    int64_t w = (nx + 8 * (int64_t)nt - 1) / (8 * (int64_t)nt);
    w = (w + 63) / 64 * 64;
    w = w < 64 ? 64 : w > 4096 ? 4096 : w;
    return w < nx ? w : nx;
}

/* o[i] = sqrt(d2[i]) rounded to float, or fill beyond max2 (vectorised: d2 >= 0). */
static void finish_row(const double *restrict d2, int64_t nx, double max2, float fill,
                       float *restrict o) {
    for (int64_t i = 0; i < nx; ++i) o[i] = (float)sqrt(d2[i]);
    if (max2 < INFINITY)
        for (int64_t i = 0; i < nx; ++i) {
            float r = o[i];
            o[i] = d2[i] > max2 ? fill : r;
        }
}

/* Cells o[0..len) at column offsets off, off + 1, ... from a parabola of height fk. On x86-64
 * with GCC, also compiled for AVX2 (4 square roots at a time: clones.h). */
CPK_ALSO_AVX2
static void seg_eval(float *restrict o, int32_t off, int32_t len, double dx, double fk, double max2,
                     float fill) {
    for (int32_t i = 0; i < len; ++i) {
        double a = (double)(off + i) * dx;
        o[i] = (float)sqrt(a * a + fk);
    }
    if (max2 < INFINITY) /* separate loop: GCC sinks the sqrt into a branch otherwise */
        for (int32_t i = 0; i < len; ++i) {
            double a = (double)(off + i) * dx;
            float r = o[i];
            o[i] = a * a + fk > max2 ? fill : r;
        }
}

/* The largest non-negative value of a row of distances (0 when none), as the largest bit
 * pattern: non-negative floats, +Inf included, order as their bits (vectorises; no NaN here). */
static float row_max(const float *row, int64_t nx) {
    int32_t m = 0;
    for (int64_t i = 0; i < nx; ++i) {
        int32_t b;
        memcpy(&b, row + i, sizeof b);
        m = b > m ? b : m;
    }
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}

/* Row pass for square cells (dx == dy) in exact integer arithmetic: the parabola of column q
 * is F_q(x) = (x - q)^2 + g_q^2 = x^2 - 2qx + h_q (cells), h_q = q^2 + g_q^2. The lower
 * envelope is built with cross-multiplied comparisons of the breakpoints (no division; with
 * nx, g < 2^20 every product stays below 2^62), the breakpoints of the m survivors are then
 * divided out once, and each cell's d^2 is the header's double expression for its parabola.
 * The cell at or just left of a breakpoint may tie in integers: it takes the smaller of the
 * two double values. In place (g and o may be the same row). Returns 0, touching nothing,
 * when a g is too large for the integer path. */
#define INT_ROW_MAX ((int64_t)1 << 20)
static int row_int(const float *g, int64_t nx, double dx, double dy, double max2, float fill,
                   float *o, int64_t *v, int64_t *hv, int64_t *tv, double *fv, int32_t *cand,
                   int64_t *bound, float *rmax) {
    /* Candidates: the columns with g^2 <= bound, gathered without branches (most columns
     * are usually above the bound: they win nowhere). g is a whole number or +Inf, so
     * g^2 <= bound is g <= floor(sqrt(bound)). */
    float gthr = FLT_MAX;
    if (*bound < INT64_MAX) {
        int64_t r = (int64_t)sqrt((double)*bound);
        while (r > 0 && r * r > *bound) --r;
        while ((r + 1) * (r + 1) <= *bound) ++r;
        if (r < ((int64_t)1 << 24)) gthr = (float)r;
    }
    int64_t nc = 0;
    for (int64_t q = 0; q < nx; ++q) {
        cand[nc] = (int32_t)q;
        nc += g[q] <= gthr;
    }
    int64_t m = 0;
    for (int64_t c = 0; c < nc; ++c) {
        int64_t q = cand[c];
        float gf = g[q];
        if (!(gf < (float)INT_ROW_MAX)) return 0;
        int64_t gi = (int64_t)gf, g2 = gi * gi;
        int64_t hq = q * q + g2;
        /* pop v[m-1] while its interval is empty: z(v[m-1], q) <= z(v[m-2], v[m-1]) */
        while (m > 1 &&
               (hq - hv[m - 1]) * (v[m - 1] - v[m - 2]) <= (hv[m - 1] - hv[m - 2]) * (q - v[m - 1]))
            --m;
        double b = (double)gf * dy;
        v[m] = q, hv[m] = hq, fv[m] = b * b;
        ++m;
    }
    if (m == 0) {
        for (int64_t i = 0; i < nx; ++i) o[i] = fill;
        *bound = INT64_MAX;
        if (rmax) *rmax = fill > 0.0f ? fill : 0.0f;
        return 1;
    }
    /* t[k]: first cell of parabola k = floor(z(v[k-1], v[k])) + 1, clamped to [0, nx] */
    tv[0] = 0;
    for (int64_t k = 1; k < m; ++k) {
        int64_t num = hv[k] - hv[k - 1], den = 2 * (v[k] - v[k - 1]);
        int64_t f = num / den;
        if (f * den > num) --f; /* floor for negative quotients */
        int64_t t = f + 1;
        tv[k] = t < 0 ? 0 : t > nx ? nx : t;
    }
    tv[m] = nx;
    int64_t prev = -1; /* last parabola that owned cells */
    int64_t fmax = 0;  /* largest squared distance of the row, in cells */
    for (int64_t k = 0; k < m; ++k) {
        int64_t lo = tv[k], hi = tv[k + 1];
        if (lo >= hi) continue;
        int64_t gk2 = hv[k] - v[k] * v[k], e0 = lo - v[k], e1 = hi - 1 - v[k];
        int64_t f0 = e0 * e0 + gk2, f1 = e1 * e1 + gk2; /* convex: largest at an end */
        fmax = f0 > fmax ? f0 : fmax;
        fmax = f1 > fmax ? f1 : fmax;
        if (max2 < INFINITY) { /* cells surely beyond max_dist get the fill directly */
            double rest = max2 - fv[k];
            int64_t r = rest > 0 ? (int64_t)(sqrt(rest) / dx) + 2 : 0;
            int64_t clo = v[k] - r > lo ? v[k] - r : lo,
                    chi = v[k] + r + 1 < hi ? v[k] + r + 1 : hi;
            if (chi < clo) chi = clo;
            for (int64_t i = lo; i < clo; ++i) o[i] = fill;
            for (int64_t i = chi; i < hi; ++i) o[i] = fill;
            if (chi > clo)
                seg_eval(o + clo, (int32_t)(clo - v[k]), (int32_t)(chi - clo), dx, fv[k], max2,
                         fill);
        } else {
            seg_eval(o + lo, (int32_t)(lo - v[k]), (int32_t)(hi - lo), dx, fv[k], max2, fill);
        }
        if (prev >= 0) { /* integer tie at the last cell of the previous segment */
            int64_t x = lo - 1, a = x - v[prev], c = x - v[k];
            if (a * a + (hv[prev] - v[prev] * v[prev]) == c * c + (hv[k] - v[k] * v[k])) {
                double da = (double)a * dx, dc = (double)c * dx;
                double d2a = da * da + fv[prev], d2c = dc * dc + fv[k];
                double d2 = d2a < d2c ? d2a : d2c;
                o[x] = d2 > max2 ? fill : (float)sqrt(d2);
            }
        }
        prev = k;
    }
    /* The row's largest value: along a segment the value falls then rises (|a| does, and
     * each rounding keeps the order), so it lies at the segment's first cell or the one before
     * its last; the last may have been lowered by the tie with the next segment. */
    if (rmax && max2 < INFINITY) {
        *rmax = row_max(o, nx);
    } else if (rmax) {
        float mx = 0.0f;
        for (int64_t k = 0; k < m; ++k) {
            int64_t lo = tv[k], hi = tv[k + 1];
            if (lo >= hi) continue;
            mx = o[lo] > mx ? o[lo] : mx;
            mx = o[hi - 1] > mx ? o[hi - 1] : mx;
            if (hi - 2 > lo) mx = o[hi - 2] > mx ? o[hi - 2] : mx;
        }
        *rmax = mx;
    }
    /* A cell of the next row is at most one cell farther from its nearest source than the
     * cell above it, so no distance of the next row exceeds (sqrt(fmax) + 1)^2: columns
     * with g^2 above that can be skipped there, whatever the thread or strip layout. */
    int64_t r = (int64_t)sqrt((double)fmax);
    while (r * r < fmax) ++r;
    *bound = (r + 1) * (r + 1);
    return 1;
}

/* Row pass for any cell shape: the lower envelope of the parabolas of the finite columns, in
 * cell units: y = (x - q)^2 + f_q / dx^2 = x^2 - 2qx + h_q, h_q = f_q / dx^2 + q^2. The
 * envelope is built with cross-multiplied comparisons, then its breakpoints are computed in
 * one pass, each cell's d^2 is evaluated segment by segment with the exact expression of the
 * header; a cell at a breakpoint also tries the neighbouring parabola (rounding may pick the
 * wrong one there). */
static void row_double(const float *g, int64_t nx, double dx, double dy, double max2, float fill,
                       float *o, int64_t *v, double *scratch) {
    const double inv_dx2 = 1.0 / (dx * dx);
    double *f = scratch;     /* f[k] = (g * dy)^2 of v[k] */
    double *z = f + nx;      /* m + 1 breakpoints */
    double *hk = z + nx + 1; /* f[k] / dx^2 + v[k]^2 */
    double *d2row = hk + nx; /* d^2 of each cell */
    int64_t m = 0;
    for (int64_t q = 0; q < nx; ++q) {
        float gq = g[q];
        if (!(gq < INFINITY)) continue;
        double b = (double)gq * dy, fq = b * b;
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
        return;
    }
    z[0] = -INFINITY;
    for (int64_t k = 1; k < m; ++k) z[k] = (hk[k] - hk[k - 1]) / (2.0 * (double)(v[k] - v[k - 1]));
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

/* Whether the exact integer row pass applies. */
static int use_int_rows(int64_t nx, double dx, double dy) {
    return dx == dy && nx < INT_ROW_MAX;
}

/* One row; *bound carries the skip threshold from the row above (INT64_MAX: none); *rmax
 * (when not NULL) gets the row's largest value >= 0. */
static void row_pass(float *row, int64_t nx, double dx, double dy, double max2, float fill,
                     int64_t *scratch, int64_t *bound, float *rmax) {
    if (use_int_rows(nx, dx, dy) &&
        row_int(row, nx, dx, dy, max2, fill, row, scratch, scratch + nx, scratch + 2 * nx,
                (double *)(scratch + 3 * nx + 1), (int32_t *)(scratch + 4 * nx + 1), bound, rmax))
        return;
    *bound = INT64_MAX;
    row_double(row, nx, dx, dy, max2, fill, row, scratch, (double *)(scratch + nx));
    if (rmax) *rmax = row_max(row, nx);
}

/* Row pass over rows 0..nrows of `base` (stride `stride`) in blocks of ROW_BLOCK rows handed
 * out dynamically (a thread that loses its core to another process does not hold the others
 * up); within a block each row uses the bound of the row above. */
#define ROW_BLOCK 64
static void rows_parallel(float *base, ptrdiff_t stride, int64_t nrows, int64_t nx, double dx,
                          double dy, double max2, float fill, int64_t *buf, size_t per_thread,
                          int nt, float *rowmax) {
    const int64_t blk = nt > 1 ? ROW_BLOCK : nrows; /* one thread: one block, one bound chain */
    int64_t nblocks = (nrows + blk - 1) / blk;
    if (nt > nblocks) nt = (int)nblocks;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (int64_t c = 0; c < nblocks; ++c) {
        int tid = cpk_tid();
        int64_t a = c * blk, b = a + blk < nrows ? a + blk : nrows;
        int64_t bound = INT64_MAX;
        for (int64_t j = a; j < b; ++j)
            row_pass(base + j * stride, nx, dx, dy, max2, fill, buf + per_thread * (size_t)tid,
                     &bound, rowmax ? rowmax + j : NULL);
    }
}

static int args_ok(const cpk_sources *src, double dx, double dy, double max_dist) {
    if (!src) return 0;
    if (src->kind != CPK_SOURCE_NONZERO && src->kind != CPK_SOURCE_AT_LEAST &&
        src->kind != CPK_SOURCE_VALUES)
        return 0;
    if (src->kind == CPK_SOURCE_VALUES && src->nvalues && !src->values) return 0;
    return dx > 0 && isfinite(dx) && dy > 0 && isfinite(dy) && max_dist >= 0;
}

static int view_ok(const cpk_view_f32 *in) {
    return in && in->nx >= 0 && in->ny >= 0 && in->stride >= in->nx && in->ny <= CPK_EDT_MAX_ROWS &&
           !(in->nx > 0 && in->ny > 0 && !in->data);
}

cpk_status cpk_edt_f32(const cpk_view_f32 *in, const cpk_sources *src, double dx, double dy,
                       double max_dist, float fill, int64_t row0, int64_t row1,
                       const cpk_out_f32 *out, int nthreads) {
    if (!in || !src || !out) return CPK_E_ARG;
    if (!view_ok(in) || !args_ok(src, dx, dy, max_dist)) return CPK_E_ARG;
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
     * the envelope (ROW_SCRATCH words per column). */
    size_t per_thread = (size_t)nx * ROW_SCRATCH + 2;
    if ((size_t)nx > SIZE_MAX / 64 / (size_t)nt) return CPK_E_NOMEM;
    int64_t *buf = malloc(sizeof(int64_t) * per_thread * (size_t)nt);
    if (!buf) return CPK_E_NOMEM;

    /* Phase 1: vertical distances g, stored as floats (exact below 2^24) in `out`. Each
     * thread sweeps its own block of columns over all rows (row-major reads). */
    const float fcap = (float)gcap;
    int64_t k_first = row0 - gcap > 0 ? row0 - gcap : 0;
    int64_t k_last = row1 - 1 + gcap < ny - 1 ? row1 - 1 + gcap : ny - 1;
    const int64_t cb = col_block(nx, nt);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        float *run = (float *)(buf + per_thread * (size_t)cpk_tid());
        unsigned char *m = (unsigned char *)(run + cb);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t c0 = 0; c0 < nx; c0 += cb) {
            int64_t w = c0 + cb < nx ? cb : nx - c0;
            for (int64_t i = 0; i < w; ++i) run[i] = INFINITY;
            for (int64_t k = k_first; k < row1; ++k) {
                col_step(in, src, in->data + k * in->stride + c0, w, fcap, run, m);
                if (k >= row0)
                    memcpy(out->data + (k - row0) * out->stride + c0, run,
                           sizeof(float) * (size_t)w);
            }
            for (int64_t i = 0; i < w; ++i) run[i] = INFINITY;
            for (int64_t k = k_last; k >= row0; --k) {
                col_step(in, src, in->data + k * in->stride + c0, w, fcap, run, m);
                if (k < row1) {
                    float *o = out->data + (k - row0) * out->stride + c0;
                    for (int64_t i = 0; i < w; ++i) o[i] = run[i] < o[i] ? run[i] : o[i];
                }
            }
        }
    }

    /* Phase 2: per row, the lower envelope of the column parabolas (parallel over rows). */
    rows_parallel(out->data, out->stride, nrows, nx, dx, dy, max2, fill, buf, per_thread, nt, NULL);
    free(buf);
    return CPK_OK;
}

/* ---- streaming interface ----------------------------------------------------------- */

cpk_status cpk_edt_sweep_f32(const cpk_view_f32 *in, const cpk_sources *src, double dy,
                             double max_dist, int upward, float *run, const cpk_out_f32 *g,
                             int nthreads) {
    if (!view_ok(in) || !run || !args_ok(src, 1, dy, max_dist)) return CPK_E_ARG;
    int64_t nx = in->nx, ny = in->ny;
    if (g && (g->nx != nx || g->ny < ny || g->stride < nx || (ny && nx && !g->data)))
        return CPK_E_ARG;
    if (ny == 0 || nx == 0) return CPK_OK;
    const float fcap = gcap_float(dy, max_dist, CPK_EDT_MAX_ROWS);
    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    const int64_t cb = col_block(nx, nt);
    unsigned char *mbuf = malloc((size_t)cb * (size_t)nt);
    if (!mbuf) return CPK_E_NOMEM;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        unsigned char *m = mbuf + (size_t)cb * (size_t)cpk_tid();
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t c0 = 0; c0 < nx; c0 += cb) {
            int64_t w = c0 + cb < nx ? cb : nx - c0;
            for (int64_t r = 0; r < ny; ++r) {
                int64_t k = upward ? ny - 1 - r : r;
                col_step(in, src, in->data + k * in->stride + c0, w, fcap, run + c0, m);
                if (g) memcpy(g->data + k * g->stride + c0, run + c0, sizeof(float) * (size_t)w);
            }
        }
    }
    free(mbuf);
    return CPK_OK;
}

cpk_status cpk_edt_merge_f32(const cpk_out_f32 *g, double dy, double max_dist, int upward,
                             float *run, int nthreads) {
    if (!g || !run || g->nx < 0 || g->ny < 0 || g->stride < g->nx) return CPK_E_ARG;
    if (!(dy > 0) || !isfinite(dy) || !(max_dist >= 0)) return CPK_E_ARG;
    int64_t nx = g->nx, ny = g->ny;
    if (ny == 0 || nx == 0) return CPK_OK;
    if (!g->data) return CPK_E_ARG;
    const float fcap = gcap_float(dy, max_dist, CPK_EDT_MAX_ROWS);
    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    const int64_t cb = col_block(nx, nt);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (int64_t c0 = 0; c0 < nx; c0 += cb) {
        int64_t w = c0 + cb < nx ? cb : nx - c0;
        for (int64_t r = 0; r < ny; ++r)
            merge_step(g->data + (upward ? ny - 1 - r : r) * g->stride + c0, w, fcap, run + c0);
    }
    return CPK_OK;
}

cpk_status cpk_edt_rows_f32(const cpk_out_f32 *g, double dx, double dy, double max_dist, float fill,
                            int nthreads) {
    return cpk_edt_rows_max_f32(g, dx, dy, max_dist, fill, NULL, nthreads);
}

cpk_status cpk_edt_rows_max_f32(const cpk_out_f32 *g, double dx, double dy, double max_dist,
                                float fill, float *rowmax, int nthreads) {
    if (!g || g->nx < 0 || g->ny < 0 || g->stride < g->nx) return CPK_E_ARG;
    if (!(dx > 0) || !isfinite(dx) || !(dy > 0) || !isfinite(dy) || !(max_dist >= 0))
        return CPK_E_ARG;
    int64_t nx = g->nx, ny = g->ny;
    if (ny == 0 || nx == 0) return CPK_OK;
    if (!g->data) return CPK_E_ARG;
    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    if ((size_t)nx > SIZE_MAX / 64 / (size_t)nt) return CPK_E_NOMEM;
    size_t per_thread = (size_t)nx * ROW_SCRATCH + 2;
    int64_t *buf = malloc(sizeof(int64_t) * per_thread * (size_t)nt);
    if (!buf) return CPK_E_NOMEM;
    double max2 = max_dist * max_dist;
    rows_parallel(g->data, g->stride, ny, nx, dx, dy, max2, fill, buf, per_thread, nt, rowmax);
    free(buf);
    return CPK_OK;
}

cpk_status cpk_edt_strip_f32(const cpk_view_f32 *in, const cpk_sources *src, double dx, double dy,
                             double max_dist, float fill, int64_t row0, int64_t row1, int warm,
                             float *down, const cpk_out_f32 *out, int nthreads) {
    if (!view_ok(in) || !down || !out || !args_ok(src, dx, dy, max_dist) || !isfinite(max_dist))
        return CPK_E_ARG;
    if (row0 < 0 || row1 < row0 || row1 > in->ny || out->nx != in->nx || out->ny != row1 - row0 ||
        out->stride < out->nx || (out->nx && out->ny && !out->data))
        return CPK_E_ARG;
    const int64_t nx = in->nx;
    if (nx == 0 || row1 == row0) return CPK_OK;
    float *up = malloc(sizeof(float) * (size_t)nx);
    if (!up) return CPK_E_NOMEM;
    cpk_status ks = CPK_OK;
    cpk_view_f32 above = *in, strip = *in, below = *in;
    above.ny = row0;
    strip.data += row0 * in->stride, strip.ny = row1 - row0;
    below.data += row1 * in->stride, below.ny = in->ny - row1;
    if (warm) { /* the run from above, from the rows above the strip */
        for (int64_t i = 0; i < nx; ++i) down[i] = INFINITY;
        ks = cpk_edt_sweep_f32(&above, src, dy, max_dist, 0, down, NULL, nthreads);
    }
    for (int64_t i = 0; i < nx; ++i) up[i] = INFINITY;
    if (!ks) ks = cpk_edt_sweep_f32(&strip, src, dy, max_dist, 0, down, out, nthreads);
    if (!ks) ks = cpk_edt_sweep_f32(&below, src, dy, max_dist, 1, up, NULL, nthreads);
    if (!ks) ks = cpk_edt_merge_f32(out, dy, max_dist, 1, up, nthreads);
    if (!ks) ks = cpk_edt_rows_f32(out, dx, dy, max_dist, fill, nthreads);
    free(up);
    return ks;
}

/* ---- source-list interface ---------------------------------------------------------- */

/* Either a Float32 view `in` or a Byte strip `u8` (then nx, ny, stride, has_nodata, nodata). */
static cpk_status list_sources(const cpk_view_f32 *in, const uint8_t *u8, int64_t nx, int64_t ny,
                               ptrdiff_t stride, int has_nodata, float nodata,
                               const cpk_sources *src, int64_t grid_row0, int64_t *cells,
                               size_t cap, size_t *count, int nthreads) {
    if (nx == 0 || ny == 0) return CPK_OK;
    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    if ((int64_t)nt > ny) nt = (int)ny;
    if ((size_t)nx > SIZE_MAX / (size_t)ny) return CPK_E_NOMEM;
    size_t *per_row = malloc(sizeof(size_t) * ((size_t)ny + 1));
    unsigned char *mask = malloc((size_t)nx * (size_t)ny + 8); /* the strip's, kept */
    if (!per_row || !mask) {
        free(per_row);
        free(mask);
        return CPK_E_NOMEM;
    }
    /* Pass 0 marks and counts the sources of each row; pass 1 (when they fit) writes each
     * row's cells at its offset, skipping the mask 8 bytes at a time (sources are usually
     * sparse). Rows without a source are not looked at again. */
    for (int pass = 0; pass < 2; ++pass) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 16)
#endif
        for (int64_t k = 0; k < ny; ++k) {
            if (pass == 1 && per_row[k + 1] == per_row[k]) continue;
            unsigned char *m = mask + (size_t)nx * (size_t)k;
            if (pass == 0) {
                if (in)
                    source_row(in, src, in->data + k * in->stride, nx, m);
                else
                    source_row_u8(u8 + k * stride, nx, src, has_nodata, nodata, m);
                size_t c = 0;
                for (int64_t i = 0; i < nx; ++i) c += m[i];
                per_row[k + 1] = c;
                continue;
            }
            int64_t *o = cells + per_row[k], base = (grid_row0 + k) * nx, i = 0;
            for (; i + 8 <= nx; i += 8) {
                uint64_t w;
                memcpy(&w, m + i, 8);
                if (!w) continue;
                for (int64_t e = i; e < i + 8; ++e)
                    if (m[e]) *o++ = base + e;
            }
            for (; i < nx; ++i)
                if (m[i]) *o++ = base + i;
        }
        if (pass == 0) {
            per_row[0] = *count;
            for (int64_t k = 0; k < ny; ++k) per_row[k + 1] += per_row[k];
            if (per_row[ny] > cap) {
                *count = per_row[ny];
                free(per_row);
                free(mask);
                return CPK_E_NOMEM;
            }
            if (per_row[ny] == *count) break; /* no source in this strip */
        }
    }
    *count = per_row[ny];
    free(per_row);
    free(mask);
    return CPK_OK;
}

cpk_status cpk_edt_index_sources(const int64_t *cells, size_t n, int64_t nx, int64_t *col_start,
                                 int32_t *rows) {
    if (nx < 1 || !col_start || (n && (!cells || !rows))) return CPK_E_ARG;
    for (int64_t i = 0; i <= nx; ++i) col_start[i] = 0;
    for (size_t k = 0; k < n; ++k) {
        if (cells[k] < 0 || cells[k] / nx >= CPK_EDT_MAX_ROWS) return CPK_E_ARG;
        col_start[cells[k] % nx + 1]++;
    }
    for (int64_t i = 0; i < nx; ++i) col_start[i + 1] += col_start[i];
    /* stable counting sort: rows stay ascending within a column; col_start[i] is used as the
     * fill position of column i and restored afterwards */
    for (size_t k = 0; k < n; ++k) rows[col_start[cells[k] % nx]++] = (int32_t)(cells[k] / nx);
    for (int64_t i = nx; i > 0; --i) col_start[i] = col_start[i - 1];
    col_start[0] = 0;
    return CPK_OK;
}

/* Column distances of grid rows row0 .. row0 + g->ny from a row-major list of sources and its
 * index by column; `state` as cpk_edt_cols_from_sources_f32's, already started. */
static void cols_from_list(const int64_t *cells, size_t n, const int64_t *col_start,
                           const int32_t *rows, float fcap, int64_t row0, const cpk_out_f32 *g,
                           int64_t *state, int nthreads) {
    int64_t nx = g->nx, ny = g->ny;
    /* state: cursor (first source of the column at or below the current row), as floats the
     * row of the source above (-Inf: none) and below (+Inf: none), and the position in the
     * row-major list of the first source not yet passed */
    int64_t *cur = state;
    float *up = (float *)(state + nx), *dn = up + nx;
    int64_t *pos = state + 2 * nx;
    const int64_t p0 = *pos;
    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    const int64_t cb = col_block(nx, nt);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (int64_t c0 = 0; c0 < nx; c0 += cb) {
        int64_t c1 = c0 + cb < nx ? c0 + cb : nx;
        int64_t p = p0;
        for (int64_t r = 0; r < ny; ++r) {
            const int64_t j = row0 + r;
            /* the sources of row j - 1 are passed: each becomes the one above its column */
            for (; p < (int64_t)n && cells[p] < j * nx; ++p) {
                int64_t i = cells[p] % nx;
                if (i < c0 || i >= c1) continue;
                int64_t c = ++cur[i];
                up[i] = (float)(cells[p] / nx);
                dn[i] = c < col_start[i + 1] ? (float)rows[c] : INFINITY;
            }
            const float fj = (float)j;
            float *o = g->data + r * g->stride;
            for (int64_t i = c0; i < c1; ++i) {
                float a = fj - up[i], b = dn[i] - fj;
                float d = a < b ? a : b;
                o[i] = d > fcap ? INFINITY : d;
            }
        }
    }
    int64_t p = p0, end = (row0 + ny - 1) * nx;
    while (p < (int64_t)n && cells[p] < end) ++p;
    *pos = p;
}

/* Starts `state` at the top of a list: each column's cursor at its first source, `up[i]`
 * (NULL: none above) the row of the source above. */
static void cols_start(const int64_t *col_start, const int32_t *rows, int64_t nx, const float *up,
                       int64_t *state) {
    int64_t *cur = state;
    float *u = (float *)(state + nx), *dn = u + nx;
    for (int64_t i = 0; i < nx; ++i) {
        cur[i] = col_start[i];
        u[i] = up ? up[i] : -INFINITY;
        dn[i] = cur[i] < col_start[i + 1] ? (float)rows[cur[i]] : INFINITY;
    }
    state[2 * nx] = 0;
}

static int cols_args_ok(size_t n, const int64_t *cells, const int64_t *col_start,
                        const int32_t *rows, double dy, double max_dist, int64_t row0,
                        const cpk_out_f32 *g) {
    if (!col_start || !g || g->nx < 1 || g->ny < 0 || g->stride < g->nx || row0 < 0) return 0;
    if (!(dy > 0) || !isfinite(dy) || !(max_dist >= 0)) return 0;
    if (g->ny > 0 && (!g->data || row0 + g->ny > CPK_EDT_MAX_ROWS)) return 0;
    if (n > 0 && (!rows || !cells)) return 0;
    return col_start[g->nx] == (int64_t)n;
}

cpk_status cpk_edt_cols_from_sources_f32(const int64_t *cells, size_t n, const int64_t *col_start,
                                         const int32_t *rows, double dy, double max_dist,
                                         int64_t row0, const cpk_out_f32 *g, int64_t *state,
                                         int nthreads) {
    if (!state || !cols_args_ok(n, cells, col_start, rows, dy, max_dist, row0, g)) return CPK_E_ARG;
    if (g->ny == 0) return CPK_OK;
    if (row0 == 0) cols_start(col_start, rows, g->nx, NULL, state);
    cols_from_list(cells, n, col_start, rows, gcap_float(dy, max_dist, CPK_EDT_MAX_ROWS), row0, g,
                   state, nthreads);
    return CPK_OK;
}

cpk_status cpk_edt_cols_window_f32(const int64_t *cells, size_t n, const int64_t *col_start,
                                   const int32_t *rows, const float *up, double dy, double max_dist,
                                   int64_t row0, const cpk_out_f32 *g, int nthreads) {
    if (!up || !cols_args_ok(n, cells, col_start, rows, dy, max_dist, row0, g)) return CPK_E_ARG;
    if (n > 0 && cells[0] < row0 * g->nx) return CPK_E_ARG; /* a source above row0 */
    if (g->ny == 0) return CPK_OK;
    const int64_t nx = g->nx;
    if ((size_t)nx > SIZE_MAX / 16 / sizeof(int64_t)) return CPK_E_NOMEM;
    int64_t *state = malloc(sizeof(int64_t) * (3 * (size_t)nx + 1));
    if (!state) return CPK_E_NOMEM;
    cols_start(col_start, rows, nx, up, state);
    cols_from_list(cells, n, col_start, rows, gcap_float(dy, max_dist, CPK_EDT_MAX_ROWS), row0, g,
                   state, nthreads);
    free(state);
    return CPK_OK;
}

size_t cpk_edt_up_advance(const int64_t *cells, size_t n, int64_t nx, int64_t row1, float *up) {
    size_t k = 0;
    for (; k < n && cells[k] < row1 * nx; ++k) up[cells[k] % nx] = (float)(cells[k] / nx);
    return k;
}

float cpk_edt_reach_f32(double dy, int64_t k) {
    double b = (double)k * dy;
    return (float)sqrt(b * b);
}

/* The fewest rows k with cpk_edt_reach_f32(dy, k) >= v (INT64_MAX: none, v is +Inf). */
static int64_t reach_rows(double dy, float v) {
    if (!(v < INFINITY)) return INT64_MAX;
    double q = ceil((double)v / dy);
    if (q > 1e15) return INT64_MAX;
    int64_t k = q > 0 ? (int64_t)q : 0;
    while (k > 0 && cpk_edt_reach_f32(dy, k - 1) >= v) --k;
    while (cpk_edt_reach_f32(dy, k) < v) ++k;
    return k;
}

int64_t cpk_edt_final_rows(const float *rowmax, int64_t nrows, int64_t row0, int64_t known,
                           double dy, int64_t *need, int64_t *reach) {
    int64_t final = 0, all = 0, far = 0;
    int leading = 1;
    for (int64_t r = 0; r < nrows; ++r) {
        const int64_t j = row0 + r, k = reach_rows(dy, rowmax[r]);
        const int64_t at = k == INT64_MAX || j > INT64_MAX - k ? INT64_MAX : j + k;
        leading = leading && at <= known;
        final += leading;
        all = at > all ? at : all;
        far = k > far ? k : far;
    }
    if (need) *need = all;
    if (reach) *reach = far;
    return final;
}

cpk_status cpk_edt_list_sources_f32(const cpk_view_f32 *in, const cpk_sources *src,
                                    int64_t grid_row0, int64_t *cells, size_t cap, size_t *count,
                                    int nthreads) {
    if (!view_ok(in) || !args_ok(src, 1, 1, 0) || !count || grid_row0 < 0) return CPK_E_ARG;
    if (cap > 0 && !cells) return CPK_E_ARG;
    return list_sources(in, NULL, in->nx, in->ny, in->stride, 0, 0, src, grid_row0, cells, cap,
                        count, nthreads);
}

cpk_status cpk_edt_list_sources_u8(const uint8_t *data, int64_t nx, int64_t ny, ptrdiff_t stride,
                                   int has_nodata, float nodata, const cpk_sources *src,
                                   int64_t grid_row0, int64_t *cells, size_t cap, size_t *count,
                                   int nthreads) {
    if (nx < 0 || ny < 0 || stride < nx || (nx > 0 && ny > 0 && !data)) return CPK_E_ARG;
    if (!args_ok(src, 1, 1, 0) || !count || grid_row0 < 0) return CPK_E_ARG;
    if (cap > 0 && !cells) return CPK_E_ARG;
    return list_sources(NULL, data, nx, ny, stride, has_nodata, nodata, src, grid_row0, cells, cap,
                        count, nthreads);
}
