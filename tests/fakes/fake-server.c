#include <math.h>
#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "fake-server.h"

#define STUB_PNG_BASE64 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

struct _FakeServer {
  SoupServer *server;
  char *kind;
  char *scenario;
  char *key;
  char *url;
  char *url_path;
  guint port;
  guint request_count;
  GPtrArray *paths;
  GPtrArray *violations;
  GBytes *last_body;
  int image_width;
  int image_height;
  gpointer data;
  GDestroyNotify data_destroy;
};

static const struct {
  const char *kind;
  FakeInstallFunc install;
  const char *url_path;
} installers[] = {
  { "gemini", fake_gemini_install, "" },
  { "openai-images", fake_openai_install, "/v1" },
  { "comfyui", fake_comfyui_install, "" },
  { "openai-chat", fake_chat_install, "/v1" },
  { NULL, NULL, NULL },
};

/**
 * fake_server_list_kinds:
 *
 * Returns: (transfer full): the kinds that fake_server_new() accepts in
 *   this build, separated by ", "
 */
char *
fake_server_list_kinds (void)
{
  g_autoptr(GString) kinds = g_string_new (NULL);

  for (guint i = 0; installers[i].kind != NULL; i++)
    {
      if (kinds->len > 0)
        g_string_append (kinds, ", ");
      g_string_append (kinds, installers[i].kind);
    }

  return g_string_free (g_steal_pointer (&kinds), FALSE);
}

gboolean
fake_server_has_kind (const char *kind)
{
  for (guint i = 0; installers[i].kind != NULL; i++)
    if (g_str_equal (installers[i].kind, kind))
      return TRUE;

  return FALSE;
}

static void
update_url (FakeServer *self)
{
  g_free (self->url);
  self->url = g_strdup_printf ("http://127.0.0.1:%u%s", self->port, self->url_path);
}

/**
 * fake_server_new:
 * @kind: "gemini", "openai-images", "comfyui" or "openai-chat"
 * @scenario: what the fake answers, usually a fixture name without ".json"
 *
 * Starts a fake on 127.0.0.1 with a port chosen by the system. The fake
 * expects the key "test-key-not-real" unless fake_server_set_key() says
 * otherwise.
 */
