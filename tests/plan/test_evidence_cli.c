/* Evidence on the demo through the CLI (issue #14, "done when"): `clearplan run` on the
 * synthetic demo with its uncertainty ranges writes the Monte Carlo, the rank robustness, the
 * development outcomes and the per-region reports; the plan's completion lies within P10-P90
 * and every hazard's rank within its P5-P95; `clearplan plan --samples` over a team sweep
 * gives a probability of meeting the deadline that rises with the teams; the files are the
 * same bytes for 1 and 2 threads; bad options are refused. */
#include <math.h>

#include "cp_test.h"

static char dir[4096];

static int setup(void **state) {
    (void)state;
    cpt_tmpdir("evidence_cli", dir, sizeof dir);
    char *out = NULL, *err = NULL;
    int rc =
        cpt_sh(&out, &err,
               "'%s' synth --preset demo --seed 1 -o '%s/demo' && '%s' run '%s/demo/scenario.yaml' "
               "-o '%s/out' -q -j 2 --samples 100 --seed 5 --region Norte --region Sur",
               cpt_bin(), dir, cpt_bin(), dir, dir);
    if (rc) print_error("%s\n%s\n", out, err);
    free(out);
    free(err);
    return rc;
}

static int teardown(void **state) {
    (void)state;
    cpt_rmtree(dir);
    return 0;
}

/* The number after `key` following `anchor` in a JSON text (NAN when absent). */
static double json_num(const char *json, const char *anchor, const char *key) {
    const char *a = json ? strstr(json, anchor) : NULL, *k = a ? strstr(a, key) : NULL;
    return k ? strtod(k + strlen(key), NULL) : NAN;
}

/* The string after `key` following `anchor` (copied into buf). */
static const char *json_str(const char *json, const char *anchor, const char *key, char *buf,
                            size_t n) {
    const char *a = json ? strstr(json, anchor) : NULL, *k = a ? strstr(a, key) : NULL;
    buf[0] = '\0';
    if (!k || k[strlen(key)] != '"') return buf;
    const char *s = k + strlen(key) + 1, *e = strchr(s, '"');
    snprintf(buf, n, "%.*s", e ? (int)(e - s) : 0, s);
    return buf;
}

