/*
 * player: see player.h.
 */
#include "player.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct app_player {
    /* set at open */
    char spec[4096];
    app_source_desc sdesc;      /* spec points into `spec` */
    bool loop, live;
    app_source_info info;
    pthread_t thread;
    app_frameq q;
    /* decode thread only */
    app_source *src;
    int64_t next_index;         /* index of the next frame it will read */
    /* guarded by q.mutex */
    int64_t seek_to;            /* -1: none pending */
    bool ended;
    eng_status st;
    eng_error err;
};

static void finish(app_player *p, eng_status st, const eng_error *err)
{
    pthread_mutex_lock(&p->q.mutex);
    p->ended = true;
    p->st = st;
    if (err)
        p->err = *err;
    pthread_mutex_unlock(&p->q.mutex);
}

/* The pending seek (-1: none) and, in *serial, the serial of the frames
 * read from now on. */
static int64_t take_seek(app_player *p, int *serial)
{
    pthread_mutex_lock(&p->q.mutex);
    int64_t to = p->seek_to;
    *serial = p->q.serial;
    p->seek_to = -1;
    if (to >= 0)
        p->ended = false;
    pthread_mutex_unlock(&p->q.mutex);
    return to;
}

static eng_status reopen(app_player *p, eng_error *err)
{
    app_source_close(p->src);
    p->src = NULL;
    p->next_index = 0;
    return app_source_open(&p->sdesc, &p->src, err);
}

/* Reads frames until one with index >= `target` (dropping the others);
 * 1 with it in *f, 0 at the end, -1 on error. */
static int read_from(app_player *p, int64_t target, app_frame *f,
                     eng_error *err)
{
    if (target < p->next_index && reopen(p, err) != ENG_OK)
        return -1;
    for (;;) {
        int got = app_source_next(p->src, f, err);
        if (got <= 0)
            return got;
        p->next_index = f->index + 1;
        if (f->index >= target)
            return 1;
    }
}

static void *decode_thread(void *arg)
{
    app_player *p = arg;
    eng_error err = { .msg = "" };
    for (;;) {
        int serial;
        int64_t seek = take_seek(p, &serial);
        app_frame f;
        double t0 = app_now();
        int got = read_from(p, seek >= 0 ? seek : p->next_index, &f, &err);
        if (got == 0 && p->loop) {
            /* the display shows every queued frame before the new serial
             * tells it the clock starts again */
            app_frameq_drain(&p->q);
            app_frameq_flush(&p->q);
            if (reopen(p, &err) != ENG_OK)
                got = -1;
            else
                continue;
        }
        if (got <= 0) {
            finish(p, got < 0 ? err.status : ENG_OK, got < 0 ? &err : NULL);
            /* idle until a seek or the end */
            pthread_mutex_lock(&p->q.mutex);
            while (p->seek_to < 0 && !p->q.abort)
                pthread_cond_wait(&p->q.cond, &p->q.mutex);
            bool stop = p->q.abort;
            pthread_mutex_unlock(&p->q.mutex);
            if (stop || p->live)
                break;
            continue;
        }
        double ms = (app_now() - t0) * 1e3;
        app_qframe *slot = app_frameq_writable(&p->q);
        if (!slot)
            break;
        if (app_qframe_copy(slot, f.rgb, f.width, f.height, f.stride,
                            &err) != ENG_OK) {
            finish(p, err.status, &err);
            break;
        }
        slot->index = f.index;
        slot->t = f.t;
        /* ms covers the frames a seek skips; the source's own figure
         * covers a frame decoded before this read (the first one, decoded
         * when the source opened) */
        slot->decode_ms = ms > f.decode_ms ? ms : f.decode_ms;
        slot->serial = serial;
        app_frameq_push(&p->q);
    }
    return NULL;
}

eng_status app_player_open(const app_player_desc *desc, app_player **out,
                           eng_error *err)
{
    *out = NULL;
    app_player *p = calloc(1, sizeof(*p));
    if (!p)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    snprintf(p->spec, sizeof(p->spec), "%s", desc->source.spec);
    p->sdesc = desc->source;
    p->sdesc.spec = p->spec;
    p->seek_to = -1;
    eng_status st = app_source_open(&p->sdesc, &p->src, err);
    if (st != ENG_OK)
        goto out_free;
    app_source_get_info(p->src, &p->info);
    p->live = p->info.kind == APP_SOURCE_WEBCAM;
    p->loop = desc->loop && !p->live;
    int depth = p->live ? 1 : desc->queue > 0 ? desc->queue : 4;
    st = app_frameq_init(&p->q, depth, err);
    if (st != ENG_OK)
        goto out_src;
    if (pthread_create(&p->thread, NULL, decode_thread, p) != 0) {
        st = eng_fail(err, ENG_EBACKEND, "cannot start the decode thread");
        goto out_queue;
    }
    *out = p;
    return ENG_OK;
out_queue:
    app_frameq_destroy(&p->q);
out_src:
    app_source_close(p->src);
out_free:
    free(p);
    return st;
}

void app_player_close(app_player *p)
{
    if (!p)
        return;
    app_frameq_abort(&p->q);
    pthread_join(p->thread, NULL);
    app_frameq_destroy(&p->q);
    app_source_close(p->src);
    free(p);
}

app_frameq *app_player_queue(app_player *p)
{
    return &p->q;
}

void app_player_info(app_player *p, app_source_info *info)
{
    *info = p->info;
}

void app_player_seek(app_player *p, int64_t index)
{
    if (p->live)
        return;
    pthread_mutex_lock(&p->q.mutex);
    p->seek_to = index < 0 ? 0 : index;
    /* drop what is queued now so the decode thread is free to seek; the
     * new serial marks a frame it is still busy with as stale */
    p->q.rindex = (p->q.rindex + p->q.count) % p->q.size;
    p->q.count = 0;
    p->q.serial++;
    pthread_cond_broadcast(&p->q.cond);
    pthread_mutex_unlock(&p->q.mutex);
}

bool app_player_ended(app_player *p, eng_status *st, eng_error *err)
{
    pthread_mutex_lock(&p->q.mutex);
    bool ended = p->ended;
    if (st)
        *st = p->st;
    if (err && ended && p->st != ENG_OK)
        *err = p->err;
    pthread_mutex_unlock(&p->q.mutex);
    return ended;
}
