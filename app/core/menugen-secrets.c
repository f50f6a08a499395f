#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <string.h>

#include "core/menugen-error.h"
#include "core/menugen-secrets.h"

/* Items carry the application id and the back-end id, so that removing a
 * back-end can remove exactly its key. */
static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".ApiKey", SECRET_SCHEMA_NONE,
    {
      { "backend", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

static GHashTable *session_keys;

static void
wipe_and_free (gpointer data)
{
  char *key = data;

  if (key != NULL)
    memset (key, 0, strlen (key));
  g_free (key);
}

static GHashTable *
get_session_keys (void)
{
  if (session_keys == NULL)
    session_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, wipe_and_free);

  return session_keys;
}

typedef enum {
  KEYRING_STORE,
  KEYRING_LOOKUP,
  KEYRING_CLEAR,
} KeyringCall;

/* Turns a libsecret failure into one sentence that names the call that
 * failed. The causes vary (no Secret Service installed, a locked or
 * missing collection, a dismissed unlock prompt), so libsecret's own
 * reason goes in the sentence. */
static void
return_keyring_error (GTask        *task,
                      KeyringCall   call,
                      const GError *error)
{
  g_autoptr(GError) reason = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }

  reason = g_error_copy (error);
  g_dbus_error_strip_remote_error (reason);
  g_debug ("Secret Service call failed: %s", reason->message);

  switch (call)
    {
    case KEYRING_STORE:
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                               _("The key could not be stored in the keyring (%s). Keep it for this session only, or set up and unlock GNOME Keyring, then save again."),
                               reason->message);
      break;

    case KEYRING_LOOKUP:
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                               _("The key could not be read from the keyring (%s). Unlock GNOME Keyring, or enter the key again in Preferences to use it for this session."),
                               reason->message);
      break;

    case KEYRING_CLEAR:
    default:
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                               _("The key could not be removed from the keyring (%s). Unlock GNOME Keyring and try again, or remove it with Passwords and Keys."),
                               reason->message);
      break;
    }
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      return_keyring_error (task, KEYRING_STORE, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * menugen_secrets_store_async:
 * @backend_id: the back-end's id
 * @backend_name: the name shown in a keyring manager such as Seahorse
 * @key: the API key
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the key is stored or could not be
 * @user_data: data for @callback
 *
 * Stores @key in the default collection. On failure the caller must tell
 * the user and may offer menugen_secrets_set_session_key().
 */
void
menugen_secrets_store_async (const char         *backend_id,
                             const char         *backend_name,
                             const char         *key,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  GTask *task;
  g_autofree char *label = NULL;

  g_return_if_fail (backend_id != NULL);
  g_return_if_fail (key != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_secrets_store_async);

  label = g_strdup_printf (_("Menugen API key for %s"), backend_name != NULL ? backend_name : backend_id);
  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, key,
                         cancellable, store_cb, task,
                         "backend", backend_id,
                         NULL);
}

gboolean
menugen_secrets_store_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *key = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      return_keyring_error (task, KEYRING_LOOKUP, error);
      return;
    }

  g_task_return_pointer (task, key, wipe_and_free);
}

/**
 * menugen_secrets_lookup_async:
 * @backend_id: the back-end's id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the key
 * @user_data: data for @callback
 *
 * Looks the key up: first among the keys kept for this session, then in
 * the keyring. Finishes with %NULL and no error when there is none.
 */
void
menugen_secrets_lookup_async (const char         *backend_id,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task;
  const char *session_key;

  g_return_if_fail (backend_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_secrets_lookup_async);

  session_key = menugen_secrets_get_session_key (backend_id);
  if (session_key != NULL)
    {
      g_task_return_pointer (task, g_strdup (session_key), wipe_and_free);
      g_object_unref (task);
      return;
    }

  secret_password_lookup (get_schema (), cancellable, lookup_cb, task,
                          "backend", backend_id,
                          NULL);
}

