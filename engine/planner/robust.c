/* Rank robustness under weight uncertainty (clearplan/evidence.h): each weight sample
 * re-scores the hazards from their per-criterion benefit components and orders them as the
 * planner does, by the benefit per team-day of each hazard's first Sidney module. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/evidence.h>

#include "planner.h"
#include "random.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum { STREAM_WEIGHT = 0x07000000 };    /* | criterion */
enum { BATCH = 256 };                   /* samples ranked before their rank bins are counted */
enum { GROUP = 4 };                     /* samples whose keys one pass computes */
#define HIST_COUNTERS ((size_t)1 << 24) /* the rank histogram's budget */

/* Where an item sits in every sample's order. */
enum { FRONT, SORT1, SORT2, END, NGROUP };

/* The items in group order (FRONT, SORT1, SORT2, END; the sorted groups by id rank, the
 * others in plan order): position p holds item[p]. Everything a sample reads is indexed by
 * position, so that it streams through memory. */
typedef struct {
    const cp_plan *plan;
    const cp_rank_options *o;
    size_t n, nc;
    size_t start[NGROUP + 1]; /* first position of each group */
    uint32_t *item;           /* per position */
    uint32_t *pool;           /* per position: its region */
    /* per position, nc + 2 doubles (one cache line for the few a sample reads exactly): the
       benefit per team-day per benefit of the first and the last Sidney module (INFINITY: no
       effort), then the benefit components */
    double *ex;
    float *compf, *kff, *klf; /* the same in single precision (the binned pass), compf by
                                 criterion: [k * n + position] */
    unsigned char *det_first; /* per item: the schedule completes it in its first year */
    size_t *quota;   /* per region: hazards with work the schedule completes in its first year */
    size_t *want;    /* [group - SORT1][region]: the first-year places left to a sorted group */
    uint16_t *fixed; /* per position of FRONT and END: the bin and flag every sample gives */
    double *w;       /* [sample * nc]: the weights drawn */
} rctx;

/* A thread's scratch for one sample at a time. */
typedef struct {
    uint64_t *buf, *tmp;  /* n each */
    double *key, *last;   /* n each: first- and last-module keys of the sorted groups */
    uint32_t *u, *ul;     /* GROUP x n each: 32-bit keys of the first and last modules */
    uint32_t *idx, *idxl; /* n each: offsets (split, bound members) */
    uint16_t *bk, *bkl;   /* n each: each offset's bucket of the first and the last key */
    uint32_t *cnt;        /* 65537: the first keys' bucket counts */
    uint32_t *cntl;       /* npools x 4096: the last keys' bucket counts per region */
    long *bound;          /* npools: the bucket holding the region's last place, -1 none */
    size_t *left;         /* npools: places left for the members of that bucket */
} scratch;

/* ---- the weights of a sample ---- */

void rank_weights_draw(const cp_rank_options *o, size_t sample, double *w) {
    const cp_uncertainty *u = o->u;
    const double *w0 = o->weights;
    const size_t nc = o->ncriteria;
    double sum0 = 0, gsum = 0;
    for (size_t k = 0; k < nc; ++k) sum0 += w0[k];
    for (size_t k = 0; k < nc; ++k) {
        w[k] = w0[k];
        if (!u) continue;
        cp_rng g;
        cp_rng_init(&g, o->seed, (uint32_t)sample, STREAM_WEIGHT | (uint32_t)k);
        if (u->weight_concentration > 0) {
            w[k] = cp_rng_gamma(&g, u->weight_concentration * w0[k] / sum0);
            gsum += w[k];
            continue;
        }
        for (size_t j = 0; j < u->nweights; ++j)
            if (!strcmp(u->weights[j].name, o->names[k]) && u->weights[j].range.given) {
                const cp_range *r = &u->weights[j].range;
                w[k] = cp_rng_three_point(&g, (cp_dist_kind)u->distribution, r->min, r->likely,
                                          r->max);
            }
    }
    for (size_t k = 0; gsum > 0 && k < nc; ++k) w[k] *= sum0 / gsum;
}

/* ---- one sample's order ---- */

/* Stable LSD radix sort of a[0..n) by the low 21 bits of the key, 7 bits a pass, from a
 * through tmp and back: the result is in a. For the buckets of radix32 (in cache). */
static void radix_low21(uint64_t *a, uint64_t *tmp, size_t n) {
    if (n <= 48) { /* insertion sort (stable) */
        for (size_t i = 1; i < n; ++i) {
            uint64_t v = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] >> 32 > v >> 32; --j) a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    uint32_t cnt[3][129];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; ++i) {
        uint32_t k = (uint32_t)(a[i] >> 32);
        cnt[0][(k & 127) + 1]++;
        cnt[1][((k >> 7) & 127) + 1]++;
        cnt[2][((k >> 14) & 127) + 1]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (int p = 0; p < 3; ++p) {
        for (int d = 1; d <= 128; ++d) cnt[p][d] += cnt[p][d - 1];
        const int shift = 32 + 7 * p;
        for (size_t i = 0; i < n; ++i) dst[cnt[p][(src[i] >> shift) & 127]++] = src[i];
        uint64_t *t = src;
        src = dst, dst = t;
    }
    memcpy(a, src, n * sizeof *a); /* three passes end in tmp */
}

/* The shift that puts the `bits` bits below the prefix that lo and hi (the least and the
 * greatest key) share at the bottom. */
static int digit_shift(uint32_t lo, uint32_t hi, int bits) {
    int prefix = 0;
    for (uint32_t x = lo ^ hi; x && !(x & 0x80000000u); x <<= 1) ++prefix;
    return 32 - prefix > bits ? 32 - prefix - bits : 0;
}

/* Buckets over the keys' range [lo, hi], linear in the 32-bit keys (which are about linear
 * in the log of the keys): about even counts where a digit of the bits would leave most
 * buckets empty. Keys outside the range (infinite or zero ones) go to the end buckets. */
