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
        "                       [--memory MB] [--overwrite] [--no-sync] [-q]\n\n"
        "Zonal statistics of every polygon of POLYGONS over a band of RASTER, with exact\n"
        "coverage fractions: each cell counts with the share of its area inside the polygon.\n"
        "Polygons are reprojected to the raster's CRS; invalid ones are repaired (GEOS\n"
        "make-valid); null or empty geometries get empty statistics. One CSV row per feature:\n"
        "its attributes, then the statistics.\n\n"
        "  --layer L     polygon layer (default: the first)\n"
        "  --band N      raster band (default: 1)\n"
        "  --stats LIST  any of sum, mean, min, max, area (+ nodata_area), count, classes\n"
        "                (class_<value>_share columns); default: sum,mean,min,max,area,count\n"
        "  -j N          threads (default: all cores)\n"
        "  --memory MB   raster strip budget (default: 512)\n"
        "  --overwrite   replace OUT.csv when clearplan wrote it (an existing file is\n"
        "                otherwise refused)\n"
        "  --no-sync     do not wait for OUT.csv to reach the disk before publishing it\n"
        "  -q            no progress bar, no warnings\n");
}

int cmd_zonal(int argc, char **argv) {
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0, quiet = 0;
    cp_zonal_options o = cp_zonal_defaults();
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help();
            return CP_EXIT_OK;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--overwrite")) {
            o.common.overwrite = 1;
        } else if (!strcmp(a, "--no-sync")) {
            o.common.no_sync = 1;
        } else if (!strcmp(a, "--layer") || !strcmp(a, "-l")) {
            if (!more) return cli_usage("zonal", "%s needs a layer name", a);
            o.layer = argv[++i];
        } else if (!strcmp(a, "--band") || !strcmp(a, "-b")) {
            char *end = NULL;
            long v = more ? strtol(argv[i + 1], &end, 10) : 0;
            if (!more || !end || *end || v < 1 || v > 65535)
                return cli_usage("zonal", "%s needs a band number >= 1", a);
            o.band = (int)v;
            ++i;
        } else if (!strcmp(a, "--stats")) {
            if (!more) return cli_usage("zonal", "--stats needs a list");
            if (cp_zonal_parse_stats(argv[++i], &o.stats) != CP_OK)
                return cli_usage("zonal", "%s", cp_errmsg());
        } else if (!strcmp(a, "-j") || !strcmp(a, "--threads")) {
            if (!more || !cli_parse_threads(argv[i + 1], &o.common.threads))
                return cli_usage("zonal", "%s needs a thread count >= 1", a);
            ++i;
        } else if (!strcmp(a, "--memory")) {
            char *end = NULL;
            long v = more ? strtol(argv[i + 1], &end, 10) : 0;
            if (!more || !end || *end || v < 1)
                return cli_usage("zonal", "--memory needs a size in MB >= 1");
            o.common.memory_mb = (size_t)v;
            ++i;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("zonal", "unknown option '%s'", a);
        } else {
            if (npos == 3) return cli_usage("zonal", "too many arguments ('%s')", a);
            pos[npos++] = a;
        }
    }
    if (npos < 3) return cli_usage("zonal", "expected RASTER POLYGONS OUT.csv");
    cp_zonal_result r;
    cp_status s = cp_tool_zonal(pos[0], pos[1], pos[2], &o, cli_progress(quiet), NULL, &r);
    if (s != CP_OK) return cli_fail(s);
    if (!quiet && (r.repaired || r.empty || r.outside))
        fprintf(stderr,
                "clearplan: warning: %lld invalid polygon(s) repaired, %lld null/empty "
                "geometr%s, %lld outside the raster\n",
                r.repaired, r.empty, r.empty == 1 ? "y" : "ies", r.outside);
    return CP_EXIT_OK;
}
