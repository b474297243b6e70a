/* Exact coverage fractions of polygons on a grid (see cpk/coverage.h).
 *
 * Method. Let w(x, y) be the winding number of the polygon (shells counted +1, holes -1,
 * whatever their orientation). The fraction of a cell is the integral of w over the cell. In
 * grid units (u = column coordinate, v = row coordinate, cells are unit squares), w at a
 * point is the signed sum of the heights of the ring pieces lying to its left, so:
 *   - every ring is walked through the grid, split at every cell line it crosses;
 *   - a piece of height dv inside cell (i, j), at mean position m in [0, 1] across the cell,
 *     adds dv * (1 - m) to cell i (the exact area between the piece and the cell's right side)
 *     and dv * m to cell i + 1, so that after a running sum along the row every cell right of
 *     the piece has received the whole dv;
 *   - a running sum along each row turns these increments into exact covered areas; cells
 *     not touched by the boundary get the sum of the heights to their left: 1 inside, 0
 *     outside, decided by the same arithmetic as the boundary cells (the interior fill).
 * Pieces left of the window add their height to its first column; pieces right of it and
 * rows outside it are dropped without being walked.
 *
 * Bit-identity across windows: all arithmetic uses global grid coordinates computed from the
 * world coordinates alone, and every crossing point is computed from the segment's original
 * end points with one formula per line. The window's rows only select which pieces are kept
 * (pieces before the first row are skipped by counting crossings with the same comparisons),
 * so two windows with the same columns give identical fractions in their common rows. */
#include "cpk/coverage.h"

#include "cells.h"

#include <math.h>
#include <string.h>

/* Fractions closer than this to 0 or 1 are snapped: round-off of grid coordinates (about
 * 1e-16 of the coordinate, i.e. ~1e-11 of a cell at column 100000) must neither create
 * slivers nor holes. A real sliver under 1e-10 of a cell is dropped. */
#define SNAP 1e-10

typedef struct {
    double *out;   /* window rows, nx per row */
    double c0, c1; /* window columns [c0, c1) as doubles */
    double r0, r1; /* window rows [r0, r1) */
    int64_t nx;
    int64_t ic0, ir0;
} accum;

/* fmin and fmax for numbers (no NaN here): inline, where the C library's are calls */
static inline double min2(double a, double b) {
    return a < b ? a : b;
}
static inline double max2(double a, double b) {
    return a > b ? a : b;
}

static int grid_ok(const cpk_geo *g) {
    return g && isfinite(g->x0) && isfinite(g->y0) && isfinite(g->dx) && isfinite(g->dy) &&
           g->dx > 0 && g->dy > 0 && g->nx >= 0 && g->ny >= 0;
}

cpk_status cpk_polygon_check(const cpk_polygon *poly) {
    if (!poly || poly->nrings < 0) return CPK_E_ARG;
    if (poly->nrings == 0) return CPK_OK;
    if (!poly->ring_offsets) return CPK_E_ARG;
    const int64_t *ro = poly->ring_offsets;
    if (ro[0] < 0) return CPK_E_ARG;
    for (int64_t r = 0; r < poly->nrings; ++r)
        if (ro[r + 1] < ro[r]) return CPK_E_ARG;
    if (ro[poly->nrings] > ro[0] && !poly->xy) return CPK_E_ARG;
    if (poly->part_offsets) {
        const int64_t *po = poly->part_offsets;
        if (poly->nparts < 0 || po[0] != 0 || po[poly->nparts] != poly->nrings) return CPK_E_ARG;
        for (int64_t p = 0; p < poly->nparts; ++p)
            if (po[p + 1] < po[p]) return CPK_E_ARG;
    }
    for (int64_t k = 2 * ro[0]; k < 2 * ro[poly->nrings]; ++k)
        if (!isfinite(poly->xy[k])) return CPK_E_ARG;
    return CPK_OK;
}

cpk_status cpk_coverage_window(const cpk_polygon *poly, const cpk_geo *grid, cpk_window *win) {
    if (!win || !grid_ok(grid)) return CPK_E_ARG;
    cpk_status st = cpk_polygon_check(poly);
    if (st != CPK_OK) return st;
    double umin = INFINITY, umax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
    if (poly->nrings > 0) {
        const int64_t *ro = poly->ring_offsets;
        for (int64_t k = ro[0]; k < ro[poly->nrings]; ++k) {
            double u = cpk_cells_u(poly->xy[2 * k], grid),
                   v = cpk_cells_v(poly->xy[2 * k + 1], grid);
            umin = min2(umin, u), umax = max2(umax, u);
            vmin = min2(vmin, v), vmax = max2(vmax, v);
        }
    }
    *win = cpk_cells_window(umin, umax, vmin, vmax, grid);
    return CPK_OK;
}

