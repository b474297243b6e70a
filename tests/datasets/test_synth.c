/* Synthetic scenarios (tiny preset): determinism, formats, value ranges, flaws, folder
 * handling, interruption, and the scenario parser accepting what the generator writes. */
#include <dirent.h>

#include "synth_check.h"

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

static void test_synth_same_seed_same_bytes(void **state) {
    (void)state;
    char a[4200], b[4200], c[4200];
    synth_gen("synth_det_a", CP_SYNTH_TINY, 7, a, sizeof a);
    synth_gen("synth_det_b", CP_SYNTH_TINY, 7, b, sizeof b);
    synth_gen("synth_det_c", CP_SYNTH_TINY, 8, c, sizeof c);
    for (int i = 0; i < SYNTH_NFILES; ++i) {
        if (!synth_same_file(a, b, synth_files[i]))
            print_error("%s differs between two runs with seed 7\n", synth_files[i]);
        assert_true(synth_same_file(a, b, synth_files[i]));
    }
    /* another seed: another world */
    assert_false(synth_same_file(a, c, "landcover.tif"));
    assert_false(synth_same_file(a, c, "treecover.tif"));
    assert_false(synth_same_file(a, c, "population.tif"));
    assert_false(synth_same_file(a, c, "hazards.gpkg"));
    assert_false(synth_same_file(a, c, "reports.gpkg"));
    cpt_rmtree(a), cpt_rmtree(b), cpt_rmtree(c);
}

static void test_synth_rasters(void **state) {
    (void)state;
    char d[4200];
    synth_gen("synth_rasters", CP_SYNTH_TINY, 1, d, sizeof d);
    char *json = synth_read(d, "synth.json", NULL);
    double share[256];
    synth_check_landcover(d, 640, share);
    assert_true(share[50] > 0.0); /* a settlement's built-up core */
    assert_true(share[40] > 0.0); /* its cropland */
    assert_true(share[10] > 0.0); /* forest on higher ground */
    assert_true(share[80] > 0.0); /* a river or lake */
    synth_check_population(d, json);
    free(json);
    cpt_rmtree(d);
}

static void test_synth_vectors_and_flaws(void **state) {
    (void)state;
    char d[4200];
    synth_gen("synth_vectors", CP_SYNTH_TINY, 3, d, sizeof d);
    char *json = synth_read(d, "synth.json", NULL);
    assert_int_equal((int)synth_json_num(json, "\"hazards\"", "count"), 12);
    synth_check_hazards(d, json);
    synth_check_reports(d, json);
    GDALDatasetH ds = synth_open(d, "settlements.gpkg", GDAL_OF_VECTOR);
    OGRLayerH st = GDALDatasetGetLayerByName(ds, "settlements");
    OGRLayerH rd = GDALDatasetGetLayerByName(ds, "roads");
    assert_non_null(st);
    assert_non_null(rd);
    assert_int_equal(OGR_L_GetFeatureCount(st, TRUE),
                     (long long)synth_json_num(json, "\"settlements\"", "count"));
    assert_int_equal(OGR_L_GetFeatureCount(rd, TRUE),
                     (long long)synth_json_num(json, "\"settlements\"", "roads"));
    GDALClose(ds);
    free(json);
    cpt_rmtree(d);
}

static void test_synth_scenario_yaml(void **state) {
    (void)state;
    char d[4200];
    synth_gen("synth_yaml", CP_SYNTH_TINY, 1, d, sizeof d);
    char *y = synth_read(d, "scenario.yaml", NULL);
    static const char *keys[] = {
        "\nname: ",
        "\ngrid:\n",
        "  crs: EPSG:32618\n",
        "  cell_size_m: 30\n",
        "\ninputs:\n",
        "hazards:   {path: hazards.gpkg, layer: hazards, id: hazard_id, status: status, "
        "region: province}",
        "population: {path: population.tif, role: population}",
        "landcover: {path: landcover.tif, role: landcover}",
        "treecover: {path: treecover.tif, role: treecover}",
        "reports:   {path: reports.gpkg, role: reports, date: reported_on, confidence: confidence}",
        "name: people_nearby",
        "name: settlements",
        "name: land_use",
        "name: open_land",
        "name: improvised_mines",
        "\ncost:\n",
        "\ncapacity:\n",
        "  deadline: ",
        "  regions: {",
        "\noutputs:\n  dir: out\n"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i) cpt_assert_contains(y, keys[i]);
    /* capacity regions are the provinces of the hazards */
    char *json = synth_read(d, "synth.json", NULL);
    const char *p = json;
    int nprov = 0;
    while ((p = strstr(p, "{\"name\": \"")) != NULL) {
        p += 10;
        char name[64] = {0}, key[80];
        for (int i = 0; i < 63 && p[i] != '"'; ++i) name[i] = p[i];
        snprintf(key, sizeof key, "%s: ", name);
        cpt_assert_contains(strstr(y, "regions: {"), key);
        ++nprov;
    }
    assert_true(nprov >= 2);
#ifdef CP_HAVE_SCENARIO_LOAD
    char path[4300];
    snprintf(path, sizeof path, "%s/scenario.yaml", d);
    cp_scenario *sc = NULL;
    cp_status s = cp_scenario_load(path, &sc);
    if (s != CP_OK) print_error("cp_scenario_load: %s\n", cp_errmsg());
    assert_int_equal(s, CP_OK);
    assert_int_equal(sc->ncriteria, 5);
    assert_int_equal((int)sc->capacity.nregions, nprov);
    assert_non_null(cp_scenario_input(sc, "hazards"));
    assert_non_null(cp_scenario_input(sc, "reports"));
    cp_scenario_free(sc);
#endif
    free(json);
    free(y);
    cpt_rmtree(d);
}

