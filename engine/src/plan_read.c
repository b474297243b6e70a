/* Reading a scored hazards table for re-planning (`clearplan plan`): clearplan's own
 * plan.gpkg / plan.csv, or any OGR-readable table with the required columns. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/plan.h>

#include "error.h"
#include "intake.h"
#include "plan_internal.h"

/* Columns an earlier plan wrote that the planner recomputes: dropped on reading. */
static const char *const derived_columns[] = {
    "rank",      "cancel_m2", "reduce_m2",     "clear_m2",     "efficiency",
    "start",     "end",       "year",          "team",         "packages",
    "WKT",       "cost_usd",  "nts_team_days", "ts_team_days", "clear_team_days",
    "team_days", "nts_end",   "ts_end",        "clear_end",    "unscheduled_packages",
    NULL};

/* A class_m2_<code> or class_m2_other column: 1 with *code set (INT_MIN for other). */
static int class_column(const char *name, int *code) {
    static const char prefix[] = "class_m2_";
    if (strncasecmp(name, prefix, sizeof prefix - 1)) return 0;
    const char *p = name + sizeof prefix - 1;
    if (!strcasecmp(p, "other")) {
        *code = INT_MIN;
        return 1;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || *end || errno || v < INT_MIN + 1 || v > INT_MAX) return 0;
    *code = (int)v;
    return 1;
}

static int is_derived(const char *name) {
    for (size_t i = 0; derived_columns[i]; ++i)
        if (!strcasecmp(name, derived_columns[i])) return 1;
    return 0;
}

/* Parses a whole string as a number (surrounding blanks allowed). */
static int parse_number(const char *s, double *out) {
    while (isspace((unsigned char)*s)) ++s;
    if (!*s) return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE) return 0;
    while (isspace((unsigned char)*end)) ++end;
    if (*end) return 0;
    *out = v;
    return 1;
}

void cp_hazard_table_free(cp_hazard_table *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n; ++i) {
        cp_hazard *h = &t->hazards[i];
        free((char *)h->id);
        free((char *)h->region);
        free((unsigned char *)h->wkb);
        if (h->extra) {
            for (size_t c = 0; c < t->ncolumns; ++c) free((char *)h->extra[c].text);
            free((cp_plan_value *)h->extra);
        }
    }
    for (size_t i = 0; i < t->n; ++i) free((double *)t->hazards[i].class_m2);
    free(t->hazards);
    free(t->classes);
    for (size_t c = 0; c < t->ncolumns; ++c) free((char *)t->columns[c].name);
    free(t->columns);
    free(t->crs_wkt);
    free(t->layer);
    free(t);
}

typedef struct {
    const char *path;
    OGRFeatureH f;
    size_t row;
    const char *id;
} row_ctx;

/* A numeric field: required ones must be set, all must be finite and >= 0 unless `any`. */
static cp_status get_number(const row_ctx *r, int idx, const char *name, int required, int any,
                            double *out) {
    *out = NAN;
    if (idx < 0) return CP_OK;
    if (!OGR_F_IsFieldSetAndNotNull(r->f, idx)) {
        if (!required) return CP_OK;
        return cp_fail(CP_E_FORMAT, "%s: row %zu (hazard %s): %s is empty", r->path, r->row, r->id,
                       name);
    }
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(r->f, idx));
    double v;
    if (t == OFTReal || t == OFTInteger || t == OFTInteger64) {
        v = OGR_F_GetFieldAsDouble(r->f, idx);
    } else {
        const char *s = OGR_F_GetFieldAsString(r->f, idx);
        if (!parse_number(s, &v)) {
            const char *p = s;
            while (isspace((unsigned char)*p)) ++p;
            if (!*p && !required) return CP_OK;
            if (!*p)
                return cp_fail(CP_E_FORMAT, "%s: row %zu (hazard %s): %s is empty", r->path, r->row,
                               r->id, name);
            return cp_fail(CP_E_FORMAT, "%s: row %zu (hazard %s): %s '%s' is not a number", r->path,
                           r->row, r->id, name, s);
        }
    }
    if (!isfinite(v))
        return cp_fail(CP_E_FORMAT, "%s: row %zu (hazard %s): %s is not a finite number", r->path,
                       r->row, r->id, name);
    if (!any && v < 0)
        return cp_fail(CP_E_FORMAT, "%s: row %zu (hazard %s): %s is negative (%g)", r->path, r->row,
                       r->id, name, v);
    *out = v;
    return CP_OK;
}

