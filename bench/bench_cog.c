/* bench_cog [MAP [ROWS [REPS [WHO]]]]: a raw map (a file of strips, as `run` writes them) made into
 * a COG with overviews by clearplan (cp_cog_finish: overviews over the threads, the COG's bytes by
 * engine/io/cogtiff.c) and by GDAL's COG driver from the same raw map (gdal_translate -of COG,
 * DEFLATE level 1 with the floating-point predictor, NUM_THREADS = the threads, overviews its
 * own), at 1 and 2 threads. MAP: the first ROWS rows (default all) of band 1 of a Float32 raster
 * (the national priority.tif); without one, a synthetic 8,192 x 8,192 map of smooth scores. One
 * JSON line per case; the two COGs' full-resolution cells are compared (exit 1 if they differ).
 * WHO: both (default), clearplan or gdal (one of them, for a profile). */
#define _DEFAULT_SOURCE /* sync */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <gdal_utils.h>
#include <ogr_srs_api.h>

#include "bench.h"

#include "cog.h"
#include "grid.h"

static const char *dir = "/tmp/bench_cog";

/* The raw map at path from cells (nx x ny), opened with GDAL as cp_cog_finish takes it. */
static GDALDatasetH make_raw(const char *path, const cp_grid *g, const float *cells) {
    int64_t offset = -1;
    cp_strip_file f;
    if (cp_strip_file_create(path, g, GDT_Float32, -9999.0, &offset) ||
        cp_strip_file_open(&f, path, g, GDT_Float32, offset) ||
        cp_strip_file_write(&f, 0, g->geo.ny, cells) || cp_strip_file_close(&f))
        return NULL;
    GDALDatasetH ds = GDALOpen(path, GA_Update);
    if (ds) GDALSetDescription(GDALGetRasterBand(ds, 1), "priority");
    return ds;
}

static float *load(const char *map, int64_t rows, cp_grid *g) {
    int64_t nx = 8192, ny = 8192;
    GDALDatasetH src = map ? GDALOpen(map, GA_ReadOnly) : NULL;
    if (map && !src) return NULL;
    if (src) {
        nx = GDALGetRasterXSize(src);
        ny = GDALGetRasterYSize(src);
        if (rows > 0 && rows < ny) ny = rows;
    }
    float *cells = malloc(sizeof(float) * (size_t)nx * (size_t)ny);
    if (!cells) return NULL;
    if (src) {
        if (GDALRasterIO(GDALGetRasterBand(src, 1), GF_Read, 0, 0, (int)nx, (int)ny, cells, (int)nx,
                         (int)ny, GDT_Float32, 0, 0) != CE_None)
            return NULL;
        GDALClose(src);
    } else {
        uint64_t s = 7;
        for (int64_t j = 0; j < ny; ++j)
            for (int64_t i = 0; i < nx; ++i) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                double v = 0.5 + 0.3 * sin((double)i / 300.0) * cos((double)j / 200.0) +
                           0.01 * (double)(s % 100) / 100.0;
                cells[j * nx + i] = (i - 4096) * (i - 4096) + (j - 4096) * (j - 4096) > 4000 * 4000
                                        ? -9999.0f
                                        : (float)v;
            }
    }
    *g = (cp_grid){.geo = {420000, 750000, 30, 30, nx, ny}};
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 32618);
    OSRExportToWkt(srs, &g->wkt);
    OSRDestroySpatialReference(srs);
    return cells;
}

static float *read_all(const char *path, int64_t nx, int64_t ny) {
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    float *c = malloc(sizeof(float) * (size_t)nx * (size_t)ny);
    if (!ds || !c ||
        GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, (int)nx, (int)ny, c, (int)nx, (int)ny,
                     GDT_Float32, 0, 0) != CE_None)
        return NULL;
    GDALClose(ds);
    return c;
}

