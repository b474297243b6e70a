/* clearplan's own COG writer (engine/io/cogtiff.c) against GDAL's COG driver, bit for bit: a map
 * of odd size is written as a COG by cp_cog_finish, then GDAL's COG driver copies that COG
 * (its cells and the overviews it holds) with the options clearplan used to give it, and the
 * two files and their side files must be the same bytes. Also: the cells and overviews are the
 * map's (cpk/pyramid.h), any thread count writes the same bytes, BigTIFF and classic alike,
 * GDAL's own validator accepts the files, an existing file is never written over, and a stop
 * asked for stops the writer and leaves no file. The maps' writer thread (cp_strips_writer)
 * writes the files of strips the COGs are made from. */
#define _GNU_SOURCE /* O_DIRECT */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_utils.h>

#include "cp_test.h"
#include "cog.h"
#include "cogtiff.h"
#include "grid.h"
#include "cpk/pyramid.h"

static char dir[4096];

static int setup(void **state) {
    (void)state;
    GDALAllRegister();
    cpt_tmpdir("cogtiff", dir, sizeof dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cpt_rmtree(dir);
    return 0;
}

/* A file of strips nx x ny of `type` on a UTM grid (as the run's raw maps), its cells random
 * (a tenth nodata; Byte: classes 0-5), opened with GDAL for update, with the metadata the run
 * gives its maps; the cells into *cells (free() it). */
static GDALDatasetH make_raw(const char *path, int nx, int ny, GDALDataType type, uint64_t seed,
                             int level1, void **cells) {
    const int is_byte = type == GDT_Byte;
    const double nodata = is_byte ? 0 : -9999.0;
    cp_grid g = {.geo = {420000, 750000, 30, 30, nx, ny}};
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 32618);
    OSRExportToWkt(srs, &g.wkt);
    OSRDestroySpatialReference(srs);
    int64_t offset = -1;
    assert_int_equal(cp_strip_file_create(path, &g, type, nodata, &offset), CP_OK);
    size_t n = (size_t)nx * (size_t)ny, cell = is_byte ? 1 : 4;
    unsigned char *buf = malloc(n * cell);
    for (size_t i = 0; i < n; ++i) {
        double u = cpt_rnd01(&seed);
        if (is_byte) {
            buf[i] = (unsigned char)(u < 0.1 ? 0 : 1 + (int)(u * 5) % 5);
        } else {
            float v = u < 0.1 ? (float)nodata : (float)(u * u); /* smooth-ish, as scores */
            memcpy(buf + 4 * i, &v, 4);
        }
    }
    cp_strip_file f;
    assert_int_equal(cp_strip_file_open(&f, path, &g, type, offset), CP_OK);
    if (level1) { /* the first overview level made strip by strip as the rows are written */
        int64_t lo = -1;
        assert_int_equal(cp_strip_level_create(path, &g, type, nodata, &lo), CP_OK);
        assert_int_equal(cp_strip_file_open_level(&f, type, nodata, lo), CP_OK);
        for (int y = 0; y < ny; y += level1) {
            int h = y + level1 < ny ? level1 : ny - y;
            assert_int_equal(cp_strip_file_write(&f, y, h, buf + (size_t)y * (size_t)nx * cell),
                             CP_OK);
        }
    } else {
        assert_int_equal(cp_strip_file_write(&f, 0, ny, buf), CP_OK);
    }
    assert_int_equal(cp_strip_file_close(&f), CP_OK);
    CPLFree(g.wkt);
    GDALDatasetH ds = GDALOpen(path, GA_Update);
    assert_non_null(ds);
    GDALSetMetadataItem(ds, "CLEARPLAN_SCENARIO", "cogtiff test", NULL);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    GDALSetDescription(b, is_byte ? "priority class" : "priority");
    if (is_byte) {
        GDALColorTableH ct = GDALCreateColorTable(GPI_RGB);
        for (int i = 0; i < 6; ++i)
            GDALSetColorEntry(ct, i, &(GDALColorEntry){(short)(40 * i), 10, 200, i ? 255 : 0});
        GDALSetRasterColorTable(b, ct);
        GDALDestroyColorTable(ct);
        char *names[] = {"nodata", "very low", "low", "medium", "high", "very high", NULL};
        GDALSetRasterCategoryNames(b, names);
    }
    *cells = buf;
    return ds;
}

