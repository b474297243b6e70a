/* The calling thread's place in an OpenMP team (kernels-internal). Outside a parallel region,
 * or built without OpenMP: thread 0 of a team of 1. */
#ifndef CPK_TEAM_H
#define CPK_TEAM_H

#ifdef _OPENMP
#include <omp.h>
#endif

static inline int cpk_tid(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static inline int cpk_team_size(void) {
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

#endif
