/* The output transaction (clearplan/output.h) through its C API: what it refuses before any
 * work, what it publishes, what it replaces and what it never touches. */
#define _GNU_SOURCE
#include "cp_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/xattr.h>

#include <clearplan/clearplan.h>

static char dir[1024];

static void path_of(char *buf, size_t n, const char *rel) {
    snprintf(buf, n, "%s/%s", dir, rel);
}

static void write_rel(const char *rel, const char *text) {
    char p[1400];
    path_of(p, sizeof p, rel);
    cpt_write(p, text);
}

static char *read_rel(const char *rel) {
    char p[1400];
    path_of(p, sizeof p, rel);
    return cpt_slurp(p, NULL);
}

static int exists_rel(const char *rel) {
    char p[1400];
    struct stat st;
    path_of(p, sizeof p, rel);
    return lstat(p, &st) == 0;
}

static cp_output_options folder_opts(int overwrite) {
    cp_output_options o;
    memset(&o, 0, sizeof o);
    o.kind = CP_OUTPUT_FOLDER;
    o.command = "test";
    o.overwrite = overwrite;
    return o;
}

/* Writes a complete output folder `rel` holding a.txt = text and sub/b.txt. */
static void publish(const char *rel, const char *text, int overwrite) {
    char p[1400];
    path_of(p, sizeof p, rel);
    cp_output_options o = folder_opts(overwrite);
    cp_output *tx = NULL;
    cp_status s = cp_output_begin(p, &o, &tx);
    if (s) print_error("%s\n", cp_errmsg());
    assert_int_equal(s, CP_OK);
    char f[1600];
    snprintf(f, sizeof f, "%s/a.txt", cp_output_path(tx));
    cpt_write(f, text);
    snprintf(f, sizeof f, "%s/sub", cp_output_path(tx));
    assert_int_equal(mkdir(f, 0777), 0);
    snprintf(f, sizeof f, "%s/sub/b.txt", cp_output_path(tx));
    cpt_write(f, "b");
    s = cp_output_commit(tx);
    if (s) print_error("%s\n", cp_errmsg());
    assert_int_equal(s, CP_OK);
}

static int setup(void **state) {
    (void)state;
    cpt_tmpdir("output", dir, sizeof dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cpt_rmtree(dir);
    return 0;
}

/* A published folder holds what was written and the manifest; nothing else is left. */
static void test_output_publish_and_manifest(void **state) {
    (void)state;
    publish("out", "one", 0);
    char *a = read_rel("out/a.txt"), *m = read_rel("out/.clearplan");
    assert_string_equal(a, "one");
    cpt_assert_contains(m, "clearplan output 1\ncommand test\n");
    cpt_assert_contains(m, "file a.txt\n");
    cpt_assert_contains(m, "file sub/\n");
    cpt_assert_contains(m, "file sub/b.txt\n");
    assert_null(strstr(m, ".clearplan-lock"));
    free(a), free(m);
    assert_int_equal(cpt_debris(dir), 0);
    /* parent folders are created */
    publish("x/y/z", "deep", 0);
    assert_true(exists_rel("x/y/z/a.txt"));
}

/* Existing outputs: refused without overwrite; replaced with it, GIS caches beside its files
 * go with it; a folder holding anything else is refused and left as it was. */
static void test_output_overwrite_only_own(void **state) {
    (void)state;
    char p[1400];
    path_of(p, sizeof p, "own");
    publish("own", "one", 0);
    cp_output_options o = folder_opts(0);
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "exists; pass --overwrite");
    write_rel("own/a.txt.aux.xml", "<PAMDataset/>");
    publish("own", "two", 1);
    char *a = read_rel("own/a.txt");
    assert_string_equal(a, "two");
    free(a);
    assert_false(exists_rel("own/a.txt.aux.xml"));
    /* a file of the user's inside it: refused, and nothing changes */
    write_rel("own/notes.txt", "mine");
    o = folder_opts(1);
    cp_output *tx = NULL;
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_E_IO);
    assert_null(tx);
    cpt_assert_contains(cp_errmsg(), "1 file clearplan did not write (notes.txt)");
    a = read_rel("own/notes.txt");
    assert_string_equal(a, "mine");
    free(a);
    assert_int_equal(cpt_debris(dir), 0);
    /* a folder without a manifest */
    path_of(p, sizeof p, "theirs");
    assert_int_equal(mkdir(p, 0777), 0);
    write_rel("theirs/data.csv", "x");
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "clearplan did not write it");
    /* a file where a folder would go */
    path_of(p, sizeof p, "theirs/data.csv");
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "exists and is not a folder");
    /* a manifest copied into a folder of the user's proves nothing: refused, the user's file
     * of a listed name untouched */
    publish("src", "x", 0);
    path_of(p, sizeof p, "mine");
    assert_int_equal(mkdir(p, 0777), 0);
    write_rel("mine/a.txt", "my own");
    char *m = read_rel("src/.clearplan");
    write_rel("mine/.clearplan", m);
    free(m);
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "written for another folder");
    a = read_rel("mine/a.txt");
    assert_string_equal(a, "my own");
    free(a);
    /* the output renamed on the same disk is still clearplan's (the folder is the same) */
    char moved[1400];
    path_of(p, sizeof p, "src");
    path_of(moved, sizeof moved, "src-moved");
    assert_int_equal(rename(p, moved), 0);
    publish("src-moved", "y", 1);
    /* a file named "~" in a listed folder is not a cache of that folder: the user's */
    write_rel("src-moved/sub/~", "mine");
    assert_int_equal(cp_output_begin(moved, &o, &tx), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "1 file clearplan did not write (sub/~)");
    assert_int_equal(cpt_debris(dir), 0);
}

