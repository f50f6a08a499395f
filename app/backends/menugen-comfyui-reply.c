#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-comfyui-reply.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-json.h"

/* Lists of allowed values are cut after this many entries. */
#define MAX_LISTED_VALUES 8

/* Nodes with errors that one message describes. The others are only counted. */
#define MAX_DESCRIBED_NODES 3

/* Exception text quoted in a message is cut to this many characters. */
#define MAX_QUOTED_CHARS 300

void
menugen_comfyui_image_clear (MenugenComfyuiImage *image)
{
  g_clear_pointer (&image->filename, g_free);
  g_clear_pointer (&image->subfolder, g_free);
  g_clear_pointer (&image->type, g_free);
}

/* Shows a JSON value to the user: strings as they are, anything else as
 * compact JSON. */
static char *
value_to_text (JsonNode *value)
{
  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    return NULL;

  if (menugen_json_node_get_string (value) != NULL)
    return g_strdup (menugen_json_node_get_string (value));

  return json_to_string (value, FALSE);
}

/* Collapses the whitespace of server text into single spaces, cuts it to
 * a length that fits a dialog, and drops a final full stop so that the
 * text can end a sentence. */
static char *
quote_server_text (const char *text)
{
  g_autofree char *quoted = menugen_http_shorten_text (text, MAX_QUOTED_CHARS);
  gsize length = strlen (quoted);

  while (length > 0 && quoted[length - 1] == '.')
    quoted[--length] = '\0';

  return g_steal_pointer (&quoted);
}

static void
append_string_values (GPtrArray *values,
                      JsonArray *array)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      const char *value = menugen_json_node_get_string (json_array_get_element (array, i));

      if (value != NULL)
        g_ptr_array_add (values, g_strdup (value));
    }
}

/* Reads the allowed values from an input specification: [[values], {…}]
 * for classic nodes, ["COMBO", {"options": [values]}] for newer ones. */
