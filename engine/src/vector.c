/* Opening vector inputs with clear errors. */
#include <stdio.h>
#include <string.h>

#include <cpl_conv.h>

#include "error.h"
#include "vector.h"

void cp_vector_close(cp_vector *v) {
    if (!v) return;
    if (v->srs) OSRDestroySpatialReference(v->srs);
    if (v->ds) GDALClose(v->ds);
    memset(v, 0, sizeof *v);
}

cp_status cp_vector_open(const cp_input *in, cp_vector *v) {
    memset(v, 0, sizeof *v);
    CPLErrorReset();
    v->ds = GDALOpenEx(in->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!v->ds) {
        if (!CPLGetLastErrorMsg()[0])
            return cp_fail(CP_E_IO, "cannot open <%s>: not a readable vector file", in->path);
        return cp_fail_gdal(CP_E_IO, "cannot open <%s>", in->path);
    }
    if (in->layer) {
        v->layer = GDALDatasetGetLayerByName(v->ds, in->layer);
        if (!v->layer) {
            char names[512] = "";
            for (int i = 0; i < GDALDatasetGetLayerCount(v->ds); ++i) {
                if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
                strncat(names, OGR_L_GetName(GDALDatasetGetLayer(v->ds, i)),
                        sizeof names - strlen(names) - 1);
            }
            cp_status s = cp_fail(CP_E_FORMAT, "<%s>: no layer '%s' (layers: %s)", in->path,
                                  in->layer, names[0] ? names : "none");
            cp_vector_close(v);
            return s;
        }
    } else {
        if (GDALDatasetGetLayerCount(v->ds) < 1) {
            cp_vector_close(v);
            return cp_fail(CP_E_FORMAT, "<%s>: the file has no layer", in->path);
        }
        v->layer = GDALDatasetGetLayer(v->ds, 0);
    }
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(v->layer);
    /* GeoPackage layers without a CRS carry GDAL's "Undefined ... SRS" placeholders */
    const char *srs_name = srs ? OSRGetName(srs) : NULL;
    if (srs_name && !strncmp(srs_name, "Undefined", 9)) srs = NULL;
    if (srs) {
        v->srs = OSRClone(srs);
    } else if (in->assume_crs) {
        v->srs = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(v->srs, in->assume_crs) != OGRERR_NONE) {
            cp_vector_close(v);
            return cp_fail(CP_E_CRS, "<%s>: unknown assume_crs '%s'", in->path, in->assume_crs);
        }
    } else {
        cp_vector_close(v);
        return cp_fail(CP_E_CRS,
                       "<%s>: layer has no coordinate reference system; set inputs.%s.assume_crs "
                       "(e.g. EPSG:4326) if you know it",
                       in->path, in->name ? in->name : "?");
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
