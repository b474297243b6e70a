/* The team schedule (plan.h, "The team schedule"): work packages, in plan order, list-
 * scheduled to the team that finishes them earliest, with stage precedence, whole teams per
 * calendar year, redeployment of idle teams and a yearly budget. One run is a pure function
 * of the problem and the capacity; teams-needed searches and sweeps run it many times. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

/* ------------------------------------------------------------------ heaps ------------- */

/* Teams waiting for work, keyed by the first instant they can work (ties: team number).
 * Deletion is lazy: an entry whose `ver` is not its team's current version is stale. */
typedef struct {
    double key;
    int team;
    unsigned ver;
} entry;

typedef struct {
    entry *a;
    size_t n, cap;
} heap;

static int less(const entry *x, const entry *y) {
    return x->key < y->key || (x->key == y->key && x->team < y->team);
}

/* Appends without ordering (the scratch list; heap_push orders after it). */
static int append(heap *h, entry v) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        entry *a = realloc(h->a, cap * sizeof *a);
        if (!a) return 0;
        h->a = a;
        h->cap = cap;
    }
    h->a[h->n++] = v;
    return 1;
}

static int heap_push(heap *h, entry v) {
    if (!append(h, v)) return 0;
    size_t i = h->n - 1;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!less(&h->a[i], &h->a[p])) break;
        entry t = h->a[p];
        h->a[p] = h->a[i];
        h->a[i] = t;
        i = p;
    }
    return 1;
}

static void sift_down(heap *h, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < h->n && less(&h->a[l], &h->a[s])) s = l;
        if (r < h->n && less(&h->a[r], &h->a[s])) s = r;
        if (s == i) break;
        entry t = h->a[s];
        h->a[s] = h->a[i];
        h->a[i] = t;
        i = s;
    }
}

static entry heap_pop(heap *h) {
    entry top = h->a[0];
    h->a[0] = h->a[--h->n];
    sift_down(h, 0);
    return top;
}

/* ------------------------------------------------------------------ run state --------- */

typedef struct {
    const problem *pb;
    const cap_inst *ci;
    const cal *cal;
    int nteams;
    int *cell, *k, *region; /* per team: home cell, index in it, region it works in */
    unsigned *ver;
    heap *stationed;          /* [region * ntypes + type] */
    heap *mobile;             /* [type]: teams whose region has no work left for their type */
    size_t *rem;              /* [region * CP_NMETHOD + stage]: packages not yet placed */
    unsigned char *exhausted; /* [region * ntypes + type] */
    double *left;             /* budget left per segment (NULL: no ceiling) */
    heap scratch;             /* teams looked at, to put back */
    /* jobs */
    double *jend;                /* end of each done job (INFINITY: a package stayed out) */
    unsigned char *state;        /* JOB_* */
    size_t *deferred, ndeferred; /* jobs waiting for mobile teams, in plan order */
    double last;                 /* latest end so far */
    int steady;                  /* every cell has the same count every year */
    int new_mobile;              /* teams became mobile since the last retry */
} run;

static const int *team_count(const run *r, int team) {
    return r->ci->count + (size_t)r->cell[team] * r->cal->nseg;
}

/* Puts a team back in a heap at the first instant it can work from `t` (dropped when it
 * never works again). */
static int station(run *r, heap *h, int team, double t) {
    double key = team_next(r->cal, team_count(r, team), r->k[team], t);
    if (!isfinite(key)) return 1;
    entry e = {key, team, r->ver[team]};
    return heap_push(h, e);
}

static int remaining_for_type(const run *r, int region, int type) {
    const unsigned char *does = r->pb->does + (size_t)type * CP_NMETHOD;
    for (int s = 0; s < CP_NMETHOD; ++s)
        if (does[s] && r->rem[(size_t)region * CP_NMETHOD + s]) return 1;
    return 0;
}

/* Region `region` has no more work for `type`: with redeployment its teams become mobile,
 * free to move after the mobilisation delay. Invariant: a mobile team's region has no
 * package left that its type can do. */
static int release_region(run *r, int region, int type) {
    size_t c = (size_t)region * (size_t)r->pb->ntypes + (size_t)type;
    r->exhausted[c] = 1;
    if (!r->ci->redeploy) return 1;
    heap *h = &r->stationed[c];
    for (size_t i = 0; i < h->n; ++i) {
        entry e = h->a[i];
        if (e.ver != r->ver[e.team]) continue;
        if (!station(r, &r->mobile[type], e.team, e.key + r->ci->mobilisation_days)) return 0;
        r->new_mobile = 1;
    }
    h->n = 0;
    return 1;
}

