/* Internals of the synthetic scenario generator (synth*.c). Not installed. */
#ifndef CP_SYNTH_INTERNAL_H
#define CP_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/synth.h>

/* ---- counter-based randomness: every draw is a pure function of (seed, stream, keys) ---- */

static inline uint64_t syn_mix(uint64_t z) {
    /* splitmix64 finaliser */
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t syn_hash(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b) {
    return syn_mix(seed ^ syn_mix(stream ^ syn_mix(a ^ syn_mix(b))));
}

/* Uniform in [0, 1). */
static inline double syn_unit(uint64_t h) {
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static inline double syn_u(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b) {
    return syn_unit(syn_hash(seed, stream, a, b));
}

/* Streams: one per independent family of draws. */
enum {
    SYN_S_ELEV = 1,
    SYN_S_VEG = 2,
    SYN_S_RIVER = 3,
    SYN_S_DETAIL = 4,
    SYN_S_SETTLE = 10,
    SYN_S_PROV = 11,
    SYN_S_FRONT = 12,
    SYN_S_CONFLICT = 13,
    SYN_S_ROLE = 20,
    SYN_S_HAZ = 21,
    SYN_S_SHAPE = 22,
    SYN_S_REPORT = 30,
    SYN_S_RECORD = 31,
    SYN_S_ROAD = 40,
    SYN_S_NAME = 41,
    SYN_S_JITTER = 50
};

/* ---- the synthetic world: everything except the per-cell rasters ---- */

enum { SYN_MAX_PROV = 12, SYN_MAX_FRONT = 2, SYN_FRONT_PTS = 33, SYN_MAX_CLUSTERS = 4 };

typedef struct {
    double x, y;      /* analysis CRS, metres */
    double pop;       /* nominal people */
    double r_built_m; /* built-up radius */
    double r_crop_m;  /* cropland radius */
    double sigma_m;   /* population spread (Gaussian) */
    char name[40];
} syn_settlement;

typedef struct {
    cp_synth_preset preset;
    uint64_t seed;
    int epsg;       /* analysis CRS */
    int64_t nx, ny; /* analysis grid */
    double cs;      /* cell size, m */
    double x0, y1;  /* west edge, north edge */
    int nhazards, nreports;
    double hazard_area_max_m2;
    /* terrain noise */
    double wavelength_m; /* largest octave */
    int octaves;
    /* land-cover thresholds: quantiles of the fields, sampled at hashed points, so that the
     * class shares hold for any seed and extent */
    double e_lake, e_wet, e_low, e_tree, e_bare, e_river_max;
    double v_dry, v_shrub, v_patch;
    /* settlements and their bucket index */
    syn_settlement *st;
    int nst;
    double pop_settlements; /* sum of nominal settlement populations */
    double bsize_m;
    int bnx, bny;
    int *bstart; /* bnx*bny + 1 offsets into bitem */
    int *bitem;
    double reach_lc_max_m, reach_pop_max_m;
    /* provinces (Voronoi of centres) */
    int nprov;
    double prov_x[SYN_MAX_PROV], prov_y[SYN_MAX_PROV];
    const char *prov_name[SYN_MAX_PROV];
    /* former front lines */
    int nfront;
    double front[SYN_MAX_FRONT][SYN_FRONT_PTS][2];
    /* newer conflict zone: cluster centres of recent reports */
    int nclusters;
    double cluster_x[SYN_MAX_CLUSTERS], cluster_y[SYN_MAX_CLUSTERS], cluster_sigma_m;
    /* hazard outcome, filled by syn_write_hazards() */
    int prov_hazards[SYN_MAX_PROV];
    double prov_team_days[SYN_MAX_PROV]; /* rough effort estimate (synth.c), for capacity */
} syn_world;

/* Rough team-days per m2 under the DESIGN §4 default cost model, for a hazard whose
 * clearance productivity is `prod` m2 per team-day (SHA: 0.45 cancelled at 40000, 0.25
 * reduced at 2500, 0.30 cleared; CHA: 0.20 reduced, 0.80 cleared). */
#define SYN_TD_PER_M2(cha, prod) \
    ((cha) ? 0.20 / 2500 + 0.80 / (prod) : 0.45 / 40000 + 0.25 / 2500 + 0.30 / (prod))

/* Progress slice: maps a stage's 0..1 onto [lo, hi] of the whole run. */
typedef struct {
    cp_progress_fn fn;
    void *arg;
    double lo, hi;
} syn_progress;

/* Reports progress; returns 0 when the caller asked to stop. */
int syn_tick(const syn_progress *p, double frac, const char *msg);

cp_status syn_world_build(syn_world *w, const cp_synth_options *o);
void syn_world_free(syn_world *w);

/* Smooth fractal noise in about [0, 1] at analysis-CRS position (x, y). */
double syn_field(const syn_world *w, int stream, double x, double y);

/* Indices of settlements whose `reach` (0: land cover, 1: population) may touch the box.
 * Writes at most `cap`; returns how many there are (may exceed cap). */
int syn_candidates(const syn_world *w, double xmin, double ymin, double xmax, double ymax,
                   int reach, int *out, int cap);

/* Province of a position: index of the nearest province centre. */
int syn_province(const syn_world *w, double x, double y);

/* Days since 1970-01-01 -> calendar date, and back. */
void syn_civil(int64_t days, int *y, int *m, int *d);
int64_t syn_days(int y, int m, int d);

/* Writers (dir: the temporary scenario folder). */
cp_status syn_write_landcover(const syn_world *w, const char *dir, const syn_progress *p);
cp_status syn_write_population(const syn_world *w, const char *dir, const syn_progress *p,
                               double *total, int64_t *pnx, int64_t *pny, double *plon0,
                               double *plat1);

typedef struct {
    int64_t written; /* features */
    int64_t *null_fids, *empty_fids, *invalid_fids, *multi_fids, *hole_fids;
    int nnull, nempty, ninvalid, nmulti, nhole;
    char (*dup_ids)[16]; /* ids present more than once */
    int64_t (*dup_fids)[2];
    int ndup;
    int nsha, ncha;
    double area_total_m2; /* nominal area of the valid, non-empty polygons */
    double area_sha_m2, area_cha_m2;
} syn_hazard_log;

cp_status syn_write_hazards(syn_world *w, const char *dir, const syn_progress *p,
                            syn_hazard_log *hl);
void syn_hazard_log_free(syn_hazard_log *hl);
cp_status syn_write_reports(const syn_world *w, const char *dir, const syn_progress *p,
                            int *nrecent);
/* aoi.gpkg: the area of interest, the hazards' extent grown by `radius_m` (the scenario's
 * largest criterion radius) and clipped to the world the rasters cover, so that every input
 * covers the whole analysis grid. Reads hazards.gpkg, written before. */
cp_status syn_write_aoi(const syn_world *w, const char *dir, double radius_m);

/* Completion records for `clearplan calibrate` (records.gpkg): `n` rectangles on the
 * scenario's grid, a third near the recent reports' clusters; their team-days drawn from the
 * true figures below over the cells the engine's calibration reads under them, with noise.
 * Needs scenario.yaml and the inputs written. */
typedef struct {
    int n;
    int codes[8];
    double productivity[8]; /* per code; then default */
    int ncodes;
    double productivity_default, treecover_slowdown, improvised_slowdown, nts_m2, ts_m2;
    double noise_log_sd;
} syn_records;
cp_status syn_write_records(const syn_world *w, const char *dir, int n, syn_records *truth);
cp_status syn_write_settlements(const syn_world *w, const char *dir, const syn_progress *p,
                                int *nroads);

/* Fixed GeoPackage timestamp so that files are byte-identical run to run. */
#define SYN_GPKG_DATE "2026-01-01T00:00:00.000Z"

#endif
