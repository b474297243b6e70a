/* The scenario file (DESIGN §4): YAML parsed with libyaml's document API, checked against a
 * schema, the defaults of inputs and criteria here and those of cost and capacity in the
 * planner library (engine/planner/capacity.c; all documented in docs/scenario.md). Errors name
 * the file, line and column; unknown keys get the nearest valid key as a suggestion. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ogr_srs_api.h>
#include <yaml.h>

#include <clearplan/output.h>
#include <clearplan/scenario.h>

#include "criteria.h"
#include "error.h"

/* ------------------------------------------------------------------ defaults ---------- */

/* Defaults of the hazards input and of each role's input. */
typedef struct {
    const char *name; /* the hazards input's name, or a role's */
    cp_input_type type;
    cp_resample resample;
    const char *id, *status, *region, *date, *confidence;
} input_default;

static const input_default input_defaults[] = {
    {"hazards", CP_INPUT_VECTOR, CP_RESAMPLE_DEFAULT, "hazard_id", "status", NULL, NULL, NULL},
    {"population", CP_INPUT_RASTER, CP_RESAMPLE_SUM, NULL, NULL, NULL, NULL, NULL},
    {"landcover", CP_INPUT_RASTER, CP_RESAMPLE_MODE, NULL, NULL, NULL, NULL, NULL},
    {"treecover", CP_INPUT_RASTER, CP_RESAMPLE_AVERAGE, NULL, NULL, NULL, NULL, NULL},
    {"reports", CP_INPUT_VECTOR, CP_RESAMPLE_DEFAULT, NULL, NULL, NULL, "reported_on",
     "confidence"},
};

static const char *const role_names[CP_NROLES] = {"none", "population", "landcover", "treecover",
                                                  "reports"};

const char *cp_role_name(cp_input_role role) {
    return (int)role >= 0 && role < CP_NROLES ? role_names[role] : "?";
}

static int role_named(const char *name) {
    for (int r = 0; name && r < CP_NROLES; ++r)
        if (!strcmp(role_names[r], name)) return r;
    return -1;
}

/* The criteria used when a scenario lists none (those whose input's role is present). */
typedef struct {
    const char *name;
    cp_criterion_kind kind;
    cp_input_role input;
    double weight;
} criterion_default;

static const criterion_default default_criteria[] = {
    {"people_nearby", CP_CRIT_FOCAL_SUM, CP_ROLE_POPULATION, 0.35},
    {"settlements", CP_CRIT_DISTANCE, CP_ROLE_POPULATION, 0.10},
    {"land_use", CP_CRIT_CLASSES, CP_ROLE_LANDCOVER, 0.25},
    {"open_land", CP_CRIT_LINEAR, CP_ROLE_TREECOVER, 0.05},
    {"improvised_mines", CP_CRIT_DENSITY, CP_ROLE_REPORTS, 0.25},
};

/* A criterion of `kind` with the kind's defaults. */
static void criterion_defaults(cp_criterion *c, cp_criterion_kind kind, cp_date start) {
    c->kind = kind;
    c->weight = 1.0;
    cp_kinds[kind].defaults(c, start);
}

/* ------------------------------------------------------------------ parse context ------ */

typedef struct {
    const char *file;
    yaml_document_t *doc;
    cp_scenario *sc;
} ctx;

static cp_status err_at(ctx *c, const yaml_node_t *n, const char *fmt, ...) CP_PRINTF(3, 4);

static cp_status err_at(ctx *c, const yaml_node_t *n, const char *fmt, ...) {
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return cp_fail(CP_E_CONFIG, "%s:%lu:%lu: %s", c->file,
                       (unsigned long)n->start_mark.line + 1,
                       (unsigned long)n->start_mark.column + 1, msg);
    return cp_fail(CP_E_CONFIG, "%s: %s", c->file, msg);
}

static const char *kind_of(const yaml_node_t *n) {
    switch (n->type) {
        case YAML_SCALAR_NODE:
            return "a scalar";
        case YAML_SEQUENCE_NODE:
            return "a list";
        case YAML_MAPPING_NODE:
            return "a mapping";
        default:
            return "nothing";
    }
}

static const char *scalar(const yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(ctx *c, int id) {
    return yaml_document_get_node(c->doc, id);
}

static size_t levenshtein(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; ++j) row[j] = j;
    for (size_t i = 1; i <= la; ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; ++j) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Checks that `map` is a mapping whose keys are scalars from `allowed` (NULL-terminated),
 * without duplicates. `where` names the mapping in messages. */
static cp_status check_keys(ctx *c, yaml_node_t *map, const char *const *allowed,
                            const char *where) {
    if (map->type != YAML_MAPPING_NODE)
        return err_at(c, map, "%s must be a mapping, got %s", where, kind_of(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         ++p) {
        yaml_node_t *k = node(c, p->key);
        const char *key = scalar(k);
        if (!key) return err_at(c, k, "keys of %s must be plain names", where);
        int known = 0;
        for (const char *const *a = allowed; *a; ++a)
            if (!strcmp(key, *a)) known = 1;
        if (!known) {
            const char *best = NULL;
            size_t bestd = 99;
            for (const char *const *a = allowed; *a; ++a) {
                size_t d = levenshtein(key, *a);
                if (d < bestd) bestd = d, best = *a;
            }
            size_t keylen = strlen(key);
            if (best && bestd <= (keylen > 6 ? 3 : 2))
                return err_at(c, k, "unknown key '%s' in %s; did you mean '%s'?", key, where, best);
            char list[512] = "";
            for (const char *const *a = allowed; *a; ++a) {
                strncat(list, *a, sizeof list - strlen(list) - 1);
                if (a[1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return err_at(c, k, "unknown key '%s' in %s; expected one of: %s", key, where, list);
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; ++q)
            if (!strcmp(scalar(node(c, q->key)) ? scalar(node(c, q->key)) : "", key))
                return err_at(c, k, "duplicate key '%s' in %s", key, where);
    }
    return CP_OK;
}

/* The value node of `key` in a mapping, or NULL. */
static yaml_node_t *get(ctx *c, yaml_node_t *map, const char *key) {
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         ++p) {
        const char *k = scalar(node(c, p->key));
        if (k && !strcmp(k, key)) return node(c, p->value);
    }
    return NULL;
}

/* 1: a finite number in *out; 0: not a number; -1: a number out of a double's range (its
 * size above 1.8e308, or below 2.2e-308 and not 0: subnormal). */
static int parse_double(const char *s, double *out) {
    if (!s || !*s) return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!end || *end || end == s) return 0;
    if (isnan(v) || (isinf(v) && errno != ERANGE)) return 0; /* "nan", "inf" written out */
    if (errno == ERANGE) return -1;
    if (errno) return 0;
    *out = v;
    return 1;
}

static cp_status as_number(ctx *c, yaml_node_t *n, const char *what, double *out) {
    const char *s = scalar(n);
    if (!s) return err_at(c, n, "%s must be a number, got %s", what, kind_of(n));
    int ok = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? parse_double(s, out) : 0;
    if (ok < 0)
        return err_at(c, n,
                      "%s: '%s' is out of range (a number's size must lie between 2.2e-308 "
                      "and 1.8e308, or be 0)",
                      what, s);
    if (!ok) return err_at(c, n, "%s must be a number, got '%s'", what, s);
    return CP_OK;
}

/* A number with a lower bound: strict (> lo) or not (>= lo). */
static cp_status as_number_min(ctx *c, yaml_node_t *n, const char *what, double lo, int strict,
                               double *out) {
    cp_status s = as_number(c, n, what, out);
    if (s) return s;
    if (strict ? !(*out > lo) : !(*out >= lo))
        return err_at(c, n, "%s must be %s %g, got %g", what, strict ? "greater than" : "at least",
                      lo, *out);
    return CP_OK;
}

static cp_status as_int(ctx *c, yaml_node_t *n, const char *what, int *out) {
    double v = 0;
    cp_status s = as_number(c, n, what, &v);
    if (s) return s;
    if (v != floor(v) || v < INT_MIN || v > INT_MAX)
        return err_at(c, n, "%s must be a whole number, got %g", what, v);
    *out = (int)v;
    return CP_OK;
}

static cp_status as_bool(ctx *c, yaml_node_t *n, const char *what, int *out) {
    const char *s = scalar(n);
    if (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) return *out = 1, CP_OK;
        if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) return *out = 0, CP_OK;
    }
    return err_at(c, n, "%s must be true or false, got %s%s%s", what, s ? "'" : "",
                  s ? s : kind_of(n), s ? "'" : "");
}

static cp_status as_string(ctx *c, yaml_node_t *n, const char *what, char **out) {
    const char *s = scalar(n);
    if (!s) return err_at(c, n, "%s must be text, got %s", what, kind_of(n));
    if (!*s) return err_at(c, n, "%s must not be empty", what);
    free(*out);
    *out = cp_strdup(s);
    return *out ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
}

static cp_status as_date(ctx *c, yaml_node_t *n, const char *what, cp_date *out) {
    const char *s = scalar(n);
    if (!s || !cp_date_parse(s, out))
        return err_at(c, n, "%s must be a date YYYY-MM-DD, got %s%s%s", what, s ? "'" : "",
                      s ? s : kind_of(n), s ? "'" : "");
    return CP_OK;
}

/* Resolves a path against the scenario's folder (absolute and /vsi paths are kept). */
static char *resolve(const char *dir, const char *path) {
    if (!dir || !*dir || path[0] == '/' || !strncmp(path, "/vsi", 4)) return cp_strdup(path);
    size_t n = strlen(dir) + strlen(path) + 2;
    char *r = malloc(n);
    if (r) snprintf(r, n, "%s/%s", dir, path);
    return r;
}

static cp_status as_path(ctx *c, yaml_node_t *n, const char *what, char **out) {
    char *raw = NULL;
    cp_status s = as_string(c, n, what, &raw);
    if (s) return s;
    free(*out);
    *out = resolve(c->sc->dir, raw);
    free(raw);
    return *out ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
}

/* A class table {code: value, ...}. */
static cp_status as_class_table(ctx *c, yaml_node_t *n, const char *what, cp_class_value **out,
                                size_t *nout, double lo, double hi) {
    if (n->type != YAML_MAPPING_NODE)
        return err_at(c, n, "%s must be a mapping {class: value, ...}, got %s", what, kind_of(n));
    size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    cp_class_value *t = calloc(cnt ? cnt : 1, sizeof *t);
    if (!t) return cp_fail(CP_E_NOMEM, "out of memory");
    size_t i = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         ++p, ++i) {
        char kw[160];
        snprintf(kw, sizeof kw, "class of %s", what);
        cp_status s = as_int(c, node(c, p->key), kw, &t[i].code);
        if (!s) {
            snprintf(kw, sizeof kw, "%s[%d]", what, t[i].code);
            s = as_number(c, node(c, p->value), kw, &t[i].value);
            if (!s && (t[i].value < lo || t[i].value > hi))
                s = err_at(c, node(c, p->value), "%s must be between %g and %g, got %g", kw, lo, hi,
                           t[i].value);
        }
        for (size_t j = 0; !s && j < i; ++j)
            if (t[j].code == t[i].code)
                s = err_at(c, node(c, p->key), "class %d appears twice in %s", t[i].code, what);
        if (s) {
            free(t);
            return s;
        }
    }
    free(*out);
    *out = t;
    *nout = cnt;
    return CP_OK;
}

