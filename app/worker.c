/*
 * worker: see worker.h.
 */
#include "worker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct app_worker {
    /* set at start */
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    /* guarded by mutex */
    bool abort;
    bool has_job;
    app_qframe job;              /* owns its buffer */
    double job_submitted;
    bool reconfigure;
    app_pipeline_desc desc;
    app_worker_result result;
    eng_status st;
    eng_error err;
    /* worker thread only */
    app_pipeline *pl;
    app_matte_view *matte;       /* borrowed; NULL without --matte */
    app_qframe work;             /* swapped with job: no copy */
    int last_serial;
    app_frame_result res;
};

static void publish(app_worker *w, double submitted)
{
    pthread_mutex_lock(&w->mutex);
    w->result.res = w->res;
    w->result.index = w->work.index;
    w->result.serial = w->work.serial;
    w->result.submitted = submitted;
    w->result.done = app_now();
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mutex);
}

static void fail(app_worker *w, const eng_error *err)
{
    pthread_mutex_lock(&w->mutex);
    w->st = err->status;
    w->err = *err;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mutex);
}

static void *engine_thread(void *arg)
{
    app_worker *w = arg;
    eng_error err = { .msg = "" };
    for (;;) {
        pthread_mutex_lock(&w->mutex);
        while (!w->has_job && !w->reconfigure && !w->abort)
            pthread_cond_wait(&w->cond, &w->mutex);
        if (w->abort) {
            pthread_mutex_unlock(&w->mutex);
            break;
        }
        if (w->reconfigure) {
            app_pipeline_desc d = w->desc;
            w->reconfigure = false;
            pthread_mutex_unlock(&w->mutex);
            app_pipeline_destroy(w->pl);
            if (app_pipeline_create(&d, &w->pl, &err) != ENG_OK) {
                fail(w, &err);
                break;
            }
            continue;
        }
        app_qframe tmp = w->work;
        w->work = w->job;
        w->job = tmp;
        w->has_job = false;
        double submitted = w->job_submitted;
        pthread_mutex_unlock(&w->mutex);

        if (w->work.serial != w->last_serial)
            app_pipeline_reset(w->pl);
        w->last_serial = w->work.serial;
        eng_image img = { w->work.width, w->work.height, w->work.stride,
                          w->work.rgb };
        if (app_pipeline_run(w->pl, &img, w->work.t, &w->res, &err) !=
            ENG_OK) {
            fail(w, &err);
            break;
        }
        /* the matte after the tracking tasks and before the result is
         * published: with --sync, a frame is drawn with its own alpha */
        if (w->matte &&
            app_matte_view_process(w->matte, &img, app_pipeline_pose(w->pl),
                                   w->work.index, NULL, w->work.serial,
                                   &err) != ENG_OK) {
            fail(w, &err);
            break;
        }
        w->res.times.ms[APP_STAGE_DECODE] = (float)w->work.decode_ms;
        publish(w, submitted);
    }
    return NULL;
}

eng_status app_worker_start(const app_pipeline_desc *desc,
                            app_matte_view *matte, app_worker **out,
                            eng_error *err)
{
    *out = NULL;
    app_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    w->result.index = -1;
    w->desc = *desc;
    w->matte = matte;
    eng_status st = app_pipeline_create(desc, &w->pl, err);
    if (st != ENG_OK)
        goto out_free;
    if (pthread_mutex_init(&w->mutex, NULL) != 0 ||
        pthread_cond_init(&w->cond, NULL) != 0) {
        st = eng_fail(err, ENG_EBACKEND, "pthread init failed");
        goto out_pipeline;
    }
    if (pthread_create(&w->thread, NULL, engine_thread, w) != 0) {
        st = eng_fail(err, ENG_EBACKEND, "cannot start the engine thread");
        goto out_sync;
    }
    *out = w;
    return ENG_OK;
out_sync:
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mutex);
out_pipeline:
    app_pipeline_destroy(w->pl);
out_free:
    free(w);
    return st;
}

void app_worker_stop(app_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mutex);
    w->abort = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mutex);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mutex);
    app_pipeline_destroy(w->pl);
    free(w->job.rgb);
    free(w->work.rgb);
    free(w);
}

eng_status app_worker_submit(app_worker *w, const app_qframe *f,
                             eng_error *err)
{
    pthread_mutex_lock(&w->mutex);
    eng_status st = app_qframe_copy(&w->job, f->rgb, f->width, f->height,
                                    f->stride, err);
    if (st == ENG_OK) {
        w->job.index = f->index;
        w->job.t = f->t;
        w->job.decode_ms = f->decode_ms;
        w->job.serial = f->serial;
        w->job_submitted = app_now();
        w->has_job = true;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->mutex);
    return st;
}

bool app_worker_latest(app_worker *w, int64_t have_index, int have_serial,
                       app_worker_result *out)
{
    pthread_mutex_lock(&w->mutex);
    bool newer = w->result.index >= 0 &&
                 (w->result.index != have_index ||
                  w->result.serial != have_serial);
    if (newer)
        *out = w->result;
    pthread_mutex_unlock(&w->mutex);
    return newer;
}

bool app_worker_wait(app_worker *w, int64_t index, int serial)
{
    pthread_mutex_lock(&w->mutex);
    while (!(w->result.index == index && w->result.serial == serial) &&
           w->st == ENG_OK && !w->abort)
        pthread_cond_wait(&w->cond, &w->mutex);
    bool ok = w->result.index == index && w->result.serial == serial;
    pthread_mutex_unlock(&w->mutex);
    return ok;
}

void app_worker_configure(app_worker *w, const app_pipeline_desc *desc)
{
    pthread_mutex_lock(&w->mutex);
    w->desc = *desc;
    w->reconfigure = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mutex);
}

eng_status app_worker_status(app_worker *w, eng_error *err)
{
    pthread_mutex_lock(&w->mutex);
    eng_status st = w->st;
    if (st != ENG_OK && err)
        *err = w->err;
    pthread_mutex_unlock(&w->mutex);
    return st;
}
