#include "config.h"

#include <glib/gi18n.h>

#include "backends/menugen-comfyui-workflow.h"
#include "core/menugen-error.h"

#define BUILTIN_RESOURCE_PATH "/com/example/Menugen/workflows/"

/* Exported API workflows are a few hundred kilobytes at most, so a much
 * larger file is the wrong file and is not read to the end. */
#define MAX_WORKFLOW_BYTES ((gsize) 16 * 1024 * 1024)

/* How many primitive nodes a text input may pass through before the string
 * that contains the instruction is reached. */
#define MAX_TEXT_LINK_HOPS 4

typedef struct {
  const char *class_type;
  const char *input;
} NodeInput;

/* Text encoders and the input that carries the instruction. */
static const NodeInput text_encoders[] = {
  { "TextEncodeQwenImageEditPlus", "prompt" },
  { "TextEncodeQwenImageEdit", "prompt" },
  { "CLIPTextEncode", "text" },
  { NULL, NULL },
};

/* Samplers and guiders, with the input that carries the positive
 * conditioning back to the prompt encoder. */
static const NodeInput samplers[] = {
  { "KSampler", "positive" },
  { "KSamplerAdvanced", "positive" },
  { "SamplerCustom", "positive" },
  { "CFGGuider", "positive" },
  { "DualCFGGuider", "cond1" },
  { "BasicGuider", "conditioning" },
  { NULL, NULL },
};

static const NodeInput seed_inputs[] = {
  { "KSampler", "seed" },
  { "KSamplerAdvanced", "noise_seed" },
  { "SamplerCustom", "noise_seed" },
  { "RandomNoise", "noise_seed" },
  { NULL, NULL },
};

/* Loaders of the main model file. UnetLoaderGGUF comes from the
 * ComfyUI-GGUF custom nodes, common for quantised models. */
static const NodeInput model_loaders[] = {
  { "UNETLoader", "unet_name" },
  { "CheckpointLoaderSimple", "ckpt_name" },
  { "UnetLoaderGGUF", "unet_name" },
  { NULL, NULL },
};

/* String inputs of primitive nodes (PrimitiveStringMultiline and similar)
 * that feed a text encoder through a link. */
static const char * const text_value_inputs[] = { "value", "text", "string", "prompt", NULL };

static const char * const builtin_names[] = { "qwen-image-edit", "flux-kontext", NULL };

struct _MenugenComfyuiWorkflow {
  char *name;
  JsonNode *graph;
  char *image_node;
  char *text_node;
  char *text_input;
  char *seed_node;
  const char *seed_input;
  char *loader_node;
  const NodeInput *loader;
  char *save_node;
};

/**
 * menugen_comfyui_workflow_builtin_names:
 *
 * Returns: (transfer none): the names of the workflows shipped as resources
 */
const char * const *
menugen_comfyui_workflow_builtin_names (void)
{
  return builtin_names;
}

void
menugen_comfyui_workflow_free (MenugenComfyuiWorkflow *self)
{
  if (self == NULL)
    return;

  g_free (self->name);
  g_clear_pointer (&self->graph, json_node_unref);
  g_free (self->image_node);
  g_free (self->text_node);
  g_free (self->text_input);
  g_free (self->seed_node);
  g_free (self->loader_node);
  g_free (self->save_node);
  g_free (self);
}

static const NodeInput *
lookup_node_input (const NodeInput *table,
                   const char      *class_type)
{
  if (class_type == NULL)
    return NULL;

  for (guint i = 0; table[i].class_type != NULL; i++)
    if (g_str_equal (table[i].class_type, class_type))
      return &table[i];

  return NULL;
}

static JsonObject *
graph_object (MenugenComfyuiWorkflow *self)
{
  return json_node_get_object (self->graph);
}

