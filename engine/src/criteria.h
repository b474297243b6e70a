/* Criterion kinds as descriptors (DESIGN §3, §6): everything clearplan knows about a kind
 * lives in one entry of the table in criteria.c (its name, its scenario keys and their
 * defaults and limits, the input it reads, its neighbourhood, the scratch a strip needs and
 * the strip function), like GDAL's drivers. The scenario parser, the grid, the strip engine
 * and the tools read the table; none of them names a kind. Adding a kind is one entry (and
 * its kernel), its tests and its docs: docs/criteria.md. Not part of the API. */
#ifndef CP_CRITERIA_H
#define CP_CRITERIA_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/scenario.h>
#include <clearplan/status.h>

#include "cpk/cpk.h"
#include "cpk/density.h"
#include "cpk/edt.h"

/* The most criteria a scenario may list (the overlay's views), and the most land-cover classes
 * the metrics report: WorldCover's and those the cost model names (codes 0..255). */
enum { CP_MAX_CRITERIA = 64, CP_MAX_CLASSES = 32 };

/* ESA WorldCover's class codes (DESIGN §12), always reported. */
extern const int cp_worldcover_codes[];
extern const size_t cp_nworldcover;

/* The inputs a kind can read (bits of cp_kind.inputs). */
enum {
    CP_KIND_RASTER = 1,  /* a raster read onto the grid, with a halo of rows */
    CP_KIND_POINTS = 2,  /* points (with weights) */
    CP_KIND_FEATURES = 4 /* vector features burnt onto the grid (sources: nonzero cells) */
};

/* How a key's value is read and where it goes. */
typedef enum {
    CP_KEY_NUMBER,    /* double at offset, within [lo, hi] (lo excluded when lo_strict) */
    CP_KEY_BOOL,      /* int at offset */
    CP_KEY_DATE,      /* cp_date at offset */
    CP_KEY_NORMALISE, /* cp_normalise at offset: 'log' or 'linear' */
    CP_KEY_RANGE,     /* two doubles at offset: [lo, hi] with lo < hi */
    CP_KEY_TABLE      /* classes: {code: value in [0, 1]} into table/ntable (at most 256) */
} cp_key_type;

/* One scenario key of a kind. */
typedef struct {
    const char *name;
    cp_key_type type;
    size_t offset; /* of its field in cp_criterion */
    double lo, hi;
    int lo_strict;
} cp_kind_key;

/* What the strip function of a kind sees for one strip. */
typedef struct {
    const cpk_geo *geo; /* the grid */
    int64_t y0, h;      /* the strip: grid rows y0 .. y0 + h */
    cpk_view_f32 in;    /* raster input: grid rows in_row0 .. in_row0 + in.ny, the strip
                           and its halo (CP_KIND_RASTER, CP_KIND_FEATURES) */
    int64_t in_row0;
    int burnt;                  /* in holds burnt features: every nonzero cell is a source */
    const cpk_sources *sources; /* distance: which cells are sources (NULL: source_min, or
                                   nonzero cells when burnt) */
    float fill;                 /* distance: the raw value beyond max_m (INFINITY scores 0) */
    const cpk_points *points;   /* point input (CP_KIND_POINTS) */
    float *carry;               /* kinds that carry: nx floats kept from strip to strip (NULL:
                                   the view holds the whole halo above) */
    int warm;                   /* the first strip of a range: the view holds the halo above,
                                   and carry starts from it */
    int threads;
    cpk_workspace *ws; /* the kernel's scratch kept by the caller from strip to strip (NULL:
                          the kernel allocates its own each strip) */
} cp_kind_strip;

/* A criterion kind. */
typedef struct {
    const char *name;            /* "focal_sum": the value of `kind:` */
    const char *summary;         /* one line, for messages and docs */
    cp_input_role default_input; /* the input read when `input:` is not given: this role's */
    unsigned inputs;             /* CP_KIND_* bits */
    cp_kind_key keys[8];         /* its settings besides name, kind, input, weight */
    /* The settings' defaults (before the keys are read) and their consistency after (an
     * error message into `why`, "" when fine). */
    void (*defaults)(cp_criterion *c, cp_date start);
    void (*finish)(cp_criterion *c, char *why, size_t n);
    /* The neighbourhood of a cell, in metres (the grid grows by the largest), and the rows a
     * strip needs above and below it (its halo) for cells dy metres high. */
    double (*radius_m)(const cp_criterion *c);
    int64_t (*halo_rows)(const cp_criterion *c, double dy);
    /* Going down the grid, the kind carries its state from strip to strip in
     * cp_kind_strip.carry (nx floats) and needs no halo above a strip but the first of a
     * range. The distance: the column run from above (cpk_edt_strip_f32). */
    int carries;
    /* The kind's raw value of the strip into out (h x nx), before scoring: a sum, a distance,
     * a density, degrees; what the standalone tools write. NULL when the score reads the
     * input's value itself (classes, linear). */
    cpk_status (*raw)(const cp_criterion *c, const cp_kind_strip *s, const cpk_out_f32 *out);
    /* The scores in [0, 1] of cells from their raw values (from the input's, for a kind
     * without `raw`) into out, on the caller's thread: a cell's score depends on its value
     * alone, so `run` scores blocks of cells, all criteria and the overlay together, while
     * they are in the caches. x and out do not overlap. */
    cpk_status (*cells)(const cp_criterion *c, const cpk_view_f32 *x, const cpk_out_f32 *out);
} cp_kind;

/* The table, in the order of cp_criterion_kind. */
extern const cp_kind cp_kinds[];
extern const size_t cp_nkinds;

/* The kind of a criterion, or of a name ("focal_sum"); NULL when none. */
const cp_kind *cp_kind_of(const cp_criterion *c);
const cp_kind *cp_kind_named(const char *name);
/* "focal_sum, distance, classes, linear, density" into buf (for messages); returns buf. */
char *cp_kind_names(char *buf, size_t n);

/* The largest neighbourhood of a scenario's criteria, in metres (the grid's margin). */
double cp_criteria_max_radius(const cp_scenario *sc);

#endif
