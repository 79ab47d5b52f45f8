/*
 * status: the one error type of the engine.
 *
 * Every engine function that can fail returns an eng_status and, when the
 * caller passes a non-NULL eng_error, fills a one-line human message that
 * names what was wrong (file offset, tensor, op). The engine never prints;
 * the application decides what to show.
 */
#ifndef ENG_STATUS_H
#define ENG_STATUS_H

typedef enum eng_status {
    ENG_OK = 0,
    ENG_EINVAL,       /* a bad argument from the caller */
    ENG_ENOMEM,       /* an allocation failed */
    ENG_EFORMAT,      /* a file is malformed: truncated, bad offset, bad shape */
    ENG_EUNSUPPORTED, /* a valid file uses an op or variant we do not run */
    ENG_EIO,          /* reading or writing a file failed */
    ENG_EBACKEND,     /* XNNPACK, pthreadpool or another library refused */
} eng_status;

#define ENG_ERROR_MSG_MAX 256

typedef struct eng_error {
    eng_status status;
    char msg[ENG_ERROR_MSG_MAX];
} eng_error;

/* Records status and a printf-style message in err (may be NULL) and
 * returns status, so a failure path reads `return eng_fail(err, ...)`. */
eng_status eng_fail(eng_error *err, eng_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short stable name of a status ("format error", ...). Never NULL. */
const char *eng_status_name(eng_status status);

#endif
