/* clearplan zonal: values against hand-computed numbers, strips and threads give the same
 * CSV, reprojection, errors and exit codes. Inputs are built here with GDAL's C API. */
#include "cp_test_gdal.h"

#include <math.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

static char dir[4096];

/* A one-band Float32 GeoTIFF in the test folder; epsg 0: no CRS. */
static void make_tif(const char *name, int nx, int ny, double x0, double y0, double cell, int epsg,
                     const float *data, int has_nodata, double nodata) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cpt_write_tif(path, data, nx, ny, x0, y0, cell, cell, epsg, has_nodata, nodata);
}

/* A GeoPackage layer with fields id (integer) and name (string); wkt NULL: null geometry. A
 * GeoPackage that exists gets the layer added. */
static void make_gpkg(const char *name, const char *layer, int epsg, int n, const char **names,
                      const char **wkts) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *drv = strstr(name, ".shp") ? "ESRI Shapefile" : "GPKG";
    /* an existing GeoPackage gets one more layer */
    GDALDatasetH ds = cpt_exists(path) && !strstr(name, ".shp")
                          ? GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL)
                          : GDALCreate(GDALGetDriverByName(drv), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = NULL;
    if (epsg) {
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, epsg);
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    OGRLayerH l = GDALDatasetCreateLayer(ds, layer, srs, wkbPolygon, NULL);
    assert_non_null(l);
    OGRFieldDefnH fid = OGR_Fld_Create("id", OFTInteger), fname = OGR_Fld_Create("name", OFTString);
    OGR_L_CreateField(l, fid, 1);
    OGR_L_CreateField(l, fname, 1);
    OGR_Fld_Destroy(fid);
    OGR_Fld_Destroy(fname);
    for (int k = 0; k < n; ++k) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldInteger(f, 0, k + 1);
        OGR_F_SetFieldString(f, 1, names[k]);
        if (wkts[k]) {
            OGRGeometryH g = NULL;
            char *w = (char *)wkts[k];
            assert_int_equal(OGR_G_CreateFromWkt(&w, srs, &g), OGRERR_NONE);
            OGR_F_SetGeometryDirectly(f, g);
        }
        assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    if (srs) OSRDestroySpatialReference(srs);
    GDALClose(ds);
}

static int zonal(char **out, char **err, const char *args) {
    return cpt_sh(out, err, "cd '%s' && '%s' zonal %s", dir, cpt_bin(), args);
}

static char *read_out(const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = cpt_slurp(path, NULL);
    assert_non_null(s);
    return s;
}

static int setup(void **state) {
    (void)state;
    GDALAllRegister();
    cpt_tmpdir("zonal", dir, sizeof dir);
    /* 4 x 3 raster of 10 m cells, values 1..12 row by row, cell (1, 0) nodata. */
    float r[12];
    for (int k = 0; k < 12; ++k) r[k] = (float)(k + 1);
    r[1] = -9999.0f;
    make_tif("r.tif", 4, 3, 500000.0, 4000030.0, 10.0, 32633, r, 1, -9999.0);
    make_tif("nocrs.tif", 4, 3, 500000.0, 4000030.0, 10.0, 0, r, 1, -9999.0);
    const char *names[] = {"half, \"a\"", "bowtie", "null", "outside"};
    const char *wkts[] = {
        "POLYGON((500005 4000015,500025 4000015,500025 4000030,500005 4000030,500005 4000015))",
        "POLYGON((500000 4000000,500020 4000020,500020 4000000,500000 4000020,500000 4000000))",
        NULL, "POLYGON((0 0,1 0,1 1,0 0))"};
    make_gpkg("p.gpkg", "hz", 32633, 4, names, wkts);
    make_gpkg("empty.gpkg", "none", 32633, 0, names, wkts);
    const char *far[] = {"POLYGON((10 40,11 40,11 41,10 40))"};
    make_gpkg("far.gpkg", "far", 4326, 1, names, far);
    make_gpkg("nocrs.shp", "nocrs", 0, 1, names, wkts); /* no .prj: no CRS */
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (!getenv("CP_KEEP_TMP")) cpt_rmtree(dir);
    return 0;
}

