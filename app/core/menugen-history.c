/* renameat2() and RENAME_NOREPLACE are GNU extensions, in glibc since 2.28. */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "core/menugen-error.h"
#include "core/menugen-history.h"

#define TEMPORARY_PREFIX ".tmp-"
#define TEMPORARY_MAX_AGE_S (24 * 60 * 60)
#define RECORD_MAX_BYTES (16 * 1024 * 1024)
#define RECORD_VERSION 1
#define JOB_ID_MAX_LENGTH 100

struct _MenugenHistoryEntry
{
  GObject parent_instance;

  char *id;
  GFile *directory;
  GFile *photo_file;  /* NULL when the folder has no photo */
  GFile *result_file;
  GDateTime *created;
  char *backend_kind;
  char *backend_name;
  char *model;
  char *instruction;
  char *notes;
  char *photo_sha256;
  int result_width;
  int result_height;
};

struct _MenugenHistory
{
  GObject parent_instance;

  GFile *root;
};

G_DEFINE_FINAL_TYPE (MenugenHistoryEntry, menugen_history_entry, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (MenugenHistory, menugen_history, G_TYPE_OBJECT)

enum {
  ENTRY_PROP_0,
  ENTRY_PROP_ID,
  ENTRY_PROP_CREATED,
  ENTRY_PROP_BACKEND_KIND,
  ENTRY_PROP_BACKEND_NAME,
  ENTRY_PROP_MODEL,
  ENTRY_PROP_NOTES,
  ENTRY_PROP_INSTRUCTION,
  ENTRY_PROP_RESULT_FILE,
  ENTRY_PROP_PHOTO_FILE,
  N_ENTRY_PROPS
};

enum {
  PROP_0,
  PROP_ROOT,
  N_PROPS
};

static GParamSpec *entry_properties[N_ENTRY_PROPS];
static GParamSpec *properties[N_PROPS];

/* The string members of job.json that an entry reads. */
typedef struct {
  const char *finished;
  const char *backend_kind;
  const char *backend_name;
  const char *model;
  const char *instruction;
  const char *notes;
  const char *photo_sha256;
  int result_width;
  int result_height;
} RecordFields;

static const struct {
  const char *name;
  gboolean required;
  gsize offset;
} record_strings[] = {
  { "finished", TRUE, G_STRUCT_OFFSET (RecordFields, finished) },
  { "backend-kind", TRUE, G_STRUCT_OFFSET (RecordFields, backend_kind) },
  { "backend-name", FALSE, G_STRUCT_OFFSET (RecordFields, backend_name) },
  { "model", TRUE, G_STRUCT_OFFSET (RecordFields, model) },
  { "instruction", TRUE, G_STRUCT_OFFSET (RecordFields, instruction) },
  { "notes", FALSE, G_STRUCT_OFFSET (RecordFields, notes) },
  { "photo-sha256", FALSE, G_STRUCT_OFFSET (RecordFields, photo_sha256) },
};

static const char * const photo_file_names[] = { "photo.jpg", "photo.png" };

/* A record copied for a worker thread. The strings of @record point into
 * @strings. */
typedef struct {
  MenugenHistoryRecord record;
  GPtrArray *strings;
} OwnedRecord;

typedef struct {
  GPtrArray *entries;
  GPtrArray *problems;
} ListResult;

static void
list_result_free (ListResult *result)
{
  g_clear_pointer (&result->entries, g_ptr_array_unref);
  g_clear_pointer (&result->problems, g_ptr_array_unref);
  g_free (result);
}

static const char *
keep_string (OwnedRecord *owned,
             const char  *text)
{
  char *copy = g_strdup (text);

  if (copy != NULL)
    g_ptr_array_add (owned->strings, copy);

  return copy;
}

static OwnedRecord *
owned_record_new (const MenugenHistoryRecord *record)
{
  OwnedRecord *owned = g_new0 (OwnedRecord, 1);
  MenugenHistoryRecord *copy = &owned->record;

  owned->strings = g_ptr_array_new_with_free_func (g_free);
  *copy = *record;
  copy->job_id = keep_string (owned, record->job_id);
  copy->backend_kind = keep_string (owned, record->backend_kind);
  copy->backend_name = keep_string (owned, record->backend_name);
  copy->model = keep_string (owned, record->model);
  copy->instruction = keep_string (owned, record->instruction);
  copy->notes = keep_string (owned, record->notes);
  copy->photo_mime_type = keep_string (owned, record->photo_mime_type);
  copy->photo_sha256 = keep_string (owned, record->photo_sha256);
  copy->requested_aspect_ratio = keep_string (owned, record->requested_aspect_ratio);
  copy->started = record->started != NULL ? g_date_time_ref (record->started) : NULL;
  copy->finished = record->finished != NULL ? g_date_time_ref (record->finished) : NULL;
  copy->photo = record->photo != NULL ? g_bytes_ref (record->photo) : NULL;
  copy->result_png = record->result_png != NULL ? g_bytes_ref (record->result_png) : NULL;

  return owned;
}

static void
owned_record_free (OwnedRecord *owned)
{
  g_clear_pointer (&owned->record.started, g_date_time_unref);
  g_clear_pointer (&owned->record.finished, g_date_time_unref);
  g_clear_pointer (&owned->record.photo, g_bytes_unref);
  g_clear_pointer (&owned->record.result_png, g_bytes_unref);
  g_ptr_array_unref (owned->strings);
  g_free (owned);
}

static char *
display_name (GFile *file)
{
  return g_file_get_parse_name (file);
}

/* Keeps cancellation as it is, so callers can tell it apart, and turns
 * any other failure into one sentence that names @folder. */
static void
propagate_save_error (GError **error,
                      GFile   *folder,
                      GError  *cause)
{
  g_autofree char *name = display_name (folder);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, cause);
      return;
    }

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_EXISTS))
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                 _("The history folder %s already exists, so the new menu was not saved "
                   "over it. Use Save As to keep this menu."), name);
  else
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                 _("Saving the menu to the history folder %s failed (%s). Check that the "
                   "disk has free space and the folder is writable."),
                 name, cause->message);
  g_error_free (cause);
}

