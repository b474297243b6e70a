/* Shared helpers of the kernels library. */
#include "cpk/cpk.h"

#ifdef _OPENMP
#include <omp.h>
#endif

const char *cpk_strerror(cpk_status s) {
    switch (s) {
        case CPK_OK:
            return "ok";
        case CPK_E_ARG:
            return "invalid kernel argument";
        case CPK_E_NOMEM:
            return "out of memory in kernel";
    }
    return "unknown kernel status";
}

int cpk_threads(int n) {
    if (n > 0) return n;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
