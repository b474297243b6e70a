/* Counter-based random numbers for the planner's Monte Carlo (DESIGN §16): Philox4x32-10
 * (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), keyed by the seed,
 * with the sample and a stream number in the counter. The draws of stream `s` of sample `k`
 * are a pure function of (seed, k, s): whichever thread runs sample k gets the same numbers,
 * and a variable's draws do not depend on how many numbers another variable used (rejection
 * samplers consume a variable number of them). Not part of the API. */
#ifndef CP_RANDOM_H
#define CP_RANDOM_H

#include <stdint.h>

/* One stream: (seed, sample, stream) and a draw counter. */
typedef struct cp_rng {
    uint32_t key[2];
    uint32_t ctr[4]; /* draw counter (low, high), sample, stream */
    uint32_t out[4];
    int left; /* unused words of out */
} cp_rng;

/* The Philox4x32-10 block function: out = Philox(ctr, key). */
void cp_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Starts stream `stream` of sample `sample` for `seed`. */
void cp_rng_init(cp_rng *r, uint64_t seed, uint32_t sample, uint32_t stream);
/* A uniform number in the open interval (0, 1), 53 random bits. */
double cp_rng_uniform(cp_rng *r);
/* Standard normal (Box-Muller). */
double cp_rng_normal(cp_rng *r);
/* Gamma(shape, 1), shape > 0 (Marsaglia and Tsang 2000; shape < 1 by boosting). */
double cp_rng_gamma(cp_rng *r, double shape);
/* Poisson(mean), mean >= 0 (inversion for small means, a normal approximation beyond 1e6). */
double cp_rng_poisson(cp_rng *r, double mean);

/* Distributions of a three-point estimate (min <= likely <= max). */
typedef enum { CP_DIST_PERT = 0, CP_DIST_TRIANGULAR = 1 } cp_dist_kind;

/* A draw from the triangular or the PERT distribution (Beta(1 + 4 (m - a)/(b - a),
 * 1 + 4 (b - m)/(b - a)) on [a, b]); `a` when the range is a point. */
double cp_rng_three_point(cp_rng *r, cp_dist_kind kind, double a, double m, double b);

#endif
