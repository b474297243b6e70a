/* Inputs on the analysis grid (DESIGN §5): rasters warped with GDAL (population with
 * area-weighted sum so people are neither created nor lost, land cover with mode, tree cover
 * with average), points reprojected through OGR. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#include <proj.h>
#else
static int omp_get_thread_num(void) {
    return 0;
}
#endif

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_alg.h>
#include <gdal_utils.h>
#include <ogr_api.h>

#include "cpk/resample.h"
#include "error.h"
#include "inputs.h"
#include "raster.h"
#include "vector.h"

static const char *resample_name(const cp_input *in) {
    switch (in->resample) {
        case CP_RESAMPLE_NEAREST:
            return "near";
        case CP_RESAMPLE_BILINEAR:
            return "bilinear";
        case CP_RESAMPLE_AVERAGE:
            return "average";
        case CP_RESAMPLE_MODE:
            return "mode";
        case CP_RESAMPLE_SUM:
            return "sum";
        case CP_RESAMPLE_DEFAULT:
            break;
    }
    return "average";
}

/* A raster input being put on the grid: the open file, its CRS (its own, or the assumed one
 * as WKT) and its geotransform. */
typedef struct {
    const cp_input *in;
    const cp_grid *g;
    GDALDatasetH src;
    const char *wkt; /* the file's or `assumed` */
    char *assumed;
    double gt[6];
} warp_source;

/* Opens the file and checks it has cells, the band, a CRS (or one assumed) and georeferencing. */
static cp_status source_open(warp_source *w) {
    const cp_input *in = w->in;
    CPLErrorReset();
    w->src = GDALOpenEx(in->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!w->src) return cp_fail_gdal(CP_E_IO, "cannot open <%s>", in->path);
    if (GDALGetRasterXSize(w->src) < 1 || GDALGetRasterYSize(w->src) < 1)
        return cp_fail(CP_E_FORMAT, "<%s>: the raster has no cells", in->path);
    if (in->band > GDALGetRasterCount(w->src))
        return cp_fail(CP_E_FORMAT, "<%s>: band %d asked for, the raster has %d", in->path,
                       in->band, GDALGetRasterCount(w->src));
    w->wkt = GDALGetProjectionRef(w->src);
    if (!w->wkt || !*w->wkt) {
        if (!in->assume_crs)
            return cp_fail(CP_E_CRS,
                           "<%s>: raster has no coordinate reference system; set "
                           "inputs.%s.assume_crs (e.g. EPSG:4326) if you know it",
                           in->path, in->name);
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRSetFromUserInput(srs, in->assume_crs);
        OSRExportToWkt(srs, &w->assumed);
        OSRDestroySpatialReference(srs);
        w->wkt = w->assumed;
    }
    if (GDALGetGeoTransform(w->src, w->gt) != CE_None && !GDALGetGCPCount(w->src))
        return cp_fail(CP_E_FORMAT, "<%s>: raster has no georeferencing (geotransform)", in->path);
    return CP_OK;
}

/* An input that does not overlap the grid at all is an error (DESIGN §15). */
static cp_status source_overlaps(const warp_source *w) {
    const cp_grid *g = w->g;
    const double *gt = w->gt;
    OGRSpatialReferenceH ssrs = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(ssrs, OAMS_TRADITIONAL_GIS_ORDER);
    int ok = OSRSetFromUserInput(ssrs, w->wkt) == OGRERR_NONE;
    OGRCoordinateTransformationH ct = ok ? OCTNewCoordinateTransformation(ssrs, g->srs) : NULL;
    double sx0 = gt[0], sx1 = gt[0] + gt[1] * GDALGetRasterXSize(w->src);
    double sy1 = gt[3], sy0 = gt[3] + gt[5] * GDALGetRasterYSize(w->src);
    double bx0, by0, bx1, by1;
    int outside = 0;
    if (ct && OCTTransformBounds(ct, fmin(sx0, sx1), fmin(sy0, sy1), fmax(sx0, sx1), fmax(sy0, sy1),
                                 &bx0, &by0, &bx1, &by1, 21)) {
        double gx1 = g->geo.x0 + (double)g->geo.nx * g->geo.dx;
        double gy0 = g->geo.y0 - (double)g->geo.ny * g->geo.dy;
        outside = bx1 <= g->geo.x0 || bx0 >= gx1 || by1 <= gy0 || by0 >= g->geo.y0;
    }
    if (ct) OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(ssrs);
    if (outside)
        return cp_fail(CP_E_FORMAT, "<%s>: does not overlap the analysis grid (%s, hazards' area)",
                       w->in->path, g->crs_name);
    return CP_OK;
}

/* Already on the grid (same CRS, cell size and alignment, e.g. land cover prepared at 30 m in
 * the grid's UTM zone): a window of the file, no warping. Same cells as the warper gives at
 * 1:1, at a fraction of the cost. NULL when the file is not on the grid. */
static GDALDatasetH source_window(const warp_source *w) {
    const cp_grid *g = w->g;
    const double *gt = w->gt;
    OGRSpatialReferenceH ssrs = OSRNewSpatialReference(NULL);
    int same = OSRSetFromUserInput(ssrs, w->wkt) == OGRERR_NONE && OSRIsSame(ssrs, g->srs) &&
               gt[2] == 0 && gt[4] == 0 && fabs(gt[1] - g->geo.dx) <= 1e-9 * g->geo.dx &&
               fabs(-gt[5] - g->geo.dy) <= 1e-9 * g->geo.dy;
    OSRDestroySpatialReference(ssrs);
    double fx = (g->geo.x0 - gt[0]) / g->geo.dx, fy = (gt[3] - g->geo.y0) / g->geo.dy;
    if (!same || fabs(fx - round(fx)) >= 1e-6 || fabs(fy - round(fy)) >= 1e-6 || fabs(fx) >= 1e9 ||
        fabs(fy) >= 1e9)
        return NULL;
    char xo[32], yo[32], wd[32], ht[32], b[16];
    snprintf(xo, sizeof xo, "%.0f", round(fx));
    snprintf(yo, sizeof yo, "%.0f", round(fy));
    snprintf(wd, sizeof wd, "%lld", (long long)g->geo.nx);
    snprintf(ht, sizeof ht, "%lld", (long long)g->geo.ny);
    snprintf(b, sizeof b, "%d", w->in->band);
    int has_nd = 0;
    GDALGetRasterNoDataValue(GDALGetRasterBand(w->src, w->in->band), &has_nd);
    /* cells outside the file read as nodata: the file's own, or NaN */
    char *targv[] = {"-of",     "VRT", "-b", b,  "-ot", "Float32",
                     "-srcwin", xo,    yo,   wd, ht,    has_nd ? NULL : "-a_nodata",
                     "nan",     NULL};
    GDALTranslateOptions *to = GDALTranslateOptionsNew(targv, NULL);
    GDALDatasetH win = to ? GDALTranslate("", w->src, to, NULL) : NULL;
    GDALTranslateOptionsFree(to);
    char at[80];
    snprintf(at, sizeof at, "%s %s", xo, yo);
    if (win) GDALSetMetadataItem(win, "CP_WINDOW", at, NULL); /* where the window lies */
    return win;
}

