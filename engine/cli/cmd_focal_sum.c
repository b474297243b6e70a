/* clearplan focal-sum IN OUT --radius-m R — sum of the cells within R metres (a disk). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/clearplan.h>
#include <clearplan/tools.h>

#include "commands.h"

enum { MAX_CO = 64 };

static void help(void) {
    printf(
        "usage: clearplan focal-sum IN OUT --radius-m R [--co NAME=VALUE]... [-b BAND]\n"
        "                           [--memory MB] [-j N] [-q]\n"
        "                           [--overwrite] [--no-sync]\n\n"
        "Writes, for every cell of IN, the sum of the cells whose centre lies within R metres\n"
        "of its centre (a disk; an ellipse of cells when cells are not square). Nodata and NaN\n"
        "cells count as 0. Exact: sums are taken in double precision. IN needs a projected\n"
        "CRS. Strips of rows are processed with a halo of R under --memory.\n\n"
        "  --radius-m R       disk radius in metres (>= 0)\n"
        "  --co NAME=VALUE    GeoTIFF creation option (default: GDAL's, uncompressed; e.g.\n"
        "                     TILED=YES COMPRESS=ZSTD; DEFLATE defaults to ZLEVEL=1)\n"
        "  -b BAND            input band (default 1)\n"
        "  --memory SIZE      memory budget for strips: MB, or 512M, 2G (default 1024)\n"
        "  -j N               threads (default: all cores)\n"
        "  --overwrite        replace OUT when clearplan wrote it (otherwise refused)\n"
        "  --no-sync          do not wait for OUT to reach the disk before publishing it\n"
        "  -q                 no progress bar\n\n"
        "Exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

int cmd_focal_sum(int argc, char **argv) {
    static const char *const n_r[] = {"--radius-m", "--radius", "-radius", NULL};
    static const char *const n_band[] = {"-b", "--band", NULL};
    cp_focal_sum_options o;
    memset(&o, 0, sizeof o);
    o.radius_m = NAN;
    const char *co[MAX_CO + 1] = {0};
    int nco = 0, quiet = 0, npaths = 0;
    const char *paths[2] = {0};
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = NULL;
        int missing = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help();
            return CP_EXIT_OK;
        }
        int rc = 0, shared = cli_tool_option("focal-sum", argc, argv, &i, &o.common, co, &nco,
                                             MAX_CO, &quiet, &rc);
        if (shared < 0) return rc;
        if (shared) continue;
        if (cli_opt_value(argc, argv, &i, n_r, &v, &missing)) {
            if (missing || !cli_parse_double(v, &o.radius_m) || !(o.radius_m >= 0) ||
                !isfinite(o.radius_m))
                return cli_usage("focal-sum", "--radius-m needs a distance in metres >= 0");
        } else if (cli_opt_value(argc, argv, &i, n_band, &v, &missing)) {
            if (missing || !cli_parse_band(v, &o.band))
                return cli_usage("focal-sum", "-b needs a band number");
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("focal-sum", "unknown option '%s'", a);
        } else {
            if (npaths == 2) return cli_usage("focal-sum", "unexpected argument '%s'", a);
            paths[npaths++] = a;
        }
    }
    if (npaths < 2) return cli_usage("focal-sum", "missing %s", npaths ? "OUT" : "IN and OUT");
    if (isnan(o.radius_m)) return cli_usage("focal-sum", "missing --radius-m");
    o.common.creation_options = co;
    cp_status s = cp_tool_focal_sum(paths[0], paths[1], &o, cli_progress(quiet), NULL, NULL);
    if (s != CP_OK) return cli_fail(s);
    return CP_EXIT_OK;
}
