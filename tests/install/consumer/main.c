/* A program built against the installed clearplan package. */
#include <stdio.h>
#include <string.h>

#include <clearplan/clearplan.h>

int main(void) {
    cp_init();
    cp_scenario *sc = NULL;
    const char *yaml = "inputs: {hazards: h.gpkg, population: p.tif}\n";
    cp_status s = cp_scenario_parse(yaml, strlen(yaml), "x.yaml", ".", &sc);
    printf("clearplan %s: %s, %zu criteria\n", cp_version(), cp_strerror(s),
           sc ? sc->ncriteria : 0);
    cp_scenario_free(sc);
    cp_shutdown();
    return s == CP_OK ? 0 : 1;
}