/* GDAL's COG driver's copy of the COG `from` (its cells and its overviews) at `to`. */
static void gdal_copy(const char *from, const char *to, int is_byte, int bigtiff) {
    GDALDatasetH src = GDALOpen(from, GA_ReadOnly);
    assert_non_null(src);
    char *argv[] = {"-of", "COG",
                    "-co", "COMPRESS=DEFLATE",
                    "-co", "LEVEL=1",
                    "-co", is_byte ? "PREDICTOR=NO" : "PREDICTOR=YES",
                    "-co", bigtiff ? "BIGTIFF=YES" : "BIGTIFF=NO",
                    "-co", "NUM_THREADS=2",
                    NULL};
    GDALTranslateOptions *to_opts = GDALTranslateOptionsNew(argv, NULL);
    GDALDatasetH out = GDALTranslate(to, src, to_opts, NULL);
    GDALTranslateOptionsFree(to_opts);
    assert_non_null(out);
    GDALClose(out);
    GDALClose(src);
}

static void assert_same_bytes(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *x = cpt_slurp(a, &na), *y = cpt_slurp(b, &nb);
    if (!x || !y || na != nb || memcmp(x, y, na)) {
        print_error("%s (%zu bytes) and %s (%zu bytes) differ\n", a, na, b, nb);
        fail();
    }
    free(x), free(y);
}

/* The COG's cells at full resolution are the map's, and each overview level is the mean (or
 * the upper-left class) of the 2 x 2 blocks of the level above, as cpk/pyramid.h makes it. */
static void assert_cells(const char *cog, const void *cells, int nx, int ny, int is_byte) {
    GDALDatasetH ds = GDALOpen(cog, GA_ReadOnly);
    assert_non_null(ds);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    const GDALDataType t = is_byte ? GDT_Byte : GDT_Float32;
    const size_t cell = is_byte ? 1 : 4;
    unsigned char *above = malloc((size_t)nx * (size_t)ny * cell);
    assert_int_equal(GDALRasterIO(b, GF_Read, 0, 0, nx, ny, above, nx, ny, t, 0, 0), CE_None);
    assert_memory_equal(above, cells, (size_t)nx * (size_t)ny * cell);
    int ax = nx, ay = ny;
    for (int k = 0; k < GDALGetOverviewCount(b); ++k) {
        GDALRasterBandH o = GDALGetOverview(b, k);
        int ox = GDALGetRasterBandXSize(o), oy = GDALGetRasterBandYSize(o);
        assert_int_equal(ox, cpk_pyramid_size(ax));
        assert_int_equal(oy, cpk_pyramid_size(ay));
        unsigned char *got = malloc((size_t)ox * (size_t)oy * cell),
                      *want = malloc((size_t)ox * cell);
        assert_int_equal(GDALRasterIO(o, GF_Read, 0, 0, ox, oy, got, ox, oy, t, 0, 0), CE_None);
        for (int r = 0; r < oy; ++r) {
            const unsigned char *a = above + (size_t)(2 * r) * (size_t)ax * cell;
            if (is_byte)
                cpk_pyramid_first_u8(a, ax, want);
            else
                cpk_pyramid_mean_f32((const float *)a,
                                     2 * r + 1 < ay ? (const float *)(a + (size_t)ax * cell) : NULL,
                                     ax, 1, -9999.0f, (float *)want);
            assert_memory_equal(got + (size_t)r * (size_t)ox * cell, want, (size_t)ox * cell);
        }
        free(above), free(want);
        above = got, ax = ox, ay = oy;
    }
    free(above);
    GDALClose(ds);
}