static JsonObject *
get_node (JsonObject *graph,
          const char *node_id)
{
  JsonNode *node = json_object_get_member (graph, node_id);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonObject *
get_inputs (JsonObject *graph,
            const char *node_id)
{
  JsonObject *node = get_node (graph, node_id);
  JsonNode *inputs = node != NULL ? json_object_get_member (node, "inputs") : NULL;

  return inputs != NULL && JSON_NODE_HOLDS_OBJECT (inputs) ? json_node_get_object (inputs) : NULL;
}

static const char *
get_class (JsonObject *graph,
           const char *node_id)
{
  JsonObject *node = get_node (graph, node_id);
  JsonNode *class_type = node != NULL ? json_object_get_member (node, "class_type") : NULL;

  if (class_type == NULL || !JSON_NODE_HOLDS_VALUE (class_type)
      || json_node_get_value_type (class_type) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (class_type);
}

static gboolean
input_is_string (JsonObject *inputs,
                 const char *name)
{
  JsonNode *value = inputs != NULL ? json_object_get_member (inputs, name) : NULL;

  return value != NULL && JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING;
}

static gboolean
input_is_number (JsonObject *inputs,
                 const char *name)
{
  JsonNode *value = inputs != NULL ? json_object_get_member (inputs, name) : NULL;

  return value != NULL && JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64;
}

/* A link in API format is [source_node_id, output_index]. */
static const char *
link_source (JsonNode *value)
{
  JsonArray *array;
  JsonNode *first;

  if (value == NULL || !JSON_NODE_HOLDS_ARRAY (value))
    return NULL;

  array = json_node_get_array (value);
  if (json_array_get_length (array) != 2)
    return NULL;

  first = json_array_get_element (array, 0);
  if (!JSON_NODE_HOLDS_VALUE (first) || json_node_get_value_type (first) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (first);
}

static char *
find_first_node (JsonObject      *graph,
                 const NodeInput *table)
{
  g_autoptr(GList) ids = json_object_get_members (graph);

  for (GList *l = ids; l != NULL; l = l->next)
    if (lookup_node_input (table, get_class (graph, l->data)) != NULL)
      return g_strdup (l->data);

  return NULL;
}

static char *
find_node_of_class (JsonObject *graph,
                    const char *class_type)
{
  g_autoptr(GList) ids = json_object_get_members (graph);

  for (GList *l = ids; l != NULL; l = l->next)
    if (g_strcmp0 (get_class (graph, l->data), class_type) == 0)
      return g_strdup (l->data);

  return NULL;
}

static gboolean
reject_node (const char  *name,
             const char  *node_id,
             GError     **error)
{
  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
               _("The workflow “%s” is not in the ComfyUI API format because node “%s” has no class_type or inputs. Export it from ComfyUI with “Export (API)”."),
               name, node_id);
  return FALSE;
}

static gboolean
check_graph (const char  *name,
             JsonObject  *graph,
             GError     **error)
{
  g_autoptr(GList) ids = json_object_get_members (graph);

  if (ids == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                   _("The workflow “%s” contains no nodes. Export it from ComfyUI with “Export (API)”."),
                   name);
      return FALSE;
    }

  for (GList *l = ids; l != NULL; l = l->next)
    if (get_class (graph, l->data) == NULL || get_inputs (graph, l->data) == NULL)
      return reject_node (name, l->data, error);

  return TRUE;
}

/* Finds the API-format graph in a parsed file: the bare graph, or the body
 * of a /prompt request that wraps it in "prompt". */
static JsonNode *
extract_graph (const char  *name,
               JsonNode    *root,
               GError     **error)
{
  JsonObject *object;
  JsonNode *prompt;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                   _("The workflow “%s” is not in the ComfyUI API format. Export it from ComfyUI with “Export (API)”."),
                   name);
      return NULL;
    }

  object = json_node_get_object (root);
  if (json_object_has_member (object, "nodes") && json_object_has_member (object, "links"))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                   _("The workflow “%s” is in the ComfyUI editor format, not the API format. Export it from ComfyUI with “Export (API)” and choose that file."),
                   name);
      return NULL;
    }

  prompt = json_object_get_member (object, "prompt");
  if (prompt != NULL && JSON_NODE_HOLDS_OBJECT (prompt))
    return json_node_ref (prompt);

  return json_node_ref (root);
}

