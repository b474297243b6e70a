/* The whole pipeline (DESIGN §3): scenario -> grid -> inputs -> criteria -> priority ->
 * hazard metrics -> cost -> plan -> outputs.
 *
 * Rasters are processed in strips of rows with a halo (GRASS r.resamp.stats style): a serial
 * loop reads each strip's inputs from warped VRTs, the kernels compute the criteria and the
 * priority in parallel, the hazards that touch the strip accumulate their metrics in
 * parallel over hazards, and the strip is written out serially. Every accumulation runs in a
 * fixed order — row partials in column order, added to the hazard's totals in row order — so
 * the results are bit-identical for any thread count, strip height or memory budget. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_MONOTONIC under -std=c11 (clang) */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_utils.h>

#include <clearplan/clearplan.h>
#include <clearplan/describe.h>
#include <clearplan/evidence.h>
#include <clearplan/output.h>
#include <clearplan/plan.h>

#include "cpk/density.h"
#include "cpk/edt.h"
#include "cpk/focal.h"
#include "cpk/overlay.h"
#include "contamination.h"
#include "cpk/zonal.h"
#include "engine.h"
#include "error.h"
#include "inputs.h"
#include "ranks.h"
#include "strips.h"
#include "cog.h"
#include "textbuf.h"
#include "styles.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* A raster input read strip by strip: its rows in the strip engine's window. */
typedef struct {
    const cp_input *in;
    cp_grid_input *gi;
    int64_t halo;       /* rows below the strip (and above it but for carried inputs) */
    int carried;        /* a criterion reading it carries its state from strip to strip */
    int64_t halo_above; /* rows above a strip after the first, when carried */
    float *buf;         /* the window's rows lo .. lo + nrows (set for each strip) */
    int64_t lo, nrows;
    double valid_cells; /* non-nodata cells of the grid, for the coverage report */
} raster_layer;

/* Zonal bands of the hazards. */
enum { B_PRIORITY, B_TREECOVER, B_DENSITY, B_INVPROD, B_LANDCOVER, NBANDS };

static const char *const stage_names[] = {"grid", "hazards", "inputs", "rasters",
                                          "maps", "plan",    "outputs"};
enum { ST_GRID, ST_HAZARDS, ST_INPUTS, ST_RASTERS, ST_MAPS, ST_PLAN, ST_OUTPUTS, NSTAGES };

typedef struct {
    const cp_scenario *sc;
    const cp_run_options *opts;
    int threads;
    cp_grid grid;
    cp_hazard_set hs;
    raster_layer *layers;
    size_t nlayers;
    raster_layer *pop, *lc, *tc;
    cp_points *points;     /* per criterion (density kinds), else empty */
    cp_features *features; /* per criterion (distance from vector features), else empty */
    float **vbuf;          /* per such criterion: its strip plus halo, burnt sources */
    int64_t *vhalo;
    float **carry;      /* per criterion of a kind that carries: its state (nx floats) */
    int64_t *carry_row; /* the row the carried state is at (-1: none yet) */
    cpk_workspace *ws;  /* per criterion: its kernel's scratch, kept from strip to strip */
    size_t *points_skipped;
    int density_crit; /* criterion whose raw density drives cost and metrics; -1 none */
    double buffer_m;
    float class_values[CP_MAX_CLASSES]; /* land-cover classes reported, ascending */
    int nclasses;
    float *prod_by_class;        /* 256 entries: m2 per team-day */
    cpk_polygon *polys, *bpolys; /* hazards, and hazards grown by buffer_m */
    cpk_window *wins, *bwins;
    cpk_zonal_acc *acc;      /* n x nb: the bands above, then each criterion's score */
    cpk_zonal_acc *bacc;     /* n: population within */
    size_t nk;               /* criteria whose scores are summed (benefit components): 0 or all */
    size_t nb;               /* bands per hazard in acc: NBANDS + nk (one coverage for all) */
    cp_ranks_zonal za, zb;   /* acc and bacc summed over the ranks as one process does */
    double *class_weight;    /* n x (nclasses + 1) */
    cp_aoi aoi;              /* grid.aoi's polygons; nrings == 0 when the AOI is the grid */
    double stage_s[NSTAGES]; /* when each stage ended (monotonic seconds) */
    size_t memory_bytes;
    int64_t strip_rows;
    const cp_ranks *ranks;         /* the job's ranks (a job of one without MPI) */
    cp_file_job *map_sums[2];      /* priority.tif's and priority_class.tif's checksums, taken
                                      while the other maps, the plan and outputs are written */
    struct maps_job *maps;         /* rank 0's maps, written while the plan is made (NULL: none) */
    double plan_t0;                /* when the plan began (the maps may still be written) */
    cp_file_job *removals[2 + 64]; /* the raw maps' removals (the national priority map's
                                      5.4 GB: a second or more of the disk's discards) while
                                      the plan and outputs are written; ended before the
                                      folder is published or removed */
} run_ctx;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int progress(const cp_run_options *o, double f, const char *msg) {
    return o->progress ? o->progress(f, msg, o->progress_arg) : 1;
}

/* The maps written on a thread of their own (rank 0, with two threads or more) while the
 * plan, its evidence and plan.gpkg are made: the plan is mostly serial, and the COGs' tiles
 * are compressed on whatever the plan leaves of the cores (engine/io/cogtiff.c). Only the run's
 * own thread calls the caller's progress function: the maps leave their fraction here and
 * read here whether to stop. */
typedef struct maps_job {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct raster_pass *rp; /* the raster pass's maps, owned by the job */
    const char *tmpdir;
    double f;    /* the maps' progress, 0 .. 1 */
    int stop;    /* stop writing: the run was interrupted or failed */
    int done;    /* the thread is about to end */
    double t1;   /* when the maps were written */
    cp_status s; /* and how */
    char msg[2048];
} maps_job;

/* The maps' progress: the caller's function, or the job's fraction when the maps are written
 * on a thread of their own. 0: stop. */
static int maps_progress(const struct raster_pass *rp, double f);

/* Maps the progress of one COG write into the "writing priority maps" stage. */
typedef struct {
    const struct raster_pass *rp;
    double base, span;
    int stopped; /* the progress asked to stop: GDAL's failure is an interruption */
} cog_progress_arg;

static int cog_progress(double f, const char *msg, void *arg) {
    (void)msg;
    cog_progress_arg *a = arg;
    a->stopped |= !maps_progress(a->rp, a->base + a->span * f);
    return !a->stopped;
}

/* The warper's chunk: an eighth of the memory budget, 8 to 64 MB (GDAL's default). */
static size_t warp_bytes(const run_ctx *c) {
    size_t b = c->memory_bytes / 8, lo = (size_t)8 << 20, hi = (size_t)64 << 20;
    return b < lo ? lo : b > hi ? hi : b;
}

static raster_layer *layer_for(const run_ctx *c, const char *name) {
    for (size_t i = 0; i < c->nlayers; ++i)
        if (!strcmp(c->layers[i].in->name, name)) return &c->layers[i];
    return NULL;
}

/* Opens each raster input the run uses, warped onto the grid. */
static cp_status open_layers(run_ctx *c) {
    const cp_scenario *sc = c->sc;
    c->layers = calloc(sc->ninputs, sizeof *c->layers);
    if (!c->layers) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < sc->ninputs; ++i) {
        const cp_input *in = &sc->inputs[i];
        /* a raster a criterion reads, or one the cost model and the metrics read by role */
        int used = in->role == CP_ROLE_POPULATION || in->role == CP_ROLE_LANDCOVER ||
                   in->role == CP_ROLE_TREECOVER;
        for (size_t k = 0; k < sc->ncriteria; ++k)
            if (!strcmp(sc->criteria[k].input, in->name)) used = 1;
        if (!used || !strcmp(in->name, "hazards") || in->type == CP_INPUT_VECTOR) continue;
        raster_layer *l = &c->layers[c->nlayers];
        l->in = in;
        cp_status s = cp_grid_input_open(in, &c->grid, c->threads, warp_bytes(c), &l->gi);
        if (s) return s;
        c->nlayers++;
        for (size_t k = 0; k < sc->ncriteria; ++k) { /* the largest halo of its criteria */
            const cp_criterion *cr = &sc->criteria[k];
            if (strcmp(cr->input, in->name)) continue;
            const cp_kind *kind = cp_kind_of(cr);
            int64_t h = kind->halo_rows(cr, c->grid.geo.dy);
            if (h > l->halo) l->halo = h;
            if (kind->carries)
                l->carried = 1;
            else if (h > l->halo_above)
                l->halo_above = h;
        }
    }
    const cp_input *role[CP_NROLES];
    for (int r = 0; r < CP_NROLES; ++r) role[r] = cp_scenario_role(sc, (cp_input_role)r);
    c->pop = role[CP_ROLE_POPULATION] ? layer_for(c, role[CP_ROLE_POPULATION]->name) : NULL;
    c->lc = role[CP_ROLE_LANDCOVER] ? layer_for(c, role[CP_ROLE_LANDCOVER]->name) : NULL;
    c->tc = role[CP_ROLE_TREECOVER] ? layer_for(c, role[CP_ROLE_TREECOVER]->name) : NULL;
    /* Points of density criteria. */
    c->points = calloc(sc->ncriteria, sizeof *c->points);
    c->points_skipped = calloc(sc->ncriteria, sizeof *c->points_skipped);
    c->features = calloc(sc->ncriteria, sizeof *c->features);
    c->vbuf = calloc(sc->ncriteria, sizeof *c->vbuf);
    c->vhalo = calloc(sc->ncriteria, sizeof *c->vhalo);
    c->carry = calloc(sc->ncriteria, sizeof *c->carry);
    c->carry_row = calloc(sc->ncriteria, sizeof *c->carry_row);
    c->ws = calloc(sc->ncriteria, sizeof *c->ws);
    if (!c->points || !c->points_skipped || !c->features || !c->vbuf || !c->vhalo || !c->carry ||
        !c->carry_row || !c->ws)
        return cp_fail(CP_E_NOMEM, "out of memory");
    c->density_crit = -1;
    /* Vector inputs of criteria: points, or features burnt onto the grid strip by strip. */
    for (size_t k = 0; k < sc->ncriteria; ++k) {
        const cp_criterion *cr = &sc->criteria[k];
        const cp_kind *kind = cp_kind_of(cr);
        const cp_input *in = cp_scenario_input(sc, cr->input);
        if (in->type != CP_INPUT_VECTOR) continue;
        if (!(kind->inputs & CP_KIND_POINTS)) {
            cp_status s = cp_features_read(in, &c->grid, &c->features[k]);
            if (s) return s;
            c->points_skipped[k] = c->features[k].skipped;
            c->vhalo[k] = kind->halo_rows(cr, c->grid.geo.dy);
            continue;
        }
        cp_status s = cp_points_read(in, &c->grid, cr, &c->points[k], &c->points_skipped[k]);
        if (s) return s;
        /* the cost model and the metrics read the raw density of the reports */
        if (c->density_crit < 0 && in == role[CP_ROLE_REPORTS]) c->density_crit = (int)k;
    }
    /* Land-cover classes: WorldCover's, plus those the scenario names. */
    for (size_t i = 0; i < cp_nworldcover; ++i)
        c->class_values[c->nclasses++] = (float)cp_worldcover_codes[i];
    for (size_t i = 0; i < sc->cost.nproductivity && c->nclasses < CP_MAX_CLASSES; ++i) {
        float code = (float)sc->cost.productivity[i].code;
        int seen = 0;
        for (int j = 0; j < c->nclasses; ++j) seen |= c->class_values[j] == code;
        if (!seen) c->class_values[c->nclasses++] = code;
    }
    for (int i = 1; i < c->nclasses; ++i) /* ascending, as the zonal kernel wants */
        for (int j = i; j > 0 && c->class_values[j - 1] > c->class_values[j]; --j) {
            float t = c->class_values[j];
            c->class_values[j] = c->class_values[j - 1];
            c->class_values[j - 1] = t;
        }
    c->prod_by_class = malloc(256 * sizeof *c->prod_by_class);
    if (!c->prod_by_class) return cp_fail(CP_E_NOMEM, "out of memory");
    for (int i = 0; i < 256; ++i) c->prod_by_class[i] = (float)sc->cost.productivity_default_m2;
    for (size_t i = 0; i < sc->cost.nproductivity; ++i) {
        int code = sc->cost.productivity[i].code;
        if (code >= 0 && code < 256) c->prod_by_class[code] = (float)sc->cost.productivity[i].value;
    }
    return CP_OK;
}

/* Clearance team-days per m2 of one cell (DESIGN §8, the clearance part). */
static inline double inv_productivity(const run_ctx *c, float lc, float tc, float dens) {
    const cp_cost *k = &c->sc->cost;
    double prod = k->productivity_default_m2;
    if (!isnan(lc) && lc >= 0 && lc < 256) prod = c->prod_by_class[(int)lc];
    if (!isnan(tc)) {
        double t = tc < 0 ? 0 : tc > 100 ? 100 : tc;
        prod *= 1.0 - k->treecover_slowdown * t / 100.0;
    }
    if (!isnan(dens) && dens > k->improvised_threshold) prod *= k->improvised_slowdown;
    return prod > 0 ? 1.0 / prod : 0.0;
}

