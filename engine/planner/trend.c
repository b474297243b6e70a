/* New contamination (clearplan/evidence.h): the trend of yearly report counts, a Poisson
 * regression log(mean) = a + b (year - centre) fitted by Newton's method (the canonical link:
 * iteratively reweighted least squares), its covariance scaled by the Pearson dispersion
 * (quasi-Poisson), and the projection of new reports and new hazard area per year by drawing
 * the parameters from their normal approximation and the counts from a negative binomial
 * with that dispersion (Poisson without overdispersion). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/evidence.h>

#include "planner.h"
#include "random.h"

enum { STREAM_TREND = 0x08000000 }; /* | region */

static void constant_model(const double *y, int n, cp_trend *t) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += y[i];
    t->constant = 1;
    t->b = t->var_b = t->cov_ab = 0;
    t->a = s > 0 ? log(s / n) : -INFINITY;
    t->var_a = s > 0 ? 1.0 / s : 0; /* var(log mean) of a Poisson total */
    t->dispersion = 1;
}

cp_status cp_trend_fit(const double *counts, int nyears, int year0, cp_trend *out) {
    if (!counts || !out || nyears < 1) return cp_fail(CP_E_ARG, "cp_trend_fit: no years");
    memset(out, 0, sizeof *out);
    out->year0 = year0;
    out->nyears = nyears;
    out->centre = year0 + (nyears - 1) / 2.0;
    double total = 0, first = 0, last = 0;
    for (int i = 0; i < nyears; ++i) {
        if (!(counts[i] >= 0 && isfinite(counts[i])))
            return cp_fail(CP_E_ARG, "cp_trend_fit: counts must be zero or more");
        total += counts[i];
    }
    out->total = total;
    for (int i = 0; i < nyears / 2; ++i) first += counts[i], last += counts[nyears - 1 - i];
    /* a slope needs three years and reports at both ends (else its estimate is infinite) */
    if (nyears < 3 || !(first > 0) || !(last > 0)) {
        constant_model(counts, nyears, out);
        return CP_OK;
    }
    double a = log(total / nyears), b = 0, i11 = 0, i12 = 0, i22 = 0;
    int converged = 0;
    for (int it = 0; it < 100 && !converged; ++it) {
        double u1 = 0, u2 = 0;
        i11 = i12 = i22 = 0;
        for (int i = 0; i < nyears; ++i) {
            double x = year0 + i - out->centre, mu = exp(a + b * x);
            u1 += counts[i] - mu, u2 += (counts[i] - mu) * x;
            i11 += mu, i12 += mu * x, i22 += mu * x * x;
        }
        double det = i11 * i22 - i12 * i12;
        if (!(det > 0)) break;
        double da = (i22 * u1 - i12 * u2) / det, db = (i11 * u2 - i12 * u1) / det;
        a += da, b += db;
        converged = fabs(da) < 1e-12 && fabs(db) < 1e-12;
    }
    if (!converged || !isfinite(a) || !isfinite(b)) {
        constant_model(counts, nyears, out);
        return CP_OK;
    }
    double chi2 = 0;
    for (int i = 0; i < nyears; ++i) {
        double mu = exp(a + b * (year0 + i - out->centre));
        chi2 += (counts[i] - mu) * (counts[i] - mu) / mu;
    }
    out->dispersion = nyears > 2 && chi2 / (nyears - 2) > 1 ? chi2 / (nyears - 2) : 1;
    double det = i11 * i22 - i12 * i12;
    out->a = a;
    out->b = b;
    out->var_a = out->dispersion * i22 / det;
    out->var_b = out->dispersion * i11 / det;
    out->cov_ab = -out->dispersion * i12 / det;
    return CP_OK;
}

double cp_trend_mean(const cp_trend *t, int year) {
    return isfinite(t->a) ? exp(t->a + t->b * (year - t->centre)) : 0;
}

double trend_draw(const cp_trend *t, int year, cp_rng *r) {
    if (!isfinite(t->a)) return 0;
    /* (a, b) from N(estimate, covariance), by its Cholesky factor */
    double z1 = cp_rng_normal(r), z2 = cp_rng_normal(r);
    double l11 = sqrt(t->var_a), l21 = l11 > 0 ? t->cov_ab / l11 : 0;
    double l22 = t->var_b - l21 * l21 > 0 ? sqrt(t->var_b - l21 * l21) : 0;
    double a = t->a + l11 * z1, b = t->b + l21 * z1 + l22 * z2;
    double mu = exp(a + b * (year - t->centre));
    if (!(mu < 1e12)) mu = 1e12;
    if (t->dispersion > 1 + 1e-9) /* negative binomial: a gamma-distributed Poisson mean */
        mu = cp_rng_gamma(r, mu / (t->dispersion - 1)) * (t->dispersion - 1);
    return cp_rng_poisson(r, mu);
}

