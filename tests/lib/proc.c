#include "proc.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

pid_t test_spawn(const char *bin, const char *const *args, const char *log)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork failed");
    if (pid == 0) {
        if (!freopen(log, "a", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(127);
        const char *argv[40] = { bin };
        int n = 1;
        for (; args[n - 1] && n < 39; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int test_wait(pid_t pid)
{
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void test_show_log(const char *log)
{
    char line[512];
    FILE *f = fopen(log, "r");
    while (f && fgets(line, sizeof line, f))
        fprintf(stderr, "  posescope: %s", line);
    if (f)
        fclose(f);
}

int test_run(const char *bin, const char *const *args, const char *log,
             int expect)
{
    FILE *f = fopen(log, "w");
    if (f)
        fclose(f);
    int rc = test_wait(test_spawn(bin, args, log));
    if (rc != expect)
        test_show_log(log);
    return rc;
}
