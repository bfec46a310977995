"""Turn a notice into a subject, a plain-text body and an HTML body with the Jinja2 templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, Undefined


def _templates_dir() -> Path:
    """`templates/` of the source tree, else of the working directory (an installed package, as in the image)."""
    candidates = (Path(__file__).resolve().parents[2] / "templates", Path.cwd() / "templates")
    return next((folder for folder in candidates if (folder / "notices").is_dir()), candidates[0])


TEMPLATES_DIR = _templates_dir()

# Keys of `data` a template may use although a notice can lack them; everything else a template
# touches is required, and StrictUndefined turns its absence into a RenderError.
OPTIONAL_DEFAULTS: Mapping[str, Any] = {
    "program": None,
    "starts_on": None,
    "expires_on": None,
    "channels": (),
    "hours": None,
    "priority": False,
    "ppi_credits": 0,
}

CHANNEL_NAMES = {"chat": "chat", "email": "email", "phone": "phone"}
HOURS_NAMES = {"24x7": "24 x 7", "business_hours": "business hours"}
PROGRAM_NAMES = {
    "advantage_premier": "Acronis Advantage Premier",
    "home_subscription": "Home subscription support",
    "home_perpetual": "Home product support",
    "none": "no vendor support program",
}


class RenderError(ValueError):
    """A notice that cannot be rendered (a required field is missing or malformed)."""


@dataclass(frozen=True)
class RenderedNotice:
    """The three parts of one notice email."""

    subject: str
    text: str
    html: str


def _defined(value: object) -> object:
    """The value itself; a missing one raises UndefinedError naming it (filters receive it unevaluated)."""
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises here, with the missing name in the message
    return value


def _calendar_date(value: object) -> date:
    value = _defined(value)
    if not isinstance(value, str):
        raise RenderError(f"expected a date, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RenderError(f"{value!r} is not a calendar date (YYYY-MM-DD)") from None


def long_date(value: object) -> str:
    """A YYYY-MM-DD date as `March 15, 2027`; anything else is a render error."""
    day = _calendar_date(value)
    return f"{day:%B} {day.day}, {day.year}"


def last_day(value: object) -> str:
    """The last day of support ending on `value` (YYYY-MM-DD), which support no longer covers: the day before."""
    day = _calendar_date(value)
    if day == date.min:
        raise RenderError(f"{value!r} has no day before it")
    return (day - timedelta(days=1)).isoformat()


def spoken_list(values: object) -> str:
    """`["chat", "email", "phone"]` as `chat, email and phone`."""
    values = _defined(values)
    if not isinstance(values, list | tuple):
        raise RenderError(f"expected a list, got {values!r}")
    words = [CHANNEL_NAMES.get(str(v), str(v)) for v in values]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def product_title(product: object) -> str:
    """A product's name and version, without repeating a version the name already ends with."""
    product = _defined(product)
    if not isinstance(product, Mapping):
        raise RenderError(f"expected a product object, got {product!r}")
    name, version = str(product["name"]), str(product["version"])
    return name if name.endswith(" " + version) else f"{name} {version}"


def one_line(value: str) -> str:
    """Collapse every run of whitespace, CR and LF included, into one space."""
    return " ".join(value.split())


def _environment(templates_dir: Path, *, html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=html,  # on for every HTML template whatever its file name, off for text and subjects
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(long_date=long_date, last_day=last_day, spoken_list=spoken_list, product_title=product_title)
    env.globals.update(hours_names=HOURS_NAMES, program_names=PROGRAM_NAMES)
    return env


class NoticeRenderer:
    """Renders notices from `templates/notices/<kind>.{subject,txt,html}.j2`."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self._text = _environment(templates_dir, html=False)
        self._html = _environment(templates_dir, html=True)

    def render(self, notice: Mapping[str, Any], today: date | None = None) -> RenderedNotice:
        """Render one notice as read on `today` (UTC); raise RenderError when a field is missing or malformed."""
        context = template_context(notice, today)
        kind = notice["kind"]
        try:
            subject = self._text.get_template(f"notices/{kind}.subject.j2").render(context)
            text = self._text.get_template(f"notices/{kind}.txt.j2").render(context)
            html = self._html.get_template(f"notices/{kind}.html.j2").render(context)
        except RenderError as exc:
            raise RenderError(f"{kind}: {exc}") from exc
        except (TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise RenderError(f"{kind}: {type(exc).__name__}: {exc}") from exc
        return RenderedNotice(subject=one_line(subject), text=text, html=html)


def template_context(notice: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """The names a template sees: the notice's data (with optional keys defaulted), its envelope, and `days_left`."""
    data = notice.get("data")
    if not isinstance(data, Mapping):
        raise RenderError("data: expected an object")
    context: dict[str, Any] = dict(data)
    for name, default in OPTIONAL_DEFAULTS.items():
        if context.get(name) is None:
            context[name] = default
    if "lead_days" not in context and "lead_days" in notice:
        context["lead_days"] = notice["lead_days"]
    for name in ("notice_id", "kind", "serial", "account_id", "due_on"):
        context[name] = notice[name]
    left = days_left(context, today)
    if left is not None:  # else undefined: a template that prints it fails, naming it
        context["days_left"] = left
    return context


def days_left(context: Mapping[str, Any], today: date | None) -> object:
    """Days of support left on `today`, today counting (1 on the last day, expires_on - 1); without a day, `lead_days`.

    A reminder delivered late says what is left when it is read, not what was left on its due date; on expires_on
    and after it is never sent (freshness.py), so it never says 0.
    """
    fallback = context.get("lead_days")
    if today is None or not isinstance(context.get("expires_on"), str):
        return fallback
    try:
        return (date.fromisoformat(context["expires_on"]) - today).days
    except ValueError:
        return fallback  # the template's date filters name the malformed date
