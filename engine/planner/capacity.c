/* The capacity as the planner uses it: checked (whole teams, dates, productivities), team
 * types resolved against the cost section, counts per (region, type) cell and calendar
 * year, the yearly budget, and the family T(N) of whole-team capacities that teams needed
 * and the sweep search. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planner.h"

/* The cost and capacity sections' defaults (docs/scenario.md; the cost section's class table
 * is the scenario loader's, engine/src/scenario.c). */
/* Clearance productivity, m2 per team-day, per WorldCover class (HALO Trust ranges). */
static const cp_class_value default_productivity[] = {{40, 500}, {30, 450}, {20, 350},
                                                      {10, 200}, {50, 250}, {60, 450}};

void cp_cost_defaults(cp_cost *c) {
    memset(c, 0, sizeof *c);
    c->productivity_default_m2 = 400;
    /* read-only: a caller that changes or frees the table makes its own copy first (the
     * scenario loader does) */
    c->productivity = (cp_class_value *)default_productivity;
    c->nproductivity = sizeof default_productivity / sizeof default_productivity[0];
    c->treecover_slowdown = 0.5;
    c->improvised_slowdown = 0.5;
    c->improvised_threshold = 0.1;
    /* Landmine Monitor 2023 shares, weighted towards cancellation for SHAs. */
    c->release[CP_STATUS_SHA][CP_METHOD_CANCEL] = 0.45;
    c->release[CP_STATUS_SHA][CP_METHOD_REDUCE] = 0.25;
    c->release[CP_STATUS_SHA][CP_METHOD_CLEAR] = 0.30;
    c->release[CP_STATUS_CHA][CP_METHOD_CANCEL] = 0.00;
    c->release[CP_STATUS_CHA][CP_METHOD_REDUCE] = 0.20;
    c->release[CP_STATUS_CHA][CP_METHOD_CLEAR] = 0.80;
    c->nts_m2_per_team_day = 40000;
    c->ts_m2_per_team_day = 2500;
    c->team_day_usd = 1500;
}

void cp_capacity_defaults(cp_capacity *cap) {
    memset(cap, 0, sizeof *cap);
    /* Start: 1 January of the current year (UTC); deadline: ten years later (Article 5). */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    cap->start = cp_date_make(tm.tm_year + 1900, 1, 1);
    cap->deadline = cp_date_make(tm.tm_year + 1900 + 10, 1, 1);
    cap->teams = 10;
    cap->days_per_year = 220;
    cap->package_team_days = 20;
    cap->redeploy = 1;
    cap->mobilisation_days = 30;
    cap->budget_usd = NAN; /* no funding ceiling */
}

double cp_capacity_teams(const cp_capacity *cap, int year) {
    if (cap->nper_year == 0) return cap->teams;
    /* The latest listed year at or before `year`; before the first listed year, the first. */
    double t = cap->per_year[0].teams;
    for (size_t i = 0; i < cap->nper_year; ++i)
        if (cap->per_year[i].year <= year) t = cap->per_year[i].teams;
    return t;
}

static double per_year_value(double constant, const cp_year_teams *py, size_t n, int year) {
    if (n == 0) return constant;
    double t = py[0].teams;
    for (size_t i = 0; i < n; ++i)
        if (py[i].year <= year) t = py[i].teams;
    return t;
}

static int finite_nonneg(double v) {
    return isfinite(v) && v >= 0;
}

static int whole(double v) {
    return finite_nonneg(v) && v <= 1e6 && v == floor(v);
}

void cap_inst_free(cap_inst *ci) {
    free(ci->count);
    free(ci->maxc);
    free(ci->budget);
    memset(ci, 0, sizeof *ci);
}

void cap_model_free(cap_model *m) {
    for (int t = 0; t < m->ntypes; ++t) free(m->types[t].prod);
    free(m->types);
    free(m->ref.prod);
    free(m->region);
    free(m->weight);
    cap_inst_free(&m->given);
    memset(m, 0, sizeof *m);
}

/* Clearance productivity of class `code` from a table, or `dflt`. */
static double table_value(const cp_class_value *tab, size_t n, int code, double dflt) {
    for (size_t i = 0; i < n; ++i)
        if (tab[i].code == code) return tab[i].value;
    return dflt;
}

