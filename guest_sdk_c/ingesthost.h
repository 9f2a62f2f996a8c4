/*
 * ingesthost.h: write ingesthost ingest processors in C (guest ABI 1.0,
 * abi_spec/ABI.md). One header, no other file: include it in exactly one .c
 * file of the module (it defines functions, the `malloc` export and, through
 * INGESTHOST_PROCESSOR, the `configure` and `process` exports and the ABI
 * marker).
 *
 * Builds with clang + lld, without a libc or with WASI's (a reactor):
 *   clang --target=wasm32 -Os -ffreestanding -nostdlib -Wl,--no-entry -o p.wasm p.c
 *   clang --target=wasm32-wasi -Os -mexec-model=reactor -o p.wasm p.c
 * (guest_sdk_c/build.sh adds the flags that make the bytes reproducible.)
 *
 * A processor is two functions and one macro:
 *
 *   static int configure(void) {           // once per instance, at load
 *       return ih_accept_params(names, 1); // 0, or ih_fail(...)'s code
 *   }
 *   static int process(void) {             // once per document
 *       ...                                // IH_KEEP, IH_DROP or ih_fail(...)
 *   }
 *   INGESTHOST_PROCESSOR(process, configure)
 *
 * ih_fail() logs its message at Error level (the host reports the last Error
 * line as the document's failure, or as the reason a load is refused) and
 * returns the code to return from process/configure.
 *
 * Memory. The exported `malloc` is what the host uses to hand over values and
 * params; the same allocator backs malloc/free/calloc/realloc for the guest.
 * Two choices, chosen before including this header:
 *   - default: a bump allocator reset at the start of every document. free()
 *     is (nearly) a no-op; everything allocated while processing a document
 *     is released before the next one, and everything allocated before the
 *     first document (in configure: params, compiled state) lives for the
 *     instance. The fastest choice, and no leak is possible.
 *   - #define INGESTHOST_FREE_LIST: power-of-two size classes with a free
 *     list each; free() makes a block reusable; nothing is reset. For guests
 *     that keep state across documents (caches) allocated in process().
 */
#ifndef INGESTHOST_H
#define INGESTHOST_H

#include <stddef.h>
#include <stdint.h>

/* Helpers a module does not use are not worth a warning. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"

/* ------------------------------------------------------------------ ABI */

#define IH_ABI_MAJOR 1
#define IH_ABI_MINOR 0

/* Statuses of the host imports. */
enum {
    IH_OK = 0,
    IH_INTERNAL_FAILURE = 1,
    IH_INVALID_ARGUMENT = 2,
    IH_NOT_FOUND = 3,
};

/* Results of process(): keep, drop; anything else fails the document. */
enum { IH_KEEP = 0, IH_DROP = 4 };

/* Log levels of elastic_log. */
enum { IH_DEBUG = 0, IH_INFO = 1, IH_WARN = 2, IH_ERROR = 3, IH_CRITICAL = 4 };

#define IH__IMPORT(name) __attribute__((import_module("elastic"), import_name(#name)))
#define IH__EXPORT(name) __attribute__((export_name(#name), used))

/* The host imports (module "elastic"). Every one returns a status. */
IH__IMPORT(elastic_get_field)
int32_t elastic_get_field(const char *key, uint32_t key_len, char **ret_ptr, uint32_t *ret_len);
IH__IMPORT(elastic_put_field)
int32_t elastic_put_field(const char *key, uint32_t key_len, const char *value, uint32_t value_len);
IH__IMPORT(elastic_remove_field)
int32_t elastic_remove_field(const char *key, uint32_t key_len);
IH__IMPORT(elastic_get_current_time_nanoseconds)
int32_t elastic_get_current_time_nanoseconds(uint64_t *ret);
IH__IMPORT(elastic_log)
int32_t elastic_log(int32_t level, const char *msg, uint32_t msg_len);
IH__IMPORT(elastic_abi_version)
int32_t elastic_abi_version(void);

/* ------------------------------------------------------------ utilities */

