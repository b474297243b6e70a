/* Cost calibration from completion records (clearplan/calibrate.h). The records go through
 * the hazards' intake (cp_hazards_read: repair, transform, coverage arrays, the grid's
 * window); the rasters are read on the grid (cp_grid_input_*), the report density computed by
 * the density kernel over the records' rows, coverage fractions by cpk_coverage_polygon; the
 * fit is the planner's (cp_calib_fit_compute). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <clearplan/calibrate.h>
#include <clearplan/run.h>

#include "calibrate_internal.h"
#include "cpk/coverage.h"
#include "cpk/density.h"
#include "error.h"
#include "inputs.h"
#include "cog.h"
#include "plan_internal.h"
#include "intake.h"
#include "vector.h"

static char *xstrdup(const char *s) {
    size_t n = strlen(s ? s : "") + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s ? s : "", n);
    return p;
}

/* The density criterion whose raw density drives the improvised-mine slowdown, as the run
 * chooses it: the first on `reports`, else the first; -1 none. */
static int density_criterion(const cp_scenario *sc) {
    int k = -1;
    for (size_t i = 0; i < sc->ncriteria && k < 0; ++i)
        if (sc->criteria[i].kind == CP_CRIT_DENSITY && !strcmp(sc->criteria[i].input, "reports"))
            k = (int)i;
    for (size_t i = 0; i < sc->ncriteria && k < 0; ++i)
        if (sc->criteria[i].kind == CP_CRIT_DENSITY) k = (int)i;
    return k;
}

static void calib_cells_free(calib_cells *cc) {
    free(cc->cells);
    free(cc->first);
    free(cc->count);
    free(cc->classes);
    memset(cc, 0, sizeof *cc);
}

void cp_calib_cells_free(calib_cells *cc) {
    calib_cells_free(cc);
}

/* Appends a cell; the class index is resolved after all are read (codes kept meanwhile). */
static int push_cell(calib_cells *cc, size_t *cap, cp_calib_cell cell) {
    if (cc->ncells == *cap) {
        size_t n = *cap ? *cap * 2 : 4096;
        cp_calib_cell *c = realloc(cc->cells, n * sizeof *c);
        if (!c) return 0;
        cc->cells = c;
        *cap = n;
    }
    cc->cells[cc->ncells++] = cell;
    return 1;
}

