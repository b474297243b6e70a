/* Exact coverage fractions: every fraction against GEOS (cell ∩ polygon area), the total
 * against the polygon's area, and the edge cases of cpk/coverage.h. */
#define _POSIX_C_SOURCE 200809L
#include "cp_test.h"

#include <math.h>
#include <time.h>

#include <geos_c.h>

#include "cpk/coverage.h"

#define CP_PI 3.14159265358979323846

/* ---- a polygon builder and a seeded generator ---- */

enum { MAXPTS = 200000, MAXRINGS = 64 };

typedef struct {
    double xy[2 * MAXPTS];
    int64_t ro[MAXRINGS + 1];
    int64_t po[MAXRINGS + 1];
    int64_t nrings, nparts, npts;
} poly_buf;

static void pb_reset(poly_buf *b) {
    b->nrings = b->nparts = b->npts = 0;
    b->ro[0] = 0;
    b->po[0] = 0;
}
/* Starts a ring; `shell` starts a new part. */
static void pb_ring(poly_buf *b, int shell) {
    if (shell) b->nparts++;
    b->nrings++;
    b->ro[b->nrings] = b->npts;
    b->po[b->nparts] = b->nrings;
}
static void pb_pt(poly_buf *b, double x, double y) {
    b->xy[2 * b->npts] = x, b->xy[2 * b->npts + 1] = y;
    b->npts++;
    b->ro[b->nrings] = b->npts;
}
static cpk_polygon pb_poly(const poly_buf *b) {
    cpk_polygon p = {b->xy, b->ro, b->nrings, b->po, b->nparts};
    return p;
}

