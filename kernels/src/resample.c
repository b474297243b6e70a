/* Exact, sum-preserving resampling of counts (see cpk/resample.h). */
#include <math.h>

#include "cpk/coverage.h"
#include "cpk/resample.h"

cpk_status cpk_sum_resample_row_f32(const double *top, const double *bottom, const float *values,
                                    int64_t n, const cpk_geo *geo, int64_t row0, int64_t row1,
                                    const cpk_out_f32 *out, double *scratch, size_t scratch_len) {
    if (!top || !bottom || !values || !geo || !out || !out->data || !scratch || n < 0 || row0 < 0 ||
        row1 < row0 || row1 > geo->ny || out->nx != geo->nx || out->ny < row1 - row0 ||
        out->stride < out->nx)
        return CPK_E_ARG;
    const double cell_area = geo->dx * geo->dy;
    const int64_t ring_offsets[2] = {0, 4};
    for (int64_t i = 0; i < n; ++i) {
        float v = values[i];
        if (isnan(v)) continue;
        /* upper-left, upper-right, lower-right, lower-left */
        double q[8] = {top[2 * i],        top[2 * i + 1],    top[2 * i + 2], top[2 * i + 3],
                       bottom[2 * i + 2], bottom[2 * i + 3], bottom[2 * i],  bottom[2 * i + 1]};
        int finite = 1;
        for (int k = 0; k < 8; ++k) finite &= isfinite(q[k]) != 0;
        if (!finite) continue;
        double area = 0.5 * fabs((q[0] * q[3] - q[2] * q[1]) + (q[2] * q[5] - q[4] * q[3]) +
                                 (q[4] * q[7] - q[6] * q[5]) + (q[6] * q[1] - q[0] * q[7]));
        if (!(area > 0)) continue;
        cpk_polygon poly = {q, ring_offsets, 1, NULL, 1};
        cpk_window w;
        if (cpk_coverage_window(&poly, geo, &w) != CPK_OK || w.nx == 0 || w.ny == 0) continue;
        int64_t r0 = w.row0 > row0 ? w.row0 : row0;
        int64_t r1 = w.row0 + w.ny < row1 ? w.row0 + w.ny : row1;
        if (r1 <= r0) continue;
        cpk_window sub = {w.col0, r0, w.nx, r1 - r0};
        if ((size_t)(sub.nx * sub.ny) > scratch_len) return CPK_E_ARG;
        if (cpk_coverage_polygon(&poly, geo, &sub, scratch) != CPK_OK) return CPK_E_ARG;
        const double per_cell = (double)v * cell_area / area;
        for (int64_t r = 0; r < sub.ny; ++r) {
            float *o = out->data + (r0 - row0 + r) * out->stride + sub.col0;
            const double *f = scratch + r * sub.nx;
            for (int64_t c = 0; c < sub.nx; ++c) {
                if (f[c] <= 0) continue;
                float cur = isnan(o[c]) ? 0.0f : o[c];
                o[c] = (float)((double)cur + f[c] * per_cell);
            }
        }
    }
    return CPK_OK;
}