static void test_zonal_hand_computed(void **state) {
    (void)state;
    char *err = NULL;
    int rc = zonal(NULL, &err, "r.tif p.gpkg out.csv --stats sum,mean,min,max,area,count,classes");
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    /* Feature 1: row 0 cells 0, 2 half covered (values 1, 3), cell 1 fully (nodata); row 1
     * cells 0, 2 a quarter (5, 7), cell 1 half (6). Σf = 2 → area 200 m², nodata 100 m².
     * Feature 2 (bow tie, repaired into two triangles): half of cells 5, 6, 9, 10. */
    char *csv = read_out("out.csv");
    cpt_assert_contains(csv,
                        "id,name,sum,mean,min,max,area,nodata_area,count,class_1_share,"
                        "class_3_share,class_5_share,class_6_share,class_7_share,"
                        "class_9_share,class_10_share\n");
    cpt_assert_contains(csv,
                        "1,\"half, \"\"a\"\"\",8,4,1,7,200,100,5,0.25,0.25,0.125,0.25,0.125,0,0\n");
    cpt_assert_contains(csv, "2,bowtie,15,7.5,5,10,200,0,4,0,0,0.25,0.25,0,0.25,0.25\n");
    cpt_assert_contains(csv, "3,null,,,,,,,,,,,,,,\n");
    cpt_assert_contains(csv, "4,outside,0,,,,0,0,0,,,,,,,\n");
    cpt_assert_contains(err,
                        "1 invalid polygon(s) repaired, 1 rejected (null, empty, not "
                        "polygonal or not transformable to the raster's CRS: their rows "
                        "have no statistics), 1 outside the raster");
    assert_int_equal(cpt_debris(dir), 0);
    free(csv);
    free(err);
    /* Default statistics, quiet. */
    assert_int_equal(zonal(NULL, &err, "r.tif p.gpkg d.csv -q"), 0);
    assert_string_equal(err, "");
    csv = read_out("d.csv");
    cpt_assert_contains(csv, "id,name,sum,mean,min,max,area,nodata_area,count\n");
    free(csv);
    free(err);
}

/* zonal with `args1` and with `args2` (writing csv1 and csv2, the default statistics of a layer
 * of three polygons with fields id and name): the same bytes, and every polygon found cells. */
static void same_csv_three_found(const char *args1, const char *args2, const char *csv1,
                                 const char *csv2) {
    assert_int_equal(zonal(NULL, NULL, args1), 0);
    assert_int_equal(zonal(NULL, NULL, args2), 0);
    char *a = read_out(csv1), *b = read_out(csv2);
    assert_string_equal(a, b);
    char *line = strchr(a, '\n') + 1;
    for (int k = 0; k < 3; ++k) {
        double sum, mean, mn, mx, area, nda, count;
        int id;
        char nm[8];
        assert_int_equal(sscanf(line, "%d,%7[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf", &id, nm, &sum, &mean,
                                &mn, &mx, &area, &nda, &count),
                         9);
        assert_true(count >= 1 && area > 0 && mn <= mean && mean <= mx);
        line = strchr(line, '\n') + 1;
    }
    free(a);
    free(b);
}

/* A larger raster: one strip or many, one thread or three, same bytes. Polygons in
 * EPSG:4326 are reprojected to the raster's UTM zone. */
static void test_zonal_strips_threads_reprojection(void **state) {
    (void)state;
    int nx = 1500, ny = 1200;
    float *r = malloc(sizeof(float) * (size_t)(nx * ny));
    for (int k = 0; k < nx * ny; ++k) r[k] = (float)((int)(((long long)k * 7919) % 1000)) * 0.5f;
    make_tif("big.tif", nx, ny, 500000.0, 4000000.0, 10.0, 32633, r, 1, -1.0);
    free(r);
    /* UTM 33N around 15E / 36.1N: a few lon/lat polygons inside the raster. */
    const char *names[] = {"a", "b", "c"};
    const char *wkts[] = {"POLYGON((15.01 36.09,15.1 36.095,15.08 36.05,15.01 36.09))",
                          "POLYGON((15.05 36.08,15.12 36.08,15.12 36.03,15.05 36.03,15.05 36.08),"
                          "(15.07 36.07,15.09 36.07,15.09 36.05,15.07 36.06,15.07 36.07))",
                          "POLYGON((15.15 36.06,15.151 36.06,15.151 36.061,15.15 36.06))"};
    make_gpkg("ll.gpkg", "ll", 4326, 3, names, wkts);
    /* every polygon found cells: the reprojection put them on the raster */
    same_csv_three_found("big.tif ll.gpkg a.csv -q -j 1 --memory 512",
                         "big.tif ll.gpkg b.csv -q -j 3 --memory 1", "a.csv", "b.csv");
}

