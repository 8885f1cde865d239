// video_common.c: the parts of the video shim the reader and writer share: quiet logging, messages, descriptor I/O, opening an input.
// Built only with FFmpeg (NST_WITHOUT_FFMPEG, the GPU bundle's build, gives video_absent.c instead).
#ifndef NST_WITHOUT_FFMPEG
#include "video_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>

/// The last error FFmpeg logged on this thread: its log goes here instead of stderr, so a
/// library call never prints and a failure can still say what the library saw.
static _Thread_local char last_logged_error[256];

/// The last error a demuxer logged on this thread since nst_video_clear_demuxer_error.
static _Thread_local char last_demuxer_error[256];

/// Whether `context` (what FFmpeg logs about) is a demuxer's AVFormatContext.
static int is_demuxer(void *context) {
    if (context == NULL) return 0;
    const AVClass *class = *(const AVClass *const *)context;
    if (class == NULL) return 0;
    AVClassCategory category = class->get_category != NULL ? class->get_category(context) : class->category;
    return category == AV_CLASS_CATEGORY_DEMUXER;
}

static void quiet_log(void *context, int level, const char *format, va_list arguments) {
    if (level > AV_LOG_ERROR) return;
    char line[sizeof last_logged_error];
    va_list copy;
    va_copy(copy, arguments);
    vsnprintf(line, sizeof line, format, copy);
    va_end(copy);
    // One line of plain text: control characters (the trailing newline) become spaces.
    size_t length = strlen(line);
    for (size_t i = 0; i < length; i++) {
        if ((unsigned char)line[i] < 0x20) line[i] = ' ';
    }
    while (length > 0 && (line[length - 1] == ' ' || line[length - 1] == '.')) line[--length] = '\0';
    if (length == 0) return;
    memcpy(last_logged_error, line, length + 1);
    if (is_demuxer(context)) memcpy(last_demuxer_error, line, length + 1);
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void install_quiet_log(void) {
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(quiet_log);
}

void nst_video_begin_call(void) {
    pthread_once(&quiet_once, install_quiet_log);
    last_logged_error[0] = '\0';
}

void nst_video_clear_demuxer_error(void) { last_demuxer_error[0] = '\0'; }

const char *nst_video_demuxer_error(void) { return last_demuxer_error; }

void nst_video_fail(nst_video_sink *sink, nst_video_status status, const char *format, ...) {
    if (sink->status != NST_VIDEO_OK) return;
    sink->status = status;
    if (sink->message == NULL || sink->message_capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(sink->message, sink->message_capacity, format, arguments);
    va_end(arguments);
}

void nst_video_fail_av(nst_video_sink *sink, nst_video_status status, const char *prefix, int averror) {
    char text[AV_ERROR_MAX_STRING_SIZE * 2];
    if (av_strerror(averror, text, sizeof text) < 0) snprintf(text, sizeof text, "error %d", averror);
    // FFmpeg's texts start with a capital ("Invalid data found ..."); the line continues a prefix.
    if (text[0] >= 'A' && text[0] <= 'Z' && text[1] >= 'a' && text[1] <= 'z') text[0] = (char)(text[0] - 'A' + 'a');
    if (last_logged_error[0] != '\0' && strstr(text, last_logged_error) == NULL) {
        nst_video_fail(sink, status, "%s: %s (%s)", prefix, text, last_logged_error);
    } else {
        nst_video_fail(sink, status, "%s: %s", prefix, text);
    }
}

static int fd_of(void *opaque) { return (int)(intptr_t)opaque; }

static int fd_read(void *opaque, uint8_t *buffer, int size) {
    for (;;) {
        ssize_t count = read(fd_of(opaque), buffer, (size_t)size);
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) return AVERROR(errno);
        return count == 0 ? AVERROR_EOF : (int)count;
    }
}

// FFmpeg 6.1 made the buffer of the write callback const.
#if LIBAVFORMAT_VERSION_MAJOR >= 61
static int fd_write(void *opaque, const uint8_t *buffer, int size) {
#else
static int fd_write(void *opaque, uint8_t *buffer, int size) {
#endif
    int written = 0;
    while (written < size) {
        ssize_t count = write(fd_of(opaque), buffer + written, (size_t)(size - written));
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) return AVERROR(errno);
        written += (int)count;
    }
    return written;
}

static int64_t fd_seek(void *opaque, int64_t offset, int whence) {
    if (whence & AVSEEK_SIZE) {
        struct stat info;
        return fstat(fd_of(opaque), &info) == 0 ? (int64_t)info.st_size : AVERROR(errno);
    }
    off_t position = lseek(fd_of(opaque), (off_t)offset, whence & ~AVSEEK_FORCE);
    return position < 0 ? AVERROR(errno) : (int64_t)position;
}

AVIOContext *nst_video_fd_io(int fd, int writable) {
    const int size = 1 << 16;
    unsigned char *buffer = av_malloc(size);
    if (buffer == NULL) return NULL;
    AVIOContext *io = avio_alloc_context(buffer, size, writable, (void *)(intptr_t)fd,
                                         writable ? NULL : fd_read, writable ? fd_write : NULL, fd_seek);
    if (io == NULL) av_free(buffer);
    return io;
}

void nst_video_free_io(AVIOContext **io) {
    if (io == NULL || *io == NULL) return;
    av_freep(&(*io)->buffer);
    avio_context_free(io);
}

/// The demuxers a reader may use, by their FFmpeg names: the containers the brief names, and
/// no playlist or concatenation format that would open other files.
static int demuxer_allowed(const char *name) {
    static const char *const allowed[] = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "gif"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strcmp(name, allowed[i]) == 0) return 1;
    }
    return 0;
}

