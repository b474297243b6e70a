/* The bytes of a Cloud-Optimized GeoTIFF (cogtiff.h). GDAL's COG driver spent most of the
 * national run's map stage in its block cache and libtiff's floating-point predictor; here each
 * tile is cut from the level's rows, predicted and compressed on its own thread, a writer thread
 * writes each row of tiles while the next is compressed, and the IFDs are written last into the
 * room left for them at the start. */
#define _GNU_SOURCE /* O_DIRECT; pread, O_CLOEXEC */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <libdeflate.h>
#include <ogr_srs_api.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "error.h"
#include "cogtiff.h"
#include "raster.h"
#include "worker.h"

enum { TILE = 512, MAX_TAGS = 64, MAX_LEVELS = 32 };

/* Files opened with O_DIRECT are read in whole pages, in chunks, into a bounce buffer, and the
 * wanted bytes copied out: the page cache is not touched (no page of it allocated, nor faulted
 * in from a VM's host). */
enum { DIRECT_PAGE = 4096, DIRECT_CHUNK = 8 << 20 };

/* Chunk c of the bytes [at, end) (chunks of DIRECT_CHUNK from at's page) into buf (byte at of
 * the file at buf[0]) through bounce: 0 or an errno. */
static int read_direct_chunk(int fd, int64_t at, int64_t end, int64_t c, unsigned char *buf,
                             void *bounce) {
    const int64_t c0 = at - at % DIRECT_PAGE + c * DIRECT_CHUNK;
    const int64_t c1 = c0 + DIRECT_CHUNK < end ? c0 + DIRECT_CHUNK : end;
    int64_t want = c1 - c0, got = 0;
    want += (DIRECT_PAGE - want % DIRECT_PAGE) % DIRECT_PAGE; /* whole pages */
    while (c0 + got < c1) {
        ssize_t k = pread(fd, (char *)bounce + got, (size_t)(want - got), c0 + got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return k < 0 && errno ? errno : EIO;
        got += k;
    }
    const int64_t from = c0 > at ? c0 : at;
    memcpy(buf + (from - at), (char *)bounce + (from - c0), (size_t)(c1 - from));
    return 0;
}

static int64_t direct_chunks(int64_t at, size_t len) {
    return (at % DIRECT_PAGE + (int64_t)len + DIRECT_CHUNK - 1) / DIRECT_CHUNK;
}

/* Bytes [at, at + len) of a file into buf over nt threads: 0 or an errno (EIO: short). */
static int read_bytes(int fd, int64_t at, size_t len, unsigned char *buf, int nt) {
    const int64_t end = at + (int64_t)len;
    if (fcntl(fd, F_GETFL) & O_DIRECT) {
        const int64_t n = direct_chunks(at, len);
        int err = 0;
#pragma omp parallel num_threads(nt < n ? nt : (int)n) reduction(max : err)
        {
            int e = 0;
            void *bounce = NULL;
            if (posix_memalign(&bounce, DIRECT_PAGE, DIRECT_CHUNK) != 0) e = ENOMEM;
#pragma omp for schedule(dynamic, 1)
            for (int64_t c = 0; c < n; ++c)
                if (!e) e = read_direct_chunk(fd, at, end, c, buf, bounce);
            free(bounce);
            err = e;
        }
        return err;
    }
    const int64_t piece = 4 << 20, n = ((int64_t)len + piece - 1) / piece;
    int err = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(max : err)
    for (int64_t c = 0; c < n; ++c) {
        int64_t done = c * piece, stop = done + piece < (int64_t)len ? done + piece : (int64_t)len;
        int e = 0; /* (a reduction's private copy of err starts at INT_MIN, not 0) */
        while (!e && done < stop) {
            ssize_t got = pread(fd, buf + done, (size_t)(stop - done), at + done);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0)
                e = got < 0 && errno ? errno : EIO;
            else
                done += got;
        }
        if (e > err) err = e;
    }
    return err;
}

cp_status cp_cog_read_rows(int fd, const char *path, int64_t offset, size_t row_bytes, int64_t row0,
                           int64_t n, unsigned char *buf, int nt) {
    int err =
        n > 0 ? read_bytes(fd, offset + row0 * (int64_t)row_bytes, (size_t)n * row_bytes, buf, nt)
              : 0;
    return err ? cp_fail(CP_E_IO, "cannot read <%s>: %s", path, strerror(err)) : CP_OK;
}

/* ---- IFDs ---------------------------------------------------------------------------------- */