static uint32_t ih_strlen(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

static int ih_eq(const char *a, uint32_t an, const char *b, uint32_t bn) {
    if (an != bn) return 0;
    for (uint32_t i = 0; i < an; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static const char *ih_status_name(int status) {
    switch (status) {
    case IH_OK: return "Ok";
    case IH_INTERNAL_FAILURE: return "InternalFailure";
    case IH_INVALID_ARGUMENT: return "InvalidArgument";
    case IH_NOT_FOUND: return "NotFound";
    default: return "Unknown";
    }
}

#ifndef __wasi__
/* Without a libc, clang still emits calls to these. */
void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}
void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}
#else
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
#endif

/* ------------------------------------------------------------ allocator */

/* Every block has an 8-byte header: its capacity and its size class. */
typedef struct { uint32_t cap, cls; } ih__hdr;

extern unsigned char __heap_base;
static uintptr_t ih__top, ih__end;
static uintptr_t ih__mark;
static int ih__marked;

/* Makes [.., need) addressable, growing memory; 0 when it cannot. */
static int ih__reserve(uintptr_t need) {
    if (need <= ih__end) return 1;
    ih__end = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    if (need <= ih__end) return 1;
    size_t pages = (need - ih__end + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
    ih__end += pages * 65536u;
    return 1;
}

/* A fresh block of `cap` bytes (multiple of 8) from the top of the heap. */
static void *ih__bump(uint32_t cap, uint32_t cls) {
    if (!ih__top) ih__top = ((uintptr_t)&__heap_base + 7u) & ~(uintptr_t)7u;
    uintptr_t at = ih__top;
    if (cap > 0x7ffffff0u || at + sizeof(ih__hdr) + cap < at) return 0;
    if (!ih__reserve(at + sizeof(ih__hdr) + cap)) return 0;
    ih__hdr *h = (ih__hdr *)at;
    h->cap = cap;
    h->cls = cls;
    ih__top = at + sizeof(ih__hdr) + cap;
    return h + 1;
}

#ifdef INGESTHOST_FREE_LIST
static void *ih__free_lists[32];

void *malloc(size_t size) {
    if (size > 0x40000000u) return 0;
    uint32_t cls = 0, cap = 16;
    while (cap < size) {
        cap <<= 1;
        cls++;
    }
    void *p = ih__free_lists[cls];
    if (p) {
        ih__free_lists[cls] = *(void **)p;
        return p;
    }
    return ih__bump(cap, cls);
}

void free(void *p) {
    if (!p) return;
    ih__hdr *h = (ih__hdr *)p - 1;
    *(void **)p = ih__free_lists[h->cls];
    ih__free_lists[h->cls] = p;
}

/* Nothing to reset: blocks are reused through free(). */
static void ih__document_start(void) {}
#else
void *malloc(size_t size) {
    if (size > 0x7ffffff0u) return 0;
    uint32_t cap = ((uint32_t)size + 7u) & ~7u;
    return ih__bump(cap ? cap : 8, 0);
}

/* Gives the memory back only when it is the last block allocated. */
void free(void *p) {
    if (!p) return;
    ih__hdr *h = (ih__hdr *)p - 1;
    if ((uintptr_t)p + h->cap == ih__top && (uintptr_t)h >= (ih__marked ? ih__mark : 0)) ih__top = (uintptr_t)h;
}

/* The bump allocator forgets everything allocated since configure. */
static void ih__document_start(void) {
    if (!ih__marked) {
        ih__mark = ih__top;
        ih__marked = 1;
    }
    ih__top = ih__mark;
}
#endif

void *calloc(size_t n, size_t size) {
    if (size && n > 0x7fffffffu / size) return 0;
    void *p = malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t size) {
    if (!p) return malloc(size);
    ih__hdr *h = (ih__hdr *)p - 1;
    if (size <= h->cap) return p;
#ifndef INGESTHOST_FREE_LIST
    /* The last block grows in place. */
    if ((uintptr_t)p + h->cap == ih__top && size <= 0x7ffffff0u) {
        uint32_t cap = ((uint32_t)size + 7u) & ~7u;
        if (!ih__reserve((uintptr_t)p + cap)) return 0;
        h->cap = cap;
        ih__top = (uintptr_t)p + cap;
        return p;
    }
#endif
    void *q = malloc(size);
    if (!q) return 0;
    memcpy(q, p, h->cap);
    free(p);
    return q;
}

/* The export the host allocates through (values of get_field, params). */
IH__EXPORT(malloc) void *ih__malloc_export(uint32_t size) { return malloc(size); }

/* ------------------------------------------------------- growable text */

/* A growable byte buffer; `oom` is set (and later writes ignored) when
 * memory runs out. IH_BUF_INIT is an empty one. */
typedef struct {
    char *data;
    uint32_t len, cap;
    int oom;
} ih_buf;
#define IH_BUF_INIT {0, 0, 0, 0}

static int ih_buf_reserve(ih_buf *b, uint32_t more) {
    if (b->oom) return 0;
    if (b->len + more < b->len) return b->oom = 1, 0;
    if (b->len + more <= b->cap) return 1;
    uint32_t cap = b->cap ? b->cap : 32;
    while (cap < b->len + more) {
        if (cap > 0x40000000u) return b->oom = 1, 0;
        cap <<= 1;
    }
    char *p = realloc(b->data, cap);
    if (!p) return b->oom = 1, 0;
    b->data = p;
    b->cap = cap;
    return 1;
}

static void ih_buf_put(ih_buf *b, const char *s, uint32_t n) {
    if (ih_buf_reserve(b, n)) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    }
}

static void ih_buf_putc(ih_buf *b, char c) {
    if (ih_buf_reserve(b, 1)) b->data[b->len++] = c;
}

static void ih_buf_puts(ih_buf *b, const char *s) { ih_buf_put(b, s, ih_strlen(s)); }

static void ih_buf_free(ih_buf *b) {
    free(b->data);
    b->data = 0;
    b->len = b->cap = 0;
    b->oom = 0;
}

/* ----------------------------------------------------- numbers as text */

/* Decimal text of `v` into `out` (at least 20 bytes); returns its length. */
static uint32_t ih_fmt_u64(char *out, uint64_t v) {
    char tmp[20];
    uint32_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (uint32_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

/* Decimal text of `v` into `out` (at least 20 bytes); returns its length. */
static uint32_t ih_fmt_i64(char *out, int64_t v) {
    if (v >= 0) return ih_fmt_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + ih_fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

static void ih_buf_put_i64(ih_buf *b, int64_t v) {
    char tmp[20];
    ih_buf_put(b, tmp, ih_fmt_i64(tmp, v));
}

static void ih_buf_put_u64(ih_buf *b, uint64_t v) {
    char tmp[20];
    ih_buf_put(b, tmp, ih_fmt_u64(tmp, v));
}

static int ih__is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Reads JSON text holding one integer (optional surrounding whitespace)
 * into *out. 0 on success; -1 if it is not an integer (a fraction or an
 * exponent, not JSON) or does not fit in an int64. */
static int ih_json_parse_i64(const char *s, uint32_t n, int64_t *out) {
    uint32_t i = 0;
    while (i < n && ih__is_ws(s[i])) i++;
    while (n > i && ih__is_ws(s[n - 1])) n--;
    int neg = 0;
    if (i < n && s[i] == '-') neg = 1, i++;
    if (i >= n || s[i] < '0' || s[i] > '9' || (s[i] == '0' && i + 1 < n)) return -1;
    uint64_t v = 0, limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)((uint64_t)0 - v) : (int64_t)v;
    return 0;
}

/* ----------------------------------------------------- strings as JSON */

/* Appends `s` as a JSON string literal, quotes included: `"` and `\`
 * backslash-escaped, control characters as \n \r \t \b \f or \u00XX, every
 * other byte (UTF-8 included) as is. The same text as the Rust SDK's
 * json::escape. */
static void ih_buf_put_json_string(ih_buf *b, const char *s, uint32_t n) {
    static const char hex[] = "0123456789abcdef";
    ih_buf_putc(b, '"');
    uint32_t start = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        ih_buf_put(b, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"': ih_buf_put(b, "\\\"", 2); break;
        case '\\': ih_buf_put(b, "\\\\", 2); break;
        case '\n': ih_buf_put(b, "\\n", 2); break;
        case '\r': ih_buf_put(b, "\\r", 2); break;
        case '\t': ih_buf_put(b, "\\t", 2); break;
        case 0x08: ih_buf_put(b, "\\b", 2); break;
        case 0x0c: ih_buf_put(b, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ih_buf_put(b, u, 6);
        }
        }
    }
    ih_buf_put(b, s + start, n - start);
    ih_buf_putc(b, '"');
}

static int ih__hex4(const char *s, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
        else return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

static void ih__put_utf8(ih_buf *b, uint32_t cp) {
    char u[4];
    uint32_t n;
    if (cp < 0x80) u[0] = (char)cp, n = 1;
    else if (cp < 0x800) u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 63)), u[2] = (char)(0x80 | (cp & 63)), n = 3;
    else
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 63)), u[2] = (char)(0x80 | (cp >> 6 & 63)),
        u[3] = (char)(0x80 | (cp & 63)), n = 4;
    ih_buf_put(b, u, n);
}

