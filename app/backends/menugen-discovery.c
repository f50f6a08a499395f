#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-discovery.h"
#include "core/menugen-http.h"
#include "core/menugen-json.h"

/* A server on this computer usually replies within milliseconds, so probes
 * give up quickly instead of waiting on a busy or unrelated port. */
#define PROBE_CONNECT_TIMEOUT_S 1
#define PROBE_READ_TIMEOUT_S 2
#define PROBE_MAX_RESPONSE_BYTES ((gsize) 1024 * 1024)

/* Ollama lists every pulled model. At most this many are checked for
 * vision, with one request each. */
#define MAX_OLLAMA_MODELS_CHECKED 8

static const MenugenDiscoveryTarget default_targets[] = {
  { MENUGEN_SERVER_COMFYUI, NULL, 8188 },
  /* sd-server and LM Studio both default to port 1234. Their probes tell
   * them apart, because only sd-server lists the model "sd-cpp-local" and
   * only LM Studio serves /api/v0/models. */
  { MENUGEN_SERVER_SD_SERVER, NULL, 1234 },
  { MENUGEN_SERVER_LM_STUDIO, NULL, 1234 },
  /* Lemonade's current docs use port 13305.
   * NOTE: 8000 as the port of earlier Lemonade releases is unverified. */
  { MENUGEN_SERVER_LEMONADE, NULL, 13305 },
  { MENUGEN_SERVER_LEMONADE, NULL, 8000 },
  { MENUGEN_SERVER_LLAMACPP, NULL, 8080 },
  { MENUGEN_SERVER_OLLAMA, NULL, 11434 },
  { 0, NULL, 0 },
};

/* One server that answered its identifying request. */
typedef struct {
  MenugenServerKind kind;
  char *host;
  guint port;
  char *model;
} FoundServer;

/* The whole discovery run: the probes still running and what they found. */
typedef struct {
  guint pending;
  GPtrArray *found;
} RunData;

/* One target being probed. Each probe holds a reference to the run's task. */
typedef struct {
  GTask *task;
  MenugenServerKind kind;
  char *host;
  guint port;
  GPtrArray *candidates;      /* Ollama: model names still to check for vision */
} Probe;

typedef void (*ProbeStep) (Probe      *probe,
                           JsonObject *answer);

typedef struct {
  Probe *probe;
  ProbeStep step;
  SoupMessage *message;
} ProbeRequest;

static void
found_server_free (FoundServer *server)
{
  g_free (server->host);
  g_free (server->model);
  g_free (server);
}

static void
run_data_free (RunData *data)
{
  g_ptr_array_unref (data->found);
  g_free (data);
}

static void
probe_free (Probe *probe)
{
  g_clear_object (&probe->task);
  g_clear_pointer (&probe->candidates, g_ptr_array_unref);
  g_free (probe->host);
  g_free (probe);
}

/* Only literal loopback addresses pass: a host name would need a DNS
 * lookup, and the answer could point anywhere. */
static gboolean
host_is_loopback_literal (const char *host)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

static char *
build_url (Probe      *probe,
           const char *path)
{
  return g_uri_join (G_URI_FLAGS_NONE, "http", NULL, probe->host, (int) probe->port, path, NULL, NULL);
}

static const char *
describe_kind (MenugenServerKind kind)
{
  switch (kind)
    {
    case MENUGEN_SERVER_COMFYUI:
      return "ComfyUI";
    case MENUGEN_SERVER_SD_SERVER:
      return "stable-diffusion.cpp";
    case MENUGEN_SERVER_LEMONADE:
      return "Lemonade";
    case MENUGEN_SERVER_LLAMACPP:
      return "llama.cpp";
    case MENUGEN_SERVER_OLLAMA:
      return "Ollama";
    case MENUGEN_SERVER_LM_STUDIO:
      return "LM Studio";
    default:
      g_assert_not_reached ();
    }
}

/* Ends a probe. @model is the model found, and @found is FALSE when the
 * probe found no server of its kind. */
