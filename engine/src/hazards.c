/* Reading hazards and building the grid around them (DESIGN §5, §7, §15; engine.h): every
 * input feature ends in the set or in `rejected` with a reason. Ids, attributes and
 * geometries come through the io layer's intake (io/intake.h), the same as for the area of
 * interest and `zonal`. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>
#include <ogr_api.h>

#include "cpk/cpk.h"
#include "engine.h"
#include "error.h"

/* ---- a small open-addressing set of ids (duplicate detection) ---- */
typedef struct {
    char **keys;
    size_t *vals;
    size_t cap, n; /* cap: a power of two, kept at least twice n */
} idset;

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; ++s) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t idset_slot(const idset *t, const char *key) {
    size_t i = hash_str(key) & (t->cap - 1);
    while (t->keys[i] && strcmp(t->keys[i], key)) i = (i + 1) & (t->cap - 1);
    return i;
}

/* Doubles the table (64 slots at first). 0 when out of memory. */
static int idset_grow(idset *t) {
    idset g = {NULL, NULL, t->cap ? 2 * t->cap : 64, t->n};
    g.keys = calloc(g.cap, sizeof *g.keys);
    g.vals = calloc(g.cap, sizeof *g.vals);
    if (!g.keys || !g.vals) {
        free(g.keys), free(g.vals);
        return 0;
    }
    for (size_t i = 0; i < t->cap; ++i)
        if (t->keys[i]) {
            size_t j = idset_slot(&g, t->keys[i]);
            g.keys[j] = t->keys[i];
            g.vals[j] = t->vals[i];
        }
    free(t->keys), free(t->vals);
    *t = g;
    return 1;
}

/* Inserts a copy of key; returns 1 and the earlier value when the key was already there,
 * -1 when out of memory. */
static int idset_put(idset *t, const char *key, size_t val, size_t *earlier) {
    if (2 * (t->n + 1) > t->cap && !idset_grow(t)) return -1;
    size_t i = idset_slot(t, key);
    if (t->keys[i]) {
        *earlier = t->vals[i];
        return 1;
    }
    size_t n = strlen(key) + 1;
    if (!(t->keys[i] = malloc(n))) return -1;
    memcpy(t->keys[i], key, n);
    t->vals[i] = val;
    t->n++;
    return 0;
}

/* The value of a key that is there. */
static size_t idset_get(const idset *t, const char *key) {
    return t->vals[idset_slot(t, key)];
}

/* Sets the value of a key that is there. */
static void idset_set(idset *t, const char *key, size_t val) {
    t->vals[idset_slot(t, key)] = val;
}

static void idset_free(idset *t) {
    for (size_t i = 0; t->keys && i < t->cap; ++i) free(t->keys[i]);
    free(t->keys);
    free(t->vals);
}

/* ---- hazard set ---- */

static void item_free(GEOSContextHandle_t gh, cp_hazard_in *h) {
    free(h->id);
    free(h->region);
    if (h->geom) GEOSGeom_destroy_r(gh, h->geom);
    cp_polygon_arrays_free(&h->shape);
    cp_polygon_arrays_free(&h->grown);
}

void cp_hazards_clear(cp_hazard_set *hs) {
    if (!hs) return;
    for (size_t i = 0; i < hs->n; ++i) item_free(hs->geos, &hs->items[i]);
    free(hs->items);
    for (size_t i = 0; i < hs->nrejected; ++i) {
        free(hs->rejected[i].id);
        free(hs->rejected[i].reason);
        free(hs->rejected[i].wkb);
    }
    free(hs->rejected);
    if (hs->geos) GEOS_finish_r(hs->geos);
    memset(hs, 0, sizeof *hs);
}

/* A usable feature with an id already taken, its original geometry as WKB for its
 * rejection. */
typedef struct {
    cp_hazard_in h;
    const char *key; /* its id, which stays where it goes (the hazards or the rejected) */
    unsigned char *wkb;
    size_t wkb_len;
    int used; /* done with: planned in the holder's place, or rejected */
} spare;

