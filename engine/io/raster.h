/* Internal raster I/O helpers shared by the engine: opening with clear errors, CRS checks,
 * reading band windows as Float32, and GeoTIFF outputs that appear only when complete.
 *
 * Errors follow DESIGN.md §15: "cannot open <path>: <GDAL's reason>" (CP_E_IO), "<path> has
 * no coordinate reference system" (CP_E_CRS). Nothing here prints or exits. */
#ifndef CP_RASTERIO_H
#define CP_RASTERIO_H

#include <stddef.h>
#include <stdint.h>

#include <gdal.h>

#include <clearplan/output.h>
#include <clearplan/status.h>
#include <clearplan/tools.h>

#include "cpk/cpk.h"

/* A large buffer (free() it): 2 MB-aligned and backed by transparent huge pages where the
 * system allows, so that first touching it costs few page faults. NULL when out of memory. */
void *cp_rio_alloc(size_t bytes);

/* Opens `path` read-only as a raster with at least one band. */
cp_status cp_rio_open(const char *path, GDALDatasetH *out);

/* The CRS of `ds` in *out (a handle of the caller's, in GIS axis order), or where the file has
 * none the one `assume` names (a tool's --assume-crs: EPSG:32633, WKT, a PROJ string; NULL:
 * none). CP_E_CRS naming `path` when there is neither; when `projected`, also when the CRS is
 * geographic (distances in metres need a projected CRS). An `assume` that names no CRS is
 * CP_E_ARG even when the file has one. The input is not touched (GDAL would keep an assigned
 * CRS in an .aux.xml beside it): the tools give the CRS to their outputs themselves. */
cp_status cp_rio_crs(GDALDatasetH ds, const char *path, const char *assume, int projected,
                     OGRSpatialReferenceH *out);

/* Whether `assume` (a --assume-crs or an inputs.<name>.assume_crs) names a CRS that is not
 * `own`, a file's own CRS: the file's is used, and the caller tells the user so. 0 when either
 * is NULL or `assume` names no CRS (that is refused elsewhere). */
int cp_crs_assume_unused(OGRSpatialReferenceH own, const char *assume);

/* The grid of a north-up dataset (no rotation, rows running south). CP_E_FORMAT otherwise. */
cp_status cp_rio_geo(GDALDatasetH ds, const char *path, cpk_geo *geo);

/* Band `band` (1-based) of `ds`, with its nodata value as a Float32 view would need it. */
cp_status cp_rio_band(GDALDatasetH ds, const char *path, int band, GDALRasterBandH *out,
                      int *has_nodata, float *nodata);

/* An output GeoTIFF written through an output transaction (clearplan/output.h): under a
 * temporary name beside its final one, published by cp_rio_out_commit(); cp_rio_out_abort()
 * removes it. */
typedef struct {
    GDALDatasetH ds;
    GDALRasterBandH band;
    cp_output *tx;
    const char *path;     /* final name (owned by tx) */
    const char *tmp_path; /* name while being written (owned by tx) */
    int64_t nx, ny;
    int block_rows; /* rows of one block: strips are best multiples of it */
    int sparse_ok;  /* SPARSE_OK: GDAL may leave blocks unwritten (cp_rio_out_commit's check) */
    /* Uncompressed Float32 strips laid out one after the other: rows are written straight
     * to the file at data_offset + row * nx * 4 (no GDAL block cache); ds is then NULL. */
    int direct, fd;
    int write_back; /* start writing each strip to disk at once (the output is synced at the
                       end: the final sync then waits for the last strips only) */
    int64_t data_offset;
    struct cp_dwriter *dw; /* direct, written from a thread of its own (dwrite.h); NULL: pwrite */
    float *rows[2];        /* cp_rio_out_rows' buffers, taken in turn when dw */
    float *rows_at[2];     /* where in them the rows were placed */
    size_t rows_bytes;
    int rows_next;
} cp_rio_out;

/* The output transaction's rules for a tool: its name, the common options (overwrite,
 * no_sync) and its inputs (NULL-terminated; they are never replaced). */
cp_output_options cp_rio_tx_options(const char *command, const cp_tool_common *common,
                                    const char *const *inputs);