/* In a job of several ranks, rank 0 looks for Ctrl-C between the criteria of a strip too:
 * Open MPI kills the ranks a second after passing it on, and a loaded machine can take
 * longer than that over a strip; the outputs are removed at once (run_guard). */
static void ranks_poll(const run_ctx *c) {
    if (c->ranks->poll) c->ranks->poll(c->ranks->poll_arg);
}

/* Strip scratch owned by the loop. */
typedef struct {
    float **scores; /* per criterion, strip rows x nx */
    float *dens;    /* raw density of density_crit */
    float *priority;
    unsigned char *cls;
    float *priority2;    /* the other priority and class planes, written meanwhile by the */
    unsigned char *cls2; /* maps' writer (async_maps); NULL: none */
    float *inv;          /* clearance team-days per m2 */
    float *nan;          /* NaN plane standing for an absent input */
    float *mask;         /* 1 inside the area of interest, 0 outside */
} strip_buf;

/* The raw value of criterion k (kinds with one): the density the cost model reads in its
 * own plane, the others in the plane of their scores, which score_cells turns into scores. */
static float *raw_plane(const run_ctx *c, strip_buf *b, size_t k) {
    return (int)k == c->density_crit ? b->dens : b->scores[k];
}

/* The raw values of the strip's criteria, kind by kind over the whole strip (their
 * neighbourhoods: sums, distances, densities), each kernel over the threads. */
static cp_status raw_values(run_ctx *c, strip_buf *b, int64_t y0, int64_t h) {
    const cp_scenario *sc = c->sc;
    const cpk_geo *geo = &c->grid.geo;
    int64_t nx = geo->nx;
    cpk_status ks = CPK_OK;
    for (size_t k = 0; k < sc->ncriteria && !ks; ++k) {
        const cp_criterion *cr = &sc->criteria[k];
        const cp_kind *kind = cp_kind_of(cr);
        if (!kind->raw) continue; /* scored from the input's rows, in score_cells */
        cp_kind_strip in = {.geo = geo,
                            .y0 = y0,
                            .h = h,
                            .fill = INFINITY,
                            .carry = c->carry[k],
                            .warm = c->carry_row[k] != y0,
                            .threads = c->threads,
                            .ws = &c->ws[k]};
        const cp_points *p = &c->points[k];
        cpk_points pts = {p->x, p->y, p->w, p->n};
        if ((kind->inputs & CP_KIND_POINTS) &&
            cp_scenario_input(sc, cr->input)->type == CP_INPUT_VECTOR) { /* points */
            in.points = &pts;
        } else if (c->vbuf[k]) { /* vector features burnt into the strip and its halo */
            int64_t above = in.carry && !in.warm ? 0 : c->vhalo[k];
            int64_t lo = y0 - above > 0 ? y0 - above : 0;
            int64_t hi = y0 + h + c->vhalo[k] < geo->ny ? y0 + h + c->vhalo[k] : geo->ny;
            cp_status s = cp_features_burn(&c->features[k], &c->grid, lo, hi - lo, c->vbuf[k]);
            if (s) return s;
            in.in = (cpk_view_f32){c->vbuf[k], nx, hi - lo, nx, 0, 0};
            in.in_row0 = lo;
            in.burnt = 1;
        } else { /* a raster read onto the grid, with its halo */
            raster_layer *l = layer_for(c, cr->input);
            if (!l) return cp_fail(CP_E_INTERNAL, "criterion '%s': input not open", cr->name);
            in.in = (cpk_view_f32){l->buf, nx, l->nrows, nx, 0, 0};
            in.in_row0 = l->lo;
        }
        cpk_out_f32 out = {raw_plane(c, b, k), nx, h, nx};
        ks = kind->raw(cr, &in, &out);
        c->carry_row[k] = y0 + h;
        ranks_poll(c);
    }
    if (ks) return cp_fail(CP_E_INTERNAL, "kernel failed: %s", cpk_strerror(ks));
    return CP_OK;
}

/* The AOI's mask of the strip: cells the area of interest touches are in it; row by row over
 * the threads, each row's coverage in a row of scratch (a cell's coverage does not depend on
 * the rows around it: strips of any height give the same maps). */
static cp_status aoi_mask(run_ctx *c, strip_buf *b, int64_t y0, int64_t h) {
    const cpk_geo *geo = &c->grid.geo;
    const int64_t nx = geo->nx;
    cpk_polygon aoi = {c->aoi.xy, c->aoi.ring_offsets, c->aoi.nrings, c->aoi.part_offsets,
                       c->aoi.nparts};
    int bad = 0;
#pragma omp parallel num_threads(c->threads) reduction(| : bad)
    {
        double *frac = malloc((size_t)nx * sizeof *frac);
        bad = !frac;
#pragma omp for schedule(dynamic, 4)
        for (int64_t r = 0; r < h; ++r) {
            if (bad) continue;
            cpk_window w = {0, y0 + r, nx, 1};
            float *inside = b->mask + r * nx;
            bad |= cpk_coverage_polygon(&aoi, geo, &w, frac) != CPK_OK;
            for (int64_t j = 0; j < nx; ++j) inside[j] = frac[j] > 0 ? 1.0f : 0.0f;
        }
        free(frac);
    }
    return bad ? cp_fail(CP_E_INTERNAL, "coverage of the area of interest failed") : CP_OK;
}

/* Cells of a block of score_cells: its dozen planes' cells stay in a core's caches. */
enum { BLOCK_CELLS = 8192 };

/* Cells at .. at + n of the strip (row-major from grid row y0, the planes' layout): every
 * criterion's score from its raw value or its input's, the weighted overlay into the
 * priority (the grid is the AOI when there is none) and the clearance team-days per m2 of the
 * cost model; the inputs' covered cells counted into valid. `copy` holds the block's raw
 * values while their plane takes the scores. */
static cpk_status score_block(const run_ctx *c, strip_buf *b, int64_t y0, const float *const *src,
                              size_t at, size_t n, float *copy, int64_t *valid) {
    const cp_scenario *sc = c->sc;
    const int64_t nx = c->grid.geo.nx, w = (int64_t)n;
    cpk_status ks = CPK_OK;
    for (size_t i = 0; i < c->nlayers; ++i) {
        const raster_layer *l = &c->layers[i];
        const float *core = l->buf + (y0 - l->lo) * nx + at;
        int64_t v = 0;
        for (size_t j = 0; j < n; ++j) v += !isnan(core[j]);
        valid[i] += v;
    }
    cpk_view_f32 views[64];
    double weights[64];
    for (size_t k = 0; k < sc->ncriteria && !ks; ++k) {
        const cp_criterion *cr = &sc->criteria[k];
        const cp_kind *kind = cp_kind_of(cr);
        const float *x = src[k] ? src[k] + at : copy;
        if (!src[k]) memcpy(copy, b->scores[k] + at, n * sizeof *copy);
        cpk_view_f32 xv = {x, w, 1, w, 0, 0};
        cpk_out_f32 out = {b->scores[k] + at, w, 1, w};
        ks = kind->cells(cr, &xv, &out);
        views[k] = (cpk_view_f32){b->scores[k] + at, w, 1, w, 0, 0};
        weights[k] = cr->weight;
    }
    cpk_out_f32 pout = {b->priority + at, w, 1, w};
    cpk_view_f32 mask = {b->mask ? b->mask + at : NULL, w, 1, w, 0, 0};
    if (!ks)
        ks = cpk_overlay_weighted_f32(views, weights, sc->ncriteria, b->mask ? &mask : NULL,
                                      CPK_OVERLAY_NODATA_ZERO, NAN, &pout, 1);
    const float *lc = c->lc ? c->lc->buf + (y0 - c->lc->lo) * nx + at : NULL;
    const float *tc = c->tc ? c->tc->buf + (y0 - c->tc->lo) * nx + at : NULL;
    const float *dens = c->density_crit >= 0 ? b->dens + at : NULL;
    float *inv = b->inv + at;
    for (size_t j = 0; j < n; ++j)
        inv[j] =
            (float)inv_productivity(c, lc ? lc[j] : NAN, tc ? tc[j] : NAN, dens ? dens[j] : NAN);
    return ks;
}

/* The strip's scores, priority and clearance cost (score_block) in blocks of cells over the
 * threads, each block's planes in the caches from one step to the next: every step is per
 * cell, so blocks of any size give the same bits. */
static cp_status score_cells(run_ctx *c, strip_buf *b, int64_t y0, int64_t h) {
    if (c->sc->ncriteria > 64) return cp_fail(CP_E_CONFIG, "more than 64 criteria");
    const int64_t nx = c->grid.geo.nx;
    const size_t total = (size_t)h * (size_t)nx;
    /* where each criterion's values come from: its input's rows (kinds without a raw value),
     * the density kept for the cost model, or (NULL) its own plane, copied block by block */
    const float *src[64];
    for (size_t k = 0; k < c->sc->ncriteria; ++k) {
        const cp_criterion *cr = &c->sc->criteria[k];
        const raster_layer *l = cp_kind_of(cr)->raw ? NULL : layer_for(c, cr->input);
        src[k] = (int)k == c->density_crit ? b->dens : NULL;
        if (!cp_kind_of(cr)->raw && !l)
            return cp_fail(CP_E_INTERNAL, "criterion '%s': input not open", cr->name);
        if (l) src[k] = l->buf + (y0 - l->lo) * nx;
    }
    const int64_t nblocks = (int64_t)((total + BLOCK_CELLS - 1) / BLOCK_CELLS);
    const size_t nl = c->nlayers;
    int bad = 0, nomem = 0;
#pragma omp parallel num_threads(c->threads) reduction(| : bad, nomem)
    {
        int64_t *mine = calloc(nl + 1, sizeof *mine); /* each input's covered cells */
        float *copy = malloc(BLOCK_CELLS * sizeof *copy);
        nomem = !mine || !copy;
#pragma omp for schedule(dynamic, 1)
        for (int64_t q = 0; q < nblocks; ++q) {
            if (nomem || bad) continue;
            size_t at = (size_t)q * BLOCK_CELLS;
            size_t n = total - at < BLOCK_CELLS ? total - at : BLOCK_CELLS;
            bad |= score_block(c, b, y0, src, at, n, copy, mine) != CPK_OK;
        }
        free(copy);
        for (size_t i = 0; mine && i < nl; ++i) /* whole numbers: exact in any order */
#pragma omp atomic
            c->layers[i].valid_cells += (double)mine[i];
        free(mine);
    }
    if (nomem) return cp_fail(CP_E_NOMEM, "out of memory");
    return bad ? cp_fail(CP_E_INTERNAL, "scoring the cells failed") : CP_OK;
}

/* Accumulates the metrics of every hazard touching strip rows [y0, y0+h) with the zonal
 * kernel: bands priority, tree cover, report density, clearance team-days per m2 and land
 * cover (class shares); population over the hazards grown by the focal radius. The kernel
 * adds row partials in row order, so strips give the whole grid's sums bit for bit. */
static cp_status accumulate(run_ctx *c, strip_buf *b, int64_t y0, int64_t h) {
    const cpk_geo *geo = &c->grid.geo;
    int64_t nx = geo->nx;
    const float *lc = c->lc ? c->lc->buf + (y0 - c->lc->lo) * nx : NULL;
    const float *tc = c->tc ? c->tc->buf + (y0 - c->tc->lo) * nx : NULL;
    const float *dens = c->density_crit >= 0 ? b->dens : NULL;
    cpk_zonal_band bands[NBANDS + 64];
    memset(bands, 0, sizeof bands);
    for (size_t k = 0; k < c->nk; ++k) /* benefit components (rank robustness) */
        bands[NBANDS + k].view = (cpk_view_f32){b->scores[k], nx, h, nx, 0, 0};
    bands[B_PRIORITY].view = (cpk_view_f32){b->priority, nx, h, nx, 0, 0};
    bands[B_TREECOVER].view = (cpk_view_f32){tc ? tc : b->nan, nx, h, nx, 0, 0};
    bands[B_DENSITY].view = (cpk_view_f32){dens ? dens : b->nan, nx, h, nx, 0, 0};
    bands[B_INVPROD].view = (cpk_view_f32){b->inv, nx, h, nx, 0, 0};
    bands[B_LANDCOVER].view = (cpk_view_f32){lc ? lc : b->nan, nx, h, nx, 0, 0};
    bands[B_LANDCOVER].classes = c->class_values;
    bands[B_LANDCOVER].nclasses = c->nclasses;
    bands[B_LANDCOVER].class_weight = c->class_weight;
    cp_status s = cp_ranks_zonal_strip(&c->za, geo, y0, bands, c->threads);
    if (!s && c->pop && c->bpolys) {
        cpk_zonal_band pb = {
            {c->pop->buf + (y0 - c->pop->lo) * nx, nx, h, nx, 0, 0}, NULL, 0, NULL};
        s = cp_ranks_zonal_strip(&c->zb, geo, y0, &pb, c->threads);
    }
    return s;
}

