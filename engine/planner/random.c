/* Philox4x32-10 and the distributions the Monte Carlo draws from (random.h). */
#include <math.h>

#include "random.h"

void cp_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; ++round) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void cp_rng_init(cp_rng *r, uint64_t seed, uint32_t sample, uint32_t stream) {
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = r->ctr[1] = 0;
    r->ctr[2] = sample;
    r->ctr[3] = stream;
    r->left = 0;
}

static uint32_t next32(cp_rng *r) {
    if (r->left == 0) {
        cp_philox4x32(r->ctr, r->key, r->out);
        if (++r->ctr[0] == 0) ++r->ctr[1];
        r->left = 4;
    }
    return r->out[4 - r->left--];
}

double cp_rng_uniform(cp_rng *r) {
    uint64_t hi = next32(r), lo = next32(r);
    uint64_t bits = (hi << 21) ^ (lo >> 11); /* 53 bits */
    return ((double)bits + 0.5) * 0x1p-53;
}

double cp_rng_normal(cp_rng *r) {
    double u = cp_rng_uniform(r), v = cp_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

double cp_rng_gamma(cp_rng *r, double shape) {
    if (!(shape > 0)) return 0;
    if (shape < 1) { /* Gamma(a) = Gamma(a + 1) U^(1/a) */
        double g = cp_rng_gamma(r, shape + 1);
        return g * pow(cp_rng_uniform(r), 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = cp_rng_normal(r), v = 1 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = cp_rng_uniform(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
    }
}

double cp_rng_poisson(cp_rng *r, double mean) {
    if (!(mean > 0)) return 0;
    if (mean > 1e6) {
        double x = floor(mean + sqrt(mean) * cp_rng_normal(r) + 0.5);
        return x > 0 ? x : 0;
    }
    /* inversion in blocks of at most 500 (exp(-500) is still a normal double) */
    double k = 0;
    while (mean > 0) {
        double m = mean > 500 ? 500 : mean, p = exp(-m), s = p, u = cp_rng_uniform(r);
        double j = 0;
        while (u > s && j < 1e7) {
            j += 1;
            p *= m / j;
            s += p;
        }
        k += j;
        mean -= m;
    }
    return k;
}

double cp_rng_three_point(cp_rng *r, cp_dist_kind kind, double a, double m, double b) {
    if (!(b > a)) return a;
    if (kind == CP_DIST_TRIANGULAR) {
        double u = cp_rng_uniform(r), f = (m - a) / (b - a);
        return u < f ? a + sqrt(u * (b - a) * (m - a)) : b - sqrt((1 - u) * (b - a) * (b - m));
    }
    double alpha = 1 + 4 * (m - a) / (b - a), beta = 1 + 4 * (b - m) / (b - a);
    double x = cp_rng_gamma(r, alpha), y = cp_rng_gamma(r, beta);
    return a + (b - a) * (x + y > 0 ? x / (x + y) : 0.5);
}
