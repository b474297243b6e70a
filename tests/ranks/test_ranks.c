/* The ranks of an MPI job (engine/src/ranks.h): dealing strips and samples, agreeing on a
 * failure, gathering in rank order, and per-polygon zonal sums over the ranks bit-identical to
 * one process. Run plainly (a job of one) and, in the MPI build, under mpirun -np 1, 2 and 3:
 * every rank runs every test in the same order (the collective calls match). */
#include "cp_test.h"

#include <math.h>
#include <time.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <clearplan/clearplan.h>

#include "cpk/zonal.h"
#include "error.h"
#include "ranks.h"

static cp_ranks R;

static void test_deal_blocks_cover_in_rank_order(void **state) {
    (void)state;
    for (int size = 1; size <= 7; ++size)
        for (int64_t n = 0; n <= 50; ++n) {
            int64_t next = 0;
            for (int k = 0; k < size; ++k) {
                int64_t first, end;
                cp_ranks_deal(n, size, k, &first, &end);
                assert_int_equal(first, next); /* contiguous, in rank order */
                assert_true(end - first == n / size || end - first == n / size + 1);
                next = end;
            }
            assert_int_equal(next, n);
        }
}

static void test_rows_are_whole_strips_and_owned(void **state) {
    (void)state;
    const int64_t ny = 97;
    for (int size = 1; size <= 7; ++size)
        for (int64_t rows = 1; rows <= 100; rows += 3) {
            int64_t next = 0;
            for (int k = 0; k < size; ++k) {
                int64_t y0, y1;
                cp_ranks_rows(ny, rows, size, k, &y0, &y1);
                assert_int_equal(y0, next);
                assert_true(y0 % rows == 0 || y0 == ny); /* one process's strip boundaries */
                for (int64_t y = y0; y < y1; ++y)
                    assert_int_equal(cp_ranks_row_owner(ny, rows, size, y), k);
                next = y1;
            }
            assert_int_equal(next, ny);
        }
}

/* Rank `bad` fails with `s`, the others pass `others`: every rank gets the same answer. */
static void agree_case(int bad, cp_status s, cp_status others, cp_status want, int want_rank) {
    cp_errclear();
    cp_status mine = others;
    if (R.rank == bad) mine = s;
    if (mine) cp_fail(mine, "rank %d says <file-%d.tif> is bad", R.rank, R.rank);
    cp_status got = cp_ranks_agree(&R, mine);
    assert_int_equal(got, want);
    if (want == CP_OK) return;
    char msg[256];
    if (R.size > 1)
        snprintf(msg, sizeof msg, "rank %d says <file-%d.tif> is bad (rank %d of %d)", want_rank,
                 want_rank, want_rank, R.size);
    else
        snprintf(msg, sizeof msg, "rank %d says <file-%d.tif> is bad", want_rank, want_rank);
    assert_string_equal(cp_errmsg(), msg);
}

static void test_agree_on_the_first_real_failure(void **state) {
    (void)state;
    const int last = R.size - 1;
    agree_case(-1, CP_OK, CP_OK, CP_OK, 0);
    agree_case(last, CP_E_IO, CP_OK, CP_E_IO, last); /* one rank fails: all fail with it */
    /* an interruption gives way to a failure of a rank's own */
    agree_case(last, CP_E_FORMAT, CP_E_INTERRUPTED, CP_E_FORMAT, last);
    agree_case(-1, CP_OK, CP_E_INTERRUPTED, CP_E_INTERRUPTED, 0);
    agree_case(-1, CP_OK, CP_E_NOMEM, CP_E_NOMEM, 0); /* all fail: the lowest rank's */
    /* the public call is the same agreement over the whole job */
    assert_int_equal(cp_mpi_agree(CP_OK), CP_OK);
    cp_status s = cp_mpi_agree(R.rank == last ? cp_fail(CP_E_CONFIG, "bad scenario") : CP_OK);
    assert_int_equal(s, CP_E_CONFIG);
    assert_non_null(strstr(cp_errmsg(), "bad scenario"));
}

static void nap_ms(long ms) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

/* Waits up to 10 s for a peer's failure notice. */
static int peer_failed_soon(void) {
    for (int i = 0; i < 1000; ++i) {
        if (cp_ranks_peer_failed(&R)) return 1;
        nap_ms(10);
    }
    return 0;
}