static gboolean
read_spec_values (JsonNode  *spec,
                  GPtrArray *values)
{
  JsonArray *array;
  JsonNode *first;

  if (spec == NULL || !JSON_NODE_HOLDS_ARRAY (spec))
    return FALSE;

  array = json_node_get_array (spec);
  if (json_array_get_length (array) == 0)
    return FALSE;

  first = json_array_get_element (array, 0);
  if (JSON_NODE_HOLDS_ARRAY (first))
    {
      append_string_values (values, json_node_get_array (first));
      return TRUE;
    }

  if (g_strcmp0 (menugen_json_node_get_string (first), "COMBO") == 0 && json_array_get_length (array) > 1)
    {
      JsonNode *options = json_array_get_element (array, 1);

      if (JSON_NODE_HOLDS_OBJECT (options))
        {
          append_string_values (values, menugen_json_get_array (json_node_get_object (options), "options"));
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * menugen_comfyui_read_combo_values:
 * @object_info: the reply of GET /object_info/{class}
 * @class_type: the node class asked for
 * @input_name: a combo input of that class, such as "unet_name"
 * @has_class: (out) (optional): whether the server has the node class
 *   @class_type
 *
 * Returns: (transfer full): the allowed values exactly as the server lists
 *   them, folders kept; an empty list when the server has none
 */
char **
menugen_comfyui_read_combo_values (JsonNode   *object_info,
                                   const char *class_type,
                                   const char *input_name,
                                   gboolean   *has_class)
{
  JsonObject *info = menugen_json_get_object (menugen_json_root_object (object_info), class_type);
  JsonObject *inputs = menugen_json_get_object (info, "input");
  GPtrArray *values = g_ptr_array_new ();
  const char *groups[] = { "required", "optional" };

  if (has_class != NULL)
    *has_class = info != NULL;

  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      JsonObject *group = menugen_json_get_object (inputs, groups[i]);

      if (group != NULL && read_spec_values (json_object_get_member (group, input_name), values))
        break;
    }

  g_ptr_array_add (values, NULL);
  return (char **) g_ptr_array_free (values, FALSE);
}

/* Returns: the values joined by commas, cut after a few with "…" */
char *
menugen_comfyui_format_values (const char * const *values)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint count = values != NULL ? g_strv_length ((char **) values) : 0;

  for (guint i = 0; i < count && i < MAX_LISTED_VALUES; i++)
    {
      if (i > 0)
        g_string_append (text, ", ");
      g_string_append (text, values[i]);
    }

  if (count > MAX_LISTED_VALUES)
    g_string_append (text, ", …");

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const char *
base_name (const char *path)
{
  const char *slash = strrchr (path, '/');
  const char *backslash = strrchr (path, '\\');

  if (backslash != NULL && (slash == NULL || backslash > slash))
    slash = backslash;

  return slash != NULL ? slash + 1 : path;
}

/* A listed value with the same file name in some folder, which is what a
 * user who dropped the folder meant. */
static const char *
find_same_file_name (const char         *model,
                     const char * const *values)
{
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    if (g_str_equal (base_name (values[i]), base_name (model)))
      return values[i];

  return NULL;
}

/**
 * menugen_comfyui_model_error:
 * @model: the model file that the workflow would load
 * @class_type: the loader's class, such as "UNETLoader"
 * @input_name: the loader's input, such as "unet_name"
 * @values: the values that /object_info lists for that input
 *
 * Returns: (transfer full): %MENUGEN_ERROR_WORKFLOW_REJECTED naming @model
 *   and the values that the server accepts
 */
GError *
menugen_comfyui_model_error (const char         *model,
                             const char         *class_type,
                             const char         *input_name,
                             const char * const *values)
{
  g_autoptr(GString) message = g_string_new (NULL);
  g_autofree char *listed = NULL;
  const char *suggestion;

  if (values == NULL || values[0] == NULL)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                        _("The ComfyUI server has no files for %s (%s), so “%s” cannot be loaded. Put the model file into ComfyUI’s models folder and restart ComfyUI."),
                        class_type, input_name, model);

  g_string_append_printf (message, _("The ComfyUI server has no model “%s” for %s."), model, class_type);

  suggestion = find_same_file_name (model, values);
  if (suggestion != NULL)
    {
      g_string_append_c (message, ' ');
      g_string_append_printf (message, _("Did you mean “%s”?"), suggestion);
    }

  listed = menugen_comfyui_format_values (values);
  g_string_append_c (message, ' ');
  g_string_append_printf (message, _("Use a name exactly as the server lists it: %s."), listed);

  return g_error_new_literal (MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED, message->str);
}

/* Recovers the allowed values of a value_not_in_list error from its
 * details, "name: 'value' not in ['a', 'b']", when the server left out
 * input_config. */
static char **
parse_listed_values (const char *details)
{
  const char *start = details != NULL ? strstr (details, " not in [") : NULL;
  g_autofree char *inner = NULL;
  g_auto(GStrv) items = NULL;
  GPtrArray *values = g_ptr_array_new ();
  const char *end;

  if (start != NULL)
    {
      start += strlen (" not in [");
      end = strrchr (start, ']');
      inner = end != NULL ? g_strndup (start, end - start) : NULL;
    }

  items = inner != NULL && inner[0] != '\0' ? g_strsplit (inner, ", ", -1) : NULL;
  for (guint i = 0; items != NULL && items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      gsize length = strlen (item);

      if (length >= 2 && (item[0] == '\'' || item[0] == '"') && item[length - 1] == item[0])
        g_ptr_array_add (values, g_strndup (item + 1, length - 2));
      else
        g_ptr_array_add (values, g_strdup (item));
    }

  g_ptr_array_add (values, NULL);
  return (char **) g_ptr_array_free (values, FALSE);
}

static char *
describe_allowed_values (JsonObject *error)
{
  JsonObject *extra = menugen_json_get_object (error, "extra_info");
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) values = NULL;
  const char *details = menugen_json_get_string (error, "details");

  if (read_spec_values (extra != NULL ? json_object_get_member (extra, "input_config") : NULL, listed))
    {
      g_ptr_array_add (listed, NULL);
      values = (char **) g_ptr_array_steal (listed, NULL);
    }
  else if (details != NULL && strstr (details, "(list of length") != NULL)
    {
      return g_strdup (_("a long list, shown in ComfyUI"));
    }
  else
    {
      values = parse_listed_values (details);
    }

  if (values[0] == NULL)
    return g_strdup (_("the server lists none"));

  return menugen_comfyui_format_values ((const char * const *) values);
}