/* What the reading phases share. */
typedef struct {
    const cp_scenario *sc;
    const cp_input *in;
    cp_hazard_set *hs;
    cp_intake it; /* into the grid's CRS */
    size_t cap, rcap;
    /* hazards whose region has no teams (capacity.regions): an error once all are read */
    size_t bad_regions;
    char *bad_id, *bad_region; /* the first one's */
    int64_t bad_fid;
    /* Usable features whose id an earlier usable feature has: kept until the grid is known,
     * since the holder may lie outside it, and then the first of them on the grid takes its
     * place (place_on_grid); the others are rejected as duplicates. */
    spare *spares;
    size_t nspares, spcap;
} read_ctx;

/* Adds a rejected row; takes `id` and `wkb` (the geometry in the grid's CRS, or NULL). */
static cp_status reject(read_ctx *c, char *id, int64_t fid, size_t index, unsigned char *wkb,
                        size_t wkb_len, const char *fmt, ...) CP_PRINTF(7, 8);
static cp_status reject(read_ctx *c, char *id, int64_t fid, size_t index, unsigned char *wkb,
                        size_t wkb_len, const char *fmt, ...) {
    cp_hazard_set *hs = c->hs;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t n = strlen(buf) + 1;
    char *reason = malloc(n);
    if (hs->nrejected == c->rcap && reason) {
        size_t nc = c->rcap ? c->rcap * 2 : 64;
        cp_rejected *r = realloc(hs->rejected, nc * sizeof *r);
        if (r) hs->rejected = r, c->rcap = nc;
    }
    if (!reason || hs->nrejected == c->rcap) {
        free(id), free(wkb), free(reason);
        return cp_fail(CP_E_NOMEM, "out of memory reading hazards");
    }
    cp_rejected *r = &hs->rejected[hs->nrejected++];
    r->id = id;
    r->fid = fid;
    r->input_index = index;
    r->reason = memcpy(reason, buf, n);
    r->wkb = wkb;
    r->wkb_len = wkb ? wkb_len : 0;
    return CP_OK;
}

/* Whether every coordinate of `g` is finite (its envelope's are). */
static int finite_geometry(OGRGeometryH g) {
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    return isfinite(e.MinX) && isfinite(e.MaxX) && isfinite(e.MinY) && isfinite(e.MaxY);
}

/* A rejected feature's geometry in the grid's CRS as WKB (NULL when it has none, it does not
 * transform, or a coordinate is not finite: no GeoPackage can hold that geometry, and its
 * row is written without one). */
static unsigned char *feature_wkb(const read_ctx *c, OGRGeometryH geom, size_t *len) {
    OGRGeometryH g = geom && !OGR_G_IsEmpty(geom) ? OGR_G_Clone(geom) : NULL;
    unsigned char *wkb = NULL;
    if (g && (!c->it.ct || OGR_G_Transform(g, c->it.ct) == OGRERR_NONE) && finite_geometry(g)) {
        OGR_G_FlattenTo2D(g);
        *len = (size_t)OGR_G_WkbSize(g);
        wkb = malloc(*len ? *len : 1);
        if (wkb) OGR_G_ExportToIsoWkb(g, wkbNDR, wkb);
    }
    if (g) OGR_G_DestroyGeometry(g);
    return wkb;
}

/* A taken-in geometry as WKB in malloc'd memory (NULL when GEOS cannot write it). */
static unsigned char *geos_wkb(GEOSContextHandle_t gh, const GEOSGeometry *geom, size_t *len) {
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(gh);
    unsigned char *w = wr ? GEOSWKBWriter_write_r(gh, wr, geom, len) : NULL;
    unsigned char *copy = w ? malloc(*len ? *len : 1) : NULL;
    if (copy) memcpy(copy, w, *len);
    if (w) GEOSFree_r(gh, w);
    if (wr) GEOSWKBWriter_destroy_r(gh, wr);
    return copy;
}

/* Room for one more of an array of n items of `size` bytes (*cap doubled, 64 at first). 0
 * when out of memory (the array as it was). */
static int grow(void **items, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return 1;
    size_t nc = *cap ? 2 * *cap : 64;
    void *p = realloc(*items, nc * size);
    if (!p) return 0;
    *items = p, *cap = nc;
    return 1;
}

/* Field indices of the hazards layer (-1: not in the scenario). */
typedef struct {
    int id, status, region, locked;
} hazard_fields;

/* Phase 2, one feature: attributes, then the geometry through the intake. Rejects what it
 * must; appends the rest (geometry only, no arrays yet). Another status: out of memory. */