static void
find_fixed_nodes (MenugenComfyuiWorkflow *self)
{
  JsonObject *graph = graph_object (self);
  g_autofree char *seed_node = find_first_node (graph, seed_inputs);

  if (seed_node != NULL)
    {
      const NodeInput *seed = lookup_node_input (seed_inputs, get_class (graph, seed_node));

      /* A seed that comes through a link belongs to the workflow's author. */
      if (input_is_number (get_inputs (graph, seed_node), seed->input))
        {
          self->seed_node = g_steal_pointer (&seed_node);
          self->seed_input = seed->input;
        }
    }

  self->loader_node = find_first_node (graph, model_loaders);
  if (self->loader_node != NULL)
    self->loader = lookup_node_input (model_loaders, get_class (graph, self->loader_node));

  self->save_node = find_node_of_class (graph, "SaveImage");
}

/**
 * menugen_comfyui_workflow_new_from_data:
 * @name: the name used in messages: a built-in name or a file name
 * @data: the JSON text of an API-format workflow
 * @length: length of @data
 * @error: return location for a #GError
 *
 * Parses a workflow exported with "Export (API)", either the bare graph or
 * a whole /prompt request body, and finds its sampler seed, model loader
 * and SaveImage node.
 *
 * Returns: (transfer full): the workflow, or %NULL with
 *   %MENUGEN_ERROR_WORKFLOW_REJECTED
 */
MenugenComfyuiWorkflow *
menugen_comfyui_workflow_new_from_data (const char  *name,
                                        const char  *data,
                                        gsize        length,
                                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(MenugenComfyuiWorkflow) self = NULL;
  g_autoptr(JsonNode) graph = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  if (!json_parser_load_from_data (parser, data, length, NULL) || json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                   _("The workflow “%s” is not valid JSON. Export it from ComfyUI with “Export (API)” and choose the file again."),
                   name);
      return NULL;
    }

  graph = extract_graph (name, json_parser_get_root (parser), error);
  if (graph == NULL || !check_graph (name, json_node_get_object (graph), error))
    return NULL;

  self = g_new0 (MenugenComfyuiWorkflow, 1);
  self->name = g_strdup (name);
  self->graph = g_steal_pointer (&graph);
  find_fixed_nodes (self);

  return g_steal_pointer (&self);
}

static gboolean
read_more_cb (const char *file_contents,
              goffset     file_size,
              gpointer    user_data)
{
  return (gsize) file_size <= MAX_WORKFLOW_BYTES;
}

static void
load_file_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = g_file_get_basename (G_FILE (source));
  g_autofree char *path = g_file_get_parse_name (G_FILE (source));
  MenugenComfyuiWorkflow *workflow;
  gsize length = 0;

  if (!g_file_load_partial_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                                 _("The workflow file “%s” could not be read: %s. Choose an API-format workflow exported from ComfyUI, or the built-in qwen-image-edit or flux-kontext."),
                                 path, error->message);
      return;
    }

  if (length > MAX_WORKFLOW_BYTES)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                               _("The workflow file “%s” is larger than 16 MB, so it is not a ComfyUI workflow. Choose the file that “Export (API)” wrote."),
                               path);
      return;
    }

  workflow = menugen_comfyui_workflow_new_from_data (name, contents, length, &error);
  if (workflow == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, workflow, (GDestroyNotify) menugen_comfyui_workflow_free);
}

static void
load_builtin (GTask      *task,
              const char *name)
{
  g_autofree char *path = g_strconcat (BUILTIN_RESOURCE_PATH, name, ".json", NULL);
  g_autoptr(GBytes) data = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  MenugenComfyuiWorkflow *workflow;

  /* The resource is compiled into the program, so only a broken build
   * misses it. */
  g_assert (data != NULL);

  workflow = menugen_comfyui_workflow_new_from_data (name, g_bytes_get_data (data, NULL),
                                                     g_bytes_get_size (data), &error);
  if (workflow == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, workflow, (GDestroyNotify) menugen_comfyui_workflow_free);
}

/**
 * menugen_comfyui_workflow_load_async:
 * @workflow: (nullable): "" or %NULL for the default, a built-in name from
 *   menugen_comfyui_workflow_builtin_names(), or the path of an exported
 *   API-format workflow
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the workflow is parsed
 * @user_data: data for @callback
 */
