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
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

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


def render(project, width, height, layer=None, margin=0.1):
    """Renders the project's visible spatial layers (in its order) to a QImage: on the
    default view extent, or on `layer`'s extent grown by `margin` of its size."""
    root = project.layerTreeRoot()
    layers = [n.layer() for n in root.findLayers() if n.isVisible() and n.layer().isSpatial()]
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    if layer is not None:
        extent = layer.extent()
        extent.grow(margin * max(extent.width(), extent.height()))
    else:
        extent = project.viewSettings().defaultViewExtent()
    settings.setOutputSize(QSize(width, height))
    settings.setExtent(extent)
    settings.setOutputDpi(96)
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("project")
    ap.add_argument("png")
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--height", type=int, default=700)
    ap.add_argument("--layer", help="zoom to this plan.gpkg layer (e.g. hazards)")
    ap.add_argument("--margin", type=float, default=0.1)
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
    image = render(project, args.width, args.height, layer, args.margin)
    if not image.save(args.png):
        sys.exit(f"render_project.py: error: cannot write {args.png}")


if __name__ == "__main__":
    main()