/* TIFF field types and their sizes (TIFF 6.0 and BigTIFF). */
enum { T_SHORT = 3, T_LONG = 4, T_LONG8 = 16 };

static size_t type_size(unsigned type) {
    static const unsigned char size[19] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8};
    return type < sizeof size ? size[type] : 0;
}

/* One tag: its values, little-endian, as they go into the file. */
typedef struct {
    uint16_t tag, type;
    uint64_t count;
    unsigned char *data; /* count * type_size(type) bytes; owned unless borrowed */
    int borrowed;
} tag_entry;

typedef struct {
    tag_entry t[MAX_TAGS];
    int n;
} tag_list;

static void tags_free(tag_list *l) {
    for (int i = 0; i < l->n; ++i)
        if (!l->t[i].borrowed) free(l->t[i].data);
    l->n = 0;
}

/* Adds (or replaces) a tag, keeping the list sorted by tag as TIFF wants. `data` is copied
 * unless `borrow`. */
static cp_status tag_put(tag_list *l, uint16_t tag, uint16_t type, uint64_t count, const void *data,
                         int borrow) {
    int i = 0;
    while (i < l->n && l->t[i].tag < tag) ++i;
    if (i < l->n && l->t[i].tag == tag) {
        if (!l->t[i].borrowed) free(l->t[i].data);
    } else {
        if (l->n == MAX_TAGS) return cp_fail(CP_E_INTERNAL, "too many TIFF tags");
        memmove(&l->t[i + 1], &l->t[i], (size_t)(l->n - i) * sizeof *l->t);
        ++l->n;
    }
    size_t len = (size_t)count * type_size(type);
    tag_entry *e = &l->t[i];
    *e = (tag_entry){tag, type, count, NULL, borrow};
    if (borrow) {
        e->data = (unsigned char *)data;
    } else if (len) {
        if (!(e->data = malloc(len))) return cp_fail(CP_E_NOMEM, "out of memory");
        memcpy(e->data, data, len);
    }
    return CP_OK;
}

static cp_status tag_short(tag_list *l, uint16_t tag, uint16_t v) {
    return tag_put(l, tag, T_SHORT, 1, &v, 0);
}

static uint64_t get_le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

static void put_le(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; ++i, v >>= 8) p[i] = (unsigned char)v;
}

/* The tags of the first IFD of a classic little-endian TIFF held in memory (`tif`, len bytes),
 * less the image's layout (size, tiles or strips, compression, predictor), which cp_cog_write
 * sets. */
static cp_status template_tags(const unsigned char *tif, size_t len, tag_list *out) {
    static const uint16_t layout[] = {254, 256, 257, 259, 273, 278, 279, 317, 322, 323, 324, 325};
    if (len < 8 || memcmp(tif, "II*\0", 4)) return cp_fail(CP_E_INTERNAL, "GDAL's tags: no TIFF");
    uint64_t at = get_le(tif + 4, 4);
    if (at + 2 > len) return cp_fail(CP_E_INTERNAL, "GDAL's tags: IFD out of the file");
    unsigned n = (unsigned)get_le(tif + at, 2);
    if (at + 2 + 12 * (uint64_t)n > len) return cp_fail(CP_E_INTERNAL, "GDAL's tags: IFD cut");
    for (unsigned i = 0; i < n; ++i) {
        const unsigned char *e = tif + at + 2 + 12 * i;
        uint16_t tag = (uint16_t)get_le(e, 2), type = (uint16_t)get_le(e + 2, 2);
        uint64_t count = get_le(e + 4, 4), bytes = count * type_size(type);
        int skip = !type_size(type);
        for (size_t k = 0; k < sizeof layout / sizeof *layout; ++k) skip |= tag == layout[k];
        if (skip) continue;
        const unsigned char *v = e + 8;
        if (bytes > 4) {
            uint64_t vo = get_le(e + 8, 4);
            if (vo > len || bytes > len - vo)
                return cp_fail(CP_E_INTERNAL, "GDAL's tags: tag %u out of the file", tag);
            v = tif + vo;
        }
        cp_status s = tag_put(out, tag, type, count, v, 0);
        if (s) return s;
    }
    return CP_OK;
}

/* The tags GDAL's GTiff driver writes for `like`'s georeferencing, metadata and band (as
 * its CreateCopy copies them), from a 1 x 1 GeoTIFF made in memory; *aux gets the side file it
 * wrote beside it (class names), NULL if none. */
