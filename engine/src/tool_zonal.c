/* clearplan zonal: exact zonal statistics of polygons over a raster band (clearplan/zonal.h).
 *
 * 1. Read every feature through the intake (io/intake.h), into the raster's CRS: the same
 *    polygons as `clearplan run` (repaired, unioned), as cpk_polygon arrays; a feature the
 *    intake rejects gets empty statistics.
 * 2. Classes (optional): the class values are 0..255 for a Byte band, otherwise the distinct
 *    values found by a first pass over the rows the polygons touch.
 * 3. The strip engine (strips.h) reads the band (directly where its file allows:
 *    cp_band_src) in strips under the memory budget; for each strip cpk_zonal_f32 runs on the
 *    polygons whose window meets it (accumulators gathered and scattered back, so the result
 *    is the whole-grid one bit for bit).
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
#include "intake.h"
#include "raster.h"
#include "strips.h"
#include "vector.h"

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

static cp_status nomem(void) {
    return cp_fail(CP_E_NOMEM, "out of memory while reading polygons");
}

/* The polygons of the layer, one per feature in layer order, through the intake (io/intake.h);
 * a feature it rejects (null, empty, not polygonal, unrepairable) has no rings. */
typedef struct {
    cp_polygon_arrays *poly;
    unsigned char *repaired; /* per feature: the intake changed it to make it valid */
    int64_t n;
    int64_t npts; /* points of all polygons, for the memory budget */
} poly_list;

static void list_free(poly_list *l) {
    for (int64_t k = 0; l->poly && k < l->n; ++k) cp_polygon_arrays_free(&l->poly[k]);
    free(l->poly);
    free(l->repaired);
}

/* Keeps feature k's polygon as arrays (cp_intake_parallel's keep: in the thread that took it
 * in, touching only slot k). */
