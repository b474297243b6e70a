/* Disk focal sums by row chords over prefix sums (see cpk/focal.h). */
#include "cpk/focal.h"

#include <math.h>
#include <stdlib.h>

#include "clones.h"
#include "steal.h"
#include "team.h"

/* Output rows and columns summed at a time: the prefix rows one such block reads (about
 * 2 x halo + FOCAL_ROWS rows of FOCAL_COLS + 2 x halo cells) fit in a core's L2 cache. */
#define FOCAL_ROWS 16
#define FOCAL_COLS 256

/* The disk predicate; tests use exactly the same expression. */
static int in_disk(int64_t di, int64_t dj, double dx, double dy, double r) {
    double a = (double)di * dx, b = (double)dj * dy;
    return a * a + b * b <= r * r;
}

int64_t cpk_focal_disk_halo(double dy, double radius_m) {
    if (!(dy > 0) || !(radius_m >= 0) || !isfinite(radius_m) || !isfinite(dy)) return -1;
    double q = floor(radius_m / dy);
    if (q > 1e15) return -1;
    int64_t h = (int64_t)q;
    while (h > 0 && !in_disk(0, h, 1, dy, radius_m)) --h;
    while (in_disk(0, h + 1, 1, dy, radius_m)) ++h;
    return h;
}

static int view_ok(const cpk_view_f32 *v) {
    return v && v->nx >= 0 && v->ny >= 0 && (v->ny == 0 || v->nx == 0 || v->data) &&
           v->stride >= v->nx;
}

static inline double cell_value(const cpk_view_f32 *v, float x) {
    if (!isfinite(x) || (v->has_nodata && x == v->nodata)) return 0.0;
    return (double)x;
}

/* Output row j over columns [c0, c1) where every chord lies inside the row: the sums of
 * chords added four at a time, in the order of the general loop (row offsets -rh .. rh, rows
 * outside the view skipped), so the result is the same to the bit. chord/width: room for
 * 2 rh + 1 row pointers and half-widths; sum: c1 - c0 doubles. Also compiled for AVX2 (four
 * columns at a time instead of two: clones.h). */
CPK_ALSO_AVX2
static void interior_sums(const double *ring, size_t rowlen, int64_t win, const int64_t *hw,
                          int64_t j, int64_t rh, int64_t ny, int64_t c0, int64_t c1,
                          const double **chord, int64_t *width, double *sum, float *dst) {
    int64_t n = 0;
    for (int64_t dj = -rh; dj <= rh; ++dj) {
        int64_t k = j + dj;
        if (k < 0 || k >= ny) continue;
        chord[n] = ring + (size_t)(k % win) * rowlen;
        width[n++] = hw[dj < 0 ? -dj : dj];
    }
    int64_t q = 0, w = c1 - c0;
    for (int64_t i = 0; i < w; ++i) sum[i] = 0.0;
    for (; q + 4 <= n; q += 4) { /* four chords a pass: a quarter of the sums' traffic */
        const double *h0 = chord[q] + c0 + width[q] + 1, *l0 = chord[q] + c0 - width[q];
        const double *h1 = chord[q + 1] + c0 + width[q + 1] + 1;
        const double *l1 = chord[q + 1] + c0 - width[q + 1];
        const double *h2 = chord[q + 2] + c0 + width[q + 2] + 1;
        const double *l2 = chord[q + 2] + c0 - width[q + 2];
        const double *h3 = chord[q + 3] + c0 + width[q + 3] + 1;
        const double *l3 = chord[q + 3] + c0 - width[q + 3];
        for (int64_t i = 0; i < w; ++i) {
            double t = sum[i];
            t += h0[i] - l0[i];
            t += h1[i] - l1[i];
            t += h2[i] - l2[i];
            t += h3[i] - l3[i];
            sum[i] = t;
        }
    }
    for (; q < n; ++q) {
        const double *h0 = chord[q] + c0 + width[q] + 1, *l0 = chord[q] + c0 - width[q];
        for (int64_t i = 0; i < w; ++i) sum[i] += h0[i] - l0[i];
    }
    for (int64_t i = 0; i < w; ++i) dst[c0 + i] = (float)sum[i];
}

