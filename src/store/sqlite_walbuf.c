/* sqlite_walbuf.c: SQLite's default VFS, with a transaction's writes to its write-ahead log
 * gathered into few large ones, and a checkpoint's copies into the database written back as
 * they go.
 *
 * SQLite writes each frame of the log as two writes, its 24-byte header and then its page; the
 * page then straddles two of the kernel's pages. A group commit of 70 pages made 140 system
 * calls that cost ~280 µs; the same bytes in 64 KiB writes cost ~65 µs.
 *
 * Here a log's writes that follow each other in the file are kept in a buffer, and reach the
 * file in one write when it is full (GATHER_MAX): when the page of a commit frame is written
 * (the frame whose header holds the database's size, which only a commit frame has), before a
 * write elsewhere in the file, and before any read, sync, truncation, size or close of the log.
 * So a commit reaches the file before it returns, and before other connections can see it: they
 * learn of new frames from the log index, whose header SQLite publishes after writing them. As a
 * last guard, the database file's xShmBarrier, which SQLite calls while publishing that header,
 * writes whatever is still gathered (and should a write fail there, where nothing can be
 * returned, the log fails every later call); the counts tell tests that this guard never has
 * anything to write.
 *
 * A checkpoint copies pages from the log into the database, then syncs the database: until that
 * sync the copies only sit in the kernel's cache, and the sync then flushed tens of megabytes
 * at once, while the sync thread's fdatasync of the log queued behind it (its p99 11-14 ms). So
 * each WRITEBACK_STEP bytes copied, the kernel is asked to start writing them (sync_file_range,
 * on a descriptor of our own): a hint, which changes nothing of what is durable when; the
 * log's syncs then p99 9-11 ms, a trigger's p99 22-24 ms against 24-28 (bench/README.md).
 *
 * Only the main database and its log are wrapped; every other file is the default VFS's own. */
#include "store/sqlite_walbuf.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Bytes gathered at most before they are written: the default VFS writes at most 128 KiB - 1
 * bytes per call (and fails a longer write), 64 KiB is 16 frames of 4 KiB pages. */
#define GATHER_MAX   (64 << 10)
#define FRAME_HEADER 24 /* a log frame's header: page number, database size (commits) ... */
/* A database's written bytes whose write-back is started at once. 256 KiB did as well. */
#define WRITEBACK_STEP  (1 << 20)
#define WRITEBACK_FILES 16 /* database files with a descriptor for it; past them, no hints */
#define ALIGN8(n)       (((n) + 7) & ~(size_t)7)

/* A wrapped file: a main database or its log (is_log). */
struct file {
    sqlite3_file base;  /* pMethods: &methods */
    sqlite3_file *real; /* the default VFS's file, in the same allocation, after this */
    struct file *peer;  /* a database's log, a log's database, while both are open */
    bool is_log;
    /* a log's gathered writes: len bytes from offset at */
    unsigned char *buf;
    size_t len;
    sqlite3_int64 at;
    bool commit_next; /* the last write was a commit frame's header: its page comes next */
    int failed;       /* a write the barrier could not report: every later call fails */
    /* a database's writes not yet handed to write-back: `pending` bytes within [from, to), and
     * the descriptor to ask on (writeback_fd_of; -1 without) */
    int writeback_fd;
    sqlite3_int64 from, to;
    size_t pending;
};

static sqlite3_vfs vfs;
static sqlite3_vfs *base_vfs;
static atomic_llong count_asked, count_written, count_at_barrier, count_writebacks;

static sqlite3_file *real_of(sqlite3_file *p)
{
    return ((struct file *)p)->real;
}

static int write_log(struct file *f, const void *data, int amt, sqlite3_int64 off)
{
    atomic_fetch_add_explicit(&count_written, 1, memory_order_relaxed);
    return f->real->pMethods->xWrite(f->real, data, amt, off);
}

static int write_gathered(struct file *f)
{
    if (!f->len)
        return SQLITE_OK;
    int rc = write_log(f, f->buf, (int)f->len, f->at);
    f->len = 0;
    return rc;
}

/* Before any call on a log but a write: what was gathered goes to the file first. */
static int settle(sqlite3_file *p)
{
    struct file *f = (struct file *)p;
    if (!f->is_log)
        return SQLITE_OK;
    return f->failed ? f->failed : write_gathered(f);
}

static bool commit_header(const void *data, int amt)
{
    const unsigned char *h = data;
    return amt == FRAME_HEADER && (h[4] | h[5] | h[6] | h[7]) != 0;
}

/* Room for amt more bytes; false: write them directly. */
static bool make_room(struct file *f, size_t amt)
{
    if (f->len + amt > GATHER_MAX)
        return false;
    if (!f->buf)
        f->buf = malloc(GATHER_MAX);
    return f->buf != NULL;
}

