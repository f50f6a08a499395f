#include "config.h"

#include <locale.h>
#include <math.h>

#include "core/menugen-error.h"
#include "core/menugen-instruction.h"

#define ORIGINAL_SENTENCE \
  "Write every dish name exactly as printed, in its original language and script, letter for letter."

static char *
compose_with (const char       *template_text,
              MenugenDishNames  dish_names,
              const char       *language,
              const char       *style,
              const char       *aspect_ratio,
              GError          **error)
{
  MenugenInstructionOptions options = {
    .dish_names = dish_names,
    .language = language,
    .style = style,
    .aspect_ratio = aspect_ratio,
  };

  return menugen_instruction_compose (template_text, &options, error);
}

static void
test_names_original (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("- {{names}}\n", MENUGEN_DISH_NAMES_ORIGINAL,
                                        "Japanese", "photo", "3:4", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "- " ORIGINAL_SENTENCE "\n");
  g_assert_null (strstr (text, "Japanese"));
}

static void
test_names_translated (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("{{names}}", MENUGEN_DISH_NAMES_TRANSLATED,
                                        "Simplified Chinese", "photo", "3:4", &error);

  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "translated into Simplified Chinese"));
  g_assert_null (strstr (text, "exactly as printed"));
}

static void
test_names_both (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("{{names}}", MENUGEN_DISH_NAMES_BOTH,
                                        "French", "photo", "3:4", &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (text, "Write every dish name exactly as printed"));
  g_assert_nonnull (strstr (text, "French translation on a smaller line"));
}

static void
test_blank_language_uses_locale (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_setenv ("LANGUAGE", "ja_JP.UTF-8", TRUE);
  text = compose_with ("{{language}}", MENUGEN_DISH_NAMES_BOTH, "  ", "photo", "1:1", &error);
  g_unsetenv ("LANGUAGE");

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Japanese");
}

static void
test_style_and_aspect_inserted (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("style: {{style}}; ratio: {{aspect_ratio}}; {{ language }}.",
                                        MENUGEN_DISH_NAMES_BOTH, "German", "watercolor",
                                        "16:9", &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (text, "style: soft watercolour painting"));
  g_assert_nonnull (strstr (text, "; ratio: 16:9; German."));
  g_assert_null (strstr (text, "{{"));
}

static void
test_value_not_expanded_again (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("{{names}}", MENUGEN_DISH_NAMES_TRANSLATED,
                                        "{{style}}", "photo", "1:1", &error);

  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "translated into {{style}}"));
}

static void
test_unknown_placeholder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("Draw {{dishes}} now", MENUGEN_DISH_NAMES_BOTH,
                                        "German", "photo", "1:1", &error);

  g_assert_null (text);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "{{dishes}}"));
}

static void
test_unclosed_placeholder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("Style {{style", MENUGEN_DISH_NAMES_BOTH,
                                        "German", "photo", "1:1", &error);

  g_assert_null (text);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "{{style"));
}

static void
test_unknown_style (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with ("{{style}}", MENUGEN_DISH_NAMES_BOTH,
                                        "German", "oil-painting", "1:1", &error);

  g_assert_null (text);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "oil-painting"));
  g_assert_null (menugen_instruction_get_style_label ("oil-painting"));
}

static void
test_invalid_aspect_ratio (void)
{
  const char *invalid[] = { "", "3", "3:", ":4", "3:4:5", "0:4", "a:b", "-3:4", "3/4" };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = compose_with ("{{aspect_ratio}}", MENUGEN_DISH_NAMES_BOTH,
                                            "German", "photo", invalid[i], &error);

      g_test_message ("aspect ratio “%s”", invalid[i]);
      g_assert_null (text);
      g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
    }
}

