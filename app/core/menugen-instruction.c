#include "config.h"

#include <math.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "core/menugen-error.h"
#include "core/menugen-instruction.h"

#define TEMPLATE_RESOURCE "/com/example/Menugen/prompts/illustrated-menu.txt"
#define PLACEHOLDER_OPEN "{{"
#define PLACEHOLDER_CLOSE "}}"

/* The phrases go into the instruction sent to the model, which is English
 * on purpose because image models follow English instructions best. Only
 * the labels are shown in the UI, so only they are translatable. */
typedef struct {
  const char *id;
  const char *label;
  const char *phrase;
} StyleInfo;

static const StyleInfo styles[] = {
  { "photo", N_("Photo"), "realistic food photography with natural light, each dish shown close up on its plate" },
  { "illustration", N_("Illustration"), "hand-drawn colour illustration with clean outlines and soft shading" },
  { "watercolor", N_("Watercolor"), "soft watercolour painting with light washes of colour on white paper" },
  { "line-art", N_("Line art"), "simple black line art with clean, even strokes and no shading" },
};

static const char * const style_ids[] = {
  "photo", "illustration", "watercolor", "line-art", NULL,
};

typedef struct {
  const char *name;
  int width;
  int height;
} AspectRatio;

static const AspectRatio aspect_ratios[] = {
  { "1:1", 1, 1 },
  { "2:3", 2, 3 },
  { "3:2", 3, 2 },
  { "3:4", 3, 4 },
  { "4:3", 4, 3 },
  { "4:5", 4, 5 },
  { "5:4", 5, 4 },
  { "9:16", 9, 16 },
  { "16:9", 16, 9 },
  { "21:9", 21, 9 },
};

/* Locale names without codeset and modifier, matched in the order that
 * g_get_language_names() lists them, so "zh_TW" wins over its fallback "zh". */
typedef struct {
  const char *locale;
  const char *language;
} LocaleLanguage;

static const LocaleLanguage locale_languages[] = {
  { "zh_CN", "Simplified Chinese" },
  { "zh_SG", "Simplified Chinese" },
  { "zh_TW", "Traditional Chinese" },
  { "zh_HK", "Traditional Chinese" },
  { "zh_MO", "Traditional Chinese" },
  { "zh", "Simplified Chinese" },
  { "pt_BR", "Brazilian Portuguese" },
  { "ar", "Arabic" },
  { "bg", "Bulgarian" },
  { "ca", "Catalan" },
  { "cs", "Czech" },
  { "da", "Danish" },
  { "de", "German" },
  { "el", "Greek" },
  { "en", "English" },
  { "es", "Spanish" },
  { "et", "Estonian" },
  { "eu", "Basque" },
  { "fa", "Persian" },
  { "fi", "Finnish" },
  { "fr", "French" },
  { "gl", "Galician" },
  { "he", "Hebrew" },
  { "hi", "Hindi" },
  { "hr", "Croatian" },
  { "hu", "Hungarian" },
  { "id", "Indonesian" },
  { "it", "Italian" },
  { "ja", "Japanese" },
  { "ko", "Korean" },
  { "lt", "Lithuanian" },
  { "lv", "Latvian" },
  { "ms", "Malay" },
  { "nb", "Norwegian" },
  { "nl", "Dutch" },
  { "nn", "Norwegian" },
  { "pl", "Polish" },
  { "pt", "Portuguese" },
  { "ro", "Romanian" },
  { "ru", "Russian" },
  { "sk", "Slovak" },
  { "sl", "Slovenian" },
  { "sr", "Serbian" },
  { "sv", "Swedish" },
  { "th", "Thai" },
  { "tr", "Turkish" },
  { "uk", "Ukrainian" },
  { "vi", "Vietnamese" },
};

static const StyleInfo *
find_style (const char *id)
{
  if (id == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    if (g_str_equal (styles[i].id, id))
      return &styles[i];

  return NULL;
}

static gboolean
is_valid_aspect_ratio (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ":", -1);

  if (g_strv_length (parts) != 2)
    return FALSE;

  for (guint i = 0; i < 2; i++)
    {
      guint64 value = 0;

      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 1000, &value, NULL))
        return FALSE;
    }

  return TRUE;
}

