#!/usr/bin/python3
"""Times `clearplan zonal` against its peers on the same files, and checks exactness.

Peers: (a) GDAL rasterize (centre-in-cell) + NumPy bincount, (b) GRASS v.rast.stats,
(c) exactextract's command line (exact coverage too; built from source by
bench/build_exactextract.sh), with its default threads and with 2.
Data (seeded): an N x N Float32 GeoTIFF (EPSG:32633, 30 m cells) and P star-shaped
polygons (12-60 vertices, every third with a hole) on a jittered lattice, not overlapping,
radius up to ~0.45 lattice spacing, in a GeoPackage.

Prints one JSON line per tool (seconds, ratio to clearplan -j2) and the sums' agreement:
relative difference of each tool's per-polygon sum to clearplan's exact sum (mean, max), and
clearplan against an independent exact computation (OGR cell-by-cell intersections) on a
sample of polygons.

usage: /usr/bin/python3 bench/peers_zonal.py --clearplan build-b-rel/engine/clearplan
           [--n 10000] [--polygons 10000] [--dir /tmp/cp-zonal-bench] [--no-grass]
           [--exactextract PATH/TO/exactextract]
Needs /usr/bin/python3 with osgeo + numpy, and grass (grass-core) for (b).
"""
import argparse
import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()


