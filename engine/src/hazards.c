/* Reading hazards (DESIGN §7, §15): every input feature ends in the set or in `rejected`
 * with a reason. Invalid polygons are repaired with GEOS make-valid (reentrant API). */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>
#include <ogr_api.h>

#include "engine.h"
#include "error.h"
#include "vector.h"

static void geos_message(const char *fmt, ...) {
    (void)fmt; /* GEOS notices and errors are read back through the calls' results */
}

static char *xstrdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- a small open-addressing set of ids (duplicate detection) ---- */
typedef struct {
    const char **keys;
    size_t *vals;
    size_t cap;
} idset;

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; ++s) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Inserts key; returns 1 and the earlier value when the key was already there. */
static int idset_put(idset *t, const char *key, size_t val, size_t *earlier) {
    if (!t->cap) return -1;
    size_t i = hash_str(key) & (t->cap - 1);
    while (t->keys[i]) {
        if (!strcmp(t->keys[i], key)) {
            *earlier = t->vals[i];
            return 1;
        }
        i = (i + 1) & (t->cap - 1);
    }
    t->keys[i] = key;
    t->vals[i] = val;
    return 0;
}

/* ---- hazard set ---- */

static void free_arrays(double **xy, int64_t **ro, int64_t **po) {
    free(*xy), free(*ro), free(*po);
    *xy = NULL, *ro = NULL, *po = NULL;
}

void cp_hazards_clear(cp_hazard_set *hs) {
    if (!hs) return;
    for (size_t i = 0; i < hs->n; ++i) {
        cp_hazard_in *h = &hs->items[i];
        free(h->id);
        free(h->region);
        if (h->geom) GEOSGeom_destroy_r(hs->geos, h->geom);
        free_arrays(&h->xy, &h->ring_offsets, &h->part_offsets);
        free_arrays(&h->bxy, &h->bring_offsets, &h->bpart_offsets);
    }
    free(hs->items);
    for (size_t i = 0; i < hs->nrejected; ++i) {
        free(hs->rejected[i].id);
        free(hs->rejected[i].reason);
        free(hs->rejected[i].wkb);
    }
    free(hs->rejected);
    if (hs->geos) GEOS_finish_r(hs->geos);
    memset(hs, 0, sizeof *hs);
}

/* Adds a rejected row; its geometry (input CRS) is kept in the grid CRS when it transforms. */
static cp_status reject(cp_hazard_set *hs, size_t *cap, OGRCoordinateTransformationH ct,
                        const char *id, int64_t fid, size_t index, OGRGeometryH geom,
                        const char *fmt, ...) {
    if (hs->nrejected == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        cp_rejected *r = realloc(hs->rejected, nc * sizeof *r);
        if (!r) return cp_fail(CP_E_NOMEM, "out of memory reading hazards");
        hs->rejected = r;
        *cap = nc;
    }
    cp_rejected *r = &hs->rejected[hs->nrejected++];
    memset(r, 0, sizeof *r);
    r->id = xstrdup(id);
    r->fid = fid;
    r->input_index = index;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    r->reason = xstrdup(buf);
    OGRGeometryH g = geom && !OGR_G_IsEmpty(geom) ? OGR_G_Clone(geom) : NULL;
    if (g && OGR_G_Transform(g, ct) == OGRERR_NONE) {
        OGR_G_FlattenTo2D(g);
        r->wkb_len = (size_t)OGR_G_WkbSize(g);
        r->wkb = malloc(r->wkb_len);
        if (r->wkb) OGR_G_ExportToIsoWkb(g, wkbNDR, r->wkb);
        if (!r->wkb) r->wkb_len = 0;
    }
    if (g) OGR_G_DestroyGeometry(g);
    return CP_OK;
}

