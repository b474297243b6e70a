/* The plan order (plan.h, "Order"): lock groups, then Sidney's ratio rule for the chains
 * NTS -> TS -> clearance of each hazard; and the hazard-level baseline orders. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

typedef struct {
    uint64_t major; /* lock group << 48 | position in rules.locked */
    double key;     /* ascending */
    uint32_t id;    /* rank of the hazard id in byte order (ties) */
    uint32_t item;
    uint8_t stage, last; /* the module's first and last stage */
} module_rec;

static int module_cmp(const void *pa, const void *pb) {
    const module_rec *a = pa, *b = pb;
    if (a->major != b->major) return a->major < b->major ? -1 : 1;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    return (int)a->stage - (int)b->stage;
}

/* Sorting 32-byte records with the full comparator is slow for 300,000 modules: the lock
 * groups are put in place first (listed locks, few, with the full comparator), then each of
 * the other two groups is sorted as 16-byte (key, id | stage | position) pairs. */
typedef struct {
    double key;
    uint64_t tie;
} pair16;

static int pair16_cmp(const void *pa, const void *pb) {
    const pair16 *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->tie < b->tie ? -1 : a->tie > b->tie;
}

static cp_status sort_modules(module_rec *m, size_t n) {
    size_t lo = 0; /* three-way partition by lock group: 0 | 1 | 2 */
    for (uint64_t g = 0; g < 2; ++g)
        for (size_t i = lo; i < n; ++i)
            if (m[i].major >> 48 == g) {
                module_rec t = m[lo];
                m[lo++] = m[i];
                m[i] = t;
            }
    size_t n0 = 0;
    while (n0 < n && m[n0].major >> 48 == 0) ++n0;
    qsort(m, n0, sizeof *m, module_cmp);
    pair16 *p = malloc((n + 1) * sizeof *p);
    module_rec *tmp = malloc((n + 1) * sizeof *tmp);
    if (!p || !tmp) {
        free(p);
        free(tmp);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    for (size_t a = n0; a < n;) {
        size_t b = a;
        while (b < n && m[b].major == m[a].major) ++b;
        for (size_t i = a; i < b; ++i)
            p[i - a] = (pair16){
                m[i].key, (uint64_t)m[i].id << 34 | (uint64_t)m[i].stage << 32 | (uint64_t)(i - a)};
        qsort(p, b - a, sizeof *p, pair16_cmp);
        for (size_t i = a; i < b; ++i) tmp[i] = m[a + (p[i - a].tie & 0xffffffffu)];
        memcpy(m + a, tmp + a, (b - a) * sizeof *m);
        a = b;
    }
    free(p);
    free(tmp);
    return CP_OK;
}

static double ratio(double w, double p) {
    return p > 0 ? w / p : INFINITY;
}

/* Lock group (0 listed in rules.locked, 1 flagged, 2 the rest) and the tie rank. */
static void group_of(const cp_plan_item *it, const order_keys *k, module_rec *m) {
    size_t lp = k->lockpos[it->input_index];
    uint64_t group = lp != SIZE_MAX ? 0 : it->h.locked ? 1 : 2;
    m->major = group << 48 | (lp != SIZE_MAX ? (uint64_t)lp : 0);
    m->id = (uint32_t)k->idrank[it->input_index];
}

/* Sidney's decomposition of one hazard's chain into modules: repeatedly the leading run of
 * its remaining stages with the highest benefit per team-day (the longest on ties). Their
 * ratios do not increase along the chain (forced against rounding), so sorting modules by
 * ratio keeps every chain in order. */
static size_t chain_modules(const cp_plan_item *it, size_t item, const order_keys *keys,
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
        group_of(it, keys, r);
        r->key = -best;
        r->stage = (uint8_t)st[i];
        r->last = (uint8_t)st[end];
        r->item = (uint32_t)item;
        i = end + 1;
    }
    return m;
}

cp_status order_plan(const cp_plan_item *items, size_t n, const order_keys *keys, size_t *rank_of,
                     int *stage_seq, size_t *njobs) {
    module_rec *m = malloc((3 * n + 1) * sizeof *m);
    if (!m) return cp_fail(CP_E_NOMEM, "out of memory");
    size_t nm = 0;
    for (size_t i = 0; i < n; ++i) nm += chain_modules(&items[i], i, keys, m + nm);
    cp_status st = sort_modules(m, nm);
    if (st != CP_OK) {
        free(m);
        return st;
    }
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

cp_status order_baseline(const cp_plan_item *items, size_t n, const order_keys *keys, int order,
                         size_t *seq) {
    module_rec *m = malloc((n + 1) * sizeof *m);
    if (!m) return cp_fail(CP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; ++i) {
        group_of(&items[i], keys, &m[i]);
        m[i].key = baseline_key(&items[i], order);
        if (order == CP_ORDER_INPUT) m[i].id = 0;
        m[i].item = (uint32_t)i;
        m[i].stage = 0;
    }
    cp_status st = sort_modules(m, n);
    for (size_t i = 0; i < n && st == CP_OK; ++i) seq[i] = m[i].item;
    free(m);
    return st;
}
