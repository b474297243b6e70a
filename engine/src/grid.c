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

static const double pi = 3.14159265358979323846;

/* The UTM zone (WGS 84) of the features' mean position: each feature's envelope centre in
 * lon/lat, the longitudes averaged as directions (circular mean), so that hazards either side
 * of the antimeridian give the zone there, not zone 31 at Greenwich. */
static cp_status utm_of_features(const cp_vector *hv, const char *path, int *epsg) {
    OGRSpatialReferenceH wgs84 = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs84, 4326);
    OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
    CPLErrorReset();
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(hv->srs, wgs84);
    OSRDestroySpatialReference(wgs84);
    if (!ct) return cp_fail_gdal(CP_E_CRS, "<%s>: cannot transform to WGS 84", path);
    double sx = 0, sy = 0, slat = 0;
    size_t n = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(hv->layer);
    while ((f = OGR_L_GetNextFeature(hv->layer)) != NULL) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        if (geom && !OGR_G_IsEmpty(geom)) {
            OGREnvelope e;
            OGR_G_GetEnvelope(geom, &e);
            double x = 0.5 * (e.MinX + e.MaxX), y = 0.5 * (e.MinY + e.MaxY);
            if (OCTTransform(ct, 1, &x, &y, NULL) && isfinite(x) && isfinite(y)) {
                sx += cos(x * pi / 180), sy += sin(x * pi / 180), slat += y;
                n++;
            }
        }
        OGR_F_Destroy(f);
    }
    OCTDestroyCoordinateTransformation(ct);
    if (!n)
        return cp_fail(CP_E_FORMAT, "<%s>: layer '%s' has no geometries, so there is no grid", path,
                       OGR_L_GetName(hv->layer));
    double lon = atan2(sy, sx) * 180 / pi, lat = slat / (double)n;
    int zone = (int)floor((lon + 180.0) / 6.0) + 1;
    zone = zone < 1 ? 1 : zone > 60 ? 60 : zone;
    *epsg = (lat >= 0 ? 32600 : 32700) + zone;
    return CP_OK;
}

cp_status cp_grid_crs(const cp_scenario *sc, const cp_vector *hv, const char *path, cp_grid *g) {
    memset(g, 0, sizeof *g);
    g->srs = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(g->srs, OAMS_TRADITIONAL_GIS_ORDER);
    cp_status s = CP_OK;
    if (sc->grid.crs) {
        if (OSRSetFromUserInput(g->srs, sc->grid.crs) != OGRERR_NONE)
            s = cp_fail_gdal(CP_E_CRS, "grid.crs: unknown CRS '%s'", sc->grid.crs);
        snprintf(g->crs_name, sizeof g->crs_name, "%s", sc->grid.crs);
    } else {
        int epsg = 0;
        if (!(s = utm_of_features(hv, path, &epsg))) {
            OSRImportFromEPSG(g->srs, epsg);
            snprintf(g->crs_name, sizeof g->crs_name, "EPSG:%d", epsg);
        }
    }
    if (!s) OSRExportToWkt(g->srs, &g->wkt);
    if (s) cp_grid_clear(g);
    return s;
}

/* "12.3 GB" */
static const char *bytes_text(double b, char *buf, size_t n) {
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    int u = 0;
    while (b >= 1000 && u < 6) b /= 1000, u++;
    snprintf(buf, n, "%.3g %s", b, units[u]);
    return buf;
}

cp_status cp_grid_extent(const cp_scenario *sc, const double box[4], cp_grid *g) {
    double cs = sc->grid.cell_size_m;
    double max_cells = sc->grid.max_cells > 0 ? sc->grid.max_cells : CP_GRID_MAX_CELLS;
    if (!isfinite(box[0]) || !isfinite(box[1]) || !isfinite(box[2]) || !isfinite(box[3]))
        return cp_fail(CP_E_GEOMETRY, "the grid's extent in %s is not finite", g->crs_name);
    double x0 = floor(box[0] / cs) * cs, x1 = ceil(box[2] / cs) * cs;
    double y0 = floor(box[1] / cs) * cs, y1 = ceil(box[3] / cs) * cs;
    if (x1 <= x0) x1 = x0 + cs;
    if (y1 <= y0) y1 = y0 + cs;
    double nx = round((x1 - x0) / cs), ny = round((y1 - y0) / cs);
    /* GDAL addresses rasters with int sizes: that limit no setting lifts */
    int addressable = nx <= 2147483647.0 && ny <= 2147483647.0;
    if (!addressable || nx * ny > max_cells) {
        char bytes[32], limit[96];
        if (addressable)
            snprintf(limit, sizeof limit, "more than grid.max_cells (%.0f cells)", max_cells);
        else
            snprintf(limit, sizeof limit, "more than GDAL can address (2147483647 cells a side)");
        return cp_fail(CP_E_CONFIG,
                       "the grid would be %.0f x %.0f cells of %g m (%.3g cells, %s per Float32 "
                       "layer) over x %.0f .. %.0f, y %.0f .. %.0f m in %s: %s; check the "
                       "hazards' positions and CRS, or set grid.aoi or a larger "
                       "grid.cell_size_m%s",
                       nx, ny, cs, nx * ny, bytes_text(4 * nx * ny, bytes, sizeof bytes), x0, x1,
                       y0, y1, g->crs_name, limit, addressable ? " (or raise grid.max_cells)" : "");
    }
    g->geo.x0 = x0;
    g->geo.y0 = y1;
    g->geo.dx = cs;
    g->geo.dy = cs;
    g->geo.nx = (int64_t)nx;
    g->geo.ny = (int64_t)ny;
    return CP_OK;
}