static cp_status gdal_tags(GDALDatasetH like, tag_list *tags, char **aux, size_t *aux_len) {
    *aux = NULL;
    *aux_len = 0;
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) return cp_fail(CP_E_INTERNAL, "GDAL has no GTiff driver");
    GDALRasterBandH lb = GDALGetRasterBand(like, 1);
    char mem[64], mem_aux[80];
    snprintf(mem, sizeof mem, "/vsimem/cp_cog_tags_%p.tif", (void *)tags);
    snprintf(mem_aux, sizeof mem_aux, "%s.aux.xml", mem);
    char **co = CSLSetNameValue(NULL, "BIGTIFF", "NO");
    CPLErrorReset();
    GDALDatasetH ds = GDALCreate(drv, mem, 1, 1, 1, GDALGetRasterDataType(lb), co);
    CSLDestroy(co);
    if (!ds) return cp_fail_gdal(CP_E_INTERNAL, "cannot make the COG's tags");
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    double gt[6], v;
    int has = 0;
    if (GDALGetGeoTransform(like, gt) == CE_None) GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(like);
    if (srs) GDALSetSpatialRef(ds, srs);
    GDALSetMetadata(ds, GDALGetMetadata(like, NULL), NULL);
    GDALSetRasterColorInterpretation(b, GDALGetRasterColorInterpretation(lb));
    if (GDALGetRasterColorTable(lb)) GDALSetRasterColorTable(b, GDALGetRasterColorTable(lb));
    v = GDALGetRasterNoDataValue(lb, &has);
    if (has) GDALSetRasterNoDataValue(b, v);
    if ((v = GDALGetRasterOffset(lb, &has)) != 0.0 && has) GDALSetRasterOffset(b, v);
    if ((v = GDALGetRasterScale(lb, &has)) != 1.0 && has) GDALSetRasterScale(b, v);
    if (*GDALGetRasterUnitType(lb)) GDALSetRasterUnitType(b, GDALGetRasterUnitType(lb));
    if (GDALGetRasterCategoryNames(lb))
        GDALSetRasterCategoryNames(b, GDALGetRasterCategoryNames(lb));
    GDALSetMetadata(b, GDALGetMetadata(lb, NULL), NULL);
    GDALSetDescription(b, GDALGetDescription(lb));
    GDALClose(ds);
    cp_status s = CP_OK;
    if (CPLGetLastErrorType() == CE_Failure) s = cp_fail_gdal(CP_E_INTERNAL, "GDAL's tags");
    vsi_l_offset len = 0;
    unsigned char *tif = VSIGetMemFileBuffer(mem, &len, FALSE);
    if (!s) s = tif ? template_tags(tif, (size_t)len, tags) : cp_fail(CP_E_INTERNAL, "GDAL's tags");
    unsigned char *x = VSIGetMemFileBuffer(mem_aux, &len, FALSE);
    if (!s && x && len) {
        if (!(*aux = malloc((size_t)len)))
            s = cp_fail(CP_E_NOMEM, "out of memory");
        else
            memcpy(*aux, x, (size_t)len), *aux_len = (size_t)len;
    }
    VSIUnlink(mem);
    VSIUnlink(mem_aux);
    return s;
}

/* ---- Layout ---------------------------------------------------------------------------------- */

/* GDAL's structural metadata (its COG driver's, gtiffdataset_write.cpp), read by GDAL to trust
 * the layout: each tile's size in the 4 bytes before it and its last 4 bytes repeated after. */
static const char GHOST[] =
    "GDAL_STRUCTURAL_METADATA_SIZE=000140 bytes\n"
    "LAYOUT=IFDS_BEFORE_DATA\n"
    "BLOCK_ORDER=ROW_MAJOR\n"
    "BLOCK_LEADER=SIZE_AS_UINT4\n"
    "BLOCK_TRAILER=LAST_4_BYTES_REPEATED\n"
    "KNOWN_INCOMPATIBLE_EDITION=NO\n"
    " ";

/* Where libtiff, as GDAL drives it, puts a tag's values that do not fit in its entry: the
 * baseline tags' first, then GDAL's metadata and nodata, then the georeferencing; the tiles'
 * offsets and sizes after every IFD (deferred until the tiles are written). */
static int value_rank(uint16_t tag) {
    return tag == 324 || tag == 325 ? 4 : tag < 32768 ? 0 : tag == 42112 ? 1 : tag == 42113 ? 2 : 3;
}

