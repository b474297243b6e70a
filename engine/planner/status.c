/* Status codes and the per-thread error detail (no GDAL: the planner library reports its
 * errors through them, and the engine above it adds GDAL's reasons in engine/src/status.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

cp_status cp_fail(cp_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return s;
}

cp_status cp_fail_join(cp_status s, const char *head, const char *why) {
    /* a message longer than the buffer is cut (head may be errmsg itself) */
    char buf[CP_ERRMSG_MAX];
    int n = snprintf(buf, sizeof buf, "%.*s", (int)sizeof buf - 1, head);
    size_t used = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    size_t rest = sizeof buf - used;
    if (why && why[0] && rest > 3) snprintf(buf + used, rest, ": %.*s", (int)(rest - 3), why);
    memcpy(errmsg, buf, sizeof buf);
    return s;
}

cp_status cp_fail_prefix(cp_status s, const char *fmt, ...) {
    char head[CP_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char old[CP_ERRMSG_MAX];
    snprintf(old, sizeof old, "%s", errmsg);
    return cp_fail_join(s, head, old);
}

char *cp_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
