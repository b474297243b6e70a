#!/usr/bin/python3
"""clearplan's outputs opened by real QGIS (3.22, headless): the default styles of plan.gpkg's
layers and of the rasters, the project, and a rendering of it.

Makes the output folders of outputs.py (a run, and plans without rasters, over 40 years,
without geometry), then opens every output with QGIS's Python API as QGIS does when a file is
dragged in. Fails, never skips, when QGIS's Python API is missing (scripts/deps.sh installs
it). Environment (set by CTest): CP_BIN, CP_SOURCE_DIR,
CP_TEST_TMP; CP_QGIS_PNG keeps the rendered picture there.
"""
import os
import shutil
import sqlite3
import sys
import unittest
from collections import Counter

SOURCE = os.environ.get("CP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(SOURCE, "scripts"), os.path.dirname(os.path.abspath(__file__))]
try:
    import render_project  # noqa: E402  (QGIS's modules)
    from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer  # noqa: E402
    from qgis.PyQt.QtGui import QImage  # noqa: E402

    import numpy as np  # noqa: E402
    from osgeo import gdal  # noqa: E402

    import outputs  # noqa: E402
    from outputs import TITLE, years_of  # noqa: E402
except ImportError as e:
    sys.exit(f"test_qgis: QGIS's or GDAL's Python API is missing ({e}): install "
             "python3-qgis qgis-providers python3-gdal (scripts/deps.sh), run /usr/bin/python3")

TMP = os.path.join(os.environ.get("CP_TEST_TMP", "/tmp"), f"qgis.{os.getpid()}")
CLASSES = ["#2c7bb6", "#abd9e9", "#ffffbf", "#fdae61", "#d7191c"]  # very low .. very high
CLASS_NAMES = ["very low", "low", "medium", "high", "very high"]


def default_style_rows(gpkg):
    with sqlite3.connect(gpkg) as db:
        return db.execute("SELECT f_table_name, useAsDefault FROM layer_styles").fetchall()


def colour_counts(image):
    """Pixels per colour (#rrggbb) of a rendered QImage."""
    image = image.convertToFormat(image.Format_RGB32)
    data = bytes(image.constBits().asstring(image.sizeInBytes()))
    counts = Counter(data[i:i + 4] for i in range(0, len(data), 4))
    return Counter({f"#{k[2]:02x}{k[1]:02x}{k[0]:02x}": n for k, n in counts.items()})


def ramp_colour(v):
    """The colour priority.qml gives to a priority v: linear between the class colours at 0,
    0.25, 0.5, 0.75 and 1."""
    k = min(int(v * 4), 3)
    t = v * 4 - k
    a, b = ([int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in CLASSES[k:k + 2])
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def near(counts, colour, tol=10):
    """Pixels within `tol` per channel of `colour`."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(n for c, n in counts.items()
               if abs(int(c[1:3], 16) - r) <= tol and abs(int(c[3:5], 16) - g) <= tol
               and abs(int(c[5:7], 16) - b) <= tol)


class Outputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = outputs.make(TMP)
        cls.out, cls.replan, cls.years, cls.table = d["out"], d["replan"], d["years"], d["table"]
        cls.deadline, cls.replan_deadline = d["deadline"], d["replan_deadline"]
        render_project.start_qgis()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)

    def vector(self, folder, name):
        layer = QgsVectorLayer(f"{folder}/plan.gpkg|layername={name}", name, "ogr")
        self.assertTrue(layer.isValid(), f"{folder}/plan.gpkg {name}")
        return layer

    def check_years(self, folder, deadline_year):
        """hazards: categorised by year, one class a year, a sequential ramp, the years after
        the deadline marked, labelled with the rank at 1:50,000 and closer."""
        layer = self.vector(folder, "hazards")
        r = layer.renderer()
        self.assertEqual(r.type(), "categorizedSymbol")
        self.assertEqual(r.classAttribute(), "year")
        years = years_of(f"{folder}/plan.gpkg")
        cats = r.categories()
        self.assertEqual([int(c.value()) for c in cats], years)
        colours = [c.symbol().color().name() for c in cats]
        self.assertEqual(len(set(colours)), len(colours), colours)
        self.assertEqual(colours[0], "#440154")  # viridis, earliest first
        for c in cats:  # before the deadline's year; in it (hatched by `end`); after it
            y, label, n = int(c.value()), c.label(), c.symbol().symbolLayerCount()
            if y < deadline_year:
                self.assertEqual((label, n), (str(y), 1))
            elif y == deadline_year:
                self.assertRegex(label, rf"^{y} \(hatched: after {y}-\d\d-\d\d\)$")
                self.assertEqual(n, 2)
            else:
                self.assertEqual((label, n), (f"{y} (after the deadline)", 2))
        self.assertTrue(layer.labelsEnabled())
        s = layer.labeling().settings()
        self.assertEqual(s.fieldName, "rank")
        self.assertTrue(s.scaleVisibility)
        self.assertEqual(s.minimumScale, 50000)
        return layer

    def test_hazards_by_year(self):
        year = int(self.deadline[:4])
        layer = self.check_years(self.out, year)
        # the deadline's year holds work after it: hatched by its `end`
        cat = [c for c in layer.renderer().categories() if c.value() == str(year)][0]
        hatch = cat.symbol().symbolLayer(1)
        prop = hatch.dataDefinedProperties().property(hatch.PropertyLayerEnabled)
        self.assertTrue(prop.isActive())
        self.assertIn(self.deadline, prop.expressionString())
        self.assertEqual(layer.fields().field("area_m2").alias(), "Area (m²)")
        self.assertEqual(layer.fields().field("cost_usd").alias(), "Cost (US$)")
        self.check_years(self.replan, int(self.replan_deadline[:4]))  # work before and after

    def test_hazards_many_years(self):
        layer = self.vector(self.years, "hazards")
        cats = layer.renderer().categories()
        years = years_of(f"{self.years}/plan.gpkg")
        self.assertGreater(len(years), 16)
        self.assertEqual(len(cats), 16)  # 15 years, then every later one
        self.assertEqual(cats[-1].value(), "")
        self.assertIn("after the deadline", cats[-1].label())
        self.assertEqual([c.value() for c in cats[:15]], [str(y) for y in years[:15]])
        for c in cats[:15]:  # the deadline is 2030-06-30
            y = int(c.value())
            self.assertEqual("hatched" in c.label(), y == 2030, c.label())
            self.assertEqual("after the deadline" in c.label(), y > 2030, c.label())

    def test_other_layers(self):
        rejected = self.vector(self.out, "rejected")
        self.assertEqual(rejected.renderer().type(), "singleSymbol")
        self.assertEqual(rejected.fields().field("reason").alias(), "Reason")
        for name in ("packages", "milestones"):
            table = self.vector(self.out, name)
            self.assertFalse(table.isSpatial())
            self.assertEqual(table.fields().field("start").alias(),
                             "Work starts" if name == "packages" else "Period starts")
        rows = default_style_rows(f"{self.out}/plan.gpkg")
        self.assertEqual(sorted(r[0] for r in rows),
                         ["hazards", "milestones", "packages", "rejected"])
        self.assertTrue(all(r[1] == 1 for r in rows))
        # the SLD beside each map style reads in QGIS too: one rule per year (the deadline's
        # year in two, by and after it)
        with sqlite3.connect(f"{self.out}/plan.gpkg") as db:
            sld = db.execute("SELECT styleSLD FROM layer_styles WHERE f_table_name = 'hazards'"
                             ).fetchone()[0]
        path = os.path.join(TMP, "hazards.sld")
        with open(path, "w", encoding="utf-8") as f:
            f.write(sld)
        layer = self.vector(self.out, "hazards")
        msg, ok = layer.loadSldStyle(path)
        self.assertTrue(ok, msg)
        rules = layer.renderer().rootRule().children()
        years = years_of(f"{self.out}/plan.gpkg")
        self.assertIn(int(self.deadline[:4]), years)
        self.assertEqual(len([r for r in rules if r.symbol()]), len(years) + 1)

    def test_rasters(self):
        p = QgsRasterLayer(f"{self.out}/priority.tif", "priority")
        r = p.renderer()
        self.assertEqual(r.type(), "singlebandpseudocolor")
        self.assertEqual((r.classificationMin(), r.classificationMax()), (0, 1))
        items = r.shader().rasterShaderFunction().colorRampItemList()
        self.assertEqual([i.color.name() for i in items], CLASSES)
        self.assertEqual([i.value for i in items], [0, 0.25, 0.5, 0.75, 1])
        c = QgsRasterLayer(f"{self.out}/priority_class.tif", "classes")
        self.assertEqual(c.renderer().type(), "paletted")
        classes = c.renderer().classes()
        self.assertEqual([k.value for k in classes], [1, 2, 3, 4, 5])
        self.assertEqual([k.color.name() for k in classes], CLASSES)
        self.assertEqual([k.label.split(" (")[0] for k in classes], CLASS_NAMES)

    def read_project(self, folder):
        project = QgsProject.instance()
        project.clear()
        self.assertTrue(project.read(f"{folder}/plan.qgs"), project.error())
        for layer in project.mapLayers().values():
            self.assertTrue(layer.isValid(), layer.source())
        return project

    def test_project(self):
        # relative paths: the folder opens from elsewhere
        moved = os.path.join(TMP, "moved")
        shutil.copytree(self.out, moved)
        with open(f"{moved}/plan.qgs", encoding="utf-8") as f:
            self.assertNotIn(TMP, f.read())
        project = self.read_project(moved)
        self.assertEqual(project.title(), TITLE)
        self.assertEqual(project.crs().authid(), "EPSG:32618")
        root = project.layerTreeRoot()
        order = [(n.layer().source().split("/")[-1], n.isVisible()) for n in root.findLayers()]
        self.assertEqual(order, [("plan.gpkg|layername=hazards", True),
                                 ("plan.gpkg|layername=rejected", True),
                                 ("priority_class.tif", False), ("priority.tif", True),
                                 ("plan.gpkg|layername=packages", True),
                                 ("plan.gpkg|layername=milestones", True)])
        self.assertEqual(root.children()[-1].name(), "Tables")
        hazards = render_project.find_layer(project, "hazards")
        self.assertEqual(hazards.renderer().type(), "categorizedSymbol")
        self.assertTrue(hazards.labelsEnabled())
        self.assertEqual(render_project.find_layer(project, "priority.tif").renderer().type(),
                         "singlebandpseudocolor")
        extent = project.viewSettings().defaultViewExtent()
        gt = gdal.Open(f"{self.out}/priority.tif").GetGeoTransform()  # the grid's corner
        self.assertAlmostEqual(extent.xMinimum(), gt[0])
        self.assertAlmostEqual(extent.yMaximum(), gt[3])
        # `plan` without rasters: only the plan's layers; without geometry: tables only
        project = self.read_project(self.replan)
        self.assertEqual(sorted(n.layer().name() for n in project.layerTreeRoot().findLayers()),
                         ["Hazards by year work ends", "Milestones", "Rejected hazards",
                          "Work packages"])
        project = self.read_project(self.table)
        self.assertFalse(any(lay.isSpatial() for lay in project.mapLayers().values()))
        self.assertEqual(len(project.mapLayers()), 4)

    def test_render(self):
        project = self.read_project(self.out)
        # the whole map: the priority ramp under the hazards
        whole = colour_counts(render_project.render(project, 800, 800,
                                                    render_project.view_extent(project)))
        pixels = sum(whole.values())
        self.assertGreater(len(whole), 100)  # a continuous ramp, not a flat fill
        self.assertLess(whole["#ffffff"], pixels / 2)
        # the ramp's colours at the priorities the map holds (10th, 50th, 90th percentile)
        a = gdal.Open(f"{self.out}/priority.tif").ReadAsArray()
        values = np.sort(a[a >= 0].ravel())
        for q in (0.1, 0.5, 0.9):
            colour = ramp_colour(float(values[int(q * (len(values) - 1))]))
            self.assertGreater(near(whole, colour, 12), 200, (q, colour))
        # zoomed on the hazards: each year in its colour, labels at this scale
        hazards = render_project.find_layer(project, "hazards")
        zoom = colour_counts(render_project.render(project, 1000, 700,
                                                   render_project.view_extent(project, hazards)))
        for c in hazards.renderer().categories():
            self.assertGreater(zoom[c.symbol().color().name()], 50, c.label())
        self.assertGreater(zoom["#000000"], 20)  # outlines, hatch and rank labels
        # the laid-out picture (README's): title, map, legend
        png = os.environ.get("CP_QGIS_PNG") or os.path.join(TMP, "layout.png")
        self.assertTrue(render_project.render_layout(project, png, 1000, 620,
                                                     render_project.view_extent(project, hazards)))
        laid = colour_counts(QImage(png))
        self.assertGreater(laid["#440154"], 50)  # 2026, on the map and in the legend
        self.assertGreater(laid["#ffffff"], 1000)  # the legend's background


if __name__ == "__main__":
    unittest.main(verbosity=2)
