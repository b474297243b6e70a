/* The look of clearplan's outputs in QGIS and other GIS: QGIS styles (QML) and SLD 1.1 for the
 * layers of plan.gpkg, kept in its `layer_styles` table as their defaults (the table and
 * columns QGIS itself writes), field aliases in `gpkg_data_columns`, and the styles of the
 * rasters in .qml files beside them.
 *
 * The styles are written as the minimal QML QGIS 3.22 reads (properties as <prop k v>, what is
 * left out takes QGIS's defaults); tests/qgis checks each of them in QGIS itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>

#include "error.h"
#include "styles.h"

const cp_class_style cp_priority_classes[CP_NCLASSES] = {
    {"very low", 44, 123, 182}, {"low", 171, 217, 233},     {"medium", 255, 255, 191},
    {"high", 253, 174, 97},     {"very high", 215, 25, 28},
};

/* ------------------------------------------------------------------ XML ---------------- */

void cp_xml_attr(cp_textbuf *b, const char *name, const char *value) {
    cp_textbuf_printf(b, " %s=\"", name);
    cp_textbuf_html(b, value);
    cp_textbuf_putn(b, "\"", 1);
}

void cp_xml_srs(cp_textbuf *b, const char *wkt, int epsg) {
    cp_textbuf_puts(b, "<spatialrefsys><wkt>");
    cp_textbuf_html(b, wkt ? wkt : "");
    cp_textbuf_puts(b, "</wkt>");
    if (epsg > 0) cp_textbuf_printf(b, "<authid>EPSG:%d</authid>", epsg);
    cp_textbuf_puts(b, "</spatialrefsys>");
}

static void prop(cp_textbuf *b, const char *k, const char *v) {
    cp_textbuf_puts(b, "<prop");
    cp_xml_attr(b, "k", k);
    cp_xml_attr(b, "v", v);
    cp_textbuf_puts(b, "/>");
}

/* ------------------------------------------------------------------ colours ------------ */

typedef struct {
    unsigned char r, g, b;
} rgb;

/* viridis, sampled at 0, 1/4, 1/2, 3/4, 1: the sequential ramp of the years */
static rgb viridis(double t) {
    static const rgb stops[] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double x = t * 4;
    int i = x >= 4 ? 3 : (int)x;
    double f = x - i;
    rgb c = {(unsigned char)lround(stops[i].r + f * (stops[i + 1].r - stops[i].r)),
             (unsigned char)lround(stops[i].g + f * (stops[i + 1].g - stops[i].g)),
             (unsigned char)lround(stops[i].b + f * (stops[i + 1].b - stops[i].b))};
    return c;
}

static const char *qgis_colour(rgb c, char buf[24]) {
    snprintf(buf, 24, "%d,%d,%d,255", c.r, c.g, c.b);
    return buf;
}

