"""Prints the code block of a Markdown page that follows the line
`<!-- PATH -->` (test/python/docs_example.test diffs it with PATH)."""
import sys

page, path = sys.argv[1:3]
lines = open(page).read().split("\n")
start = lines.index("<!-- %s -->" % path) + 2  # the marker, then the ``` line
end = lines.index("```", start)
sys.stdout.write("\n".join(lines[start:end]) + "\n")
