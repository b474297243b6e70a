/* Internal engine types shared by the pipeline stages: the analysis grid, the hazards read
 * from the scenario, and their metrics. Not part of the public API. */
#ifndef CP_ENGINE_H
#define CP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <gdal.h>
#include <geos_c.h>
#include <ogr_srs_api.h>

#include <clearplan/output.h>
#include <clearplan/scenario.h>

#include "cpk/coverage.h"
#include "cpk/cpk.h"

/* The analysis grid: a projected CRS in metres, one cell size, one extent. */
typedef struct {
    cpk_geo geo;
    char *wkt;                /* CRS as WKT */
    char crs_name[64];        /* e.g. "EPSG:32618" */
    OGRSpatialReferenceH srs; /* traditional GIS axis order */
} cp_grid;

/* Builds the grid from the scenario: CRS (grid.crs or the UTM zone of the hazards'
 * centroid), extent (grid.aoi or the hazards' extent grown by the largest criterion radius),
 * snapped to whole cells. */
cp_status cp_grid_build(const cp_scenario *sc, cp_grid *g);
void cp_grid_clear(cp_grid *g);
/* The largest neighbourhood radius of the criteria (focal radius, distance cap, bandwidth). */
double cp_criteria_max_radius(const cp_scenario *sc);

/* A run's output folder `dir` (NULL: the scenario's outputs.dir) checked against the
 * scenario, its inputs and the places never written (clearplan/output.h): with `out`, the
 * transaction is begun; with out = NULL the checks alone are made (validate). */
cp_status cp_run_output(const cp_scenario *sc, const char *dir, int overwrite, int no_sync,
                        cp_output **out);

/* One hazard polygon, read and cleaned. */
typedef struct {
    char *id;
    int status;         /* CP_STATUS_SHA / CP_STATUS_CHA */
    char *region;       /* NULL when the scenario has no region field */
    int locked;         /* the locked field said "first" */
    int repaired;       /* make-valid changed the geometry */
    int64_t fid;        /* OGR feature id, for messages */
    size_t input_index; /* position in the input layer */
    GEOSGeometry *geom; /* in the grid CRS, polygonal, valid */
    /* coverage arrays (GeoArrow offsets) of geom and of geom grown by the focal radius */
    double *xy;
    int64_t *ring_offsets, *part_offsets;
    int64_t nrings, nparts;
    cpk_window win;
    double *bxy;
    int64_t *bring_offsets, *bpart_offsets;
    int64_t bnrings, bnparts;
    cpk_window bwin;
} cp_hazard_in;

/* A hazard that cannot be planned, with the reason. */
typedef struct {
    char *id; /* may be NULL (missing id) */
    int64_t fid;
    size_t input_index;
    char *reason;
    unsigned char *wkb; /* geometry when there is one (input CRS), else NULL */
    size_t wkb_len;
} cp_rejected;

typedef struct {
    cp_hazard_in *items;
    size_t n;
    cp_rejected *rejected;
    size_t nrejected;
    size_t nread;     /* features read */
    size_t nrepaired; /* geometries repaired by make-valid */
    GEOSContextHandle_t geos;
} cp_hazard_set;

/* Reads the hazards layer into the grid CRS: repairs invalid geometries, rejects null,
 * empty, unusable, duplicate-id, unknown-status and outside-the-grid hazards with a reason.
 * `buffer_m` > 0 also prepares each hazard grown by that distance (people_within_m). */
cp_status cp_hazards_read(const cp_scenario *sc, const cp_grid *g, double buffer_m,
                          cp_hazard_set *hs);
void cp_hazards_clear(cp_hazard_set *hs);

/* The area of interest: the union of a vector file's polygons, in the grid CRS. */
typedef struct {
    double *xy;
    int64_t *ring_offsets, *part_offsets;
    int64_t nrings, nparts;
} cp_aoi;

cp_status cp_aoi_read(const char *path, const cp_grid *g, cp_aoi *aoi);
void cp_aoi_clear(cp_aoi *aoi);

/* Opens a raster input on the grid: a window of the file when it is already on the grid
 * (same CRS, cell size and alignment), else a GDAL warped VRT with the input's resampling,
 * warping with `threads` threads. Nothing is read until rows are asked for. Errors: cannot
 * open, no CRS (unless assume_crs), no geotransform, no overlap with the grid. */
cp_status cp_input_warp(const cp_input *in, const cp_grid *g, int threads, GDALDatasetH *out);

#endif