typedef struct {
    uint32_t lo, hi, n;
    uint64_t scale; /* n / (hi - lo + 1) in 32.32 fixed point */
} bucketing;

static bucketing bucketing_of(uint32_t lo, uint32_t hi, uint32_t n) {
    bucketing b = {lo, hi, n, hi > lo ? ((uint64_t)n << 32) / ((uint64_t)(hi - lo) + 1) : 0};
    return b;
}

/* A multiply and a shift, no branch: u - lo <= hi - lo keeps the product under 2^48. */
static inline uint32_t bucket(const bucketing *b, uint32_t u) {
    uint32_t v = u < b->lo ? b->lo : u > b->hi ? b->hi : u;
    uint32_t d = (uint32_t)(((uint64_t)(v - b->lo) * b->scale) >> 32);
    return u > b->hi ? b->n - 1 : d;
}

/* Stable radix sort of (key << 32 | payload) by the key: one pass on the 11 bits below the
 * prefix all keys share (the buckets are then small, in cache), from a into tmp, then each
 * bucket by the bits below those. Returns the buffer holding the result. */
static uint64_t *radix32(uint64_t *a, uint64_t *tmp, size_t n) {
    if (n < 2) return a;
    uint32_t lo = (uint32_t)(a[0] >> 32), hi = lo;
    for (size_t i = 1; i < n; ++i) {
        uint32_t k = (uint32_t)(a[i] >> 32);
        if (k < lo) lo = k;
        if (k > hi) hi = k;
    }
    if (lo == hi) return a;
    const int shift = 32 + digit_shift(lo, hi, 11);
    size_t cnt[2049];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; ++i) cnt[((a[i] >> shift) & 2047) + 1]++;
    for (int d = 1; d <= 2048; ++d) cnt[d] += cnt[d - 1];
    size_t start[2049];
    memcpy(start, cnt, sizeof start);
    for (size_t i = 0; i < n; ++i) tmp[cnt[(a[i] >> shift) & 2047]++] = a[i];
    if (shift > 32)
        for (int d = 0; d < 2048; ++d)
            if (start[d + 1] - start[d] > 1)
                radix_low21(tmp + start[d], a + start[d], start[d + 1] - start[d]);
    return tmp;
}

/* Ascending 32-bit keys for descending non-negative keys (float rounding is monotone). */
static uint32_t desc_key(double d) {
    float f = (float)d;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return ~u;
}

/* Sorts runs of equal 32-bit keys by the double keys (descending; ties keep their order, the
 * id order), so that the result is the order of the double keys. */
static void refine_ties(uint64_t *buf, size_t n, const double *dkey) {
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && buf[b] >> 32 == buf[a] >> 32) ++b;
        for (size_t i = a + 1; i < b; ++i)
            for (size_t j = i; j > a && dkey[(uint32_t)buf[j - 1]] < dkey[(uint32_t)buf[j]]; --j) {
                uint64_t t = buf[j];
                buf[j] = buf[j - 1], buf[j - 1] = t;
            }
        a = b;
    }
}

/* The exact keys of a group's offsets (double, rounded by order_key as the planner's), for
 * the few members the single-precision pass cannot order: `filled` when they all are. */
typedef struct {
    const rctx *c;
    const double *w; /* weight shares */
    size_t p0;       /* the group's first position */
    int last;        /* the last modules' keys, else the first's */
    int filled;
    double *key; /* [offset] */
} exact_keys;

static double exact_key(const exact_keys *e, size_t j) {
    const rctx *c = e->c;
    const size_t p = e->p0 + j, nc = c->nc;
    const double *r = c->ex + p * (nc + 2), kappa = r[e->last];
    if (isinf(kappa)) return INFINITY;
    const double *a = r + 2;
    double b = 0;
    for (size_t k = 0; k < nc; ++k) b += e->w[k] * a[k];
    return order_key(b * kappa);
}

/* The exact keys of the offsets idx[0..m), scattered over the group: their records are
 * fetched ahead, many at a time, rather than one cache miss after another. */
static void fill_exact(const exact_keys *e, const uint32_t *idx, size_t m) {
    enum { AHEAD = 16 };
    for (size_t k = 0; k < m; ++k) {
#ifdef __GNUC__
        if (k + AHEAD < m) __builtin_prefetch(e->c->ex + (e->p0 + idx[k + AHEAD]) * (e->c->nc + 2));
#endif
        e->key[idx[k]] = exact_key(e, idx[k]);
    }
}

/* Sorts the offsets idx[0..m) descending by their exact keys, ties by offset; returns the
 * sorted buffer (of (key << 32 | offset)). */
static uint64_t *sort_exact(const exact_keys *e, const uint32_t *idx, size_t m, scratch *x) {
    for (size_t j = 0; j < m; ++j) {
        uint32_t o = idx ? idx[j] : (uint32_t)j;
        if (!e->filled) e->key[o] = exact_key(e, o);
        x->buf[j] = (uint64_t)desc_key(e->key[o]) << 32 | o;
    }
    if (m <= 32) { /* a few: insertion, by key descending, ties by offset */
        for (size_t i = 1; i < m; ++i)
            for (size_t j = i; j > 0; --j) {
                double a = e->key[(uint32_t)x->buf[j - 1]], b = e->key[(uint32_t)x->buf[j]];
                if (!(a < b || (a == b && (uint32_t)x->buf[j - 1] > (uint32_t)x->buf[j]))) break;
                uint64_t t = x->buf[j];
                x->buf[j] = x->buf[j - 1], x->buf[j - 1] = t;
            }
        return x->buf;
    }
    uint64_t *s = radix32(x->buf, x->tmp, m);
    refine_ties(s, m, e->key);
    return s;
}

/* out[o] = the bin of rank r0 + 1 + k for the k-th of the sorted offsets s[0..m), beside the
 * first-year flag (bit 15). */
