/* Blocks of a range shared out among a team with work stealing (kernels-internal).
 *
 * Each thread starts with a contiguous share of the blocks and takes them in order from the
 * front, so a kernel that carries state from one block to the next (the focal sum's ring of
 * prefix rows) keeps it. A thread whose share is done takes the back half of the largest
 * share left and carries on from there. A thread slowed by something outside the team (the
 * writer thread, the reader, another process) then no longer holds the others at the end of
 * the region, as a static split did. Which thread runs a block never changes what the block
 * computes, so kernels stay bit-identical for any schedule.
 *
 * Each share is one 64-bit word, (first block not taken) << 32 | end, changed by
 * compare-and-swap: the owner moves the first up, a thief moves the end down. */
#ifndef CPK_STEAL_H
#define CPK_STEAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    _Alignas(64) _Atomic uint64_t span; /* a cache line each: owners write theirs often */
} cpk_share;

typedef struct {
    cpk_share *share;
    int n; /* shares (the team size asked for; a smaller team steals the rest) */
} cpk_steal;

#define CPK_STEAL_MAX_BLOCKS ((int64_t)INT32_MAX)

static inline uint64_t cpk_span(int64_t lo, int64_t hi) {
    return (uint64_t)lo << 32 | (uint64_t)hi;
}

/* Shares out `blocks` blocks (0 .. CPK_STEAL_MAX_BLOCKS) among `n` threads, contiguous and
 * in order as a static schedule would. 0 on success, -1 out of memory. */
static inline int cpk_steal_init(cpk_steal *s, int n, int64_t blocks) {
    s->n = n < 1 ? 1 : n;
    s->share = aligned_alloc(64, sizeof *s->share * (size_t)s->n);
    if (!s->share) return -1;
    for (int t = 0; t < s->n; ++t)
        atomic_init(&s->share[t].span, cpk_span(blocks * t / s->n, blocks * (t + 1) / s->n));
    return 0;
}

static inline void cpk_steal_free(cpk_steal *s) {
    free(s->share);
    s->share = NULL;
}

/* The next block for thread `tid` (< n): its own share's first, else the back half of the
 * largest share left, which becomes its own. Returns 0 when every block is taken. *fresh is
 * set when the block does not follow the one the thread took before. `prev` is the thread's
 * previous block (-1 before its first). */
static inline int cpk_steal_next(cpk_steal *s, int tid, int64_t prev, int64_t *block, int *fresh) {
    _Atomic uint64_t *own = &s->share[tid].span;
    for (;;) {
        uint64_t v = atomic_load_explicit(own, memory_order_relaxed);
        int64_t lo = (int64_t)(v >> 32), hi = (int64_t)(v & 0xffffffffu);
        if (lo >= hi) break;
        if (atomic_compare_exchange_weak_explicit(own, &v, cpk_span(lo + 1, hi),
                                                  memory_order_relaxed, memory_order_relaxed)) {
            *block = lo;
            *fresh = lo != prev + 1 || prev < 0;
            return 1;
        }
    }
    for (;;) { /* steal: the back half (rounded up) of the share with the most left */
        int victim = -1;
        int64_t most = 0;
        uint64_t seen = 0;
        for (int t = 0; t < s->n; ++t) {
            uint64_t v = atomic_load_explicit(&s->share[t].span, memory_order_relaxed);
            int64_t left = (int64_t)(v & 0xffffffffu) - (int64_t)(v >> 32);
            if (left > most) most = left, victim = t, seen = v;
        }
        if (victim < 0) return 0;
        int64_t lo = (int64_t)(seen >> 32), hi = (int64_t)(seen & 0xffffffffu);
        int64_t cut = hi - (most + 1) / 2;
        if (atomic_compare_exchange_strong_explicit(&s->share[victim].span, &seen,
                                                    cpk_span(lo, cut), memory_order_relaxed,
                                                    memory_order_relaxed)) {
            /* blocks cut .. hi are this thread's now; its own share is empty, so no thief
             * changes it between the load above and this store */
            atomic_store_explicit(own, cpk_span(cut + 1, hi), memory_order_relaxed);
            *block = cut;
            *fresh = 1;
            return 1;
        }
    }
}

#endif
