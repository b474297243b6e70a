/* clearplan — the output transaction (DESIGN §10): how every command writes its outputs so
 * that no command ever changes or removes a file it did not create.
 *
 * Example:
 *
 *     const char *inputs[] = {"scenario.yaml", "hazards.gpkg", NULL};
 *     cp_output_options o = {0};
 *     o.kind = CP_OUTPUT_FOLDER;
 *     o.command = "mytool";
 *     o.inputs = inputs;                      // every file the command reads
 *     cp_output *tx = NULL;
 *     cp_status s = cp_output_begin("out", &o, &tx);   // the checks, before any work
 *     if (s == CP_OK) {
 *         char path[4096];
 *         snprintf(path, sizeof path, "%s/result.txt", cp_output_path(tx));
 *         FILE *f = fopen(path, "w");          // everything goes under cp_output_path()
 *         int bad = !f || fputs("done\n", f) < 0;
 *         if (f && fclose(f) != 0) bad = 1;
 *         if (bad)
 *             cp_output_abort(tx);             // nothing is left
 *         else
 *             s = cp_output_commit(tx);        // synced, then published atomically
 *     }
 *
 * ---- The rules ----
 * Refused by cp_output_begin, before any work, with a message naming both paths:
 *  - an output that is, contains or lies inside an input (a file or a folder read by the
 *    command), or that is or contains a folder in `keep_dirs` (the scenario's folder: the
 *    output may lie inside it, as the default `out` does);
 *  - an output that is or contains the root folder, the home folder or the current folder;
 *  - an output that is a symbolic link (clearplan never writes through one);
 *  - an existing output without `overwrite`; with it, an existing folder is replaced only when
 *    clearplan wrote it: it holds clearplan's manifest (`.clearplan`, the list of every file
 *    and folder the command wrote) and nothing else but those and the caches GIS tools keep
 *    beside them (`NAME.aux.xml`, `NAME.ovr`, `NAME.msk`, `NAME-wal`, `NAME-shm`,
 *    `NAME-journal`, `NAME~`), the manifest names that very folder (its inode: a copied
 *    manifest proves nothing), and each file it lists is still as written (its stamp: inode,
 *    size and modification time; a file saved over by an editor or changed in place is the
 *    user's); an existing file only when it carries the mark clearplan sets on every file
 *    output before publishing it (the extended attribute `user.clearplan`, "<command>
 *    <inode> <size> <mtime>": a copy, a file GDAL derived from it or the file changed in place
 *    does not match), or, on a file system without extended attributes, when `owned` says
 *    clearplan wrote it;
 *  - a new file output beside a cache GIS tools keep for a file (`NAME.aux.xml`, `NAME.ovr`,
 *    `NAME.msk`): they would take it for the new file's. Replacing a file removes the old
 *    one's caches (GDAL's new `.aux.xml`, if it wrote one, takes its place).
 * Inputs are compared by path (as given and resolved) and by device and inode (a hard link,
 * a bind mount).
 * Writing: into a fresh temporary sibling, `.NAME.clearplan-tmp-PID-N` (a folder, or a file
 * for CP_OUTPUT_FILE), locked with flock() while the process lives. Parent folders are
 * created as needed (and removed again, when empty, by cp_output_abort).
 * Publishing (cp_output_commit): every file and folder written is synced to disk (unless
 * `no_sync`), the folder's manifest is written, then the temporary is renamed to the final
 * name atomically: with renameat2(RENAME_NOREPLACE) when nothing was there (an output that
 * appeared meanwhile is left as it is and the commit fails), or swapped with
 * renameat2(RENAME_EXCHANGE) with the output checked at begin, re-checked to be the same
 * folder or file. The parent folder is synced, then the old output's own files (those its
 * manifest lists) are removed, never following a symbolic link.
 * Debris: temporary siblings of processes that no longer exist (killed with SIGKILL, a
 * power cut) are removed by the next cp_output_begin for the same output.
 *
 * A cp_output is used from one thread. */
#ifndef CLEARPLAN_OUTPUT_H
#define CLEARPLAN_OUTPUT_H

#include <clearplan/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_output cp_output;

typedef enum {
    CP_OUTPUT_FOLDER = 0, /* a folder of outputs (run, plan, synth) */
    CP_OUTPUT_FILE = 1    /* one file (the raster tools, zonal) */
} cp_output_kind;

/* Whether the existing file at `path` was written by clearplan (CP_OUTPUT_FILE with
 * overwrite): 1 yes, 0 no. */
typedef int (*cp_output_owned_fn)(const char *path, void *arg);

typedef struct {
    cp_output_kind kind;
    const char *command;          /* recorded in the manifest: "run", "plan", "synth", ... */
    int overwrite;                /* replace an existing output clearplan wrote */
    int no_sync;                  /* skip syncing before publishing (scratch runs) */
    const char *const *inputs;    /* NULL-terminated paths the command reads, or NULL */
    const char *const *keep_dirs; /* NULL-terminated folders never replaced or contained */
    cp_output_owned_fn owned;     /* CP_OUTPUT_FILE: NULL = never replace an existing file */
    void *owned_arg;
} cp_output_options;

/* The checks of cp_output_begin alone (nothing is created or removed). */
CP_API cp_status cp_output_check(const char *path, const cp_output_options *opts);

/* Checks `path` against the rules above, removes debris of dead processes, creates the
 * temporary sibling. On success *out is the transaction; on failure nothing was created. */
CP_API cp_status cp_output_begin(const char *path, const cp_output_options *opts, cp_output **out);

/* Where to write: the temporary folder (CP_OUTPUT_FOLDER) or file (CP_OUTPUT_FILE; it exists,
 * empty, and may be truncated or replaced by the writer). */
CP_API const char *cp_output_path(const cp_output *tx);

/* The final, absolute path of the output. */
CP_API const char *cp_output_final(const cp_output *tx);

/* Publishes the output as described above and frees `tx`. On failure the temporary is
 * removed, what was there before is left as it was, and `tx` is freed too. */
CP_API cp_status cp_output_commit(cp_output *tx);

/* Removes everything the transaction wrote and frees it. NULL is a no-op. */
CP_API void cp_output_abort(cp_output *tx);

/* The output of a command that reads the scenario `sc` (run; plan and calibrate with
 * --scenario): `opts`'s inputs are replaced by every file the scenario names (the file itself,
 * its inputs, the area of interest, the cost profile) and `extra` (NULL-terminated: the
 * command's other inputs, or NULL), and the scenario's folder is kept (`keep_dirs`). `dir`
 * NULL: the scenario's outputs.dir. With out = NULL only the checks are made
 * (cp_output_check); otherwise as cp_output_begin. */
struct cp_scenario;
CP_API cp_status cp_output_begin_for(const struct cp_scenario *sc, const char *dir,
                                     const cp_output_options *opts, const char *const *extra,
                                     cp_output **out);

/* Whether `name` can be used as a file name: 1..64 characters of [A-Za-z0-9_-], starting
 * with a letter or '_'. Names from a scenario (criteria) are checked with it. */
CP_API int cp_name_is_identifier(const char *name);

#ifdef __cplusplus
}
#endif

#endif