/* Blocks taller than a strip's 32 MB cap (8,200 columns, rows of 1,030: 33.8 MB a row of
 * blocks): with memory enough, each strip is one row of blocks; the statistics are the bytes
 * of small strips (--memory 1) and of one thread. */
static void test_zonal_tall_blocks(void **state) {
    (void)state;
    const int nx = 8200, ny = 2100;
    char path[4200];
    snprintf(path, sizeof path, "%s/tall.tif", dir);
    const char *co[] = {"COMPRESS=DEFLATE", "BLOCKYSIZE=1030", NULL};
    GDALDatasetH ds =
        GDALCreate(GDALGetDriverByName("GTiff"), path, nx, ny, 1, GDT_Float32, (CSLConstList)co);
    assert_non_null(ds);
    double gt[6] = {500000.0, 10.0, 0, 4000000.0, 0, -10.0};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 32633);
    GDALSetSpatialRef(ds, srs);
    OSRDestroySpatialReference(srs);
    float *row = malloc(sizeof(float) * (size_t)nx);
    assert_non_null(row);
    for (int y = 0; y < ny; ++y) {
        for (int x = 0; x < nx; ++x) row[x] = (float)((x * 31 + y * 17) % 97) * 0.25f;
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, y, nx, 1, row, nx, 1,
                                      GDT_Float32, 0, 0),
                         CE_None);
    }
    free(row);
    GDALClose(ds);
    /* across the rows of blocks (y 3,989,700 is row 1,030) and the grid's last rows */
    const char *names[] = {"across", "last", "corner"};
    const char *wkts[] = {"POLYGON((510000 3990500,560000 3989000,530000 3988000,510000 3990500))",
                          "POLYGON((500000 3979100,582000 3979100,582000 3979000,500000 3979000,"
                          "500000 3979100))",
                          "POLYGON((581003 3999997,581995 3999000,581500 3998500,581003 3999997))"};
    make_gpkg("tall.gpkg", "tall", 32633, 3, names, wkts);
    same_csv_three_found("tall.tif tall.gpkg t1.csv -q -j 2 --memory 512",
                         "tall.tif tall.gpkg t2.csv -q -j 1 --memory 1", "t1.csv", "t2.csv");
}

/* Many polygons taken in by several threads (each its own GEOS context and reprojection):
 * lon/lat squares, bow ties that make-valid repairs, multipolygons, null and empty geometries
 * and lines, in the order of the layer; one thread or three, the same CSV and the same count
 * of repairs. */