/* Decodes one JSON string literal (quotes included, optional surrounding
 * whitespace) into the UTF-8 bytes it denotes, appended to `out`: escapes
 * resolved, \uXXXX surrogate pairs joined. Returns 0, or a static message
 * ("not a JSON string", "invalid escape", "lone surrogate", "control
 * character in string", "out of memory"); `out` then holds a prefix. */
static const char *ih_json_unescape(const char *s, uint32_t n, ih_buf *out) {
    uint32_t i = 0;
    while (i < n && ih__is_ws(s[i])) i++;
    while (n > i && ih__is_ws(s[n - 1])) n--;
    if (n - i < 2 || s[i] != '"' || s[n - 1] != '"') return "not a JSON string";
    i++;
    n--;
    uint32_t start = i;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) return "control character in string";
        if (c == '"') return "not a JSON string";
        if (c != '\\') {
            i++;
            continue;
        }
        ih_buf_put(out, s + start, i - start);
        if (i + 1 >= n) return "invalid escape";
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '"': ih_buf_putc(out, '"'); break;
        case '\\': ih_buf_putc(out, '\\'); break;
        case '/': ih_buf_putc(out, '/'); break;
        case 'b': ih_buf_putc(out, 0x08); break;
        case 'f': ih_buf_putc(out, 0x0c); break;
        case 'n': ih_buf_putc(out, '\n'); break;
        case 'r': ih_buf_putc(out, '\r'); break;
        case 't': ih_buf_putc(out, '\t'); break;
        case 'u': {
            uint32_t cp, lo;
            if (n - i < 4 || !ih__hex4(s + i, &cp)) return "invalid escape";
            i += 4;
            if (cp >= 0xdc00 && cp < 0xe000) return "lone surrogate";
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' || !ih__hex4(s + i + 2, &lo)) return "lone surrogate";
                if (lo < 0xdc00 || lo >= 0xe000) return "lone surrogate";
                i += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            ih__put_utf8(out, cp);
            break;
        }
        default: return "invalid escape";
        }
        start = i;
    }
    ih_buf_put(out, s + start, i - start);
    return out->oom ? "out of memory" : 0;
}

