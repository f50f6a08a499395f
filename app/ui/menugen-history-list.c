#include "config.h"

#include <glib/gi18n.h>

#include "core/menugen-config.h"
#include "ui/menugen-history-list.h"

/* Size of a thumbnail in a row, in logical pixels. */
#define ROW_THUMBNAIL_SIZE 64

struct _MenugenHistoryList
{
  AdwBin parent_instance;

  GtkWidget *problems_box;
  GtkLabel *problems_label;
  GtkStack *stack;
  GtkSpinner *spinner;
  GtkListView *list_view;

  MenugenHistory *history;
  GListStore *entries;
  MenugenThumbnails *thumbnails;

  /* Sentences already sent with "problems", so a reload after every job
   * does not report the same damaged folder again. */
  GHashTable *reported;

  GCancellable *cancellable;         /* deletes, cancelled in dispose */
  GCancellable *reload_cancellable;  /* the running reload, if any */
  gboolean loaded;
};

G_DEFINE_FINAL_TYPE (MenugenHistoryList, menugen_history_list, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_HISTORY,
  PROP_LOADING,
  N_PROPS
};

enum {
  ENTRY_ACTIVATED,
  ENTRY_DELETED,
  PROBLEMS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The widgets of one row, kept on the row's box. */
typedef struct {
  GtkPicture *picture;
  GtkLabel *title;
  GtkLabel *subtitle;
  GtkButton *delete_button;
} Row;

/* A delete in progress. It keeps the widget alive until the dialog is
 * gone and the delete has finished. */
typedef struct {
  MenugenHistoryList *self;
  MenugenHistoryEntry *entry;
} DeleteRequest;

static DeleteRequest *
delete_request_new (MenugenHistoryList  *self,
                    MenugenHistoryEntry *entry)
{
  DeleteRequest *request = g_new0 (DeleteRequest, 1);

  request->self = g_object_ref (self);
  request->entry = g_object_ref (entry);
  return request;
}

static void
delete_request_free (DeleteRequest *request)
{
  g_object_unref (request->self);
  g_object_unref (request->entry);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeleteRequest, delete_request_free)

static void
delete_request_closure_free (gpointer  data,
                             GClosure *closure)
{
  delete_request_free (data);
}

static void
update_page (MenugenHistoryList *self)
{
  const char *page = "empty";

  if (g_list_model_get_n_items (G_LIST_MODEL (self->entries)) > 0)
    page = "list";
  else if (!self->loaded)
    page = "loading";

  gtk_spinner_set_spinning (self->spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->stack, page);
}

/* Ends the running reload, if any, and notifies "loading" when
 * @reload_cancellable changes it. */
static void
replace_reload (MenugenHistoryList *self,
                GCancellable       *reload_cancellable)
{
  gboolean was_loading = self->reload_cancellable != NULL;

  if (self->reload_cancellable != NULL)
    g_cancellable_cancel (self->reload_cancellable);

  g_set_object (&self->reload_cancellable, reload_cancellable);
  if (was_loading != (reload_cancellable != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* Adds @messages to the text above the list and reveals it. */
static void
show_problems (MenugenHistoryList  *self,
               char               **messages)
{
  g_autoptr(GString) text = g_string_new (gtk_label_get_text (self->problems_label));

  for (guint i = 0; messages[i] != NULL; i++)
    {
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, messages[i]);
    }

  gtk_label_set_text (self->problems_label, text->str);
  gtk_widget_set_visible (self->problems_box, TRUE);
}

/* Shows and emits with "problems" the sentences of @messages that were
 * not reported before. */
static void
report_problems (MenugenHistoryList *self,
                 GPtrArray          *messages)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) fresh = NULL;

  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      const char *message = g_ptr_array_index (messages, i);

      if (g_hash_table_add (self->reported, g_strdup (message)))
        g_strv_builder_add (builder, message);
    }

  fresh = g_strv_builder_end (builder);
  if (fresh[0] == NULL)
    return;

  show_problems (self, fresh);
  g_signal_emit (self, signals[PROBLEMS], 0, fresh);
}

static void
report_error (MenugenHistoryList *self,
              const GError       *error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new ();

  g_ptr_array_add (messages, error->message);
  report_problems (self, messages);
}

