"""Dockerfile parser: text -> instructions, one behaviour per case."""

from __future__ import annotations

from typing import Callable, List

import pytest

from shipyard.dockerfile.instructions import DockerfileError, ParsedDockerfile
from shipyard.dockerfile.parser import parse_dockerfile


def parse(text: str) -> ParsedDockerfile:
    return parse_dockerfile(text, "Dockerfile")


def keywords(p: ParsedDockerfile) -> List[str]:
    return [i.keyword for i in p.instructions]


# Each case: (id, Dockerfile text, check). The check returns normally when the behaviour holds.
CASES = [
    (
        "keyword_is_upper_cased",
        "from alpine\nrun echo hi\n",
        lambda p: keywords(p) == ["FROM", "RUN"],
    ),
    (
        "leading_whitespace_before_keyword",
        "   FROM alpine\n\t RUN true\n",
        lambda p: keywords(p) == ["FROM", "RUN"] and p.instructions[1].line == 2,
    ),
    (
        "comment_lines_are_skipped_and_lines_still_counted",
        "# comment\nFROM alpine\n   # indented comment\nRUN true\n",
        lambda p: [(i.keyword, i.line) for i in p.instructions] == [("FROM", 2), ("RUN", 4)],
    ),
    (
        "only_newline_ends_a_line",
        "# a\x0cb\u2028c\rd\x85e\nFROM alpine\nRUN x\x0cy\n",
        lambda p: [(i.keyword, i.line) for i in p.instructions] == [("FROM", 2), ("RUN", 3)],
    ),
    (
        "hash_inside_a_line_is_text",
        "FROM a\nRUN echo # not a comment\n",
        lambda p: p.instructions[1].arguments == ("echo # not a comment",),
    ),
    (
        "continuation_joins_lines_and_keeps_leading_whitespace",
        "FROM a\nRUN apk add \\\n    curl\n",
        lambda p: p.instructions[1].args_text == "apk add     curl" and p.instructions[1].end_line == 3,
    ),
    (
        "continuation_allows_spaces_after_the_escape",
        "FROM a\nRUN one \\  \t\n two\n",
        lambda p: p.instructions[1].args_text == "one  two",
    ),
    (
        "comment_line_inside_continuation_is_dropped",
        "FROM a\nRUN one \\\n# note\n  two\n",
        lambda p: p.instructions[1].args_text == "one   two" and len(p.instructions) == 2,
    ),
    (
        "blank_line_inside_continuation_is_dropped",
        "FROM a\nRUN one \\\n\n   \ntwo\nRUN three\n",
        lambda p: p.instructions[1].args_text == "one two" and p.instructions[2].line == 6,
    ),
    (
        "escaped_escape_at_end_is_not_a_continuation",
        "FROM a\nRUN echo foo\\\\\nRUN next\n",
        lambda p: keywords(p) == ["FROM", "RUN", "RUN"] and p.instructions[1].args_text == "echo foo\\\\",
    ),
    (
        "continuation_at_end_of_file_ends_the_instruction",
        "FROM a\nRUN echo \\",
        lambda p: p.instructions[1].args_text == "echo",
    ),
    (
        "backtick_escape_directive_changes_continuation",
        "# escape=`\nFROM a\nRUN one `\n two\n",
        lambda p: p.escape == "`" and p.instructions[1].args_text == "one  two",
    ),
    (
        "backslash_is_plain_text_under_backtick_escape",
        "# escape=`\nFROM a\nRUN dir c:\\\nRUN next\n",
        lambda p: keywords(p) == ["FROM", "RUN", "RUN"] and p.instructions[1].args_text == "dir c:\\",
    ),
    (
        "syntax_directive_is_recorded",
        "# syntax=docker/dockerfile:1.7\nFROM a\n",
        lambda p: p.syntax == "docker/dockerfile:1.7",
    ),
    (
        "directive_name_is_case_insensitive_with_spaces",
        "#  ESCAPE =  `\nFROM a\nRUN x `\n y\n",
        lambda p: p.escape == "`" and len(p.instructions) == 2,
    ),
    (
        "directive_after_a_comment_is_only_a_comment",
        "# hello\n# escape=`\nFROM a\nRUN echo `\nRUN b\n",
        lambda p: p.escape == "\\" and keywords(p) == ["FROM", "RUN", "RUN"],
    ),
    (
        "directive_after_a_blank_line_is_only_a_comment",
        "\n# escape=`\nFROM a\n",
        lambda p: p.escape == "\\",
    ),
    (
        "directive_after_an_instruction_is_only_a_comment",
        "FROM a\n# syntax=foo\n",
        lambda p: p.syntax is None,
    ),
    (
        "unknown_directive_ends_directive_parsing",
        "# foo=bar\n# escape=`\nFROM a\n",
        lambda p: p.escape == "\\",
    ),
    (
        "json_form_run",
        'FROM a\nRUN ["echo", "hello world"]\n',
        lambda p: p.instructions[1].json_form and p.instructions[1].arguments == ("echo", "hello world"),
    ),
    (
        "invalid_json_falls_back_to_shell_form",
        "FROM a\nRUN [ -f /x ] && echo yes\n",
        lambda p: not p.instructions[1].json_form and p.instructions[1].arguments == ("[ -f /x ] && echo yes",),
    ),
    (
        "single_quoted_json_is_shell_form",
        "FROM a\nCMD ['run']\n",
        lambda p: not p.instructions[1].json_form and p.instructions[1].arguments == ("['run']",),
    ),
    # BuildKit decodes with json.Unmarshal since moby/buildkit#5107: text after the array is an
    # error there, so the arguments fall back to shell form.
    (
        "text_after_a_json_array_makes_shell_form",
        'FROM a\nRUN ["a"] trailing\n',
        lambda p: not p.instructions[1].json_form and p.instructions[1].arguments == ('["a"] trailing',),
    ),
    (
        "text_after_a_json_cmd_makes_shell_form",
        'FROM a\nCMD ["a"]x\n',
        lambda p: not p.instructions[1].json_form and p.instructions[1].arguments == ('["a"]x',),
    ),
    (
        "text_after_a_json_copy_makes_whitespace_split_form",
        'FROM a\nCOPY ["a", "/b"] /c\n',
        lambda p: not p.instructions[1].json_form and p.instructions[1].arguments == ('["a",', '"/b"]', "/c"),
    ),
    (
        "blanks_after_a_json_array_keep_json_form",
        'FROM a\nCMD ["a"]  \t\n',
        lambda p: p.instructions[1].json_form and p.instructions[1].arguments == ("a",),
    ),
    (
        "text_after_a_json_healthcheck_makes_shell_form",
        'FROM a\nHEALTHCHECK CMD ["a"] b\n',
        lambda p: not p.instructions[1].json_form and p.instructions[1].arguments == ("CMD", '["a"] b'),
    ),
    (
        "copy_json_form_keeps_spaces_in_paths",
        'FROM a\nCOPY ["my file.txt", "/dest dir/"]\n',
        lambda p: p.instructions[1].json_form and p.instructions[1].arguments == ("my file.txt", "/dest dir/"),
    ),
    (
        "copy_shell_form_splits_on_whitespace",
        "FROM a\nCOPY a  b\tc /dst/\n",
        lambda p: p.instructions[1].arguments == ("a", "b", "c", "/dst/"),
    ),
    (
        "copy_shell_form_quotes_are_split_like_docker",
        'FROM a\nCOPY "my file.txt" /dest/\n',
        lambda p: p.instructions[1].arguments == ('"my', 'file.txt"', "/dest/"),
    ),
    (
        "flag_from_is_read_and_removed_from_arguments",
        "FROM a\nCOPY --from=build /out/app /app\n",
        lambda p: p.instructions[1].flag("from") == "build" and p.instructions[1].arguments == ("/out/app", "/app"),
    ),
    (
        "flags_chown_and_chmod",
        "FROM a\nCOPY --chown=app:app --chmod=755 run.sh /\n",
        lambda p: (p.instructions[1].flag("chown"), p.instructions[1].flag("chmod")) == ("app:app", "755"),
    ),
    (
        "bare_boolean_flag",
        "FROM a\nCOPY --link a /b\n",
        lambda p: p.instructions[1].flags[0].value is None and p.instructions[1].flag("link") == "true",
    ),
    (
        "boolean_flag_with_false",
        "FROM a\nCOPY --link=false a /b\n",
        lambda p: p.instructions[1].flag("link") == "false",
    ),
    (
        "from_platform_flag_keeps_variable_text",
        "FROM --platform=$BUILDPLATFORM golang:1.19 AS build\n",
        lambda p: p.instructions[0].flag("platform") == "$BUILDPLATFORM" and p.instructions[0].arguments == ("golang:1.19", "AS", "build"),
    ),
    (
        "mount_flag_may_repeat",
        "FROM a\nRUN --mount=type=bind,source=x,target=y --mount=type=cache,target=/c make\n",
        lambda p: p.instructions[1].flag_values("mount") == ("type=bind,source=x,target=y", "type=cache,target=/c")
        and p.instructions[1].arguments == ("make",),
    ),
    (
        "quotes_in_flag_values_are_removed",
        'FROM a\nRUN --mount=type=bind,source="my dir",target=/x ls\n',
        lambda p: p.instructions[1].flag_values("mount") == ("type=bind,source=my dir,target=/x",),
    ),
    (
        "add_checksum_flag",
        "FROM a\nADD --checksum=sha256:abc https://example.com/f.tgz /f.tgz\n",
        lambda p: p.instructions[1].flag("checksum") == "sha256:abc",
    ),
    (
        "add_keep_git_dir_flag",
        "FROM a\nADD --keep-git-dir git@github.com:o/r.git /src\n",
        lambda p: p.instructions[1].flag("keep-git-dir") == "true",
    ),
    (
        "copy_parents_and_repeated_exclude",
        "FROM a\nCOPY --parents --exclude=*.md --exclude=*.txt ./docs /d\n",
        lambda p: p.instructions[1].flag("parents") == "true" and p.instructions[1].flag_values("exclude") == ("*.md", "*.txt"),
    ),
    (
        "double_dash_ends_flags",
        "FROM a\nRUN -- --version\n",
        lambda p: p.instructions[1].flags == () and p.instructions[1].arguments == ("--version",),
    ),
    (
        "heredoc_run_body_is_inline_content",
        "FROM a\nRUN <<EOF\napt-get update\nFROM evil\nEOF\nRUN after\n",
        lambda p: keywords(p) == ["FROM", "RUN", "RUN"]
        and p.instructions[1].heredocs[0].content == "apt-get update\nFROM evil\n"
        and p.instructions[1].end_line == 5
        and p.instructions[2].line == 6,
    ),
    (
        "heredoc_copy_source",
        "FROM a\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\n",
        lambda p: p.instructions[1].arguments == ("<<EOF", "/etc/app.conf") and p.instructions[1].heredoc("EOF") is not None,
    ),
    (
        "heredoc_dash_strips_tabs_before_terminator",
        "FROM a\nRUN <<-EOT\n\techo hi\n\tEOT\n",
        lambda p: p.instructions[1].heredocs[0].chomp and p.instructions[1].heredocs[0].chomped_content == "echo hi\n",
    ),
    (
        "heredoc_quoted_delimiter_disables_expansion",
        "FROM a\nRUN <<'EOF'\necho $HOME\nEOF\n",
        lambda p: p.instructions[1].heredocs[0].name == "EOF" and not p.instructions[1].heredocs[0].expand,
    ),
    (
        "heredoc_unquoted_delimiter_expands",
        "FROM a\nRUN <<EOF\necho $HOME\nEOF\n",
        lambda p: p.instructions[1].heredocs[0].expand,
    ),
    (
        "two_heredocs_in_one_instruction",
        "FROM a\nRUN <<A cat - <<B\none\nA\ntwo\nB\n",
        lambda p: [(h.name, h.content) for h in p.instructions[1].heredocs] == [("A", "one\n"), ("B", "two\n")],
    ),
    (
        "heredoc_marker_in_json_form_is_not_read",
        'FROM a\nRUN ["cat", "<<EOF"]\nRUN next\n',
        lambda p: p.instructions[1].heredocs == () and keywords(p) == ["FROM", "RUN", "RUN"],
    ),
    # Blanks between `<<` and the delimiter (moby/buildkit#5817, dockerfile 1.16): the lexer keeps
    # them in the `<<` word, the heredoc pattern skips them.
    (
        "blanks_after_heredoc_operator_still_open_a_heredoc",
        "FROM a\nRUN <<  EOF\necho hi\nEOF\nRUN next\n",
        lambda p: [(h.name, h.content) for h in p.instructions[1].heredocs] == [("EOF", "echo hi\n")]
        and keywords(p) == ["FROM", "RUN", "RUN"]
        and p.instructions[2].line == 5,
    ),
    (
        "tab_after_heredoc_operator_after_a_command",
        "FROM a\nRUN cat <<\tEOF > /f\nbody\nEOF\n",
        lambda p: [(h.name, h.content) for h in p.instructions[1].heredocs] == [("EOF", "body\n")],
    ),
    (
        "blank_before_quoted_heredoc_delimiter",
        "FROM a\nRUN << 'EOF'\necho $X\nEOF\n",
        lambda p: p.instructions[1].heredocs[0].name == "EOF" and not p.instructions[1].heredocs[0].expand,
    ),
    (
        "blank_after_heredoc_file_descriptor",
        "FROM a\nRUN cat 3<< EOF\nx\nEOF\n",
        lambda p: [(h.name, h.file_descriptor) for h in p.instructions[1].heredocs] == [("EOF", 3)],
    ),
    (
        "blank_after_heredoc_dash_is_no_heredoc",
        "FROM a\nRUN cat <<- EOF\nRUN next\n",
        lambda p: p.instructions[1].heredocs == () and keywords(p) == ["FROM", "RUN", "RUN"],
    ),
    (
        "heredoc_operator_glued_to_a_word_with_blanks_is_no_heredoc",
        "FROM a\nRUN cat<<  EOF\nRUN next\n",
        lambda p: p.instructions[1].heredocs == () and keywords(p) == ["FROM", "RUN", "RUN"],
    ),
    (
        "heredoc_operator_at_the_end_is_no_heredoc",
        "FROM a\nRUN cat <<  \nRUN next\n",
        lambda p: p.instructions[1].heredocs == () and keywords(p) == ["FROM", "RUN", "RUN"],
    ),
    (
        "quoted_heredoc_operator_with_blanks_is_no_heredoc",
        "FROM a\nRUN echo '<<  EOF'\nRUN next\n",
        lambda p: p.instructions[1].heredocs == () and keywords(p) == ["FROM", "RUN", "RUN"],
    ),
    (
        "quoted_heredoc_marker_is_not_a_heredoc",
        'FROM a\nRUN echo "<<EOF"\nRUN next\n',
        lambda p: p.instructions[1].heredocs == () and len(p.instructions) == 3,
    ),
    (
        "env_key_value_pairs_keep_raw_quotes",
        'FROM a\nENV A=1 B="two words"\n',
        lambda p: p.instructions[1].key_values == (("A", "1"), ("B", '"two words"')),
    ),
    (
        "env_legacy_name_value_form",
        "FROM a\nENV GREETING hello world\n",
        lambda p: p.instructions[1].key_values == (("GREETING", "hello world"),),
    ),
    (
        "arg_with_and_without_default",
        "ARG A\nARG B=2 C=\nFROM a\n",
        lambda p: p.instructions[0].key_values == (("A", None),) and p.instructions[1].key_values == (("B", "2"), ("C", "")),
    ),
    (
        "label_pairs",
        'FROM a\nLABEL org.opencontainers.image.title="My App" version=1\n',
        lambda p: p.instructions[1].key_values == (("org.opencontainers.image.title", '"My App"'), ("version", "1")),
    ),
    (
        "healthcheck_cmd_with_flags",
        "FROM a\nHEALTHCHECK --interval=5s CMD curl -f http://localhost/\n",
        lambda p: p.instructions[1].arguments == ("CMD", "curl -f http://localhost/") and p.instructions[1].flag("interval") == "5s",
    ),
    (
        "expose_words",
        "FROM a\nEXPOSE 80/tcp 443\n",
        lambda p: p.instructions[1].arguments == ("80/tcp", "443"),
    ),
    (
        "volume_json_form",
        'FROM a\nVOLUME ["/data", "/logs"]\n',
        lambda p: p.instructions[1].arguments == ("/data", "/logs") and p.instructions[1].json_form,
    ),
    (
        "workdir_whole_text_is_one_argument",
        "FROM a\nWORKDIR /app/my dir\n",
        lambda p: p.instructions[1].arguments == ("/app/my dir",),
    ),
    (
        "crlf_line_endings",
        "FROM a\r\nRUN one \\\r\n two\r\n",
        lambda p: p.instructions[1].args_text == "one  two" and p.instructions[1].end_line == 3,
    ),
    (
        "byte_order_mark_is_ignored",
        "\ufeffFROM a\n",
        lambda p: keywords(p) == ["FROM"],
    ),
    (
        "original_is_the_joined_logical_line",
        "FROM a\nCOPY a \\\n  b /c/\n",
        lambda p: p.instructions[1].original == "COPY a   b /c/",
    ),
    (
        "stage_name_may_use_upper_case",
        "FROM alpine AS Builder\n",
        lambda p: p.instructions[0].arguments[2] == "Builder",
    ),
    (
        "global_args_before_from_are_allowed",
        "ARG BASE=alpine\nARG TAG\nFROM ${BASE}:${TAG}\n",
        lambda p: keywords(p) == ["ARG", "ARG", "FROM"],
    ),
]


