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
        "                           [--co NAME=VALUE]... [-b BAND] [--memory SIZE] [-j N] [-q]\n"
        "                           [--assume-crs CRS] [--overwrite] [--no-sync]\n\n"
        "Writes, for every cell of IN, the exact Euclidean distance from its centre to the\n"
        "centre of the nearest source cell (a faster, exact gdal_proximity.py).\n\n"
        "  --values V,...     source cell values (default: every non-zero, non-nodata cell)\n"
        "  --max-dist D       cells farther than D from every source get the nodata value;\n"
        "                     strips of rows are then processed with a halo of D, in bounded\n"
        "                     memory. Without it each row is written once no source still\n"
        "                     unread can be nearer; the sources within reach of the rows not\n"
        "                     yet written (12 bytes each) must fit in --memory.\n"
        "  --distunits U      pixel (default, as gdal_proximity) or geo (CRS units: metres)\n"
        "  --nodata V         output nodata, written beyond --max-dist and where there is no\n"
        "                     source at all (default 65535)\n"
        "  --ot TYPE          output type (default Float32)\n"
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
        "gdal_proximity.py spellings -values, -maxdist, -distunits, -nodata, -ot, -co are\n"
        "accepted too. Exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

static double values[MAX_VALUES];

/* --values V,...: source values separated by commas or spaces. */
static int parse_values(const char *v, void *dest) {
    cp_proximity_options *o = dest;
    o->nvalues = 0;
    char *copy = strdup(v), *save = NULL;
    int ok = copy != NULL;
    for (char *t = ok ? strtok_r(copy, ", ", &save) : NULL; ok && t;
         t = strtok_r(NULL, ", ", &save)) {
        char *end = NULL;
        errno = 0;
        double x = strtod(t, &end);
        ok = o->nvalues < MAX_VALUES && !errno && end != t && !*end;
        if (ok) values[o->nvalues++] = x;
    }
    free(copy);
    o->values = values;
    return ok && o->nvalues > 0;
}

static int parse_units(const char *v, void *dest) {
    int *geo = dest;
    if (!strcasecmp(v, "geo")) return *geo = 1, 1;
    if (!strcasecmp(v, "pixel")) return *geo = 0, 1;
    return 0;
}

int cmd_proximity(int argc, char **argv) {
    cp_proximity_options o = cp_proximity_defaults();
    const char *co_items[MAX_CO + 1] = {0}, *nodata = NULL;
    cli_list co = {co_items, 0, MAX_CO};
    int quiet = 0, npaths;
    const char *paths[2] = {0};
    cli_option opts[] = {
        {"--values|-values", CLI_CUSTOM, &o, "source values separated by commas", parse_values},
        {"--max-dist|--maxdist|-maxdist", CLI_POSITIVE, &o.max_dist, "a positive distance", NULL},
        {"--distunits|-distunits", CLI_CUSTOM, &o.geo_units, "pixel or geo", parse_units},
        {"--nodata|-nodata", CLI_STRING, &nodata, "a number", NULL},
        {"--ot|-ot", CLI_STRING, &o.output_type, "a GDAL type name", NULL},
        {"-b|--band", CLI_BAND, &o.band, "a band number", NULL},
        CLI_TOOL_OPTIONS(&o.common, &quiet, &co),
        CLI_END};
    cli_spec spec = {"proximity", help, opts, paths, 2, 2, "IN OUT"};
    int rc = cli_parse(&spec, argc, argv, &npaths);
    if (rc >= 0) return rc;
    if (nodata) {
        char *end = NULL;
        o.nodata = strtod(nodata, &end);
        if (end == nodata || *end)
            return cli_usage("proximity", "--nodata wants a number (got '%s')", nodata);
        o.has_nodata = 1;
    }
    const char *const *co_list = co_items;
    o.common.creation_options = co_list;
    cp_tool_result r;
    cp_status s = cp_tool_proximity(paths[0], paths[1], &o, cli_progress(quiet), NULL, &r);
    if (s != CP_OK) return cli_fail(s);
    cli_crs_kept(r.crs_kept, o.common.assume_crs, quiet);
    return CP_EXIT_OK;
}
