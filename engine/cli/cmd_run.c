/* clearplan run SCENARIO — the whole pipeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/clearplan.h>

#include "commands.h"

static void help(void) {
    printf(
        "usage: clearplan run SCENARIO [-o DIR] [-j THREADS] [--memory SIZE] [-q] "
        "[--overwrite] [--no-sync]\n"
        "                     [--samples N] [--seed S] [--region NAME]...\n\n"
        "Scores every hazard of the scenario, plans the work and writes priority.tif,\n"
        "priority_class.tif, plan.gpkg, plan.csv, milestones.csv, report.html and run.json.\n\n"
        "  -o, --output DIR   output folder (default: the scenario's outputs.dir)\n"
        "  -j, --threads N    threads (default: all cores)\n"
        "  --memory SIZE      raster working memory: MB, or 512M, 2G (default 1G)\n"
        "  --overwrite        replace an existing output folder that clearplan wrote (only\n"
        "                     once the new one is complete)\n"
        "  --no-sync          do not wait for the outputs to reach the disk before publishing\n"
        "                     them (faster scratch runs; a power cut may then lose them)\n"
        "  -q, --quiet        no progress bar\n"
        "  --samples N        Monte Carlo of the plan with N samples of the scenario's\n"
        "                     uncertainty ranges (default: uncertainty.samples, else none);\n"
        "                     with uncertain weights also the rank robustness\n"
        "  --seed S           random seed of the samples (default: uncertainty.seed, else 1)\n"
        "  --region NAME      also write report-<name>.html for that region (repeatable)\n");
}

int cmd_run(int argc, char **argv) {
    const char *path = NULL;
    cp_run_options o = {0};
    cli_evidence ev;
    cli_evidence_init(&ev);
    int quiet = 0;
    size_t memory_mb = CLI_MEMORY_DEFAULT_MB;
    cli_option opts[] = {{"-o|--output", CLI_STRING, &o.out_dir, "a folder", NULL},
                         {"-j|--threads", CLI_THREADS, &o.threads, "a thread count >= 1", NULL},
                         {"--memory", CLI_MEMORY, &memory_mb, "a size: MB, or 512M, 2G", NULL},
                         CLI_OUTPUT_OPTIONS(&quiet, &o.overwrite, &o.no_sync),
                         CLI_EVIDENCE_OPTIONS(&ev),
                         CLI_END};
    cli_spec spec = {"run", help, opts, &path, 1, 1, "SCENARIO"};
    int npos, rc = cli_parse(&spec, argc, argv, &npos);
    if (rc >= 0) return rc;
    o.memory_bytes = memory_mb << 20;
    o.progress = cli_progress(quiet);
    o.ranks = 1; /* under mpirun: one run over the job's ranks (clearplan/mpirun.h) */
    o.stop_requested = cli_stop_requested;
    o.samples_set = ev.samples_set, o.samples = ev.samples;
    o.seed_set = ev.seed_set, o.seed = ev.seed;
    o.regions = ev.regions.items, o.nregions = (size_t)ev.regions.n;
    cp_scenario *sc = NULL;
    cp_run_result r;
    cp_status s = cp_mpi_agree(cp_scenario_load(path, &sc)); /* every rank reads it */
    for (int k = 0; !s && k < ev.regions.n; ++k) {           /* before any work */
        size_t j = 0;
        while (j < sc->capacity.nregions &&
               strcmp(sc->capacity.regions[j].name, ev.regions.items[k]))
            ++j;
        if (j == sc->capacity.nregions) {
            cp_scenario_free(sc);
            return cli_usage("run", "--region: the scenario has no region <%s> in capacity.regions",
                             ev.regions.items[k]);
        }
    }
    if (!s && !quiet) cli_notes(sc);
    if (!s) s = cp_run(sc, &o, &r);
    cp_scenario_free(sc);
    if (s) return cli_fail(s);
    if (cli_rank() != 0) return CP_EXIT_OK; /* rank 0 reports for the job */
    if (r.hazards_partly_off)               /* said even with -q: the figures depend on it */
        fprintf(stderr,
                "clearplan: warning: %zu hazard%s partly outside the grid (%.1f ha off it): "
                "their effort and benefit count only the part on it; grid.aoi sets the grid\n",
                r.hazards_partly_off, r.hazards_partly_off > 1 ? "s lie" : " lies",
                r.off_grid_m2 / 1e4);
    if (r.empty_inputs[0])
        fprintf(stderr,
                "clearplan: warning: no valid cell on the grid in %s (every value nodata): "
                "the criteria reading it score 0 everywhere\n",
                r.empty_inputs);
    if (r.crs_kept_inputs[0])
        fprintf(stderr,
                "clearplan: warning: assume_crs not used for %s: the file has a coordinate "
                "reference system of its own, which was used\n",
                r.crs_kept_inputs);
    if (!quiet) {
        fprintf(stderr, "clearplan: %zu hazards read: %zu planned, %zu rejected (%zu repaired)\n",
                r.hazards_in, r.hazards_planned, r.hazards_rejected, r.hazards_repaired);
    }
    printf("outputs: %s\n", r.out_dir);
    printf("grid: %s, %lld x %lld cells of %g m\n", r.grid_crs, (long long)r.grid_nx,
           (long long)r.grid_ny, r.cell_size_m);
    printf("hazards: %zu read = %zu planned + %zu rejected\n", r.hazards_in, r.hazards_planned,
           r.hazards_rejected);
    char area[48], effort[48], scheduled[48], usd[48];
    printf("area: %s ha, effort: %s team-days at the cost section's productivities\n",
           cp_number_grouped(r.total_area_m2 / 1e4, 1, area, sizeof area),
           cp_number_grouped(r.total_cost_team_days, 0, effort, sizeof effort));
    printf("scheduled: %s team-days, US$ %s\n",
           cp_number_grouped(r.total_scheduled_team_days, 0, scheduled, sizeof scheduled),
           cp_number_grouped(r.total_cost_usd, 0, usd, sizeof usd));
    printf("time: %.2f s\n", r.seconds);
    return CP_EXIT_OK;
}