FakeServer *
fake_server_new (const char *kind,
                 const char *scenario)
{
  FakeServer *self = g_new0 (FakeServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  FakeInstallFunc install = NULL;

  if (!fake_server_has_kind (kind))
    {
      g_autofree char *kinds = fake_server_list_kinds ();

      g_error ("unknown fake kind \"%s\"; the kinds are %s", kind, kinds);
    }

  self->kind = g_strdup (kind);
  self->scenario = g_strdup (scenario);
  self->key = g_strdup ("test-key-not-real");
  self->paths = g_ptr_array_new_with_free_func (g_free);
  self->violations = g_ptr_array_new_with_free_func (g_free);
  self->server = soup_server_new ("server-header", "fake-server", NULL);

  for (guint i = 0; installers[i].kind != NULL; i++)
    if (g_str_equal (installers[i].kind, kind))
      {
        install = installers[i].install;
        self->url_path = g_strdup (installers[i].url_path);
      }

  if (!soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("fake %s could not listen: %s", kind, error->message);

  uris = soup_server_get_uris (self->server);
  self->port = g_uri_get_port (uris->data);
  update_url (self);

  install (self);

  return self;
}

void
fake_server_free (FakeServer *self)
{
  if (self == NULL)
    return;

  if (self->data_destroy != NULL)
    self->data_destroy (self->data);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->last_body, g_bytes_unref);
  g_ptr_array_unref (self->paths);
  g_ptr_array_unref (self->violations);
  g_free (self->kind);
  g_free (self->scenario);
  g_free (self->key);
  g_free (self->url);
  g_free (self->url_path);
  g_free (self);
}

const char *
fake_server_get_url (FakeServer *self)
{
  return self->url;
}

SoupServer *
fake_server_get_soup_server (FakeServer *self)
{
  return self->server;
}

const char *
fake_server_get_kind (FakeServer *self)
{
  return self->kind;
}

const char *
fake_server_get_scenario (FakeServer *self)
{
  return self->scenario;
}

void
fake_server_set_scenario (FakeServer *self,
                          const char *scenario)
{
  g_free (self->scenario);
  self->scenario = g_strdup (scenario);
}

const char *
fake_server_get_key (FakeServer *self)
{
  return self->key;
}

void
fake_server_set_key (FakeServer *self,
                     const char *key)
{
  g_free (self->key);
  self->key = g_strdup (key);
}

/* Changes the path part of the advertised base URL, such as "/api/v1" for a
 * Lemonade fake. Handlers decide themselves which paths they serve. */
void
fake_server_set_url_path (FakeServer *self,
                          const char *path)
{
  g_free (self->url_path);
  self->url_path = g_strdup (path);
  update_url (self);
}

guint
fake_server_get_request_count (FakeServer *self)
{
  return self->request_count;
}

void
fake_server_count_request (FakeServer *self,
                           const char *path)
{
  self->request_count++;
  g_ptr_array_add (self->paths, g_strdup (path));
}

GPtrArray *
fake_server_get_paths (FakeServer *self)
{
  return self->paths;
}

GPtrArray *
fake_server_get_violations (FakeServer *self)
{
  return self->violations;
}

void
fake_server_add_violation (FakeServer *self,
                           const char *format,
                           ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (self->violations, g_strdup_vprintf (format, args));
  va_end (args);
}

GBytes *
fake_server_get_last_body (FakeServer *self)
{
  return self->last_body;
}

void
fake_server_set_last_body (FakeServer *self,
                           GBytes     *body)
{
  g_clear_pointer (&self->last_body, g_bytes_unref);
  if (body != NULL)
    self->last_body = g_bytes_ref (body);
}

/* Records the pixel size of the image in the latest reply, for scenarios
 * whose image size depends on the request. */
void
fake_server_set_image_size (FakeServer *self,
                            int         width,
                            int         height)
{
  self->image_width = width;
  self->image_height = height;
}

/* Returns FALSE while no reply has recorded an image size. */
gboolean
fake_server_get_image_size (FakeServer *self,
                            int        *width,
                            int        *height)
{
  *width = self->image_width;
  *height = self->image_height;
  return self->image_width > 0 && self->image_height > 0;
}

gpointer
fake_server_get_data (FakeServer *self)
{
  return self->data;
}

void
fake_server_set_data (FakeServer     *self,
                      gpointer        data,
                      GDestroyNotify  destroy)
{
  if (self->data_destroy != NULL)
    self->data_destroy (self->data);
  self->data = data;
  self->data_destroy = destroy;
}

/* Reads tests/fixtures/NAME (".json" appended when missing); the folder
 * comes from MENUGEN_FIXTURES_DIR, which meson sets for every test. */
GBytes *
fake_load_fixture (const char *name)
{
  const char *dir = g_getenv ("MENUGEN_FIXTURES_DIR");
  g_autofree char *file_name = g_str_has_suffix (name, ".json") ? g_strdup (name) : g_strconcat (name, ".json", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, file_name, NULL);
  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("fixture %s: %s", path, error->message);

  return g_bytes_new_take (contents, length);
}

void
fake_reply_json (SoupServerMessage *message,
                 guint              status,
                 const char        *json)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

void
fake_reply_fixture (SoupServerMessage *message,
                    guint              status,
                    const char        *fixture)
{
  g_autoptr(GBytes) body = fake_load_fixture (fixture);
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, data, length);
}

void
fake_reply_fixture_with_image (SoupServerMessage *message,
                               guint              status,
                               const char        *fixture,
                               int                width,
                               int                height)
{
  g_autofree char *body = fake_fixture_with_image (fixture, NULL, width, height);

  fake_reply_json (message, status, body);
}

/* Rejects a request the way the service would, and records why, so that a
 * test can assert that the client never sent something the service rejects. */