/* Joins an error's message and details for quoting, leaving out details
 * that only repeat @redundant, such as the input name. */
static char *
join_message (const char *message,
              const char *details,
              const char *redundant)
{
  g_autofree char *joined = NULL;

  if (details != NULL && details[0] != '\0' && g_strcmp0 (details, redundant) != 0
      && g_strcmp0 (details, message) != 0)
    joined = g_strdup_printf ("%s: %s", message != NULL ? message : "", details);
  else
    joined = g_strdup (message != NULL ? message : details);

  return quote_server_text (joined);
}

/* One sentence for one entry of node_errors[id].errors. */
static char *
describe_input_error (const char *node_id,
                      const char *class_type,
                      JsonObject *error)
{
  JsonObject *extra = menugen_json_get_object (error, "extra_info");
  const char *input = menugen_json_get_string (extra, "input_name");
  const char *message = menugen_json_get_string (error, "message");
  const char *details = menugen_json_get_string (error, "details");
  g_autofree char *problem = NULL;

  if (g_strcmp0 (menugen_json_get_string (error, "type"), "value_not_in_list") == 0 && input != NULL)
    {
      g_autofree char *received = value_to_text (json_object_get_member (extra, "received_value"));
      g_autofree char *allowed = describe_allowed_values (error);

      return g_strdup_printf (_("Node %s (%s), input %s: “%s” is not one of the allowed values (%s)."),
                              node_id, class_type, input, received != NULL ? received : "", allowed);
    }

  problem = join_message (message, details, input);

  if (input != NULL)
    return g_strdup_printf (_("Node %s (%s), input %s: %s."), node_id, class_type, input, problem);

  return g_strdup_printf (_("Node %s (%s): %s."), node_id, class_type, problem);
}

static gboolean
node_errors_name_missing_values (JsonObject *node_errors)
{
  g_autoptr(GList) ids = json_object_get_members (node_errors);

  for (GList *l = ids; l != NULL; l = l->next)
    {
      JsonArray *errors = menugen_json_get_array (menugen_json_get_object (node_errors, l->data), "errors");

      for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
        {
          JsonNode *error = json_array_get_element (errors, i);

          if (JSON_NODE_HOLDS_OBJECT (error)
              && g_strcmp0 (menugen_json_get_string (json_node_get_object (error), "type"), "value_not_in_list") == 0)
            return TRUE;
        }
    }

  return FALSE;
}

/**
 * menugen_comfyui_describe_node_errors:
 * @node_errors: the "node_errors" object of a /prompt reply
 *
 * Returns: (transfer full): one sentence per failing input of the first
 *   few nodes, naming node id, class_type, input and the allowed values
 */
char *
menugen_comfyui_describe_node_errors (JsonObject *node_errors)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GList) ids = json_object_get_members (node_errors);
  guint described = 0;

  for (GList *l = ids; l != NULL; l = l->next, described++)
    {
      JsonObject *node = menugen_json_get_object (node_errors, l->data);
      const char *class_type = menugen_json_get_string (node, "class_type");
      JsonArray *errors = menugen_json_get_array (node, "errors");

      if (described == MAX_DESCRIBED_NODES)
        {
          guint more = g_list_length (l);

          g_string_append_c (text, ' ');
          g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u more node has errors.",
                                                     "%u more nodes have errors.", more), more);
          break;
        }

      for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
        {
          JsonNode *error = json_array_get_element (errors, i);
          g_autofree char *sentence = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (error))
            continue;

          sentence = describe_input_error (l->data, class_type != NULL ? class_type : "?",
                                           json_node_get_object (error));
          if (text->len > 0)
            g_string_append_c (text, ' ');
          g_string_append (text, sentence);
        }
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static GError *
node_errors_error (const char *opening,
                   JsonObject *node_errors)
{
  g_autofree char *described = menugen_comfyui_describe_node_errors (node_errors);
  const char *advice;

  if (node_errors_name_missing_values (node_errors))
    advice = _("Put the missing files into ComfyUI’s models folder, or use values that the server lists.");
  else
    advice = _("Fix these inputs in ComfyUI and export the workflow again with “Export (API)”.");

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED, "%s %s %s", opening, described, advice);
}

