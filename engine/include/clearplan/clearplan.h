/* clearplan — public API. Include this one header: it includes every other one (scenario,
 * run, output transaction, planner, raster tools, zonal statistics, MPI jobs, status).
 *
 * Example:
 *
 *     cp_init();                                  // once per process: GDAL's drivers
 *     cp_scenario *sc = NULL;
 *     cp_run_options opts = {0};
 *     cp_run_result result;
 *     cp_status s = cp_scenario_load("scenario.yaml", &sc);
 *     if (s == CP_OK) s = cp_run(sc, &opts, &result);
 *     if (s != CP_OK) fprintf(stderr, "clearplan: %s\n", cp_errmsg());
 *     cp_scenario_free(sc);
 *     cp_shutdown();
 *
 * Every call returns a cp_status; cp_errmsg() gives the detail of a failure. The examples in
 * these headers are compiled by a test (tests/unit/header_examples.py). */
#ifndef CLEARPLAN_CLEARPLAN_H
#define CLEARPLAN_CLEARPLAN_H

#include <stdio.h>

#include <clearplan/status.h>
#include <clearplan/scenario.h>
#include <clearplan/run.h>
#include <clearplan/output.h>
#include <clearplan/plan.h>
#include <clearplan/evidence.h>
#include <clearplan/calibrate.h>
#include <clearplan/tools.h>
#include <clearplan/zonal.h>
#include <clearplan/mpirun.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers GDAL/OGR's drivers (a no-op when the host already did). Safe to call more than
 * once. clearplan changes no process-wide state: GDAL's error handler is pushed and popped
 * around every call that reaches GDAL (its messages become cp_errmsg() details, never printed
 * and never passed to the host's handler), and GDAL's cache and driver manager are left to
 * the host. */
CP_API void cp_init(void);
/* The counterpart of cp_init: releases nothing of GDAL's (the host's, or the process's at
 * exit). */
CP_API void cp_shutdown(void);
/* Prints the versions of clearplan and of GDAL, PROJ, GEOS and libyaml, one per line. */
CP_API void cp_print_versions(FILE *f);

#ifdef __cplusplus
}
#endif

#endif