static gboolean
find_position (MenugenHistoryList  *self,
               const char          *id,
               guint               *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->entries));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MenugenHistoryEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->entries), i);

      if (g_strcmp0 (menugen_history_entry_get_id (entry), id) == 0)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

static void
remove_entry (MenugenHistoryList  *self,
              MenugenHistoryEntry *entry)
{
  guint position = 0;

  if (find_position (self, menugen_history_entry_get_id (entry), &position))
    g_list_store_remove (self->entries, position);

  menugen_thumbnails_forget (self->thumbnails, menugen_history_entry_get_result_file (entry));
  update_page (self);
}

static GtkLabel *
append_label (GtkWidget *box)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), label);

  return GTK_LABEL (label);
}

static Row *
row_new (GtkListItem *item)
{
  Row *row = g_new0 (Row, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);

  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);

  row->picture = GTK_PICTURE (gtk_picture_new ());
  gtk_picture_set_content_fit (row->picture, GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_size_request (GTK_WIDGET (row->picture), ROW_THUMBNAIL_SIZE, ROW_THUMBNAIL_SIZE);
  gtk_widget_add_css_class (GTK_WIDGET (row->picture), "menugen-thumbnail");

  row->title = append_label (labels);
  row->subtitle = append_label (labels);
  /* Long model names take a second line before they are cut. */
  gtk_label_set_wrap (row->subtitle, TRUE);
  gtk_label_set_wrap_mode (row->subtitle, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (row->subtitle, 2);
  gtk_widget_add_css_class (GTK_WIDGET (row->title), "heading");
  gtk_widget_add_css_class (GTK_WIDGET (row->subtitle), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (row->subtitle), "caption");
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (labels, TRUE);

  row->delete_button = GTK_BUTTON (gtk_button_new_from_icon_name ("user-trash-symbolic"));
  gtk_widget_set_valign (GTK_WIDGET (row->delete_button), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (row->delete_button), "flat");
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->delete_button), _("Delete this menu"));

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->picture));
  gtk_box_append (GTK_BOX (box), labels);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->delete_button));
  g_object_set_data_full (G_OBJECT (box), "menugen-row", row, g_free);
  gtk_list_item_set_child (item, box);

  return row;
}

static Row *
get_row (GtkListItem *item)
{
  return g_object_get_data (G_OBJECT (gtk_list_item_get_child (item)), "menugen-row");
}

