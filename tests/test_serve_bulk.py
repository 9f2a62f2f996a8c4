"""``ingesthost.serve.bulk``: Elasticsearch's ``_bulk`` protocol, byte for byte.

Where each expected shape comes from (Elasticsearch sources and docs, 8.x/9.x):

* items: ``DocWriteResponse.innerToXContent`` + ``BulkItemResponse.toXContent``
  (success: _index, _id, _version, result, _shards, _seq_no, _primary_term,
  status; failure: _index, _id, status, error); field values as in
  ``docs/reference/docs/bulk.asciidoc`` (the example responses);
* the answer: ``BulkResponse.toXContentChunked`` (errors, took, ingest_took, items);
* dropped documents: ``BulkRequestModifier.markItemAsDropped`` (an
  ``UpdateResponse`` noop, ``ShardInfo(0, 0)``, the request's version, id
  ``auto-generated`` when the request had none);
* ingest failures: ``IngestProcessorException`` is unwrapped when rendered
  (PR #48810), so the item shows the processor's exception; ``fail`` is
  ``fail_processor_exception`` with status 500;
* unknown pipeline: ``rest-api-spec/.../test/bulk/90_pipeline.yml``;
* version conflict and document errors: the target's own error objects, in
  the shape of the docs' ``document_missing_exception`` example (metadata
  index_uuid, shard, index after reason);
* refused requests: ``ElasticsearchException.generateFailureXContent`` and
  ``RestBulkAction``/``BulkRequestParser``/``BulkRequest.validate`` messages;
* filter_path: ``FilterPathGeneratorFilteringTests`` (same sample, same
  expectations) and the ``filter_path=items.*.error`` example of the bulk docs.
"""

from __future__ import annotations

import orjson
import pytest

from ingesthost.serve import bulk
from ingesthost.serve.bulk import Action, BulkRequestError

SHARDS = {"total": 2, "successful": 1, "failed": 0}

MIXED_BODY = (
    b'{"index":{"_index":"logs","_id":"1"}}\n{"message":"a"}\n'
    b'{"create":{"_index":"logs","_id":"2"}}\n{"message":"b"}\n'
    b'{"delete":{"_index":"logs","_id":"3"}}\n'
    b'{"update":{"_index":"logs","_id":"4"}}\n{"doc":{"n":1}}\n'
    b'{"index":{"_index":"logs"}}\n{"drop":true}\n'
    b'{"create":{"_index":"logs","_id":"6"}}\n{"message":"bad"}\n'
    b'{"index":{"_index":"logs","_id":"7"}}\n{"n":"abc"}\n'
    b'{"create":{"_index":"logs","_id":"8"}}\n{"message":"dup"}\n'
    b'{"index":{"_index":"logs","_id":"9","pipeline":"missing"}}\n{"x":1}\n'
    b'{"create":{"_index":"logs","_id":"10"}}\n{"drop":true}\n'
)

# Written down by hand from the shapes named in the module docstring.
MIXED_GOLDEN = (
    b'{"errors":true,"took":12,"ingest_took":3,"items":['
    b'{"index":{"_index":"logs","_id":"1","_version":1,"result":"created",'
    b'"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},'
    b'{"create":{"_index":"logs","_id":"2","_version":1,"result":"created",'
    b'"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":1,"_primary_term":1,"status":201}},'
    b'{"delete":{"_index":"logs","_id":"3","_version":2,"result":"deleted",'
    b'"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":2,"_primary_term":1,"status":200}},'
    b'{"update":{"_index":"logs","_id":"4","_version":2,"result":"updated",'
    b'"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":3,"_primary_term":1,"status":200}},'
    b'{"index":{"_index":"logs","_id":"auto-generated","_version":-3,"result":"noop",'
    b'"_shards":{"total":0,"successful":0,"failed":0},"status":200}},'
    b'{"create":{"_index":"logs","_id":"6","status":500,'
    b'"error":{"type":"fail_processor_exception","reason":"refused: message is bad"}}},'
    b'{"index":{"_index":"logs","_id":"7","status":400,"error":{"type":"document_parsing_exception",'
    b'"reason":"[1:6] failed to parse field [n] of type [long] in document with id \'7\'. Preview of field\'s value: \'abc\'",'
    b'"caused_by":{"type":"illegal_argument_exception","reason":"For input string: \\"abc\\""}}}},'
    b'{"create":{"_index":"logs","_id":"8","status":409,"error":{"type":"version_conflict_engine_exception",'
    b'"reason":"[8]: version conflict, document already exists (current version [1])",'
    b'"index_uuid":"aAsFqTI0Tc2W0LCWgPNrOA","shard":"0","index":"logs"}}},'
    b'{"index":{"_index":"logs","_id":"9","status":400,'
    b'"error":{"type":"illegal_argument_exception","reason":"pipeline with id [missing] does not exist"}}},'
    b'{"create":{"_index":"logs","_id":"10","_version":-4,"result":"noop",'
    b'"_shards":{"total":0,"successful":0,"failed":0},"status":200}}'
    b"]}"
)


