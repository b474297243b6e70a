/* The intake through the commands (issue #11): `run` and `zonal` give the same polygon the same
 * area (a self-overlapping multipolygon included), ids of every field type come out as the
 * intake writes them in plan.csv, rejected.csv, zonal's CSV and `validate`'s report, and a
 * realistic layer of a few thousand real country shapes with a few percent corrupted runs
 * without a crash, every feature accounted for. Inputs are built here with GDAL's C API. */
#include "cp_test_gdal.h"

#include <math.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

static char dir[4096];

static int setup(void **state) {
    (void)state;
    GDALAllRegister();
    cpt_tmpdir("intake_cli", dir, sizeof dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (!getenv("CP_KEEP_TMP")) cpt_rmtree(dir);
    return 0;
}

/* ---- CSV: a header and rows of fields (quotes as RFC 4180) ---- */

typedef struct {
    char **cell; /* nrows x ncols, row 0 the header */
    int ncols, nrows;
} csv_table;

static csv_table csv_read(const char *path) {
    char *t = cpt_slurp(path, NULL);
    if (!t) {
        print_error("missing %s\n", path);
        fail();
    }
    csv_table c = {NULL, 0, 0};
    size_t cap = 0, n = 0;
    char *p = t;
    int col = 0;
    while (*p) {
        char field[4096];
        size_t k = 0;
        if (*p == '"') {
            for (++p; *p && !(*p == '"' && p[1] != '"'); ++p) {
                if (*p == '"') ++p;
                if (k < sizeof field - 1) field[k++] = *p;
            }
            if (*p) ++p;
        }
        for (; *p && *p != ',' && *p != '\n'; ++p)
            if (k < sizeof field - 1) field[k++] = *p;
        field[k] = '\0';
        if (n == cap) c.cell = realloc(c.cell, (cap = cap ? 2 * cap : 256) * sizeof *c.cell);
        c.cell[n++] = strdup(field);
        ++col;
        if (*p == ',') {
            ++p;
        } else {
            if (*p == '\n') ++p;
            if (!c.ncols) c.ncols = col;
            assert_int_equal(col, c.ncols);
            c.nrows++;
            col = 0;
        }
    }
    free(t);
    return c;
}

static void csv_free(csv_table *c) {
    for (int i = 0; i < c->ncols * c->nrows; ++i) free(c->cell[i]);
    free(c->cell);
}

static int csv_col(const csv_table *c, const char *name) {
    for (int j = 0; j < c->ncols; ++j)
        if (!strcmp(c->cell[j], name)) return j;
    print_error("no column %s\n", name);
    fail();
    return -1;
}

/* The row (1..nrows-1) whose column `col` is `key`; -1 when none. Asserts there is no second. */
static int csv_find(const csv_table *c, int col, const char *key) {
    int found = -1;
    for (int r = 1; r < c->nrows; ++r)
        if (!strcmp(c->cell[r * c->ncols + col], key)) {
            assert_int_equal(found, -1);
            found = r;
        }
    return found;
}

static double csv_num(const csv_table *c, int row, int col) {
    const char *s = c->cell[row * c->ncols + col];
    return *s ? atof(s) : NAN;
}

/* ---- inputs ---- */

/* Maps every point of `g`, at any depth, by the affine x' = m0 + m1 x + m2 y,
 * y' = m3 + m4 x + m5 y (Z kept). */
static void affine(OGRGeometryH g, const double m[6]) {
    for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) affine(OGR_G_GetGeometryRef(g, i), m);
    for (int i = 0; i < OGR_G_GetPointCount(g); ++i) {
        double x, y, z;
        OGR_G_GetPoint(g, i, &x, &y, &z);
        double u = m[0] + m[1] * x + m[2] * y, v = m[3] + m[4] * x + m[5] * y;
        if (OGR_G_Is3D(g))
            OGR_G_SetPoint(g, i, u, v, z);
        else
            OGR_G_SetPoint_2D(g, i, u, v);
    }
}

static void shift(OGRGeometryH g, double dx, double dy) {
    const double m[6] = {dx, 1, 0, dy, 0, 1};
    affine(g, m);
}

/* A field of the hazards layers: its name, type and value per feature (text; NULL unset). */
typedef struct {
    const char *name;
    OGRFieldType type;
} field_spec;

static OGRLayerH new_layer(GDALDatasetH ds, const char *name, int epsg, const field_spec *fields,
                           int nf) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, epsg);
    OGRLayerH l = GDALDatasetCreateLayer(ds, name, srs, wkbUnknown, NULL);
    OSRDestroySpatialReference(srs);
    assert_non_null(l);
    for (int k = 0; k < nf; ++k) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[k].name, fields[k].type);
        assert_int_equal(OGR_L_CreateField(l, fd, 1), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
    }
    return l;
}

/* Adds a feature: `values` as text for each field (NULL: unset), the geometry taken. */
static void add_feature(OGRLayerH l, const char *const *values, OGRGeometryH g) {
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (int k = 0; k < OGR_F_GetFieldCount(f); ++k)
        if (values[k]) OGR_F_SetFieldString(f, k, values[k]);
    if (g) OGR_F_SetGeometryDirectly(f, g);
    assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
}

static OGRGeometryH wkt_at(const char *wkt, double dx, double dy) {
    OGRGeometryH g = NULL;
    char *w = (char *)wkt;
    assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
    shift(g, dx, dy);
    return g;
}

/* A new GeoPackage at `path` (in the test's folder). */
static GDALDatasetH new_gpkg(const char *path) {
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    return ds;
}

/* A constant Float32 raster over [x0, x0 + n cell] x [y0 - n cell, y0] in UTM 18N. */
static void constant_tif(const char *name, double x0, double y0, double cell, int n, float v) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    float *data = malloc(sizeof *data * (size_t)n * (size_t)n);
    for (size_t k = 0; k < (size_t)n * (size_t)n; ++k) data[k] = v;
    cpt_write_tif(path, data, n, n, x0, y0, cell, cell, 32618, 0, 0);
    free(data);
}

/* A scenario over hazards file `hz` with land cover as its one criterion; `extra` is added to
 * the grid mapping and `regions` (or NULL) under capacity. */
