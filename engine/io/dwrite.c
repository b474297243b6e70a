/* Direct writes from a writer thread (dwrite.h). */
#define _GNU_SOURCE /* O_DIRECT */
#include "dwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* O_DIRECT's unit: offsets, sizes and addresses are multiples of it (4 kB covers the
 * logical blocks of every disk in use; 512-byte disks accept it too). */
#define PAGE ((int64_t)4096)
/* The staging buffer: whole pages, written once full (large writes keep the disk busy). */
#define STAGE ((size_t)8 << 20)
/* The most bytes one write() takes: a strip of 20 MB goes as five writes of 4 MB (the largest
 * request of the disks in use, /sys/block/vda/queue/max_sectors_kb), which this VM's disk
 * takes faster than one of 20 MB: proximity at -j 2 on 10,000 x 10,000 in 0.28-0.33 s
 * against 0.29-0.37 s, `dd oflag=direct` of 400 MB in 0.17-0.21 s against 0.20-0.32 s
 * (bench/RESULTS.md, stop 33). */
#define CHUNK ((size_t)4 << 20)

typedef struct {
    int64_t at;
    const unsigned char *src;
    size_t n;
} job;

struct cp_dwriter {
    const char *path;
    int fd_direct, fd; /* the same file, with and without O_DIRECT */
    int buffered;      /* O_DIRECT refused a write: pwrite() from then on */
    int err;           /* errno of the first failure; 0 */
    /* the run of contiguous bytes being written (the writer thread's alone) */
    unsigned char *stage; /* STAGE bytes, page-aligned */
    int64_t stage_at;     /* file offset of stage[0] (a page boundary); -1: not started */
    size_t fill;          /* bytes in the stage */
    int64_t next;         /* where the run continues; -1: no run */
    /* the queue: jobs q[head], q[head + 1], the first one being written */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    job q[2];
    int head, len, quit, drop;
};

static int pwrite_all(int fd, const unsigned char *p, size_t n, int64_t at) {
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)at);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno ? errno : EIO;
        if (w == 0) return EIO;
        p += w, n -= (size_t)w, at += w;
    }
    return 0;
}

/* n bytes of page-aligned memory to page-aligned `at`, n a multiple of PAGE. */
static int write_pages(cp_dwriter *w, const unsigned char *p, size_t n, int64_t at) {
    while (n > 0 && !w->buffered) {
        ssize_t k = pwrite(w->fd_direct, p, n < CHUNK ? n : CHUNK, (off_t)at);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EINVAL) {
            w->buffered = 1; /* alignment or file system: the rest through the page cache */
            break;
        }
        if (k < 0) return errno ? errno : EIO;
        if (k == 0) return EIO;
        p += k, n -= (size_t)k, at += k;
        if (k % PAGE) w->buffered = 1; /* an odd short write: stay correct, not direct */
    }
    return n ? pwrite_all(w->fd, p, n, at) : 0;
}

/* Writes what the stage holds: its whole pages direct, the partial page after them with
 * pwrite (only the bytes of the run), and ends the run. */
static int end_run(cp_dwriter *w) {
    int e = 0;
    if (w->stage_at >= 0 && w->fill) {
        size_t whole = w->fill - w->fill % (size_t)PAGE;
        if (whole) e = write_pages(w, w->stage, whole, w->stage_at);
        if (!e && w->fill > whole)
            e = pwrite_all(w->fd, w->stage + whole, w->fill - whole, w->stage_at + (int64_t)whole);
    }
    w->stage_at = w->next = -1;
    w->fill = 0;
    return e;
}

static int write_job(cp_dwriter *w, job j) {
    int e = 0;
    if (w->next != j.at && (e = end_run(w))) return e;
    w->next = j.at + (int64_t)j.n;
    if (w->stage_at < 0) { /* the run's bytes up to its first page boundary: pwrite */
        int64_t to_page = (PAGE - j.at % PAGE) % PAGE;
        size_t head = (size_t)to_page < j.n ? (size_t)to_page : j.n;
        if (head && (e = pwrite_all(w->fd, j.src, head, j.at))) return e;
        j.src += head, j.at += (int64_t)head, j.n -= head;
        if (!j.n) return 0;
        w->stage_at = j.at;
        w->fill = 0;
    }
    /* Memory that lies on pages as the file does (cp_dwriter_submit) goes to the disk from
     * where it is: the stage only completes the page the run's last job left partial and
     * keeps this job's last partial page. Other memory is copied through the stage. */
    const int in_place = ((uintptr_t)j.src - (uint64_t)j.at) % (uint64_t)PAGE == 0;
    while (j.n) { /* invariant: stage_at + fill == j.at, stage_at on a page boundary */
        if (in_place && w->fill == 0 && j.n >= (size_t)PAGE) {
            size_t m = j.n - j.n % (size_t)PAGE;
            if ((e = write_pages(w, j.src, m, j.at))) return e;
            j.src += m, j.at += (int64_t)m, j.n -= m;
            w->stage_at = j.at;
            continue;
        }
        size_t room = in_place ? (size_t)PAGE - w->fill % (size_t)PAGE : STAGE - w->fill;
        size_t k = room < j.n ? room : j.n;
        memcpy(w->stage + w->fill, j.src, k);
        w->fill += k, j.src += k, j.at += (int64_t)k, j.n -= k;
        if (w->fill == STAGE || (in_place && w->fill % (size_t)PAGE == 0)) {
            if ((e = write_pages(w, w->stage, w->fill, w->stage_at))) return e;
            w->stage_at += (int64_t)w->fill;
            w->fill = 0;
        }
    }
    return 0;
}