static cp_status type_resolve(type_model *tm, const cp_team_type *tt, const cp_cost *cost,
                              const int *classes, size_t nclasses) {
    tm->prod = malloc((nclasses + 1) * sizeof *tm->prod);
    if (!tm->prod) return cp_fail(CP_E_NOMEM, "out of memory");
    int own = tt && !isnan(tt->productivity_default_m2);
    for (size_t k = 0; k <= nclasses; ++k) {
        double d = own ? tt->productivity_default_m2 : cost->productivity_default_m2;
        tm->prod[k] = k == nclasses ? d
                      : own ? table_value(tt->productivity, tt->nproductivity, classes[k], d)
                            : table_value(cost->productivity, cost->nproductivity, classes[k], d);
    }
    tm->name = tt ? tt->name : "team";
    tm->nts_m2 =
        tt && !isnan(tt->nts_m2_per_team_day) ? tt->nts_m2_per_team_day : cost->nts_m2_per_team_day;
    tm->ts_m2 =
        tt && !isnan(tt->ts_m2_per_team_day) ? tt->ts_m2_per_team_day : cost->ts_m2_per_team_day;
    tm->usd = tt && !isnan(tt->team_day_usd) ? tt->team_day_usd : cost->team_day_usd;
    for (int s = 0; s < CP_NMETHOD; ++s) tm->does[s] = tt ? tt->stages[s] != 0 : 1;
    return CP_OK;
}

static cp_status check_type(const cp_team_type *t, size_t i, const cp_team_type *all) {
    if (!t->name || !t->name[0]) return cp_fail(CP_E_CONFIG, "capacity.types: a type has no name");
    for (size_t j = 0; j < i; ++j)
        if (!strcmp(all[j].name, t->name))
            return cp_fail(CP_E_CONFIG, "capacity.types: <%s> is listed twice", t->name);
    if (!t->stages[0] && !t->stages[1] && !t->stages[2])
        return cp_fail(CP_E_CONFIG, "capacity.types: <%s> does no stage", t->name);
    const double v[] = {t->nts_m2_per_team_day, t->ts_m2_per_team_day, t->productivity_default_m2};
    for (int k = 0; k < 3; ++k)
        if (!isnan(v[k]) && !(isfinite(v[k]) && v[k] > 0))
            return cp_fail(CP_E_CONFIG, "capacity.types: <%s> productivities must be positive",
                           t->name);
    for (size_t k = 0; k < t->nproductivity; ++k)
        if (!(isfinite(t->productivity[k].value) && t->productivity[k].value > 0))
            return cp_fail(CP_E_CONFIG,
                           "capacity.types: <%s> productivity of class %d must be positive",
                           t->name, t->productivity[k].code);
    if (!isnan(t->team_day_usd) && !finite_nonneg(t->team_day_usd))
        return cp_fail(CP_E_CONFIG, "capacity.types: <%s> team_day_usd must be zero or more",
                       t->name);
    return CP_OK;
}

static cp_status check_count(double v, const char *what, const char *name, int year) {
    char y[24] = "";
    if (year) snprintf(y, sizeof y, " in %d", year);
    if (!finite_nonneg(v))
        return cp_fail(CP_E_CONFIG, "capacity: %s%s%s%s%s must be zero or more (got %g)", what,
                       name ? " of <" : "", name ? name : "", name ? ">" : "", y, v);
    if (!whole(v))
        return cp_fail(CP_E_CONFIG, "capacity: teams are whole: %s%s%s%s%s is %g", what,
                       name ? " of <" : "", name ? name : "", name ? ">" : "", y, v);
    return CP_OK;
}

