/*
 * source: see source.h.
 *
 * Every kind goes through the same FFmpeg reader (one demuxer + decoder):
 * a video or webcam keeps one reader open for the whole run; an image is a
 * one-frame file read by the image2 demuxer; a folder opens a reader per
 * file in name order. The first frame is decoded in app_source_open(), so
 * a source that opens has at least one good frame and known size.
 */
#include "source.h"

#include "cli.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

/* Rows of the RGB buffer start on this boundary so swscale's SIMD paths
 * run on every row (odd widths included). */
#define ROW_ALIGN 64

/* What the swscale context was made for; rebuilt when a frame differs. */
typedef struct sws_key {
    int w, h, fmt, full_range, colorspace;
} sws_key;

struct app_source {
    app_source_info info;
    char label[PATH_MAX];         /* the spec, for messages */

    /* Folder and image sources: the files, in delivery order. */
    char *dir;                    /* "" for a single image */
    char **files;                 /* file names (owned) */
    int n_files, next_file;
    const char *name;             /* current file name (points into files) */

    /* The open reader. */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    int stream;
    int rotation;                 /* clockwise quarter turns, 0..3 */
    double time_base;             /* seconds per pts tick */
    int64_t start_pts;
    bool flushing;                /* the demuxer is done; draining */
    AVPacket *pkt;
    AVFrame *frame;

    struct SwsContext *sws;
    sws_key key;
    uint8_t *rgb, *turned;        /* converted, and rotated when needed */
    size_t rgb_cap, turned_cap;
    app_frame out;                /* the frame next() delivers */

    bool pending;                 /* `out` holds the first, undelivered frame */
    double last_t;
    int64_t index;
};

static bool is_webcam(const char *spec)
{
    return !strcmp(spec, "webcam") || !strncmp(spec, "webcam:", 7) ||
           !strncmp(spec, "/dev/video", 10);
}

static bool has_image_ext(const char *name)
{
    static const char *const exts[] = { ".png", ".jpg", ".jpeg" };
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
        if (!strcasecmp(dot, exts[i]))
            return true;
    return false;
}

static eng_status av_fail(eng_error *err, eng_status st, const char *what,
                          int averr)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(averr, buf, sizeof(buf));
    return eng_fail(err, st, "%s: %s", what, buf);
}

/* ---- the reader --------------------------------------------------------- */

static void reader_close(app_source *s)
{
    avcodec_free_context(&s->dec);
    avformat_close_input(&s->fmt);
    s->flushing = false;
}

/* The stream's display matrix as clockwise quarter turns (what ffmpeg's
 * autorotate applies). Mirroring in the matrix is not undone. */
static int stream_rotation(const AVStream *st)
{
    const uint8_t *m = av_stream_get_side_data(
        st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m)
        return 0;
    double deg = -av_display_rotation_get((const int32_t *)m);
    if (deg != deg) /* NaN: a degenerate matrix */
        return 0;
    long q = lround(deg / 90.0) % 4;
    return (int)(q < 0 ? q + 4 : q);
}

static eng_status open_decoder(app_source *s, const char *path,
                               eng_error *err)
{
    AVStream *st = s->fmt->streams[s->stream];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec)
        return eng_fail(err, ENG_EUNSUPPORTED, "%s: no decoder for %s", path,
                        avcodec_get_name(st->codecpar->codec_id));
    s->dec = avcodec_alloc_context3(codec);
    if (!s->dec)
        return eng_fail(err, ENG_ENOMEM, "%s: out of memory", path);
    int ret = avcodec_parameters_to_context(s->dec, st->codecpar);
    if (ret >= 0)
        ret = avcodec_open2(s->dec, codec, NULL);
    if (ret < 0)
        return av_fail(err, ENG_EUNSUPPORTED, path, ret);
    s->rotation = stream_rotation(st);
    s->time_base = av_q2d(st->time_base);
    s->start_pts = st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time;
    return ENG_OK;
}

/* Opens `path` with the demuxer `ifmt` (NULL: probe) and its decoder. */
static eng_status reader_open(app_source *s, const char *path,
                              const AVInputFormat *ifmt, AVDictionary **opts,
                              eng_error *err)
{
    int ret = avformat_open_input(&s->fmt, path, ifmt, opts);
    if (ret < 0) {
        bool io = ret == AVERROR(ENOENT) || ret == AVERROR(EACCES) ||
                  ret == AVERROR(EIO) || ret == AVERROR(ENODEV);
        return av_fail(err, io ? ENG_EIO : ENG_EFORMAT, path, ret);
    }
    ret = avformat_find_stream_info(s->fmt, NULL);
    if (ret < 0)
        return av_fail(err, ENG_EFORMAT, path, ret);
    ret = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (ret == AVERROR_DECODER_NOT_FOUND)
        return eng_fail(err, ENG_EUNSUPPORTED, "%s: no decoder for its video",
                        path);
    if (ret < 0)
        return eng_fail(err, ENG_EFORMAT, "%s: no video stream", path);
    s->stream = ret;
    return open_decoder(s, path, err);
}

