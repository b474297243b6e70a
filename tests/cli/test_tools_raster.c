/* clearplan proximity / focal-sum / density: outputs against the kernels and gdal_proximity,
 * exit codes and messages for bad input, no partial outputs. */
#include "cp_test_gdal.h"

#include <math.h>
#include <sys/stat.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "cpk/density.h"
#include "cpk/edt.h"
#include "cpk/focal.h"
#include "raster.h"

#include <clearplan/clearplan.h>
#include <clearplan/tools.h>

static char dir[1024];

static uint64_t rng_state = 88172645463325252ull;

/* No temporary output left in the test folder. */
static void assert_no_tmp(void) {
    assert_int_equal(cpt_debris(dir), 0);
}

static int setup(void **state) {
    (void)state;
    cp_init();
    cpt_tmpdir("tools_raster", dir, sizeof dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cpt_rmtree(dir);
    return 0;
}

enum { NX = 173, NY = 131 };

static float *sources_grid(void) {
    float *g = malloc(sizeof(float) * NX * NY);
    for (int k = 0; k < NX * NY; ++k) {
        double u = cpt_rnd01(&rng_state);
        g[k] = u < 0.003 ? 7.0f : u < 0.006 ? 3.0f : u < 0.02 ? -1.0f : 0.0f;
    }
    return g;
}

static void test_tools_proximity_matches_kernel(void **state) {
    (void)state;
    float *g = sources_grid();
    char in[1200], out[1200];
    snprintf(in, sizeof in, "%s/src.tif", dir);
    cpt_write_tif(in, g, NX, NY, 500000, 4000000, 30, 20, 32618, 1, -1);
    cpk_view_f32 v = {g, NX, NY, NX, -1.0f, 1};
    float *want = malloc(sizeof(float) * NX * NY);
    cpk_out_f32 o = {want, NX, NY, NX};
    const char *runs[] = {"--distunits geo", "-distunits GEO -j 1", "--distunits=geo -j 2",
                          "--distunits geo --memory 1 -j 3"};
    cpk_sources all = {CPK_SOURCE_NONZERO, 0, NULL, 0};
    assert_int_equal(cpk_edt_f32(&v, &all, 30, 20, INFINITY, 65535, 0, NY, &o, 1), CPK_OK);
    for (size_t r = 0; r < 3; ++r) {
        snprintf(out, sizeof out, "%s/prox%zu.tif", dir, r);
        char *err = NULL;
        int rc = cpt_sh(NULL, &err, "'%s' proximity '%s' '%s' -q %s", cpt_bin(), in, out, runs[r]);
        if (rc) print_error("%s\n", err);
        assert_int_equal(rc, 0);
        free(err);
        int nx, ny;
        float *got = cpt_read_tif(out, &nx, &ny);
        assert_int_equal(nx, NX);
        assert_int_equal(ny, NY);
        assert_memory_equal(got, want, sizeof(float) * NX * NY);
        free(got);
    }
    /* values list, max distance, strips under a tiny memory budget, 3 threads */
    float vals[1] = {7};
    cpk_sources seven = {CPK_SOURCE_VALUES, 0, vals, 1};
    assert_int_equal(cpk_edt_f32(&v, &seven, 1, 1, 12.5, -9, 0, NY, &o, 1), CPK_OK);
    snprintf(out, sizeof out, "%s/prox_values.tif", dir);
    assert_int_equal(cpt_sh(NULL, NULL,
                            "'%s' proximity '%s' '%s' -q -values 7 -maxdist 12.5 -nodata -9 "
                            "--memory 1 -j 3 -co COMPRESS=NONE",
                            cpt_bin(), in, out),
                     0);
    int nx, ny;
    float *got = cpt_read_tif(out, &nx, &ny);
    assert_memory_equal(got, want, sizeof(float) * NX * NY);
    free(got);
    assert_no_tmp();
    free(want);
    free(g);
}

/* Without --max-dist the output is written while the input is still read (cpk/edt.h, "Early
 * rows"). A grid of many strips (--memory 1: about 100 rows a strip) gives the kernel's bytes
 * on the whole grid for sparse sources, for sources only near the bottom (nothing final
 * before them) and for dense ones, whose list used to have to fit in --memory whole (1.4 MB
 * here); no row is computed more than twice; a compressed output has the same bytes for any
 * --memory and -j. */
static void test_tools_proximity_early_rows(void **state) {
    (void)state;
    enum { W = 251, H = 2300 };
    float *g = malloc(sizeof(float) * W * H), *want = malloc(sizeof(float) * W * H);
    char in[1200], out[1200], ref[1200];
    snprintf(in, sizeof in, "%s/tall.tif", dir);
    snprintf(ref, sizeof ref, "%s/tall_ref.tif", dir);
    for (int layout = 0; layout < 3; ++layout) {
        for (int k = 0; k < W * H; ++k) {
            double u = cpt_rnd01(&rng_state);
            double p = layout == 0 ? 0.002 : layout == 1 ? (k / W > H - 40 ? 0.01 : 0.0) : 0.25;
            g[k] = u < p ? 1.0f : u > 0.99 ? -1.0f : 0.0f;
        }
        cpt_write_tif(in, g, W, H, 500000, 4000000, 30, 20, 32618, 1, -1);
        cpk_view_f32 v = {g, W, H, W, -1.0f, 1};
        cpk_out_f32 o = {want, W, H, W};
        cpk_sources all = {CPK_SOURCE_NONZERO, 0, NULL, 0};
        for (int geo = 0; geo < 2; ++geo) {
            assert_int_equal(
                cpk_edt_f32(&v, &all, geo ? 30 : 1, geo ? 20 : 1, INFINITY, 65535, 0, H, &o, 2),
                CPK_OK);
            for (int j = 1; j <= 3; ++j) {
                snprintf(out, sizeof out, "%s/tall_%d_%d_%d.tif", dir, layout, geo, j);
                char *err = NULL;
                int rc =
                    cpt_sh(NULL, &err,
                           "CP_DEBUG_PROXIMITY=1 '%s' proximity '%s' '%s' -q --memory 1 -j %d%s",
                           cpt_bin(), in, out, j, geo ? " --distunits geo" : "");
                if (rc) print_error("%s\n", err);
                assert_int_equal(rc, 0);
                long long computed = 0, rows = 0;
                int writes = 0;
                assert_int_equal(sscanf(err, "proximity: %lld rows computed for %lld, %d writes",
                                        &computed, &rows, &writes),
                                 3);
                free(err);
                assert_int_equal(rows, H);
                assert_true(computed >= H && computed <= 2 * H);
                assert_true(writes > 10); /* strips, not one write at the end */
                int nx, ny;
                float *got = cpt_read_tif(out, &nx, &ny);
                assert_memory_equal(got, want, sizeof(float) * W * H);
                free(got);
            }
        }
        /* compressed, in tiles of 32 rows: the same file for any strips and threads */
        const char *co =
            "--co COMPRESS=DEFLATE --co TILED=YES --co BLOCKXSIZE=64 --co BLOCKYSIZE=32";
        remove(ref);
        assert_int_equal(
            cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q -j 1 %s", cpt_bin(), in, ref, co), 0);
        const char *runs[] = {"--memory 1 -j 2", "--memory 1 -j 3", "-j 2"};
        for (size_t r = 0; r < 3; ++r) {
            snprintf(out, sizeof out, "%s/tall_z%d_%zu.tif", dir, layout, r);
            assert_int_equal(cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q %s %s", cpt_bin(), in,
                                    out, runs[r], co),
                             0);
            assert_int_equal(cpt_sh(NULL, NULL, "cmp -s '%s' '%s'", ref, out), 0);
        }
    }
    assert_no_tmp();
    free(g);
    free(want);
}

/* Sources on whole columns: gdal_proximity.py is exact there (distances along rows). */
static void test_tools_proximity_matches_gdal_proximity(void **state) {
    (void)state;
    if (cpt_sh(NULL, NULL, "command -v gdal_proximity.py") != 0) skip();
    float *g = calloc(NX * NY, sizeof(float));
    for (int j = 0; j < NY; ++j) g[j * NX + 40] = g[j * NX + 120] = 1;
    char in[1200], a[1200], b[1200];
    snprintf(in, sizeof in, "%s/cols.tif", dir);
    snprintf(a, sizeof a, "%s/cols_cp.tif", dir);
    snprintf(b, sizeof b, "%s/cols_gdal.tif", dir);
    cpt_write_tif(in, g, NX, NY, 0, 1000, 10, 10, 32618, 0, 0);
    assert_int_equal(cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q -distunits GEO -maxdist 300",
                            cpt_bin(), in, a),
                     0);
    assert_int_equal(
        cpt_sh(NULL, NULL, "gdal_proximity.py -q '%s' '%s' -distunits GEO -maxdist 300", in, b), 0);
    int nx, ny;
    float *x = cpt_read_tif(a, &nx, &ny), *y = cpt_read_tif(b, &nx, &ny);
    assert_memory_equal(x, y, sizeof(float) * NX * NY);
    free(x);
    free(y);
    free(g);
}