def mixed_items(actions: list[Action]) -> list[dict]:
    """The items of the mixed bulk, as the server builds them from what happened to each action."""
    index1, create2, delete3, update4, dropped, failed6, mapping7, conflict8, unknown9, dropped10 = actions
    return [
        bulk.item_result(index1.op, index1.index, index1.id, 201, result="created", version=1, seq_no=0, primary_term=1, shards=SHARDS),
        bulk.item_result(create2.op, create2.index, create2.id, 201, result="created", version=1, seq_no=1, primary_term=1, shards=SHARDS),
        bulk.item_result(delete3.op, delete3.index, delete3.id, 200, result="deleted", version=2, seq_no=2, primary_term=1, shards=SHARDS),
        bulk.item_result(update4.op, update4.index, update4.id, 200, result="updated", version=2, seq_no=3, primary_term=1, shards=SHARDS),
        bulk.dropped_item(dropped),
        bulk.ingest_failure_item(
            failed6, error_type="fail_processor_exception", reason="refused: message is bad", status=500,
            processor_type="fail", processor_tag="guard", pipeline="logs",
        ),
        bulk.item_result(
            mapping7.op, mapping7.index, mapping7.id, 400,
            error=bulk.error_object(
                "document_parsing_exception",
                "[1:6] failed to parse field [n] of type [long] in document with id '7'. Preview of field's value: 'abc'",
                caused_by=bulk.error_object("illegal_argument_exception", 'For input string: "abc"'),
            ),
        ),
        bulk.item_result(
            conflict8.op, conflict8.index, conflict8.id, 409,
            error=bulk.error_object(
                "version_conflict_engine_exception",
                "[8]: version conflict, document already exists (current version [1])",
                index_uuid="aAsFqTI0Tc2W0LCWgPNrOA", shard="0", index="logs",
            ),
        ),
        bulk.unknown_pipeline_item(unknown9, unknown9.pipeline),
        bulk.dropped_item(dropped10),
    ]


def refused(body: bytes, *args, **kwargs) -> BulkRequestError:
    with pytest.raises(BulkRequestError) as caught:
        bulk.parse_bulk(body, *args, **kwargs)
    return caught.value


def expected_error(status: int, error_type: str, reason: str) -> bytes:
    """Elasticsearch's body for an exception without cause: root_cause repeats type and reason."""
    cause = orjson.dumps({"type": error_type, "reason": reason}).decode()
    return f'{{"error":{{"root_cause":[{cause}],{cause[1:-1]}}},"status":{status}}}'.encode()


# --- the answer, byte for byte ----------------------------------------------------------


def test_mixed_bulk_answer_matches_golden_bytes() -> None:
    actions = bulk.parse_bulk(MIXED_BODY)
    assert [a.op for a in actions] == ["index", "create", "delete", "update", "index", "create", "index", "create", "index", "create"]
    answer = bulk.response(12, mixed_items(actions), ingest_took_ms=3)
    assert bulk.dumps(answer) == MIXED_GOLDEN


def test_answer_without_errors_and_without_ingest_took() -> None:
    item = bulk.item_result("index", "test", "1", 201, result="created", version=1, seq_no=0, primary_term=1, shards=SHARDS)
    assert bulk.dumps(bulk.response(30, [item])) == (
        b'{"errors":false,"took":30,"items":[{"index":{"_index":"test","_id":"1","_version":1,"result":"created",'
        b'"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}]}'
    )


def test_item_without_seq_no_forced_refresh_and_extra_in_place() -> None:
    # UpdateResponse noop: seq_no unassigned (-2) is not written; "get" comes after the shard fields.
    item = bulk.item_result(
        "update", "test", "1", 200, result="noop", version=3, seq_no=-2, primary_term=0,
        shards={"total": 0, "successful": 0, "failed": 0}, extra={"get": {"found": True}}, forced_refresh=True,
    )
    assert bulk.dumps(item) == (
        b'{"update":{"_index":"test","_id":"1","_version":3,"result":"noop","forced_refresh":true,'
        b'"_shards":{"total":0,"successful":0,"failed":0},"get":{"found":true},"status":200}}'
    )


def test_failed_item_without_id_writes_null() -> None:
    item = bulk.item_result("index", "test", None, 400, error=bulk.error_object("mapper_exception", "no"))
    assert bulk.dumps(item) == b'{"index":{"_index":"test","_id":null,"status":400,"error":{"type":"mapper_exception","reason":"no"}}}'


