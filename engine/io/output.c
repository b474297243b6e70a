/* The output transaction (clearplan/output.h, DESIGN §10). Every path a user or a scenario
 * gives is checked here before any work; nothing here follows a symbolic link when it
 * removes, and nothing is removed that the manifest of a clearplan output does not list. */
#define _GNU_SOURCE /* renameat2, O_DIRECTORY, O_NOFOLLOW */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <clearplan/output.h>

#include "error.h"

#define MANIFEST ".clearplan"
#define MANIFEST_HEAD "clearplan output 1\n"
#define LOCK_NAME ".clearplan-lock"
#define TMP_TAG ".clearplan-tmp-"
/* The mark on a file output (CP_OUTPUT_FILE): "<command> <stamp>", set on the finished file
 * before it is published. A copy (cp -a, rsync -X) carries the attribute to another inode,
 * and GDAL copies no attribute into the files it derives, so only the file clearplan wrote
 * matches its mark; a file changed in place since (gdal_edit.py, an editor) has another size
 * or time. Marks of 0.1.0 before 2026-12-04 hold the inode alone. */
#define FILE_MARK "user.clearplan"

struct cp_output {
    cp_output_kind kind;
    int overwrite, no_sync;
    char *command;
    char *final;  /* absolute, its parent folder resolved */
    char *parent; /* resolved parent folder */
    char *base;   /* last component of final */
    char *tmp;    /* the temporary sibling */
    int lock_fd;  /* flock()ed while we live: the lock file (folder) or the file itself */
    int existed;  /* an output was there at begin (to be replaced) */
    dev_t dev;
    ino_t ino;
    char **made; /* parent folders created, outermost first */
    size_t nmade;
};

/* ------------------------------------------------------------------ paths ------------- */

/* The bytes of an output's name that its temporary's name keeps: the temporary,
 * `.NAME.clearplan-tmp-PID-N`, must fit a file name (NAME_MAX) however long NAME is. */
static int tmp_stem_len(const char *base) {
    size_t n = strlen(base), most = NAME_MAX - 1 - (sizeof TMP_TAG - 1) - 24;
    return (int)(n < most ? n : most);
}

static char *join(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *r = malloc(na + nb + 2);
    if (!r) return NULL;
    memcpy(r, a, na);
    size_t k = na;
    if (!(na && a[na - 1] == '/')) r[k++] = '/';
    memcpy(r + k, b, nb + 1);
    return r;
}

/* `a` is `b` or one of its ancestors (both absolute and normalised). */
static int same_or_ancestor(const char *a, const char *b) {
    size_t n = strlen(a);
    if (n == 1 && a[0] == '/') return 1;
    return !strncmp(a, b, n) && (b[n] == '\0' || b[n] == '/');
}

/* The absolute form of `path` with every existing ancestor resolved (symbolic links
 * followed, as the system would) and the rest normalised lexically; the last component is
 * kept as it is (never resolved), so that a link there can be seen. "." and ".." as the last
 * component are resolved. NULL when the path is empty or memory runs out. */
