/*
 * proc: running the posescope binary from a test, as a user would.
 */
#ifndef TEST_PROC_H
#define TEST_PROC_H

#include <sys/types.h>

/* Starts `bin` with args (NULL-terminated, at most 38), stdout to
 * /dev/null and stderr appended to `log`. Returns the child's pid, or -1
 * when fork fails (a failed check). */
pid_t test_spawn(const char *bin, const char *const *args, const char *log);

/* Waits for `pid`: its exit status, 128 + the signal that ended it, or -1
 * when it cannot be waited for. */
int test_wait(pid_t pid);

/* Copies `log` to stderr, each line marked as posescope's. */
void test_show_log(const char *log);

/* Runs `bin` with args to the end, stderr into `log` (emptied first), and
 * shows the log when the exit status is not `expect`. Returns the exit
 * status. */
int test_run(const char *bin, const char *const *args, const char *log,
             int expect);

#endif
