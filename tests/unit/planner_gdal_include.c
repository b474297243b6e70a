/* Compiled with only the planner's include paths: it must NOT compile, because the planner
 * cannot see GDAL (tests/unit/CMakeLists.txt expects this compile to fail, and the same file
 * without the GDAL include, -DCP_WITHOUT_GDAL, to compile). */
#include <clearplan/plan.h>

#include "planner.h"
#ifndef CP_WITHOUT_GDAL
#include <gdal.h>
#endif
int main(void) {
#ifndef CP_WITHOUT_GDAL
    return GDALGetDriverCount();
#else
    return 0;
#endif
}
