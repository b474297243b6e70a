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
/* Writes `raw` as a COG at `path` (overviews with `resampling`: "AVERAGE" or "NEAREST"),
 * with the statistics `stats` (min, max, mean, stddev; NULL = computed by reading `raw`).
 * `raw` is closed and deleted. */
cp_status cp_cog_finish(GDALDatasetH raw, const char *raw_path, const char *path,
                        const char *resampling, const double *stats, int threads,
                        cp_progress_fn progress, void *progress_arg);
/* A PNG thumbnail (at most `width` wide) of a Byte raster with a colour table. */
cp_status cp_thumbnail_png(const char *path, int width, unsigned char **png, size_t *len);
/* FNV-1a 64-bit checksum of a file's bytes (hex, 17 bytes). 0 on error. */
int cp_file_checksum(const char *path, char hex[17], uint64_t *size);

#endif