cpk_window cpk_cells_window(double umin, double umax, double vmin, double vmax,
                            const cpk_geo *grid) {
    cpk_window w = {0, 0, 0, 0};
    if (umin < umax && vmin < vmax) {
        double nx = (double)grid->nx, ny = (double)grid->ny;
        double a = max2(floor(umin), 0.0), b = min2(ceil(umax), nx);
        double c = max2(floor(vmin), 0.0), d = min2(ceil(vmax), ny);
        if (a < b && c < d) {
            w.col0 = (int64_t)a, w.nx = (int64_t)b - w.col0;
            w.row0 = (int64_t)c, w.ny = (int64_t)d - w.row0;
        }
    }
    return w;
}

/* Adds the piece (pu, pv) -> (qu, qv) lying in cell (ci, cj), scaled by s. */
static inline void add_piece(const accum *A, double ci, double cj, double pu, double pv, double qu,
                             double qv, double s) {
    double dv = qv - pv;
    if (dv == 0.0 || cj < A->r0 || cj >= A->r1 || ci >= A->c1) return;
    double *row = A->out + ((int64_t)cj - A->ir0) * A->nx;
    double a = s * dv;
    if (ci < A->c0) {
        row[0] += a;
        return;
    }
    double m = 0.5 * (pu + qu) - ci;
    if (m < 0.0) m = 0.0;
    if (m > 1.0) m = 1.0;
    int64_t k = (int64_t)ci - A->ic0;
    double right = a * m;
    row[k] += a - right;
    if (k + 1 < A->nx) row[k + 1] += right;
}

