/* cp_outputs_describe (clearplan/describe.h) on what `clearplan run` wrote: one default style
 * per layer of plan.gpkg with a class per year, aliases in gpkg_data_columns, the new files in
 * run.json; describing again replaces the styles; a failure inside plan.gpkg rolls it back
 * whole; an older gpkg_data_columns (name unique across tables) still takes the aliases; bad
 * arguments. How QGIS reads the result is test_qgis's part, the STAC Item test_stac's. */
#include "cp_test.h"

#include <gdal.h>
#include <ogr_api.h>

#include <clearplan/clearplan.h>
#include <clearplan/describe.h>

static char dir[1024], out[1100];

static int setup(void **state) {
    (void)state;
    cpt_tmpdir("describe", dir, 1000);
    snprintf(out, sizeof out, "%s/out", dir);
    /* one team per region: the work spans several years (one class per year is checked) */
    return cpt_sh(NULL, NULL,
                  "'%s' synth --preset tiny --seed 1 -o '%s/sc' -q && cd '%s/sc' && "
                  "sed -i -e 's/^  teams: .*/  teams: 2/' "
                  "-e 's/^  regions: .*/  regions: {Norte: 1, Sur: 1}/' scenario.yaml && "
                  "'%s' run scenario.yaml -o '%s' -q",
                  cpt_bin(), dir, dir, cpt_bin(), out);
}

static int teardown(void **state) {
    (void)state;
    cpt_rmtree(dir);
    return 0;
}

/* The first column of the first row of a query on a GeoPackage, as text ("" when no row). */
static char *query(const char *gpkg, const char *sql) {
    GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH r = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    char *text = strdup("");
    OGRFeatureH f = r ? OGR_L_GetNextFeature(r) : NULL;
    if (f) {
        free(text);
        text = strdup(OGR_F_GetFieldAsString(f, 0));
        OGR_F_Destroy(f);
    }
    if (r) GDALDatasetReleaseResultSet(ds, r);
    GDALClose(ds);
    return text;
}

static long query_long(const char *gpkg, const char *sql) {
    char *t = query(gpkg, sql);
    long v = atol(t);
    free(t);
    return v;
}

static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) ++n;
    return n;
}

/* A copy of the run's outputs in dir/<name>: its folder and its plan.gpkg. */
static void copy_outputs(const char *name, char copy[1200], char gpkg[1300]) {
    snprintf(copy, 1200, "%s/%s", dir, name);
    snprintf(gpkg, 1300, "%s/plan.gpkg", copy);
    assert_int_equal(cpt_sh(NULL, NULL, "cp -r '%s' '%s'", out, copy), 0);
}

static cp_describe_info tiny_info(void) {
    cp_describe_info info = {"Synthetic tiny (seed 1)", 0, 0, "run.json"};
    assert_true(cp_date_parse("2026-01-01", &info.start));
    assert_true(cp_date_parse("2028-03-01", &info.deadline));
    return info;
}

static void test_describe_run_outputs(void **state) {
    (void)state;
    char gpkg[1200], p[1200];
    snprintf(gpkg, sizeof gpkg, "%s/plan.gpkg", out);
    assert_int_equal(query_long(gpkg, "SELECT count(*) FROM layer_styles"), 4);
    assert_int_equal(query_long(gpkg,
                                "SELECT count(*) FROM layer_styles WHERE useAsDefault = 1 "
                                "AND styleName = 'clearplan' AND f_table_schema = ''"),
                     4);
    /* one class per year of the hazards, in the QML and the SLD */
    long years = query_long(gpkg, "SELECT count(DISTINCT year) FROM hazards");
    assert_true(years >= 2);
    char *qml = query(gpkg, "SELECT styleQML FROM layer_styles WHERE f_table_name = 'hazards'");
    assert_int_equal(count(qml, "<category "), (size_t)years);
    cpt_assert_contains(qml, "attr=\"year\"");
    cpt_assert_contains(qml, "fieldName=\"rank\"");
    cpt_assert_contains(qml, "<alias index=\"5\" field=\"area_m2\" name=\"Area (m²)\"/>");
    free(qml);
    char *geom = query(gpkg,
                       "SELECT f_geometry_column FROM layer_styles "
                       "WHERE f_table_name = 'packages'");
    assert_string_equal(geom, "");
    free(geom);
    char *alias = query(gpkg,
                        "SELECT name FROM gpkg_data_columns WHERE table_name = 'hazards' "
                        "AND column_name = 'cost_team_days'");
    assert_string_equal(alias, "Effort (team-days)");
    free(alias);
    assert_int_equal(query_long(gpkg,
                                "SELECT count(*) FROM gpkg_extensions WHERE extension_name "
                                "= 'gpkg_schema' AND table_name = 'gpkg_data_columns'"),
                     1);
    /* run.json checksums the new files */
    snprintf(p, sizeof p, "%s/run.json", out);
    char *json = cpt_slurp(p, NULL);
    cpt_assert_contains(json, "{\"file\": \"plan.qgs\"");
    cpt_assert_contains(json, "{\"file\": \"stac.json\"");
    cpt_assert_contains(json, "{\"file\": \"priority.qml\"");
    free(json);
}