static void write_scenario(const char *name, const char *hz, const char *hz_keys, double cell,
                           const char *regions) {
    char path[4200], text[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(text, sizeof text,
             "name: intake\n"
             "grid: {crs: EPSG:32618, cell_size_m: %g}\n"
             "inputs:\n"
             "  hazards: {path: %s%s}\n"
             "  landcover: landcover.tif\n"
             "criteria:\n"
             "  - {name: land_use, kind: classes, table: {40: 1.0}, weight: 1}\n"
             "capacity: {start: 2026-01-01, deadline: 2030-01-01, teams: %s%s}\n",
             cell, hz, hz_keys, regions ? "6, regions: " : "2", regions ? regions : "");
    cpt_write(path, text);
}

static int run(const char *scenario, const char *out, char **so, char **se) {
    return cpt_sh(so, se, "cd '%s' && '%s' run '%s' -o '%s' -q", dir, cpt_bin(), scenario, out);
}

/* out/plan.csv (out in the test's folder) plans each of the n hazard ids. */
static void assert_planned(const char *out, const char *const *ids, int n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/plan.csv", dir, out);
    csv_table c = csv_read(path);
    int idc = csv_col(&c, "hazard_id");
    for (int k = 0; k < n; ++k) assert_true(csv_find(&c, idc, ids[k]) > 0);
    csv_free(&c);
}

/* out/rejected.csv holds each of the n texts. */
static void assert_rejected(const char *out, const char *const *texts, int n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/rejected.csv", dir, out);
    char *rej = cpt_slurp(path, NULL);
    for (int k = 0; k < n; ++k) cpt_assert_contains(rej, texts[k]);
    free(rej);
}

/* A run of `scenario` into `out` that must fail (exit 1) with `message` on stderr and leave no
 * `out` behind. */
static void run_fails(const char *scenario, const char *out, const char *message) {
    char *so = NULL, *se = NULL, path[4200];
    int rc = run(scenario, out, &so, &se);
    if (rc != 1) print_error("exit %d\n%s\n%s\n", rc, so, se);
    assert_int_equal(rc, 1);
    cpt_assert_contains(se, message);
    free(so), free(se);
    snprintf(path, sizeof path, "%s/%s", dir, out);
    assert_false(cpt_exists(path));
}

/* A run of `scenario` into `out` that must succeed and count its hazards as `summary` says
 * ("hazards: N read = P planned + R rejected"). */
static void run_ok(const char *scenario, const char *out, const char *summary) {
    char *so = NULL, *se = NULL;
    int rc = run(scenario, out, &so, &se);
    if (rc) print_error("%s: %s\n%s\n", scenario, so, se);
    assert_int_equal(rc, 0);
    cpt_assert_contains(so, summary);
    free(so), free(se);
}

/* The tables of a run of `scenario` into `out` and of zonal over `gpkg` into `csv`. */
typedef struct {
    csv_table plan, rejected, zonal;
} outputs;

static outputs run_and_zonal(const char *scenario, const char *out, const char *gpkg,
                             const char *csv, char **so) {
    char *se = NULL, path[4200];
    int rc = run(scenario, out, so, &se);
    if (rc) print_error("%s\n%s\n", *so, se);
    assert_int_equal(rc, 0);
    free(se);
    rc = cpt_sh(NULL, &se, "cd '%s' && '%s' zonal landcover.tif '%s' '%s' -q", dir, cpt_bin(), gpkg,
                csv);
    if (rc) print_error("%s\n", se);
    assert_int_equal(rc, 0);
    free(se);
    outputs o;
    snprintf(path, sizeof path, "%s/%s/plan.csv", dir, out);
    o.plan = csv_read(path);
    snprintf(path, sizeof path, "%s/%s/rejected.csv", dir, out);
    o.rejected = csv_read(path);
    snprintf(path, sizeof path, "%s/%s", dir, csv);
    o.zonal = csv_read(path);
    return o;
}

static void outputs_free(outputs *o) {
    csv_free(&o->plan), csv_free(&o->rejected), csv_free(&o->zonal);
}

/* ---- the same polygon, the same area in run and zonal ---- */

typedef struct {
    const char *id;
    const char *wkt; /* local coordinates, 0 .. 300 m */
    double area;     /* 0: rejected */
} corpus_shape;

static const corpus_shape shapes[] = {
    {"square", "POLYGON((0 0,100 0,100 100,0 100,0 0))", 1e4},
    {"self-overlapping",
     "MULTIPOLYGON(((0 0,200 0,200 200,0 200,0 0)),((100 100,300 100,300 300,100 300,100 100)))",
     7e4},
    {"nested-shells",
     "MULTIPOLYGON(((0 0,300 0,300 300,0 300,0 0)),((100 100,200 100,200 200,100 200,100 100)))",
     9e4},
    {"duplicate-parts",
     "MULTIPOLYGON(((0 0,200 0,200 200,0 200,0 0)),((0 0,200 0,200 200,0 200,0 0)))", 4e4},
    {"bow-tie", "POLYGON((0 0,300 300,300 0,0 300,0 0))", 45000},
    {"self-touching", "POLYGON((0 0,200 0,200 200,100 0,0 200,0 0))", 2e4},
    {"spike", "POLYGON((0 0,100 0,100 100,100 290,100 100,0 100,0 0))", 1e4},
    {"hole-touching-shell", "POLYGON((0 0,100 0,100 100,0 100,0 0),(0 0,50 0,50 50,0 50,0 0))",
     7500},
    {"hole-touching-point", "POLYGON((0 0,100 0,100 100,0 100,0 0),(0 0,50 25,25 50,0 0))",
     1e4 - 937.5},
    {"repeated-points", "POLYGON((0 0,0 0,100 0,100 0,100 100,0 100,0 100,0 0))", 1e4},
    {"collection",
     "GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POLYGON((0 0,10 0,10 10,0 10,0 0))),MULTIPOLYGON(((20 "
     "0,30 0,30 10,20 10,20 0)),((40 0,50 0,50 10,40 10,40 0))),LINESTRING(0 0,9 9))",
     300},
    {"polygon-z", "POLYGON Z((0 0 1,100 0 2,100 100 3,0 0 1))", 5000},
    /* GEOS's make-valid throws on the second part's hole (it doubles back on itself): the
     * parts are repaired one by one, the clean hectare kept (the whole hazard was lost) */
    {"make-valid-throws",
     "MULTIPOLYGON(((200 0,300 0,300 100,200 100,200 0)),((30 30,30 0,0 0,0 30,30 30),(0 30,30 "
     "30,0 30,0 0,30 30,0 30)))",
     10900},
    {"tin", "TIN(((0 0,100 0,0 100,0 0)),((100 0,100 100,0 100,100 0)))", 1e4},
    {"line", "LINESTRING(0 0,100 100)", 0},
    {"point", "POINT(5 5)", 0},
    {"collapsed", "POLYGON((0 0,100 0,200 0,0 0))", 0},
};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

static void test_intake_run_zonal_same_area(void **state) {
    (void)state;
    /* shapes 400 m apart in a 3.2 km x 3.2 km raster of 2 m cells (UTM 18N) */
    const double x0 = 500000, y0 = 700000, cell = 2;
    constant_tif("landcover.tif", x0, y0, cell, 1600, 40.0f);
    char path[4200];
    snprintf(path, sizeof path, "%s/corpus.gpkg", dir);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    const field_spec fs[] = {{"hazard_id", OFTString}, {"status", OFTString}};
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 2);
    for (int i = 0; i < NSHAPES; ++i) {
        const char *v[] = {shapes[i].id, i % 2 ? "CHA" : "SHA"};
        add_feature(l, v,
                    wkt_at(shapes[i].wkt, x0 + 50 + 400 * (i % 7), y0 - 3000 + 400 * (i / 7)));
    }
    /* a tiny one: 2^-10 m x 2^-20 m (about 1e-9 m2) at exact coordinates */
    char tw[256];
    double tx = x0 + 1000, ty = y0 - 200;
    snprintf(tw, sizeof tw,
             "POLYGON((%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g))", tx, ty,
             tx + ldexp(1, -10), ty, tx + ldexp(1, -10), ty + ldexp(1, -20), tx, ty + ldexp(1, -20),
             tx, ty);
    const char *tv[] = {"tiny", "SHA"};
    add_feature(l, tv, wkt_at(tw, 0, 0));
    GDALClose(ds);
    write_scenario("corpus.yaml", "corpus.gpkg", "", cell, NULL);
    char *so = NULL;
    outputs o = run_and_zonal("corpus.yaml", "corpus_out", "corpus.gpkg", "corpus_zonal.csv", &so);
    cpt_assert_contains(so, "hazards: 18 read = 15 planned + 3 rejected");
    free(so);
    const csv_table plan = o.plan, rej = o.rejected, zon = o.zonal;
    assert_int_equal(zon.nrows, NSHAPES + 2); /* header + every feature */
    int p_id = csv_col(&plan, "hazard_id"), p_area = csv_col(&plan, "area_m2");
    int p_cov = csv_col(&plan, "covered_m2"), z_id = csv_col(&zon, "hazard_id");
    int z_area = csv_col(&zon, "area"), z_sum = csv_col(&zon, "sum");
    for (int i = 0; i <= NSHAPES; ++i) {
        const char *id = i < NSHAPES ? shapes[i].id : "tiny";
        double want = i < NSHAPES ? shapes[i].area : ldexp(1, -30);
        int pr = csv_find(&plan, p_id, id), zr = csv_find(&zon, z_id, id);
        assert_true(zr > 0);
        if (want == 0) { /* rejected, with empty statistics in zonal */
            assert_int_equal(pr, -1);
            assert_true(csv_find(&rej, 0, id) > 0);
            assert_true(isnan(csv_num(&zon, zr, z_area)));
            continue;
        }
        assert_true(pr > 0);
        double area = csv_num(&plan, pr, p_area), cov = csv_num(&plan, pr, p_cov);
        double zarea = csv_num(&zon, zr, z_area), zsum = csv_num(&zon, zr, z_sum);
        if (!(fabs(area - want) <= 1e-9 * want && fabs(cov - want) <= 1e-9 * want &&
              fabs(zarea - want) <= 1e-9 * want &&
              fabs(zsum * cell * cell - 40 * want) <= 1e-9 * 40 * want))
            print_error(
                "%s: run area %.17g covered %.17g, zonal area %.17g sum %.17g; expected "
                "%.17g\n",
                id, area, cov, zarea, zsum, want);
        assert_true(fabs(area - want) <= 1e-9 * want);
        assert_true(fabs(cov - want) <= 1e-9 * want);
        assert_true(fabs(zarea - want) <= 1e-9 * want);
        assert_true(fabs(zsum * cell * cell - 40 * want) <= 1e-9 * 40 * want);
    }
    outputs_free(&o);
}

