/* `mpirun -np N clearplan run` (the MPI build; label mpi): the tiny and demo scenarios give
 * byte-identical tables and identical raster cells for 1, 2 and 3 ranks and 1 or 2 threads as
 * one process does; a bad input seen by one rank, Ctrl-C on mpirun and a killed rank end the
 * job with nothing published. CP_MPIRUN is Open MPI's mpirun with --oversubscribe. */
#define _POSIX_C_SOURCE 200809L
#include "cp_test_gdal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include <cpl_string.h>
#include <gdal.h>

static char root[4096], tiny[4200], demo[4200];

static const char *mpirun(void) {
    return cpt_env("CP_MPIRUN", "mpirun --oversubscribe");
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

/* The shell command of a run: one process (np 0) or mpirun -np N; `extra` options. */
static void run_command(char *cmd, size_t n, int np, const char *scenario, const char *out,
                        const char *extra) {
    char launcher[512] = "";
    if (np) snprintf(launcher, sizeof launcher, "%s -np %d ", mpirun(), np);
    snprintf(cmd, n, "%s'%s' run '%s' -o '%s' -q --no-sync %s", launcher, cpt_bin(), scenario, out,
             extra);
}

static int run(int np, const char *scenario, const char *out, const char *extra, char **err) {
    char cmd[9000];
    run_command(cmd, sizeof cmd, np, scenario, out, extra);
    char *e = NULL;
    int rc = cpt_sh(NULL, &e, "%s", cmd);
    if (rc && !err) print_error("%s: exit %d\n%s\n", cmd, rc, e);
    if (err)
        *err = e;
    else
        free(e);
    return rc;
}

static void assert_same_file(const char *a, const char *b, const char *name) {
    char pa[4400], pb[4400];
    snprintf(pa, sizeof pa, "%s/%s", a, name);
    snprintf(pb, sizeof pb, "%s/%s", b, name);
    size_t na = 0, nb = 0;
    char *ta = cpt_slurp(pa, &na), *tb = cpt_slurp(pb, &nb);
    assert_non_null(ta);
    assert_non_null(tb);
    if (na != nb || memcmp(ta, tb, na)) print_error("%s and %s differ\n", pa, pb);
    assert_int_equal(na, nb);
    assert_memory_equal(ta, tb, na);
    free(ta), free(tb);
}

static void assert_same_cells(const char *a, const char *b, const char *name) {
    char pa[4400], pb[4400];
    snprintf(pa, sizeof pa, "%s/%s", a, name);
    snprintf(pb, sizeof pb, "%s/%s", b, name);
    int nxa, nya, nxb, nyb;
    float *ca = cpt_read_tif(pa, &nxa, &nya), *cb = cpt_read_tif(pb, &nxb, &nyb);
    assert_int_equal(nxa, nxb);
    assert_int_equal(nya, nyb);
    if (memcmp(ca, cb, sizeof *ca * (size_t)nxa * (size_t)nya))
        print_error("the cells of %s and %s differ\n", pa, pb);
    assert_memory_equal(ca, cb, sizeof *ca * (size_t)nxa * (size_t)nya);
    free(ca), free(cb);
}

/* The tables byte for byte, the maps cell for cell, and run.json's count of ranks. */
static void assert_same_outputs(const char *ref, const char *got, int np) {
    static const char *const tables[] = {"plan.csv", "milestones.csv", "packages.csv",
                                         "rejected.csv"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; ++i)
        assert_same_file(ref, got, tables[i]);
    /* the evidence, where the scenario asks for it (the demo's uncertainty section) */
    static const char *const evidence[] = {"montecarlo.csv", "burndown_fan.csv",
                                           "rank_robustness.csv", "contamination.csv"};
    for (size_t i = 0; i < sizeof evidence / sizeof evidence[0]; ++i) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", ref, evidence[i]);
        if (cpt_exists(p)) assert_same_file(ref, got, evidence[i]);
    }
    assert_same_cells(ref, got, "priority.tif");
    assert_same_cells(ref, got, "priority_class.tif");
    char p[4400], want[32];
    snprintf(p, sizeof p, "%s/run.json", got);
    char *json = cpt_slurp(p, NULL);
    snprintf(want, sizeof want, "\"ranks\": %d,", np > 1 ? np : 1);
    cpt_assert_contains(json, want);
    free(json);
}

