/* slice.c: helpers on borrowed byte views. */
#include "core/slice.h"

struct hd_slice hd_slice_trim(struct hd_slice s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}
