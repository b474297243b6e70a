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
#include "criteria.h"
#include "grid.h"
#include "intake.h"
#include "vector.h"

/* A run's output folder `dir` (NULL: the scenario's outputs.dir) checked against the
 * scenario, its inputs and the places never written (clearplan/output.h): with `out`, the
 * transaction is begun; with out = NULL the checks alone are made (validate). */
cp_status cp_run_output(const cp_scenario *sc, const char *dir, int overwrite, int no_sync,
                        cp_output **out);

/* One hazard polygon, read and cleaned. */
typedef struct {
    char *id;
    int status;              /* CP_STATUS_SHA / CP_STATUS_CHA */
    char *region;            /* NULL when the scenario has no region field */
    int locked;              /* the locked field said "first" */
    int repaired;            /* make-valid changed the geometry */
    int64_t fid;             /* OGR feature id, for messages */
    size_t input_index;      /* position in the input layer */
    GEOSGeometry *geom;      /* in the grid CRS: a valid MultiPolygon (io/intake.h) */
    cp_polygon_arrays shape; /* geom as coverage arrays, and its cell window */
    cpk_window win;
    cp_polygon_arrays grown; /* geom grown by the focal radius (empty when not asked for),
                                and its window */
    cpk_window gwin;
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

/* Reads the hazards and builds the analysis grid around them (DESIGN §5, §7):
 *  1. the grid's CRS: grid.crs, or the UTM zone (WGS 84) of the hazards' mean position (the
 *     circular mean of their longitudes, so hazards either side of ±180° give the zone there);
 *  2. every feature through the intake (io/intake.h) into that CRS: missing or duplicate ids,
 *     unknown statuses, regions without teams and unusable geometries are rejected with a
 *     reason, invalid polygons repaired;
 *  3. the extent: grid.aoi's polygons, or the hazards' polygons grown by the largest criterion
 *     radius — both taken in the grid's CRS, not from a layer's envelope — snapped outwards to
 *     whole cells; a grid of more than grid.max_cells cells is an error naming its extent;
 *  4. each hazard's coverage arrays and cell window; hazards outside the grid are rejected.
 * `buffer_m` > 0 also prepares each hazard grown by that distance (people_within_m), over
 * `threads` (cpk_threads). Rejected rows are in input order. */
cp_status cp_hazards_read(const cp_scenario *sc, double buffer_m, int threads, cp_grid *g,
                          cp_hazard_set *hs);
void cp_hazards_clear(cp_hazard_set *hs);

/* The grid's CRS (step 1 above) for the hazards layer `hv` of `path`: g->srs, wkt, crs_name. */
cp_status cp_grid_crs(const cp_scenario *sc, const cp_vector *hv, const char *path, cp_grid *g);
/* The grid's cells over box = {min x, min y, max x, max y} in its CRS, snapped outwards to
 * whole cells, within grid.max_cells (step 3 above). */
cp_status cp_grid_extent(const cp_scenario *sc, const double box[4], cp_grid *g);

/* The area of interest: the union of a vector file's polygons, in the grid CRS. */
typedef cp_polygon_arrays cp_aoi;

/* Reads grid.aoi through the intake into the grid's CRS (only g's CRS is used). */
cp_status cp_aoi_read(const char *path, const cp_grid *g, cp_aoi *aoi);
void cp_aoi_clear(cp_aoi *aoi);

#endif
