#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend.h"
#include "backends/menugen-discovery.h"
#include "backends/menugen-job.h"
#include "core/menugen-config.h"
#include "core/menugen-error.h"
#include "core/menugen-history.h"
#include "core/menugen-http.h"
#include "core/menugen-instruction.h"
#include "core/menugen-secrets.h"
#include "ui/menugen-drag.h"
#include "ui/menugen-history-list.h"
#include "ui/menugen-print.h"
#include "ui/menugen-reopen.h"
#include "ui/menugen-variants.h"
#include "ui/menugen-window.h"

/* Well above the size of a phone camera's JPEG. The cap keeps a link to
 * a video or an archive from filling memory. */
#define MAX_DOWNLOAD_BYTES ((gsize) 40 * 1024 * 1024)
#define DOWNLOAD_READ_TIMEOUT_S 60
#define TICK_INTERVAL_MS 200
#define MAX_QUOTED_TEXT_CHARS 60
/* How long a closed window keeps the application running while its job
 * stops. ComfyUI's stop takes at most its 3 s connect and 5 s read
 * timeouts. */
#define STOP_GRACE_S 10

struct _MenugenWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkWidget *content_box;
  AdwWindowTitle *window_title;
  GtkDropDown *backend_dropdown;
  GtkWidget *generate_button;
  GtkRevealer *error_revealer;
  GtkLabel *error_label;
  GtkWidget *retry_button;
  GtkWidget *preferences_button;
  GtkWidget *setup_button;
  AdwFlap *history_flap;
  MenugenHistoryList *history_list;
  GtkStack *stack;
  GtkPicture *photo_picture;
  GtkLabel *photo_info_label;
  MenugenViewer *viewer;
  MenugenVariants *variants;
  GtkExpander *notes_expander;
  GtkLabel *notes_label;
  GtkToggleButton *show_menu_button;
  GtkToggleButton *show_photo_button;
  GtkButton *zoom_button;
  GtkRevealer *progress_revealer;
  GtkLabel *stage_label;
  GtkProgressBar *progress_bar;
  GtkWidget *cancel_button;

  GSettings *settings;
  MenugenHistory *history;
  GPtrArray *backends;            /* MenugenBackendConfig, in the drop-down's order */
  GPtrArray *discovered;          /* MenugenBackendConfig found on a first run, not yet added */

  MenugenPhoto *photo;
  GdkTexture *photo_texture;

  GCancellable *load_cancellable; /* set while a photo loads */
  GCancellable *job_cancellable;  /* set while a menu is generated */
  GCancellable *cancellable;      /* short tasks that only closing the window stops */
  MenugenJob *job;
  char *busy_text;
  guint tick_id;

  MenugenHistoryEntry *entry;
  GdkTexture *result_texture;

  GtkFileChooserNative *file_chooser;
  GFile *save_folder;             /* where the last Save As went */

  /* Set from closing the window during a job until that job has stopped. */
  GApplication *stopping_application;
  MenugenJob *stopping_job;       /* compared only, never dereferenced */
  guint stopping_timeout_id;

  GtkDropTarget *drop_target;
  gboolean drop_hovering;         /* from "enter" until "leave" or "drop" */
};

G_DEFINE_FINAL_TYPE (MenugenWindow, menugen_window, ADW_TYPE_APPLICATION_WINDOW)

/* One asynchronous step started by the window. It keeps the window
 * alive, and its cancellable tells the callback whether the window still
 * wants the answer. A cancelled one means the user moved on or the window
 * closed. */
typedef struct {
  MenugenWindow *self;
  GCancellable *cancellable;
  char *name;
  char *source;   /* the file or link that a failed load names, if any */
  SoupMessage *message;
  MenugenBackendConfig *config;
} Operation;

static Operation *
operation_new (MenugenWindow *self,
               GCancellable  *cancellable,
               const char    *name)
{
  Operation *operation = g_new0 (Operation, 1);

  operation->self = g_object_ref (self);
  operation->cancellable = g_object_ref (cancellable);
  operation->name = g_strdup (name);

  return operation;
}

static void
operation_free (Operation *operation)
{
  g_object_unref (operation->self);
  g_object_unref (operation->cancellable);
  g_free (operation->name);
  g_free (operation->source);
  g_clear_object (&operation->message);
  g_clear_pointer (&operation->config, menugen_backend_config_free);
  g_free (operation);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Operation, operation_free)

static gboolean
operation_is_abandoned (Operation *operation)
{
  return g_cancellable_is_cancelled (operation->cancellable);
}

static void
cancel_and_clear (GCancellable **cancellable)
{
  if (*cancellable != NULL)
    g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
}

/* Abandons the running job, if any. Its callbacks see the cancelled
 * cancellable and leave the window alone. */
static void
stop_job (MenugenWindow *self)
{
  cancel_and_clear (&self->job_cancellable);
  g_clear_object (&self->job);
}

static gboolean
is_generating (MenugenWindow *self)
{
  return self->job_cancellable != NULL;
}

static gboolean
is_loading (MenugenWindow *self)
{
  return self->load_cancellable != NULL;
}

static gboolean
app_has_action (MenugenWindow *self,
                const char    *name)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  return application != NULL
         && g_action_map_lookup_action (G_ACTION_MAP (application), name) != NULL;
}

static void
update_zoom_label (MenugenWindow *self)
{
  g_autofree char *label = NULL;

  if (menugen_viewer_get_fit (self->viewer))
    label = g_strdup (_("Best Fit"));
  else
    /* Translators: a zoom level such as "150 %" */
    label = g_strdup_printf (_("%.0f %%"), menugen_viewer_get_zoom (self->viewer) * 100);

  gtk_button_set_label (self->zoom_button, label);
}

static void
update_actions (MenugenWindow *self)
{
  MenugenWindowState state = menugen_window_get_state (self);
  gboolean result = state == MENUGEN_WINDOW_STATE_RESULT;
  GtkWidget *widget = GTK_WIDGET (self);

  gtk_widget_action_set_enabled (widget, "win.open", !is_generating (self));
  gtk_widget_action_set_enabled (widget, "win.paste", !is_generating (self));
  gtk_widget_action_set_enabled (widget, "win.generate", self->photo != NULL && state != MENUGEN_WINDOW_STATE_BUSY);
  gtk_widget_action_set_enabled (widget, "win.retry", self->photo != NULL && state != MENUGEN_WINDOW_STATE_BUSY);
  gtk_widget_action_set_enabled (widget, "win.cancel", state == MENUGEN_WINDOW_STATE_BUSY);
  gtk_widget_action_set_enabled (widget, "win.save-as", result && self->entry != NULL);
  gtk_widget_action_set_enabled (widget, "win.copy", result);
  gtk_widget_action_set_enabled (widget, "win.print", result);
  gtk_widget_action_set_enabled (widget, "win.compare", result && self->photo_texture != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->show_photo_button), self->photo_texture != NULL);
  gtk_widget_action_set_enabled (widget, "win.zoom-in", result);
  gtk_widget_action_set_enabled (widget, "win.zoom-out", result);
  gtk_widget_action_set_enabled (widget, "win.zoom-fit", result);
  gtk_widget_action_set_enabled (widget, "win.zoom-original", result);
  gtk_widget_action_set_enabled (widget, "win.zoom-toggle", result);
  gtk_widget_set_sensitive (GTK_WIDGET (self->backend_dropdown), !is_generating (self));
}

