/* Inputs on the analysis grid: warped rasters and reprojected, weighted points. */
#ifndef CP_INPUTS_H
#define CP_INPUTS_H

#include <ogr_api.h>

#include <gdal.h>

#include <clearplan/scenario.h>
#include <clearplan/status.h>

#include "grid.h"

/* Opens a raster input on the grid: a window of the file when it is already on the grid
 * (same CRS, cell size and alignment), else a GDAL warped VRT with the input's resampling,
 * warping with `threads` threads in chunks of at most `warp_bytes` (gdalwarp -wm; 0: GDAL's
 * 64 MB). Nothing is read until rows are asked for. Errors: cannot open, no CRS (unless
 * assume_crs), no geotransform, no overlap with the grid. */
cp_status cp_input_warp(const cp_input *in, const cp_grid *g, int threads, size_t warp_bytes,
                        GDALDatasetH *out);

/* Whether in->assume_crs goes unused: the file has a CRS of its own, other than the one
 * assume_crs names (the file's wins: docs/inputs.md). 0 without assume_crs, or when the file
 * cannot be opened (reading it says why). */
int cp_input_assume_unused(const cp_input *in);

/* Reads rows row0 .. row0+nrows-1 of band 1 of a warped input into buf (nrows x grid nx),
 * nodata as NaN. */
cp_status cp_input_read_rows(GDALDatasetH ds, const char *path, const cp_grid *g, int64_t row0,
                             int64_t nrows, float *buf);

/* A raster input on the analysis grid, read by rows: a window of a file already on the grid,
 * a GDAL warped VRT, or — for `sum` inputs (people per cell) — an exact, sum-preserving
 * redistribution of each source cell over the grid cells its footprint covers. */
typedef struct cp_grid_input cp_grid_input;

cp_status cp_grid_input_open(const cp_input *in, const cp_grid *g, int threads, size_t warp_bytes,
                             cp_grid_input **out);
/* Rows row0 .. row0+nrows-1 into buf (nrows x grid nx), nodata as NaN. */
cp_status cp_grid_input_read(cp_grid_input *gi, int64_t row0, int64_t nrows, float *buf);
void cp_grid_input_close(cp_grid_input *gi);
/* Whether the exact resampling transforms its corners with PROJ directly rather than through
 * GDAL (only where that gives GDAL's very coordinates, inputs.c direct_proj_open): 0 through
 * GDAL, 1 PROJ's operation, 2 the operation's projection alone, fed radians. */
int cp_grid_input_direct_proj(const cp_grid_input *gi);
/* Sends the corners through GDAL from now on (tests compare the two ways). */
void cp_grid_input_through_gdal(cp_grid_input *gi);
/* Transforms every corner of a window's edges from now on, not only those of the segments
 * whose cells can reach the strip read (tests compare the two ways). */
void cp_grid_input_all_corners(cp_grid_input *gi);
/* 1 when the input is read through GDAL's warper (whose chunk memory counts in budgets). */
int cp_grid_input_warped(const cp_grid_input *gi);
/* Bytes a read allocates whatever its rows (the exact resampling's chunk of corners, in world
 * and in grid coordinates, and its threads' scratch), for budgets; 0 for other inputs. */
size_t cp_grid_input_fixed_bytes(const cp_grid_input *gi);

/* Weighted points in the grid CRS. */
typedef struct {
    double *x, *y;
    double *w;
    cp_date *date; /* the date field's value (0: none or unreadable) */
    size_t n;
} cp_points;

/* Reads points (features' centroids for non-point geometries). With a density criterion `c`,
 * each weight is confidence x 0.5^(age_days / half_life_days) as of c->as_of (x the weight
 * field's value); features with a null geometry, an unreadable or future date, a confidence
 * that is not a number in 0..100 (values above 1 are percent; a null one counts as 1) or a
 * weight that is not a number >= 0 are skipped and counted. Without `c` the weight is the
 * confidence and the date skips nothing. pts->date keeps each point's date either way (0
 * without a date field or for an unreadable one). */
cp_status cp_points_read(const cp_input *in, const cp_grid *g, const cp_criterion *c,
                         cp_points *pts, size_t *skipped);
void cp_points_clear(cp_points *p);

/* Vector features (any geometry) in the grid CRS: sources of a distance criterion. */
typedef struct {
    OGRGeometryH *geoms;
    OGREnvelope *env;
    size_t n, skipped; /* skipped: null, empty or untransformable geometries */
    GDALDatasetH mem;  /* rasterisation buffer */
    int64_t mem_rows;
} cp_features;

cp_status cp_features_read(const cp_input *in, const cp_grid *g, cp_features *f);
/* Burns the features touching rows row0..row0+nrows-1 into buf as 1 (all touched), 0
 * elsewhere. */
cp_status cp_features_burn(cp_features *f, const cp_grid *g, int64_t row0, int64_t nrows,
                           float *buf);
void cp_features_clear(cp_features *f);

#endif
