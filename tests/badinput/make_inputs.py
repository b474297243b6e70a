#!/usr/bin/python3
"""Builds the bad-input corpus of tests/badinput/cases.tsv.

usage: make_inputs.py BASE OUT
  BASE  a `clearplan synth --preset tiny` folder (left unchanged)
  OUT   folder to fill: OUT/<case>/ holds the case's scenario.yaml and its (flawed) inputs

Every case starts from a copy of BASE with a coarser grid (90 m cells: a run takes well under
a second) and changes one thing. Inputs are generated here with GDAL's Python bindings rather
than committed, so the corpus stays a few kilobytes of text.
"""
import math
import os
import re
import shutil
import struct
import sys

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

BASE, OUT = sys.argv[1], sys.argv[2]
base_yaml = open(os.path.join(BASE, "scenario.yaml")).read()
base_yaml = base_yaml.replace("cell_size_m: 30", "cell_size_m: 90")
# no area of interest: the grid follows the hazards (the cases below add their own AOI)
base_yaml = re.sub(r"\n  aoi: [^\n]*", "", base_yaml, count=1)
# pin the capacity the cases edit (the generator's figures may change)
base_yaml = re.sub(r"\n  teams: [^\n]*", "\n  teams: 4", base_yaml, count=1)
base_yaml = re.sub(r"\n  regions: [^\n]*", "\n  regions: {Norte: 2, Sur: 2}", base_yaml, count=1)


def case(name, yaml=None, sub=None):
    """A copy of BASE as OUT/name; yaml replaces the scenario text, sub=(old, new) edits it."""
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(BASE, d)
    if os.path.exists(os.path.join(d, "aoi.gpkg")):  # the base AOI is not used (see above)
        os.remove(os.path.join(d, "aoi.gpkg"))
    text = base_yaml if yaml is None else yaml
    for old, new in sub or []:
        assert old in text, (name, old)
        text = text.replace(old, new, 1)
    open(os.path.join(d, "scenario.yaml"), "w").write(text)
    return d


def pop(d):
    return os.path.join(d, "population.tif")


# ---------------------------------------------------------------- the unchanged base
case("base")