int main(int argc, char **argv) {
    const char *map = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
    int64_t rows = argc > 2 ? atoll(argv[2]) : 0;
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    const char *who = argc > 4 ? argv[4] : "both";
    const int run_ours = strcmp(who, "gdal") != 0, run_gdal = strcmp(who, "clearplan") != 0;
    if (reps < 1 || reps > 64) return 2;
    GDALAllRegister();
    cp_grid g;
    float *cells = load(map, rows, &g);
    if (!cells) return fprintf(stderr, "cannot read %s\n", map ? map : "the map"), 1;
    char raw[256], ours[256], gdal[256], cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    if (system(cmd)) return 1;
    snprintf(raw, sizeof raw, "%s/raw.strips.tif", dir);
    snprintf(ours, sizeof ours, "%s/clearplan.tif", dir);
    snprintf(gdal, sizeof gdal, "%s/gdal.tif", dir);
    const double n = (double)g.geo.nx * (double)g.geo.ny;
    /* the statistics, as `run` hands them over (it sums them in its raster pass) */
    double st[4] = {INFINITY, -INFINITY, 0, 0}, valid = 0, sum = 0, sumsq = 0;
    for (size_t i = 0; i < (size_t)n; ++i)
        if (cells[i] != -9999.0f) {
            st[0] = fmin(st[0], cells[i]), st[1] = fmax(st[1], cells[i]);
            valid += 1, sum += cells[i], sumsq += (double)cells[i] * cells[i];
        }
    st[2] = valid ? sum / valid : 0;
    st[3] = valid ? sqrt(fmax(0, sumsq / valid - st[2] * st[2])) : 0;
    for (int th = 1; th <= 2; ++th) {
        double t[64], tg[64];
        for (int r = 0; r < reps; ++r) {
            unlink(ours), unlink(gdal);
            GDALDatasetH ds = NULL;
            double t0;
            t[r] = tg[r] = 0;
            if (run_ours) {
                if (!(ds = make_raw(raw, &g, cells)))
                    return fprintf(stderr, "cannot write %s\n", raw), 1;
                sync();
                t0 = now_s();
                if (cp_cog_finish(ds, raw, ours, "AVERAGE", st, th, 0, NULL, NULL, NULL))
                    return fprintf(stderr, "%s\n", cp_errmsg()), 1;
                t[r] = now_s() - t0;
            }
            if (!run_gdal) continue;
            ds = make_raw(raw, &g, cells);
            if (!ds) return 1;
            GDALSetRasterStatistics(GDALGetRasterBand(ds, 1), st[0], st[1], st[2], st[3]);
            char nt[32];
            snprintf(nt, sizeof nt, "NUM_THREADS=%d", th);
            char *av[] = {"-of", "COG",           "-co", "COMPRESS=DEFLATE", "-co", "LEVEL=1",
                          "-co", "PREDICTOR=YES", "-co", "BIGTIFF=IF_SAFER", "-co", nt,
                          NULL};
            GDALTranslateOptions *o = GDALTranslateOptionsNew(av, NULL);
            sync();
            t0 = now_s();
            GDALDatasetH out = GDALTranslate(gdal, ds, o, NULL);
            if (!out) return 1;
            GDALClose(out);
            tg[r] = now_s() - t0;
            GDALTranslateOptionsFree(o);
            GDALClose(ds);
            unlink(raw);
        }
        if (run_ours) report("cog", "clearplan", th, n, t, reps);
        if (run_gdal) report("cog", "gdal_cog_driver", th, n, tg, reps);
    }
    if (!run_ours || !run_gdal) return 0;
    float *a = read_all(ours, g.geo.nx, g.geo.ny), *b = read_all(gdal, g.geo.nx, g.geo.ny);
    int same = a && b && !memcmp(a, b, sizeof(float) * (size_t)n);
    printf("{\"bench\":\"cog\",\"full_resolution_cells_identical\":%s}\n", same ? "true" : "false");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
    return same ? 0 : 1;
}