void
menugen_comfyui_workflow_load_async (const char          *workflow,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GFile) file = NULL;

  g_task_set_source_tag (task, menugen_comfyui_workflow_load_async);

  if (workflow == NULL || workflow[0] == '\0')
    workflow = MENUGEN_COMFYUI_DEFAULT_WORKFLOW;

  if (g_strv_contains (builtin_names, workflow))
    {
      load_builtin (task, workflow);
      return;
    }

  file = g_file_new_for_commandline_arg (workflow);
  g_file_load_partial_contents_async (file, cancellable, read_more_cb, load_file_cb, g_steal_pointer (&task));
}

MenugenComfyuiWorkflow *
menugen_comfyui_workflow_load_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
first_text_value_input (JsonObject *inputs)
{
  for (guint i = 0; text_value_inputs[i] != NULL; i++)
    if (json_object_has_member (inputs, text_value_inputs[i]))
      return text_value_inputs[i];

  return NULL;
}

/* Follows a text input through links to primitive nodes until it reaches
 * the string that contains the text. */
static gboolean
resolve_text_input (JsonObject  *graph,
                    const char  *node_id,
                    const char  *input,
                    char       **target_node,
                    char       **target_input)
{
  for (int hop = 0; hop <= MAX_TEXT_LINK_HOPS && node_id != NULL; hop++)
    {
      JsonObject *inputs = get_inputs (graph, node_id);

      if (inputs == NULL)
        return FALSE;

      /* On a primitive node reached through a link, take its text input. */
      if (input == NULL)
        input = first_text_value_input (inputs);
      if (input == NULL)
        return FALSE;

      if (input_is_string (inputs, input))
        {
          *target_node = g_strdup (node_id);
          *target_input = g_strdup (input);
          return TRUE;
        }

      node_id = link_source (json_object_get_member (inputs, input));
      input = NULL;
    }

  return FALSE;
}

/* Walks the graph backwards from @start, breadth first, to the nearest
 * text encoder, which is the one whose conditioning reaches the sampler. */
static char *
search_encoder (JsonObject *graph,
                const char *start)
{
  g_autoptr(GHashTable) visited = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GQueue) queue = g_queue_new ();

  g_queue_push_tail (queue, (gpointer) start);
  g_hash_table_add (visited, (gpointer) start);

  while (!g_queue_is_empty (queue))
    {
      const char *node_id = g_queue_pop_head (queue);
      JsonObject *inputs = get_inputs (graph, node_id);
      g_autoptr(GList) names = NULL;

      if (lookup_node_input (text_encoders, get_class (graph, node_id)) != NULL)
        return g_strdup (node_id);

      names = inputs != NULL ? json_object_get_members (inputs) : NULL;
      for (GList *l = names; l != NULL; l = l->next)
        {
          const char *source = link_source (json_object_get_member (inputs, l->data));

          if (source != NULL && get_node (graph, source) != NULL && !g_hash_table_contains (visited, source))
            {
              g_hash_table_add (visited, (gpointer) source);
              g_queue_push_tail (queue, (gpointer) source);
            }
        }
    }

  return NULL;
}

static char *
find_single_encoder (JsonObject *graph)
{
  g_autoptr(GList) ids = json_object_get_members (graph);
  const char *found = NULL;

  for (GList *l = ids; l != NULL; l = l->next)
    if (lookup_node_input (text_encoders, get_class (graph, l->data)) != NULL)
      {
        if (found != NULL)
          return NULL;
        found = l->data;
      }

  return g_strdup (found);
}

static char *
find_prompt_encoder (JsonObject *graph)
{
  g_autoptr(GList) ids = json_object_get_members (graph);

  for (GList *l = ids; l != NULL; l = l->next)
    {
      const NodeInput *sampler = lookup_node_input (samplers, get_class (graph, l->data));
      const char *start;
      char *encoder;

      if (sampler == NULL)
        continue;

      start = link_source (json_object_get_member (get_inputs (graph, l->data), sampler->input));
      if (start == NULL || get_node (graph, start) == NULL)
        continue;

      encoder = search_encoder (graph, start);
      if (encoder != NULL)
        return encoder;
    }

  /* Without a sampler to follow, a lone encoder is unambiguous. */
  return find_single_encoder (graph);
}

