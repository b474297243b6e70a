/* cpk/zonal.h — zonal statistics of polygons over rasters, from exact coverage fractions.
 *
 * For each polygon and each raster band, with f the exact coverage fraction of a cell
 * (cpk/coverage.h) and v its value:
 *   sum     Σ f·v over valid cells           (e.g. people in the polygon from people/cell)
 *   weight  Σ f over valid cells             (covered valid area = weight · dx · dy)
 *   mean    sum / weight                     (coverage-weighted mean; undefined if weight 0)
 *   min/max over valid cells with f > 0      (+inf / -inf when there is none)
 *   count   valid cells with f > 0
 *   nodata_weight, nodata_count: the same for nodata cells (value == nodata, or NaN), which
 *           are excluded from everything else; covered nodata area = nodata_weight · dx · dy
 *   classes (optional, per band) Σ f per class value over valid cells; share = that / weight
 * All sums are in double.
 *
 * Strips. The rasters may be a strip of the grid: rows row0 .. row0 + ny - 1 of the whole
 * grid, all columns. The polygons stay in world coordinates and the grid stays the whole
 * grid's geometry. Accumulators are added to, never reset, by cpk_zonal_f32, with this rule:
 *   cells are visited row by row (top to bottom), left to right within a row; each row's
 *   partial sums start from zero and are added to the accumulators at the end of the row.
 * So initialise the accumulators once (cpk_zonal_acc_init, zeroed class weights), call
 * cpk_zonal_f32 for every strip in top-to-bottom order (strips must not overlap; any
 * heights), and the result is bit-identical to one call over the whole grid. The coverage
 * fractions of a row do not depend on the strip (see cpk_coverage_polygon).
 *
 * Threads: parallel over polygons; each polygon's sums are made by one thread in the order
 * above, so the result is bit-identical for any thread count.
 */
#ifndef CPK_ZONAL_H
#define CPK_ZONAL_H

#include "cpk/coverage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Statistics of one polygon over one band (see the header comment). */
typedef struct {
    double sum;
    double weight;
    double nodata_weight;
    double min, max;
    int64_t count;
    int64_t nodata_count;
} cpk_zonal_acc;

/* Sets n accumulators to the empty state (zeros, min = +inf, max = -inf). */
CPK_API void cpk_zonal_acc_init(cpk_zonal_acc *acc, int64_t n);

/* One raster band of the strip, with its optional class shares.
 *   view          view.nx == grid->nx, view.ny rows starting at grid row `row0` (same ny
 *                 for every band of a call), stride >= nx
 *   classes       ascending class values whose covered weight is wanted, or NULL
 *   nclasses      number of classes (0 when classes is NULL)
 *   class_weight  output accumulators when classes != NULL: npolys * (nclasses + 1) doubles,
 *                 [p * (nclasses + 1) + k] = Σ f of the valid cells of class k in polygon p;
 *                 k == nclasses collects the valid values not in the list. Zero them before
 *                 the first strip. */
typedef struct {
    cpk_view_f32 view;
    const float *classes;
    int64_t nclasses;
    double *class_weight;
} cpk_zonal_band;

/* Accumulates the statistics of `npolys` polygons over `nbands` bands of one strip.
 *   polys    the polygons, world coordinates of the grid's CRS
 *   wins     their windows from cpk_coverage_window on the same grid (saves recomputing
 *            them for every strip), or NULL to compute them here
 *   grid     the WHOLE grid's geometry (not the strip's)
 *   row0     grid row of the first row of the band views
 *   threads  0: OpenMP default; n > 0: n threads
 *   acc      npolys * nbands accumulators, [p * nbands + b], added to
 * Scratch: one coverage buffer per thread of the largest polygon window within the strip.
 * CPK_E_ARG: NULL pointers, views not matching the grid or each other, unsorted classes, a
 * bad polygon (nothing is accumulated then); CPK_E_NOMEM: scratch allocation failed. */
CPK_API cpk_status cpk_zonal_f32(const cpk_polygon *polys, const cpk_window *wins, int64_t npolys,
                                 const cpk_geo *grid, int64_t row0, cpk_zonal_band *bands,
                                 int nbands, int threads, cpk_zonal_acc *acc);

#ifdef __cplusplus
}
#endif

#endif