static void
update_page (MenugenWindow *self)
{
  const char *page = "empty";

  if (self->result_texture != NULL && !is_generating (self))
    page = "result";
  else if (self->photo != NULL)
    page = "photo";

  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
update_progress (MenugenWindow *self)
{
  g_autofree char *text = NULL;
  double fraction = -1;

  if (self->job != NULL)
    {
      text = menugen_job_describe_stage (self->job);
      fraction = menugen_job_get_fraction (self->job);
    }
  else
    text = g_strdup (self->busy_text != NULL ? self->busy_text : "");

  if (g_strcmp0 (gtk_label_get_text (self->stage_label), text) != 0)
    gtk_label_set_text (self->stage_label, text);

  if (fraction >= 0)
    gtk_progress_bar_set_fraction (self->progress_bar, MIN (fraction, 1.0));
  else
    gtk_progress_bar_pulse (self->progress_bar);
}

static gboolean
tick_cb (gpointer user_data)
{
  update_progress (MENUGEN_WINDOW (user_data));

  return G_SOURCE_CONTINUE;
}

/* Shows or hides the progress area and sets pages and actions to match
 * the window's state. Every change of state ends here. */
static void
update_state (MenugenWindow *self)
{
  gboolean busy = is_loading (self) || is_generating (self);

  if (busy && self->tick_id == 0)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      self->tick_id = g_timeout_add (TICK_INTERVAL_MS, tick_cb, self);
    }
  else if (!busy)
    g_clear_handle_id (&self->tick_id, g_source_remove);

  if (busy)
    update_progress (self);

  gtk_revealer_set_reveal_child (self->progress_revealer, busy);
  update_page (self);
  update_actions (self);
}

static void
set_busy_text (MenugenWindow *self,
               const char    *text)
{
  g_free (self->busy_text);
  self->busy_text = g_strdup (text);
}

static void
hide_error (MenugenWindow *self)
{
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
}

static gboolean
error_needs_preferences (const GError *error)
{
  return g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND)
         || g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY)
         || g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY)
         || g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_INSECURE)
         || g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_LOCAL_ONLY);
}

static void
show_message (MenugenWindow *self,
              const char    *message)
{
  g_autoptr(GError) error = g_error_new_literal (MENUGEN_ERROR, MENUGEN_ERROR_FAILED, message);

  menugen_window_show_error (self, error, FALSE);
}

static void
show_toast (MenugenWindow *self,
            const char    *title)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

/* Cuts text that is quoted back to the user to a readable length. */
static char *
quote_text (const char *text)
{
  g_autofree char *line = g_strstrip (g_strdup (text));
  char *newline = strchr (line, '\n');

  if (newline != NULL)
    *newline = '\0';

  if (g_utf8_strlen (line, -1) <= MAX_QUOTED_TEXT_CHARS)
    return g_steal_pointer (&line);

  {
    g_autofree char *start = g_utf8_substring (line, 0, MAX_QUOTED_TEXT_CHARS);

    return g_strconcat (start, "…", NULL);
  }
}

static void
clear_result (MenugenWindow *self)
{
  g_clear_object (&self->entry);
  g_clear_object (&self->result_texture);
  menugen_viewer_set_paintable (self->viewer, NULL);
  menugen_viewer_set_compare_paintable (self->viewer, NULL);
  menugen_variants_set_current (self->variants, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->notes_expander), FALSE);
}

static void
set_photo (MenugenWindow *self,
           MenugenPhoto  *photo,
           const char    *name)
{
  g_autofree char *description = menugen_photo_describe (photo);

  clear_result (self);
  g_set_object (&self->photo, photo);
  g_clear_object (&self->photo_texture);
  self->photo_texture = gdk_texture_new_for_pixbuf (menugen_photo_get_pixbuf (photo));

  gtk_picture_set_paintable (self->photo_picture, GDK_PAINTABLE (self->photo_texture));
  gtk_label_set_text (self->photo_info_label, description);
  adw_window_title_set_subtitle (self->window_title, name != NULL ? name : "");

  g_debug ("Photo %s ready: %s", name != NULL ? name : "(unnamed)", description);
}

/* Starts loading a new photo. A load or a job that is still running is
 * abandoned, and the current photo stays until the new one is ready. */
static GCancellable *
begin_load (MenugenWindow *self,
            const char    *busy_text)
{
  cancel_and_clear (&self->load_cancellable);
  stop_job (self);

  self->load_cancellable = g_cancellable_new ();
  set_busy_text (self, busy_text);
  hide_error (self);
  update_state (self);

  return self->load_cancellable;
}

/* Shows why a photo did not load. Photo preparation writes "the file"
 * without a name, which leaves the user guessing when several files
 * arrive at once, so the file name or link goes in front unless the
 * message already contains it or the link's host. */
static void
show_load_error (MenugenWindow *self,
                 Operation     *operation,
                 const GError  *error)
{
  const char *source = operation->source;
  g_autoptr(GError) named = NULL;

  if (source == NULL || strstr (error->message, source) != NULL
      || (operation->name != NULL && strstr (error->message, operation->name) != NULL))
    {
      menugen_window_show_error (self, error, FALSE);
      return;
    }

  /* Translators: a file name or link, then why it could not be opened */
  named = g_error_new (error->domain, error->code, _("“%s”: %s"), source, error->message);
  menugen_window_show_error (self, named, FALSE);
}

static void
finish_load (Operation    *operation,
             MenugenPhoto *photo,
             const GError *error)
{
  MenugenWindow *self = operation->self;

  g_clear_object (&self->load_cancellable);

  if (photo == NULL)
    {
      g_debug ("Could not load photo %s: %s", operation->name, error->message);
      show_load_error (self, operation, error);
    }
  else
    set_photo (self, photo, operation->name);

  update_state (self);
}

static void
photo_prepared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = menugen_photo_prepare_finish (result, &error);

  if (operation_is_abandoned (operation))
    return;

  finish_load (operation, photo, error);
}

static void
photo_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = menugen_photo_load_finish (result, &error);

  if (operation_is_abandoned (operation))
    return;

  finish_load (operation, photo, error);
}

static void
prepare_bytes (Operation *operation,
               GBytes    *bytes)
{
  MenugenPhotoLimits limits;

  menugen_photo_limits_init_default (&limits);
  set_busy_text (operation->self, _("Preparing the photo…"));
  update_progress (operation->self);
  menugen_photo_prepare_async (bytes, &limits, operation->cancellable, photo_prepared_cb, operation);
}

static void
encode_texture_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GBytes *png = gdk_texture_save_to_png_bytes (GDK_TEXTURE (task_data));

  if (png == NULL)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE, "%s",
                               _("Could not read the dropped or pasted image. Save it as a file and open that file."));
      return;
    }

  g_task_return_pointer (task, png, (GDestroyNotify) g_bytes_unref);
}

static void
texture_encoded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = g_task_propagate_pointer (G_TASK (result), &error);

  if (operation_is_abandoned (operation))
    return;

  if (png == NULL)
    {
      finish_load (operation, NULL, error);
      return;
    }

  prepare_bytes (g_steal_pointer (&operation), png);
}

/* Copies any texture into memory on the main thread, because only a
 * memory texture may be read from a worker thread (a GL texture needs
 * its context). */
static GdkTexture *
to_memory_texture (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  guchar *pixels;
  g_autoptr(GBytes) bytes = NULL;

  if (GDK_IS_MEMORY_TEXTURE (texture))
    return g_object_ref (texture);

  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  bytes = g_bytes_new_take (pixels, stride * height);

  return gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, bytes, stride);
}

static void
photo_downloaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);
  guint status;

  if (operation_is_abandoned (operation))
    return;

  if (body == NULL)
    {
      finish_load (operation, NULL, error);
      return;
    }

  status = soup_message_get_status (operation->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autoptr(GError) status_error =
        g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                     _("The server %s answered HTTP %u to the image link. Check the link, or save the image and open the file."),
                     operation->name, status);

      finish_load (operation, NULL, status_error);
      return;
    }

  prepare_bytes (g_steal_pointer (&operation), body);
}

static void
download_photo (MenugenWindow *self,
                const char    *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  g_autofree char *busy_text = NULL;
  Operation *operation;
  MenugenHttpLimits limits;

  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_autofree char *quoted = quote_text (url);
      g_autofree char *message = g_strdup_printf (_("“%s” is not a valid web address. Copy the image link again."), quoted);

      show_message (self, message);
      return;
    }

  busy_text = g_strdup_printf (_("Downloading photo from %s…"), g_uri_get_host (uri));
  operation = operation_new (self, begin_load (self, busy_text), g_uri_get_host (uri));
  operation->source = quote_text (url);
  operation->message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  soup_message_headers_append (soup_message_get_request_headers (operation->message),
                               "Accept", "image/*");

  menugen_http_limits_init_default (&limits);
  limits.read_timeout_s = DOWNLOAD_READ_TIMEOUT_S;
  limits.max_response_bytes = MAX_DOWNLOAD_BYTES;

  g_debug ("Downloading a photo from %s", g_uri_get_host (uri));
  menugen_http_send_async (operation->message, &limits, operation->cancellable,
                           photo_downloaded_cb, operation);
}

