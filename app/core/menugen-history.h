#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MENUGEN_TYPE_HISTORY_ENTRY (menugen_history_entry_get_type ())
G_DECLARE_FINAL_TYPE (MenugenHistoryEntry, menugen_history_entry, MENUGEN, HISTORY_ENTRY, GObject)

#define MENUGEN_TYPE_HISTORY (menugen_history_get_type ())
G_DECLARE_FINAL_TYPE (MenugenHistory, menugen_history, MENUGEN, HISTORY, GObject)

/**
 * MenugenHistoryRecord:
 *
 * Everything a finished job leaves behind. The folder gets
 * `photo.jpg` (or `.png`), `result.png` and `job.json`; no key is ever
 * part of a record.
 */
typedef struct {
  const char *job_id;
  const char *backend_kind;
  const char *backend_name;
  const char *model;
  const char *instruction;
  const char *notes;
  GDateTime *started;
  GDateTime *finished;
  GBytes *photo;
  const char *photo_mime_type;
  const char *photo_sha256;
  int photo_width;
  int photo_height;
  GBytes *result_png;
  int result_width;
  int result_height;
  const char *requested_aspect_ratio;
} MenugenHistoryRecord;

#define MENUGEN_HISTORY_RECORD_FILE "job.json"
#define MENUGEN_HISTORY_RESULT_FILE "result.png"

MenugenHistory      *menugen_history_new            (GFile *root);
MenugenHistory      *menugen_history_new_default    (void);
GFile               *menugen_history_get_root       (MenugenHistory *self);
char                *menugen_history_new_job_id     (void);
gboolean             menugen_history_check_writable (MenugenHistory  *self,
                                                     GError         **error);

MenugenHistoryEntry *menugen_history_save           (MenugenHistory             *self,
                                                     const MenugenHistoryRecord *record,
                                                     GCancellable               *cancellable,
                                                     GError                    **error);
void                 menugen_history_save_async     (MenugenHistory             *self,
                                                     const MenugenHistoryRecord *record,
                                                     GCancellable               *cancellable,
                                                     GAsyncReadyCallback         callback,
                                                     gpointer                    user_data);
MenugenHistoryEntry *menugen_history_save_finish    (MenugenHistory *self,
                                                     GAsyncResult   *result,
                                                     GError        **error);

/* Lists entries newest first. Damaged entries are skipped, and when
 * @problems is not NULL it receives a new array with one sentence for each. */
void                 menugen_history_list_async     (MenugenHistory     *self,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
GPtrArray           *menugen_history_list_finish    (MenugenHistory *self,
                                                     GAsyncResult   *result,
                                                     GPtrArray     **problems,
                                                     GError        **error);
GPtrArray           *menugen_history_list           (MenugenHistory *self,
                                                     GPtrArray     **problems,
                                                     GCancellable   *cancellable,
                                                     GError        **error);

gboolean             menugen_history_delete         (MenugenHistory       *self,
                                                     MenugenHistoryEntry  *entry,
                                                     GCancellable         *cancellable,
                                                     GError              **error);
void                 menugen_history_delete_async   (MenugenHistory      *self,
                                                     MenugenHistoryEntry *entry,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean             menugen_history_delete_finish  (MenugenHistory *self,
                                                     GAsyncResult   *result,
                                                     GError        **error);

const char *menugen_history_entry_get_id            (MenugenHistoryEntry *self);
GFile      *menugen_history_entry_get_directory     (MenugenHistoryEntry *self);
GFile      *menugen_history_entry_get_photo_file    (MenugenHistoryEntry *self);
GFile      *menugen_history_entry_get_result_file   (MenugenHistoryEntry *self);
GDateTime  *menugen_history_entry_get_created       (MenugenHistoryEntry *self);
const char *menugen_history_entry_get_backend_kind  (MenugenHistoryEntry *self);
const char *menugen_history_entry_get_backend_name  (MenugenHistoryEntry *self);
const char *menugen_history_entry_get_model         (MenugenHistoryEntry *self);
const char *menugen_history_entry_get_instruction   (MenugenHistoryEntry *self);
const char *menugen_history_entry_get_notes         (MenugenHistoryEntry *self);
const char *menugen_history_entry_get_photo_sha256  (MenugenHistoryEntry *self);
int         menugen_history_entry_get_result_width  (MenugenHistoryEntry *self);
int         menugen_history_entry_get_result_height (MenugenHistoryEntry *self);

G_END_DECLS
