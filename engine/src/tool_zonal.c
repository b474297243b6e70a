/* clearplan zonal: exact zonal statistics of polygons over a raster band (clearplan/zonal.h).
 *
 * 1. Read every feature: reproject to the raster's CRS, check with GEOS, repair invalid
 *    polygons with make-valid, keep the polygonal parts as cpk_polygon arrays.
 * 2. Classes (optional): the class values are 0..255 for a Byte band, otherwise the distinct
 *    values found by a first pass over the rows the polygons touch.
 * 3. Read the band in strips under the memory budget; for each strip run cpk_zonal_f32 on
 *    the polygons whose window meets it (accumulators gathered and scattered back, so the
 *    result is the whole-grid one bit for bit).
 * 4. Write the CSV (attributes read again in layer order) under a temporary name, rename. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/zonal.h>

#include "cpk/zonal.h"
#include "error.h"
#include "rasterio.h"

cp_zonal_options cp_zonal_defaults(void) {
    cp_zonal_options o;
    memset(&o, 0, sizeof o);
    o.band = 1;
    o.stats =
        CP_ZONAL_SUM | CP_ZONAL_MEAN | CP_ZONAL_MIN | CP_ZONAL_MAX | CP_ZONAL_AREA | CP_ZONAL_COUNT;
    o.max_classes = 256;
    return o;
}

cp_status cp_zonal_parse_stats(const char *list, unsigned *stats) {
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"sum", CP_ZONAL_SUM},        {"mean", CP_ZONAL_MEAN}, {"min", CP_ZONAL_MIN},
                 {"max", CP_ZONAL_MAX},        {"area", CP_ZONAL_AREA}, {"count", CP_ZONAL_COUNT},
                 {"classes", CP_ZONAL_CLASSES}};
    unsigned bits = 0;
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        unsigned found = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; ++k)
            if (strlen(names[k].name) == n && !strncmp(names[k].name, p, n)) found = names[k].bit;
        if (!found)
            return cp_fail(CP_E_ARG,
                           "unknown statistic '%.*s' (expected sum, mean, min, max, area, count "
                           "or classes)",
                           (int)n, p);
        bits |= found;
        p = e ? e + 1 : NULL;
    }
    if (!bits) return cp_fail(CP_E_ARG, "no statistic given");
    *stats = bits;
    return CP_OK;
}

/* ---- polygon storage (GeoArrow-like offsets, see cpk/coverage.h) ---- */

typedef struct {
    int64_t ring0, nrings; /* its rings in the global ring offsets */
    int64_t po0, nparts;   /* its part offsets (nparts + 1 entries from po0) */
    int empty;             /* null, empty, not polygonal or unrepairable */
} feat_rec;

typedef struct {
    double *xy;
    int64_t npts, cap_pts;
    int64_t *ro; /* global ring offsets: ring r = points [ro[r], ro[r+1]) */
    int64_t nrings, cap_rings;
    int64_t *po; /* per polygon nparts + 1 offsets, relative to its first ring */
    int64_t npo, cap_po;
    feat_rec *feat;
    int64_t nfeat, cap_feat;
} poly_store;

