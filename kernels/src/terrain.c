/* Slope by Horn's method (see cpk/terrain.h). */
#include "cpk/terrain.h"

#include <math.h>

#include "team.h"

static int view_ok(const cpk_view_f32 *v) {
    return v && v->nx >= 0 && v->ny >= 0 && (v->ny == 0 || v->nx == 0 || v->data) &&
           v->stride >= v->nx;
}

static inline int missing(const cpk_view_f32 *v, float x) {
    return !isfinite(x) || (v->has_nodata && x == v->nodata);
}

cpk_status cpk_slope_f32(const cpk_view_f32 *in, double dx, double dy, int64_t row0, int64_t row1,
                         const cpk_out_f32 *out, int nthreads) {
    if (!view_ok(in) || !out || !(dx > 0) || !(dy > 0) || !isfinite(dx) || !isfinite(dy))
        return CPK_E_ARG;
    if (row0 < 0 || row1 < row0 || row1 > in->ny) return CPK_E_ARG;
    const int64_t nrows = row1 - row0, nx = in->nx;
    if (out->nx != nx || out->ny < nrows || out->stride < nx || (nrows && nx && !out->data))
        return CPK_E_ARG;
    const double to_deg = 180.0 / 3.14159265358979323846;
#pragma omp parallel for num_threads(cpk_threads(nthreads)) schedule(dynamic, 4)
    for (int64_t k = 0; k < nrows; ++k) {
        const int64_t j = row0 + k;
        float *o = out->data + k * out->stride;
        if (j == 0 || j + 1 >= in->ny) { /* a neighbour row is outside the view */
            for (int64_t i = 0; i < nx; ++i) o[i] = NAN;
            continue;
        }
        const float *up = in->data + (j - 1) * in->stride, *mid = up + in->stride,
                    *down = mid + in->stride;
        for (int64_t i = 0; i < nx; ++i) {
            if (i == 0 || i + 1 >= nx) {
                o[i] = NAN;
                continue;
            }
            float a = up[i - 1], b = up[i], c = up[i + 1], d = mid[i - 1], e = mid[i],
                  f = mid[i + 1], g = down[i - 1], h = down[i], q = down[i + 1];
            if (missing(in, a) || missing(in, b) || missing(in, c) || missing(in, d) ||
                missing(in, e) || missing(in, f) || missing(in, g) || missing(in, h) ||
                missing(in, q)) {
                o[i] = NAN;
                continue;
            }
            double zx = (((double)c + 2.0 * f + q) - ((double)a + 2.0 * d + g)) / (8.0 * dx);
            double zy = (((double)g + 2.0 * h + q) - ((double)a + 2.0 * b + c)) / (8.0 * dy);
            o[i] = (float)(atan(sqrt(zx * zx + zy * zy)) * to_deg);
        }
    }
    return CPK_OK;
}
