/* End-to-end runs of the pipeline: on the `tiny` synthetic preset (outputs, COG validity,
 * CRS, hazard accounting, determinism across threads and strips) and on a hand-made scenario
 * whose numbers are computed independently here. */
#include "cp_test_gdal.h"

#include <math.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/clearplan.h>

#include "cog.h"
#include "cpk/pyramid.h"
#include "engine.h"
#include "inputs.h"

static char tiny[1200]; /* the generated tiny scenario folder */

static int setup_tiny(void **state) {
    (void)state;
    char dir[1024];
    cpt_tmpdir("e2e", dir, 1000);
    snprintf(tiny, sizeof tiny, "%s/tiny", dir);
    int rc = cpt_sh(NULL, NULL, "'%s' synth --preset tiny --seed 7 -o '%s' -q", cpt_bin(), tiny);
    return rc == 0 ? 0 : -1;
}

/* Rows in a CSV file, header excluded (fields may hold quoted newlines: none here). */
static long csv_rows(const char *path) {
    char *text = cpt_slurp(path, NULL);
    assert_non_null(text);
    long n = 0;
    for (char *p = text; *p; ++p) n += *p == '\n';
    free(text);
    return n - 1;
}

static void test_run_tiny_outputs(void **state) {
    (void)state;
    char out[1100], *o = NULL, *e = NULL;
    snprintf(out, sizeof out, "%s/out", tiny);
    int rc = cpt_sh(&o, &e, "'%s' run '%s/scenario.yaml' -o '%s' -q", cpt_bin(), tiny, out);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    cpt_assert_contains(o, "planned");
    free(o), free(e);
    const char *files[] = {"priority.tif",   "priority_class.tif", "plan.gpkg",   "plan.csv",
                           "milestones.csv", "run.json",           "rejected.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
        char p[1300];
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        if (!cpt_exists(p)) print_error("missing %s\n", p);
        assert_true(cpt_exists(p));
    }
    /* no temporary leftovers beside the output folder */
    rc = cpt_sh(&o, NULL, "ls -d '%s'/*.strips.tif 2>/dev/null | wc -l", out);
    assert_int_equal(atoi(o), 0);
    free(o);
    char parent[1200];
    snprintf(parent, sizeof parent, "%s", out);
    *strrchr(parent, '/') = '\0';
    assert_int_equal(cpt_debris(parent), 0);
    /* COG validity with GDAL's own validator */
    rc = cpt_sh(
        &o, &e,
        "/usr/bin/python3 -c \"import sys; from osgeo_utils.samples import "
        "validate_cloud_optimized_geotiff as v; "
        "[sys.exit(1) if v.validate(f, full_check=True)[0] else None for f in sys.argv[1:]]; "
        "print('cog ok')\" '%s/priority.tif' '%s/priority_class.tif'",
        out, out);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    free(o), free(e);
    /* CRS, nodata, overviews */
    char p[1300];
    snprintf(p, sizeof p, "%s/priority.tif", out);
    GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(GDALGetProjectionRef(ds));
    assert_string_equal(OSRGetAuthorityCode(srs, NULL), "32618");
    OSRDestroySpatialReference(srs);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int has = 0;
    assert_true(GDALGetRasterNoDataValue(b, &has) == -9999.0 && has);
    assert_true(GDALGetOverviewCount(b) >= 1);
    /* the overviews clearplan builds (engine/io/cog.c): level 1 is the mean of each 2 x 2
     * block of the map (cpk/pyramid.h), every row of it, whatever chunk it was made in */
    {
        int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
        GDALRasterBandH ob = GDALGetOverview(b, 0);
        int ox = GDALGetRasterBandXSize(ob), oy = GDALGetRasterBandYSize(ob);
        assert_int_equal(ox, cpk_pyramid_size(nx));
        assert_int_equal(oy, cpk_pyramid_size(ny));
        float *full = malloc(sizeof(float) * (size_t)nx * (size_t)ny);
        float *ovr = malloc(sizeof(float) * (size_t)ox * (size_t)oy),
              *want = malloc(sizeof(float) * (size_t)ox);
        assert_int_equal(GDALRasterIO(b, GF_Read, 0, 0, nx, ny, full, nx, ny, GDT_Float32, 0, 0),
                         CE_None);
        assert_int_equal(GDALRasterIO(ob, GF_Read, 0, 0, ox, oy, ovr, ox, oy, GDT_Float32, 0, 0),
                         CE_None);
        for (int r = 0; r < oy; ++r) {
            const float *a = full + (size_t)(2 * r) * (size_t)nx;
            assert_int_equal(
                cpk_pyramid_mean_f32(a, 2 * r + 1 < ny ? a + nx : NULL, nx, 1, -9999.0f, want),
                CPK_OK);
            assert_memory_equal(ovr + (size_t)r * (size_t)ox, want, sizeof(float) * (size_t)ox);
        }
        free(full), free(ovr), free(want);
    }
    assert_non_null(GDALGetMetadataItem(ds, "CLEARPLAN_WEIGHTS", NULL));
    GDALClose(ds);
    /* values in [0, 1] where not nodata */
    int nx, ny;
    float *v = cpt_read_tif(p, &nx, &ny);
    size_t valid = 0;
    for (size_t i = 0; i < (size_t)nx * ny; ++i) {
        if (v[i] == -9999.0f) continue;
        assert_true(v[i] >= 0.0f && v[i] <= 1.0f);
        valid++;
    }
    assert_true(valid > 0);
    free(v);
    /* every input hazard accounted for: plan rows + rejected rows = features in the layer */
    snprintf(p, sizeof p, "%s/hazards.gpkg", tiny);
    GDALDatasetH hv = GDALOpenEx(p, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(hv);
    long nfeat = (long)OGR_L_GetFeatureCount(GDALDatasetGetLayer(hv, 0), 1);
    GDALClose(hv);
    snprintf(p, sizeof p, "%s/plan.csv", out);
    long planned = csv_rows(p);
    snprintf(p, sizeof p, "%s/rejected.csv", out);
    long rejected = csv_rows(p);
    assert_true(planned > 0);
    assert_true(rejected >= 3); /* the preset plants null, empty and duplicate-id flaws */
    assert_int_equal(planned + rejected, nfeat);
    /* rejected hazards keep their geometry where they have one (the duplicate id's), so a
     * GIS shows where they are; the null and empty ones have none */
    snprintf(p, sizeof p, "%s/plan.gpkg", out);
    GDALDatasetH pv = GDALOpenEx(p, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(pv);
    OGRLayerH rl = GDALDatasetGetLayerByName(pv, "rejected");
    assert_non_null(rl);
    int with_geometry = 0, without = 0;
    OGR_L_ResetReading(rl);
    for (OGRFeatureH f; (f = OGR_L_GetNextFeature(rl)) != NULL; OGR_F_Destroy(f)) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && !OGR_G_IsEmpty(g) && OGR_G_Area(g) > 0)
            ++with_geometry;
        else
            ++without;
    }
    GDALClose(pv);
    assert_true(with_geometry >= 1);
    assert_true(without >= 2);
    /* run.json says the same */
    snprintf(p, sizeof p, "%s/run.json", out);
    char *json = cpt_slurp(p, NULL);
    char expect[128];
    snprintf(expect, sizeof expect,
             "\"hazards\": {\"input\": %ld, \"planned\": %ld, \"rejected\": %ld", nfeat, planned,
             rejected);
    cpt_assert_contains(json, expect);
    cpt_assert_contains(json, "\"peak_rss_bytes\"");
    cpt_assert_contains(json, "\"timings_s\"");
    /* the outputs' checksums are those of the files published (the maps' are taken in a
     * thread of their own while the plan is written) */
    const char *sums[] = {"priority.tif", "priority_class.tif", "plan.csv", "report.html"};
    for (int i = 0; i < 4; ++i) {
        char hex[65], entry[256], *line = NULL;
        uint64_t size = 0;
        snprintf(p, sizeof p, "%s/%s", out, sums[i]);
        assert_true(cp_file_sha256(p, hex, &size));
        snprintf(entry, sizeof entry, "{\"file\": \"%s\", \"bytes\": %llu, \"sha256\": \"%s\"}",
                 sums[i], (unsigned long long)size, hex);
        cpt_assert_contains(json, entry);
        /* the digest `sha256sum` prints (coreutils' own SHA-256) */
        assert_int_equal(cpt_sh(&line, NULL, "sha256sum '%s'", p), 0);
        assert_int_equal(strncmp(line, hex, 64), 0);
        free(line);
    }
    free(json);
    /* an existing output folder is kept without --overwrite */
    rc = cpt_sh(NULL, &e, "'%s' run '%s/scenario.yaml' -o '%s' -q", cpt_bin(), tiny, out);
    assert_int_equal(rc, 1);
    cpt_assert_contains(e, "exists; pass --overwrite");
    free(e);
}

