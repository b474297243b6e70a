/* Raster outputs: tiled GeoTIFF strips -> Cloud-Optimized GeoTIFF; thumbnails; checksums. */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC under -std=c11 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_utils.h>

#include "error.h"
#include "cog.h"
#include "raster.h"

/* A GeoTIFF of one band on grid g with creation options co (destroyed here), georeferenced. */
static cp_status create_on_grid(const char *path, const cp_grid *g, GDALDataType type, char **co,
                                GDALDatasetH *out) {
    *out = NULL;
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) {
        CSLDestroy(co);
        return cp_fail(CP_E_INTERNAL, "GDAL has no GTiff driver");
    }
    CPLErrorReset();
    GDALDatasetH ds = GDALCreate(drv, path, (int)g->geo.nx, (int)g->geo.ny, 1, type, co);
    CSLDestroy(co);
    if (!ds) return cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
    double gt[6] = {g->geo.x0, g->geo.dx, 0, g->geo.y0, 0, -g->geo.dy};
    GDALSetGeoTransform(ds, gt);
    GDALSetProjection(ds, g->wkt);
    *out = ds;
    return CP_OK;
}

cp_status cp_raster_create(const char *path, const cp_grid *g, GDALDataType type, double nodata,
                           GDALDatasetH *out) {
    char **co = NULL;
    co = CSLSetNameValue(co, "TILED", "YES");
    co = CSLSetNameValue(co, "BLOCKXSIZE", "512");
    co = CSLSetNameValue(co, "BLOCKYSIZE", "512");
    co = CSLSetNameValue(co, "COMPRESS", "ZSTD");
    co = CSLSetNameValue(co, "ZSTD_LEVEL", "1");
    co = CSLSetNameValue(co, "BIGTIFF", "IF_SAFER");
    cp_status s = create_on_grid(path, g, type, co, out);
    if (!s) GDALSetRasterNoDataValue(GDALGetRasterBand(*out, 1), nodata);
    return s;
}

cp_status cp_raster_write_rows(GDALDatasetH ds, const char *path, int64_t row0, int64_t nrows,
                               int64_t nx, GDALDataType type, const void *buf) {
    CPLErrorReset();
    if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, (int)row0, (int)nx, (int)nrows,
                     (void *)buf, (int)nx, (int)nrows, type, 0, 0) != CE_None)
        return cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
    return CP_OK;
}

cp_status cp_strip_file_create(const char *path, const cp_grid *g, GDALDataType type, double nodata,
                               int64_t *data_offset) {
    *data_offset = -1;
    if (!CPL_IS_LSB || !strncmp(path, "/vsi", 4))
        return cp_fail(CP_E_INTERNAL, "<%s>: strips are written only to local little-endian files",
                       path);
    GDALDatasetH ds = NULL;
    cp_status s = create_on_grid(path, g, type, CSLSetNameValue(NULL, "BIGTIFF", "IF_SAFER"), &ds);
    if (s) return s;
    /* closed before any cell is written and without nodata, GDAL lays out every strip in
     * order (cp_rio_out_create); nodata is set on the file reopened */
    CPLErrorReset();
    GDALClose(ds);
    if (CPLGetLastErrorType() == CE_Failure ||
        !(ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_UPDATE, NULL, NULL, NULL)))
        return cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, nodata);
    *data_offset = cp_rio_strips_offset(band);
    CPLErrorReset();
    GDALClose(ds);
    if (CPLGetLastErrorType() == CE_Failure)
        return cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
    if (*data_offset < 0)
        return cp_fail(CP_E_INTERNAL, "<%s>: GDAL did not lay out its strips in order", path);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return cp_fail(CP_E_IO, "cannot open <%s>: %s", path, strerror(errno));
    s = cp_rio_reserve(fd, path, *data_offset,
                       g->geo.ny * g->geo.nx * GDALGetDataTypeSizeBytes(type));
    close(fd);
    return s;
}