/* Lays out the header, ghost, IFDs (each followed by its values) and the tiles' arrays from
 * offset 0, into buf when not NULL; returns their size. The arrays start at `arrays` (0:
 * where the IFDs end, which is returned then). The bytes are those of GDAL's COG driver. */
static uint64_t place(const tag_list *ifd, int nifd, int big, unsigned char *buf, uint64_t arrays) {
    const int entry = big ? 20 : 12, word = big ? 8 : 4;
    uint64_t at = big ? 16 : 8;
    if (buf) {
        memcpy(buf, "II", 2);
        put_le(buf + 2, big ? 43 : 42, 2);
        if (big) put_le(buf + 4, 8, 2), put_le(buf + 6, 0, 2);
        memcpy(buf + at, GHOST, sizeof GHOST - 1);
    }
    at += sizeof GHOST - 1;
    at += at & 1;
    if (buf) put_le(buf + (big ? 8 : 4), at, word);
    uint64_t arr = arrays;
    for (int k = 0; k < nifd; ++k) {
        const tag_list *l = &ifd[k];
        const uint64_t ifd_at = at, head = (uint64_t)(big ? 8 : 2);
        at += head + (uint64_t)l->n * entry + word;
        if (buf) put_le(buf + ifd_at, (uint64_t)l->n, big ? 8 : 2);
        for (int rank = 0; rank <= 4; ++rank)
            for (int i = 0; i < l->n; ++i) {
                const tag_entry *e = &l->t[i];
                if (value_rank(e->tag) != rank) continue;
                unsigned char *p = buf ? buf + ifd_at + head + (uint64_t)i * entry : NULL;
                uint64_t bytes = e->count * type_size(e->type);
                if (p) {
                    put_le(p, e->tag, 2);
                    put_le(p + 2, e->type, 2);
                    put_le(p + 4, e->count, word);
                    memset(p + 4 + word, 0, (size_t)word);
                }
                if (bytes <= (uint64_t)word) {
                    if (p && bytes) memcpy(p + 4 + word, e->data, (size_t)bytes);
                    continue;
                }
                uint64_t *to = rank == 4 ? &arr : &at;
                if (p) {
                    put_le(p + 4 + word, *to, word);
                    memcpy(buf + *to, e->data, (size_t)bytes);
                }
                *to += bytes + (bytes & 1);
            }
        if (buf) put_le(buf + ifd_at + head + (uint64_t)l->n * entry, k + 1 < nifd ? at : 0, word);
    }
    return arrays ? arr : at;
}

static uint64_t layout(const tag_list *ifd, int nifd, int big, unsigned char *buf) {
    return place(ifd, nifd, big, buf, place(ifd, nifd, big, NULL, 0));
}

/* ---- Tiles ----------------------------------------------------------------------------------- */

/* libtiff's floating-point predictor (PREDICTOR=3) on one row of w cells: the cells' bytes
 * regrouped most significant first, then each byte less the one before it. */
static void predict_f32(unsigned char *row, unsigned char *tmp, int w) {
    for (int i = 0; i < w; ++i) {
        tmp[i] = row[4 * i + 3];
        tmp[w + i] = row[4 * i + 2];
        tmp[2 * w + i] = row[4 * i + 1];
        tmp[3 * w + i] = row[4 * i];
    }
    row[0] = tmp[0];
    for (int i = 1; i < 4 * w; ++i) row[i] = (unsigned char)(tmp[i] - tmp[i - 1]);
}

/* A tile as it goes into the file: its size, its DEFLATE stream, its last 4 bytes again. */
typedef struct {
    unsigned char *buf;
    size_t cap, len;
} tile_bytes;

/* The thread that writes a row of tiles while the next row is cut and compressed: with two
 * cores, the row's write (a copy into the page cache) would otherwise leave one idle. */
typedef struct {
    cp_worker w;
    int fd;
    const tile_bytes *job; /* the row given to write */
    int64_t n;             /* its tiles */
    uint64_t at;           /* where it goes */
} row_writer;

static int write_row(cp_worker *arg) {
    const row_writer *rw = (const row_writer *)arg;
    uint64_t at = rw->at;
    for (int64_t x = 0; x < rw->n; ++x) {
        if (cp_rio_pwrite_all(rw->fd, rw->job[x].buf, rw->job[x].len, (int64_t)at) != 0)
            return errno ? errno : EIO;
        at += rw->job[x].len;
    }
    return 0;
}

