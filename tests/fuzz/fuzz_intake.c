/* libFuzzer target: bytes -> OGR (a GeoJSON file, or one WKB geometry) -> the geometry and id
 * intake (engine/io/intake.h: classify, transform, make-valid, union) -> coverage arrays -> the
 * exact coverage kernel, with invariants asserted:
 *   - every feature is kept or rejected with a reason (kept + rejected = features read);
 *   - a kept geometry is a valid GEOS MultiPolygon, 2D, of finite area > 0;
 *   - its coverage arrays have one part per polygon and one ring per shell and hole;
 *   - on a grid of 16 x 16 cells around it, every fraction is finite and in [0, 1] and
 *     Σ fraction x cell area = its GEOS area (the kernel and GEOS agree on a valid polygon);
 *   - its buffer, through cp_geos_multipolygon, is valid and not smaller;
 *   - every attribute reads as text (cp_field_text) without touching freed memory.
 *
 * Input layout: byte 0 flags: bit 0 WKB (else GeoJSON), bit 1 transform from EPSG:4326 to
 * UTM 60S (EPSG:32760: the antimeridian), bit 2 from EPSG:4326 to UTM 18N; the rest is the
 * GeoJSON text or the WKB. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "intake.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                    \
    do {                            \
        if (!(c)) __builtin_trap(); \
    } while (0)

static GEOSContextHandle_t gh;
static OGRSpatialReferenceH ll, utm60s, utm18n;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    gh = cp_geos_init();
    ll = OSRNewSpatialReference(NULL);
    utm60s = OSRNewSpatialReference(NULL);
    utm18n = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(ll, 4326);
    OSRImportFromEPSG(utm60s, 32760);
    OSRImportFromEPSG(utm18n, 32618);
    OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(utm60s, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(utm18n, OAMS_TRADITIONAL_GIS_ORDER);
    return 0;
}

/* The kept polygon's invariants (see the top of the file). */
static void check_kept(const GEOSGeometry *g) {
    CHECK(GEOSGeomTypeId_r(gh, g) == GEOS_MULTIPOLYGON);
    CHECK(GEOSisValid_r(gh, g) == 1);
    CHECK(GEOSHasZ_r(gh, g) == 0);
    double area = 0;
    CHECK(GEOSArea_r(gh, g, &area) == 1 && isfinite(area) && area > 0);
    cp_polygon_arrays a;
    CHECK(cp_polygon_arrays_make(gh, g, &a) == CP_OK);
    int nparts = GEOSGetNumGeometries_r(gh, g), nrings = 0;
    for (int p = 0; p < nparts; ++p)
        nrings += 1 + GEOSGetNumInteriorRings_r(gh, GEOSGetGeometryN_r(gh, g, p));
    CHECK(a.nparts == nparts && a.nrings == nrings);
    CHECK(a.part_offsets[a.nparts] == a.nrings);
    cpk_polygon view = cp_polygon_arrays_view(&a);
    CHECK(cpk_polygon_check(&view) == CPK_OK);
    double x0, y0, x1, y1;
    CHECK(GEOSGeom_getXMin_r(gh, g, &x0) && GEOSGeom_getYMin_r(gh, g, &y0));
    CHECK(GEOSGeom_getXMax_r(gh, g, &x1) && GEOSGeom_getYMax_r(gh, g, &y1));
    double cell = fmax(x1 - x0, y1 - y0) / 16,
           big = fmax(fmax(fabs(x0), fabs(x1)), fmax(fabs(y0), fabs(y1)));
    /* cells too small for their coordinates (below 1e-9 of them) are not a usable grid, nor
     * are cells whose area's 1e-9 is below the normal doubles (coordinates about 1e-150 m:
     * subnormal areas keep no relative precision, and the tolerance below would be 0) */
    if (isfinite(cell) && cell > 1e-9 * big && isfinite(cell * cell) &&
        1e-9 * (cell * cell) >= DBL_MIN) {
        cpk_geo grid = {x0 - cell, y1 + cell, cell, cell, 0, 0};
        grid.nx = (int64_t)ceil((x1 - x0) / cell) + 2;
        grid.ny = (int64_t)ceil((y1 - y0) / cell) + 2;
        /* both sides round: 1e-9 of the grid's area, plus the rounding of coordinates far from
         * the origin relative to the cells (1e-15 of them per vertex) */
        double grid_area = (double)(grid.nx * grid.ny) * cell * cell;
        double tol = 1e-9 * grid_area + 1e-15 * big / cell * grid_area * (double)a.nrings;
        cpk_window win;
        CHECK(cpk_coverage_window(&view, &grid, &win) == CPK_OK);
        CHECK(win.nx <= grid.nx && win.ny <= grid.ny);
        if (win.nx == 0 || win.ny == 0) { /* thinner than the grid's coordinates resolve */
            CHECK(area <= tol);
            cp_polygon_arrays_free(&a);
            return;
        }
        double *frac = malloc(sizeof *frac * (size_t)(win.nx * win.ny));
        CHECK(frac && cpk_coverage_polygon(&view, &grid, &win, frac) == CPK_OK);
        double sum = 0;
        for (int64_t k = 0; k < win.nx * win.ny; ++k) {
            CHECK(isfinite(frac[k]) && frac[k] >= 0 && frac[k] <= 1);
            sum += frac[k];
        }
        free(frac);
        double got = sum * cell * cell;
        if (!(fabs(got - area) <= tol))
            fprintf(stderr, "intake: coverage %.17g, GEOS area %.17g (tolerance %.3g)\n", got, area,
                    tol);
        CHECK(fabs(got - area) <= tol);
        /* the buffer path of `run` (cp_geos_grow): a valid multipolygon, not smaller, or
         * none (the run then stops naming the hazard) */
        GEOSGeometry *bm = cp_geos_grow(gh, g, cell);
        if (bm) {
            double barea = 0;
            CHECK(GEOSisValid_r(gh, bm) == 1);
            CHECK(GEOSArea_r(gh, bm, &barea) == 1 && barea >= area * (1 - 1e-9));
            GEOSGeom_destroy_r(gh, bm);
        }
    }
    cp_polygon_arrays_free(&a);
}