static void
probe_finish (Probe      *probe,
              gboolean    found,
              const char *model)
{
  RunData *data = g_task_get_task_data (probe->task);

  if (found)
    {
      FoundServer *server = g_new0 (FoundServer, 1);

      g_debug ("Discovery: %s answers on %s port %u (model %s)", describe_kind (probe->kind),
               probe->host, probe->port, model != NULL ? model : "unknown");
      server->kind = probe->kind;
      server->host = g_strdup (probe->host);
      server->port = probe->port;
      server->model = g_strdup (model);
      g_ptr_array_add (data->found, server);
    }

  data->pending--;
  if (data->pending == 0)
    {
      GTask *task = g_object_ref (probe->task);

      probe_free (probe);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  probe_free (probe);
}

static void
probe_request_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ProbeRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *answer = NULL;

  if (body != NULL && soup_message_get_status (request->message) == SOUP_STATUS_OK)
    root = menugen_http_parse_json (body, request->probe->host, NULL);
  answer = menugen_json_root_object (root);

  if (error != NULL)
    g_debug ("Discovery: nothing usable on %s port %u: %s", request->probe->host,
             request->probe->port, error->message);

  request->step (request->probe, answer);
  g_object_unref (request->message);
  g_free (request);
}

/* Sends one request of a probe. @step runs with the reply when it is a
 * JSON object with status 200, and with %NULL otherwise. */
static void
probe_send (Probe      *probe,
            const char *method,
            const char *path,
            const char *json_body,
            ProbeStep   step)
{
  g_autofree char *url = build_url (probe, path);
  ProbeRequest *request = g_new0 (ProbeRequest, 1);
  MenugenHttpLimits limits = {
    .connect_timeout_s = PROBE_CONNECT_TIMEOUT_S,
    .read_timeout_s = PROBE_READ_TIMEOUT_S,
    .max_response_bytes = PROBE_MAX_RESPONSE_BYTES,
  };

  request->probe = probe;
  request->step = step;
  request->message = soup_message_new (method, url);
  g_assert (request->message != NULL);

  if (json_body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (request->message, "application/json", body);
    }

  menugen_http_send_async (request->message, &limits, g_task_get_cancellable (probe->task),
                           probe_request_cb, request);
}

static void
comfyui_stats_cb (Probe      *probe,
                  JsonObject *answer)
{
  probe_finish (probe,
                menugen_json_get_object (answer, "system") != NULL
                && menugen_json_get_array (answer, "devices") != NULL,
                NULL);
}

static gboolean
model_list_contains (JsonObject *answer,
                     const char *id)
{
  JsonArray *models = menugen_json_get_array (answer, "data");

  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    if (g_strcmp0 (menugen_json_get_string (menugen_json_get_array_object (models, i), "id"), id) == 0)
      return TRUE;

  return FALSE;
}

static void
sd_server_models_cb (Probe      *probe,
                     JsonObject *answer)
{
  gboolean found = model_list_contains (answer, "sd-cpp-local");

  probe_finish (probe, found, found ? "sd-cpp-local" : NULL);
}

/* Picks Lemonade's first downloaded model labelled "edit", or else the
 * first labelled "image". */
static const char *
pick_lemonade_model (JsonObject *answer)
{
  JsonArray *models = menugen_json_get_array (answer, "data");
  const char *image_model = NULL;

  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    {
      JsonObject *model = menugen_json_get_array_object (models, i);
      JsonArray *labels = menugen_json_get_array (model, "labels");
      JsonNode *downloaded = model != NULL ? json_object_get_member (model, "downloaded") : NULL;

      if (downloaded != NULL && JSON_NODE_HOLDS_VALUE (downloaded) && !json_node_get_boolean (downloaded))
        continue;

      if (menugen_json_array_contains_string (labels, "edit") && menugen_json_get_string (model, "id") != NULL)
        return menugen_json_get_string (model, "id");
      if (image_model == NULL && menugen_json_array_contains_string (labels, "image"))
        image_model = menugen_json_get_string (model, "id");
    }

  return image_model;
}

static void
lemonade_models_cb (Probe      *probe,
                    JsonObject *answer)
{
  const char *model = pick_lemonade_model (answer);

  /* Lemonade without an image model only serves text, so it cannot draw. */
  if (model == NULL)
    g_debug ("Discovery: Lemonade on port %u has no image model", probe->port);

  probe_finish (probe, model != NULL, model);
}

static void
lemonade_health_cb (Probe      *probe,
                    JsonObject *answer)
{
  gboolean is_lemonade = g_strcmp0 (menugen_json_get_string (answer, "status"), "ok") == 0
                         && answer != NULL
                         && (json_object_has_member (answer, "model_loaded")
                             || json_object_has_member (answer, "all_models_loaded"));

  if (!is_lemonade)
    {
      probe_finish (probe, FALSE, NULL);
      return;
    }

  probe_send (probe, SOUP_METHOD_GET, "/api/v1/models", NULL, lemonade_models_cb);
}

static void
llamacpp_models_cb (Probe      *probe,
                    JsonObject *answer)
{
  JsonArray *models = menugen_json_get_array (answer, "data");
  const char *model = NULL;

  if (models != NULL && json_array_get_length (models) > 0)
    model = menugen_json_get_string (menugen_json_get_array_object (models, 0), "id");

  probe_finish (probe, TRUE, model);
}

