"""The output folders tests/describe checks, made with the clearplan command (CP_BIN):

    out      `clearplan run` on the tiny preset (seed 1) with one team per region, its deadline
             moved (deadline_for) so that the deadline's year holds work ended before it and
             after it
    replan   `clearplan plan` on out/plan.gpkg with one team and a deadline in the year after
             the first hazard's end: no rasters, work before and after the deadline
    years    `clearplan plan` on a GeoPackage of 40 hazards worked by one team: about one a
             year, over more years than the style has classes
    table    `clearplan plan` on out/plan.csv: no geometry
"""
import os
import re
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


def ends_of(gpkg):
    """The hazards' `end` dates, ascending."""
    with sqlite3.connect(gpkg) as db:
        return [e for (e,) in db.execute('SELECT "end" FROM hazards ORDER BY "end"')]


def deadline_for(ends):
    """A deadline inside the year of a hazard's end, after most work of that year and before
    the rest: the year's last end but one (work ending on the deadline day meets it), in the
    first year with two different ends."""
    for year in sorted({e[:4] for e in ends}):
        days = sorted({e for e in ends if e[:4] == year})
        if len(days) >= 2:
            return days[-2]
    raise AssertionError(f"no year holds two different ends: {ends}")


def make(tmp):
    """Makes the folders under `tmp` (emptied first); returns their paths by name, and the
    deadlines of out and replan."""
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    d = {k: os.path.join(tmp, k) for k in ("out", "replan", "years", "table")}
    sc = os.path.join(tmp, "sc", "scenario.yaml")
    sh("synth", "--preset", "tiny", "--seed", "1", "-o", os.path.join(tmp, "sc"), "-q")
    text = open(sc).read()
    text = re.sub(r"\n  teams: [^\n]*", "\n  teams: 2", text, count=1)
    text = re.sub(r"\n  regions: [^\n]*", "\n  regions: {Norte: 1, Sur: 1}", text, count=1)
    open(sc, "w").write(text)
    sh("run", sc, "-o", os.path.join(tmp, "first"), "-q")
    deadline = deadline_for(ends_of(os.path.join(tmp, "first", "plan.gpkg")))
    open(sc, "w").write(re.sub(r"\n  deadline: [^\n]*", f"\n  deadline: {deadline}", text,
                               count=1))
    sh("run", sc, "-o", d["out"], "-q")
    ends = ends_of(os.path.join(d["out"], "plan.gpkg"))
    d["deadline"] = deadline
    d["replan_deadline"] = f"{int(ends[0][:4]) + 1}-01-01"
    sh("plan", os.path.join(d["out"], "plan.gpkg"), "-o", d["replan"], "-q", "--teams", "1",
       "--start", "2026-01-01", "--deadline", d["replan_deadline"])
    many_years_gpkg(os.path.join(tmp, "many.gpkg"))
    sh("plan", os.path.join(tmp, "many.gpkg"), "-o", d["years"], "-q", "--teams", "1",
       "--start", "2026-01-01", "--deadline", "2030-06-30", "--days-per-year", "220")
    sh("plan", os.path.join(d["out"], "plan.csv"), "-o", d["table"], "-q",
       "--start", "2026-01-01", "--deadline", deadline)
    return d


def years_of(gpkg):
    """Distinct `year` of the hazards, ascending."""
    with sqlite3.connect(gpkg) as db:
        return [y for (y,) in db.execute("SELECT DISTINCT year FROM hazards ORDER BY year")]