static gboolean
reject_missing_id (MenugenComfyuiWorkflow  *self,
                   const char              *node_id,
                   GError                 **error)
{
  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
               _("The workflow “%s” has no node with the id “%s”. Check the node ids set for the photo and the instruction."),
               self->name, node_id);
  return FALSE;
}

static gboolean
find_image_node (MenugenComfyuiWorkflow  *self,
                 const char              *override,
                 GError                 **error)
{
  JsonObject *graph = graph_object (self);

  if (override != NULL && override[0] != '\0')
    {
      if (get_node (graph, override) == NULL)
        return reject_missing_id (self, override, error);

      if (!json_object_has_member (get_inputs (graph, override), "image"))
        {
          g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                       _("Node %s (%s) in the workflow “%s” has no image input, so it cannot load the photo. Set the id of a LoadImage node instead."),
                       override, get_class (graph, override), self->name);
          return FALSE;
        }

      g_free (self->image_node);
      self->image_node = g_strdup (override);
      return TRUE;
    }

  g_free (self->image_node);
  self->image_node = find_node_of_class (graph, "LoadImage");
  if (self->image_node == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                   _("The workflow “%s” has no LoadImage node to take the photo. Add one in ComfyUI and export the workflow again, or set the id of the node that loads the photo."),
                   self->name);
      return FALSE;
    }

  return TRUE;
}

/* The input of @node_id that takes text: the known one for a text encoder,
 * otherwise the first of the usual names that the node has. */
static const char *
choose_text_input (JsonObject *graph,
                   const char *node_id)
{
  const NodeInput *encoder = lookup_node_input (text_encoders, get_class (graph, node_id));
  JsonObject *inputs = get_inputs (graph, node_id);

  if (encoder != NULL)
    return encoder->input;

  return first_text_value_input (inputs);
}

static gboolean
find_text_target (MenugenComfyuiWorkflow  *self,
                  const char              *node_id,
                  GError                 **error)
{
  JsonObject *graph = graph_object (self);
  const char *input = choose_text_input (graph, node_id);
  g_autofree char *target_node = NULL;
  g_autofree char *target_input = NULL;

  if (input == NULL || !resolve_text_input (graph, node_id, input, &target_node, &target_input))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                   _("Node %s (%s) in the workflow “%s” has no text input that Menugen can fill in. Set the id of the node that holds the instruction text, such as a CLIPTextEncode node."),
                   node_id, get_class (graph, node_id), self->name);
      return FALSE;
    }

  g_free (self->text_node);
  g_free (self->text_input);
  self->text_node = g_steal_pointer (&target_node);
  self->text_input = g_steal_pointer (&target_input);
  return TRUE;
}

static gboolean
find_prompt_node (MenugenComfyuiWorkflow  *self,
                  const char              *override,
                  GError                 **error)
{
  JsonObject *graph = graph_object (self);
  g_autofree char *encoder = NULL;

  if (override != NULL && override[0] != '\0')
    {
      if (get_node (graph, override) == NULL)
        return reject_missing_id (self, override, error);

      return find_text_target (self, override, error);
    }

  encoder = find_prompt_encoder (graph);
  if (encoder == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                   _("The workflow “%s” has no prompt node that feeds the sampler’s positive input (TextEncodeQwenImageEditPlus, TextEncodeQwenImageEdit or CLIPTextEncode). Add one, or set the id of the node that takes the instruction."),
                   self->name);
      return FALSE;
    }

  return find_text_target (self, encoder, error);
}

/**
 * menugen_comfyui_workflow_find_nodes:
 * @self: a workflow
 * @image_node_id: (nullable): id of the node that loads the photo; found
 *   by class_type (the first LoadImage) when %NULL or empty
 * @prompt_node_id: (nullable): id of the node that takes the instruction;
 *   when %NULL or empty, the text encoder that feeds the sampler's
 *   positive input
 * @error: return location for a #GError
 *
 * A text input that is linked to a primitive string node is followed to
 * that node, so the instruction lands where the workflow keeps its text.
 *
 * Returns: %TRUE when both nodes were found, otherwise %FALSE with
 *   %MENUGEN_ERROR_WORKFLOW_REJECTED naming what is missing
 */