static int log_write(struct file *f, const void *data, int amt, sqlite3_int64 off)
{
    if (f->failed)
        return f->failed;
    atomic_fetch_add_explicit(&count_asked, 1, memory_order_relaxed);
    bool ends_commit = f->commit_next;
    f->commit_next = commit_header(data, amt);
    int rc = SQLITE_OK;
    if (f->len && off != f->at + (sqlite3_int64)f->len)
        rc = write_gathered(f);
    if (rc == SQLITE_OK && !make_room(f, (size_t)amt)) {
        rc = write_gathered(f);
        if (rc == SQLITE_OK && !make_room(f, (size_t)amt))
            return write_log(f, data, amt, off);
    }
    if (rc != SQLITE_OK)
        return rc;
    if (!f->len)
        f->at = off;
    memcpy(f->buf + f->len, data, (size_t)amt);
    f->len += (size_t)amt;
    return ends_commit ? write_gathered(f) : SQLITE_OK;
}

/* Descriptors of our own for the write-back hints, one per database file, open for the
 * process's life: closing any descriptor of a file drops every POSIX lock the process holds on
 * it, SQLite's own included (SQLite defers its closes for that reason). */
struct writeback_file {
    dev_t dev;
    ino_t ino;
    int fd;
};
static struct writeback_file writeback_files[WRITEBACK_FILES];
static size_t writeback_count;
static pthread_mutex_t writeback_lock = PTHREAD_MUTEX_INITIALIZER;

/* The descriptor for the database file at name, opened on first use; -1 when none can be. */
static int writeback_fd_of(const char *name)
{
    struct stat st, opened;
    if (stat(name, &st) != 0)
        return -1;
    int fd = -1;
    pthread_mutex_lock(&writeback_lock);
    for (size_t i = 0; i < writeback_count && fd < 0; i++)
        if (writeback_files[i].dev == st.st_dev && writeback_files[i].ino == st.st_ino)
            fd = writeback_files[i].fd;
    if (fd < 0 && writeback_count < WRITEBACK_FILES) {
        fd = open(name, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, &opened) == 0 && opened.st_dev == st.st_dev &&
            opened.st_ino == st.st_ino)
            writeback_files[writeback_count++] = (struct writeback_file){st.st_dev, st.st_ino, fd};
        else
            fd = -1; /* the file was replaced meanwhile: no hints, and no close (above) */
    }
    pthread_mutex_unlock(&writeback_lock);
    return fd;
}

/* A database's write of [off, off + amt): write-back starts once WRITEBACK_STEP bytes wait. */
static void note_written(struct file *f, sqlite3_int64 off, int amt)
{
    if (f->writeback_fd < 0)
        return;
    if (!f->pending || off < f->from)
        f->from = off;
    if (!f->pending || off + amt > f->to)
        f->to = off + amt;
    f->pending += (size_t)amt;
    if (f->pending < WRITEBACK_STEP)
        return;
    if (sync_file_range(f->writeback_fd, f->from, f->to - f->from, SYNC_FILE_RANGE_WRITE) == 0)
        atomic_fetch_add_explicit(&count_writebacks, 1, memory_order_relaxed);
    f->pending = 0;
}

static int file_write(sqlite3_file *p, const void *data, int amt, sqlite3_int64 off)
{
    struct file *f = (struct file *)p;
    if (f->is_log)
        return log_write(f, data, amt, off);
    int rc = f->real->pMethods->xWrite(f->real, data, amt, off);
    if (rc == SQLITE_OK)
        note_written(f, off, amt);
    return rc;
}

static int file_close(sqlite3_file *p)
{
    struct file *f = (struct file *)p;
    int rc = settle(p);
    if (f->peer)
        f->peer->peer = NULL;
    free(f->buf);
    int closed = f->real->pMethods->xClose(f->real);
    return rc != SQLITE_OK ? rc : closed;
}

static int file_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 off)
{
    int rc = settle(p);
    return rc ? rc : real_of(p)->pMethods->xRead(real_of(p), out, amt, off);
}

static int file_truncate(sqlite3_file *p, sqlite3_int64 size)
{
    int rc = settle(p);
    return rc ? rc : real_of(p)->pMethods->xTruncate(real_of(p), size);
}

static int file_sync(sqlite3_file *p, int flags)
{
    ((struct file *)p)->pending = 0; /* the sync writes them all */
    int rc = settle(p);
    return rc ? rc : real_of(p)->pMethods->xSync(real_of(p), flags);
}

static int file_size(sqlite3_file *p, sqlite3_int64 *size)
{
    int rc = settle(p);
    return rc ? rc : real_of(p)->pMethods->xFileSize(real_of(p), size);
}

static int file_lock(sqlite3_file *p, int level)
{
    return real_of(p)->pMethods->xLock(real_of(p), level);
}

static int file_unlock(sqlite3_file *p, int level)
{
    return real_of(p)->pMethods->xUnlock(real_of(p), level);
}

static int file_reserved(sqlite3_file *p, int *out)
{
    return real_of(p)->pMethods->xCheckReservedLock(real_of(p), out);
}

static int file_control(sqlite3_file *p, int op, void *arg)
{
    int rc = settle(p);
    return rc ? rc : real_of(p)->pMethods->xFileControl(real_of(p), op, arg);
}

static int file_sector_size(sqlite3_file *p)
{
    return real_of(p)->pMethods->xSectorSize(real_of(p));
}

