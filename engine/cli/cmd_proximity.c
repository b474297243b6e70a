/* clearplan proximity IN OUT — exact distance to the nearest source cell (gdal_proximity.py
 * drop-in: same option names, single or double dash). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <clearplan/clearplan.h>
#include <clearplan/tools.h>

#include "commands.h"

enum { MAX_CO = 64, MAX_VALUES = 4096 };

static void help(void) {
    printf(
        "usage: clearplan proximity IN OUT [--values V,...] [--max-dist D]\n"
        "                           [--distunits pixel|geo] [--nodata V] [--ot TYPE]\n"
        "                           [--co NAME=VALUE]... [-b BAND] [--memory MB] [-j N] [-q]\n"
        "                           [--overwrite] [--no-sync]\n\n"
        "Writes, for every cell of IN, the exact Euclidean distance from its centre to the\n"
        "centre of the nearest source cell (a faster, exact gdal_proximity.py).\n\n"
        "  --values V,...     source cell values (default: every non-zero, non-nodata cell)\n"
        "  --max-dist D       cells farther than D from every source get the nodata value;\n"
        "                     strips of rows are then processed with a halo of D, in bounded\n"
        "                     memory. Without it the whole grid must fit in --memory.\n"
        "  --distunits U      pixel (default, as gdal_proximity) or geo (CRS units: metres)\n"
        "  --nodata V         output nodata, written beyond --max-dist and where there is no\n"
        "                     source at all (default 65535)\n"
        "  --ot TYPE          output type (default Float32)\n"
        "  --co NAME=VALUE    GeoTIFF creation option (default: GDAL's, uncompressed; e.g.\n"
        "                     TILED=YES COMPRESS=ZSTD; DEFLATE defaults to ZLEVEL=1)\n"
        "  -b BAND            input band (default 1)\n"
        "  --memory SIZE      memory budget for strips: MB, or 512M, 2G (default 1024)\n"
        "  -j N               threads (default: all cores)\n"
        "  --overwrite        replace OUT when clearplan wrote it (otherwise refused)\n"
        "  --no-sync          do not wait for OUT to reach the disk before publishing it\n"
        "  -q                 no progress bar\n\n"
        "gdal_proximity.py spellings -values, -maxdist, -distunits, -nodata, -ot, -co are\n"
        "accepted too. Exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

int cmd_proximity(int argc, char **argv) {
    static const char *const n_values[] = {"--values", "-values", NULL};
    static const char *const n_max[] = {"--max-dist", "--maxdist", "-maxdist", NULL};
    static const char *const n_units[] = {"--distunits", "-distunits", NULL};
    static const char *const n_nodata[] = {"--nodata", "-nodata", NULL};
    static const char *const n_ot[] = {"--ot", "-ot", NULL};
    static const char *const n_band[] = {"-b", "--band", NULL};
    cp_proximity_options o = cp_proximity_defaults();
    const char *co[MAX_CO + 1] = {0};
    static double values[MAX_VALUES];
    int nco = 0, quiet = 0;
    const char *paths[2] = {0};
    int npaths = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = NULL;
        int missing = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help();
            return CP_EXIT_OK;
        }
        int rc = 0, shared = cli_tool_option("proximity", argc, argv, &i, &o.common, co, &nco,
                                             MAX_CO, &quiet, &rc);
        if (shared < 0) return rc;
        if (shared) continue;
        if (cli_opt_value(argc, argv, &i, n_values, &v, &missing)) {
            if (missing) return cli_usage("proximity", "%s needs a value", a);
            o.nvalues = 0;
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                if (o.nvalues == MAX_VALUES || !cli_parse_double(t, &values[o.nvalues])) {
                    int code = cli_usage("proximity", "bad source value '%s'", t); /* t in copy */
                    free(copy);
                    return code;
                }
                o.nvalues++;
            }
            free(copy);
            if (!o.nvalues) return cli_usage("proximity", "--values needs at least one value");
            o.values = values;
        } else if (cli_opt_value(argc, argv, &i, n_max, &v, &missing)) {
            if (missing) return cli_usage("proximity", "%s needs a value", a);
            if (!cli_parse_double(v, &o.max_dist) || !(o.max_dist > 0))
                return cli_usage("proximity",
                                 "maximum distance must be a positive number, got '%s'", v);
        } else if (cli_opt_value(argc, argv, &i, n_units, &v, &missing)) {
            if (missing) return cli_usage("proximity", "%s needs a value", a);
            if (!strcasecmp(v, "geo"))
                o.geo_units = 1;
            else if (!strcasecmp(v, "pixel"))
                o.geo_units = 0;
            else
                return cli_usage("proximity", "--distunits must be pixel or geo, got '%s'", v);
        } else if (cli_opt_value(argc, argv, &i, n_nodata, &v, &missing)) {
            if (missing) return cli_usage("proximity", "%s needs a value", a);
            if (!cli_parse_double(v, &o.nodata))
                return cli_usage("proximity", "bad nodata value '%s'", v);
            o.has_nodata = 1;
        } else if (cli_opt_value(argc, argv, &i, n_ot, &v, &missing)) {
            if (missing) return cli_usage("proximity", "%s needs a value", a);
            o.output_type = v;
        } else if (cli_opt_value(argc, argv, &i, n_band, &v, &missing)) {
            if (missing || !cli_parse_band(v, &o.band))
                return cli_usage("proximity", "-b needs a band number");
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("proximity", "unknown option '%s'", a);
        } else {
            if (npaths == 2) return cli_usage("proximity", "unexpected argument '%s'", a);
            paths[npaths++] = a;
        }
    }
    if (npaths < 2) return cli_usage("proximity", "missing %s", npaths ? "OUT" : "IN and OUT");
    o.common.creation_options = co;
    cp_status s = cp_tool_proximity(paths[0], paths[1], &o, cli_progress(quiet), NULL, NULL);
    if (s != CP_OK) return cli_fail(s);
    return CP_EXIT_OK;
}