/* ------------------------------------------------------------------ output folder ------ */

/* ------------------------------------------------------------------ the run ------------ */

static void free_strip(strip_buf *b, size_t ncrit) {
    if (b->scores)
        for (size_t k = 0; k < ncrit; ++k) free(b->scores[k]);
    free(b->scores);
    free(b->dens), free(b->priority), free(b->cls), free(b->inv), free(b->nan);
    free(b->priority2), free(b->cls2);
    free(b->mask);
}

/* Whether criterion k reads vector features burnt onto the grid strip by strip. */
static int burns(const run_ctx *c, size_t k) {
    const cp_criterion *cr = &c->sc->criteria[k];
    return cp_scenario_input(c->sc, cr->input)->type == CP_INPUT_VECTOR &&
           !(cp_kind_of(cr)->inputs & CP_KIND_POINTS);
}

/* A strip plane of NaN stands for the inputs of the hazards' metrics a scenario lacks (land
 * cover, tree cover, report density). */
static int nan_plane(const run_ctx *c) {
    return !c->lc || !c->tc || c->density_crit < 0;
}

/* The maps' raw files are files of strips wherever they can be written (little-endian hosts),
 * so that one process and N ranks write the same raw files, hence the same COGs; else tiled
 * GeoTIFFs that GDAL writes. */
static int strip_files(const run_ctx *c) {
    return CPL_IS_LSB || c->ranks->size > 1;
}

/* Whether the priority and class rows of a strip go to their files of strips from a thread of
 * their own while the next strip is scored (cp_strips_writer): with threads to spare, at the
 * cost of a second priority and class plane. */
static int async_maps(const run_ctx *c) {
    return strip_files(c) && c->threads > 1;
}

/* Rows per strip for the memory budget: what is left after GDAL's block cache, the process's
 * own working memory, the warper's chunk, the inputs' halos and the kernels' per-thread scratch,
 * divided by the bytes a strip row costs (criteria planes, which hold their raw values first,
 * priority, class, cost, and where needed density, NaN plane, AOI mask; inputs), capped where
 * taller strips only fall out of the caches (cp_strip_rows_cap). Where GDAL writes the raw maps,
 * whole rows of their 512 x 512 tiles: a tile is then written once, never flushed half-done and
 * read back. */
static int64_t strip_rows(const run_ctx *c, size_t budget) {
    size_t nx = (size_t)c->grid.geo.nx;
    size_t per_row =
        nx * (4 * c->sc->ncriteria + 9 + 4 * c->nlayers + (c->aoi.nrings ? 4 : 0) +
              (c->density_crit >= 0 ? 4 : 0) + (nan_plane(c) ? 4 : 0) + (async_maps(c) ? 5 : 0));
    size_t fixed = (size_t)GDALGetCacheMax64();
    /* the process's own working memory beside the strips: GDAL's, SQLite's and PROJ's caches,
       the libraries' data, thread arenas (massif and RSS on the demo and the national preset:
       about 60 MB beside the 36 MB of code resident) */
    fixed += budget / 8 < ((size_t)64 << 20) ? budget / 8 : (size_t)64 << 20;
    int warped = 0;
    for (size_t i = 0; i < c->nlayers; ++i) warped |= cp_grid_input_warped(c->layers[i].gi);
    if (warped) fixed += warp_bytes(c); /* GDAL's warp chunk */
    for (size_t i = 0; i < c->nlayers; ++i) {
        const raster_layer *l = &c->layers[i];
        fixed += (size_t)(l->halo + (l->carried ? l->halo_above : l->halo)) * nx * 4;
        fixed += cp_grid_input_fixed_bytes(l->gi); /* the exact resampling's corners */
    }
    for (size_t k = 0; k < c->sc->ncriteria; ++k)
        if (burns(c, k)) {     /* burnt features, with halo */
            per_row += 8 * nx; /* the buffer and GDAL's rasterisation copy */
            fixed += 4 * (size_t)c->vhalo[k] * nx * 4;
        }
    fixed += (size_t)c->threads * nx * 8 * 5;      /* prefix sums, EDT columns, AOI rows */
    fixed += (size_t)c->threads * BLOCK_CELLS * 4; /* score_cells' copies */
    /* the largest halo computed again from strip to strip: an input's (for one whose
     * criteria carry their state between strips, the others' halo), burnt features' */
    int64_t halo = 0;
    for (size_t i = 0; i < c->nlayers; ++i) {
        const raster_layer *l = &c->layers[i];
        int64_t h = l->carried ? l->halo_above : l->halo;
        halo = h > halo ? h : halo;
    }
    for (size_t k = 0; k < c->sc->ncriteria; ++k)
        if (burns(c, k) && c->vhalo[k] > halo) halo = c->vhalo[k];
    /* whole rows of the 512 x 512 tiles where GDAL writes the raw maps (create_maps); else
     * pairs of rows, each strip's own, for the maps' first overview level */
    int64_t align = strip_files(c) ? 2 : 512;
    int64_t rows = cp_strip_rows(budget, fixed, per_row, align, c->grid.geo.ny);
    rows = cp_strip_rows_cap(rows, halo, per_row, align);
    if (align == 2 && rows % 2 && rows < c->grid.geo.ny) rows = rows > 1 ? rows - 1 : 2;
    return rows;
}

/* A grid input as the strip engine's row source. */
static cp_status grid_rows(void *gi, int64_t row0, int64_t nrows, float *buf) {
    return cp_grid_input_read(gi, row0, nrows, buf);
}

/* The raster pass: what the strip function carries from strip to strip. */
typedef struct raster_pass {
    run_ctx *c;
    strip_buf b;
    cp_strip_input *inputs; /* one per raster layer */
    /* the maps: 0 priority, 1 classes, 2 + k criterion k's (criteria_maps) */
    size_t nmaps;
    char (*path)[4400]; /* their raw files */
    GDALDatasetH *raw;  /* tiled GeoTIFFs written by GDAL (no sf); rank 0: opened at the end */
    cp_strip_file *sf;  /* files of strips every rank writes into (NULL: big-endian host) */
    cp_strips_writer *writer; /* writes sf[0] and sf[1] while the next strip is scored; NULL:
                                 the strip function writes them */
    int direct;               /* sf[0] and sf[1] written with O_DIRECT (by the writer) */
    int64_t y0;               /* this rank's first row */
    double *row_sums; /* per row of the rank: sums and sums of squares of priority and class */
    struct {
        double n, sum, sumsq, min, max;
    } st[2];              /* priority and class statistics: sums folded row by row in row order */
    struct maps_job *job; /* the thread writing the maps (NULL: the caller's thread) */
} raster_pass;

/* Writes rows of map m. */
static cp_status write_map(raster_pass *rp, size_t m, int64_t y0, int64_t h, const void *buf) {
    if (rp->sf) return cp_strip_file_write(&rp->sf[m], y0, h, buf);
    return cp_raster_write_rows(rp->raw[m], rp->path[m], y0, h, rp->c->grid.geo.nx,
                                m == 1 ? GDT_Byte : GDT_Float32, buf);
}

/* Classes 1..5 (very low .. very high) of the strip's priorities, nodata 0 (the priority's
 * nodata value written in its place), and their statistics: each row's sums added cell by
 * cell in order (folded in row order later), minima, maxima and counts (exact in any order). */
static void classify(raster_pass *rp, int64_t y0, int64_t h) {
    strip_buf *b = &rp->b;
    const int64_t nx = rp->c->grid.geo.nx;
    double lo0 = rp->st[0].min, lo1 = rp->st[1].min, hi0 = rp->st[0].max, hi1 = rp->st[1].max;
    int64_t n = 0;
#pragma omp parallel for schedule(dynamic, 4) num_threads(rp->c->threads) \
    reduction(min : lo0, lo1) reduction(max : hi0, hi1) reduction(+ : n)
    for (int64_t r = 0; r < h; ++r) {
        double *rs = rp->row_sums + 4 * (y0 + r - rp->y0), *rq = rs + 2;
        for (int64_t i = 0; i < nx; ++i) {
            size_t j = (size_t)(r * nx + i);
            float p = b->priority[j];
            if (isnan(p)) {
                b->cls[j] = 0;
                b->priority[j] = -9999.0f;
                continue;
            }
            int k = (int)(p * 5.0f);
            b->cls[j] = (unsigned char)(1 + (k > 4 ? 4 : k < 0 ? 0 : k));
            double v = p, w = b->cls[j];
            rs[0] += v, rq[0] += v * v;
            rs[1] += w, rq[1] += w * w;
            lo0 = v < lo0 ? v : lo0, hi0 = v > hi0 ? v : hi0;
            lo1 = w < lo1 ? w : lo1, hi1 = w > hi1 ? w : hi1;
            n += 1;
        }
    }
    rp->st[0].min = lo0, rp->st[1].min = lo1, rp->st[0].max = hi0, rp->st[1].max = hi1;
    rp->st[0].n += (double)n;
}

/* One strip: its criteria, the priority, the hazards' metrics, the classes and statistics,
 * then the strip is written. The inputs hold the strip and their halos. */
static cp_status raster_strip(void *arg, int64_t y0, int64_t h) {
    raster_pass *rp = arg;
    run_ctx *c = rp->c;
    strip_buf *b = &rp->b;
    cp_status s;
    for (size_t i = 0; i < c->nlayers; ++i) {
        raster_layer *l = &c->layers[i];
        const cp_window *w = &rp->inputs[i].win;
        l->buf = w->buf, l->lo = w->v0, l->nrows = w->v1 - w->v0;
    }
    if ((s = raw_values(c, b, y0, h)) || (b->mask && (s = aoi_mask(c, b, y0, h))) ||
        (s = score_cells(c, b, y0, h)))
        return s;
    if ((s = accumulate(c, b, y0, h))) return s;
    ranks_poll(c);
    classify(rp, y0, h);
    if (rp->writer) { /* written while the next strip is scored into the other planes */
        const void *bufs[2] = {b->priority, b->cls};
        if ((s = cp_strips_writer_give(rp->writer, y0, h, bufs))) return s;
        float *p = b->priority;
        unsigned char *k = b->cls;
        b->priority = b->priority2, b->cls = b->cls2;
        b->priority2 = p, b->cls2 = k;
    } else if ((s = write_map(rp, 0, y0, h, b->priority)) || (s = write_map(rp, 1, y0, h, b->cls)))
        return s;
    for (size_t k = 0; k + 2 < rp->nmaps; ++k)
        if ((s = write_map(rp, 2 + k, y0, h, b->scores[k]))) return s;
    return CP_OK;
}

/* The first overview level of a map's file of strips, made as its rows are written (rank 0
 * creates it, every rank writes its own rows' pairs: strips of an even number of rows). */
static cp_status map_level(const cp_ranks *rk, cp_strip_file *f, const cp_grid *g, GDALDataType t,
                           double nodata) {
    int64_t offset = -1;
    cp_status s = rk->rank == 0 ? cp_strip_level_create(f->path, g, t, nodata, &offset) : CP_OK;
    if ((s = cp_ranks_agree(rk, s)) || (s = cp_ranks_bcast(rk, &offset, sizeof offset))) return s;
    return cp_ranks_agree(rk, cp_strip_file_open_level(f, t, nodata, offset));
}

/* The maps' raw files: files of strips that every rank (or the one process) writes its rows
 * into (rank 0 creates them), or, on a big-endian host, tiled GeoTIFFs that GDAL writes. */
