/* The data-loss suite (DESIGN §10, issue #11): every dangerous command a user can type by
 * mistake, run against a sandbox holding a scenario, its inputs, a home folder, user files and
 * earlier outputs. Every file and link in the sandbox is checksummed before and after each
 * command: a refused command must leave the sandbox byte for byte as it was (no file changed,
 * removed or added, no temporary left); a command that may write changes only its output. */
#define _XOPEN_SOURCE 700
#include "cp_test.h"

#include <ftw.h>
#include <signal.h>
#include <time.h>

static char root[1024], work[1100];

/* ---- a snapshot of the sandbox: one line per entry, sorted ---- */

static char **snap_lines;
static size_t snap_n, snap_cap;
static size_t snap_root_len;

static uint64_t fnv_file(const char *path) {
    uint64_t h = 1469598103934665603ull;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; ++i) h = (h ^ buf[i]) * 1099511628211ull;
    fclose(f);
    return h;
}

static int snap_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)flag, (void)ftw;
    char line[5000], target[1024] = "";
    const char *rel = path + snap_root_len;
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        snprintf(line, sizeof line, "%s L -> %s", rel, target);
    } else if (S_ISDIR(st->st_mode)) {
        snprintf(line, sizeof line, "%s/ D", rel);
    } else {
        snprintf(line, sizeof line, "%s F %lld %016llx", rel, (long long)st->st_size,
                 (unsigned long long)fnv_file(path));
    }
    if (snap_n == snap_cap) {
        snap_cap = snap_cap ? 2 * snap_cap : 256;
        snap_lines = realloc(snap_lines, snap_cap * sizeof *snap_lines);
    }
    snap_lines[snap_n++] = strdup(line);
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sandbox as text, leaving out the entries under `skip` (a path relative to the root,
 * e.g. "/work/out4"; NULL for none). */
static char *snapshot(const char *skip) {
    snap_n = 0;
    snap_root_len = strlen(root);
    assert_int_equal(nftw(root, snap_entry, 32, FTW_PHYS), 0);
    qsort(snap_lines, snap_n, sizeof *snap_lines, cmp_str);
    size_t total = 1, k = 0;
    for (size_t i = 0; i < snap_n; ++i) total += strlen(snap_lines[i]) + 1;
    char *out = malloc(total);
    for (size_t i = 0; i < snap_n; ++i) {
        size_t n = strlen(snap_lines[i]);
        int skipped = skip && !strncmp(snap_lines[i], skip, strlen(skip)) &&
                      (snap_lines[i][strlen(skip)] == '/' || snap_lines[i][strlen(skip)] == ' ');
        if (!skipped) {
            memcpy(out + k, snap_lines[i], n);
            out[k + n] = '\n';
            k += n + 1;
        }
        free(snap_lines[i]);
    }
    out[k] = '\0';
    return out;
}

/* Prints the first line where two snapshots differ, and fails when `fatal`. */
static void assert_same_snapshot(const char *a, const char *b, const char *what, int fatal) {
    if (!strcmp(a, b)) return;
    const char *p = a, *q = b;
    while (*p && *p == *q) ++p, ++q;
    while (p > a && p[-1] != '\n') --p, --q;
    print_error("%s changed the sandbox: before\n  %.200s\nafter\n  %.200s\n", what, p, q);
    if (fatal) fail();
}

