/* cpk/pyramid.h — one level of an overview pyramid from the level above.
 *
 * A raster's overviews (the half, quarter, ... resolution copies that a GIS draws when zoomed
 * out) are built one level at a time: cell (r, c) of the next level comes from the 2 x 2 block
 * of cells (2r, 2c), (2r, 2c + 1), (2r + 1, 2c), (2r + 1, 2c + 1) of the level above, each
 * level from the one before (not from the full resolution). Sizes halve rounding down, never
 * below 1: a last odd row or column of a level is left out of the next, except where the
 * level above is a single row or column, whose cells then stand alone.
 *
 * The functions make one row of the next level from two rows of the level above, so a caller
 * may split the rows over threads or processes in any way and get the same cells. They are the
 * definitions of GDAL's AVERAGE and NEAREST overviews for a 2 x 2 block (checked cell for cell
 * against GDAL's COG overviews in tests/kernels/test_pyramid.c). */
#ifndef CPK_PYRAMID_H
#define CPK_PYRAMID_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cells of the next level: max(1, n / 2) for a level of n cells (n >= 1). */
CPK_API int64_t cpk_pyramid_size(int64_t n);

/* Mean: cell c of `out` (nx_out = cpk_pyramid_size(nx_in) cells) is the mean of the cells of
 * the block that are not nodata (== nodata when has_nodata) and not NaN: each row's cells
 * added in double (a[2c] + a[2c + 1], b[2c] + b[2c + 1]), then the two rows' sums, divided by
 * their count and rounded once to float, as GDAL 3.6 does; `nodata` (NaN without has_nodata)
 * where no cell is valid. `b` is NULL where the level above is a single row. */
CPK_API cpk_status cpk_pyramid_mean_f32(const float *a, const float *b, int64_t nx_in,
                                        int has_nodata, float nodata, float *out);

/* Nearest: cell c of `out` is a[2c], the block's top-left cell (GDAL's choice). */
CPK_API cpk_status cpk_pyramid_first_u8(const uint8_t *a, int64_t nx_in, uint8_t *out);

#ifdef __cplusplus
}
#endif

#endif
