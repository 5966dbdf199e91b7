/* routes.c: every endpoint of herald in one table: who may call it and how big its body may
 * be. Read this file to audit authorization. */
#include <llhttp.h>

#include "api/api.h"
#include "api/app.h"
#include "auth/scope.h"

#define KiB       1024
#define API_BODY  (64 * KiB) /* SPEC §3 */
#define FORM_BODY (16 * KiB)
#define BULK_BODY (8 * 1024 * KiB) /* SPEC §5: bulk end users, audience members */

#define NOTIF_R HD_SCOPE_NOTIFICATIONS_READ
#define NOTIF_W HD_SCOPE_NOTIFICATIONS_WRITE
#define ADMIN_R HD_SCOPE_ADMIN_READ
#define ADMIN_W HD_SCOPE_ADMIN_WRITE

static const struct hd_route routes[] = {
    /* method, path, handler, auth, scope, max body */
    {HTTP_GET, "/healthz", hd_api_healthz, HD_AUTH_NONE, 0, 0},
    {HTTP_GET, "/", hd_api_root, HD_AUTH_NONE, 0, 0},
    {HTTP_GET, "/console", hd_api_static, HD_AUTH_NONE, 0, 0},
    {HTTP_GET, "/console/{}", hd_api_static, HD_AUTH_NONE, 0, 0},
    {HTTP_GET, "/workstation", hd_api_static, HD_AUTH_NONE, 0, 0},
    {HTTP_GET, "/workstation/{}", hd_api_static, HD_AUTH_NONE, 0, 0},
    {HTTP_GET, "/metrics", hd_api_metrics, HD_AUTH_NONE, 0, 0},
    {HTTP_POST, "/accounts/connect/token", hd_api_token, HD_AUTH_NONE, 0, FORM_BODY},
    {HTTP_POST, "/oauth/token", hd_api_token, HD_AUTH_NONE, 0, FORM_BODY},
    {HTTP_GET, "/.well-known/oauth-authorization-server", hd_api_oauth_metadata, HD_AUTH_NONE, 0,
     0},

    {HTTP_POST, "/v1/notifications", hd_api_notification_create, HD_AUTH_API, NOTIF_W, API_BODY},
    {HTTP_GET, "/v1/notifications", hd_api_notification_list, HD_AUTH_API, NOTIF_R, 0},
    {HTTP_GET, "/v1/notifications/{}", hd_api_notification_get, HD_AUTH_API, NOTIF_R, 0},
    {HTTP_DELETE, "/v1/notifications/{}", hd_api_notification_cancel, HD_AUTH_API, NOTIF_W, 0},

    {HTTP_POST, "/v1/systems", hd_api_system_create, HD_AUTH_API, ADMIN_W, API_BODY},
    {HTTP_GET, "/v1/systems", hd_api_system_list, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_GET, "/v1/systems/{}", hd_api_system_get, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_POST, "/v1/systems/{}/templates", hd_api_template_create, HD_AUTH_API, ADMIN_W, API_BODY},
    {HTTP_GET, "/v1/systems/{}/templates/{}", hd_api_template_get, HD_AUTH_API, ADMIN_R, 0},
    /* more systems and templates routes go here */
    {HTTP_DELETE, "/v1/systems/{}", hd_api_system_delete, HD_AUTH_API, ADMIN_W, 0},
    {HTTP_POST, "/v1/systems/{}/signing-secret", hd_api_system_rotate_secret, HD_AUTH_API, ADMIN_W,
     0},
    {HTTP_GET, "/v1/systems/{}/templates", hd_api_template_list, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_PUT, "/v1/systems/{}/templates/{}", hd_api_template_update, HD_AUTH_API, ADMIN_W,
     API_BODY},
    {HTTP_DELETE, "/v1/systems/{}/templates/{}", hd_api_template_archive, HD_AUTH_API, ADMIN_W, 0},
    {HTTP_POST, "/v1/systems/{}/templates/{}/duplicate", hd_api_template_duplicate, HD_AUTH_API,
     ADMIN_W, API_BODY},
    {HTTP_POST, "/v1/systems/{}/templates/{}/preview", hd_api_template_preview, HD_AUTH_API,
     ADMIN_R, API_BODY},

    /* end users and audiences */
    {HTTP_PUT, "/v1/systems/{}/end-users/{}", hd_api_end_user_put, HD_AUTH_API, ADMIN_W, API_BODY},
    {HTTP_POST, "/v1/systems/{}/end-users/{}/tokens", hd_api_end_user_token, HD_AUTH_API, ADMIN_W,
     API_BODY},
    {HTTP_POST, "/v1/systems/{}/end-users", hd_api_end_user_bulk, HD_AUTH_API, ADMIN_W, BULK_BODY},
    {HTTP_GET, "/v1/systems/{}/end-users", hd_api_end_user_list, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_GET, "/v1/systems/{}/end-users/{}", hd_api_end_user_get, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_DELETE, "/v1/systems/{}/end-users/{}", hd_api_end_user_delete, HD_AUTH_API, ADMIN_W, 0},
    {HTTP_POST, "/v1/systems/{}/audiences", hd_api_audience_create, HD_AUTH_API, ADMIN_W,
     BULK_BODY},
    {HTTP_GET, "/v1/systems/{}/audiences", hd_api_audience_list, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_POST, "/v1/systems/{}/audiences/preview", hd_api_audience_preview, HD_AUTH_API, ADMIN_R,
     API_BODY},
    {HTTP_GET, "/v1/systems/{}/audiences/{}", hd_api_audience_get, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_DELETE, "/v1/systems/{}/audiences/{}", hd_api_audience_delete, HD_AUTH_API, ADMIN_W, 0},
    {HTTP_POST, "/v1/systems/{}/audiences/{}/members", hd_api_audience_members_add, HD_AUTH_API,
     ADMIN_W, BULK_BODY},
    {HTTP_DELETE, "/v1/systems/{}/audiences/{}/members/{}", hd_api_audience_member_remove,
     HD_AUTH_API, ADMIN_W, 0},

    {HTTP_POST, "/v1/api-keys", hd_api_key_create, HD_AUTH_API, ADMIN_W, API_BODY},
    {HTTP_GET, "/v1/api-keys", hd_api_key_list, HD_AUTH_API, ADMIN_R, 0},
    {HTTP_DELETE, "/v1/api-keys/{}", hd_api_key_revoke, HD_AUTH_API, ADMIN_W, 0},
    /* more API keys routes go here */
    {HTTP_POST, "/v1/api-keys/{}/rotate", hd_api_key_rotate, HD_AUTH_API, ADMIN_W, 0},

    {HTTP_GET, "/v1/me/notifications", hd_api_me_notifications, HD_AUTH_END_USER, 0, 0},
    {HTTP_GET, "/v1/me/stream", hd_api_me_stream, HD_AUTH_END_USER, 0, 0},
    {HTTP_POST, "/v1/me/notifications/{}/seen", hd_api_me_seen, HD_AUTH_END_USER, 0, 0},
    {HTTP_POST, "/v1/me/notifications/{}/clicked", hd_api_me_clicked, HD_AUTH_END_USER, 0, 0},
    {HTTP_POST, "/v1/me/notifications/{}/dismissed", hd_api_me_dismissed, HD_AUTH_END_USER, 0, 0},
};

const struct hd_router hd_api_router = {
    .routes = routes,
    .n = sizeof(routes) / sizeof(routes[0]),
    .guard = hd_api_guard,
    .default_max_body = API_BODY,
};
