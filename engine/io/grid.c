/* The analysis grid's memory (grid.h). */
#include <string.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include "grid.h"

void cp_grid_clear(cp_grid *g) {
    if (!g) return;
    CPLFree(g->wkt);
    if (g->srs) OSRDestroySpatialReference(g->srs);
    memset(g, 0, sizeof *g);
}
