/* The clearplan commands. Each takes argv after the command name (argv[0] is the command)
 * and returns the process exit code: 0 ok, 1 failure, 2 usage error, 130 interrupted. */
#ifndef CP_CLI_COMMANDS_H
#define CP_CLI_COMMANDS_H

#include <stddef.h>

#include <clearplan/scenario.h>
#include <clearplan/status.h>
#include <clearplan/tools.h>

enum { CP_EXIT_OK = 0, CP_EXIT_FAIL = 1, CP_EXIT_USAGE = 2, CP_EXIT_INTERRUPTED = 130 };

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_proximity(int argc, char **argv);
int cmd_focal_sum(int argc, char **argv);
int cmd_density(int argc, char **argv);
int cmd_zonal(int argc, char **argv);

/* Shared CLI helpers (cli.c). */

/* Prints "clearplan: error: <detail>" for a failed status (rank 0 of an MPI job only: every
 * rank has the same failure) and maps it to an exit code. */
int cli_fail(cp_status s);
/* This process's rank in an MPI job (0 without one), set once by main(): the other ranks print
 * no notes, progress or errors. */
void cli_set_rank(int rank);
int cli_rank(void);
/* The command line is GDAL's host: GDAL's messages are not printed (the commands print their
 * reasons), and a modest block cache. */
void cli_gdal_setup(void);
/* Prints the scenario's notes ("clearplan: note: <file:line:col: text>") on stderr (rank 0). */
void cli_notes(const cp_scenario *sc);
/* A tool's warning for each input whose own CRS it used instead of --assume-crs `assume`
 * (a cp_tool_result's or cp_zonal_result's crs_kept); none when `quiet`. */
void cli_crs_kept(const char *const *kept, const char *assume, int quiet);
/* Prints "clearplan: error: <fmt...>" and returns CP_EXIT_USAGE; adds the --help hint. */
int cli_usage(const char *cmd, const char *fmt, ...);
/* The progress callback to use: the terminal bar when stderr is a terminal and not quiet (and
 * this is rank 0); else one that only watches for Ctrl-C. */
cp_progress_fn cli_progress(int quiet);
/* Installs SIGINT/SIGTERM/SIGHUP handlers; cli_interrupted() turns true after one arrives;
 * outside an MPI job a second one stops the process at once. */
void cli_install_signals(int in_mpi_job);
int cli_interrupted(void);
/* cli_interrupted() as the engine's stop callbacks ask it (cp_run_options.stop_requested,
 * cp_plan_options.stop): thread-safe, prints nothing. */
int cli_stop_requested(void *arg);
/* Wraps a progress callback so that Ctrl-C stops the operation: returns 0 once interrupted. */
int cli_progress_cb(double complete, const char *message, void *arg);
/* ---- the one option parser of every command ----
 *
 * A command describes its options as a table and calls cli_parse():
 *
 *     cli_option opts[] = {
 *         {"-o|--output", CLI_STRING, &out_dir, "a folder"},
 *         {"--radius-m|--radius|-radius", CLI_NONNEG, &radius, "a distance in metres"},
 *         CLI_END};
 *     cli_spec spec = {"focal-sum", help, opts, paths, 2, 2, "IN OUT"};
 *     int rc = cli_parse(&spec, argc, argv, &npaths);
 *     if (rc >= 0) return rc;              help printed (0) or a usage error (2)
 *
 * Spellings are separated by '|'; a value follows in the next word or after '='
 * ("--memory=2G"). Messages: "unknown option '-x'", "-o needs a value",
 * "--radius-m wants a distance in metres (got 'abc')", "missing IN and OUT". */
typedef enum {
    CLI_FLAG,     /* int: set to 1 */
    CLI_STRING,   /* const char *: the value */
    CLI_NUMBER,   /* double: any number (inf allowed) */
    CLI_POSITIVE, /* double: > 0 and finite */
    CLI_NONNEG,   /* double: >= 0 and finite */
    CLI_THREADS,  /* int: 1..4096 */
    CLI_MEMORY,   /* size_t megabytes: a bare number is MB; 64K, 512M, 2G */
    CLI_BAND,     /* int: a band number 1..65535 */
    CLI_DATE,     /* const char *: checked as a date YYYY-MM-DD */
    CLI_APPEND,   /* cli_list: each occurrence appended (repeatable) */
    CLI_CUSTOM    /* parse(value, dest) returns 1 when the value is good */
} cli_kind;

