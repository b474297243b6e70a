/* Faults (DESIGN §15): Ctrl-C during a run, a full disk, ten concurrent runs. Each must end
 * with its documented exit code and message and leave no partial output; concurrent runs on
 * the same inputs give identical results. Runs as root in CI (it mounts a small tmpfs). */
#define _POSIX_C_SOURCE 200809L
#include "cp_test_gdal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <time.h>

#include <gdal.h>

static char root[4096], tiny[4200], demo[4200];

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

/* Starts `clearplan run SCENARIO -o OUT -q [--overwrite]`, stderr into ERR; returns the pid. */
static pid_t spawn(const char *scenario, const char *out, const char *err, int overwrite) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_WRONLY);
        if (fd < 0 || nul < 0) _exit(127);
        dup2(fd, 2);
        dup2(nul, 1);
        execl(cpt_bin(), cpt_bin(), "run", scenario, "-o", out, "-q",
              overwrite ? "--overwrite" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static pid_t spawn_run(const char *scenario, const char *out, const char *err) {
    return spawn(scenario, out, err, 0);
}

static int wait_rc(pid_t pid) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Number of entries of `dir` whose name starts with `prefix`. */
static int count_prefixed(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += !strncmp(e->d_name, prefix, strlen(prefix));
    if (d) closedir(d);
    return n;
}

static void assert_nothing_left(const char *dir, const char *name) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (cpt_exists(path)) print_error("output folder %s left behind\n", path);
    assert_false(cpt_exists(path));
    assert_int_equal(cpt_debris(dir), 0);
}

static int setup(void **state) {
    (void)state;
    GDALAllRegister();
    return cpt_scenarios_setup("faults", root, tiny, demo);
}

static int teardown(void **state) {
    (void)state;
    if (!getenv("CP_KEEP_TMP")) cpt_rmtree(root);
    return 0;
}

/* Waits up to `seconds` for `path` to exist, polling every 5 ms. */
static int wait_exists(const char *path, double seconds) {
    for (int i = 0; i < (int)(seconds / 0.005); ++i) {
        if (cpt_exists(path)) return 1;
        sleep_s(0.005);
    }
    return cpt_exists(path);
}

/* Ctrl-C in a demo-sized run once `inside` exists in its temporary folder (NULL: the folder
 * itself, then half a second more): exit 130, "interrupted", nothing left. */
static void sigint_leaves_nothing(const char *inside) {
    char scenario[4400], err[4400], tmp[4500], wait_for[4600];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", demo);
    snprintf(err, sizeof err, "%s/sigint.err", root);
    char out[4400];
    snprintf(out, sizeof out, "%s/sigint-out", root);
    pid_t pid = spawn_run(scenario, out, err);
    snprintf(tmp, sizeof tmp, "%s/.sigint-out.clearplan-tmp-%ld-0", root, (long)pid);
    snprintf(wait_for, sizeof wait_for, "%s%s%s", tmp, inside ? "/" : "", inside ? inside : "");
    int seen = wait_exists(wait_for, 30);
    if (!seen) print_error("the run never created %s\n", wait_for);
    assert_true(seen);
    if (!inside) sleep_s(0.5);
    assert_int_equal(kill(pid, SIGINT), 0);
    int rc = wait_rc(pid);
    char *e = cpt_slurp(err, NULL);
    if (rc != 130) print_error("exit %d, stderr:\n%s\n", rc, e);
    assert_int_equal(rc, 130);
    cpt_assert_contains(e, "clearplan: error: interrupted");
    free(e);
    assert_nothing_left(root, "sigint-out");
}

/* In the raster stage. */
static void test_faults_sigint_leaves_nothing(void **state) {
    (void)state;
    sigint_leaves_nothing(NULL);
}

/* A second Ctrl-C stops the run at once (killed by the signal, as without a handler), and the
 * next run into the same place removes what it left and publishes. */
static void test_faults_second_sigint_stops_at_once(void **state) {
    (void)state;
    char scenario[4400], err[4400], tmp[4500], out[4400];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", demo);
    snprintf(err, sizeof err, "%s/sigint2.err", root);
    snprintf(out, sizeof out, "%s/sigint2-out", root);
    pid_t pid = spawn_run(scenario, out, err);
    snprintf(tmp, sizeof tmp, "%s/.sigint2-out.clearplan-tmp-%ld-0", root, (long)pid);
    assert_true(wait_exists(tmp, 30));
    sleep_s(0.3);
    assert_int_equal(kill(pid, SIGINT), 0);
    sleep_s(0.005); /* delivered (two pending at once are one), not yet stopped */
    assert_int_equal(kill(pid, SIGINT), 0);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFSIGNALED(st))
        print_error("exit %d: the second SIGINT did not stop the run at once\n", WEXITSTATUS(st));
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    assert_false(cpt_exists(out));
    pid = spawn_run(scenario, out, err);
    int rc = wait_rc(pid);
    char *e = cpt_slurp(err, NULL);
    if (rc) print_error("the next run: exit %d, stderr:\n%s\n", rc, e);
    free(e);
    assert_int_equal(rc, 0);
    assert_int_equal(cpt_debris(root), 0);
    cpt_rmtree(out);
}

