/* clearplan — evidence behind a plan (DESIGN §16): the Monte Carlo of the plan, the
 * robustness of the ranks under weight uncertainty, and the development outcomes of the
 * released land. They live in the pure planner library (no GDAL); the engine writes them
 * (montecarlo.csv, burndown_fan.csv, rank_robustness.csv, run.json, report.html).
 *
 * Example:
 *
 *     cp_capacity cap;
 *     cp_cost cost;
 *     cp_capacity_defaults(&cap);
 *     cp_cost_defaults(&cost);
 *     cap.start = cp_date_make(2026, 1, 1), cap.deadline = cp_date_make(2028, 1, 1);
 *     cp_hazard h[1];
 *     cp_hazard_init(&h[0]);
 *     h[0].id = "H1", h[0].area_m2 = 50000, h[0].benefit = 3, h[0].cost_team_days = 400;
 *     cp_uncertainty u = {0};                   // or a scenario's: sc->uncertainty
 *     u.availability = (cp_range){1, 0.8, 1.0, 1.0};
 *     u.productivity = (cp_range){1, 0.7, 1.0, 1.3};
 *     cp_mc_options mo = {&u, 200, 7, 0};       // 200 samples, seed 7, all threads
 *     cp_plan_mc *mc = NULL;
 *     cp_status s = cp_plan_montecarlo(h, 1, &cap, &cost, NULL, NULL, &mo, &mc);
 *     if (s == CP_OK) printf("P(deadline met) = %.2f\n", mc->p_met);
 *     cp_plan_mc_free(mc);
 *
 * ---- Monte Carlo of the plan ----
 * Each sample draws the uncertain figures of the scenario's `uncertainty` section (PERT or
 * triangular three-point estimates) and plans the hazards again with them, exactly as
 * cp_plan_compute does: the team schedule, the verdict and teams needed of that world. The
 * figures drawn, each from its own random stream keyed by (seed, sample, stream), so that
 * sample k is the same whichever thread runs it:
 *   - a factor per land-cover class on every clearance productivity of that class (cost
 *     section and team types; `productivity.classes`, else `productivity`), one for the
 *     productivities the classes do not list ("other"), a factor per team type
 *     (`types`) on all of its productivities, factors on the survey productivities (`nts`,
 *     `ts`);
 *   - the release shares (`release`), each status's row scaled to sum to 1 after the draw;
 *   - team availability (`availability`): the share of days_per_year the teams work;
 *   - a factor on every cost of a team-day (`team_day_usd`).
 * Each sample re-plans: its order may differ from the deterministic plan's (the efficiencies
 * change with the productivities); its completion and verdict are those of its own team
 * schedule. The summaries use nearest-rank quantiles (the value of rank ceil(q x samples) in
 * the sorted samples), so they are samples' values, and every result is bit-identical for any
 * thread count: samples write their own slots and the summaries are made in sample order.
 *
 * ---- Rank robustness ----
 * Priority is linear in the criteria, so a hazard's benefit under other weights w is
 * sum_k w_k B_k / sum_k w_k, from its per-criterion benefit components B_k (stored once by
 * the run as plan columns benefit_<criterion>). Each weight sample re-scores every hazard and
 * orders them as the planner does: lock groups first, then by the benefit per team-day of the
 * hazard's first Sidney module (plan.h, "Order"; its team-days do not depend on weights), ties
 * by id; hazards without work last. Per hazard: its rank in every sample, summarised as the
 * P5-P95 interval (nearest rank) and the mean rank, and the probability of being in the first
 * year's work: among the first K hazards of its region in the sample's order, K being how
 * many of the region's hazards the deterministic schedule starts in its first calendar year.
 * A hazard is robust when that probability is at least 0.9 or at most 0.1 (whether to start it
 * in the first year does not depend on the weighting). Keys are rounded as the planner rounds
 * them (plan.h, "Order"), so that at the given weights every sample is the plan. The rank
 * distribution is counted in a histogram of at most 2^24 counters: with n hazards, bins of
 * ceil(n / floor(2^24 / n)) ranks (1, that is exact, up to 4,096 hazards; 599 for 100,000); the
 * P5-P95 interval is widened outwards to whole bins and P50 is its bin's middle. With bins, a
 * sample places each hazard in its bin from single-precision keys counted in buckets (members of
 * a bucket across a bin boundary are sorted by their exact keys), so a hazard within float
 * rounding of a bucket edge may be placed a few ranks off; without bins every rank is exact.
 *
 * ---- Development outcomes ----
 * cp_plan's milestones carry, per year and quarter, the area released by land-cover class
 * (the hazard's class_m2 shares of each stage's release) and the people living within the
 * focal radius of the hazards completed in the period (people_within_m, summed over hazards:
 * a person near two hazards counts twice). cp_landcover_sdg tags classes to the Sustainable
 * Development Goal they serve. */