static void
llamacpp_props_cb (Probe      *probe,
                   JsonObject *answer)
{
  JsonObject *modalities = menugen_json_get_object (answer, "modalities");
  JsonNode *vision = modalities != NULL ? json_object_get_member (modalities, "vision") : NULL;

  if (menugen_json_get_object (answer, "default_generation_settings") == NULL)
    {
      probe_finish (probe, FALSE, NULL);
      return;
    }

  /* Builds that report modalities tell whether an mmproj is loaded, and
   * without one the server cannot read the photo. */
  if (vision != NULL && JSON_NODE_HOLDS_VALUE (vision) && !json_node_get_boolean (vision))
    {
      g_debug ("Discovery: llama.cpp on port %u runs without vision (no --mmproj)", probe->port);
      probe_finish (probe, FALSE, NULL);
      return;
    }

  probe_send (probe, SOUP_METHOD_GET, "/v1/models", NULL, llamacpp_models_cb);
}

static void ollama_check_next (Probe *probe);

static void
ollama_show_cb (Probe      *probe,
                JsonObject *answer)
{
  if (menugen_json_array_contains_string (menugen_json_get_array (answer, "capabilities"), "vision"))
    {
      g_autofree char *model = g_strdup (g_ptr_array_index (probe->candidates, 0));

      probe_finish (probe, TRUE, model);
      return;
    }

  g_ptr_array_remove_index (probe->candidates, 0);
  ollama_check_next (probe);
}

static void
ollama_check_next (Probe *probe)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;

  if (probe->candidates->len == 0)
    {
      g_debug ("Discovery: Ollama on port %u has no model with vision", probe->port);
      probe_finish (probe, FALSE, NULL);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, g_ptr_array_index (probe->candidates, 0));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  probe_send (probe, SOUP_METHOD_POST, "/api/show", body, ollama_show_cb);
}

static void
ollama_tags_cb (Probe      *probe,
                JsonObject *answer)
{
  JsonArray *models = menugen_json_get_array (answer, "models");

  probe->candidates = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    {
      const char *name = menugen_json_get_string (menugen_json_get_array_object (models, i), "name");

      if (name != NULL && probe->candidates->len < MAX_OLLAMA_MODELS_CHECKED)
        g_ptr_array_add (probe->candidates, g_strdup (name));
    }

  ollama_check_next (probe);
}

static void
ollama_version_cb (Probe      *probe,
                   JsonObject *answer)
{
  if (menugen_json_get_string (answer, "version") == NULL)
    {
      probe_finish (probe, FALSE, NULL);
      return;
    }

  probe_send (probe, SOUP_METHOD_GET, "/api/tags", NULL, ollama_tags_cb);
}

/* Picks LM Studio's first vision model ("vlm"), preferring a loaded one. */
static void
lm_studio_models_cb (Probe      *probe,
                     JsonObject *answer)
{
  JsonArray *models = menugen_json_get_array (answer, "data");
  const char *model = NULL;
  gboolean is_lm_studio = FALSE;

  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    {
      JsonObject *entry = menugen_json_get_array_object (models, i);

      if (menugen_json_get_string (entry, "type") == NULL || menugen_json_get_string (entry, "state") == NULL)
        continue;

      is_lm_studio = TRUE;
      if (!g_str_equal (menugen_json_get_string (entry, "type"), "vlm"))
        continue;

      if (model == NULL || g_str_equal (menugen_json_get_string (entry, "state"), "loaded"))
        model = menugen_json_get_string (entry, "id");
      if (g_str_equal (menugen_json_get_string (entry, "state"), "loaded"))
        break;
    }

  if (is_lm_studio && model == NULL)
    g_debug ("Discovery: LM Studio on port %u has no vision model", probe->port);

  probe_finish (probe, model != NULL, model);
}