/* Whether the raster at `path` carries the metadata item clearplan writes into its outputs:
 * the `owned` test of clearplan/output.h for --overwrite, asked only on a file system without
 * extended attributes (GDAL copies the item into files it derives; the transaction's own mark
 * decides elsewhere). */
int cp_rio_owned(const char *path, void *arg);

/* Creates a one-band GeoTIFF like `geo` with the CRS `srs` (may be NULL: none): GDAL's
 * defaults (uncompressed strips, as gdal_proximity.py writes), BIGTIFF=IF_SAFER, compressed by
 * all cores when `co` asks for compression (DEFLATE then defaults to ZLEVEL=1); `co`
 * (NAME=VALUE strings, NULL-terminated, may be NULL) overrides or adds creation options. `type` is
 * the band type (GDT_Float32 usually); nodata is set when has_nodata.
 * An uncompressed Float32 output is created by GDAL with all its strips in place (header, tags,
 * CRS, nodata) and its cells are then written directly into the file, without a copy through
 * GDAL's block cache, by a writer thread with O_DIRECT where the file system takes it
 * (dwrite.h: no page cache to fill, the disk's time beside the next strip's work); GDAL
 * writes every other kind. `tx_opts` are the output transaction's
 * rules (command, overwrite, no_sync, the command's inputs); its kind is set to a file.
 * `threads` (0: all cores) compress a compressed output. */
cp_status cp_rio_out_create(const char *path, const cpk_geo *geo, OGRSpatialReferenceH srs,
                            GDALDataType type, int has_nodata, double nodata, const char *const *co,
                            int threads, const cp_output_options *tx_opts, cp_rio_out *out);

/* A buffer for rows row0..row0+nrows (nx floats a row, no gaps) to compute a strip into and
 * then give to cp_rio_out_write: the output's own, valid until the next call. An output
 * written from a writer thread (dwrite.h) has two, taken in turn, so that one strip is
 * computed while the one before is written: this waits until the writer has copied the
 * older one. */
cp_status cp_rio_out_rows(cp_rio_out *o, int64_t row0, int64_t nrows, float **rows);

/* Writes rows row0..row0+nrows from a Float32 buffer (converted to the band type). A buffer
 * from cp_rio_out_rows is written asynchronously (an error shows at a later write or at
 * the commit); any other is copied before this returns. */
cp_status cp_rio_out_write(cp_rio_out *o, int64_t row0, int64_t nrows, const float *buf,
                           ptrdiff_t stride);

/* Where the cells of a freshly created uncompressed GeoTIFF band start when its strips are as
 * wide as the grid and follow one another with no gap (as GDAL lays them out before writing a
 * cell): the file offset of row 0, or -1 for any other layout. */
int64_t cp_rio_strips_offset(GDALRasterBandH band);

/* Writes rows row0 .. row0 + nrows of `row_bytes` each (from buf, rows `stride_bytes` apart)
 * into a file of such strips, open as fd, with pwrite; `write_back` starts writing them to
 * disk at once. Errors name `path`. */
/* Reserves bytes at .. at + n of the file open on fd before its cells are written, so that a
 * full disk is an error now, naming `path`, rather than after the work (and the writes then
 * only fill blocks already allocated). A file system without fallocate is not an error. */
cp_status cp_rio_reserve(int fd, const char *path, int64_t at, int64_t n);
/* Writes n bytes at `at` whatever the pieces pwrite takes: 0, or -1 with errno set. */
int cp_rio_pwrite_all(int fd, const void *buf, size_t n, int64_t at);
cp_status cp_rio_pwrite_rows(int fd, const char *path, int64_t data_offset, size_t row_bytes,
                             int64_t row0, int64_t nrows, const void *buf, size_t stride_bytes,
                             int write_back);

/* Closes the output and renames it to its final name; on failure removes it. */
cp_status cp_rio_out_commit(cp_rio_out *o);

/* Closes and removes a partial output. Safe on a zeroed or already finished struct. */
void cp_rio_out_abort(cp_rio_out *o);

