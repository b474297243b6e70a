/* The criterion kinds (criteria.h, DESIGN §6): one descriptor each. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpk/density.h"
#include "cpk/edt.h"
#include "cpk/focal.h"
#include "cpk/overlay.h"
#include "cpk/terrain.h"
#include "criteria.h"

#define KEY_NUMBER(name, field, lo, hi, strict) \
    { name, CP_KEY_NUMBER, offsetof(cp_criterion, field), lo, hi, strict }
#define KEY(name, type, field) \
    { name, type, offsetof(cp_criterion, field), 0, 0, 0 }

/* ---- focal_sum: people (or any raster) within a disk, normalised ---- */

static void focal_defaults(cp_criterion *c, cp_date start) {
    (void)start;
    c->radius_m = 1000;
    c->normalise = CP_NORM_LOG;
    c->saturate = 2000;
}

static double focal_radius(const cp_criterion *c) {
    return c->radius_m;
}

static int64_t focal_halo(const cp_criterion *c, double dy) {
    return cpk_focal_disk_halo(dy, c->radius_m);
}

static cpk_status focal_raw(const cp_criterion *c, const cp_kind_strip *s, const cpk_out_f32 *out) {
    int64_t off = s->y0 - s->in_row0;
    if (s->ws) /* its ring of prefix rows (48 MB on the national grid) mapped once */
        return cpk_focal_sum_disk_ws_f32(&s->in, s->geo->dx, s->geo->dy, c->radius_m, off,
                                         off + s->h, out, s->threads, s->ws);
    return cpk_focal_sum_disk_f32(&s->in, s->geo->dx, s->geo->dy, c->radius_m, off, off + s->h, out,
                                  s->threads);
}

static cpk_status focal_cells(const cp_criterion *c, const cpk_view_f32 *x,
                              const cpk_out_f32 *out) {
    if (c->normalise == CP_NORM_LOG) return cpk_log_saturate_f32(x, c->saturate, 0.0f, out, 1);
    return cpk_linear_f32(x, 0, c->saturate, 1, 0, 0.0f, out, 1);
}

/* ---- distance: exp(-d / decay) to the nearest source cell or feature ---- */

static void distance_defaults(cp_criterion *c, cp_date start) {
    (void)start;
    c->source_min = 5;
    c->decay_m = 2000;
    c->max_m = 0; /* 0: 5 x decay_m, set by finish */
}

static void distance_finish(cp_criterion *c, char *why, size_t n) {
    (void)why, (void)n;
    if (c->max_m == 0) c->max_m = 5 * c->decay_m;
}

static double distance_radius(const cp_criterion *c) {
    return c->max_m;
}

static int64_t distance_halo(const cp_criterion *c, double dy) {
    return cpk_edt_halo(dy, c->max_m);
}

static cpk_status distance_raw(const cp_criterion *c, const cp_kind_strip *s,
                               const cpk_out_f32 *out) {
    cpk_sources src = {CPK_SOURCE_AT_LEAST, (float)c->source_min, NULL, 0};
    if (s->burnt) src = (cpk_sources){CPK_SOURCE_NONZERO, 0, NULL, 0};
    int64_t off = s->y0 - s->in_row0;
    if (s->carry && isfinite(c->max_m))
        return cpk_edt_strip_f32(&s->in, s->sources ? s->sources : &src, s->geo->dx, s->geo->dy,
                                 c->max_m, s->fill, off, off + s->h, s->warm, s->carry, out,
                                 s->threads);
    return cpk_edt_f32(&s->in, s->sources ? s->sources : &src, s->geo->dx, s->geo->dy, c->max_m,
                       s->fill, off, off + s->h, out, s->threads);
}

static cpk_status distance_cells(const cp_criterion *c, const cpk_view_f32 *x,
                                 const cpk_out_f32 *out) {
    return cpk_decay_exp_f32(x, c->decay_m, 0.0f, out, 1); /* fill INFINITY: exp(-inf) = 0 */
}

/* ---- classes: a value per class code ---- */

static const cp_class_value default_land_use[] = {{40, 1.0}, {50, 1.0}, {30, 0.6}, {20, 0.4},
                                                  {10, 0.3}, {60, 0.2}, {90, 0.2}, {80, 0.0}};

static void classes_defaults(cp_criterion *c, cp_date start) {
    (void)start;
    c->default_value = 0;
}

