/* clearplan synth: the scenario folder (temporary name, then rename), scenario.yaml and the
 * synth.json manifest around the raster and vector writers. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <clearplan/output.h>
#include <clearplan/synth.h>

#include "error.h"
#include "synth_internal.h"

/* Version of the generated content: bump it when the same seed starts giving other bytes. */
#define SYN_FORMAT 3

static const char *preset_names[] = {"tiny", "demo", "national"};

void cp_synth_options_init(cp_synth_options *o) {
    memset(o, 0, sizeof *o);
    o->preset = CP_SYNTH_TINY;
    o->seed = 1;
}

cp_status cp_synth_preset_parse(const char *name, cp_synth_preset *out) {
    for (int i = 0; i < 3; ++i)
        if (name && !strcmp(name, preset_names[i])) {
            *out = (cp_synth_preset)i;
            return CP_OK;
        }
    return cp_fail(CP_E_ARG, "unknown preset <%s> (expected tiny, demo or national)",
                   name ? name : "");
}

const char *cp_synth_preset_name(cp_synth_preset p) {
    return (int)p >= 0 && (int)p < 3 ? preset_names[p] : "?";
}

/* ---- text outputs ---- */

static void write_fids(FILE *f, const char *key, const int64_t *v, int n, int last) {
    fprintf(f, "    \"%s\": [", key);
    for (int i = 0; i < n; ++i)
        fprintf(f, "%s%" PRId64, i ? (i % 16 ? ", " : ",\n      ") : "", v[i]);
    fprintf(f, "]%s\n", last ? "" : ",");
}

static void date_str(int64_t days, char *buf) {
    int y, m, d;
    syn_civil(days, &y, &m, &d);
    snprintf(buf, 16, "%04d-%02d-%02d", y, m, d);
}

typedef struct {
    double pop_total;
    int64_t pnx, pny;
    double plon0, plat1;
    syn_hazard_log haz;
    int nrecent, nroads;
    int teams[SYN_MAX_PROV], teams_total;
    syn_records records;
} syn_outcome;

static const char *deadlines[] = {"2028-03-01", "2030-03-01", "2036-03-01"};
static const int deadline_ymd[][3] = {{2028, 3, 1}, {2030, 3, 1}, {2036, 3, 1}};

/* Teams: about what the default cost model needs to finish by the deadline (a close call),
 * per province in proportion to its estimated effort; each province gets at least one. */
static void split_teams(const syn_world *w, syn_outcome *r) {
    const int *d = deadline_ymd[w->preset];
    double years = (double)(syn_days(d[0], d[1], d[2]) - syn_days(2026, 1, 1)) / 365.25;
    r->teams_total = 0;
    for (int k = 0; k < w->nprov; ++k) {
        int t = (int)ceil(w->prov_team_days[k] / (years * 220.0));
        r->teams[k] = t < 1 ? 1 : t;
        r->teams_total += r->teams[k];
    }
}

