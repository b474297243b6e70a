/* clearplan proximity: exact distance to the nearest source cell (tools.h). */
#include <math.h>
#include <stdio.h>
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

/* Without a maximum distance a row's nearest source can lie anywhere below it. Instead of
 * holding the input and the output (two Float32 grids), the input is streamed once top down
 * keeping only the list of its source cells, and each output row is computed from that list
 * (column distances, row pass) and written as soon as no source still unread could come
 * nearer (cpk/edt.h, "Early rows"): with sources a few hundred rows apart or closer the output
 * is written while the input is read, not after it. Memory: the sources not yet passed
 * (12 bytes each), one input strip and the output's two. */
typedef struct {
    const prox_arg *pa;
    const char *path;
    cp_rio_out *out;
    int64_t nx, ny, rows; /* grid; strip height */
    size_t budget, fixed; /* --memory; what the strips and scratch take */
    int64_t *cells;       /* listed sources, row-major: [first, ncells) not yet passed into up */
    size_t first, ncells, cap;
    float *up;          /* nx: each column's last source above `done` (-Inf: none) */
    int64_t *col_start; /* nx + 1: the window's index by column */
    int32_t *wrows;
    size_t wcap;
    float *rowmax;       /* rows: the largest distance of each row of a try */
    int64_t known, done; /* input rows read; output rows written */
    int64_t need;        /* rows to read before the next try */
    int64_t lag;         /* the most rows a published row needed read below it */
    int any;             /* a source was read */
    long long tried;     /* rows computed, published or not */
    int strips;          /* writes */
} prox_stream;

static cp_status kernel_fail(const prox_stream *st, cpk_status ks) {
    return cp_fail(ks == CPK_E_NOMEM ? CP_E_NOMEM : CP_E_INTERNAL, "<%s>: %s", st->path,
                   cpk_strerror(ks));
}

/* Appends the sources of the strip just read (rows a..b) to the list, grown as needed after
 * dropping the sources already passed into `up`. */
static cp_status stream_list(prox_stream *st, const float *sbuf, int is_byte, int has_nd, float nd,
                             int64_t a, int64_t b) {
    const prox_arg *pa = st->pa;
    const int64_t nx = st->nx;
    const uint8_t *bbuf = (const uint8_t *)sbuf;
    cpk_view_f32 v = {sbuf, nx, b - a, (ptrdiff_t)nx, nd, has_nd};
    if (st->first > 0) { /* drop the sources passed into `up` */
        memmove(st->cells, st->cells + st->first, sizeof(int64_t) * (st->ncells - st->first));
        st->ncells -= st->first;
        st->first = 0;
    }
    for (int attempt = 0;; ++attempt) {
        size_t before = st->ncells;
        cpk_status ks =
            is_byte ? cpk_edt_list_sources_u8(bbuf, nx, b - a, (ptrdiff_t)nx, has_nd, nd, &pa->src,
                                              a, st->cells, st->cap, &st->ncells, pa->threads)
                    : cpk_edt_list_sources_f32(&v, &pa->src, a, st->cells, st->cap, &st->ncells,
                                               pa->threads);
        if (ks == CPK_OK) {
            st->any = st->any || st->ncells > 0;
            return CP_OK;
        }
        if (ks != CPK_E_NOMEM || st->ncells <= st->cap || attempt > 0) return kernel_fail(st, ks);
        /* grow, within what --memory leaves beside the strips, and list this strip again */
        size_t total = st->ncells, room = (st->budget - st->fixed) / 12;
        st->ncells = before;
        size_t want = total + total / 2 + 1024;
        if (want < 2 * st->cap) want = 2 * st->cap;
        if (want > room) want = room;
        if (total > room)
            return cp_fail(CP_E_NOMEM,
                           "<%s> has too many source cells for --memory without --max-dist "
                           "(%.0f MB for %zu or more within reach of one another)",
                           st->path, (double)(st->fixed + total * 12) / 1048576.0, total);
        int64_t *grown = realloc(st->cells, sizeof(int64_t) * want);
        if (!grown) return cp_fail(CP_E_NOMEM, "out of memory for %zu source cells", total);
        st->cells = grown;
        st->cap = want;
    }
}

