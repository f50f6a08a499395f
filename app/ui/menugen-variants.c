#include "config.h"

#include <glib/gi18n.h>

#include "ui/menugen-drag.h"
#include "ui/menugen-history-list.h"
#include "ui/menugen-variants.h"

/* Height of a thumbnail in the strip, in logical pixels, and of the
 * strip with the button padding and margins around it. */
#define BUTTON_THUMBNAIL_SIZE 56
#define STRIP_HEIGHT (BUTTON_THUMBNAIL_SIZE + 24)

struct _MenugenVariants
{
  AdwBin parent_instance;

  GtkBox *box;
  GtkFilterListModel *filtered;
  GtkCustomFilter *filter;
  MenugenThumbnails *thumbnails;
  MenugenHistoryEntry *current;
  GPtrArray *buttons;  /* GtkToggleButton, oldest variant first */
};

G_DEFINE_FINAL_TYPE (MenugenVariants, menugen_variants, ADW_TYPE_BIN)

enum {
  ENTRY_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
same_photo_cb (gpointer item,
               gpointer user_data)
{
  MenugenVariants *self = user_data;
  const char *sha256;

  if (self->current == NULL)
    return FALSE;

  sha256 = menugen_history_entry_get_photo_sha256 (self->current);
  if (sha256 == NULL || sha256[0] == '\0')
    return g_strcmp0 (menugen_history_entry_get_id (item), menugen_history_entry_get_id (self->current)) == 0;

  return g_strcmp0 (menugen_history_entry_get_photo_sha256 (item), sha256) == 0;
}

static MenugenHistoryEntry *
button_get_entry (GtkWidget *button)
{
  return g_object_get_data (G_OBJECT (button), "menugen-entry");
}

static gboolean
is_current (MenugenVariants     *self,
            MenugenHistoryEntry *entry)
{
  return self->current != NULL
         && g_strcmp0 (menugen_history_entry_get_id (entry), menugen_history_entry_get_id (self->current)) == 0;
}

static void
update_active (MenugenVariants *self)
{
  for (guint i = 0; i < self->buttons->len; i++)
    {
      GtkToggleButton *button = g_ptr_array_index (self->buttons, i);

      gtk_toggle_button_set_active (button, is_current (self, button_get_entry (GTK_WIDGET (button))));
    }
}

static void
button_clicked_cb (GtkButton       *button,
                   MenugenVariants *self)
{
  MenugenHistoryEntry *entry = button_get_entry (GTK_WIDGET (button));

  g_signal_emit (self, signals[ENTRY_ACTIVATED], 0, entry);
  update_active (self);
}

static void
describe_button (GtkWidget           *button,
                 MenugenHistoryEntry *entry,
                 guint                number,
                 guint                count)
{
  g_autofree char *date = menugen_history_entry_format_date (entry);
  g_autofree char *source = menugen_history_entry_format_source (entry);
  g_autofree char *label = NULL;
  g_autofree char *tooltip = NULL;

  /* Translators: an accessible label, for example “Variant 2 of 3, 17 May 2024, 12:31” */
  label = g_strdup_printf (_("Variant %u of %u, %s"), number, count, date);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);

  tooltip = g_strdup_printf ("%s\n%s", date, source);
  gtk_widget_set_tooltip_text (button, tooltip);
}

static GtkWidget *
make_button (MenugenVariants     *self,
             MenugenHistoryEntry *entry,
             guint                number,
             guint                count)
{
  GtkWidget *button = gtk_toggle_button_new ();
  GtkWidget *picture = gtk_picture_new ();

  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_size_request (picture, BUTTON_THUMBNAIL_SIZE, BUTTON_THUMBNAIL_SIZE);
  menugen_thumbnails_set_picture (self->thumbnails, GTK_PICTURE (picture),
                                  menugen_history_entry_get_result_file (entry));

  gtk_button_set_child (GTK_BUTTON (button), picture);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "menugen-variant");
  g_object_set_data_full (G_OBJECT (button), "menugen-entry", g_object_ref (entry), g_object_unref);
  describe_button (button, entry, number, count);
  gtk_widget_add_controller (button, GTK_EVENT_CONTROLLER (menugen_drag_source_new_for_entry (entry)));
  g_signal_connect (button, "clicked", G_CALLBACK (button_clicked_cb), self);

  return button;
}

static void
remove_buttons (MenugenVariants *self)
{
  for (guint i = 0; i < self->buttons->len; i++)
    gtk_box_remove (self->box, g_ptr_array_index (self->buttons, i));

  g_ptr_array_set_size (self->buttons, 0);
}

/* Builds one button per variant, oldest first, and shows the strip only
 * when there is more than one. The model lists newest first. */
static void
rebuild (MenugenVariants *self)
{
  guint count = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  remove_buttons (self);

  for (guint i = 0; i < count; i++)
    {
      g_autoptr(MenugenHistoryEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->filtered), count - 1 - i);
      GtkWidget *button = make_button (self, entry, i + 1, count);

      if (self->buttons->len > 0)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), g_ptr_array_index (self->buttons, 0));

      gtk_box_append (self->box, button);
      g_ptr_array_add (self->buttons, button);
    }

  update_active (self);
  gtk_widget_set_visible (GTK_WIDGET (self), count > 1);
}

static void
items_changed_cb (GListModel      *model,
                  guint            position,
                  guint            removed,
                  guint            added,
                  MenugenVariants *self)
{
  rebuild (self);
}