/* The class areas of a row (t->nclasses columns, then other; -1 = no column): none when all
 * are empty, an empty one otherwise counts 0. */
static cp_status read_classes(const row_ctx *r, const cp_hazard_table *t, const int *idx,
                              cp_hazard *h) {
    double *v = calloc(t->nclasses + 1, sizeof *v);
    if (!v) return cp_fail(CP_E_NOMEM, "out of memory");
    int any = 0;
    for (size_t k = 0; k <= t->nclasses; ++k) {
        char name[32];
        snprintf(name, sizeof name, k < t->nclasses ? "class_m2_%d" : "class_m2_other",
                 k < t->nclasses ? t->classes[k] : 0);
        cp_status st = get_number(r, idx[k], name, 0, 0, &v[k]);
        if (st != CP_OK) {
            free(v);
            return st;
        }
        if (isnan(v[k]))
            v[k] = 0;
        else
            any = 1;
    }
    if (any)
        h->class_m2 = v;
    else
        free(v);
    return CP_OK;
}

static int text_is_number(const char *s) {
    double v;
    if (!parse_number(s, &v) || !isfinite(v)) return 0;
    while (isspace((unsigned char)*s)) ++s;
    if (*s == '-' || *s == '+') ++s;
    if (s[0] == '0' && isdigit((unsigned char)s[1])) return 0; /* a code like "007" */
    return 1;
}

/* A table being read: where each column the planner knows is (-1: absent), and the extra
 * columns carried through. */
typedef struct {
    const char *path;
    OGRLayerH layer;
    cp_hazard_table *t;
    int ri[5]; /* hazard_id, status, area_m2, benefit, cost_team_days */
    int i_region, i_covered, i_pmean, i_pmax, i_people, i_locked;
    int has_classes;
    int *class_idx;         /* t->nclasses class columns, then class_m2_other */
    int *extra_idx;         /* the field of each extra column */
    int *numeric_candidate; /* a text extra column whose values so far are all numbers */
} table_reader;

/* The layer: `layer_name`, else "hazards", else the first. */
static cp_status reader_layer(GDALDatasetH ds, const char *path, const char *layer_name,
                              OGRLayerH *out) {
    if (layer_name) {
        *out = GDALDatasetGetLayerByName(ds, layer_name);
        return *out ? CP_OK : cp_fail(CP_E_FORMAT, "%s: no layer <%s>", path, layer_name);
    }
    *out = GDALDatasetGetLayerByName(ds, "hazards");
    if (!*out && GDALDatasetGetLayerCount(ds) > 0) *out = GDALDatasetGetLayer(ds, 0);
    return *out ? CP_OK : cp_fail(CP_E_FORMAT, "%s: no layer to read", path);
}

/* The columns: land-cover class areas (class_m2_<code> in order, then class_m2_other), the
 * required and known ones, and the extra ones (any other but those a plan derives). */