static void
describe_row (Row                 *row,
              MenugenHistoryEntry *entry)
{
  g_autofree char *date = menugen_history_entry_format_date (entry);
  g_autofree char *source = menugen_history_entry_format_source (entry);
  g_autofree char *picture_text = NULL;
  g_autofree char *delete_text = NULL;

  gtk_label_set_text (row->title, date);
  gtk_label_set_text (row->subtitle, source);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->subtitle), source);

  /* Translators: the alternative text of a thumbnail, and %s is a date */
  picture_text = g_strdup_printf (_("Menu generated on %s"), date);
  gtk_picture_set_alternative_text (row->picture, picture_text);

  /* Translators: the label of a delete button, and %s is a date */
  delete_text = g_strdup_printf (_("Delete the menu from %s"), date);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->delete_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, delete_text, -1);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              MenugenHistoryList       *self)
{
  row_new (item);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             MenugenHistoryList       *self)
{
  MenugenHistoryEntry *entry = gtk_list_item_get_item (item);
  Row *row = get_row (item);

  describe_row (row, entry);
  /* The target comes first, because an action name without its string
   * target is a type mismatch. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->delete_button), "s",
                                    menugen_history_entry_get_id (entry));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row->delete_button), "history-list.delete");
  menugen_thumbnails_set_picture (self->thumbnails, row->picture,
                                  menugen_history_entry_get_result_file (entry));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               MenugenHistoryList       *self)
{
  menugen_thumbnails_set_picture (self->thumbnails, get_row (item)->picture, NULL);
}

static void
activate_cb (GtkListView        *list_view,
             guint               position,
             MenugenHistoryList *self)
{
  g_autoptr(MenugenHistoryEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->entries), position);

  if (entry != NULL)
    g_signal_emit (self, signals[ENTRY_ACTIVATED], 0, entry);
}

static void
list_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MenugenHistoryList *self = user_data;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = menugen_history_list_finish (MENUGEN_HISTORY (source), result,
                                                              &problems, &error);

  /* A newer reload or dispose cancelled this one, and owns the state. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loaded = TRUE;
  replace_reload (self, NULL);

  if (entries == NULL)
    {
      g_message ("Could not list the history: %s", error->message);
      report_error (self, error);
      update_page (self);
      return;
    }

  g_debug ("Listed %u history entries, skipped %u", entries->len, problems != NULL ? problems->len : 0);
  g_list_store_splice (self->entries, 0, g_list_model_get_n_items (G_LIST_MODEL (self->entries)),
                       entries->pdata, entries->len);
  update_page (self);
  report_problems (self, problems);
}

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DeleteRequest) request = user_data;
  g_autoptr(GError) error = NULL;

  if (!menugen_history_delete_finish (MENUGEN_HISTORY (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        report_error (request->self, error);
      return;
    }

  remove_entry (request->self, request->entry);
  g_signal_emit (request->self, signals[ENTRY_DELETED], 0, request->entry);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  DeleteRequest *request = user_data;
  MenugenHistoryList *self = request->self;

  if (!g_str_equal (response, "delete") || self->history == NULL
      || g_cancellable_is_cancelled (self->cancellable))
    return;

  menugen_history_delete_async (self->history, request->entry, self->cancellable, deleted_cb,
                                delete_request_new (self, request->entry));
}

static void
delete_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MenugenHistoryList *self = MENUGEN_HISTORY_LIST (widget);
  MenugenHistoryEntry *entry = menugen_history_list_find (self, g_variant_get_string (parameter, NULL));

  if (entry != NULL)
    menugen_history_list_confirm_delete (self, entry);
}

static void
dismiss_problems_activated (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  MenugenHistoryList *self = MENUGEN_HISTORY_LIST (widget);

  gtk_widget_set_visible (self->problems_box, FALSE);
  gtk_label_set_text (self->problems_label, "");
}

static void
menugen_history_list_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  MenugenHistoryList *self = MENUGEN_HISTORY_LIST (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, menugen_history_list_get_loading (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_history_list_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  MenugenHistoryList *self = MENUGEN_HISTORY_LIST (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      menugen_history_list_set_history (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Focus goes to the list's current row, so that Ctrl+H followed by the
 * arrow keys and Enter opens a menu without the pointer. */
static gboolean
menugen_history_list_grab_focus (GtkWidget *widget)
{
  MenugenHistoryList *self = MENUGEN_HISTORY_LIST (widget);

  if (g_list_model_get_n_items (G_LIST_MODEL (self->entries)) == 0)
    return FALSE;

  return gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
menugen_history_list_dispose (GObject *object)
{
  MenugenHistoryList *self = MENUGEN_HISTORY_LIST (object);

  g_cancellable_cancel (self->cancellable);
  if (self->reload_cancellable != NULL)
    g_cancellable_cancel (self->reload_cancellable);
  g_clear_object (&self->reload_cancellable);

  g_clear_object (&self->history);
  g_clear_object (&self->entries);
  g_clear_object (&self->thumbnails);

  G_OBJECT_CLASS (menugen_history_list_parent_class)->dispose (object);
}

static void
menugen_history_list_finalize (GObject *object)
{
  MenugenHistoryList *self = MENUGEN_HISTORY_LIST (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->reported, g_hash_table_unref);

  G_OBJECT_CLASS (menugen_history_list_parent_class)->finalize (object);
}

static void
install_signals (GObjectClass *object_class)
{
  /**
   * MenugenHistoryList::entry-activated:
   * @entry: the entry the user chose to open
   */
  signals[ENTRY_ACTIVATED] =
    g_signal_new ("entry-activated", G_TYPE_FROM_CLASS (object_class), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MENUGEN_TYPE_HISTORY_ENTRY);

  /**
   * MenugenHistoryList::entry-deleted:
   * @entry: the entry whose folder was just deleted
   */
  signals[ENTRY_DELETED] =
    g_signal_new ("entry-deleted", G_TYPE_FROM_CLASS (object_class), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MENUGEN_TYPE_HISTORY_ENTRY);

  /**
   * MenugenHistoryList::problems:
   * @messages: one translated sentence per problem
   *
   * Reports damaged entries that listing skipped, and lists or deletes
   * that failed. The list shows them above its rows as well. Each
   * sentence is reported once per widget.
   */
  signals[PROBLEMS] =
    g_signal_new ("problems", G_TYPE_FROM_CLASS (object_class), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV);
}

static void
menugen_history_list_class_init (MenugenHistoryListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = menugen_history_list_get_property;
  object_class->set_property = menugen_history_list_set_property;
  object_class->dispose = menugen_history_list_dispose;
  object_class->finalize = menugen_history_list_finalize;
  widget_class->grab_focus = menugen_history_list_grab_focus;

  properties[PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL, MENUGEN_TYPE_HISTORY,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  install_signals (object_class);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Menugen/ui/menugen-history-list.ui");
  gtk_widget_class_bind_template_child (widget_class, MenugenHistoryList, problems_box);
  gtk_widget_class_bind_template_child (widget_class, MenugenHistoryList, problems_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenHistoryList, stack);
  gtk_widget_class_bind_template_child (widget_class, MenugenHistoryList, spinner);
  gtk_widget_class_bind_template_child (widget_class, MenugenHistoryList, list_view);

  gtk_widget_class_install_action (widget_class, "history-list.delete", "s", delete_activated);
  gtk_widget_class_install_action (widget_class, "history-list.dismiss-problems", NULL,
                                   dismiss_problems_activated);
}

static void
menugen_history_list_init (MenugenHistoryList *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkNoSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->entries = g_list_store_new (MENUGEN_TYPE_HISTORY_ENTRY);
  self->thumbnails = menugen_thumbnails_new (MENUGEN_THUMBNAIL_SIZE);
  self->reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->entries)));
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_signal_connect (self->list_view, "activate", G_CALLBACK (activate_cb), self);

  update_page (self);
}

