/* clearplan density POINTS OUT --like GRID --bandwidth-m H — quartic kernel density. */
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
        "usage: clearplan density POINTS OUT --like GRID.tif --bandwidth-m H [--weight FIELD]\n"
        "                         [--layer L] [--co NAME=VALUE]... [--memory SIZE] [-j N] [-q]\n"
        "                         [--assume-crs CRS] [--overwrite] [--no-sync]\n\n"
        "Writes the quartic (biweight) kernel density of the points of POINTS (any OGR\n"
        "vector; points and multipoints), per km², on the grid and CRS of GRID.tif:\n"
        "  density = 1e6 * sum of w * 3/(pi h^2) * (1 - d^2/h^2)^2 over points within h.\n"
        "Points are reprojected to GRID's CRS, which must be projected (metres).\n\n"
        "  --like GRID.tif    template raster: extent, cell size, CRS\n"
        "  --bandwidth-m H    kernel radius in metres (> 0)\n"
        "  --weight FIELD     numeric weight field (default: every point weighs 1;\n"
        "                     features with a null weight are skipped and counted)\n"
        "  --layer L          layer name (needed when the file has several)\n"
        "  --co NAME=VALUE    GeoTIFF creation option (default: GDAL's, uncompressed). A\n"
        "                     compressed output (e.g. COMPRESS=ZSTD) is tiled 256 x 256, and\n"
        "                     DEFLATE or ZSTD at level 1, unless TILED, BLOCKXSIZE, BLOCKYSIZE,\n"
        "                     ZLEVEL or ZSTD_LEVEL say otherwise\n"
        "  --memory SIZE      memory budget for strips: MB, or 512M, 2G (default 1G)\n"
        "  --assume-crs CRS   the CRS of an input that has none (e.g. EPSG:32633)\n"
        "  -j N               threads (default: all cores)\n"
        "  --overwrite        replace OUT when clearplan wrote it (otherwise refused)\n"
        "  --no-sync          do not wait for OUT to reach the disk before publishing it\n"
        "  -q                 no progress bar, no summary, no warnings\n\n"
        "Exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

int cmd_density(int argc, char **argv) {
    cp_density_options o;
    memset(&o, 0, sizeof o);
    o.bandwidth_m = NAN;
    const char *co_items[MAX_CO + 1] = {0};
    cli_list co = {co_items, 0, MAX_CO};
    int quiet = 0, npaths;
    const char *paths[2] = {0};
    cli_option opts[] = {{"--like|-like", CLI_STRING, &o.like_path, "a raster", NULL},
                         {"--bandwidth-m|--bandwidth|-bandwidth", CLI_POSITIVE, &o.bandwidth_m,
                          "a distance in metres > 0", NULL},
                         {"--weight|-weight", CLI_STRING, &o.weight_field, "a field name", NULL},
                         {"--layer|-layer|-l", CLI_STRING, &o.layer, "a layer name", NULL},
                         CLI_TOOL_OPTIONS(&o.common, &quiet, &co),
                         CLI_END};
    cli_spec spec = {"density", help, opts, paths, 2, 2, "POINTS OUT"};
    int rc = cli_parse(&spec, argc, argv, &npaths);
    if (rc >= 0) return rc;
    if (!o.like_path) return cli_usage("density", "missing --like GRID.tif");
    if (isnan(o.bandwidth_m)) return cli_usage("density", "missing --bandwidth-m");
    o.common.creation_options = co_items;
    cp_tool_result r;
    cp_status s = cp_tool_density(paths[0], paths[1], &o, cli_progress(quiet), NULL, &r);
    if (s != CP_OK) return cli_fail(s);
    cli_crs_kept(r.crs_kept, o.common.assume_crs, quiet);
    if (!quiet)
        fprintf(stderr, "clearplan: %lld points used, %lld skipped (null geometry or weight)\n",
                r.points_used, r.points_skipped);
    return CP_EXIT_OK;
}