static void assert_nothing_left(const char *out) {
    if (cpt_exists(out)) print_error("output %s published\n", out);
    assert_false(cpt_exists(out));
    assert_int_equal(cpt_debris(root), 0);
}

static int setup(void **state) {
    (void)state;
    GDALAllRegister();
    return cpt_scenarios_setup("mpi_run", root, tiny, demo);
}

static int teardown(void **state) {
    (void)state;
    if (!getenv("CP_KEEP_TMP")) cpt_rmtree(root);
    return 0;
}

static void test_tiny_identical_over_ranks(void **state) {
    (void)state;
    char scenario[4400], ref[4400], out[4400];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", tiny);
    snprintf(ref, sizeof ref, "%s/tiny-ref", root);
    assert_int_equal(run(0, scenario, ref, "-j 1", NULL), 0);
    static const struct {
        int np;
        const char *extra;
    } runs[] = {{0, "-j 2"}, {1, "-j 1"}, {2, "-j 1"}, {3, "-j 1"}, {3, "-j 2 --memory 200"}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; ++i) {
        snprintf(out, sizeof out, "%s/tiny-%zu", root, i);
        assert_int_equal(run(runs[i].np, scenario, out, runs[i].extra, NULL), 0);
        assert_same_outputs(ref, out, runs[i].np);
    }
}

/* The test: the demo over 3 ranks as one process, and over 2 ranks of 2 threads. */
static void test_demo_identical_over_ranks(void **state) {
    (void)state;
    char scenario[4400], ref[4400], out[4400];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", demo);
    snprintf(ref, sizeof ref, "%s/demo-ref", root);
    assert_int_equal(run(0, scenario, ref, "-j 2", NULL), 0);
    snprintf(out, sizeof out, "%s/demo-3", root);
    assert_int_equal(run(3, scenario, out, "-j 1", NULL), 0);
    assert_same_outputs(ref, out, 3);
    assert_same_file(ref, out, "report.html"); /* the report too, thumbnail and all */
    snprintf(out, sizeof out, "%s/demo-2", root);
    assert_int_equal(run(2, scenario, out, "-j 2", NULL), 0);
    assert_same_outputs(ref, out, 2);
}

/* `clearplan plan` over ranks: the --teams sweep's rows and the Monte Carlo's samples dealt
 * to the ranks give one process's outputs byte for byte; a bad count is said once, and
 * nothing is published. */
