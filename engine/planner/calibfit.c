/* Cost calibration from completion records (clearplan/evidence.h, "cost calibration"): the
 * clearance model fitted by Huber-weighted Gauss-Newton on log team-days, the surveys' rates
 * as Huber locations, 95 % intervals, cross-validated errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/evidence.h>

#include "planner.h"

#define HUBER_K 1.345
#define MAX_PARAMS 70

/* What the clearance model fits: a productivity per group of cells (a fitted class, or the
 * default group: classes neither fitted nor in the prior's table, other, nodata), the two
 * slowdowns. Groups not fitted keep their prior productivity. */
typedef struct {
    const cp_calib_input *in;
    size_t ngroup;    /* nclasses + 1 (default) */
    int *group;       /* per class index (and nclasses): its group, -1 fixed at prior */
    double *prior;    /* per class index: the prior productivity */
    int ng;           /* fitted productivity groups */
    int *gclass;      /* per fitted group: a class index (nclasses: default) */
    int fit_t, fit_i; /* the slowdowns are fitted */
    int np;           /* parameters */
} model;

/* Productivities, slowdowns from a parameter vector. */
typedef struct {
    double p[MAX_PARAMS];
    double st, si;
} values;

static void unpack(const model *m, const double *th, const cp_cost *prior, values *v) {
    for (int g = 0; g < m->ng; ++g) v->p[g] = exp(th[g]);
    v->st = m->fit_t ? th[m->ng] : prior->treecover_slowdown;
    v->si = m->fit_i ? th[m->ng + m->fit_t] : prior->improvised_slowdown;
}

/* log predicted team-days of record r and, with jac, d(log pred)/d(theta). */
static double predict(const model *m, const values *v, const cp_calib_record *r, double *jac) {
    const cp_calib_input *in = m->in;
    double pred = 0, dg[MAX_PARAMS] = {0}, dt = 0, di = 0;
    for (size_t c = r->first_cell; c < r->first_cell + r->ncells; ++c) {
        const cp_calib_cell *cell = &in->cells[c];
        int g = m->group[cell->cls];
        double p = g >= 0 ? v->p[g] : m->prior[cell->cls];
        double tc = isnan(cell->treecover) ? 0 : cell->treecover / 100.0;
        double gt = 1 - v->st * tc, hi = cell->improvised ? v->si : 1;
        double term = cell->m2 / (p * gt * hi);
        pred += term;
        if (g >= 0) dg[g] += term;
        dt += term * tc / gt;
        if (cell->improvised) di += term / v->si;
    }
    if (jac && pred > 0) {
        for (int g = 0; g < m->ng; ++g) jac[g] = -dg[g] / pred;
        if (m->fit_t) jac[m->ng] = dt / pred;
        if (m->fit_i) jac[m->ng + m->fit_t] = -di / pred;
    }
    return pred > 0 ? log(pred) : -INFINITY;
}

/* The covered area of a record's cells. */
static double record_area(const cp_calib_input *in, const cp_calib_record *rec) {
    double a = 0;
    for (size_t c = rec->first_cell; c < rec->first_cell + rec->ncells; ++c) a += in->cells[c].m2;
    return a;
}

/* 1.4826 x the median absolute value (a robust standard deviation). */
static double mad_scale(const double *r, size_t n, double *tmp) {
    if (!n) return 0;
    for (size_t i = 0; i < n; ++i) tmp[i] = fabs(r[i]);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    double med = n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
    return 1.4826 * med;
}

/* Solves the symmetric positive system a x = b (n x n, Cholesky); returns 0 when singular.
 * With inv, also a's inverse. */