static cp_status keep_polygon(void *arg, int64_t k, GEOSContextHandle_t gh,
                              const cp_intake_polygon *p) {
    poly_list *l = arg;
    if (!p->geom) return CP_OK;
    l->repaired[k] = (unsigned char)p->repaired;
    return cp_polygon_arrays_make(gh, p->geom, &l->poly[k]);
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

/* A number, or an empty field when !ok or not finite, at d (at least CSV_NUM bytes). */
enum { CSV_NUM = 32 };
static char *csv_num(char *d, int *first, double v, int ok) {
    if (!*first) *d++ = ',';
    *first = 0;
    if (ok && isfinite(v)) d += snprintf(d, CSV_NUM - 1, "%.15g", v);
    *d = '\0';
    return d;
}

/* The `owned` test of the output transaction for --overwrite, asked only on a file system
 * that keeps no extended attributes (elsewhere clearplan's mark decides, output.h): a CSV
 * whose header ends with one of the columns this tool writes last (a statistic or a class
 * share). */
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

/* ---- the tool: phases over one job ---- */

typedef struct {
    const char *raster_path, *polygons_path, *csv_path;
    cp_zonal_options opt;
    cp_progress_fn progress;
    void *progress_arg;
    /* inputs */
    GDALDatasetH rds;
    GDALRasterBandH band;
    cp_band_src src;
    cpk_geo grid;
    int has_nd;
    float nd;
    cp_vector vec;
    OGRSpatialReferenceH rsrs;
    GEOSContextHandle_t gctx;
    cp_intake it;
    /* the features' geometries as read, then the polygons, their windows and accumulators;
       rows rmin..rmax hold all windows */
    OGRGeometryH *geoms;
    int64_t ngeoms;
    poly_list P;
    int64_t n, inside, rmin, rmax;
    cpk_polygon *polys;
    cpk_window *wins;
    cpk_zonal_acc *acc;
    /* classes (cw: n x (nclasses + 1) weights, NULL without classes) */
    float *classes;
    int64_t nclasses;
    double *cw;
    /* a strip's polygons: gathered, run, scattered back */
    int64_t *active;
    cpk_polygon *apoly;
    cpk_window *awin;
    cpk_zonal_acc *aacc;
    double *acw;
    cp_strip_input in;
    cp_zonal_result res;
} zonal_job;

static void job_free(zonal_job *j) {
    free(j->classes);
    free(j->cw);
    free(j->acw);
    free(j->active);
    free(j->apoly);
    free(j->awin);
    free(j->aacc);
    free(j->acc);
    free(j->wins);
    free(j->polys);
    for (int64_t k = 0; j->geoms && k < j->ngeoms; ++k)
        if (j->geoms[k]) OGR_G_DestroyGeometry(j->geoms[k]);
    free(j->geoms);
    list_free(&j->P);
    cp_intake_clear(&j->it);
    if (j->gctx) GEOS_finish_r(j->gctx);
    if (j->rsrs) OSRDestroySpatialReference(j->rsrs);
    cp_vector_close(&j->vec);
    cp_band_src_close(&j->src);
    if (j->rds) GDALClose(j->rds);
}

/* Opens the raster band (direct reads where its file allows) and takes its CRS (PROJ's
 * first lookups: ~30 ms). */
static cp_status job_open_raster(zonal_job *j) {
    cp_status st;
    if ((st = cp_rio_open(j->raster_path, &j->rds)) != CP_OK) return st;
    if ((st = cp_rio_crs(j->rds, j->raster_path, j->opt.common.assume_crs, 0, &j->rsrs)) != CP_OK)
        return st;
    if ((st = cp_rio_geo(j->rds, j->raster_path, &j->grid)) != CP_OK) return st;
    if ((st = cp_rio_band(j->rds, j->raster_path, j->opt.band, &j->band, &j->has_nd, &j->nd)) !=
        CP_OK)
        return st;
    if ((st = cp_band_src_open(&j->src, j->band, j->raster_path, j->opt.common.threads)) != CP_OK)
        return st;
    return CP_OK;
}

static cp_status job_read_features(zonal_job *j);

/* Opens the raster, reads the polygon layer's features, then prepares the intake into the
 * raster's CRS. One after the other: on a thread of their own the features took longer (10,000
 * polygons: 31-40 ms at -j 2 against 29-31 ms), each thread opening PROJ's database for its
 * own context (bench/RESULTS.md, stop 32). */
static cp_status job_open(zonal_job *j) {
    cp_status st = job_open_raster(j);
    if (st == CP_OK) st = job_read_features(j);
    if (st != CP_OK) return st;
    if (!(j->gctx = cp_geos_init())) return cp_fail(CP_E_NOMEM, "cannot start GEOS");
    char target[600];
    snprintf(target, sizeof target, "the CRS of <%s>", j->raster_path);
    return cp_intake_init(&j->it, j->gctx, j->vec.srs, j->rsrs, j->polygons_path, target);
}

/* Makes OGR skip what a pass over the layer does not need: every attribute (`attributes`) or
 * the geometry; OGR_L_SetIgnoredFields(layer, NULL) reads everything again. */
static cp_status ignore_fields(OGRLayerH layer, int attributes) {
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const int nf = OGR_FD_GetFieldCount(defn);
    const char **names = calloc((size_t)nf + 3, sizeof *names);
    if (!names) return nomem();
    int k = 0;
    if (attributes)
        for (int f = 0; f < nf; ++f) names[k++] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, f));
    else
        names[k++] = "OGR_GEOMETRY";
    names[k++] = "OGR_STYLE";
    OGR_L_SetIgnoredFields(layer, names); /* a driver that cannot ignore reads them anyway */
    free(names);
    return CP_OK;
}

