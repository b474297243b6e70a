/* The geometry and id intake (engine/io/intake.h), called directly: a corpus of the shapes
 * GEOS make-valid turns into collections and of every geometry type, each with its exact
 * expected area (or the reason it is rejected), and ids of every OGR field type. The coverage
 * arrays of every kept polygon are checked against its GEOS area with the coverage kernel. */
#include "cp_test.h"

#include <math.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "intake.h"

static GEOSContextHandle_t gh;

static int setup(void **state) {
    (void)state;
    GDALAllRegister();
    gh = cp_geos_init();
    return gh ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    GEOS_finish_r(gh);
    return 0;
}

static OGRGeometryH from_wkt(const char *wkt) {
    OGRGeometryH g = NULL;
    char *w = (char *)wkt;
    if (OGR_G_CreateFromWkt(&w, NULL, &g) != OGRERR_NONE) {
        print_error("bad WKT in the test: %s\n", wkt);
        fail();
    }
    return g;
}

/* Σ coverage x cell area of a kept polygon on a grid of about 64 x 64 cells around it: the
 * kernel's exact area, which for a valid polygon is its GEOS area. */
static double coverage_area(const cp_polygon_arrays *a, double x0, double y0, double x1,
                            double y1) {
    double w = x1 - x0, h = y1 - y0, cell = fmax(w, h) / 64;
    cpk_geo grid = {
        x0 - cell, y1 + cell, cell, cell, (int64_t)ceil(w / cell) + 2, (int64_t)ceil(h / cell) + 2};
    cpk_polygon p = cp_polygon_arrays_view(a);
    cpk_window win;
    assert_int_equal(cpk_coverage_window(&p, &grid, &win), CPK_OK);
    double *frac = malloc(sizeof *frac * (size_t)(win.nx * win.ny + 1));
    assert_int_equal(cpk_coverage_polygon(&p, &grid, &win, frac), CPK_OK);
    double sum = 0;
    for (int64_t k = 0; k < win.nx * win.ny; ++k) sum += frac[k];
    free(frac);
    return sum * cell * cell;
}

typedef struct {
    const char *name;
    const char *wkt;
    double area;        /* expected area (kept), or 0: rejected */
    int repaired;       /* expected flag when kept */
    int nparts;         /* expected polygons in the result (0: not checked) */
    const char *reason; /* expected text in the reason when rejected */
} shape_case;

/* Takes in `g` (taken) without a transformation and checks the outcome against `c`. */
static void check_shape(const shape_case *c, OGRGeometryH g, const cp_intake *it, double rel) {
    cp_intake_polygon p;
    assert_int_equal(cp_intake_geometry(it, g, &p), CP_OK);
    if (g) OGR_G_DestroyGeometry(g);
    if (c->area == 0) {
        if (p.geom || !strstr(p.reason, c->reason))
            print_error("%s: expected rejection '%s', got %s '%s'\n", c->name, c->reason,
                        p.geom ? "a polygon" : "rejection", p.reason);
        assert_null(p.geom);
        cpt_assert_contains(p.reason, c->reason);
        return;
    }
    if (!p.geom) print_error("%s: rejected: %s\n", c->name, p.reason);
    assert_non_null(p.geom);
    assert_int_equal(GEOSGeomTypeId_r(gh, p.geom), GEOS_MULTIPOLYGON);
    assert_int_equal(GEOSisValid_r(gh, p.geom), 1);
    assert_int_equal(GEOSHasZ_r(gh, p.geom), 0);
    double area = 0;
    assert_int_equal(GEOSArea_r(gh, p.geom, &area), 1);
    if (!(fabs(area - c->area) <= rel * c->area) || p.repaired != c->repaired)
        print_error("%s: area %.17g (expected %.17g), repaired %d (expected %d)\n", c->name, area,
                    c->area, p.repaired, c->repaired);
    assert_true(fabs(area - c->area) <= rel * c->area);
    assert_int_equal(p.repaired, c->repaired);
    cp_polygon_arrays a;
    assert_int_equal(cp_polygon_arrays_make(gh, p.geom, &a), CP_OK);
    assert_int_equal(a.nparts, GEOSGetNumGeometries_r(gh, p.geom));
    if (c->nparts) assert_int_equal(a.nparts, c->nparts);
    double x0, y0, x1, y1;
    GEOSGeom_getXMin_r(gh, p.geom, &x0), GEOSGeom_getYMin_r(gh, p.geom, &y0);
    GEOSGeom_getXMax_r(gh, p.geom, &x1), GEOSGeom_getYMax_r(gh, p.geom, &y1);
    double cov = coverage_area(&a, x0, y0, x1, y1);
    if (!(fabs(cov - area) <= 1e-9 * area))
        print_error("%s: coverage area %.17g, GEOS area %.17g\n", c->name, cov, area);
    assert_true(fabs(cov - area) <= 1e-9 * area);
    cp_polygon_arrays_free(&a);
    GEOSGeom_destroy_r(gh, p.geom);
}

