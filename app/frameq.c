/*
 * frameq: see frameq.h.
 */
#include "frameq.h"

#include <stdlib.h>
#include <string.h>

eng_status app_frameq_init(app_frameq *q, int size, eng_error *err)
{
    memset(q, 0, sizeof(*q));
    if (size < 1 || size > APP_FRAMEQ_MAX)
        return eng_fail(err, ENG_EINVAL, "frame queue of %d slots", size);
    q->size = size;
    if (pthread_mutex_init(&q->mutex, NULL) != 0)
        return eng_fail(err, ENG_EBACKEND, "pthread_mutex_init failed");
    if (pthread_cond_init(&q->cond, NULL) != 0) {
        pthread_mutex_destroy(&q->mutex);
        return eng_fail(err, ENG_EBACKEND, "pthread_cond_init failed");
    }
    return ENG_OK;
}

void app_frameq_destroy(app_frameq *q)
{
    for (int i = 0; i < q->size; i++)
        free(q->slot[i].rgb);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->mutex);
    memset(q, 0, sizeof(*q));
}

app_qframe *app_frameq_writable(app_frameq *q)
{
    pthread_mutex_lock(&q->mutex);
    while (q->count >= q->size && !q->abort)
        pthread_cond_wait(&q->cond, &q->mutex);
    app_qframe *f = q->abort ? NULL
                             : &q->slot[(q->rindex + q->count) % q->size];
    pthread_mutex_unlock(&q->mutex);
    return f;
}

eng_status app_qframe_copy(app_qframe *f, const uint8_t *rgb, int width,
                           int height, int stride, eng_error *err)
{
    size_t row = (size_t)width * 3, need = row * height;
    if (need > f->cap) {
        free(f->rgb);
        f->rgb = malloc(need);
        f->cap = f->rgb ? need : 0;
        if (!f->rgb)
            return eng_fail(err, ENG_ENOMEM, "out of memory (frame queue)");
    }
    for (int y = 0; y < height; y++)
        memcpy(f->rgb + y * row, rgb + (size_t)y * stride, row);
    f->width = width;
    f->height = height;
    f->stride = (int)row;
    return ENG_OK;
}

void app_frameq_push(app_frameq *q)
{
    pthread_mutex_lock(&q->mutex);
    q->count++;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mutex);
}

int app_frameq_peek(app_frameq *q, bool block, app_qframe **out)
{
    pthread_mutex_lock(&q->mutex);
    while (block && !q->count && !q->abort)
        pthread_cond_wait(&q->cond, &q->mutex);
    int got = q->abort ? -1 : q->count > 0;
    if (got > 0)
        *out = &q->slot[q->rindex];
    pthread_mutex_unlock(&q->mutex);
    return got;
}

void app_frameq_next(app_frameq *q)
{
    pthread_mutex_lock(&q->mutex);
    if (q->count) {
        q->rindex = (q->rindex + 1) % q->size;
        q->count--;
    }
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mutex);
}

void app_frameq_drain(app_frameq *q)
{
    pthread_mutex_lock(&q->mutex);
    while (q->count && !q->abort)
        pthread_cond_wait(&q->cond, &q->mutex);
    pthread_mutex_unlock(&q->mutex);
}

int app_frameq_flush(app_frameq *q)
{
    pthread_mutex_lock(&q->mutex);
    q->rindex = (q->rindex + q->count) % q->size;
    q->count = 0;
    int serial = ++q->serial;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mutex);
    return serial;
}

int app_frameq_serial(app_frameq *q)
{
    pthread_mutex_lock(&q->mutex);
    int serial = q->serial;
    pthread_mutex_unlock(&q->mutex);
    return serial;
}

void app_frameq_abort(app_frameq *q)
{
    pthread_mutex_lock(&q->mutex);
    q->abort = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mutex);
}