static void test_plan_sweep_over_ranks(void **state) {
    (void)state;
    char scenario[4400], run_out[4400], gpkg[4500], ref[4400], out[4400], cmd[20000];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", tiny);
    snprintf(run_out, sizeof run_out, "%s/plan-src", root);
    assert_int_equal(run(0, scenario, run_out, "-j 1", NULL), 0);
    snprintf(gpkg, sizeof gpkg, "%s/plan.gpkg", run_out);
    static const char *const files[] = {"summary.json", "plan.csv", "milestones.csv",
                                        "montecarlo.csv", "burndown_fan.csv"};
    for (int np = 0; np <= 3; np += 3) {
        snprintf(out, sizeof out, "%s/plan-%d", root, np);
        char launcher[512] = "";
        if (np) snprintf(launcher, sizeof launcher, "%s -np %d ", mpirun(), np);
        snprintf(cmd, sizeof cmd,
                 "%s'%s' plan '%s' --scenario '%s' --teams 5,1,2,3,4,6,8 --samples 40 -o '%s' "
                 "-q --no-sync -j 1",
                 launcher, cpt_bin(), gpkg, scenario, out);
        char *e = NULL;
        int rc = cpt_sh(NULL, &e, "%s", cmd);
        if (rc) print_error("%s: exit %d\n%s\n", cmd, rc, e);
        free(e);
        assert_int_equal(rc, 0);
    }
    snprintf(ref, sizeof ref, "%s/plan-0", root);
    snprintf(out, sizeof out, "%s/plan-3", root);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i)
        assert_same_file(ref, out, files[i]);
    char p[4500];
    snprintf(p, sizeof p, "%s/summary.json", out);
    char *json = cpt_slurp(p, NULL);
    cpt_assert_contains(json, "\"sweep\": [{\"teams\": 5,"); /* every row, in order */
    cpt_assert_contains(json, "{\"teams\": 8,");
    free(json);
    /* a count of 0: every rank refuses it, rank 0 says so once, nothing is published */
    snprintf(out, sizeof out, "%s/plan-bad", root);
    snprintf(cmd, sizeof cmd,
             "%s -np 3 '%s' plan '%s' --scenario '%s' --teams 5,1,2,3,4,6,0 -o '%s' -q --no-sync",
             mpirun(), cpt_bin(), gpkg, scenario, out);
    char *e = NULL;
    int rc = cpt_sh(NULL, &e, "%s", cmd);
    assert_int_not_equal(rc, 0);
    cpt_assert_contains(e, "clearplan: error:");
    const char *first = strstr(e, "clearplan: error:");
    assert_null(strstr(first + 1, "clearplan: error:")); /* said once */
    free(e);
    assert_nothing_left(out);
}

/* The tiny scenario with its tree cover's bottom right tile corrupt: only the last of three
 * ranks reads those rows. Every rank fails with its message; nothing is published. */
static void test_bad_input_on_one_rank(void **state) {
    (void)state;
    char bad[4400], tc[4500], scenario[4500], out[4400];
    snprintf(bad, sizeof bad, "%s/bad", root);
    assert_int_equal(cpt_sh(NULL, NULL, "cp -r '%s' '%s'", tiny, bad), 0);
    snprintf(tc, sizeof tc, "%s/treecover.tif", bad);
    GDALDatasetH ds = GDALOpen(tc, GA_ReadOnly);
    assert_non_null(ds);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int bx, by;
    GDALGetBlockSize(b, &bx, &by);
    int ix = (GDALGetRasterXSize(ds) - 1) / bx, iy = (GDALGetRasterYSize(ds) - 1) / by;
    assert_true(iy >= 2); /* the last row of tiles is below the first two ranks' rows */
    char key[64];
    snprintf(key, sizeof key, "BLOCK_OFFSET_%d_%d", ix, iy);
    long off = atol(GDALGetMetadataItem(b, key, "TIFF"));
    snprintf(key, sizeof key, "BLOCK_SIZE_%d_%d", ix, iy);
    long size = atol(GDALGetMetadataItem(b, key, "TIFF"));
    GDALClose(ds);
    assert_true(off > 0 && size > 0);
    FILE *f = fopen(tc, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    for (long i = 0; i < size; ++i) fputc(0xff, f); /* not DEFLATE data */
    fclose(f);
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", bad);
    snprintf(out, sizeof out, "%s/bad-out", root);
    char *err = NULL;
    int rc = run(3, scenario, out, "-j 1", &err);
    assert_int_equal(rc, 1);
    cpt_assert_contains(err, "clearplan: error: cannot read <");
    cpt_assert_contains(err, "treecover.tif>");
    cpt_assert_contains(err, "(rank 2 of 3)");
    /* said once, by rank 0 */
    const char *first = strstr(err, "clearplan: error:");
    assert_null(strstr(first + 1, "clearplan: error:"));
    free(err);
    assert_nothing_left(out);
}

/* Starts the demo over 3 ranks in small strips (the ranks look at signals between strips);
 * returns mpirun's pid once the ranks write their maps' strips. */
static pid_t start_demo_job(const char *out, const char *err) {
    char scenario[4400], cmd[9000], shell[9200];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", demo);
    run_command(cmd, sizeof cmd, 3, scenario, out, "-j 1 --memory 256");
    snprintf(shell, sizeof shell, "exec %s 2>'%s' >/dev/null </dev/null", cmd, err);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", shell, (char *)NULL);
        _exit(127);
    }
    const char *name = strrchr(out, '/') + 1;
    for (int i = 0; i < 1200; ++i) { /* up to a minute */
        DIR *d = opendir(root);
        int seen = 0;
        for (struct dirent *e; d && !seen && (e = readdir(d));) {
            char p[4600];
            if (e->d_name[0] != '.' || strncmp(e->d_name + 1, name, strlen(name))) continue;
            snprintf(p, sizeof p, "%s/%s/priority.strips.tif", root, e->d_name);
            seen = cpt_exists(p);
        }
        if (d) closedir(d);
        if (seen) return pid;
        sleep_s(0.05);
    }
    kill(pid, SIGKILL);
    fail_msg("the job never wrote its maps' strips");
    return -1;
}