cp_status cp_calib_cells_read(const cp_scenario *sc, const cp_grid *g, const cp_hazard_set *hs,
                              int threads, calib_cells *cc) {
    memset(cc, 0, sizeof *cc);
    const cpk_geo *geo = &g->geo;
    const int64_t nx = geo->nx;
    const cp_input *lc_in = cp_scenario_input(sc, "landcover"),
                   *tc_in = cp_scenario_input(sc, "treecover");
    const int dk = density_criterion(sc);
    cp_grid_input *lc = NULL, *tc = NULL;
    cp_points pts = {0};
    size_t skipped = 0, cap = 0;
    float *lbuf = NULL, *tbuf = NULL, *dbuf = NULL;
    double *frac = NULL;
    int seen[256] = {0};
    cp_status st = CP_OK;
    cc->first = malloc((hs->n + 1) * sizeof *cc->first);
    cc->count = calloc(hs->n + 1, sizeof *cc->count);
    if (!cc->first || !cc->count) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    if (lc_in && lc_in->type != CP_INPUT_VECTOR &&
        (st = cp_grid_input_open(lc_in, g, threads, 0, &lc)))
        goto done;
    if (tc_in && tc_in->type != CP_INPUT_VECTOR &&
        (st = cp_grid_input_open(tc_in, g, threads, 0, &tc)))
        goto done;
    if (dk >= 0 && (st = cp_points_read(cp_scenario_input(sc, sc->criteria[dk].input), g,
                                        &sc->criteria[dk], &pts, &skipped)))
        goto done;
    const double cell_m2 = geo->dx * geo->dy;
    for (size_t i = 0; i < hs->n; ++i) {
        const cp_hazard_in *h = &hs->items[i];
        const cpk_window *w = &h->win;
        cc->first[i] = cc->ncells;
        if (!w->nx || !w->ny) continue;
        size_t rows = (size_t)w->ny * (size_t)nx, wn = (size_t)(w->nx * w->ny);
        float *nl = realloc(lbuf, rows * sizeof *nl);
        if (nl) lbuf = nl;
        float *nt = nl ? realloc(tbuf, rows * sizeof *nt) : NULL;
        if (nt) tbuf = nt;
        float *nd = nt ? realloc(dbuf, rows * sizeof *nd) : NULL;
        if (nd) dbuf = nd;
        double *nf = nd ? realloc(frac, wn * sizeof *nf) : NULL;
        if (nf) frac = nf;
        if (!nf) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        cpk_polygon poly = cp_polygon_arrays_view(&h->shape);
        if (cpk_coverage_polygon(&poly, geo, w, frac) != CPK_OK) {
            st = cp_fail(CP_E_INTERNAL, "coverage of record <%s> failed", h->id);
            goto done;
        }
        for (size_t k = 0; k < rows; ++k) lbuf[k] = tbuf[k] = dbuf[k] = NAN;
        if (lc && (st = cp_grid_input_read(lc, w->row0, w->ny, lbuf))) goto done;
        if (tc && (st = cp_grid_input_read(tc, w->row0, w->ny, tbuf))) goto done;
        if (dk >= 0) {
            cpk_points kp = {pts.x, pts.y, pts.w, pts.n};
            cpk_out_f32 out = {dbuf, nx, w->ny, nx};
            if (cpk_density_quartic_f32(&kp, geo, sc->criteria[dk].bandwidth_m, w->row0,
                                        w->row0 + w->ny, &out, threads) != CPK_OK) {
                st = cp_fail(CP_E_INTERNAL, "report density under record <%s> failed", h->id);
                goto done;
            }
        }
        for (int64_t r = 0; r < w->ny; ++r)
            for (int64_t c = 0; c < w->nx; ++c) {
                double f = frac[r * w->nx + c];
                if (!(f > 0)) continue;
                size_t at = (size_t)(r * nx + w->col0 + c);
                float code = lbuf[at];
                int cls = !isnan(code) && code >= 0 && code < 256 ? (int)code : -1;
                if (cls >= 0) seen[cls] = 1;
                cp_calib_cell cell = {
                    f * cell_m2, cls, tbuf[at],
                    (unsigned char)(!isnan(dbuf[at]) && dbuf[at] > sc->cost.improvised_threshold)};
                if (!push_cell(cc, &cap, cell)) {
                    st = cp_fail(CP_E_NOMEM, "out of memory");
                    goto done;
                }
            }
        cc->count[i] = cc->ncells - cc->first[i];
    }
    /* class codes -> indices (ascending codes; -1 -> nclasses) */
    int index[256];
    cc->classes = malloc(256 * sizeof *cc->classes);
    if (!cc->classes) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (int code = 0; code < 256; ++code)
        if (seen[code]) index[code] = (int)cc->nclasses, cc->classes[cc->nclasses++] = code;
    for (size_t k = 0; k < cc->ncells; ++k)
        cc->cells[k].cls = cc->cells[k].cls >= 0 ? index[cc->cells[k].cls] : (int)cc->nclasses;
done:
    cp_grid_input_close(lc);
    cp_grid_input_close(tc);
    cp_points_clear(&pts);
    free(lbuf), free(tbuf), free(dbuf), free(frac);
    if (st) calib_cells_free(cc);
    return st;
}

/* A record's stage from its method field: nts, ts, clearance or a one-stage team type. */
static int method_of(const cp_scenario *sc, const char *m) {
    if (!strcasecmp(m, "nts") || !strcasecmp(m, "non-technical survey")) return CP_METHOD_CANCEL;
    if (!strcasecmp(m, "ts") || !strcasecmp(m, "technical survey")) return CP_METHOD_REDUCE;
    if (!strcasecmp(m, "clearance") || !strcasecmp(m, "clear")) return CP_METHOD_CLEAR;
    for (size_t t = 0; t < sc->capacity.ntypes; ++t) {
        const cp_team_type *ty = &sc->capacity.types[t];
        if (strcmp(ty->name, m)) continue;
        int n = 0, s1 = -1;
        for (int s = 0; s < CP_NMETHOD; ++s)
            if (ty->stages[s]) ++n, s1 = s;
        return n == 1 ? s1 : -2;
    }
    return -1;
}

void cp_calibration_free(cp_calibration *c) {
    if (!c) return;
    cp_calib_fit_free(c->fit);
    for (size_t i = 0; c->rows && i < c->nrows; ++i) {
        free(c->rows[i].id);
        free(c->rows[i].reason);
    }
    free(c->rows);
    free(c->records_path);
    free(c);
}

/* The fewest usable records a calibration is made from (five folds of two). */
enum { CALIB_MIN_RECORDS = 10 };

