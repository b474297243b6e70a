"""Inputs the raster benchmarks generate (seeded): UTM 18N, 30 m cells, top-left corner at
(500000, 4500000). Used by bench/peers_raster.sh and bench/thread_scaling_batch.sh."""
from osgeo import gdal, ogr, osr

X0, Y0, CELL = 500000, 4500000, 30


def utm18n():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32618)
    return srs


def write_raster(path, arr, gtype, srs, nodata=None):
    """A tiled, DEFLATE-compressed GeoTIFF of `arr` on the benchmarks' grid."""
    ds = gdal.GetDriverByName('GTiff').Create(path, arr.shape[1], arr.shape[0], 1, gtype,
                                              ['TILED=YES', 'COMPRESS=DEFLATE'])
    ds.SetGeoTransform((X0, CELL, 0, Y0, 0, -CELL))
    ds.SetProjection(srs.ExportToWkt())
    b = ds.GetRasterBand(1)
    if nodata is not None:
        b.SetNoDataValue(nodata)
    b.WriteArray(arr)
    ds = None


def write_reports(path, srs, rng, n, span_m):
    """n report points uniform over span_m x span_m metres from the grid's corner, with a
    `confidence` in [0.2, 1), in a GeoPackage layer `reports`."""
    ds = ogr.GetDriverByName('GPKG').CreateDataSource(path)
    layer = ds.CreateLayer('reports', srs, ogr.wkbPoint)
    layer.CreateField(ogr.FieldDefn('confidence', ogr.OFTReal))
    layer.StartTransaction()
    for _ in range(n):
        f = ogr.Feature(layer.GetLayerDefn())
        x = X0 + rng.random() * span_m
        y = Y0 - rng.random() * span_m
        f.SetGeometry(ogr.CreateGeometryFromWkt(f'POINT ({x} {y})'))
        f.SetField('confidence', float(0.2 + 0.8 * rng.random()))
        layer.CreateFeature(f)
    layer.CommitTransaction()
    ds = None