/* 1a. Every feature's geometry in layer order (OGR reads one feature at a time). */
static cp_status job_read_features(zonal_job *j) {
    cp_input vin = {0}; /* a tool's input: no scenario name */
    vin.path = (char *)j->polygons_path;
    vin.layer = (char *)j->opt.layer;
    vin.assume_crs = (char *)j->opt.common.assume_crs;
    vin.type = CP_INPUT_VECTOR;
    cp_status st = cp_vector_open(&vin, &j->vec);
    if (st != CP_OK) return st;
    OGRLayerH layer = j->vec.layer;
    int64_t cap = 0;
    if ((st = ignore_fields(layer, 1)) != CP_OK) return st;
    OGR_L_ResetReading(layer);
    OGRFeatureH feat;
    while ((feat = OGR_L_GetNextFeature(layer)) != NULL) {
        if (j->ngeoms == cap) {
            cap = cap ? 2 * cap : 1024;
            OGRGeometryH *g = realloc(j->geoms, (size_t)cap * sizeof *g);
            if (!g) {
                OGR_F_Destroy(feat);
                st = nomem();
                break;
            }
            j->geoms = g;
        }
        j->geoms[j->ngeoms++] = OGR_F_StealGeometry(feat); /* NULL for a null geometry */
        OGR_F_Destroy(feat);
    }
    OGR_L_SetIgnoredFields(layer, NULL);
    return st;
}

/* 1b. The geometries taken in and made polygon arrays in parallel (the GEOS checks and repairs
 * are most of the work). */
static cp_status job_take_polygons(zonal_job *j) {
    const int64_t n = j->ngeoms;
    poly_list *l = &j->P;
    l->n = n;
    l->poly = calloc((size_t)n + 1, sizeof *l->poly);
    l->repaired = calloc((size_t)n + 1, 1);
    cp_status st = l->poly && l->repaired ? CP_OK : nomem();
    char target[600];
    snprintf(target, sizeof target, "the CRS of <%s>", j->raster_path);
    if (st == CP_OK)
        st = cp_intake_parallel(j->geoms, n, j->vec.srs, j->rsrs, j->polygons_path, target,
                                j->opt.common.threads, keep_polygon, l);
    for (int64_t k = 0; k < n; ++k) {
        if (j->geoms[k]) OGR_G_DestroyGeometry(j->geoms[k]);
        if (st == CP_OK && l->poly[k].nrings) {
            j->res.repaired += l->repaired[k];
            l->npts += l->poly[k].ring_offsets[l->poly[k].nrings];
        }
    }
    free(j->geoms);
    j->geoms = NULL, j->ngeoms = 0;
    return st;
}

/* 1c. Every polygon's window on the grid and its accumulator. */
static cp_status job_read_polygons(zonal_job *j) {
    cp_status st = job_take_polygons(j);
    OGRLayerH layer = j->vec.layer;
    if (st != CP_OK) return st;
    const int64_t n = j->n = j->P.n;
    if (n == 0)
        return cp_fail(CP_E_FORMAT, "layer '%s' of <%s> has no features", OGR_L_GetName(layer),
                       j->polygons_path);
    j->polys = calloc((size_t)n, sizeof *j->polys);
    j->wins = calloc((size_t)n, sizeof *j->wins);
    j->acc = malloc(sizeof *j->acc * (size_t)n);
    if (!j->polys || !j->wins || !j->acc) return nomem();
    cpk_zonal_acc_init(j->acc, n);
    int64_t nonempty = 0;
    j->rmin = j->grid.ny;
    j->rmax = 0;
    for (int64_t k = 0; k < n; ++k) {
        j->polys[k] = cp_polygon_arrays_view(&j->P.poly[k]);
        if (!j->P.poly[k].nrings) {
            j->res.empty++;
            continue;
        }
        nonempty++;
        const cpk_window *w = &j->wins[k];
        if (cpk_coverage_window(&j->polys[k], &j->grid, &j->wins[k]) != CPK_OK)
            return cp_fail(CP_E_INTERNAL, "bad polygon %lld from <%s>", (long long)k,
                           j->polygons_path);
        if (w->nx == 0) {
            j->res.outside++;
            continue;
        }
        j->inside++;
        if (w->row0 < j->rmin) j->rmin = w->row0;
        if (w->row0 + w->ny > j->rmax) j->rmax = w->row0 + w->ny;
    }
    if (nonempty > 0 && j->inside == 0)
        return cp_fail(CP_E_FORMAT,
                       "no polygon of <%s> overlaps <%s>: check their coordinate reference systems",
                       j->polygons_path, j->raster_path);
    return CP_OK;
}