/* Takes in one geometry; 1 when kept. */
static int take_in(const cp_intake *it, OGRGeometryH geom) {
    cp_intake_polygon p;
    CHECK(cp_intake_geometry(it, geom, &p) == CP_OK);
    if (!p.geom) {
        CHECK(p.reason[0] != '\0');
        return 0;
    }
    CHECK(p.repaired == 0 || p.repaired == 1);
    check_kept(p.geom);
    GEOSGeom_destroy_r(gh, p.geom);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    OGRSpatialReferenceH to = data[0] & 2 ? utm60s : data[0] & 4 ? utm18n : NULL;
    cp_intake it;
    CHECK(cp_intake_init(&it, gh, to ? ll : NULL, to, "fuzz", "EPSG:326xx") == CP_OK);
    if (data[0] & 1) { /* one WKB geometry */
        OGRGeometryH g = NULL;
        if (OGR_G_CreateFromWkbEx(data + 1, NULL, &g, size - 1) == OGRERR_NONE) {
            take_in(&it, g);
            OGR_G_DestroyGeometry(g);
        }
        cp_intake_clear(&it);
        return 0;
    }
    static unsigned serial;
    char path[64];
    snprintf(path, sizeof path, "/vsimem/fuzz_intake_%u.geojson", serial++);
    VSILFILE *f = VSIFileFromMemBuffer(path, (GByte *)data + 1, (vsi_l_offset)(size - 1), FALSE);
    VSIFCloseL(f);
    const char *const drivers[] = {"GeoJSON", NULL};
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
    long long features = 0, kept = 0, rejected = 0;
    for (int li = 0; ds && li < GDALDatasetGetLayerCount(ds); ++li) {
        OGRLayerH l = GDALDatasetGetLayer(ds, li);
        OGRFeatureH feat;
        OGR_L_ResetReading(l);
        while ((feat = OGR_L_GetNextFeature(l)) != NULL && features < 1000) {
            ++features;
            char *first = NULL;
            for (int k = 0; k < OGR_F_GetFieldCount(feat); ++k) {
                char *text = NULL;
                CHECK(cp_field_text(feat, k, &text) == CP_OK);
                if (k == 0) {
                    first = text;
                } else {
                    if (text) CHECK(strlen(text) < ((size_t)1 << 30));
                    free(text);
                }
            }
            /* the first field's text survives the later reads (OGR reuses its buffer) */
            if (first) {
                char *again = NULL;
                CHECK(cp_field_text(feat, 0, &again) == CP_OK && again);
                CHECK(!strcmp(first, again));
                free(again);
            }
            free(first);
            if (take_in(&it, OGR_F_GetGeometryRef(feat)))
                ++kept;
            else
                ++rejected;
            OGR_F_Destroy(feat);
        }
        if (feat) OGR_F_Destroy(feat);
    }
    CHECK(kept + rejected == features);
    if (ds) GDALClose(ds);
    VSIUnlink(path);
    cp_intake_clear(&it);
    return 0;
}