static void assert_valid_cog(const char *cog) {
    char *o = NULL, *e = NULL;
    int rc = cpt_sh(&o, &e,
                    "/usr/bin/python3 -c \"import sys; from osgeo_utils.samples import "
                    "validate_cloud_optimized_geotiff as v; "
                    "e = v.validate(sys.argv[1], full_check=True)[0]; print(e); "
                    "sys.exit(1 if e else 0)\" '%s'",
                    cog);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    free(o), free(e);
}

/* One map through cp_cog_finish (threads; the raw map read with O_DIRECT when `direct`; its
 * first overview level made as its rows were written, in strips of `level1` rows, when that is
 * not 0), then checked against GDAL's copy of it. */
static void one_map_level(int nx, int ny, GDALDataType type, int threads, int direct, int level1,
                          uint64_t seed) {
    const int is_byte = type == GDT_Byte;
    char raw[4300], cog[4300], ref[4300], a[4400], b[4400];
    const char *t = is_byte ? "u8" : "f32";
    snprintf(raw, sizeof raw, "%s/%s-%dx%d-%d.strips.tif", dir, t, nx, ny, level1);
    snprintf(cog, sizeof cog, "%s/%s-%dx%d-%d-%d.tif", dir, t, nx, ny, threads, level1);
    snprintf(ref, sizeof ref, "%s/%s-%dx%d-%d-%d.gdal.tif", dir, t, nx, ny, threads, level1);
    void *cells = NULL;
    GDALDatasetH ds = make_raw(raw, nx, ny, type, seed, level1, &cells);
    const double stats[4] = {0.5, 1.0, 0.75, 0.125};
    assert_int_equal(cp_cog_finish(ds, raw, cog, is_byte ? "NEAREST" : "AVERAGE", stats, threads,
                                   (direct ? CP_COG_RAW_DIRECT : 0) | (level1 ? CP_COG_LEVEL1 : 0),
                                   NULL, NULL, NULL),
                     CP_OK);
    assert_false(cpt_exists(raw)); /* the raw map is removed */
    assert_cells(cog, cells, nx, ny, is_byte);
    assert_valid_cog(cog);
    gdal_copy(cog, ref, is_byte, 0);
    assert_same_bytes(cog, ref);
    snprintf(a, sizeof a, "%s.aux.xml", cog);
    snprintf(b, sizeof b, "%s.aux.xml", ref);
    assert_int_equal(cpt_exists(a), cpt_exists(b));
    assert_int_equal(cpt_exists(a), is_byte); /* the class names, which a TIFF cannot hold */
    if (is_byte) assert_same_bytes(a, b);
    free(cells);
}

static void one_map(int nx, int ny, GDALDataType type, int threads, int direct, uint64_t seed) {
    one_map_level(nx, ny, type, threads, direct, 0, seed);
}

static void test_cogtiff_float_maps_are_gdal_bytes(void **state) {
    (void)state;
    one_map(1037, 777, GDT_Float32, 2, 0, 11); /* three levels, partial tiles on both edges */
    one_map(2049, 513, GDT_Float32, 2, 1, 12); /* a last column and row of one cell */
    one_map(300, 200, GDT_Float32, 2, 1, 13);  /* one tile, no overview */
    one_map(1, 1, GDT_Float32, 1, 1, 14);
}

/* The first overview level made as the map's rows are written (strips of an even number of
 * rows, as `run` writes them) gives the COG that reading the map back gives: GDAL's bytes. */
