/* clearplan — describing a folder of outputs for a GIS and a catalogue (DESIGN §10).
 *
 * After `clearplan run` or `clearplan plan` has written its outputs into a folder,
 * cp_outputs_describe() adds what makes them open ready to read:
 *
 *   plan.gpkg            a default QGIS style per layer in the `layer_styles` table (QGIS
 *                        loads it when the layer is added), each with an SLD 1.1 beside the
 *                        QML for other GIS; field aliases with units in `gpkg_data_columns`
 *                        (the GeoPackage schema extension). `hazards` is coloured by the year
 *                        its work ends (viridis, one class a year, hatched after the
 *                        Article 5 deadline) and labelled with its rank at 1:50,000 and
 *                        closer; `rejected` is outlined, `packages` and `milestones` get
 *                        aliases and a sort order.
 *   priority.qml         pseudocolour 0..1 with the ramp of the five classes; QGIS applies a
 *                        .qml beside a raster, with its base name, as the raster's default.
 *   priority_class.qml   the five classes, named (the file's colour table has 256 entries).
 *   plan.qgs             a QGIS project, relative paths, titled with the scenario: the hazards
 *                        over the priority map (the class map present but hidden), the
 *                        tables in a group, the view on the outputs' extent.
 *   stac.json            a STAC 1.0.0 Item (projection extension 1.1): every output as an
 *                        asset with roles and media types, the footprint in WGS 84, the
 *                        plan's period, the scenario.
 *
 * Only what applies is written: the raster styles when the rasters are there, the GeoPackage
 * styles when plan.gpkg is, the project when there is a layer to show. Every file goes
 * through a temporary name and a rename; plan.gpkg is changed in one transaction: on failure
 * nothing is left half-written (the caller's temporary folder is then removed whole). */
#ifndef CLEARPLAN_DESCRIBE_H
#define CLEARPLAN_DESCRIBE_H

#include <clearplan/scenario.h>
#include <clearplan/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *title; /* scenario name: the project's title, the STAC Item's; NULL = "clearplan" */
    cp_date start;     /* the plan's first day: the Item's datetime */
    cp_date deadline;  /* Article 5 deadline: hazards whose work ends after it are marked */
    const char *run_file; /* the run record the caller writes into the folder afterwards
                             ("run.json", "summary.json"), listed in stac.json; NULL = none */
} cp_describe_info;

/* Describes the outputs in `dir` (see above). Errors: CP_E_ARG (NULL argument), CP_E_IO (a
 * file cannot be read or written), CP_E_FORMAT (plan.gpkg or a raster is not what clearplan
 * writes), CP_E_NOMEM; the detail message names the file. */
CP_API cp_status cp_outputs_describe(const char *dir, const cp_describe_info *info);

#ifdef __cplusplus
}
#endif

#endif