/* The window's sources (those not passed into `up`) indexed by column. */
static cp_status stream_index(prox_stream *st) {
    const size_t n = st->ncells - st->first;
    if (n > st->wcap) {
        size_t want = n + n / 2 + 1024;
        int32_t *grown = realloc(st->wrows, sizeof(int32_t) * want);
        if (!grown) return cp_fail(CP_E_NOMEM, "out of memory for %zu source cells", n);
        st->wrows = grown;
        st->wcap = want;
    }
    cpk_status ks =
        cpk_edt_index_sources(st->cells + st->first, n, st->nx, st->col_start, st->wrows);
    return ks == CPK_OK ? CP_OK : kernel_fail(st, ks);
}

/* One try: computes the rows from `done` that the sources read so far may settle, writes those
 * that are final and passes their sources into `up`. Sets *waiting when the rest must wait
 * for more input rows. */
static cp_status stream_try(prox_stream *st, int *waiting) {
    const prox_arg *pa = st->pa;
    const int64_t nx = st->nx, ny = st->ny, row0 = st->done;
    const int all_read = st->known == ny;
    /* a whole strip, once the rows below it are read as far as the rows published so far
     * needed (no source read yet: every distance is still unknown) */
    int64_t n = row0 + st->rows < ny ? st->rows : ny - row0;
    /* GDAL writes whole rows of blocks: strips end on them, so that each block is compressed
     * once and the file holds the same bytes for any --memory and -j. Strips lower than a
     * block (a small --memory) publish nothing early. */
    const int64_t br = st->out->direct ? 1 : st->out->block_rows;
    if (br > 1 && st->rows >= br && row0 + n < ny) n -= (row0 + n) % br;
    if (!all_read && br > 1 && st->rows < br) {
        st->need = ny;
        *waiting = 1;
        return CP_OK;
    }
    if (!all_read && (!st->any || row0 + n + st->lag > st->known)) {
        st->need = row0 + n + st->lag;
        if (st->need <= st->known) st->need = st->known + 1;
        *waiting = 1;
        return CP_OK;
    }
    cp_status s = stream_index(st);
    float *obuf; /* the output's: written from a thread of its own while the next strip runs */
    if (s == CP_OK) s = cp_rio_out_rows(st->out, row0, n, &obuf);
    if (s != CP_OK) return s;
    cpk_out_f32 o = {obuf, nx, n, (ptrdiff_t)nx};
    cpk_status ks =
        cpk_edt_cols_window_f32(st->cells + st->first, st->ncells - st->first, st->col_start,
                                st->wrows, st->up, pa->dy, pa->max_dist, row0, &o, pa->threads);
    /* before the input's end a cell with no source yet is +Inf: never final */
    if (ks == CPK_OK)
        ks = all_read ? cpk_edt_rows_f32(&o, pa->dx, pa->dy, pa->max_dist, pa->fill, pa->threads)
                      : cpk_edt_rows_max_f32(&o, pa->dx, pa->dy, pa->max_dist, INFINITY, st->rowmax,
                                             pa->threads);
    if (ks != CPK_OK) return kernel_fail(st, ks);
    st->tried += n;
    int64_t f = n, reach = 0;
    if (!all_read)
        f = cpk_edt_final_rows(st->rowmax, n, row0, st->known, pa->dy, &st->need, &reach);
    if (f == n && reach > st->lag) st->lag = reach; /* all final: the reach is true */
    if (!all_read && br > 1) f -= (row0 + f) % br;  /* whole rows of blocks (above) */
    if (f > 0) {
        if ((s = cp_rio_out_write(st->out, row0, f, obuf, (ptrdiff_t)nx)) != CP_OK) return s;
        st->first +=
            cpk_edt_up_advance(st->cells + st->first, st->ncells - st->first, nx, row0 + f, st->up);
        st->done += f;
        st->strips++;
    }
    *waiting = f < n;
    return CP_OK;
}