static cp_status create_maps(raster_pass *rp, const char *tmpdir) {
    run_ctx *c = rp->c;
    const cp_scenario *sc = c->sc;
    const cp_ranks *rk = c->ranks;
    rp->nmaps = 2 + (sc->outputs.criteria_maps ? sc->ncriteria : 0);
    rp->path = calloc(rp->nmaps, sizeof *rp->path);
    rp->raw = calloc(rp->nmaps, sizeof *rp->raw);
    const int strips = strip_files(c);
    if (strips && (rp->sf = calloc(rp->nmaps, sizeof *rp->sf)))
        for (size_t m = 0; m < rp->nmaps; ++m) rp->sf[m].fd = -1;
    if (!rp->path || !rp->raw || (strips && !rp->sf))
        return cp_ranks_agree(rk, cp_fail(CP_E_NOMEM, "out of memory"));
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/criteria", tmpdir);
    snprintf(rp->path[0], sizeof rp->path[0], "%s/priority.strips.tif", tmpdir);
    snprintf(rp->path[1], sizeof rp->path[1], "%s/priority_class.strips.tif", tmpdir);
    for (size_t k = 0; k + 2 < rp->nmaps; ++k)
        snprintf(rp->path[2 + k], sizeof rp->path[2 + k], "%s/%s.strips.tif", dir,
                 sc->criteria[k].name);
    cp_status s = CP_OK;
    if (rp->nmaps > 2 && rk->rank == 0 && mkdir(dir, 0777) != 0)
        s = cp_fail(CP_E_IO, "cannot create <%s>: %s", dir, strerror(errno));
    if ((s = cp_ranks_agree(rk, s))) return s;
    for (size_t m = 0; m < rp->nmaps && !s; ++m) {
        GDALDataType t = m == 1 ? GDT_Byte : GDT_Float32;
        double nodata = m == 1 ? 0 : -9999.0;
        s = rp->sf ? cp_ranks_strip_file(rk, rp->path[m], &c->grid, t, nodata, &rp->sf[m])
                   : cp_raster_create(rp->path[m], &c->grid, t, nodata, &rp->raw[m]);
        if (!s && rp->sf && m < 2) s = map_level(rk, &rp->sf[m], &c->grid, t, nodata);
    }
    if (!s && rp->b.priority2) rp->writer = cp_strips_writer_start(rp->sf, 2, 1);
    rp->direct = rp->writer != NULL;
    return s;
}

/* The statistics of priority and class over the ranks: the row sums folded in row order by
 * rank 0, which gathers every rank's rows in rank order, that is row order; the counts,
 * minima, maxima and the inputs' covered cells (whole numbers) combined in any order. */
static cp_status reduce_stats(raster_pass *rp, int64_t nrows) {
    run_ctx *c = rp->c;
    void *all = NULL;
    size_t bytes = 0;
    cp_status s =
        cp_ranks_gather(c->ranks, rp->row_sums, sizeof(double) * 4 * (size_t)nrows, &all, &bytes);
    if (s) return s;
    const double *rows = all;
    for (size_t y = 0; rows && y < bytes / sizeof(double) / 4; ++y)
        for (int m = 0; m < 2; ++m)
            rp->st[m].sum += rows[4 * y + m], rp->st[m].sumsq += rows[4 * y + 2 + m];
    free(all);
    double lo[2] = {rp->st[0].min, rp->st[1].min}, hi[2] = {rp->st[0].max, rp->st[1].max};
    double *counts = calloc(c->nlayers + 1, sizeof *counts);
    if (!counts) return cp_fail(CP_E_NOMEM, "out of memory");
    counts[0] = rp->st[0].n;
    for (size_t i = 0; i < c->nlayers; ++i) counts[1 + i] = c->layers[i].valid_cells;
    if (!(s = cp_ranks_allreduce(c->ranks, lo, 2, CP_RANKS_MIN)) &&
        !(s = cp_ranks_allreduce(c->ranks, hi, 2, CP_RANKS_MAX)) &&
        !(s = cp_ranks_allreduce(c->ranks, counts, c->nlayers + 1, CP_RANKS_SUM))) {
        rp->st[0].n = counts[0];
        for (size_t i = 0; i < c->nlayers; ++i) c->layers[i].valid_cells = counts[1 + i];
        for (int m = 0; m < 2; ++m) rp->st[m].min = lo[m], rp->st[m].max = hi[m];
    }
    free(counts);
    return s;
}

/* The maps from their raw files (rank 0): colour table and class names, metadata, statistics,
 * then each as a COG. */
static cp_status finish_maps(raster_pass *rp, const char *tmpdir) {
    run_ctx *c = rp->c;
    const cp_scenario *sc = c->sc;
    char final[4400];
    cp_status s = CP_OK;
    for (size_t m = 0; rp->sf && m < rp->nmaps; ++m) { /* the files every rank wrote */
        CPLErrorReset();
        if (!(rp->raw[m] = GDALOpen(rp->path[m], GA_Update)))
            return cp_fail_gdal(CP_E_IO, "cannot open <%s>", rp->path[m]);
    }
    /* Colour table and class names of the class raster. */
    {
        GDALRasterBandH band = GDALGetRasterBand(rp->raw[1], 1);
        GDALColorTableH ct = GDALCreateColorTable(GPI_RGB);
        char *names[CP_NCLASSES + 2] = {"nodata"};
        GDALSetColorEntry(ct, 0, &(GDALColorEntry){0, 0, 0, 0});
        for (int i = 0; i < CP_NCLASSES; ++i) {
            const cp_class_style *k = &cp_priority_classes[i];
            GDALSetColorEntry(ct, i + 1, &(GDALColorEntry){k->r, k->g, k->b, 255});
            names[i + 1] = (char *)k->name;
        }
        GDALSetRasterColorTable(band, ct);
        GDALDestroyColorTable(ct);
        GDALSetRasterCategoryNames(band, names);
        for (int i = 1; i < 6; ++i) { /* also in the file itself, for tools without PAM */
            char key[16];
            snprintf(key, sizeof key, "CLASS_%d", i);
            GDALSetMetadataItem(band, key, names[i], NULL);
        }
        GDALSetDescription(band, "priority class");
        GDALSetDescription(GDALGetRasterBand(rp->raw[0], 1), "priority");
    }
    /* Metadata: scenario, weights, version. */
    {
        char weights[2048] = "";
        for (size_t k = 0; k < sc->ncriteria; ++k) {
            char item[160];
            snprintf(item, sizeof item, "%s%s=%g", k ? "," : "", sc->criteria[k].name,
                     sc->criteria[k].weight);
            strncat(weights, item, sizeof weights - strlen(weights) - 1);
        }
        for (int i = 0; i < 2; ++i) {
            GDALSetMetadataItem(rp->raw[i], "CLEARPLAN_SCENARIO", sc->name, NULL);
            GDALSetMetadataItem(rp->raw[i], "CLEARPLAN_WEIGHTS", weights, NULL);
            GDALSetMetadataItem(rp->raw[i], "CLEARPLAN_VERSION", cp_version(), NULL);
        }
    }
    c->stage_s[ST_RASTERS] = now_s();
    if (!maps_progress(rp, 0.0)) return cp_fail(CP_E_INTERRUPTED, "interrupted");
    double stats[2][4] = {{0}};
    for (int m = 0; m < 2; ++m) {
        double n = rp->st[0].n > 0 ? rp->st[0].n : 1, mean = rp->st[m].sum / n;
        double var = rp->st[m].sumsq / n - mean * mean;
        stats[m][0] = rp->st[0].n > 0 ? rp->st[m].min : 0;
        stats[m][1] = rp->st[0].n > 0 ? rp->st[m].max : 0;
        stats[m][2] = mean;
        stats[m][3] = var > 0 ? sqrt(var) : 0;
    }
    cog_progress_arg cp = {rp, 0.0, 0.8, 0};
    /* each raw file removed while the next maps, the plan and the outputs are written */
    cp_file_job **removal = c->removals;
    if (rp->nmaps > sizeof c->removals / sizeof *c->removals)
        return cp_fail(CP_E_INTERNAL, "more maps than criteria");
    for (size_t m = 0; m < rp->nmaps && !s; ++m) {
        if (m < 2)
            snprintf(final, sizeof final, "%s/%s", tmpdir,
                     m ? "priority_class.tif" : "priority.tif");
        else
            snprintf(final, sizeof final, "%s/criteria/%s.tif", tmpdir, sc->criteria[m - 2].name);
        if (m == 1) cp.base = 0.8, cp.span = 0.2;
        s = cp_cog_finish(
            rp->raw[m], rp->path[m], final, m == 1 ? "NEAREST" : "AVERAGE", m < 2 ? stats[m] : NULL,
            c->threads, m < 2 && rp->sf ? CP_COG_LEVEL1 | (rp->direct ? CP_COG_RAW_DIRECT : 0) : 0,
            m < 2 ? cog_progress : NULL, &cp, &removal[m]);
        rp->raw[m] = NULL;
        if (!s && m < 2) c->map_sums[m] = cp_checksum_start(final);
        if (s && cp.stopped) s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        if (!s && m >= 2 && !maps_progress(rp, 1.0)) s = cp_fail(CP_E_INTERRUPTED, "interrupted");
    }
    return s;
}

static int maps_progress(const raster_pass *rp, double f) {
    maps_job *j = rp->job;
    if (!j) return progress(rp->c->opts, f, "writing priority maps");
    pthread_mutex_lock(&j->mu);
    j->f = f;
    int go = !j->stop;
    pthread_mutex_unlock(&j->mu);
    return go;
}

/* The raster pass's files and buffers, closed and freed (what the maps left of them). */
static void raster_pass_release(raster_pass *rp) {
    (void)cp_strips_writer_end(rp->writer); /* a failed pass's: its error is reported already */
    rp->writer = NULL;
    for (size_t m = 0; m < rp->nmaps; ++m) {
        if (rp->raw && rp->raw[m]) GDALClose(rp->raw[m]);
        if (rp->sf) cp_strip_file_close(&rp->sf[m]);
    }
    free(rp->raw), free(rp->sf), free(rp->path), free(rp->row_sums);
    rp->raw = NULL, rp->sf = NULL, rp->path = NULL, rp->row_sums = NULL, rp->nmaps = 0;
}

