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

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>

#include <clearplan/clearplan.h>

#include "commands.h"

static volatile sig_atomic_t got_signal = 0;

static int escalate; /* a second signal stops at once (not in an MPI job) */

/* The first signal asks the command to stop at its next step and clean up (exit 130). A
 * second one stops the process at once, for work that checks no flag (a GEOS call that does
 * not return on a corrupt geometry): the default action, as without a handler; the next run
 * into the same place removes the temporary output left behind. Not in an MPI job: its
 * launcher signals the ranks more than once as it ends the job, and rank 0 must get to
 * remove the temporary output (docs/mpi.md, Faults). */
static void on_signal(int sig) {
    if (got_signal && escalate) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    got_signal = sig;
}

void cli_install_signals(int in_mpi_job) {
    escalate = !in_mpi_job;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* the terminal closed: stop like Ctrl-C, leave nothing */
}

int cli_stop_requested(void *arg) {
    (void)arg;
    return cli_interrupted();
}

int cli_interrupted(void) {
    return got_signal != 0;
}

/* This process's rank in an MPI job (clearplan/mpirun.h): only rank 0 speaks. */
static int my_rank = 0;

void cli_set_rank(int rank) {
    my_rank = rank;
}

int cli_rank(void) {
    return my_rank;
}

int cli_fail(cp_status s) {
    const char *msg = cp_errmsg();
    if (my_rank == 0) fprintf(stderr, "clearplan: error: %s\n", msg[0] ? msg : cp_strerror(s));
    if (s == CP_E_INTERRUPTED) return CP_EXIT_INTERRUPTED;
    if (s == CP_E_ARG) return CP_EXIT_USAGE;
    return CP_EXIT_FAIL;
}

static void CPL_STDCALL quiet_gdal(CPLErr cls, CPLErrorNum num, const char *msg) {
    (void)cls, (void)num, (void)msg; /* the commands print GDAL's reasons in their errors */
}

/* GDAL's block cache defaults to 5% of RAM; clearplan streams strips under its own budget
 * (--memory), of which the cache is a part: an eighth of it, 8 to 128 MB (GDAL_CACHEMAX in
 * the environment still wins). */
static void gdal_cache_for(size_t memory_mb) {
    size_t mb = memory_mb / 8 < 8 ? 8 : memory_mb / 8 > 128 ? 128 : memory_mb / 8;
    if (!CPLGetConfigOption("GDAL_CACHEMAX", NULL)) GDALSetCacheMax64((GIntBig)mb << 20);
}

void cli_gdal_setup(void) {
    CPLSetErrorHandler(quiet_gdal);
    gdal_cache_for(CLI_MEMORY_DEFAULT_MB);
}

void cli_notes(const cp_scenario *sc) {
    for (size_t i = 0; sc && my_rank == 0 && i < sc->nnotes; ++i)
        fprintf(stderr, "clearplan: note: %s\n", sc->notes[i]);
}

void cli_crs_kept(const char *const *kept, const char *assume, int quiet) {
    for (int k = 0; !quiet && k < 3 && kept[k]; ++k)
        fprintf(stderr,
                "clearplan: warning: <%s> has a coordinate reference system of its own, which "
                "is used instead of --assume-crs %s\n",
                kept[k], assume);
}

int cli_usage(const char *cmd, const char *fmt, ...) {
    if (my_rank != 0) return CP_EXIT_USAGE; /* every rank finds it; rank 0 says it */
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
    if (quiet || my_rank != 0 || !isatty(STDERR_FILENO)) return quiet_progress;
    return cli_progress_cb;
}

/* ---- values ---- */

static int parse_number(const char *s, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || isnan(v)) return 0;
    *out = v;
    return 1;
}

static int parse_threads(const char *s, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || end == s || *end || v < 1 || v > 4096) return 0;
    *out = (int)v;
    return 1;
}

/* A memory size: a bare number is MB; K, M, G suffixes (and a trailing B) as well. */
static int parse_memory_mb(const char *s, size_t *mb) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0)) return 0;
    double scale = 1;
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