/* gdalwarp onto the grid, as a VRT: the extent, cell size and CRS of the grid, the input's
 * resampling, NaN where nothing maps. */
static cp_status source_warp(warp_source *w, int threads, size_t warp_bytes, GDALDatasetH *out) {
    const cp_input *in = w->in;
    const cp_grid *g = w->g;
    char te[4][40], tr[40], band[16];
    snprintf(te[0], sizeof te[0], "%.17g", g->geo.x0);
    snprintf(te[1], sizeof te[1], "%.17g", g->geo.y0 - (double)g->geo.ny * g->geo.dy);
    snprintf(te[2], sizeof te[2], "%.17g", g->geo.x0 + (double)g->geo.nx * g->geo.dx);
    snprintf(te[3], sizeof te[3], "%.17g", g->geo.y0);
    snprintf(tr, sizeof tr, "%.17g", g->geo.dx);
    snprintf(band, sizeof band, "%d", in->band);
    if (in->band > 1) {
        /* gdalwarp of GDAL 3.6 has no -b: select the band through a VRT first. */
        char *targv[] = {"-of", "VRT", "-b", band, NULL};
        GDALTranslateOptions *to = GDALTranslateOptionsNew(targv, NULL);
        GDALDatasetH one = to ? GDALTranslate("", w->src, to, NULL) : NULL;
        GDALTranslateOptionsFree(to);
        if (!one)
            return cp_fail_gdal(CP_E_FORMAT, "<%s>: cannot select band %d", in->path, in->band);
        GDALReleaseDataset(w->src);
        w->src = one;
    }
    /* each target cell is computed from the source alone, so the warper's threads do not
     * change any value */
    char nt[32], wm[32];
    snprintf(nt, sizeof nt, "NUM_THREADS=%d", threads > 0 ? threads : 1);
    /* the warper's chunk within the run's memory budget (bytes: -wm reads >= 10000 so) */
    snprintf(wm, sizeof wm, "%zu", warp_bytes < 10000 ? (size_t)64 << 20 : warp_bytes);
    char *argv[] = {"-of",
                    "VRT",
                    "-t_srs",
                    (char *)g->wkt,
                    "-te",
                    te[0],
                    te[1],
                    te[2],
                    te[3],
                    "-tr",
                    tr,
                    tr,
                    "-r",
                    (char *)resample_name(in),
                    "-ot",
                    "Float32",
                    "-dstnodata",
                    "nan",
                    "-wo",
                    nt,
                    "-wm",
                    wm,
                    w->assumed ? "-s_srs" : NULL,
                    w->assumed,
                    NULL};
    GDALWarpAppOptions *wo = GDALWarpAppOptionsNew(argv, NULL);
    if (!wo) return cp_fail_gdal(CP_E_INTERNAL, "<%s>: cannot set up warping", in->path);
    int usage_error = 0;
    *out = GDALWarp("", NULL, 1, &w->src, wo, &usage_error);
    GDALWarpAppOptionsFree(wo);
    if (!*out)
        return cp_fail_gdal(CP_E_CRS, "<%s>: cannot be warped onto the analysis grid", in->path);
    return CP_OK;
}

int cp_input_assume_unused(const cp_input *in) {
    if (!in->assume_crs) return 0;
    if (in->type == CP_INPUT_VECTOR) {
        cp_vector v;
        const int unused = cp_vector_open(in, &v) == CP_OK && v.assume_unused;
        cp_vector_close(&v);
        return unused;
    }
    GDALDatasetH ds = GDALOpenEx(in->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    const int unused = ds && cp_crs_assume_unused(GDALGetSpatialRef(ds), in->assume_crs);
    if (ds) GDALClose(ds);
    return unused;
}

cp_status cp_input_warp(const cp_input *in, const cp_grid *g, int threads, size_t warp_bytes,
                        GDALDatasetH *out) {
    *out = NULL;
    warp_source w = {.in = in, .g = g};
    cp_status st = source_open(&w);
    if (st == CP_OK) st = source_overlaps(&w);
    if (st == CP_OK && !(*out = source_window(&w))) st = source_warp(&w, threads, warp_bytes, out);
    /* The window or the VRT holds a reference to the source; drop ours. */
    if (w.src) GDALReleaseDataset(w.src);
    CPLFree(w.assumed);
    return st;
}

/* The band's nodata cells among n values read from it: NaN. */
static void nodata_to_nan(GDALRasterBandH b, float *buf, size_t n) {
    int has = 0;
    double nd = GDALGetRasterNoDataValue(b, &has);
    if (has && !isnan(nd)) {
        float fnd = (float)nd;
        for (size_t i = 0; i < n; ++i)
            if (buf[i] == fnd) buf[i] = NAN;
    }
}

cp_status cp_input_read_rows(GDALDatasetH ds, const char *path, const cp_grid *g, int64_t row0,
                             int64_t nrows, float *buf) {
    if (nrows <= 0) return CP_OK;
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    CPLErrorReset();
    if (GDALRasterIO(b, GF_Read, 0, (int)row0, (int)g->geo.nx, (int)nrows, buf, (int)g->geo.nx,
                     (int)nrows, GDT_Float32, 0, 0) != CE_None)
        return cp_fail_gdal(CP_E_IO, "cannot read <%s>", path);
    nodata_to_nan(b, buf, (size_t)nrows * (size_t)g->geo.nx);
    return CP_OK;
}

void cp_points_clear(cp_points *p) {
    free(p->x);
    free(p->y);
    free(p->w);
    free(p->date);
    memset(p, 0, sizeof *p);
}

/* A numeric field's value, or a text field that is exactly a finite number. 0 otherwise (a
 * null, "high", "", NaN): GDAL would read such text as 0. */
static int field_number(OGRFeatureH f, int i, double *v) {
    if (!OGR_F_IsFieldSetAndNotNull(f, i)) return 0;
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, i));
    if (t == OFTReal || t == OFTInteger || t == OFTInteger64) {
        *v = OGR_F_GetFieldAsDouble(f, i);
    } else {
        const char *s = OGR_F_GetFieldAsString(f, i);
        char *end = NULL;
        *v = strtod(s, &end);
        if (end == s) return 0;
        while (*end == ' ') ++end;
        if (*end) return 0;
    }
    return isfinite(*v);
}

