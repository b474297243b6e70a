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
        "                           [--memory SIZE] [-j N] [-q]\n"
        "                           [--assume-crs CRS] [--overwrite] [--no-sync]\n\n"
        "Writes, for every cell of IN, the sum of the cells whose centre lies within R metres\n"
        "of its centre (a disk; an ellipse of cells when cells are not square). Nodata and NaN\n"
        "cells count as 0. Exact: sums are taken in double precision. IN needs a projected\n"
        "CRS. Strips of rows are processed with a halo of R under --memory.\n\n"
        "  --radius-m R       disk radius in metres (>= 0)\n"
        "  --co NAME=VALUE    GeoTIFF creation option (default: GDAL's, uncompressed). A\n"
        "                     compressed output (e.g. COMPRESS=ZSTD) is tiled 256 x 256, and\n"
        "                     DEFLATE or ZSTD at level 1, unless TILED, BLOCKXSIZE, BLOCKYSIZE,\n"
        "                     ZLEVEL or ZSTD_LEVEL say otherwise\n"
        "  -b BAND            input band (default 1)\n"
        "  --memory SIZE      memory budget for strips: MB, or 512M, 2G (default 1G)\n"
        "  --assume-crs CRS   the CRS of an input that has none (e.g. EPSG:32633)\n"
        "  -j N               threads (default: all cores)\n"
        "  --overwrite        replace OUT when clearplan wrote it (otherwise refused)\n"
        "  --no-sync          do not wait for OUT to reach the disk before publishing it\n"
        "  -q                 no progress bar, no warnings\n\n"
        "Exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

int cmd_focal_sum(int argc, char **argv) {
    cp_focal_sum_options o;
    memset(&o, 0, sizeof o);
    o.radius_m = NAN;
    const char *co_items[MAX_CO + 1] = {0};
    cli_list co = {co_items, 0, MAX_CO};
    int quiet = 0, npaths;
    const char *paths[2] = {0};
    cli_option opts[] = {
        {"--radius-m|--radius|-radius", CLI_NONNEG, &o.radius_m, "a distance in metres >= 0", NULL},
        {"-b|--band", CLI_BAND, &o.band, "a band number", NULL},
        CLI_TOOL_OPTIONS(&o.common, &quiet, &co),
        CLI_END};
    cli_spec spec = {"focal-sum", help, opts, paths, 2, 2, "IN OUT"};
    int rc = cli_parse(&spec, argc, argv, &npaths);
    if (rc >= 0) return rc;
    if (isnan(o.radius_m)) return cli_usage("focal-sum", "missing --radius-m");
    o.common.creation_options = co_items;
    cp_tool_result r;
    cp_status s = cp_tool_focal_sum(paths[0], paths[1], &o, cli_progress(quiet), NULL, &r);
    if (s != CP_OK) return cli_fail(s);
    cli_crs_kept(r.crs_kept, o.common.assume_crs, quiet);
    return CP_EXIT_OK;
}
