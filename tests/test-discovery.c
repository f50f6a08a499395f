#include "config.h"

#include <string.h>

#include "backends/menugen-backend.h"
#include "backends/menugen-discovery.h"
#include "fake-server.h"
#include "test-util.h"

#define WAIT_S 10

typedef struct {
  gboolean done;
  GPtrArray *configs;
  GError *error;
  double seconds;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->configs, g_ptr_array_unref);
  g_clear_error (&outcome->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

static void
probe_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->configs = menugen_discovery_probe_finish (result, &outcome->error);
  outcome->done = TRUE;
}

static void
run_discovery (const MenugenDiscoveryTarget *targets,
               GCancellable                 *cancellable,
               Outcome                      *outcome)
{
  gint64 start = g_get_monotonic_time ();

  menugen_discovery_probe_async (targets, cancellable, probe_cb, outcome);
  g_assert_true (menugen_test_wait_for (&outcome->done, WAIT_S));
  outcome->seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;

  for (guint i = 0; outcome->configs != NULL && i < outcome->configs->len; i++)
    {
      const MenugenBackendConfig *config = g_ptr_array_index (outcome->configs, i);

      g_test_message ("found %s: %s at %s, model %s, vision %s %s", config->kind, config->name,
                      config->url, config->model, config->vision_url, config->vision_model);
    }
}

static guint
get_port (FakeServer *fake)
{
  g_autoptr(GUri) uri = g_uri_parse (fake_server_get_url (fake), G_URI_FLAGS_NONE, NULL);

  return (guint) g_uri_get_port (uri);
}

/* Returns a loopback port that nothing listens on: it was bound a moment
 * ago and closed again. */
static guint
get_closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint port;

  g_assert_true (g_socket_bind (socket, any_port, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  return port;
}

static char *
local_url (guint       port,
           const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
}

static void
assert_config (const MenugenBackendConfig *config,
               const char                 *kind,
               const char                 *name,
               const char                 *url,
               const char                 *model)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (config->kind, ==, kind);
  g_assert_cmpstr (config->name, ==, name);
  g_assert_cmpstr (config->url, ==, url);
  g_assert_cmpstr (config->model, ==, model);

  /* Every offer must be usable as it is: local servers need no key. */
  g_assert_true (menugen_backend_check_config (config, &error));
  g_assert_no_error (error);
}

static void
assert_describe_config (const MenugenBackendConfig *config,
                        const char                 *name,
                        const char                 *vision_url,
                        const char                 *vision_model,
                        const char                 *draw_kind,
                        const char                 *url,
                        const char                 *model)
{
  assert_config (config, "describe-then-draw", name, url, model);
  g_assert_cmpstr (config->vision_url, ==, vision_url);
  g_assert_cmpstr (config->vision_model, ==, vision_model);
  g_assert_cmpstr (config->draw_kind, ==, draw_kind);
}

typedef struct {
  FakeServer *llamacpp;
  FakeServer *ollama;
  FakeServer *lmstudio;
  FakeServer *sdserver;
  FakeServer *comfyui;
  FakeServer *lemonade;
  FakeServer *other;
} Servers;