static int count_leftovers(const char *parent) {
    DIR *dir = opendir(parent);
    assert_non_null(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) n += strstr(e->d_name, ".synth-") != NULL;
    closedir(dir);
    return n;
}

static void test_synth_refuses_existing_folder(void **state) {
    (void)state;
    char d[4200];
    synth_gen("synth_exists", CP_SYNTH_TINY, 1, d, sizeof d);
    char *before = synth_read(d, "synth.json", NULL);
    cp_synth_options o;
    cp_synth_options_init(&o);
    o.seed = 2;
    o.dir = d;
    assert_int_equal(cp_synth(&o, NULL, NULL), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "--overwrite");
    char *after = synth_read(d, "synth.json", NULL);
    assert_string_equal(before, after); /* untouched */
    free(after);
    o.overwrite = 1;
    assert_int_equal(cp_synth(&o, NULL, NULL), CP_OK);
    after = synth_read(d, "synth.json", NULL);
    cpt_assert_contains(after, "\"seed\": 2,");
    char parent[4200];
    snprintf(parent, sizeof parent, "%.*s", (int)(strrchr(d, '/') - d), d);
    assert_int_equal(count_leftovers(parent), 0);
    free(before);
    free(after);
    cpt_rmtree(parent);
}

typedef struct {
    int calls, stop_at;
    double last;
    int monotonic;
} progress_log;

static int progress_cb(double complete, const char *message, void *arg) {
    (void)message;
    progress_log *p = arg;
    if (complete < p->last) p->monotonic = 0;
    p->last = complete;
    return ++p->calls < p->stop_at;
}

static void test_synth_progress_and_interrupt(void **state) {
    (void)state;
    char base[4096], d[4200];
    cpt_tmpdir("synth_interrupt", base, sizeof base);
    snprintf(d, sizeof d, "%s/scn", base);
    cp_synth_options o;
    cp_synth_options_init(&o);
    o.dir = d;
    /* full run: progress from 0 to 1, never backwards */
    progress_log full = {0, 1 << 30, 0.0, 1};
    assert_int_equal(cp_synth(&o, progress_cb, &full), CP_OK);
    assert_true(full.calls >= 3);
    assert_true(full.monotonic);
    assert_true(full.last == 1.0);
    cpt_rmtree(d);
    /* stop at the first call, then part way: nothing left behind */
    for (int stop = 1; stop <= 3; stop += 2) {
        progress_log p = {0, stop, 0.0, 1};
        assert_int_equal(cp_synth(&o, progress_cb, &p), CP_E_INTERRUPTED);
        assert_int_equal(p.calls, stop);
        assert_false(cpt_exists(d));
        assert_int_equal(count_leftovers(base), 0);
    }
    cpt_rmtree(base);
}

static void test_synth_bad_options(void **state) {
    (void)state;
    cp_synth_options o;
    cp_synth_options_init(&o);
    assert_int_equal(cp_synth(&o, NULL, NULL), CP_E_ARG); /* no folder */
    cp_synth_preset p;
    assert_int_equal(cp_synth_preset_parse("huge", &p), CP_E_ARG);
    assert_int_equal(cp_synth_preset_parse("national", &p), CP_OK);
    assert_int_equal(p, CP_SYNTH_NATIONAL);
    assert_string_equal(cp_synth_preset_name(CP_SYNTH_DEMO), "demo");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synth_same_seed_same_bytes),
        cmocka_unit_test(test_synth_rasters),
        cmocka_unit_test(test_synth_vectors_and_flaws),
        cmocka_unit_test(test_synth_scenario_yaml),
        cmocka_unit_test(test_synth_refuses_existing_folder),
        cmocka_unit_test(test_synth_progress_and_interrupt),
        cmocka_unit_test(test_synth_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
