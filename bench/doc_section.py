"""Replace one benchmark's section of a Markdown file with the report on standard input.

Usage: python3 bench/doc_section.py FILE MARKER TITLE < report

The section is everything between "<!-- MARKER:begin -->" and "<!-- MARKER:end -->"; when the
markers are not there yet, a "## TITLE" heading and the markers are appended. The rest of the
file is left as it is, so the prose around a benchmark's figures is never rewritten.
"""
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    path, marker, title = sys.argv[1:]
    begin, end = "<!-- %s:begin -->" % marker, "<!-- %s:end -->" % marker
    body = begin + "\n" + sys.stdin.read().rstrip("\n") + "\n" + end
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + body + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n## " + title + "\n\n" + body + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
