/* Reading a scored hazards table for re-planning (`clearplan plan`): clearplan's own
 * plan.gpkg / plan.csv, or any OGR-readable table with the required columns. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static cp_status hazard_table_read_quietly(const char *path, const char *layer_name,
                                           cp_hazard_table **out) {
    if (!path || !out) return cp_fail(CP_E_ARG, "cp_hazard_table_read: NULL argument");
    *out = NULL;
    cp_status st = CP_OK;
    cp_hazard_table *t = calloc(1, sizeof *t);
    int *extra_idx = NULL, *numeric_candidate = NULL, *class_idx = NULL;
    if (!t) return cp_fail(CP_E_NOMEM, "out of memory");
    CPLErrorReset();
    const char *ext = CPLGetExtension(path);
    char *csv_opts[] = {"KEEP_GEOM_COLUMNS=NO", NULL};
    GDALDatasetH ds =
        GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                   !strcasecmp(ext, "csv") ? (const char *const *)csv_opts : NULL, NULL);
    if (!ds) {
        st = cp_fail_gdal(CP_E_IO, "cannot open %s", path);
        goto done;
    }
    OGRLayerH l = NULL;
    if (layer_name) {
        l = GDALDatasetGetLayerByName(ds, layer_name);
        if (!l) {
            st = cp_fail(CP_E_FORMAT, "%s: no layer <%s>", path, layer_name);
            goto done;
        }
    } else {
        l = GDALDatasetGetLayerByName(ds, "hazards");
        if (!l && GDALDatasetGetLayerCount(ds) > 0) l = GDALDatasetGetLayer(ds, 0);
        if (!l) {
            st = cp_fail(CP_E_FORMAT, "%s: no layer to read", path);
            goto done;
        }
    }
    t->layer = cp_strdup(OGR_L_GetName(l));
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(l);
    if (srs) {
        char *wkt = NULL;
        if (OSRExportToWkt(srs, &wkt) == OGRERR_NONE && wkt) t->crs_wkt = cp_strdup(wkt);
        CPLFree(wkt);
    }
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(l);
    int nf = OGR_FD_GetFieldCount(fd);
    /* land-cover class areas: class_m2_<code> columns in order, then class_m2_other */
    class_idx = malloc(((size_t)nf + 1) * sizeof *class_idx);
    t->classes = malloc(((size_t)nf + 1) * sizeof *t->classes);
    if (!class_idx || !t->classes) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    int i_other = -1;
    for (int k = 0; k < nf; ++k) {
        int code;
        if (!class_column(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, k)), &code)) continue;
        if (code == INT_MIN) {
            i_other = k;
        } else {
            class_idx[t->nclasses] = k;
            t->classes[t->nclasses++] = code;
        }
    }
    int has_classes = t->nclasses > 0 || i_other >= 0;
    class_idx[t->nclasses] = i_other;
    static const char *const required[] = {"hazard_id", "status", "area_m2", "benefit",
                                           "cost_team_days"};
    int ri[5];
    char missing[512] = "";
    for (int k = 0; k < 5; ++k) {
        ri[k] = OGR_FD_GetFieldIndex(fd, required[k]);
        if (ri[k] < 0 && !(k == 4 && has_classes)) {
            if (missing[0]) strncat(missing, ", ", sizeof missing - strlen(missing) - 1);
            strncat(missing, required[k], sizeof missing - strlen(missing) - 1);
        }
    }
    if (missing[0]) {
        st = cp_fail(CP_E_FORMAT,
                     "%s: missing column%s %s (a hazards table needs hazard_id, status, area_m2, "
                     "benefit, cost_team_days)",
                     path, strchr(missing, ',') ? "s" : "", missing);
        goto done;
    }
    int i_region = OGR_FD_GetFieldIndex(fd, "region");
    int i_covered = OGR_FD_GetFieldIndex(fd, "covered_m2");
    int i_pmean = OGR_FD_GetFieldIndex(fd, "priority_mean");
    int i_pmax = OGR_FD_GetFieldIndex(fd, "priority_max");
    int i_people = OGR_FD_GetFieldIndex(fd, "people_within_m");
    int i_locked = OGR_FD_GetFieldIndex(fd, "locked");
    extra_idx = malloc(((size_t)nf + 1) * sizeof *extra_idx);
    numeric_candidate = calloc((size_t)nf + 1, sizeof *numeric_candidate);
    t->columns = calloc((size_t)nf + 1, sizeof *t->columns);
    if (!extra_idx || !numeric_candidate || !t->columns) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < nf; ++k) {
        int code;
        if (k == ri[0] || k == ri[1] || k == ri[2] || k == ri[3] || k == ri[4] || k == i_region ||
            k == i_covered || k == i_pmean || k == i_pmax || k == i_people || k == i_locked)
            continue;
        OGRFieldDefnH d = OGR_FD_GetFieldDefn(fd, k);
        const char *name = OGR_Fld_GetNameRef(d);
        if (is_derived(name) || class_column(name, &code)) continue;
        OGRFieldType ft = OGR_Fld_GetType(d);
        cp_plan_column *c = &t->columns[t->ncolumns];
        c->name = cp_strdup(name);
        if (!c->name) {
            st = cp_fail(CP_E_NOMEM, "out of memory");
            goto done;
        }
        c->type = ft == OFTReal                              ? CP_VALUE_REAL
                  : (ft == OFTInteger || ft == OFTInteger64) ? CP_VALUE_INTEGER
                                                             : CP_VALUE_TEXT;
        numeric_candidate[t->ncolumns] = ft == OFTString;
        extra_idx[t->ncolumns++] = k;
    }
    GIntBig count = OGR_L_GetFeatureCount(l, FALSE); /* -1 when it would need a scan */
    size_t cap = count > 0 ? (size_t)count : 1024;
    t->hazards = calloc(cap, sizeof *t->hazards);
    if (!t->hazards) {
        st = cp_fail(CP_E_NOMEM, "out of memory");
        goto done;
    }
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        if (t->n == cap) {
            cp_hazard *nh = realloc(t->hazards, 2 * cap * sizeof *nh);
            if (!nh) {
                OGR_F_Destroy(f);
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
            memset(nh + cap, 0, cap * sizeof *nh);
            t->hazards = nh;
            cap *= 2;
        }
        cp_hazard *h = &t->hazards[t->n++];
        cp_hazard_init(h);
        row_ctx r = {path, f, t->n, "?"};
        /* the same text as `run` gives an id of any field type (io/intake.h) */
        char *text = NULL;
        if ((st = cp_field_text(f, ri[0], &text)) != CP_OK) {
            OGR_F_Destroy(f);
            goto done;
        }
        const char *id = text ? text : "";
        while (isspace((unsigned char)*id)) ++id;
        int empty = !*id;
        h->id = empty ? NULL : cp_strdup(id);
        free(text);
        if (empty || !h->id) {
            st = empty ? cp_fail(CP_E_FORMAT, "%s: row %zu: hazard_id is empty", path, r.row)
                       : cp_fail(CP_E_NOMEM, "out of memory");
            OGR_F_Destroy(f);
            goto done;
        }
        r.id = h->id;
        const char *s =
            OGR_F_IsFieldSetAndNotNull(f, ri[1]) ? OGR_F_GetFieldAsString(f, ri[1]) : "";
        char sb[8] = "";
        size_t sl = 0;
        while (isspace((unsigned char)*s)) ++s;
        while (s[sl] && !isspace((unsigned char)s[sl]) && sl < 7) {
            sb[sl] = s[sl];
            ++sl;
        }
        sb[sl] = '\0';
        const char *rest = s + sl;
        while (isspace((unsigned char)*rest)) ++rest;
        if (!*rest && !strcasecmp(sb, "SHA"))
            h->status = CP_STATUS_SHA;
        else if (!*rest && !strcasecmp(sb, "CHA"))
            h->status = CP_STATUS_CHA;
        else {
            st = cp_fail(CP_E_FORMAT, "%s: row %zu (hazard %s): status '%s' is not SHA or CHA",
                         path, r.row, h->id, s);
            OGR_F_Destroy(f);
            goto done;
        }
        if ((st = get_number(&r, ri[2], "area_m2", 1, 0, &h->area_m2)) != CP_OK ||
            (st = get_number(&r, ri[3], "benefit", 1, 0, &h->benefit)) != CP_OK ||
            (st = get_number(&r, ri[4], "cost_team_days", !has_classes, 0, &h->cost_team_days)) !=
                CP_OK ||
            (st = get_number(&r, i_covered, "covered_m2", 0, 0, &h->covered_m2)) != CP_OK ||
            (st = get_number(&r, i_pmean, "priority_mean", 0, 1, &h->priority_mean)) != CP_OK ||
            (st = get_number(&r, i_pmax, "priority_max", 0, 1, &h->priority_max)) != CP_OK ||
            (st = get_number(&r, i_people, "people_within_m", 0, 0, &h->people_within_m)) !=
                CP_OK) {
            OGR_F_Destroy(f);
            goto done;
        }
        if (has_classes && (st = read_classes(&r, t, class_idx, h)) != CP_OK) {
            OGR_F_Destroy(f);
            goto done;
        }
        if (i_region >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_region)) {
            const char *rg = OGR_F_GetFieldAsString(f, i_region);
            if (rg[0]) {
                h->region = cp_strdup(rg);
                if (!h->region) {
                    OGR_F_Destroy(f);
                    st = cp_fail(CP_E_NOMEM, "out of memory");
                    goto done;
                }
            }
        }
        if (i_locked >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_locked)) {
            const char *lk = OGR_F_GetFieldAsString(f, i_locked);
            h->locked = !strcasecmp(lk, "1") || !strcasecmp(lk, "true") || !strcasecmp(lk, "yes") ||
                        !strcasecmp(lk, "y") || !strcasecmp(lk, "first");
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && !OGR_G_IsEmpty(g)) {
            size_t wl = (size_t)OGR_G_WkbSize(g);
            unsigned char *w = malloc(wl ? wl : 1);
            if (!w) {
                OGR_F_Destroy(f);
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
            OGR_G_ExportToIsoWkb(g, wkbNDR, w);
            h->wkb = w;
            h->wkb_len = wl;
        }
        if (t->ncolumns) {
            cp_plan_value *v = calloc(t->ncolumns, sizeof *v);
            if (!v) {
                OGR_F_Destroy(f);
                st = cp_fail(CP_E_NOMEM, "out of memory");
                goto done;
            }
            h->extra = v;
            for (size_t c = 0; c < t->ncolumns; ++c) {
                int k = extra_idx[c];
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
                        v[c].text = cp_strdup(tx);
                        if (!v[c].text) {
                            OGR_F_Destroy(f);
                            st = cp_fail(CP_E_NOMEM, "out of memory");
                            goto done;
                        }
                        if (numeric_candidate[c] && !text_is_number(tx)) numeric_candidate[c] = 0;
                    }
                }
            }
        }
        OGR_F_Destroy(f);
    }
    if (CPLGetLastErrorType() >= CE_Failure) {
        st = cp_fail_gdal(CP_E_FORMAT, "%s: cannot read <%s>", path, t->layer);
        goto done;
    }
    /* text columns whose values are all numbers (CSV) become real columns */
    for (size_t c = 0; c < t->ncolumns; ++c) {
        if (!numeric_candidate[c]) continue;
        t->columns[c].type = CP_VALUE_REAL;
        for (size_t i = 0; i < t->n; ++i) {
            cp_plan_value *v = (cp_plan_value *)&t->hazards[i].extra[c];
            if (v->is_null) continue;
            parse_number(v->text, &v->real);
            free((char *)v->text);
            v->text = NULL;
        }
    }
    *out = t;
    t = NULL;
done:
    if (ds) GDALClose(ds);
    free(extra_idx);
    free(numeric_candidate);
    free(class_idx);
    cp_hazard_table_free(t);
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
