/*
 * cli: what the posescope subcommands share: the command table they are
 * dispatched from, the exit-status convention, and an option parser.
 *
 * A command reports failure by returning an app_status and filling the
 * eng_error it is given with one line; only main prints it. A command's
 * normal output (tables, results) goes to stdout from the command itself.
 */
#ifndef APP_CLI_H
#define APP_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"

typedef enum app_status {
    APP_OK,        /* exit 0 */
    APP_FAILED,    /* exit 1: fetching, verifying or running failed */
    APP_BAD_INPUT, /* exit 2: a bad model file, input file or value */
    APP_USAGE,     /* exit 2, and main prints the usage */
    APP_HELP,      /* exit 0 after main prints the usage on stdout */
} app_status;

typedef app_status app_command_fn(int argc, char **argv, eng_error *err);

/* One row of a command table; a table ends with a row whose name is NULL.
 * A row either runs a command or holds a sub-table (a group like
 * `models`). */
typedef struct app_command {
    const char *name;
    const char *args;    /* synopsis after the name, "" for none */
    const char *summary; /* one sentence for --help */
    app_command_fn *run; /* called with argv[0] = name */
    const struct app_command *sub;
} app_command;

/* Finds argv[0] in `table` (descending into groups) and runs it. APP_USAGE
 * with err set for an unknown or missing command; APP_HELP for --help or
 * -h in place of a command. `group` names the table in messages ("" at
 * the top). */
app_status app_dispatch(const app_command *table, const char *group,
                        int argc, char **argv, eng_error *err);

/* Prints "  posescope GROUP NAME ARGS" and the summary of every command of
 * `table`, recursively. `prefix` is the group path ("posescope"). */
void app_print_commands(FILE *f, const app_command *table, const char *prefix);

/* The process exit code of a status: 0, 1 or 2. */
int app_exit_code(app_status s);

typedef enum app_opt_kind {
    APP_OPT_FLAG,   /* dest is an int, set to 1 */
    APP_OPT_INT,    /* dest is an int in [min, max] */
    APP_OPT_STRING, /* dest is a const char *, borrowed from argv */
} app_opt_kind;

typedef struct app_option {
    const char *name; /* "--threads" */
    app_opt_kind kind;
    void *dest;
    int min, max;
} app_option;

/* Parses argv[1..argc): options of `opts` ("--name VALUE" or
 * "--name=VALUE") anywhere, and up to max_pos positional arguments into
 * pos (borrowed from argv), counted in *n_pos. APP_HELP for --help/-h;
 * APP_USAGE with err set for an unknown option, a missing or bad value or
 * too many positionals. */
app_status app_parse_options(int argc, char **argv, const app_option *opts,
                             int n_opts, char **pos, int max_pos, int *n_pos,
                             eng_error *err);

/* Creates dir and its missing parents (mode 0755). EIO naming the part that
 * failed. */
eng_status app_mkdir_p(const char *dir, eng_error *err);

/* Formats a path into buf (PATH_MAX bytes). EIO when it does not fit. */
eng_status app_path(char *buf, eng_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The last path component of path (borrowed, points into it). */
const char *app_basename(const char *path);

/* Writes a shape as "[1,256,256,3]" into buf; returns buf. */
const char *app_format_shape(char *buf, size_t cap, int ndim,
                             const int *dims);

/* Seconds of a monotonic clock. */
double app_now(void);

/* The folder of the bundled hand models: $POSESCOPE_ASSETS/hand-model
 * when that is set, else the source tree's assets/hand-model (the binary
 * is built and run from its checkout). Never NULL; static storage. */
const char *app_hand_assets_dir(void);

#endif
