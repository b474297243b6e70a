/* Scenario parsing: valid files and their defaults, each kind of error with its message
 * (file, line, column, nearest key), dates. */
#include "cp_test.h"

#include <math.h>

#include <clearplan/clearplan.h>

static const char *full =
    "name: Northern provinces 2026\n"
    "grid:\n"
    "  crs: EPSG:32642\n"
    "  cell_size_m: 30\n"
    "inputs:\n"
    "  hazards:   {path: hazards.gpkg, layer: hazards, id: hazard_id, status: status, region: "
    "province}\n"
    "  population: {path: population.tif}\n"
    "  landcover: {path: landcover.tif}\n"
    "  treecover: {path: treecover.tif}\n"
    "  reports:   {path: reports.gpkg, date: reported_on, confidence: confidence}\n"
    "criteria:\n"
    "  - {name: people_nearby,   kind: focal_sum, input: population, radius_m: 1000, normalise: "
    "log, saturate: 2000, weight: 0.35}\n"
    "  - {name: settlements,     kind: distance,  input: population, source_min: 5, decay_m: "
    "2000,  weight: 0.10}\n"
    "  - {name: land_use,        kind: classes,   input: landcover, table: {40: 1.0, 50: 1.0, 30: "
    "0.6, 20: 0.4, 10: 0.3, 60: 0.2, 90: 0.2, 80: 0.0}, weight: 0.25}\n"
    "  - {name: open_land,       kind: linear,    input: treecover, range: [0, 100], invert: "
    "true, weight: 0.05}\n"
    "  - {name: improvised_mines, kind: density,  input: reports, bandwidth_m: 2000, "
    "half_life_days: 365, as_of: 2026-01-01, saturate: 0.5, weight: 0.25}\n"
    "cost:\n"
    "  productivity_m2_per_team_day: {default: 400, classes: {40: 500, 30: 450, 20: 350, 10: "
    "200, 50: 250, 60: 450}}\n"
    "  treecover_slowdown: 0.5\n"
    "  improvised_slowdown: 0.5\n"
    "  improvised_threshold: 0.1\n"
    "  release:\n"
    "    SHA: {cancel: 0.45, reduce: 0.25, clear: 0.30}\n"
    "    CHA: {cancel: 0.00, reduce: 0.20, clear: 0.80}\n"
    "  nts_m2_per_team_day: 40000\n"
    "  ts_m2_per_team_day: 2500\n"
    "  team_day_usd: 1500\n"
    "capacity:\n"
    "  start: 2026-01-01\n"
    "  deadline: 2028-03-01\n"
    "  teams: 40\n"
    "  days_per_year: 220\n"
    "  regions: {North: 25, East: 15}\n"
    "  package_team_days: 20\n"
    "outputs:\n"
    "  dir: out\n"
    "  criteria_maps: false\n";

static cp_scenario *parse_ok(const char *yaml) {
    cp_scenario *sc = NULL;
    cp_status s = cp_scenario_parse(yaml, strlen(yaml), "s.yaml", "/data", &sc);
    if (s != CP_OK) print_error("unexpected error: %s\n", cp_errmsg());
    assert_int_equal(s, CP_OK);
    assert_non_null(sc);
    return sc;
}

/* Parses, expects CP_E_CONFIG and a message containing each of the NULL-terminated needles. */
static void parse_fails(const char *yaml, ...) {
    cp_scenario *sc = NULL;
    cp_status s = cp_scenario_parse(yaml, strlen(yaml), "s.yaml", "/data", &sc);
    if (s == CP_OK) print_error("expected an error for:\n%s\n", yaml);
    assert_int_equal(s, CP_E_CONFIG);
    assert_null(sc);
    va_list ap;
    va_start(ap, yaml);
    const char *needle;
    while ((needle = va_arg(ap, const char *)) != NULL) cpt_assert_contains(cp_errmsg(), needle);
    va_end(ap);
}

static void test_scenario_full_example(void **state) {
    (void)state;
    cp_scenario *sc = parse_ok(full);
    assert_string_equal(sc->name, "Northern provinces 2026");
    assert_string_equal(sc->grid.crs, "EPSG:32642");
    assert_true(sc->grid.cell_size_m == 30);
    assert_int_equal(sc->ninputs, 5);
    const cp_input *hz = cp_scenario_input(sc, "hazards");
    assert_string_equal(hz->path, "/data/hazards.gpkg");
    assert_string_equal(hz->region, "province");
    assert_int_equal(cp_scenario_input(sc, "population")->resample, CP_RESAMPLE_SUM);
    assert_int_equal(cp_scenario_input(sc, "landcover")->resample, CP_RESAMPLE_MODE);
    assert_int_equal(sc->ncriteria, 5);
    assert_int_equal(sc->criteria[0].kind, CP_CRIT_FOCAL_SUM);
    assert_int_equal(sc->criteria[0].normalise, CP_NORM_LOG);
    assert_true(sc->criteria[1].max_m == 10000); /* default 5 x decay_m */
    assert_int_equal(sc->criteria[2].ntable, 8);
    assert_true(sc->criteria[3].invert);
    char d[11];
    assert_string_equal(cp_date_format(sc->criteria[4].as_of, d), "2026-01-01");
    assert_true(sc->cost.release[CP_STATUS_CHA][CP_METHOD_CLEAR] == 0.80);
    assert_int_equal(sc->cost.nproductivity, 6);
    assert_string_equal(cp_date_format(sc->capacity.deadline, d), "2028-03-01");
    assert_true(sc->capacity.teams == 40);
    assert_int_equal(sc->capacity.nregions, 2);
    assert_string_equal(sc->capacity.regions[1].name, "East");
    assert_string_equal(sc->outputs.dir, "/data/out");
    cp_scenario_free(sc);
}

