/* The ranks of an MPI job (ranks.h, clearplan/mpirun.h). The only file that includes mpi.h,
 * and only when built with -DCP_MPI=ON; without it every job is a job of one. */
#include "ranks.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clearplan/mpirun.h>

#include "error.h"

#ifdef CP_MPI
#include <mpi.h>

struct cp_ranks_comm {
    MPI_Comm comm;
    /* a phase's failure notices (cp_ranks_phase_begin) */
    int posted, got, sent, in, out;
    MPI_Request rx;
    MPI_Request *tx;              /* one a rank */
    uint64_t bytes_in, bytes_out; /* data received and sent (cp_ranks_traffic) */
};

/* CP_E_IO with MPI's reason. */
static cp_status mpi_fail(int err, const char *what) {
    char why[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(err, why, &len);
    return cp_fail(CP_E_IO, "MPI: %s failed: %s", what, why);
}

/* Waits for a request, calling poll (when not NULL) every few milliseconds meanwhile; the
 * rank sleeps between tests instead of spinning, leaving the cores to the ranks that work. */
static int wait_polling(MPI_Request *req, void (*poll)(void *), void *arg) {
    long nap_ns = 20000;
    for (;;) {
        int done = 0, e = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (e != MPI_SUCCESS || done) return e;
        if (poll) poll(arg);
        struct timespec t = {0, nap_ns};
        nanosleep(&t, NULL);
        if (nap_ns < 5000000) nap_ns *= 2;
    }
}
#endif

/* Environment variables an MPI launcher sets in the processes it starts (Open MPI's mpirun,
 * MPICH's and Intel's Hydra, Slurm's srun through PMI or PMIx). */
static int launched(long *size) {
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    *size = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
        const char *v = getenv(sizes[i]);
        if (v && v[0]) {
            *size = strtol(v, NULL, 10);
            return 1;
        }
    }
    return getenv("PMIX_RANK") != NULL || getenv("PMI_RANK") != NULL;
}

/* ---- the public calls (clearplan/mpirun.h) ---- */

#ifdef CP_MPI
static int mpi_started_here; /* cp_mpi_begin initialised MPI */
#endif

int cp_mpi_built(void) {
#ifdef CP_MPI
    return 1;
#else
    return 0;
#endif
}

cp_status cp_mpi_begin(int *argc, char ***argv, int *rank, int *size) {
    *rank = 0, *size = 1;
    long n = 0;
    int by_launcher = launched(&n);
#ifdef CP_MPI
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (fin) return cp_fail(CP_E_ARG, "MPI was finalised already");
    if (!init && !by_launcher) return CP_OK; /* a plain start: a job of one, MPI untouched */
    if (!init) {
        int provided = 0, e = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (e != MPI_SUCCESS) return cp_fail(CP_E_IO, "MPI could not start (MPI_Init_thread)");
        mpi_started_here = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return CP_OK;
#else
    (void)argc, (void)argv;
    if (by_launcher && n > 1)
        return cp_fail(CP_E_ARG,
                       "started as %ld processes by an MPI launcher, but this clearplan was built "
                       "without MPI (cmake -DCP_MPI=ON): each process would run the whole job",
                       n);
    return CP_OK;
#endif
}

#ifdef CP_MPI
/* The agreement over `comm` (see cp_mpi_agree). */
static cp_status agree(MPI_Comm comm, cp_status s, void (*poll)(void *), void *arg) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (size == 1) return s;
    /* the lowest rank failing for a reason of its own, else the lowest interrupted one */
    int key = s == CP_OK ? 2 * size : s == CP_E_INTERRUPTED ? size + rank : rank, first = 0;
    MPI_Request req;
    int e = MPI_Iallreduce(&key, &first, 1, MPI_INT, MPI_MIN, comm, &req);
    if (e == MPI_SUCCESS) e = wait_polling(&req, poll, arg);
    if (e != MPI_SUCCESS) return mpi_fail(e, "agreeing on a status");
    if (first == 2 * size) return CP_OK;
    int root = first < size ? first : first - size;
    struct {
        int status;
        char msg[2048];
    } m = {0, ""};
    if (rank == root) {
        m.status = (int)s;
        snprintf(m.msg, sizeof m.msg, "%s", cp_errmsg());
    }
    e = MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, root, comm);
    if (e != MPI_SUCCESS) return mpi_fail(e, "sharing a failure");
    m.msg[sizeof m.msg - 1] = '\0';
    return cp_fail((cp_status)m.status, "%s (rank %d of %d)", m.msg, root, size);
}
#endif

