"""Compiled documentation: the ```cpp blocks of a Markdown file as tests."""

load("//tools:copts.bzl", "FNX_COPTS")

def doc_examples_test(name, src, path, programs = 0):
    """Tests built from the ```cpp blocks of one Markdown file.

    <name>: every fragment block as `static void example_<n>()`, run in
    order (extract_examples.sh has the rules). <name_prefix>_program_<k>_test
    (name without "_examples_test", k = 1..programs): each block with
    `int main(`, as its own program. `programs` must equal the number of
    such blocks; the build fails with a message saying so otherwise.

    Args:
      name: the fragments test, e.g. "api_examples_test".
      src: the Markdown file's label.
      path: its path in the repository, for messages and #line.
      programs: how many whole-program blocks it has.
    """
    prefix = name.replace("_examples_test", "")
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = [name + ".cc"],
        tools = [":extract_examples.sh"],
        cmd = "bash $(location :extract_examples.sh) fragments " +
              "$(location %s) %s > $@" % (src, path),
    )
    native.cc_test(
        name = name,
        srcs = [name + ".cc"],
        copts = FNX_COPTS,
        deps = [
            ":doc_harness",
            "//:fnx",
        ],
    )
    for k in range(1, programs + 1):
        program = "%s_program_%d" % (prefix, k)
        native.genrule(
            name = program + "_gen",
            srcs = [src],
            outs = [program + ".cc"],
            tools = [":extract_examples.sh"],
            cmd = "bash $(location :extract_examples.sh) program %d %d " % (k, programs) +
                  "$(location %s) %s > $@" % (src, path),
        )
        native.cc_test(
            name = program + "_test",
            srcs = [program + ".cc"],
            copts = FNX_COPTS,
            deps = ["//:fnx"],
        )