/**
 * menugen_history_list_new:
 *
 * Creates an empty list. It shows entries once a history is set.
 *
 * Returns: (transfer full): a new #MenugenHistoryList
 */
GtkWidget *
menugen_history_list_new (void)
{
  return g_object_new (MENUGEN_TYPE_HISTORY_LIST, NULL);
}

/**
 * menugen_history_list_set_history:
 * @self: a #MenugenHistoryList
 * @history: (nullable): the history to show
 *
 * Shows @history and starts listing it.
 */
void
menugen_history_list_set_history (MenugenHistoryList *self,
                                  MenugenHistory     *history)
{
  g_return_if_fail (MENUGEN_IS_HISTORY_LIST (self));
  g_return_if_fail (history == NULL || MENUGEN_IS_HISTORY (history));

  if (!g_set_object (&self->history, history))
    return;

  g_list_store_remove_all (self->entries);
  self->loaded = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
  menugen_history_list_reload (self);
}

MenugenHistory *
menugen_history_list_get_history (MenugenHistoryList *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_LIST (self), NULL);

  return self->history;
}

/**
 * menugen_history_list_reload:
 * @self: a #MenugenHistoryList
 *
 * Lists the history again in a worker thread, replacing a reload that is
 * still running. The rows stay as they are until the new list is ready.
 */
void
menugen_history_list_reload (MenugenHistoryList *self)
{
  g_autoptr(GCancellable) reload_cancellable = NULL;

  g_return_if_fail (MENUGEN_IS_HISTORY_LIST (self));

  if (self->history == NULL)
    {
      replace_reload (self, NULL);
      self->loaded = TRUE;
      update_page (self);
      return;
    }

  reload_cancellable = g_cancellable_new ();
  replace_reload (self, reload_cancellable);
  update_page (self);
  menugen_history_list_async (self->history, reload_cancellable, list_done_cb, self);
}

/**
 * menugen_history_list_get_loading:
 * @self: a #MenugenHistoryList
 *
 * Returns: %TRUE while a reload runs
 */
gboolean
menugen_history_list_get_loading (MenugenHistoryList *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_LIST (self), FALSE);

  return self->reload_cancellable != NULL;
}

/**
 * menugen_history_list_get_model:
 * @self: a #MenugenHistoryList
 *
 * Returns: (transfer none): the listed #MenugenHistoryEntry items, newest
 *   first
 */