cp_status cp_mpi_agree(cp_status s) {
#ifdef CP_MPI
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) return agree(MPI_COMM_WORLD, s, NULL, NULL);
#endif
    return s;
}

void cp_mpi_end(void) {
#ifdef CP_MPI
    int fin = 0;
    MPI_Finalized(&fin);
    if (mpi_started_here && !fin) MPI_Finalize();
    mpi_started_here = 0;
#endif
}

/* ---- the engine's ranks ---- */

cp_status cp_ranks_open(int use_mpi, cp_ranks *r) {
    r->rank = 0, r->size = 1, r->comm = NULL;
    r->poll = NULL, r->poll_arg = NULL;
#ifdef CP_MPI
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!use_mpi || !init || fin) return CP_OK;
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1) return CP_OK;
    cp_ranks_comm *c = malloc(sizeof *c);
    if (!c) return cp_fail(CP_E_NOMEM, "out of memory");
    int e = MPI_Comm_dup(MPI_COMM_WORLD, &c->comm); /* the job's messages stay apart */
    if (e != MPI_SUCCESS) {
        free(c);
        return mpi_fail(e, "MPI_Comm_dup");
    }
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(c->comm, &r->rank);
    MPI_Comm_size(c->comm, &r->size);
    c->posted = c->got = c->sent = 0;
    c->out = 1;
    c->bytes_in = c->bytes_out = 0;
    if (!(c->tx = malloc(sizeof *c->tx * (size_t)r->size))) {
        MPI_Comm_free(&c->comm);
        free(c);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    r->comm = c;
#else
    (void)use_mpi;
#endif
    return CP_OK;
}

void cp_ranks_close(cp_ranks *r) {
    if (!r) return;
#ifdef CP_MPI
    if (r->comm) {
        MPI_Comm_free(&r->comm->comm);
        free(r->comm->tx);
        free(r->comm);
    }
#endif
    r->comm = NULL;
    r->rank = 0, r->size = 1;
}

void cp_ranks_deal(int64_t n, int size, int rank, int64_t *first, int64_t *end) {
    /* n k / size without overflow for any n < 2^62 and size < 2^31 */
    int64_t q = n / size, rem = n % size;
    *first = q * rank + rem * rank / size;
    *end = q * (rank + 1) + rem * (rank + 1) / size;
}

void cp_ranks_rows(int64_t ny, int64_t rows, int size, int rank, int64_t *y0, int64_t *y1) {
    int64_t nstrips = rows > 0 ? (ny + rows - 1) / rows : 0, s0, s1;
    cp_ranks_deal(nstrips, size, rank, &s0, &s1);
    *y0 = s0 * rows < ny ? s0 * rows : ny;
    *y1 = s1 * rows < ny ? s1 * rows : ny;
}

