/* The synthetic world: presets, terrain noise, settlements, provinces, front lines and the
 * newer conflict zone. Everything is a pure function of (seed, position or index). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "synth_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct {
    int n; /* grid cells per side */
    int hazards;
    int reports;
    int settlements;
    double pop_max; /* largest settlement */
    int provinces;
    int fronts;
    double area_max_m2;
    double x0, y1; /* west and north edges, EPSG:32618 */
} preset_spec;

/* UTM 18N (EPSG:32618): eastern Antioquia for tiny and demo; the national grid spans
 * roughly Colombia's extent (1,200 km square from about 1.9 N to 12.7 N). */
static const preset_spec presets[] = {
    {640, 12, 30, 4, 6000.0, 2, 1, 0.3e6, 468000.0, 702000.0},
    {3000, 500, 600, 60, 120000.0, 4, 2, 3.0e6, 420000.0, 750000.0},
    {40000, 60000, 30000, 6000, 3.0e6, 10, 2, 2.0e6, 180000.0, 1410000.0},
};

static const char *province_names[SYN_MAX_PROV] = {
    "Norte",           "Sur",   "Oriente",  "Occidente",       "Centro", "Nordeste", "Bajo Cauca",
    "Magdalena Medio", "Uraba", "Suroeste", "Valle de Aburra", "Llanos"};

int syn_tick(const syn_progress *p, double frac, const char *msg) {
    if (!p || !p->fn) return 1;
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    return p->fn(p->lo + (p->hi - p->lo) * frac, msg, p->arg);
}

/* ---- dates (Howard Hinnant's civil algorithms) ---- */

