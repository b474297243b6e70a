/* clearplan focal-sum: disk focal sum of a raster (tools.h). */
#include <math.h>
#include <string.h>

#include <gdal.h>
#include <ogr_srs_api.h>

#include <clearplan/tools.h>

#include "cpk/focal.h"
#include "error.h"
#include "raster.h"
#include "strips.h"

static cp_status tool_focal_sum_quietly(const char *in_path, const char *out_path,
                                        const cp_focal_sum_options *opt, cp_progress_fn progress,
                                        void *progress_arg, cp_tool_result *result) {
    if (!in_path || !out_path || !opt) return cp_fail(CP_E_ARG, "missing argument");
    if (!(opt->radius_m >= 0) || !isfinite(opt->radius_m))
        return cp_fail(CP_E_ARG, "radius must be a finite number >= 0, got %g", opt->radius_m);
    GDALDatasetH ds = NULL;
    cp_rio_out out = {0};
    OGRSpatialReferenceH srs = NULL;
    cp_status s = cp_rio_open(in_path, &ds);
    if (s != CP_OK) return s;
    GDALRasterBandH band;
    int has_nd;
    float nd;
    cpk_geo geo;
    s = cp_rio_band(ds, in_path, opt->band ? opt->band : 1, &band, &has_nd, &nd);
    if (s == CP_OK) s = cp_rio_crs(ds, in_path, opt->common.assume_crs, 1, &srs);
    if (s == CP_OK) s = cp_rio_geo(ds, in_path, &geo);
    if (s != CP_OK) goto done;
    /* a focal_sum criterion run on its own: its raw value, the sum */
    cp_criterion cr = {.kind = CP_CRIT_FOCAL_SUM, .radius_m = opt->radius_m};
    int64_t halo = cp_kind_of(&cr)->halo_rows(&cr, geo.dy);
    if (halo < 0) {
        s = cp_fail(CP_E_ARG, "invalid radius %g", opt->radius_m);
        goto done;
    }
    {
        const char *inputs[] = {in_path, NULL};
        cp_output_options oo = cp_rio_tx_options("focal-sum", &opt->common, inputs);
        s = cp_rio_out_create(out_path, &geo, srs, GDT_Float32, 0, 0, opt->common.creation_options,
                              opt->common.threads, &oo, &out);
    }
    if (s != CP_OK) goto done;
    size_t budget =
        (opt->common.memory_mb ? opt->common.memory_mb : CP_MEMORY_DEFAULT_MB) * (size_t)1048576;
    int threads = cpk_threads(opt->common.threads);
    int64_t ring = 2 * (halo < geo.ny ? halo : geo.ny) + 1;
    size_t fixed = (size_t)threads * ((size_t)ring * (size_t)(geo.nx + 1) + (size_t)geo.nx) * 8;
    int strips = 0;
    cp_band_src src;
    if ((s = cp_band_src_open(&src, band, in_path, opt->common.threads))) goto done;
    cp_kind_tool t = {.criterion = &cr,
                      .geo = &geo,
                      .band = &src,
                      .has_nodata = has_nd,
                      .nodata = nd,
                      .threads = opt->common.threads,
                      .memory_bytes = budget,
                      .fixed_bytes = fixed,
                      .out = &out,
                      .progress = progress,
                      .progress_arg = progress_arg};
    s = cp_kind_tool_run(&t, &strips);
    cp_band_src_close(&src);
    if (s == CP_OK) s = cp_rio_out_commit(&out);
    if (s == CP_OK && result) {
        memset(result, 0, sizeof *result);
        result->cells = (long long)(geo.nx * geo.ny);
        result->strips = strips;
        if (cp_crs_assume_unused(GDALGetSpatialRef(ds), opt->common.assume_crs))
            result->crs_kept[0] = in_path;
    }
done:
    cp_rio_out_abort(&out);
    if (srs) OSRDestroySpatialReference(srs);
    if (ds) GDALClose(ds);
    return s;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_tool_focal_sum(const char *in_path, const char *out_path,
                            const cp_focal_sum_options *opt, cp_progress_fn progress,
                            void *progress_arg, cp_tool_result *result) {
    cp_gdal_quiet_begin();
    cp_status s = tool_focal_sum_quietly(in_path, out_path, opt, progress, progress_arg, result);
    cp_gdal_quiet_end();
    return s;
}