static int file_characteristics(sqlite3_file *p)
{
    return real_of(p)->pMethods->xDeviceCharacteristics(real_of(p));
}

static int file_shm_map(sqlite3_file *p, int page, int size, int extend, void volatile **out)
{
    const sqlite3_io_methods *m = real_of(p)->pMethods;
    return m->iVersion >= 2 ? m->xShmMap(real_of(p), page, size, extend, out) : SQLITE_IOERR;
}

static int file_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
    const sqlite3_io_methods *m = real_of(p)->pMethods;
    return m->iVersion >= 2 ? m->xShmLock(real_of(p), offset, n, flags) : SQLITE_IOERR;
}

/* SQLite publishes a new log index header around this call: the log's frames go first. */
static void file_shm_barrier(sqlite3_file *p)
{
    struct file *f = (struct file *)p, *log = f->is_log ? NULL : f->peer;
    if (log && log->len && !log->failed) {
        atomic_fetch_add_explicit(&count_at_barrier, (long long)log->len, memory_order_relaxed);
        log->failed = write_gathered(log);
    }
    const sqlite3_io_methods *m = f->real->pMethods;
    if (m->iVersion >= 2)
        m->xShmBarrier(f->real);
}

static int file_shm_unmap(sqlite3_file *p, int delete_flag)
{
    const sqlite3_io_methods *m = real_of(p)->pMethods;
    return m->iVersion >= 2 ? m->xShmUnmap(real_of(p), delete_flag) : SQLITE_OK;
}

static int file_fetch(sqlite3_file *p, sqlite3_int64 off, int amt, void **out)
{
    const sqlite3_io_methods *m = real_of(p)->pMethods;
    *out = NULL; /* no mapping: SQLite reads instead */
    return m->iVersion >= 3 ? m->xFetch(real_of(p), off, amt, out) : SQLITE_OK;
}

static int file_unfetch(sqlite3_file *p, sqlite3_int64 off, void *page)
{
    const sqlite3_io_methods *m = real_of(p)->pMethods;
    return m->iVersion >= 3 ? m->xUnfetch(real_of(p), off, page) : SQLITE_OK;
}

static const sqlite3_io_methods methods = {
    .iVersion = 3,
    .xClose = file_close,
    .xRead = file_read,
    .xWrite = file_write,
    .xTruncate = file_truncate,
    .xSync = file_sync,
    .xFileSize = file_size,
    .xLock = file_lock,
    .xUnlock = file_unlock,
    .xCheckReservedLock = file_reserved,
    .xFileControl = file_control,
    .xSectorSize = file_sector_size,
    .xDeviceCharacteristics = file_characteristics,
    .xShmMap = file_shm_map,
    .xShmLock = file_shm_lock,
    .xShmBarrier = file_shm_barrier,
    .xShmUnmap = file_shm_unmap,
    .xFetch = file_fetch,
    .xUnfetch = file_unfetch,
};

/* A log knows its database (and the database its log) when SQLite opened both through here. */
static void pair_with_database(struct file *log, sqlite3_filename name)
{
    sqlite3_file *db = sqlite3_database_file_object(name);
    if (db && db->pMethods == &methods) {
        log->peer = (struct file *)db;
        log->peer->peer = log;
    }
}

static int open_file(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *p, int flags,
                     int *out_flags)
{
    (void)v;
    if (!(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
        return base_vfs->xOpen(base_vfs, name, p, flags, out_flags);
    struct file *f = (struct file *)p;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)((char *)p + ALIGN8(sizeof(*f)));
    f->real->pMethods = NULL;
    f->writeback_fd = -1;
    int rc = base_vfs->xOpen(base_vfs, name, f->real, flags, out_flags);
    if (!f->real->pMethods)
        return rc; /* nothing to close */
    f->base.pMethods = &methods;
    f->is_log = (flags & SQLITE_OPEN_WAL) != 0;
    if (rc == SQLITE_OK && f->is_log)
        pair_with_database(f, name);
    else if (rc == SQLITE_OK && name)
        f->writeback_fd = writeback_fd_of(name);
    return rc;
}

/* A second call finds this VFS the default already, and leaves the one below it in place. */
int hd_sqlite_walbuf_install(void)
{
    sqlite3_vfs *found = sqlite3_vfs_find(NULL);
    if (!found || found == &vfs)
        return found ? 0 : -1;
    base_vfs = found;
    vfs = *base_vfs; /* its other methods are the default's, which do not depend on which */
    vfs.szOsFile = (int)(ALIGN8(sizeof(struct file)) + (size_t)base_vfs->szOsFile);
    vfs.zName = "herald-walbuf";
    vfs.pNext = NULL;
    vfs.xOpen = open_file;
    return sqlite3_vfs_register(&vfs, 1) == SQLITE_OK ? 0 : -1;
}

void hd_sqlite_walbuf_counts(struct hd_walbuf_counts *out)
{
    out->asked = atomic_load(&count_asked);
    out->written = atomic_load(&count_written);
    out->at_barrier = atomic_load(&count_at_barrier);
    out->writebacks = atomic_load(&count_writebacks);
}