/* "MULTIPOLYGON(((x y, ...)), ...)": n squares of side s in a row (spaced 2s), and when
 * `spike` a last square with a spike: make-valid (linework) gives GC(MULTIPOLYGON, LINE). */
static char *squares_wkt(const char *head, int n, double s, int spike) {
    size_t cap = 128 + (size_t)n * 160;
    char *w = malloc(cap);
    size_t k = (size_t)snprintf(w, cap, "%s(", head);
    for (int i = 0; i < n + spike; ++i) {
        double x = 2 * s * i;
        k += (size_t)snprintf(w + k, cap - k, "%s((%g 0,%g 0,%g %g,", i ? "," : "", x, x + s, x + s,
                              s);
        if (i == n) /* the spike: up from the top right corner and back */
            k += (size_t)snprintf(w + k, cap - k, "%g %g,%g %g,", x + s, 5 * s, x + s, s);
        k += (size_t)snprintf(w + k, cap - k, "%g %g,%g 0))", x, s, x);
    }
    snprintf(w + k, cap - k, ")");
    return w;
}

/* The shapes make-valid turns into collections, and every geometry type. */
static void test_intake_shape_corpus(void **state) {
    (void)state;
    cp_intake it;
    assert_int_equal(cp_intake_init(&it, gh, NULL, NULL, "corpus", "EPSG:32618"), CP_OK);
    /* a tiny polygon with exact coordinates near a UTM origin: 2^-10 x 2^-20 m = 2^-30 m2 */
    const double tiny = ldexp(1, -30);
    static const shape_case cases[] = {
        {"square", "POLYGON((0 0,100 0,100 100,0 100,0 0))", 1e4, 0, 1, NULL},
        {"self-touching ring", "POLYGON((0 0,200 0,200 200,100 0,0 200,0 0))", 2e4, 1, 2, NULL},
        {"spike (polygon + line)", "POLYGON((0 0,100 0,100 100,100 500,100 100,0 100,0 0))", 1e4, 1,
         1, NULL},
        {"bow-tie", "POLYGON((0 0,300 300,300 0,0 300,0 0))", 45000, 1, 2, NULL},
        {"nested shells",
         "MULTIPOLYGON(((0 0,300 0,300 300,0 300,0 0)),((100 100,200 100,200 200,100 200,100 "
         "100)))",
         9e4, 1, 1, NULL},
        {"overlapping parts",
         "MULTIPOLYGON(((0 0,200 0,200 200,0 200,0 0)),((100 100,300 100,300 300,100 300,100 "
         "100)))",
         7e4, 1, 1, NULL},
        {"duplicate parts",
         "MULTIPOLYGON(((0 0,200 0,200 200,0 200,0 0)),((0 0,200 0,200 200,0 200,0 0)))", 4e4, 1, 1,
         NULL},
        {"parts sharing an edge",
         "MULTIPOLYGON(((0 0,100 0,100 100,0 100,0 0)),((100 0,200 0,200 100,100 100,100 0)))", 2e4,
         1, 1, NULL},
        {"hole touching the shell at a point (valid)",
         "POLYGON((0 0,100 0,100 100,0 100,0 0),(0 0,50 25,25 50,0 0))", 1e4 - 937.5, 0, 1, NULL},
        {"hole along the shell", "POLYGON((0 0,100 0,100 100,0 100,0 0),(0 0,50 0,50 50,0 50,0 0))",
         7500, 1, 1, NULL},
        {"hole crossing the shell",
         "POLYGON((0 0,100 0,100 100,0 100,0 0),(50 50,150 50,150 60,50 60,50 50))", 9500, 1, 1,
         NULL},
        {"hole outside the shell",
         "POLYGON((0 0,100 0,100 100,0 100,0 0),(200 200,300 200,300 300,200 300,200 200))", 2e4, 1,
         2, NULL},
        {"repeated points", "POLYGON((0 0,0 0,100 0,100 0,100 100,0 100,0 100,0 0))", 1e4, 0, 1,
         NULL},
        {"ring crossing itself in a loop",
         "POLYGON((0 0,100 0,100 100,50 100,50 -50,60 -50,60 100,0 100,0 0))", 10500, 1, 1, NULL},
        {"collapsed to a line", "POLYGON((0 0,100 0,200 0,0 0))", 0, 0, 0, "make-valid cannot"},
        {"three points", "POLYGON((0 0,100 0,0 0))", 0, 0, 0, "zero area"},
        {"huge (continental)",
         "POLYGON((-2000000 -2000000,2000000 -2000000,2000000 2000000,-2000000 2000000,-2000000 "
         "-2000000))",
         1.6e13, 0, 1, NULL},
        {"Z dropped", "POLYGON Z((0 0 5,100 0 6,100 100 7,0 100 8,0 0 5))", 1e4, 0, 1, NULL},
        {"M dropped", "POLYGON M((0 0 5,100 0 6,100 100 7,0 100 8,0 0 5))", 1e4, 0, 1, NULL},
        {"ZM dropped", "MULTIPOLYGON ZM(((0 0 1 2,100 0 1 2,100 100 1 2,0 0 1 2)))", 5000, 0, 1,
         NULL},
        {"collection: polygon and point",
         "GEOMETRYCOLLECTION(POLYGON((0 0,100 0,100 100,0 100,0 0)),POINT(500 500))", 1e4, 0, 1,
         NULL},
        {"nested collections",
         "GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POLYGON((0 0,10 0,10 10,0 10,0 0)),LINESTRING(0 "
         "0,5 5)),MULTIPOLYGON(((20 0,30 0,30 10,20 10,20 0)),((40 0,50 0,50 10,40 10,40 0))),"
         "GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POLYGON((60 0,70 0,70 10,60 10,60 0)))))",
         400, 0, 4, NULL},
        {"collection of lines and points",
         "GEOMETRYCOLLECTION(POINT(0 0),LINESTRING(0 0,1 1),POLYGON EMPTY)", 0, 0, 0,
         "not a polygon (Geometry Collection)"},
        {"triangle", "TRIANGLE((0 0,100 0,0 100,0 0))", 5000, 0, 1, NULL},
        {"TIN (triangles sharing an edge)",
         "TIN(((0 0,100 0,0 100,0 0)),((100 0,100 100,0 100,100 0)))", 1e4, 1, 1, NULL},
        {"polyhedral surface",
         "POLYHEDRALSURFACE(((0 0,100 0,100 100,0 100,0 0)),((200 0,300 0,300 100,200 100,200 "
         "0)))",
         2e4, 0, 2, NULL},
        {"point", "POINT(1 2)", 0, 0, 0, "not a polygon (Point)"},
        {"line", "LINESTRING(0 0,100 100)", 0, 0, 0, "not a polygon (Line String)"},
        {"multipoint", "MULTIPOINT((0 0),(1 1))", 0, 0, 0, "not a polygon (Multi Point)"},
        {"empty polygon", "POLYGON EMPTY", 0, 0, 0, "empty geometry"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
        check_shape(&cases[i], from_wkt(cases[i].wkt), &it, 1e-12);
    shape_case null_case = {"null", NULL, 0, 0, 0, "null geometry"};
    check_shape(&null_case, NULL, &it, 0);

    /* tiny: exact coordinates near a UTM origin */
    char w[256];
    snprintf(w, sizeof w,
             "POLYGON((500000 700000,%.17g 700000,%.17g %.17g,500000 %.17g,500000 "
             "700000))",
             500000 + ldexp(1, -10), 500000 + ldexp(1, -10), 700000 + ldexp(1, -20),
             700000 + ldexp(1, -20));
    shape_case tiny_case = {"tiny (1e-9 m2)", w, tiny, 0, 1, NULL};
    check_shape(&tiny_case, from_wkt(w), &it, 1e-9);

    /* curves are linearised: a circle of radius 50 (OGR's default step: within 0.1%) */
    shape_case circle = {"curve polygon",
                         "CURVEPOLYGON(CIRCULARSTRING(-50 0,50 0,-50 0))",
                         2500 * 3.14159265358979,
                         0,
                         1,
                         NULL};
    check_shape(&circle, from_wkt(circle.wkt), &it, 1e-3);
    shape_case surf = {"multi surface",
                       "MULTISURFACE(CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(0 0,50 50,100 0),"
                       "(100 0,0 0))),((200 0,300 0,300 100,200 100,200 0)))",
                       1e4 + 1250 * 3.14159265358979,
                       0,
                       2,
                       NULL};
    check_shape(&surf, from_wkt(surf.wkt), &it, 1e-3);

    /* an unclosed ring is closed (OGR's WKT reader keeps it open) */
    OGRGeometryH open_ring = OGR_G_CreateGeometry(wkbPolygon);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_AddPoint_2D(ring, 0, 0), OGR_G_AddPoint_2D(ring, 100, 0);
    OGR_G_AddPoint_2D(ring, 100, 100), OGR_G_AddPoint_2D(ring, 0, 100);
    OGR_G_AddGeometryDirectly(open_ring, ring);
    shape_case open_case = {"unclosed ring", NULL, 1e4, 1, 1, NULL};
    check_shape(&open_case, open_ring, &it, 1e-12);

    /* non-finite coordinates */
    OGRGeometryH nan_poly = from_wkt("POLYGON((0 0,100 0,100 100,0 100,0 0))");
    OGR_G_SetPoint_2D(OGR_G_GetGeometryRef(nan_poly, 0), 2, NAN, 100);
    shape_case nan_case = {"NaN coordinate", NULL, 0, 0, 0, "non-finite coordinates"};
    check_shape(&nan_case, nan_poly, &it, 0);
    /* garbage doubles (a corrupt file): rejected before GEOS, whose make-valid spun for over
     * 20 minutes on this ring (found by fuzz_intake); and in a hole, the same */
    shape_case far_case = {"coordinates at 5e244",
                           "POLYGON((5.36e156 0,5.46e244 0,0 0,0 5.46e244,6.98e228 0,5.36e156 0))",
                           0,
                           0,
                           0,
                           "coordinates beyond 1e+12 in EPSG:32618 (not a place on Earth)"};
    check_shape(&far_case, from_wkt(far_case.wkt), &it, 0);
    shape_case far_hole = {"a hole at 2e12",
                           "POLYGON((0 0,100 0,100 100,0 100,0 0),(10 10,2e12 10,10 20,10 10))",
                           0,
                           0,
                           0,
                           "coordinates beyond 1e+12"};
    check_shape(&far_hole, from_wkt(far_hole.wkt), &it, 0);
    /* a continent's coordinates in metres are nowhere near the bound */
    shape_case big = {"a square of 4e7 m at 1e9",
                      "POLYGON((1e9 0,1.04e9 0,1.04e9 4e7,1e9 4e7,1e9 0))",
                      1.6e15,
                      0,
                      1,
                      NULL};
    check_shape(&big, from_wkt(big.wkt), &it, 1e-9);
    cp_intake_clear(&it);
}

/* Growing a hazard (cp_geos_grow, `run`'s people-near-it): a valid polygon with
 * sub-micrometre spikes (found by fuzz_intake) on which GEOS 3.11's buffer throws or returns
 * vertices of (Inf, NaN) at every distance is grown from a copy snapped to 1 micrometre:
 * valid, not smaller, within the distance's reach; an ordinary square is grown as it is. */
static void test_intake_grow(void **state) {
    (void)state;
    static const char spiky_hex[] =
        "0106000000010000000103000000030000001D000000000000004E0000400000000000000000000000000000"
        "00000000000000000000000000000000000000000000000024400090A9FE54815B3F00000000000024400000"
        "000000805B3FFFFFF7000000244000E0553EAA815B3F00000000000024400000000000002440000000000000"
        "24400000000000002440CCC1F576B18B22400000000000003440D194E3EC5217214000000000000034400000"
        "0000000024400000000000003E4000000000000224400000000000003E40ADCFA2C5E8451F40000000000000"
        "4940C21B5A9D6E74194000000000000049400000000000002440000000000080514000000000000024400000"
        "0000000054400000000000002440000A00000000594000000000000024400000000000004441000000000000"
        "24400000000000805B40007811801180313F0000000000805B400000010000000000FEB7FC9FFB7F5B4000E0"
        "09200D80313FE95884E0CF7F5B4046C16560E17F313F0000000000805B400000000000000000000000000000"
        "5940000000000000000000000000008056400000000000000000000000000000544000000000000000009F7F"
        "B48BBD474E4000000000000000000004000000004E40000000000000E3BF000000004E000040000000000000"
        "000005000000000000000000244034F3FFFFFFFFEF3F000000000000344034F3FFFFFFFFFF3F000000000000"
        "3440DA00C4A3275D20400000000000002440F30068D29D2E2240000000000000244034F3FFFFFFFFEF3F0500"
        "00000000000000003E4067F6FFFFFFFF0740000000000000494000F8FFFFFFFF134000000000000049402401"
        "B02F8AD115400000000000003E40850140EA62171D400000000000003E4067F6FFFFFFFF0740";
    GEOSWKBReader *r = GEOSWKBReader_create_r(gh);
    GEOSGeometry *g =
        GEOSWKBReader_readHEX_r(gh, r, (const unsigned char *)spiky_hex, strlen(spiky_hex));
    GEOSWKBReader_destroy_r(gh, r);
    assert_non_null(g);
    assert_int_equal(GEOSisValid_r(gh, g), 1);
    double area = 0, len = 0;
    assert_int_equal(GEOSArea_r(gh, g, &area), 1);
    assert_int_equal(GEOSLength_r(gh, g, &len), 1);
    const double ds[] = {10, 1000};
    for (int k = 0; k < 2; ++k) {
        double d = ds[k], a = 0;
        /* GEOS alone fails here (the reason for the fallback) */
        GEOSGeometry *raw = GEOSBuffer_r(gh, g, d, 8);
        assert_true(!raw || GEOSisValid_r(gh, raw) != 1);
        if (raw) GEOSGeom_destroy_r(gh, raw);
        GEOSGeometry *grown = cp_geos_grow(gh, g, d);
        assert_non_null(grown);
        assert_int_equal(GEOSGeomTypeId_r(gh, grown), GEOS_MULTIPOLYGON);
        assert_int_equal(GEOSisValid_r(gh, grown), 1);
        assert_int_equal(GEOSArea_r(gh, grown, &a), 1);
        assert_true(a >= area && a <= area + len * d + 3.1416 * d * d);
        GEOSGeom_destroy_r(gh, grown);
    }
    GEOSGeom_destroy_r(gh, g);
    /* as it is, to the bit, where GEOS can */
    GEOSWKTReader *w = GEOSWKTReader_create_r(gh);
    GEOSGeometry *sq = GEOSWKTReader_read_r(gh, w, "MULTIPOLYGON(((0 0,100 0,100 100,0 100,0 0)))");
    GEOSWKTReader_destroy_r(gh, w);
    GEOSGeometry *grown = cp_geos_grow(gh, sq, 30), *raw = GEOSBuffer_r(gh, sq, 30, 8);
    assert_non_null(grown);
    assert_int_equal(GEOSEqualsExact_r(gh, GEOSGetGeometryN_r(gh, grown, 0), raw, 0), 1);
    GEOSGeom_destroy_r(gh, grown), GEOSGeom_destroy_r(gh, raw), GEOSGeom_destroy_r(gh, sq);
}

/* The heap overflow of issue #11: a collection whose members hold more polygons than it has
 * members. Make-valid (linework) turns the spiked multipolygon into exactly that; the intake
 * counts polygons, not members, at any depth. */
static void test_intake_collection_counts(void **state) {
    (void)state;
    cp_intake it;
    assert_int_equal(cp_intake_init(&it, gh, NULL, NULL, "counts", "EPSG:32618"), CP_OK);
    int n = 200;
    char *mp = squares_wkt("MULTIPOLYGON", n, 10, 1);
    shape_case spiked = {"200 squares and a spiked one", mp, 100.0 * (n + 1), 1, n + 1, NULL};
    check_shape(&spiked, from_wkt(mp), &it, 1e-12);
    /* what GEOS's default make-valid returns for it: GC(MULTIPOLYGON(201), LINESTRING) */
    OGRGeometryH g = from_wkt(mp);
    OGRGeometryH fixed = OGR_G_MakeValid(g);
    assert_non_null(fixed);
    assert_int_equal(wkbFlatten(OGR_G_GetGeometryType(fixed)), wkbGeometryCollection);
    assert_int_equal(OGR_G_GetGeometryCount(fixed), 2);
    shape_case gc = {"GC(MULTIPOLYGON(201), LINESTRING)", NULL, 100.0 * (n + 1), 0, n + 1, NULL};
    check_shape(&gc, fixed, &it, 1e-12);
    OGR_G_DestroyGeometry(g);
    free(mp);
    cp_intake_clear(&it);
}

/* Polygons straddling the antimeridian, from lon/lat into UTM 60S: two parts split at ±180°
 * (RFC 7946) join into one polygon; one ring going from 179.9° to -179.9° (vertex by vertex)
 * gives the same rectangle. The expected area is the shoelace area of the corners, each
 * transformed by PROJ here. */
static void test_intake_antimeridian(void **state) {
    (void)state;
    OGRSpatialReferenceH ll = OSRNewSpatialReference(NULL), utm = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(ll, 4326), OSRImportFromEPSG(utm, 32760);
    OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(utm, OAMS_TRADITIONAL_GIS_ORDER);
    cp_intake it;
    assert_int_equal(cp_intake_init(&it, gh, ll, utm, "am", "EPSG:32760"), CP_OK);
    double x[6] = {179.9, 180, -179.9, -179.9, 180, 179.9};
    double y[6] = {-16.5, -16.5, -16.5, -16.4, -16.4, -16.4};
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(ll, utm);
    assert_true(OCTTransform(ct, 6, x, y, NULL));
    OCTDestroyCoordinateTransformation(ct);
    double area = 0;
    for (int i = 0; i < 6; ++i) area += x[i] * y[(i + 1) % 6] - x[(i + 1) % 6] * y[i];
    area = fabs(area) / 2;
    assert_true(area > 2.3e8 && area < 2.4e8); /* 0.2° x 0.1° at 16.5°S */
    shape_case split = {"split at the antimeridian",
                        "MULTIPOLYGON(((179.9 -16.5,180 -16.5,180 -16.4,179.9 -16.4,179.9 -16.5)),"
                        "((-180 -16.5,-179.9 -16.5,-179.9 -16.4,-180 -16.4,-180 -16.5)))",
                        area,
                        1,
                        1,
                        NULL};
    check_shape(&split, from_wkt(split.wkt), &it, 1e-9);
    shape_case across = {"one ring across the antimeridian",
                         "POLYGON((179.9 -16.5,-179.9 -16.5,-179.9 -16.4,179.9 -16.4,179.9 -16.5))",
                         area,
                         0,
                         1,
                         NULL};
    check_shape(&across, from_wkt(across.wkt), &it, 1e-6);
    cp_intake_clear(&it);
    OSRDestroySpatialReference(ll), OSRDestroySpatialReference(utm);
}

/* Ids of every OGR field type, read back as the intake writes them; the next read of the
 * same feature does not change the text of an earlier one (OGR reuses its buffer). */
static void test_intake_field_text(void **state) {
    (void)state;
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("Memory"), "", 0, 0, 0, GDT_Unknown, NULL);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "t", NULL, wkbNone, NULL);
    const OGRFieldType types[] = {OFTInteger, OFTInteger64, OFTReal, OFTString, OFTDate};
    for (int k = 0; k < 5; ++k) {
        char name[8];
        snprintf(name, sizeof name, "f%d", k);
        OGRFieldDefnH fd = OGR_Fld_Create(name, types[k]);
        OGR_L_CreateField(l, fd, 1);
        OGR_Fld_Destroy(fd);
    }
    struct {
        int i;
        long long i64;
        double r;
        const char *s;
        const char *want[5];
    } rows[] = {
        {12,
         9007199254740993LL,
         12.0,
         "H-1",
         {"12", "9007199254740993", "12", "H-1", "2025/06/01"}},
        {-7, -1, 12.5, "", {"-7", "-1", "12.5", "", "2025/06/01"}},
        {0, 0, 0.1, "x", {"0", "0", "0.1", "x", "2025/06/01"}},
        {1, 2, -0.0, "y", {"1", "2", "0", "y", "2025/06/01"}},
        {1, 2, 1e300, "z", {"1", "2", "1e+300", "z", "2025/06/01"}},
        {1, 2, 123456789012345678.0, "z", {"1", "2", "1.2345678901234568e+17", "z", "2025/06/01"}},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; ++r) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldInteger(f, 0, rows[r].i);
        OGR_F_SetFieldInteger64(f, 1, rows[r].i64);
        OGR_F_SetFieldDouble(f, 2, rows[r].r);
        OGR_F_SetFieldString(f, 3, rows[r].s);
        OGR_F_SetFieldDateTime(f, 4, 2025, 6, 1, 0, 0, 0, 0);
        char *text[5];
        for (int k = 0; k < 5; ++k) assert_int_equal(cp_field_text(f, k, &text[k]), CP_OK);
        for (int k = 0; k < 5; ++k) {
            if (strcmp(text[k], rows[r].want[k]))
                print_error("row %zu field %d: '%s', expected '%s'\n", r, k, text[k],
                            rows[r].want[k]);
            assert_string_equal(text[k], rows[r].want[k]);
            free(text[k]);
        }
        OGR_F_Destroy(f);
    }
    /* unset, null and non-finite: no text */
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGR_F_SetFieldNull(f, 1);
    OGR_F_SetFieldDouble(f, 2, NAN);
    for (int k = 0; k < 3; ++k) {
        char *t = (char *)"x";
        assert_int_equal(cp_field_text(f, k, &t), CP_OK);
        assert_null(t);
    }
    OGR_F_Destroy(f);
    GDALClose(ds);

    /* a shapefile's Real field of width 19, precision 11: OGR's text is "12.00000000000" */
    ds = GDALCreate(GDALGetDriverByName("ESRI Shapefile"), "/vsimem/intake_ids.shp", 0, 0, 0,
                    GDT_Unknown, NULL);
    l = GDALDatasetCreateLayer(ds, "intake_ids", NULL, wkbPoint, NULL);
    OGRFieldDefnH fd = OGR_Fld_Create("id", OFTReal);
    OGR_Fld_SetWidth(fd, 19);
    OGR_Fld_SetPrecision(fd, 11);
    OGR_L_CreateField(l, fd, 1);
    OGR_Fld_Destroy(fd);
    f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGR_F_SetFieldDouble(f, 0, 12.0);
    assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);
    ds = GDALOpenEx("/vsimem/intake_ids.shp", GDAL_OF_VECTOR, NULL, NULL, NULL);
    f = OGR_L_GetNextFeature(GDALDatasetGetLayer(ds, 0));
    assert_string_equal(OGR_F_GetFieldAsString(f, 0), "12.00000000000");
    char *t = NULL;
    assert_int_equal(cp_field_text(f, 0, &t), CP_OK);
    assert_string_equal(t, "12");
    free(t);
    OGR_F_Destroy(f);
    GDALClose(ds);
    VSIUnlink("/vsimem/intake_ids.shp"), VSIUnlink("/vsimem/intake_ids.shx");
    VSIUnlink("/vsimem/intake_ids.dbf");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intake_shape_corpus), cmocka_unit_test(test_intake_collection_counts),
        cmocka_unit_test(test_intake_grow),         cmocka_unit_test(test_intake_antimeridian),
        cmocka_unit_test(test_intake_field_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