static inline double clampd(double x, double lo, double hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Walks the segment (ua, va) -> (ub, vb), in global grid coordinates, through the window. */
static void walk_segment(const accum *A, double ua, double va, double ub, double vb, double s) {
    if (va == vb) return; /* horizontal: no height, no area */
    if (max2(va, vb) <= A->r0 || min2(va, vb) >= A->r1) return;
    if (min2(ua, ub) >= A->c1) return;
    const double du = ub - ua, dv = vb - va;
    const double dudv = du / dv, inv_dv = 1.0 / dv;
    const int sv = dv > 0 ? 1 : -1;

    /* Start: the segment's first point, or where it enters the window's rows. */
    double pu, pv, tlo, cj, kv;
    if (sv > 0) {
        if (va < A->r0) {
            kv = A->r0;
            pu = ua + (kv - va) * dudv, pv = kv, tlo = (kv - va) * inv_dv, cj = A->r0;
        } else {
            pu = ua, pv = va, tlo = 0.0, cj = floor(va);
        }
        kv = cj + 1.0; /* next row line crossed going down */
    } else {
        if (va > A->r1) {
            kv = A->r1;
            pu = ua + (kv - va) * dudv, pv = kv, tlo = (kv - va) * inv_dv, cj = A->r1 - 1.0;
        } else {
            pu = ua, pv = va, tlo = 0.0, cj = ceil(va) - 1.0;
        }
        kv = cj; /* next row line crossed going up: the top of row cj */
    }

    /* Column lines crossed, restricted to [c0, c1]: line(n) = kstart + su * n, n < nlines. */
    double ci, kstart = 0.0, nlines = 0.0, inv_du = 0.0, dvdu = 0.0;
    int su = 0;
    if (du > 0) {
        su = 1;
        ci = clampd(floor(ua), A->c0 - 1.0, A->c1);
        kstart = max2(floor(ua) + 1.0, A->c0);
        double kend = min2(ceil(ub) - 1.0, A->c1);
        nlines = kend >= kstart ? kend - kstart + 1.0 : 0.0;
    } else if (du < 0) {
        su = -1;
        ci = clampd(ceil(ua) - 1.0, A->c0 - 1.0, A->c1);
        kstart = min2(ceil(ua) - 1.0, A->c1);
        double kend = max2(floor(ub) + 1.0, A->c0);
        nlines = kstart >= kend ? kstart - kend + 1.0 : 0.0;
    } else {
        ci = clampd(floor(ua), A->c0 - 1.0, A->c1);
    }
    double n = 0.0;
    if (su != 0) {
        inv_du = 1.0 / du, dvdu = dv / du;
        if (tlo > 0.0 && nlines > 0.0) {
            /* Skip the column lines crossed before entering the rows (t <= tlo), counting
             * them with the same comparison as the merge below. */
            n = clampd(floor(su * (pu - kstart)), 0.0, nlines);
            while (n > 0.0 && (kstart + su * (n - 1.0) - ua) * inv_du > tlo) n -= 1.0;
            while (n < nlines && (kstart + su * n - ua) * inv_du <= tlo) n += 1.0;
            if (n > 0.0) {
                double k = kstart + su * (n - 1.0);
                ci = su > 0 ? k : k - 1.0;
            }
        }
    }

    for (;;) {
        double tu = INFINITY, tv = INFINITY, ku = 0.0;
        if (n < nlines) {
            ku = kstart + su * n;
            tu = (ku - ua) * inv_du;
        }
        int v_ok = sv > 0 ? (kv < vb && kv <= A->r1) : (kv > vb && kv >= A->r0);
        if (v_ok) tv = (kv - va) * inv_dv;
        if (tu == INFINITY && tv == INFINITY) {
            add_piece(A, ci, cj, pu, pv, ub, vb, s);
            return;
        }
        if (tu <= tv) {
            double qv = va + (ku - ua) * dvdu;
            add_piece(A, ci, cj, pu, pv, ku, qv, s);
            pu = ku, pv = qv;
            ci = su > 0 ? ku : ku - 1.0;
            n += 1.0;
        } else {
            double qu = ua + (kv - va) * dudv;
            add_piece(A, ci, cj, pu, pv, qu, kv, s);
            pu = qu, pv = kv;
            cj += sv;
            kv += sv;
            if (cj < A->r0 || cj >= A->r1) return;
        }
    }
}

/* Twice the signed area of a ring in world coordinates (positive: counter-clockwise), taken
 * relative to its first point to keep precision for small rings far from the origin. */
double cpk_ring_area2(const double *xy, int64_t n) {
    double xr = xy[0], yr = xy[1], a = 0.0;
    for (int64_t k = 1; k + 1 < n; ++k) {
        double x1 = xy[2 * k] - xr, y1 = xy[2 * k + 1] - yr;
        double x2 = xy[2 * k + 2] - xr, y2 = xy[2 * k + 3] - yr;
        a += x1 * y2 - x2 * y1;
    }
    return a;
}

/* The window's fractions zeroed, and the accumulator that adds pieces to them. */
static accum accum_start(const cpk_window *win, double *frac) {
    memset(frac, 0, (size_t)win->nx * (size_t)win->ny * sizeof(double));
    return (accum){frac,
                   (double)win->col0,
                   (double)(win->col0 + win->nx),
                   (double)win->row0,
                   (double)(win->row0 + win->ny),
                   win->nx,
                   win->col0,
                   win->row0};
}

/* Interior fill: running sums along rows, then clamp and snap. */
static void fill_rows(const cpk_window *win, double *frac) {
    for (int64_t j = 0; j < win->ny; ++j) {
        double *row = frac + j * win->nx, acc = 0.0;
        for (int64_t i = 0; i < win->nx; ++i) {
            acc += row[i];
            double f = acc;
            if (f < SNAP) f = 0.0;
            if (f > 1.0 - SNAP) f = 1.0;
            row[i] = f;
        }
    }
}

cpk_status cpk_coverage_polygon(const cpk_polygon *poly, const cpk_geo *grid, const cpk_window *win,
                                double *frac) {
    if (!win || !grid_ok(grid)) return CPK_E_ARG;
    if (win->col0 < 0 || win->row0 < 0 || win->nx < 0 || win->ny < 0 ||
        win->col0 > grid->nx - win->nx || win->row0 > grid->ny - win->ny)
        return CPK_E_ARG;
    cpk_status st = cpk_polygon_check(poly);
    if (st != CPK_OK) return st;
    if (win->nx == 0 || win->ny == 0) return CPK_OK;
    if (!frac) return CPK_E_ARG;
    if ((uint64_t)win->nx > SIZE_MAX / sizeof(double) / (uint64_t)win->ny) return CPK_E_NOMEM;
    accum A = accum_start(win, frac);
    const int64_t *ro = poly->ring_offsets;
    int64_t part = 0;
    for (int64_t r = 0; r < poly->nrings; ++r) {
        /* Shell or hole: first ring of its part is the shell. */
        int hole;
        if (poly->part_offsets) {
            while (part + 1 < poly->nparts && poly->part_offsets[part + 1] <= r) ++part;
            hole = r != poly->part_offsets[part];
        } else {
            hole = r != 0;
        }
        const double *xy = poly->xy + 2 * ro[r];
        int64_t n = ro[r + 1] - ro[r];
        /* Drop the closing point when it repeats the first. */
        if (n > 1 && xy[0] == xy[2 * n - 2] && xy[1] == xy[2 * n - 1]) --n;
        if (n < 3) continue;
        double a2 = cpk_ring_area2(xy, n);
        if (a2 == 0.0 || !isfinite(a2)) continue;
        double s = (a2 > 0) == !hole ? 1.0 : -1.0;
        double ua = cpk_cells_u(xy[2 * (n - 1)], grid), va = cpk_cells_v(xy[2 * (n - 1) + 1], grid);
        for (int64_t k = 0; k < n; ++k) {
            double ub = cpk_cells_u(xy[2 * k], grid), vb = cpk_cells_v(xy[2 * k + 1], grid);
            walk_segment(&A, ua, va, ub, vb, s);
            ua = ub, va = vb;
        }
    }
    fill_rows(win, frac);
    return CPK_OK;
}

void cpk_coverage_ring_cells(const double *uv, int64_t n, double s, const cpk_window *win,
                             double *frac) {
    accum A = accum_start(win, frac);
    double ua = uv[2 * (n - 1)], va = uv[2 * (n - 1) + 1];
    for (int64_t k = 0; k < n; ++k) {
        walk_segment(&A, ua, va, uv[2 * k], uv[2 * k + 1], s);
        ua = uv[2 * k], va = uv[2 * k + 1];
    }
    fill_rows(win, frac);
}