static void test_describe_again_and_rollback(void **state) {
    (void)state;
    char copy[1200], gpkg[1300];
    copy_outputs("again", copy, gpkg);
    cp_describe_info info = tiny_info();
    /* again: the styles are replaced, not added */
    assert_int_equal(cp_outputs_describe(copy, &info), CP_OK);
    assert_int_equal(query_long(gpkg, "SELECT count(*) FROM layer_styles"), 4);
    char *ids = query(gpkg, "SELECT group_concat(id) FROM layer_styles");
    /* a failure on the last layer's style: the file is as it was (old styles kept) */
    free(query(gpkg,
               "CREATE TRIGGER no_rejected BEFORE INSERT ON layer_styles WHEN "
               "NEW.f_table_name = 'rejected' BEGIN SELECT RAISE(ABORT, 'refused'); END"));
    assert_int_equal(cp_outputs_describe(copy, &info), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "plan.gpkg");
    char *after = query(gpkg, "SELECT group_concat(id) FROM layer_styles");
    assert_string_equal(after, ids);
    free(ids), free(after);
    /* no temporary file left beside the outputs */
    char *ls = NULL;
    assert_int_equal(cpt_sh(&ls, NULL, "ls -a '%s'", copy), 0);
    assert_null(strstr(ls, ".tmp"));
    free(ls);
}

static void test_describe_legacy_data_columns(void **state) {
    (void)state;
    char copy[1200], gpkg[1300];
    copy_outputs("legacy", copy, gpkg);
    /* GDAL 3.6's form of the table: `name` unique across tables */
    free(query(gpkg, "DROP TABLE gpkg_data_columns"));
    free(query(gpkg,
               "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name "
               "TEXT NOT NULL, name TEXT UNIQUE, title TEXT, description TEXT, mime_type "
               "TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, "
               "column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))"));
    free(query(gpkg,
               "INSERT INTO gpkg_data_columns (table_name, column_name, constraint_name) "
               "VALUES ('hazards', 'status', 'status_domain')"));
    cp_describe_info info = tiny_info();
    assert_int_equal(cp_outputs_describe(copy, &info), CP_OK);
    char *c = query(gpkg,
                    "SELECT name || '/' || constraint_name FROM gpkg_data_columns "
                    "WHERE table_name = 'hazards' AND column_name = 'status'");
    assert_string_equal(c, "Status/status_domain");
    free(c);
    /* `Hazard` is hazards.hazard_id's; packages.hazard_id goes without */
    assert_int_equal(query_long(gpkg,
                                "SELECT count(*) FROM gpkg_data_columns WHERE "
                                "column_name = 'hazard_id'"),
                     1);
}

static void test_describe_bad_arguments(void **state) {
    (void)state;
    cp_describe_info info = tiny_info();
    assert_int_equal(cp_outputs_describe(NULL, &info), CP_E_ARG);
    assert_int_equal(cp_outputs_describe(out, NULL), CP_E_ARG);
    char p[1200];
    snprintf(p, sizeof p, "%s/nowhere", dir);
    assert_int_equal(cp_outputs_describe(p, &info), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "nowhere");
    /* a plan.gpkg that is not a GeoPackage */
    snprintf(p, sizeof p, "%s/broken", dir);
    assert_int_equal(cpt_sh(NULL, NULL, "mkdir '%s' && echo junk > '%s/plan.gpkg'", p, p), 0);
    assert_int_equal(cp_outputs_describe(p, &info), CP_E_FORMAT);
    cpt_assert_contains(cp_errmsg(), "plan.gpkg");
}

int main(void) {
    cp_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_run_outputs),
        cmocka_unit_test(test_describe_again_and_rollback),
        cmocka_unit_test(test_describe_legacy_data_columns),
        cmocka_unit_test(test_describe_bad_arguments),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    cp_shutdown();
    return rc;
}