/* ------------------------------------------------- scanning JSON values */

static const char *ih__skip_ws(const char *p, const char *end) {
    while (p < end && ih__is_ws(*p)) p++;
    return p;
}

static const char *ih__skip_value(const char *p, const char *end, int depth);

static const char *ih__skip_string(const char *p, const char *end) {
    if (p >= end || *p != '"') return 0;
    for (p++; p < end; p++) {
        if (*p == '"') return p + 1;
        if ((unsigned char)*p < 0x20) return 0;
        if (*p == '\\' && ++p >= end) return 0;
    }
    return 0;
}

static const char *ih__skip_digits(const char *p, const char *end) {
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9') q++;
    return q > p ? q : 0;
}

static const char *ih__skip_value(const char *p, const char *end, int depth) {
    p = ih__skip_ws(p, end);
    if (p >= end || depth > 512) return 0;
    char c = *p;
    if (c == '"') return ih__skip_string(p, end);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p = ih__skip_ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (c == '{') {
                p = ih__skip_string(ih__skip_ws(p, end), end);
                if (!p) return 0;
                p = ih__skip_ws(p, end);
                if (p >= end || *p != ':') return 0;
                p++;
            }
            p = ih__skip_value(p, end, depth + 1);
            if (!p) return 0;
            p = ih__skip_ws(p, end);
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            return p < end && *p == close ? p + 1 : 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (c == '-') p++;
        if (p < end && *p == '0') p++;
        else if (!(p = ih__skip_digits(p, end))) return 0;
        if (p < end && *p == '.' && !(p = ih__skip_digits(p + 1, end))) return 0;
        if (p < end && (*p == 'e' || *p == 'E')) {
            p++;
            if (p < end && (*p == '+' || *p == '-')) p++;
            if (!(p = ih__skip_digits(p, end))) return 0;
        }
        return p;
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int w = 0; w < 3; w++) {
        uint32_t len = ih_strlen(words[w]);
        if ((uint32_t)(end - p) >= len && ih_eq(p, len, words[w], len)) return p + len;
    }
    return 0;
}