int cp_ranks_row_owner(int64_t ny, int64_t rows, int size, int64_t y) {
    /* the last rank whose block starts at or before y's strip (blocks start in rank order;
     * an empty block starts where the next one does, so the last such rank holds it) */
    const int64_t nstrips = (ny + rows - 1) / rows, strip = y / rows;
    int lo = 0, hi = size - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        int64_t first, end;
        cp_ranks_deal(nstrips, size, mid, &first, &end);
        if (first <= strip)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void cp_ranks_traffic(const cp_ranks *r, uint64_t *bytes_in, uint64_t *bytes_out) {
    *bytes_in = *bytes_out = 0;
#ifdef CP_MPI
    if (r->comm) *bytes_in = r->comm->bytes_in, *bytes_out = r->comm->bytes_out;
#else
    (void)r;
#endif
}

cp_status cp_ranks_agree(const cp_ranks *r, cp_status s) {
#ifdef CP_MPI
    if (r->comm) return agree(r->comm->comm, s, r->poll, r->poll_arg);
#else
    (void)r;
#endif
    return s;
}

#ifdef CP_MPI
enum { TAG_DATA = 17, TAG_NOTICE = 18 };
#endif

cp_status cp_ranks_phase_begin(const cp_ranks *r) {
#ifdef CP_MPI
    cp_ranks_comm *c = r->comm;
    if (!c) return CP_OK;
    c->got = c->sent = 0;
    int e = MPI_Irecv(&c->in, 1, MPI_INT, MPI_ANY_SOURCE, TAG_NOTICE, c->comm, &c->rx);
    if (e != MPI_SUCCESS) return mpi_fail(e, "MPI_Irecv");
    c->posted = 1;
#else
    (void)r;
#endif
    return CP_OK;
}

int cp_ranks_peer_failed(const cp_ranks *r) {
#ifdef CP_MPI
    cp_ranks_comm *c = r->comm;
    if (!c || !c->posted) return 0;
    if (!c->got) MPI_Test(&c->rx, &c->got, MPI_STATUS_IGNORE);
    return c->got;
#else
    (void)r;
    return 0;
#endif
}

cp_status cp_ranks_phase_end(const cp_ranks *r, cp_status s) {
#ifdef CP_MPI
    cp_ranks_comm *c = r->comm;
    if (!c || !c->posted) return cp_ranks_agree(r, s);
    /* a failure of this rank's own (not the stop a notice caused) is told to the others at
     * once: they stop at their next strip */
    if (s != CP_OK && !cp_ranks_peer_failed(r)) {
        for (int k = 0, n = 0; k < r->size; ++k)
            if (k != r->rank) MPI_Isend(&c->out, 1, MPI_INT, k, TAG_NOTICE, c->comm, &c->tx[n++]);
        c->sent = 1;
    }
    /* every notice sent is received (none is left for a later phase), then agreed on */
    int nsent = 0;
    MPI_Request req; /* where the ranks wait for the slowest: polling */
    int e = MPI_Iallreduce(&c->sent, &nsent, 1, MPI_INT, MPI_SUM, c->comm, &req);
    if (e == MPI_SUCCESS) e = wait_polling(&req, r->poll, r->poll_arg);
    if (e != MPI_SUCCESS) return mpi_fail(e, "MPI_Allreduce");
    int expect = nsent - c->sent;
    if (!c->got && expect > 0) {
        MPI_Wait(&c->rx, MPI_STATUS_IGNORE);
        c->got = 1;
    } else if (!c->got) {
        MPI_Cancel(&c->rx);
        MPI_Wait(&c->rx, MPI_STATUS_IGNORE);
    }
    for (int i = c->got; i < expect; ++i)
        MPI_Recv(&c->in, 1, MPI_INT, MPI_ANY_SOURCE, TAG_NOTICE, c->comm, MPI_STATUS_IGNORE);
    if (c->sent) MPI_Waitall(r->size - 1, c->tx, MPI_STATUSES_IGNORE);
    c->posted = c->got = c->sent = 0;
#endif
    return cp_ranks_agree(r, s);
}

#ifdef CP_MPI
static const size_t chunk_bytes = (size_t)1 << 30; /* MPI counts are ints */

static cp_status send_bytes(cp_ranks_comm *rc, int to, const void *buf, size_t n) {
    MPI_Comm c = rc->comm;
    rc->bytes_out += n;
    for (size_t at = 0; at < n || n == 0; at += chunk_bytes) {
        int len = (int)(n - at < chunk_bytes ? n - at : chunk_bytes);
        int e = MPI_Send((const char *)buf + at, len, MPI_BYTE, to, TAG_DATA, c);
        if (e != MPI_SUCCESS) return mpi_fail(e, "MPI_Send");
        if (n == 0) break;
    }
    return CP_OK;
}

static cp_status recv_bytes(cp_ranks_comm *rc, int from, void *buf, size_t n) {
    MPI_Comm c = rc->comm;
    rc->bytes_in += n;
    for (size_t at = 0; at < n || n == 0; at += chunk_bytes) {
        int len = (int)(n - at < chunk_bytes ? n - at : chunk_bytes);
        int e = MPI_Recv((char *)buf + at, len, MPI_BYTE, from, TAG_DATA, c, MPI_STATUS_IGNORE);
        if (e != MPI_SUCCESS) return mpi_fail(e, "MPI_Recv");
        if (n == 0) break;
    }
    return CP_OK;
}
#endif

cp_status cp_ranks_bcast(const cp_ranks *r, void *buf, size_t bytes) {
#ifdef CP_MPI
    if (!r->comm) return CP_OK;
    if (r->rank == 0)
        r->comm->bytes_out += (uint64_t)bytes * (uint64_t)(r->size - 1);
    else
        r->comm->bytes_in += bytes;
    for (size_t at = 0; at < bytes; at += chunk_bytes) {
        int len = (int)(bytes - at < chunk_bytes ? bytes - at : chunk_bytes);
        int e = MPI_Bcast((char *)buf + at, len, MPI_BYTE, 0, r->comm->comm);
        if (e != MPI_SUCCESS) return mpi_fail(e, "MPI_Bcast");
    }
#else
    (void)r, (void)buf, (void)bytes;
#endif
    return CP_OK;
}

cp_status cp_ranks_allreduce(const cp_ranks *r, double *v, size_t n, cp_ranks_op op) {
#ifdef CP_MPI
    if (!r->comm || n == 0) return CP_OK;
    if (n > INT_MAX) return cp_fail(CP_E_INTERNAL, "too many values to reduce");
    MPI_Op mop = op == CP_RANKS_SUM ? MPI_SUM : op == CP_RANKS_MIN ? MPI_MIN : MPI_MAX;
    int e = MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, mop, r->comm->comm);
    if (e != MPI_SUCCESS) return mpi_fail(e, "MPI_Allreduce");
#else
    (void)r, (void)v, (void)n, (void)op;
#endif
    return CP_OK;
}

