/* Zonal statistics from exact coverage fractions (see cpk/zonal.h). */
#include "cpk/zonal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void cpk_zonal_acc_init(cpk_zonal_acc *acc, int64_t n) {
    for (int64_t k = 0; acc && k < n; ++k) {
        cpk_zonal_acc a = {0.0, 0.0, 0.0, INFINITY, -INFINITY, 0, 0};
        acc[k] = a;
    }
}

/* Index of v in the ascending classes, or n when absent. */
static inline int64_t class_index(const float *c, int64_t n, float v) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && c[lo] == v ? lo : n;
}

/* Per-thread scratch: the coverage buffer and the class row partials of every band. */
typedef struct {
    double *frac;
    double *cls_row;  /* Σ_b (nclasses_b + 1) */
    int64_t *touched; /* same size */
} scratch;

/* Statistics of one polygon over all bands, for the rows of window `w` (inside the strip). */
static void polygon_stats(const cpk_window *w, const double *frac, int64_t row0,
                          const cpk_zonal_band *bands, int nbands, int64_t p, scratch *sc,
                          const int64_t *cls_off, cpk_zonal_acc *acc) {
    for (int b = 0; b < nbands; ++b) {
        const cpk_zonal_band *bd = &bands[b];
        const cpk_view_f32 *vw = &bd->view;
        cpk_zonal_acc a = acc[p * nbands + b];
        const int64_t ncls = bd->classes ? bd->nclasses : -1;
        double *crow = sc->cls_row + cls_off[b];
        int64_t *touched = sc->touched + cls_off[b];
        double *cw = ncls >= 0 ? bd->class_weight + p * (ncls + 1) : NULL;
        for (int64_t j = 0; j < w->ny; ++j) {
            const double *fr = frac + j * w->nx;
            const float *vr = vw->data + (w->row0 + j - row0) * vw->stride + w->col0;
            double s = 0.0, wt = 0.0, nwt = 0.0;
            int64_t nt = 0;
            for (int64_t i = 0; i < w->nx; ++i) {
                double f = fr[i];
                if (f == 0.0) continue;
                float v = vr[i];
                if (v != v || (vw->has_nodata && v == vw->nodata)) {
                    nwt += f;
                    a.nodata_count++;
                    continue;
                }
                s += f * (double)v;
                wt += f;
                a.count++;
                if (v < a.min) a.min = v;
                if (v > a.max) a.max = v;
                if (ncls >= 0) {
                    int64_t k = class_index(bd->classes, ncls, v);
                    if (crow[k] == 0.0) touched[nt++] = k;
                    crow[k] += f;
                }
            }
            a.sum += s;
            a.weight += wt;
            a.nodata_weight += nwt;
            for (int64_t t = 0; t < nt; ++t) {
                int64_t k = touched[t];
                cw[k] += crow[k];
                crow[k] = 0.0;
            }
        }
        acc[p * nbands + b] = a;
    }
}