gboolean
menugen_comfyui_workflow_find_nodes (MenugenComfyuiWorkflow  *self,
                                     const char              *image_node_id,
                                     const char              *prompt_node_id,
                                     GError                 **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return find_image_node (self, image_node_id, error)
         && find_prompt_node (self, prompt_node_id, error);
}

const char *
menugen_comfyui_workflow_get_name (MenugenComfyuiWorkflow *self)
{
  return self->name;
}

/* Returns: (transfer none): the graph, node id → {class_type, inputs} */
JsonNode *
menugen_comfyui_workflow_get_graph (MenugenComfyuiWorkflow *self)
{
  return self->graph;
}

const char *
menugen_comfyui_workflow_get_class_type (MenugenComfyuiWorkflow *self,
                                         const char             *node_id)
{
  return node_id != NULL ? get_class (graph_object (self), node_id) : NULL;
}

const char *
menugen_comfyui_workflow_get_image_node (MenugenComfyuiWorkflow *self)
{
  return self->image_node;
}

/* The node whose string input receives the instruction: the text encoder,
 * or the primitive node that feeds it. */
const char *
menugen_comfyui_workflow_get_prompt_node (MenugenComfyuiWorkflow *self)
{
  return self->text_node;
}

const char *
menugen_comfyui_workflow_get_seed_node (MenugenComfyuiWorkflow *self)
{
  return self->seed_node;
}

const char *
menugen_comfyui_workflow_get_save_node (MenugenComfyuiWorkflow *self)
{
  return self->save_node;
}

const char *
menugen_comfyui_workflow_get_loader_node (MenugenComfyuiWorkflow *self)
{
  return self->loader_node;
}

const char *
menugen_comfyui_workflow_get_loader_class (MenugenComfyuiWorkflow *self)
{
  return self->loader != NULL ? self->loader->class_type : NULL;
}

const char *
menugen_comfyui_workflow_get_loader_input (MenugenComfyuiWorkflow *self)
{
  return self->loader != NULL ? self->loader->input : NULL;
}

/* Returns: the model file that the loader node names, or %NULL when there
 * is no loader or its input comes through a link */
const char *
menugen_comfyui_workflow_get_model (MenugenComfyuiWorkflow *self)
{
  JsonObject *inputs;

  if (self->loader_node == NULL)
    return NULL;

  inputs = get_inputs (graph_object (self), self->loader_node);
  if (!input_is_string (inputs, self->loader->input))
    return NULL;

  return json_object_get_string_member (inputs, self->loader->input);
}

/* Sets LoadImage's input to the name that /upload/image returned, with
 * its "subfolder/" prefix. */
void
menugen_comfyui_workflow_set_image (MenugenComfyuiWorkflow *self,
                                    const char             *stored_name)
{
  g_return_if_fail (self->image_node != NULL);

  json_object_set_string_member (get_inputs (graph_object (self), self->image_node), "image", stored_name);
}

void
menugen_comfyui_workflow_set_prompt (MenugenComfyuiWorkflow *self,
                                     const char             *text)
{
  g_return_if_fail (self->text_node != NULL);

  json_object_set_string_member (get_inputs (graph_object (self), self->text_node), self->text_input, text);
}

/* ComfyUI takes seeds up to 2^64 - 1 but JSON integers here are signed, so
 * the top bit is dropped. A workflow without a literal seed is left as it is. */
void
menugen_comfyui_workflow_set_seed (MenugenComfyuiWorkflow *self,
                                   guint64                 seed)
{
  if (self->seed_node == NULL)
    return;

  json_object_set_int_member (get_inputs (graph_object (self), self->seed_node), self->seed_input,
                              (gint64) (seed & G_MAXINT64));
}

/* Puts @model into the loader's file input exactly as given, folders kept. */
void
menugen_comfyui_workflow_set_model (MenugenComfyuiWorkflow *self,
                                    const char             *model)
{
  if (self->loader_node == NULL)
    return;

  json_object_set_string_member (get_inputs (graph_object (self), self->loader_node), self->loader->input, model);
}
