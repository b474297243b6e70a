/* Opening vector inputs with clear errors. */
#include <stdio.h>
#include <string.h>

#include <cpl_conv.h>

#include "error.h"
#include "raster.h"
#include "vector.h"

void cp_vector_close(cp_vector *v) {
    if (!v) return;
    if (v->srs) OSRDestroySpatialReference(v->srs);
    if (v->ds) GDALClose(v->ds);
    memset(v, 0, sizeof *v);
}

/* "a, b, c" (or "none"): the layers of a dataset, for messages. */
static void layer_names(GDALDatasetH ds, char *names, size_t n) {
    names[0] = '\0';
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
        if (i) strncat(names, ", ", n - strlen(names) - 1);
        strncat(names, OGR_L_GetName(GDALDatasetGetLayer(ds, i)), n - strlen(names) - 1);
    }
    if (!names[0]) snprintf(names, n, "none");
}

/* The advice that names the setting `key` (layer, assume_crs) of the input: a scenario key
 * `inputs.<name>.<key>`, a tool's option (--layer, --assume-crs), or, for grid.aoi (a path
 * only), to keep one layer in the file. */
static const char *advice(const cp_input *in, const char *key, char *buf, size_t n) {
    const int layer = !strcmp(key, "layer");
    if (!in->name)
        snprintf(buf, n, "; %s", layer ? "choose one with --layer" : "give one with --assume-crs");
    else if (!strncmp(in->name, "grid.", 5))
        snprintf(buf, n, "; %s must hold one layer", in->name);
    else
        snprintf(buf, n, "; set inputs.%s.%s", in->name, key);
    return buf;
}

cp_status cp_vector_open(const cp_input *in, cp_vector *v) {
    memset(v, 0, sizeof *v);
    char names[512], hint[160];
    CPLErrorReset();
    v->ds = GDALOpenEx(in->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!v->ds) {
        if (!CPLGetLastErrorMsg()[0])
            return cp_fail(CP_E_IO, "cannot open <%s>: not a readable vector file", in->path);
        return cp_fail_gdal(CP_E_IO, "cannot open <%s>", in->path);
    }
    int nlayers = GDALDatasetGetLayerCount(v->ds);
    cp_status s = CP_OK;
    if (in->layer) {
        v->layer = GDALDatasetGetLayerByName(v->ds, in->layer);
        if (!v->layer) {
            layer_names(v->ds, names, sizeof names);
            s = cp_fail(CP_E_FORMAT, "<%s> has no layer '%s' (layers: %s)", in->path, in->layer,
                        names);
        }
    } else if (nlayers < 1) {
        s = cp_fail(CP_E_FORMAT, "<%s>: the file has no layer", in->path);
    } else if (nlayers > 1) {
        layer_names(v->ds, names, sizeof names);
        s = cp_fail(CP_E_FORMAT, "<%s> has %d layers (%s) and none was chosen%s", in->path, nlayers,
                    names, advice(in, "layer", hint, sizeof hint));
    } else {
        v->layer = GDALDatasetGetLayer(v->ds, 0);
    }
    if (s) {
        cp_vector_close(v);
        return s;
    }
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(v->layer);
    /* GeoPackage layers without a CRS carry GDAL's "Undefined ... SRS" placeholders */
    const char *srs_name = srs ? OSRGetName(srs) : NULL;
    if (srs_name && !strncmp(srs_name, "Undefined", 9)) srs = NULL;
    if (srs) {
        v->srs = OSRClone(srs);
        v->assume_unused = cp_crs_assume_unused(srs, in->assume_crs);
    } else if (in->assume_crs) {
        v->assumed = 1;
        v->srs = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(v->srs, in->assume_crs) != OGRERR_NONE) {
            cp_vector_close(v);
            return cp_fail(CP_E_CRS, "<%s>: unknown %s '%s'", in->path,
                           in->name ? "assume_crs" : "--assume-crs", in->assume_crs);
        }
    } else {
        cp_vector_close(v);
        int keyed = !in->name || strncmp(in->name, "grid.", 5); /* has an assume_crs key */
        return cp_fail(CP_E_CRS, "<%s> has no coordinate reference system%s%s", in->path,
                       keyed ? advice(in, "assume_crs", hint, sizeof hint) : "",
                       keyed ? " (e.g. EPSG:4326) if you know it" : "");
    }
    OSRSetAxisMappingStrategy(v->srs, OAMS_TRADITIONAL_GIS_ORDER);
    return CP_OK;
}

cp_status cp_vector_field(const cp_vector *v, const char *path, const char *what, const char *field,
                          int *index) {
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(v->layer);
    *index = OGR_FD_GetFieldIndex(defn, field);
    if (*index >= 0) return CP_OK;
    char names[768] = "";
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
        if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)),
                sizeof names - strlen(names) - 1);
    }
    return cp_fail(CP_E_FORMAT, "<%s>: no field '%s' for the %s (fields: %s)", path, field, what,
                   names[0] ? names : "none");
}
