/* cpk/edt.h — exact Euclidean distance transform.
 *
 * For every cell, the Euclidean distance from its centre to the centre of the nearest source
 * cell, with cells dx metres wide and dy metres high:
 *
 *     d^2 = min over sources (a^2 + b^2),  a = (double)di * dx,  b = (double)dj * dy
 *
 * evaluated in double exactly as written and rounded once to float (sqrt(d^2)). Pass
 * dx = dy = 1 for distances in cells.
 *
 * Algorithm (Felzenszwalb & Huttenlocher 2012, separable): a vertical pass gives each cell the
 * row distance to the nearest source in its column (parallel over column blocks, row-major
 * sweeps); a horizontal pass takes the lower envelope of the parabolas ((i - q) dx)^2 + g_q^2
 * of each row (parallel over rows). O(cells), independent of the distances.
 *
 * Maximum distance: cells whose nearest source is farther than `max_dist` (d^2 > max_dist^2)
 * get `fill`, and so do all cells when there is no source. Column distances g with
 * (g * dy)^2 > max_dist^2 are dropped before the horizontal pass, so the rows row0..row1 of a
 * strip read from a view with a halo of cpk_edt_halo(dy, max_dist) rows equal those of the
 * whole grid bit for bit. With max_dist = INFINITY the view must hold the whole grid.
 *
 * The result does not depend on the thread count. */
#ifndef CPK_EDT_H
#define CPK_EDT_H

#include "cpk/cpk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which cells of the input view are sources. Nodata and NaN cells never are. */
typedef enum {
    CPK_SOURCE_NONZERO = 0, /* cells != 0 (a mask; gdal_proximity's default) */
    CPK_SOURCE_AT_LEAST,    /* cells >= min */
    CPK_SOURCE_VALUES,      /* cells equal to one of values[0..nvalues) */
} cpk_source_kind;

typedef struct {
    cpk_source_kind kind;
    float min;           /* CPK_SOURCE_AT_LEAST */
    const float *values; /* CPK_SOURCE_VALUES */
    size_t nvalues;
} cpk_sources;

/* Largest view row count a view can hold (column distances are kept as floats). */
#define CPK_EDT_MAX_ROWS ((int64_t)1 << 24)

/* Rows of halo a strip needs above and below: the largest g with (g * dy)^2 <= max_dist^2.
 * -1 when max_dist is infinite (the whole grid is needed) or the arguments are invalid. */
CPK_API int64_t cpk_edt_halo(double dy, double max_dist);

/* Distance transform of the view rows row0..row1 of `in`.
 *
 *  in        input view (strip plus halo, or the whole grid); in->ny <= CPK_EDT_MAX_ROWS
 *  src       which cells are sources
 *  dx, dy    cell width and height (> 0, finite); metres, or 1 for cells
 *  max_dist  >= 0; INFINITY for no limit
 *  fill      value for cells with no source within max_dist (e.g. INFINITY or a nodata value)
 *  row0,row1 rows of the view to compute, 0 <= row0 <= row1 <= in->ny
 *  out       row1 - row0 rows of in->nx cells; out row k is view row row0 + k
 *  nthreads  threads (cpk_threads())
 *
 * Scratch: about 40 bytes per column per thread. */
CPK_API cpk_status cpk_edt_f32(const cpk_view_f32 *in, const cpk_sources *src, double dx, double dy,
                               double max_dist, float fill, int64_t row0, int64_t row1,
                               const cpk_out_f32 *out, int nthreads);

/* Streaming interface: the same transform in three steps, so that a caller can read the
 * input strip by strip and hold only the column distances of the whole grid (one Float32
 * grid) instead of the input and the output. For a grid of ny rows:
 *
 *   1. run[] = +Inf; for each strip from the bottom up (or top down):
 *        cpk_edt_sweep_f32(strip, src, dy, max_dist, upward, run, g rows of the strip)
 *   2. run[] = +Inf; for each strip in the other direction:
 *        cpk_edt_merge_f32(g rows of the strip, dy, max_dist, !upward, run)
 *        cpk_edt_rows_f32(g rows of the strip, dx, dy, max_dist, fill)   (now final)
 *
 * gives exactly the rows of cpk_edt_f32 on the whole grid. `run` holds nx floats carried
 * from strip to strip; the result does not depend on the strips or the thread count. */