#ifndef CLEARPLAN_EVIDENCE_H
#define CLEARPLAN_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/plan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Monte Carlo of the plan ---- */

typedef struct {
    const cp_uncertainty *u; /* the ranges; NULL or none given: every sample is the plan */
    size_t samples;          /* >= 1 */
    uint64_t seed;
    int threads; /* 0: OpenMP default */
} cp_mc_options;

/* What one sample's team schedule says. */
typedef struct {
    int met, complete;
    double t_completion; /* days from the start; INFINITY when incomplete */
    cp_date completion;  /* when complete */
    double remaining_m2; /* at the end of the deadline day */
    int teams_needed;    /* -1: no count */
    double cost_usd;     /* scheduled */
    double availability; /* the factors drawn, for the record */
    double productivity; /* the factor of the "other" class */
    double team_day_usd;
} cp_mc_sample;

/* One region's results over the samples. */
typedef struct {
    double p_met;
    double completion_p[3]; /* P10, P50, P90 of the completion, days from the start (INF) */
} cp_mc_region;

enum { CP_MC_P10 = 0, CP_MC_P50 = 1, CP_MC_P90 = 2 };

typedef struct cp_plan_mc {
    size_t nsamples;
    uint64_t seed;
    int distribution;
    cp_date start, deadline;
    cp_mc_sample *samples;
    double p_met;             /* share of samples meeting the deadline */
    double completion_p[3];   /* P10, P50, P90 of the completion, days from start; INFINITY: a
                                 quantile falls on samples whose work does not fit the calendar */
    double remaining_p[3];    /* of the remaining area at the deadline, m2 */
    double cost_p[3];         /* of the scheduled cost, US$ */
    int teams_p80, teams_p95; /* counts that suffice in 80% / 95% of the samples; -1 none */
    /* the fan chart: remaining area at the end of each quarter from the start */
    size_t nfan;
    cp_date *fan_date;     /* last day of each quarter */
    double *fan_p[5];      /* P5, P10, P50, P90, P95 of the remaining area, m2 */
    cp_mc_region *regions; /* like the plan's pools */
    size_t nregions;
    char **region_names;
} cp_plan_mc;

/* Runs the samples (in parallel) and summarises them. Arguments as cp_plan_compute's (the
 * options' sweep and baselines are not used per sample). On success *out owns the result
 * (cp_plan_mc_free). A sample that fails stops the run with its detail message. */
CP_API cp_status cp_plan_montecarlo(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                                    const cp_cost *cost, const cp_plan_rules *rules,
                                    const cp_plan_options *opts, const cp_mc_options *mo,
                                    cp_plan_mc **out);
CP_API void cp_plan_mc_free(cp_plan_mc *mc);

/* The Monte Carlo in parts, for samples dealt to processes (an MPI job, DESIGN §16):
 * cp_plan_mc_part runs samples [first, end) of mo->samples with the arguments of
 * cp_plan_montecarlo and packs what the summaries need into *bytes (malloc'd, *nbytes long;
 * the layout of this build, not a file format). The parts of samples 0 .. samples - 1
 * concatenated in sample order give cp_plan_mc_assemble the result cp_plan_montecarlo gives,
 * bit for bit (tested). CP_E_ARG when the bytes are not those samples. */
