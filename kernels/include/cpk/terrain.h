/* cpk/terrain.h — terrain from an elevation raster.
 *
 * Slope in degrees by Horn's method (as `gdaldem slope`): for the 3 x 3 cells
 *
 *     a b c
 *     d e f        dz/dx = ((c + 2f + i) - (a + 2d + g)) / (8 dx)
 *     g h i        dz/dy = ((g + 2h + i) - (a + 2b + c)) / (8 dy)
 *
 *     slope = atan(sqrt((dz/dx)^2 + (dz/dy)^2)) * 180 / pi
 *
 * in double, rounded once to float. A cell whose 3 x 3 neighbourhood leaves the view or holds
 * nodata (or NaN) gets NaN, as `gdaldem slope` leaves such cells nodata (without
 * -compute_edges). The halo is one row: rows row0..row1 of a strip read from a view with one
 * row above and below equal those of the whole grid, for any thread count. */
#ifndef CPK_TERRAIN_H
#define CPK_TERRAIN_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Slope (degrees) of view rows row0..row1 into out (row k of out is view row row0 + k).
 * dx, dy: cell width and height in the elevation's units (> 0, finite). */
CPK_API cpk_status cpk_slope_f32(const cpk_view_f32 *in, double dx, double dy, int64_t row0,
                                 int64_t row1, const cpk_out_f32 *out, int nthreads);

#ifdef __cplusplus
}
#endif

#endif