/* First column sweep over all rows of the view (a strip), bottom-up when `upward`:
 * run = 0 on a source, run + 1 otherwise (+Inf beyond max_dist / dy rows); row k of the view
 * gets the value of `run` after it in row k of `g` (g->ny >= in->ny, g->nx == in->nx), or
 * only `run` is updated when g is NULL. */
CPK_API cpk_status cpk_edt_sweep_f32(const cpk_view_f32 *in, const cpk_sources *src, double dy,
                                     double max_dist, int upward, float *run, const cpk_out_f32 *g,
                                     int nthreads);

/* Second column sweep, in place over rows of g produced by cpk_edt_sweep_f32 in the other
 * direction (0 marks a source): g = min(g, run). */
CPK_API cpk_status cpk_edt_merge_f32(const cpk_out_f32 *g, double dy, double max_dist, int upward,
                                     float *run, int nthreads);

/* Row pass, in place: turns rows of final column distances into distances (fill beyond
 * max_dist or with no source). Scratch: 40 bytes per column per thread. */
CPK_API cpk_status cpk_edt_rows_f32(const cpk_out_f32 *g, double dx, double dy, double max_dist,
                                    float fill, int nthreads);

/* The same, and rowmax[r] (g->ny floats) the largest value >= 0 of row r afterwards (0 when
 * none; +Inf where a cell got fill = +Inf). */
CPK_API cpk_status cpk_edt_rows_max_f32(const cpk_out_f32 *g, double dx, double dy, double max_dist,
                                        float fill, float *rowmax, int nthreads);

/* Carried-state strips: with a finite max_dist, a caller going down the grid strip by strip
 * carries the column run from above in `down` (nx floats) instead of a halo above each strip:
 *
 *   in    the strip (view rows row0..row1) and after it the rows below it up to
 *         cpk_edt_halo(dy, max_dist) (or the grid's end); rows above row0 are read only when
 *         `warm`
 *   warm  1 for a strip that does not follow the previous call's (the first one): `down` is
 *         reset and swept over view rows 0..row0 (the halo above: cpk_edt_halo rows, or
 *         the grid's start); 0 carries `down` from the previous strip, whose row1 was this row0
 *   out   row1 - row0 rows of in->nx cells
 *
 * The rows below are swept upwards for the run from below (their only cost: about halo / h of
 * a column sweep each strip); then merge and the row pass. Gives exactly the rows of
 * cpk_edt_f32 on the whole grid, for any strips and thread counts. Scratch: nx floats and
 * the row pass's. */
CPK_API cpk_status cpk_edt_strip_f32(const cpk_view_f32 *in, const cpk_sources *src, double dx,
                                     double dy, double max_dist, float fill, int64_t row0,
                                     int64_t row1, int warm, float *down, const cpk_out_f32 *out,
                                     int nthreads);

/* Source-list interface: for a grid without a maximum distance, a caller can stream the input
 * once in strips, keep only the list of its source cells, and then compute the output strip
 * by strip: memory is the list plus a strip, not a grid.
 *
 *   1. for each strip, top down: cpk_edt_list_sources_f32(strip, src, first grid row, ...)
 *      appends the strip's sources (grid cells j * nx + i, row-major);
 *   2. cpk_edt_index_sources(): the list by column (col_start[nx + 1], rows[], ascending);
 *   3. for each strip, top down: cpk_edt_cols_from_sources_f32() (column distances of its
 *      rows, state carried from strip to strip) then cpk_edt_rows_f32() (distances).
 *
 * gives exactly the rows of cpk_edt_f32 on the whole grid, for any strips and threads. */

/* Appends the sources of view rows 0..in->ny (grid rows grid_row0..) to cells[*count..] as
 * j * nx + i, in row-major order, and adds their number to *count. When they do not fit in
 * `cap` entries, writes nothing, sets *count to the total needed and returns CPK_E_NOMEM:
 * grow the list and call again. Scratch: nx bytes per thread and 8 bytes per view row. */
CPK_API cpk_status cpk_edt_list_sources_f32(const cpk_view_f32 *in, const cpk_sources *src,
                                            int64_t grid_row0, int64_t *cells, size_t cap,
                                            size_t *count, int nthreads);

/* The same for a Byte strip (ny rows of nx values, row k at data + k * stride): a Byte input
 * read without conversion. Cells equal to `nodata` (when has_nodata) are never sources. */
CPK_API cpk_status cpk_edt_list_sources_u8(const uint8_t *data, int64_t nx, int64_t ny,
                                           ptrdiff_t stride, int has_nodata, float nodata,
                                           const cpk_sources *src, int64_t grid_row0,
                                           int64_t *cells, size_t cap, size_t *count, int nthreads);

