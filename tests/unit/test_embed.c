/* clearplan inside a host (QGIS, a server): it changes no process-wide state of GDAL's. The
 * host's error handler is never called for clearplan's own GDAL errors and stays installed,
 * the host's block cache setting and driver manager are left alone, and GDAL's reasons still
 * reach cp_errmsg(). */
#include "cp_test.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>

#include <clearplan/clearplan.h>

static int host_calls;

static void CPL_STDCALL host_handler(CPLErr cls, CPLErrorNum num, const char *msg) {
    (void)cls, (void)num, (void)msg;
    ++host_calls;
}

static void test_embed_host_state_untouched(void **state) {
    (void)state;
    GDALAllRegister();
    CPLSetErrorHandler(host_handler);
    GDALSetCacheMax64((GIntBig)77 << 20);
    int drivers = GDALGetDriverCount();
    cp_init();
    assert_int_equal(GDALGetCacheMax64(), (GIntBig)77 << 20);
    /* a raster tool on a missing file: GDAL's error, in the detail, not in the host's handler */
    char dir[1024], out[1100];
    cpt_tmpdir("embed", dir, sizeof dir);
    snprintf(out, sizeof out, "%s/d.tif", dir);
    cp_proximity_options po = cp_proximity_defaults();
    host_calls = 0;
    assert_int_equal(cp_tool_proximity("/nonexistent/missing.tif", out, &po, NULL, NULL, NULL),
                     CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "cannot open </nonexistent/missing.tif>: ");
    cpt_assert_contains(cp_errmsg(), "No such file or directory");
    /* a scenario whose CRS OGR cannot read */
    cp_scenario *sc = NULL;
    const char *yaml = "inputs: {hazards: h.gpkg}\ngrid: {crs: NOT:ACRS}\n";
    assert_int_equal(cp_scenario_parse(yaml, strlen(yaml), "s.yaml", dir, &sc), CP_E_CONFIG);
    /* zonal on missing files */
    cp_zonal_options zo = cp_zonal_defaults();
    snprintf(out, sizeof out, "%s/z.csv", dir);
    assert_int_equal(
        cp_tool_zonal("/nonexistent/r.tif", "/nonexistent/p.gpkg", out, &zo, NULL, NULL, NULL),
        CP_E_IO);
    assert_int_equal(host_calls, 0);
    /* the host's handler is still the one installed, and still hears the host's errors */
    GDALDatasetH ds = GDALOpen("/nonexistent/host.tif", GA_ReadOnly);
    assert_null(ds);
    assert_int_equal(host_calls, 1);
    assert_ptr_equal(CPLSetErrorHandler(host_handler), host_handler);
    cp_shutdown();
    assert_int_equal(GDALGetDriverCount(), drivers); /* the host's drivers are still there */
    assert_int_equal(GDALGetCacheMax64(), (GIntBig)77 << 20);
    CPLSetErrorHandler(NULL);
    cpt_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embed_host_state_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
