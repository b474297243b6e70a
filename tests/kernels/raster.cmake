# Raster kernel tests: EDT, disk focal sum, kernel density, map algebra (overlay).
foreach(t edt focal density overlay)
  cp_add_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS cpk
              LABELS kernel)
endforeach()
# Slope (cpk/terrain.h): also compared with `gdaldem slope` on a real DEM, so it links GDAL.
cp_add_test(NAME test_terrain SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_terrain.c
            LIBS clearplan_io LABELS kernel)
# Overview pyramids (cpk/pyramid.h): also compared with GDAL's COG overviews, so it links GDAL.
cp_add_test(NAME test_pyramid SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pyramid.c
            LIBS clearplan_io LABELS kernel)
# Work stealing (kernels/src/steal.h, internal to the kernels): every block taken once, a slow
# thread relieved.
cp_add_test(NAME test_steal SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_steal.c LIBS cpk LABELS kernel)
target_include_directories(test_steal PRIVATE ${PROJECT_SOURCE_DIR}/kernels/src)