typedef struct {
    const char *names; /* NULL ends the table */
    cli_kind kind;
    void *dest;
    const char *what; /* the value wanted, for messages: "a folder", "a positive number" */
    int (*parse)(const char *value, void *dest);
} cli_option;

#define CLI_END \
    { NULL, CLI_FLAG, NULL, NULL, NULL }

/* A repeatable option's values (CLI_APPEND), NULL-terminated, at most `cap` of them. */
typedef struct {
    const char **items;
    int n, cap;
} cli_list;

typedef struct {
    const char *cmd;        /* "proximity": in messages and the --help hint */
    void (*help)(void);     /* prints the usage on stdout */
    const cli_option *opts; /* the table, ended by CLI_END */
    const char **pos;       /* positional arguments go here */
    int min_pos, max_pos;   /* how many there must be */
    const char *pos_names;  /* their names, for "missing OUT": "IN OUT" */
} cli_spec;

/* Parses argv[1..argc) by `spec`. Returns -1 when the command should go on (*npos
 * positional arguments stored), 0 after printing --help, 2 after a usage error. */
int cli_parse(const cli_spec *spec, int argc, char **argv, int *npos);

/* The options every command that writes shares: -q, --overwrite, --no-sync. */
#define CLI_OUTPUT_OPTIONS(quiet, overwrite, no_sync)         \
    {"-q|--quiet", CLI_FLAG, (quiet), NULL, NULL},            \
        {"--overwrite", CLI_FLAG, (overwrite), NULL, NULL}, { \
        "--no-sync", CLI_FLAG, (no_sync), NULL, NULL          \
    }

/* ... and those of the raster tools too: -j, --memory, --assume-crs, --co NAME=VALUE (cli_list). */
#define CLI_TOOL_OPTIONS(common, quiet, co)                                                    \
    CLI_OUTPUT_OPTIONS(quiet, &(common)->overwrite, &(common)->no_sync),                       \
        {"-j|--threads", CLI_THREADS, &(common)->threads, "a thread count >= 1", NULL},        \
        {"--memory", CLI_MEMORY, &(common)->memory_mb, "a size: MB, or 512M, 2G", NULL},       \
        {"--assume-crs", CLI_STRING, &(common)->assume_crs, "a CRS, e.g. EPSG:32633", NULL}, { \
        "--co|-co", CLI_APPEND, (co), "NAME=VALUE", NULL                                       \
    }

/* The default memory budget of every command, in MB (--memory). */
enum { CLI_MEMORY_DEFAULT_MB = CP_MEMORY_DEFAULT_MB };

/* The evidence options of run and plan (clearplan/evidence.h): --samples N, --seed S and
 * --region NAME (repeatable), as a part of the option table (CLI_EVIDENCE_OPTIONS). */
enum { CLI_MAX_REGIONS = 64 };
typedef struct {
    int samples_set, seed_set;
    size_t samples;
    unsigned long long seed;
    const char *region_items[CLI_MAX_REGIONS + 1];
    cli_list regions; /* cli_evidence_init points it at region_items */
} cli_evidence;
void cli_evidence_init(cli_evidence *e);
int cli_parse_samples(const char *value, void *dest); /* dest: a cli_evidence */
int cli_parse_seed(const char *value, void *dest);

#define CLI_EVIDENCE_OPTIONS(e)                                                             \
    {"--samples", CLI_CUSTOM, (e), "a whole number from 0 to 10000000", cli_parse_samples}, \
        {"--seed", CLI_CUSTOM, (e), "a whole number >= 0", cli_parse_seed}, {               \
        "--region", CLI_APPEND, &(e)->regions, "a region name", NULL                        \
    }

#endif