/* Damaged: the decoder flagged it, or it has no picture. */
static bool frame_damaged(const AVFrame *f)
{
    return (f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags ||
           f->width <= 0 || f->height <= 0;
}

/* A webcam delivers the newest frame: packets that queued up while the
 * previous frame was processed are dropped, keeping the last. V4L2 packets
 * are whole frames (raw or MJPEG), so any one of them decodes alone. */
static void keep_newest_packet(app_source *s)
{
    AVPacket *newer = av_packet_alloc();
    if (!newer)
        return;
    s->fmt->flags |= AVFMT_FLAG_NONBLOCK;
    while (av_read_frame(s->fmt, newer) >= 0) {
        if (newer->stream_index == s->stream) {
            av_packet_unref(s->pkt);
            av_packet_move_ref(s->pkt, newer);
        } else {
            av_packet_unref(newer);
        }
    }
    s->fmt->flags &= ~AVFMT_FLAG_NONBLOCK;
    av_packet_free(&newer);
}

/* Feeds the decoder one packet (or the flush). 0 ok, 1 fed nothing new
 * because the input ended, else the demuxer's (negative) error. Packets
 * the decoder rejects count as skipped. */
static int feed_decoder(app_source *s)
{
    if (s->flushing)
        return 1;
    for (;;) {
        int ret = av_read_frame(s->fmt, s->pkt);
        if (ret == AVERROR_EOF) {
            s->flushing = true;
            avcodec_send_packet(s->dec, NULL);
            return 0;
        }
        if (ret < 0 && ret != AVERROR(EAGAIN))
            return ret;
        if (ret < 0 || s->pkt->stream_index != s->stream) {
            av_packet_unref(s->pkt);
            continue;
        }
        if (s->info.kind == APP_SOURCE_WEBCAM)
            keep_newest_packet(s);
        ret = avcodec_send_packet(s->dec, s->pkt);
        av_packet_unref(s->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN))
            s->info.skipped++;
        return 0;
    }
}

/* Decodes the reader's next good frame into s->frame: 1, 0 at its end, or
 * -1 with err set when the input cannot be read any more. */
static int reader_decode(app_source *s, const char *path, eng_error *err)
{
    for (;;) {
        int ret = avcodec_receive_frame(s->dec, s->frame);
        if (ret >= 0) {
            if (!frame_damaged(s->frame))
                return 1;
            s->info.skipped++;
            av_frame_unref(s->frame);
            continue;
        }
        if (ret == AVERROR_EOF)
            return 0;
        if (ret != AVERROR(EAGAIN)) {
            /* A decoding error for this frame: skip it, keep going. */
            s->info.skipped++;
            continue;
        }
        int fed = feed_decoder(s);
        if (fed == 1)
            return 0;
        if (fed < 0) {
            av_fail(err, ENG_EIO, path, fed);
            return -1;
        }
    }
}

/* ---- conversion to RGB -------------------------------------------------- */

/* The deprecated full-range "J" formats name the same layout as their
 * plain twins; swscale wants the twin plus an explicit range. */
static enum AVPixelFormat plain_format(enum AVPixelFormat f, int *full)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full = 1; return AV_PIX_FMT_YUV411P;
    default: return f;
    }
}

static eng_status ensure_sws(app_source *s, const AVFrame *f, eng_error *err)
{
    int full = f->color_range == AVCOL_RANGE_JPEG;
    sws_key k = { f->width, f->height, 0, 0, f->colorspace };
    k.fmt = plain_format((enum AVPixelFormat)f->format, &full);
    k.full_range = full;
    if (s->sws && !memcmp(&k, &s->key, sizeof(k)))
        return ENG_OK;
    sws_freeContext(s->sws);
    /* The ffmpeg command line's default flags: the frames are then bit for
     * bit those the reference pipeline decoded (accurate-rounding and
     * full-chroma flags moved pixels by up to 73 levels against it). */
    s->sws = sws_getContext(k.w, k.h, k.fmt, k.w, k.h, AV_PIX_FMT_RGB24,
                            SWS_BICUBIC, NULL, NULL, NULL);
    if (!s->sws)
        return eng_fail(err, ENG_EUNSUPPORTED,
                        "%s: cannot convert pixel format %s to RGB", s->label,
                        av_get_pix_fmt_name(k.fmt));
    /* YUV matrix from the stream (unspecified: BT.601, as ffmpeg does);
     * RGB output is always full range. Ignored for RGB inputs. */
    sws_setColorspaceDetails(s->sws, sws_getCoefficients(k.colorspace),
                             k.full_range,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                             1 << 16, 1 << 16);
    s->key = k;
    return ENG_OK;
}