/* ------------------------------------------------------------------ sections ----------- */

static cp_status parse_grid(ctx *c, yaml_node_t *g) {
    static const char *const keys[] = {"crs", "cell_size_m", "aoi", "max_cells", NULL};
    cp_status s = check_keys(c, g, keys, "grid");
    yaml_node_t *v;
    if (!s && (v = get(c, g, "crs"))) {
        s = as_string(c, v, "grid.crs", &c->sc->grid.crs);
        if (!s) {
            OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
            if (OSRSetFromUserInput(srs, c->sc->grid.crs) != OGRERR_NONE)
                s = err_at(c, v, "grid.crs: unknown coordinate reference system '%s'",
                           c->sc->grid.crs);
            else if (!OSRIsProjected(srs) || fabs(OSRGetLinearUnits(srs, NULL) - 1.0) > 1e-12)
                s = err_at(c, v, "grid.crs: '%s' is not a projected CRS in metres",
                           c->sc->grid.crs);
            OSRDestroySpatialReference(srs);
        }
    }
    if (!s && (v = get(c, g, "cell_size_m")))
        s = as_number_min(c, v, "grid.cell_size_m", 0, 1, &c->sc->grid.cell_size_m);
    if (!s && (v = get(c, g, "aoi"))) s = as_path(c, v, "grid.aoi", &c->sc->grid.aoi);
    if (!s && (v = get(c, g, "max_cells")))
        s = as_number_min(c, v, "grid.max_cells", 0, 1, &c->sc->grid.max_cells);
    return s;
}

static const input_default *input_default_of(const char *name) {
    for (size_t i = 0; i < sizeof input_defaults / sizeof input_defaults[0]; ++i)
        if (!strcmp(input_defaults[i].name, name)) return &input_defaults[i];
    return NULL;
}

static cp_status parse_input(ctx *c, const char *name, yaml_node_t *n, cp_input *in) {
    static const char *const keys[] = {"path",     "type",       "role",       "layer",  "band",
                                       "resample", "assume_crs", "id",         "status", "region",
                                       "locked",   "date",       "confidence", "weight", NULL};
    char where[160], what[200];
    snprintf(where, sizeof where, "inputs.%s", name);
    in->name = cp_strdup(name);
    in->band = 1;
    in->line = (int)n->start_mark.line + 1;
    in->column = (int)n->start_mark.column + 1;
    /* the role: given, or (until clearplan 0.3) the input's name when it is a role's; the
     * defaults follow it (fixed in check_roles when another input claims the role) */
    yaml_node_t *rv = n->type == YAML_MAPPING_NODE ? get(c, n, "role") : NULL;
    if (rv) {
        int r = role_named(scalar(rv));
        if (r < 0)
            return err_at(c, rv,
                          "%s.role must be one of population, landcover, treecover, reports or "
                          "none, got '%s'",
                          where, scalar(rv) ? scalar(rv) : "");
        in->role = (cp_input_role)r;
    } else {
        int r = role_named(name);
        in->role = r > 0 ? (cp_input_role)r : CP_ROLE_NONE;
        in->role_by_name = r > 0;
    }
    const input_default *d =
        input_default_of(strcmp(name, "hazards") ? cp_role_name(in->role) : name);
    if (d) {
        in->type = d->type;
        in->resample = d->resample;
        in->id = cp_strdup(d->id);
        in->status = cp_strdup(d->status);
        in->region = cp_strdup(d->region);
        in->date = cp_strdup(d->date);
        in->confidence = cp_strdup(d->confidence);
    }
    if (n->type == YAML_SCALAR_NODE) return as_path(c, n, where, &in->path);
    cp_status s = check_keys(c, n, keys, where);
    if (s) return s;
    yaml_node_t *v = get(c, n, "path");
    if (!v) return err_at(c, n, "%s needs a 'path'", where);
    snprintf(what, sizeof what, "%s.path", where);
    if ((s = as_path(c, v, what, &in->path))) return s;
    if ((v = get(c, n, "type"))) {
        const char *t = scalar(v);
        if (t && !strcmp(t, "raster"))
            in->type = CP_INPUT_RASTER;
        else if (t && !strcmp(t, "vector"))
            in->type = CP_INPUT_VECTOR;
        else
            return err_at(c, v, "%s.type must be 'raster' or 'vector'", where);
    }
    if ((v = get(c, n, "band"))) {
        snprintf(what, sizeof what, "%s.band", where);
        if ((s = as_int(c, v, what, &in->band))) return s;
        if (in->band < 1) return err_at(c, v, "%s must be 1 or more", what);
    }
    if ((v = get(c, n, "resample"))) {
        static const char *const names[] = {"default", "nearest", "bilinear",
                                            "average", "mode",    "sum"};
        const char *t = scalar(v);
        int found = 0;
        for (int i = 0; t && i < 6; ++i)
            if (!strcmp(t, names[i])) in->resample = (cp_resample)i, found = 1;
        if (!found)
            return err_at(c, v, "%s.resample must be one of nearest, bilinear, average, mode, sum",
                          where);
    }
    struct {
        const char *key;
        char **field;
    } strs[] = {{"layer", &in->layer},   {"assume_crs", &in->assume_crs}, {"id", &in->id},
                {"status", &in->status}, {"region", &in->region},         {"locked", &in->locked},
                {"date", &in->date},     {"confidence", &in->confidence}, {"weight", &in->weight}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; ++i)
        if ((v = get(c, n, strs[i].key))) {
            snprintf(what, sizeof what, "%s.%s", where, strs[i].key);
            if ((s = as_string(c, v, what, strs[i].field))) return s;
        }
    if (in->assume_crs) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        int bad = OSRSetFromUserInput(srs, in->assume_crs) != OGRERR_NONE;
        OSRDestroySpatialReference(srs);
        if (bad)
            return err_at(c, get(c, n, "assume_crs"), "%s.assume_crs: unknown CRS '%s'", where,
                          in->assume_crs);
    }
    return CP_OK;
}

/* Appends a note ("file:line:col: text") to the scenario. */
static cp_status note_at(ctx *c, const yaml_node_t *n, const char *fmt, ...) CP_PRINTF(3, 4);
static cp_status note_at(ctx *c, const yaml_node_t *n, const char *fmt, ...) {
    char msg[1024], full[1300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s:%lu:%lu: %s", c->file, (unsigned long)n->start_mark.line + 1,
             (unsigned long)n->start_mark.column + 1, msg);
    char **notes = realloc(c->sc->notes, (c->sc->nnotes + 1) * sizeof *notes);
    if (!notes) return cp_fail(CP_E_NOMEM, "out of memory");
    c->sc->notes = notes;
    if (!(notes[c->sc->nnotes] = cp_strdup(full))) return cp_fail(CP_E_NOMEM, "out of memory");
    c->sc->nnotes++;
    return CP_OK;
}

/* One input per role: an explicit role wins over a name; a role taken from a name gets a
 * note asking to write it. */
static cp_status check_roles(ctx *c, yaml_node_t *n) {
    cp_scenario *sc = c->sc;
    for (size_t i = 0; i < sc->ninputs; ++i) {
        cp_input *in = &sc->inputs[i];
        if (in->role == CP_ROLE_NONE) continue;
        yaml_node_t *node_i = get(c, n, in->name);
        for (size_t j = 0; j < sc->ninputs; ++j) {
            const cp_input *o = &sc->inputs[j];
            if (j == i || o->role != in->role) continue;
            if (in->role_by_name && !o->role_by_name) { /* the explicit one has it */
                in->role = CP_ROLE_NONE;
                in->role_by_name = 0;
                break;
            }
            if (!in->role_by_name && !o->role_by_name && j < i)
                return err_at(c, node_i,
                              "inputs.%s and inputs.%s both have role '%s'; one input "
                              "per role",
                              o->name, in->name, cp_role_name(in->role));
        }
        cp_status s = CP_OK;
        if (in->role_by_name)
            s = note_at(c, node_i,
                        "inputs.%s has no role; it is read as the %s input because of its name. "
                        "Add 'role: %s' to it (names select roles only until clearplan 0.3)",
                        in->name, cp_role_name(in->role), cp_role_name(in->role));
        if (s) return s;
    }
    return CP_OK;
}

static cp_status parse_inputs(ctx *c, yaml_node_t *n) {
    if (n->type != YAML_MAPPING_NODE)
        return err_at(c, n, "inputs must be a mapping of name: {path: ...}, got %s", kind_of(n));
    size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    c->sc->inputs = calloc(cnt ? cnt : 1, sizeof *c->sc->inputs);
    if (!c->sc->inputs) return cp_fail(CP_E_NOMEM, "out of memory");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
        yaml_node_t *k = node(c, p->key);
        const char *name = scalar(k);
        if (!name || !*name) return err_at(c, k, "input names must be plain names");
        if (cp_scenario_input(c->sc, name)) return err_at(c, k, "input '%s' appears twice", name);
        cp_input *in = &c->sc->inputs[c->sc->ninputs++];
        cp_status s = parse_input(c, name, node(c, p->value), in);
        if (s) return s;
    }
    return check_roles(c, n);
}