static void test_phase_failure_stops_the_others(void **state) {
    (void)state;
    const int last = R.size - 1;
    /* no failure: nothing is noticed, nothing is left behind */
    assert_int_equal(cp_ranks_phase_begin(&R), CP_OK);
    assert_false(cp_ranks_peer_failed(&R));
    assert_int_equal(cp_ranks_phase_end(&R, CP_OK), CP_OK);
    /* the last rank fails at once; the others notice it while they work and stop */
    for (int round = 0; round < 2; ++round) {
        assert_int_equal(cp_ranks_phase_begin(&R), CP_OK);
        cp_status s = CP_OK;
        int failing = R.rank == last || (round == 1 && R.rank == 0); /* round 1: two fail */
        if (failing)
            s = cp_fail(CP_E_IO, "cannot read rows of <in-%d.tif>", R.rank);
        else if (peer_failed_soon())
            s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        if (!failing) assert_int_equal(s, CP_E_INTERRUPTED); /* told, not timed out */
        s = cp_ranks_phase_end(&R, s);
        assert_int_equal(s, CP_E_IO);
        int from = round == 1 ? 0 : last;
        char want[128];
        snprintf(want, sizeof want, "cannot read rows of <in-%d.tif>", from);
        assert_true(!strncmp(cp_errmsg(), want, strlen(want)));
    }
    /* no notice is left over for what follows */
    assert_int_equal(cp_ranks_phase_begin(&R), CP_OK);
    nap_ms(20);
    assert_false(cp_ranks_peer_failed(&R));
    assert_int_equal(cp_ranks_phase_end(&R, CP_OK), CP_OK);
}

static void test_gather_in_rank_order(void **state) {
    (void)state;
    unsigned char mine[8];
    size_t n = (size_t)(R.rank % 3) + 1; /* 1, 2 or 3 bytes */
    memset(mine, 100 + R.rank, n);
    void *all = NULL;
    size_t bytes = 0;
    assert_int_equal(cp_ranks_gather(&R, mine, n, &all, &bytes), CP_OK);
    if (R.rank) {
        assert_null(all);
        return;
    }
    const unsigned char *a = all;
    size_t at = 0;
    for (int k = 0; k < R.size; ++k)
        for (int i = 0; i <= k % 3; ++i) assert_int_equal(a[at++], 100 + k);
    assert_int_equal(bytes, at);
    free(all);
}

static void test_allreduce_and_bcast(void **state) {
    (void)state;
    double v[3] = {(double)(R.rank + 1), (double)R.rank, (double)-R.rank};
    double lo[3], hi[3];
    memcpy(lo, v, sizeof v), memcpy(hi, v, sizeof v);
    assert_int_equal(cp_ranks_allreduce(&R, v, 3, CP_RANKS_SUM), CP_OK);
    assert_int_equal(cp_ranks_allreduce(&R, lo, 3, CP_RANKS_MIN), CP_OK);
    assert_int_equal(cp_ranks_allreduce(&R, hi, 3, CP_RANKS_MAX), CP_OK);
    double n = R.size;
    assert_true(v[0] == n * (n + 1) / 2 && v[1] == n * (n - 1) / 2 && v[2] == -v[1]);
    assert_true(lo[0] == 1 && lo[1] == 0 && lo[2] == -(n - 1));
    assert_true(hi[0] == n && hi[1] == n - 1 && hi[2] == 0);
    char word[16] = "";
    if (R.rank == 0) snprintf(word, sizeof word, "from rank 0");
    assert_int_equal(cp_ranks_bcast(&R, word, sizeof word), CP_OK);
    assert_string_equal(word, "from rank 0");
}

/* ---- zonal sums over the ranks against one call over the whole grid ---- */

