/* cpk/focal.h — focal (neighbourhood) sums over a disk.
 *
 * The disk of radius r around cell (i, j) holds every cell (i + di, j + dj) whose centre lies
 * within r metres of (i, j)'s centre:
 *
 *     (di * dx)^2 + (dj * dy)^2 <= r^2        (evaluated in double, exactly this expression)
 *
 * so anisotropic cells (dx != dy) give an ellipse of cells. Cells outside the view do not
 * exist (they add nothing); nodata, NaN and +-Inf cells count as 0.
 *
 * Algorithm: each view row is turned into a prefix sum in double once; a cell's sum is the sum
 * over the disk's chords (one per row offset dj, in ascending dj) of prefix differences. That
 * is O(r / dy) operations per cell, independent of r / dx, vectorised along the row. The
 * summation order of a cell does not depend on the thread count or on the strip, so strips
 * computed from a view with a halo of at least cpk_focal_disk_halo() rows equal the whole
 * grid bit for bit. */
#ifndef CPK_FOCAL_H
#define CPK_FOCAL_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows of halo a strip needs above and below for a disk of `radius_m` over rows `dy` metres
 * high: the largest dj with (dj * dy)^2 <= radius_m^2. -1 if the arguments are invalid
 * (dy <= 0, radius_m < 0 or not finite). */
CPK_API int64_t cpk_focal_disk_halo(double dy, double radius_m);

/* Disk focal sum of `in`.
 *
 *  in        the input view: strip rows plus halo (the whole grid is a strip with no halo)
 *  dx, dy    cell width and height in metres (> 0)
 *  radius_m  disk radius in metres (>= 0, finite); 0 gives each cell its own value
 *  row0,row1 the view rows to compute, 0 <= row0 <= row1 <= in->ny
 *  out       receives row1 - row0 rows of in->nx cells (out->ny >= row1 - row0, out->nx ==
 *            in->nx); out row k is view row row0 + k. Sums are computed in double and
 *            rounded once to float.
 *  nthreads  threads (cpk_threads()); the result does not depend on it
 *
 * Scratch: (min(2 * halo + 16, in->ny) * (nx + 1) + 256) doubles per thread (a ring of
 * prefix rows), allocated and freed by the call. */
CPK_API cpk_status cpk_focal_sum_disk_f32(const cpk_view_f32 *in, double dx, double dy,
                                          double radius_m, int64_t row0, int64_t row1,
                                          const cpk_out_f32 *out, int nthreads);

/* The same, the ring of prefix rows in `ws` (grown as needed, kept by the caller for the next
 * call): a strip loop then maps it once. Bit-identical to cpk_focal_sum_disk_f32. */
CPK_API cpk_status cpk_focal_sum_disk_ws_f32(const cpk_view_f32 *in, double dx, double dy,
                                             double radius_m, int64_t row0, int64_t row1,
                                             const cpk_out_f32 *out, int nthreads,
                                             cpk_workspace *ws);

#ifdef __cplusplus
}
#endif

#endif
