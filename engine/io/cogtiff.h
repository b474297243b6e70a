/* The bytes of a Cloud-Optimized GeoTIFF, written here rather than by GDAL's COG driver: the
 * tiles of every level compressed over the threads (libdeflate, the floating-point predictor
 * vectorised), the IFDs and GDAL's structural metadata before the data, smallest overview first,
 * as the COG driver lays them out (docs/decisions.md). cog.c makes the levels; this file lays
 * them out. */
#ifndef CP_COGTIFF_H
#define CP_COGTIFF_H

#include <stdint.h>

#include <gdal.h>

#include <clearplan/status.h>

/* One level of the COG in a file of strips: row r at offset + r * nx * cell bytes. */
typedef struct {
    int fd; /* open for reading */
    const char *path;
    int64_t offset, nx, ny;
} cp_cog_level;

/* Reads rows row0 .. row0 + n of a file of strips (rows of row_bytes from offset) into buf,
 * over nt threads. */
cp_status cp_cog_read_rows(int fd, const char *path, int64_t offset, size_t row_bytes, int64_t row0,
                           int64_t n, unsigned char *buf, int nt);

/* Writes the COG at `path` (created here; it must not exist): levels[0] the full resolution,
 * levels[1 .. nlevels - 1] its overviews in decreasing size, cells of `like`'s type (Byte:
 * DEFLATE; Float32: DEFLATE with the floating-point predictor), in tiles of 512 x 512. The tags
 * beside the layout's (georeferencing, metadata, statistics, colour table, nodata) are those
 * GDAL's GTiff driver writes for `like`'s georeferencing, metadata and band, and the side file
 * GDAL would write for what a TIFF cannot hold (class names) is written at `path`.aux.xml.
 * A BigTIFF when `bigtiff`, else a classic TIFF (an error past 4 GB). The bytes are those
 * GDAL's COG driver writes from these levels (tests/engine/test_cogtiff.c), the same for any
 * thread count. progress (may be NULL) gets the fraction of tiles written; 0 stops it
 * (CP_E_INTERRUPTED). On failure nothing is left at `path` (a file that was there is kept). */
cp_status cp_cog_write(const char *path, const cp_cog_level *levels, int nlevels, GDALDatasetH like,
                       int bigtiff, int threads, cp_progress_fn progress, void *progress_arg);

/* Whether GDAL's COG driver would make these levels of `cell`-byte cells a BigTIFF
 * (BIGTIFF=IF_SAFER: their cells pass 2 GB). */
int cp_cog_bigtiff(const cp_cog_level *levels, int nlevels, int cell);

#endif
