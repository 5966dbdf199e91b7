/* err.c: lookups into the HD_ERRORS table. */
#include "core/err.h"

struct err_row {
    int status;
    const char *code;
    const char *message;
};

static const struct err_row rows[] = {
#define HD_X(name, status, code, msg) {status, code, msg},
    HD_ERRORS(HD_X)
#undef HD_X
};

static const struct err_row *row(int err)
{
    static const struct err_row unknown = {500, "internal_error", "Something went wrong."};
    if (err <= HD_E_FIRST_ || err >= HD_E_LAST_)
        return &unknown;
    return &rows[err - HD_E_FIRST_ - 1];
}

int hd_err_status(int err)
{
    return err == HD_OK ? 200 : row(err)->status;
}

const char *hd_err_code(int err)
{
    return row(err)->code;
}

const char *hd_err_message(int err)
{
    return row(err)->message;
}
