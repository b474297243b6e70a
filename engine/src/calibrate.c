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
#include "layers.h"
#include "outputs.h"
#include "plan_internal.h"
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
        (st = cp_grid_input_open(lc_in, g, threads, &lc)))
        goto done;
    if (tc_in && tc_in->type != CP_INPUT_VECTOR &&
        (st = cp_grid_input_open(tc_in, g, threads, &tc)))
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
        cpk_polygon poly = {h->xy, h->ring_offsets, h->nrings, h->part_offsets, h->nparts};
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

/* The scenario with the records as its hazards (ids and statuses from the given fields), no
 * regions: what cp_hazards_read reads. */
static cp_status records_scenario(const cp_scenario *sc, const cp_calibrate_options *o,
                                  cp_scenario *tmp, cp_input *inputs) {
    *tmp = *sc;
    memcpy(inputs, sc->inputs, sc->ninputs * sizeof *inputs);
    size_t k = 0;
    while (k < sc->ninputs && strcmp(sc->inputs[k].name, "hazards")) ++k;
    if (k == sc->ninputs) return cp_fail(CP_E_CONFIG, "the scenario has no inputs.hazards");
    cp_input *in = &inputs[k];
    memset(in, 0, sizeof *in);
    in->name = "hazards";
    in->path = (char *)o->records;
    in->type = CP_INPUT_VECTOR;
    in->layer = (char *)o->layer;
    in->id = (char *)(o->id_field ? o->id_field : "task_id");
    in->status = (char *)(o->status_field ? o->status_field : "status");
    in->assume_crs = sc->inputs[k].assume_crs;
    tmp->inputs = inputs;
    tmp->capacity.nregions = 0;
    tmp->capacity.regions = NULL;
    return CP_OK;
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

cp_status cp_calibrate(const cp_scenario *sc, const cp_calibrate_options *o, cp_calibration **out) {
    if (!sc || !o || !o->records || !out) return cp_fail(CP_E_ARG, "cp_calibrate: NULL argument");
    *out = NULL;
    cp_status st = CP_OK;
    cp_grid g = {0};
    cp_hazard_set hs = {0};
    calib_cells cc = {0};
    cp_vector v = {0};
    cp_scenario tmp;
    cp_calib_record *recs = NULL;
    cp_input *inputs = calloc(sc->ninputs + 1, sizeof *inputs);
    cp_calibration *c = calloc(1, sizeof *c);
    if (!inputs || !c) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    c->records_path = xstrdup(o->records);
    cp_file_checksum(o->records, c->records_fnv1a64, &c->records_bytes);
    if ((st = records_scenario(sc, o, &tmp, inputs))) goto done;
    if ((st = cp_grid_build(sc, &g))) goto done;
    if ((st = cp_hazards_read(&tmp, &g, 0, &hs))) goto done;
    if ((st = cp_calib_cells_read(sc, &g, &hs, o->threads, &cc))) goto done;
    /* team-days and methods, by feature id */
    cp_input rin = tmp.inputs[0];
    for (size_t k = 0; k < tmp.ninputs; ++k)
        if (!strcmp(tmp.inputs[k].name, "hazards")) rin = tmp.inputs[k];
    if ((st = cp_vector_open(&rin, &v))) goto done;
    const char *tdf = o->team_days_field ? o->team_days_field : "team_days",
               *mf = o->method_field ? o->method_field : "method";
    int f_td, f_m;
    if ((st = cp_vector_field(&v, o->records, "team-days", tdf, &f_td)) ||
        (st = cp_vector_field(&v, o->records, "method", mf, &f_m)))
        goto done;
    c->rows = calloc(hs.n + hs.nrejected + 1, sizeof *c->rows);
    recs = calloc(hs.n + 1, sizeof *recs);
    if (!c->rows || !recs) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    size_t *row_of = calloc(hs.n + 1, sizeof *row_of), nr = 0;
    if (!row_of) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < hs.n; ++i) {
        const cp_hazard_in *h = &hs.items[i];
        cp_calib_row *row = &c->rows[c->nrows++];
        row->id = xstrdup(h->id);
        row->method = -1;
        row->team_days = NAN;
        for (size_t k = 0; k < cc.count[i]; ++k) row->area_m2 += cc.cells[cc.first[i] + k].m2;
        OGRFeatureH f = OGR_L_GetFeature(v.layer, (GIntBig)h->fid);
        const char *why = NULL;
        if (!f) {
            why = "cannot read the feature again";
        } else {
            const char *m =
                OGR_F_IsFieldSetAndNotNull(f, f_m) ? OGR_F_GetFieldAsString(f, f_m) : "";
            int method = method_of(sc, m);
            row->team_days =
                OGR_F_IsFieldSetAndNotNull(f, f_td) ? OGR_F_GetFieldAsDouble(f, f_td) : NAN;
            if (method == -2)
                why = "its team type does more than one stage: give the method";
            else if (method < 0)
                why = "unknown method (expected nts, ts, clearance or a one-stage team type)";
            else if (!(row->team_days > 0 && isfinite(row->team_days)))
                why = "team-days missing or not positive";
            else if (!(row->area_m2 > 0))
                why = "no area on the grid";
            else
                row->method = method;
            OGR_F_Destroy(f);
        }
        if (why) {
            row->reason = xstrdup(why);
            continue;
        }
        row_of[nr] = c->nrows - 1;
        recs[nr++] = (cp_calib_record){row->method, row->team_days, cc.first[i], cc.count[i]};
    }
    for (size_t i = 0; i < hs.nrejected; ++i) {
        cp_calib_row *row = &c->rows[c->nrows++];
        row->id = xstrdup(hs.rejected[i].id ? hs.rejected[i].id : "");
        row->method = -1;
        row->team_days = NAN;
        row->reason = xstrdup(hs.rejected[i].reason);
    }
    c->nused = nr;
    if (!nr) {
        free(row_of);
        st = cp_fail(CP_E_FORMAT, "<%s>: no usable completion record", o->records);
        goto done;
    }
    cp_calib_input ci = {recs, nr, cc.cells, cc.classes, cc.nclasses, &sc->cost, 5};
    st = cp_calib_fit_compute(&ci, &c->fit);
    for (size_t k = 0; st == CP_OK && k < nr; ++k)
        c->rows[row_of[k]].predicted = c->fit->predicted[k];
    free(row_of);
    if (st) goto done;
    *out = c;
    c = NULL;
done:
    cp_vector_close(&v);
    cp_calib_cells_free(&cc);
    cp_hazards_clear(&hs);
    cp_grid_clear(&g);
    cp_calibration_free(c);
    free(recs);
    free(inputs);
    return st;
}