static gboolean
is_web_uri (const char *text)
{
  g_autofree char *scheme = g_uri_parse_scheme (text);

  return scheme != NULL && (g_ascii_strcasecmp (scheme, "http") == 0
                            || g_ascii_strcasecmp (scheme, "https") == 0);
}

static gboolean
open_files (MenugenWindow *self,
            GdkFileList   *list)
{
  g_autoptr(GSList) files = gdk_file_list_get_files (list);
  GFile *file;

  if (files == NULL)
    {
      show_message (self, _("The dropped or pasted list of files is empty. Try again with a photo file."));
      return FALSE;
    }

  /* One window shows one photo: the first file wins. */
  file = files->data;
  if (g_file_has_uri_scheme (file, "http") || g_file_has_uri_scheme (file, "https"))
    {
      g_autofree char *uri = g_file_get_uri (file);

      download_photo (self, uri);
      return TRUE;
    }

  menugen_window_open_file (self, file);
  return TRUE;
}

static void
open_dialog_response_cb (GtkNativeDialog *dialog,
                         int              response,
                         MenugenWindow   *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

  gtk_native_dialog_destroy (dialog);
  if (self->file_chooser == GTK_FILE_CHOOSER_NATIVE (dialog))
    g_clear_object (&self->file_chooser);

  if (file != NULL)
    menugen_window_open_file (self, file);
}

static void
show_file_chooser (MenugenWindow        *self,
                   GtkFileChooserNative *chooser,
                   GCallback             response_cb)
{
  if (self->file_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->file_chooser));
  g_clear_object (&self->file_chooser);

  self->file_chooser = chooser;
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", response_cb, self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);
  static const char * const mime_types[] = {
    "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif", "image/bmp",
  };
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Open Menu Photo"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));

  gtk_file_filter_set_name (filter, _("Photos"));
  for (guint i = 0; i < G_N_ELEMENTS (mime_types); i++)
    gtk_file_filter_add_mime_type (filter, mime_types[i]);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);

  show_file_chooser (self, chooser, G_CALLBACK (open_dialog_response_cb));
}

static void
pasted_files_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);

  if (operation_is_abandoned (operation))
    return;

  if (value == NULL)
    {
      g_autofree char *message = NULL;

      g_dbus_error_strip_remote_error (error);
      g_debug ("Could not read files from the clipboard: %s", error->message);
      message = g_strdup_printf (_("Could not read the copied files (%s). Copy them again, or open the photo with Open."),
                                 error->message);
      show_message (operation->self, message);
      return;
    }

  open_files (operation->self, g_value_get_boxed (value));
}

static void
pasted_texture_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);

  if (operation_is_abandoned (operation))
    return;

  if (texture == NULL)
    {
      g_autofree char *message = NULL;

      g_debug ("Could not read an image from the clipboard: %s", error->message);
      message = g_strdup_printf (_("Could not read the image on the clipboard (%s). Copy it again, or save it as a file and open that file."),
                                 error->message);
      show_message (operation->self, message);
      return;
    }

  menugen_window_open_texture (operation->self, texture, _("Pasted image"));
}

static void
pasted_text_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);

  if (operation_is_abandoned (operation))
    return;

  if (text == NULL)
    g_debug ("Could not read text from the clipboard: %s", error->message);

  menugen_window_open_text (operation->self, text != NULL ? text : "",
                            _("The clipboard has no image or image link."));
}

/* Reads the clipboard in order of preference: copied files (a file
 * manager), image data (an image viewer or a browser), then text that
 * may be a link. */
static void
paste_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  g_autoptr(GdkContentFormats) formats = NULL;
  Operation *operation;

  /* Another program's clipboard lists MIME types only; this adds the
   * GTypes that GTK can make from them. */
  formats = gdk_content_formats_union_deserialize_gtypes (gdk_content_formats_ref (gdk_clipboard_get_formats (clipboard)));
  operation = operation_new (self, self->cancellable, NULL);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT,
                                    operation->cancellable, pasted_files_cb, operation);
  else if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, operation->cancellable, pasted_texture_cb, operation);
  else if (gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    gdk_clipboard_read_text_async (clipboard, operation->cancellable, pasted_text_cb, operation);
  else
    {
      operation_free (operation);
      show_message (self, _("The clipboard has no image or image link."));
    }
}

/* A menu or variant dragged from this window is already in history, and
 * opening result.png as a new photo is never what such a drag means. */
static gboolean
is_own_drop (GdkDrop *drop)
{
  return drop != NULL && gdk_drop_get_drag (drop) != NULL;
}

static void
set_drop_highlight (MenugenWindow *self,
                    gboolean       highlight)
{
  if (highlight)
    gtk_widget_add_css_class (self->content_box, "drop-highlight");
  else
    gtk_widget_remove_css_class (self->content_box, "drop-highlight");
}

static GdkDragAction
drop_enter_cb (GtkDropTarget *target,
               double         x,
               double         y,
               MenugenWindow *self)
{
  if (is_own_drop (gtk_drop_target_get_current_drop (target)))
    return 0;

  self->drop_hovering = TRUE;
  set_drop_highlight (self, TRUE);

  return GDK_ACTION_COPY;
}

static void
drop_leave_cb (GtkDropTarget *target,
               MenugenWindow *self)
{
  self->drop_hovering = FALSE;
  set_drop_highlight (self, FALSE);
}

/* GTK 4.8 ends a drop whose data it cannot read (image bytes that do not
 * decode, a portal file-transfer key without the portal) with only a
 * warning on stderr: no "drop" and no "leave". A drop that ends while
 * still hovering is such a failure, and the user hears about it here. */
static void
drop_ended_cb (GtkDropTarget *target,
               GParamSpec    *pspec,
               MenugenWindow *self)
{
  if (gtk_drop_target_get_current_drop (target) != NULL)
    return;

  set_drop_highlight (self, FALSE);
  if (!self->drop_hovering)
    return;

  self->drop_hovering = FALSE;
  g_debug ("A drop ended before its data could be read");
  show_message (self, _("Could not read the dropped item as a photo file, an image or a link. Save the image as a file, then open that file."));
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         MenugenWindow *self)
{
  self->drop_hovering = FALSE;
  set_drop_highlight (self, FALSE);

  if (is_own_drop (gtk_drop_target_get_current_drop (target)))
    return FALSE;

  if (is_generating (self))
    {
      show_message (self, _("A menu is being generated. Wait for it or cancel it, then drop the next photo."));
      return FALSE;
    }

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return open_files (self, g_value_get_boxed (value));

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    {
      menugen_window_open_texture (self, g_value_get_object (value), _("Dropped image"));
      return TRUE;
    }

  if (G_VALUE_HOLDS (value, G_TYPE_STRING))
    return menugen_window_open_text (self, g_value_get_string (value),
                                     _("The dropped text is not a photo or a link to one. Drop a photo file, an image, or an http(s) image link."));

  return FALSE;
}

/* The second drop target takes exactly the drops that the first one
 * refuses, so that a drag offering nothing usable gets an explanation
 * instead of a silent refusal. */
static gboolean
unusable_accept_cb (GtkDropTargetAsync *target,
                    GdkDrop            *drop,
                    MenugenWindow      *self)
{
  GdkContentFormats *usable = gtk_drop_target_get_formats (self->drop_target);

  return !is_own_drop (drop)
         && (gdk_drop_get_actions (drop) & GDK_ACTION_COPY) != 0
         && !gdk_content_formats_match (usable, gdk_drop_get_formats (drop));
}

static GdkDragAction
unusable_enter_cb (GtkDropTargetAsync *target,
                   GdkDrop            *drop,
                   double              x,
                   double              y,
                   MenugenWindow      *self)
{
  set_drop_highlight (self, TRUE);

  return GDK_ACTION_COPY;
}