static void
propagate_list_error (GError **error,
                      GFile   *root,
                      GError  *cause)
{
  g_autofree char *name = display_name (root);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, cause);
      return;
    }

  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
               _("The history folder %s could not be read (%s). Check that it is a "
                 "folder you can read."),
               name, cause->message);
  g_error_free (cause);
}

static gboolean
is_valid_job_id (const char *id)
{
  gsize length = strlen (id);

  if (length == 0 || length > JOB_ID_MAX_LENGTH)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-' && id[i] != '_')
      return FALSE;

  return TRUE;
}

static const char *
photo_file_name_for (const char *mime_type)
{
  if (g_strcmp0 (mime_type, "image/jpeg") == 0)
    return "photo.jpg";

  if (g_strcmp0 (mime_type, "image/png") == 0)
    return "photo.png";

  return NULL;
}

/* Names that suggest a credential. A record is built from fixed member
 * names, so a match means a programming error, never user data. */
static const char *
find_secret_member (JsonObject *object)
{
  static const char * const secret_words[] = {
    "key", "token", "secret", "password", "authorization", "bearer", "credential",
  };
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *name = g_ascii_strdown (l->data, -1);

      for (guint i = 0; i < G_N_ELEMENTS (secret_words); i++)
        if (strstr (name, secret_words[i]) != NULL)
          return l->data;
    }

  return NULL;
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          GDateTime   *time)
{
  g_autofree char *text = NULL;

  if (time == NULL)
    return;

  text = g_date_time_format_iso8601 (time);
  add_string (builder, name, text);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         int          value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* Builds the job.json object. @finished is the record's end time, or the
 * time of saving when the record has none. */
static JsonNode *
build_record (const MenugenHistoryRecord *record,
              const char                 *job_id,
              const char                 *photo_name,
              GDateTime                  *finished)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_int (builder, "version", RECORD_VERSION);
  add_string (builder, "id", job_id);
  add_time (builder, "started", record->started);
  add_time (builder, "finished", finished);
  add_string (builder, "backend-kind", record->backend_kind);
  add_string (builder, "backend-name", record->backend_name);
  add_string (builder, "model", record->model != NULL ? record->model : "");
  add_string (builder, "instruction", record->instruction != NULL ? record->instruction : "");
  add_string (builder, "notes", record->notes);
  add_string (builder, "photo-file", photo_name);
  add_string (builder, "photo-mime-type", record->photo_mime_type);
  add_int (builder, "photo-width", record->photo_width);
  add_int (builder, "photo-height", record->photo_height);
  add_string (builder, "photo-sha256", record->photo_sha256);
  add_string (builder, "result-file", MENUGEN_HISTORY_RESULT_FILE);
  add_int (builder, "result-width", record->result_width);
  add_int (builder, "result-height", record->result_height);
  add_string (builder, "requested-aspect-ratio", record->requested_aspect_ratio);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static GBytes *
serialize_record (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  char *data;
  gsize length = 0;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  data = json_generator_to_data (generator, &length);

  return g_bytes_new_take (data, length);
}

static gboolean
write_file (GFile         *folder,
            const char    *name,
            GBytes        *contents,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GFile) file = g_file_get_child (folder, name);
  gsize size = 0;
  const char *data = g_bytes_get_data (contents, &size);

  return g_file_replace_contents (file, data, size, NULL, FALSE, G_FILE_CREATE_NONE,
                                  NULL, cancellable, error);
}