/* Symbolic links are never followed: an output that is one is refused; one inside an old
 * output (even under a name the manifest lists) makes it foreign; the target is untouched. */
static void test_output_symlinks(void **state) {
    (void)state;
    char p[1400], t[1400];
    write_rel("precious.txt", "keep");
    path_of(t, sizeof t, "precious.txt");
    publish("lnk", "one", 0);
    path_of(p, sizeof p, "lnk/a.txt");
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink(t, p), 0);
    cp_output_options o = folder_opts(1);
    path_of(p, sizeof p, "lnk");
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "did not write (a.txt)");
    /* -o itself a link to a folder */
    path_of(t, sizeof t, "own2");
    publish("own2", "one", 0);
    path_of(p, sizeof p, "to-own2");
    assert_int_equal(symlink(t, p), 0);
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "symbolic link");
    char *k = read_rel("precious.txt"), *a = read_rel("own2/a.txt");
    assert_string_equal(k, "keep");
    assert_string_equal(a, "one");
    free(k), free(a);
}

/* Places that are never an output: inputs (equal, containing, inside an input folder), the
 * kept folders (equal or containing; inside is fine), root, home and current folder. */
static void test_output_refused_places(void **state) {
    (void)state;
    char in[1400], indir[1400], keep[1400], p[1400], cwd[1400];
    path_of(in, sizeof in, "inputs/h.gpkg");
    path_of(indir, sizeof indir, "inputs/shp");
    path_of(keep, sizeof keep, "inputs");
    path_of(p, sizeof p, "inputs/shp");
    assert_int_equal(system("true"), 0);
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && echo x > '%s'", indir, in);
    assert_int_equal(system(cmd), 0);
    const char *inputs[] = {in, indir, NULL};
    const char *keeps[] = {keep, NULL};
    cp_output_options o = folder_opts(1);
    o.inputs = inputs;
    o.keep_dirs = keeps;
    struct {
        const char *rel, *why;
    } cases[] = {{"inputs/h.gpkg", "is the input"},     {"inputs", "contains the input"},
                 {".", "contains the input"},           {"inputs/shp/out", "lies inside the input"},
                 {"inputs/shp/../shp", "is the input"}, {"inputs//./shp/", "is the input"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        path_of(p, sizeof p, cases[i].rel);
        assert_int_equal(cp_output_check(p, &o), CP_E_IO);
        cpt_assert_contains(cp_errmsg(), cases[i].why);
    }
    path_of(p, sizeof p, "inputs/out"); /* inside the scenario's folder: the default */
    assert_int_equal(cp_output_check(p, &o), CP_OK);
    o.inputs = NULL; /* the kept folder alone */
    assert_int_equal(cp_output_check(keep, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "is the folder");
    path_of(p, sizeof p, ".");
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "contains the folder");
    /* a link to an input is the input */
    path_of(p, sizeof p, "link.gpkg");
    assert_int_equal(symlink(in, p), 0);
    const char *via_link[] = {p, NULL};
    o.inputs = via_link;
    assert_int_equal(cp_output_check(in, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "is the input");
    o.inputs = NULL;
    o.keep_dirs = NULL;
    assert_int_equal(cp_output_check("/", &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "root folder");
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(keep), 0);
    assert_int_equal(cp_output_check(".", &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "current folder");
    assert_int_equal(cp_output_check("..", &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "current folder");
    assert_int_equal(cp_output_check("out", &o), CP_OK);
    const char *home = getenv("HOME");
    char *saved = home ? strdup(home) : NULL;
    setenv("HOME", indir, 1);
    assert_int_equal(cp_output_check(indir, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "home folder");
    assert_int_equal(cp_output_check("~", &o), CP_OK); /* no shell here: a folder named ~ */
    if (saved)
        setenv("HOME", saved, 1);
    else
        unsetenv("HOME");
    free(saved);
    assert_int_equal(chdir(cwd), 0);
    o.kind = CP_OUTPUT_FOLDER;
    assert_int_equal(cp_output_check("/vsimem/x", &o), CP_E_IO);
    /* a path too long for the files inside it: an error, not a truncated name */
    char *lng = malloc(4000);
    memset(lng, 'a', 3999);
    lng[0] = '/', lng[3999] = '\0';
    for (int k = 100; k < 3999; k += 100) lng[k] = '/';
    assert_int_equal(cp_output_check(lng, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "is too long");
    free(lng);
}

/* An output that appears while the command writes is left as it is; the new one is
 * discarded; an output replaced meanwhile by another folder is not swapped out either. */
static void test_output_appeared_meanwhile(void **state) {
    (void)state;
    char p[1400];
    path_of(p, sizeof p, "race");
    cp_output_options o = folder_opts(0);
    cp_output *tx = NULL;
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_OK);
    assert_int_equal(mkdir(p, 0777), 0);
    write_rel("race/theirs.txt", "theirs");
    assert_int_equal(cp_output_commit(tx), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "appeared while clearplan was writing it");
    char *t = read_rel("race/theirs.txt");
    assert_string_equal(t, "theirs");
    free(t);
    assert_int_equal(cpt_debris(dir), 0);
    /* overwrite: the checked output swapped for another folder before the commit */
    publish("race2", "one", 0);
    path_of(p, sizeof p, "race2");
    o = folder_opts(1);
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_OK);
    char q[1400];
    path_of(q, sizeof q, "race2-moved");
    assert_int_equal(rename(p, q), 0);
    assert_int_equal(mkdir(p, 0777), 0);
    write_rel("race2/theirs.txt", "theirs");
    assert_int_equal(cp_output_commit(tx), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "changed while clearplan was writing it");
    t = read_rel("race2/theirs.txt");
    assert_string_equal(t, "theirs");
    free(t);
    /* a link put into the old output after the checks: the commit re-checks */
    publish("race3", "one", 0);
    path_of(p, sizeof p, "race3");
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_OK);
    path_of(q, sizeof q, "race3/notes.txt");
    cpt_write(q, "late");
    assert_int_equal(cp_output_commit(tx), CP_E_IO);
    t = read_rel("race3/notes.txt");
    assert_string_equal(t, "late");
    free(t);
    assert_int_equal(cpt_debris(dir), 0);
}

/* Abort removes what was written and the parent folders it created; single files too. */
static void test_output_abort_and_files(void **state) {
    (void)state;
    char p[1400];
    path_of(p, sizeof p, "new1/new2/out");
    cp_output_options o = folder_opts(0);
    cp_output *tx = NULL;
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_OK);
    char f[1600];
    snprintf(f, sizeof f, "%s/x.bin", cp_output_path(tx));
    cpt_write(f, "partial");
    cp_output_abort(tx);
    assert_false(exists_rel("new1"));
    cp_output_abort(NULL);
    /* a file: published, refused when it exists, replaced only when `owned` says so */
    o.kind = CP_OUTPUT_FILE;
    path_of(p, sizeof p, "f.csv");
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_OK);
    cpt_write(cp_output_path(tx), "v1");
    assert_int_equal(cp_output_commit(tx), CP_OK);
    char *t = read_rel("f.csv");
    assert_string_equal(t, "v1");
    free(t);
    /* it carries clearplan's mark: replaced with --overwrite, no `owned` test needed */
    o.overwrite = 1;
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_OK);
    cp_output_abort(tx);
    t = read_rel("f.csv");
    assert_string_equal(t, "v1");
    free(t);
    assert_int_equal(cpt_debris(dir), 0);
}

