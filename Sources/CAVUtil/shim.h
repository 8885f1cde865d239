// CAVUtil shim: FFmpeg's utilities (frames, options, errors, logging).
#include <libavutil/avutil.h>