static char *canonical(const char *path) {
    if (!path || !*path) return NULL;
    char *abs = NULL;
    if (path[0] == '/') {
        abs = cp_strdup(path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return NULL;
        abs = join(cwd, path);
    }
    if (!abs) return NULL;
    /* split into components, dropping empty ones and "." */
    size_t n = strlen(abs), ncomp = 0;
    char **comp = malloc((n / 2 + 2) * sizeof *comp);
    if (!comp) {
        free(abs);
        return NULL;
    }
    for (char *save = NULL, *t = strtok_r(abs, "/", &save); t; t = strtok_r(NULL, "/", &save))
        if (strcmp(t, ".")) comp[ncomp++] = t;
    /* resolve the longest existing prefix, component by component */
    char *res = cp_strdup("/");
    size_t i = 0;
    for (; res && i < ncomp; ++i) {
        int last = i + 1 == ncomp;
        if (!strcmp(comp[i], "..")) {
            char *slash = strrchr(res, '/');
            if (slash == res)
                res[1] = '\0';
            else
                *slash = '\0';
            continue;
        }
        char *next = join(res, comp[i]);
        struct stat st;
        if (!next || lstat(next, &st) != 0) { /* does not exist: the rest is lexical */
            free(res);
            res = next;
            ++i;
            break;
        }
        if (last) {
            free(res);
            res = next;
            continue;
        }
        char *real = realpath(next, NULL);
        free(next);
        free(res);
        res = real;
    }
    for (; res && i < ncomp; ++i) {
        if (!strcmp(comp[i], "..")) {
            char *slash = strrchr(res, '/');
            if (slash == res)
                res[1] = '\0';
            else
                *slash = '\0';
            continue;
        }
        char *next = join(res, comp[i]);
        free(res);
        res = next;
    }
    free(comp);
    free(abs);
    return res;
}

/* The local file behind a GDAL path: /vsizip/a/b.zip/x.shp -> /a/b.zip; other /vsi paths
 * (memory, network) have none (NULL). */
static char *local_file(const char *path) {
    static const char *const archives[] = {"/vsizip/", "/vsitar/", "/vsigzip/",
                                           "/vsi7z/",  "/vsirar/", NULL};
    if (strncmp(path, "/vsi", 4)) return cp_strdup(path);
    for (const char *const *a = archives; *a; ++a) {
        size_t n = strlen(*a);
        if (strncmp(path, *a, n)) continue;
        char *rest = cp_strdup(path + n - (path[n] == '/' ? 1 : 0));
        if (!rest) return NULL;
        /* the first prefix that is a regular file is the archive */
        for (char *p = rest + 1; p && *p; p = strchr(p + 1, '/')) {
            char c = *p;
            *p = '\0';
            struct stat st;
            int file = stat(rest, &st) == 0 && S_ISREG(st.st_mode);
            *p = c;
            if (file) {
                *p = '\0';
                return rest;
            }
        }
        return rest;
    }
    return NULL;
}

/* ------------------------------------------------------------------ the checks -------- */

static cp_status refuse(const char *out, const char *why, const char *other) {
    return cp_fail(CP_E_IO, "refusing to write the output <%s>: %s%s%s%s", out, why,
                   other ? " <" : "", other ? other : "", other ? ">" : "");
}

/* Whether `path` or one of its ancestors (resolved) is the file or folder `st` (the same
 * device and inode: a bind mount or another spelling of the same place). */
static int at_or_under(const char *path, const struct stat *st) {
    char *p = realpath(path, NULL);
    int hit = 0;
    for (char *slash = p; p && !hit && slash;) {
        struct stat a;
        hit = stat(p, &a) == 0 && a.st_dev == st->st_dev && a.st_ino == st->st_ino;
        slash = strrchr(p, '/');
        if (slash == p && p[1]) /* up to "/" */
            p[1] = '\0';
        else if (slash && slash != p)
            *slash = '\0';
        else
            slash = NULL;
    }
    free(p);
    return hit;
}

/* The same comparisons by device and inode, for places the paths do not show (a bind mount
 * of the input's folder). */
static cp_status check_inodes(const char *out, const char *path, int is_input) {
    struct stat so, sp;
    int have_out = stat(out, &so) == 0, have_path = stat(path, &sp) == 0;
    if (!have_path) return CP_OK;
    if (have_out && so.st_dev == sp.st_dev && so.st_ino == sp.st_ino)
        return refuse(out, is_input ? "it is the input" : "it is the folder", path);
    if (have_out && at_or_under(path, &so))
        return refuse(out, is_input ? "it contains the input" : "it contains the folder", path);
    if (is_input && S_ISDIR(sp.st_mode)) {
        /* the output's nearest existing ancestor, then up from there */
        char *p = cp_strdup(out);
        struct stat a;
        for (char *slash; p && stat(p, &a) != 0 && (slash = strrchr(p, '/'));)
            slash == p ? (void)(p[1] = '\0') : (void)(*slash = '\0');
        int inside = p && at_or_under(p, &sp);
        free(p);
        if (inside) return refuse(out, "it lies inside the input", path);
    }
    return CP_OK;
}

/* Compares the output with one protected path (both forms: as given, and fully resolved). */
static cp_status check_against(const char *out, const char *path, int is_input) {
    char *local = local_file(path);
    if (!local) return CP_OK;
    char *forms[2] = {canonical(local), realpath(local, NULL)};
    cp_status s = check_inodes(out, local, is_input);
    free(local);
    for (int k = 0; k < 2 && !s; ++k) {
        const char *p = forms[k];
        if (!p) continue;
        if (!strcmp(p, out))
            s = refuse(out, is_input ? "it is the input" : "it is the folder", path);
        else if (same_or_ancestor(out, p))
            s = refuse(out, is_input ? "it contains the input" : "it contains the folder", path);
        else if (is_input && same_or_ancestor(p, out))
            s = refuse(out, "it lies inside the input", path);
    }
    free(forms[0]);
    free(forms[1]);
    return s;
}

static cp_status check_places(const char *out, const cp_output_options *o) {
    /* the files written inside the output (criteria/<name>.strips.tif, 64-character names)
     * must fit a path: the output's own path leaves them 512 bytes */
    if (strlen(out) + 64 > PATH_MAX - 512)
        return cp_fail(CP_E_IO, "the output path <%.80s...> is too long (%zu bytes)", out,
                       strlen(out));
    if (!strcmp(out, "/")) return refuse(out, "it is the root folder", NULL);
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) && same_or_ancestor(out, cwd))
        return refuse(out, "it is or contains the current folder", cwd);
    const char *homes[2] = {getenv("HOME"), NULL};
    struct passwd *pw = getpwuid(getuid());
    if (pw) homes[1] = pw->pw_dir;
    for (int k = 0; k < 2; ++k) {
        if (!homes[k] || !*homes[k]) continue;
        char *h = realpath(homes[k], NULL);
        int bad = h && same_or_ancestor(out, h);
        free(h);
        if (bad) return refuse(out, "it is or contains the home folder", homes[k]);
    }
    cp_status s = CP_OK;
    for (const char *const *p = o->inputs; !s && p && *p; ++p) s = check_against(out, *p, 1);
    for (const char *const *p = o->keep_dirs; !s && p && *p; ++p) s = check_against(out, *p, 0);
    return s;
}

/* ---- manifests ---- */

/* What a file was when clearplan wrote it: inode, size and modification time (ino 0: not
 * known, a manifest or mark from before stamps). Replaced (an editor saving a new file) or
 * changed in place, the file is no longer the one clearplan wrote. */
typedef struct {
    unsigned long long ino;
    long long size, sec, nsec;
} stamp;

static stamp stamp_of(const struct stat *st) {
    return (stamp){(unsigned long long)st->st_ino, (long long)st->st_size,
                   (long long)st->st_mtim.tv_sec, (long long)st->st_mtim.tv_nsec};
}

