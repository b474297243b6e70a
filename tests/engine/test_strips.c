/* The strip engine (engine/src/strips.h): every row of a range once, in order, with the rows
 * each input needs around it; carried inputs get the halo above on a range's first strip
 * only; the window keeps rows between strips (each row read once); strip heights from the
 * budget. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "strips.h"

enum { NX = 7 };

/* A row source whose row r holds r + column / 100, and counts the rows it is asked for. */
typedef struct {
    int64_t ny;
    int64_t reads; /* rows read */
    unsigned char *seen;
} source;

static cp_status read_rows(void *arg, int64_t row0, int64_t nrows, float *buf) {
    source *s = arg;
    if (row0 < 0 || row0 + nrows > s->ny) return cp_fail(CP_E_INTERNAL, "bad read");
    for (int64_t r = 0; r < nrows; ++r) {
        s->seen[row0 + r]++;
        for (int i = 0; i < NX; ++i) buf[r * NX + i] = (float)(row0 + r) + (float)i / 100.0f;
    }
    s->reads += nrows;
    return CP_OK;
}

typedef struct {
    cp_strip_input *in;
    int64_t yb, next; /* the range's first row, the row the next strip must start at */
    int64_t strips;
    int bad;
} visit;

/* Checks the window of the strip: the rows it must hold, with their values. */
static cp_status check_strip(void *arg, int64_t y0, int64_t h) {
    visit *v = arg;
    const cp_strip_input *in = v->in;
    v->bad |= y0 != v->next || h < 1;
    v->next = y0 + h;
    v->strips++;
    int64_t ny = ((source *)in->src)->ny;
    int64_t above = in->carried && y0 > v->yb ? in->halo_above : in->halo;
    int64_t want0 = y0 - above > 0 ? y0 - above : 0;
    int64_t want1 = y0 + h + in->halo < ny ? y0 + h + in->halo : ny;
    v->bad |= in->win.v0 > want0 || in->win.v1 < want1;
    for (int64_t r = in->win.v0; r < in->win.v1; ++r)
        for (int i = 0; i < NX; ++i)
            v->bad |= in->win.buf[(r - in->win.v0) * NX + i] != (float)r + (float)i / 100.0f;
    return CP_OK;
}

static void run_case(int64_t ny, int64_t rows, int64_t halo, int carried, int64_t halo_above,
                     int64_t yb, int64_t ye) {
    source s = {ny, 0, calloc((size_t)ny, 1)};
    cp_strip_input in = {
        .read = read_rows, .src = &s, .halo = halo, .carried = carried, .halo_above = halo_above};
    visit v = {&in, ye > yb ? yb : 0, ye > yb ? yb : 0, 0, 0};
    cp_strip_loop loop = {.nx = NX,
                          .ny = ny,
                          .y_begin = yb,
                          .y_end = ye,
                          .rows = rows,
                          .inputs = &in,
                          .ninputs = 1,
                          .strip = check_strip,
                          .arg = &v};
    int n = 0;
    assert_int_equal(cp_strips_run(&loop, &n), CP_OK);
    int64_t b = ye > yb ? yb : 0, e = ye > yb ? ye : ny;
    assert_false(v.bad);
    assert_int_equal(v.next, e); /* every row of the range, in order */
    assert_int_equal(n, v.strips);
    assert_int_equal(v.strips, (e - b + rows - 1) / rows);
    /* each row read at most once, and only those the strips need */
    int64_t lo = b - halo > 0 ? b - halo : 0, hi = e + halo < ny ? e + halo : ny;
    for (int64_t r = 0; r < ny; ++r) assert_int_equal(s.seen[r], r >= lo && r < hi);
    free(s.seen);
}

