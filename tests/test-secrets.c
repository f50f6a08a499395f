#include "config.h"

#include "core/menugen-error.h"
#include "core/menugen-secrets.h"
#include "test-util.h"

#define FAKE_KEY "test-key-not-real"

typedef struct {
  gboolean done;
  gboolean ok;
  char *key;
  GError *error;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->key, g_free);
  g_clear_error (&outcome->error);
  outcome->done = FALSE;
  outcome->ok = FALSE;
}

static void
store_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = menugen_secrets_store_finish (result, &outcome->error);
  outcome->done = TRUE;
}

static void
lookup_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->key = menugen_secrets_lookup_finish (result, &outcome->error);
  outcome->done = TRUE;
}

static void
clear_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = menugen_secrets_clear_finish (result, &outcome->error);
  outcome->done = TRUE;
}

static gboolean
keyring_expected (void)
{
  return g_strcmp0 (g_getenv ("MENUGEN_TEST_NO_KEYRING"), "1") != 0;
}

static void
test_secrets_store_lookup_clear (void)
{
  Outcome outcome = { 0 };

  if (!keyring_expected ())
    {
      g_test_skip ("this run has no keyring daemon");
      return;
    }

  menugen_secrets_store_async ("gemini-test", "Gemini test", FAKE_KEY, NULL, store_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  outcome_clear (&outcome);

  menugen_secrets_lookup_async ("gemini-test", NULL, lookup_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.key, ==, FAKE_KEY);
  outcome_clear (&outcome);

  menugen_secrets_lookup_async ("another-backend", NULL, lookup_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_null (outcome.key);
  outcome_clear (&outcome);

  menugen_secrets_clear_async ("gemini-test", NULL, clear_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  outcome_clear (&outcome);

  menugen_secrets_lookup_async ("gemini-test", NULL, lookup_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_null (outcome.key);
  outcome_clear (&outcome);
}

/* Case K2: without a Secret Service, storing fails with a sentence that
 * says so, and the session store keeps the key for this run. */
static void
test_secrets_no_keyring (void)
{
  Outcome outcome = { 0 };

  if (keyring_expected ())
    {
      g_test_skip ("this run has a keyring daemon");
      return;
    }

  menugen_secrets_store_async ("gemini-test", "Gemini test", FAKE_KEY, NULL, store_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 30));
  g_assert_false (outcome.ok);
  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (outcome.error->message, "The key could not be stored in the keyring ("));
  g_assert_nonnull (strstr (outcome.error->message, "session only"));
  g_assert_null (strstr (outcome.error->message, FAKE_KEY));
  outcome_clear (&outcome);

  /* Without a collection the lookup finds no key and returns no error, so
   * Generate then reports the missing key instead. */
  menugen_secrets_lookup_async ("gemini-test", NULL, lookup_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_null (outcome.key);
  outcome_clear (&outcome);

  menugen_secrets_set_session_key ("gemini-test", FAKE_KEY);
  menugen_secrets_lookup_async ("gemini-test", NULL, lookup_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.key, ==, FAKE_KEY);
  outcome_clear (&outcome);

  menugen_secrets_set_session_key ("gemini-test", NULL);
  g_assert_null (menugen_secrets_get_session_key ("gemini-test"));
}

static void
test_secrets_session_key_first (void)
{
  Outcome outcome = { 0 };

  menugen_secrets_set_session_key ("session-only", "session-value");
  menugen_secrets_lookup_async ("session-only", NULL, lookup_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));
  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.key, ==, "session-value");
  outcome_clear (&outcome);
  menugen_secrets_set_session_key ("session-only", NULL);
}

static void
test_secrets_environment (void)
{
  g_setenv ("GEMINI_API_KEY", "", TRUE);
  g_setenv ("MENUGEN_API_KEY", "", TRUE);
  g_assert_null (menugen_secrets_key_from_environment ("gemini"));

  g_setenv ("MENUGEN_API_KEY", "generic", TRUE);
  g_assert_cmpstr (menugen_secrets_key_from_environment ("gemini"), ==, "generic");
  g_assert_cmpstr (menugen_secrets_key_from_environment ("comfyui"), ==, "generic");

  g_setenv ("GEMINI_API_KEY", "gemini-specific", TRUE);
  g_assert_cmpstr (menugen_secrets_key_from_environment ("gemini"), ==, "gemini-specific");
  g_assert_cmpstr (menugen_secrets_key_from_environment ("openai-images"), ==, "generic");

  g_setenv ("OPENROUTER_API_KEY", "router", TRUE);
  g_assert_cmpstr (menugen_secrets_key_from_environment ("openai-chat"), ==, "router");

  g_unsetenv ("GEMINI_API_KEY");
  g_unsetenv ("MENUGEN_API_KEY");
  g_unsetenv ("OPENROUTER_API_KEY");
}

static void
test_secrets_key_is_valid (void)
{
  const char *valid[] = {
    "AIzaSyA-test_key-not-real", "sk-proj-abc123_DEF-456", "sk-or-v1-0123456789abcdef",
    "key\"with%s<>&;$(id)", NULL
  };
  const char *invalid[] = {
    "key\r", "key\r\nX-Injected: 1", "key with space", " key", "key\t", "cl\xc3\xa9", "key\x7f", NULL
  };

  for (guint i = 0; valid[i] != NULL; i++)
    g_assert_true (menugen_secrets_key_is_valid (valid[i]));

  for (guint i = 0; invalid[i] != NULL; i++)
    {
      g_test_message ("invalid key %u", i);
      g_assert_false (menugen_secrets_key_is_valid (invalid[i]));
    }
}

static void
test_secrets_mask_key (void)
{
  g_autofree char *echoed = menugen_secrets_mask_key ("Key sk-test-1234 is invalid; sk-test-1234 expired.",
                                                      "sk-test-1234");
  g_autofree char *absent = menugen_secrets_mask_key ("Quota exceeded.", "sk-test-1234");
  g_autofree char *short_key = menugen_secrets_mask_key ("a b c", "a");
  g_autofree char *no_key = menugen_secrets_mask_key ("Quota exceeded.", NULL);
  g_autofree char *no_text = menugen_secrets_mask_key (NULL, "sk-test-1234");

  g_assert_cmpstr (echoed, ==, "Key … is invalid; … expired.");
  g_assert_cmpstr (absent, ==, "Quota exceeded.");
  g_assert_cmpstr (short_key, ==, "a b c");
  g_assert_cmpstr (no_key, ==, "Quota exceeded.");
  g_assert_null (no_text);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secrets/store-lookup-clear", test_secrets_store_lookup_clear);
  g_test_add_func ("/secrets/no-keyring", test_secrets_no_keyring);
  g_test_add_func ("/secrets/session-key-first", test_secrets_session_key_first);
  g_test_add_func ("/secrets/environment", test_secrets_environment);
  g_test_add_func ("/secrets/key-is-valid", test_secrets_key_is_valid);
  g_test_add_func ("/secrets/mask-key", test_secrets_mask_key);

  return g_test_run ();
}