/* A strip loop over the rows the polygons touch, reading the band. */
static cp_strip_loop job_loop(zonal_job *j, int64_t rows,
                              cp_status (*strip)(void *, int64_t, int64_t), const char *message,
                              double p0, double p1) {
    j->in = (cp_strip_input){.read = cp_band_rows, .src = &j->src};
    return (cp_strip_loop){.nx = j->grid.nx,
                           .ny = j->grid.ny,
                           .y_begin = j->rmin,
                           .y_end = j->rmax,
                           .rows = rows,
                           .inputs = &j->in,
                           .ninputs = 1,
                           .strip = strip,
                           .arg = j,
                           .progress = j->progress,
                           .progress_arg = j->progress_arg,
                           .message = message,
                           .p0 = p0,
                           .p1 = p1};
}

/* 2a. The distinct values of a strip, inserted into the sorted classes. */
static cp_status classes_strip(void *arg, int64_t y0, int64_t h) {
    (void)y0;
    zonal_job *j = arg;
    const float *buf = j->in.win.buf;
    float last = NAN;
    for (int64_t c = 0; c < h * j->grid.nx; ++c) {
        float v = buf[c];
        if (v != v || v == last || (j->has_nd && v == j->nd)) continue;
        last = v;
        int64_t lo = 0, hi = j->nclasses;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (j->classes[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < j->nclasses && j->classes[lo] == v) continue;
        if (j->nclasses >= j->opt.max_classes)
            return cp_fail(CP_E_FORMAT,
                           "band %d of <%s> has more than %d distinct values: classes need a "
                           "categorical raster",
                           j->opt.band, j->raster_path, j->opt.max_classes);
        memmove(j->classes + lo + 1, j->classes + lo, sizeof(float) * (size_t)(j->nclasses - lo));
        j->classes[lo] = v;
        j->nclasses++;
    }
    return CP_OK;
}

/* 2. The classes: 0..255 for a Byte band, otherwise the distinct values under the polygons'
 * rows (kept sorted: the first pass, progress 0..p1). */
static cp_status job_find_classes(zonal_job *j, int64_t rows, double p1) {
    int cap = j->opt.max_classes > 256 ? j->opt.max_classes : 256;
    if (!(j->classes = malloc(sizeof(float) * (size_t)cap))) return nomem();
    if (GDALGetRasterDataType(j->band) == GDT_Byte) {
        for (int k = 0; k < 256; ++k) j->classes[k] = (float)k;
        j->nclasses = 256;
    } else {
        cp_strip_loop loop = job_loop(j, rows, classes_strip, "finding classes", 0.0, p1);
        cp_status st = cp_strips_run(&loop, NULL);
        if (st != CP_OK) return st;
    }
    j->cw = calloc((size_t)j->n * (size_t)(j->nclasses + 1), sizeof(double));
    j->acw = malloc(sizeof(double) * (size_t)j->n * (size_t)(j->nclasses + 1));
    return j->cw && j->acw ? CP_OK : nomem();
}

/* 3a. The statistics of a strip: the polygons whose windows meet it, with their accumulators,
 * gathered, run through the kernel and scattered back. */
static cp_status stats_strip(void *arg, int64_t y0, int64_t h) {
    zonal_job *j = arg;
    const int64_t nc1 = j->nclasses + 1;
    int64_t na = 0;
    for (int64_t k = 0; k < j->n; ++k) {
        const cpk_window *w = &j->wins[k];
        if (w->nx == 0 || w->row0 >= y0 + h || w->row0 + w->ny <= y0) continue;
        j->active[na] = k;
        j->apoly[na] = j->polys[k];
        j->awin[na] = *w;
        j->aacc[na] = j->acc[k];
        if (j->cw) memcpy(j->acw + na * nc1, j->cw + k * nc1, sizeof(double) * (size_t)nc1);
        na++;
    }
    cpk_zonal_band zb = {{j->in.win.buf, j->grid.nx, h, j->grid.nx, j->nd, j->has_nd},
                         j->cw ? j->classes : NULL,
                         j->cw ? j->nclasses : 0,
                         j->cw ? j->acw : NULL};
    cpk_status ks =
        cpk_zonal_f32(j->apoly, j->awin, na, &j->grid, y0, &zb, 1, j->opt.common.threads, j->aacc);
    if (ks != CPK_OK)
        return cp_fail(ks == CPK_E_NOMEM ? CP_E_NOMEM : CP_E_INTERNAL, "zonal kernel: %s",
                       cpk_strerror(ks));
    for (int64_t a = 0; a < na; ++a) {
        int64_t k = j->active[a];
        j->acc[k] = j->aacc[a];
        if (j->cw) memcpy(j->cw + k * nc1, j->acw + a * nc1, sizeof(double) * (size_t)nc1);
    }
    j->res.strips++;
    return CP_OK;
}

/* Row k's statistics as CSV fields and its end of line, at d (the width job_write_csv gives:
 * CSV_NUM bytes a column); `first`: no attribute before them. */
static void format_stats(const zonal_job *j, int64_t k, const unsigned char *show, int first,
                         char *d) {
    const unsigned sb = j->opt.stats;
    const double cell = j->grid.dx * j->grid.dy;
    const int64_t nc1 = j->nclasses + 1;
    const cpk_zonal_acc *a = &j->acc[k];
    int ok = j->P.poly[k].nrings > 0, some = ok && a->count > 0;
    if (sb & CP_ZONAL_SUM) d = csv_num(d, &first, a->sum, ok);
    if (sb & CP_ZONAL_MEAN) d = csv_num(d, &first, a->sum / a->weight, some);
    if (sb & CP_ZONAL_MIN) d = csv_num(d, &first, a->min, some);
    if (sb & CP_ZONAL_MAX) d = csv_num(d, &first, a->max, some);
    if (sb & CP_ZONAL_AREA) {
        d = csv_num(d, &first, a->weight * cell, ok);
        d = csv_num(d, &first, a->nodata_weight * cell, ok);
    }
    if (sb & CP_ZONAL_COUNT) d = csv_num(d, &first, (double)a->count, ok);
    for (int64_t c = 0; show && c < j->nclasses; ++c)
        if (show[c]) d = csv_num(d, &first, j->cw[k * nc1 + c] / a->weight, some);
    d[0] = '\n', d[1] = '\0';
}

/* 4. The CSV: the layer's attributes (read again in layer order), the statistics, the share
 * of each class present in some polygon. */
static cp_status job_write_csv(zonal_job *j, FILE *out) {
    const int64_t n = j->n, nc1 = j->nclasses + 1;
    unsigned char *show = NULL;
    if (j->cw) {
        if (!(show = calloc((size_t)nc1, 1))) return nomem();
        for (int64_t k = 0; k < n; ++k)
            for (int64_t c = 0; c < j->nclasses; ++c)
                if (j->cw[k * nc1 + c] > 0) show[c] = 1;
        for (int64_t c = 0; c < j->nclasses; ++c) j->res.classes += show[c];
    }
    OGRLayerH layer = j->vec.layer;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int nf = OGR_FD_GetFieldCount(defn), first = 1;
    for (int f = 0; f < nf; ++f)
        csv_text(out, &first, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, f)));
    const unsigned sb = j->opt.stats;
    static const char *const stat_names[] = {"sum", "mean", "min", "max"};
    for (int b = 0; b < 4; ++b)
        if (sb & (1u << b)) csv_text(out, &first, stat_names[b]);
    if (sb & CP_ZONAL_AREA) {
        csv_text(out, &first, "area");
        csv_text(out, &first, "nodata_area");
    }
    if (sb & CP_ZONAL_COUNT) csv_text(out, &first, "count");
    for (int64_t c = 0; show && c < j->nclasses; ++c)
        if (show[c]) {
            char name[64];
            snprintf(name, sizeof name, "class_%.9g_share", (double)j->classes[c]);
            csv_text(out, &first, name);
        }
    fputc('\n', out);
    cp_status st = ignore_fields(layer, 0); /* the attributes only */
    /* the statistics of a block of rows formatted over the threads (glibc's %.15g costs about
     * a microsecond a number: the longest serial step of the CSV), then the rows written
     * with their attributes, read again in layer order */
    int64_t ncols = 8; /* the most statistics columns, then the class shares shown */
    for (int64_t c = 0; show && c < j->nclasses; ++c) ncols += show[c];
    const size_t width = (size_t)ncols * CSV_NUM + 2;
    const int64_t block = width < (4u << 20) / 64 ? (int64_t)((4u << 20) / width) : 64;
    char *text = malloc(width * (size_t)(block < n ? block : n > 0 ? n : 1));
    if (!text) st = nomem();
    OGRFeatureH feat = NULL;
    OGR_L_ResetReading(layer);
    int64_t k = 0;
    while (st == CP_OK && k < n) {
        const int64_t kb = k, ke = k + block < n ? k + block : n;
#pragma omp parallel for schedule(dynamic, 64) num_threads(cpk_threads(j->opt.common.threads))
        for (int64_t r = kb; r < ke; ++r)
            format_stats(j, r, show, nf == 0, text + (size_t)(r - kb) * width);
        for (; st == CP_OK && k < ke && (feat = OGR_L_GetNextFeature(layer)) != NULL; ++k) {
            first = 1;
            for (int f = 0; f < nf && st == CP_OK; ++f) {
                char *field = NULL;
                st = cp_field_text(feat, f, &field);
                csv_text(out, &first, field ? field : "");
                free(field);
            }
            OGR_F_Destroy(feat);
            feat = NULL;
            fputs(text + (size_t)(k - kb) * width, out);
        }
        if (k < ke) break; /* the layer ended early */
    }
    free(text);
    if (feat) OGR_F_Destroy(feat);
    free(show);
    OGR_L_SetIgnoredFields(layer, NULL);
    if (st != CP_OK) return st;
    j->res.features = k;
    if (k != n) return cp_fail(CP_E_IO, "<%s> changed while being read", j->polygons_path);
    return CP_OK;
}