cp_status cp_ranks_sum_u32(const cp_ranks *r, uint32_t *v, size_t n) {
#ifdef CP_MPI
    if (!r->comm) return CP_OK;
    r->comm->bytes_in += n * sizeof *v, r->comm->bytes_out += n * sizeof *v;
    const size_t chunk = (size_t)1 << 28;
    for (size_t at = 0; at < n; at += chunk) {
        int len = (int)(n - at < chunk ? n - at : chunk);
        int e = MPI_Allreduce(MPI_IN_PLACE, v + at, len, MPI_UINT32_T, MPI_SUM, r->comm->comm);
        if (e != MPI_SUCCESS) return mpi_fail(e, "MPI_Allreduce");
    }
#else
    (void)r, (void)v, (void)n;
#endif
    return CP_OK;
}

cp_status cp_ranks_gather(const cp_ranks *r, const void *mine, size_t bytes, void **all,
                          size_t *all_bytes) {
    *all = NULL;
    *all_bytes = 0;
    if (!r->comm) { /* a job of one: its own bytes */
        *all = malloc(bytes ? bytes : 1);
        if (!*all) return cp_fail(CP_E_NOMEM, "out of memory");
        if (bytes) memcpy(*all, mine, bytes);
        *all_bytes = bytes;
        return CP_OK;
    }
#ifdef CP_MPI
    MPI_Comm c = r->comm->comm;
    unsigned long long n = bytes, *sizes = NULL;
    char *buf = NULL;
    size_t total = 0;
    cp_status s = CP_OK;
    if (r->rank == 0 && !(sizes = malloc(sizeof *sizes * (size_t)r->size)))
        s = cp_fail(CP_E_NOMEM, "out of memory");
    int e = MPI_Gather(&n, 1, MPI_UNSIGNED_LONG_LONG, sizes, 1, MPI_UNSIGNED_LONG_LONG, 0, c);
    if (!s && e != MPI_SUCCESS) s = mpi_fail(e, "MPI_Gather");
    for (int k = 0; !s && sizes && k < r->size; ++k) total += (size_t)sizes[k];
    if (!s && r->rank == 0 && !(buf = malloc(total ? total : 1)))
        s = cp_fail(CP_E_NOMEM, "out of memory for %zu bytes from the ranks", total);
    /* rank 0 can take every message before any is sent */
    if ((s = cp_ranks_agree(r, s))) goto done;
    if (r->rank) {
        s = send_bytes(r->comm, 0, mine, bytes);
        goto done;
    }
    if (bytes) memcpy(buf, mine, bytes);
    size_t at = (size_t)sizes[0];
    for (int k = 1; k < r->size && !s; ++k) {
        s = recv_bytes(r->comm, k, buf + at, (size_t)sizes[k]);
        at += (size_t)sizes[k];
    }
    if (!s) {
        *all = buf, *all_bytes = total;
        buf = NULL;
    }
done:
    free(sizes);
    free(buf);
    return s;
#else
    return CP_OK;
#endif
}

