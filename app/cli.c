/*
 * cli: see cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

app_status app_dispatch(const app_command *table, const char *group,
                        int argc, char **argv, eng_error *err)
{
    const char *sep = *group ? " " : "";
    if (argc < 1) {
        if (*group)
            eng_fail(err, ENG_EINVAL, "'%s' needs a subcommand", group);
        else
            eng_fail(err, ENG_EINVAL, "missing command");
        return APP_USAGE;
    }
    if (is_help(argv[0]))
        return APP_HELP;
    for (const app_command *c = table; c->name; c++) {
        if (strcmp(c->name, argv[0]) != 0)
            continue;
        if (!c->sub)
            return c->run(argc, argv, err);
        char path[64];
        snprintf(path, sizeof(path), "%s%s%s", group, sep, c->name);
        return app_dispatch(c->sub, path, argc - 1, argv + 1, err);
    }
    eng_fail(err, ENG_EINVAL, "unknown command '%s%s%s'", group, sep, argv[0]);
    return APP_USAGE;
}

void app_print_commands(FILE *f, const app_command *table, const char *prefix)
{
    for (const app_command *c = table; c->name; c++) {
        char path[128];
        snprintf(path, sizeof(path), "%.60s %.60s", prefix, c->name);
        if (c->sub) {
            app_print_commands(f, c->sub, path);
            continue;
        }
        fprintf(f, "  %s%s%s\n      %s\n", path, *c->args ? " " : "",
                c->args, c->summary);
    }
}

int app_exit_code(app_status s)
{
    switch (s) {
    case APP_OK:
    case APP_HELP:
        return 0;
    case APP_FAILED:
        return 1;
    case APP_BAD_INPUT:
    case APP_USAGE:
        return 2;
    }
    return 1;
}

static app_status set_option(const app_option *o, const char *value,
                             eng_error *err)
{
    if (o->kind == APP_OPT_STRING) {
        *(const char **)o->dest = value;
        return APP_OK;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < o->min || v > o->max) {
        eng_fail(err, ENG_EINVAL, "%s: '%s' is not an integer in %d..%d",
                 o->name, value, o->min, o->max);
        return APP_USAGE;
    }
    *(int *)o->dest = (int)v;
    return APP_OK;
}

/* Handles the option at argv[*i] (advancing *i past its value). */
static app_status parse_one(int argc, char **argv, int *i,
                            const app_option *opts, int n_opts,
                            eng_error *err)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (int k = 0; k < n_opts; k++) {
        const app_option *o = &opts[k];
        if (strlen(o->name) != len || strncmp(o->name, arg, len) != 0)
            continue;
        if (o->kind == APP_OPT_FLAG) {
            if (eq)
                break;
            *(int *)o->dest = 1;
            return APP_OK;
        }
        if (eq)
            return set_option(o, eq + 1, err);
        if (*i + 1 >= argc) {
            eng_fail(err, ENG_EINVAL, "%s needs a value", o->name);
            return APP_USAGE;
        }
        return set_option(o, argv[++*i], err);
    }
    eng_fail(err, ENG_EINVAL, "unknown option '%s'", arg);
    return APP_USAGE;
}

app_status app_parse_options(int argc, char **argv, const app_option *opts,
                             int n_opts, char **pos, int max_pos, int *n_pos,
                             eng_error *err)
{
    *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (is_help(arg))
            return APP_HELP;
        if (arg[0] == '-' && arg[1] != '\0') {
            app_status st = parse_one(argc, argv, &i, opts, n_opts, err);
            if (st != APP_OK)
                return st;
        } else if (*n_pos < max_pos) {
            pos[(*n_pos)++] = argv[i];
        } else {
            eng_fail(err, ENG_EINVAL, "unexpected argument '%s'", arg);
            return APP_USAGE;
        }
    }
    return APP_OK;
}

eng_status app_mkdir_p(const char *dir, eng_error *err)
{
    char path[PATH_MAX];
    if (!*dir)
        return eng_fail(err, ENG_EIO, "empty directory name");
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return eng_fail(err, ENG_EIO, "%s: path too long", dir);
    /* Create each prefix ending before a '/', then the whole path. */
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return eng_fail(err, ENG_EIO, "cannot create directory %s: %s",
                            path, strerror(errno));
        *p = saved;
        if (!saved)
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return eng_fail(err, ENG_EIO, "%s is not a directory", dir);
    return ENG_OK;
}

eng_status app_path(char *buf, eng_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= PATH_MAX)
        return eng_fail(err, ENG_EIO, "path too long: %.80s...", buf);
    return ENG_OK;
}

const char *app_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char *app_format_shape(char *buf, size_t cap, int ndim,
                             const int *dims)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "",
                              dims[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
    return buf;
}

const char *app_hand_assets_dir(void)
{
    static char dir[4096];
    const char *root = getenv("POSESCOPE_ASSETS");
    if (root && *root)
        snprintf(dir, sizeof(dir), "%s/hand-model", root);
    else
        snprintf(dir, sizeof(dir), "%s/assets/hand-model",
                 POSESCOPE_SOURCE_DIR);
    return dir;
}

double app_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