/* Phases 2 and 3 (the strip loops), then the CSV into the output transaction. */
static cp_status job_run(zonal_job *j, cp_output *tx) {
    cp_status st;
    if ((st = job_open(j)) != CP_OK) return st;
    if (j->progress && !j->progress(0.0, "reading polygons", j->progress_arg))
        return cp_fail(CP_E_INTERRUPTED, "interrupted");
    if ((st = job_read_polygons(j)) != CP_OK) return st;

    /* Strip heights: the budget is a ceiling; strips of at most 32 MB (or one row of the
     * band's blocks, where that is more and the budget allows it) stay hot in memory and cost
     * fewer page faults than taller ones: on 10k x 10k, 64 MB strips took a third less system
     * time than one huge strip, and 32 MB ones 0.03 s less again at -j 1 and -j 2, with 45 MB
     * less peak memory (bench/RESULTS.md, stop 32). */
    size_t memory =
        (j->opt.common.memory_mb ? j->opt.common.memory_mb : CP_MEMORY_DEFAULT_MB) * (size_t)1
        << 20;
    int bx = 0, by = 0;
    GDALGetBlockSize(j->band, &bx, &by);
    size_t row_bytes = sizeof(float) * (size_t)j->grid.nx;
    size_t fixed = (size_t)j->P.npts * 16 + (size_t)j->n * (sizeof(cpk_zonal_acc) + 96);
    const size_t cap = (size_t)32 << 20;
    size_t budget = memory < fixed + cap ? memory : fixed + cap;
    int64_t rows = cp_strip_rows(budget, fixed, row_bytes, by > 0 ? by : 1, j->grid.ny);
    if (by > 0 && rows < by && fixed + (size_t)by * row_bytes <= memory)
        rows = by < j->grid.ny ? by : j->grid.ny;
    const size_t n = (size_t)j->n;
    j->active = malloc(sizeof *j->active * n);
    j->apoly = malloc(sizeof *j->apoly * n);
    j->awin = malloc(sizeof *j->awin * n);
    j->aacc = malloc(sizeof *j->aacc * n);
    if (!j->active || !j->apoly || !j->awin || !j->aacc) return nomem();

    int classes = (j->opt.stats & CP_ZONAL_CLASSES) && j->inside > 0;
    double p_stats = classes && GDALGetRasterDataType(j->band) != GDT_Byte ? 0.3 : 0.0;
    if (classes && (st = job_find_classes(j, rows, p_stats)) != CP_OK) return st;
    if (j->inside > 0) {
        cp_strip_loop loop = job_loop(j, rows, stats_strip, "zonal statistics", p_stats, 0.98);
        if ((st = cp_strips_run(&loop, NULL)) != CP_OK) return st;
    }

    FILE *out = fopen(cp_output_path(tx), "wb");
    if (!out) return cp_fail(CP_E_IO, "cannot create <%s>: %s", j->csv_path, strerror(errno));
    st = job_write_csv(j, out);
    int werr = ferror(out);
    if (fclose(out) != 0 || werr) st = st ? st : cp_fail(CP_E_IO, "cannot write <%s>", j->csv_path);
    return st;
}

