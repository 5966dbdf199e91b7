/* log.c: stderr diagnostics with a UTC timestamp; thread-buffered access log. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/time.h"

static enum hd_log_level threshold = HD_LOG_INFO;
static int access_enabled = 1;
static _Thread_local struct hd_buf access_buf;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void hd_log_set_level(enum hd_log_level level)
{
    threshold = level;
}

void hd_log_set_access(int enabled)
{
    access_enabled = enabled;
}

int hd_log_access_enabled(void)
{
    return access_enabled;
}

void hd_log(enum hd_log_level level, const char *fmt, ...)
{
    if (level > threshold)
        return;
    char when[HD_TIME_BUF], line[1024];
    hd_time_format(hd_time_now_ms(), when);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s\n", when, level_names[level], line);
}

void hd_log_access(const char *fmt, ...)
{
    if (!access_enabled)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    hd_buf_append(&access_buf, line, (size_t)n);
    hd_buf_append(&access_buf, "\n", 1);
    if (access_buf.len > 64 * 1024)
        hd_log_flush();
}

void hd_log_flush(void)
{
    size_t off = 0;
    while (off < access_buf.len) {
        ssize_t n = write(STDOUT_FILENO, access_buf.data + off, access_buf.len - off);
        if (n <= 0)
            break; /* a closed stdout must not stop the server */
        off += (size_t)n;
    }
    access_buf.len = 0;
}

void hd_log_thread_end(void)
{
    hd_log_flush();
    hd_buf_free(&access_buf);
}