static cp_status read_feature(read_ctx *c, OGRFeatureH f, const hazard_fields *fl, idset *ids) {
    cp_hazard_set *hs = c->hs;
    size_t index = hs->nread++;
    int64_t fid = OGR_F_GetFID(f);
    OGRGeometryH geom = OGR_F_GetGeometryRef(f);
    char *id = NULL, *st = NULL, *region = NULL, *locked = NULL;
    size_t wl = 0, earlier = 0;
    cp_status s;
    if ((s = cp_field_text(f, fl->id, &id)) || (s = cp_field_text(f, fl->status, &st)) ||
        (s = cp_field_text(f, fl->region, &region)) || (s = cp_field_text(f, fl->locked, &locked)))
        goto done;
        /* the geometry first: the order in which arguments are evaluated is unspecified */
#define REJECT(...)                                                      \
    do {                                                                 \
        unsigned char *wkb_ = feature_wkb(c, geom, &wl);                 \
        s = reject(c, id, fid, index, wkb_, wkb_ ? wl : 0, __VA_ARGS__); \
        id = NULL;                                                       \
    } while (0)
    const char *idp = id;
    while (idp && isspace((unsigned char)*idp)) ++idp;
    if (!idp || !*idp) { /* blank is missing; other ids are kept verbatim, as plan reads them */
        REJECT("missing hazard id");
        goto done;
    }
    /* A Real beyond 2^53 has lost its last digits (a shapefile's N(20,0) read as Real): two ids
     * could become one, another hazard's */
    if (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, fl->id)) == OFTReal &&
        fabs(OGR_F_GetFieldAsDouble(f, fl->id)) > 9007199254740992.0) {
        REJECT(
            "id %s is a real number beyond 2^53, whose last digits are not kept: store the "
            "ids as text or 64-bit integers",
            id);
        goto done;
    }
    int status, lk;
    if (cp_status_text(st, &status)) {
        REJECT("unknown status '%s' (expected " CP_STATUS_SPELLINGS ")", st ? st : "");
        goto done;
    }
    if (cp_locked_text(locked, &lk)) { /* a rule's flag is not guessed: the layer is fixed */
        s = cp_fail(CP_E_FORMAT,
                    "<%s>: feature %lld (hazard %s): locked '%s' is not " CP_LOCKED_SPELLINGS,
                    c->in->path, (long long)fid, id, locked);
        goto done;
    }
    const cp_capacity *cap = &c->sc->capacity;
    if (cap->nregions) {
        int known = 0;
        for (size_t r = 0; region && r < cap->nregions; ++r)
            known |= !strcmp(cap->regions[r].name, region);
        if (!known) {
            if (!c->bad_regions++) {
                c->bad_id = cp_strdup(id);
                c->bad_region = region ? cp_strdup(region) : NULL;
                c->bad_fid = fid;
            }
            REJECT("region '%s' has no teams in capacity.regions", region ? region : "");
            goto done;
        }
    }
    cp_intake_polygon p;
    if ((s = cp_intake_geometry(&c->it, geom, &p))) goto done;
    if (!p.geom) {
        REJECT("%s", p.reason);
        goto done;
    }
    /* An id belongs to the first usable feature that has it: an earlier feature rejected for
     * its geometry, status or place does not take the hazard's only usable record with it. */
    int dup = idset_put(ids, id, index, &earlier);
    if (dup < 0) {
        GEOSGeom_destroy_r(hs->geos, p.geom);
        s = cp_fail(CP_E_NOMEM, "out of memory reading hazards");
        goto done;
    }
#undef REJECT
    cp_hazard_in h = {.id = id,
                      .status = status,
                      .region = region,
                      .locked = lk,
                      .repaired = p.repaired,
                      .fid = fid,
                      .input_index = index,
                      .geom = p.geom};
    id = NULL, region = NULL;
    if (!dup && grow((void **)&hs->items, &c->cap, hs->n, sizeof *hs->items)) {
        hs->items[hs->n++] = h;
    } else if (dup && grow((void **)&c->spares, &c->spcap, c->nspares, sizeof *c->spares)) {
        /* a spare, until the grid says whether the holder is on it */
        spare *sp = &c->spares[c->nspares++];
        memset(sp, 0, sizeof *sp);
        sp->h = h;
        sp->key = h.id;
        sp->wkb = feature_wkb(c, geom, &sp->wkb_len);
        if (!sp->wkb) sp->wkb_len = 0;
    } else {
        item_free(hs->geos, &h);
        s = cp_fail(CP_E_NOMEM, "out of memory reading hazards");
    }
