// video_sizes.c: the sizes and quality ranges the writer's formats take (no FFmpeg call, so they exist in every build).
#include "nst_video.h"

void nst_video_codec_size(nst_video_format format, int width, int height, int *out_width, int *out_height) {
    if (format == NST_VIDEO_GIF) {
        *out_width = width;
        *out_height = height;
        return;
    }
    // yuv420p halves the chroma planes in both directions: odd sides have no exact half.
    *out_width = width < 2 ? 2 : width & ~1;
    *out_height = height < 2 ? 2 : height & ~1;
}

void nst_video_crf_range(nst_video_format format, int *lowest, int *highest, int *fallback) {
    switch (format) {
    case NST_VIDEO_MP4: *lowest = 0; *highest = 51; *fallback = 23; return;    // x264's own default
    case NST_VIDEO_WEBM: *lowest = 0; *highest = 63; *fallback = 31; return;   // the VP9 guide's 1080p value
    default: *lowest = 0; *highest = 0; *fallback = 0; return;
    }
}