static void test_zonal_parallel_intake(void **state) {
    (void)state;
    int nx = 600, ny = 600;
    float *r = malloc(sizeof(float) * (size_t)(nx * ny));
    for (int k = 0; k < nx * ny; ++k) r[k] = (float)(k % 97);
    make_tif("pi.tif", nx, ny, 500000.0, 4000000.0, 10.0, 32633, r, 1, -1.0);
    free(r);
    enum { N = 400 };
    char *wkt[N], *name[N];
    int bowties = 0;
    for (int k = 0; k < N; ++k) {
        double x = 15.0 + 0.0006 * (k % 20) + 0.0001, y = 36.135 - 0.0022 * (k / 20);
        double d = 0.0004 + 0.00001 * (k % 7);
        char buf[512];
        switch (k % 8) {
            case 3: /* a bow tie */
                snprintf(buf, sizeof buf,
                         "POLYGON((%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f))", x, y,
                         x + d, y - d, x + d, y, x, y - d, x, y);
                ++bowties;
                break;
            case 5: /* two parts */
                snprintf(buf, sizeof buf,
                         "MULTIPOLYGON(((%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f)),"
                         "((%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f)))",
                         x, y, x + d / 2, y, x, y - d / 2, x, y, x + d, y - d, x + d, y - d / 2,
                         x + d / 2, y - d, x + d, y - d);
                break;
            case 6:
                snprintf(buf, sizeof buf, "%s",
                         k % 16 == 6 ? "POLYGON EMPTY" : "LINESTRING(15 36,15.1 36.1)");
                break;
            default:
                snprintf(buf, sizeof buf,
                         "POLYGON((%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f))", x, y,
                         x + d, y, x + d, y - d, x, y - d, x, y);
        }
        wkt[k] = k % 8 == 7 ? NULL : strdup(buf);
        char nb[16];
        snprintf(nb, sizeof nb, "p%d", k);
        name[k] = strdup(nb);
    }
    make_gpkg("pi.gpkg", "pi", 4326, N, (const char **)name, (const char **)wkt);
    char *e1 = NULL, *e3 = NULL;
    int rc1 = zonal(NULL, &e1, "pi.tif pi.gpkg pa.csv -j 1");
    if (rc1) print_error("%s\n", e1);
    assert_int_equal(rc1, 0);
    assert_int_equal(zonal(NULL, &e3, "pi.tif pi.gpkg pb.csv -j 3"), 0);
    char *a = read_out("pa.csv"), *b = read_out("pb.csv");
    assert_string_equal(a, b);
    char want[64];
    snprintf(want, sizeof want, "%d invalid polygon(s) repaired", bowties);
    cpt_assert_contains(e1, want);
    cpt_assert_contains(e3, want);
    /* every square found cells, in layer order */
    int lines = 0, counted = 0;
    for (const char *l = strchr(a, '\n') + 1; *l; l = strchr(l, '\n') + 1, ++lines) {
        int id;
        double sum;
        if (sscanf(l, "%d,%*[^,],%lf", &id, &sum) == 2) counted++;
        assert_int_equal(id, lines + 1);
    }
    assert_int_equal(lines, N);
    assert_int_equal(counted, N - 2 * (N / 8)); /* no sum: null; empty and line */
    for (int k = 0; k < N; ++k) free(wkt[k]), free(name[k]);
    free(a), free(b), free(e1), free(e3);
}

/* --assume-crs: a raster or a layer without a CRS read as if it had the one given (the CSV of
 * the files that have it); a file's own CRS wins over it, with a warning. */
static void test_zonal_assume_crs(void **state) {
    (void)state;
    assert_int_equal(zonal(NULL, NULL, "r.tif p.gpkg ac_want.csv -q"), 0);
    assert_int_equal(zonal(NULL, NULL, "nocrs.tif p.gpkg ac_tif.csv -q --assume-crs EPSG:32633"),
                     0);
    /* the files' own EPSG:32633 wins over a wrong guess (lon/lat would miss the raster), and
     * a warning names each of them */
    char *err = NULL;
    assert_int_equal(zonal(NULL, &err, "r.tif p.gpkg ac_own.csv --assume-crs EPSG:4326"), 0);
    cpt_assert_contains(err,
                        "warning: <r.tif> has a coordinate reference system of its own, "
                        "which is used instead of --assume-crs EPSG:4326");
    cpt_assert_contains(err, "warning: <p.gpkg> has a coordinate reference system of its own");
    free(err);
    /* taken by the raster, --assume-crs is no warning for the layer's own CRS */
    assert_int_equal(zonal(NULL, &err,
                           "nocrs.tif p.gpkg ac_one.csv --assume-crs '+proj=utm +zone=33 "
                           "+ellps=GRS80 +units=m +no_defs'"),
                     0);
    assert_null(strstr(err, "warning: <"));
    free(err);
    char *want = read_out("ac_want.csv"), *tif = read_out("ac_tif.csv"),
         *own = read_out("ac_own.csv");
    assert_string_equal(tif, want);
    assert_string_equal(own, want);
    free(tif);
    free(own);
    /* the shapefile holds the first polygon of p.gpkg, without a .prj */
    assert_int_equal(zonal(NULL, NULL, "r.tif nocrs.shp ac_shp.csv -q --assume-crs EPSG:32633"), 0);
    char *shp = read_out("ac_shp.csv");
    const char *row = strchr(want, '\n') + 1, *end = strchr(row, '\n');
    const char *srow = strchr(shp, '\n') + 1;
    assert_int_equal(strncmp(srow, row, (size_t)(end - row + 1)), 0);
    free(shp);
    free(want);
}

