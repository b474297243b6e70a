/* Quartic kernel density by tiles of cells (see cpk/density.h). */
#include "cpk/density.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clones.h"
#include "team.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Conservative index range [lo, hi] (clamped to [a, b - 1]) of cells whose centre
 * coordinate c0 + (k + 0.5) * step * sign lies within h of p. Empty when lo > hi. */
static void cell_range(double rel_lo, double rel_hi, int64_t a, int64_t b, int64_t *lo,
                       int64_t *hi) {
    double l = floor(rel_lo - 0.5) - 1, u = ceil(rel_hi - 0.5) + 1;
    if (!(l < (double)b) || !(u >= (double)a)) {
        *lo = 1;
        *hi = 0;
        return;
    }
    *lo = l < (double)a ? a : (int64_t)l;
    *hi = u > (double)(b - 1) ? b - 1 : (int64_t)u;
}

static int64_t clamp_tile(double cells) {
    if (!(cells >= 64)) return 64;
    if (cells > 1024) return 1024;
    return (int64_t)cells;
}

/* One point's kernel added to the cells k0..k1 of a tile's row (cx: their centres' x). Also
 * compiled for AVX2 (clones.h). */
CPK_ALSO_AVX2
static void add_run(double *arow, const double *cx, int64_t k0, int64_t k1, double px, double dy2,
                    double inv_h2, double w) {
    for (int64_t k = k0; k <= k1; ++k) {
        double ddx = cx[k] - px, d2 = ddx * ddx + dy2;
        double u = 1.0 - d2 * inv_h2;
        arow[k] += w * (u * u);
    }
}