/* One key of a kind's table into its field (criteria.h). */
static cp_status parse_kind_key(ctx *c, yaml_node_t *v, const cp_kind_key *k, const char *where,
                                cp_criterion *cr) {
    char what[160];
    snprintf(what, sizeof what, "%s: %s", where, k->name);
    void *field = (char *)cr + k->offset;
    switch (k->type) {
        case CP_KEY_NUMBER: {
            double x;
            cp_status s = as_number_min(c, v, what, k->lo, k->lo_strict, &x);
            if (s) return s;
            if (x > k->hi) return err_at(c, v, "%s must be at most %g, got %g", what, k->hi, x);
            *(double *)field = x;
            return CP_OK;
        }
        case CP_KEY_BOOL:
            return as_bool(c, v, what, (int *)field);
        case CP_KEY_DATE:
            return as_date(c, v, what, (cp_date *)field);
        case CP_KEY_NORMALISE: {
            const char *t = scalar(v);
            if (t && !strcmp(t, "log"))
                *(cp_normalise *)field = CP_NORM_LOG;
            else if (t && !strcmp(t, "linear"))
                *(cp_normalise *)field = CP_NORM_LINEAR;
            else
                return err_at(c, v, "%s must be 'log' or 'linear'", what);
            return CP_OK;
        }
        case CP_KEY_RANGE: {
            double *lohi = field;
            if (v->type != YAML_SEQUENCE_NODE ||
                v->data.sequence.items.top - v->data.sequence.items.start != 2)
                return err_at(c, v, "%s must be a list [lo, hi]", what);
            cp_status s = as_number(c, node(c, v->data.sequence.items.start[0]), what, &lohi[0]);
            if (!s) s = as_number(c, node(c, v->data.sequence.items.start[1]), what, &lohi[1]);
            if (s) return s;
            if (!(lohi[1] > lohi[0]))
                return err_at(c, v, "%s [lo, hi] needs lo < hi, got [%g, %g]", what, lohi[0],
                              lohi[1]);
            return CP_OK;
        }
        case CP_KEY_TABLE: {
            cp_status s = as_class_table(c, v, what, &cr->table, &cr->ntable, 0, 1);
            if (!s && cr->ntable > 256)
                return err_at(c, v, "%s lists %zu classes; at most 256", what, cr->ntable);
            return s;
        }
    }
    return CP_OK;
}

static cp_status parse_criterion(ctx *c, yaml_node_t *n, size_t idx, cp_criterion *cr) {
    char where[64], what[128], kinds[256];
    snprintf(where, sizeof where, "criteria[%zu]", idx);
    if (n->type != YAML_MAPPING_NODE)
        return err_at(c, n, "%s must be a mapping {name, kind, input, ...}, got %s", where,
                      kind_of(n));
    /* the kind first: it says which keys there are */
    yaml_node_t *kv = get(c, n, "kind");
    cp_kind_names(kinds, sizeof kinds);
    if (!kv) return err_at(c, n, "%s needs a 'kind' (%s)", where, kinds);
    const char *ks = scalar(kv);
    const cp_kind *kind = cp_kind_named(ks);
    if (!kind) {
        const char *best = NULL;
        size_t bestd = 99;
        for (size_t i = 0; ks && i < cp_nkinds; ++i) {
            size_t d = levenshtein(ks, cp_kinds[i].name);
            if (d < bestd) bestd = d, best = cp_kinds[i].name;
        }
        if (best && bestd <= 3)
            return err_at(c, kv, "%s.kind: unknown kind '%s'; did you mean '%s'?", where, ks, best);
        return err_at(c, kv, "%s.kind must be one of %s", where, kinds);
    }
    /* its keys: the common four and the kind's; a key of another kind is named as such */
    const char *keys[16] = {"name", "kind", "input", "weight"};
    size_t nkeys = 4;
    for (const cp_kind_key *k = kind->keys; k->name; ++k) keys[nkeys++] = k->name;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
        const char *key = scalar(node(c, p->key));
        int ok = 0;
        for (size_t i = 0; i < nkeys && !ok; ++i) ok = key && !strcmp(key, keys[i]);
        for (size_t i = 0; i < cp_nkinds && !ok && key; ++i)
            for (const cp_kind_key *k = cp_kinds[i].keys; k->name; ++k)
                if (!strcmp(key, k->name))
                    return err_at(c, node(c, p->key),
                                  "key '%s' does not apply to a %s criterion (%s)", key, kind->name,
                                  where);
    }
    keys[nkeys] = NULL;
    cp_status s = check_keys(c, n, keys, where);
    if (s) return s;
    criterion_defaults(cr, (cp_criterion_kind)(kind - cp_kinds), c->sc->capacity.start);
    cr->line = (int)n->start_mark.line + 1;
    cr->column = (int)n->start_mark.column + 1;
    yaml_node_t *v;
    if ((v = get(c, n, "name"))) {
        snprintf(what, sizeof what, "%s.name", where);
        if ((s = as_string(c, v, what, &cr->name))) return s;
        /* the name becomes a file name (criteria/<name>.tif): never a path */
        if (!cp_name_is_identifier(cr->name))
            return err_at(c, v,
                          "%s '%s' is not a name: use 1 to 64 letters, digits, '_' or '-', "
                          "starting with a letter or '_'",
                          what, cr->name);
    } else {
        cr->name = cp_strdup(kind->name);
    }
    snprintf(where, sizeof where, "criterion '%s'", cr->name);
    /* its input: given, or the input with the kind's role */
    if ((v = get(c, n, "input"))) {
        snprintf(what, sizeof what, "%s: input", where);
        if ((s = as_string(c, v, what, &cr->input))) return s;
    } else {
        const cp_input *ri = cp_scenario_role(c->sc, kind->default_input);
        if (!ri && kind->default_input == CP_ROLE_NONE)
            return err_at(c, n, "%s: a %s criterion needs an 'input'", where, kind->name);
        if (!ri)
            return err_at(c, n, "%s: no input given, and no input has role '%s'", where,
                          cp_role_name(kind->default_input));
        cr->input = cp_strdup(ri->name);
    }
    const cp_input *in = cp_scenario_input(c->sc, cr->input);
    if (!in)
        return err_at(c, v ? v : n, "%s: input '%s' is not listed under inputs", where, cr->input);
    if (in->type == CP_INPUT_RASTER && !(kind->inputs & CP_KIND_RASTER))
        return err_at(c, v ? v : n, "%s: a %s criterion needs vector input, '%s' is a raster",
                      where, kind->name, cr->input);
    if (in->type == CP_INPUT_VECTOR && !(kind->inputs & (CP_KIND_POINTS | CP_KIND_FEATURES)))
        return err_at(c, v ? v : n, "%s: a %s criterion needs a raster input, '%s' is a vector",
                      where, kind->name, cr->input);
    if ((v = get(c, n, "weight"))) {
        snprintf(what, sizeof what, "%s: weight", where);
        if ((s = as_number_min(c, v, what, 0, 0, &cr->weight))) return s;
    }
    for (const cp_kind_key *k = kind->keys; k->name; ++k)
        if ((v = get(c, n, k->name)) && (s = parse_kind_key(c, v, k, where, cr))) return s;
    if (kind->finish) {
        char why[256] = "";
        kind->finish(cr, why, sizeof why);
        if (why[0]) return err_at(c, n, "%s: %s", where, why);
    }
    return CP_OK;
}

static cp_status parse_criteria(ctx *c, yaml_node_t *n) {
    cp_scenario *sc = c->sc;
    if (!n) {
        /* No criteria listed: the defaults whose input is present. */
        size_t cnt = sizeof default_criteria / sizeof default_criteria[0];
        sc->criteria = calloc(cnt, sizeof *sc->criteria);
        if (!sc->criteria) return cp_fail(CP_E_NOMEM, "out of memory");
        for (size_t i = 0; i < cnt; ++i) {
            const criterion_default *d = &default_criteria[i];
            const cp_input *in = cp_scenario_role(sc, d->input);
            if (!in) continue;
            cp_criterion *cr = &sc->criteria[sc->ncriteria++];
            criterion_defaults(cr, d->kind, sc->capacity.start);
            cr->name = cp_strdup(d->name);
            cr->input = cp_strdup(in->name);
            cr->weight = d->weight;
            if (d->kind == CP_CRIT_LINEAR) cr->invert = 1; /* open land: low tree cover */
            const cp_kind *k = &cp_kinds[d->kind];
            char why[256] = "";
            if (k->finish) k->finish(cr, why, sizeof why);
            if (why[0]) return cp_fail(CP_E_NOMEM, "%s", why);
        }
        if (sc->ncriteria == 0)
            return err_at(c, NULL,
                          "no criteria: list some under 'criteria', or give inputs with roles "
                          "population, landcover, treecover or reports for the default ones");
        return CP_OK;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return err_at(c, n, "criteria must be a list of {name, kind, input, ...}, got %s",
                      kind_of(n));
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt == 0) return err_at(c, n, "criteria is empty: list at least one criterion");
    if (cnt > CP_MAX_CRITERIA)
        return err_at(c, n, "criteria lists %zu criteria; at most %d", cnt, CP_MAX_CRITERIA);
    sc->criteria = calloc(cnt, sizeof *sc->criteria);
    if (!sc->criteria) return cp_fail(CP_E_NOMEM, "out of memory");
    double wsum = 0;
    for (size_t i = 0; i < cnt; ++i) {
        yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
        cp_criterion *cr = &sc->criteria[sc->ncriteria++];
        cp_status s = parse_criterion(c, item, i, cr);
        if (s) return s;
        for (size_t j = 0; j < i; ++j)
            if (!strcmp(sc->criteria[j].name, cr->name))
                return err_at(c, item, "two criteria are named '%s'", cr->name);
        wsum += cr->weight;
    }
    if (!(wsum > 0))
        return err_at(c, n, "criteria: the weights sum to 0; give at least one a positive weight");
    return CP_OK;
}

/* The slowest work a setting may describe. Below 1 m² per team-day a productivity is a unit
 * mistake, and far below it its inverse (team-days per m², a Float32 per cell) overflows to
 * infinity, which the sums would skip: costs would go down. */
#define MIN_M2_PER_TEAM_DAY 1.0

/* The slowest clearance the cost model can reach: the lowest productivity with the tree
 * cover and improvised-mine slowdowns both at their worst. */
static cp_status check_slowest(ctx *c, yaml_node_t *n) {
    const cp_cost *k = &c->sc->cost;
    double p = k->productivity_default_m2;
    for (size_t i = 0; i < k->nproductivity; ++i) p = fmin(p, k->productivity[i].value);
    double worst = p * (1.0 - k->treecover_slowdown) * k->improvised_slowdown;
    if (!(worst >= MIN_M2_PER_TEAM_DAY))
        return err_at(c, n,
                      "cost: the slowest clearance, %g m2 per team-day x (1 - treecover_slowdown "
                      "%g) x improvised_slowdown %g = %g m2 per team-day, is below %g; lower "
                      "cost.treecover_slowdown or raise cost.improvised_slowdown",
                      p, k->treecover_slowdown, k->improvised_slowdown, worst, MIN_M2_PER_TEAM_DAY);
    return CP_OK;
}