static void
menugen_variants_dispose (GObject *object)
{
  MenugenVariants *self = MENUGEN_VARIANTS (object);

  if (self->filtered != NULL)
    g_signal_handlers_disconnect_by_func (self->filtered, items_changed_cb, self);

  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->thumbnails);
  g_clear_object (&self->current);

  G_OBJECT_CLASS (menugen_variants_parent_class)->dispose (object);
}

static void
menugen_variants_finalize (GObject *object)
{
  MenugenVariants *self = MENUGEN_VARIANTS (object);

  g_clear_pointer (&self->buttons, g_ptr_array_unref);

  G_OBJECT_CLASS (menugen_variants_parent_class)->finalize (object);
}

static void
menugen_variants_class_init (MenugenVariantsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = menugen_variants_dispose;
  object_class->finalize = menugen_variants_finalize;

  /**
   * MenugenVariants::entry-activated:
   * @entry: the variant the user chose
   */
  signals[ENTRY_ACTIVATED] =
    g_signal_new ("entry-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MENUGEN_TYPE_HISTORY_ENTRY);

  gtk_widget_class_set_css_name (widget_class, "menugen-variants");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
menugen_variants_init (MenugenVariants *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->buttons = g_ptr_array_new ();
  self->thumbnails = menugen_thumbnails_new (MENUGEN_THUMBNAIL_SIZE);
  self->filter = gtk_custom_filter_new (same_photo_cb, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, GTK_FILTER (g_object_ref (self->filter)));
  g_signal_connect (self->filtered, "items-changed", G_CALLBACK (items_changed_cb), self);

  self->box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6));
  gtk_widget_set_halign (GTK_WIDGET (self->box), GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (GTK_WIDGET (self->box), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->box), 6);

  /* A picture's natural size is its texture's, twice the size shown, so
   * the strip sets its own height and the pictures shrink to it. */
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_AUTOMATIC, GTK_POLICY_EXTERNAL);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), STRIP_HEIGHT);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->box));
  adw_bin_set_child (ADW_BIN (self), scrolled);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Variants generated from this photo"), -1);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

/**
 * menugen_variants_new:
 *
 * Creates a strip of thumbnails of the menus generated from one photo.
 * It is hidden while there are fewer than two.
 *
 * Returns: (transfer full): a new #MenugenVariants
 */
GtkWidget *
menugen_variants_new (void)
{
  return g_object_new (MENUGEN_TYPE_VARIANTS, NULL);
}

/**
 * menugen_variants_set_model:
 * @self: a #MenugenVariants
 * @entries: (nullable): all history entries, newest first
 *
 * Sets the entries to choose variants from, usually the model of a
 * #MenugenHistoryList, so the strip follows its reloads.
 */
void
menugen_variants_set_model (MenugenVariants *self,
                            GListModel      *entries)
{
  g_return_if_fail (MENUGEN_IS_VARIANTS (self));
  g_return_if_fail (entries == NULL || G_IS_LIST_MODEL (entries));

  gtk_filter_list_model_set_model (self->filtered, entries);
}

/**
 * menugen_variants_set_thumbnails:
 * @self: a #MenugenVariants
 * @thumbnails: a thumbnail cache to share with other views
 */
void
menugen_variants_set_thumbnails (MenugenVariants   *self,
                                 MenugenThumbnails *thumbnails)
{
  g_return_if_fail (MENUGEN_IS_VARIANTS (self));
  g_return_if_fail (MENUGEN_IS_THUMBNAILS (thumbnails));

  if (g_set_object (&self->thumbnails, thumbnails))
    rebuild (self);
}

/**
 * menugen_variants_set_current:
 * @self: a #MenugenVariants
 * @entry: (nullable): the entry the window shows, or %NULL for none
 *
 * Shows the variants of the photo of @entry, with @entry marked.
 */
void
menugen_variants_set_current (MenugenVariants     *self,
                              MenugenHistoryEntry *entry)
{
  g_return_if_fail (MENUGEN_IS_VARIANTS (self));
  g_return_if_fail (entry == NULL || MENUGEN_IS_HISTORY_ENTRY (entry));

  if (!g_set_object (&self->current, entry))
    return;

  /* The filter change rebuilds the buttons when the set changes. When it
   * does not, only the mark moves. */
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_active (self);
}

MenugenHistoryEntry *
menugen_variants_get_current (MenugenVariants *self)
{
  g_return_val_if_fail (MENUGEN_IS_VARIANTS (self), NULL);

  return self->current;
}

/**
 * menugen_variants_get_n_variants:
 * @self: a #MenugenVariants
 *
 * Returns: how many menus were generated from the current photo,
 *   including the current one
 */
guint
menugen_variants_get_n_variants (MenugenVariants *self)
{
  g_return_val_if_fail (MENUGEN_IS_VARIANTS (self), 0);

  return self->buttons->len;
}

/**
 * menugen_variants_get_button:
 * @self: a #MenugenVariants
 * @index: position in the strip, 0 for the oldest variant
 *
 * Returns: (transfer none) (nullable): the button of that variant
 */
GtkWidget *
menugen_variants_get_button (MenugenVariants *self,
                             guint            index)
{
  g_return_val_if_fail (MENUGEN_IS_VARIANTS (self), NULL);

  if (index >= self->buttons->len)
    return NULL;

  return g_ptr_array_index (self->buttons, index);
}
