/* clearplan — the scenario: one YAML file describing grid, inputs, criteria, cost model,
 * capacity, plan rules and outputs (DESIGN §4). Every default is set in one place in
 * scenario.c and documented in docs/scenario.md.
 *
 * A loaded scenario is plain data: read its fields directly, never modify them. */
#ifndef CLEARPLAN_SCENARIO_H
#define CLEARPLAN_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dates: whole days since 1970-01-01 (proleptic Gregorian, UTC) ---- */
typedef int32_t cp_date;

/* Parses "YYYY-MM-DD" (a real calendar date, ten characters, digits and two dashes). Returns 1
 * on success, 0 otherwise. */
CP_API int cp_date_parse(const char *s, cp_date *out);
/* Writes "YYYY-MM-DD" into buf (at least 11 bytes), "after 9999" for a later date. Returns
 * buf. */
CP_API char *cp_date_format(cp_date d, char *buf);
/* Splits a date into its calendar parts. */
CP_API void cp_date_split(cp_date d, int *year, int *month, int *day);
/* The date of year-month-day (month 1..12, day 1..31; out-of-range days roll over). */
CP_API cp_date cp_date_make(int year, int month, int day);

/* ---- inputs ---- */
typedef enum { CP_INPUT_AUTO = 0, CP_INPUT_RASTER, CP_INPUT_VECTOR } cp_input_type;

typedef enum {
    CP_RESAMPLE_DEFAULT = 0, /* sum for population, mode for landcover, average otherwise */
    CP_RESAMPLE_NEAREST,
    CP_RESAMPLE_BILINEAR,
    CP_RESAMPLE_AVERAGE,
    CP_RESAMPLE_MODE,
    CP_RESAMPLE_SUM
} cp_resample;

/* What the cost model and the hazard metrics read an input as (inputs.X.role). A role is
 * given explicitly; an input without one whose name is a role's ("landcover") still takes it,
 * with a note asking to write the role (names select roles only until clearplan 0.3). */
typedef enum {
    CP_ROLE_NONE = 0,   /* read by criteria only */
    CP_ROLE_POPULATION, /* people per cell: people within the focal radius of each hazard */
    CP_ROLE_LANDCOVER,  /* land-cover classes: the class mix and clearance productivity */
    CP_ROLE_TREECOVER,  /* percent tree cover: the mean and the clearance slowdown */
    CP_ROLE_REPORTS,    /* improvised-mine reports: their density and the slowdown */
    CP_NROLES
} cp_input_role;

/* The role's name as written in a scenario ("landcover"); "none" for CP_ROLE_NONE. */
CP_API const char *cp_role_name(cp_input_role role);

typedef struct {
    char *name; /* key under inputs: hazards, population, landcover, treecover, reports, ... */
    cp_input_role role;
    int role_by_name; /* the role comes from the name (a note says so), not from `role:` */
    char *path;       /* resolved against the scenario file's folder */
    cp_input_type type;
    char *layer; /* vector layer; NULL = the first layer */
    int band;    /* raster band, 1-based (default 1) */
    cp_resample resample;
    char *assume_crs; /* CRS to assume when the file has none (NULL = none: error) */
    /* attribute fields of vector inputs (NULL = not present) */
    char *id;         /* hazards: hazard_id */
    char *status;     /* hazards: status (SHA / CHA) */
    char *region;     /* hazards: region (province) */
    char *locked;     /* hazards: field whose value "first" locks the hazard first */
    char *date;       /* reports: date of the report */
    char *confidence; /* reports: confidence 0..1 */
    char *weight;     /* points: a weight field */
    int line, column; /* where it was defined in the scenario (1-based) */
} cp_input;

/* ---- criteria ---- */
typedef enum {
    CP_CRIT_FOCAL_SUM,
    CP_CRIT_DISTANCE,
    CP_CRIT_CLASSES,
    CP_CRIT_LINEAR,
    CP_CRIT_DENSITY
    /* A kind is its place in the table of kind descriptors (engine/src/criteria.c); kinds
     * added after these five need no name here. */
} cp_criterion_kind;

typedef enum { CP_NORM_LINEAR, CP_NORM_LOG } cp_normalise;

typedef struct {
    int code;
    double value;
} cp_class_value;

typedef struct {
    char *name;
    cp_criterion_kind kind;
    char *input; /* name of an entry of inputs */
    double weight;
    /* focal_sum */
    double radius_m;
    cp_normalise normalise;
    double saturate; /* focal_sum: people at which s = 1; density: reports per km2 at s = 1 */
    /* distance */
    double source_min; /* raster cells >= source_min are sources */
    double decay_m;
    double max_m;
    /* classes */
    cp_class_value *table;
    size_t ntable;
    double default_value;
    /* linear */
    double range_lo, range_hi;
    int invert;
    /* density */
    double bandwidth_m;
    double half_life_days;
    cp_date as_of;
    /* settings of kinds added after the five above, named by their descriptor's keys */
    double params[8];
    int line, column;
} cp_criterion;

