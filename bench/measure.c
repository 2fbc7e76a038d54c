/*
 * measure: runs a command and writes its wall time, CPU time and peak RSS to a file, for the
 * benchmark scripts (bench/run_flow_bench.sh). A small C parent matters: a child's peak RSS
 * (getrusage ru_maxrss) includes what its parent had mapped when it forked, so a wrapper in
 * Python would add its own ~10 MB to every figure. It owns nothing else and links only libc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "-o") != 0) {
        fprintf(stderr, "usage: measure -o RESULT COMMAND [ARG...]\n"
                        "Runs COMMAND and writes \"wall_s user_s sys_s max_rss_kib status\" to "
                        "RESULT.\n");
        return 2;
    }
    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        fprintf(stderr, "measure: fopen(%s): %s\n", argv[2], strerror(errno));
        return 2;
    }
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "measure: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        fclose(out);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "measure: execvp(%s): %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "measure: wait4: %s\n", strerror(errno));
            return 2;
        }
    }
    double wall = now_s() - t0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(out, "%.6f %.3f %.3f %ld %d\n", wall, tv_s(ru.ru_utime), tv_s(ru.ru_stime),
            ru.ru_maxrss, code);
    if (fclose(out) != 0) {
        fprintf(stderr, "measure: writing %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    return 0;
}