/* One record of the records layer as read: its polygon on the grid, or why not. */
static cp_status read_record(const cp_scenario *sc, const cp_grid *g, const cp_intake *it,
                             OGRFeatureH f, const int fld[3], cp_hazard_in *h, cp_calib_row *row) {
    cp_status st = cp_field_text(f, fld[0], &row->id);
    if (st) return st;
    const char *m = OGR_F_IsFieldSetAndNotNull(f, fld[2]) ? OGR_F_GetFieldAsString(f, fld[2]) : "";
    int method = method_of(sc, m);
    row->method = -1;
    row->team_days =
        OGR_F_IsFieldSetAndNotNull(f, fld[1]) ? OGR_F_GetFieldAsDouble(f, fld[1]) : NAN;
    const char *why = NULL;
    cp_intake_polygon ip = {0};
    if (!row->id) {
        why = "no task id";
    } else if (method == -2) {
        why = "its team type does more than one stage: give the method";
    } else if (method < 0) {
        why = "unknown method (expected nts, ts, clearance or a one-stage team type)";
    } else if (!(row->team_days > 0 && isfinite(row->team_days))) {
        why = "team-days missing or not positive";
    } else {
        if ((st = cp_intake_geometry(it, OGR_F_GetGeometryRef(f), &ip))) return st;
        if (!ip.geom) why = ip.reason;
    }
    if (!why) {
        h->id = row->id;
        h->geom = ip.geom;
        if ((st = cp_polygon_arrays_make(it->geos, ip.geom, &h->shape))) return st;
        cpk_polygon poly = cp_polygon_arrays_view(&h->shape);
        if (cpk_coverage_window(&poly, &g->geo, &h->win) != CPK_OK || !h->win.nx || !h->win.ny)
            why = "outside the grid";
        else
            row->method = method;
    }
    if (why && !(row->reason = xstrdup(why))) return cp_fail(CP_E_NOMEM, "out of memory");
    return CP_OK;
}