static void bins_of_sorted(const uint64_t *s, size_t m, size_t r0, size_t width, uint16_t *out) {
    size_t bin = r0 / width, next = (bin + 1) * width; /* the rank (0-based) where it ends */
    for (size_t k = 0; k < m; ++k) {
        if (r0 + k == next) ++bin, next += width;
        uint16_t *o = &out[(uint32_t)s[k]];
        *o = (uint16_t)((*o & 0x8000u) | bin);
    }
}

/* A sorted group of one sample: its members at positions p0 .. p0 + m - 1 (offsets 0..m-1),
 * their 32-bit keys (descending, ties by offset) of the first modules u and of the last ul,
 * within lim[0..1] and lim[2..3], and the first-year places left to it in each region. */
typedef struct {
    size_t p0, m;
    const uint32_t *u, *ul;
    const uint32_t *lim;
    const size_t *want; /* per region */
} sorted_group;

/* The count of the rank's buckets: cnt[d] becomes the bin of bucket d's ranks, or (bit 31
 * set) the ranks before it when they cross a bin boundary. */
static void rank_table(uint32_t *cnt, uint32_t nbk, size_t r0, size_t width) {
    size_t bin = r0 / width, boundary = (bin + 1) * width, before = 0;
    for (size_t d = 0; d < nbk; ++d) {
        const size_t first = r0 + before, next = first + cnt[d + 1]; /* cnt[d + 1]: its count */
        while (boundary <= first) boundary += width, ++bin;
        cnt[d] = next - first > 1 && boundary < next ? (uint32_t)before | 1u << 31 : (uint32_t)bin;
        before += cnt[d + 1];
    }
}

/* From the count of the last keys' buckets per region: the bucket holding each region's last
 * first-year place (bound; -1: no place, 4096: all members) and the places left for the
 * members of that bucket. */
static void first_year_bounds(const sorted_group *g, size_t nr, scratch *x) {
    for (size_t r = 0; r < nr; ++r) {
        const size_t want = g->want[r];
        size_t cum = 0;
        x->bound[r] = want ? 4096 : -1;
        for (long b = 0; b < 4096 && want; ++b) {
            if (cum + x->cntl[r * 4096 + (size_t)b] >= want) {
                x->bound[r] = b;
                break;
            }
            cum += x->cntl[r * 4096 + (size_t)b];
        }
        x->left[r] = want - (x->bound[r] < 4096 && want ? cum : 0);
    }
}

/* Orders a sorted group under one sample's keys: out[o] = the bin of the offset's rank
 * (r0 + its rank in the group, 1-based, over width) | the first-year flag << 15. Two passes
 * over the members and a few exact sorts:
 * - the ranks: with bins of a few ranks the group is sorted by its exact keys; wider bins need
 *   no more than the right bin: a count of the keys in buckets linear over their range (about
 *   two members a bucket) gives each bucket its run of ranks; a bucket whose run lies in one
 *   bin gives that bin to all its members, and only the members of buckets across a bin
 *   boundary are sorted, exactly;
 * - the first year takes the first `want` members of each region in the order of their last
 *   keys: a count of 4096 buckets per region finds the bucket holding the region's last place,
 *   and only that bucket's members are sorted, exactly. */
static void order_group(const rctx *c, const sorted_group *g, size_t r0, size_t width,
                        const exact_keys *ef, const exact_keys *el, scratch *x, uint16_t *out) {
    const size_t m = g->m, nr = c->plan->npools;
    if (!m) return;
    const uint32_t *pool = c->pool + g->p0, *u = g->u, *ul = g->ul;
    const int sorted = width < 16; /* most buckets would cross a bin: sort them all */
    int bits = 8;
    while (bits < 16 && ((size_t)1 << bits) * 2 < m) ++bits;
    const uint32_t nbk = (uint32_t)1 << bits;
    const bucketing bk = bucketing_of(g->lim[0], g->lim[1], nbk);
    const bucketing bl = bucketing_of(g->lim[2], g->lim[3], 4096);
    uint32_t *cnt = x->cnt, *cntl = x->cntl;
    uint16_t *bkt = x->bk, *bkl = x->bkl;
    memset(cntl, 0, nr * 4096 * sizeof *cntl);
    if (sorted)
        for (size_t j = 0; j < m; ++j) {
            const uint32_t e = bucket(&bl, ul[j]);
            bkl[j] = (uint16_t)e;
            cntl[pool[j] * 4096 + e]++;
        }
    else {
        memset(cnt, 0, (nbk + 1) * sizeof *cnt);
        for (size_t j = 0; j < m; ++j) {
            const uint32_t d = bucket(&bk, u[j]), e = bucket(&bl, ul[j]);
            bkt[j] = (uint16_t)d, bkl[j] = (uint16_t)e;
            cnt[d + 1]++;
            cntl[pool[j] * 4096 + e]++;
        }
        rank_table(cnt, nbk, r0, width);
    }
    first_year_bounds(g, nr, x);
    /* each member's bin (the split ones' later) and flag; the split and the bound members */
    size_t nsplit = 0, nbound = 0;
    for (size_t j = 0; j < m; ++j) { /* no branch: the flags are about as often set as not */
        const long e = bkl[j], bound = x->bound[pool[j]];
        const uint32_t v = sorted ? 0 : cnt[bkt[j]];
        out[j] = (uint16_t)((v & 0x7FFFu) | (uint32_t)(e < bound) << 15);
        x->idx[nsplit] = (uint32_t)j, x->idxl[nbound] = (uint32_t)j;
        nsplit += v >> 31, nbound += e == bound;
    }
    if (sorted)
        bins_of_sorted(sort_exact(ef, NULL, m, x), m, r0, width, out);
    else { /* the split buckets' members in bucket order, each bucket by the exact keys */
        for (size_t k = 0; k < nsplit; ++k) x->buf[k] = (uint64_t)bkt[x->idx[k]] << 32 | x->idx[k];
        const uint64_t *byb = radix32(x->buf, x->tmp, nsplit);
        for (size_t k = 0; k < nsplit; ++k) x->idx[k] = (uint32_t)byb[k];
        exact_keys filled = *ef;
        if (!ef->filled) fill_exact(ef, x->idx, nsplit), filled.filled = 1;
        for (size_t k = 0; k < nsplit;) {
            const uint32_t d = bkt[x->idx[k]];
            const size_t a = k;
            while (k < nsplit && bkt[x->idx[k]] == d) ++k;
            uint64_t *s = sort_exact(&filled, x->idx + a, k - a, x);
            bins_of_sorted(s, k - a, r0 + (cnt[d] & 0x7FFFFFFFu), width, out);
        }
    }
    exact_keys filled = *el; /* the bound buckets' members by their exact last keys */
    if (!el->filled) fill_exact(el, x->idxl, nbound), filled.filled = 1;
    uint64_t *s = sort_exact(&filled, x->idxl, nbound, x);
    for (size_t k = 0; k < nbound; ++k) {
        const uint32_t j = (uint32_t)s[k], r = pool[j];
        if (x->left[r]) x->left[r]--, out[j] |= 1u << 15;
    }
}