static int yes(const char *path, void *arg) {
    (void)path, (void)arg;
    return 1;
}

/* Publishes the file `rel` = text through a transaction (overwrite as given). */
static cp_status publish_file(const char *rel, const char *text, int overwrite) {
    char p[1400];
    path_of(p, sizeof p, rel);
    cp_output_options o = folder_opts(overwrite);
    o.kind = CP_OUTPUT_FILE;
    cp_output *tx = NULL;
    cp_status s = cp_output_begin(p, &o, &tx);
    if (s) return s;
    cpt_write(cp_output_path(tx), text);
    return cp_output_commit(tx);
}

/* A file is replaced only when it is the one clearplan wrote there: it carries the mark of
 * its own inode (a copy of it, even with its attributes, does not), whatever the command's
 * `owned` test says; the caches GIS tools keep beside it go with it, and a new file never
 * lands beside another file's caches. */
static void test_output_file_replace(void **state) {
    (void)state;
    char p[1400], q[1400];
    path_of(p, sizeof p, "g.csv");
    write_rel("g.csv", "old");
    cp_output_options o = folder_opts(1);
    o.kind = CP_OUTPUT_FILE;
    o.owned = yes; /* the command's content test: asked only where no mark can be kept */
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "clearplan did not write it");
    char *t = read_rel("g.csv");
    assert_string_equal(t, "old");
    free(t);

    assert_int_equal(publish_file("h.csv", "one", 0), CP_OK);
    path_of(p, sizeof p, "h.csv");
    char mark[128];
    ssize_t n = lgetxattr(p, "user.clearplan", mark, sizeof mark);
    if (n < 0)
        fail_msg(
            "no mark on <%s>: %s (the tests need a file system with user extended "
            "attributes, as ext4, xfs, btrfs and tmpfs since Linux 6.6 keep)",
            p, strerror(errno));
    write_rel("h.csv.aux.xml", "<PAMDataset/>");
    write_rel("h.csv.ovr", "stale overviews");
    assert_int_equal(publish_file("h.csv", "two", 1), CP_OK);
    t = read_rel("h.csv");
    assert_string_equal(t, "two");
    free(t);
    assert_false(exists_rel("h.csv.aux.xml")); /* the old file's caches: gone */
    assert_false(exists_rel("h.csv.ovr"));
    assert_int_equal(cpt_debris(dir), 0);

    /* a copy with the attributes (cp -a): another inode, not clearplan's file */
    path_of(q, sizeof q, "copy.csv");
    write_rel("copy.csv", "two");
    n = lgetxattr(p, "user.clearplan", mark, sizeof mark);
    assert_true(n > 0);
    assert_int_equal(lsetxattr(q, "user.clearplan", mark, (size_t)n, 0), 0);
    assert_int_equal(publish_file("copy.csv", "three", 1), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "clearplan did not write it");
    t = read_rel("copy.csv");
    assert_string_equal(t, "two");
    free(t);

    /* a new file beside another file's cache: refused, the cache untouched */
    write_rel("k.csv.aux.xml", "<PAMDataset>mine</PAMDataset>");
    assert_int_equal(publish_file("k.csv", "x", 0), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "k.csv.aux.xml");
    assert_false(exists_rel("k.csv"));
    t = read_rel("k.csv.aux.xml");
    assert_string_equal(t, "<PAMDataset>mine</PAMDataset>");
    free(t);

    /* the file is an input of the command: refused whatever `owned` says, also under another
     * name for the same file (a hard link; a bind mount shows the same inode) */
    const char *inputs[] = {p, NULL};
    o.inputs = inputs;
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "is the input");
    path_of(q, sizeof q, "h-link.csv");
    assert_int_equal(link(p, q), 0);
    assert_int_equal(cp_output_check(q, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "is the input");
    assert_int_equal(cpt_debris(dir), 0);

    /* a name as long as a file name may be: its temporary's name still fits */
    char longname[256];
    memset(longname, 'n', 250);
    memcpy(longname + 246, ".csv", 5);
    assert_int_equal(publish_file(longname, "long", 0), CP_OK);
    assert_int_equal(publish_file(longname, "longer", 1), CP_OK);
    t = read_rel(longname);
    assert_string_equal(t, "longer");
    free(t);
    assert_int_equal(cpt_debris(dir), 0);
}