static void *maps_job_run(void *arg) {
    maps_job *j = arg;
    cp_gdal_quiet_begin(); /* GDAL's handlers are per thread */
    cp_status s = finish_maps(j->rp, j->tmpdir);
    raster_pass_release(j->rp);
    cp_gdal_quiet_end();
    pthread_mutex_lock(&j->mu);
    j->s = s;
    if (s) snprintf(j->msg, sizeof j->msg, "%s", cp_errmsg());
    j->t1 = now_s();
    j->done = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* Writes the maps (rank 0): on a thread of their own when there are threads to spare (the
 * raster pass's maps are then the job's, and *rp is left empty), else here. */
static cp_status maps_start(raster_pass *rp, const char *tmpdir) {
    run_ctx *c = rp->c;
    maps_job *j = c->threads > 1 ? calloc(1, sizeof *j) : NULL;
    raster_pass *own = j ? malloc(sizeof *own) : NULL;
    if (own) {
        *own = *rp;
        own->job = j;
        j->rp = own, j->tmpdir = tmpdir;
        pthread_mutex_init(&j->mu, NULL);
        pthread_cond_init(&j->cv, NULL);
        if (pthread_create(&j->thread, NULL, maps_job_run, j) == 0) {
            c->maps = j;
            *rp = (raster_pass){.c = c};
            return CP_OK;
        }
        pthread_cond_destroy(&j->cv), pthread_mutex_destroy(&j->mu);
    }
    free(own), free(j);
    cp_status s = finish_maps(rp, tmpdir);
    c->stage_s[ST_MAPS] = now_s();
    return s;
}

/* Waits for the maps (rank 0), reporting their progress meanwhile; a stop asked through it,
 * or a run that failed already (s), stops them. Their status, or s. */
static cp_status maps_finish(run_ctx *c, cp_status s) {
    maps_job *j = c->maps;
    if (!j) return s;
    pthread_mutex_lock(&j->mu);
    while (!j->done) {
        double f = j->f;
        pthread_mutex_unlock(&j->mu);
        if (!s && !progress(c->opts, f, "writing priority maps"))
            s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        pthread_mutex_lock(&j->mu);
        if (s) j->stop = 1;
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 100000000;
        if (t.tv_nsec >= 1000000000) t.tv_sec += 1, t.tv_nsec -= 1000000000;
        if (!j->done) pthread_cond_timedwait(&j->cv, &j->mu, &t);
    }
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    if (!s && j->s) s = cp_fail(j->s, "%s", j->msg);
    if (!s && !progress(c->opts, 1.0, "writing priority maps"))
        s = cp_fail(CP_E_INTERRUPTED, "interrupted");
    c->stage_s[ST_MAPS] = j->t1;
    pthread_cond_destroy(&j->cv), pthread_mutex_destroy(&j->mu);
    free(j->rp), free(j);
    c->maps = NULL;
    return s;
}

/* The strip loop's progress, which also stops a rank's loop when another rank failed. */
typedef struct {
    const cp_run_options *opts;
    const cp_ranks *ranks;
} loop_progress_arg;

static int loop_progress(double f, const char *msg, void *arg) {
    const loop_progress_arg *a = arg;
    return !cp_ranks_peer_failed(a->ranks) && progress(a->opts, f, msg);
}

/* The raster pass over this rank's strips (all of them in a job of one), then what it summed
 * combined over the ranks, and the maps. Collective: every rank returns the same status. */
/* The strip's planes (scores, scratch, density, priority, classes, AOI), the criteria's burnt
 * features with their halos and carried rows, and the inputs of the strip loop. */
static cp_status strip_buffers(run_ctx *c, raster_pass *rp, int64_t H, int64_t nrows) {
    const cp_scenario *sc = c->sc;
    const int64_t nx = c->grid.geo.nx, ny = c->grid.geo.ny;
    const size_t plane = (size_t)H * (size_t)nx;
    strip_buf *b = &rp->b;
    b->scores = calloc(sc->ncriteria, sizeof *b->scores);
    rp->row_sums = calloc(4 * (size_t)nrows + 1, sizeof *rp->row_sums);
    if (!b->scores || !rp->row_sums) return CP_E_NOMEM;
    for (size_t k = 0; k < sc->ncriteria; ++k)
        if (!(b->scores[k] = malloc(plane * sizeof(float)))) return CP_E_NOMEM;
    b->priority = malloc(plane * sizeof(float));
    b->cls = malloc(plane);
    b->inv = malloc(plane * sizeof(float));
    if (!b->priority || !b->cls || !b->inv) return CP_E_NOMEM;
    if (async_maps(c) &&
        (!(b->priority2 = malloc(plane * sizeof(float))) || !(b->cls2 = malloc(plane))))
        return CP_E_NOMEM;
    if (c->density_crit >= 0 && !(b->dens = malloc(plane * sizeof(float)))) return CP_E_NOMEM;
    if (nan_plane(c)) {
        if (!(b->nan = malloc(plane * sizeof(float)))) return CP_E_NOMEM;
        for (size_t i = 0; i < plane; ++i) b->nan[i] = NAN;
    }
    for (size_t k = 0; k < sc->ncriteria; ++k) {
        if (burns(c, k)) {
            int64_t rows = H + 2 * c->vhalo[k] < ny ? H + 2 * c->vhalo[k] : ny;
            if (!(c->vbuf[k] = malloc((size_t)rows * (size_t)nx * sizeof(float))))
                return CP_E_NOMEM;
        }
        c->carry_row[k] = -1;
        if (cp_kind_of(&sc->criteria[k])->carries && !(c->carry[k] = malloc(nx * sizeof(float))))
            return CP_E_NOMEM;
    }
    if (c->aoi.nrings) {
        b->mask = malloc(plane * sizeof(float));
        if (!b->mask) return CP_E_NOMEM;
    }
    rp->inputs = calloc(c->nlayers ? c->nlayers : 1, sizeof *rp->inputs);
    if (!rp->inputs) return CP_E_NOMEM;
    for (size_t i = 0; i < c->nlayers; ++i)
        rp->inputs[i] = (cp_strip_input){.read = grid_rows,
                                         .src = c->layers[i].gi,
                                         .halo = c->layers[i].halo,
                                         .carried = c->layers[i].carried,
                                         .halo_above = c->layers[i].halo_above};
    return CP_OK;
}

/* Frees what strip_buffers made, before the maps are assembled (so that the COG writer's
 * memory comes in their place, not on top of them). */
static void strip_buffers_free(run_ctx *c, raster_pass *rp) {
    free_strip(&rp->b, c->sc->ncriteria);
    memset(&rp->b, 0, sizeof rp->b);
    for (size_t k = 0; c->vbuf && k < c->sc->ncriteria; ++k) free(c->vbuf[k]), c->vbuf[k] = NULL;
    for (size_t k = 0; c->carry && k < c->sc->ncriteria; ++k) free(c->carry[k]), c->carry[k] = NULL;
    for (size_t k = 0; c->ws && k < c->sc->ncriteria; ++k) cpk_workspace_free(&c->ws[k]);
    free(rp->inputs), rp->inputs = NULL;
    for (size_t i = 0; i < c->nlayers; ++i) c->layers[i].buf = NULL; /* the windows' */
}

/* The hazards' sums as one process makes them (ranks.h): the landcover band with its class
 * weights, then per-criterion bands without classes. */
static cp_status hazard_sums_begin(run_ctx *c, int64_t H) {
    cpk_zonal_band bands[NBANDS + 64];
    memset(bands, 0, sizeof bands);
    bands[B_LANDCOVER].classes = c->class_values;
    bands[B_LANDCOVER].nclasses = c->nclasses;
    bands[B_LANDCOVER].class_weight = c->class_weight;
    const int64_t n = (int64_t)c->hs.n, ny = c->grid.geo.ny;
    cp_status s = cp_ranks_zonal_init(&c->za, c->ranks, ny, H, c->polys, c->wins, n, bands,
                                      (int)c->nb, c->acc);
    if (!s && c->bacc)
        s = cp_ranks_zonal_init(&c->zb, c->ranks, ny, H, c->bpolys, c->bwins, n, bands + NBANDS, 1,
                                c->bacc);
    return s;
}

/* This process's rows y0..y1 scored strip by strip into the maps' files. */
static cp_status score_rows(run_ctx *c, raster_pass *rp, int64_t y0, int64_t y1, int64_t H) {
    const cp_ranks *rk = c->ranks;
    loop_progress_arg lp = {c->opts, rk};
    cp_strip_loop loop = {.nx = c->grid.geo.nx,
                          .ny = c->grid.geo.ny,
                          .y_begin = y0,
                          .y_end = y1,
                          .rows = H,
                          .inputs = rp->inputs,
                          .ninputs = c->nlayers,
                          .strip = raster_strip,
                          .arg = rp,
                          .progress = loop_progress,
                          .progress_arg = &lp,
                          .message = "scoring the grid",
                          .p0 = 0.0,
                          .p1 = 1.0};
    cp_status s = cp_ranks_phase_begin(rk);
    if (!s && y1 > y0) s = cp_strips_run(&loop, NULL);
    cp_status ws = cp_strips_writer_end(rp->writer); /* the last strip written */
    rp->writer = NULL;
    if (!s) s = ws;
    for (size_t m = 0; rp->sf && m < rp->nmaps; ++m) {
        cp_status cs = cp_strip_file_close(&rp->sf[m]); /* the rows are in the file for rank 0 */
        if (!s) s = cs;
    }
    return cp_ranks_phase_end(rk, s);
}

static cp_status run_rasters(run_ctx *c, const char *tmpdir, int64_t H) {
    const cp_ranks *rk = c->ranks;
    const int64_t nx = c->grid.geo.nx;
    int64_t y0, y1;
    cp_ranks_rows(c->grid.geo.ny, H, rk->size, rk->rank, &y0, &y1);
    raster_pass rp = {.c = c, .y0 = y0};
    for (int m = 0; m < 2; ++m) rp.st[m].min = INFINITY, rp.st[m].max = -INFINITY;
    cp_status s = strip_buffers(c, &rp, H, y1 - y0);
    if (s == CP_E_NOMEM)
        s = cp_fail(CP_E_NOMEM,
                    "out of memory for strips of %lld rows x %lld cells; lower --memory or the "
                    "grid",
                    (long long)H, (long long)nx);
    if (!s) s = hazard_sums_begin(c, H);
    if ((s = cp_ranks_agree(rk, s)) || (s = create_maps(&rp, tmpdir))) goto done;
    if ((s = score_rows(c, &rp, y0, y1, H))) goto done;
    if ((s = cp_ranks_zonal_reduce(&c->za)) || (c->bacc && (s = cp_ranks_zonal_reduce(&c->zb))) ||
        (s = cp_ranks_agree(rk, reduce_stats(&rp, y1 - y0))))
        goto done;
    strip_buffers_free(c, &rp);
    s = cp_ranks_agree(rk, rk->rank == 0 ? maps_start(&rp, tmpdir) : CP_OK);
done:
    raster_pass_release(&rp);
    strip_buffers_free(c, &rp);
    return s;
}

/* The metrics of hazard i as a planner record and its extra columns. */
enum { X_REPORT_DENSITY, X_TREECOVER, X_LANDCOVER_MIX, X_REPAIRED, NX_COLS };
static const cp_plan_column extra_columns[NX_COLS] = {
    {"report_density", CP_VALUE_REAL},
    {"treecover_mean", CP_VALUE_REAL},
    {"landcover_mix", CP_VALUE_TEXT},
    {"repaired", CP_VALUE_INTEGER},
};

/* The planner's class_m2 of hazard i (plan.h): each land-cover class's covered area (the
 * last: other classes and nodata), scaled by one factor so that its clearance at the cost
 * section's productivities is the hazard's exact clearance effort (the slowdowns of tree
 * cover and improvised mines spread evenly over its classes). */
static void class_areas(const run_ctx *c, size_t i, double *out) {
    const cpk_zonal_acc *a = &c->acc[i * c->nb];
    const double *cw = c->class_weight + i * (size_t)(c->nclasses + 1);
    const double dflt = c->sc->cost.productivity_default_m2;
    double inv = 0, nodata = a[B_INVPROD].weight - a[B_LANDCOVER].weight;
    for (int k = 0; k <= c->nclasses; ++k) {
        double w = cw[k] + (k == c->nclasses && nodata > 0 ? nodata : 0);
        float code = k < c->nclasses ? c->class_values[k] : -1;
        out[k] = w;
        inv += w / (code >= 0 && code < 256 ? c->prod_by_class[(int)code] : dflt);
    }
    double scale = inv > 0 ? a[B_INVPROD].sum / inv * c->grid.geo.dx * c->grid.geo.dy : 0;
    for (int k = 0; k <= c->nclasses; ++k) out[k] *= scale;
}

/* The benefit components of hazard i (clearplan/evidence.h): each criterion's coverage-
 * weighted score sum x cell ha, scaled by one factor so that sum_k w_k B_k / sum_k w_k is the
 * hazard's benefit (the priority's float rounding, cells outside the area of interest); also
 * as the extra columns benefit_<criterion>. */
static void benefit_components(const run_ctx *c, size_t i, double benefit, cp_plan_value *x,
                               double *out) {
    const cp_scenario *sc = c->sc;
    const size_t nc = sc->ncriteria;
    if (!c->nk) return;
    const double cell_ha = c->grid.geo.dx * c->grid.geo.dy / 10000.0;
    double wsum = 0, mix = 0;
    for (size_t k = 0; k < nc; ++k) {
        out[k] = c->acc[i * c->nb + NBANDS + k].sum * cell_ha;
        wsum += sc->criteria[k].weight;
        mix += sc->criteria[k].weight * out[k];
    }
    double f = mix > 0 ? benefit * wsum / mix : 0;
    for (size_t k = 0; k < nc; ++k) {
        out[k] *= f;
        x[k] = (cp_plan_value){0, out[k], 0, NULL};
    }
}

static void hazard_record(const run_ctx *c, size_t i, cp_hazard *h, cp_plan_value *x,
                          double *class_m2, char *mix, size_t mixlen, GEOSContextHandle_t gh,
                          GEOSWKBWriter *wr, unsigned char **wkb, double *comp) {
    const cp_hazard_in *hz = &c->hs.items[i];
    const cpk_zonal_acc *a = &c->acc[i * c->nb];
    const cp_cost *k = &c->sc->cost;
    double cell_m2 = c->grid.geo.dx * c->grid.geo.dy;
    double cov_cells = a[B_INVPROD].weight; /* every covered cell has a productivity */
    cp_hazard_init(h);
    h->id = hz->id;
    h->status = hz->status;
    h->region = hz->region;
    GEOSArea_r(gh, hz->geom, &h->area_m2);
    h->benefit = a[B_PRIORITY].sum * cell_m2 / 10000.0;
    double per_m2 = k->release[hz->status][CP_METHOD_CANCEL] / k->nts_m2_per_team_day +
                    k->release[hz->status][CP_METHOD_REDUCE] / k->ts_m2_per_team_day;
    h->cost_team_days = cov_cells * cell_m2 * per_m2 +
                        k->release[hz->status][CP_METHOD_CLEAR] * a[B_INVPROD].sum * cell_m2;
    h->priority_mean = a[B_PRIORITY].weight > 0 ? a[B_PRIORITY].sum / a[B_PRIORITY].weight : NAN;
    h->priority_max = a[B_PRIORITY].count > 0 ? a[B_PRIORITY].max : NAN;
    h->people_within_m = c->pop && c->bacc && hz->grown.xy ? c->bacc[i].sum : NAN;
    h->locked = hz->locked;
    h->covered_m2 = cov_cells * cell_m2;
    class_areas(c, i, class_m2);
    h->class_m2 = class_m2;
    size_t len = 0;
    *wkb = GEOSWKBWriter_write_r(gh, wr, hz->geom, &len);
    h->wkb = *wkb;
    h->wkb_len = len;
    memset(x, 0, (NX_COLS + c->nk) * sizeof *x);
    x[X_REPORT_DENSITY].real = cov_cells > 0 ? a[B_DENSITY].sum / cov_cells : 0;
    x[X_REPORT_DENSITY].is_null = c->density_crit < 0;
    x[X_TREECOVER].real =
        a[B_TREECOVER].weight > 0 ? a[B_TREECOVER].sum / a[B_TREECOVER].weight : NAN;
    x[X_TREECOVER].is_null = !(a[B_TREECOVER].weight > 0);
    mix[0] = '\0';
    const double *cw = c->class_weight + i * (size_t)(c->nclasses + 1);
    double total = a[B_LANDCOVER].weight;
    for (int j = 0; j <= c->nclasses && total > 0; ++j) {
        if (cw[j] <= 0) continue;
        char item[48];
        if (j < c->nclasses)
            snprintf(item, sizeof item, "%s%g:%.3f", mix[0] ? ";" : "", c->class_values[j],
                     cw[j] / total);
        else
            snprintf(item, sizeof item, "%sother:%.3f", mix[0] ? ";" : "", cw[j] / total);
        strncat(mix, item, mixlen - strlen(mix) - 1);
    }
    x[X_LANDCOVER_MIX].text = mix;
    x[X_LANDCOVER_MIX].is_null = !c->lc;
    x[X_REPAIRED].integer = hz->repaired;
    benefit_components(c, i, h->benefit, x + NX_COLS, comp);
    h->extra = x;
}

/* A JSON string literal (the text buffer's escapes). */
static void json_str(FILE *f, const char *s) {
    cp_textbuf t = {0};
    cp_textbuf_json(&t, s);
    if (t.data) fputs(t.data, f);
    cp_textbuf_free(&t);
}

static cp_status write_run_json(run_ctx *c, const char *tmpdir, const char *plan_json,
                                const cp_run_result *r, double t0) {
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/run.json", tmpdir);
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
    const cp_scenario *sc = c->sc;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(f, "{\n  \"clearplan\": ");
    json_str(f, cp_version());
    fprintf(f, ",\n  \"versions\": {\"gdal\": ");
    json_str(f, GDALVersionInfo("RELEASE_NAME"));
    fprintf(f, ", \"geos\": ");
    json_str(f, GEOSversion());
    fprintf(f, "},\n  \"scenario\": {\"name\": ");
    json_str(f, sc->name);
    fprintf(f, ", \"path\": ");
    json_str(f, sc->path ? sc->path : "");
    fprintf(f, ", \"criteria\": [");
    for (size_t k = 0; k < sc->ncriteria; ++k) {
        fprintf(f, "%s{\"name\": ", k ? ", " : "");
        json_str(f, sc->criteria[k].name);
        fprintf(f, ", \"kind\": \"%s\", \"input\": ", cp_kind_of(&sc->criteria[k])->name);
        json_str(f, sc->criteria[k].input);
        fprintf(f, ", \"weight\": %.17g}", sc->criteria[k].weight);
    }
    char d0[11], d1[11];
    fprintf(f, "], \"start\": \"%s\", \"deadline\": \"%s\", \"teams\": %.17g",
            cp_date_format(sc->capacity.start, d0), cp_date_format(sc->capacity.deadline, d1),
            sc->capacity.teams);
    if (sc->cost_profile.path) { /* the evidence behind the cost figures */
        fprintf(f, ", \"cost_profile\": {\"path\": ");
        json_str(f, sc->cost_profile.path);
        fprintf(f, ", \"records\": ");
        json_str(f, sc->cost_profile.records ? sc->cost_profile.records : "");
        fprintf(f, ", \"records_fnv1a64\": ");
        json_str(f, sc->cost_profile.records_fnv1a64 ? sc->cost_profile.records_fnv1a64 : "");
        fprintf(f, ", \"records_used\": %d, \"fitted_on\": ", sc->cost_profile.records_used);
        json_str(f, sc->cost_profile.fitted_on ? sc->cost_profile.fitted_on : "");
        fprintf(f, "}");
    }
    fprintf(f, "},\n");
    fprintf(f, "  \"grid\": {\"crs\": ");
    json_str(f, c->grid.crs_name);
    fprintf(
        f, ", \"nx\": %lld, \"ny\": %lld, \"cell_size_m\": %.17g, \"x0\": %.17g, \"y0\": %.17g},\n",
        (long long)c->grid.geo.nx, (long long)c->grid.geo.ny, c->grid.geo.dx, c->grid.geo.x0,
        c->grid.geo.y0);
    uint64_t bin = 0, bout = 0; /* rank 0's: what the ranks sent it, what it sent them */
    cp_ranks_traffic(c->ranks, &bin, &bout);
    fprintf(f,
            "  \"threads\": %d,\n  \"ranks\": %d,\n  \"ranks_bytes\": {\"to_rank0\": %llu, "
            "\"from_rank0\": %llu},\n  \"memory_budget_bytes\": %zu,\n  \"strip_rows\": %lld,\n",
            c->threads, c->ranks->size, (unsigned long long)bin, (unsigned long long)bout,
            c->memory_bytes, (long long)c->strip_rows);
    fprintf(f,
            "  \"hazards\": {\"input\": %zu, \"planned\": %zu, \"rejected\": %zu, \"repaired\": "
            "%zu},\n",
            r->hazards_in, r->hazards_planned, r->hazards_rejected, r->hazards_repaired);
    fprintf(f, "  \"inputs\": [");
    double cells = (double)c->grid.geo.nx * (double)c->grid.geo.ny;
    for (size_t i = 0; i < sc->ninputs; ++i) {
        const cp_input *in = &sc->inputs[i];
        char hex[65] = "";
        uint64_t size = 0;
        int ok = cp_file_sha256(in->path, hex, &size);
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_str(f, in->name);
        fprintf(f, ", \"path\": ");
        json_str(f, in->path);
        fprintf(f, ", \"bytes\": %llu, \"sha256\": \"%s\"", (unsigned long long)size,
                ok ? hex : "");
        raster_layer *l = NULL;
        for (size_t j = 0; j < c->nlayers; ++j)
            if (c->layers[j].in == in) l = &c->layers[j];
        if (l) fprintf(f, ", \"covered_share\": %.6f", l->valid_cells / cells);
        for (size_t k = 0; k < sc->ncriteria; ++k) /* also when every point was skipped */
            if (sc->criteria[k].kind == CP_CRIT_DENSITY &&
                !strcmp(sc->criteria[k].input, in->name)) {
                fprintf(f, ", \"points\": %zu, \"points_skipped\": %zu", c->points[k].n,
                        c->points_skipped[k]);
                break; /* once per input */
            }
        fputc('}', f);
    }
    /* each stage from the end of the one before, but the plan: from its start, while the maps
       may still be written on a thread of their own (the two then overlap) */
    fprintf(f, "\n  ],\n  \"timings_s\": {");
    double last = t0;
    for (int i = 0; i < NSTAGES; ++i) {
        double from = i == ST_PLAN && c->plan_t0 > 0 ? c->plan_t0 : last;
        double t = c->stage_s[i] > 0 ? c->stage_s[i] : last;
        fprintf(f, "%s\"%s\": %.3f", i ? ", " : "", stage_names[i], t - from);
        last = t > last ? t : last;
    }
    fprintf(f, ", \"total\": %.3f},\n", now_s() - t0);
    fprintf(f, "  \"peak_rss_bytes\": %lld,\n", (long long)ru.ru_maxrss * 1024LL);
    fprintf(f, "  \"outputs\": [");
    static const char *const outs[] = {
        "priority.tif",       "priority_class.tif", "priority.qml",
        "priority_class.qml", "plan.gpkg",          "plan.csv",
        "milestones.csv",     "packages.csv",       "rejected.csv",
        "report.html",        "plan.qgs",           "stac.json",
        "montecarlo.csv",     "burndown_fan.csv",   "rank_robustness.csv",
        "contamination.csv"};
    int first = 1;
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; ++i) {
        char p[4400], hex[65];
        uint64_t size = 0;
        snprintf(p, sizeof p, "%s/%s", tmpdir, outs[i]);
        cp_file_job **job = i < 2 && c->map_sums[i] ? &c->map_sums[i] : NULL; /* the maps' */
        int ok = job ? cp_file_job_finish(*job, hex, &size) : cp_file_sha256(p, hex, &size);
        if (job) *job = NULL;
        if (!ok) continue;
        fprintf(f, "%s\n    {\"file\": \"%s\", \"bytes\": %llu, \"sha256\": \"%s\"}",
                first ? "" : ",", outs[i], (unsigned long long)size, hex);
        first = 0;
    }
    fprintf(f, "\n  ],\n  \"plan\": %s\n}\n", plan_json ? plan_json : "null");
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return cp_fail(CP_E_IO, "cannot write <%s>", path);
    }
    return CP_OK;
}

