/* clearplan validate SCENARIO — check a scenario and its inputs without heavy work. */
#include <stdio.h>

#include <clearplan/clearplan.h>

#include "commands.h"

static void help(void) {
    printf(
        "usage: clearplan validate SCENARIO\n\n"
        "Parses the scenario and checks its inputs: files open, CRSs, extents,\n"
        "fields and geometries, and the output folder. Runs nothing heavy.\n");
}

int cmd_validate(int argc, char **argv) {
    const char *path = NULL;
    cli_option opts[] = {CLI_END};
    cli_spec spec = {"validate", help, opts, &path, 1, 1, "SCENARIO"};
    int npos, rc = cli_parse(&spec, argc, argv, &npos);
    if (rc >= 0) return rc;
    cp_scenario *sc = NULL;
    cp_status s = cp_scenario_load(path, &sc);
    if (s == CP_OK) cli_notes(sc);
    if (s == CP_OK) s = cp_validate(sc, stdout);
    cp_scenario_free(sc);
    if (s != CP_OK) return cli_fail(s);
    return CP_EXIT_OK;
}