static int stamp_print(char *buf, size_t n, const stamp *t) {
    return snprintf(buf, n, "%llu %lld %lld.%09lld", t->ino, t->size, t->sec, t->nsec);
}

/* The fields stamp_print wrote; the inode alone gives a stamp of size and time -1 (not
 * compared). 0: neither. */
static int stamp_parse(const char *text, stamp *t) {
    *t = (stamp){0, -1, -1, -1};
    int n = sscanf(text, "%llu %lld %lld.%lld", &t->ino, &t->size, &t->sec, &t->nsec);
    if (n == 4) return t->ino != 0;
    *t = (stamp){t->ino, -1, -1, -1};
    return n == 1 && t->ino != 0;
}

static int stamp_matches(const stamp *want, const struct stat *st) {
    stamp now = stamp_of(st);
    return want->ino == now.ino &&
           (want->size < 0 ||
            (want->size == now.size && want->sec == now.sec && want->nsec == now.nsec));
}

typedef struct {
    char **names;  /* relative paths; folders end with '/' */
    stamp *stamps; /* a manifest's: each file's stamp (ino 0: none) */
    size_t n, cap;
} name_list;

static void names_free(name_list *l) {
    for (size_t i = 0; i < l->n; ++i) free(l->names[i]);
    free(l->names);
    free(l->stamps);
    memset(l, 0, sizeof *l);
}

static int names_add(name_list *l, const char *s) {
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 32;
        char **p = realloc(l->names, c * sizeof *p);
        if (!p) return 0;
        l->names = p;
        stamp *t = realloc(l->stamps, c * sizeof *t);
        if (!t) return 0;
        l->stamps = t;
        l->cap = c;
    }
    if (!(l->names[l->n] = cp_strdup(s))) return 0;
    l->stamps[l->n] = (stamp){0, -1, -1, -1};
    l->n++;
    return 1;
}

/* The index of `s` in the list, -1 when it is not there. */
static long names_find(const name_list *l, const char *s) {
    for (size_t i = 0; i < l->n; ++i)
        if (!strcmp(l->names[i], s)) return (long)i;
    return -1;
}

static int names_has(const name_list *l, const char *s) {
    return names_find(l, s) >= 0;
}

/* Whether the listed file `rel` under `dfd` is still the one clearplan wrote: unchanged since
 * its stamp, or gone, or listed without a stamp. */
static int owned_unchanged(int dfd, const name_list *owned, const char *rel) {
    long i = names_find(owned, rel);
    if (i < 0 || !owned->stamps[i].ino) return 1;
    struct stat st;
    if (fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT;
    return stamp_matches(&owned->stamps[i], &st);
}

/* A cache a GIS tool keeps beside a file clearplan wrote (see output.h). */
static int is_sidecar(const name_list *owned, const char *rel) {
    static const char *const suffixes[] = {".aux.xml", ".ovr",     ".msk", "-wal",
                                           "-shm",     "-journal", "~",    NULL};
    size_t n = strlen(rel);
    if (n && rel[n - 1] == '/') return 0; /* a folder is nobody's cache */
    for (const char *const *s = suffixes; *s; ++s) {
        size_t k = strlen(*s);
        if (n <= k || strcmp(rel + n - k, *s)) continue;
        char *stem = malloc(n - k + 1);
        if (!stem) return 0;
        memcpy(stem, rel, n - k);
        stem[n - k] = '\0';
        int hit = stem[0] && stem[strlen(stem) - 1] != '/' && names_has(owned, stem);
        free(stem);
        if (hit) return 1;
    }
    return 0;
}

/* Lists every entry under folder `dfd` (relative names, folders with a trailing '/'), not
 * following symbolic links; `other` gets entries that are neither files nor folders. */
static int walk(int dfd, const char *prefix, name_list *files, name_list *other) {
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return 0;
    }
    int ok = 1;
    for (struct dirent *e; ok && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(prefix) + strlen(e->d_name) + 2;
        char *rel = malloc(n);
        if (!rel) {
            ok = 0;
            break;
        }
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            free(rel);
            continue; /* gone meanwhile */
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(rel, n, "%s%s/", prefix, e->d_name);
            ok = names_add(files, rel);
            int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (ok && sub >= 0) ok = walk(sub, rel, files, other);
            if (sub >= 0) close(sub);
        } else {
            snprintf(rel, n, "%s%s", prefix, e->d_name);
            ok = names_add(S_ISREG(st.st_mode) ? files : other, rel);
        }
        free(rel);
    }
    closedir(d);
    return ok;
}

/* Reads the manifest of the folder `dfd`: 1 when there is one (names filled, *folder the
 * inode of the folder it was written in, 0 when it names none), 0 when not. */
static int manifest_read(int dfd, name_list *names, unsigned long long *folder) {
    *folder = 0;
    int fd = openat(dfd, MANIFEST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return 0;
    }
    char line[PATH_MAX + 8];
    int ok = fgets(line, sizeof line, f) && !strcmp(line, MANIFEST_HEAD);
    while (ok && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        if (!strncmp(line, "file ", 5) && !strstr(line, "..") && line[5] != '/')
            ok = names_add(names, line + 5);
        else if (!strncmp(line, "stamp ", 6)) /* of the file listed just before */
            ok = names->n && stamp_parse(line + 6, &names->stamps[names->n - 1]);
        else if (!strncmp(line, "folder ", 7))
            ok = sscanf(line + 7, "%llu", folder) == 1;
        else if (strncmp(line, "command ", 8) && strncmp(line, "version ", 8))
            ok = 0;
    }
    fclose(f);
    if (!ok) names_free(names);
    return ok;
}