/* ---- numeric ids ---- */

/* Hazards whose ids, statuses and regions are numbers of every OGR type, in a GeoPackage, a
 * shapefile and a GeoJSON file: plan.csv, rejected.csv and validate list them as the intake
 * writes them ("12", "9007199254740993", "12.5"), never garbage or "missing id". */
static void test_intake_numeric_ids(void **state) {
    (void)state;
    const double x0 = 600000, y0 = 800000;
    constant_tif("landcover.tif", x0, y0, 10, 400, 40.0f);
    const OGRFieldType types[] = {OFTInteger, OFTInteger64, OFTReal};
    const char *names[] = {"int", "int64", "real"};
    /* 60 hazards per file: more than OGR's reuse of one buffer would keep apart */
    enum { N = 60 };
    for (int t = 0; t < 3; ++t) {
        for (int drv = 0; drv < 3; ++drv) {
            const char *ext[] = {"gpkg", "shp", "geojson"};
            const char *dname[] = {"GPKG", "ESRI Shapefile", "GeoJSON"};
            if (drv == 1 && types[t] == OFTInteger64) continue; /* a .dbf has no Integer64 */
            char file[256], path[4200];
            snprintf(file, sizeof file, "ids_%s.%s", names[t], ext[drv]);
            snprintf(path, sizeof path, "%s/%s", dir, file);
            GDALDatasetH ds =
                GDALCreate(GDALGetDriverByName(dname[drv]), path, 0, 0, 0, GDT_Unknown, NULL);
            assert_non_null(ds);
            /* the id, a numeric region (province code) and a numeric locked flag */
            const field_spec fs[] = {{"hazard_id", types[t]},
                                     {"status", OFTString},
                                     {"province", OFTInteger},
                                     {"lock", OFTInteger}};
            OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 4);
            for (int k = 0; k < N; ++k) {
                char id[64], prov[8], lock[8];
                if (types[t] == OFTInteger64)
                    snprintf(id, sizeof id, "%lld", 9007199254740993LL + k);
                else if (types[t] == OFTReal)
                    snprintf(id, sizeof id, k % 2 ? "%d.5" : "%d.0", 12 + k);
                else
                    snprintf(id, sizeof id, "%d", 12 + k);
                snprintf(prov, sizeof prov, "%d", 1 + k % 2);
                snprintf(lock, sizeof lock, "%d", k == 3);
                const char *v[] = {id, k % 3 ? "SHA" : "CHA", prov, lock};
                double dx = x0 + 100 + 90 * (k % 40), dy = y0 - 3900 + 90 * (k / 40);
                const char *wkt = k == 11 ? "POLYGON((0 0,60 60,60 0,0 60,0 0))"
                                          : "POLYGON((0 0,60 0,60 60,0 60,0 0))";
                add_feature(l, v, k == 7 ? NULL : wkt_at(wkt, dx, dy));
            }
            GDALClose(ds);
            char scen[300];
            snprintf(scen, sizeof scen, "ids_%s_%s.yaml", names[t], ext[drv]);
            write_scenario(scen, file, ", region: province, locked: lock", 10, "{1: 3, 2: 3}");
            char out[300], *so = NULL, *se = NULL;
            snprintf(out, sizeof out, "ids_%s_%s_out", names[t], ext[drv]);
            int rc = run(scen, out, &so, &se);
            if (rc) print_error("%s: %s\n%s\n", file, so, se);
            assert_int_equal(rc, 0);
            cpt_assert_contains(so, "hazards: 60 read = 59 planned + 1 rejected");
            free(so), free(se);
            char want7[64], want11[64];
            for (int k = 0; k < N; ++k) {
                char id[64];
                if (types[t] == OFTInteger64)
                    snprintf(id, sizeof id, "%lld", 9007199254740993LL + k);
                else if (types[t] == OFTReal && k % 2)
                    snprintf(id, sizeof id, "%d.5", 12 + k);
                else
                    snprintf(id, sizeof id, "%d", 12 + k);
                if (k == 7) snprintf(want7, sizeof want7, "%s", id);
                if (k == 11) snprintf(want11, sizeof want11, "%s", id);
                snprintf(path, sizeof path, "%s/%s/%s", dir, out,
                         k == 7 ? "rejected.csv" : "plan.csv");
                csv_table c = csv_read(path);
                int row = csv_find(&c, k == 7 ? 0 : csv_col(&c, "hazard_id"), id);
                if (row < 0) print_error("%s: id %s is not in %s\n", file, id, path);
                assert_true(row > 0);
                if (k != 7) { /* the numeric region was read as text too */
                    char prov[8];
                    snprintf(prov, sizeof prov, "%d", 1 + k % 2);
                    assert_string_equal(c.cell[row * c.ncols + csv_col(&c, "region")], prov);
                }
                csv_free(&c);
            }
            /* validate names the rejected and the repaired hazard by their ids */
            char expect[256];
            rc = cpt_sh(&so, &se, "cd '%s' && '%s' validate '%s'", dir, cpt_bin(), scen);
            if (rc) print_error("%s\n%s\n", so, se);
            assert_int_equal(rc, 0);
            cpt_assert_contains(so, "hazards: 60 read, 59 usable, 1 rejected, 1 repaired\n");
            snprintf(expect, sizeof expect, "\n  rejected %s: null geometry\n", want7);
            cpt_assert_contains(so, expect);
            snprintf(expect, sizeof expect, "\n  repaired %s (make-valid)\n", want11);
            cpt_assert_contains(so, expect);
            free(so), free(se);
        }
    }
}

