/* clearplan — the planner (DESIGN §9) and its outputs (DESIGN §10).
 *
 * One set of calls serves both the scoring pipeline (in process, after the hazard metrics
 * and costs are computed) and `clearplan plan` (re-planning a scored hazards file):
 *
 * Example:
 *
 *     cp_capacity cap;
 *     cp_cost cost;
 *     cp_capacity_defaults(&cap);             // or a scenario's capacity and cost
 *     cp_cost_defaults(&cost);
 *     cp_plan_rules rules = {0};
 *     cp_plan_options opts = {0};
 *     cp_hazard h[2];                          // one record per scored hazard
 *     cp_hazard_init(&h[0]);
 *     h[0].id = "H1", h[0].area_m2 = 5000, h[0].benefit = 2.5, h[0].cost_team_days = 40;
 *     cp_hazard_init(&h[1]);
 *     h[1].id = "H2", h[1].status = CP_STATUS_CHA, h[1].area_m2 = 800, h[1].benefit = 0.4,
 *     h[1].cost_team_days = 12;
 *     cp_plan *plan = NULL;
 *     cp_status s = cp_plan_compute(h, 2, &cap, &cost, &rules, &opts, &plan);
 *     cp_plan_outputs outputs = {0};          // plan.csv, milestones.csv, packages.csv,
 *     if (s == CP_OK)                         // rejected.csv, plan.gpkg, report.html
 *         s = cp_plan_write_all(plan, "out.tmp", &outputs);
 *     char *json = NULL;                      // the plan's part of run.json
 *     if (s == CP_OK) s = cp_plan_summary_json(plan, &json);
 *     cp_plan_free(plan);
 *     free(json);
 *
 * cp_plan_compute and cp_plan_free live in the pure planner library (clearplan_planner: no
 * GDAL, no I/O); the writers and the table reader live in the engine above it. The plan
 * copies everything it keeps (ids, regions, geometry, extra columns): the caller may free its
 * hazard records as soon as cp_plan_compute returns.
 *
 * ---- The time model ----
 * Time runs in days from capacity.start (t = 0 at 00:00 of the start date). A team works
 * days_per_year working days per calendar year, spread evenly over that year: in a year of
 * D calendar days one team does days_per_year / D team-days per calendar day. Weekends and
 * holidays are therefore not placed on particular dates; they are spread over the year, so
 * a 20 team-day package done by one team at 220 days a year takes 20 x 365/220 = 33.2
 * calendar days. A start date is the day on which work begins; an end date is the last
 * day on which work is done (inclusive). Dates compare in whole days: work ending within
 * 1e-6 day after midnight ends the day before (the rounding of summed rates), and the
 * deadline is met when the last work is done on or before the deadline day. A deadline on
 * the start day leaves one day.
 *
 * ---- Stages (land release, IMAS 07.11) ----
 * A hazard of status S is released in up to three stages, in this order: non-technical
 * survey (NTS) cancels release[S].cancel of its area, technical survey (TS) reduces
 * release[S].reduce, clearance clears release[S].clear; a stage whose share is 0 is skipped
 * (a confirmed hazard skips NTS with the default shares). Each stage is a job with its own
 * effort, area (area_m2 x share) and benefit (benefit x share), released when its last work
 * package ends. Efforts with the cost section's productivities (DESIGN §8):
 *   NTS   covered_m2 x cancel / nts_m2_per_team_day
 *   TS    covered_m2 x reduce / ts_m2_per_team_day
 *   clear clear x sum over land-cover classes k of class_m2[k] / productivity(k)
 * and cost_team_days is their sum. Without class_m2 (a table that has only cost_team_days),
 * clearance is what cost_team_days leaves after the surveys (the surveys scaled down when
 * they alone exceed it), as if all in the default class. A team type with its own
 * productivities (capacity.types) needs the same formulas with its figures.
 *
 * ---- Order ----
 * rules.locked ids first, in the listed order; then hazards whose `locked` flag is set; then
 * the rest. Within each group the stage jobs are ordered by Sidney's ratio rule for chain
 * precedence: each hazard's chain NTS -> TS -> clearance is cut into modules, the leading
 * run of stages with the highest benefit per team-day (reference efforts; the longest such
 * run on ties), then the same for the rest; modules are ordered by that ratio, descending,
 * to 41 significant bits (12 digits: ratios equal but for the rounding of their sums tie,
 * so that a re-plan from plan.csv or a weight sample orders them alike; ties: hazard id in
 * byte order, then stage). For one pooled capacity this order minimises
 * the sum of benefit x release time (Sidney 1975; Smith's rule when every hazard has one
 * stage). Jobs without effort have an infinite ratio. A hazard's rank is the position of its
 * first stage. rules.exclude ids leave the plan and are listed in cp_plan.excluded with their
 * reason (an excluded id that is not among the hazards is ignored: a re-plan from plan.gpkg
 * no longer holds it). An id in rules.locked that is not among the hazards, an id both
 * locked and excluded, and duplicate hazard ids are errors.
 *
 * ---- Teams ----
 * Teams are whole. Each belongs to a region (one region, "all", without capacity.regions)
 * and a type (one type, "team", doing every stage at the cost section's figures, without
 * capacity.types); `counts` give whole teams per (region, type), constant or per calendar
 * year. Team k of a cell works in a year when k < that year's count; teams are numbered 1..
 * region by region, type by type. Every hazard names a region of capacity.regions (else an
 * error naming the hazard); a region may have no teams.
 *
 * ---- The team schedule: the one truth ----
 * Each stage job is split into n = ceil(e / package_team_days) equal work packages, e the
 * largest effort of the types that can do it. The packages, in plan order, are list-
 * scheduled: a package is released when the hazard's previous stage has ended, and goes to
 * the team (of a type that does the stage, in the hazard's region or mobile) that finishes it
 * earliest (ties: the first in order of free time, then team number); a team works on it
 * until done, pausing through years in which it is not counted. With capacity.redeploy,
 * when no package a type can do is left in a region, that region's teams of the type become
 * mobile: the next package anywhere may take them, starting mobilisation_days after they are
 * free, and they then stay in that region. With a yearly budget, the team-days a package
 * works in each year are paid from that year's funds (team_day_usd of its type); a package
 * the funds do not cover is postponed to the next year with funds left (that year is then
 * marked as one in which money, not teams, binds). The schedule covers the calendar from the
 * start year to 100 years after the deadline year; packages that cannot be placed in it are
 * unscheduled (their hazards have no end date; the plan is then incomplete).
 *
 * Completion, the verdict, the remaining area, effort and hazards at the end of the deadline
 * day, the milestones, the sweep and teams needed all come from this schedule. The funding
 * gap is the team-days still to do at the end of the deadline day x their types' US$ per
 * team-day.
 *
 * ---- Teams needed ----
 * The family T(N): N whole teams every year, apportioned to the (region, type) cells by the
 * largest remainder in proportion to the team-years each cell has from the start to the
 * deadline year (a region with work but no teams weighs as the staffed regions do per team-
 * day of work, with their mix of types), the budget and redeployment as given. teams_needed
 * is an N for which the schedule with T(N) meets the deadline and the schedule with T(N - 1)
 * misses, both run. No count below the ideal bound's (every team on one queue of divisible
 * work) can meet; from there N is guessed by fitting the schedule's end to "work over N teams
 * plus a tail" (the plan's own run, then each new run), bracketed and bisected between a
 * count that missed and one that met. So a list-scheduling anomaly (more teams finishing
 * later) cannot make the answer wrong, though a smaller count may also meet. The figures per region
 * and type are T(N)'s cells. It is -1 when no count meets: a hazard whose chain, every package on
 * its own fastest team, does not fit in the window (named in infeasible_id), no team type in the
 * mix for a stage, a budget that cannot pay for the work by the deadline, or no count up to 16 x
 * the packages + 16. The sweep runs T(N) for each N given.
 *
 * ---- The ideal bound ----
 * All teams of each year on one queue of divisible stage jobs, each at the effort of its
 * fastest type: no schedule finishes earlier. Its completion is reported beside the
 * schedule's, and the order baselines (cumulative-benefit curves) are computed on it. */