static void test_cogtiff_level_made_with_the_map(void **state) {
    (void)state;
    one_map_level(1037, 777, GDT_Float32, 2, 1, 64, 81); /* a last strip of 9 rows */
    one_map_level(2049, 1030, GDT_Byte, 2, 0, 130, 82);
    one_map_level(600, 601, GDT_Float32, 1, 0, 2, 83); /* strips of two rows */
    one_map_level(1, 1, GDT_Float32, 1, 0, 2, 84);
    one_map_level(700, 1, GDT_Float32, 1, 0, 2, 85); /* one row: the level's is its own */
    /* a strip that splits a pair of rows is refused, naming the map */
    char path[4300];
    snprintf(path, sizeof path, "%s/split.strips.tif", dir);
    cp_grid g = {.geo = {420000, 750000, 30, 30, 100, 50}};
    int64_t off = -1, lo = -1;
    assert_int_equal(cp_strip_file_create(path, &g, GDT_Float32, -9999.0, &off), CP_OK);
    assert_int_equal(cp_strip_level_create(path, &g, GDT_Float32, -9999.0, &lo), CP_OK);
    cp_strip_file f;
    assert_int_equal(cp_strip_file_open(&f, path, &g, GDT_Float32, off), CP_OK);
    assert_int_equal(cp_strip_file_open_level(&f, GDT_Float32, -9999.0, lo), CP_OK);
    float *rows = calloc(100 * 50, sizeof *rows);
    assert_int_equal(cp_strip_file_write(&f, 0, 20, rows), CP_OK);
    assert_int_equal(cp_strip_file_write(&f, 20, 7, rows), CP_E_INTERNAL);
    cpt_assert_contains(cp_errmsg(), "split.strips.tif>: a strip of rows 20 .. 27 splits a pair");
    assert_int_equal(cp_strip_file_close(&f), CP_OK);
    free(rows);
}

static void test_cogtiff_class_maps_are_gdal_bytes(void **state) {
    (void)state;
    one_map(1037, 777, GDT_Byte, 2, 1, 21);
    one_map(512, 1025, GDT_Byte, 2, 0, 22);
    /* wide rows of tiles that compress fast, an odd number of them at each level: a level's
     * first row of tiles is compressed while the writer thread may still write the last row of
     * the level before (each into its own buffers) */
    for (int k = 0; k < 4; ++k) one_map(9000 + k, 1100, GDT_Byte, 2, k & 1, 23 + (uint64_t)k);
}

/* cog at `path` over `threads` from the levels in the file `cog` (its own overviews read back
 * into files of strips), as a BigTIFF or not. */
static cp_status write_from(const char *cog, const char *path, int bigtiff, int threads,
                            cp_progress_fn progress, void *arg) {
    GDALDatasetH src = GDALOpen(cog, GA_ReadOnly);
    assert_non_null(src);
    GDALRasterBandH b = GDALGetRasterBand(src, 1);
    int n = 1 + GDALGetOverviewCount(b);
    cp_cog_level lv[8];
    char paths[8][4400];
    assert_true(n <= 8);
    for (int k = 0; k < n; ++k) {
        GDALRasterBandH o = k ? GDALGetOverview(b, k - 1) : b;
        int nx = GDALGetRasterBandXSize(o), ny = GDALGetRasterBandYSize(o);
        float *cells = malloc(sizeof(float) * (size_t)nx * (size_t)ny);
        assert_int_equal(GDALRasterIO(o, GF_Read, 0, 0, nx, ny, cells, nx, ny, GDT_Float32, 0, 0),
                         CE_None);
        snprintf(paths[k], sizeof paths[k], "%s.level%d", path, k);
        FILE *f = fopen(paths[k], "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(cells, sizeof(float), (size_t)nx * (size_t)ny, f),
                         (size_t)nx * (size_t)ny);
        fclose(f);
        free(cells);
        lv[k] = (cp_cog_level){open(paths[k], O_RDONLY), paths[k], 0, nx, ny};
        assert_true(lv[k].fd >= 0);
    }
    cp_status s = cp_cog_write(path, lv, n, src, bigtiff, threads, progress, arg);
    for (int k = 0; k < n; ++k) close(lv[k].fd), unlink(paths[k]);
    GDALClose(src);
    return s;
}

