/* Geometry and id intake (intake.h). */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>
#include <cpl_error.h>

#include <clearplan/scenario.h>

#include <cpk/cpk.h>

#include "error.h"
#include "intake.h"

/* ------------------------------------------------------------------ attributes --------- */

static char *copy_text(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The shortest %.Ng (N = 15..17) that reads back as v. */
static void real_text(double v, char *buf, size_t n) {
    if (v == 0) v = 0; /* no "-0" */
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int digits = 15; digits <= 17; ++digits) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* text without the blanks around it, into buf (cut at len - 1 bytes: longer is no word of
 * ours); 0 when it is longer. */
static int trimmed(const char *text, char *buf, size_t len) {
    while (isspace((unsigned char)*text)) ++text;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1])) --n;
    if (n >= len) return 0;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return 1;
}

int cp_status_text(const char *text, int *out) {
    char b[16];
    if (!text || !trimmed(text, b, sizeof b)) return -1;
    if (!strcasecmp(b, "SHA") || !strcasecmp(b, "suspected"))
        *out = CP_STATUS_SHA;
    else if (!strcasecmp(b, "CHA") || !strcasecmp(b, "confirmed"))
        *out = CP_STATUS_CHA;
    else
        return -1;
    return 0;
}

int cp_locked_text(const char *text, int *out) {
    static const char *const yes[] = {"1", "true", "yes", "y", "first"}, *const no[] = {"", "0",
                                                                                        "false",
                                                                                        "no", "n"};
    char b[16];
    if (!text) return *out = 0, 0;
    if (!trimmed(text, b, sizeof b)) return -1;
    for (size_t k = 0; k < sizeof yes / sizeof *yes; ++k)
        if (!strcasecmp(b, yes[k])) return *out = 1, 0;
    for (size_t k = 0; k < sizeof no / sizeof *no; ++k)
        if (!strcasecmp(b, no[k])) return *out = 0, 0;
    return -1;
}

cp_status cp_field_text(OGRFeatureH f, int field, char **out) {
    *out = NULL;
    if (field < 0 || !OGR_F_IsFieldSetAndNotNull(f, field)) return CP_OK;
    char buf[64];
    const char *text = buf;
    switch (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, field))) {
        case OFTInteger:
            snprintf(buf, sizeof buf, "%d", OGR_F_GetFieldAsInteger(f, field));
            break;
        case OFTInteger64:
            snprintf(buf, sizeof buf, "%lld", (long long)OGR_F_GetFieldAsInteger64(f, field));
            break;
        case OFTReal: {
            double v = OGR_F_GetFieldAsDouble(f, field);
            if (!isfinite(v)) return CP_OK;
            real_text(v, buf, sizeof buf);
            break;
        }
        default:
            /* GDAL's buffer is reused by the next call on the feature: copied at once */
            text = OGR_F_GetFieldAsString(f, field);
            break;
    }
    *out = copy_text(text ? text : "");
    return *out ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory reading attributes");
}

/* ------------------------------------------------------------------ GEOS helpers ------- */

static void geos_quiet(const char *fmt, ...) {
    (void)fmt; /* notices and errors come back through the calls' results */
}

GEOSContextHandle_t cp_geos_init(void) {
    GEOSContextHandle_t gh = GEOS_init_r();
    if (!gh) return NULL;
    GEOSContext_setNoticeHandler_r(gh, geos_quiet);
    GEOSContext_setErrorHandler_r(gh, geos_quiet);
    return gh;
}

/* A growable list of owned GEOS polygons. */
typedef struct {
    GEOSGeometry **v;
    size_t n, cap;
} geos_list;