/* Checks that the folder `path` holds a clearplan output and nothing else (see output.h). */
static cp_status check_owned_folder(const char *path) {
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return cp_fail(CP_E_IO, "cannot open <%s>: %s", path, strerror(errno));
    name_list owned = {0}, found = {0}, other = {0};
    cp_status s = CP_OK;
    unsigned long long folder = 0;
    struct stat st;
    if (!manifest_read(dfd, &owned, &folder)) {
        s = refuse(path,
                   faccessat(dfd, MANIFEST, F_OK, AT_SYMLINK_NOFOLLOW) == 0
                       ? "it exists and clearplan did not write it (its .clearplan is not a "
                         "manifest clearplan wrote); --overwrite replaces only clearplan's own "
                         "outputs"
                       : "it exists and clearplan did not write it (it has no .clearplan "
                         "manifest); --overwrite replaces only clearplan's own outputs",
                   NULL);
        goto done;
    }
    /* a manifest copied into another folder (or the output copied elsewhere) proves nothing */
    if (fstat(dfd, &st) != 0 || !folder || folder != (unsigned long long)st.st_ino) {
        s = refuse(path,
                   "its .clearplan manifest was written for another folder (a copy, or moved "
                   "from another disk), so clearplan cannot tell its files from yours; "
                   "--overwrite replaces only clearplan's own outputs",
                   NULL);
        goto done;
    }
    if (!walk(dfd, "", &found, &other)) {
        s = cp_fail(CP_E_NOMEM, "cannot list <%s>", path);
        goto done;
    }
    char list[512] = "", changed[512] = "";
    size_t nforeign = 0, nchanged = 0;
    for (size_t pass = 0; pass < 2; ++pass) {
        const name_list *l = pass ? &other : &found;
        for (size_t i = 0; i < l->n; ++i) {
            const char *rel = l->names[i];
            if (!pass && !owned_unchanged(dfd, &owned, rel)) { /* listed, and changed */
                if (nchanged++ < 5)
                    snprintf(changed + strlen(changed), sizeof changed - strlen(changed), "%s%s",
                             nchanged > 1 ? ", " : "", rel);
                continue;
            }
            if (!pass &&
                (!strcmp(rel, MANIFEST) || names_has(&owned, rel) || is_sidecar(&owned, rel)))
                continue;
            if (nforeign++ < 5)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         nforeign > 1 ? ", " : "", rel);
        }
    }
    if (nchanged) {
        char why[700];
        if (nchanged == 1)
            snprintf(why, sizeof why,
                     "a file in it changed since clearplan wrote it (%s: replaced or edited); "
                     "--overwrite replaces only clearplan's own outputs: move it out first",
                     changed);
        else
            snprintf(why, sizeof why,
                     "%zu files in it changed since clearplan wrote them (%s%s: replaced or "
                     "edited); --overwrite replaces only clearplan's own outputs: move them out "
                     "first",
                     nchanged, changed, nchanged > 5 ? ", ..." : "");
        s = refuse(path, why, NULL);
    } else if (nforeign) {
        char why[700];
        snprintf(why, sizeof why,
                 "it holds %zu file%s clearplan did not write (%s%s); --overwrite replaces "
                 "only clearplan's own outputs: move them out first",
                 nforeign, nforeign > 1 ? "s" : "", list, nforeign > 5 ? ", ..." : "");
        s = refuse(path, why, NULL);
    }
done:
    names_free(&owned);
    names_free(&found);
    names_free(&other);
    close(dfd);
    return s;
}

/* ---- file outputs: the mark and the caches beside them ---- */

/* 1: the file at `path` (st) carries the mark of the file clearplan wrote there; 2: it does,
 * but was changed in place since; 0: it does not; -1: its file system keeps no extended
 * attributes (the command's `owned` decides). */
static int file_marked(const char *path, const struct stat *st) {
    char v[160];
    ssize_t n = lgetxattr(path, FILE_MARK, v, sizeof v - 1);
    if (n < 0) return errno == ENOTSUP ? -1 : 0;
    v[n] = '\0';
    const char *sp = strchr(v, ' ');
    stamp t;
    if (!sp || !stamp_parse(sp + 1, &t) || t.ino != (unsigned long long)st->st_ino) return 0;
    return stamp_matches(&t, st) ? 1 : 2;
}

/* Marks the finished temporary file (before it is published). */
static void file_mark(const cp_output *tx) {
    int fd = open(tx->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return;
    if (fstat(fd, &st) == 0) {
        char v[160];
        stamp now = stamp_of(&st);
        int n = snprintf(v, sizeof v, "%.64s ", tx->command);
        n += stamp_print(v + n, sizeof v - (size_t)n, &now);
        (void)fsetxattr(fd, FILE_MARK, v, (size_t)n, 0); /* none where unsupported */
    }
    close(fd);
}

/* The caches GIS tools keep beside a file (GDAL's .aux.xml statistics and metadata, external
 * overviews and masks): they describe the file they sit beside. */
static const char *const file_caches[] = {".aux.xml", ".ovr", ".msk", NULL};

static char *with_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path) + strlen(suffix) + 1;
    char *r = malloc(n);
    if (r) snprintf(r, n, "%s%s", path, suffix);
    return r;
}

