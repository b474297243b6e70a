/* clearplan proximity: exact distance to the nearest source cell (tools.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <clearplan/tools.h>

#include "cpk/edt.h"
#include "error.h"
#include "raster.h"
#include "strips.h"

cp_proximity_options cp_proximity_defaults(void) {
    cp_proximity_options o;
    memset(&o, 0, sizeof o);
    o.band = 1;
    o.max_dist = INFINITY;
    o.nodata = 65535;
    return o;
}

typedef struct {
    cpk_sources src;
    double dx, dy, max_dist;
    float fill;
    int threads;
} prox_arg;

/* Without a maximum distance every row depends on the whole grid. Instead of holding the
 * input and the output (two Float32 grids), the input is streamed once in strips keeping only
 * the list of its source cells; then each output strip is computed from that list (column
 * distances, row pass) and written. Memory: the list (12 bytes per source) and one strip. */
static cp_status prox_whole(GDALRasterBandH band, const char *path, int has_nd, float nd,
                            const prox_arg *pa, size_t budget, cp_rio_out *out,
                            cp_progress_fn progress, void *progress_arg, int *nstrips) {
    int64_t nx = out->nx, ny = out->ny;
    if (ny > CPK_EDT_MAX_ROWS)
        return cp_fail(CP_E_ARG, "<%s>: %lld rows; without --max-dist at most %lld", path,
                       (long long)ny, (long long)CPK_EDT_MAX_ROWS);
    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    /* strips of whole input blocks, about 512 rows: few parallel regions, cache-sized */
    int64_t rows = by > 0 && by <= 512 ? by : 256;
    while (rows < 512) rows *= 2;
    size_t row_bytes = sizeof(float) * (size_t)nx;
    size_t scratch = (size_t)nx * (40 * (size_t)cpk_threads(pa->threads) + 40);
    if (budget < scratch + row_bytes)
        return cp_fail(CP_E_NOMEM, "<%s>: --memory %.0f MB is too small for rows of %lld cells",
                       path, (double)budget / 1048576.0, (long long)nx);
    /* half for the strips: the input's one, then the output's two (cp_rio_out_rows) */
    int64_t fit = (int64_t)((budget - scratch) / 2 / row_bytes);
    if (rows > fit) rows = fit > 0 ? fit : 1;
    if (rows > ny) rows = ny;
    size_t fixed = 2 * row_bytes * (size_t)rows + scratch;
    cp_status s = CP_OK;
    float *sbuf = cp_rio_alloc(row_bytes * (size_t)rows);
    int64_t *cells = NULL, *col_start = NULL, *state = NULL;
    int32_t *srows = NULL;
    size_t ncells = 0, cap = 0;
    cpk_status ks = CPK_OK;
    cp_band_pool pool = {0};
    const char *pixeltype = GDALGetMetadataItem(band, "PIXELTYPE", "IMAGE_STRUCTURE");
    const int is_byte =
        GDALGetRasterDataType(band) == GDT_Byte && !(pixeltype && EQUAL(pixeltype, "SIGNEDBYTE"));
    if (!sbuf) {
        s = cp_fail(CP_E_NOMEM, "out of memory for a strip of %lld rows", (long long)rows);
        goto done;
    }
    /* a compressed input's blocks decoded on the threads */
    if ((s = cp_band_pool_open(&pool, band, path, pa->threads)) != CP_OK) goto done;
    if (progress && !progress(0.0, NULL, progress_arg)) {
        s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        goto done;
    }
    for (int64_t a = 0; a < ny; a += rows) {
        int64_t b = a + rows < ny ? a + rows : ny;
        /* Byte bands are read as they are: a quarter of the bytes, no conversion */
        uint8_t *bbuf = (uint8_t *)sbuf;
        cpk_view_f32 v = {sbuf, nx, b - a, (ptrdiff_t)nx, nd, has_nd};
        s = cp_band_read(&pool, band, path, 0, a, nx, b - a, is_byte ? (void *)bbuf : sbuf,
                         is_byte ? GDT_Byte : GDT_Float32, (ptrdiff_t)nx);
        if (s != CP_OK) goto done;
        size_t before = ncells;
#define LIST_STRIP()                                                                            \
    (is_byte ? cpk_edt_list_sources_u8(bbuf, nx, b - a, (ptrdiff_t)nx, has_nd, nd, &pa->src, a, \
                                       cells, cap, &ncells, pa->threads)                        \
             : cpk_edt_list_sources_f32(&v, &pa->src, a, cells, cap, &ncells, pa->threads))
        ks = LIST_STRIP();
        if (ks == CPK_E_NOMEM && ncells > cap) { /* grow the list and list this strip again */
            size_t want = ncells + ncells / 2 + 1024;
            if (fixed + want * 12 > budget) {
                s = cp_fail(CP_E_NOMEM,
                            "<%s> has too many source cells for --memory without --max-dist "
                            "(%.0f MB for %zu or more)",
                            path, (double)(fixed + ncells * 12) / 1048576.0, ncells);
                goto done;
            }
            int64_t *grown = realloc(cells, sizeof(int64_t) * want);
            if (!grown) {
                s = cp_fail(CP_E_NOMEM, "out of memory for %zu source cells", ncells);
                goto done;
            }
            cells = grown;
            cap = want;
            ncells = before;
            ks = LIST_STRIP();
        }
#undef LIST_STRIP
        if (ks != CPK_OK) goto kfail;
        if (progress && !progress(0.2 * (double)b / (double)ny, NULL, progress_arg)) {
            s = cp_fail(CP_E_INTERRUPTED, "interrupted");
            goto done;
        }
    }
    free(sbuf); /* the output's own strips from here */
    sbuf = NULL;
    col_start = malloc(sizeof(int64_t) * ((size_t)nx + 1));
    srows = malloc(sizeof(int32_t) * (ncells ? ncells : 1));
    state = malloc(sizeof(int64_t) * (3 * (size_t)nx + 1));
    if (!col_start || !srows || !state) {
        s = cp_fail(CP_E_NOMEM, "out of memory for %zu source cells", ncells);
        goto done;
    }
    ks = cpk_edt_index_sources(cells, ncells, nx, col_start, srows);
    if (ks != CPK_OK) goto kfail;
    int count = 0;
    for (int64_t a = 0; a < ny; a += rows) {
        int64_t b = a + rows < ny ? a + rows : ny;
        float *obuf; /* the output's: written from a thread of its own while the next strip runs */
        if ((s = cp_rio_out_rows(out, a, b - a, &obuf)) != CP_OK) goto done;
        cpk_out_f32 o = {obuf, nx, b - a, (ptrdiff_t)nx};
        ks = cpk_edt_cols_from_sources_f32(cells, ncells, col_start, srows, pa->dy, pa->max_dist, a,
                                           &o, state, pa->threads);
        if (ks == CPK_OK)
            ks = cpk_edt_rows_f32(&o, pa->dx, pa->dy, pa->max_dist, pa->fill, pa->threads);
        if (ks != CPK_OK) goto kfail;
        s = cp_rio_out_write(out, a, b - a, obuf, (ptrdiff_t)nx);
        if (s != CP_OK) goto done;
        ++count;
        if (progress && !progress(0.2 + 0.8 * (double)b / (double)ny, NULL, progress_arg)) {
            s = cp_fail(CP_E_INTERRUPTED, "interrupted");
            goto done;
        }
    }
    if (nstrips) *nstrips = count;
    goto done;
kfail:
    s = cp_fail(ks == CPK_E_NOMEM ? CP_E_NOMEM : CP_E_INTERNAL, "<%s>: %s", path, cpk_strerror(ks));
done:
    cp_band_pool_close(&pool);
    free(sbuf);
    free(cells);
    free(col_start);
    free(srows);
    free(state);
    return s;
}

