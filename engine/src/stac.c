/* stac.json: a STAC 1.0.0 Item describing an output folder, with the projection extension
 * (v1.1.0), so that a catalogue can index a run: every output as an asset (relative href,
 * media type, roles; the rasters with their grid), the footprint and bbox in WGS 84, the
 * plan's period (datetime = its first day, start/end_datetime = first day to the later of the
 * deadline and the last day of work), the scenario. The schemas it must validate against are
 * kept in tests/stac/schemas. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include "error.h"
#include "styles.h"

#define COG "image/tiff; application=geotiff; profile=cloud-optimized"

/* The outputs clearplan writes, as assets. */
static const struct {
    const char *key, *file, *type, *roles, *title;
    int grid; /* on the analysis grid: gets proj:shape and proj:transform */
} assets[] = {
    {"priority", "priority.tif", COG, "\"data\"", "Priority 0-1 (Float32)", 1},
    {"priority_class", "priority_class.tif", COG, "\"data\", \"visual\"",
     "Priority classes 1-5 (Byte, colour table)", 1},
    {"priority_style", "priority.qml", "application/xml", "\"metadata\", \"style\"",
     "QGIS style of priority.tif", 0},
    {"priority_class_style", "priority_class.qml", "application/xml", "\"metadata\", \"style\"",
     "QGIS style of priority_class.tif", 0},
    {"plan", "plan.gpkg", "application/geopackage+sqlite3", "\"data\"",
     "Plan: hazards, packages, milestones, rejected (with QGIS styles)", 0},
    {"plan_csv", "plan.csv", "text/csv", "\"data\"", "Hazards in plan order", 0},
    {"milestones", "milestones.csv", "text/csv", "\"data\"", "Milestones per year and quarter", 0},
    {"packages", "packages.csv", "text/csv", "\"data\"", "Work packages", 0},
    {"rejected", "rejected.csv", "text/csv", "\"data\"", "Hazards not planned, with reasons", 0},
    {"report", "report.html", "text/html", "\"overview\"", "Report", 0},
    {"montecarlo", "montecarlo.csv", "text/csv", "\"data\"",
     "Monte Carlo of the plan: every sample", 0},
    {"burndown_fan", "burndown_fan.csv", "text/csv", "\"data\"",
     "Remaining area per quarter: the samples' quantiles and the plan", 0},
    {"rank_robustness", "rank_robustness.csv", "text/csv", "\"data\"",
     "Rank of every hazard under weight uncertainty", 0},
    {"contamination", "contamination.csv", "text/csv", "\"data\"",
     "New contamination projected per year and region, and the capacity set aside", 0},
    {"project", "plan.qgs", "application/x-qgis-project", "\"visual\"", "QGIS project", 0},
};