cpk_status cpk_zonal_f32(const cpk_polygon *polys, const cpk_window *wins, int64_t npolys,
                         const cpk_geo *grid, int64_t row0, cpk_zonal_band *bands, int nbands,
                         int threads, cpk_zonal_acc *acc) {
    if (npolys < 0 || nbands < 0 || !grid || (npolys > 0 && (!polys || !acc))) return CPK_E_ARG;
    if (npolys == 0 || nbands == 0) return CPK_OK;
    if (!bands) return CPK_E_ARG;
    const int64_t sny = bands[0].view.ny;
    if (row0 < 0 || sny < 0 || row0 > grid->ny - sny) return CPK_E_ARG;
    int64_t cls_total = 0;
    int64_t *cls_off = malloc(sizeof(int64_t) * (size_t)nbands);
    if (!cls_off) return CPK_E_NOMEM;
    cpk_status st = CPK_OK;
    for (int b = 0; b < nbands && st == CPK_OK; ++b) {
        const cpk_zonal_band *bd = &bands[b];
        const cpk_view_f32 *v = &bd->view;
        if (v->nx != grid->nx || v->ny != sny || v->stride < v->nx || (!v->data && sny > 0))
            st = CPK_E_ARG;
        cls_off[b] = cls_total;
        if (bd->classes) {
            if (bd->nclasses < 0 || !bd->class_weight) st = CPK_E_ARG;
            for (int64_t k = 1; st == CPK_OK && k < bd->nclasses; ++k)
                if (!(bd->classes[k - 1] < bd->classes[k])) st = CPK_E_ARG;
            cls_total += bd->nclasses + 1;
        }
    }
    if (st != CPK_OK || sny == 0) {
        free(cls_off);
        return st;
    }

    /* Windows within the strip; validate polygons; largest buffer. */
    cpk_window *sw = malloc(sizeof(cpk_window) * (size_t)npolys);
    if (!sw) {
        free(cls_off);
        return CPK_E_NOMEM;
    }
    int64_t maxcells = 0;
    for (int64_t p = 0; p < npolys; ++p) {
        cpk_window w;
        if (wins) {
            if (cpk_polygon_check(&polys[p]) != CPK_OK) st = CPK_E_ARG;
            w = wins[p];
            if (w.col0 < 0 || w.row0 < 0 || w.nx < 0 || w.ny < 0 || w.col0 > grid->nx - w.nx ||
                w.row0 > grid->ny - w.ny)
                st = CPK_E_ARG;
        } else if (cpk_coverage_window(&polys[p], grid, &w) != CPK_OK) {
            st = CPK_E_ARG;
        }
        if (st != CPK_OK) break;
        int64_t a = w.row0 > row0 ? w.row0 : row0;
        int64_t e = w.row0 + w.ny < row0 + sny ? w.row0 + w.ny : row0 + sny;
        w.row0 = a;
        w.ny = e > a && w.nx > 0 ? e - a : 0;
        if (w.ny == 0) w.nx = 0;
        if (w.nx > 0 && w.ny > INT64_MAX / w.nx) {
            st = CPK_E_NOMEM;
            break;
        }
        if (w.nx * w.ny > maxcells) maxcells = w.nx * w.ny;
        sw[p] = w;
    }
    int nt = cpk_threads(threads);
    if ((int64_t)nt > npolys) nt = (int)npolys;
    if (nt < 1) nt = 1;
    double *frac = NULL, *cls_row = NULL;
    int64_t *touched = NULL;
    if (st == CPK_OK) {
        size_t per = (size_t)maxcells;
        if (per > SIZE_MAX / sizeof(double) / (size_t)nt) st = CPK_E_NOMEM;
    }
    if (st == CPK_OK) {
        frac = malloc(sizeof(double) * (size_t)maxcells * (size_t)nt + 1);
        cls_row = calloc((size_t)cls_total * (size_t)nt + 1, sizeof(double));
        touched = malloc(sizeof(int64_t) * ((size_t)cls_total * (size_t)nt + 1));
        if (!frac || !cls_row || !touched) st = CPK_E_NOMEM;
    }
    if (st == CPK_OK) {
        int bad = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(| : bad)
#endif
        {
            int t = 0;
#ifdef _OPENMP
            t = omp_get_thread_num();
#endif
            scratch sc = {frac + (size_t)t * (size_t)maxcells,
                          cls_row + (size_t)t * (size_t)cls_total,
                          touched + (size_t)t * (size_t)cls_total};
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
            for (int64_t p = 0; p < npolys; ++p) {
                if (sw[p].nx == 0) continue;
                if (cpk_coverage_polygon(&polys[p], grid, &sw[p], sc.frac) != CPK_OK) {
                    bad = 1;
                    continue;
                }
                polygon_stats(&sw[p], sc.frac, row0, bands, nbands, p, &sc, cls_off, acc);
            }
        }
        if (bad) st = CPK_E_ARG; /* unreachable: arguments were checked above */
    }
    free(frac);
    free(cls_row);
    free(touched);
    free(sw);
    free(cls_off);
    return st;
}
