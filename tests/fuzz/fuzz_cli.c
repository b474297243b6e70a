/* libFuzzer target: the argument parsing of every clearplan command. The bytes become one
 * command (first byte) and its arguments (NUL-separated); the cmd_<name>() function of
 * engine/cli runs them and must return an exit code in {0, 1, 2} (130 only after a signal)
 * without crashing, leaking or touching anything outside its scratch folder.
 *
 * Safety: the target works in a private temporary folder; arguments may name the fixture
 * folder `fx/` (a tiny synthetic scenario, its plan.gpkg and rasters, restored when a command
 * changed it) but no other path with a '/', no "." or "..", and no `demo`/`national` preset
 * (those would generate gigabytes). OMP_THREAD_LIMIT caps -j. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clearplan/clearplan.h>
#include <clearplan/synth.h>

#include "commands.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ARGS = 24, MAX_ARG_LEN = 200 };

typedef struct {
    const char *name;
    int (*fn)(int, char **);
} command;

static const command commands[] = {
    {"run", cmd_run},         {"validate", cmd_validate},   {"plan", cmd_plan},
    {"synth", cmd_synth},     {"proximity", cmd_proximity}, {"focal-sum", cmd_focal_sum},
    {"density", cmd_density}, {"zonal", cmd_zonal},
};

static char work[256], pristine[300];
static const char *fixture_files[] = {"scenario.yaml",  "hazards.gpkg", "reports.gpkg",
                                      "population.tif", "plan.gpkg",    NULL};
static struct stat fixture_stat[8];

static void die(const char *what) {
    fprintf(stderr, "fuzz_cli: cannot set up: %s: %s\n", what, cp_errmsg());
    abort();
}

static int sh(const char *fmt, const char *a, const char *b) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd);
}

/* Restores fx/ from the pristine copy when a command changed it; empties the work folder. */
static void reset_work(void) {
    int changed = 0;
    for (int i = 0; fixture_files[i]; ++i) {
        char p[512];
        struct stat st;
        snprintf(p, sizeof p, "%s/fx/%s", work, fixture_files[i]);
        if (stat(p, &st) || st.st_size != fixture_stat[i].st_size ||
            st.st_mtim.tv_sec != fixture_stat[i].st_mtim.tv_sec ||
            st.st_mtim.tv_nsec != fixture_stat[i].st_mtim.tv_nsec || !S_ISREG(st.st_mode))
            changed = 1;
    }
    DIR *d = opendir(work);
    int other = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        other |= strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "fx");
    if (d) closedir(d);
    if (other &&
        sh("cd '%s' && find . -mindepth 1 -maxdepth 1 ! -name fx -exec rm -rf {} +%s", work, ""))
        abort();
    if (changed) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s/fx' && cp -a '%s' '%s/fx'", work, pristine, work);
        if (system(cmd)) abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    setenv("OMP_THREAD_LIMIT", "2", 1);
    cp_init();
    snprintf(work, sizeof work, "%s/cp-fuzz-cli-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(work)) die("mkdtemp");
    snprintf(pristine, sizeof pristine, "%s/.pristine", work);
    /* the fixture: a tiny scenario and the plan of one run of it */
    cp_synth_options o;
    cp_synth_options_init(&o);
    o.dir = pristine;
    if (cp_synth(&o, NULL, NULL) != CP_OK) die("synth");
    char yaml[512], out[512];
    snprintf(yaml, sizeof yaml, "%s/scenario.yaml", pristine);
    snprintf(out, sizeof out, "%s/.out", work);
    cp_scenario *sc = NULL;
    cp_run_options ro = {0};
    ro.out_dir = out;
    ro.threads = 1;
    cp_run_result rr;
    if (cp_scenario_load(yaml, &sc) != CP_OK || cp_run(sc, &ro, &rr) != CP_OK) die("run");
    cp_scenario_free(sc);
    if (sh("cp '%s/plan.gpkg' '%s/'", out, pristine) || sh("rm -rf '%s'%s", out, "") || chdir(work))
        die("fixture copy");
    /* move the pristine copy out of the work folder so the reset never deletes it */
    char moved[sizeof work + 16];
    snprintf(moved, sizeof moved, "%s.pristine", work);
    if (rename(pristine, moved)) die("rename");
    snprintf(pristine, sizeof pristine, "%s", moved);
    char cmd[2 * sizeof work + 64];
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s/fx'", pristine, work);
    if (system(cmd)) die("cp");
    for (int i = 0; fixture_files[i]; ++i) {
        char p[512];
        snprintf(p, sizeof p, "%s/fx/%s", work, fixture_files[i]);
        if (stat(p, &fixture_stat[i])) die(p);
    }
    return 0;
}

static int allowed(const char *a) {
    if (!strcmp(a, ".") || !strcmp(a, "..") || strstr(a, "..")) return 0;
    if (strchr(a, '/') && strncmp(a, "fx/", 3)) return 0;
    if (strstr(a, "demo") || strstr(a, "national")) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const command *c = &commands[data[0] % (sizeof commands / sizeof commands[0])];
    static char buf[MAX_ARGS][MAX_ARG_LEN + 1];
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)c->name;
    size_t i = 1;
    while (i < size && argc <= MAX_ARGS) {
        size_t n = 0;
        while (i < size && data[i] != 0) {
            if (n < MAX_ARG_LEN) buf[argc - 1][n++] = (char)data[i];
            ++i;
        }
        ++i; /* the NUL */
        buf[argc - 1][n] = '\0';
        if (!allowed(buf[argc - 1])) return 0;
        argv[argc] = buf[argc - 1];
        ++argc;
    }
    argv[argc] = NULL;
    reset_work();
    int rc = c->fn(argc, argv);
    if (rc != CP_EXIT_OK && rc != CP_EXIT_FAIL && rc != CP_EXIT_USAGE) __builtin_trap();
    fflush(stdout);
    return 0;
}
