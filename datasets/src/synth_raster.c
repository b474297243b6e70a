/* Synthetic rasters, written strip by strip (256 rows) in bounded memory: land cover and tree
 * cover on the analysis grid (UTM, 30 m), population on a WorldPop-like EPSG:4326 grid at
 * 3 arc-seconds. Smooth fields are sampled on a lattice every 8 cells (pure functions of
 * position) and interpolated, so a strip never depends on another. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include "error.h"
#include "synth_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

enum { STRIP = 256, LAT = 8, BLOCK = 256 };

/* ESA WorldCover colours (RGB) for the codes the generator writes. */
static const struct {
    int code;
    short r, g, b;
    const char *name;
} worldcover[] = {
    {10, 0, 100, 0, "tree cover"},
    {20, 255, 187, 34, "shrubland"},
    {30, 255, 255, 76, "grassland"},
    {40, 240, 150, 255, "cropland"},
    {50, 250, 0, 0, "built-up"},
    {60, 180, 180, 180, "bare / sparse vegetation"},
    {80, 0, 100, 200, "permanent water bodies"},
    {90, 0, 150, 160, "herbaceous wetland"},
};

static char **tiff_options(const char *predictor) {
    char **co = NULL;
    co = CSLSetNameValue(co, "TILED", "YES");
    co = CSLSetNameValue(co, "BLOCKXSIZE", "256");
    co = CSLSetNameValue(co, "BLOCKYSIZE", "256");
    co = CSLSetNameValue(co, "COMPRESS", "DEFLATE");
    co = CSLSetNameValue(co, "ZLEVEL", "1"); /* 4x faster than 6, files ~35% larger */
    if (predictor) co = CSLSetNameValue(co, "PREDICTOR", predictor);
    co = CSLSetNameValue(co, "BIGTIFF", "IF_SAFER");
    co = CSLSetNameValue(co, "NUM_THREADS", "ALL_CPUS");
    return co;
}

static cp_status create_tiff(const char *path, int64_t nx, int64_t ny, GDALDataType type,
                             const char *predictor, int epsg, const double gt[6],
                             GDALDatasetH *out) {
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) return cp_fail(CP_E_INTERNAL, "synth: GDAL's GTiff driver is not registered");
    char **co = tiff_options(predictor);
    GDALDatasetH ds = GDALCreate(drv, path, (int)nx, (int)ny, 1, type, co);
    CSLDestroy(co);
    if (!ds) return cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    char *wkt = NULL;
    if (OSRImportFromEPSG(srs, epsg) != OGRERR_NONE || OSRExportToWkt(srs, &wkt) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        GDALClose(ds);
        return cp_fail_gdal(CP_E_CRS, "synth: cannot build EPSG:%d", epsg);
    }
    GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    GDALSetGeoTransform(ds, (double *)gt);
    *out = ds;
    return CP_OK;
}

/* Closes a dataset; a failure while flushing turns an OK status into CP_E_IO. */
static cp_status close_tiff(GDALDatasetH ds, const char *path, cp_status st) {
    if (!ds) return st;
    CPLErrorReset();
    GDALClose(ds);
    if (st == CP_OK && CPLGetLastErrorType() >= CE_Failure)
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
    return st;
}

static double bilerp(const double *f, int ncn, int a, int b, double tx, double ty) {
    const double *p = f + (size_t)b * (size_t)ncn + (size_t)a;
    double top = p[0] + (p[1] - p[0]) * tx;
    double bot = p[ncn] + (p[ncn + 1] - p[ncn]) * tx;
    return top + (bot - top) * ty;
}

