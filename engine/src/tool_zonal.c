/* clearplan zonal: exact zonal statistics of polygons over a raster band (clearplan/zonal.h).
 *
 * 1. Read every feature through the intake (io/intake.h), into the raster's CRS: the same
 *    polygons as `clearplan run` (repaired, unioned), as cpk_polygon arrays; a feature the
 *    intake rejects gets empty statistics.
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
    int64_t n, cap;
    int64_t npts; /* points of all polygons, for the memory budget */
} poly_list;

static void list_free(poly_list *l) {
    for (int64_t k = 0; k < l->n; ++k) cp_polygon_arrays_free(&l->poly[k]);
    free(l->poly);
}

/* Takes in one feature's geometry and appends its polygon. */
static cp_status add_feature(const cp_intake *it, poly_list *l, OGRGeometryH geom,
                             long long *repaired) {
    if (l->n == l->cap) {
        int64_t nc = l->cap ? 2 * l->cap : 64;
        cp_polygon_arrays *np = realloc(l->poly, (size_t)nc * sizeof *np);
        if (!np) return nomem();
        l->poly = np;
        l->cap = nc;
    }
    cp_polygon_arrays *a = &l->poly[l->n++];
    memset(a, 0, sizeof *a);
    cp_intake_polygon p;
    cp_status st = cp_intake_geometry(it, geom, &p);
    if (st || !p.geom) return st;
    st = cp_polygon_arrays_make(it->geos, p.geom, a);
    GEOSGeom_destroy_r(it->geos, p.geom);
    if (!st) {
        *repaired += p.repaired;
        l->npts += a->nrings ? a->ring_offsets[a->nrings] : 0;
    }
    return st;
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

static cp_status tool_zonal_quietly(const char *raster_path, const char *polygons_path,
                                    const char *csv_path, const cp_zonal_options *opt_in,
                                    cp_progress_fn progress, void *progress_arg,
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
    GDALDatasetH rds = NULL;
    cp_vector vec = {0};
    OGRSpatialReferenceH rsrs = NULL;
    GEOSContextHandle_t gctx = NULL;
    cp_intake it = {0};
    poly_list P = {0};
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
    cp_input vin = {0}; /* a tool's input: no scenario name, no assumed CRS */
    vin.path = (char *)polygons_path;
    vin.layer = (char *)opt.layer;
    vin.type = CP_INPUT_VECTOR;
    if ((st = cp_vector_open(&vin, &vec)) != CP_OK) goto done;
    OGRLayerH layer = vec.layer;
    rsrs = OSRClone(GDALGetSpatialRef(rds));
    OSRSetAxisMappingStrategy(rsrs, OAMS_TRADITIONAL_GIS_ORDER);
    char target[600];
    snprintf(target, sizeof target, "the CRS of <%s>", raster_path);
    if (!(gctx = cp_geos_init())) {
        st = cp_fail(CP_E_NOMEM, "cannot start GEOS");
        goto done;
    }
    if ((st = cp_intake_init(&it, gctx, vec.srs, rsrs, polygons_path, target)) != CP_OK) goto done;

    /* 1. Polygons. */
    if (progress && !progress(0.0, "reading polygons", progress_arg)) {
        st = cp_fail(CP_E_INTERRUPTED, "interrupted");
        goto done;
    }
    OGR_L_ResetReading(layer);
    OGRFeatureH feat;
    while ((feat = OGR_L_GetNextFeature(layer)) != NULL) {
        st = add_feature(&it, &P, OGR_F_GetGeometryRef(feat), &res.repaired);
        OGR_F_Destroy(feat);
        if (st != CP_OK) goto done;
    }
    if (P.n == 0) {
        st = cp_fail(CP_E_FORMAT, "layer '%s' of <%s> has no features", OGR_L_GetName(layer),
                     polygons_path);
        goto done;
    }
    const int64_t n = P.n;
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
        polys[k] = cp_polygon_arrays_view(&P.poly[k]);
        if (!P.poly[k].nrings) {
            res.empty++;
            continue;
        }
        nonempty++;
        if (cpk_coverage_window(&polys[k], &grid, &wins[k]) != CPK_OK) {
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
    size_t fixed = (size_t)P.npts * 16 + (size_t)n * (sizeof(cpk_zonal_acc) + 96);
    /* The budget is a ceiling: strips of at most 64 MB stay hot in memory and cost fewer
     * page faults than one huge strip (measured: a third less system time on 10k x 10k). */
    size_t strip_budget = memory < fixed + ((size_t)64 << 20) ? memory : fixed + ((size_t)64 << 20);
    int64_t rows = cp_strip_rows(strip_budget, fixed, row_bytes, by > 0 ? by : 1, grid.ny);
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
    while (st == CP_OK && k < n && (feat = OGR_L_GetNextFeature(layer)) != NULL) {
        first = 1;
        for (int f = 0; f < nf && st == CP_OK; ++f) {
            char *text = NULL;
            st = cp_field_text(feat, f, &text);
            csv_text(out, &first, text ? text : "");
            free(text);
        }
        OGR_F_Destroy(feat);
        feat = NULL;
        const cpk_zonal_acc *a = &acc[k];
        int ok = P.poly[k].nrings > 0, some = ok && a->count > 0;
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
    if (st != CP_OK) goto done;
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
    list_free(&P);
    cp_intake_clear(&it);
    if (gctx) GEOS_finish_r(gctx);
    if (rsrs) OSRDestroySpatialReference(rsrs);
    cp_vector_close(&vec);
    if (rds) GDALClose(rds);
    if (st == CP_OK && result) *result = res;
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