done:
    free(id), free(st), free(region), free(locked);
    return s;
}

/* Phase 3: the grid's extent around the taken-in hazards (or grid.aoi's polygons). */
static cp_status grid_around(read_ctx *c, cp_grid *g) {
    const cp_scenario *sc = c->sc;
    cp_hazard_set *hs = c->hs;
    GEOSContextHandle_t gh = hs->geos;
    double box[4] = {HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
    if (sc->grid.aoi) {
        cp_aoi aoi;
        cp_status s = cp_aoi_read(sc->grid.aoi, g, &aoi);
        if (s) return s;
        for (int64_t k = 0; k < aoi.ring_offsets[aoi.nrings]; ++k) {
            box[0] = fmin(box[0], aoi.xy[2 * k]), box[2] = fmax(box[2], aoi.xy[2 * k]);
            box[1] = fmin(box[1], aoi.xy[2 * k + 1]), box[3] = fmax(box[3], aoi.xy[2 * k + 1]);
        }
        cp_aoi_clear(&aoi);
        return cp_grid_extent(sc, box, g);
    }
    if (hs->n == 0) {
        const cp_rejected *r = hs->nrejected ? &hs->rejected[0] : NULL;
        return cp_fail(CP_E_GEOMETRY,
                       "<%s>: none of the %zu hazards can be used, so there is no grid (first "
                       "rejected: %s: %s); set grid.aoi to run anyway",
                       c->in->path, hs->nread, r && r->id ? r->id : "(no id)", r ? r->reason : "?");
    }
    for (size_t i = 0; i < hs->n; ++i) {
        double x0, y0, x1, y1;
        const GEOSGeometry *geom = hs->items[i].geom;
        if (!GEOSGeom_getXMin_r(gh, geom, &x0) || !GEOSGeom_getYMin_r(gh, geom, &y0) ||
            !GEOSGeom_getXMax_r(gh, geom, &x1) || !GEOSGeom_getYMax_r(gh, geom, &y1))
            return cp_fail(CP_E_INTERNAL, "cannot take the extent of hazard <%s>", hs->items[i].id);
        box[0] = fmin(box[0], x0), box[1] = fmin(box[1], y0);
        box[2] = fmax(box[2], x1), box[3] = fmax(box[3], y1);
    }
    double grow = cp_criteria_max_radius(sc);
    box[0] -= grow, box[1] -= grow, box[2] += grow, box[3] += grow;
    return cp_grid_extent(sc, box, g);
}

/* Whether h covers a cell of the grid (its coverage arrays and window made). */
static int on_grid(GEOSContextHandle_t gh, cp_hazard_in *h, const cp_grid *g, cp_status *s) {
    if (!*s) *s = cp_polygon_arrays_make(gh, h->geom, &h->shape);
    cpk_polygon poly = cp_polygon_arrays_view(&h->shape);
    return !*s && cpk_coverage_window(&poly, &g->geo, &h->win) == CPK_OK && h->win.nx > 0 &&
           h->win.ny > 0;
}

/* Rejects h, which covers no cell: outside the grid, or thinner than the grid's coordinates
 * resolve. Takes its id; frees the rest. */
static cp_status reject_off_grid(read_ctx *c, cp_hazard_in *h, const cp_grid *g) {
    GEOSContextHandle_t gh = c->hs->geos;
    size_t wl = 0;
    double x0 = 0, x1 = 0, y0 = 0, y1 = 0, area = 0;
    GEOSGeom_getXMin_r(gh, h->geom, &x0), GEOSGeom_getXMax_r(gh, h->geom, &x1);
    GEOSGeom_getYMin_r(gh, h->geom, &y0), GEOSGeom_getYMax_r(gh, h->geom, &y1);
    GEOSArea_r(gh, h->geom, &area);
    const cpk_geo *e = &g->geo;
    int outside = x1 < e->x0 || x0 > e->x0 + (double)e->nx * e->dx || y0 > e->y0 ||
                  y1 < e->y0 - (double)e->ny * e->dy;
    unsigned char *wkb = geos_wkb(gh, h->geom, &wl);
    cp_status s = outside ? reject(c, h->id, h->fid, h->input_index, wkb, wl, "outside the grid")
                          : reject(c, h->id, h->fid, h->input_index, wkb, wl,
                                   "too thin to cover any cell (%g m2)", area);
    h->id = NULL;
    item_free(gh, h);
    return s;
}

static int spare_order(const void *a, const void *b) {
    const spare *x = *(spare *const *)a, *y = *(spare *const *)b;
    int k = strcmp(x->key, y->key);
    return k ? k : (x->h.input_index > y->h.input_index) - (x->h.input_index < y->h.input_index);
}

/* The first of the spares sorted by id (then input order) with this id; n when none. */
static size_t spares_of(spare *const *sorted, size_t n, const char *id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(sorted[mid]->key, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !strcmp(sorted[lo]->key, id) ? lo : n;
}

/* Phase 4: coverage arrays and windows; hazards outside the grid are rejected. Where a
 * hazard's feature covers no cell, the first later feature with its id that does takes its
 * place (an id belongs to the first usable feature, and a feature off the grid is not usable
 * here); the other features with a hazard's id are rejected as duplicates of the one kept. */
static cp_status place_on_grid(read_ctx *c, const cp_grid *g, idset *ids) {
    cp_hazard_set *hs = c->hs;
    GEOSContextHandle_t gh = hs->geos;
    cp_status s = CP_OK;
    size_t kept = 0, n = c->nspares;
    spare **sorted = n ? malloc(n * sizeof *sorted) : NULL;
    if (n && !sorted) return cp_fail(CP_E_NOMEM, "out of memory reading hazards");
    for (size_t k = 0; k < n; ++k) sorted[k] = &c->spares[k];
    if (n) qsort(sorted, n, sizeof *sorted, spare_order);
    for (size_t i = 0; i < hs->n; ++i) {
        cp_hazard_in *h = &hs->items[i];
        if (on_grid(gh, h, g, &s) || s) {
            if (!s) hs->nrepaired += (size_t)h->repaired;
            hs->items[kept++] = *h;
            continue;
        }
        spare *taker = NULL;
        for (size_t k = spares_of(sorted, n, h->id); !s && !taker && k < n; ++k) {
            spare *sp = sorted[k];
            if (strcmp(sp->key, h->id)) break;
            sp->used = 1;
            if (on_grid(gh, &sp->h, g, &s) && !s) {
                taker = sp;
            } else if (!s) {
                free(sp->wkb), sp->wkb = NULL;
                s = reject_off_grid(c, &sp->h, g);
            }
        }
        if (taker) /* the id's holder now: the duplicates below name it */
            idset_set(ids, taker->h.id, taker->h.input_index);
        if (!s) s = reject_off_grid(c, h, g);
        if (taker) {
            free(taker->wkb), taker->wkb = NULL;
            hs->nrepaired += (size_t)taker->h.repaired;
            hs->items[kept++] = taker->h;
        }
    }
    hs->n = kept;
    /* the features whose id a hazard on the grid has */
    for (size_t k = 0; k < n && !s; ++k) {
        spare *sp = &c->spares[k];
        if (sp->used) continue;
        sp->used = 1;
        size_t holder = idset_get(ids, sp->h.id);
        s = reject(c, sp->h.id, sp->h.fid, sp->h.input_index, sp->wkb, sp->wkb_len,
                   "duplicate id: feature %zu of the layer has the same id", holder + 1);
        sp->h.id = NULL, sp->wkb = NULL;
        item_free(gh, &sp->h);
    }
    free(sorted);
    return s;
}

/* One hazard grown by buffer_m (cp_geos_grow), in the thread's GEOS context; where GEOS
 * cannot grow it, the run stops naming the hazard rather than count no people near it. */
static cp_status grow_one(GEOSContextHandle_t gh, cp_hazard_in *h, const cp_grid *g,
                          double buffer_m) {
    cp_status s = CP_OK;
    GEOSGeometry *mp = cp_geos_grow(gh, h->geom, buffer_m);
    if (!mp)
        return cp_fail(CP_E_GEOMETRY,
                       "hazard <%s> (feature %lld): GEOS cannot grow its geometry by %g m to "
                       "count the people near it, even snapped to 1 mm; simplify the geometry",
                       h->id ? h->id : "", (long long)h->fid, buffer_m);
    if (mp) s = cp_polygon_arrays_make(gh, mp, &h->grown);
    if (mp) GEOSGeom_destroy_r(gh, mp);
    cpk_polygon gp = cp_polygon_arrays_view(&h->grown);
    if (!s && h->grown.xy && cpk_coverage_window(&gp, &g->geo, &h->gwin) != CPK_OK)
        memset(&h->gwin, 0, sizeof h->gwin);
    return s;
}

/* Phase 5 (buffer_m > 0): the hazards grown, over the threads, each with its own GEOS
 * context (GEOS's buffers are most of the reading's time; each hazard's is its own). The
 * failure reported is the first hazard's in input order, whatever the threads. */
static cp_status grow_hazards(cp_hazard_set *hs, const cp_grid *g, double buffer_m, int threads) {
    size_t failed_at = hs->n;
    cp_status failed = CP_OK;
    char msg[2048] = "";
#pragma omp parallel num_threads(cpk_threads(threads))
    {
        GEOSContextHandle_t gh = cp_geos_init();
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < hs->n; ++i) {
            cp_status s = gh ? grow_one(gh, &hs->items[i], g, buffer_m)
                             : cp_fail(CP_E_NOMEM, "cannot start GEOS");
            if (s) {
#pragma omp critical
                if (i < failed_at)
                    failed_at = i, failed = s, snprintf(msg, sizeof msg, "%s", cp_errmsg());
            }
        }
        if (gh) GEOS_finish_r(gh);
    }
    return failed ? cp_fail(failed, "%s", msg) : CP_OK;
}

static int by_input_index(const void *a, const void *b) {
    size_t x = ((const cp_rejected *)a)->input_index, y = ((const cp_rejected *)b)->input_index;
    return x < y ? -1 : x > y;
}

cp_status cp_hazards_read(const cp_scenario *sc, double buffer_m, int threads, cp_grid *g,
                          cp_hazard_set *hs) {
    memset(hs, 0, sizeof *hs);
    memset(g, 0, sizeof *g);
    read_ctx c = {.sc = sc, .in = cp_scenario_input(sc, "hazards"), .hs = hs};
    const cp_input *in = c.in;
    cp_vector v = {0};
    idset ids = {0};
    hazard_fields fl = {-1, -1, -1, -1};
    cp_status s = CP_OK;
    hs->geos = cp_geos_init();
    if (!hs->geos) return cp_fail(CP_E_NOMEM, "cannot start GEOS");
    if ((s = cp_vector_open(in, &v))) goto done;
    if ((s = cp_vector_field(&v, in->path, "hazard id", in->id, &fl.id)) ||
        (s = cp_vector_field(&v, in->path, "hazard status", in->status, &fl.status)))
        goto done;
    if (in->region && (s = cp_vector_field(&v, in->path, "region", in->region, &fl.region)))
        goto done;
    if (in->locked && (s = cp_vector_field(&v, in->path, "locked flag", in->locked, &fl.locked)))
        goto done;
    /* 1. the grid's CRS */
    if ((s = cp_grid_crs(sc, &v, in->path, g))) goto done;
    if ((s = cp_intake_init(&c.it, hs->geos, v.srs, g->srs, in->path, g->crs_name))) goto done;
    /* 2. every feature */
    OGR_L_ResetReading(v.layer);
    OGRFeatureH f;
    while (!s && (f = OGR_L_GetNextFeature(v.layer)) != NULL) {
        s = read_feature(&c, f, &fl, &ids);
        OGR_F_Destroy(f);
    }
    if (s) goto done;
    if (c.bad_regions) { /* work no team could do: the verdict would leave it out */
        const cp_capacity *cap = &sc->capacity;
        char known[512] = "";
        for (size_t r = 0; r < cap->nregions && strlen(known) < 400; ++r)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s'%s'", r ? ", " : "",
                     cap->regions[r].name);
        char what[600];
        if (c.bad_region)
            snprintf(what, sizeof what, "region '%s'", c.bad_region);
        else
            snprintf(what, sizeof what, "no region");
        s = cp_fail(CP_E_FORMAT,
                    "<%s>: %zu hazard%s %s no teams in capacity.regions (%s), so no plan could "
                    "clear %s: hazard <%s> (feature %lld) has %s in field <%s>; correct the "
                    "field or add the region to capacity.regions",
                    in->path, c.bad_regions, c.bad_regions > 1 ? "s" : "",
                    c.bad_regions > 1 ? "are in regions with" : "is in a region with", known,
                    c.bad_regions > 1 ? "them" : "it", c.bad_id ? c.bad_id : "?",
                    (long long)c.bad_fid, what, in->region);
        goto done;
    }
    if (hs->nread == 0) {
        s = cp_fail(CP_E_FORMAT, "<%s>: layer '%s' has no geometries, so there is no grid",
                    in->path, OGR_L_GetName(v.layer));
        goto done;
    }
    /* 3. the extent, 4. the hazards on it */
    if ((s = grid_around(&c, g)) || (s = place_on_grid(&c, g, &ids))) goto done;
    /* 5. the hazards grown */
    if (buffer_m > 0 && (s = grow_hazards(hs, g, buffer_m, threads))) goto done;
    if (hs->nrejected) qsort(hs->rejected, hs->nrejected, sizeof *hs->rejected, by_input_index);
done:
    for (size_t k = 0; k < c.nspares; ++k) /* those neither kept nor rejected (an error) */
        if (!c.spares[k].used) {
            item_free(hs->geos, &c.spares[k].h);
            free(c.spares[k].wkb);
        }
    free(c.spares);
    free(c.bad_id);
    free(c.bad_region);
    idset_free(&ids);
    cp_intake_clear(&c.it);
    cp_vector_close(&v);
    if (s) {
        cp_hazards_clear(hs);
        cp_grid_clear(g);
    }
    return s;
}