/* The user's file under a name clearplan wrote: an editor's save (a new file renamed over the
 * old one) or a change in place. */
static void replace_rel(const char *rel, const char *text) {
    char p[1400], t[1500];
    path_of(p, sizeof p, rel);
    snprintf(t, sizeof t, "%s.saving", p);
    cpt_write(t, text);
    assert_int_equal(rename(t, p), 0);
}

static void append_rel(const char *rel, const char *text) {
    char p[1400];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "ab");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A file clearplan wrote and the user then changed (saved from an editor, edited in place)
 * is the user's: --overwrite refuses the output that holds it, and it stays as it is.
 * Manifests and marks written before stamps (the inode alone) keep their old meaning. */
static void test_output_changed_files(void **state) {
    (void)state;
    char p[1400];
    cp_output_options o = folder_opts(1);
    cp_output *tx = NULL;
    /* the manifest stamps each file, not its folders */
    publish("ed", "one", 0);
    char *m = read_rel("ed/.clearplan");
    cpt_assert_contains(m, "file a.txt\nstamp ");
    cpt_assert_contains(m, "file sub/b.txt\nstamp ");
    assert_null(strstr(m, "file sub/\nstamp"));
    free(m);
    /* saved over by an editor: another inode */
    replace_rel("ed/a.txt", "my edit");
    path_of(p, sizeof p, "ed");
    assert_int_equal(cp_output_begin(p, &o, &tx), CP_E_IO);
    assert_null(tx);
    cpt_assert_contains(cp_errmsg(),
                        "a file in it changed since clearplan wrote it (a.txt: replaced");
    char *a = read_rel("ed/a.txt");
    assert_string_equal(a, "my edit");
    free(a);
    /* changed in place: the same inode, another size and time */
    publish("ed2", "one", 0);
    append_rel("ed2/sub/b.txt", " and mine");
    path_of(p, sizeof p, "ed2");
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "(sub/b.txt: replaced or edited)");
    a = read_rel("ed2/sub/b.txt");
    assert_string_equal(a, "b and mine");
    free(a);
    /* a stamp that is not one: not a manifest clearplan wrote */
    publish("ed3", "one", 0);
    m = read_rel("ed3/.clearplan");
    char *st = strstr(m, "stamp ");
    assert_non_null(st);
    st[6] = 'x';
    write_rel("ed3/.clearplan", m);
    free(m);
    path_of(p, sizeof p, "ed3");
    assert_int_equal(cp_output_check(p, &o), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "not a manifest clearplan wrote");
    /* a manifest without stamps (written before them): replaced as before */
    publish("old", "one", 0);
    m = read_rel("old/.clearplan");
    for (char *l; (l = strstr(m, "stamp "));) { /* drop every stamp line */
        char *e = strchr(l, '\n');
        memmove(l, e + 1, strlen(e + 1) + 1);
    }
    write_rel("old/.clearplan", m);
    free(m);
    publish("old", "two", 1);
    a = read_rel("old/a.txt");
    assert_string_equal(a, "two");
    free(a);

    /* a file output changed in place (gdal_edit.py, an editor writing in place) */
    assert_int_equal(publish_file("m.csv", "one", 0), CP_OK);
    append_rel("m.csv", ",mine");
    assert_int_equal(publish_file("m.csv", "two", 1), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "changed since clearplan wrote it (edited in place)");
    a = read_rel("m.csv");
    assert_string_equal(a, "one,mine");
    free(a);
    /* unchanged, its mark from before stamps ("<command> <inode>"): replaced as before */
    assert_int_equal(publish_file("n.csv", "one", 0), CP_OK);
    path_of(p, sizeof p, "n.csv");
    struct stat sb;
    assert_int_equal(lstat(p, &sb), 0);
    char mark[64];
    int n = snprintf(mark, sizeof mark, "test %llu", (unsigned long long)sb.st_ino);
    assert_int_equal(lsetxattr(p, "user.clearplan", mark, (size_t)n, 0), 0);
    assert_int_equal(publish_file("n.csv", "two", 1), CP_OK);
    a = read_rel("n.csv");
    assert_string_equal(a, "two");
    free(a);
    assert_int_equal(cpt_debris(dir), 0);
}