/* Appends the rings of a polygon or multipolygon to GeoArrow-style offset arrays. */
static cp_status to_arrays(GEOSContextHandle_t gh, const GEOSGeometry *g, double **xy_out,
                           int64_t **ro_out, int64_t *nrings_out, int64_t **po_out,
                           int64_t *nparts_out) {
    int nparts = GEOSGetNumGeometries_r(gh, g);
    size_t npts = 0, nrings = 0;
    for (int p = 0; p < nparts; ++p) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(gh, g, p);
        int nh = GEOSGetNumInteriorRings_r(gh, poly);
        for (int r = -1; r < nh; ++r) {
            const GEOSGeometry *ring =
                r < 0 ? GEOSGetExteriorRing_r(gh, poly) : GEOSGetInteriorRingN_r(gh, poly, r);
            unsigned int n = 0;
            GEOSCoordSeq_getSize_r(gh, GEOSGeom_getCoordSeq_r(gh, ring), &n);
            npts += n;
            nrings++;
        }
    }
    double *xy = malloc((npts ? npts : 1) * 2 * sizeof *xy);
    int64_t *ro = malloc((nrings + 1) * sizeof *ro);
    int64_t *po = malloc(((size_t)nparts + 1) * sizeof *po);
    if (!xy || !ro || !po) {
        free(xy), free(ro), free(po);
        return cp_fail(CP_E_NOMEM, "out of memory converting hazard geometry");
    }
    size_t k = 0, rk = 0;
    ro[0] = 0;
    po[0] = 0;
    for (int p = 0; p < nparts; ++p) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(gh, g, p);
        int nh = GEOSGetNumInteriorRings_r(gh, poly);
        for (int r = -1; r < nh; ++r) {
            const GEOSGeometry *ring =
                r < 0 ? GEOSGetExteriorRing_r(gh, poly) : GEOSGetInteriorRingN_r(gh, poly, r);
            const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(gh, ring);
            unsigned int n = 0;
            GEOSCoordSeq_getSize_r(gh, cs, &n);
            for (unsigned int i = 0; i < n; ++i, ++k)
                GEOSCoordSeq_getXY_r(gh, cs, i, &xy[2 * k], &xy[2 * k + 1]);
            ro[++rk] = (int64_t)k;
        }
        po[p + 1] = (int64_t)rk;
    }
    *xy_out = xy, *ro_out = ro, *po_out = po;
    *nrings_out = (int64_t)nrings;
    *nparts_out = nparts;
    return CP_OK;
}

/* The polygonal part of a geometry as a MultiPolygon (NULL when it has none). Takes `g`. */
static GEOSGeometry *polygonal(GEOSContextHandle_t gh, GEOSGeometry *g) {
    int type = GEOSGeomTypeId_r(gh, g);
    if (type == GEOS_MULTIPOLYGON) return g;
    if (type == GEOS_POLYGON) {
        GEOSGeometry *parts[1] = {g};
        return GEOSGeom_createCollection_r(gh, GEOS_MULTIPOLYGON, parts, 1);
    }
    if (type != GEOS_GEOMETRYCOLLECTION) {
        GEOSGeom_destroy_r(gh, g);
        return NULL;
    }
    int n = GEOSGetNumGeometries_r(gh, g), k = 0;
    GEOSGeometry **parts = malloc((size_t)(n ? n : 1) * sizeof *parts);
    if (!parts) {
        GEOSGeom_destroy_r(gh, g);
        return NULL;
    }
    for (int i = 0; i < n; ++i) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(gh, g, i);
        int t = GEOSGeomTypeId_r(gh, p);
        if (t == GEOS_POLYGON) parts[k++] = GEOSGeom_clone_r(gh, p);
        if (t == GEOS_MULTIPOLYGON)
            for (int j = 0; j < GEOSGetNumGeometries_r(gh, p); ++j)
                parts[k++] = GEOSGeom_clone_r(gh, GEOSGetGeometryN_r(gh, p, j));
    }
    GEOSGeom_destroy_r(gh, g);
    GEOSGeometry *out = NULL;
    if (k) {
        /* make-valid pieces can touch: union them into one valid multipolygon */
        GEOSGeometry *coll = GEOSGeom_createCollection_r(gh, GEOS_MULTIPOLYGON, parts, (unsigned)k);
        GEOSGeometry *u = coll ? GEOSUnaryUnion_r(gh, coll) : NULL;
        if (coll) GEOSGeom_destroy_r(gh, coll);
        out = u ? polygonal(gh, u) : NULL;
    }
    free(parts);
    return out;
}

static int is_locked(const char *v) {
    return v && (!strcasecmp(v, "first") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
                 !strcmp(v, "1"));
}

