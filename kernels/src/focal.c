/* Disk focal sums by row chords over prefix sums (see cpk/focal.h). */
#include "cpk/focal.h"

#include <math.h>
#include <stdlib.h>

#include "team.h"

/* The disk predicate; tests use exactly the same expression. */
static int in_disk(int64_t di, int64_t dj, double dx, double dy, double r) {
    double a = (double)di * dx, b = (double)dj * dy;
    return a * a + b * b <= r * r;
}

int64_t cpk_focal_disk_halo(double dy, double radius_m) {
    if (!(dy > 0) || !(radius_m >= 0) || !isfinite(radius_m) || !isfinite(dy)) return -1;
    double q = floor(radius_m / dy);
    if (q > 1e15) return -1;
    int64_t h = (int64_t)q;
    while (h > 0 && !in_disk(0, h, 1, dy, radius_m)) --h;
    while (in_disk(0, h + 1, 1, dy, radius_m)) ++h;
    return h;
}

static int view_ok(const cpk_view_f32 *v) {
    return v && v->nx >= 0 && v->ny >= 0 && (v->ny == 0 || v->nx == 0 || v->data) &&
           v->stride >= v->nx;
}

static inline double cell_value(const cpk_view_f32 *v, float x) {
    if (!isfinite(x) || (v->has_nodata && x == v->nodata)) return 0.0;
    return (double)x;
}

cpk_status cpk_focal_sum_disk_f32(const cpk_view_f32 *in, double dx, double dy, double radius_m,
                                  int64_t row0, int64_t row1, const cpk_out_f32 *out,
                                  int nthreads) {
    if (!view_ok(in) || !out || !(dx > 0) || !isfinite(dx)) return CPK_E_ARG;
    int64_t halo = cpk_focal_disk_halo(dy, radius_m);
    if (halo < 0) return CPK_E_ARG;
    if (row0 < 0 || row1 < row0 || row1 > in->ny) return CPK_E_ARG;
    int64_t nrows = row1 - row0, nx = in->nx, ny = in->ny;
    if (out->nx != nx || out->ny < nrows || out->stride < nx || (nrows && nx && !out->data))
        return CPK_E_ARG;
    if (nrows == 0 || nx == 0) return CPK_OK;

    /* Half-widths of the chords, one per row offset dj in [-halo, halo] (symmetric). The
     * halo is capped by the view: rows beyond it never exist. */
    int64_t rh = halo < ny ? halo : ny;
    int64_t *hw = malloc(sizeof *hw * (size_t)(rh + 1));
    if (!hw) return CPK_E_NOMEM;
    for (int64_t dj = 0; dj <= rh; ++dj) {
        double b = (double)dj * dy;
        double rest = radius_m * radius_m - b * b;
        double q = rest > 0 ? floor(sqrt(rest) / dx) : 0;
        int64_t h = q > (double)nx ? nx : (int64_t)q;
        while (h > 0 && !in_disk(h, dj, dx, dy, radius_m)) --h;
        while (h < nx && in_disk(h + 1, dj, dx, dy, radius_m)) ++h;
        hw[dj] = h;
    }

    int nt = cpk_threads(nthreads);
    if (nt < 1) nt = 1;
    if ((int64_t)nt > nrows) nt = (int)nrows;
    int64_t win = 2 * rh + 1 < ny ? 2 * rh + 1 : ny; /* ring of prefix rows */
    size_t rowlen = (size_t)nx + 1;
    if ((size_t)win > (SIZE_MAX / sizeof(double) - (size_t)nx) / rowlen / (size_t)nt) {
        free(hw);
        return CPK_E_NOMEM;
    }
    size_t per_thread = (size_t)win * rowlen + (size_t)nx;
    double *scratch = malloc(sizeof(double) * per_thread * (size_t)nt);
    if (!scratch) {
        free(hw);
        return CPK_E_NOMEM;
    }

#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid = cpk_tid(), tn = cpk_team_size();
        /* Contiguous block of output rows per thread (static schedule). */
        int64_t a = row0 + nrows * tid / tn, b = row0 + nrows * (tid + 1) / tn;
        double *ring = scratch + per_thread * (size_t)tid;
        double *acc = ring + (size_t)win * rowlen;
        int64_t next = a - rh < 0 ? 0 : a - rh; /* next view row to turn into a prefix row */
        for (int64_t j = a; j < b; ++j) {
            int64_t last = j + rh < ny - 1 ? j + rh : ny - 1;
            for (; next <= last; ++next) {
                const float *src = in->data + next * in->stride;
                double *p = ring + (size_t)(next % win) * rowlen;
                double s = 0.0;
                p[0] = 0.0;
                for (int64_t i = 0; i < nx; ++i) {
                    s += cell_value(in, src[i]);
                    p[i + 1] = s;
                }
            }
            for (int64_t i = 0; i < nx; ++i) acc[i] = 0.0;
            for (int64_t dj = -rh; dj <= rh; ++dj) {
                int64_t k = j + dj;
                if (k < 0 || k >= ny) continue;
                const double *p = ring + (size_t)(k % win) * rowlen;
                int64_t h = hw[dj < 0 ? -dj : dj];
                int64_t lo = h < nx ? h : nx;           /* first interior cell */
                int64_t hi = nx - h > lo ? nx - h : lo; /* end of interior cells */
                for (int64_t i = 0; i < lo; ++i) {
                    int64_t e = i + h + 1 < nx ? i + h + 1 : nx;
                    acc[i] += p[e] - p[0];
                }
                for (int64_t i = lo; i < hi; ++i) acc[i] += p[i + h + 1] - p[i - h];
                for (int64_t i = hi; i < nx; ++i) {
                    int64_t s0 = i - h > 0 ? i - h : 0;
                    acc[i] += p[nx] - p[s0];
                }
            }
            float *dst = out->data + (j - row0) * out->stride;
            for (int64_t i = 0; i < nx; ++i) dst[i] = (float)acc[i];
        }
    }
    free(scratch);
    free(hw);
    return CPK_OK;
}