/* A new file output must not land beside another file's caches: GDAL would read them as the
 * new file's (statistics, overviews of other cells). */
static cp_status check_no_caches(const char *out) {
    cp_status s = CP_OK;
    for (const char *const *c = file_caches; !s && *c; ++c) {
        char *p = with_suffix(out, *c);
        struct stat st;
        if (!p) return cp_fail(CP_E_NOMEM, "out of memory");
        if (lstat(p, &st) == 0)
            s = refuse(out,
                       "a file clearplan did not write lies beside it and GIS tools would take it "
                       "for the new file's",
                       p);
        free(p);
    }
    return s;
}

/* The checks on what is at the output's path now; fills existed/dev/ino. */
static cp_status check_existing(const char *out, const cp_output_options *o, int *existed,
                                dev_t *dev, ino_t *ino) {
    struct stat st;
    *existed = 0;
    if (lstat(out, &st) != 0) {
        if (errno != ENOENT)
            return cp_fail(CP_E_IO, "cannot check the output <%s>: %s", out, strerror(errno));
        return o->kind == CP_OUTPUT_FILE ? check_no_caches(out) : CP_OK;
    }
    if (S_ISLNK(st.st_mode))
        return refuse(out, "it is a symbolic link (clearplan never writes through one)", NULL);
    int folder = o->kind == CP_OUTPUT_FOLDER;
    if (folder ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        return refuse(out, folder ? "it exists and is not a folder" : "it exists and is not a file",
                      NULL);
    if (!o->overwrite)
        return cp_fail(CP_E_IO, "the output <%s> exists; pass --overwrite to replace it", out);
    if (folder) {
        cp_status s = check_owned_folder(out);
        if (s) return s;
    } else {
        /* the mark where the file system keeps one; elsewhere the command's own test */
        int marked = file_marked(out, &st);
        if (marked == 2)
            return refuse(out,
                          "it changed since clearplan wrote it (edited in place); --overwrite "
                          "replaces only clearplan's own outputs: move it away first",
                          NULL);
        if (marked == 0 || (marked < 0 && (!o->owned || !o->owned(out, o->owned_arg))))
            return refuse(out,
                          "it exists and clearplan did not write it (a copy of an output, or "
                          "a file made from one, is not clearplan's); --overwrite replaces "
                          "only clearplan's own outputs",
                          NULL);
    }
    *existed = 1;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return CP_OK;
}

/* GDAL's virtual file systems (/vsimem/, /vsis3/, ...) have no folders to check or rename
 * atomically: outputs are local files. */
static cp_status check_local(const char *path) {
    if (strncmp(path, "/vsi", 4)) return CP_OK;
    return cp_fail(CP_E_IO, "cannot write the output <%s>: outputs are local files", path);
}

cp_status cp_output_check(const char *path, const cp_output_options *opts) {
    if (!path || !*path || !opts) return cp_fail(CP_E_ARG, "cp_output_check: no output given");
    cp_status ls = check_local(path);
    if (ls) return ls;
    char *out = canonical(path);
    if (!out) return cp_fail(CP_E_IO, "cannot resolve the output <%s>", path);
    int existed;
    dev_t dev;
    ino_t ino;
    cp_status s = check_places(out, opts);
    if (!s) s = check_existing(out, opts, &existed, &dev, &ino);
    free(out);
    return s;
}

/* ------------------------------------------------------------------ removal ----------- */

/* Removes `name` under `dfd` and everything below it, never following a symbolic link. */
static int remove_tree_at(int dfd, const char *name) {
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlinkat(dfd, name, 0);
    int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) return -1;
    int fd = dup(sub);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    int rc = 0;
    if (!d) {
        if (fd >= 0) close(fd);
        rc = -1;
    }
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && remove_tree_at(sub, e->d_name))
            rc = -1;
    if (d) closedir(d);
    close(sub);
    return unlinkat(dfd, name, AT_REMOVEDIR) || rc ? -1 : 0;
}

static int cmp_len_desc(const void *a, const void *b) {
    size_t na = strlen(*(char *const *)a), nb = strlen(*(char *const *)b);
    return na < nb ? 1 : na > nb ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes a clearplan output folder `name` under `dfd`: the files and folders its manifest
 * lists and their GIS caches, then the manifest and the folder when it is empty. Anything
 * else stays where it is. */
static void remove_owned_at(int dfd, const char *name) {
    int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) return;
    name_list owned = {0}, found = {0}, other = {0};
    unsigned long long folder;
    if (manifest_read(sub, &owned, &folder) && walk(sub, "", &found, &other)) {
        /* deepest first, so folders are empty when their turn comes */
        if (found.n) qsort(found.names, found.n, sizeof *found.names, cmp_len_desc);
        for (size_t i = 0; i < found.n; ++i) {
            char *rel = found.names[i];
            size_t n = strlen(rel);
            if (!names_has(&owned, rel) && !is_sidecar(&owned, rel)) continue;
            if (!owned_unchanged(sub, &owned, rel)) continue; /* no longer clearplan's */
            if (n && rel[n - 1] == '/') {
                rel[n - 1] = '\0';
                (void)unlinkat(sub, rel, AT_REMOVEDIR); /* fails, harmlessly, when not empty */
            } else {
                (void)unlinkat(sub, rel, 0);
            }
        }
        (void)unlinkat(sub, MANIFEST, 0);
    }
    (void)unlinkat(sub, LOCK_NAME, 0);
    names_free(&owned);
    names_free(&found);
    names_free(&other);
    close(sub);
    (void)unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Whether the temporary `name` (in `dfd`) belongs to a process that is gone: its pid does
 * not exist and nobody holds its lock. */
static int is_debris(int dfd, const char *name, const char *pid_text) {
    char *end = NULL;
    long pid = strtol(pid_text, &end, 10);
    if (pid <= 0 || !end || *end != '-') return 0;
    if (pid == (long)getpid()) return 0;
    if (kill((pid_t)pid, 0) == 0 || errno == EPERM) return 0;
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISLNK(st.st_mode)) return 0;
    int fd = -1;
    if (S_ISDIR(st.st_mode)) {
        int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) return 0;
        fd = openat(sub, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        close(sub);
    } else if (S_ISREG(st.st_mode)) {
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    } else {
        return 0;
    }
    if (fd < 0) return 1; /* no lock file: nobody can hold it */
    int free_lock = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return free_lock;
}

