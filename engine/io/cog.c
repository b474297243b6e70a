/* Raster outputs: tiled GeoTIFF strips -> Cloud-Optimized GeoTIFF; thumbnails; checksums. */
#define _GNU_SOURCE /* O_DIRECT; O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/statvfs.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_utils.h>
#include <openssl/evp.h>

#include "error.h"
#include "cog.h"
#include "cogtiff.h"
#include "dwrite.h"
#include "worker.h"
#include "raster.h"
#include "cpk/pyramid.h"

/* A GeoTIFF of one band, nx x ny, with creation options co (destroyed here), georeferenced on
 * g when g is not NULL. */
static cp_status create_tif(const char *path, int64_t nx, int64_t ny, const cp_grid *g,
                            GDALDataType type, char **co, GDALDatasetH *out) {
    *out = NULL;
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) {
        CSLDestroy(co);
        return cp_fail(CP_E_INTERNAL, "GDAL has no GTiff driver");
    }
    CPLErrorReset();
    GDALDatasetH ds = GDALCreate(drv, path, (int)nx, (int)ny, 1, type, co);
    CSLDestroy(co);
    if (!ds) return cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
    if (g) {
        double gt[6] = {g->geo.x0, g->geo.dx, 0, g->geo.y0, 0, -g->geo.dy};
        GDALSetGeoTransform(ds, gt);
        GDALSetProjection(ds, g->wkt);
    }
    *out = ds;
    return CP_OK;
}

