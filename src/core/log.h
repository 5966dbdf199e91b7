/* log.h: the diagnostic log (stderr) and the access log (one line per request, stdout).
 *
 * Access lines are buffered per thread and written by hd_log_flush(), which each event loop
 * calls once per turn, so a busy server does one write per batch instead of one per request.
 * Never pass a secret, a token or a request body to either. */
#ifndef HD_CORE_LOG_H
#define HD_CORE_LOG_H

#include <stddef.h>

enum hd_log_level { HD_LOG_ERROR, HD_LOG_WARN, HD_LOG_INFO, HD_LOG_DEBUG };

void hd_log_set_level(enum hd_log_level level);
/* Turns the access log off (benchmarks) or on. */
void hd_log_set_access(int enabled);
int hd_log_access_enabled(void);
void hd_log(enum hd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hd_log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes this thread's buffered access lines to stdout. */
void hd_log_flush(void);
/* Flushes and frees this thread's access-log buffer (call before a thread ends). */
void hd_log_thread_end(void);

#endif