static int stream_progress(const prox_stream *st, cp_progress_fn progress, void *progress_arg) {
    double frac = 0.5 * (double)(st->known + st->done) / (double)st->ny;
    return !progress || progress(frac, NULL, progress_arg);
}

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
    /* the row pass's scratch, the column window's state and index, up[] */
    size_t scratch = (size_t)nx * (40 * (size_t)cpk_threads(pa->threads) + 40 + 24 + 12);
    if (budget < scratch + 3 * row_bytes)
        return cp_fail(CP_E_NOMEM, "<%s>: --memory %.0f MB is too small for rows of %lld cells",
                       path, (double)budget / 1048576.0, (long long)nx);
    /* half for the strips: the input's one and the output's two */
    int64_t fit = (int64_t)((budget - scratch) / 2 / 3 / row_bytes);
    if (rows > fit) rows = fit > 0 ? fit : 1;
    if (rows > ny) rows = ny;
    prox_stream st = {.pa = pa,
                      .path = path,
                      .out = out,
                      .nx = nx,
                      .ny = ny,
                      .rows = rows,
                      .budget = budget,
                      .fixed = 3 * row_bytes * (size_t)rows + scratch};
    cp_status s = CP_OK;
    cp_band_pool pool = {0};
    float *sbuf = cp_rio_alloc(row_bytes * (size_t)rows);
    st.up = malloc(sizeof(float) * (size_t)nx);
    st.col_start = malloc(sizeof(int64_t) * ((size_t)nx + 1));
    st.rowmax = malloc(sizeof(float) * (size_t)rows);
    const char *pixeltype = GDALGetMetadataItem(band, "PIXELTYPE", "IMAGE_STRUCTURE");
    /* Byte bands are read as they are: a quarter of the bytes, no conversion */
    const int is_byte =
        GDALGetRasterDataType(band) == GDT_Byte && !(pixeltype && EQUAL(pixeltype, "SIGNEDBYTE"));
    if (!sbuf || !st.up || !st.col_start || !st.rowmax) {
        s = cp_fail(CP_E_NOMEM, "out of memory for a strip of %lld rows", (long long)rows);
        goto done;
    }
    for (int64_t i = 0; i < nx; ++i) st.up[i] = -INFINITY;
    /* a compressed input's blocks decoded on the threads */
    if ((s = cp_band_pool_open(&pool, band, path, pa->threads)) != CP_OK) goto done;
    if (!stream_progress(&st, progress, progress_arg)) goto interrupted;
    while (st.done < ny) {
        if (st.known < ny) { /* read and list the next strip */
            int64_t a = st.known, b = a + rows < ny ? a + rows : ny;
            s = cp_band_read(&pool, band, path, 0, a, nx, b - a, sbuf,
                             is_byte ? GDT_Byte : GDT_Float32, (ptrdiff_t)nx);
            if (s == CP_OK) s = stream_list(&st, sbuf, is_byte, has_nd, nd, a, b);
            if (s != CP_OK) goto done;
            st.known = b;
        }
        /* publish what is final */
        int waiting = 0;
        while (st.done < ny && !waiting && (st.known == ny || st.known >= st.need)) {
            if ((s = stream_try(&st, &waiting)) != CP_OK) goto done;
            if (!stream_progress(&st, progress, progress_arg)) goto interrupted;
        }
        if (!stream_progress(&st, progress, progress_arg)) goto interrupted;
    }
    if (nstrips) *nstrips = st.strips;
    if (getenv("CP_DEBUG_PROXIMITY")) /* how much was computed twice */
        fprintf(stderr, "proximity: %lld rows computed for %lld, %d writes\n", st.tried,
                (long long)ny, st.strips);
    goto done;
interrupted:
    s = cp_fail(CP_E_INTERRUPTED, "interrupted");
done:
    cp_band_pool_close(&pool);
    free(sbuf);
    free(st.cells);
    free(st.up);
    free(st.col_start);
    free(st.wrows);
    free(st.rowmax);
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
                       "without a maximum distance (--max-dist) a row waits for every "
                       "source that may be nearest to it; give one or raise --memory");
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