/* Same scenario with 1 and 3 threads and a memory budget forcing many thin strips: the
 * priority cells and the plan are identical. */
static void test_run_deterministic_threads_strips(void **state) {
    (void)state;
    char a[1100], b[1100], pa[1200], pb[1200];
    snprintf(a, sizeof a - 8, "%s/det1", tiny);
    snprintf(b, sizeof b, "%s/det2", tiny);
    assert_int_equal(
        cpt_sh(NULL, NULL, "'%s' run '%s/scenario.yaml' -o '%s' -q -j 1", cpt_bin(), tiny, a), 0);
    assert_int_equal(cpt_sh(NULL, NULL, "'%s' run '%s/scenario.yaml' -o '%s' -q -j 3 --memory 1M",
                            cpt_bin(), tiny, b),
                     0);
    /* the second really ran in strips */
    snprintf(pb, sizeof pb, "%s/run.json", b);
    char *json = cpt_slurp(pb, NULL);
    char *sr = strstr(json, "\"strip_rows\": ");
    assert_non_null(sr);
    long rows = atol(sr + 14);
    snprintf(pa, sizeof pa, "%s/run.json", a);
    char *json_a = cpt_slurp(pa, NULL);
    long rows_a = atol(strstr(json_a, "\"strip_rows\": ") + 14);
    assert_true(rows < rows_a);
    free(json), free(json_a);
    snprintf(pa, sizeof pa, "%s/priority.tif", a);
    snprintf(pb, sizeof pb, "%s/priority.tif", b);
    int nx, ny, nx2, ny2;
    float *va = cpt_read_tif(pa, &nx, &ny), *vb = cpt_read_tif(pb, &nx2, &ny2);
    assert_int_equal(nx, nx2);
    assert_int_equal(ny, ny2);
    assert_memory_equal(va, vb, (size_t)nx * ny * sizeof *va);
    free(va), free(vb);
    snprintf(pa, sizeof pa, "%s/plan.csv", a);
    snprintf(pb, sizeof pb, "%s/plan.csv", b);
    size_t la, lb;
    char *ca = cpt_slurp(pa, &la), *cb = cpt_slurp(pb, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ca, cb, la);
    free(ca), free(cb);
}

