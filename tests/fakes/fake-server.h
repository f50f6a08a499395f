#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A strict fake of one remote service on 127.0.0.1, port 0. It checks what
 * the real service checks and answers with the recorded bodies from the
 * protocol fixtures folder. */
typedef struct _FakeServer FakeServer;

typedef void (*FakeInstallFunc) (FakeServer *self);

/* An unknown kind ends the program with a message listing the kinds. */
FakeServer *fake_server_new              (const char *kind,
                                          const char *scenario);
gboolean    fake_server_has_kind         (const char *kind);
char       *fake_server_list_kinds       (void);
void        fake_server_free             (FakeServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

/* The base URL in the form the service's SDK takes it ("http://127.0.0.1:N/v1"
 * for OpenAI-style fakes, "http://127.0.0.1:N" for Gemini and ComfyUI). */
const char *fake_server_get_url          (FakeServer *self);
SoupServer *fake_server_get_soup_server  (FakeServer *self);
const char *fake_server_get_kind         (FakeServer *self);
const char *fake_server_get_scenario     (FakeServer *self);
void        fake_server_set_scenario     (FakeServer *self,
                                          const char *scenario);
const char *fake_server_get_key          (FakeServer *self);
void        fake_server_set_key          (FakeServer *self,
                                          const char *key);
void        fake_server_set_url_path     (FakeServer *self,
                                          const char *path);

/* Requests seen, and the reasons the fake rejected any of them. */
guint       fake_server_get_request_count (FakeServer *self);
void        fake_server_count_request    (FakeServer *self,
                                          const char *path);
GPtrArray  *fake_server_get_paths        (FakeServer *self);
GPtrArray  *fake_server_get_violations   (FakeServer *self);
void        fake_server_add_violation    (FakeServer *self,
                                          const char *format,
                                          ...) G_GNUC_PRINTF (2, 3);
/* The last request body that the fake accepted, for tests to inspect. */
GBytes     *fake_server_get_last_body    (FakeServer *self);
void        fake_server_set_last_body    (FakeServer *self,
                                          GBytes     *body);
/* The pixel size of the image in the latest reply of an "illustrated"
 * scenario. */
void        fake_server_set_image_size   (FakeServer *self,
                                          int         width,
                                          int         height);
gboolean    fake_server_get_image_size   (FakeServer *self,
                                          int        *width,
                                          int        *height);
gpointer    fake_server_get_data         (FakeServer *self);
void        fake_server_set_data         (FakeServer     *self,
                                          gpointer        data,
                                          GDestroyNotify  destroy);

/* Shared answers. */
GBytes     *fake_load_fixture            (const char *name);
void        fake_reply_fixture           (SoupServerMessage *message,
                                          guint              status,
                                          const char        *fixture);
/* Replies with a fixture whose 1×1 PNG stub is swapped for a real PNG of
 * the given size, so that a whole job accepts the image. */
void        fake_reply_fixture_with_image (SoupServerMessage *message,
                                           guint              status,
                                           const char        *fixture,
                                           int                width,
                                           int                height);
void        fake_reply_json              (SoupServerMessage *message,
                                          guint              status,
                                          const char        *json);
void        fake_reply_error             (FakeServer        *self,
                                          SoupServerMessage *message,
                                          guint              status,
                                          const char        *json,
                                          const char        *violation_format,
                                          ...) G_GNUC_PRINTF (5, 6);
char       *fake_fixture_with_image      (const char *fixture,
                                          const char *placeholder,
                                          int         width,
                                          int         height);
GBytes     *fake_make_png                (int width,
                                          int height);
char       *fake_make_png_base64         (int width,
                                          int height);
/* A plausible illustrated menu page built around the uploaded photo. */
GBytes     *fake_make_illustrated_menu   (GBytes *photo,
                                          int     width,
                                          int     height);
void        fake_delay_reply             (SoupServerMessage *message,
                                          guint              milliseconds,
                                          guint              status,
                                          const char        *json);

/* Per-service handlers, one file each. */
void        fake_gemini_install          (FakeServer *self);
void        fake_openai_install          (FakeServer *self);
void        fake_comfyui_install         (FakeServer *self);
void        fake_chat_install            (FakeServer *self);

G_END_DECLS