static char *
describe_names (MenugenDishNames dish_names,
                const char      *language)
{
  switch (dish_names)
    {
    case MENUGEN_DISH_NAMES_ORIGINAL:
      return g_strdup ("Write every dish name exactly as printed, in its original language "
                       "and script, letter for letter.");

    case MENUGEN_DISH_NAMES_TRANSLATED:
      return g_strdup_printf ("Write every dish name and section heading translated into %s, "
                              "so that a reader of %s knows what each dish is. Leave no name "
                              "untranslated.", language, language);

    case MENUGEN_DISH_NAMES_BOTH:
      return g_strdup_printf ("Write every dish name exactly as printed, in its original "
                              "language and script, letter for letter, and put its %s "
                              "translation on a smaller line directly below it.", language);

    default:
      g_assert_not_reached ();
    }
}

/* Checks the options and resolves the language, so that composing itself
 * cannot fail on anything but the template. */
static gboolean
check_options (const MenugenInstructionOptions  *options,
               char                            **language_out,
               GError                          **error)
{
  g_autofree char *trimmed = NULL;

  if (find_style (options->style) == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The picture style “%s” is unknown. Choose photo, illustration, "
                     "watercolor or line-art."), options->style);
      return FALSE;
    }

  if (!is_valid_aspect_ratio (options->aspect_ratio))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The aspect ratio “%s” is not valid. Give it as width:height, "
                     "such as 3:4."), options->aspect_ratio);
      return FALSE;
    }

  trimmed = g_strstrip (g_strdup (options->language != NULL ? options->language : ""));
  if (*trimmed != '\0')
    *language_out = g_steal_pointer (&trimmed);
  else
    *language_out = menugen_instruction_language_for_locale ();

  return TRUE;
}

static char *
expand_placeholder (const char                      *name,
                    const MenugenInstructionOptions *options,
                    const char                      *language)
{
  if (g_str_equal (name, "names"))
    return describe_names (options->dish_names, language);

  if (g_str_equal (name, "style"))
    return g_strdup (find_style (options->style)->phrase);

  if (g_str_equal (name, "aspect_ratio"))
    return g_strdup (options->aspect_ratio);

  if (g_str_equal (name, "language"))
    return g_strdup (language);

  return NULL;
}

/**
 * menugen_instruction_load_default_template:
 *
 * Loads the built-in instruction template from the GResource.
 *
 * Returns: (transfer full): the template text
 */
char *
menugen_instruction_load_default_template (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *data;
  gsize size = 0;

  bytes = g_resources_lookup_data (TEMPLATE_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);

  /* The template is compiled into the program, so a lookup failure means
   * a broken build rather than something the user can fix. */
  if (bytes == NULL)
    g_error ("The built-in resource %s is missing: %s", TEMPLATE_RESOURCE, error->message);

  data = g_bytes_get_data (bytes, &size);
  return g_strndup (data, size);
}

/**
 * menugen_instruction_compose:
 * @template_text: a template with `{{names}}`, `{{style}}`,
 *   `{{aspect_ratio}}` and `{{language}}` placeholders
 * @options: the user's choices
 * @error: return location for a #GError
 *
 * Replaces each placeholder with the English text for @options. Text
 * that replaces a placeholder is not scanned again. When
 * @options->language is %NULL or blank, the language of the desktop
 * (menugen_instruction_language_for_locale()) is used.
 *
 * Returns: (transfer full): the instruction, or %NULL with a
 *   %MENUGEN_ERROR_FAILED sentence that names an unknown placeholder,
 *   an unclosed one, an unknown style or an invalid aspect ratio
 */
char *
menugen_instruction_compose (const char                      *template_text,
                             const MenugenInstructionOptions *options,
                             GError                         **error)
{
  g_autoptr(GString) out = NULL;
  g_autofree char *language = NULL;
  const char *cursor = template_text;
  const char *open;

  g_return_val_if_fail (template_text != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->style != NULL, NULL);
  g_return_val_if_fail (options->aspect_ratio != NULL, NULL);
  g_return_val_if_fail (options->dish_names <= MENUGEN_DISH_NAMES_BOTH, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_options (options, &language, error))
    return NULL;

  out = g_string_sized_new (strlen (template_text) + 256);

  while ((open = strstr (cursor, PLACEHOLDER_OPEN)) != NULL)
    {
      const char *name_start = open + strlen (PLACEHOLDER_OPEN);
      const char *close = strstr (name_start, PLACEHOLDER_CLOSE);
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (close == NULL)
        {
          g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                       _("The instruction template has a “{{” without a closing “}}” "
                         "near “%.20s”. Close the placeholder or reset the template in "
                         "Preferences."), open);
          return NULL;
        }

      name = g_strstrip (g_strndup (name_start, close - name_start));
      value = expand_placeholder (name, options, language);
      if (value == NULL)
        {
          g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                       _("The instruction template contains the unknown placeholder "
                         "“{{%s}}”. Use {{names}}, {{style}}, {{aspect_ratio}} or "
                         "{{language}}, or reset the template in Preferences."), name);
          return NULL;
        }

      g_string_append_len (out, cursor, open - cursor);
      g_string_append (out, value);
      cursor = close + strlen (PLACEHOLDER_CLOSE);
    }

  g_string_append (out, cursor);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * menugen_instruction_get_styles:
 *
 * Returns: (transfer none): the style ids, %NULL-terminated, in the order
 *   the UI lists them
 */
