/* The strip engine (strips.h). */
#include "strips.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

int64_t cp_strip_rows(size_t memory_bytes, size_t fixed_bytes, size_t bytes_per_row, int64_t align,
                      int64_t ny) {
    if (bytes_per_row == 0) bytes_per_row = 1;
    size_t avail = memory_bytes > fixed_bytes ? memory_bytes - fixed_bytes : 0;
    int64_t rows = (int64_t)(avail / bytes_per_row);
    if (align > 1 && rows >= align) rows -= rows % align;
    if (rows > ny) rows = ny;
    if (rows < 1) rows = 1;
    return rows;
}

int64_t cp_strip_rows_cap(int64_t rows, int64_t halo, size_t bytes_per_row, int64_t align) {
    int64_t cached = (int64_t)(CP_STRIP_CACHE_BYTES / (bytes_per_row ? bytes_per_row : 1));
    int64_t enough = 10 * halo > cached ? 10 * halo : cached;
    if (align > 1 && enough % align) enough += align - enough % align;
    return rows > enough ? enough : rows;
}

static int report(const cp_strip_loop *l, double f) {
    return !l->progress || l->progress(l->p0 + (l->p1 - l->p0) * f, l->message, l->progress_arg);
}

/* Rows above strip y0 of a range from yb that an input needs (clipped to the grid). */
static int64_t halo_above(const cp_strip_input *in, int64_t y0, int64_t yb) {
    int64_t above = in->carried && y0 > yb ? in->halo_above : in->halo;
    return above < y0 ? above : y0;
}

cp_status cp_strips_run(cp_strip_loop *l, int *nstrips) {
    cp_status s = CP_OK;
    int count = 0;
    const int64_t yb = l->y_end > l->y_begin ? l->y_begin : 0;
    const int64_t ye = l->y_end > l->y_begin ? l->y_end : l->ny;
    if (l->rows < 1 || l->nx < 1 || l->ny < 0 || yb < 0 || ye > l->ny)
        return cp_fail(CP_E_INTERNAL, "bad strip loop");
    for (size_t i = 0; i < l->ninputs; ++i) {
        cp_strip_input *in = &l->inputs[i];
        int64_t halo = in->halo < l->ny ? in->halo : l->ny;
        /* rows above: the halo, or for a carried input the larger of the first strip's
         * (the halo, clipped to the grid) and the others' */
        int64_t above = halo;
        if (in->carried) {
            above = halo < yb ? halo : yb;
            if (in->halo_above > above) above = in->halo_above;
        }
        int64_t cap = l->rows + above + halo < l->ny ? l->rows + above + halo : l->ny;
        if ((s = cp_window_init(&in->win, l->nx, cap > 0 ? cap : 1))) goto done;
    }
    if (!report(l, 0.0)) {
        s = cp_fail(CP_E_INTERRUPTED, "interrupted");
        goto done;
    }
    for (int64_t y0 = yb; y0 < ye; y0 += l->rows) {
        int64_t h = y0 + l->rows <= ye ? l->rows : ye - y0;
        for (size_t i = 0; i < l->ninputs; ++i) {
            cp_strip_input *in = &l->inputs[i];
            int64_t v0 = y0 - halo_above(in, y0, yb);
            int64_t v1 = y0 + h + in->halo < l->ny ? y0 + h + in->halo : l->ny;
            if ((s = cp_window_load(&in->win, in->read, in->src, v0, v1))) goto done;
        }
        if ((s = l->strip(l->arg, y0, h))) goto done;
        ++count;
        if (!report(l, (double)(y0 + h - yb) / (double)(ye - yb))) {
            s = cp_fail(CP_E_INTERRUPTED, "interrupted");
            goto done;
        }
    }
    if (nstrips) *nstrips = count;
done:
    for (size_t i = 0; i < l->ninputs; ++i) cp_window_free(&l->inputs[i].win);
    return s;
}

/* ---- a kind run on its own ---- */