typedef struct {
    int team; /* -1: none */
    double start, finish;
    int type, from_mobile;
} choice;

static int stale(const run *r, const entry *e) {
    return e->ver != r->ver[e->team];
}

/* Finish of team `team` free from `key` on w team-days released at rel (INFINITY when it
 * cannot finish within the calendar; *start INFINITY when it never works again). */
static double finish_of(const run *r, int team, double key, double rel, double w, double *start) {
    if (r->steady) { /* every team works every year: the finish grows with the start */
        *start = key > rel ? key : rel;
        if (!(*start < r->cal->s[r->cal->nseg - 1].t1)) return *start = INFINITY;
        return cal_unint_finish(r->cal, *start, w);
    }
    *start = team_next(r->cal, team_count(r, team), r->k[team], key > rel ? key : rel);
    return isfinite(*start) ? team_advance(r->cal, team_count(r, team), r->k[team], *start, w)
                            : INFINITY;
}

/* Can a team free from `key` beat `best`? Its lower bound is an always-active team (the two
 * are computed differently, so equal within rounding counts as no); when every team works
 * every year, that is exactly an earlier start. */
static int may_beat(const run *r, double key, double rel, double w, const choice *best) {
    if (best->team < 0) return 1;
    if (r->steady) return (key > rel ? key : rel) < best->start;
    return cal_unint_finish(r->cal, key > rel ? key : rel, w) <
           best->finish - 1e-9 * (1 + best->finish);
}

/* The team of heap h that finishes w team-days released at `rel` earliest, if it beats
 * `best` (ties: the one found first). Looks at the top in place and stops when neither child
 * may beat it (the common case); otherwise pops teams while their lower bound may beat the
 * best so far, then puts them back. */
static int best_in_heap(run *r, heap *h, double rel, double w, int type, int mobile, choice *best) {
    while (h->n && stale(r, &h->a[0])) heap_pop(h);
    if (!h->n || !may_beat(r, h->a[0].key, rel, w, best)) return 1;
    double s, f = finish_of(r, h->a[0].team, h->a[0].key, rel, w, &s);
    if (isfinite(s)) {
        if (isfinite(f) && (best->team < 0 || f < best->finish))
            *best = (choice){h->a[0].team, s, f, type, mobile};
        double kmin = INFINITY;
        for (size_t c = 1; c <= 2 && c < h->n; ++c)
            if (h->a[c].key < kmin) kmin = h->a[c].key;
        if (best->team >= 0 && (!isfinite(kmin) || !may_beat(r, kmin, rel, w, best))) return 1;
    }
    r->scratch.n = 0;
    while (h->n) {
        entry e = h->a[0];
        if (stale(r, &e)) {
            heap_pop(h);
            continue;
        }
        if (!may_beat(r, e.key, rel, w, best)) break;
        heap_pop(h);
        f = finish_of(r, e.team, e.key, rel, w, &s);
        if (!isfinite(s)) continue; /* never works again: leaves the schedule */
        if (!append(&r->scratch, e)) return 0;
        if (isfinite(f) && (best->team < 0 || f < best->finish))
            *best = (choice){e.team, s, f, type, mobile};
    }
    for (size_t i = 0; i < r->scratch.n; ++i)
        if (!heap_push(h, r->scratch.a[i])) return 0;
    return 1;
}

/* Moves a heap's top to a later `key`: the common case of a team taking the next package
 * from the heap it waits in. */
static void heap_requeue_top(heap *h, double key) {
    h->a[0].key = key;
    sift_down(h, 0);
}

/* Charges a package to the yearly budget. Returns the segment whose funds do not suffice,
 * or SIZE_MAX when it is paid (and then deducted). */
static size_t charge(run *r, int team, double a, double b, double usd) {
    if (!r->left || usd <= 0) return SIZE_MAX;
    const cal *c = r->cal;
    size_t s0 = cal_find(c, a), s1 = cal_find(c, b > a ? b - CP_DAY_EPS * 1e-3 : a);
    for (size_t s = s0; s <= s1; ++s) {
        double lo = a > c->s[s].t0 ? a : c->s[s].t0, hi = b < c->s[s].t1 ? b : c->s[s].t1;
        double cost = team_work(c, team_count(r, team), r->k[team], lo, hi) * usd;
        if (cost > r->left[s] * (1 + 1e-12) + 1e-9) return s;
    }
    for (size_t s = s0; s <= s1; ++s) {
        double lo = a > c->s[s].t0 ? a : c->s[s].t0, hi = b < c->s[s].t1 ? b : c->s[s].t1;
        r->left[s] -= team_work(c, team_count(r, team), r->k[team], lo, hi) * usd;
        if (r->left[s] < 0) r->left[s] = 0;
    }
    return SIZE_MAX;
}