static int grow(void **p, int64_t *cap, int64_t need, size_t elem) {
    if (need <= *cap) return 1;
    int64_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

static void store_free(poly_store *s) {
    free(s->xy);
    free(s->ro);
    free(s->po);
    free(s->feat);
}

static cp_status nomem(void) {
    return cp_fail(CP_E_NOMEM, "out of memory while reading polygons");
}

/* Appends one ring's coordinates. */
static cp_status add_ring(GEOSContextHandle_t g, poly_store *s, const GEOSGeometry *ring) {
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(g, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(g, cs, &n)) return cp_fail(CP_E_GEOMETRY, "bad ring");
    if (!grow((void **)&s->xy, &s->cap_pts, s->npts + n, 2 * sizeof(double)) ||
        !grow((void **)&s->ro, &s->cap_rings, s->nrings + 2, sizeof(int64_t)))
        return nomem();
    if (n && !GEOSCoordSeq_copyToBuffer_r(g, cs, s->xy + 2 * s->npts, 0, 0))
        return cp_fail(CP_E_GEOMETRY, "cannot read ring coordinates");
    s->npts += n;
    s->nrings++;
    s->ro[s->nrings] = s->npts;
    return CP_OK;
}

/* Appends the polygons of `geom` (polygon, multipolygon or collection) as parts. */
static cp_status add_polygons(GEOSContextHandle_t g, poly_store *s, const GEOSGeometry *geom,
                              int64_t first_ring) {
    int type = GEOSGeomTypeId_r(g, geom);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(g, geom)) return CP_OK;
        cp_status st = add_ring(g, s, GEOSGetExteriorRing_r(g, geom));
        int nh = GEOSGetNumInteriorRings_r(g, geom);
        for (int k = 0; st == CP_OK && k < nh; ++k)
            st = add_ring(g, s, GEOSGetInteriorRingN_r(g, geom, k));
        if (st != CP_OK) return st;
        if (!grow((void **)&s->po, &s->cap_po, s->npo + 1, sizeof(int64_t))) return nomem();
        s->po[s->npo++] = s->nrings - first_ring;
        return CP_OK;
    }
    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(g, geom);
        for (int k = 0; k < n; ++k) {
            cp_status st = add_polygons(g, s, GEOSGetGeometryN_r(g, geom, k), first_ring);
            if (st != CP_OK) return st;
        }
    }
    return CP_OK; /* points and lines cover nothing */
}

static void geos_msg(const char *msg, void *user) {
    snprintf((char *)user, 512, "%s", msg);
}

/* Converts one feature's geometry (already in the raster's CRS) and records it. */
static cp_status add_feature(GEOSContextHandle_t g, GEOSWKBReader *rd, poly_store *s,
                             OGRGeometryH geom, long long *repaired) {
    if (!grow((void **)&s->feat, &s->cap_feat, s->nfeat + 1, sizeof(feat_rec))) return nomem();
    feat_rec *fr = &s->feat[s->nfeat++];
    fr->ring0 = s->nrings;
    fr->nrings = 0;
    fr->po0 = s->npo;
    fr->nparts = 0;
    fr->empty = 1;
    if (!grow((void **)&s->po, &s->cap_po, s->npo + 1, sizeof(int64_t))) return nomem();
    s->po[s->npo++] = 0;
    if (!geom || OGR_G_IsEmpty(geom)) return CP_OK;
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(geom));
    if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbGeometryCollection &&
        !OGR_G_HasCurveGeometry(geom, 0) && t != wkbPolyhedralSurface && t != wkbTIN)
        return CP_OK;
    OGRGeometryH lin = OGR_G_HasCurveGeometry(geom, 0) ? OGR_G_GetLinearGeometry(geom, 0, NULL)
                                                       : OGR_G_Clone(geom);
    if (!lin) return CP_OK;
    OGR_G_FlattenTo2D(lin);
    int n = OGR_G_WkbSize(lin);
    unsigned char *wkb = malloc(n > 0 ? (size_t)n : 1);
    if (!wkb) {
        OGR_G_DestroyGeometry(lin);
        return nomem();
    }
    OGR_G_ExportToWkb(lin, wkbNDR, wkb);
    OGR_G_DestroyGeometry(lin);
    GEOSGeometry *gg = GEOSWKBReader_read_r(g, rd, wkb, (size_t)n);
    free(wkb);
    if (!gg) return CP_OK; /* unreadable: empty statistics */
    if (GEOSisValid_r(g, gg) != 1) {
        GEOSGeometry *fixed = GEOSMakeValid_r(g, gg);
        GEOSGeom_destroy_r(g, gg);
        if (!fixed) return CP_OK; /* unrepairable */
        gg = fixed;
        ++*repaired;
    }
    cp_status st = add_polygons(g, s, gg, fr->ring0);
    GEOSGeom_destroy_r(g, gg);
    if (st != CP_OK) return st;
    fr = &s->feat[s->nfeat - 1];
    fr->nrings = s->nrings - fr->ring0;
    fr->nparts = s->npo - fr->po0 - 1;
    fr->empty = fr->nparts == 0;
    return CP_OK;
}

