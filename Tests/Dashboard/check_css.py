"""Parses style sheets with tinycss2 and fails on anything it cannot read as CSS.

    python3 check_css.py FILE.css...

Reported: parse errors at the top level, inside a rule's declarations and inside nested rules (`@media`);
a rule with no selector, no declarations or a stray brace before it; a declaration with an empty value or a
stray `!`. Browsers skip what they
cannot parse without a word, so a typo here would silently drop a rule from the dashboard.
"""
import sys

import tinycss2


def problems(path):
    text = open(path, encoding="utf-8").read()
    found = []

    def where(node):
        return f"{path}:{node.source_line}:{node.source_column}"

    def rules(nodes, context):
        for node in nodes:
            if node.type == "error":
                found.append(f"{where(node)}: {node.message} ({context})")
            elif node.type == "qualified-rule":
                selector = tinycss2.serialize(node.prelude).strip()
                if not selector:
                    found.append(f"{where(node)}: a rule without a selector")
                elif any(token.type == "literal" and token.value in "{};" for token in node.prelude):
                    found.append(f"{where(node)}: a stray brace or semicolon before `{selector}`")
                declarations(node, tinycss2.serialize(node.prelude).strip())
            elif node.type == "at-rule":
                if node.content is not None and node.at_keyword in ("media", "supports"):
                    rules(tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True),
                          "@" + node.at_keyword)

    def declarations(rule, selector):
        items = tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True)
        if not items:
            found.append(f"{where(rule)}: `{selector}` has no declarations")
        for item in items:
            if item.type == "error":
                found.append(f"{where(item)}: {item.message} (in `{selector}`)")
            elif item.type == "declaration" and not tinycss2.serialize(item.value).strip():
                found.append(f"{where(item)}: `{item.name}` has an empty value (in `{selector}`)")
            elif item.type == "declaration" and any(token.type == "literal" and token.value == "!" for token in item.value):
                found.append(f"{where(item)}: a stray `!` in `{item.name}` (in `{selector}`)")
            elif item.type == "at-rule":
                found.append(f"{where(item)}: an at-rule inside `{selector}`")

    rules(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True), "top level")
    return found


def main(paths):
    if not paths:
        print("usage: check_css.py FILE.css...", file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        for line in problems(path):
            print(line)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
