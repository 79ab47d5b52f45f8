/*
 * test_recorder: app/recorder.c writes an H.264 MP4 that libavformat reads
 * back frame for frame (odd sizes padded to even), a file cut in half
 * still decodes (fragmented MP4), bad arguments fail clearly, and
 * app_write_png() writes a PNG that decodes to the same pixels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "recorder.h"
#include "testlib.h"

#define W 641
#define H 359
#define FRAMES 30

static char tmpdir[] = "/tmp/test_recorder-XXXXXX";

/* Writes tmpdir/name into buf (256 bytes) and returns it. */
static const char *tmp_path(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", tmpdir, name);
    return buf;
}

/* A moving, noisy picture: P-frames are not empty, so the file's bytes are
 * spread over all frames and a cut in the middle lands among them. */
static void fill_frame(uint8_t *rgb, int stride, int t, uint64_t *rng)
{
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            uint8_t *p = rgb + (size_t)y * stride + 3 * x;
            int on = ((x + 8 * t) / 40 + y / 40) % 2;
            uint8_t n = (uint8_t)(test_rand_u32(rng) & 31);
            p[0] = (uint8_t)(on ? 200 + n : n);
            p[1] = (uint8_t)(x * 255 / W);
            p[2] = (uint8_t)(y * 255 / H);
        }
    }
}

typedef struct decoded {
    int frames;
    int width, height;
    int64_t last_pts;
    int monotonic;
    enum AVCodecID codec;
} decoded;

static void receive_all(AVCodecContext *dec, AVFrame *frame, decoded *d)
{
    while (avcodec_receive_frame(dec, frame) >= 0) {
        if (d->frames > 0 && frame->pts <= d->last_pts)
            d->monotonic = 0;
        d->last_pts = frame->pts;
        d->frames++;
        d->width = frame->width;
        d->height = frame->height;
    }
}

/* Decodes every frame libavformat can read; stops at the first read
 * error (the cut of a truncated file). */
static decoded decode_file(const char *path)
{
    decoded d = {0, 0, 0, -1, 1, AV_CODEC_ID_NONE};
    AVFormatContext *fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return d;
    int si = avformat_find_stream_info(fmt, NULL) >= 0
                 ? av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1,
                                       NULL, 0)
                 : -1;
    if (si < 0) {
        avformat_close_input(&fmt);
        return d;
    }
    AVCodecParameters *par = fmt->streams[si]->codecpar;
    d.codec = par->codec_id;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    avcodec_parameters_to_context(dec, par);
    if (avcodec_open2(dec, codec, NULL) == 0) {
        while (av_read_frame(fmt, pkt) >= 0) {
            if (pkt->stream_index == si && avcodec_send_packet(dec, pkt) >= 0)
                receive_all(dec, frame, &d);
            av_packet_unref(pkt);
        }
        avcodec_send_packet(dec, NULL);
        receive_all(dec, frame, &d);
    }
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return d;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_write_and_read_back(void)
{
    char path[256], cut[256];
    tmp_path(path, "odd.mp4");
    tmp_path(cut, "cut.mp4");
    int stride = W * 3 + 7;
    uint8_t *rgb = malloc((size_t)stride * H);
    uint64_t rng = 42;
    app_recorder *rec = NULL;
    eng_error err = {0};
    eng_status st = app_recorder_open(path, W, H, 30.0, &rec, &err);
    CHECK(st == ENG_OK && rec, "open: %s", err.msg);
    for (int t = 0; st == ENG_OK && t < FRAMES; t++) {
        fill_frame(rgb, stride, t, &rng);
        /* frame 10 repeats a timestamp, frame 20 has none: both must
         * still get strictly increasing pts */
        double pts = t == 10 ? 9.0 / 30 : t == 20 ? -1.0 : t / 30.0;
        st = app_recorder_write(rec, rgb, stride, pts, &err);
        CHECK(st == ENG_OK, "write %d: %s", t, err.msg);
    }
    CHECK(rec && app_recorder_frames(rec) == FRAMES, "frames accepted");
    st = app_recorder_close(rec, &err);
    CHECK(st == ENG_OK, "close: %s", err.msg);
    free(rgb);

    long size = file_size(path);
    CHECK(size > 1000, "file written (%ld bytes)", size);
    decoded d = decode_file(path);
    CHECK(d.codec == AV_CODEC_ID_H264, "H.264 stream");
    CHECK(d.frames == FRAMES, "decoded %d of %d frames", d.frames, FRAMES);
    CHECK(d.width == W + 1 && d.height == H + 1,
          "padded to even: %dx%d", d.width, d.height);
    CHECK(d.monotonic, "pts strictly increasing");

    /* a process killed mid-write leaves a cut file: the fragments before
     * the cut carry their own index and still decode */
    size_t n = 0;
    uint8_t *bytes = test_read_file(path, &n);
    FILE *f = fopen(cut, "wb");
    CHECK(bytes && f && fwrite(bytes, 1, n / 2, f) == n / 2, "write cut");
    if (f)
        fclose(f);
    free(bytes);
    decoded dc = decode_file(cut);
    CHECK(dc.frames > 0 && dc.frames < FRAMES,
          "half a file decodes %d frames", dc.frames);
    printf("recorder: %ld bytes, %d frames; cut at %zu bytes: %d frames\n",
           size, d.frames, n / 2, dc.frames);
    unlink(path);
    unlink(cut);
}

