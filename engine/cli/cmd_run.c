/* clearplan run SCENARIO — the whole pipeline. */
#include <errno.h>
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
        "  --memory SIZE      raster working memory, e.g. 256M, 2G (default 512M)\n"
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

/* Parses "512M", "2G", "1048576" into bytes; 0 on error. */
static size_t parse_size(const char *s) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0)) return 0;
    double mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024.0, ++end;
    else if (*end == 'm' || *end == 'M')
        mult = 1024.0 * 1024, ++end;
    else if (*end == 'g' || *end == 'G')
        mult = 1024.0 * 1024 * 1024, ++end;
    if (*end == 'B' || *end == 'b') ++end;
    if (*end) return 0;
    double bytes = v * mult;
    if (bytes < 1 << 20 || bytes > 1e15) return 0;
    return (size_t)bytes;
}

int cmd_run(int argc, char **argv) {
    const char *path = NULL;
    cp_run_options o = {0};
    cli_evidence ev = {0};
    int quiet = 0, rc = CP_EXIT_OK;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int e = cli_evidence_option("run", argc, argv, &i, &ev, &rc);
        if (e < 0) goto out;
        if (e) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cli_evidence_free(&ev);
            help();
            return CP_EXIT_OK;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (++i >= argc) {
                rc = cli_usage("run", "%s needs a folder", a);
                goto out;
            }
            o.out_dir = argv[i];
        } else if (!strcmp(a, "-j") || !strcmp(a, "--threads")) {
            if (++i >= argc || !cli_parse_threads(argv[i], &o.threads)) {
                rc = cli_usage("run", "%s needs a thread count of 1 or more", a);
                goto out;
            }
        } else if (!strcmp(a, "--memory")) {
            if (++i >= argc || !(o.memory_bytes = parse_size(argv[i]))) {
                rc = cli_usage("run", "--memory needs a size of at least 1M, e.g. 256M or 2G");
                goto out;
            }
        } else if (!strcmp(a, "--overwrite")) {
            o.overwrite = 1;
        } else if (!strcmp(a, "--no-sync")) {
            o.no_sync = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage("run", "unknown option '%s'", a);
            goto out;
        } else if (path) {
            rc = cli_usage("run", "more than one scenario given");
            goto out;
        } else {
            path = a;
        }
    }
    if (!path) {
        rc = cli_usage("run", "missing SCENARIO");
        goto out;
    }
    o.progress = cli_progress(quiet);
    o.samples_set = ev.samples_set, o.samples = ev.samples;
    o.seed_set = ev.seed_set, o.seed = ev.seed;
    o.regions = ev.regions, o.nregions = ev.nregions;
    cp_scenario *sc = NULL;
    cp_run_result r;
    cp_status s = cp_scenario_load(path, &sc);
    for (size_t k = 0; !s && k < ev.nregions; ++k) { /* before any work */
        size_t j = 0;
        while (j < sc->capacity.nregions && strcmp(sc->capacity.regions[j].name, ev.regions[k]))
            ++j;
        if (j == sc->capacity.nregions) {
            rc = cli_usage("run", "--region: the scenario has no region <%s> in capacity.regions",
                           ev.regions[k]);
            cp_scenario_free(sc);
            goto out;
        }
    }
    if (!s) s = cp_run(sc, &o, &r);
    cp_scenario_free(sc);
    cli_evidence_free(&ev);
    if (s) return cli_fail(s);
    if (!quiet) {
        fprintf(stderr, "clearplan: %zu hazards read: %zu planned, %zu rejected (%zu repaired)\n",
                r.hazards_in, r.hazards_planned, r.hazards_rejected, r.hazards_repaired);
    }
    printf("outputs: %s\n", r.out_dir);
    printf("grid: %s, %lld x %lld cells of %g m\n", r.grid_crs, (long long)r.grid_nx,
           (long long)r.grid_ny, r.cell_size_m);
    printf("hazards: %zu read = %zu planned + %zu rejected\n", r.hazards_in, r.hazards_planned,
           r.hazards_rejected);
    printf("area: %.1f ha, effort: %.0f team-days, cost: US$ %.0f\n", r.total_area_m2 / 1e4,
           r.total_cost_team_days, r.total_cost_usd);
    printf("time: %.2f s\n", r.seconds);
    return CP_EXIT_OK;
out:
    cli_evidence_free(&ev);
    return rc;
}
