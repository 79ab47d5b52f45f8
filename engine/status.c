#include "status.h"

#include <stdarg.h>
#include <stdio.h>

eng_status eng_fail(eng_error *err, eng_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

const char *eng_status_name(eng_status status)
{
    switch (status) {
    case ENG_OK: return "ok";
    case ENG_EINVAL: return "invalid argument";
    case ENG_ENOMEM: return "out of memory";
    case ENG_EFORMAT: return "format error";
    case ENG_EUNSUPPORTED: return "unsupported";
    case ENG_EIO: return "i/o error";
    case ENG_EBACKEND: return "backend error";
    }
    return "unknown error";
}
