/* Checks shared by the synthetic-scenario tests: generate a preset, read synth.json, compare
 * folders, and verify rasters and layers against the manifest with GDAL/OGR. */
#ifndef CP_SYNTH_CHECK_H
#define CP_SYNTH_CHECK_H

#include <math.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/clearplan.h>
#include <clearplan/synth.h>

#include "cp_test.h"

static const char *const synth_files[] = {"scenario.yaml", "synth.json",       "hazards.gpkg",
                                          "reports.gpkg",  "settlements.gpkg", "landcover.tif",
                                          "treecover.tif", "population.tif"};
enum { SYNTH_NFILES = sizeof synth_files / sizeof synth_files[0] };

/* Generates `preset` with `seed` into <tmp>/<name>.<pid>/scn; writes that path into out. */
static inline void synth_gen(const char *name, cp_synth_preset preset, uint64_t seed, char *out,
                             size_t n) {
    char base[4096];
    cpt_tmpdir(name, base, sizeof base);
    snprintf(out, n, "%s/scn", base);
    cp_synth_options o;
    cp_synth_options_init(&o);
    o.preset = preset;
    o.seed = seed;
    o.dir = out;
    cp_status s = cp_synth(&o, NULL, NULL);
    if (s != CP_OK) print_error("cp_synth: %s\n", cp_errmsg());
    assert_int_equal(s, CP_OK);
}

static inline char *synth_read(const char *dir, const char *file, size_t *len) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *t = cpt_slurp(path, len);
    if (!t) print_error("cannot read %s\n", path);
    assert_non_null(t);
    return t;
}

/* The number after "key": that follows `anchor` in the JSON text. */
static inline double synth_json_num(const char *json, const char *anchor, const char *key) {
    const char *a = anchor ? strstr(json, anchor) : json;
    assert_non_null(a);
    char k[128];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(a, k);
    if (!p) print_error("no %s after %s in synth.json\n", key, anchor ? anchor : "start");
    assert_non_null(p);
    return strtod(p + strlen(k), NULL);
}

/* The integer list "key": [a, b, ...]; returns the count, values in out (at most cap). */
static inline int synth_json_list(const char *json, const char *key, int64_t *out, int cap) {
    char k[128];
    snprintf(k, sizeof k, "\"%s\": [", key);
    const char *p = strstr(json, k);
    assert_non_null(p);
    p += strlen(k);
    int n = 0;
    while (*p && *p != ']') {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) {
            ++p;
            continue;
        }
        if (n < cap) out[n] = v;
        ++n;
        p = end;
    }
    return n;
}

static inline int synth_list_has(const int64_t *v, int n, int64_t x) {
    for (int i = 0; i < n; ++i)
        if (v[i] == x) return 1;
    return 0;
}

/* 1 when the two folders hold byte-identical copies of every generated file. */
static inline int synth_same_file(const char *a, const char *b, const char *file) {
    size_t la = 0, lb = 0;
    char *x = synth_read(a, file, &la), *y = synth_read(b, file, &lb);
    int same = la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

static inline void synth_assert_epsg(OGRSpatialReferenceH srs, const char *code) {
    assert_non_null(srs);
    OGRSpatialReferenceH s = OSRClone(srs);
    OSRAutoIdentifyEPSG(s);
    const char *c = OSRGetAuthorityCode(s, NULL);
    if (!c || strcmp(c, code)) print_error("expected EPSG:%s, got %s\n", code, c ? c : "none");
    assert_true(c && !strcmp(c, code));
    OSRDestroySpatialReference(s);
}

static inline GDALDatasetH synth_open(const char *dir, const char *file, unsigned flags) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    GDALDatasetH ds = GDALOpenEx(path, flags | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) print_error("cannot open %s: %s\n", path, CPLGetLastErrorMsg());
    assert_non_null(ds);
    return ds;
}

/* Land cover and tree cover on the analysis grid: CRS, size, tiling, compression, codes,
 * tree cover 0..100 and consistent with the class; returns class shares in share[256]. */
