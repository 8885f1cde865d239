// video_internal.h: helpers the reader and the writer of the video shim share (not part of its API).
#ifndef NST_VIDEO_INTERNAL_H
#define NST_VIDEO_INTERNAL_H

#include "nst_video.h"

#include <libavformat/avformat.h>

/// Where a call reports its outcome; the first failure wins.
typedef struct {
    nst_video_status status;
    char *message;
    size_t message_capacity;
} nst_video_sink;

/// Silences FFmpeg's logging (once per process) and forgets this thread's last logged error,
/// so that the next failure's message carries only its own cause.
void nst_video_begin_call(void);

/// Forgets the last error a demuxer logged on this thread.
void nst_video_clear_demuxer_error(void);

/// The last error a demuxer logged on this thread since it was cleared ("" when none).
/// Matroska reports a file cut short ("File ended prematurely") only this way and then
/// returns a plain end of file, often while nst_video_open_input reads ahead: a reader
/// keeps what was logged there and treats an end of file after such an error as damage.
const char *nst_video_demuxer_error(void);

/// Records a failure with a printf-style message, unless one is already recorded.
void nst_video_fail(nst_video_sink *sink, nst_video_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/// Records a failure "prefix: <av_strerror text>", followed by the last error FFmpeg logged on
/// this thread since nst_video_begin_call when it says more (e.g. "moov atom not found").
void nst_video_fail_av(nst_video_sink *sink, nst_video_status status, const char *prefix, int averror);

/// An AVIOContext over a file descriptor (read or write, with seeking), which the caller
/// keeps; no protocol, URL or file name is involved. NULL when memory ran out.
AVIOContext *nst_video_fd_io(int fd, int writable);

/// Frees an AVIOContext made by nst_video_fd_io and its buffer (NULL is ignored).
void nst_video_free_io(AVIOContext **io);

/// Opens `path` for reading as a regular file and makes the demuxer context over it: only
/// the MP4/MOV, Matroska/WebM, AVI and GIF demuxers, no protocol for other files. On success
/// `*format` holds the opened input with its streams probed and `*fd` the descriptor (both
/// released by nst_video_close_input). Clears the demuxer's logged error first.
int nst_video_open_input(const char *path, AVFormatContext **format, int *fd, nst_video_sink *sink);

/// Releases what nst_video_open_input made (each may be NULL or -1).
void nst_video_close_input(AVFormatContext **format, int *fd);

#endif