static const char *hex_colour(rgb c, char buf[8]) {
    snprintf(buf, 8, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

/* ------------------------------------------------------------------ field aliases ------ */

/* Aliases (with units) and descriptions of the fields clearplan writes; `layer` NULL = any
 * layer with that field, a named layer's entry comes first. */
static const struct {
    const char *layer, *field, *alias, *description;
} fields[] = {
    {"milestones", "year", "Year", "Calendar year of the period"},
    {"milestones", "start", "Period starts", "First day of the period within the plan"},
    {"milestones", "end", "Period ends", "Last day of the period within the plan"},
    {"milestones", "benefit", "Benefit released (ha)", "Priority-weighted hectares released"},
    {"milestones", "team_days", "Effort (team-days)", "Team-days worked in the period"},
    {NULL, "rank", "Rank", "Place in the plan's order of work (1 = first)"},
    {NULL, "hazard_id", "Hazard", "Hazard identifier, as in the input"},
    {NULL, "status", "Status", "SHA: suspected hazardous area; CHA: confirmed hazardous area"},
    {NULL, "region", "Region", "Region whose teams work the hazard"},
    {NULL, "area_m2", "Area (m²)", "Area of the polygon in the analysis CRS, square metres"},
    {NULL, "cancel_m2", "Cancelled (m²)", "Area expected to be cancelled by non-technical survey"},
    {NULL, "reduce_m2", "Reduced (m²)", "Area expected to be reduced by technical survey"},
    {NULL, "clear_m2", "Cleared (m²)", "Area expected to be cleared"},
    {NULL, "benefit", "Benefit (ha)", "Priority-weighted hectares released"},
    {NULL, "cost_team_days", "Effort (team-days)", "Team-days to release the hazard"},
    {NULL, "cost_usd", "Cost (US$)", "Effort times the cost of a team-day, US dollars"},
    {NULL, "efficiency", "Efficiency (ha per team-day)", "Benefit per team-day: the plan's order"},
    {NULL, "priority_mean", "Priority, mean (0-1)", "Coverage-weighted mean priority"},
    {NULL, "priority_max", "Priority, highest (0-1)", "Highest priority of a covered cell"},
    {NULL, "people_within_m", "People nearby", "People within the focal radius of the hazard"},
    {NULL, "locked", "Locked first", "1 when a rule placed the hazard first"},
    {NULL, "start", "Work starts", "First day of work"},
    {NULL, "end", "Work ends", "Last day of work"},
    {NULL, "year", "Year work ends", "Calendar year of the last day of work"},
    {NULL, "team", "Team", "Team of the first work package"},
    {NULL, "packages", "Work packages", "Number of work packages"},
    {NULL, "covered_m2", "Area on the grid (m²)", "Part of the area on the analysis grid"},
    {NULL, "report_density", "Reports (per km²)", "Mean density of improvised-mine reports"},
    {NULL, "treecover_mean", "Tree cover (%)", "Coverage-weighted mean tree cover"},
    {NULL, "landcover_mix", "Land cover (shares)", "Share of each land-cover class, code:share"},
    {NULL, "repaired", "Geometry repaired", "1 when an invalid polygon was repaired"},
    {NULL, "package_id", "Package", "Work package: hazard id#sequence"},
    {NULL, "seq", "Sequence", "Place of the package within its hazard"},
    {NULL, "team_days", "Effort (team-days)", "Team-days of the package"},
    {NULL, "period", "Period", "Year (2027) or quarter (2027-Q1)"},
    {NULL, "kind", "Kind", "year or quarter"},
    {NULL, "quarter", "Quarter", "1 to 4; 0 for a year"},
    {NULL, "capacity_team_days", "Capacity (team-days)", "Team-days the teams offer"},
    {NULL, "cancelled_m2", "Cancelled (m²)", "Area cancelled by non-technical survey"},
    {NULL, "reduced_m2", "Reduced (m²)", "Area reduced by technical survey"},
    {NULL, "cleared_m2", "Cleared (m²)", "Area cleared"},
    {NULL, "released_m2", "Released (m²)", "Area released: cancelled, reduced and cleared"},
    {NULL, "hazards_completed", "Hazards completed", "Hazards whose work ended"},
    {NULL, "remaining_m2", "Remaining (m²)", "Area not yet released at the end of the period"},
    {NULL, "stage", "Stage", "rejected: the input is not usable; excluded: by a plan rule"},
    {NULL, "reason", "Reason", "Why the hazard is not in the plan"},
};

static int field_entry(const char *layer, const char *field) {
    int any = -1;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i) {
        if (strcmp(fields[i].field, field)) continue;
        if (fields[i].layer && !strcmp(fields[i].layer, layer)) return (int)i;
        if (!fields[i].layer && any < 0) any = (int)i;
    }
    return any;
}

/* ------------------------------------------------------------------ layer looks -------- */

typedef enum { DRAW_NONE, DRAW_YEARS, DRAW_REJECTED, DRAW_OUTLINE } draw_kind;

/* How each layer of plan.gpkg looks: the project's name for it, its place in the project
 * (lower draws on top), its renderer, the field labelled and the largest scale denominator
 * the labels show at, the attribute table's sort and the name shown for a feature. */
static const struct look {
    const char *layer, *title;
    int order;
    draw_kind draw;
    const char *label;
    double label_scale;
    const char *sort, *display;
} looks[] = {
    {"hazards", "Hazards by year work ends", 0, DRAW_YEARS, "rank", 50000, "\"rank\"",
     "\"hazard_id\""},
    {"rejected", "Rejected hazards", 1, DRAW_REJECTED, "hazard_id", 25000, "\"hazard_id\"",
     "\"hazard_id\""},
    {"packages", "Work packages", 10, DRAW_OUTLINE, NULL, 0, "\"start\"", "\"package_id\""},
    {"milestones", "Milestones", 11, DRAW_NONE, NULL, 0, "\"start\"", "\"period\""},
};
static const struct look unknown_look = {NULL, NULL, 20, DRAW_OUTLINE, NULL, 0, NULL, NULL};

static const struct look *look_of(const cp_out_layer *l) {
    for (size_t i = 0; i < sizeof looks / sizeof looks[0]; ++i)
        if (!strcmp(looks[i].layer, l->name)) return &looks[i];
    return &unknown_look;
}

const char *cp_style_title(const cp_out_layer *l) {
    const struct look *k = look_of(l);
    return k->title ? k->title : l->name;
}

int cp_style_order(const cp_out_layer *l) {
    return look_of(l)->order;
}

static int is_polygonal(const cp_out_layer *l) {
    return l->geom_type == wkbPolygon || l->geom_type == wkbMultiPolygon;
}

/* QGIS's geometry type of a layer: point 0, line 1, polygon 2, unknown 3, none 4. */
static int qgis_geometry_type(const cp_out_layer *l) {
    if (!l->geom_column[0]) return 4;
    switch (l->geom_type) {
        case wkbPoint:
        case wkbMultiPoint:
            return 0;
        case wkbLineString:
        case wkbMultiLineString:
            return 1;
        case wkbPolygon:
        case wkbMultiPolygon:
            return 2;
        default:
            return 3;
    }
}

/* Whether the hazards can be coloured by year: a `year` field, and years in it. */
static int has_years(const cp_outputs *o, const cp_out_layer *l) {
    return o->nyears && CSLFindString(l->fields, "year") >= 0;
}

/* ------------------------------------------------------------------ year classes ------- */

enum { MAX_YEAR_CLASSES = 16 };

/* One class of the hazards' renderer: years lo..hi (the last class takes every other year
 * when there are more than MAX_YEAR_CLASSES), its colour, and whether its hazards end after
 * the deadline: 0 none, 1 all, 2 those whose `end` is after it (the deadline's year). */
typedef struct {
    int lo, hi, other;
    rgb colour;
    int late;
} year_class;

static size_t year_classes(const cp_outputs *o, year_class *yc) {
    size_t n = o->nyears < MAX_YEAR_CLASSES ? o->nyears : MAX_YEAR_CLASSES;
    int dy;
    cp_date_split(o->deadline, &dy, NULL, NULL);
    for (size_t i = 0; i < n; ++i) {
        year_class *c = &yc[i];
        c->lo = o->years[i];
        c->other = i + 1 == n && n < o->nyears;
        c->hi = c->other ? o->years[o->nyears - 1] : c->lo;
        c->colour = viridis(n > 1 ? (double)i / (double)(n - 1) : 0.0);
        c->late = c->lo > dy ? 1 : c->hi >= dy ? 2 : 0;
    }
    return n;
}

static void year_label(const year_class *c, const char *deadline, char *buf, size_t n) {
    int k = c->lo == c->hi ? snprintf(buf, n, "%d", c->lo)
                           : snprintf(buf, n, "%d–%d", c->lo, c->hi); /* en dash */
    if (k < 0 || (size_t)k >= n) return;
    if (c->late == 1)
        snprintf(buf + k, n - (size_t)k, " (after the deadline)");
    else if (c->late == 2)
        snprintf(buf + k, n - (size_t)k, " (hatched: after %s)", deadline);
}

/* ------------------------------------------------------------------ QML: renderers ----- */

typedef struct {
    rgb fill;
    const char *style; /* QGIS brush: solid, no, b_diagonal, f_diagonal */
    rgb outline;
    const char *outline_style; /* solid, dash, no */
    double outline_mm;
    const char *enabled; /* expression that switches the layer on; NULL = always */
} fill_layer;

static void qml_fill_layer(cp_textbuf *b, const fill_layer *f) {
    char c[24], w[32];
    cp_textbuf_puts(b, "<layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">");
    prop(b, "color", qgis_colour(f->fill, c));
    prop(b, "style", f->style);
    prop(b, "outline_color", qgis_colour(f->outline, c));
    prop(b, "outline_style", f->outline_style);
    snprintf(w, sizeof w, "%g", f->outline_mm);
    prop(b, "outline_width", w);
    prop(b, "outline_width_unit", "MM");
    prop(b, "joinstyle", "bevel");
    if (f->enabled) {
        cp_textbuf_puts(b,
                        "<data_defined_properties><Option type=\"Map\">"
                        "<Option name=\"name\" type=\"QString\" value=\"\"/>"
                        "<Option name=\"properties\" type=\"Map\">"
                        "<Option name=\"enabled\" type=\"Map\">"
                        "<Option name=\"active\" type=\"bool\" value=\"true\"/>"
                        "<Option name=\"expression\" type=\"QString\"");
        cp_xml_attr(b, "value", f->enabled);
        cp_textbuf_puts(b,
                        "/><Option name=\"type\" type=\"int\" value=\"3\"/>"
                        "</Option></Option>"
                        "<Option name=\"type\" type=\"QString\" value=\"collection\"/>"
                        "</Option></data_defined_properties>");
    }
    cp_textbuf_puts(b, "</layer>");
}

static void qml_fill_symbol(cp_textbuf *b, int name, const fill_layer *layers, int n) {
    cp_textbuf_printf(b,
                      "<symbol type=\"fill\" name=\"%d\" alpha=\"1\" clip_to_extent=\"1\" "
                      "force_rhr=\"0\">",
                      name);
    for (int i = 0; i < n; ++i) qml_fill_layer(b, &layers[i]);
    cp_textbuf_puts(b, "</symbol>");
}

static const rgb dark = {35, 35, 35}, black = {0, 0, 0}, grey = {110, 110, 110};

/* The symbol layers of a year class: its colour, and a hatch with a heavier outline on the
 * hazards that end after the deadline. Returns the number of layers. */
static int year_symbol(const year_class *c, const char *late_expr, fill_layer out[2]) {
    out[0] = (fill_layer){c->colour, "solid", dark, "solid", 0.26, NULL};
    if (!c->late) return 1;
    out[1] =
        (fill_layer){black, "b_diagonal", black, "solid", 0.6, c->late == 2 ? late_expr : NULL};
    return 2;
}

/* The one symbol of the other layers: rejected hazards hatched with a dashed outline,
 * anything else outlined. */
static fill_layer plain_symbol(draw_kind d) {
    if (d == DRAW_REJECTED) return (fill_layer){grey, "f_diagonal", grey, "dash", 0.5, NULL};
    return (fill_layer){grey, "no", dark, "solid", 0.4, NULL};
}

static void qml_renderer(const cp_outputs *o, const cp_out_layer *l, cp_textbuf *b) {
    const struct look *k = look_of(l);
    if (k->draw == DRAW_YEARS && has_years(o, l)) {
        year_class yc[MAX_YEAR_CLASSES];
        size_t n = year_classes(o, yc);
        char dl[11], expr[96], label[96];
        cp_date_format(o->deadline, dl);
        /* false, not NULL, where `end` is missing (the legend's sample) */
        snprintf(expr, sizeof expr, "coalesce(\"end\" > to_date('%s'), false)", dl);
        cp_textbuf_puts(b,
                        "<renderer-v2 type=\"categorizedSymbol\" attr=\"year\" "
                        "symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\"><categories>");
        for (size_t i = 0; i < n; ++i) {
            char v[16] = "";
            if (!yc[i].other) snprintf(v, sizeof v, "%d", yc[i].lo);
            year_label(&yc[i], dl, label, sizeof label);
            cp_textbuf_printf(b, "<category symbol=\"%zu\" render=\"true\"", i);
            cp_xml_attr(b, "value", v);
            cp_xml_attr(b, "label", label);
            cp_textbuf_puts(b, "/>");
        }
        cp_textbuf_puts(b, "</categories><symbols>");
        for (size_t i = 0; i < n; ++i) {
            fill_layer fl[2];
            qml_fill_symbol(b, (int)i, fl, year_symbol(&yc[i], expr, fl));
        }
        cp_textbuf_puts(b, "</symbols></renderer-v2>");
        return;
    }
    fill_layer f = plain_symbol(k->draw);
    cp_textbuf_puts(b,
                    "<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" forceraster=\"0\" "
                    "enableorderby=\"0\"><symbols>");
    qml_fill_symbol(b, 0, &f, 1);
    cp_textbuf_puts(b, "</symbols></renderer-v2>");
}

static void qml_labels(const struct look *k, cp_textbuf *b) {
    char scale[32];
    snprintf(scale, sizeof scale, "%g", k->label_scale);
    cp_textbuf_puts(b, "<labeling type=\"simple\"><settings calloutType=\"simple\"><text-style");
    cp_xml_attr(b, "fieldName", k->label);
    cp_textbuf_puts(b,
                    " isExpression=\"0\" fontSize=\"8\" fontSizeUnit=\"Point\" fontWeight=\"75\" "
                    "textColor=\"0,0,0,255\" textOpacity=\"1\"><text-buffer bufferDraw=\"1\" "
                    "bufferSize=\"0.7\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" "
                    "bufferOpacity=\"1\" bufferNoFill=\"1\"/></text-style>"
                    "<placement placement=\"1\" centroidInside=\"1\" centroidWhole=\"0\" "
                    "priority=\"5\" dist=\"0\" distUnits=\"MM\" fitInPolygonOnly=\"0\"/>"
                    "<rendering scaleVisibility=\"1\" scaleMin=\"1\"");
    cp_xml_attr(b, "scaleMax", scale);
    cp_textbuf_puts(b,
                    " obstacle=\"1\" obstacleType=\"1\" drawLabels=\"1\" displayAll=\"0\" "
                    "upsidedownLabels=\"0\" labelPerPart=\"0\" limitNumLabels=\"0\"/>"
                    "</settings></labeling>");
}

void cp_style_vector_body(const cp_outputs *o, const cp_out_layer *l, cp_textbuf *b, int *labels) {
    const struct look *k = look_of(l);
    int draw = is_polygonal(l) && k->draw != DRAW_NONE;
    *labels = draw && k->label && CSLFindString(l->fields, k->label) >= 0;
    if (draw) qml_renderer(o, l, b);
    if (*labels) qml_labels(k, b);
    cp_textbuf_puts(b, "<aliases>");
    for (int i = 0; l->fields && l->fields[i]; ++i) {
        int e = field_entry(l->name, l->fields[i]);
        cp_textbuf_printf(b, "<alias index=\"%d\"", i + 1); /* 0 is the FID */
        cp_xml_attr(b, "field", l->fields[i]);
        cp_xml_attr(b, "name", e >= 0 ? fields[e].alias : "");
        cp_textbuf_puts(b, "/>");
    }
    cp_textbuf_puts(b, "</aliases>");
    if (k->sort) {
        cp_textbuf_puts(b, "<attributetableconfig sortOrder=\"0\" actionWidgetStyle=\"dropDown\"");
        cp_xml_attr(b, "sortExpression", k->sort);
        cp_textbuf_puts(b, "/>");
    }
    if (k->display) {
        cp_textbuf_puts(b, "<previewExpression>");
        cp_textbuf_html(b, k->display);
        cp_textbuf_puts(b, "</previewExpression>");
    }
    cp_textbuf_printf(b, "<layerGeometryType>%d</layerGeometryType>", qgis_geometry_type(l));
}

/* ------------------------------------------------------------------ QML: rasters ------- */

static const char min_max_origin[] =
    "<minMaxOrigin><limits>None</limits><extent>WholeRaster</extent>"
    "<statAccuracy>Estimated</statAccuracy><cumulativeCutLower>0.02</cumulativeCutLower>"
    "<cumulativeCutUpper>0.98</cumulativeCutUpper><stdDevFactor>2</stdDevFactor>"
    "</minMaxOrigin>";

void cp_style_raster_body(int classes, cp_textbuf *b) {
    char hex[8];
    cp_textbuf_puts(b, "<pipe>");
    if (classes) {
        cp_textbuf_puts(b,
                        "<rasterrenderer type=\"paletted\" band=\"1\" opacity=\"1\" "
                        "alphaBand=\"-1\" nodataColor=\"\"><rasterTransparency/>");
        cp_textbuf_puts(b, min_max_origin);
        cp_textbuf_puts(b, "<colorPalette>");
        for (int i = 0; i < CP_NCLASSES; ++i) {
            const cp_class_style *c = &cp_priority_classes[i];
            char label[64];
            snprintf(label, sizeof label, "%s (%.1f-%.1f)", c->name, 0.2 * i, 0.2 * (i + 1));
            cp_textbuf_printf(b, "<paletteEntry value=\"%d\" alpha=\"255\"", i + 1);
            cp_xml_attr(b, "color", hex_colour((rgb){c->r, c->g, c->b}, hex));
            cp_xml_attr(b, "label", label);
            cp_textbuf_puts(b, "/>");
        }
        cp_textbuf_puts(b, "</colorPalette></rasterrenderer>");
    } else {
        cp_textbuf_puts(b,
                        "<rasterrenderer type=\"singlebandpseudocolor\" band=\"1\" "
                        "opacity=\"1\" alphaBand=\"-1\" nodataColor=\"\" "
                        "classificationMin=\"0\" classificationMax=\"1\">");
        cp_textbuf_puts(b, min_max_origin);
        cp_textbuf_puts(b,
                        "<rastershader><colorrampshader colorRampType=\"INTERPOLATED\" "
                        "classificationMode=\"1\" clip=\"0\" minimumValue=\"0\" "
                        "maximumValue=\"1\" labelPrecision=\"2\">");
        for (int i = 0; i < CP_NCLASSES; ++i) {
            const cp_class_style *c = &cp_priority_classes[i];
            char v[16];
            snprintf(v, sizeof v, "%g", (double)i / (CP_NCLASSES - 1));
            cp_textbuf_puts(b, "<item alpha=\"255\"");
            cp_xml_attr(b, "value", v);
            cp_xml_attr(b, "label", v);
            cp_xml_attr(b, "color", hex_colour((rgb){c->r, c->g, c->b}, hex));
            cp_textbuf_puts(b, "/>");
        }
        cp_textbuf_puts(b, "</colorrampshader></rastershader></rasterrenderer>");
    }
    cp_textbuf_puts(b,
                    "<brightnesscontrast brightness=\"0\" contrast=\"0\" gamma=\"1\"/>"
                    "<huesaturation saturation=\"0\" grayscaleMode=\"0\" invertColors=\"0\" "
                    "colorizeOn=\"0\"/><rasterresampler maxOversampling=\"2\"/></pipe>"
                    "<blendMode>0</blendMode>");
}

void cp_style_qml(const char *body, int labels, cp_textbuf *b) {
    cp_textbuf_printf(b,
                      "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                      "<qgis version=\"3.22.0\" styleCategories=\"AllStyleCategories\" "
                      "labelsEnabled=\"%d\">",
                      labels);
    cp_textbuf_puts(b, body);
    cp_textbuf_puts(b, "</qgis>\n");
}

/* ------------------------------------------------------------------ SLD ---------------- */

static void sld_polygon(cp_textbuf *b, const fill_layer *f) {
    char hex[8], w[32];
    cp_textbuf_puts(b, "<se:PolygonSymbolizer>");
    if (!strcmp(f->style, "solid"))
        cp_textbuf_printf(b,
                          "<se:Fill><se:SvgParameter name=\"fill\">%s</se:SvgParameter></se:Fill>",
                          hex_colour(f->fill, hex));
    else if (strcmp(f->style, "no")) /* a hatch (GeoServer's marks) */
        cp_textbuf_printf(b,
                          "<se:Fill><se:GraphicFill><se:Graphic><se:Mark>"
                          "<se:WellKnownName>%s</se:WellKnownName><se:Stroke>"
                          "<se:SvgParameter name=\"stroke\">%s</se:SvgParameter>"
                          "</se:Stroke></se:Mark><se:Size>6</se:Size></se:Graphic>"
                          "</se:GraphicFill></se:Fill>",
                          f->style[0] == 'b' ? "shape://slash" : "shape://backslash",
                          hex_colour(f->fill, hex));
    snprintf(w, sizeof w, "%g", f->outline_mm * 96 / 25.4); /* pixels at 96 dpi */
    cp_textbuf_printf(b,
                      "<se:Stroke><se:SvgParameter name=\"stroke\">%s</se:SvgParameter>"
                      "<se:SvgParameter name=\"stroke-width\">%s</se:SvgParameter>",
                      hex_colour(f->outline, hex), w);
    if (!strcmp(f->outline_style, "dash"))
        cp_textbuf_puts(b, "<se:SvgParameter name=\"stroke-dasharray\">6 3</se:SvgParameter>");
    cp_textbuf_puts(b, "</se:Stroke></se:PolygonSymbolizer>");
}

/* A rule: its title, its filter (`year` < 0: every other feature; `cmp` -1 / 1: also `end`
 * on or before / after the deadline) and its symbolizers. */
static void sld_rule(cp_textbuf *b, const char *title, int year, int cmp, const char *deadline,
                     const fill_layer *fl, int n) {
    cp_textbuf_puts(b, "<se:Rule><se:Name>");
    cp_textbuf_html(b, title);
    cp_textbuf_puts(b, "</se:Name><se:Description><se:Title>");
    cp_textbuf_html(b, title);
    cp_textbuf_puts(b, "</se:Title></se:Description>");
    if (year < 0) {
        cp_textbuf_puts(b, "<se:ElseFilter/>");
    } else if (year > 0) {
        cp_textbuf_puts(b, cmp ? "<ogc:Filter><ogc:And>" : "<ogc:Filter>");
        cp_textbuf_printf(b,
                          "<ogc:PropertyIsEqualTo><ogc:PropertyName>year</ogc:PropertyName>"
                          "<ogc:Literal>%d</ogc:Literal></ogc:PropertyIsEqualTo>",
                          year);
        if (cmp) {
            const char *op = cmp > 0 ? "PropertyIsGreaterThan" : "PropertyIsLessThanOrEqualTo";
            cp_textbuf_printf(b,
                              "<ogc:%s><ogc:PropertyName>end</ogc:PropertyName>"
                              "<ogc:Literal>%s</ogc:Literal></ogc:%s></ogc:And>",
                              op, deadline, op);
        }
        cp_textbuf_puts(b, "</ogc:Filter>");
    }
    for (int i = 0; i < n; ++i) sld_polygon(b, &fl[i]);
    cp_textbuf_puts(b, "</se:Rule>");
}

/* An SLD 1.1 of the same look: one rule per class (the deadline's year split in two by the
 * `end` date), labels as a rule with a scale limit. */
static void sld_document(const cp_outputs *o, const cp_out_layer *l, cp_textbuf *b) {
    const struct look *k = look_of(l);
    cp_textbuf_puts(b,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<StyledLayerDescriptor xmlns=\"http://www.opengis.net/sld\" "
                    "xmlns:se=\"http://www.opengis.net/se\" "
                    "xmlns:ogc=\"http://www.opengis.net/ogc\" "
                    "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
                    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" version=\"1.1.0\" "
                    "xsi:schemaLocation=\"http://www.opengis.net/sld "
                    "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd\">"
                    "<NamedLayer><se:Name>");
    cp_textbuf_html(b, l->name);
    cp_textbuf_puts(b, "</se:Name><UserStyle><se:Name>clearplan</se:Name><se:FeatureTypeStyle>");
    if (k->draw == DRAW_YEARS && has_years(o, l)) {
        year_class yc[MAX_YEAR_CLASSES];
        size_t n = year_classes(o, yc);
        char dl[11], label[96];
        cp_date_format(o->deadline, dl);
        for (size_t i = 0; i < n; ++i) {
            fill_layer fl[2];
            int nl = year_symbol(&yc[i], NULL, fl);
            year_label(&yc[i], dl, label, sizeof label);
            if (yc[i].other) {
                sld_rule(b, label, -1, 0, dl, fl, nl);
            } else if (yc[i].late == 2) { /* the deadline's year: by the deadline, after it */
                sld_rule(b, label, yc[i].lo, -1, dl, fl, 1);
                sld_rule(b, label, yc[i].lo, 1, dl, fl, nl);
            } else {
                sld_rule(b, label, yc[i].lo, 0, dl, fl, nl);
            }
        }
    } else {
        fill_layer f = plain_symbol(k->draw);
        sld_rule(b, cp_style_title(l), 0, 0, NULL, &f, 1);
    }
    if (k->label && CSLFindString(l->fields, k->label) >= 0)
        cp_textbuf_printf(b,
                          "<se:Rule><se:MaxScaleDenominator>%g</se:MaxScaleDenominator>"
                          "<se:TextSymbolizer><se:Label><ogc:PropertyName>%s</ogc:PropertyName>"
                          "</se:Label><se:Font><se:SvgParameter name=\"font-size\">11"
                          "</se:SvgParameter><se:SvgParameter name=\"font-weight\">bold"
                          "</se:SvgParameter></se:Font><se:Halo><se:Radius>1.5</se:Radius>"
                          "<se:Fill><se:SvgParameter name=\"fill\">#ffffff</se:SvgParameter>"
                          "</se:Fill></se:Halo><se:Fill><se:SvgParameter name=\"fill\">#000000"
                          "</se:SvgParameter></se:Fill></se:TextSymbolizer></se:Rule>",
                          k->label_scale, k->label);
    cp_textbuf_puts(b, "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n");
}

/* ------------------------------------------------------------------ writing ------------ */

static void sql_text(cp_textbuf *b, const char *s) {
    cp_textbuf_putn(b, "'", 1);
    for (; *s; ++s) {
        if (*s == '\'') cp_textbuf_putn(b, "'", 1);
        cp_textbuf_putn(b, s, 1);
    }
    cp_textbuf_putn(b, "'", 1);
}

/* Runs a statement that returns no rows; 1 when SQLite took it. */
static int sql(GDALDatasetH ds, const char *stmt) {
    CPLErrorReset();
    OGRLayerH r = GDALDatasetExecuteSQL(ds, stmt, NULL, NULL);
    if (r) GDALDatasetReleaseResultSet(ds, r);
    return CPLGetLastErrorType() < CE_Failure;
}

/* The `layer_styles` table as QGIS creates it (QgsOgrProviderUtils::saveStyle), with the
 * rows clearplan wrote before removed. */
static OGRLayerH styles_table(GDALDatasetH ds) {
    if (GDALDatasetGetLayerByName(ds, "layer_styles"))
        return sql(ds, "DELETE FROM layer_styles WHERE styleName = 'clearplan'")
                   ? GDALDatasetGetLayerByName(ds, "layer_styles")
                   : NULL;
    static const struct {
        const char *name;
        OGRFieldType type;
        int width;
    } cols[] = {{"f_table_catalog", OFTString, 256},
                {"f_table_schema", OFTString, 256},
                {"f_table_name", OFTString, 256},
                {"f_geometry_column", OFTString, 256},
                {"styleName", OFTString, 30},
                {"styleQML", OFTString, 0},
                {"styleSLD", OFTString, 0},
                {"useAsDefault", OFTInteger, 0},
                {"description", OFTString, 0},
                {"owner", OFTString, 30},
                {"ui", OFTString, 30},
                {"update_time", OFTDateTime, 0}};
    char *opts[] = {"FID=id", NULL};
    OGRLayerH t = GDALDatasetCreateLayer(ds, "layer_styles", NULL, wkbNone, opts);
    for (size_t i = 0; t && i < sizeof cols / sizeof cols[0]; ++i) {
        OGRFieldDefnH f = OGR_Fld_Create(cols[i].name, cols[i].type);
        if (cols[i].width) OGR_Fld_SetWidth(f, cols[i].width);
        if (cols[i].type == OFTInteger) OGR_Fld_SetSubType(f, OFSTBoolean);
        if (cols[i].type == OFTDateTime) OGR_Fld_SetDefault(f, "CURRENT_TIMESTAMP");
        if (OGR_L_CreateField(t, f, TRUE) != OGRERR_NONE) t = NULL;
        OGR_Fld_Destroy(f);
    }
    return t;
}

static int add_style(OGRLayerH t, const cp_out_layer *l, const char *qml, const char *sld) {
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(t));
    const char *text[] = {
        "", "", l->name, l->geom_column, "clearplan", qml, sld, NULL, "clearplan's default style",
        ""};
    for (int i = 0; i < 10; ++i)
        if (text[i]) OGR_F_SetFieldString(f, i, text[i]);
    OGR_F_SetFieldInteger(f, 7, 1);
    int ok = OGR_L_CreateFeature(t, f) == OGRERR_NONE;
    OGR_F_Destroy(f);
    return ok;
}

/* Field aliases, titles and descriptions in gpkg_data_columns (the GeoPackage schema
 * extension), registered in gpkg_extensions. A row already there (a field domain's) keeps its
 * constraint; an alias another table's column has is left out where the table was created
 * with `name` unique across tables (GDAL's form of it before the 1.2 spec). */
static int data_columns(GDALDatasetH ds, const cp_outputs *o, cp_textbuf *b) {
    int ok = sql(ds,
                 "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
                 "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
                 "mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY "
                 "(table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))") &&
             sql(ds,
                 "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name "
                 "TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT "
                 "NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))") &&
             sql(ds,
                 "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, "
                 "definition, scope) SELECT 'gpkg_data_columns', NULL, 'gpkg_schema', "
                 "'http://www.geopackage.org/spec121/#extension_schema', 'read-write' WHERE "
                 "NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = "
                 "'gpkg_data_columns' AND extension_name = 'gpkg_schema')");
    for (size_t i = 0; ok && i < o->nlayers; ++i) {
        const cp_out_layer *l = &o->layers[i];
        for (int j = 0; ok && l->fields && l->fields[j]; ++j) {
            int e = field_entry(l->name, l->fields[j]);
            if (e < 0) continue;
            const char *alias = fields[e].alias, *desc = fields[e].description;
            b->len = 0;
            cp_textbuf_puts(b, "UPDATE OR IGNORE gpkg_data_columns SET name = ");
            sql_text(b, alias);
            cp_textbuf_puts(b, ", title = ");
            sql_text(b, alias);
            cp_textbuf_puts(b, ", description = ");
            sql_text(b, desc);
            cp_textbuf_puts(b, " WHERE table_name = ");
            sql_text(b, l->name);
            cp_textbuf_puts(b, " AND column_name = ");
            sql_text(b, l->fields[j]);
            ok = !b->failed && sql(ds, b->data);
            b->len = 0;
            cp_textbuf_puts(b,
                            "INSERT OR IGNORE INTO gpkg_data_columns (table_name, column_name, "
                            "name, title, description) VALUES (");
            const char *v[] = {l->name, l->fields[j], alias, alias, desc};
            for (int k = 0; k < 5; ++k) {
                if (k) cp_textbuf_putn(b, ", ", 2);
                sql_text(b, v[k]);
            }
            cp_textbuf_putn(b, ")", 1);
            ok = ok && !b->failed && sql(ds, b->data);
        }
    }
    return ok;
}

static cp_status write_gpkg(const cp_outputs *o) {
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.gpkg", o->dir);
    cp_status st = CP_OK;
    cp_textbuf body = {0}, qml = {0}, sld = {0}, stmt = {0};
    CPLErrorReset();
    const char *drivers[] = {"GPKG", NULL};
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, drivers, NULL, NULL);
    if (!ds) return cp_fail_gdal(CP_E_IO, "cannot open <%s> to add its styles", path);
    int in_tx = GDALDatasetStartTransaction(ds, FALSE) == OGRERR_NONE;
    OGRLayerH t = in_tx ? styles_table(ds) : NULL;
    int ok = t != NULL;
    for (size_t i = 0; ok && i < o->nlayers; ++i) {
        const cp_out_layer *l = &o->layers[i];
        int labels = 0;
        body.len = qml.len = sld.len = 0;
        cp_textbuf_puts(&body, "");
        cp_textbuf_puts(&sld, "");
        cp_style_vector_body(o, l, &body, &labels);
        cp_style_qml(body.data, labels, &qml);
        if (is_polygonal(l) && look_of(l)->draw != DRAW_NONE) sld_document(o, l, &sld);
        if (body.failed || qml.failed || sld.failed) {
            st = cp_fail(CP_E_NOMEM, "out of memory writing the styles of <%s>", path);
            goto done;
        }
        ok = add_style(t, l, qml.data, sld.data);
    }
    if (ok) ok = data_columns(ds, o, &stmt);
    if (stmt.failed) {
        st = cp_fail(CP_E_NOMEM, "out of memory writing the field aliases of <%s>", path);
        goto done;
    }
    if (!ok || GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        st = cp_fail_gdal(CP_E_IO, "cannot write the styles into <%s>", path);
        goto done;
    }
    in_tx = 0;
done:
    if (in_tx) GDALDatasetRollbackTransaction(ds);
    CPLErrorReset();
    GDALClose(ds);
    if (!st && CPLGetLastErrorType() >= CE_Failure)
        st = cp_fail_gdal(CP_E_IO, "cannot write the styles into <%s>", path);
    cp_textbuf_free(&body), cp_textbuf_free(&qml), cp_textbuf_free(&sld);
    cp_textbuf_free(&stmt);
    return st;
}

/* A .qml beside a raster, with its base name: QGIS applies it as the raster's default. */
static cp_status write_raster_style(const cp_outputs *o, const char *name, int classes) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", o->dir, name);
    cp_textbuf body = {0}, qml = {0};
    cp_style_raster_body(classes, &body);
    cp_style_qml(body.data ? body.data : "", 0, &qml);
    cp_status st = body.failed || qml.failed
                       ? cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path)
                       : cp_write_file(path, qml.data, qml.len);
    cp_textbuf_free(&body), cp_textbuf_free(&qml);
    return st;
}

cp_status cp_styles_write(const cp_outputs *o) {
    cp_status st = CP_OK;
    if (o->has_priority) st = write_raster_style(o, "priority.qml", 0);
    if (!st && o->has_class) st = write_raster_style(o, "priority_class.qml", 1);
    if (!st && o->has_gpkg) st = write_gpkg(o);
    return st;
}
