/* The Antioquia real-data scenario (datasets/antioquia): files open with the expected CRS,
 * counts and totals match its manifest and the RELand CSV, hazards are valid, and the
 * scenario parser accepts it. */
#include <math.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/clearplan.h>

#include "cp_test.h"

static char dir[4096];

static int setup(void **state) {
    (void)state;
    cp_init();
    snprintf(dir, sizeof dir, "%s/datasets/antioquia", cpt_source_dir());
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cp_shutdown();
    return 0;
}

static char *manifest(void) {
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *t = cpt_slurp(path, NULL);
    assert_non_null(t);
    return t;
}

/* The number after "key": following `anchor`. */
static double num_after(const char *json, const char *anchor, const char *key) {
    const char *a = strstr(json, anchor);
    assert_non_null(a);
    char k[128];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *p = strstr(a, k);
    assert_non_null(p);
    return strtod(p + strlen(k), NULL);
}

static GDALDatasetH open_file(const char *file, unsigned flags) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    GDALDatasetH ds = GDALOpenEx(path, flags | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) print_error("cannot open %s\n", path);
    assert_non_null(ds);
    return ds;
}

static void assert_epsg(OGRSpatialReferenceH srs, const char *code) {
    assert_non_null(srs);
    OGRSpatialReferenceH s = OSRClone(srs);
    OSRAutoIdentifyEPSG(s);
    const char *c = OSRGetAuthorityCode(s, NULL);
    assert_non_null(c);
    assert_string_equal(c, code);
    OSRDestroySpatialReference(s);
}

static void test_antioquia_rasters(void **state) {
    (void)state;
    char *json = manifest();
    GDALDatasetH pop = open_file("population.tif", GDAL_OF_RASTER);
    GDALDatasetH lc = open_file("landcover.tif", GDAL_OF_RASTER);
    assert_epsg(GDALGetSpatialRef(pop), "4326");
    assert_epsg(GDALGetSpatialRef(lc), "4326");
    int nx = GDALGetRasterXSize(pop), ny = GDALGetRasterYSize(pop);
    assert_int_equal(nx, (int)num_after(json, "\"grid\"", "nx"));
    assert_int_equal(ny, (int)num_after(json, "\"grid\"", "ny"));
    float *p = malloc(sizeof(float) * (size_t)nx * ny);
    unsigned char *l = malloc((size_t)nx * ny);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(pop, 1), GF_Read, 0, 0, nx, ny, p, nx, ny,
                                  GDT_Float32, 0, 0),
                     CE_None);
    assert_int_equal(
        GDALRasterIO(GDALGetRasterBand(lc, 1), GF_Read, 0, 0, nx, ny, l, nx, ny, GDT_Byte, 0, 0),
        CE_None);
    double total = 0;
    int data = 0;
    for (int i = 0; i < nx * ny; ++i) {
        if (p[i] != -99999.0f) {
            assert_true(p[i] >= 0);
            total += p[i];
            ++data;
        }
        assert_true(l[i] == 0 || l[i] == 10 || l[i] == 30 || l[i] == 40 || l[i] == 50 ||
                    l[i] == 80);
        assert_true((l[i] == 0) == (p[i] == -99999.0f)); /* same cells carry data */
    }
    assert_int_equal(data, (int)num_after(json, "\"grid\"", "cells_with_data"));
    double want = num_after(json, "\"population\"", "total");
    assert_true(fabs(total - want) < 1e-6 * want);
    free(p);
    free(l);
    GDALClose(pop);
    GDALClose(lc);
    free(json);
}

static void test_antioquia_vectors(void **state) {
    (void)state;
    char *json = manifest();
    GDALDatasetH hz = open_file("hazards.gpkg", GDAL_OF_VECTOR);
    OGRLayerH l = GDALDatasetGetLayerByName(hz, "hazards");
    assert_non_null(l);
    assert_epsg(OGR_L_GetSpatialRef(l), "32618");
    long long n = 0, sha = 0;
    OGRFeatureH f;
    int ist = OGR_L_FindFieldIndex(l, "status", TRUE),
        imu = OGR_L_FindFieldIndex(l, "municipality", TRUE);
    assert_true(ist >= 0 && imu >= 0);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        assert_non_null(g);
        assert_true(OGR_G_IsValid(g));
        double a = OGR_G_Area(g);
        assert_true(a > 500 && a < 1e6); /* inside its ~1 km cell(s) */
        const char *s = OGR_F_GetFieldAsString(f, ist);
        assert_true(!strcmp(s, "SHA") || !strcmp(s, "CHA"));
        sha += !strcmp(s, "SHA");
        assert_true(OGR_F_GetFieldAsString(f, imu)[0] != '\0');
        OGR_F_Destroy(f);
        ++n;
    }
    assert_int_equal(n, (long long)num_after(json, "\"hazards\"", "count"));
    assert_int_equal(sha, (long long)num_after(json, "\"hazards\"", "sha"));
    GDALClose(hz);

    GDALDatasetH rp = open_file("reports.gpkg", GDAL_OF_VECTOR);
    l = GDALDatasetGetLayerByName(rp, "reports");
    assert_non_null(l);
    assert_epsg(OGR_L_GetSpatialRef(l), "4326");
    long long nrep = OGR_L_GetFeatureCount(l, TRUE);
    assert_int_equal(nrep, (long long)num_after(json, "\"reports\"", "count"));
    GDALClose(rp);

    /* with the RELand CSV at hand, the reports are exactly its mine-event cells */
    char csv[4300];
    snprintf(csv, sizeof csv, "%s/reland-antioquia.csv",
             cpt_env("CP_SHARED_DATA", "../shared/data"));
    FILE *fp = fopen(csv, "r");
    if (fp) {
        char line[8192];
        long long events = 0;
        assert_non_null(
            fgets(line, sizeof line, fp)); /* header: LATITUD_Y,LONGITUD_X,mines_outcome */
        while (fgets(line, sizeof line, fp)) {
            char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
            if (c2 && c2[1] == '1' && c2[2] == ',') ++events;
        }
        fclose(fp);
        assert_int_equal(events, nrep);
    }
    free(json);
}

static void test_antioquia_scenario(void **state) {
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    char *y = cpt_slurp(path, NULL);
    assert_non_null(y);
    cpt_assert_contains(y, "region: municipality}");
    cpt_assert_contains(y, "  crs: EPSG:32618\n");
    free(y);
#ifdef CP_HAVE_SCENARIO_LOAD
    cp_scenario *sc = NULL;
    cp_status s = cp_scenario_load(path, &sc);
    if (s != CP_OK) print_error("cp_scenario_load: %s\n", cp_errmsg());
    assert_int_equal(s, CP_OK);
    assert_int_equal(sc->ncriteria, 4);
    assert_true(sc->capacity.nregions >= 10);
    cp_scenario_free(sc);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_antioquia_rasters),
        cmocka_unit_test(test_antioquia_vectors),
        cmocka_unit_test(test_antioquia_scenario),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