static uint64_t rng_state;
static double urand(void) { /* splitmix64 -> [0, 1) */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* A star-shaped ring around (cx, cy): n vertices at jittered angles 2pi(k + 0.8u)/n, radii
 * in [rmin, rmax]; clockwise when `cw`. With n >= 5 every edge stays farther than
 * 0.43 rmin from the centre, so a hole of radius < 0.4 rmin lies inside. */
static void star_ring(poly_buf *b, int shell, double cx, double cy, int n, double rmin, double rmax,
                      int cw) {
    static double ang[100000];
    for (int k = 0; k < n; ++k) ang[k] = 2 * CP_PI * (k + 0.8 * urand()) / n;
    pb_ring(b, shell);
    for (int k = 0; k < n; ++k) {
        double a = cw ? -ang[k] : ang[k];
        double r = rmin + (rmax - rmin) * urand();
        pb_pt(b, cx + r * cos(a), cy + r * sin(a));
    }
}

/* ---- the GEOS reference ---- */

static GEOSContextHandle_t gctx;

static GEOSGeometry *ring_geos(const poly_buf *b, int64_t r) {
    int64_t a = b->ro[r], n = b->ro[r + 1] - a;
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(gctx, (unsigned)(n + 1), 2);
    for (int64_t k = 0; k <= n; ++k) {
        int64_t q = a + (k % n);
        GEOSCoordSeq_setXY_r(gctx, cs, (unsigned)k, b->xy[2 * q], b->xy[2 * q + 1]);
    }
    return GEOSGeom_createLinearRing_r(gctx, cs);
}

static GEOSGeometry *poly_geos(const poly_buf *b) {
    GEOSGeometry *parts[MAXRINGS];
    for (int64_t p = 0; p < b->nparts; ++p) {
        int64_t r0 = b->po[p], r1 = b->po[p + 1];
        GEOSGeometry *holes[MAXRINGS];
        for (int64_t r = r0 + 1; r < r1; ++r) holes[r - r0 - 1] = ring_geos(b, r);
        parts[p] = GEOSGeom_createPolygon_r(gctx, ring_geos(b, r0), holes, (unsigned)(r1 - r0 - 1));
    }
    return GEOSGeom_createCollection_r(gctx, GEOS_MULTIPOLYGON, parts, (unsigned)b->nparts);
}

static GEOSGeometry *box_geos(double xa, double ya, double xb, double yb) {
    return GEOSGeom_createRectangle_r(gctx, xa, ya, xb, yb);
}

/* Computes the polygon's window and fractions; checks every cell of the window against
 * GEOS to `tol` (fraction units), that nothing of the polygon inside the grid lies outside
 * the window, and returns Σ fraction × cell area. */
static double check_against_geos(const poly_buf *b, const cpk_geo *g, double tol) {
    cpk_polygon p = pb_poly(b);
    cpk_window w;
    assert_int_equal(cpk_coverage_window(&p, g, &w), CPK_OK);
    double *f = malloc(sizeof(double) * (size_t)(w.nx * w.ny + 1));
    assert_int_equal(cpk_coverage_polygon(&p, g, &w, f), CPK_OK);
    GEOSGeometry *gp = poly_geos(b);
    const GEOSPreparedGeometry *pg = GEOSPrepare_r(gctx, gp);
    double cell = g->dx * g->dy, total = 0.0, worst = 0.0;
    for (int64_t j = 0; j < w.ny; ++j)
        for (int64_t i = 0; i < w.nx; ++i) {
            double xa = g->x0 + (double)(w.col0 + i) * g->dx;
            double yb = g->y0 - (double)(w.row0 + j) * g->dy;
            GEOSGeometry *c = box_geos(xa, yb - g->dy, xa + g->dx, yb);
            double ref = 0.0;
            if (GEOSPreparedIntersects_r(gctx, pg, c)) {
                GEOSGeometry *x = GEOSIntersection_r(gctx, gp, c);
                GEOSArea_r(gctx, x, &ref);
                GEOSGeom_destroy_r(gctx, x);
            }
            GEOSGeom_destroy_r(gctx, c);
            double got = f[j * w.nx + i];
            assert_true(got >= 0.0 && got <= 1.0);
            double d = fabs(got - ref / cell);
            if (d > worst) worst = d;
            if (d > tol) {
                print_error("cell (%lld,%lld): got %.17g, geos %.17g\n", (long long)(w.col0 + i),
                            (long long)(w.row0 + j), got, ref / cell);
                fail();
            }
            total += got * cell;
        }
    /* The polygon's area inside the grid equals the window's total. */
    GEOSGeometry *gb =
        box_geos(g->x0, g->y0 - (double)g->ny * g->dy, g->x0 + (double)g->nx * g->dx, g->y0);
    GEOSGeometry *in = GEOSIntersection_r(gctx, gp, gb);
    double a_in = 0.0;
    GEOSArea_r(gctx, in, &a_in);
    assert_true(fabs(a_in - total) <= 1e-9 * cell * (double)(w.nx + w.ny + 1));
    GEOSGeom_destroy_r(gctx, in);
    GEOSGeom_destroy_r(gctx, gb);
    GEOSPreparedGeom_destroy_r(gctx, pg);
    GEOSGeom_destroy_r(gctx, gp);
    free(f);
    return total;
}

static double shoelace(const poly_buf *b) {
    double total = 0.0;
    for (int64_t p = 0; p < b->nparts; ++p)
        for (int64_t r = b->po[p]; r < b->po[p + 1]; ++r) {
            double a = 0.0;
            int64_t s = b->ro[r], n = b->ro[r + 1] - s;
            for (int64_t k = 0; k < n; ++k) {
                const double *P = b->xy + 2 * (s + k), *Q = b->xy + 2 * (s + (k + 1) % n);
                const double *O = b->xy + 2 * s; /* relative to the first point: precision */
                a += (P[0] - O[0]) * (Q[1] - O[1]) - (Q[0] - O[0]) * (P[1] - O[1]);
            }
            a = fabs(a) / 2;
            total += r == b->po[p] ? a : -a;
        }
    return total;
}

static poly_buf B;

/* ---- tests ---- */

static void test_coverage_aligned_rectangle(void **state) {
    (void)state;
    cpk_geo g = {500000.0, 4000000.0, 30.0, 30.0, 20, 10};
    pb_reset(&B);
    pb_ring(&B, 1);
    /* columns 3..7, rows 2..5, clockwise */
    pb_pt(&B, 500090.0, 3999940.0);
    pb_pt(&B, 500240.0, 3999940.0);
    pb_pt(&B, 500240.0, 3999820.0);
    pb_pt(&B, 500090.0, 3999820.0);
    pb_pt(&B, 500090.0, 3999940.0);
    cpk_polygon p = pb_poly(&B);
    cpk_window w;
    assert_int_equal(cpk_coverage_window(&p, &g, &w), CPK_OK);
    assert_int_equal(w.col0, 3);
    assert_int_equal(w.nx, 5);
    assert_int_equal(w.row0, 2);
    assert_int_equal(w.ny, 4);
    double f[20];
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f), CPK_OK);
    for (int k = 0; k < 20; ++k) assert_true(f[k] == 1.0);
    /* A wider window: exact zeros outside. */
    cpk_window w2 = {0, 0, 20, 10};
    double f2[200];
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w2, f2), CPK_OK);
    for (int j = 0; j < 10; ++j)
        for (int i = 0; i < 20; ++i) {
            int in = i >= 3 && i < 8 && j >= 2 && j < 6;
            assert_true(f2[j * 20 + i] == (in ? 1.0 : 0.0));
        }
    check_against_geos(&B, &g, 1e-12);
}