#ifndef CLEARPLAN_PLAN_H
#define CLEARPLAN_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <clearplan/status.h>
#include <clearplan/scenario.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- input: scored hazards ---- */

/* Extra named columns carried through to plan.csv / plan.gpkg unchanged. */
typedef enum { CP_VALUE_REAL = 0, CP_VALUE_INTEGER, CP_VALUE_TEXT } cp_value_type;

typedef struct {
    const char *name;
    cp_value_type type;
} cp_plan_column;

typedef struct {
    int is_null;
    double real;      /* CP_VALUE_REAL */
    int64_t integer;  /* CP_VALUE_INTEGER */
    const char *text; /* CP_VALUE_TEXT */
} cp_plan_value;

/* One scored hazard. Strings and arrays are borrowed for the duration of the call that takes
 * them. Unknown numbers are NAN (cp_hazard_init sets those defaults). */
typedef struct {
    const char *id;         /* unique, non-empty */
    int status;             /* CP_STATUS_SHA or CP_STATUS_CHA */
    const char *region;     /* NULL or "" = none */
    double area_m2;         /* >= 0 */
    double covered_m2;      /* >= 0, the part on the grid, which surveys cover; NAN = area_m2 */
    double benefit;         /* >= 0, priority-weighted hectares (DESIGN §7) */
    double cost_team_days;  /* >= 0; ignored (may be NAN) when class_m2 is given */
    const double *class_m2; /* NULL, or opts->nclasses + 1 values >= 0: the covered area of
                               each land-cover class of opts->classes (the last: any other
                               class or none), each cell divided by its clearance slowdowns */
    double priority_mean;   /* NAN = unknown (the priority baseline then puts it last) */
    double priority_max;
    double people_within_m;
    int locked;               /* non-zero: planned first (after rules.locked) */
    const unsigned char *wkb; /* optional geometry (ISO WKB) for plan.gpkg; NULL = none */
    size_t wkb_len;
    const cp_plan_value *extra; /* opts->ncolumns values, or NULL (all null) */
} cp_hazard;