static void run_free(run *r) {
    free(r->cell);
    free(r->k);
    free(r->region);
    free(r->ver);
    if (r->stationed)
        for (int c = 0; c < r->pb->nregions * r->pb->ntypes; ++c) free(r->stationed[c].a);
    if (r->mobile)
        for (int t = 0; t < r->pb->ntypes; ++t) free(r->mobile[t].a);
    free(r->stationed);
    free(r->mobile);
    free(r->rem);
    free(r->exhausted);
    free(r->left);
    free(r->scratch.a);
}

void run_out_free(run_out *o) {
    free(o->pk);
    free(o->job_start);
    free(o->job_end);
    free(o->team_cell);
    free(o->team_k);
    free(o->budget_binding);
    free(o->postponed);
    memset(o, 0, sizeof *o);
}

/* ------------------------------------------------------------------ the run ----------- */

/* Sets up teams, heaps and counters. Invariant afterwards: every team that ever works is in
 * the heap of its home region (or mobile when that region has no work for its type). */
static cp_status run_init(run *r, const problem *pb, const cap_inst *ci) {
    const int ncell = pb->nregions * pb->ntypes;
    r->pb = pb;
    r->ci = ci;
    r->cal = pb->cal;
    for (int c = 0; c < ncell; ++c) r->nteams += ci->maxc[c];
    size_t nt = (size_t)r->nteams + 1;
    r->cell = malloc(nt * sizeof *r->cell);
    r->k = malloc(nt * sizeof *r->k);
    r->region = malloc(nt * sizeof *r->region);
    r->ver = calloc(nt, sizeof *r->ver);
    r->stationed = calloc((size_t)ncell, sizeof *r->stationed);
    r->mobile = calloc((size_t)pb->ntypes, sizeof *r->mobile);
    r->rem = calloc((size_t)pb->nregions * CP_NMETHOD, sizeof *r->rem);
    r->exhausted = calloc((size_t)ncell, 1);
    if (ci->budget) r->left = malloc(r->cal->nseg * sizeof *r->left);
    if (!r->cell || !r->k || !r->region || !r->ver || !r->stationed || !r->mobile || !r->rem ||
        !r->exhausted || (ci->budget && !r->left))
        return cp_fail(CP_E_NOMEM, "out of memory");
    if (r->left) memcpy(r->left, ci->budget, r->cal->nseg * sizeof *r->left);
    for (size_t j = 0; j < pb->njobs; ++j)
        r->rem[(size_t)pb->jobs[j].region * CP_NMETHOD + (size_t)pb->jobs[j].stage] +=
            (size_t)pb->jobs[j].npk;
    r->steady = 1;
    for (size_t k = 0; k < (size_t)ncell * r->cal->nseg; ++k)
        r->steady &= ci->count[k] == ci->maxc[k / r->cal->nseg];
    int team = 0;
    for (int c = 0; c < ncell; ++c)
        for (int k = 0; k < ci->maxc[c]; ++k, ++team) {
            r->cell[team] = c;
            r->k[team] = k;
            r->region[team] = c / pb->ntypes;
            if (!station(r, &r->stationed[c], team, 0)) return cp_fail(CP_E_NOMEM, "out of memory");
        }
    for (int c = 0; c < ncell; ++c)
        if (!remaining_for_type(r, c / pb->ntypes, c % pb->ntypes) &&
            !release_region(r, c / pb->ntypes, c % pb->ntypes))
            return cp_fail(CP_E_NOMEM, "out of memory");
    return CP_OK;
}

/* Places one package of job j released at `rel`: the earliest finish over the teams of the
 * types that can do the stage, stationed in the job's region or mobile; postponed to the
 * next funded year when the chosen team's work is not paid by its years' budgets. */