/* Without a table, WorldCover's land use (DESIGN §4's example). */
static void classes_finish(cp_criterion *c, char *why, size_t n) {
    if (c->table) return;
    size_t cnt = sizeof default_land_use / sizeof default_land_use[0];
    c->table = malloc(sizeof default_land_use);
    if (!c->table) {
        snprintf(why, n, "out of memory");
        return;
    }
    memcpy(c->table, default_land_use, sizeof default_land_use);
    c->ntable = cnt;
}

static double no_radius(const cp_criterion *c) {
    (void)c;
    return 0;
}

static int64_t no_halo(const cp_criterion *c, double dy) {
    (void)c, (void)dy;
    return 0;
}

static cpk_status classes_cells(const cp_criterion *c, const cpk_view_f32 *x,
                                const cpk_out_f32 *out) {
    int32_t codes[256];
    float vals[256];
    size_t n = c->ntable; /* at most 256: the key's limit */
    for (size_t i = 0; i < n; ++i) {
        codes[i] = c->table[i].code;
        vals[i] = (float)c->table[i].value;
    }
    return cpk_classes_f32(x, codes, vals, n, (float)c->default_value, 0.0f, out, 1);
}

/* ---- linear: (x - lo) / (hi - lo), clipped, inverted if asked ---- */

static void linear_defaults(cp_criterion *c, cp_date start) {
    (void)start;
    c->range_lo = 0;
    c->range_hi = 100;
    c->invert = 0;
}

static cpk_status linear_cells(const cp_criterion *c, const cpk_view_f32 *x,
                               const cpk_out_f32 *out) {
    return cpk_linear_f32(x, c->range_lo, c->range_hi, 1, c->invert, 0.0f, out, 1);
}

/* ---- density: quartic kernel density of dated, weighted points ---- */

static void density_defaults(cp_criterion *c, cp_date start) {
    c->bandwidth_m = 2000;
    c->half_life_days = 365;
    c->as_of = start;
    c->saturate = 0.5;
}

static double density_radius(const cp_criterion *c) {
    return c->bandwidth_m;
}

static cpk_status density_raw(const cp_criterion *c, const cp_kind_strip *s,
                              const cpk_out_f32 *out) {
    return cpk_density_quartic_f32(s->points, s->geo, c->bandwidth_m, s->y0, s->y0 + s->h, out,
                                   s->threads);
}

static cpk_status density_cells(const cp_criterion *c, const cpk_view_f32 *x,
                                const cpk_out_f32 *out) {
    return cpk_linear_f32(x, 0, c->saturate, 1, 0, 0.0f, out, 1);
}

const int cp_worldcover_codes[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100};
const size_t cp_nworldcover = sizeof cp_worldcover_codes / sizeof cp_worldcover_codes[0];

/* ---- slope: flat (or steep) land from an elevation raster ---- */

static void slope_defaults(cp_criterion *c, cp_date start) {
    (void)start;
    c->range_lo = 0;
    c->range_hi = 30; /* degrees: flat land scores 1 when inverted, 30 degrees and more 0 */
    c->invert = 1;
}

static int64_t slope_halo(const cp_criterion *c, double dy) {
    (void)c, (void)dy;
    return 1; /* Horn's 3 x 3 neighbourhood */
}

static cpk_status slope_raw(const cp_criterion *c, const cp_kind_strip *s, const cpk_out_f32 *out) {
    (void)c;
    int64_t off = s->y0 - s->in_row0;
    return cpk_slope_f32(&s->in, s->geo->dx, s->geo->dy, off, off + s->h, out, s->threads);
}

static cpk_status slope_cells(const cp_criterion *c, const cpk_view_f32 *x,
                              const cpk_out_f32 *out) {
    return cpk_linear_f32(x, c->range_lo, c->range_hi, 1, c->invert, 0.0f, out, 1);
}

/* ---- the table ---- */

