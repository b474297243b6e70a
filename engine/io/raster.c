/* Raster I/O helpers: open, check, read windows, write GeoTIFFs atomically (rasterio.h). */
#define _GNU_SOURCE /* madvise, renameat2 */
#include "raster.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <ogr_srs_api.h>

#include "dwrite.h"
#include "error.h"

cp_status cp_rio_open(const char *path, GDALDatasetH *out) {
    *out = NULL;
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                                 NULL, NULL, NULL); /* GDAL says why it cannot */
    if (!ds) return cp_fail_gdal(CP_E_IO, "cannot open <%s>", path);
    if (GDALGetRasterCount(ds) < 1) {
        GDALClose(ds);
        return cp_fail(CP_E_FORMAT, "<%s> has no raster band", path);
    }
    *out = ds;
    return CP_OK;
}

cp_status cp_rio_crs(GDALDatasetH ds, const char *path, const char *assume, int projected,
                     OGRSpatialReferenceH *out) {
    *out = NULL;
    OGRSpatialReferenceH assumed = NULL;
    if (assume) {
        assumed = OSRNewSpatialReference(NULL);
        if (!assumed || OSRSetFromUserInput(assumed, assume) != OGRERR_NONE) {
            if (assumed) OSRDestroySpatialReference(assumed);
            return cp_fail(CP_E_ARG, "--assume-crs: '%s' is not a coordinate reference system",
                           assume);
        }
    }
    OGRSpatialReferenceH own = GDALGetSpatialRef(ds);
    OGRSpatialReferenceH srs = own ? OSRClone(own) : assumed;
    if (own && assumed) OSRDestroySpatialReference(assumed);
    if (!srs)
        return cp_fail(CP_E_CRS,
                       "<%s> has no coordinate reference system; give one with --assume-crs "
                       "(e.g. EPSG:32633) if you know it",
                       path);
    if (projected && !OSRIsProjected(srs)) {
        OSRDestroySpatialReference(srs);
        return cp_fail(CP_E_CRS,
                       "<%s> has a geographic coordinate reference system%s; distances in "
                       "metres need a projected one (reproject it, e.g. gdalwarp -t_srs)",
                       path, own ? "" : " (--assume-crs)");
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    *out = srs;
    return CP_OK;
}

int cp_crs_assume_unused(OGRSpatialReferenceH own, const char *assume) {
    if (!own || !assume) return 0;
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL);
    const char *const same[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", NULL};
    const int unused =
        a && OSRSetFromUserInput(a, assume) == OGRERR_NONE && !OSRIsSameEx(own, a, same);
    if (a) OSRDestroySpatialReference(a);
    return unused;
}

cp_status cp_rio_geo(GDALDatasetH ds, const char *path, cpk_geo *geo) {
    double gt[6];
    if (GDALGetGeoTransform(ds, gt) != CE_None)
        return cp_fail(CP_E_FORMAT, "<%s> has no geotransform", path);
    if (gt[2] != 0 || gt[4] != 0 || !(gt[1] > 0) || !(gt[5] < 0))
        return cp_fail(CP_E_FORMAT,
                       "<%s> is not a north-up grid (rotated or flipped geotransform); "
                       "warp it first",
                       path);
    geo->x0 = gt[0];
    geo->y0 = gt[3];
    geo->dx = gt[1];
    geo->dy = -gt[5];
    geo->nx = GDALGetRasterXSize(ds);
    geo->ny = GDALGetRasterYSize(ds);
    return CP_OK;
}

cp_status cp_rio_band(GDALDatasetH ds, const char *path, int band, GDALRasterBandH *out,
                      int *has_nodata, float *nodata) {
    if (band < 1 || band > GDALGetRasterCount(ds))
        return cp_fail(CP_E_ARG, "<%s> has no band %d (it has %d)", path, band,
                       GDALGetRasterCount(ds));
    GDALRasterBandH b = GDALGetRasterBand(ds, band);
    int has = 0;
    double nd = GDALGetRasterNoDataValue(b, &has);
    *out = b;
    *has_nodata = has && !isnan(nd);
    *nodata = *has_nodata ? (float)nd : 0.0f;
    return CP_OK;
}

void *cp_rio_alloc(size_t bytes) {
    if (bytes == 0) bytes = 1;
    const size_t huge = (size_t)2 << 20;
    if (bytes < huge) return malloc(bytes);
    void *p = NULL;
    size_t rounded = (bytes + huge - 1) / huge * huge;
    if (rounded < bytes || posix_memalign(&p, huge, rounded) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    /* 2 MB pages: a 400 MB grid then costs 200 page faults instead of 100,000. Only a hint. */
    (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

static void out_free(cp_rio_out *o) {
    free(o->rows[0]); /* the writer thread is gone by now: the commit or the abort ended it */
    free(o->rows[1]);
    o->rows[0] = o->rows[1] = o->rows_at[0] = o->rows_at[1] = NULL;
    o->rows_bytes = 0;
    o->tx = NULL;
    o->path = o->tmp_path = NULL;
    o->ds = NULL;
    o->band = NULL;
}

#define OWNER_ITEM "CLEARPLAN_OUTPUT"

cp_output_options cp_rio_tx_options(const char *command, const cp_tool_common *common,
                                    const char *const *inputs) {
    cp_output_options o;
    memset(&o, 0, sizeof o);
    o.kind = CP_OUTPUT_FILE;
    o.command = command;
    o.overwrite = common->overwrite;
    o.no_sync = common->no_sync;
    o.inputs = inputs;
    return o;
}

int cp_rio_owned(const char *path, void *arg) {
    (void)arg;
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    int ours = ds && GDALGetMetadataItem(ds, OWNER_ITEM, NULL) != NULL;
    if (ds) GDALClose(ds);
    CPLErrorReset();
    return ours;
}

int64_t cp_rio_strips_offset(GDALRasterBandH band) {
    const int64_t nx = GDALGetRasterBandXSize(band), ny = GDALGetRasterBandYSize(band);
    const int64_t row_bytes = nx * GDALGetDataTypeSizeBytes(GDALGetRasterDataType(band));
    const char *ms = GDALGetMetadataItem(band, "COMPRESSION", "IMAGE_STRUCTURE");
    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    if ((ms && !EQUAL(ms, "NONE")) || bx != nx || by < 1 || row_bytes < 1) return -1;
    const int64_t nblocks = (ny + by - 1) / by;
    int64_t base = -1;
    char key[64];
    for (int64_t k = 0; k < nblocks; ++k) {
        snprintf(key, sizeof key, "BLOCK_OFFSET_0_%lld", (long long)k);
        const char *off = GDALGetMetadataItem(band, key, "TIFF");
        snprintf(key, sizeof key, "BLOCK_SIZE_0_%lld", (long long)k);
        const char *size = GDALGetMetadataItem(band, key, "TIFF");
        if (!off || !size) return -1;
        int64_t at = (int64_t)CPLAtoGIntBig(off), n = (int64_t)CPLAtoGIntBig(size);
        int64_t rows = ny - k * by < by ? ny - k * by : by;
        if (k == 0) base = at;
        if (at <= 0 || at != base + k * by * row_bytes || n < rows * row_bytes) return -1;
    }
    return base;
}

/* Switches a just-created output to direct writes when its layout allows (see cp_rio_out):
 * GDAL finishes the file's header and tags now, the cells go straight to the file. */
static cp_status out_go_direct(cp_rio_out *o) {
    int64_t base = cp_rio_strips_offset(o->band);
    if (base < 0) return CP_OK; /* another layout: GDAL writes the cells */
    CPLErrorReset();
    GDALClose(o->ds);
    o->ds = NULL;
    o->band = NULL;
    if (CPLGetLastErrorType() == CE_Failure)
        return cp_fail_gdal(CP_E_IO, "cannot create <%s>", o->path);
    unsigned char magic[2] = {0, 0};
    int fd = open(o->tmp_path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || pread(fd, magic, 2, 0) != 2 || magic[0] != 'I' || magic[1] != 'I') {
        if (fd >= 0) close(fd);
        return cp_fail(CP_E_IO, "cannot open <%s> for writing", o->tmp_path);
    }
    o->fd = fd;
    o->direct = 1;
    o->data_offset = base;
    cp_status s = cp_rio_reserve(fd, o->path, base, o->ny * (int64_t)sizeof(float) * o->nx);
    /* the cells straight to the disk from a writer thread where the file system allows */
    if (s == CP_OK) s = cp_dwriter_open(o->tmp_path, &o->dw);
    return s;
}

cp_status cp_rio_reserve(int fd, const char *path, int64_t at, int64_t n) {
    if (n <= 0 || fallocate(fd, 0, (off_t)at, (off_t)n) == 0) return CP_OK;
    if (errno == ENOSPC || errno == EFBIG)
        return cp_fail(CP_E_IO, "<%s>: no room for its %.0f MB on the disk: %s", path, n / 1e6,
                       strerror(errno));
    return CP_OK; /* a file system without fallocate: the writes allocate as they go */
}

int cp_rio_pwrite_all(int fd, const void *buf, size_t n, int64_t at) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w, at += w;
    }
    return 0;
}

cp_status cp_rio_pwrite_rows(int fd, const char *path, int64_t data_offset, size_t row_bytes,
                             int64_t row0, int64_t nrows, const void *buf, size_t stride_bytes,
                             int write_back) {
    const char *rows = buf;
    int bad = 0;
    if (stride_bytes == row_bytes)
        bad = cp_rio_pwrite_all(fd, rows, row_bytes * (size_t)nrows,
                                data_offset + row0 * (int64_t)row_bytes);
    else
        for (int64_t r = 0; r < nrows && !bad; ++r)
            bad = cp_rio_pwrite_all(fd, rows + (size_t)r * stride_bytes, row_bytes,
                                    data_offset + (row0 + r) * (int64_t)row_bytes);
    if (bad) return cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
#ifdef SYNC_FILE_RANGE_WRITE
    if (write_back) /* asynchronous: overlaps the disk with the next strip's work */
        (void)sync_file_range(fd, data_offset + row0 * (int64_t)row_bytes,
                              nrows * (int64_t)row_bytes, SYNC_FILE_RANGE_WRITE);
#else
    (void)write_back;
#endif
    return CP_OK;
}

cp_status cp_rio_out_create(const char *path, const cpk_geo *geo, OGRSpatialReferenceH srs,
                            GDALDataType type, int has_nodata, double nodata, const char *const *co,
                            int threads, const cp_output_options *tx_opts, cp_rio_out *out) {
    memset(out, 0, sizeof *out);
    if (geo->nx < 1 || geo->ny < 1 || geo->nx > INT32_MAX || geo->ny > INT32_MAX)
        return cp_fail(CP_E_ARG, "<%s>: grid of %lld x %lld cells cannot be written", path,
                       (long long)geo->nx, (long long)geo->ny);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) return cp_fail(CP_E_INTERNAL, "GDAL has no GTiff driver");
    cp_output_options oo = *tx_opts;
    oo.kind = CP_OUTPUT_FILE;
    oo.owned = cp_rio_owned;
    cp_status bs = cp_output_begin(path, &oo, &out->tx);
    if (bs != CP_OK) return bs;
    out->path = cp_output_final(out->tx);
    out->tmp_path = cp_output_path(out->tx);
    out->write_back = !oo.no_sync;

    /* GDAL's GTiff defaults (uncompressed, as gdal_proximity.py and gdal_translate write)
     * plus BIGTIFF=IF_SAFER; `co` chooses tiling and compression. A compressed output is
     * tiled (256 x 256) unless `co` gives a layout (TILED, BLOCKXSIZE or BLOCKYSIZE): GDAL's
     * strips would be one row each, compressed one after the other; tiles go to its
     * compression threads and come out smaller (a 10,000 x 10,000 distance map in ZSTD: 41
     * MB against 108 MB, 0.70 s against 1.31 s at -j 2). DEFLATE without a ZLEVEL gets
     * level 1, ZSTD without a ZSTD_LEVEL level 1 as well: on distance and sum surfaces
     * several times faster to write than higher levels for a similar size (bench/RESULTS.md,
     * stops 20 and 33). */
    char **opts = NULL;
    (void)type;
    opts = CSLSetNameValue(opts, "BIGTIFF", "IF_SAFER");
    char nthreads[16]; /* GDAL compresses with the command's threads (-j) */
    snprintf(nthreads, sizeof nthreads, "%d", cpk_threads(threads));
    opts = CSLSetNameValue(opts, "NUM_THREADS", nthreads);
    int user_zlevel = 0, user_zstd_level = 0, user_layout = 0;
    for (size_t k = 0; co && co[k]; ++k) {
        char *key = NULL;
        const char *val = CPLParseNameValue(co[k], &key);
        if (!key || !val) {
            CPLFree(key);
            CSLDestroy(opts);
            cp_output_abort(out->tx);
            out_free(out);
            return cp_fail(CP_E_ARG, "creation option '%s' is not NAME=VALUE", co[k]);
        }
        if ((EQUAL(key, "TFW") || EQUAL(key, "WORLDFILE")) && CPLTestBool(val)) {
            /* GDAL would write it beside the temporary, outside the output transaction */
            cp_status s = cp_fail(CP_E_ARG,
                                  "creation option '%s': clearplan writes the output file "
                                  "alone; make a world file with gdal_translate -co TFW=YES",
                                  co[k]);
            CPLFree(key);
            CSLDestroy(opts);
            cp_output_abort(out->tx);
            out_free(out);
            return s;
        }
        if (EQUAL(key, "ZLEVEL")) user_zlevel = 1;
        if (EQUAL(key, "ZSTD_LEVEL")) user_zstd_level = 1;
        if (EQUAL(key, "TILED") || EQUAL(key, "BLOCKXSIZE") || EQUAL(key, "BLOCKYSIZE"))
            user_layout = 1;
        opts = CSLSetNameValue(opts, key, val);
        CPLFree(key);
    }
    const char *comp = CSLFetchNameValue(opts, "COMPRESS");
    if (comp && EQUAL(comp, "DEFLATE") && !user_zlevel) opts = CSLSetNameValue(opts, "ZLEVEL", "1");
    if (comp && EQUAL(comp, "ZSTD") && !user_zstd_level)
        opts = CSLSetNameValue(opts, "ZSTD_LEVEL", "1");
    if (comp && !EQUAL(comp, "NONE") && !user_layout) opts = CSLSetNameValue(opts, "TILED", "YES");
    const int direct = type == GDT_Float32 && CPL_IS_LSB && strncmp(path, "/vsi", 4) != 0 &&
                       (!comp || EQUAL(comp, "NONE")) &&
                       !CPLTestBool(CSLFetchNameValueDef(opts, "TILED", "NO")) &&
                       !CSLFetchNameValue(opts, "NBITS") && !CSLFetchNameValue(opts, "SPARSE_OK");

    /* The mark by which --overwrite knows the file as clearplan's own (clearplan/output.h).
     * A direct output's cells should start at a multiple of 4 bytes, so that rows computed
     * in place in memory lie on pages as they do in the file (cp_rio_out_rows): where the
     * header ends 2 bytes off (its tags' sizes follow the CRS's name), the mark's value is
     * padded by a space or two and the file laid out again. */
    const char *mark = oo.command ? oo.command : "clearplan";
    char padded[128];
    GDALDatasetH ds = NULL;
    for (int pad = 0;; pad += 2) { /* two more bytes of tags move the cells by 2 */
        snprintf(padded, sizeof padded, "%s%.*s", mark, pad, "  ");
        CPLErrorReset();
        ds =
            GDALCreate(drv, out->tmp_path, (int)geo->nx, (int)geo->ny, 1, type, (CSLConstList)opts);
        if (!ds) break;
        double gt[6] = {geo->x0, geo->dx, 0, geo->y0, 0, -geo->dy};
        GDALSetGeoTransform(ds, gt);
        GDALSetMetadataItem(ds, OWNER_ITEM, padded, NULL);
        if (srs) GDALSetSpatialRef(ds, srs);
        if (!direct) break;
        /* Closed before any cell is written and without a nodata value, GDAL lays out every
         * strip in order and extends the file over them (sparse, no bytes written); nodata
         * is then set on the file reopened for update. */
        CPLErrorReset();
        GDALClose(ds);
        ds = NULL;
        if (CPLGetLastErrorType() == CE_Failure ||
            !(ds = GDALOpenEx(out->tmp_path, GDAL_OF_RASTER | GDAL_OF_UPDATE, NULL, NULL, NULL)))
            break;
        const char *at = GDALGetMetadataItem(GDALGetRasterBand(ds, 1), "BLOCK_OFFSET_0_0", "TIFF");
        if (!at || CPLAtoGIntBig(at) % 4 == 0 || pad == 2) break;
        GDALClose(ds);
    }
    out->sparse_ok = CPLTestBool(CSLFetchNameValueDef(opts, "SPARSE_OK", "NO"));
    CSLDestroy(opts);
    if (!ds) goto failed;
    out->nx = geo->nx;
    out->ny = geo->ny;
    out->ds = ds;
    out->band = GDALGetRasterBand(ds, 1);
    if (has_nodata) GDALSetRasterNoDataValue(out->band, nodata);
    int bx = 0, by = 0;
    GDALGetBlockSize(out->band, &bx, &by);
    out->block_rows = by > 0 ? by : 1;
    if (direct) {
        cp_status s = out_go_direct(out);
        if (s != CP_OK) cp_rio_out_abort(out);
        return s;
    }
    return CP_OK;
failed:;
    cp_status s = cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
    cp_output_abort(out->tx);
    out_free(out);
    return s;
}

/* cp_rio_out_rows' buffers are this much longer: room to shift the rows onto the page */
#define ROWS_SLACK 4096

cp_status cp_rio_out_rows(cp_rio_out *o, int64_t row0, int64_t nrows, float **rows) {
    *rows = NULL;
    if (row0 < 0 || nrows < 1 || row0 + nrows > o->ny)
        return cp_fail(CP_E_INTERNAL, "rows out of the grid");
    const size_t bytes = sizeof(float) * (size_t)o->nx * (size_t)nrows;
    const int nbuf = o->dw ? 2 : 1;
    if (bytes > o->rows_bytes) { /* the first strip, or a taller one */
        for (int k = 0; k < 2; ++k) {
            if (o->dw && o->rows_at[k]) cp_dwriter_wait(o->dw, o->rows_at[k]);
            free(o->rows[k]);
            o->rows[k] = o->rows_at[k] = NULL;
        }
        o->rows_bytes = 0;
        for (int k = 0; k < nbuf; ++k)
            if (!(o->rows[k] = cp_rio_alloc(bytes + ROWS_SLACK)))
                return cp_fail(CP_E_NOMEM, "out of memory for a strip of %lld rows",
                               (long long)nrows);
        o->rows_bytes = bytes;
    }
    int k = o->rows_next;
    if (o->dw && o->rows_at[k]) cp_dwriter_wait(o->dw, o->rows_at[k]);
    o->rows_next = (k + 1) % nbuf;
    /* on the page as the rows lie in the file: the writer sends them from here (dwrite.h) */
    size_t shift = 0;
    if (o->dw && o->data_offset % 4 == 0)
        shift = (size_t)((o->data_offset + row0 * (int64_t)sizeof(float) * o->nx) % ROWS_SLACK);
    o->rows_at[k] = (float *)((char *)o->rows[k] + shift);
    *rows = o->rows_at[k];
    return CP_OK;
}

cp_status cp_rio_out_write(cp_rio_out *o, int64_t row0, int64_t nrows, const float *buf,
                           ptrdiff_t stride) {
    if (nrows <= 0) return CP_OK;
    if (o->direct) {
        if (row0 < 0 || row0 + nrows > o->ny) return cp_fail(CP_E_INTERNAL, "rows out of the grid");
        if (o->dw) { /* contiguous rows in one job, else a job a row */
            const size_t row_bytes = sizeof(float) * (size_t)o->nx;
            const int64_t per_job = stride == o->nx ? nrows : 1;
            const float *last = buf;
            cp_status s = CP_OK;
            for (int64_t r = 0; r < nrows && s == CP_OK; r += per_job) {
                last = buf + r * stride;
                s = cp_dwriter_submit(o->dw, o->data_offset + (row0 + r) * (int64_t)row_bytes, last,
                                      row_bytes * (size_t)per_job);
            }
            if (buf != o->rows_at[0] && buf != o->rows_at[1]) /* the caller's: copied now */
                cp_dwriter_wait(o->dw, last); /* jobs go in order: the last one's is enough */
            return s;
        }
        return cp_rio_pwrite_rows(o->fd, o->path, o->data_offset, sizeof(float) * (size_t)o->nx,
                                  row0, nrows, buf, sizeof(float) * (size_t)stride, o->write_back);
    }
    CPLErrorReset();
    CPLErr e = GDALRasterIOEx(o->band, GF_Write, 0, (int)row0, (int)o->nx, (int)nrows, (void *)buf,
                              (int)o->nx, (int)nrows, GDT_Float32, sizeof(float),
                              (GSpacing)stride * sizeof(float), NULL);
    if (e != CE_None) return cp_fail_gdal(CP_E_IO, "cannot write <%s>", o->path);
    /* Whole rows of blocks are complete: write them out and drop them from GDAL's block cache,
     * so that the next strip reuses their memory instead of faulting in new pages (the cache
     * would otherwise grow to the whole output before the first write). */
    if ((row0 + nrows) % o->block_rows == 0 || row0 + nrows == o->ny) {
        CPLErrorReset();
        if (GDALFlushRasterCache(o->band) != CE_None)
            return cp_fail_gdal(CP_E_IO, "cannot write <%s>", o->path);
    }
    return CP_OK;
}

/* How many blocks of the GeoTIFF GDAL wrote at `path` have no bytes in the file (-1: it
 * cannot be opened). A compressor that fails on GDAL's compression threads (JPEG on Float32
 * cells, say) is said there, not to the thread that writes, which sees success: the file
 * then lacks those blocks and reads as zeros. */
static int64_t blocks_missing(const char *path, int64_t *nblocks) {
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) return -1;
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int bx = 0, by = 0;
    GDALGetBlockSize(b, &bx, &by);
    const int64_t nbx = bx > 0 ? (GDALGetRasterXSize(ds) + bx - 1) / bx : 0;
    const int64_t nby = by > 0 ? (GDALGetRasterYSize(ds) + by - 1) / by : 0;
    int64_t missing = 0;
    char key[64];
    for (int64_t j = 0; j < nby; ++j)
        for (int64_t i = 0; i < nbx; ++i) {
            snprintf(key, sizeof key, "BLOCK_SIZE_%lld_%lld", (long long)i, (long long)j);
            const char *n = GDALGetMetadataItem(b, key, "TIFF");
            missing += !n || CPLAtoGIntBig(n) <= 0;
        }
    *nblocks = nbx * nby;
    GDALClose(ds);
    return missing;
}