/* Clearance productivity: a number (the default; no class table) or {default, classes}. */
static cp_status parse_productivity(ctx *c, yaml_node_t *v, const char *what, double *dflt,
                                    cp_class_value **classes, size_t *nclasses) {
    char kw[224];
    if (v->type == YAML_SCALAR_NODE) {
        free(*classes);
        *classes = NULL;
        *nclasses = 0;
        return as_number_min(c, v, what, MIN_M2_PER_TEAM_DAY, 0, dflt);
    }
    static const char *const pk[] = {"default", "classes", NULL};
    cp_status s = check_keys(c, v, pk, what);
    yaml_node_t *w;
    snprintf(kw, sizeof kw, "%s.default", what);
    if (!s && (w = get(c, v, "default"))) s = as_number_min(c, w, kw, MIN_M2_PER_TEAM_DAY, 0, dflt);
    snprintf(kw, sizeof kw, "%s.classes", what);
    if (!s && (w = get(c, v, "classes")))
        s = as_class_table(c, w, kw, classes, nclasses, MIN_M2_PER_TEAM_DAY, 1e12);
    return s;
}

static cp_status load_profile(ctx *c, yaml_node_t *n);

static cp_status parse_cost(ctx *c, yaml_node_t *n) {
    static const char *const keys[] = {"productivity_m2_per_team_day",
                                       "treecover_slowdown",
                                       "improvised_slowdown",
                                       "improvised_threshold",
                                       "release",
                                       "nts_m2_per_team_day",
                                       "ts_m2_per_team_day",
                                       "team_day_usd",
                                       "profile",
                                       NULL};
    cp_cost *cost = &c->sc->cost;
    cp_status s = check_keys(c, n, keys, "cost");
    if (s) return s;
    yaml_node_t *v;
    /* a cost profile first (clearplan calibrate's), the keys beside it override it */
    if ((v = get(c, n, "profile")) && (s = load_profile(c, v))) return s;
    if ((v = get(c, n, "productivity_m2_per_team_day")) &&
        (s = parse_productivity(c, v, "cost.productivity_m2_per_team_day",
                                &cost->productivity_default_m2, &cost->productivity,
                                &cost->nproductivity)))
        return s;
    struct {
        const char *key;
        double *dst;
        double lo, hi;
        int strict;
    } nums[] = {{"treecover_slowdown", &cost->treecover_slowdown, 0, 1, 0},
                {"improvised_slowdown", &cost->improvised_slowdown, 0, 1, 1},
                {"improvised_threshold", &cost->improvised_threshold, 0, 1e300, 0},
                {"nts_m2_per_team_day", &cost->nts_m2_per_team_day, MIN_M2_PER_TEAM_DAY, 1e300, 0},
                {"ts_m2_per_team_day", &cost->ts_m2_per_team_day, MIN_M2_PER_TEAM_DAY, 1e300, 0},
                {"team_day_usd", &cost->team_day_usd, 0, 1e300, 0}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; ++i)
        if ((v = get(c, n, nums[i].key))) {
            char what[96];
            snprintf(what, sizeof what, "cost.%s", nums[i].key);
            if ((s = as_number_min(c, v, what, nums[i].lo, nums[i].strict, nums[i].dst))) return s;
            if (*nums[i].dst > nums[i].hi)
                return err_at(c, v, "%s must be at most %g, got %g", what, nums[i].hi,
                              *nums[i].dst);
        }
    if ((v = get(c, n, "release"))) {
        static const char *const rk[] = {"SHA", "CHA", NULL};
        static const char *const mk[] = {"cancel", "reduce", "clear", NULL};
        if ((s = check_keys(c, v, rk, "cost.release"))) return s;
        for (int st = 0; st < CP_NSTATUS; ++st) {
            yaml_node_t *r = get(c, v, rk[st]);
            if (!r) continue;
            char where[64];
            snprintf(where, sizeof where, "cost.release.%s", rk[st]);
            if ((s = check_keys(c, r, mk, where))) return s;
            double sum = 0;
            for (int m = 0; m < CP_NMETHOD; ++m) {
                yaml_node_t *x = get(c, r, mk[m]);
                if (!x) return err_at(c, r, "%s needs cancel, reduce and clear shares", where);
                char what[96];
                snprintf(what, sizeof what, "%s.%s", where, mk[m]);
                if ((s = as_number_min(c, x, what, 0, 0, &cost->release[st][m]))) return s;
                sum += cost->release[st][m];
            }
            if (fabs(sum - 1.0) > 1e-6)
                return err_at(c, r, "%s: cancel + reduce + clear must sum to 1, got %g", where,
                              sum);
        }
    }
    /* land-cover codes are bytes, and the metrics report at most CP_MAX_CLASSES classes */
    yaml_node_t *pv = get(c, n, "productivity_m2_per_team_day");
    yaml_node_t *cv = pv && pv->type == YAML_MAPPING_NODE ? get(c, pv, "classes") : NULL;
    size_t extra = 0;
    for (size_t i = 0; i < cost->nproductivity; ++i) {
        int code = cost->productivity[i].code, known = 0;
        if (code < 0 || code > 255)
            return err_at(c, cv ? cv : n,
                          "cost.productivity_m2_per_team_day.classes: class %d is not a "
                          "land-cover code 0..255",
                          code);
        for (size_t k = 0; k < cp_nworldcover; ++k) known |= cp_worldcover_codes[k] == code;
        extra += !known;
    }
    if (cp_nworldcover + extra > CP_MAX_CLASSES)
        return err_at(c, cv ? cv : n,
                      "cost.productivity_m2_per_team_day.classes names %zu classes besides "
                      "WorldCover's %zu; at most %zu",
                      extra, cp_nworldcover, (size_t)CP_MAX_CLASSES - cp_nworldcover);
    return check_slowest(c, n);
}

