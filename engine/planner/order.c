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

/* Ascending doubles as ascending integers (-0 as +0; no NaN here). */
static uint64_t sortable(double d) {
    if (d == 0) d = 0;
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

typedef struct {
    uint64_t k;
    size_t i;
} kv;

/* Stable LSD radix sort by k, a byte at a time; the result is in a. */
static void radix_sort(kv *a, kv *tmp, size_t n) {
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; ++i) count[((a[i].k >> shift) & 255) + 1]++;
        int one = 0; /* every key has the same byte: nothing to do */
        for (int d = 1; d <= 256 && !one; ++d) one = count[d] == n;
        if (one) continue;
        for (int d = 1; d <= 256; ++d) count[d] += count[d - 1];
        for (size_t i = 0; i < n; ++i) tmp[count[(a[i].k >> shift) & 255]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

/* Sorts the records by module_cmp in linear passes (300,000 modules: a comparison sort costs
 * more than the rest of the order): by id rank (records of one hazard are already in stage
 * order), stably by lock group (the listed locks, few, then sorted by the comparator), and
 * stably by key within the flagged locks and within the rest. */
static cp_status sort_modules(module_rec *m, size_t n, size_t nids) {
    cp_status st = CP_OK;
    size_t *count = calloc(nids + 2, sizeof *count);
    module_rec *t = malloc((n + 1) * sizeof *t);
    kv *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    if (!count || !t || !a || !b) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; ++i) count[m[i].id + 1]++;
    for (size_t d = 1; d <= nids + 1; ++d) count[d] += count[d - 1];
    for (size_t i = 0; i < n; ++i) t[count[m[i].id]++] = m[i];
    size_t g[4] = {0}; /* stable partition by group */
    for (size_t i = 0; i < n; ++i) g[(t[i].major >> 48) + 1]++;
    g[2] += g[1], g[3] += g[2];
    size_t lo[3] = {g[0], g[1], g[2]};
    for (size_t i = 0; i < n; ++i) m[g[t[i].major >> 48]++] = t[i];
    qsort(m, lo[1], sizeof *m, module_cmp);
    for (int grp = 1; grp < 3; ++grp) {
        size_t from = lo[grp], to = grp < 2 ? lo[grp + 1] : n;
        for (size_t i = from; i < to; ++i) a[i - from] = (kv){sortable(m[i].key), i};
        radix_sort(a, b, to - from);
        for (size_t i = from; i < to; ++i) t[i] = m[a[i - from].i];
        memcpy(m + from, t + from, (to - from) * sizeof *m);
    }
done:
    free(count);
    free(t);
    free(a);
    free(b);
    return st;
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
        r->key = -order_key(best);
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
    cp_status st = sort_modules(m, nm, keys->nids);
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
    cp_status st = sort_modules(m, n, keys->nids);
    for (size_t i = 0; i < n && st == CP_OK; ++i) seq[i] = m[i].item;
    free(m);
    return st;
}