static cp_status reader_columns(table_reader *r) {
    cp_hazard_table *t = r->t;
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(r->layer);
    int nf = OGR_FD_GetFieldCount(fd);
    r->class_idx = malloc(((size_t)nf + 1) * sizeof *r->class_idx);
    t->classes = malloc(((size_t)nf + 1) * sizeof *t->classes);
    r->extra_idx = malloc(((size_t)nf + 1) * sizeof *r->extra_idx);
    r->numeric_candidate = calloc((size_t)nf + 1, sizeof *r->numeric_candidate);
    t->columns = calloc((size_t)nf + 1, sizeof *t->columns);
    if (!r->class_idx || !t->classes || !r->extra_idx || !r->numeric_candidate || !t->columns)
        return cp_fail(CP_E_NOMEM, "out of memory");
    int i_other = -1, code;
    for (int k = 0; k < nf; ++k) {
        if (!class_column(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, k)), &code)) continue;
        if (code == INT_MIN) {
            i_other = k;
        } else {
            r->class_idx[t->nclasses] = k;
            t->classes[t->nclasses++] = code;
        }
    }
    r->has_classes = t->nclasses > 0 || i_other >= 0;
    r->class_idx[t->nclasses] = i_other;

    static const char *const required[] = {"hazard_id", "status", "area_m2", "benefit",
                                           "cost_team_days"};
    char missing[512] = "";
    for (int k = 0; k < 5; ++k) {
        r->ri[k] = OGR_FD_GetFieldIndex(fd, required[k]);
        if (r->ri[k] < 0 && !(k == 4 && r->has_classes)) {
            if (missing[0]) strncat(missing, ", ", sizeof missing - strlen(missing) - 1);
            strncat(missing, required[k], sizeof missing - strlen(missing) - 1);
        }
    }
    if (missing[0])
        return cp_fail(CP_E_FORMAT,
                       "%s: missing column%s %s (a hazards table needs hazard_id, status, "
                       "area_m2, benefit, cost_team_days)",
                       r->path, strchr(missing, ',') ? "s" : "", missing);
    r->i_region = OGR_FD_GetFieldIndex(fd, "region");
    r->i_covered = OGR_FD_GetFieldIndex(fd, "covered_m2");
    r->i_pmean = OGR_FD_GetFieldIndex(fd, "priority_mean");
    r->i_pmax = OGR_FD_GetFieldIndex(fd, "priority_max");
    r->i_people = OGR_FD_GetFieldIndex(fd, "people_within_m");
    r->i_locked = OGR_FD_GetFieldIndex(fd, "locked");

    const int known[] = {r->ri[0],     r->ri[1],   r->ri[2],  r->ri[3],    r->ri[4],   r->i_region,
                         r->i_covered, r->i_pmean, r->i_pmax, r->i_people, r->i_locked};
    for (int k = 0; k < nf; ++k) {
        int is_known = 0;
        for (size_t q = 0; q < sizeof known / sizeof known[0]; ++q) is_known |= known[q] == k;
        OGRFieldDefnH d = OGR_FD_GetFieldDefn(fd, k);
        const char *name = OGR_Fld_GetNameRef(d);
        if (is_known || is_derived(name) || class_column(name, &code)) continue;
        OGRFieldType ft = OGR_Fld_GetType(d);
        cp_plan_column *c = &t->columns[t->ncolumns];
        if (!(c->name = cp_strdup(name))) return cp_fail(CP_E_NOMEM, "out of memory");
        c->type = ft == OFTReal                              ? CP_VALUE_REAL
                  : (ft == OFTInteger || ft == OFTInteger64) ? CP_VALUE_INTEGER
                                                             : CP_VALUE_TEXT;
        r->numeric_candidate[t->ncolumns] = ft == OFTString;
        r->extra_idx[t->ncolumns++] = k;
    }
    return CP_OK;
}

/* hazard_id: the same text as `run` gives an id of any field type (io/intake.h). */
static cp_status row_id(const table_reader *r, row_ctx *rc, cp_hazard *h) {
    char *text = NULL;
    cp_status st = cp_field_text(rc->f, r->ri[0], &text);
    if (st != CP_OK) return st;
    /* as `run` reads it: verbatim (" HZ-1" is not "HZ-1"), missing when blank */
    const char *id = text ? text : "", *p = id;
    while (isspace((unsigned char)*p)) ++p;
    int empty = !*p;
    h->id = empty ? NULL : cp_strdup(id);
    free(text);
    if (empty) return cp_fail(CP_E_FORMAT, "%s: row %zu: hazard_id is empty", r->path, rc->row);
    if (!h->id) return cp_fail(CP_E_NOMEM, "out of memory");
    rc->id = h->id;
    return CP_OK;
}