static gboolean delete_tree (GFile         *file,
                             GCancellable  *cancellable,
                             GError       **error);

static gboolean
delete_children (GFile         *folder,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (folder, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                        cancellable, error);
  if (children == NULL)
    return FALSE;

  while (TRUE)
    {
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (children, NULL, &child, cancellable, error))
        return FALSE;

      if (child == NULL)
        return TRUE;

      if (!delete_tree (child, cancellable, error))
        return FALSE;
    }
}

/* Removes @file and, for a folder, everything in it. The type is read
 * without following links, because enumerating a link to a folder would
 * delete the files it points to. */
static gboolean
delete_tree (GFile         *file,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (info == NULL)
    return FALSE;

  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY
      && !delete_children (file, cancellable, error))
    return FALSE;

  return g_file_delete (file, cancellable, error);
}

/* Moves @source to @destination unless @destination exists. renameat2()
 * checks and renames in one step. Where the file system does not support
 * it, g_file_move() checks first and renames after, which leaves a short
 * window in which two writers of the same id could race. */
static gboolean
rename_no_replace (GFile   *source,
                   GFile   *destination,
                   GError **error)
{
#ifdef RENAME_NOREPLACE
  const char *source_path = g_file_peek_path (source);
  const char *destination_path = g_file_peek_path (destination);

  if (source_path != NULL && destination_path != NULL)
    {
      int saved_errno;

      if (renameat2 (AT_FDCWD, source_path, AT_FDCWD, destination_path, RENAME_NOREPLACE) == 0)
        return TRUE;

      saved_errno = errno;
      if (saved_errno != EINVAL && saved_errno != ENOSYS)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "%s", g_strerror (saved_errno));
          return FALSE;
        }
    }
#endif

  return g_file_move (source, destination, G_FILE_COPY_NO_FALLBACK_FOR_MOVE,
                      NULL, NULL, NULL, error);
}

static GFile *
make_temporary_folder (GFile         *root,
                       const char    *job_id,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *name = g_strdup_printf (TEMPORARY_PREFIX "%s-%08x", job_id, g_random_int ());
  g_autoptr(GFile) folder = g_file_get_child (root, name);
  g_autoptr(GError) local_error = NULL;

  if (!g_file_make_directory_with_parents (root, cancellable, &local_error)
      && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (!g_file_make_directory (folder, cancellable, error))
    return NULL;

  return g_steal_pointer (&folder);
}

static gboolean
write_job_files (GFile                      *folder,
                 const MenugenHistoryRecord *record,
                 const char                 *photo_name,
                 JsonNode                   *node,
                 GCancellable               *cancellable,
                 GError                    **error)
{
  g_autoptr(GBytes) json = serialize_record (node);

  return write_file (folder, photo_name, record->photo, cancellable, error)
         && write_file (folder, MENUGEN_HISTORY_RESULT_FILE, record->result_png, cancellable, error)
         && write_file (folder, MENUGEN_HISTORY_RECORD_FILE, json, cancellable, error);
}

static gboolean
check_record (const MenugenHistoryRecord  *record,
              const char                  *job_id,
              const char                 **photo_name,
              GError                     **error)
{
  if (!is_valid_job_id (job_id))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The job id “%s” cannot name a history folder because it may only "
                     "contain letters, digits, “-” and “_”. Report this as a bug."), job_id);
      return FALSE;
    }

  *photo_name = photo_file_name_for (record->photo_mime_type);
  if (*photo_name == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The history keeps JPEG and PNG photos only, and this photo is %s. "
                     "Report this as a bug."), record->photo_mime_type);
      return FALSE;
    }

  return TRUE;
}

static GFileInfo *
query_child (GFile         *folder,
             const char    *name,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GFile) child = g_file_get_child (folder, name);

  return g_file_query_info (child, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
}

/* Checks that job.json exists as a regular file of a sane size before
 * anything reads it. */
static gboolean
check_record_file (GFile         *folder,
                   GFile         *file,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GFileInfo) info = NULL;

  info = query_child (folder, MENUGEN_HISTORY_RECORD_FILE, cancellable, &local_error);
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (info == NULL)
    {
      g_autofree char *folder_name = display_name (folder);

      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The history folder %s has no job.json, so its menu is not listed. "
                     "Delete the folder if you no longer need it."), folder_name);
      return FALSE;
    }

  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR
      || g_file_info_get_size (info) > RECORD_MAX_BYTES)
    {
      g_autofree char *name = display_name (file);

      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The history record %s is not a regular file of at most %d MB, so its "
                     "menu is not listed. Delete its folder if you no longer need it."),
                   name, RECORD_MAX_BYTES / (1024 * 1024));
      return FALSE;
    }

  return TRUE;
}