def test_item_result_refuses_incomplete_success_and_clashing_extra() -> None:
    with pytest.raises(ValueError):
        bulk.item_result("index", "i", "1", 201, result="created")
    with pytest.raises(ValueError):
        bulk.item_result("index", "i", "1", 201, result="created", version=1, shards=SHARDS, extra={"status": 1})
    with pytest.raises(ValueError):
        bulk.item_result("upsert", "i", "1", 201, result="created", version=1, shards=SHARDS)


def test_dropped_item_keeps_the_request_version_and_id() -> None:
    [versioned] = bulk.parse_bulk(b'{"index":{"_index":"i","_id":"k","version":7,"version_type":"external"}}\n{}\n')
    assert bulk.dumps(bulk.dropped_item(versioned)) == (
        b'{"index":{"_index":"i","_id":"k","_version":7,"result":"noop",'
        b'"_shards":{"total":0,"successful":0,"failed":0},"status":200}}'
    )


def test_ingest_failure_of_a_field_error_is_400_without_headers() -> None:
    [action] = bulk.parse_bulk(b'{"index":{"_index":"i"}}\n{}\n')
    item = bulk.ingest_failure_item(
        action, error_type="illegal_argument_exception", reason="field [a] not present as part of path [a]", status=400,
        processor_type="rename", processor_tag="t1", pipeline="p",
    )
    assert bulk.dumps(item) == (
        b'{"index":{"_index":"i","_id":"auto-generated","status":400,'
        b'"error":{"type":"illegal_argument_exception","reason":"field [a] not present as part of path [a]"}}}'
    )


def test_ingest_failure_with_cause_and_failure_store_status() -> None:
    [action] = bulk.parse_bulk(b'{"create":{"_index":"logs-x","_id":"1"}}\n{}\n')
    item = bulk.ingest_failure_item(
        action, error_type="script_exception", reason="runtime error", status=400,
        caused_by=bulk.error_object("null_pointer_exception", "boom"), failure_store="not_enabled",
    )
    assert bulk.dumps(item) == (
        b'{"create":{"_index":"logs-x","_id":"1","status":400,"error":{"type":"script_exception","reason":"runtime error",'
        b'"caused_by":{"type":"null_pointer_exception","reason":"boom"},"failure_store":"not_enabled"}}}'
    )


def test_error_body_root_cause_leaves_out_caused_by() -> None:
    body = bulk.error_body(400, "parse_exception", "outer", caused_by={"type": "x", "reason": "inner"}, line="3")
    assert bulk.dumps(body) == (
        b'{"error":{"root_cause":[{"type":"parse_exception","reason":"outer","line":"3"}],'
        b'"type":"parse_exception","reason":"outer","line":"3","caused_by":{"type":"x","reason":"inner"}},"status":400}'
    )


def test_dumps_is_compact_utf8() -> None:
    assert bulk.dumps({"a": ["é", 1.5, None, True]}) == '{"a":["é",1.5,null,true]}'.encode()
    assert bulk.dumps({"big": 2**70}) == b'{"big":1180591620717411303424}'


# --- parsing ----------------------------------------------------------------------------


def test_actions_keep_what_the_parser_reads() -> None:
    actions = bulk.parse_bulk(MIXED_BODY)
    first, _, delete, update, dropped, *_ = actions
    assert (first.op, first.index, first.id, first.source, first.raw, first.line) == (
        "index", "logs", "1", {"message": "a"}, b'{"message":"a"}', 1,
    )
    assert (delete.op, delete.source, delete.raw, delete.line) == ("delete", None, None, 5)
    assert (update.op, update.source, update.line) == ("update", {"doc": {"n": 1}}, 6)
    assert (dropped.id, dropped.line) == (None, 8)
    assert actions[8].pipeline == "missing"


def test_crlf_lines() -> None:
    body = b'{"index":{"_index":"a","_id":"1"}}\r\n{"f":1}\r\n{"delete":{"_index":"a","_id":"2"}}\r\n'
    index, delete = bulk.parse_bulk(body)
    assert (index.source, index.raw, delete.id) == ({"f": 1}, b'{"f":1}', "2")


def test_default_index_from_the_path_and_explicit_index_wins() -> None:
    one, two = bulk.parse_bulk(b'{"index":{}}\n{}\n{"index":{"_index":"own"}}\n{}\n', "from_path")
    assert (one.index, two.index) == ("from_path", "own")


def test_null_values_are_ignored_and_defaults_apply() -> None:
    [action] = bulk.parse_bulk(
        b'{"index":{"_index":null,"pipeline":null,"routing":null,"whatever":null}}\n{}\n', "p",
        default_pipeline="query_pipeline", default_routing="r",
    )
    assert (action.index, action.pipeline, action.routing, action.params) == ("p", "query_pipeline", "r", {})


