/* cpk/density.h — quartic (biweight) kernel density of weighted points.
 *
 * At the centre c of each cell (cx = x0 + (i + 0.5) dx, cy = y0 - (j + 0.5) dy):
 *
 *     density(c) = 1e6 * 3 / (pi h^2) * sum over points p with d^2 < h^2 of w_p (1 - d^2/h^2)^2
 *
 * with d^2 = (cx - px)^2 + (cy - py)^2 in the grid's units (metres): a density per km² when
 * the weights count events. The kernel integrates to 1 over the plane, so the density summed
 * over a fine grid times the cell area / 1e6 gives back the total weight.
 *
 * Points are binned to tiles of cells; each tile sums its points in input order, in double,
 * with exactly the expression above, so every cell's value is the same whatever the thread
 * count, tile size or strip (rows row0..row1 of the grid) it is computed in. No halo is
 * needed: the kernel needs only the grid geometry and the points. */
#ifndef CPK_DENSITY_H
#define CPK_DENSITY_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Weighted points in the grid's coordinates. w may be NULL (all weights 1). Points with a
 * non-finite coordinate or weight are ignored. */
typedef struct {
    const double *x, *y, *w;
    size_t n;
} cpk_points;

/* Quartic kernel density of `pts` on rows row0..row1 of the grid `geo`.
 *
 *  geo          the whole grid (x0, y0, dx, dy > 0, nx, ny)
 *  bandwidth_m  kernel radius h (> 0, finite)
 *  row0,row1    grid rows to compute, 0 <= row0 <= row1 <= geo->ny
 *  out          row1 - row0 rows of geo->nx cells; out row k is grid row row0 + k
 *  nthreads     threads (cpk_threads())
 *
 * Scratch: one index per (point, tile it touches), about 4-16 per point, plus one tile of
 * doubles per thread. */
CPK_API cpk_status cpk_density_quartic_f32(const cpk_points *pts, const cpk_geo *geo,
                                           double bandwidth_m, int64_t row0, int64_t row1,
                                           const cpk_out_f32 *out, int nthreads);

#ifdef __cplusplus
}
#endif

#endif