static cp_status calibrate_quietly(const cp_scenario *sc, const cp_calibrate_options *o,
                                   cp_calibration **out) {
    cp_status st = CP_OK;
    cp_grid g = {0};
    cp_hazard_set hs = {0}, recs_hs = {0};
    calib_cells cc = {0};
    cp_vector v = {0};
    cp_intake it = {0};
    cp_calib_record *recs = NULL;
    size_t *row_of = NULL;
    cp_calibration *c = calloc(1, sizeof *c);
    if (!c) return cp_fail(CP_E_NOMEM, "out of memory");
    c->records_path = xstrdup(o->records);
    cp_file_checksum(o->records, c->records_fnv1a64, &c->records_bytes);
    /* the scenario's grid (built around its hazards) */
    if ((st = cp_hazards_read(sc, 0, 1, &g, &hs))) goto done;
    cp_input rin = {0};
    rin.name = "records";
    rin.path = (char *)o->records;
    rin.type = CP_INPUT_VECTOR;
    rin.layer = (char *)o->layer;
    if ((st = cp_vector_open(&rin, &v))) goto done;
    int fld[3];
    if ((st = cp_vector_field(&v, o->records, "task id", o->id_field ? o->id_field : "task_id",
                              &fld[0])) ||
        (st = cp_vector_field(&v, o->records, "team-days",
                              o->team_days_field ? o->team_days_field : "team_days", &fld[1])) ||
        (st = cp_vector_field(&v, o->records, "method",
                              o->method_field ? o->method_field : "method", &fld[2])))
        goto done;
    recs_hs.geos = hs.geos;
    if ((st = cp_intake_init(&it, hs.geos, v.srs, g.srs, o->records, g.crs_name))) goto done;
    size_t cap = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(v.layer);
    while (st == CP_OK && (f = OGR_L_GetNextFeature(v.layer)) != NULL) {
        if (c->nrows == cap) {
            cap = cap ? 2 * cap : 256;
            cp_calib_row *nr = realloc(c->rows, cap * sizeof *nr);
            cp_hazard_in *ni = nr ? realloc(recs_hs.items, cap * sizeof *ni) : NULL;
            if (nr) c->rows = nr;
            if (ni) recs_hs.items = ni;
            if (!nr || !ni) {
                OGR_F_Destroy(f);
                st = cp_fail(CP_E_NOMEM, "out of memory");
                break;
            }
        }
        cp_calib_row *row = &c->rows[c->nrows++];
        memset(row, 0, sizeof *row);
        cp_hazard_in h;
        memset(&h, 0, sizeof h);
        st = read_record(sc, &g, &it, f, fld, &h, row);
        OGR_F_Destroy(f);
        if (st == CP_OK && row->method >= 0)
            recs_hs.items[recs_hs.n++] = h;
        else if (h.geom)
            GEOSGeom_destroy_r(hs.geos, h.geom), cp_polygon_arrays_free(&h.shape);
    }
    if (st) goto done;
    if ((st = cp_calib_cells_read(sc, &g, &recs_hs, o->threads, &cc))) goto done;
    recs = calloc(recs_hs.n + 1, sizeof *recs);
    row_of = calloc(recs_hs.n + 1, sizeof *row_of);
    if (!recs || !row_of) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    size_t nr = 0;
    for (size_t r = 0, i = 0; r < c->nrows; ++r) {
        cp_calib_row *row = &c->rows[r];
        if (row->method < 0) continue;
        for (size_t k = 0; k < cc.count[i]; ++k) row->area_m2 += cc.cells[cc.first[i] + k].m2;
        if (!(row->area_m2 > 0)) {
            row->method = -1;
            if (!(row->reason = xstrdup("no area on the grid"))) {
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
        } else {
            row_of[nr] = r;
            recs[nr++] = (cp_calib_record){row->method, row->team_days, cc.first[i], cc.count[i]};
        }
        ++i;
    }
    c->nused = nr;
    if (!nr) {
        st = cp_fail(CP_E_FORMAT, "<%s>: no usable completion record", o->records);
        goto done;
    }
    if (nr < CALIB_MIN_RECORDS) { /* a fit and a cross-validated error of 2 records are noise */
        st = cp_fail(CP_E_FORMAT,
                     "<%s>: %zu usable completion record%s (of %zu); a calibration needs at "
                     "least %d: its cross-validation holds a fifth of them out",
                     o->records, nr, nr > 1 ? "s" : "", c->nrows, CALIB_MIN_RECORDS);
        goto done;
    }
    cp_calib_input ci = {recs, nr, cc.cells, cc.classes, cc.nclasses, &sc->cost, 5};
    st = cp_calib_fit_compute(&ci, &c->fit);
    for (size_t k = 0; st == CP_OK && k < nr; ++k)
        c->rows[row_of[k]].predicted = c->fit->predicted[k];
    if (st) goto done;
    *out = c;
    c = NULL;
done:
    for (size_t i = 0; i < recs_hs.n; ++i) {
        GEOSGeom_destroy_r(hs.geos, recs_hs.items[i].geom);
        cp_polygon_arrays_free(&recs_hs.items[i].shape);
    }
    free(recs_hs.items);
    cp_intake_clear(&it);
    cp_vector_close(&v);
    cp_calib_cells_free(&cc);
    cp_hazards_clear(&hs);
    cp_grid_clear(&g);
    cp_calibration_free(c);
    free(recs);
    free(row_of);
    return st;
}

/* ------------------------------------------------------------------ the profile ------- */

static void yaml_num(cp_textbuf *b, double v) {
    if (isfinite(v))
        cp_textbuf_printf(b, "%.6g", v);
    else
        cp_textbuf_puts(b, "null");
}

cp_status cp_calibrate(const cp_scenario *sc, const cp_calibrate_options *o, cp_calibration **out) {
    if (!sc || !o || !o->records || !out) return cp_fail(CP_E_ARG, "cp_calibrate: NULL argument");
    *out = NULL;
    cp_gdal_quiet_begin(); /* GDAL's messages become the status's detail, not the host's */
    cp_status st = calibrate_quietly(sc, o, out);
    cp_gdal_quiet_end();
    return st;
}

cp_status cp_calibration_write(const cp_calibration *c, const cp_scenario *sc, const char *dir) {
    if (!c || !sc || !dir) return cp_fail(CP_E_ARG, "cp_calibration_write: NULL argument");
    const cp_calib_fit *f = c->fit;
    cp_textbuf b = {0};
    time_t now = time(NULL);
    struct tm tm;
    char today[16];
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    cp_textbuf_printf(&b,
                      "# clearplan cost profile, fitted by `clearplan calibrate` from %zu "
                      "completion records.\n# Include it in a scenario: cost: {profile: "
                      "<this file>} (keys given beside it override it).\nprovenance:\n  records: ",
                      c->nused);
    cp_textbuf_json(&b, c->records_path);
    cp_textbuf_printf(&b, "\n  records_fnv1a64: \"%s\"\n  records_bytes: %llu\n  scenario: ",
                      c->records_fnv1a64, (unsigned long long)c->records_bytes);
    cp_textbuf_json(&b, sc->path ? sc->path : "");
    cp_textbuf_printf(&b, "\n  clearplan: \"%s\"\n  fitted_on: %s\nfit:\n", cp_version(), today);
    cp_textbuf_printf(&b,
                      "  method: \"Huber-weighted least squares of log team-days (iteratively "
                      "reweighted Gauss-Newton), 95%% intervals from the weighted Jacobian\"\n"
                      "  records_read: %zu\n  records_used: %zu\n  clearance: %zu\n  nts: %zu\n"
                      "  ts: %zu\n  iterations: %d\n  converged: %s\n  sigma_log: ",
                      c->nrows, c->nused, f->nclearance, f->nnts, f->nts, f->iterations,
                      f->converged ? "true" : "false");
    yaml_num(&b, f->sigma_log);
    cp_textbuf_printf(&b, "\n  cv_folds: %d\n  cv_rmse_log: ", f->folds);
    yaml_num(&b, f->cv_rmse_log);
    cp_textbuf_puts(&b, "\n  cv_median_abs_error: ");
    yaml_num(&b, f->cv_median_ape);
    cp_textbuf_puts(&b, "\n  parameters:\n");
    for (size_t k = 0; k < f->nparams; ++k) {
        const cp_calib_param *p = &f->params[k];
        cp_textbuf_printf(&b, "    %s: {estimate: ", p->name);
        yaml_num(&b, p->estimate);
        cp_textbuf_puts(&b, ", ci95: [");
        yaml_num(&b, p->lo);
        cp_textbuf_puts(&b, ", ");
        yaml_num(&b, p->hi);
        cp_textbuf_puts(&b, "], prior: ");
        yaml_num(&b, p->prior);
        cp_textbuf_printf(&b, ", fitted: %s}\n", p->fitted ? "true" : "false");
    }
    const cp_cost *k = &f->cost;
    cp_textbuf_puts(&b, "cost:\n  productivity_m2_per_team_day: {default: ");
    yaml_num(&b, k->productivity_default_m2);
    cp_textbuf_puts(&b, ", classes: {");
    for (size_t i = 0; i < k->nproductivity; ++i) {
        cp_textbuf_printf(&b, "%s%d: ", i ? ", " : "", k->productivity[i].code);
        yaml_num(&b, k->productivity[i].value);
    }
    cp_textbuf_puts(&b, "}}\n  treecover_slowdown: ");
    yaml_num(&b, k->treecover_slowdown);
    cp_textbuf_puts(&b, "\n  improvised_slowdown: ");
    yaml_num(&b, k->improvised_slowdown);
    cp_textbuf_puts(&b, "\n  improvised_threshold: ");
    yaml_num(&b, k->improvised_threshold);
    cp_textbuf_puts(&b, "\n  nts_m2_per_team_day: ");
    yaml_num(&b, k->nts_m2_per_team_day);
    cp_textbuf_puts(&b, "\n  ts_m2_per_team_day: ");
    yaml_num(&b, k->ts_m2_per_team_day);
    cp_textbuf_puts(&b, "\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/cost_profile.yaml", dir);
    cp_status st =
        b.failed ? cp_fail(CP_E_NOMEM, "out of memory") : cp_write_file(path, b.data, b.len);
    cp_textbuf_free(&b);
    if (st) return st;
    /* calibration.csv */
    cp_textbuf t = {0};
    cp_textbuf_puts(&t,
                    "task_id,method,team_days,area_m2,predicted_team_days,log_error,rejected\n");
    for (size_t i = 0; i < c->nrows; ++i) {
        const cp_calib_row *r = &c->rows[i];
        cp_textbuf_csv(&t, r->id);
        cp_textbuf_printf(&t, ",%s,", r->method < 0 ? "" : cp_plan_stage_name(r->method));
        cp_textbuf_num(&t, r->team_days, "");
        cp_textbuf_putn(&t, ",", 1);
        cp_textbuf_num(&t, r->area_m2, "");
        cp_textbuf_putn(&t, ",", 1);
        if (r->method >= 0) cp_textbuf_num(&t, r->predicted, "");
        cp_textbuf_putn(&t, ",", 1);
        if (r->method >= 0 && r->predicted > 0)
            cp_textbuf_num(&t, log(r->team_days / r->predicted), "");
        cp_textbuf_putn(&t, ",", 1);
        if (r->reason) cp_textbuf_csv(&t, r->reason);
        cp_textbuf_putn(&t, "\n", 1);
    }
    snprintf(path, sizeof path, "%s/calibration.csv", dir);
    st = t.failed ? cp_fail(CP_E_NOMEM, "out of memory") : cp_write_file(path, t.data, t.len);
    cp_textbuf_free(&t);
    return st;
}
