/* clearplan — the planner (DESIGN §9) and its outputs (DESIGN §10).
 *
 * One set of calls serves both the scoring pipeline (in process, after the hazard metrics
 * and costs are computed) and `clearplan plan` (re-planning a scored hazards file):
 *
 *   cp_hazard *h = ...;                 one record per scored hazard (borrowed strings)
 *   cp_plan *plan = NULL;
 *   cp_plan_compute(h, n, &sc->capacity, &sc->cost, &sc->rules, &opts, &plan);
 *   cp_plan_write_all(plan, out_dir, &outputs);     plan.csv, milestones.csv, packages.csv,
 *                                                   rejected.csv, plan.gpkg, report.html
 *   char *json = NULL; cp_plan_summary_json(plan, &json);   fragment for run.json
 *   cp_plan_free(plan); free(json);
 *
 * The plan copies everything it keeps (ids, regions, geometry, extra columns): the caller
 * may free its hazard records as soon as cp_plan_compute returns.
 *
 * ---- The time model ----
 * Time runs in days from capacity.start (t = 0 at 00:00 of the start date). A team works
 * days_per_year working days per calendar year, spread evenly over that year: in a year of
 * D calendar days one team does days_per_year / D team-days per calendar day. Weekends and
 * holidays are therefore not placed on particular dates; they are spread over the year, so
 * a 20 team-day package done by one team at 220 days a year takes 20 x 365/220 = 33.2
 * calendar days. A start date is the day on which work begins; an end date is the last
 * day on which work is done (inclusive). The deadline is met when the last work is done on
 * or before the deadline day.
 *
 * ---- Two views of the same capacity ----
 *  - The *pooled* model (Article 5 milestones, verdict, teams needed, baselines): all teams of
 *    a pool work down one queue in plan order, a hazard's effort being consumed by the
 *    pool's whole capacity (teams x days_per_year a year). It gives each hazard a start and
 *    an end, the annual and quarterly milestones, the completion date, and the cumulative
 *    benefit curves. Area, benefit and cost are released pro rata to the effort spent, as
 *    the hazard's work packages are completed. For one pool with a constant capacity the
 *    efficiency order maximises the area under the cumulative-benefit curve (Smith's rule).
 *  - The *team schedule*: each hazard is split into ceil(cost / package_team_days) equal
 *    work packages, and the packages, in plan order, are list-scheduled to the team of
 *    their pool that is free earliest (ties: lowest team number). Every package gets a team,
 *    a start and an end. Because a package is indivisible, the schedule's last end can fall
 *    up to one package per team after the pooled completion; both are reported.
 *
 * ---- Pools and regions ----
 * Without capacity.regions there is one pool: every team takes any package, and the pool has
 * cp_capacity_teams(cap, year) teams in each calendar year. With capacity.regions each region
 * is a pool with its own constant team count; every hazard must name one of those regions
 * (otherwise cp_plan_compute fails naming the region and the hazard), and capacity.per_year
 * may not be given as well. In the team schedule a pool has round(teams) teams (at least
 * one when teams > 0); the pooled model uses the count as given, fractions included. Teams
 * are numbered 1.. across pools, region by region in capacity order.
 *
 * ---- Order ----
 * rules.locked ids first, in the listed order; then hazards whose `locked` flag is set; then
 * the rest. Within the last two groups: efficiency (benefit / cost_team_days) descending,
 * ties by id (byte order); a hazard with zero cost comes before all others of its group.
 * rules.exclude ids leave the plan and are listed in cp_plan.excluded with their reason (an
 * excluded id that is not among the hazards is ignored: a re-plan from plan.gpkg no longer
 * holds it). An id in rules.locked that is not among the hazards, an id both locked and
 * excluded, and duplicate hazard ids are errors.
 *
 * ---- Deadline ----
 * completion: the pooled model's last end date; met when it is on or before the deadline.
 * remaining at the deadline: area (and effort) not yet released at the end of the deadline
 * day. min_teams: the smallest constant whole number of teams (ignoring per_year) with
 * which the pooled model meets the deadline, found by binary search on that monotone
 * predicate; with regions, per region, and the overall figure is their sum. funding gap:
 * the team-days still to do at the end of the deadline day with the given capacity,
 * x team_day_usd — the work that must be funded on top of the present capacity to finish
 * on time. */
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

/* One scored hazard. Strings and bytes are borrowed for the duration of the call that takes
 * them. Unknown numbers are NAN (cp_hazard_init sets those defaults). */
