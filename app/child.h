/*
 * child: runs a helper program (npm, tar) without a shell and captures
 * what it prints, so that a failure can be reported with the helper's own
 * words.
 *
 * The program is looked up on PATH (posix_spawnp), gets /dev/null as stdin
 * and the caller's environment; the caller waits for it to finish. Nothing
 * is printed.
 */
#ifndef APP_CHILD_H
#define APP_CHILD_H

#include "status.h"

#define APP_CHILD_OUTPUT 8192

typedef struct app_child {
    int exit_code;                /* its exit status; 128 + N if signal N */
    char out[APP_CHILD_OUTPUT];   /* the start of its stdout, NUL-ended */
    char err[APP_CHILD_OUTPUT];   /* the start of its stderr, NUL-ended */
} app_child;

/* Runs argv (argv[0] searched on PATH; NULL-terminated; borrowed) to
 * completion and fills *child. Output beyond APP_CHILD_OUTPUT - 1 bytes is
 * read and dropped. EIO ("npm not found on PATH", a pipe failure) when the
 * program cannot be started; a program that ran and failed is ENG_OK with
 * exit_code != 0. */
eng_status app_spawn(char *const argv[], app_child *child, eng_error *err);

/* 1 if an executable file called `name` is in a directory of $PATH. */
int app_on_path(const char *name);

#endif