/* The 32-bit keys of positions [p0, p1) into uf and ul (first and last modules), with their
 * ranges: exactly (the double keys, rounded by order_key, kept in kf and kl) when `exact`,
 * else in single precision from the single-precision components (with bins, a rank needs no
 * more: members of a bucket across a bin boundary are ordered by their exact keys). */
#define FINF 0x7F800000 /* the bits of a float infinity */

/* The keys' ranges: lim = {least, greatest first key, least, greatest last key} of the finite,
 * non-zero keys; {0, 0} when there is none (every key then goes to the end buckets). */
static void ranges_of(int32_t flo, int32_t fhi, int32_t llo, int32_t lhi, uint32_t lim[4]) {
    /* over the keys' float bits (signed, ascending with the keys' values): descending keys */
    lim[0] = flo <= fhi ? ~(uint32_t)fhi : 0, lim[1] = flo <= fhi ? ~(uint32_t)flo : 0;
    lim[2] = llo <= lhi ? ~(uint32_t)lhi : 0, lim[3] = llo <= lhi ? ~(uint32_t)llo : 0;
}

/* The exact keys of positions [p0, p1) into key and last (double, rounded by order_key as
 * the planner's) and their 32-bit forms into u and ul, from offset 0. */
static void keys32_exact(const rctx *c, const double *w, size_t p0, size_t p1, double *key,
                         double *last, uint32_t *u, uint32_t *ul, uint32_t lim[4]) {
    const size_t nc = c->nc;
    int32_t flo = INT32_MAX, fhi = 0, llo = INT32_MAX, lhi = 0;
    for (size_t p = p0; p < p1; ++p) {
        const size_t j = p - p0;
        const double *r = c->ex + p * (nc + 2), *cp = r + 2;
        double b = 0;
        for (size_t k = 0; k < nc; ++k) b += w[k] * cp[k];
        key[j] = isinf(r[0]) ? INFINITY : order_key(b * r[0]);
        last[j] = isinf(r[1]) ? INFINITY : order_key(b * r[1]);
        u[j] = desc_key(key[j]), ul[j] = desc_key(last[j]);
        const int32_t a = (int32_t)~u[j], z = (int32_t)~ul[j];
        if (a > 0 && a < FINF) flo = a < flo ? a : flo, fhi = a > fhi ? a : fhi;
        if (z > 0 && z < FINF) llo = z < llo ? z : llo, lhi = z > lhi ? z : lhi;
    }
    ranges_of(flo, fhi, llo, lhi, lim);
}

/* The single-precision keys of positions [p0, p1) for the g samples of a group (weights w[s])
 * (at w + s * 64) into u and ul from offset 0, sample s at s * n: a block of positions at a time,
 * its components read once for all g samples, with the criteria outermost so that every loop runs
 * over contiguous positions (vectorised: the keys' float bits compared as integers, infinite
 * factors chosen by mask). */
enum { KEYBLOCK = 512 };