/* ---- the sandbox ---- */

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "%s/dataloss.%ld", cpt_env("CP_TEST_TMP", "/tmp"), (long)getpid());
    snprintf(work, sizeof work, "%s/work", root);
    const char *b = cpt_bin();
    char *e = NULL;
    int rc = cpt_sh(
        NULL, &e,
        "set -e; rm -rf '%s'; mkdir -p '%s/home' '%s/work'; cd '%s'; "
        "echo 'keep me' > '%s/home/important.txt'; mkdir user; echo 'notes' > user/notes.txt; "
        "printf 'a,count\\n1,2\\n' > user/data.csv; "
        "'%s' synth --preset tiny -o tiny -q; '%s' synth --preset demo -o demo -q; "
        "'%s' run tiny/scenario.yaml -o out -q >/dev/null; "
        "for k in 2 3 4 6 7; do '%s' run tiny/scenario.yaml -o out$k -q >/dev/null; done; "
        "cp -a out out5; "
        "'%s' focal-sum tiny/landcover.tif fs.tif --radius-m 100 -q; "
        "gdal_translate -q -ot Byte fs.tif user/derived.tif; "
        "echo '<PAMDataset/>' > user/new.tif.aux.xml; "
        "sed -e 's#path: \\([a-z]*\\)[.]#path: tiny/\\1.#' -e 's#aoi: aoi.gpkg#aoi: "
        "tiny/aoi.gpkg#' "
        "    tiny/scenario.yaml > my.yaml; "
        "'%s' calibrate tiny/records.gpkg --scenario tiny/scenario.yaml -o calib -q >/dev/null; "
        "sed -e 's#^cost:#cost:\\n  profile: calib/cost_profile.yaml#' my.yaml > my2.yaml; "
        "grep -q 'path: tiny/hazards' my.yaml; grep -q 'profile: calib' my2.yaml; "
        "ln -s ../user out2/link-to-user; "
        "rm out3/plan.csv; ln -s ../user/data.csv out3/plan.csv; "
        "echo '<PAMDataset/>' > out4/priority.tif.aux.xml; "
        /* a planner's edits: plan.csv saved over from a spreadsheet (a new file), the QGIS
         * project saved in place; a tool's output edited in place */
        "cp out6/plan.csv edited.csv; echo 'my notes' >> edited.csv; mv edited.csv out6/plan.csv; "
        "echo '<!-- my layers -->' >> out7/plan.qgs; "
        "'%s' focal-sum tiny/landcover.tif fs6.tif --radius-m 100 -q; "
        "gdal_edit.py -mo 'NOTE=mine' fs6.tif; "
        "'%s' synth --preset tiny -o tiny3 -q; sed -i 's/teams: 5/teams: 7/' tiny3/scenario.yaml; "
        "grep -q 'teams: 7' tiny3/scenario.yaml; "
        "ln -s user out-link; "
        "sed -e 's#name: open_land#name: ../../treecover#' "
        "    -e 's#criteria_maps: false#criteria_maps: true#' tiny/scenario.yaml > tiny/evil.yaml; "
        "grep -q 'treecover' tiny/evil.yaml; "
        "sed -e 's#  dir: out#  dir: .#' tiny/scenario.yaml > tiny/outdot.yaml; "
        "grep -q 'dir: [.]' tiny/outdot.yaml",
        root, root, work, work, root, b, b, b, b, b, b, b, b);
    if (rc) fprintf(stderr, "data-loss suite: cannot build the sandbox (%d): %s\n", rc, e);
    free(e);
    return rc ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    if (!getenv("CP_KEEP_TMP")) cpt_rmtree(root);
    return 0;
}

/* Runs `clearplan ARGS` from the work folder with HOME = the sandbox's home. */
static int clearplan(char **err, const char *args) {
    /* HOME is exported first, so that the shell expands ~ to the sandbox's home */
    return cpt_sh(NULL, err, "cd '%s' && export HOME='%s/home' && '%s' %s", work, root, cpt_bin(),
                  args);
}

typedef struct {
    const char *args; /* clearplan's arguments, run from work/ */
    const char *why;  /* a part of the message */
} refused_case;

/* Each of these must be refused with exit status 1, a message naming the reason, and the
 * whole sandbox unchanged. */
