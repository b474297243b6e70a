/* cpk/resample.h — exact, sum-preserving resampling of a count raster (people per cell)
 * onto another grid.
 *
 * Each source cell is a quadrilateral in the target grid's coordinates (its four corners
 * transformed by the caller). Its count is spread over the target cells in proportion to
 * the exact area of the quadrilateral that falls in each of them (cpk/coverage.h), so the
 * total is conserved exactly up to floating-point rounding: people are neither created nor
 * lost, whatever the two grids' resolutions and projections. (GDAL's `sum` resampling
 * estimates the same overlaps from transformed sample points.)
 *
 * Determinism: a target cell receives the contributions of the source cells in the order the
 * caller passes them (source rows top to bottom, cells left to right). The fractions of a
 * target row do not depend on which rows are asked for, so computing a strip of target rows
 * gives exactly the cells of a whole-grid run. */
#ifndef CPK_RESAMPLE_H
#define CPK_RESAMPLE_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Adds one source row of `n` cells to target rows row0..row1 of `geo`.
 *   top, bottom  n + 1 corner points each (interleaved x, y, target coordinates): the row's
 *                upper edge (top[2i], top[2i+1] is the upper-left corner of cell i) and its
 *                lower edge
 *   values       n counts; NaN cells add nothing (nodata)
 *   out          rows row0..row1 of the target (out row k = grid row row0 + k); a cell that
 *                receives its first contribution while NaN is set to 0 first, so cells no
 *                valid source cell touches stay NaN
 *   scratch      at least `scratch_len` doubles; a source cell whose window within the rows
 *                exceeds it is CPK_E_ARG (size it to the largest footprint: a few cells)
 * Serial (the caller parallelises over target strips if it wants). Allocates the two edges in
 * grid coordinates (CPK_E_NOMEM when it cannot). */
CPK_API cpk_status cpk_sum_resample_row_f32(const double *top, const double *bottom,
                                            const float *values, int64_t n, const cpk_geo *geo,
                                            int64_t row0, int64_t row1, const cpk_out_f32 *out,
                                            double *scratch, size_t scratch_len);

/* Adds `m` source rows of `n` cells (top to bottom) to target rows row0..row1 of `geo`, in
 * parallel over bands of target rows: the same contributions, in the same order for every
 * target cell, as m calls of cpk_sum_resample_row_f32, so the cells are bit-identical for any
 * thread count.
 *   edges     m + 1 rows of n + 1 corner points (interleaved x, y; edge k starts at
 *             edges + 2 (n + 1) k): edge k is the upper edge of source row k
 *   values    m rows of n counts (row k at values + n k)
 *   scratch_len  doubles of scratch per thread (allocated here), as for the row function */
CPK_API cpk_status cpk_sum_resample_rows_f32(const double *edges, const float *values, int64_t n,
                                             int64_t m, const cpk_geo *geo, int64_t row0,
                                             int64_t row1, const cpk_out_f32 *out,
                                             size_t scratch_len, int nthreads);

#ifdef __cplusplus
}
#endif

#endif