static void list_clear(GEOSContextHandle_t gh, geos_list *l) {
    for (size_t i = 0; i < l->n; ++i) GEOSGeom_destroy_r(gh, l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Appends `g` (taken; destroyed when the list cannot grow). */
static int list_push(GEOSContextHandle_t gh, geos_list *l, GEOSGeometry *g) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 8;
        GEOSGeometry **nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            GEOSGeom_destroy_r(gh, g);
            return 0;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = g;
    return 1;
}

/* Clones every non-empty polygon of `g`, at any depth, into the list. 0 when out of memory. */
static int collect_polygons(GEOSContextHandle_t gh, const GEOSGeometry *g, geos_list *l) {
    int t = GEOSGeomTypeId_r(gh, g);
    if (t == GEOS_POLYGON) {
        if (GEOSisEmpty_r(gh, g) == 1) return 1;
        GEOSGeometry *c = GEOSGeom_clone_r(gh, g);
        return c && list_push(gh, l, c);
    }
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(gh, g);
        for (int i = 0; i < n; ++i)
            if (!collect_polygons(gh, GEOSGetGeometryN_r(gh, g, i), l)) return 0;
    }
    return 1; /* points and lines have no area */
}

/* The list's polygons as one MultiPolygon (takes them; the list is left empty). GEOS owns
 * the polygons from the call on, also when it fails. */
static GEOSGeometry *take_multipolygon(GEOSContextHandle_t gh, geos_list *l) {
    GEOSGeometry *mp = GEOSGeom_createCollection_r(gh, GEOS_MULTIPOLYGON, l->v, (unsigned)l->n);
    l->n = 0;
    list_clear(gh, l);
    return mp;
}

GEOSGeometry *cp_geos_multipolygon(GEOSContextHandle_t gh, const GEOSGeometry *g) {
    geos_list l = {0};
    if (!collect_polygons(gh, g, &l) || l.n == 0) {
        list_clear(gh, &l);
        return NULL;
    }
    size_t n = l.n;
    GEOSGeometry *mp = take_multipolygon(gh, &l);
    if (!mp || n == 1) return mp;
    GEOSGeometry *u = GEOSUnaryUnion_r(gh, mp);
    GEOSGeom_destroy_r(gh, mp);
    if (!u) return NULL;
    int ok = collect_polygons(gh, u, &l);
    GEOSGeom_destroy_r(gh, u);
    if (!ok || l.n == 0) {
        list_clear(gh, &l);
        return NULL;
    }
    return take_multipolygon(gh, &l);
}

GEOSGeometry *cp_geos_collection(GEOSContextHandle_t gh, GEOSGeometry **parts, int n) {
    int ok = n > 0;
    for (int i = 0; i < n; ++i) ok = ok && parts[i];
    GEOSGeometry *c =
        ok ? GEOSGeom_createCollection_r(gh, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n) : NULL;
    if (!c)
        for (int i = 0; i < n; ++i)
            if (parts[i]) GEOSGeom_destroy_r(gh, parts[i]);
    return c;
}

/* Parts above which a hazard is grown part by part and the parts' buffers unioned: GEOS's
 * buffer of a whole multipolygon nodes every part's offset curves together, and its time and
 * memory grow with the square of the parts when their buffers overlap (1,600 parts 10 m
 * apart grown by 1 km: 96 s and 5 GB; 10,000: out of memory). The union of the parts'
 * buffers is the buffer of their union; below the threshold the hazard is grown whole, as
 * before, to the bit. */
enum { GROW_BY_PARTS = 64 };

static GEOSGeometry *buffer_by_parts(GEOSContextHandle_t gh, const GEOSGeometry *geom,
                                     double buffer_m) {
    int n = GEOSGetNumGeometries_r(gh, geom);
    GEOSGeometry **parts = n > 0 ? calloc((size_t)n, sizeof *parts) : NULL;
    if (!parts) return NULL;
    for (int i = 0; i < n; ++i)
        parts[i] = GEOSBuffer_r(gh, GEOSGetGeometryN_r(gh, geom, i), buffer_m, 8);
    GEOSGeometry *all = cp_geos_collection(gh, parts, n); /* unioned by cp_geos_multipolygon */
    free(parts);
    return all;
}