static void *writer(void *arg) {
    cp_dwriter *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->len && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
        if (!w->len || w->drop) break;
        job j = w->q[w->head];
        int stuck = w->err; /* after an error the jobs are only taken off the queue */
        pthread_mutex_unlock(&w->mu);
        int e = stuck ? 0 : write_job(w, j);
        pthread_mutex_lock(&w->mu);
        if (e && !w->err) w->err = e;
        w->head = (w->head + 1) % 2;
        --w->len;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

cp_status cp_dwriter_open(const char *path, cp_dwriter **out) {
    *out = NULL;
    int fd_direct = open(path, O_WRONLY | O_CLOEXEC | O_DIRECT);
    if (fd_direct < 0) {
        if (errno == EINVAL) return CP_OK; /* no O_DIRECT here: the caller writes as before */
        return cp_fail(CP_E_IO, "cannot open <%s> for writing: %s", path, strerror(errno));
    }
    cp_dwriter *w = calloc(1, sizeof *w);
    void *stage = NULL;
    if (!w || posix_memalign(&stage, (size_t)PAGE, STAGE) != 0) {
        free(w);
        close(fd_direct);
        return cp_fail(CP_E_NOMEM, "out of memory for writing <%s>", path);
    }
    w->path = path;
    w->fd_direct = fd_direct;
    w->stage = stage;
    w->stage_at = w->next = -1;
    w->fd = open(path, O_WRONLY | O_CLOEXEC);
    if (w->fd < 0) {
        cp_status s = cp_fail(CP_E_IO, "cannot open <%s> for writing: %s", path, strerror(errno));
        close(fd_direct);
        free(stage);
        free(w);
        return s;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        close(w->fd);
        close(fd_direct);
        free(stage);
        free(w);
        return CP_OK; /* no thread to spare: the caller writes as before */
    }
    *out = w;
    return CP_OK;
}

static cp_status failed(const cp_dwriter *w, int e) {
    return cp_fail(CP_E_IO, "cannot write <%s>: %s", w->path, strerror(e));
}

cp_status cp_dwriter_submit(cp_dwriter *w, int64_t at, const void *src, size_t n) {
    if (at < 0 || (int64_t)n < 0 || at > INT64_MAX - (int64_t)n)
        return cp_fail(CP_E_INTERNAL, "<%s>: bytes %lld + %zu are outside a file", w->path,
                       (long long)at, n);
    pthread_mutex_lock(&w->mu);
    while (w->len == 2) pthread_cond_wait(&w->cv, &w->mu);
    int e = w->err;
    if (!e && n) {
        w->q[(w->head + w->len) % 2] = (job){at, src, n};
        ++w->len;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return e ? failed(w, e) : CP_OK;
}

void cp_dwriter_wait(cp_dwriter *w, const void *src) {
    pthread_mutex_lock(&w->mu);
    for (;;) {
        int queued = 0;
        for (int k = 0; k < w->len; ++k) queued |= w->q[(w->head + k) % 2].src == src;
        if (!queued) break;
        pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
}

static int stop(cp_dwriter *w, int drop) {
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    w->drop = drop;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    int e = w->err;
    if (!e && !drop) e = end_run(w);
    if (close(w->fd_direct) != 0 && !e) e = errno ? errno : EIO;
    if (close(w->fd) != 0 && !e) e = errno ? errno : EIO;
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->stage);
    return e;
}

cp_status cp_dwriter_finish(cp_dwriter *w) {
    int e = stop(w, 0);
    cp_status s = e ? failed(w, e) : CP_OK;
    free(w);
    return s;
}

void cp_dwriter_free(cp_dwriter *w) {
    if (!w) return;
    (void)stop(w, 1);
    free(w);
}