cp_status cp_hazards_read(const cp_scenario *sc, const cp_grid *g, double buffer_m,
                          cp_hazard_set *hs) {
    memset(hs, 0, sizeof *hs);
    const cp_input *in = cp_scenario_input(sc, "hazards");
    cp_vector v = {0};
    OGRCoordinateTransformationH ct = NULL;
    GEOSWKBReader *reader = NULL;
    idset ids = {0};
    size_t cap = 0, rcap = 0;
    cp_status s = CP_OK;
    hs->geos = GEOS_init_r();
    if (!hs->geos) return cp_fail(CP_E_NOMEM, "cannot start GEOS");
    GEOSContext_setNoticeHandler_r(hs->geos, geos_message);
    GEOSContext_setErrorHandler_r(hs->geos, geos_message);
    if ((s = cp_vector_open(in, &v))) goto done;
    int f_id, f_status, f_region = -1, f_locked = -1;
    if ((s = cp_vector_field(&v, in->path, "hazard id", in->id, &f_id)) ||
        (s = cp_vector_field(&v, in->path, "hazard status", in->status, &f_status)))
        goto done;
    if (in->region && (s = cp_vector_field(&v, in->path, "region", in->region, &f_region)))
        goto done;
    if (in->locked && (s = cp_vector_field(&v, in->path, "locked flag", in->locked, &f_locked)))
        goto done;
    ct = OCTNewCoordinateTransformation(v.srs, g->srs);
    if (!ct) {
        s = cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to the grid's CRS", in->path);
        goto done;
    }
    reader = GEOSWKBReader_create_r(hs->geos);
    GIntBig nfeat = OGR_L_GetFeatureCount(v.layer, 1);
    ids.cap = 64;
    while (ids.cap < (size_t)(nfeat > 0 ? nfeat : 1) * 2) ids.cap *= 2;
    ids.keys = calloc(ids.cap, sizeof *ids.keys);
    ids.vals = calloc(ids.cap, sizeof *ids.vals);
    if (!ids.keys || !ids.vals) {
        s = cp_fail(CP_E_NOMEM, "out of memory reading hazards");
        goto done;
    }
    const cpk_geo *geo = &g->geo;
    OGR_L_ResetReading(v.layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(v.layer)) != NULL) {
        size_t index = hs->nread++;
        int64_t fid = OGR_F_GetFID(f);
        const char *id =
            OGR_F_IsFieldSetAndNotNull(f, f_id) ? OGR_F_GetFieldAsString(f, f_id) : NULL;
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        GEOSGeometry *gg = NULL;
        if (!id || !*id) {
            s = reject(hs, &rcap, ct, NULL, fid, index, geom, "missing hazard id");
            goto next;
        }
        size_t earlier = 0;
        char *own = xstrdup(id);
        int dup = own ? idset_put(&ids, own, index, &earlier) : -1;
        if (dup != 0) free(own);
        if (dup < 0) {
            s = cp_fail(CP_E_NOMEM, "out of memory reading hazards");
            goto next;
        }
        if (dup == 1) {
            s = reject(hs, &rcap, ct, id, fid, index, geom,
                       "duplicate id: feature %zu of the layer has the same id", earlier + 1);
            goto next;
        }
        const char *st =
            OGR_F_IsFieldSetAndNotNull(f, f_status) ? OGR_F_GetFieldAsString(f, f_status) : "";
        int status;
        if (!strcasecmp(st, "SHA") || !strcasecmp(st, "suspected"))
            status = CP_STATUS_SHA;
        else if (!strcasecmp(st, "CHA") || !strcasecmp(st, "confirmed"))
            status = CP_STATUS_CHA;
        else {
            s = reject(hs, &rcap, ct, id, fid, index, geom,
                       "unknown status '%s' (expected SHA or CHA)", st);
            goto next;
        }
        const char *region = f_region >= 0 && OGR_F_IsFieldSetAndNotNull(f, f_region)
                                 ? OGR_F_GetFieldAsString(f, f_region)
                                 : NULL;
        if (sc->capacity.nregions) {
            int known = 0;
            for (size_t r = 0; region && r < sc->capacity.nregions; ++r)
                if (!strcmp(sc->capacity.regions[r].name, region)) known = 1;
            if (!known) {
                s = reject(hs, &rcap, ct, id, fid, index, geom,
                           "region '%s' has no teams in capacity.regions", region ? region : "");
                goto next;
            }
        }
        if (!geom) {
            s = reject(hs, &rcap, ct, id, fid, index, NULL, "null geometry");
            goto next;
        }
        if (OGR_G_IsEmpty(geom)) {
            s = reject(hs, &rcap, ct, id, fid, index, NULL, "empty geometry");
            goto next;
        }
        OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(geom));
        if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbCurvePolygon &&
            t != wkbMultiSurface && t != wkbGeometryCollection) {
            s = reject(hs, &rcap, ct, id, fid, index, geom, "not a polygon (%s)",
                       OGRGeometryTypeToName(t));
            goto next;
        }
        OGRGeometryH lin = OGR_G_GetLinearGeometry(geom, 0, NULL);
        if (!lin || OGR_G_Transform(lin, ct) != OGRERR_NONE) {
            if (lin) OGR_G_DestroyGeometry(lin);
            s = reject(hs, &rcap, ct, id, fid, index, geom,
                       "cannot be transformed to the grid's CRS %s", g->crs_name);
            goto next;
        }
        OGR_G_FlattenTo2D(lin);
        int wkbn = OGR_G_WkbSize(lin);
        unsigned char *wkb = malloc((size_t)wkbn);
        if (wkb) OGR_G_ExportToWkb(lin, wkbNDR, wkb);
        gg = wkb ? GEOSWKBReader_read_r(hs->geos, reader, wkb, (size_t)wkbn) : NULL;
        free(wkb);
        int repaired = 0;
        if (gg && GEOSisValid_r(hs->geos, gg) != 1) {
            char *why = GEOSisValidReason_r(hs->geos, gg);
            GEOSGeometry *fixed = GEOSMakeValid_r(hs->geos, gg);
            GEOSGeom_destroy_r(hs->geos, gg);
            gg = fixed ? polygonal(hs->geos, fixed) : NULL;
            if (!gg || GEOSisEmpty_r(hs->geos, gg) == 1) {
                s = reject(hs, &rcap, ct, id, fid, index, geom,
                           "invalid geometry make-valid cannot repair (%s)",
                           why ? why : "unknown reason");
                GEOSFree_r(hs->geos, why);
                OGR_G_DestroyGeometry(lin);
                goto next;
            }
            GEOSFree_r(hs->geos, why);
            repaired = 1;
        } else if (gg) {
            gg = polygonal(hs->geos, gg);
        }
        if (!gg) {
            s = reject(hs, &rcap, ct, id, fid, index, geom, "geometry GEOS cannot read");
            OGR_G_DestroyGeometry(lin);
            goto next;
        }
        double area = 0;
        GEOSArea_r(hs->geos, gg, &area);
        if (!(area > 0)) {
            s = reject(hs, &rcap, ct, id, fid, index, geom, "zero area");
            OGR_G_DestroyGeometry(lin);
            goto next;
        }
        if (hs->n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            cp_hazard_in *ni = realloc(hs->items, nc * sizeof *ni);
            if (!ni) {
                OGR_G_DestroyGeometry(lin);
                s = cp_fail(CP_E_NOMEM, "out of memory reading hazards");
                goto next;
            }
            hs->items = ni;
            cap = nc;
        }
        cp_hazard_in *h = &hs->items[hs->n];
        memset(h, 0, sizeof *h);
        h->geom = gg;
        gg = NULL;
        if ((s = to_arrays(hs->geos, h->geom, &h->xy, &h->ring_offsets, &h->nrings,
                           &h->part_offsets, &h->nparts))) {
            GEOSGeom_destroy_r(hs->geos, h->geom);
            OGR_G_DestroyGeometry(lin);
            goto next;
        }
        cpk_polygon poly = {h->xy, h->ring_offsets, h->nrings, h->part_offsets, h->nparts};
        if (cpk_coverage_window(&poly, geo, &h->win) != CPK_OK || h->win.nx == 0 ||
            h->win.ny == 0) {
            GEOSGeom_destroy_r(hs->geos, h->geom);
            free_arrays(&h->xy, &h->ring_offsets, &h->part_offsets);
            s = reject(hs, &rcap, ct, id, fid, index, geom, "outside the grid");
            OGR_G_DestroyGeometry(lin);
            goto next;
        }
        OGR_G_DestroyGeometry(lin);
        if (buffer_m > 0) {
            GEOSGeometry *b = GEOSBuffer_r(hs->geos, h->geom, buffer_m, 8);
            b = b ? polygonal(hs->geos, b) : NULL;
            if (b) {
                s = to_arrays(hs->geos, b, &h->bxy, &h->bring_offsets, &h->bnrings,
                              &h->bpart_offsets, &h->bnparts);
                GEOSGeom_destroy_r(hs->geos, b);
                cpk_polygon bp = {h->bxy, h->bring_offsets, h->bnrings, h->bpart_offsets,
                                  h->bnparts};
                if (!s && cpk_coverage_window(&bp, geo, &h->bwin) != CPK_OK)
                    memset(&h->bwin, 0, sizeof h->bwin);
            }
        }
        h->id = xstrdup(id);
        h->status = status;
        h->region = xstrdup(region);
        h->locked = f_locked >= 0 && OGR_F_IsFieldSetAndNotNull(f, f_locked) &&
                    is_locked(OGR_F_GetFieldAsString(f, f_locked));
        h->repaired = repaired;
        h->fid = fid;
        h->input_index = index;
        hs->nrepaired += (size_t)repaired;
        hs->n++;
    next:
        if (gg) GEOSGeom_destroy_r(hs->geos, gg);
        OGR_F_Destroy(f);
        if (s) goto done;
    }
    if (hs->nread == 0) s = cp_fail(CP_E_FORMAT, "<%s>: the hazards layer is empty", in->path);
