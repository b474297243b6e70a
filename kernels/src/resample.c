/* Exact, sum-preserving resampling of counts (see cpk/resample.h). */
#include <math.h>
#include <stdlib.h>

#include "cpk/coverage.h"
#include "cpk/resample.h"
#include "team.h"

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
        /* rows the cell spans (a row of margin): most cells of a row band that another thread
         * or strip owns are dropped here, before the window and coverage work */
        double ya = fmax(fmax(q[1], q[3]), fmax(q[5], q[7]));
        double yb = fmin(fmin(q[1], q[3]), fmin(q[5], q[7]));
        if (ceil((geo->y0 - yb) / geo->dy) < (double)row0 ||
            floor((geo->y0 - ya) / geo->dy) > (double)row1)
            continue;
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

cpk_status cpk_sum_resample_rows_f32(const double *edges, const float *values, int64_t n, int64_t m,
                                     const cpk_geo *geo, int64_t row0, int64_t row1,
                                     const cpk_out_f32 *out, size_t scratch_len, int nthreads) {
    if (!edges || !values || !geo || !out || !out->data || n < 0 || m < 0 || row0 < 0 ||
        row1 < row0 || row1 > geo->ny || out->nx != geo->nx || out->ny < row1 - row0 ||
        out->stride < out->nx || !(geo->dy > 0) || scratch_len == 0)
        return CPK_E_ARG;
    if (m == 0 || n == 0 || row1 == row0) return CPK_OK;
    /* Target rows each source row can touch (from the extent of its two edges, one row of
     * margin each side); the bands then split the rows the m source rows touch. */
    int64_t *span = malloc(sizeof *span * 2 * (size_t)m);
    if (!span) return CPK_E_NOMEM;
    int64_t lo_all = row1, hi_all = row0;
    const int64_t stride = 2 * (n + 1);
    for (int64_t r = 0; r < m; ++r) {
        double ymin = INFINITY, ymax = -INFINITY;
        for (int e = 0; e < 2; ++e) {
            const double *p = edges + (r + e) * stride;
            for (int64_t i = 0; i <= n; ++i) {
                double y = p[2 * i + 1];
                ymin = y < ymin ? y : ymin; /* NaN corners compare false: skipped */
                ymax = y > ymax ? y : ymax;
            }
        }
        int64_t lo = row1, hi = row0; /* empty */
        if (ymin <= ymax) {
            double a = floor((geo->y0 - ymax) / geo->dy) - 1,
                   b = floor((geo->y0 - ymin) / geo->dy) + 2;
            lo = a < (double)row0 ? row0 : a > (double)row1 ? row1 : (int64_t)a;
            hi = b > (double)row1 ? row1 : b < (double)row0 ? row0 : (int64_t)b;
        }
        span[2 * r] = lo, span[2 * r + 1] = hi;
        if (lo < hi) {
            lo_all = lo < lo_all ? lo : lo_all;
            hi_all = hi > hi_all ? hi : hi_all;
        }
    }
    if (lo_all >= hi_all) {
        free(span);
        return CPK_OK;
    }
    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    if ((int64_t)nt > hi_all - lo_all) nt = (int)(hi_all - lo_all);
    double *scratch = malloc(sizeof *scratch * scratch_len * (size_t)nt);
    if (!scratch) {
        free(span);
        return CPK_E_NOMEM;
    }
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1) reduction(| : failed)
#endif
    for (int b = 0; b < nt; ++b) {
        int tid = cpk_tid();
        int64_t ba = lo_all + (hi_all - lo_all) * b / nt,
                bb = lo_all + (hi_all - lo_all) * (b + 1) / nt;
        cpk_out_f32 o = {out->data + (ba - row0) * out->stride, out->nx, bb - ba, out->stride};
        for (int64_t r = 0; r < m && !failed; ++r) {
            if (span[2 * r] >= bb || span[2 * r + 1] <= ba) continue;
            failed |= cpk_sum_resample_row_f32(
                          edges + r * stride, edges + (r + 1) * stride, values + r * n, n, geo, ba,
                          bb, &o, scratch + scratch_len * (size_t)tid, scratch_len) != CPK_OK;
        }
    }
    free(scratch);
    free(span);
    return failed ? CPK_E_ARG : CPK_OK;
}