static JsonObject *
parse_record (GFile       *file,
              const char  *contents,
              gsize        length,
              GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = display_name (file);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The history record %s is not valid JSON (%s), so its menu is not "
                     "listed. Delete its folder if you no longer need it."),
                   name, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The history record %s does not contain a JSON object, so its menu is "
                     "not listed. Delete its folder if you no longer need it."), name);
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* Loads job.json of @folder as a JSON object, with one sentence for each
 * way it can be damaged. */
static JsonObject *
load_record (GFile         *folder,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GFile) file = g_file_get_child (folder, MENUGEN_HISTORY_RECORD_FILE);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!check_record_file (folder, file, cancellable, error))
    return NULL;

  if (!g_file_load_contents (file, cancellable, &contents, &length, NULL, &local_error))
    {
      g_autofree char *name = display_name (file);

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                     _("The history record %s could not be read (%s), so its menu is not "
                       "listed. Delete its folder if you no longer need it."),
                     name, local_error->message);
      return NULL;
    }

  return parse_record (file, contents, length, error);
}

static gboolean
read_string_member (JsonObject  *object,
                    const char  *name,
                    gboolean     required,
                    const char **out)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;

  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_size_member (JsonObject *object,
                  const char *name,
                  int        *out)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  value = json_node_get_int (node);
  if (value < 0 || value > G_MAXINT)
    return FALSE;

  *out = (int) value;
  return TRUE;
}

/* Returns: the name of the first missing or mistyped member, or NULL */
static const char *
read_fields (JsonObject   *object,
             RecordFields *fields)
{
  for (guint i = 0; i < G_N_ELEMENTS (record_strings); i++)
    {
      const char **field = G_STRUCT_MEMBER_P (fields, record_strings[i].offset);

      if (!read_string_member (object, record_strings[i].name, record_strings[i].required, field))
        return record_strings[i].name;
    }

  if (!read_size_member (object, "result-width", &fields->result_width))
    return "result-width";

  if (!read_size_member (object, "result-height", &fields->result_height))
    return "result-height";

  return NULL;
}

static gboolean
has_regular_file (GFile         *folder,
                  const char    *name,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GFileInfo) info = query_child (folder, name, cancellable, &local_error);

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_steal_pointer (&local_error));

  return info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR;
}

static GFile *
find_photo (GFile        *folder,
            GCancellable *cancellable)
{
  for (guint i = 0; i < G_N_ELEMENTS (photo_file_names); i++)
    if (has_regular_file (folder, photo_file_names[i], cancellable, NULL))
      return g_file_get_child (folder, photo_file_names[i]);

  return NULL;
}

static MenugenHistoryEntry *
entry_new (GFile         *folder,
           const char    *id,
           JsonObject    *object,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autoptr(GDateTime) created = NULL;
  g_autoptr(GError) local_error = NULL;
  RecordFields fields = { 0 };
  const char *bad_field = read_fields (object, &fields);

  if (bad_field == NULL)
    {
      created = g_date_time_new_from_iso8601 (fields.finished, NULL);
      if (created == NULL)
        bad_field = "finished";
    }

  if (bad_field != NULL)
    {
      g_autoptr(GFile) file = g_file_get_child (folder, MENUGEN_HISTORY_RECORD_FILE);
      g_autofree char *name = display_name (file);

      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The history record %s has no valid “%s” member, so its menu is not "
                     "listed. Delete its folder if you no longer need it."), name, bad_field);
      return NULL;
    }

  if (!has_regular_file (folder, MENUGEN_HISTORY_RESULT_FILE, cancellable, &local_error))
    {
      g_autofree char *name = display_name (folder);

      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                     _("The history folder %s has no result.png, so its menu is not listed. "
                       "Delete the folder if you no longer need it."), name);
      return NULL;
    }

  entry = g_object_new (MENUGEN_TYPE_HISTORY_ENTRY, NULL);
  entry->id = g_strdup (id);
  entry->directory = g_object_ref (folder);
  entry->result_file = g_file_get_child (folder, MENUGEN_HISTORY_RESULT_FILE);
  entry->photo_file = find_photo (folder, cancellable);
  entry->created = g_steal_pointer (&created);
  entry->backend_kind = g_strdup (fields.backend_kind);
  entry->backend_name = g_strdup (fields.backend_name);
  entry->model = g_strdup (fields.model);
  entry->instruction = g_strdup (fields.instruction);
  entry->notes = g_strdup (fields.notes);
  entry->photo_sha256 = g_strdup (fields.photo_sha256);
  entry->result_width = fields.result_width;
  entry->result_height = fields.result_height;

  return g_steal_pointer (&entry);
}