static void test_coverage_triangles(void **state) {
    (void)state;
    cpk_geo g = {-3.0, 7.0, 1.0, 1.0, 12, 12};
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, -2.5, 6.2);
    pb_pt(&B, 7.3, 4.1);
    pb_pt(&B, 1.2, -3.9);
    double a = check_against_geos(&B, &g, 1e-12);
    assert_true(fabs(a - shoelace(&B)) < 1e-12);
    /* A triangle with all vertices on cell corners (half cells along the diagonal). */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, 0.0, 0.0);
    pb_pt(&B, 5.0, 0.0);
    pb_pt(&B, 0.0, 5.0);
    a = check_against_geos(&B, &g, 1e-13);
    assert_true(fabs(a - 12.5) < 1e-12);
}

static void test_coverage_on_cell_lines(void **state) {
    (void)state;
    cpk_geo g = {0.0, 10.0, 1.0, 1.0, 10, 10};
    /* A diamond through cell corners, an edge along a cell line and a spike. */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, 5.0, 1.0);
    pb_pt(&B, 9.0, 5.0);
    pb_pt(&B, 9.0, 7.0);
    pb_pt(&B, 5.0, 9.0);
    pb_pt(&B, 1.0, 5.0);
    double a = check_against_geos(&B, &g, 1e-13);
    assert_true(fabs(a - shoelace(&B)) < 1e-12);
    cpk_window w = {0, 0, 10, 10};
    double f1[100], f2[100];
    cpk_polygon p = pb_poly(&B);
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f1), CPK_OK);
    /* The same with a zero-area spike back and forth along the line y = 5. */
    pb_pt(&B, 3.5, 5.0);
    pb_pt(&B, 1.0, 5.0);
    p = pb_poly(&B);
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f2), CPK_OK);
    for (int k = 0; k < 100; ++k) assert_true(fabs(f1[k] - f2[k]) < 1e-15);
    /* Edges exactly on the grid's border and on interior lines, with repeated points. */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, 0.0, 0.0);
    pb_pt(&B, 0.0, 0.0);
    pb_pt(&B, 10.0, 0.0);
    pb_pt(&B, 10.0, 10.0);
    pb_pt(&B, 10.0, 10.0);
    pb_pt(&B, 0.0, 10.0);
    pb_ring(&B, 0);
    pb_pt(&B, 2.0, 2.0);
    pb_pt(&B, 2.0, 8.0);
    pb_pt(&B, 8.0, 8.0);
    pb_pt(&B, 8.0, 2.0);
    a = check_against_geos(&B, &g, 0.0);
    assert_true(a == 64.0);
}

static void test_coverage_tiny_polygons(void **state) {
    (void)state;
    cpk_geo g = {1000.0, 2000.0, 10.0, 10.0, 8, 8};
    rng_state = 7;
    for (int t = 0; t < 200; ++t) {
        pb_reset(&B);
        double cx = 1000.0 + 80.0 * urand(), cy = 1920.0 + 80.0 * urand();
        double r = t < 100 ? 0.5 * urand() : 3.0 * urand(); /* well under a cell */
        if (t % 10 == 0) cx = 1040.0, cy = 1960.0;          /* around a cell corner */
        star_ring(&B, 1, cx, cy, 3 + t % 9, r * 0.2, r + 1e-6, t & 1);
        double a = check_against_geos(&B, &g, 1e-9);
        double s = shoelace(&B);
        if (cx - r > 1000.0 && cx + r < 1080.0 && cy - r > 1920.0 && cy + r < 2000.0)
            assert_true(fabs(a - s) <= 1e-9 * 100.0);
    }
}