/* Indexes a row-major list of n source cells of a grid nx cells wide by column: the rows of
 * column i are rows[col_start[i] .. col_start[i + 1]), ascending. Rows must be below
 * CPK_EDT_MAX_ROWS. */
CPK_API cpk_status cpk_edt_index_sources(const int64_t *cells, size_t n, int64_t nx,
                                         int64_t *col_start, int32_t *rows);

/* Column distances (rows to the nearest source of the column, +Inf beyond max_dist / dy rows
 * or with no source) of grid rows row0 .. row0 + g->ny into g, from the row-major list of the
 * n sources (`cells`, as listed) and its index by column. `state` (3 * nx + 1 words,
 * caller-owned) carries the position in each column and in the list: it is reset when
 * row0 == 0, and successive calls must then cover consecutive rows downwards. */
CPK_API cpk_status cpk_edt_cols_from_sources_f32(const int64_t *cells, size_t n,
                                                 const int64_t *col_start, const int32_t *rows,
                                                 double dy, double max_dist, int64_t row0,
                                                 const cpk_out_f32 *g, int64_t *state,
                                                 int nthreads);

/* Early rows: a caller streaming the input top down need not wait for its last row before it
 * publishes the first rows of the output. With the sources of grid rows 0 .. known - 1 listed,
 * the distances of a row j < known computed from those sources alone (fill = +Inf where there
 * is none) are the final ones wherever every cell's value v of the row has
 * v <= cpk_edt_reach_f32(dy, known - j): a source not yet read lies known - j rows away or
 * more, and the header's expression a^2 + b^2 is no smaller than b^2 and grows with |b|,
 * through every rounding. The rows are then bit for bit those of cpk_edt_f32 on the whole
 * grid. With a row-major list of the sources and `up` (nx floats, -Inf) carried down:
 *
 *   after each strip read (grid rows up to `known`), while rows are pending from `done`:
 *     cpk_edt_index_sources() over the listed sources at or below `done` (the window);
 *     cpk_edt_cols_window_f32(window, up, done, g) for rows done .. done + n (n <= known - done);
 *     cpk_edt_rows_max_f32(g, fill = +Inf, rowmax);
 *     f = cpk_edt_final_rows(rowmax, n, done, known, dy, &need): publish rows done .. done + f;
 *     cpk_edt_up_advance(window, nx, done + f, up) passes their sources into `up`; done += f;
 *     if f < n, wait until `known` >= need: all n rows are final then (more sources only bring
 *     the distances down), so no row is computed more than twice;
 *   and the rows left when the whole input is read are final (with the real fill).
 *
 * The smallest value a source k rows away (k >= 0) can give a cell: sqrt((k * dy)^2) rounded
 * to float, as the transform rounds. */
CPK_API float cpk_edt_reach_f32(double dy, int64_t k);

/* Of the rows row0 .. row0 + nrows with the largest values rowmax[] (cpk_edt_rows_max_f32),
 * the number of leading rows that are final once grid rows 0 .. known - 1 are read; in *need
 * (may be NULL) the rows to have read for all of them to be, and in *reach (may be NULL) the
 * most rows any of them needs read below it: INT64_MAX when one has a cell with no source
 * yet (+Inf). */
CPK_API int64_t cpk_edt_final_rows(const float *rowmax, int64_t nrows, int64_t row0, int64_t known,
                                   double dy, int64_t *need, int64_t *reach);

/* Column distances of grid rows row0 .. row0 + g->ny from the row-major list of the n sources
 * listed at or below row0 (`cells`, indexed by column with cpk_edt_index_sources: col_start,
 * rows) and up[i], the row of the nearest source above row0 in column i (-Inf: none): as
 * cpk_edt_cols_from_sources_f32 on a grid whose only sources below row0 are those listed.
 * Scratch: 3 words per column. */
CPK_API cpk_status cpk_edt_cols_window_f32(const int64_t *cells, size_t n, const int64_t *col_start,
                                           const int32_t *rows, const float *up, double dy,
                                           double max_dist, int64_t row0, const cpk_out_f32 *g,
                                           int nthreads);

/* Passes the leading sources of a row-major list that lie above row row1 into up[] (each
 * column's last one wins) and returns their number. */
CPK_API size_t cpk_edt_up_advance(const int64_t *cells, size_t n, int64_t nx, int64_t row1,
                                  float *up);

#ifdef __cplusplus
}
#endif

#endif