void
fake_reply_error (FakeServer        *self,
                  SoupServerMessage *message,
                  guint              status,
                  const char        *json,
                  const char        *violation_format,
                  ...)
{
  va_list args;

  va_start (args, violation_format);
  g_ptr_array_add (self->violations, g_strdup_vprintf (violation_format, args));
  va_end (args);

  g_debug ("fake %s rejected a request: %s", self->kind,
           (const char *) g_ptr_array_index (self->violations, self->violations->len - 1));
  fake_reply_json (message, status, json);
}

GBytes *
fake_make_png (int width,
               int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize length = 0;

  /* A warm plate colour, so screenshots show that an image arrived. */
  gdk_pixbuf_fill (pixbuf, 0xe8b04aff);
  if (!gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "png", &error, NULL))
    g_error ("could not encode a test PNG: %s", error->message);

  return g_bytes_new_take (buffer, length);
}

/* The fake illustrated menu: a cream page with a title, a column of dish
 * rows on the left (a plate, a name, a description and a price each) and
 * the uploaded photo on the right. Fractions are of the page's size. */
#define MENU_ROWS 6
#define MENU_MARGIN 0.05
#define MENU_TOP 0.15
#define MENU_COLUMN_WIDTH 0.52
#define MENU_PHOTO_LEFT 0.61

/* Tomato, basil, saffron, chocolate, blueberry and paprika. */
static const double plate_colours[MENU_ROWS][3] = {
  { 0.85, 0.24, 0.16 }, { 0.30, 0.60, 0.22 }, { 0.95, 0.72, 0.15 },
  { 0.45, 0.27, 0.15 }, { 0.33, 0.35, 0.70 }, { 0.90, 0.45, 0.20 },
};

static void
fill_bar (cairo_t *cr,
          double   x,
          double   y,
          double   width,
          double   height,
          double   grey)
{
  double radius = height / 2;

  cairo_set_source_rgb (cr, grey, grey, grey * 0.95);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI / 2, 3 * G_PI / 2);
  cairo_arc (cr, x + width - radius, y + radius, radius, 3 * G_PI / 2, G_PI / 2);
  cairo_close_path (cr);
  cairo_fill (cr);
}

static void
draw_plate (cairo_t      *cr,
            double        x,
            double        y,
            double        radius,
            const double *colour)
{
  cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
  cairo_set_source_rgb (cr, 1.0, 1.0, 0.98);
  cairo_fill_preserve (cr);
  cairo_set_line_width (cr, MAX (radius * 0.08, 1.0));
  cairo_set_source_rgb (cr, 0.62, 0.58, 0.52);
  cairo_stroke (cr);

  cairo_arc (cr, x, y, radius * 0.62, 0, 2 * G_PI);
  cairo_set_source_rgb (cr, colour[0], colour[1], colour[2]);
  cairo_fill (cr);

  /* A highlight, so the food reads as round. */
  cairo_arc (cr, x - radius * 0.2, y - radius * 0.2, radius * 0.18, 0, 2 * G_PI);
  cairo_set_source_rgba (cr, 1.0, 1.0, 1.0, 0.45);
  cairo_fill (cr);
}

static void
draw_dish_rows (cairo_t *cr,
                int      width,
                int      height)
{
  double left = width * MENU_MARGIN;
  double column = width * MENU_COLUMN_WIDTH;
  double row = height * (1 - MENU_TOP - MENU_MARGIN) / MENU_ROWS;
  double radius = MIN (row * 0.38, column * 0.13);

  for (int i = 0; i < MENU_ROWS; i++)
    {
      double center_y = height * MENU_TOP + row * (i + 0.5);
      double text_left = left + radius * 2.6;
      double text_width = left + column - text_left;
      double bar = MAX (row * 0.09, 2.0);

      draw_plate (cr, left + radius, center_y, radius, plate_colours[i]);
      fill_bar (cr, text_left, center_y - bar * 1.6, text_width * (0.55 + 0.05 * (i % 3)), bar, 0.25);
      fill_bar (cr, text_left, center_y + bar * 0.4, text_width * (0.70 - 0.06 * (i % 2)), bar * 0.7, 0.60);
      fill_bar (cr, left + column - text_width * 0.14, center_y - bar * 1.6, text_width * 0.14, bar, 0.35);
    }
}