cp_status cp_strip_file_open(cp_strip_file *f, const char *path, const cp_grid *g,
                             GDALDataType type, int64_t data_offset) {
    f->fd = open(path, O_WRONLY | O_CLOEXEC); /* never created here: it must be the one laid out */
    if (f->fd < 0) return cp_fail(CP_E_IO, "cannot open <%s>: %s", path, strerror(errno));
    f->path = path;
    f->ny = g->geo.ny;
    f->data_offset = data_offset;
    f->row_bytes = (size_t)g->geo.nx * (size_t)GDALGetDataTypeSizeBytes(type);
    return CP_OK;
}

cp_status cp_strip_file_write(cp_strip_file *f, int64_t row0, int64_t nrows, const void *buf) {
    if (row0 < 0 || nrows < 0 || row0 + nrows > f->ny)
        return cp_fail(CP_E_INTERNAL, "rows out of the grid");
    return cp_rio_pwrite_rows(f->fd, f->path, f->data_offset, f->row_bytes, row0, nrows, buf,
                              f->row_bytes, 0);
}

cp_status cp_strip_file_close(cp_strip_file *f) {
    if (!f || !f->path || f->fd < 0) return CP_OK;
    int bad = close(f->fd) != 0;
    f->fd = -1;
    return bad ? cp_fail(CP_E_IO, "cannot write <%s>: %s", f->path, strerror(errno)) : CP_OK;
}

static void remove_files(const char *path) {
    VSIUnlink(path);
    char aux[4200];
    snprintf(aux, sizeof aux, "%s.aux.xml", path);
    VSIUnlink(aux);
}

cp_status cp_cog_finish(GDALDatasetH raw, const char *raw_path, const char *path,
                        const char *resampling, const double *stats, int threads,
                        cp_progress_fn progress, void *progress_arg, cp_file_job **removal) {
    cp_status s = CP_OK;
    GDALRasterBandH b = GDALGetRasterBand(raw, 1);
    double mn, mx, mean, sd;
    CPLErrorReset();
    if (stats)
        GDALSetRasterStatistics(b, stats[0], stats[1], stats[2], stats[3]);
    else if (GDALComputeRasterStatistics(b, FALSE, &mn, &mx, &mean, &sd, NULL, NULL) == CE_None)
        GDALSetRasterStatistics(b, mn, mx, mean, sd);
    GDALFlushCache(raw);
    char nthreads[16];
    snprintf(nthreads, sizeof nthreads, "%d", threads > 0 ? threads : 1);
    const int is_byte = GDALGetRasterDataType(b) == GDT_Byte;
    char *argv[] = {"-of", "COG",
                    "-co", "COMPRESS=DEFLATE",
                    "-co", "LEVEL=1",
                    "-co", is_byte ? "PREDICTOR=NO" : "PREDICTOR=YES",
                    "-co", "BIGTIFF=IF_SAFER",
                    "-co", NULL,
                    "-co", NULL,
                    NULL};
    char res[64], nt[64];
    snprintf(res, sizeof res, "RESAMPLING=%s", resampling);
    snprintf(nt, sizeof nt, "NUM_THREADS=%s", nthreads);
    argv[11] = res;
    argv[13] = nt;
    GDALTranslateOptions *to = GDALTranslateOptionsNew(argv, NULL);
    if (progress) GDALTranslateOptionsSetProgress(to, progress, progress_arg);
    int usage = 0;
    /* The driver's temporary file of overviews is written once and read once, next to the
     * output: uncompressed rather than with ZSTD at its default level 9 (a third of the
     * driver's time on the national grid for the same bytes in the COG). */
    CPLSetThreadLocalConfigOption("COG_TMP_COMPRESSION", "NONE");
    GDALDatasetH cog = GDALTranslate(path, raw, to, &usage);
    CPLSetThreadLocalConfigOption("COG_TMP_COMPRESSION", NULL);
    GDALTranslateOptionsFree(to);
    if (!cog)
        s = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
    else
        GDALClose(cog);
    GDALClose(raw);
    if (removal)
        *removal = cp_removal_start(raw_path);
    else
        remove_files(raw_path);
    if (s) VSIUnlink(path);
    return s;
}