/* Uncompressed Float32 outputs are written straight into the strips GDAL laid out: the same
 * file contents as GDAL writing them (SPARSE_OK=FALSE keeps GDAL's own path), with strips of
 * one row (the default) and of 7 rows (the last one partial); an existing output is replaced
 * whole; a directory in the way is an error and stays as it was. */
static void test_tools_direct_output(void **state) {
    (void)state;
    float *g = sources_grid();
    char in[1200], a[1200], b[1200];
    snprintf(in, sizeof in, "%s/direct_src.tif", dir);
    cpt_write_tif(in, g, NX, NY, 500000, 4000000, 30, 30, 32618, 1, -1);
    const char *layouts[] = {"", "--co BLOCKYSIZE=7"};
    for (int k = 0; k < 2; ++k) {
        snprintf(a, sizeof a, "%s/direct_%d.tif", dir, k);
        snprintf(b, sizeof b, "%s/gdal_%d.tif", dir, k);
        assert_int_equal(cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q -distunits GEO %s",
                                cpt_bin(), in, a, layouts[k]),
                         0);
        assert_int_equal(
            cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q -distunits GEO %s --co SPARSE_OK=FALSE",
                   cpt_bin(), in, b, layouts[k]),
            0);
        GDALDatasetH da = GDALOpen(a, GA_ReadOnly), db = GDALOpen(b, GA_ReadOnly);
        assert_non_null(da);
        assert_non_null(db);
        GDALRasterBandH ba = GDALGetRasterBand(da, 1), bb = GDALGetRasterBand(db, 1);
        int bx, by, cx, cy, has = 0;
        GDALGetBlockSize(ba, &bx, &by);
        GDALGetBlockSize(bb, &cx, &cy);
        assert_int_equal(bx, NX);
        assert_int_equal(by, cy);
        if (k) assert_int_equal(by, 7);
        assert_true(NY % by != 0); /* a partial last strip */
        assert_int_equal(GDALGetRasterDataType(ba), GDT_Float32);
        assert_true(GDALGetRasterNoDataValue(ba, &has) == 65535.0 && has);
        double ga[6], gb[6];
        assert_int_equal(GDALGetGeoTransform(da, ga), CE_None);
        assert_int_equal(GDALGetGeoTransform(db, gb), CE_None);
        assert_memory_equal(ga, gb, sizeof ga);
        assert_true(OSRIsSame(GDALGetSpatialRef(da), GDALGetSpatialRef(db)));
        const char *comp = GDALGetMetadataItem(da, "COMPRESSION", "IMAGE_STRUCTURE");
        assert_null(comp);
        GDALClose(da);
        GDALClose(db);
        int nx, ny;
        float *x = cpt_read_tif(a, &nx, &ny), *y = cpt_read_tif(b, &nx, &ny);
        assert_memory_equal(x, y, sizeof(float) * NX * NY);
        free(x);
        free(y);
        /* GDAL's own checks of the file: gdalinfo reads every strip */
        char *out = NULL;
        assert_int_equal(cpt_sh(&out, NULL, "gdalinfo -checksum '%s'", a), 0);
        cpt_assert_contains(out, "Checksum=");
        free(out);
    }
    /* an existing output is refused without --overwrite, and left as it was */
    char *err1 = NULL;
    assert_int_equal(
        cpt_sh(NULL, &err1, "'%s' proximity '%s' '%s' -q -values 7 -maxdist 4", cpt_bin(), in, a),
        1);
    cpt_assert_contains(err1, "exists; pass --overwrite to replace it");
    free(err1);
    assert_true(cp_rio_owned(a, NULL));
    /* replacing an existing output: the new contents, nothing left over */
    assert_int_equal(
        cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q -values 7 -maxdist 4 --overwrite",
               cpt_bin(), in, a),
        0);
    float vals[1] = {7};
    cpk_sources seven = {CPK_SOURCE_VALUES, 0, vals, 1};
    cpk_view_f32 v = {g, NX, NY, NX, -1.0f, 1};
    float *want = malloc(sizeof(float) * NX * NY);
    cpk_out_f32 o = {want, NX, NY, NX};
    assert_int_equal(cpk_edt_f32(&v, &seven, 1, 1, 4, 65535, 0, NY, &o, 1), CPK_OK);
    int nx, ny;
    float *got = cpt_read_tif(a, &nx, &ny);
    assert_memory_equal(got, want, sizeof(float) * NX * NY);
    free(got);
    free(want);
    /* a directory where the output should go */
    char d[1200], *err = NULL;
    snprintf(d, sizeof d, "%s/adir.tif", dir);
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(cpt_sh(NULL, &err, "'%s' proximity '%s' '%s' -q", cpt_bin(), in, d), 1);
    cpt_assert_contains(err, "adir.tif");
    free(err);
    struct stat st;
    assert_int_equal(stat(d, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(rmdir(d), 0);
    assert_no_tmp();
    free(g);
}

/* Whether two files hold the same bytes. */
static int same_bytes(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *x = cpt_slurp(a, &na), *y = cpt_slurp(b, &nb);
    int same = x && y && na == nb && !memcmp(x, y, na);
    free(x);
    free(y);
    return same;
}

/* A compressed output is tiled 256 x 256 (edge tiles on a 600 x 500 grid) unless the options
 * give a layout, and DEFLATE and ZSTD are at level 1 unless the options give one: the default
 * output has the bytes of the one with those options spelt out (and not those of level 9);
 * TILED=NO and BLOCKYSIZE keep strips; every file holds the uncompressed output's cells, and
 * its bytes do not depend on the thread count. A compression that fails on GDAL's threads is
 * an error, not a file of zeros. */
static void test_tools_compressed_output(void **state) {
    (void)state;
    enum { W = 600, H = 500 };
    float *g = malloc(sizeof(float) * W * H);
    for (int k = 0; k < W * H; ++k) g[k] = cpt_rnd01(&rng_state) < 0.002 ? 1.0f : 0.0f;
    char in[1200], plain[1200];
    snprintf(in, sizeof in, "%s/comp_src.tif", dir);
    snprintf(plain, sizeof plain, "%s/comp_plain.tif", dir);
    cpt_write_tif(in, g, W, H, 500000, 4000000, 30, 30, 32618, 0, 0);
    assert_int_equal(cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q", cpt_bin(), in, plain), 0);
    int nx, ny;
    float *want = cpt_read_tif(plain, &nx, &ny);
    static const struct {
        const char *co, *compression;
        int bx, by;
    } runs[] = {
        {"--co COMPRESS=ZSTD", "ZSTD", 256, 256},
        {"--co COMPRESS=ZSTD --co ZSTD_LEVEL=1 --co TILED=YES", "ZSTD", 256, 256},
        {"--co COMPRESS=ZSTD --co ZSTD_LEVEL=9", "ZSTD", 256, 256},
        {"--co COMPRESS=DEFLATE", "DEFLATE", 256, 256},
        {"--co COMPRESS=DEFLATE --co ZLEVEL=1 --co TILED=YES", "DEFLATE", 256, 256},
        {"--co COMPRESS=DEFLATE --co ZLEVEL=9", "DEFLATE", 256, 256},
        {"--co COMPRESS=DEFLATE --co TILED=NO", "DEFLATE", W, 0},
        {"--co COMPRESS=LZW --co BLOCKYSIZE=16", "LZW", W, 16},
        {"--co COMPRESS=LZW --co BLOCKXSIZE=128 --co TILED=YES", "LZW", 128, 256},
        {"--co COMPRESS=ZSTD -j 1", "ZSTD", 256, 256},
        {"--co COMPRESS=ZSTD -j 3", "ZSTD", 256, 256},
    };
    enum { N = sizeof runs / sizeof runs[0] };
    char out[N][1200];
    for (int k = 0; k < N; ++k) {
        snprintf(out[k], sizeof out[k], "%s/comp_%d.tif", dir, k);
        assert_int_equal(
            cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q %s", cpt_bin(), in, out[k], runs[k].co),
            0);
        GDALDatasetH ds = GDALOpen(out[k], GA_ReadOnly);
        assert_non_null(ds);
        const char *c = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
        assert_non_null(c);
        assert_string_equal(c, runs[k].compression);
        int bx = 0, by = 0;
        GDALGetBlockSize(GDALGetRasterBand(ds, 1), &bx, &by);
        assert_int_equal(bx, runs[k].bx);
        if (runs[k].by)
            assert_int_equal(by, runs[k].by);
        else
            assert_true(by < 256); /* GDAL's strips: a few rows */
        GDALClose(ds);
        float *got = cpt_read_tif(out[k], &nx, &ny);
        assert_memory_equal(got, want, sizeof(float) * W * H);
        free(got);
    }
    assert_true(same_bytes(out[0], out[1]));  /* ZSTD: tiled, level 1 */
    assert_false(same_bytes(out[0], out[2])); /* ... not level 9 */
    assert_true(same_bytes(out[3], out[4]));  /* DEFLATE: tiled, level 1 */
    assert_false(same_bytes(out[3], out[5]));
    assert_true(same_bytes(out[9], out[10])); /* GDAL's compression threads: the same file */
    assert_true(same_bytes(out[0], out[9]));
    /* JPEG cannot hold Float32 cells: GDAL's compression threads fail where the writing thread
     * does not hear of it; the blocks left unwritten are found, and nothing is published */
    for (int j = 1; j <= 3; j += 2) {
        char *err = NULL, bad[1200];
        snprintf(bad, sizeof bad, "%s/comp_jpeg.tif", dir);
        assert_int_equal(cpt_sh(NULL, &err, "'%s' proximity '%s' '%s' -q --co COMPRESS=JPEG -j %d",
                                cpt_bin(), in, bad, j),
                         1);
        cpt_assert_contains(err, "comp_jpeg.tif>: ");
        cpt_assert_contains(err, j == 1 ? "not allowed for JPEG" : "blocks unwritten");
        free(err);
        assert_false(cpt_exists(bad));
    }
    assert_no_tmp();
    free(want);
    free(g);
}

static void test_tools_focal_sum_matches_kernel(void **state) {
    (void)state;
    float *g = malloc(sizeof(float) * NX * NY);
    for (int k = 0; k < NX * NY; ++k)
        g[k] = cpt_rnd01(&rng_state) < 0.05 ? -9999.0f : (float)(int)(cpt_rnd01(&rng_state) * 50);
    char in[1200], out[1200];
    snprintf(in, sizeof in, "%s/pop.tif", dir);
    cpt_write_tif(in, g, NX, NY, 300000, 2000000, 30, 25, 32618, 1, -9999);
    cpk_view_f32 v = {g, NX, NY, NX, -9999.0f, 1};
    float *want = malloc(sizeof(float) * NX * NY);
    cpk_out_f32 o = {want, NX, NY, NX};
    assert_int_equal(cpk_focal_sum_disk_f32(&v, 30, 25, 310, 0, NY, &o, 1), CPK_OK);
    const char *runs[] = {"-j 1", "-j 2 --memory 1", "-j 3 --memory 1 --co COMPRESS=LZW"};
    for (size_t r = 0; r < 3; ++r) {
        snprintf(out, sizeof out, "%s/fs%zu.tif", dir, r);
        assert_int_equal(cpt_sh(NULL, NULL, "'%s' focal-sum '%s' '%s' --radius-m 310 -q %s",
                                cpt_bin(), in, out, runs[r]),
                         0);
        int nx, ny;
        float *got = cpt_read_tif(out, &nx, &ny);
        assert_memory_equal(got, want, sizeof(float) * NX * NY);
        free(got);
    }
    /* brute-force spot check of one cell (integers: exact) */
    int ci = 17, cj = 100;
    double s = 0;
    for (int j = 0; j < NY; ++j)
        for (int i = 0; i < NX; ++i) {
            double a = (double)(i - ci) * 30, b = (double)(j - cj) * 25;
            if (a * a + b * b <= 310.0 * 310.0 && g[j * NX + i] != -9999.0f) s += g[j * NX + i];
        }
    assert_true(want[cj * NX + ci] == (float)s);
    assert_no_tmp();
    free(want);
    free(g);
}

static void write_points_fmt(const char *fmt, const char *path, const char *layer, int epsg,
                             const double *lon, const double *lat, const double *w, int n) {
    /* an existing GeoPackage gets one more layer */
    GDALDatasetH ds = !strcmp(fmt, "GPKG") && cpt_exists(path)
                          ? GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL)
                          : GDALCreate(GDALGetDriverByName(fmt), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = NULL;
    if (epsg) {
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, epsg);
    }
    OGRLayerH l = GDALDatasetCreateLayer(ds, layer, srs, wkbPoint, NULL);
    assert_non_null(l);
    OGRFieldDefnH fd = OGR_Fld_Create("confidence", OFTReal);
    OGR_L_CreateField(l, fd, 1);
    OGR_Fld_Destroy(fd);
    for (int k = 0; k < n; ++k) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(p, 0, lon[k], lat[k]);
        OGR_F_SetGeometryDirectly(f, p);
        OGR_F_SetFieldDouble(f, 0, w[k]);
        assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    if (srs) OSRDestroySpatialReference(srs);
    GDALClose(ds);
}

static void write_points(const char *path, const char *layer, int epsg, const double *lon,
                         const double *lat, const double *w, int n) {
    write_points_fmt("GPKG", path, layer, epsg, lon, lat, w, n);
}

static void test_tools_density_matches_kernel(void **state) {
    (void)state;
    /* grid in UTM 18N, points in lon/lat (EPSG:4326: latitude first in its official order) */
    enum { N = 60 };
    double lon[N], lat[N], w[N], x[N], y[N];
    for (int k = 0; k < N; ++k) {
        lon[k] = -75.0 + 0.05 * cpt_rnd01(&rng_state);
        lat[k] = 5.0 + 0.04 * cpt_rnd01(&rng_state);
        w[k] = 0.5 + cpt_rnd01(&rng_state);
    }
    char grid[1200], pts[1200], out[1200];
    snprintf(grid, sizeof grid, "%s/grid.tif", dir);
    snprintf(pts, sizeof pts, "%s/reports.gpkg", dir);
    write_points(pts, "reports", 4326, lon, lat, w, N);
    /* where the points land in UTM, with traditional GIS order */
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL), d = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(s, 4326);
    OSRImportFromEPSG(d, 32618);
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(d, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(s, d);
    memcpy(x, lon, sizeof x);
    memcpy(y, lat, sizeof y);
    assert_true(OCTTransform(ct, N, x, y, NULL));
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(s);
    OSRDestroySpatialReference(d);
    double x0 = 500000 - 3000, y0 = 560000; /* the points lie around x 500-505 km, y 553 km */
    float *zero = calloc(NX * NY, sizeof(float));
    cpt_write_tif(grid, zero, NX, NY, x0, y0, 40, 60, 32618, 0, 0);
    cpk_geo geo = {x0, y0, 40, 60, NX, NY};
    float *want = malloc(sizeof(float) * NX * NY);
    cpk_out_f32 o = {want, NX, NY, NX};
    cpk_points cp = {x, y, w, N};
    assert_int_equal(cpk_density_quartic_f32(&cp, &geo, 1500, 0, NY, &o, 1), CPK_OK);
    double sum = 0;
    for (int k = 0; k < NX * NY; ++k) sum += want[k];
    assert_true(sum > 0);
    snprintf(out, sizeof out, "%s/density.tif", dir);
    char *err = NULL;
    int rc = cpt_sh(NULL, &err,
                    "'%s' density '%s' '%s' --like '%s' --bandwidth-m 1500 --weight confidence "
                    "--layer reports -j 3 --memory 1",
                    cpt_bin(), pts, out, grid);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    cpt_assert_contains(err, "60 points used, 0 skipped");
    free(err);
    int nx, ny;
    float *got = cpt_read_tif(out, &nx, &ny);
    assert_memory_equal(got, want, sizeof(float) * NX * NY);
    free(got);
    free(want);
    free(zero);
    assert_no_tmp();
}

/* Inputs without a CRS: refused with the advice to give one, or read with --assume-crs as if
 * they had it (the bytes of the run on inputs that have it, the CRS in the output), the input
 * left as it was (no .aux.xml beside it). Inputs with a CRS keep theirs, with a warning when
 * --assume-crs names another. A name that is no CRS, or a geographic one where
 * metres are needed, is refused and nothing is written. */
static void test_tools_assume_crs(void **state) {
    (void)state;
    float *g = sources_grid();
    char with[1200], without[1200], a[1200], b[1200], aux[1300];
    snprintf(with, sizeof with, "%s/crs.tif", dir);
    snprintf(without, sizeof without, "%s/nocrs.tif", dir);
    cpt_write_tif(with, g, NX, NY, 500000, 4000000, 30, 30, 32618, 1, -1);
    cpt_write_tif(without, g, NX, NY, 500000, 4000000, 30, 30, 0, 1, -1);
    free(g);
    double x[3] = {501000, 502500, 503000}, y[3] = {3998000, 3997000, 3999500}, w[3] = {1, 2, 3};
    char pw[1200], pn[1200];
    snprintf(pw, sizeof pw, "%s/pts_crs.gpkg", dir);
    snprintf(pn, sizeof pn, "%s/pts_nocrs.gpkg", dir);
    write_points(pw, "p", 32618, x, y, w, 3);
    write_points(pn, "p", 0, x, y, w, 3);
    const struct {
        const char *cmd, *in_with, *in_without, *args;
    } runs[] = {{"focal-sum", with, without, "--radius-m 100"},
                {"proximity", with, without, "--distunits geo"},
                {"density", pw, pn, "--bandwidth-m 900 --like"}};
    snprintf(a, sizeof a, "%s/a.tif", dir);
    snprintf(b, sizeof b, "%s/b.tif", dir);
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; ++r) {
        const int dens = !strcmp(runs[r].cmd, "density");
        char *err = NULL;
        /* the grid without a CRS, then (density) the points without one */
        for (int k = 0; k < 1 + dens; ++k) {
            const char *in = dens ? (k ? runs[r].in_without : runs[r].in_with) : runs[r].in_without;
            const char *like = dens ? (k ? with : without) : "";
            assert_int_equal(cpt_sh(NULL, &err, "'%s' %s '%s' '%s' -q %s %s", cpt_bin(),
                                    runs[r].cmd, in, a, runs[r].args, like),
                             1);
            cpt_assert_contains(err,
                                "has no coordinate reference system; give one with "
                                "--assume-crs");
            cpt_assert_contains(err, k ? "pts_nocrs.gpkg" : "nocrs.tif");
            assert_false(cpt_exists(a));
            free(err);
        }
        assert_int_equal(
            cpt_sh(NULL, NULL, "'%s' %s '%s' '%s' -q %s %s --assume-crs EPSG:32618", cpt_bin(),
                   runs[r].cmd, runs[r].in_without, a, runs[r].args, dens ? without : ""),
            0);
        assert_int_equal(cpt_sh(NULL, NULL, "'%s' %s '%s' '%s' -q %s %s", cpt_bin(), runs[r].cmd,
                                runs[r].in_with, b, runs[r].args, dens ? with : ""),
                         0);
        assert_true(same_bytes(a, b));
        GDALDatasetH ds = GDALOpen(a, GA_ReadOnly);
        assert_non_null(ds);
        assert_string_equal(OSRGetAuthorityCode(GDALGetSpatialRef(ds), NULL), "32618");
        GDALClose(ds);
        remove(a);
        /* files with a CRS of their own keep it, and a warning names each (not under -q, not
         * when the CRS assumed is theirs) */
        static const char *const assumed[] = {"EPSG:32633", "EPSG:32633 -q", "EPSG:32618"};
        for (int k = 0; k < 3; ++k) {
            err = NULL;
            assert_int_equal(
                cpt_sh(NULL, &err, "'%s' %s '%s' '%s' %s %s --assume-crs %s", cpt_bin(),
                       runs[r].cmd, runs[r].in_with, a, runs[r].args, dens ? with : "", assumed[k]),
                0);
            assert_true(same_bytes(a, b));
            char says[1400];
            snprintf(says, sizeof says,
                     "warning: <%s> has a coordinate reference system of its own, which is used "
                     "instead of --assume-crs EPSG:32633",
                     runs[r].in_with);
            if (k == 0) cpt_assert_contains(err, says);
            if (k == 0 && dens) cpt_assert_contains(err, with); /* the grid too */
            if (k > 0) assert_null(strstr(err, "warning"));
            free(err);
            remove(a);
        }
        remove(b);
        if (dens) { /* taken by the points, --assume-crs is no warning for the grid's own CRS */
            err = NULL;
            assert_int_equal(
                cpt_sh(NULL, &err, "'%s' density '%s' '%s' %s '%s' --assume-crs EPSG:32617",
                       cpt_bin(), runs[r].in_without, a, runs[r].args, with),
                0);
            assert_null(strstr(err, "warning"));
            free(err);
            remove(a);
        }
    }
    const struct {
        const char *crs, *says;
        int rc;
    } bad[] = {{"EPSG:0", "--assume-crs: 'EPSG:0' is not a coordinate reference system", 2},
               {"EPSG:4326", "geographic coordinate reference system (--assume-crs)", 1}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
        char *err = NULL;
        assert_int_equal(
            cpt_sh(NULL, &err, "'%s' focal-sum '%s' '%s' -q --radius-m 100 --assume-crs %s",
                   cpt_bin(), without, a, bad[k].crs),
            bad[k].rc);
        cpt_assert_contains(err, bad[k].says);
        free(err);
    }
    assert_false(cpt_exists(a));
    snprintf(aux, sizeof aux, "%s.aux.xml", without);
    assert_false(cpt_exists(aux));
    assert_no_tmp();
}