def make_data(d, n, npoly, seed=1):
    tif, gpkg = os.path.join(d, "r.tif"), os.path.join(d, "p.gpkg")
    x0, y0, cell = 400000.0, 4500000.0, 30.0
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    if not os.path.exists(tif):
        ds = gdal.GetDriverByName("GTiff").Create(
            tif, n, n, 1, gdal.GDT_Float32, ["TILED=YES", "BLOCKXSIZE=512", "BLOCKYSIZE=512"])
        ds.SetGeoTransform([x0, cell, 0, y0, 0, -cell])
        ds.SetProjection(srs.ExportToWkt())
        rng = np.random.default_rng(seed)
        b = ds.GetRasterBand(1)
        for r0 in range(0, n, 1024):
            rows = min(1024, n - r0)
            b.WriteArray((rng.random((rows, n), dtype=np.float32) * 100.0), 0, r0)
        ds = None
    if not os.path.exists(gpkg):
        rnd = random.Random(seed)
        side = int(math.ceil(math.sqrt(npoly)))
        spacing = n * cell / side
        v = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg)
        lyr = v.CreateLayer("p", srs, ogr.wkbPolygon)
        lyr.CreateField(ogr.FieldDefn("pid", ogr.OFTInteger))
        lyr.StartTransaction()
        for k in range(npoly):
            cx = x0 + (k % side + 0.5) * spacing + rnd.uniform(-0.05, 0.05) * spacing
            cy = y0 - (k // side + 0.5) * spacing + rnd.uniform(-0.05, 0.05) * spacing
            rad = spacing * rnd.uniform(0.05, 0.4)
            poly = ogr.Geometry(ogr.wkbPolygon)
            for hole, nv in ((False, rnd.randint(12, 60)), (True, 8 if k % 3 == 0 else 0)):
                if nv == 0:
                    continue
                ring = ogr.Geometry(ogr.wkbLinearRing)
                pts = []
                for i in range(nv):
                    a = 2 * math.pi * (i + 0.8 * rnd.random()) / nv
                    rr = rad * (0.15 if hole else rnd.uniform(0.5, 1.0))
                    pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
                if hole:
                    pts.reverse()
                for p in pts + pts[:1]:
                    ring.AddPoint_2D(*p)
                poly.AddGeometry(ring)
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetField("pid", k + 1)
            f.SetGeometry(poly)
            lyr.CreateFeature(f)
        lyr.CommitTransaction()
        v = None
    return tif, gpkg


def timed(cmd, **kw):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - t0


def read_csv_sums(path, key="pid", col="sum"):
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            out[int(row[key])] = float(row[col]) if row[col] else 0.0
    return out


def rasterize_numpy(tif, gpkg):
    t0 = time.perf_counter()
    ds = gdal.Open(tif)
    n_x, n_y = ds.RasterXSize, ds.RasterYSize
    ids = gdal.GetDriverByName("MEM").Create("", n_x, n_y, 1, gdal.GDT_Int32)
    ids.SetGeoTransform(ds.GetGeoTransform())
    ids.SetProjection(ds.GetProjection())
    v = ogr.Open(gpkg)
    gdal.RasterizeLayer(ids, [1], v.GetLayer(0), options=["ATTRIBUTE=pid"])
    sums = counts = None
    band, idb = ds.GetRasterBand(1), ids.GetRasterBand(1)
    for r0 in range(0, n_y, 2048):
        rows = min(2048, n_y - r0)
        z = idb.ReadAsArray(0, r0, n_x, rows).ravel()
        x = band.ReadAsArray(0, r0, n_x, rows).ravel().astype(np.float64)
        s = np.bincount(z, weights=x)
        c = np.bincount(z)
        if sums is None:
            sums, counts = s, c
        else:
            m = max(len(sums), len(s))
            sums = np.pad(sums, (0, m - len(sums))) + np.pad(s, (0, m - len(s)))
            counts = np.pad(counts, (0, m - len(counts))) + np.pad(c, (0, m - len(c)))
    secs = time.perf_counter() - t0
    return secs, {k: float(sums[k]) for k in range(1, len(sums))}


def grass_stats(d, tif, gpkg):
    gdb = os.path.join(d, "grassdb")
    shutil.rmtree(gdb, ignore_errors=True)
    os.makedirs(gdb)
    loc = os.path.join(gdb, "loc")
    subprocess.run(["grass", "-c", tif, "-e", loc], check=True, capture_output=True)
    mapset = os.path.join(loc, "PERMANENT")

    def g(*args):
        return subprocess.run(["grass", mapset, "--exec", *args], check=True,
                              capture_output=True, text=True)

    t0 = time.perf_counter()
    g("r.external", "input=" + tif, "output=r", "-o")
    g("v.in.ogr", "input=" + gpkg, "output=p", "-o")
    g("g.region", "raster=r")
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    g("v.rast.stats", "map=p", "raster=r", "column_prefix=s", "method=number,sum,average")
    t_stats = time.perf_counter() - t0
    out = g("v.db.select", "map=p", "columns=pid,s_sum", "separator=comma").stdout
    sums = {}
    for line in out.splitlines()[1:]:
        k, s = line.split(",")
        sums[int(k)] = float(s) if s else 0.0
    return t_import, t_stats, sums


def exact_sample(tif, gpkg, pids):
    """Σ area(polygon ∩ cell) / cell area × value, cell by cell with OGR (independent)."""
    ds = gdal.Open(tif)
    x0, dx, _, y0, _, dyn = ds.GetGeoTransform()
    dy = -dyn
    band = ds.GetRasterBand(1)
    vds = ogr.Open(gpkg)  # keep the dataset and feature alive while their geometry is used
    lyr = vds.GetLayer(0)
    out = {}
    for pid in pids:
        lyr.SetAttributeFilter("pid = %d" % pid)
        feat = lyr.GetNextFeature()
        geom = feat.GetGeometryRef()
        xa, xb, ya, yb = geom.GetEnvelope()
        i0, i1 = int(math.floor((xa - x0) / dx)), int(math.ceil((xb - x0) / dx))
        j0, j1 = int(math.floor((y0 - yb) / dy)), int(math.ceil((y0 - ya) / dy))
        vals = band.ReadAsArray(i0, j0, i1 - i0, j1 - j0).astype(np.float64)
        s = 0.0
        for j in range(j1 - j0):
            for i in range(i1 - i0):
                cx, cy = x0 + (i0 + i) * dx, y0 - (j0 + j) * dy
                box = ogr.CreateGeometryFromWkt(
                    "POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))" %
                    (cx, cy - dy, cx + dx, cy - dy, cx + dx, cy, cx, cy, cx, cy - dy))
                a = geom.Intersection(box).GetArea()
                if a > 0:
                    s += a / (dx * dy) * vals[j, i]
        out[pid] = s
    return out


def agreement(ref, other):
    rel = [abs(other.get(k, 0.0) - v) / abs(v) for k, v in ref.items() if v != 0]
    return {"mean_rel_diff": sum(rel) / len(rel), "max_rel_diff": max(rel)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clearplan", required=True)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--polygons", type=int, default=10000)
    ap.add_argument("--dir", default="/tmp/cp-zonal-bench")
    ap.add_argument("--no-grass", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--exactextract", default=None)
    ap.add_argument("--only-clearplan", action="store_true",
                    help="time clearplan -j1/-j2 (and exactextract) only: no NumPy, GRASS, OGR")
    a = ap.parse_args()
    d = os.path.join(a.dir, "n%d_p%d" % (a.n, a.polygons))
    os.makedirs(d, exist_ok=True)
    tif, gpkg = make_data(d, a.n, a.polygons)
    info = {"n": a.n, "polygons": a.polygons}
    res = {}
    for j in (1, 2):
        out = os.path.join(d, "cp_j%d.csv" % j)
        ts = [timed([a.clearplan, "zonal", tif, gpkg, out, "--stats", "sum,mean,count", "-q",
                     "--overwrite", "-j", str(j)]) for _ in range(a.repeats)]
        res["clearplan_j%d" % j] = min(ts)
    exact = read_csv_sums(os.path.join(d, "cp_j2.csv"))
    same = open(os.path.join(d, "cp_j1.csv")).read() == open(os.path.join(d, "cp_j2.csv")).read()
    ee_sums = None
    if a.exactextract:  # the same statistics, file to file, as the issue states the command
        out = os.path.join(d, "ee.csv")
        for threads in (None, 2):
            cmd = [a.exactextract, "-p", gpkg, "-r", "v:" + tif, "-f", "pid", "-s", "sum(v)",
                   "-s", "mean(v)", "-o", out]
            if threads:
                cmd += ["--threads", str(threads)]
            key = "exactextract" + ("_threads%d" % threads if threads else "_default_threads")
            res[key] = min(timed(cmd, stdout=subprocess.DEVNULL) for _ in range(a.repeats))
        ee_sums = read_csv_sums(out, col="v_sum")
    lines = []
    if a.only_clearplan:
        base = res["clearplan_j2"]
        for k, v in res.items():
            lines.append({"tool": k, "seconds": round(v, 3),
                          "ratio_to_clearplan_j2": round(v / base, 2)})
        if ee_sums is not None:
            lines.append({"tool": "exactextract", **agreement(exact, ee_sums)})
        lines.append({"speedup_1_to_2_threads": round(res["clearplan_j1"] / res["clearplan_j2"], 2),
                      "j1_j2_csv_identical": same, **info})
        for line in lines:
            print(json.dumps(line))
        return 0
    t_np, np_sums = rasterize_numpy(tif, gpkg)
    res["rasterize_numpy"] = t_np
    base = res["clearplan_j2"]
    for k, v in res.items():
        lines.append({"tool": k, "seconds": round(v, 3), "ratio_to_clearplan_j2": round(v / base, 2)})
    lines.append({"tool": "rasterize_numpy", **agreement(exact, np_sums)})
    if ee_sums is not None:
        lines.append({"tool": "exactextract", **agreement(exact, ee_sums)})
    if not a.no_grass and shutil.which("grass"):
        t_imp, t_gr, gr_sums = grass_stats(d, tif, gpkg)
        lines.append({"tool": "grass_v.rast.stats", "seconds": round(t_gr, 3),
                      "import_seconds": round(t_imp, 3),
                      "ratio_to_clearplan_j2": round(t_gr / base, 2)})
        lines.append({"tool": "grass_v.rast.stats", **agreement(exact, gr_sums)})
    sample = list(range(1, a.polygons + 1, max(1, a.polygons // 10)))[:10]
    ex = exact_sample(tif, gpkg, sample)
    lines.append({"tool": "clearplan_vs_ogr_exact_sample", "polygons": len(sample),
                  **agreement(ex, {k: exact[k] for k in sample})})
    lines.append({"speedup_1_to_2_threads": round(res["clearplan_j1"] / res["clearplan_j2"], 2),
                  "j1_j2_csv_identical": same, **info})
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    sys.exit(main())