static eng_status ensure_buffer(uint8_t **buf, size_t *cap, size_t need,
                                eng_error *err)
{
    if (need <= *cap)
        return ENG_OK;
    av_free(*buf);
    *buf = av_mallocz(need); /* row padding stays defined */
    *cap = *buf ? need : 0;
    return *buf ? ENG_OK : eng_fail(err, ENG_ENOMEM, "out of memory");
}

static int aligned_stride(int width)
{
    return (3 * width + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
}

/* Turns the w x h image `src` by q clockwise quarter turns into `dst`. */
static void rotate_rgb(const uint8_t *src, int sstride, int w, int h, int q,
                       uint8_t *dst, int dstride)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *row = src + (size_t)y * sstride;
        for (int x = 0; x < w; x++) {
            int dx, dy;
            if (q == 1) {
                dx = h - 1 - y;
                dy = x;
            } else if (q == 2) {
                dx = w - 1 - x;
                dy = h - 1 - y;
            } else {
                dx = y;
                dy = w - 1 - x;
            }
            memcpy(dst + (size_t)dy * dstride + 3 * dx, row + 3 * x, 3);
        }
    }
}

static eng_status convert_frame(app_source *s, eng_error *err)
{
    const AVFrame *f = s->frame;
    eng_status st = ensure_sws(s, f, err);
    int stride = aligned_stride(f->width);
    if (st == ENG_OK)
        st = ensure_buffer(&s->rgb, &s->rgb_cap, (size_t)stride * f->height,
                           err);
    if (st != ENG_OK)
        return st;
    uint8_t *dst[4] = { s->rgb };
    int dst_stride[4] = { stride };
    sws_scale(s->sws, (const uint8_t *const *)f->data, f->linesize, 0,
              f->height, dst, dst_stride);
    s->out.width = f->width;
    s->out.height = f->height;
    s->out.stride = stride;
    s->out.rgb = s->rgb;
    if (s->rotation == 0)
        return ENG_OK;
    bool swap = s->rotation % 2;
    int tw = swap ? f->height : f->width, th = swap ? f->width : f->height;
    int tstride = aligned_stride(tw);
    st = ensure_buffer(&s->turned, &s->turned_cap, (size_t)tstride * th, err);
    if (st != ENG_OK)
        return st;
    rotate_rgb(s->rgb, stride, f->width, f->height, s->rotation, s->turned,
               tstride);
    s->out.width = tw;
    s->out.height = th;
    s->out.stride = tstride;
    s->out.rgb = s->turned;
    return ENG_OK;
}

/* ---- timestamps --------------------------------------------------------- */