static void test_run_writes_the_evidence(void **state) {
    (void)state;
    char p[4200], d1[16], d2[16], d3[16];
    snprintf(p, sizeof p, "%s/out/run.json", dir);
    char *json = cpt_slurp(p, NULL);
    assert_non_null(json);
    /* the plan's completion within the samples' P10-P90 (dates compare as text) */
    json_str(json, "\"schedule_complete\"", "\"completion\": ", d2, sizeof d2);
    json_str(json, "\"uncertainty\"", "\"p10\": ", d1, sizeof d1);
    json_str(json, "\"uncertainty\"", "\"p90\": ", d3, sizeof d3);
    print_message("completion %s, P10 %s, P90 %s\n", d2, d1, d3);
    assert_int_equal(strlen(d1), 10);
    assert_int_equal(strlen(d2), 10);
    assert_int_equal(strlen(d3), 10);
    assert_true(strcmp(d1, d2) <= 0 && strcmp(d2, d3) <= 0 && strcmp(d1, d3) < 0);
    double pm = json_num(json, "\"uncertainty\"", "\"p_deadline_met\": ");
    assert_true(pm >= 0 && pm <= 1);
    assert_true(json_num(json, "\"uncertainty\"", "\"samples\": ") == 100);
    assert_true(json_num(json, "\"rank_robustness\"", "\"samples\": ") == 100);
    cpt_assert_contains(json, "\"outcomes\": {\"classes\": [");
    cpt_assert_contains(json, "\"released_m2_by_sdg\": {");
    cpt_assert_contains(json, "\"montecarlo.csv\"");
    free(json);
    /* every hazard's rank within its P5-P95 */
    snprintf(p, sizeof p, "%s/out/rank_robustness.csv", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    cpt_assert_contains(line, "rank,hazard_id,region,rank_p5,rank_p50,rank_p95,p_first_year");
    size_t rows = 0, varied = 0, moved = 0;
    while (fgets(line, sizeof line, f)) {
        size_t rank, p5, p50, p95;
        char id[64], region[64];
        assert_int_equal(
            sscanf(line, "%zu,%63[^,],%63[^,],%zu,%zu,%zu", &rank, id, region, &p5, &p50, &p95), 6);
        if (!(p5 <= rank && rank <= p95)) print_error("%s", line);
        assert_true(p5 <= rank && rank <= p95);
        assert_true(p5 <= p50 && p50 <= p95);
        varied += p5 < p95;
        moved += strstr(line, ",1\n") == NULL; /* not robust */
        ++rows;
    }
    fclose(f);
    assert_int_equal(rows, 494); /* the planned hazards */
    assert_true(varied > 100);
    (void)moved;
    /* the Monte Carlo's samples and the fan chart */
    snprintf(p, sizeof p, "%s/out/montecarlo.csv", dir);
    char *mc = cpt_slurp(p, NULL);
    size_t lines = 0;
    for (const char *c = mc; c && *c; ++c) lines += *c == '\n';
    assert_int_equal(lines, 101);
    free(mc);
    snprintf(p, sizeof p, "%s/out/burndown_fan.csv", dir);
    char *fan = cpt_slurp(p, NULL);
    cpt_assert_contains(fan, "quarter_end,remaining_m2_p5,remaining_m2_p10,remaining_m2_p50");
    free(fan);
}

/* New contamination: the country's projection widens with the horizon; the plan sets
 * capacity aside for it in every projected year, and the verdict is the schedule's with it. */
static void test_contamination_projection(void **state) {
    (void)state;
    char p[4200];
    snprintf(p, sizeof p, "%s/out/contamination.csv", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f));
    cpt_assert_contains(line, "region,year,new_reports_p10,new_reports_p50,new_reports_p90,");
    double prev = -1;
    int years = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "(country),", 10)) continue;
        int year;
        double a10, a50, a90, share, td;
        assert_int_equal(sscanf(line, "(country),%d,,,,%lf,%lf,%lf,%lf,%lf", &year, &a10, &a50,
                                &a90, &share, &td),
                         6);
        assert_int_equal(year, 2026 + years);
        assert_true(a10 <= a50 && a50 <= a90);
        assert_true(a90 - a10 > prev); /* the range widens with the horizon */
        prev = a90 - a10;
        assert_true(share > 0 && share < 0.95 && td > 0);
        ++years;
    }
    fclose(f);
    assert_int_equal(years, 5); /* 2026 to the deadline year 2030 */
    snprintf(p, sizeof p, "%s/out/run.json", dir);
    char *json = cpt_slurp(p, NULL);
    cpt_assert_contains(json, "\"contamination\": {\"fit_years\": [2022, 2025]");
    cpt_assert_contains(json, "\"area_fitted\": true");
    free(json);
    snprintf(p, sizeof p, "%s/out/report.html", dir);
    char *html = cpt_slurp(p, NULL);
    cpt_assert_contains(html, "New contamination: improvised mines reported 2022 – 2025");
    cpt_assert_contains(html, "so the verdict above accounts for it");
    free(html);
}

/* Development outcomes per year: the class columns of milestones.csv add up to the area
 * released in each period; people near the released land are counted. */
static void test_outcomes_in_milestones(void **state) {
    (void)state;
    char p[4200];
    snprintf(p, sizeof p, "%s/out/milestones.csv", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    cpt_assert_contains(line, ",people_near_released,released_m2_class_10,");
    cpt_assert_contains(line, ",released_m2_class_40,");
    /* columns: released_m2 is the 11th, people the 21st, the classes after it */
    double people = 0;
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, ",year,")) continue;
        double v[64];
        int n = 0;
        for (char *tok = line, *next; tok && n < 64; tok = next) {
            next = strchr(tok, ',');
            if (next) *next++ = '\0';
            v[n++] = strtod(tok, NULL);
        }
        double sum = 0;
        for (int k = 21; k < n; ++k) sum += v[k];
        assert_true(fabs(sum - v[10]) <= 1e-6 * (1 + v[10]));
        people += v[20];
        ++rows;
    }
    fclose(f);
    assert_true(rows >= 4);
    assert_true(people > 0);
}

