/* Internal interfaces of the planner library (engine/planner): the calendar, the capacity of
 * one schedule run, the stage jobs and the list scheduler. Not part of the API; the model
 * they implement is documented in engine/include/clearplan/plan.h. */
#ifndef CP_PLANNER_H
#define CP_PLANNER_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <clearplan/evidence.h>
#include <clearplan/plan.h>

#include "error.h"

/* ------------------------------------------------------------------ calendar ---------- */

/* Whole-day comparisons: a time within this many days of a day boundary is on it (the sums
 * of rates that produce times carry rounding of ~1e-10 day). */
#define CP_DAY_EPS 1e-6

/* Calendar years from the start year: segment k is [t0, t1) in days from the start date. */
typedef struct {
    int year;
    double t0, t1; /* days from start */
    double diy;    /* calendar days in the year */
    double rate;   /* team-days an active team works per calendar day: dpy x (1 - reserve) / diy */
    double c1;     /* team-days one always-active team has done by t0 */
} cal_seg;

typedef struct {
    cp_date start;
    double dpy; /* working days per team and year */
    size_t nseg;
    cal_seg *s;
} cal;

/* `reserve`: the capacity's shares set aside per year (NULL: none). */
cp_status cal_build(cal *c, cp_date start, int nyears, double dpy, const cp_year_share *reserve,
                    size_t nreserve);
void cal_free(cal *c);
/* The segment holding time t, clamped to the calendar. */
size_t cal_find(const cal *c, double t);
/* Segment of a calendar year, or SIZE_MAX outside the calendar. */
size_t cal_year_seg(const cal *c, int year);
/* The time an always-active team finishes w team-days started at t (INFINITY past the
 * calendar): a lower bound for every team. */
double cal_unint_finish(const cal *c, double t, double w);
/* The last day on which work ending at t is done (the start date for t <= 0), as days from
 * the start: ceil(t) - 1, whole days within CP_DAY_EPS. */
int64_t cal_last_day(double t);

/* A team of a cell works in segment s when its index within the cell is below count[s]. */
double team_next(const cal *c, const int *count, int k, double t);
double team_advance(const cal *c, const int *count, int k, double t, double w);
/* Team-days a team busy throughout [a, b) works in it. */
double team_work(const cal *c, const int *count, int k, double a, double b);

/* ------------------------------------------------------------------ capacity ---------- */

enum { CP_MAX_TYPES = 64 }; /* team types in one capacity */

/* The capacity of one schedule run: whole teams per (region, type) cell and calendar
 * segment, the yearly budget and the redeployment rule. */
typedef struct {
    int nregions, ntypes;
    int *count;     /* [cell * nseg + seg], cell = region * ntypes + type */
    int *maxc;      /* teams of each cell (the most in any segment) */
    double *budget; /* US$ per segment, NULL = no ceiling */
    int redeploy;
    double mobilisation_days;
} cap_inst;

void cap_inst_free(cap_inst *ci);

/* A team type as the planner uses it (the cost section's figures filled in). */
typedef struct {
    const char *name;
    unsigned char does[CP_NMETHOD];
    double nts_m2, ts_m2; /* survey m2 per team-day */
    double *prod;         /* clearance m2 per team-day per class of the options, then other */
    double usd;           /* per team-day */
} type_model;

/* The capacity resolved: regions, types (`ref`: the cost section's figures, which give the
 * reference efforts), the given counts and the weights of the family T(N). */
typedef struct {
    int nregions, ntypes;
    const char **region; /* names ("all" without regions) */
    type_model *types;
    type_model ref;
    size_t nclasses;
    cap_inst given;
    double *weight; /* per cell: team-years from the start to the deadline year */
} cap_model;

/* Checks the capacity and resolves it on the calendar (given counts, budget). */
cp_status cap_model_build(cap_model *m, const cp_capacity *cap, const cp_cost *cost,
                          const int *classes, size_t nclasses, const cal *c, int deadline_seg);
void cap_model_free(cap_model *m);
/* T(N): N whole teams every year, apportioned to the cells by the largest remainder in
 * proportion to `w` (ties: lower cell); budget and redeployment as in m->given. */
cp_status cap_inst_apportion(const cap_model *m, const double *w, int n, const cal *c,
                             cap_inst *out, int *alloc);

/* ------------------------------------------------------------------ jobs -------------- */

/* One stage of one hazard: a job of the chain NTS -> TS -> clearance, in plan order. */
typedef struct {
    size_t item;   /* index into cp_plan.items */
    int stage;     /* CP_METHOD_* */
    int region;    /* region index (0 without regions) */
    long prev;     /* the hazard's previous stage job, -1 for the first */
    int npk;       /* work packages (0 for a job without effort) */
    double ref_td; /* effort with the cost section's productivities */
    double min_td; /* effort of the fastest type that can do it */
    double area_m2, benefit;
} job;