/* Sets every field to its default: NAN numbers, status SHA, no region, no geometry. */
CP_API void cp_hazard_init(cp_hazard *h);

/* Rows the caller could not score (null geometry, outside the grid, ...). They go to the
 * `rejected` layer and rejected.csv with the plan's own exclusions. */
typedef struct {
    const char *id;
    const char *reason;
    const unsigned char *wkb; /* optional */
    size_t wkb_len;
} cp_plan_rejected;

typedef struct {
    const cp_plan_column *columns; /* extra columns of cp_hazard.extra */
    size_t ncolumns;
    const int *classes; /* land-cover codes of cp_hazard.class_m2 */
    size_t nclasses;
    int teams;              /* > 0: plan with T(teams) instead of the capacity's counts */
    const int *sweep_teams; /* whole team counts N to run T(N) for (--teams 30,40,60) */
    size_t nsweep;
    int no_baselines; /* skip the baseline orders */
    /* Asked between pieces of the schedule (and before each Monte Carlo sample) from any
     * thread: non-zero stops the computation with CP_E_INTERRUPTED. Must be thread-safe and
     * print nothing (the command line: whether Ctrl-C or SIGTERM arrived). NULL: not asked. */
    int (*stop)(void *arg);
    void *stop_arg;
} cp_plan_options;

/* ---- results ---- */

/* A planned hazard: a copy of its record plus what the planner derived. Times and dates are
 * the team schedule's. */
typedef struct {
    cp_hazard h;                            /* copy owned by the plan; h.cost_team_days is
                                               the sum of stage_ref_team_days */
    size_t input_index;                     /* position in the caller's array */
    double released_m2[CP_NMETHOD];         /* area x release share, per stage */
    double stage_benefit[CP_NMETHOD];       /* benefit x release share, per stage */
    double stage_ref_team_days[CP_NMETHOD]; /* effort at the cost section's productivities */
    int has_stage[CP_NMETHOD];              /* the stage is a job (its share is not 0) */
    cp_date stage_end[CP_NMETHOD];          /* last day of each stage (when scheduled) */
    double team_days;                       /* scheduled: by the types that do the work */
    double cost_usd;                        /* scheduled: team-days x their types' US$ */
    double efficiency;                      /* benefit / cost_team_days; NAN when the cost is 0 */
    size_t rank;                            /* 1-based position in the plan order */
    int pool;                               /* region: index into cp_plan.pools */
    int scheduled;                          /* every package of it is in the schedule */
    double t_start, t_end;                  /* days from start; t_end INFINITY unscheduled */
    cp_date start, end;                     /* first and last day of work */
    int year;                               /* calendar year of `end` (0 unscheduled) */
    int team;                               /* team of its first package (1-based; 0 = none) */
    size_t first_package, npackages;        /* its scheduled packages in cp_plan.packages */
    size_t unscheduled_packages;            /* packages that found no place in the schedule */
} cp_plan_item;