/* report.html: the fan chart, the outcomes, the rank robustness and a section per region; a
 * report for each region asked for, named by a safe identifier. */
static void test_reports(void **state) {
    (void)state;
    char p[4200];
    snprintf(p, sizeof p, "%s/out/report.html", dir);
    char *html = cpt_slurp(p, NULL);
    assert_non_null(html);
    cpt_assert_contains(html, "Uncertainty: 100 plans");
    cpt_assert_contains(html, "aria-label=\"fan chart of the remaining area\"");
    cpt_assert_contains(html, "Development outcomes");
    cpt_assert_contains(html, "SDG 2 (Zero hunger)");
    cpt_assert_contains(html, "Rank robustness: 100 weightings");
    static const char *regions[] = {"Norte", "Sur", "Oriente", "Occidente"};
    for (int r = 0; r < 4; ++r) {
        char h[64];
        snprintf(h, sizeof h, "<section><h2>%s</h2>", regions[r]);
        cpt_assert_contains(html, h);
    }
    free(html);
    char *out = NULL;
    assert_int_equal(cpt_sh(&out, NULL, "ls '%s/out'", dir), 0);
    cpt_assert_contains(out, "report-norte-");
    cpt_assert_contains(out, "report-sur-");
    assert_null(strstr(out, "report-oriente"));
    char name[128] = "";
    const char *n = strstr(out, "report-norte-");
    sscanf(n, "%127s", name);
    free(out);
    snprintf(p, sizeof p, "%s/out/%s", dir, name);
    html = cpt_slurp(p, NULL);
    assert_non_null(html);
    cpt_assert_contains(html, "<h1>Synthetic demo (seed 1) — Norte</h1>");
    cpt_assert_contains(html, "<div class=\"verdict met\">Norte: 17 hazard areas");
    assert_null(strstr(html, "<h2>Sur</h2>"));
    free(html);
    /* the catalogue lists them */
    snprintf(p, sizeof p, "%s/out/stac.json", dir);
    char *stac = cpt_slurp(p, NULL);
    cpt_assert_contains(stac, "\"report_norte-");
    cpt_assert_contains(stac, "\"href\": \"./rank_robustness.csv\"");
    free(stac);
}

static double p_met_with(int teams, const char *extra) {
    char *out = NULL, *err = NULL;
    int rc = cpt_sh(&out, &err,
                    "'%s' plan '%s/out/plan.csv' --scenario '%s/demo/scenario.yaml' -o "
                    "'%s/sweep%d' --overwrite --no-gpkg -q --samples 60 --seed 2 --teams %d %s",
                    cpt_bin(), dir, dir, dir, teams, teams, extra);
    if (rc) print_error("%s\n%s\n", out, err);
    assert_int_equal(rc, 0);
    free(out);
    free(err);
    char p[4200];
    snprintf(p, sizeof p, "%s/sweep%d/summary.json", dir, teams);
    char *json = cpt_slurp(p, NULL);
    double pm = json_num(json, "\"uncertainty\"", "\"p_deadline_met\": ");
    free(json);
    return pm;
}

/* The probability of meeting the deadline rises with the number of teams. */
static void test_probability_rises_with_teams(void **state) {
    (void)state;
    static const int teams[] = {96, 110, 125, 140, 160};
    double prev = -1, first = 0, last = 0;
    for (size_t k = 0; k < sizeof teams / sizeof teams[0]; ++k) {
        double pm = p_met_with(teams[k], "");
        print_message("%d teams: P(deadline met) %.3f\n", teams[k], pm);
        assert_true(pm >= 0 && pm <= 1);
        assert_true(pm >= prev);
        if (!k) first = pm;
        last = prev = pm;
    }
    assert_true(first < 0.5 && last > 0.9);
}