/* Reads grid rows row0 .. row0 + nrows into buf (nx Float32 values a row, no gaps): a band of
 * a file (cp_band_rows), or an input resampled onto the analysis grid (inputs.h). */
typedef cp_status (*cp_row_reader)(void *src, int64_t row0, int64_t nrows, float *buf);

/* One band of a compressed GeoTIFF opened once a thread, so that its blocks are decoded on
 * several threads: a GDAL dataset serves one thread at a time, so thread k reads its own slice
 * of the window's block columns through handle k (handle 0 is the caller's band). A slice is
 * the same for every window of the same columns, so the blocks a strip leaves half read stay
 * in the cache of the handle that reads their other half. Decoding is exact: the values are
 * the file's whatever the thread count. */
typedef struct {
    GDALRasterBandH *band; /* n handles; band[0] the caller's */
    GDALDatasetH *ds;      /* ds[k], k >= 1, opened here (ds[0] NULL) */
    char **scratch;        /* a block for each handle */
    int n;                 /* 0: GDAL reads (RasterIO, cache); 1: the caller's band decodes */
    int64_t bx, by;        /* the file's blocks */
    GDALDataType type;     /* the band's */
} cp_band_pool;

/* Opens up to `threads` handles (0: all cores; no more than the blocks in a row) of `band`
 * when its file is a GeoTIFF with compressed blocks of at most 16 MB; otherwise (and when
 * reopening the file fails or finds another raster) p->n is 0 and reads go through `band`
 * and GDAL's cache, as before. With one handle (p->n == 1) blocks are still decoded without
 * the cache. */
cp_status cp_band_pool_open(cp_band_pool *p, GDALRasterBandH band, const char *path, int threads);
void cp_band_pool_close(cp_band_pool *p);

/* Reads the window (x0, y0, w, h) of the band as `type` (GDT_Float32 or GDT_Byte) into buf,
 * `stride` values a row: by the pool's handles, one slice each, in parallel, when it has any,
 * else by RasterIO on `band` (the caller's; p may be NULL). */
cp_status cp_band_read(const cp_band_pool *p, GDALRasterBandH band, const char *path, int64_t x0,
                       int64_t y0, int64_t w, int64_t h, void *buf, GDALDataType type,
                       ptrdiff_t stride);

/* A band of a file as a row source (cp_band_rows). When the file is an uncompressed Float32
 * GeoTIFF of one band, little-endian, its tiles or strips are read straight into the caller's
 * rows (one preadv per block scattering its rows, blocks in parallel): one copy from the page
 * cache instead of two through GDAL's block cache. A compressed GeoTIFF is decoded by a pool
 * of handles (cp_band_pool); any other file is read through GDAL. */
typedef struct {
    GDALRasterBandH band;
    const char *path; /* for messages */
    cp_band_pool pool;
    /* direct reads (set by cp_band_src_open) */
    int direct, fd, threads;
    int64_t nx, ny, bx, by, nbx; /* grid, block size, blocks a row */
    uint64_t *offsets;           /* of each block in the file */
} cp_band_src;

/* Prepares direct reads of `band` when its file allows (see above); `threads` read blocks in
 * parallel (0: all cores). Without it, b = {band, path} reads through GDAL. */
cp_status cp_band_src_open(cp_band_src *b, GDALRasterBandH band, const char *path, int threads);
void cp_band_src_close(cp_band_src *b);
cp_status cp_band_rows(void *band_src, int64_t row0, int64_t nrows, float *buf);

/* A sliding window of rows v0..v1 of a row source (a strip plus its halo) in one buffer of
 * `cap_rows` rows of nx floats. Moving it down reuses the rows it already holds and reads the
 * rest. */
typedef struct {
    float *buf;
    int64_t nx, cap_rows;
    int64_t v0, v1; /* rows held; v0 == v1 when empty */
} cp_window;

cp_status cp_window_init(cp_window *w, int64_t nx, int64_t cap_rows);
cp_status cp_window_load(cp_window *w, cp_row_reader read, void *src, int64_t v0, int64_t v1);
void cp_window_free(cp_window *w);
/* The window as a kernel view. */
cpk_view_f32 cp_window_view(const cp_window *w, int has_nodata, float nodata);

#endif