/* The whole file at `path` (at most 64 MiB) in *buf (malloc'd), its length in *len. */
static cp_status read_text(const char *path, char **buf_out, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return cp_fail(CP_E_IO, "cannot open <%s>: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > ((size_t)64 << 20)) {
                free(buf);
                fclose(f);
                return cp_fail(CP_E_CONFIG, "<%s>: larger than 64 MiB, not a scenario file", path);
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return cp_fail(CP_E_NOMEM, "out of memory reading <%s>", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return cp_fail(CP_E_IO, "cannot read <%s>", path);
    }
    *buf_out = buf;
    *len_out = len;
    return CP_OK;
}

static cp_status check_depth(const ctx *c, const char *text, size_t len);

/* cost.profile: a file with `provenance`, `fit` and `cost` (clearplan calibrate writes it):
 * its cost section is read as the scenario's own, errors naming the profile's line and
 * column; its provenance is kept for the run's record. */
static cp_status load_profile(ctx *c, yaml_node_t *n) {
    cp_cost_profile *pr = &c->sc->cost_profile;
    if (pr->path) return err_at(c, n, "a cost profile cannot include another one");
    cp_status s = as_path(c, n, "cost.profile", &pr->path);
    if (s) return s;
    char *text = NULL;
    size_t len = 0;
    if (read_text(pr->path, &text, &len))
        return err_at(c, n, "cannot read the cost profile: %s", cp_errmsg());
    ctx dc = {pr->path, NULL, c->sc}; /* the same limit on nesting as the scenario's */
    if ((s = check_depth(&dc, text, len))) {
        free(text);
        return s;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    int loaded = 0;
    if (!yaml_parser_initialize(&parser)) {
        free(text);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        s = cp_fail(CP_E_CONFIG, "%s:%lu:%lu: malformed YAML: %s", pr->path,
                    (unsigned long)parser.problem_mark.line + 1,
                    (unsigned long)parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "syntax error");
    } else {
        loaded = 1;
        ctx pc = {pr->path, &doc, c->sc};
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        static const char *const keys[] = {"provenance", "fit", "cost", NULL};
        if (!root) s = err_at(&pc, NULL, "an empty file is not a cost profile");
        if (!s) s = check_keys(&pc, root, keys, "the cost profile");
        yaml_node_t *v;
        if (!s && !(v = get(&pc, root, "cost")))
            s = err_at(&pc, root, "a cost profile needs a 'cost' section");
        if (!s) s = parse_cost(&pc, v);
        yaml_node_t *pv = s ? NULL : get(&pc, root, "provenance");
        const char *rec = scalar(get(&pc, pv, "records")),
                   *fnv = scalar(get(&pc, pv, "records_fnv1a64")),
                   *date = scalar(get(&pc, pv, "fitted_on"));
        if (!s && rec && !(pr->records = cp_strdup(rec))) s = cp_fail(CP_E_NOMEM, "out of memory");
        if (!s && fnv && !(pr->records_fnv1a64 = cp_strdup(fnv)))
            s = cp_fail(CP_E_NOMEM, "out of memory");
        if (!s && date && !(pr->fitted_on = cp_strdup(date)))
            s = cp_fail(CP_E_NOMEM, "out of memory");
        yaml_node_t *fit = s ? NULL : get(&pc, root, "fit");
        const char *cv = scalar(get(&pc, fit, "cv_median_abs_error")),
                   *used = scalar(get(&pc, fit, "records_used"));
        pr->cv_median_abs_error = NAN;
        if (cv) parse_double(cv, &pr->cv_median_abs_error);
        double u = 0;
        if (used && parse_double(used, &u) == 1) pr->records_used = (int)u;
    }
    if (loaded) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(text);
    return s;
}

static size_t npairs(const yaml_node_t *n) {
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

/* A count of teams: whole, at most a million (the planner's bound: no programme has more). */
static cp_status check_team_count(ctx *c, yaml_node_t *n, const char *what, double v) {
    if (v != floor(v)) return err_at(c, n, "%s must be a whole number of teams, got %g", what, v);
    if (v > 1e6) return err_at(c, n, "%s must be at most 1000000 teams, got %g", what, v);
    return CP_OK;
}

/* {year: value, ...} with increasing plausible years and values >= 0 (whole with `whole`);
 * values go to out[i].value, years to out[i].code. */
static cp_status as_year_table(ctx *c, yaml_node_t *n, const char *what, int whole,
                               cp_class_value **out, size_t *nout) {
    if (n->type != YAML_MAPPING_NODE || !npairs(n))
        return err_at(c, n, "%s must be a number or a non-empty mapping {year: value}", what);
    cp_class_value *t = calloc(npairs(n), sizeof *t);
    if (!t) return cp_fail(CP_E_NOMEM, "out of memory");
    *out = t;
    *nout = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
        cp_class_value *v = &t[(*nout)++];
        char kw[160];
        snprintf(kw, sizeof kw, "year of %s", what);
        cp_status s = as_int(c, node(c, p->key), kw, &v->code);
        if (s) return s;
        if (v->code < 1900 || v->code > 2300)
            return err_at(c, node(c, p->key), "%s: %d is not a plausible year", what, v->code);
        if (*nout > 1 && v->code <= t[*nout - 2].code)
            return err_at(c, node(c, p->key), "%s: years must increase", what);
        snprintf(kw, sizeof kw, "%s[%d]", what, v->code);
        if ((s = as_number_min(c, node(c, p->value), kw, 0, 0, &v->value))) return s;
        if (whole && (s = check_team_count(c, node(c, p->value), kw, v->value))) return s;
    }
    return CP_OK;
}

/* Whole teams: a number, or {year: teams} (a year not listed takes the latest before it). */
static cp_status as_team_count(ctx *c, yaml_node_t *n, const char *what, double *teams,
                               cp_year_teams **py, size_t *npy) {
    *teams = 0;
    if (n->type == YAML_SCALAR_NODE) {
        cp_status s = as_number_min(c, n, what, 0, 0, teams);
        if (!s) s = check_team_count(c, n, what, *teams);
        return s;
    }
    cp_class_value *t = NULL;
    size_t nt = 0;
    cp_status s = as_year_table(c, n, what, 1, &t, &nt);
    if (!s) {
        *py = calloc(nt, sizeof **py);
        if (!*py) s = cp_fail(CP_E_NOMEM, "out of memory");
        for (size_t i = 0; !s && i < nt; ++i) (*py)[i] = (cp_year_teams){t[i].code, t[i].value};
        if (!s) *npy = nt, *teams = t[nt - 1].value;
    }
    free(t);
    return s;
}

/* The teams of one region (region -1: without regions) as cells of capacity.counts: a
 * count, or with team types {type: count}. */
static cp_status parse_team_cells(ctx *c, yaml_node_t *n, const char *where, int region) {
    cp_capacity *cap = &c->sc->capacity;
    size_t want = cap->ntypes ? (n->type == YAML_MAPPING_NODE ? npairs(n) : 1) : 1;
    cp_team_count *grown = realloc(cap->counts, (cap->ncounts + want) * sizeof *grown);
    if (!grown) return cp_fail(CP_E_NOMEM, "out of memory");
    cap->counts = grown;
    if (!cap->ntypes) {
        cp_team_count *tc = &cap->counts[cap->ncounts];
        memset(tc, 0, sizeof *tc);
        tc->region = region;
        cap->ncounts++;
        return as_team_count(c, n, where, &tc->teams, &tc->per_year, &tc->nper_year);
    }
    if (n->type != YAML_MAPPING_NODE)
        return err_at(c, n, "%s must be a mapping {team type: teams} (capacity.types is given)",
                      where);
    const char **names = calloc(cap->ntypes + 1, sizeof *names);
    if (!names) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t t = 0; t < cap->ntypes; ++t) names[t] = cap->types[t].name;
    cp_status s = check_keys(c, n, names, where);
    for (size_t t = 0; !s && t < cap->ntypes; ++t) {
        yaml_node_t *v = get(c, n, names[t]);
        if (!v) continue;
        cp_team_count *tc = &cap->counts[cap->ncounts++];
        memset(tc, 0, sizeof *tc);
        tc->region = region;
        tc->type = (int)t;
        char what[256];
        snprintf(what, sizeof what, "%s.%s", where, names[t]);
        s = as_team_count(c, v, what, &tc->teams, &tc->per_year, &tc->nper_year);
    }
    free(names);
    return s;
}

/* capacity.types: {name: {stages, productivities, team_day_usd}}. */
static cp_status parse_team_types(ctx *c, yaml_node_t *n) {
    static const char *const keys[] = {"stages",
                                       "nts_m2_per_team_day",
                                       "ts_m2_per_team_day",
                                       "productivity_m2_per_team_day",
                                       "team_day_usd",
                                       NULL};
    static const char *const stages[] = {"nts", "ts", "clearance", NULL};
    cp_capacity *cap = &c->sc->capacity;
    if (n->type != YAML_MAPPING_NODE || !npairs(n))
        return err_at(c, n, "capacity.types must be a mapping {type: {stages: [...], ...}}");
    cap->types = calloc(npairs(n), sizeof *cap->types);
    if (!cap->types) return cp_fail(CP_E_NOMEM, "out of memory");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
        cp_team_type *t = &cap->types[cap->ntypes++];
        t->nts_m2_per_team_day = t->ts_m2_per_team_day = t->productivity_default_m2 = NAN;
        t->team_day_usd = NAN;
        cp_status s = as_string(c, node(c, p->key), "team type name", &t->name);
        if (s) return s;
        for (size_t j = 0; j + 1 < cap->ntypes; ++j)
            if (!strcmp(cap->types[j].name, t->name))
                return err_at(c, node(c, p->key), "team type '%s' appears twice", t->name);
        char where[160], what[224];
        snprintf(where, sizeof where, "capacity.types.%s", t->name);
        yaml_node_t *v = node(c, p->value), *w;
        if ((s = check_keys(c, v, keys, where))) return s;
        if (!(w = get(c, v, "stages")) || w->type != YAML_SEQUENCE_NODE ||
            w->data.sequence.items.top == w->data.sequence.items.start)
            return err_at(c, w ? w : v, "%s.stages must be a list of nts, ts, clearance", where);
        for (yaml_node_item_t *it = w->data.sequence.items.start; it < w->data.sequence.items.top;
             ++it) {
            const char *sn = scalar(node(c, *it));
            int k = 0;
            while (stages[k] && (!sn || strcmp(stages[k], sn))) ++k;
            if (!stages[k])
                return err_at(c, node(c, *it), "%s.stages: '%s' is not nts, ts or clearance", where,
                              sn ? sn : kind_of(node(c, *it)));
            t->stages[k] = 1;
        }
        struct {
            const char *key;
            double *dst;
        } nums[] = {{"nts_m2_per_team_day", &t->nts_m2_per_team_day},
                    {"ts_m2_per_team_day", &t->ts_m2_per_team_day},
                    {"team_day_usd", &t->team_day_usd}};
        for (size_t k = 0; k < 3; ++k)
            if ((w = get(c, v, nums[k].key))) {
                snprintf(what, sizeof what, "%s.%s", where, nums[k].key);
                if ((s = as_number_min(c, w, what, 0, k < 2, nums[k].dst))) return s;
            }
        if ((w = get(c, v, "productivity_m2_per_team_day"))) {
            snprintf(what, sizeof what, "%s.productivity_m2_per_team_day", where);
            if ((s = parse_productivity(c, w, what, &t->productivity_default_m2, &t->productivity,
                                        &t->nproductivity)))
                return s;
        }
    }
    return CP_OK;
}

/* The longest plan: an Article 5 deadline is at most ten years off, an extension a few more;
 * beyond a century the projections (new contamination year by year, the calendar) only cost
 * time (a deadline of 9999-12-31 took 34 s before the planner refused it). */
enum { MAX_PLAN_YEARS = 100 };

/* capacity.start and capacity.deadline (ten years after the start when not given). */
static cp_status capacity_dates(ctx *c, yaml_node_t *n, cp_capacity *cap) {
    cp_status s;
    yaml_node_t *v;
    if ((v = get(c, n, "start")) && (s = as_date(c, v, "capacity.start", &cap->start))) return s;
    if ((v = get(c, n, "deadline"))) {
        if ((s = as_date(c, v, "capacity.deadline", &cap->deadline))) return s;
        if (cap->deadline < cap->start) {
            char a[11], b[11];
            return err_at(c, v, "capacity.deadline %s is before capacity.start %s",
                          cp_date_format(cap->deadline, a), cp_date_format(cap->start, b));
        }
        int y0, yd;
        cp_date_split(cap->start, &y0, NULL, NULL);
        cp_date_split(cap->deadline, &yd, NULL, NULL);
        if (yd - y0 > MAX_PLAN_YEARS) {
            char a[11], b[11];
            return err_at(c, v,
                          "capacity.deadline %s is %d years after capacity.start %s; a plan "
                          "spans at most %d years",
                          cp_date_format(cap->deadline, a), yd - y0, cp_date_format(cap->start, b),
                          MAX_PLAN_YEARS);
        }
    } else if (get(c, n, "start")) {
        int y, m, d;
        cp_date_split(cap->start, &y, &m, &d);
        cap->deadline = cp_date_make(y + 10, m, d);
    }
    return CP_OK;
}

/* capacity.teams of one pool (no regions): per type, a number, or {year: teams}. */
static cp_status capacity_pool_teams(ctx *c, yaml_node_t *teams_node, cp_capacity *cap) {
    cp_status s;
    if (cap->ntypes) return parse_team_cells(c, teams_node, "capacity.teams", -1);
    if (teams_node->type != YAML_SCALAR_NODE)
        return as_team_count(c, teams_node, "capacity.teams", &cap->teams, &cap->per_year,
                             &cap->nper_year);
    if ((s = as_number_min(c, teams_node, "capacity.teams", 0, 1, &cap->teams))) return s;
    return check_team_count(c, teams_node, "capacity.teams", cap->teams);
}

/* The scalar settings: days_per_year, package_team_days, redeploy, mobilisation_days. */
static cp_status capacity_settings(ctx *c, yaml_node_t *n, cp_capacity *cap) {
    cp_status s;
    yaml_node_t *v;
    if ((v = get(c, n, "days_per_year"))) {
        /* a day a year at least: 0.001 put the ideal completion in the year 210366 */
        if ((s = as_number_min(c, v, "capacity.days_per_year", 1, 0, &cap->days_per_year)))
            return s;
        if (cap->days_per_year > 366)
            return err_at(c, v, "capacity.days_per_year must be at most 366, got %g",
                          cap->days_per_year);
    }
    if ((v = get(c, n, "package_team_days")) &&
        (s = as_number_min(c, v, "capacity.package_team_days", 1, 0, &cap->package_team_days)))
        /* a team-day at least: 0.0001 split a small plan into 10^7 packages per sample */
        return s;
    if ((v = get(c, n, "redeploy")) && (s = as_bool(c, v, "capacity.redeploy", &cap->redeploy)))
        return s;
    if ((v = get(c, n, "mobilisation_days")) &&
        (s = as_number_min(c, v, "capacity.mobilisation_days", 0, 0, &cap->mobilisation_days)))
        return s;
    return CP_OK;
}

/* capacity.budget_usd: a number, or {year: US$}. */
static cp_status capacity_budget(ctx *c, yaml_node_t *v, cp_capacity *cap) {
    if (v->type == YAML_SCALAR_NODE)
        return as_number_min(c, v, "capacity.budget_usd", 0, 1, &cap->budget_usd);
    cp_class_value *t = NULL;
    size_t nt = 0;
    cp_status s = as_year_table(c, v, "capacity.budget_usd", 0, &t, &nt);
    cap->budget_per_year = s ? NULL : calloc(nt, sizeof *cap->budget_per_year);
    if (!s && !cap->budget_per_year) s = cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < nt; ++i)
        cap->budget_per_year[i] = (cp_year_usd){t[i].code, t[i].value};
    if (!s) cap->nbudget_per_year = nt;
    free(t);
    return s;
}

