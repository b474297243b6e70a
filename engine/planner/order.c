/* The plan order (plan.h, "Order"): lock groups, then Sidney's ratio rule for the chains
 * NTS -> TS -> clearance of each hazard; and the hazard-level baseline orders. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

typedef struct {
    int group;       /* 0 listed lock, 1 flagged lock, 2 rest */
    size_t lock_idx; /* position in rules.locked */
    double key;      /* ascending */
    const char *id;
    int stage; /* first stage of the module */
    size_t item;
    int last; /* last stage of the module */
} module_rec;

static int module_cmp(const void *pa, const void *pb) {
    const module_rec *a = pa, *b = pb;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    if (a->lock_idx != b->lock_idx) return a->lock_idx < b->lock_idx ? -1 : 1;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    int c = strcmp(a->id, b->id);
    if (c) return c;
    if (a->item != b->item) return a->item < b->item ? -1 : 1;
    return a->stage - b->stage;
}

static double ratio(double w, double p) {
    return p > 0 ? w / p : INFINITY;
}

static void group_of(const cp_plan_item *it, const size_t *lockpos, module_rec *m) {
    size_t lp = lockpos[it->input_index];
    m->group = lp != SIZE_MAX ? 0 : it->h.locked ? 1 : 2;
    m->lock_idx = lp != SIZE_MAX ? lp : 0;
}

/* Sidney's decomposition of one hazard's chain into modules: repeatedly the leading run of
 * its remaining stages with the highest benefit per team-day (the longest on ties). Their
 * ratios do not increase along the chain (forced against rounding), so sorting modules by
 * ratio keeps every chain in order. */
static size_t chain_modules(const cp_plan_item *it, size_t item, const size_t *lockpos,
                            module_rec *out) {
    int st[CP_NMETHOD], n = 0;
    for (int s = 0; s < CP_NMETHOD; ++s)
        if (it->has_stage[s]) st[n++] = s;
    size_t m = 0;
    double prev = INFINITY;
    for (int i = 0; i < n;) {
        double w = 0, p = 0, best = -1;
        int end = i;
        for (int e = i; e < n; ++e) {
            w += it->stage_benefit[st[e]];
            p += it->stage_ref_team_days[st[e]];
            double r = ratio(w, p);
            if (r >= best) best = r, end = e;
        }
        if (best > prev) best = prev;
        prev = best;
        module_rec *r = &out[m++];
        group_of(it, lockpos, r);
        r->key = -best;
        r->id = it->h.id;
        r->stage = st[i];
        r->last = st[end];
        r->item = item;
        i = end + 1;
    }
    return m;
}

cp_status order_plan(const cp_plan_item *items, size_t n, const size_t *lockpos, size_t *rank_of,
                     int *stage_seq, size_t *njobs) {
    module_rec *m = malloc((3 * n + 1) * sizeof *m);
    if (!m) return cp_fail(CP_E_NOMEM, "out of memory");
    size_t nm = 0;
    for (size_t i = 0; i < n; ++i) nm += chain_modules(&items[i], i, lockpos, m + nm);
    qsort(m, nm, sizeof *m, module_cmp);
    size_t nj = 0, r = 0;
    for (size_t i = 0; i < n; ++i) rank_of[i] = SIZE_MAX;
    for (size_t k = 0; k < nm; ++k) {
        const cp_plan_item *it = &items[m[k].item];
        if (rank_of[m[k].item] == SIZE_MAX) rank_of[m[k].item] = r++;
        for (int s = m[k].stage; s <= m[k].last; ++s)
            if (it->has_stage[s]) stage_seq[2 * nj] = (int)m[k].item, stage_seq[2 * nj++ + 1] = s;
    }
    for (size_t i = 0; i < n; ++i) /* hazards without stages (no area) */
        if (rank_of[i] == SIZE_MAX) rank_of[i] = r++;
    *njobs = nj;
    free(m);
    return CP_OK;
}

/* The key of a hazard in a baseline order (ascending). */
static double baseline_key(const cp_plan_item *it, int order) {
    switch (order) {
        case CP_ORDER_PRIORITY:
            return isnan(it->h.priority_mean) ? INFINITY : -it->h.priority_mean;
        case CP_ORDER_SMALLEST:
            return it->h.area_m2;
        default:
            return (double)it->input_index;
    }
}

cp_status order_baseline(const cp_plan_item *items, size_t n, const size_t *lockpos, int order,
                         size_t *seq) {
    module_rec *m = malloc((n + 1) * sizeof *m);
    if (!m) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; ++i) {
        group_of(&items[i], lockpos, &m[i]);
        m[i].key = baseline_key(&items[i], order);
        m[i].id = order == CP_ORDER_INPUT ? "" : items[i].h.id;
        m[i].item = i;
        m[i].stage = 0;
    }
    qsort(m, n, sizeof *m, module_cmp);
    for (size_t i = 0; i < n; ++i) seq[i] = m[i].item;
    free(m);
    return CP_OK;
}