static GEOSGeometry *grow_as_is(GEOSContextHandle_t gh, const GEOSGeometry *geom, double buffer_m) {
    GEOSGeometry *b = GEOSGetNumGeometries_r(gh, geom) > GROW_BY_PARTS
                          ? buffer_by_parts(gh, geom, buffer_m)
                          : GEOSBuffer_r(gh, geom, buffer_m, 8);
    GEOSGeometry *mp = b ? cp_geos_multipolygon(gh, b) : NULL;
    if (b) GEOSGeom_destroy_r(gh, b);
    return mp;
}

/* A grown polygon is sound when its area is finite and not below the hazard's: GEOS 3.11's
 * buffer of some valid polygons with sub-micrometre spikes throws, or returns vertices of
 * (Inf, NaN), at any distance (fuzz_intake, 2026-12-04). */
static int grown_sound(GEOSContextHandle_t gh, const GEOSGeometry *grown, double area) {
    double a = 0;
    return grown && GEOSArea_r(gh, grown, &a) == 1 && isfinite(a) && a >= area * (1 - 1e-9);
}

GEOSGeometry *cp_geos_grow(GEOSContextHandle_t gh, const GEOSGeometry *geom, double buffer_m) {
    double area = 0;
    if (GEOSArea_r(gh, geom, &area) != 1 || !isfinite(area)) area = 0;
    GEOSGeometry *mp = grow_as_is(gh, geom, buffer_m);
    static const double snap_m[] = {1e-6, 1e-3};
    for (size_t k = 0; k < sizeof snap_m / sizeof snap_m[0] && !grown_sound(gh, mp, area); ++k) {
        if (mp) GEOSGeom_destroy_r(gh, mp);
        GEOSGeometry *snapped = GEOSGeom_setPrecision_r(gh, geom, snap_m[k], 0);
        mp = snapped ? grow_as_is(gh, snapped, buffer_m) : NULL;
        if (snapped) GEOSGeom_destroy_r(gh, snapped);
    }
    if (grown_sound(gh, mp, area)) return mp;
    if (mp) GEOSGeom_destroy_r(gh, mp);
    return NULL;
}

/* ------------------------------------------------------------------ arrays ------------- */

void cp_polygon_arrays_free(cp_polygon_arrays *a) {
    if (!a) return;
    free(a->xy);
    free(a->ring_offsets);
    free(a->part_offsets);
    memset(a, 0, sizeof *a);
}

cpk_polygon cp_polygon_arrays_view(const cp_polygon_arrays *a) {
    cpk_polygon p = {a->xy, a->ring_offsets, a->nrings, a->part_offsets, a->nparts};
    return p;
}

/* Part p of a Polygon (itself) or MultiPolygon. */
static const GEOSGeometry *part_of(GEOSContextHandle_t gh, const GEOSGeometry *g, int p) {
    return GEOSGeomTypeId_r(gh, g) == GEOS_POLYGON ? g : GEOSGetGeometryN_r(gh, g, p);
}

static const GEOSGeometry *ring_of(GEOSContextHandle_t gh, const GEOSGeometry *poly, int r) {
    return r == 0 ? GEOSGetExteriorRing_r(gh, poly) : GEOSGetInteriorRingN_r(gh, poly, r - 1);
}