/* A 2,000 x 1,000 Byte GeoTIFF at `path`, its band `b` then changed by a Python statement. */
static void write_2000x1000(const char *path, const char *statement) {
    assert_int_equal(cpt_sh(NULL, NULL,
                            "/usr/bin/python3 -c \"from osgeo import gdal; import numpy; "
                            "d=gdal.GetDriverByName('GTiff').Create('%s',2000,1000,1); "
                            "b=d.GetRasterBand(1); %s\"",
                            path, statement),
                     0);
}

static int prox_in_5mb(const char *in, const char *out, char **err) {
    return cpt_sh(NULL, err, "'%s' proximity '%s' '%s' --memory 5 -q", cpt_bin(), in, out);
}

static void test_tools_bad_input(void **state) {
    (void)state;
    char *err = NULL, out[1200], nocrs[1200], src[1200], empty[1200];
    snprintf(out, sizeof out, "%s/never.tif", dir);
    snprintf(nocrs, sizeof nocrs, "%s/nocrs.tif", dir);
    snprintf(src, sizeof src, "%s/src.tif", dir);
    snprintf(empty, sizeof empty, "%s/empty.gpkg", dir);
    float one[4] = {1, 0, 0, 0};
    cpt_write_tif(nocrs, one, 2, 2, 0, 10, 5, 5, 0, 0, 0);
    cpt_write_tif(src, one, 2, 2, 0, 10, 5, 5, 32618, 0, 0);

    assert_int_equal(
        cpt_sh(NULL, &err, "'%s' proximity '%s/missing.tif' '%s'", cpt_bin(), dir, out), 1);
    cpt_assert_contains(err, "clearplan: error: cannot open <");
    cpt_assert_contains(err, "missing.tif");
    free(err);
    assert_int_equal(
        cpt_sh(NULL, &err, "'%s' focal-sum '%s' '%s' --radius-m 10 -q", cpt_bin(), nocrs, out), 1);
    cpt_assert_contains(err, "nocrs.tif> has no coordinate reference system");
    free(err);
    assert_int_equal(
        cpt_sh(NULL, &err, "'%s' proximity '%s' '%s' --distunits geo -q", cpt_bin(), nocrs, out),
        1);
    cpt_assert_contains(err, "has no coordinate reference system");
    free(err);
    /* pixel distances need no CRS */
    char ok[1200];
    snprintf(ok, sizeof ok, "%s/ok.tif", dir);
    assert_int_equal(cpt_sh(NULL, NULL, "'%s' proximity '%s' '%s' -q", cpt_bin(), nocrs, ok), 0);
    /* geographic grid for metres */
    char geog[1200];
    snprintf(geog, sizeof geog, "%s/geog.tif", dir);
    cpt_write_tif(geog, one, 2, 2, 10, 10, 0.1, 0.1, 4326, 0, 0);
    assert_int_equal(
        cpt_sh(NULL, &err, "'%s' focal-sum '%s' '%s' --radius-m 10 -q", cpt_bin(), geog, out), 1);
    cpt_assert_contains(err, "geographic");
    free(err);
    /* density: empty layer, no CRS on the layer, missing field, missing layer */
    write_points(empty, "reports", 32618, NULL, NULL, NULL, 0);
    assert_int_equal(cpt_sh(NULL, &err, "'%s' density '%s' '%s' --like '%s' --bandwidth-m 100",
                            cpt_bin(), empty, out, src),
                     1);
    cpt_assert_contains(err, "layer <reports> is empty");
    free(err);
    /* at -j 1 and -j 2 the same errors, the template grid's first when both inputs are bad,
     * and no output */
    for (int j = 1; j <= 2; ++j) {
        assert_int_equal(
            cpt_sh(NULL, &err, "'%s' density '%s' '%s' --like '%s' --bandwidth-m 100 -j %d",
                   cpt_bin(), empty, out, src, j),
            1);
        cpt_assert_contains(err, "layer <reports> is empty");
        free(err);
        assert_int_equal(
            cpt_sh(NULL, &err,
                   "'%s' density '%s' '%s' --like '%s/none.tif' --bandwidth-m 100 -j %d", cpt_bin(),
                   empty, out, dir, j),
            1);
        cpt_assert_contains(err, "none.tif");
        free(err);
        assert_false(cpt_exists(out));
    }
    char nosrs[1200];
    snprintf(nosrs, sizeof nosrs, "%s/nosrs.shp", dir); /* a shapefile without .prj */
    double px = 5, py = 5, pw = 1;
    write_points_fmt("ESRI Shapefile", nosrs, "pts", 0, &px, &py, &pw, 1);
    assert_int_equal(cpt_sh(NULL, &err, "'%s' density '%s' '%s' --like '%s' --bandwidth-m 100",
                            cpt_bin(), nosrs, out, src),
                     1);
    cpt_assert_contains(err, "has no coordinate reference system");
    free(err);
    char good[1200];
    snprintf(good, sizeof good, "%s/good.gpkg", dir);
    write_points(good, "pts", 32618, &px, &py, &pw, 1);
    assert_int_equal(
        cpt_sh(NULL, &err, "'%s' density '%s' '%s' --like '%s' --bandwidth-m 100 --weight nope",
               cpt_bin(), good, out, src),
        1);
    cpt_assert_contains(err, "has no field <nope>");
    free(err);
    assert_int_equal(
        cpt_sh(NULL, &err, "'%s' density '%s' '%s' --like '%s' --bandwidth-m 100 --layer zz",
               cpt_bin(), good, out, src),
        1);
    cpt_assert_contains(err, "has no layer 'zz' (layers: pts)");
    free(err);
    /* a file of several layers needs --layer (taking the first could read the wrong one) */
    write_points(good, "other", 32618, &px, &py, &pw, 1);
    assert_int_equal(cpt_sh(NULL, &err, "'%s' density '%s' '%s' --like '%s' --bandwidth-m 100",
                            cpt_bin(), good, out, src),
                     1);
    cpt_assert_contains(err,
                        "has 2 layers (pts, other) and none was chosen; choose one with "
                        "--layer");
    free(err);
    /* whole-grid EDT over the memory budget: a clear message */
    char big[1200];
    snprintf(big, sizeof big, "%s/big.tif", dir);
    assert_int_equal(cpt_sh(NULL, NULL,
                            "gdal_create -of GTiff -outsize 2000 1000 -ot Byte -burn 0 "
                            "-a_srs EPSG:32618 -a_ullr 0 1000 2000 0 '%s' >/dev/null 2>&1 || "
                            "/usr/bin/python3 -c \"from osgeo import gdal; "
                            "gdal.GetDriverByName('GTiff').Create('%s',2000,1000,1)\"",
                            big, big),
                     0);
    /* without --max-dist only the sources within reach of the rows not yet written are held:
     * no source at all, and sources everywhere (each row final at once), run in 5 MB */
    assert_int_equal(prox_in_5mb(big, out, NULL), 0);
    assert_true(cpt_exists(out));
    remove(out);
    write_2000x1000(big, "b.Fill(1)");
    assert_int_equal(prox_in_5mb(big, out, NULL), 0);
    assert_true(cpt_exists(out));
    remove(out);
    /* ... but with the left half all sources, every row of the right half is 1,000 cells from
     * them, so none is final before the last row is read and the million sources (12 MB) do
     * not fit in 5 MB: a clear message */
    write_2000x1000(big, "b.WriteArray(numpy.ones((1000,1000)), 0, 0)");
    assert_int_equal(prox_in_5mb(big, out, &err), 1);
    cpt_assert_contains(err, "--max-dist");
    free(err);
    assert_false(cpt_exists(out));
    assert_no_tmp();
}