/* Returns: (transfer full): %MENUGEN_ERROR_WORKFLOW_REJECTED naming a node
 * class that the server does not have */
GError *
menugen_comfyui_missing_node_error (const char *class_type,
                                    const char *node_id)
{
  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                      _("ComfyUI has no node type “%s” (node %s). Install the custom node that provides it, for example with ComfyUI-Manager, or update ComfyUI."),
                      class_type, node_id != NULL ? node_id : "?");
}

static GError *
missing_node_type_error (JsonObject *error)
{
  JsonObject *extra = menugen_json_get_object (error, "extra_info");
  const char *class_type = menugen_json_get_string (extra, "class_type");
  const char *node_id = menugen_json_get_string (extra, "node_id");
  g_autofree char *message = quote_server_text (menugen_json_get_string (error, "message"));

  if (class_type == NULL)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                        _("ComfyUI rejected the workflow: %s. Export it again from ComfyUI with “Export (API)”."),
                        message);

  return menugen_comfyui_missing_node_error (class_type, node_id);
}

/**
 * menugen_comfyui_prompt_error:
 * @reply: (nullable): the parsed body of a /prompt reply with status 400
 *
 * Reads error.type and node_errors, as ComfyUI's validate_prompt() writes
 * them.
 *
 * Returns: (transfer full): %MENUGEN_ERROR_WORKFLOW_REJECTED
 */
GError *
menugen_comfyui_prompt_error (JsonNode *reply)
{
  JsonObject *object = menugen_json_root_object (reply);
  JsonObject *error = menugen_json_get_object (object, "error");
  JsonObject *node_errors = menugen_json_get_object (object, "node_errors");
  const char *type = menugen_json_get_string (error, "type");
  const char *message = menugen_json_get_string (error, "message");
  const char *details = menugen_json_get_string (error, "details");
  g_autofree char *text = NULL;

  if (g_strcmp0 (type, "missing_node_type") == 0)
    return missing_node_type_error (error);

  if (node_errors != NULL && json_object_get_size (node_errors) > 0)
    return node_errors_error (_("ComfyUI rejected the workflow."), node_errors);

  /* Older ComfyUI versions sent "error" as a plain string, such as "no prompt". */
  if (message == NULL && error == NULL)
    message = menugen_json_get_string (object, "error");

  text = join_message (message != NULL ? message : _("no reason given"), details, NULL);
  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                      _("ComfyUI rejected the workflow (%s): %s. Check the workflow in ComfyUI."),
                      type != NULL ? type : "?", text);
}

static gboolean
output_has_errors (JsonObject *node_errors,
                   const char *output_node)
{
  g_autoptr(GList) ids = json_object_get_members (node_errors);

  for (GList *l = ids; l != NULL; l = l->next)
    {
      JsonObject *node = menugen_json_get_object (node_errors, l->data);

      if (menugen_json_array_contains_string (menugen_json_get_array (node, "dependent_outputs"), output_node))
        return TRUE;
    }

  return FALSE;
}

/**
 * menugen_comfyui_check_node_errors:
 * @reply: the parsed body of a /prompt reply with status 200
 * @output_node: (nullable): the SaveImage node whose image the job needs
 * @error: return location for a #GError
 *
 * ComfyUI queues a prompt when at least one output passed validation and
 * lists the failed ones in node_errors. The job only fails when the output
 * it needs is among them.
 *
 * Returns: %FALSE with %MENUGEN_ERROR_WORKFLOW_REJECTED when @output_node
 *   will not run
 */
gboolean
menugen_comfyui_check_node_errors (JsonNode    *reply,
                                   const char  *output_node,
                                   GError     **error)
{
  JsonObject *node_errors = menugen_json_get_object (menugen_json_root_object (reply), "node_errors");
  g_autofree char *opening = NULL;

  if (node_errors == NULL || output_node == NULL || !output_has_errors (node_errors, output_node))
    return TRUE;

  opening = g_strdup_printf (_("ComfyUI will not run the SaveImage node %s of the workflow."), output_node);
  g_propagate_error (error, node_errors_error (opening, node_errors));
  return FALSE;
}