/* A work package; its id in the outputs is "<hazard id>#<seq>". */
typedef struct {
    size_t item;    /* index into cp_plan.items */
    int seq;        /* 1.. of its hazard, stage by stage (unscheduled ones counted) */
    int stage;      /* CP_METHOD_*: cancel = NTS, reduce = TS, clear = clearance */
    int team;       /* 1-based, unique across regions and types */
    int type;       /* index into cp_plan.types */
    int region;     /* where it is worked: index into cp_plan.pools */
    int redeployed; /* the team's home region is another one */
    double team_days, cost_usd;
    double t_start, t_end;
    cp_date start, end;
} cp_plan_package;

typedef struct {
    char *id;
    char *reason;
    size_t input_index;
} cp_plan_excluded;

typedef enum { CP_PERIOD_YEAR = 0, CP_PERIOD_QUARTER = 1 } cp_period_kind;

typedef struct {
    cp_period_kind kind;
    int year, quarter;              /* quarter 1..4 (0 for years) */
    cp_date start, end;             /* first and last day of the period within the plan */
    double capacity_team_days;      /* team-days the teams counted in the period offer */
    double released_m2[CP_NMETHOD]; /* cancelled, reduced, cleared: stages ended in it */
    double area_m2;                 /* sum of released_m2 */
    size_t hazards_completed;
    double benefit;
    double team_days; /* worked in the period */
    double cost_usd;
    double remaining_m2; /* area not yet released at the end of the period */
    /* years only */
    double budget_usd;  /* the funding ceiling; INFINITY without one */
    int budget_binding; /* a package was postponed for lack of funds */
    size_t postponed;   /* packages postponed out of the year */
    size_t redeployed;  /* packages started in it by teams away from their region */
    /* development outcomes (clearplan/evidence.h) */
    double *class_released_m2;   /* cp_plan.nclasses + 1 values: area released in the period
                                    by land-cover class of cp_plan.classes (the last: other
                                    classes, nodata, hazards without class areas) */
    double people_near_released; /* people_within_m of the hazards completed in the period */
} cp_milestone;

typedef struct {
    char *name;   /* region name; "all" without regions */
    double teams; /* whole teams of the region in the start year */
    size_t nitems;
    double area_m2, team_days, benefit;
    double t_completion; /* INFINITY when some of its work is unscheduled */
    cp_date completion;
    int met;
    double remaining_m2;        /* at the end of the deadline day */
    double remaining_team_days; /* ditto */
    int teams_needed;           /* its teams in T(teams_needed); -1 none */
    int first_team, nteams;     /* its home teams: first_team .. first_team+nteams-1 */
} cp_plan_pool;

typedef struct {
    char *name; /* "team" without capacity.types */
    int stages[CP_NMETHOD];
    double team_day_usd;
    double teams;     /* whole teams of the type in the start year */
    int teams_needed; /* its teams in T(teams_needed); -1 none */
    double team_days; /* scheduled */
    size_t packages;
} cp_plan_type;

typedef struct {
    int type; /* index into cp_plan.types */
    int home; /* index into cp_plan.pools */
} cp_plan_team;

typedef struct {
    int teams; /* N of T(N) */
    int complete;
    double t_completion;
    cp_date completion;
    int met;
    double remaining_m2;
    double remaining_team_days;
    double funding_gap_usd;
} cp_plan_sweep_row;

enum { CP_ORDER_EFFICIENCY = 0, CP_ORDER_PRIORITY, CP_ORDER_SMALLEST, CP_ORDER_INPUT, CP_NORDER };

enum { CP_PLAN_CURVE_POINTS = 241 };

/* An order evaluated on the ideal bound. */
typedef struct {
    const char *name; /* "efficiency", "priority", "smallest", "input" */
    int computed;
    double auc;                    /* area under the cumulative-benefit curve, benefit x years,
                                      over [0, horizon] */
    double auc_share;              /* auc / (total benefit x horizon): 1 = all at once on day 0 */
    double sum_benefit_completion; /* sum of benefit x release time (days) over stage jobs */
    double benefit[CP_PLAN_CURVE_POINTS];      /* cumulative benefit at curve_t */
    double remaining_m2[CP_PLAN_CURVE_POINTS]; /* remaining area at curve_t */
} cp_plan_order;