static cp_status write_yaml(const syn_world *w, const cp_synth_options *o, const syn_outcome *r,
                            const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f) return cp_fail(CP_E_IO, "cannot create <%s>: %s", path, strerror(errno));
    const char *pn = cp_synth_preset_name(o->preset);
    fprintf(f,
            "# Synthetic scenario: `clearplan synth --preset %s --seed %" PRIu64
            "` (synth format %d).\n"
            "# The same preset and seed give byte-identical files; synth.json lists the details.\n"
            "# Analysis grid: EPSG:%d (UTM 18N, Colombia), %g m, %" PRId64 " x %" PRId64
            " cells, west %.0f, north %.0f.\n"
            "# population.tif: EPSG:4326, 3 arc-seconds, %" PRId64 " x %" PRId64
            " cells, total %.3f people.\n"
            "# hazards.gpkg: %" PRId64
            " features (SHA %d, CHA %d); deliberate flaws: %d invalid (bow-tie),\n"
            "#   %d null geometries, %d empty geometries, %d duplicate ids.\n"
            "# reports.gpkg: %d improvised-mine reports (EPSG:4326), %d of them since "
            "2022-01-01.\n"
            "name: Synthetic %s (seed %" PRIu64 ")\n",
            pn, o->seed, SYN_FORMAT, w->epsg, w->cs, w->nx, w->ny, w->x0, w->y1, r->pnx, r->pny,
            r->pop_total, r->haz.written, r->haz.nsha, r->haz.ncha, r->haz.ninvalid, r->haz.nnull,
            r->haz.nempty, r->haz.ndup, w->nreports, r->nrecent, pn, o->seed);
    fprintf(f,
            "grid:\n"
            "  crs: EPSG:%d\n"
            "  cell_size_m: %g\n"
            "  aoi: aoi.gpkg             # the hazards' extent + 10 km, within the rasters\n",
            w->epsg, w->cs);
    fputs(
        "inputs:\n"
        "  hazards:   {path: hazards.gpkg, layer: hazards, id: hazard_id, status: status, "
        "region: province}\n"
        "  population: {path: population.tif, role: population}\n"
        "  landcover: {path: landcover.tif, role: landcover}\n"
        "  treecover: {path: treecover.tif, role: treecover}\n"
        "  reports:   {path: reports.gpkg, role: reports, date: reported_on, confidence: "
        "confidence}\n"
        "criteria:\n"
        "  - {name: people_nearby,   kind: focal_sum, input: population, radius_m: 1000, "
        "normalise: log, saturate: 2000, weight: 0.35}\n"
        "  - {name: settlements,     kind: distance,  input: population, source_min: 5, "
        "decay_m: 2000,  weight: 0.10}\n"
        "  - {name: land_use,        kind: classes,   input: landcover, table: {40: 1.0, 50: "
        "1.0, 30: 0.6, 20: 0.4, 10: 0.3, 60: 0.2, 90: 0.2, 80: 0.0}, weight: 0.25}\n"
        "  - {name: open_land,       kind: linear,    input: treecover, range: [0, 100], "
        "invert: true, weight: 0.05}\n"
        "  - {name: improvised_mines, kind: density,  input: reports, bandwidth_m: 2000, "
        "half_life_days: 365, as_of: 2026-01-01, saturate: 0.5, weight: 0.25}\n"
        "cost:\n"
        "  productivity_m2_per_team_day: {default: 400, classes: {40: 500, 30: 450, 20: 350, "
        "10: 200, 50: 250, 60: 450}}\n"
        "  treecover_slowdown: 0.5\n"
        "  improvised_slowdown: 0.5\n"
        "  improvised_threshold: 0.1\n"
        "  release:\n"
        "    SHA: {cancel: 0.45, reduce: 0.25, clear: 0.30}\n"
        "    CHA: {cancel: 0.00, reduce: 0.20, clear: 0.80}\n"
        "  nts_m2_per_team_day: 40000\n"
        "  ts_m2_per_team_day: 2500\n"
        "  team_day_usd: 1500\n"
        "capacity:\n"
        "  start: 2026-01-01\n",
        f);
    fprintf(f, "  deadline: %s\n  teams: %d\n  days_per_year: 220\n  regions: {",
            deadlines[w->preset], r->teams_total);
    for (int k = 0; k < w->nprov; ++k)
        fprintf(f, "%s%s: %d", k ? ", " : "", w->prov_name[k], r->teams[k]);
    fputs("}\n  package_team_days: 20\n", f);
    /* Ranges around the figures above (DESIGN §16): the Monte Carlo of the plan and the rank
       robustness; the national preset leaves the samples to --samples (60,000 hazards). */
    fprintf(f,
            "uncertainty:\n"
            "  samples: %d\n"
            "  seed: 1\n"
            "  distribution: pert\n"
            "  productivity: {default: [0.75, 1.25], classes: {10: [0.6, 1.2]}}\n"
            "  nts: [0.8, 1.2]\n"
            "  ts: [0.8, 1.2]\n"
            "  release:\n"
            "    SHA: {cancel: [0.35, 0.55], clear: [0.22, 0.38]}\n"
            "  availability: [0.85, 1.0]\n"
            "  team_day_usd: [0.9, 1.25]\n"
            "  weight_concentration: 60\n",
            w->preset == CP_SYNTH_NATIONAL ? 0 : 200);
    fputs(
        "contamination:           # new improvised mines: the trend of 2022-2025's reports\n"
        "  reports: reports\n"
        "  fit_years: 4\n"
        "  link_m: 1000\n"
        "  reserve: p50\n",
        f);
    /* the demo fits the area of a report from the hazards near reports; the tiny preset has
       too few for that, the national one is too large to test it on */
    if (w->preset != CP_SYNTH_DEMO) fputs("  area_per_report_m2: 3000\n", f);
    fputs("outputs:\n  dir: out\n", f);
    if (fclose(f) != 0) return cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
    return CP_OK;
}