static const char *
execution_advice (const char *exception_type,
                  const char *exception_message)
{
  g_autofree char *lower = g_ascii_strdown (exception_message != NULL ? exception_message : "", -1);

  /* PyTorch builds without kernels for the GPU's architecture fail with
   * "HIP error: invalid device function" in the first GPU node. */
  if (strstr (lower, "hip error") != NULL || strstr (lower, "hiperror") != NULL
      || strstr (lower, "rocm") != NULL)
    return _("Check that the ROCm and PyTorch build that runs ComfyUI supports this GPU, or choose a remote back-end in Preferences.");

  if ((exception_type != NULL && strstr (exception_type, "OutOfMemory") != NULL)
      || strstr (lower, "out of memory") != NULL)
    return _("The GPU ran out of memory. Close other programs that use the GPU, choose a smaller model file such as fp8 or GGUF, or choose a remote back-end in Preferences.");

  return _("The ComfyUI console shows the full error.");
}

/* The first non-empty line of an exception message, which names the
 * error. Later lines are hints and tracebacks for the console. */
static char *
first_line (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_strstrip (lines[i])[0] != '\0')
      return g_strdup (lines[i]);

  return g_strdup ("");
}

/**
 * menugen_comfyui_execution_error:
 * @data: the data of an execution_error event, from the WebSocket or from
 *   the history's status messages
 *
 * Returns: (transfer full): %MENUGEN_ERROR_EXECUTION_FAILED naming the node
 *   type and the first line of the exception, with advice for GPU failures
 */
GError *
menugen_comfyui_execution_error (JsonObject *data)
{
  const char *node_type = menugen_json_get_string (data, "node_type");
  const char *node_id = menugen_json_get_string (data, "node_id");
  const char *exception_type = menugen_json_get_string (data, "exception_type");
  const char *exception_message = menugen_json_get_string (data, "exception_message");
  g_autofree char *line = first_line (exception_message != NULL ? exception_message : exception_type);
  g_autofree char *quoted = quote_server_text (line);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_EXECUTION_FAILED,
                      _("ComfyUI failed while running %s (node %s): %s. %s"),
                      node_type != NULL ? node_type : "?", node_id != NULL ? node_id : "?",
                      quoted, execution_advice (exception_type, exception_message));
}

GError *
menugen_comfyui_interrupted_error (void)
{
  return g_error_new_literal (MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                              _("The ComfyUI job was interrupted before it saved an image, perhaps from ComfyUI’s own window. Try again."));
}

/* Looks through the status messages, [[event, data], …], for an event. */
static JsonObject *
find_status_message (JsonObject *status,
                     const char *event)
{
  JsonArray *messages = menugen_json_get_array (status, "messages");

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonNode *message = json_array_get_element (messages, i);
      JsonArray *pair = JSON_NODE_HOLDS_ARRAY (message) ? json_node_get_array (message) : NULL;

      if (pair != NULL && json_array_get_length (pair) == 2
          && g_strcmp0 (menugen_json_node_get_string (json_array_get_element (pair, 0)), event) == 0
          && JSON_NODE_HOLDS_OBJECT (json_array_get_element (pair, 1)))
        return json_node_get_object (json_array_get_element (pair, 1));
    }

  return NULL;
}

static GError *
history_error (JsonObject *status)
{
  JsonObject *execution_error = find_status_message (status, "execution_error");

  if (execution_error != NULL)
    return menugen_comfyui_execution_error (execution_error);

  if (find_status_message (status, "execution_interrupted") != NULL)
    return menugen_comfyui_interrupted_error ();

  return g_error_new_literal (MENUGEN_ERROR, MENUGEN_ERROR_EXECUTION_FAILED,
                              _("ComfyUI reported that the job failed but gave no reason. The ComfyUI console shows the full error."));
}

/* Takes the first image of @images, preferring type "output" over
 * previews. */
