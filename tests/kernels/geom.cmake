# Geometry kernels: exact coverage fractions and zonal statistics. The coverage test checks
# every fraction against GEOS (linked by the test only; the kernels never see GEOS).
pkg_check_modules(CP_GEOS_TEST REQUIRED IMPORTED_TARGET geos)
cp_add_test(NAME test_coverage SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_coverage.c
            LIBS cpk PkgConfig::CP_GEOS_TEST LABELS kernel)
target_compile_definitions(test_coverage PRIVATE GEOS_USE_ONLY_R_API)
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_zonal.c)
  cp_add_test(NAME test_zonal SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_zonal.c
              LIBS cpk LABELS kernel)
endif()
