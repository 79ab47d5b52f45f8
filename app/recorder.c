/*
 * recorder: H.264 fragmented MP4 and PNG output through FFmpeg.
 */
#include "recorder.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

/* 90 kHz, MPEG's clock: fine enough for any frame rate and for variable
 * rate (webcam) timestamps, without rounding two frames onto one tick. */
#define TICKS_PER_SECOND 90000
/* Keyframe (and fragment) interval: what a killed process can lose at
 * most, against the bitrate that frequent keyframes cost. */
#define GOP_SECONDS 2.0

struct app_recorder {
    /* set at open */
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *stream;
    AVFrame *frame;            /* yuv420p, even size, reused every frame */
    AVPacket *pkt;
    struct SwsContext *sws;
    uint8_t *pad;              /* even-size RGB copy for odd inputs, or NULL */
    int width, height;         /* the caller's frames */
    int64_t step;              /* ticks per frame at the nominal rate */
    bool header_written;
    /* per frame */
    int64_t last_pts;
    int64_t frames;
};

static eng_status av_fail(eng_error *err, eng_status st, int averr,
                          const char *what)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(averr, buf, sizeof buf);
    return eng_fail(err, st, "%s: %s", what, buf);
}

/* Moves every packet the encoder has ready into the file. */
static eng_status drain(app_recorder *rec, eng_error *err)
{
    for (;;) {
        int r = avcodec_receive_packet(rec->enc, rec->pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return ENG_OK;
        if (r < 0)
            return av_fail(err, ENG_EBACKEND, r, "H.264 encoder");
        /* x264 leaves durations unset; the muxer needs one for the last
         * sample of each fragment */
        if (rec->pkt->duration <= 0)
            rec->pkt->duration = rec->step;
        av_packet_rescale_ts(rec->pkt, rec->enc->time_base,
                             rec->stream->time_base);
        rec->pkt->stream_index = rec->stream->index;
        r = av_interleaved_write_frame(rec->fmt, rec->pkt);
        if (r < 0)
            return av_fail(err, ENG_EIO, r, rec->fmt->url);
    }
}

static eng_status open_encoder(app_recorder *rec, double fps, eng_error *err)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return eng_fail(err, ENG_EBACKEND,
                        "this FFmpeg has no libx264 encoder");
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    if (!enc)
        return eng_fail(err, ENG_ENOMEM, "out of memory (encoder)");
    rec->enc = enc;
    enc->width = rec->frame->width;
    enc->height = rec->frame->height;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = (AVRational){1, TICKS_PER_SECOND};
    enc->framerate = av_d2q(fps, 1 << 16);
    enc->gop_size = (int)lround(GOP_SECONDS * fps);
    enc->gop_size = enc->gop_size < 1 ? 1 : enc->gop_size;
    /* sws converts with BT.709 limited range (below); say so, so players
     * do not guess BT.601 for small frames */
    enc->colorspace = AVCOL_SPC_BT709;
    enc->color_primaries = AVCOL_PRI_BT709;
    enc->color_trc = AVCOL_TRC_BT709;
    enc->color_range = AVCOL_RANGE_MPEG;
    if (rec->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    /* veryfast + CRF 23: x264's default quality at a fraction of the
     * 'medium' preset's cost (measured in the README) */
    av_opt_set(enc->priv_data, "preset", "veryfast", 0);
    av_opt_set(enc->priv_data, "crf", "23", 0);
    int r = avcodec_open2(enc, codec, NULL);
    if (r < 0)
        return av_fail(err, ENG_EBACKEND, r, "libx264");
    return ENG_OK;
}

static eng_status open_stream(app_recorder *rec, const char *path,
                              eng_error *err)
{
    rec->stream = avformat_new_stream(rec->fmt, NULL);
    if (!rec->stream)
        return eng_fail(err, ENG_ENOMEM, "out of memory (stream)");
    rec->stream->time_base = rec->enc->time_base;
    int r = avcodec_parameters_from_context(rec->stream->codecpar, rec->enc);
    if (r < 0)
        return av_fail(err, ENG_EBACKEND, r, "stream parameters");
    r = avio_open(&rec->fmt->pb, path, AVIO_FLAG_WRITE);
    if (r < 0)
        return av_fail(err, ENG_EIO, r, path);
    /* Fragments carry their own index (moof), so the file is playable up
     * to the last whole fragment even if we never reach the trailer. */
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof",
                0);
    /* each finished fragment goes to the kernel at once, not when the
     * 32 KB I/O buffer fills, so a kill loses only the open fragment */
    rec->fmt->flush_packets = 1;
    r = avformat_write_header(rec->fmt, &opts);
    av_dict_free(&opts);
    if (r < 0)
        return av_fail(err, ENG_EIO, r, path);
    rec->header_written = true;
    return ENG_OK;
}

