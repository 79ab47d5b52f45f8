/*
 * test_plot: the latency log keeps exact last/avg/peak and a bounded
 * history, and app_plot_write_png() writes a PNG of the requested size
 * with the stage lines drawn on it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "plot.h"
#include "testlib.h"

static char tmpdir[] = "/tmp/test_plot-XXXXXX";

/* Writes tmpdir/name into buf (256 bytes) and returns it. */
static const char *tmp_path(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", tmpdir, name);
    return buf;
}

static app_stage_times frame_times(int i)
{
    app_stage_times t = {0};
    t.pose_detector_ran = i % 10 == 0;
    t.hand_detector_ran = i % 25 == 0;
    t.ms[APP_STAGE_DECODE] = 2.0f + (float)sin(i * 0.05);
    t.ms[APP_STAGE_POSE_DETECT] = t.pose_detector_ran ? 6.0f : 0.0f;
    t.ms[APP_STAGE_POSE_LANDMARKS] = 9.0f + (i == 5000 ? 30.0f : 0.0f);
    t.ms[APP_STAGE_HAND_DETECT] = t.hand_detector_ran ? 7.0f : 0.0f;
    t.ms[APP_STAGE_HAND_LANDMARKS] = 4.0f;
    float total = 0.0f;
    for (int s = 0; s < APP_STAGE_TOTAL; s++)
        total += t.ms[s];
    t.ms[APP_STAGE_TOTAL] = total;
    return t;
}

static void test_log(app_latency_log *log)
{
    memset(log, 0, sizeof *log);
    double sum_decode = 0.0;
    const int n = 10000;
    for (int i = 0; i < n; i++) {
        app_stage_times t = frame_times(i);
        sum_decode += t.ms[APP_STAGE_DECODE];
        app_latency_log_add(log, &t);
    }
    CHECK(log->frames == n, "frames %lld", (long long)log->frames);
    CHECK(log->count <= APP_PLOT_MAX_POINTS && log->count > 1000,
          "bounded history: %d points, %lld frames per point", log->count,
          (long long)log->frames_per_point);
    CHECK(log->count * log->frames_per_point + log->pending_frames == n,
          "every frame is in a point");
    CHECK(fabsf(log->peak[APP_STAGE_POSE_LANDMARKS] - 39.0f) < 1e-4f,
          "peak is exact after merging: %g",
          log->peak[APP_STAGE_POSE_LANDMARKS]);
    CHECK(fabs(app_latency_log_avg(log, APP_STAGE_DECODE) - sum_decode / n) <
              1e-4, "avg is exact");
    CHECK(log->last[APP_STAGE_HAND_LANDMARKS] == 4.0f, "last");
    /* merged points keep the mean and OR the detector flags */
    CHECK(fabsf(log->points[7].ms[APP_STAGE_HAND_LANDMARKS] - 4.0f) < 1e-5f,
          "merged mean");
    int pose_marks = 0;
    for (int i = 0; i < log->count; i++)
        pose_marks += log->points[i].pose_detector_ran;
    CHECK(pose_marks > 0 && pose_marks <= log->count, "detector marks kept");

    app_stage_times junk = {{NAN, -5.0f, INFINITY, 1.0f, 1.0f, 1.0f}, 0, 0};
    app_latency_log_add(log, &junk);
    CHECK(log->last[0] == 0.0f && log->last[1] == 0.0f &&
              log->last[2] == 0.0f && isfinite(log->sum[2]),
          "non-finite and negative ms count as 0");
    CHECK(strcmp(app_stage_name(APP_STAGE_POSE_DETECT), "pose detect") == 0 &&
              strcmp(app_stage_name((app_stage)99), "?") == 0, "names");
}

/* Decodes the PNG at path into a packed RGB24 copy; NULL on failure. */
static uint8_t *decode_png(const char *path, int *w, int *h)
{
    size_t n = 0;
    uint8_t *bytes = test_read_file(path, &n);
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_PNG);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    uint8_t *rgb = NULL;
    int ok = bytes && avcodec_open2(dec, codec, NULL) == 0 &&
             av_new_packet(pkt, (int)n) == 0;
    if (ok) {
        memcpy(pkt->data, bytes, n);
        ok = avcodec_send_packet(dec, pkt) == 0 &&
             avcodec_receive_frame(dec, frame) == 0 &&
             frame->format == AV_PIX_FMT_RGB24;
    }
    if (ok) {
        *w = frame->width;
        *h = frame->height;
        rgb = malloc((size_t)*w * *h * 3);
        for (int y = 0; y < *h; y++)
            memcpy(rgb + (size_t)y * *w * 3,
                   frame->data[0] + y * frame->linesize[0], (size_t)*w * 3);
    }
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    free(bytes);
    return rgb;
}

static void test_png(const app_latency_log *log)
{
    eng_error err = {0};
    char path[256], bad[256];
    tmp_path(path, "latency.png");
    CHECK(app_plot_write_png(log, path, 0, 0, &err) == ENG_OK, "write: %s",
          err.msg);
    int w = 0, h = 0;
    uint8_t *rgb = decode_png(path, &w, &h);
    CHECK(rgb && w == 1280 && h == 720, "default size: %dx%d", w, h);
    if (rgb) {
        const uint8_t *bg = rgb + 3 * ((h / 2) * w + w - 2);
        int drawn = 0, total_line = 0;
        app_rgb tc = app_stage_color(APP_STAGE_TOTAL);
        app_rgb pc = app_stage_color(APP_STAGE_POSE_LANDMARKS);
        int pose_line = 0;
        for (int i = 0; i < w * h; i++) {
            const uint8_t *p = rgb + 3 * i;
            drawn += memcmp(p, bg, 3) != 0;
            total_line += p[0] == tc.r && p[1] == tc.g && p[2] == tc.b;
            pose_line += p[0] == pc.r && p[1] == pc.g && p[2] == pc.b;
        }
        CHECK(drawn > w * h / 50, "plot drawn: %d non-background px", drawn);
        CHECK(total_line > 500 && pose_line > 500,
              "stage lines in their colours: total %d, pose %d", total_line,
              pose_line);
    }
    free(rgb);
    unlink(path);

    app_latency_log *empty = calloc(1, sizeof *empty);
    CHECK(app_plot_write_png(empty, path, 320, 200, &err) == ENG_OK,
          "empty log plots: %s", err.msg);
    rgb = decode_png(path, &w, &h);
    CHECK(rgb && w == 320 && h == 200, "small size: %dx%d", w, h);
    free(rgb);
    free(empty);
    unlink(path);
    CHECK(app_plot_write_png(log, tmp_path(bad, "no/dir.png"), 0, 0, &err) ==
              ENG_EIO, "missing directory: EIO");
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    app_latency_log *log = malloc(sizeof *log);
    test_log(log);
    test_png(log);
    free(log);
    rmdir(tmpdir);
    return test_finish();
}