static void test_errors(void)
{
    app_recorder *rec = (app_recorder *)1;
    eng_error err = {0};
    char path[256];
    eng_status st = app_recorder_open("/nonexistent-dir/x.mp4", 64, 64, 30,
                                      &rec, &err);
    CHECK(st == ENG_EIO && rec == NULL && strstr(err.msg, "nonexistent"),
          "missing directory: %d %s", st, err.msg);
    st = app_recorder_open(tmp_path(path, "bad.mp4"), 0, 64, 30, &rec, &err);
    CHECK(st == ENG_EINVAL && rec == NULL, "zero width: %s", err.msg);
    CHECK(app_recorder_close(NULL, &err) == ENG_OK, "close(NULL)");

    /* no frames at all: still a valid (empty) file, closed cleanly */
    st = app_recorder_open(tmp_path(path, "empty.mp4"), 16, 16, 0, &rec, &err);
    CHECK(st == ENG_OK, "open 16x16: %s", err.msg);
    uint8_t px[16 * 16 * 3] = {0};
    CHECK(app_recorder_write(rec, px, 10, 0, &err) == ENG_EINVAL,
          "stride below 3 * width refused");
    CHECK(app_recorder_close(rec, &err) == ENG_OK, "close empty: %s",
          err.msg);
    unlink(tmp_path(path, "empty.mp4"));
}

/* The PNG decodes to exactly the pixels written. */
static void test_png(void)
{
    enum { PW = 7, PH = 5, PS = PW * 3 + 2 };
    uint8_t rgb[PS * PH];
    for (int i = 0; i < PS * PH; i++)
        rgb[i] = (uint8_t)(i * 37);
    eng_error err = {0};
    char path[256], bad[256];
    tmp_path(path, "x.png");
    CHECK(app_write_png(path, rgb, PW, PH, PS, &err) == ENG_OK, "png: %s",
          err.msg);
    CHECK(app_write_png(tmp_path(bad, "none/x.png"), rgb, PW, PH, PS, &err) ==
              ENG_EIO, "png into a missing directory: EIO");

    size_t n = 0;
    uint8_t *bytes = test_read_file(path, &n);
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_PNG);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int ok = bytes && avcodec_open2(dec, codec, NULL) == 0;
    ok = ok && av_new_packet(pkt, (int)n) == 0;
    if (ok) {
        memcpy(pkt->data, bytes, n);
        ok = avcodec_send_packet(dec, pkt) == 0 &&
             avcodec_receive_frame(dec, frame) == 0;
    }
    CHECK(ok && frame->width == PW && frame->height == PH &&
              frame->format == AV_PIX_FMT_RGB24, "PNG decodes as RGB24");
    int same = ok;
    for (int y = 0; same && y < PH; y++)
        same = memcmp(frame->data[0] + y * frame->linesize[0],
                      rgb + y * PS, PW * 3) == 0;
    CHECK(same, "PNG pixels round-trip");
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    free(bytes);
    unlink(path);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_write_and_read_back();
    test_errors();
    test_png();
    rmdir(tmpdir);
    return test_finish();
}