static eng_status open_converter(app_recorder *rec, eng_error *err)
{
    int w = rec->frame->width, h = rec->frame->height;
    rec->sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h,
                              AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL,
                              NULL);
    if (!rec->sws)
        return eng_fail(err, ENG_EBACKEND, "swscale: RGB24 -> yuv420p");
    /* full-range sRGB in, BT.709 limited range out (tagged in the
     * stream), what players assume for HD */
    const int *coef = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(rec->sws, coef, 1, coef, 0, 0, 1 << 16,
                             1 << 16);
    if (w != rec->width || h != rec->height) {
        rec->pad = malloc((size_t)w * h * 3);
        if (!rec->pad)
            return eng_fail(err, ENG_ENOMEM, "out of memory (padding)");
    }
    return ENG_OK;
}

static eng_status open_all(app_recorder *rec, const char *path, double fps,
                           eng_error *err)
{
    int r = avformat_alloc_output_context2(&rec->fmt, NULL, "mp4", path);
    if (r < 0)
        return av_fail(err, ENG_EBACKEND, r, "mp4 muxer");
    rec->frame = av_frame_alloc();
    rec->pkt = av_packet_alloc();
    if (!rec->frame || !rec->pkt)
        return eng_fail(err, ENG_ENOMEM, "out of memory (frame)");
    /* yuv420p needs even sizes: pad by one pixel */
    rec->frame->width = (rec->width + 1) & ~1;
    rec->frame->height = (rec->height + 1) & ~1;
    rec->frame->format = AV_PIX_FMT_YUV420P;
    r = av_frame_get_buffer(rec->frame, 0);
    if (r < 0)
        return av_fail(err, ENG_ENOMEM, r, "frame buffer");
    eng_status st = open_encoder(rec, fps, err);
    if (st == ENG_OK)
        st = open_converter(rec, err);
    if (st == ENG_OK)
        st = open_stream(rec, path, err);
    return st;
}

eng_status app_recorder_open(const char *path, int width, int height,
                             double fps, app_recorder **out, eng_error *err)
{
    *out = NULL;
    /* x264's limit is 16384 per side; beyond it we fail here, clearly */
    if (width < 1 || height < 1 || width > 16384 || height > 16384)
        return eng_fail(err, ENG_EINVAL, "%s: bad frame size %dx%d", path,
                        width, height);
    if (!(fps > 0.0) || !isfinite(fps) || fps > 1000.0)
        fps = 30.0;
    app_recorder *rec = calloc(1, sizeof *rec);
    if (!rec)
        return eng_fail(err, ENG_ENOMEM, "out of memory (recorder)");
    rec->width = width;
    rec->height = height;
    rec->step = llround(TICKS_PER_SECOND / fps);
    rec->step = rec->step < 1 ? 1 : rec->step;
    rec->last_pts = -1;
    eng_status st = open_all(rec, path, fps, err);
    if (st != ENG_OK) {
        app_recorder_close(rec, NULL);
        return st;
    }
    *out = rec;
    return ENG_OK;
}

/* The caller's frame, or a copy padded to the even size by repeating the
 * last column and row (so the padding does not bleed a dark edge into the
 * chroma of the last real pixels). */
static const uint8_t *padded(app_recorder *rec, const uint8_t *rgb,
                             int *stride)
{
    if (!rec->pad)
        return rgb;
    int w = rec->frame->width, h = rec->frame->height;
    size_t row_bytes = (size_t)rec->width * 3, pad_stride = (size_t)w * 3;
    for (int y = 0; y < h; y++) {
        int sy = y < rec->height ? y : rec->height - 1;
        uint8_t *dst = rec->pad + y * pad_stride;
        memcpy(dst, rgb + (size_t)sy * *stride, row_bytes);
        if (w != rec->width)
            memcpy(dst + row_bytes, dst + row_bytes - 3, 3);
    }
    *stride = (int)pad_stride;
    return rec->pad;
}

static int64_t next_pts(app_recorder *rec, double pts_seconds)
{
    int64_t next = rec->last_pts < 0 ? 0 : rec->last_pts + rec->step;
    /* 1e9 s caps the conversion to int64 ticks far inside its range */
    if (!isfinite(pts_seconds) || pts_seconds < 0.0 || pts_seconds > 1e9)
        return next;
    int64_t pts = llround(pts_seconds * TICKS_PER_SECOND);
    return pts > rec->last_pts ? pts : next;
}