static cp_status place(run *r, const job *jb, size_t j, double rel, choice *out, run_out *o,
                       int *none) {
    const problem *pb = r->pb;
    *none = 1; /* no team could take it at all (rather than no funds) */
    for (;;) {
        choice best = {-1, 0, 0, 0, 0};
        for (int t = 0; t < pb->ntypes; ++t) {
            double td = pb->td[j * (size_t)pb->ntypes + (size_t)t];
            if (!pb->does[(size_t)t * CP_NMETHOD + (size_t)jb->stage] || isnan(td)) continue;
            double w = td / jb->npk;
            heap *h = &r->stationed[(size_t)jb->region * (size_t)pb->ntypes + (size_t)t];
            if (!best_in_heap(r, h, rel, w, t, 0, &best) ||
                (r->ci->redeploy && !best_in_heap(r, &r->mobile[t], rel, w, t, 1, &best)))
                return cp_fail(CP_E_NOMEM, "out of memory");
        }
        if (best.team < 0) break;
        *none = 0;
        size_t bad = charge(r, best.team, best.start, best.finish, pb->usd[best.type]);
        if (bad == SIZE_MAX) {
            *out = best;
            return CP_OK;
        }
        if (o->postponed) o->postponed[bad]++;
        if (o->budget_binding) o->budget_binding[bad] = 1;
        size_t s = bad + 1;
        while (s < r->cal->nseg && !(r->left[s] > 0)) ++s;
        if (s >= r->cal->nseg) break;
        rel = r->cal->s[s].t0;
    }
    out->team = -1;
    return CP_OK;
}

enum { JOB_PENDING = 0, JOB_DONE, JOB_DEFERRED };

/* Schedules the packages of job j, released when its chain predecessor ends. Without a
 * team that could take its first package (none in its region, none mobile) and with
 * redeployment, the job is deferred until teams become mobile (`final` = 0); a package that
 * finds no place otherwise stays out of the schedule. Sets *late when a package ends after
 * `stop` or stays out (a run that only asks "met?" can stop there). */
static cp_status schedule_job(run *r, size_t j, int final, int record, double stop, run_out *o,
                              int *late) {
    const problem *pb = r->pb;
    const job *jb = &pb->jobs[j];
    if (jb->prev >= 0 && r->state[jb->prev] == JOB_DEFERRED) {
        r->state[j] = JOB_DEFERRED;
        return CP_OK;
    }
    double rel = jb->prev >= 0 ? r->jend[jb->prev] : 0;
    r->jend[j] = rel;
    if (record) o->job_start[j] = rel;
    r->state[j] = JOB_DONE;
    for (int q = 0; q < jb->npk; ++q) {
        size_t k = pb->job_pk[j] + (size_t)q;
        if ((k & 4095) == 4095 && pb->stop && pb->stop(pb->stop_arg))
            return cp_fail(CP_E_INTERRUPTED, "interrupted");
        choice c = {-1, 0, 0, 0, 0};
        int none = 1;
        /* a job with an unplaced package never ends: its other packages are not tried */
        if (isfinite(r->jend[j])) {
            cp_status st = place(r, jb, j, rel, &c, o, &none);
            if (st != CP_OK) return st;
        }
        if (c.team < 0 && none && q == 0 && !final && r->ci->redeploy) {
            r->state[j] = JOB_DEFERRED;
            return CP_OK;
        }
        size_t *rem = &r->rem[(size_t)jb->region * CP_NMETHOD + (size_t)jb->stage];
        --*rem;
        if (c.team < 0) {
            r->jend[j] = INFINITY;
            *late = 1;
            if (record) o->pk[k] = (pk_place){-1, INFINITY, INFINITY, 0, 0};
        } else {
            int tm = c.team;
            size_t cell = (size_t)jb->region * (size_t)pb->ntypes + (size_t)c.type;
            heap *h = &r->stationed[cell];
            double key = team_next(r->cal, team_count(r, tm), r->k[tm], c.finish);
            if (!c.from_mobile && h->n && h->a[0].team == tm && !stale(r, &h->a[0]) &&
                isfinite(key)) {
                heap_requeue_top(h, key); /* its entry stays valid */
            } else {
                r->ver[tm]++;
                if (!station(r, h, tm, c.finish)) return cp_fail(CP_E_NOMEM, "out of memory");
            }
            r->region[tm] = jb->region;
            if (c.finish > r->jend[j]) r->jend[j] = c.finish;
            if (c.finish > r->last) r->last = c.finish;
            if (c.finish > stop) *late = 1;
            double w = pb->td[j * (size_t)pb->ntypes + (size_t)c.type] / jb->npk;
            if (record) {
                o->pk[k] = (pk_place){tm, c.start, c.finish, w, w * pb->usd[c.type]};
                if (q == 0) o->job_start[j] = c.start;
            }
        }
        if (*rem == 0)
            for (int t = 0; t < pb->ntypes; ++t) {
                size_t cl = (size_t)jb->region * (size_t)pb->ntypes + (size_t)t;
                if (!r->exhausted[cl] && pb->does[(size_t)t * CP_NMETHOD + (size_t)jb->stage] &&
                    !remaining_for_type(r, jb->region, t) && !release_region(r, jb->region, t))
                    return cp_fail(CP_E_NOMEM, "out of memory");
            }
    }
    return CP_OK;
}

