// video_absent.c: the reader and writer of a build without FFmpeg (NST_WITHOUT_FFMPEG, the GPU bundle): each call fails with one line saying so.
#include "nst_video.h"

#ifdef NST_WITHOUT_FFMPEG
#include <stdio.h>

static nst_video_status absent(char *message, size_t message_capacity) {
    if (message != NULL && message_capacity > 0) {
        snprintf(message, message_capacity,
                 "this nst was built without FFmpeg (NST_WITHOUT_FFMPEG): give the clip as a folder of frames, "
                 "and --output as a frame pattern such as out/frame-%%04d.png");
    }
    return NST_VIDEO_ERR_UNSUPPORTED;
}

nst_video_status nst_video_open(const char *path, nst_video_reader **out, nst_video_info *info,
                                char *message, size_t message_capacity) {
    (void)path; (void)info;
    if (out != NULL) *out = NULL;
    return absent(message, message_capacity);
}

nst_video_status nst_video_read_frame(nst_video_reader *reader, float *planes, char *message, size_t message_capacity) {
    (void)reader; (void)planes;
    return absent(message, message_capacity);
}

void nst_video_close(nst_video_reader *reader) { (void)reader; }

nst_video_status nst_video_writer_open(int fd, nst_video_format format, int width, int height, double fps,
                                       int crf, nst_video_writer **out, char *message, size_t message_capacity) {
    (void)fd; (void)format; (void)width; (void)height; (void)fps; (void)crf;
    if (out != NULL) *out = NULL;
    return absent(message, message_capacity);
}

nst_video_status nst_video_writer_add_audio(nst_video_writer *writer, const char *path, char *note,
                                            size_t note_capacity, char *message, size_t message_capacity) {
    (void)writer; (void)path;
    if (note != NULL && note_capacity > 0) note[0] = '\0';
    return absent(message, message_capacity);
}

nst_video_status nst_video_writer_append(nst_video_writer *writer, const float *planes, char *message,
                                         size_t message_capacity) {
    (void)writer; (void)planes;
    return absent(message, message_capacity);
}

nst_video_status nst_video_writer_finish(nst_video_writer *writer, char *message, size_t message_capacity) {
    (void)writer;
    return absent(message, message_capacity);
}

void nst_video_writer_free(nst_video_writer *writer) { (void)writer; }

#endif  // NST_WITHOUT_FFMPEG
