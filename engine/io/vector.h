/* Opening vector inputs with clear errors: the layer, its CRS (or the assumed one). Part of the
 * io layer (DESIGN §3): the engine and the tools open every vector file through here. */
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
    int assumed;              /* the layer has no CRS: srs is in->assume_crs */
    int assume_unused;        /* in->assume_crs names another CRS than the layer's own */
} cp_vector;

/* Opens in->path and picks its layer: in->layer, or the only layer of the file. A file with
 * several layers and no in->layer is an error that lists them (taking the first one silently
 * could read a point layer as hazards). The layer's CRS, or in->assume_crs when it has none
 * (GeoPackage's "Undefined" SRS counts as none). Errors name the file and the reason; their
 * advice names the setting to use: `inputs.<in->name>.layer` / `.assume_crs` for a scenario
 * input, `--layer` when in->name is NULL (a tool). A layer's own CRS wins over in->assume_crs
 * (v->assume_unused says when they differ). */
cp_status cp_vector_open(const cp_input *in, cp_vector *v);
void cp_vector_close(cp_vector *v);
/* Index of a required attribute field, or an error naming the file, field and the fields
 * the layer does have. */
cp_status cp_vector_field(const cp_vector *v, const char *path, const char *what, const char *field,
                          int *index);

#endif