/* Tries the deferred jobs again, in plan order, while teams keep becoming mobile; `final`
 * places or leaves out every one of them. */
static cp_status retry_deferred(run *r, int final, int record, double stop, run_out *o, int *late) {
    do {
        r->new_mobile = 0;
        size_t keep = 0;
        for (size_t k = 0; k < r->ndeferred; ++k) {
            size_t j = r->deferred[k];
            cp_status st = schedule_job(r, j, final, record, stop, o, late);
            if (st != CP_OK) return st;
            if (r->state[j] == JOB_DEFERRED) r->deferred[keep++] = j;
        }
        r->ndeferred = keep;
    } while (r->new_mobile && r->ndeferred && !final);
    return CP_OK;
}

cp_status schedule_run(const problem *pb, const cap_inst *ci, double t_deadline, int mode,
                       const run_ws *ws, run_out *o) {
    const int record = mode == RUN_RECORD, go_on = mode != RUN_MET;
    memset(o, 0, sizeof *o);
    run r;
    memset(&r, 0, sizeof r);
    r.jend = ws->jend;
    r.state = ws->state;
    r.deferred = ws->deferred;
    memset(r.state, JOB_PENDING, pb->njobs);
    const size_t nj = pb->njobs + 1;
    cp_status st = run_init(&r, pb, ci);
    if (st != CP_OK) goto done;
    const size_t nseg = pb->cal->nseg;
    if (record) {
        o->pk = malloc((pb->npackages + 1) * sizeof *o->pk);
        o->job_start = malloc(nj * sizeof *o->job_start);
        o->team_cell = malloc(((size_t)r.nteams + 1) * sizeof *o->team_cell);
        o->team_k = malloc(((size_t)r.nteams + 1) * sizeof *o->team_k);
        o->budget_binding = calloc(nseg, 1);
        o->postponed = calloc(nseg, sizeof *o->postponed);
        if (!o->pk || !o->job_start || !o->team_cell || !o->team_k || !o->budget_binding ||
            !o->postponed) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        o->nteams = r.nteams;
        memcpy(o->team_cell, r.cell, (size_t)r.nteams * sizeof *r.cell);
        memcpy(o->team_k, r.k, (size_t)r.nteams * sizeof *r.k);
    }
    const double stop = t_deadline + CP_DAY_EPS;
    int late = 0;
    for (size_t j = 0; j < pb->njobs && (go_on || !late); ++j) {
        if ((j & 255) == 255 && pb->stop && pb->stop(pb->stop_arg)) {
            st = cp_fail(CP_E_INTERRUPTED, "interrupted");
            goto done;
        }
        if ((st = schedule_job(&r, j, 0, record, stop, o, &late)) != CP_OK) goto done;
        if (r.state[j] == JOB_DEFERRED) r.deferred[r.ndeferred++] = j;
        if (r.new_mobile && r.ndeferred &&
            (st = retry_deferred(&r, 0, record, stop, o, &late)) != CP_OK)
            goto done;
    }
    if ((go_on || !late) && (st = retry_deferred(&r, 1, record, stop, o, &late)) != CP_OK)
        goto done;
    o->complete = !late || go_on;
    for (size_t j = 0; j < pb->njobs && o->complete; ++j) o->complete = isfinite(r.jend[j]);
    o->t_end = o->complete ? r.last : INFINITY;
    o->met = o->complete && !late;
    o->stopped = !go_on && late;
    if (record) {
        if (!(o->job_end = malloc(nj * sizeof *o->job_end))) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        memcpy(o->job_end, r.jend, pb->njobs * sizeof *r.jend);
    }
done:
    run_free(&r);
    if (st != CP_OK) run_out_free(o);
    return st;
}
