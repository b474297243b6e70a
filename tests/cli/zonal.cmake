# clearplan zonal: builds its GeoTIFF / GeoPackage inputs with GDAL's C API.
pkg_check_modules(CP_GDAL_TEST REQUIRED IMPORTED_TARGET gdal)
cp_add_test(NAME test_tools_zonal SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tools_zonal.c
            LIBS PkgConfig::CP_GDAL_TEST LABELS cli)
