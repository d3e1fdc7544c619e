"""Article bodies and comments to safe HTML.

Bodies are Markdown rendered by markdown-it-py with raw HTML turned off, then
cleaned by nh3 against an allow-list, so nothing an author (or an attacker who
got hold of an author's account) types can run script in a shopper's browser.
Product shortcodes are swapped for cards only after cleaning, from trusted
templates. A fenced block marked `questions` holds questions and answers:

    ```questions
    Q: Do these fit over an ankle brace?
    A: Most of them do: the product page says "Room for a brace".

    Q: Can I return worn shoes?
    A: Shoes worn indoors only, within 60 days.
    ```

It becomes a definition list (question, answer in Markdown), and the page says
the same as FAQPage structured data; a block without a complete question and
answer stays a code block, so the author sees it did not work.

Comments are plain text: escaped, with web addresses made into links that search
engines do not follow.
"""

import html as htmllib
import re
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from ..links import slugify

# `[[product:slug]]` alone in a paragraph renders a product card; inside a
# sentence it renders a link with the product's name.
SHORTCODE = re.compile(r"\[\[product:([a-z0-9][a-z0-9-]{0,119})\]\]")
_BLOCK_SHORTCODE = re.compile(r"<p>\s*\[\[product:([a-z0-9][a-z0-9-]{0,119})\]\]\s*</p>")
# Shortcodes inside code samples stay as written (that is how the docs show them).
_CODE = re.compile(r"(<pre>.*?</pre>|<code>.*?</code>)", re.S)
_WORD = re.compile(r"\w+")
WORDS_PER_MINUTE = 200
# Ids the page around an article already uses; headings never take them.
_RESERVED_IDS = {"main", "comments", "comment-form", "contents", "featured-products",
                 "flash-region", "header-q", "about-author", "article-title"}

_ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "code",
    "pre", "blockquote", "hr", "br", "img", "table", "thead", "tbody", "tr", "th", "td",
    "s", "del", "dl", "dt", "dd",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "dl": {"class"},
    **{f"h{n}": {"id"} for n in range(2, 7)},
}
_URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("table")


@dataclass
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class Question:
    question: str
    answer_html: str  # cleaned with the rest of the body

    @property
    def answer_text(self):
        """The answer without markup, for structured data."""
        return htmllib.unescape(nh3.clean(self.answer_html, tags=set())).strip()

    @property
    def structured(self):
        """schema.org's Question, as FAQPage data lists it."""
        return {"@type": "Question", "name": self.question,
                "acceptedAnswer": {"@type": "Answer", "text": self.answer_text}}


QUESTIONS_INFO = "questions"
_QUESTION = re.compile(r"^\s*Q:\s*(.*)$")
_ANSWER = re.compile(r"^\s*A:\s*(.*)$")


def _questions(text):
    """(question, answer Markdown) pairs of a questions block; a question without an
    answer, or text before the first question, is left out."""
    pairs, question, answer = [], None, None
    for line in text.splitlines():
        q, a = _QUESTION.match(line), _ANSWER.match(line)
        if q:
            if question and answer and answer.strip():
                pairs.append((question, answer))
            question, answer = q.group(1).strip(), None
        elif a and question and answer is None:
            answer = a.group(1)
        elif answer is not None:
            answer += "\n" + line.strip()  # indented as a continuation, not as code
        elif question is not None and line.strip():
            question += " " + line.strip()  # a long question wrapped over lines
    if question and answer and answer.strip():
        pairs.append((question, answer))
    return pairs


def _questions_html(pairs):
    items = "".join(
        f"<dt>{escape(question)}</dt><dd>{_markdown.render(answer.strip())}</dd>"
        for question, answer in pairs)
    return f'<dl class="questions">{items}</dl>\n'