const cp_kind cp_kinds[] = {
    {
        .name = "focal_sum",
        .summary =
            "sum of a raster within radius_m of each cell (a disk), normalised (log or linear)",
        .default_input = CP_ROLE_POPULATION,
        .inputs = CP_KIND_RASTER,
        .keys = {KEY_NUMBER("radius_m", radius_m, 0, INFINITY, 1),
                 KEY("normalise", CP_KEY_NORMALISE, normalise),
                 KEY_NUMBER("saturate", saturate, 0, INFINITY, 1)},
        .defaults = focal_defaults,
        .radius_m = focal_radius,
        .halo_rows = focal_halo,
        .raw = focal_raw,
        .cells = focal_cells,
    },
    {
        .name = "distance",
        .summary =
            "exp(-d / decay_m) of the exact distance d to the nearest source cell or feature",
        .default_input = CP_ROLE_POPULATION,
        .inputs = CP_KIND_RASTER | CP_KIND_FEATURES,
        .keys = {KEY_NUMBER("source_min", source_min, -INFINITY, INFINITY, 0),
                 KEY_NUMBER("decay_m", decay_m, 0, INFINITY, 1),
                 KEY_NUMBER("max_m", max_m, 0, INFINITY, 1)},
        .defaults = distance_defaults,
        .finish = distance_finish,
        .radius_m = distance_radius,
        .halo_rows = distance_halo,
        .carries = 1,
        .raw = distance_raw,
        .cells = distance_cells,
    },
    {
        .name = "classes",
        .summary = "a value in [0, 1] per class code of a categorical raster",
        .default_input = CP_ROLE_LANDCOVER,
        .inputs = CP_KIND_RASTER,
        .keys = {KEY("table", CP_KEY_TABLE, table), KEY_NUMBER("default", default_value, 0, 1, 0)},
        .defaults = classes_defaults,
        .finish = classes_finish,
        .radius_m = no_radius,
        .halo_rows = no_halo,
        .cells = classes_cells,
    },
    {
        .name = "linear",
        .summary =
            "(x - lo) / (hi - lo) of a continuous raster, clipped to [0, 1], inverted if asked",
        .default_input = CP_ROLE_TREECOVER,
        .inputs = CP_KIND_RASTER,
        .keys = {KEY("range", CP_KEY_RANGE, range_lo), KEY("invert", CP_KEY_BOOL, invert)},
        .defaults = linear_defaults,
        .radius_m = no_radius,
        .halo_rows = no_halo,
        .cells = linear_cells,
    },
    {
        .name = "density",
        .summary = "quartic kernel density of dated, weighted points per km², divided by saturate",
        .default_input = CP_ROLE_REPORTS,
        .inputs = CP_KIND_POINTS,
        .keys = {KEY_NUMBER("bandwidth_m", bandwidth_m, 0, INFINITY, 1),
                 KEY_NUMBER("half_life_days", half_life_days, 0, INFINITY, 1),
                 KEY("as_of", CP_KEY_DATE, as_of),
                 KEY_NUMBER("saturate", saturate, 0, INFINITY, 1)},
        .defaults = density_defaults,
        .radius_m = density_radius,
        .halo_rows = no_halo,
        .raw = density_raw,
        .cells = density_cells,
    },
    {
        .name = "slope",
        .summary = "slope of an elevation raster in degrees (Horn), scaled over range, inverted by "
                   "default",
        .default_input = CP_ROLE_NONE,
        .inputs = CP_KIND_RASTER,
        .keys = {KEY("range", CP_KEY_RANGE, range_lo), KEY("invert", CP_KEY_BOOL, invert)},
        .defaults = slope_defaults,
        .radius_m = no_radius,
        .halo_rows = slope_halo,
        .raw = slope_raw,
        .cells = slope_cells,
    },
};

const size_t cp_nkinds = sizeof cp_kinds / sizeof cp_kinds[0];

const cp_kind *cp_kind_of(const cp_criterion *c) {
    return (size_t)c->kind < cp_nkinds ? &cp_kinds[c->kind] : NULL;
}

const cp_kind *cp_kind_named(const char *name) {
    for (size_t i = 0; name && i < cp_nkinds; ++i)
        if (!strcmp(cp_kinds[i].name, name)) return &cp_kinds[i];
    return NULL;
}

char *cp_kind_names(char *buf, size_t n) {
    buf[0] = '\0';
    for (size_t i = 0; i < cp_nkinds; ++i)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? ", " : "", cp_kinds[i].name);
    return buf;
}

double cp_criteria_max_radius(const cp_scenario *sc) {
    double r = 0;
    for (size_t i = 0; i < sc->ncriteria; ++i) {
        const cp_kind *k = cp_kind_of(&sc->criteria[i]);
        double ri = k ? k->radius_m(&sc->criteria[i]) : 0;
        if (ri > r) r = ri;
    }
    return r;
}