static void test_coverage_random_stars(void **state) {
    (void)state;
    rng_state = 20240611;
    for (int t = 0; t < 120; ++t) {
        cpk_geo g = {400000.0 + 1000.0 * urand(),
                     6000000.0 + 1000.0 * urand(),
                     5.0 + 40.0 * urand(),
                     5.0 + 40.0 * urand(),
                     40,
                     30};
        pb_reset(&B);
        int parts = 1 + t % 3;
        for (int p = 0; p < parts; ++p) {
            /* Some polygons stick out of the grid (clipped). */
            double cx = g.x0 + g.dx * (-5.0 + 50.0 * urand());
            double cy = g.y0 - g.dy * (-5.0 + 40.0 * urand());
            double r = (0.3 + 4.7 * urand()) * g.dx;
            /* keep parts disjoint: shift each part far from the previous ones */
            cx = g.x0 + g.dx * (5.0 + 13.0 * p + 2.0 * urand());
            if (t % 4 == 0) cx -= 8.0 * g.dx;
            star_ring(&B, 1, cx, cy, 5 + (int)(60 * urand()), 0.5 * r, r, (t + p) & 1);
            if (t % 2 == 0)
                star_ring(&B, 0, cx, cy, 3 + (int)(20 * urand()), 0.05 * r, 0.19 * r, t & 2);
        }
        double a = check_against_geos(&B, &g, 1e-9);
        (void)a;
    }
}

static void test_coverage_area_inside_grid(void **state) {
    (void)state;
    rng_state = 99;
    cpk_geo g = {300000.0, 5000000.0, 30.0, 30.0, 400, 400};
    for (int t = 0; t < 40; ++t) {
        pb_reset(&B);
        double cx = 306000.0, cy = 4994000.0, r = 100.0 + 5000.0 * urand();
        star_ring(&B, 1, cx, cy, 5 + (int)(500 * urand()), 0.6 * r, r, t & 1);
        star_ring(&B, 0, cx, cy, 3 + (int)(50 * urand()), 0.05 * r, 0.23 * r, !(t & 1));
        cpk_polygon p = pb_poly(&B);
        cpk_window w;
        assert_int_equal(cpk_coverage_window(&p, &g, &w), CPK_OK);
        double *f = malloc(sizeof(double) * (size_t)(w.nx * w.ny));
        assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f), CPK_OK);
        double total = 0.0;
        for (int64_t k = 0; k < w.nx * w.ny; ++k) total += f[k];
        total *= 900.0;
        double s = shoelace(&B);
        if (!(fabs(total - s) <= 1e-9 * 900.0 * (double)(w.nx + w.ny)))
            print_error("t=%d total %.17g shoelace %.17g\n", t, total, s);
        assert_true(fabs(total - s) <= 1e-9 * 900.0 * (double)(w.nx + w.ny));
        free(f);
    }
}

static void test_coverage_partly_outside(void **state) {
    (void)state;
    cpk_geo g = {0.0, 0.0, 2.0, 3.0, 5, 4}; /* x in [0,10], y in [-12,0] */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, -7.3, 3.1);
    pb_pt(&B, 13.9, 1.7);
    pb_pt(&B, 6.1, -20.2);
    pb_pt(&B, -1.0, -5.5);
    check_against_geos(&B, &g, 1e-12);
    /* Covers the whole grid: every fraction is 1. */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, -100.0, -100.0);
    pb_pt(&B, 100.0, -90.0);
    pb_pt(&B, 50.0, 100.0);
    cpk_polygon p = pb_poly(&B);
    cpk_window w;
    assert_int_equal(cpk_coverage_window(&p, &g, &w), CPK_OK);
    assert_int_equal(w.nx * w.ny, 20);
    double f[20];
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f), CPK_OK);
    for (int k = 0; k < 20; ++k) assert_true(f[k] == 1.0);
    /* Entirely outside: empty window. */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, 20.0, 1.0);
    pb_pt(&B, 30.0, 1.0);
    pb_pt(&B, 30.0, 5.0);
    assert_int_equal(cpk_coverage_window(&p, &g, &w), CPK_OK);
    assert_int_equal(w.nx * w.ny, 0);
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, NULL), CPK_OK);
}