cp_status cp_ranks_strip_file(const cp_ranks *r, const char *path, const cp_grid *g,
                              GDALDataType type, double nodata, cp_strip_file *f) {
    int64_t offset = -1;
    f->fd = -1, f->path = NULL;
    cp_status s = r->rank == 0 ? cp_strip_file_create(path, g, type, nodata, &offset) : CP_OK;
    if ((s = cp_ranks_agree(r, s)) || (s = cp_ranks_bcast(r, &offset, sizeof offset))) return s;
    s = cp_ranks_agree(r, cp_strip_file_open(f, path, g, type, offset));
    if (s) cp_strip_file_close(f); /* opened here, failed elsewhere */
    return s;
}

/* ---- per-polygon zonal sums ---- */

/* The rank whose rows hold the first row of polygon p's window (0 for an empty window). */
static int home_of(const cp_ranks_zonal *z, int64_t p) {
    const cpk_window *w = &z->wins[p];
    if (w->nx <= 0 || w->ny <= 0) return 0;
    return cp_ranks_row_owner(z->ny, z->rows, z->r->size, w->row0);
}

/* Rows of polygon p that rank k records (p is homed on an earlier rank and its window reaches
 * k's rows [ky0, ky1)): from ky0 to the end of the window or of k's rows. */
static int64_t away_rows(const cp_ranks_zonal *z, int64_t p, int k, int64_t ky0, int64_t ky1) {
    const cpk_window *w = &z->wins[p];
    if (w->nx <= 0 || w->ny <= 0 || ky0 >= ky1 || w->row0 >= ky0 || w->row0 + w->ny <= ky0)
        return 0;
    if (home_of(z, p) >= k) return 0;
    int64_t end = w->row0 + w->ny < ky1 ? w->row0 + w->ny : ky1;
    return end - ky0;
}