cp_status cp_rio_out_commit(cp_rio_out *o) {
    if (o->direct) {
        o->direct = 0;
        cp_dwriter *dw = o->dw;
        o->dw = NULL;
        cp_status ws = dw ? cp_dwriter_finish(dw) : CP_OK;
        if (ws != CP_OK) {
            close(o->fd);
            cp_rio_out_abort(o);
            return ws;
        }
        if (close(o->fd) != 0) {
            cp_status s = cp_fail(CP_E_IO, "cannot write <%s>: %s", o->path, strerror(errno));
            cp_rio_out_abort(o);
            return s;
        }
    }
    int failed = 0;
    cp_gdal_watch w = {0};
    if (o->ds) { /* a failed write is said only to the error handler (cp_gdal_watch) */
        cp_gdal_watch_begin(&w);
        GDALFlushCache(o->ds);
        GDALClose(o->ds);
        o->ds = NULL;
        failed = cp_gdal_watch_end(&w);
    }
    if (failed) {
        char head[PATH_MAX + 32];
        snprintf(head, sizeof head, "cannot write <%s>", o->path);
        cp_status s = cp_fail_join(CP_E_IO, head, w.first);
        cp_rio_out_abort(o);
        return s;
    }
    int64_t nblocks = 0, missing = o->sparse_ok ? 0 : blocks_missing(o->tmp_path, &nblocks);
    if (missing) {
        cp_status s =
            missing < 0
                ? cp_fail(CP_E_IO, "cannot write <%s>: GDAL cannot read it back", o->path)
                : cp_fail(CP_E_IO,
                          "cannot write <%s>: GDAL left %lld of its %lld blocks unwritten (its "
                          "compression failed on its threads: does the --co COMPRESS suit the "
                          "cells' type? -j 1 shows GDAL's reason)",
                          o->path, (long long)missing, (long long)nblocks);
        cp_rio_out_abort(o);
        return s;
    }
    cp_status s = cp_output_commit(o->tx); /* synced, then published by an atomic rename */
    out_free(o);
    return s;
}