cp_status cp_points_read(const cp_input *in, const cp_grid *g, const cp_criterion *c,
                         cp_points *pts, size_t *skipped) {
    memset(pts, 0, sizeof *pts);
    *skipped = 0;
    cp_vector v = {0};
    OGRCoordinateTransformationH ct = NULL;
    cp_status s = cp_vector_open(in, &v);
    if (s) return s;
    int f_date = -1, f_conf = -1, f_weight = -1;
    if (in->date && (s = cp_vector_field(&v, in->path, "report date", in->date, &f_date)))
        goto done;
    if (in->confidence &&
        (s = cp_vector_field(&v, in->path, "report confidence", in->confidence, &f_conf)))
        goto done;
    if (in->weight && (s = cp_vector_field(&v, in->path, "point weight", in->weight, &f_weight)))
        goto done;
    ct = OCTNewCoordinateTransformation(v.srs, g->srs);
    if (!ct) {
        s = cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to the grid's CRS", in->path);
        goto done;
    }
    size_t cap = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(v.layer);
    while ((f = OGR_L_GetNextFeature(v.layer)) != NULL) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        double w = 1.0;
        int ok = geom && !OGR_G_IsEmpty(geom);
        if (ok && f_conf >= 0) {
            /* 0..1, or a percentage in (1, 100]; anything else (above 100, negative, text that
             * is not a number) is skipped and counted, never used as a weight */
            if (OGR_F_IsFieldSetAndNotNull(f, f_conf)) ok = field_number(f, f_conf, &w);
            if (!(w >= 0 && w <= 100)) ok = 0;
            if (w > 1) w /= 100.0;
        }
        double fw = 1.0;
        if (ok && f_weight >= 0) ok = field_number(f, f_weight, &fw) && fw >= 0;
        w *= fw;
        cp_date d = 0;
        if (ok && f_date >= 0) {
            const char *ds = OGR_F_GetFieldAsString(f, f_date);
            char head[11] = "";
            snprintf(head, sizeof head, "%s", ds ? ds : "");
            for (char *q = head; *q; ++q)
                if (*q == '/') *q = '-';
            int known = cp_date_parse(head, &d);
            if (!known) d = 0;
            if (c && (!known || d > c->as_of))
                ok = 0; /* unreadable or future date: counted as skipped */
            else if (c)
                w *= pow(0.5, (double)(c->as_of - d) / c->half_life_days);
        }
        if (ok) {
            OGRGeometryH pt = OGR_G_Clone(geom);
            if (wkbFlatten(OGR_G_GetGeometryType(pt)) != wkbPoint) {
                /* a centroid GEOS cannot compute leaves POINT EMPTY: skipped, not (0, 0) */
                OGRGeometryH cen = OGR_G_CreateGeometry(wkbPoint);
                if (OGR_G_Centroid(pt, cen) != OGRERR_NONE || OGR_G_IsEmpty(cen)) ok = 0;
                OGR_G_DestroyGeometry(pt);
                pt = cen;
            }
            if (ok && (OGR_G_Transform(pt, ct) != OGRERR_NONE || !isfinite(OGR_G_GetX(pt, 0)) ||
                       !isfinite(OGR_G_GetY(pt, 0))))
                ok = 0;
            if (ok) {
                if (pts->n == cap) {
                    cap = cap ? cap * 2 : 1024;
                    double *nx = realloc(pts->x, cap * sizeof *nx);
                    if (nx) pts->x = nx;
                    double *ny = nx ? realloc(pts->y, cap * sizeof *ny) : NULL;
                    if (ny) pts->y = ny;
                    double *nw = ny ? realloc(pts->w, cap * sizeof *nw) : NULL;
                    if (nw) pts->w = nw;
                    cp_date *nd = nw ? realloc(pts->date, cap * sizeof *nd) : NULL;
                    if (nd) pts->date = nd;
                    if (!nx || !ny || !nw || !nd) {
                        OGR_G_DestroyGeometry(pt);
                        OGR_F_Destroy(f);
                        s = cp_fail(CP_E_NOMEM, "out of memory reading <%s>", in->path);
                        goto done;
                    }
                }
                pts->x[pts->n] = OGR_G_GetX(pt, 0);
                pts->y[pts->n] = OGR_G_GetY(pt, 0);
                pts->w[pts->n] = w;
                pts->date[pts->n] = d;
                pts->n++;
            }
            OGR_G_DestroyGeometry(pt);
        }
        if (!ok) (*skipped)++;
        OGR_F_Destroy(f);
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    cp_vector_close(&v);
    if (s) cp_points_clear(pts);
    return s;
}

/* ------------------------------------------------------------------ inputs on the grid -- */

