/* clearplan zonal RASTER POLYGONS OUT.csv — exact zonal statistics to CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/zonal.h>

#include "commands.h"

static void help(void) {
    printf(
        "usage: clearplan zonal RASTER POLYGONS OUT.csv [--layer L] [--band N]\n"
        "                       [--stats sum,mean,min,max,area,count,classes] [-j N]\n"
        "                       [--memory SIZE] [--assume-crs CRS] [--overwrite] [--no-sync]\n"
        "                       [-q]\n\n"
        "Zonal statistics of every polygon of POLYGONS over a band of RASTER, with exact\n"
        "coverage fractions: each cell counts with the share of its area inside the polygon.\n"
        "Polygons are reprojected to the raster's CRS; invalid ones are repaired (GEOS\n"
        "make-valid); null or empty geometries get empty statistics. One CSV row per feature:\n"
        "its attributes, then the statistics.\n\n"
        "  --layer L     polygon layer (needed when the file has several)\n"
        "  --band N      raster band (default: 1)\n"
        "  --stats LIST  any of sum, mean, min, max, area (+ nodata_area), count, classes\n"
        "                (class_<value>_share columns); default: sum,mean,min,max,area,count\n"
        "  -j N          threads (default: all cores)\n"
        "  --memory SIZE raster strip budget: MB, or 512M, 2G (default 1G)\n"
        "  --assume-crs CRS  the CRS of an input that has none (e.g. EPSG:32633)\n"
        "  --overwrite   replace OUT.csv when clearplan wrote it (an existing file is\n"
        "                otherwise refused)\n"
        "  --no-sync     do not wait for OUT.csv to reach the disk before publishing it\n"
        "  -q            no progress bar, no warnings\n");
}

static int parse_stats(const char *v, void *dest) {
    return cp_zonal_parse_stats(v, dest) == CP_OK;
}

int cmd_zonal(int argc, char **argv) {
    const char *pos[3] = {NULL, NULL, NULL};
    int npos, quiet = 0;
    cp_zonal_options o = cp_zonal_defaults();
    const char *co_items[1] = {NULL};
    cli_list co = {co_items, 0, 0}; /* zonal writes a CSV: no creation options */
    cli_option opts[] = {{"--layer|-l", CLI_STRING, &o.layer, "a layer name", NULL},
                         {"--band|-b", CLI_BAND, &o.band, "a band number", NULL},
                         {"--stats", CLI_CUSTOM, &o.stats,
                          "a list of sum, mean, min, max, area, count, classes", parse_stats},
                         CLI_TOOL_OPTIONS(&o.common, &quiet, &co),
                         CLI_END};
    cli_spec spec = {"zonal", help, opts, pos, 3, 3, "RASTER POLYGONS OUT.csv"};
    int rc = cli_parse(&spec, argc, argv, &npos);
    if (rc >= 0) return rc;
    cp_zonal_result r;
    cp_status s = cp_tool_zonal(pos[0], pos[1], pos[2], &o, cli_progress(quiet), NULL, &r);
    if (s != CP_OK) return cli_fail(s);
    cli_crs_kept(r.crs_kept, o.common.assume_crs, quiet);
    if (!quiet && (r.repaired || r.empty || r.outside))
        fprintf(stderr,
                "clearplan: warning: %lld invalid polygon(s) repaired, %lld rejected (null, "
                "empty, not polygonal or not transformable to the raster's CRS: their rows "
                "have no statistics), %lld outside the raster\n",
                r.repaired, r.empty, r.outside);
    return CP_EXIT_OK;
}
