/* cpk — clearplan's pure raster and geometry kernels.
 *
 * Rules every kernel follows:
 *  - C11 + libm + OpenMP only: no GDAL, PROJ, GEOS, no I/O, no globals, no logging.
 *  - Buffers are owned by the caller; kernels never keep pointers after returning.
 *  - Arguments are checked before any parallel region; the status tells what was wrong.
 *  - Results are bit-identical for any thread count (no order-dependent FP reductions).
 *  - Neighbourhood kernels work on strips: the input view holds the strip plus a halo, and
 *    the caller names the rows of the view to compute (`row0`..`row1`). Cells outside the
 *    view do not exist for the kernel, so with a halo at least the operation's radius the
 *    computed rows equal those of a whole-grid run, bit for bit.
 *
 * Family headers: cpk/edt.h, cpk/focal.h, cpk/density.h, cpk/coverage.h, cpk/zonal.h,
 * cpk/overlay.h, cpk/terrain.h, cpk/pyramid.h. */
#ifndef CPK_CPK_H
#define CPK_CPK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kernels' functions, exported by the installed library (built with hidden visibility). */
#if defined(__GNUC__)
#define CPK_API __attribute__((visibility("default")))
#else
#define CPK_API
#endif

typedef enum {
    CPK_OK = 0,
    CPK_E_ARG,   /* a size, stride, radius or pointer is invalid */
    CPK_E_NOMEM, /* scratch allocation failed or a size overflows */
} cpk_status;

CPK_API const char *cpk_strerror(cpk_status s);

/* Geometry of a north-up grid. Column i, row j covers
 *   x in [x0 + i*dx, x0 + (i+1)*dx],  y in [y0 - (j+1)*dy, y0 - j*dy]
 * with dx, dy > 0 (metres in an analysis grid). (x0, y0) is the top-left corner. */
typedef struct {
    double x0, y0;
    double dx, dy;
    int64_t nx, ny;
} cpk_geo;

/* A read-only Float32 raster view: `ny` rows of `nx` cells, row j starts at data + j*stride
 * (stride in elements, >= nx). Cells equal to `nodata` (when has_nodata) or NaN are nodata. */
typedef struct {
    const float *data;
    int64_t nx, ny;
    ptrdiff_t stride;
    float nodata;
    int has_nodata;
} cpk_view_f32;

/* A writable Float32 raster view. */
typedef struct {
    float *data;
    int64_t nx, ny;
    ptrdiff_t stride;
} cpk_out_f32;

/* Number of threads for a kernel: n > 0 uses n, 0 uses OpenMP's default. */
CPK_API int cpk_threads(int n);

/* A kernel's scratch kept by the caller from one call to the next (strip after strip), for
 * the kernels that take one (cpk_focal_sum_disk_ws_f32): a large scratch is then mapped and
 * its pages faulted in once, not at every call. Start it zeroed; a kernel grows it to what it
 * needs (the contents between calls mean nothing); cpk_workspace_free() releases it. */
typedef struct {
    void *data;
    size_t bytes;
} cpk_workspace;

/* At least `bytes` of the workspace (grown, contents not kept); NULL when out of memory. */
CPK_API void *cpk_workspace_get(cpk_workspace *ws, size_t bytes);
CPK_API void cpk_workspace_free(cpk_workspace *ws);

#ifdef __cplusplus
}
#endif

#endif
