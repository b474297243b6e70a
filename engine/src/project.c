/* plan.qgs: a QGIS project over the outputs beside it, with relative paths, titled with the
 * scenario. Top to bottom: the hazards by year and the rejected ones, the priority classes
 * (hidden: they would cover the priority map), the priority map, and the tables in a group.
 * Each layer carries the same style as its default (styles.c), so the project and the files
 * opened alone look the same. The view starts on the outputs' extent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "styles.h"

typedef struct {
    const char *key, *name, *source, *provider; /* key: the layer's id after "clearplan_" */
    const cp_out_layer *vector;                 /* NULL for a raster */
    int classes;                                /* raster: priority_class.tif */
    int visible, order;
} project_layer;

static void extent_xml(cp_textbuf *b, const cp_outputs *o) {
    cp_textbuf_puts(b, "<extent><xmin>");
    cp_textbuf_num(b, o->extent[0], "0");
    cp_textbuf_puts(b, "</xmin><ymin>");
    cp_textbuf_num(b, o->extent[1], "0");
    cp_textbuf_puts(b, "</ymin><xmax>");
    cp_textbuf_num(b, o->extent[2], "0");
    cp_textbuf_puts(b, "</xmax><ymax>");
    cp_textbuf_num(b, o->extent[3], "0");
    cp_textbuf_puts(b, "</ymax></extent>");
}

static void tree_layer(cp_textbuf *b, const project_layer *l) {
    cp_textbuf_puts(b, "<layer-tree-layer id=\"clearplan_");
    cp_textbuf_html(b, l->key);
    cp_textbuf_puts(b, "\"");
    cp_xml_attr(b, "name", l->name);
    cp_xml_attr(b, "source", l->source);
    cp_xml_attr(b, "providerKey", l->provider);
    cp_xml_attr(b, "checked", l->visible ? "Qt::Checked" : "Qt::Unchecked");
    cp_textbuf_puts(b, " expanded=\"1\"/>\n");
}

static void map_layer(cp_textbuf *b, const cp_outputs *o, const project_layer *l) {
    int labels = 0;
    cp_textbuf body = {0};
    if (l->vector)
        cp_style_vector_body(o, l->vector, &body, &labels);
    else
        cp_style_raster_body(l->classes, &body);
    cp_textbuf_puts(b, "<maplayer");
    cp_xml_attr(b, "type", l->vector ? "vector" : "raster");
    cp_textbuf_printf(b, " labelsEnabled=\"%d\" styleCategories=\"AllStyleCategories\"><id>",
                      labels);
    cp_textbuf_puts(b, "clearplan_"); /* QGIS replaces some plain ids ("hazards") */
    cp_textbuf_html(b, l->key);
    cp_textbuf_puts(b, "</id><datasource>");
    cp_textbuf_html(b, l->source);
    cp_textbuf_puts(b, "</datasource><layername>");
    cp_textbuf_html(b, l->name);
    cp_textbuf_puts(b, "</layername>");
    if (o->wkt && (!l->vector || l->vector->geom_column[0])) {
        cp_textbuf_puts(b, "<srs>");
        cp_xml_srs(b, o->wkt, o->epsg);
        cp_textbuf_puts(b, "</srs>");
    }
    cp_textbuf_printf(b, "<provider encoding=\"UTF-8\">%s</provider>", l->provider);
    cp_textbuf_puts(b, body.data ? body.data : "");
    cp_textbuf_puts(b, "</maplayer>");
    if (body.failed) b->failed = 1;
    cp_textbuf_free(&body);
}

static int is_table(const project_layer *l) {
    return l->vector && !l->vector->geom_column[0];
}

static int by_order(const void *a, const void *b) {
    const project_layer *x = a, *y = b;
    if (x->order != y->order) return (x->order > y->order) - (x->order < y->order);
    return strcmp(x->key, y->key);
}

