/* Compiled with only the kernels' include path: it must NOT compile, because kernels cannot
 * see GDAL (tests/unit/CMakeLists.txt expects this compile to fail). */
#include "cpk/cpk.h"
#include <gdal.h>
int main(void) {
    return GDALGetDriverCount();
}