def test_per_action_pipeline_overrides_the_default() -> None:
    own, default = bulk.parse_bulk(
        b'{"index":{"_index":"a","pipeline":"mine"}}\n{}\n{"index":{"_index":"a"}}\n{}\n', default_pipeline="query"
    )
    assert (own.pipeline, default.pipeline) == ("mine", "query")


def test_action_parameters_pass_through() -> None:
    [action] = bulk.parse_bulk(
        b'{"index":{"_index":"a","_id":5,"routing":"r","version":3,"version_type":"external_gte","require_alias":true,'
        b'"dynamic_templates":{"f":"t"},"_source":{"includes":["x"]},"list_executed_pipelines":false}}\n{}\n'
    )
    assert action.id == "5"  # XContentParser.text() of a number
    assert action.routing == "r"
    assert action.params == {
        "version": 3, "version_type": "external_gte", "require_alias": True, "dynamic_templates": {"f": "t"},
        "_source": {"includes": ["x"]}, "list_executed_pipelines": False,
    }


def test_op_type_create_makes_a_create() -> None:
    create, index = bulk.parse_bulk(
        b'{"index":{"_index":"a","_id":"1","op_type":"create"}}\n{}\n{"index":{"_index":"a","op_type":"index"}}\n{}\n'
    )
    assert (create.op, index.op, create.params) == ("create", "index", {})


def test_type_is_an_unknown_parameter_except_for_rest_api_7() -> None:
    body = b'{"index":{"_index":"a","_type":"_doc","_id":"1"}}\n{"f":1}\n'
    assert bulk.dumps(refused(body).body) == expected_error(
        400, "illegal_argument_exception", "Action/metadata line [1] contains an unknown parameter [_type]"
    )
    assert refused(body, compatible_with=8).status == 400
    [action] = bulk.parse_bulk(body, compatible_with=7)
    assert (action.index, action.id, action.params, action.source) == ("a", "1", {}, {"f": 1})


def test_blank_action_lines_are_skipped_but_counted() -> None:
    actions = bulk.parse_bulk(b'\n  \n{"index":{"_index":"a"}}\n{}\n')
    assert [a.line for a in actions] == [3]
    error = refused(b'\n{"index":{"_index":"a"}}\n{}\n{"bogus":{}}\n')
    assert error.body["error"]["reason"].startswith("Malformed action/metadata line [4],")


def test_comments_are_allowed_as_jackson_is_configured() -> None:
    [action] = bulk.parse_bulk(b'/* c */ {"index":{"_index":"a"}} // tail\n{"f": /* x */ 1}\n')
    assert (action.index, action.source) == ("a", {"f": 1})


def test_trailing_action_without_document_line_is_ignored() -> None:
    actions = bulk.parse_bulk(b'{"index":{"_index":"a"}}\n{}\n{"index":{"_index":"a"}}\n')
    assert len(actions) == 1