void cp_contamination_free(cp_contamination *c) {
    if (!c) return;
    for (size_t r = 0; c->region_names && r < c->nregions; ++r) free(c->region_names[r]);
    free(c->region_names);
    free(c->trend);
    for (int i = 0; i < 3; ++i) {
        free(c->count_p[i]);
        free(c->area_p[i]);
        free(c->total_area_p[i]);
    }
    free(c->reserve);
    free(c->reserve_team_days);
    free(c);
}

cp_status cp_contamination_project(const cp_contamination_input *in, cp_contamination **out) {
    if (!in || !out || !in->counts || in->nfit < 1 || in->nyears < 1 || !in->samples)
        return cp_fail(CP_E_ARG, "cp_contamination_project: bad arguments");
    *out = NULL;
    const size_t nr = in->nregions ? in->nregions : 1, S = in->samples;
    const int ny = in->nyears;
    cp_status st = CP_OK;
    cp_contamination *c = calloc(1, sizeof *c);
    double *draws = malloc((S * nr * (size_t)ny + 1) * sizeof *draws);
    double *v = malloc((S + 1) * sizeof *v);
    if (!c || !draws || !v) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    c->nregions = nr;
    c->year0 = in->year0;
    c->nyears = ny;
    c->area_per_report_m2 = in->area_per_report_m2;
    c->samples = S;
    c->seed = in->seed;
    c->region_names = calloc(nr, sizeof *c->region_names);
    c->trend = calloc(nr, sizeof *c->trend);
    for (int i = 0; i < 3; ++i) {
        c->count_p[i] = malloc(nr * (size_t)ny * sizeof *c->count_p[i]);
        c->area_p[i] = malloc(nr * (size_t)ny * sizeof *c->area_p[i]);
        c->total_area_p[i] = malloc((size_t)ny * sizeof *c->total_area_p[i]);
        if (!c->count_p[i] || !c->area_p[i] || !c->total_area_p[i])
            st = cp_fail(CP_E_NOMEM, "out of memory");
    }
    if (st != CP_OK || !c->region_names || !c->trend) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < nr; ++r) {
        const char *name = in->region_names ? in->region_names[r] : "all";
        if (!(c->region_names[r] = malloc(strlen(name) + 1))) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        strcpy(c->region_names[r], name);
        if ((st = cp_trend_fit(in->counts + r * (size_t)in->nfit, in->nfit, in->fit_year0,
                               &c->trend[r])) != CP_OK)
            goto done;
    }
    /* draws [(sample * nr + region) * ny + year]: one stream per (sample, region) */
    for (size_t k = 0; k < S; ++k)
        for (size_t r = 0; r < nr; ++r) {
            cp_rng g;
            cp_rng_init(&g, in->seed, (uint32_t)k, STREAM_TREND | (uint32_t)r);
            for (int y = 0; y < ny; ++y)
                draws[(k * nr + r) * (size_t)ny + (size_t)y] =
                    trend_draw(&c->trend[r], in->year0 + y, &g);
        }
    static const double q[3] = {0.10, 0.50, 0.90};
    for (int y = 0; y < ny; ++y) {
        for (size_t r = 0; r < nr; ++r)
            for (int i = 0; i < 3; ++i) {
                for (size_t k = 0; k < S; ++k) v[k] = draws[(k * nr + r) * (size_t)ny + (size_t)y];
                double cq = nearest_rank(v, S, q[i]);
                c->count_p[i][r * (size_t)ny + (size_t)y] = cq;
                c->area_p[i][r * (size_t)ny + (size_t)y] = cq * in->area_per_report_m2;
            }
        for (int i = 0; i < 3; ++i) {
            for (size_t k = 0; k < S; ++k) {
                double sum = 0;
                for (size_t r = 0; r < nr; ++r) sum += draws[(k * nr + r) * (size_t)ny + (size_t)y];
                v[k] = sum * in->area_per_report_m2;
            }
            c->total_area_p[i][y] = nearest_rank(v, S, q[i]);
        }
    }
    *out = c;
    c = NULL;
done:
    free(draws);
    free(v);
    cp_contamination_free(c);
    return st;
}
