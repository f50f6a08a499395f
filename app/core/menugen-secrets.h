#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* API keys live in the Secret Service (the Secret portal inside Flatpak),
 * keyed by back-end id. When no Secret Service is available, a key can be kept
 * in memory for this session only. */

void      menugen_secrets_store_async    (const char         *backend_id,
                                          const char         *backend_name,
                                          const char         *key,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean  menugen_secrets_store_finish   (GAsyncResult       *result,
                                          GError            **error);

void      menugen_secrets_lookup_async   (const char         *backend_id,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
char     *menugen_secrets_lookup_finish  (GAsyncResult       *result,
                                          GError            **error);

void      menugen_secrets_clear_async    (const char         *backend_id,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean  menugen_secrets_clear_finish   (GAsyncResult       *result,
                                          GError            **error);

void        menugen_secrets_set_session_key (const char *backend_id,
                                             const char *key);
const char *menugen_secrets_get_session_key (const char *backend_id);

const char *menugen_secrets_key_from_environment (const char *kind);
gboolean    menugen_secrets_key_is_valid         (const char *key);
char       *menugen_secrets_mask_key             (const char *text,
                                                  const char *key);

G_END_DECLS
