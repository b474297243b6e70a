"""The output folders tests/describe checks, made with the clearplan command (CP_BIN):

    out      `clearplan run` on the tiny preset (seed 1): deadline 2028-03-01, work ending in
             2026 and 2028, some of it after the deadline
    replan   `clearplan plan` on out/plan.gpkg with one team and a 2027-01-01 deadline: no
             rasters, work in 2026 and 2035
    years    `clearplan plan` on a GeoPackage of 40 hazards, one a year from 2026
    table    `clearplan plan` on out/plan.csv: no geometry
"""
import os
import shutil
import sqlite3
import subprocess

from osgeo import ogr, osr

BIN = os.environ.get("CP_BIN", "clearplan")
TITLE = "Synthetic tiny (seed 1)"


def sh(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"{' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")


def many_years_gpkg(path):
    """40 square hazards of 220 team-days each: with one team of 220 days a year, one a year."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32618)
    layer = ds.CreateLayer("hazards", srs, ogr.wkbPolygon)
    for name, kind in [("hazard_id", ogr.OFTString), ("status", ogr.OFTString),
                       ("area_m2", ogr.OFTReal), ("benefit", ogr.OFTReal),
                       ("cost_team_days", ogr.OFTReal)]:
        layer.CreateField(ogr.FieldDefn(name, kind))
    for i in range(40):
        f = ogr.Feature(layer.GetLayerDefn())
        x, y = 470000 + (i % 8) * 300, 700000 + (i // 8) * 300
        f.SetGeometry(ogr.CreateGeometryFromWkt(
            f"POLYGON(({x} {y},{x + 200} {y},{x + 200} {y + 200},{x} {y + 200},{x} {y}))"))
        f.SetField("hazard_id", f"H{i:02d}")
        f.SetField("status", "CHA")
        f.SetField("area_m2", 40000.0)
        f.SetField("benefit", 40.0 - i)  # the plan's order is the input's
        f.SetField("cost_team_days", 220.0)
        layer.CreateFeature(f)
    ds = None


def make(tmp):
    """Makes the folders under `tmp` (emptied first); returns their paths by name."""
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    d = {k: os.path.join(tmp, k) for k in ("out", "replan", "years", "table")}
    sh("synth", "--preset", "tiny", "--seed", "1", "-o", os.path.join(tmp, "sc"), "-q")
    sh("run", os.path.join(tmp, "sc", "scenario.yaml"), "-o", d["out"], "-q")
    sh("plan", os.path.join(d["out"], "plan.gpkg"), "-o", d["replan"], "-q", "--teams", "1",
       "--start", "2026-01-01", "--deadline", "2027-01-01")
    many_years_gpkg(os.path.join(tmp, "many.gpkg"))
    sh("plan", os.path.join(tmp, "many.gpkg"), "-o", d["years"], "-q", "--teams", "1",
       "--start", "2026-01-01", "--deadline", "2030-06-30", "--days-per-year", "220")
    sh("plan", os.path.join(d["out"], "plan.csv"), "-o", d["table"], "-q",
       "--start", "2026-01-01", "--deadline", "2028-03-01")
    return d


def years_of(gpkg):
    """Distinct `year` of the hazards, ascending."""
    with sqlite3.connect(gpkg) as db:
        return [y for (y,) in db.execute("SELECT DISTINCT year FROM hazards ORDER BY year")]
