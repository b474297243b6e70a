/* clearplan — exact zonal statistics of polygons over a raster band, to CSV.
 *
 * Example:
 *
 *     cp_zonal_options o = cp_zonal_defaults();
 *     o.stats = CP_ZONAL_SUM | CP_ZONAL_MEAN | CP_ZONAL_CLASSES;
 *     cp_zonal_result r;
 *     cp_status s = cp_tool_zonal("population.tif", "hazards.gpkg", "stats.csv", &o,
 *                                 cp_progress_term, NULL, &r);
 *     if (s == CP_OK && r.repaired) printf("%lld polygons repaired\n", r.repaired);
 *
 * Every cell counts with its exact coverage fraction f (area of polygon ∩ cell / cell area;
 * cpk/coverage.h), not all-touched or centre-in-cell. Polygons are read through the same
 * intake as `clearplan run` (docs/inputs.md): reprojected to the raster's CRS, invalid ones
 * repaired with GEOS make-valid and unioned, so a polygon has the same area here as in a run. The
 * raster is read in strips of rows under `common.memory_mb`; results are the same for any
 * thread count and memory budget.
 *
 * CSV: one row per feature, in layer order, never dropped: the feature's attribute fields,
 * then the statistics asked for, in this order:
 *   sum          Σ f·v over valid cells (e.g. people from people per cell)
 *   mean         sum / Σ f (coverage-weighted mean)
 *   min, max     over valid cells with f > 0
 *   area         covered valid area, Σ f · cell area (CRS units², m² in a projected CRS),
 *                followed by nodata_area: the covered area of nodata cells
 *   count        valid cells with f > 0
 *   classes      class_<value>_share for every class value present in some polygon: Σ f of
 *                the cells of that value / Σ f of valid cells
 * Attributes are written as the intake reads ids: integers as integers, reals in their
 * shortest form (12.0 as 12).
 * Nodata (the band's nodata value, NaN) is excluded from everything but nodata_area. Null,
 * empty, non-polygonal, untransformable or unrepairable geometries have every statistic
 * empty; a polygon outside the
 * raster has sum, area and count 0 and the others empty; mean/min/max are empty without
 * valid cells. The CSV is written through the output transaction (clearplan/output.h). */
#ifndef CLEARPLAN_ZONAL_H
#define CLEARPLAN_ZONAL_H

#include <clearplan/status.h>
#include <clearplan/tools.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Statistics, as bits of cp_zonal_options.stats. */
enum {
    CP_ZONAL_SUM = 1 << 0,
    CP_ZONAL_MEAN = 1 << 1,
    CP_ZONAL_MIN = 1 << 2,
    CP_ZONAL_MAX = 1 << 3,
    CP_ZONAL_AREA = 1 << 4,
    CP_ZONAL_COUNT = 1 << 5,
    CP_ZONAL_CLASSES = 1 << 6,
};

typedef struct {
    cp_tool_common
        common;        /* threads (0: all cores), memory_mb (0: the default); no creation options */
    const char *layer; /* polygon layer; NULL: the file's only layer (several: an error) */
    int band;          /* raster band, 1-based; 0: 1 */
    unsigned stats;    /* CP_ZONAL_* bits; 0: sum, mean, min, max, area, count */
    int max_classes;   /* classes: refuse more distinct values than this; 0: 256 */
} cp_zonal_options;

/* What the tool did. */
typedef struct {
    long long features; /* rows written */
    long long repaired; /* invalid polygons repaired with make-valid */
    long long empty;    /* geometries the intake rejects: null, empty, non-polygonal,
                           untransformable or unrepairable */
    long long outside;  /* polygons not touching the raster */
    int strips;         /* raster strips read in the statistics pass */
    int classes;        /* class columns written */
    /* the raster or polygons path given (the caller's strings, NULL after the last) whose file
     * has a CRS of its own other than common.assume_crs, which neither took (both have a
     * CRS): the files' own were used */
    const char *crs_kept[3];
} cp_zonal_result;

CP_API cp_zonal_options cp_zonal_defaults(void);

/* Parses a comma-separated list "sum,mean,min,max,area,count,classes" into CP_ZONAL_* bits.
 * CP_E_ARG with the unknown name in the detail message. */
CP_API cp_status cp_zonal_parse_stats(const char *list, unsigned *stats);

/* Computes the statistics of every feature of `polygons_path` over `raster_path` into
 * `csv_path`. Errors: "cannot open <path>: <reason>" (CP_E_IO), a raster or layer without a
 * CRS or a CRS that cannot be transformed (CP_E_CRS), no such layer, several layers and no
 * `layer`, an empty layer or polygons that do not overlap the raster at all (CP_E_FORMAT),
 * Ctrl-C through the progress callback
 * (CP_E_INTERRUPTED). No partial CSV is left behind. `result` may be NULL. */
CP_API cp_status cp_tool_zonal(const char *raster_path, const char *polygons_path,
                               const char *csv_path, const cp_zonal_options *opt,
                               cp_progress_fn progress, void *progress_arg,
                               cp_zonal_result *result);

#ifdef __cplusplus
}
#endif

#endif