const char * const *
menugen_instruction_get_styles (void)
{
  return style_ids;
}

/**
 * menugen_instruction_get_style_label:
 * @style: a style id
 *
 * Returns: (transfer none) (nullable): the translated label of @style for
 *   the UI, or %NULL if @style is unknown
 */
const char *
menugen_instruction_get_style_label (const char *style)
{
  const StyleInfo *info = find_style (style);

  return info != NULL ? _(info->label) : NULL;
}

/**
 * menugen_aspect_ratio_nearest:
 * @width: width in pixels, positive
 * @height: height in pixels, positive
 *
 * Picks the supported aspect ratio nearest to @width:@height. The distance
 * is |ln (w / h) - ln (rw / rh)|, so a photo turned by 90 degrees gets
 * the mirrored ratio, such as 4:3 for a 3:4 photo.
 *
 * Returns: (transfer none): a ratio such as "3:4"
 */
const char *
menugen_aspect_ratio_nearest (int width,
                              int height)
{
  const AspectRatio *best = &aspect_ratios[0];
  double best_distance = G_MAXDOUBLE;
  double log_ratio;

  g_return_val_if_fail (width > 0, "1:1");
  g_return_val_if_fail (height > 0, "1:1");

  log_ratio = log ((double) width / height);

  for (guint i = 0; i < G_N_ELEMENTS (aspect_ratios); i++)
    {
      double candidate = log ((double) aspect_ratios[i].width / aspect_ratios[i].height);
      double distance = fabs (log_ratio - candidate);

      if (distance < best_distance)
        {
          best_distance = distance;
          best = &aspect_ratios[i];
        }
    }

  return best->name;
}

static const char *
lookup_locale_language (const char *locale_name)
{
  g_autofree char *bare = g_strdup (locale_name);

  /* "zh_TW.UTF-8@variant" -> "zh_TW" */
  bare[strcspn (bare, ".@")] = '\0';

  for (guint i = 0; i < G_N_ELEMENTS (locale_languages); i++)
    if (g_str_equal (locale_languages[i].locale, bare))
      return locale_languages[i].language;

  return NULL;
}

/**
 * menugen_instruction_language_for_locale:
 *
 * Names the language of the user's messages locale in English, from
 * `LANGUAGE`, `LC_ALL`, `LC_MESSAGES` and `LANG` as g_get_language_names()
 * reads them.
 *
 * Returns: (transfer full): a language name such as "Simplified Chinese",
 *   or "English" when the locale is C or not in the table
 */
char *
menugen_instruction_language_for_locale (void)
{
  const char * const *names = g_get_language_names ();

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *language = lookup_locale_language (names[i]);

      if (language != NULL)
        return g_strdup (language);
    }

  return g_strdup ("English");
}

/**
 * menugen_dish_names_from_string:
 * @text: "original", "translated" or "both", as in the GSettings enum
 * @out: (out): the parsed value
 *
 * Returns: %TRUE if @text was one of the three names
 */
gboolean
menugen_dish_names_from_string (const char       *text,
                                MenugenDishNames *out)
{
  static const struct {
    const char *text;
    MenugenDishNames value;
  } names[] = {
    { "original", MENUGEN_DISH_NAMES_ORIGINAL },
    { "translated", MENUGEN_DISH_NAMES_TRANSLATED },
    { "both", MENUGEN_DISH_NAMES_BOTH },
  };

  g_return_val_if_fail (out != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (names[i].text, text) == 0)
      {
        *out = names[i].value;
        return TRUE;
      }

  return FALSE;
}
