/* sqlite_catalog_counter.c: see sqlite_catalog_counter.h.
 *
 * The counter is the file's first 8 bytes, mapped shared: a lock-free atomic in memory that
 * several processes map is one and the same atomic. Two processes making the file at once both
 * extend it to the same size, which keeps what either wrote. Like SQLite's -wal and -shm files,
 * it takes herald.db's permissions, and its owner when root makes it (the CLI run by root beside
 * a server that runs as a user of its own). */
#include "store/sqlite_catalog_counter.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#define FILE_BYTES 4096 /* one page */

struct hd_sq_counter {
    _Atomic uint64_t value;
};

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "a counter shared between processes must be lock-free");

static int open_sized(const char *path, const char *db_path)
{
    struct stat db, sb;
    bool have_db = stat(db_path, &db) == 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, have_db ? (db.st_mode & 0666) : 0600);
    if (fd < 0)
        return -1;
    bool made = fstat(fd, &sb) == 0 && sb.st_size == 0;
    if (made && have_db && geteuid() == 0 && fchown(fd, db.st_uid, db.st_gid) != 0)
        hd_log(HD_LOG_WARN, "store: cannot give %s herald.db's owner: %s", path, strerror(errno));
    if (fstat(fd, &sb) == 0 && (sb.st_size >= FILE_BYTES || ftruncate(fd, FILE_BYTES) == 0))
        return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

struct hd_sq_counter *hd_sq_counter_map(const char *dir)
{
    char path[PATH_MAX], db_path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, HD_CATALOG_COUNTER_FILE) >=
            sizeof(path) ||
        (size_t)snprintf(db_path, sizeof(db_path), "%s/herald.db", dir) >= sizeof(db_path))
        return NULL;
    int fd = open_sized(path, db_path);
    void *at =
        fd < 0 ? MAP_FAILED : mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (at != MAP_FAILED)
        return at;
    hd_log(HD_LOG_WARN,
           "store: cannot map %s (%s): each request reads the catalog's version from herald.db",
           path, strerror(saved));
    return NULL;
}

void hd_sq_counter_unmap(struct hd_sq_counter *c)
{
    if (c)
        munmap(c, FILE_BYTES);
}

uint64_t hd_sq_counter_read(const struct hd_sq_counter *c)
{
    return atomic_load_explicit(&c->value, memory_order_acquire);
}

void hd_sq_counter_raise(struct hd_sq_counter *c)
{
    atomic_fetch_add_explicit(&c->value, 1, memory_order_acq_rel);
}