GListModel *
menugen_history_list_get_model (MenugenHistoryList *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_LIST (self), NULL);

  return G_LIST_MODEL (self->entries);
}

/**
 * menugen_history_list_find:
 * @self: a #MenugenHistoryList
 * @id: an entry id
 *
 * Returns: (transfer none) (nullable): the listed entry with @id
 */
MenugenHistoryEntry *
menugen_history_list_find (MenugenHistoryList *self,
                           const char         *id)
{
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  guint position = 0;

  g_return_val_if_fail (MENUGEN_IS_HISTORY_LIST (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  if (!find_position (self, id, &position))
    return NULL;

  /* The store keeps its own reference, so the pointer stays valid. */
  entry = g_list_model_get_item (G_LIST_MODEL (self->entries), position);
  return entry;
}

/**
 * menugen_history_list_get_thumbnails:
 * @self: a #MenugenHistoryList
 *
 * Returns: (transfer none): the thumbnail cache of the rows, to share
 *   with other views of the same entries
 */
MenugenThumbnails *
menugen_history_list_get_thumbnails (MenugenHistoryList *self)
{
  g_return_val_if_fail (MENUGEN_IS_HISTORY_LIST (self), NULL);

  return self->thumbnails;
}

/**
 * menugen_history_list_confirm_delete:
 * @self: a #MenugenHistoryList
 * @entry: the entry to delete
 *
 * Asks once whether to delete @entry, and on "Delete" removes its folder
 * in a worker thread, then its row. A failure is reported through
 * #MenugenHistoryList::problems.
 *
 * Returns: (transfer none): the dialog, already presented
 */
GtkWidget *
menugen_history_list_confirm_delete (MenugenHistoryList  *self,
                                     MenugenHistoryEntry *entry)
{
  g_autofree char *date = NULL;
  GtkRoot *root;
  GtkWidget *dialog;

  g_return_val_if_fail (MENUGEN_IS_HISTORY_LIST (self), NULL);
  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry), NULL);

  root = gtk_widget_get_root (GTK_WIDGET (self));
  date = menugen_history_entry_format_date (entry);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Delete this menu?"), NULL);
  /* Translators: %s is the date the menu was generated */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("The menu from %s is removed from the history together with "
                                    "its photo and notes. This cannot be undone."), date);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  g_signal_connect_data (dialog, "response", G_CALLBACK (delete_response_cb),
                         delete_request_new (self, entry), delete_request_closure_free, 0);

  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/**
 * menugen_history_entry_format_date:
 * @entry: a #MenugenHistoryEntry
 *
 * Formats when @entry was generated, in local time, for a list row.
 *
 * Returns: (transfer full): the date and time
 */
char *
menugen_history_entry_format_date (MenugenHistoryEntry *entry)
{
  g_autoptr(GDateTime) local = NULL;
  char *text;

  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry), NULL);

  local = g_date_time_to_local (menugen_history_entry_get_created (entry));
  /* Translators: the date of a past menu, in g_date_time_format() syntax,
   * for example “17 May 2024, 12:31”. “%-d” is the day without padding. */
  text = g_date_time_format (local, _("%-d %b %Y, %H:%M"));
  if (text == NULL)
    text = g_date_time_format_iso8601 (local);

  return text;
}

/**
 * menugen_history_entry_format_source:
 * @entry: a #MenugenHistoryEntry
 *
 * Names the back-end and model that drew @entry, for a list row.
 *
 * Returns: (transfer full): for example “My Gemini · gemini-2.5-flash-image”
 */
char *
menugen_history_entry_format_source (MenugenHistoryEntry *entry)
{
  const char *backend;
  const char *model;

  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry), NULL);

  backend = menugen_history_entry_get_backend_name (entry);
  if (backend == NULL || backend[0] == '\0')
    backend = menugen_backend_kind_label (menugen_history_entry_get_backend_kind (entry));

  model = menugen_history_entry_get_model (entry);
  if (model == NULL || model[0] == '\0')
    return g_strdup (backend);

  /* Translators: a back-end name and a model name */
  return g_strdup_printf (_("%s · %s"), backend, model);
}
