/* clearplan — standalone raster tools: each kernel as a GDAL-style operation on files.
 *
 * Example:
 *
 *     cp_proximity_options o = cp_proximity_defaults();
 *     o.max_dist = 5000;                       // metres, since geo_units
 *     o.geo_units = 1;
 *     cp_tool_result r;
 *     cp_status s = cp_tool_proximity("sources.tif", "distance.tif", &o, cp_progress_term,
 *                                     NULL, &r);
 *     if (s == CP_OK) printf("%lld cells in %d strips\n", r.cells, r.strips);
 *
 * Inputs are read and outputs written in strips of rows with a halo (the operation's radius)
 * under `memory_mb`, so grids far larger than memory work; outputs are GeoTIFFs with the
 * input's grid and CRS (uncompressed by default, like GDAL's tools; creation options choose
 * tiling and compression), written through the output transaction of clearplan/output.h:
 * an output that is an input, an existing file without `overwrite` or one clearplan did not
 * write is refused before any work; the file is written under a temporary name and
 * published when complete (nothing is left behind on failure or interruption). Progress is reported
 * from the calling thread only; when the callback returns 0 the tool stops and returns
 * CP_E_INTERRUPTED. Results are the same for any thread count or memory budget. */
#ifndef CLEARPLAN_TOOLS_H
#define CLEARPLAN_TOOLS_H

#include <stddef.h>

#include <clearplan/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Options every tool shares. */
typedef struct {
    int threads;                         /* 0: all cores */
    size_t memory_mb;                    /* strip memory budget; 0: CP_MEMORY_DEFAULT_MB */
    const char *const *creation_options; /* GeoTIFF NAME=VALUE, NULL-terminated, or NULL */
    int overwrite; /* replace an existing output clearplan wrote (clearplan/output.h) */
    int no_sync;   /* publish the output without waiting for it to reach the disk */
    /* the CRS of an input that has none (EPSG:32633, WKT, a PROJ string), given to the output
     * too; NULL: such an input is an error where the tool needs a CRS. A file's own CRS wins. */
    const char *assume_crs;
} cp_tool_common;

/* Proximity (gdal_proximity.py's semantics, exact distances). */
typedef struct {
    cp_tool_common common;
    int band;             /* input band, 1-based (0: 1) */
    const double *values; /* source values; NULL: every non-zero, non-nodata cell */
    size_t nvalues;
    double max_dist;         /* > 0, or INFINITY (the default): no limit; output units */
    int geo_units;           /* 0: distances in cells (gdal_proximity's default), 1: in CRS units */
    int has_nodata;          /* output nodata, also written beyond max_dist / with no source */
    double nodata;           /* default (has_nodata = 0): 65535, as gdal_proximity */
    const char *output_type; /* GDAL type name; NULL: "Float32" */
} cp_proximity_options;

/* Disk focal sum: sum of the cells whose centre lies within radius_m metres (nodata as 0). */
typedef struct {
    cp_tool_common common;
    int band;
    double radius_m;
} cp_focal_sum_options;

/* Quartic kernel density of points (per km²) on the grid of a template raster. */
typedef struct {
    cp_tool_common common;
    const char *like_path;    /* template raster: grid, CRS */
    const char *layer;        /* NULL: the only layer (an error when there are several) */
    const char *weight_field; /* NULL: every point weighs 1 */
    double bandwidth_m;
} cp_density_options;

/* What a tool did, for the caller to report. */
typedef struct {
    long long cells;          /* output cells written */
    long long points_used;    /* density: points stamped */
    long long points_skipped; /* density: null/empty geometries or null weights */
    int strips;               /* strips processed */
    /* the input paths given (pointers to the caller's strings, NULL after the last) whose file
     * has a CRS of its own other than common.assume_crs, which no input took: the files' own
     * were used (an assume_crs taken by an input without a CRS is no news for the other) */
    const char *crs_kept[3];
} cp_tool_result;

CP_API cp_proximity_options cp_proximity_defaults(void);

/* The tools. `result` may be NULL. */
CP_API cp_status cp_tool_proximity(const char *in_path, const char *out_path,
                                   const cp_proximity_options *opt, cp_progress_fn progress,
                                   void *progress_arg, cp_tool_result *result);
CP_API cp_status cp_tool_focal_sum(const char *in_path, const char *out_path,
                                   const cp_focal_sum_options *opt, cp_progress_fn progress,
                                   void *progress_arg, cp_tool_result *result);
CP_API cp_status cp_tool_density(const char *points_path, const char *out_path,
                                 const cp_density_options *opt, cp_progress_fn progress,
                                 void *progress_arg, cp_tool_result *result);

#ifdef __cplusplus
}
#endif

#endif
