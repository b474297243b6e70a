/* cpk/coverage.h — exact coverage fractions of polygons on a north-up grid.
 *
 * The fraction of a cell is the area of (polygon ∩ cell) / cell area, computed exactly (up to
 * floating-point rounding, ~1e-15 of a cell) — not all-touched or centre-in-cell
 * rasterisation. Like exactextract, each ring is walked through the grid cell by cell and the
 * covered area of every boundary cell is computed from the pieces of the ring inside it; the
 * interior is then filled. The fill is a scanline integration of the signed areas (each piece
 * adds its height to the cells on its right), so inside/outside needs no point-in-polygon
 * test and cannot be decided wrongly: vertices and edges on cell lines, spikes, repeated
 * points and rings touching the window border all integrate consistently.
 *
 * Cost: O(number of vertices + cells crossed by the boundary + window area) per polygon, no
 * allocation, no scratch beyond the output. Thread-safe (no shared state).
 *
 * Input rules:
 *  - A polygon is one or more parts; each part is a shell ring followed by its hole rings.
 *  - Ring orientation is not trusted: shells add area, holes remove it, whatever their
 *    winding. A ring need not repeat its first point at the end (it is closed implicitly).
 *  - Rings with fewer than 3 points or zero signed area are ignored (degenerate).
 *  - The polygon is assumed valid (OGC): parts do not overlap, holes lie inside their shell.
 *    For invalid input the fraction is the integral of the winding number clamped to [0, 1].
 *  - Fractions within 1e-12 of 0 or 1 are snapped to 0 or 1, so a rectangle aligned on cell
 *    lines covers whole cells and nothing else, bit for bit.
 */
#ifndef CPK_COVERAGE_H
#define CPK_COVERAGE_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A polygon or multipolygon in world coordinates, in offset arrays (GeoArrow layout).
 *   xy            interleaved x, y of every point of every ring, ring after ring
 *   ring_offsets  nrings + 1 entries: ring r is points [ring_offsets[r], ring_offsets[r+1])
 *   part_offsets  nparts + 1 entries: part p is rings [part_offsets[p], part_offsets[p+1]),
 *                 its first ring is the shell, the others holes. NULL: a single part made of
 *                 all nrings rings (nparts is then ignored).
 * An empty polygon (nrings == 0) is valid and covers nothing. */
typedef struct {
    const double *xy;
    const int64_t *ring_offsets;
    int64_t nrings;
    const int64_t *part_offsets;
    int64_t nparts;
} cpk_polygon;

/* A rectangle of grid cells: columns col0 .. col0+nx-1, rows row0 .. row0+ny-1. */
typedef struct {
    int64_t col0, row0;
    int64_t nx, ny;
} cpk_window;

/* The polygon's cell window: the cells its bounding box touches, clipped to the grid.
 * nx == 0 or ny == 0 when the polygon is empty, degenerate or outside the grid. The caller
 * allocates win->nx * win->ny doubles for cpk_coverage_polygon.
 * CPK_E_ARG: NULL pointer, invalid grid, inconsistent offsets or non-finite coordinates. */
CPK_API cpk_status cpk_coverage_window(const cpk_polygon *poly, const cpk_geo *grid,
                                       cpk_window *win);

/* Coverage fractions in [0, 1] of the cells of `win` (row-major, win->nx per row, every
 * element written). `win` may be any window inside the grid; normally the polygon's own
 * window from cpk_coverage_window, or the rows of it that fall in a strip.
 *
 * Strips: the fractions of a cell depend only on the polygon, the grid and the window's
 * columns, not on the window's rows. So for two windows with the same col0 and nx (e.g. the
 * polygon's window and its intersection with the rows of a strip), the fractions of their
 * common rows are bit-identical. Always pass the whole grid's geometry, never a strip's.
 * CPK_E_ARG: NULL pointers, invalid grid, window outside the grid, bad polygon. */
CPK_API cpk_status cpk_coverage_polygon(const cpk_polygon *poly, const cpk_geo *grid,
                                        const cpk_window *win, double *frac);

/* Validates a polygon (pointers, offsets, finite coordinates); CPK_OK when usable. */
CPK_API cpk_status cpk_polygon_check(const cpk_polygon *poly);

#ifdef __cplusplus
}
#endif

#endif