/* ---- a hand-made scenario with numbers known in advance ---- */

static void write_raster(const char *path, int nx, int ny, double x0, double y0, double cs,
                         int epsg, float value, int with_crs) {
    float *v = malloc(sizeof *v * (size_t)nx * (size_t)ny);
    for (size_t k = 0; k < (size_t)nx * (size_t)ny; ++k) v[k] = value;
    cpt_write_tif(path, v, nx, ny, x0, y0, cs, cs, with_crs ? epsg : 0, 0, 0);
    free(v);
}

/* Writes hazards.gpkg with the given WKT polygons (ids H-1.., status SHA/CHA alternating). */
static void write_hazards(const char *path, const char **wkts, int n, const char **status) {
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 32618);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "hazards", srs, wkbMultiPolygon, NULL);
    OSRDestroySpatialReference(srs);
    OGRFieldDefnH fd = OGR_Fld_Create("hazard_id", OFTString);
    OGR_L_CreateField(l, fd, 1);
    OGR_Fld_Destroy(fd);
    fd = OGR_Fld_Create("status", OFTString);
    OGR_L_CreateField(l, fd, 1);
    OGR_Fld_Destroy(fd);
    for (int i = 0; i < n; ++i) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        char id[16];
        snprintf(id, sizeof id, "H-%d", i + 1);
        OGR_F_SetFieldString(f, 0, id);
        OGR_F_SetFieldString(f, 1, status[i]);
        OGRGeometryH g = NULL;
        char *w = (char *)wkts[i];
        assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
        OGR_F_SetGeometryDirectly(f, g);
        assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

/* Finds the plan.csv row of `id` and returns the value of column `col` as a double. */
static double csv_value(const char *path, const char *id, const char *col) {
    char *text = cpt_slurp(path, NULL);
    assert_non_null(text);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    int idx = -1, idcol = -1, k = 0;
    for (char *c = line, *s2 = NULL, *tok = strtok_r(c, ",", &s2); tok;
         tok = strtok_r(NULL, ",", &s2), ++k) {
        if (!strcmp(tok, col)) idx = k;
        if (!strcmp(tok, "hazard_id")) idcol = k;
    }
    assert_true(idx >= 0 && idcol >= 0);
    double v = NAN;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *cells[64];
        int nc = 0;
        for (char *p = line; nc < 64;) {
            cells[nc++] = p;
            char *q = strchr(p, ',');
            if (!q) break;
            *q = '\0';
            p = q + 1;
        }
        if (idcol < nc && !strcmp(cells[idcol], id) && idx < nc) v = atof(cells[idx]);
    }
    free(text);
    return v;
}

