/* Shared helpers of the kernels library. */
#include "cpk/cpk.h"

#include <stdlib.h>

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

void *cpk_workspace_get(cpk_workspace *ws, size_t bytes) {
    if (bytes <= ws->bytes && ws->data) return ws->data;
    free(ws->data); /* its contents need not survive: no realloc copy */
    ws->data = malloc(bytes ? bytes : 1);
    ws->bytes = ws->data ? bytes : 0;
    return ws->data;
}

void cpk_workspace_free(cpk_workspace *ws) {
    if (!ws) return;
    free(ws->data);
    ws->data = NULL;
    ws->bytes = 0;
}