/* Output row j over columns [c0, c1) of a block near the row's ends, where chords are cut by
 * them: each chord clipped to the row, added in the same order as interior_sums. */
static void edge_sums(const double *ring, size_t rowlen, int64_t win, const int64_t *hw, int64_t j,
                      int64_t rh, int64_t ny, int64_t nx, int64_t c0, int64_t c1, double *acc,
                      float *dst) {
    double *sum = acc - c0; /* sum[i]: cell i's total, for i in [c0, c1) */
    for (int64_t i = c0; i < c1; ++i) sum[i] = 0.0;
    for (int64_t dj = -rh; dj <= rh; ++dj) {
        int64_t k = j + dj;
        if (k < 0 || k >= ny) continue;
        const double *p = ring + (size_t)(k % win) * rowlen;
        int64_t h = hw[dj < 0 ? -dj : dj];
        int64_t lo = h < nx ? h : nx;           /* first interior cell */
        int64_t hi = nx - h > lo ? nx - h : lo; /* end of interior cells */
        int64_t l = lo < c0 ? c0 : lo > c1 ? c1 : lo;
        int64_t u = hi < l ? l : hi > c1 ? c1 : hi;
        for (int64_t i = c0; i < l; ++i) {
            int64_t e = i + h + 1 < nx ? i + h + 1 : nx;
            sum[i] += p[e] - p[0];
        }
        for (int64_t i = l; i < u; ++i) sum[i] += p[i + h + 1] - p[i - h];
        for (int64_t i = u; i < c1; ++i) {
            int64_t s0 = i - h > 0 ? i - h : 0;
            sum[i] += p[nx] - p[s0];
        }
    }
    for (int64_t i = c0; i < c1; ++i) dst[i] = (float)sum[i];
}

cpk_status cpk_focal_sum_disk_f32(const cpk_view_f32 *in, double dx, double dy, double radius_m,
                                  int64_t row0, int64_t row1, const cpk_out_f32 *out,
                                  int nthreads) {
    cpk_workspace ws = {NULL, 0};
    cpk_status s = cpk_focal_sum_disk_ws_f32(in, dx, dy, radius_m, row0, row1, out, nthreads, &ws);
    cpk_workspace_free(&ws);
    return s;
}

