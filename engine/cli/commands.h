/* The clearplan commands. Each takes argv after the command name (argv[0] is the command)
 * and returns the process exit code: 0 ok, 1 failure, 2 usage error, 130 interrupted. */
#ifndef CP_CLI_COMMANDS_H
#define CP_CLI_COMMANDS_H

#include <stddef.h>

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

/* Prints "clearplan: error: <detail>" for a failed status and maps it to an exit code. */
int cli_fail(cp_status s);
/* Prints "clearplan: error: <fmt...>" and returns CP_EXIT_USAGE; adds the --help hint. */
int cli_usage(const char *cmd, const char *fmt, ...);
/* The progress callback to use: the terminal bar when stderr is a terminal and not quiet. */
cp_progress_fn cli_progress(int quiet);
/* Installs SIGINT/SIGTERM/SIGHUP handlers; cli_interrupted() turns true after one arrives. */
void cli_install_signals(void);
int cli_interrupted(void);
/* Wraps a progress callback so that Ctrl-C stops the operation: returns 0 once interrupted. */
int cli_progress_cb(double complete, const char *message, void *arg);
/* Matches argv[*i] against the NULL-terminated spellings `names` ("--radius-m", "-radius"):
 * returns 1 when it matches, with the value after '=' or in the next word (advancing *i);
 * *missing is set when the value is absent. Returns 0 when argv[*i] is another option. */
int cli_opt_value(int argc, char **argv, int *i, const char *const *names, const char **val,
                  int *missing);
/* Parses a whole string as a finite or infinite double; returns 0 on error. */
int cli_parse_double(const char *s, double *out);
/* Parses a 1-based raster band number for -b; returns 0 on error. */
int cli_parse_band(const char *s, int *band);
/* Parses a memory size for --memory: a bare number is MB; "512M", "2G", "64K" too. */
int cli_parse_memory_mb(const char *s, size_t *mb);
/* The options every raster tool shares: -q, --co NAME=VALUE, --memory SIZE, -j N,
 * --overwrite, --no-sync. Returns 1
 * when argv[*i] was one of them (consumed), 0 when not, -1 on a usage error (*rc = the exit
 * code, the message printed). */
int cli_tool_option(const char *cmd, int argc, char **argv, int *i, cp_tool_common *common,
                    const char **co, int *nco, int max_co, int *quiet, int *rc);
/* Parses a positive thread count for -j; returns 0 on error. */
int cli_parse_threads(const char *s, int *out);

/* The evidence options of run and plan (clearplan/evidence.h): --samples N, --seed S and
 * --region NAME (repeatable). */
typedef struct {
    int samples_set, seed_set;
    size_t samples;
    unsigned long long seed;
    const char **regions; /* argv's strings */
    size_t nregions;
} cli_evidence;
/* Returns 1 when argv[*i] was one of them (consumed), 0 when not, -1 on a usage error (*rc =
 * the exit code, the message printed). */
int cli_evidence_option(const char *cmd, int argc, char **argv, int *i, cli_evidence *e, int *rc);
void cli_evidence_free(cli_evidence *e);

#endif