typedef struct cp_plan {
    /* inputs, as used */
    cp_date start, deadline;
    double days_per_year, package_team_days, team_day_usd;
    double teams; /* whole teams in the start year */
    int has_regions, has_per_year, has_types, has_budget, redeploy;
    double mobilisation_days;
    /* what was planned */
    cp_plan_item *items; /* in plan order */
    size_t nitems;
    cp_plan_package *packages; /* scheduled packages, grouped by hazard, in plan order */
    size_t npackages;
    cp_plan_excluded *excluded;
    size_t nexcluded;
    size_t ninput;           /* = nitems + nexcluded */
    cp_plan_column *columns; /* extra columns (copied) */
    size_t ncolumns;
    int *classes; /* land-cover codes of the items' class_m2 (copied) */
    size_t nclasses;
    cp_plan_pool *pools; /* regions */
    size_t npools;
    cp_plan_type *types;
    size_t ntypes;
    cp_plan_team *team_list; /* [team number - 1] */
    int nteams;
    cp_milestone *years, *quarters;
    size_t nyears, nquarters;
    double *milestone_class_m2; /* the block the milestones' class_released_m2 point into */
    /* totals of the planned hazards */
    double area_m2, released_m2[CP_NMETHOD], benefit;
    double team_days; /* reference effort: the sum of cost_team_days */
    double scheduled_team_days, cost_usd;
    /* the verdict, from the team schedule */
    int complete;        /* every package is in the schedule */
    double t_completion; /* INFINITY when incomplete */
    cp_date completion;  /* last day of work (when complete) */
    int met;
    double remaining_m2, remaining_team_days; /* at the end of the deadline day */
    size_t remaining_hazards;                 /* not finished by then */
    size_t unscheduled_packages;
    double funding_gap_usd;
    size_t redeployed_packages;
    size_t budget_binding_years;
    /* the ideal bound */
    double t_ideal; /* INFINITY when the capacity ends before the work */
    cp_date ideal_completion;
    int ideal_met;
    /* teams needed */
    int teams_needed;        /* -1: no number of teams (see teams_needed_note) */
    char *teams_needed_note; /* why not, NULL otherwise */
    char *infeasible_id;     /* the first hazard no number of teams finishes in time, or NULL */
    size_t ninfeasible;
    /* what-if */
    cp_plan_sweep_row *sweep;
    size_t nsweep;
    /* curves over [0, horizon]: the schedule's and, on the ideal bound, the orders';
       [CP_ORDER_EFFICIENCY] is the plan's order */
    double horizon_days; /* max(completion, ideal completion, deadline), days */
    double curve_t[CP_PLAN_CURVE_POINTS];
    double schedule_benefit[CP_PLAN_CURVE_POINTS];
    double schedule_remaining_m2[CP_PLAN_CURVE_POINTS];
    cp_plan_order orders[CP_NORDER];
} cp_plan;

/* Plans the hazards. `rules` and `opts` may be NULL. Fails with CP_E_CONFIG on bad capacity,
 * cost or rules (no teams at all, deadline before start, fractional teams, a hazard's region
 * not in capacity.regions, negative figures, a stage no team type does, unknown locked ids)
 * and CP_E_ARG on bad hazard records (missing or duplicate id, negative or non-finite
 * numbers, bad status); the detail message names the field or hazard. On success *out owns a
 * new plan (cp_plan_free). */
CP_API cp_status cp_plan_compute(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                                 const cp_cost *cost, const cp_plan_rules *rules,
                                 const cp_plan_options *opts, cp_plan **out);

/* Frees a plan; NULL is a no-op. */
/* The day on which work ending `t` days after the start of day `start` ends (t finite): the
 * start day itself for no work (t = 0), as the plan's own completion dates. */
CP_API cp_date cp_plan_end_day(cp_date start, double t);

CP_API void cp_plan_free(cp_plan *plan);

/* Stage names: "nts", "ts", "clearance". */
CP_API const char *cp_plan_stage_name(int stage);

/* ---- reading a scored hazards file (`clearplan plan`) ---- */

/* Hazards read from a file; owns every string and byte its records point to. */
typedef struct {
    cp_hazard *hazards;
    size_t n;
    cp_plan_column *columns; /* extra columns found in the file */
    size_t ncolumns;
    int *classes; /* land-cover codes of the hazards' class_m2 (NULL when none) */
    size_t nclasses;
    char *crs_wkt; /* the layer's CRS as WKT, NULL when none */
    char *layer;   /* the layer read */
} cp_hazard_table;

