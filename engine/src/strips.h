/* The strip engine (DESIGN §3, §13): the one loop under `clearplan run` and every raster tool,
 * in the manner of GRASS's r.resamp.stats: for each strip of rows, serially, read the strip of
 * every input with its halo into a sliding window (rows the previous strip read are kept,
 * not read again), then call the strip function (parallel kernels, then serial writes), then
 * report progress. Strip heights come from the memory budget. Not part of the API. */
#ifndef CP_STRIPS_H
#define CP_STRIPS_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/status.h>

#include "criteria.h"
#include "raster.h"

/* An input of the loop: a row source and the rows a strip needs above and below it. When
 * `carried`, the strips after the first of a range need only `halo_above` rows above (<= halo:
 * the criteria reading it carry the rest from strip to strip, cp_kind.carries); the first
 * strip gets `halo` rows above to start from. */
typedef struct {
    cp_row_reader read;
    void *src;
    int64_t halo;
    int carried;
    int64_t halo_above;
    cp_window win; /* filled by the loop: grid rows win.v0 .. win.v1 */
} cp_strip_input;

/* One loop over the rows of a grid. */
typedef struct {
    int64_t nx, ny;         /* the grid */
    int64_t y_begin, y_end; /* the rows to run over (both 0: all of them) */
    int64_t rows;           /* strip height (cp_strip_rows) */
    cp_strip_input *inputs;
    size_t ninputs;
    /* Called for each strip y0 .. y0 + h once the inputs hold it with their halos. */
    cp_status (*strip)(void *arg, int64_t y0, int64_t h);
    void *arg;
    /* Progress from p0 to p1 with `message` (may be NULL); a 0 return stops the loop with
     * CP_E_INTERRUPTED. Called from this thread only. */
    cp_progress_fn progress;
    void *progress_arg;
    const char *message;
    double p0, p1;
} cp_strip_loop;

/* Runs the loop; *nstrips (may be NULL) gets the number of strips. The windows are freed. */
cp_status cp_strips_run(cp_strip_loop *loop, int *nstrips);

/* Rows of a strip under `memory_bytes` when each strip row costs `bytes_per_row` and
 * `fixed_bytes` are needed whatever the strip (halos, scratch): rounded down to a multiple of
 * `align` rows when that leaves one, at least 1, at most the grid's `ny`. */
int64_t cp_strip_rows(size_t memory_bytes, size_t fixed_bytes, size_t bytes_per_row, int64_t align,
                      int64_t ny);

/* `rows` capped at the larger of ten halos and the rows of a strip of CP_STRIP_CACHE_BYTES
 * (`bytes_per_row` each), rounded up to `align`: the budget is a ceiling, not a target. A
 * taller strip only costs fresh pages to fault in and planes that no longer stay in the
 * caches between one kernel and the next (the demo: 3.2-3.4 s at 1,024 rows of 195 kB
 * against 2.6 s at 330, 283 against 150 MB); at ten halos the rows computed again stay a
 * small share (the national grid at 64 rows, two halos: 391 against 205 s). */
#define CP_STRIP_CACHE_BYTES ((size_t)64 << 20)
int64_t cp_strip_rows_cap(int64_t rows, int64_t halo, size_t bytes_per_row, int64_t align);

/* A criterion kind run on its own (the raster tools, DESIGN §11): the kind's raw value (a
 * sum, a distance, a density) of a raster or of points, strip by strip through the loop above,
 * into an output. */
typedef struct {
    const cp_criterion *criterion; /* the kind and its settings */
    const cpk_geo *geo;            /* the grid (the input's own), in the output's units */
    cp_band_src *band;             /* raster input (NULL: none) */
    int has_nodata;
    float nodata;
    const cpk_points *points;   /* point input (NULL: none) */
    const cpk_sources *sources; /* distance: which cells are sources */
    float fill;                 /* distance: the value beyond max_m */
    int threads;
    size_t memory_bytes, fixed_bytes; /* the budget, and the kernel's scratch within it */
    cp_rio_out *out;
    cp_progress_fn progress;
    void *progress_arg;
} cp_kind_tool;

cp_status cp_kind_tool_run(const cp_kind_tool *t, int *nstrips);

#endif
