/*
 * test_source: app/source.c on the bundled sample video, on media written
 * here with libavcodec (odd sizes, a rotated stream, full-range JPEG, PNG,
 * a folder with a broken file), on damaged videos, a missing file and a
 * missing webcam.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>

#include "source.h"
#include "testlib.h"

#define SAMPLE POSESCOPE_SOURCE_DIR "/assets/pose_squats_10s.mp4"

static char tmp[64];

/* Fills an RGB-ish YUV420P picture: four flat quadrants so that rotation
 * is visible after lossy coding. */
static void fill_quadrants(AVFrame *f)
{
    static const uint8_t yv[4] = { 40, 110, 170, 230 };
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            int q = (y >= f->height / 2) * 2 + (x >= f->width / 2);
            f->data[0][y * f->linesize[0] + x] = yv[q];
        }
    for (int y = 0; y < (f->height + 1) / 2; y++) {
        memset(f->data[1] + y * f->linesize[1], 128, (f->width + 1) / 2);
        memset(f->data[2] + y * f->linesize[2], 128, (f->width + 1) / 2);
    }
}

static int encode_to(AVCodecContext *c, AVFrame *f, AVFormatContext *o,
                     AVStream *st)
{
    AVPacket *p = av_packet_alloc();
    int ret = avcodec_send_frame(c, f);
    while (ret >= 0) {
        ret = avcodec_receive_packet(c, p);
        if (ret < 0)
            break;
        p->duration = 1; /* else mp4's edit list drops the last frame */
        av_packet_rescale_ts(p, c->time_base, st->time_base);
        p->stream_index = st->index;
        av_interleaved_write_frame(o, p);
    }
    av_packet_free(&p);
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

/* Writes an MPEG-4 Part 2 .mp4 of n frames at 10 fps; `cw_degrees` != 0
 * adds a display matrix asking players to turn it clockwise. */
static int write_video(const char *path, int w, int h, int n, int cw_degrees)
{
    AVFormatContext *o = NULL;
    avformat_alloc_output_context2(&o, NULL, NULL, path);
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    c->width = w;
    c->height = h;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){ 1, 10 };
    c->flags |= AV_CODEC_FLAG_QSCALE | AV_CODEC_FLAG_GLOBAL_HEADER;
    c->global_quality = FF_QP2LAMBDA * 2;
    int ret = avcodec_open2(c, codec, NULL);
    AVStream *st = avformat_new_stream(o, NULL);
    avcodec_parameters_from_context(st->codecpar, c);
    st->time_base = c->time_base;
    if (cw_degrees) {
        uint8_t *m = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX,
                                             9 * sizeof(int32_t));
        /* _set takes clockwise degrees (and _get answers
         * counterclockwise ones). */
        av_display_rotation_set((int32_t *)m, cw_degrees);
    }
    if (ret >= 0)
        ret = avio_open(&o->pb, path, AVIO_FLAG_WRITE);
    if (ret >= 0)
        ret = avformat_write_header(o, NULL);
    AVFrame *f = av_frame_alloc();
    f->width = w;
    f->height = h;
    f->format = AV_PIX_FMT_YUV420P;
    av_frame_get_buffer(f, 0);
    for (int i = 0; ret >= 0 && i < n; i++) {
        fill_quadrants(f);
        f->pts = i;
        ret = encode_to(c, f, o, st);
    }
    if (ret >= 0)
        ret = encode_to(c, NULL, o, st);
    if (ret >= 0)
        ret = av_write_trailer(o);
    av_frame_free(&f);
    avcodec_free_context(&c);
    avio_closep(&o->pb);
    avformat_free_context(o);
    return ret;
}

/* Writes a flat-colour image with the PNG (rgb24) or MJPEG (yuvj420p:
 * full range) encoder; one packet is the whole file. */