static int name_cmp(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

static int exists(const char *dir, const char *name) {
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void grid_fields(cp_textbuf *b, const cp_outputs *o) {
    cp_textbuf_printf(b, ", \"proj:shape\": [%lld, %lld], \"proj:transform\": [", (long long)o->ny,
                      (long long)o->nx);
    const int order[] = {1, 2, 0, 4, 5, 3}; /* GDAL's geotransform as STAC's affine rows */
    for (int i = 0; i < 6; ++i) {
        if (i) cp_textbuf_puts(b, ", ");
        cp_textbuf_num(b, o->gt[order[i]], "0");
    }
    cp_textbuf_puts(b, "]");
}

static void asset(cp_textbuf *b, int *first, const char *key, const char *href, const char *type,
                  const char *roles, const char *title) {
    cp_textbuf_puts(b, *first ? "\n    " : ",\n    ");
    *first = 0;
    cp_textbuf_json(b, key);
    cp_textbuf_puts(b, ": {\"href\": ");
    cp_textbuf_json(b, href);
    cp_textbuf_puts(b, ", \"type\": ");
    cp_textbuf_json(b, type);
    cp_textbuf_printf(b, ", \"roles\": [%s], \"title\": ", roles);
    cp_textbuf_json(b, title);
}

enum { SIDE = 16 }; /* points per side of the footprint */

/* The outputs' extent as a ring in WGS 84 (longitude, latitude), its edges densified so
 * that a curved footprint stays inside; 0 when there is no CRS or it does not transform. */
static int footprint(const cp_outputs *o, double ring[4 * SIDE + 1][2], double bbox[4]) {
    if (!o->wkt || !o->has_extent) return 0;
    OGRSpatialReferenceH src = OSRNewSpatialReference(NULL), dst = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    int ok = src && dst && OSRSetFromUserInput(src, o->wkt) == OGRERR_NONE &&
             OSRImportFromEPSG(dst, 4326) == OGRERR_NONE;
    if (ok) {
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(src, dst);
    }
    ok = ct != NULL;
    const double *e = o->extent;
    double x[4 * SIDE + 1], y[4 * SIDE + 1];
    for (int s = 0; s < 4; ++s) /* counter-clockwise from the south-west corner */
        for (int i = 0; i < SIDE; ++i) {
            double t = (double)i / SIDE;
            int k = s * SIDE + i;
            x[k] = s == 0   ? e[0] + t * (e[2] - e[0])
                   : s == 1 ? e[2]
                   : s == 2 ? e[2] - t * (e[2] - e[0])
                            : e[0];
            y[k] = s == 0   ? e[1]
                   : s == 1 ? e[1] + t * (e[3] - e[1])
                   : s == 2 ? e[3]
                            : e[3] - t * (e[3] - e[1]);
        }
    x[4 * SIDE] = x[0], y[4 * SIDE] = y[0];
    if (ok) ok = OCTTransform(ct, 4 * SIDE + 1, x, y, NULL) != 0;
    for (int k = 0; ok && k <= 4 * SIDE; ++k) {
        ring[k][0] = x[k], ring[k][1] = y[k];
        if (!k || x[k] < bbox[0]) bbox[0] = x[k];
        if (!k || y[k] < bbox[1]) bbox[1] = y[k];
        if (!k || x[k] > bbox[2]) bbox[2] = x[k];
        if (!k || y[k] > bbox[3]) bbox[3] = y[k];
    }
    if (ct) OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(dst);
    return ok;
}

static void date_time(cp_textbuf *b, const char *key, cp_date d, const char *time) {
    char t[11];
    cp_textbuf_printf(b, ",\n    \"%s\": \"%sT%sZ\"", key, cp_date_format(d, t), time);
}

/* The Item's header and id: the scenario's name as lower-case words joined by '-'. */
static void item_header(cp_textbuf *b, const cp_outputs *o) {
    char id[128];
    size_t n = 0;
    for (const char *p = o->title; *p && n < sizeof id - 1; ++p) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 128)
            id[n++] = (char)tolower(c);
        else if (n && id[n - 1] != '-')
            id[n++] = '-';
    }
    while (n && id[n - 1] == '-') --n;
    id[n] = '\0';
    cp_textbuf_puts(b,
                    "{\n  \"type\": \"Feature\",\n  \"stac_version\": \"1.0.0\",\n"
                    "  \"stac_extensions\": "
                    "[\"https://stac-extensions.github.io/projection/v1.1.0/schema.json\"],\n"
                    "  \"id\": ");
    cp_textbuf_json(b, n ? id : "clearplan");
}

/* The footprint in WGS 84 (a densified ring) and its bbox, or null. */
static void item_geometry(cp_textbuf *b, const cp_outputs *o) {
    double ring[4 * SIDE + 1][2], bbox[4] = {0};
    if (footprint(o, ring, bbox)) {
        cp_textbuf_puts(b, ",\n  \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[");
        for (int k = 0; k <= 4 * SIDE; ++k) {
            cp_textbuf_puts(b, k ? ", [" : "[");
            cp_textbuf_num(b, ring[k][0], "0");
            cp_textbuf_puts(b, ", ");
            cp_textbuf_num(b, ring[k][1], "0");
            cp_textbuf_puts(b, "]");
        }
        cp_textbuf_puts(b, "]]},\n  \"bbox\": [");
        for (int i = 0; i < 4; ++i) {
            if (i) cp_textbuf_puts(b, ", ");
            cp_textbuf_num(b, bbox[i], "0");
        }
        cp_textbuf_puts(b, "]");
    } else {
        cp_textbuf_puts(b, ",\n  \"geometry\": null");
    }
}

