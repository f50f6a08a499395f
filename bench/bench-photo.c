/* Measures photo preparation: for each photo, the wall time of
 * menugen_photo_prepare() with the default limits, repeated N times, and
 * the peak resident memory while that photo was prepared.
 *
 * Usage: bench-photo [PATH] [N]
 * PATH is a photo or a folder of photos (default ../shared/menus, relative
 * to the current folder); N is the number of runs per photo (default 5).
 * The peak is Linux's VmHWM, reset before each photo through
 * /proc/self/clear_refs; where that fails, the column shows the peak of the
 * whole process so far. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/menugen-photo.h"

#define DEFAULT_FOLDER "../shared/menus"
#define DEFAULT_RUNS 5

/* Writing 5 to clear_refs resets VmHWM (Linux 4.0 and later). */
static gboolean
reset_peak_rss (void)
{
  FILE *file = fopen ("/proc/self/clear_refs", "w");
  gboolean written;

  if (file == NULL)
    return FALSE;

  written = fputs ("5", file) >= 0;
  return fclose (file) == 0 && written;
}

/* Returns VmHWM in KiB, or 0 when /proc is not available. */
static guint64
read_peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;

  line = strstr (status, "VmHWM:");
  if (line == NULL)
    return 0;

  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
list_photos (const char *path)
{
  GPtrArray *photos = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (photos, g_strdup (path));
      return photos;
    }

  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".jpg") || g_str_has_suffix (name, ".jpeg")
        || g_str_has_suffix (name, ".png") || g_str_has_suffix (name, ".webp")
        || g_str_has_suffix (name, ".heic") || g_str_has_suffix (name, ".avif"))
      g_ptr_array_add (photos, g_build_filename (path, name, NULL));

  g_ptr_array_sort (photos, compare_paths);
  return photos;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Prints one row, or returns FALSE when the photo could not be prepared. */
static gboolean
bench_photo (const char *path,
             int         runs)
{
  MenugenPhotoLimits limits;
  g_autoptr(GBytes) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autofree char *name = g_path_get_basename (path);
  g_autofree double *times = g_new0 (double, runs);
  g_autofree char *contents = NULL;
  gboolean reset;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_printerr ("%s: %s\n", name, error->message);
      return FALSE;
    }

  source = g_bytes_new_take (g_steal_pointer (&contents), length);
  menugen_photo_limits_init_default (&limits);
  reset = reset_peak_rss ();

  for (int i = 0; i < runs; i++)
    {
      gint64 start = g_get_monotonic_time ();

      g_clear_object (&photo);
      photo = menugen_photo_prepare (source, &limits, NULL, &error);
      times[i] = (g_get_monotonic_time () - start) / 1000.0;
      if (photo == NULL)
        {
          g_printerr ("%s: %s\n", name, error->message);
          return FALSE;
        }
    }

  qsort (times, runs, sizeof (double), compare_doubles);
  g_print ("%-42s %5dx%-5d %5dx%-5d %8.1f %8.1f %8.1f %9.1f%s\n",
           name,
           menugen_photo_get_source_width (photo), menugen_photo_get_source_height (photo),
           menugen_photo_get_width (photo), menugen_photo_get_height (photo),
           g_bytes_get_size (menugen_photo_get_bytes (photo)) / 1024.0,
           times[0], times[runs / 2],
           read_peak_rss_kib () / 1024.0, reset ? "" : " (process)");
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  const char *path = argc > 1 ? argv[1] : DEFAULT_FOLDER;
  int runs = argc > 2 ? atoi (argv[2]) : DEFAULT_RUNS;
  g_autoptr(GPtrArray) photos = NULL;
  int failures = 0;

  if (runs < 1)
    {
      g_printerr ("The number of runs must be at least 1, not “%s”.\n", argv[2]);
      return 2;
    }

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_printerr ("“%s” does not exist. Pass a photo or a folder of photos.\n", path);
      return 2;
    }

  photos = list_photos (path);
  g_print ("%d runs per photo, default limits; times in ms, sizes in KiB, peak RSS in MiB\n", runs);
  g_print ("%-42s %11s %11s %8s %8s %8s %9s\n",
           "photo", "source", "prepared", "KiB", "min", "median", "peak RSS");

  for (guint i = 0; i < photos->len; i++)
    if (!bench_photo (g_ptr_array_index (photos, i), runs))
      failures++;

  return failures == 0 ? 0 : 1;
}