static void test_scenario_defaults(void **state) {
    (void)state;
    cp_scenario *sc =
        parse_ok("inputs:\n  hazards: h.gpkg\n  population: p.tif\n  landcover: l.tif\n");
    assert_string_equal(sc->name, "clearplan scenario");
    assert_null(sc->grid.crs);
    assert_true(sc->grid.cell_size_m == 30);
    /* default criteria: those whose input is present (people_nearby, settlements, land_use) */
    assert_int_equal(sc->ncriteria, 3);
    assert_string_equal(sc->criteria[0].name, "people_nearby");
    assert_string_equal(sc->criteria[2].name, "land_use");
    assert_true(sc->cost.nts_m2_per_team_day == 40000);
    assert_true(sc->capacity.days_per_year == 220);
    assert_true(sc->capacity.package_team_days == 20);
    int y0, y1;
    cp_date_split(sc->capacity.start, &y0, NULL, NULL);
    cp_date_split(sc->capacity.deadline, &y1, NULL, NULL);
    assert_int_equal(y1 - y0, 10);
    assert_string_equal(cp_scenario_input(sc, "hazards")->id, "hazard_id");
    cp_scenario_free(sc);
}

static void test_scenario_unknown_key_suggests(void **state) {
    (void)state;
    parse_fails(
        "inputs:\n  hazards: h.gpkg\n  population: p.tif\ncriteria:\n"
        "  - {kind: focal_sum, radus_m: 500}\n",
        "s.yaml:5:", "unknown key 'radus_m'", "did you mean 'radius_m'", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ncapacity:\n  deadlin: 2030-01-01\n",
                "s.yaml:3:3:", "did you mean 'deadline'", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\nfoo: 1\n", "s.yaml:2:1:", "unknown key 'foo'",
                "expected one of", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, population: p.tif}\ncriteria:\n"
        "  - {kind: focal_sum, decay_m: 5}\n",
        "does not apply to a focal_sum criterion", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, population: p.tif}\ncriteria:\n"
        "  - {kind: focal_summ}\n",
        "did you mean 'focal_sum'", NULL);
}

static void test_scenario_malformed_yaml(void **state) {
    (void)state;
    parse_fails("inputs:\n  hazards: [a, b\n", "s.yaml:", "malformed YAML", NULL);
    parse_fails("inputs:\n\thazards: h.gpkg\n", "malformed YAML", NULL);
    parse_fails("", "empty", NULL);
}

/* Defect: 100,000 nested brackets took a minute; nesting is limited to 64 levels, with the
 * place of the first collection too deep. */
static void test_scenario_nesting_limit(void **state) {
    (void)state;
    size_t n = 100000;
    char *deep = malloc(n + 1);
    assert_non_null(deep);
    memset(deep, '[', n);
    deep[n] = '\0';
    parse_fails(deep, "s.yaml:1:65:", "nested deeper than 64 levels", NULL);
    free(deep);
    /* 64 levels are fine as far as nesting goes (the document is then wrong in kind) */
    char ok[200];
    snprintf(ok, sizeof ok, "inputs: {hazards: h.gpkg}\nname: %.*s%.*s\n", 62,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 62,
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    parse_fails(ok, "name must be", NULL);
}

/* Defect: a criterion name is a file name (criteria/<name>.tif with criteria_maps), so
 * `name: ../../treecover` overwrote an input. Names must be identifiers. */
static void test_scenario_criterion_names_are_identifiers(void **state) {
    (void)state;
    static const char *const bad[] = {"../../treecover", "a/b", "..", ".hidden", "x y", "1abc",
                                      "a\\\\b",          NULL};
    for (const char *const *b = bad; *b; ++b) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "inputs: {hazards: h.gpkg, treecover: t.tif}\ncriteria:\n"
                 "  - {name: \"%s\", kind: linear, input: treecover, range: [0, 100]}\n",
                 *b);
        parse_fails(yaml, "s.yaml:3:", "is not a name", NULL);
    }
    cp_scenario *sc = parse_ok(
        "inputs: {hazards: h.gpkg, treecover: t.tif}\ncriteria:\n"
        "  - {name: open_land-2, kind: linear, input: treecover, range: [0, 100]}\n");
    assert_string_equal(sc->criteria[0].name, "open_land-2");
    cp_scenario_free(sc);
}

