/* clearplan — deterministic synthetic scenarios (DESIGN §11 `clearplan synth`).
 *
 * Example:
 *
 *     cp_synth_options o;
 *     cp_synth_options_init(&o);               // tiny preset, seed 1
 *     o.preset = CP_SYNTH_DEMO;
 *     o.seed = 42;
 *     o.dir = "demo";
 *     cp_status s = cp_synth(&o, cp_progress_term, NULL);
 *
 * writes a complete scenario folder:
 *
 *   scenario.yaml     DESIGN §4, paths relative to it
 *   aoi.gpkg          layer `aoi`: the area of interest (grid.aoi), the hazards' extent grown
 *                     by 10 km within the rasters' world
 *   hazards.gpkg      layer `hazards` (EPSG:326xx MultiPolygon): hazard_id, status (SHA/CHA),
 *                     province, origin (front/village), surveyed_on; with deliberate flaws:
 *                     bow-tie rings, null and empty geometries, duplicate ids (listed in
 *                     synth.json)
 *   reports.gpkg      layer `reports` (EPSG:4326 points): report_id, reported_on (date),
 *                     confidence 0..1
 *   settlements.gpkg  layers `settlements` (points: name, population) and `roads` (lines)
 *   landcover.tif     Byte, ESA WorldCover codes, analysis grid (UTM, 30 m), nodata 0
 *   treecover.tif     Byte, percent 0..100, analysis grid, nodata 255
 *   population.tif    Float32 people per cell, EPSG:4326 at 3 arc-seconds (WorldPop style),
 *                     nodata -99999
 *   records.gpkg      layer `records` (polygons): task_id, team_days, method (clearance, nts,
 *                     ts), status: completed tasks for `clearplan calibrate`, their team-days
 *                     drawn from known productivities and slowdowns (in synth.json) with noise
 *   synth.json        manifest: preset, seed, grids, counts, population total, flaw lists,
 *                     the records' true cost figures
 *
 * The same preset, seed and overrides give byte-identical files: every value is a pure
 * function of (seed, position) through a counter-based hash, rasters are generated strip by
 * strip in bounded memory, and GDAL is asked for no timestamps. The folder is written under a
 * temporary name beside `dir` and renamed when complete. */
#ifndef CLEARPLAN_SYNTH_H
#define CLEARPLAN_SYNTH_H

#include <stdint.h>

#include <clearplan/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CP_SYNTH_TINY = 0,    /* 256 x 256 cells, 12 hazards: unit and end-to-end tests */
    CP_SYNTH_DEMO = 1,    /* 3,000 x 3,000 cells, 500 hazards: the README's demo */
    CP_SYNTH_NATIONAL = 2 /* 40,000 x 40,000 cells, 60,000 hazards: scale runs */
} cp_synth_preset;

typedef struct {
    cp_synth_preset preset;
    uint64_t seed;   /* any value; the same seed gives the same bytes */
    const char *dir; /* the scenario folder to create */
    int overwrite;   /* replace `dir` if clearplan wrote it (otherwise CP_E_IO) */
    int no_sync;     /* publish without waiting for the files to reach the disk */
    /* Overrides of the preset; 0 keeps the preset's value. */
    int nx, ny;      /* analysis grid size in cells */
    int hazards;     /* hazard features, flawed ones included */
    int reports;     /* improvised-mine reports */
    int settlements; /* settlements */
} cp_synth_options;

/* Fills the defaults: tiny preset, seed 1, no overrides, dir NULL. */
CP_API void cp_synth_options_init(cp_synth_options *o);

/* "tiny" | "demo" | "national" -> preset. Returns CP_E_ARG for anything else. */
CP_API cp_status cp_synth_preset_parse(const char *name, cp_synth_preset *out);

/* The preset's name ("tiny", ...); "?" for an unknown value. */
CP_API const char *cp_synth_preset_name(cp_synth_preset p);

/* Generates the scenario folder o->dir. Progress goes to `progress` (may be NULL); when it
 * returns 0 the generation stops, removes its temporary folder and returns
 * CP_E_INTERRUPTED. Errors: CP_E_ARG (bad options), CP_E_IO (dir exists without overwrite,
 * or a write failed), CP_E_NOMEM. cp_init() must have been called. */
CP_API cp_status cp_synth(const cp_synth_options *o, cp_progress_fn progress, void *arg);

#ifdef __cplusplus
}
#endif

#endif