cp_status cp_ranks_zonal_init(cp_ranks_zonal *z, const cp_ranks *r, int64_t ny, int64_t rows,
                              const cpk_polygon *polys, const cpk_window *wins, int64_t n,
                              const cpk_zonal_band *bands, int nbands, cpk_zonal_acc *acc) {
    memset(z, 0, sizeof *z);
    z->r = r, z->polys = polys, z->wins = wins, z->n = n, z->nbands = nbands, z->acc = acc;
    z->ny = ny, z->rows = rows;
    if (!wins || nbands < 1 || rows < 1) return cp_fail(CP_E_INTERNAL, "bad zonal sums");
    cp_ranks_rows(ny, rows, r->size, r->rank, &z->y0, &z->y1);
    z->cw = calloc((size_t)nbands, sizeof *z->cw);
    z->ncls = calloc((size_t)nbands, sizeof *z->ncls);
    if (!z->cw || !z->ncls) goto nomem;
    for (int b = 0; b < nbands; ++b)
        if (bands[b].classes) {
            z->cw[b] = bands[b].class_weight;
            z->ncls[b] = bands[b].nclasses + 1;
            z->ncw += z->ncls[b];
        }
    if (r->size == 1) return CP_OK; /* the kernel alone */
    z->home_wins = malloc(sizeof *z->home_wins * (size_t)(n ? n : 1));
    z->away = malloc(sizeof *z->away * (size_t)(n ? n : 1));
    z->away_rec = malloc(sizeof *z->away_rec * (size_t)(n ? n : 1));
    if (!z->home_wins || !z->away || !z->away_rec) goto nomem;
    for (int64_t p = 0; p < n; ++p) {
        z->home_wins[p] = home_of(z, p) == r->rank ? wins[p] : (cpk_window){0, 0, 0, 0};
        int64_t k = away_rows(z, p, r->rank, z->y0, z->y1);
        if (!k) continue;
        z->away[z->naway] = p;
        z->away_rec[z->naway++] = z->nrec;
        z->nrec += k;
    }
    size_t na = (size_t)(z->naway ? z->naway : 1), nr = (size_t)(z->nrec ? z->nrec : 1);
    z->rec_acc = malloc(sizeof *z->rec_acc * nr * (size_t)nbands);
    z->rec_cw = malloc(sizeof *z->rec_cw * nr * (size_t)(z->ncw ? z->ncw : 1));
    z->sub_polys = malloc(sizeof *z->sub_polys * na);
    z->sub_wins = malloc(sizeof *z->sub_wins * na);
    z->sub_away = malloc(sizeof *z->sub_away * na);
    z->row_acc = malloc(sizeof *z->row_acc * na * (size_t)nbands);
    z->row_cw = malloc(sizeof *z->row_cw * na * (size_t)(z->ncw ? z->ncw : 1));
    if (!z->rec_acc || !z->rec_cw || !z->sub_polys || !z->sub_wins || !z->sub_away || !z->row_acc ||
        !z->row_cw)
        goto nomem;
    return CP_OK;
nomem:
    cp_ranks_zonal_free(z);
    return cp_fail(CP_E_NOMEM, "out of memory for the zonal sums of %lld polygons", (long long)n);
}

/* The row partials of the away polygons whose windows hold row y, each from zero, into their
 * records. */
static cp_status record_row(cp_ranks_zonal *z, const cpk_geo *grid, int64_t row0,
                            const cpk_zonal_band *bands, int threads, int64_t y, int *any) {
    int64_t m = 0;
    for (int64_t j = 0; j < z->naway; ++j) {
        const cpk_window *w = &z->wins[z->away[j]];
        if (w->row0 + w->ny <= y) continue;
        z->sub_polys[m] = z->polys[z->away[j]];
        z->sub_wins[m] = *w;
        z->sub_away[m++] = j;
    }
    *any = m > 0;
    if (!m) return CP_OK;
    cpk_zonal_band one[128];
    if (z->nbands > 128) return cp_fail(CP_E_INTERNAL, "more than 128 zonal bands");
    cpk_zonal_acc_init(z->row_acc, m * z->nbands);
    memset(z->row_cw, 0, sizeof *z->row_cw * (size_t)(m * z->ncw));
    for (int b = 0, off = 0; b < z->nbands; off += (int)z->ncls[b], ++b) {
        one[b] = bands[b];
        one[b].view.data = bands[b].view.data + (y - row0) * bands[b].view.stride;
        one[b].view.ny = 1;
        one[b].class_weight = z->ncls[b] ? z->row_cw + off * m : NULL;
    }
    cpk_status ks =
        cpk_zonal_f32(z->sub_polys, z->sub_wins, m, grid, y, one, z->nbands, threads, z->row_acc);
    if (ks) return cp_fail(CP_E_INTERNAL, "zonal kernel failed: %s", cpk_strerror(ks));
    for (int64_t i = 0; i < m; ++i) {
        int64_t j = z->sub_away[i], rec = z->away_rec[j] + (y - z->y0);
        memcpy(z->rec_acc + rec * z->nbands, z->row_acc + i * z->nbands,
               sizeof *z->rec_acc * (size_t)z->nbands);
        for (int b = 0, off = 0; b < z->nbands; off += (int)z->ncls[b], ++b)
            memcpy(z->rec_cw + rec * z->ncw + off, z->row_cw + off * m + i * z->ncls[b],
                   sizeof *z->rec_cw * (size_t)z->ncls[b]);
    }
    return CP_OK;
}

