#include "fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

eng_status eng_read_file(const char *path, size_t max_bytes, uint8_t **buf,
                         size_t *size, eng_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return eng_fail(err, ENG_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat st;
    eng_status s = ENG_OK;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        s = eng_fail(err, ENG_EIO, "%s: not a regular file", path);
        goto out_close;
    }
    if (max_bytes && (unsigned long long)st.st_size > max_bytes) {
        s = eng_fail(err, ENG_EFORMAT, "%s: %lld bytes, more than the %zu "
                     "such a file can be", path, (long long)st.st_size,
                     max_bytes);
        goto out_close;
    }
    *size = (size_t)st.st_size;
    *buf = malloc(*size ? *size : 1);
    if (!*buf) {
        s = eng_fail(err, ENG_ENOMEM, "%s: out of memory", path);
        goto out_close;
    }
    if (fread(*buf, 1, *size, f) != *size) {
        free(*buf);
        *buf = NULL;
        s = eng_fail(err, ENG_EIO, "%s: read error: %s", path,
                     ferror(f) ? strerror(errno) : "file shrank");
    }
out_close:
    fclose(f);
    return s;
}

eng_status eng_finish_write(FILE *f, int ok, const char *path,
                            eng_error *err)
{
    ok = fclose(f) == 0 && ok;
    if (ok)
        return ENG_OK;
    int e = errno;
    remove(path);
    return eng_fail(err, ENG_EIO, "%s: write failed: %s", path, strerror(e));
}
