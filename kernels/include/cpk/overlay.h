/* cpk/overlay.h — map algebra: criteria scores and their weighted overlay.
 *
 * These are the cell-by-cell operations the pipeline composes into the priority surface
 * (DESIGN.md §6): a class lookup, linear and log-saturation normalisations, exponential
 * distance decay, and the weighted overlay P = sum(w_i s_i) / sum(w_i).
 *
 * All take an input view and an output view of the same size (out->nx == in->nx,
 * out->ny >= in->ny); they are pointwise, so any strip decomposition gives the same cells.
 * Input cells that are nodata (has_nodata and == nodata) or NaN produce `nodata_out` (0 for
 * "nodata counts as no benefit", NaN or a nodata value to propagate it). Arithmetic is in
 * double, rounded once to float; results do not depend on the thread count. */
#ifndef CPK_OVERLAY_H
#define CPK_OVERLAY_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Class lookup: a cell whose value is the integer classes[k] gets values[k]; any other value
 * (another integer, a fraction, out of int32 range) gets `default_value`. Classes must be
 * distinct. */
CPK_API cpk_status cpk_classes_f32(const cpk_view_f32 *in, const int32_t *classes,
                                   const float *values, size_t nclasses, float default_value,
                                   float nodata_out, const cpk_out_f32 *out, int nthreads);

/* Linear normalisation s = (x - lo) / (hi - lo); `clip` clamps s to [0, 1]; `invert` then
 * gives 1 - s. lo != hi, both finite (hi < lo is allowed and reverses the scale). */
CPK_API cpk_status cpk_linear_f32(const cpk_view_f32 *in, double lo, double hi, int clip,
                                  int invert, float nodata_out, const cpk_out_f32 *out,
                                  int nthreads);

/* Log saturation s = min(1, log1p(max(x, 0)) / log1p(saturate)); saturate > 0, finite.
 * Allocates 8 kB per thread (CPK_E_NOMEM when it cannot). */
CPK_API cpk_status cpk_log_saturate_f32(const cpk_view_f32 *in, double saturate, float nodata_out,
                                        const cpk_out_f32 *out, int nthreads);

/* Distance decay s = exp(-max(x, 0) / decay); decay > 0. x = +Inf (no source) gives 0. */
CPK_API cpk_status cpk_decay_exp_f32(const cpk_view_f32 *in, double decay, float nodata_out,
                                     const cpk_out_f32 *out, int nthreads);

/* How the weighted overlay treats a layer that is nodata at a cell. */
typedef enum {
    CPK_OVERLAY_NODATA_ZERO = 0, /* the layer scores 0 there, keeping its weight */
    CPK_OVERLAY_NODATA_SKIP,     /* the layer is left out there; the others are renormalised */
    CPK_OVERLAY_NODATA_PROPAGATE /* the cell is nodata_out */
} cpk_overlay_nodata;

/* Weighted overlay of n score layers: P = sum(w_i s_i) / sum(w_i), summed in layer order in
 * double. weights >= 0 and finite, with a positive sum. `mask` (may be NULL) is the area of
 * interest: cells where it is nodata, NaN or 0 get nodata_out. A cell whose total weight is
 * 0 (all layers skipped) gets nodata_out. All layers (and the mask) have out's size.
 * Allocates 17 kB per thread (CPK_E_NOMEM when it cannot). */
CPK_API cpk_status cpk_overlay_weighted_f32(const cpk_view_f32 *layers, const double *weights,
                                            size_t n, const cpk_view_f32 *mask,
                                            cpk_overlay_nodata mode, float nodata_out,
                                            const cpk_out_f32 *out, int nthreads);

#ifdef __cplusplus
}
#endif

#endif