struct cp_grid_input {
    const cp_input *in;
    const cp_grid *g;
    GDALDatasetH ds; /* window or warped VRT; or, for sum resampling, the source itself */
    int exact_sum;   /* counts resampled exactly by cpk_sum_resample_row_f32 */
    int warped;      /* read through GDAL's warper (a warped VRT) */
    double gt[6];
    OGRCoordinateTransformationH to_grid, to_src;
    OGRCoordinateTransformationH *to_grid_t; /* one clone of to_grid per thread */
    PJ_CONTEXT **pj_ctx; /* per thread: PROJ called directly (direct_proj), or NULL */
    PJ **pj;
    int pj_radians; /* pj is the projection alone: corners in degrees times DEG_TO_RAD */
    int threads;
    int band;
    size_t scratch_len; /* doubles per thread for the largest source cell footprint */
    int all_corners;    /* every corner of a window's edges transformed (tests compare) */
    /* a compressed file's blocks decoded on the threads: the window's file (src, the window
     * at column xo, row yo of it, inside it) or the sum resampling's source (ds) */
    cp_band_pool pool;
    GDALDatasetH src;
    int64_t xo, yo;
};

static void direct_proj_free(cp_grid_input *gi) {
    for (int t = 0; gi->pj && t < gi->threads; ++t) {
        if (gi->pj[t]) proj_destroy(gi->pj[t]);
        if (gi->pj_ctx[t]) proj_context_destroy(gi->pj_ctx[t]);
    }
    free(gi->pj), free(gi->pj_ctx);
    gi->pj = NULL, gi->pj_ctx = NULL;
    gi->pj_radians = 0;
}

/* Whether two transformed coordinates are the same: the same bits, or both failed. */
static int same_coordinate(double a, double b) {
    int fa = !isfinite(a) || fabs(a) >= 1e20, fb = !isfinite(b) || fabs(b) >= 1e20;
    return fa || fb ? fa == fb : !memcmp(&a, &b, sizeof a);
}

enum { K = 33, LATTICE = K * K }; /* corners of the lattice that direct_proj_open checks */

/* Whether pj gives GDAL's coordinates (gx, gy) on the lattice (lx, ly) times `scale`. */
static int same_on_lattice(PJ *pj, const double *lx, const double *ly, double scale,
                           const double *gx, const double *gy) {
    double x[LATTICE], y[LATTICE];
    for (int k = 0; k < LATTICE; ++k) x[k] = lx[k] * scale, y[k] = ly[k] * scale;
    proj_trans_generic(pj, PJ_FWD, x, sizeof *x, LATTICE, y, sizeof *y, LATTICE, NULL, 0, 0, NULL,
                       0, 0);
    for (int k = 0; k < LATTICE; ++k)
        if (!same_coordinate(gx[k], x[k]) || !same_coordinate(gy[k], y[k])) return 0;
    return 1;
}

/* PROJ's factor from degrees to radians (its unit table's, M_PI / 180 in double) */
#define DEG_TO_RAD 0.017453292519943296

/* The corners' transformation called on PROJ directly, one context and object per thread:
 * GDAL's OCTTransformEx adds ~90 ns a point around PROJ's own ~200 (of the 173 M corners of
 * the national preset's population). Only where it cannot change a bit: when PROJ knows a
 * single operation between the two CRSs (so no choice by area of use), and the operation
 * made from them gives GDAL's very coordinates on a lattice of 33 x 33 corners over the whole
 * source. Otherwise (or on any failure) the corners go through GDAL, as before. */
static void direct_proj_open(cp_grid_input *gi, OGRSpatialReferenceH src_srs,
                             OGRSpatialReferenceH dst_srs) {
    const char *wkt2[] = {"FORMAT=WKT2_2019", NULL};
    char *ws = NULL, *wd = NULL;
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *src = NULL, *dst = NULL, *op = NULL, *vis = NULL;
    PJ_OPERATION_FACTORY_CONTEXT *fc = NULL;
    PJ_OBJ_LIST *ops = NULL;
    int ok = ctx && OSRExportToWktEx(src_srs, &ws, wkt2) == OGRERR_NONE &&
             OSRExportToWktEx(dst_srs, &wd, wkt2) == OGRERR_NONE;
    if (ok) proj_log_level(ctx, PJ_LOG_NONE);
    ok = ok && (src = proj_create(ctx, ws)) && (dst = proj_create(ctx, wd)) &&
         (fc = proj_create_operation_factory_context(ctx, NULL)) &&
         (ops = proj_create_operations(ctx, src, dst, fc)) && proj_list_get_count(ops) == 1 &&
         (op = proj_create_crs_to_crs_from_pj(ctx, src, dst, NULL, NULL)) &&
         (vis = proj_normalize_for_visualization(ctx, op));
    /* the lattice (world coordinates), through GDAL, then through PROJ */
    double lx[LATTICE], ly[LATTICE], gx[LATTICE], gy[LATTICE];
    const double W = GDALGetRasterXSize(gi->ds), H = GDALGetRasterYSize(gi->ds);
    for (int j = 0; j < K; ++j)
        for (int i = 0; i < K; ++i) {
            double c = W * i / (K - 1), r = H * j / (K - 1);
            gx[j * K + i] = lx[j * K + i] = gi->gt[0] + c * gi->gt[1] + r * gi->gt[2];
            gy[j * K + i] = ly[j * K + i] = gi->gt[3] + c * gi->gt[4] + r * gi->gt[5];
        }
    if (ok) {
        cp_gdal_quiet_begin();
        OCTTransformEx(gi->to_grid, LATTICE, gx, gy, NULL, NULL);
        cp_gdal_quiet_end();
        ok = same_on_lattice(vis, lx, ly, 1.0, gx, gy);
    }
    /* PROJ's pipeline from degrees is a unit conversion then the projection: the projection
     * alone, fed radians (degrees x DEG_TO_RAD, as the conversion multiplies), spares ~60 ns
     * a point, when it too gives GDAL's coordinates on the lattice */
    PJ *alone = NULL;
    static const char head[] =
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step ";
    const char *ps = ok ? proj_as_proj_string(ctx, vis, PJ_PROJ_5, NULL) : NULL;
    if (ps && !strncmp(ps, head, sizeof head - 1) && !strstr(ps + sizeof head - 1, "+step") &&
        !strstr(ps + sizeof head - 1, "+inv") && (alone = proj_create(ctx, ps + sizeof head - 1)) &&
        same_on_lattice(alone, lx, ly, DEG_TO_RAD, gx, gy)) {
        proj_destroy(vis);
        vis = alone, alone = NULL;
        gi->pj_radians = 1;
    }
    if (alone) proj_destroy(alone);
    /* one context and object per thread (PROJ's objects are not shared between threads) */
    if (ok) {
        gi->pj_ctx = calloc((size_t)gi->threads, sizeof *gi->pj_ctx);
        gi->pj = calloc((size_t)gi->threads, sizeof *gi->pj);
        ok = gi->pj_ctx && gi->pj;
        for (int t = 0; ok && t < gi->threads; ++t) {
            ok = (gi->pj_ctx[t] = proj_context_create()) != NULL;
            if (ok) proj_log_level(gi->pj_ctx[t], PJ_LOG_NONE);
            ok = ok && (gi->pj[t] = proj_clone(gi->pj_ctx[t], vis)) != NULL;
        }
        if (!ok) direct_proj_free(gi);
    }
    if (vis) proj_destroy(vis);
    if (op) proj_destroy(op);
    if (ops) proj_list_destroy(ops);
    if (fc) proj_operation_factory_context_destroy(fc);
    if (dst) proj_destroy(dst);
    if (src) proj_destroy(src);
    if (ctx) proj_context_destroy(ctx);
    CPLFree(ws), CPLFree(wd);
}

