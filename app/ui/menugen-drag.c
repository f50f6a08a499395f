#include "config.h"

#include "ui/menugen-drag.h"

/**
 * menugen_content_provider_new_for_entry:
 * @entry: a history entry
 * @texture: (nullable): the decoded result of @entry
 *
 * Offers the result of @entry as a file first, so that a file manager or
 * a browser's upload field receives result.png with its provenance
 * chunks, and as image data for applications that only take images.
 *
 * Returns: (transfer full): a provider of #GdkFileList, #GFile and, with
 *   @texture, #GdkTexture values
 */
GdkContentProvider *
menugen_content_provider_new_for_entry (MenugenHistoryEntry *entry,
                                        GdkTexture          *texture)
{
  GFile *file;
  GdkFileList *files;
  GdkContentProvider *providers[3];
  guint n = 0;

  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry), NULL);
  g_return_val_if_fail (texture == NULL || GDK_IS_TEXTURE (texture), NULL);

  file = menugen_history_entry_get_result_file (entry);
  files = gdk_file_list_new_from_array (&file, 1);
  providers[n++] = gdk_content_provider_new_typed (GDK_TYPE_FILE_LIST, files);
  g_boxed_free (GDK_TYPE_FILE_LIST, files);
  providers[n++] = gdk_content_provider_new_typed (G_TYPE_FILE, file);
  if (texture != NULL)
    providers[n++] = gdk_content_provider_new_typed (GDK_TYPE_TEXTURE, texture);

  return gdk_content_provider_new_union (providers, n);
}

/* Shows the dragged widget, usually a thumbnail, under the pointer. */
static void
drag_begin_cb (GtkDragSource *source,
               GdkDrag       *drag,
               gpointer       user_data)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  g_autoptr(GdkPaintable) icon = gtk_widget_paintable_new (widget);

  gtk_drag_source_set_icon (source, icon, gtk_widget_get_width (widget) / 2,
                            gtk_widget_get_height (widget) / 2);
}

/**
 * menugen_drag_source_new_for_entry:
 * @entry: a history entry
 *
 * Makes a drag source that copies the result of @entry out of the
 * window, as menugen_content_provider_new_for_entry() offers it. The
 * pointer carries a picture of the widget that the source is added to.
 *
 * Returns: (transfer full): a new #GtkDragSource to add to a widget
 */
GtkDragSource *
menugen_drag_source_new_for_entry (MenugenHistoryEntry *entry)
{
  g_autoptr(GdkContentProvider) content = NULL;
  GtkDragSource *source;

  g_return_val_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry), NULL);

  content = menugen_content_provider_new_for_entry (entry, NULL);
  source = gtk_drag_source_new ();
  gtk_drag_source_set_content (source, content);
  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  g_signal_connect (source, "drag-begin", G_CALLBACK (drag_begin_cb), NULL);

  return source;
}
