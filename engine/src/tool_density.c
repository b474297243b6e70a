/* clearplan density: quartic kernel density of points on a template grid (tools.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/tools.h>

#include "cpk/density.h"
#include "error.h"
#include "raster.h"
#include "strips.h"
#include "vector.h"

typedef struct {
    double *x, *y, *w;
    size_t n, cap;
} point_buf;

static int push(point_buf *p, double x, double y, double w) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        double *nx = realloc(p->x, cap * sizeof(double));
        if (nx) p->x = nx;
        double *ny = realloc(p->y, cap * sizeof(double));
        if (ny) p->y = ny;
        double *nw = realloc(p->w, cap * sizeof(double));
        if (nw) p->w = nw;
        if (!nx || !ny || !nw) return 0;
        p->cap = cap;
    }
    p->x[p->n] = x;
    p->y[p->n] = y;
    p->w[p->n] = w;
    p->n++;
    return 1;
}

/* Reads the points (and multipoint parts) of a layer with their weights, in the layer's
 * CRS. Null/empty geometries and null weights are counted in *skipped. */
static cp_status read_points(const char *path, OGRLayerH layer, const char *lname,
                             const char *weight_field, point_buf *pts, long long *skipped) {
    int wi = -1;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    if (weight_field) {
        wi = OGR_FD_GetFieldIndex(defn, weight_field);
        if (wi < 0)
            return cp_fail(CP_E_FORMAT, "<%s>: layer <%s> has no field <%s>", path, lname,
                           weight_field);
        OGRFieldType ft = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, wi));
        if (ft != OFTInteger && ft != OFTInteger64 && ft != OFTReal)
            return cp_fail(CP_E_FORMAT, "<%s>: weight field <%s> is not numeric", path,
                           weight_field);
    }
    long long features = 0;
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    cp_status s = CP_OK;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        ++features;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        double w = 1.0;
        if (wi >= 0) {
            if (!OGR_F_IsFieldSetAndNotNull(f, wi)) {
                ++*skipped;
                OGR_F_Destroy(f);
                continue;
            }
            w = OGR_F_GetFieldAsDouble(f, wi);
        }
        if (!g || OGR_G_IsEmpty(g)) {
            ++*skipped;
        } else {
            OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
            if (t == wkbPoint) {
                if (!push(pts, OGR_G_GetX(g, 0), OGR_G_GetY(g, 0), w))
                    s = cp_fail(CP_E_NOMEM, "out of memory for points");
            } else if (t == wkbMultiPoint) {
                for (int k = 0; k < OGR_G_GetGeometryCount(g) && s == CP_OK; ++k) {
                    OGRGeometryH part = OGR_G_GetGeometryRef(g, k);
                    if (OGR_G_IsEmpty(part)) continue;
                    if (!push(pts, OGR_G_GetX(part, 0), OGR_G_GetY(part, 0), w))
                        s = cp_fail(CP_E_NOMEM, "out of memory for points");
                }
            } else {
                s = cp_fail(CP_E_GEOMETRY, "<%s>: feature %lld of layer <%s> is a %s, not a point",
                            path, (long long)OGR_F_GetFID(f), lname, OGRGeometryTypeToName(t));
            }
        }
        OGR_F_Destroy(f);
        if (s != CP_OK) return s;
    }
    if (features == 0) return cp_fail(CP_E_FORMAT, "<%s>: layer <%s> is empty", path, lname);
    if (pts->n == 0)
        return cp_fail(CP_E_FORMAT, "<%s>: layer <%s> has no usable points (%lld skipped)", path,
                       lname, *skipped);
    return CP_OK;
}

