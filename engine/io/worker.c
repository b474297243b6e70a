/* One job at a time on a thread of its own (worker.h). */
#include "worker.h"

static void *worker_main(void *arg) {
    cp_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
        if (!w->busy) break;
        int err = w->err;
        pthread_mutex_unlock(&w->mu);
        if (!err) err = w->run(w);
        pthread_mutex_lock(&w->mu);
        w->err = err;
        w->busy = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int cp_worker_start(cp_worker *w, int (*run)(cp_worker *w)) {
    w->run = run;
    w->busy = w->quit = w->err = 0;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int e = pthread_create(&w->th, NULL, worker_main, w);
    if (e) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        return e;
    }
    w->started = 1;
    return 0;
}

void cp_worker_give(cp_worker *w) {
    pthread_mutex_lock(&w->mu);
    w->busy = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int cp_worker_wait(cp_worker *w) {
    if (!w->started) return 0;
    pthread_mutex_lock(&w->mu);
    while (w->busy) pthread_cond_wait(&w->cv, &w->mu);
    int err = w->err;
    pthread_mutex_unlock(&w->mu);
    return err;
}

int cp_worker_stop(cp_worker *w) {
    if (!w->started) return 0;
    int err = cp_worker_wait(w);
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    w->started = 0;
    return err;
}
