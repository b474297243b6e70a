/* Raster outputs: strips written to a tiled GeoTIFF, then turned into a Cloud-Optimized
 * GeoTIFF with overviews, statistics and metadata; a PNG thumbnail; file checksums. */
#ifndef CP_OUTPUTS_H
#define CP_OUTPUTS_H

#include <stdint.h>

#include <gdal.h>

#include <clearplan/scenario.h>
#include <clearplan/status.h>

#include "grid.h"

/* Creates a tiled, compressed GeoTIFF on the grid (BigTIFF when needed). */
cp_status cp_raster_create(const char *path, const cp_grid *g, GDALDataType type, double nodata,
                           GDALDatasetH *out);
/* Writes rows row0..row0+nrows-1 of band 1. */
cp_status cp_raster_write_rows(GDALDatasetH ds, const char *path, int64_t row0, int64_t nrows,
                               int64_t nx, GDALDataType type, const void *buf);
/* A GeoTIFF of uncompressed strips that several processes fill at once, each its own rows (the
 * ranks of a job, engine/src/ranks.h), so that the grid is never gathered on one: one process
 * creates it (cp_strip_file_create), each opens it and writes its rows straight into their
 * strips with pwrite, then one opens it with GDAL (a plain GeoTIFF) and makes the COG
 * (cp_cog_finish). */
typedef struct {
    int fd; /* -1: not open */
    const char *path;
    int64_t ny, data_offset;
    size_t row_bytes;
    /* Its first overview level (cp_strip_file_open_level), made from the rows as they are
     * written, so that the COG's overviews start from it instead of reading the map again:
     * level->fd -1 when none. */
    struct cp_strip_level *level;
} cp_strip_file;

/* Creates the file on the grid (georeferencing, CRS and nodata as cp_raster_create) with every
 * strip laid out in order and no cell written (a sparse file): *data_offset gets where row 0
 * starts. */
cp_status cp_strip_file_create(const char *path, const cp_grid *g, GDALDataType type, double nodata,
                               int64_t *data_offset);
/* Opens the file created at `path` (kept, not copied) for writing rows. */
cp_status cp_strip_file_open(cp_strip_file *f, const char *path, const cp_grid *g,
                             GDALDataType type, int64_t data_offset);
/* The file of the first overview level of the raw map at raw_path (cp_cog_finish's name for
 * it): created by one process (cp_strip_level_create: half the rows and columns,
 * cpk_pyramid_size; no georeferencing), opened by each writer of the map's rows
 * (cp_strip_file_open_level, after cp_strip_file_open; type and nodata: the map's). Its rows
 * are then made from each strip written (cpk/pyramid.h: the mean of 2 x 2 cells, or a Byte
 * map's upper-left one), which must start on an even row and end on one or at the map's end. */
cp_status cp_strip_level_create(const char *raw_path, const cp_grid *g, GDALDataType type,
                                double nodata, int64_t *data_offset);
cp_status cp_strip_file_open_level(cp_strip_file *f, GDALDataType type, double nodata,
                                   int64_t data_offset);
/* Writes rows row0 .. row0 + nrows (nx cells each, no gaps), and their level's rows. */
cp_status cp_strip_file_write(cp_strip_file *f, int64_t row0, int64_t nrows, const void *buf);
/* Only the level's rows of rows row0 .. row0 + nrows (the rows themselves written otherwise). */
cp_status cp_strip_file_write_level(cp_strip_file *f, int64_t row0, int64_t nrows, const void *buf);
/* Closes it (and its level): what was written is then in the file for any process that opens
 * it. A zeroed or closed one is a no-op. */
cp_status cp_strip_file_close(cp_strip_file *f);

/* The rows of a strip for several files of strips (the maps), written from a thread of its own
 * while the caller computes the next strip: a buffered pwrite copies every byte into the page
 * cache, on the caller's thread a serial pause of the strip loop (about 17 s of the national
 * preset's raster stage, the other core idle meanwhile). One strip is written at a time:
 * giving a strip waits until the one given before is written, so the caller keeps two sets of
 * buffers and fills one while the other is written. The first error sticks and is returned,
 * naming the file, by the next give and by the end. */