static int write_image(const char *path, enum AVCodecID id, int w, int h,
                       const uint8_t rgb[3])
{
    const AVCodec *codec = avcodec_find_encoder(id);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    bool jpeg = id == AV_CODEC_ID_MJPEG;
    c->width = w;
    c->height = h;
    c->time_base = (AVRational){ 1, 25 };
    c->pix_fmt = jpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_RGB24;
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 1;
    int ret = avcodec_open2(c, codec, NULL);
    AVFrame *f = av_frame_alloc();
    f->width = w;
    f->height = h;
    f->format = c->pix_fmt;
    av_frame_get_buffer(f, 0);
    /* BT.601 full range, what JPEG (JFIF) uses. */
    double r = rgb[0], g = rgb[1], b = rgb[2];
    uint8_t yuv[3] = {
        (uint8_t)lround(0.299 * r + 0.587 * g + 0.114 * b),
        (uint8_t)lround(128 - 0.168736 * r - 0.331264 * g + 0.5 * b),
        (uint8_t)lround(128 + 0.5 * r - 0.418688 * g - 0.081312 * b),
    };
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w && !jpeg; x++)
            memcpy(f->data[0] + y * f->linesize[0] + 3 * x, rgb, 3);
        if (jpeg) {
            memset(f->data[0] + y * f->linesize[0], yuv[0], w);
            memset(f->data[1] + y / 2 * f->linesize[1], yuv[1], (w + 1) / 2);
            memset(f->data[2] + y / 2 * f->linesize[2], yuv[2], (w + 1) / 2);
        }
    }
    f->pts = 0;
    AVPacket *p = av_packet_alloc();
    if (ret >= 0)
        ret = avcodec_send_frame(c, f);
    if (ret >= 0)
        ret = avcodec_receive_packet(c, p);
    if (ret >= 0) {
        FILE *fp = fopen(path, "wb");
        ret = fp && fwrite(p->data, 1, (size_t)p->size, fp) ==
                        (size_t)p->size ? 0 : -1;
        if (fp)
            fclose(fp);
    }
    av_packet_free(&p);
    av_frame_free(&f);
    avcodec_free_context(&c);
    return ret;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

/* Opens spec and reads every frame; returns the count (-1: open failed),
 * checking sizes and increasing times on the way. */
static int64_t read_all(const char *spec, app_source_info *info,
                        eng_error *err)
{
    app_source *s;
    app_source_desc d = { .spec = spec };
    if (app_source_open(&d, &s, err) != ENG_OK)
        return -1;
    app_frame f;
    int64_t n = 0;
    double last = -1;
    int got;
    while ((got = app_source_next(s, &f, err)) == 1) {
        CHECK(f.index == n, "%s: index %lld", spec, (long long)f.index);
        CHECK(f.t > last, "%s: t %.4f after %.4f", spec, f.t, last);
        CHECK(f.stride >= 3 * f.width && f.rgb, "%s: stride", spec);
        last = f.t;
        n++;
    }
    CHECK(got == 0, "%s: ends cleanly: %s", spec, err->msg);
    app_source_get_info(s, info);
    app_source_close(s);
    return n;
}

static void test_sample_video(void)
{
    app_source *s;
    eng_error err = { 0 };
    app_source_desc d = { .spec = SAMPLE };
    CHECK(app_source_open(&d, &s, &err) == ENG_OK, "open sample: %s",
          err.msg);
    if (!s)
        return;
    app_source_info info;
    app_source_get_info(s, &info);
    CHECK(info.kind == APP_SOURCE_VIDEO, "kind %d", info.kind);
    CHECK(info.width == 720 && info.height == 1280, "size %dx%d",
          info.width, info.height);
    CHECK(fabs(info.fps - 5) < 1e-6, "fps %f", info.fps);
    CHECK(info.frame_count == 50, "frame_count %lld",
          (long long)info.frame_count);
    app_frame f;
    int n = 0;
    double last = -1;
    uint64_t sum = 0;
    while (app_source_next(s, &f, &err) == 1) {
        CHECK(f.width == 720 && f.height == 1280 && !f.name, "frame %d", n);
        CHECK(f.t > last && fabs(f.t - 0.2 * n) < 1e-3, "t[%d] = %f", n,
              f.t);
        last = f.t;
        for (int x = 0; x < 3 * f.width; x++)
            sum += f.rgb[(size_t)(f.height / 2) * f.stride + x];
        n++;
    }
    CHECK(n == 50, "sample: %d frames", n);
    CHECK(sum > 0, "sample: frames have content");
    app_source_get_info(s, &info);
    CHECK(info.skipped == 0, "sample: %lld skipped",
          (long long)info.skipped);
    app_source_close(s);
}

