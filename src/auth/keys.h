/* keys.h: creating API keys and accounts, shared by the first start, the CLI and the API. */
#ifndef HD_AUTH_KEYS_H
#define HD_AUTH_KEYS_H

#include "auth/secret.h"
#include "core/err.h"
#include "store/store.h"

struct hd_new_key {
    char client_id[HD_CLIENT_ID_BUF];
    char secret[HD_SECRET_TEXT_BUF]; /* plain text: show once, never store or log */
};

/* Creates a key for account with scopes; only the secret's hash is stored. */
int hd_keys_create(struct hd_store *s, const char *account_id, const char *name, unsigned scopes,
                   struct hd_new_key *out) HD_WUR;
/* Creates an account and its owner key (every scope). account_id gets the new id. */
int hd_keys_create_account(struct hd_store *s, const char *name, char account_id[HD_UUID_BUF],
                           struct hd_new_key *owner) HD_WUR;

#endif