/* A Float32 COG of nx x ny random cells made by cp_cog_finish over `threads` at
 * dir/<name>.tif (its path into cog). */
static void made_cog(const char *name, int nx, int ny, uint64_t seed, int threads, char cog[4300]) {
    char raw[4300];
    snprintf(raw, 4300, "%s/%s.strips.tif", dir, name);
    snprintf(cog, 4300, "%s/%s.tif", dir, name);
    void *cells = NULL;
    GDALDatasetH ds = make_raw(raw, nx, ny, GDT_Float32, seed, 0, &cells);
    assert_int_equal(cp_cog_finish(ds, raw, cog, "AVERAGE", NULL, threads, 0, NULL, NULL, NULL),
                     CP_OK);
    free(cells);
}

static void test_cogtiff_bigtiff_and_any_thread_count(void **state) {
    (void)state;
    char cog[4300], big[4300], ref[4300], other[4300];
    made_cog("t", 1500, 1100, 31, 1, cog);
    /* BigTIFF: GDAL's copy with BIGTIFF=YES is the same bytes */
    snprintf(big, sizeof big, "%s/t.big.tif", dir);
    snprintf(ref, sizeof ref, "%s/t.big.gdal.tif", dir);
    assert_int_equal(write_from(cog, big, 1, 2, NULL, NULL), CP_OK);
    gdal_copy(cog, ref, 0, 1);
    assert_same_bytes(big, ref);
    assert_valid_cog(big);
    /* 1, 2 and 3 threads: the same bytes */
    for (int t = 2; t <= 3; ++t) {
        snprintf(other, sizeof other, "%s/t%d.tif", dir, t);
        assert_int_equal(write_from(cog, other, 0, t, NULL, NULL), CP_OK);
        assert_same_bytes(cog, other);
    }
}

static void test_cogtiff_never_writes_over_a_file(void **state) {
    (void)state;
    char cog[4300], there[4300];
    made_cog("o", 600, 600, 41, 2, cog);
    snprintf(there, sizeof there, "%s/there.tif", dir);
    cpt_write(there, "someone's file\n");
    assert_int_equal(write_from(cog, there, 0, 2, NULL, NULL), CP_E_IO);
    char *text = cpt_slurp(there, NULL);
    assert_string_equal(text, "someone's file\n");
    free(text);
}

static int stop_at_half(double f, const char *msg, void *arg) {
    (void)msg;
    ++*(int *)arg;
    return f < 0.5;
}

static void test_cogtiff_stops_when_asked(void **state) {
    (void)state;
    char cog[4300], part[4300];
    made_cog("s", 2000, 2000, 51, 2, cog);
    snprintf(part, sizeof part, "%s/s.part.tif", dir);
    int calls = 0;
    assert_int_equal(write_from(cog, part, 0, 2, stop_at_half, &calls), CP_E_INTERRUPTED);
    assert_true(calls >= 2);
    assert_false(cpt_exists(part)); /* the COG cut short is removed by the writer */
}

/* A Float32 and a Byte file of strips nx x ny on a UTM grid, laid out (no cell written), open
 * for writing rows; their paths into fp and bp. */
static void two_strip_files(const char *name, int nx, int ny, cp_strip_file f[2], char fp[4300],
                            char bp[4300]) {
    cp_grid g = {.geo = {420000, 750000, 30, 30, nx, ny}};
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 32618);
    OSRExportToWkt(srs, &g.wkt);
    OSRDestroySpatialReference(srs);
    snprintf(fp, 4300, "%s/%s.f32.strips.tif", dir, name);
    snprintf(bp, 4300, "%s/%s.u8.strips.tif", dir, name);
    int64_t of = -1, ob = -1;
    assert_int_equal(cp_strip_file_create(fp, &g, GDT_Float32, -9999.0, &of), CP_OK);
    assert_int_equal(cp_strip_file_create(bp, &g, GDT_Byte, 0, &ob), CP_OK);
    assert_int_equal(cp_strip_file_open(&f[0], fp, &g, GDT_Float32, of), CP_OK);
    assert_int_equal(cp_strip_file_open(&f[1], bp, &g, GDT_Byte, ob), CP_OK);
    CPLFree(g.wkt);
}