/* Gives the writer n tiles to write at `at` (the row before must be written). */
static void row_writer_give(row_writer *rw, const tile_bytes *t, int64_t n, uint64_t at) {
    rw->job = t, rw->n = n, rw->at = at;
    cp_worker_give(&rw->w);
}

/* The thread that reads the next row of tiles' cells while this one is compressed (the raw
 * maps are read from the disk with O_DIRECT: the read would otherwise leave both cores idle). */
typedef struct {
    cp_worker w;
    int fd;
    int64_t at;
    size_t len;
    unsigned char *buf; /* the job: len bytes at `at` into buf */
} row_reader;

static int read_row(cp_worker *arg) {
    const row_reader *rr = (const row_reader *)arg;
    return read_bytes(rr->fd, rr->at, rr->len, rr->buf, 1);
}

static void row_reader_give(row_reader *rr, int fd, int64_t at, size_t len, unsigned char *buf) {
    rr->fd = fd, rr->at = at, rr->len = len, rr->buf = buf;
    cp_worker_give(&rr->w);
}

/* What the levels' tiles are written with. */
typedef struct {
    int fd;
    const char *path;
    int cell, is_float;
    int threads;
    size_t bound;                      /* room for a tile's DEFLATE stream */
    struct libdeflate_compressor **zc; /* one per thread */
    unsigned char *scratch;            /* per thread: the tile, the predictor's row, the stream */
    unsigned char *rows;               /* a row of tiles' cells */
    unsigned char *next;               /* the next row's, read meanwhile by rr */
    row_reader rr;
    tile_bytes *row[2];  /* a row of tiles compressed while the other is written */
    int64_t row_tiles;   /* in each */
    uint64_t rows_given; /* to the writer, over all levels */
    row_writer rw;
    uint64_t at; /* where the next tile goes */
    uint64_t tiles_done, tiles_all;
    cp_progress_fn progress;
    void *progress_arg;
} tile_writer;

/* Tile (tx) of `rows` (nr rows of nx cells) into tile, padded with zeros (as GDAL pads: then a
 * tile's bytes are the COG driver's). */
static void cut_tile(const unsigned char *rows, size_t cell, int64_t nx, int64_t nr, int64_t tx,
                     unsigned char *tile) {
    const size_t tile_row = TILE * cell;
    int64_t x0 = tx * TILE, nc = nx - x0 < TILE ? nx - x0 : TILE;
    for (int64_t r = 0; r < TILE; ++r) {
        unsigned char *o = tile + (size_t)r * tile_row;
        int64_t filled = 0;
        if (r < nr) {
            memcpy(o, rows + ((size_t)r * (size_t)nx + (size_t)x0) * cell, (size_t)nc * cell);
            filled = nc;
        }
        if (filled < TILE) memset(o + (size_t)filled * cell, 0, (size_t)(TILE - filled) * cell);
    }
}

/* Tile x of the rows in w->rows, compressed into *out (grown as needed): 0, or -1 (out of
 * memory, or a stream that did not fit). */
static int compress_tile(tile_writer *w, int t, int64_t nx, int64_t nr, int64_t x,
                         tile_bytes *out) {
    const size_t raw = (size_t)TILE * TILE * (size_t)w->cell;
    unsigned char *tile = w->scratch + (size_t)t * (raw + TILE * 4 + w->bound);
    unsigned char *tmp = tile + raw, *z = tmp + TILE * 4;
    cut_tile(w->rows, (size_t)w->cell, nx, nr, x, tile);
    if (w->is_float)
        for (int r = 0; r < TILE; ++r) predict_f32(tile + (size_t)r * TILE * 4, tmp, TILE);
    size_t n = libdeflate_zlib_compress(w->zc[t], tile, raw, z, w->bound);
    if (n < 4) return -1; /* 0: no room; a zlib stream has 6 bytes of frame */
    if (out->cap < n + 8) {
        unsigned char *b = realloc(out->buf, n + 8 + (n + 8) / 8);
        if (!b) return -1;
        out->buf = b, out->cap = n + 8 + (n + 8) / 8;
    }
    put_le(out->buf, n, 4);
    memcpy(out->buf + 4, z, n);
    memcpy(out->buf + 4 + n, z + n - 4, 4);
    out->len = n + 8;
    return 0;
}

/* One level's tiles, row by row, at w->at onwards; their offsets and sizes into off and cnt.
 * Each row is written by the writer thread while the next one is compressed. */
