#!/usr/bin/env bash
# Turns the ```cpp blocks of a Markdown file into C++ sources, so that the
# examples in the documentation are compiled and run as tests.
#
#   extract_examples.sh fragments FILE.md NAME > out.cc
#   extract_examples.sh program K N FILE.md NAME > out.cc
#
# NAME is the path shown in messages and #line directives (docs/API.md).
#
# The rules (what docs/API.md and README.md follow):
# - Only blocks fenced with ```cpp (or ```c++) are C++. Use ```sh, ```text,
#   ```python, ```cmake... for anything that must not be compiled.
# - A block containing `int main(` is a whole program: it becomes its own
#   source file (program mode; K-th of N), compiled as it is.
# - A block whose first line is `// at namespace scope` is emitted at
#   namespace scope, before every example (struct definitions,
#   FNX_TREE_STRUCT, helper functions, modules).
# - Every other block is a function body: `static void example_<n>()`,
#   called from main in order. The generated file has
#   `#include "tests/docs/doc_harness.h"` (fnx.h, the standard headers
#   and check helpers) and `using namespace fnx;` and
#   `using namespace fnx_docs;` at the top, so a block may use check(),
#   check_close(), check_values(), check_shape() and check_throws().
# - #line directives point compiler errors and failed checks at NAME's
#   lines.
set -euo pipefail

mode="$1"
shift
case "${mode}" in
  fragments)
    file="$1"
    name="$2"
    want_k=0
    want_n=0
    ;;
  program)
    want_k="$1"
    want_n="$2"
    file="$3"
    name="$4"
    ;;
  *)
    echo "usage: $0 fragments FILE NAME | program K N FILE NAME" >&2
    exit 2
    ;;
esac

awk -v mode="${mode}" -v name="${name}" -v want_k="${want_k}" \
  -v want_n="${want_n}" '
function fail(msg) { print name ": " msg > "/dev/stderr"; failed = 1; exit 1 }
BEGIN { in_block = 0; is_cpp = 0; nblocks = 0; nprograms = 0; nscope = 0 }
{
  if (!in_block) {
    if ($0 ~ /^[ \t]*```/) {
      in_block = 1
      lang = $0
      sub(/^[ \t]*```[ \t]*/, "", lang)
      sub(/[ \t].*$/, "", lang)
      is_cpp = (lang == "cpp" || lang == "c++")
      start = NR + 1
      body_n = 0
    }
    next
  }
  if ($0 ~ /^[ \t]*```[ \t]*$/) {
    in_block = 0
    if (is_cpp) finish_block()
    next
  }
  if (is_cpp) body[++body_n] = $0
}
function finish_block(   i, text, first) {
  text = ""
  for (i = 1; i <= body_n; ++i) text = text body[i] "\n"
  first = ""
  for (i = 1; i <= body_n; ++i) {
    if (body[i] !~ /^[ \t]*$/) { first = body[i]; break }
  }
  if (text ~ /int[ \t]+main[ \t]*\(/) {
    ++nprograms
    prog_start[nprograms] = start
    prog_text[nprograms] = text
  } else if (first ~ /^[ \t]*\/\/ at namespace scope[ \t]*$/) {
    ++nscope
    scope_start[nscope] = start
    scope_text[nscope] = text
  } else {
    ++nblocks
    block_start[nblocks] = start
    block_text[nblocks] = text
  }
}
END {
  if (failed) exit 1
  if (in_block) fail("a code block opened at line " (start - 1) " is never closed")
  if (mode == "program") {
    if (nprograms != want_n) {
      fail("has " nprograms " whole-program ```cpp blocks (with int main) but " \
           "tests/docs/BUILD.bazel declares " want_n "; update its count")
    }
    print "// Generated from " name " (whole program " want_k ") by"
    print "// tests/docs/extract_examples.sh; do not edit."
    print "#line " prog_start[want_k] " \"" name "\""
    printf "%s", prog_text[want_k]
    exit 0
  }
  print "// Generated from " name " by tests/docs/extract_examples.sh; do not"
  print "// edit. Each ```cpp block is one example function, run in order."
  print "#include \"tests/docs/doc_harness.h\""
  print ""
  print "using namespace fnx;       // NOLINT"
  print "using namespace fnx_docs;  // NOLINT"
  print ""
  for (i = 1; i <= nscope; ++i) {
    print "#line " scope_start[i] " \"" name "\""
    printf "%s", scope_text[i]
  }
  for (i = 1; i <= nblocks; ++i) {
    print "#line 1 \"" name ": generated wrapper\""
    print "static void example_" i "() {"
    print "#line " block_start[i] " \"" name "\""
    printf "%s", block_text[i]
    print "}"
  }
  print "#line 1 \"" name ": generated main\""
  print "int main() {"
  print "  return fnx_docs::run_examples(\"" name "\", {"
  for (i = 1; i <= nblocks; ++i) {
    print "    {" i ", " block_start[i] ", &example_" i "},"
  }
  print "  });"
  print "}"
}
' "${file}"