static void
unusable_leave_cb (GtkDropTargetAsync *target,
                   GdkDrop            *drop,
                   MenugenWindow      *self)
{
  set_drop_highlight (self, FALSE);
}

/* Names up to three of the MIME types a drop offers, for the message. */
static char *
describe_formats (GdkContentFormats *formats)
{
  gsize n_types = 0;
  const char * const *types = gdk_content_formats_get_mime_types (formats, &n_types);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) shown = NULL;

  for (gsize i = 0; i < n_types && i < 3; i++)
    g_strv_builder_add (builder, types[i]);
  shown = g_strv_builder_end (builder);

  return g_strjoinv (", ", shown);
}

static gboolean
unusable_drop_cb (GtkDropTargetAsync *target,
                  GdkDrop            *drop,
                  double              x,
                  double              y,
                  MenugenWindow      *self)
{
  g_autofree char *offered = describe_formats (gdk_drop_get_formats (drop));
  g_autofree char *message = NULL;

  set_drop_highlight (self, FALSE);
  g_debug ("Refused a drop that offers only %s", offered);

  /* Translators: %s lists MIME types, such as “application/octet-stream” */
  message = g_strdup_printf (_("The dropped item is not a photo file, an image or a link (it offers %s). Save the image as a file, then open that file."),
                             offered[0] != '\0' ? offered : "-");
  show_message (self, message);

  /* FALSE lets GTK finish the drop as refused. */
  return FALSE;
}

static void
add_drop_targets (MenugenWindow *self)
{
  GType types[] = { GDK_TYPE_FILE_LIST, GDK_TYPE_TEXTURE, G_TYPE_STRING };
  GtkDropTargetAsync *unusable = gtk_drop_target_async_new (NULL, GDK_ACTION_COPY);

  self->drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (self->drop_target, types, G_N_ELEMENTS (types));
  g_signal_connect (self->drop_target, "enter", G_CALLBACK (drop_enter_cb), self);
  g_signal_connect (self->drop_target, "leave", G_CALLBACK (drop_leave_cb), self);
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (drop_cb), self);
  g_signal_connect (self->drop_target, "notify::current-drop", G_CALLBACK (drop_ended_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drop_target));

  g_signal_connect (unusable, "accept", G_CALLBACK (unusable_accept_cb), self);
  g_signal_connect (unusable, "drag-enter", G_CALLBACK (unusable_enter_cb), self);
  g_signal_connect (unusable, "drag-leave", G_CALLBACK (unusable_leave_cb), self);
  g_signal_connect (unusable, "drop", G_CALLBACK (unusable_drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (unusable));
}

/* Back-ends from the environment, offered only when none is configured,
 * so that "GEMINI_API_KEY=… menugen" works on a fresh account. */
static void
add_environment_backends (GPtrArray *configs)
{
  const char * const *kinds = menugen_backend_kinds ();

  for (guint i = 0; kinds[i] != NULL; i++)
    {
      const char *variable = menugen_backend_kind_key_variable (kinds[i]);
      const char *value = g_getenv (variable);
      MenugenBackendConfig *config;

      if (!menugen_backend_kind_needs_key (kinds[i]) || value == NULL || value[0] == '\0')
        continue;

      config = menugen_backend_config_new (kinds[i]);
      g_free (config->id);
      config->id = g_strconcat ("environment-", kinds[i], NULL);
      g_free (config->name);
      /* Translators: a back-end kind, then an environment variable name */
      config->name = g_strdup_printf (_("%s (from %s)"), menugen_backend_kind_label (kinds[i]), variable);
      g_ptr_array_add (configs, config);
    }
}

static const char *
get_config_label (const MenugenBackendConfig *config)
{
  if (config->name != NULL && config->name[0] != '\0')
    return config->name;

  return menugen_backend_kind_label (config->kind);
}

static gboolean
same_backends (GPtrArray *a,
               GPtrArray *b)
{
  if (a == NULL || b == NULL || a->len != b->len)
    return FALSE;

  for (guint i = 0; i < a->len; i++)
    {
      const MenugenBackendConfig *first = g_ptr_array_index (a, i);
      const MenugenBackendConfig *second = g_ptr_array_index (b, i);

      if (g_strcmp0 (first->id, second->id) != 0
          || g_strcmp0 (get_config_label (first), get_config_label (second)) != 0)
        return FALSE;
    }

  return TRUE;
}

static const char *
get_selected_backend_id (MenugenWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->backend_dropdown);
  const MenugenBackendConfig *config;

  if (self->backends == NULL || selected >= self->backends->len)
    return NULL;

  config = g_ptr_array_index (self->backends, selected);
  return config->id;
}

/* Fills the back-end drop-down from the settings, keeping the user's
 * choice when it still exists and else selecting the default back-end. */
static void
reload_backends (MenugenWindow *self)
{
  g_autoptr(GPtrArray) configs = menugen_config_load_backends (self->settings);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *keep_id = g_strdup (get_selected_backend_id (self));
  g_autofree char *default_id = g_settings_get_string (self->settings, "default-backend");
  guint selected = 0;

  if (configs->len == 0)
    add_environment_backends (configs);

  if (same_backends (configs, self->backends))
    return;

  for (guint i = 0; i < configs->len; i++)
    {
      const MenugenBackendConfig *config = g_ptr_array_index (configs, i);

      gtk_string_list_append (names, get_config_label (config));
      if (g_strcmp0 (config->id, keep_id != NULL ? keep_id : default_id) == 0)
        selected = i;
    }

  g_clear_pointer (&self->backends, g_ptr_array_unref);
  self->backends = g_steal_pointer (&configs);
  gtk_drop_down_set_model (self->backend_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->backend_dropdown, selected);
  gtk_widget_set_visible (GTK_WIDGET (self->backend_dropdown), self->backends->len > 0);
  gtk_widget_set_visible (self->setup_button, self->backends->len == 0);
}

static void
settings_changed_cb (GSettings     *settings,
                     const char    *key,
                     MenugenWindow *self)
{
  if (g_str_equal (key, "backends") || g_str_equal (key, "default-backend"))
    reload_backends (self);
}

/* Preferences edit a back-end's own settings, which this window does not
 * watch, so names are read again whenever the window comes back. */
static void
is_active_changed_cb (MenugenWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)))
    reload_backends (self);
}

/* Returns a copy of the chosen back-end, read again from the settings so
 * that an edit in Preferences applies at once. */
static MenugenBackendConfig *
dup_selected_config (MenugenWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->backend_dropdown);
  const MenugenBackendConfig *config;
  g_auto(GStrv) ids = NULL;

  if (self->backends == NULL || selected >= self->backends->len)
    return NULL;

  config = g_ptr_array_index (self->backends, selected);
  ids = g_settings_get_strv (self->settings, "backends");
  if (g_strv_contains ((const char * const *) ids, config->id))
    return menugen_config_load_backend (self->settings, config->id);

  return menugen_backend_config_copy (config);
}

static void set_entry_notes (MenugenWindow       *self,
                             MenugenHistoryEntry *entry);

static void
show_result (MenugenWindow       *self,
             MenugenJob          *job,
             MenugenHistoryEntry *entry)
{
  GdkPixbuf *pixbuf = menugen_job_get_result_pixbuf (job);

  g_set_object (&self->entry, entry);
  g_clear_object (&self->result_texture);
  self->result_texture = gdk_texture_new_for_pixbuf (pixbuf);

  menugen_viewer_set_paintable (self->viewer, GDK_PAINTABLE (self->result_texture));
  menugen_viewer_set_compare_paintable (self->viewer, GDK_PAINTABLE (self->photo_texture));
  menugen_viewer_set_show_compare (self->viewer, FALSE);
  menugen_viewer_zoom_to_fit (self->viewer);
  gtk_toggle_button_set_active (self->show_menu_button, TRUE);
  menugen_variants_set_current (self->variants, entry);
  /* The entry's notes hold the model's text, the vision model's
   * instruction and the size note; the instruction sent is added too. */
  set_entry_notes (self, entry);
  if (menugen_job_get_size_note (job) != NULL)
    gtk_expander_set_expanded (self->notes_expander, TRUE);

  update_state (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->viewer));
}

