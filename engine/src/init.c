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

/* Embeddable (DESIGN §3): nothing here changes process-wide state a host (QGIS, a server)
 * relies on. GDAL's drivers are registered (GDALAllRegister does nothing when they are);
 * GDAL's error handler is pushed and popped around each public call that reaches GDAL, not
 * replaced; GDAL's block cache and driver manager are the host's. */
void cp_init(void) {
    GDALAllRegister();
}

void cp_shutdown(void) {
    /* nothing to release: GDAL's driver manager belongs to the host */
}

void cp_print_versions(FILE *f) {
    PJ_INFO pj = proj_info();
    fprintf(f, "GDAL %s\nPROJ %s\nGEOS %s\nlibyaml %s\n", GDALVersionInfo("RELEASE_NAME"),
            pj.version, GEOSversion(), yaml_get_version_string());
}