/* status: as cp_status_text reads it (the hazards layer's spellings). */
static cp_status row_status(const table_reader *r, const row_ctx *rc, cp_hazard *h) {
    OGRFeatureH f = rc->f;
    const char *s =
        OGR_F_IsFieldSetAndNotNull(f, r->ri[1]) ? OGR_F_GetFieldAsString(f, r->ri[1]) : "";
    if (cp_status_text(s, &h->status))
        return cp_fail(CP_E_FORMAT,
                       "%s: row %zu (hazard %s): status '%s' is not " CP_STATUS_SPELLINGS, r->path,
                       rc->row, h->id, s);
    return CP_OK;
}

/* The geometry (kept as ISO WKB) and the extra columns' values. */
static cp_status row_geometry_extras(table_reader *r, const row_ctx *rc, cp_hazard *h) {
    OGRFeatureH f = rc->f;
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g && !OGR_G_IsEmpty(g)) {
        size_t wl = (size_t)OGR_G_WkbSize(g);
        unsigned char *w = malloc(wl ? wl : 1);
        if (!w) return cp_fail(CP_E_NOMEM, "out of memory");
        OGR_G_ExportToIsoWkb(g, wkbNDR, w);
        h->wkb = w;
        h->wkb_len = wl;
    }
    const cp_hazard_table *t = r->t;
    if (!t->ncolumns) return CP_OK;
    cp_plan_value *v = calloc(t->ncolumns, sizeof *v);
    if (!v) return cp_fail(CP_E_NOMEM, "out of memory");
    h->extra = v;
    for (size_t c = 0; c < t->ncolumns; ++c) {
        int k = r->extra_idx[c];
        if (!OGR_F_IsFieldSetAndNotNull(f, k)) {
            v[c].is_null = 1;
            continue;
        }
        switch (t->columns[c].type) {
            case CP_VALUE_REAL:
                v[c].real = OGR_F_GetFieldAsDouble(f, k);
                break;
            case CP_VALUE_INTEGER:
                v[c].integer = OGR_F_GetFieldAsInteger64(f, k);
                break;
            default: {
                const char *tx = OGR_F_GetFieldAsString(f, k);
                if (!tx[0]) {
                    v[c].is_null = 1;
                    break;
                }
                if (!(v[c].text = cp_strdup(tx))) return cp_fail(CP_E_NOMEM, "out of memory");
                if (r->numeric_candidate[c] && !text_is_number(tx)) r->numeric_candidate[c] = 0;
            }
        }
    }
    return CP_OK;
}

/* One feature into the table's next hazard. */
static cp_status reader_row(table_reader *r, OGRFeatureH f) {
    cp_hazard_table *t = r->t;
    cp_hazard *h = &t->hazards[t->n++];
    cp_hazard_init(h);
    row_ctx rc = {r->path, f, t->n, "?"};
    cp_status st;
    if ((st = row_id(r, &rc, h)) != CP_OK || (st = row_status(r, &rc, h)) != CP_OK) return st;
    if ((st = get_number(&rc, r->ri[2], "area_m2", 1, 0, &h->area_m2)) != CP_OK ||
        (st = get_number(&rc, r->ri[3], "benefit", 1, 0, &h->benefit)) != CP_OK ||
        (st = get_number(&rc, r->ri[4], "cost_team_days", !r->has_classes, 0,
                         &h->cost_team_days)) != CP_OK ||
        (st = get_number(&rc, r->i_covered, "covered_m2", 0, 0, &h->covered_m2)) != CP_OK ||
        (st = get_number(&rc, r->i_pmean, "priority_mean", 0, 1, &h->priority_mean)) != CP_OK ||
        (st = get_number(&rc, r->i_pmax, "priority_max", 0, 1, &h->priority_max)) != CP_OK ||
        (st = get_number(&rc, r->i_people, "people_within_m", 0, 0, &h->people_within_m)) != CP_OK)
        return st;
    /* the part of the hazard on the grid: at most its area (an edited 1e12 planned for ever) */
    if (isfinite(h->covered_m2) && h->covered_m2 > h->area_m2 * (1 + 1e-9) + 1e-6)
        return cp_fail(CP_E_FORMAT,
                       "%s: row %zu (hazard %s): covered_m2 %.15g exceeds area_m2 %.15g", r->path,
                       rc.row, rc.id, h->covered_m2, h->area_m2);
    if (r->has_classes && (st = read_classes(&rc, t, r->class_idx, h)) != CP_OK) return st;
    if (r->i_region >= 0 && OGR_F_IsFieldSetAndNotNull(f, r->i_region)) {
        const char *rg = OGR_F_GetFieldAsString(f, r->i_region);
        if (rg[0] && !(h->region = cp_strdup(rg))) return cp_fail(CP_E_NOMEM, "out of memory");
    }
    if (r->i_locked >= 0 && OGR_F_IsFieldSetAndNotNull(f, r->i_locked)) {
        const char *lk = OGR_F_GetFieldAsString(f, r->i_locked);
        if (cp_locked_text(lk, &h->locked))
            return cp_fail(CP_E_FORMAT,
                           "%s: row %zu (hazard %s): locked '%s' is not " CP_LOCKED_SPELLINGS,
                           r->path, rc.row, rc.id, lk);
    }
    return row_geometry_extras(r, &rc, h);
}