@dataclass
class Rendered:
    """Clean HTML (shortcodes still as text), the headings for a table of contents,
    and the product slugs the body names."""

    html: str
    headings: list = field(default_factory=list)
    product_slugs: list = field(default_factory=list)
    words: int = 0
    questions: list = field(default_factory=list)  # Question, in the order shown

    @property
    def reading_minutes(self):
        return max(1, round(self.words / WORDS_PER_MINUTE))

    def with_products(self, card, link):
        """The HTML with shortcodes replaced: `card(slug)` for a shortcode that stands
        alone, `link(slug)` inside a sentence; each returns Markup, or "" to leave it out."""

        def outside_code(fragment):
            fragment = _BLOCK_SHORTCODE.sub(lambda m: str(card(m.group(1))), fragment)
            return SHORTCODE.sub(lambda m: str(link(m.group(1))), fragment)

        parts = _CODE.split(self.html)
        # Cleaned HTML plus cards from autoescaped templates.
        return Markup("".join(  # noqa: S704 (nh3-cleaned HTML, escaped cards)  # nosec B704
            part if i % 2 else outside_code(part) for i, part in enumerate(parts)
        ))


def _anchor(text, taken):
    base = slugify(text) or "section"
    anchor, n = base, 1
    while anchor in taken or anchor in _RESERVED_IDS:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def render(body):
    """Render a Markdown body to clean HTML, collecting headings and product shortcodes."""
    tokens = _markdown.parse(body or "")
    headings, taken, asked = [], set(), 0
    for i, token in enumerate(tokens):
        if token.type == "fence" and token.info.strip().lower() == QUESTIONS_INFO:
            pairs = _questions(token.content)
            if pairs:
                # Rendered as it stands, then cleaned with the body below.
                token.type, token.content = "html_block", _questions_html(pairs)
                asked += len(pairs)
            continue
        if token.type not in ("heading_open", "heading_close"):
            continue
        # The article title is the page's only h1, so body headings start at h2.
        level = min(max(int(token.tag[1]), 2), 6)
        token.tag = f"h{level}"
        if token.type == "heading_open":
            text = "".join(child.content for child in tokens[i + 1].children or []
                           if child.type in ("text", "code_inline"))
            anchor = _anchor(text, taken)
            token.attrSet("id", anchor)
            if level <= 3:
                headings.append(Heading(level, text, anchor))
    html = nh3.clean(
        _markdown.renderer.render(tokens, _markdown.options, {}),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener",
    )
    slugs = []
    for i, part in enumerate(_CODE.split(html)):
        if i % 2 == 0:
            slugs.extend(s for s in SHORTCODE.findall(part) if s not in slugs)
    words = len(_WORD.findall(SHORTCODE.sub("", body or "")))
    return Rendered(html, headings, slugs, words, _shown_questions(html) if asked else [])


_DEFINITION = re.compile(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", re.S)
_QUESTION_LISTS = re.compile(r'<dl class="questions">(.*?)</dl>', re.S)


def _shown_questions(html):
    """The questions as the cleaned HTML shows them (so the data says what the page says)."""
    return [Question(htmllib.unescape(question), answer.strip())
            for block in _QUESTION_LISTS.findall(html)
            for question, answer in _DEFINITION.findall(block)]


_URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
_COMMENT_REL = "nofollow ugc noopener"


def render_comment(text):
    """A comment's plain text as escaped paragraphs; web addresses become nofollow links."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", (text or "").strip()):
        pieces, position = [], 0
        for match in _URL.finditer(paragraph):
            pieces.append(escape(paragraph[position:match.start()]))
            pieces.append(Markup('<a href="{0}" rel="{1}">{0}</a>').format(
                match.group(0), _COMMENT_REL))
            position = match.end()
        pieces.append(escape(paragraph[position:]))
        html = Markup("").join(pieces).replace("\n", Markup("<br>"))
        paragraphs.append(Markup("<p>{}</p>").format(html))
    # Escaping already made it safe; the cleaner is a second lock on the same door.
    return Markup(nh3.clean(  # noqa: S704 (escaped above, cleaned here)  # nosec B704
        "".join(paragraphs),
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=_COMMENT_REL,
    ))