cp_status cp_project_write(const cp_outputs *o) {
    size_t n = o->nlayers + 2;
    project_layer *ls = calloc(n, sizeof *ls);
    char **sources = calloc(n, sizeof *sources);
    cp_textbuf b = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.qgs", o->dir);
    cp_status st = CP_OK;
    if (!ls || !sources) {
        st = cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path);
        goto done;
    }
    n = 0;
    for (size_t i = 0; i < o->nlayers; ++i, ++n) {
        const cp_out_layer *v = &o->layers[i];
        size_t len = strlen(v->name) + 32;
        if (!(sources[n] = malloc(len))) {
            st = cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path);
            goto done;
        }
        snprintf(sources[n], len, "./plan.gpkg|layername=%s", v->name);
        ls[n] = (project_layer){v->name, cp_style_title(v), sources[n], "ogr", v, 0,
                                1,       cp_style_order(v)};
    }
    if (o->has_class)
        ls[n++] = (project_layer){
            "priority_class", "Priority classes", "./priority_class.tif", "gdal", NULL, 1, 0, 5};
    if (o->has_priority)
        ls[n++] =
            (project_layer){"priority", "Priority (0-1)", "./priority.tif", "gdal", NULL, 0, 1, 6};
    if (!n) goto done; /* nothing to show */
    qsort(ls, n, sizeof *ls, by_order);
    cp_textbuf_puts(&b, "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis");
    cp_xml_attr(&b, "projectname", o->title);
    cp_textbuf_puts(&b, " version=\"3.22.0\">\n<homePath path=\"\"/>\n<title>");
    cp_textbuf_html(&b, o->title);
    cp_textbuf_puts(&b, "</title>\n");
    if (o->wkt) {
        cp_textbuf_puts(&b, "<projectCrs>");
        cp_xml_srs(&b, o->wkt, o->epsg);
        cp_textbuf_puts(&b, "</projectCrs>\n");
    }
    /* the layer tree: map layers, then the tables in a group */
    cp_textbuf_puts(&b, "<layer-tree-group>\n");
    int tables = 0;
    for (size_t i = 0; i < n; ++i) {
        tables |= is_table(&ls[i]);
        if (!is_table(&ls[i])) tree_layer(&b, &ls[i]);
    }
    if (tables) {
        cp_textbuf_puts(&b,
                        "<layer-tree-group name=\"Tables\" checked=\"Qt::Checked\" "
                        "expanded=\"0\">\n");
        for (size_t i = 0; i < n; ++i)
            if (is_table(&ls[i])) tree_layer(&b, &ls[i]);
        cp_textbuf_puts(&b, "</layer-tree-group>\n");
    }
    cp_textbuf_puts(&b, "</layer-tree-group>\n<projectlayers>\n");
    for (size_t i = 0; i < n; ++i) {
        map_layer(&b, o, &ls[i]);
        cp_textbuf_puts(&b, "\n");
    }
    cp_textbuf_puts(&b, "</projectlayers>\n");
    if (o->has_extent && o->wkt) {
        /* the view: QGIS 3.22 restores the canvas from <mapcanvas>; the default view
         * extent is what the project offers for "zoom to project" */
        cp_textbuf_puts(&b, "<mapcanvas name=\"theMapCanvas\"><units>meters</units>");
        extent_xml(&b, o);
        cp_textbuf_puts(&b, "<rotation>0</rotation><destinationsrs>");
        cp_xml_srs(&b, o->wkt, o->epsg);
        cp_textbuf_puts(&b, "</destinationsrs></mapcanvas>\n<ProjectViewSettings");
        cp_textbuf_puts(&b, " UseProjectScales=\"0\"><Scales/><DefaultViewExtent");
        static const char *const k[] = {"xmin", "ymin", "xmax", "ymax"};
        for (int i = 0; i < 4; ++i) {
            char v[40];
            snprintf(v, sizeof v, "%.17g", o->extent[i]);
            cp_xml_attr(&b, k[i], v);
        }
        cp_textbuf_puts(&b, ">");
        cp_xml_srs(&b, o->wkt, o->epsg);
        cp_textbuf_puts(&b, "</DefaultViewExtent></ProjectViewSettings>\n");
    }
    cp_textbuf_puts(&b,
                    "<properties><Paths><Absolute type=\"bool\">false</Absolute></Paths>"
                    "<SpatialRefSys><ProjectionsEnabled type=\"int\">1</ProjectionsEnabled>"
                    "</SpatialRefSys></properties>\n</qgis>\n");
    st = b.failed ? cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path)
                  : cp_write_file(path, b.data, b.len);
done:
    for (size_t i = 0; sources && i < o->nlayers + 2; ++i) free(sources[i]);
    free(sources);
    free(ls);
    cp_textbuf_free(&b);
    return st;
}