@pytest.mark.parametrize("text,check", [(t, c) for _, t, c in CASES], ids=[i for i, _, _ in CASES])
def test_parse(text: str, check: Callable[[ParsedDockerfile], bool]) -> None:
    parsed = parse(text)
    assert check(parsed), parsed


# Each case: (id, Dockerfile text, expected error line, text the message must contain).
ERRORS = [
    ("unknown_instruction_suggests_the_right_one", "FROM a\nCOPPY a /b\n", 2, "unknown instruction: COPPY"),
    ("empty_dockerfile", "", 1, "no instructions"),
    ("only_comments", "# just a comment\n\n", 2, "no instructions"),
    ("copy_with_one_argument", "FROM a\nCOPY onlyone\n", 2, "COPY requires at least two arguments"),
    ("add_without_arguments", "FROM a\nADD\n", 2, "ADD requires at least two arguments"),
    ("from_without_arguments", "FROM\n", 1, "FROM requires an image reference"),
    ("from_with_two_arguments", "FROM alpine build\n", 1, "one or three arguments"),
    ("from_with_invalid_stage_name", "FROM alpine AS 1st\n", 1, "invalid name for build stage"),
    ("instruction_before_first_from", "RUN echo hi\nFROM a\n", 1, "before the first FROM"),
    ("dockerfile_without_from", "ARG A=1\n", 1, "no FROM instruction"),
    ("json_array_with_non_strings", 'FROM a\nRUN ["echo", 1]\n', 2, "strings only"),
    ("duplicate_escape_directive", "# escape=`\n# escape=\\\nFROM a\n", 2, "only one escape parser directive"),
    ("invalid_escape_directive", "# escape=x\nFROM a\n", 1, "invalid escape token"),
    ("unknown_flag", "FROM a\nCOPY --frm=build a /b\n", 2, "unknown flag: --frm"),
    ("flag_the_instruction_does_not_take", "FROM a\nENV --from=x A=1\n", 2, "unknown flag: --from for ENV"),
    ("string_flag_without_value", "FROM a\nCOPY --from a /b\n", 2, "missing a value on flag: --from"),
    ("boolean_flag_with_bad_value", "FROM a\nCOPY --link=maybe a /b\n", 2, "expecting boolean value"),
    ("duplicate_flag", "FROM a\nCOPY --from=x --from=y a /b\n", 2, "duplicate flag"),
    ("unterminated_heredoc", "FROM a\nRUN <<EOF\necho hi\n", 2, "unterminated heredoc"),
    ("heredoc_as_copy_destination", "FROM a\nCOPY a <<EOF\nx\nEOF\n", 2, "heredoc as a destination"),
    ("env_item_without_equals", "FROM a\nENV A=1 B\n", 2, "can't find = in 'B'"),
    ("env_legacy_form_without_value", "FROM a\nENV ONLYKEY\n", 2, "ENV must have two arguments"),
    ("arg_without_name", "FROM a\nARG\n", 2, "ARG requires at least one argument"),
    ("workdir_without_path", "FROM a\nWORKDIR\n", 2, "WORKDIR requires exactly one argument"),
    ("shell_not_json", "FROM a\nSHELL /bin/bash -c\n", 2, "SHELL requires the arguments to be in JSON form"),
    ("healthcheck_unknown_type", "FROM a\nHEALTHCHECK RUN true\n", 2, "unknown type"),
    ("onbuild_onbuild", "FROM a\nONBUILD ONBUILD RUN x\n", 2, "ONBUILD ONBUILD"),
    ("continuation_line_reports_start_line", "FROM a\nRUN ok\nCOPPY a \\\n  b\n", 3, "unknown instruction"),
]


