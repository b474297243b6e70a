/* clearplan validate: check the inputs of a scenario without the heavy raster work. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/clearplan.h>

#include "engine.h"
#include "error.h"
#include "inputs.h"
#include "vector.h"

/* Share of the grid's extent that a raster's footprint covers (its bounding box transformed
 * to the grid's CRS): cheap, nothing is read or warped. Opening through cp_input_warp also
 * checks the file, its CRS and that it overlaps the grid at all. */
static cp_status raster_overlap(const cp_input *in, const cp_grid *g, double *share) {
    GDALDatasetH vrt = NULL;
    cp_status s = cp_input_warp(in, g, 1, 0, &vrt);
    if (s) return s;
    *share = 0;
    GDALDatasetH src = GDALOpenEx(in->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    double gt[6];
    const char *wkt = src ? GDALGetProjectionRef(src) : NULL;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    int ok = src && GDALGetGeoTransform(src, gt) == CE_None &&
             OSRSetFromUserInput(srs, wkt && *wkt ? wkt : in->assume_crs) == OGRERR_NONE;
    OGRCoordinateTransformationH ct = ok ? OCTNewCoordinateTransformation(srs, g->srs) : NULL;
    if (ct) {
        double x0 = gt[0], x1 = gt[0] + gt[1] * GDALGetRasterXSize(src);
        double y1 = gt[3], y0 = gt[3] + gt[5] * GDALGetRasterYSize(src);
        double bx0, by0, bx1, by1;
        if (OCTTransformBounds(ct, fmin(x0, x1), fmin(y0, y1), fmax(x0, x1), fmax(y0, y1), &bx0,
                               &by0, &bx1, &by1, 21)) {
            double gx0 = g->geo.x0, gx1 = g->geo.x0 + (double)g->geo.nx * g->geo.dx;
            double gy1 = g->geo.y0, gy0 = g->geo.y0 - (double)g->geo.ny * g->geo.dy;
            double w = fmin(bx1, gx1) - fmax(bx0, gx0), h = fmin(by1, gy1) - fmax(by0, gy0);
            if (w > 0 && h > 0) *share = w * h / ((gx1 - gx0) * (gy1 - gy0));
        }
        OCTDestroyCoordinateTransformation(ct);
    }
    OSRDestroySpatialReference(srs);
    if (src) GDALClose(src);
    GDALClose(vrt);
    return CP_OK;
}

static cp_status validate_quietly(const cp_scenario *sc, FILE *report) {
    /* the output folder first: a run into it would be refused (an existing one is allowed
     * here when clearplan wrote it: run replaces it with --overwrite) */
    cp_status s = cp_run_output(sc, NULL, 1, 0, NULL);
    if (s) return s;
    cp_grid g;
    cp_hazard_set hs;
    if ((s = cp_hazards_read(sc, 0, 1, &g, &hs))) return s;
    if (report) {
        fprintf(report, "scenario: %s\n", sc->name);
        fprintf(report, "grid: %s, %lld x %lld cells of %g m\n", g.crs_name, (long long)g.geo.nx,
                (long long)g.geo.ny, g.geo.dx);
    }
    if (report) {
        fprintf(report, "hazards: %zu read, %zu usable, %zu rejected, %zu repaired\n", hs.nread,
                hs.n, hs.nrejected, hs.nrepaired);
        for (size_t i = 0; i < hs.nrejected; ++i)
            fprintf(report, "  rejected %s: %s\n",
                    hs.rejected[i].id ? hs.rejected[i].id : "(no id)", hs.rejected[i].reason);
        for (size_t i = 0; i < hs.n; ++i)
            if (hs.items[i].repaired)
                fprintf(report, "  repaired %s (make-valid)\n", hs.items[i].id);
    }
    size_t usable = hs.n;
    cp_hazards_clear(&hs);
    if (usable == 0) {
        s = cp_fail(CP_E_GEOMETRY, "<%s>: no usable hazard: every feature was rejected",
                    cp_scenario_input(sc, "hazards")->path);
        goto done;
    }
    for (size_t i = 0; i < sc->ninputs; ++i) {
        const cp_input *in = &sc->inputs[i];
        if (!strcmp(in->name, "hazards")) continue;
        if (in->type == CP_INPUT_VECTOR) {
            const cp_criterion *cr = NULL;
            for (size_t k = 0; k < sc->ncriteria; ++k)
                if (!strcmp(sc->criteria[k].input, in->name)) cr = &sc->criteria[k];
            cp_points pts;
            size_t skipped = 0;
            if ((s = cp_points_read(in, &g, cr, &pts, &skipped))) goto done;
            if (report)
                fprintf(report,
                        "%s: %zu points used, %zu skipped (no geometry, bad or future date, "
                        "confidence not in 0..100 or bad weight)\n",
                        in->name, pts.n, skipped);
            cp_points_clear(&pts);
        } else {
            double share = 0;
            if ((s = raster_overlap(in, &g, &share))) goto done;
            if (share == 0) {
                s = cp_fail(CP_E_FORMAT, "<%s>: does not overlap the analysis grid", in->path);
                goto done;
            }
            if (report)
                fprintf(report, "%s: its extent covers %.1f%% of the grid%s\n", in->name,
                        100 * share,
                        share < 0.999 ? " (warning: partial coverage; nodata counts as 0)" : "");
        }
    }
    for (size_t i = 0; report && i < sc->ninputs; ++i)
        if (cp_input_assume_unused(&sc->inputs[i]))
            fprintf(report,
                    "%s: assume_crs not used: <%s> has a coordinate reference system of its "
                    "own (warning: the file's is used)\n",
                    sc->inputs[i].name, sc->inputs[i].path);
    if (report) fprintf(report, "ok\n");
done:
    cp_grid_clear(&g);
    return s;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_validate(const cp_scenario *sc, FILE *report) {
    cp_gdal_quiet_begin();
    cp_status s = validate_quietly(sc, report);
    cp_gdal_quiet_end();
    return s;
}