static void
servers_clear (Servers *servers)
{
  g_clear_pointer (&servers->llamacpp, fake_server_free);
  g_clear_pointer (&servers->ollama, fake_server_free);
  g_clear_pointer (&servers->lmstudio, fake_server_free);
  g_clear_pointer (&servers->sdserver, fake_server_free);
  g_clear_pointer (&servers->comfyui, fake_server_free);
  g_clear_pointer (&servers->lemonade, fake_server_free);
  g_clear_pointer (&servers->other, fake_server_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Servers, servers_clear)

static void
start_all_servers (Servers *servers)
{
  servers->llamacpp = fake_server_new ("openai-chat", "discovery-llamacpp");
  servers->ollama = fake_server_new ("openai-chat", "discovery-ollama");
  servers->lmstudio = fake_server_new ("openai-chat", "discovery-lmstudio");
  servers->sdserver = fake_server_new ("openai-chat", "discovery-sdserver");
  servers->comfyui = fake_server_new ("openai-chat", "discovery-comfyui");
  servers->lemonade = fake_server_new ("openai-chat", "discovery-lemonade");
  servers->other = fake_server_new ("openai-chat", "discovery-other");
}

static void
test_finds_each_kind (void)
{
  g_auto(Servers) servers = { 0 };
  g_auto(Outcome) outcome = { 0 };
  g_autofree char *comfyui_url = NULL;
  g_autofree char *sdserver_url = NULL;
  g_autofree char *lemonade_url = NULL;
  g_autofree char *llamacpp_url = NULL;
  g_autofree char *ollama_url = NULL;
  g_autofree char *lmstudio_url = NULL;

  start_all_servers (&servers);

  {
    guint other = get_port (servers.other);
    const MenugenDiscoveryTarget targets[] = {
      { MENUGEN_SERVER_COMFYUI, "127.0.0.1", get_port (servers.comfyui) },
      { MENUGEN_SERVER_SD_SERVER, "127.0.0.1", get_port (servers.sdserver) },
      { MENUGEN_SERVER_LEMONADE, "127.0.0.1", get_port (servers.lemonade) },
      { MENUGEN_SERVER_LLAMACPP, "127.0.0.1", get_port (servers.llamacpp) },
      { MENUGEN_SERVER_OLLAMA, NULL, get_port (servers.ollama) },
      { MENUGEN_SERVER_LM_STUDIO, "127.0.0.1", get_port (servers.lmstudio) },
      /* The port 1234 collision: each probe must reject the other server. */
      { MENUGEN_SERVER_SD_SERVER, "127.0.0.1", get_port (servers.lmstudio) },
      { MENUGEN_SERVER_LM_STUDIO, "127.0.0.1", get_port (servers.sdserver) },
      /* LM Studio replies 200 with an error to /props; llama.cpp 404s /api/version. */
      { MENUGEN_SERVER_LLAMACPP, "127.0.0.1", get_port (servers.lmstudio) },
      { MENUGEN_SERVER_OLLAMA, "127.0.0.1", get_port (servers.llamacpp) },
      { MENUGEN_SERVER_COMFYUI, "127.0.0.1", get_port (servers.lemonade) },
      { MENUGEN_SERVER_COMFYUI, "127.0.0.1", other },
      { MENUGEN_SERVER_SD_SERVER, "127.0.0.1", other },
      { MENUGEN_SERVER_LEMONADE, "127.0.0.1", other },
      { MENUGEN_SERVER_LLAMACPP, "127.0.0.1", other },
      { MENUGEN_SERVER_OLLAMA, "127.0.0.1", other },
      { MENUGEN_SERVER_LM_STUDIO, "127.0.0.1", other },
      { 0, NULL, 0 },
    };

    run_discovery (targets, NULL, &outcome);
  }

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.configs->len, ==, 6);

  comfyui_url = local_url (get_port (servers.comfyui), "");
  sdserver_url = local_url (get_port (servers.sdserver), "/v1");
  lemonade_url = local_url (get_port (servers.lemonade), "/api/v1");
  llamacpp_url = local_url (get_port (servers.llamacpp), "/v1");
  ollama_url = local_url (get_port (servers.ollama), "/v1");
  lmstudio_url = local_url (get_port (servers.lmstudio), "/v1");

  assert_config (g_ptr_array_index (outcome.configs, 0), "comfyui", "ComfyUI on this computer", comfyui_url, "");
  assert_config (g_ptr_array_index (outcome.configs, 1), "openai-images", "stable-diffusion.cpp server on this computer",
                 sdserver_url, "sd-cpp-local");
  assert_config (g_ptr_array_index (outcome.configs, 2), "openai-images", "Lemonade on this computer",
                 lemonade_url, "Flux-2-Klein-4B");

  /* Vision servers draw with sd-server, whose edit endpoint takes the text as it is. */
  assert_describe_config (g_ptr_array_index (outcome.configs, 3),
                          "Describe with llama.cpp, draw with stable-diffusion.cpp server on this computer",
                          llamacpp_url, "gemma-3-4b-it-Q4_K_M.gguf", "openai-images", sdserver_url, "sd-cpp-local");
  assert_describe_config (g_ptr_array_index (outcome.configs, 4),
                          "Describe with Ollama, draw with stable-diffusion.cpp server on this computer",
                          ollama_url, "gemma3:4b", "openai-images", sdserver_url, "sd-cpp-local");
  assert_describe_config (g_ptr_array_index (outcome.configs, 5),
                          "Describe with LM Studio, draw with stable-diffusion.cpp server on this computer",
                          lmstudio_url, "qwen2.5-vl-7b-instruct", "openai-images", sdserver_url, "sd-cpp-local");

  /* The unrelated server was asked and ignored. */
  g_assert_cmpuint (fake_server_get_request_count (servers.other), >=, 6);
  menugen_test_assert_no_violations (servers.llamacpp);
  menugen_test_assert_no_violations (servers.ollama);
  menugen_test_assert_no_violations (servers.lmstudio);
  menugen_test_assert_no_violations (servers.sdserver);
  menugen_test_assert_no_violations (servers.comfyui);
  menugen_test_assert_no_violations (servers.lemonade);
  menugen_test_assert_no_violations (servers.other);
  g_assert_cmpfloat (outcome.seconds, <, 3.0);
}