/* Lets the application quit once the job of a closed window has
 * stopped, or once the grace period is over. */
static void
release_application (MenugenWindow *self)
{
  g_clear_handle_id (&self->stopping_timeout_id, g_source_remove);
  self->stopping_job = NULL;

  if (self->stopping_application == NULL)
    return;

  g_application_unmark_busy (self->stopping_application);
  g_application_release (self->stopping_application);
  g_clear_object (&self->stopping_application);
}

static gboolean
stopping_timeout_cb (gpointer user_data)
{
  MenugenWindow *self = user_data;

  self->stopping_timeout_id = 0;
  g_message ("The job of a closed window did not stop within %d s; quitting anyway", STOP_GRACE_S);
  release_application (self);

  return G_SOURCE_REMOVE;
}

/* A closed window cancels its job, and some back-ends need a request of
 * their own to stop the work on the server (ComfyUI's /interrupt). The
 * application stays alive and busy until that job has stopped, so that
 * quitting during a job does not leave a GPU drawing a menu nobody will
 * see. */
static void
keep_application_until_stopped (MenugenWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  if (application == NULL || self->job == NULL || self->stopping_application != NULL)
    return;

  self->stopping_application = G_APPLICATION (g_object_ref (application));
  self->stopping_job = self->job;
  g_application_hold (self->stopping_application);
  g_application_mark_busy (self->stopping_application);
  self->stopping_timeout_id = g_timeout_add_seconds (STOP_GRACE_S, stopping_timeout_cb, self);
  g_debug ("Closed during a job; waiting up to %d s for it to stop", STOP_GRACE_S);
}

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  MenugenWindow *self = operation->self;
  MenugenJob *job = MENUGEN_JOB (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenHistoryEntry) entry = menugen_job_run_finish (job, result, &error);

  if (job == self->stopping_job)
    release_application (self);

  /* The saved entry belongs in the list even when the window has moved on.
   * A closed window has no list any more. */
  if (entry != NULL && self->history_list != NULL)
    menugen_history_list_reload (self->history_list);

  /* A result that arrives after Cancel is already in history, where the
   * user finds it. The window has moved on. */
  if (operation_is_abandoned (operation))
    return;

  g_clear_object (&self->job_cancellable);
  g_clear_object (&self->job);

  if (entry == NULL)
    {
      menugen_window_show_error (self, error, TRUE);
      update_state (self);
      return;
    }

  g_debug ("Menu ready from history entry %s", menugen_history_entry_get_id (entry));
  show_result (self, job, entry);
}

static void
fill_instruction_options (MenugenWindow             *self,
                          MenugenInstructionOptions *options,
                          char                     **language,
                          char                     **style)
{
  *language = g_settings_get_string (self->settings, "translation-language");
  if ((*language)[0] == '\0')
    {
      g_free (*language);
      *language = menugen_instruction_language_for_locale ();
    }

  *style = g_settings_get_string (self->settings, "style");

  options->dish_names = g_settings_get_enum (self->settings, "dish-names");
  options->language = *language;
  options->style = *style;
}

/* Runs the job with a configuration whose key is filled in. When the
 * key lookup failed and the back-end then reports a missing key, the
 * lookup's reason (such as no keyring) is the more useful sentence. */
static void
start_job (MenugenWindow              *self,
           const MenugenBackendConfig *config,
           const GError               *lookup_error)
{
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *language = NULL;
  g_autofree char *style = NULL;
  g_autofree char *template_text = g_settings_get_string (self->settings, "prompt-template");
  MenugenInstructionOptions options = { 0 };

  backend = menugen_backend_new (config, &error);
  if (backend == NULL)
    {
      g_clear_object (&self->job_cancellable);
      if (lookup_error != NULL && g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY))
        menugen_window_show_error (self, lookup_error, TRUE);
      else
        menugen_window_show_error (self, error, TRUE);
      update_state (self);
      return;
    }

  fill_instruction_options (self, &options, &language, &style);
  self->job = menugen_job_new (backend, self->history,
                               template_text[0] != '\0' ? template_text : NULL, &options);

  g_debug ("Generating with back-end %s (%s)", config->id, config->kind);
  menugen_job_run_async (self->job, self->photo, self->job_cancellable, job_done_cb,
                         operation_new (self, self->job_cancellable, NULL));
  update_state (self);
}

static void
key_found_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;

  operation->config->api_key = menugen_secrets_lookup_finish (result, &error);

  if (operation_is_abandoned (operation))
    return;

  if (error != NULL)
    g_debug ("Key lookup for back-end %s failed: %s", operation->config->id, error->message);

  set_busy_text (operation->self, NULL);
  start_job (operation->self, operation->config, error);
}

static void
generate (MenugenWindow *self)
{
  g_autoptr(MenugenBackendConfig) config = dup_selected_config (self);
  const char *key;
  Operation *operation;

  if (self->photo == NULL || is_generating (self) || is_loading (self))
    return;

  if (config == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                                                     _("No back-end is configured. Add one in Preferences."));

      menugen_window_show_error (self, error, FALSE);
      return;
    }

  hide_error (self);
  clear_result (self);
  self->job_cancellable = g_cancellable_new ();

  key = menugen_secrets_key_from_environment (config->kind);
  if (key == NULL)
    key = menugen_secrets_get_session_key (config->id);

  if (key != NULL || !menugen_backend_kind_needs_key (config->kind))
    {
      config->api_key = g_strdup (key);
      start_job (self, config, NULL);
      return;
    }

  set_busy_text (self, _("Looking up the API key…"));
  update_state (self);

  operation = operation_new (self, self->job_cancellable, NULL);
  operation->config = g_steal_pointer (&config);
  menugen_secrets_lookup_async (operation->config->id, operation->cancellable, key_found_cb, operation);
}

static void
generate_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  generate (MENUGEN_WINDOW (widget));
}

/* Stops whatever runs. The callbacks see the cancelled cancellable and
 * leave the window alone, so the window returns to the photo at once. */
static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);

  cancel_and_clear (&self->load_cancellable);
  stop_job (self);
  set_busy_text (self, NULL);

  g_debug ("Cancelled by the user");
  update_state (self);
}

static void
retry_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);

  hide_error (self);
  generate (self);
}

static void
dismiss_error_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  hide_error (MENUGEN_WINDOW (widget));
}

static void
file_copied_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!g_file_copy_finish (G_FILE (source), result, &error))
    {
      if (operation_is_abandoned (operation))
        return;

      message = g_strdup_printf (_("Could not save the menu as %s: %s. Choose another folder or name."),
                                 operation->name, error->message);
      show_message (operation->self, message);
      return;
    }

  if (operation_is_abandoned (operation))
    return;

  /* Translators: the file name the menu was saved as */
  message = g_strdup_printf (_("Saved as %s"), operation->name);
  show_toast (operation->self, message);
}

static void
save_dialog_response_cb (GtkNativeDialog *dialog,
                         int              response,
                         MenugenWindow   *self)
{
  g_autoptr(GFile) destination = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    destination = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

  gtk_native_dialog_destroy (dialog);
  if (self->file_chooser == GTK_FILE_CHOOSER_NATIVE (dialog))
    g_clear_object (&self->file_chooser);

  if (destination != NULL)
    menugen_window_save_as_file (self, destination);
}

/* The folder Save As starts in: the one of the last save in this
 * window, else the user's Pictures folder, else the home folder. Without
 * it the dialog opens in the program's working directory, which is
 * wherever a terminal happened to be. */
static GFile *
get_save_folder (MenugenWindow *self)
{
  const char *pictures = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);

  if (self->save_folder != NULL)
    return g_object_ref (self->save_folder);

  if (pictures != NULL && g_file_test (pictures, G_FILE_TEST_IS_DIR))
    return g_file_new_for_path (pictures);

  return g_file_new_for_path (g_get_home_dir ());
}