cp_status cp_ranks_zonal_strip(cp_ranks_zonal *z, const cpk_geo *grid, int64_t row0,
                               const cpk_zonal_band *bands, int threads) {
    const int64_t h = bands[0].view.ny;
    cpk_zonal_band b[128];
    if (z->nbands > 128) return cp_fail(CP_E_INTERNAL, "more than 128 zonal bands");
    if (row0 < z->y0 || row0 + h > z->y1)
        return cp_fail(CP_E_INTERNAL, "a strip outside the rank's rows");
    memcpy(b, bands, sizeof *b * (size_t)z->nbands);
    cpk_status ks = cpk_zonal_f32(z->polys, z->home_wins ? z->home_wins : z->wins, z->n, grid, row0,
                                  b, z->nbands, threads, z->acc);
    if (ks) return cp_fail(CP_E_INTERNAL, "zonal kernel failed: %s", cpk_strerror(ks));
    int any = 1;
    for (int64_t y = row0; y < row0 + h && any && z->naway; ++y) {
        cp_status s = record_row(z, grid, row0, bands, threads, y, &any);
        if (s) return s;
    }
    return CP_OK;
}

#ifdef CP_MPI
/* What rank k sends rank 0: its home polygons' totals (nbands accumulators and ncw class
 * weights each, in polygon order), then its records (in polygon order, rows in order). The
 * layout follows from the deal, so both sides know it. */
typedef struct {
    int64_t nhome, nrec;
    size_t bytes;
    cpk_zonal_acc *hacc, *racc;
    double *hcw, *rcw;
} message;

/* Adds one row's partials to a polygon's totals as cpk_zonal_f32 does at the end of a row. */
static void fold(cpk_zonal_acc *a, const cpk_zonal_acc *row) {
    a->sum += row->sum;
    a->weight += row->weight;
    a->nodata_weight += row->nodata_weight;
    a->count += row->count;
    a->nodata_count += row->nodata_count;
    if (row->min < a->min) a->min = row->min;
    if (row->max > a->max) a->max = row->max;
}

static void message_layout(const cp_ranks_zonal *z, int k, char *base, message *m) {
    int64_t ky0, ky1;
    cp_ranks_rows(z->ny, z->rows, z->r->size, k, &ky0, &ky1);
    m->nhome = m->nrec = 0;
    for (int64_t p = 0; p < z->n; ++p) {
        m->nhome += home_of(z, p) == k;
        m->nrec += away_rows(z, p, k, ky0, ky1);
    }
    m->bytes = (size_t)(m->nhome + m->nrec) *
               (sizeof(cpk_zonal_acc) * (size_t)z->nbands + sizeof(double) * (size_t)z->ncw);
    if (!base) return; /* the size alone */
    m->hacc = (cpk_zonal_acc *)base;
    m->hcw = (double *)(m->hacc + m->nhome * z->nbands);
    m->racc = (cpk_zonal_acc *)(m->hcw + m->nhome * z->ncw);
    m->rcw = (double *)(m->racc + m->nrec * z->nbands);
}

/* Copies polygon p's totals to (to_msg) or from its slot i of a message's homes. */
static void home_copy(cp_ranks_zonal *z, const message *m, int64_t i, int64_t p, int to_msg) {
    const size_t nb = sizeof(cpk_zonal_acc) * (size_t)z->nbands;
    if (to_msg)
        memcpy(m->hacc + i * z->nbands, z->acc + p * z->nbands, nb);
    else
        memcpy(z->acc + p * z->nbands, m->hacc + i * z->nbands, nb);
    for (int b = 0, off = 0; b < z->nbands; off += (int)z->ncls[b], ++b) {
        double *slot = m->hcw + i * z->ncw + off, *tot = z->cw[b] + p * z->ncls[b];
        if (z->ncls[b])
            memcpy(to_msg ? slot : tot, to_msg ? tot : slot, sizeof(double) * (size_t)z->ncls[b]);
    }
}