static cp_status write_level(tile_writer *w, const cp_cog_level *lv, uint64_t *off, uint64_t *cnt) {
    const int64_t tx = (lv->nx + TILE - 1) / TILE, ty = (lv->ny + TILE - 1) / TILE;
    const size_t row_bytes = (size_t)lv->nx * (size_t)w->cell;
#define ROWS_OF(y) (lv->ny - (y)*TILE < TILE ? lv->ny - (y)*TILE : TILE)
    cp_status s = cp_cog_read_rows(lv->fd, lv->path, lv->offset, row_bytes, 0, ROWS_OF(0), w->rows,
                                   w->threads);
    if (s) return s;
    for (int64_t y = 0; y < ty; ++y) {
        int64_t nr = ROWS_OF(y);
        if (y + 1 < ty) /* the next row read while this one is compressed */
            row_reader_give(&w->rr, lv->fd, lv->offset + (y + 1) * TILE * (int64_t)row_bytes,
                            (size_t)ROWS_OF(y + 1) * row_bytes, w->next);
        tile_bytes *row = w->row[w->rows_given & 1]; /* not the one being written */
        int bad = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->threads) reduction(max : bad)
        for (int64_t x = 0; x < tx; ++x) {
#ifdef _OPENMP
            int t = omp_get_thread_num();
#else
            int t = 0;
#endif
            int b = compress_tile(w, t, lv->nx, nr, x, &row[x]);
            if (b > bad) bad = b;
        }
        int rerr = cp_worker_wait(&w->rr.w);
        if (bad) return cp_fail(CP_E_NOMEM, "out of memory for the tiles of <%s>", w->path);
        if (rerr) return cp_fail(CP_E_IO, "cannot read <%s>: %s", lv->path, strerror(rerr));
        unsigned char *t = w->rows;
        w->rows = w->next, w->next = t;
        int err = cp_worker_wait(&w->rw.w); /* the row before, which used the other buffers */
        if (err) return cp_fail(CP_E_IO, "cannot write <%s>: %s", w->path, strerror(err));
        uint64_t at = w->at;
        for (int64_t x = 0; x < tx; ++x) {
            off[y * tx + x] = at + 4;
            cnt[y * tx + x] = row[x].len - 8;
            at += row[x].len;
        }
        row_writer_give(&w->rw, row, tx, w->at);
        w->rows_given++;
        w->at = at;
        w->tiles_done += (uint64_t)tx;
        if (w->progress &&
            !w->progress((double)w->tiles_done / (double)w->tiles_all, NULL, w->progress_arg))
            return cp_fail(CP_E_INTERRUPTED, "interrupted");
    }
#undef ROWS_OF
    return CP_OK;
}

/* ---- The file ------------------------------------------------------------------------------- */

typedef struct {
    tag_list ifd[MAX_LEVELS];
    uint64_t *off[MAX_LEVELS], *cnt[MAX_LEVELS], ntiles[MAX_LEVELS];
    unsigned char *arrays[MAX_LEVELS]; /* each level's offsets then sizes, as stored */
    uint16_t count_type[MAX_LEVELS];   /* of the sizes */
} cog_ifds;

/* Each level's IFD: GDAL's tags (all of them for the full resolution; for an overview those
 * of its cells, as the COG driver writes them), the size, tiles, compression and predictor. */
