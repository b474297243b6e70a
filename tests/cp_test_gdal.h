/* GeoTIFF helpers shared by the tests that link GDAL: write and read one Float32 band. */
#ifndef CP_TEST_GDAL_H
#define CP_TEST_GDAL_H

#include "cp_test.h"

#include <gdal.h>
#include <ogr_srs_api.h>

/* Writes a one-band Float32 GeoTIFF, north up (cells dx x dy, upper-left corner x0, y0);
 * epsg 0 leaves it without a CRS. */
static inline void cpt_write_tif(const char *path, const float *data, int nx, int ny, double x0,
                                 double y0, double dx, double dy, int epsg, int has_nodata,
                                 double nodata) {
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, nx, ny, 1, GDT_Float32, NULL);
    assert_non_null(ds);
    double gt[6] = {x0, dx, 0, y0, 0, -dy};
    GDALSetGeoTransform(ds, gt);
    if (epsg) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, epsg);
        GDALSetSpatialRef(ds, srs);
        OSRDestroySpatialReference(srs);
    }
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (has_nodata) GDALSetRasterNoDataValue(b, nodata);
    assert_int_equal(
        GDALRasterIO(b, GF_Write, 0, 0, nx, ny, (void *)data, nx, ny, GDT_Float32, 0, 0), CE_None);
    GDALClose(ds);
}

/* Band 1 of a raster as a new Float32 buffer (free() it); its size in *nx, *ny. */
static inline float *cpt_read_tif(const char *path, int *nx, int *ny) {
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    if (!ds) {
        print_error("cannot open %s\n", path);
        fail();
    }
    *nx = GDALGetRasterXSize(ds);
    *ny = GDALGetRasterYSize(ds);
    float *buf = malloc(sizeof(float) * (size_t)(*nx) * (size_t)(*ny));
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, *nx, *ny, buf, *nx, *ny,
                                  GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
    return buf;
}

#endif