/* ---- a realistic layer ---- */

/* Every polygon of Natural Earth's countries (1:50m, 241 countries, 1,616 polygons, public
 * domain) from the project's shared sample data, cloned into *out. */
static int country_polygons(OGRGeometryH **out) {
    char path[4200];
    snprintf(path, sizeof path, "%s/natural-earth-countries-50m.topojson",
             cpt_env("CP_SHARED_DATA", "../shared/data"));
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) print_error("the realistic layer needs %s (set CP_SHARED_DATA)\n", path);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "countries");
    assert_non_null(l);
    int n = 0, cap = 2048;
    OGRGeometryH *polys = malloc(sizeof *polys * (size_t)cap);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        int multi = g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon;
        for (int i = 0; g && i < (multi ? OGR_G_GetGeometryCount(g) : 1) && n < cap; ++i)
            polys[n++] = OGR_G_Clone(multi ? OGR_G_GetGeometryRef(g, i) : g);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    *out = polys;
    return n;
}

/* The shell of polygon `g` as arrays (closing point included); returns the point count. */
static int shell_points(OGRGeometryH g, double **x, double **y) {
    OGRGeometryH r = OGR_G_GetGeometryRef(g, 0);
    int n = OGR_G_GetPointCount(r);
    *x = malloc(sizeof **x * (size_t)(n + 4));
    *y = malloc(sizeof **y * (size_t)(n + 4));
    for (int i = 0; i < n; ++i) OGR_G_GetPoint(r, i, &(*x)[i], &(*y)[i], NULL);
    return n;
}

static void set_shell(OGRGeometryH g, const double *x, const double *y, int n) {
    OGRGeometryH r = OGR_G_GetGeometryRef(g, 0);
    OGR_G_SetPointCount(r, n);
    for (int i = 0; i < n; ++i) OGR_G_SetPoint_2D(r, i, x[i], y[i]);
}

/* Inserts a spike (out 40 m north and back) after the shell's vertex 1. */
static void add_spike(OGRGeometryH g) {
    double *x, *y;
    int n = shell_points(g, &x, &y);
    memmove(x + 4, x + 2, sizeof *x * (size_t)(n - 2));
    memmove(y + 4, y + 2, sizeof *y * (size_t)(n - 2));
    x[2] = x[1], y[2] = y[1] + 40, x[3] = x[1], y[3] = y[1];
    set_shell(g, x, y, n + 2);
    free(x), free(y);
}

/* The kinds of corruption a national layer shows, one every 29 features (3.4%). */
enum {
    SPIKE,
    BOWTIE,
    SELF_TOUCH,
    OVERLAP,
    HOLE_ON_SHELL,
    REPEATED,
    COLLAPSED,
    NULL_GEOM,
    POINT,
    DUP_ID,
    BAD_STATUS,
    WITH_LINE,
    MANY_PARTS_SPIKE,
    NKINDS
};

/* The placed polygon `g` (taken) corrupted by `kind`; NULL for a null geometry. */
static OGRGeometryH corrupt(OGRGeometryH g, int kind) {
    double *x, *y, x0 = 0, y0 = 0;
    int n = shell_points(g, &x, &y);
    OGR_G_GetPoint(OGR_G_GetGeometryRef(g, 0), 0, &x0, &y0, NULL);
    OGRGeometryH out = g, tmp;
    char wkt[256];
    switch (kind) {
        case SPIKE:
            add_spike(g);
            break;
        case BOWTIE:
            if (n >= 5) {
                double t = x[1];
                x[1] = x[2], x[2] = t, t = y[1], y[1] = y[2], y[2] = t;
                set_shell(g, x, y, n);
            }
            break;
        case SELF_TOUCH:
            if (n >= 7) x[n / 2] = x[0], y[n / 2] = y[0], set_shell(g, x, y, n);
            break;
        case OVERLAP: /* a multipolygon: the shape and itself moved 20 m */
            out = OGR_G_CreateGeometry(wkbMultiPolygon);
            tmp = OGR_G_Clone(g);
            shift(tmp, 20, 20);
            OGR_G_AddGeometryDirectly(out, g);
            OGR_G_AddGeometryDirectly(out, tmp);
            break;
        case HOLE_ON_SHELL: /* a triangular hole from the first shell vertex */
            tmp = OGR_G_CreateGeometry(wkbLinearRing);
            OGR_G_AddPoint_2D(tmp, x0, y0), OGR_G_AddPoint_2D(tmp, x0 + 15, y0 + 5);
            OGR_G_AddPoint_2D(tmp, x0 + 5, y0 + 15), OGR_G_AddPoint_2D(tmp, x0, y0);
            OGR_G_AddGeometryDirectly(g, tmp);
            break;
        case REPEATED: {
            double *xx = malloc(sizeof *xx * 2 * (size_t)n),
                   *yy = malloc(sizeof *yy * 2 * (size_t)n);
            for (int i = 0; i < n; ++i)
                xx[2 * i] = xx[2 * i + 1] = x[i], yy[2 * i] = yy[2 * i + 1] = y[i];
            set_shell(g, xx, yy, 2 * n);
            free(xx), free(yy);
            break;
        }
        case COLLAPSED:
            for (int i = 0; i < n; ++i) y[i] = y0;
            set_shell(g, x, y, n);
            break;
        case NULL_GEOM:
            OGR_G_DestroyGeometry(g);
            out = NULL;
            break;
        case POINT:
            OGR_G_DestroyGeometry(g);
            out = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(out, 0, x0, y0);
            break;
        case WITH_LINE: /* a collection: the polygon and a line */
            out = OGR_G_CreateGeometry(wkbGeometryCollection);
            OGR_G_AddGeometryDirectly(out, g);
            snprintf(wkt, sizeof wkt, "LINESTRING(%.17g %.17g,%.17g %.17g)", x0, y0, x0 + 300, y0);
            OGR_G_AddGeometryDirectly(out, wkt_at(wkt, 0, 0));
            break;
        case MANY_PARTS_SPIKE: { /* 12 small copies, one spiked: GC(MULTIPOLYGON(12), LINE) */
            out = OGR_G_CreateGeometry(wkbMultiPolygon);
            for (int k = 0; k < 12; ++k) {
                tmp = OGR_G_Clone(g);
                const double m[6] = {x0 + 30 * (k % 4) - x0 * 0.2, 0.2, 0,
                                     y0 + 30 * (k / 4) - y0 * 0.2, 0,   0.2};
                affine(tmp, m);
                if (k == 11) add_spike(tmp);
                OGR_G_AddGeometryDirectly(out, tmp);
            }
            OGR_G_DestroyGeometry(g);
            break;
        }
        default: /* DUP_ID, BAD_STATUS: the attributes are corrupted */
            break;
    }
    free(x), free(y);
    return out;
}

