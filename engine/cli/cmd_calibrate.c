/* clearplan calibrate RECORDS --scenario S.yaml -o DIR — fit the cost model to completion
 * records (DESIGN §16): cost_profile.yaml (a cost block another scenario includes, with its
 * provenance and fit statistics) and calibration.csv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/calibrate.h>
#include <clearplan/clearplan.h>

#include "commands.h"

static void help(void) {
    printf(
        "usage: clearplan calibrate RECORDS --scenario S.yaml -o DIR [--layer NAME]\n"
        "                           [--id FIELD] [--team-days FIELD] [--method FIELD]\n"
        "                           [-j THREADS] [--overwrite] [--no-sync] [-q]\n\n"
        "Fits the productivities per land-cover class, the tree-cover and improvised-mine\n"
        "slowdowns and the survey rates to completed tasks, with 95%% intervals and the\n"
        "cross-validated error; the land cover, tree cover and report density under each\n"
        "task come from the scenario's inputs, on its grid, with exact coverage.\n\n"
        "RECORDS is any OGR source of polygons with the fields task_id, team_days, method\n"
        "(nts, ts, clearance or a team type of the scenario that does one stage); other\n"
        "fields (a status, a date) are not read: the method says what the task was.\n\n"
        "  --scenario S.yaml   the scenario whose grid, rasters and cost model are used\n"
        "  -o, --output DIR    output folder: cost_profile.yaml (include it in a scenario as\n"
        "                      cost: {profile: cost_profile.yaml}), calibration.csv\n"
        "  --layer NAME        layer of RECORDS (needed when the file has several)\n"
        "  --id, --team-days, --method FIELD   the records' field names\n"
        "  -j, --threads N     threads (default: all cores)\n"
        "  --overwrite         replace an existing output folder that clearplan wrote\n"
        "  --no-sync           do not wait for the outputs to reach the disk\n"
        "  -q, --quiet         print nothing but errors\n");
}

int cmd_calibrate(int argc, char **argv) {
    const char *records = NULL, *scenario = NULL, *out_dir = NULL;
    cp_calibrate_options o = {0};
    int quiet = 0, overwrite = 0, no_sync = 0, npos = 0;
    cli_option opts[] = {{"--scenario", CLI_STRING, &scenario, "a scenario file", NULL},
                         {"-o|--output", CLI_STRING, &out_dir, "a folder", NULL},
                         {"--layer", CLI_STRING, &o.layer, "a layer name", NULL},
                         {"--id", CLI_STRING, &o.id_field, "a field name", NULL},
                         {"--team-days", CLI_STRING, &o.team_days_field, "a field name", NULL},
                         {"--method", CLI_STRING, &o.method_field, "a field name", NULL},
                         {"-j|--threads", CLI_THREADS, &o.threads, "a thread count >= 1", NULL},
                         CLI_OUTPUT_OPTIONS(&quiet, &overwrite, &no_sync),
                         CLI_END};
    const char *pos[1] = {NULL};
    cli_spec spec = {"calibrate", help, opts, pos, 1, 1, "RECORDS"};
    int rc0 = cli_parse(&spec, argc, argv, &npos);
    if (rc0 >= 0) return rc0;
    records = pos[0];
    if (!scenario) return cli_usage("calibrate", "missing --scenario S.yaml");
    if (!out_dir) return cli_usage("calibrate", "missing -o DIR");
    o.records = records;
    cp_scenario *sc = NULL;
    cp_calibration *c = NULL;
    cp_output *out = NULL;
    /* the scenario first: the output is checked against every file it names */
    const char *extra[] = {records, NULL};
    cp_output_options oo = {0};
    oo.kind = CP_OUTPUT_FOLDER;
    oo.command = "calibrate";
    oo.overwrite = overwrite;
    oo.no_sync = no_sync;
    cp_status st = cp_scenario_load(scenario, &sc);
    if (st == CP_OK) st = cp_output_begin_for(sc, out_dir, &oo, extra, &out);
    if (st == CP_OK) st = cp_calibrate(sc, &o, &c);
    if (st == CP_OK && cli_interrupted()) st = CP_E_INTERRUPTED;
    if (st == CP_OK) st = cp_calibration_write(c, sc, cp_output_path(out));
    if (st == CP_OK) {
        st = cp_output_commit(out); /* synced, then published by an atomic rename */
        out = NULL;
    }
    int rc = st == CP_OK ? CP_EXIT_OK : cli_fail(st);
    if (st == CP_OK && !quiet) {
        const cp_calib_fit *f = c->fit;
        printf("records: %zu read, %zu used (%zu clearance, %zu nts, %zu ts)\n", c->nrows, c->nused,
               f->nclearance, f->nnts, f->nts);
        for (size_t k = 0; k < f->nparams; ++k) {
            const cp_calib_param *p = &f->params[k];
            if (p->fitted)
                printf("  %-22s %10.4g  95%% [%.4g, %.4g]\n", p->name, p->estimate, p->lo, p->hi);
            else
                printf("  %-22s %10.4g  (the scenario's: too little evidence)\n", p->name,
                       p->estimate);
        }
        printf("cross-validated error: %.1f%% median, %.3f rms of log team-days (%d folds)\n",
               100 * f->cv_median_ape, f->cv_rmse_log, f->folds);
        printf("wrote %s/cost_profile.yaml and calibration.csv\n", out_dir);
    }
    cp_output_abort(out);
    cp_calibration_free(c);
    cp_scenario_free(sc);
    return rc;
}