/* Length of the one JSON value `s` holds (surrounding whitespace allowed),
 * i.e. `n`; or 0 if `s` is not exactly one JSON value. */
static int ih_json_valid(const char *s, uint32_t n) {
    const char *end = s + n, *p = ih__skip_value(s, end, 0);
    return p && ih__skip_ws(p, end) == end;
}

/* The JSON type name of the value text starts with (after whitespace):
 * "object", "array", "string", "number", "boolean", "null". */
static const char *ih_json_type(const char *s, uint32_t n) {
    const char *p = ih__skip_ws(s, s + n);
    if (p >= s + n) return "nothing";
    switch (*p) {
    case '{': return "object";
    case '[': return "array";
    case '"': return "string";
    case 't': case 'f': return "boolean";
    case 'n': return "null";
    default: return "number";
    }
}

/* Walks the members of a JSON object or the elements of a JSON array:
 *   ih_json_iter it = ih_json_iter_start(text, len);
 *   while (ih_json_next(&it)) { it.key / it.key_len (object: the key's JSON
 *       literal, quotes included), it.value / it.value_len }
 * Stops at the end or at malformed text (then it.error is set). */
typedef struct {
    const char *p, *end;
    int object, first, error;
    const char *key, *value;
    uint32_t key_len, value_len;
} ih_json_iter;

static ih_json_iter ih_json_iter_start(const char *s, uint32_t n) {
    ih_json_iter it = {0};
    it.end = s + n;
    it.p = ih__skip_ws(s, it.end);
    it.first = 1;
    if (it.p < it.end && (*it.p == '{' || *it.p == '[')) it.object = *it.p++ == '{';
    else it.error = 1;
    return it;
}

static int ih_json_next(ih_json_iter *it) {
    if (it->error || !it->p) return 0;
    const char *p = ih__skip_ws(it->p, it->end);
    char close = it->object ? '}' : ']';
    if (p < it->end && *p == close) return it->p = 0, 0;
    if (!it->first) {
        if (p >= it->end || *p != ',') return it->error = 1, 0;
        p = ih__skip_ws(p + 1, it->end);
    }
    it->first = 0;
    if (it->object) {
        const char *k = p;
        p = ih__skip_string(p, it->end);
        if (!p) return it->error = 1, 0;
        it->key = k;
        it->key_len = (uint32_t)(p - k);
        p = ih__skip_ws(p, it->end);
        if (p >= it->end || *p != ':') return it->error = 1, 0;
        p = ih__skip_ws(p + 1, it->end);
    }
    const char *v = p;
    p = ih__skip_value(p, it->end, 1);
    if (!p) return it->error = 1, 0;
    it->value = v;
    it->value_len = (uint32_t)(p - v);
    it->p = p;
    return 1;
}