cp_status cp_polygon_arrays_make(GEOSContextHandle_t gh, const GEOSGeometry *g,
                                 cp_polygon_arrays *out) {
    int type = GEOSGeomTypeId_r(gh, g);
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
        return cp_fail(CP_E_GEOMETRY, "coverage arrays need a polygon or multipolygon");
    int nparts = type == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(gh, g);
    size_t npts = 0, nrings = 0;
    for (int p = 0; p < nparts; ++p) {
        const GEOSGeometry *poly = part_of(gh, g, p);
        int nr = GEOSisEmpty_r(gh, poly) == 1 ? 0 : 1 + GEOSGetNumInteriorRings_r(gh, poly);
        for (int r = 0; r < nr; ++r) {
            unsigned int n = 0;
            GEOSCoordSeq_getSize_r(gh, GEOSGeom_getCoordSeq_r(gh, ring_of(gh, poly, r)), &n);
            npts += n;
        }
        nrings += (size_t)nr;
    }
    cp_polygon_arrays a = {0};
    a.xy = malloc((npts ? npts : 1) * 2 * sizeof *a.xy);
    a.ring_offsets = malloc((nrings + 1) * sizeof *a.ring_offsets);
    a.part_offsets = malloc(((size_t)nparts + 1) * sizeof *a.part_offsets);
    if (!a.xy || !a.ring_offsets || !a.part_offsets) {
        cp_polygon_arrays_free(&a);
        return cp_fail(CP_E_NOMEM, "out of memory converting a polygon");
    }
    size_t k = 0;
    a.ring_offsets[0] = 0;
    a.part_offsets[0] = 0;
    for (int p = 0; p < nparts; ++p) {
        const GEOSGeometry *poly = part_of(gh, g, p);
        int nr = GEOSisEmpty_r(gh, poly) == 1 ? 0 : 1 + GEOSGetNumInteriorRings_r(gh, poly);
        for (int r = 0; r < nr; ++r) {
            const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(gh, ring_of(gh, poly, r));
            unsigned int n = 0;
            GEOSCoordSeq_getSize_r(gh, cs, &n);
            if (n) GEOSCoordSeq_copyToBuffer_r(gh, cs, a.xy + 2 * k, 0, 0);
            k += n;
            a.ring_offsets[++a.nrings] = (int64_t)k;
        }
        a.part_offsets[++a.nparts] = a.nrings;
    }
    *out = a;
    return CP_OK;
}

/* ------------------------------------------------------------------ intake ------------- */

cp_status cp_intake_init(cp_intake *it, GEOSContextHandle_t gh, OGRSpatialReferenceH from,
                         OGRSpatialReferenceH to, const char *path, const char *target) {
    memset(it, 0, sizeof *it);
    it->geos = gh;
    snprintf(it->target, sizeof it->target, "%s", target ? target : "the target CRS");
    if (!from || !to || OSRIsSame(from, to)) return CP_OK;
    CPLErrorReset();
    it->ct = OCTNewCoordinateTransformation(from, to);
    if (!it->ct) return cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to %s", path, it->target);
    return CP_OK;
}

void cp_intake_clear(cp_intake *it) {
    if (it && it->ct) OCTDestroyCoordinateTransformation(it->ct);
    if (it) memset(it, 0, sizeof *it);
}

static cp_status reject(cp_intake_polygon *out, const char *fmt, ...) CP_PRINTF(2, 3);
static cp_status reject(cp_intake_polygon *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    return CP_OK;
}

/* The walk of one feature's (linear, transformed) geometry. */
typedef struct {
    GEOSContextHandle_t gh;
    geos_list parts;
    double *xy; /* ring scratch, interleaved x, y */
    size_t cap;
    int changed;   /* rings closed or dropped */
    int nonfinite; /* a coordinate is NaN or infinite */
    int far;       /* a coordinate beyond CP_INTAKE_MAX_COORD */
} walk_ctx;

/* A GEOS ring from an OGR ring: closed, 2D; NULL with *dropped when it has fewer than 4
 * points (or 0 when out of memory or GEOS refuses, *dropped unset). */
