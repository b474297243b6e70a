/* libFuzzer target: the scenario parser. Any bytes must give CP_OK with a scenario or an
 * error status with a message, never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <clearplan/clearplan.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    cp_init(); /* the parser checks CRS strings through OGR */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cp_scenario *sc = NULL;
    cp_status s = cp_scenario_parse((const char *)data, size, "fuzz.yaml", "/nonexistent", &sc);
    if (s == CP_OK) {
        /* a parsed scenario is complete: every documented invariant holds */
        if (!sc || sc->ninputs == 0 || !cp_scenario_input(sc, "hazards")) __builtin_trap();
        if (!(sc->grid.cell_size_m > 0)) __builtin_trap();
        if (!(sc->capacity.deadline > sc->capacity.start)) __builtin_trap();
        if (!(sc->capacity.days_per_year > 0 && sc->capacity.days_per_year <= 366))
            __builtin_trap();
        double wsum = 0;
        for (size_t k = 0; k < sc->ncriteria; ++k) {
            if (!(sc->criteria[k].weight >= 0)) __builtin_trap();
            wsum += sc->criteria[k].weight;
        }
        if (sc->ncriteria && !(wsum > 0)) __builtin_trap();
    } else {
        if (sc) __builtin_trap(); /* outputs are written only on success */
        const char *m = cp_errmsg();
        if (!m || !m[0]) __builtin_trap();
    }
    cp_scenario_free(sc);
    return 0;
}