typedef struct {
    const cp_kind_tool *t;
    const cp_kind *kind;
    cp_strip_input *in; /* NULL for points */
    float *carry;       /* nx floats, kinds that carry state from strip to strip */
    cpk_workspace ws;   /* the kernel's scratch, kept from strip to strip */
} tool_strip_ctx;

static cp_status tool_strip(void *arg, int64_t y0, int64_t h) {
    tool_strip_ctx *c = arg;
    const cp_kind_tool *t = c->t;
    cp_kind_strip s = {.geo = t->geo,
                       .y0 = y0,
                       .h = h,
                       .sources = t->sources,
                       .fill = t->fill,
                       .points = t->points,
                       .carry = c->carry,
                       .warm = y0 == 0,
                       .threads = t->threads,
                       .ws = &c->ws};
    if (c->in) {
        s.in = cp_window_view(&c->in->win, t->has_nodata, t->nodata);
        s.in_row0 = c->in->win.v0;
    }
    /* the output's buffer: written from a thread of its own while the next strip runs */
    float *rows;
    cp_status st = cp_rio_out_rows(t->out, y0, h, &rows);
    if (st != CP_OK) return st;
    cpk_out_f32 o = {rows, t->geo->nx, h, (ptrdiff_t)t->geo->nx};
    cpk_status ks = c->kind->raw(t->criterion, &s, &o);
    if (ks)
        return cp_fail(ks == CPK_E_NOMEM ? CP_E_NOMEM : CP_E_INTERNAL, "%s: %s",
                       t->band ? t->band->path : c->kind->name, cpk_strerror(ks));
    return cp_rio_out_write(t->out, y0, h, rows, (ptrdiff_t)t->geo->nx);
}

cp_status cp_kind_tool_run(const cp_kind_tool *t, int *nstrips) {
    const cp_kind *kind = cp_kind_of(t->criterion);
    if (!kind || !kind->raw) return cp_fail(CP_E_INTERNAL, "a kind without a raw value");
    const int64_t nx = t->geo->nx, ny = t->geo->ny;
    const size_t row_bytes = sizeof(float) * (size_t)nx;
    int64_t halo = t->band ? kind->halo_rows(t->criterion, t->geo->dy) : 0;
    if (halo < 0) return cp_fail(CP_E_ARG, "%s: no finite neighbourhood", kind->name);
    if (halo > ny) halo = ny;
    /* the input window (strip + 2 halos) and two output strips (cp_rio_out_rows) */
    int64_t block = t->out->block_rows;
    const int carries = t->band && kind->carries;
    int64_t rows = cp_strip_rows(t->memory_bytes,
                                 t->fixed_bytes + (carries ? 1 : 2) * (size_t)halo * row_bytes,
                                 (t->band ? 3 : 2) * row_bytes, block, ny);
    rows = cp_strip_rows_cap(rows, halo, (t->band ? 3 : 2) * row_bytes, block);
    cp_strip_input in = {.read = cp_band_rows, .src = t->band, .halo = halo, .carried = carries};
    tool_strip_ctx ctx = {
        t, kind, t->band ? &in : NULL, carries ? malloc(row_bytes) : NULL, {NULL, 0}};
    if (carries && !ctx.carry)
        return cp_fail(CP_E_NOMEM, "out of memory for a strip of %lld rows", (long long)rows);
    cp_strip_loop loop = {.nx = nx,
                          .ny = ny,
                          .rows = rows,
                          .inputs = t->band ? &in : NULL,
                          .ninputs = t->band ? 1 : 0,
                          .strip = tool_strip,
                          .arg = &ctx,
                          .progress = t->progress,
                          .progress_arg = t->progress_arg,
                          .p0 = 0.0,
                          .p1 = 1.0};
    cp_status s = cp_strips_run(&loop, nstrips);
    free(ctx.carry);
    cpk_workspace_free(&ctx.ws);
    return s;
}
