// CTIFF shim: libtiff.
#include <tiffio.h>
