# Standalone raster tools: clearplan proximity, focal-sum, density.
cp_add_test(NAME test_tools_raster SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tools_raster.c
            LIBS clearplan_engine cpk LABELS cli)
add_dependencies(test_tools_raster clearplan)