CP_API cp_status cp_plan_mc_part(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                                 const cp_cost *cost, const cp_plan_rules *rules,
                                 const cp_plan_options *opts, const cp_mc_options *mo, size_t first,
                                 size_t end, void **bytes, size_t *nbytes);
CP_API cp_status cp_plan_mc_assemble(const cp_capacity *cap, const cp_mc_options *mo,
                                     const void *bytes, size_t nbytes, cp_plan_mc **out);

/* ---- rank robustness ---- */

typedef struct {
    size_t ncriteria;
    const char *const *names; /* criterion names (for messages) */
    const double *weights;    /* the plan's weights, >= 0, not all 0 */
    /* benefit components per plan item, [item input_index * ncriteria + k], >= 0 */
    const double *components;
    size_t ncomponents_rows; /* rows of components: the plan's ninput */
    const cp_uncertainty *u; /* weights / weight_concentration; distribution */
    const cp_plan_rules *rules;
    size_t samples; /* >= 1 */
    uint64_t seed;
    int threads;
    /* Samples dealt to processes (an MPI job): with `part`, this process ranks samples
     * [first, end) only (every sample's weights are still drawn, for their quantiles), and
     * `combine`, when not NULL, is called once, on every path after the
     * options were checked, with this process's status and its counts: the histogram of
     * ranks and the first-year counts, `ncounts` whole numbers; it sums them over the
     * processes in place (exact in any order) and returns the status they agree on. The
     * result is then the whole run's, bit for bit (tested). */
    int part;
    size_t first, end;
    cp_status (*combine)(void *arg, cp_status st, uint32_t *counts, size_t ncounts);
    void *combine_arg;
} cp_rank_options;

typedef struct {
    size_t rank;              /* the plan's */
    size_t rank_p5, rank_p95; /* widened outwards to whole bins (see above) */
    size_t rank_p50;          /* the median's bin's middle */
    double p_first_year;
    int first_year; /* the deterministic schedule starts it in the first calendar year */
    int robust;     /* p_first_year >= 0.9 or <= 0.1 */
} cp_rank_item;

typedef struct cp_rank_robustness {
    size_t nitems; /* the plan's items, in plan order */
    cp_rank_item *items;
    size_t samples;
    uint64_t seed;
    size_t bin_width; /* ranks per histogram bin (1: exact) */
    size_t nrobust;
    size_t ncriteria;
    double *weight_p[3]; /* P5, P50, P95 of each criterion's weight share (w / sum w) */
} cp_rank_robustness;

/* Samples the weights and ranks the plan's hazards under each. CP_E_ARG on bad components
 * (negative or not finite), CP_E_CONFIG on bad weights. */
CP_API cp_status cp_rank_robustness_compute(const cp_plan *plan, const cp_rank_options *o,
                                            cp_rank_robustness **out);
CP_API void cp_rank_robustness_free(cp_rank_robustness *r);

/* ---- new contamination ---- */

/* A Poisson regression of yearly counts: log(mean count) = a + b (year - centre), fitted by
 * Newton's method; the covariance is scaled by the Pearson dispersion (at least 1). With fewer
 * than three years, or no count in the first or the last half of them, the model is the mean
 * alone (`constant`: b = 0, var_b = 0). */
typedef struct {
    int year0, nyears; /* the years fitted */
    double centre;     /* the year at which x = 0 */
    double a, b;       /* log mean at the centre (-inf: no count at all); log growth per year */
    double var_a, cov_ab, var_b;
    double dispersion;
    double total; /* the counts fitted */
    int constant;
} cp_trend;

CP_API cp_status cp_trend_fit(const double *counts, int nyears, int year0, cp_trend *out);
/* The fitted mean count in a year. */
CP_API double cp_trend_mean(const cp_trend *t, int year);

typedef struct {
    size_t nregions; /* 0: one, "all" */
    const char *const *region_names;
    const double *counts; /* [region * nfit + i]: reports in year fit_year0 + i */
    int fit_year0, nfit;
    int year0, nyears; /* the years projected */
    double area_per_report_m2;
    size_t samples; /* draws of the projection */
    uint64_t seed;
} cp_contamination_input;

