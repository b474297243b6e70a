/* A thread that does one job at a time beside its caller: the maps' strips written while the
 * next strip is scored (cog.c), a COG's rows of tiles written and read while the next row is
 * compressed (cogtiff.c).
 *
 * The job's data lives in the caller's struct around the cp_worker; `run` finds it there. The
 * caller sets it only while the worker is idle (after cp_worker_start or cp_worker_wait), then
 * cp_worker_give hands it over. The first failure sticks: later jobs are not run, and every
 * wait returns it. */
#ifndef CP_WORKER_H
#define CP_WORKER_H

#include <pthread.h>

typedef struct cp_worker {
    int (*run)(struct cp_worker *w); /* one job: 0, or an error code of the caller's */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started, busy, quit, err;
} cp_worker;

/* Starts the thread: 0, or errno (no thread: the caller does its jobs itself). */
int cp_worker_start(cp_worker *w, int (*run)(cp_worker *w));
/* Hands over the job set in the caller's struct; the worker must be idle. */
void cp_worker_give(cp_worker *w);
/* Waits until the job given last is done; the first failure, or 0. */
int cp_worker_wait(cp_worker *w);
/* Waits for the job given last, stops the thread; the first failure, or 0. A worker never
 * started (zeroed) is a no-op. */
int cp_worker_stop(cp_worker *w);

#endif