static inline double clampd(double v, double lo, double hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* One cell's land cover and tree cover from the fields at the cell: e elevation, v
 * vegetation, rv river, dt detail (short-wavelength noise that makes edges irregular). */
static void classify(const syn_world *w, double e, double v, double rv, double dt, double river_w,
                     double x, double y, const int *cand, int ncand, unsigned char *lc,
                     unsigned char *tc) {
    int code;
    double jb = 1.0 + 0.7 * (dt - 0.5);                   /* built-up edge: 0.65..1.35 */
    double jc = 1.0 + 0.5 * (dt - 0.5) + 0.5 * (v - 0.5); /* cropland edge: 0.5..1.5 */
    double best_b = INFINITY, best_c = INFINITY;
    for (int k = 0; k < ncand; ++k) {
        const syn_settlement *s = &w->st[cand[k]];
        double dx = x - s->x, dy = y - s->y, d = sqrt(dx * dx + dy * dy);
        double rb = d * jb / s->r_built_m, rc = d * jc / s->r_crop_m;
        if (rb < best_b) best_b = rb;
        if (rc < best_c) best_c = rc;
    }
    if (e < w->e_lake)
        code = 80;
    else if (fabs(rv - 0.5) < river_w && e < w->e_river_max)
        code = 80;
    else if (e < w->e_wet)
        code = 90;
    else if (best_b < 1.0)
        code = 50;
    else if (best_c < 1.0 && e < w->e_tree)
        code = 40;
    else if (e > w->e_bare)
        code = 60;
    else if (e > w->e_tree + 0.1 * (dt - 0.5) || v > w->v_patch)
        code = 10;
    else if (e < w->e_low && v < w->v_dry && dt > 0.45)
        code = 40;
    else if (v > w->v_shrub)
        code = 20;
    else
        code = 30;
    /* tree cover varies smoothly with the fields (like a resampled Hansen layer); a per-cell
     * hash would only add incompressible noise */
    double t;
    switch (code) {
        case 10:
            t = 45 + 50 * clampd((e - w->e_tree) / 0.2, 0, 1) + 20 * (v - 0.5) + 24 * (dt - 0.5);
            t = clampd(t, 30, 100);
            break;
        case 20:
            t = clampd(6 + 28 * v + 10 * (dt - 0.5), 3, 40);
            break;
        case 30:
            t = 10 * v * dt;
            break;
        case 40:
            t = 6 * dt * dt;
            break;
        case 50:
            t = 8 * dt * v;
            break;
        case 90:
            t = 5 + 20 * dt;
            break;
        default:
            t = 0;
            break;
    }
    *lc = (unsigned char)code;
    *tc = (unsigned char)floor(t + 0.5);
}

cp_status syn_write_landcover(const syn_world *w, const char *dir, const syn_progress *p) {
    cp_status st = CP_OK;
    GDALDatasetH lds = NULL, tds = NULL;
    unsigned char *lc = NULL, *tc = NULL;
    double *fe = NULL, *fv = NULL, *fw = NULL, *fd = NULL;
    int *cand = NULL, *cstart = NULL, *cand_all = NULL;
    size_t cand_cap = 0;
    char lpath[4096], tpath[4096];
    snprintf(lpath, sizeof lpath, "%s/landcover.tif", dir);
    snprintf(tpath, sizeof tpath, "%s/treecover.tif", dir);
    const int64_t nx = w->nx, ny = w->ny;
    double gt[6] = {w->x0, w->cs, 0, w->y1, 0, -w->cs};
    if ((st = create_tiff(lpath, nx, ny, GDT_Byte, NULL, w->epsg, gt, &lds)) != CP_OK) goto done;
    if ((st = create_tiff(tpath, nx, ny, GDT_Byte, "2", w->epsg, gt, &tds)) != CP_OK) goto done;
    GDALRasterBandH lb = GDALGetRasterBand(lds, 1), tb = GDALGetRasterBand(tds, 1);
    GDALSetRasterNoDataValue(lb, 0);
    GDALSetDescription(lb, "landcover (ESA WorldCover codes)");
    GDALSetRasterNoDataValue(tb, 255);
    GDALSetDescription(tb, "treecover (percent)");
    GDALSetRasterUnitType(tb, "%");
    {
        GDALColorTableH ct = GDALCreateColorTable(GPI_RGB);
        GDALColorEntry none = {0, 0, 0, 0};
        for (int i = 0; i < 256; ++i) GDALSetColorEntry(ct, i, &none);
        for (size_t i = 0; i < sizeof worldcover / sizeof worldcover[0]; ++i) {
            GDALColorEntry e = {worldcover[i].r, worldcover[i].g, worldcover[i].b, 255};
            GDALSetColorEntry(ct, worldcover[i].code, &e);
        }
        GDALSetRasterColorTable(lb, ct);
        GDALDestroyColorTable(ct);
    }

    const int ncn = (int)((nx - 1) / LAT) + 2;
    const int maxrn = STRIP / LAT + 2;
    const int nblk = (int)((nx + BLOCK - 1) / BLOCK);
    const int ncap = w->nst > 0 ? w->nst : 1;
    lc = malloc((size_t)nx * STRIP);
    tc = malloc((size_t)nx * STRIP);
    fe = malloc(sizeof(double) * (size_t)ncn * maxrn);
    fv = malloc(sizeof(double) * (size_t)ncn * maxrn);
    fw = malloc(sizeof(double) * (size_t)ncn * maxrn);
    fd = malloc(sizeof(double) * (size_t)ncn * maxrn);
    cstart = malloc(sizeof(int) * ((size_t)nblk + 1));
    cand = malloc(sizeof(int) * (size_t)ncap);
    if (!lc || !tc || !fe || !fv || !fw || !fd || !cstart || !cand) {
        st = cp_fail(CP_E_NOMEM, "synth: out of memory for a %lld-cell strip", (long long)nx);
        goto done;
    }
    const double river_w = 90.0 / (0.7 * w->wavelength_m);
    const int64_t nstrips = (ny + STRIP - 1) / STRIP;
    for (int64_t si = 0; si < nstrips; ++si) {
        const int64_t r0 = si * STRIP, r1 = r0 + STRIP < ny ? r0 + STRIP : ny;
        const int64_t ra = r0 / LAT;
        const int nrn = (int)((r1 - 1) / LAT - ra) + 2;
        const int64_t nnodes = (int64_t)nrn * ncn;
#pragma omp parallel for schedule(static)
        for (int64_t k = 0; k < nnodes; ++k) {
            int64_t b = k / ncn, a = k % ncn;
            double x = w->x0 + ((double)(a * LAT) + 0.5) * w->cs;
            double y = w->y1 - ((double)((ra + b) * LAT) + 0.5) * w->cs;
            fe[k] = syn_field(w, SYN_S_ELEV, x, y);
            fv[k] = syn_field(w, SYN_S_VEG, x, y);
            fw[k] = syn_field(w, SYN_S_RIVER, x, y);
            fd[k] = syn_field(w, SYN_S_DETAIL, x, y);
        }
        /* settlements near each block of columns, in settlement order */
        size_t used = 0;
        for (int bi = 0; bi < nblk; ++bi) {
            double xmin = w->x0 + (double)bi * BLOCK * w->cs;
            double xmax = xmin + BLOCK * w->cs;
            double ymax = w->y1 - (double)r0 * w->cs, ymin = w->y1 - (double)r1 * w->cs;
            int n = syn_candidates(w, xmin, ymin, xmax, ymax, 0, cand, ncap);
            if (used + (size_t)n > cand_cap) {
                size_t nc = (used + (size_t)n) * 2 + 64;
                int *t = realloc(cand_all, nc * sizeof *t);
                if (!t) {
                    st = cp_fail(CP_E_NOMEM, "synth: out of memory for candidates");
                    goto done;
                }
                cand_all = t, cand_cap = nc;
            }
            cstart[bi] = (int)used;
            if (n) memcpy(cand_all + used, cand, (size_t)n * sizeof *cand); /* NULL + 0 is UB */
            used += (size_t)n;
        }
        cstart[nblk] = (int)used;
#pragma omp parallel for schedule(static)
        for (int64_t r = r0; r < r1; ++r) {
            int64_t b = r / LAT - ra;
            double ty = (double)(r % LAT) / LAT;
            double y = w->y1 - ((double)r + 0.5) * w->cs;
            unsigned char *lrow = lc + (size_t)(r - r0) * (size_t)nx;
            unsigned char *trow = tc + (size_t)(r - r0) * (size_t)nx;
            for (int64_t c = 0; c < nx; ++c) {
                int a = (int)(c / LAT);
                double tx = (double)(c % LAT) / LAT;
                double e = bilerp(fe, ncn, a, (int)b, tx, ty);
                double v = bilerp(fv, ncn, a, (int)b, tx, ty);
                double rv = bilerp(fw, ncn, a, (int)b, tx, ty);
                double dt = bilerp(fd, ncn, a, (int)b, tx, ty);
                double x = w->x0 + ((double)c + 0.5) * w->cs;
                int bi = (int)(c / BLOCK);
                classify(w, e, v, rv, dt, river_w, x, y,
                         cand_all ? cand_all + cstart[bi] : NULL, /* none yet: NULL + 0 is UB */
                         cstart[bi + 1] - cstart[bi], lrow + c, trow + c);
            }
        }
        int h = (int)(r1 - r0);
        if (GDALRasterIO(lb, GF_Write, 0, (int)r0, (int)nx, h, lc, (int)nx, h, GDT_Byte, 0, 0) !=
                CE_None ||
            GDALRasterIO(tb, GF_Write, 0, (int)r0, (int)nx, h, tc, (int)nx, h, GDT_Byte, 0, 0) !=
                CE_None) {
            st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", lpath);
            goto done;
        }
        GDALFlushCache(lds);
        GDALFlushCache(tds);
        if (!syn_tick(p, (double)(si + 1) / (double)nstrips, "land cover and tree cover")) {
            st = cp_fail(CP_E_INTERRUPTED, "synth: interrupted");
            goto done;
        }
    }
done:
    st = close_tiff(lds, lpath, st);
    st = close_tiff(tds, tpath, st);
    free(lc);
    free(tc);
    free(fe);
    free(fv);
    free(fw);
    free(fd);
    free(cand);
    free(cstart);
    free(cand_all);
    return st;
}

/* ---- population: EPSG:4326 at 3 arc-seconds ---- */

#define POP_RES (1.0 / 1200.0)
#define EARTH_R 6371008.8

static OGRCoordinateTransformationH make_ct(int from, int to) {
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL), b = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    if (OSRImportFromEPSG(a, from) == OGRERR_NONE && OSRImportFromEPSG(b, to) == OGRERR_NONE) {
        OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(a, b);
    }
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    return ct;
}