static void
test_ignores_other_server (void)
{
  g_autoptr(FakeServer) other = fake_server_new ("openai-chat", "discovery-other");
  g_auto(Outcome) outcome = { 0 };
  guint port = get_port (other);
  const MenugenDiscoveryTarget targets[] = {
    { MENUGEN_SERVER_COMFYUI, NULL, port },
    { MENUGEN_SERVER_SD_SERVER, NULL, port },
    { MENUGEN_SERVER_LEMONADE, NULL, port },
    { MENUGEN_SERVER_LLAMACPP, NULL, port },
    { MENUGEN_SERVER_OLLAMA, NULL, port },
    { MENUGEN_SERVER_LM_STUDIO, NULL, port },
    { 0, NULL, 0 },
  };

  run_discovery (targets, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.configs->len, ==, 0);
  g_assert_cmpuint (fake_server_get_request_count (other), ==, 6);
  menugen_test_assert_no_violations (other);
}

static void
test_vision_without_image_server (void)
{
  g_autoptr(FakeServer) llamacpp = fake_server_new ("openai-chat", "discovery-llamacpp");
  g_auto(Outcome) outcome = { 0 };
  g_autofree char *vision_url = local_url (get_port (llamacpp), "/v1");
  const MenugenDiscoveryTarget targets[] = {
    { MENUGEN_SERVER_LLAMACPP, NULL, get_port (llamacpp) },
    { MENUGEN_SERVER_COMFYUI, NULL, get_closed_port () },
    { 0, NULL, 0 },
  };
  const MenugenBackendConfig *config;

  run_discovery (targets, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.configs->len, ==, 1);
  config = g_ptr_array_index (outcome.configs, 0);

  /* The drawing side keeps the describe-then-draw defaults. */
  assert_describe_config (config, "Describe with llama.cpp on this computer", vision_url,
                          "gemma-3-4b-it-Q4_K_M.gguf", "openai-images",
                          menugen_backend_kind_default_url ("describe-then-draw"), "");
}

static void
test_pairs_with_comfyui (void)
{
  g_autoptr(FakeServer) comfyui = fake_server_new ("openai-chat", "discovery-comfyui");
  g_autoptr(FakeServer) ollama = fake_server_new ("openai-chat", "discovery-ollama");
  g_auto(Outcome) outcome = { 0 };
  g_autofree char *comfyui_url = local_url (get_port (comfyui), "");
  g_autofree char *ollama_url = local_url (get_port (ollama), "/v1");
  const MenugenDiscoveryTarget targets[] = {
    { MENUGEN_SERVER_OLLAMA, NULL, get_port (ollama) },
    { MENUGEN_SERVER_COMFYUI, NULL, get_port (comfyui) },
    { 0, NULL, 0 },
  };

  run_discovery (targets, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.configs->len, ==, 2);
  assert_config (g_ptr_array_index (outcome.configs, 0), "comfyui", "ComfyUI on this computer", comfyui_url, "");
  assert_describe_config (g_ptr_array_index (outcome.configs, 1), "Describe with Ollama, draw with ComfyUI on this computer",
                          ollama_url, "gemma3:4b", "comfyui", comfyui_url, "");
  menugen_test_assert_no_violations (ollama);
}

static void
test_nothing_listening (void)
{
  g_auto(Outcome) outcome = { 0 };
  const MenugenDiscoveryTarget targets[] = {
    { MENUGEN_SERVER_COMFYUI, NULL, get_closed_port () },
    { MENUGEN_SERVER_SD_SERVER, NULL, get_closed_port () },
    { MENUGEN_SERVER_LEMONADE, NULL, get_closed_port () },
    { MENUGEN_SERVER_LLAMACPP, NULL, get_closed_port () },
    { MENUGEN_SERVER_OLLAMA, NULL, get_closed_port () },
    { MENUGEN_SERVER_LM_STUDIO, NULL, get_closed_port () },
    { 0, NULL, 0 },
  };

  run_discovery (targets, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.configs->len, ==, 0);
  g_assert_cmpfloat (outcome.seconds, <, 3.0);
}