/* A layer of 3,232 hazards: each polygon of Natural Earth's countries twice (as it is and
 * turned a quarter), scaled to about 150 m, 200 m apart; ids Integer64 (10^12 + k), a numeric
 * province; every 29th feature corrupted. `run` and `zonal` must not crash, every feature
 * must end in plan.csv or rejected.csv, and zonal's area of each planned hazard must be its
 * covered_m2. */
static void test_intake_realistic_layer(void **state) {
    (void)state;
    OGRGeometryH *polys = NULL;
    int np = country_polygons(&polys);
    assert_int_equal(np, 1616);
    const double X0 = 400000, Y0 = 900000, step = 200;
    const int cols = 60;
    const int nfeat = 2 * np;
    char path[4200];
    snprintf(path, sizeof path, "%s/realistic.gpkg", dir);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    const field_spec fs[] = {
        {"hazard_id", OFTInteger64}, {"status", OFTString}, {"province", OFTInteger}};
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 3);
    assert_int_equal(OGR_L_StartTransaction(l), OGRERR_NONE);
    int ncorrupt = 0;
    for (int k = 0; k < nfeat; ++k) {
        OGRGeometryH g = OGR_G_Clone(polys[k % np]);
        OGREnvelope e;
        OGR_G_GetEnvelope(g, &e);
        double s = 150 / fmax(fmax(e.MaxX - e.MinX, e.MaxY - e.MinY), 1e-9);
        double cx = X0 + step * (k % cols), cy = Y0 + step * (k / cols);
        if (k < np) { /* as it is */
            const double m[6] = {cx - s * e.MinX, s, 0, cy - s * e.MinY, 0, s};
            affine(g, m);
        } else { /* a quarter turn */
            const double m[6] = {cx + s * e.MaxY, 0, -s, cy - s * e.MinX, s, 0};
            affine(g, m);
        }
        char id[32], prov[8];
        int kind = k % 29 == 5 ? (k / 29) % NKINDS : -1;
        ncorrupt += kind >= 0;
        snprintf(id, sizeof id, "%lld", 1000000000000LL + (kind == DUP_ID ? k - 1 : k));
        snprintf(prov, sizeof prov, "%d", 1 + k % 3);
        const char *v[] = {id, kind == BAD_STATUS ? "maybe" : k % 4 ? "SHA" : "CHA", prov};
        add_feature(l, v, kind >= 0 ? corrupt(g, kind) : g);
    }
    assert_int_equal(OGR_L_CommitTransaction(l), OGRERR_NONE);
    GDALClose(ds);
    for (int i = 0; i < np; ++i) OGR_G_DestroyGeometry(polys[i]);
    free(polys);
    assert_true(ncorrupt > 100 && ncorrupt < nfeat / 20); /* a few percent */
    constant_tif("landcover.tif", X0 - 1000, Y0 + step * (nfeat / cols + 2) + 1000, 10,
                 (int)(step * cols / 10) + 200, 40.0f);
    write_scenario("realistic.yaml", "realistic.gpkg", ", region: province", 10,
                   "{1: 2, 2: 2, 3: 2}");
    char *so = NULL;
    outputs o =
        run_and_zonal("realistic.yaml", "realistic_out", "realistic.gpkg", "realistic.csv", &so);
    long planned = -1, rejected = -1, read = -1;
    const char *h = strstr(so, "hazards: ");
    assert_non_null(h);
    assert_int_equal(
        sscanf(h, "hazards: %ld read = %ld planned + %ld rejected", &read, &planned, &rejected), 3);
    assert_int_equal(read, nfeat);
    assert_int_equal(planned + rejected, nfeat);
    free(so);
    const csv_table plan = o.plan, rej = o.rejected, zon = o.zonal;
    assert_int_equal(plan.nrows - 1, planned);
    assert_int_equal(rej.nrows - 1, rejected);
    assert_int_equal(zon.nrows - 1, nfeat);
    /* the corruptions that must be rejected are, with their reasons */
    assert_true(rejected >= 5 * (ncorrupt / NKINDS));
    int p_id = csv_col(&plan, "hazard_id"), p_cov = csv_col(&plan, "covered_m2");
    int p_rep = csv_col(&plan, "repaired"), z_area = csv_col(&zon, "area");
    int repaired = 0;
    /* zonal's rows are in layer order: feature k is row k + 1 */
    for (int r = 1; r < plan.nrows; ++r) {
        const char *id = plan.cell[r * plan.ncols + p_id];
        long long k = atoll(id) - 1000000000000LL;
        assert_true(k >= 0 && k < nfeat);
        assert_string_equal(zon.cell[(k + 1) * zon.ncols], id);
        double cov = csv_num(&plan, r, p_cov), za = csv_num(&zon, (int)k + 1, z_area);
        if (!(fabs(cov - za) <= 1e-9 * cov + 1e-9))
            print_error("hazard %s: covered_m2 %.17g in run, area %.17g in zonal\n", id, cov, za);
        assert_true(fabs(cov - za) <= 1e-9 * cov + 1e-9);
        repaired += atoi(plan.cell[r * plan.ncols + p_rep]);
    }
    assert_true(repaired >= 5 * (ncorrupt / NKINDS));
    outputs_free(&o);
}

/* A hazard whose region has no teams (a typo, a trailing space, no region at all) is work no
 * plan could do: `run` would leave it out of the verdict. validate and run refuse the layer,
 * counting such hazards and naming the first, its region and the regions that have teams;
 * nothing is written. */