static void test_zonal_errors(void **state) {
    (void)state;
    char *err = NULL;
    assert_int_equal(zonal(NULL, &err, "missing.tif p.gpkg o.csv"), 1);
    cpt_assert_contains(err, "clearplan: error: cannot open <missing.tif>");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif missing.gpkg o.csv"), 1);
    cpt_assert_contains(err, "clearplan: error: cannot open <missing.gpkg>: ");
    free(err);
    assert_int_equal(zonal(NULL, &err, "nocrs.tif p.gpkg o.csv"), 1);
    cpt_assert_contains(err,
                        "<nocrs.tif> has no coordinate reference system; give one with "
                        "--assume-crs (e.g. EPSG:32633) if you know it");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif nocrs.shp o.csv"), 1);
    cpt_assert_contains(err,
                        "<nocrs.shp> has no coordinate reference system; give one with "
                        "--assume-crs");
    free(err);
    assert_int_equal(zonal(NULL, &err, "nocrs.tif p.gpkg o.csv --assume-crs nowhere"), 2);
    cpt_assert_contains(err, "--assume-crs: 'nowhere' is not a coordinate reference system");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif empty.gpkg o.csv"), 1);
    cpt_assert_contains(err, "layer 'none' of <empty.gpkg> has no features");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif far.gpkg o.csv"), 1);
    cpt_assert_contains(err, "no polygon of <far.gpkg> overlaps <r.tif>");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif p.gpkg o.csv --layer nope"), 1);
    cpt_assert_contains(err, "<p.gpkg> has no layer 'nope' (layers: hz)");
    free(err);
    /* a file of several layers needs --layer: taking the first could read the wrong one */
    const char *names[] = {"pt", "sq"};
    const char *wkts[] = {"POINT(500005 4000015)",
                          "POLYGON((500000 4000000,500010 4000000,500010 4000010,500000 4000000))"};
    make_gpkg("two.gpkg", "a_points", 32633, 1, names, wkts);
    make_gpkg("two.gpkg", "hz", 32633, 1, names + 1, wkts + 1); /* a second layer */
    assert_int_equal(zonal(NULL, &err, "r.tif two.gpkg o.csv"), 1);
    cpt_assert_contains(err,
                        "<two.gpkg> has 2 layers (a_points, hz) and none was chosen; choose "
                        "one with --layer");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif two.gpkg two.csv --layer hz -q"), 0);
    free(err);
    char path[4200];
    snprintf(path, sizeof path, "%s/o.csv", dir);
    assert_false(cpt_exists(path));
    assert_int_equal(cpt_debris(dir), 0);
    /* usage errors */
    assert_int_equal(zonal(NULL, &err, "r.tif p.gpkg o.csv --stats sum,bogus"), 2);
    cpt_assert_contains(
        err, "--stats wants a list of sum, mean, min, max, area, count, classes (got 'sum,bogus')");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif p.gpkg"), 2);
    cpt_assert_contains(err, "missing OUT.csv");
    free(err);
    assert_int_equal(zonal(NULL, &err, "r.tif p.gpkg o.csv -j 0"), 2);
    free(err);
    char *out = NULL;
    assert_int_equal(zonal(&out, NULL, "--help"), 0);
    cpt_assert_contains(out, "usage: clearplan zonal RASTER POLYGONS OUT.csv");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zonal_hand_computed),
        cmocka_unit_test(test_zonal_strips_threads_reprojection),
        cmocka_unit_test(test_zonal_tall_blocks),
        cmocka_unit_test(test_zonal_parallel_intake),
        cmocka_unit_test(test_zonal_assume_crs),
        cmocka_unit_test(test_zonal_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
