/*
 * ABI conformance driver in C, the twin of the Rust SDK's conformance
 * example: performs the host calls listed in its params, in order, for every
 * document, and logs one Info line of JSON per call:
 * `{"i":<index>,"status":<status code>,"value":<JSON text or null>}`
 * (`value`: the returned JSON text for get_field with status 0, the
 * nanoseconds for now, the version for abi_version, else null).
 *
 * Params: {"calls": [call, ...]}, a call being {"op": "get_field", "key": K},
 * {"op": "put_field", "key": K, "value_json": "<JSON text>"},
 * {"op": "remove_field", "key": K}, {"op": "log", "level": N, "message": M},
 * {"op": "now"} or {"op": "abi_version"}; any key, value_json or message may
 * be given as key_hex, value_hex or message_hex (raw bytes, in hex).
 */
#include "../ingesthost.h"

static const char *calls;
static uint32_t calls_len;
static const char *const OPS[] = {"get_field", "put_field", "remove_field", "log", "now", "abi_version"};

static int op_of(const char *call, uint32_t n) {
    const char *v;
    uint32_t vn;
    if (!ih_json_member(call, n, "op", &v, &vn)) return -1;
    for (int i = 0; i < 6; i++)
        if (ih_json_key_is(v, vn, OPS[i])) return i;
    return -1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The bytes of call[text] or of call[hex] (decoded) into out; 0 or -1. */
static int arg(const char *call, uint32_t n, const char *text, const char *hex, ih_buf *out) {
    const char *v;
    uint32_t vn;
    if (ih_json_member(call, n, text, &v, &vn)) return ih_json_unescape(v, vn, out) ? -1 : 0;
    if (!ih_json_member(call, n, hex, &v, &vn)) return -1;
    ih_buf h = IH_BUF_INIT;
    if (ih_json_unescape(v, vn, &h) || h.len % 2) return -1;
    for (uint32_t i = 0; i < h.len; i += 2) {
        int a = hexval(h.data[i]), b = hexval(h.data[i + 1]);
        if (a < 0 || b < 0) return -1;
        ih_buf_putc(out, (char)(a << 4 | b));
    }
    return 0;
}

static int configure(void) {
    static const char *const names[] = {"calls"};
    int status = ih_accept_params(names, 1);
    if (status) return status;
    if (!ih_param("calls", &calls, &calls_len)) {
        calls = "[]";
        calls_len = 2;
    }
    if (ih_json_type(calls, calls_len)[0] != 'a') return ih_fails(IH_INTERNAL_FAILURE, "param [calls] must be an array");
    ih_json_iter it = ih_json_iter_start(calls, calls_len);
    for (int i = 0; ih_json_next(&it); i++)
        if (ih_json_type(it.value, it.value_len)[0] != 'o' || op_of(it.value, it.value_len) < 0) {
            ih_buf m = IH_BUF_INIT;
            ih_buf_puts(&m, "param [calls]: call ");
            ih_buf_put_i64(&m, i);
            ih_buf_puts(&m, ": unknown op");
            return ih_fail(IH_INTERNAL_FAILURE, m.data, m.len);
        }
    return 0;
}

static int conformance(void) {
    ih_json_iter it = ih_json_iter_start(calls, calls_len);
    for (int i = 0; ih_json_next(&it); i++) {
        const char *c = it.value;
        uint32_t n = it.value_len;
        ih_buf key = IH_BUF_INIT, value = IH_BUF_INIT, line = IH_BUF_INIT;
        int op = op_of(c, n), status = 0;
        if (op <= 2 && arg(c, n, "key", "key_hex", &key)) return ih_fails(IH_INTERNAL_FAILURE, "bad key");
        if (op == 0) {
            char *text;
            uint32_t len;
            status = ih_get_field(key.data, key.len, &text, &len);
            if (status == IH_OK) ih_buf_put(&value, text, len);
        } else if (op == 1) {
            ih_buf json = IH_BUF_INIT;
            if (arg(c, n, "value_json", "value_hex", &json)) return ih_fails(IH_INTERNAL_FAILURE, "bad value");
            status = ih_put_field(key.data, key.len, json.data, json.len);
        } else if (op == 2) {
            status = ih_remove_field(key.data, key.len);
        } else if (op == 3) {
            const char *lv;
            uint32_t lvn;
            int64_t level = 1;
            if (ih_json_member(c, n, "level", &lv, &lvn)) ih_json_parse_i64(lv, lvn, &level);
            ih_buf msg = IH_BUF_INIT;
            if (arg(c, n, "message", "message_hex", &msg)) return ih_fails(IH_INTERNAL_FAILURE, "bad message");
            status = ih_log((int)level, msg.data, msg.len);
        } else if (op == 4) {
            uint64_t t = 0;
            status = elastic_get_current_time_nanoseconds(&t);
            if (status == IH_OK) ih_buf_put_u64(&value, t);
        } else {
            ih_buf_put_i64(&value, elastic_abi_version());
        }
        ih_buf_puts(&line, "{\"i\":");
        ih_buf_put_i64(&line, i);
        ih_buf_puts(&line, ",\"status\":");
        ih_buf_put_i64(&line, status);
        ih_buf_puts(&line, ",\"value\":");
        if (value.len) ih_buf_put(&line, value.data, value.len);
        else ih_buf_puts(&line, "null");
        ih_buf_putc(&line, '}');
        ih_log(IH_INFO, line.data, line.len);
    }
    return IH_KEEP;
}

INGESTHOST_PROCESSOR(conformance, configure)