/* Polygon views, windows and accumulators of the hazards for the zonal kernel. */
static cp_status prepare_zonal(run_ctx *c) {
    size_t n = c->hs.n ? c->hs.n : 1;
    c->polys = calloc(n, sizeof *c->polys);
    c->wins = calloc(n, sizeof *c->wins);
    c->nk = c->sc->ncriteria <= 64 ? c->sc->ncriteria : 0;
    c->nb = NBANDS + c->nk;
    c->acc = malloc(n * c->nb * sizeof *c->acc);
    c->class_weight = calloc(n * (size_t)(c->nclasses + 1), sizeof *c->class_weight);
    if (!c->polys || !c->wins || !c->acc || !c->class_weight)
        return cp_fail(CP_E_NOMEM, "out of memory");
    cpk_zonal_acc_init(c->acc, (int64_t)(n * c->nb));
    int buffered = c->buffer_m > 0;
    if (buffered) {
        c->bpolys = calloc(n, sizeof *c->bpolys);
        c->bwins = calloc(n, sizeof *c->bwins);
        c->bacc = malloc(n * sizeof *c->bacc);
        if (!c->bpolys || !c->bwins || !c->bacc) return cp_fail(CP_E_NOMEM, "out of memory");
        cpk_zonal_acc_init(c->bacc, (int64_t)n);
    }
    for (size_t i = 0; i < c->hs.n; ++i) {
        const cp_hazard_in *h = &c->hs.items[i];
        c->polys[i] = cp_polygon_arrays_view(&h->shape);
        c->wins[i] = h->win;
        if (buffered) {
            /* a hazard whose buffer failed keeps an empty polygon (no people counted) */
            c->bpolys[i] = cp_polygon_arrays_view(&h->grown);
            c->bwins[i] = h->gwin;
        }
    }
    return CP_OK;
}

/* The raw maps' removals, waited for before the temporary folder they work in is published or
 * removed. */
static void removals_end(run_ctx *c) {
    for (size_t m = 0; m < sizeof c->removals / sizeof *c->removals; ++m) {
        cp_file_job_finish(c->removals[m], NULL, NULL);
        c->removals[m] = NULL;
    }
}

/* The maps' checksum jobs not waited for (a failed run) and the removals: ended before the
 * temporary folder they read is removed. */
static void maps_sums_end(run_ctx *c) {
    for (int m = 0; m < 2; ++m) {
        cp_file_job_finish(c->map_sums[m], NULL, NULL);
        c->map_sums[m] = NULL;
    }
    removals_end(c);
}

static void ctx_clear(run_ctx *c) {
    maps_sums_end(c);
    for (size_t i = 0; i < c->nlayers; ++i) {
        free(c->layers[i].buf);
        cp_grid_input_close(c->layers[i].gi);
    }
    free(c->layers);
    for (size_t k = 0; c->points && k < c->sc->ncriteria; ++k) cp_points_clear(&c->points[k]);
    for (size_t k = 0; c->features && k < c->sc->ncriteria; ++k) {
        cp_features_clear(&c->features[k]);
        free(c->vbuf[k]);
    }
    for (size_t k = 0; c->carry && k < c->sc->ncriteria; ++k) free(c->carry[k]);
    free(c->features), free(c->vbuf), free(c->vhalo), free(c->carry), free(c->carry_row);
    free(c->ws);
    free(c->points);
    free(c->points_skipped);
    free(c->prod_by_class);
    free(c->acc), free(c->bacc), free(c->class_weight);
    cp_ranks_zonal_free(&c->za), cp_ranks_zonal_free(&c->zb);
    free(c->polys), free(c->bpolys), free(c->wins), free(c->bwins);
    cp_hazards_clear(&c->hs);
    cp_aoi_clear(&c->aoi);
    cp_grid_clear(&c->grid);
}

/* The plan of the scored hazards and what it points into. */
typedef struct {
    size_t n, nk, ncol;
    cp_hazard *recs;
    cp_plan_value *vals;
    double *comps; /* n x nk benefit components */
    cp_plan_column *cols;
    char (*colnames)[80];
    const char **crit_names;
    double *crit_w;
    double *class_m2;
    int classes[CP_MAX_CLASSES];
    char *mixes;
    unsigned char **wkbs;
    cp_plan_rejected *rej;
    cp_plan_options po;
    cp_capacity cap; /* the scenario's, less what new contamination takes */
    cp_contamination *contam;
    cp_plan *plan;
    cp_evidence *ev;
} planned;

static void planned_free(run_ctx *c, planned *p) {
    for (size_t i = 0; p->wkbs && i < p->n; ++i) GEOSFree_r(c->hs.geos, p->wkbs[i]);
    free(p->recs), free(p->vals), free(p->class_m2), free(p->mixes), free(p->wkbs), free(p->rej);
    free(p->comps), free(p->cols), free(p->colnames), free(p->crit_names), free(p->crit_w);
    cp_evidence_free(p->ev);
    cp_contamination_free(p->contam);
    cp_plan_free(p->plan);
}