static MenugenHistoryEntry *
load_entry (GFile         *folder,
            const char    *id,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(JsonObject) object = load_record (folder, cancellable, error);

  if (object == NULL)
    return NULL;

  return entry_new (folder, id, object, cancellable, error);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  MenugenHistoryEntry *first = *(MenugenHistoryEntry **) a;
  MenugenHistoryEntry *second = *(MenugenHistoryEntry **) b;
  int order = g_date_time_compare (second->created, first->created);

  return order != 0 ? order : strcmp (second->id, first->id);
}

/* Removes a temporary folder left by a save that died more than a day
 * ago. Younger ones may belong to a save still running in another thread
 * or process, so they stay. */
static void
remove_stale_temporary (GFile        *folder,
                        GFileInfo    *info,
                        GCancellable *cancellable)
{
  g_autoptr(GDateTime) modified = g_file_info_get_modification_date_time (info);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;
  g_autofree char *name = display_name (folder);

  if (modified == NULL
      || g_date_time_difference (now, modified) < (GTimeSpan) TEMPORARY_MAX_AGE_S * G_TIME_SPAN_SECOND)
    return;

  if (delete_tree (folder, cancellable, &error))
    g_debug ("Removed the abandoned history folder %s", name);
  else
    g_message ("Could not remove the abandoned history folder %s: %s", name, error->message);
}

/* Adds the entry in @folder to @entries, or a sentence to @problems when
 * it is damaged. Fails only when cancelled. */
static gboolean
collect_entry (GFile         *folder,
               const char    *id,
               GPtrArray     *entries,
               GPtrArray     *problems,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  MenugenHistoryEntry *entry = load_entry (folder, id, cancellable, &local_error);

  if (entry != NULL)
    {
      g_ptr_array_add (entries, entry);
      return TRUE;
    }

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_debug ("Skipped the history entry %s: %s", id, local_error->message);
  g_ptr_array_add (problems, g_strdup (local_error->message));
  return TRUE;
}

static GPtrArray *
list_entries (GFile         *root,
              GPtrArray     *problems,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) local_error = NULL;

  children = g_file_enumerate_children (root,
                                        G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                        G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                        cancellable, &local_error);

  /* Before the first save the folder does not exist yet. */
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return g_steal_pointer (&entries);

  if (children == NULL)
    {
      propagate_list_error (error, root, g_steal_pointer (&local_error));
      return NULL;
    }

  while (TRUE)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;
      const char *name;

      if (!g_file_enumerator_iterate (children, &info, &child, cancellable, &local_error))
        {
          propagate_list_error (error, root, g_steal_pointer (&local_error));
          return NULL;
        }

      if (info == NULL)
        break;

      name = g_file_info_get_name (info);
      if (g_str_has_prefix (name, TEMPORARY_PREFIX))
        remove_stale_temporary (child, info, cancellable);

      if (name[0] == '.' || g_file_info_get_file_type (info) != G_FILE_TYPE_DIRECTORY)
        continue;

      if (!collect_entry (child, name, entries, problems, cancellable, error))
        return NULL;
    }

  g_ptr_array_sort (entries, compare_newest_first);
  return g_steal_pointer (&entries);
}

static gboolean
delete_entry (MenugenHistory       *self,
              MenugenHistoryEntry  *entry,
              GCancellable         *cancellable,
              GError              **error)
{
  g_autofree char *name = display_name (entry->directory);
  g_autofree char *basename = g_file_get_basename (entry->directory);
  g_autoptr(GError) local_error = NULL;

  /* An entry is a direct, visible child of the root. Anything else would
   * delete files that the history does not own. */
  if (!g_file_has_parent (entry->directory, self->root) || basename[0] == '.')
    {
      g_autofree char *root_name = display_name (self->root);

      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The folder %s is not an entry of the history folder %s, so it was not "
                     "deleted. Reload the history and try again."), name, root_name);
      return FALSE;
    }

  if (!delete_tree (entry->directory, cancellable, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                     _("Deleting the history folder %s failed (%s). Check that the folder "
                       "is writable and try again."), name, local_error->message);
      return FALSE;
    }

  g_debug ("Deleted history entry %s", entry->id);
  return TRUE;
}

static void
save_thread_cb (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  OwnedRecord *owned = task_data;
  GError *error = NULL;
  MenugenHistoryEntry *entry = menugen_history_save (source_object, &owned->record,
                                                     cancellable, &error);

  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, g_object_unref);
}

static void
list_thread_cb (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ListResult *result = g_new0 (ListResult, 1);
  GError *error = NULL;

  result->entries = menugen_history_list (source_object, &result->problems, cancellable, &error);

  if (result->entries == NULL)
    {
      list_result_free (result);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, result, (GDestroyNotify) list_result_free);
}