static int stop_after_first(double complete, const char *message, void *arg) {
    (void)message;
    int *calls = arg;
    ++*calls;
    return complete <= 0.0; /* let the start through, stop at the first strip */
}

/* The library API: an interrupted tool returns CP_E_INTERRUPTED and leaves nothing behind. */
static void test_tools_interrupted_leaves_nothing(void **state) {
    (void)state;
    enum { BX = 2000, BY = 600 }; /* tall enough for many strips under 1 MB */
    float *g = malloc(sizeof(float) * BX * BY);
    for (int k = 0; k < BX * BY; ++k)
        g[k] = cpt_rnd01(&rng_state) < 0.0005 ? 1.0f : (float)(int)(cpt_rnd01(&rng_state) * 9);
    char in[1200], out[1200];
    snprintf(in, sizeof in, "%s/intr.tif", dir);
    snprintf(out, sizeof out, "%s/intr_out.tif", dir);
    cpt_write_tif(in, g, BX, BY, 0, 100000, 30, 30, 32618, 0, 0);
    cp_focal_sum_options fo;
    memset(&fo, 0, sizeof fo);
    fo.radius_m = 100;
    fo.common.memory_mb = 1;
    int calls = 0;
    assert_int_equal(cp_tool_focal_sum(in, out, &fo, stop_after_first, &calls, NULL),
                     CP_E_INTERRUPTED);
    assert_int_equal(calls, 2);
    assert_false(cpt_exists(out));
    cp_proximity_options po = cp_proximity_defaults();
    po.max_dist = 7;
    po.values = (const double[]){1};
    po.nvalues = 1;
    po.common.memory_mb = 1;
    calls = 0;
    assert_int_equal(cp_tool_proximity(in, out, &po, stop_after_first, &calls, NULL),
                     CP_E_INTERRUPTED);
    assert_false(cpt_exists(out));
    assert_no_tmp();
    /* uninterrupted: many strips, the same bytes as one whole-grid kernel call */
    float *want = malloc(sizeof(float) * BX * BY);
    cpk_view_f32 v = {g, BX, BY, BX, 0, 0};
    cpk_out_f32 o = {want, BX, BY, BX};
    float one = 1;
    cpk_sources src = {CPK_SOURCE_VALUES, 0, &one, 1};
    assert_int_equal(cpk_edt_f32(&v, &src, 1, 1, 7, 65535, 0, BY, &o, 2), CPK_OK);
    cp_tool_result r;
    po.common.threads = 3;
    po.common.overwrite = 1;
    assert_int_equal(cp_tool_proximity(in, out, &po, NULL, NULL, &r), CP_OK);
    assert_true(r.strips > 5);
    assert_int_equal(r.cells, (long long)BX * BY);
    int nx, ny;
    float *got = cpt_read_tif(out, &nx, &ny);
    assert_memory_equal(got, want, sizeof(float) * BX * BY);
    free(got);
    assert_int_equal(cpk_focal_sum_disk_f32(&v, 30, 30, 100, 0, BY, &o, 1), CPK_OK);
    fo.common.threads = 2;
    fo.common.overwrite = 1;
    assert_int_equal(cp_tool_focal_sum(in, out, &fo, NULL, NULL, &r), CP_OK);
    assert_true(r.strips > 5);
    got = cpt_read_tif(out, &nx, &ny);
    assert_memory_equal(got, want, sizeof(float) * BX * BY);
    free(got);
    free(want);
    free(g);
}

