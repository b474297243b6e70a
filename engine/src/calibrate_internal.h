/* The cells under polygons for the cost calibration (calibrate.c), shared with the synthetic
 * generator, which draws its completion records' team-days from them. Internal. */
#ifndef CP_CALIBRATE_INTERNAL_H
#define CP_CALIBRATE_INTERNAL_H

#include <clearplan/evidence.h>

#include "engine.h"

typedef struct {
    cp_calib_cell *cells;
    size_t ncells;
    size_t *first, *count; /* per polygon of the hazard set */
    int *classes;          /* land-cover codes of the cells' class indices, ascending */
    size_t nclasses;
} calib_cells;

/* Every cell each polygon of `hs` covers, with its exact coverage, the scenario's land cover
 * and tree cover on the grid and whether the report density of its density criterion (as the
 * run's cost model uses it) exceeds cost.improvised_threshold. */
cp_status cp_calib_cells_read(const cp_scenario *sc, const cp_grid *g, const cp_hazard_set *hs,
                              int threads, calib_cells *cc);
void cp_calib_cells_free(calib_cells *cc);

#endif