static cp_status tool_zonal_quietly(const char *raster_path, const char *polygons_path,
                                    const char *csv_path, const cp_zonal_options *opt_in,
                                    cp_progress_fn progress, void *progress_arg,
                                    cp_zonal_result *result) {
    if (!raster_path || !polygons_path || !csv_path)
        return cp_fail(CP_E_ARG, "missing raster, polygons or output path");
    zonal_job j;
    memset(&j, 0, sizeof j);
    j.raster_path = raster_path;
    j.polygons_path = polygons_path;
    j.csv_path = csv_path;
    j.progress = progress;
    j.progress_arg = progress_arg;
    j.opt = opt_in ? *opt_in : cp_zonal_defaults();
    if (j.opt.band == 0) j.opt.band = 1;
    if (j.opt.stats == 0) j.opt.stats = cp_zonal_defaults().stats;
    if (j.opt.max_classes <= 0) j.opt.max_classes = 256;

    /* The output, checked against the inputs before any work (clearplan/output.h). */
    const char *inputs[] = {raster_path, polygons_path, NULL};
    cp_output_options oo = cp_rio_tx_options("zonal", &j.opt.common, inputs);
    oo.owned = zonal_csv_owned;
    cp_output *tx = NULL;
    cp_status st = cp_output_begin(csv_path, &oo, &tx);
    if (st == CP_OK) st = job_run(&j, tx);
    /* --assume-crs that neither file took (both have a CRS), where theirs differs */
    if (st == CP_OK && GDALGetSpatialRef(j.rds) && !j.vec.assumed) {
        int k = 0;
        if (cp_crs_assume_unused(GDALGetSpatialRef(j.rds), j.opt.common.assume_crs))
            j.res.crs_kept[k++] = raster_path;
        if (j.vec.assume_unused) j.res.crs_kept[k] = polygons_path;
    }
    if (st == CP_OK) {
        st = cp_output_commit(tx); /* synced, then published by an atomic rename */
        tx = NULL;
    }
    cp_output_abort(tx);
    job_free(&j);
    if (st == CP_OK && progress) progress(1.0, NULL, progress_arg);
    if (st == CP_OK && result) *result = j.res;
    return st;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_tool_zonal(const char *raster_path, const char *polygons_path, const char *csv_path,
                        const cp_zonal_options *opt_in, cp_progress_fn progress, void *progress_arg,
                        cp_zonal_result *result) {
    cp_gdal_quiet_begin();
    cp_status s = tool_zonal_quietly(raster_path, polygons_path, csv_path, opt_in, progress,
                                     progress_arg, result);
    cp_gdal_quiet_end();
    return s;
}
