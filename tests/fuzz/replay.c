/* Replays fuzz inputs without libFuzzer: feeds every file of the folders (or files) given on
 * the command line to LLVMFuzzerTestOneInput, in name order, so that CI checks the seed corpus
 * and every past crash (tests/fuzz/regressions/) in a normal build. Fails when no input is
 * found, so that a moved corpus cannot pass silently. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <limits.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 0;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) return 0;
    /* an exact-size copy, so that ASan sees reads past the end as libFuzzer would */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 1;
}

int main(int argc, char **argv) {
    /* absolute paths first: a target may change the working folder when it initialises */
    for (int a = 1; a < argc; ++a) {
        char *abs = realpath(argv[a], NULL);
        if (abs) argv[a] = abs; /* kept until exit */
    }
    LLVMFuzzerInitialize(&argc, &argv);
    size_t count = 0;
    for (int a = 1; a < argc; ++a) {
        struct stat st;
        if (stat(argv[a], &st)) continue; /* an absent regressions folder is fine */
        if (!S_ISDIR(st.st_mode)) {
            count += (size_t)replay_file(argv[a]);
            continue;
        }
        DIR *d = opendir(argv[a]);
        char **names = NULL;
        size_t nn = 0;
        for (struct dirent *e; d && (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            names = realloc(names, (nn + 1) * sizeof *names);
            names[nn++] = strdup(e->d_name);
        }
        if (d) closedir(d);
        if (nn) qsort(names, nn, sizeof *names, by_name);
        for (size_t i = 0; i < nn; ++i) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], names[i]);
            if (!stat(path, &st) && S_ISREG(st.st_mode)) count += (size_t)replay_file(path);
            free(names[i]);
        }
        free(names);
    }
    fprintf(stderr, "replay: %zu inputs, no crash\n", count);
    return count ? 0 : 1;
}
