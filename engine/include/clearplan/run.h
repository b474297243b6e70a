/* clearplan — the whole pipeline: scenario -> grid -> criteria -> priority -> hazard metrics
 * -> cost -> plan -> outputs (DESIGN §3). */
#ifndef CLEARPLAN_RUN_H
#define CLEARPLAN_RUN_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <clearplan/status.h>
#include <clearplan/scenario.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *out_dir; /* overrides the scenario's outputs.dir when not NULL */
    int threads;         /* 0 = OpenMP default */
    size_t memory_bytes; /* raster working-memory budget; 0 = CP_MEMORY_DEFAULT_MB */
    int overwrite;       /* replace an existing output folder clearplan wrote */
    int no_sync;         /* skip syncing the outputs to disk before publishing them */
    cp_progress_fn progress;
    void *progress_arg;
    /* 1: one run over the ranks of MPI_COMM_WORLD (clearplan/mpirun.h; MPI initialised by the
     * program, every rank calling cp_run with the same scenario and options); 0, or MPI not
     * initialised, or a job of one rank: this process alone */
    int ranks;
    /* Rank 0 of a job of several ranks asks this every 10 ms from a thread of its own (the
     * progress is asked only between steps, and Open MPI kills the ranks a second after
     * passing Ctrl-C on): non-zero removes the outputs at once, and the run then stops as
     * interrupted. Must be thread-safe and print nothing (the command line: whether Ctrl-C
     * or SIGTERM arrived). NULL: not asked. */
    int (*stop_requested)(void *arg);
    void *stop_arg;
    /* evidence (clearplan/evidence.h): Monte Carlo samples and seed (the scenario's
       uncertainty.samples and .seed unless set), reports for these regions */
    int samples_set;
    size_t samples;
    int seed_set;
    uint64_t seed;
    const char *const *regions;
    size_t nregions;
} cp_run_options;

typedef struct {
    char out_dir[4096];
    int64_t grid_nx, grid_ny;
    double cell_size_m;
    char grid_crs[64];
    size_t hazards_in;       /* features read from the hazards layer */
    size_t hazards_planned;  /* rows in the plan */
    size_t hazards_rejected; /* rows in rejected */
    size_t hazards_repaired; /* invalid geometries repaired by make-valid */
    double total_area_m2;
    double total_cost_team_days;      /* reference effort: the hazards' cost_team_days, at the
                                         cost section's productivities */
    double total_scheduled_team_days; /* the scheduled work packages' team-days, by the types
                                         that do them: what total_cost_usd pays for */
    double total_cost_usd;
    double seconds;
    /* what a planner should hear of (cmd_run says it on stderr): hazards partly off the grid
     * (their effort and benefit count only the part on it) and the off-grid area; raster
     * inputs with no valid cell on the grid (every value nodata: they score nothing) */
    size_t hazards_partly_off;
    double off_grid_m2;
    char empty_inputs[256]; /* their names, ", " between; "" none */
    /* inputs whose file has a CRS of its own other than their assume_crs (the file's is used):
     * their names, ", " between; "" none */
    char crs_kept_inputs[256];
} cp_run_result;

/* Runs the whole pipeline and writes the outputs (DESIGN §10) through one output transaction
 * (clearplan/output.h): the output folder is checked against the scenario and its inputs
 * before any work, written under a temporary name, synced and published by an atomic rename;
 * on failure or interruption nothing is left behind. */
CP_API cp_status cp_run(const cp_scenario *sc, const cp_run_options *opts, cp_run_result *result);

/* Checks a scenario's inputs: files open, CRSs, extents, fields and geometries. Writes a
 * human-readable summary to `report` (may be NULL). Heavy work is not done. */
CP_API cp_status cp_validate(const cp_scenario *sc, FILE *report);

#ifdef __cplusplus
}
#endif

#endif