static int wait_rc(pid_t pid) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Ctrl-C on mpirun (which passes SIGTERM to the ranks, then kills them a second later): the
 * job ends, nothing is published and nothing is left. */
static void test_interrupt_leaves_nothing(void **state) {
    (void)state;
    char out[4400], err[4400];
    snprintf(out, sizeof out, "%s/int-out", root);
    snprintf(err, sizeof err, "%s/int.err", root);
    pid_t pid = start_demo_job(out, err);
    sleep_s(0.3);
    assert_int_equal(kill(pid, SIGINT), 0);
    int rc = wait_rc(pid);
    assert_int_not_equal(rc, 0);
    assert_nothing_left(out);
}

/* The pid of the clearplan process of rank `rank` writing into `out` (from /proc). */
static pid_t rank_pid(int rank, const char *out) {
    DIR *d = opendir("/proc");
    pid_t found = -1;
    char want[64];
    snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
    for (struct dirent *e; d && found < 0 && (e = readdir(d));) {
        char p[300], buf[65536];
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(p, sizeof p, "/proc/%s/cmdline", e->d_name);
        int fd = open(p, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0) close(fd);
        if (n <= 0) continue;
        int ours = 0;
        for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) ours |= !strcmp(buf + i, out);
        if (!ours || !strstr(buf, "clearplan")) continue;
        snprintf(p, sizeof p, "/proc/%s/environ", e->d_name);
        fd = open(p, O_RDONLY);
        n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0) close(fd);
        for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
            if (!strcmp(buf + i, want)) found = (pid_t)atol(e->d_name);
    }
    if (d) closedir(d);
    return found;
}

/* A rank killed (SIGKILL) in the middle: mpirun ends the job and says which; nothing is
 * published; a run into the same folder afterwards works and leaves no temporary behind. */
static void test_killed_rank_publishes_nothing(void **state) {
    (void)state;
    char out[4400], err[4400], scenario[4400];
    snprintf(out, sizeof out, "%s/kill-out", root);
    snprintf(err, sizeof err, "%s/kill.err", root);
    pid_t pid = start_demo_job(out, err);
    pid_t victim = rank_pid(2, out);
    assert_true(victim > 0);
    assert_int_equal(kill(victim, SIGKILL), 0);
    int rc = wait_rc(pid);
    assert_int_not_equal(rc, 0);
    char *e = cpt_slurp(err, NULL);
    cpt_assert_contains(e, "signal 9"); /* mpirun names the rank that died */
    free(e);
    assert_false(cpt_exists(out));
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", tiny);
    assert_int_equal(run(0, scenario, out, "", NULL), 0);
    assert_true(cpt_exists(out));
    assert_int_equal(cpt_debris(root), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_identical_over_ranks),
        cmocka_unit_test(test_demo_identical_over_ranks),
        cmocka_unit_test(test_plan_sweep_over_ranks),
        cmocka_unit_test(test_bad_input_on_one_rank),
        cmocka_unit_test(test_interrupt_leaves_nothing),
        cmocka_unit_test(test_killed_rank_publishes_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