typedef struct {
    const char *id;        /* unique, non-empty */
    int status;            /* CP_STATUS_SHA or CP_STATUS_CHA */
    const char *region;    /* NULL or "" = none */
    double area_m2;        /* >= 0 */
    double benefit;        /* >= 0, priority-weighted hectares (DESIGN §7) */
    double cost_team_days; /* >= 0 */
    double cost_usd;       /* NAN = cost_team_days x cost.team_day_usd */
    double priority_mean;  /* NAN = unknown (the priority baseline then puts it last) */
    double priority_max;
    double people_within_m;
    int locked;               /* non-zero: planned first (after rules.locked) */
    const unsigned char *wkb; /* optional geometry (ISO WKB) for plan.gpkg; NULL = none */
    size_t wkb_len;
    const cp_plan_value *extra; /* opts->ncolumns values, or NULL (all null) */
} cp_hazard;

/* Sets every field to its default: NAN numbers, status SHA, no region, no geometry. */
void cp_hazard_init(cp_hazard *h);

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
    const double *sweep_teams; /* constant team counts to sweep (--teams 30,40,60); with
                                  regions the region counts are scaled to each total */
    size_t nsweep;
    int no_schedule;  /* skip the team schedule (sweeps and searches only) */
    int no_baselines; /* skip the baseline orders */
} cp_plan_options;

/* ---- results ---- */

/* A planned hazard: a copy of its record plus what the planner derived. */
typedef struct {
    cp_hazard h;                     /* copy owned by the plan */
    size_t input_index;              /* position in the caller's array */
    double released_m2[CP_NMETHOD];  /* area x release share of its status, per method */
    double cost_usd;                 /* h.cost_usd, or cost_team_days x team_day_usd */
    double efficiency;               /* benefit / cost_team_days; NAN when the cost is 0 */
    size_t rank;                     /* 1-based position in the plan order */
    int pool;                        /* index into cp_plan.pools */
    double t_start, t_end;           /* pooled model, days from capacity.start */
    cp_date start, end;              /* first and last day of work (pooled model) */
    int year;                        /* calendar year of `end` */
    int team;                        /* team of its first package (1-based; 0 = none) */
    size_t first_package, npackages; /* its packages in cp_plan.packages */
} cp_plan_item;

typedef struct {
    char *id;    /* "<hazard id>#<seq>" */
    size_t item; /* index into cp_plan.items */
    int seq;     /* 1..npackages of its hazard */
    int team;    /* 1-based, unique across pools */
    double team_days;
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
    double capacity_team_days;      /* team-days the capacity offers in the period */
    double released_m2[CP_NMETHOD]; /* cancelled, reduced, cleared */
    double area_m2;                 /* sum of released_m2 */
    size_t hazards_completed;
    double benefit;
    double team_days;
    double cost_usd;
    double remaining_m2; /* area not yet released at the end of the period */
} cp_milestone;

typedef struct {
    char *name;   /* region name; "all" without regions */
    double teams; /* constant teams (regions) or capacity.teams */
    size_t nitems;
    double area_m2, team_days, benefit;
    double t_completion;
    cp_date completion;
    int met;
    double remaining_m2;        /* at the end of the deadline day */
    double remaining_team_days; /* ditto */
    int min_teams;              /* smallest constant count that meets the deadline; -1 none */
    int first_team, nteams;     /* team numbers first_team .. first_team+nteams-1 */
} cp_plan_pool;

typedef struct {
    double teams; /* the total constant team count tried */
    double t_completion;
    cp_date completion;
    int met;
    double remaining_m2;
    double remaining_team_days;
    double funding_gap_usd;
} cp_plan_sweep_row;

enum { CP_ORDER_EFFICIENCY = 0, CP_ORDER_PRIORITY, CP_ORDER_SMALLEST, CP_ORDER_INPUT, CP_NORDER };

enum { CP_PLAN_CURVE_POINTS = 241 };

typedef struct {
    const char *name; /* "efficiency", "priority", "smallest", "input" */
    int computed;
    double auc;                    /* area under the cumulative-benefit curve, benefit x years,
                                      over [0, horizon] */
    double auc_share;              /* auc / (total benefit x horizon): 1 = all at once on day 0 */
    double sum_benefit_completion; /* sum of benefit x end time (days) */
    double benefit[CP_PLAN_CURVE_POINTS];      /* cumulative benefit at curve_t */
    double remaining_m2[CP_PLAN_CURVE_POINTS]; /* remaining area at curve_t */
} cp_plan_order;