/* The Monte Carlo and the ranks are the same bytes for 1 and 2 threads. */
static void test_bit_identical_threads(void **state) {
    (void)state;
    const char *files[] = {"montecarlo.csv", "burndown_fan.csv", "rank_robustness.csv",
                           "summary.json"};
    char *one[4];
    char p[4200];
    p_met_with(97, "-j 1");
    for (int i = 0; i < 4; ++i) {
        snprintf(p, sizeof p, "%s/sweep97/%s", dir, files[i]);
        one[i] = cpt_slurp(p, NULL);
        assert_non_null(one[i]);
    }
    p_met_with(97, "-j 2");
    for (int i = 0; i < 4; ++i) {
        snprintf(p, sizeof p, "%s/sweep97/%s", dir, files[i]);
        char *two = cpt_slurp(p, NULL);
        assert_non_null(two);
        if (i < 3) assert_string_equal(one[i], two);
        free(two);
        free(one[i]);
    }
}

/* The value after `"key": ` in synth.json's records truth (NAN when absent). */
static double truth_of(const char *json, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", name);
    return json_num(json, "\"truth\"", key);
}

/* `clearplan calibrate` on the demo's completion records recovers the true figures synth
 * drew them from: every estimate within three standard errors of the truth, and at least all
 * but one of the 95 % intervals holding it (one in twenty may miss); the profile it writes is
 * included by a scenario. */
static void test_calibration_recovers_the_truth(void **state) {
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = cpt_sh(&out, &err,
                    "'%s' calibrate '%s/demo/records.gpkg' --scenario '%s/demo/scenario.yaml' -o "
                    "'%s/cal'",
                    cpt_bin(), dir, dir, dir);
    if (rc) print_error("%s\n%s\n", out, err);
    assert_int_equal(rc, 0);
    cpt_assert_contains(out, "records: 300 read, 300 used");
    free(out), free(err);
    char p[4200];
    snprintf(p, sizeof p, "%s/demo/synth.json", dir);
    char *truth = cpt_slurp(p, NULL);
    snprintf(p, sizeof p, "%s/cal/cost_profile.yaml", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[512];
    int params = 0, covered = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        double est, lo, hi, prior;
        if (sscanf(line, " %63[a-z_0-9]: {estimate: %lf, ci95: [%lf, %lf], prior: %lf", name, &est,
                   &lo, &hi, &prior) != 5)
            continue;
        double want = NAN;
        if (!strncmp(name, "productivity_", 13) && strcmp(name, "productivity_default")) {
            char key[16];
            snprintf(key, sizeof key, "\"%s\": ", name + 13);
            want = json_num(truth, "\"productivity\": {", key);
        } else {
            want = truth_of(truth, name);
        }
        assert_false(isnan(want));
        int logscale = !strstr(name, "slowdown");
        double se = logscale ? (log(hi) - log(lo)) / 3.92 : (hi - lo) / 3.92;
        double dev = logscale ? fabs(log(est) - log(want)) : fabs(est - want);
        print_message("%-22s %9.4g [%9.4g, %9.4g] truth %g (%.1f se)\n", name, est, lo, hi, want,
                      dev / se);
        assert_true(dev < 3 * se);
        covered += lo <= want && want <= hi;
        ++params;
    }
    fclose(f);
    free(truth);
    assert_true(params >= 9);
    assert_true(covered >= params - 1);
    /* the profile included by a scenario: validate reads it */
    snprintf(p, sizeof p, "%s/demo/with_profile.yaml", dir);
    char *yaml = NULL;
    rc = cpt_sh(&yaml, NULL,
                "sed 's|^cost:$|cost:\\n  profile: ../cal/cost_profile.yaml|' "
                "'%s/demo/scenario.yaml' | grep -v -E '^  (productivity_m2|treecover_slowdown|"
                "improvised_slowdown|nts_m2|ts_m2)'",
                dir);
    assert_int_equal(rc, 0);
    cpt_write(p, yaml);
    free(yaml);
    rc = cpt_sh(&out, &err, "'%s' validate '%s'", cpt_bin(), p);
    if (rc) print_error("%s\n%s\n", out, err);
    assert_int_equal(rc, 0);
    free(out), free(err);
    /* bad input */
    rc = cpt_sh(&out, &err, "'%s' calibrate '%s/demo/records.gpkg' -o '%s/cal2'", cpt_bin(), dir,
                dir);
    assert_int_equal(rc, 2);
    cpt_assert_contains(err, "missing --scenario");
    free(out), free(err);
    rc = cpt_sh(&out, &err,
                "'%s' calibrate '%s/demo/records.gpkg' --scenario '%s/demo/scenario.yaml' -o "
                "'%s/cal2' --team-days effort",
                cpt_bin(), dir, dir, dir);
    assert_int_equal(rc, 1);
    cpt_assert_contains(err, "effort");
    free(out), free(err);
    /* two records: no fit, no cross-validated error to speak of */
    rc = cpt_sh(&out, &err,
                "ogr2ogr -q -where \"fid <= 2\" '%s/few.gpkg' '%s/demo/records.gpkg' && '%s' "
                "calibrate '%s/few.gpkg' --scenario '%s/demo/scenario.yaml' -o '%s/cal2'",
                dir, dir, cpt_bin(), dir, dir, dir);
    if (rc != 1) print_error("exit %d\n%s\n%s\n", rc, out, err);
    assert_int_equal(rc, 1);
    cpt_assert_contains(err,
                        "few.gpkg>: 2 usable completion records (of 2); a calibration needs "
                        "at least 10");
    free(out), free(err);
    snprintf(p, sizeof p, "%s/cal2", dir);
    assert_false(cpt_exists(p));
}