static double wall_clock(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

/* Seconds for the frame just decoded. Kept strictly increasing (the
 * engine's filters need it): a missing or repeated pts gets the previous
 * time plus one frame. */
static double frame_time(app_source *s)
{
    double step = s->info.fps > 0 ? 1.0 / s->info.fps : 1.0 / 30;
    double t;
    if (s->info.kind == APP_SOURCE_IMAGE || s->info.kind == APP_SOURCE_FOLDER) {
        t = (double)s->index / 30;
    } else if (s->info.kind == APP_SOURCE_WEBCAM) {
        t = wall_clock();
    } else {
        int64_t pts = s->frame->best_effort_timestamp;
        t = pts == AV_NOPTS_VALUE ? s->last_t + step
                                  : (double)(pts - s->start_pts) *
                                        s->time_base;
    }
    if (s->index > 0 && t <= s->last_t)
        t = s->last_t + step;
    s->last_t = t;
    return t;
}

/* Converts s->frame into s->out with the next index and its time. */
static eng_status deliver(app_source *s, eng_error *err)
{
    eng_status st = convert_frame(s, err);
    if (st == ENG_OK) {
        s->out.index = s->index;
        s->out.t = frame_time(s);
        s->out.name = s->name;
        s->index++;
    }
    av_frame_unref(s->frame);
    return st;
}

/* ---- images and folders ------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static eng_status add_file(app_source *s, const char *name, int *cap,
                           eng_error *err)
{
    if (s->n_files == *cap) {
        int ncap = *cap ? 2 * *cap : 64;
        char **nf = realloc(s->files, (size_t)ncap * sizeof(*nf));
        if (!nf)
            return eng_fail(err, ENG_ENOMEM, "out of memory");
        s->files = nf;
        *cap = ncap;
    }
    s->files[s->n_files] = strdup(name);
    if (!s->files[s->n_files])
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    s->n_files++;
    return ENG_OK;
}

static eng_status list_folder(app_source *s, eng_error *err)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return eng_fail(err, ENG_EIO, "%s: %s", s->label, strerror(errno));
    eng_status st = ENG_OK;
    int cap = 0;
    for (struct dirent *e; st == ENG_OK && (e = readdir(d));)
        if (e->d_name[0] != '.' && has_image_ext(e->d_name))
            st = add_file(s, e->d_name, &cap, err);
    closedir(d);
    if (st != ENG_OK)
        return st;
    if (s->n_files == 0)
        return eng_fail(err, ENG_EFORMAT, "%s: no .png, .jpg or .jpeg images",
                        s->label);
    qsort(s->files, (size_t)s->n_files, sizeof(*s->files), compare_names);
    return ENG_OK;
}

/* Decodes the next file of the list into s->frame: 1, or 0 when the list
 * is done. A file that fails to open or decode is skipped and counted;
 * its message stays in err for the caller that needs it (open). */
static int next_image(app_source *s, eng_error *err)
{
    while (s->next_file < s->n_files) {
        char path[PATH_MAX];
        const char *name = s->files[s->next_file++];
        snprintf(path, sizeof(path), "%s%s%s", s->dir, *s->dir ? "/" : "",
                 name);
        int64_t skipped = s->info.skipped;
        int got = 0;
        if (reader_open(s, path, NULL, NULL, err) == ENG_OK) {
            got = reader_decode(s, path, err);
            if (got == 0)
                eng_fail(err, ENG_EFORMAT, "%s: no decodable image", path);
        }
        reader_close(s);
        s->rotation = 0; /* images: EXIF orientation is ignored */
        if (got == 1) {
            s->name = app_basename(name);
            return 1;
        }
        s->info.skipped = skipped + 1; /* one bad file, one skipped frame */
    }
    return 0;
}

/* ---- open / next / close ------------------------------------------------ */

static eng_status open_webcam(app_source *s, const app_source_desc *d,
                              eng_error *err)
{
    char dev[64];
    const char *spec = d->spec;
    if (!strncmp(spec, "/dev/", 5))
        snprintf(dev, sizeof(dev), "%s", spec);
    else
        snprintf(dev, sizeof(dev), "/dev/video%d",
                 spec[6] == ':' ? atoi(spec + 7) : 0);
    const AVInputFormat *v4l2 = av_find_input_format("video4linux2");
    if (!v4l2)
        return eng_fail(err, ENG_EUNSUPPORTED,
                        "%s: FFmpeg was built without the V4L2 input", spec);
    char size[32], fps[16];
    snprintf(size, sizeof(size), "%dx%d",
             d->camera_width > 0 ? d->camera_width : 1280,
             d->camera_height > 0 ? d->camera_height : 720);
    snprintf(fps, sizeof(fps), "%d", d->camera_fps > 0 ? d->camera_fps : 30);
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "video_size", size, 0);
    av_dict_set(&opts, "framerate", fps, 0);
    char what[PATH_MAX];
    snprintf(what, sizeof(what), "%s: %s", spec, dev);
    eng_status st = reader_open(s, dev, v4l2, &opts, err);
    av_dict_free(&opts);
    if (st != ENG_OK) {
        /* Prefix the spec: "webcam:7: /dev/video7: No such file..." */
        char msg[ENG_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        return eng_fail(err, st, "%s: %s", spec, msg);
    }
    s->info.kind = APP_SOURCE_WEBCAM;
    s->info.frame_count = -1;
    s->info.fps = d->camera_fps > 0 ? d->camera_fps : 30;
    return ENG_OK;
}

static eng_status open_video(app_source *s, const char *path, eng_error *err)
{
    eng_status st = reader_open(s, path, NULL, NULL, err);
    if (st != ENG_OK)
        return st;
    AVStream *vs = s->fmt->streams[s->stream];
    AVRational r = vs->avg_frame_rate.num ? vs->avg_frame_rate
                                          : vs->r_frame_rate;
    s->info.kind = APP_SOURCE_VIDEO;
    s->info.fps = r.num && r.den ? av_q2d(r) : 0;
    s->info.frame_count = vs->nb_frames > 0 ? vs->nb_frames : -1;
    /* Without a frame count in the header, estimate it from the duration:
     * the progress bar needs a total more than an exact one. */
    if (s->info.frame_count < 0 && s->fmt->duration > 0 && s->info.fps > 0)
        s->info.frame_count = (int64_t)(s->fmt->duration * s->info.fps /
                                        AV_TIME_BASE + 0.5);
    return ENG_OK;
}

/* Opens by kind and decodes the first frame into s->frame. */
static eng_status open_kind(app_source *s, const app_source_desc *d,
                            eng_error *err)
{
    struct stat sb;
    eng_status st;
    if (is_webcam(d->spec)) {
        st = open_webcam(s, d, err);
    } else if (stat(d->spec, &sb) != 0) {
        return eng_fail(err, ENG_EIO, "%s: %s", d->spec, strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        s->info.kind = APP_SOURCE_FOLDER;
        s->dir = strdup(d->spec);
        if (!s->dir)
            return eng_fail(err, ENG_ENOMEM, "out of memory");
        if ((st = list_folder(s, err)) != ENG_OK)
            return st;
        s->info.frame_count = s->n_files;
        return next_image(s, err) ? ENG_OK : err->status;
    } else if (has_image_ext(d->spec)) {
        s->info.kind = APP_SOURCE_IMAGE;
        s->info.frame_count = 1;
        s->dir = strdup("");
        int cap = 0;
        st = s->dir ? add_file(s, d->spec, &cap, err)
                    : eng_fail(err, ENG_ENOMEM, "out of memory");
        if (st != ENG_OK)
            return st;
        return next_image(s, err) ? ENG_OK : err->status;
    } else {
        st = open_video(s, d->spec, err);
    }
    if (st != ENG_OK)
        return st;
    int got = reader_decode(s, d->spec, err);
    if (got == 0)
        return eng_fail(err, ENG_EFORMAT, "%s: no decodable video frame",
                        d->spec);
    return got < 0 ? err->status : ENG_OK;
}

eng_status app_source_open(const app_source_desc *desc, app_source **out,
                           eng_error *err)
{
    eng_error local;
    err = err ? err : &local;
    *out = NULL;
    if (!desc || !desc->spec || !*desc->spec)
        return eng_fail(err, ENG_EINVAL, "no source given");
    app_source *s = calloc(1, sizeof(*s));
    if (!s)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    snprintf(s->label, sizeof(s->label), "%s", desc->spec);
    /* FFmpeg logs to stderr by default; the app prints only in main. */
    av_log_set_level(AV_LOG_QUIET);
    avdevice_register_all();
    s->pkt = av_packet_alloc();
    s->frame = av_frame_alloc();
    double t0 = app_now();
    eng_status st = s->pkt && s->frame
                        ? open_kind(s, desc, err)
                        : eng_fail(err, ENG_ENOMEM, "out of memory");
    if (st == ENG_OK)
        st = deliver(s, err);
    if (st != ENG_OK) {
        app_source_close(s);
        return st;
    }
    s->out.decode_ms = (app_now() - t0) * 1e3;
    s->info.width = s->out.width;
    s->info.height = s->out.height;
    s->pending = true;
    *out = s;
    return ENG_OK;
}

void app_source_get_info(const app_source *s, app_source_info *info)
{
    *info = s->info;
}

int app_source_next(app_source *s, app_frame *frame, eng_error *err)
{
    if (s->pending) {
        s->pending = false;
        *frame = s->out;
        return 1;
    }
    int got;
    double t0 = app_now();
    if (s->files) {
        /* A bad file in a folder is skipped (counted), not fatal. */
        eng_error ignored;
        got = next_image(s, &ignored);
    } else {
        got = reader_decode(s, s->label, err);
    }
    if (got != 1)
        return got;
    if (deliver(s, err) != ENG_OK)
        return -1;
    s->out.decode_ms = (app_now() - t0) * 1e3;
    *frame = s->out;
    return 1;
}

void app_source_close(app_source *s)
{
    if (!s)
        return;
    reader_close(s);
    av_packet_free(&s->pkt);
    av_frame_free(&s->frame);
    sws_freeContext(s->sws);
    av_free(s->rgb);
    av_free(s->turned);
    for (int i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->files);
    free(s->dir);
    free(s);
}