static int solve(double *a, double *b, int n, double *inv) {
    double l[MAX_PARAMS * MAX_PARAMS];
    memset(l, 0, sizeof(double) * (size_t)(n * n));
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) {
            double s = a[i * n + j];
            for (int k = 0; k < j; ++k) s -= l[i * n + k] * l[j * n + k];
            if (i == j) {
                if (!(s > 1e-300)) return 0;
                l[i * n + i] = sqrt(s);
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    for (int col = -1; col < (inv ? n : 0); ++col) {
        double y[MAX_PARAMS], *x = col < 0 ? b : inv + col * n;
        for (int i = 0; i < n; ++i) {
            double s = col < 0 ? b[i] : (i == col);
            for (int k = 0; k < i; ++k) s -= l[i * n + k] * y[k];
            y[i] = s / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; --i) {
            double s = y[i];
            for (int k = i + 1; k < n; ++k) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
    }
    return 1;
}

static void clamp_slowdowns(const model *m, double *th) {
    if (m->fit_t) th[m->ng] = th[m->ng] < 0 ? 0 : th[m->ng] > 0.95 ? 0.95 : th[m->ng];
    if (m->fit_i) {
        double *s = &th[m->ng + m->fit_t];
        *s = *s < 0.05 ? 0.05 : *s > 1 ? 1 : *s;
    }
}

/* Fits the clearance records listed in `use` (n of them) from th (updated). Returns the
 * robust scale; cov (np x np) when asked. */
static double fit_clearance(const model *m, const size_t *use, size_t n, double *th, double *cov,
                            int *iterations, int *converged) {
    const cp_calib_input *in = m->in;
    const int np = m->np;
    double *r = malloc((n + 1) * sizeof *r), *tmp = malloc((n + 1) * sizeof *tmp);
    double *jac = malloc(((n + 1) * (size_t)np + 1) * sizeof *jac);
    double sigma = 0, lambda = 1e-3;
    *converged = 0;
    if (!r || !tmp || !jac) goto done;
    values v;
    for (int it = 0; it < 200; ++it) {
        unpack(m, th, in->prior, &v);
        for (size_t i = 0; i < n; ++i) {
            const cp_calib_record *rec = &in->records[use[i]];
            r[i] = log(rec->team_days) - predict(m, &v, rec, jac + i * (size_t)np);
        }
        sigma = mad_scale(r, n, tmp);
        double k = HUBER_K * (sigma > 1e-9 ? sigma : 1e-9);
        double a[MAX_PARAMS * MAX_PARAMS] = {0}, g[MAX_PARAMS] = {0}, obj = 0;
        for (size_t i = 0; i < n; ++i) {
            double w = fabs(r[i]) <= k ? 1 : k / fabs(r[i]);
            obj += fabs(r[i]) <= k ? 0.5 * r[i] * r[i] : k * fabs(r[i]) - 0.5 * k * k;
            const double *ji = jac + i * (size_t)np; /* d r / d theta = -ji */
            for (int p = 0; p < np; ++p) {
                g[p] += w * ji[p] * r[i];
                for (int q = 0; q <= p; ++q) a[p * np + q] += w * ji[p] * ji[q];
            }
        }
        for (int p = 0; p < np; ++p)
            for (int q = 0; q < p; ++q) a[q * np + p] = a[p * np + q];
        if (cov) { /* Huber's M-estimate covariance: n/(n-p) mean(psi^2)/mean(psi')^2 (J'J)^-1 */
            double jj[MAX_PARAMS * MAX_PARAMS] = {0}, inv[MAX_PARAMS * MAX_PARAMS],
                                   b0[MAX_PARAMS] = {0}, psi2 = 0, dpsi = 0;
            for (size_t i = 0; i < n; ++i) {
                const double *ji = jac + i * (size_t)np;
                double ps = fabs(r[i]) <= k ? r[i] : (r[i] > 0 ? k : -k);
                psi2 += ps * ps, dpsi += fabs(r[i]) <= k;
                for (int p = 0; p < np; ++p)
                    for (int q = 0; q < np; ++q) jj[p * np + q] += ji[p] * ji[q];
            }
            double dof = (double)n > (double)np ? (double)n / ((double)n - np) : 1;
            double scale = dpsi > 0 ? dof * (psi2 / (double)n) / ((dpsi / n) * (dpsi / n)) : 0;
            if (solve(jj, b0, np, inv))
                for (int q = 0; q < np * np; ++q) cov[q] = scale * inv[q];
        }
        if (*converged) break;
        /* a damped step that lowers the Huber objective (the weights held) */
        int moved = 0;
        for (int tries = 0; tries < 30 && !moved; ++tries) {
            double ad[MAX_PARAMS * MAX_PARAMS], step[MAX_PARAMS], t2[MAX_PARAMS];
            memcpy(ad, a, sizeof(double) * (size_t)(np * np));
            /* r(theta + d) ~ r - J d: the weighted least-squares step solves (J'WJ) d = J'W r */
            for (int p = 0; p < np; ++p) ad[p * np + p] *= 1 + lambda, step[p] = g[p];
            if (!solve(ad, step, np, NULL)) {
                lambda *= 10;
                continue;
            }
            for (int p = 0; p < np; ++p) t2[p] = th[p] + step[p];
            clamp_slowdowns(m, t2);
            values v2;
            unpack(m, t2, in->prior, &v2);
            double obj2 = 0;
            for (size_t i = 0; i < n; ++i) {
                double ri = log(in->records[use[i]].team_days) -
                            predict(m, &v2, &in->records[use[i]], NULL);
                obj2 += fabs(ri) <= k ? 0.5 * ri * ri : k * fabs(ri) - 0.5 * k * k;
            }
            if (obj2 <= obj) {
                double change = 0;
                for (int p = 0; p < np; ++p) change += fabs(t2[p] - th[p]), th[p] = t2[p];
                lambda = lambda > 1e-12 ? lambda / 10 : lambda;
                moved = 1;
                if (change < 1e-10) *converged = 1;
            } else {
                lambda *= 10;
            }
        }
        *iterations = it + 1;
        if (!moved) *converged = 1; /* no step lowers it: a minimum (to the damping's limit) */
    }
done:
    free(r);
    free(tmp);
    free(jac);
    return sigma;
}

/* The Huber location of v[0..n) (log rates) and its standard error. */
static double huber_location(double *v, size_t n, double *se, double *tmp) {
    if (!n) return NAN;
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    double mu = n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
    double *d = malloc(n * sizeof *d), sigma = 0;
    if (!d) return mu;
    for (size_t i = 0; i < n; ++i) d[i] = v[i] - mu;
    sigma = mad_scale(d, n, tmp);
    double k = HUBER_K * (sigma > 1e-12 ? sigma : 1e-12);
    for (int it = 0; it < 100; ++it) {
        double sw = 0, swx = 0;
        for (size_t i = 0; i < n; ++i) {
            double r = v[i] - mu, w = fabs(r) <= k ? 1 : k / fabs(r);
            sw += w, swx += w * v[i];
        }
        double nmu = swx / sw;
        if (fabs(nmu - mu) < 1e-13) break;
        mu = nmu;
    }
    free(d);
    *se = n > 1 ? sigma / sqrt((double)n) : INFINITY;
    return mu;
}

static double table_value(const cp_class_value *t, size_t n, int code, double dflt) {
    for (size_t i = 0; i < n; ++i)
        if (t[i].code == code) return t[i].value;
    return dflt;
}

static int in_table(const cp_class_value *t, size_t n, int code) {
    for (size_t i = 0; i < n; ++i)
        if (t[i].code == code) return 1;
    return 0;
}

void cp_calib_fit_free(cp_calib_fit *f) {
    if (!f) return;
    free(f->params);
    free(f->predicted);
    free(f->cost.productivity);
    free(f);
}

/* Which groups the clearance records can tell (their shares of area and records). */
static cp_status model_build(const cp_calib_input *in, model *m) {
    const size_t nc = in->nclasses;
    memset(m, 0, sizeof *m);
    m->in = in;
    m->group = malloc((nc + 1) * sizeof *m->group);
    m->prior = malloc((nc + 1) * sizeof *m->prior);
    m->gclass = malloc((nc + 2) * sizeof *m->gclass);
    double *area = calloc(nc + 2, sizeof *area), total = 0, tsum = 0, tsq = 0, tw = 0, imp = 0;
    size_t *recs = calloc(nc + 2, sizeof *recs);
    int *seen = calloc(nc + 2, sizeof *seen);
    if (!m->group || !m->prior || !m->gclass || !area || !recs || !seen) {
        free(area), free(recs), free(seen);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    const cp_cost *pr = in->prior;
    /* k's group before fitting: its own (nc + 1 slots: classes, then the default group) */
    for (size_t k = 0; k <= nc; ++k) {
        int listed = k < nc && in_table(pr->productivity, pr->nproductivity, in->classes[k]);
        m->prior[k] = k < nc ? table_value(pr->productivity, pr->nproductivity, in->classes[k],
                                           pr->productivity_default_m2)
                             : pr->productivity_default_m2;
        m->group[k] = listed ? (int)k : (int)nc + 1; /* slot nc + 1: the default group */
    }
    for (size_t r = 0; r < in->nrecords; ++r) {
        const cp_calib_record *rec = &in->records[r];
        if (rec->method != CP_METHOD_CLEAR) continue;
        memset(seen, 0, (nc + 2) * sizeof *seen);
        for (size_t c = rec->first_cell; c < rec->first_cell + rec->ncells; ++c) {
            const cp_calib_cell *cell = &in->cells[c];
            int slot = m->group[cell->cls];
            area[slot] += cell->m2, total += cell->m2;
            seen[slot] = 1;
            if (!isnan(cell->treecover))
                tsum += cell->m2 * cell->treecover,
                    tsq += cell->m2 * cell->treecover * cell->treecover, tw += cell->m2;
            if (cell->improvised) imp += cell->m2;
        }
        for (size_t k = 0; k <= nc + 1; ++k) recs[k] += (size_t)seen[k];
    }
    int slot_group[MAX_PARAMS];
    for (size_t k = 0; k <= nc + 1 && k < MAX_PARAMS; ++k) {
        slot_group[k] = -1;
        if (k == nc) continue; /* "other" belongs to the default group */
        if (total > 0 && area[k] >= 0.01 * total && recs[k] >= 3 && m->ng < MAX_PARAMS - 3) {
            slot_group[k] = m->ng;
            m->gclass[m->ng++] = (int)k;
        }
    }
    for (size_t k = 0; k <= nc; ++k) m->group[k] = slot_group[m->group[k]];
    double mean = tw > 0 ? tsum / tw : 0, var = tw > 0 ? tsq / tw - mean * mean : 0;
    m->fit_t = var >= 25;
    m->fit_i = total > 0 && imp >= 0.02 * total && imp <= 0.98 * total;
    m->np = m->ng + m->fit_t + m->fit_i;
    free(area), free(recs), free(seen);
    return CP_OK;
}

/* The prior productivity of fitted group g. */
static double group_prior(const model *m, int g) {
    int k = m->gclass[g];
    return k <= (int)m->in->nclasses ? m->prior[k] : m->in->prior->productivity_default_m2;
}

static void model_free(model *m) {
    free(m->group);
    free(m->prior);
    free(m->gclass);
}

static void param(cp_calib_param *p, const char *name, int code, double est, double lo, double hi,
                  double prior, int fitted, size_t records) {
    snprintf(p->name, sizeof p->name, "%s", name);
    p->code = code;
    p->estimate = est, p->lo = lo, p->hi = hi, p->prior = prior;
    p->fitted = fitted;
    p->records = records;
}

/* The fit's state: the model, the full fit's parameters and the scratch of its phases. */
typedef struct {
    const cp_calib_input *in;
    model m;
    cp_calib_fit *f;
    size_t n;  /* records */
    size_t nc; /* clearance records with cells: all[0..nc) */
    int folds;
    size_t *use, *all;
    double *v, *tmp, *err; /* n each */
    double th[MAX_PARAMS], th0[MAX_PARAMS], cov[MAX_PARAMS * MAX_PARAMS];
    values val;             /* the full fit's values */
    double rate[2], rse[2]; /* the surveys' log rates (NTS, TS) and their errors */
    size_t ns[2];           /* and their records */
} fit_ctx;

static cp_status check_records(const cp_calib_input *in) {
    if (!in || !in->prior || (in->nrecords && (!in->records || !in->cells)))
        return cp_fail(CP_E_ARG, "cp_calib_fit_compute: NULL argument");
    if (in->nclasses > MAX_PARAMS - 4)
        return cp_fail(CP_E_ARG, "calibration: at most %d land-cover classes", MAX_PARAMS - 4);
    for (size_t r = 0; r < in->nrecords; ++r)
        if (!(in->records[r].team_days > 0 && isfinite(in->records[r].team_days)))
            return cp_fail(CP_E_ARG, "calibration: record %zu: team-days must be positive", r + 1);
    return CP_OK;
}

static cp_status fit_setup(fit_ctx *c) {
    const size_t n = c->n;
    c->f = calloc(1, sizeof *c->f);
    c->use = malloc((n + 1) * sizeof *c->use), c->all = malloc((n + 1) * sizeof *c->all);
    c->v = malloc((n + 1) * sizeof *c->v), c->tmp = malloc((n + 1) * sizeof *c->tmp);
    c->err = malloc((n + 1) * sizeof *c->err);
    if (!c->f || !c->use || !c->all || !c->v || !c->tmp || !c->err)
        return cp_fail(CP_E_NOMEM, "out of memory");
    cp_status st = model_build(c->in, &c->m);
    if (st != CP_OK) return st;
    cp_calib_fit *f = c->f;
    f->nrecords = n;
    f->folds = c->folds;
    f->cost = *c->in->prior;
    f->predicted = calloc(n + 1, sizeof *f->predicted);
    f->params = calloc((size_t)c->m.ng + c->in->nclasses + 8, sizeof *f->params);
    if (!f->predicted || !f->params) return cp_fail(CP_E_NOMEM, "out of memory");
    return CP_OK;
}

/* Clearance: the full fit, from the prior (th0). */
static void fit_full_clearance(fit_ctx *c) {
    const cp_calib_input *in = c->in;
    const model *m = &c->m;
    size_t nc = 0;
    for (size_t r = 0; r < c->n; ++r)
        if (in->records[r].method == CP_METHOD_CLEAR && in->records[r].ncells) c->all[nc++] = r;
    c->nc = c->f->nclearance = nc;
    for (int g = 0; g < m->ng; ++g) c->th0[g] = log(group_prior(m, g));
    if (m->fit_t) c->th0[m->ng] = in->prior->treecover_slowdown;
    if (m->fit_i) c->th0[m->ng + m->fit_t] = in->prior->improvised_slowdown;
    clamp_slowdowns(m, c->th0);
    memcpy(c->th, c->th0, sizeof c->th);
    if (nc && m->np)
        c->f->sigma_log =
            fit_clearance(m, c->all, nc, c->th, c->cov, &c->f->iterations, &c->f->converged);
    unpack(m, c->th, in->prior, &c->val);
}

/* The records of survey s with an area, in order, into idx (their areas into area); with a
 * fold, only those (counted among them) outside it (out = 1) or in it (out = 0). */
static size_t survey_records(const fit_ctx *c, int s, int fold, int out, size_t *idx,
                             double *area) {
    size_t k = 0, j = 0;
    for (size_t r = 0; r < c->n; ++r) {
        const cp_calib_record *rec = &c->in->records[r];
        if (rec->method != s) continue;
        double a = record_area(c->in, rec);
        if (!(a > 0)) continue;
        if (fold < 0 || ((int)(j++ % (size_t)c->folds) != fold) == out) idx[k] = r, area[k++] = a;
    }
    return k;
}

/* Survey s's log rates log(area / team-days) into v (as survey_records chooses). */
static size_t survey_logs(const fit_ctx *c, int s, int fold, double *v) {
    const size_t k = survey_records(c, s, fold, 1, c->use, v);
    for (size_t i = 0; i < k; ++i) v[i] = log(v[i] / c->in->records[c->use[i]].team_days);
    return k;
}

/* Surveys: Huber locations of log(area / team-days). */
static void fit_surveys(fit_ctx *c) {
    for (int s = 0; s < 2; ++s) {
        c->rate[s] = NAN, c->rse[s] = INFINITY;
        const size_t k = survey_logs(c, s, -1, c->v);
        c->ns[s] = k;
        if (k >= 3) c->rate[s] = huber_location(c->v, k, &c->rse[s], c->tmp);
    }
    c->f->nnts = c->ns[0], c->f->nts = c->ns[1];
}

/* The fitted productivities as parameters and as the cost section's table (the prior's table
 * with the fitted classes replaced or added, the default when fitted). */
static cp_status productivity_params(fit_ctx *c, size_t *np) {
    const cp_calib_input *in = c->in;
    const model *m = &c->m;
    cp_calib_fit *f = c->f;
    int classes_out = 0;
    cp_class_value *tab = calloc(in->prior->nproductivity + in->nclasses + 1, sizeof *tab);
    if (!tab) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < in->prior->nproductivity; ++i)
        tab[classes_out++] = in->prior->productivity[i];
    for (int g = 0; g < m->ng; ++g) {
        int k = m->gclass[g];
        double se = sqrt(c->cov[g * m->np + g]), th = c->th[g];
        char name[48];
        int code = k < (int)in->nclasses ? in->classes[k] : -1;
        if (code >= 0)
            snprintf(name, sizeof name, "productivity_%d", code);
        else
            snprintf(name, sizeof name, "productivity_default");
        param(&f->params[(*np)++], name, code, exp(th), exp(th - 1.96 * se), exp(th + 1.96 * se),
              group_prior(m, g), 1, 0);
        if (code < 0) {
            f->cost.productivity_default_m2 = exp(th);
            continue;
        }
        int found = 0;
        for (int i = 0; i < classes_out; ++i)
            if (tab[i].code == code) tab[i].value = exp(th), found = 1;
        if (!found) tab[classes_out++] = (cp_class_value){code, exp(th)};
    }
    f->cost.productivity = tab;
    f->cost.nproductivity = (size_t)classes_out;
    if (!m->ng) /* the default productivity untold */
        param(&f->params[(*np)++], "productivity_default", -1, in->prior->productivity_default_m2,
              NAN, NAN, in->prior->productivity_default_m2, 0, 0);
    return CP_OK;
}

/* The slowdowns and the surveys' rates as parameters and in the cost section. */
static void other_params(fit_ctx *c, size_t *np) {
    const cp_cost *prior = c->in->prior;
    const model *m = &c->m;
    cp_calib_fit *f = c->f;
    const values *val = &c->val;
    int it = m->ng;
    double se = m->fit_t ? sqrt(c->cov[it * m->np + it]) : NAN;
    param(&f->params[(*np)++], "treecover_slowdown", -1, val->st,
          m->fit_t ? fmax(0, val->st - 1.96 * se) : NAN,
          m->fit_t ? fmin(1, val->st + 1.96 * se) : NAN, prior->treecover_slowdown, m->fit_t,
          c->nc);
    f->cost.treecover_slowdown = val->st;
    int ii = m->ng + m->fit_t;
    se = m->fit_i ? sqrt(c->cov[ii * m->np + ii]) : NAN;
    param(&f->params[(*np)++], "improvised_slowdown", -1, val->si,
          m->fit_i ? fmax(0, val->si - 1.96 * se) : NAN,
          m->fit_i ? fmin(1, val->si + 1.96 * se) : NAN, prior->improvised_slowdown, m->fit_i,
          c->nc);
    f->cost.improvised_slowdown = val->si;
    static const char *const sname[2] = {"nts_m2_per_team_day", "ts_m2_per_team_day"};
    const double sprior[2] = {prior->nts_m2_per_team_day, prior->ts_m2_per_team_day};
    for (int s = 0; s < 2; ++s) {
        int ok = isfinite(c->rate[s]);
        param(&f->params[(*np)++], sname[s], -1, ok ? exp(c->rate[s]) : sprior[s],
              ok ? exp(c->rate[s] - 1.96 * c->rse[s]) : NAN,
              ok ? exp(c->rate[s] + 1.96 * c->rse[s]) : NAN, sprior[s], ok, c->ns[s]);
        if (ok) *(s ? &f->cost.ts_m2_per_team_day : &f->cost.nts_m2_per_team_day) = exp(c->rate[s]);
    }
}

/* Predictions of the full fit. */
static void fit_predictions(fit_ctx *c) {
    for (size_t r = 0; r < c->n; ++r) {
        const cp_calib_record *rec = &c->in->records[r];
        if (rec->method == CP_METHOD_CLEAR) {
            c->f->predicted[r] = exp(predict(&c->m, &c->val, rec, NULL));
        } else {
            double a = record_area(c->in, rec);
            c->f->predicted[r] =
                isfinite(c->rate[rec->method]) ? a / exp(c->rate[rec->method]) : NAN;
        }
    }
}

/* Cross-validation: fold j holds the records at positions j, j + folds, ... of each kind; each
 * held-out record's error of log team-days goes to err. Returns the errors' count. */
static size_t cross_validate(fit_ctx *c) {
    const cp_calib_input *in = c->in;
    const model *m = &c->m;
    const int folds = c->folds;
    size_t ne = 0;
    for (int fold = 0; fold < folds; ++fold) {
        size_t nu = 0;
        for (size_t i = 0; i < c->nc; ++i)
            if ((int)(i % (size_t)folds) != fold) c->use[nu++] = c->all[i];
        double thf[MAX_PARAMS];
        memcpy(thf, c->th0, sizeof thf);
        int itf, cvf;
        if (nu && m->np) fit_clearance(m, c->use, nu, thf, NULL, &itf, &cvf);
        values vf;
        unpack(m, thf, in->prior, &vf);
        for (size_t i = 0; i < c->nc; ++i)
            if ((int)(i % (size_t)folds) == fold)
                c->err[ne++] = log(in->records[c->all[i]].team_days) -
                               predict(m, &vf, &in->records[c->all[i]], NULL);
        for (int s = 0; s < 2; ++s) { /* the surveys' rates without the fold */
            size_t k = survey_logs(c, s, fold, c->v);
            double se, loc = k >= 3 ? huber_location(c->v, k, &se, c->tmp) : NAN;
            if (!isfinite(loc)) continue;
            size_t h = survey_records(c, s, fold, 0, c->use, c->v); /* the fold's records */
            for (size_t i = 0; i < h; ++i)
                c->err[ne++] = log(in->records[c->use[i]].team_days) - (log(c->v[i]) - loc);
        }
    }
    return ne;
}

cp_status cp_calib_fit_compute(const cp_calib_input *in, cp_calib_fit **out) {
    if (!out) return cp_fail(CP_E_ARG, "cp_calib_fit_compute: NULL argument");
    *out = NULL;
    cp_status st = check_records(in);
    if (st != CP_OK) return st;
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.n = in->nrecords;
    c.folds = in->folds > 0 ? in->folds : 5;
    size_t np = 0;
    if ((st = fit_setup(&c)) != CP_OK) goto done;
    fit_full_clearance(&c);
    fit_surveys(&c);
    if ((st = productivity_params(&c, &np)) != CP_OK) goto done;
    other_params(&c, &np);
    c.f->nparams = np;
    fit_predictions(&c);
    const size_t ne = cross_validate(&c);
    double ss = 0;
    for (size_t i = 0; i < ne; ++i) ss += c.err[i] * c.err[i], c.tmp[i] = fabs(expm1(c.err[i]));
    c.f->cv_rmse_log = ne ? sqrt(ss / (double)ne) : NAN;
    if (ne) {
        qsort(c.tmp, ne, sizeof *c.tmp, cmp_double);
        c.f->cv_median_ape = ne % 2 ? c.tmp[ne / 2] : 0.5 * (c.tmp[ne / 2 - 1] + c.tmp[ne / 2]);
    } else {
        c.f->cv_median_ape = NAN;
    }
    *out = c.f;
    c.f = NULL;
done:
    model_free(&c.m);
    cp_calib_fit_free(c.f);
    free(c.use), free(c.all), free(c.v), free(c.tmp), free(c.err);
    return st;
}
