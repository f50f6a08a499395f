#pragma once

#include <json-glib/json-glib.h>

#include "backends/menugen-backend.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_BACKEND_OPENAI_CHAT (menugen_backend_openai_chat_get_type ())
G_DECLARE_FINAL_TYPE (MenugenBackendOpenaiChat, menugen_backend_openai_chat, MENUGEN, BACKEND_OPENAI_CHAT, GObject)

MenugenBackend *menugen_backend_openai_chat_new (const MenugenBackendConfig *config);

/* Chat completions helpers, shared with the describe-then-draw back-end,
 * which sends the same request shape to local vision servers. */
char           *menugen_chat_build_data_url     (GBytes     *bytes,
                                                 const char *mime_type);
void            menugen_chat_add_messages       (JsonBuilder *builder,
                                                 const char  *text,
                                                 GBytes      *photo,
                                                 const char  *photo_mime_type);
GBytes         *menugen_chat_decode_data_url    (const char *url,
                                                 const char *service,
                                                 GError    **error);
char           *menugen_chat_dup_content_text   (JsonObject *message);
char           *menugen_chat_dup_error_message  (JsonNode   *root);

G_END_DECLS
