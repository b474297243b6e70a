/* clearplan synth on the command line: exit codes, messages, byte-identical output. */
#include "cp_test.h"

static void test_synth_cli(void **state) {
    (void)state;
    char base[4096];
    cpt_tmpdir("synth_cli", base, sizeof base);
    char *out = NULL, *err = NULL;
    assert_int_equal(
        cpt_sh(&out, &err, "'%s' synth --preset tiny --seed 5 -o '%s/a' -q", cpt_bin(), base), 0);
    assert_string_equal(out, "");
    free(out), free(err);
    assert_int_equal(
        cpt_sh(&out, NULL, "'%s' synth --preset tiny --seed 5 -o '%s/b'", cpt_bin(), base), 0);
    cpt_assert_contains(out, "scenario.yaml");
    free(out);
    assert_int_equal(cpt_sh(NULL, NULL,
                            "cmp '%s/a/landcover.tif' '%s/b/landcover.tif' && "
                            "cmp '%s/a/hazards.gpkg' '%s/b/hazards.gpkg'",
                            base, base, base, base),
                     0);
    /* an existing folder is refused, then replaced with --overwrite */
    assert_int_equal(cpt_sh(NULL, &err, "'%s' synth --preset tiny -o '%s/a'", cpt_bin(), base), 1);
    cpt_assert_contains(err, "clearplan: error: ");
    cpt_assert_contains(err, "--overwrite");
    free(err);
    assert_int_equal(
        cpt_sh(NULL, NULL, "'%s' synth --preset tiny -o '%s/a' --overwrite -q", cpt_bin(), base),
        0);
    /* usage errors exit 2 */
    assert_int_equal(cpt_sh(NULL, &err, "'%s' synth --preset huge -o '%s/c'", cpt_bin(), base), 2);
    cpt_assert_contains(err, "unknown preset");
    free(err);
    assert_int_equal(cpt_sh(NULL, NULL, "'%s' synth -o '%s/c'", cpt_bin(), base), 2);
    assert_int_equal(cpt_sh(NULL, NULL, "'%s' synth --preset tiny", cpt_bin()), 2);
    assert_int_equal(
        cpt_sh(NULL, NULL, "'%s' synth --preset tiny --seed x -o '%s/c'", cpt_bin(), base), 2);
    assert_int_equal(cpt_sh(&out, NULL, "'%s' synth --help", cpt_bin()), 0);
    cpt_assert_contains(out, "--preset");
    free(out);
    cpt_rmtree(base);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_synth_cli)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