/* Every feature, in layer order. */
static cp_status reader_rows(table_reader *r) {
    cp_hazard_table *t = r->t;
    GIntBig count = OGR_L_GetFeatureCount(r->layer, FALSE); /* -1 when it would need a scan */
    size_t cap = count > 0 ? (size_t)count : 1024;
    if (!(t->hazards = calloc(cap, sizeof *t->hazards)))
        return cp_fail(CP_E_NOMEM, "out of memory");
    OGR_L_ResetReading(r->layer);
    OGRFeatureH f;
    cp_status st = CP_OK;
    while (st == CP_OK && (f = OGR_L_GetNextFeature(r->layer)) != NULL) {
        if (t->n == cap) {
            cp_hazard *nh = realloc(t->hazards, 2 * cap * sizeof *nh);
            if (!nh) {
                OGR_F_Destroy(f);
                return cp_fail(CP_E_NOMEM, "out of memory");
            }
            memset(nh + cap, 0, cap * sizeof *nh);
            t->hazards = nh;
            cap *= 2;
        }
        st = reader_row(r, f);
        OGR_F_Destroy(f);
    }
    if (st == CP_OK && CPLGetLastErrorType() >= CE_Failure)
        st = cp_fail_gdal(CP_E_FORMAT, "%s: cannot read <%s>", r->path, t->layer);
    return st;
}

/* Text columns whose values are all numbers (CSV) become real columns. */
static void reader_numeric_columns(table_reader *r) {
    cp_hazard_table *t = r->t;
    for (size_t c = 0; c < t->ncolumns; ++c) {
        if (!r->numeric_candidate[c]) continue;
        t->columns[c].type = CP_VALUE_REAL;
        for (size_t i = 0; i < t->n; ++i) {
            cp_plan_value *v = (cp_plan_value *)&t->hazards[i].extra[c];
            if (v->is_null) continue;
            parse_number(v->text, &v->real);
            free((char *)v->text);
            v->text = NULL;
        }
    }
}

/* In a GeoPackage (SQLite: a column's declared type does not bind its values), the first
 * numeric column holding a value that is not a number is refused: OGR reads text in a REAL
 * column as 0, and the plan would be made of zeros (an area, a cost). */