/* The checks that need no calendar. */
static cp_status check_capacity(const cp_capacity *cap) {
    char a[11], b[11];
    if (cap->deadline < cap->start)
        return cp_fail(CP_E_CONFIG, "capacity: deadline %s is before start %s",
                       cp_date_format(cap->deadline, a), cp_date_format(cap->start, b));
    if (!(cap->days_per_year > 0 && cap->days_per_year <= 366))
        return cp_fail(CP_E_CONFIG,
                       "capacity: days_per_year must be in (0, 366] working days per team and "
                       "year (got %g)",
                       cap->days_per_year);
    if (!(cap->package_team_days > 0 && isfinite(cap->package_team_days)))
        return cp_fail(CP_E_CONFIG, "capacity: package_team_days must be positive (got %g)",
                       cap->package_team_days);
    if (!finite_nonneg(cap->mobilisation_days))
        return cp_fail(CP_E_CONFIG, "capacity: mobilisation_days must be zero or more (got %g)",
                       cap->mobilisation_days);
    if (!(isnan(cap->budget_usd) || cap->budget_usd <= 0 || isfinite(cap->budget_usd)))
        return cp_fail(CP_E_CONFIG, "capacity: budget_usd must be finite");
    for (size_t i = 0; i < cap->nbudget_per_year; ++i)
        if (!finite_nonneg(cap->budget_per_year[i].usd))
            return cp_fail(CP_E_CONFIG, "capacity: budget in %d must be zero or more (got %g)",
                           cap->budget_per_year[i].year, cap->budget_per_year[i].usd);
    cp_status st;
    if (cap->ntypes > CP_MAX_TYPES)
        return cp_fail(CP_E_CONFIG, "capacity.types: at most %d types", CP_MAX_TYPES);
    for (size_t i = 0; i < cap->ntypes; ++i)
        if ((st = check_type(&cap->types[i], i, cap->types)) != CP_OK) return st;
    for (size_t i = 0; i < cap->nregions; ++i) {
        const cp_region_teams *r = &cap->regions[i];
        if (!r->name || !r->name[0])
            return cp_fail(CP_E_CONFIG, "capacity.regions: a region has no name");
        for (size_t j = 0; j < i; ++j)
            if (!strcmp(cap->regions[j].name, r->name))
                return cp_fail(CP_E_CONFIG, "capacity.regions: <%s> is listed twice", r->name);
        if (!cap->ncounts && (st = check_count(r->teams, "teams", r->name, 0)) != CP_OK) return st;
    }
    if (cap->ncounts) {
        for (size_t i = 0; i < cap->ncounts; ++i) {
            const cp_team_count *c = &cap->counts[i];
            size_t nt = cap->ntypes ? cap->ntypes : 1;
            if (c->type < 0 || (size_t)c->type >= nt ||
                (cap->nregions ? c->region < 0 || (size_t)c->region >= cap->nregions
                               : c->region != -1))
                return cp_fail(CP_E_CONFIG,
                               "capacity: team count %zu names no known region "
                               "and type",
                               i + 1);
            const char *nm = cap->ntypes ? cap->types[c->type].name : NULL;
            if ((st = check_count(c->teams, "teams", nm, 0)) != CP_OK) return st;
            for (size_t k = 0; k < c->nper_year; ++k)
                if ((st = check_count(c->per_year[k].teams, "teams", nm, c->per_year[k].year)))
                    return st;
        }
        return CP_OK;
    }
    if (cap->ntypes > 1)
        return cp_fail(CP_E_CONFIG, "capacity: with several team types give the teams per type");
    if (cap->nregions) {
        if (cap->nper_year > 0)
            return cp_fail(CP_E_CONFIG,
                           "capacity: per-year team counts with capacity.regions go per region "
                           "({region: {year: teams}})");
        return CP_OK;
    }
    if ((st = check_count(cap->teams, "teams", NULL, 0)) != CP_OK) return st;
    for (size_t i = 0; i < cap->nper_year; ++i)
        if ((st = check_count(cap->per_year[i].teams, "teams", NULL, cap->per_year[i].year)))
            return st;
    return CP_OK;
}

