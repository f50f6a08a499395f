#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Typed readers for parsed service replies. Each returns NULL (or FALSE)
 * for a missing container, a missing member or a value of another type,
 * because a reply may come from a proxy or a newer API version. The
 * results are owned by the JSON tree. */

JsonNode   *menugen_json_get_member          (JsonObject *object,
                                              const char *name);
const char *menugen_json_get_string          (JsonObject *object,
                                              const char *name);
JsonObject *menugen_json_get_object          (JsonObject *object,
                                              const char *name);
JsonArray  *menugen_json_get_array           (JsonObject *object,
                                              const char *name);
gboolean    menugen_json_get_boolean         (JsonObject *object,
                                              const char *name);

const char *menugen_json_node_get_string     (JsonNode   *node);
JsonObject *menugen_json_node_get_object     (JsonNode   *node);
JsonArray  *menugen_json_node_get_array      (JsonNode   *node);

JsonObject *menugen_json_root_object         (JsonNode   *root);
JsonObject *menugen_json_get_array_object    (JsonArray  *array,
                                              guint       index);
gboolean    menugen_json_array_contains_string (JsonArray  *array,
                                                const char *value);

G_END_DECLS