/* Inputs have explicit roles; a name still gives its role, with a note naming the place. */
static void test_scenario_roles(void **state) {
    (void)state;
    cp_scenario *sc = parse_ok(
        "inputs:\n  hazards: h.gpkg\n  pop: {path: p.tif, role: population}\n"
        "  lc: {path: l.tif, role: landcover}\ncriteria:\n  - {kind: focal_sum}\n"
        "  - {kind: classes}\n");
    assert_string_equal(cp_scenario_role(sc, CP_ROLE_POPULATION)->name, "pop");
    assert_string_equal(cp_scenario_role(sc, CP_ROLE_LANDCOVER)->name, "lc");
    assert_null(cp_scenario_role(sc, CP_ROLE_TREECOVER));
    assert_string_equal(sc->criteria[0].input, "pop"); /* the kind's role */
    assert_string_equal(sc->criteria[1].input, "lc");
    assert_int_equal(cp_scenario_input(sc, "pop")->resample, CP_RESAMPLE_SUM); /* the role's */
    assert_int_equal(sc->nnotes, 0);
    cp_scenario_free(sc);
    /* by name: the role, and a note with the file, line and column */
    sc = parse_ok("inputs:\n  hazards: h.gpkg\n  landcover: {path: l.tif}\n");
    assert_int_equal(cp_scenario_input(sc, "landcover")->role, CP_ROLE_LANDCOVER);
    assert_int_equal(sc->nnotes, 1);
    cpt_assert_contains(sc->notes[0], "s.yaml:3:14: inputs.landcover has no role");
    cpt_assert_contains(sc->notes[0], "Add 'role: landcover'");
    cp_scenario_free(sc);
    /* an explicit role wins over a name, and `none` takes none */
    sc = parse_ok(
        "inputs:\n  hazards: h.gpkg\n  landcover: {path: old.tif}\n"
        "  wc2021: {path: new.tif, role: landcover}\n  treecover: {path: t.tif, role: none}\n");
    assert_string_equal(cp_scenario_role(sc, CP_ROLE_LANDCOVER)->name, "wc2021");
    assert_int_equal(cp_scenario_input(sc, "landcover")->role, CP_ROLE_NONE);
    assert_null(cp_scenario_role(sc, CP_ROLE_TREECOVER));
    assert_int_equal(sc->nnotes, 0);
    cp_scenario_free(sc);
    parse_fails(
        "inputs:\n  hazards: h.gpkg\n  a: {path: a.tif, role: landcover}\n"
        "  b: {path: b.tif, role: landcover}\n",
        "s.yaml:4:", "inputs.a and inputs.b both have role 'landcover'", NULL);
    parse_fails("inputs:\n  hazards: h.gpkg\n  a: {path: a.tif, role: forest}\n", "s.yaml:3:",
                "role must be one of population, landcover, treecover, reports or none", NULL);
    parse_fails("inputs:\n  hazards: h.gpkg\n  a: {path: a.tif}\ncriteria:\n  - {kind: classes}\n",
                "s.yaml:5:", "no input given, and no input has role 'landcover'", NULL);
}

/* A kind added through its descriptor alone (slope): its keys, defaults and errors. */
static void test_scenario_slope_kind(void **state) {
    (void)state;
    cp_scenario *sc = parse_ok(
        "inputs: {hazards: h.gpkg, dem: {path: d.tif, type: raster}}\n"
        "criteria:\n  - {kind: slope, input: dem}\n"
        "  - {name: steep, kind: slope, input: dem, range: [5, 45], "
        "invert: false}\n");
    assert_string_equal(sc->criteria[0].name, "slope");
    assert_true(sc->criteria[0].range_lo == 0 && sc->criteria[0].range_hi == 30);
    assert_int_equal(sc->criteria[0].invert, 1);
    assert_true(sc->criteria[1].range_lo == 5 && sc->criteria[1].range_hi == 45);
    assert_int_equal(sc->criteria[1].invert, 0);
    cp_scenario_free(sc);
    parse_fails("inputs: {hazards: h.gpkg, dem: d.tif}\ncriteria:\n  - {kind: slope}\n",
                "s.yaml:3:", "a slope criterion needs an 'input'", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, dem: d.tif}\ncriteria:\n"
        "  - {kind: slope, input: dem, radius_m: 100}\n",
        "s.yaml:3:", "key 'radius_m' does not apply to a slope criterion", NULL);
    parse_fails("inputs: {hazards: h.gpkg, dem: d.tif}\ncriteria:\n  - {kind: slop}\n",
                "unknown kind 'slop'; did you mean 'slope'?", NULL);
}

/* The limits of the kinds and of the cost model are errors with their place, not silent
 * truncations at the first strip. */