/* The maps' writer thread (cp_strips_writer) writes the bytes that writing each strip in place
 * writes, through the page cache or with O_DIRECT (`direct`; rows of odd bytes, so that strips
 * share pages), with the caller's two sets of planes swapped strip after strip as the run does,
 * each plane overwritten with junk as soon as giving the next strip returns (the writer must be
 * done with it then). */
static void strips_writer_case(int direct) {
    const int nx = 1001, ny = 777, h = 64; /* a last strip of 9 rows */
    cp_strip_file a[2], b[2];
    char af[4300], ab[4300], bf[4300], bb[4300], name[32];
    snprintf(name, sizeof name, "inplace%d", direct);
    two_strip_files(name, nx, ny, a, af, ab);
    snprintf(name, sizeof name, "thread%d", direct);
    two_strip_files(name, nx, ny, b, bf, bb);
    float *p[2] = {malloc(sizeof(float) * (size_t)nx * h), malloc(sizeof(float) * (size_t)nx * h)};
    unsigned char *k[2] = {malloc((size_t)nx * h), malloc((size_t)nx * h)};
    cp_strips_writer *w = cp_strips_writer_start(b, 2, direct);
    assert_non_null(w);
    uint64_t seed = 61;
    int cur = 0;
    for (int y0 = 0; y0 < ny; y0 += h) {
        int n = y0 + h < ny ? h : ny - y0;
        for (size_t i = 0; i < (size_t)nx * (size_t)n; ++i) {
            double u = cpt_rnd01(&seed);
            p[cur][i] = (float)u;
            k[cur][i] = (unsigned char)(1 + (int)(u * 5) % 5);
        }
        assert_int_equal(cp_strip_file_write(&a[0], y0, n, p[cur]), CP_OK);
        assert_int_equal(cp_strip_file_write(&a[1], y0, n, k[cur]), CP_OK);
        const void *bufs[2] = {p[cur], k[cur]};
        assert_int_equal(cp_strips_writer_give(w, y0, n, bufs), CP_OK);
        cur = 1 - cur; /* the strip before is written: its planes are the caller's again */
        memset(p[cur], 0xA5, sizeof(float) * (size_t)nx * h);
        memset(k[cur], 0xA5, (size_t)nx * h);
    }
    assert_int_equal(cp_strips_writer_end(w), CP_OK);
    for (int i = 0; i < 2; ++i) {
        assert_int_equal(cp_strip_file_close(&a[i]), CP_OK);
        assert_int_equal(cp_strip_file_close(&b[i]), CP_OK);
    }
    assert_same_bytes(af, bf);
    assert_same_bytes(ab, bb);
    free(p[0]), free(p[1]), free(k[0]), free(k[1]);
}

static void test_strips_writer_same_bytes_as_in_place(void **state) {
    (void)state;
    strips_writer_case(0);
    strips_writer_case(1);
}

/* Rows read with O_DIRECT (whole pages through a bounce buffer, over threads) are the rows read
 * through the page cache, at offsets and lengths that start and end inside pages, across chunks
 * of the bounce buffer. */