/* ---- cost model (DESIGN §8) ---- */
enum { CP_STATUS_SHA = 0, CP_STATUS_CHA = 1, CP_NSTATUS = 2 };
enum { CP_METHOD_CANCEL = 0, CP_METHOD_REDUCE = 1, CP_METHOD_CLEAR = 2, CP_NMETHOD = 3 };

typedef struct {
    double productivity_default_m2; /* clearance m2 per team-day where no class matches */
    cp_class_value *productivity;   /* per land-cover class, m2 per team-day */
    size_t nproductivity;
    double treecover_slowdown;
    double improvised_slowdown;
    double improvised_threshold;
    double release[CP_NSTATUS][CP_NMETHOD]; /* shares of area by method; rows sum to 1 */
    double nts_m2_per_team_day;
    double ts_m2_per_team_day;
    double team_day_usd;
} cp_cost;

/* A cost profile the cost section includes (cost.profile, written by clearplan calibrate):
 * where its figures come from. */
typedef struct {
    char *path; /* NULL: none */
    char *records, *records_fnv1a64, *fitted_on;
    int records_used;
    double cv_median_abs_error;
} cp_cost_profile;

/* ---- capacity (DESIGN §9) ---- */
typedef struct {
    int year;
    double teams;
} cp_year_teams;

typedef struct {
    char *name;
    double teams; /* constant teams of the region (0 when its counts are per year or type) */
} cp_region_teams;

/* A kind of team (survey, manual, mechanical, dog). Without capacity.types there is one kind
 * that works every stage at the cost section's productivities. */
typedef struct {
    char *name;
    int stages[CP_NMETHOD];         /* non-zero: works that stage (cancel = non-technical
                                       survey, reduce = technical survey, clear = clearance) */
    double nts_m2_per_team_day;     /* NAN: cost.nts_m2_per_team_day */
    double ts_m2_per_team_day;      /* NAN: cost.ts_m2_per_team_day */
    double productivity_default_m2; /* clearance; NAN: the cost section's table */
    cp_class_value *productivity;   /* per land-cover class (with productivity_default_m2) */
    size_t nproductivity;
    double team_day_usd; /* NAN: cost.team_day_usd */
} cp_team_type;

/* Whole teams of one type in one region: a constant or per year (a year not listed takes
 * the latest listed year before it, the first listed one before them all). */
typedef struct {
    int region; /* index into regions, -1 without regions */
    int type;   /* index into types, 0 without types */
    double teams;
    cp_year_teams *per_year;
    size_t nper_year;
} cp_team_count;

typedef struct {
    int year;
    double usd;
} cp_year_usd;

typedef struct {
    int year;
    double share; /* in [0, 1) */
} cp_year_share;

typedef struct {
    cp_date start;
    cp_date deadline;        /* on or after start */
    double teams;            /* constant teams (with per_year: the last listed year's) */
    cp_year_teams *per_year; /* optional, sorted; a year not listed takes the latest listed
                                year before it (the first listed one before them all) */
    size_t nper_year;
    double days_per_year;
    cp_region_teams *regions; /* optional: teams bound to regions */
    size_t nregions;
    double package_team_days;
    /* Team types and counts per (region, type): when `counts` is given it replaces teams,
     * per_year and the regions' teams. */
    cp_team_type *types;
    size_t ntypes;
    cp_team_count *counts;
    size_t ncounts;
    int redeploy;                 /* teams of a region without work left move to another */
    double mobilisation_days;     /* calendar days a move takes */
    double budget_usd;            /* yearly funding ceiling; NAN = none */
    cp_year_usd *budget_per_year; /* optional, sorted, like per_year */
    size_t nbudget_per_year;
    /* Share of every team's working days set aside in a calendar year (for new contamination,
       DESIGN §16): the plan's work gets the rest. A year not listed: none. Set by the run from
       its projection, not by the scenario. */
    const cp_year_share *reserve;
    size_t nreserve;
} cp_capacity;

/* ---- plan rules ---- */
typedef struct {
    char *id;
    char *reason;
} cp_exclusion;

typedef struct {
    char **locked; /* hazard ids planned first, in this order */
    size_t nlocked;
    cp_exclusion *exclude;
    size_t nexclude;
} cp_plan_rules;

/* ---- uncertainty (DESIGN §16; docs/scenario.md, "uncertainty") ---- */

/* A three-point estimate: min <= likely <= max. `likely` is the value the deterministic plan
 * uses (1 for factors, the cost section's share, the criterion's weight) unless the scenario
 * gives another. */
typedef struct {
    int given; /* 0: fixed at the deterministic value */
    double min, likely, max;
} cp_range;