static const refused_case refused[] = {
    /* run: outputs that are, contain or hold inputs; places that are never outputs */
    {"run tiny/scenario.yaml -o tiny --overwrite -q", "contains the input"},
    {"run tiny/scenario.yaml -o tiny/hazards.gpkg --overwrite -q", "is the input"},
    {"run tiny/scenario.yaml -o tiny/hazards.gpkg -q", "is the input"},
    {"run tiny/scenario.yaml -o user/notes.txt --overwrite -q", "exists and is not a folder"},
    {"run tiny/scenario.yaml -o user --overwrite -q", "clearplan did not write it"},
    {"run tiny/scenario.yaml -o user -q", "exists; pass --overwrite"},
    {"run tiny/scenario.yaml -o . --overwrite -q", "current folder"},
    {"run tiny/scenario.yaml -o .. --overwrite -q", "current folder"},
    {"run tiny/scenario.yaml -o / --overwrite -q", "root folder"},
    {"run tiny/scenario.yaml -o ~ --overwrite -q", "home folder"},
    {"run tiny/scenario.yaml -o ~/.. --overwrite -q", "it is or contains"},
    {"run tiny/scenario.yaml -o out-link --overwrite -q", "symbolic link"},
    {"run tiny/scenario.yaml -o out2 --overwrite -q", "did not write (link-to-user)"},
    {"run tiny/scenario.yaml -o out3 --overwrite -q", "did not write (plan.csv)"},
    /* a folder holding the scenario's inputs, or its cost profile, named by the scenario
     * given to calibrate, run or plan */
    {"calibrate tiny/records.gpkg --scenario my.yaml -o tiny --overwrite -q", "contains the input"},
    {"run my2.yaml -o calib --overwrite -q", "contains the input"},
    {"plan out/plan.gpkg --scenario my2.yaml -o calib --overwrite -q", "contains the input"},
    /* an output whose files the user changed since: saved over, edited in place */
    {"run tiny/scenario.yaml -o out6 --overwrite -q", "changed since clearplan wrote it (plan.csv"},
    {"run tiny/scenario.yaml -o out7 --overwrite -q", "changed since clearplan wrote it (plan.qgs"},
    {"focal-sum tiny/landcover.tif fs6.tif --radius-m 100 --overwrite -q",
     "changed since clearplan wrote it (edited in place)"},
    /* a copy of an output (its manifest names another folder) */
    {"run tiny/scenario.yaml -o out5 --overwrite -q", "written for another folder"},
    /* a criterion name used as a path */
    {"run tiny/evil.yaml --overwrite -q", "is not a name"},
    {"validate tiny/evil.yaml", "is not a name"},
    /* outputs.dir in the scenario: the scenario's own folder */
    {"run tiny/outdot.yaml --overwrite -q", "contains the input"},
    {"validate tiny/outdot.yaml", "contains the input"},
    /* plan: its own input, the current folder */
    {"plan out/plan.gpkg -o out --overwrite -q", "contains the input"},
    {"plan out/plan.csv -o out/plan.csv --overwrite -q", "is the input"},
    {"plan out/plan.csv -o . --overwrite -q", "current folder"},
    {"plan out/plan.csv -o .. --overwrite -q", "current folder"},
    {"plan out/plan.csv -o ~ --overwrite -q", "home folder"},
    {"plan out/plan.csv -o user --overwrite -q", "clearplan did not write it"},
    /* the tools: OUT is IN, or a file clearplan did not write */
    {"proximity tiny/landcover.tif tiny/landcover.tif -q", "is the input"},
    {"proximity tiny/landcover.tif tiny/landcover.tif --overwrite -q", "is the input"},
    {"focal-sum tiny/landcover.tif tiny/landcover.tif --radius-m 100 --overwrite -q",
     "is the input"},
    {"zonal tiny/landcover.tif tiny/hazards.gpkg tiny/landcover.tif --overwrite -q",
     "is the input"},
    {"zonal tiny/landcover.tif tiny/hazards.gpkg tiny/hazards.gpkg --overwrite -q", "is the input"},
    {"density tiny/reports.gpkg tiny/reports.gpkg --like tiny/landcover.tif "
     "--bandwidth-m 500 --overwrite -q",
     "is the input"},
    {"density tiny/reports.gpkg tiny/landcover.tif --like tiny/landcover.tif "
     "--bandwidth-m 500 --overwrite -q",
     "is the input"},
    {"proximity tiny/landcover.tif user/data.csv --overwrite -q", "clearplan did not write it"},
    {"zonal tiny/landcover.tif tiny/hazards.gpkg user/notes.txt --overwrite -q",
     "clearplan did not write it"},
    {"proximity tiny/landcover.tif user --overwrite -q", "exists and is not a file"},
    /* a CSV whose header looks like zonal's; a raster made from an output (GDAL copied the
     * output's metadata into it); a new output beside another file's GDAL cache */
    {"zonal tiny/landcover.tif tiny/hazards.gpkg user/data.csv --overwrite -q",
     "clearplan did not write it"},
    {"focal-sum tiny/landcover.tif user/derived.tif --radius-m 100 --overwrite -q",
     "clearplan did not write it"},
    {"focal-sum tiny/landcover.tif user/new.tif --radius-m 100 -q", "new.tif.aux.xml"},
    /* synth over a folder it did not write */
    {"synth --preset tiny -o user --overwrite -q", "clearplan did not write it"},
    {"synth --preset tiny -o . --overwrite -q", "current folder"},
    /* the scenario synth wrote, edited since */
    {"synth --preset tiny -o tiny3 --overwrite -q",
     "changed since clearplan wrote it (scenario.yaml"},
};

