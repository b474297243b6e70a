/* `clearplan plan`: exit codes 0/1/2, outputs, messages. */
#include "cp_test.h"

static char dir[4096];

static void write_hazards(const char *path, int n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("hazard_id,status,region,area_m2,benefit,cost_team_days,priority_mean,note\n", f);
    for (int i = 0; i < n; ++i)
        fprintf(f, "H%03d,%s,%s,%d,%g,%g,%g,\"n, %d\"\n", i, i % 3 ? "SHA" : "CHA",
                i % 2 ? "North" : "East", 5000 + 700 * i, 0.5 + (i * 37 % 11), 10.0 + i % 17,
                (double)(i % 10) / 10, i);
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    cpt_tmpdir("plan_cli", dir, sizeof dir);
    char p[4200];
    snprintf(p, sizeof p, "%s/h.csv", dir);
    write_hazards(p, 120);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cpt_rmtree(dir);
    return 0;
}

static void test_plan_cli_ok(void **state) {
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = cpt_sh(&out, &err,
                    "'%s' plan '%s/h.csv' -o '%s/out' --teams 3,5,8 --start 2026-01-01 "
                    "--deadline 2027-06-30 --days-per-year 200 --package-team-days 15 "
                    "--team-day-usd 1200",
                    cpt_bin(), dir, dir);
    if (rc) print_error("%s\n%s\n", out, err);
    assert_int_equal(rc, 0);
    cpt_assert_contains(out, "With 3 teams, the team schedule completes in ");
    cpt_assert_contains(out, "hazards: 120 read, 120 planned, 0 excluded");
    cpt_assert_contains(out, "teams  completion");
    static const char *names[] = {"plan.csv",  "milestones.csv", "packages.csv", "rejected.csv",
                                  "plan.gpkg", "report.html",    "summary.json"};
    char p[4200];
    for (int i = 0; i < 7; ++i) {
        snprintf(p, sizeof p, "%s/out/%s", dir, names[i]);
        if (!cpt_exists(p)) print_error("missing %s\n", p);
        assert_true(cpt_exists(p));
    }
    snprintf(p, sizeof p, "%s/out/summary.json", dir);
    char *json = cpt_slurp(p, NULL);
    cpt_assert_contains(json, "\"team_day_usd\": 1200");
    cpt_assert_contains(json, "\"sweep\": [{\"teams\": 3,");
    free(json);
    snprintf(p, sizeof p, "%s/out/plan.csv", dir);
    char *csv = cpt_slurp(p, NULL);
    cpt_assert_contains(csv, ",note\n1,");
    free(csv);
    free(out);
    free(err);
    /* exists: refused without --overwrite, replaced with it; -q prints nothing */
    rc = cpt_sh(&out, &err, "'%s' plan '%s/h.csv' -o '%s/out' --teams 4", cpt_bin(), dir, dir);
    assert_int_equal(rc, 1);
    cpt_assert_contains(err, "/out> exists; pass --overwrite");
    cpt_assert_contains(err, "--overwrite");
    free(out);
    free(err);
    /* re-planning from its own GeoPackage into the folder that holds it is refused (it would
     * delete its own input), and the folder is left as it was */
    snprintf(p, sizeof p, "%s/out/plan.gpkg", dir);
    size_t n0 = 0, n1 = 0;
    char *before = cpt_slurp(p, &n0);
    rc = cpt_sh(&out, &err, "'%s' plan '%s/out/plan.gpkg' -o '%s/out' --overwrite -q --teams 4",
                cpt_bin(), dir, dir);
    assert_int_equal(rc, 1);
    cpt_assert_contains(err, "it contains the input");
    char *after = cpt_slurp(p, &n1);
    assert_non_null(after);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before), free(after), free(out), free(err);
    /* re-plan from its own GeoPackage into another folder, quietly */
    rc = cpt_sh(&out, &err,
                "'%s' plan '%s/out/plan.gpkg' -o '%s/out2' -q --teams 4 "
                "--start 2026-01-01 --deadline 2030-01-01",
                cpt_bin(), dir, dir);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "");
    free(out);
    free(err);
    snprintf(p, sizeof p, "%s/out2/summary.json", dir);
    json = cpt_slurp(p, NULL);
    cpt_assert_contains(json, "\"teams\": 4,");
    cpt_assert_contains(json, "\"hazards_planned\": 120");
    free(json);
    /* no temporary folder left behind */
    assert_int_equal(cpt_debris(dir), 0);
}

