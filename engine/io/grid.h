/* The analysis grid (DESIGN §5): the grid every input is read onto and every output is
 * written on. Built from a scenario by the engine (engine/src/grid.c). Not part of the API. */
#ifndef CP_GRID_H
#define CP_GRID_H

#include <ogr_srs_api.h>

#include "cpk/cpk.h"

/* The analysis grid: a projected CRS in metres, one cell size, one extent. */
typedef struct {
    cpk_geo geo;
    char *wkt;                /* CRS as WKT */
    char crs_name[64];        /* e.g. "EPSG:32618" */
    OGRSpatialReferenceH srs; /* traditional GIS axis order */
} cp_grid;

void cp_grid_clear(cp_grid *g);

#endif
