/* The ranks of an MPI job running one command (clearplan/mpirun.h; DESIGN §13, §16), and how
 * one job stays bit-identical to one process. Not part of the API.
 *
 * Dealing. Strips are dealt to the ranks as contiguous blocks of whole strips of the same height
 * as one process's (`rows`), rank 0 the first block: every strip is the same rows, read with the
 * same halos and computed exactly as one process computes it. Samples (Monte Carlo) are dealt
 * the same way, as blocks of sample indices.
 *
 * Combining. What a run carries from strip to strip is either exact in any order (counts,
 * sums of whole numbers below 2^53, minima, maxima: cp_ranks_allreduce) or a floating-point
 * fold in row order, which is not associative and so cannot be summed rank by rank:
 *  - per-polygon zonal sums (cpk_zonal_f32 adds each row's partial to a polygon's totals, row
 *    after row): cp_ranks_zonal. A polygon's home is the rank holding the first row of its
 *    window: the home folds the rows it holds exactly as one process does. A later rank that
 *    the window reaches records the polygon's row partials instead (one row at a time from
 *    zero, which is what the kernel adds), and rank 0 folds the records of rank 1, 2, ... in
 *    turn into the home's totals: the same additions, in the same order, as one process.
 *  - per-row partials (raster statistics): gathered in rank order, which is row order
 *    (cp_ranks_gather), and folded by rank 0.
 *  - per-sample results: gathered in rank order, which is sample order.
 *
 * Failing together. Ranks agree on a status after each phase (cp_ranks_agree): every rank
 * returns the same failure with the failing rank's message, and only rank 0, which owns the
 * output transaction, removes what was written. Between agreements a rank talks to no other,
 * so a rank that fails inside a phase goes straight to the next agreement and waits there.
 *
 * A job of one (no MPI in the build, MPI not initialised, or one rank) is the plain code path:
 * every call here is then a no-op or the plain kernel call. */
#ifndef CP_RANKS_H
#define CP_RANKS_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/evidence.h>
#include <clearplan/status.h>

#include "cog.h"
#include "cpk/zonal.h"

/* MPI's communicator of the job (ranks.c). */
typedef struct cp_ranks_comm cp_ranks_comm;

typedef struct {
    int rank, size;
    cp_ranks_comm *comm; /* NULL: a job of one */
    /* Called every few milliseconds while this rank waits for the others in cp_ranks_agree
     * (NULL: none); a wait is never cut short by it. Rank 0 watches for Ctrl-C there. */
    void (*poll)(void *arg);
    void *poll_arg;
} cp_ranks;

/* The job's ranks (a communicator of its own, duplicated from MPI_COMM_WORLD) when `use_mpi`
 * and MPI is initialised; else a job of one. */
cp_status cp_ranks_open(int use_mpi, cp_ranks *r);
void cp_ranks_close(cp_ranks *r);

/* Items 0 .. n-1 dealt to `size` ranks in contiguous blocks in rank order: rank k gets
 * [*first, *end) = [n k / size, n (k + 1) / size). */
void cp_ranks_deal(int64_t n, int size, int rank, int64_t *first, int64_t *end);

/* Rows [*y0, *y1) of a grid of `ny` rows that rank `rank` holds: its block of the strips of
 * `rows` rows (cp_ranks_deal of the strips). Empty (*y0 == *y1) when it holds no strip. */
void cp_ranks_rows(int64_t ny, int64_t rows, int size, int rank, int64_t *y0, int64_t *y1);

/* The rank holding row y (0 <= y < ny). */
int cp_ranks_row_owner(int64_t ny, int64_t rows, int size, int64_t y);

/* The data this rank received and sent so far (gathers, zonal sums, broadcasts; not the
 * agreements' few bytes). */
void cp_ranks_traffic(const cp_ranks *r, uint64_t *bytes_in, uint64_t *bytes_out);

/* The agreement after a phase (clearplan/mpirun.h, cp_mpi_agree): every rank calls it with its
 * status and gets the same one back. */
cp_status cp_ranks_agree(const cp_ranks *r, cp_status s);

/* A phase in which the ranks work apart (the strip loop): a rank that fails in it tells the
 * others at once, and they stop at their next strip instead of finishing their blocks.
 * cp_ranks_phase_begin before it; cp_ranks_peer_failed (cheap: a test of a posted receive)
 * between strips, a stop then ending the rank's loop as an interruption; cp_ranks_phase_end
 * after it with the rank's status: it tells the others of a failure of the rank's own, takes
 * in every notice, and agrees (cp_ranks_agree), so that the failing rank's message wins over
 * the stops it caused. Collective: begin and end. */
cp_status cp_ranks_phase_begin(const cp_ranks *r);
int cp_ranks_peer_failed(const cp_ranks *r);
cp_status cp_ranks_phase_end(const cp_ranks *r, cp_status s);