static void
probe_start (Probe *probe)
{
  switch (probe->kind)
    {
    case MENUGEN_SERVER_COMFYUI:
      probe_send (probe, SOUP_METHOD_GET, "/system_stats", NULL, comfyui_stats_cb);
      break;
    case MENUGEN_SERVER_SD_SERVER:
      probe_send (probe, SOUP_METHOD_GET, "/v1/models", NULL, sd_server_models_cb);
      break;
    case MENUGEN_SERVER_LEMONADE:
      probe_send (probe, SOUP_METHOD_GET, "/api/v1/health", NULL, lemonade_health_cb);
      break;
    case MENUGEN_SERVER_LLAMACPP:
      probe_send (probe, SOUP_METHOD_GET, "/props", NULL, llamacpp_props_cb);
      break;
    case MENUGEN_SERVER_OLLAMA:
      probe_send (probe, SOUP_METHOD_GET, "/api/version", NULL, ollama_version_cb);
      break;
    case MENUGEN_SERVER_LM_STUDIO:
      probe_send (probe, SOUP_METHOD_GET, "/api/v0/models", NULL, lm_studio_models_cb);
      break;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
is_image_server (MenugenServerKind kind)
{
  return kind == MENUGEN_SERVER_COMFYUI || kind == MENUGEN_SERVER_SD_SERVER || kind == MENUGEN_SERVER_LEMONADE;
}

static char *
build_server_url (const FoundServer *server,
                  const char        *path)
{
  return g_uri_join (G_URI_FLAGS_NONE, "http", NULL, server->host, (int) server->port, path, NULL, NULL);
}

static MenugenBackendConfig *
build_image_config (const FoundServer *server)
{
  MenugenBackendConfig *config = NULL;

  switch (server->kind)
    {
    case MENUGEN_SERVER_COMFYUI:
      config = menugen_backend_config_new ("comfyui");
      g_free (config->name);
      config->name = g_strdup (_("ComfyUI on this computer"));
      g_free (config->url);
      config->url = build_server_url (server, "");
      break;

    case MENUGEN_SERVER_SD_SERVER:
      config = menugen_backend_config_new ("openai-images");
      g_free (config->name);
      config->name = g_strdup (_("stable-diffusion.cpp server on this computer"));
      g_free (config->url);
      config->url = build_server_url (server, "/v1");
      break;

    case MENUGEN_SERVER_LEMONADE:
      config = menugen_backend_config_new ("openai-images");
      g_free (config->name);
      config->name = g_strdup (_("Lemonade on this computer"));
      g_free (config->url);
      config->url = build_server_url (server, "/api/v1");
      break;

    default:
      g_assert_not_reached ();
    }

  g_free (config->model);
  config->model = g_strdup (server->model != NULL ? server->model : "");

  return config;
}

/* Offers a vision server as the first step of describe-then-draw, drawing
 * with @image when one was found. Without one, the drawing side keeps the
 * describe-then-draw defaults for the user to change. */
static MenugenBackendConfig *
build_describe_config (const FoundServer          *vision,
                       const MenugenBackendConfig *image)
{
  MenugenBackendConfig *config = menugen_backend_config_new ("describe-then-draw");

  g_free (config->vision_url);
  config->vision_url = build_server_url (vision, "/v1");
  g_free (config->vision_model);
  config->vision_model = g_strdup (vision->model != NULL ? vision->model : "");
  g_free (config->name);

  if (image == NULL)
    {
      /* Translators: %s is a program such as llama.cpp or Ollama */
      config->name = g_strdup_printf (_("Describe with %s on this computer"), describe_kind (vision->kind));
      return config;
    }

  /* Translators: the vision program, then the drawing back-end's name */
  config->name = g_strdup_printf (_("Describe with %s, draw with %s"), describe_kind (vision->kind), image->name);
  g_free (config->draw_kind);
  config->draw_kind = g_strdup (image->kind);
  g_free (config->url);
  config->url = g_strdup (image->url);
  g_free (config->model);
  config->model = g_strdup (image->model);

  return config;
}

/* Orders servers by kind, then by port, so that the result does not depend
 * on which probe answered first. */
static int
compare_found (gconstpointer a,
               gconstpointer b)
{
  const FoundServer *first = *(FoundServer * const *) a;
  const FoundServer *second = *(FoundServer * const *) b;

  if (first->kind != second->kind)
    return first->kind < second->kind ? -1 : 1;

  if (first->port != second->port)
    return first->port < second->port ? -1 : 1;

  return 0;
}

/* Returns the image server to pair vision servers with: sd-server or
 * Lemonade first, because their edit endpoints take the written
 * instruction as it is, and ComfyUI otherwise. */
static const MenugenBackendConfig *
pick_drawing_partner (GPtrArray *configs)
{
  const MenugenBackendConfig *partner = NULL;

  for (guint i = 0; i < configs->len; i++)
    {
      const MenugenBackendConfig *config = g_ptr_array_index (configs, i);

      if (g_str_equal (config->kind, "openai-images"))
        return config;
      if (partner == NULL)
        partner = config;
    }

  return partner;
}

static GPtrArray *
build_configs (GPtrArray *found)
{
  GPtrArray *configs = g_ptr_array_new_with_free_func ((GDestroyNotify) menugen_backend_config_free);
  g_autoptr(GPtrArray) vision_configs = g_ptr_array_new_with_free_func ((GDestroyNotify) menugen_backend_config_free);
  const MenugenBackendConfig *partner;

  g_ptr_array_sort (found, compare_found);

  for (guint i = 0; i < found->len; i++)
    {
      const FoundServer *server = g_ptr_array_index (found, i);

      if (is_image_server (server->kind))
        g_ptr_array_add (configs, build_image_config (server));
    }

  partner = pick_drawing_partner (configs);
  for (guint i = 0; i < found->len; i++)
    {
      const FoundServer *server = g_ptr_array_index (found, i);

      if (!is_image_server (server->kind))
        g_ptr_array_add (vision_configs, build_describe_config (server, partner));
    }

  g_ptr_array_extend_and_steal (configs, g_steal_pointer (&vision_configs));
  return configs;
}

static gboolean
is_duplicate_target (const MenugenDiscoveryTarget *targets,
                     guint                         index)
{
  const char *host = targets[index].host != NULL ? targets[index].host : "127.0.0.1";

  for (guint i = 0; i < index; i++)
    if (targets[i].kind == targets[index].kind && targets[i].port == targets[index].port
        && g_str_equal (targets[i].host != NULL ? targets[i].host : "127.0.0.1", host))
      return TRUE;

  return FALSE;
}

/* Starts one probe per valid target and returns how many started. */
static guint
start_probes (GTask                        *task,
              const MenugenDiscoveryTarget *targets)
{
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) probes = g_ptr_array_new ();

  for (guint i = 0; targets[i].port != 0; i++)
    {
      const char *host = targets[i].host != NULL ? targets[i].host : "127.0.0.1";
      Probe *probe;

      if (!host_is_loopback_literal (host))
        {
          g_critical ("Discovery target %s is not a loopback address; it is skipped", host);
          continue;
        }

      if (targets[i].port > G_MAXUINT16 || targets[i].kind > MENUGEN_SERVER_LM_STUDIO || is_duplicate_target (targets, i))
        continue;

      probe = g_new0 (Probe, 1);
      probe->task = g_object_ref (task);
      probe->kind = targets[i].kind;
      probe->host = g_strdup (host);
      probe->port = targets[i].port;
      g_ptr_array_add (probes, probe);
    }

  /* Counted in full before the first start, as a probe can finish at once. */
  data->pending = probes->len;
  for (guint i = 0; i < probes->len; i++)
    probe_start (g_ptr_array_index (probes, i));

  return probes->len;
}

/**
 * menugen_discovery_get_default_targets:
 *
 * Returns the ports on 127.0.0.1 where each server listens by default.
 *
 * Returns: (transfer none): an array ended by a target with port 0
 */
const MenugenDiscoveryTarget *
menugen_discovery_get_default_targets (void)
{
  return default_targets;
}

/**
 * menugen_discovery_probe_async:
 * @targets: (nullable): the ports to probe, ended by a target with port 0;
 *   %NULL probes the default ports on 127.0.0.1
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every probe has finished
 * @user_data: data for @callback
 *
 * Looks for image and vision servers on this computer, probing all targets
 * at once. Each probe sends a request that only its kind of server answers
 * as expected, and a port that replies with anything else is ignored.
 * Probes connect for at most 1 s and read for at most 2 s, and only
 * loopback addresses are contacted.
 */
void
menugen_discovery_probe_async (const MenugenDiscoveryTarget *targets,
                               GCancellable                 *cancellable,
                               GAsyncReadyCallback           callback,
                               gpointer                      user_data)
{
  g_autoptr(GTask) task = NULL;
  RunData *data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_discovery_probe_async);

  data = g_new0 (RunData, 1);
  data->found = g_ptr_array_new_with_free_func ((GDestroyNotify) found_server_free);
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);

  if (start_probes (task, targets != NULL ? targets : default_targets) == 0)
    g_task_return_boolean (task, TRUE);
}

/**
 * menugen_discovery_probe_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError, set only on cancellation
 *
 * Returns the back-ends ready to add: image servers first, then one
 * describe-then-draw configuration per vision server. Their ids are the
 * kind names; give each a fresh id before saving it.
 *
 * Returns: (transfer full) (element-type MenugenBackendConfig): the
 *   configurations, possibly none, or %NULL when cancelled
 */
GPtrArray *
menugen_discovery_probe_finish (GAsyncResult  *result,
                                GError       **error)
{
  RunData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_discovery_probe_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  data = g_task_get_task_data (G_TASK (result));
  return build_configs (data->found);
}