/* Debris of a process that is gone (its pid unused, its lock free) is removed by the next
 * transaction on the same output; debris of a live process that holds its lock is not. */
static void test_output_debris(void **state) {
    (void)state;
    /* a child makes a temporary and dies without cleaning up (as SIGKILL would) */
    char p[1400];
    path_of(p, sizeof p, "deb");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cp_output_options o = folder_opts(0);
        cp_output *tx = NULL;
        if (cp_output_begin(p, &o, &tx)) _exit(1);
        char f[1600];
        snprintf(f, sizeof f, "%s/partial.tif", cp_output_path(tx));
        FILE *fp = fopen(f, "wb");
        if (fp) fputs("x", fp), fclose(fp);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(cpt_debris(dir), 1);
    /* a live one: this process holds a lock on another temporary of the same output */
    char live[1600];
    snprintf(live, sizeof live, "%s/.deb.clearplan-tmp-%ld-999", dir, (long)getpid());
    assert_int_equal(mkdir(live, 0777), 0);
    publish("deb", "one", 0);
    assert_int_equal(cpt_debris(dir), 1); /* the live one stays (our own pid) */
    assert_int_equal(rmdir(live), 0);
    assert_int_equal(cpt_debris(dir), 0);
}

static void test_output_identifiers(void **state) {
    (void)state;
    assert_true(cp_name_is_identifier("people_nearby"));
    assert_true(cp_name_is_identifier("_x-2"));
    assert_false(cp_name_is_identifier(""));
    assert_false(cp_name_is_identifier(NULL));
    assert_false(cp_name_is_identifier("../x"));
    assert_false(cp_name_is_identifier("a/b"));
    assert_false(cp_name_is_identifier("-a"));
    assert_false(cp_name_is_identifier("a.tif"));
    assert_false(
        cp_name_is_identifier("a23456789012345678901234567890123456789012345678901234567890123"
                              "45"));
}

int main(void) {
    cp_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_publish_and_manifest),
        cmocka_unit_test(test_output_overwrite_only_own),
        cmocka_unit_test(test_output_symlinks),
        cmocka_unit_test(test_output_refused_places),
        cmocka_unit_test(test_output_appeared_meanwhile),
        cmocka_unit_test(test_output_abort_and_files),
        cmocka_unit_test(test_output_file_replace),
        cmocka_unit_test(test_output_changed_files),
        cmocka_unit_test(test_output_debris),
        cmocka_unit_test(test_output_identifiers),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    cp_shutdown();
    return rc;
}
