/*
 * child: see child.h. Both pipes are drained with poll() so that a child
 * filling one of them can never dead-lock against us waiting on the other.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct capture {
    int fd;       /* read end, -1 at EOF */
    char *buf;
    size_t len;
} capture;

/* Reads what is available from c->fd, keeping the first bytes. */
static void drain(capture *c)
{
    char tmp[4096];
    ssize_t n = read(c->fd, tmp, sizeof(tmp));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(c->fd);
        c->fd = -1;
        return;
    }
    size_t keep = APP_CHILD_OUTPUT - 1 - c->len;
    if ((size_t)n < keep)
        keep = (size_t)n;
    memcpy(c->buf + c->len, tmp, keep);
    c->len += keep;
    c->buf[c->len] = '\0';
}

static void collect(capture *out, capture *err)
{
    while (out->fd >= 0 || err->fd >= 0) {
        struct pollfd p[2] = {
            { out->fd, POLLIN, 0 },
            { err->fd, POLLIN, 0 },
        };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (out->fd >= 0 && p[0].revents)
            drain(out);
        if (err->fd >= 0 && p[1].revents)
            drain(err);
    }
    /* A poll failure leaves descriptors open; close them. */
    if (out->fd >= 0)
        close(out->fd);
    if (err->fd >= 0)
        close(err->fd);
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 127;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static eng_status start(char *const argv[], int out_fd, int err_fd,
                        pid_t *pid, eng_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    int rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT)
        return eng_fail(err, ENG_EIO, "%s not found on PATH", argv[0]);
    if (rc != 0)
        return eng_fail(err, ENG_EIO, "cannot run %s: %s", argv[0],
                        strerror(rc));
    return ENG_OK;
}

eng_status app_spawn(char *const argv[], app_child *child, eng_error *err)
{
    int out_pipe[2], err_pipe[2];
    memset(child, 0, sizeof(*child));
    if (pipe2(out_pipe, O_CLOEXEC) != 0)
        return eng_fail(err, ENG_EIO, "pipe: %s", strerror(errno));
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        int e = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        return eng_fail(err, ENG_EIO, "pipe: %s", strerror(e));
    }
    pid_t pid;
    eng_status st = start(argv, out_pipe[1], err_pipe[1], &pid, err);
    close(out_pipe[1]);
    close(err_pipe[1]);
    capture out = { out_pipe[0], child->out, 0 };
    capture errc = { err_pipe[0], child->err, 0 };
    if (st != ENG_OK) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        return st;
    }
    collect(&out, &errc);
    child->exit_code = wait_child(pid);
    return ENG_OK;
}

int app_on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return 0;
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        char full[PATH_MAX];
        /* An empty PATH entry means the current directory. */
        int n = snprintf(full, sizeof(full), "%.*s%s%s", (int)len, path,
                         len ? "/" : "", name);
        if (n > 0 && (size_t)n < sizeof(full) && access(full, X_OK) == 0)
            return 1;
        path += len;
        if (*path == ':')
            path++;
    }
    return 0;
}
