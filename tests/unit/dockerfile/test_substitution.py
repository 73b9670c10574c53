"""Docker's variable substitution (its shell lexer), one behaviour per case."""

from __future__ import annotations

import pytest

from shipyard.dockerfile.substitution import (
    ShellLexError,
    expand_word,
    has_substitution,
)

ENV = {"NAME": "world", "EMPTY": "", "DIR": "apps/ui", "FILE": "archive.tar.gz", "SP": "a b"}

# (id, word, escape, expected value)
VALUES = [
    ("dollar_name", "hello-$NAME", "\\", "hello-world"),
    ("braced_name", "${NAME}s", "\\", "worlds"),
    ("name_stops_at_non_name_character", "$NAME.txt", "\\", "world.txt"),
    ("unknown_variable_is_empty", "x${MISSING}y", "\\", "xy"),
    ("colon_dash_default_when_unset", "${MISSING:-def}", "\\", "def"),
    ("colon_dash_default_when_empty", "${EMPTY:-def}", "\\", "def"),
    ("colon_dash_keeps_value_when_set", "${NAME:-def}", "\\", "world"),
    ("dash_default_only_when_unset", "${MISSING-def}", "\\", "def"),
    ("dash_keeps_empty_value", "[${EMPTY-def}]", "\\", "[]"),
    ("colon_plus_alt_when_set", "${NAME:+alt}", "\\", "alt"),
    ("colon_plus_empty_when_value_empty", "[${EMPTY:+alt}]", "\\", "[]"),
    ("plus_alt_when_set_even_if_empty", "${EMPTY+alt}", "\\", "alt"),
    ("plus_empty_when_unset", "[${MISSING+alt}]", "\\", "[]"),
    ("nested_defaults", "${A:-${B:-${DIR}}}", "\\", "apps/ui"),
    ("default_may_contain_text_and_variables", "${MISSING:-src/$NAME}", "\\", "src/world"),
    ("escaped_dollar_with_backslash", "\\$NAME", "\\", "$NAME"),
    ("escaped_dollar_with_backtick_escape", "`$NAME", "`", "$NAME"),
    ("backslash_is_literal_under_backtick_escape", "c:\\$NAME", "`", "c:\\world"),
    ("single_quotes_prevent_expansion", "'$NAME'", "\\", "$NAME"),
    ("double_quotes_expand_and_are_removed", '"$NAME dir"', "\\", "world dir"),
    ("escaped_quote_inside_double_quotes", '"a\\"b"', "\\", 'a"b'),
    ("backslash_before_other_char_in_double_quotes_stays", '"a\\nb"', "\\", "a\\nb"),
    ("escape_outside_quotes_is_removed", "a\\ b", "\\", "a b"),
    ("lone_dollar_is_literal", "cost$", "\\", "cost$"),
    ("dollar_before_slash_is_literal", "a$/b", "\\", "a$/b"),
    ("special_parameter_is_looked_up_and_empty", "$-x", "\\", "x"),
    ("positional_parameter_is_empty", "a$1b", "\\", "ab"),
    ("remove_shortest_prefix", "${FILE#*.}", "\\", "tar.gz"),
    ("remove_longest_prefix", "${FILE##*.}", "\\", "gz"),
    ("remove_shortest_suffix", "${FILE%.*}", "\\", "archive.tar"),
    ("remove_longest_suffix", "${FILE%%.*}", "\\", "archive"),
    ("replace_first", "${DIR/a/A}", "\\", "Apps/ui"),
    ("replace_all", "${FILE//a/_}", "\\", "_rchive.t_r.gz"),
    ("mixed_quotes_concatenate", "'$A'\"$NAME\"x", "\\", "$Aworldx"),
]


@pytest.mark.parametrize("word,escape,expected", [(w, e, x) for _, w, e, x in VALUES], ids=[i for i, *_ in VALUES])
def test_expand_value(word: str, escape: str, expected: str) -> None:
    assert expand_word(word, ENV, escape).value == expected


# (id, word, fragment of the error)
ERRORS = [
    ("unterminated_double_quote", '"my', "double-quote"),
    ("unterminated_single_quote", "'my", "single-quote"),
    ("empty_braces", "${}", "bad substitution"),
    ("missing_closing_brace", "${NAME", "missing '}'"),
    ("missing_closing_brace_after_default", "${NAME:-x", "missing '}'"),
    ("question_mark_unset", "${MISSING:?set MISSING please}", "MISSING: set MISSING please"),
    ("question_mark_empty", "${EMPTY:?}", "EMPTY: is not allowed to be empty"),
    ("unsupported_modifier", "${NAME:x}", "unsupported modifier"),
]


@pytest.mark.parametrize("word,fragment", [(w, f) for _, w, f in ERRORS], ids=[i for i, *_ in ERRORS])
def test_expand_errors(word: str, fragment: str) -> None:
    with pytest.raises(ShellLexError) as caught:
        expand_word(word, ENV)
    assert fragment in str(caught.value)


def test_question_mark_without_colon_accepts_empty_value() -> None:
    assert expand_word("[${EMPTY?must be set}]", ENV).value == "[]"


def test_referenced_and_unset_variables_are_reported() -> None:
    result = expand_word("${DIR}/${MISSING:-x}/$NAME/'$QUOTED'", ENV)
    assert result.referenced == frozenset({"DIR", "MISSING", "NAME"})
    assert result.unset == frozenset({"MISSING"})


def test_words_split_on_unquoted_whitespace_after_substitution() -> None:
    assert expand_word('$SP "c d" e', ENV).words == ("a", "b", "c d", "e")


@pytest.mark.parametrize(
    "word,expected",
    [("build", False), ("${STAGE}", True), ("$STAGE", True), ("a\\b", True), ("stage-1", False)],
    ids=["plain_name", "braced_variable", "bare_variable", "escape_character", "dash_and_digit"],
)
def test_has_substitution(word: str, expected: bool) -> None:
    assert has_substitution(word) is expected