/* Whether the object key literal (quotes included) spells `name`. */
static int ih_json_key_is(const char *lit, uint32_t lit_len, const char *name) {
    uint32_t n = ih_strlen(name);
    for (uint32_t i = 0; i < lit_len; i++)
        if (lit[i] == '\\') {
            ih_buf b = IH_BUF_INIT;
            int eq = !ih_json_unescape(lit, lit_len, &b) && ih_eq(b.data, b.len, name, n);
            ih_buf_free(&b);
            return eq;
        }
    return lit_len == n + 2 && ih_eq(lit + 1, n, name, n);
}

/* Finds member `name` of the JSON object text; 1 and its value, or 0. */
static int ih_json_member(const char *obj, uint32_t n, const char *name, const char **value, uint32_t *value_len) {
    ih_json_iter it = ih_json_iter_start(obj, n);
    int found = 0;
    while (ih_json_next(&it))
        if (it.object && ih_json_key_is(it.key, it.key_len, name)) {
            *value = it.value;
            *value_len = it.value_len;
            found = 1; /* the last one wins, as in a JSON parser */
        }
    return found;
}

/* ------------------------------------------------------------- logging */

static int32_t ih_log(int level, const char *msg, uint32_t len) { return elastic_log(level, msg, len); }
static void ih_logs(int level, const char *msg) { elastic_log(level, msg, ih_strlen(msg)); }

/* The code process/configure return for a failure with `status`
 * (never keep or drop). */
static int ih_fail_code(int status) { return status == IH_KEEP || status == IH_DROP ? IH_INTERNAL_FAILURE : status; }

/* Logs `msg` at Error level (the failure message) and returns the code to
 * return from process() or configure(). */
static int ih_fail(int status, const char *msg, uint32_t len) {
    elastic_log(IH_ERROR, msg, len);
    return ih_fail_code(status);
}

static int ih_fails(int status, const char *msg) { return ih_fail(status, msg, ih_strlen(msg)); }

/* ih_fail with the message `before` + name + `after`, e.g.
 * ih_fail_name(IH_INTERNAL_FAILURE, "field [", f, f_len, "] not present"). */
static int ih_fail_name(int status, const char *before, const char *name, uint32_t name_len, const char *after) {
    ih_buf m = IH_BUF_INIT;
    ih_buf_puts(&m, before);
    ih_buf_put(&m, name, name_len);
    ih_buf_puts(&m, after);
    int code = ih_fail(status, m.data, m.len);
    ih_buf_free(&m);
    return code;
}

/* The failure of a host call, worded as the Rust SDK words it:
 * `put_field [kv] failed: InvalidArgument`, with the call's status. */
static int ih_fail_call(const char *call, const char *key, uint32_t key_len, int status) {
    ih_buf m = IH_BUF_INIT;
    ih_buf_puts(&m, call);
    ih_buf_puts(&m, " [");
    ih_buf_put(&m, key, key_len);
    ih_buf_puts(&m, "] failed: ");
    ih_buf_puts(&m, ih_status_name(status));
    int code = ih_fail(status, m.data, m.len);
    ih_buf_free(&m);
    return code;
}

/* -------------------------------------------------------------- fields */

/* Raw elastic_get_field: on IH_OK, *value (from malloc, yours to free) holds
 * the field's compact JSON text. IH_NOT_FOUND when absent. */
static int ih_get_field(const char *key, uint32_t key_len, char **value, uint32_t *value_len) {
    return elastic_get_field(key, key_len, value, value_len);
}

