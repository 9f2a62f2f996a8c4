"""Long conditions and deep nesting: what loads, what evaluates, what is refused.

An allow-list written as ``ctx.host == 'h1' || ctx.host == 'h2' || ...``
can run to thousands of terms. Chains of one operator (``||``, ``&&``,
``==``, ``+``, ``.field``...) must load in time and memory linear in their
length and evaluate without Python's recursion limit; nesting (parentheses,
unary operators, calls, indexes, ternaries) is refused at load past a fixed
depth, so that whatever loads also evaluates, however deep the caller's stack.
"""

from __future__ import annotations

import tracemalloc

import pytest

from ingesthost.condition import Condition, ConditionRuntimeError, ConditionSyntaxError

TERMS = 1000


def allow_list(n: int, op: str = "||") -> str:
    return f" {op} ".join(f"ctx.host == 'h{i}'" for i in range(n))


def syntax_error(source: str) -> ConditionSyntaxError:
    with pytest.raises(ConditionSyntaxError) as info:
        Condition(source)
    return info.value


def runtime_error(source: str, doc: dict) -> ConditionRuntimeError:
    with pytest.raises(ConditionRuntimeError) as info:
        Condition(source).evaluate(doc)
    return info.value


# -- long chains evaluate -------------------------------------------------------------


def test_a_long_or_chain_evaluates():
    condition = Condition(allow_list(TERMS))
    assert condition.evaluate({"host": "h0"}) is True
    assert condition.evaluate({"host": f"h{TERMS - 1}"}) is True
    assert condition.evaluate({"host": "elsewhere"}) is False


def test_a_long_and_chain_evaluates():
    condition = Condition(" && ".join(f"ctx.host != 'h{i}'" for i in range(TERMS)))
    assert condition.evaluate({"host": "elsewhere"}) is True
    assert condition.evaluate({"host": f"h{TERMS - 1}"}) is False
    assert condition.evaluate({"host": "h0"}) is False


def test_a_long_or_chain_short_circuits():
    # every term after the first true one would be a null pointer error
    source = "ctx.a == null || " + " || ".join(["ctx.a.b == 1"] * TERMS)
    assert Condition(source).evaluate({}) is True


def test_a_long_and_chain_short_circuits():
    source = "ctx.a != null && " + " && ".join(["ctx.a.b == 1"] * TERMS)
    assert Condition(source).evaluate({}) is False


def test_a_long_chain_still_fails_on_the_first_bad_term_and_names_it():
    source = " || ".join(["false"] * TERMS + ["ctx.missing"] + ["true"])
    err = runtime_error(source, {})
    assert err.error_type == "null_pointer_exception"
    assert "[ctx.missing]" in err.message
    source = " && ".join(["true"] * TERMS + ["ctx.s"] + ["false"])
    err = runtime_error(source, {"s": "x"})
    assert err.error_type == "class_cast_exception"
    assert "[ctx.s]" in err.message


def test_a_long_mixed_chain_keeps_and_above_or():
    # (a && b) || (a && b) || ... : every group is false but the last
    groups = ["ctx.a == 1 && ctx.b == 2"] * TERMS + ["ctx.a == 1 && ctx.b == 3"]
    condition = Condition(" || ".join(groups))
    assert condition.evaluate({"a": 1, "b": 3}) is True
    assert condition.evaluate({"a": 1, "b": 4}) is False
    # a || b && c || ... with parentheses inside the chain
    source = " || ".join(f"(ctx.n == {i} && !(ctx.flag))" for i in range(TERMS))
    assert Condition(source).evaluate({"n": TERMS - 1, "flag": False}) is True
    assert Condition(source).evaluate({"n": TERMS - 1, "flag": True}) is False


def test_a_long_addition_chain_evaluates():
    assert Condition(" + ".join(["ctx.x"] * TERMS) + f" == {TERMS}").evaluate({"x": 1}) is True
    assert Condition("ctx.x" + " - 1" * TERMS + f" == {-TERMS + 5}").evaluate({"x": 5}) is True
    # string concatenation is a + chain too
    assert Condition(" + ".join(["'a'"] * TERMS) + " == ctx.s").evaluate({"s": "a" * TERMS}) is True


