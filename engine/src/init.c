/* Process set-up: GDAL drivers, quiet error handling, versions. */
#include <stdio.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <proj.h>
#include <yaml.h>

#include <clearplan/clearplan.h>

static void quiet_handler(CPLErr cls, CPLErrorNum num, const char *msg) {
    (void)cls, (void)num, (void)msg; /* kept in CPLGetLastErrorMsg(), never printed */
}

void cp_init(void) {
    GDALAllRegister();
    CPLSetErrorHandler(quiet_handler);
    /* GDAL's block cache defaults to 5% of RAM; clearplan streams strips under its own
     * budget, so a modest cache is enough (GDAL_CACHEMAX in the environment still wins). */
    if (!CPLGetConfigOption("GDAL_CACHEMAX", NULL)) GDALSetCacheMax64((GIntBig)128 << 20);
}

void cp_shutdown(void) {
    CPLSetErrorHandler(NULL);
    GDALDestroyDriverManager();
}

void cp_print_versions(FILE *f) {
    PJ_INFO pj = proj_info();
    fprintf(f, "GDAL %s\nPROJ %s\nGEOS %s\nlibyaml %s\n", GDALVersionInfo("RELEASE_NAME"),
            pj.version, GEOSversion(), yaml_get_version_string());
}
