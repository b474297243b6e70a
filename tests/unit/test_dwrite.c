/* The direct writer (engine/io/dwrite.h): every byte of every job lands where it was given,
 * whatever the job's alignment and size (under a page, across pages, over the staging
 * buffer), and no byte outside the jobs changes (a GeoTIFF's header and tags share pages with
 * its first and last cells); contiguous runs, gaps and jobs out of order; a failed write is an
 * error naming the file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "dwrite.h"
#include "error.h"

enum { SIZE = 21 * 1000 * 1000 + 77 }; /* over two 8 MB stages, not a whole page */

static char path[4096];

static unsigned char *file_bytes(void) {
    unsigned char *b = malloc(SIZE);
    assert_non_null(b);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, b, SIZE, 0), SIZE);
    close(fd);
    return b;
}

/* A file of SIZE bytes of 0xAA: what the writer must not touch. */
static void make_file(void) {
    const char *tmp = getenv("CP_TEST_TMP");
    snprintf(path, sizeof path, "%s/dwrite-%d.bin", tmp ? tmp : "/tmp", (int)getpid());
    unsigned char *b = malloc(SIZE);
    assert_non_null(b);
    memset(b, 0xAA, SIZE);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, SIZE), SIZE);
    close(fd);
    free(b);
}

/* Writes jobs [at[k], at[k] + n[k]) of a pattern through the writer, then checks the file:
 * the pattern inside the jobs, 0xAA elsewhere. `shift` places the pattern in memory: 0, on
 * pages as in the file (written from where it is); else off them (copied). */
static void write_once(const int64_t *at, const size_t *n, size_t njobs, size_t shift) {
    make_file();
    void *mem = NULL;
    assert_int_equal(posix_memalign(&mem, 4096, SIZE + shift), 0);
    unsigned char *src = (unsigned char *)mem + shift;
    for (size_t i = 0; i < SIZE; ++i) src[i] = (unsigned char)(i * 2654435761u >> 13);
    cp_dwriter *w = NULL;
    assert_int_equal(cp_dwriter_open(path, &w), CP_OK);
    if (!w)
        fail_msg("<%s>: its file system refuses O_DIRECT; the test needs one that takes it", path);
    for (size_t k = 0; k < njobs; ++k)
        assert_int_equal(cp_dwriter_submit(w, at[k], src + at[k], n[k]), CP_OK);
    assert_int_equal(cp_dwriter_finish(w), CP_OK);
    unsigned char *got = file_bytes();
    unsigned char *want = malloc(SIZE);
    assert_non_null(want);
    memset(want, 0xAA, SIZE);
    for (size_t k = 0; k < njobs; ++k) memcpy(want + at[k], src + at[k], n[k]);
    for (size_t i = 0; i < SIZE; ++i)
        if (got[i] != want[i]) fail_msg("byte %zu: %#x, want %#x", i, got[i], want[i]);
    free(got);
    free(want);
    free(mem);
    unlink(path);
}

static void write_and_check(const int64_t *at, const size_t *n, size_t njobs) {
    write_once(at, n, njobs, 0);
    write_once(at, n, njobs, 8);
}

/* A GeoTIFF's cells: from an odd offset to near the end, in strips of rows of 40,000 bytes
 * (not a page), the last strip short. */
static void test_dwrite_strips(void **state) {
    (void)state;
    int64_t at[64];
    size_t n[64], k = 0;
    const int64_t begin = 60454, end = SIZE - 1234, strip = 40000 * 37;
    for (int64_t a = begin; a < end; a += strip) {
        at[k] = a;
        n[k++] = (size_t)(a + strip < end ? strip : end - a);
    }
    write_and_check(at, n, k);
}

/* Tiny jobs inside one page, jobs that end on a page boundary, one over the whole stage. */
static void test_dwrite_odd_sizes(void **state) {
    (void)state;
    int64_t at[] = {5, 9, 4000, 4096, 8191, 8192, 8193, 12288};
    size_t n[8];
    for (int k = 0; k < 7; ++k) n[k] = (size_t)(at[k + 1] - at[k]);
    n[7] = (size_t)9 << 20;
    write_and_check(at, n, 8);
}

/* Gaps between runs and runs out of order: each run's own bytes only. */
static void test_dwrite_gaps_and_order(void **state) {
    (void)state;
    int64_t at[] = {10000000, 3, 4096 * 3 + 17, 4096 * 3 + 1000, 9000000, 20000000};
    size_t n[] = {500000, 4000, 983, 1 << 20, 1000000, 1000000};
    write_and_check(at, n, 6);
}

/* A write the kernel refuses (beyond the file size limit: EFBIG): an I/O error naming the
 * file and the reason, at the latest at finish. */
static void test_dwrite_error_names_file(void **state) {
    (void)state;
    make_file();
    cp_dwriter *w = NULL;
    assert_int_equal(cp_dwriter_open(path, &w), CP_OK);
    assert_non_null(w);
    struct rlimit was;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    struct rlimit small = {1 << 20, was.rlim_max};
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    static unsigned char buf[3 << 20];
    cp_status s = cp_dwriter_submit(w, 4096 * 3 + 5, buf, sizeof buf);
    cp_status f = cp_dwriter_finish(w);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    assert_true(s == CP_E_IO || f == CP_E_IO);
    assert_non_null(strstr(cp_errmsg(), path));
    assert_non_null(strstr(cp_errmsg(), strerror(EFBIG)));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dwrite_strips),
        cmocka_unit_test(test_dwrite_odd_sizes),
        cmocka_unit_test(test_dwrite_gaps_and_order),
        cmocka_unit_test(test_dwrite_error_names_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