/* This rank's message (malloc'd). */
static char *pack(cp_ranks_zonal *z, size_t *bytes) {
    message m;
    message_layout(z, z->r->rank, NULL, &m);
    char *msg = malloc(m.bytes ? m.bytes : 1);
    if (!msg) return NULL;
    message_layout(z, z->r->rank, msg, &m);
    for (int64_t p = 0, i = 0; p < z->n; ++p)
        if (home_of(z, p) == z->r->rank) home_copy(z, &m, i++, p, 1);
    memcpy(m.racc, z->rec_acc, sizeof *m.racc * (size_t)(m.nrec * z->nbands));
    memcpy(m.rcw, z->rec_cw, sizeof *m.rcw * (size_t)(m.nrec * z->ncw));
    *bytes = m.bytes;
    return msg;
}

/* Rank k's message into the totals (rank 0): its homes copied, its records folded in order. */
static void unpack(cp_ranks_zonal *z, int k, char *msg) {
    message m;
    message_layout(z, k, msg, &m);
    int64_t ky0, ky1, rec = 0;
    cp_ranks_rows(z->ny, z->rows, z->r->size, k, &ky0, &ky1);
    for (int64_t p = 0, i = 0; p < z->n; ++p)
        if (home_of(z, p) == k) home_copy(z, &m, i++, p, 0);
    for (int64_t p = 0; p < z->n; ++p)
        for (int64_t j = away_rows(z, p, k, ky0, ky1); j > 0; --j, ++rec)
            for (int b = 0, off = 0; b < z->nbands; off += (int)z->ncls[b], ++b) {
                fold(&z->acc[p * z->nbands + b], &m.racc[rec * z->nbands + b]);
                for (int64_t c = 0; c < z->ncls[b]; ++c)
                    z->cw[b][p * z->ncls[b] + c] += m.rcw[rec * z->ncw + off + c];
            }
}
#endif

cp_status cp_ranks_zonal_reduce(cp_ranks_zonal *z) {
    const cp_ranks *r = z->r;
    if (!r->comm) return CP_OK;
#ifdef CP_MPI
    cp_status s = CP_OK;
    char *msg = NULL;
    size_t bytes = 0;
    if (r->rank) {
        if (!(msg = pack(z, &bytes))) s = cp_fail(CP_E_NOMEM, "out of memory");
    } else { /* one buffer for the largest message, before any is sent */
        for (int k = 1; k < r->size; ++k) {
            message m;
            message_layout(z, k, NULL, &m);
            if (m.bytes > bytes) bytes = m.bytes;
        }
        if (!(msg = malloc(bytes ? bytes : 1)))
            s = cp_fail(CP_E_NOMEM, "out of memory for the zonal sums of the ranks");
    }
    if ((s = cp_ranks_agree(r, s))) goto done;
    if (r->rank) {
        s = send_bytes(r->comm, 0, msg, bytes);
    } else {
        /* rank after rank: a polygon's home (an earlier rank) is in place before the records
         * of later ranks are folded into it */
        for (int k = 1; k < r->size && !s; ++k) {
            message m;
            message_layout(z, k, NULL, &m);
            if (!(s = recv_bytes(r->comm, k, msg, m.bytes))) unpack(z, k, msg);
        }
    }
    if ((s = cp_ranks_agree(r, s))) goto done;
    /* every rank gets the totals */
    s = cp_ranks_bcast(r, z->acc, sizeof *z->acc * (size_t)(z->n * z->nbands));
    for (int b = 0; b < z->nbands && !s; ++b)
        if (z->ncls[b])
            s = cp_ranks_bcast(r, z->cw[b], sizeof(double) * (size_t)(z->n * z->ncls[b]));
    s = cp_ranks_agree(r, s);
done:
    free(msg);
    return s;
#else
    return CP_OK;
#endif
}

void cp_ranks_zonal_free(cp_ranks_zonal *z) {
    if (!z) return;
    free(z->cw), free(z->ncls), free(z->home_wins), free(z->away), free(z->away_rec);
    free(z->rec_acc), free(z->rec_cw), free(z->sub_polys), free(z->sub_wins), free(z->sub_away);
    free(z->row_acc), free(z->row_cw);
    memset(z, 0, sizeof *z);
}