cp_status syn_write_population(const syn_world *w, const char *dir, const syn_progress *p,
                               double *total, int64_t *pnx, int64_t *pny, double *plon0,
                               double *plat1) {
    cp_status st = CP_OK;
    GDALDatasetH ds = NULL;
    OGRCoordinateTransformationH to_ll = NULL, to_utm = NULL;
    float *buf = NULL;
    double *nxs = NULL, *nys = NULL, *nzs = NULL, *ne = NULL, *rowsum = NULL;
    int *cand = NULL, *cstart = NULL, *cand_all = NULL;
    size_t cand_cap = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/population.tif", dir);
    to_ll = make_ct(w->epsg, 4326);
    to_utm = make_ct(4326, w->epsg);
    if (!to_ll || !to_utm) {
        st = cp_fail_gdal(CP_E_CRS, "synth: cannot transform EPSG:%d <-> EPSG:4326", w->epsg);
        goto done;
    }
    /* the analysis grid's boundary in lon/lat */
    double lonmin = INFINITY, lonmax = -INFINITY, latmin = INFINITY, latmax = -INFINITY;
    {
        enum { NS = 64 };
        double bx[4 * NS], by[4 * NS], bz[4 * NS] = {0};
        double wx = (double)w->nx * w->cs, wy = (double)w->ny * w->cs;
        for (int i = 0; i < NS; ++i) {
            double t = (double)i / NS;
            bx[i] = w->x0 + t * wx, by[i] = w->y1;
            bx[NS + i] = w->x0 + wx, by[NS + i] = w->y1 - t * wy;
            bx[2 * NS + i] = w->x0 + wx - t * wx, by[2 * NS + i] = w->y1 - wy;
            bx[3 * NS + i] = w->x0, by[3 * NS + i] = w->y1 - wy + t * wy;
        }
        if (!OCTTransform(to_ll, 4 * NS, bx, by, bz)) {
            st = cp_fail_gdal(CP_E_CRS, "synth: cannot transform the grid to EPSG:4326");
            goto done;
        }
        for (int i = 0; i < 4 * NS; ++i) {
            if (bx[i] < lonmin) lonmin = bx[i];
            if (bx[i] > lonmax) lonmax = bx[i];
            if (by[i] < latmin) latmin = by[i];
            if (by[i] > latmax) latmax = by[i];
        }
    }
    const double lon0 = floor(lonmin * 1200.0) / 1200.0 - POP_RES;
    const double lat1 = ceil(latmax * 1200.0) / 1200.0 + POP_RES;
    const int64_t nx = (int64_t)ceil((lonmax - lon0) * 1200.0) + 1;
    const int64_t ny = (int64_t)ceil((lat1 - latmin) * 1200.0) + 1;
    double gt[6] = {lon0, POP_RES, 0, lat1, 0, -POP_RES};
    if ((st = create_tiff(path, nx, ny, GDT_Float32, "3", 4326, gt, &ds)) != CP_OK) goto done;
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, -99999);
    GDALSetDescription(band, "population (people per cell)");
    GDALSetRasterUnitType(band, "people");

    const int ncn = (int)((nx - 1) / LAT) + 2;
    const int maxrn = STRIP / LAT + 2;
    const int nblk = (int)((nx + BLOCK - 1) / BLOCK);
    const int ncap = w->nst > 0 ? w->nst : 1;
    const size_t nn = (size_t)ncn * maxrn;
    buf = malloc(sizeof(float) * (size_t)nx * STRIP);
    nxs = malloc(sizeof(double) * nn);
    nys = malloc(sizeof(double) * nn);
    nzs = calloc(nn, sizeof(double));
    ne = malloc(sizeof(double) * nn);
    rowsum = malloc(sizeof(double) * STRIP);
    cstart = malloc(sizeof(int) * ((size_t)nblk + 1));
    cand = malloc(sizeof(int) * (size_t)ncap);
    if (!buf || !nxs || !nys || !nzs || !ne || !rowsum || !cstart || !cand) {
        st = cp_fail(CP_E_NOMEM, "synth: out of memory for a population strip");
        goto done;
    }
    double sum = 0.0;
    const double dang = POP_RES * M_PI / 180.0;
    const int64_t nstrips = (ny + STRIP - 1) / STRIP;
    for (int64_t si = 0; si < nstrips; ++si) {
        const int64_t r0 = si * STRIP, r1 = r0 + STRIP < ny ? r0 + STRIP : ny;
        const int64_t ra = r0 / LAT;
        const int nrn = (int)((r1 - 1) / LAT - ra) + 2;
        const int64_t nnodes = (int64_t)nrn * ncn;
        for (int64_t k = 0; k < nnodes; ++k) {
            int64_t b = k / ncn, a = k % ncn;
            nxs[k] = lon0 + ((double)(a * LAT) + 0.5) * POP_RES;
            nys[k] = lat1 - ((double)((ra + b) * LAT) + 0.5) * POP_RES;
            nzs[k] = 0;
        }
        if (!OCTTransform(to_utm, (int)nnodes, nxs, nys, nzs)) {
            st = cp_fail_gdal(CP_E_CRS, "synth: cannot transform lon/lat to EPSG:%d", w->epsg);
            goto done;
        }
#pragma omp parallel for schedule(static)
        for (int64_t k = 0; k < nnodes; ++k) ne[k] = syn_field(w, SYN_S_ELEV, nxs[k], nys[k]);
        size_t used = 0;
        for (int bi = 0; bi < nblk; ++bi) {
            int a0 = bi * (BLOCK / LAT), a1 = a0 + BLOCK / LAT + 1;
            if (a1 >= ncn) a1 = ncn - 1;
            double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
            for (int b = 0; b < nrn; ++b)
                for (int a = a0; a <= a1; ++a) {
                    size_t k = (size_t)b * ncn + (size_t)a;
                    if (nxs[k] < xmin) xmin = nxs[k];
                    if (nxs[k] > xmax) xmax = nxs[k];
                    if (nys[k] < ymin) ymin = nys[k];
                    if (nys[k] > ymax) ymax = nys[k];
                }
            int n = syn_candidates(w, xmin, ymin, xmax, ymax, 1, cand, ncap);
            if (used + (size_t)n > cand_cap) {
                size_t nc = (used + (size_t)n) * 2 + 64;
                int *t = realloc(cand_all, nc * sizeof *t);
                if (!t) {
                    st = cp_fail(CP_E_NOMEM, "synth: out of memory for candidates");
                    goto done;
                }
                cand_all = t, cand_cap = nc;
            }
            cstart[bi] = (int)used;
            if (n) memcpy(cand_all + used, cand, (size_t)n * sizeof *cand); /* NULL + 0 is UB */
            used += (size_t)n;
        }
        cstart[nblk] = (int)used;
#pragma omp parallel for schedule(static)
        for (int64_t r = r0; r < r1; ++r) {
            int64_t b = r / LAT - ra;
            double ty = (double)(r % LAT) / LAT;
            double lat = lat1 - ((double)r + 0.5) * POP_RES;
            double area_m2 = EARTH_R * EARTH_R * dang * dang * cos(lat * M_PI / 180.0);
            float *row = buf + (size_t)(r - r0) * (size_t)nx;
            double rs = 0.0;
            for (int64_t c = 0; c < nx; ++c) {
                int a = (int)(c / LAT);
                double tx = (double)(c % LAT) / LAT;
                double x = bilerp(nxs, ncn, a, (int)b, tx, ty);
                double y = bilerp(nys, ncn, a, (int)b, tx, ty);
                double e = bilerp(ne, ncn, a, (int)b, tx, ty);
                /* rural background, people per km2: none in lakes, fewer in the hills */
                double dens =
                    e < w->e_lake
                        ? 0.0
                        : 1.5 + 18.0 * clampd((w->e_bare - e) / (w->e_bare - w->e_lake), 0, 1);
                dens *= 1e-6;
                int bi = (int)(c / BLOCK);
                for (int k = cstart[bi]; k < cstart[bi + 1]; ++k) {
                    const syn_settlement *s = &w->st[cand_all[k]];
                    double dx = x - s->x, dy = y - s->y, d2 = dx * dx + dy * dy;
                    double s2 = s->sigma_m * s->sigma_m;
                    if (d2 > 16.0 * s2) continue;
                    dens += s->pop / (2.0 * M_PI * s2) * exp(-0.5 * d2 / s2);
                }
                /* quantised to 1/1024 person: exact in Float32, compresses well */
                double v = floor(dens * area_m2 * 1024.0 + 0.5) / 1024.0;
                row[c] = (float)v;
                rs += (double)row[c];
            }
            rowsum[r - r0] = rs;
        }
        for (int64_t r = r0; r < r1; ++r) sum += rowsum[r - r0];
        int h = (int)(r1 - r0);
        if (GDALRasterIO(band, GF_Write, 0, (int)r0, (int)nx, h, buf, (int)nx, h, GDT_Float32, 0,
                         0) != CE_None) {
            st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
            goto done;
        }
        GDALFlushCache(ds);
        if (!syn_tick(p, (double)(si + 1) / (double)nstrips, "population")) {
            st = cp_fail(CP_E_INTERRUPTED, "synth: interrupted");
            goto done;
        }
    }
    *total = sum;
    *pnx = nx, *pny = ny, *plon0 = lon0, *plat1 = lat1;
done:
    st = close_tiff(ds, path, st);
    if (to_ll) OCTDestroyCoordinateTransformation(to_ll);
    if (to_utm) OCTDestroyCoordinateTransformation(to_utm);
    free(buf);
    free(nxs);
    free(nys);
    free(nzs);
    free(ne);
    free(rowsum);
    free(cand);
    free(cstart);
    free(cand_all);
    return st;
}