/* capacity.regions {region: teams} (numbers, or per year and type); capacity.teams beside
 * them must be their sum. */
static cp_status capacity_regions(ctx *c, yaml_node_t *regions, yaml_node_t *teams_node,
                                  cp_capacity *cap) {
    cp_status s;
    if (regions->type != YAML_MAPPING_NODE)
        return err_at(c, regions, "capacity.regions must be a mapping {region: teams}");
    size_t cnt = npairs(regions);
    cap->regions = calloc(cnt ? cnt : 1, sizeof *cap->regions);
    if (!cap->regions) return cp_fail(CP_E_NOMEM, "out of memory");
    int simple = !cap->ntypes; /* every region a plain number: legacy regions[].teams */
    for (yaml_node_pair_t *p = regions->data.mapping.pairs.start;
         p < regions->data.mapping.pairs.top; ++p)
        simple &= node(c, p->value)->type == YAML_SCALAR_NODE;
    double sum = 0;
    for (yaml_node_pair_t *p = regions->data.mapping.pairs.start;
         p < regions->data.mapping.pairs.top; ++p) {
        cp_region_teams *r = &cap->regions[cap->nregions];
        if ((s = as_string(c, node(c, p->key), "region name", &r->name))) return s;
        cap->nregions++;
        for (size_t j = 0; j + 1 < cap->nregions; ++j)
            if (!strcmp(cap->regions[j].name, r->name))
                return err_at(c, node(c, p->key), "region '%s' appears twice", r->name);
        char what[160];
        snprintf(what, sizeof what, "capacity.regions.%s", r->name);
        if (simple) {
            cp_year_teams *none = NULL;
            size_t nn = 0;
            if ((s = as_team_count(c, node(c, p->value), what, &r->teams, &none, &nn))) return s;
            sum += r->teams;
        } else if ((s = parse_team_cells(c, node(c, p->value), what, (int)cap->nregions - 1))) {
            return s;
        }
    }
    if (teams_node && (!simple || teams_node->type != YAML_SCALAR_NODE))
        return err_at(c, teams_node,
                      "capacity.teams cannot be combined with per-year or per-type "
                      "capacity.regions; give the teams in capacity.regions");
    if (teams_node) {
        if ((s = as_number_min(c, teams_node, "capacity.teams", 0, 1, &cap->teams))) return s;
        if (fabs(sum - cap->teams) > 1e-9)
            return err_at(c, teams_node,
                          "capacity.teams (%g) contradicts capacity.regions, whose teams sum "
                          "to %g",
                          cap->teams, sum);
    }
    cap->teams = sum;
    return CP_OK;
}

/* Some team in some year: every team count summed. */
static double capacity_any_team(const cp_capacity *cap) {
    double any = cap->teams;
    for (size_t i = 0; i < cap->nper_year; ++i) any += cap->per_year[i].teams;
    for (size_t i = 0; i < cap->ncounts; ++i) {
        any += cap->counts[i].teams;
        for (size_t k = 0; k < cap->counts[i].nper_year; ++k)
            any += cap->counts[i].per_year[k].teams;
    }
    return any;
}

static cp_status parse_capacity(ctx *c, yaml_node_t *n) {
    static const char *const keys[] = {"start",         "deadline", "teams",
                                       "days_per_year", "regions",  "package_team_days",
                                       "types",         "redeploy", "mobilisation_days",
                                       "budget_usd",    NULL};
    cp_capacity *cap = &c->sc->capacity;
    cp_status s = check_keys(c, n, keys, "capacity");
    if (s) return s;
    yaml_node_t *v, *teams_node = get(c, n, "teams"), *regions = get(c, n, "regions");
    if ((s = capacity_dates(c, n, cap))) return s;
    if ((v = get(c, n, "types")) && (s = parse_team_types(c, v))) return s;
    if (teams_node && !regions && (s = capacity_pool_teams(c, teams_node, cap))) return s;
    if ((s = capacity_settings(c, n, cap))) return s;
    if ((v = get(c, n, "budget_usd")) && (s = capacity_budget(c, v, cap))) return s;
    if (regions) {
        if ((s = capacity_regions(c, regions, teams_node, cap))) return s;
    } else if (cap->ntypes && !teams_node) {
        return err_at(c, n,
                      "capacity.types needs capacity.teams {type: teams} or capacity.regions");
    }
    if ((teams_node || regions) && !(capacity_any_team(cap) > 0))
        return err_at(c, teams_node ? teams_node : regions,
                      "capacity.teams: every year has 0 teams (zero capacity never finishes)");
    return CP_OK;
}

static cp_status parse_string_list(ctx *c, yaml_node_t *n, const char *what, char ***out,
                                   size_t *nout) {
    if (n->type != YAML_SEQUENCE_NODE) return err_at(c, n, "%s must be a list of hazard ids", what);
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    *out = calloc(cnt ? cnt : 1, sizeof **out);
    if (!*out) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < cnt; ++i) {
        cp_status s = as_string(c, node(c, n->data.sequence.items.start[i]), what, &(*out)[i]);
        if (s) return s;
        *nout = i + 1;
    }
    return CP_OK;
}

static cp_status parse_rules(ctx *c, yaml_node_t *n) {
    static const char *const keys[] = {"locked", "exclude", NULL};
    cp_plan_rules *r = &c->sc->rules;
    cp_status s = check_keys(c, n, keys, "plan");
    yaml_node_t *v;
    if (!s && (v = get(c, n, "locked")))
        s = parse_string_list(c, v, "plan.locked", &r->locked, &r->nlocked);
    if (!s && (v = get(c, n, "exclude"))) {
        if (v->type != YAML_MAPPING_NODE)
            return err_at(c, v, "plan.exclude must be a mapping {hazard_id: reason}");
        size_t cnt = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        r->exclude = calloc(cnt ? cnt : 1, sizeof *r->exclude);
        if (!r->exclude) return cp_fail(CP_E_NOMEM, "out of memory");
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             ++p) {
            cp_exclusion *e = &r->exclude[r->nexclude++];
            if ((s = as_string(c, node(c, p->key), "plan.exclude id", &e->id)) ||
                (s = as_string(c, node(c, p->value), "plan.exclude reason", &e->reason)))
                return s;
        }
    }
    return s;
}

/* ------------------------------------------------------------------ uncertainty -------- */

/* A three-point estimate: [min, max] (likely: `value`, the deterministic one), [min, likely,
 * max], {min, likely, max} or a number (fixed). Every point within [lo, hi]. */
static cp_status as_range(ctx *c, yaml_node_t *n, const char *what, double value, double lo,
                          double hi, cp_range *out) {
    double v[3] = {NAN, NAN, NAN};
    yaml_node_t *at[3] = {n, n, n};
    size_t cnt = 0;
    cp_status s = CP_OK;
    char kw[224];
    if (n->type == YAML_SCALAR_NODE) {
        if ((s = as_number(c, n, what, &v[0]))) return s;
        v[1] = v[2] = v[0];
        cnt = 3;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (cnt != 2 && cnt != 3)
            return err_at(c, n, "%s must be [min, max] or [min, likely, max], got %zu numbers",
                          what, cnt);
        for (size_t i = 0; i < cnt && !s; ++i) {
            yaml_node_t *x = node(c, n->data.sequence.items.start[i]);
            at[cnt == 2 && i == 1 ? 2 : i] = x;
            s = as_number(c, x, what, &v[cnt == 2 && i == 1 ? 2 : i]);
        }
    } else {
        static const char *const keys[] = {"min", "likely", "max", NULL};
        if ((s = check_keys(c, n, keys, what))) return s;
        for (int i = 0; i < 3 && !s; ++i) {
            yaml_node_t *x = get(c, n, keys[i]);
            if (!x && i != 1) return err_at(c, n, "%s needs min and max", what);
            snprintf(kw, sizeof kw, "%s.%s", what, keys[i]);
            if (x) s = as_number(c, x, kw, &v[i]), at[i] = x, cnt += 1;
        }
    }
    if (s) return s;
    if (isnan(v[1])) {
        if (!(v[0] <= value && value <= v[2]))
            return err_at(c, n, "%s: the range [%g, %g] does not hold the plan's value %g", what,
                          v[0], v[2], value);
        v[1] = value;
    }
    for (int i = 0; i < 3; ++i)
        if (!(v[i] >= lo && v[i] <= hi))
            return err_at(c, at[i], "%s must be between %g and %g, got %g", what, lo, hi, v[i]);
    if (!(v[0] <= v[1] && v[1] <= v[2]))
        return err_at(c, n, "%s must have min <= likely <= max, got %g, %g, %g", what, v[0], v[1],
                      v[2]);
    *out = (cp_range){1, v[0], v[1], v[2]};
    return CP_OK;
}

/* {name: range, ...} for names from `names` (count n, stride `stride` bytes, a char * at the
 * start of each element), each range around `values` (NULL: 1). */
static cp_status as_named_ranges(ctx *c, yaml_node_t *n, const char *what, const char *kinds,
                                 const char *const *names, const double *values, size_t nnames,
                                 double hi, cp_named_range **out, size_t *nout) {
    if (n->type != YAML_MAPPING_NODE)
        return err_at(c, n, "%s must be a mapping {%s: range}", what, kinds);
    *out = calloc(npairs(n) + 1, sizeof **out);
    if (!*out) return cp_fail(CP_E_NOMEM, "out of memory");
    const char **allowed = calloc(nnames + 1, sizeof *allowed);
    if (!allowed) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nnames; ++i) allowed[i] = names[i];
    cp_status s = check_keys(c, n, allowed, what);
    free(allowed);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; !s && p < n->data.mapping.pairs.top;
         ++p) {
        const char *key = scalar(node(c, p->key));
        size_t i = 0;
        while (strcmp(names[i], key)) ++i;
        cp_named_range *r = &(*out)[(*nout)++];
        char kw[224];
        snprintf(kw, sizeof kw, "%s.%s", what, key);
        if (!(r->name = cp_strdup(key))) return cp_fail(CP_E_NOMEM, "out of memory");
        s = as_range(c, node(c, p->value), kw, values ? values[i] : 1, 0, hi, &r->range);
    }
    return s;
}

