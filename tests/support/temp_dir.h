/* temp_dir.h: a fresh directory under /tmp for a test, and its removal with all it holds. */
#ifndef HD_TESTS_TEMP_DIR_H
#define HD_TESTS_TEMP_DIR_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int temp_dir_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Fills dir (at least 64 bytes) with a new directory /tmp/<prefix>_XXXXXX. */
static inline void temp_dir_make(char *dir, const char *prefix)
{
    snprintf(dir, 64, "/tmp/%s_XXXXXX", prefix);
    cr_assert_not_null(mkdtemp(dir));
}

static inline void temp_dir_remove(const char *dir)
{
    nftw(dir, temp_dir_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