int nst_video_open_input(const char *path, AVFormatContext **format, int *fd, nst_video_sink *sink) {
    *format = NULL;
    nst_video_clear_demuxer_error();
    // O_NONBLOCK: a FIFO without a writer would otherwise block in open(2) itself.
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0) {
        int code = errno;
        if (code == ENOENT || code == ENOTDIR) {
            nst_video_fail(sink, NST_VIDEO_ERR_NOT_FOUND, "no such file");
        } else {
            nst_video_fail(sink, NST_VIDEO_ERR_UNREADABLE, "cannot be opened: %s", strerror(code));
        }
        return 0;
    }
    struct stat info;
    if (fstat(*fd, &info) != 0) {
        nst_video_fail(sink, NST_VIDEO_ERR_UNREADABLE, "cannot be read: %s", strerror(errno));
    } else if (S_ISDIR(info.st_mode)) {
        nst_video_fail(sink, NST_VIDEO_ERR_UNREADABLE, "is a folder, not a video file");
    } else if (!S_ISREG(info.st_mode)) {
        nst_video_fail(sink, NST_VIDEO_ERR_UNREADABLE, "is a device, pipe or socket, not a video file");
    } else if (info.st_size == 0) {
        nst_video_fail(sink, NST_VIDEO_ERR_FORMAT, "empty file");
    }
    if (sink->status != NST_VIDEO_OK) {
        nst_video_close_input(format, fd);
        return 0;
    }
    (void)fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);

    AVIOContext *io = nst_video_fd_io(*fd, 0);
    AVFormatContext *context = avformat_alloc_context();
    if (io == NULL || context == NULL) {
        nst_video_fail(sink, NST_VIDEO_ERR_NO_MEMORY, "out of memory opening the video");
        nst_video_free_io(&io);
        avformat_free_context(context);
        nst_video_close_input(format, fd);
        return 0;
    }
    context->pb = io;
    // The container is recognised first and checked against the list before any demuxer
    // reads a header: one that opens other files (a playlist) never gets to.
    const AVInputFormat *probed = NULL;
    // By content alone: with the name, a text file called .mp4 would score as MP4 by its extension.
    int result = av_probe_input_buffer2(io, &probed, "", NULL, 0, 0);
    if (result < 0 || probed == NULL) {
        if (result == AVERROR_INVALIDDATA || probed == NULL) {
            nst_video_fail(sink, NST_VIDEO_ERR_FORMAT, "not a video file (MP4, MOV, MKV, WebM, AVI and GIF can be read)");
        } else {
            nst_video_fail_av(sink, NST_VIDEO_ERR_UNREADABLE, "cannot be read", result);
        }
    } else if (!demuxer_allowed(probed->name)) {
        nst_video_fail(sink, NST_VIDEO_ERR_FORMAT,
                       "not a video of a supported kind (it looks like '%s'; MP4, MOV, MKV, WebM, AVI and GIF can be read)",
                       probed->name);
    }
    if (sink->status != NST_VIDEO_OK) {
        avformat_free_context(context);
        nst_video_free_io(&io);
        nst_video_close_input(format, fd);
        return 0;
    }
    // No protocol at all: the demuxer reads only through the descriptor, never another file.
    AVDictionary *options = NULL;
    av_dict_set(&options, "protocol_whitelist", "none", 0);
    result = avformat_open_input(&context, path, probed, &options);
    av_dict_free(&options);
    if (result < 0) {
        // avformat_open_input has freed the context, not our I/O context.
        nst_video_fail_av(sink, result == AVERROR_INVALIDDATA || result == AVERROR_EOF ? NST_VIDEO_ERR_DECODE : NST_VIDEO_ERR_UNREADABLE,
                          "damaged or truncated video", result);
        nst_video_free_io(&io);
        nst_video_close_input(format, fd);
        return 0;
    }
    *format = context;
    result = avformat_find_stream_info(context, NULL);
    if (result < 0) {
        nst_video_fail_av(sink, NST_VIDEO_ERR_DECODE, "damaged or truncated video", result);
        nst_video_close_input(format, fd);
        return 0;
    }
    // A container with an index (MP4, MOV, AVI) whose last sample lies past the end of the file
    // was cut short. Its demuxer would report the missing samples as a plain end of file, so
    // the frames would silently stop early; refused here, before any frame is worked on.
    for (unsigned i = 0; i < context->nb_streams; i++) {
        AVStream *stream = context->streams[i];
        int entries = avformat_index_get_entries_count(stream);
        const AVIndexEntry *last = entries > 0 ? avformat_index_get_entry(stream, entries - 1) : NULL;
        if (last != NULL && last->pos >= 0 && last->pos + last->size > (int64_t)info.st_size) {
            nst_video_fail(sink, NST_VIDEO_ERR_DECODE,
                           "truncated video: the file has %lld bytes but its index runs to byte %lld",
                           (long long)info.st_size, (long long)(last->pos + last->size));
            nst_video_close_input(format, fd);
            return 0;
        }
    }
    return 1;
}

void nst_video_close_input(AVFormatContext **format, int *fd) {
    if (*format != NULL) {
        AVIOContext *io = (*format)->pb;
        avformat_close_input(format);
        nst_video_free_io(&io);
    }
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

#endif  // NST_WITHOUT_FFMPEG