/* The planner's records of the scored hazards (and of the rejected ones). */
static cp_status plan_records(run_ctx *c, planned *p) {
    const cp_scenario *sc = c->sc;
    const size_t n = p->n = c->hs.n, nk = p->nk = c->nk;
    const size_t ncol = p->ncol = NX_COLS + nk, ncl = (size_t)c->nclasses;
    p->recs = calloc(n ? n : 1, sizeof *p->recs);
    p->vals = calloc((n ? n : 1) * ncol, sizeof *p->vals);
    p->comps = calloc((n ? n : 1) * (nk ? nk : 1), sizeof *p->comps);
    p->cols = calloc(ncol, sizeof *p->cols);
    p->colnames = calloc(nk ? nk : 1, sizeof *p->colnames);
    p->crit_names = calloc(nk ? nk : 1, sizeof *p->crit_names);
    p->crit_w = calloc(nk ? nk : 1, sizeof *p->crit_w);
    p->class_m2 = calloc((n ? n : 1) * (ncl + 1), sizeof *p->class_m2);
    p->mixes = calloc(n ? n : 1, 256);
    p->wkbs = calloc(n ? n : 1, sizeof *p->wkbs);
    p->rej = calloc(c->hs.nrejected ? c->hs.nrejected : 1, sizeof *p->rej);
    if (!p->recs || !p->vals || !p->comps || !p->cols || !p->colnames || !p->crit_names ||
        !p->crit_w || !p->class_m2 || !p->mixes || !p->wkbs || !p->rej)
        return cp_fail(CP_E_NOMEM, "out of memory");
    memcpy(p->cols, extra_columns, sizeof extra_columns);
    for (size_t k = 0; k < nk; ++k) {
        snprintf(p->colnames[k], sizeof p->colnames[k], "benefit_%s", sc->criteria[k].name);
        p->cols[NX_COLS + k] = (cp_plan_column){p->colnames[k], CP_VALUE_REAL};
        p->crit_names[k] = sc->criteria[k].name;
        p->crit_w[k] = sc->criteria[k].weight;
    }
    /* over the threads, each with its own GEOS context and WKB writer (the geometries' WKB
     * for plan.gpkg is most of the time); the error reported is the first hazard's */
    size_t bad = n, nogeos = 0;
#pragma omp parallel num_threads(c->threads) reduction(min : bad) reduction(+ : nogeos)
    {
        GEOSContextHandle_t gh = cp_geos_init();
        GEOSWKBWriter *wr = gh ? GEOSWKBWriter_create_r(gh) : NULL;
        nogeos += !wr;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n; ++i) {
            if (!wr) continue;
            cp_hazard *h = &p->recs[i];
            hazard_record(c, i, h, &p->vals[i * ncol], p->class_m2 + i * (ncl + 1),
                          p->mixes + i * 256, 256, gh, wr, &p->wkbs[i], p->comps + i * nk);
            if (h->people_within_m < 0 && i < bad) bad = i; /* NaN (no population) passes */
        }
        if (wr) GEOSWKBWriter_destroy_r(gh, wr);
        if (gh) GEOS_finish_r(gh);
    }
    if (nogeos) return cp_fail(CP_E_NOMEM, "cannot start GEOS");
    if (bad < n)
        return cp_fail(CP_E_FORMAT,
                       "<%s>: %g people within %g m of hazard <%s>: population must be zero "
                       "or more (is a nodata value not declared?)",
                       c->pop->in->path, p->recs[bad].people_within_m, c->buffer_m,
                       p->recs[bad].id);
    for (size_t k = 0; k < ncl; ++k) p->classes[k] = (int)c->class_values[k];
    for (size_t i = 0; i < c->hs.nrejected; ++i) {
        p->rej[i].id = c->hs.rejected[i].id ? c->hs.rejected[i].id : "";
        p->rej[i].reason = c->hs.rejected[i].reason;
        p->rej[i].wkb = c->hs.rejected[i].wkb;
        p->rej[i].wkb_len = c->hs.rejected[i].wkb_len;
    }
    return CP_OK;
}

/* The plan: new contamination's projection first, for which the plan sets capacity aside (a
 * first plan gives the capacity offered per year). */
static cp_status plan_compute(run_ctx *c, planned *p) {
    const cp_scenario *sc = c->sc;
    cp_plan_options *po = &p->po;
    po->columns = p->cols;
    po->ncolumns = p->ncol;
    po->classes = p->classes;
    po->nclasses = (size_t)c->nclasses;
    po->stop = c->opts->stop_requested; /* Ctrl-C in the schedules and the Monte Carlo */
    po->stop_arg = c->opts->stop_arg;
    p->cap = sc->capacity;
    cp_status s = cp_contamination_run(sc, &c->grid, &c->hs, p->recs, &p->contam);
    if (s) return s;
    if (p->contam && sc->contamination.reserve >= 0) {
        cp_plan_options p0 = *po;
        p0.no_baselines = 1;
        cp_plan *first = NULL;
        if ((s = cp_plan_compute(p->recs, p->n, &p->cap, &sc->cost, &sc->rules, &p0, &first)))
            return s;
        s = cp_contamination_reserve(p->contam, sc, first, &p->cap);
        cp_plan_free(first);
        if (s) return s;
    }
    s = cp_plan_compute(p->recs, p->n, &p->cap, &sc->cost, &sc->rules, po, &p->plan);
    if (s == CP_E_ARG) /* a scored hazard the planner refuses: data, not usage (exit 1) */
        s = cp_fail_prefix(CP_E_FORMAT, "the scored hazards cannot be planned");
    return s;
}

/* The evidence: the Monte Carlo's samples dealt to the ranks, the rest on rank 0 (ranks.h).
 * Collective. */
static cp_status plan_evidence(run_ctx *c, planned *p) {
    const cp_scenario *sc = c->sc;
    const cp_run_options *ro = c->opts;
    cp_evidence_request rq = {p->recs,
                              p->n,
                              &p->cap,
                              &sc->cost,
                              &sc->rules,
                              &p->po,
                              &sc->uncertainty,
                              ro->samples_set ? ro->samples : (size_t)sc->uncertainty.samples,
                              ro->seed_set ? ro->seed : sc->uncertainty.seed,
                              c->threads,
                              p->nk,
                              p->crit_names,
                              p->crit_w,
                              p->nk ? p->comps : NULL,
                              p->contam};
    p->contam = NULL; /* the evidence's now */
    cp_status s = cp_evidence_compute_ranks(p->plan, &rq, c->ranks, &p->ev);
    c->stage_s[ST_PLAN] = now_s();
    return s;
}

/* The tables and the report into tmpdir (rank 0). */
/* plan.gpkg written on a thread of its own while the maps are finished and the rest of the
 * outputs written (with two threads or more): its SQLite inserts are the outputs stage's
 * longest part, and it depends only on the plan. Its error message (per thread) is kept for
 * the caller. */
typedef struct {
    pthread_t thread;
    int started;
    const cp_plan *plan;
    const char *wkt;
    const cp_plan_rejected *rejected;
    size_t nrejected;
    char path[4200];
    cp_status s;
    char msg[2048];
} gpkg_job;

static void *gpkg_job_run(void *arg) {
    gpkg_job *j = arg;
    j->s = cp_plan_write_gpkg(j->plan, j->path, j->wkt, j->rejected, j->nrejected);
    if (j->s) snprintf(j->msg, sizeof j->msg, "%s", cp_errmsg());
    return NULL;
}

/* Starts the job when there are threads to spare (j->started; else plan.gpkg is left to
 * cp_plan_write_all). */
static void gpkg_job_start(gpkg_job *j, const run_ctx *c, const planned *p, const char *tmpdir) {
    *j = (gpkg_job){
        .plan = p->plan, .wkt = c->grid.wkt, .rejected = p->rej, .nrejected = c->hs.nrejected};
    snprintf(j->path, sizeof j->path, "%s/plan.gpkg", tmpdir);
    j->started = c->threads > 1 && pthread_create(&j->thread, NULL, gpkg_job_run, j) == 0;
}

/* Waits for the job; its status, or s when s already failed. */
static cp_status gpkg_job_finish(gpkg_job *j, cp_status s) {
    if (!j->started) return s;
    pthread_join(j->thread, NULL);
    j->started = 0;
    return s ? s : j->s ? cp_fail(j->s, "%s", j->msg) : CP_OK;
}

static cp_status write_outputs(run_ctx *c, planned *p, const char *tmpdir, gpkg_job *gj,
                               cp_run_result *r, char **plan_json) {
    const cp_scenario *sc = c->sc;
    const cp_run_options *ro = c->opts;
    const cp_plan *plan = p->plan;
    cp_evidence *ev = p->ev;
    const size_t n = p->n;
    unsigned char *png = NULL;
    size_t png_len = 0;
    cp_status s = CP_OK;
    if (!progress(c->opts, 0.0, "writing plan and report")) {
        s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        goto done;
    }
    const int gpkg_apart = gj->started; /* else written with the other tables */
    char cls[4200];
    snprintf(cls, sizeof cls, "%s/priority_class.tif", tmpdir);
    if ((s = cp_thumbnail_png(cls, 480, &png, &png_len))) goto done;
    /* The report's inputs table. */
    enum { MAXE = 96 };
    cp_report_entry ent[MAXE];
    char text[MAXE][160];
    size_t ne = 0;
    double cells = (double)c->grid.geo.nx * (double)c->grid.geo.ny;
    snprintf(text[ne], 160, "%s, %lld x %lld cells of %g m", c->grid.crs_name,
             (long long)c->grid.geo.nx, (long long)c->grid.geo.ny, c->grid.geo.dx);
    ent[ne] = (cp_report_entry){"analysis grid", text[ne]}, ne++;
    snprintf(text[ne], 160, "%zu read: %zu planned, %zu rejected (%zu repaired)", c->hs.nread,
             n - plan->nexcluded, c->hs.nrejected + plan->nexcluded, c->hs.nrepaired);
    ent[ne] = (cp_report_entry){"hazards", text[ne]}, ne++;
    for (size_t i = 0; i < c->nlayers && ne < MAXE - 1; ++i) {
        snprintf(text[ne], 160, "%s (covers %.1f%% of the grid)", c->layers[i].in->path,
                 100.0 * c->layers[i].valid_cells / cells);
        ent[ne] = (cp_report_entry){c->layers[i].in->name, text[ne]}, ne++;
    }
    for (size_t k = 0; k < sc->ncriteria && ne < MAXE - 1; ++k) {
        if (c->features[k].n || c->features[k].skipped)
            snprintf(text[ne], 160, "weight %g, distance to the %zu features of %s",
                     sc->criteria[k].weight, c->features[k].n, sc->criteria[k].input);
        else if (c->points[k].n || c->points_skipped[k])
            snprintf(text[ne], 160, "weight %g, %s of %s (%zu points, %zu skipped)",
                     sc->criteria[k].weight, cp_kind_of(&sc->criteria[k])->name,
                     sc->criteria[k].input, c->points[k].n, c->points_skipped[k]);
        else
            snprintf(text[ne], 160, "weight %g, %s of %s", sc->criteria[k].weight,
                     cp_kind_of(&sc->criteria[k])->name, sc->criteria[k].input);
        ent[ne] = (cp_report_entry){sc->criteria[k].name, text[ne]}, ne++;
    }
    if (sc->cost_profile.path && ne < MAXE) {
        const cp_cost_profile *cpf = &sc->cost_profile;
        snprintf(text[ne], 160, "%s: fitted on %s from %d records of %s (median error %.0f%%)",
                 cpf->path, cpf->fitted_on ? cpf->fitted_on : "?", cpf->records_used,
                 cpf->records ? cpf->records : "?", 100 * cpf->cv_median_abs_error);
        ent[ne] = (cp_report_entry){"cost profile", text[ne]}, ne++;
    }
    cp_report_info info = {sc->name, ent, ne, png, png_len, 20, ev};
    cp_plan_outputs po2 = {c->grid.wkt, p->rej, c->hs.nrejected, &info,
                           gpkg_apart,  ev,     ro->regions,     ro->nregions};
    s = cp_plan_write_all(plan, tmpdir, &po2);
    if ((s = gpkg_job_finish(gj, s))) goto done; /* described below */
    cp_describe_info di = {sc->name, plan->start, plan->deadline, "run.json"};
    if ((s = cp_outputs_describe(tmpdir, &di))) goto done;
    if ((s = cp_plan_summary_json_with(plan, ev, plan_json))) goto done;
    r->hazards_planned = plan->nitems;
    r->hazards_rejected = c->hs.nrejected + plan->nexcluded;
    for (size_t k = 0; k < plan->nitems; ++k) {
        const cp_hazard *h = &plan->items[k].h;
        if (h->covered_m2 < h->area_m2 * (1 - 1e-6))
            r->hazards_partly_off++, r->off_grid_m2 += h->area_m2 - h->covered_m2;
    }
    for (size_t i = 0; i < c->nlayers; ++i)
        if (c->layers[i].valid_cells == 0)
            snprintf(r->empty_inputs + strlen(r->empty_inputs),
                     sizeof r->empty_inputs - strlen(r->empty_inputs), "%s%s",
                     r->empty_inputs[0] ? ", " : "", c->layers[i].in->name);
    r->total_area_m2 = plan->area_m2;
    r->total_cost_team_days = plan->team_days;
    r->total_scheduled_team_days = plan->scheduled_team_days;
    r->total_cost_usd = plan->cost_usd;
done:
    s = gpkg_job_finish(gj, s);
    free(png);
    return s;
}

