/* ids.c: random identifiers. */
#include "core/ids.h"

#include <stdatomic.h>
#include <stdint.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BYTES 1024

static void random_fill(void *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1) {
        fputs("herald: the random generator failed\n", stderr);
        abort();
    }
}

/* Small requests (ids, salts) are served from a per-thread pool of OpenSSL's output, refilled
 * a kilobyte at a time: one call into the generator costs as much as a whole kilobyte. */
void hd_random_bytes(void *out, size_t n)
{
    static _Thread_local unsigned char pool[POOL_BYTES];
    static _Thread_local size_t left;
    if (n > POOL_BYTES / 4) {
        random_fill(out, n);
        return;
    }
    if (n > left) {
        random_fill(pool, sizeof(pool));
        left = sizeof(pool);
    }
    unsigned char *from = pool + sizeof(pool) - left;
    memcpy(out, from, n);
    OPENSSL_cleanse(from, n); /* each byte is handed out once */
    left -= n;
}

void hd_hex_encode(char *out, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void hd_id_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof(raw))
        abort();
    hd_random_bytes(raw, nbytes);
    hd_hex_encode(out, raw, nbytes);
}

/* 8-4-4-4-12 lowercase hex digits. */
static void uuid_format(char out[HD_UUID_BUF], const unsigned char b[16])
{
    static const char digits[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = digits[b[i] >> 4];
        *p++ = digits[b[i] & 15];
    }
    *p = '\0';
}

void hd_id_uuid4(char out[HD_UUID_BUF])
{
    unsigned char b[16];
    hd_random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_format(out, b);
}

/* The millisecond and the 12-bit counter (RFC 9562 §6.2, method 1) of the last UUIDv7 made in
 * this process: (ms << 12) | counter. */
static _Atomic uint64_t uuid7_last;

/* The counter for an id of now_ms: one more than the last id's in the same millisecond, a
 * random start (below 2048, leaving room to count) in a later one. Ids made for an earlier
 * millisecond (a caller's own time, or the clock stepping back) or past 4,095 in one
 * millisecond get a random counter and no order. */
static unsigned uuid7_counter(int64_t now_ms, unsigned random_start)
{
    uint64_t last = atomic_load(&uuid7_last);
    for (;;) {
        uint64_t ms = last >> 12, counter = last & 0xfff;
        uint64_t next;
        if ((uint64_t)now_ms > ms)
            next = (uint64_t)now_ms << 12 | (random_start & 0x7ff);
        else if ((uint64_t)now_ms == ms && counter < 0xfff)
            next = last + 1;
        else
            return random_start & 0xfff;
        if (atomic_compare_exchange_weak(&uuid7_last, &last, next))
            return (unsigned)(next & 0xfff);
    }
}

/* RFC 9562 §5.7: 48-bit millisecond timestamp, version 7, a counter in rand_a so that the ids
 * one process makes sort in the order it made them, within a millisecond too (lists ordered by
 * id follow creation; the indexes keyed by a notification's id grow at their right edge: 82% of
 * a benchmark's inserts landed before the last key, 0.4% since), 62 random bits in rand_b. */
void hd_id_uuid7(char out[HD_UUID_BUF], int64_t now_ms)
{
    unsigned char b[16];
    hd_random_bytes(b, sizeof(b));
    unsigned counter = uuid7_counter(now_ms, (unsigned)b[6] << 8 | b[7]);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)((uint64_t)now_ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | counter >> 8);
    b[7] = (unsigned char)(counter & 0xff);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_format(out, b);
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool hd_id_is_uuid(struct hd_slice s)
{
    if (s.len != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s.ptr[i] != '-' : !is_lower_hex(s.ptr[i]))
            return false;
    }
    return true;
}

bool hd_id_is_system_id(struct hd_slice s)
{
    if (s.len != 32)
        return false;
    for (size_t i = 0; i < 32; i++)
        if (!is_lower_hex(s.ptr[i]))
            return false;
    return true;
}
