/* New contamination in a run (contamination.h): reports read with cp_points_read (their dates
 * kept), linked to hazards through a grid of buckets over the hazards' envelopes, counted per
 * year and region; the projection is the planner's (cp_contamination_project). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contamination.h"
#include "error.h"
#include "inputs.h"

/* Hazards by bucket of a uniform grid: each hazard in every bucket its envelope grown by
 * `grow` touches. */
typedef struct {
    double x0, y0, size;
    int64_t nx, ny;
    size_t *start; /* nx * ny + 1 */
    size_t *item;
} buckets;

static void buckets_free(buckets *b) {
    free(b->start);
    free(b->item);
}

static cp_status buckets_build(const cp_hazard_set *hs, const cp_grid *g, double grow, double *env,
                               buckets *b) {
    memset(b, 0, sizeof *b);
    const cpk_geo *geo = &g->geo;
    b->size = grow > 100 ? grow : 100;
    b->x0 = geo->x0;
    b->y0 = geo->y0 - (double)geo->ny * geo->dy;
    b->nx = (int64_t)ceil((double)geo->nx * geo->dx / b->size) + 1;
    b->ny = (int64_t)ceil((double)geo->ny * geo->dy / b->size) + 1;
    if (b->nx * b->ny > 50000000) { /* a coarser grid for huge extents */
        double f = sqrt((double)(b->nx * b->ny) / 50000000.0);
        b->size *= f;
        b->nx = (int64_t)ceil((double)geo->nx * geo->dx / b->size) + 1;
        b->ny = (int64_t)ceil((double)geo->ny * geo->dy / b->size) + 1;
    }
    size_t ncell = (size_t)(b->nx * b->ny);
    b->start = calloc(ncell + 1, sizeof *b->start);
    if (!b->start) return cp_fail(CP_E_NOMEM, "out of memory");
    int64_t(*span)[4] = malloc((hs->n + 1) * sizeof *span);
    if (!span) return cp_fail(CP_E_NOMEM, "out of memory");
    size_t total = 0;
    for (size_t i = 0; i < hs->n; ++i) {
        double *e = env + 4 * i;
        GEOSGeom_getXMin_r(hs->geos, hs->items[i].geom, &e[0]);
        GEOSGeom_getYMin_r(hs->geos, hs->items[i].geom, &e[1]);
        GEOSGeom_getXMax_r(hs->geos, hs->items[i].geom, &e[2]);
        GEOSGeom_getYMax_r(hs->geos, hs->items[i].geom, &e[3]);
        int64_t c0 = (int64_t)floor((e[0] - grow - b->x0) / b->size),
                c1 = (int64_t)floor((e[2] + grow - b->x0) / b->size),
                r0 = (int64_t)floor((e[1] - grow - b->y0) / b->size),
                r1 = (int64_t)floor((e[3] + grow - b->y0) / b->size);
        c0 = c0 < 0 ? 0 : c0, r0 = r0 < 0 ? 0 : r0;
        c1 = c1 >= b->nx ? b->nx - 1 : c1, r1 = r1 >= b->ny ? b->ny - 1 : r1;
        span[i][0] = c0, span[i][1] = c1, span[i][2] = r0, span[i][3] = r1;
        for (int64_t r = r0; r <= r1; ++r)
            for (int64_t c = c0; c <= c1; ++c) b->start[(size_t)(r * b->nx + c) + 1]++, ++total;
    }
    for (size_t k = 1; k <= ncell; ++k) b->start[k] += b->start[k - 1];
    size_t *fill = malloc((ncell + 1) * sizeof *fill);
    b->item = malloc((total + 1) * sizeof *b->item);
    cp_status st = fill && b->item ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
    if (st == CP_OK) memcpy(fill, b->start, ncell * sizeof *fill);
    for (size_t i = 0; st == CP_OK && i < hs->n; ++i)
        for (int64_t r = span[i][2]; r <= span[i][3]; ++r)
            for (int64_t c = span[i][0]; c <= span[i][1]; ++c) b->item[fill[r * b->nx + c]++] = i;
    free(fill);
    free(span);
    return st;
}

/* The hazard nearest to (x, y) within `link` (polygon distance), or SIZE_MAX. */
static size_t link_to(const cp_hazard_set *hs, const buckets *b, const double *env, double x,
                      double y, double link) {
    int64_t c = (int64_t)floor((x - b->x0) / b->size), r = (int64_t)floor((y - b->y0) / b->size);
    if (c < 0 || r < 0 || c >= b->nx || r >= b->ny) return SIZE_MAX;
    size_t best = SIZE_MAX;
    double bestd = link;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(hs->geos, x, y);
    size_t cell = (size_t)(r * b->nx + c);
    for (size_t k = b->start[cell]; pt && k < b->start[cell + 1]; ++k) {
        size_t i = b->item[k];
        const double *e = env + 4 * i;
        if (x < e[0] - link || x > e[2] + link || y < e[1] - link || y > e[3] + link) continue;
        double d;
        if (GEOSDistance_r(hs->geos, hs->items[i].geom, pt, &d) &&
            (d < bestd || (d == bestd && i < best)))
            bestd = d, best = i;
    }
    if (pt) GEOSGeom_destroy_r(hs->geos, pt);
    return best;
}

/* The region index (capacity.regions; 0 without) of the hazard nearest to (x, y) by its
 * envelope's centre. */