cp_status cp_thumbnail_png(const char *path, int width, unsigned char **png, size_t *len) {
    *png = NULL;
    *len = 0;
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
    GDALDatasetH src = GDALOpen(path, GA_ReadOnly);
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", NULL);
    if (!src) return cp_fail_gdal(CP_E_IO, "cannot open <%s>", path);
    int nx = GDALGetRasterXSize(src), ny = GDALGetRasterYSize(src);
    int w = nx < width ? nx : width;
    int h = (int)((double)ny * w / nx + 0.5);
    if (h < 1) h = 1;
    char ws[16], hs[16];
    snprintf(ws, sizeof ws, "%d", w);
    snprintf(hs, sizeof hs, "%d", h);
    char *argv[] = {"-of", "PNG", "-outsize", ws, hs, "-r", "nearest", NULL};
    GDALTranslateOptions *to = GDALTranslateOptionsNew(argv, NULL);
    char mem[64];
    snprintf(mem, sizeof mem, "/vsimem/cp_thumb_%p.png", (void *)png);
    GDALDatasetH out = GDALTranslate(mem, src, to, NULL);
    GDALTranslateOptionsFree(to);
    GDALClose(src);
    if (!out) return cp_fail_gdal(CP_E_IO, "cannot make a thumbnail of <%s>", path);
    GDALClose(out);
    vsi_l_offset n = 0;
    GByte *buf = VSIGetMemFileBuffer(mem, &n, FALSE);
    cp_status s = CP_OK;
    if (buf && n) {
        *png = malloc((size_t)n);
        if (*png) {
            memcpy(*png, buf, (size_t)n);
            *len = (size_t)n;
        } else {
            s = cp_fail(CP_E_NOMEM, "out of memory");
        }
    }
    VSIUnlink(mem);
    char aux[80];
    snprintf(aux, sizeof aux, "%s.aux.xml", mem);
    VSIUnlink(aux);
    return s;
}

int cp_file_checksum(const char *path, char hex[17], uint64_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = 1469598103934665603ull, n = 0;
    unsigned char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got; ++i) h = (h ^ buf[i]) * 1099511628211ull;
        n += got;
    }
    fclose(f);
    snprintf(hex, 17, "%016llx", (unsigned long long)h);
    if (size) *size = n;
    return 1;
}

struct cp_file_job {
    pthread_t thread;
    int started, remove, ok;
    char hex[17];
    uint64_t size;
    char path[];
};

static void file_job_run(cp_file_job *j) {
    if (j->remove)
        remove_files(j->path);
    else
        j->ok = cp_file_checksum(j->path, j->hex, &j->size);
}

static void *file_job_thread(void *arg) {
    file_job_run(arg);
    return NULL;
}

/* The job in a thread of its own, or done at once when no thread starts; NULL when out of
 * memory (nothing done). */
static cp_file_job *file_job_start(const char *path, int remove) {
    size_t n = strlen(path) + 1;
    cp_file_job *j = calloc(1, sizeof *j + n);
    if (!j) return NULL;
    memcpy(j->path, path, n);
    j->remove = remove;
    if (!(j->started = pthread_create(&j->thread, NULL, file_job_thread, j) == 0)) file_job_run(j);
    return j;
}

cp_file_job *cp_removal_start(const char *path) {
    cp_file_job *j = file_job_start(path, 1);
    if (!j) remove_files(path);
    return j;
}

cp_file_job *cp_checksum_start(const char *path) {
    return file_job_start(path, 0);
}

int cp_file_job_finish(cp_file_job *j, char hex[17], uint64_t *size) {
    if (!j) return 0;
    if (j->started) pthread_join(j->thread, NULL);
    int ok = j->ok;
    if (ok && hex) memcpy(hex, j->hex, sizeof j->hex);
    if (ok && size) *size = j->size;
    free(j);
    return ok;
}