/* Reads a string field, unescaped, into `out` (appended). IH_OK,
 * IH_NOT_FOUND, a host status, or IH_NOT_A_STRING (with *type set to the
 * JSON type name of the value when `type` is not NULL). */
#define IH_NOT_A_STRING 100
static int ih_get_str(const char *key, uint32_t key_len, ih_buf *out, const char **type) {
    char *text;
    uint32_t len;
    int status = elastic_get_field(key, key_len, &text, &len);
    if (status != IH_OK) return status;
    const char *t = ih_json_type(text, len);
    if (t[0] != 's') {
        if (type) *type = t;
        free(text);
        return IH_NOT_A_STRING;
    }
    status = ih_json_unescape(text, len, out) ? IH_INTERNAL_FAILURE : IH_OK;
    free(text);
    return status;
}

static int ih_put_field(const char *key, uint32_t key_len, const char *json, uint32_t json_len) {
    return elastic_put_field(key, key_len, json, json_len);
}

/* Sets a field to a JSON string holding the bytes `s` (escaped for you). */
static int ih_put_str(const char *key, uint32_t key_len, const char *s, uint32_t n) {
    ih_buf b = IH_BUF_INIT;
    ih_buf_put_json_string(&b, s, n);
    int status = b.oom ? IH_INTERNAL_FAILURE : elastic_put_field(key, key_len, b.data, b.len);
    ih_buf_free(&b);
    return status;
}

/* Sets a field to a JSON integer. */
static int ih_put_i64(const char *key, uint32_t key_len, int64_t v) {
    char tmp[20];
    return elastic_put_field(key, key_len, tmp, ih_fmt_i64(tmp, v));
}

static int ih_remove_field(const char *key, uint32_t key_len) { return elastic_remove_field(key, key_len); }

/* Nanoseconds since the Unix epoch (0 if the host fails). */
static uint64_t ih_now(void) {
    uint64_t t = 0;
    return elastic_get_current_time_nanoseconds(&t) == IH_OK ? t : 0;
}

/* ------------------------------------------------------------- params */

static char *ih__params = "{}";
static uint32_t ih__params_len = 2;

/* The params as JSON object text, as configure received them ("{}" when
 * configure never ran). */
static const char *ih_params(uint32_t *len) {
    *len = ih__params_len;
    return ih__params;
}

/* The raw JSON text of param `name`; 0 when it is absent or null. */
static int ih_param(const char *name, const char **value, uint32_t *value_len) {
    return ih_json_member(ih__params, ih__params_len, name, value, value_len) && **value != 'n'; /* not null */
}

/* A string param, unescaped and NUL-terminated (it lives for the instance):
 * `dflt` when absent or null. 0, or ih_fail's code for
 * `param [x] must be a string, not number`. */
static int ih_param_str(const char *name, const char *dflt, const char **out, uint32_t *out_len) {
    const char *v;
    uint32_t n;
    if (!ih_param(name, &v, &n)) {
        *out = dflt;
        *out_len = ih_strlen(dflt);
        return 0;
    }
    const char *type = ih_json_type(v, n);
    if (type[0] != 's') {
        ih_buf m = IH_BUF_INIT;
        ih_buf_puts(&m, "param [");
        ih_buf_puts(&m, name);
        ih_buf_puts(&m, "] must be a string, not ");
        ih_buf_puts(&m, type);
        return ih_fail(IH_INTERNAL_FAILURE, m.data, m.len);
    }
    ih_buf b = IH_BUF_INIT;
    if (ih_json_unescape(v, n, &b)) return ih_fail_name(IH_INTERNAL_FAILURE, "param [", name, ih_strlen(name), "] is not a valid string");
    ih_buf_putc(&b, 0);
    *out = b.data;
    *out_len = b.len - 1;
    return 0;
}