static void keys32_single(const rctx *c, const double *w, size_t g, size_t p0, size_t p1,
                          uint32_t *u0, uint32_t *ul0, uint32_t (*lim)[4]) {
    const size_t nc = c->nc, n = c->n;
    float wf[GROUP][64], b[GROUP][KEYBLOCK];
    int32_t flo[GROUP], fhi[GROUP], llo[GROUP], lhi[GROUP];
    for (size_t s = 0; s < g; ++s) {
        for (size_t k = 0; k < nc; ++k) wf[s][k] = (float)w[s * 64 + k];
        flo[s] = llo[s] = INT32_MAX, fhi[s] = lhi[s] = 0;
    }
    for (size_t q = p0; q < p1; q += KEYBLOCK) {
        const size_t len = p1 - q < KEYBLOCK ? p1 - q : KEYBLOCK;
        for (size_t s = 0; s < g; ++s)
            for (size_t i = 0; i < len; ++i) b[s][i] = 0;
        for (size_t k = 0; k < nc; k += 4) { /* four criteria a pass: sums in registers */
            const float *c0 = c->compf + k * n + q, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
            for (size_t s = 0; s < g; ++s) {
                float *bs = b[s];
                const float w0 = wf[s][k], w1 = k + 1 < nc ? wf[s][k + 1] : 0,
                            w2 = k + 2 < nc ? wf[s][k + 2] : 0, w3 = k + 3 < nc ? wf[s][k + 3] : 0;
                if (k + 4 <= nc)
                    for (size_t i = 0; i < len; ++i)
                        bs[i] = (((bs[i] + w0 * c0[i]) + w1 * c1[i]) + w2 * c2[i]) + w3 * c3[i];
                else
                    for (size_t kk = k; kk < nc; ++kk) {
                        const float *ck = c->compf + kk * n + q, wk = wf[s][kk];
                        for (size_t i = 0; i < len; ++i) bs[i] += wk * ck[i];
                    }
            }
        }
        const float *kf = c->kff + q, *kl = c->klf + q;
        for (size_t s = 0; s < g; ++s) {
            uint32_t *u = u0 + s * n + (q - p0), *ul = ul0 + s * n + (q - p0);
            const float *bs = b[s];
            int32_t ka[KEYBLOCK], kz[KEYBLOCK];
            for (size_t i = 0; i < len; ++i) {
                const union {
                    float f[4];
                    int32_t i[4];
                } v = {{bs[i] * kf[i], bs[i] * kl[i], kf[i], kl[i]}};
                const int32_t ma = -(v.i[2] == FINF), mz = -(v.i[3] == FINF);
                ka[i] = (v.i[0] & ~ma) | (FINF & ma); /* an infinite factor: infinite, even x 0 */
                kz[i] = (v.i[1] & ~mz) | (FINF & mz);
                u[i] = ~(uint32_t)ka[i], ul[i] = ~(uint32_t)kz[i];
            }
            int32_t lo = flo[s], hi = fhi[s], llo_ = llo[s], lhi_ = lhi[s];
            for (size_t i = 0; i < len; ++i) {      /* the finite, non-zero keys' ranges */
                const int32_t a = ka[i], z = kz[i]; /* masks, not branches: vectorised */
                const int32_t ma = -((a <= 0) | (a >= FINF)), mz = -((z <= 0) | (z >= FINF));
                const int32_t a0 = a ^ ((a ^ INT32_MAX) & ma), a1 = a & ~ma;
                const int32_t z0 = z ^ ((z ^ INT32_MAX) & mz), z1 = z & ~mz;
                lo = a0 < lo ? a0 : lo, hi = a1 > hi ? a1 : hi;
                llo_ = z0 < llo_ ? z0 : llo_, lhi_ = z1 > lhi_ ? z1 : lhi_;
            }
            flo[s] = lo, fhi[s] = hi, llo[s] = llo_, lhi[s] = lhi_;
        }
    }
    for (size_t s = 0; s < g; ++s) ranges_of(flo[s], fhi[s], llo[s], lhi[s], lim[s]);
}

/* Ranks the items under weight shares w, from the keys of the sorted groups' positions (u and
 * ul from position SORT1; ranges l1 of SORT1's, l2 of SORT2's): out[position] = the bin of its
 * rank | the first-year flag << 15. The rank orders the first modules; the first year takes
 * the first `quota` hazards of each region in the order of their last modules (when their
 * release ends): the locked ones first, in plan order (FRONT and END: c->fixed). */
static void rank_sample(const rctx *c, const double *w, size_t width, scratch *x, const uint32_t *u,
                        const uint32_t *ul, const uint32_t l1[4], const uint32_t l2[4],
                        uint16_t *out) {
    const size_t s0 = c->start[SORT1], s1 = c->start[END], s2 = c->start[SORT2];
    const size_t nr = c->plan->npools;
    const int exact = width == 1;
    memcpy(out, c->fixed, s0 * sizeof *out);
    memcpy(out + s1, c->fixed + s1, (c->n - s1) * sizeof *out);
    const sorted_group g1 = {s0, s2 - s0, u, ul, l1, c->want},
                       g2 = {s2, s1 - s2, u + (s2 - s0), ul + (s2 - s0), l2, c->want + nr};
    const exact_keys e1 = {c, w, s0, 0, exact, x->key}, z1 = {c, w, s0, 1, exact, x->last},
                     e2 = {c, w, s2, 0, exact, x->key + (s2 - s0)},
                     z2 = {c, w, s2, 1, exact, x->last + (s2 - s0)};
    order_group(c, &g1, s0, width, &e1, &z1, x, out + s0);
    order_group(c, &g2, s2, width, &e2, &z2, x, out + s2);
}

/* Ranks the g samples of a group (drawn weights wdrawn[s * nc ..]) into out + s * n. With bins
 * the keys of all g are computed in one pass over the components; exact ranks compute each
 * sample's exact keys before ranking it (the exact keys' scratch holds one sample). */
static void rank_group_of_samples(const rctx *c, const double *wdrawn, size_t g, size_t width,
                                  scratch *x, uint16_t *out) {
    const size_t nc = c->nc, n = c->n, s0 = c->start[SORT1], s1 = c->start[END],
                 s2 = c->start[SORT2];
    double w[GROUP][64] = {{0}}; /* shares, as the priority's weights: the plan's scale at w0 */
    uint32_t l1[GROUP][4], l2[GROUP][4];
    for (size_t s = 0; s < g; ++s) {
        double wsum = 0;
        for (size_t k = 0; k < nc; ++k) wsum += wdrawn[s * nc + k];
        for (size_t k = 0; k < nc; ++k) w[s][k] = wsum > 0 ? wdrawn[s * nc + k] / wsum : 0;
    }
    const int exact = width == 1;
    if (!exact) {
        keys32_single(c, w[0], g, s0, s2, x->u, x->ul, l1);
        keys32_single(c, w[0], g, s2, s1, x->u + (s2 - s0), x->ul + (s2 - s0), l2);
    }
    for (size_t s = 0; s < g; ++s) {
        uint32_t *u = x->u + s * n, *ul = x->ul + s * n;
        if (exact) {
            keys32_exact(c, w[s], s0, s2, x->key, x->last, u, ul, l1[s]);
            keys32_exact(c, w[s], s2, s1, x->key + (s2 - s0), x->last + (s2 - s0), u + (s2 - s0),
                         ul + (s2 - s0), l2[s]);
        }
        rank_sample(c, w[s], width, x, u, ul, l1[s], l2[s], out + s * n);
    }
}

/* ---- set-up ---- */

typedef struct {
    const char *id;
    uint32_t item;
} id_ref;

static int id_ref_cmp(const void *pa, const void *pb) {
    const id_ref *a = pa, *b = pb;
    return strcmp(a->id, b->id);
}