/* Removes the temporaries of this output left by processes that are gone. */
static void remove_debris(const char *parent, const char *base) {
    int dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    size_t n = strlen(base) + sizeof TMP_TAG + 2;
    char *prefix = malloc(n);
    int fd = prefix ? dup(dfd) : -1;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0) close(fd);
    if (prefix) snprintf(prefix, n, ".%.*s%s", tmp_stem_len(base), base, TMP_TAG);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t k = strlen(prefix);
        if (strncmp(e->d_name, prefix, k) || !is_debris(dfd, e->d_name, e->d_name + k)) continue;
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISDIR(st.st_mode)) {
            (void)unlinkat(dfd, e->d_name, 0);
            continue;
        }
        /* with a manifest it was finished (or is an old output swapped out): only what the
         * manifest lists goes; without one it was being written, and all of it is ours */
        int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int finished = sub >= 0 && faccessat(sub, MANIFEST, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
        if (sub >= 0) close(sub);
        if (finished)
            remove_owned_at(dfd, e->d_name);
        else
            (void)remove_tree_at(dfd, e->d_name);
    }
    if (d) closedir(d);
    free(prefix);
    close(dfd);
}

/* ------------------------------------------------------------------ the transaction --- */

static void tx_free(cp_output *tx) {
    if (!tx) return;
    if (tx->lock_fd >= 0) close(tx->lock_fd);
    for (size_t i = 0; i < tx->nmade; ++i) free(tx->made[i]);
    free(tx->made);
    free(tx->command), free(tx->final), free(tx->parent), free(tx->base), free(tx->tmp);
    free(tx);
}