/* Odd size, and a 90-degree display matrix turning 64x32 into 32x64. */
static void test_odd_and_rotated(void)
{
    char path[128];
    eng_error err = { 0 };
    app_source_info info;
    snprintf(path, sizeof(path), "%s/odd.mp4", tmp);
    CHECK(write_video(path, 641, 359, 7, 0) >= 0, "write odd.mp4");
    int64_t n = read_all(path, &info, &err);
    CHECK(n == 7, "odd.mp4: %lld frames: %s", (long long)n, err.msg);
    CHECK(info.width == 641 && info.height == 359, "odd size %dx%d",
          info.width, info.height);

    snprintf(path, sizeof(path), "%s/rot.mp4", tmp);
    CHECK(write_video(path, 64, 32, 3, 90) >= 0, "write rot.mp4");
    app_source *s;
    app_source_desc d = { .spec = path };
    CHECK(app_source_open(&d, &s, &err) == ENG_OK, "rot: %s", err.msg);
    if (!s)
        return;
    app_frame f;
    CHECK(app_source_next(s, &f, &err) == 1, "rot frame");
    CHECK(f.width == 32 && f.height == 64, "rotated %dx%d", f.width,
          f.height);
    /* Quadrant luma 40 (top-left) lands top-right after a clockwise turn,
     * 230 (bottom-right) bottom-left. */
    const uint8_t *tr = f.rgb + 4 * f.stride + 3 * 28;
    const uint8_t *bl = f.rgb + 60 * f.stride + 3 * 4;
    CHECK(abs(tr[1] - 28) < 12, "top-right green %d (want dark)", tr[1]);
    CHECK(abs(bl[1] - 250) < 12, "bottom-left green %d (want bright)",
          bl[1]);
    app_source_close(s);
}

static void check_colour(const char *spec, const uint8_t want[3], int tol,
                         const char *expect_name)
{
    app_source *s;
    eng_error err = { 0 };
    app_source_desc d = { .spec = spec };
    CHECK(app_source_open(&d, &s, &err) == ENG_OK, "%s: %s", spec, err.msg);
    if (!s)
        return;
    app_source_info info;
    app_source_get_info(s, &info);
    CHECK(info.kind == APP_SOURCE_IMAGE && info.frame_count == 1, "image");
    app_frame f;
    CHECK(app_source_next(s, &f, &err) == 1, "image frame");
    CHECK(f.width == 33 && f.height == 17, "image size %dx%d", f.width,
          f.height);
    CHECK(f.name && !strcmp(f.name, expect_name), "name %s",
          f.name ? f.name : "(null)");
    const uint8_t *p = f.rgb + 8 * f.stride + 3 * 16;
    for (int c = 0; c < 3; c++)
        CHECK(abs(p[c] - want[c]) <= tol, "%s: channel %d = %d, want %d",
              spec, c, p[c], want[c]);
    CHECK(app_source_next(s, &f, &err) == 0, "one image, one frame");
    app_source_close(s);
}