/* A boolean param: `dflt` when absent or null; 0 or ih_fail's code. */
static int ih_param_bool(const char *name, int dflt, int *out) {
    const char *v;
    uint32_t n;
    if (!ih_param(name, &v, &n)) {
        *out = dflt;
        return 0;
    }
    const char *type = ih_json_type(v, n);
    if (type[0] != 'b') {
        ih_buf m = IH_BUF_INIT;
        ih_buf_puts(&m, "param [");
        ih_buf_puts(&m, name);
        ih_buf_puts(&m, "] must be a boolean, not ");
        ih_buf_puts(&m, type);
        return ih_fail(IH_INTERNAL_FAILURE, m.data, m.len);
    }
    *out = v[0] == 't';
    return 0;
}

/* Refuses params not in `names`: 0, or ih_fail's code for
 * `unknown param [feild]; this processor accepts [field], [target_field]`. */
static int ih_accept_params(const char *const *names, int count) {
    ih_json_iter it = ih_json_iter_start(ih__params, ih__params_len);
    while (ih_json_next(&it)) {
        int known = 0;
        for (int i = 0; i < count && !known; i++) known = ih_json_key_is(it.key, it.key_len, names[i]);
        if (known) continue;
        ih_buf name = IH_BUF_INIT, m = IH_BUF_INIT;
        if (ih_json_unescape(it.key, it.key_len, &name)) ih_buf_put(&name, it.key, it.key_len);
        ih_buf_puts(&m, "unknown param [");
        ih_buf_put(&m, name.data, name.len);
        ih_buf_puts(&m, "]; this processor ");
        if (!count) ih_buf_puts(&m, "takes no params");
        else ih_buf_puts(&m, "accepts ");
        for (int i = 0; i < count; i++) {
            ih_buf_puts(&m, i ? ", [" : "[");
            ih_buf_puts(&m, names[i]);
            ih_buf_putc(&m, ']');
        }
        return ih_fail(IH_INVALID_ARGUMENT, m.data, m.len);
    }
    return 0;
}

/* ------------------------------------------------------------- glue */

static int ih__configured;

/* configure(ptr, len): keeps the params (memory from our malloc, now ours),
 * checks they are a JSON object, then runs the processor's configure. */
static int ih__configure(char *ptr, uint32_t len, int (*configure_fn)(void)) {
    if (!ih_json_valid(ptr, len) || ih_json_type(ptr, len)[0] != 'o') {
        if (!ih_json_valid(ptr, len)) return ih_fails(IH_INVALID_ARGUMENT, "configure: params are not valid JSON");
        ih_buf m = IH_BUF_INIT;
        ih_buf_puts(&m, "configure: params must be a JSON object, not ");
        ih_buf_puts(&m, ih_json_type(ptr, len));
        return ih_fail(IH_INVALID_ARGUMENT, m.data, m.len);
    }
    ih__params = ptr;
    ih__params_len = len;
    int status = configure_fn ? configure_fn() : 0;
    if (status == 0) ih__configured = 1;
#ifndef INGESTHOST_FREE_LIST
    ih__mark = ih__top; /* what configure allocated lives for the instance */
    ih__marked = 1;
#endif
    return status;
}

static int ih__process(int (*process_fn)(void), int (*configure_fn)(void)) {
    if (!ih__configured) {
        /* A host that never called configure: configure on {} first. */
        int status = configure_fn ? configure_fn() : 0;
        if (status) return status;
        ih__configured = 1;
    }
    ih__document_start();
    return process_fn();
}

/* Defines the exports `configure`, `process` and the ABI 1.0 marker.
 * `configure_fn` may be 0 (a processor without params checks). */
#define INGESTHOST_PROCESSOR(process_fn, configure_fn)                                                             \
    IH__EXPORT(configure) int ih__configure_export(char *ptr, uint32_t len) {                                      \
        return ih__configure(ptr, len, configure_fn);                                                              \
    }                                                                                                              \
    IH__EXPORT(process) int ih__process_export(void) { return ih__process(process_fn, configure_fn); }             \
    IH__EXPORT(elastic_ingest_wasm_abi_1_0) void ih__abi_marker(void) {}

#pragma clang diagnostic pop

#endif /* INGESTHOST_H */
