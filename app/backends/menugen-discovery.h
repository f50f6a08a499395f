#pragma once

#include <gio/gio.h>

#include "core/menugen-config.h"

G_BEGIN_DECLS

/**
 * MenugenServerKind:
 * @MENUGEN_SERVER_COMFYUI: ComfyUI, found by `GET /system_stats`
 * @MENUGEN_SERVER_SD_SERVER: stable-diffusion.cpp `sd-server`, found by
 *   `GET /v1/models` listing `sd-cpp-local`
 * @MENUGEN_SERVER_LEMONADE: AMD Lemonade Server, found by
 *   `GET /api/v1/health`
 * @MENUGEN_SERVER_LLAMACPP: llama.cpp `llama-server`, found by `GET /props`
 * @MENUGEN_SERVER_OLLAMA: Ollama, found by `GET /api/version`
 * @MENUGEN_SERVER_LM_STUDIO: LM Studio, found by `GET /api/v0/models`
 *
 * The local servers that discovery can recognise. The first three draw
 * images; the last three read images and serve as the vision step of
 * describe-then-draw.
 */
typedef enum {
  MENUGEN_SERVER_COMFYUI,
  MENUGEN_SERVER_SD_SERVER,
  MENUGEN_SERVER_LEMONADE,
  MENUGEN_SERVER_LLAMACPP,
  MENUGEN_SERVER_OLLAMA,
  MENUGEN_SERVER_LM_STUDIO,
} MenugenServerKind;

/**
 * MenugenDiscoveryTarget:
 * @kind: the server to look for
 * @host: a literal loopback address such as "127.0.0.1" or "::1", or %NULL
 *   for 127.0.0.1; targets on any other address are skipped with a critical
 *   warning, so discovery never sends anything off this computer
 * @port: the TCP port; a target with port 0 ends an array of targets
 *
 * One port to probe for one kind of server.
 */
typedef struct {
  MenugenServerKind kind;
  const char *host;
  guint port;
} MenugenDiscoveryTarget;

const MenugenDiscoveryTarget *menugen_discovery_get_default_targets (void);

void       menugen_discovery_probe_async  (const MenugenDiscoveryTarget *targets,
                                           GCancellable                 *cancellable,
                                           GAsyncReadyCallback           callback,
                                           gpointer                      user_data);
GPtrArray *menugen_discovery_probe_finish (GAsyncResult                 *result,
                                           GError                      **error);

G_END_DECLS