static void make_uniform_scenario(const char *dir, int crs_on_population) {
    char p[1200];
    /* 3 km x 3 km of cropland (40), no trees, no people; UTM 18N, 30 m cells */
    snprintf(p, sizeof p, "%s/landcover.tif", dir);
    write_raster(p, 100, 100, 500000, 700000, 30, 32618, 40, 1);
    snprintf(p, sizeof p, "%s/treecover.tif", dir);
    write_raster(p, 100, 100, 500000, 700000, 30, 32618, 0, 1);
    snprintf(p, sizeof p, "%s/population.tif", dir);
    write_raster(p, 100, 100, 500000, 700000, 30, 32618, 0, crs_on_population);
    /* H-1: 300 m square on cell lines (SHA); H-2: an off-grid square (CHA); H-3: a triangle */
    const char *wkts[] = {
        "MULTIPOLYGON (((501200 698800, 501500 698800, 501500 699100, 501200 699100, 501200 "
        "698800)))",
        "MULTIPOLYGON (((501013.7 698021.3, 501213.7 698021.3, 501213.7 698221.3, 501013.7 "
        "698221.3, 501013.7 698021.3)))",
        "MULTIPOLYGON (((501700 698500, 501790 698500, 501745 698577, 501700 698500)))"};
    const char *status[] = {"SHA", "CHA", "SHA"};
    snprintf(p, sizeof p, "%s/hazards.gpkg", dir);
    write_hazards(p, wkts, 3, status);
    snprintf(p, sizeof p, "%s/scenario.yaml", dir);
    cpt_write(p,
              "name: uniform\n"
              "grid: {crs: EPSG:32618, cell_size_m: 30}\n"
              "inputs:\n"
              "  hazards: {path: hazards.gpkg}\n"
              "  population: population.tif\n"
              "  landcover: landcover.tif\n"
              "  treecover: treecover.tif\n"
              "criteria:\n"
              "  - {name: people, kind: focal_sum, radius_m: 300, weight: 0}\n"
              "  - {name: land_use, kind: classes, table: {40: 1.0}, weight: 1}\n"
              "  - {name: open_land, kind: linear, input: treecover, invert: true, weight: 1}\n"
              "capacity: {start: 2026-01-01, deadline: 2030-01-01, teams: 2}\n");
}

/* `clearplan run DIR/scenario.yaml -o DIR/OUT -q ARGS`, which must succeed (its output
 * printed when it does not). */
static void run_ok(const char *dir, const char *out, const char *args) {
    char *o = NULL, *e = NULL;
    int rc = cpt_sh(&o, &e, "'%s' run '%s/scenario.yaml' -o '%s/%s' -q %s", cpt_bin(), dir, dir,
                    out, args);
    if (rc) print_error("%s\n%s\n", o, e);
    assert_int_equal(rc, 0);
    free(o), free(e);
}

static void test_run_uniform_exact_numbers(void **state) {
    (void)state;
    char dir[1024], out[1100], csv[1200];
    cpt_tmpdir("uniform", dir, sizeof dir);
    make_uniform_scenario(dir, 1);
    snprintf(out, sizeof out, "%s/out", dir);
    run_ok(dir, "out", "");
    snprintf(csv, sizeof csv, "%s/plan.csv", out);
    /* P = (1 x 1 + 1 x 1) / 2 = 1 everywhere in the land-cover extent */
    const double sha = 0.45 / 40000 + 0.25 / 2500 + 0.30 / 500; /* team-days per m2 */
    const double cha = 0.00 / 40000 + 0.20 / 2500 + 0.80 / 500;
    struct {
        const char *id;
        double area, per_m2;
    } cases[] = {{"H-1", 90000, sha}, {"H-2", 40000, cha}, {"H-3", 0.5 * 90 * 77, sha}};
    for (int i = 0; i < 3; ++i) {
        double area = csv_value(csv, cases[i].id, "area_m2");
        double cov = csv_value(csv, cases[i].id, "covered_m2");
        double benefit = csv_value(csv, cases[i].id, "benefit");
        double cost = csv_value(csv, cases[i].id, "cost_team_days");
        double pm = csv_value(csv, cases[i].id, "priority_mean");
        assert_true(fabs(area - cases[i].area) < 1e-6 * cases[i].area);
        assert_true(fabs(cov - cases[i].area) < 1e-6 * cases[i].area); /* exact coverage */
        assert_true(fabs(benefit - cases[i].area / 1e4) < 1e-6 * cases[i].area / 1e4);
        assert_true(fabs(cost - cases[i].area * cases[i].per_m2) < 1e-6 * cost);
        assert_true(fabs(pm - 1.0) < 1e-9);
        assert_true(fabs(csv_value(csv, cases[i].id, "cost_usd") - 1500 * cost) <
                    1e-6 * 1500 * cost);
    }
    cpt_rmtree(dir);
}