static void
test_every_style_known (void)
{
  const char * const *styles = menugen_instruction_get_styles ();
  const char *expected[] = { "photo", "illustration", "watercolor", "line-art" };

  g_assert_cmpuint (g_strv_length ((char **) styles), ==, G_N_ELEMENTS (expected));

  for (guint i = 0; styles[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = compose_with ("{{style}}", MENUGEN_DISH_NAMES_ORIGINAL,
                                            NULL, styles[i], "1:1", &error);

      g_assert_cmpstr (styles[i], ==, expected[i]);
      g_assert_no_error (error);
      g_assert_cmpuint (strlen (text), >, 10);
      g_assert_nonnull (menugen_instruction_get_style_label (styles[i]));
    }

  g_assert_cmpstr (menugen_instruction_get_style_label ("photo"), ==, "Photo");
  g_assert_cmpstr (menugen_instruction_get_style_label ("line-art"), ==, "Line art");
}

static void
test_styles_differ (void)
{
  const char * const *styles = menugen_instruction_get_styles ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; styles[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      char *text = compose_with ("{{style}}", MENUGEN_DISH_NAMES_ORIGINAL,
                                 NULL, styles[i], "1:1", &error);

      g_assert_no_error (error);
      g_assert_false (g_hash_table_contains (seen, text));
      g_hash_table_add (seen, text);
    }
}

static void
test_nearest_ratio (void)
{
  const struct {
    int width;
    int height;
    const char *expected;
  } cases[] = {
    { 3000, 4000, "3:4" },
    { 4000, 3000, "4:3" },
    { 1920, 1080, "16:9" },
    { 1080, 1920, "9:16" },
    { 1000, 1000, "1:1" },
    { 1, 1, "1:1" },
    { 2000, 3000, "2:3" },
    { 4000, 5000, "4:5" },
    { 2560, 1080, "21:9" },
    { 10000, 100, "21:9" },
    { 100, 10000, "9:16" },
    /* A4 portrait: ln(2480/3508) = -0.34674, so 2:3 is 0.05873 away and
     * 3:4 is 0.05906 away. */
    { 2480, 3508, "2:3" },
    { 3508, 2480, "3:2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%d x %d", cases[i].width, cases[i].height);
      g_assert_cmpstr (menugen_aspect_ratio_nearest (cases[i].width, cases[i].height), ==,
                       cases[i].expected);
    }
}

static void
test_a4_distances (void)
{
  double a4 = log (2480.0 / 3508.0);

  /* Guards the comment above: the two candidates differ by 0.0003 only. */
  g_assert_cmpfloat (fabs (a4 - log (2.0 / 3.0)), <, fabs (a4 - log (3.0 / 4.0)));
}

static void
test_locale_mapping (void)
{
  const struct {
    const char *language_variable;
    const char *expected;
  } cases[] = {
    { "zh_CN.UTF-8", "Simplified Chinese" },
    { "zh_SG", "Simplified Chinese" },
    { "zh_TW.UTF-8", "Traditional Chinese" },
    { "zh_HK", "Traditional Chinese" },
    { "zh", "Simplified Chinese" },
    { "ja_JP.UTF-8", "Japanese" },
    { "ko_KR.UTF-8", "Korean" },
    { "fr_CA", "French" },
    { "de_DE@euro", "German" },
    { "es_MX.UTF-8", "Spanish" },
    { "it_IT", "Italian" },
    { "pt_PT", "Portuguese" },
    { "pt_BR.UTF-8", "Brazilian Portuguese" },
    { "ru_RU", "Russian" },
    { "vi_VN", "Vietnamese" },
    { "th_TH", "Thai" },
    { "tr_TR", "Turkish" },
    { "pl_PL", "Polish" },
    { "nl_NL", "Dutch" },
    { "xx_YY:sv_SE", "Swedish" },
    { "en_GB", "English" },
    { "C", "English" },
    { "xx_YY", "English" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *language = NULL;

      g_setenv ("LANGUAGE", cases[i].language_variable, TRUE);
      language = menugen_instruction_language_for_locale ();
      g_test_message ("LANGUAGE=%s", cases[i].language_variable);
      g_assert_cmpstr (language, ==, cases[i].expected);
    }

  g_unsetenv ("LANGUAGE");
}

static void
test_locale_from_lc_all (void)
{
  g_autofree char *old_lc_all = g_strdup (g_getenv ("LC_ALL"));
  g_autofree char *language = NULL;

  g_unsetenv ("LANGUAGE");
  g_setenv ("LC_ALL", "zh_TW.UTF-8", TRUE);
  language = menugen_instruction_language_for_locale ();

  if (old_lc_all != NULL)
    g_setenv ("LC_ALL", old_lc_all, TRUE);
  else
    g_unsetenv ("LC_ALL");

  g_assert_cmpstr (language, ==, "Traditional Chinese");
}

static void
test_dish_names_from_string (void)
{
  MenugenDishNames value = MENUGEN_DISH_NAMES_BOTH;

  g_assert_true (menugen_dish_names_from_string ("original", &value));
  g_assert_cmpint (value, ==, MENUGEN_DISH_NAMES_ORIGINAL);
  g_assert_true (menugen_dish_names_from_string ("translated", &value));
  g_assert_cmpint (value, ==, MENUGEN_DISH_NAMES_TRANSLATED);
  g_assert_true (menugen_dish_names_from_string ("both", &value));
  g_assert_cmpint (value, ==, MENUGEN_DISH_NAMES_BOTH);

  g_assert_false (menugen_dish_names_from_string ("Both", &value));
  g_assert_false (menugen_dish_names_from_string ("", &value));
  g_assert_false (menugen_dish_names_from_string (NULL, &value));
  g_assert_cmpint (value, ==, MENUGEN_DISH_NAMES_BOTH);
}

static void
test_default_template_rules (void)
{
  g_autofree char *template_text = menugen_instruction_load_default_template ();

  g_assert_true (g_utf8_validate (template_text, -1, NULL));
  g_assert_nonnull (strstr (template_text, "Include every dish"));
  g_assert_nonnull (strstr (template_text, "Do not skip any item"));
  g_assert_nonnull (strstr (template_text, "Do not invent dishes"));
  g_assert_nonnull (strstr (template_text, "Copy prices exactly as printed"));
  g_assert_nonnull (strstr (template_text, "{{names}}"));
  g_assert_nonnull (strstr (template_text, "{{style}}"));
  g_assert_nonnull (strstr (template_text, "{{aspect_ratio}}"));
}

static void
test_default_template_composes (void)
{
  g_autofree char *template_text = menugen_instruction_load_default_template ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = compose_with (template_text, MENUGEN_DISH_NAMES_ORIGINAL,
                                        NULL, "line-art", "3:4", &error);

  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, ORIGINAL_SENTENCE));
  g_assert_nonnull (strstr (text, "simple black line art"));
  g_assert_nonnull (strstr (text, "ratio of 3:4"));
  g_assert_null (strstr (text, "{{"));
  g_assert_null (strstr (text, "}}"));
}

