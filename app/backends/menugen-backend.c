#include "config.h"

#include <glib/gi18n.h>

#include "backends/menugen-backend.h"
#include "backends/menugen-backend-comfyui.h"
#include "backends/menugen-backend-describe.h"
#include "backends/menugen-backend-gemini.h"
#include "backends/menugen-backend-openai-chat.h"
#include "backends/menugen-backend-openai-images.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-secrets.h"

enum {
  PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_INTERFACE (MenugenBackend, menugen_backend, G_TYPE_OBJECT)

static void
wrote_body_cb (SoupMessage *message,
               gpointer     user_data)
{
  menugen_backend_emit_progress (MENUGEN_BACKEND (user_data), MENUGEN_STAGE_WAITING, -1, NULL);
}

static void
got_headers_cb (SoupMessage *message,
                gpointer     user_data)
{
  menugen_backend_emit_progress (MENUGEN_BACKEND (user_data), MENUGEN_STAGE_DOWNLOADING, -1, NULL);
}

static void
default_get_photo_limits (MenugenBackend     *self,
                          MenugenPhotoLimits *limits)
{
  menugen_photo_limits_init_default (limits);
}

static void
menugen_backend_default_init (MenugenBackendInterface *iface)
{
  iface->get_photo_limits = default_get_photo_limits;

  /**
   * MenugenBackend::progress:
   * @self: the back-end
   * @stage: a #MenugenStage
   * @fraction: 0 to 1 when the server reports progress, -1 otherwise
   * @detail: (nullable): a translated detail such as the node being run
   */
  signals[PROGRESS] =
    g_signal_new ("progress",
                  G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_INT, G_TYPE_DOUBLE, G_TYPE_STRING);
}

MenugenRequest *
menugen_request_new (void)
{
  return g_new0 (MenugenRequest, 1);
}

void
menugen_request_free (MenugenRequest *request)
{
  if (request == NULL)
    return;

  g_clear_pointer (&request->photo, g_bytes_unref);
  g_free (request->photo_mime_type);
  g_free (request->instruction);
  g_free (request->aspect_ratio);
  g_free (request);
}

MenugenResult *
menugen_result_new (void)
{
  return g_new0 (MenugenResult, 1);
}

void
menugen_result_free (MenugenResult *result)
{
  if (result == NULL)
    return;

  g_clear_pointer (&result->image, g_bytes_unref);
  g_free (result->mime_type);
  g_free (result->notes);
  g_free (result->model);
  g_free (result->intermediate);
  g_free (result);
}

/**
 * menugen_backend_check_config:
 * @config: a back-end configuration with its key filled in
 * @error: return location for a #GError
 *
 * Checks what every back-end must reject before it sends anything. The
 * rejected cases are an unknown kind, a key with characters that no API key
 * has, a malformed URL, a key bound for plain http on another host, a
 * non-local host under "local only", and a missing key.
 *
 * Returns: %TRUE when the configuration may be used
 */
gboolean
menugen_backend_check_config (const MenugenBackendConfig *config,
                              GError                    **error)
{
  const char *url = menugen_backend_config_get_url (config);
  gboolean needs_key = menugen_backend_kind_needs_key (config->kind);
  gboolean has_key = config->api_key != NULL && config->api_key[0] != '\0';

  if (!menugen_backend_kind_is_known (config->kind))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                   _("Unknown back-end kind “%s”. Choose one of gemini, openai-images, openai-chat, comfyui or describe-then-draw."),
                   config->kind);
      return FALSE;
    }

  if (has_key && !menugen_secrets_key_is_valid (config->api_key))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY,
                   _("The API key for “%s” contains a space, a line break or a character outside plain ASCII, so it was not sent. Copy the key again without extra characters."),
                   config->name != NULL ? config->name : config->kind);
      return FALSE;
    }

  if (!menugen_http_check_url (url, has_key, config->local_only, error))
    return FALSE;

  if (needs_key && !has_key)
    {
      g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
      const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

      /* Local servers (sd-server, Lemonade) take no key. */
      if (host == NULL || !menugen_http_host_is_local (host))
        {
          g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY,
                       _("No API key is set for “%s”. Enter one in Preferences or set the %s environment variable."),
                       config->name != NULL ? config->name : config->kind,
                       menugen_backend_kind_key_variable (config->kind));
          return FALSE;
        }
    }

  return TRUE;
}

