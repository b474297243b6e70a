/* clearplan validate SCENARIO — check a scenario and its inputs without heavy work. */
#include <stdio.h>
#include <string.h>

#include <clearplan/clearplan.h>

#include "commands.h"

int cmd_validate(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf(
                "usage: clearplan validate SCENARIO\n\n"
                "Parses the scenario and checks its inputs: files open, CRSs, extents,\n"
                "fields and geometries. Runs nothing heavy.\n");
            return CP_EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("validate", "unknown option '%s'", argv[i]);
        if (path) return cli_usage("validate", "more than one scenario given");
        path = argv[i];
    }
    if (!path) return cli_usage("validate", "missing SCENARIO");
    cp_scenario *sc = NULL;
    cp_status s = cp_scenario_load(path, &sc);
    if (s == CP_OK) s = cp_validate(sc, stdout);
    cp_scenario_free(sc);
    if (s != CP_OK) return cli_fail(s);
    return CP_EXIT_OK;
}
