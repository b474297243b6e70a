/* Planner files: plan.csv / milestones.csv / packages.csv / rejected.csv / plan.gpkg written
 * completely (no temporary files left), read back and re-planned identically; the hazards
 * reader's errors. */
#include <dirent.h>
#include <math.h>

#include "cp_test.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/clearplan.h>
#include <clearplan/plan.h>

#include "plan_internal.h"

#define CHECK_OK(call)                                                 \
    do {                                                               \
        cp_status st_ = (call);                                        \
        if (st_ != CP_OK) print_error("%s: %s\n", #call, cp_errmsg()); \
        assert_int_equal(st_, CP_OK);                                  \
    } while (0)

enum { N = 60 };

typedef struct {
    cp_hazard h[N];
    char ids[N][16];
    unsigned char *wkb[N];
    cp_plan_value extra[N][3];
    char text[N][16];
    double class_m2[N][3];
} fixture;

static const int classes[2] = {30, 40};

static const cp_plan_column columns[] = {
    {"report_density", CP_VALUE_REAL}, {"fid_in", CP_VALUE_INTEGER}, {"province", CP_VALUE_TEXT}};

static void fixture_build(fixture *f) {
    for (int i = 0; i < N; ++i) {
        cp_hazard *h = &f->h[i];
        cp_hazard_init(h);
        snprintf(f->ids[i], sizeof f->ids[i], "HZ-%03d", i);
        h->id = f->ids[i];
        h->status = i % 3 ? CP_STATUS_SHA : CP_STATUS_CHA;
        h->area_m2 = 1000.0 + 37.0 * i;
        h->benefit = (double)((i * 7919) % 97) / 10.0;
        h->cost_team_days = 3.0 + (i * 13) % 41;
        h->priority_mean = (double)((i * 31) % 100) / 100.0;
        h->priority_max = h->priority_mean + 0.01;
        h->people_within_m = 10.0 * i;
        h->locked = i == 17;
        char wkt[256];
        double x = 500000 + 100.0 * i, y = 4000000;
        snprintf(wkt, sizeof wkt, "POLYGON ((%g %g,%g %g,%g %g,%g %g,%g %g))", x, y, x + 50, y,
                 x + 50, y + 40, x, y + 40, x, y);
        OGRGeometryH g = NULL;
        char *w = wkt;
        assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
        size_t len = (size_t)OGR_G_WkbSize(g);
        f->wkb[i] = malloc(len);
        OGR_G_ExportToIsoWkb(g, wkbNDR, f->wkb[i]);
        OGR_G_DestroyGeometry(g);
        h->wkb = f->wkb[i];
        h->wkb_len = len;
        f->extra[i][0] = (cp_plan_value){.real = 0.25 * i, .is_null = i == 5};
        f->extra[i][1] = (cp_plan_value){.integer = 1000 + i};
        snprintf(f->text[i], sizeof f->text[i], "P,%d", i % 4);
        f->extra[i][2] = (cp_plan_value){.text = f->text[i]};
        h->extra = f->extra[i];
        if (i % 2) { /* land-cover class areas (the rest: cost_team_days only) */
            f->class_m2[i][0] = 0.4 * h->area_m2, f->class_m2[i][1] = 0.5 * h->area_m2;
            f->class_m2[i][2] = 0.3 * h->area_m2;
            h->class_m2 = f->class_m2[i];
            h->covered_m2 = 0.9 * h->area_m2;
        }
    }
}

static void fixture_free(fixture *f) {
    for (int i = 0; i < N; ++i) free(f->wkb[i]);
}

static cp_capacity capacity(void) {
    cp_capacity c;
    memset(&c, 0, sizeof c);
    c.start = cp_date_make(2026, 1, 1);
    c.deadline = cp_date_make(2026, 9, 1);
    c.teams = 2;
    c.days_per_year = 220;
    c.package_team_days = 10;
    return c;
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') ++n;
    closedir(d);
    return n;
}

static GIntBig layer_count(GDALDatasetH ds, const char *name) {
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
    assert_non_null(l);
    return OGR_L_GetFeatureCount(l, TRUE);
}

static void test_plan_io_write_and_read_back(void **state) {
    (void)state;
    fixture *f = calloc(1, sizeof *f);
    fixture_build(f);
    cp_capacity cap = capacity();
    cp_cost cost;
    cp_cost_defaults(&cost);
    char *locked[] = {"HZ-040"};
    cp_exclusion ex[] = {{"HZ-002", "outside the national territory"}};
    cp_plan_rules rules = {locked, 1, ex, 1};
    cp_plan_options opts = {0};
    opts.columns = columns;
    opts.ncolumns = 3;
    opts.classes = classes;
    opts.nclasses = 2;
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(f->h, N, &cap, &cost, &rules, &opts, &p));
    assert_int_equal(p->nitems, N - 1);
    assert_string_equal(p->items[0].h.id, "HZ-040");
    assert_string_equal(p->items[1].h.id, "HZ-017");

    char dir[4096];
    cpt_tmpdir("plan_io", dir, sizeof dir);
    static const unsigned char bad_wkb[] = {1, 3, 0, 0, 0, 0, 0, 0, 0}; /* empty polygon */
    cp_plan_rejected rej[] = {{"HZ-900", "null geometry", NULL, 0},
                              {"HZ-901", "outside the grid", f->wkb[0], f->h[0].wkb_len},
                              {"HZ-902", "empty", bad_wkb, sizeof bad_wkb}};
    cp_report_entry inputs[] = {{"Population", "WorldPop 2020, 100 % covered"}};
    cp_report_info info = {0};
    info.title = "Test <scenario> & co";
    info.inputs = inputs;
    info.ninputs = 1;
    cp_plan_outputs o = {0};
    o.crs_wkt = "EPSG:32642";
    o.rejected = rej;
    o.nrejected = 3;
    o.report = &info;
    CHECK_OK(cp_plan_write_all(p, dir, &o));
    /* exactly the six outputs, no temporary file */
    assert_int_equal(count_entries(dir), 6);
    char path[4200];
    static const char *names[] = {"plan.csv",     "milestones.csv", "packages.csv",
                                  "rejected.csv", "plan.gpkg",      "report.html"};
    for (int i = 0; i < 6; ++i) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        assert_true(cpt_exists(path));
    }
    /* CSV content */
    snprintf(path, sizeof path, "%s/plan.csv", dir);
    char *csv = cpt_slurp(path, NULL);
    cpt_assert_contains(csv,
                        "rank,hazard_id,status,region,area_m2,covered_m2,cancel_m2,reduce_m2,"
                        "clear_m2,benefit,cost_team_days,nts_team_days,ts_team_days,"
                        "clear_team_days,team_days,cost_usd,efficiency,priority_mean,"
                        "priority_max,people_within_m,locked,start,nts_end,ts_end,clear_end,end,"
                        "year,team,packages,unscheduled_packages,class_m2_30,class_m2_40,"
                        "class_m2_other,report_density,fid_in,province\n1,HZ-040,");
    cpt_assert_contains(csv, ",\"P,0\"\n");
    free(csv);
    snprintf(path, sizeof path, "%s/rejected.csv", dir);
    csv = cpt_slurp(path, NULL);
    cpt_assert_contains(csv, "HZ-002,excluded,outside the national territory\n");
    cpt_assert_contains(csv, "HZ-900,rejected,null geometry\n");
    free(csv);
    snprintf(path, sizeof path, "%s/milestones.csv", dir);
    csv = cpt_slurp(path, NULL);
    cpt_assert_contains(csv, "\n2026,year,2026,0,2026-01-01,2026-12-31,440,");
    cpt_assert_contains(csv, "\n2026-Q1,quarter,2026,1,2026-01-01,2026-03-31,");
    free(csv);
    snprintf(path, sizeof path, "%s/packages.csv", dir);
    csv = cpt_slurp(path, NULL);
    cpt_assert_contains(csv,
                        "package_id,hazard_id,seq,stage,region,team,type,home_region,redeployed,"
                        "team_days,cost_usd,start,end\nHZ-040#1,HZ-040,1,nts,all,");
    free(csv);
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = cpt_slurp(path, NULL);
    cpt_assert_contains(html, "Test &lt;scenario&gt; &amp; co");
    cpt_assert_contains(html, "WorldPop 2020, 100 % covered");
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<script"));
    free(html);

    /* GeoPackage */
    snprintf(path, sizeof path, "%s/plan.gpkg", dir);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(layer_count(ds, "hazards"), N - 1);
    assert_int_equal(layer_count(ds, "packages"), (GIntBig)p->npackages);
    assert_int_equal(layer_count(ds, "milestones"), (GIntBig)(p->nyears + p->nquarters));
    assert_int_equal(layer_count(ds, "rejected"), 4);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "hazards");
    assert_int_equal(wkbFlatten(OGR_L_GetGeomType(l)), wkbMultiPolygon);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(l);
    assert_non_null(srs);
    assert_string_equal(OSRGetAuthorityCode(srs, NULL), "32642");
    OGRFeatureH ft = OGR_L_GetNextFeature(l);
    assert_non_null(OGR_F_GetGeometryRef(ft));
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(l);
    assert_string_equal(OGR_F_GetFieldAsString(ft, OGR_FD_GetFieldIndex(fd, "hazard_id")),
                        "HZ-040");
    assert_int_equal(OGR_Fld_GetType(OGR_FD_GetFieldDefn(fd, OGR_FD_GetFieldIndex(fd, "start"))),
                     OFTDate);
    assert_int_equal(OGR_F_GetFieldAsInteger64(ft, OGR_FD_GetFieldIndex(fd, "fid_in")), 1040);
    /* the fields the QGIS styles rely on */
    static const char *const styled[] = {"rank", "start", "end", "year", "team"};
    for (int k = 0; k < 5; ++k) assert_true(OGR_FD_GetFieldIndex(fd, styled[k]) >= 0);
    OGR_F_Destroy(ft);
    l = GDALDatasetGetLayerByName(ds, "milestones");
    assert_int_equal(OGR_L_GetGeomType(l), wkbNone);
    GDALClose(ds);

    /* read back the GeoPackage and the CSV; re-planning gives the same order and dates */
    for (int which = 0; which < 2; ++which) {
        snprintf(path, sizeof path, "%s/%s", dir, which ? "plan.csv" : "plan.gpkg");
        cp_hazard_table *t = NULL;
        CHECK_OK(cp_hazard_table_read(path, NULL, &t));
        assert_int_equal(t->n, N - 1);
        assert_int_equal(t->ncolumns, 3);
        assert_int_equal(t->nclasses, 2);
        assert_int_equal(t->classes[0], 30);
        assert_int_equal(t->classes[1], 40);
        assert_string_equal(t->columns[0].name, "report_density");
        assert_string_equal(t->columns[2].name, "province");
        assert_int_equal(t->columns[2].type, CP_VALUE_TEXT);
        if (!which) {
            assert_non_null(t->crs_wkt);
            assert_non_null(t->hazards[0].wkb);
            assert_int_equal(t->columns[1].type, CP_VALUE_INTEGER);
        }
        cp_plan_options o2 = {0};
        o2.columns = t->columns;
        o2.ncolumns = t->ncolumns;
        o2.classes = t->classes;
        o2.nclasses = t->nclasses;
        cp_plan *q = NULL;
        CHECK_OK(cp_plan_compute(t->hazards, t->n, &cap, &cost, &rules, &o2, &q));
        assert_int_equal(q->nitems, N - 1); /* HZ-002 is no longer in the file */
        assert_int_equal(q->nexcluded, 0);
        for (size_t i = 0; i < q->nitems; ++i) { /* the same stages, efforts and schedule */
            assert_string_equal(q->items[i].h.id, p->items[i].h.id);
            assert_true(fabs(q->items[i].h.cost_team_days - p->items[i].h.cost_team_days) <=
                        1e-9 * p->items[i].h.cost_team_days);
            assert_int_equal(q->items[i].end, p->items[i].end);
            assert_int_equal(q->items[i].team, p->items[i].team);
            for (int st = 0; st < CP_NMETHOD; ++st)
                assert_int_equal(q->items[i].stage_end[st], p->items[i].stage_end[st]);
        }
        assert_int_equal(q->teams_needed, p->teams_needed);
        cp_plan_free(q);
        cp_hazard_table_free(t);
    }
    cpt_rmtree(dir);
    cp_plan_free(p);
    fixture_free(f);
    free(f);
}