static void test_coverage_multipolygon_orientation(void **state) {
    (void)state;
    cpk_geo g = {0.0, 20.0, 1.0, 1.0, 20, 20};
    for (int o = 0; o < 4; ++o) {
        pb_reset(&B);
        /* part 1: square with a square hole */
        pb_ring(&B, 1);
        double sq[4][2] = {{1.5, 1.5}, {9.5, 1.5}, {9.5, 9.5}, {1.5, 9.5}};
        for (int k = 0; k < 4; ++k) pb_pt(&B, sq[o & 1 ? 3 - k : k][0], sq[o & 1 ? 3 - k : k][1]);
        pb_ring(&B, 0);
        double h[4][2] = {{3.25, 3.25}, {6.75, 3.25}, {6.75, 7.1}, {3.25, 7.1}};
        for (int k = 0; k < 4; ++k) pb_pt(&B, h[o & 2 ? 3 - k : k][0], h[o & 2 ? 3 - k : k][1]);
        /* part 2: a triangle */
        pb_ring(&B, 1);
        pb_pt(&B, 12.2, 12.2);
        pb_pt(&B, 19.0, 13.7);
        pb_pt(&B, 14.4, 18.8);
        double a = check_against_geos(&B, &g, 1e-12);
        assert_true(fabs(a - shoelace(&B)) < 1e-11);
    }
}

static void test_coverage_degenerate(void **state) {
    (void)state;
    cpk_geo g = {0.0, 10.0, 1.0, 1.0, 10, 10};
    cpk_window w = {0, 0, 10, 10};
    double f[100];
    /* empty polygon */
    cpk_polygon e = {NULL, NULL, 0, NULL, 0};
    cpk_window we;
    assert_int_equal(cpk_coverage_window(&e, &g, &we), CPK_OK);
    assert_int_equal(we.nx * we.ny, 0);
    assert_int_equal(cpk_coverage_polygon(&e, &g, &w, f), CPK_OK);
    for (int k = 0; k < 100; ++k) assert_true(f[k] == 0.0);
    /* two-point ring, a collinear ring and a valid ring */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, 1.0, 1.0);
    pb_pt(&B, 5.0, 5.0);
    pb_ring(&B, 1);
    pb_pt(&B, 1.0, 1.0);
    pb_pt(&B, 3.0, 3.0);
    pb_pt(&B, 7.0, 7.0);
    pb_pt(&B, 1.0, 1.0);
    pb_ring(&B, 1);
    pb_pt(&B, 2.0, 2.0);
    pb_pt(&B, 4.0, 2.0);
    pb_pt(&B, 4.0, 4.0);
    cpk_polygon p = pb_poly(&B);
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f), CPK_OK);
    double s = 0;
    for (int k = 0; k < 100; ++k) s += f[k];
    assert_true(fabs(s - 2.0) < 1e-14);
    /* invalid arguments */
    assert_int_equal(cpk_coverage_polygon(NULL, &g, &w, f), CPK_E_ARG);
    assert_int_equal(cpk_coverage_polygon(&p, NULL, &w, f), CPK_E_ARG);
    cpk_window bad = {5, 5, 6, 1};
    assert_int_equal(cpk_coverage_polygon(&p, &g, &bad, f), CPK_E_ARG);
    cpk_geo g0 = g;
    g0.dx = 0.0;
    assert_int_equal(cpk_coverage_window(&p, &g0, &we), CPK_E_ARG);
    B.xy[3] = NAN;
    assert_int_equal(cpk_coverage_window(&p, &g, &we), CPK_E_ARG);
    B.xy[3] = 5.0;
    int64_t ro_bad[4] = {0, 2, 1, 9};
    cpk_polygon pb = p;
    pb.ring_offsets = ro_bad;
    assert_int_equal(cpk_coverage_polygon(&pb, &g, &w, f), CPK_E_ARG);
    /* an absurdly far vertex: no overflow, fractions stay in [0, 1], the near part is kept */
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, 1.0, 1.0);
    pb_pt(&B, 1e300, 1.0);
    pb_pt(&B, 1.0, 9.0);
    p = pb_poly(&B);
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f), CPK_OK);
    for (int k = 0; k < 100; ++k) assert_true(f[k] >= 0.0 && f[k] <= 1.0);
    assert_true(f[5 * 10 + 1] == 1.0); /* cell (1, 5) is inside */
    /* 1x1 grid */
    cpk_geo g1 = {0.0, 1.0, 1.0, 1.0, 1, 1};
    pb_reset(&B);
    pb_ring(&B, 1);
    pb_pt(&B, 0.25, 0.25);
    pb_pt(&B, 2.0, 0.25);
    pb_pt(&B, 0.25, 2.0);
    check_against_geos(&B, &g1, 1e-14);
}

