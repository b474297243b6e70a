/* libFuzzer target: bytes -> a polygon (rings decoded from the bytes) -> exact coverage
 * fractions on a small grid (cpk_coverage_window + cpk_coverage_polygon), with the kernel's
 * documented invariants asserted:
 *   - the window lies inside the grid; every fraction is finite and in [0, 1];
 *   - the fractions of a window do not depend on its rows (strips are bit-identical);
 *   - cells outside the polygon's window have fraction 0;
 *   - for a polygon GEOS calls valid, sum(fraction x cell area) = area(polygon ∩ grid).
 *
 * Input layout:
 *   byte 0, 1   grid columns, rows (1 + b % 12)
 *   byte 2      flags: bit 0 raw doubles, bit 1 pass part offsets, bits 2-4 cell size
 *   byte 3      cell size of y (bits 0-2), x0 offset (bits 3-7)
 *   then, in integer mode, points as two little-endian int16 (x, y) scaled to about four grid
 *   widths around the grid; x == INT16_MIN ends the ring (y odd: the part too);
 *   in raw mode, a byte n then n points as two raw little-endian doubles (NaN, inf, 1e300...),
 *   one ring per group, all in one part. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <geos_c.h>

#include <cpk/coverage.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_POINTS = 2048, MAX_RINGS = 64 };

#define CHECK(c)                    \
    do {                            \
        if (!(c)) __builtin_trap(); \
    } while (0)

static GEOSContextHandle_t geos;

static void geos_quiet(const char *fmt, ...) {
    (void)fmt;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    geos = GEOS_init_r();
    GEOSContext_setNoticeHandler_r(geos, geos_quiet);
    GEOSContext_setErrorHandler_r(geos, geos_quiet);
    return 0;
}

static const double cell_sizes[8] = {1.0, 0.5, 30.0, 0.1, 3.7, 100.0, 1e-3, 7.25};

typedef struct {
    double xy[2 * MAX_POINTS];
    int64_t ring_off[MAX_RINGS + 1];
    int64_t part_off[MAX_RINGS + 1];
    int64_t nrings, nparts, npoints;
} rings;

/* Ends the current ring (if it has points) and, when `part`, the current part. */
static void end_ring(rings *r, int part) {
    if (r->npoints > r->ring_off[r->nrings] && r->nrings < MAX_RINGS) {
        r->ring_off[++r->nrings] = r->npoints;
    } else {
        r->npoints = r->ring_off[r->nrings]; /* drop an empty or overflowing ring */
    }
    if (part && r->nrings > r->part_off[r->nparts]) r->part_off[++r->nparts] = r->nrings;
}