static cp_status create_on_grid(const char *path, const cp_grid *g, GDALDataType type, char **co,
                                GDALDatasetH *out) {
    return create_tif(path, g->geo.nx, g->geo.ny, g, type, co, out);
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

/* A file of strips nx x ny (on g when not NULL), laid out and reserved (cp_strip_file_create). */
static cp_status create_strips(const char *path, int64_t nx, int64_t ny, const cp_grid *g,
                               GDALDataType type, double nodata, int64_t *data_offset) {
    *data_offset = -1;
    if (!CPL_IS_LSB || !strncmp(path, "/vsi", 4))
        return cp_fail(CP_E_INTERNAL, "<%s>: strips are written only to local little-endian files",
                       path);
    GDALDatasetH ds = NULL;
    cp_status s =
        create_tif(path, nx, ny, g, type, CSLSetNameValue(NULL, "BIGTIFF", "IF_SAFER"), &ds);
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
    s = cp_rio_reserve(fd, path, *data_offset, ny * nx * GDALGetDataTypeSizeBytes(type));
    close(fd);
    return s;
}

cp_status cp_strip_file_create(const char *path, const cp_grid *g, GDALDataType type, double nodata,
                               int64_t *data_offset) {
    return create_strips(path, g->geo.nx, g->geo.ny, g, type, nodata, data_offset);
}

cp_status cp_strip_file_open(cp_strip_file *f, const char *path, const cp_grid *g,
                             GDALDataType type, int64_t data_offset) {
    f->fd = open(path, O_WRONLY | O_CLOEXEC); /* never created here: it must be the one laid out */
    if (f->fd < 0) return cp_fail(CP_E_IO, "cannot open <%s>: %s", path, strerror(errno));
    f->path = path;
    f->level = NULL;
    f->ny = g->geo.ny;
    f->data_offset = data_offset;
    f->row_bytes = (size_t)g->geo.nx * (size_t)GDALGetDataTypeSizeBytes(type);
    return CP_OK;
}

cp_status cp_strip_file_write(cp_strip_file *f, int64_t row0, int64_t nrows, const void *buf) {
    if (row0 < 0 || nrows < 0 || row0 + nrows > f->ny)
        return cp_fail(CP_E_INTERNAL, "rows out of the grid");
    cp_status s = cp_rio_pwrite_rows(f->fd, f->path, f->data_offset, f->row_bytes, row0, nrows, buf,
                                     f->row_bytes, 0);
    return s ? s : cp_strip_file_write_level(f, row0, nrows, buf);
}

static cp_status level_close(cp_strip_file *f);

cp_status cp_strip_file_close(cp_strip_file *f) {
    if (!f || !f->path || f->fd < 0) return CP_OK;
    int bad = close(f->fd) != 0;
    f->fd = -1;
    cp_status s = level_close(f);
    return bad ? cp_fail(CP_E_IO, "cannot write <%s>: %s", f->path, strerror(errno)) : s;
}

/* Opens a raw map or level for reading, with O_DIRECT when `direct` (its cells were written so,
 * and are not in the page cache) and the file system takes it. */
static int open_read(const char *path, int direct) {
    int fd = direct ? open(path, O_RDONLY | O_CLOEXEC | O_DIRECT) : -1;
    return fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
}

/* The maps' writer thread (cog.h). */
enum { MAX_STRIP_FILES = 2 + 64 };
struct cp_strips_writer {
    cp_worker w;
    cp_strip_file *files;
    size_t n;
    cp_dwriter *dw[MAX_STRIP_FILES];   /* each file's O_DIRECT writer; NULL: pwrite */
    const void *bufs[MAX_STRIP_FILES]; /* the strip given */
    int64_t row0, nrows;
    char msg[1024]; /* the first failure's message, made on the writer's thread */
};

/* Writes the strip given to every file: the O_DIRECT ones queued first, so that the disk takes
 * them while the others are copied and the levels made, then waited for. The failure's status
 * (its message kept for the caller's thread), or 0. */
static int strips_write(cp_worker *arg) {
    cp_strips_writer *w = (cp_strips_writer *)arg;
    cp_status s = CP_OK;
    for (size_t i = 0; i < w->n && !s; ++i) {
        const cp_strip_file *f = &w->files[i];
        size_t len = f->row_bytes * (size_t)w->nrows;
        int64_t at = f->data_offset + w->row0 * (int64_t)f->row_bytes;
        if (w->dw[i]) s = cp_dwriter_submit(w->dw[i], at, w->bufs[i], len);
    }
    for (size_t i = 0; i < w->n && !s; ++i) /* the direct ones' level while the disk works */
        s = w->dw[i] ? cp_strip_file_write_level(&w->files[i], w->row0, w->nrows, w->bufs[i])
                     : cp_strip_file_write(&w->files[i], w->row0, w->nrows, w->bufs[i]);
    for (size_t i = 0; i < w->n; ++i)
        if (w->dw[i]) cp_dwriter_wait(w->dw[i], w->bufs[i]);
    if (s) snprintf(w->msg, sizeof w->msg, "%s", cp_errmsg());
    return (int)s;
}

cp_strips_writer *cp_strips_writer_start(cp_strip_file *files, size_t n, int direct) {
    if (n == 0 || n > MAX_STRIP_FILES) return NULL;
    cp_strips_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->files = files, w->n = n;
    for (size_t i = 0; direct && i < n; ++i)
        if (cp_dwriter_open(files[i].path, &w->dw[i])) w->dw[i] = NULL; /* then pwrite */
    if (cp_worker_start(&w->w, strips_write)) {
        for (size_t i = 0; i < n; ++i) cp_dwriter_free(w->dw[i]);
        free(w);
        return NULL;
    }
    return w;
}

/* The failure the writer met, raised again on the caller's thread. */
static cp_status strips_writer_status(const cp_strips_writer *w, int err) {
    return err ? cp_fail((cp_status)err, "%s", w->msg) : CP_OK;
}

cp_status cp_strips_writer_give(cp_strips_writer *w, int64_t row0, int64_t nrows,
                                const void *const *bufs) {
    for (size_t i = 0; i < w->n; ++i)
        if (row0 < 0 || nrows < 0 || row0 + nrows > w->files[i].ny)
            return cp_fail(CP_E_INTERNAL, "rows out of the grid");
    cp_status s = strips_writer_status(w, cp_worker_wait(&w->w));
    if (s) return s;
    memcpy(w->bufs, bufs, w->n * sizeof *bufs);
    w->row0 = row0, w->nrows = nrows;
    cp_worker_give(&w->w);
    return CP_OK;
}

cp_status cp_strips_writer_end(cp_strips_writer *w) {
    if (!w) return CP_OK;
    cp_status s = strips_writer_status(w, cp_worker_stop(&w->w));
    for (size_t i = 0; i < w->n; ++i) { /* the last partial pages; the first error kept */
        if (!w->dw[i]) continue;
        cp_status d = s ? (cp_dwriter_free(w->dw[i]), CP_OK) : cp_dwriter_finish(w->dw[i]);
        if (!s) s = d;
    }
    free(w);
    return s;
}

enum { MAX_LEVELS = 31 }; /* overview levels: a level halves its rows and columns */

/* The file of overview level k (1 = half resolution) of the raw map at `path`. */
static void level_path(char *buf, size_t len, const char *path, int k) {
    snprintf(buf, len, "%s.o%d", path, k);
}

/* A raw map, its GDAL side file and its overview levels (build_overviews). */
static void remove_files(const char *path) {
    size_t len = strlen(path) + 16;
    char *other = malloc(len);
    VSIUnlink(path);
    if (!other) return;
    snprintf(other, len, "%s.aux.xml", path);
    VSIUnlink(other);
    for (int k = 1; k <= MAX_LEVELS; ++k) {
        level_path(other, len, path, k);
        if (VSIUnlink(other) != 0) break;
    }
    free(other);
}

/* Rows r0 .. r0 + n of the level below rows of ny_from rows of nx cells (`from`, which starts at
 * row 2 r0), into `to`, over nt threads: each the mean of a pair of rows' 2 x 2 cells (the
 * second row missing only in a map of one row), or a Byte map's upper-left cell (cpk/pyramid.h). */
static void halve(const void *from, size_t from_row_bytes, int64_t nx, int64_t ny_from, int64_t r0,
                  int64_t n, int is_byte, int has_nodata, float nodata, unsigned char *to,
                  size_t to_row_bytes, int nt) {
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt)
    for (int64_t i = 0; i < n; ++i) {
        const unsigned char *a = (const unsigned char *)from + (size_t)(2 * i) * from_row_bytes;
        const unsigned char *b = 2 * (r0 + i) + 1 < ny_from ? a + from_row_bytes : NULL;
        unsigned char *o = to + (size_t)i * to_row_bytes;
        if (is_byte)
            cpk_pyramid_first_u8(a, nx, o);
        else
            cpk_pyramid_mean_f32((const float *)a, (const float *)b, nx, has_nodata, nodata,
                                 (float *)o);
    }
}

