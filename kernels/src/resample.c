/* Exact, sum-preserving resampling of counts (see cpk/resample.h). */
#include <math.h>
#include <stdlib.h>

#include "cpk/coverage.h"
#include "cpk/resample.h"
#include "cells.h"
#include "team.h"

/* An edge of n + 1 corners in grid coordinates (cells.h), NaN where a corner is not finite. */
static void edge_cells(const double *xy, int64_t n, const cpk_geo *geo, double *uv) {
    for (int64_t i = 0; i <= n; ++i) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        int ok = isfinite(x) && isfinite(y);
        uv[2 * i] = ok ? cpk_cells_u(x, geo) : NAN;
        uv[2 * i + 1] = ok ? cpk_cells_v(y, geo) : NAN;
    }
}

/* One source row, its edges given twice: in world coordinates (top, bottom: the cells' areas
 * and orientation) and in grid coordinates (tuv, buv: the coverage walk). Each cell is the
 * polygon cpk_coverage_window and cpk_coverage_polygon would cover, with the same arithmetic
 * on corners converted once instead of eight times. */
static cpk_status row_cells(const double *top, const double *bottom, const double *tuv,
                            const double *buv, const float *values, int64_t n, const cpk_geo *geo,
                            int64_t row0, int64_t row1, const cpk_out_f32 *out, double *scratch,
                            size_t scratch_len) {
    const double cell_area = geo->dx * geo->dy;
    for (int64_t i = 0; i < n; ++i) {
        float v = values[i];
        if (isnan(v)) continue;
        /* upper-left, upper-right, lower-right, lower-left */
        double uv[8] = {tuv[2 * i],     tuv[2 * i + 1], tuv[2 * i + 2], tuv[2 * i + 3],
                        buv[2 * i + 2], buv[2 * i + 3], buv[2 * i],     buv[2 * i + 1]};
        if (isnan(uv[0]) || isnan(uv[2]) || isnan(uv[4]) || isnan(uv[6])) continue;
        double umin = uv[0], umax = uv[0], vmin = uv[1], vmax = uv[1];
        for (int k = 1; k < 4; ++k) {
            umin = uv[2 * k] < umin ? uv[2 * k] : umin, umax = uv[2 * k] > umax ? uv[2 * k] : umax;
            vmin = uv[2 * k + 1] < vmin ? uv[2 * k + 1] : vmin;
            vmax = uv[2 * k + 1] > vmax ? uv[2 * k + 1] : vmax;
        }
        /* rows the cell spans (a row of margin): most cells of a row band that another thread
         * or strip owns are dropped here, before the window and coverage work */
        if (ceil(vmax) < (double)row0 || floor(vmin) > (double)row1) continue;
        double q[8] = {top[2 * i],        top[2 * i + 1],    top[2 * i + 2], top[2 * i + 3],
                       bottom[2 * i + 2], bottom[2 * i + 3], bottom[2 * i],  bottom[2 * i + 1]};
        double area = 0.5 * fabs((q[0] * q[3] - q[2] * q[1]) + (q[2] * q[5] - q[4] * q[3]) +
                                 (q[4] * q[7] - q[6] * q[5]) + (q[6] * q[1] - q[0] * q[7]));
        if (!(area > 0)) continue;
        cpk_window w = cpk_cells_window(umin, umax, vmin, vmax, geo);
        if (w.nx == 0 || w.ny == 0) continue;
        int64_t r0 = w.row0 > row0 ? w.row0 : row0;
        int64_t r1 = w.row0 + w.ny < row1 ? w.row0 + w.ny : row1;
        if (r1 <= r0) continue;
        cpk_window sub = {w.col0, r0, w.nx, r1 - r0};
        if ((size_t)(sub.nx * sub.ny) > scratch_len) return CPK_E_ARG;
        /* the ring as cpk_coverage_polygon takes it: without a closing point repeating the
         * first, oriented by its signed area, skipped when that is zero */
        int64_t np = q[0] == q[6] && q[1] == q[7] ? 3 : 4;
        double a2 = cpk_ring_area2(q, np);
        if (a2 == 0.0 || !isfinite(a2)) continue;
        cpk_coverage_ring_cells(uv, np, a2 > 0 ? 1.0 : -1.0, &sub, scratch);
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

cpk_status cpk_sum_resample_row_f32(const double *top, const double *bottom, const float *values,
                                    int64_t n, const cpk_geo *geo, int64_t row0, int64_t row1,
                                    const cpk_out_f32 *out, double *scratch, size_t scratch_len) {
    if (!top || !bottom || !values || !geo || !out || !out->data || !scratch || n < 0 || row0 < 0 ||
        row1 < row0 || row1 > geo->ny || out->nx != geo->nx || out->ny < row1 - row0 ||
        out->stride < out->nx)
        return CPK_E_ARG;
    double *uv = malloc(sizeof *uv * 4 * (size_t)(n + 1));
    if (!uv) return CPK_E_NOMEM;
    edge_cells(top, n, geo, uv);
    edge_cells(bottom, n, geo, uv + 2 * (n + 1));
    cpk_status s = row_cells(top, bottom, uv, uv + 2 * (n + 1), values, n, geo, row0, row1, out,
                             scratch, scratch_len);
    free(uv);
    return s;
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
    /* bands of target rows, a few per thread taken as they come: the cells of a chunk fall
     * unevenly on its rows (a strip's rows cross the source's at an angle away from the
     * central meridian). Each target cell is one band's, its source cells added in the same
     * order whatever the bands: the same bits. */
    int nb = nt > 1 ? 4 * nt : 1;
    if ((int64_t)nb > hi_all - lo_all) nb = (int)(hi_all - lo_all);
    double *scratch = malloc(sizeof *scratch * scratch_len * (size_t)nt);
    double *uv = malloc(sizeof *uv * (size_t)stride * (size_t)(m + 1)); /* edges on the grid */
    if (!scratch || !uv) {
        free(scratch), free(uv), free(span);
        return CPK_E_NOMEM;
    }
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(| : failed)
#endif
    {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (int64_t e = 0; e <= m; ++e) edge_cells(edges + e * stride, n, geo, uv + e * stride);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int b = 0; b < nb; ++b) {
            int tid = cpk_tid();
            int64_t ba = lo_all + (hi_all - lo_all) * b / nb,
                    bb = lo_all + (hi_all - lo_all) * (b + 1) / nb;
            cpk_out_f32 o = {out->data + (ba - row0) * out->stride, out->nx, bb - ba, out->stride};
            for (int64_t r = 0; r < m && !failed; ++r) {
                if (span[2 * r] >= bb || span[2 * r + 1] <= ba) continue;
                failed |= row_cells(edges + r * stride, edges + (r + 1) * stride, uv + r * stride,
                                    uv + (r + 1) * stride, values + r * n, n, geo, ba, bb, &o,
                                    scratch + scratch_len * (size_t)tid, scratch_len) != CPK_OK;
            }
        }
    }
    free(scratch), free(uv), free(span);
    return failed ? CPK_E_ARG : CPK_OK;
}