static uint64_t rd(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

/* A GEOS polygon of part p (shell + holes), closing each ring, moved by (-ox, -oy) so that
 * GEOS computes with small coordinates (the move is exact for points near the grid, while
 * GEOS's intersection at 2e6 m with 1 mm cells loses 1e-7 of the area); NULL when GEOS
 * refuses. */
static GEOSGeometry *geos_part(const rings *r, int64_t p, double ox, double oy) {
    int64_t r0 = r->part_off[p], r1 = r->part_off[p + 1];
    GEOSGeometry *lr[MAX_RINGS];
    int n = 0;
    for (int64_t k = r0; k < r1; ++k) {
        int64_t a = r->ring_off[k], b = r->ring_off[k + 1], m = b - a;
        int closed = m > 0 && r->xy[2 * a] == r->xy[2 * (b - 1)] &&
                     r->xy[2 * a + 1] == r->xy[2 * (b - 1) + 1];
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(geos, (unsigned)(m + !closed), 2);
        for (int64_t i = 0; i < m; ++i)
            GEOSCoordSeq_setXY_r(geos, cs, (unsigned)i, r->xy[2 * (a + i)] - ox,
                                 r->xy[2 * (a + i) + 1] - oy);
        if (!closed)
            GEOSCoordSeq_setXY_r(geos, cs, (unsigned)m, r->xy[2 * a] - ox, r->xy[2 * a + 1] - oy);
        GEOSGeometry *g = GEOSGeom_createLinearRing_r(geos, cs); /* takes cs */
        if (!g) {
            for (int i = 0; i < n; ++i) GEOSGeom_destroy_r(geos, lr[i]);
            return NULL;
        }
        lr[n++] = g;
    }
    if (n == 0) return NULL;
    return GEOSGeom_createPolygon_r(geos, lr[0], n > 1 ? lr + 1 : NULL, (unsigned)(n - 1));
}

/* area(polygon ∩ grid) when GEOS calls the polygon valid; -1 otherwise. */
static double valid_area_in_grid(const rings *r, const cpk_geo *g) {
    if (r->nparts == 0) return 0;
    GEOSGeometry *parts[MAX_RINGS];
    int64_t n = 0;
    for (int64_t p = 0; p < r->nparts; ++p) {
        GEOSGeometry *pg = geos_part(r, p, g->x0, g->y0);
        if (!pg) {
            for (int64_t i = 0; i < n; ++i) GEOSGeom_destroy_r(geos, parts[i]);
            return -1;
        }
        parts[n++] = pg;
    }
    GEOSGeometry *mp = GEOSGeom_createCollection_r(geos, GEOS_MULTIPOLYGON, parts, (unsigned)n);
    double area = -1;
    if (mp && GEOSisValid_r(geos, mp) == 1) {
        double x1 = (double)g->nx * g->dx, y1 = -(double)g->ny * g->dy;
        GEOSGeometry *box = GEOSGeom_createRectangle_r(geos, 0.0, y1, x1, 0.0);
        GEOSGeometry *cut = box ? GEOSIntersection_r(geos, mp, box) : NULL;
        if (cut && GEOSArea_r(geos, cut, &area) != 1) area = -1;
        GEOSGeom_destroy_r(geos, cut);
        GEOSGeom_destroy_r(geos, box);
    }
    GEOSGeom_destroy_r(geos, mp);
    return area;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    static rings r;
    memset(&r, 0, sizeof r);
    cpk_geo g;
    g.nx = 1 + data[0] % 12;
    g.ny = 1 + data[1] % 12;
    int raw = data[2] & 1, use_parts = data[2] >> 1 & 1;
    g.dx = cell_sizes[data[2] >> 2 & 7];
    g.dy = cell_sizes[data[3] & 7];
    g.x0 = (double)(data[3] >> 3) * 1000.0 - 3000.0;
    g.y0 = 2e6 + (double)g.ny * g.dy;
    const double w = (double)g.nx * g.dx, h = (double)g.ny * g.dy;
    size_t i = 4;
    if (!raw) {
        for (; i + 4 <= size && r.npoints < MAX_POINTS; i += 4) {
            int16_t x = (int16_t)rd(data + i, 2), y = (int16_t)rd(data + i + 2, 2);
            if (x == INT16_MIN) {
                end_ring(&r, y & 1);
                continue;
            }
            r.xy[2 * r.npoints] = g.x0 + w * 0.5 + (double)x * w / 8192.0;
            r.xy[2 * r.npoints + 1] = g.y0 - h * 0.5 + (double)y * h / 8192.0;
            ++r.npoints;
        }
        end_ring(&r, 1);
    } else {
        while (i < size && r.nrings < MAX_RINGS) {
            size_t n = data[i++];
            for (size_t k = 0; k < n && i + 16 <= size && r.npoints < MAX_POINTS; ++k, i += 16) {
                uint64_t bx = rd(data + i, 8), by = rd(data + i + 8, 8);
                memcpy(&r.xy[2 * r.npoints], &bx, 8);
                memcpy(&r.xy[2 * r.npoints + 1], &by, 8);
                ++r.npoints;
            }
            end_ring(&r, 0);
            if (i + 16 > size) break;
        }
        end_ring(&r, 1);
    }
    cpk_polygon poly = {r.xy, r.ring_off, r.nrings, use_parts ? r.part_off : NULL,
                        use_parts ? r.nparts : 0};
    int finite = 1;
    for (int64_t k = 0; k < 2 * r.npoints; ++k) finite &= isfinite(r.xy[k]) != 0;

    cpk_window win;
    cpk_status s = cpk_coverage_window(&poly, &g, &win);
    if (!finite) {
        CHECK(s == CPK_E_ARG);
        return 0;
    }
    CHECK(s == CPK_OK);
    CHECK(cpk_polygon_check(&poly) == CPK_OK);
    CHECK(win.nx >= 0 && win.ny >= 0);
    if (win.nx && win.ny) {
        CHECK(win.col0 >= 0 && win.row0 >= 0);
        CHECK(win.col0 + win.nx <= g.nx && win.row0 + win.ny <= g.ny);
    }

    /* The whole grid as one window, and as one-row strips: bit-identical. */
    const int64_t ncell = g.nx * g.ny;
    double *full = malloc((size_t)ncell * sizeof(double));
    double *row = malloc((size_t)g.nx * sizeof(double));
    double *own = win.nx && win.ny ? malloc((size_t)(win.nx * win.ny) * sizeof(double)) : NULL;
    cpk_window all = {0, 0, g.nx, g.ny};
    CHECK(cpk_coverage_polygon(&poly, &g, &all, full) == CPK_OK);
    double sum = 0;
    for (int64_t j = 0; j < g.ny; ++j) {
        cpk_window strip = {0, j, g.nx, 1};
        CHECK(cpk_coverage_polygon(&poly, &g, &strip, row) == CPK_OK);
        CHECK(memcmp(row, full + j * g.nx, (size_t)g.nx * sizeof(double)) == 0);
        for (int64_t c = 0; c < g.nx; ++c) {
            double f = full[j * g.nx + c];
            CHECK(isfinite(f) && f >= 0.0 && f <= 1.0);
            int inside = win.nx && win.ny && c >= win.col0 && c < win.col0 + win.nx &&
                         j >= win.row0 && j < win.row0 + win.ny;
            if (!inside) CHECK(f == 0.0);
            sum += f;
        }
    }
    if (own) {
        CHECK(cpk_coverage_polygon(&poly, &g, &win, own) == CPK_OK);
        for (int64_t j = 0; j < win.ny; ++j)
            for (int64_t c = 0; c < win.nx; ++c) {
                double a = own[j * win.nx + c], b = full[(win.row0 + j) * g.nx + win.col0 + c];
                CHECK(a >= 0.0 && a <= 1.0 && fabs(a - b) <= 1e-9);
            }
    }
    /* A window outside the grid is refused. */
    cpk_window out = {g.nx, 0, 1, 1};
    CHECK(cpk_coverage_polygon(&poly, &g, &out, row) == CPK_E_ARG);

    /* The area check, in integer mode (coordinates within a few grid widths). */
    if (!use_parts) { /* all rings form one part: the first is the shell */
        r.nparts = r.nrings ? 1 : 0;
        r.part_off[1] = r.nrings;
    }
    double area = raw ? -1 : valid_area_in_grid(&r, &g);
    if (area >= 0 && isfinite(area)) {
        double cell = g.dx * g.dy, got = sum * cell;
        double tol = 1e-9 * (w * h + area) + 1e-12 * cell * (double)ncell;
        if (!(fabs(got - area) <= tol))
            fprintf(stderr, "coverage: sum(fraction x cell area) %.17g, GEOS area %.17g\n", got,
                    area);
        CHECK(fabs(got - area) <= tol);
    }
    free(own);
    free(row);
    free(full);
    return 0;
}
