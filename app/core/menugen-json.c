#include "config.h"

#include "core/menugen-json.h"

/* Returns the member @name of @object, or NULL when @object is NULL or has
 * no such member. */
JsonNode *
menugen_json_get_member (JsonObject *object,
                         const char *name)
{
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

const char *
menugen_json_node_get_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

JsonObject *
menugen_json_node_get_object (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
menugen_json_node_get_array (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

const char *
menugen_json_get_string (JsonObject *object,
                         const char *name)
{
  return menugen_json_node_get_string (menugen_json_get_member (object, name));
}

JsonObject *
menugen_json_get_object (JsonObject *object,
                         const char *name)
{
  return menugen_json_node_get_object (menugen_json_get_member (object, name));
}

JsonArray *
menugen_json_get_array (JsonObject *object,
                        const char *name)
{
  return menugen_json_node_get_array (menugen_json_get_member (object, name));
}

/* Returns TRUE only for a member that is the JSON value true. */
gboolean
menugen_json_get_boolean (JsonObject *object,
                          const char *name)
{
  JsonNode *node = menugen_json_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN
         && json_node_get_boolean (node);
}

/* Returns the object at the root of a parsed body, or NULL when @root is
 * NULL or another type. */
JsonObject *
menugen_json_root_object (JsonNode *root)
{
  return menugen_json_node_get_object (root);
}

/* Returns element @index of @array when it is an object, and NULL when
 * @array is NULL, has no such element, or has another type there. */
JsonObject *
menugen_json_get_array_object (JsonArray *array,
                               guint      index)
{
  if (array == NULL || index >= json_array_get_length (array))
    return NULL;

  return menugen_json_node_get_object (json_array_get_element (array, index));
}

gboolean
menugen_json_array_contains_string (JsonArray  *array,
                                    const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      const char *element = menugen_json_node_get_string (json_array_get_element (array, i));

      if (element != NULL && g_strcmp0 (element, value) == 0)
        return TRUE;
    }

  return FALSE;
}
