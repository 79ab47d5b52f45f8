/*
 * test_player: the viewer's decode thread and its queue, without a
 * display. frameq: order, the serial a producer stamps, drain, abort
 * waking a blocked producer and consumer. player: frames in order with
 * their timestamps, seeks forward and back land on the asked frame with
 * a new serial (frames read before the seek are marked stale), --loop
 * starts again with a new serial, and the end is reported.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "frameq.h"
#include "player.h"
#include "testlib.h"

#define VIDEO POSESCOPE_TEST_DATA "/media/videos/asl_hand_10s.mp4"
#define SAMPLE POSESCOPE_TEST_DATA "/media/videos/pose_squats_10s.mp4"

static void *consume_after_abort(void *arg)
{
    app_frameq *q = arg;
    app_qframe *f;
    return (void *)(long)app_frameq_peek(q, true, &f);
}

static void check_frameq(void)
{
    app_frameq q;
    eng_error err;
    CHECK(app_frameq_init(&q, 0, &err) == ENG_EINVAL, "size 0 refused");
    CHECK(app_frameq_init(&q, 2, &err) == ENG_OK, "init: %s", err.msg);
    uint8_t px[2 * 2 * 3];
    for (int i = 0; i < 2; i++) {
        memset(px, i + 1, sizeof px);
        app_qframe *f = app_frameq_writable(&q);
        CHECK(f && app_qframe_copy(f, px, 2, 2, 6, &err) == ENG_OK, "copy");
        f->index = i;
        f->serial = app_frameq_serial(&q);
        app_frameq_push(&q);
    }
    app_qframe *f;
    CHECK(app_frameq_peek(&q, false, &f) > 0 && f->index == 0 &&
          f->rgb[0] == 1, "first in, first out");
    app_frameq_next(&q);
    int serial = app_frameq_flush(&q);
    CHECK(serial == 1 && app_frameq_peek(&q, false, &f) == 0,
          "flush empties and bumps the serial");
    app_frameq_drain(&q);  /* empty: returns at once */
    pthread_t t;
    pthread_create(&t, NULL, consume_after_abort, &q);
    app_frameq_abort(&q);
    void *ret;
    pthread_join(t, &ret);
    CHECK((long)ret < 0, "abort wakes a blocked consumer");
    CHECK(app_frameq_writable(&q) == NULL, "no slot after abort");
    app_frameq_destroy(&q);
}

/* The next frame of the current serial (stale ones dropped). */
static app_qframe *next_current(app_player *p, int64_t *index)
{
    app_frameq *q = app_player_queue(p);
    app_qframe *f;
    while (app_frameq_peek(q, true, &f) > 0) {
        if (f->serial == app_frameq_serial(q)) {
            *index = f->index;
            return f;
        }
        app_frameq_next(q);
    }
    return NULL;
}

static void check_seek(void)
{
    app_player_desc d = { .source.spec = VIDEO };
    app_player *p;
    eng_error err;
    CHECK(app_player_open(&d, &p, &err) == ENG_OK, "open: %s", err.msg);
    if (!p)
        return;
    app_source_info info;
    app_player_info(p, &info);
    CHECK(info.width == 620 && info.height == 1080, "size %dx%d",
          info.width, info.height);
    app_frameq *q = app_player_queue(p);
    int64_t idx = -1;
    double last_t = -1;
    for (int i = 0; i < 20; i++) {
        app_qframe *f = next_current(p, &idx);
        CHECK(f && idx == i && f->t > last_t, "frame %d in order", i);
        last_t = f ? f->t : last_t;
        app_frameq_next(q);
    }
    static const int64_t targets[] = { 150, 40, 41, 0, 251 };
    for (int k = 0; k < 5; k++) {
        int before = app_frameq_serial(q);
        app_player_seek(p, targets[k]);
        app_qframe *f = next_current(p, &idx);
        CHECK(f && idx == targets[k], "seek to %lld gave %lld",
              (long long)targets[k], (long long)idx);
        CHECK(f && f->serial != before, "seek bumps the serial");
        if (f)
            app_frameq_next(q);
    }
    /* 251 was the last frame: the end comes next */
    eng_status st = ENG_EIO;
    for (int i = 0; i < 200 && !app_player_ended(p, &st, &err); i++)
        usleep(10000);
    CHECK(app_player_ended(p, &st, &err) && st == ENG_OK,
          "the end is reported");
    app_player_close(p);
}

static void check_loop(void)
{
    app_player_desc d = { .source.spec = SAMPLE, .loop = true };
    app_player *p;
    eng_error err;
    CHECK(app_player_open(&d, &p, &err) == ENG_OK, "open: %s", err.msg);
    if (!p)
        return;
    app_frameq *q = app_player_queue(p);
    int64_t idx;
    int first_serial = -1, wrapped = 0;
    for (int i = 0; i < 60; i++) {
        app_qframe *f = next_current(p, &idx);
        if (!f)
            break;
        if (first_serial < 0)
            first_serial = f->serial;
        if (i == 50) {
            wrapped = idx == 0 && f->serial != first_serial;
        }
        app_frameq_next(q);
    }
    CHECK(wrapped, "--loop: frame 50 is the first again, new serial");
    CHECK(!app_player_ended(p, NULL, NULL), "a loop never ends");
    app_player_close(p);
}

static void check_missing(void)
{
    app_player_desc d = { .source.spec = "/nonexistent/x.mp4" };
    app_player *p;
    eng_error err;
    CHECK(app_player_open(&d, &p, &err) == ENG_EIO && !p &&
          strstr(err.msg, "x.mp4"), "missing file: %s", err.msg);
}

int main(void)
{
    check_frameq();
    check_seek();
    check_loop();
    check_missing();
    return test_finish();
}