typedef struct cp_strips_writer cp_strips_writer;
/* A writer for the n files (kept, not copied; open), or NULL when no thread can be made: the
 * caller then writes its strips itself. `direct`: the cells go to the disk with O_DIRECT
 * (dwrite.h) where the file system takes it, not through the page cache: on a VM that hands
 * freed memory back to its host, each new page-cache page is a fault to the host, and the
 * national preset's 8 GB of raw maps cost 30-40 core-seconds of the raster stage that way
 * (read back then with cp_cog_finish's raw_direct). */
cp_strips_writer *cp_strips_writer_start(cp_strip_file *files, size_t n, int direct);
/* Hands rows row0 .. row0 + nrows of each file, bufs[i] for files[i], once the strip given
 * before is written; the buffers must stay unchanged until the next give or the end returns. */
cp_status cp_strips_writer_give(cp_strips_writer *w, int64_t row0, int64_t nrows,
                                const void *const *bufs);
/* Waits until the last strip is written, stops the thread and frees w (NULL: CP_OK). */
cp_status cp_strips_writer_end(cp_strips_writer *w);

/* Work on a file in a thread of its own while other work goes on: removing it (a raw map of
 * several GB waits seconds for the page cache's writeback of its pages) or its checksum
 * (cp_file_sha256: about 2 s for a 3 GB map; the file must not change until the job ends). Without
 * a thread the work is done at once; cp_removal_start removes the file even when it returns NULL
 * (out of memory), cp_checksum_start then does nothing. cp_file_job_finish waits for the job, gives
 * the checksum (1; 0 for a removal, a failure or NULL; hex and size may be NULL) and frees it. */
typedef struct cp_file_job cp_file_job;
cp_file_job *cp_removal_start(const char *path);
cp_file_job *cp_checksum_start(const char *path);
int cp_file_job_finish(cp_file_job *job, char hex[65], uint64_t *size);

/* Writes `raw` as a COG at `path` (overviews with `resampling`: "AVERAGE" or "NEAREST"; for a
 * file of strips the overviews are built here over `threads`, cpk/pyramid.h, and the COG's
 * bytes written by cogtiff.h, GDAL's COG driver's bytes: docs/decisions.md; else GDAL's COG
 * driver writes it),
 * with the statistics `stats` (min, max, mean, stddev; NULL = computed by reading `raw`).
 * flags: CP_COG_RAW_DIRECT when the raw map's cells were written with O_DIRECT
 * (cp_strips_writer_start): they are read from the disk with O_DIRECT too (read through the page
 * cache, every page of it would be allocated again: on this project's VMs, a fault to the host
 * each); CP_COG_LEVEL1 when its first overview level was made as its rows were written
 * (cp_strip_file_open_level): the other levels are made from that one.
 * `raw` is closed and deleted: by the time this returns, or when `removal` is not NULL, by
 * a job set there that the caller finishes (cp_file_job_finish) before the folder moves. */
enum {
    CP_COG_RAW_DIRECT = 1, /* the raw map's cells are read with O_DIRECT */
    CP_COG_LEVEL1 = 2      /* its first overview level was made as it was written */
};
cp_status cp_cog_finish(GDALDatasetH raw, const char *raw_path, const char *path,
                        const char *resampling, const double *stats, int threads, unsigned flags,
                        cp_progress_fn progress, void *progress_arg, cp_file_job **removal);
/* A PNG thumbnail (at most `width` wide) of a Byte raster with a colour table. */
cp_status cp_thumbnail_png(const char *path, int width, unsigned char **png, size_t *len);
/* SHA-256 of a file's bytes, as `sha256sum` prints it (64 lower-case hex digits and a NUL), and
 * its size. 0 on error (hex then empty). run.json's checksums. */
int cp_file_sha256(const char *path, char hex[65], uint64_t *size);
/* FNV-1a 64-bit checksum of a file's bytes (hex, 17 bytes). 0 on error. The calibration's
 * provenance of its records file (records_fnv1a64, a format of its own). */
int cp_file_checksum(const char *path, char hex[17], uint64_t *size);

#endif