/* The last "end" date of plan.csv (column `end`), or "" when a hazard has none. */
static void last_end(const char *csv_path, char out[11]) {
    char *csv = cpt_slurp(csv_path, NULL);
    assert_non_null(csv);
    char *hdr_end = strchr(csv, '\n');
    assert_non_null(hdr_end);
    int col = -1, k = 0;
    for (char *p = csv, *q; p < hdr_end; p = q + 1, ++k) {
        q = p + strcspn(p, ",\n");
        if (q - p == 3 && !strncmp(p, "end", 3)) col = k;
        if (*q == '\n') break;
    }
    assert_true(col >= 0);
    strcpy(out, "0000-00-00");
    for (char *line = hdr_end + 1; *line; line = strchr(line, '\n') + 1) {
        char *p = line;
        for (int c = 0; c < col; ++c) p = strchr(p, ',') + 1; /* no quoted commas before `end` */
        if (*p == ',') {
            out[0] = '\0';
            break;
        }
        if (strncmp(p, out, 10) > 0) memcpy(out, p, 10);
    }
    free(csv);
}

/* The verdict and teams needed agree with the written plan: with the reported N teams every
 * hazard ends by the deadline, with N - 1 one does not; a budget that binds is reported. */
static void test_plan_cli_one_truth(void **state) {
    (void)state;
    char *out = NULL, *p = NULL;
    char path[4200], end[11];
    int rc = cpt_sh(&out, NULL,
                    "'%s' plan '%s/h.csv' -o '%s/t0' --teams 2 --start 2026-01-01 "
                    "--deadline 2026-12-31 --package-team-days 5 -q",
                    cpt_bin(), dir, dir);
    assert_int_equal(rc, 0);
    free(out);
    snprintf(path, sizeof path, "%s/t0/summary.json", dir);
    char *json = cpt_slurp(path, NULL);
    p = strstr(json, "\"teams_needed\": ");
    assert_non_null(p);
    int n = atoi(p + strlen("\"teams_needed\": "));
    assert_true(n > 2);
    cpt_assert_contains(json, "\"deadline_met\": false");
    free(json);
    for (int k = 0; k < 2; ++k) {
        rc = cpt_sh(NULL, NULL,
                    "'%s' plan '%s/h.csv' -o '%s/t%d' --teams %d --start 2026-01-01 "
                    "--deadline 2026-12-31 --package-team-days 5 -q",
                    cpt_bin(), dir, dir, k + 1, n - k);
        assert_int_equal(rc, 0);
        snprintf(path, sizeof path, "%s/t%d/summary.json", dir, k + 1);
        json = cpt_slurp(path, NULL);
        cpt_assert_contains(json, k ? "\"deadline_met\": false" : "\"deadline_met\": true");
        free(json);
        snprintf(path, sizeof path, "%s/t%d/plan.csv", dir, k + 1);
        last_end(path, end);
        if (k == 0) assert_true(strcmp(end, "2026-12-31") <= 0 && end[0]);
        if (k == 1) assert_true(strcmp(end, "2026-12-31") > 0 || !end[0]);
    }
    /* money, not teams */
    rc = cpt_sh(&out, NULL,
                "'%s' plan '%s/h.csv' -o '%s/t3' --teams 8 --start 2026-01-01 "
                "--deadline 2029-12-31 --budget-usd 300000 --mobilisation-days 10 --no-redeploy",
                cpt_bin(), dir, dir);
    assert_int_equal(rc, 0);
    cpt_assert_contains(out, "Money, not teams, binds in 2026");
    free(out);
    snprintf(path, sizeof path, "%s/t3/milestones.csv", dir);
    char *ms = cpt_slurp(path, NULL);
    cpt_assert_contains(ms, "\n2026,year,2026,0,2026-01-01,2026-12-31,");
    cpt_assert_contains(ms, ",300000,1,");
    free(ms);
    snprintf(path, sizeof path, "%s/t3/summary.json", dir);
    json = cpt_slurp(path, NULL);
    cpt_assert_contains(json, "\"redeploy\": false, \"mobilisation_days\": 10");
    free(json);
}

static void expect(int want, const char *msg, const char *fmt, const char *extra) {
    char *err = NULL;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, cpt_bin(), dir, dir, extra);
    int rc = cpt_sh(NULL, &err, "%s", cmd);
    if (rc != want || !strstr(err, msg)) {
        print_error("%s\nexit %d (want %d), stderr:\n%s\n", cmd, rc, want, err);
        fail();
    }
    free(err);
}

/* Without a scenario the documented defaults apply in full, the land-cover classes' clearance
 * productivities included (as `run` and `plan --scenario` with no cost section): 8,000 m2 to
 * clear in tree cover (class 10, 200 m2 a team-day) take 40 team-days, in cropland (40, 500)
 * 16, with 2,000 m2 of technical survey (0.8 team-days) each. */
