/* Geometry and id intake (DESIGN §3, the io layer; §7, §15): the one place where vector
 * features become polygons and attribute values become text. `run` (hazards and the area of
 * interest), `validate` and `zonal` all read through it, so the same feature gives the same
 * polygon, the same area and the same id everywhere.
 *
 * Attributes: cp_field_text copies the value of a field of any OGR type at once, as text:
 *   Integer, Integer64   decimal digits ("12", "9007199254740993");
 *   Real                 a whole number below 1e15 without a decimal point ("12.0" -> "12"),
 *                        otherwise the shortest form that reads back as the same double
 *                        ("12.5", "0.1", "1e+300"); NaN and infinities count as unset;
 *   String and others    GDAL's text of the value.
 * (OGR's own GetFieldAsString returns a buffer of the feature that the next call reuses, and
 * writes fixed-width reals such as a shapefile's "12.00000000000".)
 *
 * Geometries: cp_intake_geometry classifies a feature's geometry once:
 *   null / empty                          rejected: "null geometry", "empty geometry"
 *   Polygon, MultiPolygon, Triangle,      polygonal: kept
 *   PolyhedralSurface, TIN
 *   CurvePolygon, MultiSurface            linearised (OGR's default step), then kept
 *   GeometryCollection (nested too)       flattened: its polygonal members are kept, points and
 *                                         lines dropped; none polygonal: rejected
 *   Point, LineString, ... (no area)      rejected: "not a polygon (<type>)"
 * Z and M are dropped. The polygons are transformed to the target CRS (failure: rejected,
 * naming the CRS) and checked for finite coordinates. An unclosed ring is closed; a ring
 * with fewer than 4 points (3 distinct) is dropped, with its holes when it is a shell; both
 * count as a repair. The polygons then form one MultiPolygon; when GEOS finds it invalid it is
 * repaired with GEOS make-valid, STRUCTURE method (shells are unioned and holes subtracted, so
 * overlapping parts and nested shells count once, a spike or a collapsed part is dropped), and
 * the polygonal parts of the result are unioned into one valid MultiPolygon. Nothing left, or
 * zero area: rejected with the reason. */
#ifndef CP_INTAKE_H
#define CP_INTAKE_H

#include <stdint.h>

#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/status.h>

#include "cpk/coverage.h"

/* The value of field `field` of `f` as new text (free() it), or NULL in *out when the field
 * is unset or null (or a non-finite Real). CP_E_NOMEM when the copy cannot be made. */
cp_status cp_field_text(OGRFeatureH f, int field, char **out);

/* A hazard's status and locked flag as `run` reads them from the hazards layer and `plan` from a
 * hazard table: one spelling for both. Any case; blanks around the value are data entry's.
 * cp_status_text: SHA or suspected (CP_STATUS_SHA), CHA or confirmed (CP_STATUS_CHA).
 * cp_locked_text: yes (1, true, yes, y, first) or no (0, false, no, n, blank; NULL: no field).
 * 0 with *out set, or -1 for any other value. */
int cp_status_text(const char *text, int *out);
int cp_locked_text(const char *text, int *out);
/* What the two accept, for messages. */
/* The largest coordinate a hazard may have in the grid's CRS (metres, feet or degrees: the
 * Earth spans 4e7 m). Beyond it a geometry is garbage (a corrupt file's doubles), rejected
 * before GEOS sees it: GEOS 3.11's make-valid spun for over 20 minutes on a ring at 5e244. */
#define CP_INTAKE_MAX_COORD 1e12

#define CP_STATUS_SPELLINGS "SHA or CHA (suspected or confirmed)"
#define CP_LOCKED_SPELLINGS "yes (1, true, yes, y, first) or no (0, false, no, n, empty)"

/* A GEOS context whose notices and errors are silent (results carry them: a NULL return,
 * GEOSisValidReason_r). NULL when GEOS cannot start. Finish it with GEOS_finish_r. */
GEOSContextHandle_t cp_geos_init(void);

/* A polygon or multipolygon as the offset arrays of the coverage kernel (cpk/coverage.h). */
typedef struct {
    double *xy;
    int64_t *ring_offsets, *part_offsets;
    int64_t nrings, nparts;
} cp_polygon_arrays;

