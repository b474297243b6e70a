/* The look of clearplan's outputs in a GIS and their description for catalogues
 * (cp_outputs_describe): what the folder holds, the QGIS styles (QML) and SLDs of its layers,
 * the QGIS project and the STAC Item. Not part of the public API. */
#ifndef CP_STYLES_H
#define CP_STYLES_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/describe.h>

#include "plan_internal.h"

/* The five priority classes (1..5 in priority_class.tif): name and colour (ColorBrewer
 * RdYlBu, reversed). The class map's colour table, its styles and the priority ramp use
 * these. */
typedef struct {
    const char *name;
    unsigned char r, g, b;
} cp_class_style;
enum { CP_NCLASSES = 5 };
extern const cp_class_style cp_priority_classes[CP_NCLASSES];

/* A layer of plan.gpkg as found in the file. */
typedef struct {
    char *name;
    char *geom_column; /* "" without geometry */
    int geom_type;     /* OGRwkbGeometryType, flattened; 0 (wkbUnknown) or 100 (wkbNone) */
    char **fields;     /* field names in order (CSL list) */
} cp_out_layer;

/* What an output folder holds, read from the files themselves. */
typedef struct {
    const char *dir;
    const char *title; /* info->title or "clearplan" */
    cp_date start, deadline;
    const char *run_file;
    int has_priority, has_class; /* priority.tif, priority_class.tif */
    int64_t nx, ny;              /* their grid */
    double gt[6];
    cp_out_layer *layers; /* plan.gpkg's layers (none when there is no plan.gpkg) */
    size_t nlayers;
    int has_gpkg;
    int *years; /* distinct years of the hazards' `year`, ascending */
    size_t nyears;
    cp_date last_end; /* latest `end` of the hazards; 0 = none */
    char *wkt;        /* CRS of the outputs (WKT), NULL = none */
    int epsg;         /* its EPSG code, 0 = none */
    double extent[4]; /* xmin, ymin, xmax, ymax in that CRS */
    int has_extent;
    char **criteria; /* criteria/<name>.tif found (names, CSL list) */
} cp_outputs;

/* The style elements of a vector layer (renderer, labels, aliases, table settings: the
 * children a QML's <qgis> and a project's <maplayer> share) and whether it has labels. */
void cp_style_vector_body(const cp_outputs *o, const cp_out_layer *l, cp_textbuf *b, int *labels);
/* The same for priority.tif (`classes` 0) or priority_class.tif (1). */
void cp_style_raster_body(int classes, cp_textbuf *b);
/* A whole QML document around a body. */
void cp_style_qml(const char *body, int labels, cp_textbuf *b);
/* The layer's name in the project ("Hazards by year work ends"); its own name when unknown;
 * whether it is drawn on the map (a table is not); its place in the project (lower first). */
const char *cp_style_title(const cp_out_layer *l);
int cp_style_order(const cp_out_layer *l);
/* Writes the layer styles and field aliases into plan.gpkg, and the raster styles beside the
 * rasters. */
cp_status cp_styles_write(const cp_outputs *o);

/* Writes plan.qgs when the folder has a layer to show. */
cp_status cp_project_write(const cp_outputs *o);

/* Writes stac.json. */
cp_status cp_stac_write(const cp_outputs *o);

/* Appends ` name="value"` with value escaped for XML. */
void cp_xml_attr(cp_textbuf *b, const char *name, const char *value);
/* Appends a <spatialrefsys> element for a CRS (WKT, and its EPSG code when it has one). */
void cp_xml_srs(cp_textbuf *b, const char *wkt, int epsg);

#endif