/* Every case is run and judged (a failure is printed and counted, the sandbox's state then
 * taken as the new reference), so that one run lists every command that does damage. */
static void test_data_loss_refused_commands_change_nothing(void **state) {
    (void)state;
    char *before = snapshot(NULL);
    int failures = 0;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; ++i) {
        char *e = NULL;
        int rc = clearplan(&e, refused[i].args);
        char *after = snapshot(NULL);
        int changed = strcmp(before, after) != 0;
        if (rc != 1 || !strstr(e, "clearplan: error: ") || !strstr(e, refused[i].why) || changed) {
            print_error("clearplan %s\n  exit %d (want 1)%s, stderr: %s  (want \"%s\")\n",
                        refused[i].args, rc, changed ? ", CHANGED THE SANDBOX" : "", e,
                        refused[i].why);
            if (changed) assert_same_snapshot(before, after, refused[i].args, 0);
            ++failures;
        }
        free(e);
        free(before);
        before = after;
    }
    /* a usage error (exit 2): a world file would be written beside the temporary, outside
     * the transaction */
    char *e = NULL;
    int rc = clearplan(&e, "focal-sum tiny/landcover.tif fs2.tif --radius-m 100 --co TFW=YES -q");
    char *after = snapshot(NULL);
    if (rc != 2 || !strstr(e, "make a world file with gdal_translate") || strcmp(before, after)) {
        print_error("focal-sum --co TFW=YES: exit %d (want 2), stderr: %s\n", rc, e);
        ++failures;
    }
    free(e), free(after);
    free(before);
    assert_int_equal(failures, 0);
}