int cp_grid_input_direct_proj(const cp_grid_input *gi) {
    return gi && gi->pj ? 1 + gi->pj_radians : 0;
}

void cp_grid_input_through_gdal(cp_grid_input *gi) {
    if (gi) direct_proj_free(gi);
}

void cp_grid_input_all_corners(cp_grid_input *gi) {
    if (gi) gi->all_corners = 1;
}

void cp_grid_input_close(cp_grid_input *gi) {
    if (!gi) return;
    cp_band_pool_close(&gi->pool);
    if (gi->src) GDALClose(gi->src);
    if (gi->ds) GDALClose(gi->ds);
    if (gi->to_grid) OCTDestroyCoordinateTransformation(gi->to_grid);
    if (gi->to_src) OCTDestroyCoordinateTransformation(gi->to_src);
    for (int t = 0; gi->to_grid_t && t < gi->threads; ++t)
        if (gi->to_grid_t[t]) OCTDestroyCoordinateTransformation(gi->to_grid_t[t]);
    free(gi->to_grid_t);
    direct_proj_free(gi);
    free(gi);
}

/* A window that lies inside its file, whose blocks are compressed: read from the file by a
 * pool of handles (the same cells as through the window's VRT, decoded on the threads). */
static cp_status window_pool(cp_grid_input *gi, const char *window, int threads) {
    long long xo = -1, yo = -1;
    if (sscanf(window, "%lld %lld", &xo, &yo) != 2 || xo < 0 || yo < 0) return CP_OK;
    GDALDatasetH src =
        GDALOpenEx(gi->in->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!src || gi->band > GDALGetRasterCount(src) ||
        xo + gi->g->geo.nx > GDALGetRasterXSize(src) ||
        yo + gi->g->geo.ny > GDALGetRasterYSize(src)) {
        if (src) GDALClose(src);
        CPLErrorReset();
        return CP_OK; /* the VRT reads it */
    }
    cp_status s =
        cp_band_pool_open(&gi->pool, GDALGetRasterBand(src, gi->band), gi->in->path, threads);
    if (s != CP_OK || gi->pool.n < 1) {
        GDALClose(src);
        return s;
    }
    gi->src = src, gi->xo = xo, gi->yo = yo;
    return CP_OK;
}