static void test_plan_io_replan_identical(void **state) {
    (void)state;
    fixture *f = calloc(1, sizeof *f);
    fixture_build(f);
    cp_capacity cap = capacity();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(f->h, N, &cap, &cost, NULL, NULL, &p));
    char dir[4096], path[4200];
    cpt_tmpdir("plan_io2", dir, sizeof dir);
    CHECK_OK(cp_plan_write_all(p, dir, NULL));
    for (int which = 0; which < 2; ++which) {
        snprintf(path, sizeof path, "%s/%s", dir, which ? "plan.csv" : "plan.gpkg");
        cp_hazard_table *t = NULL;
        CHECK_OK(cp_hazard_table_read(path, NULL, &t));
        cp_plan *q = NULL;
        CHECK_OK(cp_plan_compute(t->hazards, t->n, &cap, &cost, NULL, NULL, &q));
        assert_int_equal(q->nitems, p->nitems);
        for (size_t i = 0; i < p->nitems; ++i) {
            assert_string_equal(q->items[i].h.id, p->items[i].h.id);
            assert_int_equal(q->items[i].start, p->items[i].start);
            assert_int_equal(q->items[i].end, p->items[i].end);
            assert_int_equal(q->items[i].team, p->items[i].team);
            assert_int_equal(q->items[i].h.locked, p->items[i].h.locked);
        }
        assert_int_equal(q->completion, p->completion);
        assert_int_equal(q->teams_needed, p->teams_needed);
        cp_plan_free(q);
        cp_hazard_table_free(t);
    }
    char *json = NULL;
    CHECK_OK(cp_plan_summary_json(p, &json));
    cpt_assert_contains(json, "\"completion\": \"");
    cpt_assert_contains(json, "\"teams_needed\": ");
    cpt_assert_contains(json, "\"funding_gap_usd\": ");
    cpt_assert_contains(json, "\"orders\": [{\"name\": \"efficiency\"");
    free(json);
    cpt_rmtree(dir);
    cp_plan_free(p);
    fixture_free(f);
    free(f);
}