static cp_status ifds_plan(cog_ifds *c, const tag_list *gdal, const cp_cog_level *levels, int n,
                           int big, int is_float) {
    static const uint16_t ovr_keep[] = {258, 262, 277, 284, 320, 338, 339, 42113};
    const uint16_t word = big ? T_LONG8 : T_LONG;
    cp_status s = CP_OK;
    for (int k = 0; k < n && !s; ++k) {
        tag_list *l = &c->ifd[k];
        for (int i = 0; i < gdal->n && !s; ++i) {
            const tag_entry *e = &gdal->t[i];
            int keep = !k;
            for (size_t j = 0; !keep && j < sizeof ovr_keep / sizeof *ovr_keep; ++j)
                keep = e->tag == ovr_keep[j];
            if (keep) s = tag_put(l, e->tag, e->type, e->count, e->data, 1);
        }
        uint32_t one = 1, nx = (uint32_t)levels[k].nx, ny = (uint32_t)levels[k].ny;
        uint16_t size_type = nx > 65535 || ny > 65535 ? T_LONG : T_SHORT; /* as libtiff */
        uint16_t nx16 = (uint16_t)nx, ny16 = (uint16_t)ny;
        uint64_t nt = (uint64_t)((levels[k].nx + TILE - 1) / TILE) *
                      (uint64_t)((levels[k].ny + TILE - 1) / TILE);
        c->ntiles[k] = nt;
        if (!s && k) s = tag_put(l, 254, T_LONG, 1, &one, 0);
        if (!s) s = tag_put(l, 256, size_type, 1, size_type == T_LONG ? (void *)&nx : &nx16, 0);
        if (!s) s = tag_put(l, 257, size_type, 1, size_type == T_LONG ? (void *)&ny : &ny16, 0);
        if (!s) s = tag_short(l, 259, 8); /* Adobe DEFLATE */
        if (!s) s = tag_short(l, 317, is_float ? 3 : 1);
        if (!s) s = tag_short(l, 322, TILE);
        if (!s) s = tag_short(l, 323, TILE);
        if (s) break;
        c->off[k] = calloc(nt, sizeof **c->off);
        c->cnt[k] = calloc(nt, sizeof **c->cnt);
        /* libtiff writes the sizes of a BigTIFF's tiles as LONG, but one tile's as LONG8 */
        c->count_type[k] = big && nt == 1 ? T_LONG8 : T_LONG;
        c->arrays[k] = calloc(nt, type_size(word) + type_size(c->count_type[k]));
        if (!c->off[k] || !c->cnt[k] || !c->arrays[k]) return cp_fail(CP_E_NOMEM, "out of memory");
        s = tag_put(l, 324, word, nt, c->arrays[k], 1);
        if (!s) s = tag_put(l, 325, c->count_type[k], nt, c->arrays[k] + nt * type_size(word), 1);
    }
    return s;
}

/* The tiles' offsets and sizes into the IFDs' arrays. */
static cp_status ifds_fill(cog_ifds *c, int n, int big, const char *path) {
    const size_t w = big ? 8 : 4;
    for (int k = 0; k < n; ++k)
        for (uint64_t i = 0; i < c->ntiles[k]; ++i) {
            if (!big && c->off[k][i] + c->cnt[k][i] > UINT32_MAX)
                return cp_fail(CP_E_INTERNAL, "<%s>: past 4 GB in a classic TIFF", path);
            put_le(c->arrays[k] + i * w, c->off[k][i], (int)w);
            const size_t cw = type_size(c->count_type[k]);
            put_le(c->arrays[k] + c->ntiles[k] * w + i * cw, c->cnt[k][i], (int)cw);
        }
    return CP_OK;
}

static void ifds_free(cog_ifds *c) {
    for (int k = 0; k < MAX_LEVELS; ++k) {
        tags_free(&c->ifd[k]);
        free(c->off[k]), free(c->cnt[k]), free(c->arrays[k]);
    }
}

static cp_status tile_writer_init(tile_writer *w, const cp_cog_level *lv0, int cell) {
    const size_t raw = (size_t)TILE * TILE * (size_t)cell;
    w->row_tiles = (lv0->nx + TILE - 1) / TILE;
    w->zc = calloc((size_t)w->threads, sizeof *w->zc);
    if (!w->zc) return cp_fail(CP_E_NOMEM, "out of memory");
    for (int t = 0; t < w->threads; ++t)
        if (!(w->zc[t] = libdeflate_alloc_compressor(1)))
            return cp_fail(CP_E_NOMEM, "out of memory");
    w->bound = libdeflate_zlib_compress_bound(w->zc[0], raw);
    w->scratch = malloc((raw + TILE * 4 + w->bound) * (size_t)w->threads);
    w->rows = malloc((size_t)TILE * (size_t)lv0->nx * (size_t)cell);
    w->next = malloc((size_t)TILE * (size_t)lv0->nx * (size_t)cell);
    w->row[0] = calloc((size_t)w->row_tiles, sizeof **w->row);
    w->row[1] = calloc((size_t)w->row_tiles, sizeof **w->row);
    if (!w->scratch || !w->rows || !w->next || !w->row[0] || !w->row[1])
        return cp_fail(CP_E_NOMEM, "out of memory");
    w->rw.fd = w->fd;
    if (cp_worker_start(&w->rr.w, read_row) || cp_worker_start(&w->rw.w, write_row))
        return cp_fail(CP_E_NOMEM, "cannot start a thread");
    return CP_OK;
}

/* Waits for the writer's last row and stops it: its errno, or 0. */
static int tile_writer_stop(tile_writer *w) {
    return cp_worker_stop(&w->rw.w);
}