static void
draw_page (cairo_t *cr,
           int      width,
           int      height)
{
  double left = width * MENU_MARGIN;
  double title = MAX (height * 0.035, 3.0);

  cairo_set_source_rgb (cr, 0.97, 0.94, 0.86);
  cairo_paint (cr);

  fill_bar (cr, left, height * 0.05, width * 0.45, title, 0.20);
  cairo_set_source_rgb (cr, 0.55, 0.35, 0.20);
  cairo_rectangle (cr, left, height * 0.05 + title * 2, width * (1 - 2 * MENU_MARGIN), MAX (height * 0.003, 1.0));
  cairo_fill (cr);

  draw_dish_rows (cr, width, height);
}

static GdkPixbuf *
decode_photo (GBytes *photo)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;

  if (photo == NULL)
    return NULL;

  stream = g_memory_input_stream_new_from_bytes (photo);
  pixbuf = gdk_pixbuf_new_from_stream (stream, NULL, &error);
  if (pixbuf == NULL)
    g_debug ("fake: the uploaded photo did not decode, so the menu shows none: %s", error->message);

  return g_steal_pointer (&pixbuf);
}

/* Copies an opaque ARGB32 surface into a new RGB pixbuf. */
static GdkPixbuf *
surface_to_pixbuf (cairo_surface_t *surface)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);

  cairo_surface_flush (surface);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 argb = ((const guint32 *) (data + y * stride))[x];
        guint8 *rgb = pixels + y * rowstride + x * 3;

        rgb[0] = (argb >> 16) & 0xff;
        rgb[1] = (argb >> 8) & 0xff;
        rgb[2] = argb & 0xff;
      }

  return pixbuf;
}

/* Fits the photo into the right part of the page, below the title. */
static void
place_photo (GdkPixbuf         *photo,
             int                width,
             int                height,
             cairo_rectangle_t *area)
{
  double box_width = width * (1 - MENU_PHOTO_LEFT - MENU_MARGIN);
  double box_height = height * (1 - MENU_TOP - MENU_MARGIN);
  double scale = MIN (box_width / gdk_pixbuf_get_width (photo), box_height / gdk_pixbuf_get_height (photo));

  area->width = MAX (floor (gdk_pixbuf_get_width (photo) * scale), 1);
  area->height = MAX (floor (gdk_pixbuf_get_height (photo) * scale), 1);
  area->x = floor (width * MENU_PHOTO_LEFT + (box_width - area->width) / 2);
  area->y = floor (height * MENU_TOP);
}

/**
 * fake_make_illustrated_menu:
 * @photo: (nullable): the photo the client uploaded
 * @width: width of the page
 * @height: height of the page
 *
 * Draws a page that looks like an illustrated menu at a glance: coloured
 * plates beside grey text lines, and the uploaded photo scaled into the
 * right part, so screenshots of the window show a plausible result. A
 * photo that gdk-pixbuf cannot decode leaves a grey panel in its place.
 *
 * Returns: (transfer full): the page as PNG bytes
 */