/* Reads clearplan's plan.gpkg (layer `hazards`) or plan.csv, or any OGR-readable table
 * (CSV, GeoPackage, ...) with the columns hazard_id, status (SHA/CHA), area_m2, benefit,
 * cost_team_days (unless class_m2_<code> columns are given) and optionally region,
 * covered_m2, class_m2_<code> and class_m2_other (the land-cover areas of cp_hazard.class_m2;
 * t->classes lists the codes), priority_mean, priority_max, people_within_m, locked
 * (1/true/yes/first). Schedule columns of an earlier plan (rank, start, end, cost_usd, ...)
 * are dropped; every other column is carried as an extra column. `layer`
 * NULL = `hazards` if present, else the first layer. Errors (CP_E_IO, CP_E_FORMAT) name the
 * file and, for bad values, the row and the hazard. */
CP_API cp_status cp_hazard_table_read(const char *path, const char *layer, cp_hazard_table **out);
CP_API void cp_hazard_table_free(cp_hazard_table *t);

/* ---- outputs ---- */

struct cp_evidence; /* clearplan/evidence.h */

typedef struct {
    const char *key;
    const char *value;
} cp_report_entry;

typedef struct {
    const char *title;             /* scenario name; NULL = "clearplan" */
    const cp_report_entry *inputs; /* inputs, coverage, weights, totals: shown as given */
    size_t ninputs;
    const unsigned char *map_png; /* thumbnail of the priority map, NULL = none */
    size_t map_png_len;
    size_t top_hazards;                 /* rows in the top-hazards table; 0 = 20 */
    const struct cp_evidence *evidence; /* uncertainty, rank robustness (evidence.h); NULL none */
} cp_report_info;

typedef struct {
    const char *crs_wkt;              /* CRS of the geometries (WKT, or "EPSG:n"); NULL = none */
    const cp_plan_rejected *rejected; /* caller's rejected rows */
    size_t nrejected;
    const cp_report_info *report;       /* NULL = no report.html */
    int no_gpkg;                        /* skip plan.gpkg */
    const struct cp_evidence *evidence; /* NULL = none; else its CSV files, in the report too */
    const char *const *regions;         /* a report-<slug>.html for each of these regions (with a
                                           report; cp_region_slug in evidence.h) */
    size_t nregions;
} cp_plan_outputs;

/* Each writer writes to a temporary name beside `path` and renames it at the end: a file is
 * either complete or absent. `dir` must exist. */
CP_API cp_status cp_plan_write_csv(const cp_plan *plan, const char *path); /* plan.csv */
CP_API cp_status cp_plan_write_milestones_csv(const cp_plan *plan, const char *path);
CP_API cp_status cp_plan_write_packages_csv(const cp_plan *plan, const char *path);
CP_API cp_status cp_plan_write_rejected_csv(const cp_plan *plan, const cp_plan_rejected *rejected,
                                            size_t nrejected, const char *path);
CP_API cp_status cp_plan_write_gpkg(const cp_plan *plan, const char *path, const char *crs_wkt,
                                    const cp_plan_rejected *rejected, size_t nrejected);
CP_API cp_status cp_plan_write_report(const cp_plan *plan, const cp_report_info *info,
                                      const char *path);
/* The report of one region (its verdict, teams, burn-down, hazards), for in-country dialogue.
 * CP_E_ARG when the plan has no region of that name. */
CP_API cp_status cp_plan_write_region_report(const cp_plan *plan, const cp_report_info *info,
                                             const char *region, const char *path);
/* All of the above into `dir` under their standard names. */
CP_API cp_status cp_plan_write_all(const cp_plan *plan, const char *dir, const cp_plan_outputs *o);

/* The plan's summary for run.json: a JSON object (malloc'd, caller frees) with completion,
 * deadline, met, remaining area and effort at the deadline, teams needed overall and per
 * region, funding gap, totals, the sweep table and the orders' curve areas. */
CP_API cp_status cp_plan_summary_json(const cp_plan *plan, char **out);

/* The verdict as one sentence a minister can read (malloc'd, caller frees). */
CP_API cp_status cp_plan_verdict_text(const cp_plan *plan, char **out);

/* `v` with `decimals` decimals (0..9) and its whole part in groups of three digits, as the
 * report prints figures: "121,249,343", "4,680.8"; "–" when not finite; no sign when it
 * rounds to zero. Into buf (n bytes; 48 hold any figure below 10^30); returns buf. */
CP_API char *cp_number_grouped(double v, int decimals, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
