# Exact sum-preserving resampling (population onto the grid).
cp_add_test(NAME test_resample SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_resample.c LIBS cpk m
            LABELS kernel)