cp_status cp_output_begin_for(const cp_scenario *sc, const char *dir, const cp_output_options *opts,
                              const char *const *extra, cp_output **out) {
    if (!sc || !opts) return cp_fail(CP_E_ARG, "cp_output_begin_for: no scenario or options");
    size_t nextra = 0;
    while (extra && extra[nextra]) ++nextra;
    const char **inputs = calloc(sc->ninputs + nextra + 4, sizeof *inputs);
    if (!inputs) return cp_fail(CP_E_NOMEM, "out of memory");
    size_t n = 0;
    if (sc->path) inputs[n++] = sc->path;
    for (size_t i = 0; i < sc->ninputs; ++i) inputs[n++] = sc->inputs[i].path;
    if (sc->grid.aoi) inputs[n++] = sc->grid.aoi;
    if (sc->cost_profile.path) inputs[n++] = sc->cost_profile.path;
    for (size_t i = 0; i < nextra; ++i) inputs[n++] = extra[i];
    const char *keep[] = {sc->dir, NULL};
    cp_output_options oo = *opts;
    oo.inputs = inputs;
    oo.keep_dirs = sc->dir ? keep : NULL;
    if (!dir) dir = sc->outputs.dir;
    cp_status s = out ? cp_output_begin(dir, &oo, out) : cp_output_check(dir, &oo);
    free(inputs);
    return s;
}

cp_status cp_run_output(const cp_scenario *sc, const char *dir, int overwrite, int no_sync,
                        cp_output **out) {
    cp_output_options oo = {0};
    oo.kind = CP_OUTPUT_FOLDER;
    oo.command = "run";
    oo.overwrite = overwrite;
    oo.no_sync = no_sync;
    return cp_output_begin_for(sc, dir, &oo, NULL, out);
}

/* The progress of a run over several ranks: the caller's, and on rank 0 an interruption
 * removes the outputs at once, before the other ranks are heard from. Under mpirun, Ctrl-C
 * reaches every rank as SIGTERM and Open MPI kills them a second later (its
 * odls_base_sigkill_timeout); a rank waiting for another (cp_ranks_agree) polls it too, and
 * rank 0 has a watcher thread asking the caller's stop_requested every 10 ms, since a strip can
 * take longer than that second on a loaded machine. The mutex guards rank 0's transaction. */
typedef struct {
    cp_progress_fn fn; /* the caller's */
    void *arg;
    cp_output **out; /* rank 0's transaction, or NULL */
    double last;
    int (*stop)(void *);
    void *stop_arg;
    pthread_mutex_t mu;
    pthread_t watcher;
    int watching, quit, stopped;
} run_guard;

/* Removes rank 0's outputs (once). */
static void guard_abort(run_guard *g) {
    pthread_mutex_lock(&g->mu);
    if (g->out && *g->out) {
        cp_output_abort(*g->out);
        *g->out = NULL;
    }
    g->stopped = 1;
    pthread_mutex_unlock(&g->mu);
}

static int guarded_progress(double f, const char *msg, void *arg) {
    run_guard *g = arg;
    g->last = f;
    pthread_mutex_lock(&g->mu);
    int stopped = g->stopped;
    pthread_mutex_unlock(&g->mu);
    int go = !stopped && (!g->fn || g->fn(f, msg, g->arg));
    if (!go) guard_abort(g);
    return go;
}

static void guard_poll(void *arg) {
    run_guard *g = arg;
    guarded_progress(g->last, NULL, g);
}

static void *guard_watch(void *arg) {
    run_guard *g = arg;
    for (;;) {
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
        pthread_mutex_lock(&g->mu);
        int quit = g->quit;
        pthread_mutex_unlock(&g->mu);
        if (quit) return NULL;
        if (g->stop(g->stop_arg)) {
            guard_abort(g);
            return NULL;
        }
    }
}

/* The watcher, on rank 0 of a job of several whose caller can say it wants to stop. */
static void guard_watch_start(run_guard *g) {
    if (g->out && g->stop && !pthread_create(&g->watcher, NULL, guard_watch, g)) g->watching = 1;
}

static void guard_watch_end(run_guard *g) {
    if (!g->watching) return;
    pthread_mutex_lock(&g->mu);
    g->quit = 1;
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->watcher, NULL);
    g->watching = 0;
}

/* The run, by every rank of the job (one without MPI): the phases below end in an agreement
 * (ranks.h), so that every rank leaves together with the same status. Rank 0 alone owns the
 * output transaction, plans and writes everything but the rows of the maps. */
static cp_status run_quietly(const cp_scenario *sc, const cp_run_options *opts_in,
                             cp_run_result *result) {
    if (!sc) return cp_fail(CP_E_ARG, "cp_run: no scenario");
    cp_run_options opts = {0};
    if (opts_in) opts = *opts_in;
    cp_run_result r = {0};
    run_ctx c = {0};
    c.sc = sc;
    c.opts = &opts;
    c.threads = cpk_threads(opts.threads);
    c.memory_bytes = opts.memory_bytes ? opts.memory_bytes : (size_t)CP_MEMORY_DEFAULT_MB << 20;
    char *plan_json = NULL;
    planned pl = {0};
    gpkg_job gj = {0};
    cp_output *out = NULL;
    double t0 = now_s();
    cp_ranks rk;
    cp_status s = cp_ranks_open(opts.ranks, &rk);
    if (s) return s;
    c.ranks = &rk;
    run_guard guard = {.fn = opts.progress,
                       .arg = opts.progress_arg,
                       .out = rk.rank == 0 ? &out : NULL,
                       .stop = opts.stop_requested,
                       .stop_arg = opts.stop_arg};
    pthread_mutex_init(&guard.mu, NULL);
    if (rk.size > 1) {
        opts.progress = guarded_progress, opts.progress_arg = &guard;
        rk.poll = guard_poll, rk.poll_arg = &guard;
    }
    /* the output is checked against every input before any work (DESIGN §10) */
    char tmpdir[4096] = "";
    if (rk.rank == 0 && !(s = cp_run_output(sc, opts.out_dir, opts.overwrite, opts.no_sync, &out)))
        snprintf(tmpdir, sizeof tmpdir, "%s", cp_output_path(out));
    if (rk.size > 1 && out) guard_watch_start(&guard);
    if ((s = cp_ranks_agree(&rk, s)) || (s = cp_ranks_bcast(&rk, tmpdir, sizeof tmpdir))) goto done;
    s = progress(&opts, 0.0, "reading hazards") ? CP_OK : cp_fail(CP_E_INTERRUPTED, "interrupted");
    for (size_t k = 0; k < sc->ncriteria; ++k)
        if (sc->criteria[k].kind == CP_CRIT_FOCAL_SUM && cp_scenario_role(sc, CP_ROLE_POPULATION) &&
            !strcmp(sc->criteria[k].input, cp_scenario_role(sc, CP_ROLE_POPULATION)->name)) {
            c.buffer_m = sc->criteria[k].radius_m;
            break;
        }
    /* the grid is built around the hazards' polygons: one stage (every rank reads them) */
    if (!s) s = cp_hazards_read(sc, c.buffer_m, c.threads, &c.grid, &c.hs);
    if (!s && c.hs.n == 0) /* nothing to plan: "0 hazards, deadline met" would be a lie */
        s = cp_fail(CP_E_GEOMETRY,
                    "<%s>: no usable hazard: every feature was rejected (the first, <%s>: %s); "
                    "`clearplan validate` lists them all",
                    cp_scenario_input(sc, "hazards")->path,
                    c.hs.nrejected && c.hs.rejected[0].id ? c.hs.rejected[0].id : "?",
                    c.hs.nrejected ? c.hs.rejected[0].reason : "?");
    if ((s = cp_ranks_agree(&rk, s))) goto done;
    c.stage_s[ST_GRID] = c.stage_s[ST_HAZARDS] = now_s();
    s = progress(&opts, 0.5, "reading hazards") ? CP_OK : cp_fail(CP_E_INTERRUPTED, "interrupted");
    if (!s) s = open_layers(&c);
    if (!s && sc->grid.aoi) s = cp_aoi_read(sc->grid.aoi, &c.grid, &c.aoi);
    progress(&opts, 1.0, "reading hazards");
    if (!s) s = prepare_zonal(&c);
    if ((s = cp_ranks_agree(&rk, s))) goto done;
    c.stage_s[ST_INPUTS] = now_s();
    c.strip_rows = strip_rows(&c, c.memory_bytes);
    if (rk.size > 1) {
        /* every rank a block of strips: lower strips when the budget's are too few (results
         * do not depend on the strip height), rank 0's height for all */
        int64_t per = (c.grid.geo.ny + rk.size - 1) / rk.size;
        per += strip_files(&c) && per % 2; /* pairs of rows: the maps' first overview level */
        if (per < c.strip_rows) c.strip_rows = per;
        if ((s = cp_ranks_bcast(&rk, &c.strip_rows, sizeof c.strip_rows))) goto done;
    }
    if ((s = run_rasters(&c, tmpdir, c.strip_rows))) goto done;
    c.plan_t0 = now_s();
    r.hazards_in = c.hs.nread;
    r.hazards_repaired = c.hs.nrepaired;
    /* every rank plans (the same plan) and runs its block of the Monte Carlo's samples */
    s = plan_records(&c, &pl);
    if (!s) s = plan_compute(&c, &pl);
    if (!s && rk.rank == 0) gpkg_job_start(&gj, &c, &pl, tmpdir); /* beside the evidence */
    if ((s = cp_ranks_agree(&rk, s)) || (s = cp_ranks_agree(&rk, plan_evidence(&c, &pl))))
        goto done;
    if (rk.rank == 0) {
        s = maps_finish(&c, CP_OK);
        if (!s) s = write_outputs(&c, &pl, tmpdir, &gj, &r, &plan_json);
        c.stage_s[ST_OUTPUTS] = now_s();
        if (!s && r.hazards_planned + r.hazards_rejected != r.hazards_in)
            s = cp_fail(CP_E_INTERNAL,
                        "hazard accounting failed: %zu read, %zu planned + %zu rejected",
                        r.hazards_in, r.hazards_planned, r.hazards_rejected);
        r.grid_nx = c.grid.geo.nx;
        r.grid_ny = c.grid.geo.ny;
        r.cell_size_m = c.grid.geo.dx;
        snprintf(r.grid_crs, sizeof r.grid_crs, "%s", c.grid.crs_name);
        if (!s) s = write_run_json(&c, tmpdir, plan_json, &r, t0);
        if (!s && !progress(&opts, 0.99, "writing plan and report"))
            s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        guard_watch_end(&guard); /* the transaction is this thread's alone again */
        if (!s && !out) s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        snprintf(r.out_dir, sizeof r.out_dir, "%s", out ? cp_output_final(out) : "");
        removals_end(&c);
        if (!s) {
            s = cp_output_commit(out); /* synced, then published by an atomic rename */
            out = NULL;
        }
    }
    if ((s = cp_ranks_agree(&rk, s))) goto done;
    r.seconds = now_s() - t0;
    progress(&opts, 1.0, "writing plan and report");
done:
    maps_finish(&c, s ? s : CP_E_INTERNAL); /* stopped, when a failure left them running */
    gpkg_job_finish(&gj, s);
    guard_watch_end(&guard);
    pthread_mutex_destroy(&guard.mu);
    maps_sums_end(&c);
    cp_output_abort(out);
    free(plan_json);
    planned_free(&c, &pl);
    ctx_clear(&c);
    cp_ranks_close(&rk);
    for (size_t i = 0; !s && i < sc->ninputs; ++i) /* said by cmd_run */
        if (cp_input_assume_unused(&sc->inputs[i]))
            snprintf(r.crs_kept_inputs + strlen(r.crs_kept_inputs),
                     sizeof r.crs_kept_inputs - strlen(r.crs_kept_inputs), "%s%s",
                     r.crs_kept_inputs[0] ? ", " : "", sc->inputs[i].name);
    if (!s && result) *result = r;
    return s;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_run(const cp_scenario *sc, const cp_run_options *opts_in, cp_run_result *result) {
    cp_gdal_quiet_begin();
    cp_status s = run_quietly(sc, opts_in, result);
    cp_gdal_quiet_end();
    return s;
}
