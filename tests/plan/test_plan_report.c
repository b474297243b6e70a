/* report.html rendered in headless Chromium (scripts/render_report.sh): the screenshot must
 * exist and not be blank. Fails (does not skip) when Chromium is missing: the deps script
 * installs it. */
#include <math.h>

#include "cp_test.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include <clearplan/clearplan.h>
#include <clearplan/plan.h>

#define CHECK_OK(call)                                                 \
    do {                                                               \
        cp_status st_ = (call);                                        \
        if (st_ != CP_OK) print_error("%s: %s\n", #call, cp_errmsg()); \
        assert_int_equal(st_, CP_OK);                                  \
    } while (0)

/* A small priority-map PNG made with GDAL (MEM -> PNG in /vsimem/). */
static unsigned char *make_png(size_t *len) {
    int nx = 160, ny = 110;
    GDALDatasetH mem = GDALCreate(GDALGetDriverByName("MEM"), "", nx, ny, 3, GDT_Byte, NULL);
    assert_non_null(mem);
    unsigned char *row = malloc((size_t)nx);
    for (int b = 1; b <= 3; ++b)
        for (int y = 0; y < ny; ++y) {
            for (int x = 0; x < nx; ++x) {
                double p = 0.5 + 0.5 * sin(x / 17.0) * cos(y / 13.0);
                int r = (int)(255 * p), g = (int)(200 * (1 - p)), bl = 60;
                row[x] = (unsigned char)(b == 1 ? r : b == 2 ? g : bl);
            }
            assert_int_equal(GDALRasterIO(GDALGetRasterBand(mem, b), GF_Write, 0, y, nx, 1, row, nx,
                                          1, GDT_Byte, 0, 0),
                             CE_None);
        }
    free(row);
    GDALDatasetH png =
        GDALCreateCopy(GDALGetDriverByName("PNG"), "/vsimem/map.png", mem, FALSE, NULL, NULL, NULL);
    assert_non_null(png);
    GDALClose(png);
    GDALClose(mem);
    vsi_l_offset n = 0;
    GByte *data = VSIGetMemFileBuffer("/vsimem/map.png", &n, TRUE);
    unsigned char *copy = malloc((size_t)n);
    memcpy(copy, data, (size_t)n);
    CPLFree(data);
    *len = (size_t)n;
    return copy;
}

/* Figures as the report and the console print them. */
static void test_number_grouped(void **state) {
    (void)state;
    char b[48];
    const struct {
        double v;
        int decimals;
        const char *want;
    } cases[] = {{0, 0, "0"},
                 {-0.4, 0, "0"},
                 {999, 0, "999"},
                 {1000, 0, "1,000"},
                 {-1234.6, 0, "-1,235"},
                 {121249343.2, 0, "121,249,343"},
                 {4680.84, 1, "4,680.8"},
                 {123456.0, 1, "123,456.0"},
                 {-0.004, 2, "0.00"},
                 {-0.006, 2, "-0.01"},
                 {1e21, 0, "1,000,000,000,000,000,000,000"},
                 {NAN, 0, "–"},
                 {-INFINITY, 1, "–"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k)
        assert_string_equal(cp_number_grouped(cases[k].v, cases[k].decimals, b, sizeof b),
                            cases[k].want);
    /* a short buffer: cut, and ended */
    char s[4];
    assert_string_equal(cp_number_grouped(1234567, 0, s, sizeof s), "1,2");
}

static void test_plan_report_renders(void **state) {
    (void)state;
    enum { N = 400 };
    cp_hazard *h = calloc(N, sizeof *h);
    char(*ids)[16] = calloc(N, 16);
    static const char *regions[] = {"North", "East"};
    for (int i = 0; i < N; ++i) {
        cp_hazard_init(&h[i]);
        snprintf(ids[i], 16, "HZ-%04d", i);
        h[i].id = ids[i];
        h[i].status = i % 4 ? CP_STATUS_SHA : CP_STATUS_CHA;
        h[i].region = regions[i % 3 == 0];
        h[i].area_m2 = 3000 + (i * 7919) % 60000;
        h[i].priority_mean = (double)((i * 37) % 100) / 100;
        h[i].benefit = h[i].area_m2 / 1e4 * h[i].priority_mean;
        h[i].cost_team_days = h[i].area_m2 * (h[i].status ? 1.0 : 0.3) / 400;
    }
    cp_capacity cap;
    memset(&cap, 0, sizeof cap);
    cap.start = cp_date_make(2026, 1, 1);
    cap.deadline = cp_date_make(2028, 3, 1);
    cap.days_per_year = 220;
    cap.package_team_days = 20;
    cp_region_teams rt[] = {{"North", 6}, {"East", 4}};
    cap.regions = rt;
    cap.nregions = 2;
    cp_cost cost;
    cp_cost_defaults(&cost);
    int sweep[] = {10, 15, 20};
    cp_plan_options o = {0};
    o.sweep_teams = sweep;
    o.nsweep = 3;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(h, N, &cap, &cost, NULL, &o, &p));

    char dir[4096], html[4200], png[4200];
    cpt_tmpdir("plan_report", dir, sizeof dir);
    snprintf(html, sizeof html, "%s/report.html", dir);
    snprintf(png, sizeof png, "%s/report.png", dir);
    size_t maplen = 0;
    unsigned char *map = make_png(&maplen);
    cp_report_entry inputs[] = {{"Population", "WorldPop 2020 · 100 % of the grid · weight 0.35"},
                                {"Land cover", "ESA WorldCover · 100 % · weight 0.25"}};
    cp_report_info info = {0};
    info.title = "Northern provinces 2026";
    info.inputs = inputs;
    info.ninputs = 2;
    info.map_png = map;
    info.map_png_len = maplen;
    CHECK_OK(cp_plan_write_report(p, &info, html));
    char *text = cpt_slurp(html, NULL);
    cpt_assert_contains(text, "data:image/png;base64,iVBORw0KGgo");
    cpt_assert_contains(text, "<svg class=\"chart\"");
    cpt_assert_contains(text,
                        "With 10 teams (6 in North, 4 in East), the team schedule completes in ");
    assert_null(strstr(text, "http://"));
    assert_null(strstr(text, "https://"));
    assert_null(strstr(text, "src=\"/"));
    free(text);

    char *err = NULL;
    int rc = cpt_sh(NULL, &err, "'%s/scripts/render_report.sh' '%s' '%s' 1280 1600",
                    cpt_source_dir(), html, png);
    if (rc != 0) print_error("render_report.sh exited %d: %s\n", rc, err ? err : "");
    assert_int_equal(rc, 0);
    free(err);

    /* not blank: many distinct colours and a good share of non-background pixels */
    GDALDatasetH ds = GDALOpen(png, GA_ReadOnly);
    assert_non_null(ds);
    int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds), nb = GDALGetRasterCount(ds);
    assert_true(nx >= 800 && ny >= 800 && nb >= 3);
    unsigned char *px = malloc((size_t)nx * ny * 3);
    int bands[3] = {1, 2, 3};
    assert_int_equal(GDALDatasetRasterIO(ds, GF_Read, 0, 0, nx, ny, px, nx, ny, GDT_Byte, 3, bands,
                                         3, 3 * nx, 1),
                     CE_None);
    GDALClose(ds);
    unsigned char *seen = calloc(1 << 21, 1); /* 7 bits per channel */
    size_t distinct = 0, ink = 0, npx = (size_t)nx * ny;
    for (size_t i = 0; i < npx; ++i) {
        unsigned r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2];
        unsigned key = (r >> 1) << 14 | (g >> 1) << 7 | (b >> 1);
        if (!seen[key]) seen[key] = 1, ++distinct;
        if (r + g + b < 600) ++ink;
    }
    free(seen);
    free(px);
    print_message("screenshot %dx%d: %zu distinct colours, %.1f %% non-white\n", nx, ny, distinct,
                  100.0 * (double)ink / (double)npx);
    assert_true(distinct > 100);
    assert_true(ink > npx / 20);                  /* header band, text, charts and tables */
    if (!getenv("CP_TEST_KEEP")) cpt_rmtree(dir); /* CP_TEST_KEEP=1 keeps the screenshot */
    free(map);
    cp_plan_free(p);
    free(h);
    free(ids);
}

static int setup(void **state) {
    (void)state;
    cp_init();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cp_shutdown();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_plan_report_renders),
                                       cmocka_unit_test(test_number_grouped)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
