/* The analysis grid (DESIGN §5): projected CRS in metres, one cell size, one extent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "engine.h"
#include "error.h"
#include "vector.h"

double cp_criteria_max_radius(const cp_scenario *sc) {
    double r = 0;
    for (size_t i = 0; i < sc->ncriteria; ++i) {
        const cp_criterion *c = &sc->criteria[i];
        double ri = 0;
        if (c->kind == CP_CRIT_FOCAL_SUM) ri = c->radius_m;
        if (c->kind == CP_CRIT_DISTANCE) ri = c->max_m;
        if (c->kind == CP_CRIT_DENSITY) ri = c->bandwidth_m;
        if (ri > r) r = ri;
    }
    return r;
}

void cp_grid_clear(cp_grid *g) {
    if (!g) return;
    CPLFree(g->wkt);
    if (g->srs) OSRDestroySpatialReference(g->srs);
    memset(g, 0, sizeof *g);
}

/* Transforms a bounding box between two CRSs (edges densified). */
static cp_status transform_bounds(OGRSpatialReferenceH from, OGRSpatialReferenceH to,
                                  const OGREnvelope *in, OGREnvelope *out, const char *what) {
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(from, to);
    if (!ct) return cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to the grid's CRS", what);
    int ok = OCTTransformBounds(ct, in->MinX, in->MinY, in->MaxX, in->MaxY, &out->MinX, &out->MinY,
                                &out->MaxX, &out->MaxY, 21);
    OCTDestroyCoordinateTransformation(ct);
    if (!ok || !isfinite(out->MinX) || !isfinite(out->MaxY))
        return cp_fail_gdal(CP_E_CRS, "<%s>: its extent cannot be transformed to the grid's CRS",
                            what);
    return CP_OK;
}

cp_status cp_grid_build(const cp_scenario *sc, cp_grid *g) {
    memset(g, 0, sizeof *g);
    const cp_input *hz = cp_scenario_input(sc, "hazards");
    cp_vector hv = {0}, av = {0};
    OGRSpatialReferenceH wgs84 = NULL;
    cp_status s = cp_vector_open(hz, &hv);
    if (s) goto done;
    OGREnvelope ext;
    if (OGR_L_GetExtent(hv.layer, &ext, 1) != OGRERR_NONE || !isfinite(ext.MinX) ||
        ext.MaxX < ext.MinX) {
        s = cp_fail(CP_E_FORMAT, "<%s>: layer '%s' has no geometries, so there is no grid",
                    hz->path, OGR_L_GetName(hv.layer));
        goto done;
    }
    g->srs = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(g->srs, OAMS_TRADITIONAL_GIS_ORDER);
    if (sc->grid.crs) {
        if (OSRSetFromUserInput(g->srs, sc->grid.crs) != OGRERR_NONE) {
            s = cp_fail_gdal(CP_E_CRS, "grid.crs: unknown CRS '%s'", sc->grid.crs);
            goto done;
        }
        snprintf(g->crs_name, sizeof g->crs_name, "%s", sc->grid.crs);
    } else {
        /* UTM zone of the hazards' centroid. */
        wgs84 = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(wgs84, 4326);
        OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
        OGREnvelope ll;
        if ((s = transform_bounds(hv.srs, wgs84, &ext, &ll, hz->path))) goto done;
        double lon = 0.5 * (ll.MinX + ll.MaxX), lat = 0.5 * (ll.MinY + ll.MaxY);
        int zone = (int)floor((lon + 180.0) / 6.0) + 1;
        if (zone < 1) zone = 1;
        if (zone > 60) zone = 60;
        int epsg = (lat >= 0 ? 32600 : 32700) + zone;
        OSRImportFromEPSG(g->srs, epsg);
        snprintf(g->crs_name, sizeof g->crs_name, "EPSG:%d", epsg);
    }
    OSRExportToWkt(g->srs, &g->wkt);
    OGREnvelope box;
    if (sc->grid.aoi) {
        cp_input aoi = {0};
        aoi.name = "aoi";
        aoi.path = sc->grid.aoi;
        aoi.type = CP_INPUT_VECTOR;
        if ((s = cp_vector_open(&aoi, &av))) goto done;
        OGREnvelope aext;
        if (OGR_L_GetExtent(av.layer, &aext, 1) != OGRERR_NONE) {
            s = cp_fail(CP_E_FORMAT, "<%s>: the area of interest has no geometry", aoi.path);
            goto done;
        }
        if ((s = transform_bounds(av.srs, g->srs, &aext, &box, aoi.path))) goto done;
    } else {
        if ((s = transform_bounds(hv.srs, g->srs, &ext, &box, hz->path))) goto done;
        double grow = cp_criteria_max_radius(sc);
        box.MinX -= grow, box.MinY -= grow, box.MaxX += grow, box.MaxY += grow;
    }
    double cs = sc->grid.cell_size_m;
    double x0 = floor(box.MinX / cs) * cs, x1 = ceil(box.MaxX / cs) * cs;
    double y0 = floor(box.MinY / cs) * cs, y1 = ceil(box.MaxY / cs) * cs;
    if (x1 <= x0) x1 = x0 + cs;
    if (y1 <= y0) y1 = y0 + cs;
    double nx = round((x1 - x0) / cs), ny = round((y1 - y0) / cs);
    if (nx > 2147483647.0 || ny > 2147483647.0 || nx * ny > 4.0e12) {
        s = cp_fail(CP_E_NOMEM,
                    "the grid would be %.0f x %.0f cells at %g m, beyond what can be addressed; "
                    "use a larger grid.cell_size_m or a smaller grid.aoi",
                    nx, ny, cs);
        goto done;
    }
    g->geo.x0 = x0;
    g->geo.y0 = y1;
    g->geo.dx = cs;
    g->geo.dy = cs;
    g->geo.nx = (int64_t)nx;
    g->geo.ny = (int64_t)ny;
done:
    if (wgs84) OSRDestroySpatialReference(wgs84);
    cp_vector_close(&av);
    cp_vector_close(&hv);
    if (s) cp_grid_clear(g);
    return s;
}
