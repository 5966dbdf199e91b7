/* keys.c: key and account creation. */
#include "auth/keys.h"

#include <stdio.h>
#include <string.h>

#include "auth/scope.h"
#include "core/time.h"

int hd_keys_create(struct hd_store *s, const char *account_id, const char *name, unsigned scopes,
                   struct hd_new_key *out)
{
    struct hd_api_key k = {.name = name, .scopes = scopes, .created_at = hd_time_now_ms()};
    hd_secret_new_client_id(out->client_id);
    hd_secret_new(out->secret);
    snprintf(k.client_id, sizeof(k.client_id), "%s", out->client_id);
    snprintf(k.account_id, sizeof(k.account_id), "%s", account_id);
    hd_secret_hash(out->secret, strlen(out->secret), k.secret_hash);
    return hd_store_key_insert(s, &k);
}

int hd_keys_create_account(struct hd_store *s, const char *name, char account_id[HD_UUID_BUF],
                           struct hd_new_key *owner)
{
    struct hd_account a = {.name = name, .created_at = hd_time_now_ms()};
    hd_id_uuid4(a.id);
    int rc = hd_store_account_insert(s, &a);
    if (rc)
        return rc;
    memcpy(account_id, a.id, HD_UUID_BUF);
    return hd_keys_create(s, a.id, "owner", HD_SCOPE_ALL, owner);
}