static void
accepted_cb (GSocketService     *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  /* Keep the connection open and never reply. */
  g_ptr_array_add (user_data, g_object_ref (connection));
}

static void
test_silent_server (void)
{
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Outcome) outcome = { 0 };
  guint port;

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), any_port, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (service, "incoming", G_CALLBACK (accepted_cb), connections);
  g_socket_service_start (service);

  {
    const MenugenDiscoveryTarget targets[] = {
      { MENUGEN_SERVER_COMFYUI, NULL, port },
      { MENUGEN_SERVER_OLLAMA, NULL, port },
      { 0, NULL, 0 },
    };

    run_discovery (targets, NULL, &outcome);
  }

  g_socket_service_stop (service);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.configs->len, ==, 0);
  g_assert_cmpuint (connections->len, >=, 1);

  /* The read timeout is 2 s; the whole run must not wait much longer. */
  g_assert_cmpfloat (outcome.seconds, >=, 1.0);
  g_assert_cmpfloat (outcome.seconds, <, 4.0);
}

static void
test_rejects_non_loopback (void)
{
  g_autoptr(FakeServer) comfyui = fake_server_new ("openai-chat", "discovery-comfyui");
  g_auto(Outcome) outcome = { 0 };
  const MenugenDiscoveryTarget targets[] = {
    /* 0.0.0.0 is not loopback, yet a connection would stay on this computer. */
    { MENUGEN_SERVER_COMFYUI, "0.0.0.0", get_port (comfyui) },
    { MENUGEN_SERVER_COMFYUI, "localhost", get_port (comfyui) },
    { 0, NULL, 0 },
  };

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*0.0.0.0 is not a loopback address*");
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*localhost is not a loopback address*");
  run_discovery (targets, NULL, &outcome);
  g_test_assert_expected_messages ();

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.configs->len, ==, 0);
  g_assert_cmpuint (fake_server_get_request_count (comfyui), ==, 0);
}

static void
test_cancel (void)
{
  g_autoptr(FakeServer) comfyui = fake_server_new ("openai-chat", "discovery-comfyui");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(Outcome) outcome = { 0 };
  const MenugenDiscoveryTarget targets[] = {
    { MENUGEN_SERVER_COMFYUI, NULL, get_port (comfyui) },
    { 0, NULL, 0 },
  };

  g_cancellable_cancel (cancellable);
  run_discovery (targets, cancellable, &outcome);

  g_assert_null (outcome.configs);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean
has_default_target (MenugenServerKind kind,
                    guint             port)
{
  const MenugenDiscoveryTarget *targets = menugen_discovery_get_default_targets ();

  for (guint i = 0; targets[i].port != 0; i++)
    if (targets[i].kind == kind && targets[i].port == port)
      return TRUE;

  return FALSE;
}

static void
test_default_targets (void)
{
  const MenugenDiscoveryTarget *targets = menugen_discovery_get_default_targets ();

  g_assert_true (has_default_target (MENUGEN_SERVER_COMFYUI, 8188));
  g_assert_true (has_default_target (MENUGEN_SERVER_SD_SERVER, 1234));
  g_assert_true (has_default_target (MENUGEN_SERVER_LM_STUDIO, 1234));
  g_assert_true (has_default_target (MENUGEN_SERVER_LEMONADE, 13305));
  g_assert_true (has_default_target (MENUGEN_SERVER_LLAMACPP, 8080));
  g_assert_true (has_default_target (MENUGEN_SERVER_OLLAMA, 11434));

  /* The defaults never name a host, so they all mean 127.0.0.1. */
  for (guint i = 0; targets[i].port != 0; i++)
    g_assert_null (targets[i].host);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();

  g_test_add_func ("/discovery/finds-each-kind", test_finds_each_kind);
  g_test_add_func ("/discovery/ignores-other-server", test_ignores_other_server);
  g_test_add_func ("/discovery/vision-without-image-server", test_vision_without_image_server);
  g_test_add_func ("/discovery/pairs-with-comfyui", test_pairs_with_comfyui);
  g_test_add_func ("/discovery/nothing-listening", test_nothing_listening);
  g_test_add_func ("/discovery/silent-server", test_silent_server);
  g_test_add_func ("/discovery/rejects-non-loopback", test_rejects_non_loopback);
  g_test_add_func ("/discovery/cancel", test_cancel);
  g_test_add_func ("/discovery/default-targets", test_default_targets);

  return g_test_run ();
}