cpk_status cpk_focal_sum_disk_ws_f32(const cpk_view_f32 *in, double dx, double dy, double radius_m,
                                     int64_t row0, int64_t row1, const cpk_out_f32 *out,
                                     int nthreads, cpk_workspace *ws) {
    if (!ws) return CPK_E_ARG;
    if (!view_ok(in) || !out || !(dx > 0) || !isfinite(dx)) return CPK_E_ARG;
    int64_t halo = cpk_focal_disk_halo(dy, radius_m);
    if (halo < 0) return CPK_E_ARG;
    if (row0 < 0 || row1 < row0 || row1 > in->ny) return CPK_E_ARG;
    int64_t nrows = row1 - row0, nx = in->nx, ny = in->ny;
    if (out->nx != nx || out->ny < nrows || out->stride < nx || (nrows && nx && !out->data))
        return CPK_E_ARG;
    if (nrows == 0 || nx == 0) return CPK_OK;

    /* Half-widths of the chords, one per row offset dj in [-halo, halo] (symmetric). The
     * halo is capped by the view: rows beyond it never exist. */
    int64_t rh = halo < ny ? halo : ny;
    int64_t *hw = malloc(sizeof *hw * (size_t)(rh + 1));
    if (!hw) return CPK_E_NOMEM;
    for (int64_t dj = 0; dj <= rh; ++dj) {
        double b = (double)dj * dy;
        double rest = radius_m * radius_m - b * b;
        double q = rest > 0 ? floor(sqrt(rest) / dx) : 0;
        int64_t h = q > (double)nx ? nx : (int64_t)q;
        while (h > 0 && !in_disk(h, dj, dx, dy, radius_m)) --h;
        while (h < nx && in_disk(h + 1, dj, dx, dy, radius_m)) ++h;
        hw[dj] = h;
    }

    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    if ((int64_t)nt > nrows) nt = (int)nrows;
    /* ring of prefix rows: the chords of FOCAL_ROWS output rows at a time */
    int64_t win = 2 * rh + FOCAL_ROWS < ny ? 2 * rh + FOCAL_ROWS : ny;
    size_t rowlen = (size_t)nx + 1;
    if ((size_t)win > (SIZE_MAX / sizeof(double) - FOCAL_COLS) / rowlen / (size_t)nt) {
        free(hw);
        return CPK_E_NOMEM;
    }
    size_t per_thread = (size_t)win * rowlen + FOCAL_COLS, nchords = 2 * (size_t)rh + 1;
    double *scratch = cpk_workspace_get(ws, sizeof(double) * per_thread * (size_t)nt);
    const double **chords = malloc(sizeof *chords * nchords * (size_t)nt);
    int64_t *widths = malloc(sizeof *widths * nchords * (size_t)nt);
    if (!scratch || !chords || !widths) {
        free(chords);
        free(widths);
        free(hw);
        return CPK_E_NOMEM;
    }
    int64_t hmax = 0;
    for (int64_t dj = 0; dj <= rh; ++dj) hmax = hw[dj] > hmax ? hw[dj] : hmax;

    /* Blocks of output rows handed out with work stealing (steal.h): each thread runs its
     * share top down, carrying its ring from block to block, and a thread done early takes
     * the back half of the largest share left. */
    int64_t brows = FOCAL_ROWS;
    while ((nrows + brows - 1) / brows > CPK_STEAL_MAX_BLOCKS) brows *= 2;
    cpk_steal steal;
    if (cpk_steal_init(&steal, nt, (nrows + brows - 1) / brows)) {
        free(chords);
        free(widths);
        free(hw);
        return CPK_E_NOMEM;
    }

#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid = cpk_tid();
        double *ring = scratch + per_thread * (size_t)tid;
        double *acc = ring + (size_t)win * rowlen;
        const double **chord = chords + nchords * (size_t)tid;
        int64_t *width = widths + nchords * (size_t)tid;
        int64_t block = -1, next = 0; /* next: the next view row to turn into a prefix row */
        int fresh;
        while (cpk_steal_next(&steal, tid, block, &block, &fresh)) {
            int64_t a = row0 + block * brows, b = a + brows < row1 ? a + brows : row1;
            if (fresh) next = a - rh < 0 ? 0 : a - rh;
            for (int64_t j0 = a; j0 < b; j0 += FOCAL_ROWS) {
                int64_t j1 = j0 + FOCAL_ROWS < b ? j0 + FOCAL_ROWS : b;
                int64_t last = j1 - 1 + rh < ny - 1 ? j1 - 1 + rh : ny - 1;
                for (; next <= last; ++next) {
                    const float *src = in->data + next * in->stride;
                    double *p = ring + (size_t)(next % win) * rowlen;
                    double s = 0.0;
                    p[0] = 0.0;
                    for (int64_t i = 0; i < nx; ++i) {
                        s += cell_value(in, src[i]);
                        p[i + 1] = s;
                    }
                }
                /* A block of columns of these rows at a time, so that the prefix rows it
                 * reads stay in the cache from one output row to the next; each cell still
                 * adds its chords in the same order. */
                for (int64_t c0 = 0; c0 < nx; c0 += FOCAL_COLS) {
                    int64_t c1 = c0 + FOCAL_COLS < nx ? c0 + FOCAL_COLS : nx;
                    for (int64_t j = j0; j < j1; ++j) {
                        float *dst = out->data + (j - row0) * out->stride;
                        if (c0 >= hmax && c1 <= nx - hmax) /* every chord inside the row */
                            interior_sums(ring, rowlen, win, hw, j, rh, ny, c0, c1, chord, width,
                                          acc, dst);
                        else
                            edge_sums(ring, rowlen, win, hw, j, rh, ny, nx, c0, c1, acc, dst);
                    }
                }
            }
        }
    }
    cpk_steal_free(&steal);
    free(chords);
    free(widths);
    free(hw);
    return CPK_OK;
}