/* ---- CSV ---- */

/* Writes a field; `first` tells whether it starts the line. */
static void csv_text(FILE *f, int *first, const char *s) {
    if (!*first) fputc(',', f);
    *first = 0;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; ++s) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A number, or an empty field when !ok or not finite. */
static void csv_num(FILE *f, int *first, double v, int ok) {
    if (!*first) fputc(',', f);
    *first = 0;
    if (ok && isfinite(v)) fprintf(f, "%.15g", v);
}

/* The `owned` test of the output transaction for --overwrite: a CSV whose header ends with
 * one of the columns this tool writes last (a statistic or a class share). */
static int zonal_csv_owned(const char *path, void *arg) {
    (void)arg;
    FILE *f = fopen(path, "rb");
    char line[65536];
    int ok = f && fgets(line, sizeof line, f) != NULL;
    if (f) fclose(f);
    if (!ok) return 0;
    line[strcspn(line, "\r\n")] = '\0';
    const char *last = strrchr(line, ',');
    last = last ? last + 1 : line;
    static const char *const names[] = {"sum", "mean", "min", "max", "nodata_area", "count", NULL};
    for (const char *const *n = names; *n; ++n)
        if (!strcmp(last, *n)) return 1;
    size_t k = strlen(last);
    return !strncmp(last, "class_", 6) && k > 12 && !strcmp(last + k - 6, "_share");
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* ---- the tool ---- */

cp_status cp_tool_zonal(const char *raster_path, const char *polygons_path, const char *csv_path,
                        const cp_zonal_options *opt_in, cp_progress_fn progress, void *progress_arg,
                        cp_zonal_result *result) {
    cp_zonal_options opt = opt_in ? *opt_in : cp_zonal_defaults();
    if (!raster_path || !polygons_path || !csv_path)
        return cp_fail(CP_E_ARG, "missing raster, polygons or output path");
    if (opt.band == 0) opt.band = 1;
    if (opt.stats == 0) opt.stats = cp_zonal_defaults().stats;
    if (opt.max_classes <= 0) opt.max_classes = 256;
    size_t memory = (opt.common.memory_mb ? opt.common.memory_mb : CP_MEMORY_DEFAULT_MB) * (size_t)1
                    << 20;

    cp_status st = CP_OK;
    GDALDatasetH rds = NULL, vds = NULL;
    OGRSpatialReferenceH rsrs = NULL, vsrs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    GEOSContextHandle_t gctx = NULL;
    GEOSWKBReader *rd = NULL;
    char geos_err[512] = "";
    poly_store S;
    memset(&S, 0, sizeof S);
    cpk_polygon *polys = NULL;
    cpk_window *wins = NULL;
    cpk_zonal_acc *acc = NULL, *aacc = NULL;
    double *cw = NULL, *acw = NULL;
    float *buf = NULL, *classes = NULL;
    int64_t nclasses = 0, *active = NULL;
    cpk_polygon *apoly = NULL;
    cpk_window *awin = NULL;
    FILE *out = NULL;
    cp_output *tx = NULL;
    cp_zonal_result res;
    memset(&res, 0, sizeof res);

    /* The output, checked against the inputs before any work (clearplan/output.h). */
    const char *inputs[] = {raster_path, polygons_path, NULL};
    cp_output_options oo = cp_rio_tx_options("zonal", &opt.common, inputs);
    oo.owned = zonal_csv_owned;
    if ((st = cp_output_begin(csv_path, &oo, &tx)) != CP_OK) return st;

    /* Inputs and CRSs. */
    if ((st = cp_rio_open(raster_path, &rds)) != CP_OK) goto done;
    if ((st = cp_rio_require_crs(rds, raster_path, 0)) != CP_OK) goto done;
    cpk_geo grid;
    if ((st = cp_rio_geo(rds, raster_path, &grid)) != CP_OK) goto done;
    GDALRasterBandH band;
    int has_nd = 0;
    float nd = 0.0f;
    if ((st = cp_rio_band(rds, raster_path, opt.band, &band, &has_nd, &nd)) != CP_OK) goto done;
    CPLErrorReset();
    vds = GDALOpenEx(polygons_path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, NULL,
                     NULL, NULL);
    if (!vds) {
        st = cp_fail_gdal(CP_E_IO, "cannot open <%s>", polygons_path);
        goto done;
    }
    OGRLayerH layer =
        opt.layer ? GDALDatasetGetLayerByName(vds, opt.layer)
                  : (GDALDatasetGetLayerCount(vds) > 0 ? GDALDatasetGetLayer(vds, 0) : NULL);
    if (!layer) {
        st = opt.layer ? cp_fail(CP_E_FORMAT, "<%s> has no layer '%s'", polygons_path, opt.layer)
                       : cp_fail(CP_E_FORMAT, "<%s> has no vector layer", polygons_path);
        goto done;
    }
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(layer);
    if (!lsrs) {
        st = cp_fail(CP_E_CRS, "<%s> has no coordinate reference system", polygons_path);
        goto done;
    }
    rsrs = OSRClone(GDALGetSpatialRef(rds));
    vsrs = OSRClone(lsrs);
    OSRSetAxisMappingStrategy(rsrs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(vsrs, OAMS_TRADITIONAL_GIS_ORDER);
    if (!OSRIsSame(rsrs, vsrs)) {
        CPLErrorReset();
        ct = OCTNewCoordinateTransformation(vsrs, rsrs);
        if (!ct) {
            st = cp_fail_gdal(CP_E_CRS,
                              "cannot transform <%s> to the coordinate reference system of <%s>",
                              polygons_path, raster_path);
            goto done;
        }
    }

    /* 1. Polygons. */
    gctx = GEOS_init_r();
    GEOSContext_setErrorMessageHandler_r(gctx, geos_msg, geos_err);
    rd = GEOSWKBReader_create_r(gctx);
    if (!grow((void **)&S.ro, &S.cap_rings, 1, sizeof(int64_t))) {
        st = nomem();
        goto done;
    }
    S.ro[0] = 0;
    if (progress && !progress(0.0, "reading polygons", progress_arg)) {
        st = cp_fail(CP_E_INTERRUPTED, "interrupted");
        goto done;
    }
    OGR_L_ResetReading(layer);
    OGRFeatureH feat;
    while ((feat = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(feat);
        if (geom && ct && !OGR_G_IsEmpty(geom) && OGR_G_Transform(geom, ct) != OGRERR_NONE) {
            st = cp_fail_gdal(CP_E_CRS,
                              "cannot transform feature %lld of <%s> to the coordinate "
                              "reference system of <%s>",
                              (long long)OGR_F_GetFID(feat), polygons_path, raster_path);
            OGR_F_Destroy(feat);
            goto done;
        }
        st = add_feature(gctx, rd, &S, geom, &res.repaired);
        OGR_F_Destroy(feat);
        if (st != CP_OK) goto done;
    }
    if (S.nfeat == 0) {
        st = cp_fail(CP_E_FORMAT, "layer '%s' of <%s> has no features", OGR_L_GetName(layer),
                     polygons_path);
        goto done;
    }
    const int64_t n = S.nfeat;
    polys = calloc((size_t)n, sizeof *polys);
    wins = calloc((size_t)n, sizeof *wins);
    acc = malloc(sizeof *acc * (size_t)n);
    if (!polys || !wins || !acc) {
        st = nomem();
        goto done;
    }
    cpk_zonal_acc_init(acc, n);
    int64_t nonempty = 0, inside = 0, rmin = grid.ny, rmax = 0;
    for (int64_t k = 0; k < n; ++k) {
        const feat_rec *fr = &S.feat[k];
        cpk_polygon p = {S.xy, S.ro + fr->ring0, fr->nrings, S.po + fr->po0, fr->nparts};
        polys[k] = p;
        if (fr->empty) {
            res.empty++;
            continue;
        }
        nonempty++;
        if (cpk_coverage_window(&p, &grid, &wins[k]) != CPK_OK) {
            st = cp_fail(CP_E_INTERNAL, "bad polygon %lld from <%s>", (long long)k, polygons_path);
            goto done;
        }
        if (wins[k].nx == 0) {
            res.outside++;
            continue;
        }
        inside++;
        if (wins[k].row0 < rmin) rmin = wins[k].row0;
        if (wins[k].row0 + wins[k].ny > rmax) rmax = wins[k].row0 + wins[k].ny;
    }
    if (nonempty > 0 && inside == 0) {
        st = cp_fail(CP_E_FORMAT,
                     "no polygon of <%s> overlaps <%s>: check their coordinate reference systems",
                     polygons_path, raster_path);
        goto done;
    }

    /* Strips. */
    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    size_t row_bytes = sizeof(float) * (size_t)grid.nx;
    size_t fixed = (size_t)S.npts * 16 + (size_t)n * (sizeof(cpk_zonal_acc) + 96);
    /* The budget is a ceiling: strips of at most 64 MB stay hot in memory and cost fewer
     * page faults than one huge strip (measured: a third less system time on 10k x 10k). */
    size_t strip_budget = memory < fixed + ((size_t)64 << 20) ? memory : fixed + ((size_t)64 << 20);
    int64_t rows = cp_rio_strip_rows(strip_budget, fixed, row_bytes, by > 0 ? by : 1, 1);
    if (rows > grid.ny) rows = grid.ny;
    if (rows < 1) rows = 1;
    buf = malloc(row_bytes * (size_t)rows + 1);
    active = malloc(sizeof(int64_t) * (size_t)n);
    apoly = malloc(sizeof *apoly * (size_t)n);
    awin = malloc(sizeof *awin * (size_t)n);
    aacc = malloc(sizeof *aacc * (size_t)n);
    if (!buf || !active || !apoly || !awin || !aacc) {
        st = cp_fail(CP_E_NOMEM, "out of memory for a strip of %lld rows", (long long)rows);
        goto done;
    }
    int want_classes = (opt.stats & CP_ZONAL_CLASSES) != 0;
    const double pass2_from = want_classes && GDALGetRasterDataType(band) != GDT_Byte ? 0.3 : 0.0;

    /* 2. Classes. */
    if (want_classes && inside > 0) {
        classes = malloc(sizeof(float) * (size_t)(opt.max_classes > 256 ? opt.max_classes : 256));
        if (!classes) {
            st = nomem();
            goto done;
        }
        if (GDALGetRasterDataType(band) == GDT_Byte) {
            for (int k = 0; k < 256; ++k) classes[k] = (float)k;
            nclasses = 256;
        } else {
            for (int64_t r0 = rmin; r0 < rmax; r0 += rows) {
                int64_t nr = r0 + rows <= rmax ? rows : rmax - r0;
                if ((st = cp_rio_read_rows(band, raster_path, r0, nr, buf, grid.nx)) != CP_OK)
                    goto done;
                for (int64_t c = 0; c < nr * grid.nx; ++c) {
                    float v = buf[c];
                    if (v != v || (has_nd && v == nd)) continue;
                    int64_t lo = 0, hi = nclasses;
                    while (lo < hi) {
                        int64_t mid = (lo + hi) / 2;
                        if (classes[mid] < v)
                            lo = mid + 1;
                        else
                            hi = mid;
                    }
                    if (lo < nclasses && classes[lo] == v) continue;
                    if (nclasses >= opt.max_classes) {
                        st = cp_fail(CP_E_FORMAT,
                                     "band %d of <%s> has more than %d distinct values: classes "
                                     "need a categorical raster",
                                     opt.band, raster_path, opt.max_classes);
                        goto done;
                    }
                    memmove(classes + lo + 1, classes + lo,
                            sizeof(float) * (size_t)(nclasses - lo));
                    classes[lo] = v;
                    nclasses++;
                }
                if (progress &&
                    !progress(pass2_from * (double)(r0 + nr - rmin) / (double)(rmax - rmin),
                              "finding classes", progress_arg)) {
                    st = cp_fail(CP_E_INTERRUPTED, "interrupted");
                    goto done;
                }
            }
            qsort(classes, (size_t)nclasses, sizeof(float), cmp_float);
        }
        cw = calloc((size_t)n * (size_t)(nclasses + 1), sizeof(double));
        acw = malloc(sizeof(double) * (size_t)n * (size_t)(nclasses + 1));
        if (!cw || !acw) {
            st = nomem();
            goto done;
        }
    }

    /* 3. Statistics, strip by strip. */
    const int64_t nc1 = nclasses + 1;
    for (int64_t r0 = rmin; r0 < rmax; r0 += rows) {
        int64_t nr = r0 + rows <= rmax ? rows : rmax - r0;
        if ((st = cp_rio_read_rows(band, raster_path, r0, nr, buf, grid.nx)) != CP_OK) goto done;
        res.strips++;
        int64_t na = 0;
        for (int64_t k = 0; k < n; ++k) {
            const cpk_window *w = &wins[k];
            if (w->nx == 0 || w->row0 >= r0 + nr || w->row0 + w->ny <= r0) continue;
            active[na] = k;
            apoly[na] = polys[k];
            awin[na] = *w;
            aacc[na] = acc[k];
            if (cw) memcpy(acw + na * nc1, cw + k * nc1, sizeof(double) * (size_t)nc1);
            na++;
        }
        cpk_zonal_band zb = {{buf, grid.nx, nr, grid.nx, nd, has_nd},
                             cw ? classes : NULL,
                             cw ? nclasses : 0,
                             cw ? acw : NULL};
        cpk_status ks = cpk_zonal_f32(apoly, awin, na, &grid, r0, &zb, 1, opt.common.threads, aacc);
        if (ks != CPK_OK) {
            st = cp_fail(ks == CPK_E_NOMEM ? CP_E_NOMEM : CP_E_INTERNAL, "zonal kernel: %s",
                         cpk_strerror(ks));
            goto done;
        }
        for (int64_t a = 0; a < na; ++a) {
            int64_t k = active[a];
            acc[k] = aacc[a];
            if (cw) memcpy(cw + k * nc1, acw + a * nc1, sizeof(double) * (size_t)nc1);
        }
        if (progress && !progress(pass2_from + (0.98 - pass2_from) * (double)(r0 + nr - rmin) /
                                                   (double)(rmax - rmin),
                                  "zonal statistics", progress_arg)) {
            st = cp_fail(CP_E_INTERRUPTED, "interrupted");
            goto done;
        }
    }

    /* 4. CSV. Class columns: the classes present in some polygon. */
    unsigned char *show = NULL;
    if (cw) {
        show = calloc((size_t)nc1, 1);
        if (!show) {
            st = nomem();
            goto done;
        }
        for (int64_t k = 0; k < n; ++k)
            for (int64_t c = 0; c < nclasses; ++c)
                if (cw[k * nc1 + c] > 0) show[c] = 1;
        for (int64_t c = 0; c < nclasses; ++c) res.classes += show[c];
    }
    out = fopen(cp_output_path(tx), "wb");
    if (!out) {
        free(show);
        st = cp_fail(CP_E_IO, "cannot create <%s>: %s", csv_path, strerror(errno));
        goto done;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int nf = OGR_FD_GetFieldCount(defn), first = 1;
    for (int f = 0; f < nf; ++f)
        csv_text(out, &first, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, f)));
    const unsigned sb = opt.stats;
    static const char *const stat_names[] = {"sum", "mean", "min", "max"};
    for (int b = 0; b < 4; ++b)
        if (sb & (1u << b)) csv_text(out, &first, stat_names[b]);
    if (sb & CP_ZONAL_AREA) {
        csv_text(out, &first, "area");
        csv_text(out, &first, "nodata_area");
    }
    if (sb & CP_ZONAL_COUNT) csv_text(out, &first, "count");
    for (int64_t c = 0; cw && c < nclasses; ++c)
        if (show[c]) {
            char name[64];
            snprintf(name, sizeof name, "class_%.9g_share", (double)classes[c]);
            csv_text(out, &first, name);
        }
    fputc('\n', out);
    const double cell = grid.dx * grid.dy;
    OGR_L_ResetReading(layer);
    int64_t k = 0;
    while (k < n && (feat = OGR_L_GetNextFeature(layer)) != NULL) {
        first = 1;
        for (int f = 0; f < nf; ++f)
            csv_text(out, &first,
                     OGR_F_IsFieldSetAndNotNull(feat, f) ? OGR_F_GetFieldAsString(feat, f) : "");
        OGR_F_Destroy(feat);
        feat = NULL;
        const cpk_zonal_acc *a = &acc[k];
        int ok = !S.feat[k].empty, some = ok && a->count > 0;
        if (sb & CP_ZONAL_SUM) csv_num(out, &first, a->sum, ok);
        if (sb & CP_ZONAL_MEAN) csv_num(out, &first, a->sum / a->weight, some);
        if (sb & CP_ZONAL_MIN) csv_num(out, &first, a->min, some);
        if (sb & CP_ZONAL_MAX) csv_num(out, &first, a->max, some);
        if (sb & CP_ZONAL_AREA) {
            csv_num(out, &first, a->weight * cell, ok);
            csv_num(out, &first, a->nodata_weight * cell, ok);
        }
        if (sb & CP_ZONAL_COUNT) csv_num(out, &first, (double)a->count, ok);
        for (int64_t c = 0; cw && c < nclasses; ++c)
            if (show[c]) csv_num(out, &first, cw[k * nc1 + c] / a->weight, some);
        fputc('\n', out);
        ++k;
    }
    if (feat) OGR_F_Destroy(feat);
    free(show);
    res.features = k;
    if (k != n) {
        st = cp_fail(CP_E_IO, "<%s> changed while being read", polygons_path);
        goto done;
    }
    int werr = ferror(out);
    if (fclose(out) != 0 || werr) {
        out = NULL;
        st = cp_fail(CP_E_IO, "cannot write <%s>", csv_path);
        goto done;
    }
    out = NULL;
    st = cp_output_commit(tx); /* synced, then published by an atomic rename */
    tx = NULL;
    if (st != CP_OK) goto done;
    if (progress) progress(1.0, NULL, progress_arg);

done:
    if (out) fclose(out);
    cp_output_abort(tx);
    free(buf);
    free(classes);
    free(cw);
    free(acw);
    free(active);
    free(apoly);
    free(awin);
    free(aacc);
    free(acc);
    free(wins);
    free(polys);
    store_free(&S);
    if (rd) GEOSWKBReader_destroy_r(gctx, rd);
    if (gctx) GEOS_finish_r(gctx);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (rsrs) OSRDestroySpatialReference(rsrs);
    if (vsrs) OSRDestroySpatialReference(vsrs);
    if (vds) GDALClose(vds);
    if (rds) GDALClose(rds);
    if (st == CP_OK && result) *result = res;
    return st;
}