static cp_status write_manifest(const syn_world *w, const cp_synth_options *o, const syn_outcome *r,
                                const char *dir) {
    char path[4096], d1[16];
    snprintf(path, sizeof path, "%s/synth.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) return cp_fail(CP_E_IO, "cannot create <%s>: %s", path, strerror(errno));
    const syn_hazard_log *h = &r->haz;
    fprintf(f,
            "{\n  \"generator\": \"clearplan synth\",\n  \"format\": %d,\n  \"preset\": \"%s\",\n"
            "  \"seed\": %" PRIu64 ",\n",
            SYN_FORMAT, cp_synth_preset_name(o->preset), o->seed);
    fprintf(f,
            "  \"grid\": {\"crs\": \"EPSG:%d\", \"cell_size_m\": %g, \"nx\": %" PRId64
            ", \"ny\": %" PRId64 ", \"west\": %.3f, \"north\": %.3f},\n",
            w->epsg, w->cs, w->nx, w->ny, w->x0, w->y1);
    fprintf(f,
            "  \"population\": {\"path\": \"population.tif\", \"crs\": \"EPSG:4326\", "
            "\"resolution_deg\": %.17g, \"nx\": %" PRId64 ", \"ny\": %" PRId64
            ", \"west\": %.12f, \"north\": %.12f,\n"
            "    \"total\": %.17g, \"settlements_nominal\": %.17g,\n"
            "    \"note\": \"total is the sum of all cells (people); values are multiples of "
            "1/1024\"},\n",
            1.0 / 1200.0, r->pnx, r->pny, r->plon0, r->plat1, r->pop_total, w->pop_settlements);
    fprintf(f,
            "  \"landcover\": {\"path\": \"landcover.tif\", \"codes\": [10, 20, 30, 40, 50, 60, "
            "80, 90], \"nodata\": 0},\n"
            "  \"treecover\": {\"path\": \"treecover.tif\", \"range\": [0, 100], \"nodata\": "
            "255},\n"
            "  \"settlements\": {\"path\": \"settlements.gpkg\", \"count\": %d, \"roads\": %d},\n",
            w->nst, r->nroads);
    fputs("  \"provinces\": [", f);
    for (int k = 0; k < w->nprov; ++k)
        fprintf(f, "%s{\"name\": \"%s\", \"hazards\": %d, \"teams\": %d}", k ? ", " : "",
                w->prov_name[k], w->prov_hazards[k], r->teams[k]);
    fputs("],\n", f);
    fprintf(f,
            "  \"hazards\": {\"path\": \"hazards.gpkg\", \"layer\": \"hazards\", \"crs\": "
            "\"EPSG:%d\", \"count\": %" PRId64
            ", \"sha\": %d, \"cha\": %d,\n"
            "    \"nominal_area_m2\": %.3f,\n",
            w->epsg, h->written, h->nsha, h->ncha, h->area_total_m2);
    write_fids(f, "multipolygon_fids", h->multi_fids, h->nmulti, 0);
    write_fids(f, "hole_fids", h->hole_fids, h->nhole, 0);
    fputs("    \"flaws\": {\n  ", f);
    write_fids(f, "invalid_fids", h->invalid_fids, h->ninvalid, 0);
    fputs("  ", f);
    write_fids(f, "null_fids", h->null_fids, h->nnull, 0);
    fputs("  ", f);
    write_fids(f, "empty_fids", h->empty_fids, h->nempty, 0);
    fputs("      \"duplicate_ids\": [", f);
    for (int i = 0; i < h->ndup; ++i)
        fprintf(f, "%s{\"id\": \"%s\", \"fids\": [%" PRId64 ", %" PRId64 "]}",
                i ? (i % 4 ? ", " : ",\n        ") : "", h->dup_ids[i], h->dup_fids[i][0],
                h->dup_fids[i][1]);
    fputs("]\n    }\n  },\n", f);
    date_str(syn_days(2022, 1, 1), d1);
    fprintf(f,
            "  \"reports\": {\"path\": \"reports.gpkg\", \"layer\": \"reports\", \"crs\": "
            "\"EPSG:4326\", \"count\": %d, \"recent\": %d, \"recent_from\": \"%s\"},\n",
            w->nreports, r->nrecent, d1);
    const syn_records *t = &r->records;
    fprintf(f,
            "  \"records\": {\"path\": \"records.gpkg\", \"layer\": \"records\", \"count\": %d,\n"
            "    \"truth\": {\"productivity\": {",
            t->n);
    for (int k = 0; k < t->ncodes; ++k)
        fprintf(f, "%s\"%d\": %g", k ? ", " : "", t->codes[k], t->productivity[k]);
    fprintf(f,
            "}, \"productivity_default\": %g, \"treecover_slowdown\": %g, "
            "\"improvised_slowdown\": %g, \"nts_m2_per_team_day\": %g, \"ts_m2_per_team_day\": "
            "%g, \"noise_log_sd\": %g}}\n}\n",
            t->productivity_default, t->treecover_slowdown, t->improvised_slowdown, t->nts_m2,
            t->ts_m2, t->noise_log_sd);
    if (fclose(f) != 0) return cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
    return CP_OK;
}

/* ---- the whole generation ---- */

static cp_status synth_quietly(const cp_synth_options *o, cp_progress_fn progress, void *arg) {
    if (!o || !o->dir || !o->dir[0]) return cp_fail(CP_E_ARG, "synth: no output folder given");
    /* the output transaction (clearplan/output.h): checked before any work, written into a
     * temporary folder, published at the end */
    cp_output_options oo;
    memset(&oo, 0, sizeof oo);
    oo.kind = CP_OUTPUT_FOLDER;
    oo.command = "synth";
    oo.overwrite = o->overwrite;
    oo.no_sync = o->no_sync;
    cp_output *out = NULL;
    cp_status st = cp_output_begin(o->dir, &oo, &out);
    if (st != CP_OK) return st;
    const char *tmp = cp_output_path(out);
    syn_world w;
    syn_outcome r;
    memset(&r, 0, sizeof r);
    st = syn_world_build(&w, o);
    if (st != CP_OK) {
        syn_world_free(&w);
        cp_output_abort(out);
        return st;
    }
    syn_progress p = {progress, arg, 0.0, 0.0};
    if (!syn_tick(&p, 0.0, "synth")) {
        st = cp_fail(CP_E_INTERRUPTED, "synth: interrupted");
        goto done;
    }
    /* stage weights roughly follow the work: rasters dominate at every scale */
    p.lo = 0.0, p.hi = 0.6;
    if ((st = syn_write_landcover(&w, tmp, &p)) != CP_OK) goto done;
    p.lo = 0.6, p.hi = 0.85;
    if ((st = syn_write_population(&w, tmp, &p, &r.pop_total, &r.pnx, &r.pny, &r.plon0,
                                   &r.plat1)) != CP_OK)
        goto done;
    p.lo = 0.85, p.hi = 0.93;
    if ((st = syn_write_hazards(&w, tmp, &p, &r.haz)) != CP_OK) goto done;
    p.lo = 0.93, p.hi = 0.97;
    if ((st = syn_write_reports(&w, tmp, &p, &r.nrecent)) != CP_OK) goto done;
    p.lo = 0.97, p.hi = 0.99;
    if ((st = syn_write_settlements(&w, tmp, &p, &r.nroads)) != CP_OK) goto done;
    /* 10 km: the distance criterion's cap (max_m = 5 x decay_m) in the scenario written below */
    if ((st = syn_write_aoi(&w, tmp, 10000.0)) != CP_OK) goto done;
    split_teams(&w, &r);
    if ((st = write_yaml(&w, o, &r, tmp)) != CP_OK) goto done;
    if ((st = syn_write_records(&w, tmp, o->preset == CP_SYNTH_TINY ? 60 : 300, &r.records)) !=
        CP_OK)
        goto done;
    if ((st = write_manifest(&w, o, &r, tmp)) != CP_OK) goto done;
    p.lo = 0.0, p.hi = 1.0;
    if (!syn_tick(&p, 0.995, "synth")) {
        st = cp_fail(CP_E_INTERRUPTED, "synth: interrupted");
        goto done;
    }
    st = cp_output_commit(out); /* synced, then published by an atomic rename */
    out = NULL;
    if (st != CP_OK) goto done;
    syn_tick(&p, 1.0, NULL);
done:
    cp_output_abort(out);
    syn_hazard_log_free(&r.haz);
    syn_world_free(&w);
    return st;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_synth(const cp_synth_options *o, cp_progress_fn progress, void *arg) {
    cp_gdal_quiet_begin();
    cp_status s = synth_quietly(o, progress, arg);
    cp_gdal_quiet_end();
    return s;
}