/* uncertainty.samples, seed and distribution. */
static cp_status uncertainty_sampling(ctx *c, yaml_node_t *n, cp_uncertainty *u) {
    cp_status s;
    yaml_node_t *v;
    double d;
    if ((v = get(c, n, "samples"))) {
        if ((s = as_int(c, v, "uncertainty.samples", &u->samples))) return s;
        if (u->samples < 0 || u->samples > 10000000) /* --samples' bound too */
            return err_at(c, v, "uncertainty.samples must be between 0 and 10000000, got %d",
                          u->samples);
    }
    if ((v = get(c, n, "seed"))) {
        if ((s = as_number_min(c, v, "uncertainty.seed", 0, 0, &d))) return s;
        if (d != floor(d) || d > 9007199254740992.0)
            return err_at(c, v, "uncertainty.seed must be a whole number from 0 to 2^53, got %g",
                          d);
        u->seed = (uint64_t)d;
    }
    if ((v = get(c, n, "distribution"))) {
        const char *t = scalar(v);
        if (t && !strcmp(t, "pert"))
            u->distribution = 0;
        else if (t && !strcmp(t, "triangular"))
            u->distribution = 1;
        else
            return err_at(c, v, "uncertainty.distribution must be pert or triangular, got %s%s%s",
                          t ? "'" : "", t ? t : kind_of(v), t ? "'" : "");
    }
    return CP_OK;
}

/* uncertainty.productivity.classes {class: range}. */
static cp_status uncertainty_classes(ctx *c, yaml_node_t *w, cp_uncertainty *u) {
    cp_status s;
    if (w->type != YAML_MAPPING_NODE)
        return err_at(c, w, "uncertainty.productivity.classes must be a mapping {class: range}");
    u->classes = calloc(npairs(w) + 1, sizeof *u->classes);
    if (!u->classes) return cp_fail(CP_E_NOMEM, "out of memory");
    for (yaml_node_pair_t *p = w->data.mapping.pairs.start; p < w->data.mapping.pairs.top; ++p) {
        cp_class_range *r = &u->classes[u->nclasses];
        char kw[96];
        if ((s = as_int(c, node(c, p->key), "class of uncertainty.productivity", &r->code)))
            return s;
        for (size_t j = 0; j < u->nclasses; ++j)
            if (u->classes[j].code == r->code)
                return err_at(c, node(c, p->key),
                              "class %d appears twice in uncertainty.productivity", r->code);
        snprintf(kw, sizeof kw, "uncertainty.productivity.classes[%d]", r->code);
        if ((s = as_range(c, node(c, p->value), kw, 1, 1e-6, 1e6, &r->range))) return s;
        u->nclasses++;
    }
    return CP_OK;
}

/* uncertainty.productivity: a range of factors, or {default: range, classes: {...}}. */
static cp_status uncertainty_productivity(ctx *c, yaml_node_t *v, cp_uncertainty *u) {
    if (!(v->type == YAML_MAPPING_NODE && (get(c, v, "default") || get(c, v, "classes"))))
        return as_range(c, v, "uncertainty.productivity", 1, 1e-6, 1e6, &u->productivity);
    static const char *const pk[] = {"default", "classes", NULL};
    cp_status s;
    if ((s = check_keys(c, v, pk, "uncertainty.productivity"))) return s;
    yaml_node_t *w;
    if ((w = get(c, v, "default")) &&
        (s = as_range(c, w, "uncertainty.productivity.default", 1, 1e-6, 1e6, &u->productivity)))
        return s;
    if ((w = get(c, v, "classes"))) return uncertainty_classes(c, w, u);
    return CP_OK;
}

/* uncertainty.types {type: range}: the capacity's team types. */
static cp_status uncertainty_types(ctx *c, yaml_node_t *v, cp_uncertainty *u) {
    const cp_capacity *cap = &c->sc->capacity;
    const char **names = calloc(cap->ntypes + 1, sizeof *names);
    if (!names) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t t = 0; t < cap->ntypes; ++t) names[t] = cap->types[t].name;
    cp_status s = cap->ntypes ? as_named_ranges(c, v, "uncertainty.types", "type", names, NULL,
                                                cap->ntypes, 1e6, &u->types, &u->ntypes)
                              : err_at(c, v, "uncertainty.types needs capacity.types");
    free(names);
    return s;
}

/* The factors: nts, ts, availability, team_day_usd. */
static cp_status uncertainty_factors(ctx *c, yaml_node_t *n, cp_uncertainty *u) {
    struct {
        const char *key;
        cp_range *r;
        double lo, hi;
    } factors[] = {{"nts", &u->nts, 1e-6, 1e6},
                   {"ts", &u->ts, 1e-6, 1e6},
                   {"availability", &u->availability, 1e-6, 1},
                   {"team_day_usd", &u->team_day_usd, 0, 1e6}};
    cp_status s;
    yaml_node_t *v;
    for (size_t i = 0; i < sizeof factors / sizeof factors[0]; ++i)
        if ((v = get(c, n, factors[i].key))) {
            char kw[64];
            snprintf(kw, sizeof kw, "uncertainty.%s", factors[i].key);
            if ((s = as_range(c, v, kw, 1, factors[i].lo, factors[i].hi, factors[i].r))) return s;
        }
    return CP_OK;
}

/* uncertainty.release {SHA|CHA: {cancel|reduce|clear: range}} around the cost's shares. */
static cp_status uncertainty_release(ctx *c, yaml_node_t *v, cp_uncertainty *u) {
    static const char *const rk[] = {"SHA", "CHA", NULL};
    static const char *const mk[] = {"cancel", "reduce", "clear", NULL};
    cp_status s;
    if ((s = check_keys(c, v, rk, "uncertainty.release"))) return s;
    for (int st = 0; st < CP_NSTATUS; ++st) {
        yaml_node_t *r = get(c, v, rk[st]);
        char where[64];
        snprintf(where, sizeof where, "uncertainty.release.%s", rk[st]);
        if (r && (s = check_keys(c, r, mk, where))) return s;
        for (int m = 0; r && m < CP_NMETHOD; ++m) {
            yaml_node_t *x = get(c, r, mk[m]);
            char what[96];
            snprintf(what, sizeof what, "%s.%s", where, mk[m]);
            if (x &&
                (s = as_range(c, x, what, c->sc->cost.release[st][m], 0, 1, &u->release[st][m])))
                return s;
        }
    }
    return CP_OK;
}

/* uncertainty.weights {criterion: range} or uncertainty.weight_concentration, not both. */
static cp_status uncertainty_weights(ctx *c, yaml_node_t *n, cp_uncertainty *u) {
    const cp_scenario *sc = c->sc;
    cp_status s = CP_OK;
    yaml_node_t *wr = get(c, n, "weights"), *wc = get(c, n, "weight_concentration");
    if (wr && wc)
        return err_at(c, wc,
                      "give uncertainty.weights or uncertainty.weight_concentration, "
                      "not both");
    if (wc && (s = as_number_min(c, wc, "uncertainty.weight_concentration", 0, 1,
                                 &u->weight_concentration)))
        return s;
    if (!wr) return CP_OK;
    const char **names = calloc(sc->ncriteria + 1, sizeof *names);
    double *w = calloc(sc->ncriteria + 1, sizeof *w);
    if (!names || !w) s = cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t k = 0; !s && k < sc->ncriteria; ++k)
        names[k] = sc->criteria[k].name, w[k] = sc->criteria[k].weight;
    if (!s)
        s = as_named_ranges(c, wr, "uncertainty.weights", "criterion", names, w, sc->ncriteria,
                            1e12, &u->weights, &u->nweights);
    free(names);
    free(w);
    return s;
}

static cp_status parse_uncertainty(ctx *c, yaml_node_t *n) {
    static const char *const keys[] = {
        "samples", "seed",    "distribution", "productivity", "types",   "nts",
        "ts",      "release", "availability", "team_day_usd", "weights", "weight_concentration",
        NULL};
    cp_uncertainty *u = &c->sc->uncertainty;
    cp_status s = check_keys(c, n, keys, "uncertainty");
    if (s) return s;
    u->given = 1;
    yaml_node_t *v;
    if ((s = uncertainty_sampling(c, n, u))) return s;
    if ((v = get(c, n, "productivity")) && (s = uncertainty_productivity(c, v, u))) return s;
    if ((v = get(c, n, "types")) && (s = uncertainty_types(c, v, u))) return s;
    if ((s = uncertainty_factors(c, n, u))) return s;
    if ((v = get(c, n, "release")) && (s = uncertainty_release(c, v, u))) return s;
    return uncertainty_weights(c, n, u);
}

static cp_status parse_contamination(ctx *c, yaml_node_t *n) {
    static const char *const keys[] = {
        "reports", "fit_years", "area_per_report_m2", "link_m", "reserve", "samples", NULL};
    cp_contamination_spec *k = &c->sc->contamination;
    cp_status s = check_keys(c, n, keys, "contamination");
    if (s) return s;
    k->given = 1;
    k->line = (int)n->start_mark.line + 1;
    k->column = (int)n->start_mark.column + 1;
    yaml_node_t *v;
    if ((v = get(c, n, "reports")) && (s = as_string(c, v, "contamination.reports", &k->input)))
        return s;
    if (!k->input && !(k->input = cp_strdup("reports")))
        return cp_fail(CP_E_NOMEM, "out of memory");
    const cp_input *in = cp_scenario_input(c->sc, k->input);
    if (!in || in->type == CP_INPUT_RASTER || !in->date)
        return err_at(c, v ? v : n,
                      "contamination: inputs.%s must be a vector layer of dated reports (with "
                      "a date field)",
                      k->input);
    if ((v = get(c, n, "fit_years"))) {
        if ((s = as_int(c, v, "contamination.fit_years", &k->fit_years))) return s;
        if (k->fit_years < 1 || k->fit_years > 100)
            return err_at(c, v, "contamination.fit_years must be from 1 to 100, got %d",
                          k->fit_years);
    }
    if ((v = get(c, n, "area_per_report_m2")) &&
        (s = as_number_min(c, v, "contamination.area_per_report_m2", 0, 0, &k->area_per_report_m2)))
        return s;
    if ((v = get(c, n, "link_m")) &&
        (s = as_number_min(c, v, "contamination.link_m", 0, 1, &k->link_m)))
        return s;
    if ((v = get(c, n, "samples"))) {
        if ((s = as_int(c, v, "contamination.samples", &k->samples))) return s;
        if (k->samples < 1 || k->samples > 1000000)
            return err_at(c, v, "contamination.samples must be from 1 to 1000000, got %d",
                          k->samples);
    }
    if ((v = get(c, n, "reserve"))) {
        static const char *const q[] = {"p10", "p50", "p90", "none"};
        const char *t = scalar(v);
        k->reserve = -2;
        for (int i = 0; i < 4 && t; ++i)
            if (!strcmp(t, q[i])) k->reserve = i < 3 ? i : -1;
        if (k->reserve == -2)
            return err_at(c, v, "contamination.reserve must be p10, p50, p90 or none, got %s%s%s",
                          t ? "'" : "", t ? t : kind_of(v), t ? "'" : "");
    }
    return CP_OK;
}

