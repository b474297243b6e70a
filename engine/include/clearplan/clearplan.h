/* clearplan — public API. Include this one header.
 *
 *   cp_init();                                   once per process (registers GDAL drivers)
 *   cp_scenario_load("scenario.yaml", &sc);      parse and check a scenario
 *   cp_run(sc, &opts, &result);                  the whole pipeline
 *   cp_scenario_free(sc); cp_shutdown();
 *
 * Every call returns a cp_status; cp_errmsg() gives the detail of a failure. */
#ifndef CLEARPLAN_CLEARPLAN_H
#define CLEARPLAN_CLEARPLAN_H

#include <stdio.h>

#include <clearplan/status.h>
#include <clearplan/scenario.h>
#include <clearplan/run.h>
#include <clearplan/output.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers GDAL/OGR drivers and sets up GDAL error handling (errors are kept as detail
 * messages, never printed). Safe to call more than once. */
void cp_init(void);
/* Releases what cp_init set up. */
void cp_shutdown(void);
/* Prints the versions of clearplan and of GDAL, PROJ, GEOS and libyaml, one per line. */
void cp_print_versions(FILE *f);

#ifdef __cplusplus
}
#endif

#endif
