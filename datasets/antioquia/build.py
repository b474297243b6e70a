#!/usr/bin/python3
"""Builds the Oriente Antioqueno real-data scenario from the RELand grid (see README.md).

    /usr/bin/python3 datasets/antioquia/build.py [--data DIR] [--out DIR]

Inputs:  reland-antioquia.csv (MIT, RELand paper repository) and, optionally,
         geonames-places-co-ba-af-kh-ua-iq.tsv (CC BY 4.0, GeoNames) from --data
         (default: ../shared/data beside the repository).
Outputs: population.tif, landcover.tif, hazards.gpkg, reports.gpkg, settlements.gpkg,
         scenario.yaml, manifest.json in --out (default: this folder).

Deterministic: no randomness except SHA-256 of cell indices, fixed GeoPackage timestamps,
no GeoTIFF timestamps; running it twice gives byte-identical files.
"""
import argparse
import csv
import hashlib
import json
import math
import os
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
gdal.SetConfigOption("OGR_CURRENT_DATE", "2026-01-01T00:00:00.000Z")

STEP = 0.008974358974358974  # the RELand grid step in degrees (about 1 km)
ANALYSIS_EPSG = 32618  # WGS 84 / UTM 18N
REPORT_DATE = "2020-12-31"  # RELand gives no event dates: end of its data period (see README)

# RELand one-hot land-use vocation (IGAC "vocacion de uso") -> WorldCover-like code
VOCATION = [
    ("Vocacion_Forestal", 10, "forestry -> tree cover"),
    ("Vocacion_Agrícola", 40, "agriculture -> cropland"),
    ("Vocacion_Agroforestal", 40, "agroforestry (worked land, crops with trees) -> cropland"),
    ("Vocacion_Ganadera", 30, "livestock (pasture) -> grassland"),
    ("Vocacion_Conservación de Suelos", 30, "soil conservation (protective cover) -> grassland"),
    ("Vocacion_Zonas urbanas", 50, "urban areas -> built-up"),
    ("Vocacion_Cuerpo de agua", 80, "water bodies -> permanent water"),
]

# Municipality names as spelt in the CSV (two carry a broken "N with tilde") -> proper names
MUNICIPIO_FIX = {"NARI\u00a5O": "NARIÑO", "PE\u00a5OL": "PEÑOL"}


def unit(*key):
    """Deterministic number in [0, 1) from a key (SHA-256)."""
    h = hashlib.sha256(",".join(str(k) for k in key).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def tiff(path, nx, ny, dtype, gt, nodata, predictor, desc):
    opts = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE"]
    if predictor:
        opts.append("PREDICTOR=%d" % predictor)
    ds = gdal.GetDriverByName("GTiff").Create(path, nx, ny, 1, dtype, opts)
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs(4326).ExportToWkt())
    b = ds.GetRasterBand(1)
    b.SetNoDataValue(nodata)
    b.SetDescription(desc)
    return ds