int64_t syn_days(int y, int m, int d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void syn_civil(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* ---- value noise ---- */

static double smooth(double t) {
    return t * t * (3.0 - 2.0 * t);
}

static double value_noise(uint64_t seed, uint64_t stream, double fx, double fy) {
    double ix = floor(fx), iy = floor(fy);
    double tx = smooth(fx - ix), ty = smooth(fy - iy);
    uint64_t a = (uint64_t)(int64_t)ix, b = (uint64_t)(int64_t)iy;
    double v00 = syn_u(seed, stream, a, b), v10 = syn_u(seed, stream, a + 1, b);
    double v01 = syn_u(seed, stream, a, b + 1), v11 = syn_u(seed, stream, a + 1, b + 1);
    double top = v00 + (v10 - v00) * tx, bot = v01 + (v11 - v01) * tx;
    return top + (bot - top) * ty;
}

double syn_field(const syn_world *w, int stream, double x, double y) {
    double wl = w->wavelength_m, amp = 1.0, sum = 0.0, norm = 0.0;
    int oct = w->octaves;
    if (stream == SYN_S_RIVER) wl *= 0.7;
    if (stream == SYN_S_DETAIL) wl = 1500.0, oct = 2;
    for (int k = 0; k < oct; ++k) {
        sum += amp * value_noise(w->seed, (uint64_t)stream * 64 + (uint64_t)k, x / wl, y / wl);
        norm += amp;
        amp *= 0.5;
        wl *= 0.5;
    }
    double v = 0.5 + (sum / norm - 0.5) * 1.5; /* stretch the bell towards [0, 1] */
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantiles of the elevation and vegetation fields over the grid, from 4,096 hashed points. */
static cp_status field_quantiles(syn_world *w) {
    enum { NQ = 4096 };
    double *e = malloc(NQ * sizeof *e), *v = malloc(NQ * sizeof *v);
    if (!e || !v) {
        free(e);
        free(v);
        return cp_fail(CP_E_NOMEM, "synth: out of memory");
    }
    double wx = (double)w->nx * w->cs, wy = (double)w->ny * w->cs;
    for (int i = 0; i < NQ; ++i) {
        double x = w->x0 + wx * syn_u(w->seed, SYN_S_ELEV, 1u << 30, (uint64_t)i);
        double y = w->y1 - wy * syn_u(w->seed, SYN_S_ELEV, 1u << 31, (uint64_t)i);
        e[i] = syn_field(w, SYN_S_ELEV, x, y);
        v[i] = syn_field(w, SYN_S_VEG, x, y);
    }
    qsort(e, NQ, sizeof *e, cmp_double);
    qsort(v, NQ, sizeof *v, cmp_double);
#define Q(a, q) (a)[(int)((q) * (NQ - 1))]
    w->e_lake = Q(e, 0.025);
    w->e_wet = Q(e, 0.035);
    w->e_low = Q(e, 0.30);
    w->e_tree = Q(e, 0.60);
    w->e_bare = Q(e, 0.975);
    w->e_river_max = Q(e, 0.70);
    w->v_dry = Q(v, 0.40);
    w->v_shrub = Q(v, 0.55);
    w->v_patch = Q(v, 0.88);
#undef Q
    free(e);
    free(v);
    return CP_OK;
}

/* ---- settlements ---- */

static void make_name(uint64_t seed, int i, char *buf, size_t n) {
    static const char *pre[] = {"San ", "Santa ", "El ", "La ", "Puerto ", "Villa ", "",
                                "",     "",       "",    "",    "",        ""};
    static const char *syl[] = {"ca", "ra", "to", "me", "li", "na",  "sa",  "bo", "ri", "ta",
                                "co", "lu", "va", "mi", "pe", "gua", "tan", "do", "ba", "rel"};
    uint64_t h = syn_hash(seed, SYN_S_NAME, (uint64_t)i, 0);
    const char *p = pre[h % 13];
    h /= 13;
    int ns = 2 + (int)(h % 3);
    h /= 3;
    char word[32] = {0};
    for (int k = 0; k < ns; ++k) {
        strcat(word, syl[h % 20]);
        h /= 20;
    }
    word[0] = (char)(word[0] - 'a' + 'A');
    snprintf(buf, n, "%s%s", p, word);
}

static int cmp_pop_desc(const void *a, const void *b) {
    const syn_settlement *x = a, *y = b;
    if (x->pop != y->pop) return x->pop < y->pop ? 1 : -1;
    return x->x < y->x ? -1 : x->x > y->x;
}

static double reach_of(const syn_settlement *s, int kind) {
    /* land cover: the jittered distance is at least 0.5 d (see synth_raster.c) */
    return kind == 0 ? s->r_crop_m * 2.0 + 60.0 : s->sigma_m * 4.0;
}

static cp_status place_settlements(syn_world *w, int n, double pop_max) {
    w->st = calloc((size_t)(n > 0 ? n : 1), sizeof *w->st);
    if (!w->st) return cp_fail(CP_E_NOMEM, "synth: out of memory for %d settlements", n);
    double wx = (double)w->nx * w->cs, wy = (double)w->ny * w->cs;
    double margin = 0.03 * (wx < wy ? wx : wy);
    for (int i = 0; i < n; ++i) {
        syn_settlement *s = &w->st[i];
        double u = syn_u(w->seed, SYN_S_SETTLE, (uint64_t)i, 999);
        s->pop = floor(pop_max * pow(i + 1.0, -1.05) * (0.8 + 0.4 * u));
        if (s->pop < 50) s->pop = 50;
        s->r_built_m = sqrt(s->pop / (M_PI * 0.004)); /* 4,000 people per km2 built up */
        s->sigma_m = 0.7 * s->r_built_m + 100.0;
        s->r_crop_m = 2.2 * s->r_built_m + 700.0;
        for (int attempt = 0; attempt < 48; ++attempt) {
            double x = w->x0 + margin +
                       (wx - 2 * margin) * syn_u(w->seed, SYN_S_SETTLE, (uint64_t)i, 2 * attempt);
            double y =
                w->y1 - margin -
                (wy - 2 * margin) * syn_u(w->seed, SYN_S_SETTLE, (uint64_t)i, 2 * attempt + 1);
            s->x = x, s->y = y;
            if (attempt == 47) break;
            double e = syn_field(w, SYN_S_ELEV, x, y);
            if (e < w->e_wet || e > w->e_tree) continue;
            int ok = 1;
            for (int j = 0; j < i && ok; ++j) {
                double dx = w->st[j].x - x, dy = w->st[j].y - y;
                double need = 1.5 * (s->r_built_m + w->st[j].r_built_m) + 300.0;
                if (dx * dx + dy * dy < need * need) ok = 0;
            }
            if (ok) break;
        }
        make_name(w->seed, i, s->name, sizeof s->name);
    }
    qsort(w->st, (size_t)n, sizeof *w->st, cmp_pop_desc);
    w->nst = n;
    w->pop_settlements = 0;
    w->reach_lc_max_m = w->reach_pop_max_m = 0;
    for (int i = 0; i < n; ++i) {
        w->pop_settlements += w->st[i].pop;
        double a = reach_of(&w->st[i], 0), b = reach_of(&w->st[i], 1);
        if (a > w->reach_lc_max_m) w->reach_lc_max_m = a;
        if (b > w->reach_pop_max_m) w->reach_pop_max_m = b;
    }
    /* bucket index over settlement positions */
    w->bsize_m = 5000.0;
    w->bnx = (int)ceil(wx / w->bsize_m) + 1;
    w->bny = (int)ceil(wy / w->bsize_m) + 1;
    size_t nb = (size_t)w->bnx * (size_t)w->bny;
    w->bstart = calloc(nb + 1, sizeof *w->bstart);
    w->bitem = malloc((size_t)(n > 0 ? n : 1) * sizeof *w->bitem);
    if (!w->bstart || !w->bitem) return cp_fail(CP_E_NOMEM, "synth: out of memory for index");
    int *bucket = malloc((size_t)(n > 0 ? n : 1) * sizeof *bucket);
    if (!bucket) return cp_fail(CP_E_NOMEM, "synth: out of memory for index");
    for (int i = 0; i < n; ++i) {
        int bx = (int)((w->st[i].x - w->x0) / w->bsize_m);
        int by = (int)((w->y1 - w->st[i].y) / w->bsize_m);
        bx = bx < 0 ? 0 : bx >= w->bnx ? w->bnx - 1 : bx;
        by = by < 0 ? 0 : by >= w->bny ? w->bny - 1 : by;
        bucket[i] = by * w->bnx + bx;
        w->bstart[bucket[i] + 1]++;
    }
    for (size_t b = 0; b < nb; ++b) w->bstart[b + 1] += w->bstart[b];
    int *fill = calloc(nb, sizeof *fill);
    if (!fill) {
        free(bucket);
        return cp_fail(CP_E_NOMEM, "synth: out of memory for index");
    }
    for (int i = 0; i < n; ++i) w->bitem[w->bstart[bucket[i]] + fill[bucket[i]]++] = i;
    free(fill);
    free(bucket);
    return CP_OK;
}

int syn_candidates(const syn_world *w, double xmin, double ymin, double xmax, double ymax,
                   int reach, int *out, int cap) {
    double r = reach == 0 ? w->reach_lc_max_m : w->reach_pop_max_m;
    int bx0 = (int)floor((xmin - r - w->x0) / w->bsize_m);
    int bx1 = (int)floor((xmax + r - w->x0) / w->bsize_m);
    int by0 = (int)floor((w->y1 - (ymax + r)) / w->bsize_m);
    int by1 = (int)floor((w->y1 - (ymin - r)) / w->bsize_m);
    if (bx0 < 0) bx0 = 0;
    if (by0 < 0) by0 = 0;
    if (bx1 >= w->bnx) bx1 = w->bnx - 1;
    if (by1 >= w->bny) by1 = w->bny - 1;
    int n = 0;
    for (int by = by0; by <= by1; ++by)
        for (int bx = bx0; bx <= bx1; ++bx) {
            int b = by * w->bnx + bx;
            for (int k = w->bstart[b]; k < w->bstart[b + 1]; ++k) {
                const syn_settlement *s = &w->st[w->bitem[k]];
                double rr = reach_of(s, reach);
                double dx = s->x < xmin ? xmin - s->x : s->x > xmax ? s->x - xmax : 0;
                double dy = s->y < ymin ? ymin - s->y : s->y > ymax ? s->y - ymax : 0;
                if (dx * dx + dy * dy > rr * rr) continue;
                if (n < cap) out[n] = w->bitem[k];
                ++n;
            }
        }
    /* fixed order whatever the bucket layout: by settlement index */
    int m = n < cap ? n : cap;
    for (int i = 1; i < m; ++i) {
        int v = out[i], j = i - 1;
        while (j >= 0 && out[j] > v) {
            out[j + 1] = out[j];
            --j;
        }
        out[j + 1] = v;
    }
    return n;
}

int syn_province(const syn_world *w, double x, double y) {
    int best = 0;
    double bd = INFINITY;
    for (int k = 0; k < w->nprov; ++k) {
        double dx = x - w->prov_x[k], dy = y - w->prov_y[k], d = dx * dx + dy * dy;
        if (d < bd) bd = d, best = k;
    }
    return best;
}

/* ---- world ---- */

cp_status syn_world_build(syn_world *w, const cp_synth_options *o) {
    memset(w, 0, sizeof *w);
    if ((int)o->preset < 0 || (int)o->preset > CP_SYNTH_NATIONAL)
        return cp_fail(CP_E_ARG, "synth: unknown preset %d", (int)o->preset);
    const preset_spec *p = &presets[o->preset];
    w->preset = o->preset;
    w->seed = o->seed;
    w->epsg = 32618;
    w->cs = 30.0;
    w->nx = o->nx > 0 ? o->nx : p->n;
    w->ny = o->ny > 0 ? o->ny : p->n;
    if (w->nx < 16 || w->ny < 16 || w->nx > 200000 || w->ny > 200000)
        return cp_fail(CP_E_ARG, "synth: grid size %lldx%lld out of range 16..200000",
                       (long long)w->nx, (long long)w->ny);
    w->x0 = p->x0;
    w->y1 = p->y1;
    w->nhazards = o->hazards > 0 ? o->hazards : p->hazards;
    w->nreports = o->reports > 0 ? o->reports : p->reports;
    if (w->nhazards < 8) return cp_fail(CP_E_ARG, "synth: at least 8 hazards are needed");
    int nst = o->settlements > 0 ? o->settlements : p->settlements;
    w->hazard_area_max_m2 = p->area_max_m2;
    double wx = (double)w->nx * w->cs, wy = (double)w->ny * w->cs;
    double ext = wx < wy ? wx : wy;
    w->wavelength_m = ext / 4 < 3000 ? 3000 : ext / 4 > 60000 ? 60000 : ext / 4;
    w->octaves = 0;
    for (double wl = w->wavelength_m; wl >= 900.0 && w->octaves < 10; wl *= 0.5) ++w->octaves;
    if (w->octaves < 1) w->octaves = 1;

    cp_status s = field_quantiles(w);
    if (s != CP_OK) return s;
    s = place_settlements(w, nst, p->pop_max);
    if (s != CP_OK) return s;

    w->nprov = p->provinces;
    for (int k = 0; k < w->nprov; ++k) {
        /* stratified: province k's centre lies in its own band, so none is empty */
        double u = syn_u(w->seed, SYN_S_PROV, (uint64_t)k, 0);
        double v = syn_u(w->seed, SYN_S_PROV, (uint64_t)k, 1);
        double band = (k + 0.2 + 0.6 * u) / w->nprov;
        if (w->nprov <= 2) {
            w->prov_x[k] = w->x0 + wx * (0.3 + 0.4 * v);
            w->prov_y[k] = w->y1 - wy * band;
        } else {
            w->prov_x[k] = w->x0 + wx * (k % 2 ? 0.65 + 0.3 * v : 0.05 + 0.3 * v);
            w->prov_y[k] = w->y1 - wy * band;
        }
        w->prov_name[k] = province_names[k];
    }

    w->nfront = p->fronts;
    for (int f = 0; f < w->nfront; ++f) {
        uint64_t fs = (uint64_t)f * 100;
        int vertical = syn_u(w->seed, SYN_S_FRONT, fs, 0) < 0.5;
        if (f == 1) vertical = !vertical; /* two fronts cross */
        double a = 0.25 + 0.5 * syn_u(w->seed, SYN_S_FRONT, fs, 1);
        double b = 0.25 + 0.5 * syn_u(w->seed, SYN_S_FRONT, fs, 2);
        double ph[3], fr[3];
        for (int j = 0; j < 3; ++j) {
            ph[j] = 2 * M_PI * syn_u(w->seed, SYN_S_FRONT, fs, 3 + (uint64_t)j);
            fr[j] = (j + 1) * (1.0 + syn_u(w->seed, SYN_S_FRONT, fs, 6 + (uint64_t)j));
        }
        for (int i = 0; i < SYN_FRONT_PTS; ++i) {
            double t = (double)i / (SYN_FRONT_PTS - 1), off = 0;
            for (int j = 0; j < 3; ++j) off += sin(2 * M_PI * fr[j] * t + ph[j]) / (j + 1);
            double across = a + (b - a) * t + 0.06 * off;
            double along = -0.02 + 1.04 * t;
            double ux = vertical ? across : along, uy = vertical ? along : across;
            w->front[f][i][0] = w->x0 + wx * ux;
            w->front[f][i][1] = w->y1 - wy * uy;
        }
    }

    w->nclusters = w->preset == CP_SYNTH_TINY ? 2 : 3;
    double czx = 0.2 + 0.6 * syn_u(w->seed, SYN_S_CONFLICT, 0, 0);
    double czy = 0.2 + 0.6 * syn_u(w->seed, SYN_S_CONFLICT, 0, 1);
    for (int c = 0; c < w->nclusters; ++c) {
        double ang = 2 * M_PI * syn_u(w->seed, SYN_S_CONFLICT, 1 + (uint64_t)c, 0);
        double rad = 0.08 * syn_u(w->seed, SYN_S_CONFLICT, 1 + (uint64_t)c, 1);
        w->cluster_x[c] = w->x0 + wx * (czx + rad * cos(ang));
        w->cluster_y[c] = w->y1 - wy * (czy + rad * sin(ang));
    }
    w->cluster_sigma_m = 0.02 * ext;
    return CP_OK;
}

void syn_world_free(syn_world *w) {
    if (!w) return;
    free(w->st);
    free(w->bstart);
    free(w->bitem);
    w->st = NULL;
    w->bstart = w->bitem = NULL;
}