cpk_status cpk_density_quartic_f32(const cpk_points *pts, const cpk_geo *geo, double bandwidth_m,
                                   int64_t row0, int64_t row1, const cpk_out_f32 *out,
                                   int nthreads) {
    if (!pts || !geo || !out) return CPK_E_ARG;
    if (pts->n && (!pts->x || !pts->y)) return CPK_E_ARG;
    if (!(geo->dx > 0) || !(geo->dy > 0) || !isfinite(geo->dx) || !isfinite(geo->dy) ||
        !isfinite(geo->x0) || !isfinite(geo->y0) || geo->nx < 0 || geo->ny < 0)
        return CPK_E_ARG;
    if (!(bandwidth_m > 0) || !isfinite(bandwidth_m)) return CPK_E_ARG;
    if (row0 < 0 || row1 < row0 || row1 > geo->ny) return CPK_E_ARG;
    int64_t nrows = row1 - row0, nx = geo->nx;
    if (out->nx != nx || out->ny < nrows || out->stride < nx || (nrows && nx && !out->data))
        return CPK_E_ARG;
    if (nrows == 0 || nx == 0) return CPK_OK;

    const double h = bandwidth_m, h2 = h * h, inv_h2 = 1.0 / h2;
    const double scale = 1e6 * 3.0 / (M_PI * h2);
    const double x0 = geo->x0, y0 = geo->y0, dx = geo->dx, dy = geo->dy;

    /* Tiles about one bandwidth wide, so a point touches at most ~3x3 of them. */
    int64_t tw = clamp_tile(ceil(h / dx)), th = clamp_tile(ceil(h / dy));
    int64_t ntx = (nx + tw - 1) / tw, nty = (nrows + th - 1) / th;
    if (ntx > INT64_MAX / nty || ntx * nty > (int64_t)(SIZE_MAX / sizeof(size_t)) - 1)
        return CPK_E_NOMEM;
    size_t ntiles = (size_t)(ntx * nty);
    size_t *start = calloc(ntiles + 1, sizeof *start);
    if (!start) return CPK_E_NOMEM;

    /* Pass 1 counts the tiles each point touches; pass 2 lists the points of each tile in
     * input order. */
    size_t *list = NULL;
    for (int pass = 0; pass < 2; ++pass) {
        size_t *fillpos = NULL;
        if (pass == 1) {
            for (size_t t = 0; t < ntiles; ++t) start[t + 1] += start[t];
            list = malloc(sizeof *list * (start[ntiles] ? start[ntiles] : 1));
            fillpos = malloc(sizeof *fillpos * ntiles);
            if (!list || !fillpos) {
                free(list);
                free(fillpos);
                free(start);
                return CPK_E_NOMEM;
            }
            memcpy(fillpos, start, sizeof *fillpos * ntiles);
        }
        for (size_t p = 0; p < pts->n; ++p) {
            double px = pts->x[p], py = pts->y[p], w = pts->w ? pts->w[p] : 1.0;
            if (!isfinite(px) || !isfinite(py) || !isfinite(w)) continue;
            int64_t i0, i1, j0, j1;
            cell_range((px - h - x0) / dx, (px + h - x0) / dx, 0, nx, &i0, &i1);
            cell_range((y0 - py - h) / dy, (y0 - py + h) / dy, row0, row1, &j0, &j1);
            if (i0 > i1 || j0 > j1) continue;
            for (int64_t tj = (j0 - row0) / th; tj <= (j1 - row0) / th; ++tj)
                for (int64_t ti = i0 / tw; ti <= i1 / tw; ++ti) {
                    size_t t = (size_t)(tj * ntx + ti);
                    if (pass == 0)
                        start[t + 1]++;
                    else
                        list[fillpos[t]++] = p;
                }
        }
        free(fillpos);
    }

    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    double *acc_all = malloc(sizeof(double) * (size_t)(tw * th + tw) * (size_t)nt);
    if (!acc_all) {
        free(list);
        free(start);
        return CPK_E_NOMEM;
    }
    /* Tiles hold uneven point counts, so they are handed out dynamically; a tile's result
     * does not depend on which thread computes it. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (int64_t t = 0; t < (int64_t)ntiles; ++t) {
        int tid = cpk_tid();
        double *acc = acc_all + (size_t)(tw * th + tw) * (size_t)tid;
        double *cxs = acc + tw * th; /* cell centre x of the tile's columns */
        int64_t ti = t % ntx, tj = t / ntx;
        int64_t ci0 = ti * tw, ci1 = ci0 + tw < nx ? ci0 + tw : nx;
        int64_t rj0 = row0 + tj * th, rj1 = rj0 + th < row1 ? rj0 + th : row1;
        int64_t wt = ci1 - ci0;
        memset(acc, 0, sizeof(double) * (size_t)(wt * (rj1 - rj0)));
        for (int64_t i = ci0; i < ci1; ++i) cxs[i - ci0] = x0 + ((double)i + 0.5) * dx;
        for (size_t e = start[t]; e < start[t + 1]; ++e) {
            size_t p = list[e];
            double px = pts->x[p], py = pts->y[p], w = pts->w ? pts->w[p] : 1.0;
            int64_t i0, i1, j0, j1;
            cell_range((px - h - x0) / dx, (px + h - x0) / dx, ci0, ci1, &i0, &i1);
            cell_range((y0 - py - h) / dy, (y0 - py + h) / dy, rj0, rj1, &j0, &j1);
            for (int64_t j = j0; j <= j1; ++j) {
                double cy = y0 - ((double)j + 0.5) * dy;
                double ddy = cy - py, dy2 = ddy * ddy;
                if (!(dy2 < h2)) continue;
                /* The cells of this row within h form one run (d^2 is convex in i): estimate
                 * its ends, then settle them with the exact test, so that the loop below
                 * touches exactly the cells with d^2 < h^2 and needs no branch. */
                double half = sqrt(h2 - dy2);
                double el = (px - half - x0) / dx - 0.5, er = (px + half - x0) / dx - 0.5;
                /* one cell of margin each side against rounding in the estimate */
                int64_t il = el <= (double)(i0 + 1) ? i0 : el >= (double)i1 ? i1 : (int64_t)el - 1;
                int64_t ir = er >= (double)(i1 - 1) ? i1 : er <= (double)i0 ? i0 : (int64_t)er + 1;
#define CPK_INSIDE(k) ((cxs[(k)-ci0] - px) * (cxs[(k)-ci0] - px) + dy2 < h2)
                while (il <= i1 && !CPK_INSIDE(il)) ++il;
                if (il > i1) continue;
                while (il > i0 && CPK_INSIDE(il - 1)) --il;
                if (ir < il) ir = il;
                while (ir > il && !CPK_INSIDE(ir)) --ir;
                while (ir < i1 && CPK_INSIDE(ir + 1)) ++ir;
#undef CPK_INSIDE
                add_run(acc + (j - rj0) * wt, cxs, il - ci0, ir - ci0, px, dy2, inv_h2, w);
            }
        }
        for (int64_t j = rj0; j < rj1; ++j) {
            float *o = out->data + (j - row0) * out->stride;
            const double *arow = acc + (j - rj0) * wt;
            for (int64_t i = ci0; i < ci1; ++i) o[i] = (float)(arow[i - ci0] * scale);
        }
    }
    free(acc_all);
    free(list);
    free(start);
    return CPK_OK;
}