int
main (int argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/instruction/names-original", test_names_original);
  g_test_add_func ("/instruction/names-translated", test_names_translated);
  g_test_add_func ("/instruction/names-both", test_names_both);
  g_test_add_func ("/instruction/blank-language-uses-locale", test_blank_language_uses_locale);
  g_test_add_func ("/instruction/style-and-aspect-inserted", test_style_and_aspect_inserted);
  g_test_add_func ("/instruction/value-not-expanded-again", test_value_not_expanded_again);
  g_test_add_func ("/instruction/unknown-placeholder", test_unknown_placeholder);
  g_test_add_func ("/instruction/unclosed-placeholder", test_unclosed_placeholder);
  g_test_add_func ("/instruction/unknown-style", test_unknown_style);
  g_test_add_func ("/instruction/invalid-aspect-ratio", test_invalid_aspect_ratio);
  g_test_add_func ("/instruction/every-style-known", test_every_style_known);
  g_test_add_func ("/instruction/styles-differ", test_styles_differ);
  g_test_add_func ("/instruction/nearest-ratio", test_nearest_ratio);
  g_test_add_func ("/instruction/a4-distances", test_a4_distances);
  g_test_add_func ("/instruction/locale-mapping", test_locale_mapping);
  g_test_add_func ("/instruction/locale-from-lc-all", test_locale_from_lc_all);
  g_test_add_func ("/instruction/dish-names-from-string", test_dish_names_from_string);
  g_test_add_func ("/instruction/default-template-rules", test_default_template_rules);
  g_test_add_func ("/instruction/default-template-composes", test_default_template_composes);

  return g_test_run ();
}