/* ------------------------------------------------------------------ the profile ------- */

static void yaml_num(cp_planbuf *b, double v) {
    if (isfinite(v))
        cp_planbuf_printf(b, "%.6g", v);
    else
        cp_planbuf_puts(b, "null");
}

cp_status cp_calibration_write(const cp_calibration *c, const cp_scenario *sc, const char *dir) {
    if (!c || !sc || !dir) return cp_fail(CP_E_ARG, "cp_calibration_write: NULL argument");
    const cp_calib_fit *f = c->fit;
    cp_planbuf b = {0};
    time_t now = time(NULL);
    struct tm tm;
    char today[16];
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    cp_planbuf_printf(&b,
                      "# clearplan cost profile, fitted by `clearplan calibrate` from %zu "
                      "completion records.\n# Include it in a scenario: cost: {profile: "
                      "<this file>} (keys given beside it override it).\nprovenance:\n  records: ",
                      c->nused);
    cp_planbuf_json(&b, c->records_path);
    cp_planbuf_printf(&b, "\n  records_fnv1a64: \"%s\"\n  records_bytes: %llu\n  scenario: ",
                      c->records_fnv1a64, (unsigned long long)c->records_bytes);
    cp_planbuf_json(&b, sc->path ? sc->path : "");
    cp_planbuf_printf(&b, "\n  clearplan: \"%s\"\n  fitted_on: %s\nfit:\n", cp_version(), today);
    cp_planbuf_printf(&b,
                      "  method: \"Huber-weighted least squares of log team-days (iteratively "
                      "reweighted Gauss-Newton), 95%% intervals from the weighted Jacobian\"\n"
                      "  records_read: %zu\n  records_used: %zu\n  clearance: %zu\n  nts: %zu\n"
                      "  ts: %zu\n  iterations: %d\n  converged: %s\n  sigma_log: ",
                      c->nrows, c->nused, f->nclearance, f->nnts, f->nts, f->iterations,
                      f->converged ? "true" : "false");
    yaml_num(&b, f->sigma_log);
    cp_planbuf_printf(&b, "\n  cv_folds: %d\n  cv_rmse_log: ", f->folds);
    yaml_num(&b, f->cv_rmse_log);
    cp_planbuf_puts(&b, "\n  cv_median_abs_error: ");
    yaml_num(&b, f->cv_median_ape);
    cp_planbuf_puts(&b, "\n  parameters:\n");
    for (size_t k = 0; k < f->nparams; ++k) {
        const cp_calib_param *p = &f->params[k];
        cp_planbuf_printf(&b, "    %s: {estimate: ", p->name);
        yaml_num(&b, p->estimate);
        cp_planbuf_puts(&b, ", ci95: [");
        yaml_num(&b, p->lo);
        cp_planbuf_puts(&b, ", ");
        yaml_num(&b, p->hi);
        cp_planbuf_puts(&b, "], prior: ");
        yaml_num(&b, p->prior);
        cp_planbuf_printf(&b, ", fitted: %s}\n", p->fitted ? "true" : "false");
    }
    const cp_cost *k = &f->cost;
    cp_planbuf_puts(&b, "cost:\n  productivity_m2_per_team_day: {default: ");
    yaml_num(&b, k->productivity_default_m2);
    cp_planbuf_puts(&b, ", classes: {");
    for (size_t i = 0; i < k->nproductivity; ++i) {
        cp_planbuf_printf(&b, "%s%d: ", i ? ", " : "", k->productivity[i].code);
        yaml_num(&b, k->productivity[i].value);
    }
    cp_planbuf_puts(&b, "}}\n  treecover_slowdown: ");
    yaml_num(&b, k->treecover_slowdown);
    cp_planbuf_puts(&b, "\n  improvised_slowdown: ");
    yaml_num(&b, k->improvised_slowdown);
    cp_planbuf_puts(&b, "\n  improvised_threshold: ");
    yaml_num(&b, k->improvised_threshold);
    cp_planbuf_puts(&b, "\n  nts_m2_per_team_day: ");
    yaml_num(&b, k->nts_m2_per_team_day);
    cp_planbuf_puts(&b, "\n  ts_m2_per_team_day: ");
    yaml_num(&b, k->ts_m2_per_team_day);
    cp_planbuf_puts(&b, "\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/cost_profile.yaml", dir);
    cp_status st =
        b.failed ? cp_fail(CP_E_NOMEM, "out of memory") : cp_plan_write_file(path, b.data, b.len);
    cp_planbuf_free(&b);
    if (st) return st;
    /* calibration.csv */
    cp_planbuf t = {0};
    cp_planbuf_puts(&t,
                    "task_id,method,team_days,area_m2,predicted_team_days,log_error,rejected\n");
    for (size_t i = 0; i < c->nrows; ++i) {
        const cp_calib_row *r = &c->rows[i];
        cp_planbuf_csv(&t, r->id);
        cp_planbuf_printf(&t, ",%s,", r->method < 0 ? "" : cp_plan_stage_name(r->method));
        cp_planbuf_num(&t, r->team_days, "");
        cp_planbuf_putn(&t, ",", 1);
        cp_planbuf_num(&t, r->area_m2, "");
        cp_planbuf_putn(&t, ",", 1);
        if (r->method >= 0) cp_planbuf_num(&t, r->predicted, "");
        cp_planbuf_putn(&t, ",", 1);
        if (r->method >= 0 && r->predicted > 0)
            cp_planbuf_num(&t, log(r->team_days / r->predicted), "");
        cp_planbuf_putn(&t, ",", 1);
        if (r->reason) cp_planbuf_csv(&t, r->reason);
        cp_planbuf_putn(&t, "\n", 1);
    }
    snprintf(path, sizeof path, "%s/calibration.csv", dir);
    st = t.failed ? cp_fail(CP_E_NOMEM, "out of memory") : cp_plan_write_file(path, t.data, t.len);
    cp_planbuf_free(&t);
    return st;
}