void cp_rio_out_abort(cp_rio_out *o) {
    if (!o) return;
    cp_dwriter_free(o->dw); /* its thread stopped before the file goes */
    o->dw = NULL;
    if (o->direct) close(o->fd);
    o->direct = 0;
    if (o->ds) GDALClose(o->ds);
    o->ds = NULL;
    cp_output_abort(o->tx);
    out_free(o);
}

/* The largest block a pool decodes into buffers of its own (a thread's); a file stored as a
 * few huge strips is read through GDAL's cache as before. */
#define POOL_BLOCK_MAX ((size_t)16 << 20)

cp_status cp_band_pool_open(cp_band_pool *p, GDALRasterBandH band, const char *path, int threads) {
    memset(p, 0, sizeof *p);
    GDALDatasetH ds = GDALGetBandDataset(band);
    GDALDriverH drv = ds ? GDALGetDatasetDriver(ds) : NULL;
    const char *comp = ds ? GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE") : NULL;
    if (!comp) comp = GDALGetMetadataItem(band, "COMPRESSION", "IMAGE_STRUCTURE");
    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    const int64_t nx = GDALGetRasterBandXSize(band), ny = GDALGetRasterBandYSize(band);
    const int64_t ncols = bx > 0 ? (nx + bx - 1) / bx : 0;
    const int n = cpk_threads(threads) < ncols ? cpk_threads(threads) : (int)ncols;
    const size_t block = (size_t)(bx > 0 ? bx : 0) * (size_t)(by > 0 ? by : 0) *
                         (size_t)GDALGetDataTypeSizeBytes(GDALGetRasterDataType(band));
    if (!drv || strcmp(GDALGetDriverShortName(drv), "GTiff") || !comp || EQUAL(comp, "NONE") ||
        n < 1 || block < 1 || block > POOL_BLOCK_MAX)
        return CP_OK; /* nothing to decode, or blocks of whole images: GDAL's cache holds them */
    p->band = calloc((size_t)n, sizeof *p->band);
    p->ds = calloc((size_t)n, sizeof *p->ds);
    p->scratch = calloc((size_t)n, sizeof *p->scratch);
    p->n = n, p->bx = bx, p->by = by, p->type = GDALGetRasterDataType(band);
    for (int k = 0; p->scratch && k < n; ++k)
        if (!(p->scratch[k] = malloc(block))) break;
    if (!p->band || !p->ds || !p->scratch || !p->scratch[n - 1]) {
        cp_band_pool_close(p);
        return cp_fail(CP_E_NOMEM, "out of memory for %d handles of <%s>", n, path);
    }
    p->band[0] = band;
    const char *file = GDALGetDescription(ds);
    const int index = GDALGetBandNumber(band);
    for (int k = 1; k < n; ++k) {
        GDALDatasetH d = GDALOpenEx(file, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        GDALRasterBandH b =
            d && index >= 1 && index <= GDALGetRasterCount(d) ? GDALGetRasterBand(d, index) : NULL;
        int bx2 = 0, by2 = 0;
        if (b) GDALGetBlockSize(b, &bx2, &by2);
        p->ds[k] = d, p->band[k] = b;
        if (!b || GDALGetRasterBandXSize(b) != nx || GDALGetRasterBandYSize(b) != ny ||
            GDALGetRasterDataType(b) != GDALGetRasterDataType(band) || bx2 != bx || by2 != by) {
            cp_band_pool_close(p); /* gone, or another raster now: one thread reads, as before */
            CPLErrorReset();
            return CP_OK;
        }
    }
    return CP_OK;
}

void cp_band_pool_close(cp_band_pool *p) {
    if (!p) return;
    for (int k = 1; p->ds && k < p->n; ++k)
        if (p->ds[k]) GDALClose(p->ds[k]);
    for (int k = 0; p->scratch && k < p->n; ++k) free(p->scratch[k]);
    free(p->band), free(p->ds), free(p->scratch);
    memset(p, 0, sizeof *p);
}

/* Window columns a..b (of rows y0..y0 + h) through one handle into dst (column a of row y0):
 * the block rows the window covers whole are decoded a block at a time into `scratch`
 * (GDALReadBlock: no block cache, so no lock shared with the other handles and no new memory
 * for each block) and copied into place as RasterIO would (GDALCopyWords); the partial block
 * rows at the window's top and bottom go through GDAL's cache, where the next window of the
 * same columns finds them. */
static CPLErr read_slice(const cp_band_pool *p, int k, int64_t a, int64_t b, int64_t y0, int64_t h,
                         char *dst, GDALDataType type, ptrdiff_t stride) {
    GDALRasterBandH band = p->band[k];
    const int64_t bx = p->bx, by = p->by, ny = GDALGetRasterBandYSize(band);
    const int size = GDALGetDataTypeSizeBytes(type), nsize = GDALGetDataTypeSizeBytes(p->type);
    for (int64_t r = y0; r < y0 + h;) {
        const int64_t j = r / by, top = j * by, bottom = (j + 1) * by < ny ? (j + 1) * by : ny;
        const int64_t r1 = bottom < y0 + h ? bottom : y0 + h;
        char *row = dst + (r - y0) * stride * size;
        if (r != top || r1 != bottom) {
            if (GDALRasterIOEx(band, GF_Read, (int)a, (int)r, (int)(b - a), (int)(r1 - r), row,
                               (int)(b - a), (int)(r1 - r), type, size, (GSpacing)stride * size,
                               NULL) != CE_None)
                return CE_Failure;
        } else
            for (int64_t i = a / bx; i * bx < b; ++i) {
                if (GDALReadBlock(band, (int)i, (int)j, p->scratch[k]) != CE_None)
                    return CE_Failure;
                const int64_t c0 = a > i * bx ? a : i * bx,
                              c1 = b < (i + 1) * bx ? b : (i + 1) * bx;
                for (int64_t q = r; q < r1; ++q)
                    GDALCopyWords64(p->scratch[k] + ((q - top) * bx + c0 - i * bx) * nsize, p->type,
                                    nsize, dst + ((q - y0) * stride + c0 - a) * size, type, size,
                                    (GPtrDiff_t)(c1 - c0));
            }
        r = r1;
    }
    return CE_None;
}

cp_status cp_band_read(const cp_band_pool *p, GDALRasterBandH band, const char *path, int64_t x0,
                       int64_t y0, int64_t w, int64_t h, void *buf, GDALDataType type,
                       ptrdiff_t stride) {
    if (w <= 0 || h <= 0) return CP_OK;
    const int size = GDALGetDataTypeSizeBytes(type);
    if (!p || p->n < 1) {
        CPLErrorReset();
        if (GDALRasterIOEx(band, GF_Read, (int)x0, (int)y0, (int)w, (int)h, buf, (int)w, (int)h,
                           type, size, (GSpacing)stride * size, NULL) != CE_None)
            return cp_fail_gdal(CP_E_IO, "cannot read <%s> (rows %lld-%lld)", path, (long long)y0,
                                (long long)(y0 + h - 1));
        return CP_OK;
    }
    const int n = p->n;
    const int64_t c0 = x0 / p->bx, ncols = (x0 + w - 1) / p->bx - c0 + 1;
    char why[n][512]; /* each slice's GDAL message, empty when it read */
#pragma omp parallel for schedule(static, 1) num_threads(n)
    for (int k = 0; k < n; ++k) { /* slice k: its share of the window's block columns */
        int64_t a = (c0 + k * ncols / n) * p->bx, b = (c0 + (k + 1) * ncols / n) * p->bx;
        if (a < x0) a = x0;
        if (b > x0 + w) b = x0 + w;
        why[k][0] = '\0';
        if (b <= a) continue;
        cp_gdal_quiet_begin(); /* GDAL's error handlers are per thread */
        CPLErrorReset();
        if (read_slice(p, k, a, b, y0, h, (char *)buf + (a - x0) * size, type, stride) != CE_None)
            snprintf(why[k], sizeof why[k], "%s",
                     CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "read failed");
        cp_gdal_quiet_end();
    }
    for (int k = 0; k < n; ++k)
        if (why[k][0])
            return cp_fail(CP_E_IO, "cannot read <%s> (rows %lld-%lld): %s", path, (long long)y0,
                           (long long)(y0 + h - 1), why[k]);
    return CP_OK;
}

cp_status cp_band_src_open(cp_band_src *b, GDALRasterBandH band, const char *path, int threads) {
    memset(b, 0, sizeof *b);
    b->band = band;
    b->path = path;
    b->fd = -1;
    GDALDatasetH ds = GDALGetBandDataset(band);
    GDALDriverH drv = ds ? GDALGetDatasetDriver(ds) : NULL;
    const char *comp = GDALGetMetadataItem(band, "COMPRESSION", "IMAGE_STRUCTURE");
    if (!comp && ds) comp = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    if (!drv || strcmp(GDALGetDriverShortName(drv), "GTiff") || GDALGetRasterCount(ds) != 1 ||
        GDALGetRasterDataType(band) != GDT_Float32 || (comp && !EQUAL(comp, "NONE")) ||
        !strncmp(path, "/vsi", 4) || bx < 1 || by < 1 || !CPL_IS_LSB)
        return cp_band_pool_open(&b->pool, band, path, threads); /* GDAL reads it */
    int64_t nx = GDALGetRasterBandXSize(band), ny = GDALGetRasterBandYSize(band);
    int64_t nbx = (nx + bx - 1) / bx, nby = (ny + by - 1) / by;
    uint64_t *off = malloc(sizeof *off * (size_t)(nbx * nby));
    if (!off) return cp_fail(CP_E_NOMEM, "out of memory");
    char key[64];
    for (int64_t j = 0; j < nby; ++j)
        for (int64_t i = 0; i < nbx; ++i) {
            snprintf(key, sizeof key, "BLOCK_OFFSET_%lld_%lld", (long long)i, (long long)j);
            const char *o = GDALGetMetadataItem(band, key, "TIFF");
            snprintf(key, sizeof key, "BLOCK_SIZE_%lld_%lld", (long long)i, (long long)j);
            const char *n = GDALGetMetadataItem(band, key, "TIFF");
            int64_t at = o ? (int64_t)CPLAtoGIntBig(o) : 0,
                    size = n ? (int64_t)CPLAtoGIntBig(n) : 0;
            int64_t rows = ny - j * by < by ? ny - j * by : by;
            /* a sparse or short block: GDAL fills it, so GDAL reads the file */
            if (at <= 0 || size < (rows - 1) * bx * 4 + (nx - i * bx < bx ? nx - i * bx : bx) * 4) {
                free(off);
                return cp_band_pool_open(&b->pool, band, path, threads);
            }
            off[j * nbx + i] = (uint64_t)at;
        }
    unsigned char magic[2] = {0, 0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || pread(fd, magic, 2, 0) != 2 || magic[0] != 'I' || magic[1] != 'I') {
        if (fd >= 0) close(fd);
        free(off);
        return cp_band_pool_open(&b->pool, band, path, threads); /* big-endian, unreadable */
    }
    b->direct = 1, b->fd = fd, b->threads = threads, b->offsets = off;
    b->nx = nx, b->ny = ny, b->bx = bx, b->by = by, b->nbx = nbx;
    return CP_OK;
}

void cp_band_src_close(cp_band_src *b) {
    if (!b) return;
    if (b->fd >= 0 && b->direct) close(b->fd);
    cp_band_pool_close(&b->pool);
    free(b->offsets);
    b->offsets = NULL;
    b->direct = 0;
    b->fd = -1;
}

/* Rows r0..r1 of block (i, j) into buf (rows from row0, nx floats a row): one preadv whose
 * iovecs put each block row's cells in place and its padding (edge blocks) in `pad`. */
static int read_block_rows(const cp_band_src *b, int64_t i, int64_t j, int64_t r0, int64_t r1,
                           int64_t row0, float *buf, float *pad) {
    const int64_t w = b->nx - i * b->bx < b->bx ? b->nx - i * b->bx : b->bx;
    struct iovec iov[1024];
    int64_t r = r0;
    off_t at = (off_t)(b->offsets[j * b->nbx + i] + (uint64_t)((r0 - j * b->by) * b->bx) * 4);
    while (r < r1) {
        int n = 0;
        int64_t first = r;
        for (; r < r1 && n + 2 <= 1024; ++r) {
            iov[n].iov_base = buf + (r - row0) * b->nx + i * b->bx;
            iov[n++].iov_len = (size_t)w * 4;
            if (w < b->bx) iov[n].iov_base = pad, iov[n++].iov_len = (size_t)(b->bx - w) * 4;
        }
        size_t want = (size_t)(r - first) * (size_t)b->bx * 4;
        ssize_t got = preadv(b->fd, iov, n, at);
        if (got < 0 || (size_t)got != want) return -1; /* a short read: the file changed */
        at += (off_t)want;
    }
    return 0;
}

cp_status cp_band_rows(void *band_src, int64_t row0, int64_t nrows, float *buf) {
    const cp_band_src *b = band_src;
    if (nrows <= 0) return CP_OK;
    if (!b->direct) {
        const int64_t nx = GDALGetRasterBandXSize(b->band);
        return cp_band_read(&b->pool, b->band, b->path, 0, row0, nx, nrows, buf, GDT_Float32, nx);
    }
    const int64_t j0 = row0 / b->by, j1 = (row0 + nrows - 1) / b->by;
    const int64_t nblocks = (j1 - j0 + 1) * b->nbx;
    int bad = 0;
#pragma omp parallel num_threads(cpk_threads(b->threads)) reduction(| : bad)
    {
        float *pad = malloc(sizeof(float) * (size_t)b->bx);
        bad |= !pad;
#pragma omp for schedule(dynamic, 1)
        for (int64_t k = 0; k < nblocks; ++k) {
            int64_t j = j0 + k / b->nbx, i = k % b->nbx;
            int64_t r0 = j * b->by > row0 ? j * b->by : row0;
            int64_t r1 = (j + 1) * b->by < row0 + nrows ? (j + 1) * b->by : row0 + nrows;
            if (pad && r1 > r0) bad |= read_block_rows(b, i, j, r0, r1, row0, buf, pad) != 0;
        }
        free(pad);
    }
    if (bad)
        return cp_fail(CP_E_IO, "cannot read rows %lld-%lld of <%s>: %s", (long long)row0,
                       (long long)(row0 + nrows - 1), b->path,
                       errno ? strerror(errno) : "short read");
    return CP_OK;
}

cp_status cp_window_init(cp_window *w, int64_t nx, int64_t cap_rows) {
    memset(w, 0, sizeof *w);
    if (nx < 1 || cap_rows < 1 || (uint64_t)nx > SIZE_MAX / sizeof(float) / (uint64_t)cap_rows)
        return cp_fail(CP_E_NOMEM, "a window of %lld x %lld cells is too large", (long long)nx,
                       (long long)cap_rows);
    w->buf = cp_rio_alloc(sizeof(float) * (size_t)nx * (size_t)cap_rows);
    if (!w->buf)
        return cp_fail(CP_E_NOMEM, "out of memory for a window of %lld x %lld cells", (long long)nx,
                       (long long)cap_rows);
    w->nx = nx;
    w->cap_rows = cap_rows;
    return CP_OK;
}

cp_status cp_window_load(cp_window *w, cp_row_reader read, void *src, int64_t v0, int64_t v1) {
    if (v1 - v0 > w->cap_rows || v1 < v0) return cp_fail(CP_E_INTERNAL, "window overflow");
    int64_t keep0 = v0 > w->v0 ? v0 : w->v0, keep1 = v1 < w->v1 ? v1 : w->v1;
    int64_t first_new = v0;
    if (keep0 == v0 && keep1 > keep0) { /* the top of the new window is already held */
        memmove(w->buf, w->buf + (keep0 - w->v0) * w->nx,
                sizeof(float) * (size_t)((keep1 - keep0) * w->nx));
        first_new = keep1;
    }
    cp_status s = v1 > first_new
                      ? read(src, first_new, v1 - first_new, w->buf + (first_new - v0) * w->nx)
                      : CP_OK;
    if (s != CP_OK) {
        w->v0 = w->v1 = 0;
        return s;
    }
    w->v0 = v0;
    w->v1 = v1;
    return CP_OK;
}

void cp_window_free(cp_window *w) {
    if (!w) return;
    free(w->buf);
    memset(w, 0, sizeof *w);
}

cpk_view_f32 cp_window_view(const cp_window *w, int has_nodata, float nodata) {
    cpk_view_f32 v = {w->buf, w->nx, w->v1 - w->v0, (ptrdiff_t)w->nx, nodata, has_nodata};
    return v;
}