static void test_scenario_limits(void **state) {
    (void)state;
    char *yaml = malloc(20000);
    assert_non_null(yaml);
    int n = snprintf(yaml, 20000,
                     "inputs: {hazards: h.gpkg, lc: {path: l.tif, role: landcover}}\n"
                     "criteria:\n");
    for (int i = 0; i < 65; ++i)
        n += snprintf(yaml + n, 20000 - (size_t)n, "  - {name: c%d, kind: classes}\n", i);
    parse_fails(yaml, "s.yaml:3:", "criteria lists 65 criteria; at most 64", NULL);
    n = snprintf(yaml, 20000,
                 "inputs: {hazards: h.gpkg, lc: {path: l.tif, role: landcover}}\n"
                 "criteria:\n  - kind: classes\n    table: {");
    for (int i = 0; i < 257; ++i)
        n += snprintf(yaml + n, 20000 - (size_t)n, "%s%d: 0.5", i ? ", " : "", i);
    snprintf(yaml + n, 20000 - (size_t)n, "}\n");
    parse_fails(yaml, "s.yaml:4:", "lists 257 classes; at most 256", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg}\n"
        "cost: {productivity_m2_per_team_day: {classes: {300: 400}}}\n",
        "s.yaml:2:", "class 300 is not a land-cover code 0..255", NULL);
    n = snprintf(yaml, 20000,
                 "inputs: {hazards: h.gpkg}\ncost: {productivity_m2_per_team_day: "
                 "{classes: {");
    for (int i = 0; i < 22; ++i)
        n += snprintf(yaml + n, 20000 - (size_t)n, "%s%d: 400", i ? ", " : "", 200 + i);
    snprintf(yaml + n, 20000 - (size_t)n, "}}}\n");
    parse_fails(yaml, "s.yaml:2:", "names 22 classes besides WorldCover's 11; at most 21", NULL);
    free(yaml);
}

static void test_scenario_wrong_types(void **state) {
    (void)state;
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: {cell_size_m: thirty}\n",
                "s.yaml:2:", "grid.cell_size_m must be a number, got 'thirty'", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: {cell_size_m: \"30\"}\n", "must be a number",
                NULL);
    /* numbers a double cannot hold (subnormal, too large) said so; inf and nan are no numbers */
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: {cell_size_m: 1e-320}\n",
                "s.yaml:2:21: grid.cell_size_m: '1e-320' is out of range (a number's size must "
                "lie between 2.2e-308 and 1.8e308, or be 0)",
                NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: {cell_size_m: -1e400}\n",
                "grid.cell_size_m: '-1e400' is out of range", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: {cell_size_m: inf}\n",
                "grid.cell_size_m must be a number, got 'inf'", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: [1, 2]\n", "grid must be a mapping", NULL);
    parse_fails("inputs: {hazards: h.gpkg, population: p.tif}\noutputs: {criteria_maps: maybe}\n",
                "must be true or false", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ncapacity: {start: 2026-02-30}\n",
                "must be a date YYYY-MM-DD, got '2026-02-30'", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ncapacity: {start: 2026-01-01, deadline: 9999-12-31}\n",
                "s.yaml:2:41: capacity.deadline 9999-12-31 is 7973 years after capacity.start "
                "2026-01-01; a plan spans at most 100 years",
                NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, population: p.tif}\ncriteria:\n"
        "  - {kind: focal_sum, weight: -1}\n",
        "weight must be at least 0", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: {crs: EPSG:4326}\n",
                "not a projected CRS in metres", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\ngrid: {crs: NOT:ACRS}\n", "unknown coordinate", NULL);
}

static void test_scenario_missing_and_inconsistent(void **state) {
    (void)state;
    parse_fails("name: x\n", "missing 'inputs'", NULL);
    parse_fails("inputs: {population: p.tif}\n", "inputs needs 'hazards'", NULL);
    parse_fails("inputs: {hazards: h.gpkg}\n", "no criteria", NULL);
    parse_fails("inputs: {hazards: {layer: x}}\n", "needs a 'path'", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, population: p.tif}\ncriteria:\n"
        "  - {kind: classes, input: landcover}\n",
        "input 'landcover' is not listed", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, population: p.tif}\ncriteria:\n"
        "  - {kind: focal_sum, weight: 0}\n",
        "weights sum to 0", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, population: p.tif}\ncriteria:\n"
        "  - {kind: focal_sum, name: a}\n  - {kind: distance, name: a}\n",
        "two criteria are named 'a'", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, population: p.tif}\ncriteria:\n"
        "  - {kind: linear, input: population, range: [5, 1]}\n",
        "lo < hi", NULL);
}