static uint64_t seed;
static double rnd(void) { /* xorshift64* -> [0, 1) */
    seed ^= seed >> 12, seed ^= seed << 25, seed ^= seed >> 27;
    return (double)((seed * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

enum { NP = 150, NV = 6, NB = 3 };

/* Hexagons of random sizes over (and partly off) the grid; every tenth is tall, reaching over
 * many strips and so over several ranks. */
static void make_hexagons(const cpk_geo *g, double xy[NP][2 * NV], int64_t ro[NP][2],
                          cpk_polygon *polys, cpk_window *wins) {
    for (int p = 0; p < NP; ++p) {
        double cx = g->x0 + g->dx * (double)g->nx * (1.2 * rnd() - 0.1);
        double cy = g->y0 - g->dy * (double)g->ny * (1.2 * rnd() - 0.1);
        double rx = g->dx * (0.3 + 6 * rnd()), ry = g->dy * (0.3 + (p % 10 ? 8 : 60) * rnd());
        for (int v = 0; v < NV; ++v) {
            double a = 2 * 3.14159265358979 * (v + 0.5 * rnd()) / NV;
            xy[p][2 * v] = cx + rx * cos(a), xy[p][2 * v + 1] = cy + ry * sin(a);
        }
        ro[p][0] = 0, ro[p][1] = NV;
        polys[p] = (cpk_polygon){xy[p], ro[p], 1, NULL, 0};
        assert_int_equal(cpk_coverage_window(&polys[p], g, &wins[p]), CPK_OK);
    }
}

static void bands_at(cpk_zonal_band *b, float *const *r, const cpk_geo *g, int64_t row0, int64_t h,
                     const float *classes, double *cw) {
    for (int k = 0; k < NB; ++k)
        b[k] =
            (cpk_zonal_band){{r[k] + row0 * g->nx, g->nx, h, g->nx, k == 1 ? 0.0f : -1.0f, k < 2},
                             k == 1 ? classes : NULL,
                             k == 1 ? 5 : 0,
                             k == 1 ? cw : NULL};
}

static void test_zonal_over_ranks_is_one_process(void **state) {
    (void)state;
    seed = 0x5eed;
    const cpk_geo g = {500000.5, 4000000.25, 30, 30, 53, 97};
    static double xy[NP][2 * NV];
    static int64_t ro[NP][2];
    static cpk_polygon polys[NP];
    static cpk_window wins[NP];
    make_hexagons(&g, xy, ro, polys, wins);
    float *r[NB];
    const float classes[5] = {10, 20, 30, 40, 50};
    for (int k = 0; k < NB; ++k) {
        r[k] = malloc(sizeof(float) * (size_t)(g.nx * g.ny));
        for (int64_t i = 0; i < g.nx * g.ny; ++i) {
            double u = rnd();
            r[k][i] = k == 1 ? (float)(10 * (1 + (int)(6 * rnd()))) : (float)(1e3 * rnd() - 300);
            if (u < 0.04) r[k][i] = k == 1 ? 0.0f : -1.0f; /* nodata */
            if (u > 0.97) r[k][i] = NAN;
        }
    }
    /* one process, one call over the whole grid (the kernel: any strips give the same) */
    static cpk_zonal_acc ref[NP * NB], acc[NP * NB];
    static double rcw[NP * 6], cw[NP * 6];
    cpk_zonal_band b[NB];
    cpk_zonal_acc_init(ref, NP * NB);
    memset(rcw, 0, sizeof rcw);
    bands_at(b, r, &g, 0, g.ny, classes, rcw);
    assert_int_equal(cpk_zonal_f32(polys, wins, NP, &g, 0, b, NB, 1, ref), CPK_OK);
    const int64_t heights[] = {1, 4, 13, 50, 97};
    for (size_t t = 0; t < sizeof heights / sizeof heights[0]; ++t) {
        const int64_t rows = heights[t];
        cpk_zonal_acc_init(acc, NP * NB);
        memset(cw, 0, sizeof cw);
        bands_at(b, r, &g, 0, 0, classes, cw);
        cp_ranks_zonal z;
        assert_int_equal(cp_ranks_zonal_init(&z, &R, g.ny, rows, polys, wins, NP, b, NB, acc),
                         CP_OK);
        int64_t y0, y1;
        cp_ranks_rows(g.ny, rows, R.size, R.rank, &y0, &y1);
        for (int64_t row0 = y0; row0 < y1; row0 += rows) {
            int64_t h = row0 + rows <= y1 ? rows : y1 - row0;
            bands_at(b, r, &g, row0, h, classes, cw);
            assert_int_equal(cp_ranks_zonal_strip(&z, &g, row0, b, 1 + (int)(t % 3)), CP_OK);
        }
        assert_int_equal(cp_ranks_zonal_reduce(&z), CP_OK);
        double nrec = (double)z.nrec; /* rows recorded for polygons homed on earlier ranks */
        assert_int_equal(cp_ranks_allreduce(&R, &nrec, 1, CP_RANKS_SUM), CP_OK);
        if (R.size > 1 && rows < 50) assert_true(nrec > 0); /* the records were exercised */
        cp_ranks_zonal_free(&z);
        assert_memory_equal(acc, ref, sizeof acc); /* on every rank, bit for bit */
        assert_memory_equal(cw, rcw, sizeof cw);
    }
    for (int k = 0; k < NB; ++k) free(r[k]);
}

/* ---- rasters written by every rank into one file of strips ---- */

static float cell_value(int64_t row, int64_t col) {
    return (float)(row * 1000 + col) + 0.25f;
}

static void test_strip_file_written_by_every_rank(void **state) {
    (void)state;
    char dir[4096] = "", path[4200];
    if (R.rank == 0) cpt_tmpdir("strip_file", dir, sizeof dir);
    assert_int_equal(cp_ranks_bcast(&R, dir, sizeof dir), CP_OK); /* rank 0's folder */
    snprintf(path, sizeof path, "%s/priority.strips.tif", dir);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRImportFromEPSG(srs, 32633), OGRERR_NONE);
    char *wkt = NULL;
    OSRExportToWkt(srs, &wkt);
    cp_grid g = {{400000, 5000000, 30, 30, 301, 67}, wkt, "EPSG:32633", NULL};
    const int64_t rows = 10; /* 7 strips: rank k writes its block, rank 0 the first */
    for (int type = 0; type < 2; ++type) {
        GDALDataType t = type ? GDT_Byte : GDT_Float32;
        cp_strip_file f;
        assert_int_equal(cp_ranks_strip_file(&R, path, &g, t, type ? 0 : -9999.0, &f), CP_OK);
        int64_t y0, y1;
        cp_ranks_rows(g.geo.ny, rows, R.size, R.rank, &y0, &y1);
        float *buf = malloc(sizeof(float) * (size_t)(rows * g.geo.nx));
        unsigned char *bytes = (unsigned char *)buf;
        for (int64_t row0 = y0; row0 < y1; row0 += rows) {
            int64_t h = row0 + rows <= y1 ? rows : y1 - row0;
            for (int64_t j = 0; j < h * g.geo.nx; ++j) {
                int64_t row = row0 + j / g.geo.nx, col = j % g.geo.nx;
                if (type)
                    bytes[j] = (unsigned char)(row + col);
                else
                    buf[j] = cell_value(row, col);
            }
            assert_int_equal(cp_strip_file_write(&f, row0, h, buf), CP_OK);
        }
        free(buf);
        assert_int_equal(cp_ranks_agree(&R, cp_strip_file_close(&f)), CP_OK);
        if (R.rank == 0) { /* a plain GeoTIFF with every rank's rows */
            GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
            assert_non_null(ds);
            GDALRasterBandH b = GDALGetRasterBand(ds, 1);
            assert_int_equal(GDALGetRasterDataType(b), t);
            int has = 0;
            assert_true(GDALGetRasterNoDataValue(b, &has) == (type ? 0 : -9999.0) && has);
            double gt[6];
            assert_int_equal(GDALGetGeoTransform(ds, gt), CE_None);
            assert_true(gt[0] == 400000 && gt[3] == 5000000 && gt[1] == 30 && gt[5] == -30);
            float *all = malloc(sizeof(float) * (size_t)(g.geo.nx * g.geo.ny));
            assert_int_equal(
                GDALRasterIO(b, GF_Read, 0, 0, 301, 67, all, 301, 67, GDT_Float32, 0, 0), CE_None);
            for (int64_t j = 0; j < g.geo.nx * g.geo.ny; ++j) {
                int64_t row = j / g.geo.nx, col = j % g.geo.nx;
                float want = type ? (float)(unsigned char)(row + col) : cell_value(row, col);
                if (all[j] != want) fail_msg("cell %lld: %g, not %g", (long long)j, all[j], want);
            }
            free(all);
            GDALClose(ds);
            unlink(path);
        }
        assert_int_equal(cp_ranks_agree(&R, CP_OK), CP_OK);
    }
    /* a rank that cannot open the file fails every rank, naming it */
    cp_strip_file f;
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/no/such/folder/x.tif", dir);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    cp_status s = cp_ranks_strip_file(&R, missing, &g, GDT_Float32, 0, &f);
    CPLPopErrorHandler();
    assert_int_equal(s, CP_E_IO);
    assert_non_null(strstr(cp_errmsg(), missing));
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    if (R.rank == 0) cpt_rmtree(dir);
}

int main(int argc, char **argv) {
    int rank = 0, size = 1;
    if (cp_mpi_begin(&argc, &argv, &rank, &size) != CP_OK) {
        fprintf(stderr, "%s\n", cp_errmsg());
        return 1;
    }
    cp_init();
    if (cp_ranks_open(1, &R) != CP_OK || R.size != size || R.rank != rank) {
        fprintf(stderr, "cp_ranks_open: %s\n", cp_errmsg());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deal_blocks_cover_in_rank_order),
        cmocka_unit_test(test_rows_are_whole_strips_and_owned),
        cmocka_unit_test(test_agree_on_the_first_real_failure),
        cmocka_unit_test(test_phase_failure_stops_the_others),
        cmocka_unit_test(test_gather_in_rank_order),
        cmocka_unit_test(test_allreduce_and_bcast),
        cmocka_unit_test(test_zonal_over_ranks_is_one_process),
        cmocka_unit_test(test_strip_file_written_by_every_rank),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    cp_ranks_close(&R);
    cp_shutdown();
    cp_mpi_end();
    return failed;
}
