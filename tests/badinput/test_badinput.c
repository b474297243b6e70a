/* The bad-input corpus (cases.tsv, inputs from make_inputs.py): every flawed input gives its
 * documented exit code and message, never a crash, never a partial output; every input hazard
 * is accounted for in plan.csv or rejected.csv. One cmocka test per line of cases.tsv. */
#define _POSIX_C_SOURCE 200809L
#include "cp_test.h"

#include <dirent.h>
#include <math.h>

#include <gdal.h>
#include <ogr_api.h>

typedef struct {
    char name[128];
    char command[512];
    int exit_code;
    char message[512];
    char checks[1024];
    int line;
} bad_case;

static char root[4096], cases_dir[4200], plan_gpkg[4300];

/* Counts the records of a CSV file (quoted fields may hold newlines), header excluded. */
static long csv_records(const char *path) {
    char *t = cpt_slurp(path, NULL);
    if (!t) return -1;
    long n = 0;
    int q = 0, any = 0;
    for (const char *p = t; *p; ++p) {
        if (*p == '"') q = !q;
        if (*p == '\n' && !q) {
            n += any;
            any = 0;
        } else {
            any = 1;
        }
    }
    n += any;
    free(t);
    return n - 1;
}

/* Whether a CSV has a row whose field `col` (0-based) is exactly `id`. */
static int csv_has(const char *path, int col, const char *id) {
    char *t = cpt_slurp(path, NULL);
    if (!t) return 0;
    int found = 0;
    for (char *line = strtok(t, "\n"); line && !found; line = strtok(NULL, "\n")) {
        const char *f = line;
        for (int c = 0; c < col && f; ++c) {
            f = strchr(f, ',');
            if (f) ++f;
        }
        size_t n = strlen(id);
        found = f && !strncmp(f, id, n) && (f[n] == ',' || f[n] == '\0' || f[n] == '\r');
    }
    free(t);
    return found;
}

static long hazard_features(const char *case_dir) {
    char path[4400];
    snprintf(path, sizeof path, "%s/hazards.gpkg", case_dir);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "hazards");
    if (!l) l = GDALDatasetGetLayer(ds, 0);
    long n = l ? (long)OGR_L_GetFeatureCount(l, TRUE) : -1;
    GDALClose(ds);
    return n;
}

static void check_priority_finite(const char *out) {
    char path[4400];
    snprintf(path, sizeof path, "%s/priority.tif", out);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    assert_non_null(ds);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int has = 0;
    double nd = GDALGetRasterNoDataValue(b, &has);
    int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
    float *row = malloc((size_t)nx * sizeof *row);
    long bad = 0, valid = 0;
    for (int j = 0; j < ny; ++j) {
        assert_int_equal(GDALRasterIO(b, GF_Read, 0, j, nx, 1, row, nx, 1, GDT_Float32, 0, 0),
                         CE_None);
        for (int i = 0; i < nx; ++i) {
            float v = row[i];
            if (has && v == (float)nd) continue;
            ++valid;
            bad += !(isfinite(v) && v >= 0.0f && v <= 1.0f);
        }
    }
    free(row);
    GDALClose(ds);
    if (bad) print_error("%ld of %ld priority cells not finite in [0, 1]\n", bad, valid);
    assert_int_equal(bad, 0);
    assert_true(valid > 0);
}

/* No temporary output next to the output folder. */
static void assert_no_tmp(const char *out) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    assert_int_equal(cpt_debris(dir), 0);
}