@pytest.mark.parametrize("text,line,fragment", [(t, l, f) for _, t, l, f in ERRORS], ids=[i for i, *_ in ERRORS])
def test_parse_errors(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        parse(text)
    err = caught.value
    assert err.line == line
    assert fragment in err.message
    assert err.hint
    assert str(err).startswith(f"Dockerfile:{line}: ")


def test_unknown_instruction_hint_names_the_close_keyword_and_quotes_the_line() -> None:
    with pytest.raises(DockerfileError) as caught:
        parse("FROM a\nCOPPY app.py /app/\n")
    text = str(caught.value)
    assert "did you mean COPY?" in text
    assert "COPPY app.py /app/" in text.splitlines()[1]


# BuildKit chomps with `(?m)^\t+`: only tabs after "\n" (or at the start) go.
@pytest.mark.parametrize(
    "body, chomped",
    [
        pytest.param("\tone\n\t\ttwo\n", "one\ntwo\n", id="leading-tabs-of-each-line"),
        pytest.param("a\u2028\tb\n", "a\u2028\tb\n", id="tab-after-line-separator-is-kept"),
        pytest.param("a\x0c\tb\n\tc\n", "a\x0c\tb\nc\n", id="tab-after-form-feed-is-kept"),
        pytest.param("a\r\tb\n", "a\r\tb\n", id="tab-after-lone-cr-is-kept"),
        pytest.param("  \tb\n", "  \tb\n", id="tab-after-spaces-is-kept"),
    ],
)
def test_heredoc_chomping_follows_buildkit_lines(body: str, chomped: str) -> None:
    parsed = parse(f"FROM a\nCOPY <<-EOF /f\n{body}EOF\n")
    assert parsed.instructions[1].heredocs[0].chomped_content == chomped