static void test_run_bad_inputs(void **state) {
    (void)state;
    char dir[1024], *e = NULL;
    cpt_tmpdir("badin", dir, sizeof dir);
    make_uniform_scenario(dir, 0); /* population without a CRS */
    int rc = cpt_sh(NULL, &e, "'%s' run '%s/scenario.yaml' -o '%s/out' -q", cpt_bin(), dir, dir);
    assert_int_equal(rc, 1);
    cpt_assert_contains(e, "clearplan: error: <");
    cpt_assert_contains(e, "population.tif>: raster has no coordinate reference system");
    free(e);
    char p[1200];
    snprintf(p, sizeof p, "%s/out", dir);
    assert_false(cpt_exists(p)); /* nothing half-written */
    assert_int_equal(cpt_debris(dir), 0);
    /* a missing file */
    snprintf(p, sizeof p, "%s/population.tif", dir);
    unlink(p);
    rc = cpt_sh(NULL, &e, "'%s' run '%s/scenario.yaml' -o '%s/out' -q", cpt_bin(), dir, dir);
    assert_int_equal(rc, 1);
    cpt_assert_contains(e, "cannot open <");
    free(e);
    /* a raster far from the hazards */
    write_raster(p, 10, 10, 100000, 200000, 30, 32618, 1, 1);
    rc = cpt_sh(NULL, &e, "'%s' run '%s/scenario.yaml' -o '%s/out' -q", cpt_bin(), dir, dir);
    assert_int_equal(rc, 1);
    cpt_assert_contains(e, "does not overlap the analysis grid");
    free(e);
    /* a corrupt GeoTIFF */
    cpt_write(p, "II*\0garbage");
    rc = cpt_sh(NULL, &e, "'%s' run '%s/scenario.yaml' -o '%s/out' -q", cpt_bin(), dir, dir);
    assert_int_equal(rc, 1);
    cpt_assert_contains(e, "population.tif");
    free(e);
    cpt_rmtree(dir);
}

/* A population raster of nx x ny 3 arc-second cells (about 92 m) in EPSG:4326 from (lon0, lat0)
 * at its top left, random people (seeded); returns their total. */
static double write_population_4326(const char *p, int nx, int ny, double lon0, double lat0,
                                    uint64_t seed) {
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), p, nx, ny, 1, GDT_Float32, NULL);
    double gt[6] = {lon0, 1.0 / 1200, 0, lat0, 0, -1.0 / 1200};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    char *wkt = NULL;
    OSRExportToWkt(srs, &wkt);
    GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    float *v = malloc((size_t)nx * ny * sizeof *v);
    double total = 0;
    uint64_t x = seed;
    for (int i = 0; i < nx * ny; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)((x >> 40) % 1000) / 10.0f;
        total += v[i];
    }
    assert_int_equal(CE_None, GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, nx, ny, v, nx,
                                           ny, GDT_Float32, 0, 0));
    GDALClose(ds);
    free(v);
    return total;
}

/* A new temporary folder `dir` (named after `name`) holding pop.tif, its path in p, written by
 * write_population_4326; returns its people. */
static double population_dir(const char *name, char dir[1024], char p[1100], int nx, int ny,
                             double lon0, double lat0, uint64_t seed) {
    cpt_tmpdir(name, dir, 1024);
    snprintf(p, 1100, "%s/pop.tif", dir);
    return write_population_4326(p, nx, ny, lon0, lat0, seed);
}