/* The fractions of a row do not depend on the window's rows (strips), bit for bit. */
static void test_coverage_strip_rows_identical(void **state) {
    (void)state;
    rng_state = 5;
    cpk_geo g = {612345.67, 3456789.01, 29.7, 31.3, 300, 300};
    for (int t = 0; t < 30; ++t) {
        pb_reset(&B);
        double cx = g.x0 + g.dx * 150.0 * (0.3 + urand()),
               cy = g.y0 - g.dy * 150.0 * (0.3 + urand());
        double r = g.dx * (2.0 + 120.0 * urand());
        star_ring(&B, 1, cx, cy, 5 + (int)(300 * urand()), 0.3 * r, r, t & 1);
        star_ring(&B, 0, cx, cy, 3 + (int)(30 * urand()), 0.02 * r, 0.11 * r, t & 1);
        cpk_polygon p = pb_poly(&B);
        cpk_window w;
        assert_int_equal(cpk_coverage_window(&p, &g, &w), CPK_OK);
        double *whole = malloc(sizeof(double) * (size_t)(w.nx * w.ny));
        double *part = malloc(sizeof(double) * (size_t)(w.nx * w.ny));
        assert_int_equal(cpk_coverage_polygon(&p, &g, &w, whole), CPK_OK);
        int64_t strip = 1 + (int64_t)(urand() * 17);
        for (int64_t r0 = w.row0; r0 < w.row0 + w.ny; r0 += strip) {
            cpk_window s = w;
            s.row0 = r0;
            s.ny = r0 + strip <= w.row0 + w.ny ? strip : w.row0 + w.ny - r0;
            assert_int_equal(cpk_coverage_polygon(&p, &g, &s, part), CPK_OK);
            assert_memory_equal(part, whole + (r0 - w.row0) * w.nx,
                                sizeof(double) * (size_t)(s.nx * s.ny));
        }
        free(whole);
        free(part);
    }
}

/* A circle of 100,000 vertices over ~4,000 x 4,000 cells: linear cost, exact total. */
static void test_coverage_large_polygon(void **state) {
    (void)state;
    cpk_geo g = {0.0, 120000.0, 30.0, 30.0, 4000, 4000};
    pb_reset(&B);
    pb_ring(&B, 1);
    int n = 100000;
    for (int k = 0; k < n; ++k) {
        double a = 2 * CP_PI * k / n;
        pb_pt(&B, 60000.0 + 59000.0 * cos(a), 60000.0 + 59000.0 * sin(a));
    }
    cpk_polygon p = pb_poly(&B);
    cpk_window w;
    assert_int_equal(cpk_coverage_window(&p, &g, &w), CPK_OK);
    double *f = malloc(sizeof(double) * (size_t)(w.nx * w.ny));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cpk_coverage_polygon(&p, &g, &w, f), CPK_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double total = 0.0;
    for (int64_t k = 0; k < w.nx * w.ny; ++k) total += f[k];
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    print_message("    %lld x %lld window in %.3f s\n", (long long)w.nx, (long long)w.ny, secs);
    assert_true(fabs(total * 900.0 - shoelace(&B)) < 1e-6 * shoelace(&B) * 1e-3);
    free(f);
}

static int setup(void **state) {
    (void)state;
    gctx = GEOS_init_r();
    return 0;
}
static int teardown(void **state) {
    (void)state;
    GEOS_finish_r(gctx);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coverage_aligned_rectangle),
        cmocka_unit_test(test_coverage_triangles),
        cmocka_unit_test(test_coverage_on_cell_lines),
        cmocka_unit_test(test_coverage_tiny_polygons),
        cmocka_unit_test(test_coverage_random_stars),
        cmocka_unit_test(test_coverage_area_inside_grid),
        cmocka_unit_test(test_coverage_partly_outside),
        cmocka_unit_test(test_coverage_multipolygon_orientation),
        cmocka_unit_test(test_coverage_degenerate),
        cmocka_unit_test(test_coverage_strip_rows_identical),
        cmocka_unit_test(test_coverage_large_polygon),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