static void test_images_and_folder(void)
{
    static const uint8_t orange[3] = { 200, 100, 50 };
    char path[128];
    snprintf(path, sizeof(path), "%s/dir", tmp);
    CHECK(mkdir(path, 0755) == 0, "mkdir");
    snprintf(path, sizeof(path), "%s/dir/b.png", tmp);
    CHECK(write_image(path, AV_CODEC_ID_PNG, 33, 17, orange) == 0, "png");
    /* PNG is exact; JPEG is full-range YUV: limited-range handling would
     * stretch it by 255/219 and miss by 20+ levels. */
    check_colour(path, orange, 0, "b.png");
    snprintf(path, sizeof(path), "%s/dir/a.jpg", tmp);
    CHECK(write_image(path, AV_CODEC_ID_MJPEG, 33, 17, orange) == 0, "jpg");
    check_colour(path, orange, 3, "a.jpg");
    snprintf(path, sizeof(path), "%s/dir/d.JPEG", tmp);
    CHECK(write_image(path, AV_CODEC_ID_MJPEG, 33, 17, orange) == 0, "JPEG");
    snprintf(path, sizeof(path), "%s/dir/c.png", tmp);
    write_bytes(path, "not a png", 9);
    snprintf(path, sizeof(path), "%s/dir/notes.txt", tmp);
    write_bytes(path, "hello", 5);

    snprintf(path, sizeof(path), "%s/dir", tmp);
    app_source *s;
    eng_error err = { 0 };
    app_source_desc d = { .spec = path };
    CHECK(app_source_open(&d, &s, &err) == ENG_OK, "folder: %s", err.msg);
    if (!s)
        return;
    app_source_info info;
    app_source_get_info(s, &info);
    CHECK(info.kind == APP_SOURCE_FOLDER && info.frame_count == 4,
          "folder kind %d count %lld", info.kind,
          (long long)info.frame_count);
    static const char *const want[] = { "a.jpg", "b.png", "d.JPEG" };
    app_frame f;
    int n = 0;
    while (app_source_next(s, &f, &err) == 1) {
        CHECK(n < 3 && !strcmp(f.name, want[n]), "folder frame %d: %s", n,
              f.name);
        CHECK(fabs(f.t - n / 30.0) < 1e-9, "folder t %f", f.t);
        n++;
    }
    CHECK(n == 3, "folder: %d frames", n);
    app_source_get_info(s, &info);
    CHECK(info.skipped == 1, "folder: broken c.png skipped (%lld)",
          (long long)info.skipped);
    app_source_close(s);

    snprintf(path, sizeof(path), "%s/empty", tmp);
    CHECK(mkdir(path, 0755) == 0, "mkdir empty");
    d.spec = path;
    CHECK(app_source_open(&d, &s, &err) == ENG_EFORMAT &&
              strstr(err.msg, "no .png"), "empty folder: %s", err.msg);
}

/* Truncated and overwritten copies of the sample: an error or fewer frames,
 * never a crash (ASan builds check the "never"). */
static void test_damaged(void)
{
    size_t size;
    uint8_t *data = test_read_file(SAMPLE, &size);
    if (!data)
        return;
    char path[128];
    eng_error err = { 0 };
    app_source_info info;
    static const double cuts[] = { 0.02, 0.5, 0.97 };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/cut%d.mp4", tmp, i);
        write_bytes(path, data, (size_t)(size * cuts[i]));
        int64_t n = read_all(path, &info, &err);
        CHECK(n < 0 ? err.status == ENG_EFORMAT && strstr(err.msg, "cut")
                    : n <= 50,
              "cut %.2f: %lld frames, %s", cuts[i], (long long)n, err.msg);
    }
    /* Garbage over a stretch in the middle of the coded data. */
    uint64_t seed = 7;
    for (size_t k = size / 3; k < size / 3 + 4000; k++)
        data[k] = (uint8_t)test_rand_u32(&seed);
    snprintf(path, sizeof(path), "%s/garbled.mp4", tmp);
    write_bytes(path, data, size);
    int64_t n = read_all(path, &info, &err);
    CHECK(n > 0 && n + info.skipped <= 50, "garbled: %lld frames, %lld "
          "skipped: %s", (long long)n, (long long)info.skipped, err.msg);
    free(data);

    snprintf(path, sizeof(path), "%s/text.mp4", tmp);
    write_bytes(path, "this is not a video\n", 20);
    n = read_all(path, &info, &err);
    CHECK(n < 0 && err.status == ENG_EFORMAT && strstr(err.msg, "text.mp4"),
          "text as video: %s", err.msg);
}

static void test_missing(void)
{
    app_source *s = (app_source *)&s;
    eng_error err = { 0 };
    app_source_desc d = { .spec = "/nonexistent/clip.mp4" };
    CHECK(app_source_open(&d, &s, &err) == ENG_EIO && !s,
          "missing file: EIO");
    CHECK(strstr(err.msg, "/nonexistent/clip.mp4") &&
              strstr(err.msg, "No such file"), "missing: %s", err.msg);

    d.spec = "webcam:7";
    CHECK(app_source_open(&d, &s, &err) != ENG_OK && !s, "webcam:7 fails");
    CHECK(!strncmp(err.msg, "webcam:7: /dev/video7: ", 23),
          "webcam: %s", err.msg);
    d.spec = "";
    CHECK(app_source_open(&d, &s, &err) == ENG_EINVAL, "empty spec");
}

int main(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/test_source-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_sample_video();
    test_odd_and_rotated();
    test_images_and_folder();
    test_damaged();
    test_missing();
    return test_finish_in(tmp);
}