typedef struct cp_plan {
    /* inputs, as used */
    cp_date start, deadline;
    double days_per_year, package_team_days, team_day_usd;
    double teams; /* capacity.teams, or the sum of region teams */
    int has_regions, has_per_year;
    /* what was planned */
    cp_plan_item *items; /* in plan order */
    size_t nitems;
    cp_plan_package *packages; /* grouped by hazard, in plan order */
    size_t npackages;
    cp_plan_excluded *excluded;
    size_t nexcluded;
    size_t ninput;           /* = nitems + nexcluded */
    cp_plan_column *columns; /* extra columns (copied) */
    size_t ncolumns;
    cp_plan_pool *pools;
    size_t npools;
    cp_milestone *years, *quarters;
    size_t nyears, nquarters;
    /* totals of the planned hazards */
    double area_m2, released_m2[CP_NMETHOD], benefit, team_days, cost_usd;
    /* verdict (pooled model) */
    double t_completion;
    cp_date completion;
    int met;
    double remaining_m2, remaining_team_days; /* at the end of the deadline day */
    size_t remaining_hazards;                 /* not finished by then */
    int min_teams;                            /* overall; sum over regions with regions; -1 none */
    double funding_gap_usd;                   /* remaining_team_days x team_day_usd */
    cp_date schedule_end;                     /* last end in the team schedule */
    int nteams_scheduled;                     /* teams used in the team schedule */
    /* what-if */
    cp_plan_sweep_row *sweep;
    size_t nsweep;
    /* orders: [CP_ORDER_EFFICIENCY] is the plan; others are baselines */
    double horizon_days; /* curves run over [0, horizon]: max(completion, deadline) */
    double curve_t[CP_PLAN_CURVE_POINTS];
    cp_plan_order orders[CP_NORDER];
} cp_plan;

/* Plans the hazards. `rules` and `opts` may be NULL. Fails with CP_E_CONFIG on bad capacity,
 * cost or rules (zero teams, deadline not after start, a hazard's region without teams,
 * negative figures, unknown locked/excluded ids) and CP_E_ARG on bad hazard records
 * (missing or duplicate id, negative or non-finite numbers, bad status); the detail message
 * names the field or hazard. On success *out owns a new plan (cp_plan_free). */
cp_status cp_plan_compute(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                          const cp_cost *cost, const cp_plan_rules *rules,
                          const cp_plan_options *opts, cp_plan **out);

/* Frees a plan; NULL is a no-op. */
void cp_plan_free(cp_plan *plan);

/* ---- reading a scored hazards file (`clearplan plan`) ---- */

/* Hazards read from a file; owns every string and byte its records point to. */
typedef struct {
    cp_hazard *hazards;
    size_t n;
    cp_plan_column *columns; /* extra columns found in the file */
    size_t ncolumns;
    char *crs_wkt; /* the layer's CRS as WKT, NULL when none */
    char *layer;   /* the layer read */
} cp_hazard_table;

/* Reads clearplan's plan.gpkg (layer `hazards`) or plan.csv, or any OGR-readable table
 * (CSV, GeoPackage, ...) with the columns hazard_id, status (SHA/CHA), area_m2, benefit,
 * cost_team_days and optionally region, cost_usd, priority_mean, priority_max,
 * people_within_m, locked (1/true/yes/first). Schedule columns of an earlier plan (rank,
 * start, end, ...) are dropped; every other column is carried as an extra column. `layer`
 * NULL = `hazards` if present, else the first layer. Errors (CP_E_IO, CP_E_FORMAT) name the
 * file and, for bad values, the row and the hazard. */
cp_status cp_hazard_table_read(const char *path, const char *layer, cp_hazard_table **out);
void cp_hazard_table_free(cp_hazard_table *t);

/* ---- outputs ---- */

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
    size_t top_hazards; /* rows in the top-hazards table; 0 = 20 */
} cp_report_info;

typedef struct {
    const char *crs_wkt;              /* CRS of the geometries (WKT, or "EPSG:n"); NULL = none */
    const cp_plan_rejected *rejected; /* caller's rejected rows */
    size_t nrejected;
    const cp_report_info *report; /* NULL = no report.html */
    int no_gpkg;                  /* skip plan.gpkg */
} cp_plan_outputs;

/* Each writer writes to a temporary name beside `path` and renames it at the end: a file is
 * either complete or absent. `dir` must exist. */
cp_status cp_plan_write_csv(const cp_plan *plan, const char *path); /* plan.csv */
cp_status cp_plan_write_milestones_csv(const cp_plan *plan, const char *path);
cp_status cp_plan_write_packages_csv(const cp_plan *plan, const char *path);
cp_status cp_plan_write_rejected_csv(const cp_plan *plan, const cp_plan_rejected *rejected,
                                     size_t nrejected, const char *path);
cp_status cp_plan_write_gpkg(const cp_plan *plan, const char *path, const char *crs_wkt,
                             const cp_plan_rejected *rejected, size_t nrejected);
cp_status cp_plan_write_report(const cp_plan *plan, const cp_report_info *info, const char *path);
/* All of the above into `dir` under their standard names. */
cp_status cp_plan_write_all(const cp_plan *plan, const char *dir, const cp_plan_outputs *o);

/* The plan's summary for run.json: a JSON object (malloc'd, caller frees) with completion,
 * deadline, met, remaining area and effort at the deadline, teams needed overall and per
 * region, funding gap, totals, the sweep table and the orders' curve areas. */
cp_status cp_plan_summary_json(const cp_plan *plan, char **out);

/* The verdict as one sentence a minister can read (malloc'd, caller frees). */
cp_status cp_plan_verdict_text(const cp_plan *plan, char **out);

#ifdef __cplusplus
}
#endif

#endif
