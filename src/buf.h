/*
 * buf.h: a growable byte buffer, the one way Broadsheet builds output (pages, headers, log
 * lines). The data is always NUL-terminated so it can be used as a C string when it holds text.
 */
#ifndef BROADSHEET_BUF_H
#define BROADSHEET_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* heap, owned by the buf; NUL-terminated; NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_init(struct buf *b);
/* Frees the data; the buf is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Empties the buf but keeps its memory for reuse. */
void buf_reset(struct buf *b);
/* Makes room for at least extra more bytes. */
void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the data to the caller (who frees it) and leaves the buf empty. Never NULL. */
char *buf_detach(struct buf *b, size_t *len);

#endif