static GEOSGeometry *ring_from(walk_ctx *w, OGRGeometryH ring, int *dropped) {
    *dropped = 0;
    int n = OGR_G_GetPointCount(ring);
    if (n < 3) {
        *dropped = 1;
        return NULL;
    }
    if ((size_t)n + 1 > w->cap) {
        size_t nc = (size_t)n + 1;
        double *nx = realloc(w->xy, 2 * nc * sizeof *nx);
        if (!nx) return NULL;
        w->xy = nx;
        w->cap = nc;
    }
    OGR_G_GetPoints(ring, w->xy, 2 * sizeof(double), w->xy + 1, 2 * sizeof(double), NULL, 0);
    for (int i = 0; i < 2 * n; ++i)
        if (!isfinite(w->xy[i]))
            w->nonfinite = 1;
        else if (fabs(w->xy[i]) > CP_INTAKE_MAX_COORD)
            w->far = 1;
    if (w->nonfinite || w->far) return NULL;
    if (w->xy[0] != w->xy[2 * (n - 1)] || w->xy[1] != w->xy[2 * (n - 1) + 1]) {
        w->xy[2 * n] = w->xy[0];
        w->xy[2 * n + 1] = w->xy[1];
        ++n;
        w->changed = 1;
    }
    if (n < 4) {
        *dropped = 1;
        return NULL;
    }
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(w->gh, w->xy, (unsigned)n, 0, 0);
    return cs ? GEOSGeom_createLinearRing_r(w->gh, cs) : NULL; /* takes cs */
}

/* A polygon (or triangle) into the parts; a dropped shell drops the polygon. 0 when out of
 * memory or GEOS refuses. */
static int add_polygon(walk_ctx *w, OGRGeometryH poly) {
    int nr = OGR_G_GetGeometryCount(poly), dropped = 0;
    if (nr == 0) return 1; /* an empty member */
    GEOSGeometry *shell = ring_from(w, OGR_G_GetGeometryRef(poly, 0), &dropped);
    if (!shell) {
        w->changed |= dropped;
        return dropped || w->nonfinite || w->far;
    }
    GEOSGeometry **holes = malloc((size_t)nr * sizeof *holes);
    int nh = 0, ok = holes != NULL;
    for (int r = 1; ok && r < nr; ++r) {
        GEOSGeometry *h = ring_from(w, OGR_G_GetGeometryRef(poly, r), &dropped);
        if (h)
            holes[nh++] = h;
        else if (dropped)
            w->changed = 1;
        else
            ok = 0;
    }
    GEOSGeometry *p = NULL;
    if (ok) { /* GEOS takes the rings (and frees them if it fails: they are linear rings) */
        p = GEOSGeom_createPolygon_r(w->gh, shell, holes, (unsigned)nh);
    } else {
        GEOSGeom_destroy_r(w->gh, shell);
        for (int i = 0; i < nh; ++i) GEOSGeom_destroy_r(w->gh, holes[i]);
    }
    free(holes);
    return p ? list_push(w->gh, &w->parts, p) : w->nonfinite || w->far;
}

/* The polygons of `g` (taken) as one multipolygon, NULL unless it is valid. */
static GEOSGeometry *valid_polygons(GEOSContextHandle_t gh, GEOSGeometry *g) {
    GEOSGeometry *mp = g ? cp_geos_multipolygon(gh, g) : NULL;
    if (g) GEOSGeom_destroy_r(gh, g);
    if (mp && GEOSisValid_r(gh, mp) != 1) {
        GEOSGeom_destroy_r(gh, mp);
        mp = NULL;
    }
    return mp;
}

/* GEOS's make-valid with `method`, as a valid multipolygon of the result's polygons; NULL when
 * GEOS fails (it throws on some rings) or the result is not valid. */
static GEOSGeometry *make_valid(GEOSContextHandle_t gh, const GEOSGeometry *g, int method) {
    GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(gh);
    GEOSGeometry *fixed = NULL;
    if (params && GEOSMakeValidParams_setMethod_r(gh, params, (enum GEOSMakeValidMethods)method) &&
        GEOSMakeValidParams_setKeepCollapsed_r(gh, params, 0))
        fixed = GEOSMakeValidWithParams_r(gh, g, params);
    if (params) GEOSMakeValidParams_destroy_r(gh, params);
    return valid_polygons(gh, fixed);
}