static void
save_as_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GFile) folder = get_save_folder (self);
  g_autofree char *date = NULL;
  g_autofree char *name = NULL;
  GtkFileChooserNative *chooser;

  if (self->entry == NULL)
    return;

  date = g_date_time_format (menugen_history_entry_get_created (self->entry), "%Y-%m-%d");
  name = g_strdup_printf ("menu-%s.png", date);

  chooser = gtk_file_chooser_native_new (_("Save Menu As"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_file_filter_set_name (filter, _("PNG images"));
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);

  show_file_chooser (self, chooser, G_CALLBACK (save_dialog_response_cb));
}

static void
copy_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);

  if (self->result_texture == NULL)
    return;

  gdk_clipboard_set_texture (gtk_widget_get_clipboard (widget), self->result_texture);
  show_toast (self, _("Menu image copied"));
}

static void
compare_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);
  gboolean show_photo = !gtk_toggle_button_get_active (self->show_photo_button);

  gtk_toggle_button_set_active (show_photo ? self->show_photo_button : self->show_menu_button, TRUE);
}

static void
show_photo_toggled_cb (MenugenWindow *self)
{
  menugen_viewer_set_show_compare (self->viewer, gtk_toggle_button_get_active (self->show_photo_button));
}

static void
zoom_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);

  if (g_str_equal (action_name, "win.zoom-in"))
    menugen_viewer_zoom_in (self->viewer);
  else if (g_str_equal (action_name, "win.zoom-out"))
    menugen_viewer_zoom_out (self->viewer);
  else if (g_str_equal (action_name, "win.zoom-fit"))
    menugen_viewer_zoom_to_fit (self->viewer);
  else if (g_str_equal (action_name, "win.zoom-original"))
    menugen_viewer_set_zoom (self->viewer, 1.0);
  else if (menugen_viewer_get_fit (self->viewer))
    menugen_viewer_set_zoom (self->viewer, 1.0);
  else
    menugen_viewer_zoom_to_fit (self->viewer);
}

static char *
describe_entry (MenugenHistoryEntry *entry)
{
  g_autofree char *date = menugen_history_entry_format_date (entry);

  /* Translators: a window subtitle and print job name, and %s is a date */
  return g_strdup_printf (_("Menu from %s"), date);
}

static void
set_entry_notes (MenugenWindow       *self,
                 MenugenHistoryEntry *entry)
{
  const char *instruction = menugen_history_entry_get_instruction (entry);
  g_autoptr(GString) text = g_string_new (menugen_history_entry_get_notes (entry));

  if (instruction != NULL && instruction[0] != '\0')
    {
      if (text->len > 0)
        g_string_append (text, "\n\n");
      /* Translators: the instruction text follows on the next line */
      g_string_append (text, _("Instruction sent with the photo:"));
      g_string_append_c (text, '\n');
      g_string_append (text, instruction);
    }

  gtk_label_set_text (self->notes_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->notes_expander), text->len > 0);
  gtk_expander_set_expanded (self->notes_expander, FALSE);
}

static void
forget_photo (MenugenWindow *self,
              const char    *name)
{
  clear_result (self);
  g_clear_object (&self->photo);
  g_clear_object (&self->photo_texture);
  gtk_picture_set_paintable (self->photo_picture, NULL);
  adw_window_title_set_subtitle (self->window_title, name);
}

/* Shows a reopened history entry. Its prepared photo becomes the current
 * photo, so Generate runs again on exactly the pixels that were sent. */
static void
show_entry (MenugenWindow       *self,
            MenugenHistoryEntry *entry,
            GdkTexture          *texture,
            MenugenPhoto        *photo)
{
  g_autofree char *name = describe_entry (entry);

  if (photo != NULL)
    set_photo (self, photo, name);
  else
    {
      forget_photo (self, name);
      show_toast (self, _("The photo of this menu is missing or damaged, so it cannot be compared or generated again."));
    }

  g_set_object (&self->entry, entry);
  g_set_object (&self->result_texture, texture);
  menugen_viewer_set_paintable (self->viewer, GDK_PAINTABLE (texture));
  menugen_viewer_set_compare_paintable (self->viewer, GDK_PAINTABLE (self->photo_texture));
  menugen_viewer_set_show_compare (self->viewer, FALSE);
  menugen_viewer_zoom_to_fit (self->viewer);
  gtk_toggle_button_set_active (self->show_menu_button, TRUE);
  menugen_variants_set_current (self->variants, entry);
  set_entry_notes (self, entry);

  update_state (self);
}

static void
entry_reopened_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Operation) operation = user_data;
  MenugenWindow *self = operation->self;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenHistoryEntry) entry = menugen_reopen_entry_finish (result, &texture, &photo, &error);

  if (operation_is_abandoned (operation))
    return;

  g_clear_object (&self->load_cancellable);

  if (entry == NULL)
    {
      g_debug ("Could not reopen a history entry: %s", error->message);
      menugen_window_show_error (self, error, FALSE);
      update_state (self);
      return;
    }

  g_debug ("Reopened history entry %s", menugen_history_entry_get_id (entry));
  show_entry (self, entry, texture, photo);
}

static gboolean
is_shown_entry (MenugenWindow       *self,
                MenugenHistoryEntry *entry)
{
  return self->entry != NULL
         && g_strcmp0 (menugen_history_entry_get_id (self->entry), menugen_history_entry_get_id (entry)) == 0;
}

/* Opens an entry chosen in the history list or the variants strip. */
static void
entry_activated_cb (GtkWidget           *source,
                    MenugenHistoryEntry *entry,
                    MenugenWindow       *self)
{
  g_autofree char *name = NULL;
  g_autofree char *busy_text = NULL;
  GCancellable *cancellable;

  if (is_generating (self))
    {
      show_toast (self, _("A menu is being generated. Wait for it or cancel it, then open another one."));
      return;
    }

  if (adw_flap_get_folded (self->history_flap))
    adw_flap_set_reveal_flap (self->history_flap, FALSE);

  if (is_shown_entry (self, entry) && !is_loading (self))
    return;

  name = describe_entry (entry);
  /* Translators: %s is “Menu from <date>” */
  busy_text = g_strdup_printf (_("Opening %s…"), name);
  cancellable = begin_load (self, busy_text);
  menugen_reopen_entry_async (entry, cancellable, entry_reopened_cb,
                              operation_new (self, cancellable, NULL));
}

/* The files of a deleted entry are gone, so Save As and drag-out of its
 * menu would fail. The photo stays loaded. */
static void
entry_deleted_cb (MenugenHistoryList  *list,
                  MenugenHistoryEntry *entry,
                  MenugenWindow       *self)
{
  if (!is_shown_entry (self, entry))
    return;

  clear_result (self);
  update_state (self);
}

static void
history_problems_cb (MenugenHistoryList  *list,
                     char               **messages,
                     MenugenWindow       *self)
{
  guint count = g_strv_length (messages);
  g_autofree char *title = g_strdup_printf (ngettext ("Skipped %u damaged menu in the history. The history panel shows why.",
                                                      "Skipped %u damaged menus in the history. The history panel shows why.",
                                                      count),
                                            count);

  show_toast (self, title);
}

static void
history_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);
  gboolean reveal = !adw_flap_get_reveal_flap (self->history_flap);

  adw_flap_set_reveal_flap (self->history_flap, reveal);

  /* The shortcut is the keyboard's way into the list. */
  if (reveal)
    gtk_widget_grab_focus (GTK_WIDGET (self->history_list));
}

static void
print_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(MenugenWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (menugen_print_texture_finish (result, &error)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  show_message (self, error->message);
}

static void
print_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);
  g_autofree char *title = NULL;

  if (self->result_texture == NULL)
    return;

  title = self->entry != NULL ? describe_entry (self->entry) : g_strdup (_("Menu"));
  menugen_print_texture_async (GTK_WINDOW (self), self->result_texture, title, self->cancellable,
                               print_done_cb, g_object_ref (self));
}

static gboolean
viewer_can_pan (MenugenWindow *self)
{
  GtkAdjustment *horizontal = gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (self->viewer));
  GtkAdjustment *vertical = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->viewer));

  return gtk_adjustment_get_upper (horizontal) > gtk_adjustment_get_page_size (horizontal) + 0.5
         || gtk_adjustment_get_upper (vertical) > gtk_adjustment_get_page_size (vertical) + 0.5;
}

