/*
 * Test guest for the JSON text helpers of ingesthost.h, driven by the
 * document (tests/test_c_sdk.py). Each input field present asks for one
 * check; the answers are put next to it:
 * - "s" (string): "escaped" = the JSON literal ih_buf_put_json_string makes
 *   of it (as a string), "roundtrip" = that literal put as a value.
 * - "unescape" (string: JSON text): "unescaped" = what ih_json_unescape
 *   makes of it, or "unescape_error" = its message.
 * - "n" (any): "n_text" = ih_fmt_i64 of ih_json_parse_i64 of its JSON text
 *   and "n_back" = ih_put_i64 of it, or "n_error": true.
 * - "raw" (string: JSON text): "raw_valid" (ih_json_valid), "raw_type"
 *   (ih_json_type), "raw_members" (the keys or the number of elements
 *   ih_json_next walks).
 * - "heap": "heap_top" = the allocator's top after allocating "heap" bytes
 *   (a number) in pieces and freeing them.
 * Fails the document when a host call fails. Frees all it allocates, so
 * that it also runs with the free-list allocator without growing.
 */
#include "../ingesthost.h"

#define K(s) s, (uint32_t)(sizeof(s) - 1)

static int check(int status, const char *call, const char *key) {
    if (status == IH_OK) return 0;
    return ih_fail_call(call, key, ih_strlen(key), status);
}

static int helpers(void) {
    ih_buf s = IH_BUF_INIT;
    int status = ih_get_str(K("s"), &s, 0);
    if (status == IH_OK) {
        ih_buf lit = IH_BUF_INIT;
        ih_buf_put_json_string(&lit, s.data, s.len);
        if ((status = check(ih_put_str(K("escaped"), lit.data, lit.len), "put_field", "escaped"))) return status;
        if ((status = check(ih_put_field(K("roundtrip"), lit.data, lit.len), "put_field", "roundtrip"))) return status;
        ih_buf_free(&lit);
    }
    ih_buf_free(&s);

    ih_buf text = IH_BUF_INIT;
    if (ih_get_str(K("unescape"), &text, 0) == IH_OK) {
        ih_buf out = IH_BUF_INIT;
        const char *error = ih_json_unescape(text.data, text.len, &out);
        if (error) status = ih_put_str(K("unescape_error"), error, ih_strlen(error));
        else status = ih_put_str(K("unescaped"), out.data, out.len);
        if ((status = check(status, "put_field", "unescaped"))) return status;
        ih_buf_free(&out);
    }
    ih_buf_free(&text);

    char *raw;
    uint32_t raw_len;
    if (ih_get_field(K("n"), &raw, &raw_len) == IH_OK) {
        int64_t v;
        if (ih_json_parse_i64(raw, raw_len, &v) == 0) {
            char digits[20];
            if ((status = check(ih_put_str(K("n_text"), digits, ih_fmt_i64(digits, v)), "put_field", "n_text"))) return status;
            if ((status = check(ih_put_i64(K("n_back"), v), "put_field", "n_back"))) return status;
        } else if ((status = check(ih_put_field(K("n_error"), K("true")), "put_field", "n_error"))) {
            return status;
        }
        free(raw);
    }

    ih_buf json = IH_BUF_INIT;
    if (ih_get_str(K("raw"), &json, 0) == IH_OK) {
        const char *type = ih_json_type(json.data, json.len);
        ih_buf members = IH_BUF_INIT;
        ih_json_iter it = ih_json_iter_start(json.data, json.len);
        int count = 0;
        ih_buf_putc(&members, '[');
        while (ih_json_next(&it)) {
            if (it.object) {
                if (count) ih_buf_putc(&members, ',');
                ih_buf_put(&members, it.key, it.key_len);
            }
            count++;
        }
        ih_buf_putc(&members, ']');
        status = ih_put_field(K("raw_valid"), ih_json_valid(json.data, json.len) ? "true" : "false",
                              ih_json_valid(json.data, json.len) ? 4 : 5);
        if ((status = check(status, "put_field", "raw_valid"))) return status;
        if ((status = check(ih_put_str(K("raw_type"), type, ih_strlen(type)), "put_field", "raw_type"))) return status;
        if (ih_strlen(type) == 5 && type[0] == 'a') status = ih_put_i64(K("raw_members"), count);
        else if (type[0] == 'o' && !it.error) status = ih_put_field(K("raw_members"), members.data, members.len);
        else status = IH_OK;
        if ((status = check(status, "put_field", "raw_members"))) return status;
        ih_buf_free(&members);
    }
    ih_buf_free(&json);

    if (ih_get_field(K("heap"), &raw, &raw_len) == IH_OK) {
        int64_t total;
        if (ih_json_parse_i64(raw, raw_len, &total) == 0) {
            void *pieces[64];
            int count = 0;
            for (int64_t done = 0; done < total && count < 64; count++) {
                uint32_t size = (uint32_t)(total / 16 + 1 + count);
                pieces[count] = malloc(size);
                if (!pieces[count]) return ih_fails(IH_INTERNAL_FAILURE, "malloc failed");
                memset(pieces[count], count, size);
                done += size;
            }
            while (count--) free(pieces[count]);
        }
        free(raw);
        if ((status = check(ih_put_i64(K("heap_top"), (int64_t)ih__top), "put_field", "heap_top"))) return status;
    }

    char u[20];
    uint32_t ulen = ih_fmt_u64(u, (uint64_t)-1);
    if ((status = check(ih_put_str(K("u64_max"), u, ulen), "put_field", "u64_max"))) return status;
    return IH_KEEP;
}

INGESTHOST_PROCESSOR(helpers, 0)