/* When make-valid fails on the whole (GEOS throws on one part's rings), each part is repaired
 * on its own (STRUCTURE, then LINEWORK for a part that still fails) and the parts unioned, so
 * that one bad ring does not lose the hazard's other parts. NULL when a part cannot be
 * repaired either way. */
static GEOSGeometry *repair_by_parts(GEOSContextHandle_t gh, const GEOSGeometry *mp) {
    int n = GEOSGetNumGeometries_r(gh, mp);
    GEOSGeometry **parts = n > 0 ? calloc((size_t)n, sizeof *parts) : NULL;
    if (!parts) return NULL;
    for (int i = 0, ok = 1; i < n && ok; ++i) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(gh, mp, i);
        /* one part alone: STRUCTURE has just failed on it as the whole */
        parts[i] = n > 1 ? make_valid(gh, p, GEOS_MAKE_VALID_STRUCTURE) : NULL;
        if (!parts[i]) parts[i] = make_valid(gh, p, GEOS_MAKE_VALID_LINEWORK);
        ok = parts[i] != NULL;
    }
    GEOSGeometry *all = cp_geos_collection(gh, parts, n);
    free(parts);
    return valid_polygons(gh, all);
}

/* Walks collections of any depth; polygons go to the parts, points and lines are dropped.
 * 0 when out of memory. */
static int walk(walk_ctx *w, OGRGeometryH g) {
    if (w->nonfinite || w->far) return 1;
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    switch (t) {
        case wkbPolygon:
        case wkbTriangle:
            return add_polygon(w, g);
        case wkbMultiPolygon:
        case wkbGeometryCollection:
        case wkbPolyhedralSurface:
        case wkbTIN:
            for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i)
                if (!walk(w, OGR_G_GetGeometryRef(g, i))) return 0;
            return 1;
        default:
            return 1; /* points, lines: no area */
    }
}

cp_status cp_intake_geometry(const cp_intake *it, OGRGeometryH g, cp_intake_polygon *out) {
    memset(out, 0, sizeof *out);
    GEOSContextHandle_t gh = it->geos;
    if (!g) return reject(out, "null geometry");
    if (OGR_G_IsEmpty(g)) return reject(out, "empty geometry");
    const char *type = OGRGeometryTypeToName(wkbFlatten(OGR_G_GetGeometryType(g)));
    /* a copy only to change it: curves made linear, coordinates transformed */
    OGRGeometryH lin = OGR_G_HasCurveGeometry(g, FALSE) ? OGR_G_GetLinearGeometry(g, 0, NULL)
                       : it->ct                         ? OGR_G_Clone(g)
                                                        : g;
    if (!lin) return reject(out, "cannot be read as polygons (%s)", type);
    cp_status s = CP_OK;
    walk_ctx w = {.gh = gh};
    GEOSGeometry *mp = NULL;
    char *why = NULL;
    if (it->ct && OGR_G_Transform(lin, it->ct) != OGRERR_NONE) {
        s = reject(out, "cannot be transformed to %s", it->target);
        goto done;
    }
    if (!walk(&w, lin)) {
        s = cp_fail(CP_E_NOMEM, "out of memory reading polygons");
        goto done;
    }
    if (w.nonfinite) {
        s = reject(out, "non-finite coordinates in %s", it->target);
        goto done;
    }
    if (w.far) { /* garbage doubles: GEOS's make-valid can spin on them for hours */
        s = reject(out, "coordinates beyond %.0e in %s (not a place on Earth)", CP_INTAKE_MAX_COORD,
                   it->target);
        goto done;
    }
    if (w.parts.n == 0) {
        s = w.changed ? reject(out, "zero area (rings of fewer than 4 points)")
                      : reject(out, "not a polygon (%s)", type);
        goto done;
    }
    mp = take_multipolygon(gh, &w.parts);
    if (!mp) {
        s = cp_fail(CP_E_NOMEM, "out of memory reading polygons");
        goto done;
    }
    char valid = GEOSisValid_r(gh, mp);
    if (valid == 2) {
        s = reject(out, "geometry GEOS cannot check (%s)", type);
        goto done;
    }
    out->repaired = w.changed;
    if (valid == 0) {
        why = GEOSisValidReason_r(gh, mp);
        GEOSGeometry *fixed = make_valid(gh, mp, GEOS_MAKE_VALID_STRUCTURE);
        if (!fixed) fixed = repair_by_parts(gh, mp); /* GEOS threw on one part */
        GEOSGeom_destroy_r(gh, mp);
        mp = fixed;
        if (!mp) {
            s = reject(out, "invalid geometry make-valid cannot repair (%s)",
                       why ? why : "unknown reason");
            goto done;
        }
        out->repaired = 1;
    }
    double area = 0;
    if (GEOSArea_r(gh, mp, &area) != 1 || !(area > 0) || !isfinite(area)) {
        s = reject(out, "zero area%s%s%s", why ? " (" : "", why ? why : "", why ? ")" : "");
        goto done;
    }
    out->geom = mp;
    mp = NULL;
done:
    if (why) GEOSFree_r(gh, why);
    if (mp) GEOSGeom_destroy_r(gh, mp);
    list_clear(gh, &w.parts);
    free(w.xy);
    if (lin != g) OGR_G_DestroyGeometry(lin);
    if (!out->geom) out->repaired = 0;
    return s;
}

