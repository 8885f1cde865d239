// CAVFormat shim: FFmpeg's container library (demuxing and muxing: MP4, MOV, MKV, WebM, AVI, GIF).
#include <libavformat/avformat.h>
