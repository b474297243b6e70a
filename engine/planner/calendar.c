/* The planner's calendar: calendar years as segments of time (days from the start date), a
 * team's working days spread evenly over each year, and the availability of a team in a
 * cell whose team count changes from year to year. */
#include <math.h>
#include <stdlib.h>

#include "planner.h"

cp_status cal_build(cal *c, cp_date start, int nyears, double dpy, const cp_year_share *reserve,
                    size_t nreserve) {
    c->s = calloc((size_t)nyears, sizeof *c->s);
    if (!c->s) return cp_fail(CP_E_NOMEM, "out of memory");
    int y0;
    cp_date_split(start, &y0, NULL, NULL);
    c->start = start;
    c->dpy = dpy;
    c->nseg = (size_t)nyears;
    double c1 = 0;
    for (int k = 0; k < nyears; ++k) {
        cp_date a = cp_date_make(y0 + k, 1, 1), b = cp_date_make(y0 + k + 1, 1, 1);
        cal_seg *s = &c->s[k];
        s->year = y0 + k;
        s->diy = (double)(b - a);
        s->t0 = k == 0 ? 0.0 : (double)(a - start);
        s->t1 = (double)(b - start);
        double kept = 1;
        for (size_t r = 0; r < nreserve; ++r)
            if (reserve[r].year == s->year) kept = 1 - reserve[r].share;
        s->rate = dpy * kept / s->diy;
        s->c1 = c1;
        c1 += (s->t1 - s->t0) * s->rate;
    }
    return CP_OK;
}

void cal_free(cal *c) {
    free(c->s);
    c->s = NULL;
    c->nseg = 0;
}

size_t cal_find(const cal *c, double t) {
    if (!(t >= c->s[0].t1)) return 0;
    /* the last k with t0 <= t: years are 365 or 366 days, so a guess from the length of a
       mean year is off by one at most */
    double g = (t - c->s[0].t1) / 365.2425 + 1;
    size_t k = g < (double)c->nseg ? (size_t)g : c->nseg - 1;
    while (k > 0 && c->s[k].t0 > t) --k;
    while (k + 1 < c->nseg && c->s[k + 1].t0 <= t) ++k;
    return k;
}

size_t cal_year_seg(const cal *c, int year) {
    long k = (long)year - c->s[0].year;
    return k >= 0 && (size_t)k < c->nseg ? (size_t)k : SIZE_MAX;
}

double cal_unint_finish(const cal *c, double t, double w) {
    size_t k = cal_find(c, t);
    const cal_seg *s = &c->s[k];
    if (t >= s->t1) return INFINITY;
    double e = s->c1 + (t - s->t0) * s->rate + w; /* effort of an always-active team at the end */
    for (; k < c->nseg; ++k) {
        s = &c->s[k];
        double end = s->c1 + (s->t1 - s->t0) * s->rate;
        if (e <= end && s->rate > 0) {
            double te = s->t0 + (e - s->c1) / s->rate;
            return te > t ? te : t;
        }
    }
    return INFINITY;
}

int64_t cal_last_day(double t) {
    if (!(t > CP_DAY_EPS)) return 0;
    return (int64_t)ceil(t - CP_DAY_EPS) - 1;
}

double team_next(const cal *c, const int *count, int k, double t) {
    size_t s = cal_find(c, t);
    if (t >= c->s[s].t1) return INFINITY;
    for (; s < c->nseg; ++s)
        if (k < count[s]) return t > c->s[s].t0 ? t : c->s[s].t0;
    return INFINITY;
}

double team_advance(const cal *c, const int *count, int k, double t, double w) {
    size_t s = cal_find(c, t);
    if (t >= c->s[s].t1) return INFINITY;
    for (; s < c->nseg; ++s) {
        if (k >= count[s]) continue;
        const cal_seg *g = &c->s[s];
        double t0 = t > g->t0 ? t : g->t0;
        double avail = (g->t1 - t0) * g->rate;
        if (avail >= w && g->rate > 0) return t0 + w / g->rate;
        w -= avail;
    }
    return INFINITY;
}

double team_work(const cal *c, const int *count, int k, double a, double b) {
    if (!(b > a)) return 0;
    double w = 0;
    for (size_t s = cal_find(c, a); s < c->nseg && c->s[s].t0 < b; ++s) {
        if (k >= count[s]) continue;
        const cal_seg *g = &c->s[s];
        double lo = a > g->t0 ? a : g->t0, hi = b < g->t1 ? b : g->t1;
        if (hi > lo) w += (hi - lo) * g->rate;
    }
    return w;
}