cp_status cap_model_build(cap_model *m, const cp_capacity *cap, const cp_cost *cost,
                          const int *classes, size_t nclasses, const cal *c, int deadline_seg) {
    memset(m, 0, sizeof *m);
    cp_status st = check_capacity(cap);
    if (st != CP_OK) return st;
    m->nregions = cap->nregions ? (int)cap->nregions : 1;
    m->ntypes = cap->ntypes ? (int)cap->ntypes : 1;
    m->nclasses = nclasses;
    const size_t ncell = (size_t)m->nregions * (size_t)m->ntypes, nseg = c->nseg;
    m->region = malloc((size_t)m->nregions * sizeof *m->region);
    m->types = calloc((size_t)m->ntypes, sizeof *m->types);
    m->weight = calloc(ncell, sizeof *m->weight);
    m->given.count = calloc(ncell * nseg, sizeof *m->given.count);
    m->given.maxc = calloc(ncell, sizeof *m->given.maxc);
    if (!m->region || !m->types || !m->weight || !m->given.count || !m->given.maxc) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto fail;
    }
    for (int r = 0; r < m->nregions; ++r)
        m->region[r] = cap->nregions ? cap->regions[r].name : "all";
    if ((st = type_resolve(&m->ref, NULL, cost, classes, nclasses)) != CP_OK) goto fail;
    for (int t = 0; t < m->ntypes; ++t)
        if ((st = type_resolve(&m->types[t], cap->ntypes ? &cap->types[t] : NULL, cost, classes,
                               nclasses)) != CP_OK)
            goto fail;
    /* counts per cell and year */
    long total = 0;
    for (size_t s = 0; s < nseg; ++s) {
        int year = c->s[s].year;
        if (cap->ncounts) {
            for (size_t i = 0; i < cap->ncounts; ++i) {
                const cp_team_count *tc = &cap->counts[i];
                size_t cell = (size_t)(tc->region < 0 ? 0 : tc->region) * (size_t)m->ntypes +
                              (size_t)tc->type;
                m->given.count[cell * nseg + s] +=
                    (int)per_year_value(tc->teams, tc->per_year, tc->nper_year, year);
            }
        } else if (cap->nregions) {
            for (int r = 0; r < m->nregions; ++r)
                m->given.count[(size_t)r * nseg + s] = (int)cap->regions[r].teams;
        } else {
            m->given.count[s] = (int)cp_capacity_teams(cap, year);
        }
    }
    double window = 0;
    for (size_t cell = 0; cell < ncell; ++cell)
        for (size_t s = 0; s < nseg; ++s) {
            int v = m->given.count[cell * nseg + s];
            if (v > m->given.maxc[cell]) m->given.maxc[cell] = v;
            total += v;
            if ((int)s <= deadline_seg) m->weight[cell] += v, window += v;
        }
    if (window == 0) /* no team before the deadline: the mix of the later years */
        for (size_t cell = 0; cell < ncell; ++cell)
            for (size_t s = 0; s < nseg; ++s) m->weight[cell] += m->given.count[cell * nseg + s];
    if (total == 0) {
        st = cp_fail(CP_E_CONFIG,
                     "capacity: teams must be positive: no team works in any year, so the plan "
                     "could never start");
        goto fail;
    }
    m->given.redeploy = cap->redeploy != 0;
    m->given.mobilisation_days = cap->mobilisation_days;
    if (cap->budget_usd > 0 || cap->nbudget_per_year) {
        m->given.budget = malloc(nseg * sizeof *m->given.budget);
        if (!m->given.budget) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto fail;
        }
        for (size_t s = 0; s < nseg; ++s) {
            double v = cap->budget_usd > 0 ? cap->budget_usd : INFINITY;
            if (cap->nbudget_per_year) v = cap->budget_per_year[0].usd;
            for (size_t i = 0; i < cap->nbudget_per_year; ++i)
                if (cap->budget_per_year[i].year <= c->s[s].year) v = cap->budget_per_year[i].usd;
            m->given.budget[s] = v;
        }
    }
    return CP_OK;
fail:
    cap_model_free(m);
    return st;
}

cp_status cap_inst_apportion(const cap_model *m, const double *w, int n, const cal *c,
                             cap_inst *out, int *alloc) {
    memset(out, 0, sizeof *out);
    const size_t ncell = (size_t)m->nregions * (size_t)m->ntypes, nseg = c->nseg;
    double sum = 0;
    for (size_t k = 0; k < ncell; ++k) sum += w[k];
    int *a = alloc ? alloc : malloc(ncell * sizeof *a);
    double *frac = malloc(ncell * sizeof *frac);
    out->count = malloc(ncell * nseg * sizeof *out->count);
    out->maxc = malloc(ncell * sizeof *out->maxc);
    if (m->given.budget) out->budget = malloc(nseg * sizeof *out->budget);
    cp_status st = CP_OK;
    if (!a || !frac || !out->count || !out->maxc || (m->given.budget && !out->budget)) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    int given = 0;
    for (size_t k = 0; k < ncell; ++k) {
        double q = sum > 0 ? (double)n * w[k] / sum : 0;
        a[k] = (int)floor(q);
        frac[k] = q - a[k];
        given += a[k];
    }
    while (given < n && sum > 0) { /* largest remainder; ties: the lower cell */
        size_t best = SIZE_MAX;
        for (size_t k = 0; k < ncell; ++k)
            if (w[k] > 0 && (best == SIZE_MAX || frac[k] > frac[best])) best = k;
        a[best]++;
        frac[best] = -1;
        given++;
    }
    for (size_t k = 0; k < ncell; ++k) {
        out->maxc[k] = a[k];
        for (size_t s = 0; s < nseg; ++s) out->count[k * nseg + s] = a[k];
    }
    if (out->budget) memcpy(out->budget, m->given.budget, nseg * sizeof *out->budget);
    out->redeploy = m->given.redeploy;
    out->mobilisation_days = m->given.mobilisation_days;
done:
    if (a != alloc) free(a);
    free(frac);
    if (st != CP_OK) cap_inst_free(out);
    return st;
}
