// CJPEG shim: libjpeg-turbo's libjpeg API (stdio.h first, as jpeglib.h requires).
#include <stdio.h>
#include <jpeglib.h>