/* Commands that may write: they change their output and nothing else. */
static void test_data_loss_writes_only_its_output(void **state) {
    (void)state;
    static const struct {
        const char *args, *output;
    } ok[] = {
        /* replaces its own earlier output, GIS caches included */
        {"run tiny/scenario.yaml -o out4 --overwrite -q", "/work/out4"},
        /* inside the scenario's folder: the default place */
        {"run tiny/scenario.yaml -q", "/work/tiny/out"},
        {"plan out/plan.csv -o replan -q", "/work/replan"},
        {"plan out/plan.csv -o replan --overwrite -q", "/work/replan"},
        {"proximity tiny/landcover.tif dist.tif -q", "/work/dist.tif"},
        {"proximity tiny/landcover.tif dist.tif --overwrite -q", "/work/dist.tif"},
        {"zonal tiny/landcover.tif tiny/hazards.gpkg z.csv -q", "/work/z.csv"},
        {"zonal tiny/landcover.tif tiny/hazards.gpkg z.csv --overwrite -q", "/work/z.csv"},
        {"synth --preset tiny -o tiny2 -q", "/work/tiny2"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; ++i) {
        char *before = snapshot(ok[i].output), *e = NULL;
        int rc = clearplan(&e, ok[i].args);
        if (rc) print_error("clearplan %s: exit %d\n%s\n", ok[i].args, rc, e);
        assert_int_equal(rc, 0);
        free(e);
        char *after = snapshot(ok[i].output);
        assert_same_snapshot(before, after, ok[i].args, 1);
        free(before), free(after);
        char p[1300];
        snprintf(p, sizeof p, "%s%s", root, ok[i].output);
        assert_true(cpt_exists(p));
    }
    /* the replaced output has no cache of the old priority.tif left */
    char p[1300];
    snprintf(p, sizeof p, "%s/out4/priority.tif.aux.xml", work);
    assert_false(cpt_exists(p));
    assert_int_equal(cpt_debris(work), 0);
}

/* Two runs into the same new folder at once, without --overwrite: one publishes, the other
 * fails saying so; neither replaces the other's output. */
static void test_data_loss_concurrent_runs_same_output(void **state) {
    (void)state;
    char *e = NULL, *o = NULL;
    int rc =
        cpt_sh(&o, &e,
               "cd '%s' || exit 1; ( '%s' run tiny/scenario.yaml -o same -q >/dev/null 2>a.err; "
               "echo $? > a.rc ) & ( '%s' run tiny/scenario.yaml -o same -q >/dev/null "
               "2>b.err; echo $? > b.rc ) & wait; cat a.rc b.rc a.err b.err; "
               "rm -f a.rc b.rc a.err b.err",
               work, cpt_bin(), cpt_bin());
    assert_int_equal(rc, 0);
    int a = -1, b = -1;
    if (sscanf(o, "%d %d", &a, &b) != 2) print_error("%s\n%s\n", o, e);
    assert_int_equal(sscanf(o, "%d %d", &a, &b), 2);
    if (!((a == 0 && b == 1) || (a == 1 && b == 0))) print_error("exits %d %d\n%s\n", a, b, o);
    assert_true((a == 0 && b == 1) || (a == 1 && b == 0));
    assert_true(strstr(o, "exists; pass --overwrite") ||
                strstr(o, "appeared while clearplan was writing it"));
    char p[1300];
    snprintf(p, sizeof p, "%s/same/plan.csv", work);
    assert_true(cpt_exists(p));
    assert_int_equal(cpt_debris(work), 0);
    free(e), free(o);
}

/* Waits up to 30 s for `path` to exist. */
static int wait_for(const char *path) {
    struct timespec ts = {0, 10000000};
    for (int i = 0; i < 3000; ++i) {
        if (cpt_exists(path)) return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

static pid_t spawn(const char *out) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(work) != 0) _exit(127);
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        char scenario[1200];
        snprintf(scenario, sizeof scenario, "%s/demo/scenario.yaml", work);
        execl(cpt_bin(), cpt_bin(), "run", scenario, "-o", out, "-q", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_rc(pid_t pid) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs of the demo (seconds long, so a signal sent as soon as the run has begun arrives
 * while it works). A run killed with SIGKILL leaves its temporary folder; the next run into the
 * same place removes it. SIGHUP (the terminal closed) stops a run like Ctrl-C: exit 130, nothing
 * left. */
static void test_data_loss_killed_and_hung_up_runs(void **state) {
    (void)state;
    char tmp[1400], out[1300];
    snprintf(out, sizeof out, "%s/killed", work);
    pid_t pid = spawn(out);
    snprintf(tmp, sizeof tmp, "%s/.killed.clearplan-tmp-%ld-0/.clearplan-lock", work, (long)pid);
    assert_true(wait_for(tmp));
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(wait_rc(pid), 128 + SIGKILL);
    assert_int_equal(cpt_debris(work), 1);
    char *e = NULL;
    int rc = clearplan(&e, "run tiny/scenario.yaml -o killed -q");
    if (rc) print_error("%s\n", e);
    assert_int_equal(rc, 0);
    free(e);
    assert_int_equal(cpt_debris(work), 0);
    /* SIGHUP */
    snprintf(out, sizeof out, "%s/hungup", work);
    pid = spawn(out);
    snprintf(tmp, sizeof tmp, "%s/.hungup.clearplan-tmp-%ld-0/.clearplan-lock", work, (long)pid);
    assert_true(wait_for(tmp));
    assert_int_equal(kill(pid, SIGHUP), 0); /* the demo run takes seconds: still running */
    assert_int_equal(wait_rc(pid), 130);
    assert_false(cpt_exists(out));
    assert_int_equal(cpt_debris(work), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_loss_refused_commands_change_nothing),
        cmocka_unit_test(test_data_loss_writes_only_its_output),
        cmocka_unit_test(test_data_loss_concurrent_runs_same_output),
        cmocka_unit_test(test_data_loss_killed_and_hung_up_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