cp_status cp_grid_input_open(const cp_input *in, const cp_grid *g, int threads, size_t warp_bytes,
                             cp_grid_input **out) {
    *out = NULL;
    cp_grid_input *gi = calloc(1, sizeof *gi);
    if (!gi) return cp_fail(CP_E_NOMEM, "out of memory");
    gi->in = in;
    gi->g = g;
    gi->band = in->band;
    /* cp_input_warp checks the file (open, CRS, overlap) and gives the window when the
     * input is already on the grid */
    GDALDatasetH vrt = NULL;
    cp_status s = cp_input_warp(in, g, threads, warp_bytes, &vrt);
    if (s) {
        free(gi);
        return s;
    }
    const char *window = GDALGetMetadataItem(vrt, "CP_WINDOW", NULL);
    if (in->resample != CP_RESAMPLE_SUM || window) {
        gi->ds = vrt;
        gi->warped = !window;
        if (window && (s = window_pool(gi, window, threads))) {
            cp_grid_input_close(gi);
            return s;
        }
        *out = gi;
        return CP_OK;
    }
    GDALClose(vrt);
    /* counts: exact area-weighted redistribution of each source cell */
    gi->exact_sum = 1;
    gi->ds = GDALOpenEx(in->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGRSpatialReferenceH ssrs = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(ssrs, OAMS_TRADITIONAL_GIS_ORDER);
    const char *wkt = gi->ds ? GDALGetProjectionRef(gi->ds) : NULL;
    if (!gi->ds || GDALGetGeoTransform(gi->ds, gi->gt) != CE_None ||
        OSRSetFromUserInput(ssrs, wkt && *wkt ? wkt : in->assume_crs) != OGRERR_NONE) {
        OSRDestroySpatialReference(ssrs);
        cp_grid_input_close(gi);
        return cp_fail_gdal(CP_E_IO, "cannot open <%s>", in->path);
    }
    s = cp_band_pool_open(&gi->pool, GDALGetRasterBand(gi->ds, gi->band), in->path, threads);
    if (s != CP_OK) {
        OSRDestroySpatialReference(ssrs);
        cp_grid_input_close(gi);
        return s;
    }
    gi->to_grid = OCTNewCoordinateTransformation(ssrs, g->srs);
    gi->to_src = OCTNewCoordinateTransformation(g->srs, ssrs);
    gi->threads = cpk_threads(threads);
    if (gi->threads < 1) gi->threads = 1;
    if (gi->to_grid && gi->to_src) direct_proj_open(gi, ssrs, g->srs);
    OSRDestroySpatialReference(ssrs);
    if (!gi->to_grid || !gi->to_src) {
        cp_grid_input_close(gi);
        return cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to the grid's CRS", in->path);
    }
    /* scratch for the largest footprint: a source cell's size in target cells, generously */
    double cx = gi->gt[0] + 0.5 * GDALGetRasterXSize(gi->ds) * gi->gt[1];
    double cy = gi->gt[3] + 0.5 * GDALGetRasterYSize(gi->ds) * gi->gt[5];
    double px[3] = {cx, cx + gi->gt[1], cx}, py[3] = {cy, cy, cy + gi->gt[5]};
    double fx = NAN, fy = NAN;
    if (OCTTransform(gi->to_grid, 3, px, py, NULL)) {
        double w = hypot(px[1] - px[0], py[1] - py[0]), h = hypot(px[2] - px[0], py[2] - py[0]);
        fx = w / g->geo.dx, fy = h / g->geo.dy;
    }
    if (!(fx * fy >= 1.0 / 64) || !(fx * fy <= 1e6)) {
        /* a source far finer than the grid (more than 64 cells per grid cell) or absurdly
         * coarse: GDAL's warper, with its overviews and memory limits, does better */
        gi->exact_sum = 0;
        direct_proj_free(gi);
        GDALClose(gi->ds);
        gi->ds = NULL;
        if (gi->to_grid) OCTDestroyCoordinateTransformation(gi->to_grid);
        if (gi->to_src) OCTDestroyCoordinateTransformation(gi->to_src);
        gi->to_grid = gi->to_src = NULL;
        s = cp_input_warp(in, g, threads, warp_bytes, &gi->ds);
        if (s) {
            cp_grid_input_close(gi);
            return s;
        }
        gi->warped = 1;
        *out = gi;
        return CP_OK;
    }
    gi->scratch_len = (size_t)((4 * fx + 8) * (4 * fy + 8));
    if (gi->scratch_len < 4096) gi->scratch_len = 4096;
    /* the corners are transformed by all threads, each with its own copy of the
     * transformation (one object must not be used by two threads at once) */
    gi->to_grid_t = calloc((size_t)gi->threads, sizeof *gi->to_grid_t);
    if (!gi->to_grid_t) {
        cp_grid_input_close(gi);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    for (int t = 0; t < gi->threads; ++t)
        if (!(gi->to_grid_t[t] = OCTClone(gi->to_grid))) {
            cp_grid_input_close(gi);
            return cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to the grid's CRS", in->path);
        }
    *out = gi;
    return CP_OK;
}

enum { CHUNK = 64 }; /* source rows per call of the exact resampling kernel */
/* Corners of a source edge between two of its probes: the corners transformed first, which
 * tell the segments of the edge whose cells can reach the strip (segment_needed). */
enum { PROBE_STEP = 16 };

size_t cp_grid_input_fixed_bytes(const cp_grid_input *gi) {
    if (!gi || !gi->exact_sum) return 0;
    /* edges, world and grid coordinates (the kernel's copy), of the widest source window */
    size_t stride = 2 * ((size_t)GDALGetRasterXSize(gi->ds) + 1);
    return 2 * (CHUNK + 1) * stride * sizeof(double) +
           (size_t)gi->threads * (stride + gi->scratch_len) * sizeof(double) +
           (CHUNK + 3) * ((size_t)GDALGetRasterXSize(gi->ds) / PROBE_STEP + 2) * sizeof(double);
}

/* Corners i0, i0 + step, ... (count of them, the last clipped to n) of source edge r, columns
 * from ic0, through to the grid's CRS on thread t's transformation: into xs, ys. */
static void edge_corners(const cp_grid_input *gi, int t, int64_t r, int64_t ic0, int64_t n,
                         int64_t i0, int64_t step, int64_t count, double *xs, double *ys) {
    const double *gt = gi->gt;
    for (int64_t k = 0; k < count; ++k) {
        int64_t i = i0 + k * step < n ? i0 + k * step : n;
        xs[k] = gt[0] + (double)(ic0 + i) * gt[1] + (double)r * gt[2];
        ys[k] = gt[3] + (double)(ic0 + i) * gt[4] + (double)r * gt[5];
    }
    if (gi->pj && gi->pj_radians)
        for (int64_t k = 0; k < count; ++k) xs[k] *= DEG_TO_RAD, ys[k] *= DEG_TO_RAD;
    if (gi->pj)
        proj_trans_generic(gi->pj[t], PJ_FWD, xs, sizeof *xs, (size_t)count, ys, sizeof *ys,
                           (size_t)count, NULL, 0, 0, NULL, 0, 0);
    else
        OCTTransformEx(gi->to_grid_t[t], (int)count, xs, ys, NULL, NULL);
}

static int usable(double c) {
    return isfinite(c) && fabs(c) < 1e20;
}

/* Whether segment s of source edge r (corners s x PROBE_STEP .. (s + 1) x PROBE_STEP) may bound
 * a cell that reaches grid rows [row0, row1): by the probes (each segment's ends, as grid rows,
 * NaN where PROJ failed; edges pa .. pb, nseg + 1 a row) of the segments s - 1 .. s + 1 of edges
 * r - 1 .. r + 1, the cells' neighbours. A cell lies between its edges' probes, bowed by the
 * curvature of a projection over 16 cells, which the margin (2 rows and the probes' own spread)
 * covers many times; a failed probe keeps the segment. */
static int segment_needed(const double *probe, int64_t pa, int64_t pb, int64_t nseg, int64_t r,
                          int64_t s, int64_t row0, int64_t row1) {
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t q = r > pa ? r - 1 : r; q <= (r < pb ? r + 1 : r); ++q)
        for (int64_t k = s > 0 ? s - 1 : 0; k <= (s + 2 < nseg ? s + 2 : nseg); ++k) {
            double v = probe[(q - pa) * (nseg + 1) + k];
            if (isnan(v)) return 1;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    double margin = 2.0 + (hi - lo);
    return hi + margin >= (double)row0 && lo - margin <= (double)row1;
}

/* Rows of the grid from a count raster, resampled exactly (cpk/resample.h). */
static cp_status read_rows_exact_sum(cp_grid_input *gi, int64_t row0, int64_t nrows, float *buf) {
    const cp_grid *g = gi->g;
    const cpk_geo *geo = &g->geo;
    size_t ncells = (size_t)nrows * (size_t)geo->nx;
    for (size_t i = 0; i < ncells; ++i) buf[i] = NAN;
    double ytop = geo->y0 - (double)row0 * geo->dy, ybot = ytop - (double)nrows * geo->dy;
    double xl = geo->x0, xr = geo->x0 + (double)geo->nx * geo->dx;
    double sx0, sy0, sx1, sy1;
    if (!OCTTransformBounds(gi->to_src, xl, ybot, xr, ytop, &sx0, &sy0, &sx1, &sy1, 21))
        return CP_OK; /* the strip is outside the source's CRS domain: nodata */
    const double *gt = gi->gt;
    int W = GDALGetRasterXSize(gi->ds), H = GDALGetRasterYSize(gi->ds);
    double c0 = (sx0 - gt[0]) / gt[1], c1 = (sx1 - gt[0]) / gt[1];
    double r0 = (sy1 - gt[3]) / gt[5], r1 = (sy0 - gt[3]) / gt[5];
    if (c0 > c1) {
        double t = c0;
        c0 = c1;
        c1 = t;
    }
    if (r0 > r1) {
        double t = r0;
        r0 = r1;
        r1 = t;
    }
    int64_t ic0 = (int64_t)floor(c0) - 1, ic1 = (int64_t)ceil(c1) + 1;
    int64_t ir0 = (int64_t)floor(r0) - 1, ir1 = (int64_t)ceil(r1) + 1;
    if (ic0 < 0) ic0 = 0;
    if (ir0 < 0) ir0 = 0;
    if (ic1 > W) ic1 = W;
    if (ir1 > H) ir1 = H;
    if (ic1 <= ic0 || ir1 <= ir0) return CP_OK;
    int64_t n = ic1 - ic0, m = ir1 - ir0;
    /* the whole source window in one read: row-by-row reads would decode the same tiles
     * again whenever GDAL's block cache turns over */
    const int nt = gi->threads;
    const size_t stride = 2 * (size_t)(n + 1);
    const int64_t nseg = (n + PROBE_STEP - 1) / PROBE_STEP; /* segments; nseg + 1 probes */
    float *vals = malloc((size_t)n * (size_t)m * sizeof *vals);
    double *edges = malloc((CHUNK + 1) * stride * sizeof *edges);
    double *xy = malloc((size_t)nt * stride * sizeof *xy); /* per thread: x then y */
    double *probe = malloc((CHUNK + 3) * (size_t)(nseg + 1) * sizeof *probe);
    cp_status s = CP_OK;
    if (!vals || !edges || !xy || !probe) {
        s = cp_fail(CP_E_NOMEM, "out of memory resampling <%s>", gi->in->path);
        goto done;
    }
    GDALRasterBandH band = GDALGetRasterBand(gi->ds, gi->band);
    int has_nd = 0;
    double nd = GDALGetRasterNoDataValue(band, &has_nd);
    if ((s = cp_band_read(&gi->pool, band, gi->in->path, ic0, ir0, n, m, vals, GDT_Float32, n)))
        goto done;
    for (size_t i = 0; i < (size_t)n * (size_t)m; ++i)
        if ((has_nd && vals[i] == (float)nd) || !isfinite(vals[i])) vals[i] = NAN;
    cpk_out_f32 out = {buf, geo->nx, nrows, geo->nx};
    /* Source rows in chunks: the corners of a chunk's edges (source row edges e0..e1),
     * transformed to the grid (NaN where PROJ fails) by all threads, then the chunk's cells
     * added by the parallel kernel. Edge e0 is the last edge of the previous chunk. A source
     * row crosses the strip at an angle away from the central meridian (the window is a few
     * times the strip's height), so each edge is probed every PROBE_STEP corners first, and
     * only the segments whose cells can reach the strip are transformed: the others' corners
     * are NaN, cells the kernel skips, as it would drop them for lying outside the strip. */
    for (int64_t e0 = ir0; e0 < ir1; e0 += CHUNK) {
        int64_t e1 = e0 + CHUNK < ir1 ? e0 + CHUNK : ir1;
        if (e0 > ir0) memcpy(edges, edges + CHUNK * stride, stride * sizeof *edges);
        int64_t first = e0 > ir0 ? e0 + 1 : e0;
        int64_t pa = first > ir0 ? first - 1 : first, pb = e1 < ir1 ? e1 + 1 : e1;
#pragma omp parallel num_threads(nt)
        {
            cp_gdal_quiet_begin(); /* PROJ's errors in this thread stay out of the host's handler */
            int t = omp_get_thread_num();
            double *xs = xy + (size_t)t * stride, *ys = xs + n + 1;
            if (!gi->all_corners) {
#pragma omp for schedule(dynamic, 1)
                for (int64_t r = pa; r <= pb; ++r) {
                    double *pv = probe + (r - pa) * (nseg + 1);
                    edge_corners(gi, t, r, ic0, n, 0, PROBE_STEP, nseg + 1, xs, ys);
                    for (int64_t k = 0; k <= nseg; ++k)
                        pv[k] = usable(xs[k]) && usable(ys[k]) ? (geo->y0 - ys[k]) / geo->dy : NAN;
                }
            }
#pragma omp for schedule(dynamic, 1)
            for (int64_t r = first; r <= e1; ++r) {
                double *d = edges + (r - e0) * stride;
                for (size_t i = 0; i < stride; ++i) d[i] = NAN;
                for (int64_t sa = 0; sa < nseg;) { /* runs of needed segments sa .. sb - 1 */
                    int64_t sb = sa;
                    while (sb < nseg && (gi->all_corners || segment_needed(probe, pa, pb, nseg, r,
                                                                           sb, row0, row0 + nrows)))
                        ++sb;
                    if (sb == sa) {
                        ++sa;
                        continue;
                    }
                    int64_t i0 = sa * PROBE_STEP, i1 = sb * PROBE_STEP < n ? sb * PROBE_STEP : n;
                    edge_corners(gi, t, r, ic0, n, i0, 1, i1 - i0 + 1, xs, ys);
                    for (int64_t k = 0; k <= i1 - i0; ++k) {
                        d[2 * (i0 + k)] = usable(xs[k]) ? xs[k] : NAN;
                        d[2 * (i0 + k) + 1] = usable(ys[k]) ? ys[k] : NAN;
                    }
                    sa = sb;
                }
            }
            cp_gdal_quiet_end();
        }
        cpk_status ks = cpk_sum_resample_rows_f32(edges, vals + (e0 - ir0) * n, n, e1 - e0, geo,
                                                  row0, row0 + nrows, &out, gi->scratch_len, nt);
        if (ks == CPK_E_NOMEM) {
            s = cp_fail(CP_E_NOMEM, "out of memory resampling <%s>", gi->in->path);
            goto done;
        }
        if (ks) {
            s = cp_fail(CP_E_FORMAT,
                        "<%s>: a cell's footprint on the grid is too large to resample",
                        gi->in->path);
            goto done;
        }
    }
done:
    free(vals), free(edges), free(xy), free(probe);
    return s;
}

int cp_grid_input_warped(const cp_grid_input *gi) {
    return gi->warped;
}

cp_status cp_grid_input_read(cp_grid_input *gi, int64_t row0, int64_t nrows, float *buf) {
    if (nrows <= 0) return CP_OK;
    if (gi->exact_sum) return read_rows_exact_sum(gi, row0, nrows, buf);
    if (gi->src) {
        GDALRasterBandH b = GDALGetRasterBand(gi->src, gi->band);
        const int64_t nx = gi->g->geo.nx;
        cp_status s = cp_band_read(&gi->pool, b, gi->in->path, gi->xo, gi->yo + row0, nx, nrows,
                                   buf, GDT_Float32, nx);
        if (s == CP_OK) nodata_to_nan(b, buf, (size_t)nrows * (size_t)nx);
        return s;
    }
    return cp_input_read_rows(gi->ds, gi->in->path, gi->g, row0, nrows, buf);
}

/* ------------------------------------------------------------------ vector sources ------ */

void cp_features_clear(cp_features *f) {
    for (size_t i = 0; i < f->n; ++i) OGR_G_DestroyGeometry(f->geoms[i]);
    free(f->geoms);
    free(f->env);
    if (f->mem) GDALClose(f->mem);
    memset(f, 0, sizeof *f);
}

cp_status cp_features_read(const cp_input *in, const cp_grid *g, cp_features *f) {
    memset(f, 0, sizeof *f);
    cp_vector v = {0};
    cp_status s = cp_vector_open(in, &v);
    if (s) return s;
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(v.srs, g->srs);
    if (!ct) {
        cp_vector_close(&v);
        return cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to the grid's CRS", in->path);
    }
    size_t cap = 0;
    OGRFeatureH ft;
    OGR_L_ResetReading(v.layer);
    while ((ft = OGR_L_GetNextFeature(v.layer)) != NULL) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(ft);
        OGRGeometryH lin =
            geom && !OGR_G_IsEmpty(geom) ? OGR_G_GetLinearGeometry(geom, 0, NULL) : NULL;
        if (lin && OGR_G_Transform(lin, ct) == OGRERR_NONE) {
            if (f->n == cap) {
                cap = cap ? 2 * cap : 256;
                OGRGeometryH *ng = realloc(f->geoms, cap * sizeof *ng);
                if (ng) f->geoms = ng;
                OGREnvelope *ne = ng ? realloc(f->env, cap * sizeof *ne) : NULL;
                if (ne) f->env = ne;
                if (!ng || !ne) {
                    OGR_G_DestroyGeometry(lin);
                    OGR_F_Destroy(ft);
                    s = cp_fail(CP_E_NOMEM, "out of memory reading <%s>", in->path);
                    break;
                }
            }
            OGR_G_GetEnvelope(lin, &f->env[f->n]);
            f->geoms[f->n++] = lin;
        } else {
            if (lin) OGR_G_DestroyGeometry(lin);
            f->skipped++;
        }
        OGR_F_Destroy(ft);
    }
    OCTDestroyCoordinateTransformation(ct);
    cp_vector_close(&v);
    if (s) cp_features_clear(f);
    return s;
}

cp_status cp_features_burn(cp_features *f, const cp_grid *g, int64_t row0, int64_t nrows,
                           float *buf) {
    int64_t nx = g->geo.nx;
    if (!f->mem || f->mem_rows < nrows) {
        if (f->mem) GDALClose(f->mem);
        f->mem =
            GDALCreate(GDALGetDriverByName("MEM"), "", (int)nx, (int)nrows, 1, GDT_Float32, NULL);
        f->mem_rows = nrows;
        if (!f->mem) return cp_fail_gdal(CP_E_NOMEM, "cannot make a rasterisation buffer");
    }
    double top = g->geo.y0 - (double)row0 * g->geo.dy;
    double gt[6] = {g->geo.x0, g->geo.dx, 0, top, 0, -g->geo.dy};
    GDALSetGeoTransform(f->mem, gt);
    GDALRasterBandH b = GDALGetRasterBand(f->mem, 1);
    GDALFillRaster(b, 0, 0);
    double ybot = top - (double)f->mem_rows * g->geo.dy;
    double xr = g->geo.x0 + (double)nx * g->geo.dx;
    /* only the features whose extent reaches the rows */
    size_t k = 0;
    OGRGeometryH *sel = malloc((f->n ? f->n : 1) * sizeof *sel);
    if (!sel) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < f->n; ++i)
        if (f->env[i].MaxY >= ybot && f->env[i].MinY <= top && f->env[i].MaxX >= g->geo.x0 &&
            f->env[i].MinX <= xr)
            sel[k++] = f->geoms[i];
    cp_status s = CP_OK;
    if (k) {
        int band = 1;
        double *burn = malloc(k * sizeof *burn);
        char *opts[] = {"ALL_TOUCHED=TRUE", NULL};
        for (size_t i = 0; burn && i < k; ++i) burn[i] = 1.0;
        CPLErrorReset();
        if (!burn || GDALRasterizeGeometries(f->mem, 1, &band, (int)k, sel, NULL, NULL, burn, opts,
                                             NULL, NULL) != CE_None)
            s = cp_fail_gdal(CP_E_GEOMETRY, "cannot rasterise distance sources");
        free(burn);
    }
    free(sel);
    if (!s && GDALRasterIO(b, GF_Read, 0, 0, (int)nx, (int)nrows, buf, (int)nx, (int)nrows,
                           GDT_Float32, 0, 0) != CE_None)
        s = cp_fail_gdal(CP_E_INTERNAL, "cannot read the rasterisation buffer");
    return s;
}