static void
delete_thread_cb (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;

  if (delete_entry (source_object, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
menugen_history_entry_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MenugenHistoryEntry *self = MENUGEN_HISTORY_ENTRY (object);

  switch (prop_id)
    {
    case ENTRY_PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case ENTRY_PROP_CREATED:
      g_value_set_boxed (value, self->created);
      break;

    case ENTRY_PROP_BACKEND_KIND:
      g_value_set_string (value, self->backend_kind);
      break;

    case ENTRY_PROP_BACKEND_NAME:
      g_value_set_string (value, self->backend_name);
      break;

    case ENTRY_PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case ENTRY_PROP_NOTES:
      g_value_set_string (value, self->notes);
      break;

    case ENTRY_PROP_INSTRUCTION:
      g_value_set_string (value, self->instruction);
      break;

    case ENTRY_PROP_RESULT_FILE:
      g_value_set_object (value, self->result_file);
      break;

    case ENTRY_PROP_PHOTO_FILE:
      g_value_set_object (value, self->photo_file);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_history_entry_dispose (GObject *object)
{
  MenugenHistoryEntry *self = MENUGEN_HISTORY_ENTRY (object);

  g_clear_object (&self->directory);
  g_clear_object (&self->photo_file);
  g_clear_object (&self->result_file);

  G_OBJECT_CLASS (menugen_history_entry_parent_class)->dispose (object);
}

static void
menugen_history_entry_finalize (GObject *object)
{
  MenugenHistoryEntry *self = MENUGEN_HISTORY_ENTRY (object);

  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->backend_kind, g_free);
  g_clear_pointer (&self->backend_name, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->instruction, g_free);
  g_clear_pointer (&self->notes, g_free);
  g_clear_pointer (&self->photo_sha256, g_free);

  G_OBJECT_CLASS (menugen_history_entry_parent_class)->finalize (object);
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
menugen_history_entry_class_init (MenugenHistoryEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = menugen_history_entry_get_property;
  object_class->dispose = menugen_history_entry_dispose;
  object_class->finalize = menugen_history_entry_finalize;

  entry_properties[ENTRY_PROP_ID] = string_property ("id");
  entry_properties[ENTRY_PROP_CREATED] =
    g_param_spec_boxed ("created", NULL, NULL, G_TYPE_DATE_TIME, flags);
  entry_properties[ENTRY_PROP_BACKEND_KIND] = string_property ("backend-kind");
  entry_properties[ENTRY_PROP_BACKEND_NAME] = string_property ("backend-name");
  entry_properties[ENTRY_PROP_MODEL] = string_property ("model");
  entry_properties[ENTRY_PROP_NOTES] = string_property ("notes");
  entry_properties[ENTRY_PROP_INSTRUCTION] = string_property ("instruction");
  entry_properties[ENTRY_PROP_RESULT_FILE] =
    g_param_spec_object ("result-file", NULL, NULL, G_TYPE_FILE, flags);
  entry_properties[ENTRY_PROP_PHOTO_FILE] =
    g_param_spec_object ("photo-file", NULL, NULL, G_TYPE_FILE, flags);

  g_object_class_install_properties (object_class, N_ENTRY_PROPS, entry_properties);
}

static void
menugen_history_entry_init (MenugenHistoryEntry *self)
{
}

static void
menugen_history_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MenugenHistory *self = MENUGEN_HISTORY (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_object (value, self->root);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_history_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MenugenHistory *self = MENUGEN_HISTORY (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_set_object (&self->root, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_history_dispose (GObject *object)
{
  MenugenHistory *self = MENUGEN_HISTORY (object);

  g_clear_object (&self->root);

  G_OBJECT_CLASS (menugen_history_parent_class)->dispose (object);
}

static void
menugen_history_class_init (MenugenHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = menugen_history_get_property;
  object_class->set_property = menugen_history_set_property;
  object_class->dispose = menugen_history_dispose;

  /**
   * MenugenHistory:root:
   *
   * Folder that contains one subfolder per saved job.
   */
  properties[PROP_ROOT] =
    g_param_spec_object ("root", NULL, NULL, G_TYPE_FILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
menugen_history_init (MenugenHistory *self)
{
}

/**
 * menugen_history_new:
 * @root: the folder that contains one subfolder per job; it need not exist
 *
 * Returns: (transfer full): a history stored under @root
 */
MenugenHistory *
menugen_history_new (GFile *root)
{
  g_return_val_if_fail (G_IS_FILE (root), NULL);

  return g_object_new (MENUGEN_TYPE_HISTORY, "root", root, NULL);
}

/**
 * menugen_history_new_default:
 *
 * Returns: (transfer full): the history in `$XDG_DATA_HOME/menugen/history`
 */
MenugenHistory *
menugen_history_new_default (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "menugen", "history", NULL);
  g_autoptr(GFile) root = g_file_new_for_path (path);

  return menugen_history_new (root);
}

/**
 * menugen_history_get_root:
 * @self: a #MenugenHistory
 *
 * Returns: (transfer none): the folder that contains the entries
 */
GFile *
menugen_history_get_root (MenugenHistory *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY (self), NULL);

  return self->root;
}

/**
 * menugen_history_check_writable:
 * @self: a #MenugenHistory
 * @error: return location for a #GError
 *
 * Creates the history folder if needed and a temporary folder in it, then
 * removes that again. A job calls this before it sends a request, so that
 * a paid result never arrives at a folder where it cannot be kept.
 *
 * Returns: %TRUE when new entries can be saved
 */
gboolean
menugen_history_check_writable (MenugenHistory  *self,
                                GError         **error)
{
  g_autoptr(GFile) probe = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (MENUGEN_IS_HISTORY (self), FALSE);

  probe = make_temporary_folder (self->root, "check", NULL, &local_error);
  if (probe != NULL && g_file_delete (probe, NULL, &local_error))
    return TRUE;

  name = display_name (self->root);
  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
               _("The history folder %s cannot be written (%s), so the request was not sent "
                 "because its result could not be kept. Make the folder writable or free some "
                 "disk space."),
               name, local_error->message);
  return FALSE;
}

/**
 * menugen_history_new_job_id:
 *
 * Makes an id of the form `YYYYMMDD-HHMMSS-` and 8 random hex digits, in
 * local time. The random part keeps two jobs of the same second apart,
 * and saving fails rather than replace an existing folder if two ids
 * ever collide.
 *
 * Returns: (transfer full): a new job id
 */
char *
menugen_history_new_job_id (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("%s-%08x", stamp, g_random_int ());
}

/**
 * menugen_history_save:
 * @self: a #MenugenHistory
 * @record: the finished job; @record->photo and @record->result_png are
 *   required, and a %NULL @record->job_id gets a new id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Writes the photo, the result and job.json into a hidden temporary
 * folder, then renames it to the job id. The folder named after the id
 * therefore appears complete or not at all, and an existing folder of
 * that name is never replaced. Blocks, so call it from a worker thread or
 * use menugen_history_save_async().
 *
 * Returns: (transfer full): the new entry, or %NULL with
 *   %G_IO_ERROR_CANCELLED or a %MENUGEN_ERROR_FAILED sentence
 */
MenugenHistoryEntry *
menugen_history_save (MenugenHistory             *self,
                      const MenugenHistoryRecord *record,
                      GCancellable               *cancellable,
                      GError                    **error)
{
  g_autofree char *job_id = NULL;
  g_autoptr(GDateTime) finished = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GFile) temporary = NULL;
  g_autoptr(GFile) folder = NULL;
  GError *local_error = NULL;
  const char *photo_name = NULL;

  g_return_val_if_fail (MENUGEN_IS_HISTORY (self), NULL);
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (record->photo != NULL, NULL);
  g_return_val_if_fail (record->result_png != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  job_id = record->job_id != NULL ? g_strdup (record->job_id) : menugen_history_new_job_id ();
  if (!check_record (record, job_id, &photo_name, error))
    return NULL;

  finished = record->finished != NULL ? g_date_time_ref (record->finished)
                                      : g_date_time_new_now_local ();
  node = build_record (record, job_id, photo_name, finished);

  /* No member may carry a credential, whatever a later edit adds. */
  g_assert (find_secret_member (json_node_get_object (node)) == NULL);

  folder = g_file_get_child (self->root, job_id);
  temporary = make_temporary_folder (self->root, job_id, cancellable, &local_error);
  if (temporary == NULL)
    {
      propagate_save_error (error, self->root, local_error);
      return NULL;
    }

  if (!write_job_files (temporary, record, photo_name, node, cancellable, &local_error)
      || !rename_no_replace (temporary, folder, &local_error))
    {
      g_autoptr(GError) cleanup_error = NULL;

      /* Cleans up even after cancellation, so no cancellable here. */
      if (!delete_tree (temporary, NULL, &cleanup_error))
        g_message ("Could not remove the temporary history folder of job %s: %s",
                   job_id, cleanup_error->message);

      propagate_save_error (error, folder, local_error);
      return NULL;
    }

  g_debug ("Saved history entry %s", job_id);
  return entry_new (folder, job_id, json_node_get_object (node), cancellable, error);
}

void
menugen_history_save_async (MenugenHistory             *self,
                            const MenugenHistoryRecord *record,
                            GCancellable               *cancellable,
                            GAsyncReadyCallback         callback,
                            gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MENUGEN_IS_HISTORY (self));
  g_return_if_fail (record != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_history_save_async);
  g_task_set_task_data (task, owned_record_new (record), (GDestroyNotify) owned_record_free);
  g_task_run_in_thread (task, save_thread_cb);
}

MenugenHistoryEntry *
menugen_history_save_finish (MenugenHistory *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_history_save_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * menugen_history_list:
 * @self: a #MenugenHistory
 * @problems: (out) (optional) (transfer full): a new array with one
 *   sentence per damaged entry that was skipped, or %NULL on failure
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads every entry, newest first. Hidden folders are skipped, and
 * temporary folders of saves older than a day are removed. Blocks, so
 * call it from a worker thread or use menugen_history_list_async().
 *
 * Returns: (transfer full) (element-type MenugenHistoryEntry): the
 *   entries, empty when the root does not exist yet, or %NULL when the
 *   root cannot be read or the call was cancelled
 */
GPtrArray *
menugen_history_list (MenugenHistory  *self,
                      GPtrArray      **problems,
                      GCancellable    *cancellable,
                      GError         **error)
{
  g_autoptr(GPtrArray) found_problems = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *entries;

  g_return_val_if_fail (MENUGEN_IS_HISTORY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  entries = list_entries (self->root, found_problems, cancellable, error);

  if (problems != NULL)
    *problems = entries != NULL ? g_steal_pointer (&found_problems) : NULL;

  return entries;
}

void
menugen_history_list_async (MenugenHistory     *self,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MENUGEN_IS_HISTORY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_history_list_async);
  g_task_run_in_thread (task, list_thread_cb);
}

/**
 * menugen_history_list_finish:
 * @self: a #MenugenHistory
 * @result: the #GAsyncResult
 * @problems: (out) (optional) (transfer full): one sentence per damaged
 *   entry that was skipped
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type MenugenHistoryEntry): as
 *   menugen_history_list() returns
 */
GPtrArray *
menugen_history_list_finish (MenugenHistory *self,
                             GAsyncResult   *result,
                             GPtrArray     **problems,
                             GError        **error)
{
  ListResult *list;
  GPtrArray *entries;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_history_list_async, NULL);

  list = g_task_propagate_pointer (G_TASK (result), error);
  if (list == NULL)
    return NULL;

  entries = g_steal_pointer (&list->entries);
  if (problems != NULL)
    *problems = g_steal_pointer (&list->problems);

  list_result_free (list);
  return entries;
}

/**
 * menugen_history_delete:
 * @self: a #MenugenHistory
 * @entry: an entry of @self
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes the entry's folder with everything in it. A folder that is not
 * a direct child of the root is rejected and left alone. Blocks, so call
 * it from a worker thread or use menugen_history_delete_async().
 *
 * Returns: %TRUE once the folder is gone
 */
gboolean
menugen_history_delete (MenugenHistory       *self,
                        MenugenHistoryEntry  *entry,
                        GCancellable         *cancellable,
                        GError              **error)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return delete_entry (self, entry, cancellable, error);
}

void
menugen_history_delete_async (MenugenHistory      *self,
                              MenugenHistoryEntry *entry,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MENUGEN_IS_HISTORY (self));
  g_return_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_history_delete_async);
  g_task_set_task_data (task, g_object_ref (entry), g_object_unref);
  g_task_run_in_thread (task, delete_thread_cb);
}

gboolean
menugen_history_delete_finish (MenugenHistory *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_history_delete_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
menugen_history_entry_get_id (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->id;
}

GFile *
menugen_history_entry_get_directory (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->directory;
}

/**
 * menugen_history_entry_get_photo_file:
 * @self: a #MenugenHistoryEntry
 *
 * Returns: (transfer none) (nullable): the prepared photo that was sent,
 *   or %NULL when the folder has none
 */
GFile *
menugen_history_entry_get_photo_file (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->photo_file;
}

GFile *
menugen_history_entry_get_result_file (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->result_file;
}

/**
 * menugen_history_entry_get_created:
 * @self: a #MenugenHistoryEntry
 *
 * Returns: (transfer none): when the job finished
 */
GDateTime *
menugen_history_entry_get_created (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->created;
}

const char *
menugen_history_entry_get_backend_kind (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->backend_kind;
}

const char *
menugen_history_entry_get_backend_name (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->backend_name;
}

const char *
menugen_history_entry_get_model (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->model;
}

const char *
menugen_history_entry_get_instruction (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->instruction;
}

const char *
menugen_history_entry_get_notes (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->notes;
}

const char *
menugen_history_entry_get_photo_sha256 (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), NULL);

  return self->photo_sha256;
}

int
menugen_history_entry_get_result_width (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), 0);

  return self->result_width;
}

int
menugen_history_entry_get_result_height (MenugenHistoryEntry *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (self), 0);

  return self->result_height;
}
