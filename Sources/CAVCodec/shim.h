// CAVCodec shim: FFmpeg's codec library (H.264, VP9, GIF and the decoders).
#include <libavcodec/avcodec.h>
