/* clearplan — status codes, error detail and progress callbacks.
 *
 * Every fallible call returns a cp_status. CP_OK is zero. On failure the call also leaves
 * a human-readable detail message for the calling thread, retrieved with cp_errmsg(): lower
 * case, the file or field in <>, the upstream reason (GDAL, GEOS, PROJ, libyaml) appended.
 * The library never prints and never exits. */
#ifndef CLEARPLAN_STATUS_H
#define CLEARPLAN_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the installed library exports: the public API only (it is built with hidden
 * visibility; internal functions are not exported). */
#if defined(__GNUC__)
#define CP_API __attribute__((visibility("default")))
#else
#define CP_API
#endif

/* The memory budget of every operation when none is given, in MB: raster strips are sized to
 * fit it (the same default for `run`, the tools and zonal; --memory changes it). */
#define CP_MEMORY_DEFAULT_MB 1024

typedef enum {
    CP_OK = 0,
    CP_E_ARG,         /* a caller passed an invalid argument (usage error in the CLI) */
    CP_E_NOMEM,       /* an allocation failed or a size would overflow */
    CP_E_IO,          /* a file could not be opened, read or written */
    CP_E_FORMAT,      /* a file was read but its content is not what was expected */
    CP_E_CRS,         /* missing or unusable coordinate reference system */
    CP_E_GEOMETRY,    /* geometry that cannot be used */
    CP_E_CONFIG,      /* scenario file: syntax, unknown key, wrong type or value */
    CP_E_INTERRUPTED, /* the progress callback asked to stop (Ctrl-C) */
    CP_E_INTERNAL     /* a bug: an invariant did not hold */
} cp_status;

/* A short, static description of a status ("i/o error", ...). Never NULL. */
CP_API const char *cp_strerror(cp_status s);

/* The detail message of the last failure on the calling thread ("" when none). The pointer
 * stays valid until the next clearplan call on the same thread. */
CP_API const char *cp_errmsg(void);

/* Clears the calling thread's detail message. */
CP_API void cp_errclear(void);

/* Progress callback, call-compatible with GDALProgressFunc: `complete` runs from 0 to 1,
 * `message` may be NULL. Return 0 to ask the running operation to stop; it then returns
 * CP_E_INTERRUPTED after cleaning up. A NULL callback means no progress reporting. */
typedef int (*cp_progress_fn)(double complete, const char *message, void *arg);

/* GDAL's terminal progress bar ("0...10...20...", GDALTermProgress) on stderr. */
CP_API int cp_progress_term(double complete, const char *message, void *arg);

/* Library version, "MAJOR.MINOR.PATCH". */
CP_API const char *cp_version(void);

#ifdef __cplusplus
}
#endif

#endif
