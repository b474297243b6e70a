/* Helpers shared by clearplan's cmocka tests: temporary folders, running the CLI, files. */
#ifndef CP_TEST_H
#define CP_TEST_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strtok_r, mkdtemp, ... in C11 mode */
#endif

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Environment set by CTest (tests/CMakeLists.txt). */
/* The tests' random numbers: xorshift64 on the caller's state (the same numbers for the same
 * seed), and a double in [0, 1) from its top 53 bits. */
static inline uint64_t cpt_rnd(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}
static inline double cpt_rnd01(uint64_t *state) {
    return (double)(cpt_rnd(state) >> 11) / 9007199254740992.0;
}

static inline const char *cpt_env(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && v[0] ? v : fallback;
}
static inline const char *cpt_bin(void) {
    return cpt_env("CP_BIN", "clearplan");
}
static inline const char *cpt_source_dir(void) {
    return cpt_env("CP_SOURCE_DIR", ".");
}

/* A fresh, empty folder under CP_TEST_TMP named after `name` (removed first if present).
 * Writes its path into buf. */
static inline char *cpt_tmpdir(const char *name, char *buf, size_t n) {
    snprintf(buf, n, "%s/%s.%ld", cpt_env("CP_TEST_TMP", "/tmp"), name, (long)getpid());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    assert_int_equal(system(cmd), 0);
    return buf;
}

static inline void cpt_rmtree(const char *path) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    (void)!system(cmd);
}

/* Reads a whole file into a NUL-terminated buffer (caller frees); NULL if missing. */
static inline char *cpt_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

static inline void cpt_write(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static inline int cpt_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of temporaries of the output transaction (".NAME.clearplan-tmp-PID-N", files or
 * folders; clearplan/output.h) in `dir`, printing each one found. */
static inline int cpt_debris(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, ".clearplan-tmp-")) {
            fprintf(stderr, "temporary output left behind: %s/%s\n", dir, e->d_name);
            ++n;
        }
    if (d) closedir(d);
    return n;
}

/* Runs a shell command with stdout and stderr captured into files under CP_TEST_TMP;
 * returns the exit code (or 128+signal). *out / *err (if not NULL) receive the text. */
static inline int cpt_sh(char **out, char **err, const char *fmt, ...) {
    char cmd[8192], o[1024], e[1024], full[10400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(o, sizeof o, "%s/sh.%ld.out", cpt_env("CP_TEST_TMP", "/tmp"), (long)getpid());
    snprintf(e, sizeof e, "%s/sh.%ld.err", cpt_env("CP_TEST_TMP", "/tmp"), (long)getpid());
    snprintf(full, sizeof full, "(%s) >'%s' 2>'%s' </dev/null", cmd, o, e);
    int st = system(full);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    char *so = cpt_slurp(o, NULL), *se = cpt_slurp(e, NULL);
    if (out)
        *out = so;
    else
        free(so);
    if (err)
        *err = se;
    else
        free(se);
    unlink(o);
    unlink(e);
    return rc;
}

/* A fresh folder `root` (CP_TEST_TMP/<name>.<pid>) with the tiny and demo presets generated
 * into root/tiny and root/demo (paths into `tiny` and `demo`, 4200 bytes each): a group setup
 * of the tests that run the command line. 0, or -1 with the reason printed. */
static inline int cpt_scenarios_setup(const char *name, char root[4096], char tiny[4200],
                                      char demo[4200]) {
    snprintf(root, 4096, "%s/%s.%ld", cpt_env("CP_TEST_TMP", "/tmp"), name, (long)getpid());
    snprintf(tiny, 4200, "%s/tiny", root);
    snprintf(demo, 4200, "%s/demo", root);
    char *se = NULL;
    int rc = cpt_sh(NULL, &se,
                    "rm -rf '%s' && mkdir -p '%s' && '%s' synth --preset tiny -o '%s' -q && "
                    "'%s' synth --preset demo -o '%s' -q",
                    root, root, cpt_bin(), tiny, cpt_bin(), demo);
    if (rc) fprintf(stderr, "%s: cannot generate the scenarios: %s\n", name, se);
    free(se);
    return rc ? -1 : 0;
}

/* Asserts that `hay` contains `needle`, printing both when it does not. */
#define cpt_assert_contains(hay, needle)                                              \
    do {                                                                              \
        const char *h_ = (hay), *n_ = (needle);                                       \
        if (!h_ || !strstr(h_, n_)) {                                                 \
            print_error("expected to find \"%s\" in:\n%s\n", n_, h_ ? h_ : "(null)"); \
            fail();                                                                   \
        }                                                                             \
    } while (0)

#endif
