/* The GDAL side of error reporting and progress: GDAL's reason appended to a detail
 * message, and GDAL's terminal progress bar. (Status codes and the detail message itself are
 * in the pure planner library, engine/planner/status.c.) */
#include <stdarg.h>
#include <stdio.h>

#include <cpl_error.h>
#include <cpl_progress.h>

#include "error.h"

cp_status cp_fail_gdal(cp_status s, const char *fmt, ...) {
    char head[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    return cp_fail_join(s, head, CPLGetLastErrorMsg());
}

static void CPL_STDCALL quiet(CPLErr cls, CPLErrorNum num, const char *msg) {
    (void)cls, (void)num, (void)msg; /* kept in CPLGetLastErrorMsg(), never printed */
}

void cp_gdal_quiet_begin(void) {
    CPLPushErrorHandlerEx(quiet, NULL);
}

void cp_gdal_quiet_end(void) {
    CPLPopErrorHandler();
}

static void CPL_STDCALL watch(CPLErr cls, CPLErrorNum num, const char *msg) {
    (void)num;
    cp_gdal_watch *w = CPLGetErrorHandlerUserData();
    if (w && cls >= CE_Failure && !w->failures++)
        snprintf(w->first, sizeof w->first, "%s", msg ? msg : "");
}

void cp_gdal_watch_begin(cp_gdal_watch *w) {
    w->failures = 0;
    w->first[0] = '\0';
    CPLErrorReset();
    CPLPushErrorHandlerEx(watch, w);
}

int cp_gdal_watch_end(cp_gdal_watch *w) {
    CPLPopErrorHandler();
    return w->failures > 0;
}

int cp_progress_term(double complete, const char *message, void *arg) {
    return GDALTermProgress(complete, message, arg);
}