/* A map's first overview level, made as its rows are written (cog.h). */
struct cp_strip_level {
    int fd;
    char *path;
    int64_t nx0;      /* the map's columns */
    int64_t nx, ny;   /* the level's */
    int64_t offset;   /* of its row 0 */
    size_t row_bytes; /* nx cells */
    int is_byte;
    float nodata;
    unsigned char *buf; /* rows made from one strip */
    size_t cap;
};

cp_status cp_strip_level_create(const char *raw_path, const cp_grid *g, GDALDataType type,
                                double nodata, int64_t *data_offset) {
    size_t len = strlen(raw_path) + 16;
    char *path = malloc(len);
    if (!path) return cp_fail(CP_E_NOMEM, "out of memory");
    level_path(path, len, raw_path, 1);
    cp_status s = create_strips(path, cpk_pyramid_size(g->geo.nx), cpk_pyramid_size(g->geo.ny),
                                NULL, type, nodata, data_offset);
    free(path);
    return s;
}

cp_status cp_strip_file_open_level(cp_strip_file *f, GDALDataType type, double nodata,
                                   int64_t data_offset) {
    struct cp_strip_level *l = calloc(1, sizeof *l);
    size_t len = strlen(f->path) + 16;
    if (!l || !(l->path = malloc(len))) {
        free(l);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    level_path(l->path, len, f->path, 1);
    const size_t cell = type == GDT_Byte ? 1 : 4;
    l->is_byte = type == GDT_Byte;
    l->nodata = (float)nodata;
    l->nx0 = (int64_t)(f->row_bytes / cell);
    l->nx = cpk_pyramid_size(l->nx0), l->ny = cpk_pyramid_size(f->ny);
    l->row_bytes = (size_t)l->nx * cell;
    l->offset = data_offset;
    if ((l->fd = open(l->path, O_WRONLY | O_CLOEXEC)) < 0) { /* the one laid out */
        cp_status s = cp_fail(CP_E_IO, "cannot open <%s>: %s", l->path, strerror(errno));
        free(l->path), free(l);
        return s;
    }
    f->level = l;
    return CP_OK;
}

cp_status cp_strip_file_write_level(cp_strip_file *f, int64_t row0, int64_t nrows,
                                    const void *buf) {
    struct cp_strip_level *l = f->level;
    if (!l || nrows <= 0) return CP_OK;
    const int64_t end = row0 + nrows;
    if (row0 % 2 || (end % 2 && end != f->ny))
        return cp_fail(CP_E_INTERNAL, "<%s>: a strip of rows %lld .. %lld splits a pair of rows",
                       f->path, (long long)row0, (long long)end);
    /* level row r: the map's rows 2r and 2r + 1 (a map of one row: that row) */
    int64_t r0 = row0 / 2, r1 = f->ny == 1 ? 1 : end / 2;
    if (r1 > l->ny) r1 = l->ny;
    if (r1 <= r0) return CP_OK;
    size_t need = (size_t)(r1 - r0) * l->row_bytes;
    if (need > l->cap) {
        unsigned char *b = realloc(l->buf, need);
        if (!b) return cp_fail(CP_E_NOMEM, "out of memory for the overviews of <%s>", f->path);
        l->buf = b, l->cap = need;
    }
    halve(buf, f->row_bytes, l->nx0, f->ny, r0, r1 - r0, l->is_byte, 1, l->nodata, l->buf,
          l->row_bytes, 1); /* row0 = 2 r0: buf starts at the first pair */
    return cp_rio_pwrite_rows(l->fd, l->path, l->offset, l->row_bytes, r0, r1 - r0, l->buf,
                              l->row_bytes, 0);
}

static cp_status level_close(cp_strip_file *f) {
    struct cp_strip_level *l = f->level;
    if (!l) return CP_OK;
    cp_status s = CP_OK;
    if (l->fd >= 0 && close(l->fd) != 0)
        s = cp_fail(CP_E_IO, "cannot write <%s>: %s", l->path, strerror(errno));
    free(l->buf), free(l->path), free(l);
    f->level = NULL;
    return s;
}

typedef struct {
    int64_t nx, ny;   /* cells of the level */
    int64_t offset;   /* of row 0 in its file of strips */
    int fd;           /* -1: not open */
    size_t row_bytes; /* nx cells */
    char *path;
    unsigned char *buf; /* its rows of the chunk */
} level;

/* Rows r0 .. r0 + n of level `to` from the chunk's rows of level `from` (which start at row
 * 2 * r0), over the threads. */
static void halve_rows(const level *from, level *to, int64_t r0, int64_t n, int is_byte,
                       int has_nodata, float nodata, int nt) {
    halve(from->buf, from->row_bytes, from->nx, from->ny, r0, n, is_byte, has_nodata, nodata,
          to->buf, to->row_bytes, nt);
}

/* Where row 0 of a level's file of strips (nx x ny of type) starts; -1 when it is not one. */
static int64_t strips_offset(const char *path, int64_t nx, int64_t ny, GDALDataType type) {
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    if (!ds) return -1;
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int64_t off = GDALGetRasterXSize(ds) == nx && GDALGetRasterYSize(ds) == ny &&
                          GDALGetRasterDataType(b) == type
                      ? cp_rio_strips_offset(b)
                      : -1;
    GDALClose(ds);
    return off;
}

/* What build_overviews works with: the raw map (level 0) and its levels 1 .. L. */
typedef struct {
    const char *raw_path;
    GDALDataType type;
    int is_byte, has_nodata;
    double nodata;
    int L;       /* levels below the raw map */
    int64_t B;   /* rows of the raw map per chunk: a multiple of 2^L (whole 2 x 2 blocks at
                    every level) of about CHUNK_BYTES */
    int threads; /* at least 1 */
    int direct;  /* the raw map read with O_DIRECT */
    int k0;      /* the level the others are made from: 0, or 1 when it was made with the map */
    level lv[MAX_LEVELS + 1];
} pyramid;

/* Bytes of the raw map read per chunk, at least: on a narrow map, 2^L rows are a few kB, and a
 * chunk's reads and levels (a parallel region each) would cost more in the threads' start and
 * wait than in their work (the demo's 3,000 x 3,000 maps: 375 chunks of 8 rows). */
enum { CHUNK_BYTES = 8 << 20 };

/* The levels the COG driver would make: halving (cpk_pyramid_size) until both sides are at
 * most 512 cells, its default block size. */
static void pyramid_plan(pyramid *p, int64_t nx, int64_t ny) {
    p->lv[0].nx = nx, p->lv[0].ny = ny, p->lv[0].fd = -1;
    for (p->L = 0; (p->lv[p->L].nx > 512 || p->lv[p->L].ny > 512) && p->L < MAX_LEVELS; ++p->L) {
        level *next = &p->lv[p->L + 1];
        next->nx = cpk_pyramid_size(p->lv[p->L].nx);
        next->ny = cpk_pyramid_size(p->lv[p->L].ny);
        next->fd = -1;
    }
    const int64_t block = (int64_t)1 << p->L, bytes = block * nx * (p->is_byte ? 1 : 4);
    const int64_t blocks = (ny + block - 1) / block; /* the whole map's */
    int64_t k = bytes < CHUNK_BYTES ? CHUNK_BYTES / bytes : 1;
    p->B = block * (k < blocks ? k : blocks);
}

/* Opens the raw map for reading and creates each level's file of strips (room reserved),
 * with a chunk's rows of buffer for every level. */
static cp_status pyramid_open(pyramid *p, int64_t raw_offset) {
    const size_t cell = p->is_byte ? 1 : 4, plen = strlen(p->raw_path) + 16;
    p->lv[0].offset = raw_offset;
    if (p->k0 == 0 && (p->lv[0].fd = open_read(p->raw_path, p->direct)) < 0)
        return cp_fail(CP_E_IO, "cannot open <%s>: %s", p->raw_path, strerror(errno));
    for (int k = 0; k <= p->L; ++k) {
        level *l = &p->lv[k];
        l->row_bytes = (size_t)l->nx * cell;
        if ((k >= p->k0 && !(l->buf = malloc((size_t)(p->B >> k) * l->row_bytes))) ||
            (k && !(l->path = malloc(plen))))
            return cp_fail(CP_E_NOMEM, "out of memory for the overviews of <%s>", p->raw_path);
        if (!k) continue;
        level_path(l->path, plen, p->raw_path, k);
        if (k == p->k0) { /* made with the map: read from it */
            if ((l->offset = strips_offset(l->path, l->nx, l->ny, p->type)) < 0)
                return cp_fail(CP_E_INTERNAL, "<%s>: not the map's first overview", l->path);
            if ((l->fd = open(l->path, O_RDONLY | O_CLOEXEC)) < 0)
                return cp_fail(CP_E_IO, "cannot open <%s>: %s", l->path, strerror(errno));
            continue;
        }
        cp_status s = create_strips(l->path, l->nx, l->ny, NULL, p->type, p->nodata, &l->offset);
        if (s) return s;
        if ((l->fd = open(l->path, O_WRONLY | O_CLOEXEC)) < 0)
            return cp_fail(CP_E_IO, "cannot open <%s>: %s", l->path, strerror(errno));
    }
    return CP_OK;
}

/* Every level's rows, a chunk of the raw map at a time: read over the threads, each level
 * made from the one above over the threads, written to its file. */
static cp_status pyramid_fill(pyramid *p) {
    level *lv = p->lv;
    const int k0 = p->k0;
    const int64_t B = p->B >> k0; /* rows of level k0 a chunk, a multiple of 2^(L - k0) */
    /* rows of level k0 that the levels use: all but a last odd one */
    const int64_t used = 2 * lv[k0 + 1].ny < lv[k0].ny ? 2 * lv[k0 + 1].ny : lv[k0].ny;
    for (int64_t y = 0; y < used; y += B) {
        cp_status s = cp_cog_read_rows(lv[k0].fd, k0 ? lv[k0].path : p->raw_path, lv[k0].offset,
                                       lv[k0].row_bytes, y, y + B < used ? B : used - y, lv[k0].buf,
                                       p->threads);
        for (int k = k0 + 1; k <= p->L && !s; ++k) {
            int64_t r0 = y >> (k - k0),
                    n = (B >> (k - k0)) < lv[k].ny - r0 ? (B >> (k - k0)) : lv[k].ny - r0;
            if (n <= 0) break;
            halve_rows(&lv[k - 1], &lv[k], r0, n, p->is_byte, p->has_nodata, (float)p->nodata,
                       p->threads);
            s = cp_rio_pwrite_rows(lv[k].fd, lv[k].path, lv[k].offset, lv[k].row_bytes, r0, n,
                                   lv[k].buf, lv[k].row_bytes, 0);
        }
        if (s) return s;
    }
    return CP_OK;
}

/* Closes the files and frees the buffers; s is kept, or set by a level's failed close. */
static cp_status pyramid_close(pyramid *p, cp_status s) {
    for (int k = 0; k <= p->L; ++k) {
        level *l = &p->lv[k];
        if (l->fd >= 0 && close(l->fd) != 0 && !s)
            s = cp_fail(CP_E_IO, "cannot write <%s>: %s", k ? l->path : p->raw_path,
                        strerror(errno));
        l->fd = -1;
        free(l->buf);
        l->buf = NULL;
    }
    return s;
}

/* The raw map and its levels, opened for reading, as cp_cog_write takes them. */
static cp_status pyramid_levels(pyramid *p, cp_cog_level *out) {
    for (int k = 0; k <= p->L; ++k) {
        level *l = &p->lv[k];
        const char *path = k ? l->path : p->raw_path;
        out[k] = (cp_cog_level){open_read(path, !k && p->direct), path, l->offset, l->nx, l->ny};
        if (out[k].fd < 0) {
            while (k-- > 0) close(out[k].fd);
            return cp_fail(CP_E_IO, "cannot open <%s>: %s", path, strerror(errno));
        }
    }
    return CP_OK;
}

/* Whether the file system of `path` is (nearly) out of room: what a failed write of a COG
 * says (GDAL's message is libtiff's, "Error fetching directory count" and the like). */
static int disk_full(const char *path) {
    struct statvfs st;
    char *dir = CPLStrdup(CPLGetPath(path));
    int full = statvfs(*dir ? dir : ".", &st) == 0 &&
               (double)st.f_bavail * (double)st.f_frsize < 16.0 * 1024 * 1024;
    CPLFree(dir);
    return full;
}

/* The COG of `raw`, a file of strips at raw_path, written here (cogtiff.h): its overview
 * levels as the COG driver would make them (the same levels; each cell GDAL's AVERAGE or
 * NEAREST of a 2 x 2 block, cpk/pyramid.h), over the threads and in one read of the raw file,
 * each to a file of strips beside it (`<raw_path>.o<k>`, removed with it, remove_files), then
 * every level's tiles. *done is 0 (no error) for a raw file that is not a file of strips of
 * Byte or Float32: GDAL's COG driver writes it then. */
static cp_status write_strips_cog(GDALDatasetH raw, const char *raw_path, const char *path,
                                  int threads, unsigned flags, cp_progress_fn progress,
                                  void *progress_arg, int *done) {
    *done = 0;
    GDALRasterBandH band = GDALGetRasterBand(raw, 1);
    const int64_t offset = cp_rio_strips_offset(band);
    pyramid p = {.raw_path = raw_path,
                 .type = GDALGetRasterDataType(band),
                 .threads = threads > 0 ? threads : 1,
                 .direct = (flags & CP_COG_RAW_DIRECT) != 0};
    p.is_byte = p.type == GDT_Byte;
    if ((!p.is_byte && p.type != GDT_Float32) || offset < 0) return CP_OK;
    *done = 1;
    p.nodata = GDALGetRasterNoDataValue(band, &p.has_nodata);
    pyramid_plan(&p, GDALGetRasterXSize(raw), GDALGetRasterYSize(raw));
    p.k0 = (flags & CP_COG_LEVEL1) && p.L > 0 ? 1 : 0;
    cp_status s = pyramid_open(&p, offset);
    if (!s && p.L > p.k0) s = pyramid_fill(&p);
    s = pyramid_close(&p, s);
    cp_cog_level lv[MAX_LEVELS + 1];
    if (!s) s = pyramid_levels(&p, lv);
    if (!s) {
        s = cp_cog_write(path, lv, p.L + 1, raw, cp_cog_bigtiff(lv, p.L + 1, p.is_byte ? 1 : 4),
                         p.threads, progress, progress_arg);
        for (int k = 0; k <= p.L; ++k) close(lv[k].fd);
        if (s == CP_E_IO && disk_full(path))
            s = cp_fail(CP_E_IO, "cannot write <%s>: the disk is full", path);
    }
    for (int k = 1; k <= p.L; ++k) free(p.lv[k].path);
    return s;
}

/* The COG of `raw` by GDAL's COG driver (raw maps that GDAL wrote tiled: big-endian hosts). */
static cp_status gdal_cog(GDALDatasetH raw, const char *path, const char *resampling, int threads,
                          cp_progress_fn progress, void *progress_arg) {
    cp_status s = CP_OK;
    const int is_byte = GDALGetRasterDataType(GDALGetRasterBand(raw, 1)) == GDT_Byte;
    char nthreads[16];
    snprintf(nthreads, sizeof nthreads, "%d", threads > 0 ? threads : 1);
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
    /* A write that fails (the disk full) is reported only to the error handler: the driver
     * still returns the dataset, and a COG cut short would be published. */
    cp_gdal_watch w;
    cp_gdal_watch_begin(&w);
    GDALDatasetH cog = GDALTranslate(path, raw, to, &usage);
    if (cog) GDALClose(cog);
    int failed = cp_gdal_watch_end(&w) || !cog;
    char head[PATH_MAX + 64];
    snprintf(head, sizeof head, "cannot write <%s>%s", path,
             disk_full(path) ? ": the disk is full" : "");
    if (failed) s = cp_fail_join(CP_E_IO, head, w.first[0] ? w.first : CPLGetLastErrorMsg());
    GDALTranslateOptionsFree(to);
    return s;
}

cp_status cp_cog_finish(GDALDatasetH raw, const char *raw_path, const char *path,
                        const char *resampling, const double *stats, int threads, unsigned flags,
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
    int done = 0;
    s = write_strips_cog(raw, raw_path, path, threads, flags, progress, progress_arg, &done);
    if (!s && !done) {
        s = gdal_cog(raw, path, resampling, threads, progress, progress_arg);
        if (s) VSIUnlink(path);
    }
    GDALClose(raw);
    if (removal)
        *removal = cp_removal_start(raw_path);
    else
        remove_files(raw_path);
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

int cp_file_sha256(const char *path, char hex[65], uint64_t *size) {
    enum { LEN = 1 << 20 };
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *buf = malloc(LEN), sum[EVP_MAX_MD_SIZE];
    unsigned int sum_len = 0;
    uint64_t n = 0;
    int ok = f && md && buf && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t got; ok && (got = fread(buf, 1, LEN, f)) > 0; n += got)
        ok = EVP_DigestUpdate(md, buf, got);
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(md, sum, &sum_len) && sum_len == 32;
    for (unsigned int i = 0; ok && i < 32; ++i) snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    if (ok && size) *size = n;
    free(buf);
    EVP_MD_CTX_free(md);
    if (f) fclose(f);
    return ok;
}

struct cp_file_job {
    pthread_t thread;
    int started, remove, ok;
    char hex[65];
    uint64_t size;
    char path[];
};

static void file_job_run(cp_file_job *j) {
    if (j->remove)
        remove_files(j->path);
    else
        j->ok = cp_file_sha256(j->path, j->hex, &j->size);
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

int cp_file_job_finish(cp_file_job *j, char hex[65], uint64_t *size) {
    if (!j) return 0;
    if (j->started) pthread_join(j->thread, NULL);
    int ok = j->ok;
    if (ok && hex) memcpy(hex, j->hex, sizeof j->hex);
    if (ok && size) *size = j->size;
    free(j);
    return ok;
}