static cp_status reader_sqlite_types(GDALDatasetH ds, OGRLayerH layer, const char *path) {
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    if (!drv || strcmp(GDALGetDriverShortName(drv), "GPKG")) return CP_OK;
    OGRFeatureDefnH def = OGR_L_GetLayerDefn(layer);
    const char *fid = OGR_L_GetFIDColumn(layer);
    cp_status s = CP_OK;
    for (int k = 0; k < OGR_FD_GetFieldCount(def) && !s; ++k) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(def, k);
        OGRFieldType t = OGR_Fld_GetType(fd);
        if (t != OFTReal && t != OFTInteger && t != OFTInteger64) continue;
        char *col = CPLEscapeString(OGR_Fld_GetNameRef(fd), -1, CPLES_SQLI);
        char *tab = CPLEscapeString(OGR_L_GetName(layer), -1, CPLES_SQLI);
        char *id = CPLEscapeString(fid && *fid ? fid : "rowid", -1, CPLES_SQLI);
        char *sql =
            CPLStrdup(CPLSPrintf("SELECT CAST(\"%s\" AS TEXT) AS at_row, CAST(\"%s\" AS "
                                 "TEXT) AS value FROM \"%s\" WHERE typeof(\"%s\") NOT IN "
                                 "('integer', 'real', 'null') LIMIT 1",
                                 id, col, tab, col));
        OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
        OGRFeatureH f = res ? OGR_L_GetNextFeature(res) : NULL;
        if (f) {
            char row[64];
            snprintf(row, sizeof row, "%s", OGR_F_GetFieldAsString(f, 0));
            s = cp_fail(CP_E_FORMAT,
                        "%s: feature %s: %s holds '%s', which is not a number, in a column of "
                        "numbers",
                        path, row, OGR_Fld_GetNameRef(fd), OGR_F_GetFieldAsString(f, 1));
        }
        if (f) OGR_F_Destroy(f);
        if (res) GDALDatasetReleaseResultSet(ds, res);
        CPLFree(sql), CPLFree(col), CPLFree(tab), CPLFree(id);
    }
    return s;
}

static cp_status hazard_table_read_quietly(const char *path, const char *layer_name,
                                           cp_hazard_table **out) {
    if (!path || !out) return cp_fail(CP_E_ARG, "cp_hazard_table_read: NULL argument");
    *out = NULL;
    struct stat sb;
    if (strncmp(path, "/vsi", 4) && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
        return cp_fail(CP_E_FORMAT,
                       "%s: the file is empty (a table of hazards has a header row "
                       "and a row per hazard)",
                       path);
    table_reader r = {.path = path};
    if (!(r.t = calloc(1, sizeof *r.t))) return cp_fail(CP_E_NOMEM, "out of memory");
    CPLErrorReset();
    const char *ext = CPLGetExtension(path);
    char *csv_opts[] = {"KEEP_GEOM_COLUMNS=NO", NULL};
    GDALDatasetH ds =
        GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                   !strcasecmp(ext, "csv") ? (const char *const *)csv_opts : NULL, NULL);
    cp_status st = ds ? reader_layer(ds, path, layer_name, &r.layer)
                      : cp_fail_gdal(CP_E_IO, "cannot open %s", path);
    if (st == CP_OK) {
        r.t->layer = cp_strdup(OGR_L_GetName(r.layer));
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(r.layer);
        char *wkt = NULL;
        if (srs && OSRExportToWkt(srs, &wkt) == OGRERR_NONE && wkt) r.t->crs_wkt = cp_strdup(wkt);
        CPLFree(wkt);
        st = reader_sqlite_types(ds, r.layer, path);
        if (st == CP_OK) st = reader_columns(&r);
    }
    if (st == CP_OK) st = reader_rows(&r);
    if (st == CP_OK && r.t->n == 0) /* "0 hazards, deadline met" would be a lie */
        st = cp_fail(CP_E_FORMAT, "%s: no hazard to plan: the table has no rows", path);
    if (st == CP_OK) {
        reader_numeric_columns(&r);
        *out = r.t;
        r.t = NULL;
    }
    if (ds) GDALClose(ds);
    free(r.extra_idx);
    free(r.numeric_candidate);
    free(r.class_idx);
    cp_hazard_table_free(r.t);
    return st;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_hazard_table_read(const char *path, const char *layer_name, cp_hazard_table **out) {
    cp_gdal_quiet_begin();
    cp_status s = hazard_table_read_quietly(path, layer_name, out);
    cp_gdal_quiet_end();
    return s;
}