static void test_intake_region_without_teams(void **state) {
    (void)state;
    const double x0 = 600000, y0 = 800000;
    constant_tif("landcover.tif", x0, y0, 10, 400, 40.0f);
    char path[4200];
    snprintf(path, sizeof path, "%s/regions.gpkg", dir);
    GDALDatasetH ds = new_gpkg(path);
    const field_spec fs[] = {
        {"hazard_id", OFTString}, {"status", OFTString}, {"province", OFTString}};
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 3);
    const char *prov[] = {"Norte", "Sur", "Norte ", NULL, "Sur"};
    for (int k = 0; k < 5; ++k) {
        char id[16];
        snprintf(id, sizeof id, "H%d", k);
        const char *v[] = {id, "SHA", prov[k]};
        add_feature(l, v,
                    wkt_at("POLYGON((0 0,60 0,60 60,0 60,0 0))", x0 + 100 + 90 * k, y0 - 300));
    }
    GDALClose(ds);
    write_scenario("regions.yaml", "regions.gpkg", ", region: province", 10, "{Norte: 3, Sur: 3}");
    const char *cmds[] = {"validate regions.yaml", "run regions.yaml -o regions_out -q"};
    for (int c = 0; c < 2; ++c) {
        char *so = NULL, *se = NULL;
        int rc = cpt_sh(&so, &se, "cd '%s' && '%s' %s", dir, cpt_bin(), cmds[c]);
        if (rc != 1) print_error("%s: exit %d\n%s\n%s\n", cmds[c], rc, so, se);
        assert_int_equal(rc, 1);
        cpt_assert_contains(se,
                            "regions.gpkg>: 2 hazards are in regions with no teams in "
                            "capacity.regions ('Norte', 'Sur')");
        cpt_assert_contains(se, "hazard <H2> (feature 3) has region 'Norte ' in field <province>");
        free(so), free(se);
    }
    snprintf(path, sizeof path, "%s/regions_out", dir);
    assert_false(cpt_exists(path));
}

/* Layers with nothing to plan, or one coordinate that is not finite: a hazard with an infinite
 * coordinate is an ordinary rejected row (written without its geometry, which no GeoPackage
 * can hold), the others planned; a layer whose every feature is rejected (statuses coded 1
 * and 2) is an error for run as for validate, never "0 hazards, deadline met". */
/* An area of interest (x0 + 50 .. x0 + 3,050 by y0 - 3,500 .. y0 - 500) at dir/aoi_name, set
 * as grid.aoi in the scenario `yaml` that write_scenario wrote with cells of 10 m. */
static void with_aoi(const char *yaml, const char *aoi_name, double x0, double y0) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, aoi_name);
    GDALDatasetH ds = new_gpkg(path);
    const field_spec fs[] = {{"hazard_id", OFTString}, {"status", OFTString}};
    OGRLayerH l = new_layer(ds, "aoi", 32618, fs, 2);
    const char *a[] = {"aoi", "-"};
    add_feature(l, a, wkt_at("POLYGON((0 0,3000 0,3000 3000,0 3000,0 0))", x0 + 50, y0 - 3500));
    GDALClose(ds);
    snprintf(path, sizeof path, "%s/%s", dir, yaml);
    char *text = cpt_slurp(path, NULL), *grid = strstr(text, "cell_size_m: 10}");
    assert_non_null(grid);
    char edited[8192];
    snprintf(edited, sizeof edited, "%.*scell_size_m: 10, aoi: %s}%s", (int)(grid - text), text,
             aoi_name, grid + strlen("cell_size_m: 10}"));
    cpt_write(path, edited);
    free(text);
}

static void test_intake_unplannable(void **state) {
    (void)state;
    const double x0 = 600000, y0 = 800000;
    constant_tif("landcover.tif", x0, y0, 10, 400, 40.0f);
    const field_spec fs[] = {{"hazard_id", OFTString}, {"status", OFTString}};
    char path[4200];
    snprintf(path, sizeof path, "%s/inf.gpkg", dir);
    CPLPushErrorHandler(CPLQuietErrorHandler); /* GDAL's complaint about the layer's extent */
    GDALDatasetH ds = new_gpkg(path);
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 2);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing),
                 poly = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddPoint_2D(ring, x0 + 100, y0 - 300);
    OGR_G_AddPoint_2D(ring, x0 + 200, y0 - 300);
    OGR_G_AddPoint_2D(ring, INFINITY, y0 - 200);
    OGR_G_AddPoint_2D(ring, x0 + 100, y0 - 200);
    OGR_G_AddPoint_2D(ring, x0 + 100, y0 - 300);
    OGR_G_AddGeometryDirectly(poly, ring);
    const char *v1[] = {"H1", "SHA"}, *v2[] = {"H2", "SHA"};
    add_feature(l, v1, poly);
    add_feature(l, v2, wkt_at("POLYGON((0 0,60 0,60 60,0 60,0 0))", x0 + 500, y0 - 300));
    GDALClose(ds);
    CPLPopErrorHandler();
    write_scenario("inf.yaml", "inf.gpkg", "", 10, NULL);
    run_ok("inf.yaml", "inf_out", "hazards: 2 read = 1 planned + 1 rejected");
    snprintf(path, sizeof path, "%s/inf_out/rejected.csv", dir);
    char *rej = cpt_slurp(path, NULL);
    cpt_assert_contains(rej, "H1,rejected,non-finite coordinates");
    free(rej);

    snprintf(path, sizeof path, "%s/coded.gpkg", dir);
    ds = new_gpkg(path);
    l = new_layer(ds, "hazards", 32618, fs, 2);
    const char *c1[] = {"H1", "1"}, *c2[] = {"H2", "2"};
    add_feature(l, c1, wkt_at("POLYGON((0 0,60 0,60 60,0 60,0 0))", x0 + 100, y0 - 300));
    add_feature(l, c2, wkt_at("POLYGON((0 0,60 0,60 60,0 60,0 0))", x0 + 500, y0 - 300));
    GDALClose(ds);
    /* with an area of interest the grid needs no hazard: the run itself must refuse */
    write_scenario("coded.yaml", "coded.gpkg", "", 10, NULL);
    with_aoi("coded.yaml", "coded_aoi.gpkg", x0, y0);
    run_fails("coded.yaml", "coded_out",
              "no usable hazard: every feature was rejected (the first, <H1>: "
              "unknown status '1' (expected SHA or CHA (suspected or confirmed)))");
}

/* A hazard of 1,600 small parts 10 m apart (a mine belt digitised square by square), grown by
 * the population criterion's 1 km for people_within_m: its parts are grown one by one and
 * unioned (GEOS's buffer of the whole multipolygon took 96 s and 5.2 GB here, and 10,000
 * parts ran out of memory). The run's peak stays under 1 GB, and every part's area counts. */
