/* Internal error helpers: set the thread's detail message and return a status. cp_fail_gdal
 * is the engine's (engine/src/status.c); the rest is in the pure planner library. */
#ifndef CP_ERROR_H
#define CP_ERROR_H

#include <clearplan/status.h>

#if defined(__GNUC__)
#define CP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CP_PRINTF(a, b)
#endif

/* Formats the detail message for the calling thread and returns `s`. */
cp_status cp_fail(cp_status s, const char *fmt, ...) CP_PRINTF(2, 3);

/* Like cp_fail, appending ": <GDAL's last error message>" when GDAL has one. */
cp_status cp_fail_gdal(cp_status s, const char *fmt, ...) CP_PRINTF(2, 3);

/* Sets the detail message to "<head>: <why>" ("<head>" when why is empty). Returns `s`. */
cp_status cp_fail_join(cp_status s, const char *head, const char *why);

/* Prefixes the current detail message: "<prefix>: <old message>". Returns `s`. */
cp_status cp_fail_prefix(cp_status s, const char *fmt, ...) CP_PRINTF(2, 3);

/* Around a public call that reaches GDAL (engine/io/status.c): GDAL's errors are kept for
 * cp_fail_gdal (CPLGetLastErrorMsg) but not passed to the host's handler; the host's handler
 * is restored after. Calls nest. Threads that call GDAL inside a parallel region do the same. */
void cp_gdal_quiet_begin(void);
void cp_gdal_quiet_end(void);

/* Around GDAL calls whose failures GDAL reports only through its error handler (a COG's
 * write that runs out of room: GDALTranslate still returns a dataset, GDALClose returns
 * nothing): the calling thread's errors are kept as by cp_gdal_quiet_begin, and
 * cp_gdal_watch_end says whether any of them was a failure, whatever came after it. */
typedef struct {
    int failures;
    char first[512]; /* the first failure's message */
} cp_gdal_watch;
void cp_gdal_watch_begin(cp_gdal_watch *w);
int cp_gdal_watch_end(cp_gdal_watch *w);

/* A malloc'd copy of `s`; NULL when s is NULL or memory runs out. */
char *cp_strdup(const char *s);

#endif