static void test_case(void **state) {
    const bad_case *c = *state;
    char case_dir[4400], out[4400], cmd[8192];
    snprintf(case_dir, sizeof case_dir, "%s/%s", cases_dir, c->name);
    snprintf(out, sizeof out, "%s/out/%d-%s", root, c->line, c->name);
    if (!strcmp(c->command, "run")) {
        snprintf(cmd, sizeof cmd, "'%s' run '%s/scenario.yaml' -o '%s'", cpt_bin(), case_dir, out);
    } else if (!strcmp(c->command, "validate")) {
        snprintf(cmd, sizeof cmd, "'%s' validate '%s/scenario.yaml'", cpt_bin(), case_dir);
    } else if (!strncmp(c->command, "plan:", 5)) {
        /* {plan} and {case} expand; the arguments are split by the shell */
        char args[4096] = "";
        size_t n = 0;
        for (const char *p = c->command + 5; *p && n + 1 < sizeof args;) {
            const char *sub = NULL;
            if (!strncmp(p, "{plan}", 6))
                sub = plan_gpkg, p += 6;
            else if (!strncmp(p, "{case}", 6))
                sub = case_dir, p += 6;
            if (sub)
                n += (size_t)snprintf(args + n, sizeof args - n, "%s", sub);
            else
                args[n++] = *p++, args[n] = '\0';
        }
        snprintf(cmd, sizeof cmd, "'%s' plan %s -o '%s' -q", cpt_bin(), args, out);
    } else {
        print_error("cases.tsv:%d: unknown command '%s'\n", c->line, c->command);
        fail();
    }
    char *so = NULL, *se = NULL;
    /* under ASan, a huge allocation inside GDAL must fail like malloc does (NULL), not abort */
    int rc = cpt_sh(
        &so, &se, "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1\" %s",
        cmd);
    if (rc != c->exit_code || rc >= 128)
        print_error("cases.tsv:%d %s: %s\nexit %d (expected %d)\nstdout:\n%s\nstderr:\n%s\n",
                    c->line, c->name, cmd, rc, c->exit_code, so, se);
    assert_true(rc < 128); /* no crash, no abort */
    assert_int_equal(rc, c->exit_code);
    if (c->message[0]) {
        if (rc == 0) {
            char both[16384];
            snprintf(both, sizeof both, "%s\n%s", so ? so : "", se ? se : "");
            cpt_assert_contains(both, c->message);
        } else {
            cpt_assert_contains(se, "clearplan: error: ");
            cpt_assert_contains(se, c->message);
        }
    }
    free(so);
    free(se);
    int writes = strcmp(c->command, "validate") != 0;
    if (writes) {
        assert_no_tmp(out);
        if (rc != 0 && cpt_exists(out)) {
            print_error("a failed command left its output folder %s\n", out);
            fail();
        }
        if (rc == 0) assert_true(cpt_exists(out));
    }
    /* the checks */
    char checks[1024], path[4500];
    snprintf(checks, sizeof checks, "%s", c->checks);
    for (char *save = NULL, *k = strtok_r(checks, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (!strcmp(k, "-")) continue;
        if (!strcmp(k, "account")) {
            long in = hazard_features(case_dir);
            snprintf(path, sizeof path, "%s/plan.csv", out);
            long planned = csv_records(path);
            snprintf(path, sizeof path, "%s/rejected.csv", out);
            long rejected = csv_records(path);
            if (in != planned + rejected)
                print_error("%s: %ld input hazards, %ld planned + %ld rejected\n", c->name, in,
                            planned, rejected);
            assert_true(in > 0);
            assert_int_equal(in, planned + rejected);
        } else if (!strcmp(k, "finite")) {
            check_priority_finite(out);
        } else if (!strncmp(k, "skipped=", 8)) {
            snprintf(path, sizeof path, "%s/run.json", out);
            char *j = cpt_slurp(path, NULL);
            char want[64];
            snprintf(want, sizeof want, "\"points_skipped\": %s", k + 8);
            cpt_assert_contains(j, want);
            free(j);
        } else if (!strncmp(k, "rejected=", 9) || !strncmp(k, "planned=", 8)) {
            int rej = k[0] == 'r';
            const char *id = strchr(k, '=') + 1;
            snprintf(path, sizeof path, "%s/%s", out, rej ? "rejected.csv" : "plan.csv");
            if (!csv_has(path, rej ? 0 : 1, id)) {
                print_error("%s: '%s' is not a row of %s\n", c->name, id, path);
                fail();
            }
        } else {
            print_error("cases.tsv:%d: unknown check '%s'\n", c->line, k);
            fail();
        }
    }
}

/* Builds the inputs of every case once: a tiny synthetic scenario, the corpus, a plan.gpkg. */
static int setup_corpus(void **state) {
    (void)state;
    snprintf(root, sizeof root, "%s/badinput.%ld", cpt_env("CP_TEST_TMP", "/tmp"), (long)getpid());
    snprintf(cases_dir, sizeof cases_dir, "%s/cases", root);
    snprintf(plan_gpkg, sizeof plan_gpkg, "%s/out/base-plan/plan.gpkg", root);
    char *se = NULL;
    int rc = cpt_sh(NULL, &se,
                    "rm -rf '%s' && mkdir -p '%s/cases' '%s/out' && '%s' synth --preset tiny -o "
                    "'%s/tiny' -q && '%s' '%s/tests/badinput/make_inputs.py' '%s/tiny' '%s' && "
                    "'%s' run '%s/base/scenario.yaml' -o '%s/out/base-plan' -q",
                    root, root, root, cpt_bin(), root, cpt_env("CP_PYTHON", "/usr/bin/python3"),
                    cpt_source_dir(), root, cases_dir, cpt_bin(), cases_dir, root);
    if (rc) fprintf(stderr, "badinput: cannot build the corpus (exit %d):\n%s\n", rc, se);
    free(se);
    GDALAllRegister();
    return rc ? -1 : 0;
}

static int teardown_corpus(void **state) {
    (void)state;
    if (!getenv("CP_KEEP_TMP")) cpt_rmtree(root);
    return 0;
}

int main(void) {
    char path[4200];
    snprintf(path, sizeof path, "%s/tests/badinput/cases.tsv", cpt_source_dir());
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "badinput: cannot open %s\n", path);
        return 1;
    }
    bad_case *cases = NULL;
    struct CMUnitTest *tests = NULL;
    size_t n = 0;
    char line[4096];
    for (int ln = 1; fgets(line, sizeof line, f); ++ln) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        char *fields[5] = {0};
        char *p = line;
        for (int k = 0; k < 5; ++k) {
            fields[k] = p;
            char *tab = p ? strchr(p, '\t') : NULL;
            if (tab) *tab = '\0';
            p = tab ? tab + 1 : NULL;
        }
        if (!fields[4] || p) {
            fprintf(stderr, "%s:%d: want 5 tab-separated fields\n", path, ln);
            return 1;
        }
        cases = realloc(cases, (n + 1) * sizeof *cases);
        bad_case *c = &cases[n++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", fields[0]);
        snprintf(c->command, sizeof c->command, "%s", fields[1]);
        c->exit_code = atoi(fields[2]);
        snprintf(c->message, sizeof c->message, "%s", fields[3]);
        snprintf(c->checks, sizeof c->checks, "%s", fields[4]);
        c->line = ln;
    }
    fclose(f);
    tests = calloc(n, sizeof *tests);
    char(*names)[200] = calloc(n, sizeof *names);
    for (size_t i = 0; i < n; ++i) {
        snprintf(names[i], sizeof names[i], "%s %s (line %d)", cases[i].name,
                 strncmp(cases[i].command, "plan:", 5) ? cases[i].command : "plan", cases[i].line);
        tests[i].name = names[i];
        tests[i].test_func = test_case;
        tests[i].initial_state = &cases[i];
    }
    int rc = _cmocka_run_group_tests("badinput", tests, n, setup_corpus, teardown_corpus);
    free(tests);
    free(names);
    free(cases);
    return rc;
}