# ---------------------------------------------------------------- rasters
d = case("raster_truncated")
data = open(pop(d), "rb").read()
open(pop(d), "wb").write(data[: len(data) // 3])

d = case("raster_corrupt")
open(pop(d), "wb").write(b"II*\x00" + bytes((i * 37 + 11) % 256 for i in range(4000)))

d = case("raster_not_tiff")
open(pop(d), "wb").write(b"this is not a raster\n" * 10)

d = case("raster_empty_file")
open(pop(d), "wb").close()


def rewrite_population(d, fn, srs=True, name="population.tif"):
    src = gdal.Open(os.path.join(BASE, "population.tif"))
    a = src.GetRasterBand(1).ReadAsArray().astype("float32")
    a = fn(a)
    drv = gdal.GetDriverByName("GTiff")
    out = drv.Create(os.path.join(d, name), a.shape[1], a.shape[0], 1, gdal.GDT_Float32)
    out.SetGeoTransform(src.GetGeoTransform())
    if srs:
        out.SetProjection(src.GetProjection())
    out.GetRasterBand(1).WriteArray(a)
    out = None


d = case("raster_no_crs")
rewrite_population(d, lambda a: a, srs=False)

d = case("raster_no_crs_assumed",
         sub=[("population: {path: population.tif, role: population}",
               "population: {path: population.tif, role: population, assume_crs: 'EPSG:4326'}")])
rewrite_population(d, lambda a: a, srs=False)


def nan_inf(a):
    a[::3, ::2] = float("nan")
    a[1::5, ::3] = float("inf")
    a[2::7, 1::4] = float("-inf")
    return a


d = case("raster_nan_inf")
rewrite_population(d, nan_inf)


def all_nan(a):
    a[:] = float("nan")
    return a


d = case("raster_all_nan")
rewrite_population(d, all_nan)

# zero size: GDAL refuses to create one, so patch ImageWidth of a small uncompressed TIFF to 0
d = case("raster_zero_width")
rewrite_population(d, lambda a: a[:4, :4].copy(), name="small.tif")
raw = bytearray(open(os.path.join(d, "small.tif"), "rb").read())
assert raw[:4] == b"II*\x00"
ifd = struct.unpack_from("<I", raw, 4)[0]
for k in range(struct.unpack_from("<H", raw, ifd)[0]):
    tag, typ, cnt = struct.unpack_from("<HHI", raw, ifd + 2 + 12 * k)
    if tag in (256, 257):  # ImageWidth, ImageLength
        if typ == 3:
            struct.pack_into("<H", raw, ifd + 2 + 12 * k + 8, 0)
        else:
            struct.pack_into("<I", raw, ifd + 2 + 12 * k + 8, 0)
open(pop(d), "wb").write(raw)
os.remove(os.path.join(d, "small.tif"))

# huge declared dimensions in a tiny file: 10^6 x 10^6 cells
#   - a GeoTIFF header that declares them over a 4-cell strip: GDAL refuses to open it
#   - a VRT (a few hundred bytes) over the real raster: the run reads only the grid's window
d = case("raster_huge_tiff")
raw = bytearray(open(pop(os.path.join(OUT, "raster_zero_width")), "rb").read())
ifd = struct.unpack_from("<I", raw, 4)[0]
for k in range(struct.unpack_from("<H", raw, ifd)[0]):
    tag, typ, cnt = struct.unpack_from("<HHI", raw, ifd + 2 + 12 * k)
    if tag in (256, 257):
        struct.pack_into("<HHI", raw, ifd + 2 + 12 * k, tag, 4, 1)
        struct.pack_into("<I", raw, ifd + 2 + 12 * k + 8, 1000000)
open(pop(d), "wb").write(raw)

d = case("raster_huge_vrt",
         sub=[("population: {path: population.tif, role: population}", "population: {path: huge.vrt, role: population}")])
src = gdal.Open(pop(BASE))
gt = src.GetGeoTransform()
n = 1000000
# the same place and extent as the real raster, at a 10^6 x 10^6 resolution
vgt = (gt[0], gt[1] * src.RasterXSize / n, 0, gt[3], 0, gt[5] * src.RasterYSize / n)
open(os.path.join(d, "huge.vrt"), "w").write(f"""<VRTDataset rasterXSize="{n}" rasterYSize="{n}">
  <SRS>{src.GetProjection().replace('"', '&quot;')}</SRS>
  <GeoTransform>{', '.join(repr(v) for v in vgt)}</GeoTransform>
  <VRTRasterBand dataType="Float32" band="1">
    <NoDataValue>-1</NoDataValue>
    <SimpleSource>
      <SourceFilename relativeToVRT="1">population.tif</SourceFilename>
      <SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="{src.RasterXSize}" ySize="{src.RasterYSize}"/>
      <DstRect xOff="0" yOff="0" xSize="{n}" ySize="{n}"/>
    </SimpleSource>
  </VRTRasterBand>
</VRTDataset>
""")
src = None

d = case("raster_missing", sub=[("population: {path: population.tif, role: population}",
                                 "population: {path: nowhere.tif}")])

d = case("raster_disjoint")
rewrite_population(d, lambda a: a)
ds = gdal.Open(pop(d), gdal.GA_Update)
g = list(ds.GetGeoTransform())
g[0] += 100.0  # 100 degrees east: no overlap with the grid
ds.SetGeoTransform(g)
ds = None

# ---------------------------------------------------------------- hazards (GeoPackage)
HZ = "hazards.gpkg"


def edit_hazards(d, add=(), srs_epsg=32618, layer_srs=True, fields=None):
    """Rewrites OUT/d/hazards.gpkg: the base features, then `add` = [(id, status, wkt)]."""
    src = ogr.Open(os.path.join(BASE, HZ))
    sl = src.GetLayer(0)
    path = os.path.join(d, HZ)
    os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(srs_epsg)
    lyr = ds.CreateLayer("hazards", srs if layer_srs else None, ogr.wkbUnknown)
    keep = fields or ["hazard_id", "status", "province"]
    for f in keep:
        lyr.CreateField(ogr.FieldDefn(f, ogr.OFTString))
    if srs_epsg == 32618:
        for feat in sl:
            o = ogr.Feature(lyr.GetLayerDefn())
            for f in keep:
                if sl.GetLayerDefn().GetFieldIndex(f) >= 0:
                    o.SetField(f, feat.GetField(f))
            g = feat.GetGeometryRef()
            if g is not None:
                o.SetGeometry(g.Clone())
            lyr.CreateFeature(o)
    for hid, status, wkt in add:
        o = ogr.Feature(lyr.GetLayerDefn())
        if hid is not None and "hazard_id" in keep:
            o.SetField("hazard_id", hid)
        if "status" in keep:
            o.SetField("status", status)
        if "province" in keep:
            o.SetField("province", "Norte")
        if wkt:
            o.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        lyr.CreateFeature(o)
    ds = None


x0, y0 = 472400, 700000  # inside the base extent (UTM 18N)


def sq(x, y, s):
    return f"POLYGON(({x} {y},{x+s} {y},{x+s} {y+s},{x} {y+s},{x} {y}))"


d = case("gpkg_flawed")
edit_hazards(d, add=[
    ("X-NULL", "SHA", None),
    ("X-EMPTY", "CHA", "POLYGON EMPTY"),
    ("X-BOWTIE", "SHA", f"POLYGON(({x0} {y0},{x0+300} {y0+300},{x0+300} {y0},{x0} {y0+300},{x0} {y0}))"),
    ("X-SELFTOUCH", "CHA", f"POLYGON(({x0} {y0},{x0+200} {y0},{x0+200} {y0+200},{x0+100} {y0},"
                           f"{x0} {y0+200},{x0} {y0}))"),
    ("X-HOLEOUT", "SHA", f"POLYGON(({x0} {y0},{x0+100} {y0},{x0+100} {y0+100},{x0} {y0+100},{x0} {y0}),"
                         f"({x0+200} {y0+200},{x0+300} {y0+200},{x0+300} {y0+300},{x0+200} {y0+300},{x0+200} {y0+200}))"),
    ("X-SPIKE", "SHA", f"POLYGON(({x0} {y0},{x0+100} {y0},{x0+100} {y0+100},{x0+100} {y0+500},"
                       f"{x0+100} {y0+100},{x0} {y0+100},{x0} {y0}))"),
    ("X-LINE", "SHA", f"LINESTRING({x0} {y0},{x0+100} {y0+100})"),
    ("X-POINT", "SHA", f"POINT({x0} {y0})"),
    ("X-ZEROAREA", "SHA", f"POLYGON(({x0} {y0},{x0+100} {y0},{x0+200} {y0},{x0} {y0}))"),
    ("X-DUP", "SHA", sq(x0 + 500, y0, 50)),
    ("X-DUP", "CHA", sq(x0 + 600, y0, 50)),
    (None, "SHA", sq(x0 + 700, y0, 50)),
    ("", "SHA", sq(x0 + 800, y0, 50)),
    ("X-BADSTATUS", "maybe", sq(x0 + 900, y0, 50)),
    ("X-NOSTATUS", None, sq(x0 + 1000, y0, 50)),
    ("X-TINY", "CHA", sq(x0 + 1100, y0, 0.001)),
    ("X-COLLECTION", "CHA", f"GEOMETRYCOLLECTION({sq(x0 + 1200, y0, 40)},POINT({x0} {y0}))"),
])

# far outside the grid: an AOI fixes the grid to the base hazards' extent
d = case("gpkg_outside_aoi", sub=[("cell_size_m: 90", "cell_size_m: 90\n  aoi: aoi.gpkg")])
edit_hazards(d, add=[("X-FAR", "SHA", sq(x0 + 2_000_000, y0, 100)),
                     ("X-EDGE", "CHA", sq(x0 - 2_000, y0, 100_000))])
aoi = ogr.GetDriverByName("GPKG").CreateDataSource(os.path.join(d, "aoi.gpkg"))
srs = osr.SpatialReference()
srs.ImportFromEPSG(32618)
al = aoi.CreateLayer("aoi", srs, ogr.wkbPolygon)
f = ogr.Feature(al.GetLayerDefn())
f.SetGeometry(ogr.CreateGeometryFromWkt(sq(470000, 687000, 12500)))  # the tiny hazards, below X-EDGE
al.CreateFeature(f)
aoi = None

# far away without an AOI: the grid would span thousands of km
d = case("gpkg_far_no_aoi")
edit_hazards(d, add=[("X-FAR", "SHA", sq(x0 + 3_000_000, y0 + 3_000_000, 100))])

# crossing the antimeridian, in EPSG:4326 (with the base AOI, so it is outside)
d = case("gpkg_antimeridian", sub=[("cell_size_m: 90", "cell_size_m: 90\n  aoi: aoi.gpkg")])
shutil.copy(os.path.join(OUT, "gpkg_outside_aoi", "aoi.gpkg"), os.path.join(d, "aoi.gpkg"))
edit_hazards(d, srs_epsg=4326, add=[
    ("X-AM", "SHA", "POLYGON((179.9 -16.5,-179.9 -16.5,-179.9 -16.4,179.9 -16.4,179.9 -16.5))"),
    ("X-AM2", "CHA", "MULTIPOLYGON(((179.9 -16.5,180 -16.5,180 -16.4,179.9 -16.4,179.9 -16.5)),"
                     "((-180 -16.5,-179.9 -16.5,-179.9 -16.4,-180 -16.4,-180 -16.5)))"),
    ("X-OK", "SHA", "POLYGON((-75.25 6.31,-75.249 6.31,-75.249 6.311,-75.25 6.311,-75.25 6.31))"),
])

d = case("gpkg_no_crs")
edit_hazards(d, layer_srs=False)

d = case("gpkg_empty_layer")
edit_hazards(d, srs_epsg=4326)  # no base features, nothing added

d = case("gpkg_missing_id_field")
edit_hazards(d, fields=["status", "province"])

d = case("gpkg_corrupt")
open(os.path.join(d, HZ), "wb").write(b"SQLite format 3\x00" + b"\xff" * 2000)

d = case("gpkg_wrong_layer", sub=[("layer: hazards", "layer: hazardz")])

# ---------------------------------------------------------------- reports
srs = osr.SpatialReference()
srs.ImportFromEPSG(4326)
srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)


def write_reports(d, rows, lon0=-75.26, lat=6.33):
    """Rewrites OUT/d/reports.gpkg (EPSG:4326): rows = [(date, confidence, has_geometry)],
    points 0.001 degrees apart eastwards from (lon0, lat)."""
    path = os.path.join(d, "reports.gpkg")
    os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer("reports", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("reported_on", ogr.OFTString))
    lyr.CreateField(ogr.FieldDefn("confidence", ogr.OFTReal))
    for k, (date, conf, geom) in enumerate(rows):
        f = ogr.Feature(lyr.GetLayerDefn())
        if date is not None:
            f.SetField("reported_on", date)
        if conf is not None:
            f.SetField("confidence", conf)
        if geom:
            f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT({lon0 + 0.001 * k} {lat})"))
        lyr.CreateFeature(f)
    ds = None


# 4 good, 7 skipped: bad text, impossible day, empty, null, future, null geometry, far future
write_reports(case("reports_bad_dates"), [
    ("2025-06-01", 1.0, True), ("2024-01-01", 0.5, True), ("2025-12-31", 80, True),
    ("2023-03-03", None, True),
    ("yesterday", 1.0, True), ("2025-02-30", 1.0, True), ("", 1.0, True), (None, 1.0, True),
    ("2031-01-01", 1.0, True), ("2025-01-01", 1.0, False), ("9999-12-31", 1.0, True)])

# every report skipped (dated after the scenario's as_of): run.json still counts them
write_reports(case("reports_all_skipped"),
              [("2030-01-01", 1.0, True), ("2031-06-01", 0.5, True), ("2032-12-31", 1.0, True)])

# confidence out of range: 150 and 1e9 (above 100) and -5 are skipped
write_reports(case("reports_confidence_range"),
              [("2025-06-01", conf, True) for conf in [0.5, 80, 100, 150, 1e9, -5, None]])

# ---------------------------------------------------------------- intake (issue #11)
# a point layer before the hazards and no `layer:`: the file's layers are listed, nothing runs
d = case("gpkg_two_layers", sub=[("layer: hazards, ", "")])
src = ogr.Open(os.path.join(BASE, HZ))
os.remove(os.path.join(d, HZ))
ds = ogr.GetDriverByName("GPKG").CreateDataSource(os.path.join(d, HZ))
pts = ds.CreateLayer("points", src.GetLayer(0).GetSpatialRef(), ogr.wkbPoint)
for fname in ("hazard_id", "status", "province"):
    pts.CreateField(ogr.FieldDefn(fname, ogr.OFTString))
f = ogr.Feature(pts.GetLayerDefn())
f.SetField("hazard_id", "P-1")
f.SetField("status", "SHA")
f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT({x0} {y0})"))
pts.CreateFeature(f)
ds.CopyLayer(src.GetLayer(0), "hazards")
ds = None
src = None


def many_squares(n, s, spike):
    """MULTIPOLYGON of n squares of side s in a row, the last with a spike: GEOS's default
    make-valid returns GEOMETRYCOLLECTION(MULTIPOLYGON(n), LINESTRING) for it."""
    parts = []
    for i in range(n):
        x, y = x0 + 2 * s * i, y0
        mid = f"{x+s} {y+s},{x+s} {y+5*s},{x+s} {y+s}," if spike and i == n - 1 else f"{x+s} {y+s},"
        parts.append(f"(({x} {y},{x+s} {y},{mid}{x} {y+s},{x} {y}))")
    return "MULTIPOLYGON(" + ",".join(parts) + ")"


# the real-data crash: more polygons in a make-valid collection than it has members
d = case("gpkg_collection_overflow")
edit_hazards(d, add=[("X-MANY", "SHA", many_squares(200, 20, True)),
                     ("X-FEW", "CHA", many_squares(3, 20, True))])

# two small squares in Fiji 1.5 km apart, either side of the antimeridian (EPSG:4326): the grid
# comes from their polygons in the grid's CRS (not the layer's -180..180 envelope)
FIJI_YAML = """name: Fiji
grid: {%s cell_size_m: 90}
inputs:
  hazards: {path: hazards.gpkg, layer: hazards, id: hazard_id, status: status}
  reports: {path: reports.gpkg, role: reports, date: reported_on, confidence: confidence}
capacity: {start: 2026-01-01, deadline: 2030-01-01, teams: 2}
"""
for name, crs in (("gpkg_fiji_grid_crs", "crs: EPSG:32760,"), ("gpkg_fiji_utm", "")):
    d = case(name, yaml=FIJI_YAML % crs)
    edit_hazards(d, srs_epsg=4326, fields=["hazard_id", "status"], add=[
        ("F-1", "SHA", "POLYGON((179.99 -16.5,179.995 -16.5,179.995 -16.4955,179.99 -16.4955,179.99 -16.5))"),
        ("F-2", "CHA", "POLYGON((-179.996 -16.5,-179.991 -16.5,-179.991 -16.4955,-179.996 -16.4955,-179.996 -16.5))"),
    ])
    write_reports(d, [("2025-06-01", 1.0, True)], lon0=179.999, lat=-16.498)

# a grid above grid.max_cells: an error naming its size and extent
case("grid_max_cells", sub=[("cell_size_m: 90", "cell_size_m: 90\n  max_cells: 1000")])

# negative people: a data error naming the raster (exit 1, not 2)
d = case("raster_negative_population")
rewrite_population(d, lambda a: a * 0 - 5)

# ---------------------------------------------------------------- YAML: syntax, types, keys
y = base_yaml
YAML_CASES = {
    "yaml_syntax": [("criteria:\n", "criteria: [\n")],
    "yaml_tab": [("grid:\n  crs", "grid:\n\tcrs")],
    "yaml_not_mapping": None,  # replaced below
    "yaml_unknown_key": [("cell_size_m: 90", "cell_size: 90")],
    "yaml_unknown_top": [("cost:\n", "costs:\n")],
    "yaml_missing_hazards": [("  hazards:   {path: hazards.gpkg, layer: hazards, id: hazard_id, status: status, region: province}\n", "")],
    "yaml_missing_inputs": None,
    "yaml_missing_path": [("{path: hazards.gpkg, layer", "{layer")],
    "yaml_name_list": [("name: Synthetic tiny (seed 1)", "name: [Synthetic, tiny]")],
    "yaml_cell_text": [("cell_size_m: 90", "cell_size_m: ninety")],
    "yaml_cell_zero": [("cell_size_m: 90", "cell_size_m: 0")],
    "yaml_cell_negative": [("cell_size_m: 90", "cell_size_m: -30")],
    "yaml_cell_nan": [("cell_size_m: 90", "cell_size_m: .nan")],
    "yaml_cell_inf": [("cell_size_m: 90", "cell_size_m: .inf")],
    "yaml_crs_number": [("crs: EPSG:32618", "crs: 32618")],
    "yaml_crs_bogus": [("crs: EPSG:32618", "crs: EPSG:999999")],
    "yaml_crs_geographic": [("crs: EPSG:32618", "crs: EPSG:4326")],
    "yaml_inputs_list": None,
    "yaml_band_text": [("population: {path: population.tif, role: population}", "population: {path: population.tif, role: population, band: first}")],
    "yaml_band_zero": [("population: {path: population.tif, role: population}", "population: {path: population.tif, role: population, band: 0}")],
    "yaml_resample_bogus": [("population: {path: population.tif, role: population}", "population: {path: population.tif, role: population, resample: cubic_spline_9}")],
    "yaml_type_bogus": [("population: {path: population.tif, role: population}", "population: {path: population.tif, role: population, type: table}")],
    "yaml_criteria_map": [("criteria:\n  - {name: people_nearby", "criteria:\n  x: {name: people_nearby")],
    "yaml_kind_bogus": [("kind: focal_sum", "kind: focal_mean")],
    "yaml_weight_negative": [("weight: 0.35", "weight: -0.35")],
    "yaml_weight_text": [("weight: 0.35", "weight: heavy")],
    "yaml_weights_zero": [("weight: 0.35", "weight: 0"), ("weight: 0.10", "weight: 0"), ("weight: 0.25", "weight: 0"), ("weight: 0.05", "weight: 0"), ("weight: 0.25", "weight: 0")],
    "yaml_radius_list": [("radius_m: 1000", "radius_m: [1000]")],
    "yaml_key_other_kind": [("radius_m: 1000", "radius_m: 1000, decay_m: 5")],
    "yaml_criterion_input_unknown": [("input: population, radius_m", "input: people, radius_m")],
    "yaml_normalise_bogus": [("normalise: log", "normalise: sqrt")],
    "yaml_table_text": [("table: {40: 1.0", "table: {forest: 1.0")],
    "yaml_range_short": [("range: [0, 100]", "range: [0]")],
    "yaml_range_reversed": [("range: [0, 100]", "range: [100, 0]")],
    "yaml_invert_text": [("invert: true", "invert: maybe")],
    "yaml_as_of_bad": [("as_of: 2026-01-01", "as_of: 2026-02-30")],
    "yaml_release_sum": [("SHA: {cancel: 0.45", "SHA: {cancel: 0.55")],
    "yaml_release_status": [("CHA: {cancel", "XHA: {cancel")],
    "yaml_productivity_text": [("{default: 400,", "{default: lots,")],
    "yaml_productivity_tiny": [("{default: 400,", "{default: 1e-300,")],
    "yaml_productivity_class_tiny": [("classes: {40: 500,", "classes: {40: 1e-300,")],
    "yaml_nts_tiny": [("nts_m2_per_team_day: 40000", "nts_m2_per_team_day: 1e-300")],
    "yaml_slowest_clearance": [("treecover_slowdown: 0.5", "treecover_slowdown: 1")],
    "yaml_team_day_usd_negative": [("team_day_usd: 1500", "team_day_usd: -1500")],
    "yaml_start_bad": [("start: 2026-01-01", "start: 2026-13-01")],
    "yaml_start_number": [("start: 2026-01-01", "start: 20260101")],
    "yaml_deadline_before_start": [("deadline: 2028-03-01", "deadline: 2025-03-01")],
    "yaml_deadline_equal_start": [("deadline: 2028-03-01", "deadline: 2026-01-01")],
    "yaml_teams_zero": [("teams: 4", "teams: 0"), ("  regions: {Norte: 2, Sur: 2}\n", "")],
    "yaml_teams_negative": [("teams: 4", "teams: -4")],
    "yaml_teams_text": [("teams: 4", "teams: four")],
    "yaml_teams_vs_regions": [("teams: 4", "teams: 5")],
    "yaml_region_zero": [("regions: {Norte: 2, Sur: 2}", "regions: {Norte: 0, Sur: 0}"), ("  teams: 4\n", "")],
    "yaml_teams_year_bad": [("teams: 4", "teams: {twenty: 4}"), ("  regions: {Norte: 2, Sur: 2}\n", "")],
    "yaml_teams_year_zero": [("teams: 4", "teams: {2026: 0}"), ("  regions: {Norte: 2, Sur: 2}\n", "")],
    "yaml_days_zero": [("days_per_year: 220", "days_per_year: 0")],
    "yaml_days_too_many": [("days_per_year: 220", "days_per_year: 400")],
    "yaml_package_zero": [("package_team_days: 20", "package_team_days: 0")],
    "yaml_outputs_dir_list": [("  dir: out", "  dir: [out]")],
    "yaml_criteria_maps_text": [("outputs:\n", "outputs:\n  criteria_maps: sometimes\n")],
    "yaml_locked_map": [("outputs:\n", "plan: {locked: {a: 1}}\noutputs:\n")],
    "yaml_exclude_list": [("outputs:\n", "plan: {exclude: [a]}\noutputs:\n")],
    "yaml_duplicate_key": [("  teams: 4\n", "  teams: 4\n  teams: 5\n")],
    "yaml_duplicate_criterion": [("name: settlements", "name: people_nearby")],
    "yaml_empty_file": None,
    "yaml_binary": None,
}
for name, subs in YAML_CASES.items():
    if subs is not None:
        case(name, sub=subs)
case("yaml_not_mapping", yaml="- just\n- a list\n")
case("yaml_missing_inputs", yaml="name: x\ncapacity: {teams: 3}\n")
case("yaml_inputs_list", yaml="inputs: [hazards.gpkg]\n")
case("yaml_empty_file", yaml="")
case("yaml_binary", yaml="\x00\x01\x02\xff\xfe inputs: {hazards: h}\n")