static void test_cog_read_rows_direct_same_as_buffered(void **state) {
    (void)state;
    char path[4300];
    snprintf(path, sizeof path, "%s/rows.bin", dir);
    const size_t len = (size_t)19 << 20; /* over two 8 MB chunks */
    unsigned char *data = malloc(len), *a = malloc(len), *b = malloc(len);
    uint64_t seed = 71;
    for (size_t i = 0; i < len; ++i) data[i] = (unsigned char)(cpt_rnd01(&seed) * 256);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    int fb = open(path, O_RDONLY), fd = open(path, O_RDONLY | O_DIRECT);
    assert_true(fb >= 0);
    if (fd < 0)
        fail_msg("<%s>: its file system refuses O_DIRECT; the test needs one that takes it", path);
    const struct {
        int64_t offset;
        size_t row_bytes;
        int64_t row0, n;
        int threads;
    } c[] = {{0, 4096, 0, 100, 1},     {7, 4001, 3, 5, 2},      {4095, 1, 0, 1, 2},
             {123, 160001, 2, 100, 2}, {1, 9000, 1000, 900, 3}, {8388607, 3, 1, 2, 2}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; ++k) {
        size_t n = (size_t)c[k].n * c[k].row_bytes;
        assert_true((size_t)c[k].offset + (size_t)(c[k].row0 + c[k].n) * c[k].row_bytes <= len);
        memset(a, 1, n), memset(b, 2, n);
        assert_int_equal(cp_cog_read_rows(fb, path, c[k].offset, c[k].row_bytes, c[k].row0, c[k].n,
                                          a, c[k].threads),
                         CP_OK);
        assert_int_equal(cp_cog_read_rows(fd, path, c[k].offset, c[k].row_bytes, c[k].row0, c[k].n,
                                          b, c[k].threads),
                         CP_OK);
        assert_memory_equal(a, data + c[k].offset + c[k].row0 * (int64_t)c[k].row_bytes, n);
        assert_memory_equal(b, a, n);
    }
    /* past the end of the file: an error naming it, not a short buffer */
    assert_int_equal(cp_cog_read_rows(fd, path, 0, len / 2, 1, 2, b, 2), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "rows.bin");
    close(fb), close(fd);
    free(data), free(a), free(b);
}

/* A write that fails on the writer's thread is returned by the next give and by the end, naming
 * the file; rows outside the grid are refused before anything is given. */
static void test_strips_writer_reports_the_failed_file(void **state) {
    (void)state;
    const int nx = 300, ny = 100;
    cp_strip_file f[2];
    char fp[4300], bp[4300];
    two_strip_files("failing", nx, ny, f, fp, bp);
    close(f[1].fd); /* the class file's writes fail (EBADF) */
    f[1].fd = open(bp, O_RDONLY);
    assert_true(f[1].fd >= 0);
    float *p = calloc((size_t)nx * ny, sizeof *p);
    unsigned char *k = calloc((size_t)nx * ny, 1);
    const void *bufs[2] = {p, k};
    cp_strips_writer *w = cp_strips_writer_start(f, 2, 0);
    assert_non_null(w);
    assert_int_equal(cp_strips_writer_give(w, 90, 20, bufs), CP_E_INTERNAL); /* past row 100 */
    assert_int_equal(cp_strips_writer_give(w, 0, 50, bufs), CP_OK);
    assert_int_equal(cp_strips_writer_give(w, 50, 50, bufs), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), bp);
    assert_int_equal(cp_strips_writer_end(w), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "u8.strips.tif>: Bad file descriptor");
    assert_int_equal(cp_strips_writer_end(NULL), CP_OK);
    assert_int_equal(cp_strip_file_close(&f[0]), CP_OK);
    assert_int_equal(cp_strip_file_close(&f[1]), CP_OK);
    free(p), free(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cogtiff_float_maps_are_gdal_bytes),
        cmocka_unit_test(test_cogtiff_class_maps_are_gdal_bytes),
        cmocka_unit_test(test_cogtiff_level_made_with_the_map),
        cmocka_unit_test(test_cogtiff_bigtiff_and_any_thread_count),
        cmocka_unit_test(test_cogtiff_never_writes_over_a_file),
        cmocka_unit_test(test_cogtiff_stops_when_asked),
        cmocka_unit_test(test_strips_writer_same_bytes_as_in_place),
        cmocka_unit_test(test_strips_writer_reports_the_failed_file),
        cmocka_unit_test(test_cog_read_rows_direct_same_as_buffered),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