def test_a_long_multiplication_chain_evaluates_and_wraps():
    # 2 ** 1000 wraps to 0 in a Java int
    assert Condition(" * ".join(["2"] * TERMS) + " == 0").evaluate({}) is True
    assert Condition("ctx.x" + " * 1" * TERMS + " / 1 % 100 == 7").evaluate({"x": 7}) is True


def test_long_equality_and_instanceof_chains_evaluate():
    # (((true == true) == true) ...) is true
    assert Condition(" == ".join(["true"] * TERMS)).evaluate({}) is True
    assert Condition("ctx.a" + " instanceof Object" + " instanceof Boolean" * TERMS).evaluate({"a": 1}) is True


def test_a_long_field_path_evaluates():
    doc: dict = {"leaf": 1}
    for _ in range(TERMS):
        doc = {"a": doc}
    assert Condition("ctx" + ".a" * TERMS + ".leaf == 1").evaluate(doc) is True
    assert Condition("ctx" + "?.a" * (TERMS + 5) + " == null").evaluate(doc) is True
    err = runtime_error("ctx" + ".a" * (TERMS + 5) + " == null", doc)
    assert err.error_type == "null_pointer_exception"


def test_a_long_elvis_chain_evaluates():
    source = " ?: ".join(f"ctx.v{i}" for i in range(TERMS)) + " == 'last'"
    assert Condition(source).evaluate({f"v{TERMS - 1}": "last"}) is True


# -- long chains load in linear time and memory ------------------------------------------


def _peak_bytes_to_load(source: str) -> int:
    tracemalloc.start()
    try:
        Condition(source)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_loading_a_long_chain_takes_memory_linear_in_its_length():
    small = _peak_bytes_to_load(allow_list(1000))
    large = _peak_bytes_to_load(allow_list(4000))
    # four times the terms: about four times the memory (it was sixteen times)
    assert large < 6 * small, (small, large)


def test_a_20000_term_allow_list_loads_in_bounded_memory():
    peak = _peak_bytes_to_load(allow_list(20_000))
    assert peak < 200 * 2**20, peak  # it took 4.5 GB


# -- nesting stays refused at load, and what loads evaluates ----------------------------


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda k: "(" * k + "true" + ")" * k, "parentheses"),
        (lambda k: "!" * k + "true", "not"),
        (lambda k: "- " * k + "ctx.x == 1", "minus"),
        (lambda k: "ctx.s.contains(" * k + "'x'" + ")" * k, "calls"),
        (lambda k: "ctx.a" + "[ctx.b" * k + "]" * k + " == 1", "indexes"),
        (lambda k: "ctx.a ? true : " * k + "false", "ternaries"),
        (lambda k: "[" * k + "1" + "]" * k + " == null", "list literals"),
    ],
)
def test_deep_nesting_is_refused_at_load_with_the_column(make, what):
    err = syntax_error(make(1000))
    assert "nested too deeply" in str(err)
    assert err.column > 1  # where the limit was crossed, not the start


def test_the_deepest_accepted_nesting_evaluates_from_a_deep_call_stack():
    """Whatever loads must evaluate, even when the caller is already deep in
    its own stack: find the deepest condition of each shape that loads, then
    evaluate it 600 frames down."""
    shapes = [
        lambda k: "(" * k + "ctx.t" + ")" * k,
        lambda k: "!" * (2 * k) + "ctx.t",
        lambda k: "ctx.t ? " * k + "true" + " : false" * k,
        lambda k: "(ctx.t && " * k + "true" + ")" * k,
        lambda k: "ctx.s.contains(" * k + "'x'" + ").toString()" * k + " == 'false'",
    ]
    for make in shapes:
        depth = 1
        while True:
            try:
                Condition(make(depth + 1))
            except ConditionSyntaxError:
                break
            depth += 1
        condition = Condition(make(depth))

        def evaluate_at(frames: int, condition: Condition = condition) -> bool:
            if frames:
                return evaluate_at(frames - 1)
            return condition.evaluate({"t": True, "s": "x"})

        assert evaluate_at(600) in (True, False)


def test_the_nesting_error_points_at_the_construct_that_crosses_the_limit():
    err = syntax_error("ctx.a == 1 && " + "(" * 1000 + "true" + ")" * 1000)
    assert str(err).startswith("column ")
    assert err.column > len("ctx.a == 1 && ")