char *
menugen_secrets_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* FALSE without an error only means there was no item to remove. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    {
      return_keyring_error (task, KEYRING_CLEAR, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/* Removes the back-end's key from the keyring and from this session. */
void
menugen_secrets_clear_async (const char         *backend_id,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (backend_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_secrets_clear_async);

  g_hash_table_remove (get_session_keys (), backend_id);
  secret_password_clear (get_schema (), cancellable, clear_cb, task,
                         "backend", backend_id,
                         NULL);
}

gboolean
menugen_secrets_clear_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Keeps @key in memory until the program exits; %NULL forgets it. */
void
menugen_secrets_set_session_key (const char *backend_id,
                                 const char *key)
{
  g_return_if_fail (backend_id != NULL);

  if (key == NULL || key[0] == '\0')
    g_hash_table_remove (get_session_keys (), backend_id);
  else
    g_hash_table_replace (get_session_keys (), g_strdup (backend_id), g_strdup (key));
}

const char *
menugen_secrets_get_session_key (const char *backend_id)
{
  return g_hash_table_lookup (get_session_keys (), backend_id);
}

/**
 * menugen_secrets_key_from_environment:
 * @kind: a back-end kind
 *
 * Returns the key from GEMINI_API_KEY (gemini), OPENAI_API_KEY
 * (openai-images), OPENROUTER_API_KEY (openai-chat), or else
 * MENUGEN_API_KEY. Empty variables count as unset. These override the
 * keyring, for the command line and for tests.
 *
 * Returns: (nullable): the key, owned by the environment
 */
const char *
menugen_secrets_key_from_environment (const char *kind)
{
  const char *variable = NULL;
  const char *value;

  if (g_strcmp0 (kind, "gemini") == 0)
    variable = "GEMINI_API_KEY";
  else if (g_strcmp0 (kind, "openai-images") == 0)
    variable = "OPENAI_API_KEY";
  else if (g_strcmp0 (kind, "openai-chat") == 0)
    variable = "OPENROUTER_API_KEY";

  value = variable != NULL ? g_getenv (variable) : NULL;
  if (value != NULL && value[0] != '\0')
    return value;

  value = g_getenv ("MENUGEN_API_KEY");
  if (value != NULL && value[0] != '\0')
    return value;

  return NULL;
}

/**
 * menugen_secrets_key_is_valid:
 * @key: an API key
 *
 * Tells whether @key has only printable ASCII characters and no space, as
 * the keys of every supported service do. A key with a line break or a
 * tab, often pasted from a file, would break the HTTP header. A server may
 * echo a non-ASCII key in another encoding, and that echo would escape the
 * masking of the key in messages.
 *
 * Returns: %TRUE when @key may be sent
 */
gboolean
menugen_secrets_key_is_valid (const char *key)
{
  g_return_val_if_fail (key != NULL, FALSE);

  for (const char *p = key; *p != '\0'; p++)
    if (*p <= ' ' || *p > '~')
      return FALSE;

  return TRUE;
}

/**
 * menugen_secrets_mask_key:
 * @text: (nullable): text from a server, such as an error message
 * @key: (nullable): the API key that was sent to that server
 *
 * Replaces every occurrence of @key in @text with "…", because servers
 * sometimes echo the key back and keys never reach a message. Keys shorter
 * than 4 characters are left in place, as masking them would garble the
 * text and no supported service issues such keys.
 *
 * Returns: (transfer full) (nullable): the masked copy, or %NULL when
 *   @text is %NULL
 */
char *
menugen_secrets_mask_key (const char *text,
                          const char *key)
{
  g_auto(GStrv) pieces = NULL;

  if (text == NULL || key == NULL || strlen (key) < 4 || strstr (text, key) == NULL)
    return g_strdup (text);

  pieces = g_strsplit (text, key, -1);
  return g_strjoinv ("…", pieces);
}
