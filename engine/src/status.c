/* Status codes, per-thread error detail and the terminal progress bar. */
#include <stdio.h>
#include <string.h>

#include <cpl_error.h>
#include <cpl_progress.h>

#include "error.h"

#ifndef CP_VERSION_STRING
#define CP_VERSION_STRING "0.0.0"
#endif

enum { CP_ERRMSG_MAX = 2048 };
static _Thread_local char errmsg[CP_ERRMSG_MAX];

const char *cp_strerror(cp_status s) {
    switch (s) {
        case CP_OK:
            return "ok";
        case CP_E_ARG:
            return "invalid argument";
        case CP_E_NOMEM:
            return "out of memory";
        case CP_E_IO:
            return "i/o error";
        case CP_E_FORMAT:
            return "bad file format";
        case CP_E_CRS:
            return "coordinate reference system error";
        case CP_E_GEOMETRY:
            return "geometry error";
        case CP_E_CONFIG:
            return "scenario error";
        case CP_E_INTERRUPTED:
            return "interrupted";
        case CP_E_INTERNAL:
            return "internal error";
    }
    return "unknown status";
}

const char *cp_errmsg(void) {
    return errmsg;
}

void cp_errclear(void) {
    errmsg[0] = '\0';
}

const char *cp_version(void) {
    return CP_VERSION_STRING;
}

/* errmsg = "<a>: <b>" (or "<a>" when b is empty), truncated to fit. */
static void join(const char *a, const char *b) {
    size_t n = strlen(a);
    if (n >= sizeof errmsg) n = sizeof errmsg - 1;
    memmove(errmsg, a, n);
    errmsg[n] = '\0';
    if (b && b[0] && n + 2 < sizeof errmsg) {
        strcat(errmsg, ": ");
        strncat(errmsg, b, sizeof errmsg - n - 3);
    }
}

cp_status cp_fail(cp_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return s;
}

cp_status cp_fail_gdal(cp_status s, const char *fmt, ...) {
    char head[CP_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    const char *why = CPLGetLastErrorMsg();
    join(head, why);
    return s;
}

cp_status cp_fail_prefix(cp_status s, const char *fmt, ...) {
    char head[CP_ERRMSG_MAX], old[CP_ERRMSG_MAX];
    snprintf(old, sizeof old, "%s", errmsg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    join(head, old);
    return s;
}

int cp_progress_term(double complete, const char *message, void *arg) {
    return GDALTermProgress(complete, message, arg);
}