/* The benefit per team-day per unit of benefit of the first and the last of the hazard's
 * Sidney modules (plan.h, "Order"): the leading run of the remaining stages with the highest
 * ratio, the longest on ties, repeatedly; ratios forced not to rise along the chain. */
static void module_ratios(const cp_plan_item *it, double *first, double *last) {
    double sh[CP_NMETHOD];
    int st[CP_NMETHOD], n = 0;
    for (int s = 0; s < CP_NMETHOD; ++s) {
        sh[s] = it->h.area_m2 > 0   ? it->released_m2[s] / it->h.area_m2
                : it->h.benefit > 0 ? it->stage_benefit[s] / it->h.benefit
                                    : 1;
        if (it->has_stage[s]) st[n++] = s;
    }
    double prev = INFINITY;
    *first = *last = 0;
    for (int i = 0; i < n;) {
        double w = 0, p = 0, best = -1;
        int end = i;
        for (int e = i; e < n; ++e) {
            w += sh[st[e]];
            p += it->stage_ref_team_days[st[e]];
            double r = p > 0 ? w / p : INFINITY;
            if (r >= best) best = r, end = e;
        }
        if (best > prev) best = prev;
        if (i == 0) *first = best;
        *last = prev = best;
        i = end + 1;
    }
}

static cp_status setup(rctx *c) {
    const cp_plan *plan = c->plan;
    const cp_rank_options *o = c->o;
    const size_t n = c->n, nc = c->nc;
    cp_status st = CP_OK;
    id_ref *ids = malloc((n + 1) * sizeof *ids);
    unsigned char *group = malloc(n + 1), *locked = calloc(n + 1, 1);
    c->item = malloc((n + 1) * sizeof *c->item);
    c->pool = malloc((n + 1) * sizeof *c->pool);
    c->ex = malloc((n * (nc + 2) + 1) * sizeof *c->ex);
    c->compf = malloc((n * nc + 1) * sizeof *c->compf);
    c->kff = malloc((n + 1) * sizeof *c->kff);
    c->klf = malloc((n + 1) * sizeof *c->klf);
    c->det_first = calloc(n + 1, 1);
    c->quota = calloc(plan->npools + 1, sizeof *c->quota);
    if (!ids || !group || !locked || !c->item || !c->pool || !c->ex || !c->compf || !c->kff ||
        !c->klf || !c->det_first || !c->quota) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; ++i) ids[i] = (id_ref){plan->items[i].h.id, (uint32_t)i};
    qsort(ids, n, sizeof *ids, id_ref_cmp);
    for (size_t l = 0; o->rules && l < o->rules->nlocked; ++l) {
        id_ref key = {o->rules->locked[l], 0};
        const id_ref *f =
            o->rules->locked[l] ? bsearch(&key, ids, n, sizeof *ids, id_ref_cmp) : NULL;
        if (f) locked[f->item] = 1;
    }
    int y0;
    cp_date_split(plan->start, &y0, NULL, NULL);
    size_t count[NGROUP] = {0};
    for (size_t i = 0; i < n; ++i) {
        const cp_plan_item *it = &plan->items[i];
        int work = it->has_stage[0] || it->has_stage[1] || it->has_stage[2];
        int ye;
        cp_date_split(it->end, &ye, NULL, NULL);
        c->det_first[i] = (unsigned char)(it->scheduled && ye == y0);
        group[i] = !work ? END : locked[i] ? FRONT : it->h.locked ? SORT1 : SORT2;
        count[group[i]]++;
        if (work && c->det_first[i]) c->quota[it->pool]++;
        const double *row = o->components + it->input_index * nc;
        for (size_t k = 0; k < nc; ++k)
            if (!(isfinite(row[k]) && row[k] >= 0)) {
                st = cp_fail(CP_E_ARG,
                             "hazard <%s>: benefit component %s must be finite and zero or more "
                             "(got %g)",
                             it->h.id, o->names[k], row[k]);
                goto done;
            }
    }
    for (int g = 0; g < NGROUP; ++g) c->start[g + 1] = c->start[g] + count[g];
    /* positions: FRONT and END in plan order, the sorted groups by id rank (their ties) */
    size_t next[NGROUP];
    memcpy(next, c->start, sizeof next);
    for (size_t i = 0; i < n; ++i)
        if (group[i] == FRONT || group[i] == END) c->item[next[group[i]]++] = (uint32_t)i;
    for (size_t r = 0; r < n; ++r) {
        uint32_t i = ids[r].item;
        if (group[i] == SORT1 || group[i] == SORT2) c->item[next[group[i]]++] = i;
    }
    for (size_t p = 0; p < n; ++p) {
        const cp_plan_item *it = &plan->items[c->item[p]];
        double *ex = c->ex + p * (nc + 2);
        module_ratios(it, &ex[0], &ex[1]);
        c->pool[p] = (uint32_t)it->pool;
        const double *row = o->components + it->input_index * nc;
        for (size_t k = 0; k < nc; ++k) ex[2 + k] = row[k], c->compf[k * n + p] = (float)row[k];
        c->kff[p] = (float)ex[0], c->klf[p] = (float)ex[1];
    }
done:
    free(ids);
    free(group);
    free(locked);
    return st;
}

static void rctx_free(rctx *c) {
    free(c->item);
    free(c->pool);
    free(c->ex);
    free(c->compf);
    free(c->kff);
    free(c->klf);
    free(c->det_first);
    free(c->quota);
    free(c->want);
    free(c->fixed);
    free(c->w);
}

/* What every sample shares: the bins of FRONT's and END's positions (plan order) and their
 * first-year flags (FRONT: the first `quota` of each region; END: the schedule's), and the
 * first-year places left to SORT1 (after FRONT's members) and to SORT2 (after SORT1's). */