MenugenBackend *
menugen_backend_new (const MenugenBackendConfig *config,
                     GError                    **error)
{
  g_return_val_if_fail (config != NULL, NULL);

  if (!menugen_backend_check_config (config, error))
    return NULL;

  if (g_str_equal (config->kind, "gemini"))
    return menugen_backend_gemini_new (config);
  if (g_str_equal (config->kind, "openai-images"))
    return menugen_backend_openai_images_new (config);
  if (g_str_equal (config->kind, "comfyui"))
    return menugen_backend_comfyui_new (config);
  if (g_str_equal (config->kind, "openai-chat"))
    return menugen_backend_openai_chat_new (config);
  if (g_str_equal (config->kind, "describe-then-draw"))
    return menugen_backend_describe_new (config);

  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
               _("The back-end kind “%s” is not available in this build."),
               config->kind);
  return NULL;
}

void
menugen_backend_generate_async (MenugenBackend       *self,
                                const MenugenRequest *request,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_return_if_fail (MENUGEN_IS_BACKEND (self));
  g_return_if_fail (request != NULL);

  MENUGEN_BACKEND_GET_IFACE (self)->generate_async (self, request, cancellable, callback, user_data);
}

MenugenResult *
menugen_backend_generate_finish (MenugenBackend *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (MENUGEN_IS_BACKEND (self), NULL);

  return MENUGEN_BACKEND_GET_IFACE (self)->generate_finish (self, result, error);
}

void
menugen_backend_get_photo_limits (MenugenBackend     *self,
                                  MenugenPhotoLimits *limits)
{
  g_return_if_fail (MENUGEN_IS_BACKEND (self));

  MENUGEN_BACKEND_GET_IFACE (self)->get_photo_limits (self, limits);
}

const MenugenBackendConfig *
menugen_backend_get_config (MenugenBackend *self)
{
  g_return_val_if_fail (MENUGEN_IS_BACKEND (self), NULL);

  return MENUGEN_BACKEND_GET_IFACE (self)->get_config (self);
}

void
menugen_backend_emit_progress (MenugenBackend *self,
                               MenugenStage    stage,
                               double          fraction,
                               const char     *detail)
{
  g_return_if_fail (MENUGEN_IS_BACKEND (self));

  g_signal_emit (self, signals[PROGRESS], 0, (int) stage, fraction, detail);
}

/**
 * menugen_backend_watch_message:
 * @self: the back-end that sends @message
 * @message: a request about to be sent
 * @upload_bytes: the size of its body, shown as the upload's detail
 *
 * Reports one request's stages through the "progress" signal: UPLOADING
 * with the body size at once, WAITING when the body is written, and
 * DOWNLOADING when the response headers arrive. The handlers are
 * disconnected when @self or @message is finalized.
 */
void
menugen_backend_watch_message (MenugenBackend *self,
                               SoupMessage    *message,
                               gsize           upload_bytes)
{
  g_autofree char *size = menugen_http_describe_size (upload_bytes);

  g_return_if_fail (MENUGEN_IS_BACKEND (self));
  g_return_if_fail (SOUP_IS_MESSAGE (message));

  g_signal_connect_object (message, "wrote-body", G_CALLBACK (wrote_body_cb), self, 0);
  g_signal_connect_object (message, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
  menugen_backend_emit_progress (self, MENUGEN_STAGE_UPLOADING, -1, size);
}
