/* ids.h: identifiers herald generates (random, from OpenSSL's RAND_bytes) and checks.
 *
 * Systems have 32 lowercase hex ids; accounts, templates, audiences and notifications have
 * UUIDs. Notifications use UUIDv7, whose text order is creation order, so "newest first" and
 * cursors are plain id comparisons. */
#ifndef HD_CORE_IDS_H
#define HD_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

#define HD_UUID_BUF      37
#define HD_SYSTEM_ID_BUF 33

/* Fills out with n random bytes; aborts if the system's generator fails. */
void hd_random_bytes(void *out, size_t n);
/* Writes 2*nbytes lowercase hex characters of randomness and a NUL. */
void hd_id_hex(char *out, size_t nbytes);
void hd_id_uuid4(char out[HD_UUID_BUF]);
void hd_id_uuid7(char out[HD_UUID_BUF], int64_t now_ms);
/* Writes 2*n lowercase hex digits of bytes and a NUL. */
void hd_hex_encode(char *out, const unsigned char *bytes, size_t n);

bool hd_id_is_uuid(struct hd_slice s);
bool hd_id_is_system_id(struct hd_slice s);

#endif
