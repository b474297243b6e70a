/* The command line: help, version, exit codes 0 / 1 (bad input) / 2 (usage), messages. */
#include "cp_test.h"

#include <math.h>

static void test_cli_help_and_version(void **state) {
    (void)state;
    char *o = NULL;
    assert_int_equal(cpt_sh(&o, NULL, "'%s' --help", cpt_bin()), 0);
    cpt_assert_contains(o, "usage: clearplan COMMAND");
    cpt_assert_contains(o, "validate");
    free(o);
    assert_int_equal(cpt_sh(&o, NULL, "'%s' --version", cpt_bin()), 0);
    cpt_assert_contains(o, "clearplan 0.");
    cpt_assert_contains(o, "GDAL 3.");
    cpt_assert_contains(o, "GEOS");
    free(o);
    assert_int_equal(cpt_sh(&o, NULL, "'%s' run --help", cpt_bin()), 0);
    cpt_assert_contains(o, "--overwrite");
    free(o);
    assert_int_equal(cpt_sh(&o, NULL, "'%s' validate -h", cpt_bin()), 0);
    free(o);
}

static void test_cli_usage_errors_exit_2(void **state) {
    (void)state;
    char *e = NULL;
    assert_int_equal(cpt_sh(NULL, &e, "'%s'", cpt_bin()), 2);
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' frobnicate", cpt_bin()), 2);
    cpt_assert_contains(e, "unknown command 'frobnicate'");
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' run", cpt_bin()), 2);
    cpt_assert_contains(e, "clearplan: error: missing SCENARIO");
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' run s.yaml --bogus", cpt_bin()), 2);
    cpt_assert_contains(e, "unknown option '--bogus'");
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' run s.yaml -j 0", cpt_bin()), 2);
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' run s.yaml --memory lots", cpt_bin()), 2);
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' validate a.yaml b.yaml", cpt_bin()), 2);
    free(e);
    /* after "--" a name starting with '-' is a file, not an option */
    assert_int_equal(cpt_sh(NULL, &e, "cd /tmp && '%s' validate -- -no-such.yaml", cpt_bin()), 1);
    cpt_assert_contains(e, "-no-such.yaml");
    free(e);
}

static void test_cli_bad_input_exit_1(void **state) {
    (void)state;
    char dir[1024], p[1100], *e = NULL;
    cpt_tmpdir("cli", dir, sizeof dir);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' run '%s/missing.yaml'", cpt_bin(), dir), 1);
    cpt_assert_contains(e, "clearplan: error: cannot open <");
    free(e);
    snprintf(p, sizeof p, "%s/bad.yaml", dir);
    cpt_write(p,
              "inputs:\n  hazards: h.gpkg\n  population: p.tif\ncriteria:\n"
              "  - {kind: focal_sum, radius: 100}\n");
    assert_int_equal(cpt_sh(NULL, &e, "'%s' validate '%s'", cpt_bin(), p), 1);
    cpt_assert_contains(e, "bad.yaml:5:");
    cpt_assert_contains(e, "did you mean 'radius_m'");
    free(e);
    cpt_write(p, "inputs:\n  hazards: nothere.gpkg\n  population: p.tif\n");
    assert_int_equal(cpt_sh(NULL, &e, "'%s' validate '%s'", cpt_bin(), p), 1);
    cpt_assert_contains(e, "cannot open <");
    cpt_assert_contains(e, "nothere.gpkg>");
    free(e);
    cpt_rmtree(dir);
}

static void test_cli_validate_ok(void **state) {
    (void)state;
    char dir[1024], *o = NULL, *e = NULL;
    cpt_tmpdir("cli_validate", dir, sizeof dir);
    /* parent folders are created (the quick start writes demo/scenario in a fresh clone) */
    assert_int_equal(
        cpt_sh(NULL, NULL, "'%s' synth --preset tiny -o '%s/new/s' -q", cpt_bin(), dir), 0);
    assert_int_equal(cpt_sh(NULL, NULL, "mv '%s/new/s' '%s/s'", dir, dir), 0);
    int rc = cpt_sh(&o, &e, "'%s' validate '%s/s/scenario.yaml'", cpt_bin(), dir);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    cpt_assert_contains(o, "grid: EPSG:");
    cpt_assert_contains(o, "rejected");
    cpt_assert_contains(o, "ok\n");
    free(o), free(e);
    /* run's console: the reference effort, then the scheduled team-days and what they cost,
     * the figures of run.json's totals */
    rc = cpt_sh(&o, &e, "'%s' run '%s/s/scenario.yaml' -o '%s/out' -q --no-sync", cpt_bin(), dir,
                dir);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/out/run.json", dir);
    char *json = cpt_slurp(path, NULL);
    assert_non_null(json);
    const struct {
        const char *console, *key;
    } figs[] = {{"effort: ", "\"team_days\": "},
                {"scheduled: ", "\"scheduled_team_days\": "},
                {"team-days, US$ ", "\"cost_usd\": "}};
    for (size_t k = 0; k < sizeof figs / sizeof figs[0]; ++k) {
        const char *at = strstr(o, figs[k].console), *j = strstr(json, figs[k].key);
        assert_non_null(at);
        assert_non_null(j);
        char digits[64];
        size_t n = 0;
        for (at += strlen(figs[k].console); (*at >= '0' && *at <= '9') || *at == ','; ++at)
            if (*at != ',' && n + 1 < sizeof digits) digits[n++] = *at;
        digits[n] = '\0';
        double want = strtod(j + strlen(figs[k].key), NULL);
        assert_true(n > 0 && want > 0);
        assert_true(fabs(strtod(digits, NULL) - want) <= 0.5);
    }
    free(json), free(o), free(e);
    /* an assume_crs other than the file's own CRS goes unused, and validate and run say so
     * (run even with -q); not for reports, whose assume_crs is its own EPSG:4326 */
    assert_int_equal(cpt_sh(NULL, NULL,
                            "sed -i -e 's/role: population}/role: population, assume_crs: "
                            "EPSG:32633}/' -e 's/role: reports,/role: reports, assume_crs: "
                            "EPSG:4326,/' '%s/s/scenario.yaml'",
                            dir),
                     0);
    rc = cpt_sh(&o, &e, "'%s' validate '%s/s/scenario.yaml'", cpt_bin(), dir);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    cpt_assert_contains(o, "population: assume_crs not used: <");
    cpt_assert_contains(o, "population.tif> has a coordinate reference system of its own");
    assert_null(strstr(o, "reports: assume_crs"));
    free(o), free(e);
    rc = cpt_sh(&o, &e, "'%s' run '%s/s/scenario.yaml' -o '%s/out2' -q --no-sync", cpt_bin(), dir,
                dir);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    cpt_assert_contains(e,
                        "warning: assume_crs not used for population: the file has a "
                        "coordinate reference system of its own, which was used");
    free(o), free(e);
    cpt_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_help_and_version),
        cmocka_unit_test(test_cli_usage_errors_exit_2),
        cmocka_unit_test(test_cli_bad_input_exit_1),
        cmocka_unit_test(test_cli_validate_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