static void test_scenario_capacity_errors(void **state) {
    (void)state;
    const char *base = "inputs: {hazards: {path: h.gpkg, region: prov}, population: p.tif}\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%scapacity: {teams: 0}\n", base);
    parse_fails(buf, "capacity.teams must be greater than 0", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {start: 2026-01-01, deadline: 2025-01-01}\n", base);
    parse_fails(buf, "capacity.deadline 2025-01-01 is before capacity.start 2026-01-01", NULL);
    snprintf(buf, sizeof buf, "%s---\ncapacity: {teams: 3}\n", base);
    parse_fails(buf, "a second YAML document; a scenario is one document", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {days_per_year: -5}\n", base);
    parse_fails(buf, "days_per_year must be at least 1, got -5", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {days_per_year: 0.001}\n", base);
    parse_fails(buf, "days_per_year must be at least 1, got 0.001", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {package_team_days: 0.0001}\n", base);
    parse_fails(buf, "package_team_days must be at least 1, got 0.0001", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {teams: 40, regions: {A: 10, B: 20}}\n", base);
    parse_fails(buf, "contradicts capacity.regions", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {teams: {2026: 0, 2027: 0}}\n", base);
    parse_fails(buf, "zero capacity", NULL);
    snprintf(buf, sizeof buf, "%scost: {release: {SHA: {cancel: 0.5, reduce: 0.5, clear: 0.5}}}\n",
             base);
    parse_fails(buf, "must sum to 1, got 1.5", NULL);
    parse_fails("inputs: {hazards: h.gpkg, population: p.tif}\ncapacity: {regions: {A: 1}}\n",
                "needs inputs.hazards.region", NULL);
}

/* Team types, counts per region, type and year, redeployment and the yearly budget. */
static void test_scenario_team_types_and_budget(void **state) {
    (void)state;
    cp_scenario *sc = parse_ok(
        "inputs: {hazards: {path: h.gpkg, region: prov}, population: p.tif}\n"
        "cost: {productivity_m2_per_team_day: {default: 300, classes: {40: 500}}}\n"
        "capacity:\n"
        "  start: 2026-01-01\n"
        "  deadline: 2026-01-01\n"
        "  types:\n"
        "    survey: {stages: [nts, ts], nts_m2_per_team_day: 30000, team_day_usd: 900}\n"
        "    mechanical: {stages: [ts, clearance], team_day_usd: 4000,\n"
        "                 productivity_m2_per_team_day: {default: 2000, classes: {10: 300}}}\n"
        "  regions:\n"
        "    North: {survey: 2, mechanical: {2026: 1, 2028: 3}}\n"
        "    East: {survey: 0}\n"
        "  redeploy: false\n"
        "  mobilisation_days: 45\n"
        "  budget_usd: {2026: 4000000, 2027: 0}\n");
    const cp_capacity *cap = &sc->capacity;
    assert_int_equal(cap->deadline, cap->start); /* a deadline on the start day */
    assert_int_equal(cap->ntypes, 2);
    assert_string_equal(cap->types[1].name, "mechanical");
    assert_true(cap->types[0].stages[0] && cap->types[0].stages[1] && !cap->types[0].stages[2]);
    assert_true(cap->types[0].nts_m2_per_team_day == 30000);
    assert_true(isnan(cap->types[0].ts_m2_per_team_day));
    assert_true(cap->types[1].productivity_default_m2 == 2000);
    assert_int_equal(cap->types[1].nproductivity, 1);
    assert_true(cap->types[1].team_day_usd == 4000);
    assert_int_equal(cap->nregions, 2);
    assert_int_equal(cap->ncounts, 3);
    assert_int_equal(cap->counts[1].region, 0);
    assert_int_equal(cap->counts[1].type, 1);
    assert_int_equal(cap->counts[1].nper_year, 2);
    assert_true(cap->counts[1].per_year[1].teams == 3);
    assert_int_equal(cap->counts[2].region, 1);
    assert_false(cap->redeploy);
    assert_true(cap->mobilisation_days == 45);
    assert_int_equal(cap->nbudget_per_year, 2);
    assert_true(cap->budget_per_year[0].usd == 4e6);
    cp_scenario_free(sc);
    sc = parse_ok(
        "inputs: {hazards: h.gpkg, population: p.tif}\n"
        "capacity: {types: {t: {stages: [clearance]}}, teams: {t: 4}, budget_usd: 2e6}\n");
    assert_int_equal(sc->capacity.ncounts, 1);
    assert_int_equal(sc->capacity.counts[0].region, -1);
    assert_true(sc->capacity.counts[0].teams == 4);
    assert_true(sc->capacity.budget_usd == 2e6);
    assert_true(sc->capacity.redeploy); /* the default */
    cp_scenario_free(sc);
    const char *base = "inputs: {hazards: {path: h.gpkg, region: prov}, population: p.tif}\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%scapacity: {types: {t: {stages: [mow]}}, teams: {t: 1}}\n", base);
    parse_fails(buf, "capacity.types.t.stages: 'mow' is not nts, ts or clearance", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {types: {t: {stages: [ts]}}, teams: {u: 1}}\n", base);
    parse_fails(buf, "unknown key 'u' in capacity.teams", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {types: {t: {stages: [ts]}}, teams: 3}\n", base);
    parse_fails(buf, "capacity.teams must be a mapping {team type: teams}", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {regions: {A: 1.5}}\n", base);
    parse_fails(buf, "capacity.regions.A must be a whole number of teams, got 1.5", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {teams: 1e12}\n", base);
    parse_fails(buf, "capacity.teams must be at most 1000000 teams, got 1e+12", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {regions: {A: {2026: 2147483647}}}\n", base);
    parse_fails(buf, "capacity.regions.A[2026] must be at most 1000000 teams", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {regions: {A: {2026: 2, 2025: 1}}}\n", base);
    parse_fails(buf, "years must increase", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {teams: 4, regions: {A: {2026: 2}}}\n", base);
    parse_fails(buf, "give the teams in capacity.regions", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {budget_usd: 0}\n", base);
    parse_fails(buf, "capacity.budget_usd must be greater than 0", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {mobilisation_days: -1}\n", base);
    parse_fails(buf, "capacity.mobilisation_days must be at least 0", NULL);
    snprintf(buf, sizeof buf, "%scapacity: {regions: {A: 0, B: 0}}\n", base);
    parse_fails(buf, "zero capacity", NULL);
}

static void test_scenario_per_year_and_rules(void **state) {
    (void)state;
    cp_scenario *sc = parse_ok(
        "inputs: {hazards: h.gpkg, population: p.tif}\n"
        "capacity: {start: 2026-01-01, teams: {2026: 40, 2027: 55, 2029: 60}}\n"
        "plan: {locked: [H-1, H-2], exclude: {H-9: access denied}}\n");
    assert_true(cp_capacity_teams(&sc->capacity, 2025) == 40);
    assert_true(cp_capacity_teams(&sc->capacity, 2026) == 40);
    assert_true(cp_capacity_teams(&sc->capacity, 2028) == 55);
    assert_true(cp_capacity_teams(&sc->capacity, 2035) == 60);
    assert_int_equal(sc->rules.nlocked, 2);
    assert_string_equal(sc->rules.locked[1], "H-2");
    assert_int_equal(sc->rules.nexclude, 1);
    assert_string_equal(sc->rules.exclude[0].reason, "access denied");
    cp_scenario_free(sc);
}

/* The uncertainty section: three-point ranges in their three spellings, their defaults (the
 * plan's values as the likely ones), and each error with its line and column. */
static void test_scenario_uncertainty(void **state) {
    (void)state;
    const char *base =
        "inputs: {hazards: {path: h.gpkg, region: prov}, population: p.tif, landcover: l.tif}\n"
        "capacity:\n  types: {survey: {stages: [nts, ts]}, manual: {stages: [clearance]}}\n"
        "  regions: {A: {survey: 1, manual: 2}}\n";
    char buf[2048];
    snprintf(buf, sizeof buf,
             "%suncertainty:\n  samples: 300\n  seed: 42\n  distribution: triangular\n"
             "  productivity: {default: [0.7, 1.3], classes: {10: [0.5, 0.9, 1.1]}}\n"
             "  types: {manual: {min: 0.8, max: 1.1}}\n  nts: 1.0\n"
             "  release: {SHA: {cancel: [0.3, 0.6]}}\n  availability: [0.8, 1]\n"
             "  weights: {people_nearby: [0.2, 0.5]}\n",
             base);
    cp_scenario *sc = parse_ok(buf);
    const cp_uncertainty *u = &sc->uncertainty;
    assert_true(u->given);
    assert_int_equal(u->samples, 300);
    assert_int_equal(u->seed, 42);
    assert_int_equal(u->distribution, 1);
    assert_true(u->productivity.given && u->productivity.min == 0.7 &&
                u->productivity.likely == 1 && u->productivity.max == 1.3);
    assert_int_equal(u->nclasses, 1);
    assert_int_equal(u->classes[0].code, 10);
    assert_true(u->classes[0].range.likely == 0.9);
    assert_int_equal(u->ntypes, 1);
    assert_string_equal(u->types[0].name, "manual");
    assert_true(u->types[0].range.min == 0.8 && u->types[0].range.likely == 1);
    assert_true(u->nts.given && u->nts.min == 1 && u->nts.max == 1);
    assert_true(u->release[CP_STATUS_SHA][CP_METHOD_CANCEL].likely == 0.45); /* the cost's */
    assert_false(u->release[CP_STATUS_SHA][CP_METHOD_CLEAR].given);
    assert_true(u->availability.min == 0.8 && u->availability.likely == 1);
    assert_int_equal(u->nweights, 1);
    assert_true(u->weights[0].range.likely == 0.35); /* the criterion's weight */
    cp_scenario_free(sc);
    /* defaults: no section, no samples, seed 1 */
    sc = parse_ok(base);
    assert_false(sc->uncertainty.given);
    assert_int_equal(sc->uncertainty.samples, 0);
    assert_int_equal(sc->uncertainty.seed, 1);
    cp_scenario_free(sc);
    snprintf(buf, sizeof buf, "%suncertainty:\n  productivity: [1.3, 0.7]\n", base);
    parse_fails(buf, "s.yaml:6:17:", "does not hold the plan's value 1", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  productivity: [0.5, 1.4, 1.2]\n", base);
    parse_fails(buf, "s.yaml:6:17:", "min <= likely <= max", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  availability: [0.8, 1.2]\n", base);
    parse_fails(buf, "s.yaml:6:23:", "uncertainty.availability must be between", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  release: {SHA: {cancel: [0.5, 0.6]}}\n", base);
    parse_fails(buf, "uncertainty.release.SHA.cancel", "the plan's value 0.45", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  weights: {peple_nearby: [0.2, 0.5]}\n", base);
    parse_fails(buf, "s.yaml:6:13:", "did you mean 'people_nearby'", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  types: {dogs: [0.5, 1.5]}\n", base);
    parse_fails(buf, "unknown key 'dogs' in uncertainty.types", NULL);
    snprintf(buf, sizeof buf,
             "%suncertainty:\n  weights: {land_use: [0.1, 0.3]}\n  weight_concentration: 40\n",
             base);
    parse_fails(buf, "s.yaml:7:25:", "not both", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  distribution: lognormal\n", base);
    parse_fails(buf, "pert or triangular, got 'lognormal'", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  sample: 10\n", base);
    parse_fails(buf, "did you mean 'samples'", NULL);
    snprintf(buf, sizeof buf, "%suncertainty:\n  nts: [0.5, 0.7, 0.9, 1.0]\n", base);
    parse_fails(buf, "[min, max] or [min, likely, max], got 4 numbers", NULL);
    parse_fails(
        "inputs: {hazards: h.gpkg, landcover: l.tif}\nuncertainty: {types: {a: [0.5, 1.5]}}\n",
        "uncertainty.types needs capacity.types", NULL);
}

/* The contamination section: its defaults and errors. */
static void test_scenario_contamination(void **state) {
    (void)state;
    const char *base = "inputs: {hazards: h.gpkg, landcover: l.tif, reports: {path: r.gpkg}}\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%scontamination: {fit_years: 4, reserve: p90}\n", base);
    cp_scenario *sc = parse_ok(buf);
    const cp_contamination_spec *k = &sc->contamination;
    assert_true(k->given);
    assert_string_equal(k->input, "reports");
    assert_int_equal(k->fit_years, 4);
    assert_true(isnan(k->area_per_report_m2));
    assert_true(k->link_m == 1000);
    assert_int_equal(k->reserve, 2);
    assert_int_equal(k->samples, 2000);
    cp_scenario_free(sc);
    snprintf(buf, sizeof buf, "%scontamination: {reserve: p75}\n", base);
    parse_fails(buf, "s.yaml:2:26:", "p10, p50, p90 or none, got 'p75'", NULL);
    snprintf(buf, sizeof buf, "%scontamination: {fit_years: 0}\n", base);
    parse_fails(buf, "contamination.fit_years must be from 1 to 100", NULL);
    snprintf(buf, sizeof buf, "%scontamination: {reports: landcover}\n", base);
    parse_fails(buf, "s.yaml:2:26:", "inputs.landcover must be a vector layer of dated reports",
                NULL);
    snprintf(buf, sizeof buf, "%scontamination: {lnk_m: 5}\n", base);
    parse_fails(buf, "did you mean 'link_m'", NULL);
    parse_fails("inputs: {hazards: h.gpkg, landcover: l.tif}\ncontamination: {}\n",
                "inputs.reports must be a vector layer of dated reports", NULL);
}

/* cost.profile: a cost profile's figures, the scenario's keys beside it overriding them, its
 * provenance kept; its errors name the profile file. */
static void test_scenario_cost_profile(void **state) {
    (void)state;
    char d[4096], p[4200], buf[1024];
    cpt_tmpdir("scenario_profile", d, sizeof d);
    snprintf(p, sizeof p, "%s/profile.yaml", d);
    cpt_write(p,
              "provenance:\n  records: tasks.gpkg\n  records_fnv1a64: \"0123456789abcdef\"\n"
              "  fitted_on: 2026-11-30\nfit:\n  records_used: 212\n  cv_median_abs_error: "
              "0.083\n  parameters: {productivity_40: {estimate: 540}}\ncost:\n"
              "  productivity_m2_per_team_day: {default: 415, classes: {40: 540, 10: 225}}\n"
              "  treecover_slowdown: 0.33\n  team_day_usd: 1600\n");
    snprintf(buf, sizeof buf,
             "inputs: {hazards: h.gpkg, landcover: l.tif}\ncost: {profile: profile.yaml, "
             "team_day_usd: 1700}\n");
    cp_scenario *sc = NULL;
    cp_status st = cp_scenario_parse(buf, strlen(buf), "s.yaml", d, &sc);
    if (st) print_error("%s\n", cp_errmsg());
    assert_int_equal(st, CP_OK);
    assert_true(sc->cost.productivity_default_m2 == 415);
    assert_int_equal(sc->cost.nproductivity, 2);
    assert_true(sc->cost.treecover_slowdown == 0.33);
    assert_true(sc->cost.team_day_usd == 1700);         /* the scenario's */
    assert_true(sc->cost.nts_m2_per_team_day == 40000); /* the default: the profile has none */
    assert_string_equal(sc->cost_profile.records, "tasks.gpkg");
    assert_string_equal(sc->cost_profile.records_fnv1a64, "0123456789abcdef");
    assert_int_equal(sc->cost_profile.records_used, 212);
    assert_true(fabs(sc->cost_profile.cv_median_abs_error - 0.083) < 1e-12);
    cp_scenario_free(sc);
    cpt_write(p, "cost:\n  treecover_slowdow: 0.3\n");
    st = cp_scenario_parse(buf, strlen(buf), "s.yaml", d, &sc);
    assert_int_equal(st, CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "profile.yaml:2:3: unknown key 'treecover_slowdow' in cost");
    cpt_write(p, "cost: {profile: other.yaml}\n");
    st = cp_scenario_parse(buf, strlen(buf), "s.yaml", d, &sc);
    assert_int_equal(st, CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "cannot include another");
    cpt_write(p, "provenance: {}\n");
    st = cp_scenario_parse(buf, strlen(buf), "s.yaml", d, &sc);
    cpt_assert_contains(cp_errmsg(), "a cost profile needs a 'cost' section");
    /* nesting: the scenario's limit (100,000 brackets took libyaml a minute) */
    {
        enum { N = 100000 };
        char *deep = malloc(2 * N + 64);
        assert_non_null(deep);
        char *q = deep + sprintf(deep, "provenance: ");
        memset(q, '[', N), q += N;
        memset(q, ']', N), q += N;
        strcpy(q, "\ncost: {team_day_usd: 1500}\n");
        cpt_write(p, deep);
        free(deep);
        st = cp_scenario_parse(buf, strlen(buf), "s.yaml", d, &sc);
        assert_int_equal(st, CP_E_CONFIG);
        cpt_assert_contains(cp_errmsg(), "profile.yaml:1:76: nested deeper than 64 levels");
    }
    snprintf(buf, sizeof buf,
             "inputs: {hazards: h.gpkg, landcover: l.tif}\ncost: {profile: none.yaml}\n");
    st = cp_scenario_parse(buf, strlen(buf), "s.yaml", d, &sc);
    assert_int_equal(st, CP_E_CONFIG);
    cpt_assert_contains(cp_errmsg(), "s.yaml:2:17: cannot read the cost profile: cannot open");
    cpt_rmtree(d);
}

static void test_scenario_load_file_errors(void **state) {
    (void)state;
    cp_scenario *sc = NULL;
    assert_int_equal(cp_scenario_load("/nonexistent/scenario.yaml", &sc), CP_E_IO);
    cpt_assert_contains(cp_errmsg(), "cannot open </nonexistent/scenario.yaml>");
    char dir[1024], path[1100];
    cpt_tmpdir("scenario_load", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    cpt_write(path, "inputs:\n  hazards: sub/h.gpkg\n  population: /abs/p.tif\n");
    assert_int_equal(cp_scenario_load(path, &sc), CP_OK);
    char expect[1200];
    snprintf(expect, sizeof expect, "%s/sub/h.gpkg", dir);
    assert_string_equal(cp_scenario_input(sc, "hazards")->path, expect);
    assert_string_equal(cp_scenario_input(sc, "population")->path, "/abs/p.tif");
    cp_scenario_free(sc);
    cp_scenario_free(NULL); /* no-op */
    cpt_rmtree(dir);
}

static void test_dates(void **state) {
    (void)state;
    cp_date d;
    char buf[11];
    assert_true(cp_date_parse("1970-01-01", &d));
    assert_int_equal(d, 0);
    assert_true(cp_date_parse("2028-02-29", &d));
    assert_string_equal(cp_date_format(d, buf), "2028-02-29");
    assert_false(cp_date_parse("2027-02-29", &d));
    assert_false(cp_date_parse("2026-13-01", &d));
    assert_false(cp_date_parse("2026-1-01", &d));
    assert_false(cp_date_parse("2026-01-01x", &d));
    assert_false(cp_date_parse("-001-01-01", &d)); /* signs and blanks are not digits */
    assert_false(cp_date_parse("+026-01-01", &d));
    assert_false(cp_date_parse(" 026-01-01", &d));
    /* past what YYYY-MM-DD can say */
    assert_string_equal(cp_date_format(cp_date_make(10003, 10, 2), buf), "after 9999");
    assert_string_equal(cp_date_format(cp_date_make(9999, 12, 31), buf), "9999-12-31");
    /* round trip over 400 years */
    for (cp_date x = -20000; x < 130000; x += 37) {
        int y, m, dd;
        cp_date_split(x, &y, &m, &dd);
        assert_int_equal(cp_date_make(y, m, dd), x);
    }
    assert_int_equal(cp_date_make(2026, 1, 1) - cp_date_make(2025, 1, 1), 365);
}

int main(void) {
    cp_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_full_example),
        cmocka_unit_test(test_scenario_defaults),
        cmocka_unit_test(test_scenario_unknown_key_suggests),
        cmocka_unit_test(test_scenario_malformed_yaml),
        cmocka_unit_test(test_scenario_wrong_types),
        cmocka_unit_test(test_scenario_nesting_limit),
        cmocka_unit_test(test_scenario_roles),
        cmocka_unit_test(test_scenario_limits),
        cmocka_unit_test(test_scenario_slope_kind),
        cmocka_unit_test(test_scenario_criterion_names_are_identifiers),
        cmocka_unit_test(test_scenario_missing_and_inconsistent),
        cmocka_unit_test(test_scenario_capacity_errors),
        cmocka_unit_test(test_scenario_team_types_and_budget),
        cmocka_unit_test(test_scenario_per_year_and_rules),
        cmocka_unit_test(test_scenario_uncertainty),
        cmocka_unit_test(test_scenario_contamination),
        cmocka_unit_test(test_scenario_cost_profile),
        cmocka_unit_test(test_scenario_load_file_errors),
        cmocka_unit_test(test_dates),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cp_shutdown();
    return rc;
}