static void test_intake_many_parts(void **state) {
    (void)state;
    char *so = NULL, *se = NULL, path[4200];
    int rc = cpt_sh(NULL, &se, "cd '%s' && '%s' synth --preset tiny --seed 1 -o parts -q", dir,
                    cpt_bin());
    if (rc) print_error("%s\n", se);
    assert_int_equal(rc, 0);
    free(se);
    snprintf(path, sizeof path, "%s/parts/hazards.gpkg", dir);
    assert_int_equal(unlink(path), 0);
    GDALDatasetH ds = new_gpkg(path);
    const field_spec fs[] = {
        {"hazard_id", OFTString}, {"status", OFTString}, {"province", OFTString}};
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 3);
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon);
    for (int i = 0; i < 40; ++i)
        for (int j = 0; j < 40; ++j)
            OGR_G_AddGeometryDirectly(
                mp, wkt_at("POLYGON((0 0,5 0,5 5,0 5,0 0))", 475000 + 10 * i, 690000 + 10 * j));
    const char *v[] = {"BELT", "CHA", "Norte"};
    add_feature(l, v, mp);
    GDALClose(ds);
    rc = cpt_sh(&so, &se, "cd '%s/parts' && '%s' run scenario.yaml -o out -q -j 1", dir, cpt_bin());
    if (rc) print_error("%s\n%s\n", so, se);
    assert_int_equal(rc, 0);
    cpt_assert_contains(so, "hazards: 1 read = 1 planned + 0 rejected");
    free(so), free(se);
    snprintf(path, sizeof path, "%s/parts/out/run.json", dir);
    char *json = cpt_slurp(path, NULL), *peak = strstr(json, "\"peak_rss_bytes\": ");
    assert_non_null(peak);
    double bytes = strtod(peak + strlen("\"peak_rss_bytes\": "), NULL);
    if (!(bytes < 1e9)) print_error("peak %.0f bytes\n", bytes);
    assert_true(bytes < 1e9);
    free(json);
    snprintf(path, sizeof path, "%s/parts/out/plan.csv", dir);
    csv_table c = csv_read(path);
    assert_int_equal(c.nrows, 2);
    assert_true(fabs(atof(c.cell[c.ncols + csv_col(&c, "area_m2")]) - 40000) < 1e-6);
    assert_true(atof(c.cell[c.ncols + csv_col(&c, "people_within_m")]) > 0);
    csv_free(&c);
}

/* Ids and statuses as run and plan both read them: an id belongs to the first usable feature
 * that has it (an earlier one with an empty geometry or a status no one knows does not take
 * it along), a blank id is missing, ids are kept verbatim (" B" is not "B"), blanks around a
 * status are ignored; plan re-reads run's plan.csv with the same ids. */
static void test_intake_ids_and_statuses(void **state) {
    (void)state;
    const double x0 = 600000, y0 = 800000;
    constant_tif("landcover.tif", x0, y0, 10, 400, 40.0f);
    char path[4200];
    snprintf(path, sizeof path, "%s/ids.gpkg", dir);
    GDALDatasetH ds = new_gpkg(path);
    const field_spec fs[] = {{"hazard_id", OFTString}, {"status", OFTString}};
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 2);
    const char *sq = "POLYGON((0 0,60 0,60 60,0 60,0 0))";
    const char *a1[] = {"A", "SHA"}, *a2[] = {"A", "SHA"}, *b1[] = {"B", "maybe"},
               *b2[] = {"B", "CHA"}, *b3[] = {" B", " cha "}, *blank[] = {"  ", "SHA"};
    add_feature(l, a1, wkt_at("POLYGON EMPTY", 0, 0));     /* rejected: empty */
    add_feature(l, a2, wkt_at(sq, x0 + 100, y0 - 300));    /* A's usable record */
    add_feature(l, b1, wkt_at(sq, x0 + 200, y0 - 300));    /* rejected: status */
    add_feature(l, b2, wkt_at(sq, x0 + 300, y0 - 300));    /* B */
    add_feature(l, b3, wkt_at(sq, x0 + 400, y0 - 300));    /* " B", another hazard */
    add_feature(l, blank, wkt_at(sq, x0 + 500, y0 - 300)); /* rejected: missing id */
    GDALClose(ds);
    write_scenario("ids.yaml", "ids.gpkg", "", 10, NULL);
    char *so = NULL, *se = NULL;
    int rc;
    run_ok("ids.yaml", "ids_out", "hazards: 6 read = 3 planned + 3 rejected");
    assert_planned("ids_out", (const char *[]){"A", "B", " B"}, 3);
    assert_rejected("ids_out",
                    (const char *[]){"A,rejected,empty geometry",
                                     "B,rejected,unknown status 'maybe'", "missing hazard id"},
                    3);
    /* plan re-reads the same three hazards */
    rc = cpt_sh(&so, &se, "cd '%s' && '%s' plan ids_out/plan.csv -o ids_replan -q", dir, cpt_bin());
    if (rc) print_error("%s\n%s\n", so, se);
    assert_int_equal(rc, 0);
    free(so), free(se);
    snprintf(path, sizeof path, "%s/ids_replan/plan.csv", dir);
    csv_table c = csv_read(path);
    assert_int_equal(c.nrows, 4);
    assert_true(csv_find(&c, csv_col(&c, "hazard_id"), " B") > 0);
    csv_free(&c);

    /* ids in a Real field beyond 2^53 (a shapefile's N(20,0)): rejected, never merged */
    snprintf(path, sizeof path, "%s/realids.gpkg", dir);
    ds = new_gpkg(path);
    const field_spec rf[] = {{"hazard_id", OFTReal}, {"status", OFTString}};
    l = new_layer(ds, "hazards", 32618, rf, 2);
    const char *r1[] = {"12", "SHA"}, *r2[] = {"12345678901234567", "SHA"};
    add_feature(l, r1, wkt_at(sq, x0 + 100, y0 - 300));
    add_feature(l, r2, wkt_at(sq, x0 + 300, y0 - 300));
    GDALClose(ds);
    write_scenario("realids.yaml", "realids.gpkg", "", 10, NULL);
    run_ok("realids.yaml", "realids_out", "hazards: 2 read = 1 planned + 1 rejected");
    assert_rejected("realids_out", (const char *[]){"is a real number beyond 2^53"}, 1);
}

/* An id belongs to the first feature with it that lies on the grid: a hazard digitised twice,
 * its first copy outside the area of interest, is planned from the copy inside (the copy used
 * to be rejected as a duplicate of the one outside, and the hazard was lost); a third copy is a
 * duplicate of the one planned. */
static void test_intake_holder_off_grid(void **state) {
    (void)state;
    const double x0 = 600000, y0 = 800000;
    constant_tif("landcover.tif", x0, y0, 10, 400, 40.0f);
    const field_spec fs[] = {{"hazard_id", OFTString}, {"status", OFTString}};
    const char *sq = "POLYGON((0 0,60 0,60 60,0 60,0 0))";
    char path[4200];
    snprintf(path, sizeof path, "%s/twice.gpkg", dir);
    GDALDatasetH ds = new_gpkg(path);
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 2);
    const char *a[] = {"A", "SHA"}, *b[] = {"B", "CHA"};
    add_feature(l, a, wkt_at(sq, x0 + 100, y0 - 300));  /* outside the area of interest */
    add_feature(l, b, wkt_at(sq, x0 + 300, y0 - 1000)); /* B */
    add_feature(l, a, wkt_at(sq, x0 + 500, y0 - 1000)); /* A, planned */
    add_feature(l, a, wkt_at(sq, x0 + 700, y0 - 1000)); /* A again: a duplicate */
    GDALClose(ds);
    write_scenario("twice.yaml", "twice.gpkg", "", 10, NULL);
    with_aoi("twice.yaml", "twice_aoi.gpkg", x0, y0);
    run_ok("twice.yaml", "twice_out", "hazards: 4 read = 2 planned + 2 rejected");
    assert_planned("twice_out", (const char *[]){"A", "B"}, 2);
    assert_rejected("twice_out",
                    (const char *[]){"A,rejected,outside the grid",
                                     "A,rejected,duplicate id: feature 3 of the layer has the "
                                     "same id"},
                    2);
}

