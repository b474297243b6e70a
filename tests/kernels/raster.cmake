# Raster kernel tests: EDT, disk focal sum, kernel density, map algebra (overlay).
foreach(t edt focal density overlay)
  cp_add_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS cpk
              LABELS kernel)
endforeach()
