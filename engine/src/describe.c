/* cp_outputs_describe (clearplan/describe.h): reads what an output folder holds from the files
 * themselves (the rasters' grid and CRS, plan.gpkg's layers, fields and the hazards' years),
 * then writes the styles, the QGIS project and the STAC Item from that, in this order. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "error.h"
#include "styles.h"

static int file_exists(const char *dir, const char *name) {
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* Takes the outputs' CRS from `srs` unless one is known already. */
static void take_crs(cp_outputs *o, OGRSpatialReferenceH srs) {
    if (o->wkt || !srs) return;
    char *wkt = NULL;
    const char *opts[] = {"FORMAT=WKT2_2019", NULL};
    if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE) {
        CPLFree(wkt);
        return;
    }
    o->wkt = strdup(wkt);
    CPLFree(wkt);
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    if (auth && code && !strcmp(auth, "EPSG")) o->epsg = atoi(code);
}

static void grow_extent(cp_outputs *o, const double e[4]) {
    if (!o->has_extent) {
        memcpy(o->extent, e, sizeof o->extent);
        o->has_extent = 1;
        return;
    }
    for (int i = 0; i < 2; ++i) {
        if (e[i] < o->extent[i]) o->extent[i] = e[i];
        if (e[i + 2] > o->extent[i + 2]) o->extent[i + 2] = e[i + 2];
    }
}

/* priority.tif (or else priority_class.tif): the grid, the CRS, the extent; criteria maps. */
static cp_status read_rasters(cp_outputs *o) {
    o->has_priority = file_exists(o->dir, "priority.tif");
    o->has_class = file_exists(o->dir, "priority_class.tif");
    if (!o->has_priority && !o->has_class) return CP_OK;
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", o->dir, o->has_priority ? "priority.tif" : "priority_class.tif");
    CPLErrorReset();
    GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
    if (!ds) return cp_fail_gdal(CP_E_IO, "cannot open <%s>", p);
    o->nx = GDALGetRasterXSize(ds);
    o->ny = GDALGetRasterYSize(ds);
    int ok = GDALGetGeoTransform(ds, o->gt) == CE_None && o->gt[2] == 0 && o->gt[4] == 0;
    if (ok) {
        double e[4] = {o->gt[0], o->gt[3] + o->gt[5] * (double)o->ny,
                       o->gt[0] + o->gt[1] * (double)o->nx, o->gt[3]};
        grow_extent(o, e);
        take_crs(o, GDALGetSpatialRef(ds));
    }
    GDALClose(ds);
    if (!ok) return cp_fail(CP_E_FORMAT, "<%s> has no north-up geotransform", p);
    snprintf(p, sizeof p, "%s/criteria", o->dir);
    char **names = VSIReadDir(p);
    for (int i = 0; names && names[i]; ++i) {
        size_t n = strlen(names[i]);
        if (n > 4 && !strcmp(names[i] + n - 4, ".tif")) {
            names[i][n - 4] = '\0';
            o->criteria = CSLAddString(o->criteria, names[i]);
        }
    }
    CSLDestroy(names);
    return CP_OK;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The distinct years of the hazards and their latest end, reading only those two fields. */
static cp_status read_years(cp_outputs *o, OGRLayerH l, const char *path) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(l);
    int fy = OGR_FD_GetFieldIndex(fd, "year"), fe = OGR_FD_GetFieldIndex(fd, "end");
    if (fy < 0) return CP_OK;
    char **ignored = CSLAddString(NULL, "OGR_GEOMETRY");
    for (int i = 0; i < OGR_FD_GetFieldCount(fd); ++i)
        if (i != fy && i != fe)
            ignored = CSLAddString(ignored, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)));
    OGR_L_SetIgnoredFields(l, (const char **)ignored);
    CSLDestroy(ignored);
    size_t cap = 0;
    cp_status st = CP_OK;
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while (!st && (f = OGR_L_GetNextFeature(l)) != NULL) {
        if (OGR_F_IsFieldSetAndNotNull(f, fy)) {
            int y = OGR_F_GetFieldAsInteger(f, fy);
            int seen = 0;
            for (size_t i = o->nyears; i-- > 0 && !seen;) seen = o->years[i] == y;
            if (!seen) {
                if (o->nyears == cap) {
                    cap = cap ? 2 * cap : 32;
                    int *ny = realloc(o->years, cap * sizeof *ny);
                    if (!ny) st = cp_fail(CP_E_NOMEM, "out of memory reading <%s>", path);
                    if (ny) o->years = ny;
                }
                if (!st) o->years[o->nyears++] = y;
            }
        }
        int y, m, d, h, mi, tz;
        float s;
        if (fe >= 0 && OGR_F_IsFieldSetAndNotNull(f, fe) &&
            OGR_F_GetFieldAsDateTimeEx(f, fe, &y, &m, &d, &h, &mi, &s, &tz)) {
            cp_date e = cp_date_make(y, m, d);
            if (e > o->last_end) o->last_end = e;
        }
        OGR_F_Destroy(f);
    }
    OGR_L_SetIgnoredFields(l, NULL);
    if (o->nyears) qsort(o->years, o->nyears, sizeof *o->years, cmp_int);
    return st;
}