static void test_tools_usage(void **state) {
    (void)state;
    char *o = NULL, *e = NULL;
    const char *cmds[] = {"proximity", "focal-sum", "density"};
    for (int k = 0; k < 3; ++k) {
        assert_int_equal(cpt_sh(&o, NULL, "'%s' %s --help", cpt_bin(), cmds[k]), 0);
        cpt_assert_contains(o, "usage: clearplan ");
        free(o);
        assert_int_equal(cpt_sh(NULL, &e, "'%s' %s -h", cpt_bin(), cmds[k]), 0);
        free(e);
        assert_int_equal(cpt_sh(NULL, &e, "'%s' %s a.tif b.tif --bogus", cpt_bin(), cmds[k]), 2);
        cpt_assert_contains(e, "unknown option '--bogus'");
        free(e);
        assert_int_equal(cpt_sh(NULL, &e, "'%s' %s", cpt_bin(), cmds[k]), 2);
        cpt_assert_contains(e, "clearplan: error: missing");
        free(e);
    }
    assert_int_equal(cpt_sh(NULL, &e, "'%s' focal-sum a.tif b.tif", cpt_bin()), 2);
    cpt_assert_contains(e, "missing --radius-m");
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' focal-sum a.tif b.tif --radius-m -3", cpt_bin()), 2);
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' proximity a.tif b.tif --max-dist", cpt_bin()), 2);
    cpt_assert_contains(e, "needs a value");
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' proximity a.tif b.tif --distunits km", cpt_bin()), 2);
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' density p.gpkg o.tif --bandwidth-m 5", cpt_bin()), 2);
    cpt_assert_contains(e, "missing --like");
    free(e);
    assert_int_equal(cpt_sh(NULL, &e, "'%s' proximity a.tif b.tif -j 0", cpt_bin()), 2);
    free(e);
}