eng_status app_recorder_write(app_recorder *rec, const uint8_t *rgb,
                              int stride, double pts_seconds, eng_error *err)
{
    if (!rgb || stride < 3 * rec->width)
        return eng_fail(err, ENG_EINVAL, "recorder: bad frame (stride %d)",
                        stride);
    /* the encoder may still hold a reference to last frame's buffer */
    int r = av_frame_make_writable(rec->frame);
    if (r < 0)
        return av_fail(err, ENG_ENOMEM, r, "frame buffer");
    const uint8_t *src = padded(rec, rgb, &stride);
    const uint8_t *planes[1] = {src};
    sws_scale(rec->sws, planes, &stride, 0, rec->frame->height,
              rec->frame->data, rec->frame->linesize);
    rec->frame->pts = next_pts(rec, pts_seconds);
    rec->last_pts = rec->frame->pts;
    r = avcodec_send_frame(rec->enc, rec->frame);
    if (r < 0)
        return av_fail(err, ENG_EBACKEND, r, "H.264 encoder");
    rec->frames++;
    return drain(rec, err);
}

int64_t app_recorder_frames(const app_recorder *rec)
{
    return rec->frames;
}

/* Flushes the encoder and writes the trailer; the first error wins. */
static eng_status finish(app_recorder *rec, eng_error *err)
{
    eng_status st = ENG_OK;
    int r = avcodec_send_frame(rec->enc, NULL);
    if (r < 0)
        st = av_fail(err, ENG_EBACKEND, r, "H.264 encoder flush");
    else
        st = drain(rec, err);
    r = av_write_trailer(rec->fmt);
    if (r < 0 && st == ENG_OK)
        st = av_fail(err, ENG_EIO, r, rec->fmt->url);
    return st;
}

eng_status app_recorder_close(app_recorder *rec, eng_error *err)
{
    if (!rec)
        return ENG_OK;
    eng_status st = ENG_OK;
    if (rec->header_written)
        st = finish(rec, err);
    if (rec->fmt && rec->fmt->pb) {
        int r = avio_closep(&rec->fmt->pb);
        if (r < 0 && st == ENG_OK)
            st = av_fail(err, ENG_EIO, r, rec->fmt->url);
    }
    avformat_free_context(rec->fmt);
    avcodec_free_context(&rec->enc);
    av_frame_free(&rec->frame);
    av_packet_free(&rec->pkt);
    sws_freeContext(rec->sws);
    free(rec->pad);
    free(rec);
    return st;
}

/* --- PNG --------------------------------------------------------------- */

static eng_status encode_png(AVCodecContext *enc, const uint8_t *rgb,
                             int stride, AVPacket *pkt, eng_error *err)
{
    AVFrame *frame = av_frame_alloc();
    if (!frame)
        return eng_fail(err, ENG_ENOMEM, "out of memory (PNG frame)");
    frame->width = enc->width;
    frame->height = enc->height;
    frame->format = AV_PIX_FMT_RGB24;
    /* borrowed pixels: the encoder copies what it keeps */
    frame->data[0] = (uint8_t *)rgb;
    frame->linesize[0] = stride;
    int r = avcodec_send_frame(enc, frame);
    av_frame_free(&frame);
    if (r >= 0)
        r = avcodec_send_frame(enc, NULL);
    if (r >= 0)
        r = avcodec_receive_packet(enc, pkt);
    if (r < 0)
        return av_fail(err, ENG_EBACKEND, r, "PNG encoder");
    return ENG_OK;
}

static eng_status write_file(const char *path, const AVPacket *pkt,
                             eng_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return eng_fail(err, ENG_EIO, "%s: %s", path, strerror(errno));
    size_t n = fwrite(pkt->data, 1, (size_t)pkt->size, f);
    int closed = fclose(f);
    if (n != (size_t)pkt->size || closed != 0)
        return eng_fail(err, ENG_EIO, "%s: write failed: %s", path,
                        strerror(errno));
    return ENG_OK;
}

eng_status app_write_png(const char *path, const uint8_t *rgb, int width,
                         int height, int stride, eng_error *err)
{
    if (!rgb || width < 1 || height < 1 || stride < 3 * width)
        return eng_fail(err, ENG_EINVAL, "%s: bad image %dx%d stride %d",
                        path, width, height, stride);
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (!codec)
        return eng_fail(err, ENG_EBACKEND, "this FFmpeg has no PNG encoder");
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    AVPacket *pkt = av_packet_alloc();
    eng_status st = ENG_OK;
    if (!enc || !pkt) {
        st = eng_fail(err, ENG_ENOMEM, "out of memory (PNG encoder)");
        goto out_free;
    }
    enc->width = width;
    enc->height = height;
    enc->pix_fmt = AV_PIX_FMT_RGB24;
    enc->time_base = (AVRational){1, 1};
    int r = avcodec_open2(enc, codec, NULL);
    if (r < 0) {
        st = av_fail(err, ENG_EBACKEND, r, "PNG encoder");
        goto out_free;
    }
    st = encode_png(enc, rgb, stride, pkt, err);
    if (st == ENG_OK)
        st = write_file(path, pkt, err);
out_free:
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    return st;
}