static inline void synth_check_landcover(const char *dir, int n, double share[256]) {
    GDALDatasetH lc = synth_open(dir, "landcover.tif", GDAL_OF_RASTER);
    GDALDatasetH tc = synth_open(dir, "treecover.tif", GDAL_OF_RASTER);
    synth_assert_epsg(GDALGetSpatialRef(lc), "32618");
    synth_assert_epsg(GDALGetSpatialRef(tc), "32618");
    assert_int_equal(GDALGetRasterXSize(lc), n);
    assert_int_equal(GDALGetRasterYSize(lc), n);
    double gt[6];
    assert_int_equal(GDALGetGeoTransform(lc, gt), CE_None);
    assert_true(gt[1] == 30.0 && gt[5] == -30.0);
    const char *comp = GDALGetMetadataItem(lc, "COMPRESSION", "IMAGE_STRUCTURE");
    assert_non_null(comp);
    assert_string_equal(comp, "DEFLATE");
    int bx, by;
    GDALGetBlockSize(GDALGetRasterBand(lc, 1), &bx, &by);
    assert_int_equal(bx, 256);
    assert_int_equal(by, 256);
    static const int valid[] = {10, 20, 30, 40, 50, 60, 80, 90};
    long long count[256] = {0};
    unsigned char *a = malloc((size_t)n), *t = malloc((size_t)n);
    for (int r = 0; r < n; ++r) {
        assert_int_equal(
            GDALRasterIO(GDALGetRasterBand(lc, 1), GF_Read, 0, r, n, 1, a, n, 1, GDT_Byte, 0, 0),
            CE_None);
        assert_int_equal(
            GDALRasterIO(GDALGetRasterBand(tc, 1), GF_Read, 0, r, n, 1, t, n, 1, GDT_Byte, 0, 0),
            CE_None);
        for (int c = 0; c < n; ++c) {
            count[a[c]]++;
            assert_true(t[c] <= 100);
            if (a[c] == 80 || a[c] == 60) assert_int_equal(t[c], 0);
            if (a[c] == 10) assert_true(t[c] >= 30);
            if (a[c] == 40 || a[c] == 50) assert_true(t[c] <= 10);
        }
    }
    long long total = 0;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; ++i) total += count[valid[i]];
    assert_int_equal(total, (long long)n * n); /* nothing outside the WorldCover set */
    for (int i = 0; i < 256; ++i) share[i] = (double)count[i] / ((double)n * n);
    free(a);
    free(t);
    GDALClose(lc);
    GDALClose(tc);
}

/* Population: EPSG:4326 at 3 arc-seconds, non-negative, total as recorded. */
static inline void synth_check_population(const char *dir, const char *json) {
    GDALDatasetH ds = synth_open(dir, "population.tif", GDAL_OF_RASTER);
    synth_assert_epsg(GDALGetSpatialRef(ds), "4326");
    double gt[6];
    assert_int_equal(GDALGetGeoTransform(ds, gt), CE_None);
    assert_true(fabs(gt[1] - 1.0 / 1200.0) < 1e-12 && fabs(gt[5] + 1.0 / 1200.0) < 1e-12);
    int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
    assert_int_equal(nx, (int)synth_json_num(json, "\"population\"", "nx"));
    assert_int_equal(ny, (int)synth_json_num(json, "\"population\"", "ny"));
    assert_int_equal(GDALGetRasterDataType(GDALGetRasterBand(ds, 1)), GDT_Float32);
    float *row = malloc(sizeof(float) * (size_t)nx);
    double sum = 0;
    for (int r = 0; r < ny; ++r) {
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, r, nx, 1, row, nx, 1,
                                      GDT_Float32, 0, 0),
                         CE_None);
        for (int c = 0; c < nx; ++c) {
            assert_true(row[c] >= 0.0f);
            sum += row[c];
        }
    }
    double want = synth_json_num(json, "\"population\"", "total");
    if (fabs(sum - want) > 1e-9 * want + 1e-6)
        print_error("population total %.6f, recorded %.6f\n", sum, want);
    assert_true(fabs(sum - want) <= 1e-9 * want + 1e-6);
    assert_true(want > 0);
    free(row);
    GDALClose(ds);
}