static void test_plan_cli_default_productivities(void **state) {
    (void)state;
    char p[4200], *out = NULL, *err = NULL;
    snprintf(p, sizeof p, "%s/classes.csv", dir);
    cpt_write(p,
              "hazard_id,status,area_m2,benefit,cost_team_days,class_m2_10,class_m2_40\n"
              "T1,CHA,10000,1,40,10000,0\nC1,CHA,10000,1,16,0,10000\n");
    int rc = cpt_sh(&out, &err,
                    "'%s' plan '%s' -o '%s/classes-out' --start 2026-01-01 --deadline 2028-01-01 "
                    "-q",
                    cpt_bin(), p, dir);
    if (rc) print_error("%s\n%s\n", out, err);
    assert_int_equal(rc, 0);
    snprintf(p, sizeof p, "%s/classes-out/plan.csv", dir);
    char *csv = cpt_slurp(p, NULL);
    cpt_assert_contains(csv, ",T1,CHA,,10000,10000,0,2000,8000,1,40.8,0,0.8,40,40.8,");
    cpt_assert_contains(csv, ",C1,CHA,,10000,10000,0,2000,8000,1,16.8,0,0.8,16,16.8,");
    free(csv);
    free(out);
    free(err);
}

static void test_plan_cli_errors(void **state) {
    (void)state;
    const char *base = "'%s' plan '%s/h.csv' -o '%s/bad' %s";
    expect(2, "missing -o DIR", "'%s' plan '%s/h.csv' %.0s%s", "");
    expect(2, "missing HAZARDS", "'%s' plan %.0s-o '%s/bad' %s", "");
    expect(2, "unknown option '--frobnicate'", base, "--frobnicate");
    expect(2, "--teams wants positive whole numbers", base, "--teams 0");
    expect(2, "--teams wants positive whole numbers", base, "--teams 30,,40");
    expect(2, "--deadline wants a date YYYY-MM-DD", base, "--deadline 2028-02-30");
    expect(2, "--days-per-year", base, "--days-per-year 400");
    expect(2, "--team-day-usd", base, "--team-day-usd -5");
    expect(2, "--teams wants positive whole numbers", base, "--teams 2.5");
    expect(2, "--budget-usd wants a positive number", base, "--budget-usd 0");
    expect(2, "--mobilisation-days wants a number >= 0", base, "--mobilisation-days -3");
    expect(1, "deadline 2025-01-01 is before start 2026-01-01", base,
           "--start 2026-01-01 --deadline 2025-01-01");
    expect(1, "cannot open", "'%s' plan '%s/nope.csv' -o '%s/bad' %s", "");
    /* bad files */
    char p[4200];
    snprintf(p, sizeof p, "%s/cols.csv", dir);
    cpt_write(p, "hazard_id,status,area_m2\nA,SHA,5\n");
    expect(1, "cols.csv: missing columns benefit, cost_team_days",
           "'%s' plan '%s/cols.csv' -o '%s/bad' %s", "");
    snprintf(p, sizeof p, "%s/st.csv", dir);
    cpt_write(p, "hazard_id,status,area_m2,benefit,cost_team_days\nA,UXO,5,1,1\n");
    expect(1, "clearplan: error: ", "'%s' plan '%s/st.csv' -o '%s/bad' %s", "");
    expect(1, "status 'UXO' is not SHA or CHA", "'%s' plan '%s/st.csv' -o '%s/bad' %s", "");
    snprintf(p, sizeof p, "%s/neg.csv", dir);
    cpt_write(p, "hazard_id,status,area_m2,benefit,cost_team_days\nA,SHA,5,1,-1\n");
    expect(1, "cost_team_days is negative", "'%s' plan '%s/neg.csv' -o '%s/bad' %s", "");
    snprintf(p, sizeof p, "%s/dup.csv", dir);
    cpt_write(p, "hazard_id,status,area_m2,benefit,cost_team_days\nA,SHA,5,1,1\nA,SHA,5,1,1\n");
    expect(1, "dup.csv: duplicate hazard id <A>", "'%s' plan '%s/dup.csv' -o '%s/bad' %s", "");
    snprintf(p, sizeof p, "%s/bad", dir);
    assert_false(cpt_exists(p));
    char *out = NULL;
    assert_int_equal(cpt_sh(&out, NULL, "'%s' plan --help", cpt_bin()), 0);
    cpt_assert_contains(out, "usage: clearplan plan HAZARDS -o DIR");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_cli_ok),
        cmocka_unit_test(test_plan_cli_one_truth),
        cmocka_unit_test(test_plan_cli_default_productivities),
        cmocka_unit_test(test_plan_cli_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
