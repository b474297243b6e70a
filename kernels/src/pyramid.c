/* One level of an overview pyramid from the level above (see cpk/pyramid.h). */
#include "cpk/pyramid.h"

#include <math.h>

int64_t cpk_pyramid_size(int64_t n) {
    return n / 2 > 1 ? n / 2 : 1;
}

cpk_status cpk_pyramid_mean_f32(const float *a, const float *b, int64_t nx_in, int has_nodata,
                                float nodata, float *out) {
    if (!a || !out || nx_in < 1) return CPK_E_ARG;
    const int64_t nx = cpk_pyramid_size(nx_in);
    const float none = has_nodata ? nodata : NAN;
    for (int64_t c = 0; c < nx; ++c) {
        const int64_t i = 2 * c, w = i + 1 < nx_in ? 2 : 1;
        double row_sum[2] = {0, 0};
        int n = 0;
        for (int r = 0; r < 2; ++r) {
            const float *row = r ? b : a;
            if (!row) break;
            for (int64_t k = i; k < i + w; ++k) {
                float v = row[k];
                if (isnan(v) || (has_nodata && v == nodata)) continue;
                row_sum[r] += v;
                ++n;
            }
        }
        double sum = row_sum[0] + row_sum[1];
        out[c] = n ? (float)(sum / n) : none;
    }
    return CPK_OK;
}

cpk_status cpk_pyramid_first_u8(const uint8_t *a, int64_t nx_in, uint8_t *out) {
    if (!a || !out || nx_in < 1) return CPK_E_ARG;
    const int64_t nx = cpk_pyramid_size(nx_in);
    for (int64_t c = 0; c < nx; ++c) out[c] = a[2 * c];
    return CPK_OK;
}