static void tile_writer_free(tile_writer *w) {
    tile_writer_stop(w);
    cp_worker_stop(&w->rr.w); /* a read given may still be going on: waited for */
    for (int t = 0; w->zc && t < w->threads; ++t) libdeflate_free_compressor(w->zc[t]);
    for (int k = 0; k < 2; ++k)
        for (int64_t x = 0; w->row[k] && x < w->row_tiles; ++x) free(w->row[k][x].buf);
    free(w->zc), free(w->scratch), free(w->rows), free(w->next), free(w->row[0]);
    free(w->row[1]);
}

/* A new file at `path` (never one that exists) holding data; nothing left there on failure. */
static cp_status write_file(const char *path, const char *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return cp_fail(CP_E_IO, "cannot create <%s>: %s", path, strerror(errno));
    cp_status s = cp_rio_pwrite_rows(fd, path, 0, len, 0, 1, data, len, 0);
    if (close(fd) && !s) s = cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
    if (s) unlink(path); /* created here, so removed here */
    return s;
}

int cp_cog_bigtiff(const cp_cog_level *levels, int nlevels, int cell) {
    double cells = 0;
    for (int k = 0; k < nlevels; ++k) cells += (double)levels[k].nx * (double)levels[k].ny;
    return cells * cell > 2e9;
}

cp_status cp_cog_write(const char *path, const cp_cog_level *levels, int nlevels, GDALDatasetH like,
                       int bigtiff, int threads, cp_progress_fn progress, void *progress_arg) {
    GDALRasterBandH band = GDALGetRasterBand(like, 1);
    const GDALDataType type = GDALGetRasterDataType(band);
    if (type != GDT_Byte && type != GDT_Float32)
        return cp_fail(CP_E_INTERNAL, "<%s>: COGs of Byte or Float32 only", path);
    if (nlevels < 1 || nlevels > MAX_LEVELS)
        return cp_fail(CP_E_INTERNAL, "<%s>: %d levels", path, nlevels);
    const int cell = type == GDT_Float32 ? 4 : 1;
    const int big = bigtiff != 0;
    tile_writer w = {.fd = -1,
                     .path = path,
                     .cell = cell,
                     .is_float = cell == 4,
                     .threads = threads > 0 ? threads : 1,
                     .progress = progress,
                     .progress_arg = progress_arg};
    cog_ifds c = {0};
    tag_list gdal = {0};
    char *aux = NULL;
    size_t aux_len = 0;
    unsigned char *head = NULL;
    cp_gdal_quiet_begin(); /* GDAL's messages kept for the error, not given to a host */
    cp_status s = gdal_tags(like, &gdal, &aux, &aux_len);
    cp_gdal_quiet_end();
    if (!s) s = ifds_plan(&c, &gdal, levels, nlevels, big, w.is_float);
    uint64_t head_len = s ? 0 : layout(c.ifd, nlevels, big, NULL);
    if (!s) {
        w.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (w.fd < 0) s = cp_fail(CP_E_IO, "cannot create <%s>: %s", path, strerror(errno));
    }
    if (!s) s = tile_writer_init(&w, &levels[0], cell);
    w.at = head_len;
    for (int k = 0; k < nlevels; ++k) w.tiles_all += c.ntiles[k];
    for (int k = nlevels - 1; k >= 0 && !s; --k) /* the smallest overview first */
        s = write_level(&w, &levels[k], c.off[k], c.cnt[k]);
    int err = tile_writer_stop(&w);
    if (!s && err) s = cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(err));
    if (!s) s = ifds_fill(&c, nlevels, big, path);
    if (!s && !(head = calloc(1, (size_t)head_len))) s = cp_fail(CP_E_NOMEM, "out of memory");
    if (!s) {
        layout(c.ifd, nlevels, big, head);
        s = cp_rio_pwrite_rows(w.fd, path, 0, (size_t)head_len, 0, 1, head, (size_t)head_len, 0);
    }
    if (w.fd >= 0 && close(w.fd) && !s)
        s = cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
    const int created = w.fd >= 0;
    if (!s && aux) {
        char *aux_path = CPLStrdup(CPLSPrintf("%s.aux.xml", path));
        s = write_file(aux_path, aux, aux_len);
        CPLFree(aux_path);
    }
    if (s && created) unlink(path); /* a COG cut short: created here, so removed here */
    free(head);
    free(aux);
    tile_writer_free(&w);
    tags_free(&gdal);
    ifds_free(&c);
    return s;
}