static cp_status fixed_outputs(rctx *c, size_t width) {
    const size_t n = c->n, nr = c->plan->npools, s0 = c->start[SORT1], s1 = c->start[END];
    c->fixed = malloc((n + 1) * sizeof *c->fixed);
    c->want = malloc((2 * nr + 1) * sizeof *c->want);
    size_t *used = calloc(nr + 1, sizeof *used);
    if (!c->fixed || !c->want || !used) {
        free(used);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    for (size_t p = 0, bin = 0; p < n; ++p) {
        if (p && p % width == 0) ++bin;
        c->fixed[p] = (uint16_t)bin;
    }
    for (size_t p = 0; p < s0; ++p) {
        const uint32_t r = c->pool[p];
        if (used[r]++ < c->quota[r]) c->fixed[p] |= 1u << 15;
    }
    for (size_t p = s1; p < n; ++p) c->fixed[p] |= (uint16_t)(c->det_first[c->item[p]] << 15);
    for (int g = 0; g < 2; ++g) {
        for (size_t r = 0; r < nr; ++r)
            c->want[g * nr + r] = c->quota[r] > used[r] ? c->quota[r] - used[r] : 0;
        for (size_t p = c->start[SORT1 + g]; p < c->start[SORT1 + g + 1]; ++p) used[c->pool[p]]++;
    }
    free(used);
    return CP_OK;
}

static cp_status check_options(const cp_plan *plan, const cp_rank_options *o) {
    if (!o->ncriteria || o->ncriteria > 64 || !o->names || !o->weights || !o->components)
        return cp_fail(CP_E_ARG,
                       "rank robustness: 1 to 64 criteria with names, weights and "
                       "components");
    if (o->samples < 1 || o->samples > 100000000)
        return cp_fail(CP_E_ARG, "rank robustness: samples must be from 1 to 1e8 (got %zu)",
                       o->samples);
    if (o->part && (o->first > o->end || o->end > o->samples))
        return cp_fail(CP_E_ARG, "rank robustness: samples %zu .. %zu of %zu", o->first, o->end,
                       o->samples);
    if (o->ncomponents_rows < plan->ninput)
        return cp_fail(CP_E_ARG, "rank robustness: components for %zu hazards, the plan has %zu",
                       o->ncomponents_rows, plan->ninput);
    if (plan->nitems > UINT32_MAX / 2)
        return cp_fail(CP_E_ARG, "rank robustness: too many hazards (%zu)", plan->nitems);
    double sum = 0;
    for (size_t k = 0; k < o->ncriteria; ++k) {
        if (!(isfinite(o->weights[k]) && o->weights[k] >= 0))
            return cp_fail(CP_E_CONFIG, "rank robustness: the weight of %s must be zero or more",
                           o->names[k]);
        sum += o->weights[k];
    }
    if (!(sum > 0)) return cp_fail(CP_E_CONFIG, "rank robustness: the weights sum to 0");
    return CP_OK;
}

void cp_rank_robustness_free(cp_rank_robustness *r) {
    if (!r) return;
    free(r->items);
    for (int i = 0; i < 3; ++i) free(r->weight_p[i]);
    free(r);
}

/* P5, P50, P95 (nearest rank) of each criterion's weight share. */
static cp_status weight_quantiles(const rctx *c, cp_rank_robustness *r) {
    const size_t S = c->o->samples, nc = c->nc;
    double *v = malloc((S + 1) * sizeof *v);
    for (int i = 0; i < 3; ++i) r->weight_p[i] = malloc(nc * sizeof *r->weight_p[i]);
    if (!v || !r->weight_p[0] || !r->weight_p[1] || !r->weight_p[2]) {
        free(v);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    static const double q[3] = {0.05, 0.50, 0.95};
    for (size_t k = 0; k < nc; ++k) {
        for (size_t s = 0; s < S; ++s) {
            double sum = 0;
            for (size_t j = 0; j < nc; ++j) sum += c->w[s * nc + j];
            v[s] = sum > 0 ? c->w[s * nc + k] / sum : 0;
        }
        for (int i = 0; i < 3; ++i) r->weight_p[i][k] = nearest_rank(v, S, q[i]);
    }
    free(v);
    return CP_OK;
}

/* Ranks this process's samples ([o->first, o->end)) into the histogram and the first-year
 * counts, a batch at a time: the batch's ranks in parallel over samples, then its counts in
 * parallel over positions. */
static cp_status rank_samples(rctx *cc, uint32_t *hist, uint16_t *bins, scratch *xs, int threads,
                              size_t width, size_t nb) {
    const rctx c = *cc;
    const cp_rank_options *o = c.o;
    const size_t n = c.n, S = o->samples, s0 = o->part ? o->first : 0, s1 = o->part ? o->end : S;
    uint32_t *first = hist + n * nb;
    for (size_t s = 0; s < S; ++s)
        rank_weights_draw(o, s, c.w + s * c.nc); /* every sample's:
                                        the weights' quantiles */
    /* positions per block of the histogram pass: their rows fit in 256 KB */
    const size_t block = (size_t)1 << 18 > nb * 4 * 8 ? ((size_t)1 << 18) / (nb * 4) : 8;
    for (size_t b0 = s0; b0 < s1; b0 += BATCH) {
        const long nbatch = (long)(s1 - b0 < BATCH ? s1 - b0 : BATCH);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
        for (long b = 0; b < nbatch; b += GROUP) {
            int t = 0;
#ifdef _OPENMP
            t = omp_get_thread_num();
#endif
            const size_t g = nbatch - b < GROUP ? (size_t)(nbatch - b) : GROUP;
            rank_group_of_samples(&c, c.w + (b0 + (size_t)b) * c.nc, g, width, &xs[t],
                                  bins + (size_t)b * n);
        }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
        for (long blk = 0; blk < (long)n; blk += (long)block) { /* the histogram rows of a
                                                                    block stay in cache */
            const size_t p1 = (size_t)blk + block < n ? (size_t)blk + block : n;
            for (long b = 0; b < nbatch; ++b) {
                const uint16_t *v = bins + (size_t)b * n;
                for (size_t p = (size_t)blk; p < p1; ++p) {
                    hist[p * nb + (v[p] & 0x7FFFu)]++;
                    first[p] += v[p] >> 15;
                }
            }
        }
    }
    return CP_OK;
}

cp_status cp_rank_robustness_compute(const cp_plan *plan, const cp_rank_options *o,
                                     cp_rank_robustness **out) {
    if (!plan || !o || !out) return cp_fail(CP_E_ARG, "cp_rank_robustness_compute: NULL argument");
    *out = NULL;
    cp_status st = check_options(plan, o);
    if (st != CP_OK) return st;
    rctx c;
    memset(&c, 0, sizeof c);
    c.plan = plan;
    c.o = o;
    c.n = plan->nitems;
    c.nc = o->ncriteria;
    const size_t n = c.n, S = o->samples;
    const size_t nbins = n ? (n * n <= HIST_COUNTERS ? n
                              : HIST_COUNTERS / n    ? HIST_COUNTERS / n
                                                     : 1)
                           : 1;
    const size_t width = n ? (n + nbins - 1) / nbins : 1, nb = n ? (n + width - 1) / width : 1;
    int threads = o->threads;
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    cp_rank_robustness *r = calloc(1, sizeof *r);
    /* the histogram, then the first-year counts: one array for combine */
    uint32_t *hist = calloc(n * nb + n + 1, sizeof *hist);
    uint16_t *bins = malloc((BATCH * n + 1) * sizeof *bins); /* bin | first-year flag << 15 */
    uint32_t *first = hist ? hist + n * nb : NULL;
    scratch *xs = calloc((size_t)threads, sizeof *xs);
    c.w = malloc((S * c.nc + 1) * sizeof *c.w);
    int ok = r && hist && bins && first && xs && c.w;
    for (int t = 0; ok && t < threads; ++t) {
        scratch *x = &xs[t];
        const size_t nr = plan->npools + 1;
        x->buf = malloc((n + 1) * sizeof *x->buf);
        x->tmp = malloc((n + 1) * sizeof *x->tmp);
        x->key = malloc((n + 1) * sizeof *x->key);
        x->last = malloc((n + 1) * sizeof *x->last);
        x->u = malloc((GROUP * n + 1) * sizeof *x->u);
        x->ul = malloc((GROUP * n + 1) * sizeof *x->ul);
        x->idx = malloc((n + 1) * sizeof *x->idx);
        x->bk = malloc((n + 1) * sizeof *x->bk);
        x->cnt = malloc(65537 * sizeof *x->cnt);
        x->cntl = malloc(nr * 4096 * sizeof *x->cntl);
        x->idxl = malloc((n + 1) * sizeof *x->idxl);
        x->bkl = malloc((n + 1) * sizeof *x->bkl);
        x->bound = malloc(nr * sizeof *x->bound);
        x->left = malloc(nr * sizeof *x->left);
        ok = x->buf && x->tmp && x->key && x->last && x->u && x->ul && x->idx && x->bk && x->cnt &&
             x->cntl && x->idxl && x->bkl && x->bound && x->left;
    }
    if (!ok) st = cp_fail(CP_E_NOMEM, "out of memory");
    if (st == CP_OK) st = setup(&c);
    if (st == CP_OK) st = fixed_outputs(&c, width);
    if (st == CP_OK) st = rank_samples(&c, hist, bins, xs, threads, width, nb);
    if (o->combine) { /* summed over the processes of a job */
        cp_status cs = o->combine(o->combine_arg, st, st == CP_OK ? hist : NULL, n * nb + n);
        if (st == CP_OK) st = cs;
    }
    if (st != CP_OK) goto done;
    r->nitems = n;
    r->samples = S;
    r->seed = o->seed;
    r->bin_width = width;
    r->ncriteria = c.nc;
    if (!(r->items = calloc(n + 1, sizeof *r->items))) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    const uint64_t t5 = (uint64_t)ceil(0.05 * (double)S - 1e-9),
                   t50 = (uint64_t)ceil(0.50 * (double)S - 1e-9),
                   t95 = (uint64_t)ceil(0.95 * (double)S - 1e-9);
    for (size_t p = 0; p < n; ++p) {
        const size_t i = c.item[p];
        cp_rank_item *ri = &r->items[i];
        const uint32_t *h = hist + p * nb;
        uint64_t cum = 0;
        size_t lo = nb, mid = nb, hi = nb;
        for (size_t k = 0; k < nb && hi == nb; ++k) {
            cum += h[k];
            if (lo == nb && cum >= (t5 ? t5 : 1)) lo = k;
            if (mid == nb && cum >= (t50 ? t50 : 1)) mid = k;
            if (cum >= t95) hi = k;
        }
        ri->rank = plan->items[i].rank;
        ri->rank_p5 = lo * width + 1;
        ri->rank_p50 = mid * width + 1 + (width - 1) / 2;
        if (ri->rank_p50 > n) ri->rank_p50 = n;
        ri->rank_p95 = (hi + 1) * width < n ? (hi + 1) * width : n;
        ri->p_first_year = (double)first[p] / (double)S;
        ri->first_year = c.det_first[i];
        ri->robust = ri->p_first_year >= 0.9 || ri->p_first_year <= 0.1;
        r->nrobust += (size_t)ri->robust;
    }
    if ((st = weight_quantiles(&c, r)) != CP_OK) goto done;
    *out = r;
    r = NULL;
done:
    cp_rank_robustness_free(r);
    rctx_free(&c);
    free(hist);
    free(bins);
    for (int t = 0; xs && t < threads; ++t) {
        scratch *x = &xs[t];
        free(x->buf), free(x->tmp), free(x->key), free(x->last), free(x->u), free(x->ul),
            free(x->idx);
        free(x->bk);
        free(x->cnt), free(x->cntl), free(x->idxl), free(x->bkl), free(x->bound), free(x->left);
    }
    free(xs);
    return st;
}