GBytes *
fake_make_illustrated_menu (GBytes *photo,
                            int     width,
                            int     height)
{
  g_autoptr(GdkPixbuf) picture = decode_photo (photo);
  g_autoptr(GdkPixbuf) page = NULL;
  g_autoptr(GError) error = NULL;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create (surface);
  cairo_rectangle_t area = { width * MENU_PHOTO_LEFT, height * MENU_TOP,
                             width * (1 - MENU_PHOTO_LEFT - MENU_MARGIN), height * 0.5 };
  char *buffer = NULL;
  gsize length = 0;

  draw_page (cr, width, height);
  if (picture != NULL)
    place_photo (picture, width, height, &area);

  /* A dark frame around the photo, or the grey panel that replaces it. */
  cairo_set_source_rgb (cr, 0.35, 0.30, 0.25);
  cairo_rectangle (cr, area.x - 2, area.y - 2, area.width + 4, area.height + 4);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0.75, 0.75, 0.75);
  cairo_rectangle (cr, area.x, area.y, area.width, area.height);
  cairo_fill (cr);
  cairo_destroy (cr);

  page = surface_to_pixbuf (surface);
  cairo_surface_destroy (surface);

  if (picture != NULL)
    gdk_pixbuf_scale (picture, page, area.x, area.y, area.width, area.height, area.x, area.y,
                      area.width / gdk_pixbuf_get_width (picture), area.height / gdk_pixbuf_get_height (picture),
                      GDK_INTERP_BILINEAR);

  if (!gdk_pixbuf_save_to_buffer (page, &buffer, &length, "png", &error, NULL))
    g_error ("could not encode the fake illustrated menu: %s", error->message);

  return g_bytes_new_take (buffer, length);
}

char *
fake_make_png_base64 (int width,
                      int height)
{
  g_autoptr(GBytes) png = fake_make_png (width, height);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (png, &length);

  return g_base64_encode (data, length);
}

/**
 * fake_fixture_with_image:
 * @fixture: fixture name
 * @placeholder: (nullable): text to replace; the fixtures' 1×1 PNG stub when %NULL
 * @width: width of the PNG put in its place
 * @height: height of the PNG put in its place
 *
 * Returns: the fixture text with a real PNG of the given size in place of
 *   the stub, so that size checks and screenshots see a plausible image
 */
char *
fake_fixture_with_image (const char *fixture,
                         const char *placeholder,
                         int         width,
                         int         height)
{
  g_autoptr(GBytes) body = fake_load_fixture (fixture);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autofree char *image = fake_make_png_base64 (width, height);
  g_auto(GStrv) pieces = g_strsplit (text, placeholder != NULL ? placeholder : STUB_PNG_BASE64, -1);

  return g_strjoinv (image, pieces);
}

typedef struct {
  SoupServerMessage *message;
  guint status;
  char *json;
  guint timeout_id;
  gulong finished_handler;
  gulong disconnected_handler;
} DelayedReply;

static void
delayed_reply_free (DelayedReply *reply)
{
  g_clear_handle_id (&reply->timeout_id, g_source_remove);
  g_clear_signal_handler (&reply->finished_handler, reply->message);
  g_clear_signal_handler (&reply->disconnected_handler, reply->message);
  g_object_unref (reply->message);
  g_free (reply->json);
  g_free (reply);
}

static gboolean
delayed_reply_cb (gpointer user_data)
{
  DelayedReply *reply = user_data;

  reply->timeout_id = 0;
  fake_reply_json (reply->message, reply->status, reply->json);
  soup_server_message_unpause (reply->message);
  delayed_reply_free (reply);

  return G_SOURCE_REMOVE;
}

/* The client went away (timeout, cancel) before the reply was due. */
static void
delayed_reply_finished_cb (SoupServerMessage *message,
                           gpointer           user_data)
{
  delayed_reply_free (user_data);
}

/* Answers after @milliseconds without blocking the server's main loop. */
void
fake_delay_reply (SoupServerMessage *message,
                  guint              milliseconds,
                  guint              status,
                  const char        *json)
{
  DelayedReply *reply = g_new0 (DelayedReply, 1);

  reply->message = g_object_ref (message);
  reply->status = status;
  reply->json = g_strdup (json);
  reply->finished_handler = g_signal_connect (message, "finished",
                                              G_CALLBACK (delayed_reply_finished_cb), reply);
  reply->disconnected_handler = g_signal_connect (message, "disconnected", G_CALLBACK (delayed_reply_finished_cb), reply);
  soup_server_message_pause (message);
  reply->timeout_id = g_timeout_add (milliseconds, delayed_reply_cb, reply);
}