static void expect_read_error(const char *name, const char *text, cp_status want, const char *msg) {
    char dir[4096], path[4200];
    cpt_tmpdir("plan_io_bad", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cpt_write(path, text);
    cp_hazard_table *t = NULL;
    cp_status st = cp_hazard_table_read(path, NULL, &t);
    if (st != want) {
        print_error("%s: expected %d, got %d (%s)\n", name, want, st, cp_errmsg());
        fail();
    }
    assert_null(t);
    cpt_assert_contains(cp_errmsg(), msg);
    cpt_assert_contains(cp_errmsg(), name);
    cpt_rmtree(dir);
}

static void test_plan_io_reader_errors(void **state) {
    (void)state;
    expect_read_error("cols.csv", "hazard_id,status,area_m2\nA,SHA,5\n", CP_E_FORMAT,
                      "missing columns benefit, cost_team_days");
    expect_read_error("status.csv",
                      "hazard_id,status,area_m2,benefit,cost_team_days\nA,SHA,5,1,1\nB,XHA,5,1,1\n",
                      CP_E_FORMAT, "row 2 (hazard B): status 'XHA' is not SHA or CHA");
    expect_read_error("neg.csv", "hazard_id,status,area_m2,benefit,cost_team_days\nA,CHA,-5,1,1\n",
                      CP_E_FORMAT, "row 1 (hazard A): area_m2 is negative");
    expect_read_error("zero.csv", "", CP_E_FORMAT, "the file is empty");
    expect_read_error("header.csv", "hazard_id,status,area_m2,benefit,cost_team_days\n",
                      CP_E_FORMAT, "no hazard to plan: the table has no rows");
    expect_read_error("locked.csv",
                      "hazard_id,status,area_m2,benefit,cost_team_days,locked\n"
                      "A,CHA,200,1,1,yes\nB,CHA,200,1,1,no\nC,CHA,200,1,1,maybe\n",
                      CP_E_FORMAT, "row 3 (hazard C): locked 'maybe' is not yes (1, true");
    expect_read_error("covered.csv",
                      "hazard_id,status,area_m2,benefit,cost_team_days,covered_m2\n"
                      "A,CHA,200,1,1,150\nB,CHA,200,1,1,1e12\n",
                      CP_E_FORMAT,
                      "row 2 (hazard B): covered_m2 1000000000000 exceeds area_m2 200");
    expect_read_error("nan.csv", "hazard_id,status,area_m2,benefit,cost_team_days\nA,CHA,5,x1,1\n",
                      CP_E_FORMAT, "benefit 'x1' is not a number");
    expect_read_error("empty.csv", "hazard_id,status,area_m2,benefit,cost_team_days\nA,CHA,5,1,\n",
                      CP_E_FORMAT, "cost_team_days is empty");
    expect_read_error("noid.csv", "hazard_id,status,area_m2,benefit,cost_team_days\n,CHA,5,1,2\n",
                      CP_E_FORMAT, "row 1: hazard_id is empty");
    /* text in a GeoPackage's REAL column (SQLite keeps it; OGR reads it as 0): refused */
    {
        char gdir[4096], gpkg[4200];
        cpt_tmpdir("plan_io_gpkg", gdir, sizeof gdir);
        snprintf(gpkg, sizeof gpkg, "%s/text_in_real.gpkg", gdir);
        int rc = cpt_sh(
            NULL, NULL,
            "/usr/bin/python3 -c \"import sqlite3, sys\n"
            "from osgeo import ogr\n"
            "p = sys.argv[1]; ds = ogr.GetDriverByName('GPKG').CreateDataSource(p)\n"
            "l = ds.CreateLayer('hazards', None, ogr.wkbNone)\n"
            "for n in ('hazard_id', 'status'): l.CreateField(ogr.FieldDefn(n, ogr.OFTString))\n"
            "for n in ('area_m2', 'benefit', 'cost_team_days'): "
            "l.CreateField(ogr.FieldDefn(n, ogr.OFTReal))\n"
            "for i in ('A', 'B'):\n"
            "    f = ogr.Feature(l.GetLayerDefn()); f['hazard_id'] = i; f['status'] = 'CHA'\n"
            "    f['area_m2'] = 5; f['benefit'] = 1; f['cost_team_days'] = 1; l.CreateFeature(f)\n"
            "ds = None; c = sqlite3.connect(p)\n"
            "c.execute(\\\"UPDATE hazards SET area_m2 = 'five' WHERE hazard_id = 'B'\\\"); "
            "c.commit()\" '%s'",
            gpkg);
        assert_int_equal(rc, 0);
        cp_hazard_table *g = NULL;
        assert_int_equal(cp_hazard_table_read(gpkg, NULL, &g), CP_E_FORMAT);
        assert_null(g);
        cpt_assert_contains(cp_errmsg(), "text_in_real.gpkg: feature 2: area_m2 holds 'five'");
        cpt_rmtree(gdir);
    }
    cp_hazard_table *t = NULL;
    assert_int_equal(cp_hazard_table_read("/nonexistent/h.csv", NULL, &t), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "cannot open /nonexistent/h.csv");
    /* a minimal valid file: lower-case status, region, locked, extra numeric text column */
    char dir[4096], path[4200];
    cpt_tmpdir("plan_io_ok", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/min.csv", dir);
    cpt_write(path,
              "hazard_id,status,area_m2,benefit,cost_team_days,region,locked,score,code\n"
              "A,sha,5,1,1,North,first,0.5,007\nB, CHA ,5,2,1,,0,1e3,12\n");
    CHECK_OK(cp_hazard_table_read(path, NULL, &t));
    assert_int_equal(t->n, 2);
    assert_int_equal(t->hazards[1].status, CP_STATUS_CHA);
    assert_string_equal(t->hazards[0].region, "North");
    assert_null(t->hazards[1].region);
    assert_int_equal(t->hazards[0].locked, 1);
    assert_int_equal(t->hazards[1].locked, 0);
    assert_true(isnan(t->hazards[0].covered_m2));
    assert_null(t->hazards[0].class_m2);
    assert_int_equal(t->ncolumns, 2);
    assert_int_equal(t->columns[0].type, CP_VALUE_REAL); /* all values are numbers */
    assert_true(t->hazards[1].extra[0].real == 1000);
    assert_int_equal(t->columns[1].type, CP_VALUE_TEXT); /* "007" is a code */
    cp_hazard_table_free(t);
    /* class areas instead of cost_team_days; an empty class cell counts 0 */
    snprintf(path, sizeof path, "%s/classes.csv", dir);
    cpt_write(path,
              "hazard_id,status,area_m2,benefit,class_m2_10,class_m2_other,covered_m2\n"
              "A,SHA,500,1,300,,450\nB,CHA,5,2,,,5\n");
    CHECK_OK(cp_hazard_table_read(path, NULL, &t));
    assert_int_equal(t->nclasses, 1);
    assert_int_equal(t->classes[0], 10);
    assert_true(t->hazards[0].class_m2[0] == 300 && t->hazards[0].class_m2[1] == 0);
    assert_true(t->hazards[0].covered_m2 == 450);
    assert_null(t->hazards[1].class_m2);
    assert_true(isnan(t->hazards[1].cost_team_days));
    assert_int_equal(t->ncolumns, 0);
    cp_hazard_table_free(t);
    /* writing into a folder that does not exist fails and leaves nothing */
    cp_capacity cap = capacity();
    cp_cost cost;
    cp_cost_defaults(&cost);
    cp_plan *p = NULL;
    CHECK_OK(cp_plan_compute(NULL, 0, &cap, &cost, NULL, NULL, &p));
    snprintf(path, sizeof path, "%s/missing/plan.csv", dir);
    assert_int_equal(cp_plan_write_csv(p, path), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "cannot write");
    cp_plan_free(p);
    cpt_rmtree(dir);
}

static void test_plan_io_number_format(void **state) {
    (void)state;
    static const struct {
        double v;
        const char *s;
    } cases[] = {{0, "0"},
                 {-0.0, "0"},
                 {1500, "1500"},
                 {28374.719999999998, "28374.72"},
                 {0.5, "0.5"},
                 {-2.25, "-2.25"},
                 {0.001, "0.001"},
                 {0.000123, "0.000123"},
                 {100, "100"},
                 {99999.99999999999, "100000"},
                 {0.21410098091754237, "0.214100980917542"},
                 {123456789012345.0, "123456789012345"},
                 {1e15, "1e+15"},
                 {1e-5, "1e-05"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        cp_textbuf b = {0};
        cp_textbuf_num(&b, cases[i].v, "");
        assert_string_equal(b.data, cases[i].s);
        cp_textbuf_free(&b);
    }
    uint64_t x = 42;
    for (int i = 0; i < 200000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double u1 = (double)(x >> 11) / 9007199254740992.0;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double u2 = (double)(x >> 11) / 9007199254740992.0;
        double v = (u1 - 0.3) * pow(10, floor(u2 * 22) - 5);
        cp_textbuf b = {0};
        cp_textbuf_num(&b, v, "");
        double back = strtod(b.data, NULL);
        if (!(fabs(back - v) <= 1e-14 * fabs(v))) {
            print_error("%.17g -> %s\n", v, b.data);
            fail();
        }
        cp_textbuf_free(&b);
    }
    cp_textbuf b = {0};
    cp_textbuf_num(&b, NAN, "null");
    cp_textbuf_int(&b, -1234567);
    cp_textbuf_date(&b, cp_date_make(2028, 3, 1));
    assert_string_equal(b.data, "null-12345672028-03-01");
    cp_textbuf_free(&b);
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_io_write_and_read_back),
        cmocka_unit_test(test_plan_io_replan_identical),
        cmocka_unit_test(test_plan_io_reader_errors),
        cmocka_unit_test(test_plan_io_number_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