/* Creates the missing ancestors of tx->final, remembering them. */
static cp_status make_parents(cp_output *tx) {
    struct stat st;
    if (stat(tx->parent, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return cp_fail(CP_E_IO, "cannot create the output <%s>: <%s> is not a folder",
                           tx->final, tx->parent);
        return CP_OK;
    }
    char *p = cp_strdup(tx->parent);
    if (!p) return cp_fail(CP_E_NOMEM, "out of memory");
    tx->made = calloc(strlen(p) / 2 + 2, sizeof *tx->made);
    cp_status s = tx->made ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
    for (char *q = p + 1; !s; ++q) {
        if (*q != '/' && *q != '\0') continue;
        char c = *q;
        *q = '\0';
        if (mkdir(p, 0777) == 0) {
            if (!(tx->made[tx->nmade] = cp_strdup(p)))
                s = cp_fail(CP_E_NOMEM, "out of memory");
            else
                tx->nmade++;
        } else if (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            s = cp_fail(CP_E_IO, "cannot create the folder <%s>: %s", p,
                        errno == EEXIST ? "a file is in the way" : strerror(errno));
        }
        *q = c;
        if (!c) break;
    }
    free(p);
    return s;
}

static void remove_made_parents(cp_output *tx) {
    for (size_t i = tx->nmade; i-- > 0;) (void)rmdir(tx->made[i]);
}

/* Creates the temporary sibling and takes its lock. */
static cp_status make_tmp(cp_output *tx) {
    static unsigned counter = 0;
    size_t n = strlen(tx->parent) + strlen(tx->base) + 64;
    for (int attempt = 0; attempt < 1000; ++attempt) {
        unsigned k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        free(tx->tmp);
        if (!(tx->tmp = malloc(n))) return cp_fail(CP_E_NOMEM, "out of memory");
        snprintf(tx->tmp, n, "%s%s.%.*s" TMP_TAG "%ld-%u", tx->parent,
                 strcmp(tx->parent, "/") ? "/" : "", tmp_stem_len(tx->base), tx->base,
                 (long)getpid(), k);
        if (tx->kind == CP_OUTPUT_FILE) {
            tx->lock_fd = open(tx->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
            if (tx->lock_fd < 0 && errno == EEXIST) continue;
            if (tx->lock_fd < 0) break;
        } else {
            if (mkdir(tx->tmp, 0777) != 0) {
                if (errno == EEXIST) continue;
                break;
            }
            char *lock = join(tx->tmp, LOCK_NAME);
            tx->lock_fd = lock ? open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666) : -1;
            free(lock);
            if (tx->lock_fd < 0) {
                cp_status s = cp_fail(CP_E_IO, "cannot create <%s>: %s", tx->tmp, strerror(errno));
                (void)remove_tree_at(AT_FDCWD, tx->tmp);
                return s;
            }
        }
        (void)flock(tx->lock_fd, LOCK_EX | LOCK_NB);
        return CP_OK;
    }
    return cp_fail(CP_E_IO, "cannot create <%s>: %s", tx->tmp ? tx->tmp : tx->final,
                   strerror(errno));
}

cp_status cp_output_begin(const char *path, const cp_output_options *opts, cp_output **out) {
    *out = NULL;
    if (!path || !*path || !opts) return cp_fail(CP_E_ARG, "no output given");
    cp_status ls = check_local(path);
    if (ls) return ls;
    cp_output *tx = calloc(1, sizeof *tx);
    if (!tx) return cp_fail(CP_E_NOMEM, "out of memory");
    tx->lock_fd = -1;
    tx->kind = opts->kind;
    tx->overwrite = opts->overwrite;
    tx->no_sync = opts->no_sync;
    tx->command = cp_strdup(opts->command ? opts->command : "clearplan");
    tx->final = canonical(path);
    cp_status s = CP_OK;
    if (!tx->command || !tx->final) {
        s = cp_fail(CP_E_IO, "cannot resolve the output <%s>", path);
        goto done;
    }
    char *slash = strrchr(tx->final, '/');
    tx->base = cp_strdup(slash + 1);
    tx->parent =
        slash == tx->final ? cp_strdup("/") : strndup(tx->final, (size_t)(slash - tx->final));
    if (!tx->base || !tx->parent) {
        s = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    if ((s = check_places(tx->final, opts))) goto done;
    if ((s = check_existing(tx->final, opts, &tx->existed, &tx->dev, &tx->ino))) goto done;
    if ((s = make_parents(tx))) goto done;
    remove_debris(tx->parent, tx->base);
    s = make_tmp(tx);
done:
    if (s) {
        remove_made_parents(tx);
        tx_free(tx);
        return s;
    }
    *out = tx;
    return CP_OK;
}

const char *cp_output_path(const cp_output *tx) {
    return tx ? tx->tmp : NULL;
}

const char *cp_output_final(const cp_output *tx) {
    return tx ? tx->final : NULL;
}

/* The error being reported names the temporary (a file written under it failed): it names
 * the output instead, the path the user gave, since the temporary is gone after the abort. */
static void errmsg_to_final(const cp_output *tx) {
    const char *m = cp_errmsg();
    if (!m || !tx->tmp || !tx->final || !strstr(m, tx->tmp)) return;
    size_t nt = strlen(tx->tmp), nf = strlen(tx->final), n = strlen(m) + 1;
    for (const char *p = strstr(m, tx->tmp); p; p = strstr(p + nt, tx->tmp)) n += nf;
    char *buf = malloc(n);
    if (!buf) return;
    char *o = buf;
    for (const char *p = m, *hit; *p; p = hit + nt) {
        if (!(hit = strstr(p, tx->tmp))) {
            strcpy(o, p);
            o += strlen(p);
            break;
        }
        memcpy(o, p, (size_t)(hit - p)), o += hit - p;
        memcpy(o, tx->final, nf), o += nf;
    }
    *o = '\0';
    (void)cp_fail(CP_E_IO, "%s", buf);
    free(buf);
}

void cp_output_abort(cp_output *tx) {
    if (!tx) return;
    errmsg_to_final(tx);
    if (tx->tmp) {
        if (tx->kind == CP_OUTPUT_FILE) {
            (void)unlink(tx->tmp);
            for (const char *const *c = file_caches; *c; ++c) {
                char *aux = with_suffix(tx->tmp, *c);
                if (aux) (void)unlink(aux);
                free(aux);
            }
        } else {
            (void)remove_tree_at(AT_FDCWD, tx->tmp);
        }
    }
    remove_made_parents(tx);
    tx_free(tx);
}

/* ---- publishing ---- */

static int sync_path(int dfd, const char *name, int dir) {
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Syncs every file and folder of the finished temporary folder and writes its manifest. */
static cp_status seal_folder(cp_output *tx) {
    char *lock = join(tx->tmp, LOCK_NAME);
    if (lock) (void)unlink(lock);
    free(lock);
    int dfd = open(tx->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return cp_fail(CP_E_IO, "cannot open <%s>: %s", tx->tmp, strerror(errno));
    name_list files = {0}, other = {0};
    cp_status s = CP_OK;
    if (!walk(dfd, "", &files, &other)) {
        s = cp_fail(CP_E_NOMEM, "cannot list <%s>", tx->tmp);
        goto done;
    }
    if (other.n) {
        s = cp_fail(CP_E_INTERNAL, "<%s/%s> is neither a file nor a folder", tx->tmp,
                    other.names[0]);
        goto done;
    }
    for (size_t i = 0; i < files.n && !tx->no_sync && !s; ++i) {
        size_t n = strlen(files.names[i]);
        int dir = n && files.names[i][n - 1] == '/';
        if (sync_path(dfd, files.names[i], dir) != 0)
            s = cp_fail(CP_E_IO, "cannot write <%s/%s>: %s", tx->final, files.names[i],
                        strerror(errno));
    }
    if (s) goto done;
    if (files.n) qsort(files.names, files.n, sizeof *files.names, cmp_len_desc);
    int fd = openat(dfd, MANIFEST, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f && fd >= 0) close(fd);
    struct stat dst;
    int bad = fstat(dfd, &dst) != 0 || !f ||
              fprintf(f, MANIFEST_HEAD "command %s\nversion %s\nfolder %llu\n", tx->command,
                      CP_VERSION_STRING, (unsigned long long)dst.st_ino) < 0;
    for (size_t i = files.n; i-- > 0 && !bad;) {
        const char *rel = files.names[i];
        bad = fprintf(f, "file %s\n", rel) < 0;
        struct stat st;
        size_t n = strlen(rel);
        if (bad || (n && rel[n - 1] == '/')) continue; /* a folder: its entries are checked */
        char t[96];
        bad = fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) != 0;
        stamp now = stamp_of(&st);
        if (!bad) stamp_print(t, sizeof t, &now);
        bad = bad || fprintf(f, "stamp %s\n", t) < 0;
    }
    if (f && (fflush(f) != 0 || (!tx->no_sync && fsync(fileno(f)) != 0))) bad = 1;
    if (f && fclose(f) != 0) bad = 1;
    if (bad || (!tx->no_sync && fsync(dfd) != 0))
        s = cp_fail(CP_E_IO, "cannot write <%s/%s>: %s", tx->final, MANIFEST, strerror(errno));
done:
    names_free(&files);
    names_free(&other);
    close(dfd);
    return s;
}

static int rename2(const char *from, const char *to, unsigned flags) {
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, flags) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
#endif
    /* no renameat2 here (or on this filesystem): re-check, then rename */
    struct stat st;
    if (flags == RENAME_NOREPLACE) {
        if (lstat(to, &st) == 0) return errno = EEXIST, -1;
        return rename(from, to);
    }
    /* exchange: move the old one aside under a name of ours, the new one in, the old one to
     * the temporary name */
    size_t n = strlen(from) + 8;
    char *aside = malloc(n);
    if (!aside) return errno = ENOMEM, -1;
    snprintf(aside, n, "%s-old", from);
    int rc = rename(to, aside);
    if (rc == 0 && (rc = rename(from, to)) != 0) (void)rename(aside, to);
    if (rc == 0) rc = rename(aside, from);
    free(aside);
    return rc;
}

cp_status cp_output_commit(cp_output *tx) {
    if (!tx) return cp_fail(CP_E_ARG, "no output to commit");
    cp_status s = CP_OK;
    if (tx->kind == CP_OUTPUT_FOLDER) {
        if ((s = seal_folder(tx))) goto fail;
    } else {
        file_mark(tx);
        if (!tx->no_sync && sync_path(AT_FDCWD, tx->tmp, 0) != 0) {
            s = cp_fail(CP_E_IO, "cannot write <%s>: %s", tx->final, strerror(errno));
            goto fail;
        }
    }
    if (!tx->existed) {
        if (rename2(tx->tmp, tx->final, RENAME_NOREPLACE) != 0) {
            s = errno == EEXIST || errno == ENOTEMPTY
                    ? cp_fail(CP_E_IO,
                              "the output <%s> appeared while clearplan was writing it; it was "
                              "left as it is and the new output discarded",
                              tx->final)
                    : cp_fail(CP_E_IO, "cannot rename <%s> to <%s>: %s", tx->tmp, tx->final,
                              strerror(errno));
            goto fail;
        }
    } else {
        /* the output checked at begin must still be the one there */
        struct stat st;
        if (lstat(tx->final, &st) != 0 || st.st_dev != tx->dev || st.st_ino != tx->ino) {
            s = cp_fail(CP_E_IO,
                        "the output <%s> changed while clearplan was writing it; it was left "
                        "as it is and the new output discarded",
                        tx->final);
            goto fail;
        }
        if (tx->kind == CP_OUTPUT_FOLDER && (s = check_owned_folder(tx->final))) goto fail;
        if (tx->kind == CP_OUTPUT_FILE && file_marked(tx->final, &st) == 2) {
            s = cp_fail(CP_E_IO,
                        "the output <%s> changed while clearplan was writing it; it was left "
                        "as it is and the new output discarded",
                        tx->final);
            goto fail;
        }
        if (rename2(tx->tmp, tx->final, RENAME_EXCHANGE) != 0) {
            s = cp_fail(CP_E_IO, "cannot replace <%s>: %s", tx->final, strerror(errno));
            goto fail;
        }
    }
    if (tx->kind == CP_OUTPUT_FILE) {
        /* GDAL's .aux.xml of the temporary, if it wrote one, goes beside the output; the old
         * output's caches go (checked at begin: beside a new output there were none) */
        for (const char *const *c = file_caches; *c; ++c) {
            char *a = with_suffix(tx->tmp, *c), *b = with_suffix(tx->final, *c);
            struct stat st;
            if (a && b && lstat(a, &st) == 0 && S_ISREG(st.st_mode))
                (void)(tx->existed ? rename(a, b) : rename2(a, b, RENAME_NOREPLACE));
            else if (a && b && tx->existed && lstat(b, &st) == 0 && S_ISREG(st.st_mode))
                (void)unlink(b);
            if (a) (void)unlink(a); /* left when it could not be moved */
            free(a), free(b);
        }
    }
    if (!tx->no_sync) {
        int dfd = open(tx->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) (void)fsync(dfd), close(dfd);
    }
    if (tx->existed) { /* the old output now has the temporary name */
        if (tx->kind == CP_OUTPUT_FILE)
            (void)unlink(tx->tmp);
        else
            remove_owned_at(AT_FDCWD, tx->tmp);
    }
    tx_free(tx);
    return CP_OK;
fail:
    cp_output_abort(tx);
    return s;
}

int cp_name_is_identifier(const char *name) {
    if (!name || !*name || strlen(name) > 64) return 0;
    if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
          name[0] == '_'))
        return 0;
    for (const char *p = name; *p; ++p)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}
