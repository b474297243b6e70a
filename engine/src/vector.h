/* Opening vector inputs with clear errors: the layer, its CRS (or the assumed one). */
#ifndef CP_VECTOR_H
#define CP_VECTOR_H

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <clearplan/scenario.h>

typedef struct {
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRSpatialReferenceH srs; /* owned, traditional GIS axis order */
} cp_vector;

/* Opens in->path, picks in->layer (or the first layer) and its CRS; in->assume_crs is used
 * when the layer has none. Errors name the file and the reason. */
cp_status cp_vector_open(const cp_input *in, cp_vector *v);
void cp_vector_close(cp_vector *v);
/* Index of a required attribute field, or an error naming the file, field and the fields
 * the layer does have. */
cp_status cp_vector_field(const cp_vector *v, const char *path, const char *what, const char *field,
                          int *index);

#endif