/* ---- area of interest ---- */

cp_status cp_aoi_read(const char *path, const cp_grid *g, cp_aoi *aoi) {
    memset(aoi, 0, sizeof *aoi);
    cp_input in = {0};
    in.name = "grid.aoi";
    in.path = (char *)path;
    in.type = CP_INPUT_VECTOR;
    cp_vector v = {0};
    cp_intake it = {0};
    GEOSContextHandle_t gh = cp_geos_init();
    GEOSGeometry **parts = NULL, *all = NULL, *u = NULL;
    size_t nparts = 0, cap = 0;
    if (!gh) return cp_fail(CP_E_NOMEM, "cannot start GEOS");
    cp_status s = cp_vector_open(&in, &v);
    if (!s) s = cp_intake_init(&it, gh, v.srs, g->srs, path, g->crs_name);
    if (s) goto done;
    OGRFeatureH f;
    OGR_L_ResetReading(v.layer);
    while (!s && (f = OGR_L_GetNextFeature(v.layer)) != NULL) {
        cp_intake_polygon p;
        s = cp_intake_geometry(&it, OGR_F_GetGeometryRef(f), &p);
        OGR_F_Destroy(f);
        if (s || !p.geom) continue; /* lines, points and the unusable do not bound the area */
        if (nparts == cap) {
            cap = cap ? 2 * cap : 16;
            GEOSGeometry **np = realloc(parts, cap * sizeof *np);
            if (!np) {
                GEOSGeom_destroy_r(gh, p.geom);
                s = cp_fail(CP_E_NOMEM, "out of memory reading <%s>", path);
                continue;
            }
            parts = np;
        }
        parts[nparts++] = p.geom;
    }
    if (s) goto done;
    if (!nparts) {
        s = cp_fail(CP_E_GEOMETRY, "<%s>: the area of interest has no polygon", path);
        goto done;
    }
    all = GEOSGeom_createCollection_r(gh, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)nparts);
    nparts = 0; /* owned by `all` now */
    u = all ? cp_geos_multipolygon(gh, all) : NULL;
    if (!u) {
        s = cp_fail(CP_E_GEOMETRY, "<%s>: cannot merge the area of interest's polygons", path);
        goto done;
    }
    s = cp_polygon_arrays_make(gh, u, aoi);
done:
    for (size_t i = 0; i < nparts; ++i) GEOSGeom_destroy_r(gh, parts[i]);
    free(parts);
    if (all) GEOSGeom_destroy_r(gh, all);
    if (u) GEOSGeom_destroy_r(gh, u);
    cp_intake_clear(&it);
    cp_vector_close(&v);
    GEOS_finish_r(gh);
    if (s) cp_aoi_clear(aoi);
    return s;
}

void cp_aoi_clear(cp_aoi *aoi) {
    cp_polygon_arrays_free(aoi);
}
