#!/usr/bin/python3
"""Renders a QGIS project (clearplan's plan.qgs) to a PNG with QGIS's own renderer, headless.

    /usr/bin/python3 scripts/render_project.py PROJECT.qgs OUT.png [--width PX] [--height PX]
                                               [--layer NAME] [--margin FRACTION]

Draws the project's visible layers in its order, on its default view extent, or on the extent
of the layer named by --layer (its gpkg layer name, e.g. hazards) grown by --margin. Needs
QGIS's Python API (Debian: python3-qgis qgis-providers) and /usr/bin/python3; sets
QT_QPA_PLATFORM=offscreen. Exit status: 0 ok, 1 the project or the picture failed.
"""
import argparse
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402  (after the platform is chosen)
    QgsApplication,
    QgsLayerTree,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutSize,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPrintLayout,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QRectF, QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFont  # noqa: E402

_app = None


def start_qgis():
    """Starts QGIS once per process (no GUI)."""
    global _app
    if _app is None:
        QgsApplication.setPrefixPath("/usr", True)
        _app = QgsApplication([], False)
        _app.initQgis()
    return _app


def find_layer(project, name):
    """The project's layer whose data source is plan.gpkg's layer `name` or the file `name`
    (priority.tif), else None."""
    for layer in project.mapLayers().values():
        source = layer.source()
        if source.endswith("|layername=" + name) or os.path.basename(source) == name:
            return layer
    return None


def visible_layers(project):
    """The project's visible map layers, top first."""
    root = project.layerTreeRoot()
    return [n.layer() for n in root.findLayers() if n.isVisible() and n.layer().isSpatial()]


def view_extent(project, layer=None, margin=0.1):
    """The project's default view, or `layer`'s extent grown by `margin` of its size."""
    if layer is None:
        return project.viewSettings().defaultViewExtent()
    extent = layer.extent()
    extent.grow(margin * max(extent.width(), extent.height()))
    return extent


def render(project, width, height, extent):
    """Renders the project's visible layers (in its order) on `extent` to a QImage."""
    settings = QgsMapSettings()
    settings.setLayers(visible_layers(project))
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(width, height))
    settings.setExtent(extent)
    settings.setOutputDpi(96)
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def render_layout(project, path, width, height, extent):
    """Writes a PNG of `width` x `height` pixels: the project's title, the map on `extent`, the
    visible layers' legend on the right. True when written."""
    dpi = 110.0
    w_mm, h_mm = width * 25.4 / dpi, height * 25.4 / dpi
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.pageCollection().page(0).setPageSize(QgsLayoutSize(w_mm, h_mm))
    title = QgsLayoutItemLabel(layout)
    title.setText(project.title())
    title.setFont(QFont("DejaVu Sans", 14))
    title.attemptSetSceneRect(QRectF(3, 2, w_mm - 6, 9))
    layout.addLayoutItem(title)
    legend_mm = 78
    side = min(w_mm - legend_mm - 5, h_mm - 15)
    item = QgsLayoutItemMap(layout)
    item.attemptSetSceneRect(QRectF(3, 12, side, side))
    item.setLayers(visible_layers(project))
    item.setCrs(project.crs())
    item.setExtent(extent)
    item.setFrameEnabled(True)
    layout.addLayoutItem(item)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(item)
    legend.setAutoUpdateModel(False)
    tree = QgsLayerTree()
    for layer in visible_layers(project):
        tree.addLayer(layer)
    legend.model().setRootGroup(tree)
    legend.setTitle("")
    legend.attemptSetSceneRect(QRectF(side + 6, 12, legend_mm, h_mm - 14))
    layout.addLayoutItem(legend)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = dpi
    settings.generateWorldFile = False
    return QgsLayoutExporter(layout).exportToImage(path, settings) == QgsLayoutExporter.Success


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("project")
    ap.add_argument("png")
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--height", type=int, default=700)
    ap.add_argument("--layer", help="zoom to this plan.gpkg layer (e.g. hazards)")
    ap.add_argument("--margin", type=float, default=0.1)
    ap.add_argument("--extent", help="XMIN,YMIN,XMAX,YMAX in the project's CRS")
    ap.add_argument("--legend", action="store_true", help="with the title and the legend")
    args = ap.parse_args()
    start_qgis()
    project = QgsProject.instance()
    if not project.read(args.project):
        sys.exit(f"render_project.py: error: cannot read {args.project}: {project.error()}")
    layer = None
    if args.layer:
        layer = find_layer(project, args.layer)
        if layer is None:
            sys.exit(f"render_project.py: error: no layer {args.layer} in {args.project}")
    extent = view_extent(project, layer, args.margin)
    if args.extent:
        extent = QgsRectangle(*(float(v) for v in args.extent.split(",")))
    if args.legend:
        ok = render_layout(project, args.png, args.width, args.height, extent)
    else:
        ok = render(project, args.width, args.height, extent).save(args.png)
    if not ok:
        sys.exit(f"render_project.py: error: cannot write {args.png}")


if __name__ == "__main__":
    main()