/* Fills `out` with the rings of `g` (a Polygon or MultiPolygon; a part per polygon, its shell
 * then its holes). CP_E_NOMEM or CP_E_GEOMETRY (not polygonal); `out` is untouched then. */
cp_status cp_polygon_arrays_make(GEOSContextHandle_t gh, const GEOSGeometry *g,
                                 cp_polygon_arrays *out);
void cp_polygon_arrays_free(cp_polygon_arrays *a);
/* The kernel's view of the arrays (valid while they are). */
cpk_polygon cp_polygon_arrays_view(const cp_polygon_arrays *a);

/* The polygons of `g`, at any depth of collections, as one valid MultiPolygon: unioned when
 * there is more than one (make-valid pieces and buffers can touch or overlap). NULL when `g`
 * has no polygon or GEOS fails. `g` is not taken. */
GEOSGeometry *cp_geos_multipolygon(GEOSContextHandle_t gh, const GEOSGeometry *g);

/* A GeometryCollection of the n geometries `parts` (taken, the array not); NULL when one is
 * NULL or GEOS fails, the parts then destroyed. cp_geos_multipolygon unions its polygons. */
GEOSGeometry *cp_geos_collection(GEOSContextHandle_t gh, GEOSGeometry **parts, int n);

/* `geom` (a valid MultiPolygon) grown by buffer_m as one valid MultiPolygon; grown part by
 * part when it has many parts. Where GEOS cannot grow it as it is (GEOS 3.11 throws, or
 * returns vertices of (Inf, NaN), on some valid polygons with sub-micrometre spikes), a copy
 * snapped to a grid of 1 micrometre, then 1 millimetre, is grown instead: far below any
 * survey's accuracy. NULL when none can be. `geom` is not taken. */
GEOSGeometry *cp_geos_grow(GEOSContextHandle_t gh, const GEOSGeometry *geom, double buffer_m);

/* Where the geometries go. */
typedef struct {
    GEOSContextHandle_t geos;        /* borrowed: results live in it */
    OGRCoordinateTransformationH ct; /* owned; NULL when the CRSs are the same */
    char target[160];                /* the target CRS's name, for reasons */
} cp_intake;

/* Prepares the transformation from `from` to `to` (either NULL: no transformation).
 * `path` and `target` (e.g. "EPSG:32618") name the file and the CRS in messages. */
cp_status cp_intake_init(cp_intake *it, GEOSContextHandle_t gh, OGRSpatialReferenceH from,
                         OGRSpatialReferenceH to, const char *path, const char *target);
void cp_intake_clear(cp_intake *it);

/* One feature's geometry, taken in. */
typedef struct {
    GEOSGeometry *geom; /* a valid MultiPolygon in the target CRS with area > 0, owned by the
                           caller (destroy it in it->geos); NULL when rejected */
    int repaired;       /* the geometry was changed to make it valid */
    char reason[256];   /* when rejected: why, e.g. "not a polygon (Line String)" */
} cp_intake_polygon;

/* Takes in `g` (not modified; may be NULL) as the table above says. Returns CP_OK with
 * out->geom set (kept) or NULL and out->reason (rejected); another status only when memory
 * runs out. */
cp_status cp_intake_geometry(const cp_intake *it, OGRGeometryH g, cp_intake_polygon *out);

/* Takes in geoms[0..n) (not modified; NULL ones are rejected as null) in parallel over
 * `threads` (cpk_threads), each thread with its own GEOS context and transformation from
 * `from` to `to` (path and target as for cp_intake_init), and hands each result to
 * keep(arg, k, gh, &polygon) in the thread that took it in: polygon.geom lives in gh and is
 * destroyed when keep returns. keep is called once per k, in no particular order, and must
 * only touch what belongs to k. Returns CP_OK, or the status of a failure (a transformation
 * that cannot be made, out of memory, or keep's) with its message. */
typedef cp_status (*cp_intake_keep_fn)(void *arg, int64_t k, GEOSContextHandle_t gh,
                                       const cp_intake_polygon *polygon);
cp_status cp_intake_parallel(OGRGeometryH *geoms, int64_t n, OGRSpatialReferenceH from,
                             OGRSpatialReferenceH to, const char *path, const char *target,
                             int threads, cp_intake_keep_fn keep, void *arg);

#endif