/* The properties: title, dates, projection, the scenario's deadline, the version. */
static void item_properties(cp_textbuf *b, const cp_outputs *o) {
    cp_textbuf_puts(b, ",\n  \"properties\": {\n    \"title\": ");
    cp_textbuf_json(b, o->title);
    cp_textbuf_puts(b, ",\n    \"description\": ");
    cp_textbuf_json(b,
                    "clearplan outputs: the priority of the land, and the release of the "
                    "hazardous areas planned to the Article 5 deadline");
    cp_date end = o->last_end > o->deadline ? o->last_end : o->deadline;
    date_time(b, "datetime", o->start, "00:00:00");
    date_time(b, "start_datetime", o->start, "00:00:00");
    date_time(b, "end_datetime", end, "23:59:59");
    time_t now = time(NULL);
    struct tm tm;
    char created[32] = "1970-01-01T00:00:00Z";
    if (gmtime_r(&now, &tm)) strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cp_textbuf_printf(b, ",\n    \"created\": \"%s\"", created);
    if (o->epsg > 0) {
        cp_textbuf_printf(b, ",\n    \"proj:epsg\": %d", o->epsg);
    } else {
        cp_textbuf_puts(b, ",\n    \"proj:epsg\": null");
        if (o->wkt) {
            cp_textbuf_puts(b, ",\n    \"proj:wkt2\": ");
            cp_textbuf_json(b, o->wkt);
        }
    }
    if (o->has_extent && o->wkt) {
        cp_textbuf_puts(b, ",\n    \"proj:bbox\": [");
        for (int i = 0; i < 4; ++i) {
            if (i) cp_textbuf_puts(b, ", ");
            cp_textbuf_num(b, o->extent[i], "0");
        }
        cp_textbuf_puts(b, "]");
    }
    char dl[11];
    cp_textbuf_puts(b, ",\n    \"clearplan:scenario\": ");
    cp_textbuf_json(b, o->title);
    cp_textbuf_printf(b, ",\n    \"clearplan:deadline\": \"%s\"", cp_date_format(o->deadline, dl));
    cp_textbuf_puts(b, ",\n    \"clearplan:version\": ");
    cp_textbuf_json(b, cp_version());
    cp_textbuf_puts(b, "\n  }");
}

/* The outputs present, as assets. */
static void output_assets(cp_textbuf *b, const cp_outputs *o, int *first) {
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; ++i) {
        if (!exists(o->dir, assets[i].file)) continue;
        char href[64];
        snprintf(href, sizeof href, "./%s", assets[i].file);
        asset(b, first, assets[i].key, href, assets[i].type, assets[i].roles, assets[i].title);
        if (assets[i].grid && o->nx) grid_fields(b, o);
        cp_textbuf_puts(b, "}");
    }
}

/* The reports of regions, report-<slug>.html, in name order. */
static void region_assets(cp_textbuf *b, const cp_outputs *o, int *first) {
    char(*rep)[128] = NULL;
    size_t nrep = 0, caprep = 0;
    DIR *dd = opendir(o->dir);
    for (struct dirent *e; dd && (e = readdir(dd));) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "report-", 7) || len < 13 || len >= 128 ||
            strcmp(e->d_name + len - 5, ".html"))
            continue;
        if (nrep == caprep) {
            caprep = caprep ? 2 * caprep : 8;
            char(*more)[128] = realloc(rep, caprep * sizeof *rep);
            if (!more) break;
            rep = more;
        }
        memcpy(rep[nrep++], e->d_name, len + 1);
    }
    if (dd) closedir(dd);
    if (nrep) qsort(rep, nrep, sizeof *rep, name_cmp);
    for (size_t i = 0; i < nrep; ++i) {
        char key[160], href[160];
        size_t len = strlen(rep[i]);
        snprintf(key, sizeof key, "report_%.*s", (int)(len - 12), rep[i] + 7);
        snprintf(href, sizeof href, "./%s", rep[i]);
        asset(b, first, key, href, "text/html", "\"overview\"", "Report of a region");
        cp_textbuf_puts(b, "}");
    }
    free(rep);
}

/* The criteria maps and the run record. */
static void other_assets(cp_textbuf *b, const cp_outputs *o, int *first) {
    for (int i = 0; o->criteria && o->criteria[i]; ++i) {
        char key[160], href[160], title[200];
        snprintf(key, sizeof key, "criterion_%s", o->criteria[i]);
        snprintf(href, sizeof href, "./criteria/%s.tif", o->criteria[i]);
        snprintf(title, sizeof title, "Criterion %s, normalised 0-1", o->criteria[i]);
        asset(b, first, key, href, COG, "\"data\"", title);
        if (o->nx) grid_fields(b, o);
        cp_textbuf_puts(b, "}");
    }
    if (o->run_file) {
        char href[160];
        snprintf(href, sizeof href, "./%s", o->run_file);
        asset(b, first, "run", href, "application/json", "\"metadata\"",
              "Run record: versions, inputs, timings, checksums, plan summary");
        cp_textbuf_puts(b, "}");
    }
}

cp_status cp_stac_write(const cp_outputs *o) {
    char path[4200];
    snprintf(path, sizeof path, "%s/stac.json", o->dir);
    cp_textbuf b = {0};
    item_header(&b, o);
    item_geometry(&b, o);
    item_properties(&b, o);
    cp_textbuf_puts(&b, ",\n  \"links\": [],\n  \"assets\": {");
    /* assets: the outputs present, the reports of regions, the criteria maps, the run record */
    int first = 1;
    output_assets(&b, o, &first);
    region_assets(&b, o, &first);
    other_assets(&b, o, &first);
    cp_textbuf_puts(&b, "\n  }\n}\n");
    cp_status st = b.failed ? cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path)
                            : cp_write_file(path, b.data, b.len);
    cp_textbuf_free(&b);
    return st;
}