static gboolean
pick_image (JsonArray           *images,
            gboolean             outputs_only,
            MenugenComfyuiImage *image)
{
  for (guint i = 0; images != NULL && i < json_array_get_length (images); i++)
    {
      JsonNode *element = json_array_get_element (images, i);
      JsonObject *entry = menugen_json_node_get_object (element);
      const char *filename = menugen_json_get_string (entry, "filename");
      const char *type = menugen_json_get_string (entry, "type");
      const char *subfolder = menugen_json_get_string (entry, "subfolder");

      if (filename == NULL || (outputs_only && g_strcmp0 (type, "output") != 0))
        continue;

      image->filename = g_strdup (filename);
      image->subfolder = g_strdup (subfolder != NULL ? subfolder : "");
      image->type = g_strdup (type != NULL ? type : "output");
      return TRUE;
    }

  return FALSE;
}

static gboolean
pick_output (JsonObject          *outputs,
             const char          *output_node,
             MenugenComfyuiImage *image)
{
  g_autoptr(GList) ids = NULL;

  if (output_node != NULL
      && pick_image (menugen_json_get_array (menugen_json_get_object (outputs, output_node), "images"), FALSE, image))
    return TRUE;

  /* User workflows may save through another output node. */
  ids = outputs != NULL ? json_object_get_members (outputs) : NULL;
  for (GList *l = ids; l != NULL; l = l->next)
    if (pick_image (menugen_json_get_array (menugen_json_get_object (outputs, l->data), "images"), TRUE, image))
      return TRUE;

  for (GList *l = ids; l != NULL; l = l->next)
    if (pick_image (menugen_json_get_array (menugen_json_get_object (outputs, l->data), "images"), FALSE, image))
      return TRUE;

  return FALSE;
}

/**
 * menugen_comfyui_read_history:
 * @reply: the parsed body of GET /history/{prompt_id}
 * @prompt_id: the prompt asked for
 * @output_node: (nullable): the SaveImage node to take the image from
 * @image: (out caller-allocates): the image to download, on
 *   %MENUGEN_COMFYUI_HISTORY_IMAGE; clear it with
 *   menugen_comfyui_image_clear()
 * @error: return location for a #GError, set on
 *   %MENUGEN_COMFYUI_HISTORY_FAILED
 *
 * Returns: whether the prompt has finished, and how
 */
MenugenComfyuiHistory
menugen_comfyui_read_history (JsonNode            *reply,
                              const char          *prompt_id,
                              const char          *output_node,
                              MenugenComfyuiImage *image,
                              GError             **error)
{
  JsonObject *entry = menugen_json_get_object (menugen_json_root_object (reply), prompt_id);
  JsonObject *status;

  if (entry == NULL)
    return MENUGEN_COMFYUI_HISTORY_PENDING;

  status = menugen_json_get_object (entry, "status");
  if (g_strcmp0 (menugen_json_get_string (status, "status_str"), "error") == 0)
    {
      g_propagate_error (error, history_error (status));
      return MENUGEN_COMFYUI_HISTORY_FAILED;
    }

  if (!pick_output (menugen_json_get_object (entry, "outputs"), output_node, image))
    {
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                           _("ComfyUI finished the job without saving an image. Check that the workflow ends in a SaveImage node."));
      return MENUGEN_COMFYUI_HISTORY_FAILED;
    }

  return MENUGEN_COMFYUI_HISTORY_IMAGE;
}

static gboolean
queue_list_contains (JsonArray  *items,
                     const char *prompt_id)
{
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);

      /* Each item is [number, prompt_id, prompt, extra_data, outputs]. */
      if (JSON_NODE_HOLDS_ARRAY (item) && json_array_get_length (json_node_get_array (item)) > 1
          && g_strcmp0 (menugen_json_node_get_string (json_array_get_element (json_node_get_array (item), 1)),
                        prompt_id) == 0)
        return TRUE;
    }

  return FALSE;
}

/**
 * menugen_comfyui_queue_contains:
 * @reply: the parsed body of GET /queue
 * @prompt_id: the prompt to look for
 * @running: (out) (optional): whether it is the one running
 *
 * Returns: whether the prompt is running or waiting
 */
gboolean
menugen_comfyui_queue_contains (JsonNode   *reply,
                                const char *prompt_id,
                                gboolean   *running)
{
  JsonObject *object = menugen_json_root_object (reply);
  gboolean is_running = queue_list_contains (menugen_json_get_array (object, "queue_running"), prompt_id);

  if (running != NULL)
    *running = is_running;

  return is_running || queue_list_contains (menugen_json_get_array (object, "queue_pending"), prompt_id);
}