typedef struct {
    int code;
    cp_range range;
} cp_class_range;

typedef struct {
    char *name; /* a team type or a criterion */
    cp_range range;
} cp_named_range;

typedef struct {
    int given;        /* the scenario has an uncertainty section */
    int distribution; /* 0 PERT (default), 1 triangular */
    int samples;      /* Monte Carlo samples of `run` (0: none unless --samples) */
    uint64_t seed;    /* default 1 */
    /* factors on productivities (m2 per team-day): `productivity` for every land-cover class
       without its own range, drawn for each class separately */
    cp_range productivity;
    cp_class_range *classes;
    size_t nclasses;
    cp_named_range *types; /* a factor on all productivities of a team type */
    size_t ntypes;
    cp_range nts, ts;                         /* factors on the survey productivities */
    cp_range release[CP_NSTATUS][CP_NMETHOD]; /* shares; each drawn row is scaled to sum 1 */
    cp_range availability;                    /* share of days_per_year worked */
    cp_range team_day_usd;                    /* factor on every US$ per team-day */
    /* weights of the criteria: ranges, or a Dirichlet concentration around the given ones */
    cp_named_range *weights;
    size_t nweights;
    double weight_concentration; /* > 0: Dirichlet(concentration x w / sum w); 0 none */
} cp_uncertainty;

/* ---- new contamination (DESIGN §16; docs/scenario.md, "contamination") ---- */
typedef struct {
    int given;
    char *input;               /* the dated reports: an entry of inputs (default "reports") */
    int fit_years;             /* calendar years before capacity.start fitted (default 5) */
    double area_per_report_m2; /* NAN: fitted from hazards within link_m of reports */
    double link_m;             /* default 1000 */
    int reserve;               /* projection the plan reserves capacity for: 0 P10, 1 P50
                                  (default), 2 P90, -1 none (projected, not reserved) */
    int samples;               /* draws of the projection (default 2000) */
    int line, column;
} cp_contamination_spec;

/* ---- grid and outputs ---- */
typedef struct {
    char *crs; /* NULL = UTM zone of the hazards' centroid */
    double cell_size_m;
    char *aoi;        /* NULL = hazards' extent grown by the largest criterion radius */
    double max_cells; /* a larger grid is an error (default CP_GRID_MAX_CELLS) */
} cp_grid_spec;

/* The default grid.max_cells: 5 x 10^9 cells (e.g. 70,000 x 70,000; 20 GB per Float32 layer),
 * above a national grid at 30 m (Colombia's extent: 3.6 x 10^9). */
#define CP_GRID_MAX_CELLS 5e9

typedef struct {
    char *dir;
    int criteria_maps;
} cp_outputs_spec;

typedef struct cp_scenario {
    char *path; /* the file it was loaded from (NULL when built in memory) */
    char *dir;  /* its folder: relative paths are resolved against it */
    char *name;
    cp_grid_spec grid;
    cp_input *inputs;
    size_t ninputs;
    cp_criterion *criteria;
    size_t ncriteria;
    cp_cost cost;
    cp_cost_profile cost_profile;
    cp_capacity capacity;
    cp_plan_rules rules;
    cp_uncertainty uncertainty;
    cp_contamination_spec contamination;
    cp_outputs_spec outputs;
    char **notes;  /* things to tell the user that are not errors ("file:line:col: ..."), */
    size_t nnotes; /* e.g. an input that takes its role from its name */
} cp_scenario;

/* Loads and checks a scenario file. Errors name the file, line and column, and suggest the
 * nearest valid key for an unknown one. On success *out owns a new scenario. */
CP_API cp_status cp_scenario_load(const char *path, cp_scenario **out);
/* Same from YAML text; `name` is used in messages, `dir` resolves relative paths. */
CP_API cp_status cp_scenario_parse(const char *yaml, size_t len, const char *name, const char *dir,
                                   cp_scenario **out);
/* Frees a scenario; NULL is a no-op. */
CP_API void cp_scenario_free(cp_scenario *sc);

/* Fills the documented defaults of cost and capacity (used by `clearplan plan` too; in the
 * planner library, engine/planner/capacity.c). The cost's class table (WorldCover classes'
 * clearance productivities) points to the defaults' own, read-only: copy it to change it. */
CP_API void cp_cost_defaults(cp_cost *cost);
CP_API void cp_capacity_defaults(cp_capacity *cap);

/* Looks an input up by name; NULL when absent. */
CP_API const cp_input *cp_scenario_input(const cp_scenario *sc, const char *name);
/* The input with a role; NULL when none has it. */
CP_API const cp_input *cp_scenario_role(const cp_scenario *sc, cp_input_role role);

/* Teams available in a calendar year (per_year entry or the constant), without counts. */
CP_API double cp_capacity_teams(const cp_capacity *cap, int year);

#ifdef __cplusplus
}
#endif

#endif