static int parse_value(const cli_option *o, const char *v) {
    double d;
    switch (o->kind) {
        case CLI_STRING:
            *(const char **)o->dest = v;
            return 1;
        case CLI_NUMBER:
            return parse_number(v, (double *)o->dest);
        case CLI_POSITIVE:
            if (!parse_number(v, &d) || !(d > 0) || !isfinite(d)) return 0;
            *(double *)o->dest = d;
            return 1;
        case CLI_NONNEG:
            if (!parse_number(v, &d) || !(d >= 0) || !isfinite(d)) return 0;
            *(double *)o->dest = d;
            return 1;
        case CLI_THREADS:
            return parse_threads(v, (int *)o->dest);
        case CLI_MEMORY:
            if (!parse_memory_mb(v, (size_t *)o->dest)) return 0;
            gdal_cache_for(*(size_t *)o->dest);
            return 1;
        case CLI_BAND:
            if (!parse_number(v, &d) || d < 1 || d > 65535 || d != floor(d)) return 0;
            *(int *)o->dest = (int)d;
            return 1;
        case CLI_DATE: {
            cp_date date;
            if (!cp_date_parse(v, &date)) return 0;
            *(const char **)o->dest = v;
            return 1;
        }
        case CLI_APPEND: {
            cli_list *l = o->dest;
            if (l->n >= l->cap) return 0;
            l->items[l->n++] = v;
            l->items[l->n] = NULL;
            return 1;
        }
        case CLI_CUSTOM:
            return o->parse(v, o->dest);
        case CLI_FLAG:
            break;
    }
    return 0;
}

/* ---- the parser ---- */

/* Whether `arg` is one of `names` ("--threads|-j"): spelled out ("--memory",
 * "--memory=2G"), or, when `attached`, a one-letter spelling with its value ("-j4"). *value
 * is what follows '=' or the letter (or NULL). */
static int matches(const char *names, const char *arg, int attached, const char **value) {
    size_t alen = strcspn(arg, "=");
    for (const char *n = names; *n;) {
        size_t nlen = strcspn(n, "|");
        if (!attached && nlen == alen && !strncmp(n, arg, nlen)) {
            *value = arg[alen] == '=' ? arg + alen + 1 : NULL;
            return 1;
        }
        if (attached && nlen == 2 && n[0] == '-' && n[1] != '-' && !strncmp(n, arg, 2) && arg[2]) {
            *value = arg + 2;
            return 1;
        }
        n += nlen + (n[nlen] == '|');
    }
    return 0;
}

/* The first spelling of an option, for messages. */
static const char *first_name(const char *names, char *buf, size_t n) {
    size_t len = strcspn(names, "|");
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), names);
    return buf;
}

int cli_parse(const cli_spec *spec, int argc, char **argv, int *npos) {
    *npos = 0;
    int only_pos = 0; /* after "--": every argument is positional (a file named -x) */
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!only_pos && !strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            spec->help();
            return CP_EXIT_OK;
        }
        if (only_pos || a[0] != '-' || !a[1]) { /* positional ("-" alone is a file name) */
            if (*npos == spec->max_pos) return cli_usage(spec->cmd, "unexpected argument '%s'", a);
            spec->pos[(*npos)++] = a;
            continue;
        }
        const cli_option *o = spec->opts;
        const char *value = NULL;
        while (o->names && !matches(o->names, a, 0, &value)) ++o;
        if (!o->names) /* -j4: only when no spelling matches the whole word */
            for (o = spec->opts; o->names && !matches(o->names, a, 1, &value);) ++o;
        if (!o->names) return cli_usage(spec->cmd, "unknown option '%s'", a);
        char name[64];
        first_name(o->names, name, sizeof name);
        if (o->kind == CLI_FLAG) {
            if (value) return cli_usage(spec->cmd, "%s takes no value", name);
            *(int *)o->dest = 1;
            continue;
        }
        if (!value) {
            if (i + 1 >= argc) return cli_usage(spec->cmd, "%s needs a value", name);
            value = argv[++i];
        }
        if (!parse_value(o, value))
            return cli_usage(spec->cmd, "%s wants %s (got '%s')", name, o->what, value);
    }
    if (*npos < spec->min_pos) { /* "missing OUT", "missing IN and OUT" */
        char missing[256] = "";
        const char *p = spec->pos_names;
        for (int k = 0; k < spec->max_pos && *p; ++k) {
            size_t len = strcspn(p, " ");
            if (k >= *npos) {
                int last = !p[len];
                snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%.*s",
                         k == *npos ? ""
                         : last     ? " and "
                                    : ", ",
                         (int)len, p);
            }
            p += len + (p[len] == ' ');
        }
        return cli_usage(spec->cmd, "missing %s", missing);
    }
    return -1;
}

void cli_evidence_init(cli_evidence *e) {
    memset(e, 0, sizeof *e);
    e->regions = (cli_list){e->region_items, 0, CLI_MAX_REGIONS};
}

int cli_parse_samples(const char *v, void *dest) {
    cli_evidence *e = dest;
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= 0 && d <= 10000000) || d != floor(d)) return 0;
    e->samples_set = 1;
    e->samples = (size_t)d;
    return 1;
}

int cli_parse_seed(const char *v, void *dest) {
    cli_evidence *e = dest;
    char *end = NULL;
    errno = 0;
    unsigned long long s = strtoull(v, &end, 10);
    if (errno || !end || *end || v[0] == '-' || !v[0]) return 0;
    e->seed_set = 1;
    e->seed = s;
    return 1;
}