/* A grid in UTM 18N (EPSG:32618, x east, y north) over `geo`. */
static cp_grid utm18n_grid(cpk_geo geo) {
    cp_grid g = {0};
    g.srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(g.srs, 32618);
    OSRSetAxisMappingStrategy(g.srs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRExportToWkt(g.srs, &g.wkt);
    g.geo = geo;
    return g;
}

/* The people in n cells of a read (NaN: no data) and, in *valid, the cells that hold some. */
static double people_read(const float *rows, size_t n, size_t *valid) {
    double sum = 0;
    *valid = 0;
    for (size_t i = 0; i < n; ++i)
        if (!isnan(rows[i])) sum += rows[i], ++*valid;
    return sum;
}

/* Population is warped with area-weighted sum: people are neither created nor lost. */
static void test_population_sum_preserved(void **state) {
    (void)state;
    char dir[1024], p[1100];
    /* near 6.3N 75.5W */
    double total = population_dir("popsum", dir, p, 120, 100, -75.55, 6.35, 12345);
    /* a UTM 18N grid of 30 m cells covering the raster with a margin */
    cp_grid g = utm18n_grid((cpk_geo){436000, 704000, 30, 30, 500, 500});
    cp_input in = {.name = "population", .path = p, .band = 1, .resample = CP_RESAMPLE_SUM};
    /* clearplan's exact redistribution, and GDAL's `sum` warp for comparison */
    for (int method = 0; method < 2; ++method) {
        float *rows = malloc(500 * 500 * sizeof *rows);
        GDALDatasetH vrt = NULL;
        cp_grid_input *gi = NULL;
        if (method == 0) {
            assert_int_equal(cp_grid_input_open(&in, &g, 2, 0, &gi), CP_OK);
            assert_int_equal(cp_grid_input_read(gi, 0, 200, rows), CP_OK); /* two strips */
            assert_int_equal(cp_grid_input_read(gi, 200, 300, rows + 200 * 500), CP_OK);
            /* the corners went to PROJ directly (one operation, EPSG:4326 to UTM 18N: its
             * projection alone, fed radians); through GDAL the same rows come out with the
             * same bits */
            assert_int_equal(cp_grid_input_direct_proj(gi), 2);
            float *again = malloc(500 * 500 * sizeof *again);
            cp_grid_input_through_gdal(gi);
            assert_false(cp_grid_input_direct_proj(gi));
            assert_int_equal(cp_grid_input_read(gi, 0, 500, again), CP_OK);
            assert_memory_equal(rows, again, 500 * 500 * sizeof *rows);
            free(again);
        } else {
            assert_int_equal(cp_input_warp(&in, &g, 2, 0, &vrt), CP_OK);
            assert_int_equal(cp_input_read_rows(vrt, p, &g, 0, 500, rows), CP_OK);
        }
        size_t valid;
        double warped = people_read(rows, 500 * 500, &valid);
        assert_true(valid > 0 && valid < 500 * 500); /* the grid is larger than the raster */
        /* exact: float rounding only; GDAL's estimate: within 0.5% */
        double tol = method == 0 ? 1e-5 : 0.005;
        if (fabs(warped - total) > tol * total)
            print_error("method %d: %.3f people on the grid, %.3f in the input\n", method, warped,
                        total);
        assert_true(fabs(warped - total) <= tol * total);
        free(rows);
        if (vrt) GDALClose(vrt);
        cp_grid_input_close(gi);
    }
    cp_grid_clear(&g);
    cpt_rmtree(dir);
}

/* The exact resampling transforms only the corners whose cells can reach the strip read (each
 * edge probed every 16 corners first): where the source's rows cross the grid's at an angle
 * (5 degrees west of the central meridian at 55N: rows 4 degrees off the grid's), strips of
 * any height give the bits of one read with every corner transformed. */
static void test_population_strips_probed(void **state) {
    (void)state;
    char dir[1024], p[1100];
    double total = population_dir("popprobe", dir, p, 300, 130, -80.1, 55.05, 777);
    /* 400 x 300 cells of 30 m inside the raster (16.9 x 12 km) */
    cp_grid g = utm18n_grid((cpk_geo){175860, 6110170, 30, 30, 400, 300});
    cp_input in = {.name = "population", .path = p, .band = 1, .resample = CP_RESAMPLE_SUM};
    const size_t cells = 400 * 300;
    float *all = malloc(cells * sizeof *all), *rows = malloc(cells * sizeof *rows);
    cp_grid_input *gi = NULL;
    assert_int_equal(cp_grid_input_open(&in, &g, 3, 0, &gi), CP_OK);
    cp_grid_input_all_corners(gi);
    assert_int_equal(cp_grid_input_read(gi, 0, 300, all), CP_OK);
    cp_grid_input_close(gi);
    size_t valid;
    double sum = people_read(all, cells, &valid);
    /* the grid holds about half of the raster's people, every cell inside it */
    assert_true(valid == cells && sum > 0.3 * total && sum < 0.7 * total);
    const int heights[] = {1, 7, 50, 143, 300};
    for (int h = 0; h < 5; ++h)
        for (int threads = 1; threads <= 3; threads += 2) {
            assert_int_equal(cp_grid_input_open(&in, &g, threads, 0, &gi), CP_OK);
            for (int64_t r = 0; r < 300; r += heights[h]) {
                int64_t n = r + heights[h] <= 300 ? heights[h] : 300 - r;
                assert_int_equal(cp_grid_input_read(gi, r, n, rows + r * 400), CP_OK);
            }
            cp_grid_input_close(gi);
            if (memcmp(all, rows, cells * sizeof *rows))
                print_error("strips of %d rows, %d threads: not the bits of every corner\n",
                            heights[h], threads);
            assert_memory_equal(all, rows, cells * sizeof *rows);
        }
    free(all), free(rows);
    cp_grid_clear(&g);
    cpt_rmtree(dir);
}

/* grid.aoi: cells outside the area of interest are nodata; criteria maps are written. */
static void test_run_aoi_and_criteria_maps(void **state) {
    (void)state;
    char dir[1024], p[1200];
    cpt_tmpdir("aoi", dir, sizeof dir);
    make_uniform_scenario(dir, 1);
    snprintf(p, sizeof p, "%s/aoi.gpkg", dir);
    /* a triangle: the grid is its bounding box, the cells it does not touch are nodata */
    const char *aoi[] = {
        "MULTIPOLYGON (((500600 697600, 502400 697600, 500600 699400, 500600 "
        "697600)))"};
    const char *st[] = {"SHA"};
    write_hazards(p, aoi, 1, st);
    snprintf(p, sizeof p, "%s/scenario.yaml", dir);
    char *yaml = cpt_slurp(p, NULL);
    char *patched = malloc(strlen(yaml) + 200);
    char *g = strstr(yaml, "grid: {crs: EPSG:32618, cell_size_m: 30}");
    assert_non_null(g);
    *g = '\0';
    sprintf(patched,
            "%sgrid: {crs: EPSG:32618, cell_size_m: 30, aoi: aoi.gpkg}\noutputs: "
            "{criteria_maps: true}%s",
            yaml, g + strlen("grid: {crs: EPSG:32618, cell_size_m: 30}"));
    cpt_write(p, patched);
    free(yaml), free(patched);
    run_ok(dir, "out", "");
    /* the grid is the AOI's extent snapped out to whole cells: 500580..502410 = 61 cells */
    snprintf(p, sizeof p, "%s/out/priority.tif", dir);
    int nx, ny;
    float *v = cpt_read_tif(p, &nx, &ny);
    assert_int_equal(nx, 61);
    assert_int_equal(ny, 61);
    int inside = 0, outside = 0;
    for (int i = 0; i < nx * ny; ++i) {
        assert_true(v[i] == 1.0f || v[i] == -9999.0f);
        inside += v[i] == 1.0f, outside += v[i] == -9999.0f;
    }
    assert_true(v[60] == -9999.0f);  /* top right: far from the triangle */
    assert_true(v[60 * 61] == 1.0f); /* bottom left: inside */
    assert_true(inside > 1800 && inside < 2000 && outside > 1700); /* about half each */
    /* the same cells in and out with strips of a few rows, each cut into bands over 3 threads */
    run_ok(dir, "out2", "-j 3 --memory 1M");
    snprintf(p, sizeof p, "%s/out2/priority.tif", dir);
    int nx2, ny2;
    float *v2 = cpt_read_tif(p, &nx2, &ny2);
    assert_int_equal(nx2, nx);
    assert_int_equal(ny2, ny);
    assert_memory_equal(v, v2, sizeof *v * (size_t)nx * (size_t)ny);
    free(v2);
    free(v);
    snprintf(p, sizeof p, "%s/out/criteria/land_use.tif", dir);
    v = cpt_read_tif(p, &nx, &ny);
    assert_true(v[0] == 1.0f);
    free(v);
    snprintf(p, sizeof p, "%s/out/criteria/open_land.tif", dir);
    assert_true(cpt_exists(p));
    cpt_rmtree(dir);
}

/* A kind added through its descriptor alone (slope, docs/criteria.md): a scenario with an
 * elevation input and a slope criterion writes the criterion's map, which equals
 * 1 - min(1, slope / 30) of `gdaldem slope` on the same cells (NaN slopes score 0). */
static void test_run_slope_criterion(void **state) {
    (void)state;
    char dir[1024], p[1200];
    cpt_tmpdir("slope", dir, sizeof dir);
    make_uniform_scenario(dir, 1);
    float *z = malloc(sizeof *z * 100 * 100);
    for (int j = 0; j < 100; ++j)
        for (int i = 0; i < 100; ++i)
            z[j * 100 + i] = (float)(100 + 30 * sin(0.1 * i) + 25 * cos(0.13 * j) + 0.2 * i * j);
    snprintf(p, sizeof p, "%s/dem.tif", dir);
    /* on the grid's cells (multiples of 30 m): read as it is, not resampled */
    cpt_write_tif(p, z, 100, 100, 499980, 700020, 30, 30, 32618, 0, 0);
    free(z);
    snprintf(p, sizeof p, "%s/scenario.yaml", dir);
    char *yaml = cpt_slurp(p, NULL);
    char *patched = malloc(strlen(yaml) + 300);
    char *c = strstr(yaml, "criteria:\n");
    assert_non_null(c);
    *c = '\0';
    sprintf(patched,
            "%s  dem: {path: dem.tif, type: raster}\noutputs: "
            "{criteria_maps: true}\ncriteria:\n"
            "  - {name: flat_land, kind: slope, input: dem, weight: 1}\n%s",
            yaml, c + strlen("criteria:\n"));
    cpt_write(p, patched);
    free(yaml), free(patched);
    run_ok(dir, "out", "");
    /* the peer on the grid's cells: the DEM cut to the grid, then gdaldem slope */
    snprintf(p, sizeof p, "%s/out/criteria/flat_land.tif", dir);
    GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
    assert_non_null(ds);
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
    GDALClose(ds);
    int xoff = (int)lround((gt[0] - 499980) / 30), yoff = (int)lround((700020 - gt[3]) / 30);
    assert_true(xoff >= 0 && yoff >= 0 && xoff + nx <= 100 && yoff + ny <= 100);
    assert_int_equal(cpt_sh(NULL, NULL,
                            "gdal_translate -q -srcwin %d %d %d %d '%s/dem.tif' '%s/cut.tif' && "
                            "gdaldem slope -q '%s/cut.tif' '%s/slope.tif'",
                            xoff, yoff, nx, ny, dir, dir, dir, dir),
                     0);
    int mx, my, sx, sy;
    float *mine = cpt_read_tif(p, &mx, &my);
    snprintf(p, sizeof p, "%s/slope.tif", dir);
    float *slope = cpt_read_tif(p, &sx, &sy);
    assert_int_equal(mx, sx);
    assert_int_equal(my, sy);
    int scored = 0;
    for (int k = 0; k < mx * my; ++k) {
        double want = slope[k] == -9999.0f ? 0 : 1 - fmin(1, slope[k] / 30.0);
        assert_float_equal(mine[k], want, 1e-5); /* the map is Float32 */
        scored += want > 0 && want < 1;
    }
    assert_true(scored > mx * my / 2); /* most cells are neither flat nor too steep */
    free(mine), free(slope);
    cpt_rmtree(dir);
}

/* A distance criterion from vector features: exact distances to the burnt source cells. */
static void test_run_distance_from_vector(void **state) {
    (void)state;
    char dir[1024], p[1200];
    cpt_tmpdir("vdist", dir, sizeof dir);
    make_uniform_scenario(dir, 1);
    /* one school: a point inside cell (col 50, row 50) of the land-cover raster */
    snprintf(p, sizeof p, "%s/schools.gpkg", dir);
    const char *pt[] = {
        "MULTIPOLYGON (((501490 698480, 501495 698480, 501490 698485, 501490 "
        "698480)))"};
    const char *st[] = {"SHA"};
    write_hazards(p, pt, 1, st);
    snprintf(p, sizeof p, "%s/scenario.yaml", dir);
    cpt_write(p,
              "name: vector distance\n"
              "grid: {crs: EPSG:32618, cell_size_m: 30, aoi: aoi.gpkg}\n"
              "inputs:\n"
              "  hazards: {path: hazards.gpkg}\n"
              "  landcover: landcover.tif\n"
              "  schools: {path: schools.gpkg, type: vector}\n"
              "criteria:\n"
              "  - {name: land_use, kind: classes, table: {40: 1.0}, weight: 1}\n"
              "  - {name: school, kind: distance, input: schools, decay_m: 300, max_m: 900, "
              "weight: 1}\n"
              "outputs: {criteria_maps: true}\n"
              "capacity: {start: 2026-01-01, deadline: 2030-01-01, teams: 2}\n");
    /* the grid: the land-cover raster's extent */
    snprintf(p, sizeof p, "%s/aoi.gpkg", dir);
    const char *aoi[] = {
        "MULTIPOLYGON (((500000 697000, 503000 697000, 503000 700000, 500000 "
        "700000, 500000 697000)))"};
    write_hazards(p, aoi, 1, st);
    run_ok(dir, "out", "--memory 1M");
    snprintf(p, sizeof p, "%s/out/criteria/school.tif", dir);
    int nx, ny;
    float *v = cpt_read_tif(p, &nx, &ny);
    GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    GDALClose(ds);
    /* the grid is the AOI snapped out to 30 m: 499980 .. 503010 */
    assert_int_equal(nx, 101);
    assert_int_equal(ny, 101);
    int sc = (int)floor((501491 - gt[0]) / 30), sr = (int)floor((gt[3] - 698482) / 30);
    for (int r = 0; r < ny; ++r)
        for (int c = 0; c < nx; ++c) {
            double d = 30.0 * sqrt((double)((r - sr) * (r - sr) + (c - sc) * (c - sc)));
            double expect = d <= 900 ? exp(-d / 300.0) : 0.0;
            if (fabs(v[r * nx + c] - expect) > 1e-6) {
                print_error("cell %d,%d: %g, expected %g\n", r, c, v[r * nx + c], expect);
                fail();
            }
        }
    free(v);
    cpt_rmtree(dir);
}

int main(void) {
    cp_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_tiny_outputs),
        cmocka_unit_test(test_run_deterministic_threads_strips),
        cmocka_unit_test(test_run_uniform_exact_numbers),
        cmocka_unit_test(test_run_bad_inputs),
        cmocka_unit_test(test_population_sum_preserved),
        cmocka_unit_test(test_population_strips_probed),
        cmocka_unit_test(test_run_aoi_and_criteria_maps),
        cmocka_unit_test(test_run_distance_from_vector),
        cmocka_unit_test(test_run_slope_criterion),
    };
    int rc = cmocka_run_group_tests(tests, setup_tiny, NULL);
    cp_shutdown();
    return rc;
}