static void test_strips_rows_and_halos(void **state) {
    (void)state;
    const int64_t heights[] = {1, 3, 10, 50};
    for (size_t k = 0; k < 4; ++k) {
        run_case(50, heights[k], 0, 0, 0, 0, 0);
        run_case(50, heights[k], 4, 0, 0, 0, 0);   /* halo above and below */
        run_case(50, heights[k], 4, 1, 0, 0, 0);   /* carried: none above after the first */
        run_case(50, heights[k], 6, 1, 2, 0, 0);   /* carried, with a smaller halo above */
        run_case(50, heights[k], 6, 1, 2, 17, 41); /* a range from row 17: its halo above */
        run_case(50, heights[k], 60, 0, 0, 5, 9);  /* a halo larger than the grid */
        run_case(50, heights[k], 60, 1, 0, 30, 50);
    }
}

/* The window of a carried input is smaller: it holds no halo above after the first strip. */
typedef struct {
    const cp_strip_input *in;
    int64_t cap;
} window_seen;

static cp_status window_size(void *arg, int64_t y0, int64_t h) {
    (void)y0, (void)h;
    window_seen *w = arg;
    w->cap = w->in->win.cap_rows;
    return CP_OK;
}

static void test_strips_carried_window_is_smaller(void **state) {
    (void)state;
    source s = {400, 0, calloc(400, 1)};
    int64_t cap[2];
    for (int carried = 0; carried < 2; ++carried) {
        cp_strip_input in = {.read = read_rows, .src = &s, .halo = 30, .carried = carried};
        window_seen w = {&in, 0};
        cp_strip_loop loop = {.nx = NX,
                              .ny = 400,
                              .rows = 20,
                              .inputs = &in,
                              .ninputs = 1,
                              .strip = window_size,
                              .arg = &w};
        assert_int_equal(cp_strips_run(&loop, NULL), CP_OK);
        cap[carried] = w.cap;
    }
    assert_int_equal(cap[0], 20 + 2 * 30);
    assert_int_equal(cap[1], 20 + 30);
    free(s.seen);
}

static void test_strips_bad_loop(void **state) {
    (void)state;
    cp_strip_loop loop = {.nx = NX, .ny = 10, .y_begin = 3, .y_end = 11, .rows = 2};
    assert_int_equal(cp_strips_run(&loop, NULL), CP_E_INTERNAL); /* range past the grid */
    loop.y_end = 5;
    loop.rows = 0;
    assert_int_equal(cp_strips_run(&loop, NULL), CP_E_INTERNAL);
}

static void test_strips_rows_from_budget(void **state) {
    (void)state;
    /* (1000 - 100) / 10 = 90 rows, rounded down to a multiple of 16 */
    assert_int_equal(cp_strip_rows(1000, 100, 10, 16, 1000), 80);
    assert_int_equal(cp_strip_rows(1000, 100, 10, 1, 1000), 90);
    assert_int_equal(cp_strip_rows(1000, 100, 10, 1, 50), 50);     /* at most the grid */
    assert_int_equal(cp_strip_rows(100, 1000, 10, 16, 1000), 1);   /* at least one */
    assert_int_equal(cp_strip_rows(1000, 100, 10, 128, 1000), 90); /* no multiple fits */
}

static void test_strips_rows_capped(void **state) {
    (void)state;
    const size_t demo_row = 195000; /* the demo's strip row: 3,000 cells of 65 bytes */
    const int64_t cached = (int64_t)(CP_STRIP_CACHE_BYTES / demo_row);
    assert_true(cached > 300 && cached < 400);
    assert_int_equal(cp_strip_rows_cap(1024, 33, demo_row, 1), cached); /* the caches' rows */
    assert_int_equal(cp_strip_rows_cap(200, 33, demo_row, 1), 200);     /* under the cap */
    assert_int_equal(cp_strip_rows_cap(9000, 33, 2390050, 1), 330);     /* ten halos */
    assert_int_equal(cp_strip_rows_cap(9000, 33, 2390050, 512), 512);   /* rounded up */
    assert_int_equal(cp_strip_rows_cap(9000, 0, 0, 1), 9000);           /* no row size: no cap */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strips_rows_and_halos),
        cmocka_unit_test(test_strips_carried_window_is_smaller),
        cmocka_unit_test(test_strips_bad_loop),
        cmocka_unit_test(test_strips_rows_from_budget),
        cmocka_unit_test(test_strips_rows_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
