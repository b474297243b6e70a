/* The demo preset (slow): sizes, class shares, flaws and population total at 3,000 x 3,000. */
#include "synth_check.h"

static void test_synth_demo_preset(void **state) {
    (void)state;
    cp_init();
    char d[4200];
    synth_gen("synth_demo", CP_SYNTH_DEMO, 1, d, sizeof d);
    char *json = synth_read(d, "synth.json", NULL);
    double share[256];
    synth_check_landcover(d, 3000, share);
    /* a landscape, not noise: every class present in a plausible share */
    static const int codes[] = {10, 20, 30, 40, 50, 80};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
        if (share[codes[i]] < 0.005)
            print_error("class %d covers %.4f\n", codes[i], share[codes[i]]);
        assert_true(share[codes[i]] >= 0.005);
    }
    assert_true(share[50] < 0.1 && share[80] < 0.15 && share[10] > 0.15);
    synth_check_population(d, json);
    assert_int_equal((int)synth_json_num(json, "\"hazards\"", "count"), 500);
    assert_true(synth_json_num(json, "\"settlements\"", "count") >= 50);
    synth_check_hazards(d, json);
    synth_check_reports(d, json);
    free(json);
    cpt_rmtree(d);
    cp_shutdown();
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_synth_demo_preset)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
