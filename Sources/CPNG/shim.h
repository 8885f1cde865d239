// CPNG shim: libpng.
#include <png.h>
