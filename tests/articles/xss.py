"""A checker for rendered HTML: finds markup that could run script, whatever the text says."""

from html.parser import HTMLParser

ACTIVE_TAGS = {"script", "iframe", "style", "svg", "object", "embed", "form", "base",
               "math", "meta", "link"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES and value:
                squashed = "".join(value.split()).lower()
                if squashed.startswith(BAD_SCHEMES):
                    self.problems.append(f"{tag}[{name}={value}]")


def active_markup(html):
    """Tags, event handlers and URLs in `html` that a browser would act on."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.problems
