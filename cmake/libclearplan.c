/* libclearplan: the engine, io, planner, kernels and generators linked whole into one shared
 * library (CMakeLists.txt); this file only gives CMake a source for it. */
typedef int cp_libclearplan_unused;