/* Rank 0's `bytes` at buf to every rank. */
cp_status cp_ranks_bcast(const cp_ranks *r, void *buf, size_t bytes);

typedef enum { CP_RANKS_SUM, CP_RANKS_MIN, CP_RANKS_MAX } cp_ranks_op;

/* Combines n doubles over the ranks, the result on every rank. CP_RANKS_SUM only for sums
 * that are exact in any order (whole numbers below 2^53: cell counts). */
cp_status cp_ranks_allreduce(const cp_ranks *r, double *v, size_t n, cp_ranks_op op);

/* Sums n whole numbers over the ranks in place (exact in any order), the result on every
 * rank. */
cp_status cp_ranks_sum_u32(const cp_ranks *r, uint32_t *v, size_t n);

/* Every rank's `bytes` at `mine`, concatenated in rank order into *all (malloc'd, *all_bytes
 * long) on rank 0; *all is NULL on the others. */
cp_status cp_ranks_gather(const cp_ranks *r, const void *mine, size_t bytes, void **all,
                          size_t *all_bytes);

/* The job's raster file of uncompressed strips (cog.h) at `path`, the same on every rank:
 * rank 0 creates it, then every rank opens it to write its own rows. A collective call. */
cp_status cp_ranks_strip_file(const cp_ranks *r, const char *path, const cp_grid *g,
                              GDALDataType type, double nodata, cp_strip_file *f);

/* ---- per-polygon zonal sums over the ranks (see the header comment) ---- */

typedef struct {
    const cp_ranks *r;
    const cpk_polygon *polys;
    const cpk_window *wins; /* the polygons' windows on the grid (cpk_coverage_window) */
    int64_t n;
    int nbands;
    cpk_zonal_acc *acc; /* n x nbands totals, [p * nbands + b] */
    double **cw;        /* per band: its class weights (NULL: no classes), as cpk_zonal_band */
    int64_t *ncls;      /* per band: its classes + 1, or 0 */
    int64_t ncw;        /* class weights per polygon over all bands */
    int64_t ny, rows;   /* the grid's rows, the strips' height */
    int64_t y0, y1;     /* this rank's rows */
    /* a job of several */
    cpk_window *home_wins; /* wins, with the windows of polygons homed elsewhere emptied */
    int64_t naway;         /* polygons homed on an earlier rank reaching this rank's rows */
    int64_t *away;         /* their indices, ascending */
    int64_t *away_rec;     /* first record of each: its rows y0 .. end of its window */
    int64_t nrec;
    cpk_zonal_acc *rec_acc; /* per record: nbands row partials */
    double *rec_cw;         /* per record: ncw class weights */
    /* scratch of a one-row call */
    cpk_polygon *sub_polys;
    cpk_window *sub_wins;
    int64_t *sub_away;
    cpk_zonal_acc *row_acc;
    double *row_cw;
} cp_ranks_zonal;

/* Prepares the sums of `n` polygons over `nbands` bands into `acc` (n x nbands, initialised
 * by the caller with cpk_zonal_acc_init) and the bands' class weights (bands[b].classes,
 * nclasses and class_weight as cpk_zonal_f32 takes them, zeroed by the caller; the views are
 * not used here), over the rows this rank holds of a grid of `ny` rows in strips of `rows`
 * (cp_ranks_rows). */
cp_status cp_ranks_zonal_init(cp_ranks_zonal *z, const cp_ranks *r, int64_t ny, int64_t rows,
                              const cpk_polygon *polys, const cpk_window *wins, int64_t n,
                              const cpk_zonal_band *bands, int nbands, cpk_zonal_acc *acc);

/* cpk_zonal_f32 over one strip of this rank (rows row0 .. row0 + bands[0].view.ny, within
 * [y0, y1), strips in order): bands as cpk_zonal_f32 takes them, with the class weights given
 * at init. */
cp_status cp_ranks_zonal_strip(cp_ranks_zonal *z, const cpk_geo *grid, int64_t row0,
                               const cpk_zonal_band *bands, int threads);

/* After the last strip of every rank: every polygon's totals, as one process makes them, in
 * acc and the class weights on every rank. */
cp_status cp_ranks_zonal_reduce(cp_ranks_zonal *z);

void cp_ranks_zonal_free(cp_ranks_zonal *z);

/* ---- the evidence over the ranks (evidence.c) ---- */

/* cp_evidence_compute with the Monte Carlo's samples dealt to the ranks as blocks
 * (cp_ranks_deal) and assembled by rank 0 in sample order (cp_plan_mc_assemble): one
 * process's result. Rank 0 gets the evidence (rank robustness and projection included), the
 * others NULL. Collective when r is a job of several; r NULL: cp_evidence_compute. */
cp_status cp_evidence_compute_ranks(const cp_plan *plan, const cp_evidence_request *rq,
                                    const cp_ranks *r, cp_evidence **out);

#endif