done:
    for (size_t i = 0; ids.keys && i < ids.cap; ++i) free((char *)ids.keys[i]);
    free(ids.keys);
    free(ids.vals);
    if (reader) GEOSWKBReader_destroy_r(hs->geos, reader);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    cp_vector_close(&v);
    if (s) cp_hazards_clear(hs);
    return s;
}

cp_status cp_aoi_read(const char *path, const cp_grid *g, cp_aoi *aoi) {
    memset(aoi, 0, sizeof *aoi);
    cp_input in = {0};
    in.name = "aoi";
    in.path = (char *)path;
    in.type = CP_INPUT_VECTOR;
    cp_vector v = {0};
    OGRCoordinateTransformationH ct = NULL;
    GEOSContextHandle_t gh = GEOS_init_r();
    GEOSWKBReader *reader = gh ? GEOSWKBReader_create_r(gh) : NULL;
    GEOSGeometry **parts = NULL;
    size_t nparts = 0, cap = 0;
    cp_status s = cp_vector_open(&in, &v);
    if (s) goto done;
    ct = OCTNewCoordinateTransformation(v.srs, g->srs);
    if (!ct) {
        s = cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to the grid's CRS", path);
        goto done;
    }
    OGRFeatureH f;
    OGR_L_ResetReading(v.layer);
    while ((f = OGR_L_GetNextFeature(v.layer)) != NULL) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        OGRGeometryH lin = geom ? OGR_G_GetLinearGeometry(geom, 0, NULL) : NULL;
        if (lin && OGR_G_Transform(lin, ct) == OGRERR_NONE) {
            OGR_G_FlattenTo2D(lin);
            int n = OGR_G_WkbSize(lin);
            unsigned char *wkb = malloc((size_t)n);
            GEOSGeometry *gg = NULL;
            if (wkb) {
                OGR_G_ExportToWkb(lin, wkbNDR, wkb);
                gg = GEOSWKBReader_read_r(gh, reader, wkb, (size_t)n);
                free(wkb);
            }
            if (gg && GEOSisValid_r(gh, gg) != 1) {
                GEOSGeometry *fixed = GEOSMakeValid_r(gh, gg);
                GEOSGeom_destroy_r(gh, gg);
                gg = fixed;
            }
            gg = gg ? polygonal(gh, gg) : NULL;
            if (gg) {
                if (nparts == cap) {
                    cap = cap ? 2 * cap : 16;
                    GEOSGeometry **np = realloc(parts, cap * sizeof *np);
                    if (!np) {
                        GEOSGeom_destroy_r(gh, gg);
                        OGR_G_DestroyGeometry(lin);
                        OGR_F_Destroy(f);
                        s = cp_fail(CP_E_NOMEM, "out of memory reading <%s>", path);
                        goto done;
                    }
                    parts = np;
                }
                parts[nparts++] = gg;
            }
        }
        if (lin) OGR_G_DestroyGeometry(lin);
        OGR_F_Destroy(f);
    }
    if (!nparts) {
        s = cp_fail(CP_E_GEOMETRY, "<%s>: the area of interest has no polygon", path);
        goto done;
    }
    GEOSGeometry *coll =
        GEOSGeom_createCollection_r(gh, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)nparts);
    nparts = 0; /* owned by coll now */
    GEOSGeometry *u = coll ? GEOSUnaryUnion_r(gh, coll) : NULL;
    if (coll) GEOSGeom_destroy_r(gh, coll);
    u = u ? polygonal(gh, u) : NULL;
    if (!u) {
        s = cp_fail(CP_E_GEOMETRY, "<%s>: cannot merge the area of interest's polygons", path);
        goto done;
    }
    s = to_arrays(gh, u, &aoi->xy, &aoi->ring_offsets, &aoi->nrings, &aoi->part_offsets,
                  &aoi->nparts);
    GEOSGeom_destroy_r(gh, u);
done:
    for (size_t i = 0; i < nparts; ++i) GEOSGeom_destroy_r(gh, parts[i]);
    free(parts);
    if (reader) GEOSWKBReader_destroy_r(gh, reader);
    if (gh) GEOS_finish_r(gh);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    cp_vector_close(&v);
    if (s) cp_aoi_clear(aoi);
    return s;
}

void cp_aoi_clear(cp_aoi *aoi) {
    if (!aoi) return;
    free_arrays(&aoi->xy, &aoi->ring_offsets, &aoi->part_offsets);
    memset(aoi, 0, sizeof *aoi);
}