/* The planning problem shared by every schedule run of one cp_plan_compute call. */
typedef struct {
    const cal *cal;
    size_t njobs;
    const job *jobs;  /* plan order: every job after the one before it in its chain */
    const double *td; /* [job * ntypes + type]: effort of the type, NAN when it cannot */
    int ntypes, nregions;
    const double *usd;         /* per type, US$ per team-day */
    const unsigned char *does; /* [type * CP_NMETHOD + stage] */
    size_t npackages;          /* sum of npk */
    const size_t *job_pk;      /* first package of each job (prefix sums of npk) */
    int (*stop)(void *arg);    /* cp_plan_options.stop */
    void *stop_arg;
} problem;

/* Scratch of one run, njobs each; reused from run to run (fresh pages cost more than the
 * work). */
typedef struct {
    double *jend;
    unsigned char *state;
    size_t *deferred;
} run_ws;

/* One package placed by a run. */
typedef struct {
    int team; /* 0-based team; -1 = not in the schedule */
    double t_start, t_end, td, usd;
} pk_place;

typedef struct {
    int met;      /* every package done by the end of the deadline day */
    int complete; /* every package in the schedule */
    double t_end; /* last end (INFINITY when incomplete) */
    int stopped;  /* the run stopped early (a package past `stop_after`) */
    /* recorded runs only */
    pk_place *pk;      /* npackages, at problem.job_pk[job] + sequence */
    double *job_start; /* per job: its first package's start (its release without packages) */
    double *job_end;   /* per job: its last package's end; INFINITY when not all scheduled */
    int *team_cell;    /* per team: its home cell */
    int *team_k;       /* per team: its index within the cell */
    int nteams;
    unsigned char *budget_binding; /* per segment: a package was postponed for lack of funds */
    size_t *postponed;             /* per segment: packages postponed out of it */
} run_out;

void run_out_free(run_out *o);

/* RUN_MET stops at the first package that ends after the deadline (enough to know that it
 * misses); RUN_END runs to the end for t_end; RUN_RECORD also keeps every placement. */
enum { RUN_MET, RUN_END, RUN_RECORD };

/* List-schedules the problem's packages in plan order onto the capacity (plan.h, "The team
 * schedule"). `t_deadline` is the end of the deadline day. */
cp_status schedule_run(const problem *pb, const cap_inst *ci, double t_deadline, int mode,
                       const run_ws *ws, run_out *out);

/* ------------------------------------------------------------------ order ------------- */

/* The sort key of a module's benefit per team-day: rounded to 41 significant bits (12
 * digits; the 52-bit fraction's low 12 bits, half up), so that ratios equal but for the
 * rounding of the sums that make them tie (and go by id) wherever they are computed: a
 * re-plan from plan.csv's 15 digits, a weight sample. Zero and infinity are kept. */
static inline double order_key(double ratio) {
    if (!(ratio > 0) || ratio == INFINITY) return ratio;
    uint64_t u;
    memcpy(&u, &ratio, sizeof u);
    u = (u + ((uint64_t)1 << 11)) & ~(((uint64_t)1 << 12) - 1); /* a carry bumps the exponent */
    memcpy(&ratio, &u, sizeof u);
    return ratio;
}

/* What orders hazards besides their figures, per input index. */
typedef struct {
    const size_t *lockpos; /* position in rules.locked, SIZE_MAX when not listed */
    const size_t *idrank;  /* rank of the id in byte order */
    size_t nids;           /* the number of ids (input hazards) */
} order_keys;

/* The plan order: rank_of[item] (0-based) and the stage jobs as (item, stage) pairs in
 * stage_seq[2 * j], [2 * j + 1]. */
cp_status order_plan(const cp_plan_item *items, size_t n, const order_keys *keys, size_t *rank_of,
                     int *stage_seq, size_t *njobs);
/* A baseline order of the hazards (CP_ORDER_PRIORITY, _SMALLEST, _INPUT), lock groups first. */
cp_status order_baseline(const cp_plan_item *items, size_t n, const order_keys *keys, int order,
                         size_t *seq);

/* ------------------------------------------------------------------ evidence ---------- */

/* Ascending order of doubles for qsort (montecarlo.c). */
int cmp_double(const void *a, const void *b);
/* The nearest-rank quantile q of v[0..n) (sorted in place): the value of rank ceil(q n). */
double nearest_rank(double *v, size_t n, double q);

/* A draw of a trend's count in `year`: its parameters from their normal approximation, the
 * count from a negative binomial with its dispersion (trend.c). */
struct cp_rng;
double trend_draw(const cp_trend *t, int year, struct cp_rng *r);

/* The weights of sample `sample` of a rank-robustness run (robust.c): w has o->ncriteria. */
void rank_weights_draw(const cp_rank_options *o, size_t sample, double *w);

#endif