/* Dragging a menu that fits the view copies it out as result.png. When
 * it is larger than the view, the same gesture pans it instead. */
static GdkContentProvider *
result_drag_prepare_cb (GtkDragSource *source,
                        double         x,
                        double         y,
                        MenugenWindow *self)
{
  if (self->entry == NULL || self->result_texture == NULL
      || menugen_viewer_get_show_compare (self->viewer) || viewer_can_pan (self))
    return NULL;

  return menugen_content_provider_new_for_entry (self->entry, self->result_texture);
}

static void
result_drag_begin_cb (GtkDragSource *source,
                      GdkDrag       *drag,
                      MenugenWindow *self)
{
  MenugenThumbnails *thumbnails = menugen_history_list_get_thumbnails (self->history_list);
  GdkPaintable *icon = menugen_thumbnails_lookup (thumbnails, menugen_history_entry_get_result_file (self->entry));

  if (icon != NULL)
    gtk_drag_source_set_icon (source, icon, gdk_paintable_get_intrinsic_width (icon) / 2,
                              gdk_paintable_get_intrinsic_height (icon) / 2);
}

static void
add_result_drag_source (MenugenWindow *self)
{
  GtkDragSource *source = gtk_drag_source_new ();

  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  g_signal_connect (source, "prepare", G_CALLBACK (result_drag_prepare_cb), self);
  g_signal_connect (source, "drag-begin", G_CALLBACK (result_drag_begin_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->viewer), GTK_EVENT_CONTROLLER (source));
}

static void
connect_history (MenugenWindow *self)
{
  g_signal_connect (self->history_list, "entry-activated", G_CALLBACK (entry_activated_cb), self);
  g_signal_connect (self->history_list, "entry-deleted", G_CALLBACK (entry_deleted_cb), self);
  g_signal_connect (self->history_list, "problems", G_CALLBACK (history_problems_cb), self);
  g_signal_connect (self->variants, "entry-activated", G_CALLBACK (entry_activated_cb), self);
  menugen_variants_set_model (self->variants, menugen_history_list_get_model (self->history_list));
  menugen_variants_set_thumbnails (self->variants, menugen_history_list_get_thumbnails (self->history_list));
  add_result_drag_source (self);
}

static void
restore_size (MenugenWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
menugen_window_close_request (GtkWindow *window)
{
  MenugenWindow *self = MENUGEN_WINDOW (window);
  int width, height;

  /* GTK keeps the default size at the last unmaximized size. */
  gtk_window_get_default_size (window, &width, &height);
  if (self->settings != NULL)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
      g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
    }

  /* Destroying the window does not dispose it while a running job holds
   * a reference, so the job is stopped here, where closing happens. */
  if (is_generating (self))
    keep_application_until_stopped (self);
  cancel_and_clear (&self->load_cancellable);
  stop_job (self);

  return GTK_WINDOW_CLASS (menugen_window_parent_class)->close_request (window);
}

static void
menugen_window_dispose (GObject *object)
{
  MenugenWindow *self = MENUGEN_WINDOW (object);

  cancel_and_clear (&self->load_cancellable);
  cancel_and_clear (&self->job_cancellable);
  cancel_and_clear (&self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);

  if (self->file_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->file_chooser));
  g_clear_object (&self->file_chooser);
  g_clear_object (&self->save_folder);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->history);
  g_clear_object (&self->job);
  g_clear_object (&self->photo);
  g_clear_object (&self->photo_texture);
  g_clear_object (&self->entry);
  g_clear_object (&self->result_texture);
  g_clear_pointer (&self->backends, g_ptr_array_unref);
  g_clear_pointer (&self->discovered, g_ptr_array_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), MENUGEN_TYPE_WINDOW);

  G_OBJECT_CLASS (menugen_window_parent_class)->dispose (object);
}

static void
menugen_window_finalize (GObject *object)
{
  MenugenWindow *self = MENUGEN_WINDOW (object);

  g_free (self->busy_text);
  release_application (self);

  G_OBJECT_CLASS (menugen_window_parent_class)->finalize (object);
}

static void
bind_template (GtkWidgetClass *widget_class)
{
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Menugen/ui/menugen-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, content_box);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, backend_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, generate_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, preferences_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, setup_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, history_flap);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, history_list);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, photo_picture);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, photo_info_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, viewer);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, variants);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, notes_expander);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, notes_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, show_menu_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, show_photo_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, zoom_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, stage_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, MenugenWindow, cancel_button);
}

static void add_discovered_activated (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter);

static void
install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_activated);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_activated);
  gtk_widget_class_install_action (widget_class, "win.generate", NULL, generate_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "win.retry", NULL, retry_activated);
  gtk_widget_class_install_action (widget_class, "win.add-discovered", NULL, add_discovered_activated);
  gtk_widget_class_install_action (widget_class, "win.dismiss-error", NULL, dismiss_error_activated);
  gtk_widget_class_install_action (widget_class, "win.save-as", NULL, save_as_activated);
  gtk_widget_class_install_action (widget_class, "win.copy", NULL, copy_activated);
  gtk_widget_class_install_action (widget_class, "win.print", NULL, print_activated);
  gtk_widget_class_install_action (widget_class, "win.history", NULL, history_activated);
  gtk_widget_class_install_action (widget_class, "win.compare", NULL, compare_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-original", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-toggle", NULL, zoom_activated);
}

static void
menugen_window_class_init (MenugenWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = menugen_window_dispose;
  object_class->finalize = menugen_window_finalize;
  window_class->close_request = menugen_window_close_request;

  g_type_ensure (MENUGEN_TYPE_VIEWER);
  g_type_ensure (MENUGEN_TYPE_HISTORY_LIST);
  g_type_ensure (MENUGEN_TYPE_VARIANTS);
  bind_template (widget_class);
  install_actions (widget_class);
}

static void
menugen_window_init (MenugenWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-discovered", FALSE);
  add_drop_targets (self);
  connect_history (self);

  g_signal_connect_swapped (self->show_photo_button, "notify::active",
                            G_CALLBACK (show_photo_toggled_cb), self);
  g_signal_connect_swapped (self->viewer, "notify::zoom", G_CALLBACK (update_zoom_label), self);
  g_signal_connect_swapped (self->viewer, "notify::fit", G_CALLBACK (update_zoom_label), self);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_changed_cb), NULL);

  update_zoom_label (self);
  update_state (self);
}

/* Local servers probed on a first run. NULL means the usual loopback ports. */
static const MenugenDiscoveryTarget *first_run_targets;

static void
discovery_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = menugen_discovery_probe_finish (result, &error);
  MenugenWindow *self;
  const MenugenBackendConfig *first;
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = MENUGEN_WINDOW (user_data);
  if (found == NULL)
    {
      g_debug ("Local server discovery failed: %s", error->message);
      return;
    }

  if (found->len == 0 || self->backends->len > 0)
    return;

  first = g_ptr_array_index (found, 0);
  if (found->len == 1)
    /* Translators: %s is a server name such as "ComfyUI on this computer" */
    title = g_strdup_printf (_("Found %s."), first->name);
  else
    /* Translators: %s is a server name such as "ComfyUI on this computer" */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Found %s and %u more local server.",
                                          "Found %s and %u more local servers.", found->len - 1),
                             first->name, found->len - 1);

  g_clear_pointer (&self->discovered, g_ptr_array_unref);
  self->discovered = g_steal_pointer (&found);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-discovered", TRUE);

  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Add"));
  adw_toast_set_action_name (toast, "win.add-discovered");
  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Adds every server found on the first run as a back-end. The settings
 * change then fills the drop-down. */