/* While the maps are written on a thread of their own and the plan is made beside them (the
 * COG of the priority map has just appeared). */
static void test_faults_sigint_during_maps_leaves_nothing(void **state) {
    (void)state;
    sigint_leaves_nothing("priority.tif");
}

/* A full disk (a tmpfs smaller than the outputs, at each size a different file fails):
 * exit 1, the message names the file, nothing left on the small disk. */
static void test_faults_disk_full_leaves_nothing(void **state) {
    (void)state;
    if (geteuid() != 0)
        fail_msg(
            "this test mounts a tmpfs and needs root (CI runs tests as root); run it as "
            "root or exclude it with ctest -E test_faults");
    /* up to 512k the raw maps' room is refused; 2400k, an overview level's (engine/io/cog.c);
     * 2800k, the COG's own writes (GDAL's error, said to be a full disk) */
    static const char *sizes[] = {"16k", "64k", "256k", "512k", "2400k", "2800k"};
    char mnt[4400], scenario[4400], out[4500], err[4500];
    snprintf(mnt, sizeof mnt, "%s/small-disk", root);
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", tiny);
    snprintf(out, sizeof out, "%s/out", mnt);
    snprintf(err, sizeof err, "%s/disk.err", root);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k) {
        assert_true(mkdir(mnt, 0755) == 0 || errno == EEXIST);
        char opts[64];
        snprintf(opts, sizeof opts, "size=%s", sizes[k]);
        if (mount("tmpfs", mnt, "tmpfs", 0, opts) != 0)
            fail_msg(
                "cannot mount a %s tmpfs at %s: %s (the test needs root and mount "
                "permission, e.g. docker --privileged or --cap-add SYS_ADMIN)",
                sizes[k], mnt, strerror(errno));
        int rc = wait_rc(spawn_run(scenario, out, err));
        char *e = cpt_slurp(err, NULL);
        int left = cpt_exists(out) || cpt_debris(mnt) > 0;
        umount(mnt);
        if (rc != 1 || left)
            print_error("%s disk: exit %d, left %d, stderr:\n%s\n", sizes[k], rc, left, e);
        assert_int_equal(rc, 1);
        assert_false(left);
        cpt_assert_contains(e, "clearplan: error: ");
        cpt_assert_contains(e, "/small-disk/"); /* names the file it could not write */
        free(e);
    }
}

/* A full disk under the raster tools, whose uncompressed outputs are written straight into
 * the file: at each size (the header fits or not) exit 1, the message names the output and
 * the reason (no room for the cells: said before the work, when their room is reserved),
 * nothing left on the small disk. */
static void test_faults_tool_disk_full_leaves_nothing(void **state) {
    (void)state;
    if (geteuid() != 0) fail_msg("this test mounts a tmpfs and needs root (CI runs tests as root)");
    char mnt[4400], in[4400], cmd[4400];
    snprintf(mnt, sizeof mnt, "%s/small-disk", root);
    snprintf(in, sizeof in, "%s/sources.tif", root);
    assert_int_equal(cpt_sh(NULL, NULL,
                            "/usr/bin/python3 -c \"from osgeo import gdal, osr; "
                            "d=gdal.GetDriverByName('GTiff').Create('%s',1000,600,1); "
                            "d.SetGeoTransform((0,30,0,18000,0,-30)); s=osr.SpatialReference(); "
                            "s.ImportFromEPSG(32618); d.SetSpatialRef(s); "
                            "d.GetRasterBand(1).WriteRaster(500,300,1,1,b'\\x01')\"",
                            in),
                     0);
    static const char *sizes[] = {"8k", "1m"}; /* the 2.4 MB output: no room / no room for cells */
    static const char *tools[] = {"proximity '%s' '%s' -distunits GEO",
                                  "focal-sum '%s' '%s' --radius-m 100"};
    for (size_t k = 0; k < 2; ++k)
        for (size_t t = 0; t < 2; ++t) {
            assert_true(mkdir(mnt, 0755) == 0 || errno == EEXIST);
            char opts[64], out[4500], args[9000];
            snprintf(opts, sizeof opts, "size=%s", sizes[k]);
            if (mount("tmpfs", mnt, "tmpfs", 0, opts) != 0)
                fail_msg("cannot mount a %s tmpfs at %s: %s", sizes[k], mnt, strerror(errno));
            snprintf(out, sizeof out, "%s/out.tif", mnt);
            snprintf(args, sizeof args, tools[t], in, out);
            snprintf(cmd, sizeof cmd, "'%s' %s -q", cpt_bin(), args);
            char *e = NULL;
            int rc = cpt_sh(NULL, &e, "%s", cmd);
            int left = count_prefixed(mnt, "");
            umount(mnt);
            if (rc != 1 || left != 2) /* "." and ".." */
                print_error("%s disk, %s: exit %d, %d entries, stderr:\n%s\n", sizes[k], cmd, rc,
                            left, e);
            assert_int_equal(rc, 1);
            assert_int_equal(left, 2);
            cpt_assert_contains(e, "clearplan: error: ");
            cpt_assert_contains(e, "/small-disk/out.tif");
            /* where the header fits, the cells' room is reserved before any work */
            if (k == 1) cpt_assert_contains(e, "no room for its 2 MB on the disk");
            free(e);
        }
}