def star(cx, cy, radius, key):
    """Star-shaped (hence valid) irregular ring around (cx, cy), vertices from SHA-256."""
    nv = 12 + int(unit(*key, "nv") * 9)
    ph = [2 * math.pi * unit(*key, "ph", j) for j in range(3)]
    ring = ogr.Geometry(ogr.wkbLinearRing)
    pts = []
    for k in range(nv):
        th = 2 * math.pi * (k + 0.3 * (unit(*key, "t", k) - 0.5)) / nv
        rho = (1 + 0.25 * math.sin(2 * th + ph[0]) + 0.15 * math.sin(3 * th + ph[1])
               + 0.1 * (unit(*key, "r", k) - 0.5))
        pts.append((round(cx + radius * rho * math.cos(th), 2),
                    round(cy + radius * rho * math.sin(th), 2)))
    for x, y in pts + pts[:1]:
        ring.AddPoint_2D(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "..", "shared", "data"))
    ap.add_argument("--out", default=here)
    a = ap.parse_args()
    src = os.path.join(a.data, "reland-antioquia.csv")
    with open(src, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))

    lons = [float(r["LONGITUD_X"]) for r in rows]
    lats = [float(r["LATITUD_Y"]) for r in rows]
    lon_min, lat_max = min(lons), max(lats)
    nx = round((max(lons) - lon_min) / STEP) + 1
    ny = round((lat_max - min(lats)) / STEP) + 1
    west, north = lon_min - STEP / 2, lat_max + STEP / 2
    gt = (west, STEP, 0.0, north, 0.0, -STEP)

    cells = {}
    for r, lon, lat in zip(rows, lons, lats):
        col = round((lon - lon_min) / STEP)
        row = round((lat_max - lat) / STEP)
        assert abs((lon - lon_min) / STEP - col) < 0.05 and abs((lat_max - lat) / STEP - row) < 0.05
        assert (row, col) not in cells, "two CSV rows on one cell"
        cells[(row, col)] = r

    # --- rasters on the RELand grid (EPSG:4326, ~1 km) ---
    pop = [[-99999.0] * nx for _ in range(ny)]
    lc = [[0] * nx for _ in range(ny)]
    pop_total = 0.0
    lc_count = {}
    for (row, col), r in sorted(cells.items()):
        p = float(r["population_2020"])
        pop[row][col] = p
        pop_total += float(np.float32(p))
        code = 0
        for name, c, _ in VOCATION:
            if float(r.get(name, 0) or 0) >= 0.5:
                code = c
                break
        lc[row][col] = code
        lc_count[code] = lc_count.get(code, 0) + 1
    os.makedirs(a.out, exist_ok=True)
    ds = tiff(os.path.join(a.out, "population.tif"), nx, ny, gdal.GDT_Float32, gt, -99999, 3,
              "population 2020 (people per cell)")
    ds.GetRasterBand(1).WriteArray(np.array(pop, dtype=np.float32))
    ds.GetRasterBand(1).SetUnitType("people")
    ds = None
    ds = tiff(os.path.join(a.out, "landcover.tif"), nx, ny, gdal.GDT_Byte, gt, 0, 0,
              "land-use vocation as ESA WorldCover codes")
    ds.GetRasterBand(1).WriteArray(np.array(lc, dtype=np.uint8))
    ds = None

    # --- mine-event cells ---
    events = sorted(rc for rc, r in cells.items() if r["mines_outcome"] == "1")
    evset = set(events)

    def n8(rc):
        return sum((rc[0] + dr, rc[1] + dc) in evset
                   for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)

    comp = {}
    ncomp = 0
    for rc in events:
        if rc in comp:
            continue
        stack = [rc]
        comp[rc] = ncomp
        while stack:
            c = stack.pop()
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    d = (c[0] + dr, c[1] + dc)
                    if d in evset and d not in comp:
                        comp[d] = ncomp
                        stack.append(d)
        ncomp += 1
    members = {}
    for rc in events:
        members.setdefault(comp[rc], []).append(rc)

    to_utm = osr.CoordinateTransformation(srs(4326), srs(ANALYSIS_EPSG))

    def centre(rc):
        lon = lon_min + rc[1] * STEP
        lat = lat_max - rc[0] * STEP
        x, y, _ = to_utm.TransformPoint(lon, lat)
        return lon, lat, x, y

    def municipio(rc):
        m = cells[rc]["Municipio"]
        return MUNICIPIO_FIX.get(m, m)

    # --- hazards (the rule is documented in README.md) ---
    hazards = []
    done = set()
    for rc in events:
        if rc in done:
            continue
        group = members[comp[rc]]
        cluster = len(group) <= 4 and all(n8(g) < 3 for g in group)
        parts = group if cluster else [rc]
        status = "CHA" if (not cluster and n8(rc) >= 5) else "SHA"
        geom = ogr.Geometry(ogr.wkbMultiPolygon)
        for g in parts:
            _, _, x, y = centre(g)
            radius = 30.0 + 6.0 * n8(g) + 20.0 * unit(g[0], g[1], "R")
            geom.AddGeometry(star(x, y, radius, (g[0], g[1])))
            done.add(g)
        hid = "ANT-%03d-%03d" % rc
        hazards.append((hid, status, municipio(rc), len(parts), geom))

    srs_utm = srs(ANALYSIS_EPSG)
    path = os.path.join(a.out, "hazards.gpkg")
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer("hazards", srs_utm, ogr.wkbMultiPolygon, ["FID=fid", "GEOMETRY_NAME=geom"])
    for name, t, w in (("hazard_id", ogr.OFTString, 16), ("status", ogr.OFTString, 3),
                       ("municipality", ogr.OFTString, 32), ("event_cells", ogr.OFTInteger, 0)):
        fd = ogr.FieldDefn(name, t)
        if w:
            fd.SetWidth(w)
        lyr.CreateField(fd)
    ds.StartTransaction()
    area = {"SHA": 0.0, "CHA": 0.0}
    per_mun = {}
    for i, (hid, status, mun, n, geom) in enumerate(hazards):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetFID(i + 1)
        f.SetField("hazard_id", hid)
        f.SetField("status", status)
        f.SetField("municipality", mun)
        f.SetField("event_cells", n)
        f.SetGeometry(geom)
        lyr.CreateFeature(f)
        assert geom.IsValid()
        area[status] += geom.GetArea()
        per_mun[mun] = per_mun.get(mun, 0) + 1
    ds.CommitTransaction()
    ds = None

    # --- reports: one point per mine-event cell, at the cell centre ---
    path = os.path.join(a.out, "reports.gpkg")
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer("reports", srs(4326), ogr.wkbPoint, ["FID=fid", "GEOMETRY_NAME=geom"])
    for name, t in (("report_id", ogr.OFTString), ("reported_on", ogr.OFTDate),
                    ("confidence", ogr.OFTReal), ("municipality", ogr.OFTString)):
        lyr.CreateField(ogr.FieldDefn(name, t))
    ds.StartTransaction()
    y, m, d = (int(v) for v in REPORT_DATE.split("-"))
    for i, rc in enumerate(events):
        lon, lat, _, _ = centre(rc)
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetFID(i + 1)
        f.SetField("report_id", "ANT-EV-%03d-%03d" % rc)
        f.SetField("reported_on", y, m, d, 0, 0, 0, 0)
        f.SetField("confidence", 1.0)
        f.SetField("municipality", municipio(rc))
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(round(lon, 7), round(lat, 7))
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    ds = None

    # --- settlements: GeoNames populated places inside the grid (optional) ---
    nplaces = 0
    gn = os.path.join(a.data, "geonames-places-co-ba-af-kh-ua-iq.tsv")
    if os.path.exists(gn):
        path = os.path.join(a.out, "settlements.gpkg")
        if os.path.exists(path):
            os.remove(path)
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
        lyr = ds.CreateLayer("settlements", srs(4326), ogr.wkbPoint,
                             ["FID=fid", "GEOMETRY_NAME=geom"])
        for name, t in (("geonameid", ogr.OFTInteger64), ("name", ogr.OFTString),
                        ("population", ogr.OFTInteger64), ("feature_code", ogr.OFTString)):
            lyr.CreateField(ogr.FieldDefn(name, t))
        places = []
        with open(gn, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if r["country_code"] != "CO":
                    continue
                lon, lat = float(r["longitude"]), float(r["latitude"])
                if west <= lon <= west + nx * STEP and north - ny * STEP <= lat <= north:
                    places.append((int(r["geonameid"]), r["name"], int(r["population"] or 0),
                                   r["feature_code"], lon, lat))
        ds.StartTransaction()
        for i, (gid, name, p, code, lon, lat) in enumerate(sorted(places)):
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetFID(i + 1)
            f.SetField("geonameid", gid)
            f.SetField("name", name)
            f.SetField("population", p)
            f.SetField("feature_code", code)
            g = ogr.Geometry(ogr.wkbPoint)
            g.AddPoint_2D(lon, lat)
            f.SetGeometry(g)
            lyr.CreateFeature(f)
        ds.CommitTransaction()
        ds = None
        nplaces = len(places)

    # --- scenario.yaml: capacity regions are the municipalities with hazards ---
    muns = sorted(per_mun)
    teams = {mn: max(1, round(40 * per_mun[mn] / len(hazards))) for mn in muns}
    nsha = sum(1 for h in hazards if h[1] == "SHA")
    with open(os.path.join(a.out, "scenario.yaml"), "w", encoding="utf-8") as f:
        f.write(
            "# Oriente Antioqueño, Colombia: a real-data scenario built by build.py from the\n"
            "# RELand grid (MIT, RELand paper repository) - see README.md for provenance and the\n"
            "# hazard rule. Population and land-use vocation on the ~1 km RELand grid\n"
            "# (EPSG:4326); mine-event cells as reports; hazards derived from them.\n"
            "# No tree-cover input exists for this area, so the open_land criterion is left out.\n"
            f"# {len(hazards)} hazards (SHA {nsha}, CHA {len(hazards) - nsha}), "
            f"{len(events)} reports, population total {pop_total:.3f}.\n"
            "name: Oriente Antioqueño (RELand grid)\n"
            "grid:\n"
            f"  crs: EPSG:{ANALYSIS_EPSG}\n"
            "  cell_size_m: 100\n"
            "inputs:\n"
            "  hazards:   {path: hazards.gpkg, layer: hazards, id: hazard_id, status: status, "
            "region: municipality}\n"
            "  population: {path: population.tif, role: population}\n"
            "  landcover: {path: landcover.tif, role: landcover}\n"
            "  reports:   {path: reports.gpkg, role: reports, date: reported_on, confidence: confidence}\n"
            "criteria:\n"
            "  - {name: people_nearby,   kind: focal_sum, input: population, radius_m: 1000, "
            "normalise: log, saturate: 2000, weight: 0.35}\n"
            "  - {name: settlements,     kind: distance,  input: population, source_min: 5, "
            "decay_m: 2000,  weight: 0.10}\n"
            "  - {name: land_use,        kind: classes,   input: landcover, table: {40: 1.0, "
            "50: 1.0, 30: 0.6, 20: 0.4, 10: 0.3, 60: 0.2, 90: 0.2, 80: 0.0}, weight: 0.25}\n"
            "  - {name: improvised_mines, kind: density,  input: reports, bandwidth_m: 2000, "
            f"half_life_days: 365, as_of: 2021-01-01, saturate: 0.5, weight: 0.25}}\n"
            "cost:\n"
            "  productivity_m2_per_team_day: {default: 400, classes: {40: 500, 30: 450, "
            "20: 350, 10: 200, 50: 250, 60: 450}}\n"
            "  treecover_slowdown: 0.5\n"
            "  improvised_slowdown: 0.5\n"
            "  improvised_threshold: 0.1\n"
            "  release:\n"
            "    SHA: {cancel: 0.45, reduce: 0.25, clear: 0.30}\n"
            "    CHA: {cancel: 0.00, reduce: 0.20, clear: 0.80}\n"
            "  nts_m2_per_team_day: 40000\n"
            "  ts_m2_per_team_day: 2500\n"
            "  team_day_usd: 1500\n"
            "capacity:\n"
            "  start: 2026-01-01\n"
            "  deadline: 2030-12-31\n"
            f"  teams: {sum(teams.values())}\n"
            "  days_per_year: 220\n"
            "  regions: {" + ", ".join(f"{mn}: {teams[mn]}" for mn in muns) + "}\n"
            "  package_team_days: 20\n"
            "outputs:\n"
            "  dir: out\n")

    manifest = {
        "source": "reland-antioquia.csv (RELand, processed_dataset/train/train_all.csv, MIT)",
        "grid": {"crs": "EPSG:4326", "step_deg": STEP, "nx": nx, "ny": ny, "west": west,
                 "north": north, "cells_with_data": len(cells)},
        "population": {"path": "population.tif", "total": pop_total},
        "landcover": {"path": "landcover.tif", "counts": {str(k): v for k, v in
                                                          sorted(lc_count.items())},
                      "mapping": {n: c for n, c, _ in VOCATION}},
        "reports": {"path": "reports.gpkg", "count": len(events), "reported_on": REPORT_DATE},
        "hazards": {"path": "hazards.gpkg", "count": len(hazards), "sha": nsha,
                    "cha": len(hazards) - nsha, "area_m2": {k: round(v, 1) for k, v in
                                                           area.items()},
                    "event_components": ncomp, "per_municipality": per_mun},
        "settlements": {"path": "settlements.gpkg", "count": nplaces,
                        "source": "GeoNames cities500 (CC BY 4.0)"},
        "capacity_regions": teams,
    }
    with open(os.path.join(a.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(f"hazards {len(hazards)} (SHA {nsha}), reports {len(events)}, population "
          f"{pop_total:.1f}, places {nplaces} -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