static cp_status parse_outputs(ctx *c, yaml_node_t *n) {
    static const char *const keys[] = {"dir", "criteria_maps", NULL};
    cp_status s = check_keys(c, n, keys, "outputs");
    yaml_node_t *v;
    if (!s && (v = get(c, n, "dir"))) s = as_path(c, v, "outputs.dir", &c->sc->outputs.dir);
    if (!s && (v = get(c, n, "criteria_maps")))
        s = as_bool(c, v, "outputs.criteria_maps", &c->sc->outputs.criteria_maps);
    return s;
}

/* ------------------------------------------------------------------ top level ---------- */

static cp_status parse_document(ctx *c) {
    static const char *const keys[] = {"name",          "grid",     "inputs", "criteria",
                                       "cost",          "capacity", "plan",   "uncertainty",
                                       "contamination", "outputs",  NULL};
    cp_scenario *sc = c->sc;
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root)
        return err_at(c, NULL, "the file is empty; a scenario needs at least inputs.hazards");
    cp_status s = check_keys(c, root, keys, "the scenario");
    if (s) return s;
    yaml_node_t *v;
    if ((v = get(c, root, "name"))) {
        if ((s = as_string(c, v, "name", &sc->name))) return s;
    } else {
        sc->name = cp_strdup("clearplan scenario");
    }
    if ((v = get(c, root, "grid")) && (s = parse_grid(c, v))) return s;
    /* capacity before criteria: density's as_of defaults to capacity.start */
    if ((v = get(c, root, "capacity")) && (s = parse_capacity(c, v))) return s;
    if ((v = get(c, root, "cost")) && (s = parse_cost(c, v))) return s;
    if (!(v = get(c, root, "inputs")))
        return err_at(c, root, "missing 'inputs': a scenario needs at least inputs.hazards");
    if ((s = parse_inputs(c, v))) return s;
    const cp_input *hz = cp_scenario_input(sc, "hazards");
    if (!hz) return err_at(c, v, "inputs needs 'hazards' (the hazard polygons)");
    if (hz->type == CP_INPUT_RASTER)
        return err_at(c, v, "inputs.hazards must be a vector layer of polygons");
    if (sc->capacity.nregions && !hz->region)
        return err_at(c, get(c, get(c, root, "capacity"), "regions"),
                      "capacity.regions needs inputs.hazards.region (the hazards' region field)");
    if ((s = parse_criteria(c, get(c, root, "criteria")))) return s;
    if ((v = get(c, root, "plan")) && (s = parse_rules(c, v))) return s;
    /* after cost, capacity and criteria: ranges hold their values, types and names */
    if ((v = get(c, root, "uncertainty")) && (s = parse_uncertainty(c, v))) return s;
    if ((v = get(c, root, "contamination")) && (s = parse_contamination(c, v))) return s;
    if ((v = get(c, root, "outputs")) && (s = parse_outputs(c, v))) return s;
    if (!sc->outputs.dir) sc->outputs.dir = resolve(sc->dir, "out");
    return CP_OK;
}

static void init_defaults(cp_scenario *sc) {
    sc->grid.cell_size_m = 30;
    sc->uncertainty.seed = 1;
    sc->contamination.fit_years = 5;
    sc->contamination.area_per_report_m2 = NAN;
    sc->contamination.link_m = 1000;
    sc->contamination.reserve = 1;
    sc->contamination.samples = 2000;
    sc->grid.max_cells = CP_GRID_MAX_CELLS;
    cp_cost_defaults(&sc->cost);
    cp_capacity_defaults(&sc->capacity);
}

/* Nesting deeper than this is refused before the document is built: libyaml's time grows
 * with the square of the depth (100,000 nested brackets take a minute), and no scenario
 * needs more than a few levels. */
enum { MAX_DEPTH = 64 };

/* A first pass over the YAML events that stops at the first collection nested deeper than
 * MAX_DEPTH (a syntax error is left to the real parse, which reports it). */
static cp_status check_depth(const ctx *c, const char *text, size_t len) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return cp_fail(CP_E_NOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    cp_status s = CP_OK;
    int depth = 0;
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) break;
        yaml_event_type_t t = e.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > MAX_DEPTH)
                s = cp_fail(CP_E_CONFIG, "%s:%lu:%lu: nested deeper than %d levels", c->file,
                            (unsigned long)e.start_mark.line + 1,
                            (unsigned long)e.start_mark.column + 1, MAX_DEPTH);
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            --depth;
        }
        yaml_event_delete(&e);
        if (s || t == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&p);
    return s;
}

static cp_status scenario_parse_quietly(const char *text, size_t len, const char *name,
                                        const char *dir, cp_scenario **out) {
    if (!text || !out) return cp_fail(CP_E_ARG, "cp_scenario_parse: NULL argument");
    *out = NULL;
    cp_scenario *sc = calloc(1, sizeof *sc);
    if (!sc) return cp_fail(CP_E_NOMEM, "out of memory");
    sc->dir = cp_strdup(dir ? dir : ".");
    init_defaults(sc);
    /* the defaults' class table is the planner's, read-only: the scenario owns a copy */
    size_t nb = sc->cost.nproductivity * sizeof *sc->cost.productivity;
    cp_class_value *own = malloc(nb ? nb : 1);
    if (own) memcpy(own, sc->cost.productivity, nb);
    sc->cost.productivity = own;
    if (!own) sc->cost.nproductivity = 0;
    ctx c = {name ? name : "<scenario>", NULL, sc};
    yaml_parser_t parser;
    yaml_document_t doc;
    cp_status s = CP_OK;
    if (!yaml_parser_initialize(&parser)) {
        cp_scenario_free(sc);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    if ((s = check_depth(&c, text, len))) {
        yaml_parser_delete(&parser);
        cp_scenario_free(sc);
        return s;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        s = cp_fail(CP_E_CONFIG, "%s:%lu:%lu: malformed YAML: %s%s%s", c.file,
                    (unsigned long)parser.problem_mark.line + 1,
                    (unsigned long)parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
                    parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        cp_scenario_free(sc);
        return s;
    }
    c.doc = &doc;
    s = parse_document(&c);
    /* a second document (after ---) would be ignored without a word */
    yaml_document_t more;
    if (!s && yaml_parser_load(&parser, &more)) {
        yaml_node_t *root = yaml_document_get_root_node(&more);
        if (root)
            s = cp_fail(CP_E_CONFIG,
                        "%s:%lu:%lu: a second YAML document; a scenario is one document (remove "
                        "the '---' before it, or the rest)",
                        c.file, (unsigned long)root->start_mark.line + 1,
                        (unsigned long)root->start_mark.column + 1);
        yaml_document_delete(&more);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (s) {
        cp_scenario_free(sc);
        return s;
    }
    *out = sc;
    return CP_OK;
}

static cp_status scenario_load_quietly(const char *path, cp_scenario **out) {
    if (!path || !out) return cp_fail(CP_E_ARG, "cp_scenario_load: NULL argument");
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    cp_status rs = read_text(path, &buf, &len);
    if (rs) return rs;
    /* The folder of the file resolves relative paths. */
    char *dir = cp_strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else if (dir)
        strcpy(dir, ".");
    cp_status s = cp_scenario_parse(buf, len, path, dir, out);
    free(buf);
    free(dir);
    if (!s) (*out)->path = cp_strdup(path);
    return s;
}

const cp_input *cp_scenario_role(const cp_scenario *sc, cp_input_role role) {
    for (size_t i = 0; sc && role != CP_ROLE_NONE && i < sc->ninputs; ++i)
        if (sc->inputs[i].role == role) return &sc->inputs[i];
    return NULL;
}

const cp_input *cp_scenario_input(const cp_scenario *sc, const char *name) {
    for (size_t i = 0; sc && i < sc->ninputs; ++i)
        if (sc->inputs[i].name && !strcmp(sc->inputs[i].name, name)) return &sc->inputs[i];
    return NULL;
}

void cp_scenario_free(cp_scenario *sc) {
    if (!sc) return;
    free(sc->path);
    free(sc->dir);
    free(sc->name);
    free(sc->grid.crs);
    free(sc->grid.aoi);
    for (size_t i = 0; i < sc->ninputs; ++i) {
        cp_input *in = &sc->inputs[i];
        free(in->name), free(in->path), free(in->layer), free(in->assume_crs);
        free(in->id), free(in->status), free(in->region), free(in->locked);
        free(in->date), free(in->confidence), free(in->weight);
    }
    free(sc->inputs);
    for (size_t i = 0; i < sc->ncriteria; ++i) {
        free(sc->criteria[i].name);
        free(sc->criteria[i].input);
        free(sc->criteria[i].table);
    }
    free(sc->criteria);
    free(sc->cost.productivity);
    free(sc->capacity.per_year);
    for (size_t i = 0; i < sc->capacity.nregions; ++i) free(sc->capacity.regions[i].name);
    free(sc->capacity.regions);
    for (size_t i = 0; i < sc->capacity.ntypes; ++i) {
        free(sc->capacity.types[i].name);
        free(sc->capacity.types[i].productivity);
    }
    free(sc->capacity.types);
    for (size_t i = 0; i < sc->capacity.ncounts; ++i) free(sc->capacity.counts[i].per_year);
    free(sc->capacity.counts);
    free(sc->capacity.budget_per_year);
    for (size_t i = 0; i < sc->rules.nlocked; ++i) free(sc->rules.locked[i]);
    free(sc->rules.locked);
    for (size_t i = 0; i < sc->rules.nexclude; ++i) {
        free(sc->rules.exclude[i].id);
        free(sc->rules.exclude[i].reason);
    }
    free(sc->rules.exclude);
    free(sc->uncertainty.classes);
    for (size_t i = 0; i < sc->uncertainty.ntypes; ++i) free(sc->uncertainty.types[i].name);
    free(sc->uncertainty.types);
    for (size_t i = 0; i < sc->uncertainty.nweights; ++i) free(sc->uncertainty.weights[i].name);
    free(sc->uncertainty.weights);
    free(sc->contamination.input);
    free(sc->cost_profile.path);
    free(sc->cost_profile.records);
    free(sc->cost_profile.records_fnv1a64);
    free(sc->cost_profile.fitted_on);
    free(sc->outputs.dir);
    for (size_t i = 0; i < sc->nnotes; ++i) free(sc->notes[i]);
    free(sc->notes);
    free(sc);
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_scenario_parse(const char *text, size_t len, const char *name, const char *dir,
                            cp_scenario **out) {
    cp_gdal_quiet_begin();
    cp_status s = scenario_parse_quietly(text, len, name, dir, out);
    cp_gdal_quiet_end();
    return s;
}

cp_status cp_scenario_load(const char *path, cp_scenario **out) {
    cp_gdal_quiet_begin();
    cp_status s = scenario_load_quietly(path, out);
    cp_gdal_quiet_end();
    return s;
}