/* Writes W x H values of `data` (of type `dtype`) to a new one-band GeoTIFF of `type` with
 * creation options `co`, and opens it read-only. */
static GDALDatasetH write_tif(const char *path, int W, int H, GDALDataType type,
                              const char *const *co, const void *data, GDALDataType dtype) {
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, W, H, 1, type, (char **)co);
    assert_non_null(ds);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, W, H, (void *)data, W,
                                  H, dtype, 0, 0),
                     CE_None);
    GDALClose(ds);
    ds = GDALOpen(path, GA_ReadOnly);
    assert_non_null(ds);
    return ds;
}

/* Direct reads of uncompressed Float32 GeoTIFFs (cp_band_rows): tiled with edge tiles and
 * striped, any rows, any threads, the same values as GDAL's reading; a compressed or an
 * Int16 file is read by GDAL. */
static void test_band_rows_direct(void **state) {
    (void)state;
    const int W = 701, H = 333;
    float *g = malloc(sizeof(float) * W * H);
    for (int k = 0; k < W * H; ++k) g[k] = (float)(cpt_rnd01(&rng_state) * 1000.0 - 500.0);
    static const char *const cos[][4] = {{"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=128", NULL},
                                         {NULL},
                                         {"COMPRESS=DEFLATE", NULL}};
    for (int v = 0; v < 3; ++v) {
        char path[1200];
        snprintf(path, sizeof path, "%s/direct%d.tif", dir, v);
        GDALDatasetH ds = write_tif(path, W, H, GDT_Float32, cos[v], g, GDT_Float32);
        cp_band_src b;
        assert_int_equal(cp_band_src_open(&b, GDALGetRasterBand(ds, 1), path, 2), CP_OK);
        assert_int_equal(b.direct, v < 2); /* compressed: GDAL reads it */
        static const int rows[][2] = {{0, 333}, {0, 1}, {127, 2}, {100, 200}, {332, 1}};
        for (int threads = 1; threads <= 3; threads += 2) {
            b.threads = threads;
            for (size_t r = 0; r < sizeof rows / sizeof rows[0]; ++r) {
                float *got = malloc(sizeof(float) * W * (size_t)rows[r][1]);
                assert_int_equal(cp_band_rows(&b, rows[r][0], rows[r][1], got), CP_OK);
                assert_memory_equal(got, g + rows[r][0] * W, sizeof(float) * W * rows[r][1]);
                free(got);
            }
        }
        cp_band_src_close(&b);
        GDALClose(ds);
    }
    free(g);
}

