/* Shared helpers of the command-line tools: errors, exit codes, progress and signals. */
#define _POSIX_C_SOURCE 200809L /* sigaction under -std=c11 (clang) */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

static volatile sig_atomic_t got_signal = 0;

static void on_signal(int sig) {
    got_signal = sig;
}

void cli_install_signals(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* the terminal closed: stop like Ctrl-C, leave nothing */
}

int cli_interrupted(void) {
    return got_signal != 0;
}

int cli_fail(cp_status s) {
    const char *msg = cp_errmsg();
    fprintf(stderr, "clearplan: error: %s\n", msg[0] ? msg : cp_strerror(s));
    if (s == CP_E_INTERRUPTED) return CP_EXIT_INTERRUPTED;
    if (s == CP_E_ARG) return CP_EXIT_USAGE;
    return CP_EXIT_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("clearplan: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'clearplan %s --help'.\n", cmd ? cmd : "");
    return CP_EXIT_USAGE;
}

static int quiet_progress(double complete, const char *message, void *arg) {
    (void)complete, (void)message, (void)arg;
    return !cli_interrupted();
}

/* One bar per stage: the stage's name on its own line when it changes, then GDAL's bar. */
int cli_progress_cb(double complete, const char *message, void *arg) {
    static char stage[128] = "";
    if (cli_interrupted()) return 0;
    if (message && *message && strncmp(stage, message, sizeof stage - 1)) {
        snprintf(stage, sizeof stage, "%s", message);
        fprintf(stderr, "%s\n", stage);
    }
    return cp_progress_term(complete, NULL, arg);
}

cp_progress_fn cli_progress(int quiet) {
    if (quiet || !isatty(STDERR_FILENO)) return quiet_progress;
    return cli_progress_cb;
}

int cli_parse_threads(const char *s, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v < 1 || v > 4096) return 0;
    *out = (int)v;
    return 1;
}

int cli_opt_value(int argc, char **argv, int *i, const char *const *names, const char **val,
                  int *missing) {
    const char *a = argv[*i];
    for (const char *const *n = names; *n; ++n) {
        size_t len = strlen(*n);
        if (strncmp(a, *n, len) != 0) continue;
        if (a[len] == '=') {
            *val = a + len + 1;
            return 1;
        }
        if (a[len] != '\0') continue;
        if (*i + 1 >= argc) {
            *missing = 1;
            return 1;
        }
        *val = argv[++*i];
        return 1;
    }
    return 0;
}

int cli_parse_double(const char *s, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) return 0;
    *out = v;
    return 1;
}

int cli_parse_memory_mb(const char *s, size_t *mb) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0)) return 0;
    double scale = 1; /* a bare number is megabytes */
    if (*end == 'k' || *end == 'K')
        scale = 1.0 / 1024, ++end;
    else if (*end == 'm' || *end == 'M')
        ++end;
    else if (*end == 'g' || *end == 'G')
        scale = 1024, ++end;
    if (*end == 'B' || *end == 'b') ++end;
    if (*end) return 0;
    double r = v * scale;
    if (!(r >= 1) || r > 1e9) return 0;
    *mb = (size_t)r;
    return 1;
}

int cli_tool_option(const char *cmd, int argc, char **argv, int *i, cp_tool_common *common,
                    const char **co, int *nco, int max_co, int *quiet, int *rc) {
    static const char *const n_co[] = {"--co", "-co", NULL};
    static const char *const n_mem[] = {"--memory", NULL};
    static const char *const n_j[] = {"-j", "--threads", NULL};
    const char *a = argv[*i], *v = NULL;
    int missing = 0;
    if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
        *quiet = 1;
        return 1;
    }
    if (!strcmp(a, "--overwrite")) {
        common->overwrite = 1;
        return 1;
    }
    if (!strcmp(a, "--no-sync")) {
        common->no_sync = 1;
        return 1;
    }
    if (cli_opt_value(argc, argv, i, n_co, &v, &missing)) {
        if (missing) return *rc = cli_usage(cmd, "%s needs a value", a), -1;
        if (*nco == max_co) return *rc = cli_usage(cmd, "too many creation options"), -1;
        co[(*nco)++] = v;
        return 1;
    }
    if (cli_opt_value(argc, argv, i, n_mem, &v, &missing)) {
        if (missing || !cli_parse_memory_mb(v, &common->memory_mb))
            return *rc = cli_usage(cmd, "--memory needs a size: MB, or 512M, 2G"), -1;
        return 1;
    }
    if (cli_opt_value(argc, argv, i, n_j, &v, &missing)) {
        if (missing || !cli_parse_threads(v, &common->threads))
            return *rc = cli_usage(cmd, "-j needs a positive thread count"), -1;
        return 1;
    }
    return 0;
}

int cli_parse_band(const char *s, int *band) {
    double b;
    if (!cli_parse_double(s, &b) || b < 1 || b > 65535 || b != floor(b)) return 0;
    *band = (int)b;
    return 1;
}

int cli_evidence_option(const char *cmd, int argc, char **argv, int *i, cli_evidence *e, int *rc) {
    static const char *const samples[] = {"--samples", NULL}, *const seed[] = {"--seed", NULL},
                             *const region[] = {"--region", NULL};
    const char *v = NULL;
    int missing = 0;
    if (cli_opt_value(argc, argv, i, samples, &v, &missing)) {
        double d;
        if (missing || !cli_parse_double(v, &d) || d < 0 || d > 10000000 || d != floor(d))
            return *rc = cli_usage(cmd, "--samples wants a whole number from 0 to 10000000"), -1;
        e->samples_set = 1;
        e->samples = (size_t)d;
        return 1;
    }
    if (cli_opt_value(argc, argv, i, seed, &v, &missing)) {
        char *end = NULL;
        errno = 0;
        unsigned long long s = missing ? 0 : strtoull(v, &end, 10);
        if (missing || errno || !end || *end || v[0] == '-' || !v[0])
            return *rc = cli_usage(cmd, "--seed wants a whole number of 0 or more"), -1;
        e->seed_set = 1;
        e->seed = s;
        return 1;
    }
    if (cli_opt_value(argc, argv, i, region, &v, &missing)) {
        if (missing || !v[0]) return *rc = cli_usage(cmd, "--region wants a region name"), -1;
        if (!e->regions && !(e->regions = calloc((size_t)argc + 1, sizeof *e->regions)))
            return *rc = cli_fail(CP_E_NOMEM), -1;
        e->regions[e->nregions++] = v;
        return 1;
    }
    return 0;
}

void cli_evidence_free(cli_evidence *e) {
    free(e->regions);
    e->regions = NULL;
    e->nregions = 0;
}
