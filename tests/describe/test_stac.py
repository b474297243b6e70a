#!/usr/bin/python3
"""stac.json is a valid STAC 1.0.0 Item (with the projection extension 1.1.0) that describes
its folder: validated against local copies of the schemas (schemas/README.md), with a broken
copy as the negative control, and compared with the files themselves (assets present, media
types, grid, footprint, period, scenario). Fails, never skips, when python3-jsonschema is
missing. Environment (set by CTest): CP_BIN, CP_TEST_TMP.
"""
import copy
import glob
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import jsonschema  # noqa: E402
    from osgeo import gdal, ogr, osr  # noqa: E402

    import outputs  # noqa: E402
except ImportError as e:
    sys.exit(f"test_stac: {e}: install python3-jsonschema python3-gdal (scripts/deps.sh) and "
             "run with /usr/bin/python3")

TMP = os.path.join(os.environ.get("CP_TEST_TMP", "/tmp"), f"stac.{os.getpid()}")
SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
ITEM = "https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/item.json"
PROJECTION = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"


def validators():
    """A validator per schema the Item declares, resolving every $ref from the local copies
    (no network: a $ref that is not here fails)."""
    store = {}
    for path in glob.glob(os.path.join(SCHEMAS, "**", "*.json"), recursive=True):
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        store[schema["$id"].rstrip("#")] = schema

    def make(uri):
        schema = store[uri]
        resolver = jsonschema.RefResolver(uri, schema, store=store)
        return jsonschema.Draft7Validator(schema, resolver=resolver,
                                          format_checker=jsonschema.draft7_format_checker)

    return {ITEM: make(ITEM), PROJECTION: make(PROJECTION)}


class Stac(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dirs = outputs.make(TMP)
        cls.validators = validators()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)

    def item(self, name):
        with open(os.path.join(self.dirs[name], "stac.json"), encoding="utf-8") as f:
            return json.load(f)

    def errors(self, item):
        """Validation errors against the core schema and each extension the Item declares."""
        found = list(self.validators[ITEM].iter_errors(item))
        for ext in item.get("stac_extensions", []):
            self.assertIn(ext, self.validators, "an extension without a local schema")
            found += self.validators[ext].iter_errors(item)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in found]

    def test_valid(self):
        for name in ("out", "replan", "years", "table"):
            item = self.item(name)
            self.assertEqual(self.errors(item), [], name)
            self.assertIn(PROJECTION, item["stac_extensions"])
        # the schemas do catch a broken Item: each of these breaks it alone
        item = self.item("out")

        def no_datetime(i):
            del i["properties"]["datetime"]

        def not_utc(i):
            i["properties"]["datetime"] = "2026-01-01T00:00:00+01:00"

        def short_bbox(i):
            i["bbox"] = i["bbox"][:3]

        def bad_shape(i):
            i["assets"]["priority"]["proj:shape"] = [880]

        def bad_epsg(i):
            i["properties"]["proj:epsg"] = "EPSG:32618"

        def bad_ring(i):
            i["geometry"]["coordinates"] = [[[0, 0], [1, 1]]]

        for breaks in (no_datetime, not_utc, short_bbox, bad_shape, bad_epsg, bad_ring):
            broken = copy.deepcopy(item)
            breaks(broken)
            self.assertNotEqual(self.errors(broken), [], breaks.__name__)

    def test_describes_the_run(self):
        d = self.dirs["out"]
        item = self.item("out")
        p = item["properties"]
        self.assertEqual(item["id"], "synthetic-tiny-seed-1")
        self.assertEqual((p["title"], p["clearplan:scenario"]), (outputs.TITLE,) * 2)
        self.assertEqual(p["datetime"], "2026-01-01T00:00:00Z")
        self.assertEqual(p["clearplan:deadline"], self.dirs["deadline"])
        self.assertGreaterEqual(p["end_datetime"], self.dirs["deadline"])
        self.assertEqual(p["end_datetime"][:10], max(outputs.ends_of(f"{d}/plan.gpkg")))
        self.assertEqual(p["proj:epsg"], 32618)
        # every output is an asset, and every asset is a file of the folder
        files = {f for f in os.listdir(d)  # the manifest .clearplan is written after stac.json
                 if not f.endswith(".aux.xml") and f != "stac.json" and not f.startswith(".")}
        hrefs = {a["href"][2:] for a in item["assets"].values()}
        self.assertEqual(hrefs, files)
        a = item["assets"]
        self.assertEqual((a["priority"]["type"], a["priority_class"]["type"]), (COG, COG))
        self.assertEqual(a["plan"]["type"], "application/geopackage+sqlite3")
        self.assertEqual(a["run"]["roles"], ["metadata"])
        self.assertIn("data", a["priority"]["roles"])
        # the grid of the rasters
        ds = gdal.Open(os.path.join(d, "priority.tif"))
        gt = ds.GetGeoTransform()
        self.assertEqual(a["priority"]["proj:shape"], [ds.RasterYSize, ds.RasterXSize])
        self.assertEqual(a["priority"]["proj:transform"], [gt[1], gt[2], gt[0], gt[4], gt[5],
                                                           gt[3]])
        # the footprint holds every hazard, in WGS 84 longitude, latitude
        self.assertEqual(item["geometry"]["type"], "Polygon")
        ring = item["geometry"]["coordinates"][0]
        self.assertEqual(ring[0], ring[-1])
        w, s, e, n = item["bbox"]
        self.assertEqual([min(x for x, _ in ring), min(y for _, y in ring),
                          max(x for x, _ in ring), max(y for _, y in ring)], [w, s, e, n])
        footprint = ogr.CreateGeometryFromJson(json.dumps(item["geometry"]))
        gpkg = ogr.Open(os.path.join(d, "plan.gpkg"))
        layer = gpkg.GetLayerByName("hazards")
        wgs84 = osr.SpatialReference()
        wgs84.ImportFromEPSG(4326)
        wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        ct = osr.CoordinateTransformation(layer.GetSpatialRef(), wgs84)
        for f in layer:
            g = f.GetGeometryRef().Clone()
            g.Transform(ct)
            self.assertTrue(footprint.Contains(g), f["hazard_id"])
        self.assertTrue(-76 < w < e < -75 and 6 < s < n < 7, item["bbox"])  # Antioquia

    def test_describes_plans(self):
        item = self.item("replan")
        self.assertEqual(item["assets"]["run"]["href"], "./summary.json")
        self.assertNotIn("priority", item["assets"])
        last = max(outputs.ends_of(os.path.join(self.dirs["replan"], "plan.gpkg")))
        self.assertGreater(last, self.dirs["replan_deadline"])
        self.assertEqual(item["properties"]["end_datetime"][:10], last)
        # a plan without geometry: no footprint, no bbox
        item = self.item("table")
        self.assertIsNone(item["geometry"])
        self.assertNotIn("bbox", item)
        self.assertIn("plan", item["assets"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