static cp_status tool_density_quietly(const char *points_path, const char *out_path,
                                      const cp_density_options *opt, cp_progress_fn progress,
                                      void *progress_arg, cp_tool_result *result) {
    if (!points_path || !out_path || !opt || !opt->like_path)
        return cp_fail(CP_E_ARG, "missing argument");
    if (!(opt->bandwidth_m > 0) || !isfinite(opt->bandwidth_m))
        return cp_fail(CP_E_ARG, "bandwidth must be a positive number, got %g", opt->bandwidth_m);
    GDALDatasetH grid = NULL;
    cp_vector vec = {0};
    OGRSpatialReferenceH dst_srs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    point_buf pts = {0};
    cp_rio_out out = {0};
    long long skipped = 0;
    cpk_geo geo;
    cp_status s = cp_rio_open(opt->like_path, &grid);
    if (s == CP_OK) s = cp_rio_crs(grid, opt->like_path, opt->common.assume_crs, 1, &dst_srs);
    if (s == CP_OK) s = cp_rio_geo(grid, opt->like_path, &geo);
    if (s != CP_OK) goto done;

    cp_input vin = {0}; /* a tool's input: no scenario name */
    vin.path = (char *)points_path;
    vin.layer = (char *)opt->layer;
    vin.assume_crs = (char *)opt->common.assume_crs;
    vin.type = CP_INPUT_VECTOR;
    if ((s = cp_vector_open(&vin, &vec)) != CP_OK) goto done;
    OGRLayerH layer = vec.layer;
    const char *lname = OGR_L_GetName(layer);
    s = read_points(points_path, layer, lname, opt->weight_field, &pts, &skipped);
    if (s != CP_OK) goto done;

    /* Into the grid's CRS, x = easting, y = northing whatever the CRS's axis order. */
    if (!OSRIsSame(vec.srs, dst_srs)) {
        CPLErrorReset();
        ct = OCTNewCoordinateTransformation(vec.srs, dst_srs);
        if (!ct) {
            s = cp_fail_gdal(CP_E_CRS, "cannot transform <%s> to the CRS of <%s>", points_path,
                             opt->like_path);
            goto done;
        }
        int *ok = malloc(sizeof(int) * (pts.n ? pts.n : 1));
        if (!ok) {
            s = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        int all = OCTTransformEx(ct, (int)pts.n, pts.x, pts.y, NULL, ok);
        for (size_t k = 0; k < pts.n; ++k)
            if (!ok[k]) pts.x[k] = NAN, all = 0; /* ignored by the kernel */
        free(ok);
        (void)all;
    }

    {
        const char *inputs[] = {points_path, opt->like_path, NULL};
        cp_output_options oo = cp_rio_tx_options("density", &opt->common, inputs);
        s = cp_rio_out_create(out_path, &geo, dst_srs, GDT_Float32, 0, 0,
                              opt->common.creation_options, opt->common.threads, &oo, &out);
    }
    if (s != CP_OK) goto done;
    size_t budget =
        (opt->common.memory_mb ? opt->common.memory_mb : CP_MEMORY_DEFAULT_MB) * (size_t)1048576;
    size_t fixed = pts.n * 16 * sizeof(size_t);
    /* a density criterion run on its own: its raw value, the density */
    cp_criterion cr = {.kind = CP_CRIT_DENSITY, .bandwidth_m = opt->bandwidth_m};
    cpk_points cp = {pts.x, pts.y, pts.w, pts.n};
    int strips = 0;
    cp_kind_tool t = {.criterion = &cr,
                      .geo = &geo,
                      .points = &cp,
                      .threads = opt->common.threads,
                      .memory_bytes = budget,
                      .fixed_bytes = fixed,
                      .out = &out,
                      .progress = progress,
                      .progress_arg = progress_arg};
    if ((s = cp_kind_tool_run(&t, &strips)) != CP_OK) goto done;
    s = cp_rio_out_commit(&out);
    if (s == CP_OK && result) {
        memset(result, 0, sizeof *result);
        result->cells = (long long)(geo.nx * geo.ny);
        result->points_used = (long long)pts.n;
        result->points_skipped = skipped;
        result->strips = strips;
        if (GDALGetSpatialRef(grid) && !vec.assumed) { /* --assume-crs that neither file took */
            int k = 0;
            if (vec.assume_unused) result->crs_kept[k++] = points_path;
            if (cp_crs_assume_unused(GDALGetSpatialRef(grid), opt->common.assume_crs))
                result->crs_kept[k] = opt->like_path;
        }
    }
done:
    cp_rio_out_abort(&out);
    free(pts.x);
    free(pts.y);
    free(pts.w);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (dst_srs) OSRRelease(dst_srs);
    cp_vector_close(&vec);
    if (grid) GDALClose(grid);
    return s;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_tool_density(const char *points_path, const char *out_path,
                          const cp_density_options *opt, cp_progress_fn progress,
                          void *progress_arg, cp_tool_result *result) {
    cp_gdal_quiet_begin();
    cp_status s = tool_density_quietly(points_path, out_path, opt, progress, progress_arg, result);
    cp_gdal_quiet_end();
    return s;
}