static char *read_pixels(const char *path, size_t *n);

/* SIGTERM while `plan` runs the most Monte Carlo samples it allows (10^7: minutes of work):
 * the samples ask between them, and the command stops at once with exit 130 and
 * "interrupted", nothing written (it used to finish every sample first). */
static void test_faults_sigterm_stops_the_monte_carlo(void **state) {
    (void)state;
    char run_out[4400], plan_out[4400], err[4400], scenario[4400];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", tiny);
    snprintf(run_out, sizeof run_out, "%s/mc-run", root);
    snprintf(plan_out, sizeof plan_out, "%s/mc-plan", root);
    snprintf(err, sizeof err, "%s/mc.err", root);
    assert_int_equal(wait_rc(spawn_run(scenario, run_out, err)), 0);
    char plan_csv[4500];
    snprintf(plan_csv, sizeof plan_csv, "%s/plan.csv", run_out);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) _exit(127);
        dup2(fd, 2);
        execl(cpt_bin(), cpt_bin(), "plan", plan_csv, "-o", plan_out, "--scenario", scenario,
              "--samples", "10000000", "-q", (char *)NULL);
        _exit(127);
    }
    sleep_s(2);
    assert_int_equal(kill(pid, SIGTERM), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = wait_rc(pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    char *e = cpt_slurp(err, NULL);
    if (rc != 130 || waited > 60) print_error("exit %d after %.1f s, stderr:\n%s\n", rc, waited, e);
    assert_int_equal(rc, 130);
    assert_true(waited < 60); /* all the samples: many minutes (sanitizers: more) */
    cpt_assert_contains(e, "clearplan: error: interrupted");
    free(e);
    assert_nothing_left(root, "mc-plan");
}

/* A disk that fills while the COGs are written: GDAL reports the failed write to its error
 * handler only, and returns the dataset as if it were whole. At each amount of room left
 * (a sweep through the COGs' last writes), `run --overwrite` over a good output either
 * publishes a whole new output (its priority map reads to the end, the same cells) or fails
 * with exit 1 and leaves the old output byte for byte as it was; some of them fail on the
 * priority map's own COG. */
static void test_faults_cog_cut_short_never_published(void **state) {
    (void)state;
    if (geteuid() != 0) fail_msg("this test mounts a tmpfs and needs root (CI runs tests as root)");
    char mnt[4400], scenario[4400], out[4500], err[4500], prio[4600], fill[4500];
    snprintf(mnt, sizeof mnt, "%s/filling-disk", root);
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", tiny);
    snprintf(out, sizeof out, "%s/out", mnt);
    snprintf(prio, sizeof prio, "%s/priority.tif", out);
    snprintf(err, sizeof err, "%s/filling.err", root);
    snprintf(fill, sizeof fill, "%s/filler", mnt);
    assert_true(mkdir(mnt, 0755) == 0 || errno == EEXIST);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=12m") != 0)
        fail_msg("cannot mount a tmpfs at %s: %s", mnt, strerror(errno));
    int rc = wait_rc(spawn_run(scenario, out, err));
    assert_int_equal(rc, 0);
    size_t nold = 0, npix = 0;
    char *old = cpt_slurp(prio, &nold);
    char *pix0 = read_pixels(prio, &npix);
    int failed = 0, failed_on_cog = 0, published = 0;
    /* the tiny output's COGs end with about 3.5 MB left on this disk */
    for (long kb = 3000; kb <= 4000; kb += 16) {
        struct statvfs sv;
        assert_int_equal(statvfs(mnt, &sv), 0);
        long long room = (long long)sv.f_bavail * (long long)sv.f_frsize - kb * 1024LL;
        int fd = open(fill, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        if (room > 0) assert_int_equal(posix_fallocate(fd, 0, (off_t)room), 0);
        close(fd);
        rc = wait_rc(spawn(scenario, out, err, 1));
        unlink(fill);
        char *e = cpt_slurp(err, NULL);
        size_t n = 0;
        char *now = cpt_slurp(prio, &n);
        if (rc == 0) {
            ++published;
            size_t np = 0;
            char *pix = read_pixels(prio, &np); /* fails on a file cut short */
            assert_int_equal(np, npix);
            assert_memory_equal(pix, pix0, npix);
            free(pix);
        } else {
            ++failed;
            if (rc != 1 || n != nold || memcmp(now, old, n))
                print_error("%ld kB left: exit %d, the old priority map %s, stderr:\n%s\n", kb, rc,
                            n != nold || memcmp(now, old, n) ? "CHANGED" : "kept", e);
            assert_int_equal(rc, 1);
            assert_int_equal(n, nold);
            assert_memory_equal(now, old, n);
            cpt_assert_contains(e, "clearplan: error: ");
            cpt_assert_contains(e,
                                "/filling-disk/out/"); /* the output's name, not the temporary's */
            if (strstr(e, "/filling-disk/out/priority.tif>: the disk is full")) ++failed_on_cog;
        }
        assert_int_equal(cpt_debris(mnt), 0);
        free(e);
        free(now);
    }
    umount(mnt);
    free(old);
    free(pix0);
    if (!failed_on_cog || !published)
        print_error("%d runs failed (%d on the priority map's COG), %d published\n", failed,
                    failed_on_cog, published);
    assert_true(failed_on_cog > 0);
    assert_true(published > 0);
}

static char *read_pixels(const char *path, size_t *n) {
    int nx, ny;
    float *a = cpt_read_tif(path, &nx, &ny);
    *n = (size_t)nx * (size_t)ny * sizeof *a;
    return (char *)a;
}

/* Ten concurrent runs on the same inputs into different folders: all succeed, identical
 * priority.tif pixels and plan.csv bytes. */
static void test_faults_ten_concurrent_runs_identical(void **state) {
    (void)state;
    enum { N = 10 };
    char scenario[4400], out[N][4400], err[N][4400];
    pid_t pid[N];
    snprintf(scenario, sizeof scenario, "%s/scenario.yaml", tiny);
    for (int k = 0; k < N; ++k) {
        snprintf(out[k], sizeof out[k], "%s/conc-%d", root, k);
        snprintf(err[k], sizeof err[k], "%s/conc-%d.err", root, k);
        pid[k] = spawn_run(scenario, out[k], err[k]);
    }
    int rc[N];
    for (int k = 0; k < N; ++k) rc[k] = wait_rc(pid[k]);
    size_t n0 = 0, c0 = 0;
    char *pix0 = NULL, *csv0 = NULL;
    for (int k = 0; k < N; ++k) {
        if (rc[k]) {
            char *e = cpt_slurp(err[k], NULL);
            print_error("run %d: exit %d\n%s\n", k, rc[k], e);
            free(e);
        }
        assert_int_equal(rc[k], 0);
        char p[4500];
        size_t n = 0, c = 0;
        snprintf(p, sizeof p, "%s/priority.tif", out[k]);
        char *pix = read_pixels(p, &n);
        snprintf(p, sizeof p, "%s/plan.csv", out[k]);
        char *csv = cpt_slurp(p, &c);
        assert_non_null(csv);
        if (k == 0) {
            pix0 = pix, n0 = n, csv0 = csv, c0 = c;
            continue;
        }
        assert_int_equal(n, n0);
        assert_int_equal(c, c0);
        assert_memory_equal(pix, pix0, n);
        assert_memory_equal(csv, csv0, c);
        free(pix);
        free(csv);
    }
    free(pix0);
    free(csv0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_sigint_leaves_nothing),
        cmocka_unit_test(test_faults_sigint_during_maps_leaves_nothing),
        cmocka_unit_test(test_faults_second_sigint_stops_at_once),
        cmocka_unit_test(test_faults_disk_full_leaves_nothing),
        cmocka_unit_test(test_faults_tool_disk_full_leaves_nothing),
        cmocka_unit_test(test_faults_cog_cut_short_never_published),
        cmocka_unit_test(test_faults_sigterm_stops_the_monte_carlo),
        cmocka_unit_test(test_faults_ten_concurrent_runs_identical),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