/* What a planner must hear of, even with -q: a hazard partly outside the grid (its effort and
 * benefit count only the part on it) and a raster input with no valid cell on the grid (it
 * scores nothing): warnings on stderr, the run otherwise as before. */
static void test_intake_warnings(void **state) {
    (void)state;
    char *so = NULL, *se = NULL, path[4200];
    int rc =
        cpt_sh(NULL, &se,
               "cd '%s' && '%s' synth --preset tiny --seed 1 -o warn -q && cd warn && "
               "/usr/bin/python3 -c \"from osgeo import gdal, ogr, osr\n"
               "d = gdal.Open('population.tif', gdal.GA_Update); b = d.GetRasterBand(1)\n"
               "b.Fill(b.GetNoDataValue()); d = None\n"
               "s = osr.SpatialReference(); s.ImportFromEPSG(32618)\n"
               "ds = ogr.GetDriverByName('GPKG').CreateDataSource('cut.gpkg')\n"
               "l = ds.CreateLayer('aoi', s, ogr.wkbPolygon); f = ogr.Feature(l.GetLayerDefn())\n"
               "f.SetGeometry(ogr.CreateGeometryFromWkt('POLYGON((470000 688000,473200 "
               "688000,473200 702000,470000 702000,470000 688000))')); l.CreateFeature(f)\" && "
               "sed -i 's#aoi: aoi.gpkg#aoi: cut.gpkg#' scenario.yaml && grep -q cut.gpkg "
               "scenario.yaml",
               dir, cpt_bin());
    if (rc) print_error("%s\n", se);
    assert_int_equal(rc, 0);
    free(se);
    rc = cpt_sh(&so, &se, "cd '%s/warn' && '%s' run scenario.yaml -o out -q -j 1", dir, cpt_bin());
    if (rc) print_error("%s\n%s\n", so, se);
    assert_int_equal(rc, 0);
    cpt_assert_contains(se, "clearplan: warning: ");
    cpt_assert_contains(se, "partly outside the grid");
    cpt_assert_contains(se, "no valid cell on the grid in population (every value nodata)");
    free(so), free(se);
    snprintf(path, sizeof path, "%s/warn/out/plan.csv", dir);
    assert_true(cpt_exists(path));
}

/* The plan.csv at `name` (in the test's folder) has, for each of the n hazards want[k][0], the
 * status want[k][1] and the locked flag want[k][2]. */
static void assert_status_locked(const char *name, const char *want[][3], int n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    csv_table c = csv_read(path);
    int idc = csv_col(&c, "hazard_id"), stc = csv_col(&c, "status"), lkc = csv_col(&c, "locked");
    for (int k = 0; k < n; ++k) {
        int r = csv_find(&c, idc, want[k][0]);
        assert_true(r > 0);
        assert_string_equal(c.cell[r * c.ncols + stc], want[k][1]);
        assert_string_equal(c.cell[r * c.ncols + lkc], want[k][2]);
    }
    csv_free(&c);
}

/* run reads a status and a locked flag as plan does (one spelling: cp_status_text,
 * cp_locked_text): suspected and confirmed, yes as 1, true, yes, y or first, any case, blanks
 * around; a locked flag that is neither yes nor no stops the run, naming the file, the feature
 * and the value (a rule's flag is not guessed: before, run planned "y" as unlocked). */
static void test_intake_status_and_locked_spellings(void **state) {
    (void)state;
    const double x0 = 600000, y0 = 800000;
    constant_tif("landcover.tif", x0, y0, 10, 400, 40.0f);
    const field_spec fs[] = {{"hazard_id", OFTString}, {"status", OFTString}, {"lock", OFTString}};
    const char *sq = "POLYGON((0 0,60 0,60 60,0 60,0 0))";
    const char *rows[][3] = {{"A", "suspected", " Y "}, {"B", "Confirmed", "n"},
                             {"C", "SHA", NULL},        {"D", " cha", "First"},
                             {"E", "CHA", "0"},         {"F", "sha", "TRUE"}};
    char path[4200];
    snprintf(path, sizeof path, "%s/spell.gpkg", dir);
    GDALDatasetH ds = new_gpkg(path);
    OGRLayerH l = new_layer(ds, "hazards", 32618, fs, 3);
    for (int k = 0; k < 6; ++k) add_feature(l, rows[k], wkt_at(sq, x0 + 100 * (k + 1), y0 - 300));
    GDALClose(ds);
    write_scenario("spell.yaml", "spell.gpkg", ", locked: lock", 10, NULL);
    run_ok("spell.yaml", "spell_out", "hazards: 6 read = 6 planned + 0 rejected");
    const char *want[][3] = {{"A", "SHA", "1"}, {"B", "CHA", "0"}, {"C", "SHA", "0"},
                             {"D", "CHA", "1"}, {"E", "CHA", "0"}, {"F", "SHA", "1"}};
    assert_status_locked("spell_out/plan.csv", want, 6);
    /* plan reads a hand-made table with the same spellings */
    snprintf(path, sizeof path, "%s/spell_table.csv", dir);
    cpt_write(path,
              "hazard_id,status,area_m2,benefit,cost_team_days,locked\n"
              "A,suspected,200,1,1, Y \nB,Confirmed,200,1,1,first\nC, cha ,200,1,1,\n");
    char *so = NULL, *se = NULL;
    int rc =
        cpt_sh(&so, &se, "cd '%s' && '%s' plan spell_table.csv -o spell_plan -q", dir, cpt_bin());
    if (rc) print_error("%s\n%s\n", so, se);
    assert_int_equal(rc, 0);
    free(so), free(se);
    const char *pw[][3] = {{"A", "SHA", "1"}, {"B", "CHA", "1"}, {"C", "CHA", "0"}};
    assert_status_locked("spell_plan/plan.csv", pw, 3);
    /* a flag that is neither: the run stops and writes nothing */
    snprintf(path, sizeof path, "%s/oui.gpkg", dir);
    ds = new_gpkg(path);
    l = new_layer(ds, "hazards", 32618, fs, 3);
    const char *ok[] = {"A", "SHA", "yes"}, *oui[] = {"G", "CHA", "oui"};
    add_feature(l, ok, wkt_at(sq, x0 + 100, y0 - 300));
    add_feature(l, oui, wkt_at(sq, x0 + 200, y0 - 300));
    GDALClose(ds);
    write_scenario("oui.yaml", "oui.gpkg", ", locked: lock", 10, NULL);
    run_fails("oui.yaml", "oui_out",
              "oui.gpkg>: feature 2 (hazard G): locked 'oui' is not yes (1, true, yes, y, first) "
              "or no (0, false, no, n, empty)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intake_run_zonal_same_area),
        cmocka_unit_test(test_intake_numeric_ids),
        cmocka_unit_test(test_intake_realistic_layer),
        cmocka_unit_test(test_intake_region_without_teams),
        cmocka_unit_test(test_intake_unplannable),
        cmocka_unit_test(test_intake_many_parts),
        cmocka_unit_test(test_intake_ids_and_statuses),
        cmocka_unit_test(test_intake_status_and_locked_spellings),
        cmocka_unit_test(test_intake_holder_off_grid),
        cmocka_unit_test(test_intake_warnings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