/* The projection: per region and year, and for the country, the P10 / P50 / P90 of the new
 * reports and the new hazard area (reports x area per report); each (sample, region) draws
 * the trend's parameters and the year's counts from its own random stream. */
typedef struct cp_contamination {
    size_t nregions;
    char **region_names;
    cp_trend *trend; /* per region */
    int year0, nyears;
    double area_per_report_m2;
    size_t samples;
    uint64_t seed;
    double *count_p[3], *area_p[3]; /* [region * nyears + year] */
    double *total_area_p[3];        /* [year]: the country's (the sum of the regions' draws) */
    /* set by the run: the capacity set aside (capacity.reserve) */
    cp_year_share *reserve;
    double *reserve_team_days; /* per projected year */
    size_t nreserve;
    double team_days_per_m2; /* the effort a new hazard's m2 needs */
    double reserve_quantile; /* the projection reserved for */
    int area_fitted;         /* area_per_report_m2 from hazards linked to reports */
    size_t reports_linked, hazards_linked;
} cp_contamination;

CP_API cp_status cp_contamination_project(const cp_contamination_input *in, cp_contamination **out);
CP_API void cp_contamination_free(cp_contamination *c);

/* ---- cost calibration from completion records ---- */

/* One completed task: its stage (CP_METHOD_CANCEL for non-technical survey, _REDUCE for
 * technical survey, _CLEAR for clearance), the team-days it took and its cells. */
typedef struct {
    int method;
    double team_days; /* > 0 */
    size_t first_cell, ncells;
} cp_calib_record;

/* A grid cell under a task: its covered area, land-cover class (an index into the classes;
 * nclasses: another class or nodata), tree cover (NAN: none) and whether its report density
 * exceeds the cost section's improvised_threshold. */
typedef struct {
    double m2;
    int cls;
    float treecover;
    unsigned char improvised;
} cp_calib_cell;

typedef struct {
    const cp_calib_record *records;
    size_t nrecords;
    const cp_calib_cell *cells;
    const int *classes; /* land-cover codes */
    size_t nclasses;
    const cp_cost *prior; /* starting values; what the records cannot tell keeps them */
    int folds;            /* cross-validation folds; 0: 5 */
} cp_calib_input;

typedef struct {
    char name[48]; /* productivity_<code>, productivity_default, treecover_slowdown, ... */
    int code;      /* the class's code, -1 otherwise */
    double estimate, lo, hi; /* 95 % interval */
    double prior;
    int fitted; /* 0: too little evidence, kept at the prior */
    size_t records;
} cp_calib_param;

/* The fit (DESIGN §16). Clearance: log(team-days) = log(sum over the task's cells of
 * m2 / (productivity(class) x (1 - treecover_slowdown x treecover / 100) x (improvised_slowdown
 * where the density exceeds the threshold))) + error, fitted by Huber-weighted least squares
 * of the log residuals (iteratively reweighted Gauss-Newton with Levenberg damping; Huber's
 * k = 1.345 robust standard deviations, from the residuals' median absolute deviation); 95 %
 * intervals from the weighted Jacobian at the fit (log scale for productivities). A class is
 * fitted when clearance tasks hold at least 2 % of their area in it and 3 tasks touch it
 * (others take the default productivity, fitted as the "other" class when it has that much);
 * the slowdowns when tree cover varies (a standard deviation of 5 points) and 2-98 % of the
 * area is improvised. Surveys: m2 per team-day as the Huber location of log(area /
 * team-days). Cross-validation: records dealt to `folds` folds in order, each predicted by the
 * fit of the others; the root mean square and the median absolute percentage of the errors. */