/* A compressed GeoTIFF's blocks decoded by a pool of handles (cp_band_read): Byte, Int16 and
 * Float32 files, tiled with edge tiles and striped, read as Float32 and as Byte over windows
 * that start and end inside blocks, strip after strip, on 1-7 threads: the same values, bit
 * for bit, as GDAL's RasterIO; an uncompressed file gets no pool; a truncated file fails with
 * its name and GDAL's reason on any thread count. */
static void test_band_pool_reads(void **state) {
    (void)state;
    const int W = 701, H = 333;
    double *g = malloc(sizeof(double) * W * H);
    for (int k = 0; k < W * H; ++k) g[k] = cpt_rnd01(&rng_state) * 600.0 - 200.0;
    static const char *const tiled[] = {"TILED=YES", "BLOCKXSIZE=128", "BLOCKYSIZE=64",
                                        "COMPRESS=DEFLATE", NULL};
    static const char *const striped[] = {"COMPRESS=LZW", "BLOCKYSIZE=16", NULL};
    static const char *const plain[] = {"TILED=YES", NULL};
    struct {
        GDALDataType type;
        const char *const *co;
        int pooled;
    } files[] = {{GDT_Byte, tiled, 1},
                 {GDT_Int16, tiled, 1},
                 {GDT_Float32, tiled, 1},
                 {GDT_Float32, striped, 1},
                 {GDT_Float32, plain, 0}};
    static const int win[][4] = {{0, 0, 701, 333},  {5, 3, 600, 100},  {128, 64, 256, 128},
                                 {700, 332, 1, 1},  {130, 61, 200, 5}, {0, 320, 701, 13},
                                 {257, 0, 444, 333}};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; ++f) {
        char path[1200];
        snprintf(path, sizeof path, "%s/pool%zu.tif", dir, f);
        GDALDatasetH ds = write_tif(path, W, H, files[f].type, files[f].co, g, GDT_Float64);
        GDALDatasetH ref = GDALOpen(path, GA_ReadOnly);
        GDALRasterBandH band = GDALGetRasterBand(ds, 1), rband = GDALGetRasterBand(ref, 1);
        for (int threads = 1; threads <= 7; threads += 2) {
            cp_band_pool p;
            assert_int_equal(cp_band_pool_open(&p, band, path, threads), CP_OK);
            assert_int_equal(p.n > 0, files[f].pooled);
            for (int t = 0; t < 2; ++t) {
                const GDALDataType type = t ? GDT_Byte : GDT_Float32;
                const int size = t ? 1 : 4;
                for (size_t k = 0; k < sizeof win / sizeof win[0]; ++k) {
                    const int x0 = win[k][0], y0 = win[k][1], w = win[k][2], h = win[k][3];
                    const ptrdiff_t stride = w + 3; /* rows with gaps between them */
                    unsigned char *got = calloc((size_t)stride * h, size),
                                  *want = calloc((size_t)stride * h, size);
                    assert_int_equal(cp_band_read(&p, band, path, x0, y0, w, h, got, type, stride),
                                     CP_OK);
                    assert_int_equal(GDALRasterIOEx(rband, GF_Read, x0, y0, w, h, want, w, h, type,
                                                    size, (GSpacing)stride * size, NULL),
                                     CE_None);
                    for (int r = 0; r < h; ++r)
                        assert_memory_equal(got + (size_t)r * stride * size,
                                            want + (size_t)r * stride * size, (size_t)w * size);
                    free(got), free(want);
                }
            }
            /* strip after strip, 37 rows each: partial block rows met again by the next strip */
            float *got = malloc(sizeof(float) * W * 37), *want = malloc(sizeof(float) * W * 37);
            for (int y = 0; y < H; y += 37) {
                int h = y + 37 < H ? 37 : H - y;
                assert_int_equal(cp_band_read(&p, band, path, 0, y, W, h, got, GDT_Float32, W),
                                 CP_OK);
                assert_int_equal(
                    GDALRasterIO(rband, GF_Read, 0, y, W, h, want, W, h, GDT_Float32, 0, 0),
                    CE_None);
                assert_memory_equal(got, want, sizeof(float) * W * (size_t)h);
            }
            free(got), free(want);
            cp_band_pool_close(&p);
            assert_int_equal(p.n, 0);
        }
        GDALClose(ref);
        GDALClose(ds);
    }
    { /* one compressed strip of 17.6 MB: read through GDAL's cache, no pool */
        char big[1200];
        snprintf(big, sizeof big, "%s/pool_strip.tif", dir);
        static const char *const one[] = {"COMPRESS=DEFLATE", "BLOCKYSIZE=2100", NULL};
        GDALDatasetH ds =
            GDALCreate(GDALGetDriverByName("GTiff"), big, 2100, 2100, 1, GDT_Float32, (char **)one);
        assert_non_null(ds);
        GDALClose(ds);
        ds = GDALOpen(big, GA_ReadOnly);
        cp_band_pool p;
        assert_int_equal(cp_band_pool_open(&p, GDALGetRasterBand(ds, 1), big, 2), CP_OK);
        assert_int_equal(p.n, 0);
        float row[2100];
        assert_int_equal(
            cp_band_read(&p, GDALGetRasterBand(ds, 1), big, 0, 7, 2100, 1, row, GDT_Float32, 2100),
            CP_OK);
        assert_true(row[0] == 0.0f && row[2099] == 0.0f);
        GDALClose(ds);
    }
    /* the tiled Float32 file cut to a third: opened, then a block fails to decode */
    char path[1200], cut[1300];
    snprintf(path, sizeof path, "%s/pool2.tif", dir);
    snprintf(cut, sizeof cut, "%s/pool_cut.tif", dir);
    FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
    assert_non_null(in), assert_non_null(out);
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *bytes = malloc((size_t)n);
    assert_int_equal(fread(bytes, 1, (size_t)n, in), (size_t)n);
    fwrite(bytes, 1, (size_t)n / 3, out);
    fclose(in), fclose(out), free(bytes);
    GDALDatasetH ds = GDALOpen(cut, GA_ReadOnly);
    assert_non_null(ds); /* GDAL writes the directory first */
    for (int threads = 1; threads <= 3; threads += 2) {
        cp_band_pool p;
        assert_int_equal(cp_band_pool_open(&p, GDALGetRasterBand(ds, 1), cut, threads), CP_OK);
        float *got = malloc(sizeof(float) * W * H);
        assert_int_equal(
            cp_band_read(&p, GDALGetRasterBand(ds, 1), cut, 0, 0, W, H, got, GDT_Float32, W),
            CP_E_IO);
        cpt_assert_contains(cp_errmsg(), "cannot read <");
        cpt_assert_contains(cp_errmsg(), "pool_cut.tif> (rows 0-332): ");
        free(got);
        cp_band_pool_close(&p);
    }
    GDALClose(ds);
    free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tools_proximity_matches_kernel),
        cmocka_unit_test(test_tools_proximity_early_rows),
        cmocka_unit_test(test_tools_proximity_matches_gdal_proximity),
        cmocka_unit_test(test_tools_direct_output),
        cmocka_unit_test(test_tools_compressed_output),
        cmocka_unit_test(test_tools_focal_sum_matches_kernel),
        cmocka_unit_test(test_tools_density_matches_kernel),
        cmocka_unit_test(test_tools_assume_crs),
        cmocka_unit_test(test_tools_bad_input),
        cmocka_unit_test(test_tools_interrupted_leaves_nothing),
        cmocka_unit_test(test_tools_usage),
        cmocka_unit_test(test_band_rows_direct),
        cmocka_unit_test(test_band_pool_reads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
