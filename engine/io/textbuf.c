/* Text buffers (textbuf.h): growable, sticky-failed on allocation failure, with the
 * escapes the outputs need (HTML, JSON, CSV) and numbers and dates formatted without printf. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "textbuf.h"

static void buf_reserve(cp_textbuf *b, size_t extra) {
    if (b->failed) return;
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return;
    }
    b->data = d;
    b->cap = cap;
}

void cp_textbuf_putn(cp_textbuf *b, const char *s, size_t n) {
    buf_reserve(b, n);
    if (b->failed) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cp_textbuf_puts(cp_textbuf *b, const char *s) {
    cp_textbuf_putn(b, s, strlen(s));
}

void cp_textbuf_printf(cp_textbuf *b, const char *fmt, ...) {
    buf_reserve(b, 64); /* one pass when it fits, a second one only when it does not */
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        if (b->failed) return;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void cp_textbuf_int(cp_textbuf *b, long long v) {
    char t[24], *e = t + sizeof t, *q = e;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--q = '-';
    cp_textbuf_putn(b, q, (size_t)(e - q));
}

void cp_textbuf_date(cp_textbuf *b, cp_date d) {
    int y, m, dd;
    cp_date_split(d, &y, &m, &dd);
    if (y < 0 || y > 9999) {
        char t[11];
        cp_textbuf_puts(b, cp_date_format(d, t));
        return;
    }
    char t[10] = {(char)('0' + y / 1000),
                  (char)('0' + y / 100 % 10),
                  (char)('0' + y / 10 % 10),
                  (char)('0' + y % 10),
                  '-',
                  (char)('0' + m / 10),
                  (char)('0' + m % 10),
                  '-',
                  (char)('0' + dd / 10),
                  (char)('0' + dd % 10)};
    cp_textbuf_putn(b, t, 10);
}

void cp_textbuf_html(cp_textbuf *b, const char *s) {
    for (const char *p = s ? s : ""; *p; ++p) {
        switch (*p) {
            case '&':
                cp_textbuf_puts(b, "&amp;");
                break;
            case '<':
                cp_textbuf_puts(b, "&lt;");
                break;
            case '>':
                cp_textbuf_puts(b, "&gt;");
                break;
            case '"':
                cp_textbuf_puts(b, "&quot;");
                break;
            case '\'':
                cp_textbuf_puts(b, "&#39;");
                break;
            default:
                cp_textbuf_putn(b, p, 1);
        }
    }
}

void cp_textbuf_json(cp_textbuf *b, const char *s) {
    cp_textbuf_putn(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; ++p) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            cp_textbuf_putn(b, e, 2);
        } else if (*p < 0x20) {
            cp_textbuf_printf(b, "\\u%04x", *p);
        } else {
            cp_textbuf_putn(b, (const char *)p, 1);
        }
    }
    cp_textbuf_putn(b, "\"", 1);
}

void cp_textbuf_csv(cp_textbuf *b, const char *s) {
    s = s ? s : "";
    if (!strpbrk(s, ",\"\r\n")) {
        cp_textbuf_puts(b, s);
        return;
    }
    cp_textbuf_putn(b, "\"", 1);
    for (const char *p = s; *p; ++p) {
        if (*p == '"') cp_textbuf_putn(b, "\"", 1);
        cp_textbuf_putn(b, p, 1);
    }
    cp_textbuf_putn(b, "\"", 1);
}

void cp_textbuf_num(cp_textbuf *b, double v, const char *nan_text) {
    if (!isfinite(v)) {
        cp_textbuf_puts(b, nan_text);
        return;
    }
    if (v == 0) {
        cp_textbuf_putn(b, "0", 1); /* no "-0" */
        return;
    }
    /* 15 significant digits, trailing zeros trimmed, like "%.15g" but without printf's
     * cost (it dominates writing 100,000 rows); printf for very small or large values */
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
    double a = fabs(v);
    if (a < 1e-4 || a >= 1e15) {
        char t[40];
        snprintf(t, sizeof t, "%.15g", v);
        cp_textbuf_puts(b, t);
        return;
    }
    static const double from_e4[] = {1e-4, 1e-3, 1e-2, 1e-1, 1e0,  1e1,  1e2,  1e3,  1e4, 1e5,
                                     1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14};
    int e = -4; /* a in [10^e, 10^(e+1)) */
    while (e < 14 && a >= from_e4[e + 5]) ++e;
    int dec = 14 - e; /* decimals that give 15 significant digits */
    if (dec < 0) dec = 0;
    if (dec > 19) dec = 19;
    unsigned long long m = (unsigned long long)llround(a * p10[dec]);
    char digits[32], out[48];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    int k = 0;
    if (v < 0) out[k++] = '-';
    /* digits[] holds the number reversed; the last `dec` of them are decimals */
    int lastnz = 0; /* trim trailing zero decimals */
    while (lastnz < dec && lastnz < nd && digits[lastnz] == '0') ++lastnz;
    if (lastnz < dec && lastnz >= nd) lastnz = dec; /* all zero */
    if (nd <= dec) {
        out[k++] = '0';
        if (lastnz < dec) {
            out[k++] = '.';
            for (int z = 0; z < dec - nd; ++z) out[k++] = '0';
            for (int i = nd - 1; i >= lastnz; --i) out[k++] = digits[i];
        }
    } else {
        for (int i = nd - 1; i >= dec; --i) out[k++] = digits[i];
        if (lastnz < dec) {
            out[k++] = '.';
            for (int i = dec - 1; i >= lastnz; --i) out[k++] = digits[i];
        }
    }
    cp_textbuf_putn(b, out, (size_t)k);
}

void cp_textbuf_free(cp_textbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *cp_tmp_sibling(const char *path, const char *suffix) {
    size_t n = strlen(path) + 64;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s.tmp%ld%s", path, (long)getpid(), suffix);
    return t;
}

cp_status cp_write_file(const char *path, const char *data, size_t len) {
    char *tmp = cp_tmp_sibling(path, "");
    if (!tmp) return cp_fail(CP_E_NOMEM, "out of memory");
    cp_status st = CP_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
        goto done;
    }
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    int bad = put != len;
    bad |= fclose(f) != 0;
    if (bad) {
        st = cp_fail(CP_E_IO, "cannot write <%s>: %s", path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        st = cp_fail(CP_E_IO, "cannot rename <%s> to <%s>: %s", tmp, path, strerror(errno));
        unlink(tmp);
    }
done:
    free(tmp);
    return st;
}

cp_status cp_textbuf_write(cp_textbuf *b, const char *path) {
    cp_status st = b->failed ? cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path)
                             : cp_write_file(path, b->data ? b->data : "", b->len);
    cp_textbuf_free(b);
    return st;
}
