/* clearplan — cost calibration from completion records (DESIGN §16, `clearplan calibrate`).
 *
 * Completed tasks (a polygon, the team-days it took, its method or team type) are
 * read from any OGR source; under each polygon the scenario's land cover, tree cover and
 * report density are taken cell by cell with exact coverage fractions, on the scenario's grid,
 * as the run takes them for its hazards; the productivities per land-cover class, the two
 * slowdowns and the survey rates are fitted (cp_calib_fit_compute in clearplan/evidence.h:
 * the model, the robust fit, the intervals, the cross-validation). The result is written as a
 * cost profile, `cost_profile.yaml`: a `cost:` block another scenario includes with
 * `cost: {profile: cost_profile.yaml}`, with the provenance of the records and the fit's
 * statistics, and `calibration.csv`, every record with its fit.
 *
 * Records: `method` is nts (or "non-technical survey"), ts ("technical survey"), clearance, or
 * the name of one of the scenario's team types that does one stage. A record without a
 * polygon, outside the grid, with team-days missing or not positive, or an unknown method is
 * rejected with a reason (listed in calibration.csv).
 *
 * Example:
 *
 *     cp_scenario *sc = NULL;
 *     cp_calibrate_options o = {0};
 *     o.records = "tasks.gpkg";                 // task_id, team_days, method
 *     cp_calibration *cal = NULL;
 *     cp_status s = cp_scenario_load("scenario.yaml", &sc);
 *     if (s == CP_OK) s = cp_calibrate(sc, &o, &cal);
 *     if (s == CP_OK) s = cp_calibration_write(cal, sc, "profile.tmp");
 *     cp_calibration_free(cal);
 *     cp_scenario_free(sc);
 */
#ifndef CLEARPLAN_CALIBRATE_H
#define CLEARPLAN_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/evidence.h>
#include <clearplan/scenario.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *records;         /* the completion records (any OGR source) */
    const char *layer;           /* NULL: the only layer (an error when there are several) */
    const char *id_field;        /* NULL: "task_id" */
    const char *team_days_field; /* NULL: "team_days" */
    const char *method_field;    /* NULL: "method" (what the task was: its stage or team type;
                                    no other field is read) */
    int threads;                 /* 0: OpenMP default */
} cp_calibrate_options;

/* A record as used, or rejected with a reason. */
typedef struct {
    char *id;
    int method;       /* CP_METHOD_*; -1 rejected */
    double team_days; /* as read */
    double area_m2;   /* covered on the grid */
    double predicted; /* by the fit */
    char *reason;     /* rejected: why; NULL otherwise */
} cp_calib_row;

typedef struct cp_calibration {
    cp_calib_fit *fit;
    cp_calib_row *rows; /* every record read */
    size_t nrows, nused;
    char *records_path;
    char records_fnv1a64[17]; /* checksum of the records file */
    uint64_t records_bytes;
} cp_calibration;

/* Reads the records, takes the rasters under them and fits. Errors name the file and field. */
CP_API cp_status cp_calibrate(const cp_scenario *sc, const cp_calibrate_options *o,
                              cp_calibration **out);
CP_API void cp_calibration_free(cp_calibration *c);

/* cost_profile.yaml and calibration.csv into `dir`. `scenario_path` and `date` (today) are
 * recorded in the provenance. */
CP_API cp_status cp_calibration_write(const cp_calibration *c, const cp_scenario *sc,
                                      const char *dir);

#ifdef __cplusplus
}
#endif

#endif
