// CSWScale shim: FFmpeg's pixel format conversion (YUV to and from RGB).
#include <libswscale/swscale.h>