static size_t nearest_region(const cp_scenario *sc, const cp_hazard_set *hs, const double *env,
                             double x, double y) {
    size_t best = SIZE_MAX;
    double bestd = INFINITY;
    for (size_t i = 0; i < hs->n; ++i) {
        const double *e = env + 4 * i;
        double dx = 0.5 * (e[0] + e[2]) - x, dy = 0.5 * (e[1] + e[3]) - y, d = dx * dx + dy * dy;
        if (d < bestd) bestd = d, best = i;
    }
    for (size_t r = 0; best != SIZE_MAX && hs->items[best].region && r < sc->capacity.nregions; ++r)
        if (!strcmp(sc->capacity.regions[r].name, hs->items[best].region)) return r;
    return 0;
}

cp_status cp_contamination_run(const cp_scenario *sc, const cp_grid *g, const cp_hazard_set *hs,
                               const cp_hazard *hz, cp_contamination **out) {
    *out = NULL;
    const cp_contamination_spec *k = &sc->contamination;
    if (!k->given) return CP_OK;
    const cp_input *in = cp_scenario_input(sc, k->input);
    if (!in) return cp_fail(CP_E_CONFIG, "contamination: no input <%s>", k->input);
    int y0;
    cp_date_split(sc->capacity.start, &y0, NULL, NULL);
    const int fit0 = y0 - k->fit_years, nfit = k->fit_years;
    const size_t nr = sc->capacity.nregions ? sc->capacity.nregions : 1;
    cp_points pts = {0};
    size_t skipped = 0;
    buckets b = {0};
    double *env = malloc((4 * hs->n + 4) * sizeof *env);
    double *counts = calloc(nr * (size_t)nfit, sizeof *counts);
    unsigned char *linked = calloc(hs->n + 1, 1);
    const char **names = calloc(nr, sizeof *names);
    cp_status st = env && counts && linked && names ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
    if (st == CP_OK) st = cp_points_read(in, g, NULL, &pts, &skipped);
    if (st == CP_OK) st = buckets_build(hs, g, k->link_m, env, &b);
    if (st != CP_OK) goto done;
    size_t nlinked = 0, nhaz = 0;
    double area = 0;
    for (size_t p = 0; p < pts.n && hs->n; ++p) {
        int y;
        if (!pts.date[p]) continue; /* no date: not counted */
        cp_date_split(pts.date[p], &y, NULL, NULL);
        if (y < fit0 || y >= y0) continue;
        size_t h = link_to(hs, &b, env, pts.x[p], pts.y[p], k->link_m);
        size_t r = nearest_region(sc, hs, env, pts.x[p], pts.y[p]);
        counts[r * (size_t)nfit + (size_t)(y - fit0)] += 1;
        if (h == SIZE_MAX) continue;
        nlinked++;
        if (!linked[h]) linked[h] = 1, nhaz++, area += hz[h].area_m2;
    }
    double apr = k->area_per_report_m2;
    if (isnan(apr)) {
        if (!nlinked) {
            st = cp_fail(CP_E_CONFIG,
                         "contamination: no report of %d-%d lies within link_m = %g m of a "
                         "hazard, so the area of a report cannot be fitted; give "
                         "contamination.area_per_report_m2",
                         fit0, y0 - 1, k->link_m);
            goto done;
        }
        apr = area / (double)nlinked;
    }
    for (size_t r = 0; r < nr; ++r)
        names[r] = sc->capacity.nregions ? sc->capacity.regions[r].name : "all";
    int yd;
    cp_date_split(sc->capacity.deadline, &yd, NULL, NULL);
    cp_contamination_input ci = {nr,
                                 names,
                                 counts,
                                 fit0,
                                 nfit,
                                 y0,
                                 yd - y0 + 1,
                                 apr,
                                 (size_t)k->samples,
                                 sc->uncertainty.seed};
    if ((st = cp_contamination_project(&ci, out)) != CP_OK) goto done;
    (*out)->area_fitted = isnan(k->area_per_report_m2);
    (*out)->reports_linked = nlinked;
    (*out)->hazards_linked = nhaz;
done:
    cp_points_clear(&pts);
    buckets_free(&b);
    free(env);
    free(counts);
    free(linked);
    free(names);
    return st;
}

cp_status cp_contamination_reserve(cp_contamination *c, const cp_scenario *sc, const cp_plan *plan,
                                   cp_capacity *cap) {
    const cp_cost *k = &sc->cost;
    const double *rel = k->release[CP_STATUS_SHA];
    c->team_days_per_m2 =
        rel[CP_METHOD_CANCEL] / k->nts_m2_per_team_day +
        rel[CP_METHOD_REDUCE] / k->ts_m2_per_team_day +
        rel[CP_METHOD_CLEAR] / (k->productivity_default_m2 * k->improvised_slowdown);
    c->reserve_quantile = sc->contamination.reserve == 0   ? 0.1
                          : sc->contamination.reserve == 2 ? 0.9
                                                           : 0.5;
    c->nreserve = (size_t)c->nyears;
    c->reserve = calloc(c->nreserve + 1, sizeof *c->reserve);
    c->reserve_team_days = calloc(c->nreserve + 1, sizeof *c->reserve_team_days);
    if (!c->reserve || !c->reserve_team_days) return cp_fail(CP_E_NOMEM, "out of memory");
    const int q = sc->contamination.reserve;
    for (int y = 0; y < c->nyears; ++y) {
        double offered = 0;
        for (size_t m = 0; m < plan->nyears; ++m)
            if (plan->years[m].year <= c->year0 + y) offered = plan->years[m].capacity_team_days;
        double td = q < 0 ? 0 : c->total_area_p[q][y] * c->team_days_per_m2;
        double share = offered > 0 ? td / offered : 0;
        c->reserve[y] = (cp_year_share){c->year0 + y, share < 0.95 ? share : 0.95};
        c->reserve_team_days[y] = c->reserve[y].share * offered;
    }
    cap->reserve = c->reserve;
    cap->nreserve = c->nreserve;
    return CP_OK;
}
