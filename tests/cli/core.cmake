# The clearplan command line itself: help, version, exit codes.
cp_add_test(NAME test_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli.c LABELS cli)
add_dependencies(test_cli clearplan)
