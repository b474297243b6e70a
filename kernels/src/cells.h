/* Coverage on points already in grid coordinates (kernels-internal).
 *
 * cpk_coverage_polygon converts each point to grid coordinates as it walks its rings; a
 * caller that covers many small polygons sharing their corners (the cells of a resampled
 * raster) converts each corner once with cpk_cells_u / cpk_cells_v and walks the ring with
 * cpk_coverage_ring_cells: the same conversion and the same walk, so the same fractions to
 * the bit as cpk_coverage_polygon on the ring in world coordinates. */
#ifndef CPK_CELLS_H
#define CPK_CELLS_H

#include "cpk/coverage.h"

/* Grid coordinate of a world offset, kept within +-1e15 cells (exact integers in double)
 * so that absurdly far vertices cannot overflow the arithmetic. */
static inline double cpk_to_cells(double d, double cell) {
    double u = d / cell;
    return u < -1e15 ? -1e15 : (u > 1e15 ? 1e15 : u);
}

/* Column and row coordinates of world x and y on `g` (cells are unit squares). */
static inline double cpk_cells_u(double x, const cpk_geo *g) {
    return cpk_to_cells(x - g->x0, g->dx);
}
static inline double cpk_cells_v(double y, const cpk_geo *g) {
    return cpk_to_cells(g->y0 - y, g->dy);
}

/* The window of cells a bounding box in grid coordinates touches, clipped to the grid (empty
 * when the box is degenerate or outside), as cpk_coverage_window computes it. */
cpk_window cpk_cells_window(double umin, double umax, double vmin, double vmax,
                            const cpk_geo *grid);

/* Twice the signed area of a ring of n points (world coordinates; positive: counter-clockwise),
 * the sign cpk_coverage_polygon gives a ring. */
double cpk_ring_area2(const double *xy, int64_t n);

/* The fractions of `win` (every element written) covered by one ring of n >= 3 points `uv` in
 * grid coordinates (its first point not repeated at the end), counted with sign s (+1 or -1). */
void cpk_coverage_ring_cells(const double *uv, int64_t n, double s, const cpk_window *win,
                             double *frac);

#endif