@pytest.mark.parametrize(
    ("body", "status", "error_type", "reason"),
    [
        (b'{"index":{"_index":"a"}}\n{}', 400, "illegal_argument_exception",
         "The bulk request must be terminated by a newline [\\n]"),
        (b"   ", 400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]"),
        # rest-api-spec/.../bulk/10_basic.yml "empty action": line 3
        (b'{"index":{"_index":"test_index","_id":"test_id"}}\n{"f1":"v1","f2":42}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [3], expected FIELD_NAME but found [END_OBJECT]"),
        (b'[{"index":{}}]\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], expected START_OBJECT but found [START_ARRAY]"),
        (b'{"invalidaction":{}}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [invalidaction]"),
        (b'{"index":"x"}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]"),
        (b'{"index":{"_index":"a","foo":1}}\n{}\n', 400, "illegal_argument_exception",
         "Action/metadata line [1] contains an unknown parameter [foo]"),
        (b'{"index":{"_index":"a","_id":["x"]}}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], expected a simple value for field [_id] but found [START_ARRAY]"),
        (b'{"index":{"_index":"a","_source":["x"]}}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], expected a simple value for field [_source] but found [START_ARRAY]"),
        (b'{"index":{"_index":"a","meta":{"x":1}}}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], expected a simple value for field [meta] but found [START_OBJECT]"),
        (b'{"index":{"_index":"a","dynamic_templates":"t"}}\n{}\n', 400, "illegal_argument_exception",
         "Action/metadata line [1] contains an unknown parameter [dynamic_templates]"),
        (b'{"index":{}, "extra":1}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], expected END_OBJECT but found [FIELD_NAME]"),
        (b'{"index":{}} {"more":1}\n{}\n', 400, "illegal_argument_exception",
         "Malformed action/metadata line [1], unexpected data after the closing brace"),
        (b'{"index":{"_index":"a","version_type":"force"}}\n{}\n', 400, "illegal_argument_exception",
         "No version type match [force]"),
        (b'{"index":{"_index":"a","if_seq_no":-5,"if_primary_term":1}}\n{}\n', 400, "illegal_argument_exception",
         "sequence numbers must be non negative. got [-5]."),
        (b'{"delete":{"_index":"a","_id":"1","dynamic_templates":{"a":"b"}}}\n', 400, "illegal_argument_exception",
         "Delete request in line [1] does not accept dynamic_templates"),
        (b'{"update":{"_index":"a","_id":"1","version":2}}\n{"doc":{}}\n', 400, "illegal_argument_exception",
         "Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` instead"),
        (b'{"update":{"_index":"a","_id":"1","require_data_stream":true}}\n{"doc":{}}\n', 400, "illegal_argument_exception",
         "Update requests do not support the `require_data_stream` flag, as data streams do not support update operations"),
        (b'{"delete":{"_index":"a","_id":"1"}}\n{"update":{"_index":"a","_id":"1","dynamic_templates":{"a":"b"}}}\n{"doc":{}}\n',
         400, "illegal_argument_exception", "Update request in line [2] does not accept dynamic_templates"),
        # Validation (BulkRequest.validate): one exception for the whole request, errors numbered.
        (b"\n", 400, "action_request_validation_exception", "Validation Failed: 1: no requests added;"),
        (b'{"index":{}}\n', 400, "action_request_validation_exception", "Validation Failed: 1: no requests added;"),
        (b'{"index":{}}\n{}\n', 400, "action_request_validation_exception", "Validation Failed: 1: index is missing;"),
        (b'{"delete":{}}\n{"index":{"_index":"a"}}\n{}\n{"update":{"_id":""}}\n{}\n', 400, "action_request_validation_exception",
         "Validation Failed: 1: index is missing;2: id is missing;3: index is missing;4: id is missing;"
         "5: script or doc is missing;"),
        (b'{"create":{"_index":"a","_id":"1","version":3}}\n{}\n', 400, "action_request_validation_exception",
         "Validation Failed: 1: create operations do not support explicit versions. use index instead;"),
        (b'{"index":{"_index":"a","_id":"1","if_seq_no":3}}\n{}\n', 400, "action_request_validation_exception",
         "Validation Failed: 1: ifSeqNo is set, but primary term is [0];"),
        (b'{"index":{"_index":"a","pipeline":""}}\n{}\n', 400, "action_request_validation_exception",
         "Validation Failed: 1: pipeline cannot be an empty string;"),
        (b'{"index":{"_index":"a","_id":"' + b"x" * 513 + b'"}}\n{}\n', 400, "action_request_validation_exception",
         "Validation Failed: 1: id [" + "x" * 513 + "] is too long, must be no longer than 512 bytes but was: 513;"),
        (b'{"index":{"_index":"a","_id":"1","version":5}}\n{}\n', 400, "action_request_validation_exception",
         "Validation Failed: 1: internal versioning can not be used for optimistic concurrency control. "
         "Please use `if_seq_no` and `if_primary_term` instead;"),
    ],
)
def test_refused_requests(body: bytes, status: int, error_type: str, reason: str) -> None:
    error = refused(body)
    assert error.status == status
    assert bulk.dumps(error.body) == expected_error(status, error_type, reason)


def test_explicit_index_can_be_forbidden() -> None:
    error = refused(b'{"index":{"_index":"a"}}\n{}\n', "a", allow_explicit_index=False)
    assert bulk.dumps(error.body) == expected_error(400, "illegal_argument_exception", "explicit index in bulk is not allowed")


def test_empty_body_is_a_parse_exception() -> None:
    error = refused(b"")
    assert (error.status, bulk.dumps(error.body)) == (400, expected_error(400, "parse_exception", "request body is required"))


def test_errors_are_met_in_line_order() -> None:
    # The unknown parameter comes before the invalid JSON, and the bad line before the missing final newline.
    error = refused(b'{"index":{"_index":"a","foo":1,"x":}}\n{}\n{"index":{}}')
    assert error.body["error"]["reason"] == "Action/metadata line [1] contains an unknown parameter [foo]"


def test_invalid_json_action_line_is_wrapped_as_parse_exception() -> None:
    error = refused(b'{"index":{"_index":"a"}}\n{}\n{index}\n{}\n')
    assert error.status == 400
    outer = error.body["error"]
    assert outer["root_cause"] == [{"type": "parse_exception", "reason": "could not parse bulk request body"}]
    assert (outer["type"], outer["reason"]) == ("parse_exception", "could not parse bulk request body")
    assert outer["caused_by"]["type"] == "x_content_parse_exception"
    assert outer["caused_by"]["reason"].startswith(
        "[1:3] Unexpected character ('i' (code 105)): was expecting double-quote to start field name"
    )
    assert list(error.body) == ["error", "status"]


def test_duplicate_key_in_an_action_line_is_refused() -> None:
    error = refused(b'{"index":{"_id":"1","_id":"2"}}\n{}\n')
    assert error.body["error"]["caused_by"]["reason"].startswith("[1:") and "Duplicate field '_id'" in error.body["error"]["caused_by"]["reason"]


def test_unclosed_action_line_rest_api_9_and_8() -> None:
    error = refused(b'{"index":{"_index":"a"}\n{}\n')
    assert error.body["error"]["caused_by"] == {"type": "x_content_e_o_f_exception", "reason": "[1:24] Unexpected end of file"}
    [action] = bulk.parse_bulk(b'{"index":{"_index":"a"}\n{}\n', compatible_with=8)
    assert action.index == "a"


def test_extra_keys_and_trailing_data_accepted_with_rest_api_8() -> None:
    actions = bulk.parse_bulk(b'{"index":{"_index":"a"},"x":[1,2]}\n{}\n{"index":{"_index":"b"}} {"y":1}\n{}\n', compatible_with=8)
    assert [a.index for a in actions] == ["a", "b"]


def test_update_body_errors_refuse_the_request() -> None:
    unknown = refused(b'{"update":{"_index":"a","_id":"1"}}\n{"doc":{},"nope":1}\n')
    assert unknown.body["error"]["reason"] == "could not parse bulk request body"
    assert unknown.body["error"]["caused_by"]["reason"].endswith("[UpdateRequest] unknown field [nope]")
    not_object = refused(b'{"update":{"_index":"a","_id":"1"}}\n[1]\n')
    assert "Expected START_OBJECT but was: START_ARRAY" in not_object.body["error"]["caused_by"]["reason"]
    broken = refused(b'{"update":{"_index":"a","_id":"1"}}\n{"doc":\n')
    assert broken.body["error"]["caused_by"]["type"] == "x_content_e_o_f_exception"


# --- documents: read as an ingest pipeline reads them -------------------------------------------


@pytest.mark.parametrize(
    ("line", "source"),
    [
        (b'{"a":{"b":[1,2.5,"x",null,true]}}', {"a": {"b": [1, 2.5, "x", None, True]}}),
        (b"[1,2]", {}),  # not an object: read as an empty map
        (b'"text"', {}),
        (b"42", {}),
        (b"", {}),
        (b'[1,"unterminated', {}),  # only the first token is read
        (b'{"a":1} trailing garbage', {"a": 1}),  # never read past the object
        (b'\xef\xbb\xbf{"a":1}', {"a": 1}),
        (b'{"a":"caf\\u00e9 \\ud83d\\ude00"}', {"a": "café 😀"}),
    ],
)
def test_document_sources(line: bytes, source: dict) -> None:
    [action] = bulk.parse_bulk(b'{"index":{"_index":"a"}}\n' + line + b"\n")
    assert (action.source, action.source_error, action.raw) == (source, None, line)


@pytest.mark.parametrize(
    ("line", "cause_type", "cause_start"),
    [
        (b'{"a":1,"a":2}', "x_content_parse_exception", "[1:12] Duplicate field 'a'"),
        (b'{"a":{"b":1,"b":2}}', "x_content_parse_exception", "[1:"),
        (b'{"a":', "x_content_e_o_f_exception", "[1:6] Unexpected end of file"),
        (b'{"a":nope}', "x_content_parse_exception", "[1:10] Unrecognized token 'nope'"),
        (b"nope", "x_content_parse_exception", "[1:5] Unrecognized token 'nope'"),
        (b'{"a":NaN}', "x_content_parse_exception", "[1:9] Unrecognized token 'NaN'"),
    ],
)
def test_unreadable_documents_fail_per_item(line: bytes, cause_type: str, cause_start: str) -> None:
    [ok, bad] = bulk.parse_bulk(b'{"index":{"_index":"a"}}\n{}\n{"create":{"_index":"a","_id":"2"}}\n' + line + b"\n")
    assert (ok.source_error, bad.source) == (None, {})
    assert (bad.source_error["type"], bad.source_error["reason"]) == ("parse_exception", "Failed to parse content to map")
    assert bad.source_error["caused_by"]["type"] == cause_type
    assert bad.source_error["caused_by"]["reason"].startswith(cause_start)
    item = bulk.item_result(bad.op, bad.index, bad.id, 400, error=bad.source_error)
    assert item["create"]["status"] == 400 and item["create"]["error"]["reason"] == "Failed to parse content to map"


# --- filter_path --------------------------------------------------------------------------

FILTER_SAMPLE = {
    "a": 0, "b": True, "c": "c_value", "d": [0, 1, 2],
    "e": [{"f1": "f1_value", "f2": "f2_value"}, {"g1": "g1_value", "g2": "g2_value"}],
    "h": {"i": {"j": {"k": {"l": "l_value"}}}},
}
H = {"h": {"i": {"j": {"k": {"l": "l_value"}}}}}


@pytest.mark.parametrize(
    ("filter_path", "expected"),
    [  # FilterPathGeneratorFilteringTests.testInclusiveFilters / testExclusiveFilters
        ("a", {"a": 0}),
        ("z", {}),
        ("e.f1", {"e": [{"f1": "f1_value"}]}),
        ("e.f*", {"e": [{"f1": "f1_value", "f2": "f2_value"}]}),
        ("e.*2", {"e": [{"f2": "f2_value"}, {"g2": "g2_value"}]}),
        ("h.i.j", H),
        ("*.i", H),
        ("h.*.j.*.l", H),
        ("**.l", H),
        ("**.*2", {"e": [{"f2": "f2_value"}, {"g2": "g2_value"}]}),
        ("h.i.j.k.l,h.i.j.k.l.m", H),
        ("a,b,c,d,e.f1,e.f2,e.g1,e.g2,h.i.j.k.l", FILTER_SAMPLE),
        ("h.", {}),
        ("d.x", {}),
        ("-a", {k: v for k, v in FILTER_SAMPLE.items() if k != "a"}),
        ("-e.f*", {**FILTER_SAMPLE, "e": [{"g1": "g1_value", "g2": "g2_value"}]}),
        ("-e.*2", {**FILTER_SAMPLE, "e": [{"f1": "f1_value"}, {"g1": "g1_value"}]}),
        ("-h.i.j.k.l", {k: v for k, v in FILTER_SAMPLE.items() if k != "h"}),
        ("-**.*2", {**FILTER_SAMPLE, "e": [{"f1": "f1_value"}, {"g1": "g1_value"}]}),
        ("-a,-b,-c,-d,-e.f1,-e.f2,-e.g1,-e.g2,-h.i.j.k.l", {}),
        ("-h.", FILTER_SAMPLE),
        ("-", FILTER_SAMPLE),
        (" a , ,b ", {"a": 0, "b": True}),
        ("h,-h.i.j.k.l", {}),
        ("", FILTER_SAMPLE),
        (None, FILTER_SAMPLE),
    ],
)
def test_filter_path_as_elasticsearch(filter_path: str | None, expected: dict) -> None:
    assert bulk.apply_filter_path(FILTER_SAMPLE, filter_path) == expected


def test_filter_path_keeps_field_order() -> None:
    assert bulk.dumps(bulk.apply_filter_path(FILTER_SAMPLE, "h,a,e.*2")) == (
        b'{"a":0,"e":[{"f2":"f2_value"},{"g2":"g2_value"}],"h":{"i":{"j":{"k":{"l":"l_value"}}}}}'
    )


def test_filter_path_dots_in_field_names() -> None:
    # FilterPathGeneratorFilteringTests.testInclusiveFiltersWithDots / testExclusiveFiltersWithDots
    sample = {"a": 0, "b.c": "value", "b": {"c": "c_value"}}
    assert bulk.apply_filter_path(sample, "b.c") == {"b": {"c": "c_value"}}
    assert bulk.apply_filter_path(sample, "b\\.c") == {"b.c": "value"}
    assert bulk.apply_filter_path(sample, "-b.c") == {"a": 0, "b.c": "value"}
    assert bulk.apply_filter_path(sample, "-b\\.c") == {"a": 0, "b": {"c": "c_value"}}


def test_filter_path_exclusion_keeps_containers_that_were_empty() -> None:
    # FilterPathBasedFilter.includeEmptyArray/Object (#109668): only containers emptied by the filter go.
    assert bulk.apply_filter_path({"hits": [], "x": {"key_as_string": "1", "y": {}}}, "-**.key_as_string") == {
        "hits": [], "x": {"y": {}},
    }


def test_filter_path_on_the_mixed_answer() -> None:
    answer = bulk.response(12, mixed_items(bulk.parse_bulk(MIXED_BODY)), ingest_took_ms=3)
    assert bulk.dumps(bulk.apply_filter_path(answer, "errors")) == b'{"errors":true}'
    assert bulk.dumps(bulk.apply_filter_path(answer, "took")) == b'{"took":12}'
    assert bulk.dumps(bulk.apply_filter_path(answer, "errors,took,-ingest_took")) == b'{"errors":true,"took":12}'
    statuses = bulk.apply_filter_path(answer, "items.*.status")
    assert bulk.dumps(statuses) == (
        b'{"items":[{"index":{"status":201}},{"create":{"status":201}},{"delete":{"status":200}},{"update":{"status":200}},'
        b'{"index":{"status":200}},{"create":{"status":500}},{"index":{"status":400}},{"create":{"status":409}},'
        b'{"index":{"status":400}},{"create":{"status":200}}]}'
    )
    ids = bulk.apply_filter_path(answer, "items.*._id,errors")
    assert [next(iter(item.values())) for item in ids["items"]][4] == {"_id": "auto-generated"}
    assert ids["errors"] is True
    errors = bulk.apply_filter_path(answer, "items.*.error.type")
    assert bulk.dumps(errors) == (
        b'{"items":[{"create":{"error":{"type":"fail_processor_exception"}}},'
        b'{"index":{"error":{"type":"document_parsing_exception"}}},'
        b'{"create":{"error":{"type":"version_conflict_engine_exception"}}},'
        b'{"index":{"error":{"type":"illegal_argument_exception"}}}]}'
    )
    no_shards = bulk.apply_filter_path(answer, "-items.*._shards,-took,-ingest_took,-errors")
    assert "_shards" not in no_shards["items"][0]["index"] and list(no_shards) == ["items"]
    assert bulk.apply_filter_path(answer, "-items") == {"errors": True, "took": 12, "ingest_took": 3}


def test_filter_path_items_error_without_errors_is_an_empty_object() -> None:
    item = bulk.item_result("index", "test", "1", 201, result="created", version=1, seq_no=0, primary_term=1, shards=SHARDS)
    answer = bulk.response(3, [item])
    assert bulk.dumps(bulk.apply_filter_path(answer, "items.*.error")) == b"{}"
    assert bulk.dumps(bulk.apply_filter_path(answer, "errors")) == b'{"errors":false}'


def test_filter_path_docs_example() -> None:
    # docs/reference/docs/bulk.asciidoc, "Example with failed actions", POST /_bulk?filter_path=items.*.error
    def missing(doc_id: str) -> dict:
        return bulk.item_result(
            "update", "index1", doc_id, 404,
            error=bulk.error_object(
                "document_missing_exception", f"[{doc_id}]: document missing",
                index_uuid="aAsFqTI0Tc2W0LCWgPNrOA", shard="0", index="index1",
            ),
        )

    updated = bulk.item_result("update", "index1", "7", 200, result="updated", version=2, seq_no=1, primary_term=1, shards=SHARDS)
    answer = bulk.response(486, [missing("5"), missing("6"), updated])
    assert bulk.dumps(bulk.apply_filter_path(answer, "items.*.error")) == (
        b'{"items":[{"update":{"error":{"type":"document_missing_exception","reason":"[5]: document missing",'
        b'"index_uuid":"aAsFqTI0Tc2W0LCWgPNrOA","shard":"0","index":"index1"}}},'
        b'{"update":{"error":{"type":"document_missing_exception","reason":"[6]: document missing",'
        b'"index_uuid":"aAsFqTI0Tc2W0LCWgPNrOA","shard":"0","index":"index1"}}}]}'
    )


@pytest.mark.parametrize(
    "line",
    [
        b'{"index":{"_index":"logs","_id":"1"}}',
        b'{"create":{"_id":"a b","routing":"r","pipeline":"p"}}',
        b'{"index":{}}',
        b'{ "index" : { "_index" : "x\\"y" } }',
        b'{"index":{"_index":"a","_index":"b"}}',
        b'{"index":{"_index":"a","_id":1}}',
        b'{"index":{"_index":"a","if_seq_no":1,"if_primary_term":1}}',
        b'{"index":{"_index":"a"},"create":{}}',
        b'{"index":{"_index":"a", "x":"y"}}',
        b'{"delete":{"_index":"a","_id":"1"}}',
    ],
)
def test_the_fast_action_reader_agrees_with_the_tokenizer(line: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shippers' usual action lines are read by orjson; every line must come
    out exactly as the tokenizer (Elasticsearch's rules) reads it."""
    body = line + b"\n" + (b'{"n":1}\n' if b"delete" not in line else b"")

    def outcome() -> object:
        try:
            return [vars(action) for action in bulk.parse_bulk(body, "dflt")]
        except bulk.BulkRequestError as exc:
            return (exc.status, exc.body)

    fast = outcome()
    monkeypatch.setattr(bulk, "_fast_action", lambda data, line, options: None)
    assert fast == outcome()