static void test_bad_options(void **state) {
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = cpt_sh(&out, &err, "'%s' plan '%s/out/plan.csv' -o '%s/bad' --samples 10", cpt_bin(),
                    dir, dir);
    assert_int_equal(rc, 2);
    cpt_assert_contains(err, "--samples needs --scenario with an uncertainty section");
    free(out), free(err);
    rc = cpt_sh(&out, &err, "'%s' plan '%s/out/plan.csv' -o '%s/bad' --samples many", cpt_bin(),
                dir, dir);
    assert_int_equal(rc, 2);
    cpt_assert_contains(err, "--samples wants a whole number");
    free(out), free(err);
    rc = cpt_sh(&out, &err,
                "'%s' plan '%s/out/plan.csv' --scenario '%s/demo/scenario.yaml' -o '%s/bad' "
                "--region '../../etc'",
                cpt_bin(), dir, dir, dir);
    assert_int_equal(rc, 2);
    cpt_assert_contains(err, "--region: the plan has no region <../../etc>");
    free(out), free(err);
    rc = cpt_sh(&out, &err, "'%s' run '%s/demo/scenario.yaml' -o '%s/bad' --region Nowhere",
                cpt_bin(), dir, dir);
    assert_int_equal(rc, 2);
    cpt_assert_contains(err, "--region: the scenario has no region <Nowhere>");
    free(out), free(err);
    rc = cpt_sh(&out, &err, "'%s' run '%s/demo/scenario.yaml' -o '%s/bad' --seed -3", cpt_bin(),
                dir, dir);
    assert_int_equal(rc, 2);
    free(out), free(err);
    char p[4200];
    snprintf(p, sizeof p, "%s/bad", dir);
    assert_false(cpt_exists(p));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_writes_the_evidence),
        cmocka_unit_test(test_contamination_projection),
        cmocka_unit_test(test_outcomes_in_milestones),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_probability_rises_with_teams),
        cmocka_unit_test(test_bit_identical_threads),
        cmocka_unit_test(test_calibration_recovers_the_truth),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