static void
add_discovered_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  MenugenWindow *self = MENUGEN_WINDOW (widget);
  g_autoptr(GPtrArray) discovered = g_steal_pointer (&self->discovered);

  gtk_widget_action_set_enabled (widget, "win.add-discovered", FALSE);
  if (discovered == NULL)
    return;

  for (guint i = 0; i < discovered->len; i++)
    {
      MenugenBackendConfig *config = g_ptr_array_index (discovered, i);

      g_free (config->id);
      config->id = menugen_config_new_backend_id (self->settings, config->kind);
      menugen_config_save_backend (self->settings, config);
    }
}

/* On a first run, looks for image servers on this computer so that a
 * local setup works without typing a URL. Only loopback is probed. */
static void
start_first_run_discovery (MenugenWindow *self)
{
  if (self->backends->len > 0)
    return;

  menugen_discovery_probe_async (first_run_targets, self->cancellable, discovery_done_cb, self);
}

/**
 * menugen_window_set_discovery_targets:
 * @targets: (nullable): the servers to probe on a first run, ending with a
 *   zero port; %NULL restores the usual loopback ports
 *
 * Lets tests point first-run discovery at their own fakes. The array must
 * stay valid while windows are created.
 */
void
menugen_window_set_discovery_targets (const MenugenDiscoveryTarget *targets)
{
  first_run_targets = targets;
}

/* The settings and history belong to the application, which is only set
 * after construction, so the window is finished here. */
static void
attach_application (MenugenWindow      *self,
                    MenugenApplication *application)
{
  self->settings = g_object_ref (menugen_application_get_settings (application));
  self->history = g_object_ref (menugen_application_get_history (application));

  restore_size (self);
  reload_backends (self);
  menugen_history_list_set_history (self->history_list, self->history);
  g_signal_connect (self->settings, "changed", G_CALLBACK (settings_changed_cb), self);
  start_first_run_discovery (self);
}

MenugenWindow *
menugen_window_new (MenugenApplication *application)
{
  MenugenWindow *self;

  g_return_val_if_fail (MENUGEN_IS_APPLICATION (application), NULL);

  self = g_object_new (MENUGEN_TYPE_WINDOW, "application", application, NULL);
  attach_application (self, application);

  return self;
}

void
menugen_window_open_file (MenugenWindow *self,
                          GFile         *file)
{
  g_autofree char *name = NULL;
  g_autofree char *busy_text = NULL;
  MenugenPhotoLimits limits;
  Operation *operation;

  g_return_if_fail (MENUGEN_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  name = g_file_get_basename (file);
  busy_text = g_strdup_printf (_("Opening %s…"), name);
  operation = operation_new (self, begin_load (self, busy_text), name);
  operation->source = g_strdup (name);

  menugen_photo_limits_init_default (&limits);
  menugen_photo_load_async (file, &limits, operation->cancellable, photo_loaded_cb, operation);
}

/**
 * menugen_window_open_texture:
 * @self: a #MenugenWindow
 * @texture: image data from a drop or the clipboard
 * @name: a name for the title, such as "Pasted image"
 *
 * Prepares @texture as the photo. The texture is encoded as PNG in a
 * worker thread, then prepared like a file.
 */
void
menugen_window_open_texture (MenugenWindow *self,
                             GdkTexture    *texture,
                             const char    *name)
{
  g_autoptr(GdkTexture) memory_texture = NULL;
  g_autoptr(GTask) task = NULL;
  Operation *operation;

  g_return_if_fail (MENUGEN_IS_WINDOW (self));
  g_return_if_fail (GDK_IS_TEXTURE (texture));

  operation = operation_new (self, begin_load (self, _("Preparing the photo…")), name);
  memory_texture = to_memory_texture (texture);

  task = g_task_new (NULL, operation->cancellable, texture_encoded_cb, operation);
  g_task_set_source_tag (task, menugen_window_open_texture);
  g_task_set_task_data (task, g_steal_pointer (&memory_texture), g_object_unref);
  g_task_run_in_thread (task, encode_texture_thread);
}

/**
 * menugen_window_open_text:
 * @self: a #MenugenWindow
 * @text: dropped or pasted text
 * @unusable_message: the sentence to show when @text is not a link
 *
 * Opens the photo that @text points to: a file URI or path, or an
 * http(s) link, which is downloaded on the shared session.
 *
 * Returns: %TRUE when @text was taken as a photo location
 */
gboolean
menugen_window_open_text (MenugenWindow *self,
                          const char    *text,
                          const char    *unusable_message)
{
  g_autofree char *line = NULL;

  g_return_val_if_fail (MENUGEN_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  /* A text/uri-list may start with comment lines. */
  {
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

    for (guint i = 0; lines[i] != NULL && line == NULL; i++)
      {
        g_strstrip (lines[i]);
        if (lines[i][0] != '\0' && lines[i][0] != '#')
          line = g_strdup (lines[i]);
      }
  }

  if (line != NULL && is_web_uri (line))
    {
      download_photo (self, line);
      return TRUE;
    }

  if (line != NULL && (g_str_has_prefix (line, "file:") || g_path_is_absolute (line)))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (line);

      menugen_window_open_file (self, file);
      return TRUE;
    }

  g_debug ("Text of %" G_GSIZE_FORMAT " bytes is not a photo location", strlen (text));
  show_message (self, unusable_message);
  return FALSE;
}

/**
 * menugen_window_show_error:
 * @self: a #MenugenWindow
 * @error: the failure, whose message is one sentence for the user
 * @from_job: whether a generation failed, which offers Retry when the
 *   error is retryable
 *
 * Shows @error in the banner above the photo. The photo stays loaded.
 */
void
menugen_window_show_error (MenugenWindow *self,
                           const GError  *error,
                           gboolean       from_job)
{
  g_return_if_fail (MENUGEN_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  gtk_label_set_text (self->error_label, error->message);
  gtk_widget_set_visible (self->retry_button,
                          from_job && self->photo != NULL && menugen_error_is_retryable (error));
  gtk_widget_set_visible (self->preferences_button,
                          error_needs_preferences (error) && app_has_action (self, "preferences"));
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

/**
 * menugen_window_save_as_file:
 * @self: a #MenugenWindow
 * @destination: the file chosen in the Save As dialog
 *
 * Copies the shown menu's PNG from the history to @destination,
 * replacing it. A toast confirms the copy, and the banner shows a failure.
 */
void
menugen_window_save_as_file (MenugenWindow *self,
                             GFile         *destination)
{
  GFile *source;
  g_autofree char *name = NULL;
  Operation *operation;

  g_return_if_fail (MENUGEN_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (destination));

  if (self->entry == NULL)
    return;

  /* The history copy already carries the provenance text chunks, so
   * saving is a plain file copy. The entry owns @source. */
  source = menugen_history_entry_get_result_file (self->entry);
  name = g_file_get_basename (destination);
  g_clear_object (&self->save_folder);
  self->save_folder = g_file_get_parent (destination);
  operation = operation_new (self, self->cancellable, name);
  g_file_copy_async (source, destination, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                     operation->cancellable, NULL, NULL, file_copied_cb, operation);
}

MenugenWindowState
menugen_window_get_state (MenugenWindow *self)
{
  g_return_val_if_fail (MENUGEN_IS_WINDOW (self), MENUGEN_WINDOW_STATE_EMPTY);

  if (is_loading (self) || is_generating (self))
    return MENUGEN_WINDOW_STATE_BUSY;
  if (self->result_texture != NULL)
    return MENUGEN_WINDOW_STATE_RESULT;
  if (self->photo != NULL)
    return MENUGEN_WINDOW_STATE_PHOTO;

  return MENUGEN_WINDOW_STATE_EMPTY;
}

MenugenPhoto *
menugen_window_get_photo (MenugenWindow *self)
{
  g_return_val_if_fail (MENUGEN_IS_WINDOW (self), NULL);

  return self->photo;
}

MenugenViewer *
menugen_window_get_viewer (MenugenWindow *self)
{
  g_return_val_if_fail (MENUGEN_IS_WINDOW (self), NULL);

  return self->viewer;
}

/* Returns the banner's sentence, or NULL when no banner is shown. */
const char *
menugen_window_get_error_message (MenugenWindow *self)
{
  g_return_val_if_fail (MENUGEN_IS_WINDOW (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->error_revealer))
    return NULL;

  return gtk_label_get_text (self->error_label);
}