/* Hazards: count, CRS, attributes, and the recorded flaws really present. */
static inline void synth_check_hazards(const char *dir, const char *json) {
    GDALDatasetH ds = synth_open(dir, "hazards.gpkg", GDAL_OF_VECTOR);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "hazards");
    assert_non_null(l);
    synth_assert_epsg(OGR_L_GetSpatialRef(l), "32618");
    const int cap = 100000;
    int64_t *nul = malloc(sizeof(int64_t) * cap), *emp = malloc(sizeof(int64_t) * cap);
    int64_t *inv = malloc(sizeof(int64_t) * cap), *mul = malloc(sizeof(int64_t) * cap);
    int64_t *hol = malloc(sizeof(int64_t) * cap);
    int nnul = synth_json_list(json, "null_fids", nul, cap);
    int nemp = synth_json_list(json, "empty_fids", emp, cap);
    int ninv = synth_json_list(json, "invalid_fids", inv, cap);
    int nmul = synth_json_list(json, "multipolygon_fids", mul, cap);
    int nhol = synth_json_list(json, "hole_fids", hol, cap);
    assert_true(nnul >= 1 && nemp >= 1 && ninv >= 1 && nmul >= 1 && nhol >= 1);
    long long want = (long long)synth_json_num(json, "\"hazards\"", "count");
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), want);
    int idx_id = OGR_L_FindFieldIndex(l, "hazard_id", TRUE);
    int idx_st = OGR_L_FindFieldIndex(l, "status", TRUE);
    int idx_pr = OGR_L_FindFieldIndex(l, "province", TRUE);
    assert_true(idx_id >= 0 && idx_st >= 0 && idx_pr >= 0);
    int seen_null = 0, seen_empty = 0, seen_invalid = 0, seen_multi = 0, seen_hole = 0;
    char(*ids)[16] = calloc((size_t)want, sizeof *ids);
    long long k = 0;
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        int64_t fid = OGR_F_GetFID(f);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        const char *status = OGR_F_GetFieldAsString(f, idx_st);
        assert_true(!strcmp(status, "SHA") || !strcmp(status, "CHA"));
        assert_true(OGR_F_GetFieldAsString(f, idx_pr)[0] != '\0');
        snprintf(ids[k++], 16, "%s", OGR_F_GetFieldAsString(f, idx_id));
        if (!g) {
            assert_true(synth_list_has(nul, nnul, fid));
            ++seen_null;
        } else if (OGR_G_IsEmpty(g)) {
            assert_true(synth_list_has(emp, nemp, fid));
            ++seen_empty;
        } else if (!OGR_G_IsValid(g)) {
            assert_true(synth_list_has(inv, ninv, fid));
            ++seen_invalid;
        } else {
            assert_false(synth_list_has(nul, nnul, fid) || synth_list_has(emp, nemp, fid) ||
                         synth_list_has(inv, ninv, fid));
            double area = OGR_G_Area(g);
            assert_true(area >= 100.0 && area <= 1e7); /* a few hundred m2 to several km2 */
            if (OGR_G_GetGeometryCount(g) > 1) {
                assert_true(synth_list_has(mul, nmul, fid));
                ++seen_multi;
            }
            OGRGeometryH p0 = OGR_G_GetGeometryRef(g, 0);
            if (OGR_G_GetGeometryCount(p0) > 1) {
                assert_true(synth_list_has(hol, nhol, fid));
                ++seen_hole;
            }
        }
        OGR_F_Destroy(f);
    }
    assert_int_equal(k, want);
    assert_int_equal(seen_null, nnul);
    assert_int_equal(seen_empty, nemp);
    assert_int_equal(seen_invalid, ninv);
    assert_int_equal(seen_multi, nmul);
    assert_int_equal(seen_hole, nhol);
    /* every recorded duplicate id occurs at least twice */
    const char *p = strstr(json, "\"duplicate_ids\": [");
    assert_non_null(p);
    int ndup = 0;
    while ((p = strstr(p, "{\"id\": \"")) != NULL) {
        p += 8;
        char id[16] = {0};
        for (int i = 0; i < 15 && p[i] != '"'; ++i) id[i] = p[i];
        int occ = 0;
        for (long long i = 0; i < want; ++i) occ += !strcmp(ids[i], id);
        if (occ < 2) print_error("duplicate id %s occurs %d times\n", id, occ);
        assert_true(occ >= 2);
        ++ndup;
    }
    assert_true(ndup >= 1);
    free(ids);
    free(nul);
    free(emp);
    free(inv);
    free(mul);
    free(hol);
    GDALClose(ds);
}

/* Reports: EPSG:4326 points, ISO dates, confidence 0..1, recent ones as recorded. */
static inline void synth_check_reports(const char *dir, const char *json) {
    GDALDatasetH ds = synth_open(dir, "reports.gpkg", GDAL_OF_VECTOR);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "reports");
    assert_non_null(l);
    synth_assert_epsg(OGR_L_GetSpatialRef(l), "4326");
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int idate = OGR_FD_GetFieldIndex(d, "reported_on"),
        iconf = OGR_FD_GetFieldIndex(d, "confidence");
    assert_true(idate >= 0 && iconf >= 0);
    assert_int_equal(OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, idate)), OFTDate);
    long long n = 0, recent = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        int y, m, dd, h, mi, tz;
        float s;
        assert_true(OGR_F_GetFieldAsDateTimeEx(f, idate, &y, &m, &dd, &h, &mi, &s, &tz));
        assert_true(y >= 1998 && y <= 2025 && m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
        recent += y >= 2022;
        double c = OGR_F_GetFieldAsDouble(f, iconf);
        assert_true(c >= 0.0 && c <= 1.0);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        assert_non_null(g);
        double lon = OGR_G_GetX(g, 0), lat = OGR_G_GetY(g, 0);
        assert_true(lon > -82 && lon < -66 && lat > 0 && lat < 14); /* Colombia, lon/lat order */
        OGR_F_Destroy(f);
        ++n;
    }
    assert_int_equal(n, (long long)synth_json_num(json, "\"reports\"", "count"));
    assert_int_equal(recent, (long long)synth_json_num(json, "\"reports\"", "recent"));
    GDALClose(ds);
}

#endif