/* plan.gpkg: its layers (but layer_styles), their fields, geometry, CRS and extent. */
static cp_status read_gpkg(cp_outputs *o) {
    if (!file_exists(o->dir, "plan.gpkg")) return CP_OK;
    char p[4200];
    snprintf(p, sizeof p, "%s/plan.gpkg", o->dir);
    CPLErrorReset();
    const char *drivers[] = {"GPKG", NULL};
    GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
    if (!ds) return cp_fail_gdal(CP_E_FORMAT, "cannot open <%s>", p);
    o->has_gpkg = 1;
    cp_status st = CP_OK;
    int n = GDALDatasetGetLayerCount(ds);
    o->layers = calloc(n > 0 ? (size_t)n : 1, sizeof *o->layers);
    if (!o->layers) {
        st = cp_fail(CP_E_NOMEM, "out of memory reading <%s>", p);
        goto done;
    }
    for (int i = 0; i < n && !st; ++i) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(l);
        if (!strcmp(name, "layer_styles")) continue;
        cp_out_layer *ol = &o->layers[o->nlayers++];
        ol->name = strdup(name);
        ol->geom_column = strdup(OGR_L_GetGeometryColumn(l));
        ol->geom_type = OGR_GT_Flatten(OGR_L_GetGeomType(l));
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(l);
        for (int k = 0; k < OGR_FD_GetFieldCount(fd); ++k)
            ol->fields = CSLAddString(ol->fields, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, k)));
        if (!ol->name || !ol->geom_column) {
            st = cp_fail(CP_E_NOMEM, "out of memory reading <%s>", p);
            break;
        }
        OGREnvelope env;
        if (ol->geom_column[0] && OGR_L_GetFeatureCount(l, TRUE) > 0 &&
            OGR_L_GetExtent(l, &env, TRUE) == OGRERR_NONE) {
            double e[4] = {env.MinX, env.MinY, env.MaxX, env.MaxY};
            take_crs(o, OGR_L_GetSpatialRef(l));
            grow_extent(o, e);
        }
        if (!strcmp(name, "hazards")) st = read_years(o, l, p);
    }
done:
    GDALClose(ds);
    return st;
}

static void outputs_clear(cp_outputs *o) {
    for (size_t i = 0; i < o->nlayers; ++i) {
        free(o->layers[i].name);
        free(o->layers[i].geom_column);
        CSLDestroy(o->layers[i].fields);
    }
    free(o->layers);
    free(o->years);
    free(o->wkt);
    CSLDestroy(o->criteria);
}

static cp_status outputs_describe_quietly(const char *dir, const cp_describe_info *info) {
    if (!dir || !info) return cp_fail(CP_E_ARG, "cp_outputs_describe: NULL argument");
    cp_outputs o = {0};
    o.dir = dir;
    o.title = info->title && info->title[0] ? info->title : "clearplan";
    o.start = info->start;
    o.deadline = info->deadline;
    o.run_file = info->run_file;
    struct stat sb;
    cp_status st = stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)
                       ? CP_OK
                       : cp_fail(CP_E_IO, "cannot describe <%s>: not a folder", dir);
    if (!st) st = read_rasters(&o);
    if (!st) st = read_gpkg(&o);
    if (!st) st = cp_styles_write(&o);
    if (!st) st = cp_project_write(&o);
    if (!st) st = cp_stac_write(&o);
    outputs_clear(&o);
    return st;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_outputs_describe(const char *dir, const cp_describe_info *info) {
    cp_gdal_quiet_begin();
    cp_status s = outputs_describe_quietly(dir, info);
    cp_gdal_quiet_end();
    return s;
}