/* ------------------------------------------------------------------ in parallel -------- */

/* One thread's share: its GEOS context and transformation are made in the thread (a PROJ
 * transformation belongs to the thread that made it), one thread at a time (the spatial
 * references are shared); GDAL's messages are kept quiet in the thread as in the caller's. */
static cp_status intake_share(OGRGeometryH *geoms, int64_t n, OGRSpatialReferenceH from,
                              OGRSpatialReferenceH to, const char *path, const char *target,
                              cp_intake_keep_fn keep, void *arg) {
    cp_status st = CP_OK;
    cp_intake it = {0};
    GEOSContextHandle_t gh = cp_geos_init();
    if (!gh) st = cp_fail(CP_E_NOMEM, "cannot start GEOS");
#ifdef _OPENMP
#pragma omp critical
#endif
    if (st == CP_OK) st = cp_intake_init(&it, gh, from, to, path, target);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 64)
#endif
    for (int64_t k = 0; k < n; ++k) {
        if (st != CP_OK) continue; /* the thread's other geometries skipped */
        cp_intake_polygon p;
        st = cp_intake_geometry(&it, geoms[k], &p);
        if (st == CP_OK) st = keep(arg, k, gh, &p);
        if (p.geom) GEOSGeom_destroy_r(gh, p.geom);
    }
    cp_intake_clear(&it);
    if (gh) GEOS_finish_r(gh);
    return st;
}

cp_status cp_intake_parallel(OGRGeometryH *geoms, int64_t n, OGRSpatialReferenceH from,
                             OGRSpatialReferenceH to, const char *path, const char *target,
                             int threads, cp_intake_keep_fn keep, void *arg) {
    cp_status first = CP_OK;
    char msg[2048] = "";
#ifdef _OPENMP
#pragma omp parallel num_threads(cpk_threads(threads))
#endif
    {
        cp_gdal_quiet_begin();
        cp_status st = intake_share(geoms, n, from, to, path, target, keep, arg);
        cp_gdal_quiet_end();
        if (st != CP_OK) {
#ifdef _OPENMP
#pragma omp critical
#endif
            if (first == CP_OK) { /* the message is the failing thread's: carried over */
                first = st;
                snprintf(msg, sizeof msg, "%s", cp_errmsg());
            }
        }
    }
    return first == CP_OK ? CP_OK : cp_fail(first, "%s", msg);
}