static cp_status tool_proximity_quietly(const char *in_path, const char *out_path,
                                        const cp_proximity_options *opt, cp_progress_fn progress,
                                        void *progress_arg, cp_tool_result *result) {
    cp_proximity_options def = cp_proximity_defaults();
    if (!opt) opt = &def;
    if (!in_path || !out_path) return cp_fail(CP_E_ARG, "missing input or output path");
    if (!(opt->max_dist > 0) && !isinf(opt->max_dist))
        return cp_fail(CP_E_ARG, "maximum distance must be positive, got %g", opt->max_dist);
    if (opt->nvalues && !opt->values) return cp_fail(CP_E_ARG, "source values missing");
    GDALDataType type = GDT_Float32;
    if (opt->output_type) {
        type = GDALGetDataTypeByName(opt->output_type);
        if (type == GDT_Unknown)
            return cp_fail(CP_E_ARG, "unknown output type '%s'", opt->output_type);
    }
    GDALDatasetH ds = NULL;
    float *values = NULL;
    cp_rio_out out = {0};
    OGRSpatialReferenceH srs = NULL;
    cp_status s = cp_rio_open(in_path, &ds);
    if (s != CP_OK) return s;
    GDALRasterBandH band;
    int has_nd;
    float nd;
    s = cp_rio_band(ds, in_path, opt->band ? opt->band : 1, &band, &has_nd, &nd);
    if (s != CP_OK) goto done;
    cpk_geo geo;
    /* distances in cells need no CRS: the output has the input's or the assumed one, if any */
    if (opt->geo_units || GDALGetSpatialRef(ds) || opt->common.assume_crs)
        s = cp_rio_crs(ds, in_path, opt->common.assume_crs, 0, &srs);
    const int kept = cp_crs_assume_unused(GDALGetSpatialRef(ds), opt->common.assume_crs);
    if (s != CP_OK) goto done;
    if (opt->geo_units) {
        if ((s = cp_rio_geo(ds, in_path, &geo)) != CP_OK) goto done;
    } else if (cp_rio_geo(ds, in_path, &geo) != CP_OK) {
        /* distances in cells need no georeferencing */
        geo = (cpk_geo){0, 0, 1, 1, GDALGetRasterXSize(ds), GDALGetRasterYSize(ds)};
    }
    prox_arg pa = {{CPK_SOURCE_NONZERO, 0, NULL, 0}, 1, 1, opt->max_dist, 0, opt->common.threads};
    if (opt->geo_units) pa.dx = geo.dx, pa.dy = geo.dy;
    pa.fill = (float)(opt->has_nodata ? opt->nodata : 65535.0);
    if (opt->nvalues) {
        values = malloc(sizeof(float) * opt->nvalues);
        if (!values) {
            s = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        for (size_t k = 0; k < opt->nvalues; ++k) values[k] = (float)opt->values[k];
        pa.src = (cpk_sources){CPK_SOURCE_VALUES, 0, values, opt->nvalues};
    }
    int64_t halo = isinf(opt->max_dist) ? -1 : cpk_edt_halo(pa.dy, opt->max_dist);
    if (!isinf(opt->max_dist) && halo < 0) {
        s = cp_fail(CP_E_ARG, "invalid maximum distance %g", opt->max_dist);
        goto done;
    }
    {
        const char *inputs[] = {in_path, NULL};
        cp_output_options oo = cp_rio_tx_options("proximity", &opt->common, inputs);
        s = cp_rio_out_create(out_path, &geo, srs, type, 1, opt->has_nodata ? opt->nodata : 65535.0,
                              opt->common.creation_options, opt->common.threads, &oo, &out);
    }
    if (s != CP_OK) goto done;
    size_t budget =
        (opt->common.memory_mb ? opt->common.memory_mb : CP_MEMORY_DEFAULT_MB) * (size_t)1048576;
    int threads = cpk_threads(opt->common.threads);
    size_t fixed = (size_t)geo.nx * 40 * (size_t)threads;
    int strips = 0;
    if (halo < 0)
        s = prox_whole(band, in_path, has_nd, nd, &pa, budget, &out, progress, progress_arg,
                       &strips);
    else { /* a distance criterion run on its own: its raw value, the distance */
        cp_criterion cr = {.kind = CP_CRIT_DISTANCE, .max_m = opt->max_dist};
        cpk_geo units = geo; /* cells: distances in cells */
        units.dx = pa.dx, units.dy = pa.dy;
        cp_band_src src;
        s = cp_band_src_open(&src, band, in_path, opt->common.threads);
        cp_kind_tool t = {.criterion = &cr,
                          .geo = &units,
                          .band = &src,
                          .has_nodata = has_nd,
                          .nodata = nd,
                          .sources = &pa.src,
                          .fill = pa.fill,
                          .threads = opt->common.threads,
                          .memory_bytes = budget,
                          .fixed_bytes = fixed,
                          .out = &out,
                          .progress = progress,
                          .progress_arg = progress_arg};
        if (s == CP_OK) s = cp_kind_tool_run(&t, &strips);
        cp_band_src_close(&src);
    }
    if (s == CP_E_NOMEM && halo < 0)
        cp_fail_prefix(s,
                       "without a maximum distance (--max-dist) the distance transform "
                       "needs the whole grid; give one or raise --memory");
    if (s == CP_OK) s = cp_rio_out_commit(&out);
    if (s == CP_OK && result) {
        memset(result, 0, sizeof *result);
        result->cells = (long long)(geo.nx * geo.ny);
        result->strips = strips;
        if (kept) result->crs_kept[0] = in_path;
    }
done:
    cp_rio_out_abort(&out);
    if (srs) OSRDestroySpatialReference(srs);
    free(values);
    if (ds) GDALClose(ds);
    return s;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_tool_proximity(const char *in_path, const char *out_path,
                            const cp_proximity_options *opt, cp_progress_fn progress,
                            void *progress_arg, cp_tool_result *result) {
    cp_gdal_quiet_begin();
    cp_status s = tool_proximity_quietly(in_path, out_path, opt, progress, progress_arg, result);
    cp_gdal_quiet_end();
    return s;
}
