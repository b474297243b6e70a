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
        "                         [--layer L] [--co NAME=VALUE]... [--memory MB] [-j N] [-q]\n"
        "                           [--overwrite] [--no-sync]\n\n"
        "Writes the quartic (biweight) kernel density of the points of POINTS (any OGR\n"
        "vector; points and multipoints), per km², on the grid and CRS of GRID.tif:\n"
        "  density = 1e6 * sum of w * 3/(pi h^2) * (1 - d^2/h^2)^2 over points within h.\n"
        "Points are reprojected to GRID's CRS, which must be projected (metres).\n\n"
        "  --like GRID.tif    template raster: extent, cell size, CRS\n"
        "  --bandwidth-m H    kernel radius in metres (> 0)\n"
        "  --weight FIELD     numeric weight field (default: every point weighs 1;\n"
        "                     features with a null weight are skipped and counted)\n"
        "  --layer L          layer name (default: the first layer)\n"
        "  --co NAME=VALUE    GeoTIFF creation option\n"
        "  --memory SIZE      memory budget for strips: MB, or 512M, 2G (default 1024)\n"
        "  -j N               threads (default: all cores)\n"
        "  --overwrite        replace OUT when clearplan wrote it (otherwise refused)\n"
        "  --no-sync          do not wait for OUT to reach the disk before publishing it\n"
        "  -q                 no progress bar and no summary\n\n"
        "Exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

int cmd_density(int argc, char **argv) {
    static const char *const n_like[] = {"--like", "-like", NULL};
    static const char *const n_h[] = {"--bandwidth-m", "--bandwidth", "-bandwidth", NULL};
    static const char *const n_w[] = {"--weight", "-weight", NULL};
    static const char *const n_layer[] = {"--layer", "-layer", "-l", NULL};
    cp_density_options o;
    memset(&o, 0, sizeof o);
    o.bandwidth_m = NAN;
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
        int rc = 0, shared = cli_tool_option("density", argc, argv, &i, &o.common, co, &nco, MAX_CO,
                                             &quiet, &rc);
        if (shared < 0) return rc;
        if (shared) continue;
        if (cli_opt_value(argc, argv, &i, n_like, &v, &missing)) {
            if (missing) return cli_usage("density", "%s needs a raster", a);
            o.like_path = v;
        } else if (cli_opt_value(argc, argv, &i, n_h, &v, &missing)) {
            if (missing || !cli_parse_double(v, &o.bandwidth_m) || !(o.bandwidth_m > 0) ||
                !isfinite(o.bandwidth_m))
                return cli_usage("density", "--bandwidth-m needs a distance in metres > 0");
        } else if (cli_opt_value(argc, argv, &i, n_w, &v, &missing)) {
            if (missing) return cli_usage("density", "%s needs a field name", a);
            o.weight_field = v;
        } else if (cli_opt_value(argc, argv, &i, n_layer, &v, &missing)) {
            if (missing) return cli_usage("density", "%s needs a layer name", a);
            o.layer = v;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("density", "unknown option '%s'", a);
        } else {
            if (npaths == 2) return cli_usage("density", "unexpected argument '%s'", a);
            paths[npaths++] = a;
        }
    }
    if (npaths < 2) return cli_usage("density", "missing %s", npaths ? "OUT" : "POINTS and OUT");
    if (!o.like_path) return cli_usage("density", "missing --like GRID.tif");
    if (isnan(o.bandwidth_m)) return cli_usage("density", "missing --bandwidth-m");
    o.common.creation_options = co;
    cp_tool_result r;
    cp_status s = cp_tool_density(paths[0], paths[1], &o, cli_progress(quiet), NULL, &r);
    if (s != CP_OK) return cli_fail(s);
    if (!quiet)
        fprintf(stderr, "clearplan: %lld points used, %lld skipped (null geometry or weight)\n",
                r.points_used, r.points_skipped);
    return CP_EXIT_OK;
}