typedef struct cp_calib_fit {
    cp_calib_param *params;
    size_t nparams;
    size_t nrecords, nclearance, nnts, nts;
    double sigma_log; /* robust standard deviation of the clearance log residuals */
    double cv_rmse_log, cv_median_ape;
    int folds, iterations, converged;
    double *predicted; /* team-days per record, from the fit */
    cp_cost cost;      /* the prior with the fitted figures (its class table owned here) */
} cp_calib_fit;

CP_API cp_status cp_calib_fit_compute(const cp_calib_input *in, cp_calib_fit **out);
CP_API void cp_calib_fit_free(cp_calib_fit *f);

/* ---- the evidence of a run or a re-plan (engine: computed, written, reported) ---- */

/* What cp_evidence_compute needs besides the plan: the planner's inputs again (the Monte
 * Carlo re-plans them) and, for the rank robustness, the criteria and each hazard's benefit
 * components. */
typedef struct {
    const cp_hazard *hazards; /* as given to cp_plan_compute */
    size_t n;
    const cp_capacity *cap;
    const cp_cost *cost;
    const cp_plan_rules *rules;
    const cp_plan_options *opts;
    const cp_uncertainty *u; /* the scenario's section (NULL: none) */
    size_t samples;          /* 0: no evidence */
    uint64_t seed;
    int threads;
    size_t ncriteria; /* 0: no rank robustness */
    const char *const *criteria;
    const double *weights;
    const double *components;        /* [input index * ncriteria + k]; NULL: none */
    cp_contamination *contamination; /* the run's projection, or NULL: cp_evidence_compute
                                        takes it (into the evidence, or frees it on failure) */
} cp_evidence_request;

typedef struct cp_evidence {
    cp_plan_mc *mc;                  /* NULL: no Monte Carlo */
    cp_rank_robustness *ranks;       /* NULL: the weights are not uncertain or no components */
    cp_contamination *contamination; /* NULL: none projected */
    char **criteria;                 /* the criteria of ranks */
    size_t ncriteria;
} cp_evidence;

/* The Monte Carlo (when rq->samples > 0) and the rank robustness (when the weights are
 * uncertain, uncertainty.weights or weight_concentration, and the hazards have benefit
 * components), with the projection of new contamination. *out is NULL when there is
 * nothing. */
CP_API cp_status cp_evidence_compute(const cp_plan *plan, const cp_evidence_request *rq,
                                     cp_evidence **out);
CP_API void cp_evidence_free(cp_evidence *ev);

/* montecarlo.csv (one row per sample), burndown_fan.csv (the fan chart's quantiles per
 * quarter, with the plan's own remaining area) and rank_robustness.csv (one row per hazard,
 * in plan order) into `dir`, for the parts ev has. */
CP_API cp_status cp_evidence_write(const cp_plan *plan, const cp_evidence *ev, const char *dir);

/* The plan's summary with the evidence (cp_plan_summary_json plus "uncertainty" and
 * "rank_robustness"). */
CP_API cp_status cp_plan_summary_json_with(const cp_plan *plan, const cp_evidence *ev, char **out);

/* A safe file name part for a region name from the data: lower-case letters, digits, '-' and
 * '_' (others become '_'), at most 48 characters, with the name's FNV-1a hash appended when
 * anything was changed (so that two names never share a file). buf holds at least 64. */
CP_API const char *cp_region_slug(const char *name, char buf[64]);

/* ---- development outcomes ---- */

/* The Sustainable Development Goal a land-cover class (ESA WorldCover code) serves when it is
 * released: 2 (zero hunger) for cropland and grassland, 11 (sustainable cities) for built-up
 * land, 15 (life on land) for tree cover, shrubland, moss and bare land, 6 (clean water) for
 * water and wetland, 14 (life below water) for mangroves; 0 for other codes. People living
 * near released land count for SDG 16 (peace: fewer deaths and injuries, target 16.1). */
CP_API int cp_landcover_sdg(int code);
/* "cropland", "built-up", ...; NULL for an unknown code. */
CP_API const char *cp_landcover_name(int code);
/* "Zero hunger", ...; NULL for a goal not used here. */
CP_API const char *cp_sdg_name(int sdg);

#ifdef __cplusplus
}
#endif

#endif
